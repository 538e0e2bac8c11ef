"""What a ruleset's conditions can mean, from their text alone: score bounds and condition reasoning.

``leadq validate`` (:mod:`leadq.lint`) asks two kinds of question of a ruleset
without scoring a lead: how low and how high can fit, intent and total go
(:func:`score_bounds`, from each rule's points, caps and ``per``), and can a
condition ever be true, or does one condition imply another
(:class:`Reasoner`, from interval bounds on scores and number fields, grade
letters, the text values and blanks a field may hold, and conditions contained
in one another). The reasoning is syntactic and conservative: it answers only
what it can prove.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from leadq.conditions import (
    Arith, Between, Call, Compare, InList, IsNull, ListLit, ListRef, Literal, Logical, Name, Node, Not, date_literal,
)
from leadq.ruleset import Rule, Ruleset

SCORE_VARS = {"fit": "fit", "intent": "intent", "total": "total"}
INF = math.inf


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
    rules that exclude each other are counted together), each group's sum within its cap."""
    out: dict[str, Bound] = {}
    for score in ("fit", "intent"):
        rules, groups = ruleset.score_parts(score)
        ranges = [rule_range(r) for r in rules]
        unbounded = [r.id for r, (lo, hi) in zip(rules, ranges) if math.isinf(hi) or math.isinf(lo)]
        for group in groups:
            inner = [rule_range(ruleset.rule(rid)) for rid in group.rules]
            low, high = sum(lo for lo, _ in inner), sum(hi for _, hi in inner)
            ranges.append((max(low, -group.cap), min(high, group.cap)))
        out[score] = Bound(sum(lo for lo, _ in ranges), sum(hi for _, hi in ranges), tuple(unbounded))
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


def _days_since_rule(node: Node) -> str | None:
    """The rule of a ``days_since(rule)`` call (or of a date field: the caller tells them apart), or None."""
    if isinstance(node, Call) and node.name == "days_since" and len(node.args) == 1:
        arg = node.args[0]
        if isinstance(arg, Name) and not arg.raw_column:
            return arg.name
    return None


def days_since_interval(node: Node) -> tuple[str, Interval] | None:
    """The rule and the interval a ``days_since(rule) op number`` (or ``between``) atom requires, or None.

    The interval is named ``days_since(rule)``, apart from a field of that name.
    """
    if isinstance(node, Compare) and node.op in _FLIP:
        call, num, op = node.left, _number(node.right), node.op
        if num is None:
            call, num, op = node.right, _number(node.left), _FLIP[node.op]
        rule = _days_since_rule(call)
        if rule is None or num is None:
            return None
        name = f"days_since({rule})"
        return rule, {
            "<": Interval(name, high=num, high_open=True), "<=": Interval(name, high=num),
            ">": Interval(name, low=num, low_open=True), ">=": Interval(name, low=num),
            "=": Interval(name, low=num, high=num),
        }[op]
    if isinstance(node, Between) and not node.negated:
        rule, low, high = _days_since_rule(node.subject), _number(node.low), _number(node.high)
        if rule is not None and low is not None and high is not None:
            return rule, Interval(f"days_since({rule})", low, high)
    return None


def _needs(iv: Interval) -> str:
    """``> 60``, ``between 0 and 10``: what an interval asks of its name, as the condition would say it."""
    if math.isinf(iv.low) and math.isinf(iv.high):
        return "any value"
    if math.isinf(iv.high):
        return f"{'>' if iv.low_open else '>='} {iv.low:g}"
    if math.isinf(iv.low):
        return f"{'<' if iv.high_open else '<='} {iv.high:g}"
    if iv.low == iv.high and not (iv.low_open or iv.high_open):
        return f"= {iv.low:g}"
    if not (iv.low_open or iv.high_open):
        return f"between {iv.low:g} and {iv.high:g}"
    return f"{'>' if iv.low_open else '>='} {iv.low:g} and {'<' if iv.high_open else '<='} {iv.high:g}"


