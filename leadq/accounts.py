"""Account-based qualification: roll scored contacts up into accounts.

A ruleset's ``accounts`` section (see :mod:`leadq.ruleset_actions`) says how:

* **key**: which contact field names the account, tried in order; the first
  non-blank one wins (``[account_id, company_domain]``). ``company_domain`` is
  normalised (``https://www.Acme.com/about`` -> ``acme.com``); ``email_domain``
  skips free-mail and disposable domains; ``workspace_id`` is the lead's product
  workspace (:func:`workspace_expr`): the contacts' own ``workspace_id`` when
  ``columns`` maps it, else that of the lead's most recent product event that
  carries one. Contacts without a key belong to no account.
* **account fit**: with ``fit_rules``, the firmographic part of fit: the sum of
  those fit rules' points, for the account's best-scoring contact (contacts of
  one account share firmographics, so the max picks the most complete record).
  Listed rules of a score group count together up to the group's cap, as in the
  fit score. Without it, the best contact's whole fit score.
* **account intent**: the sum of the contacts' decayed intent scores, each
  clipped to ``contact_intent_cap`` first when given (so that one very busy
  contact cannot make an account look engaged). With ``intent_from: engaged``
  only the engaged contacts' intents are summed (a disqualified contact's page
  views then count only if ``engaged`` lets it in); the default ``all`` sums
  every contact's.
* **engaged contacts**: contacts for which ``engaged`` holds (default
  ``intent > 0``).
* **roles**: buying roles (economic buyer, technical evaluator, user ...),
  each a condition over contact fields (``seniority``, ``department``, scores).
  A role is *covered* when at least one engaged contact holds it.
* **tiers**: ordered, first match wins, over the account fields below.

Account-tier conditions may name ``account_fit``, ``account_intent``,
``contacts``, ``engaged_contacts``, ``roles`` (how many roles are covered),
each role id (true when covered) and the firmographic fields (``company_size``,
``industry``, ``country`` ..., the first non-blank value among the contacts).

Everything is one ``group_by`` over the scored contacts; the account tier is
joined back to every contact as ``account_tier``, and the account's figures
(:data:`ACCOUNT_FIGURES`) as internal columns (:func:`figure_column`) that
routing, SLA and nurture conditions read (blank for a contact without an account).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from leadq.compiler import added, snapped
from leadq.condition_compiler import FieldRef, Scope
from leadq.conditions import Type
from leadq.ruleset import Ruleset

KEY_COLUMN = "_account_key"
ACCOUNT_OUTPUT = ("account_id", "contacts", "engaged_contacts", "account_fit", "account_intent", "roles_covered",
                  "account_tier")
# Firmographic fields an account-tier condition may name (first non-blank value among the contacts).
FIRMOGRAPHICS = ("company", "company_size", "annual_revenue", "industry", "country", "region", "technologies")
_FIELD_TYPES = {"company_size": Type.NUMBER, "annual_revenue": Type.NUMBER}
# The account's figures that the action sections' conditions may read on each of its contacts.
ACCOUNT_FIGURES = ("account_fit", "account_intent", "engaged_contacts", "contacts")


def figure_column(name: str) -> str:
    """The internal column that carries an account figure (:data:`ACCOUNT_FIGURES`) on each contact."""
    return f"_acct_fig__{name}"


def normalise_domain(expr: pl.Expr) -> pl.Expr:
    """``https://www.Acme.com/about`` -> ``acme.com``; blank -> null."""
    out = (expr.cast(pl.String).str.strip_chars().str.to_lowercase()
           .str.replace(r"^[a-z][a-z0-9+.-]*://", "")
           .str.replace(r"^www\.", "")
           .str.replace(r"[/?#:].*$", "")
           .str.strip_chars("."))
    return pl.when(out.str.len_chars() > 0).then(out)


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text)


