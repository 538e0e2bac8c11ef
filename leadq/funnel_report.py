"""Terminal rendering of the funnel report with rich.

Figures come from :class:`leadq.funnel.FunnelReport` (or its dict) as plain
data; this module only draws them. The console from
:func:`leadq.report.make_console` gives colour only on a terminal, honours
``NO_COLOR``, and follows the terminal width; tables drop their less important
columns on narrow terminals.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

from leadq.report import ReportTable, TableOrLines, table_fits

STAGE_STYLES = {"lead": "", "mql": "cyan", "sql": "green", "opportunity": "bold green", "won": "bold magenta"}
SPARK = "▁▂▃▄▅▆▇█"
SHORT = {"lead": "Lead", "mql": "MQL", "sql": "SQL", "opportunity": "Opp", "won": "Won"}
ARROW = "→"
NARROW = 120  # below this width, breakdown tables keep only rates
MONTHS_WIDTH = 110  # below this width, the velocity months table is left out (the sparkline stays)


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v * 100:.1f}%"


def _growth(v: float | None) -> str:
    return "–" if v is None else f"{v * 100:+.0f}%"


def _num(v: float | None, unit: str = "") -> str:
    return "–" if v is None else f"{v:,.1f}{unit}"


def _mark_text(mark: str | None, *, higher_is_better: bool = True) -> Text:
    if mark is None:
        return Text("")
    good = (mark == "above") == higher_is_better
    style = "" if mark == "within" else ("green" if good else "red")
    return Text(mark, style=style)


def _bar(count: int, total: int, width: int) -> str:
    if total <= 0 or width <= 0:
        return ""
    filled = round(count / total * width)
    if count and not filled:
        filled = 1  # a stage with leads never looks empty
    return "█" * filled + "·" * (width - filled)


def sparkline(values: list[int]) -> str:
    """One block character per value, scaled between the series' minimum and maximum."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARK[3] * len(values)
    return "".join(SPARK[round((v - low) / (high - low) * (len(SPARK) - 1))] for v in values)


def _table(title: str | Text | None = None) -> Table:
    return ReportTable(title=title, show_edge=False)


