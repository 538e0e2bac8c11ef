"""Why a lead got its score, grade and tier: the explanation of one lead as plain data.

``leadq explain`` scores only the requested leads (the filter is applied in the
Polars plan, after de-duplication, so every event of those leads still counts)
with ``detail=True``, then reads the internal columns of each lead:

* every rule, fired or not, with the values it saw and its points before decay
  (raw), after decay and after the cap;
* fit, intent and total; the grade with the threshold that gave it;
* every tier condition in order, each evaluated on its own (not only the
  first that matched), with the values it named;
* the disqualification reasons with labels and categories;
* a one-paragraph hand-off line for the sales rep;
* the next step, for rulesets with ``routing``, ``sla`` or ``nurture`` sections: the route and
  the routing rule that chose it, the flags, the SLA (and what started its clock), the nurture
  track. Not the owner: round-robin turns and capacities are shared out over the whole run. The
  route's owners are listed, those away for the run (``with_owners_away``, as ``leadq score --away``)
  and those with share 0 apart: they take no new lead. Owners never change the route: the first
  routing rule that holds chooses it, whoever is away.

A ruleset whose routing or nurture conditions name ``account_tier`` also needs the account tier
of whole accounts, which roll up contacts that were not asked for: for those, one more run over
every contact (without the detail columns) gives the requested leads' account tiers, and their
route, SLA and track are computed again from them (:func:`actions_read_account_tier`).

The figures are dataclasses (``to_dict`` for ``--json``); :mod:`leadq.explain_report`
draws them. Building them reads one row per requested lead: a handful of rows,
never the data set.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Sequence

import polars as pl

from leadq.accounts import ACCOUNT_FIGURES, KEY_COLUMN, figure_column
from leadq.activity import DAY_US, as_of_literal, col_names, matched_column
from leadq.activity_input import read_activity_files
from leadq.cleaning import email_key
from leadq.compiler import calendar_days_between, compile_condition_at, score_scope
from leadq.conditions import Call, Name, Node, Type, names_in, walk
from leadq.errors import InputError, UsageError
from leadq.fields import OUTPUT_COLUMNS
from leadq.input_columns import check_columns
from leadq.inputs import STDIN, STDIN_LABEL, InputFile, ReadOptions, concat_inputs, read_input_files
from leadq.number_text import parse_number
from leadq.pipeline import ScoreResult, read_account_files, score_frames
from leadq.routing import routing_scope, apply_actions
from leadq.routing import output_columns as routing_output_columns
from leadq.ruleset import Rule, Ruleset

# Names a tier or disqualifier condition may use for the scores, and the column holding each.
SCORE_NAMES = {"fit": "fit_score", "intent": "intent_score", "total": "total_score", "grade": "grade",
               "disqualified": "disqualified", "bad_fit": "bad_fit", "bad_timing": "bad_timing"}
MAX_LEADS = 200  # explain is for reading; a bigger selection is a `score` job
# Why explain shows no owner: round-robin turns and capacities depend on every lead of the route in the run.
OWNER_NOTE = "assigned across the whole run (leadq score)"
TIME_TEXT = "%Y-%m-%dT%H:%M:%S%.fZ"  # as _plain writes a datetime; Polars also writes years past 9999
# An event rule's note, and the hand-off's, when the ruleset's event rules were given no log to read: they did
# not find no events, they looked at none ("no events in the last 365 days" and "No buying signals yet" said so).
NO_LOG = "no activity log given"
NO_LOG_NOTE = f"{NO_LOG} (--activities): the event rules counted no event"


@dataclass
class Points:
    """A rule's points at each step: before decay, after decay, and what counted (after cap)."""

    raw: float
    decayed: float
    final: float


@dataclass
class RuleExplanation:
    """One rule for one lead."""

    id: str
    label: str
    section: str
    score: str
    fired: bool
    points: Points
    values: dict[str, Any] = field(default_factory=dict)  # fields named in the condition, as seen
    events: int | None = None  # event rules: matching events inside the window
    # per: day / per: week rules: the days (weeks) with a matching event, each of which scores once
    # (min_count counts these); None for other rules.
    days: int | None = None
    weeks: int | None = None
    last_event_at: str | None = None
    days_since_last: int | None = None
    cap: float | None = None
    capped: bool = False
    note: str = ""  # why it did not fire, or what limited it
    condition: str = ""  # the rule's when: condition ("" for an event rule without one)


@dataclass
class GroupExplanation:
    """A score group's points for one lead: its rules' sum, and what its cap let count."""

    id: str
    label: str
    score: str
    cap: float
    rules: list[str]
    rules_points: float
    points: float
    capped: bool


@dataclass
class TierStep:
    """One tier condition, tried in ruleset order."""

    name: str
    condition: str  # "otherwise" for the catch-all
    matched: bool
    chosen: bool
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reason:
    """A disqualification reason the lead has."""

    code: str
    label: str
    category: str


@dataclass
class RouteStep:
    """The routing rule that chose the lead's route, the values the rules were matched on, and the flags."""

    route: str | None  # None: no routing rule matched
    rule: int | None  # 1-based position under routing.rules
    rule_label: str
    saw: dict[str, Any]  # territory, segment, product_line, account_tier (those the ruleset has)
    flags: list[str]
    owners: list[str]  # the route's owners; which of them gets the lead is decided over the whole run
    owner: str  # OWNER_NOTE, or why the lead gets no owner
    capacity: bool  # the route's owners take at most so many new leads a run
    away: list[str] = field(default_factory=list)  # the route's owners away for the run (--away): no new leads
    idle: list[str] = field(default_factory=list)  # the route's owners with share 0 in the ruleset: no new leads


