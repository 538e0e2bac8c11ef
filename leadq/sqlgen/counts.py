"""The run's counts and rejected rows, as two queries over the scoring query's input stages.

The DuckDB and Spark engines run them besides the scoring query, for the run summary (rows,
rejects by reason, events read, unreadable, in the window, of unknown leads, counted per rule)
and the rejects file, with the same reasons as the polars pipeline. They read only the contact
and event CTEs (see :mod:`leadq.sqlgen.contacts`, :mod:`leadq.sqlgen.events`).
"""

from __future__ import annotations

from typing import Callable

from sqlglot import exp

from leadq.ruleset import Rule, Ruleset
from leadq.sqlgen.conditions import col, num
from leadq.sqlgen.dialects import cast
from leadq.sqlgen.tables import ORDER_COLUMN, SqlTables, alias, null_marker
from leadq.sqlgen.text import case_when, concat, lit


class RunCountQueries:
    """The counts and rejects queries; mixed into :class:`leadq.sqlgen.query.QueryBuilder`.

    Call them after :meth:`~leadq.sqlgen.query.QueryBuilder.build`, whose CTEs they reuse.
    """

    rs: Ruleset
    t: SqlTables
    ctes: list[tuple[str, exp.Select]]
    checked_dates: list[str]
    events_source: str | None
    add: Callable[[str, exp.Select], str]
    days: Callable[[exp.Expression], exp.Expression]
    rule_match: Callable[[Rule], exp.Expression]
    _with_ctes: Callable[..., exp.Select]

    # CTEs that the counts and rejects queries read (the scoring stages are left out: planning them is slow).
    _INPUT_CTES = {"lq_contacts", "lq_valid", "lq_unique_id", "lq_remap", "lq_unique", "lq_events_typed",
                   "lq_events_moved"}

    def counts_query(self) -> exp.Select:
        """Counts of the run (rows, rejects by reason, events) over the CTEs of :meth:`~leadq.sqlgen.query.QueryBuilder.build`."""
        def count(table: str, where: exp.Expression | None = None) -> exp.Expression:
            sel = exp.select(exp.Count(this=exp.Star())).from_(table)
            return exp.Subquery(this=sel.where(where) if where is not None else sel)

        null = lambda c: exp.Is(this=col(c), expression=exp.Null())  # noqa: E731
        rank_gt_1 = lambda c: exp.GT(this=col(c), expression=exp.Literal.number(1))  # noqa: E731
        zero = exp.Literal.number(0)
        email = "email" in self.rs.settings.dedupe_on
        ctes = self._INPUT_CTES
        fields = [
            ("rows", count("lq_contacts")), ("missing_id", count("lq_contacts", null("lead_id"))),
            ("duplicate_id", count("lq_valid", rank_gt_1("_rank_id"))),
            ("duplicate_email", count("lq_unique_id", exp.and_(exp.Not(this=null("_email_key")),
                                                               rank_gt_1("_rank_email")))
             if email else zero),
        ]
        earlier: list[str] = []
        for f in self.checked_dates:  # each row counts under its first unreadable field, as its reason says
            where = exp.and_(exp.Not(this=null("lead_id")), col(f"_bad__{f}"),
                             *[exp.Not(this=col(f"_bad__{e}")) for e in earlier])
            fields.append((f"unreadable__{f}", count("lq_contacts", where)))
            earlier.append(f)
        if self.events_source:
            unreadable = exp.Paren(this=exp.or_(null("lead_id"), null_marker(col("lead_id")), null("occurred_at")))
            readable = exp.Not(this=unreadable.copy())
            in_past = exp.GTE(this=self.days(col("occurred_at")), expression=num(0))
            known = exp.In(this=col("lead_id"), query=exp.Subquery(this=exp.select(col("lead_id")).from_("lq_unique")))
            fields += [
                ("events_read", count("lq_events_typed")),
                ("events_unreadable", count("lq_events_typed", unreadable)),
                ("events_in_window", count("lq_events_typed", exp.and_(readable.copy(), in_past))),
                ("events_unknown", count(self.events_source, exp.and_(readable.copy(), exp.Not(this=known)))),
            ]
            # The events each event rule counted for scored leads (the polars engine's events.by_rule),
            # in one pass over the events that some rule can count.
            by_rule = [alias(exp.Coalesce(this=cast(exp.Sum(this=case_when(self.rule_match(r), exp.Literal.number(1),
                                                                            exp.Literal.number(0))), "BIGINT"),
                                           expressions=[exp.Literal.number(0)]), f"by_rule__{r.id}", quoted=True)
                       for r in self.rs.event_rules]
            if by_rule:
                if not any(name == "lq_by_rule" for name, _ in self.ctes):  # a stage, so Spark registers it too
                    self.add("lq_by_rule", exp.select(*by_rule).from_("lq_events").where(known.copy()))
                fields += [(f"by_rule__{r.id}", exp.Subquery(this=exp.select(col(f"by_rule__{r.id}")).from_("lq_by_rule")))
                           for r in self.rs.event_rules]
                ctes = self._INPUT_CTES | {"lq_events_aged", "lq_events", "lq_by_rule"}
        return self._with_ctes(exp.select(*[alias(e, n, quoted=True) for n, e in fields]), ctes)

    def _duplicate_reason(self, key: str, kept_id: exp.Expression) -> exp.Expression:
        """The polars pipeline's reason: "duplicate e-mail: kept lead L1 (row 3, most recently updated)"."""
        parts = [lit(f"duplicate {key}: kept lead "), kept_id]
        if self.t.order_column:  # without an input order there is no row to name
            row = exp.Add(this=col("_kept_row"), expression=exp.Literal.number(1))
            first = lit(", first in input order)")
            why: exp.Expression = first
            if "updated_at" in self.rs.columns:  # as leadq.dedupe says it
                later = exp.and_(exp.Not(this=exp.Is(this=col("_kept_updated"), expression=exp.Null())),
                                 exp.or_(exp.Is(this=col("updated_at"), expression=exp.Null()),
                                         exp.GT(this=col("_kept_updated"), expression=col("updated_at"))))
                why = case_when(later, lit(", most recently updated)"), first)
            parts += [lit(" (row "), cast(row, "VARCHAR"), why]
        return concat(parts)

    def _email_dropped(self) -> exp.Expression:
        """Rows of ``lq_unique_id`` (one per lead id) that the e-mail pass drops."""
        return exp.and_(exp.Not(this=exp.Is(this=col("_email_key"), expression=exp.Null())),
                        exp.GT(this=col("_rank_email"), expression=exp.Literal.number(1)))

    def _lead_id_duplicates(self, row: exp.Expression) -> exp.Select:
        """The rejects of the lead-id pass; one whose kept row the e-mail pass drops next says so, as the
        polars pipeline does: "..., itself a duplicate e-mail of lead L2 (row 9)"."""
        reason = self._duplicate_reason("lead id", col("lead_id"))
        query = exp.select(alias(row.copy(), "source_row", quoted=True), alias(reason, "reason", quoted=True)) \
            .from_("lq_valid")
        if "email" in self.rs.settings.dedupe_on:
            then = [lit(", itself a duplicate e-mail of lead "), col("_then_id")]
            if self.t.order_column:
                then += [lit(" (row "), cast(exp.Add(this=col("_then_row"), expression=exp.Literal.number(1)),
                                             "VARCHAR"), lit(")")]
            reason = concat([reason, exp.Coalesce(this=concat(then), expressions=[lit("")])])
            dropped = exp.select(alias(col("lead_id"), "_then_lead", quoted=True),
                                 alias(col("_kept_id"), "_then_id", quoted=True),
                                 *([alias(col("_kept_row"), "_then_row", quoted=True)] if self.t.order_column else [])
                                 ).from_("lq_unique_id").where(self._email_dropped())
            query = exp.select(alias(row.copy(), "source_row", quoted=True), alias(reason, "reason", quoted=True)) \
                .from_("lq_valid").join(exp.Subquery(this=dropped, alias=exp.TableAlias(this=exp.to_identifier("u"))),
                                        on=exp.EQ(this=col("lead_id"), expression=col("_then_lead")), join_type="left")
        return query.where(exp.GT(this=col("_rank_id"), expression=exp.Literal.number(1)))

    def _unreadable_reason(self) -> exp.Expression:
        """The reject reason of a row with a lead id and an unreadable used date (the first such field)."""
        case = exp.Case(ifs=[exp.If(this=col(f"_bad__{f}"),
                                    true=lit(f"unreadable date in '{self.rs.columns[f].column}'"))
                             for f in self.checked_dates])
        return case

    def rejects_query(self) -> exp.Select:
        """Rejected rows (input order key + 1, reason) over the CTEs of :meth:`~leadq.sqlgen.query.QueryBuilder.build`."""
        row: exp.Expression = (exp.Add(this=col(ORDER_COLUMN), expression=exp.Literal.number(1))
                               if self.t.order_column else cast(exp.Null(), "BIGINT"))
        parts = [
            exp.select(alias(row.copy(), "source_row", quoted=True), alias(lit("missing lead id"), "reason",
                                                                                     quoted=True))
            .from_("lq_contacts").where(exp.Is(this=col("lead_id"), expression=exp.Null())),
            self._lead_id_duplicates(row),
        ]
        if self.checked_dates:
            parts.append(exp.select(alias(row.copy(), "source_row", quoted=True),
                                    alias(self._unreadable_reason(), "reason", quoted=True))
                         .from_("lq_contacts").where(exp.and_(
                             exp.Not(this=exp.Is(this=col("lead_id"), expression=exp.Null())),
                             exp.Paren(this=exp.or_(*[col(f"_bad__{f}") for f in self.checked_dates])))))
        if "email" in self.rs.settings.dedupe_on:
            parts.append(exp.select(alias(row.copy(), "source_row", quoted=True),
                                    alias(self._duplicate_reason("e-mail", col("_kept_id")), "reason", quoted=True))
                         .from_("lq_unique_id").where(self._email_dropped()))
        union = parts[0]
        for p in parts[1:]:
            union = exp.union(union, p, distinct=False)
        return self._with_ctes(exp.select(exp.Star()).from_(exp.Subquery(this=union, alias=exp.TableAlias(
            this=exp.to_identifier("r")))), self._INPUT_CTES)
