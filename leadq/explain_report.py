"""Terminal rendering of ``leadq explain`` with rich.

The figures come from :mod:`leadq.explain` as plain data; this module only
draws them: a head line, the hand-off paragraph, the score line, a table of
every rule, the tiers tried in order and the disqualification reasons.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text

from leadq.explain import ExplainReport, LeadExplanation, RuleExplanation, fmt_points
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


def _values(values: dict[str, Any], read_from: dict[str, str]) -> str:
    """ "k = v" for each value a condition saw; a number read from a range says from what."""
    return ", ".join(f"{k} = {_value(v)}" + (f' (from "{read_from[k]}")' if k in read_from else "")
                     for k, v in values.items())


def _saw(rule: RuleExplanation, read_from: dict[str, str]) -> str:
    if rule.events is None:
        text = _values(rule.values, read_from)
    elif rule.events == 0:
        return rule.note
    else:
        when = rule.days_since_last
        ago = "today" if when is not None and when <= 0 else ("1 day ago" if when == 1 else f"{when} days ago")
        text = f"{rule.events} {'event' if rule.events == 1 else 'events'}, last {ago}"
    if rule.note and rule.events is not None:
        text += f" ({rule.note})"
    return text


def _lead(lead: LeadExplanation) -> Group:
    parts: list = []
    head = Text()
    head.append(f"lead {lead.lead_id}", style="bold")
    head.append(f"  {lead.source_file} row {lead.source_row}")
    parts.append(head)
    parts.append(Text(lead.handoff))
    score = Text(f"total {fmt_points(lead.total_score)} = fit {fmt_points(lead.fit_score)} + intent "
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
    for r in lead.rules:
        # Cells are Text: a value from the data ('[/]' in a job title) is shown, not read as Rich markup.
        rules.add_row(Text(r.id), r.score, "yes" if r.fired else "no", fmt_points(r.points.raw),
                      fmt_points(r.points.decayed), fmt_points(r.points.final, signed=r.fired),
                      Text(_saw(r, lead.read_from)), style="" if r.fired else "dim")
    parts.append(rules)
    for g in lead.groups:
        cut = (f", capped at {fmt_points(g.points, signed=True)}" if g.capped
               else f" (cap {fmt_points(g.cap)}: not reached)")
        parts.append(Text(f"group {g.id} ({g.score}): rules {', '.join(g.rules)} gave "
                          f"{fmt_points(g.rules_points, signed=True)}{cut}", style="" if g.capped else "dim"))

    tiers = ReportTable(title="Tiers (first match wins)")
    for col in ("#", "tier", "result"):
        tiers.add_column(col, justify="right" if col == "#" else "left", no_wrap=True)
    tiers.add_column("condition")
    tiers.add_column("saw")
    for i, t in enumerate(lead.tiers, 1):
        result = "chosen" if t.chosen else ("matched" if t.matched else "no")
        if t.matched and not t.chosen and any(s.chosen for s in lead.tiers[:i - 1]):
            result = "matched, not reached"
        tiers.add_row(str(i), Text(t.name, style=TIER_STYLES.get(t.name, "")), result, Text(t.condition),
                      Text(_values(t.values, lead.read_from)))
    parts.append(tiers)

    if lead.reasons:
        reasons = ReportTable(title="Disqualification reasons")
        for col in ("code", "reason", "category"):
            reasons.add_column(col)
        for reason in lead.reasons:
            reasons.add_row(Text(reason.code), Text(reason.label), Text(reason.category))
        parts.append(reasons)
    else:
        parts.append(Text("Disqualification reasons: none"))
    return Group(*parts)


def explain_report(report: ExplainReport) -> Group:
    """Every requested lead, one after the other, under one head line."""
    head = Text()
    head.append("leadq explain", style="bold")
    head.append(f"  ruleset: {report.ruleset}  as of: {report.as_of}")
    parts: list = [head]
    for lead in report.leads:
        parts += [Text(""), _lead(lead)]
    return Group(*parts)