class _Fitted(TableOrLines):
    """A table, or on a terminal too narrow for it its rows as lines (no title line when it has none)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if table_fits(self.table, console, options):
            yield self.table
            return
        if self.title:
            yield self.title if isinstance(self.title, Text) else Text(self.title, style="bold")
        yield from self.lines


def _fitted(table: Table) -> _Fitted:
    """``table`` drawn whole, or as one line per row ("MQL: leads 853; of leads 29.0%; ...") where it
    does not fit: Rich folded its numbers over lines ("2,9" over "41") and dropped whole columns."""
    headers = [str(c.header) for c in table.columns]
    rows = zip(*[list(c.cells) for c in table.columns])
    lines = []
    for row in rows:
        cells = [c.plain if isinstance(c, Text) else str(c) for c in row]
        parts = [f"{h} {c}".strip() for h, c in zip(headers[1:], cells[1:])
                 if c.strip() and not set(c) <= set("█·")]  # a bar says nothing the share does not
        lines.append(Text(f"{cells[0]}: " + "; ".join(parts)))
    return _Fitted(table, table.title or "", lines)


def _funnel_table(data: dict, width: int, title: str | None = "Funnel") -> Table:
    stages, conversions = data["stages"], data["conversions"]
    step = {c["to"]: c for c in conversions if c["from"] != "lead" or c["to"] == "mql"}
    table = _table(title)
    for name, justify in (("stage", "left"), ("leads", "right"), ("of leads", "right"), ("", "left"),
                          ("step", "right"), ("benchmark", "right"), ("", "left")):
        table.add_column(name, justify=justify)
    total = stages[0]["reached"]
    bar_width = max(8, min(30, width - 62))
    for s in stages:
        c = step.get(s["stage"])
        table.add_row(Text(s["label"], style=STAGE_STYLES.get(s["stage"], "")), f"{s['reached']:,}",
                      _pct(s["share_of_leads"]), _bar(s["reached"], total, bar_width),
                      _pct(c["rate"]) if c else "", Text((c["benchmark"] or {}).get("text", "")) if c else "",
                      _mark_text(c["mark"]) if c else "")
    return table


def _stage_notes(data: dict) -> list[Text]:
    out = []
    undated = [f"{s['label']} {s['undated']:,}" for s in data["stages"][1:] if s["undated"]]
    if undated:
        out.append(Text("reached without that stage's own date (skipped or blank; counted from a later stage): "
                        + ", ".join(undated), style="dim"))
    ooo = data["out_of_order"]
    if ooo["leads"]:
        parts = ", ".join(f"{k} {v:,}" for k, v in ooo["by_stage"].items() if v)
        out.append(Text(f"dates out of order: {ooo['leads']:,} lead(s) have a stage dated before an earlier one "
                        f"({parts}); those pairs are left out of the times between stages", style="yellow"))
    return out


def _durations_table(data: dict) -> Table:
    table = _table("Time between stages (days)")
    for name, justify in (("from → to", "left"), ("leads", "right"), ("median", "right"), ("p90", "right"),
                          ("out of order", "right"), ("benchmark", "right"), ("", "left")):
        table.add_column(name, justify=justify)
    for d in data["durations"]:
        table.add_row(f"{SHORT[d['from']]} {ARROW} {SHORT[d['to']]}", f"{d['leads']:,}", _num(d["median_days"]),
                      _num(d["p90_days"]), f"{d['out_of_order']:,}" if d["out_of_order"] else "",
                      Text((d["benchmark"] or {}).get("text", "")), _mark_text(d["mark"], higher_is_better=False))
    return table


def _velocity_part(v: dict, width: int) -> list:
    series = v["series"]
    if not series:
        return []
    out: list = [Text(f"Lead velocity (last {v['months']} months{', the last one partial' if v['partial_last_month'] else ''})",
                      style="bold")]
    table = _table()
    table.add_column("", no_wrap=True)
    table.add_column(f"{series[0]['month']}..{series[-1]['month']}", no_wrap=True)
    table.add_column("last", justify="right")
    table.add_column("growth/mo", justify="right")
    table.add_column("benchmark", justify="right")
    table.add_column("", no_wrap=True)
    for stage, label in (("mql", "MQL"), ("sql", "SQL")):
        values = [m[stage] for m in series]
        table.add_row(label, sparkline(values), f"{values[-1]:,}", _pct(v[f"{stage}_monthly_growth"]),
                      Text((v["benchmark"] or {}).get("text", "")), _mark_text(v[f"{stage}_mark"]))
    out.append(table)
    if width >= MONTHS_WIDTH:
        months = _table()
        months.add_column("month", no_wrap=True)
        for m in series:
            months.add_column(m["month"][2:], justify="right")
        months.add_row("MQL", *[f"{m['mql']:,}" for m in series])
        months.add_row("MoM", *[_growth(m["mql_growth"]) for m in series])
        months.add_row("SQL", *[f"{m['sql']:,}" for m in series])
        months.add_row("MoM", *[_growth(m["sql_growth"]) for m in series])
        out.append(months)
    return out


def _speed_part(s: dict) -> list:
    if s.get("unavailable"):
        return [Text(f"Speed to lead: not available: {s['unavailable']}", style="yellow")]
    if not s["mqls"]:
        return [Text("Speed to lead: no MQL dates", style="dim")]
    sla = ", ".join(f"{t} {h:g} h" for t, h in s["sla_hours"].items())
    lines = [Text("Speed to lead (MQL date to first sales touch)", style="bold"),
             Text(f"MQLs {s['mqls']:,}; touched {s['touched']:,} (median {_num(s['median_hours'], ' h')}, "
                  f"p90 {_num(s['p90_hours'], ' h')}); within SLA {s['within_sla']:,} "
                  f"({_pct(s['share_within_sla'])} of those due); missed {s['missed_sla']:,}; "
                  f"untouched past SLA {s['untouched_past_sla']:,}; untouched, SLA running {s['untouched_within_sla']:,}"),
             Text(f"SLA: {sla} (other tiers and leads without a tier: mql)", style="dim")]
    if s["touched_before_mql"]:
        lines.append(Text(f"first touch dated before the MQL date: {s['touched_before_mql']:,} (left out)",
                          style="yellow"))
    if s["by_tier"]:
        table = _table()
        for name, justify in (("tier", "left"), ("SLA", "right"), ("MQLs", "right"), ("median h", "right"),
                              ("within", "right"), ("share", "right"), ("untouched late", "right")):
            table.add_column(name, justify=justify)
        for t in s["by_tier"]:
            table.add_row(Text(t["tier"]), f"{t['sla_hours']:g} h", f"{t['mqls']:,}", _num(t["median_hours"]),
                          f"{t['within_sla']:,}", _pct(t["share_within_sla"]), f"{t['untouched_past_sla']:,}")
        lines.append(table)
    return lines


def _cohort_table(cohorts: list[dict], width: int) -> Table:
    table = _table("Cohorts by month of entry (reached each stage so far)")
    cols = [("month", "left"), ("age d", "right"), ("leads", "right"), ("MQL", "right"), ("SQL", "right"),
            ("Opp", "right"), ("Won", "right"), ("Lead→MQL", "right"), ("MQL→SQL", "right")]
    if width >= 90:
        cols.append(("Lead→Won", "right"))
    for name, justify in cols:
        table.add_column(name, justify=justify)
    for c in cohorts:
        row = [c["month"], f"{c['age_days']:,}", f"{c['leads']:,}", f"{c['mql']:,}", f"{c['sql']:,}",
               f"{c['opportunity']:,}", f"{c['won']:,}", _pct(c["lead_to_mql"]), _pct(c["mql_to_sql"])]
        if width >= 90:
            row.append(_pct(c["lead_to_won"]))
        table.add_row(*row)
    return table


def _breakdown_table(b: dict, width: int) -> Table:
    # Text, not Rich markup, for values from the data and the ruleset (a segment, a column's name, a
    # reason's label): '[/]' in one ended the report with exit 70, and '[red]' vanished.
    table = _table(Text(f"By {b['by']}" + (f" ({b['column']})" if b["column"] != b["by"] else "")))
    wide = width >= NARROW
    cols = [("segment", "left"), ("leads", "right")]
    if wide:
        cols += [("MQL", "right"), ("SQL", "right"), ("Opp", "right"), ("Won", "right")]
    cols += [("Lead→MQL", "right"), ("MQL→SQL", "right"), ("SQL→Opp", "right"), ("Opp→Won", "right")]
    if wide:
        cols += [("MQL→Won d", "right"), ("SLA met", "right")]
    cols.append(("", "left"))
    seg_width = min(28, max([len(str(seg["value"])) for seg in b["segments"]] + [7]))
    for name, justify in cols:
        table.add_column(name, justify=justify, min_width=seg_width if name == "segment" else None)
    for seg in b["segments"]:
        reached = {s["stage"]: s["reached"] for s in seg["stages"]}
        rates = {c["key"]: c for c in seg["conversions"]}
        row: list = [Text(str(seg["value"])), f"{seg['leads']:,}"]
        if wide:
            row += [f"{reached[s]:,}" for s in ("mql", "sql", "opportunity", "won")]
        for k in ("lead_to_mql", "mql_to_sql", "sql_to_opportunity", "opportunity_to_won"):
            c = rates[k]
            mark = {"above": "▲", "below": "▼"}.get(c["mark"] or "", "")
            row.append(Text(_pct(c["rate"]) + mark, style="dim" if seg["small"] else ""))
        if wide:
            cycle = next(d for d in seg["durations"] if d["key"] == "mql_to_won")
            row += [_num(cycle["median_days"]), _pct(seg["speed_to_lead"]["share_within_sla"])]
        row.append(Text("no leads" if seg["empty"] else "small" if seg["small"] else "", style="yellow"))
        table.add_row(*row)
    return table


def _dq_table(dq: dict) -> list:
    table = _table("Disqualification reasons")
    for name, justify in (("reason", "left"), ("category", "left"), ("leads", "right"), ("share", "right")):
        table.add_column(name, justify=justify)
    for r in dq["reasons"]:
        table.add_row(Text(r["label"]), Text(r["category"]), f"{r['leads']:,}", _pct(r["share"]))
    cats = "; ".join(f"{c['category']} {c['leads']:,} ({_pct(c['share'])})" for c in dq["categories"])
    return [table, Text(f"leads with a reason {dq['leads_with_reasons']:,} ({_pct(dq['share'])}): {cats}")]


def funnel_report(data: dict, width: int = 100) -> Group:
    """The full `leadq funnel` report from :meth:`FunnelReport.to_dict`, drawn for ``width`` columns."""
    inp, period = data["input"], data["period"]
    parts: list = []
    head = Text()
    head.append("leadq funnel", style="bold")
    span = "all" if not (period["from"] or period["to"]) else f"{period['from'] or '…'} to {period['to'] or '…'}"
    head.append(f"  ruleset: {data['ruleset']}  as of: {data['as_of']}  period: {span}")
    parts.append(head)
    line = f"leads {inp['leads']:,} (rows read {inp['rows']:,}"
    line += "".join(f"; {k} {v:,}" for k, v in inp["dropped"].items())
    if inp.get("after_as_of"):
        line += f"; entered after the as-of date {inp['after_as_of']:,}"
    if inp["outside_period"]:
        line += f"; outside the period {inp['outside_period']:,}"
    if period["from"] or period["to"]:
        if inp["undated"]:
            line += f"; no date to place in the period {inp['undated']:,}"
    parts.append(Text(line + ")"))
    notes = []
    if inp["no_stage_data"]:
        notes.append(f"leads with no stage data at all: {inp['no_stage_data']:,}")
    if inp["unreadable_dates"]:
        notes.append("unreadable dates (treated as blank): "
                     + "; ".join(f"{k} {v:,}" for k, v in inp["unreadable_dates"].items()))
    if inp["missing_columns"]:
        notes.append("stage columns absent from the input (treated as blank): " + ", ".join(inp["missing_columns"]))
    if inp["scored_on_the_fly"]:
        notes.append("tiers and grades: scored on the fly with the ruleset")
    parts += [Text(n, style="yellow") for n in notes]
    parts.append(_funnel_table(data, width))
    closed = data["closed"]
    overall = next(c for c in data["conversions"] if c["key"] == "lead_to_won")
    parts.append(Text(f"overall lead {ARROW} won {_pct(overall['rate'])}; closed: won {closed['won']:,}, "
                      f"lost {closed['lost']:,}, open opportunities {closed['open_opportunities']:,}; "
                      f"win rate of closed {_pct(closed['win_rate_of_closed'])}"))
    parts += _stage_notes(data)
    parts.append(_durations_table(data))
    parts += _velocity_part(data["velocity"], width)
    parts += _speed_part(data["speed_to_lead"])
    if data["cohorts"]:
        parts.append(_cohort_table(data["cohorts"], width))
    for b in data["breakdowns"]:
        parts.append(_breakdown_table(b, width))
    if data["breakdowns"]:
        parts.append(Text(f"small: fewer than {data['breakdowns'][0]['small_segment']} leads (rates unreliable); "
                          "▲/▼ above/below the benchmark", style="dim"))
    if data["disqualification"] is not None:
        parts += _dq_table(data["disqualification"])
    return Group(*[_fitted(p) if isinstance(p, Table) else p for p in parts])


def compact_funnel(data: dict) -> Group:
    """The few lines ``leadq score`` ends with: stage counts and step rates with benchmark marks."""
    # The title on a line of its own: as the table's, it wrapped to the table's width.
    parts: list = [Text("Funnel (stage dates of the input; `leadq funnel` for the full report)", style="italic"),
                   _fitted(_funnel_table(data, 70, title=None))]
    if data.get("out_of_order"):
        parts.append(Text(f"dates out of order: {data['out_of_order']:,} lead(s)", style="yellow"))
    return Group(*parts)
