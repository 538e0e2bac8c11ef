"""Terminal rendering of ``leadq explain`` with rich.

The figures come from :mod:`leadq.explain` as plain data; this module only
draws them: a head line, the hand-off paragraph, the score line, a table of
every rule, the tiers tried in order, the disqualification reasons and the
next step (route, flags, SLA, nurture track: lines, which fold at any width).
"""

from __future__ import annotations

import math
import re
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.text import Text

from leadq.explain import (ExplainReport, LeadExplanation, NextStep, RuleExplanation, SlaStep, fmt_points,
                           period_text)
from leadq.report import TIER_STYLES, ReportTable


def _value(value: Any) -> str:
    if value is None:
        return "(blank)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return fmt_points(value)
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _near_value(value: float, thresholds: set[float]) -> str:
    """A number as the report writes it, with more decimals when the short figure lands on or across a threshold.

    ``intent >= 40`` is not met by 39.96, which one decimal writes "40": the tier would read
    "no ... intent = 40"; ``days_since(demo_request) <= 14`` is not met by 14.001 days. The fewest
    decimals that put the figure on the same side of every threshold as the value say why (the figure
    equals a threshold only when the value does). A value that no 15 decimals tell apart is written in full.
    """
    def side(x: float, t: float) -> int:
        return (x > t) - (x < t)

    text = fmt_points(value)
    for decimals in range(2, 16):
        if all(side(float(text), t) == side(value, t) for t in thresholds):
            return text
        text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return text if all(side(float(text), t) == side(value, t) for t in thresholds) else repr(value)


def _values(values: dict[str, Any], read_from: dict[str, str], condition: str = "") -> str:
    """ "k = v" for each value a condition saw; a number read from a range says from what.

    ``condition``: the text the values were seen for, whose numbers a value is not rounded onto.
    """
    thresholds = {float(n) for n in re.findall(r"\d+(?:\.\d+)?", condition)}
    thresholds |= {-t for t in thresholds}

    def shown(v: Any) -> str:
        return _near_value(v, thresholds) if isinstance(v, float) and thresholds else _value(v)

    return ", ".join(f"{k} = {shown(v)}" + (f' (from "{read_from[k]}")' if k in read_from else "")
                     for k, v in values.items())


def _saw(rule: RuleExplanation, read_from: dict[str, str]) -> str:
    if rule.events is None:
        text = _values(rule.values, read_from, rule.condition)
    elif rule.events == 0:
        return rule.note
    else:
        when = rule.days_since_last
        ago = "today" if when is not None and when <= 0 else ("1 day ago" if when == 1 else f"{when} days ago")
        # per: day / per: week: the events and the days (weeks) that scored, each once ("7 events on 3 days")
        text = f"{rule.events} {'event' if rule.events == 1 else 'events'}{period_text(rule)}, last {ago}"
    if rule.note and rule.events is not None:
        text += f" ({rule.note})"
    return text


CAP_TOLERANCE = 1e-9  # scores are snapped to 9 decimals: a group's sum that far from its cap is at it

# Below these widths a table's columns get a few characters each (a rule's "saw" one letter a line) or
# are dropped whole (the tiers' condition and values at 40): the same rows are drawn as lines instead.
RULES_TABLE_MIN_WIDTH = 72
TIERS_TABLE_MIN_WIDTH = 80


class _TableOrLines:
    """A table where the console is wide enough for it, else the same rows as lines."""

    def __init__(self, table: ReportTable, title: str, lines: list[Text], min_width: int) -> None:
        self.table, self.title, self.lines, self.min_width = table, title, lines, min_width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width >= self.min_width:
            yield self.table
            return
        yield Text(self.title)
        for line in self.lines:
            yield line


