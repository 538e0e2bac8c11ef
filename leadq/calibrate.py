"""Back-testing a ruleset on history whose outcome is known, as plain data.

``leadq calibrate`` scores past leads and sets the scores against what really
happened to them (reached SQL, opportunity or won, or any yes/no or date
column of the export). Every figure is computed with Polars expressions over
the scored frame (:mod:`leadq.calibrate_figures`, one function per figure);
this module chooses the leads and the sales tiers and assembles the report.
:mod:`leadq.calibrate_report` draws the result and ``--json`` writes
:meth:`CalibrationReport.to_dict` as it is.

Definitions used throughout:

* **converted**: the outcome is true for the lead (see :mod:`leadq.outcome`);
  **base rate** = converted / scored leads. A stage outcome (``sql``,
  ``opportunity``, ``won``) is "reached the stage" exactly as ``leadq funnel``
  decides it (:func:`leadq.funnel.reached`): a date of the stage or a later
  one, or a ``lifecycle_stage`` at or past it (``funnel.lifecycle_stages``).
  A lead that reached it by its lifecycle stage alone has no conversion date:
  it counts as converted, and the report counts such leads. Unlike
  ``funnel --as-of``, dates after ``--as-of`` count: what happened after the
  scoring time is what is tested.
* **rate** of a segment = converted / leads in the segment; **lift** = rate /
  base rate (1.0 = no better than picking leads at random).
* **score decile** k (1..10, 10 = highest scores): ``floor(10 * below / n) + 1``
  where ``below`` counts leads with a strictly lower total score, so tied
  scores always share a decile (some deciles may then be empty). Under ten
  leads there are fewer leads than deciles: each distinct total score is a
  band instead, numbered 1 (lowest) up to the number of distinct scores.
* **leads in the back-test**: the leads that existed at ``--as-of``. A lead
  created after it could not have been scored then; counting it would let the
  future into the figures, so it is left out (and counted). A lead with no
  creation date (blank, unreadable, or no ``created_at`` mapped at all) is
  kept: nothing says it did not exist, and leaving out every lead of a ruleset
  that maps no creation date would leave nothing to test; the report says so.
* **ROC AUC** of the total score: the Mann-Whitney statistic with average
  ranks for ties, ``(sum of ranks of converted - n1 (n1 + 1) / 2) / (n1 n0)``:
  the chance that a random converted lead outscores a random other lead.
* **sales tiers**: the tiers that hand leads to sales. By default every tier
  name except the catch-all tier's (``otherwise: true``), tiers named
  ``disqualified`` or ``nurture``, and tiers whose whole condition is a
  verdict flag (``bad_fit``, ``bad_timing``, ``disqualified``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Sequence
from zoneinfo import ZoneInfo

import polars as pl

from leadq.calibrate_figures import (
    AuditRow, Classifier, Decile, RuleEvidence, Segment, Suggestion, audit, classifiers, deciles, ratio, roc_auc,
    rule_evidence, score_bands, segments, suggestion, threshold_curve,
)
from leadq.cleaning import UTC, map_columns
from leadq.conditions import Compare, Literal, Logical, Name, Node, Not, Type
from leadq.errors import InputError, UsageError, did_you_mean
from leadq.funnel import lifecycle_rank, reached, stage_evidence
from leadq.funnel_settings import FunnelSettings
from leadq.inputs import input_error_from_polars
from leadq.outcome import CONVERTED as _Y
from leadq.outcome import STAGES as OUTCOME_STAGES
from leadq.outcome import Outcome, outcome_column, resolve_outcome
from leadq.pipeline import reason_counts
from leadq.rescoring import InputFrames, score_detail
from leadq.ruleset import Ruleset

HOLDING_TIER_NAMES = ("disqualified", "nurture")
NO_LEAD_SCORED = "no lead was scored"
VERDICT_FLAGS = ("bad_fit", "bad_timing", "disqualified")


# --------------------------------------------------------------------------- report data


@dataclass
class CalibrationReport:
    """Everything ``leadq calibrate`` shows."""

    ruleset: str
    as_of: str
    outcome: str
    outcome_description: str
    leads: int
    converted: int
    base_rate: float | None
    sales_tiers: list[str]
    tiers: list[Segment]
    grades: list[Segment]
    deciles: list[Decile]
    auc: float | None
    classifiers: list[Classifier]
    rules: list[RuleEvidence]
    mean_score_converted: float | None
    mean_score_not_converted: float | None
    median_score_converted: float | None
    suggestions: list[Suggestion]
    audit: list[AuditRow]
    disqualified_converted: int
    nurtured_converted: int
    rejected: int  # rows rejected (not scored); with a creation window, those created in it
    notes: list[str] = field(default_factory=list)
    score_bands: int = 10  # bands of ``deciles``: 10, or under ten leads one a distinct total score
    created_after_as_of: int = 0  # leads left out: created after the as-of time
    unreadable_dates: dict[str, int] = field(default_factory=dict)  # CRM column -> cells that are not a date
    # --since/--until as given ({"since", "until"}: days of settings.timezone, None when open); None without
    creation_window: dict[str, str | None] | None = None
    # With a creation window: rejected rows whose creation date is blank or unreadable, which the window
    # cannot place; not in ``rejected``.
    rejected_without_creation_date: int = 0
    # Stage outcomes: converted leads that reached the stage by their lifecycle stage alone, without a date
    # of the stage or a later one (counted as converted, with no conversion date).
    converted_without_date: int = 0

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)


# --------------------------------------------------------------------------- tiers and thresholds


def default_sales_tiers(ruleset: Ruleset) -> list[str]:
    """Tier names that hand leads to sales (see the module docstring for the rule)."""
    holding = set(HOLDING_TIER_NAMES)
    for t in ruleset.tiers:
        if t.when is None or (isinstance(t.when.tree, Name) and t.when.tree.name in VERDICT_FLAGS):
            holding.add(t.name)
    return [n for n in ruleset.tier_names if n not in holding]


def _walk(node: Node):
    yield node
    if isinstance(node, Logical):
        for op in node.operands:
            yield from _walk(op)
    elif isinstance(node, Not):
        yield from _walk(node.operand)


def total_thresholds(ruleset: Ruleset, tiers: Sequence[str]) -> list[tuple[str, float, str]]:
    """``(op, value, tier)`` for every ``total >= N`` / ``total > N`` test in the given tiers' conditions."""
    flipped = {"<=": ">=", "<": ">"}
    found: list[tuple[str, float, str]] = []
    for t in ruleset.tiers:
        if t.name not in tiers or t.when is None:
            continue
        for node in _walk(t.when.tree):
            if not isinstance(node, Compare):
                continue
            left, right, op = node.left, node.right, node.op
            if isinstance(right, Name) and isinstance(left, Literal):
                left, right, op = right, left, flipped.get(op, "")
            if (isinstance(left, Name) and left.name == "total" and isinstance(right, Literal)
                    and isinstance(right.value, (int, float)) and not isinstance(right.value, bool)
                    and op in (">=", ">")):
                item = (op, float(right.value), t.name)
                if not any(f[:2] == item[:2] for f in found):
                    found.append(item)
    return found


