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

The default patterns, and why they are ordered as they are, live in
:mod:`leadq.title_taxonomy`.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

import polars as pl

from leadq.errors import did_you_mean, one_of
from leadq.title_taxonomy import DEFAULT_TITLE_MAP, DEPARTMENTS, SENIORITY_LEVELS, Levels, TitleMap

# Who a title "reports to" ("Assistant to the CEO") is someone else's role.
_REPORTING_LINE = (
    r" (?:to|for) (?:the )?(?:ceo|coo|cfo|cto|cmo|cio|cro|cpo|chro|president|(?:co )?founders?"
    r"|chair\w*|board|owners?|md|managing director|vp|svp|evp|executives?|directors?|partners?"
    r"|chief|head|general manager|gm|c suite|leadership|office of)\b.*$"
)
# German and French assistants of the management ("Assistenz der Geschäftsführung", "Assistant de
# direction", "Referentin des Vorstands"): like the English reporting line, what follows names
# someone else's role, so only the assistant's own word is kept.
_ASSISTANT_OF = (
    r"\b(assist(?:ant|ante|ent|entin|enz)|sekret(?:ä|ae?)r(?:in)?|secr[ée]taire|referent(?:in)?)"
    r" (?:(?:der|des|dem|zur|zum|de la|de l|du|de|d) )?(?:gesch(?:ä|ae?)fts|vorstand|inhaber|direction"
    r"|\w*leit(?:er|erin|ers|ung)\b|pdg\b|dg\b|g[ée]rant|pr[ée]sident|direct(?:eur|rice)).*$"
)
# Compounds that titles spell both joined and apart ("DevOps", "Dev-Ops").
_OPS_COMPOUND = r"\b(dev|rev|sec|fin|ml) ops\b"
# German team-level leads spelt apart ("Team-Leiter", "Projekt Leitung") are joined, so that
# the director-level "Leiter X" / "Leitung X" pattern does not read them.
_LEAD_COMPOUND = r"\b(team|gruppen|projekt|schicht|filial|lager|bau|markt) (leiter|leiterin|leitung)\b"
# Look-around and backreferences compile in Python's `re` but not in Polars.
_UNSUPPORTED = re.compile(r"(?<!\\)(?:\\\\)*(\(\?<?[=!]|\(\?P=|\\[1-9])")
_SECTIONS = {"seniority": SENIORITY_LEVELS, "department": DEPARTMENTS}


def normalise_title_expr(title: pl.Expr) -> pl.Expr:
    """Normalise a raw job title so patterns can stay simple.

    Composes accents (NFC: an "e" followed by a combining accent becomes "é",
    so patterns such as ``pr[ée]sident`` see one letter); lowercases; joins
    dotted abbreviations ("V.P." -> "vp", "I.T." -> "it"); turns every run of
    punctuation and whitespace into one space ("Sr.Mgr, Sales & Ops" -> "sr mgr
    sales ops"); strips; joins split "-ops" compounds ("Dev-Ops" -> "devops")
    and German team-level leads ("Team-Leiter" -> "teamleiter"); drops a
    trailing reporting line ("EA to the CEO" -> "ea", "Assistenz der
    Geschäftsführung" -> "assistenz"). A title that is null, blank or only
    punctuation becomes null.

    Args:
        title: Expression yielding the raw title strings.

    Returns:
        A String expression with the normalised title.
    """
    return (
        # An all-empty column can arrive with dtype Null; give it text.
        title.cast(pl.String)
        .str.normalize("NFC")
        .str.to_lowercase()
        # Only single letters followed by a dot: "sr." must stay a word.
        .str.replace_all(r"\b([a-z])\.", "$1")
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
        .str.replace_all(_OPS_COMPOUND, "${1}ops")
        .str.replace_all(_LEAD_COMPOUND, "${1}${2}")
        .str.replace(_REPORTING_LINE, "")
        .str.replace(_ASSISTANT_OF, "${1}")
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
                       title: str = "job_title", extra: Sequence[pl.Expr] = ()) -> pl.LazyFrame:
    """Add ``seniority`` and ``department`` to ``frame`` from its ``title`` column.

    The regexes run once per distinct title, not once per contact (an export of a
    million contacts holds a few thousand distinct titles), and the two columns
    are joined back on the title, keeping the frame's row order.

    ``extra``: columns computed the same way, once per distinct title (a blank title
    too), from the title, ``seniority`` and ``department`` alone (:data:`TITLE_FIELDS`).
    """
    lookup = frame.select(pl.col(title).unique())
    if not extra:
        lookup = lookup.filter(pl.col(title).is_not_null())
    lookup = lookup.with_columns(seniority_expr(pl.col(title), tmap).alias("seniority"),
                                 department_expr(pl.col(title), tmap).alias("department"))
    if extra:
        lookup = lookup.with_columns(extra)
    return frame.join(lookup, on=title, how="left", maintain_order="left", nulls_equal=bool(extra))


