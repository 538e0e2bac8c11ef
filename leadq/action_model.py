"""The typed sections of a ruleset that act on a score: routing, SLAs, nurture tracks and accounts.

Frozen dataclasses, with the position of each item for messages; parsed from the
ruleset's YAML by :mod:`leadq.ruleset_actions`, compiled by :mod:`leadq.routing`
and :mod:`leadq.accounts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadq.errors import Position

ACCOUNT_KEYS = ("account_id", "company_domain", "email_domain", "workspace_id")
ASSIGN_MODES = ("lead", "account")  # what a route's owners rotate over (RouteRule.assign)
INTENT_FROM = ("all", "engaged")  # whose intent account_intent sums (Accounts.intent_from)


@dataclass(frozen=True)
class NamedCondition:
    """A named value given by a condition (a segment, a product line, a role); ``when`` None: otherwise."""

    name: str
    when: Any  # leadq.ruleset.Condition | None
    pos: Position


@dataclass(frozen=True)
class Territory:
    """A territory: the countries (values of ``country``) that belong to it."""

    name: str
    countries: tuple[str, ...]
    pos: Position


@dataclass(frozen=True)
class RouteRule:
    """An ordered routing rule: leads matching ``when`` (None: every remaining lead) go to ``route``."""

    route: str
    when: Any  # Condition | None
    owners: tuple[str, ...]
    pos: Position
    label: str = ""
    # Each owner's share of the route's new leads (``owners: {sam: 2, casey: 1}``): all 1 for a list.
    # 0 keeps an owner on the route without new leads (the leads it has stay with it under --previous).
    shares: tuple[int, ...] = ()
    # Each owner's capacity: the most new leads it takes in a run (None: no limit); () when none has one.
    capacities: tuple[int | None, ...] = ()
    # What the owners rotate over: "lead" (each lead takes the next turn) or "account" (each account of
    # the accounts rollup takes one turn, and all its contacts on the route its owner).
    assign: str = "lead"

    def share(self, i: int) -> int:
        """The share of the i-th owner (1 when the owners were a list)."""
        return self.shares[i] if self.shares else 1

    def capacity(self, i: int) -> int | None:
        """The capacity of the i-th owner (None: no limit)."""
        return self.capacities[i] if self.capacities else None


@dataclass(frozen=True)
class Flag:
    """A non-exclusive routing flag ("also notify a solutions engineer")."""

    id: str
    label: str
    when: Any  # Condition
    pos: Position


@dataclass(frozen=True)
class Routing:
    """The ``routing`` section."""

    territories: tuple[Territory, ...]
    segments: tuple[NamedCondition, ...]
    product_lines: tuple[NamedCondition, ...]
    rules: tuple[RouteRule, ...]
    flags: tuple[Flag, ...]
    pos: Position
    away: tuple[str, ...] = ()  # owners given no new leads for this run (leadq score --away), sorted

    @property
    def routes(self) -> tuple[str, ...]:
        """Route names in ruleset order."""
        return tuple(dict.fromkeys(r.route for r in self.rules))

    def owners(self, route: str) -> tuple[str, ...]:
        """The owners of a route (those given by the first rule naming them)."""
        return next((r.owners for r in self.rules if r.route == route and r.owners), ())

    def shares(self, route: str) -> tuple[int, ...]:
        """Each owner's share of the route's new leads, in the order of :meth:`owners`."""
        rule = next((r for r in self.rules if r.route == route and r.owners), None)
        return tuple(rule.share(i) for i in range(len(rule.owners))) if rule else ()

    def capacities(self, route: str) -> tuple[int | None, ...]:
        """Each owner's capacity (None: no limit), in the order of :meth:`owners`; () when none has one."""
        rule = next((r for r in self.rules if r.route == route and r.owners), None)
        return rule.capacities if rule else ()

    def assign(self, route: str) -> str:
        """What the route's owners rotate over: ``lead`` or ``account`` (:data:`ASSIGN_MODES`)."""
        rule = next((r for r in self.rules if r.route == route and r.owners), None)
        return rule.assign if rule else "lead"

    @property
    def account_routes(self) -> tuple[str, ...]:
        """The routes whose owners rotate over accounts (``assign: account``), in ruleset order."""
        return tuple(route for route in self.routes if self.assign(route) == "account")


@dataclass(frozen=True)
class Sla:
    """A response-time commitment for a tier or a route.

    The clock starts at the run's as-of time or, when ``start_rules`` name event
    rules, at the lead's most recent event of those rules (when it has one).
    """

    key: str  # tier or route name
    hours: float
    procedure: str
    start_rules: tuple[str, ...]
    pos: Position


@dataclass(frozen=True)
class NurtureTrack:
    """An ordered nurture track; ``when`` None: every remaining nurture lead."""

    id: str
    label: str
    when: Any  # Condition | None
    recheck_days: float
    pos: Position


@dataclass(frozen=True)
class Nurture:
    """The ``nurture`` section: which tiers are nurtured, and their tracks."""

    tiers: tuple[str, ...]
    tracks: tuple[NurtureTrack, ...]
    pos: Position


@dataclass(frozen=True)
class Accounts:
    """The ``accounts`` section: how contacts roll up into accounts."""

    key: tuple[str, ...]
    fit_rules: tuple[str, ...]  # empty: account fit is the best contact's fit score
    contact_intent_cap: float | None
    engaged: Any  # Condition | None (None: intent > 0)
    roles: tuple[NamedCondition, ...]
    tiers: tuple[Any, ...]  # leadq.ruleset.Tier
    pos: Position
    intent_from: str = "all"  # "engaged": account_intent sums the engaged contacts' intent only


@dataclass(frozen=True)
class ActionSections:
    """Every parsed action section (None / empty when the ruleset has none)."""

    routing: Routing | None = None
    sla: tuple[Sla, ...] = ()
    nurture: Nurture | None = None
    accounts: Accounts | None = None
    title_map: Any = None  # leadq.title_taxonomy.TitleMap (merged over the defaults) | None