def check_options(ruleset: Ruleset, *, target_precision: float | None = None, target_volume: int | None = None,
                  sales_tiers: Sequence[str] | None = None) -> list[str]:
    """Check the options that need only the ruleset, before anything is read; return the sales tiers.

    Raises:
        UsageError: for an out-of-range target, or ``sales_tiers`` empty or naming a tier the ruleset
            does not have (the message lists the ruleset's tiers).
    """
    if target_precision is not None and not 0 < target_precision <= 1:
        percent = (f"; for {target_precision:g}% write {target_precision / 100:g}"
                   if 1 < target_precision <= 100 else "")
        raise UsageError(f"--target-precision must be in (0, 1], got {target_precision:g}{percent}")
    if target_volume is not None and target_volume < 1:
        raise UsageError(f"--target-volume must be at least 1, got {target_volume}")
    if sales_tiers is None:
        return default_sales_tiers(ruleset)
    names = list(ruleset.tier_names)
    if not sales_tiers:
        # An empty list would drop every "sent to sales" figure without a word.
        raise UsageError(f"--sales-tiers: no tier given; expected some of: {', '.join(names)} (leave the option "
                         f"out for the default: {', '.join(default_sales_tiers(ruleset)) or 'none'})")
    for t in sales_tiers:
        if t not in names:
            raise UsageError(f"--sales-tiers: unknown tier '{t}'{did_you_mean(t, names)}; "
                             f"expected one of: {', '.join(names)}")
    return list(dict.fromkeys(sales_tiers))


