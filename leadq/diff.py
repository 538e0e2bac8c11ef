"""Comparing two rulesets on the same leads, as plain data.

``leadq diff`` is how a team reviews a ruleset change before it ships: the
inputs are read once and scored twice (ruleset A, the current one, and B, the
proposed one), and the two scored frames are set side by side:

* the **tier migration matrix**: leads per (tier under A, tier under B), tiers
  in ruleset order (A's tiers, then those only B has);
* the **leads that moved most**: tier distance (positions apart in that order)
  first, then the absolute change of total score, each with the rules whose
  points differ (a rule only one ruleset has counts 0 in the other) and what
  moved it, from the two mixed cases (one expression each over the moved
  leads): A's tier conditions on B's scores, and B's on A's. "points" when B's
  scores alone give B's tier (under A's conditions too), "tier conditions"
  when B's conditions alone do (on A's scores too), "points and tier
  conditions" when neither alone does (both were needed) or each alone does;
* the **score distributions** of total, fit and intent under A and B (count,
  mean, p10/p25/median/p75/p90, linear interpolation) and a shared-bin
  histogram of the total score.

Leads created after ``--as-of`` are left out and counted, as ``leadq calibrate``
leaves them out (a lead either ruleset dates after it; an undated lead is kept),
so that the two commands cover the same leads of the same history. Leads are
matched on ``lead_id``; ids that are all numbers list in numeric order (7 before
14), others as text. A lead scored by only one side (e.g. rejected
for an unreadable value in a field only the other ruleset uses) is counted,
not compared. Everything is computed with Polars expressions;
:mod:`leadq.calibrate_report` draws it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Sequence

import polars as pl

from leadq.activity_input import event_fields_needed
from leadq.calibrate import _existing_at
from leadq.compiler import compile_ruleset, group_points
from leadq.conditions import literal_date
from leadq.input_columns import check_columns, used_contact_fields
from leadq.inputs import InputFile
from leadq.pipeline import ScoreResult
from leadq.rescoring import InputFrames, score_detail
from leadq.errors import MissingColumnsError, Position, UsageError
from leadq.ruleset import Column, Ruleset

MEASURES = (("total", "total_score"), ("fit", "fit_score"), ("intent", "intent_score"))
QUANTILES = (("p10", 0.10), ("p25", 0.25), ("median", 0.50), ("p75", 0.75), ("p90", 0.90))
HISTOGRAM_BINS = 10
_EPS = 1e-9  # points equal up to float noise are "unchanged"


@dataclass
class RuleChange:
    """A rule whose points for a lead differ between the rulesets."""

    rule: str
    label: str
    points_a: float
    points_b: float


@dataclass
class MovedLead:
    """A lead whose tier changed, with the rules that made the difference."""

    lead_id: str
    tier_a: str
    tier_b: str
    distance: int
    total_a: float
    total_b: float
    total_delta: float
    rules: list[RuleChange]
    # What moved it: "points" (A's tier conditions on B's scores give B's tier, and B's conditions on
    # A's scores do not), "tier conditions" (B's conditions on A's scores give B's tier, and A's on B's
    # scores do not), or "points and tier conditions" (neither alone gives B's tier: both were needed;
    # or each alone does). Rule changes alone do not make "points": a lead whose points rose by 1 can
    # still move down when B's bar rose more.
    cause: str
    tier_a_on_b: str = ""  # the tier A's tier conditions give on B's scores (B's points, grade, verdicts)
    tier_b_on_a: str = ""  # the tier B's tier conditions give on A's scores (A's points, grade, verdicts)


@dataclass
class Distribution:
    """Summary figures of one score (total, fit or intent) under A and under B."""

    measure: str
    a: dict[str, float | None]
    b: dict[str, float | None]


@dataclass
class Histogram:
    """Total-score counts under A and B in shared, equal-width bins ``[edges[i], edges[i+1])``."""

    edges: list[float]
    a: list[int]
    b: list[int]


@dataclass
class DiffReport:
    """Everything ``leadq diff`` shows."""

    ruleset_a: str
    ruleset_b: str
    path_a: str
    path_b: str
    as_of: str
    leads: int
    only_a: int
    only_b: int
    tiers: list[str]
    matrix: list[list[int]]  # matrix[i][j]: leads in tiers[i] under A and tiers[j] under B
    changed: int
    moved: list[MovedLead]
    distributions: list[Distribution]
    histogram: Histogram
    notes: list[str] = field(default_factory=list)
    created_after_as_of: int = 0  # leads left out: created after the as-of time (by either ruleset's created_at)

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)


def tier_order(a: Ruleset, b: Ruleset) -> list[str]:
    """Tier names in ruleset order: A's, then those only B has."""
    return list(dict.fromkeys(list(a.tier_names) + list(b.tier_names)))


