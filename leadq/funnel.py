"""Funnel figures as data: stage conversions, time between stages, speed to lead, breakdowns.

Input: one row per lead with stage dates (:mod:`leadq.funnel_input`). Every
figure is a Polars expression over the whole frame; loops run over stages,
pairs, segments and months, never over leads.

Definitions (the README documents them for users):

* A lead has **reached** a stage when it has that stage's date, or a later
  stage's date (``lost_at`` counts as evidence of the opportunity stage), or a
  ``lifecycle_stage`` at or past it. Skipped stages do not break the chain.
* A lead's **entry date** is ``created_at``, else its earliest stage date. The
  period (``--from`` / ``--to``) and cohorts use it.
* **Time between stages** uses only leads with both dates, in order; a later
  stage dated before an earlier one is counted as out of order and left out.
* **Speed to lead**: hours from ``mql_at`` to ``first_touch_at``; the SLA is
  the ruleset's per tier (default: hand_raiser 1 h, everything else the mql 24 h).
* **As of** ``as_of``: a date after it has not happened yet (blank), a lead whose
  entry date is after it is not in the funnel (counted), and a lead with a date
  after it has its lifecycle stage ignored (the CRM's current value, undated).
* **Calendar**: months (cohorts, velocity), cohort ages in days and period bounds
  given as dates are those of the ruleset's ``settings.timezone`` (default UTC):
  a lead created on Oct 31 at 21:00 in New York is in New York's October. A month
  is read off each instant's local date, never as a fixed offset or a count of
  24-hour days, so it holds across daylight saving changes. Times between stages
  are durations and do not depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Sequence
from zoneinfo import ZoneInfo

import polars as pl

from leadq.conditions import literal_date, zoned_date
from leadq.funnel_input import BLANK, SIZE_BAND, FunnelInput, size_band_labels
from leadq.funnel_settings import DEFAULT_SLA_HOURS, Benchmark, FunnelSettings, normalise_stage_value, sla_hours
from leadq.ruleset import Ruleset

SCHEMA_VERSION = 1
STAGES = ("lead", "mql", "sql", "opportunity", "won")
STAGE_LABELS = {"lead": "Lead", "mql": "MQL", "sql": "SQL", "opportunity": "Opportunity", "won": "Won"}
STAGE_DATES = {"lead": "created_at", "mql": "mql_at", "sql": "sql_at", "opportunity": "opportunity_at",
               "won": "won_at"}
# Consecutive conversions, then overall.
CONVERSIONS = (("lead", "mql"), ("mql", "sql"), ("sql", "opportunity"), ("opportunity", "won"), ("lead", "won"))
# Time between stages; mql -> won is the sales-cycle figure the 84-day benchmark is about.
DURATIONS = (("lead", "mql"), ("mql", "sql"), ("sql", "opportunity"), ("opportunity", "won"), ("mql", "won"),
             ("lead", "won"))
# Stages checked for dates out of order, with the earlier stages to compare with (nearest first).
ORDER_CHECKS = {"mql": ("created_at",), "sql": ("mql_at", "created_at"),
                "opportunity": ("sql_at", "mql_at", "created_at"),
                "won": ("opportunity_at", "sql_at", "mql_at", "created_at"),
                "lost": ("opportunity_at", "sql_at", "mql_at", "created_at")}
VELOCITY_MONTHS = 12
_US_PER_DAY = 86_400_000_000
_US_PER_HOUR = 3_600_000_000


def key(a: str, b: str) -> str:
    """The name of a stage pair: ``mql_to_sql``."""
    return f"{a}_to_{b}"


@dataclass
class FunnelReport:
    """Every figure of ``leadq funnel``; :meth:`to_dict` is the ``--json`` document."""

    ruleset: str
    as_of: str
    timezone: str
    period: dict
    input: dict
    stages: list[dict]
    closed: dict
    conversions: list[dict]
    durations: list[dict]
    out_of_order: dict
    speed_to_lead: dict
    velocity: dict
    cohorts: list[dict]
    breakdowns: list[dict] = field(default_factory=list)
    disqualification: dict | None = None
    benchmarks: dict = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict:
        """A JSON-ready dict (schema documented in the README, pinned by a golden test).

        Its lists and dicts are the report's own, not copies: every field already holds plain data, and
        ``dataclasses.asdict`` copying it all took 4 s for 15,000 segments (more than computing them).
        """
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return {"schema_version": data.pop("schema_version"), **data}

    def compact(self) -> dict:
        """The few figures ``leadq score`` shows at the end of its summary (and puts in its JSON)."""
        return _compact(self.input["leads"], self.stages, self.conversions, self.out_of_order, self.speed_to_lead)


def _compact(leads: int, stages: list, conversions: list, out_of_order: dict, speed_to_lead: dict) -> dict:
    return {"leads": leads, "stages": stages, "conversions": conversions, "out_of_order": out_of_order["leads"],
            "speed_to_lead": {k: speed_to_lead[k] for k in
                              ("mqls", "median_hours", "share_within_sla", "untouched_past_sla", "unavailable")}}


def touch_unavailable(inp: FunnelInput, ruleset: Ruleset) -> str | None:
    """Why speed to lead cannot be computed (no first-touch column in the input), or None when it can.

    Without the column every MQL would read as untouched: SLA misses that are only a missing column.
    """
    if "first_touch_at" in inp.columns:
        return _mql_dates_without_time(inp, ruleset)
    mapped = ruleset.columns.get("first_touch_at")
    if mapped is None:
        return "the ruleset maps no first_touch_at column"
    return f"the input has no column '{mapped.column}' (first_touch_at)"


def _mql_dates_without_time(inp: FunnelInput, ruleset: Ruleset) -> str | None:
    """Why speed to lead cannot be measured in hours when every MQL date is a date without a time.

    A date-only MQL field (a Salesforce Date field) reads as that day's midnight: a lead touched at
    9:00 the day it became an MQL counted 9 hours, and an 8-hour SLA a miss.
    """
    if "mql_at" not in inp.frame.columns:
        return None
    local = pl.col("mql_at").dt.convert_time_zone(ruleset.settings.timezone)
    dated, timed = inp.frame.select(pl.col("mql_at").is_not_null().sum().alias("dated"),
                                    (local.dt.time() != pl.lit(time(0))).sum().alias("timed")).row(0)
    if not dated or timed:
        return None
    column = ruleset.columns["mql_at"].column if "mql_at" in ruleset.columns else "mql_at"
    return (f"the MQL dates ('{column}') have no time of day, so the hours to the first touch cannot be "
            "measured; export the MQL date with its time")


# --------------------------------------------------------------------------- the calendar


def day_start(day: date, tz: str) -> datetime:
    """The instant (UTC) at which ``day`` begins in the time zone ``tz``.

    Local midnight; where a daylight saving change skips midnight, the first instant of the day
    (the skipped wall time read with the offset before the change, as zoneinfo does).
    """
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def period_bound(text: str, tz: str = "UTC", *, end: bool = False) -> datetime:
    """A ``--from``/``--to`` value as a UTC instant, its calendar read in ``tz`` (``settings.timezone``).

    A date is the start of that day in ``tz``; with ``end``, the start of the next day, so that a
    date-only end includes its whole day. A time is read as ``--as-of`` reads it
    (:func:`leadq.conditions.zoned_date`): without an offset, a wall time in ``tz`` (one the clocks
    skip is refused, one they repeat is the earlier); with an offset (or ``Z``), that instant.

    Raises:
        ValueError: the text is not a date, or a wall time that does not exist in ``tz`` (the message
            says what to write).
    """
    moment = literal_date(text)  # a zone-less value comes back as its wall time in UTC
    try:
        if _is_date_only(text):
            day = moment.date() + timedelta(days=1) if end else moment.date()
            return day_start(day, tz)
        # A skipped wall time was read with the offset before the change, where --as-of refused it.
        return zoned_date(text, tz)
    except OverflowError:  # the day after 9999-12-31, or year 1 moved to UTC from east of it
        raise ValueError(f"{text.strip()!r} is out of range; use a date between 0002-01-01 and 9999-12-30") from None


def _is_date_only(text: str) -> bool:
    """Whether ``text`` is a date without a time, in any ISO form ``--from``/``--to`` read (2026-10-31, 20261031,
    2026-W44-6)."""
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def local_month(at: pl.Expr, tz: str) -> pl.Expr:
    """The first day (a Date) of the calendar month in ``tz`` holding each instant of ``at``.

    Read off the local date, so a month is right on both sides of a daylight saving change (a
    fixed offset would put New York's Nov 30, 23:30 EST in December).
    """
    return at.dt.convert_time_zone(tz).dt.date().dt.truncate("1mo")


def _iso(dt: datetime | None, tz: str = "UTC") -> str | None:
    """An instant in ISO form, in the time zone ``tz`` with its offset ('Z' for UTC)."""
    return None if dt is None else dt.astimezone(ZoneInfo(tz)).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- row-level expressions


def _days(later: str, earlier: str) -> pl.Expr:
    return (pl.col(later) - pl.col(earlier)).dt.total_microseconds() / _US_PER_DAY


def _local_days(columns: Sequence[str], tz: str) -> list[pl.Expr]:
    """Per date column, its day in ``tz`` (``_day_<col>``) and whether it is that day's midnight, i.e. a
    date without a time (``_midnight_<col>``): converted once per column, not once per comparison."""
    exprs = []
    for c in columns:
        local = pl.col(c).dt.convert_time_zone(tz)
        exprs += [local.dt.date().alias(f"_day_{c}"),
                  (local.dt.time() == pl.lit(time(0))).alias(f"_midnight_{c}")]
    return exprs


def _date_only_same_day(later: str, earlier: Sequence[str]) -> pl.Expr:
    """Whether ``later`` is a date without a time on the local day of ``earlier`` (the first set of them).

    Salesforce's Converted Date and many custom stage fields hold a date, read as its midnight: a
    lead created at 9:15 and converted that day is in order, not "dated before" its creation. Needs
    the columns of :func:`_local_days`.
    """
    return (pl.col(f"_midnight_{later}")
            & (pl.col(f"_day_{later}") == pl.coalesce([pl.col(f"_day_{c}") for c in earlier]))).fill_null(False)


def lifecycle_rank(frame: pl.DataFrame, settings: FunnelSettings) -> pl.Expr:
    """Each lead's stage by its lifecycle value (0: none; the index in :data:`STAGES`), worked out once per
    distinct value, then looked up. ``leadq calibrate`` reads stage reach with it too (:func:`reached`)."""
    if "lifecycle_stage" not in frame.columns:
        return pl.lit(0, dtype=pl.Int8)
    values = frame.select(pl.col("lifecycle_stage").cast(pl.String).unique().drop_nulls()).to_series()
    norm = values.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")
    ranks = pl.Series([0] * len(values), dtype=pl.Int8)
    for rank, stage in enumerate(STAGES):
        known = [normalise_stage_value(v) for v in settings.lifecycle_stages.get(stage, ())]
        ranks = ranks.zip_with(~norm.is_in(known), pl.Series([rank] * len(values), dtype=pl.Int8)) if known else ranks
    return pl.col("lifecycle_stage").cast(pl.String).replace_strict(values, ranks, default=0, return_dtype=pl.Int8)


def stage_evidence(stage: str) -> list[str]:
    """Date columns showing a lead reached ``stage``: its own and every later stage's."""
    i = STAGES.index(stage)
    cols = [STAGE_DATES[s] for s in STAGES[i:]]
    if i <= STAGES.index("opportunity"):
        cols.append("lost_at")  # a closed-lost deal was an opportunity
    return cols


def reached(stage: str, rank: pl.Expr) -> pl.Expr:
    """Whether each lead reached ``stage`` (mql, sql, opportunity, won): a date of it or of a later stage
    (:func:`stage_evidence`, every one a column of the frame), or a lifecycle ``rank`` at or past it
    (:func:`lifecycle_rank`). The one definition of "reached" for ``funnel``, the score summary and
    ``calibrate --outcome``."""
    return pl.any_horizontal([pl.col(c).is_not_null() for c in stage_evidence(stage)]) | (rank >= STAGES.index(stage))


def as_of_cut(frame: pl.DataFrame, as_of: datetime) -> tuple[pl.DataFrame, int]:
    """The leads as they stood at ``as_of``, and how many entered after it (left out).

    A date after ``as_of`` is blank: that stage was not reached yet, that touch not made. The
    lifecycle stage is the CRM's value at export, not dated: it is ignored for a lead with a date
    after ``as_of``, which may have moved it since.
    """
    dates = [c for c in (*STAGE_DATES.values(), "lost_at", "first_touch_at") if c in frame.columns]
    cut = pl.lit(as_of, dtype=pl.Datetime("us", "UTC"))
    later = pl.any_horizontal([(pl.col(c) > cut).fill_null(False) for c in dates])
    entry = pl.coalesce(pl.col("created_at"), pl.min_horizontal([c for c in dates if c != "first_touch_at"]))
    after = (entry > cut).fill_null(False)
    n_after, any_later = frame.select(after.sum().alias("after"), later.any().alias("later")).row(0)
    if not any_later:
        return frame, 0
    exprs = [pl.when(pl.col(c) <= cut).then(pl.col(c)).alias(c) for c in dates]
    if "lifecycle_stage" in frame.columns:
        exprs.append(pl.when(~later).then(pl.col("lifecycle_stage")).alias("lifecycle_stage"))
    return frame.filter(~after).with_columns(exprs), int(n_after)


def _with_row_columns(frame: pl.DataFrame, settings: FunnelSettings, sla: dict[str, float],
                      as_of: datetime, tz: str = "UTC") -> pl.DataFrame:
    """``frame`` with the per-lead helper columns: reached flags, entry date, durations, order checks, SLA outcome.

    The lifecycle rank is a column of its own first: the reached flags of four stages read
    it, and as an expression inside each its pattern ran over every lead four more times.
    It is worked out once per distinct lifecycle value (a CRM has a handful): the pattern
    over a million leads took most of the compact funnel's time.
    """
    all_dates = [STAGE_DATES[s] for s in STAGES] + ["lost_at"]
    frame = frame.with_columns(lifecycle_rank(frame, settings).alias("_life"), *_local_days(all_dates, tz))
    rank = pl.col("_life")
    exprs: list[pl.Expr] = []
    exprs.append(pl.coalesce(pl.col("created_at"), pl.min_horizontal(all_dates)).alias("_entry"))
    exprs.append((pl.all_horizontal([pl.col(c).is_null() for c in all_dates + ["first_touch_at"]])
                  & (pl.col("lifecycle_stage").is_null() if "lifecycle_stage" in frame.columns else pl.lit(True)))
                 .alias("_no_data"))
    for stage in STAGES[1:]:
        exprs.append(reached(stage, rank).alias(f"_r_{stage}"))
        exprs.append(pl.min_horizontal(stage_evidence(stage)).alias(f"_at_{stage}"))
    for stage, earlier in ORDER_CHECKS.items():
        date = STAGE_DATES.get(stage, "lost_at")
        before = pl.col(date) < pl.coalesce(earlier)
        exprs.append((before & ~_date_only_same_day(date, earlier))
                     .fill_null(False).alias(f"_o_{stage}"))
    for a, b in DURATIONS:
        d = _days(STAGE_DATES[b], STAGE_DATES[a])
        # A date without a time on the earlier stage's day: the same day, 0 days, not out of order.
        d = pl.when((d < 0) & _date_only_same_day(STAGE_DATES[b], [STAGE_DATES[a]])).then(0.0).otherwise(d)
        exprs.append(pl.when(d >= 0).then(d).alias(f"_d_{key(a, b)}"))
        exprs.append((d < 0).fill_null(False).alias(f"_x_{key(a, b)}"))
    # Speed to lead.
    mql_sla = sla.get("mql", DEFAULT_SLA_HOURS["mql"])
    tier_sla = {t: h for t, h in sla.items()}
    sla_expr = (pl.col("tier").replace_strict(tier_sla, default=mql_sla, return_dtype=pl.Float64)
                if "tier" in frame.columns else pl.lit(mql_sla, dtype=pl.Float64))
    hours = (pl.col("first_touch_at") - pl.col("mql_at")).dt.total_microseconds() / _US_PER_HOUR
    waited = (pl.lit(as_of, dtype=pl.Datetime("us", "UTC")) - pl.col("mql_at")).dt.total_microseconds() / _US_PER_HOUR
    mql = pl.col("mql_at").is_not_null()
    touched = mql & pl.col("first_touch_at").is_not_null()
    exprs += [
        sla_expr.alias("_sla"),
        pl.when(touched & (hours >= 0)).then(hours).alias("_hours"),
        (touched & (hours < 0)).alias("_touch_before"),
        (mql & pl.col("first_touch_at").is_null() & (waited > sla_expr)).alias("_untouched_past"),
        (mql & pl.col("first_touch_at").is_null() & ~(waited > sla_expr).fill_null(False)).alias("_untouched_open"),
    ]
    return frame.with_columns(exprs)


def _core_aggs() -> list[pl.Expr]:
    """Aggregations giving the core figures of a group of leads (the whole set or one segment)."""
    aggs = [pl.len().alias("leads"), pl.col("_no_data").sum().alias("no_stage_data")]
    for stage in STAGES[1:]:
        aggs.append(pl.col(f"_r_{stage}").sum().alias(f"reached_{stage}"))
    for stage in STAGES:
        aggs.append(pl.col(STAGE_DATES[stage]).is_not_null().sum().alias(f"dated_{stage}"))
    # A won deal with a lost date too (a later churn, a CRM slip) is one closed deal, won: counted as
    # lost as well, it was two closed deals and the win rate of closed fell.
    aggs.append((pl.col("lost_at").is_not_null() & ~pl.col("_r_won")).sum().alias("lost"))
    aggs.append((pl.col("won_at").is_null() & pl.col("lost_at").is_null() & pl.col("_r_opportunity")
                 & (pl.col("_life") < STAGES.index("won"))).sum().alias("open_opportunities"))
    for stage in ORDER_CHECKS:
        aggs.append(pl.col(f"_o_{stage}").sum().alias(f"ooo_{stage}"))
    aggs.append(pl.any_horizontal([pl.col(f"_o_{s}") for s in ORDER_CHECKS]).sum().alias("ooo_leads"))
    for a, b in DURATIONS:
        d = pl.col(f"_d_{key(a, b)}")
        aggs += [d.count().alias(f"n_{key(a, b)}"), d.median().alias(f"med_{key(a, b)}"),
                 d.quantile(0.9, "linear").alias(f"p90_{key(a, b)}"),
                 pl.col(f"_x_{key(a, b)}").sum().alias(f"x_{key(a, b)}")]
    h = pl.col("_hours")
    aggs += [
        pl.col("mql_at").is_not_null().sum().alias("s_mqls"),
        h.count().alias("s_touched"),
        pl.col("_touch_before").sum().alias("s_touch_before"),
        (h <= pl.col("_sla")).sum().alias("s_within"),
        (h > pl.col("_sla")).sum().alias("s_missed"),
        pl.col("_untouched_past").sum().alias("s_untouched_past"),
        pl.col("_untouched_open").sum().alias("s_untouched_open"),
        h.median().alias("s_median"), h.quantile(0.9, "linear").alias("s_p90"),
    ]
    return aggs


# --------------------------------------------------------------------------- plain-data figures


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 6) if d else None