def days_since_beyond_window(node: Node, windows: dict[str, float]) -> tuple[str, str] | None:
    """The comparison (``days_since(habit) > 60``) and why it can never be true, for a
    ``days_since(rule) op number`` atom over an event rule; None when it can be, or is no such atom.

    ``days_since(rule)`` is the age of the rule's latest matching event, and the rule matches
    events of its window only (``within_days``, else ``settings.lookback_days``), none after the
    as-of time: it lies between 0 and the window, or is blank (no matching event), and a
    comparison with a blank is false. ``windows`` maps each event rule to its window in days.
    """
    found = days_since_interval(node)
    if found is None or found[0] not in windows:
        return None
    rule, iv = found
    window = windows[rule]
    if not iv.meet(Interval(iv.name, 0.0, window)).empty():
        return None
    comparison = f"{iv.name} {_needs(iv)}"
    if iv.high < 0 or (iv.high == 0 and iv.high_open):
        return comparison, f"{iv.name} is never below 0 (events after the as-of time are not counted)"
    return comparison, (f"rule '{rule}' looks back {window:g} days (its window), so {iv.name} is at most "
                        f"{window:g}, or blank when no event matched in them")


def bounded_subjects(node: Node) -> set[tuple[bool, str]]:
    """The fields a condition is false without, keyed as :func:`text_set` keys them.

    A bound on a number (``size > 50``, ``size between 1 and 5``) is false on a blank: a
    comparison with null is null, which counts as false. So is an ``and`` holding such a
    bound, and an ``or`` whose every branch holds one on the same field. ``size is null and
    size > 50`` is therefore never true.
    """
    if isinstance(node, Logical):
        parts = [bounded_subjects(op) for op in node.operands]
        if node.op == "and":
            return set().union(*parts)
        return set.intersection(*parts) if parts else set()
    if interval_of(node) is None:
        return set()
    if isinstance(node, Between):
        name = node.subject
    else:
        name = node.left if isinstance(node.left, Name) and _number(node.right) is not None else node.right
    return {(name.raw_column, name.name)} if isinstance(name, Name) else set()


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


@dataclass(frozen=True)
class TextSet:
    """The values of one text field that make a condition true.

    A value is blank (null) or a text, compared as leadq compares it: stripped
    and lower-cased. ``values`` are such texts: the only ones allowed when
    ``finite``, else the only ones refused, so that ``=``, ``in``, ``not in``,
    ``is null`` and ``not`` all have an exact set, and ``and`` / ``or`` meet and
    join them. A text that is blank but not null (a raw column) is one more
    text, ``""``: counting it as possible only makes the reasoning more careful.
    """

    null: bool
    finite: bool
    values: frozenset[str] = frozenset()

    def meet(self, other: "TextSet") -> "TextSet":
        """Values in both sets."""
        if self.finite and other.finite:
            values, finite = self.values & other.values, True
        elif self.finite:
            values, finite = self.values - other.values, True
        elif other.finite:
            values, finite = other.values - self.values, True
        else:
            values, finite = self.values | other.values, False
        return TextSet(self.null and other.null, finite, values)

    def complement(self) -> "TextSet":
        """Values not in the set (``not``: every test is already true or false, blanks included)."""
        return TextSet(not self.null, not self.finite, self.values)

    def join(self, other: "TextSet") -> "TextSet":
        """Values in either set."""
        return self.complement().meet(other.complement()).complement()

    def empty(self) -> bool:
        """True when no value, blank or text, is in the set (there are endless texts to refuse)."""
        return not self.null and self.finite and not self.values


EVERY_VALUE = TextSet(null=True, finite=False)


def _text_subject(node: Node) -> tuple[bool, str] | None:
    # Grades compare by rank, not text (grades_of reasons about them).
    if isinstance(node, Name) and (node.raw_column or node.name != "grade"):
        return node.raw_column, node.name
    return None


def _norm(value: str) -> str:
    # As leadq.condition_compiler turns a literal into what it compares with.
    return value.strip().lower()