def _side(detail: pl.DataFrame, ruleset: Ruleset, tag: str) -> pl.DataFrame:
    cols = ["tier", "total_score", "fit_score", "intent_score"] + [f"_pts__{r.id}" for r in ruleset.rules]
    # What each group's cap took off its rules' sum (0 when it did not bind), so that the changes add up.
    cuts = [(group_points(g).clip(-g.cap, g.cap) - group_points(g)).alias(f"{tag}::_pts__{_cut(g.id)}")
            for g in ruleset.groups]
    return detail.select(["lead_id"] + [pl.col(c).alias(f"{tag}::{c}") for c in cols] + cuts)


def _cut(group_id: str) -> str:
    """The name a group's cap shows under in rule changes (no rule id has a space)."""
    return f"{group_id} (group cap)"


def _matrix(joined: pl.DataFrame, tiers: list[str]) -> list[list[int]]:
    cells = joined.group_by("a::tier", "b::tier").len()
    index = {t: i for i, t in enumerate(tiers)}
    matrix = [[0] * len(tiers) for _ in tiers]
    # One row per (tier, tier) cell, not per lead.
    for ta, tb, n in zip(cells["a::tier"].to_list(), cells["b::tier"].to_list(), cells["len"].to_list()):
        matrix[index[ta]][index[tb]] = int(n)
    return matrix


def _rule_changes(a: Ruleset, b: Ruleset) -> pl.Expr:
    """A list of {rule, points_a, points_b} structs for the rules whose points differ."""
    order_a = [r.id for r in a.rules] + [_cut(g.id) for g in a.groups]
    order_b = [r.id for r in b.rules] + [_cut(g.id) for g in b.groups]
    ids_a, ids_b = set(order_a), set(order_b)
    items = []
    for rid in dict.fromkeys(order_a + order_b):
        pa = pl.col(f"a::_pts__{rid}").fill_null(0.0) if rid in ids_a else pl.lit(0.0)
        pb = pl.col(f"b::_pts__{rid}").fill_null(0.0) if rid in ids_b else pl.lit(0.0)
        items.append(pl.when((pa - pb).abs() > _EPS).then(
            pl.struct(pl.lit(rid).alias("rule"), pa.cast(pl.Float64).alias("points_a"),
                      pb.cast(pl.Float64).alias("points_b"))))
    if not items:
        return pl.lit([], dtype=pl.List(pl.Struct({"rule": pl.String, "points_a": pl.Float64,
                                                   "points_b": pl.Float64})))
    return pl.concat_list(items).list.drop_nulls()


def _stats(frame: pl.DataFrame, column: str) -> dict[str, float | None]:
    aggs = [pl.col(column).count().alias("count"), pl.col(column).mean().alias("mean")]
    aggs += [pl.col(column).quantile(q, interpolation="linear").alias(name) for name, q in QUANTILES]
    return frame.select(aggs).row(0, named=True)


def _histogram(joined: pl.DataFrame) -> Histogram:
    if not joined.height:
        return Histogram([], [], [])
    lo, hi = joined.select(
        pl.min_horizontal(pl.col("a::total_score").min(), pl.col("b::total_score").min()).alias("lo"),
        pl.max_horizontal(pl.col("a::total_score").max(), pl.col("b::total_score").max()).alias("hi"),
    ).row(0)
    width = (hi - lo) / HISTOGRAM_BINS if hi > lo else 1.0
    edges = [lo + i * width for i in range(HISTOGRAM_BINS + 1)]

    def counts(column: str) -> list[int]:
        # The top edge is inclusive: the maximum falls in the last bin.
        bins = ((pl.col(column) - lo) / width).floor().clip(0, HISTOGRAM_BINS - 1).cast(pl.Int64)
        per_bin = joined.group_by(bins.alias("bin")).len()  # at most ten rows
        got = dict(zip(per_bin["bin"].to_list(), per_bin["len"].to_list()))
        return [int(got.get(i, 0)) for i in range(HISTOGRAM_BINS)]

    return Histogram(edges, counts("a::total_score"), counts("b::total_score"))


