"""Safe YAML loading that keeps the source position of every key and value.

Rulesets are parsed with PyYAML's SafeLoader node graph (no Python tags, no
aliases), and turned into :class:`YMap` / :class:`YList` containers that remember
where each key and value came from, so every validation error can say
``file:line:column``.

Numbers are read as YAML 1.2 reads them, in one place for every reader: a plain
``1e308`` or ``2E-3`` is a number (YAML 1.1 wants a dot and a signed exponent,
``1.0e+308``, and reads the rest as text); ``010`` is 10 (YAML 1.1: octal 8) and ``1:30``
is text (YAML 1.1: base 60, 90); ``.nan``, ``.inf`` and a number too
large for a float are refused, since no setting, points or threshold means them; the
message names the place as the ruleset loader does (``fit rule 'demo': 'points'``,
``settings: 'half_life_days'``, ``lists.sizes: item 2``).
"""

from __future__ import annotations

import math
import re
import sys
from typing import Any

import yaml

from leadq.errors import Position, RulesetError

MAX_RULESET_BYTES = 1_000_000


class YMap(dict):
    """A mapping that remembers the positions of its keys and values."""

    pos: Position
    key_pos: dict[str, Position]
    value_pos: dict[str, Position]
    value_style: dict[str, str | None]


class YList(list):
    """A sequence that remembers the position of each item."""

    pos: Position
    item_pos: list[Position]
    item_style: list[str | None]


def _position(path: str, node: yaml.Node) -> Position:
    mark = node.start_mark
    return Position(path, mark.line + 1, mark.column + 1)


_STANDARD_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq",
                                                      "timestamp", "merge")}


# YAML 1.2's float with an exponent; the forms without one YAML 1.1 reads as numbers already.
_EXPONENT_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+")


# YAML 1.1 forms of numbers YAML 1.2 reads otherwise: base 60 (text in 1.2) and a leading zero (decimal in 1.2).
_YAML11_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_YAML11_OCTAL = re.compile(r"[-+]?0[0-7_]+")
_EVENT_TYPE_KEYS = {"event", "type"}  # a rule's event types, a case file's event's type: codes as written


# Ruleset lists whose items the loader's messages name by an id ("fit rule 'demo'", "tier 'hot'"), or by
# number when the id key is None ("routing rule 2").
_NAMED_ITEMS: dict[tuple[str, ...], tuple[str, str | None]] = {
    ("fit",): ("fit rule", "id"), ("intent",): ("intent rule", "id"), ("negative",): ("negative rule", "id"),
    ("disqualifiers",): ("disqualifier", "code"), ("tiers",): ("tier", "name"),
    ("routing", "rules"): ("routing rule", None), ("routing", "flags"): ("routing flag", "id"),
    ("nurture", "tracks"): ("nurture track", "id"),
}


class _Named(str):
    """A list item's step in a trail named as the loader names it ("fit rule 'demo'"): it stands for its list."""


def _item_step(trail: tuple[str | int, ...], node: yaml.Node, number: int) -> str | int:
    """A list item's step in a trail: the name the loader gives a rule, tier or flag, else its number."""
    if trail not in _NAMED_ITEMS:
        return number
    kind, id_key = _NAMED_ITEMS[trail]  # type: ignore[index]
    ident = next((v.value for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == id_key
                  and isinstance(v, yaml.ScalarNode)), None) if isinstance(node, yaml.MappingNode) else None
    return _Named(f"{kind} '{ident}'" if ident else f"{kind} {number}")


def _where(trail: tuple[str | int, ...]) -> str:
    """What a value is, as the loader's messages say it: "fit rule 'demo': 'points'", "lists.sizes: item 2"."""
    owner = ""
    for step in trail[:-1]:
        if isinstance(step, int):
            owner += f"[{step}]"
        elif isinstance(step, _Named):
            owner = str(step)
        else:
            owner = f"{owner}.{step}" if owner else step
    last = trail[-1] if trail else None
    what = "a value" if last is None else f"item {last}" if isinstance(last, int) else f"'{last}'"
    return f"{owner}: {what}" if owner else what


