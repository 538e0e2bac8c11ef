"""The event stages of the scoring query: the activity log aggregated per lead.

``lq_events_typed`` reads the mapped activity columns typed; ``lq_events_moved`` gives a dropped
e-mail duplicate's events to the kept lead; ``lq_events_aged`` adds ages in days;
``lq_events`` keeps the event types some rule counts within the longest window;
``lq_events_periods`` (only with a ``per: day`` or ``per: week`` rule) numbers each such rule's
events within their lead and day (week), latest first, so that the rule counts the latest only; and
``lq_activity`` is ONE ``GROUP BY lead_id`` with conditional sums per event rule (count, raw
points, decayed points, last event), as :mod:`leadq.activity` computes them. ``lq_workspaces``
gives each lead's product workspace.
"""

from __future__ import annotations

from typing import Callable

from sqlglot import exp

from leadq.activity import FIXED_ONE, FIXED_POINT, LN2, matched_column, max_window_days, rule_event_spellings
from leadq.conditions import names_in
from leadq.ruleset import Rule, Ruleset
from leadq.sqlgen.conditions import SqlField, SqlScope, col, compile_sql_condition, dbl, false, lower_text, num
from leadq.sqlgen.dialects import SqlDialect, cast
from leadq.sqlgen.tables import WORKSPACE_COLUMN, SqlTables, alias, select_typed, table, typed_column
from leadq.sqlgen.text import case_when, half_even, lit