def key_expr(ruleset: Ruleset) -> pl.Expr:
    """The account key of a contact: the first non-blank of the configured key fields."""
    parts = []
    for key in ruleset.actions.accounts.key:
        if key == "company_domain":
            parts.append(normalise_domain(pl.col("company_domain")))
        elif key == "email_domain":
            # Compared lower-cased on both sides: a ruleset's list may write "Mail.DE".
            free = [str(d).strip().lower() for d in (*ruleset.lists.get("personal_email_domains", ()),
                                                      *ruleset.lists.get("disposable_email_domains", ()))]
            dom = _blank_to_null(pl.col("email_domain")).str.to_lowercase()
            parts.append(pl.when(~dom.is_in(free)).then(dom))
        elif key == "workspace_id":
            parts.append(workspace_expr(ruleset))
        else:
            parts.append(_blank_to_null(pl.col(key)))
    return pl.coalesce(parts).alias(KEY_COLUMN)


def workspace_expr(ruleset: Ruleset) -> pl.Expr:
    """A lead's product workspace: its contact record's ``workspace_id`` (when ``columns`` maps it), else the
    workspace of its latest event that names one (``_workspace_id``, :func:`lead_workspaces`).

    The contact's value comes first: the CRM (or the product's user table) says which workspace a user
    belongs to, and it holds for users with no event yet; an event's workspace is a guess from usage
    (a consultant's event in a client's workspace would move them). Blank values count as none.
    """
    parts = []
    if "workspace_id" in ruleset.columns:
        parts.append(_blank_to_null(pl.col("workspace_id")))
    if "workspace_id" in ruleset.activity_columns:
        parts.append(_blank_to_null(pl.col("_workspace_id")))
    return pl.coalesce(parts) if parts else pl.lit(None, dtype=pl.String)


def lead_workspaces(events: pl.LazyFrame, as_of: datetime) -> pl.LazyFrame:
    """Each lead's product workspace: the ``workspace_id`` of its latest event (up to ``as_of``) that has one.

    Args:
        events: typed events with ``lead_id``, ``occurred_at`` and ``workspace_id``.
        as_of: the run's "now"; later events are ignored, as everywhere else.
    """
    ws = _blank_to_null(pl.col("workspace_id"))
    return (events.filter(ws.is_not_null() & pl.col("lead_id").is_not_null()
                          & (pl.col("occurred_at") <= pl.lit(as_of, dtype=pl.Datetime("us", "UTC"))))
            .group_by("lead_id")
            .agg(ws.sort_by("occurred_at").last().alias("_workspace_id")))


def uses_workspaces(ruleset: Ruleset) -> bool:
    """True when accounts are keyed (partly) by product workspace and the events name workspaces: the
    leads then need :func:`lead_workspaces` joined on as ``_workspace_id``. A workspace the contacts give
    is read from their own ``workspace_id`` column (:func:`workspace_expr`)."""
    acc = ruleset.actions.accounts if ruleset.actions else None
    return bool(acc and "workspace_id" in acc.key and "workspace_id" in ruleset.activity_columns)


def _firmographic_fields(ruleset: Ruleset) -> list[str]:
    mapped = set(ruleset.columns) | set(ruleset.account_columns)
    return [f for f in FIRMOGRAPHICS if f in mapped]


def rollup_columns(ruleset: Ruleset) -> list[str]:
    """Contact columns :func:`rollup` reads besides those of :func:`contact_expressions`: the firmographic
    fields and ``_order`` (input order: each account takes its first contact's values)."""
    return _firmographic_fields(ruleset) + ["_order"]


def account_scope(ruleset: Ruleset, where: str) -> Scope:
    """What an account-tier condition may name."""
    acc = ruleset.actions.accounts
    fields = {
        "account_fit": FieldRef(pl.col("account_fit"), Type.NUMBER),
        "account_intent": FieldRef(pl.col("account_intent"), Type.NUMBER),
        "contacts": FieldRef(pl.col("contacts"), Type.NUMBER),
        "engaged_contacts": FieldRef(pl.col("engaged_contacts"), Type.NUMBER),
        "roles": FieldRef(pl.col("_roles_n"), Type.NUMBER),
    }
    for f in _firmographic_fields(ruleset):
        fields[f] = FieldRef(pl.col(f"_firm__{f}"), _FIELD_TYPES.get(f, Type.TEXT))
    for role in acc.roles:
        fields[role.name] = FieldRef(pl.col(f"_covers__{role.name}"), Type.BOOL)
    return Scope(fields=fields, where=where, lists=ruleset.lists)