def _round(v: Any, digits: int = 4) -> float | None:
    return None if v is None else round(float(v), digits)


def _bench(name: str, benchmarks: dict[str, Benchmark]) -> dict | None:
    b = benchmarks.get(name)
    return None if b is None else {"low": round(b.low, 6), "high": round(b.high, 6), "text": b.text}


# Column names of the aggregated row, worked out once: _figures runs once per segment, and with
# 15,000 segments building these names (and the benchmarks' dicts) each time was most of its time.
_STAGE_COLUMNS = tuple((s, STAGE_LABELS[s], f"reached_{s}", f"dated_{s}") for s in STAGES)
_DURATION_COLUMNS = tuple((key(a, b), a, b, f"n_{key(a, b)}", f"med_{key(a, b)}", f"p90_{key(a, b)}",
                           f"x_{key(a, b)}") for a, b in DURATIONS)
_OUT_OF_ORDER_COLUMNS = tuple((s, f"ooo_{s}") for s in ORDER_CHECKS)


class _Marks:
    """The benchmarks of each conversion and duration, looked up once per report rather than per segment."""

    def __init__(self, benchmarks: dict[str, Benchmark]) -> None:
        self.conversions = [(key(a, b), a, b, benchmarks.get(key(a, b)), _bench(key(a, b), benchmarks))
                            for a, b in CONVERSIONS]
        self.durations = [(k, benchmarks.get(f"{k}_days"), _bench(f"{k}_days", benchmarks))
                          for k, *_ in _DURATION_COLUMNS]