@dataclass
class SlaStep:
    """The SLA that set the lead's due time: the tier's or the route's (the earlier due time wins)."""

    key: str  # the tier or route it is keyed by
    keyed_by: str  # "tier" or "route"
    hours: float
    procedure: str
    due_at: str
    clock_from: list[str]  # the SLA's `from:` event rules ([]: its clock starts at the as-of time)
    clock_event: str | None  # the rule of the latest such event, which started the clock; None: the as-of
    clock_started_at: str


@dataclass
class NurtureStep:
    """The nurture track of a lead of a nurtured tier, and when to look at it again."""

    track: str | None  # None: no track's condition held
    label: str
    recheck_days: float | None
    recheck_at: str | None


@dataclass
class NextStep:
    """What happens to the lead next, from the ruleset's routing, sla and nurture sections.

    ``sections``: those the ruleset has; a section listed whose step is None does not apply to
    the lead (no SLA for its tier or route; a tier that is not nurtured).
    """

    sections: list[str]
    routing: RouteStep | None = None
    sla: SlaStep | None = None
    nurture: NurtureStep | None = None


@dataclass
class LeadExplanation:
    """Everything leadq knows about why one lead scored as it did."""

    lead_id: str
    source_file: str
    source_row: int
    fit_score: float
    intent_score: float
    total_score: float
    grade: str
    grade_rule: str
    tier: str
    disqualified: bool
    reasons: list[Reason]
    rules: list[RuleExplanation]
    tiers: list[TierStep]
    explanation: str
    handoff: str
    groups: list[GroupExplanation] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    # Number fields the CRM wrote as a range or an abbreviation: field -> its text ("51-200").
    read_from: dict[str, str] = field(default_factory=dict)
    next_step: NextStep | None = None  # None: the ruleset has no routing, sla or nurture section


@dataclass
class ExplainReport:
    """The explanations of the requested leads, in the order they were asked for."""

    ruleset: str
    ruleset_path: str
    as_of: str
    leads: list[LeadExplanation]
    # What holds for every lead: "no activity log given (--activities): ..." (NO_LOG_NOTE)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-ready dict (the ``--json`` output)."""
        return asdict(self)


# --------------------------------------------------------------------------- helpers


def _plain(value: Any) -> Any:
    """A JSON-friendly version of a cell value (datetimes as ISO text, floats as given)."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _num(value: Any) -> float:
    # Unrounded: --json's scores are those of `leadq score` to the last bit (the report rounds for reading).
    return 0.0 if value is None else float(value)


def fmt_points(value: float, signed: bool = False) -> str:
    """Points with at most one decimal, like the score's explanation column ("15", "8.4")."""
    text = f"{value:.1f}".removesuffix(".0")
    if text == "-0":
        text = "0"
    return ("+" + text) if signed and value >= 0 else text


def _days_ago(days: int | None) -> str:
    if days is None:
        return ""
    if days <= 0:
        return "today"
    return "1 day ago" if days == 1 else f"{days} days ago"


def _call_names(node: Node) -> list[tuple[str, str]]:
    """(function, argument name) of every call in a condition tree, in order."""
    out: list[tuple[str, str]] = []
    for n in walk(node):
        if isinstance(n, Call):
            for a in n.args:
                if isinstance(a, Name) and not a.raw_column:
                    out.append((n.name, a.name))
                elif hasattr(a, "value") and isinstance(getattr(a, "value"), str):
                    out.append((n.name, a.value))  # has_reason("code")
    return list(dict.fromkeys(out))


def _value_exprs(ruleset: Ruleset, tree: Node, as_of: datetime) -> dict[str, pl.Expr]:
    """Expressions giving the value of every field and function call a condition names."""
    fields, raws, _ = names_in(tree)
    by_column = {col.column: name for name, col in ruleset.columns.items()}
    names = sorted(fields) + sorted(by_column[r] for r in raws if r in by_column)
    out: dict[str, pl.Expr] = {}
    for name in dict.fromkeys(names):
        out[name] = pl.col(SCORE_NAMES.get(name, name))
    event_ids = {r.id for r in ruleset.event_rules}
    as_of_lit = as_of_literal(as_of)
    for func, arg in _call_names(tree):
        label = f'{func}("{arg}")' if func == "has_reason" else f"{func}({arg})"
        if func == "fired":
            out[label] = pl.col(f"_hit__{arg}")
        elif func == "points":
            out[label] = pl.col(f"_pts__{arg}")
        elif func == "count" and arg in event_ids:
            out[label] = pl.col(col_names(arg)["n"]).fill_null(0)
        elif func == "has_reason":
            out[label] = pl.col(f"_dq__{arg}")
        elif func == "days_since":
            target = pl.col(col_names(arg)["last"]) if arg in event_ids else pl.col(arg)
            # The fractional days the condition compares (compiler._days_since), not whole days: 14.5 is
            # not <= 14, and "saw 14" beside that failed condition read as a contradiction.
            out[label] = (as_of_lit - target).dt.total_microseconds() / DAY_US
    return out