def calibrate_detail(
    detail: pl.DataFrame,
    converted: pl.Series,
    ruleset: Ruleset,
    *,
    outcome: Outcome,
    as_of: str,
    target_precision: float | None = None,
    target_volume: int | None = None,
    sales_tiers: Sequence[str] | None = None,
    rejected: int = 0,
) -> CalibrationReport:
    """Compute the calibration figures from a scored detail frame and its outcome.

    Args:
        detail: ``ScoreResult.detail`` of a scoring run (``detail=True``).
        converted: boolean outcome per row of ``detail``.
        ruleset: the ruleset that scored ``detail``.
        outcome: the resolved outcome (for the report's wording).
        as_of: the run's as-of time, as text.
        target_precision: find the lowest total score whose leads convert at least this often.
        target_volume: find the lowest total score that passes at most this many leads.
        sales_tiers: tier names counting as "sent to sales" (default: :func:`default_sales_tiers`).
        rejected: rows the scoring run rejected (reported, not scored).

    Raises:
        UsageError: as :func:`check_options`.
    """
    sales = check_options(ruleset, target_precision=target_precision, target_volume=target_volume,
                          sales_tiers=sales_tiers)
    names = list(ruleset.tier_names)
    frame = detail.with_columns(converted.alias(_Y))
    n = frame.height
    conv = int(frame[_Y].sum()) if n else 0
    base = ratio(conv, n)
    notes: list[str] = []
    if not n:
        notes.append(NO_LEAD_SCORED)
    elif not conv:
        notes.append("no lead converted: rates, lifts and AUC cannot be computed; check --outcome")
    elif conv == n:
        notes.append("every lead converted: there is nothing to rank; check --outcome")
    elif conv < ruleset.settings.small_segment:
        notes.append(f"only {conv} converted lead(s): figures are noisy")
    bands = score_bands(frame)
    if 0 < n < 10:
        notes.append(_few_leads_note(n, bands))

    predicates: list[tuple[str, pl.Expr]] = []
    if sales:
        predicates.append((f"tier in sales tiers ({', '.join(sales)})", pl.col("tier").is_in(sales)))
    for op, value, tier in total_thresholds(ruleset, sales):
        expr = pl.col("total_score") >= value if op == ">=" else pl.col("total_score") > value
        predicates.append((f"total {op} {value:g} (tier {tier})", expr))

    means = frame.select(
        pl.col("total_score").filter(pl.col(_Y)).mean().alias("mc"),
        pl.col("total_score").filter(~pl.col(_Y)).mean().alias("mn"),
        pl.col("total_score").filter(pl.col(_Y)).median().alias("md"),
        (pl.col("bad_fit") & pl.col(_Y)).sum().alias("dq"),
        (~pl.col("bad_fit") & pl.col("bad_timing") & pl.col(_Y)).sum().alias("nu"),
    ).row(0, named=True) if n else {"mc": None, "mn": None, "md": None, "dq": 0, "nu": 0}
    curve = threshold_curve(frame)
    suggestions = [s for s in (suggestion(curve, conv, target_precision, None),
                               suggestion(curve, conv, None, target_volume)) if s is not None]
    return CalibrationReport(
        ruleset=ruleset.name,
        as_of=as_of,
        outcome=outcome.spec,
        outcome_description=outcome.description,
        leads=n,
        converted=conv,
        base_rate=base,
        sales_tiers=sales,
        tiers=segments(frame, pl.col("tier"), names, base),
        grades=segments(frame, pl.col("grade"), list(ruleset.grade_letters), base),
        deciles=deciles(frame, base),
        auc=roc_auc(frame) if n else None,
        classifiers=classifiers(frame, predicates, conv),
        rules=rule_evidence(frame, ruleset, base),
        mean_score_converted=means["mc"],
        mean_score_not_converted=means["mn"],
        median_score_converted=means["md"],
        suggestions=suggestions,
        audit=audit(frame, ruleset, base),
        disqualified_converted=int(means["dq"] or 0),
        nurtured_converted=int(means["nu"] or 0),
        rejected=rejected,
        notes=notes,
        score_bands=bands,
    )


