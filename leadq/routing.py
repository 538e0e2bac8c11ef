"""From tier to action: routing, owners, SLA due times, next steps and nurture tracks, as Polars expressions.

The ruleset's ``routing``, ``sla`` and ``nurture`` sections (parsed by
:mod:`leadq.ruleset_actions`) compile to the stages of :func:`action_stages`,
applied to the scored frame after the tiers (and after the account rollup, so
that routing may use ``account_tier``):

``route`` / ``owner``
    The first routing rule whose condition holds gives the route (a queue name).
    Owners rotate round-robin within a route: leads of the route are ordered by
    ``lead_id`` and the *n*-th gets owner ``n mod len(owners)``. The assignment
    depends only on the set of leads in the route (not on the input order or a
    hash that could change between Polars versions), so the same input and
    ``--as-of`` always give the same owners. Leads no rule matches get no route.
    Owners given with shares (``owners: {sam: 2, casey: 1}``) rotate through a
    cycle in which each has as many turns as its share, spread out
    (:func:`leadq.owners.owner_cycle`); an owner with share 0, or away for the run
    (:func:`with_owners_away`), gets no new lead, and a route whose owners are
    all away leaves its leads without an owner. Owners with a ``capacity`` take at
    most that many leads in a run: such a route hands its leads out most urgent
    first (:func:`urgency_order`) and leaves those beyond its owners' capacity
    without an owner (:func:`leadq.owners.capped_turns`).
    A route with ``assign: account`` rotates its owners over accounts instead
    (:func:`account_rank_stages`): each account of the rollup (by its key) takes
    one turn and all its contacts on the route get that owner; accounts go in key
    text order, then the route's contacts without an account, one turn each in
    lead id order. A capacity then counts accounts (an account is never split),
    and the most urgent account is the one with the most urgent contact.
    With ``--previous`` (:func:`leadq.changes.compare_with_previous`) an account's
    new contacts follow the owner its kept contacts have (:func:`account_keys`
    hands the accounts on); only new accounts take turns.
``route_flags``
    Every flag whose condition holds (e.g. "also notify a solutions engineer").
``sla_due_at`` / ``next_step``
    From the SLA of the lead's tier or of its route; when both apply, the earlier
    due time wins (a hand-raiser routed to a slower queue keeps its one hour).
    A name that is both a tier and a route counts as a route. The clock starts at the run's as-of time
    or, when the SLA names event rules under ``from``, at the lead's most recent
    event of those rules (a demo request made yesterday was due yesterday plus
    one hour, even if the batch runs today). Due times are clock hours, not
    business hours, and are UTC: event timestamps are converted to UTC when read
    (``settings.timezone`` applies to those without a zone), and ``sla_due_at``
    is a UTC timestamp. ``next_step`` is the SLA's procedure name.
``nurture_track`` / ``recheck_at``
    For leads of the nurtured tiers, the first matching track and the run's
    as-of time plus the track's ``recheck_days``.

Routing, flag and track conditions may name everything a tier condition may,
plus ``tier``, ``territory`` (from ``country`` via the territory lists),
``segment`` and ``product_line`` (ordered conditions) when defined, and
``account_tier``, ``account_fit``, ``account_intent``, ``engaged_contacts`` and
``contacts`` (numbers; blank for a contact without an account) when the ruleset
has an ``accounts`` section.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import polars as pl

from leadq.accounts import ACCOUNT_FIGURES, KEY_COLUMN, figure_column
from leadq.activity import as_of_literal, col_names
from leadq.condition_compiler import FieldRef, Scope
from leadq.conditions import Type
from leadq.errors import RulesetError, UsageError, did_you_mean
from leadq.owners import capped_turns
from leadq.ruleset import Ruleset

ROUTE_RANK = "_route__rank"
ROUTE_UNIT = "_route__unit"  # what takes a turn on a route with assign: account (an account, or a lead without one)
UNIT_POS = "_route__unit_pos"  # the turn of that unit on its route (account_rank_stages)


def output_columns(ruleset: Ruleset) -> list[str]:
    """The routing columns a ruleset adds to the scored output, in order."""
    actions = ruleset.actions
    if actions is None:
        return []
    cols: list[str] = []
    if actions.routing is not None:
        cols += ["route", "owner"]
        if actions.routing.flags:
            cols.append("route_flags")
    if actions.sla:
        cols += ["sla_due_at", "next_step"]
    if actions.nurture is not None:
        cols += ["nurture_track", "recheck_at"]
    return cols


def _utc(as_of: datetime) -> pl.Expr:
    return as_of_literal(as_of.astimezone(timezone.utc))


def _base_scope(ruleset: Ruleset, as_of: datetime, where: str) -> Scope:
    from leadq.compiler import score_scope

    scope = score_scope(ruleset, as_of, where, with_verdicts=True)
    scope.fields["tier"] = FieldRef(pl.col("tier"), Type.TEXT)
    if ruleset.actions.accounts is not None:
        scope.fields["account_tier"] = FieldRef(pl.col("account_tier"), Type.TEXT)
        for name in ACCOUNT_FIGURES:  # blank for a contact without an account
            scope.fields[name] = FieldRef(pl.col(figure_column(name)), Type.NUMBER)
    else:
        for name in ("account_tier", *ACCOUNT_FIGURES):
            if name not in scope.fields:
                scope.unseen[name] = (f"'{name}' is given by the ruleset's accounts: section, which this ruleset "
                                      "does not have; add one to tier accounts")
    return scope


def _first_match(items, scope: Scope, where: str, value) -> pl.Expr:
    """``when(c1).then(v1).when(c2)...``; items have ``when`` (None: otherwise)."""
    from leadq.compiler import compile_condition_at

    out: pl.Expr = pl.lit(None, dtype=pl.String)
    for item in reversed(items):
        if item.when is None:
            out = value(item)
            continue
        scope.where = where.format(item=item)
        out = pl.when(compile_condition_at(item.when, scope)).then(value(item)).otherwise(out)
    return out


def _dimensions(ruleset: Ruleset, as_of: datetime) -> dict[str, pl.Expr]:
    """territory / segment / product_line expressions (only those the ruleset defines)."""
    routing = ruleset.actions.routing
    out: dict[str, pl.Expr] = {}
    if routing.territories:
        if "country" not in ruleset.columns and "country" not in ruleset.account_columns:
            raise RulesetError("routing.territories: map 'country' under 'columns' to route by territory",
                               routing.territories[0].pos)
        mapping = {c.strip().lower(): t.name for t in routing.territories for c in t.countries}
        out["territory"] = (pl.col("country").cast(pl.String).str.strip_chars().str.to_lowercase()
                            .replace_strict(mapping, default=None, return_dtype=pl.String))
    for name, items in (("segment", routing.segments), ("product_line", routing.product_lines)):
        if items:
            scope = _base_scope(ruleset, as_of, "")
            out[name] = _first_match(items, scope, f"routing.{name}s.{{item.name}}",
                                     lambda item: pl.lit(item.name))
    return out


def routing_scope(ruleset: Ruleset, as_of: datetime, dims: dict[str, pl.Expr]) -> Scope:
    """What routing, SLA and nurture conditions see: the lead's scores, tier and verdicts, and the
    routing dimensions (``territory``, ``segment`` ...) as the columns ``_route__<name>``."""
    scope = _base_scope(ruleset, as_of, "routing")
    for name in dims:
        scope.fields[name] = FieldRef(pl.col(f"_route__{name}"), Type.TEXT)
    return scope


def with_owners_away(ruleset: Ruleset, away: list[str]) -> Ruleset:
    """The ruleset with the ``away`` owners given no new leads (share 0) on every route, for one run.

    Raises:
        UsageError: for a name that is no route's owner (a typo would otherwise route as usual).
    """
    if not away:
        return ruleset
    routing = ruleset.actions.routing if ruleset.actions is not None else None
    known = {name for rule in (routing.rules if routing else ()) for name in rule.owners}
    unknown = next((name for name in away if name not in known), None)
    if unknown is not None:
        hint = did_you_mean(unknown, sorted(known))
        if known:
            roster = f"; the owners are: {', '.join(sorted(known))}"
        elif routing is None:
            roster = f"; the ruleset '{ruleset.name}' has no 'routing' section, so no lead gets an owner"
        else:
            roster = "; the ruleset's routes have no owners (give a route 'owners: [...]')"
        raise UsageError(f"--away: no route has an owner '{unknown}'{hint}{roster}")
    rules = tuple(replace(rule, shares=tuple(0 if name in away else rule.share(i)
                                              for i, name in enumerate(rule.owners)))
                  if rule.owners else rule for rule in routing.rules)
    routing = replace(routing, rules=rules, away=tuple(sorted(set(away) | set(routing.away))))
    return replace(ruleset, actions=replace(ruleset.actions, routing=routing))


def has_capacity(ruleset: Ruleset) -> bool:
    """True when some route's owners have a capacity (their new leads per run are limited)."""
    routing = ruleset.actions.routing if ruleset.actions is not None else None
    return routing is not None and any(rule.capacities for rule in routing.rules)