class EventsStage:
    """The event stages; mixed into :class:`leadq.sqlgen.query.QueryBuilder`, which holds the state.

    Sets ``events_source``: the CTE of typed events with their leads' kept ids.
    """

    rs: Ruleset
    d: SqlDialect
    t: SqlTables
    carry: tuple[str, ...]
    events_source: str | None
    add: Callable[[str, exp.Select], str]
    days: Callable[[exp.Expression], exp.Expression]

    def event_scope(self, where: str) -> SqlScope:
        """The fields an event rule's ``where`` reads: the mapped activity columns (``where`` names the rule)."""
        fields = {name: SqlField(col(name), c.type) for name, c in self.rs.activity_columns.items()}
        raw = {c.column: fields[name] for name, c in self.rs.activity_columns.items()}
        return SqlScope(fields=fields, where=where, raw_columns=raw, lists=self.rs.lists,
                        grades=self.rs.grade_letters)

    def activity(self) -> str | None:
        """Adds the event stages, from ``lq_events_typed`` to ``lq_activity``.

        Returns:
            The name of ``lq_activity`` (one row per lead id), or None when the ruleset has no event rules.

        Raises:
            MissingColumnsError: the known activity columns lack one an event rule needs.
        """
        rs, t = self.rs, self.t
        rules = list(rs.event_rules)
        if not rules:
            return None
        needed = {"lead_id", "event_type", "occurred_at"}
        if WORKSPACE_COLUMN in self.carry:
            needed.add("workspace_id")
        for r in rules:
            if r.where is not None:
                fields, raws, _ = names_in(r.where.tree)
                needed |= fields | {n for n, c in rs.activity_columns.items() if c.column in raws}
        fields = [f for f in rs.activity_columns if f in needed]
        relevant = sorted({k for r in rules for k in rule_event_spellings(r)})
        if t.activities is None:
            # No activity log: an empty relation with the right columns.
            select = [alias(typed_column(rs.activity_columns[f], self.d, False, placeholders=False), f, quoted=True)
                      for f in fields]
            self.add("lq_events_typed", exp.select(*select).where(false()))
        else:
            select = select_typed(self.d, rs.activity_columns, fields, t.activities_columns, needed, t.activities,
                                  placeholders=False, number_format=rs.settings.number_format)
            self.add("lq_events_typed", exp.select(*select).from_(table(t.activities)))
        source = "lq_events_typed"
        self.events_source = source
        if "email" in rs.settings.dedupe_on:
            others = [exp.column(f, "e", quoted=True) for f in fields if f != "lead_id"]
            lead = exp.Coalesce(this=exp.column("_kept_id", "r", quoted=True),
                                expressions=[exp.column("lead_id", "e", quoted=True)])
            self.add("lq_events_moved", exp.select(alias(lead, "lead_id", quoted=True), *others)
                     .from_(alias(exp.to_table(source), "e"))
                     .join(alias(exp.to_table("lq_remap"), "r"),
                           on=exp.EQ(this=exp.column("lead_id", "e", quoted=True),
                                     expression=exp.column("lead_id", "r", quoted=True)), join_type="left"))
            source = "lq_events_moved"
            self.events_source = source
        self.add("lq_events_aged", exp.select(exp.Star(), alias(self.days(col("occurred_at")), "_age", quoted=True),
                                              alias(lower_text(col("event_type"), self.d), "_type", quoted=True))
                 .from_(source).where(exp.and_(
                     exp.Not(this=exp.Is(this=col("lead_id"), expression=exp.Null())),
                     exp.Not(this=exp.Is(this=col("occurred_at"), expression=exp.Null())))))
        window = max_window_days(rs)
        self.add("lq_events", exp.select(exp.Star()).from_("lq_events_aged").where(exp.and_(
            exp.In(this=col("_type"), expressions=[lit(e) for e in relevant]),
            exp.GTE(this=col("_age"), expression=num(0)), exp.LTE(this=col("_age"), expression=num(window)))))
        source = "lq_events"
        periodic = [r for r in rules if r.once_per is not None]
        if periodic:
            source = self.add("lq_events_periods", exp.select(exp.Star(), *[
                alias(self._period_rank(r), f"_rank__{r.id}", quoted=True) for r in periodic]).from_("lq_events"))
        aggs: list[exp.Expression] = []
        for r in rules:
            m = self.rule_match(r)
            if r.once_per is not None:  # the period's latest event only; _matched__ counts them all (matched_column)
                aggs.append(alias(cast(exp.Sum(this=case_when(m.copy(), exp.Literal.number(1), exp.Literal.number(0))),
                                       "BIGINT"), matched_column(r), quoted=True))
                m = exp.Paren(this=exp.and_(m, exp.EQ(this=col(f"_rank__{r.id}"), expression=exp.Literal.number(1))))
            n = exp.Sum(this=case_when(m.copy(), exp.Literal.number(1), exp.Literal.number(0)))
            # As leadq.activity sums them: each event's decay factor as integer trillionths
            # (to_fixed), the lead's points its points times their sum; and before decay, points
            # times the count. Summing each event's points in floating point gave other last bits
            # (ten events of 0.1 points: 0.9999999999999999, not 1) and so, at a threshold, another tier.
            fixed = exp.Sum(this=case_when(m.copy(), self._fixed_factor(r.half_life_days, r.decay),
                                           exp.Literal.number(0)))
            aggs += [
                alias(cast(n, "BIGINT"), f"_n__{r.id}", quoted=True),
                alias(exp.Mul(this=cast(n.copy(), "DOUBLE"), expression=dbl(r.points)), f"_raw__{r.id}", quoted=True),
                alias(exp.Mul(this=exp.Div(this=cast(fixed, "DOUBLE"), expression=dbl(FIXED_POINT)),
                              expression=dbl(r.points)), f"_dec__{r.id}", quoted=True),
                alias(exp.Max(this=case_when(m.copy(), col("occurred_at"))), f"_last__{r.id}", quoted=True),
            ]
        return self.add("lq_activity", exp.select(col("lead_id"), *aggs).from_(source).group_by(col("lead_id")))

    def period_key(self, once_per: str) -> exp.Expression:
        """The calendar period of an event of ``lq_events`` as a whole number, as
        :func:`leadq.activity.period_key` numbers it: days since 1970-01-01 (UTC: the SQL engines
        read times as UTC), and ISO weeks ``FLOOR((day + 3) / 7)`` (Monday first)."""
        day: exp.Expression = exp.Floor(this=exp.Div(this=cast(self.d.epoch_us(col("occurred_at")), "DOUBLE"),
                                                     expression=dbl(86_400_000_000)))
        if once_per == "week":
            day = exp.Floor(this=exp.Div(this=exp.Paren(this=exp.Add(this=day, expression=num(3))),
                                         expression=dbl(7)))
        return day

    def _period_rank(self, r: Rule) -> exp.Expression:
        """1 on the latest event that rule ``r`` counts of each lead and period (``per: day``), as
        :func:`leadq.activity._per_period` scores it; other numbers on its other events (ties: any one)."""
        m = self.rule_match(r)
        window = exp.Window(this=exp.RowNumber(), partition_by=[
            col("lead_id"), case_when(m.copy(), self.period_key(r.once_per or "day"))],
            order=exp.Order(expressions=[exp.Ordered(this=col("occurred_at"), desc=True)]))
        return case_when(m, window)

    @staticmethod
    def _fixed_factor(half_life: float | None, decay: str = "continuous") -> exp.Expression:
        """An event's decay factor as integer trillionths, as :func:`leadq.activity._decay_factor` computes it:
        ``exp(age * -ln 2 / half_life)`` (ages in ``lq_events`` are never negative), or for ``decay: step``
        ``POWER(0.5, FLOOR(age / half_life))``, rounded half to even."""
        if half_life is None:
            return exp.Literal.number(FIXED_ONE)
        if decay == "step":
            factor: exp.Expression = exp.Pow(this=dbl(0.5), expression=exp.Floor(
                this=exp.Div(this=col("_age"), expression=dbl(half_life))))
        else:
            factor = exp.Exp(this=exp.Mul(this=col("_age"), expression=dbl(-LN2 / half_life)))
        return cast(half_even(exp.Paren(this=exp.Mul(this=factor, expression=dbl(FIXED_POINT)))), "BIGINT")

    def rule_match(self, r: Rule) -> exp.Expression:
        """True on the rows of ``lq_events`` that event rule ``r`` counts: its types, ``where`` and window."""
        scope = self.event_scope(f"{r.section} rule '{r.id}'")
        match = [exp.In(this=col("_type"), expressions=[lit(k) for k in rule_event_spellings(r)])]
        if r.where is not None:
            match.append(compile_sql_condition(r.where.tree, scope, self.d))
        match.append(exp.LTE(this=col("_age"), expression=num(r.within_days)))
        return exp.Paren(this=exp.and_(*match))

    def workspaces(self) -> str | None:
        """Each lead's product workspace: that of its latest event up to as-of that names one, as
        :func:`leadq.accounts.lead_workspaces` (None without a mapped ``workspace_id``)."""
        if self.events_source is None or "workspace_id" not in self.rs.activity_columns:
            return None
        known = [exp.Not(this=exp.Is(this=col(c), expression=exp.Null())) for c in ("workspace_id", "lead_id")]
        latest = exp.ArgMax(this=col("workspace_id"), expression=col("occurred_at"))
        return self.add("lq_workspaces", exp.select(col("lead_id"), alias(latest, WORKSPACE_COLUMN, quoted=True))
                        .from_(self.events_source)
                        .where(exp.and_(*known, exp.GTE(this=self.days(col("occurred_at")), expression=num(0))))
                        .group_by(col("lead_id")))
