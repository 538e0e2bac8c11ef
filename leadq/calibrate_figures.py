"""The figures of a back-test, as plain data: one function per figure, over a scored frame.

Every function reads the scored detail frame of :func:`leadq.calibrate.calibrate_detail`,
with the lead's outcome in the boolean column :data:`leadq.outcome.CONVERTED`, and
returns the dataclasses below: conversion by tier, grade and score decile, ROC AUC,
precision and recall of yes/no picks, each rule's evidence, threshold suggestions and
the audit of disqualifications. The terms (rate, lift, decile, ROC AUC) are defined in
:mod:`leadq.calibrate`; :mod:`leadq.calibrate_report` draws the figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import polars as pl

from leadq.outcome import CONVERTED as _Y
from leadq.ruleset import Ruleset

# --------------------------------------------------------------------------- report rows


@dataclass
class Segment:
    """Conversion in one group of leads (a tier, a grade or a score decile)."""

    name: str
    leads: int
    converted: int
    rate: float | None
    lift: float | None


@dataclass
class Decile:
    """Conversion in one total-score decile (10 = the highest scores), or band of :func:`score_bands`."""

    decile: int
    min_score: float
    max_score: float
    leads: int
    converted: int
    rate: float | None
    lift: float | None


@dataclass
class Classifier:
    """How well one yes/no rule ("tier is a sales tier", "total >= 60") picks converters."""

    name: str
    predicted: int
    true_positives: int
    precision: float | None
    recall: float | None
    f1: float | None


@dataclass
class RuleEvidence:
    """Conversion among leads where a rule fired versus where it did not."""

    rule: str
    label: str
    section: str
    points: float
    fired: int
    fired_converted: int
    fired_rate: float | None
    not_fired: int
    not_fired_converted: int
    not_fired_rate: float | None
    lift: float | None  # fired rate / base rate
    verdict: str  # predictive | no lift: use it for nurture | penalises converters | never fired | ...
    few_leads: bool  # fewer fired (or not fired) leads than settings.small_segment: read with care


@dataclass
class Suggestion:
    """A total-score threshold meeting the user's target, with what it gives."""

    target: str  # "precision >= 0.3" | "volume <= 200"
    threshold: float | None
    volume: int
    true_positives: int
    precision: float | None
    recall: float | None
    note: str = ""


@dataclass
class AuditRow:
    """Leads held back by one disqualification reason, and how many converted anyway."""

    code: str
    label: str
    category: str
    leads: int
    converted: int
    rate: float | None
    lift: float | None


# --------------------------------------------------------------------------- figures


def ratio(num: float, den: float) -> float | None:
    """``num / den``, or None when ``den`` is 0."""
    return num / den if den else None


def lift(rate: float | None, base: float | None) -> float | None:
    """``rate / base`` (1.0 = no better than the base rate), or None when either is unknown or 0."""
    return rate / base if rate is not None and base else None


def segments(frame: pl.DataFrame, key: pl.Expr, order: Sequence[str], base: float | None) -> list[Segment]:
    """Conversion per value of ``key`` (a tier, a grade): the names in ``order`` first, then any others sorted."""
    got = frame.group_by(key.alias("_key")).agg(pl.len().alias("leads"), pl.col(_Y).sum().alias("converted"))
    rows = {r["_key"]: r for r in got.to_dicts()}  # one row per tier or grade
    names = list(order) + sorted(k for k in rows if k not in order and k is not None)
    out = []
    for name in names:
        r = rows.get(name, {"leads": 0, "converted": 0})
        rate = ratio(r["converted"], r["leads"])
        out.append(Segment(name, int(r["leads"]), int(r["converted"]), rate, lift(rate, base)))
    return out


def score_bands(frame: pl.DataFrame) -> int:
    """How many bands :func:`deciles` splits the leads into: ten, or under ten leads one a distinct total score.

    Ten deciles of three leads would number them 7, 4 and 1, and a lone lead "decile 1" (the lowest)
    though it is also the highest: with fewer leads than deciles each distinct score is a band.
    """
    if frame.height >= 10 or not frame.height:
        return 10
    return int(frame["total_score"].n_unique())


