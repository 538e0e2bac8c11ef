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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import Enum
from typing import Iterator


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


def regex_problem(pattern: str) -> str | None:
    """Return why ``pattern`` is not portable across engines, or None when it is fine.

    Patterns stay within the subset shared by Rust ``regex``, RE2, Java and POSIX
    engines: no lookaround, no backreferences. Whether the pattern compiles is the
    back end's to say (:mod:`leadq.condition_compiler` asks the Rust ``regex`` that runs
    it): Python's ``re`` refuses ``\\p{Lu}`` and reads ``[[:alpha:]]`` otherwise.
    """
    if re.search(r"\(\?<?[=!]", pattern):
        return "lookaround ((?=, (?!, (?<=, (?<!) is not supported"
    if re.search(r"\\[1-9]|\(\?P=", pattern):
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


__all__ = [
    "Type", "Node", "walk", "names_in", "regex_problem", "date_literal", "literal_date",
]