def _grade_rule(ruleset: Ruleset, letter: str) -> str:
    grades = list(ruleset.grades)
    for i, g in enumerate(grades):
        if g.letter != letter:
            continue
        if g.min_fit is not None:
            return f"fit >= {g.min_fit:g}"
        above = grades[i - 1].min_fit if i else None
        return f"fit below {above:g}" if above is not None else "every lead"
    return ""


# --------------------------------------------------------------------------- building


def _explain_columns(ruleset: Ruleset, as_of: datetime) -> tuple[list[pl.Expr], dict, dict]:
    """Extra columns evaluated on the detail frame: each tier alone and the values conditions saw."""
    exprs: list[pl.Expr] = []
    rule_values: dict[str, list[str]] = {}
    tier_values: dict[int, list[str]] = {}
    for rule in ruleset.rules:
        if rule.when is None:
            continue
        values = _value_exprs(ruleset, rule.when.tree, as_of)
        rule_values[rule.id] = list(values)
        exprs += [e.alias(f"_see__{rule.id}__{k}") for k, e in values.items()]
    for i, tier in enumerate(ruleset.tiers):
        if tier.when is None:
            tier_values[i] = []
            continue
        scope = score_scope(ruleset, as_of, f"tier '{tier.name}'", with_verdicts=True)
        exprs.append(compile_condition_at(tier.when, scope).alias(f"_tier__{i}"))
        values = _value_exprs(ruleset, tier.when.tree, as_of)
        tier_values[i] = list(values)
        exprs += [e.alias(f"_tsee__{i}__{k}") for k, e in values.items()]
    return exprs, rule_values, tier_values


def _rule_explanation(rule: Rule, row: dict, seen: list[str], as_of: datetime,
                      log_given: bool = True, tz: str = "UTC") -> RuleExplanation:
    final = _num(row.get(f"_pts__{rule.id}"))
    fired = bool(row.get(f"_hit__{rule.id}"))
    values = {k: _plain(row.get(f"_see__{rule.id}__{k}")) for k in seen}
    if not rule.is_event_rule:
        raw = rule.points if fired else 0.0
        return RuleExplanation(rule.id, rule.label, rule.section, rule.score, fired, Points(raw, raw, final),
                               values, note="" if fired else "condition not met",
                               condition="" if rule.when is None else rule.when.text)
    names = col_names(rule.id)
    n = int(row.get(names["n"]) or 0)  # per: day / per: week: the days (weeks) with events
    events = int(row.get(matched_column(rule)) or 0) if rule.once_per is not None else n
    last = row.get(names["last"])
    days = None if last is None else calendar_days_between(last, as_of, tz)  # as the score's explanation counts
    if rule.per == "lead":
        raw = rule.points if n else 0.0
        halvings = None if (rule.half_life_days is None or last is None) else \
            ((as_of - last).total_seconds() / 86400) / rule.half_life_days
        if halvings is not None and rule.decay == "step":  # full points until a half-life, then half...
            halvings = math.floor(halvings)
        decayed = raw if halvings is None else rule.points * 0.5 ** halvings
    else:
        raw, decayed = _num(row.get(names["raw"])), _num(row.get(names["dec"]))
    capped = rule.cap is not None and abs(decayed) > rule.cap
    if not log_given:
        note = NO_LOG
    elif n == 0:
        note = f"no events in the last {rule.within_days:g} days"
    elif n < rule.min_count:
        # per: day/week: min_count counts days (weeks) with events, and so does n (the report shows both)
        note = f"needs {rule.min_count:g} {'days' if rule.once_per == 'day' else 'weeks' if rule.once_per else 'events'}"
    elif capped:
        note = f"capped at {rule.cap:g}"
    else:
        note = ""
    return RuleExplanation(rule.id, rule.label, rule.section, rule.score, fired, Points(raw, decayed, final),
                           values, events=events, days=n if rule.once_per == "day" else None,
                           weeks=n if rule.once_per == "week" else None, last_event_at=_plain(last),
                           days_since_last=days, cap=rule.cap, capped=capped, note=note,
                           condition="" if rule.when is None else rule.when.text)


def _fmt_value(value: Any) -> str:
    if isinstance(value, float):
        return fmt_points(value)
    return str(value)


def period_text(rule: RuleExplanation) -> str:
    """The scoring periods of a ``per: day`` / ``per: week`` rule, as " on 3 days" / " in 2 weeks"; "" for others."""
    if rule.days is not None:
        return f" on {rule.days} {'day' if rule.days == 1 else 'days'}"
    if rule.weeks is not None:
        return f" in {rule.weeks} {'week' if rule.weeks == 1 else 'weeks'}"
    return ""


