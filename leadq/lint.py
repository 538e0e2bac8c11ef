"""Static checks of a ruleset for ``leadq validate``: findings as data, with positions.

A ruleset that loads can still be wrong in ways that only show after weeks of
scoring: a tier nobody can reach, a cap that cuts every event's points, a
threshold above the highest score any lead can get, a column the export does
not have. Each check here is a small function yielding :class:`Finding` s with
a stable ``code`` (the lint rule id), a severity, the file position and the
ruleset item (rule, tier, grade, list) it concerns.

Severities: ``error`` (the ruleset cannot be used: it does not load, or a
column the conditions read is missing from ``--data``), ``warning`` (it runs,
but something in it can never take effect), ``info`` (worth knowing, often
intended). The reasoning about conditions is syntactic and conservative: a
check only reports what it can prove from the text (interval bounds on
``fit``, ``intent``, ``total`` and number fields, grade letters, and
conditions contained in one another; :mod:`leadq.condition_reasoning`).

This module imports Polars only through the ruleset loader and, with
``--data``, to read the data files' headers.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from leadq.condition_reasoning import (
    Bound, Reasoner, canon, days_since_beyond_window, reachable_grades, rule_range, score_bounds,
)
from leadq.conditions import Call, ListRef, Literal, Logical, Name, TextMatch, names_in, walk
from leadq.errors import Position, RulesetError
from leadq.printable import printable
from leadq.ruleset import Condition, Rule, Ruleset, Tier
from leadq.ruleset_files import STDIN_RULESET
from leadq.ruleset_loader import load_ruleset, read_stdin_ruleset

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One problem found in a ruleset."""

    severity: str  # error | warning | info
    code: str  # stable lint rule id, e.g. "tier-unreachable"
    path: str
    line: int
    column: int
    subject: str  # the ruleset item: "tier 'sql'", "intent rule 'pricing_page'", "" for the whole file
    message: str

    @property
    def location(self) -> str:
        """``file:line:column`` (as far as known)."""
        return str(Position(self.path, self.line, self.column))

    def __str__(self) -> str:
        # Messages quote the data (values, headers): an uploaded file's escape sequences are written escaped.
        subject = f"{self.subject}: " if self.subject else ""
        return printable(f"{self.location}: {self.severity}: {subject}{self.message} [{self.code}]")