# The fields a column of the title lookup may read (with_title_columns' `extra`).
TITLE_FIELDS = frozenset({"job_title", "seniority", "department"})


def maps_titles(ruleset: Any) -> bool:
    """Whether the contacts have a job title, so that :func:`with_ruleset_titles` adds its columns."""
    return "job_title" in ruleset.columns


def with_ruleset_titles(frame: pl.LazyFrame, ruleset: Any, extra: Sequence[pl.Expr] = ()) -> pl.LazyFrame:
    """``seniority`` and ``department`` from ``job_title`` with the ruleset's title map (the defaults
    merged with its ``titles`` section), and the ``extra`` columns (:func:`with_title_columns`);
    the frame as it is when the ruleset maps no job title."""
    if not maps_titles(ruleset):
        return frame
    tmap = (ruleset.actions.title_map if ruleset.actions else None) or DEFAULT_TITLE_MAP
    return with_title_columns(frame, tmap, extra=extra)


def unmatched_title() -> pl.Expr:
    """True for a lead whose non-blank ``job_title`` no seniority pattern matched (the summary counts them)."""
    blank = pl.col("job_title").cast(pl.String).str.strip_chars().str.len_chars().fill_null(0) == 0
    return ~blank & pl.col("seniority").is_null()


def unmatched_title_text() -> pl.Expr:
    """The ``job_title`` of a lead :func:`unmatched_title` is true for, else null: one column that gives both
    the count (its non-null values) and :func:`top_unmatched_titles`."""
    return pl.when(unmatched_title()).then(pl.col("job_title").cast(pl.String))


# Unmatched titles the summary names, most frequent first.
UNMATCHED_SHOWN = 5


def top_unmatched_titles(titles: pl.Series, n: int = UNMATCHED_SHOWN) -> list[dict[str, Any]]:
    """The ``n`` most frequent titles among ``titles`` (the unmatched ones; nulls are skipped), as
    ``[{"title": ..., "count": ...}]``.

    Titles that normalise alike ("Inhaber", "INHABER ") are one title, shown as first written, since one
    pattern matches them all; ties keep the order of first appearance. One group-by over the unmatched
    titles alone.
    """
    frame = titles.cast(pl.String).drop_nulls().alias("title").to_frame()
    if not frame.height:
        return []
    top = (frame.group_by(normalise_title_expr(pl.col("title")).alias("_key"), maintain_order=True)
           .agg(pl.col("title").first(), pl.len().alias("count"))
           .sort("count", descending=True, maintain_order=True)
           .head(n))
    return top.select("title", "count").to_dicts()


