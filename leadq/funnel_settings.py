"""The ruleset's ``funnel`` section, typed, and a tolerant reader of SLA hours from ``sla``.

```yaml
funnel:
  benchmarks:                 # defaults below; null removes one
    mql_to_sql: [10%, 20%]    # a range: fractions (0.1) or percentages ('10%')
    lead_velocity: 10%        # one number means "about": within +-10% of it
    mql_to_won_days: 84
  small_segment: 30           # segments with fewer leads are flagged (default: settings.small_segment)
  size_bands: [10, 50, 200, 500, 1000, 5000, 10000]   # upper bounds of company-size bands
  lifecycle_stages:           # lifecycle_stage values that mean a stage was reached
    mql: [marketingqualifiedlead, mql]
```

The ``sla`` section belongs to routing (another part of leadq owns its full
schema); :func:`sla_hours` only reads the response time per tier from it,
accepting ``tier: 1``, ``tier: {hours: 1}``, ``{minutes: 30}``, ``{within: "1h"}``
and a list of ``{tier: name, hours: n}`` items, and ignoring everything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from leadq.errors import Position, RulesetError, did_you_mean, one_of
from leadq.yamlsource import YList, YMap

STAGES = ("lead", "mql", "sql", "opportunity", "won")
RATE_BENCHMARKS = ("lead_to_mql", "mql_to_sql", "sql_to_opportunity", "opportunity_to_won", "lead_to_won",
                   "lead_velocity")
DAY_BENCHMARKS = ("lead_to_mql_days", "mql_to_sql_days", "sql_to_opportunity_days", "opportunity_to_won_days",
                  "mql_to_won_days", "lead_to_won_days")
ABOUT = 0.10  # a single-number benchmark n means n +- 10%


@dataclass(frozen=True)
class Benchmark:
    """A benchmark range; a figure is below, within or above it.

    Attributes:
        low: lower bound (inclusive).
        high: upper bound (inclusive).
        text: how to show it ("10-20%", "~84 d").
    """

    low: float
    high: float
    text: str

    def mark(self, value: float | None) -> str | None:
        """``"below"``, ``"within"`` or ``"above"`` for a figure; None when there is no figure."""
        if value is None:
            return None
        # Rounding keeps a rate shown as "20.0%" from being marked above a 20% ceiling.
        v = round(value, 9)
        if v < round(self.low, 9):
            return "below"
        if v > round(self.high, 9):
            return "above"
        return "within"


DEFAULT_BENCHMARKS: dict[str, Benchmark] = {
    # Published B2B SaaS figures (e.g. Gartner/Forrester-style funnel surveys).
    "mql_to_sql": Benchmark(0.10, 0.20, "10-20%"),
    "sql_to_opportunity": Benchmark(0.20, 0.30, "20-30%"),
    "lead_velocity": Benchmark(0.10 * (1 - ABOUT), 0.10 * (1 + ABOUT), "~10%"),
    "mql_to_won_days": Benchmark(84 * (1 - ABOUT), 84 * (1 + ABOUT), "~84 d"),
}
DEFAULT_SIZE_BANDS = (10.0, 50.0, 200.0, 500.0, 1000.0, 5000.0, 10000.0)
DEFAULT_LIFECYCLE_STAGES: dict[str, tuple[str, ...]] = {
    # Normalised: lower case, letters and digits only. HubSpot lifecycle stages and common aliases.
    "mql": ("marketingqualifiedlead", "mql"),
    "sql": ("salesqualifiedlead", "sql"),
    "opportunity": ("opportunity", "opp"),
    "won": ("customer", "closedwon", "won"),
}
DEFAULT_SLA_HOURS: dict[str, float] = {"hand_raiser": 1.0, "mql": 24.0}


@dataclass(frozen=True)
class FunnelSettings:
    """The typed ``funnel`` section (every value has a default)."""

    benchmarks: dict[str, Benchmark] = field(default_factory=lambda: dict(DEFAULT_BENCHMARKS))
    small_segment: int | None = None  # None: the ruleset's settings.small_segment
    size_bands: tuple[float, ...] = DEFAULT_SIZE_BANDS
    lifecycle_stages: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_LIFECYCLE_STAGES))


def normalise_stage_value(text: str) -> str:
    """Lower-case letters and digits only: "Marketing Qualified Lead" -> "marketingqualifiedlead"."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _pos(data: YMap, key: str) -> Position:
    return data.value_pos.get(key, data.pos)


