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
conditions contained in one another).

This module imports Polars only through the ruleset loader and, with
``--data``, to read the data files' headers.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator, Sequence

from leadq.conditions import (
    Arith, Between, Call, Compare, ListRef, Literal, Logical, Name, Node, TextMatch, names_in, walk,
)
from leadq.errors import Position, RulesetError
from leadq.ruleset import Condition, Rule, Ruleset, Tier
from leadq.ruleset_loader import load_ruleset

SEVERITIES = ("error", "warning", "info")
SCORE_VARS = {"fit": "fit", "intent": "intent", "total": "total"}
INF = math.inf


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
        subject = f"{self.subject}: " if self.subject else ""
        return f"{self.location}: {self.severity}: {subject}{self.message} [{self.code}]"


@dataclass(frozen=True)
class Bound:
    """The lowest and highest value a score can take (``-inf`` / ``inf`` when unbounded)."""

    low: float
    high: float
    unbounded_by: tuple[str, ...] = ()  # rule ids that leave the score without a ceiling

    def text(self) -> str:
        """``[-20, 120]`` with ``inf`` written out."""
        def one(v: float) -> str:
            return "unbounded" if math.isinf(v) else f"{v:g}"
        return f"{one(self.low)} to {one(self.high)}"


@dataclass
class LintReport:
    """Every finding for one ruleset, in file order, and the score bounds it used."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    bounds: dict[str, Bound] = field(default_factory=dict)

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
        }


# --------------------------------------------------------------------------- score bounds


def rule_range(rule: Rule) -> tuple[float, float]:
    """The lowest and highest points one rule can give a lead."""
    p = rule.points
    if rule.is_event_rule and rule.per == "event":
        reach = rule.cap if rule.cap is not None else INF
        return (-reach, 0.0) if p < 0 else (0.0, reach if p > 0 else 0.0)
    low, high = min(0.0, p), max(0.0, p)
    if rule.cap is not None:
        low, high = max(low, -rule.cap), min(high, rule.cap)
    return low, high


def score_bounds(ruleset: Ruleset) -> dict[str, Bound]:
    """Bounds of fit, intent and total: sums of every rule's range (an upper bound, since
    rules that exclude each other are counted together)."""
    out: dict[str, Bound] = {}
    for score in ("fit", "intent"):
        rules = [r for r in ruleset.rules if r.score == score]
        ranges = [rule_range(r) for r in rules]
        unbounded = tuple(r.id for r, (lo, hi) in zip(rules, ranges) if math.isinf(hi) or math.isinf(lo))
        out[score] = Bound(sum(lo for lo, _ in ranges), sum(hi for _, hi in ranges), unbounded)
    fit, intent = out["fit"], out["intent"]
    out["total"] = Bound(fit.low + intent.low, fit.high + intent.high, fit.unbounded_by + intent.unbounded_by)
    return out


def reachable_grades(ruleset: Ruleset, fit: Bound) -> dict[str, tuple[float, float]]:
    """Grade letters some reachable fit score gets, with the fit interval of each."""
    out: dict[str, tuple[float, float]] = {}
    above = INF
    for g in ruleset.grades:
        low = -INF if g.min_fit is None else g.min_fit
        # The grade covers [low, above); it is reachable when that meets [fit.low, fit.high].
        if low <= fit.high and above > fit.low:
            out[g.letter] = (low, above)
        above = low
    return out


# --------------------------------------------------------------------------- condition reasoning


def canon(node: Any) -> Any:
    """A hashable form of a condition tree that ignores offsets and the case of text literals."""
    if isinstance(node, Literal):
        v = node.value
        return ("lit", v.strip().lower() if isinstance(v, str) else v)
    if isinstance(node, Node):
        return (type(node).__name__,) + tuple(canon(v) for k, v in vars(node).items() if k != "offset")
    if isinstance(node, tuple):
        return tuple(canon(v) for v in node)
    return node


def _number(node: Node) -> float | None:
    if isinstance(node, Literal) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, Arith) and node.left is None and node.op == "-":
        inner = _number(node.right)
        return -inner if inner is not None else None
    return None


@dataclass(frozen=True)
class Interval:
    """A numeric interval a condition atom requires of one name."""

    name: str
    low: float = -INF
    high: float = INF
    low_open: bool = False
    high_open: bool = False

    def meet(self, other: "Interval") -> "Interval":
        """The intersection of two intervals on the same name."""
        lo = self if (self.low, self.low_open) >= (other.low, other.low_open) else other
        hi = self if (self.high, not self.high_open) <= (other.high, not other.high_open) else other
        return Interval(self.name, lo.low, hi.high, lo.low_open, hi.high_open)

    def empty(self) -> bool:
        """True when no number lies in the interval."""
        return self.low > self.high or (self.low == self.high and (self.low_open or self.high_open))

    def within(self, other: "Interval") -> bool:
        """True when every number in self is also in other."""
        lo_ok = self.low > other.low or (self.low == other.low and (self.low_open or not other.low_open))
        hi_ok = self.high < other.high or (self.high == other.high and (self.high_open or not other.high_open))
        return lo_ok and hi_ok


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}


def interval_of(node: Node) -> Interval | None:
    """The interval a ``name op number`` or ``name between a and b`` atom requires, or None."""
    if isinstance(node, Compare) and node.op in _FLIP:
        name, num, op = node.left, _number(node.right), node.op
        if num is None:
            name, num, op = node.right, _number(node.left), _FLIP[node.op]
        if not isinstance(name, Name) or num is None or name.name == "grade":
            return None
        return {
            "<": Interval(name.name, high=num, high_open=True), "<=": Interval(name.name, high=num),
            ">": Interval(name.name, low=num, low_open=True), ">=": Interval(name.name, low=num),
            "=": Interval(name.name, low=num, high=num),
        }[op]
    if isinstance(node, Between) and not node.negated and isinstance(node.subject, Name):
        low, high = _number(node.low), _number(node.high)
        if low is not None and high is not None:
            return Interval(node.subject.name, low, high)
    return None


def grades_of(node: Node, letters: Sequence[str]) -> set[str] | None:
    """The grade letters a ``grade op "X"`` atom allows (letters best first), or None."""
    if not isinstance(node, Compare) or node.op not in ("=", "!=", "<", "<=", ">", ">="):
        return None
    left, right, op = node.left, node.right, node.op
    if isinstance(right, Name) and right.name == "grade":
        left, right, op = right, left, {"=": "=", "!=": "!=", **_FLIP}[op]
    if not (isinstance(left, Name) and left.name == "grade" and isinstance(right, Literal)
            and isinstance(right.value, str) and right.value.strip().upper() in letters):
        return None
    i = list(letters).index(right.value.strip().upper())
    # Letters are best first, so "grade >= B" is every letter at index <= i.
    pick = {"=": lambda j: j == i, "!=": lambda j: j != i, ">=": lambda j: j <= i, ">": lambda j: j < i,
            "<=": lambda j: j >= i, "<": lambda j: j > i}[op]
    return {letter for j, letter in enumerate(letters) if pick(j)}


class Reasoner:
    """Answers "can this condition ever be true?" and "does A imply B?" from the text alone."""

    def __init__(self, ruleset: Ruleset, bounds: dict[str, Bound]):
        self.letters = ruleset.grade_letters
        self.bounds = bounds
        self.grades = reachable_grades(ruleset, bounds["fit"])

    def _atoms(self, node: Node) -> list[Node]:
        if isinstance(node, Logical) and node.op == "and":
            return [a for op in node.operands for a in self._atoms(op)]
        return [node]

    def impossible(self, node: Node) -> str | None:
        """Why ``node`` can never be true for any lead, or None when it might be."""
        if isinstance(node, Logical) and node.op == "or":
            reasons = [self.impossible(op) for op in node.operands]
            return "; ".join(r for r in reasons if r) if all(reasons) else None
        atoms = self._atoms(node)
        for atom in atoms:
            if isinstance(atom, Logical):
                why = self.impossible(atom)
                if why:
                    return why
        merged: dict[str, Interval] = {}
        for atom in atoms:
            iv = interval_of(atom)
            if iv is None:
                continue
            merged[iv.name] = merged[iv.name].meet(iv) if iv.name in merged else iv
            if merged[iv.name].empty():
                return f"its conditions on {iv.name} contradict each other"
            if iv.name in SCORE_VARS:
                b = self.bounds[iv.name]
                if iv.low > b.high or (iv.low == b.high and iv.low_open):
                    return f"it needs {iv.name} {'>' if iv.low_open else '>='} {iv.low:g} but the highest " \
                           f"reachable {iv.name} is {b.high:g}"
                if iv.high < b.low or (iv.high == b.low and iv.high_open):
                    return f"it needs {iv.name} {'<' if iv.high_open else '<='} {iv.high:g} but the lowest " \
                           f"reachable {iv.name} is {b.low:g}"
        allowed = set(self.grades)
        for atom in atoms:
            letters = grades_of(atom, self.letters)
            if letters is not None:
                allowed &= letters
                if not allowed:
                    return f"no reachable grade meets it (reachable: {', '.join(self.grades)})"
        return None

    def implies(self, a: Node, b: Node) -> bool:
        """True when every lead meeting ``a`` also meets ``b`` (provable from the text)."""
        if canon(a) == canon(b):
            return True
        if isinstance(b, Logical) and b.op == "and":
            return all(self.implies(a, x) for x in b.operands)
        if isinstance(a, Logical) and a.op == "or":
            return all(self.implies(x, b) for x in a.operands)
        if isinstance(a, Logical) and a.op == "and" and any(self.implies(x, b) for x in a.operands):
            return True
        if isinstance(b, Logical) and b.op == "or":
            return any(self.implies(a, x) for x in b.operands)
        ia, ib = interval_of(a), interval_of(b)
        if ia is not None and ib is not None and ia.name == ib.name:
            return ia.within(ib)
        ga, gb = grades_of(a, self.letters), grades_of(b, self.letters)
        if ga is not None and gb is not None:
            return ga <= gb
        return False

    def constrained(self, node: Node) -> set[str]:
        """Names a condition puts numeric or grade bounds on."""
        out = set()
        for atom in self._atoms(node):
            iv = interval_of(atom)
            if iv is not None:
                out.add(iv.name)
            elif grades_of(atom, self.letters) is not None:
                out.add("grade")
        return out


# --------------------------------------------------------------------------- positions


class _Positions:
    """Key positions from the merged YAML, for findings about a single key (``cap:``, a list)."""

    def __init__(self, path: str):
        from leadq.ruleset_loader import _load_merged  # the same merged YAML the loader builds, with positions

        try:
            self.data = _load_merged(path)
        except RulesetError:  # pragma: no cover - the ruleset has just loaded
            self.data = {}

    def key(self, section: str, key: str, default: Position) -> Position:
        sec = self.data.get(section)
        return sec.key_pos.get(key, default) if hasattr(sec, "key_pos") else default

    def item_key(self, section: str, id_key: str, item_id: str, key: str, default: Position) -> Position:
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
                           f"`{shadow.when.text}` of tier '{shadow.name}' (line {shadow.pos.line}), "  # type: ignore[union-attr]
                           "which comes first")
            continue
        for earlier in live:
            shared = reasoner.constrained(tier.when.tree) & reasoner.constrained(earlier.when.tree)  # type: ignore[union-attr]
            both = Logical(0, "and", (tier.when.tree, earlier.when.tree))  # type: ignore[union-attr]
            if shared and reasoner.impossible(both) is None:
                yield _finding("info", "tiers-overlap", tier.pos, subject,
                               f"overlaps tier '{earlier.name}' (line {earlier.pos.line}) on "
                               f"{', '.join(sorted(shared))}: leads meeting both go to '{earlier.name}', "
                               "which comes first")
        live.append(tier)


def check_grades(ruleset: Ruleset, bounds: dict[str, Bound]) -> Iterator[Finding]:
    """Grade letters no reachable fit score gets."""
    reachable = reachable_grades(ruleset, bounds["fit"])
    fit = bounds["fit"]
    for g in ruleset.grades:
        if g.letter in reachable:
            continue
        subject = f"grade '{g.letter}'"
        if g.min_fit is not None and g.min_fit > fit.high:
            yield _finding("warning", "grade-unreachable", g.pos, subject,
                           f"needs fit >= {g.min_fit:g} but the highest reachable fit is {fit.high:g} "
                           "(the sum of the positive fit points)")
        else:
            yield _finding("warning", "grade-unreachable", g.pos, subject,
                           f"is never given: the lowest reachable fit is {fit.low:g}, which already earns a "
                           "better grade")


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
            yield _finding("warning", "disqualifier-not-routed", ruleset.tiers[0].pos, "tiers",
                           f"no tier tests {category} ({', '.join(sorted(names))} or has_reason()): leads with "
                           f"{category} reasons such as '{first.code}' (line {first.pos.line}) can still reach "
                           f"'{ruleset.tiers[0].name}'")


def check_rules(ruleset: Ruleset, positions: _Positions) -> Iterator[Finding]:
    """Caps that cut every point, uncapped event rules, rules with no effect, repeated conditions."""
    called: set[str] = set()
    for _, cond in _conditions(ruleset):
        called |= names_in(cond.tree)[2]
    seen: dict[Any, Rule] = {}
    for r in ruleset.rules:
        subject = f"{r.section} rule '{r.id}'"
        if r.cap is not None and r.cap < abs(r.points):
            pos = positions.item_key(r.section, "id", r.id, "cap", r.pos)
            what = "each event" if r.per == "event" else "the rule"
            yield _finding("warning", "cap-below-points", pos, subject,
                           f"cap {r.cap:g} is below the points ({r.points:g}): {what} is cut to {r.cap:g}, so "
                           f"the {r.points:g} points as written can never count")
        if r.is_event_rule and r.per == "event" and r.cap is None and r.points > 0:
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
                               f"has the same condition as rule '{twin.id}' (line {twin.pos.line}): both always "
                               f"fire together, counting one fact twice in {r.score}")
            else:
                seen[key] = r


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
    """Lists the ruleset defines but no condition uses."""
    from leadq.domain_lists import BUILTIN_LISTS

    used: set[str] = set()
    for _, cond in _conditions(ruleset):
        used |= {n.name for n in walk(cond.tree) if isinstance(n, ListRef)}
    section = positions.data.get("lists") if positions.data else None
    for name in ruleset.lists:
        if name in used or (name in BUILTIN_LISTS and not (hasattr(section, "key_pos") and name in section)):
            continue
        pos = positions.key("lists", name, Position(ruleset.path))
        yield _finding("warning", "unused-list", pos, f"list '{name}'",
                       f"is never used: no condition refers to @{name}")


# --------------------------------------------------------------------------- entry point


def lint_ruleset(path: str, data_specs: Sequence[str] = (), options: Any = None,
                 activity_specs: Sequence[str] = ()) -> LintReport:
    """Load a ruleset and run every check; a load error becomes the report's only (error) finding.

    Args:
        path: the ruleset file (or the name of a built-in ruleset).
        data_specs: contacts files or globs the column mapping and the values are checked against
            (:mod:`leadq.data_check`).
        activity_specs: activity log files or globs whose event types are checked against the event rules.
        options: :class:`leadq.inputs.ReadOptions` for reading those files.

    Raises:
        InputError: a ``data_specs`` file is missing or unreadable.
    """
    report = LintReport(path)
    try:
        ruleset = load_ruleset(path)
    except RulesetError as exc:
        pos = exc.position or Position(path)
        report.findings.append(_finding("error", "load-error", pos, "", exc.message))
        return report
    report.path = ruleset.path
    bounds = score_bounds(ruleset)
    report.bounds = bounds
    reasoner = Reasoner(ruleset, bounds)
    positions = _Positions(ruleset.path)
    findings: list[Finding] = []
    findings += check_tiers(ruleset, reasoner)
    findings += check_grades(ruleset, bounds)
    findings += check_disqualifiers(ruleset, reasoner)
    findings += check_rules(ruleset, positions)
    findings += check_regexes(ruleset)
    findings += check_lists(ruleset, positions)
    if data_specs or activity_specs:
        from leadq.data_check import check_activity_types, check_data

        if data_specs:
            findings += check_data(ruleset, data_specs, options)
        if activity_specs:
            findings += check_activity_types(ruleset, activity_specs, options)
    report.findings = sorted(findings, key=lambda f: (f.path != ruleset.path, f.path, f.line, f.column, f.code))
    return report
