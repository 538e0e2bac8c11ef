"""What happens next, on scored leads, for every engine: account tier, then routing, SLAs and nurture tracks.

The ruleset's action sections (``accounts``, ``routing``, ``sla``, ``nurture``) are
Polars stages (:mod:`leadq.accounts`, :mod:`leadq.routing`) applied to scored,
tiered leads by :func:`with_actions`. The Polars pipeline applies it to its scored
plan; the SQL engines (:mod:`leadq.engines`) to the query's result, which carries
the internal columns :func:`action_inputs` names besides the output columns. One
function for both, so the engines cannot give different routes, owners, due times,
tracks or account tiers.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from leadq.accounts import ACCOUNT_FIGURES, contact_expressions, figure_column, rollup, rollup_columns, with_account_tier
from leadq.errors import UsageError
from leadq.routing import action_stages, apply_actions, output_columns
from leadq.ruleset import Ruleset

ROLLUPS = ("account",)


def has_accounts(ruleset: Ruleset) -> bool:
    """True when the ruleset has an ``accounts`` section (every lead then gets ``account_tier``)."""
    return ruleset.actions is not None and ruleset.actions.accounts is not None


def action_columns(ruleset: Ruleset) -> list[str]:
    """The output columns the action sections add, in order: routing's, then ``account_tier``."""
    return output_columns(ruleset) + (["account_tier"] if has_accounts(ruleset) else [])


def check_rollup_name(rollup_name: str | None) -> None:
    """Refuse an unknown rollup (a UsageError naming the allowed ones)."""
    if rollup_name not in (None, *ROLLUPS):
        raise UsageError(f"--rollup: unknown rollup '{rollup_name}'; expected one of: {', '.join(ROLLUPS)}")


def check_rollup(ruleset: Ruleset, rollup_name: str | None) -> None:
    """Refuse an unknown rollup, and ``account`` for a ruleset without an ``accounts`` section.

    Raises:
        UsageError: naming the allowed rollups, or the missing section.
    """
    check_rollup_name(rollup_name)
    if rollup_name == "account" and not has_accounts(ruleset):
        raise UsageError(f"--rollup account: the ruleset '{ruleset.name}' has no 'accounts' section "
                         "(how contacts roll up: key, roles, tiers)")


def with_actions(scored: pl.LazyFrame, ruleset: Ruleset, as_of: datetime, *,
                 carry_accounts: bool = False) -> pl.LazyFrame:
    """Add the account tier (when the ruleset has ``accounts``), then the routing, SLA and nurture columns.

    Args:
        scored: tiered leads with the columns :func:`action_inputs` names.
        ruleset: the ruleset (with any ``--away`` owners applied).
        as_of: the run's "now" (SLA clocks, recheck dates).
        carry_accounts: also carry each lead's account row (``_acct_row__*`` columns), for
            :func:`leadq.accounts.accounts_from_leads` after the collect (``--rollup account``).

    Raises:
        RulesetError: when a condition names something unknown (with its position).
    """
    if has_accounts(ruleset):
        scored = scored.with_columns(contact_expressions(ruleset, as_of))
        # The account rows ride along on their contacts (carry) and are taken back after the one
        # collect: a second plan would score every lead again.
        scored = with_account_tier(scored, rollup(scored, ruleset), carry=carry_accounts)
    return apply_actions(scored, ruleset, as_of)


def action_inputs(ruleset: Ruleset, as_of: datetime) -> list[str]:
    """The columns of the scored leads that :func:`with_actions` reads, sorted.

    Output columns (``tier``, ``total_score``, ``lead_id`` ...), contact fields
    (``country``, ``company_size``; ``seniority`` and ``department`` as such), internal
    columns of the scoring stages (``_n__<rule>`` for ``count(rule)``, ``_last__<rule>``
    for an SLA's ``from``, ``_dq__<code>``, ``_pts__<rule>``, ``_grade_rank``) and
    ``_order`` (input order, for the accounts' first firmographic values). Read from
    the compiled expressions themselves, so that the list cannot fall behind them.
    """
    exprs = [e for stage in action_stages(ruleset, as_of) for e in stage]
    made = {"account_tier", *map(figure_column, ACCOUNT_FIGURES)}  # joined on by with_account_tier
    read: set[str] = set()
    if has_accounts(ruleset):
        exprs += contact_expressions(ruleset, as_of)
        read |= set(rollup_columns(ruleset))
    for expr in exprs:
        read |= set(expr.meta.root_names())
        made.add(expr.meta.output_name())
    return sorted(read - made)
