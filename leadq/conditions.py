"""The condition language: a small, safe expression language parsed by leadq itself.

Rulesets write conditions as text an analyst can read aloud::

    job_title matches "\\bdirector\\b" and company_size between 200 and 1000
    email_domain in @personal_email_domains
    days_since(demo_request) <= 14 and grade >= "B"

This module holds the language's value types and its syntax tree of plain
dataclasses, with the queries every reader of a tree shares (:func:`walk`,
:func:`names_in`) and the checks of its literals (portable regexes, dates).
:mod:`leadq.condition_parser` turns the text into a tree; it is never handed to
``eval``. :mod:`leadq.condition_compiler` turns a tree into one ``pl.Expr``
against a scope of the names that place of the ruleset may use, and
:mod:`leadq.sqlgen.conditions` into SQL; this module knows neither.

Semantics worth knowing:

* Text comparisons (``=``, ``!=``, ``in``, ``contains``, ``starts with``,
  ``ends with``, ``matches``) ignore case and surrounding spaces.
* A predicate on a blank (null) value is false, so ``not`` of it is true:
  two-valued logic, the way analysts read rules.
* ``grade >= "B"`` means "grade B or better".
* ``industry has "Internet"`` tests the items of a multi-select value
  (``"Computer Software;Internet"``, items separated by ``;`` as HubSpot and
  Salesforce export them), each compared as text is. The parser lowers it to a
  ``matches`` of :func:`item_pattern` (a :class:`ItemPattern`), which every
  engine runs; only ``has @list`` stays a :class:`HasItems` node, as the list's
  items are known when the condition is compiled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Iterator
from zoneinfo import ZoneInfo


class Type(str, Enum):
    """Value types the language knows."""

    NUMBER = "number"
    TEXT = "text"
    BOOL = "boolean"
    DATETIME = "datetime"
    GRADE = "grade"
    LIST = "list"


# --------------------------------------------------------------------------- tree


@dataclass(frozen=True)
class Node:
    """Base of every syntax-tree node; ``offset`` points into the condition text."""

    offset: int


@dataclass(frozen=True)
class Literal(Node):
    """A number, text, boolean or null constant."""

    value: object


@dataclass(frozen=True)
class Name(Node):
    """A field name (``job_title``) or a raw column (`` `Job Title` ``)."""

    name: str
    raw_column: bool = False


@dataclass(frozen=True)
class ListLit(Node):
    """An inline list ``["a", "b"]``."""

    items: tuple[Literal, ...]


@dataclass(frozen=True)
class ListRef(Node):
    """A named list ``@personal_email_domains``."""

    name: str


@dataclass(frozen=True)
class Call(Node):
    """A call of a documented function, ``days_since(demo_request)``."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Arith(Node):
    """Arithmetic: ``+ - * /`` on numbers, or unary minus when ``left`` is None."""

    op: str
    left: Node | None
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    """Comparison ``= != < <= > >=``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Logical(Node):
    """``and`` / ``or`` over two or more operands."""

    op: str
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    """Negation."""

    operand: Node


@dataclass(frozen=True)
class InList(Node):
    """``x in [..]`` / ``x in @list`` (``negated`` for ``not in``)."""

    subject: Node
    items: Node
    negated: bool = False


@dataclass(frozen=True)
class Between(Node):
    """``x between low and high`` (inclusive)."""

    subject: Node
    low: Node
    high: Node
    negated: bool = False


@dataclass(frozen=True)
class TextMatch(Node):
    """``matches``, ``contains``, ``starts with``, ``ends with`` (case-insensitive)."""

    op: str
    subject: Node
    pattern: Node
    negated: bool = False


@dataclass(frozen=True)
class HasItems(Node):
    """``x has @list`` / ``x has all @list`` (``negated`` for ``not has``): an item of ``x`` is (every) one of the list's.

    Text and inline lists after ``has`` are lowered by the parser to a :class:`TextMatch` on an
    :class:`ItemPattern`; a named list's items are known only when compiling.
    """

    subject: Node
    items: Node
    all: bool = False
    negated: bool = False


@dataclass(frozen=True)
class ItemPattern(Literal):
    """The regex (``value``) a ``has`` test was lowered to, with the ``items`` it looks for as written."""

    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class IsNull(Node):
    """``x is null`` / ``x is empty`` (``negated`` for ``is not``)."""

    subject: Node
    empty: bool = False
    negated: bool = False


# --------------------------------------------------------------------------- queries


def walk(node: object) -> Iterator[Node]:
    """Every node of a tree, parents before their operands, left to right."""
    if isinstance(node, Node):
        yield node
        for value in vars(node).values():
            yield from walk(value)
    elif isinstance(node, tuple):
        for item in node:
            yield from walk(item)


def names_in(node: Node) -> tuple[set[str], set[str], set[str]]:
    """Return the (field names, raw columns, rule ids used in calls) a tree refers to.

    A plain name given to a function (``fired(demo_request)``) counts as a rule id.
    """
    nodes = list(walk(node))
    call_args = {id(a) for n in nodes if isinstance(n, Call) for a in n.args
                 if isinstance(a, Name) and not a.raw_column}
    fields: set[str] = set()
    raws: set[str] = set()
    rules: set[str] = set()
    for n in nodes:
        if isinstance(n, Name):
            (rules if id(n) in call_args else raws if n.raw_column else fields).add(n.name)
    return fields, raws, rules


ITEM_SEPARATOR = ";"

# The characters that mean something in a regex outside a [...] class, in every engine leadq writes
# SQL for (Rust, RE2, Java, PostgreSQL, Snowflake): a backslash before each makes it literal in all of
# them. '-', '&', '~' and '#' are literal there already (escaping them is an error in some).
_REGEX_META = re.compile(r"([\\.+*?()|\[\]{}^$])")


def item_pattern(items: tuple[str, ...] | list[str]) -> str:
    """A regex (run case-insensitively) finding any of ``items`` as a whole item of a ``;``-separated value.

    ``item_pattern(["C++"])`` is ``(?:^|;)\\s*(?:C\\+\\+)\\s*(?:;|$)``: the item between the value's
    start or a ``;`` and a ``;`` or its end, spaces around it allowed, as text comparisons trim.
    """
    alternatives = "|".join(_REGEX_META.sub(r"\\\1", item.strip()) for item in items)
    sep = re.escape(ITEM_SEPARATOR)
    return rf"(?:^|{sep})\s*(?:{alternatives})\s*(?:{sep}|$)"


def regex_problem(pattern: str) -> str | None:
    """Return why ``pattern`` is not portable across engines, or None when it is fine.

    Patterns stay within the subset shared by Rust ``regex``, RE2, Java and POSIX
    engines: no lookaround, no backreferences. Whether the pattern compiles is the
    back end's to say (:mod:`leadq.condition_compiler` asks the Rust ``regex`` that runs
    it): Python's ``re`` refuses ``\\p{Lu}`` and reads ``[[:alpha:]]`` otherwise.
    """
    if re.search(r"\(\?<?[=!]", pattern):
        return "lookaround ((?=, (?!, (?<=, (?<!) is not supported"
    if re.search(r"(?<!\\)(?:\\\\)*\\[1-9]|\(\?P=", pattern):  # not an escaped backslash and a digit
        return "backreferences are not supported"
    return None


def date_literal(value: str) -> datetime | None:
    """A date or date-time literal of a condition ("2026-01-31", "2026-01-31T09:00:00") as UTC; None if it is not one."""
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def literal_date(value: str | date | datetime) -> datetime:
    """Turn a date given by the user into a UTC datetime (used for --as-of and --from/--to)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"cannot read {value!r} as a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def zoned_date(value: str, tz: str = "UTC") -> datetime:
    """A date or time given by the user as a UTC instant, a value without offset read in ``tz``.

    ``tz`` is an IANA zone (the ruleset's ``settings.timezone``). A date is midnight in ``tz``
    (where a daylight saving change skips midnight, the first instant of that day); a time
    without an offset is that wall time in ``tz``; a time with an offset (or ``Z``) is that
    instant. A wall time the clocks skip (2026-03-08T02:30 in America/New_York) is refused; one
    they repeat (2026-11-01T01:30 there) is the earlier of the two (its offset before the change).

    Raises:
        ValueError: the text is not a date, or is a wall time that does not exist in ``tz``.
        OverflowError: the instant is outside the years 1 to 9999 once in UTC.
    """
    moment = literal_date(value)  # a zone-less value comes back as its wall time in UTC
    if datetime.fromisoformat(value.strip().replace("Z", "+00:00")).tzinfo is not None:
        return moment
    zone, wall = ZoneInfo(tz), moment.replace(tzinfo=None)
    at = wall.replace(tzinfo=zone)  # fold=0: in a gap, the offset before the change; in a fold, the earlier time
    instant = at.astimezone(timezone.utc)
    if instant.astimezone(zone).replace(tzinfo=None) == wall or _is_date_only(value):
        return instant
    before, after = at.utcoffset(), wall.replace(tzinfo=zone, fold=1).utcoffset()
    raise ValueError(f"{value.strip()!r} does not exist in {tz}: the clocks go from UTC{_offset(before)} to "
                     f"UTC{_offset(after)} then and skip it; give a time outside the skipped {_duration(after - before)}, "
                     "or one with its UTC offset")