def _number(value: Any, *, percent: bool) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if percent and isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*%\s*", value):
        return float(value.strip().rstrip("%")) / 100
    return None


def _rate(value: Any, where: str, pos: Position) -> float:
    number = _number(value, percent=True)
    if number is None:
        raise RulesetError(f"{where}: expected a rate such as 0.15 or '15%', got {value!r}", pos)
    if isinstance(value, (int, float)) and abs(number) > 1:
        raise RulesetError(f"{where}: {value!r} is not a fraction; write 0.15 or '15%' for fifteen per cent", pos)
    return number


def _days(value: Any, where: str, pos: Position) -> float:
    number = _number(value, percent=False)
    if number is None or number <= 0:
        raise RulesetError(f"{where}: expected a number of days greater than 0, got {value!r}", pos)
    return number


def _fmt(value: float, is_rate: bool) -> str:
    return f"{value * 100:g}%" if is_rate else f"{value:g} d"


def _benchmark(name: str, value: Any, pos: Position) -> Benchmark:
    is_rate = name in RATE_BENCHMARKS
    where = f"funnel.benchmarks.{name}"
    read = _rate if is_rate else _days
    if isinstance(value, YList):
        if len(value) != 2:
            raise RulesetError(f"{where}: a range is two values [low, high], got {len(value)}", pos)
        low, high = (read(v, where, p) for v, p in zip(value, value.item_pos))
        if low > high:
            raise RulesetError(f"{where}: the low end {_fmt(low, is_rate)} is above the high end "
                               f"{_fmt(high, is_rate)}", pos)
        text = (f"{low * 100:g}-{high * 100:g}%" if is_rate else f"{low:g}-{high:g} d")
        return Benchmark(low, high, text)
    single = read(value, where, pos)
    lo, hi = single * (1 - ABOUT), single * (1 + ABOUT)
    return Benchmark(min(lo, hi), max(lo, hi), "~" + _fmt(single, is_rate))


