"""Terminal rendering of the funnel report with rich.

Figures come from :class:`leadq.funnel.FunnelReport` (or its dict) as plain
data; this module only draws them. The console from
:func:`leadq.report.make_console` gives colour only on a terminal, honours
``NO_COLOR``, and follows the terminal width: tables drop their less important
columns on narrow terminals, and a table that still does not fit is drawn as one
line per row. A breakdown shows its largest segments only (``--json`` has all).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

from leadq.funnel_input import BLANK
from leadq.report import ReportTable, TableOrLines, table_fits

STAGE_STYLES = {"lead": "", "mql": "cyan", "sql": "green", "opportunity": "bold green", "won": "bold magenta"}
SPARK = "▁▂▃▄▅▆▇█"
SHORT = {"lead": "Lead", "mql": "MQL", "sql": "SQL", "opportunity": "Opp", "won": "Won"}
ARROW = "→"
NARROW = 120  # below this width, breakdown tables keep only rates
MONTHS_WIDTH = 110  # below this width, the velocity months table is left out (the sparkline stays)
MAX_SEGMENTS_SHOWN = 50  # a breakdown's largest segments drawn in the terminal; --json has every one
INDENT = "  "  # before the continuation of a table row drawn as a line


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


def _table(title: str | Text | None, columns: list[tuple[str, str]], wrap: str | None = None) -> Table:
    """A report table whose cells never wrap but those of the column named ``wrap`` (words of text).

    With every column but one kept whole, :func:`leadq.report.table_fits` is exact: a table that
    fits is drawn as it is, and one that does not is drawn as lines rather than have Rich break its
    headers mid-word ("benchm" over "ark" at 60 columns) or fold its numbers."""
    table = ReportTable(title=title, show_edge=False)
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=name != wrap)  # type: ignore[arg-type]
    return table


Row = tuple[str, list[str]]  # a table row as a line: its label and its "header value" parts


class _Fitted(TableOrLines):
    """The first of ``tables`` (widest first) that fits the console, else the rows as lines.

    A line is "label: header value; header value; ..." broken only between parts, its continuation
    indented: at 40 columns Rich's own wrapping put "last" at the end of one line and its "96" at the
    start of the next.
    """

    def __init__(self, tables: list[Table], title: str | Text, rows: list[Row]) -> None:
        super().__init__(tables[0], title, [])
        self.tables, self.rows = tables, rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for table in self.tables:
            if table_fits(table, console, options):
                yield table
                return
        if self.title:
            yield self.title if isinstance(self.title, Text) else Text(self.title, style="bold")
        for label, parts in self.rows:
            for line in _wrapped(label, parts, options.max_width):
                yield Text(line)


def _wrapped(label: str, parts: list[str], width: int) -> list[str]:
    """``label: part; part; ...`` in lines of at most ``width`` cells, broken between parts only.

    A part wider than a line is left whole on its own line (Rich then wraps it between words)."""
    lines: list[str] = []
    line = f"{label}:" if parts else label
    for i, part in enumerate(parts):
        joiner = " " if i == 0 else "; "
        more = 1 if i < len(parts) - 1 else 0  # the ';' after it
        if cell_len(line + joiner + part) + more <= width:
            line += joiner + part
        else:
            lines.append(line if i == 0 else line + ";")
            line = INDENT + part
    return lines + [line]


def _cell_text(cell) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def _table_rows(table: Table) -> list[Row]:
    """A table's rows as lines: "MQL: leads 853; of leads 29.0%; step 29.0%; benchmark 10-20% (above)".

    A column without a header (a benchmark's mark) goes in brackets after the part before it; a bar
    says nothing the share does not and is left out."""
    headers = [str(c.header) for c in table.columns]
    rows: list[Row] = []
    for row in zip(*[list(c.cells) for c in table.columns]):
        cells = [_cell_text(c) for c in row]
        parts: list[str] = []
        for header, cell in zip(headers[1:], cells[1:]):
            if not cell.strip() or set(cell) <= set("█·"):
                continue
            if not header and parts:
                parts[-1] += f" ({cell})"
            else:
                parts.append(f"{header} {cell}".strip())
        rows.append((cells[0], parts))
    return rows


def _fitted(*tables: Table) -> _Fitted:
    """``tables`` (widest first): the first that fits is drawn whole; where none does, the first's rows
    as lines (:func:`_table_rows`): Rich folded numbers over lines ("2,9" over "41") and dropped columns."""
    return _Fitted(list(tables), tables[0].title or "", _table_rows(tables[0]))


def _bar_width(width: int) -> int:
    """The stage bars' width on a ``width``-column terminal: what the table leaves, 8 to 30."""
    return max(8, min(30, width - 62))


def _funnel_table(data: dict, bar_width: int, title: str | None = "Funnel") -> Table:
    """The stage table; ``bar_width`` 0 leaves the bars out (the table then fits 60 columns)."""
    stages, conversions = data["stages"], data["conversions"]
    step = {c["to"]: c for c in conversions if c["from"] != "lead" or c["to"] == "mql"}
    columns = [("stage", "left"), ("leads", "right"), ("of leads", "right")] + ([("", "left")] if bar_width else [])
    table = _table(title, columns + [("step", "right"), ("benchmark", "right"), ("", "left")])
    total = stages[0]["reached"]
    for s in stages:
        c = step.get(s["stage"])
        bar = [_bar(s["reached"], total, bar_width)] if bar_width else []
        table.add_row(Text(s["label"], style=STAGE_STYLES.get(s["stage"], "")), f"{s['reached']:,}",
                      _pct(s["share_of_leads"]), *bar,
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
    # "out of order" may go over two lines: the table then fits 60 columns.
    table = _table("Time between stages (days)",
                   [("from → to", "left"), ("leads", "right"), ("median", "right"), ("p90", "right"),
                    ("out of order", "right"), ("benchmark", "right"), ("", "left")], wrap="out of order")
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
    table = _table(None, [("", "left"), (f"{series[0]['month']}..{series[-1]['month']}", "left"),
                          ("last", "right"), ("growth/mo", "right"), ("benchmark", "right"), ("", "left")])
    for stage, label in (("mql", "MQL"), ("sql", "SQL")):
        values = [m[stage] for m in series]
        table.add_row(label, sparkline(values), f"{values[-1]:,}", _pct(v[f"{stage}_monthly_growth"]),
                      Text((v["benchmark"] or {}).get("text", "")), _mark_text(v[f"{stage}_mark"]))
    out.append(table)
    if width >= MONTHS_WIDTH:
        months = _table(None, [("month", "left")] + [(m["month"][2:], "right") for m in series])
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
        table = _table(None, [("tier", "left"), ("SLA", "right"), ("MQLs", "right"), ("median h", "right"),
                              ("within", "right"), ("share", "right"), ("untouched late", "right")],
                       wrap="untouched late")
        for t in s["by_tier"]:
            table.add_row(Text(t["tier"]), f"{t['sla_hours']:g} h", f"{t['mqls']:,}", _num(t["median_hours"]),
                          f"{t['within_sla']:,}", _pct(t["share_within_sla"]), f"{t['untouched_past_sla']:,}")
        lines.append(table)
    return lines


def _cohort_table(cohorts: list[dict], width: int) -> Table:
    cols = [("month", "left"), ("age d", "right"), ("leads", "right"), ("MQL", "right"), ("SQL", "right"),
            ("Opp", "right"), ("Won", "right"), ("Lead→MQL", "right"), ("MQL→SQL", "right")]
    if width >= 90:
        cols.append(("Lead→Won", "right"))
    table = _table("Cohorts by month of entry (reached each stage so far)", cols)
    for c in cohorts:
        row = [c["month"], f"{c['age_days']:,}", f"{c['leads']:,}", f"{c['mql']:,}", f"{c['sql']:,}",
               f"{c['opportunity']:,}", f"{c['won']:,}", _pct(c["lead_to_mql"]), _pct(c["mql_to_sql"])]
        if width >= 90:
            row.append(_pct(c["lead_to_won"]))
        table.add_row(*row)
    return table


RATE_KEYS = ("lead_to_mql", "mql_to_sql", "sql_to_opportunity", "opportunity_to_won")
ARROWS = {"above": "▲", "below": "▼"}


def _shown(b: dict) -> list[dict]:
    """The segments of a breakdown drawn in the terminal: the largest :data:`MAX_SEGMENTS_SHOWN` (they
    come sorted by volume, blanks last), and the leads with no value however few; ``--json`` has them all."""
    segments = b["segments"]
    if len(segments) <= MAX_SEGMENTS_SHOWN:
        return segments
    return segments[:MAX_SEGMENTS_SHOWN] + [s for s in segments[MAX_SEGMENTS_SHOWN:] if s["value"] == BLANK]


def _breakdown_part(b: dict, width: int) -> list:
    """One breakdown: its table (or lines), and a line for the segments left out of the terminal.

    With 15,000 segments the table took 18 s to draw, for rows nobody reads on a terminal."""
    # Text, not Rich markup, for values from the data and the ruleset (a segment, a column's name, a
    # reason's label): '[/]' in one ended the report with exit 70, and '[red]' vanished.
    title = Text(f"By {b['by']}" + (f" ({b['column']})" if b["column"] != b["by"] else ""))
    wide = width >= NARROW
    cols = [("segment", "left"), ("leads", "right")]
    if wide:
        cols += [("MQL", "right"), ("SQL", "right"), ("Opp", "right"), ("Won", "right")]
    cols += [("Lead→MQL", "right"), ("MQL→SQL", "right"), ("SQL→Opp", "right"), ("Opp→Won", "right")]
    if wide:
        cols += [("MQL→Won d", "right"), ("SLA met", "right")]
    table = _table(title, cols + [("", "left")], wrap="segment")
    rows: list[Row] = []
    shown = _shown(b)
    for seg in shown:
        reached = {s["stage"]: s["reached"] for s in seg["stages"]}
        rates = {c["key"]: c for c in seg["conversions"]}
        cells: list[str] = [f"{seg['leads']:,}"]
        if wide:
            cells += [f"{reached[s]:,}" for s in ("mql", "sql", "opportunity", "won")]
        first_rate = len(cells)
        cells += [_pct(rates[k]["rate"]) + ARROWS.get(rates[k]["mark"] or "", "") for k in RATE_KEYS]
        if wide:
            cycle = next(d for d in seg["durations"] if d["key"] == "mql_to_won")
            cells += [_num(cycle["median_days"]), _pct(seg["speed_to_lead"]["share_within_sla"])]
        mark = "no leads" if seg["empty"] else "small" if seg["small"] else ""
        dim = "dim" if seg["small"] else ""  # a small segment's rates are unreliable
        table.add_row(Text(str(seg["value"])),
                      *[Text(c, style=dim) if first_rate <= i < first_rate + len(RATE_KEYS) else c
                        for i, c in enumerate(cells)], Text(mark, style="yellow"))
        if seg["empty"]:
            rows.append((str(seg["value"]), ["no leads"]))
        else:
            rows.append((str(seg["value"]) + (f" ({mark})" if mark else ""),
                         [f"{name} {cell}" for (name, _), cell in zip(cols[1:], cells)]))
    out: list = [_Fitted([table], title, rows)]
    rest = [s for s in b["segments"][MAX_SEGMENTS_SHOWN:] if s["value"] != BLANK]
    if rest:
        out.append(Text(f"… and {len(rest):,} more segments with {sum(s['leads'] for s in rest):,} leads "
                        "(see --json for every segment)", style="dim"))
    return out


def _breakdown_legend(breakdowns: list[dict]) -> Text | None:
    """What the marks drawn in the breakdowns mean, for the marks drawn only (None: no mark)."""
    shown = [seg for b in breakdowns for seg in _shown(b)]
    notes = []
    if any(seg["small"] and not seg["empty"] for seg in shown):
        notes.append(f"small: fewer than {breakdowns[0]['small_segment']} leads (rates unreliable)")
    if any(c["key"] in RATE_KEYS and c["mark"] in ARROWS for seg in shown for c in seg["conversions"]):
        notes.append("▲/▼ above/below the benchmark")
    return Text("; ".join(notes), style="dim") if notes else None


def _dq_table(dq: dict) -> list:
    table = _table("Disqualification reasons", [("reason", "left"), ("category", "left"), ("leads", "right"),
                                                ("share", "right")], wrap="reason")
    for r in dq["reasons"]:
        table.add_row(Text(r["label"]), Text(r["category"]), f"{r['leads']:,}", _pct(r["share"]))
    cats = "; ".join(f"{c['category']} {c['leads']:,} ({_pct(c['share'])})" for c in dq["categories"])
    return [table, Text(f"leads with a reason {dq['leads_with_reasons']:,} ({_pct(dq['share'])}): {cats}")]


def funnel_report(data: dict, width: int = 100, *, disqualifiers: bool | None = None) -> Group:
    """The full `leadq funnel` report from :meth:`FunnelReport.to_dict`, drawn for ``width`` columns.

    Args:
        disqualifiers: whether the ruleset has disqualifiers. Without them the "Disqualification reasons"
            table is left out unless a lead has a reason (the JSON keeps its keys): it was a header and
            "leads with a reason 0". None (not known): left out when no lead has a reason.
    """
    inp, period = data["input"], data["period"]
    parts: list = []
    head = Text()
    head.append("leadq funnel", style="bold")
    # The end is exclusive (a date-only --to 2026-06-30 is 2026-07-01T00:00); unsaid, it read as one day more.
    end = f"{period['to']} (exclusive)" if period["to"] else "…"
    span = "all" if not (period["from"] or period["to"]) else f"{period['from'] or '…'} to {end}"
    head.append(f"  ruleset: {data['ruleset']}  as of: {data['as_of']}  period: {span}")
    if data["timezone"] != "UTC":
        # Months, cohort ages and the period's dates are that zone's calendar (UTC says nothing new).
        head.append(f"  time zone: {data['timezone']}")
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
    parts.append(_fitted(_funnel_table(data, _bar_width(width)), _funnel_table(data, 0)))
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
        parts += _breakdown_part(b, width)
    legend = _breakdown_legend(data["breakdowns"])
    if legend is not None:
        parts.append(legend)
    dq = data["disqualification"]
    if dq is not None and (disqualifiers or dq["leads_with_reasons"]):
        parts += _dq_table(dq)
    return Group(*[_fitted(p) if isinstance(p, Table) else p for p in parts])


def compact_funnel(data: dict) -> Group:
    """The few lines ``leadq score`` ends with: stage counts and step rates with benchmark marks."""
    # The title on a line of its own: as the table's, it wrapped to the table's width.
    parts: list = [Text("Funnel (stage dates of the input; `leadq funnel` for the full report)", style="italic"),
                   _fitted(_funnel_table(data, _bar_width(70), title=None), _funnel_table(data, 0, title=None))]
    if data.get("out_of_order"):
        parts.append(Text(f"dates out of order: {data['out_of_order']:,} lead(s)", style="yellow"))
    return Group(*parts)