def _scalar(path: str, node: yaml.ScalarNode, loader: yaml.SafeLoader, trail: tuple[str | int, ...]) -> Any:
    # Dates and timestamps stay text: leadq parses them itself, in UTC. Not built first: YAML's own
    # constructor raises on a date that does not exist (2026-02-30), which leadq reports itself.
    if node.tag == "tag:yaml.org,2002:timestamp":
        return node.value
    if node.tag in _YAML11_NUMBER_TAGS and ":" in node.value:
        return node.value  # YAML 1.1's base 60 (1:30 is 90); YAML 1.2 reads it as the text it is
    if node.tag == "tag:yaml.org,2002:int" and _YAML11_OCTAL.fullmatch(node.value):
        # YAML 1.1's octal (010 is 8). An event type is the code as written (Marketo's "010"); elsewhere,
        # as YAML 1.2 reads it, 10.
        return node.value if _EVENT_TYPE_KEYS.intersection(trail[-2:]) else int(node.value.replace("_", ""), 10)
    value = loader.construct_object(node)
    # A plain scalar's style is None, or '' from libyaml; a quoted "1e5" stays text.
    if node.tag == "tag:yaml.org,2002:str" and not node.style and _EXPONENT_NUMBER.fullmatch(node.value):
        value = float(node.value)
    # Too large a whole number would overflow where a reader makes it a float.
    if (isinstance(value, float) and not math.isfinite(value)) or (
            isinstance(value, int) and not isinstance(value, bool) and abs(value) > sys.float_info.max):
        what = _where(trail)
        shown = node.value if len(node.value) <= 24 else node.value[:20] + "..."
        limit = "" if value != value else " (at most about 1.8e308 either way)"  # NaN is not equal to itself
        raise RulesetError(f"{what} must be a finite number{limit}, got {shown}", _position(path, node))
    return value