def urgency_order(has_sla: bool) -> list[pl.Expr]:
    """The order in which a route with capacities hands out its leads: most urgent first.

    The earliest SLA due time first (when the ruleset has SLAs; leads without one
    after), then the highest total score, then the lead id. ``-0.0`` is read as
    ``0.0`` so that equal totals fall to the lead id.
    """
    total = pl.col("total_score")
    keys = [pl.col("sla_due_at")] if has_sla else []
    return keys + [pl.when(total == 0).then(pl.lit(0.0)).otherwise(-total), pl.col("lead_id")]


def account_rank_stages(routes: list[str], capped: list[str], has_sla: bool) -> list[list[pl.Expr]]:
    """Stages giving each lead of an ``assign: account`` route its account's turn, as ``_route__unit_pos``.

    The unit that takes a turn is the lead's account (:data:`leadq.accounts.KEY_COLUMN`), or the lead itself
    when it has no account key: the accounts first, in account key text order, then the leads without one,
    in lead id order (the units' names sort so: ``a<key>``, ``l<lead_id>``). Where the route's owners have
    capacities the units go most urgent first instead: an account is as urgent as its most urgent contact
    (earliest SLA due time, then highest total score), ties by the unit's name. The turn is the unit's
    dense rank on its route, so every contact of an account gets the same owner, and a capacity counts accounts.
    """
    key = pl.col(KEY_COLUMN)
    unit = (pl.when(key.is_not_null()).then(pl.concat_str([pl.lit("a"), key]))
            .otherwise(pl.concat_str([pl.lit("l"), pl.col("lead_id").cast(pl.String)])))
    stages = [[pl.when(pl.col("route").is_in(routes)).then(unit).alias(ROUTE_UNIT)]]
    by_name = pl.col(ROUTE_UNIT).rank("dense").over("route").cast(pl.Int64) - 1
    if not capped:
        return stages + [[by_name.alias(UNIT_POS)]]
    # Windows do not nest, hence a stage each: the unit's urgency, its leads' places in that order, the
    # unit's first place (the same for all its leads), and that place's dense rank on the route.
    over = ["route", ROUTE_UNIT]
    due, total, first = "_route__unit_due", "_route__unit_total", "_route__unit_first"
    figures = [pl.col("total_score").max().over(over).alias(total)]
    if has_sla:
        figures.append(pl.col("sla_due_at").min().over(over).alias(due))
    keys = [pl.col(due)] if has_sla else []
    keys += [pl.when(pl.col(total) == 0).then(pl.lit(0.0)).otherwise(-pl.col(total)), pl.col(ROUTE_UNIT)]
    place = pl.int_range(pl.len(), dtype=pl.Int64).over("route", order_by=keys, nulls_last=True)
    urgent = pl.col(first).rank("dense").over("route").cast(pl.Int64) - 1
    return stages + [figures, [place.alias(first)], [pl.col(first).min().over(over).alias(first)],
                     [pl.when(pl.col("route").is_in(capped)).then(urgent).otherwise(by_name).alias(UNIT_POS)]]