def contact_expressions(ruleset: Ruleset, as_of: datetime) -> list[pl.Expr]:
    """Per-contact columns the rollup needs: account key, engaged flag, capped intent, roles held."""
    from leadq.compiler import compile_condition_at, score_scope

    acc = ruleset.actions.accounts
    scope = score_scope(ruleset, as_of, "accounts.engaged", with_verdicts=True)
    scope.fields["tier"] = FieldRef(pl.col("tier"), Type.TEXT)
    engaged = (compile_condition_at(acc.engaged, scope) if acc.engaged is not None
               else pl.col("intent_score") > 0)
    intent = pl.col("intent_score")
    if acc.contact_intent_cap is not None:
        intent = intent.clip(upper_bound=acc.contact_intent_cap)
    if acc.fit_rules:
        fit = _rules_fit(ruleset, acc.fit_rules)
    else:
        fit = pl.col("fit_score")
    exprs = [key_expr(ruleset), engaged.alias("_acct__engaged"), intent.alias("_acct__intent"),
             fit.alias("_acct__fit")]
    for role in acc.roles:
        scope.where = f"accounts.roles.{role.name}"
        exprs.append(compile_condition_at(role.when, scope).alias(f"_role__{role.name}"))
    return exprs


def _tier_expr(ruleset: Ruleset) -> pl.Expr:
    from leadq.compiler import compile_condition_at

    out: pl.Expr | None = None
    for tier in reversed(ruleset.actions.accounts.tiers):
        if tier.when is None:
            out = pl.lit(tier.name)
            continue
        cond = compile_condition_at(tier.when, account_scope(ruleset, f"account tier '{tier.name}'"))
        out = pl.when(cond).then(pl.lit(tier.name)).otherwise(out)
    return out  # type: ignore[return-value]


def rollup(contacts: pl.LazyFrame, ruleset: Ruleset) -> pl.LazyFrame:
    """One row per account from contacts carrying :func:`contact_expressions` and the scores.

    Returns:
        A LazyFrame with :data:`ACCOUNT_OUTPUT` columns (``company`` after
        ``account_id`` when mapped), sorted by account intent (highest first),
        then account id.
    """
    acc = ruleset.actions.accounts
    engaged = pl.col("_acct__engaged")
    firm = _firmographic_fields(ruleset)
    intent = pl.col("_acct__intent")
    if acc.intent_from == "engaged":  # the others count 0 (a blank engaged flag is not engaged)
        intent = pl.when(engaged).then(intent).otherwise(pl.lit(0.0))
    aggs = [
        pl.len().cast(pl.Int64).alias("contacts"),
        engaged.sum().cast(pl.Int64).alias("engaged_contacts"),
        # Snapped as the leads' scores are (leadq.compiler.snapped), before the tiers read them: a sum of
        # decayed intents was written with its binary tail (212.06995138475997 in the sample).
        snapped(pl.col("_acct__fit").max()).alias("account_fit"),
        # Added one by one, smallest first: a float sum depends on its order, and the group-by's follows the
        # input's, so a shuffled export gave last-bit different intents (which can reorder accounts or cross a
        # tier's threshold). A running total, because Polars drops a sort before a plain sum.
        snapped(intent.fill_null(0.0).sort().cum_sum().last()).alias("account_intent"),
    ]
    # The first contact in input order that has the value: the group-by does not keep the order.
    aggs += [pl.col(f).sort_by("_order").drop_nulls().first().alias(f"_firm__{f}") for f in firm]
    aggs += [(engaged & pl.col(f"_role__{r.name}")).any().alias(f"_covers__{r.name}") for r in acc.roles]
    grouped = contacts.filter(pl.col(KEY_COLUMN).is_not_null()).group_by(KEY_COLUMN).agg(aggs)
    if acc.roles:
        covered = pl.concat_list([pl.when(pl.col(f"_covers__{r.name}")).then(pl.lit(r.name))
                                  for r in acc.roles]).list.drop_nulls()
    else:
        covered = pl.lit([], dtype=pl.List(pl.String))
    grouped = grouped.with_columns(covered.alias("roles_covered"))
    grouped = grouped.with_columns(pl.col("roles_covered").list.len().cast(pl.Int64).alias("_roles_n"))
    grouped = grouped.with_columns(_tier_expr(ruleset).alias("account_tier"))
    cols = [pl.col(KEY_COLUMN).alias("account_id")]
    if "company" in firm:
        cols.append(pl.col("_firm__company").alias("company"))
    cols += [pl.col(c) for c in ACCOUNT_OUTPUT[1:]]
    return grouped.select(cols).sort(["account_intent", "account_id"], descending=[True, False], nulls_last=True)