def handoff_line(lead: LeadExplanation) -> str:
    """The paragraph a sales rep reads before the first call: who, what they did, how they scored."""
    f = lead.fields
    who = []
    title, company = f.get("job_title"), f.get("company")
    if title and company:
        who.append(f"{title} at {company}")
    elif title or company:
        who.append(str(title or company))
    if "company_size" in lead.read_from:
        size = lead.read_from["company_size"]
        who.append(size if "employee" in size.lower() else f"{size} employees")
    elif f.get("company_size") is not None:
        who.append(f"{int(f['company_size']):,} employees")
    for key in ("industry", "country"):
        if f.get(key):
            who.append(str(f[key]))
    signals = []
    for r in sorted((r for r in lead.rules if r.fired and r.score == "intent" and r.points.final > 0),
                    key=lambda r: (r.days_since_last if r.days_since_last is not None else -1, -r.points.final)):
        if r.events is None:
            signals.append(r.label)
        elif r.events > 1:
            signals.append(f"{r.label} x{r.events}{period_text(r)}, last {_days_ago(r.days_since_last)}")
        else:
            signals.append(f"{r.label} {_days_ago(r.days_since_last)}")
    watch = [f"{r.label} ({fmt_points(r.points.final)})" for r in lead.rules if r.fired and r.points.final < 0]
    parts = ["; ".join(who) if who else f"lead {lead.lead_id}"]
    parts.append("signals: " + "; ".join(signals) if signals else
                 f"{NO_LOG}: buying signals unknown" if any(r.note == NO_LOG for r in lead.rules)
                 else "no buying signals yet")
    if watch:
        parts.append("watch: " + "; ".join(watch))
    parts.append(f"grade {lead.grade} (fit {fmt_points(lead.fit_score)}), intent {fmt_points(lead.intent_score)}, "
                 f"total {fmt_points(lead.total_score)} -> {lead.tier}")
    if lead.reasons:
        parts.append("disqualified: " if lead.disqualified else "on hold: ")
        parts[-1] += "; ".join(r.label for r in lead.reasons)
    return ". ".join(p[0].upper() + p[1:] for p in parts) + "."


# --------------------------------------------------------------------------- the next step


def has_next_step(ruleset: Ruleset) -> bool:
    """True when the ruleset says what happens to a lead next (a routing, sla or nurture section)."""
    actions = ruleset.actions
    return actions is not None and (actions.routing is not None or bool(actions.sla) or actions.nurture is not None)


def actions_read_account_tier(ruleset: Ruleset) -> bool:
    """True when a routing rule, flag, segment, product line or nurture track names ``account_tier`` or
    an account figure (``account_intent``, ``engaged_contacts`` ...: :data:`leadq.accounts.ACCOUNT_FIGURES`).

    They roll up every contact of the account, not only the leads explained: such a ruleset's
    route (and so its SLA) is read with the accounts of a run over every contact.
    """
    actions = ruleset.actions
    if actions is None or actions.accounts is None:
        return False
    conditions = []
    if actions.routing is not None:
        routing = actions.routing
        conditions += [item.when for item in (*routing.rules, *routing.flags, *routing.segments,
                                              *routing.product_lines)]
    if actions.nurture is not None:
        conditions += [track.when for track in actions.nurture.tracks]
    rolled_up = {"account_tier", *ACCOUNT_FIGURES}
    return any(c is not None and rolled_up & set(names_in(c.tree)[0]) for c in conditions)


def _with_whole_account_tiers(frame: pl.DataFrame, ruleset: Ruleset, as_of: datetime,
                              accounts: pl.DataFrame) -> pl.DataFrame:
    """The requested leads' rows with the account tiers and figures of a run over every contact
    (``accounts``: its ``--rollup account`` rows), and their route, flags, SLA and nurture track
    computed again from those (the owners stay unread)."""
    figures = [figure_column(name) for name in ACCOUNT_FIGURES]
    whole = accounts.select(pl.col("account_id").alias(KEY_COLUMN), "account_tier",
                            *[pl.col(name).alias(figure_column(name)) for name in ACCOUNT_FIGURES])
    frame = frame.drop("account_tier", *figures, strict=False).join(whole, on=KEY_COLUMN, how="left",
                                                                     maintain_order="left")
    return apply_actions(frame.lazy(), ruleset, as_of).collect()


def _dimension_names(ruleset: Ruleset) -> list[str]:
    """The routing dimensions the ruleset defines (columns ``_route__<name>`` of the scored frame)."""
    routing = ruleset.actions.routing
    return [name for name, items in (("territory", routing.territories), ("segment", routing.segments),
                                     ("product_line", routing.product_lines)) if items]


def _next_step_columns(ruleset: Ruleset, as_of: datetime) -> list[pl.Expr]:
    """Columns the next step reads: each routing rule alone, each SLA's due time, the times as text.

    Times are read as text and due times as microseconds: an as-of near 9999-12-31 puts them past
    what Python's datetime holds.
    """
    actions = ruleset.actions
    exprs: list[pl.Expr] = []
    if actions.routing is not None:
        scope = routing_scope(ruleset, as_of, dict.fromkeys(_dimension_names(ruleset)))
        for i, rule in enumerate(actions.routing.rules):
            if rule.when is not None:
                scope.where = f"routing rule (route '{rule.route}')"
                exprs.append(compile_condition_at(rule.when, scope).alias(f"_nx_rule__{i}"))
    if actions.sla:
        as_of_utc = as_of_literal(as_of.astimezone(timezone.utc))
        for i, sla in enumerate(actions.sla):
            start = as_of_utc
            if sla.start_rules:
                start = pl.coalesce(pl.max_horizontal([pl.col(col_names(r)["last"]) for r in sla.start_rules]),
                                    start)
            exprs.append((start + pl.lit(timedelta(hours=sla.hours))).dt.epoch("us").alias(f"_nx_due__{i}"))
        exprs.append(pl.col("sla_due_at").dt.strftime(TIME_TEXT).alias("_nx_sla_due"))
    if actions.nurture is not None:
        exprs.append(pl.col("recheck_at").dt.strftime(TIME_TEXT).alias("_nx_recheck"))
    return exprs