def account_keys(frame: pl.DataFrame, ruleset: Ruleset) -> pl.DataFrame | None:
    """Each lead's account key (``lead_id``, :data:`leadq.accounts.KEY_COLUMN`; null without an account), for
    :func:`leadq.changes.compare_with_previous`; None when no route has ``assign: account`` (or the frame lacks
    the key). The scored output leaves internal columns out, so the key travels beside it."""
    routing = ruleset.actions.routing if ruleset.actions is not None else None
    if routing is None or not routing.account_routes or KEY_COLUMN not in frame.columns:
        return None
    return frame.select("lead_id", KEY_COLUMN)


def _owner_expr(ruleset: Ruleset) -> pl.Expr:
    """The owner of each routed lead: its route's turns (:func:`leadq.owners.capped_turns`) at its rank."""
    routing = ruleset.actions.routing
    out: pl.Expr = pl.lit(None, dtype=pl.String)
    rank = pl.col(ROUTE_RANK)
    for route in reversed(routing.routes):
        owners = routing.owners(route)
        first, then = capped_turns(owners, routing.shares(route), routing.capacities(route) or (None,) * len(owners))
        if not first and not then:  # no owners, or every owner away: no owner
            continue
        pick = pl.lit(None, dtype=pl.String)
        if then:  # the rotation that repeats (without capacities, the whole rotation)
            pick = pl.lit(then, dtype=pl.List(pl.String)).list.get((rank - len(first)) % len(then))
        if first:  # the turns until the last owner with a capacity is full
            turns = pl.lit(first, dtype=pl.List(pl.String))
            pick = pl.when(rank < len(first)).then(turns.list.get(rank)).otherwise(pick)
        out = pl.when(pl.col("route") == route).then(pick).otherwise(out)
    return out