def deciles(frame: pl.DataFrame, base: float | None) -> list[Decile]:
    """Conversion per total-score decile (or band, under ten leads: :func:`score_bands`), highest first.

    Tied scores share a decile (by the lowest rank among them), so some may be missing; only deciles
    with leads are listed. The highest score is always decile 10, the one an analyst looks for: by
    their rank, 19 leads whose three best tie made those decile 9, and no decile 10.
    Bands are numbered 1 (lowest score) to their count, none of them empty.
    """
    n = frame.height
    if not n:
        return []
    score = pl.col("total_score")
    below = score.rank("min").cast(pl.Int64) - 1
    band = (pl.when(score == score.max()).then(pl.lit(10, pl.Int64)).otherwise(below * 10 // n + 1) if n >= 10
            else score.rank("dense").cast(pl.Int64))
    got = (frame.group_by(band.alias("decile"))
           .agg(pl.len().alias("leads"), pl.col(_Y).sum().alias("converted"),
                pl.col("total_score").min().alias("lo"), pl.col("total_score").max().alias("hi"))
           .sort("decile", descending=True))
    out = []
    for r in got.to_dicts():  # at most ten rows
        rate = ratio(r["converted"], r["leads"])
        out.append(Decile(int(r["decile"]), r["lo"], r["hi"], int(r["leads"]), int(r["converted"]), rate,
                          lift(rate, base)))
    return out


def roc_auc(frame: pl.DataFrame, score: str = "total_score", outcome: str = _Y) -> float | None:
    """ROC AUC of ``score`` for the boolean ``outcome`` (Mann-Whitney, average ranks for ties).

    Returns None when every lead converted or none did.
    """
    n1 = int(frame[outcome].sum())
    n0 = frame.height - n1
    if not n1 or not n0:
        return None
    rank_sum = frame.select(pl.col(score).rank("average").filter(pl.col(outcome)).sum()).item()
    return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0)


def classifiers(frame: pl.DataFrame, predicates: list[tuple[str, pl.Expr]], converted: int) -> list[Classifier]:
    """Precision, recall and F1 of each named yes/no predicate as a pick of the ``converted`` leads."""
    if not predicates:
        return []
    aggs = []
    for i, (_, pred) in enumerate(predicates):
        aggs += [pred.sum().alias(f"p{i}"), (pred & pl.col(_Y)).sum().alias(f"t{i}")]
    row = frame.select(aggs).row(0, named=True)
    out = []
    for i, (name, _) in enumerate(predicates):
        p, tp = int(row[f"p{i}"] or 0), int(row[f"t{i}"] or 0)
        precision, recall = ratio(tp, p), ratio(tp, converted)
        f1 = (2 * precision * recall / (precision + recall) if precision is not None and recall is not None
              and precision + recall else (0.0 if precision is not None and recall is not None else None))
        out.append(Classifier(name, p, tp, precision, recall, f1))
    return out


# The verdict of a rule whose leads convert more (a negative rule's, less) on too few leads to tell.
TOO_FEW = "too few leads to tell"


def rule_evidence(frame: pl.DataFrame, ruleset: Ruleset, base: float | None) -> list[RuleEvidence]:
    """For every rule, conversion where it fired against where it did not, and a verdict (from ``_hit__<rule>``)."""
    if not ruleset.rules:
        return []
    aggs = []
    for r in ruleset.rules:
        hit = pl.col(f"_hit__{r.id}").fill_null(False)
        aggs += [hit.sum().alias(f"f__{r.id}"), (hit & pl.col(_Y)).sum().alias(f"c__{r.id}")]
    row = frame.select(aggs).row(0, named=True)
    total, converted = frame.height, int(frame[_Y].sum())
    small = ruleset.settings.small_segment
    out = []
    for r in ruleset.rules:
        fired, fired_conv = int(row[f"f__{r.id}"]), int(row[f"c__{r.id}"])
        rest, rest_conv = total - fired, converted - fired_conv
        f_rate, n_rate = ratio(fired_conv, fired), ratio(rest_conv, rest)
        if not fired:
            verdict = "never fired"
        elif not rest:
            verdict = "always fired"
        elif not converted or converted == total:
            # Without both converters and other leads, equal rates say nothing about the rule.
            verdict = "no lead converted" if not converted else "every lead converted"
        elif r.points >= 0:
            verdict = "predictive" if f_rate > n_rate else "no lift: use it for nurture"  # type: ignore[operator]
        else:
            verdict = "predictive" if f_rate < n_rate else "penalises converters"  # type: ignore[operator]
        # A rate of a handful of leads, on either side, proves nothing: 198 fired against 1 not fired
        # compares the 198 with one lead's 0 or 100%.
        few = 0 < fired < small or 0 < rest < small
        if few and verdict == "predictive":
            verdict = TOO_FEW
        out.append(RuleEvidence(r.id, r.label, r.section, r.points, fired, fired_conv, f_rate, rest, rest_conv,
                                n_rate, lift(f_rate, base), verdict, few))
    return out


