"""Terminal rendering of ``leadq calibrate`` and ``leadq diff`` reports with rich.

The figures come as dataclasses from :mod:`leadq.calibrate` (its rows from
:mod:`leadq.calibrate_figures`) and :mod:`leadq.diff`; this module only draws
them (colour only on a terminal, via :func:`leadq.report.make_console`).
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from leadq.calibrate import CalibrationReport
from leadq.calibrate_figures import Decile, Segment
from leadq.diff import DiffReport
from leadq.report import TIER_STYLES, ReportTable

BAR_WIDTH = 24


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    text = f"{value:,.{digits}f}"
    return "0" if text in ("-0", "-0.0", "-0.00") else text


def _lift(value: float | None) -> Text:
    if value is None:
        return Text("-")
    style = "green" if value >= 1.5 else "red" if value < 1 else ""
    return Text(f"{value:.2f}x", style=style)


def _table(title: str, columns: list[tuple[str, str]]) -> Table:
    table = ReportTable(title=title)
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    return table


def _segment_table(title: str, first: str, rows: list[Segment]) -> Table:
    table = _table(title, [(first, "left"), ("leads", "right"), ("converted", "right"), ("rate", "right"),
                           ("lift", "right")])
    for s in rows:
        table.add_row(Text(s.name, style=TIER_STYLES.get(s.name, "")), f"{s.leads:,}", f"{s.converted:,}",
                      _pct(s.rate), _lift(s.lift))
    return table


def _decile_table(rows: list[Decile]) -> Table:
    table = _table("Conversion by total-score decile (10 = highest scores)",
                   [("decile", "right"), ("total score", "right"), ("leads", "right"), ("converted", "right"),
                    ("rate", "right"), ("lift", "right")])
    for d in rows:
        table.add_row(str(d.decile), f"{_num(d.min_score)} .. {_num(d.max_score)}", f"{d.leads:,}",
                      f"{d.converted:,}", _pct(d.rate), _lift(d.lift))
    return table


def calibration_report(report: CalibrationReport) -> Group:
    """The terminal report of ``leadq calibrate``."""
    parts: list = []
    head = Text()
    head.append("leadq calibrate", style="bold")
    head.append(f"  ruleset: {report.ruleset}  as of: {report.as_of}")
    parts.append(head)
    parts.append(Text(f"outcome: {report.outcome_description}"))
    line = (f"leads scored {report.leads:,}; converted {report.converted:,}; base rate {_pct(report.base_rate)}")
    if report.rejected:
        line += f"; rejected rows (not scored) {report.rejected:,}"
    parts.append(Text(line))
    for note in report.notes:
        parts.append(Text(f"note: {note}", style="yellow"))
    auc = "-" if report.auc is None else f"{report.auc:.3f}"
    auc_text = Text(f"ROC AUC of the total score: {auc}", style="bold")
    auc_text.append("  (0.5 = no better than chance, 1.0 = every converter outscores every other lead)",
                    style="dim")
    parts.append(auc_text)

    parts.append(_segment_table("Conversion by tier", "tier", report.tiers))
    parts.append(_segment_table("Conversion by grade", "grade", report.grades))
    if report.deciles:
        parts.append(_decile_table(report.deciles))

    if report.classifiers:
        table = _table("Current thresholds", [("sent to sales when", "left"), ("leads", "right"),
                                               ("converted", "right"), ("precision", "right"),
                                               ("recall", "right"), ("F1", "right")])
        for c in report.classifiers:
            table.add_row(c.name, f"{c.predicted:,}", f"{c.true_positives:,}", _pct(c.precision), _pct(c.recall),
                          _num(c.f1, 3))
        parts.append(table)

    if report.rules:
        table = _table("Rule evidence (conversion where the rule fired vs not)",
                       [("rule", "left"), ("points", "right"), ("fired", "right"), ("rate", "right"),
                        ("not fired", "right"), ("rate", "right"), ("lift", "right"), ("verdict", "left")])
        for r in report.rules:
            style = "" if r.verdict == "predictive" else "yellow"
            verdict = r.verdict + (" (few leads)" if r.few_leads else "")
            table.add_row(r.rule, _num(r.points, 0 if float(r.points).is_integer() else 1), f"{r.fired:,}",
                          _pct(r.fired_rate), f"{r.not_fired:,}", _pct(r.not_fired_rate), _lift(r.lift),
                          Text(verdict, style=style))
        parts.append(table)

    scores = Text("average total score: converted "
                  f"{_num(report.mean_score_converted)} (median {_num(report.median_score_converted)}), "
                  f"not converted {_num(report.mean_score_not_converted)}")
    parts.append(scores)
    for s in report.suggestions:
        if s.threshold is None:
            parts.append(Text(f"suggested threshold for {s.target}: none ({s.note})", style="yellow"))
            continue
        text = Text(f"suggested threshold for {s.target}: total >= {_num(s.threshold, 2)}", style="bold")
        text.append(f"  -> {s.volume:,} leads, {s.true_positives:,} converted, precision {_pct(s.precision)}, "
                    f"recall {_pct(s.recall)}")
        if s.note:
            text.append(f" ({s.note})", style="yellow")
        parts.append(text)

    parts.append(Text(f"disqualified leads that converted: {report.disqualified_converted:,}; "
                      f"nurtured (bad timing) leads that converted: {report.nurtured_converted:,}"))
    if report.audit:
        table = _table("Disqualification audit (a lead counts under each of its reasons)",
                       [("reason", "left"), ("category", "left"), ("leads", "right"), ("converted", "right"),
                        ("rate", "right"), ("lift", "right")])
        for a in report.audit:
            table.add_row(f"{a.label} ({a.code})", a.category, f"{a.leads:,}", f"{a.converted:,}", _pct(a.rate),
                          _lift(a.lift))
        parts.append(table)
    return Group(*parts)


def _bar(count: int, peak: int, width: int = BAR_WIDTH) -> str:
    return "█" * (int(round(count / peak * width)) if peak else 0)


def diff_report(report: DiffReport) -> Group:
    """The terminal report of ``leadq diff``."""
    parts: list = []
    head = Text()
    head.append("leadq diff", style="bold")
    head.append(f"  as of: {report.as_of}")
    parts.append(head)
    parts.append(Text(f"A: {report.ruleset_a} ({report.path_a})\nB: {report.ruleset_b} ({report.path_b})"))
    share = report.changed / report.leads if report.leads else 0.0
    parts.append(Text(f"leads compared {report.leads:,}; tier changed {report.changed:,} ({_pct(share)})"))
    for note in report.notes:
        parts.append(Text(f"note: {note}", style="yellow"))

    matrix = _table("Tier migration (rows: tier under A, columns: tier under B)",
                    [("A \\ B", "left")] + [(t, "right") for t in report.tiers] + [("total A", "right")])
    for i, tier in enumerate(report.tiers):
        cells = [Text(f"{n:,}", style="bold" if i == j else ("yellow" if n else "dim"))
                 for j, n in enumerate(report.matrix[i])]
        matrix.add_row(Text(tier, style=TIER_STYLES.get(tier, "")), *cells, f"{sum(report.matrix[i]):,}")
    totals_b = [sum(row[j] for row in report.matrix) for j in range(len(report.tiers))]
    matrix.add_row(Text("total B", style="dim"), *[f"{n:,}" for n in totals_b], f"{report.leads:,}")
    parts.append(matrix)

    if report.moved:
        moved = _table(f"Leads whose tier changed most (top {len(report.moved)})",
                       [("lead", "left"), ("tier A -> B", "left"), ("total A", "right"), ("total B", "right"),
                        ("rules responsible (A -> B points)", "left")])
        for m in report.moved:
            rules = "; ".join(f"{c.rule} {_num(c.points_a)} -> {_num(c.points_b)}" for c in m.rules)
            moved.add_row(m.lead_id, f"{m.tier_a} -> {m.tier_b}", _num(m.total_a), _num(m.total_b),
                          rules or "same points: the tier conditions changed")
        parts.append(moved)

    dist = _table("Score distribution", [("score", "left"), ("ruleset", "left"), ("count", "right"),
                                          ("mean", "right"), ("p10", "right"), ("p25", "right"),
                                          ("median", "right"), ("p75", "right"), ("p90", "right")])
    for d in report.distributions:
        for tag, figures in (("A", d.a), ("B", d.b)):
            dist.add_row(d.measure if tag == "A" else "", tag, f"{int(figures['count'] or 0):,}",
                         *[_num(figures[k]) for k in ("mean", "p10", "p25", "median", "p75", "p90")])
    parts.append(dist)

    h = report.histogram
    if h.edges:
        peak = max(h.a + h.b)
        hist = _table("Total score histogram", [("total", "left"), ("A", "right"), ("", "left"), ("B", "right"),
                                                 ("", "left")])
        for i in range(len(h.a)):
            hist.add_row(f"{_num(h.edges[i])} .. {_num(h.edges[i + 1])}", f"{h.a[i]:,}", _bar(h.a[i], peak),
                         f"{h.b[i]:,}", _bar(h.b[i], peak))
        parts.append(hist)
    return Group(*parts)
