"""The condition language's parser: condition text -> the syntax tree of :mod:`leadq.conditions`.

The text is split into tokens and parsed by recursive descent into the tree's
plain dataclasses; it is never handed to ``eval``. Every syntax error is a
:class:`~leadq.errors.ConditionError` carrying its offset in the text. Limits
keep a hostile ruleset cheap: conditions longer than
:data:`MAX_CONDITION_LENGTH` characters or nesting deeper than :data:`MAX_DEPTH`
levels are refused. A level is a parenthesis, a ``not``, a unary minus or a
call while parsing, and a node with operands in the finished tree, so each
operator of an arithmetic chain (``a + b + c`` is two levels) counts: every
reader of the tree recurses, and a chain parsed in a loop would otherwise
reach them as deep as it is long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leadq.conditions import (
    Arith, Between, Call, Compare, HasItems, InList, IsNull, ItemPattern, ListLit, ListRef, Literal, Logical, Name,
    Node, Not, TextMatch, item_pattern,
)
from leadq.errors import ConditionError

MAX_CONDITION_LENGTH = 4000
MAX_DEPTH = 64


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+)?Z?")


def _constant(node: Node) -> float | str | None:
    """A number (``-5`` included) or an ISO date text written in the condition, for comparing; else None."""
    if isinstance(node, Arith) and node.left is None and node.op == "-":
        inner = _constant(node.right)
        return -inner if isinstance(inner, float) else None
    if isinstance(node, Literal):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node.value, str) and _ISO_DATE.fullmatch(node.value.strip()):
            return node.value.strip()
    return None


# --------------------------------------------------------------------------- tokens

KEYWORDS = {
    "and", "or", "not", "in", "between", "matches", "contains", "starts", "ends",
    "with", "is", "null", "empty", "true", "false", "has",
}

# What may follow 'not' after a value, for the error when something else does.
_NEGATABLE = "in, between, matches, contains, starts with, ends with or has"

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


# Characters pasted from a word processor or a chat, and operators from other languages: what to write instead.
_CHARACTER_ADVICE = {
    "\u201c": 'a curly quote: write text in straight double quotes ("...")',
    "\u201d": 'a curly quote: write text in straight double quotes ("...")',
    "\u2018": "a curly quote: write text in straight quotes ('...')",
    "\u2019": "a curly quote: write text in straight quotes ('...')",
    "&": "combine conditions with 'and'",
    "|": "combine conditions with 'or'",
    "!": "write 'not' before a condition, or '!=' for 'is not equal to'",
}


# Control characters no one types into a condition: YAML makes them of escapes such as "\b" in double quotes.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ESCAPES = {"\b": "\\b", "\f": "\\f", "\a": "\\a", "\v": "\\v", "\x1b": "\\e", "\x00": "\\0"}


def _control_character(ch: str, pos: int) -> str:
    """A control character in a condition: nearly always YAML's reading of a regex escape in double quotes."""
    escape = _ESCAPES.get(ch)
    made_of = f", which YAML makes of \"{escape}\" inside double quotes" if escape else ""
    return (f"control character {ch!r} at column {pos + 1}{made_of}: put the whole condition in single quotes "
            "or leave it unquoted (when: 'job_title matches \"\\bcto\\b\"'), so that its backslashes reach the regex")


def _stray_character(text: str, pos: int) -> str:
    """Why the character at ``pos`` starts no token, and what to write instead."""
    ch = text[pos]
    if ch in "\"'":
        return f"the text starting with {ch} at column {pos + 1} has no closing {ch}: add one at its end"
    advice = _CHARACTER_ADVICE.get(ch)
    return f"unexpected character {ch!r} at column {pos + 1}" + (f"; {advice}" if advice else "")