def responsible(moved: MovedLead, rules: str) -> str:
    """The "rules responsible" text of a moved lead, from its rule changes as drawn (``rules``).

    "ceo 10.0 -> 11.0" when the points moved it; "tier conditions (A's tiers on B's points: mql);
    ceo 10.0 -> 11.0" when B's tier conditions did, though points changed too; "points and tier
    conditions (A's tiers on B's points: sql; B's tiers on A's points: mql); ..." when both were
    needed (neither mixed case gives B's tier) or each alone would have moved it there.
    """
    if not rules:  # same points: what else of B's scoring moved it
        return {"points": "same points: grades, disqualifiers or event counts changed",
                "points and tier conditions": "same points: grades, disqualifiers or event counts and the tier "
                                              "conditions changed"}.get(moved.cause,
                                                                        "same points: the tier conditions changed")
    if moved.cause == "points":
        return rules
    mixed = f"A's tiers on B's points: {moved.tier_a_on_b}"
    if moved.cause != "tier conditions":  # B's tiers on A's points give B's tier for "tier conditions": no news
        mixed += f"; B's tiers on A's points: {moved.tier_b_on_a}"
    return f"{moved.cause} ({mixed}); {rules}"


def _tier_tests(ruleset: Ruleset) -> list[tuple[str, str | None]]:
    return [(t.name, None if t.when is None else " ".join(t.when.text.split())) for t in ruleset.tiers]


def _tier_on_other(own: pl.DataFrame, other: pl.DataFrame, ruleset: Ruleset, as_of: str, name: str) -> pl.DataFrame:
    """lead_id and ``name``: ``ruleset``'s tier expression evaluated on the other ruleset's scored columns.

    The other's points, scores, grade, disqualification flags and event aggregates; a column the
    conditions read that the other lacks (a rule only ``ruleset`` has) is ``ruleset``'s own (``own``).
    One expression over the frame, no row loop.
    """
    tiers = dict(compile_ruleset(ruleset, literal_date(as_of), explain=False).stages)["tiers"]
    tier_expr = next(e for e in tiers if e.meta.output_name() == "tier")
    extra = [c for c in own.columns if c not in other.columns]
    frame = other.join(own.select(["lead_id"] + extra), on="lead_id", how="left") if extra else other
    return frame.select("lead_id", tier_expr.alias(name))


def _id_order(joined: pl.DataFrame) -> list[pl.Expr]:
    """Sort keys ordering lead ids numerically when every compared id is a number (7 before 14), else as text.

    Digits without leading zeros, then their count, order numbers of any length; the id itself breaks
    ties ("07" and "7").
    """
    ids = pl.col("lead_id").cast(pl.String)
    if joined.height and joined.select(ids.str.contains(r"^[0-9]+$").all()).item():
        digits = ids.str.strip_chars_start("0")
        return [digits.str.len_bytes(), digits, ids]
    return [ids]


