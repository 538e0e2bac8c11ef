"""The figures of a scoring run, as plain data (for JSON and for the terminal report).

Nothing here draws: :mod:`leadq.report` renders these dataclasses with rich,
and ``--summary-json`` writes :meth:`RunSummary.to_dict` as it is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable

import polars as pl

from leadq.pipeline import ScoreResult

# The version of the --summary-json document: raised when a key is renamed or removed, or its
# meaning changes; new keys may appear without it.
SUMMARY_SCHEMA_VERSION = 1

INTENT_BANDS = (("none", None, 0.0), ("low", 0.0, 20.0), ("medium", 20.0, 40.0), ("high", 40.0, None))


@dataclass
class Count:
    """A labelled count with its share of the scored leads.

    ``label`` is the ruleset's text for the name: a disqualifier's ``label``, a tier's ``description``
    (the first of its tiers that has one); grades have none (""). ``category`` is a disqualifier's
    category (bad_fit or bad_timing); tiers and grades have none in a ruleset ("").
    """

    name: str
    count: int
    share: float
    label: str = ""
    category: str = ""


@dataclass
class RunSummary:
    """Everything the end-of-run summary shows."""

    ruleset: str
    as_of: str
    input_rows: int
    scored: int
    rejected: int
    files: list[dict]
    rejected_by_reason: dict[str, int]
    duplicates: int
    tiers: list[Count]
    grades: list[Count]
    reasons: list[Count]
    matrix_grades: list[str]
    matrix_bands: list[str]
    matrix: list[list[int]]
    events: dict[str, int]
    blanked_values: dict[str, int]
    ranged_values: dict[str, int]  # column -> values read from a range or an abbreviation ("51-200", "2.5M")
    missing_columns: list[str]
    partly_missing_columns: dict[str, list[str]] = field(default_factory=dict)  # file -> mapped columns it lacks
    report_rows: dict[str, dict] = field(default_factory=dict)  # file -> header_row, rows_above, rows_below, unit
    error_cells: dict[str, list[dict]] = field(default_factory=dict)  # file -> workbook error cells in mapped columns
    outputs: dict[str, str] = field(default_factory=dict)
    elapsed_seconds: float | None = None
    funnel: dict | None = None
    unmatched_titles: int | None = None  # non-blank job titles no seniority pattern matched (None: no titles)
    # The most frequent of them, [{title, count}], at most 5 (None: no titles, or the engine did not list them)
    unmatched_titles_top: list[dict] | None = None
    routing: dict | None = None  # routes, unrouted, owners, away, capacity, unassigned, flags, sla_*, ...
    accounts: dict | None = None  # accounts, tiers (with --rollup account)
    # With --accounts: the file's rows, duplicate ids, and the contacts whose account id it has or lacks
    # (rows, rows_without_id, duplicate_ids, contacts_with_account_id, matched, unmatched, examples, likely_same)
    accounts_file: dict | None = None
    changes: dict | None = None  # since the --previous output (leadq.changes.compare_with_previous)
    # Scored leads created after the as-of time (None: the ruleset maps no created_at, or the engine did not
    # count them); kept in the output, counted here as calibrate and funnel count theirs.
    leads_created_after_as_of: int | None = None
    # {"exit_code", "error"} when the run fails after writing its outputs (--strict, --max-rejects: exit 1);
    # the document then says "status": "failed" and keeps the figures of the files it wrote.
    failure: dict | None = None

    def to_dict(self) -> dict:
        """A JSON-ready dict (the schema documented in the README): its version, leadq's and the status first."""
        from leadq import __version__

        body = asdict(self)
        failure = body.pop("failure")
        return {"schema_version": SUMMARY_SCHEMA_VERSION, "leadq_version": __version__,
                "status": "failed" if failure else "ok", **(failure or {}), **body}


def untimed_events(events: dict) -> str:
    """The events a run dropped for want of a readable time, in a few words (``events.no_readable_time``):
    "21 of 21 events (100%) without a readable time in 'Activity Date'"; "" when there are none."""
    lost = events.get("no_readable_time") or 0
    if not lost:
        return ""
    read = events["read"]
    column = (events.get("unreadable_time_examples") or {}).get("column")
    share = f"{lost * 100 / read:.1f}".removesuffix(".0") if read else "0"
    return (f"{lost:,} of {read:,} event{'s' if read != 1 else ''} ({share}%) without a readable time"
            + (f" in '{column}'" if column else ""))