def _route_step(ruleset: Ruleset, row: dict) -> RouteStep:
    routing = ruleset.actions.routing
    route = row.get("route")
    rule = None if route is None else next(
        i for i, r in enumerate(routing.rules) if r.when is None or row[f"_nx_rule__{i}"])
    saw = {name: row.get(f"_route__{name}") for name in _dimension_names(ruleset)}
    if ruleset.actions.accounts is not None:
        saw["account_tier"] = row.get("account_tier")
    owners = list(routing.owners(route)) if route is not None else []
    # As the run's rotation reads them (leadq.owners.capped_turns): an owner with share 0 takes no new lead,
    # whether away for the run (leadq.routing.with_owners_away sets it) or so in the ruleset.
    shares = routing.shares(route) if owners else ()
    away = [o for o in owners if o in routing.away]
    idle = [o for o, share in zip(owners, shares) if share == 0 and o not in routing.away]
    if route is None:
        owner = "none: no route"
    elif not owners:
        owner = f"none: route {route} has no owners"
    elif len(away) == len(owners):
        owner = f"none: every owner of route {route} is away"
    elif len(away) + len(idle) == len(owners):
        owner = f"none: route {route}'s owners take no new leads"
    else:
        owner = OWNER_NOTE
    return RouteStep(route, None if rule is None else rule + 1, "" if rule is None else routing.rules[rule].label,
                     saw, list(row.get("route_flags") or []), owners, owner,
                     route is not None and bool(routing.capacities(route)), away, idle)


def _sla_step(ruleset: Ruleset, row: dict, as_of_text: str) -> SlaStep | None:
    """The SLA the due time came from: the tier's or the route's, the earlier due time winning (a tie: the tier's)."""
    slas = ruleset.actions.sla
    routes = set(ruleset.actions.routing.routes) if ruleset.actions.routing is not None else set()
    by_tier = next((i for i, s in enumerate(slas) if s.key not in routes and s.key == row["tier"]), None)
    by_route = next((i for i, s in enumerate(slas) if s.key in routes and s.key == row.get("route")), None)
    route_wins = by_route is not None and (by_tier is None or row[f"_nx_due__{by_route}"] < row[f"_nx_due__{by_tier}"])
    chosen = by_route if route_wins else by_tier
    if chosen is None:
        return None
    sla = slas[chosen]
    lasts = {r: row.get(col_names(r)["last"]) for r in sla.start_rules}
    lasts = {r: t for r, t in lasts.items() if t is not None}
    event = max(lasts, key=lambda r: lasts[r]) if lasts else None  # a tie: the rule listed first
    return SlaStep(sla.key, "route" if route_wins else "tier", sla.hours, sla.procedure, row["_nx_sla_due"],
                   list(sla.start_rules), event, _plain(lasts[event]) if event else as_of_text)


def _nurture_step(ruleset: Ruleset, row: dict) -> NurtureStep | None:
    nurture = ruleset.actions.nurture
    if row["tier"] not in nurture.tiers:
        return None
    track = next((t for t in nurture.tracks if t.id == row.get("nurture_track")), None)
    if track is None:
        return NurtureStep(None, "", None, None)
    return NurtureStep(track.id, track.label, track.recheck_days, row.get("_nx_recheck"))


def _next_step(ruleset: Ruleset, row: dict, as_of_text: str) -> NextStep | None:
    if not has_next_step(ruleset):
        return None
    actions = ruleset.actions
    step = NextStep([name for name, present in (("routing", actions.routing is not None), ("sla", bool(actions.sla)),
                                                ("nurture", actions.nurture is not None)) if present])
    if actions.routing is not None:
        step.routing = _route_step(ruleset, row)
    if actions.sla:
        step.sla = _sla_step(ruleset, row, as_of_text)
    if actions.nurture is not None:
        step.nurture = _nurture_step(ruleset, row)
    return step


