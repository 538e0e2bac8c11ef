"""The ruleset model: frozen dataclasses for what a ruleset says.

A ruleset is a YAML file a RevOps analyst can read aloud. Its sections:

``columns`` / ``account_columns`` / ``activity_columns``
    CRM column names for leadq's canonical fields (see :mod:`leadq.fields`).
``settings``
    defaults: decay half-life, lookback window, date order, number format, de-duplication.
``lists``
    named value lists (``@competitor_domains``); built-in lists are added.
``fit`` / ``intent`` / ``negative``
    scoring rules with ids, labels, points and conditions.
``disqualifiers``
    must-have gates with reason codes and a ``bad_fit`` / ``bad_timing`` category.
``grades``
    letters from the fit score; ``tiers``: ordered, first match wins.

:mod:`leadq.ruleset_loader` reads the YAML into this model, checking structure and
types with the position of every error; :mod:`leadq.compiler` checks that conditions
name real fields. :func:`leadq.ruleset_loader.load_ruleset` runs both.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from leadq.conditions import Node, Type
from leadq.errors import Position, RulesetError

CATEGORIES = ("bad_fit", "bad_timing")
SCORE_DECIMALS = 9  # fit, intent and total are snapped to this many decimals (leadq.compiler.snapped)
DATE_ORDERS = ("iso", "us", "eu")
# How numbers are written in CSV text: thousands separator, then decimal separator.
NUMBER_FORMATS = {
    "1,234.5": "comma thousands, point decimals; the default",
    "1.234,5": "point thousands, comma decimals, as in German or Dutch exports",
    "1 234,5": "space thousands, comma decimals, as in French or Nordic exports",
}
# How event points decay with age (settings.decay, a rule's decay), by the half-life.
DECAY_MODES = {
    "continuous": "0.5 ** (age / half-life): a little every day; the default",
    "step": "0.5 ** floor(age / half-life): full points until one half-life, then half, then a quarter",
}
# How often an event rule scores (its `per:`): points per event, once per lead, or at most one
# scoring event per lead and calendar day or ISO week (Monday first) of settings.timezone.
PER_MODES = {
    "event": "points for each matching event; the default",
    "lead": "points once, decayed from the latest event",
    "day": "points for at most one event a calendar day, its latest",
    "week": "points for at most one event a week, Monday to Sunday, its latest",
}
# The `per:` values that score at most one event per calendar period (Rule.once_per).
PER_PERIODS = ("day", "week")
# How a range in a number column ("51-200", as enrichment tools write company size) reads as one number.
RANGE_READINGS = {
    "low": "the lower bound: 51-200 is 51, 'at least'; the default",
    "middle": "the midpoint: 51-200 is 125.5",
    "high": "the upper bound: 51-200 is 200",
}


@dataclass(frozen=True)
class Column:
    """One mapped column: canonical field name, CRM column name and value type.

    ``date_order`` (a date field) and ``number_format`` (a number field) read this column
    in another way than ``settings`` says, where the mapping gives one (None: as settings say):
    an activity log from a US tool among European contacts. :meth:`read_settings` applies them.
    """

    field: str
    column: str
    type: Type
    pos: Position
    date_order: str | None = None  # one of DATE_ORDERS
    number_format: str | None = None  # one of NUMBER_FORMATS

    def read_settings(self, settings: Settings) -> Settings:
        """``settings`` with this column's own ``date_order`` and ``number_format`` in place of the ruleset's."""
        if self.date_order is None and self.number_format is None:
            return settings
        return replace(settings, date_order=self.date_order or settings.date_order,
                       number_format=self.number_format or settings.number_format)


@dataclass(frozen=True)
class Condition:
    """A condition's text, its parsed tree and where it was written."""

    text: str
    tree: Node
    pos: Position
    quoted: bool = False

    def error_position(self, offset: int) -> Position:
        """Position of a character of the condition in the ruleset file."""
        if self.pos.line and "\n" not in self.text[:offset]:
            return Position(self.pos.path, self.pos.line, self.pos.column + offset + (1 if self.quoted else 0))
        return self.pos

    def located_error(self, where: str, message: str, offset: int) -> RulesetError:
        """The error ``message`` about the condition's character at ``offset``, at its place in the file.

        The message's "at column N" (N counted in the condition) goes when the file position
        names that very character: one column number, the file's. It stays where the file
        position cannot be exact: a condition over several lines, or, in a quoted scalar, a character
        before it that YAML may have made of two (a quote, a backslash or a control character: ``\\"``,
        ``''``, ``\\\\``, ``\\t``).
        """
        before = self.text[:offset]
        escaped = self.quoted and any(c in "\"'\\" or c < " " for c in before)
        exact = bool(self.pos.line) and "\n" not in before and not escaped
        if exact:
            message = message.replace(f" at column {offset + 1}", "", 1)
        return RulesetError(f"{where}: {message}", self.error_position(offset))


