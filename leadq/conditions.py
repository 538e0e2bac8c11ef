"""The condition language: a small, safe expression language parsed by leadq itself.

Rulesets write conditions as text an analyst can read aloud::

    job_title matches "\\bdirector\\b" and company_size between 200 and 1000
    email_domain in @personal_email_domains
    days_since(demo_request) <= 14 and grade >= "B"

The text is tokenised and parsed here into a tree of plain dataclasses; it is
never handed to ``eval``. Names resolve only through a :class:`Scope` that the
caller builds (fields of the data, documented functions); nothing else can be
reached. Compilation turns the tree into one ``pl.Expr``.

Semantics worth knowing:

* Text comparisons (``=``, ``!=``, ``in``, ``contains``, ``starts with``,
  ``ends with``, ``matches``) ignore case and surrounding spaces.
* A predicate on a blank (null) value is false, so ``not`` of it is true:
  two-valued logic, the way analysts read rules.
* ``grade >= "B"`` means "grade B or better".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from enum import Enum
from typing import Callable

import polars as pl

from leadq.errors import ConditionError, did_you_mean, one_of

MAX_CONDITION_LENGTH = 4000
MAX_DEPTH = 64


class Type(str, Enum):
    """Value types the language knows."""

    NUMBER = "number"
    TEXT = "text"
    BOOL = "boolean"
    DATETIME = "datetime"
    GRADE = "grade"
    LIST = "list"


# --------------------------------------------------------------------------- tokens

KEYWORDS = {
    "and", "or", "not", "in", "between", "matches", "contains", "starts", "ends",
    "with", "is", "null", "empty", "true", "false",
}

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<column>`[^`]*`)
  | (?P<listref>@[A-Za-z_][A-Za-z0-9_]*)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<>|<=|>=|<|>|=|\(|\)|\[|\]|,|\+|-|\*|/)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """One lexical token with its character offset in the condition text."""

    kind: str
    value: str
    offset: int


def tokenize(text: str) -> list[Token]:
    """Split condition text into tokens, raising :class:`ConditionError` on stray characters."""
    if len(text) > MAX_CONDITION_LENGTH:
        raise ConditionError(
            f"condition is {len(text)} characters long; the limit is {MAX_CONDITION_LENGTH}", text, 0
        )
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            ch = text[pos]
            hint = " (quote text values with double quotes)" if ch in "\"'" else ""
            raise ConditionError(f"unexpected character {ch!r} at column {pos + 1}{hint}", text, pos)
        kind = m.lastgroup or ""
        value = m.group(0)
        if kind == "name" and value.lower() in KEYWORDS:
            kind, value = "kw", value.lower()
        if kind != "ws":
            tokens.append(Token(kind, value, pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


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


# --------------------------------------------------------------------------- parser

_COMPARE_OPS = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    # helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def error(self, message: str, tok: Token | None = None) -> ConditionError:
        tok = tok or self.tok
        return ConditionError(message, self.text, tok.offset)

    def take(self) -> Token:
        tok = self.tok
        self.i += 1
        return tok

    def at(self, kind: str, value: str | None = None) -> bool:
        tok = self.tok
        return tok.kind == kind and (value is None or tok.value == value)

    def expect(self, kind: str, value: str, what: str) -> Token:
        if not self.at(kind, value):
            raise self.error(f"expected {what} at column {self.tok.offset + 1}, found {self.describe(self.tok)}")
        return self.take()

    @staticmethod
    def describe(tok: Token) -> str:
        return "the end of the condition" if tok.kind == "end" else repr(tok.value)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"condition nests deeper than {MAX_DEPTH} levels")

    # grammar
    def parse(self) -> Node:
        if self.at("end"):
            raise self.error("condition is empty")
        node = self.parse_or()
        if not self.at("end"):
            raise self.error(
                f"unexpected {self.describe(self.tok)} at column {self.tok.offset + 1}; "
                "combine conditions with 'and' / 'or'"
            )
        return node

    def parse_or(self) -> Node:
        first = self.parse_and()
        operands = [first]
        while self.at("kw", "or"):
            self.take()
            operands.append(self.parse_and())
        return first if len(operands) == 1 else Logical(first.offset, "or", tuple(operands))

    def parse_and(self) -> Node:
        first = self.parse_not()
        operands = [first]
        while self.at("kw", "and"):
            self.take()
            operands.append(self.parse_not())
        return first if len(operands) == 1 else Logical(first.offset, "and", tuple(operands))

    def parse_not(self) -> Node:
        if self.at("kw", "not"):
            tok = self.take()
            self.enter()
            operand = self.parse_not()
            self.depth -= 1
            return Not(tok.offset, operand)
        return self.parse_predicate()

    def parse_predicate(self) -> Node:
        left = self.parse_sum()
        tok = self.tok
        if tok.kind == "op" and tok.value in _COMPARE_OPS:
            self.take()
            return Compare(tok.offset, _COMPARE_OPS[tok.value], left, self.parse_sum())
        negated = False
        if tok.kind == "kw" and tok.value == "not":
            nxt = self.tokens[self.i + 1]
            if nxt.kind == "kw" and nxt.value in {"in", "between", "matches", "contains", "starts", "ends"}:
                self.take()
                negated = True
                tok = self.tok
            else:
                return left
        if tok.kind != "kw":
            if negated:
                raise self.error("expected in, between, matches, contains, starts with or ends with after 'not'")
            return left
        if tok.value == "in":
            self.take()
            return InList(tok.offset, left, self.parse_list(), negated)
        if tok.value == "between":
            self.take()
            low = self.parse_sum()
            self.expect("kw", "and", "'and' in 'between ... and ...'")
            high = self.parse_sum()
            return Between(tok.offset, left, low, high, negated)
        if tok.value in {"matches", "contains"}:
            self.take()
            pattern = self.parse_list() if (tok.value == "contains" and self.at_list()) else self.parse_primary()
            return TextMatch(tok.offset, tok.value, left, pattern, negated)
        if tok.value in {"starts", "ends"}:
            self.take()
            self.expect("kw", "with", f"'with' after '{tok.value}'")
            pattern = self.parse_list() if self.at_list() else self.parse_primary()
            return TextMatch(tok.offset, f"{tok.value} with", left, pattern, negated)
        if tok.value == "is":
            if negated:
                raise self.error("write 'is not null', not 'not is null'")
            self.take()
            neg = False
            if self.at("kw", "not"):
                self.take()
                neg = True
            if self.at("kw", "null"):
                self.take()
                return IsNull(tok.offset, left, False, neg)
            if self.at("kw", "empty"):
                self.take()
                return IsNull(tok.offset, left, True, neg)
            raise self.error(f"expected 'null' or 'empty' after 'is', found {self.describe(self.tok)}")
        if negated:
            raise self.error("expected in, between, matches, contains, starts with or ends with after 'not'")
        return left

    def at_list(self) -> bool:
        return self.at("op", "[") or self.tok.kind == "listref"

    def parse_list(self) -> Node:
        tok = self.tok
        if tok.kind == "listref":
            self.take()
            return ListRef(tok.offset, tok.value[1:])
        self.expect("op", "[", "a list such as [\"a\", \"b\"] or a named list such as @competitors")
        items: list[Literal] = []
        while not self.at("op", "]"):
            item = self.parse_unary()
            if not isinstance(item, Literal):
                raise self.error("list items must be constants (numbers or quoted text)", self.tokens[self.i - 1])
            items.append(item)
            if self.at("op", ","):
                self.take()
            elif not self.at("op", "]"):
                raise self.error(f"expected ',' or ']' in list, found {self.describe(self.tok)}")
        self.take()
        return ListLit(tok.offset, tuple(items))

    def parse_sum(self) -> Node:
        left = self.parse_term()
        while self.tok.kind == "op" and self.tok.value in {"+", "-"}:
            tok = self.take()
            left = Arith(tok.offset, tok.value, left, self.parse_term())
        return left

    def parse_term(self) -> Node:
        left = self.parse_unary()
        while self.tok.kind == "op" and self.tok.value in {"*", "/"}:
            tok = self.take()
            left = Arith(tok.offset, tok.value, left, self.parse_unary())
        return left

    def parse_unary(self) -> Node:
        if self.at("op", "-"):
            tok = self.take()
            self.enter()
            operand = self.parse_unary()
            self.depth -= 1
            if isinstance(operand, Literal) and isinstance(operand.value, (int, float)) and not isinstance(
                operand.value, bool
            ):
                return Literal(tok.offset, -operand.value)
            return Arith(tok.offset, "-", None, operand)
        return self.parse_primary()

    def parse_primary(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.take()
            value: object = float(tok.value) if any(c in tok.value for c in ".eE") else int(tok.value)
            return Literal(tok.offset, value)
        if tok.kind == "string":
            self.take()
            return Literal(tok.offset, _unquote(tok.value))
        if tok.kind == "kw" and tok.value in {"true", "false"}:
            self.take()
            return Literal(tok.offset, tok.value == "true")
        if tok.kind == "kw" and tok.value == "null":
            self.take()
            return Literal(tok.offset, None)
        if tok.kind == "column":
            self.take()
            return Name(tok.offset, tok.value[1:-1], raw_column=True)
        if tok.kind == "name":
            self.take()
            if self.at("op", "("):
                self.take()
                args: list[Node] = []
                self.enter()
                while not self.at("op", ")"):
                    args.append(self.parse_sum())
                    if self.at("op", ","):
                        self.take()
                    elif not self.at("op", ")"):
                        raise self.error(f"expected ',' or ')' in call of {tok.value}(), found {self.describe(self.tok)}")
                self.depth -= 1
                self.take()
                return Call(tok.offset, tok.value, tuple(args))
            return Name(tok.offset, tok.value)
        if tok.kind == "op" and tok.value == "(":
            self.take()
            self.enter()
            inner = self.parse_or()
            self.depth -= 1
            self.expect("op", ")", "')'")
            return inner
        if tok.kind == "listref" or (tok.kind == "op" and tok.value == "["):
            raise self.error("a list can only follow 'in', 'contains', 'starts with' or 'ends with'")
        if tok.kind == "end":
            raise self.error("condition ends too early; a value or field is missing")
        raise self.error(f"unexpected {self.describe(tok)} at column {tok.offset + 1}")


def _unquote(raw: str) -> str:
    # Strings are raw, so regexes read naturally ("\bdirector\b"); only an
    # escaped quote of the same kind is unescaped.
    quote = raw[0]
    return raw[1:-1].replace("\\" + quote, quote)


def parse(text: str) -> Node:
    """Parse condition text into a syntax tree; raises :class:`ConditionError` on bad input."""
    if not isinstance(text, str):
        raise ConditionError("a condition must be text", "", 0)
    return _Parser(text).parse()


# --------------------------------------------------------------------------- scope


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


# --------------------------------------------------------------------------- compiler


def regex_problem(pattern: str) -> str | None:
    """Return why ``pattern`` is not portable across engines, or None when it is fine.

    Patterns must compile and stay within the subset shared by Rust ``regex``,
    RE2, Java and POSIX engines: no lookaround, no backreferences.
    """
    if re.search(r"\(\?<?[=!]", pattern):
        return "lookaround ((?=, (?!, (?<=, (?<!) is not supported"
    if re.search(r"\\[1-9]|\(\?P=", pattern):
        return "backreferences are not supported"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"invalid regular expression: {exc}"
    return None


def _text(expr: pl.Expr, normalised: frozenset[str] = frozenset()) -> pl.Expr:
    if normalised and expr.meta.is_column() and expr.meta.output_name() in normalised:
        return expr
    return expr.str.strip_chars().str.to_lowercase()


def _date_literal(value: str) -> datetime | None:
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


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
            hint = did_you_mean(node.name, list(pool) + list(self.scope.functions))
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
                else:
                    pool = list(self.scope.rules) + (
                        [n for n, r in self.scope.fields.items() if r.type is Type.DATETIME]
                        if kind == "field_or_rule" else [])
                    raise self.error(arg, f"{node.name}(): unknown rule '{arg.name}'{did_you_mean(arg.name, pool)}")
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
            raise self.error(node, f"cannot compare {lt.value} with {rt.value}{hint}")
        if lt is Type.TEXT:
            lexpr = _text(lexpr, self.scope.normalised)
            rexpr = (pl.lit(str(right.value).strip().lower()) if isinstance(right, Literal)
                     else _text(rexpr, self.scope.normalised))
        return lexpr, rexpr, lt

    def _as_date(self, node: Literal) -> pl.Expr:
        parsed = _date_literal(str(node.value))
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
            expr = _text(subject, self.scope.normalised).is_in([v.strip().lower() for v in values])
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
        if st is not Type.TEXT:
            raise self.error(node, f"'{node.op}' applies to text; this is a {st.value} value")
        if node.op == "matches":
            if not (isinstance(node.pattern, Literal) and isinstance(node.pattern.value, str)):
                raise self.error(node.pattern, "'matches' takes a quoted regular expression")
            problem = regex_problem(node.pattern.value)
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
            text = _text(subject, self.scope.normalised)
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
        raise self.error(node, "a list can only follow 'in', 'contains', 'starts with' or 'ends with'")

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


def names_in(node: Node) -> tuple[set[str], set[str], set[str]]:
    """Return the (field names, raw columns, rule ids used in calls) a tree refers to."""
    fields: set[str] = set()
    raws: set[str] = set()
    rules: set[str] = set()

    def walk(n: object) -> None:
        if isinstance(n, Name):
            (raws if n.raw_column else fields).add(n.name)
        elif isinstance(n, Call):
            for a in n.args:
                if isinstance(a, Name) and not a.raw_column:
                    rules.add(a.name)
                else:
                    walk(a)
            return
        if isinstance(n, Node):
            for value in vars(n).values():
                if isinstance(value, Node):
                    walk(value)
                elif isinstance(value, tuple):
                    for item in value:
                        walk(item)

    walk(node)
    return fields, raws, rules


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


def describe_functions(functions: dict[str, Function]) -> list[tuple[str, str]]:
    """(name, doc) pairs for help output and documentation."""
    return sorted((name, fn.doc) for name, fn in functions.items())


__all__ = [
    "Type", "Scope", "FieldRef", "Function", "parse", "compile_condition", "compile_tree",
    "names_in", "regex_problem", "literal_date", "tokenize",
]