def title_map_yaml(tmap: TitleMap = DEFAULT_TITLE_MAP) -> str:
    """``tmap`` as a ruleset's ``titles:`` section, ready to paste (what ``leadq titles`` prints).

    Every pattern is written in single quotes, where YAML reads a backslash as itself (``'\\bvp\\b'``);
    values come in precedence order, first match wins. Loading the text gives ``tmap`` back.
    """
    def quoted(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    lines = ["titles:"]
    for section, levels in (("seniority", tmap.seniority), ("department", tmap.department)):
        lines.append(f"  {section}:")
        for value, patterns in levels:
            lines.append(f"    {value}:" + ("" if patterns else " []"))
            lines += [f"      - {quoted(p)}" for p in patterns]
    return "\n".join(lines) + "\n"


def _check_pattern(where: str, pattern: Any) -> str:
    if not isinstance(pattern, str) or not pattern.strip():
        raise ValueError(f"{where}: expected a non-empty regex string, got {pattern!r}")
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", pattern):
        # Inside YAML double quotes "\bops\b" is a backspace, ops, a backspace: it matches no title.
        raise ValueError(f"{where}: pattern {pattern!r} holds a control character, which YAML makes of an escape "
                         "such as \"\\b\" inside double quotes: write the pattern in single quotes ('\\bops\\b')")
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


# A pattern-list item that stands for the built-in patterns of its level, as "@personal_email_domains"
# in `lists: personal_email_domains:` stands for the built-in list: ["@builtin", '\bleiter\b'] adds one.
BUILTIN_ITEM = "@builtin"


def _patterns(where: str, patterns: Any, builtin: tuple[str, ...], own: list[tuple[str, str]]) -> tuple[str, ...]:
    """A level's patterns with :data:`BUILTIN_ITEM` replaced by ``builtin`` (each pattern once, first place
    kept); the level's own patterns, checked, are appended to ``own`` as ``(where, pattern)``."""
    out: list[str] = []
    for p in patterns:
        if p == BUILTIN_ITEM:
            out += builtin
            continue
        if isinstance(p, str) and p.startswith("@"):
            # A normalised title holds no "@", so such a pattern could never match: it is a misspelt include.
            raise ValueError(f"{where}: unknown item {p!r}{did_you_mean(p, [BUILTIN_ITEM])}; the only item "
                             f"starting with '@' is '{BUILTIN_ITEM}' (the built-in patterns of this level)")
        own.append((where, _check_pattern(where, p)))
        out.append(p)
    return tuple(dict.fromkeys(out))


def _levels_from_dict(section: str, data: Any, builtin: Levels, own: list[tuple[str, str]]) -> Levels:
    allowed = _SECTIONS[section]
    if not isinstance(data, Mapping):
        raise ValueError(f"titles.{section}: expected a mapping of value -> list of patterns")
    defaults = dict(builtin)
    levels = []
    for value, patterns in data.items():
        where = f"titles.{section}.{value}"
        if value not in allowed:
            raise ValueError(f"{where}: unknown {section} {value!r}{did_you_mean(str(value), allowed)}; {one_of(allowed)}")
        if not isinstance(patterns, (list, tuple)):
            raise ValueError(f"{where}: expected a list of regex patterns, got {type(patterns).__name__}")
        levels.append((value, _patterns(where, patterns, defaults.get(value, ()), own)))
    return tuple(levels)


def title_map_from_dict(data: Mapping[str, Any], builtin: TitleMap = DEFAULT_TITLE_MAP) -> TitleMap:
    """Build a :class:`TitleMap` from a ruleset's ``titles:`` section.

    Args:
        data: ``{"seniority": {level: [pattern, ...]}, "department": {...}}``.
            Key order is the precedence of the map returned here, used on its
            own. A ruleset's ``titles:`` section is not used on its own: it is
            laid over the defaults by :func:`merge_title_maps`, where each
            value keeps the default's position, so there key order does not
            change precedence. Either section may be omitted. Patterns are
            regexes matched case-insensitively against the normalised title
            (see :func:`normalise_title_expr`). The item ``"@builtin"``
            (:data:`BUILTIN_ITEM`) in a list stands for that value's patterns
            in ``builtin``, so ``director: ["@builtin", '\\bleiter\\b']``
            keeps the built-in director patterns and adds one; a list without
            it replaces them.
        builtin: The patterns ``"@builtin"`` stands for (checked already, so
            not checked again).

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
    own: list[tuple[str, str]] = []  # the section's own patterns, for one question to the engine
    tmap = TitleMap(
        seniority=_levels_from_dict("seniority", data.get("seniority", {}), builtin.seniority, own),
        department=_levels_from_dict("department", data.get("department", {}), builtin.department, own),
    )
    _check_engine(own)
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
    To add to a value's patterns rather than replace them, the override's
    list holds base's: :func:`title_map_from_dict` writes them in place of
    its ``"@builtin"`` item.
    The position is base's, not override's, on purpose: the default order is
    a reasoned precedence (seniority from the top down, specialised
    departments before generic ones), and a ruleset that replaces the
    patterns of one level ("ic", say) must not thereby move it above the
    others ("Senior Manager" would become ``ic``).

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