def _sla_exprs(ruleset: Ruleset, as_of: datetime) -> tuple[pl.Expr, pl.Expr]:
    routes = set(ruleset.actions.routing.routes) if ruleset.actions.routing else set()

    def chain(slas) -> tuple[pl.Expr, pl.Expr]:
        due: pl.Expr = pl.lit(None, dtype=pl.Datetime("us", "UTC"))
        step: pl.Expr = pl.lit(None, dtype=pl.String)
        for sla in reversed(slas):
            start = _utc(as_of)
            if sla.start_rules:
                last = pl.max_horizontal([pl.col(col_names(r)["last"]) for r in sla.start_rules])
                start = pl.coalesce(last, start)
            cond = pl.col("route" if sla.key in routes else "tier") == sla.key
            due = pl.when(cond).then(start + pl.lit(timedelta(hours=sla.hours))).otherwise(due)
            step = pl.when(cond).then(pl.lit(sla.procedure)).otherwise(step)
        return due, step

    # A lead may have both a tier SLA and a route SLA: the earlier due time wins, so that
    # routing a hand-raiser to a slower queue never slows its response down.
    tier_due, tier_step = chain([s for s in ruleset.actions.sla if s.key not in routes])
    route_due, route_step = chain([s for s in ruleset.actions.sla if s.key in routes])
    route_wins = route_due.is_not_null() & (tier_due.is_null() | (route_due < tier_due))
    return (pl.when(route_wins).then(route_due).otherwise(tier_due),
            pl.when(route_wins).then(route_step).otherwise(tier_step))