def explain_result(result: ScoreResult, lead_ids: Sequence[str], as_of: datetime,
                   account_tiers: pl.DataFrame | None = None) -> ExplainReport:
    """Build the explanations from a ``detail=True`` scoring result that holds the requested leads.

    ``account_tiers``: the accounts of a run over every contact (its ``--rollup account`` rows), for a
    ruleset whose routing or nurture reads the account tier or figures (:func:`actions_read_account_tier`).
    """
    ruleset = result.ruleset
    detail = result.detail
    assert detail is not None, "score with detail=True"
    extra, rule_values, tier_values = _explain_columns(ruleset, as_of)
    ranged = {name: f"keep::{col.column}" for name, col in ruleset.columns.items()
              if col.type is Type.NUMBER and f"keep::{col.column}" in detail.columns}
    extra += [parse_number(pl.col(raw).cast(pl.String),
                           ruleset.columns[name].number_format or ruleset.settings.number_format).alias(f"_plain__{name}")
              for name, raw in ranged.items()]
    frame = detail.filter(pl.col("lead_id").is_in(list(lead_ids)))
    if account_tiers is not None:
        frame = _with_whole_account_tiers(frame, ruleset, as_of, account_tiers)
    if has_next_step(ruleset):
        extra += _next_step_columns(ruleset, as_of)
    if extra:
        frame = frame.with_columns(extra)
    # The action times are read as text (_next_step_columns): an as-of near the year 9999 puts them past
    # what Python's datetime holds (score writes them as Polars does; reading them back raised OverflowError).
    frame = frame.drop(["sla_due_at", "recheck_at"], strict=False)
    rows = {row["lead_id"]: row for row in frame.to_dicts()}  # one row per requested lead
    codes = {d.code: d for d in ruleset.disqualifiers}
    shown_fields = [f for f in ruleset.columns if f != "lead_id"] + \
        [f for f in ruleset.account_columns if f not in ruleset.columns and f != "account_id"]
    as_of_text = _plain(as_of.astimezone(timezone.utc))
    log_given = result.stats.activity_log is not False
    leads = []
    for lead_id in lead_ids:
        row = rows[lead_id]
        rules = [_rule_explanation(r, row, rule_values.get(r.id, []), as_of, log_given,
                                   ruleset.settings.timezone) for r in ruleset.rules]
        steps, chosen_seen = [], False
        for i, tier in enumerate(ruleset.tiers):
            matched = True if tier.when is None else bool(row[f"_tier__{i}"])
            chosen = tier.name == row["tier"] and matched and not chosen_seen
            chosen_seen = chosen_seen or chosen
            steps.append(TierStep(tier.name, "otherwise" if tier.when is None else tier.when.text, matched, chosen,
                                  {k: _plain(row[f"_tsee__{i}__{k}"]) for k in tier_values[i]}))
        reasons = [Reason(c, codes[c].label, codes[c].category) for c in row["disqualification_reasons"] or []]
        finals = {r.id: r.points.final for r in rules}
        groups = []
        for g in ruleset.groups:
            total = sum(finals[rid] for rid in g.rules)
            groups.append(GroupExplanation(g.id, g.label, g.score, g.cap, list(g.rules), total,
                                           max(-g.cap, min(g.cap, total)), abs(total) > g.cap))
        lead = LeadExplanation(
            lead_id=lead_id,
            source_file=str(row.get("_source_file")), source_row=int(row.get("_source_row") or 0),
            fit_score=_num(row["fit_score"]), intent_score=_num(row["intent_score"]),
            total_score=_num(row["total_score"]), grade=row["grade"], grade_rule=_grade_rule(ruleset, row["grade"]),
            tier=row["tier"], disqualified=bool(row["disqualified"]), reasons=reasons, rules=rules, tiers=steps,
            explanation=row.get("explanation") or "", handoff="", groups=groups,
            fields={f: _plain(row.get(f)) for f in shown_fields if f in row},
            # Only text the contact itself holds: a blank the accounts export filled in was read from nothing.
            read_from={name: str(row[raw]).strip() for name, raw in ranged.items()
                       if row.get(name) is not None and row.get(raw) is not None and str(row[raw]).strip()
                       and row[f"_plain__{name}"] is None},
            next_step=_next_step(ruleset, row, as_of_text),
        )
        lead.handoff = handoff_line(lead)
        leads.append(lead)
    return ExplainReport(ruleset.name, ruleset.path, as_of.isoformat().replace("+00:00", "Z"), leads,
                         [] if log_given else [NO_LOG_NOTE])


# --------------------------------------------------------------------------- entry points


def _close_matches(wanted: str, pool: pl.Series, near: pl.Expr | None = None) -> list[str]:
    """Up to three values of ``pool`` (unique text) close to ``wanted``, the closest first.

    ``near``: a test on ``pl.col("value")`` that offers more candidates than those of about
    the same length (an address with the same name or domain: 'jo@acme.co' for 'jo@acme.co.uk').
    """
    # Narrow the candidates in Polars first (same length +-2), then let difflib rank a few thousand.
    # The lengths are signed: an unsigned difference wrapped, and shorter ids were never offered.
    keep = (pl.col("value").str.len_chars().cast(pl.Int64) - len(wanted)).abs() <= 2
    candidates = pool.rename("value").to_frame().filter(keep if near is None else keep | near) \
        .head(20_000)["value"].to_list()
    close = difflib.get_close_matches(wanted, candidates, n=3, cutoff=0.6)
    close.sort(key=lambda c: (-difflib.SequenceMatcher(None, wanted, c).ratio(), c))  # ties: by value
    return close


def _did_you_mean(close: list[str]) -> str:
    return f"; did you mean: {', '.join(repr(c) for c in close)}?" if close else ""


def _missing_message(result: ScoreResult, missing: list[str], all_ids: pl.Series, where: str) -> str:
    """Why requested ids were not scored: rejected (with the reason) or unknown (with close ids)."""
    parts = []
    lead_col = result.ruleset.columns["lead_id"].column
    rejects = result.rejects
    for lead_id in missing:
        hit = rejects.filter(pl.col(lead_col) == lead_id) if lead_col in rejects.columns else rejects.clear()
        if hit.height:
            parts.append(f"lead '{lead_id}' was rejected ({hit['source_file'][0]} row {hit['source_row'][0]}): "
                         f"{hit['reason'][0]}")
            continue
        if not all_ids.len():
            parts.append(f"no lead '{lead_id}' in {where}: it holds no leads")
            continue
        hint = _did_you_mean(_close_matches(lead_id, all_ids))
        if not hint and "@" in lead_id and "email" in result.ruleset.columns:
            hint = f"; to look a lead up by e-mail address, use --email {lead_id}"
        parts.append(f"no lead '{lead_id}' in {where}{hint}")
    return "; ".join(parts)