def text_set(node: Node, lists: dict[str, tuple]) -> tuple[tuple[bool, str], TextSet] | None:
    """The field a condition tests and the text values that make it true, or None when the condition
    tests more than one field or anything but equality, lists and blanks (``matches``, ``contains`` ...)."""
    if isinstance(node, Compare) and node.op in ("=", "!="):
        subject, lit = node.left, node.right
        key = _text_subject(subject)
        # A text literal only on the right: the compiler lower-cases a left one with Polars, not Python.
        if key is None or not isinstance(lit, Literal) or not isinstance(lit.value, str):
            return None
        # A date field compared with a date is not text; any other text literal means a text field.
        if date_literal(lit.value) is not None:
            return None
        equal = TextSet(null=False, finite=True, values=frozenset({_norm(lit.value)}))
        # "!=" is false on a blank, like "=".
        return key, equal if node.op == "=" else TextSet(null=False, finite=False, values=equal.values)
    if isinstance(node, InList):
        key = _text_subject(node.subject)
        if key is None:
            return None
        if isinstance(node.items, ListRef):
            if node.items.name not in lists:
                return None
            items = list(lists[node.items.name])
        elif isinstance(node.items, ListLit):
            items = [i.value if isinstance(i, Literal) else i for i in node.items.items]
        else:
            return None
        # Numbers in the list mean a number field (an empty list is no value of any type).
        if not all(isinstance(v, str) for v in items):
            return None
        within = TextSet(null=False, finite=True, values=frozenset(_norm(v) for v in items))
        return key, within.complement() if node.negated else within
    if isinstance(node, IsNull):
        key = _text_subject(node.subject)
        if key is None:
            return None
        blank = TextSet(null=True, finite=True, values=frozenset({""}) if node.empty else frozenset())
        return key, blank.complement() if node.negated else blank
    if isinstance(node, Not):
        inner = text_set(node.operand, lists)
        return (inner[0], inner[1].complement()) if inner else None
    if isinstance(node, Logical):
        parts = [text_set(op, lists) for op in node.operands]
        if not parts or any(p is None or p[0] != parts[0][0] for p in parts):  # type: ignore[index]
            return None
        combined = parts[0][1]  # type: ignore[index]
        for _, s in parts[1:]:  # type: ignore[misc]
            combined = combined.meet(s) if node.op == "and" else combined.join(s)
        return parts[0][0], combined  # type: ignore[index]
    return None


def _only_blanks(values: TextSet) -> bool:
    """True when a set allows nothing but a blank (null, or a text that is empty once stripped)."""
    return values.finite and values.values <= {""}


def _label(key: tuple[bool, str]) -> str:
    raw, name = key
    return f"`{name}`" if raw else name


class Reasoner:
    """Answers "can this condition ever be true?" and "does A imply B?" from the text alone."""

    def __init__(self, ruleset: Ruleset, bounds: dict[str, Bound]):
        self.letters = ruleset.grade_letters
        self.bounds = bounds
        self.grades = reachable_grades(ruleset, bounds["fit"])
        self.lists = ruleset.lists
        self.windows = {r.id: r.within_days for r in ruleset.event_rules if r.within_days is not None}

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
        ages: dict[str, Interval] = {}
        for atom in atoms:
            beyond = days_since_beyond_window(atom, self.windows)
            if beyond:
                return f"it needs {beyond[0]}, but {beyond[1]}"
            found = days_since_interval(atom)
            if found is not None:
                iv = found[1]
                ages[iv.name] = ages[iv.name].meet(iv) if iv.name in ages else iv
                if ages[iv.name].empty():
                    return f"its conditions on {iv.name} contradict each other"
        texts: dict[tuple[bool, str], tuple[TextSet, int]] = {}
        for atom in atoms:
            found = text_set(atom, self.lists)
            if found is None:
                continue
            key, values = found
            before, count = texts.get(key, (EVERY_VALUE, 0))
            values = values.meet(before)
            texts[key] = (values, count + 1)
            if values.empty():
                if count:
                    return f"its conditions on {_label(key)} contradict each other"
                return f"no value of {_label(key)} meets it"
        for atom in atoms:
            for key in sorted(bounded_subjects(atom)):
                if key in texts and _only_blanks(texts[key][0]):
                    return f"its conditions on {_label(key)} contradict each other"
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
        ta, tb = text_set(a, self.lists), text_set(b, self.lists)
        if ta is not None and tb is not None and ta[0] == tb[0]:
            return ta[1].meet(tb[1].complement()).empty()
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