def untimed_events_error(summary: RunSummary, strict: bool, exceeded: Callable[[int, int], bool] | None = None,
                         limit: str = "") -> str | None:
    """Why a run fails (exit 1, once its outputs are written) for the events it dropped without a readable
    time, or None.

    Such an event is counted by no rule, as a rejected contact is scored by none: ``--strict`` fails on
    any, and ``--max-rejects`` (``exceeded(dropped, events read)``, its text ``limit``) applies its limit
    to them apart from the contacts: more than N events, or more than P percent of the events read. An
    event without a lead id is no such event: web logs hold anonymous visits.
    """
    what = untimed_events(summary.events)
    if not what:
        return None
    fix = (summary.events.get("unreadable_time_examples") or {}).get("fix")
    see = f"set {fix}" if fix else "leadq validate RULESET --activities LOG shows examples"
    if strict:
        return f"{what}, counted by no rule (--strict); {see}"
    if exceeded is not None and exceeded(summary.events["no_readable_time"], summary.events["read"]):
        return f"{what}, counted by no rule, over --max-rejects {limit}; {see} (the outputs were written)"
    return None


def failed_run(exit_code: int, error: str, *, ruleset: str | None, as_of: str | None) -> dict:
    """The --summary-json document of a run that stopped before its figures existed (exit 3, 4, 5 ...).

    Written over the previous run's summary, so that a monitor reading the file does not take an old
    success for today's: ``status`` is "failed" and ``exit_code`` and ``error`` say why. ``ruleset``
    and ``as_of`` are None when the run stopped before they were known.
    """
    from leadq import __version__

    return {"schema_version": SUMMARY_SCHEMA_VERSION, "leadq_version": __version__, "status": "failed",
            "exit_code": exit_code, "error": error, "ruleset": ruleset, "as_of": as_of}


def count_by(frame: pl.DataFrame, column: str) -> dict:
    """Rows per value of ``column`` (a group-by; one dict entry per distinct value, never per row)."""
    if not frame.height:
        return {}
    per = frame.group_by(column).len()
    return dict(zip(per[column].to_list(), per["len"].to_list()))


def _counts(frame: pl.DataFrame, column: str, order: list[str], total: int,
            labels: dict[str, str] | None = None) -> list[Count]:
    got = count_by(frame, column)
    names = order + sorted(k for k in got if k not in order and k is not None)
    labels = labels or {}
    return [Count(n, int(got.get(n, 0)), (got.get(n, 0) / total) if total else 0.0, labels.get(n, ""))
            for n in names]


def _tier_labels(rs) -> dict[str, str]:
    """Each tier name's description: the first of its tiers that has one (a name may have several tiers)."""
    labels: dict[str, str] = {}
    for tier in rs.tiers:
        if tier.description and not labels.get(tier.name):
            labels[tier.name] = tier.description
    return labels


def intent_band(expr: pl.Expr) -> pl.Expr:
    """The intent band of a score: none (<= 0), low (< 20), medium (< 40), high."""
    out = pl.lit("high")
    for name, low, high in reversed(INTENT_BANDS[:-1]):
        out = pl.when(expr <= 0 if low is None else expr < high).then(pl.lit(name)).otherwise(out)
    return out


def summarise(result: ScoreResult) -> RunSummary:
    """Build the run's figures from a :class:`~leadq.pipeline.ScoreResult`."""
    scored = result.scored
    rs = result.ruleset
    total = scored.height
    stats = result.stats
    tiers = _counts(scored, "tier", list(rs.tier_names), total, _tier_labels(rs))
    grades = _counts(scored, "grade", list(rs.grade_letters), total)
    # Every reason code of the ruleset, in its order, 0 included: a monitoring step's keys stay put day to day.
    got = count_by(scored.select(pl.col("disqualification_reasons").explode().alias("code")).drop_nulls(), "code") \
        if total else {}
    first = {d.code: d for d in reversed(rs.disqualifiers)}  # a code given twice: its first label
    reasons = [Count(code, int(got.get(code, 0)), got.get(code, 0) / total if total else 0.0,
                     first[code].label, first[code].category)
               for code in dict.fromkeys(d.code for d in rs.disqualifiers)]
    bands = [b[0] for b in INTENT_BANDS]
    letters = list(rs.grade_letters)
    matrix = [[0] * len(bands) for _ in letters]
    if total:
        cells = scored.select("grade", intent_band(pl.col("intent_score")).alias("band")) \
            .group_by("grade", "band").len()
        for grade, band, n in zip(cells["grade"].to_list(), cells["band"].to_list(), cells["len"].to_list()):
            if grade in letters:
                matrix[letters.index(grade)][bands.index(band)] = int(n)
    return RunSummary(
        ruleset=rs.name,
        as_of=stats.as_of.isoformat().replace("+00:00", "Z"),
        input_rows=stats.input_rows,
        scored=total,
        rejected=stats.rejected,
        files=stats.files,
        rejected_by_reason=stats.rejected_by_reason,
        duplicates=stats.duplicates,
        tiers=tiers,
        grades=grades,
        reasons=reasons,
        matrix_grades=letters,
        matrix_bands=bands,
        matrix=matrix,
        events={"read": stats.events_read, "unreadable": stats.events_unreadable,
                "unknown_lead": stats.events_unknown_lead, "up_to_as_of": stats.events_scored,
                **({"by_rule": stats.events_by_rule} if stats.events_by_rule else {}),
                **({"unknown_lead_examples": stats.events_unknown_examples} if stats.events_unknown_examples else {}),
                **({"no_readable_time": stats.events_untimed} if stats.events_untimed is not None else {}),
                **({"unreadable_time_examples": stats.events_untimed_examples}
                   if stats.events_untimed_examples else {}),
                **({"log_given": stats.activity_log} if stats.activity_log is not None else {})},
        blanked_values=stats.blanked_values,
        ranged_values=stats.ranged_values,
        missing_columns=stats.missing_columns,
        partly_missing_columns=stats.partly_missing_columns,
        report_rows=stats.report_rows,
        error_cells=stats.error_cells,
        funnel=_funnel(result),
        unmatched_titles=stats.unmatched_titles if "job_title" in rs.columns else None,
        unmatched_titles_top=stats.unmatched_titles_top if "job_title" in rs.columns else None,
        routing=_routing(result),
        accounts=_accounts(result),
        accounts_file=stats.accounts_file,
        leads_created_after_as_of=stats.created_after_as_of,
    )