@dataclass
class EmailMatch:
    """A contact row whose e-mail address is one asked for."""

    lead_id: str
    source_file: str
    source_row: int


def _email_keys(emails: Sequence[str]) -> dict[str, str]:
    """Each address asked for -> the key it is matched on (trimmed, lower-cased, as de-duplication reads it).

    Raises:
        UsageError: an argument is no e-mail address (no '@').
    """
    keys = pl.Series("email", list(emails), dtype=pl.String).to_frame().select(email_key(pl.col("email")))
    out = dict(zip(emails, keys.to_series().to_list()))
    bad = next((e for e, k in out.items() if k is None), None)
    if bad is not None:
        raise UsageError(f"--email '{bad}' is no e-mail address (it has no '@'); give a lead id with --lead instead")
    return out


def leads_by_email(ruleset: Ruleset, contacts: pl.LazyFrame, emails: Sequence[str], label: str
                   ) -> dict[str, list[EmailMatch]]:
    """The contact rows of each e-mail address, matched trimmed and case-insensitively, in input order.

    Reads two columns of the contacts (lead id and e-mail); an address without rows maps to ``[]``.

    Raises:
        UsageError: the ruleset maps no e-mail column, or an argument is no e-mail address.
        MissingColumnsError: the contacts lack the lead id or e-mail column.
    """
    if "email" not in ruleset.columns:
        raise UsageError(f"--email: ruleset '{ruleset.name}' ({ruleset.path}) maps no e-mail column; add one "
                         "under columns: (email: <column of the export>), or explain the lead by its id")
    keys = _email_keys(emails)
    schema = contacts.collect_schema()
    if not any(not c.startswith("_source_") for c in schema):  # zero bytes: no columns, no leads
        return {e: [] for e in emails}
    lead_col, email_col = ruleset.columns["lead_id"], ruleset.columns["email"]
    check_columns(schema, {"lead_id": lead_col, "email": email_col}, {"lead_id", "email"}, label)
    rows = (contacts.select(email_key(pl.col(email_col.column).cast(pl.String)).alias("key"),
                            pl.col(lead_col.column).cast(pl.String).str.strip_chars().alias("lead_id"),
                            "_source_file", "_source_row")
            .filter(pl.col("key").is_in(list(set(keys.values()))) & pl.col("lead_id").is_not_null())
            .collect())  # the rows of the addresses asked for: a handful
    out: dict[str, list[EmailMatch]] = {}
    for email, key in keys.items():
        hits = rows.filter(pl.col("key") == key).unique("lead_id", keep="first", maintain_order=True)
        out[email] = [EmailMatch(r["lead_id"], str(r["_source_file"]), int(r["_source_row"]))
                      for r in hits.iter_rows(named=True)]
    return out


def _email_problem(email: str, matches: list[EmailMatch], scored: set[str], result: ScoreResult,
                   contacts: pl.LazyFrame, where: str) -> str:
    """Why an e-mail address gives no one lead to explain: none has it, its leads were rejected, or several."""
    if not matches:
        ruleset = result.ruleset
        schema = contacts.collect_schema()
        if "email" not in ruleset.columns or ruleset.columns["email"].column not in schema:
            return f"no lead with e-mail '{email}' in {where}: it holds no leads"
        pool = (contacts.select(email_key(pl.col(ruleset.columns["email"].column).cast(pl.String)))
                .collect().to_series().drop_nulls().unique().sort())
        if not pool.len():
            return f"no lead with e-mail '{email}' in {where}: it holds no addresses"
        wanted = _email_keys([email])[email]  # as the pool's: 'Jo <JO@acme.com>' is 'jo@acme.com'
        name, _, domain = wanted.rpartition("@")
        parts = pl.col("value").str.split("@")
        near = (parts.list.first() == name) | (parts.list.last() == domain)
        return f"no lead with e-mail '{email}' in {where}{_did_you_mean(_close_matches(wanted, pool, near))}"
    hits = [m for m in matches if m.lead_id in scored]
    if not hits:  # every row of the address was rejected: say why, as for an id
        return _missing_message(result, [m.lead_id for m in matches], pl.Series([], dtype=pl.String), where)
    rows = ", ".join(f"'{m.lead_id}' ({m.source_file} row {m.source_row})" for m in hits)
    return (f"{len(hits)} leads have the e-mail '{email}': {rows}; explain one by its id (--lead {hits[0].lead_id}) "
            "or all of them (" + " ".join(f"--lead {m.lead_id}" for m in hits) + ")")


