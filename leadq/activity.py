"""Activity aggregation: one pass over the events, one row per lead.

For every event rule the aggregation yields four columns per lead, from one
pass over the events: each rule's events grouped by lead (or, with many event
rules, the events some rule counts in one wide group-by), and those rows spread
into one row per lead (no per-(lead, type) groups, no pivot):

* ``_n__<rule>``    matching events inside the rule's lookback window (with ``per: day`` or
  ``per: week``, its scoring events: the days or weeks with one, :func:`_per_period`)
* ``_raw__<rule>``  points before decay (``points * n``)
* ``_dec__<rule>``  points after decay, ``points * 0.5 ** (age / half_life)`` (the rule's ``decay:
  step``: ``0.5 ** floor(age / half_life)``, :func:`decay_factor`)
* ``_last__<rule>`` time of the most recent matching event

and a ``per: day`` / ``per: week`` rule a fifth, ``_matched__<rule>``: its matching events (the
summary's events by rule, :func:`matched_column`).

A ``per: day`` (``per: week``) rule scores at most one event per lead and calendar day
(ISO week, Monday first) of ``settings.timezone``: the period's latest, decayed by its own age.
Its events are grouped by (lead, day) first, then by lead (:func:`_per_period`); the other
rules' plans are unchanged.

Ages are measured from the run's ``as_of``; events after ``as_of`` are ignored
so that re-running with the same ``--as-of`` gives the same result.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, Sequence

import polars as pl

from leadq.cleaning import NULL_MARKERS, blank_to_null, map_columns, parse_datetime
from leadq.ruleset import Column, Rule, Ruleset

if TYPE_CHECKING:
    from leadq.event_codes import CodedLog

DAY_US = 86_400_000_000
KEY_COLUMN = "_key"  # the numeric lead id of a keyed aggregation (numeric_key)
REST_COLUMN, ODD_COLUMN = "_rest", "_odd"  # and the filters of its event counts, per part (_key_columns)


def col_names(rule_id: str) -> dict[str, str]:
    """Names of the aggregate columns of one event rule."""
    return {k: f"_{k}__{rule_id}" for k in ("n", "raw", "dec", "last")}


def matched_column(rule: Rule) -> str:
    """The column of a rule's matching events per lead: ``_n__`` but for ``per: day`` / ``per: week``
    rules, whose ``_n__`` counts the days (weeks) that scored and ``_matched__`` the events."""
    return f"_matched__{rule.id}" if rule.once_per is not None else col_names(rule.id)["n"]


@functools.lru_cache(maxsize=8)
def as_of_literal(as_of: datetime) -> pl.Expr:
    """``as_of`` as a UTC microsecond literal, built once per run time.

    A compiled ruleset uses the run's "now" in dozens of expressions, and each
    ``pl.lit`` of an aware datetime costs about half a millisecond in Python:
    a visible part of a small job's start-up. (Expressions are immutable, so one
    literal can be shared.)
    """
    return pl.lit(as_of, dtype=pl.Datetime("us", "UTC"))


def age_days(occurred_at: pl.Expr, as_of: datetime) -> pl.Expr:
    """Age of a timestamp in fractional days before ``as_of``."""
    return (as_of_literal(as_of) - occurred_at).dt.total_microseconds() / DAY_US


# An event rule's type matches the log's type in any case and with its words joined by any of
# these: `event: demo_request` counts "Demo Request", "demo-request" and "DemoRequest".
EVENT_TYPE_JOINERS = ("_", " ", "-", "")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\s_-]+")


def event_type_spellings(event_type: str) -> list[str]:
    """The lower-cased spellings of an ``event:`` type that match it: its words joined by each joiner.

    Matching spellings, computed once per rule, rather than normalising the log's types:
    the log is only lower-cased (a ``replace_many`` on every event cost 0.7 CPU-s for
    M's 20M events).
    """
    written = event_type.strip()
    words = [w.lower() for w in _SEPARATORS.split(_CAMEL_BOUNDARY.sub(" ", written)) if w]
    return sorted({joiner.join(words) for joiner in EVENT_TYPE_JOINERS} | {written.lower()})


def rule_event_spellings(rule: Rule) -> list[str]:
    """Every lower-cased spelling of the log's event types that a rule counts (:func:`event_type_spellings`)."""
    return sorted({s for t in rule.events for s in event_type_spellings(t)})


NORMALISED_PREFIX = "_lc__"


def normalised_text(field: str) -> str:
    """Name of the column holding an event text field stripped and lower-cased.

    ``where`` conditions compile against these columns (see
    :func:`leadq.compiler.event_scope`), so that ten rules matching on the page
    URL lower-case it once per event instead of ten times.
    """
    return NORMALISED_PREFIX + field


def code_column(field: str) -> str:
    """Name of the column holding each event's code for a coded field (:mod:`leadq.event_codes`)."""
    return f"_code__{field}"


def fields_read(expr: pl.Expr) -> set[str]:
    """The event fields that one compiled ``where`` condition reads."""
    return {n.removeprefix(NORMALISED_PREFIX) for n in expr.meta.root_names()}


def where_fields(where_exprs: dict[str, pl.Expr | None]) -> set[str]:
    """The event fields that the compiled ``where`` conditions read."""
    return {f for expr in where_exprs.values() if expr is not None for f in fields_read(expr)}


def _normalised_columns(where_exprs: dict[str, pl.Expr | None]) -> list[pl.Expr]:
    names: set[str] = set()
    for expr in where_exprs.values():
        if expr is not None:
            names |= {n for n in expr.meta.root_names() if n.startswith(NORMALISED_PREFIX)}
    # Typed text is stripped already (leadq.cleaning.map_columns).
    return [pl.col(n.removeprefix(NORMALISED_PREFIX)).str.to_lowercase().alias(n) for n in sorted(names)]


def max_window_days(ruleset: Ruleset) -> float:
    """The longest lookback window of any event rule (0 when there are none)."""
    return max((r.within_days or 0.0 for r in ruleset.event_rules), default=0.0)


def rule_match(rule: Rule, where_expr: pl.Expr | None, age: pl.Expr,
               event_type: pl.Expr | None = None, types: Sequence[str] | Sequence[int] | None = None) -> pl.Expr:
    """Boolean expression: this event counts for this rule.

    ``event_type`` is the already trimmed, lower-cased type column when the
    caller has one (the aggregation computes it once for all rules); ``types``
    the values of ``event_type`` that the rule counts, when not its spellings
    (the codes of the log's types: :mod:`leadq.event_codes`).
    """
    if types is None:
        types = rule_event_spellings(rule)
    if event_type is None:
        event_type = pl.col("event_type").str.strip_chars().str.to_lowercase()
    if not types:
        cond = pl.lit(False)
    else:
        cond = event_type.is_in(types) if len(types) > 1 else event_type == types[0]
    if where_expr is not None:
        cond = cond & where_expr
    return cond & (age <= rule.within_days)


def aggregate_events(events: pl.LazyFrame, ruleset: Ruleset, as_of: datetime,
                     where_exprs: dict[str, pl.Expr | None], *, counts: bool = False,
                     coded: CodedLog | None = None) -> pl.LazyFrame:
    """Aggregate typed events into one row per lead_id: :func:`event_partials`, then :func:`finish_aggregates`."""
    return finish_aggregates(event_partials(events, ruleset, as_of, where_exprs, counts=counts, coded=coded), ruleset)


def event_partials(events: pl.LazyFrame, ruleset: Ruleset, as_of: datetime,
                   where_exprs: dict[str, pl.Expr | None], *, counts: bool = False,
                   coded: CodedLog | None = None, keyed: bool = False) -> pl.LazyFrame:
    """The additive per-lead aggregates of typed events (canonical columns), one row per lead_id.

    Every aggregate is a sum or a maximum, so the partials of disjoint sets of
    events combine exactly (:func:`combine_partials`); :func:`finish_aggregates`
    turns them into the columns the compiler reads.

    The plan is built for speed on hundreds of millions of events:

    * only the columns the rules use are read (lead id, type, time, and the
      fields named in ``where`` conditions);
    * the event type is lower-cased once (typed text is trimmed already, by
      :func:`leadq.cleaning.map_columns`; the rules carry every spelling they
      match, :func:`event_type_spellings`), the age computed once, and events
      outside every rule's types and window are dropped first;
    * each rule's match flag is computed once per event, element-wise (this
      streams), and a rule's decay factor only on the events it counts (an
      ``exp`` per half-life on every event of the log cost 1 s of 5 at M);
    * each rule's events are grouped by lead with four aggregates (or, with
      many event rules, the events some rule counts in one wide group-by), and
      those rows spread into one row per lead (:func:`_aggregated`);
    * ``_raw__<rule>`` (points before decay) is ``points * n``, computed after
      the aggregation instead of summed per event.

    With ``counts``, no event is dropped (no rule flag is set on an event no rule
    can use) and each lead also gets
    ``_ev_rows`` (events), ``_ev_timed`` (events with a readable time) and
    ``_ev_due`` (events at or before ``as_of``), including the row of events
    without a lead id: the run's event accounting comes from this one pass
    (:func:`event_count_columns`). The events no rule counts are only counted,
    in a narrow group-by of their own (:func:`_event_counts`).

    Args:
        events: typed events (:func:`leadq.cleaning.map_columns`: text trimmed, blank
            as null), with at least lead_id, event_type, occurred_at (UTC).
        ruleset: the ruleset whose event rules are scored.
        as_of: the run's "now".
        where_exprs: compiled ``where`` condition per rule id (None when absent).
        counts: add the per-lead event counts (see above).
        coded: the tests of the log's few-valued text fields, when ``events`` carries
            those fields as read (:mod:`leadq.event_codes`): each event is then given its
            value's code once, and the rules compare codes; none of those fields is
            trimmed or lower-cased per event. When the codes came from a sample of a
            text log, the events whose value it missed are tested as text (:func:`_flagged`).
        keyed: group the events whose lead id is a number by that number (:func:`numeric_key`),
            the others by their text. The partials are the same; a large log whose ids are
            numbers (HubSpot's and Marketo's are) is aggregated faster. The lead ids may then
            be text as read, untrimmed (:func:`_with_keys` trims those that need it).
    """
    rules = list(ruleset.event_rules)
    used = {"lead_id", "event_type", "occurred_at"} | where_fields(where_exprs)
    schema = events.collect_schema()
    base = events.select([c for c in schema if c in used])
    as_text = _Tests([rule_event_spellings(r) for r in rules], pl.col("event_type").str.to_lowercase(), where_exprs)
    window = max_window_days(ruleset)
    if coded is None:
        flagged = _flagged(base, rules, window, as_of, counts, as_text, keyed=keyed)
    else:  # its fields are the type and fields of the `where`s: `used` has them
        by_code = as_text._replace(where=coded.where)
        if coded.type_codes is not None:
            by_code = by_code._replace(rule_types=list(coded.type_codes), type_column=pl.col(code_column("event_type")))
        flagged = _flagged(base.with_columns(coded.columns), rules, window, as_of, counts, by_code,
                           None if coded.known is None else (coded.known, coded.fields, as_text), keyed=keyed)
    tz = ruleset.settings.timezone
    return (_keyed(flagged, rules, counts, as_of, tz) if keyed
            else _aggregated(flagged, rules, counts, as_of, tz=tz))


def numeric_key(lead: pl.Expr) -> pl.Expr:
    """A lead id as an unsigned 64-bit integer when it is a number written plainly, else null.

    Plainly: decimal digits only, no sign and no leading zero (``"0"`` itself is plain), at
    most 2**64 - 1, so that the number written back is the id as it was (``"007"`` and
    ``"+7"`` are not 7). Grouping 20M events by such a number took 1.4-1.6 CPU-s, and
    reading the numbers 0.35, against 2.5-3.8 CPU-s by the text.

    Polars reads ``"007"`` and ``"+7"`` as 7: an id of ``n`` characters is plain when it is one
    character or its number has ``n`` digits, at least ``10 ** (n - 1)`` (a test of its first
    characters took half as long again).
    """
    chars = lead.str.len_bytes()
    number = lead.cast(pl.UInt64, strict=False)
    least = pl.lit(10, dtype=pl.UInt64).pow(chars.clip(2, 20) - 1)  # 10 ** 19 is the largest that fits
    return pl.when((chars == 1) | ((chars <= 20) & (number >= least))).then(number)


def _with_keys(base: pl.LazyFrame) -> pl.LazyFrame:
    """The events of a keyed aggregation with their lead's :data:`KEY_COLUMN` (:func:`numeric_key`),
    and ``lead_id`` kept only where there is none: trimmed, blank as null.

    ``lead_id`` may be the log's text as read (:func:`leadq.activity_input.aggregate_activity`
    leaves a large log's ids untrimmed): a number written plainly needs no trim, and only the
    other ids are trimmed, then given a key if they are numbers once trimmed (``" 7"`` is 7).
    M's 20M ids, keyed from the Parquet scan: 1.1-1.4 CPU-s this way, 1.8-2.1 trimmed and blanked
    first; whole runs at M peaked 0.3 GB lower (1.43-1.50 GB against 1.78-1.81): the trimmed
    copy of every id is not held.
    """
    key, lead = pl.col(KEY_COLUMN), pl.col("lead_id")
    return (base.with_columns(numeric_key(lead).alias(KEY_COLUMN))
            .with_columns(pl.when(key.is_null()).then(lead).str.strip_chars().alias("lead_id"))
            .with_columns(pl.coalesce(key, numeric_key(lead)).alias(KEY_COLUMN), blank_to_null(lead).alias("lead_id"))
            .with_columns(pl.when(key.is_null()).then(lead).alias("lead_id")))


def _key_columns(flags: list[pl.Expr], as_of: datetime) -> list[pl.Expr]:
    """The columns of a keyed aggregation (:func:`_keyed`), computed with the rules' flags: the key,
    and each part's two filters of :func:`_event_counts` (suffix 0: grouped by number, 1: by text).

    The parts' filters are columns computed here: Polars moved the filters the two parts share
    (events no rule counts, events untimed or after ``as_of``) below the flags, into a scan of
    its own, and the log was read three times.
    """
    textual = pl.col("lead_id").is_not_null()  # only ids without a key keep their text (_with_keys)
    rest, odd = _uncounted(flags), _untimed_or_future(pl.col("occurred_at"), as_of)
    return [pl.col(KEY_COLUMN),
            (rest & ~textual).alias(REST_COLUMN + "0"), (rest & textual).alias(REST_COLUMN + "1"),
            (odd & ~textual).alias(ODD_COLUMN + "0"), (odd & textual).alias(ODD_COLUMN + "1")]


def _keyed(base: pl.LazyFrame, rules: list[Rule], counts: bool, as_of: datetime, tz: str = "UTC") -> pl.LazyFrame:
    """:func:`_aggregated` with the events grouped by :func:`numeric_key` where the lead id has one.

    The events whose id is a number (and those without an id) are grouped by the number,
    which is written back as text after the group-bys; the others (ids of letters, ids
    written with leading zeros, null markers such as "n/a") by the text, in one wide group-by
    (few such events when the sample of ids said numbers: a small plan for them). The two
    sets of leads are disjoint, so their partials are concatenated.
    """
    # A flagged event has a lead id: its part is whether it has a key.
    key = pl.col(KEY_COLUMN)
    by_number = _aggregated(base, rules, counts, as_of, part=_Part(key.is_not_null(), KEY_COLUMN, "0"), tz=tz)
    by_text = _aggregated(base, rules, counts, as_of, wide=True, part=_Part(key.is_null(), "lead_id", "1"), tz=tz)
    return pl.concat([by_number.with_columns(pl.col("lead_id").cast(pl.String)), by_text])


class _Part(NamedTuple):
    """The flagged events one aggregation takes (``scope`` true; None for every event), the column it groups
    them by (its rows' ``lead_id``) and the suffix of its count filters (:func:`_key_columns`).

    Each group-by filters the flagged events itself: a part's events filtered once, for all its
    group-bys, were what Polars cached for them, and the log was read once per part.
    """

    scope: pl.Expr | None
    key: str
    suffix: str = ""

    def only(self, predicate: pl.Expr) -> pl.Expr:
        return predicate if self.scope is None else predicate & self.scope

    def lead(self) -> pl.Expr:
        return pl.col(self.key).alias("lead_id")


_EVERY = _Part(None, "lead_id")

# Up to this many event rules, each rule's events are grouped apart (see _aggregated).
PER_RULE_GROUP_BYS = 40


def _aggregated(base: pl.LazyFrame, rules: list[Rule], counts: bool, as_of: datetime,
                wide: bool = False, part: _Part = _EVERY, tz: str = "UTC") -> pl.LazyFrame:
    """The per-lead partials of flagged events (:func:`_flagged`): :func:`event_partials` after the flags.

    With few rules (up to :data:`PER_RULE_GROUP_BYS`), a narrow group-by per rule: each
    rule's events (its flag set) are grouped by lead with four aggregates (count, sum of
    decay factors, last time, events counted first). A wide group-by updates every rule's
    three aggregates for every event, where one rule matches: at M, 30 updates per event
    of the 6.2M some rule counts, 3.56 CPU-s, against 1.6-1.7 CPU-s for the ten narrow
    ones. With many rules, the wide group-by: every event goes to every rule's filter,
    and their rows to the spread, so at 150 event rules the narrow ones took 15.8 s and
    3.2 GB at S, against 10.1 s and 2.2 GB. At S, in CPU-s, narrow against wide: 15 event
    rules 2.3 against 2.8, 24 rules 3.3 against 3.5-4.1, 33 rules 4.2-4.5 against
    4.6-5.1, 49 rules 6.1-6.3 against 6.4 (the same wall time).

    Either way the rows are spread into one row per lead, with the counts of the events no
    rule counts, by :func:`_spread`. ``wide``: the wide group-by whatever the rules; ``part``: which events,
    grouped by which column; ``tz``: the time zone of the calendar days of ``per: day`` rules.

    A ``per: day`` or ``per: week`` rule is aggregated by :func:`_per_period` in either plan
    (the wide group-by leaves its columns out, and counts its events in ``_ev_ruled``).
    """
    flags = [pl.col(f"_m{i}") for i in range(len(rules))]
    per_rule = len(rules) <= PER_RULE_GROUP_BYS and not wide
    schema = base.collect_schema()
    groups = _per_rule(base, rules, flags, part, tz) if per_rule else _wide(base, rules, flags, part, tz)
    return _spread(groups, rules, schema[part.key], schema["occurred_at"],
                   _event_counts(base, flags, as_of, part) if counts else None)


def decay_factor(age: pl.Expr, half_life: float, decay: str) -> pl.Expr:
    """The share of its points an event keeps at ``age`` days (fractional, from as-of), as a float.

    ``continuous``: ``0.5 ** (age / half_life)``; ``step`` (HubSpot's "50% every 3 months"):
    ``0.5 ** floor(age / half_life)``, full points until one half-life, then half, a quarter...
    """
    if decay == "step":
        return pl.lit(0.5) ** (age / half_life).floor()
    return (age * (-LN2 / half_life)).exp()


def _decay_factor(half_life: float | None, decay: str = "continuous") -> pl.Expr:
    """An event's decay factor for a half-life, as integer trillionths (see to_fixed); a rule's
    decayed points are its points times the sum of its events' factors. The age is clipped at 0:
    a factor of 2 ** (years / half-life) would overflow the fixed-point integers."""
    if half_life is None:
        return pl.lit(FIXED_ONE, dtype=pl.Int64)
    return to_fixed(decay_factor(pl.col("_age").clip(lower_bound=0), half_life, decay))


def _factor_column(rule: Rule) -> str:
    """The name of the per-event decay factor column a wide group-by shares among rules of one half-life and decay."""
    return f"_w__{rule.half_life_days:g}" + ("_step" if rule.decay == "step" else "")


def period_key(time: pl.Expr, once_per: str, tz: str) -> pl.Expr:
    """The calendar period of ``per: day`` / ``per: week`` an event falls in, as a whole number.

    A day is the local date in ``tz`` (days since 1970-01-01); a week is an ISO week, Monday to
    Sunday: 1970-01-01 was a Thursday, so day ``d`` is in week ``(d + 3) // 7``. The SQL engines
    (UTC only) number them the same way (:meth:`leadq.sqlgen.events.EventsStage.period_key`).
    """
    local = time if tz == "UTC" else time.dt.convert_time_zone(tz)
    day = local.dt.date().cast(pl.Int32)
    return day if once_per == "day" else (day + 3) // 7


def _per_period(base: pl.LazyFrame, rule: Rule, flag: pl.Expr, part: _Part, tz: str,
                first: pl.Expr | None) -> pl.LazyFrame:
    """A ``per: day`` (``per: week``) rule's aggregates per lead: one scoring event per lead and period.

    The rule's events are grouped by (lead, period) first: the period's scoring event is its
    latest, whose age (the period's least) gives the decay factor; then by lead, so ``_n__`` is
    the number of periods with an event. ``_last__`` is the latest event, as for any rule.
    ``first``: the events this rule counts first, for ``_ev_ruled`` (None: the wide group-by
    counts them).
    """
    names = col_names(rule.id)
    tagged = [part.lead(), period_key(pl.col("occurred_at"), rule.once_per or "day", tz).alias("_period"),
              "occurred_at", "_age"]
    per_period = [pl.col("occurred_at").max(), pl.col("_age").min(), pl.len().cast(pl.UInt32).alias("_matched")]
    if first is not None:
        tagged.append(first.alias("_first"))
        per_period.append(pl.col("_first").sum().cast(pl.Int64))
    periods = (base.filter(part.only(flag)).select(tagged).group_by("lead_id", "_period").agg(per_period)
               .with_columns(_decay_factor(rule.half_life_days, rule.decay).alias("_w")))
    aggs = [pl.len().cast(pl.UInt32).alias(names["n"]), pl.col("_w").sum().alias(names["dec"]),
            pl.col("occurred_at").max().alias(names["last"]), pl.col("_matched").sum().alias(matched_column(rule))]
    if first is not None:
        aggs.append(pl.col("_first").sum().alias("_ev_ruled"))
    return periods.group_by("lead_id").agg(aggs)


def _per_rule(base: pl.LazyFrame, rules: list[Rule], flags: list[pl.Expr], part: _Part,
              tz: str = "UTC") -> list[pl.LazyFrame]:
    """Each rule's aggregates per lead, in a group-by of its own events: its three columns and ``_ev_ruled``."""
    groups = []
    for i, rule in enumerate(rules):
        # An event several rules count is counted once, by the first (the accounting's `_ev_ruled`).
        first = pl.lit(True) if i == 0 else ~pl.any_horizontal(flags[:i])
        if rule.once_per is not None:
            groups.append(_per_period(base, rule, flags[i], part, tz, first))
            continue
        names = col_names(rule.id)
        events = base.filter(part.only(flags[i])).select(
            part.lead(), "occurred_at", _decay_factor(rule.half_life_days, rule.decay).alias("_w"), first.alias("_first"))
        groups.append(events.group_by("lead_id").agg(
            pl.len().cast(pl.UInt32).alias(names["n"]), pl.col("_w").sum().alias(names["dec"]),
            pl.col("occurred_at").max().alias(names["last"]), pl.col("_first").sum().cast(pl.Int64).alias("_ev_ruled")))
    return groups


def _wide(base: pl.LazyFrame, rules: list[Rule], flags: list[pl.Expr], part: _Part,
          tz: str = "UTC") -> list[pl.LazyFrame]:
    """Every rule's aggregates per lead, in one group-by of the events some rule counts, and ``_ev_ruled``.

    Each distinct half-life's decay factor is computed once per event, and every per-event
    input of the aggregation element-wise, so that the group-by only adds and takes maxima
    of ready columns. A ``per: day`` / ``per: week`` rule's columns come from a group-by of
    its own (:func:`_per_period`, after this one in the list); its events are counted here.
    """
    periodic = [(m, r) for m, r in zip(flags, rules) if r.once_per is not None]
    decays = {_factor_column(r): r for r in rules if r.half_life_days is not None and r.once_per is None}
    factors = [_decay_factor(r.half_life_days, r.decay).alias(name) for name, r in sorted(decays.items())]
    per_event: list[pl.Expr] = []
    aggs: list[pl.Expr] = []
    for m, rule in zip(flags, rules):
        if rule.once_per is not None:
            continue
        names = col_names(rule.id)
        weight = _decay_factor(None) if rule.half_life_days is None else pl.col(_factor_column(rule))
        per_event += [m.cast(pl.UInt32).alias(names["n"]),
                      pl.when(m).then(weight).otherwise(pl.lit(0, dtype=pl.Int64)).alias(names["dec"]),
                      pl.when(m).then(pl.col("occurred_at")).alias(names["last"])]
        aggs += [pl.col(names["n"]).sum().cast(pl.UInt32), pl.col(names["dec"]).sum(), pl.col(names["last"]).max()]
    wide = (base.filter(part.only(pl.any_horizontal(flags))).with_columns(factors).select([part.lead()] + per_event)
            .group_by("lead_id").agg(aggs + [pl.len().cast(pl.Int64).alias("_ev_ruled")]))
    return [wide] + [_per_period(base, rule, m, part, tz, None) for m, rule in periodic]


# The partials' types, and "last" the type of the events' time. Counts stay UInt32 (4 bytes a lead and
# rule): the partials of every lead are held for the join with the leads.
_PARTIAL_TYPES = {"n": pl.UInt32, "dec": pl.Int64}


def _spread(per_rule: list[pl.LazyFrame], rules: list[Rule], key_type: pl.DataType, time_type: pl.DataType,
            rest: list[pl.LazyFrame] | None) -> pl.LazyFrame:
    """The wide partials, one row per lead, from each rule's aggregates per lead (:func:`_aggregated`).

    The rows of every rule, each with its own rule's columns, are concatenated (the other
    rules' columns null) and grouped by lead. A lead has at most one row per rule, so each of
    its rule columns takes the one value that is not null (a maximum of nulls and one value:
    half the cost of summing zeros). A lead gets 0 events (and no last time) for the rules
    that counted none of its events. ``rest``: the counts of the events no rule counts
    (:func:`_event_counts`), or None. With it, every lead gets ``_ev_rows``, ``_ev_timed`` and
    ``_ev_due``, and a lead with none but those events has nulls in its rule columns.
    """
    counts = ("_ev_ruled",) + (("_ev_rows", "_ev_untimed", "_ev_future") if rest is not None else ())
    partial = [(kind, col_names(r.id)[kind]) for r in rules for kind in ("n", "dec", "last")]
    partial += [("n", matched_column(r)) for r in rules if r.once_per is not None]
    # Every column, typed, even without rules or rows: the concatenation takes the columns it sees.
    schema = {"lead_id": key_type} | {c: _PARTIAL_TYPES.get(kind, time_type) for kind, c in partial}
    skeleton = pl.LazyFrame(schema=schema | {c: pl.Int64 for c in counts})
    merged = pl.concat([skeleton, *per_rule, *(rest or [])], how="diagonal").group_by("lead_id").agg(
        [pl.col(c).max() for _, c in partial] + [pl.col(c).sum() for c in counts])
    ruled = pl.col("_ev_ruled")
    columns = [pl.when(ruled > 0).then(pl.col(c).fill_null(0)).alias(c) if kind in _PARTIAL_TYPES else pl.col(c)
               for kind, c in partial]
    if rest is None:
        return merged.select("lead_id", *columns)
    rows = pl.col("_ev_rows") + ruled
    timed = rows - pl.col("_ev_untimed")
    return merged.select("lead_id", *columns, rows.alias("_ev_rows"), timed.alias("_ev_timed"),
                         (timed - pl.col("_ev_future")).alias("_ev_due"))


class _Tests(NamedTuple):
    """How the rules test an event: its type as ``type_column`` gives it, and the ``where`` conditions."""

    rule_types: Sequence[Sequence[str] | Sequence[int]]  # per rule, the values of type_column it counts
    type_column: pl.Expr  # the lower-cased text of the type, or its code
    where: dict[str, pl.Expr | None]


def _flagged(base: pl.LazyFrame, rules: list[Rule], window: float, as_of: datetime, counts: bool,
             tests: _Tests, unknown: tuple[pl.Expr, frozenset[str], _Tests] | None = None,
             keyed: bool = False) -> pl.LazyFrame:
    """The events with each rule's match flag ``_m<i>``: lead_id, occurred_at, ``_age`` and the flags.

    ``keyed``: and the :func:`numeric_key` of the lead id (:func:`_with_keys`, before the flags: a
    column added after them let Polars push each rule's filter below it, and the log was read once
    per rule); ``lead_id`` then holds only the ids without a key.

    Without ``counts``, the events no rule can count (type, window, no lead or time) are
    dropped; with it, their flags are false. ``unknown``: (``known``, the coded fields, the
    text tests) when the codes came from a sample (:class:`leadq.event_codes.CodedLog`): the
    events that are not ``known`` are flagged by the text tests. Those run on every event
    (one stream: two, split and aggregated apart, held one half in memory while the other was
    aggregated: 5.7 GB at M), on the coded fields blanked where the codes decide, which
    costs a fifth of testing the text itself.
    """
    age = pl.col("_age")
    if keyed:
        base = _with_keys(base)
    base = base.with_columns(_type=tests.type_column, _age=age_days(pl.col("occurred_at"), as_of))

    def matches(t: _Tests, etype: pl.Expr) -> tuple[pl.Expr, list[pl.Expr]]:
        relevant = sorted({k for types in t.rule_types for k in types})
        return etype.is_in(relevant), [rule_match(r, t.where.get(r.id), age, etype, types)
                                       for r, types in zip(rules, t.rule_types)]

    counted_type, flags = matches(tests, pl.col("_type"))
    wheres = list(tests.where.values())
    if unknown is not None:
        known, fields, text = unknown
        is_known = pl.col("_known")
        base = base.with_columns(_known=known).with_columns(
            pl.when(is_known).then(pl.lit("")).otherwise(pl.col(f)).alias(f) for f in sorted(fields))
        base = base.with_columns(_text_type=text.type_column)
        text_type, text_flags = matches(text, pl.col("_text_type"))
        counted_type = pl.when(is_known).then(counted_type).otherwise(text_type)
        flags = [pl.when(is_known).then(f).otherwise(t) for f, t in zip(flags, text_flags)]
        wheres += text.where.values()
    has_lead = pl.col("lead_id").is_not_null() | (pl.col(KEY_COLUMN).is_not_null() if keyed else pl.lit(False))
    keep = has_lead & pl.col("occurred_at").is_not_null() & (age >= 0) & (age <= window) & counted_type
    if counts:
        # Every event is counted, for the accounting; an event that no rule can use is only
        # counted (_event_counts).
        flags = [keep & f for f in flags]
    else:
        base = base.filter(keep)
    return (base.with_columns(_normalised_columns(dict(enumerate(wheres))))
            .select("lead_id", *(_key_columns(flags, as_of) if keyed else []),
                    "occurred_at", "_age", *(f.alias(f"_m{i}") for i, f in enumerate(flags))))


def _uncounted(flags: list[pl.Expr]) -> pl.Expr:
    return ~pl.any_horizontal(flags).fill_null(False) if flags else pl.lit(True)


def _untimed_or_future(time: pl.Expr, as_of: datetime) -> pl.Expr:
    return time.is_null() | (time > as_of_literal(as_of)).fill_null(False)


def _event_counts(base: pl.LazyFrame, flags: list[pl.Expr], as_of: datetime, part: _Part) -> list[pl.LazyFrame]:
    """The per-lead counts of the events no rule counts, for :func:`_spread`.

    Those (at M, over half of the events: types no rule reads, pages no ``where`` matches,
    events outside every window) are only counted: ``_ev_rows`` per lead in a narrow
    group-by of their own, and ``_ev_untimed`` (no readable time) and ``_ev_future``
    (after ``as_of``) in a group-by of those events alone, usually few: one count per
    event instead of three saved 0.6 CPU-s of M's 13.8M such events. The events some
    rule counts are counted by :func:`_aggregated` (``_ev_ruled``): such an event has a
    lead id and a time at or before ``as_of`` (:func:`event_partials` keeps no other).
    """
    time = pl.col("occurred_at")
    future = (time > as_of_literal(as_of)).fill_null(False)
    rest, odd = (_uncounted(flags), _untimed_or_future(time, as_of)) if part.scope is None else (
        pl.col(REST_COLUMN + part.suffix), pl.col(ODD_COLUMN + part.suffix))
    rows = base.filter(rest).group_by(part.lead()).agg(pl.len().cast(pl.Int64).alias("_ev_rows"))
    odd = base.filter(odd).group_by(part.lead()).agg(
        time.is_null().sum().cast(pl.Int64).alias("_ev_untimed"), future.sum().cast(pl.Int64).alias("_ev_future"))
    return [rows, odd]


def combine_partials(partials: pl.LazyFrame) -> pl.LazyFrame:
    """Merge partial aggregates of the same lead (from disjoint sets of events) into one row per lead."""
    names = [c for c in partials.collect_schema() if c != "lead_id"]
    return partials.group_by("lead_id").agg(
        [pl.col(c).max() if c.startswith("_last__") else pl.col(c).sum() for c in names])


def finish_aggregates(partials: pl.LazyFrame, ruleset: Ruleset) -> pl.LazyFrame:
    """Points from the partial aggregates: ``_raw__`` (before decay) and ``_dec__`` (after), per rule."""
    rules = list(ruleset.event_rules)
    after = [(pl.col(col_names(r.id)["n"]).cast(pl.Float64) * r.points).alias(col_names(r.id)["raw"]) for r in rules]
    after += [(from_fixed(pl.col(col_names(r.id)["dec"])) * r.points).alias(col_names(r.id)["dec"]) for r in rules]
    return partials.with_columns(after)


FIXED_POINT = 1e12
FIXED_ONE = 10 ** 12
LN2 = math.log(2.0)


def to_fixed(value: pl.Expr) -> pl.Expr:
    """Points as integer trillionths, so that sums do not depend on the order of the events.

    A parallel group-by adds a lead's events in an order that varies from run to
    run; float addition is not associative, so the last bits of a decayed sum
    (and, rarely, a tier at a threshold) would change between identical runs.
    Integer addition is exact: rounding each event to 1e-12 points costs far
    less precision than any score needs, and the same input always gives the
    same bytes.
    """
    return (value * FIXED_POINT).round().cast(pl.Int64)


def from_fixed(total: pl.Expr) -> pl.Expr:
    """The inverse of :func:`to_fixed` for a sum."""
    return total.cast(pl.Float64) / FIXED_POINT


def known_event_columns(rules: tuple[Rule, ...]) -> list[pl.Expr]:
    """The scored leads' part of the event accounting, over the scored leads joined to their aggregates.

    For a log aggregated in partitions, whose per-lead counts are ready before the
    run's plan: that plan adds these sums (``_stat_known_timed``, the scored leads'
    readable events, and ``_stat_n__<rule>``), and :func:`event_accounting` takes
    them from the totals of the whole log. (Looking the scored leads up among the
    counts of every lead, after the plan, took 5 s of a run at L.)
    """
    return [pl.col("_ev_timed").fill_null(0).sum().alias("_stat_known_timed")] + [
        pl.col(matched_column(r)).fill_null(0).sum().alias(f"_stat_n__{r.id}") for r in rules]


def event_accounting(counts: pl.LazyFrame, known: dict[str, int], rules: tuple[Rule, ...]) -> dict[str, int]:
    """The run's event accounting (:func:`event_count_columns`) from every lead's counts and the scored leads' part.

    ``counts`` holds every lead's ``_ev_rows``, ``_ev_timed`` and ``_ev_due``; ``known``
    the sums of :func:`known_event_columns` (empty when no lead was scored).
    """
    totals = counts.select(event_count_columns(pl.lit(False))).collect().row(0, named=True)
    # With no lead known, `_stat_unknown` is every readable event of a lead; the scored leads' are not unknown.
    totals["_stat_unknown"] -= known.get("_stat_known_timed", 0)
    totals.update({f"_stat_n__{r.id}": known.get(f"_stat_n__{r.id}", 0) for r in rules})
    return totals


def event_count_columns(known: pl.Expr, rules: tuple[Rule, ...] = ()) -> list[pl.Expr]:
    """The run's event accounting, from the per-lead counts of ``aggregate_events(counts=True)``.

    Evaluated over the aggregates joined (full) to the scored leads; ``known`` is
    true on the rows of scored leads. Each result is one number, broadcast:

    * ``_stat_read``: events read;
    * ``_stat_unreadable``: events without a lead id (or with a null marker for one) or a readable time;
    * ``_stat_untimed``: of those, the events with a lead id but no readable time (blank or not a date):
      a log whose times the ruleset cannot read (a US export under ``date_order: iso``) loses them all;
    * ``_stat_in_window``: readable events at or before the as-of time;
    * ``_stat_unknown``: readable events whose lead is not among the scored leads;
    * ``_stat_n__<rule>`` for each of ``rules``: the events the rule counted for scored leads (its
      matching events, those of a ``per: day`` rule's days that did not score too: :func:`matched_column`).
    """
    # A null marker for a lead id ("#N/A") is no lead id, as in the contacts (cleaning.map_columns).
    lead = pl.col("lead_id").is_not_null() & ~pl.col("lead_id").str.to_lowercase().is_in(NULL_MARKERS)
    rows, timed, due = (pl.col(c).fill_null(0) for c in ("_ev_rows", "_ev_timed", "_ev_due"))
    return [
        rows.sum().alias("_stat_read"),
        pl.when(lead).then(rows - timed).otherwise(rows).sum().alias("_stat_unreadable"),
        pl.when(lead).then(rows - timed).otherwise(0).sum().alias("_stat_untimed"),
        pl.when(lead).then(due).otherwise(0).sum().alias("_stat_in_window"),
        pl.when(lead & ~known).then(timed).otherwise(0).sum().alias("_stat_unknown"),
    ] + [pl.when(known).then(pl.col(matched_column(r))).otherwise(0).fill_null(0).sum().alias(f"_stat_n__{r.id}")
         for r in rules]


UNKNOWN_SAMPLE_ROWS = 10_000  # events read for the examples of ids that name no scored lead
UNKNOWN_EXAMPLES = 2


def most_events_unknown(readable: int, unknown: int) -> bool:
    """Whether most of the log's readable events name no scored lead: then the lead ids, not the
    event types, are what to check (a log written by a spreadsheet holds ``1000001.0`` for ``1000001``)."""
    return readable > 0 and 2 * unknown > readable


def _id_shape(lead: pl.Expr) -> pl.Expr:
    """A lead id in the form the same id takes in another export: lower case, no zero fraction or leading zeros."""
    return lead.str.strip_chars().str.to_lowercase().str.replace(r"^(\d+)\.0+$", "$1").str.replace(r"^0+(\d)", "$1")


def unknown_lead_examples(ids: pl.LazyFrame, scored_ids: pl.Series,
                          sample_rows: int = UNKNOWN_SAMPLE_ROWS) -> tuple[list[str], list[str]]:
    """A few lead ids of the log's first events that name no scored lead, and scored leads' ids beside them.

    For the summary's diagnosis when :func:`most_events_unknown`, so off the normal path: only
    the first ``sample_rows`` ids of the log (``ids``: its ``lead_id`` column, trimmed text) are
    read. Where an unknown id is a scored lead's id written another way (``1000001.0``,
    ``01000001``, another case), that pair is given, to show the difference; else the first
    unknown ids and the first scored leads' ids.
    """
    lead = pl.col("lead_id")
    sample = ids.head(sample_rows).filter(lead.is_not_null() & (lead != "") & ~lead.str.to_lowercase().is_in(NULL_MARKERS))
    known = pl.DataFrame({"lead_id": scored_ids.cast(pl.String)}).drop_nulls()
    unknown = sample.unique(maintain_order=True).collect().join(known, on="lead_id", how="anti", maintain_order="left")
    shaped = known.with_columns(_id_shape(lead).alias("_shape")).unique("_shape", keep="first", maintain_order=True)
    pairs = unknown.with_columns(_id_shape(lead).alias("_shape")).join(
        shaped, on="_shape", suffix="_scored", maintain_order="left").head(UNKNOWN_EXAMPLES)
    if pairs.height:
        return pairs["lead_id"].to_list(), pairs["lead_id_scored"].to_list()
    return unknown["lead_id"].head(UNKNOWN_EXAMPLES).to_list(), known["lead_id"].head(UNKNOWN_EXAMPLES).to_list()


TIME_SAMPLE_ROWS = 100_000  # events read for the examples of times that cannot be read
TIME_EXAMPLES = 3  # shown; the date orders are judged on up to TIME_ORDER_VALUES distinct values
TIME_ORDER_VALUES = 200
OTHER_DATE_ORDERS = ("us", "eu")  # the orders a date_order setting can add to ISO


def date_orders_reading(values: Sequence[str], current: str, timezone: str = "UTC") -> list[str]:
    """The date orders other than ``current`` (``us``, ``eu``) that read every one of ``values``.

    For the hint beside unreadable dates: ``10/28/2026 10:00 AM`` reads in US order only,
    ``28.10.2026`` in European order only, ``05/02/2026`` in both; ``soon`` in none.
    """
    if not values:
        return []
    text = pl.DataFrame({"v": list(values)}, schema={"v": pl.String})
    read = text.select(parse_datetime(pl.col("v"), order, timezone).is_not_null().all().alias(order)
                       for order in OTHER_DATE_ORDERS if order != current).row(0, named=True)
    return [order for order, ok in read.items() if ok]


def unreadable_time_examples(events: pl.LazyFrame, ruleset: Ruleset,
                             sample_rows: int = TIME_SAMPLE_ROWS) -> dict:
    """Examples of the log's event times that cannot be read, and the date order that would read them.

    For the summary's warning when events with a lead id have no readable time
    (``_stat_untimed``): off the normal path, only the first ``sample_rows`` events of the
    raw log are read again, typed as the aggregation types them. A blank time (or a null
    marker such as ``n/a``) is no example: it is not a date in any order.

    Returns:
        ``column`` (the log's time column), ``examples`` (up to :data:`TIME_EXAMPLES` distinct
        values, first seen first; empty when the sample holds none), ``date_order`` (the
        setting that reads it now), ``date_orders_reading`` (:func:`date_orders_reading` of the
        sample's unreadable values) and ``fix`` (the mapping to write, when one order reads them).
    """
    time_col = ruleset.activity_columns["occurred_at"]
    lead_col = ruleset.activity_columns["lead_id"]
    schema = events.collect_schema()
    order = time_col.read_settings(ruleset.settings).date_order
    out: dict = {"column": time_col.column, "examples": [], "date_order": order, "date_orders_reading": [],
                 "fix": None}
    if time_col.column not in schema or lead_col.column not in schema:
        return out
    raw = f"keep::{time_col.column}"
    typed = map_columns(events.head(sample_rows), schema, {"lead_id": lead_col, "occurred_at": time_col},
                        ruleset.settings, keep=(time_col.column,), blank_placeholders=False, compose=False)
    lead = pl.col("lead_id")
    bad = [c for c in typed.collect_schema() if c == "_bad__occurred_at"]
    if not bad:  # a column of datetimes: every value that is there reads
        return out
    values = (typed.filter(lead.is_not_null() & ~lead.str.to_lowercase().is_in(NULL_MARKERS)
                           & pl.col("_bad__occurred_at"))
              .select(pl.col(raw).cast(pl.String).str.strip_chars())
              .unique(maintain_order=True).head(TIME_ORDER_VALUES).collect().to_series().to_list())
    out["examples"] = values[:TIME_EXAMPLES]
    out["date_orders_reading"] = date_orders_reading(values, order, ruleset.settings.timezone)
    if out["date_orders_reading"]:
        out["fix"] = time_setting_fix(time_col, out["date_orders_reading"][0])
    return out


def time_setting_fix(col: Column, order: str) -> str:
    """The mapping that reads an activity date column in ``order``: its own ``date_order``, so that the
    contacts keep theirs (``activity_columns.occurred_at: {column: "Activity Date", date_order: us}``)."""
    return f'activity_columns.{col.field}: {{column: "{col.column}", date_order: {order}}}'