def _is_date_only(text: str) -> bool:
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return "hour" if minutes == 60 else f"{minutes} minutes"


def as_of_limits() -> tuple[int, int]:
    """The first and last years (in the ruleset's time zone) an as-of time may fall in.

    The last leaves room for the longest delay a ruleset may add to the as-of time (a nurture
    track's ``recheck_days``, an SLA's ``hours``: a hundred years each) before the year 10000,
    which no output can write. Before 1900 nothing is scored in earnest, and a case file's
    ``days_ago`` (up to a hundred years) or the funnel's calendar stop working near the year 1.
    """
    from leadq.ruleset_actions import MAX_RECHECK_DAYS, MAX_SLA_HOURS  # imported here: it imports this module

    longest = max(timedelta(days=MAX_RECHECK_DAYS), timedelta(hours=MAX_SLA_HOURS))
    # The year before the one the delay could reach from the last instant of the year (and a day for the zone).
    return 1900, (datetime(9999, 12, 31) - longest - timedelta(days=1)).year - 1


def as_of_date(value: str, tz: str = "UTC") -> datetime:
    """An as-of time ("now" of a run) given as text, as a UTC instant: :func:`zoned_date`, within :func:`as_of_limits`.

    Raises:
        ValueError: not a date, a wall time that does not exist in ``tz``, or out of range (the
            message gives the years allowed).
    """
    first, last = as_of_limits()
    try:
        instant = zoned_date(value, tz)
        year = instant.astimezone(ZoneInfo(tz)).year
    except OverflowError:
        year = None
    if year is None or not first <= year <= last:
        raise ValueError(f"{value.strip()!r} is out of range; give a time in the years {first} to {last} (a nurture "
                         "recheck or an SLA due time may fall a hundred years after it)")
    return instant


__all__ = [
    "Type", "Node", "HasItems", "ItemPattern", "ITEM_SEPARATOR", "item_pattern", "walk", "names_in", "regex_problem",
    "date_literal", "literal_date", "zoned_date", "as_of_date", "as_of_limits",
]
