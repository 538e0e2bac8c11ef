"""Job-title normalisation: raw title text to a seniority level and a department.

A :class:`TitleMap` holds, for seniority and for department, an ordered list of
``(value, patterns)`` pairs. Patterns are regexes in the Rust ``regex`` dialect
(the one Polars uses), matched case-insensitively as substrings of the
*normalised* title (see :func:`normalise_title_expr`): lowercase letters and
digits separated by single spaces, so ``"Sr. V.P., Sales & Ops"`` is matched as
``"sr vp sales ops"``. Authors write word boundaries themselves as ``\\b``.

Each value's patterns are joined into one alternation and tested with a single
``str.contains``; the values are tried in order and the first match wins. A
title that matches nothing gets null (never a guessed default), so unmatched
titles can be counted and the map improved.

Default precedence, and why:

Seniority: ``intern_student`` > ``c_level`` > ``vp`` > ``director`` >
``manager`` > ``ic``.

* Intern/student comes first because "Software Engineering Intern" or "Product
  Manager Intern" are interns whatever else the title says. "Student" only
  counts when it names the person ("Student", "PhD Student", "Student at MIT"),
  so "Director of Student Affairs" stays a director.
* Each level is checked from the top down, so the most senior word wins:
  "Senior Vice President" is ``vp``, "Senior Manager" is ``manager``, and
  "senior", "staff", "principal" and "lead" as adjectives only make an ``ic``.
* "President" is ``c_level`` but "Vice President" is ``vp``; "Managing
  Director", founders, owners of a business, partners of a firm, chairs and
  board members count as ``c_level``. "Product Owner" and "HR Business
  Partner" fall through to ``ic``.
* "Head of X" is ``director``: the title is used for whoever runs a function
  below the VP/C-level line, which in most organisations is director level.
  "General Manager" is ``director`` too (runs a business unit, above
  functional managers); "Chief of Staff" is ``director``.
* "Lead" is ``manager`` only as a noun ("Team Lead", "Tech Lead", "Marketing
  Lead"); as an adjective ("Lead Engineer") it is a senior ``ic``.
* Seniority comes from the words, not from the org chart: "Account Manager"
  and "Product Manager" are ``manager``.
* A trailing reporting line ("Executive Assistant to the CEO", "Chief of Staff
  to the CEO") is dropped by normalisation: it names someone else's role.

Department: ``security`` > ``hr`` > ``procurement`` > ``it`` > ``data`` >
``finance`` > ``operations`` > ``sales`` > ``customer_success`` >
``marketing`` > ``product`` > ``engineering`` > ``executive``.

* Specialised functions win over the generic discipline word: "IT Security
  Manager" and "Security Engineer" are ``security``, "Technical Recruiter" is
  ``hr``, "IT Procurement" is ``procurement``, "Data Engineer" is ``data``,
  "Network Engineer" is ``it``.
* "X Operations" is ``operations`` (RevOps, Sales Ops, Marketing Ops, Business
  Ops) except where a more specialised function claims it first (Security,
  People, IT, Data, Finance operations).
* "Sales Engineer" and "Solutions Engineer" are ``sales``: pre-sales engineers
  sit in, and are paid by, the sales organisation. "Support Engineer" is
  ``customer_success`` for the same reason, "Product Marketing Manager" is
  ``marketing``, and a product word beats an engineering one ("Software
  Product Manager" is ``product``; so, knowingly, is "Product Engineer").
* "Sales & Marketing" titles are ``sales``.
* ``executive`` is last: it only names general management (CEO, founder,
  president, owner, managing director, general manager), so "Co-Founder &
  CTO" is ``engineering`` and "President, Sales" is ``sales``.
* Known limitation: "Media Buyer" is ``procurement``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

import polars as pl

from leadq.errors import did_you_mean, one_of

SENIORITY_LEVELS = ("c_level", "vp", "director", "manager", "ic", "intern_student")
DEPARTMENTS = (
    "engineering",
    "security",
    "it",
    "data",
    "marketing",
    "sales",
    "finance",
    "procurement",
    "product",
    "operations",
    "hr",
    "executive",
    "customer_success",
)

Levels = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class TitleMap:
    """Ordered pattern lists for seniority and department; first match wins.

    Attributes:
        seniority: ``(level, patterns)`` pairs in precedence order.
        department: ``(department, patterns)`` pairs in precedence order.
    """

    seniority: Levels = ()
    department: Levels = ()


# "president" not preceded by the word "vice": the Rust regex engine has no
# look-behind, so the preceding word is spelled out as "anything not ending
# in 'vice'" (or a longer word ending in it, like "service").
_PRESIDENT = r"(?:^|[^e] |[^c]e |[^i]ce |[^v]ice |[a-z]vice )president\b"
# Owners of a business, not "Product Owner" / "Process Owner".
_OWNER = (
    r"^(?:co )?owners?\b",
    r"\b(?:business|company|practice|franchise|agency|firm|studio|shop|store|restaurant) owners?\b",
)

_SENIORITY: Levels = (
    (
        "intern_student",
        (
            r"\binterns?\b",
            r"\binternship\b",
            r"\btrainee\b",
            r"\bapprentice(?:ship)?\b",
            r"\bwerkstudent\b",
            r"\bpraktikant(?:in)?\b",
            r"\bstagiaire\b",
            r"\b(?:working|graduate|grad|phd|ph d|doctoral|masters?|master s|mba|undergraduate|undergrad"
            r"|exchange|university|college|high school|co op) students?\b",
            r"^students?$",
            r"\bstudents?(?:$| (?:at|in|of|assistant|worker|ambassador|researcher|employee)\b)",
            r"\bph ?d candidate\b",
        ),
    ),
    (
        "c_level",
        (
            r"\bchief\b.*\bofficer\b",
            r"\bchief executive\b",
            r"\bc(?:eo|to|fo|oo|mo|io|iso|ro|po|do|co|so|ao|hro|xo)\b",
            _PRESIDENT,
            r"\b(?:co )?founders?\b",
            r"\bcofounders?\b",
            *_OWNER,
            r"\bmanaging director\b",
            r"^partners?$",
            r"^partners? (?:at|of|in|and)\b",
            r"\b(?:managing|founding|general|equity|name) partners?\b",
            r"\bsenior partner(?:$| (?:at|of|in|and)\b)",
            r"\bchair(?:man|woman|person)\b",
            r"\b(?:chair of the board|board chair)\b",
            r"\bboard (?:member|director)\b",
            r"\bnon executive director\b",
            r"\bc (?:level|suite)\b",
        ),
    ),
    (
        "vp",
        (
            r"\bvps?\b",
            r"\b[saeg]vp\b",
            r"\bvice president\b",
            r"\bvice pres\b",
        ),
    ),
    (
        "director",
        (
            r"\bdirectors?\b",
            r"\bdir\b",
            r"\bdirect(?:eur|rice|ora)\b",
            r"\bdirektor(?:in)?\b",
            r"\bhead\b",
            r"\bgeneral manager\b",
            r"\bgm\b",
            r"\bchief of staff\b",
            r"\btreasurer\b",
        ),
    ),
    (
        "manager",
        (
            r"\bmanagers?\b",
            r"\bmgr\b",
            r"\bmngr\b",
            r"\b(?:team|tech|technical) lead(?:er)?\b",
            r"\blead$",
            r"\bleaders?\b",
            r"\bsupervisor\b",
            r"\bforeman\b",
            # A financial controller runs the accounting team.
            r"\b(?:controller|comptroller)\b",
            r"\b(?:csm|bdm)\b",
        ),
    ),
    (
        "ic",
        (
            r"\bengineers?\b",
            r"\bengr?\b",
            r"\bdevelopers?\b",
            r"\bprogrammer\b",
            r"\b(?:swe|sde|sre)\b",
            r"\bsys ?admin\b",
            r"\banalysts?\b",
            r"\bspecialist\b",
            r"\bcoord(?:inator)?\b",
            r"\bassociate\b",
            r"\bconsultant\b",
            r"\badmin(?:istrator)?\b",
            r"\barchitect\b",
            r"\bdesigner\b",
            r"\brep(?:resentative)?\b",
            r"\b(?:sdr|bdr|ae|cpa|hrbp)\b",
            r"\bexec(?:utive)?\b",
            r"\bscientist\b",
            r"\baccountant\b",
            r"\bbookkeeper\b",
            r"\bauditor\b",
            r"\bbuyer\b",
            r"\bpurchaser\b",
            r"\brecruiter\b",
            r"\bsourcer\b",
            r"\bgeneralist\b",
            r"\b(?:assistant|asst)\b",
            r"\btechnician\b",
            r"\bofficer\b",
            r"\bagent\b",
            r"\bclerk\b",
            r"\badvis(?:or|er)\b",
            r"\bstrategist\b",
            r"\b(?:copy)?writer\b",
            r"\beditor\b",
            r"\bresearcher\b",
            r"\btester\b",
            r"\bscrum master\b",
            # Reached only when c_level's business-owner and firm-partner
            # patterns did not match: "Product Owner", "HR Business Partner".
            r"\bowner\b",
            r"\bpartner\b",
            r"\bfreelancer?\b",
            r"\bcontractor\b",
            r"\bsr\b",
            r"\bsenior\b",
            r"\bjr\b",
            r"\bjunior\b",
            r"\bstaff\b",
            r"\bprincipal\b",
            r"^lead\b",
        ),
    ),
)

_DEPARTMENT: Levels = (
    (
        "security",
        (
            r"\bsecurity\b",
            r"\bciso\b",
            r"\binfosec\b",
            r"\b(?:dev)?secops\b",
            r"\bsoc\b",
            r"\bappsec\b",
            r"\bcyber",
            r"\bpen(?:etration)? test",
            r"\bthreat\b",
            r"\bvulnerability\b",
        ),
    ),
    (
        "hr",
        (
            r"\bhr\b",
            r"\bhrbp\b",
            r"\bhris\b",
            r"\bchro\b",
            r"\bhuman (?:resources|capital)\b",
            r"\bpeople\b",
            r"\btalent\b",
            r"\brecruit",
            r"\bsourcer\b",
            r"\bcompensation\b",
            r"\bbenefits\b",
            r"\blearning (?:and )?development\b",
            r"\bl d\b",
        ),
    ),
    (
        "procurement",
        (
            r"\bprocurement\b",
            r"\bpurchas(?:ing|er)\b",
            r"\bbuyers?\b",
            r"\bsourcing\b",
            r"\bvendor (?:management|manager)\b",
            r"\bsupplier\b",
        ),
    ),
    (
        "it",
        (
            r"\bit\b",
            r"\bict\b",
            r"\binformation technology\b",
            r"\bcio\b",
            r"\bchief information officer\b",
            r"\bsystems? administrator\b",
            r"\bsys ?admin\b",
            r"\bhelp ?desk\b",
            r"\bservice desk\b",
            r"\bdesktop support\b",
            r"\binfrastructure\b",
            r"\bnetwork(?:s|ing)?\b",
            r"\bnoc\b",
            r"\bdata cent(?:er|re)\b",
        ),
    ),
    (
        "data",
        (
            r"\bdata\b",
            r"\bdataops\b",
            r"\banalytics\b",
            r"\bbi\b",
            r"\bbusiness intelligence\b",
            r"\bmachine learning\b",
            r"\bml\b",
            r"\bmlops\b",
            r"\bai\b",
            r"\bartificial intelligence\b",
            r"\bdeep learning\b",
            r"\bnlp\b",
            r"\bcomputer vision\b",
            r"\bcdo\b",
            r"\bdatabase\b",
            r"\bdba\b",
            r"\bstatistician\b",
        ),
    ),
    (
        "finance",
        (
            r"\bfinance\b",
            r"\bfinancial\b",
            r"\bfinops\b",
            r"\bcfo\b",
            r"\baccounting\b",
            r"\baccountants?\b",
            r"\baccounts (?:payable|receivable)\b",
            r"\bbookkeep",
            r"\b(?:controller|comptroller)\b",
            r"\btreasur(?:er|y)\b",
            r"\bfp a\b",
            r"\bfpa\b",
            r"\bpayroll\b",
            r"\btax\b",
            r"\baudit(?:or|ing)?\b",
            r"\bbilling\b",
            r"\bcpa\b",
            r"\binvestor relations\b",
        ),
    ),
    (
        "operations",
        (
            r"\boperations?\b",
            r"\boperating\b",
            r"\bcoo\b",
            r"\brevops\b",
            r"\bops\b",
            r"\bsupply chain\b",
            r"\blogistics\b",
            r"\bfacilities\b",
        ),
    ),
    (
        "sales",
        (
            r"\bsales\b",
            r"\bsales(?:person|man|woman)\b",
            r"\baccount executive\b",
            r"\bacct (?:exec|executive|mgr|manager)\b",
            r"\b(?:sdr|bdr|bdm|ae)\b",
            r"\bbusiness development\b",
            r"\bbiz ?dev\b",
            r"\bcro\b",
            r"\brevenue\b",
            r"\baccount (?:manager|management|director)\b",
            r"\bkey accounts?\b",
            r"\bpre ?sales\b",
            r"\bsolutions? (?:engineer|consultant)\b",
            r"\bcommercial\b",
            r"\bchannel\b",
            r"\bpartnerships?\b",
            r"\bterritory\b",
        ),
    ),
    (
        "customer_success",
        (
            r"\bcustomer success\b",
            r"\bclient success\b",
            r"\bcsm\b",
            r"\bsupport\b",
            r"\bcustomer (?:experience|service|care)\b",
            r"\bclient services?\b",
            r"\bcx\b",
            r"\bonboarding\b",
            r"\bimplementation\b",
            r"\bchief customer officer\b",
        ),
    ),
    (
        "marketing",
        (
            r"\bmarketing\b",
            r"\bmarketer\b",
            r"\bmktg\b",
            r"\bmarcomm?s?\b",
            r"\bcmo\b",
            r"\bdemand gen(?:eration)?\b",
            r"\blead gen(?:eration)?\b",
            r"\bgrowth\b",
            r"\bbrand(?:ing)?\b",
            r"\bcontent\b",
            r"\b(?:seo|sem|ppc|abm)\b",
            r"\bcommunications?\b",
            r"\bcomms\b",
            r"\bpr\b",
            r"\bpublic relations\b",
            r"\bsocial media\b",
            r"\bcopywriter\b",
            r"\bcreative\b",
            r"\badvertising\b",
            r"\bevents?\b",
            r"\bcampaigns?\b",
            r"\bcommunity\b",
        ),
    ),
    (
        "product",
        (
            r"\bproducts?\b",
            r"\bcpo\b",
            r"\bux\b",
            r"\bui\b",
            r"\buser (?:experience|research)\b",
        ),
    ),
    (
        "engineering",
        (
            r"\bengineers?\b",
            r"\bengineering\b",
            r"\bengr?\b",
            r"\bdevelopers?\b",
            r"\bdev\b",
            r"\bprogrammer\b",
            r"\b(?:swe|sde|sre)\b",
            r"\bsoftware\b",
            r"\bdevops\b",
            r"\bsite reliability\b",
            r"\bcto\b",
            r"\bchief technology\b",
            r"\bchief technical\b",
            r"\btechnology\b",
            r"\btech\b",
            r"\barchitect(?:ure)?\b",
            r"\bplatform\b",
            r"\bqa\b",
            r"\bquality assurance\b",
            r"\b(?:front|back) ?end\b",
            r"\bfull ?stack\b",
            r"\b(?:firmware|embedded)\b",
            r"\br d\b",
            r"\bscrum master\b",
        ),
    ),
    (
        "executive",
        (
            r"\bceo\b",
            r"\bchief executive\b",
            r"\b(?:co )?founders?\b",
            r"\bcofounders?\b",
            _PRESIDENT,
            *_OWNER,
            r"\bmanaging (?:director|partner)\b",
            r"\bfounding partner\b",
            r"\bgeneral manager\b",
            r"\bgm\b",
            r"\bchief of staff\b",
            r"\bchair(?:man|woman|person)\b",
            r"\bboard (?:member|director)\b",
            r"\b(?:non )?executive director\b",
            r"\bc (?:level|suite)\b",
        ),
    ),
)

DEFAULT_TITLE_MAP = TitleMap(seniority=_SENIORITY, department=_DEPARTMENT)

# Who a title "reports to" ("Assistant to the CEO") is someone else's role.
_REPORTING_LINE = (
    r" (?:to|for) (?:the )?(?:ceo|coo|cfo|cto|cmo|cio|cro|cpo|chro|president|(?:co )?founders?"
    r"|chair\w*|board|owners?|md|managing director|vp|svp|evp|executives?|directors?|partners?"
    r"|chief|head|general manager|gm|c suite|leadership|office of)\b.*$"
)
# Compounds that titles spell both joined and apart ("DevOps", "Dev-Ops").
_OPS_COMPOUND = r"\b(dev|rev|sec|fin|ml) ops\b"
# Look-around and backreferences compile in Python's `re` but not in Polars.
_UNSUPPORTED = re.compile(r"(?<!\\)(?:\\\\)*(\(\?<?[=!]|\(\?P=|\\[1-9])")
_SECTIONS = {"seniority": SENIORITY_LEVELS, "department": DEPARTMENTS}


def normalise_title_expr(title: pl.Expr) -> pl.Expr:
    """Normalise a raw job title so patterns can stay simple.

    Lowercases; joins dotted abbreviations ("V.P." -> "vp", "I.T." -> "it");
    turns every run of punctuation and whitespace into one space ("Sr.Mgr,
    Sales & Ops" -> "sr mgr sales ops"); strips; joins split "-ops" compounds
    ("Dev-Ops" -> "devops"); drops a trailing reporting line ("EA to the CEO"
    -> "ea"). A title that is null, blank or only punctuation becomes null.

    Args:
        title: Expression yielding the raw title strings.

    Returns:
        A String expression with the normalised title.
    """
    return (
        # An all-empty column can arrive with dtype Null; give it text.
        title.cast(pl.String)
        .str.to_lowercase()
        # Only single letters followed by a dot: "sr." must stay a word.
        .str.replace_all(r"\b([a-z])\.", "$1")
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
        .str.replace_all(_OPS_COMPOUND, "${1}ops")
        .str.replace(_REPORTING_LINE, "")
        .replace("", None)
    )


def _alternation(patterns: tuple[str, ...]) -> str:
    # Groups keep each author's own "|" inside their pattern.
    return "(?i)" + "|".join(f"(?:{p})" for p in patterns)


def _first_match(title: pl.Expr, levels: Levels) -> pl.Expr:
    text = normalise_title_expr(title)
    chain: Any = None
    for value, patterns in levels:
        if not patterns:  # an emptied level (e.g. by an override) never matches
            continue
        cond = text.str.contains(_alternation(patterns))
        chain = pl.when(cond) if chain is None else chain.when(cond)
        chain = chain.then(pl.lit(value, dtype=pl.String))
    if chain is None:
        return pl.lit(None, dtype=pl.String)
    return chain.otherwise(pl.lit(None, dtype=pl.String))


def seniority_expr(title: pl.Expr, tmap: TitleMap = DEFAULT_TITLE_MAP) -> pl.Expr:
    """Map a raw job title to a seniority level.

    Args:
        title: Expression yielding raw title strings, e.g. ``pl.col("title")``.
        tmap: The title map to apply; levels are tried in order.

    Returns:
        A String expression: one of ``SENIORITY_LEVELS``, or null when the
        title is null, blank, or matches no pattern. Alias it as needed.
    """
    return _first_match(title, tmap.seniority)


def department_expr(title: pl.Expr, tmap: TitleMap = DEFAULT_TITLE_MAP) -> pl.Expr:
    """Map a raw job title to a department.

    Args:
        title: Expression yielding raw title strings, e.g. ``pl.col("title")``.
        tmap: The title map to apply; departments are tried in order.

    Returns:
        A String expression: one of ``DEPARTMENTS``, or null when the title is
        null, blank, or matches no pattern. Alias it as needed.
    """
    return _first_match(title, tmap.department)


def with_title_columns(frame: pl.LazyFrame, tmap: TitleMap = DEFAULT_TITLE_MAP,
                       title: str = "job_title") -> pl.LazyFrame:
    """Add ``seniority`` and ``department`` to ``frame`` from its ``title`` column.

    The regexes run once per distinct title, not once per contact (an export of a
    million contacts holds a few thousand distinct titles), and the two columns
    are joined back on the title, keeping the frame's row order.
    """
    lookup = (frame.select(pl.col(title).unique())
              .filter(pl.col(title).is_not_null())
              .with_columns(seniority_expr(pl.col(title), tmap).alias("seniority"),
                            department_expr(pl.col(title), tmap).alias("department")))
    return frame.join(lookup, on=title, how="left", maintain_order="left")


def _check_pattern(where: str, pattern: Any) -> str:
    if not isinstance(pattern, str) or not pattern.strip():
        raise ValueError(f"{where}: expected a non-empty regex string, got {pattern!r}")
    found = _UNSUPPORTED.search(pattern)
    if found:
        construct = found.group(1)
        kind = "a backreference" if construct.startswith(("\\", "(?P=")) else "look-around"
        raise ValueError(
            f"{where}: pattern {pattern!r} uses {kind} ({construct!r}), "
            "which the Polars regex engine does not support"
        )
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{where}: invalid regex {pattern!r}: {exc}") from None
    if compiled.search(""):
        raise ValueError(f"{where}: pattern {pattern!r} matches the empty string, so it would match every title")
    return pattern


def _check_engine(checked: list[tuple[str, str]]) -> None:
    """Ask Polars' regex engine about every ``(where, pattern)`` at once.

    Python accepts some syntax Rust's engine rejects (atomic groups, possessive
    quantifiers, conditionals). One query for all patterns; only when it fails
    is each pattern asked alone, to name the first one the engine rejects.
    """
    def ask(patterns: list[str]) -> None:
        pl.select([pl.lit("").str.contains(p).alias(str(i)) for i, p in enumerate(patterns)])

    try:
        ask([p for _, p in checked])
        return
    except pl.exceptions.PolarsError:
        pass
    for where, pattern in checked:
        try:
            ask([pattern])
        except pl.exceptions.PolarsError as exc:
            # Polars' message draws a caret diagram; keep its "error: ..." line.
            lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip().startswith("error:")]
            reason = lines[0].removeprefix("error:").strip() if lines else str(exc).splitlines()[0]
            raise ValueError(f"{where}: pattern {pattern!r} is not supported by the Polars regex engine: "
                             f"{reason}") from None


def _levels_from_dict(section: str, data: Any) -> Levels:
    allowed = _SECTIONS[section]
    if not isinstance(data, Mapping):
        raise ValueError(f"titles.{section}: expected a mapping of value -> list of patterns")
    levels = []
    for value, patterns in data.items():
        where = f"titles.{section}.{value}"
        if value not in allowed:
            raise ValueError(f"{where}: unknown {section} {value!r}{did_you_mean(str(value), allowed)}; {one_of(allowed)}")
        if not isinstance(patterns, (list, tuple)):
            raise ValueError(f"{where}: expected a list of regex patterns, got {type(patterns).__name__}")
        levels.append((value, tuple(_check_pattern(where, p) for p in patterns)))
    return tuple(levels)


def title_map_from_dict(data: Mapping[str, Any]) -> TitleMap:
    """Build a :class:`TitleMap` from a ruleset's ``titles:`` section.

    Args:
        data: ``{"seniority": {level: [pattern, ...]}, "department": {...}}``.
            Key order is precedence. Either section may be omitted. Patterns
            are regexes matched case-insensitively against the normalised
            title (see :func:`normalise_title_expr`).

    Returns:
        The title map, with the sections given (missing ones empty).

    Raises:
        ValueError: on an unknown section or value, a non-list of patterns, or
            a pattern that is not a valid regex for Polars (look-around and
            backreferences included); the message names the level and pattern.
    """
    if not isinstance(data, Mapping):
        raise ValueError("titles: expected a mapping with 'seniority' and/or 'department'")
    unknown = [k for k in data if k not in _SECTIONS]
    if unknown:
        name = str(unknown[0])
        raise ValueError(f"titles: unknown section {name!r}{did_you_mean(name, _SECTIONS)}; {one_of(_SECTIONS)}")
    tmap = TitleMap(
        seniority=_levels_from_dict("seniority", data.get("seniority", {})),
        department=_levels_from_dict("department", data.get("department", {})),
    )
    _check_engine([(f"titles.{section}.{value}", p) for section, levels in
                   (("seniority", tmap.seniority), ("department", tmap.department))
                   for value, patterns in levels for p in patterns])
    return tmap


def title_map_to_dict(tmap: TitleMap) -> dict[str, dict[str, list[str]]]:
    """Dump a :class:`TitleMap` as plain data, e.g. for a starter ruleset.

    Args:
        tmap: The map to dump.

    Returns:
        A dict that :func:`title_map_from_dict` turns back into ``tmap``.
    """
    return {
        "seniority": {value: list(patterns) for value, patterns in tmap.seniority},
        "department": {value: list(patterns) for value, patterns in tmap.department},
    }


def _merge_levels(base: Levels, override: Levels) -> Levels:
    replaced = dict(override)
    merged = [(value, replaced.pop(value, patterns)) for value, patterns in base]
    return tuple(merged) + tuple(replaced.items())


def merge_title_maps(base: TitleMap, override: TitleMap) -> TitleMap:
    """Overlay ``override`` on ``base``.

    A value present in ``override`` replaces the same value's patterns in
    ``base`` at base's position; values only in ``override`` come after
    base's, in override's order. An empty pattern list switches a value off.

    Args:
        base: Usually :data:`DEFAULT_TITLE_MAP`.
        override: Usually the ruleset's ``titles:`` section.

    Returns:
        The merged map.
    """
    return TitleMap(
        seniority=_merge_levels(base.seniority, override.seniority),
        department=_merge_levels(base.department, override.department),
    )