def _few_leads_note(leads: int, bands: int) -> str:
    """What the score table shows instead of deciles for fewer than ten leads (:func:`score_bands`)."""
    shown = "one band" if bands == 1 else f"{bands} bands, {bands} = the highest score"
    return (f"only {leads} lead{'' if leads == 1 else 's'}: too few for score deciles; the score table shows one "
            f"band per distinct total score instead ({shown})")


# --------------------------------------------------------------------------- entry points


def calibrate(
    ruleset: Ruleset,
    frames: InputFrames,
    *,
    outcome: str,
    as_of: datetime,
    target_precision: float | None = None,
    target_volume: int | None = None,
    sales_tiers: Sequence[str] | None = None,
    created_since: datetime | None = None,
    created_until: datetime | None = None,
) -> CalibrationReport:
    """Score the inputs and back-test the ruleset against ``outcome``.

    Leads created after ``as_of`` are left out (see "leads in the back-test" in the module
    docstring); a date cell of the outcome or of ``created_at`` that holds no date is read as
    blank, as ``leadq funnel`` reads it, and counted in the report.

    Args:
        created_since: keep only leads created at or after this time (e.g. the start of last quarter).
        created_until: keep only leads created before this time.

    Raises:
        UsageError: for an unknown outcome, a bad target, sales tier or creation window.
        InputError: when the inputs cannot be read or do not fit the ruleset, lack the outcome's
            column, or the outcome column holds values that are neither yes/no nor a date.
    """
    check_options(ruleset, target_precision=target_precision, target_volume=target_volume, sales_tiers=sales_tiers)
    window = created_since is not None or created_until is not None
    if window and "created_at" not in ruleset.columns:
        raise UsageError("--since/--until select leads by creation date, but the ruleset maps no created_at column")
    if created_since is not None and created_until is not None and created_since >= created_until:
        raise UsageError("--since must be before --until")
    if created_since is not None and created_since > as_of:
        # Every lead of the window was created after the as-of time, and so left out.
        raise UsageError(f"--since {_local_day(created_since, ruleset)} is after --as-of {_as_of_text(as_of)}: no "
                         "lead created in the window existed at the as-of time; give an earlier --since or a later "
                         "--as-of")
    try:
        columns = list(frames.contacts.collect_schema())
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, frames.contacts_label) from exc
    resolved, lifecycle = resolve_calibration_outcome(outcome, ruleset, columns, frames.contacts_label)
    date_fields = _typed_fields_read(resolved, ruleset)
    raw_dates = [ruleset.columns[f].column for f in date_fields if ruleset.columns[f].column in columns]
    result = score_detail(ruleset, frames, as_of, list(dict.fromkeys([*resolved.keep_columns, *raw_dates])))
    detail = result.detail
    if detail is None:  # pragma: no cover - score_frames always fills it with detail=True
        raise InputError("scoring returned no detail")
    if resolved.kind == "stage":
        converted, undated_conversion = stage_reached(detail, resolved, ruleset, lifecycle is not None)
    else:
        converted, undated_conversion = outcome_column(detail, resolved, ruleset, frames.contacts_label), None
    # Creation dates choose the leads: counted over every scored lead. The outcome's, over the leads kept.
    choosing = [f for f in date_fields if f not in resolved.fields]
    unreadable_created, created_notes = _unreadable_dates(detail, ruleset, choosing, resolved)
    keep, after, as_of_notes = _existing_at(detail, ruleset, as_of, result.stats.missing_columns, window)
    undated = int(detail["created_at"].null_count()) if window else 0
    rejected, rejected_by_reason, rejected_undated = result.stats.rejected, result.stats.rejected_by_reason, 0
    nothing_scored = not detail.height
    if window:
        in_window = _in_window(created_since, created_until)
        keep = keep & in_window
        # The rejected rows are counted as the leads are chosen: those created in the window.
        rejected, rejected_by_reason, rejected_undated = _rejects_in_window(result.rejects, ruleset, in_window)
        nothing_scored = not detail.select(in_window.sum()).item()
    mask = detail.select(keep.alias("keep")).to_series()
    detail, converted = detail.filter(mask), converted.filter(mask)
    deciding = [f for f in date_fields if f in resolved.fields]
    unreadable, unreadable_notes = _unreadable_dates(detail, ruleset, deciding, resolved, lifecycle)
    without_date = int(undated_conversion.filter(mask).sum()) if undated_conversion is not None else 0
    report = calibrate_detail(
        detail, converted, ruleset, outcome=resolved, as_of=as_of.isoformat().replace("+00:00", "Z"),
        target_precision=target_precision, target_volume=target_volume, sales_tiers=sales_tiers,
        rejected=rejected)
    report.created_after_as_of = after
    report.converted_without_date = without_date
    if lifecycle is not None:
        unreadable_notes[:0] = _absent_stage_columns(resolved, ruleset, columns, lifecycle)
    if without_date:
        unreadable_notes.append(_lifecycle_note(without_date, resolved, lifecycle))
    report.unreadable_dates = {**unreadable, **unreadable_created}
    if nothing_scored and rejected:
        report.notes = [_every_row_rejected(rejected_by_reason, window) if n == NO_LEAD_SCORED else n
                        for n in report.notes]
    # What chose the leads comes first: "no lead was scored" reads wrongly without it.
    report.notes[:0] = as_of_notes + created_notes + unreadable_notes
    if window:
        since = _local_day(created_since, ruleset) if created_since else "the start"
        until = f"before {_local_day(created_until, ruleset)}" if created_until else "up to now"
        report.outcome_description += f"; leads created from {since} {until}"
        report.creation_window = {"since": _local_day(created_since, ruleset) if created_since else None,
                                  "until": _local_day(created_until, ruleset) if created_until else None}
        report.rejected_without_creation_date = rejected_undated
        at = len(as_of_notes) + len(created_notes)
        if undated:
            # Such leads are outside any window; said, so that a blank Create Date column is noticed.
            report.notes.insert(at, f"{undated:,} lead(s) without a creation date (created_at) left out by "
                                    "--since/--until")
            at += 1
        if rejected_undated:
            report.notes.insert(at, f"{rejected_undated:,} rejected row(s) without a readable creation date "
                                    "(created_at) not counted as rejected: --since/--until cannot place them")
    return report


