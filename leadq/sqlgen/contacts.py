"""The contact stages of the scoring query: typed contacts, de-duplication, accounts.

``lq_contacts`` reads the mapped contact columns typed; ``lq_valid`` keeps rows with a lead
id (and readable used dates), ranked for de-duplication; ``lq_unique_id``/``lq_unique`` keep
one row per lead id and per e-mail (as :mod:`leadq.dedupe` does), with ``lq_remap`` naming the
kept lead of each dropped e-mail duplicate; ``lq_leads`` joins the accounts table.
"""

from __future__ import annotations

from typing import Callable, Iterator

from sqlglot import exp

from leadq.cleaning import EMAIL_ADDRESS_PATTERN, EMAIL_DOMAIN_PATTERN, EMAIL_LIST_MARKS
from leadq.conditions import Type, names_in
from leadq.errors import RulesetError
from leadq.ruleset import Condition, Ruleset
from leadq.sqlgen.conditions import col, lower_text
from leadq.sqlgen.dialects import SqlDialect
from leadq.sqlgen.tables import ORDER_COLUMN, SqlTables, alias, select_typed, table, typed_column, unreadable
from leadq.sqlgen.text import case_when, lit


class ContactsStage:
    """The contact stages; mixed into :class:`leadq.sqlgen.query.QueryBuilder`, which holds the state.

    Sets ``checked_dates``: the date fields a rule uses whose unreadable values reject the row.
    """

    rs: Ruleset
    d: SqlDialect
    t: SqlTables
    carry: tuple[str, ...]
    checked_dates: list[str]
    add: Callable[[str, exp.Select], str]
    _conditions: Callable[[], Iterator[tuple[Condition, str]]]

    def _used_fields(self) -> set[str]:
        """The contact and account fields that some condition of the ruleset reads."""
        used: set[str] = set()
        for cond, _ in self._conditions():
            fields, raws, called = names_in(cond.tree)
            used |= fields
            used |= {name for name, c in self.rs.columns.items() if c.column in raws}
            # days_since(created_at): a call's argument may be a date field rather than a rule.
            used |= {name for name in called if name in self.rs.columns or name in self.rs.account_columns}
        return used

    def contacts(self) -> tuple[str, list[str]]:
        """Adds the contact stages, from ``lq_contacts`` to ``lq_unique`` (and ``lq_leads`` with accounts).

        Returns:
            The name of the last CTE (one row per lead) and its columns.

        Raises:
            MissingColumnsError: known table columns lack a column a rule needs.
        """
        rs, t = self.rs, self.t
        joined = self._joins_accounts()
        used = self._used_fields()
        needed = {"lead_id"} | {f for f in (*used, *self.carry) if f in rs.columns}
        if (used | set(self.carry)) & {"email_domain"} or "email" in rs.settings.dedupe_on:
            needed.add("email")
        if "updated_at" in rs.columns:
            needed.add("updated_at")
        if joined:
            needed.add("account_id")
        required = {"lead_id"} | {f for f in used if f in rs.columns}
        if "email" in rs.settings.dedupe_on or "email_domain" in used:
            required.add("email")
        fields = [f for f in rs.columns if f in needed]
        select = select_typed(self.d, rs.columns, fields, t.contacts_columns, required, t.contacts,
                              number_format=rs.settings.number_format)
        if t.order_column:
            select.append(alias(col(t.order_column), ORDER_COLUMN, quoted=True))
        self.checked_dates = [f for f in fields if f in required and rs.columns[f].type is Type.DATETIME
                              and (t.contacts_columns is None or rs.columns[f].column in t.contacts_columns)]
        select += [alias(unreadable(rs.columns[f], self.d), f"_bad__{f}", quoted=True) for f in self.checked_dates]
        self.add("lq_contacts", exp.select(*select).from_(table(t.contacts)))

        order = self._order_keys()
        lead_rank = exp.Window(this=exp.RowNumber(), partition_by=[col("lead_id")], order=exp.Order(expressions=order))
        kept_row = self._kept_columns(dict(partition_by=[col("lead_id")], order=exp.Order(expressions=order)))
        self.add("lq_valid", exp.select(exp.Star(), alias(lead_rank, "_rank_id", quoted=True), *kept_row)
                 .from_("lq_contacts").where(self._readable()))
        cols = fields + ([ORDER_COLUMN] if t.order_column else [])
        current = "lq_valid"
        keep = exp.EQ(this=col("_rank_id"), expression=exp.Literal.number(1))
        if "email" in rs.settings.dedupe_on:
            key = self._email_key()
            window = dict(partition_by=[key], order=exp.Order(expressions=self._order_keys()))
            kept_row = self._kept_columns(window)
            self.add("lq_unique_id", exp.select(
                *[col(c) for c in cols], alias(key.copy(), "_email_key", quoted=True),
                alias(exp.Window(this=exp.RowNumber(), **window), "_rank_email", quoted=True),
                alias(exp.Window(this=exp.FirstValue(this=col("lead_id")), **window), "_kept_id", quoted=True),
                *kept_row,
            ).from_(current).where(keep))
            current = "lq_unique_id"
            no_email = exp.Is(this=col("_email_key"), expression=exp.Null())
            keep = exp.Or(this=no_email, expression=exp.EQ(this=col("_rank_email"), expression=exp.Literal.number(1)))
            # Events of a dropped e-mail duplicate belong to the lead that was kept: its lead id, one row
            # here, is gone (as in the polars pipeline; whether or not it had lead-id duplicates).
            self.add("lq_remap", exp.select(col("lead_id"), col("_kept_id")).from_(current).where(
                exp.Not(this=exp.Paren(this=keep.copy()))))
        select = [col(c) for c in cols]
        if "email" in cols:
            low = lower_text(col("email"), self.d)
            domain = case_when(exp.GT(this=exp.StrPosition(this=low.copy(), substr=lit("@")), expression=exp.Literal.number(0)),
                           self.d.regex_group(low, EMAIL_DOMAIN_PATTERN))
            select.append(alias(domain, "email_domain", quoted=True))
            cols.append("email_domain")
        if not joined:
            # No accounts table: a field only the accounts map is blank, as the polars engine reads it
            # without --accounts (a typed null, so that a rule on it compares as with a blank).
            blank = [f for f in rs.account_columns if f not in rs.columns and f in (*used, *self.carry)]
            select += [alias(typed_column(rs.account_columns[f], self.d, False), f, quoted=True) for f in blank]
            cols += blank
        self.add("lq_unique", exp.select(*select).from_(current).where(keep))
        current = "lq_unique"
        if joined:
            current, cols = self._accounts(current, cols)
        return current, cols

    def _joins_accounts(self) -> bool:
        """Whether the query joins an accounts table: one is given and the ruleset maps account fields.

        Raises:
            RulesetError: an accounts table is given but the contacts map no ``account_id`` to join it on
                (the polars engine's words, :func:`leadq.pipeline._with_accounts`).
        """
        rs = self.rs
        if not self.t.accounts or not rs.account_columns:
            return False
        if "account_id" not in rs.columns:
            raise RulesetError("account_columns: the accounts file is joined on the contacts' account id: map "
                               "'account_id' under 'columns' too (the CRM column that holds each contact's "
                               "account id)", rs.account_columns["account_id"].pos)
        return True

    def _readable(self) -> exp.Expression:
        """Rows that are not rejected before de-duplication: a lead id, and every used date readable."""
        ok: exp.Expression = exp.Not(this=exp.Is(this=col("lead_id"), expression=exp.Null()))
        for f in self.checked_dates:
            ok = exp.and_(ok, exp.Not(this=col(f"_bad__{f}")))
        return ok

    def _email_key(self) -> exp.Expression:
        """:func:`leadq.cleaning.email_key` in SQL, branch for branch, so that the engines agree."""
        low = lower_text(col("email"), self.d)

        def has(text: str) -> exp.Expression:
            return exp.GT(this=exp.StrPosition(this=low.copy(), substr=lit(text)), expression=exp.Literal.number(0))

        marked = exp.or_(*[has(m) for m in EMAIL_LIST_MARKS], exp.Like(this=low.copy(), expression=lit("%.")))
        return exp.Case(ifs=[exp.If(this=exp.Not(this=has("@")), true=exp.Null()),
                             exp.If(this=marked, true=self.d.regex_group(low.copy(), EMAIL_ADDRESS_PATTERN))],
                        default=low.copy())

    def _kept_columns(self, window: dict) -> list[exp.Expression]:
        """The kept row's input order (``_kept_row``) and ``updated_at`` (``_kept_updated``) for the rejects'
        reasons; none without an input order: the reasons then name no row."""
        if not self.t.order_column:
            return []
        kept = [alias(exp.Window(this=exp.FirstValue(this=col(ORDER_COLUMN)), **window), "_kept_row", quoted=True)]
        if "updated_at" in self.rs.columns:
            kept.append(alias(exp.Window(this=exp.FirstValue(this=col("updated_at")), **window), "_kept_updated",
                              quoted=True))
        return kept

    def _order_keys(self) -> list[exp.Ordered]:
        """De-duplication order: most recently updated first, then input order (or lead id)."""
        keys = []
        if "updated_at" in self.rs.columns:
            keys.append(exp.Ordered(this=col("updated_at"), desc=True, nulls_first=False))
        keys.append(exp.Ordered(this=col(ORDER_COLUMN if self.t.order_column else "lead_id"), nulls_first=True))
        return keys

    def _accounts(self, leads: str, cols: list[str]) -> tuple[str, list[str]]:
        """Joins each lead's account (the first row per account id); account fields fill the lead's blanks."""
        rs, t = self.rs, self.t
        fields = list(rs.account_columns)
        select = select_typed(self.d, rs.account_columns, fields, t.accounts_columns, {"account_id"}, t.accounts,
                              number_format=rs.settings.number_format)
        order = col(t.order_column) if t.order_column and (t.accounts_columns is None
                                                            or t.order_column in t.accounts_columns) else None
        rank = exp.Window(this=exp.RowNumber(), partition_by=[col("account_id")],
                          order=exp.Order(expressions=[exp.Ordered(this=col("_acct_row") if order is not None
                                                                    else col("account_id"))]))
        if order is not None:
            select.append(alias(order, "_acct_row", quoted=True))
        self.add("lq_accounts_typed", exp.select(*select).from_(table(t.accounts)))
        others = [f for f in fields if f != "account_id"]
        self.add("lq_accounts", exp.select(
            col("account_id"), *[alias(col(f), f"_acct__{f}", quoted=True) for f in others],
            alias(rank, "_acct_rank", quoted=True),
        ).from_("lq_accounts_typed").where(exp.Not(this=exp.Is(this=col("account_id"), expression=exp.Null()))))
        select = []
        for c in cols:
            if c in others:
                select.append(alias(exp.Coalesce(this=exp.column(c, "l", quoted=True),
                                                      expressions=[exp.column(f"_acct__{c}", "a", quoted=True)]),
                                         c, quoted=True))
            else:
                select.append(alias(exp.column(c, "l", quoted=True), c, quoted=True))
        select += [alias(exp.column(f"_acct__{f}", "a", quoted=True), f, quoted=True)
                   for f in others if f not in cols]
        join_on = exp.and_(exp.EQ(this=exp.column("account_id", "l", quoted=True),
                                  expression=exp.column("account_id", "a", quoted=True)),
                           exp.EQ(this=exp.column("_acct_rank", "a", quoted=True), expression=exp.Literal.number(1)))
        self.add("lq_leads", exp.select(*select).from_(alias(exp.to_table(leads), "l"))
                 .join(alias(exp.to_table("lq_accounts"), "a"), on=join_on, join_type="left"))
        return "lq_leads", cols + [f for f in others if f not in cols]