def _copy(bench: dict | None) -> dict | None:
    # Each figure gets its own dict: the report is plain data a caller may change in one place.
    return None if bench is None else dict(bench)


def _figures(row: dict, marks: _Marks, touch_unavailable: str | None = None) -> dict:
    """Core figures of one group from its aggregated row.

    With ``touch_unavailable`` (the reason), the speed-to-lead figures other than the MQL count are null.
    """
    leads = int(row["leads"])
    reached = {"lead": leads}
    stages = []
    for stage, label, reached_col, dated_col in _STAGE_COLUMNS:
        n = reached[stage] = leads if stage == "lead" else int(row[reached_col])
        dated = int(row[dated_col])
        stages.append({"stage": stage, "label": label, "reached": n, "dated": dated, "undated": n - dated,
                       "share_of_leads": _rate(n, leads)})
    conversions = []
    for k, a, b, bench, bench_dict in marks.conversions:
        rate = _rate(reached[b], reached[a])
        conversions.append({"key": k, "from": a, "to": b, "from_count": reached[a], "to_count": reached[b],
                            "rate": rate, "benchmark": _copy(bench_dict),
                            "mark": bench.mark(rate) if bench else None})
    durations = []
    for (k, a, b, n_col, med_col, p90_col, x_col), (_, bench, bench_dict) in zip(_DURATION_COLUMNS, marks.durations):
        med = _round(row[med_col])
        durations.append({"key": k, "from": a, "to": b, "leads": int(row[n_col]),
                          "out_of_order": int(row[x_col]), "median_days": med,
                          "p90_days": _round(row[p90_col]), "benchmark": _copy(bench_dict),
                          "mark": bench.mark(med) if bench else None})
    known = int(row["s_within"]) + int(row["s_missed"]) + int(row["s_untouched_past"])
    speed = {"mqls": int(row["s_mqls"]), "touched": int(row["s_touched"]),
             "touched_before_mql": int(row["s_touch_before"]), "median_hours": _round(row["s_median"]),
             "p90_hours": _round(row["s_p90"]), "within_sla": int(row["s_within"]),
             "missed_sla": int(row["s_missed"]), "untouched_past_sla": int(row["s_untouched_past"]),
             "untouched_within_sla": int(row["s_untouched_open"]), "share_within_sla": _rate(int(row["s_within"]),
                                                                                           known),
             "unavailable": touch_unavailable}
    if touch_unavailable is not None:
        speed.update({k: None for k in speed if k not in ("mqls", "unavailable")})
    won, lost = reached["won"], int(row["lost"])
    return {
        "leads": leads, "no_stage_data": int(row["no_stage_data"]), "stages": stages,
        "closed": {"won": reached["won"], "lost": lost, "open_opportunities": int(row["open_opportunities"]),
                   "win_rate_of_closed": _rate(won, won + lost)},
        "conversions": conversions, "durations": durations,
        "out_of_order": {"leads": int(row["ooo_leads"]), "by_stage": {s: int(row[c]) for s, c in _OUT_OF_ORDER_COLUMNS}},
        "speed_to_lead": speed,
    }


