"""The terminal report of ``leadq test``: one line per case, and what each failed case got instead."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from leadq.cases import CasesReport
from leadq.explain import fmt_points
from leadq.report import TIER_STYLES, ReportTable


def cases_report(report: CasesReport) -> Group:
    """The cases in file order: passed or failed, the scores and tier they got, and every miss."""
    # Names from the ruleset and the cases file are text, never Rich markup ('[/]' in a case name exited 70).
    # The head is a line of its own, as the other reports' are: as the table's title it was folded to the
    # table's width, "as of:" at the end of one line and its date alone on the next.
    head = Text(f"leadq test  ruleset: {report.ruleset}  cases: {report.cases_path}  as of: {report.as_of}")
    table = ReportTable()
    for col in ("", "line", "case", "tier", "grade", "fit", "intent", "total"):
        table.add_column(col, justify="right" if col in ("line", "fit", "intent", "total") else "left",
                         no_wrap=col != "case")
    for r in report.results:
        mark = Text("pass", style="green") if r.passed else Text("FAIL", style="bold red")
        if r.rejected is not None:
            table.add_row(mark, str(r.line), Text(r.name), "(rejected)", "", "", "", "")
            continue
        table.add_row(mark, str(r.line), Text(r.name), Text(r.tier or "", style=TIER_STYLES.get(r.tier or "", "")),
                      Text(r.grade or ""), fmt_points(r.fit or 0.0), fmt_points(r.intent or 0.0), fmt_points(r.total or 0.0))
    parts: list = [head, table]
    for r in report.results:
        if r.passed:
            continue
        lines = Text()
        lines.append(f"line {r.line}: {r.name}\n", style="bold")
        for failure in r.failures:
            lines.append(f"  {failure}\n", style="red")
        if r.explanation:
            lines.append(f"  explanation: {r.explanation}\n")
        parts.append(lines)
    total = len(report.results)
    summary = f"{total - report.failed} of {total} cases passed"
    parts.append(Text(summary if not report.failed else f"{summary}; {report.failed} failed",
                      style="bold red" if report.failed else "bold green"))
    return Group(*parts)