def resolve_calibration_outcome(spec: str, ruleset: Ruleset, contact_columns: Sequence[str],
                                label: str = "the contacts") -> tuple[Outcome, str | None]:
    """``--outcome`` resolved (:func:`leadq.outcome.resolve_outcome`), and the CRM column of ``lifecycle_stage``
    when a stage outcome reads it (else None).

    A stage outcome reads the lifecycle stage when the ruleset maps ``lifecycle_stage`` and the contacts
    have its column, as ``leadq funnel`` does: then it needs no date column (``--outcome won`` with
    HubSpot's "Customer" and no ``won_at``), and the stage's date columns the contacts lack are blank.

    Raises:
        UsageError, MissingColumnsError: as :func:`leadq.outcome.resolve_outcome`, when the lifecycle
            stage is not read.
    """
    name = spec.strip()
    stage = name.lower()
    life = ruleset.columns.get("lifecycle_stage")
    if stage not in OUTCOME_STAGES or life is None or life.column not in contact_columns:
        return resolve_outcome(spec, ruleset, contact_columns, label), None
    dates = [f for f in stage_evidence(stage) if f in ruleset.columns and ruleset.columns[f].column in contact_columns]
    label_ = stage.upper() if stage == "sql" else stage
    later = " or a later stage" if stage != "won" else ""
    set_ = f"{', '.join(dates)} set, or " if dates else ""
    desc = f"reached {label_}{later} ({set_}lifecycle stage '{life.column}' at or past it)"
    return Outcome(name, "stage", tuple(dates), desc), life.column