def _months(end_exclusive: datetime, n: int, tz: str) -> list[date]:
    """The ``n`` calendar months in ``tz`` (first days) up to the one holding the instant before ``end_exclusive``."""
    last = (end_exclusive - timedelta(microseconds=1)).astimezone(ZoneInfo(tz))
    y, m = last.year, last.month
    out = []
    for _ in range(n):
        out.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def _velocity(frame: pl.LazyFrame, end: datetime, tz: str,
              benchmarks: dict[str, Benchmark]) -> tuple[pl.LazyFrame, dict]:
    months = _months(end, VELOCITY_MONTHS + 1, tz)
    start = day_start(months[0], tz)
    grid = pl.LazyFrame({"month": months}, schema={"month": pl.Date})
    parts = []
    for stage in ("mql", "sql"):
        at = pl.col(f"_at_{stage}")
        counts = (frame.filter((at >= start) & (at < end)).group_by(local_month(at, tz).alias("month"))
                  .agg(pl.len().alias(stage)))
        parts.append(counts)
    plan = grid.join(parts[0], on="month", how="left").join(parts[1], on="month", how="left") \
        .with_columns(pl.col("mql").fill_null(0), pl.col("sql").fill_null(0)).sort("month")
    local_end = end.astimezone(ZoneInfo(tz))
    first_of_end = day_start(date(local_end.year, local_end.month, 1), tz)
    meta = {"months": VELOCITY_MONTHS, "end": _iso(end, tz),
            "partial_last_month": end != first_of_end, "benchmark": _bench("lead_velocity", benchmarks)}
    return plan, meta