def _convert(path: str, node: yaml.Node, loader: yaml.SafeLoader, trail: tuple[str | int, ...] = ()) -> Any:
    # trail: the keys and list items (numbered from 1) that lead to the node, for messages (_where).
    if node.tag not in _STANDARD_TAGS:
        # Checked before the node is built: a collection's tag would otherwise be ignored silently.
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise RulesetError(f"YAML tag '{tag}' is not allowed in rulesets; write plain text, numbers, lists "
                           "and mappings", _position(path, node))
    if isinstance(node, yaml.MappingNode):
        out = YMap()
        out.pos = _position(path, node)
        out.key_pos, out.value_pos, out.value_style = {}, {}, {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise RulesetError("YAML merge keys ('<<') are not supported; write the keys out",
                                   _position(path, key_node))
            if not isinstance(key_node, yaml.ScalarNode):
                raise RulesetError("mapping keys must be plain names", _position(path, key_node))
            key = str(loader.construct_object(key_node))
            if key in out:
                raise RulesetError(f"duplicate key '{key}' (first at line {out.key_pos[key].line})",
                                   _position(path, key_node))
            out[key] = _convert(path, value_node, loader, trail + (key,))
            out.key_pos[key] = _position(path, key_node)
            out.value_pos[key] = _position(path, value_node)
            out.value_style[key] = value_node.style if isinstance(value_node, yaml.ScalarNode) else None
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = YList()
        seq.pos = _position(path, node)
        seq.item_pos, seq.item_style = [], []
        for number, item in enumerate(node.value, start=1):
            seq.append(_convert(path, item, loader, trail + (_item_step(trail, item, number),)))
            seq.item_pos.append(_position(path, item))
            seq.item_style.append(item.style if isinstance(item, yaml.ScalarNode) else None)
        return seq
    return _scalar(path, node, loader, trail)


# libyaml's parser when PyYAML was built with it (the wheels are): same nodes and marks, ~8x faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _line(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index] if 0 <= index < len(lines) else ""


def _runaway_quote(text: str, mark: Any) -> Any:
    """Where a quoted text opened on an earlier line ends on the line of ``mark``, the mark of its opening quote.

    A quote left open runs on to the next quote of the file, lines later, and the error comes
    from there; rulesets have no text that is meant to span lines inside quotes.
    """
    try:
        for token in yaml.scan(text, Loader=_LOADER):
            if token.start_mark.line > mark.line:
                return None
            if (isinstance(token, yaml.ScalarToken) and token.style in ('"', "'")
                    and token.start_mark.line < token.end_mark.line == mark.line):
                return token.start_mark
    except yaml.YAMLError:
        return None
    return None


def _syntax_advice(exc: yaml.MarkedYAMLError, text: str) -> tuple[str, Any] | None:
    """What to do about one of the YAML mistakes people make in a ruleset, and the mark to point at.

    PyYAML notices an unclosed quote or bracket, or a key without its space, only lines later:
    those point at where the text opened (the context mark), the rest at the problem.
    """
    problem, context = exc.problem or "", exc.context or ""
    if "unknown escape character" in problem:
        return ("; inside double quotes YAML reads a backslash as an escape (\\d, \\w): put the whole value in single "
                "quotes or leave it unquoted (when: 'job_title matches \"\\d+\"')", None)
    if "scanning a quoted scalar" in context:
        return ("; a quoted text starts here and is never closed: add the closing quote", exc.context_mark)
    if "scanning a simple key" in context:
        return ("; a key needs a colon and a space before its value ('points: 10', not 'points:10')",
                exc.context_mark)
    if "parsing a flow sequence" in context or "parsing a flow mapping" in context:
        closer = "]" if "sequence" in context else "}"
        return (f"; the list or mapping opened here is not closed: add '{closer}' after its last item, and "
                "quote an item that holds ': ', '#' or a bracket", exc.context_mark)
    opened = _runaway_quote(text, exc.problem_mark) if exc.problem_mark else None
    if opened is not None:
        return (f"; the quoted text that starts here is not closed on its line and runs on to line "
                f"{exc.problem_mark.line + 1}: add the closing quote", opened)
    if "mapping values are not allowed" in problem:
        return ("; a ': ' where no key can start: line this key up with the keys above it, or, when the "
                "value holds ': ' (a condition, a label), put the whole value in single quotes", None)
    if "expected '-' indicator" in problem:
        return ("; this line is not indented like the list items around it: line it up with the keys of its "
                "item, or start a new item with '- ' (a dash and a space)", None)
    if "expected key" in problem:
        return ("; this line does not line up with the keys above it, or a value that starts with a quote "
                "goes on after the closing quote (put the whole value in single quotes)", None)
    return None


def load_yaml(text: str, path: str) -> Any:
    """Parse YAML text safely into YMap/YList/scalars, with positions.

    Raises:
        RulesetError: on syntax errors, aliases, oversize input, or tags.
    """
    if len(text.encode("utf-8", "replace")) > MAX_RULESET_BYTES:
        raise RulesetError(f"ruleset is larger than {MAX_RULESET_BYTES // 1000} kB; split or trim it",
                           Position(path))
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise RulesetError("YAML aliases ('*name') are not allowed in rulesets; repeat the value",
                                   Position(path, mark.line + 1, mark.column + 1))
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            return _convert(path, node, loader)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark and "\t" in _line(text, mark.line)[: mark.column + 1]:
            problem += "; YAML indents with spaces, never tabs: replace the tabs with spaces"
        else:
            advice = _syntax_advice(exc, text)
            if advice:
                problem, mark = f"{problem}{advice[0]}", advice[1] or mark
        pos = Position(path, mark.line + 1, mark.column + 1) if mark else Position(path)
        raise RulesetError(f"YAML syntax error: {problem}", pos) from None
    except yaml.YAMLError as exc:
        raise RulesetError(f"YAML error: {exc}", Position(path)) from None