def diff_details(detail_a: pl.DataFrame, detail_b: pl.DataFrame, a: Ruleset, b: Ruleset, *,
                 as_of: str, top: int = 20) -> DiffReport:
    """Compare two detail frames of the same leads (``ScoreResult.detail`` under A and under B).

    Raises:
        UsageError: when ``top`` is negative.
    """
    if top < 0:
        raise UsageError(f"--top must be 0 or more, got {top}")
    side_a, side_b = _side(detail_a, a, "a"), _side(detail_b, b, "b")
    joined = side_a.join(side_b, on="lead_id", how="inner", maintain_order="left")
    only_a = side_a.join(side_b, on="lead_id", how="anti").height
    only_b = side_b.join(side_a, on="lead_id", how="anti").height
    tiers = tier_order(a, b)
    rank = {t: i for i, t in enumerate(tiers)}
    moved_frame = (
        joined.filter(pl.col("a::tier") != pl.col("b::tier"))
        .with_columns(
            (pl.col("a::tier").replace_strict(rank, return_dtype=pl.Int64)
             - pl.col("b::tier").replace_strict(rank, return_dtype=pl.Int64)).abs().alias("distance"),
            (pl.col("b::total_score") - pl.col("a::total_score")).alias("delta"),
        )
    )
    changed = moved_frame.height
    tiers_changed = _tier_tests(a) != _tier_tests(b)
    if moved_frame.height:
        ids = moved_frame["lead_id"].implode()
        moved_a, moved_b = detail_a.filter(pl.col("lead_id").is_in(ids)), detail_b.filter(pl.col("lead_id").is_in(ids))
        for mixed in (_tier_on_other(moved_a, moved_b, a, as_of, "a_on_b"),
                      _tier_on_other(moved_b, moved_a, b, as_of, "b_on_a")):
            moved_frame = moved_frame.join(mixed, on="lead_id", how="left", maintain_order="left")
    else:
        moved_frame = moved_frame.with_columns(pl.lit(None, dtype=pl.String).alias("a_on_b"),
                                               pl.lit(None, dtype=pl.String).alias("b_on_a"))
    # Each change alone, the other undone: B's scores under A's conditions, A's scores under B's. The one
    # that alone gives B's tier explains the move; when neither does, it took both (a lead at 25 under B,
    # 0 under A, moved to mql by B's new points AND its bar lowered 30 -> 25). Identical tier conditions
    # cannot have moved a lead.
    by_points = ~pl.lit(tiers_changed) | (pl.col("a_on_b") == pl.col("b::tier"))
    by_tiers = pl.lit(tiers_changed) & (pl.col("b_on_a") == pl.col("b::tier"))
    moved_frame = moved_frame.with_columns(
        pl.when(by_points & ~by_tiers).then(pl.lit("points"))
        .when(by_tiers & ~by_points).then(pl.lit("tier conditions"))
        .otherwise(pl.lit("points and tier conditions")).alias("cause"))
    by_id = _id_order(joined)
    top_frame = (moved_frame.sort(["distance", pl.col("delta").abs(), *by_id],
                                  descending=[True, True] + [False] * len(by_id))
                 .head(top)
                 .select("lead_id", "a::tier", "b::tier", "distance", "a::total_score", "b::total_score", "delta",
                         _rule_changes(a, b).alias("rules"), "cause", "a_on_b", "b_on_a"))
    labels = {r.id: r.label for r in b.rules} | {r.id: r.label for r in a.rules}
    moved = []
    for row in top_frame.to_dicts():  # at most --top rows, for display
        moved.append(MovedLead(
            row["lead_id"], row["a::tier"], row["b::tier"], int(row["distance"]), row["a::total_score"],
            row["b::total_score"], row["delta"],
            [RuleChange(c["rule"], labels.get(c["rule"], c["rule"]), c["points_a"], c["points_b"])
             for c in row["rules"]],
            row["cause"], row["a_on_b"] or "", row["b_on_a"] or ""))
    distributions = [Distribution(name, _stats(joined, f"a::{col}"), _stats(joined, f"b::{col}"))
                     for name, col in MEASURES]
    notes = []
    if only_a or only_b:
        notes.append(f"{only_a:,} lead(s) scored only under A and {only_b:,} only under B (rejected by the "
                     "other ruleset) are left out of the comparison")
    return DiffReport(
        ruleset_a=a.name, ruleset_b=b.name, path_a=a.path, path_b=b.path, as_of=as_of, leads=joined.height,
        only_a=only_a, only_b=only_b,
        tiers=tiers, matrix=_matrix(joined, tiers), changed=changed, moved=moved, distributions=distributions,
        histogram=_histogram(joined), notes=notes)


