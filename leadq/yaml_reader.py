"""Typed reading of the YAML that :mod:`leadq.yamlsource` loads, every error with its position.

The ruleset's section readers (:mod:`leadq.ruleset_loader`, :mod:`leadq.ruleset_actions`)
and the cases files of ``leadq test`` (:mod:`leadq.cases`) read their mappings through
:class:`Reader` and the checks below: unknown keys with did-you-mean, missing keys, text,
numbers, snake_case ids and conditions, each raising a
:class:`~leadq.errors.RulesetError` at the line and column of the value at fault.
"""

from __future__ import annotations

import re
from typing import Any

from leadq.condition_parser import parse
from leadq.errors import ConditionError, Position, RulesetError, did_you_mean, one_of
from leadq.ruleset import Condition
from leadq.yamlsource import YList, YMap

ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# The largest points, cap, threshold or number of days a ruleset may give: far beyond any real one, and far
# below where a float's products overflow (points times 10 in an explanation's rounding, 1e308 times 10 did).
MAX_NUMBER = 1e9


class Reader:
    """Typed access to a YMap, raising positioned RulesetErrors.

    Args:
        data: the mapping read.
        where: what it is, for the messages ("settings", "fit rule 'demo'").
    """

    def __init__(self, data: YMap, where: str):
        self.data = data
        self.where = where

    def check_keys(self, allowed: set[str], required: set[str] = frozenset()) -> None:
        """Raise on the first key not in ``allowed`` (with did-you-mean), then on a missing ``required`` key."""
        for key in self.data:
            if key not in allowed:
                raise RulesetError(
                    f"{self.where}: unknown key '{key}'{did_you_mean(key, allowed)}; {one_of(allowed)}",
                    self.data.key_pos[key],
                )
        for key in sorted(required):
            if key not in self.data:
                raise RulesetError(f"{self.where}: missing required key '{key}'", self.data.pos)

    def pos(self, key: str) -> Position:
        """The position of ``key``'s value, or of the mapping when the key is absent."""
        return self.data.value_pos.get(key, self.data.pos)

    def get(self, key: str, default: Any = None) -> Any:
        """``key``'s value as it is, or ``default``."""
        return self.data.get(key, default)

    def text(self, key: str, default: str | None = None) -> str | None:
        """``key``'s value as text (a number is read as its text), or ``default`` when absent."""
        value = self.data.get(key, default)
        if value is None or value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise RulesetError(f"{self.where}: '{key}' must be text", self.pos(key))
        return str(value)

    def number(self, key: str, default: float | None = None, *, positive: bool = False,
               allow_none: bool = False) -> float | None:
        """``key``'s value as a float, or ``default`` when absent.

        Args:
            key: the key read.
            default: the value when the key is absent.
            positive: the number must be greater than 0.
            allow_none: a blank, "none", "off" or "never" reads as None.
        """
        if key not in self.data:
            return default
        value = self.data[key]
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "off", "never")):
            if allow_none:
                return None
            raise RulesetError(f"{self.where}: '{key}' must be a number", self.pos(key))
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RulesetError(f"{self.where}: '{key}' must be a number, got {value!r}", self.pos(key))
        if positive and value <= 0:
            raise RulesetError(f"{self.where}: '{key}' must be greater than 0, got {value}", self.pos(key))
        if abs(value) > MAX_NUMBER:
            raise RulesetError(f"{self.where}: '{key}' must be at most {MAX_NUMBER:,.0f} either way, got {value:g}",
                               self.pos(key))
        return float(value)

    def condition(self, key: str) -> Condition | None:
        """``key``'s condition, parsed (a YAML true/false reads as that condition), or None when absent."""
        if key not in self.data:
            return None
        value = self.data[key]
        pos = self.pos(key)
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, str):
            raise RulesetError(f"{self.where}: '{key}' must be a condition written as text", pos)
        quoted = self.data.value_style.get(key) in ('"', "'")
        return parse_condition(value, pos, self.where, quoted)


def parse_condition(text: str, pos: Position, where: str, quoted: bool = False) -> Condition:
    """Parse condition text, mapping syntax errors to file positions."""
    try:
        tree = parse(text)
    except ConditionError as exc:
        cond = Condition(text, None, pos, quoted)  # type: ignore[arg-type]
        raise cond.located_error(where, exc.message, exc.offset) from None
    return Condition(text, tree, pos, quoted)


def as_mapping(value: Any, where: str, pos: Position) -> YMap:
    """``value`` when it is a mapping; else a RulesetError at ``pos``."""
    if not isinstance(value, YMap):
        raise RulesetError(f"{where} must be a mapping of keys to values", pos)
    return value


def as_sequence(value: Any, where: str, pos: Position) -> YList:
    """``value`` when it is a list; else a RulesetError at ``pos``."""
    if not isinstance(value, YList):
        raise RulesetError(f"{where} must be a list (items starting with '- ')", pos)
    return value


def check_id(value: Any, where: str, pos: Position) -> str:
    """``value`` when it is a snake_case id (rule ids, codes, list and group names); else a RulesetError at ``pos``."""
    if not isinstance(value, str) or not ID_RE.match(value):
        raise RulesetError(
            f"{where}: id {value!r} must be snake_case (lower-case letters, digits and _; starting with a letter)",
            pos,
        )
    return value