def explain_frames(
    ruleset: Ruleset,
    contacts: pl.LazyFrame,
    lead_ids: Sequence[str],
    events: pl.LazyFrame | None = None,
    accounts: pl.LazyFrame | None = None,
    *,
    as_of: datetime,
    emails: Sequence[str] = (),
    contacts_label: str = "contacts",
    events_label: str = "activities",
    contacts_files: Sequence[InputFile] = (),
    events_files: Sequence[InputFile] = (),
    accounts_files: Sequence[InputFile] = (),
) -> ExplainReport:
    """Score only ``lead_ids`` and the leads of ``emails``, and explain each (``*_files``: as for
    :func:`leadq.pipeline.score_frames`).

    An e-mail address names the one scored lead that has it (trimmed, any case): with
    ``dedupe_on: [email]`` the lead kept of its duplicates. Its leads come after ``lead_ids``.

    Raises:
        UsageError: no lead id or address, too many, an address that is none, or no e-mail column mapped.
        InputError: a lead id is not in the contacts (with close ids), or its row was rejected; an
            address no lead has (with close ones), or that several scored leads have (listed, with how
            to pick one).
    """
    ids = list(dict.fromkeys(str(i).strip() for i in lead_ids))
    addresses = list(dict.fromkeys(str(e).strip() for e in emails))
    if not ids and not addresses:
        raise UsageError("give at least one lead id")
    if len(ids) + len(addresses) > MAX_LEADS:
        raise UsageError(f"{len(ids) + len(addresses)} leads asked for; explain reads at most {MAX_LEADS} "
                         "(use `leadq score` for more)")
    by_email = leads_by_email(ruleset, contacts, addresses, contacts_label) if addresses else {}
    candidates = list(dict.fromkeys(ids + [m.lead_id for ms in by_email.values() for m in ms]))
    schema = contacts.collect_schema()
    # Number columns held as text ride along, so that a value read from "51-200" can say so.
    taken = {*OUTPUT_COLUMNS, *routing_output_columns(ruleset), "account_tier"}  # names keep_columns refuses
    keep = sorted({col.column for col in ruleset.columns.values() if col.type is Type.NUMBER
                   and schema.get(col.column) == pl.String and col.column not in taken})
    result = score_frames(ruleset, contacts, events, accounts, as_of=as_of, detail=True, lead_ids=candidates,
                          keep_columns=keep, contacts_label=contacts_label, events_label=events_label, contacts_files=contacts_files,
                          events_files=events_files, accounts_files=accounts_files)
    found = set(result.detail["lead_id"].to_list()) if result.detail is not None else set()
    problems = []
    missing = [i for i in ids if i not in found]
    if missing:
        lead_col = ruleset.columns["lead_id"].column
        if lead_col in schema:
            all_ids = contacts.select(pl.col(lead_col).cast(pl.String).str.strip_chars()).collect().to_series() \
                .drop_nulls().unique()
        else:  # an empty file (no header): Polars would name only the _source_* columns
            all_ids = pl.Series(lead_col, [], dtype=pl.String)
        problems.append(_missing_message(result, missing, all_ids, contacts_label))
    chosen = list(ids)
    for email, matches in by_email.items():
        scored = [m.lead_id for m in matches if m.lead_id in found]
        if len(scored) == 1:  # with dedupe_on: [email], the lead kept of the address's duplicates
            chosen.append(scored[0])
        else:
            problems.append(_email_problem(email, matches, found, result, contacts, contacts_label))
    if problems:
        raise InputError("; ".join(problems))
    chosen = list(dict.fromkeys(chosen))
    account_tiers = None
    if actions_read_account_tier(ruleset):  # the tiers of whole accounts, not of the leads explained
        whole = score_frames(ruleset, contacts, events, accounts, as_of=as_of, contacts_label=contacts_label,
                             events_label=events_label, contacts_files=contacts_files, events_files=events_files,
                             accounts_files=accounts_files, rollup="account")
        account_tiers = whole.accounts
    return explain_result(result, chosen, as_of, account_tiers)


def _label(specs: Sequence[str]) -> str:
    """The inputs as messages name them: standard input as ``<stdin>``, as a scored row's source file does."""
    return ", ".join(STDIN_LABEL if spec == STDIN else spec for spec in specs)


def explain_leads(
    ruleset: Ruleset,
    contact_specs: Sequence[str],
    lead_ids: Sequence[str],
    activity_specs: Sequence[str] = (),
    account_specs: Sequence[str] = (),
    *,
    as_of: datetime,
    options: ReadOptions = ReadOptions(),
    emails: Sequence[str] = (),
) -> ExplainReport:
    """Read the input files (paths, globs or ``-``) and explain the given leads (by id, or by e-mail address)."""
    if list(activity_specs).count(STDIN) + list(contact_specs).count(STDIN) + list(account_specs).count(STDIN) > 1:
        raise UsageError("only one input can come from stdin ('-')")
    # A row blank in every mapped column has no lead id: it cannot be one of the leads explained, so
    # the other columns need not be parsed to tell it from a blank row (no count check, unlike a run).
    contacts = read_input_files(contact_specs, options, row_columns={c.column for c in ruleset.columns.values()})
    events = read_activity_files(activity_specs, ruleset, options=options) if ruleset.event_rules else []
    accounts = read_account_files(account_specs, ruleset, options=options)
    contacts_label = _label(contact_specs)
    try:
        return explain_frames(ruleset, concat_inputs(contacts), lead_ids, concat_inputs(events) if events else None,
                              concat_inputs(accounts) if accounts else None, as_of=as_of, emails=emails,
                              contacts_label=contacts_label, events_label=_label(activity_specs),
                              contacts_files=contacts, events_files=events, accounts_files=accounts)
    except pl.exceptions.PolarsError as exc:
        from leadq.inputs import input_error_from_polars

        raise input_error_from_polars(exc, contacts_label) from exc