@dataclass(frozen=True)
class Rule:
    """A scoring rule.

    Contact rules have ``when``; event rules have ``events`` (and optional
    ``where`` over event fields) and score per matching event, with decay,
    a lookback window and a cap.
    """

    id: str
    label: str
    section: str  # "fit" | "intent" | "negative"
    score: str  # "fit" | "intent": which score the points count toward
    points: float
    pos: Position
    when: Condition | None = None
    events: tuple[str, ...] = ()
    where: Condition | None = None
    cap: float | None = None
    within_days: float | None = None
    half_life_days: float | None = None  # None: no decay
    decay: str = "continuous"  # one of DECAY_MODES
    min_count: int = 1
    per: str = "event"  # "event": points per scoring event; "lead": once when min_count reached
    # `per: day` / `per: week`: at most one scoring event per lead and calendar day / ISO week of
    # settings.timezone, the period's latest (per is then "event": `_n__` counts those days).
    once_per: str | None = None
    group: str | None = None  # the score group whose cap it shares (Ruleset.groups)
    events_pos: Position | None = None  # where `event:` is written (an event rule's type findings point there)

    @property
    def is_event_rule(self) -> bool:
        """True when the rule scores activity events rather than contact fields."""
        return bool(self.events)


@dataclass(frozen=True)
class ScoreGroup:
    """Rules whose points count together up to a cap, like a rule's own cap ("web activity: at most 40").

    The group's points are the sum of its rules' points (each after its own cap),
    clipped to ``-cap..cap``; its rules all count toward the same score.
    """

    id: str
    label: str
    cap: float
    score: str  # "fit" | "intent"
    rules: tuple[str, ...]
    pos: Position


@dataclass(frozen=True)
class Disqualifier:
    """A must-have gate; a lead failing it gets the reason code."""

    code: str
    label: str
    category: str  # bad_fit | bad_timing
    when: Condition
    pos: Position


@dataclass(frozen=True)
class Grade:
    """A grade letter and the minimum fit score for it (None: everything else)."""

    letter: str
    min_fit: float | None
    pos: Position


@dataclass(frozen=True)
class Tier:
    """An ordered tier; ``when`` None means "otherwise" (every remaining lead)."""

    name: str
    when: Condition | None
    pos: Position
    description: str = ""


@dataclass(frozen=True)
class Settings:
    """Ruleset-wide defaults."""

    half_life_days: float | None = 30.0
    decay: str = "continuous"  # one of DECAY_MODES: how points fall by the half-life
    lookback_days: float = 180.0
    date_order: str = "iso"
    number_format: str = "1,234.5"  # one of NUMBER_FORMATS
    number_ranges: str = "low"  # one of RANGE_READINGS
    timezone: str = "UTC"
    dedupe_on: tuple[str, ...] = ("lead_id",)
    small_segment: int = 30


@dataclass(frozen=True)
class Ruleset:
    """A loaded, structurally valid ruleset."""

    name: str
    path: str
    description: str
    columns: dict[str, Column]
    account_columns: dict[str, Column]
    activity_columns: dict[str, Column]
    settings: Settings
    lists: dict[str, tuple]
    rules: tuple[Rule, ...]
    disqualifiers: tuple[Disqualifier, ...]
    grades: tuple[Grade, ...]
    tiers: tuple[Tier, ...]
    sections: dict[str, Any] = field(default_factory=dict)  # raw later-stage sections (routing, titles...)
    section_pos: dict[str, Position] = field(default_factory=dict)
    funnel: Any = None  # leadq.funnel_settings.FunnelSettings: the typed `funnel` section
    actions: Any = None  # leadq.action_model.ActionSections: typed routing, sla, nurture, accounts, titles
    groups: tuple[ScoreGroup, ...] = ()
    # Per column section, the fields a ruleset that extends another unmaps (`lead_status: null`), where it does.
    unmapped: dict[str, dict[str, Position]] = field(default_factory=dict)

    @property
    def fit_rules(self) -> tuple[Rule, ...]:
        """Rules counting toward the fit score."""
        return tuple(r for r in self.rules if r.score == "fit")

    @property
    def intent_rules(self) -> tuple[Rule, ...]:
        """Rules counting toward the intent score."""
        return tuple(r for r in self.rules if r.score == "intent")

    def score_parts(self, score: str) -> tuple[tuple[Rule, ...], tuple[ScoreGroup, ...]]:
        """What a score adds up: its rules in no group, and its groups (each capped)."""
        return (tuple(r for r in self.rules if r.score == score and r.group is None),
                tuple(g for g in self.groups if g.score == score))

    @property
    def event_rules(self) -> tuple[Rule, ...]:
        """Rules scored from activity events."""
        return tuple(r for r in self.rules if r.is_event_rule)

    @property
    def grade_letters(self) -> tuple[str, ...]:
        """Grade letters, best first."""
        return tuple(g.letter for g in self.grades)

    @property
    def tier_names(self) -> tuple[str, ...]:
        """Distinct tier names in ruleset order."""
        return tuple(dict.fromkeys(t.name for t in self.tiers))

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError if none)."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)