def _velocity_figures(df: pl.DataFrame, meta: dict, benchmarks: dict[str, Benchmark]) -> dict:
    bench = benchmarks.get("lead_velocity")
    rows = df.to_dicts()  # 13 monthly rows
    series = []
    for prev, cur in zip(rows, rows[1:]):
        series.append({"month": cur["month"].strftime("%Y-%m"), "mql": int(cur["mql"]), "sql": int(cur["sql"]),
                       "mql_growth": _rate(cur["mql"] - prev["mql"], prev["mql"]),
                       "sql_growth": _rate(cur["sql"] - prev["sql"], prev["sql"])})
    out = {**meta, "base_month": {"month": rows[0]["month"].strftime("%Y-%m"), "mql": int(rows[0]["mql"]),
                                  "sql": int(rows[0]["sql"])}, "series": series}
    for stage in ("mql", "sql"):
        first, last = rows[0][stage], rows[-1][stage]
        # Compound monthly growth over the 12 months: steadier than the mean of monthly rates.
        growth = round((last / first) ** (1 / VELOCITY_MONTHS) - 1, 6) if first else None
        out[f"{stage}_monthly_growth"] = growth
        out[f"{stage}_mark"] = bench.mark(growth) if bench else None
    return out


def _cohorts(frame: pl.LazyFrame, tz: str) -> pl.LazyFrame:
    aggs = [pl.len().alias("leads")] + [pl.col(f"_r_{s}").sum().alias(s) for s in STAGES[1:]]
    return (frame.filter(pl.col("_entry").is_not_null())
            .group_by(local_month(pl.col("_entry"), tz).alias("month")).agg(aggs).sort("month"))