def parse_funnel(data: Any, pos: Position) -> FunnelSettings:
    """Type the ``funnel`` section of a ruleset.

    Args:
        data: the raw section (a YMap) or None.
        pos: where the section is, for errors about the section as a whole.

    Raises:
        RulesetError: with file, line and column of the first problem, naming what is allowed.
    """
    if data is None:
        return FunnelSettings()
    if not isinstance(data, YMap):
        raise RulesetError("funnel must be a mapping (benchmarks:, small_segment:, size_bands:, lifecycle_stages:)",
                           pos)
    allowed = {"benchmarks", "small_segment", "size_bands", "lifecycle_stages"}
    for key in data:
        if key not in allowed:
            raise RulesetError(f"funnel: unknown key '{key}'{did_you_mean(key, allowed)}; {one_of(allowed)}",
                               data.key_pos[key])
    benchmarks = dict(DEFAULT_BENCHMARKS)
    raw = data.get("benchmarks")
    if raw is not None:
        if not isinstance(raw, YMap):
            raise RulesetError("funnel.benchmarks must be a mapping of benchmark names to ranges",
                               _pos(data, "benchmarks"))
        known = RATE_BENCHMARKS + DAY_BENCHMARKS
        for name, value in raw.items():
            if name not in known:
                raise RulesetError(f"funnel.benchmarks: unknown benchmark '{name}'{did_you_mean(name, known)}; "
                                   f"{one_of(known)}", raw.key_pos[name])
            if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "off")):
                benchmarks.pop(name, None)
                continue
            benchmarks[name] = _benchmark(name, value, raw.value_pos[name])
    small: int | None = None
    if "small_segment" in data:
        value = data["small_segment"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RulesetError(f"funnel.small_segment: expected a whole number of leads (1 or more), got {value!r}",
                               _pos(data, "small_segment"))
        small = value
    bands = DEFAULT_SIZE_BANDS
    if "size_bands" in data:
        seq = data["size_bands"]
        if not isinstance(seq, YList) or not seq:
            raise RulesetError("funnel.size_bands: expected a list of employee counts, e.g. [10, 50, 200, 1000]",
                               _pos(data, "size_bands"))
        previous = 0.0
        out = []
        for item, ipos in zip(seq, seq.item_pos):
            if isinstance(item, bool) or not isinstance(item, (int, float)) or item <= previous:
                raise RulesetError("funnel.size_bands: each bound must be a number above the one before it "
                                   f"(and above 0), got {item!r}", ipos)
            previous = float(item)
            out.append(float(item))
        bands = tuple(out)
    stages = dict(DEFAULT_LIFECYCLE_STAGES)
    if "lifecycle_stages" in data:
        raw = data["lifecycle_stages"]
        if not isinstance(raw, YMap):
            raise RulesetError("funnel.lifecycle_stages must map a stage (mql, sql, opportunity, won) to a list "
                               "of lifecycle_stage values", _pos(data, "lifecycle_stages"))
        for stage, values in raw.items():
            if stage not in STAGES[1:]:
                raise RulesetError(f"funnel.lifecycle_stages: unknown stage '{stage}'"
                                   f"{did_you_mean(stage, STAGES[1:])}; {one_of(STAGES[1:])}", raw.key_pos[stage])
            if isinstance(values, str):
                values = [values]
            if not isinstance(values, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                                       for v in values):
                raise RulesetError(f"funnel.lifecycle_stages.{stage}: expected a list of values as text",
                                   raw.value_pos[stage])
            stages[stage] = tuple(normalise_stage_value(str(v)) for v in values)
    return FunnelSettings(benchmarks=benchmarks, small_segment=small, size_bands=bands, lifecycle_stages=stages)


_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|hr|hrs|hours?|m|min|mins|minutes?|d|days?)\s*$", re.I)


def _hours_of(value: Any) -> float | None:
    """Hours from one SLA entry, or None when it gives none that this reader understands."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value > 0 else None
    if isinstance(value, str):
        m = _DURATION_RE.match(value)
        if not m:
            return None
        n, unit = float(m.group(1)), m.group(2).lower()
        return n / 60 if unit.startswith("m") else n * 24 if unit.startswith("d") else n
    if isinstance(value, dict):
        for key, scale in (("hours", 1.0), ("response_hours", 1.0), ("minutes", 1 / 60), ("days", 24.0)):
            if key in value:
                got = _hours_of(value[key])
                return got * scale if got is not None and not isinstance(value[key], str) else got
        for key in ("within", "response", "response_time"):
            if key in value:
                return _hours_of(value[key])
    return None


def sla_hours(sla_section: Any) -> dict[str, float]:
    """Response time in hours per tier, from the ruleset's raw ``sla`` section.

    Defaults (hand_raiser 1 h, mql 24 h) apply to tiers the section does not
    mention. Entries this reader does not understand are ignored: the ``sla``
    schema is owned by routing, which validates it.
    """
    out = dict(DEFAULT_SLA_HOURS)
    if isinstance(sla_section, dict):
        entries = sla_section.get("tiers") if isinstance(sla_section.get("tiers"), (dict, list)) else sla_section
        if isinstance(entries, dict):
            for tier, value in entries.items():
                hours = _hours_of(value)
                if hours is not None:
                    out[str(tier)] = hours
            return out
        sla_section = entries
    if isinstance(sla_section, list):
        for item in sla_section:
            if isinstance(item, dict):
                tier = item.get("tier") or item.get("name")
                hours = _hours_of(item)
                if isinstance(tier, str) and hours is not None:
                    out[tier] = hours
    return out