_CARRY = "_acct_row__"


def with_account_tier(contacts: pl.LazyFrame, accounts: pl.LazyFrame, *, carry: bool = False) -> pl.LazyFrame:
    """Join each contact's account tier and figures (:func:`figure_column`; null when it has no account).

    With ``carry``, the whole account row comes along as ``_acct_row__*`` columns, so that
    :func:`accounts_from_leads` can take the accounts back from the collected leads.
    """
    figures = [pl.col(name).alias(figure_column(name)) for name in ACCOUNT_FIGURES]
    if carry:
        cols = accounts.collect_schema().names()
        rows = accounts.with_row_index(f"{_CARRY}order").select(
            [pl.col("account_id").alias(KEY_COLUMN), "account_tier", *figures]
            + [pl.col(c).alias(f"{_CARRY}{c}") for c in cols] + [f"{_CARRY}order"])
        return contacts.join(rows, on=KEY_COLUMN, how="left", maintain_order="left")
    tiers = accounts.select(pl.col("account_id").alias(KEY_COLUMN), "account_tier", *figures)
    return contacts.join(tiers, on=KEY_COLUMN, how="left", maintain_order="left")


def carried_account_columns(frame: pl.LazyFrame) -> list[str]:
    """The ``_acct_row__*`` columns :func:`with_account_tier` added (``carry=True``)."""
    return [c for c in frame.collect_schema().names() if c.startswith(_CARRY)]


def accounts_from_leads(leads: pl.DataFrame) -> pl.DataFrame:
    """The accounts carried on the collected leads: one row each, in :func:`rollup`'s order."""
    cols = [c for c in leads.columns if c.startswith(_CARRY)]
    order = f"{_CARRY}order"
    return (leads.select(cols).filter(pl.col(order).is_not_null()).unique(order).sort(order)
            .drop(order).rename({c: c[len(_CARRY):] for c in cols if c != order}))


def check_accounts(ruleset: Ruleset, as_of: datetime) -> None:
    """Compile every accounts condition once so that load-time errors carry positions."""
    from leadq.errors import RulesetError

    acc = ruleset.actions.accounts if ruleset.actions else None
    if acc is None:
        return
    reserved = {"account_fit", "account_intent", "contacts", "engaged_contacts", "roles",
                *_firmographic_fields(ruleset)}
    for role in acc.roles:
        if role.name in reserved:
            raise RulesetError(f"accounts.roles: '{role.name}' is the name of an account field; rename the role",
                               role.pos)
    contact_expressions(ruleset, as_of)
    _tier_expr(ruleset)


def _rules_fit(ruleset: Ruleset, rule_ids: tuple[str, ...]) -> pl.Expr:
    """The points of some fit rules, as the fit score counts them: those of a score group together, up to its cap."""
    listed = set(rule_ids)
    grouped = {rid for group in ruleset.groups for rid in group.rules}
    parts = [pl.col(f"_pts__{rid}") for rid in rule_ids if rid not in grouped]
    parts += [added([pl.col(f"_pts__{rid}") for rid in group.rules if rid in listed]).clip(-group.cap, group.cap)
              for group in ruleset.groups if listed & set(group.rules)]
    return added(parts)

