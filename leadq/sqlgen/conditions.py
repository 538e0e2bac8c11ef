"""Condition syntax trees (:mod:`leadq.conditions`) -> sqlglot expressions.

This is the SQL twin of ``leadq.condition_compiler._Compiler``: the same tree, the same
types and the same semantics, so that a rule means the same on every engine:

* text is compared lower-cased and trimmed (fields are trimmed when typed; literals here);
* a predicate on a blank value is false (``COALESCE(p, FALSE)``), so ``not`` of it is true;
* ``grade >= "B"`` compares negated grade ranks, exactly as the Polars compiler does;
* ``matches`` is a case-insensitive substring regex in every dialect (see :mod:`.dialects`).

Rulesets are validated (names, types, regexes) when loaded, by compiling them to
Polars; this module can therefore trust the tree and raises only for the few
constructs the SQL engines do not support.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from sqlglot import exp

from leadq.conditions import (
    Arith, Between, Call, Compare, HasItems, InList, IsNull, ListLit, ListRef, Literal, Logical, Name, Node, Not,
    TextMatch, Type, date_literal, item_pattern,
)
from leadq.errors import RulesetError
from leadq.sqlgen.dialects import SqlDialect, cast


@dataclass(frozen=True)
class SqlField:
    """How a name compiles in SQL: its expression and its type."""

    expr: exp.Expression
    type: Type


@dataclass
class SqlScope:
    """Everything a condition may name in one place of the ruleset (SQL flavour)."""

    fields: dict[str, SqlField]
    where: str = "condition"
    raw_columns: dict[str, SqlField] = field(default_factory=dict)
    lists: dict[str, tuple] = field(default_factory=dict)
    functions: dict[str, Callable[[Node], tuple[exp.Expression, Type]]] = field(default_factory=dict)
    grades: tuple[str, ...] = ()


def col(name: str) -> exp.Column:
    """A quoted column reference (names are kept exactly as written)."""
    return exp.column(name, quoted=True)


def dbl(value: float) -> exp.Expression:
    """A double-precision constant (never a DECIMAL, so sums stay floating point everywhere)."""
    return cast(exp.Literal.number(repr(float(value))), "DOUBLE")


def num(value: float) -> exp.Expression:
    """A numeric constant for comparisons (negative numbers as a unary minus)."""
    value = float(value)
    text = repr(abs(value)).replace("inf", "1e999")
    lit = exp.Literal.number(text)
    return exp.Neg(this=lit) if value < 0 or (value == 0 and str(value).startswith("-")) else lit


def false() -> exp.Expression:
    """The constant FALSE."""
    return exp.Boolean(this=False)


def predicate(expr: exp.Expression) -> exp.Expression:
    """A condition that is never null: blank values make it false."""
    if isinstance(expr, (exp.Boolean, exp.Coalesce, exp.Is)):
        return expr
    return exp.Coalesce(this=expr, expressions=[false()])


def negate(expr: exp.Expression) -> exp.Expression:
    """NOT of a never-null condition."""
    return exp.Not(this=exp.Paren(this=expr))


def lower_text(expr: exp.Expression, dialect: SqlDialect) -> exp.Expression:
    """Text as conditions compare it: lower-cased and trimmed (:meth:`SqlDialect.trim`)."""
    return exp.Lower(this=dialect.trim(expr))


def days_between(dialect: SqlDialect, as_of: datetime, ts: exp.Expression) -> exp.Expression:
    """Fractional days from ``ts`` to ``as_of`` (microsecond precision, as in Polars)."""
    as_of_us = int(as_of.timestamp()) * 1_000_000 + as_of.microsecond
    diff = exp.Sub(this=exp.Literal.number(as_of_us), expression=dialect.epoch_us(ts))
    return exp.Div(this=cast(exp.Paren(this=diff), "DOUBLE"), expression=dbl(86_400_000_000))


def _and(parts: list[exp.Expression]) -> exp.Expression:
    out = parts[0]
    for p in parts[1:]:
        out = exp.And(this=out, expression=p)
    return exp.Paren(this=out)


def _or(parts: list[exp.Expression]) -> exp.Expression:
    out = parts[0]
    for p in parts[1:]:
        out = exp.Or(this=out, expression=p)
    return exp.Paren(this=out)


class SqlConditionCompiler:
    """Compile one already validated condition tree against a :class:`SqlScope`."""

    def __init__(self, scope: SqlScope, dialect: SqlDialect):
        self.scope = scope
        self.dialect = dialect

    def condition(self, node: Node) -> exp.Expression:
        """The tree as a never-null boolean expression."""
        return predicate(self.bool_(node))

    def bool_(self, node: Node) -> exp.Expression:
        expr, typ = self.value(node)
        if typ is not Type.BOOL:
            raise RulesetError(f"{self.scope.where}: expected a true/false condition")
        return expr

    def value(self, node: Node) -> tuple[exp.Expression, Type]:
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node)

    # leaves
    def _literal(self, node: Literal) -> tuple[exp.Expression, Type]:
        v = node.value
        if isinstance(v, bool):
            return exp.Boolean(this=v), Type.BOOL
        if isinstance(v, (int, float)):
            return num(v), Type.NUMBER
        return exp.Literal.string(str(v)), Type.TEXT

    def _name(self, node: Name) -> tuple[exp.Expression, Type]:
        pool = self.scope.raw_columns if node.raw_column else self.scope.fields
        ref = pool.get(node.name)
        if ref is None:
            raise RulesetError(f"{self.scope.where}: '{node.name}' is not available to the SQL engines")
        return ref.expr.copy(), ref.type

    def _call(self, node: Call) -> tuple[exp.Expression, Type]:
        fn = self.scope.functions.get(node.name)
        if fn is None:
            raise RulesetError(f"{self.scope.where}: function {node.name}() is not available here")
        return fn(node)

    def _arith(self, node: Arith) -> tuple[exp.Expression, Type]:
        right, _ = self.value(node.right)
        if node.left is None:
            return exp.Neg(this=exp.Paren(this=right)), Type.NUMBER
        left, _ = self.value(node.left)
        ops = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul, "/": exp.Div}
        # Doubles on both sides: integer division must never happen.
        return exp.Paren(this=ops[node.op](this=cast(left, "DOUBLE"), expression=right)), Type.NUMBER

    # comparisons
    def _pair(self, left: Node, right: Node) -> tuple[exp.Expression, exp.Expression, Type]:
        lexpr, lt = self.value(left)
        rexpr, rt = self.value(right)
        if lt is Type.GRADE or rt is Type.GRADE:
            return self._grade(left, lexpr, lt), self._grade(right, rexpr, rt), Type.NUMBER
        if lt is Type.DATETIME and rt is Type.TEXT and isinstance(right, Literal):
            rexpr, rt = self._date(right), Type.DATETIME
        if rt is Type.DATETIME and lt is Type.TEXT and isinstance(left, Literal):
            lexpr, lt = self._date(left), Type.DATETIME
        if lt is Type.TEXT:
            lexpr = exp.Literal.string(str(left.value).strip().lower()) if isinstance(left, Literal) \
                else lower_text(lexpr, self.dialect)
            rexpr = exp.Literal.string(str(right.value).strip().lower()) if isinstance(right, Literal) \
                else lower_text(rexpr, self.dialect)
        return lexpr, rexpr, lt

    def _date(self, node: Literal) -> exp.Expression:
        parsed = date_literal(str(node.value))
        if parsed is None:  # pragma: no cover - rejected when the ruleset is loaded
            raise RulesetError(f"{self.scope.where}: cannot read {node.value!r} as a date")
        return self.dialect.timestamp_literal(parsed.strftime("%Y-%m-%d %H:%M:%S"))

    def _grade(self, node: Node, expr: exp.Expression, typ: Type) -> exp.Expression:
        if typ is Type.GRADE:
            return expr
        letter = str(node.value).strip().upper()  # type: ignore[attr-defined]
        return num(-float(self.scope.grades.index(letter)))

    def _compare(self, node: Compare) -> tuple[exp.Expression, Type]:
        left, right, _ = self._pair(node.left, node.right)
        ops = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
        return predicate(ops[node.op](this=left, expression=right)), Type.BOOL

    def _logical(self, node: Logical) -> tuple[exp.Expression, Type]:
        # Each operand is made never-null first; for and/or (monotone) that equals
        # Polars' Kleene logic followed by the final fill with false.
        parts = [predicate(self.bool_(op)) for op in node.operands]
        return (_and(parts) if node.op == "and" else _or(parts)), Type.BOOL

    def _not(self, node: Not) -> tuple[exp.Expression, Type]:
        return negate(predicate(self.bool_(node.operand))), Type.BOOL

    def _items(self, node: Node) -> list:
        if isinstance(node, ListRef):
            return list(self.scope.lists[node.name])
        if isinstance(node, ListLit):
            return [item.value for item in node.items]
        raise RulesetError(f"{self.scope.where}: expected a list")  # pragma: no cover

    def _inlist(self, node: InList) -> tuple[exp.Expression, Type]:
        subject, st = self.value(node.subject)
        values = self._items(node.items)
        if st is Type.TEXT:
            subject = lower_text(subject, self.dialect)
            items = [exp.Literal.string(str(v).strip().lower()) for v in values]
        elif st is Type.GRADE:
            items = [num(-float(self.scope.grades.index(str(v).upper()))) for v in values]
        else:
            items = [num(float(v)) for v in values]
        expr = predicate(exp.In(this=subject, expressions=items)) if items else false()
        return (negate(expr) if node.negated else expr), Type.BOOL

    def _between(self, node: Between) -> tuple[exp.Expression, Type]:
        s1, low, _ = self._pair(node.subject, node.low)
        s2, high, _ = self._pair(node.subject, node.high)
        expr = predicate(_and([exp.GTE(this=s1, expression=low), exp.LTE(this=s2, expression=high)]))
        return (negate(expr) if node.negated else expr), Type.BOOL

    def _textmatch(self, node: TextMatch) -> tuple[exp.Expression, Type]:
        subject, _ = self.value(node.subject)
        if node.op == "matches":
            expr = predicate(self.dialect.regex_contains(subject, str(node.pattern.value)))  # type: ignore[attr-defined]
        else:
            if isinstance(node.pattern, (ListLit, ListRef)):
                values = [str(v) for v in self._items(node.pattern)]
            else:
                values = [str(node.pattern.value)]  # type: ignore[attr-defined]
            lowered = [v.strip().lower() for v in values if v.strip()]
            text = lower_text(subject, self.dialect)
            parts: list[exp.Expression] = []
            for v in lowered:
                lit = exp.Literal.string(v)
                if node.op == "contains":
                    parts.append(exp.GT(this=exp.StrPosition(this=text.copy(), substr=lit),
                                        expression=exp.Literal.number(0)))
                elif node.op == "starts with":
                    parts.append(exp.EQ(this=exp.Left(this=text.copy(), expression=exp.Literal.number(len(v))),
                                        expression=lit))
                else:
                    parts.append(exp.EQ(this=exp.Right(this=text.copy(), expression=exp.Literal.number(len(v))),
                                        expression=lit))
            expr = predicate(_or(parts)) if parts else false()
        return (negate(expr) if node.negated else expr), Type.BOOL

    def _hasitems(self, node: HasItems) -> tuple[exp.Expression, Type]:
        # `x has @list`: the parser lowers text and inline lists to `matches`; a named list's items are known here.
        subject, _ = self.value(node.subject)
        texts = list(dict.fromkeys(str(v).strip() for v in self._items(node.items) if str(v).strip()))
        groups = [[t] for t in texts] if node.all else [texts] if texts else []
        parts = [predicate(self.dialect.regex_contains(subject.copy(), item_pattern(g))) for g in groups]
        expr = predicate(_and(parts)) if parts else false()
        return (negate(expr) if node.negated else expr), Type.BOOL

    def _isnull(self, node: IsNull) -> tuple[exp.Expression, Type]:
        subject, _ = self.value(node.subject)
        expr: exp.Expression = exp.Is(this=subject, expression=exp.Null())
        if node.empty:
            blank = exp.EQ(this=self.dialect.trim(subject.copy()), expression=exp.Literal.string(""))
            expr = predicate(_or([expr, blank]))
        return (negate(expr) if node.negated else expr), Type.BOOL


def compile_sql_condition(node: Node, scope: SqlScope, dialect: SqlDialect) -> exp.Expression:
    """Compile a validated condition tree to a never-null SQL boolean expression."""
    return SqlConditionCompiler(scope, dialect).condition(node)