def stage_reached(detail: pl.DataFrame, outcome: Outcome, ruleset: Ruleset, lifecycle: bool
                  ) -> tuple[pl.Series, pl.Series]:
    """Whether each lead of ``detail`` reached the stage of a stage outcome, as ``leadq funnel`` decides it
    (:func:`leadq.funnel.reached`), and whether it did so with no date (its lifecycle stage alone).

    The stage's date fields not in ``outcome.fields`` (unmapped, or absent from the contacts) are blank;
    ``lifecycle``: ``detail``'s ``lifecycle_stage`` is read (ranked by ``funnel.lifecycle_stages``).
    """
    stage = outcome.spec.strip().lower()
    evidence = stage_evidence(stage)
    frame = detail.select(
        *(pl.col(c) if c in outcome.fields else pl.lit(None, dtype=UTC).alias(c) for c in evidence),
        *([pl.col("lifecycle_stage")] if lifecycle else []))
    rank = lifecycle_rank(frame, ruleset.funnel or FunnelSettings()) if lifecycle else pl.lit(0, dtype=pl.Int8)
    dated = pl.any_horizontal([pl.col(c).is_not_null() for c in evidence])
    got = frame.select(reached(stage, rank).alias(_Y)).with_columns(frame.select(dated.alias("_dated")))
    return got[_Y], got[_Y] & ~got["_dated"]


def _absent_stage_columns(outcome: Outcome, ruleset: Ruleset, contact_columns: Sequence[str],
                          lifecycle: str) -> list[str]:
    """A note naming the stage date columns the ruleset maps and the contacts lack, when the lifecycle stage
    stands in for them (without it they are an input error, :func:`leadq.outcome.resolve_outcome`)."""
    absent = [f for f in stage_evidence(outcome.spec.strip().lower())
              if f in ruleset.columns and ruleset.columns[f].column not in contact_columns]
    if not absent:
        return []
    names = ", ".join(f"'{ruleset.columns[f].column}' ({f})" for f in absent)
    return [f"the contacts have no column {names}: read as blank; the lifecycle stage '{lifecycle}' still "
            "counts"]


def _lifecycle_note(leads: int, outcome: Outcome, lifecycle: str | None) -> str:
    """How leads that reached the outcome's stage by their lifecycle stage alone were counted."""
    stage = outcome.spec.strip().lower()
    name = stage.upper() if stage == "sql" else stage
    fields = outcome.fields
    without = (f"no {fields[0]} date" if len(fields) == 1 else f"none of {', '.join(fields)} set" if fields
               else "no date column of it in the contacts")
    return (f"{leads:,} converted lead{'' if leads == 1 else 's'} reached {name} by lifecycle stage alone "
            f"('{lifecycle}' at or past it, {without}): counted as converted, as leadq funnel counts them")


