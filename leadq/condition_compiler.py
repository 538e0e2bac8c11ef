"""Condition trees (:mod:`leadq.conditions`) compiled to one Polars expression.

Names resolve only through a :class:`Scope` that the caller builds: the fields of
the data with their types, raw columns, named lists, documented functions and
rule ids of that place in the ruleset; nothing else can be reached. Type errors
(a text compared with a number, a regex that is not portable) are
:class:`~leadq.errors.ConditionError` with the offset in the condition text.
:mod:`leadq.sqlgen.conditions` is the SQL twin of this module.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from typing import Callable

import polars as pl

from leadq.condition_parser import parse
from leadq.conditions import (
    Arith, Between, Call, Compare, HasItems, InList, IsNull, ItemPattern, ListLit, ListRef, Literal, Logical, Name,
    Node, Not, TextMatch, Type, date_literal, item_pattern, regex_problem,
)
from leadq.errors import ConditionError, did_you_mean, one_of

def rust_regex_problem(pattern: str) -> str | None:
    """Why Polars' regex engine (Rust ``regex``) refuses ``pattern`` as leadq runs it (case-insensitive), or None.

    Asked at compile time, on one empty string: otherwise the first batch of data would
    fail, and the error would read as a problem with the input file.
    """
    try:
        pl.select(pl.lit("", pl.String).str.contains("(?i)" + pattern))
    except pl.exceptions.ComputeError as exc:
        # "regex error: regex parse error:\n    (?i)x{2\n         ^^\nerror: unclosed counted repetition\n..."
        reason = next((line.removeprefix("error:").strip() for line in str(exc).splitlines()
                       if line.startswith("error:")), "")
        return f"invalid regular expression: {reason or 'Polars cannot compile it'}"
    return None


# --------------------------------------------------------------------------- scope

# The figures of a contact's account (leadq.accounts.ACCOUNT_FIGURES, kept apart: that module imports this
# one). They exist once the contacts are rolled up, after the tiers: routing, nurture and the accounts'
# own tiers read them, a lead's rules, disqualifiers and tiers cannot.
_ACCOUNT_FIGURES = ("account_fit", "account_intent", "engaged_contacts", "contacts")


def _account_figure_message(name: str, where: str) -> str:
    """Why an account figure is unknown where a condition names it, and where it can be read."""
    place = next((text for start, text in (("tier", "lead tiers"), ("disqualifier", "disqualifiers"),
                                           ("fit rule", "scoring rules"), ("intent rule", "scoring rules"),
                                           ("negative rule", "scoring rules")) if where.startswith(start)),
                 where or "here")
    return (f"{name} is an account figure: it can be read in routing, nurture and accounts.tiers (with an "
            f"'accounts:' section), not in {place}; the accounts are rolled up after the leads are scored "
            "and tiered")

@dataclass(frozen=True)
class FieldRef:
    """How a name compiles: its Polars expression and its type."""

    expr: pl.Expr
    type: Type


@dataclass(frozen=True)
class Function:
    """A documented function: argument kinds, result type and a compiler.

    ``args`` holds one entry per parameter: a :class:`Type` for a value
    argument, or ``"rule"`` for the id of a rule (compiled by ``build``),
    or ``"field_or_rule"``.
    """

    args: tuple[object, ...]
    result: Type
    build: Callable[..., pl.Expr]
    doc: str


@dataclass
class Scope:
    """Everything a condition may name in one place of the ruleset."""

    fields: dict[str, FieldRef]
    where: str = "condition"
    raw_columns: dict[str, FieldRef] = field(default_factory=dict)
    lists: dict[str, tuple] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    rules: dict[str, object] = field(default_factory=dict)
    grades: tuple[str, ...] = ()
    # Columns that already hold their text stripped and lower-cased (see
    # leadq.activity.normalised_text): case-insensitive comparisons use them as they are.
    normalised: frozenset[str] = frozenset()
    # Columns that already hold their text stripped (typed text fields: leadq.cleaning.map_columns):
    # case-insensitive comparisons only lower-case them.
    stripped: frozenset[str] = frozenset()
    # Names leadq knows that this place cannot see (a field the ruleset does not map, a contact
    # field in an event's where:), each with what it is and what to do: the error says so.
    unseen: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- compiler


def _text(expr: pl.Expr, scope: Scope) -> pl.Expr:
    """``expr`` stripped and lower-cased, for case-insensitive comparisons (what is done already is skipped).

    Stripping a million typed values again cost 0.3 s of the 2.4 s scoring plan at
    the benchmark's size M (ten text conditions).
    """
    if (scope.normalised or scope.stripped) and expr.meta.is_column():
        name = expr.meta.output_name()
        if name in scope.normalised:
            return expr
        if name in scope.stripped:
            return expr.str.to_lowercase()
    return expr.str.strip_chars().str.to_lowercase()


class _Compiler:
    def __init__(self, text: str, scope: Scope):
        self.text = text
        self.scope = scope

    def error(self, node: Node, message: str) -> ConditionError:
        return ConditionError(message, self.text, node.offset)

    def bool_(self, node: Node) -> pl.Expr:
        expr, typ = self.value(node)
        if typ is not Type.BOOL:
            raise self.error(node, f"expected a true/false condition here, but this is a {typ.value} value; "
                             "compare it with =, <, >, in, matches ...")
        return expr

    def predicate(self, expr: pl.Expr) -> pl.Expr:
        return expr.fill_null(False)

    def value(self, node: Node) -> tuple[pl.Expr, Type]:
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node)

    def _literal(self, node: Literal) -> tuple[pl.Expr, Type]:
        v = node.value
        if isinstance(v, bool):
            return pl.lit(v), Type.BOOL
        if isinstance(v, (int, float)):
            return pl.lit(float(v)), Type.NUMBER
        if v is None:
            raise self.error(node, "use 'is null' / 'is not null' to test for blanks")
        return pl.lit(v), Type.TEXT

    def _name(self, node: Name) -> tuple[pl.Expr, Type]:
        pool = self.scope.raw_columns if node.raw_column else self.scope.fields
        ref = pool.get(node.name)
        if ref is None:
            if node.raw_column:
                raise self.error(node, f"unknown column `{node.name}`{did_you_mean(node.name, pool)}; "
                                 "raw columns must be declared under 'columns'")
            if node.name in self.scope.rules and "days_since" in self.scope.functions:
                raise self.error(node, f"'{node.name}' is a rule; use fired({node.name}), points({node.name}), "
                                 f"count({node.name}) or days_since({node.name})")
            if node.name in self.scope.unseen:
                raise self.error(node, self.scope.unseen[node.name])
            if node.name in _ACCOUNT_FIGURES:
                raise self.error(node, _account_figure_message(node.name, self.scope.where))
            hint = did_you_mean(node.name, list(pool) + list(self.scope.functions) + list(self.scope.unseen))
            raise self.error(node, f"unknown field '{node.name}'{hint}")
        return ref.expr, ref.type

    def _call(self, node: Call) -> tuple[pl.Expr, Type]:
        fn = self.scope.functions.get(node.name)
        if fn is None:
            allowed = sorted(self.scope.functions)
            if not allowed:
                raise self.error(node, f"functions cannot be used in {self.scope.where}")
            raise self.error(node, f"unknown function '{node.name}'{did_you_mean(node.name, allowed)}; "
                             f"{one_of(allowed)}")
        if len(node.args) != len(fn.args):
            raise self.error(node, f"{node.name}() takes {len(fn.args)} argument(s), got {len(node.args)}")
        built: list[object] = []
        for arg, kind in zip(node.args, fn.args):
            if kind in ("rule", "field_or_rule"):
                if not isinstance(arg, Name) or arg.raw_column:
                    raise self.error(arg, f"{node.name}() takes a rule id" +
                                     (" or a date field" if kind == "field_or_rule" else ""))
                if arg.name in self.scope.rules:
                    built.append(("rule", arg.name))
                elif kind == "field_or_rule" and arg.name in self.scope.fields:
                    ref = self.scope.fields[arg.name]
                    if ref.type is not Type.DATETIME:
                        raise self.error(arg, f"{node.name}() needs a date field; '{arg.name}' is {ref.type.value}")
                    built.append(("field", ref.expr))
                elif kind == "field_or_rule" and arg.name in self.scope.unseen:
                    raise self.error(arg, f"{node.name}(): {self.scope.unseen[arg.name]}")
                else:
                    pool = list(self.scope.rules) + (
                        [n for n, r in self.scope.fields.items() if r.type is Type.DATETIME] + list(self.scope.unseen)
                        if kind == "field_or_rule" else [])
                    what = "rule or date field" if kind == "field_or_rule" else "rule"
                    raise self.error(arg, f"{node.name}(): unknown {what} '{arg.name}'"
                                          f"{did_you_mean(arg.name, pool)}")
            else:
                expr, typ = self.value(arg)
                if typ is not kind:
                    raise self.error(arg, f"{node.name}() expects a {kind.value} argument, got {typ.value}")  # type: ignore[union-attr]
                if kind is Type.TEXT and isinstance(arg, Literal):
                    built.append(arg.value)
                else:
                    built.append(expr)
        try:
            return fn.build(*built), fn.result
        except ValueError as exc:
            raise self.error(node, f"{node.name}(): {exc}") from None

    def _arith(self, node: Arith) -> tuple[pl.Expr, Type]:
        right, rt = self.value(node.right)
        if rt is not Type.NUMBER:
            raise self.error(node.right, f"arithmetic needs numbers, got {rt.value}")
        if node.left is None:
            return -right, Type.NUMBER
        left, lt = self.value(node.left)
        if lt is not Type.NUMBER:
            raise self.error(node.left, f"arithmetic needs numbers, got {lt.value}")
        ops = {"+": left + right, "-": left - right, "*": left * right, "/": left / right}
        return ops[node.op], Type.NUMBER

    def _coerce_pair(self, node: Node, left: Node, right: Node) -> tuple[pl.Expr, pl.Expr, Type]:
        lexpr, lt = self.value(left)
        rexpr, rt = self.value(right)
        if lt is Type.GRADE or rt is Type.GRADE:
            return self._grade_pair(node, left, lexpr, lt, right, rexpr, rt)
        if lt is Type.DATETIME and rt is Type.TEXT and isinstance(right, Literal):
            rexpr, rt = self._as_date(right), Type.DATETIME
        if rt is Type.DATETIME and lt is Type.TEXT and isinstance(left, Literal):
            lexpr, lt = self._as_date(left), Type.DATETIME
        if lt is not rt:
            hint = ""
            if lt is Type.TEXT and rt is Type.NUMBER:
                hint = "; declare the column with 'type: number' under 'columns' or quote the value"
            quoted = right if isinstance(right, Literal) else left if isinstance(left, Literal) else None
            if Type.NUMBER in (lt, rt) and quoted is not None and isinstance(quoted.value, str) \
                    and re.fullmatch(r"\s*-?\d+(?:\.\d+)?\s*", quoted.value):
                hint = f"; write the number without quotes ({quoted.value.strip()}, not \"{quoted.value}\")"
            raise self.error(node, f"cannot compare {lt.value} with {rt.value}{hint}")
        if lt is Type.TEXT:
            lexpr = _text(lexpr, self.scope)
            rexpr = (pl.lit(str(right.value).strip().lower()) if isinstance(right, Literal)
                     else _text(rexpr, self.scope))
        return lexpr, rexpr, lt

    def _as_date(self, node: Literal) -> pl.Expr:
        parsed = date_literal(str(node.value))
        if parsed is None:
            raise self.error(node, f"cannot read {node.value!r} as a date; write it as \"YYYY-MM-DD\"")
        return pl.lit(parsed, dtype=pl.Datetime("us", "UTC"))

    def _grade_pair(self, node, left, lexpr, lt, right, rexpr, rt):
        grades = self.scope.grades

        def rank(n: Node, expr: pl.Expr, t: Type) -> pl.Expr:
            if t is Type.GRADE:
                return expr
            if isinstance(n, Literal) and isinstance(n.value, str):
                letter = n.value.strip().upper()
                if letter not in grades:
                    raise self.error(n, f"unknown grade {n.value!r}; {one_of(grades)}")
                # Rank is negated so that "grade >= B" reads as "B or better".
                return pl.lit(-float(grades.index(letter)))
            raise self.error(n, "compare grade with a quoted letter such as \"B\"")

        return rank(left, lexpr, lt), rank(right, rexpr, rt), Type.NUMBER

    def _compare(self, node: Compare) -> tuple[pl.Expr, Type]:
        lexpr, rexpr, typ = self._coerce_pair(node, node.left, node.right)
        if typ in (Type.BOOL, Type.TEXT) and node.op not in ("=", "!="):
            raise self.error(node, f"'{node.op}' needs numbers, dates or grades; use = or != for {typ.value} values")
        ops = {
            "=": lexpr == rexpr, "!=": lexpr != rexpr, "<": lexpr < rexpr,
            "<=": lexpr <= rexpr, ">": lexpr > rexpr, ">=": lexpr >= rexpr,
        }
        return self.predicate(ops[node.op]), Type.BOOL

    def _logical(self, node: Logical) -> tuple[pl.Expr, Type]:
        exprs = [self.bool_(op) for op in node.operands]
        combined = pl.all_horizontal(exprs) if node.op == "and" else pl.any_horizontal(exprs)
        return combined, Type.BOOL

    def _not(self, node: Not) -> tuple[pl.Expr, Type]:
        return ~self.predicate(self.bool_(node.operand)), Type.BOOL

    def _items(self, node: Node) -> tuple[list, Type]:
        if isinstance(node, ListRef):
            if node.name not in self.scope.lists:
                raise self.error(node, f"unknown list '@{node.name}'{did_you_mean(node.name, self.scope.lists)}; "
                                 "define it under 'lists'")
            values = list(self.scope.lists[node.name])
        elif isinstance(node, ListLit):
            values = [item.value for item in node.items]
        else:
            raise self.error(node, "expected a list")
        if not values:
            return [], Type.TEXT
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            return [float(v) for v in values], Type.NUMBER
        if all(isinstance(v, str) for v in values):
            return values, Type.TEXT
        raise self.error(node, "a list must hold only numbers or only text")

    def _inlist(self, node: InList) -> tuple[pl.Expr, Type]:
        subject, st = self.value(node.subject)
        values, vt = self._items(node.items)
        if st is Type.TEXT:
            if values and vt is not Type.TEXT:
                raise self.error(node.items, "this field is text; quote the list values")
            expr = _text(subject, self.scope).is_in([v.strip().lower() for v in values])
        elif st is Type.NUMBER:
            if values and vt is not Type.NUMBER:
                raise self.error(node.items, "this field is a number; the list must hold numbers")
            expr = subject.is_in(values)
        elif st is Type.GRADE:
            bad = [v for v in values if str(v).upper() not in self.scope.grades]
            if bad:
                raise self.error(node.items, f"unknown grade {bad[0]!r}; {one_of(self.scope.grades)}")
            ranks = [-float(self.scope.grades.index(str(v).upper())) for v in values]
            expr = subject.is_in(ranks)
        else:
            raise self.error(node, f"'in' does not apply to {st.value} values")
        expr = self.predicate(expr)
        return (~expr if node.negated else expr), Type.BOOL

    def _between(self, node: Between) -> tuple[pl.Expr, Type]:
        subject, low, t1 = self._coerce_pair(node, node.subject, node.low)
        subject2, high, t2 = self._coerce_pair(node, node.subject, node.high)
        if t1 not in (Type.NUMBER, Type.DATETIME):
            raise self.error(node, "'between' needs numbers or dates")
        expr = self.predicate((subject >= low) & (subject2 <= high))
        return (~expr if node.negated else expr), Type.BOOL

    def _textmatch(self, node: TextMatch) -> tuple[pl.Expr, Type]:
        subject, st = self.value(node.subject)
        if isinstance(node.pattern, ItemPattern):  # 'has "text"' / 'has [..]', lowered by the parser
            if st is not Type.TEXT:
                raise self.error(node, f"'has' applies to text (items separated by ';'); this is a {st.value} value")
            expr = self.predicate(subject.str.contains("(?i)" + str(node.pattern.value)))
            return (~expr if node.negated else expr), Type.BOOL
        if st is not Type.TEXT:
            raise self.error(node, f"'{node.op}' applies to text; this is a {st.value} value")
        if node.op == "matches":
            if not (isinstance(node.pattern, Literal) and isinstance(node.pattern.value, str)):
                raise self.error(node.pattern, "'matches' takes a quoted regular expression")
            problem = regex_problem(node.pattern.value) or rust_regex_problem(node.pattern.value)
            if problem:
                raise self.error(node.pattern, f"regex {node.pattern.value!r}: {problem}")
            expr = subject.str.contains("(?i)" + node.pattern.value)
        else:
            if isinstance(node.pattern, (ListLit, ListRef)):
                values, vt = self._items(node.pattern)
                if values and vt is not Type.TEXT:
                    raise self.error(node.pattern, f"'{node.op}' needs quoted text values")
            elif isinstance(node.pattern, Literal) and isinstance(node.pattern.value, str):
                values = [node.pattern.value]
            else:
                raise self.error(node.pattern, f"'{node.op}' takes quoted text or a list of quoted text")
            lowered = [v.strip().lower() for v in values if v.strip()]
            text = _text(subject, self.scope)
            if not lowered:
                expr = pl.lit(False)
            elif node.op == "contains":
                expr = pl.any_horizontal([text.str.contains(v, literal=True) for v in lowered]) if len(
                    lowered) < 4 else text.str.contains_any(lowered)
            elif node.op == "starts with":
                expr = pl.any_horizontal([text.str.starts_with(v) for v in lowered])
            else:
                expr = pl.any_horizontal([text.str.ends_with(v) for v in lowered])
        expr = self.predicate(expr)
        return (~expr if node.negated else expr), Type.BOOL

    def _hasitems(self, node: HasItems) -> tuple[pl.Expr, Type]:
        """``has @list``: the list's items, known now, made into the regexes the parser makes of an inline list."""
        subject, st = self.value(node.subject)
        if st is not Type.TEXT:
            raise self.error(node, f"'has' applies to text (items separated by ';'); this is a {st.value} value")
        values, vt = self._items(node.items)
        if values and vt is not Type.TEXT:
            raise self.error(node.items, f"'has' compares text; @{node.items.name} holds numbers")  # type: ignore[attr-defined]
        texts = list(dict.fromkeys(v.strip() for v in values if v.strip()))
        groups = [[t] for t in texts] if node.all else [texts] if texts else []
        tests = [subject.str.contains("(?i)" + item_pattern(group)) for group in groups]
        expr = self.predicate(pl.all_horizontal(tests) if tests else pl.lit(False))
        return (~expr if node.negated else expr), Type.BOOL

    def _isnull(self, node: IsNull) -> tuple[pl.Expr, Type]:
        subject, st = self.value(node.subject)
        expr = subject.is_null()
        if node.empty:
            if st is not Type.TEXT:
                raise self.error(node, "'is empty' applies to text; use 'is null'")
            expr = expr | (subject.str.strip_chars() == "")
        expr = expr.fill_null(True) if node.empty else expr
        return (~expr if node.negated else expr), Type.BOOL

    def _listlit(self, node: ListLit) -> tuple[pl.Expr, Type]:
        raise self.error(node, "a list can only follow 'in', 'contains', 'starts with', 'ends with' or 'has'")

    _listref = _listlit


def compile_condition(text: str, scope: Scope) -> pl.Expr:
    """Parse and compile a boolean condition to a ``pl.Expr`` (never null)."""
    node = parse(text)
    comp = _Compiler(text, scope)
    return comp.predicate(comp.bool_(node))


def compile_tree(text: str, node: Node, scope: Scope) -> pl.Expr:
    """Compile an already parsed boolean condition."""
    comp = _Compiler(text, scope)
    return comp.predicate(comp.bool_(node))


__all__ = ["FieldRef", "Function", "Scope", "compile_condition", "compile_tree"]
