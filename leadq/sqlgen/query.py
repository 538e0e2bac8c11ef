"""The whole scoring query as one SQL statement of common table expressions.

The stages mirror :mod:`leadq.pipeline` and :mod:`leadq.compiler` one for one,
so that a ruleset scores the same on every engine. The contact stages are built in
:mod:`leadq.sqlgen.contacts`, the event stages in :mod:`leadq.sqlgen.events`, the
scoring stages here; :mod:`leadq.sqlgen.counts` adds the run's counts and rejects queries:

=====================  ======================================================
``lq_contacts``        mapped contact columns, typed (text trimmed, blanks null)
``lq_valid``           rows with a lead id, ranked for de-duplication
``lq_leads``           one row per lead (most recently updated, then first
                       in input order), e-mail duplicates dropped, derived
                       ``email_domain``, account fields filling blanks
``lq_events*``         typed activity, e-mail duplicates' events moved to the
                       kept lead, ages in days, the longest window applied
``lq_activity``        ONE ``GROUP BY lead_id`` with conditional sums per event
                       rule: count, raw points, decayed points, last event
``lq_hits`` ...        hits, points, scores, grade, gates, verdicts, tier and
                       explanation, each a CTE over the previous one
=====================  ======================================================

Output columns are those of ``leadq score`` except that
``disqualification_reasons`` is text joined with ``"; "`` (as in CSV output),
because arrays are spelled differently in every warehouse, and that the action
sections' columns (route, owner, SLA, nurture track, account tier) are not
among them: the DuckDB and Spark engines add those in Polars
(:func:`leadq.actions.with_actions`) from the extra columns the query then
returns (``carry``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Sequence

from sqlglot import exp

from leadq.activity import matched_column
from leadq.conditions import Call, Literal, Name, Node, TextMatch, Type, names_in, walk
from leadq.errors import UsageError
from leadq.fields import DERIVED_FIELDS
from leadq.ruleset import SCORE_DECIMALS, Rule, Ruleset
from leadq.sqlgen.conditions import SqlField, SqlScope, col, compile_sql_condition, dbl, days_between, false, num
from leadq.sqlgen.contacts import ContactsStage
from leadq.sqlgen.counts import RunCountQueries
from leadq.sqlgen.dialects import SqlDialect, cast, regex_sql_problem
from leadq.sqlgen.events import EventsStage
from leadq.sqlgen.tables import ORDER_COLUMN, WORKSPACE_COLUMN, SqlTables, alias, typed_column
from leadq.sqlgen.text import case_when, group_fragment, joined, lit, rule_fragment, tenths


def _sum(parts: list[exp.Expression]) -> exp.Expression:
    """``a + b + ...``."""
    out = parts[0]
    for part in parts[1:]:
        out = exp.Add(this=out, expression=part)
    return out


def _snapped(score: exp.Expression) -> exp.Expression:
    """:func:`leadq.compiler.snapped` in SQL: ``ROUND(score * 1e9) / 1e9``."""
    scale = dbl(float(10 ** SCORE_DECIMALS))
    return exp.Div(this=exp.Round(this=exp.Mul(this=exp.Paren(this=score), expression=scale)), expression=scale.copy())


def _clipped(value: exp.Expression, cap: float) -> exp.Expression:
    """``value`` clipped to ``-cap..cap`` (CASE rather than LEAST/GREATEST, whose null rules differ)."""
    return exp.Case(ifs=[exp.If(this=exp.GT(this=value.copy(), expression=num(cap)), true=dbl(cap)),
                         exp.If(this=exp.LT(this=value.copy(), expression=num(-cap)), true=dbl(-cap))],
                    default=value.copy())


class QueryBuilder(ContactsStage, EventsStage, RunCountQueries):
    """Builds the scoring query for one ruleset, ``as_of`` and dialect.

    ``carry``: columns the query returns besides the output columns, for the action sections
    that the engines apply in Polars afterwards (:func:`leadq.actions.action_inputs`): contact
    and account fields, ``email_domain``, columns of the scoring stages (``_n__<rule>``,
    ``_last__<rule>``, ``_pts__<rule>``, ``_dq__<code>``, ``_grade_rank``, ``bad_fit`` ...) and
    ``_workspace_id``. ``leadq sql`` carries none.

    The contact and event stages, and the counts and rejects queries, are methods of the mixins
    this class joins (:mod:`leadq.sqlgen.contacts`, :mod:`leadq.sqlgen.events`,
    :mod:`leadq.sqlgen.counts`); the state they share is set here.
    """

    def __init__(self, ruleset: Ruleset, as_of: datetime, dialect: str, tables: SqlTables,
                 carry: Sequence[str] = ()):
        self.rs = ruleset
        self.as_of = as_of.astimezone(timezone.utc)
        self.d = SqlDialect(dialect)
        self.t = tables
        self.carry = tuple(carry)
        self.staged: list[str] = []  # the columns the scoring stages add (stage())
        self.ctes: list[tuple[str, exp.Select]] = []
        self.events_source: str | None = None
        # Date fields a rule uses whose unreadable values reject the row, as in the polars engine
        # (numbers and booleans held as text are refused before any query: engines._check_typed).
        self.checked_dates: list[str] = []
        self._check_supported()

    # ------------------------------------------------------------------ helpers
    def add(self, name: str, select: exp.Select) -> str:
        """Appends the CTE ``name`` and returns its name."""
        self.ctes.append((name, select))
        return name

    def days(self, ts: exp.Expression) -> exp.Expression:
        """Days from ``ts`` to as-of (fractional)."""
        return days_between(self.d, self.as_of, ts)

    def _check_supported(self) -> None:
        if self.rs.settings.timezone != "UTC":
            raise UsageError(f"the SQL engines read timestamps as UTC; the ruleset's settings.timezone "
                             f"'{self.rs.settings.timezone}' is supported by leadq's own engine only (`leadq score`, "
                             "--engine polars, the default)")
        if "lead_id" not in self.rs.settings.dedupe_on:
            # leadq score then keeps every row of a repeated lead id; the query keeps one per lead id.
            raise UsageError(f"{self.rs.path}: settings.dedupe_on {list(self.rs.settings.dedupe_on)}: a lead id on several rows "
                             "is de-duplicated by the SQL engines always; add lead_id to dedupe_on ([lead_id, "
                             "email]), or score this ruleset with `leadq score` (--engine polars, the default)")
        for cond, where in self._conditions():
            for node in walk(cond.tree):
                if isinstance(node, TextMatch) and node.op == "matches" and isinstance(node.pattern, Literal):
                    problem = regex_sql_problem(str(node.pattern.value))
                    if problem:
                        raise UsageError(f"{cond.error_position(node.pattern.offset)}: {where}: regex "
                                         f"{node.pattern.value!r}: {problem}; or score this ruleset with `leadq "
                                         "score` (--engine polars, the default)")
            fields, _, _ = names_in(cond.tree)
            derived = sorted(fields & {"seniority", "department"})
            if derived:
                raise UsageError(f"{cond.pos}: {where}: '{derived[0]}' (from the job-title map) is computed by "
                                 "leadq's own engine only, not in SQL; score this ruleset with `leadq score` "
                                 "(--engine polars, the default)")

    def _conditions(self):
        for r in self.rs.rules:
            if r.when is not None:
                yield r.when, f"{r.section} rule '{r.id}'"
            if r.where is not None:
                yield r.where, f"{r.section} rule '{r.id}'"
        for dq in self.rs.disqualifiers:
            yield dq.when, f"disqualifier '{dq.code}'"
        for t in self.rs.tiers:
            if t.when is not None:
                yield t.when, f"tier '{t.name}'"

    # ------------------------------------------------------------------ scoring stages
    def contact_fields(self) -> dict[str, SqlField]:
        """The contact and account fields (and ``email_domain``) as columns of the joined leads."""
        rs = self.rs
        fields = {name: SqlField(col(name), c.type) for name, c in rs.columns.items()}
        for name, c in rs.account_columns.items():
            fields.setdefault(name, SqlField(col(name), c.type))
        if "email" in fields:
            fields["email_domain"] = SqlField(col("email_domain"), DERIVED_FIELDS["email_domain"])
        return fields

    def _days_since(self, node: Node) -> tuple[exp.Expression, Type]:
        arg = node.args[0]  # type: ignore[attr-defined]
        assert isinstance(arg, Name)
        if any(r.id == arg.name for r in self.rs.rules):
            return self.days(col(f"_last__{arg.name}")), Type.NUMBER
        return self.days(col(arg.name)), Type.NUMBER

    def contact_scope(self, where: str) -> SqlScope:
        """What a contact rule's condition reads (``where`` names it in errors)."""
        fields = self.contact_fields()
        raw = {c.column: fields[name] for name, c in self.rs.columns.items() if name in fields}
        return SqlScope(fields=fields, where=where, raw_columns=raw, lists=self.rs.lists,
                        functions={"days_since": self._days_since}, grades=self.rs.grade_letters)

    def score_scope(self, where: str, *, with_verdicts: bool) -> SqlScope:
        """What a disqualifier's or (``with_verdicts``) a tier's condition reads: scores, grade, rules' results."""
        scope = self.contact_scope(where)
        scope.fields.update({
            "fit": SqlField(col("fit_score"), Type.NUMBER), "intent": SqlField(col("intent_score"), Type.NUMBER),
            "total": SqlField(col("total_score"), Type.NUMBER), "grade": SqlField(col("_grade_rank"), Type.GRADE),
        })
        if with_verdicts:
            scope.fields.update({k: SqlField(col(k), Type.BOOL) for k in ("disqualified", "bad_fit", "bad_timing")})

        def rule_col(prefix: str, typ: Type, none: int | None = None):
            def build(node: Call) -> tuple[exp.Expression, Type]:
                value = col(f"{prefix}{node.args[0].name}")  # type: ignore[attr-defined]
                if none is not None:  # the value of a lead without events
                    value = exp.Coalesce(this=value, expressions=[exp.Literal.number(none)])
                return value, typ
            return build

        scope.functions.update({"fired": rule_col("_hit__", Type.BOOL), "points": rule_col("_pts__", Type.NUMBER),
                                "count": rule_col("_n__", Type.NUMBER, none=0)})
        if with_verdicts:
            def has_reason(node: Call) -> tuple[exp.Expression, Type]:
                code = node.args[0]
                assert isinstance(code, Literal)
                return col(f"_dq__{code.value}"), Type.BOOL
            scope.functions["has_reason"] = has_reason
        return scope

    def _condition(self, tree: Node, scope: SqlScope) -> exp.Expression:
        return compile_sql_condition(tree, scope, self.d)

    def _hit_and_points(self, rule: Rule) -> tuple[exp.Expression, exp.Expression]:
        if not rule.is_event_rule:
            hit = self._condition(rule.when.tree, self.contact_scope(f"{rule.section} rule '{rule.id}'"))  # type: ignore[union-attr]
            return hit, case_when(col(f"_hit__{rule.id}"), dbl(rule.points), dbl(0.0))
        hit = exp.GTE(this=exp.Coalesce(this=col(f"_n__{rule.id}"), expressions=[exp.Literal.number(0)]),
                      expression=exp.Literal.number(rule.min_count))
        if rule.per == "lead":
            value: exp.Expression = dbl(rule.points)
            if rule.half_life_days is not None:
                age = self.days(col(f"_last__{rule.id}"))
                halvings: exp.Expression = exp.Div(this=age, expression=dbl(rule.half_life_days))
                if rule.decay == "step":
                    halvings = exp.Floor(this=halvings)
                value = exp.Mul(this=dbl(rule.points), expression=exp.Pow(this=dbl(0.5), expression=halvings))
        else:
            value = exp.Coalesce(this=col(f"_dec__{rule.id}"), expressions=[dbl(0.0)])
        if rule.cap is not None:
            value = exp.Greatest(this=dbl(-rule.cap), expressions=[exp.Least(this=dbl(rule.cap), expressions=[value])])
        return hit, case_when(col(f"_hit__{rule.id}"), value, dbl(0.0))

    def stage(self, name: str, source: str, columns: list[tuple[str, exp.Expression]]) -> str:
        """Adds the CTE ``name``: every column of ``source`` and the named ``columns``."""
        self.staged += [n for n, _ in columns]
        return self.add(name, exp.select(exp.Star(), *[alias(e, n, quoted=True) for n, e in columns])
                        .from_(source))

    def build(self) -> exp.Select:
        """The scoring query: every stage as a CTE, then the output (and ``carry``) columns.

        Raises:
            UsageError: a ``carry`` column the query cannot give.
            MissingColumnsError: known table columns lack a column a rule needs.
        """
        rs = self.rs
        leads, cols = self.contacts()
        agg = self.activity()
        agg_cols: list[str] = []
        if agg is not None:
            agg_cols = [f"_{k}__{r.id}" for r in rs.event_rules for k in ("n", "raw", "dec", "last")]
            agg_cols += [matched_column(r) for r in rs.event_rules if r.once_per is not None]
            workspaces = self.workspaces() if WORKSPACE_COLUMN in self.carry else None
            select = [exp.column(c, "l", quoted=True) for c in cols] + \
                     [exp.column(c, "x", quoted=True) for c in agg_cols]
            lead_id = exp.column("lead_id", "l", quoted=True)
            query = exp.select(*select).from_(alias(exp.to_table(leads), "l")).join(
                alias(exp.to_table(agg), "x"),
                on=exp.EQ(this=lead_id, expression=exp.column("lead_id", "x", quoted=True)), join_type="left")
            if workspaces is not None:
                agg_cols.append(WORKSPACE_COLUMN)
                query = query.select(exp.column(WORKSPACE_COLUMN, "w", quoted=True)).join(
                    alias(exp.to_table(workspaces), "w"),
                    on=exp.EQ(this=lead_id.copy(), expression=exp.column("lead_id", "w", quoted=True)),
                    join_type="left")
            current = self.add("lq_joined", query)
        else:
            current = leads
        hits, points = [], []
        for r in rs.rules:
            hit, pts = self._hit_and_points(r)
            hits.append((f"_hit__{r.id}", hit))
            points.append((f"_pts__{r.id}", pts))
        current = self.stage("lq_hits", current, hits) if hits else current
        current = self.stage("lq_points", current, points) if points else current
        if rs.groups:  # each group's points before its cap
            current = self.stage("lq_groups", current, [(f"_grp__{g.id}", _sum([col(f"_pts__{r}") for r in g.rules]))
                                                        for g in rs.groups])

        def total(score: str) -> exp.Expression:
            rules, groups = rs.score_parts(score)
            parts = [col(f"_pts__{r.id}") for r in rules] + [_clipped(col(f"_grp__{g.id}"), g.cap) for g in groups]
            return _sum(parts) if parts else dbl(0.0)

        current = self.stage("lq_scores", current, [("fit_score", _snapped(total("fit"))),
                                                    ("intent_score", _snapped(total("intent")))])
        grade_ifs, rank_ifs = [], []
        default_grade: exp.Expression = lit("")
        default_rank: exp.Expression = dbl(0)
        for i, g in enumerate(rs.grades):
            if g.min_fit is None:
                default_grade, default_rank = lit(g.letter), num(-float(i))
                continue
            cond = exp.GTE(this=col("fit_score"), expression=num(g.min_fit))
            grade_ifs.append(exp.If(this=cond, true=lit(g.letter)))
            rank_ifs.append(exp.If(this=cond.copy(), true=num(-float(i))))
        current = self.stage("lq_totals", current, [
            ("total_score", _snapped(exp.Add(this=col("fit_score"), expression=col("intent_score")))),
            ("grade", exp.Case(ifs=grade_ifs, default=default_grade) if grade_ifs else default_grade),
            ("_grade_rank", exp.Case(ifs=rank_ifs, default=default_rank) if rank_ifs else default_rank),
        ])
        gates = [(f"_dq__{d.code}", self._condition(d.when.tree, self.score_scope(f"disqualifier '{d.code}'",
                                                                                 with_verdicts=False)))
                 for d in rs.disqualifiers]
        if gates:
            current = self.stage("lq_gates", current, gates)

        def any_of(category: str | None) -> exp.Expression:
            flags = [col(f"_dq__{d.code}") for d in rs.disqualifiers if category in (None, d.category)]
            if not flags:
                return false()
            out: exp.Expression = flags[0]
            for f in flags[1:]:
                out = exp.Or(this=out, expression=f)
            return exp.Paren(this=out)

        reasons = joined([(col(f"_dq__{d.code}"), lit(d.code)) for d in rs.disqualifiers], "; ")
        current = self.stage("lq_verdicts", current, [
            ("disqualification_reasons", reasons), ("bad_fit", any_of("bad_fit")),
            ("bad_timing", any_of("bad_timing")), ("disqualified", any_of("bad_fit")),
        ])
        tier_ifs = []
        tier_default: exp.Expression = lit("")
        for tier in rs.tiers:
            if tier.when is None:
                tier_default = lit(tier.name)
                continue
            scope = self.score_scope(f"tier '{tier.name}'", with_verdicts=True)
            tier_ifs.append(exp.If(this=self._condition(tier.when.tree, scope), true=lit(tier.name)))
        # Rounded tenths first, in a stage of their own: the text formatting refers to them many times.
        rounded: list[tuple[str, exp.Expression]] = []
        for r in rs.rules:
            rounded.append((f"_t__{r.id}", tenths(col(f"_pts__{r.id}"))))
            if r.is_event_rule and r.half_life_days is not None:
                basis = col(f"_raw__{r.id}") if r.per == "event" else dbl(r.points)
                rounded.append((f"_tb__{r.id}", tenths(basis)))
        rounded += [(f"_tg__{g.id}", tenths(col(f"_grp__{g.id}"))) for g in rs.groups]
        if rounded:
            current = self.stage("lq_rounded", current, rounded)
        explanation = joined([rule_fragment(r, self.d, self.as_of, rs.settings.timezone) for r in rs.rules] +
                             [group_fragment(g, self.d) for g in rs.groups],
                             "; ")
        current = self.stage("lq_final", current, [
            ("tier", exp.Case(ifs=tier_ifs, default=tier_default) if tier_ifs else tier_default),
            ("explanation", explanation),
        ])
        out = [col("lead_id"), alias(cast(col("fit_score"), "DOUBLE"), "fit_score", quoted=True),
               alias(cast(col("intent_score"), "DOUBLE"), "intent_score", quoted=True),
               alias(cast(col("total_score"), "DOUBLE"), "total_score", quoted=True),
               col("grade"), col("tier"), col("disqualified"), col("disqualification_reasons"), col("explanation")]
        out += self._carried({c.alias_or_name for c in out}, {*cols, *agg_cols, *self.staged})
        if self.t.order_column:
            out.append(col(ORDER_COLUMN))
        query = exp.select(*out).from_(current)
        if self.t.order_column:
            query = query.order_by(col(ORDER_COLUMN))
        return self._with_ctes(query)

    def _carried(self, shown: set[str], available: set[str]) -> list[exp.Expression]:
        """The ``carry`` columns not among the output columns; typed nulls for fields no table has.

        Raises:
            UsageError: for a column the query cannot give (the action sections need the polars engine).
        """
        out: list[exp.Expression] = []
        for name in self.carry:
            if name in shown:
                continue
            column = self.rs.columns.get(name) or self.rs.account_columns.get(name)
            if name in available:
                out.append(col(name))
            elif column is not None:
                out.append(alias(typed_column(column, self.d, False), name, quoted=True))
            elif name == WORKSPACE_COLUMN:
                out.append(alias(cast(exp.Null(), "VARCHAR"), name, quoted=True))
            else:
                raise UsageError(f"the SQL engines cannot give the column '{name}' that the ruleset's routing, SLA, "
                                 "nurture or accounts sections read; score this ruleset with `leadq score` "
                                 "(--engine polars, the default)")
        return out

    def _with_ctes(self, query: exp.Select, only: set[str] | None = None) -> exp.Select:
        for name, select in self.ctes:
            if only is None or name in only:
                query = query.with_(name, as_=select if only is None else select.copy(), copy=False)
        return query


def build_query(ruleset: Ruleset, as_of: datetime, dialect: str = "duckdb",
                tables: SqlTables = SqlTables()) -> exp.Select:
    """The scoring query as a sqlglot expression.

    Raises:
        UsageError: the ruleset uses something the SQL engines do not support.
        MissingColumnsError: known table columns lack a column a rule needs.
    """
    return QueryBuilder(ruleset, as_of, dialect, tables).build()


def scoring_sql(ruleset: Ruleset, as_of: datetime, dialect: str = "duckdb", tables: SqlTables = SqlTables(),
                *, pretty: bool = True) -> str:
    """The scoring query as SQL text in ``dialect`` (see :data:`leadq.sqlgen.DIALECTS`)."""
    return build_query(ruleset, as_of, dialect, tables).sql(dialect=dialect, pretty=pretty)
