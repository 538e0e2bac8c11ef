"""The whole scoring query as one SQL statement of common table expressions.

The stages mirror :mod:`leadq.pipeline` and :mod:`leadq.compiler` one for one,
so that a ruleset scores the same on every engine:

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

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

from sqlglot import exp

from leadq.activity import max_window_days, rule_event_spellings
from leadq.cleaning import (
    EARLIEST, EMAIL_ADDRESS_PATTERN, EMAIL_DOMAIN_PATTERN, EMAIL_LIST_MARKS, ID_FIELDS, LATEST, NULL_MARKERS,
)
from leadq.compiler import fmt_constant
from leadq.conditions import Call, Literal, Name, Node, Type, names_in
from leadq.errors import MissingColumnsError, Position, RulesetError, UsageError, did_you_mean
from leadq.fields import DERIVED_FIELDS
from leadq.ruleset import Column, Rule, Ruleset, ScoreGroup
from leadq.sqlgen.conditions import (
    SqlField, SqlScope, col, compile_sql_condition, days_between, dbl, false, lower_text, num,
)
from leadq.sqlgen.dialects import SqlDialect, cast
from leadq.sqlgen.text import case_when, concat, fmt_tenths, joined, lit, tenths

ORDER_COLUMN = "_row"  # input order, used to break ties in de-duplication and to sort the output


@dataclass(frozen=True)
class SqlTables:
    """Where the query reads from.

    Attributes:
        contacts: contacts table (or view) name, optionally qualified (``crm.contacts``).
        activities: activity-log table, or None (event rules then score nothing).
        accounts: accounts table, or None.
        order_column: a column of the contacts/accounts tables giving input order; it breaks
            ties in de-duplication. Without it, ties are broken by lead id.
        contacts_columns / activities_columns / accounts_columns: the tables' columns when
            known; mapped columns that are absent then read as null (or raise when a rule
            needs them). None: assume every mapped column exists.
    """

    contacts: str = "contacts"
    activities: str | None = "activities"
    accounts: str | None = None
    order_column: str | None = None
    contacts_columns: frozenset[str] | None = None
    activities_columns: frozenset[str] | None = None
    accounts_columns: frozenset[str] | None = None


def _alias(expr: exp.Expression, name: str, quoted: bool = False) -> exp.Expression:
    return exp.alias_(expr, name, quoted=quoted, copy=False)


def _sum(parts: list[exp.Expression]) -> exp.Expression:
    """``a + b + ...``."""
    out = parts[0]
    for part in parts[1:]:
        out = exp.Add(this=out, expression=part)
    return out


def _clipped(value: exp.Expression, cap: float) -> exp.Expression:
    """``value`` clipped to ``-cap..cap`` (CASE rather than LEAST/GREATEST, whose null rules differ)."""
    return exp.Case(ifs=[exp.If(this=exp.GT(this=value.copy(), expression=num(cap)), true=dbl(cap)),
                         exp.If(this=exp.LT(this=value.copy(), expression=num(-cap)), true=dbl(-cap))],
                    default=value.copy())


def _table(name: str) -> exp.Table:
    return exp.to_table(name)


def _typed(column: Column, dialect: SqlDialect, present: bool, placeholders: bool = True) -> exp.Expression:
    """A mapped CRM column read as its field's type (see :func:`leadq.cleaning.typed`).

    ``placeholders``: dates outside the years 1800-2200 are blanks, as ``map_columns``
    makes them for contacts and accounts (not for the activity log)."""
    src: exp.Expression = col(column.column) if present else exp.Null()
    if column.type is Type.TEXT:
        text = exp.Nullif(this=exp.Trim(this=dialect.text(src)), expression=exp.Literal.string(""))
        if placeholders and column.field in ID_FIELDS:  # "#N/A" names no lead
            return case_when(exp.Not(this=exp.Paren(this=_null_marker(text))), text.copy())
        return text
    if not present:
        target = {Type.NUMBER: "DOUBLE", Type.BOOL: "BOOLEAN"}.get(column.type)
        return cast(src, target) if target else cast(src, dialect.timestamp_type)
    if column.type is Type.NUMBER:
        return dialect.cast_number(src)
    if column.type is Type.BOOL:
        return dialect.cast_bool(src)
    # Placeholder dates (0001-01-01, 9999-12-31) are blanks, as in leadq.cleaning.map_columns.
    ts = dialect.cast_timestamp(src)
    if not placeholders:
        return ts
    in_range = exp.and_(exp.GTE(this=ts.copy(), expression=dialect.timestamp_literal(f"{EARLIEST:%Y-%m-%d %H:%M:%S}")),
                        exp.LT(this=ts.copy(), expression=dialect.timestamp_literal(f"{LATEST:%Y-%m-%d %H:%M:%S}")))
    return case_when(in_range, ts)


def _null_marker(text: exp.Expression) -> exp.Expression:
    """True where trimmed text is one of the :data:`leadq.cleaning.NULL_MARKERS` ("N/A", "#N/A", "-")."""
    return exp.In(this=exp.Lower(this=text.copy()), expressions=[lit(m) for m in NULL_MARKERS])


def _unreadable(column: Column, dialect: SqlDialect) -> exp.Expression:
    """True where the CRM value is present but its typed reading is null (see :func:`leadq.cleaning.bad_value`)."""
    text = _typed(Column(column.field, column.column, Type.TEXT, column.pos), dialect, True)
    present = exp.and_(exp.Not(this=exp.Is(this=text, expression=exp.Null())),
                       exp.Not(this=exp.Paren(this=_null_marker(text))))
    # The cast itself, not _typed: a placeholder date is read (then blanked), not unreadable.
    return exp.and_(present, exp.Is(this=dialect.cast_timestamp(col(column.column)), expression=exp.Null()))


WORKSPACE_COLUMN = "_workspace_id"  # a lead's product workspace (leadq.accounts.lead_workspaces)


class QueryBuilder:
    """Builds the scoring query for one ruleset, ``as_of`` and dialect.

    ``carry``: columns the query returns besides the output columns, for the action sections
    that the engines apply in Polars afterwards (:func:`leadq.actions.action_inputs`): contact
    and account fields, ``email_domain``, columns of the scoring stages (``_n__<rule>``,
    ``_last__<rule>``, ``_pts__<rule>``, ``_dq__<code>``, ``_grade_rank``, ``bad_fit`` ...) and
    ``_workspace_id``. ``leadq sql`` carries none.
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
        self.ctes.append((name, select))
        return name

    def days(self, ts: exp.Expression) -> exp.Expression:
        return days_between(self.d, self.as_of, ts)

    def _check_supported(self) -> None:
        if self.rs.settings.timezone != "UTC":
            raise UsageError(f"the SQL engines read timestamps as UTC; the ruleset's settings.timezone "
                             f"'{self.rs.settings.timezone}' is supported by the polars engine only")
        for cond, where in self._conditions():
            fields, _, _ = names_in(cond)
            derived = sorted(fields & {"seniority", "department"})
            if derived:
                raise UsageError(f"{where}: '{derived[0]}' (from the job-title map) is computed by the polars "
                                 "engine only; use --engine polars for this ruleset")

    def _conditions(self):
        for r in self.rs.rules:
            if r.when is not None:
                yield r.when.tree, f"{r.section} rule '{r.id}'"
            if r.where is not None:
                yield r.where.tree, f"{r.section} rule '{r.id}'"
        for dq in self.rs.disqualifiers:
            yield dq.when.tree, f"disqualifier '{dq.code}'"
        for t in self.rs.tiers:
            if t.when is not None:
                yield t.when.tree, f"tier '{t.name}'"

    def _used_fields(self) -> set[str]:
        used: set[str] = set()
        for tree, _ in self._conditions():
            fields, raws, called = names_in(tree)
            used |= fields
            used |= {name for name, c in self.rs.columns.items() if c.column in raws}
            # days_since(created_at): a call's argument may be a date field rather than a rule.
            used |= {name for name in called if name in self.rs.columns or name in self.rs.account_columns}
        return used

    # ------------------------------------------------------------------ contacts
    def _select_typed(self, columns: dict[str, Column], fields: list[str], known: frozenset[str] | None,
                      required: set[str], label: str, placeholders: bool = True) -> list[exp.Expression]:
        if known is not None:
            missing = [columns[f] for f in fields if f in required and columns[f].column not in known]
            if missing:
                names = sorted(known)
                parts = [f"'{c.column}' (for {c.field}){did_you_mean(c.column, names)}" for c in missing]
                raise MissingColumnsError(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(parts)}; "
                                          f"the table has: {', '.join(names[:30])}", Position(label))
        return [_alias(_typed(columns[f], self.d, known is None or columns[f].column in known, placeholders), f,
                       quoted=True)
                for f in fields]

    def contacts(self) -> tuple[str, list[str]]:
        rs, t = self.rs, self.t
        used = self._used_fields()
        needed = {"lead_id"} | {f for f in (*used, *self.carry) if f in rs.columns}
        if (used | set(self.carry)) & {"email_domain"} or "email" in rs.settings.dedupe_on:
            needed.add("email")
        if "updated_at" in rs.columns:
            needed.add("updated_at")
        if t.accounts and rs.account_columns and "account_id" in rs.columns:
            needed.add("account_id")
        required = {"lead_id"} | {f for f in used if f in rs.columns}
        if "email" in rs.settings.dedupe_on or "email_domain" in used:
            required.add("email")
        fields = [f for f in rs.columns if f in needed]
        select = self._select_typed(rs.columns, fields, t.contacts_columns, required, t.contacts)
        if t.order_column:
            select.append(_alias(col(t.order_column), ORDER_COLUMN, quoted=True))
        self.checked_dates = [f for f in fields if f in required and rs.columns[f].type is Type.DATETIME
                              and (t.contacts_columns is None or rs.columns[f].column in t.contacts_columns)]
        select += [_alias(_unreadable(rs.columns[f], self.d), f"_bad__{f}", quoted=True) for f in self.checked_dates]
        self.add("lq_contacts", exp.select(*select).from_(_table(t.contacts)))

        order = self._order_keys()
        lead_rank = exp.Window(this=exp.RowNumber(), partition_by=[col("lead_id")], order=exp.Order(expressions=order))
        lead_count = exp.Window(this=exp.Count(this=exp.Star()), partition_by=[col("lead_id")])
        kept_row = ([_alias(exp.Window(this=exp.FirstValue(this=col(ORDER_COLUMN)), partition_by=[col("lead_id")],
                                       order=exp.Order(expressions=self._order_keys())), "_kept_row", quoted=True)]
                    if t.order_column else [])
        self.add("lq_valid", exp.select(exp.Star(), _alias(lead_rank, "_rank_id", quoted=True),
                                        _alias(lead_count, "_rows_id", quoted=True), *kept_row)
                 .from_("lq_contacts").where(self._readable()))
        cols = fields + ([ORDER_COLUMN] if t.order_column else [])
        current = "lq_valid"
        keep = exp.EQ(this=col("_rank_id"), expression=exp.Literal.number(1))
        if "email" in rs.settings.dedupe_on:
            key = self._email_key()
            window = dict(partition_by=[key], order=exp.Order(expressions=self._order_keys()))
            kept_row = ([_alias(exp.Window(this=exp.FirstValue(this=col(ORDER_COLUMN)), **window), "_kept_row",
                                quoted=True)] if t.order_column else [])
            self.add("lq_unique_id", exp.select(
                *[col(c) for c in cols], col("_rows_id"), _alias(key.copy(), "_email_key", quoted=True),
                _alias(exp.Window(this=exp.RowNumber(), **window), "_rank_email", quoted=True),
                _alias(exp.Window(this=exp.FirstValue(this=col("lead_id")), **window), "_kept_id", quoted=True),
                *kept_row,
            ).from_(current).where(keep))
            current = "lq_unique_id"
            no_email = exp.Is(this=col("_email_key"), expression=exp.Null())
            keep = exp.Or(this=no_email, expression=exp.EQ(this=col("_rank_email"), expression=exp.Literal.number(1)))
            # Events of a dropped e-mail duplicate belong to the lead that was kept. (As in the
            # polars pipeline, a lead id that also had lead-id duplicates keeps its own events.)
            self.add("lq_remap", exp.select(col("lead_id"), col("_kept_id")).from_(current).where(
                exp.And(this=exp.Not(this=exp.Paren(this=keep.copy())),
                        expression=exp.EQ(this=col("_rows_id"), expression=exp.Literal.number(1)))))
        select = [col(c) for c in cols]
        if "email" in cols:
            low = lower_text(col("email"))
            domain = case_when(exp.GT(this=exp.StrPosition(this=low.copy(), substr=lit("@")), expression=exp.Literal.number(0)),
                           self.d.regex_group(low, EMAIL_DOMAIN_PATTERN))
            select.append(_alias(domain, "email_domain", quoted=True))
            cols.append("email_domain")
        self.add("lq_unique", exp.select(*select).from_(current).where(keep))
        current = "lq_unique"
        if t.accounts and rs.account_columns and "account_id" in rs.columns:
            current, cols = self._accounts(current, cols)
        return current, cols

    def _readable(self) -> exp.Expression:
        """Rows that are not rejected before de-duplication: a lead id, and every used date readable."""
        ok: exp.Expression = exp.Not(this=exp.Is(this=col("lead_id"), expression=exp.Null()))
        for f in self.checked_dates:
            ok = exp.and_(ok, exp.Not(this=col(f"_bad__{f}")))
        return ok

    def _unreadable_reason(self) -> exp.Expression:
        """The reject reason of a row with a lead id and an unreadable used date (the first such field)."""
        case = exp.Case(ifs=[exp.If(this=col(f"_bad__{f}"),
                                    true=lit(f"unreadable date in '{self.rs.columns[f].column}'"))
                             for f in self.checked_dates])
        return case

    def _email_key(self) -> exp.Expression:
        """:func:`leadq.cleaning.email_key` in SQL, branch for branch, so that the engines agree."""
        low = lower_text(col("email"))

        def has(text: str) -> exp.Expression:
            return exp.GT(this=exp.StrPosition(this=low.copy(), substr=lit(text)), expression=exp.Literal.number(0))

        marked = exp.or_(*[has(m) for m in EMAIL_LIST_MARKS], exp.Like(this=low.copy(), expression=lit("%.")))
        return exp.Case(ifs=[exp.If(this=exp.Not(this=has("@")), true=exp.Null()),
                             exp.If(this=marked, true=self.d.regex_group(low.copy(), EMAIL_ADDRESS_PATTERN))],
                        default=low.copy())

    def _order_keys(self) -> list[exp.Ordered]:
        keys = []
        if "updated_at" in self.rs.columns:
            keys.append(exp.Ordered(this=col("updated_at"), desc=True, nulls_first=False))
        keys.append(exp.Ordered(this=col(ORDER_COLUMN if self.t.order_column else "lead_id"), nulls_first=True))
        return keys

    def _accounts(self, leads: str, cols: list[str]) -> tuple[str, list[str]]:
        rs, t = self.rs, self.t
        fields = list(rs.account_columns)
        select = self._select_typed(rs.account_columns, fields, t.accounts_columns, {"account_id"}, t.accounts)
        order = col(t.order_column) if t.order_column and (t.accounts_columns is None
                                                            or t.order_column in t.accounts_columns) else None
        rank = exp.Window(this=exp.RowNumber(), partition_by=[col("account_id")],
                          order=exp.Order(expressions=[exp.Ordered(this=col("_acct_row") if order is not None
                                                                    else col("account_id"))]))
        if order is not None:
            select.append(_alias(order, "_acct_row", quoted=True))
        self.add("lq_accounts_typed", exp.select(*select).from_(_table(t.accounts)))
        others = [f for f in fields if f != "account_id"]
        self.add("lq_accounts", exp.select(
            col("account_id"), *[_alias(col(f), f"_acct__{f}", quoted=True) for f in others],
            _alias(rank, "_acct_rank", quoted=True),
        ).from_("lq_accounts_typed").where(exp.Not(this=exp.Is(this=col("account_id"), expression=exp.Null()))))
        select = []
        for c in cols:
            if c in others:
                select.append(_alias(exp.Coalesce(this=exp.column(c, "l", quoted=True),
                                                      expressions=[exp.column(f"_acct__{c}", "a", quoted=True)]),
                                         c, quoted=True))
            else:
                select.append(_alias(exp.column(c, "l", quoted=True), c, quoted=True))
        select += [_alias(exp.column(f"_acct__{f}", "a", quoted=True), f, quoted=True)
                   for f in others if f not in cols]
        join_on = exp.and_(exp.EQ(this=exp.column("account_id", "l", quoted=True),
                                  expression=exp.column("account_id", "a", quoted=True)),
                           exp.EQ(this=exp.column("_acct_rank", "a", quoted=True), expression=exp.Literal.number(1)))
        self.add("lq_leads", exp.select(*select).from_(_alias(exp.to_table(leads), "l"))
                 .join(_alias(exp.to_table("lq_accounts"), "a"), on=join_on, join_type="left"))
        return "lq_leads", cols + [f for f in others if f not in cols]

    # ------------------------------------------------------------------ events
    def event_scope(self, where: str) -> SqlScope:
        fields = {name: SqlField(col(name), c.type) for name, c in self.rs.activity_columns.items()}
        raw = {c.column: fields[name] for name, c in self.rs.activity_columns.items()}
        return SqlScope(fields=fields, where=where, raw_columns=raw, lists=self.rs.lists,
                        grades=self.rs.grade_letters)

    def activity(self) -> str | None:
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
            select = [_alias(_typed(rs.activity_columns[f], self.d, False, placeholders=False), f, quoted=True)
                      for f in fields]
            self.add("lq_events_typed", exp.select(*select).where(false()))
        else:
            select = self._select_typed(rs.activity_columns, fields, t.activities_columns, needed, t.activities,
                                        placeholders=False)
            self.add("lq_events_typed", exp.select(*select).from_(_table(t.activities)))
        source = "lq_events_typed"
        self.events_source = source
        if "email" in rs.settings.dedupe_on:
            others = [exp.column(f, "e", quoted=True) for f in fields if f != "lead_id"]
            lead = exp.Coalesce(this=exp.column("_kept_id", "r", quoted=True),
                                expressions=[exp.column("lead_id", "e", quoted=True)])
            self.add("lq_events_moved", exp.select(_alias(lead, "lead_id", quoted=True), *others)
                     .from_(_alias(exp.to_table(source), "e"))
                     .join(_alias(exp.to_table("lq_remap"), "r"),
                           on=exp.EQ(this=exp.column("lead_id", "e", quoted=True),
                                     expression=exp.column("lead_id", "r", quoted=True)), join_type="left"))
            source = "lq_events_moved"
            self.events_source = source
        self.add("lq_events_aged", exp.select(exp.Star(), _alias(self.days(col("occurred_at")), "_age", quoted=True),
                                              _alias(lower_text(col("event_type")), "_type", quoted=True))
                 .from_(source).where(exp.and_(
                     exp.Not(this=exp.Is(this=col("lead_id"), expression=exp.Null())),
                     exp.Not(this=exp.Is(this=col("occurred_at"), expression=exp.Null())))))
        window = max_window_days(rs)
        self.add("lq_events", exp.select(exp.Star()).from_("lq_events_aged").where(exp.and_(
            exp.In(this=col("_type"), expressions=[lit(e) for e in relevant]),
            exp.GTE(this=col("_age"), expression=num(0)), exp.LTE(this=col("_age"), expression=num(window)))))
        aggs: list[exp.Expression] = []
        for r in rules:
            m = self.rule_match(r)
            decay = (dbl(1.0) if r.half_life_days is None else
                     exp.Pow(this=dbl(0.5), expression=exp.Div(this=col("_age"), expression=dbl(r.half_life_days))))
            aggs += [
                _alias(cast(exp.Sum(this=case_when(m.copy(), exp.Literal.number(1), exp.Literal.number(0))),
                                    "BIGINT"), f"_n__{r.id}", quoted=True),
                _alias(exp.Sum(this=case_when(m.copy(), dbl(r.points), dbl(0.0))), f"_raw__{r.id}", quoted=True),
                _alias(exp.Sum(this=case_when(m.copy(), exp.Mul(this=decay, expression=dbl(r.points)), dbl(0.0))),
                           f"_dec__{r.id}", quoted=True),
                _alias(exp.Max(this=case_when(m.copy(), col("occurred_at"))), f"_last__{r.id}", quoted=True),
            ]
        return self.add("lq_activity", exp.select(col("lead_id"), *aggs).from_("lq_events").group_by(col("lead_id")))

    def rule_match(self, r: Rule) -> exp.Expression:
        """True on the rows of ``lq_events`` that event rule ``r`` counts: its types, ``where`` and window."""
        scope = self.event_scope(f"{r.section} rule '{r.id}'")
        match = [exp.In(this=col("_type"), expressions=[lit(k) for k in rule_event_spellings(r)])]
        if r.where is not None:
            match.append(compile_sql_condition(r.where.tree, scope, self.d))
        match.append(exp.LTE(this=col("_age"), expression=num(r.within_days)))
        return exp.Paren(this=exp.and_(*match))

    # ------------------------------------------------------------------ scoring stages
    def contact_fields(self) -> dict[str, SqlField]:
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
        fields = self.contact_fields()
        raw = {c.column: fields[name] for name, c in self.rs.columns.items() if name in fields}
        return SqlScope(fields=fields, where=where, raw_columns=raw, lists=self.rs.lists,
                        functions={"days_since": self._days_since}, grades=self.rs.grade_letters)

    def score_scope(self, where: str, *, with_verdicts: bool) -> SqlScope:
        scope = self.contact_scope(where)
        scope.fields.update({
            "fit": SqlField(col("fit_score"), Type.NUMBER), "intent": SqlField(col("intent_score"), Type.NUMBER),
            "total": SqlField(col("total_score"), Type.NUMBER), "grade": SqlField(col("_grade_rank"), Type.GRADE),
        })
        if with_verdicts:
            scope.fields.update({k: SqlField(col(k), Type.BOOL) for k in ("disqualified", "bad_fit", "bad_timing")})

        def rule_col(prefix: str, typ: Type):
            def build(node: Call) -> tuple[exp.Expression, Type]:
                return col(f"{prefix}{node.args[0].name}"), typ  # type: ignore[attr-defined]
            return build

        scope.functions.update({"fired": rule_col("_hit__", Type.BOOL), "points": rule_col("_pts__", Type.NUMBER),
                                "count": rule_col("_n__", Type.NUMBER)})
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
                value = exp.Mul(this=dbl(rule.points), expression=exp.Pow(
                    this=dbl(0.5), expression=exp.Div(this=age, expression=dbl(rule.half_life_days))))
        else:
            value = exp.Coalesce(this=col(f"_dec__{rule.id}"), expressions=[dbl(0.0)])
        if rule.cap is not None:
            value = exp.Greatest(this=dbl(-rule.cap), expressions=[exp.Least(this=dbl(rule.cap), expressions=[value])])
        return hit, case_when(col(f"_hit__{rule.id}"), value, dbl(0.0))

    def stage(self, name: str, source: str, columns: list[tuple[str, exp.Expression]]) -> str:
        self.staged += [n for n, _ in columns]
        return self.add(name, exp.select(exp.Star(), *[_alias(e, n, quoted=True) for n, e in columns])
                        .from_(source))

    def _days_ago(self, last: exp.Expression) -> exp.Expression:
        days = cast(exp.Floor(this=self.days(last)), "BIGINT")
        return exp.Case(ifs=[exp.If(this=exp.LTE(this=days.copy(), expression=exp.Literal.number(0)), true=lit("today")),
                             exp.If(this=exp.EQ(this=days.copy(), expression=exp.Literal.number(1)),
                                    true=lit("1 day ago"))],
                        default=exp.DPipe(this=self.d.text(days.copy()), expression=lit(" days ago"), safe=True))

    def _fragment(self, rule: Rule) -> tuple[exp.Expression, exp.Expression]:
        pts = col(f"_pts__{rule.id}")
        head = concat([lit(f"{rule.label} "), fmt_tenths(col(f"_t__{rule.id}"), self.d, sign_of=pts.copy())])
        hit = col(f"_hit__{rule.id}")
        if not rule.is_event_rule:
            return hit, head
        n, raw, dec, last = (col(f"_{k}__{rule.id}") for k in ("n", "raw", "dec", "last"))
        many = exp.GT(this=n.copy(), expression=exp.Literal.number(1))
        basis = raw if rule.per == "event" else dbl(rule.points)
        parts: list[exp.Expression] = [case_when(many.copy(), exp.DPipe(this=self.d.text(n.copy()),
                                                                    expression=lit(" events, "), safe=True), lit(""))]
        if rule.half_life_days is not None:
            decayed = exp.GT(this=exp.Abs(this=exp.Sub(this=basis.copy(), expression=pts.copy())),
                             expression=num(0.05))
            parts.append(case_when(decayed, concat([lit("decayed from "), fmt_tenths(col(f"_tb__{rule.id}"), self.d), lit(", ")]), lit("")))
        parts.append(case_when(many.copy(), lit("last "), lit("")))
        parts.append(self._days_ago(last))
        if rule.cap is not None:
            parts.append(case_when(exp.GT(this=exp.Abs(this=dec.copy()), expression=num(rule.cap)),
                               lit(f", capped at {rule.cap:g}"), lit("")))
        cond = exp.and_(hit, exp.NEQ(this=pts.copy(), expression=num(0)))
        return cond, concat([head, lit(" ("), *parts, lit(")")])

    def _group_fragment(self, group: ScoreGroup) -> tuple[exp.Expression, exp.Expression]:
        """"Research: capped at +12 (rules gave +15)" where the group's cap cut its points."""
        raw = col(f"_grp__{group.id}")
        cap = case_when(exp.GTE(this=raw.copy(), expression=num(0)), lit(fmt_constant(group.cap, True)),
                        lit(fmt_constant(-group.cap, True)))
        text = concat([lit(f"{group.label}: capped at "), cap, lit(" (rules gave "),
                       fmt_tenths(col(f"_tg__{group.id}"), self.d, sign_of=raw.copy()), lit(")")])
        return exp.GT(this=exp.Abs(this=raw.copy()), expression=num(group.cap)), text

    def build(self) -> exp.Select:
        rs = self.rs
        leads, cols = self.contacts()
        agg = self.activity()
        agg_cols: list[str] = []
        if agg is not None:
            agg_cols = [f"_{k}__{r.id}" for r in rs.event_rules for k in ("n", "raw", "dec", "last")]
            workspaces = self._workspaces() if WORKSPACE_COLUMN in self.carry else None
            select = [exp.column(c, "l", quoted=True) for c in cols] + \
                     [exp.column(c, "x", quoted=True) for c in agg_cols]
            lead_id = exp.column("lead_id", "l", quoted=True)
            query = exp.select(*select).from_(_alias(exp.to_table(leads), "l")).join(
                _alias(exp.to_table(agg), "x"),
                on=exp.EQ(this=lead_id, expression=exp.column("lead_id", "x", quoted=True)), join_type="left")
            if workspaces is not None:
                agg_cols.append(WORKSPACE_COLUMN)
                query = query.select(exp.column(WORKSPACE_COLUMN, "w", quoted=True)).join(
                    _alias(exp.to_table(workspaces), "w"),
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

        current = self.stage("lq_scores", current, [("fit_score", total("fit")), ("intent_score", total("intent"))])
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
            ("total_score", exp.Add(this=col("fit_score"), expression=col("intent_score"))),
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
        explanation = joined([self._fragment(r) for r in rs.rules] + [self._group_fragment(g) for g in rs.groups],
                             "; ")
        current = self.stage("lq_final", current, [
            ("tier", exp.Case(ifs=tier_ifs, default=tier_default) if tier_ifs else tier_default),
            ("explanation", explanation),
        ])
        out = [col("lead_id"), _alias(cast(col("fit_score"), "DOUBLE"), "fit_score", quoted=True),
               _alias(cast(col("intent_score"), "DOUBLE"), "intent_score", quoted=True),
               _alias(cast(col("total_score"), "DOUBLE"), "total_score", quoted=True),
               col("grade"), col("tier"), col("disqualified"), col("disqualification_reasons"), col("explanation")]
        out += self._carried({c.alias_or_name for c in out}, {*cols, *agg_cols, *self.staged})
        if self.t.order_column:
            out.append(col(ORDER_COLUMN))
        query = exp.select(*out).from_(current)
        if self.t.order_column:
            query = query.order_by(col(ORDER_COLUMN))
        return self._with_ctes(query)

    def _workspaces(self) -> str | None:
        """Each lead's product workspace: that of its latest event up to as-of that names one, as
        :func:`leadq.accounts.lead_workspaces` (None without a mapped ``workspace_id``)."""
        if self.events_source is None or "workspace_id" not in self.rs.activity_columns:
            return None
        known = [exp.Not(this=exp.Is(this=col(c), expression=exp.Null())) for c in ("workspace_id", "lead_id")]
        latest = exp.ArgMax(this=col("workspace_id"), expression=col("occurred_at"))
        return self.add("lq_workspaces", exp.select(col("lead_id"), _alias(latest, WORKSPACE_COLUMN, quoted=True))
                        .from_(self.events_source)
                        .where(exp.and_(*known, exp.GTE(this=self.days(col("occurred_at")), expression=num(0))))
                        .group_by(col("lead_id")))

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
                out.append(_alias(_typed(column, self.d, False), name, quoted=True))
            elif name == WORKSPACE_COLUMN:
                out.append(_alias(cast(exp.Null(), "VARCHAR"), name, quoted=True))
            else:
                raise UsageError(f"the SQL engines cannot give the column '{name}' that the ruleset's routing, SLA, "
                                 "nurture or accounts sections read; use --engine polars for this ruleset")
        return out

    def _with_ctes(self, query: exp.Select, only: set[str] | None = None) -> exp.Select:
        for name, select in self.ctes:
            if only is None or name in only:
                query = query.with_(name, as_=select if only is None else select.copy(), copy=False)
        return query

    # CTEs that the counts and rejects queries read (the scoring stages are left out: planning them is slow).
    _INPUT_CTES = {"lq_contacts", "lq_valid", "lq_unique_id", "lq_remap", "lq_unique", "lq_events_typed",
                   "lq_events_moved"}

    def counts_query(self) -> exp.Select:
        """Counts of the run (rows, rejects by reason, events) over the CTEs of :meth:`build`."""
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
            unreadable = exp.Paren(this=exp.or_(null("lead_id"), _null_marker(col("lead_id")), null("occurred_at")))
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
            by_rule = [_alias(exp.Coalesce(this=cast(exp.Sum(this=case_when(self.rule_match(r), exp.Literal.number(1),
                                                                            exp.Literal.number(0))), "BIGINT"),
                                           expressions=[exp.Literal.number(0)]), f"by_rule__{r.id}", quoted=True)
                       for r in self.rs.event_rules]
            if by_rule:
                if not any(name == "lq_by_rule" for name, _ in self.ctes):  # a stage, so Spark registers it too
                    self.add("lq_by_rule", exp.select(*by_rule).from_("lq_events").where(known.copy()))
                fields += [(f"by_rule__{r.id}", exp.Subquery(this=exp.select(col(f"by_rule__{r.id}")).from_("lq_by_rule")))
                           for r in self.rs.event_rules]
                ctes = self._INPUT_CTES | {"lq_events_aged", "lq_events", "lq_by_rule"}
        return self._with_ctes(exp.select(*[_alias(e, n, quoted=True) for n, e in fields]), ctes)

    def _duplicate_reason(self, key: str, kept_id: exp.Expression) -> exp.Expression:
        """The polars pipeline's reason: "duplicate e-mail: kept lead L1 (row 3, most recently updated)"."""
        parts = [lit(f"duplicate {key}: kept lead "), kept_id]
        if self.t.order_column:  # without an input order there is no row to name
            row = exp.Add(this=col("_kept_row"), expression=exp.Literal.number(1))
            parts += [lit(" (row "), cast(row, "VARCHAR"), lit(", most recently updated)")]
        return concat(parts)

    def rejects_query(self) -> exp.Select:
        """Rejected rows (input order key + 1, reason) over the CTEs of :meth:`build`."""
        row: exp.Expression = (exp.Add(this=col(ORDER_COLUMN), expression=exp.Literal.number(1))
                               if self.t.order_column else cast(exp.Null(), "BIGINT"))
        parts = [
            exp.select(_alias(row.copy(), "source_row", quoted=True), _alias(lit("missing lead id"), "reason",
                                                                                     quoted=True))
            .from_("lq_contacts").where(exp.Is(this=col("lead_id"), expression=exp.Null())),
            exp.select(_alias(row.copy(), "source_row", quoted=True),
                       _alias(self._duplicate_reason("lead id", col("lead_id")), "reason", quoted=True))
            .from_("lq_valid").where(exp.GT(this=col("_rank_id"), expression=exp.Literal.number(1))),
        ]
        if self.checked_dates:
            parts.append(exp.select(_alias(row.copy(), "source_row", quoted=True),
                                    _alias(self._unreadable_reason(), "reason", quoted=True))
                         .from_("lq_contacts").where(exp.and_(
                             exp.Not(this=exp.Is(this=col("lead_id"), expression=exp.Null())),
                             exp.Paren(this=exp.or_(*[col(f"_bad__{f}") for f in self.checked_dates])))))
        if "email" in self.rs.settings.dedupe_on:
            parts.append(exp.select(_alias(row.copy(), "source_row", quoted=True),
                                    _alias(self._duplicate_reason("e-mail", col("_kept_id")), "reason", quoted=True))
                         .from_("lq_unique_id").where(exp.and_(
                             exp.Not(this=exp.Is(this=col("_email_key"), expression=exp.Null())),
                             exp.GT(this=col("_rank_email"), expression=exp.Literal.number(1)))))
        union = parts[0]
        for p in parts[1:]:
            union = exp.union(union, p, distinct=False)
        return self._with_ctes(exp.select(exp.Star()).from_(exp.Subquery(this=union, alias=exp.TableAlias(
            this=exp.to_identifier("r")))), self._INPUT_CTES)


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
    try:
        return build_query(ruleset, as_of, dialect, tables).sql(dialect=dialect, pretty=pretty)
    except RulesetError:
        raise