def diff_rulesets(a: Ruleset, b: Ruleset, frames: InputFrames, *, as_of: datetime, top: int = 20) -> DiffReport:
    """Score the same inputs with both rulesets and compare the results.

    The input LazyFrames are opened once (by :func:`leadq.rescoring.read_frames`)
    and scored twice.

    Raises:
        UsageError: for a bad ``top``.
        InputError: when the inputs cannot be read or do not fit a ruleset.
        MissingColumnsError: every column either ruleset needs and a file lacks, in one message, each
            file's closing with the ruleset(s), A, B or both, that need its columns.
    """
    if top < 0:
        raise UsageError(f"--top must be 0 or more, got {top}")
    check_columns_of_both([("A", a), ("B", b)], frames, as_of)
    result_a = _score_naming_rulesets(frames, as_of, "A", a)
    result_b = _score_naming_rulesets(frames, as_of, "B", b)
    detail_a, detail_b = result_a.detail, result_b.detail
    assert detail_a is not None and detail_b is not None  # detail=True always fills them
    detail_a, detail_b, after, as_of_notes = _existing_at_as_of(detail_a, detail_b, result_a, result_b, a, b, as_of)
    report = diff_details(detail_a, detail_b, a, b, as_of=as_of.isoformat().replace("+00:00", "Z"), top=top)
    report.created_after_as_of = after
    # What chose the leads comes first, as in calibrate's report.
    report.notes[:0] = as_of_notes
    # Why one side rejected leads the other scored ("unreadable number in 'Employees'"): the note alone
    # left the analyst to guess which column of which ruleset.
    for tag, result, ruleset, other in (("A", result_a, a, detail_b), ("B", result_b, b, detail_a)):
        count = report.only_b if tag == "A" else report.only_a
        reasons = _rejected_reasons(result.rejects, ruleset, other) if count else []
        if reasons:
            report.notes.append(f"ruleset {tag} rejected them for: " + "; ".join(f"{r} ({n:,})" for r, n in reasons))
    if not detail_a.height and not detail_b.height and (result_a.stats.rejected or result_b.stats.rejected):
        # Nothing to compare: an all-zero matrix alone read as "the change moves no lead".
        report.notes.append("no lead was scored: " + "; ".join(
            f"ruleset {tag} rejected every row ({_reason_list(result.stats.rejected_by_reason)})"
            for tag, result in (("A", result_a), ("B", result_b))))
    return report


def _existing_at_as_of(detail_a: pl.DataFrame, detail_b: pl.DataFrame, result_a: ScoreResult,
                       result_b: ScoreResult, a: Ruleset, b: Ruleset, as_of: datetime
                       ) -> tuple[pl.DataFrame, pl.DataFrame, int, list[str]]:
    """Both detail frames without the leads created after ``as_of``, how many those are, and notes.

    Leads are chosen as ``leadq calibrate`` chooses them (:func:`leadq.calibrate._existing_at`), so that the
    two commands cover the same leads of the same history. A lead either ruleset's creation date puts
    after ``as_of`` is left out of both sides; a note one ruleset alone gives is marked with it.
    """
    kept, notes = [], {}
    for tag, detail, result, ruleset in (("A", detail_a, result_a, a), ("B", detail_b, result_b, b)):
        keep, _, side_notes = _existing_at(detail, ruleset, as_of, result.stats.missing_columns, window=False)
        kept.append(keep)
        for note in side_notes:
            notes.setdefault(note, []).append(tag)
    after_ids = pl.concat([detail_a.filter(~kept[0]).select("lead_id"), detail_b.filter(~kept[1]).select("lead_id")]
                          ).unique()["lead_id"].implode()
    if after_ids.list.len().item():
        detail_a = detail_a.filter(~pl.col("lead_id").is_in(after_ids))
        detail_b = detail_b.filter(~pl.col("lead_id").is_in(after_ids))
    texts = [note if len(tags) == 2 else f"ruleset {tags[0]}: {note}" for note, tags in notes.items()]
    return detail_a, detail_b, int(after_ids.list.len().item()), texts


def _reason_list(by_reason: dict[str, int]) -> str:
    """Rejection reasons with their row counts, commonest first: "unreadable date in 'Create Date' 3,000"."""
    return "; ".join(f"{reason} {rows:,}" for reason, rows in by_reason.items())


def _score_naming_rulesets(frames: InputFrames, as_of: datetime, tag: str, ruleset: Ruleset) -> ScoreResult:
    """:func:`score_detail`; a missing column the pre-check did not see is still blamed on this ruleset."""
    try:
        return score_detail(ruleset, frames, as_of)
    except MissingColumnsError as exc:
        if not exc.advice:
            raise
        raise exc.advised(f"Fix the column mapping of ruleset {tag} ({ruleset.path}) or the export") from exc


def _needed_columns(ruleset: Ruleset, frames: InputFrames, as_of: datetime
                    ) -> list[tuple[InputFile, list[Column]]]:
    """Per input file, the mapped columns ``ruleset`` needs in it, as scoring checks them
    (:func:`leadq.pipeline.score_frames`: contacts, and events and accounts where the ruleset reads them)."""
    checks = [(frames.contacts_files, ruleset.columns, used_contact_fields(ruleset))]
    if frames.events is not None and ruleset.event_rules:
        checks.append((frames.events_files, ruleset.activity_columns,
                       event_fields_needed(compile_ruleset(ruleset, as_of))))
    if frames.accounts is not None and ruleset.account_columns:
        checks.append((frames.accounts_files, ruleset.account_columns, {"account_id"}))
    return [(file, [col for f, col in mapping.items() if f in required])
            for files, mapping, required in checks for file in files if file.columns]  # zero bytes: no columns


