"""Terminal rendering of ``leadq calibrate`` and ``leadq diff`` reports with rich.

The figures come as dataclasses from :mod:`leadq.calibrate` (its rows from
:mod:`leadq.calibrate_figures`) and :mod:`leadq.diff`; this module only draws
them (colour only on a terminal, via :func:`leadq.report.make_console`).
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

from leadq.calibrate import CalibrationReport
from leadq.calibrate_figures import TOO_FEW, Decile, Segment
from leadq.diff import DiffReport, Histogram, responsible
from leadq.report import TIER_STYLES, ReportTable, TableOrLines, table_fits

BAR_WIDTH = 24


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    text = f"{value:,.{digits}f}"
    return "0" if text in ("-0", "-0.0", "-0.00") else text


def _exact(value: float) -> str:
    # All the digits the JSON has (shortest repr): the threshold shown must pass the volume shown.
    return f"{int(value):,}" if value.is_integer() else f"{value:,}"


def _lift(value: float | None) -> Text:
    if value is None:
        return Text("-")
    style = "green" if value >= 1.5 else "red" if value < 1 else ""
    return Text(f"{value:.2f}x", style=style)


def _table(title: str, columns: list[tuple[str, str]], wrap: str | None = None) -> Table:
    """A report table whose cells never wrap but those of the column named ``wrap`` (text of several words):
    a number or a tier name stays whole, and where that does not fit the rows are drawn as lines
    (:class:`leadq.report.TableOrLines`)."""
    table = ReportTable(title=title)
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=name != wrap)  # type: ignore[arg-type]
    return table


def _segments(title: str, first: str, rows: list[Segment]) -> TableOrLines:
    table = _table(title, [(first, "left"), ("leads", "right"), ("converted", "right"), ("rate", "right"),
                           ("lift", "right")])
    lines = []
    for s in rows:
        # Text, not markup: names come from the ruleset ('[/]' would end the report with exit 70).
        name = Text(s.name, style=TIER_STYLES.get(s.name, ""))
        table.add_row(name, f"{s.leads:,}", f"{s.converted:,}", _pct(s.rate), _lift(s.lift))
        lines.append(Text.assemble(name, f": {s.leads:,} leads, {s.converted:,} converted, {_pct(s.rate)}, lift ",
                                   _lift(s.lift)))
    return TableOrLines(table, title, lines)


def _edge(value: float | None, neighbour: float | None) -> str:
    """A band's lowest or highest score, with the decimals that keep it apart from the next band's edge.

    Tied scores share a band, so two bands never hold the same score; with one decimal 24.99 and
    25.0 both read "25.0", and "20.0 .. 25.0" above "25.0 .. 29.9" looked like overlapping bands.
    """
    for digits in range(1, 5):
        if value is None or neighbour is None or value == neighbour or _num(value, digits) != _num(neighbour, digits):
            return _num(value, digits)
    return _num(value, 4)


def _deciles(rows: list[Decile], bands: int) -> TableOrLines:
    """The score deciles, or under ten leads the bands of one lead each (a note in the report says why)."""
    if bands == 10:
        title, band = "Conversion by total-score decile (10 = highest scores)", "decile"
    else:
        # Fewer leads than deciles: a band a distinct score (the report's notes say so).
        title, band = f"Conversion by total-score band ({bands} = highest score)", "band"
    table = _table(title, [(band, "right"), ("total score", "right"), ("leads", "right"), ("converted", "right"),
                           ("rate", "right"), ("lift", "right")])
    lines = []
    for i, d in enumerate(rows):
        higher = rows[i - 1] if i else None  # rows run from the highest scores down
        lower = rows[i + 1] if i + 1 < len(rows) else None
        scores = (f"{_edge(d.min_score, lower.max_score if lower else None)} .. "
                  f"{_edge(d.max_score, higher.min_score if higher else None)}")
        table.add_row(str(d.decile), scores, f"{d.leads:,}", f"{d.converted:,}", _pct(d.rate), _lift(d.lift))
        lines.append(Text.assemble(f"{band} {d.decile} (total {scores}): {d.leads:,} lead"
                                   f"{'' if d.leads == 1 else 's'}, {d.converted:,} converted, {_pct(d.rate)}, "
                                   "lift ", _lift(d.lift)))
    return TableOrLines(table, title, lines)


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
        # With --since/--until the rows created in the window, as the leads are: said, as the export has more.
        scope = " created in the window" if report.creation_window else ""
        line += f"; rejected rows{scope} (not scored) {report.rejected:,}"
    parts.append(Text(line))
    for note in report.notes:
        parts.append(Text(f"note: {note}", style="yellow"))
    auc = "-" if report.auc is None else f"{report.auc:.3f}"
    auc_text = Text(f"ROC AUC of the total score: {auc}", style="bold")
    auc_text.append("  (0.5 = no better than chance, 1.0 = every converter outscores every other lead)",
                    style="dim")
    parts.append(auc_text)

    parts.append(_segments("Conversion by tier", "tier", report.tiers))
    parts.append(_segments("Conversion by grade", "grade", report.grades))
    if report.deciles:
        parts.append(_deciles(report.deciles, report.score_bands))

    if report.classifiers:
        title = "Current thresholds"
        table = _table(title, [("sent to sales when", "left"), ("leads", "right"), ("converted", "right"),
                               ("precision", "right"), ("recall", "right"), ("F1", "right")],
                       wrap="sent to sales when")
        lines = []
        for c in report.classifiers:
            table.add_row(Text(c.name), f"{c.predicted:,}", f"{c.true_positives:,}", _pct(c.precision),
                          _pct(c.recall), _num(c.f1, 3))
            lines.append(Text(f"{c.name}: {c.predicted:,} leads, {c.true_positives:,} converted, precision "
                              f"{_pct(c.precision)}, recall {_pct(c.recall)}, F1 {_num(c.f1, 3)}"))
        parts.append(TableOrLines(table, title, lines))

    if report.rules:
        title = "Rule evidence (conversion where the rule fired vs not)"
        table = _table(title, [("rule", "left"), ("points", "right"), ("fired", "right"), ("rate", "right"),
                               ("not fired", "right"), ("rate", "right"), ("lift", "right"), ("verdict", "left")],
                       wrap="verdict")
        lines = []
        for r in report.rules:
            style = "" if r.verdict == "predictive" else "yellow"
            few = r.few_leads and r.verdict != TOO_FEW  # the verdict says so already
            verdict = Text(r.verdict + (" (few leads)" if few else ""), style=style)
            points = _num(r.points, 0 if float(r.points).is_integer() else 1)
            table.add_row(Text(r.rule), points, f"{r.fired:,}", _pct(r.fired_rate), f"{r.not_fired:,}",
                          _pct(r.not_fired_rate), _lift(r.lift), verdict)
            lines.append(Text.assemble(f"{r.rule} ({points} points): fired {r.fired:,}, {_pct(r.fired_rate)}; not "
                                       f"fired {r.not_fired:,}, {_pct(r.not_fired_rate)}; lift ", _lift(r.lift),
                                       "; ", verdict))
        parts.append(TableOrLines(table, title, lines))

    scores = Text("average total score: converted "
                  f"{_num(report.mean_score_converted)} (median {_num(report.median_score_converted)}), "
                  f"not converted {_num(report.mean_score_not_converted)}")
    parts.append(scores)
    for s in report.suggestions:
        if s.threshold is None:
            parts.append(Text(f"suggested threshold for {s.target}: none ({s.note})", style="yellow"))
            continue
        text = Text(f"suggested threshold for {s.target}: total >= {_exact(s.threshold)}", style="bold")
        text.append(f"  -> {s.volume:,} lead{'' if s.volume == 1 else 's'}, {s.true_positives:,} converted, precision {_pct(s.precision)}, "
                    f"recall {_pct(s.recall)}")
        if s.note:
            text.append(f" ({s.note})", style="yellow")
        parts.append(text)

    parts.append(Text(f"disqualified leads that converted: {report.disqualified_converted:,}; "
                      f"nurtured (bad timing) leads that converted: {report.nurtured_converted:,}"))
    if report.audit:
        title = "Disqualification audit (a lead counts under each of its reasons)"
        table = _table(title, [("reason", "left"), ("category", "left"), ("leads", "right"), ("converted", "right"),
                               ("rate", "right"), ("lift", "right")], wrap="reason")
        lines = []
        for a in report.audit:
            # Text, not markup: a reason's label is the ruleset author's free text.
            reason = f"{a.label} ({a.code})"
            table.add_row(Text(reason), Text(a.category), f"{a.leads:,}", f"{a.converted:,}", _pct(a.rate),
                          _lift(a.lift))
            lines.append(Text.assemble(f"{reason}, {a.category}: {a.leads:,} leads, {a.converted:,} converted, "
                                       f"{_pct(a.rate)}, lift ", _lift(a.lift)))
        parts.append(TableOrLines(table, title, lines))
    return Group(*parts)


def _bar(count: int, peak: int, width: int = BAR_WIDTH) -> str:
    return "█" * (int(round(count / peak * width)) if peak else 0)


def _tier(name: str) -> Text:
    return Text(name, style=TIER_STYLES.get(name, ""))


def _matrix(report: DiffReport) -> TableOrLines:
    title = "Tier migration (rows: tier under A, columns: tier under B)"
    table = _table(title, [("A \\ B", "left")] + [("", "right") for _ in report.tiers] + [("total A", "right")])
    for column, tier in zip(table.columns[1:], report.tiers):
        column.header = _tier(tier)
    lines = []
    for i, tier in enumerate(report.tiers):
        row = report.matrix[i]
        cells = [Text(f"{n:,}", style="bold" if i == j else ("yellow" if n else "dim")) for j, n in enumerate(row)]
        table.add_row(_tier(tier), *cells, f"{sum(row):,}")
        line = Text.assemble(_tier(tier), f" {sum(row):,}")
        moves = [Text.assemble(_tier(report.tiers[j]), f" {n:,}") for j, n in enumerate(row) if n]
        if moves:
            line.append(" -> ")
            line.append_text(Text(", ").join(moves))
        lines.append(line)
    totals_b = [sum(row[j] for row in report.matrix) for j in range(len(report.tiers))]
    table.add_row(Text("total B", style="dim"), *[f"{n:,}" for n in totals_b], f"{report.leads:,}")
    lines.append(Text.assemble(Text("total under B:", style="dim"), " ", Text(", ").join(
        Text.assemble(_tier(t), f" {n:,}") for t, n in zip(report.tiers, totals_b)), f"; leads {report.leads:,}"))
    return TableOrLines(table, "Tier migration (tier under A and its leads -> their tiers under B)", lines)


def _moved(report: DiffReport) -> TableOrLines:
    title = f"Leads whose tier changed most (top {len(report.moved)})"
    table = _table(title, [("lead", "left"), ("tier A -> B", "left"), ("total A", "right"), ("total B", "right"),
                           ("rules responsible (A -> B points)", "left")], wrap="rules responsible (A -> B points)")
    lines = []
    for m in report.moved:
        rules = "; ".join(f"{c.rule} {_num(c.points_a)} -> {_num(c.points_b)}" for c in m.rules)
        rules = responsible(m, rules)
        tiers = Text.assemble(_tier(m.tier_a), " -> ", _tier(m.tier_b))
        # Text, not markup: a lead id is data ('X[/]1' ended the report with exit 70).
        table.add_row(Text(m.lead_id), tiers, _num(m.total_a), _num(m.total_b), Text(rules))
        lines.append(Text.assemble(m.lead_id, " ", tiers, f", total {_num(m.total_a)} -> {_num(m.total_b)}: {rules}"))
    return TableOrLines(table, title, lines)


def _distributions(report: DiffReport) -> TableOrLines:
    title = "Score distribution"
    stats = ("mean", "p10", "p25", "median", "p75", "p90")
    table = _table(title, [("score", "left"), ("ruleset", "left"), ("count", "right")]
                   + [(k, "right") for k in stats])
    lines = []
    for d in report.distributions:
        for tag, figures in (("A", d.a), ("B", d.b)):
            count = f"{int(figures['count'] or 0):,}"
            table.add_row(d.measure if tag == "A" else "", tag, count, *[_num(figures[k]) for k in stats])
            lines.append(Text(f"{d.measure} {tag}: count {count}, "
                              + ", ".join(f"{k} {_num(figures[k])}" for k in stats)))
    return TableOrLines(table, title, lines)


class _Histogram:
    """The total-score histogram, its bars as wide as the console leaves room for (at most ``BAR_WIDTH``).

    Where A's and B's bars side by side would be shorter than ``SIDE_BY_SIDE_MIN``, a bin's A and B are
    two rows; where even bars of ``STACKED_MIN`` do not fit, the bins are lines.
    """

    title = "Total score histogram"
    SIDE_BY_SIDE_MIN = 8
    STACKED_MIN = 4

    def __init__(self, histogram: Histogram) -> None:
        self.h = histogram
        self.peak = max(histogram.a + histogram.b)

    def _bin(self, i: int) -> str:
        return f"{_num(self.h.edges[i])} .. {_num(self.h.edges[i + 1])}"

    def _side_by_side(self, width: int) -> Table:
        h = self.h
        table = _table(self.title, [("total", "left"), ("A", "right"), ("", "left"), ("B", "right"), ("", "left")])
        for i in range(len(h.a)):
            table.add_row(self._bin(i), f"{h.a[i]:,}", _bar(h.a[i], self.peak, width), f"{h.b[i]:,}",
                          _bar(h.b[i], self.peak, width))
        return table

    def _stacked(self, width: int) -> Table:
        h = self.h
        table = _table(self.title, [("total", "left"), ("", "left"), ("leads", "right"), ("", "left")])
        for i in range(len(h.a)):
            table.add_row(self._bin(i), "A", f"{h.a[i]:,}", _bar(h.a[i], self.peak, width))
            table.add_row("", "B", f"{h.b[i]:,}", _bar(h.b[i], self.peak, width))
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for layout, narrowest in ((self._side_by_side, self.SIDE_BY_SIDE_MIN), (self._stacked, self.STACKED_MIN)):
            for width in range(BAR_WIDTH, narrowest - 1, -1):
                table = layout(width)
                if table_fits(table, console, options):
                    yield table
                    return
        yield Text(self.title)
        for i in range(len(self.h.a)):
            yield Text(f"{self._bin(i)}: A {self.h.a[i]:,}, B {self.h.b[i]:,}")


def diff_report(report: DiffReport) -> Group:
    """The terminal report of ``leadq diff``.

    Values from the data or the rulesets (lead ids, tier and rule names) are drawn as text, never as Rich
    markup; below a table's width its rows are drawn as lines, so that no number is split.
    """
    parts: list = []
    head = Text()
    head.append("leadq diff", style="bold")
    head.append(f"  as of: {report.as_of}")
    parts.append(head)
    parts.append(Text(f"A: {report.ruleset_a} ({report.path_a})\nB: {report.ruleset_b} ({report.path_b})"))
    share = report.changed / report.leads if report.leads else None
    parts.append(Text(f"leads compared {report.leads:,}; tier changed {report.changed:,} ({_pct(share)})"))
    for note in report.notes:
        parts.append(Text(f"note: {note}", style="yellow"))
    parts.append(_matrix(report))
    if report.moved:
        parts.append(_moved(report))
    parts.append(_distributions(report))
    if report.histogram.edges:
        parts.append(_Histogram(report.histogram))
    return Group(*parts)