def _cohort_figures(df: pl.DataFrame, as_of: datetime, tz: str) -> list[dict]:
    """One dict per cohort; its age is in calendar days of ``tz`` from the month's first day to the as-of date.

    Calendar days, not 24-hour spans: in New York, March 1 to April 1 is 31 days though an hour short of
    31 x 24 h (clocks go forward on March 8).
    """
    today = as_of.astimezone(ZoneInfo(tz)).date()
    out = []
    for row in df.to_dicts():  # one row per month
        month: date = row["month"]
        out.append({"month": month.strftime("%Y-%m"), "age_days": max(0, (today - month).days),
                    "leads": int(row["leads"]), **{s: int(row[s]) for s in STAGES[1:]},
                    "lead_to_mql": _rate(row["mql"], row["leads"]), "mql_to_sql": _rate(row["sql"], row["mql"]),
                    "lead_to_won": _rate(row["won"], row["leads"])})
    return out


def _disqualification(frame: pl.LazyFrame, ruleset: Ruleset, leads: int) -> tuple[list[pl.LazyFrame], Any]:
    codes = {d.code: d for d in ruleset.disqualifiers}
    exploded = frame.select(pl.int_range(pl.len()).alias("_lead"), pl.col("reasons")).explode("reasons") \
        .drop_nulls("reasons").rename({"reasons": "reason"})
    category = pl.col("reason").replace_strict({c: d.category for c, d in codes.items()}, default="unknown",
                                               return_dtype=pl.String)
    by_reason = exploded.group_by("reason").agg(pl.col("_lead").n_unique().alias("leads"))
    by_category = exploded.with_columns(category.alias("category")).group_by("category") \
        .agg(pl.col("_lead").n_unique().alias("leads"))
    any_reason = exploded.select(pl.col("_lead").n_unique().alias("leads"))
    return [by_reason, by_category, any_reason], codes