def tokenize(text: str) -> list[Token]:
    """Split condition text into tokens, raising :class:`ConditionError` on stray characters."""
    if len(text) > MAX_CONDITION_LENGTH:
        raise ConditionError(
            f"condition is {len(text)} characters long; the limit is {MAX_CONDITION_LENGTH}", text, 0
        )
    control = _CONTROL.search(text)
    if control:
        raise ConditionError(_control_character(control.group(0), control.start()), text, control.start())
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise ConditionError(_stray_character(text, pos), text, pos)
        kind = m.lastgroup or ""
        value = m.group(0)
        if kind == "name" and value.lower() in KEYWORDS:
            kind, value = "kw", value.lower()
        if kind != "ws":
            tokens.append(Token(kind, value, pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


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
            if nxt.kind == "kw" and nxt.value in {"in", "between", "matches", "contains", "starts", "ends", "has"}:
                self.take()
                negated = True
                tok = self.tok
            else:
                return left
        if self._at_does_not_have():
            self.i += 2  # 'does not'; 'have' is read as 'has'
            return self.parse_has(left, self.take(), True)
        if tok.kind != "kw":
            if negated:
                raise self.error(f"expected {_NEGATABLE} after 'not'")
            return left
        if tok.value == "has":
            self.take()
            return self.parse_has(left, tok, negated)
        if tok.value == "in":
            self.take()
            return InList(tok.offset, left, self.parse_list(), negated)
        if tok.value == "between":
            self.take()
            low = self.parse_sum()
            self.expect("kw", "and", "'and' in 'between ... and ...'")
            high = self.parse_sum()
            bounds = _constant(low), _constant(high)
            if None not in bounds and type(bounds[0]) is type(bounds[1]) and bounds[0] > bounds[1]:  # type: ignore[operator]
                first, second = (f"{b:g}" if isinstance(b, float) else f'"{b}"' for b in bounds)
                raise self.error(f"between {first} and {second} holds no value: the lower bound comes first "
                                 f"(between {second} and {first})", tok)
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
            raise self.error(f"expected {_NEGATABLE} after 'not'")
        return left

    def _at_does_not_have(self) -> bool:
        words = self.tokens[self.i:self.i + 3]
        return (len(words) == 3 and words[0].kind == "name" and words[0].value.lower() == "does"
                and words[1].kind == "kw" and words[1].value == "not"
                and words[2].kind == "name" and words[2].value.lower() == "have")

    def parse_has(self, subject: Node, tok: Token, negated: bool) -> Node:
        """``has [any|all] "text" | [..] | @list`` after ``subject`` (``tok`` is 'has' or 'have').

        Text and inline lists are lowered here to a case-insensitive ``matches`` of
        :func:`~leadq.conditions.item_pattern`, so that every engine (the SQL ones too) runs
        it as it runs any regex; ``has all`` is an ``and`` of one such test per item.
        """
        word = "does not have" if tok.value.lower() == "have" else "has"
        every = False
        if self.tok.kind == "name" and self.tok.value.lower() in {"any", "all"} and (
                self.tokens[self.i + 1].kind == "listref" or self.tokens[self.i + 1].value == "["):
            every = self.take().value.lower() == "all"
        operand = self.tok
        if self.at_list():
            items = self.parse_list()
        elif operand.kind == "string":
            self.take()
            items = Literal(operand.offset, _unquote(operand.value))
        else:
            raise self.error(f"'{word}' takes quoted text, a list such as [\"a\", \"b\"] or a named list such as "
                             f"@industries; found {self.describe(operand)}")
        if isinstance(items, ListRef):
            return HasItems(tok.offset, subject, items, every, negated)
        if isinstance(items, Literal):
            if not items.value.strip():  # type: ignore[union-attr]
                raise self.error(f"'{word}' needs the text of an item; {operand.value} is blank", operand)
            literals: tuple[Literal, ...] = (items,)
        else:
            literals = items.items  # type: ignore[union-attr]
        for item in literals:
            if not isinstance(item.value, str):
                raise ConditionError(f"'{word}' compares text: quote the item ({item.value!r} -> \"{item.value}\")",
                                     self.text, item.offset)
        texts = tuple(dict.fromkeys(str(item.value).strip() for item in literals if str(item.value).strip()))
        if not texts:  # [] or only blanks: no item to find, false as 'in []' is
            return InList(tok.offset, subject, ListLit(operand.offset, ()), negated)
        if not every or len(texts) == 1:
            return TextMatch(tok.offset, "matches", subject, ItemPattern(operand.offset, item_pattern(texts), texts),
                             negated)
        tests = tuple(TextMatch(tok.offset, "matches", subject, ItemPattern(operand.offset, item_pattern((t,)), (t,)))
                      for t in texts)
        both = Logical(tok.offset, "and", tests)
        return Not(tok.offset, both) if negated else both

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
            if value == float("inf") or (isinstance(value, int) and value > 1e308):
                shown = tok.value if len(tok.value) <= 24 else tok.value[:20] + "..."
                raise self.error(f"number {shown} is too large: it must be a finite number "
                                 "(at most about 1.8e308)", tok)
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
            raise self.error("a list can only follow 'in', 'contains', 'starts with', 'ends with' or 'has'")
        if tok.kind == "end":
            raise self.error("condition ends too early; a value or field is missing")
        previous = self.tokens[self.i - 1] if self.i else None
        if (tok.kind == "op" and tok.value in "<>" and previous is not None and previous.value == "="
                and previous.offset + 1 == tok.offset):
            raise self.error(f"unexpected {self.describe(tok)} at column {tok.offset + 1}; write "
                             f"'{tok.value}=' (not '={tok.value}')")
        raise self.error(f"unexpected {self.describe(tok)} at column {tok.offset + 1}")


def _unquote(raw: str) -> str:
    # Strings are raw, so regexes read naturally ("\bdirector\b"); only an
    # escaped quote of the same kind is unescaped.
    quote = raw[0]
    return raw[1:-1].replace("\\" + quote, quote)


def _operands(node: Node) -> list[Node]:
    return [item for value in vars(node).values()
            for item in (value if isinstance(value, tuple) else (value,)) if isinstance(item, Node)]


def _check_depth(root: Node, text: str) -> None:
    """Refuse a tree more than :data:`MAX_DEPTH` nodes with operands deep.

    The error points at the start of the first expression past the limit: in
    ``a + 1 + ... + 1`` that is ``a``, where the chain begins.
    """
    stack = [(root, 1)]  # not recursive: the tree may be as deep as the text is long
    while stack:
        node, level = stack.pop()
        operands = _operands(node)
        if not operands:
            continue
        if level > MAX_DEPTH:
            start = node.offset
            while operands:
                start = min(start, operands[0].offset)
                operands = _operands(operands[0])
            raise ConditionError(
                f"condition nests deeper than {MAX_DEPTH} levels (each + - * / of an arithmetic chain "
                "is a level); group the terms in parentheses, as (a + b + c) + (d + e + f)", text, start)
        stack.extend((operand, level + 1) for operand in reversed(operands))


def parse(text: str) -> Node:
    """Parse condition text into a syntax tree; raises :class:`ConditionError` on bad input."""
    if not isinstance(text, str):
        raise ConditionError("a condition must be text", "", 0)
    node = _Parser(text).parse()
    _check_depth(node, text)
    return node


__all__ = ["MAX_CONDITION_LENGTH", "MAX_DEPTH", "Token", "parse", "tokenize"]