def _named_counts(frame: pl.DataFrame, column: str, order: tuple[str, ...]) -> dict[str, int]:
    """Rows per name: every name of the ruleset (``order``), 0 included, then any other value found."""
    got = count_by(frame, column)
    return {name: int(got.get(name, 0))
            for name in list(order) + sorted(k for k in got if k is not None and k not in order)}


def _routing(result: ScoreResult) -> dict | None:
    """Leads per route, per flag and per nurture track, and SLA figures (None without a routing section)."""
    actions = result.ruleset.actions
    scored = result.scored
    if actions is None or (actions.routing is None and not actions.sla and actions.nurture is None):
        return None
    out: dict = {}
    if actions.routing is not None and "route" in scored.columns:
        out["routes"] = _named_counts(scored, "route", actions.routing.routes)
        out["unrouted"] = int(scored["route"].null_count())
        out.update(_owner_counts(scored, actions.routing))
        if "route_flags" in scored.columns:
            flags = scored.select(pl.col("route_flags").explode().alias("flag")).drop_nulls()
            out["flags"] = _named_counts(flags, "flag", tuple(f.id for f in actions.routing.flags))
    if actions.sla and "sla_due_at" in scored.columns:
        due = scored["sla_due_at"]
        out["sla_due"] = int(due.is_not_null().sum())
        out["sla_overdue"] = int((due < result.stats.as_of).sum())  # already past due at the as-of time
    if actions.nurture is not None and "nurture_track" in scored.columns:
        out["nurture_tracks"] = _named_counts(scored, "nurture_track", tuple(t.id for t in actions.nurture.tracks))
    return out


def _owner_counts(scored: pl.DataFrame, routing) -> dict:
    """Leads per owner of each route with owners (every owner, 0 included), owners away, the capacities of
    the routes that have them, and the leads of those routes left without an owner (every owner away, or
    every owner at capacity)."""
    routes = [route for route in routing.routes if routing.owners(route)]
    if not routes or "owner" not in scored.columns:
        return {}
    got = scored.filter(pl.col("route").is_in(routes)).group_by("route", "owner").len()
    counts = {(r, o): int(n) for r, o, n in zip(got["route"].to_list(), got["owner"].to_list(), got["len"].to_list())}
    capacities = {route: dict(zip(routing.owners(route), routing.capacities(route)))
                  for route in routes if routing.capacities(route)}
    return {"owners": {route: {owner: counts.get((route, owner), 0) for owner in routing.owners(route)}
                       for route in routes},
            "away": list(routing.away),
            "capacity": capacities,
            "unassigned": {route: counts.get((route, None), 0) for route in routes}}


def _accounts(result: ScoreResult) -> dict | None:
    """Accounts per account tier (None unless the run rolled up accounts)."""
    if result.accounts is None:
        return None
    tiers = tuple(dict.fromkeys(t.name for t in result.ruleset.actions.accounts.tiers))
    return {"accounts": result.accounts.height, "tiers": _named_counts(result.accounts, "account_tier", tiers)}


def _funnel(result: ScoreResult) -> dict | None:
    """The compact funnel (stage counts and rates) when the run kept its detail and the input has stage dates."""
    if result.detail is None:
        return None
    from leadq.funnel import compact_funnel_of

    return compact_funnel_of(result)