def _disqualification_figures(dfs: list[pl.DataFrame], codes: dict, leads: int) -> dict:
    by_reason, by_category, any_reason = dfs
    reasons = [{"reason": r, "label": codes[r].label if r in codes else r,
                "category": codes[r].category if r in codes else "unknown", "leads": int(n),
                "share": _rate(int(n), leads)}
               for r, n in by_reason.sort(["leads", "reason"], descending=[True, False]).rows()]
    cats = dict(by_category.rows())
    categories = [{"category": c, "leads": int(cats.get(c, 0)), "share": _rate(int(cats.get(c, 0)), leads)}
                  for c in ("bad_fit", "bad_timing")] + [
        {"category": c, "leads": int(n), "share": _rate(int(n), leads)} for c, n in sorted(cats.items())
        if c not in ("bad_fit", "bad_timing")]
    n_any = int(any_reason.item(0, 0)) if any_reason.height else 0
    return {"leads_with_reasons": n_any, "share": _rate(n_any, leads), "reasons": reasons, "categories": categories}


def _expected_values(name: str, ruleset: Ruleset, settings: FunnelSettings) -> list[str]:
    """Segment values shown even with no leads (empty segments), in their natural order."""
    if name == "tier":
        return list(ruleset.tier_names)
    if name == "grade":
        return list(ruleset.grade_letters)
    if name == SIZE_BAND:
        return size_band_labels(settings.size_bands)
    return []