@dataclass
class LintReport:
    """Every finding for one ruleset, in file order, and the score bounds it used."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    bounds: dict[str, Bound] = field(default_factory=dict)
    outcomes: Any = None  # leadq.data_check.Outcomes, with --data: each rule's, disqualifier's and tier's leads

    def count(self, severity: str) -> int:
        """Number of findings of one severity."""
        return sum(1 for f in self.findings if f.severity == severity)

    def exit_code(self, strict: bool = False) -> int:
        """0 clean (or only warnings without ``strict``), 1 warnings under ``strict``, 2 errors."""
        if self.count("error"):
            return 2
        if strict and self.count("warning"):
            return 1
        return 0

    def to_dict(self) -> dict:
        """A JSON-ready dict (the ``--json`` output)."""
        return {
            "ruleset": self.path,
            "counts": {s: self.count(s) for s in SEVERITIES},
            "bounds": {k: {"low": None if math.isinf(b.low) else b.low,
                           "high": None if math.isinf(b.high) else b.high,
                           "unbounded_by": list(b.unbounded_by)} for k, b in self.bounds.items()},
            "findings": [asdict(f) for f in self.findings],
            "outcomes": self.outcomes.to_dict() if self.outcomes is not None else None,
        }


# --------------------------------------------------------------------------- positions


class _Positions:
    """Key positions from the merged YAML, for findings about a single key (``cap:``, a list)."""

    def __init__(self, path: str, text: str | None = None):
        from leadq.ruleset_files import load_merged  # the same merged YAML the loader reads, with positions

        try:
            self.data = load_merged(path, text=text)
        except RulesetError:  # pragma: no cover - the ruleset has just loaded
            self.data = {}

    def key(self, section: str, key: str, default: Position) -> Position:
        sec = self.data.get(section)
        return sec.key_pos.get(key, default) if hasattr(sec, "key_pos") else default

    def item_key(self, section: str, id_key: str, item_id: str, key: str,
                 default: Position | None) -> Position | None:
        for item in self.data.get(section) or []:
            if hasattr(item, "key_pos") and item.get(id_key) == item_id:
                return item.key_pos.get(key, default)
        return default


def _finding(severity: str, code: str, pos: Position, subject: str, message: str) -> Finding:
    return Finding(severity, code, pos.path, pos.line, pos.column, subject, message)


def _conditions(ruleset: Ruleset) -> Iterator[tuple[str, Condition]]:
    """Every condition of the ruleset with the name of the item it belongs to."""
    for r in ruleset.rules:
        if r.when is not None:
            yield f"{r.section} rule '{r.id}'", r.when
        if r.where is not None:
            yield f"{r.section} rule '{r.id}'", r.where
    for d in ruleset.disqualifiers:
        yield f"disqualifier '{d.code}'", d.when
    for t in ruleset.tiers:
        if t.when is not None:
            yield f"tier '{t.name}'", t.when


# --------------------------------------------------------------------------- checks


def check_tiers(ruleset: Ruleset, reasoner: Reasoner) -> Iterator[Finding]:
    """Tiers that can never match, tiers caught by an earlier one, and overlapping tiers."""
    live: list[Tier] = []
    for tier in ruleset.tiers:
        if tier.when is None:
            continue
        subject = f"tier '{tier.name}'"
        why = reasoner.impossible(tier.when.tree)
        if why:
            yield _finding("warning", "tier-unreachable", tier.pos, subject, f"can never match: {why}")
            continue
        shadow = next((t for t in live if reasoner.implies(tier.when.tree, t.when.tree)), None)  # type: ignore[union-attr]
        if shadow is not None:
            yield _finding("warning", "tier-shadowed", tier.pos, subject,
                           f"can never be reached: every lead meeting `{tier.when.text}` also meets "
                           f"`{shadow.when.text}` of tier '{shadow.name}' ({_line_of(shadow.pos, tier.pos)}), "  # type: ignore[union-attr]
                           "which comes first")
            continue
        for earlier in live:
            shared = reasoner.constrained(tier.when.tree) & reasoner.constrained(earlier.when.tree)  # type: ignore[union-attr]
            both = Logical(0, "and", (tier.when.tree, earlier.when.tree))  # type: ignore[union-attr]
            if shared and reasoner.impossible(both) is None:
                yield _finding("info", "tiers-overlap", tier.pos, subject,
                               f"overlaps tier '{earlier.name}' ({_line_of(earlier.pos, tier.pos)}) on "
                               f"{', '.join(sorted(shared))}: leads meeting both go to '{earlier.name}', "
                               "which comes first")
        live.append(tier)


def check_grades(ruleset: Ruleset, bounds: dict[str, Bound], positions: _Positions) -> Iterator[Finding]:
    """Grade letters no reachable fit score gets."""
    reachable = reachable_grades(ruleset, bounds["fit"])
    fit = bounds["fit"]
    # Without a grades section the letters are leadq's own (A 40, B 25, C 10, D): say so, at no line.
    built_in = not (positions.data and "grades" in positions.data)
    advice = "; the ruleset has no grades: section, so these are the default grades: add one with your own " \
        "letters and fit thresholds" if built_in else ""
    for g in ruleset.grades:
        if g.letter in reachable:
            continue
        subject = f"grade '{g.letter}'"
        pos = Position(ruleset.path) if built_in else g.pos
        if g.min_fit is not None and g.min_fit > fit.high:
            yield _finding("warning", "grade-unreachable", pos, subject,
                           f"needs fit >= {g.min_fit:g} but the highest reachable fit is {fit.high:g} "
                           f"(the sum of the positive fit points){advice}")
        else:
            yield _finding("warning", "grade-unreachable", pos, subject,
                           f"is never given: the lowest reachable fit is {fit.low:g}, which already earns a "
                           f"better grade{advice}")


def _line_of(pos: Position, finding_at: Position) -> str:
    """``line 12`` of the item a finding refers to; ``b2b_saas.yaml line 216`` when that sits in another file.

    Under ``extends`` the item can come from the parent, whose lines are not those of the file reported.
    """
    if pos.path and finding_at.path and pos.path != finding_at.path:
        return f"{Path(pos.path).name} line {pos.line}"
    return f"line {pos.line}"


def check_disqualifiers(ruleset: Ruleset, reasoner: Reasoner) -> Iterator[Finding]:
    """Disqualifiers that can never fire, and categories no tier acts on."""
    for d in ruleset.disqualifiers:
        why = reasoner.impossible(d.when.tree)
        if why:
            yield _finding("warning", "disqualifier-unreachable", d.pos, f"disqualifier '{d.code}'",
                           f"can never apply: {why}")
    used: set[str] = set()
    codes: set[str] = set()
    for t in ruleset.tiers:
        if t.when is not None:
            fields, _, _ = names_in(t.when.tree)
            used |= fields
            codes |= {n.args[0].value for n in walk(t.when.tree)  # type: ignore[attr-defined]
                      if isinstance(n, Call) and n.name == "has_reason" and n.args and isinstance(n.args[0], Literal)}
    for category, names in (("bad_fit", {"bad_fit", "disqualified"}), ("bad_timing", {"bad_timing"})):
        of_category = [d for d in ruleset.disqualifiers if d.category == category]
        if of_category and not (used & names) and not ({d.code for d in of_category} & codes):
            first = of_category[0]
            reached = _first_tier_open_to(ruleset, category)
            yield _finding("warning", "disqualifier-not-routed", ruleset.tiers[0].pos, "tiers",
                           f"no tier tests {category} ({', '.join(sorted(names))} or has_reason()): leads with "
                           f"{category} reasons such as '{first.code}' ({_line_of(first.pos, ruleset.tiers[0].pos)}) "
                           f"can still reach '{reached.name}'")


_VERDICTS = {"bad_fit": {"bad_fit", "disqualified"}, "bad_timing": {"bad_timing"}}


def _first_tier_open_to(ruleset: Ruleset, category: str) -> Tier:
    """The first tier a lead with only ``category`` reasons can reach: not one that tests another verdict alone.

    A bad-timing lead does not reach a ``when: bad_fit`` tier for its timing; naming that
    tier (the first, in most rulesets) said the opposite of the problem.
    """
    others = set().union(*(names for c, names in _VERDICTS.items() if c != category))
    for tier in ruleset.tiers:
        tree = None if tier.when is None else tier.when.tree
        if not (isinstance(tree, Name) and not tree.raw_column and tree.name in others):
            return tier
    return ruleset.tiers[0]


def check_rule_conditions(ruleset: Ruleset, reasoner: Reasoner) -> Iterator[Finding]:
    """Rules whose condition (``when``, or an event rule's ``where``) can never be true: they never fire."""
    for r in ruleset.rules:
        for cond in (r.when, r.where):
            why = reasoner.impossible(cond.tree) if cond is not None else None
            if why:
                yield _finding("warning", "rule-unreachable", r.pos, f"{r.section} rule '{r.id}'",
                               f"can never fire: `{cond.text}`: {why}")  # type: ignore[union-attr]
                break


def check_rules(ruleset: Ruleset, positions: _Positions) -> Iterator[Finding]:
    """Caps that cut every point, uncapped event rules, rules with no effect, repeated conditions."""
    called: set[str] = set()
    for _, cond in _conditions(ruleset):
        called |= names_in(cond.tree)[2]
    seen: dict[Any, Rule] = {}
    for r in ruleset.rules:
        subject = f"{r.section} rule '{r.id}'"
        if r.cap is not None and r.cap < abs(r.points):
            pos = positions.item_key(r.section, "id", r.id, "cap", r.pos) or r.pos
            what = "each event" if r.per == "event" else "the rule"
            yield _finding("warning", "cap-below-points", pos, subject,
                           f"cap {r.cap:g} is below the points ({r.points:g}): {what} is cut to {r.cap:g}, so "
                           f"the {r.points:g} points as written can never count")
        if r.is_event_rule and r.per == "event" and r.cap is None and r.group is None and r.points > 0:
            yield _finding("info", "uncapped-event-rule", r.pos, subject,
                           f"has no cap: {r.points:g} points for every event makes {r.score} (and total) "
                           "unbounded, so one very active lead can outscore everyone; add `cap:`")
        if r.points == 0 and r.id not in called:
            yield _finding("warning", "rule-no-effect", r.pos, subject,
                           "gives 0 points and no condition uses it (fired(), count(), days_since()); it never "
                           "changes a score or a tier")
        if r.when is not None:
            key = (r.score, canon(r.when.tree))
            if key in seen:
                twin = seen[key]
                yield _finding("warning", "duplicate-condition", r.pos, subject,
                               f"has the same condition as rule '{twin.id}' ({_line_of(twin.pos, r.pos)}): both always "
                               f"fire together, counting one fact twice in {r.score}")
            else:
                seen[key] = r
    for g in ruleset.groups:
        ranges = [rule_range(ruleset.rule(rid)) for rid in g.rules]
        low, high = sum(lo for lo, _ in ranges), sum(hi for _, hi in ranges)
        if -g.cap <= low and high <= g.cap:
            yield _finding("info", "group-cap-unreached", g.pos, f"group '{g.id}'",
                           f"its rules give {low:g} to {high:g} points together, within its cap of {g.cap:g}: "
                           "the cap never applies")


def check_decay(ruleset: Ruleset, positions: _Positions) -> Iterator[Finding]:
    """Event rules whose half-life is longer than their window: the decay never halves any event's points.

    With ``decay: step`` a half-life as long as the window is one too: no event loses any points
    before it drops out (only one exactly at the window's edge would).
    """
    inherited: list[Rule] = []
    for r in ruleset.event_rules:
        if r.half_life_days is None or r.within_days is None:
            continue
        if r.half_life_days < r.within_days or (r.half_life_days == r.within_days and r.decay != "step"):
            continue
        own = [k for k in ("half_life_days", "within_days") if positions.item_key(r.section, "id", r.id, k, None)]
        if not own:  # both from settings: one finding there, naming the rules
            inherited.append(r)
            continue
        yield _finding("warning", "half-life-beyond-window",
                       positions.item_key(r.section, "id", r.id, own[0], r.pos) or r.pos,
                       f"{r.section} rule '{r.id}'",
                       _decay_message(r.half_life_days, r.within_days, "within_days", r.decay == "step"))
    if inherited:
        settings = ruleset.settings
        names = ", ".join(f"'{r.id}'" for r in inherited)
        yield _finding("warning", "half-life-beyond-window",
                       positions.key("settings", "half_life_days", Position(ruleset.path)), "settings",
                       _decay_message(settings.half_life_days, settings.lookback_days, "lookback_days",  # type: ignore[arg-type]
                                      all(r.decay == "step" for r in inherited))
                       + f" (rules {names})")


def _decay_message(half_life: float, window: float, window_key: str, step: bool = False) -> str:
    if step:
        longer = "as long as" if half_life == window else "longer than"
        return (f"half_life_days {half_life:g} with decay: step is {longer} the window ({window_key} {window:g}): "
                f"no event loses any of its points before it drops out of the window at day {window:g}; set "
                f"half_life_days below {window_key} (or `none` for no decay)")
    return (f"half_life_days {half_life:g} is longer than the window ({window_key} {window:g}): no event loses "
            f"even half its points before it drops out of the window at day {window:g}; set half_life_days below "
            f"{window_key} (or `none` for no decay)")


def check_labels(ruleset: Ruleset, positions: _Positions) -> Iterator[Finding]:
    """Two rules (or two disqualifiers) with the same label: explanations and reports cannot tell them apart."""
    rules = [(r.label, f"{r.section} rule '{r.id}'", positions.item_key(r.section, "id", r.id, "label", r.pos) or r.pos)
             for r in ruleset.rules]
    disqualifiers = [(d.label, f"disqualifier '{d.code}'",
                      positions.item_key("disqualifiers", "code", d.code, "label", d.pos) or d.pos)
                     for d in ruleset.disqualifiers]
    groups = [rules, disqualifiers]
    for group in groups:
        seen: dict[str, tuple[str, Position]] = {}
        for label, subject, pos in group:
            key = " ".join(label.split()).casefold()
            if key in seen:
                first, first_pos = seen[key]
                yield _finding("warning", "duplicate-label", pos, subject,
                               f"has the same label '{label}' as {first} ({_line_of(first_pos, pos)}): explanations and "
                               "reports cannot tell them apart; give each its own label")
            else:
                seen[key] = (subject, pos)


def check_regexes(ruleset: Ruleset) -> Iterator[Finding]:
    """``matches "cto"``: a short bare word is a substring search and also matches "director"."""
    for subject, cond in _conditions(ruleset):
        for node in walk(cond.tree):
            if (isinstance(node, TextMatch) and node.op == "matches" and isinstance(node.pattern, Literal)
                    and isinstance(node.pattern.value, str) and re.fullmatch(r"[A-Za-z]{2,4}", node.pattern.value)):
                word = node.pattern.value
                yield _finding("warning", "regex-substring", cond.error_position(node.pattern.offset), subject,
                               f'matches "{word}" is a substring search and also matches longer words '
                               f'containing "{word}"; write "\\b{word}\\b" for the whole word')


def check_lists(ruleset: Ruleset, positions: _Positions) -> Iterator[Finding]:
    """Lists the ruleset file defines but nothing uses (an inherited list is its own file's concern), and
    built-in lists it replaces where it may have meant to add to them."""
    from leadq.domain_lists import BUILTIN_LISTS

    used: set[str] = set()
    for _, cond in _conditions(ruleset):
        used |= {n.name for n in walk(cond.tree) if isinstance(n, ListRef)}
    section = positions.data.get("lists") if positions.data else None
    defined = section if hasattr(section, "key_pos") else {}
    for items in defined.values():  # "@name" in a list includes that list: a use of it
        used |= {item[1:] for item in items or () if isinstance(item, str) and item.startswith("@")}
    accounts = getattr(ruleset.actions, "accounts", None)
    if accounts is not None and "email_domain" in accounts.key:  # the account key skips these domains
        used |= {"personal_email_domains", "disposable_email_domains"}
    for name in ruleset.lists:
        if name in BUILTIN_LISTS and name not in defined:
            continue
        pos = positions.key("lists", name, Position(ruleset.path))
        if pos.path != ruleset.path:  # inherited through extends: this file cannot remove it (its own check says)
            continue
        if name in BUILTIN_LISTS:
            yield from _replaced_builtin(name, ruleset.lists[name], pos)
        if name not in used:
            yield _finding("warning", "unused-list", pos, f"list '{name}'",
                           f"is never used: no condition refers to @{name}")


def _replaced_builtin(name: str, items: tuple, pos: Position) -> Iterator[Finding]:
    """A ruleset list named as a built-in one replaces it; without ``"@name"`` in it, the built-in items it
    leaves out no longer count (``gmx.de`` is no personal domain after ``personal_email_domains: [mail.de]``)."""
    from leadq.domain_lists import load_builtin_list

    builtin = load_builtin_list(name)
    have = {str(v).strip().lower() for v in items}
    dropped = [d for d in builtin if d not in have]
    if not dropped:
        return
    shown = ", ".join(dropped[:3]) + (f" and {len(dropped) - 3:,} more" if len(dropped) > 3 else "")
    own = [str(v) for v in items][:2] or ["example.com"]
    yield _finding("warning", "list-replaces-builtin", pos, f"list '{name}'",
                   f"replaces the built-in list of {len(builtin):,} domains: {shown} no longer count; to add to "
                   f"the built-in list instead, include it: {name}: [\"@{name}\", {', '.join(own)}]")


def _tiers_named(node: Any) -> set[str] | None:
    """The tiers a routing condition limits its leads to (trimmed, lower case), or None when it does not.

    Only what is certain: ``tier = "x"``, ``tier in ["x", "y"]``, an ``and`` holding one of them
    (the intersection), an ``or`` of them all (the union).
    """
    from leadq.conditions import Compare, InList, ListLit

    def text(lit: Any) -> str | None:
        return lit.value.strip().lower() if isinstance(lit, Literal) and isinstance(lit.value, str) else None

    def is_tier(n: Any) -> bool:
        return isinstance(n, Name) and n.name == "tier" and not n.raw_column

    if isinstance(node, Compare) and node.op in ("=", "=="):
        for subject, other in ((node.left, node.right), (node.right, node.left)):
            if is_tier(subject) and text(other) is not None:
                return {text(other)}  # type: ignore[arg-type]
        return None
    if isinstance(node, InList) and not node.negated and is_tier(node.subject) and isinstance(node.items, ListLit):
        values = [text(item) for item in node.items.items]
        return None if None in values else set(values)  # type: ignore[arg-type]
    if isinstance(node, Logical):
        parts = [_tiers_named(op) for op in node.operands]
        if node.op == "and":
            known = [p for p in parts if p is not None]
            return set.intersection(*known) if known else None
        if node.op == "or" and parts and all(p is not None for p in parts):
            return set.union(*parts)  # type: ignore[arg-type]
    return None


def _starts_no_later(tier_sla: Any, route_sla: Any) -> bool:
    """True when the tier SLA's clock always starts no later than the route SLA's.

    The same ``from:`` rules (or none on both) give the same start; a tier SLA with ``from:``
    against a route SLA without starts no later too, as events after the as-of time are not read.
    """
    return set(tier_sla.start_rules) == set(route_sla.start_rules) or not route_sla.start_rules


def _from_text(sla: Any) -> str:
    return f" from {', '.join(sla.start_rules)}" if sla.start_rules else " from the as-of time"


def check_slas(ruleset: Ruleset) -> Iterator[Finding]:
    """Route SLAs that never apply: every lead sent to the route has a tier SLA due no later.

    The earlier due time wins and a tie goes to the tier's SLA, so a route SLA is dead when every
    routing rule to its route names its tiers (``tier in [...]``), and each of those tiers has an SLA
    with the same ``from:`` rules (the same start) and no more hours.
    """
    actions = ruleset.actions
    if actions is None or actions.routing is None or not actions.sla:
        return
    routes = set(actions.routing.routes)
    tier_slas = {sla.key.strip().lower(): sla for sla in actions.sla if sla.key not in routes}
    for sla in actions.sla:
        if sla.key not in routes:
            continue
        named: set[str] = set()
        for rule in actions.routing.rules:
            if rule.route != sla.key:
                continue
            tiers = _tiers_named(rule.when.tree) if rule.when is not None else None
            if tiers is None:
                break
            named |= tiers
        else:
            covering = [tier_slas.get(t) for t in sorted(named)]
            if named and all(s is not None and _starts_no_later(s, sla) and s.hours <= sla.hours for s in covering):
                by = ", ".join(f"'{s.key}' ({s.hours:g} h{_from_text(s)})" for s in covering)  # type: ignore[union-attr]
                yield _finding("warning", "sla-shadowed", sla.pos, f"sla '{sla.key}'",
                               f"never applies: every lead routed to '{sla.key}' has a tier SLA due no later, "
                               f"{by}, than this one ({sla.hours:g} h{_from_text(sla)}); the earlier due time "
                               "wins, a tie the tier's: give the route fewer hours, or drop its SLA")


def _action_conditions(ruleset: Ruleset) -> Iterator[tuple[str, Condition]]:
    """The conditions of routing, nurture and accounts, each with the name of its item."""
    actions = ruleset.actions
    routing = getattr(actions, "routing", None)
    if routing is not None:
        for kind, named in (("segment", routing.segments), ("product line", routing.product_lines)):
            for item in named:
                if item.when is not None:
                    yield f"routing {kind} '{item.name}'", item.when
        for rule in routing.rules:
            if rule.when is not None:
                yield f"routing rule to '{rule.route}'", rule.when
        for flag in routing.flags:
            yield f"routing flag '{flag.id}'", flag.when
    nurture = getattr(actions, "nurture", None)
    for track in nurture.tracks if nurture is not None else ():
        if track.when is not None:
            yield f"nurture track '{track.id}'", track.when
    accounts = getattr(actions, "accounts", None)
    for tier in accounts.tiers if accounts is not None else ():
        if tier.when is not None:
            yield f"accounts tier '{tier.name}'", tier.when


def check_days_since_windows(ruleset: Ruleset, reasoner: Reasoner) -> Iterator[Finding]:
    """Comparisons of ``days_since(event_rule)`` that can never be true: beyond the rule's window, or below 0.

    Reported wherever the comparison stands (inside an ``or``, under ``not``), since the condition
    as written then means something else than it says: ``days_since(habit) > 60 or not fired(habit)``
    over a 30-day rule is just ``not fired(habit)``.
    """
    for subject, cond in [*_conditions(ruleset), *_action_conditions(ruleset)]:
        for node in walk(cond.tree):
            beyond = days_since_beyond_window(node, reasoner.windows)
            if beyond:
                start = min(n.offset for n in walk(node))
                yield _finding("warning", "days-since-beyond-window", cond.error_position(start), subject,
                               f"`{beyond[0]}` can never be true: {beyond[1]}")


# --------------------------------------------------------------------------- entry point


def lint_ruleset(path: str, data_specs: Sequence[str] = (), options: Any = None,
                 activity_specs: Sequence[str] = (), account_specs: Sequence[str] = (),
                 as_of: Any = None) -> LintReport:
    """Load a ruleset and run every check; a load error becomes the report's only (error) finding.

    Args:
        path: the ruleset file (or the name of a built-in ruleset); ``-`` reads it from standard input
            (named ``<stdin>`` in the findings).
        data_specs: contacts files or globs the column mapping and the values are checked against
            (:mod:`leadq.data_check`).
        activity_specs: activity log files or globs whose event types are checked against the event rules.
        account_specs: accounts export files or globs, for scoring ``data_specs``.
        options: :class:`leadq.inputs.ReadOptions` for reading those files.
        as_of: "now" for scoring ``data_specs`` (a timezone-aware datetime; default: the current time):
            the event rules' counts depend on it.

    With ``data_specs``, the mapping and values are checked against the data
    (:func:`leadq.data_check.check_data`: missing columns, unreadable values, quoted text values the
    data spells otherwise). With no error so far, the data is scored as ``leadq score`` scores it, and
    rules that fire for no lead or every lead, disqualifiers hitting most leads and empty tiers
    are reported (:func:`leadq.data_check.check_outcomes`); the counts are ``report.outcomes``.
    With ``activity_specs`` too, a log whose events mostly name no lead of the data is reported
    (:func:`leadq.data_check.check_event_leads`, the diagnosis of ``leadq score``'s summary).

    Raises:
        InputError: a ``data_specs`` file is missing or unreadable.
    """
    from_stdin, text = path == "-", None
    path = STDIN_RULESET if from_stdin else path
    report = LintReport(path)
    try:
        if from_stdin:
            text = read_stdin_ruleset()
        ruleset = load_ruleset(path, text)
    except RulesetError as exc:
        pos = exc.position or Position(path)
        report.findings.append(_finding("error", "load-error", pos, "", exc.message))
        return report
    report.path = ruleset.path
    bounds = score_bounds(ruleset)
    report.bounds = bounds
    reasoner = Reasoner(ruleset, bounds)
    positions = _Positions(ruleset.path, text)
    findings: list[Finding] = []
    findings += check_tiers(ruleset, reasoner)
    findings += check_grades(ruleset, bounds, positions)
    findings += check_disqualifiers(ruleset, reasoner)
    findings += check_rule_conditions(ruleset, reasoner)
    findings += check_days_since_windows(ruleset, reasoner)
    findings += check_rules(ruleset, positions)
    findings += check_decay(ruleset, positions)
    findings += check_labels(ruleset, positions)
    findings += check_regexes(ruleset)
    findings += check_lists(ruleset, positions)
    findings += check_slas(ruleset)
    if data_specs or activity_specs:
        from leadq.data_check import (
            check_activity_types, check_data, check_event_leads, check_outcomes, score_outcomes,
        )

        if data_specs:
            findings += check_data(ruleset, data_specs, options)
        if activity_specs:
            findings += check_activity_types(ruleset, activity_specs, options)
        # Scoring would stop at an error (a column a condition reads is missing): no counts then.
        if data_specs and not any(f.severity == "error" for f in findings):
            report.outcomes = score_outcomes(ruleset, data_specs, activity_specs, account_specs, options, as_of)
            findings += check_outcomes(ruleset, report.outcomes, ", ".join(data_specs), findings)
            findings += check_event_leads(ruleset, report.outcomes, ", ".join(data_specs), ", ".join(activity_specs))
    report.findings = sorted(findings, key=lambda f: (f.path != ruleset.path, f.path, f.line, f.column, f.code))
    return report