def action_stages(ruleset: Ruleset, as_of: datetime) -> list[list[pl.Expr]]:
    """Expression stages adding the routing, SLA and nurture columns (``with_columns`` each in turn).

    Raises:
        RulesetError: when a condition names something unknown (with its position).
    """
    actions = ruleset.actions
    if actions is None:
        return []
    stages: list[list[pl.Expr]] = []
    routing = actions.routing
    if routing is not None:
        dims = _dimensions(ruleset, as_of)
        stages.append([expr.alias(f"_route__{name}") for name, expr in dims.items()])
        scope = routing_scope(ruleset, as_of, dims)
        route = _first_match(routing.rules, scope, "routing rule (route '{item.route}')",
                             lambda item: pl.lit(item.route))
        rule_stage = [route.alias("route")]
        if routing.flags:
            from leadq.compiler import compile_condition_at

            flags = []
            for flag in routing.flags:
                scope.where = f"routing flag '{flag.id}'"
                flags.append(pl.when(compile_condition_at(flag.when, scope)).then(pl.lit(flag.id)))
            rule_stage.append(pl.concat_list(flags).list.drop_nulls().alias("route_flags"))
        stages.append(rule_stage)
    if actions.sla:  # before the owners: a route with capacities gives the leads due first an owner first
        due, step = _sla_exprs(ruleset, as_of)
        stages.append([due.alias("sla_due_at"), step.alias("next_step")])
    if routing is not None:
        # Rank of the lead within its route: by lead id, independent of input order; most urgent first where
        # the route's owners have capacities.
        rank = pl.int_range(pl.len(), dtype=pl.Int64).over("route", order_by="lead_id")
        capped = [route for route in routing.routes if routing.capacities(route)]
        if capped:
            urgent = pl.int_range(pl.len(), dtype=pl.Int64).over("route", order_by=urgency_order(bool(actions.sla)),
                                                                 nulls_last=True)
            rank = pl.when(pl.col("route").is_in(capped)).then(urgent).otherwise(rank)
        by_account = list(routing.account_routes)
        if by_account:
            stages += account_rank_stages(by_account, [r for r in by_account if r in capped], bool(actions.sla))
            rank = pl.when(pl.col("route").is_in(by_account)).then(pl.col(UNIT_POS)).otherwise(rank)
        stages.append([rank.alias(ROUTE_RANK)])
        stages.append([_owner_expr(ruleset).alias("owner")])
    if actions.nurture is not None:
        nurture = actions.nurture
        scope = routing_scope(ruleset, as_of, _dimensions(ruleset, as_of) if routing else {})
        in_nurture = pl.col("tier").is_in(list(nurture.tiers))
        track = _first_match(nurture.tracks, scope, "nurture track '{item.id}'", lambda item: pl.lit(item.id))
        recheck = _first_match(nurture.tracks, scope, "nurture track '{item.id}'",
                               lambda item: _utc(as_of) + pl.lit(timedelta(days=item.recheck_days)))
        recheck = recheck.cast(pl.Datetime("us", "UTC"))
        stages.append([pl.when(in_nurture).then(track).alias("nurture_track"),
                       pl.when(in_nurture).then(recheck).alias("recheck_at")])
    return stages


def apply_actions(frame: pl.LazyFrame, ruleset: Ruleset, as_of: datetime) -> pl.LazyFrame:
    """Add the routing, SLA and nurture columns to a scored (tiered) frame."""
    for stage in action_stages(ruleset, as_of):
        if stage:
            frame = frame.with_columns(stage)
    return frame


def check_actions(ruleset: Ruleset) -> None:
    """Compile the routing, SLA, nurture and accounts conditions once, for load-time errors with positions."""
    from leadq.accounts import check_accounts

    now = datetime.now(timezone.utc)
    check_accounts(ruleset, now)
    action_stages(ruleset, now)