def check_columns_of_both(rulesets: Sequence[tuple[str, Ruleset]], frames: InputFrames, as_of: datetime) -> None:
    """Raise one error naming every column either ruleset needs and an input file lacks, and who needs it.

    Scoring stops at the first file and ruleset that lack a column: fixed, the export failed again
    on the next. Here each file lists all its missing columns, closing with the rulesets that need
    them (and which of them a ruleset needs, when not all): the export can be fixed in one go.

    Raises:
        MissingColumnsError: a file lacks columns (at the first such file; the others follow in the message).
    """
    # label -> (the file's columns, missing column -> its mapping, ruleset tag -> the missing columns it needs)
    gaps: dict[str, tuple[tuple[str, ...], dict[str, Column], dict[str, list[str]]]] = {}
    paths = {tag: ruleset.path for tag, ruleset in rulesets}
    for tag, ruleset in rulesets:
        for file, needed in _needed_columns(ruleset, frames, as_of):
            missing = [col for col in needed if col.column not in file.columns]
            if not missing:
                continue
            _, columns, needs = gaps.setdefault(file.label, (file.columns, {}, {}))
            for col in missing:
                columns.setdefault(col.column, col)
                needs.setdefault(tag, [])
                if col.column not in needs[tag]:
                    needs[tag].append(col.column)
    if not gaps:
        return
    # Files alike (a glob of daily exports with one header) are one part, not one part per file.
    alike: dict[str, list[str]] = {}
    for label, (names, columns, needs) in gaps.items():
        problem = _missing_problem(names, list(columns.values()), label)
        alike.setdefault(f"{problem}. {_advice(needs, list(columns), paths)}", []).append(label)
    parts = []
    for text, labels in alike.items():
        if len(labels) > 1:
            text = text.replace("; the file has: ", "; each file has: ", 1)
        shown = ", ".join(labels[:3]) + (f" and {len(labels) - 3} more" if len(labels) > 3 else "")
        parts.append((shown, text))
    message = ". ".join([parts[0][1]] + [f"{shown}: {text}" for shown, text in parts[1:]])
    raise MissingColumnsError(message, Position(parts[0][0]),
                              columns=list(dict.fromkeys(c for _, cols, _ in gaps.values() for c in cols)))


def _missing_problem(names: tuple[str, ...], missing: list[Column], label: str) -> str:
    """The missing-column sentence of :func:`leadq.input_columns.check_columns` (did-you-mean, the file's columns)."""
    try:
        check_columns(pl.Schema({name: pl.String for name in names}), {str(i): col for i, col in enumerate(missing)},
                      {str(i) for i in range(len(missing))}, label)
    except MissingColumnsError as exc:
        return exc.problem
    raise AssertionError("check_columns found every column missing here")  # pragma: no cover


def _advice(needs: dict[str, list[str]], missing: list[str], paths: dict[str, str]) -> str:
    """'Fix the column mapping of rulesets A (a.yaml) and B (b.yaml; needs 'Title') or the export'."""
    who = [f"{tag} ({paths[tag]}"
           + ("" if len(cols) == len(missing) else "; needs " + ", ".join(f"'{c}'" for c in cols)) + ")"
           for tag, cols in needs.items()]
    return f"Fix the column mapping of ruleset{'s' if len(who) > 1 else ''} {' and '.join(who)} or the export"


def _rejected_reasons(rejects: pl.DataFrame, ruleset: Ruleset, scored_by_other: pl.DataFrame,
                      limit: int = 3) -> list[tuple[str, int]]:
    """The commonest reasons ``ruleset`` rejected leads that the other ruleset scored, with counts."""
    column = ruleset.columns["lead_id"].column
    if column not in rejects.columns or not rejects.height:
        return []
    ids = scored_by_other["lead_id"].cast(pl.String)
    counts = (rejects.filter(pl.col(column).cast(pl.String).str.strip_chars().is_in(ids.implode()))
              .group_by("reason").len().sort(["len", "reason"], descending=[True, False]).head(limit))
    return [(r, int(n)) for r, n in counts.iter_rows()]