def _lead(lead: LeadExplanation) -> Group:
    parts: list = []
    head = Text()
    head.append(f"lead {lead.lead_id}", style="bold")
    head.append(f"  {lead.source_file} row {lead.source_row}")
    parts.append(head)
    parts.append(Text(lead.handoff))
    # The fit beside the grade's own threshold: 49.96 is "fit below 50", not "fit 50".
    fit = _near_value(lead.fit_score, {float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", lead.grade_rule)})
    score = Text(f"total {fmt_points(lead.total_score)} = fit {fit} + intent "
                 f"{fmt_points(lead.intent_score)}; grade {lead.grade} ({lead.grade_rule}); tier ")
    score.append(lead.tier, style=TIER_STYLES.get(lead.tier, "bold"))
    parts.append(score)

    rules = ReportTable(title="Rules")
    rules.add_column("rule")  # on a narrow terminal the words fold first; the figures keep their width
    rules.add_column("score")
    rules.add_column("fired")
    for col in ("raw", "decayed", "points"):
        rules.add_column(col, justify="right", no_wrap=True)
    rules.add_column("saw")
    rule_lines = []
    for r in lead.rules:
        # Cells are Text: a value from the data ('[/]' in a job title) is shown, not read as Rich markup.
        rules.add_row(Text(r.id), r.score, "yes" if r.fired else "no", fmt_points(r.points.raw),
                      fmt_points(r.points.decayed), fmt_points(r.points.final, signed=r.fired),
                      Text(_saw(r, lead.read_from)), style="" if r.fired else "dim")
        rule_lines.append(Text(
            f"{r.id} ({r.score}): {'fired' if r.fired else 'not fired'}; raw {fmt_points(r.points.raw)}, decayed "
            f"{fmt_points(r.points.decayed)}, points {fmt_points(r.points.final, signed=r.fired)}; "
            f"saw {_saw(r, lead.read_from) or 'nothing'}", style="" if r.fired else "dim"))
    parts.append(_TableOrLines(rules, "Rules", rule_lines, RULES_TABLE_MIN_WIDTH))
    for g in lead.groups:
        # At the cap exactly, the cap cut nothing but any more points would count for nothing.
        reached = "reached" if math.isclose(abs(g.rules_points), g.cap, rel_tol=0, abs_tol=CAP_TOLERANCE) \
            else "not reached"
        cut = (f", capped at {fmt_points(g.points, signed=True)}" if g.capped
               else f" (cap {fmt_points(g.cap)}: {reached})")
        parts.append(Text(f"group {g.id} ({g.score}): rules {', '.join(g.rules)} gave "
                          f"{fmt_points(g.rules_points, signed=True)}{cut}", style="" if g.capped else "dim"))

    tiers = ReportTable(title="Tiers (first match wins)")
    for col in ("#", "tier", "result"):
        tiers.add_column(col, justify="right" if col == "#" else "left", no_wrap=True)
    tiers.add_column("condition")
    tiers.add_column("saw")
    tier_lines = []
    for i, t in enumerate(lead.tiers, 1):
        result = "chosen" if t.chosen else ("matched" if t.matched else "no")
        if t.matched and not t.chosen and any(s.chosen for s in lead.tiers[:i - 1]):
            result = "matched, not reached"
        saw = _values(t.values, lead.read_from, t.condition)
        tiers.add_row(str(i), Text(t.name, style=TIER_STYLES.get(t.name, "")), result, Text(t.condition), Text(saw))
        line = Text(f"{i} ")
        line.append(t.name, style=TIER_STYLES.get(t.name, ""))
        line.append(f": {result}; {t.condition}" + (f"; saw {saw}" if saw else ""))
        tier_lines.append(line)
    parts.append(_TableOrLines(tiers, "Tiers (first match wins)", tier_lines, TIERS_TABLE_MIN_WIDTH))

    if lead.reasons:
        reasons = ReportTable(title="Disqualification reasons")
        for col in ("code", "reason", "category"):
            reasons.add_column(col)
        for reason in lead.reasons:
            reasons.add_row(Text(reason.code), Text(reason.label), Text(reason.category))
        parts.append(reasons)
    else:
        parts.append(Text("Disqualification reasons: none"))
    if lead.next_step is not None:
        parts += _next_step(lead.next_step, lead.tier)
    return Group(*parts)


def _hours(hours: float) -> str:
    return "1 hour" if hours == 1 else f"{hours:g} hours"


def _sla_line(sla: SlaStep | None, tier: str, route: str | None) -> str:
    if sla is None:
        return f"SLA: none for tier {tier}" + (f" or route {route}" if route else "")
    if sla.clock_event is not None:
        start = f"from its last {sla.clock_event} event ({sla.clock_started_at})"
    else:
        start = "from the as-of time"
        if sla.clock_from:
            start += f" (no {' or '.join(sla.clock_from)} event)"
    return f"SLA {sla.procedure} due {sla.due_at}: {sla.keyed_by} {sla.key}'s {_hours(sla.hours)} {start}"


def _next_step(step: NextStep, tier: str) -> list[Text]:
    """The route, owner, flags, SLA and nurture track as lines (a table's columns would not fit at 60)."""
    lines = [Text("Next step")]
    route = step.routing.route if step.routing is not None else None
    if step.routing is not None:
        r = step.routing
        saw = _values(r.saw, {})
        if route is None:
            head = "route: none (no routing rule matched)"
        else:
            head = f"route {route}: routing rule {r.rule}" + (f" ({r.rule_label})" if r.rule_label else "")
        lines.append(Text(head + (f"; saw {saw}" if saw else "")))
        owner = f"owner: {r.owner}"
        if r.owners and route is not None:
            taking = [o for o in r.owners if o not in r.away and o not in r.idle]
            if taking:
                owner += f", one of {', '.join(taking)}"
            # Those who take no new leads, by name: the reader looking for one of them sees why not.
            without = ([f"{', '.join(r.away)} away"] if r.away else []) + \
                ([f"{', '.join(r.idle)} share 0"] if r.idle else [])
            if taking and without:
                owner += f" ({'; '.join(without)})"
            elif not taking:  # "none: every owner ... is away": say who
                owner += f" ({', '.join(r.owners)})" if not r.idle else f" ({'; '.join(without)})"
            if r.capacity and taking:
                owner += "; its owners have a capacity: the most urgent leads get one first, the rest none"
        lines.append(Text(owner))
        lines.append(Text(f"flags: {', '.join(r.flags) or 'none'}"))
    if "sla" in step.sections:
        lines.append(Text(_sla_line(step.sla, tier, route)))
    if "nurture" in step.sections:
        n = step.nurture
        if n is None:
            lines.append(Text(f"nurture: none (tier {tier} is not nurtured)"))
        elif n.track is None:
            lines.append(Text(f"nurture: no track's condition held (tier {tier})"))
        else:
            label = f" ({n.label})" if n.label else ""
            lines.append(Text(f"nurture track {n.track}{label}; recheck {n.recheck_at}, "
                              f"{n.recheck_days:g} days after the as-of time"))
    return lines


def explain_report(report: ExplainReport) -> Group:
    """Every requested lead, one after the other, under one head line."""
    head = Text()
    head.append("leadq explain", style="bold")
    head.append(f"  ruleset: {report.ruleset}  as of: {report.as_of}")
    parts: list = [head]
    parts += [Text(note, style="yellow") for note in report.notes]
    for lead in report.leads:
        parts += [Text(""), _lead(lead)]
    return Group(*parts)