def _in_window(since: datetime | None, until: datetime | None) -> pl.Expr:
    """Whether ``created_at`` falls in [since, until): false when it is blank."""
    created, inside = pl.col("created_at"), pl.lit(True)
    if since is not None:
        inside = inside & (created >= pl.lit(since, dtype=pl.Datetime("us", "UTC")))
    if until is not None:
        inside = inside & (created < pl.lit(until, dtype=pl.Datetime("us", "UTC")))
    return inside.fill_null(False)


def _rejects_in_window(rejects: pl.DataFrame, ruleset: Ruleset, in_window: pl.Expr
                       ) -> tuple[int, dict[str, int], int]:
    """The rejected rows created in the window: how many, how many by reason, and how many have no
    readable creation date (blank, unreadable, or no creation date column in the contacts).

    The rejects hold their raw values as text (:attr:`leadq.pipeline.ScoreResult.rejects`), typed
    here as the contacts are (:func:`leadq.cleaning.map_columns`; a date or number column of
    Parquet or Excel reads back from its text): no second pass over the contacts.
    """
    if not rejects.height:
        return 0, {}, 0
    col = ruleset.columns["created_at"]
    # The rejects' own columns come first; a raw column of the same name was renamed (leadq.pipeline).
    raw = f"{col.column} (input)" if col.column in ("source_file", "source_row", "reason") else col.column
    if raw not in rejects.columns:
        return 0, {}, rejects.height
    frame = rejects.lazy().select(pl.col(raw).alias("_created"), pl.col("reason").alias("_reason"))
    typed = map_columns(frame, pl.Schema({"_created": pl.String, "_reason": pl.String}),
                        {"created_at": replace(col, column="_created")}, ruleset.settings, keep=("_reason",))
    placed = typed.select(pl.col("keep::_reason").alias("_reason"), in_window.alias("_in"),
                          pl.col("created_at").is_null().alias("_undated")).collect()
    inside = placed.filter(pl.col("_in"))
    return inside.height, reason_counts(inside), int(placed["_undated"].sum())


def _local_day(moment: datetime, ruleset: Ruleset) -> str:
    """The day of the ruleset's time zone on which ``moment`` falls (a window bound as the user gave it)."""
    return moment.astimezone(ZoneInfo(ruleset.settings.timezone)).date().isoformat()


def _every_row_rejected(by_reason: dict[str, int], window: bool = False) -> str:
    """The "no lead was scored" note with why: an export the ruleset cannot read (US dates read as ISO,
    sizes as text) otherwise left only ``leadq score`` to find out. With a creation window, of the rows
    created in it."""
    reasons = "; ".join(f"{reason} {rows:,}" for reason, rows in by_reason.items())
    rows = "every row created in the window" if window else "every row"
    return f"{NO_LEAD_SCORED}: {rows} was rejected ({reasons})"


def _as_of_text(as_of: datetime) -> str:
    """The as-of time as the user most likely wrote it: a date at midnight UTC, else ISO with Z."""
    if (as_of.hour, as_of.minute, as_of.second, as_of.microsecond) == (0, 0, 0, 0):
        return as_of.date().isoformat()
    return as_of.isoformat().replace("+00:00", "Z")