def threshold_curve(frame: pl.DataFrame) -> pl.DataFrame:
    """Per distinct total score t: leads with total >= t (volume), converters among them, precision."""
    return (frame.group_by("total_score").agg(pl.len().alias("n"), pl.col(_Y).sum().alias("tp"))
            .sort("total_score", descending=True)
            .with_columns(pl.col("n").cum_sum().alias("volume"), pl.col("tp").cum_sum().alias("tp_cum"))
            .with_columns((pl.col("tp_cum") / pl.col("volume")).alias("precision")))


def suggestion(curve: pl.DataFrame, converted: int, target_precision: float | None,
               target_volume: int | None) -> Suggestion | None:
    """The lowest total score on ``curve`` meeting the one target given, or None when no target is given."""
    if target_precision is not None:
        target = f"precision >= {target_precision:g}"
        hits = curve.filter(pl.col("precision") >= target_precision)
        note = "" if hits.height else "no threshold reaches this precision"
        row = hits.sort("total_score").head(1)
    elif target_volume is not None:
        target = f"volume <= {target_volume:,}"
        hits = curve.filter(pl.col("volume") <= target_volume)
        note = ""
        row = hits.sort("total_score").head(1)
        if not row.height and curve.height:
            row = curve.head(1)  # even the top score is shared by more leads than the target
            note = "the highest score alone exceeds this volume"
    else:
        return None
    if not row.height:
        return Suggestion(target, None, 0, 0, None, None, note)
    r = row.row(0, named=True)
    below = curve.filter(pl.col("total_score") < r["total_score"]).select(pl.col("total_score").max()).item()
    return Suggestion(target, round_threshold(r["total_score"], below), int(r["volume"]), int(r["tp_cum"]),
                      r["precision"], ratio(r["tp_cum"], converted), note)


def round_threshold(score: float, below: float | None) -> float:
    """The number with the fewest decimals in ``(below, score]``: ``total >= it`` passes the same leads.

    Decayed scores carry many decimals (60.0019...); shown rounded to 60.00, the suggestion
    would also pass the leads at exactly 60, so the shown threshold and its volume would
    disagree. ``below`` is the next lower distinct score (None when ``score`` is the lowest).
    """
    for decimals in range(7):
        step = 10 ** decimals
        candidate = math.floor(score * step) / step
        if candidate <= score and (below is None or candidate > below):
            return candidate
    return score


def audit(frame: pl.DataFrame, ruleset: Ruleset, base: float | None) -> list[AuditRow]:
    """Leads held back (bad fit or bad timing) per disqualification reason, most converters first."""
    held = (frame.filter(pl.col("bad_fit") | pl.col("bad_timing"))
            .select(pl.col("disqualification_reasons").alias("code"), _Y).explode("code").drop_nulls("code"))
    got = {r["code"]: r for r in held.group_by("code").agg(pl.len().alias("leads"),
                                                           pl.col(_Y).sum().alias("converted")).to_dicts()}
    out = []
    for d in ruleset.disqualifiers:
        r = got.get(d.code)
        if r is None:
            continue
        rate = ratio(r["converted"], r["leads"])
        out.append(AuditRow(d.code, d.label, d.category, int(r["leads"]), int(r["converted"]), rate,
                            lift(rate, base)))
    order = {d.code: i for i, d in enumerate(ruleset.disqualifiers)}
    return sorted(out, key=lambda a: (-a.converted, order[a.code]))


__all__ = [
    "AuditRow", "Classifier", "Decile", "RuleEvidence", "Segment", "Suggestion", "audit", "classifiers", "deciles",
    "lift", "ratio", "roc_auc", "rule_evidence", "score_bands", "segments", "suggestion", "threshold_curve",
]