def compute_funnel(
    inp: FunnelInput,
    ruleset: Ruleset,
    *,
    as_of: datetime,
    period_from: datetime | None = None,
    period_to: datetime | None = None,
    by: Sequence[str] = (),
) -> FunnelReport:
    """Compute every funnel figure.

    Args:
        inp: the typed contacts (:func:`leadq.funnel_input.read_funnel_input`).
        ruleset: benchmarks, SLA hours, tiers/grades and disqualifier categories come from it.
        as_of: "now": dates after it are blank and leads entering after it left out (:func:`as_of_cut`); the
            end of the velocity window, the SLA clock for untouched leads, cohort ages.
        period_from: keep leads whose entry date is at or after this instant (:func:`period_bound` reads
            a date as the start of its day in ``settings.timezone``).
        period_to: keep leads whose entry date is before this instant (exclusive end).
        by: breakdowns (``seg::<name>`` columns of ``inp.frame``).
    """
    settings: FunnelSettings = ruleset.funnel or FunnelSettings()
    benchmarks = settings.benchmarks
    sla = sla_hours(ruleset.sections.get("sla"))
    small = settings.small_segment or ruleset.settings.small_segment
    tz = ruleset.settings.timezone
    leads, after_as_of = as_of_cut(inp.frame, as_of)
    base = _with_row_columns(leads, settings, sla, as_of, tz).lazy()
    entry = pl.col("_entry")
    frame = base.filter(_in_period(entry, period_from, period_to)) if period_from or period_to else base
    end = min(as_of, period_to) if period_to is not None else as_of
    aggs = _core_aggs()
    plans: list[pl.LazyFrame] = [
        frame.select(aggs),
        base.select(entry.is_null().sum().alias("undated"),
                    (entry.is_not_null() & ~_in_period(entry, period_from, period_to)).sum().alias("outside")),
    ]
    # Velocity counts MQLs/SQLs by the month they qualified, whatever the lead's entry date: the
    # period only sets where the 12 months end.
    velocity_plan, velocity_meta = _velocity(base, end, tz, benchmarks)
    plans += [velocity_plan, _cohorts(frame, tz)]
    for name in by:
        plans.append(frame.group_by(pl.col(f"seg::{name}").alias("value")).agg(aggs))
    has_tier = "tier" in inp.frame.columns
    if has_tier:
        plans.append(frame.filter(pl.col("mql_at").is_not_null())
                     .group_by(pl.col("tier").fill_null(BLANK).alias("value")).agg(aggs).sort("value"))
    dq_plans: list[pl.LazyFrame] = []
    codes: dict = {}
    if "reasons" in inp.frame.columns:
        dq_plans, codes = _disqualification(frame, ruleset, 0)
    results = pl.collect_all(plans + dq_plans)
    overall_df, counts_df, velocity_df, cohort_df = results[:4]
    seg_dfs = results[4:4 + len(by)]
    rest = results[4 + len(by):]
    no_touch = touch_unavailable(inp, ruleset)
    marks = _Marks(benchmarks)
    overall = _figures(overall_df.row(0, named=True), marks, no_touch)
    counts = counts_df.row(0, named=True)
    filtered = period_from is not None or period_to is not None

    speed = dict(overall["speed_to_lead"])
    speed["sla_hours"] = dict(sorted(sla.items()))
    speed["by_tier"] = []
    if has_tier:
        tier_df = rest[0]
        rest = rest[1:]
        for row in tier_df.to_dicts() if no_touch is None else []:  # one row per tier
            fig = _figures(row, marks)["speed_to_lead"]
            speed["by_tier"].append({"tier": row["value"], "sla_hours": sla.get(row["value"], sla["mql"]), **fig})

    breakdowns = []
    for name, df in zip(by, seg_dfs):
        got = {row["value"]: row for row in df.to_dicts()}  # one row per segment
        order = sorted(got, key=lambda v: (v == BLANK, -got[v]["leads"], str(v)))
        expected = [v for v in _expected_values(name, ruleset, settings) if v not in got]
        segments = []
        for value in order + expected:
            fig = _figures(got[value] if value in got else _empty_row(overall_df), marks, no_touch)
            segments.append({"value": value, "small": fig["leads"] < small, "empty": fig["leads"] == 0, **fig})
        breakdowns.append({"by": name, "column": inp.columns.get(name, name), "small_segment": small,
                           "segments": segments})

    return FunnelReport(
        ruleset=ruleset.name,
        as_of=_iso(as_of),
        timezone=tz,
        period={"from": _iso(period_from, tz), "to": _iso(period_to, tz),
                "basis": "entry date: created_at, else the earliest stage date"},
        input={"rows": inp.rows, "dropped": inp.dropped, "leads": overall["leads"],
               "outside_period": int(counts["outside"]) if filtered else 0, "after_as_of": after_as_of,
               "undated": int(counts["undated"]), "no_stage_data": overall["no_stage_data"],
               "unreadable_dates": inp.unreadable_dates, "missing_columns": inp.missing_columns,
               "columns": inp.columns, "scored_on_the_fly": inp.scored_on_the_fly},
        stages=overall["stages"],
        closed=overall["closed"],
        conversions=overall["conversions"],
        durations=overall["durations"],
        out_of_order=overall["out_of_order"],
        speed_to_lead=speed,
        velocity=_velocity_figures(velocity_df, velocity_meta, benchmarks),
        cohorts=_cohort_figures(cohort_df, as_of, tz),
        breakdowns=breakdowns,
        disqualification=_disqualification_figures(rest, codes, overall["leads"]) if dq_plans else None,
        benchmarks={k: _bench(k, benchmarks) for k in sorted(benchmarks)},
    )


def compact_funnel_of(result) -> dict | None:
    """The compact funnel of a scoring run made with ``detail=True``; None when the input has no stage dates."""
    from leadq.funnel_input import has_stage_columns, input_from_score

    ruleset = result.ruleset
    inp = input_from_score(result, ruleset)
    if not has_stage_columns(inp, ruleset):
        return None
    # Only the overall figures: the velocity, cohorts and breakdowns of compute_funnel are not shown
    # (at 1M leads they were most of the summary's 2 s).
    settings: FunnelSettings = ruleset.funnel or FunnelSettings()
    leads, _ = as_of_cut(inp.frame, result.stats.as_of)
    rows = _with_row_columns(leads, settings, sla_hours(ruleset.sections.get("sla")), result.stats.as_of,
                             ruleset.settings.timezone)
    overall = _figures(rows.select(_core_aggs()).row(0, named=True), _Marks(settings.benchmarks),
                       touch_unavailable(inp, ruleset))
    return _compact(overall["leads"], overall["stages"], overall["conversions"], overall["out_of_order"],
                    overall["speed_to_lead"])


def _in_period(entry: pl.Expr, start: datetime | None, end: datetime | None) -> pl.Expr:
    """True for an entry date inside [start, end); false for a blank one."""
    out = entry.is_not_null()
    if start is not None:
        out = out & (entry >= start)
    if end is not None:
        out = out & (entry < end)
    return out


def _empty_row(template: pl.DataFrame) -> dict:
    """An aggregated row for a segment with no leads: counts 0, statistics null."""
    return {c: (None if c.split("_")[0] in ("med", "p90") or c in ("s_median", "s_p90") else 0)
            for c in template.columns}