def _existing_at(detail: pl.DataFrame, ruleset: Ruleset, as_of: datetime, missing_columns: Sequence[str],
                 window: bool) -> tuple[pl.Expr, int, list[str]]:
    """Which leads existed at ``as_of`` (an expression), how many were created after it, and notes.

    A lead without a creation date is kept (module docstring, "leads in the back-test"): with
    ``--since``/``--until`` the window leaves it out and says so; otherwise a note says the
    back-test could not check it.
    """
    if "created_at" not in ruleset.columns:
        return pl.lit(True), 0, ["the ruleset maps no created_at column: leads created after --as-of could not "
                                 "be told apart and are counted; map the creation date under columns"]
    column = ruleset.columns["created_at"].column
    if column in missing_columns:
        # With a window every lead is undated and left out by it, which its own note says.
        return pl.lit(True), 0, [] if window else [
            f"the contacts have no column '{column}' (created_at): leads created after --as-of could not be told "
            "apart and are counted"]
    cut = pl.lit(as_of, dtype=pl.Datetime("us", "UTC"))
    after_cut = (pl.col("created_at") > cut).fill_null(False)
    after, undated = detail.select(after_cut.sum().alias("after"),
                                   pl.col("created_at").null_count().alias("undated")).row(0)
    notes = []
    if after:
        notes.append(f"{after:,} lead{'' if after == 1 else 's'} created after --as-of {_as_of_text(as_of)} left out")
    if undated and not window:
        notes.append(f"{undated:,} lead{'' if undated == 1 else 's'} without a creation date (created_at) "
                     "counted: whether they existed at --as-of is unknown")
    return ~after_cut, int(after), notes


def _typed_fields_read(outcome: Outcome, ruleset: Ruleset) -> list[str]:
    """The ruleset's typed fields whose cells decide a lead's outcome or selection: the outcome's, and created_at."""
    fields = list(outcome.fields) if outcome.kind in ("stage", "field") else []
    if "created_at" in ruleset.columns:
        fields.append("created_at")
    return list(dict.fromkeys(fields))


def _unreadable_dates(detail: pl.DataFrame, ruleset: Ruleset, fields: Sequence[str], outcome: Outcome,
                      lifecycle: str | None = None) -> tuple[dict[str, int], list[str]]:
    """Cells of ``fields`` present but not readable as their type (``_bad__<field>``), per CRM column, and notes.

    Read as blank, as ``leadq funnel`` reads them ("unreadable dates (treated as blank)"), not
    refused: a "TBD" in 'SQL Date' is "not converted" unless a later stage's date is set. Counted
    over the leads of ``detail`` (the caller passes the leads the cells decide about). Each note
    names the column, the count, up to three of the values and what they were taken for.
    """
    flags = [f for f in fields if f"_bad__{f}" in detail.columns]
    if not flags:
        return {}, []
    counts = detail.select(pl.col(f"_bad__{f}").sum().alias(f) for f in flags).row(0, named=True)
    found, notes = {}, []
    for f in flags:
        if not counts[f]:
            continue
        column = ruleset.columns[f].column
        raw = f"keep::{column}"
        examples = (detail.filter(pl.col(f"_bad__{f}"))
                    .select(pl.col(raw).cast(pl.String).str.strip_chars().unique(maintain_order=True).head(3))
                    .to_series().to_list()) if raw in detail.columns else []
        found[column] = int(counts[f])
        kind = "dates" if ruleset.columns[f].type is Type.DATETIME else "values"
        shown = ", e.g. " + ", ".join(f"'{v}'" for v in examples) if examples else ""
        if f == "created_at" and f not in outcome.fields:
            meant = "those leads have no creation date"
        elif len(outcome.fields) > 1 or lifecycle is not None:
            others = [o for o in outcome.fields if o != f]
            unless = [f"{' or '.join(others)} is set"] if others else []
            if lifecycle is not None:
                unless.append(f"'{lifecycle}' (lifecycle_stage) is at or past the stage")
            meant = f"those leads count as not converted unless {' or '.join(unless)}"
        else:
            meant = "those leads count as not converted"
        fix = "correct them in the export" + (", or check settings.date_order" if kind == "dates" else "")
        notes.append(f"unreadable {kind} (treated as blank): '{column}' ({f}) {counts[f]:,}{shown}; {meant}; {fix}")
    return found, notes


__all__ = [
    "CalibrationReport", "calibrate", "calibrate_detail", "check_options", "default_sales_tiers",
    "resolve_calibration_outcome", "stage_reached", "total_thresholds",
]
