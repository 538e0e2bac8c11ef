"""A ruleset with event rules run without an activity log: the score summary (text and --summary-json) and
`leadq explain` (text and --json) say no log was given, where they said nothing, "No buying signals yet" and
"no events in the last 365 days". Also explain's score groups at their cap exactly ("reached").

The worked example (rulesets/worked_example.yaml, as of 2026-11-01) scores A -10, B 35, C 35 without events.
"""

from __future__ import annotations

import json

from tests.conftest import FIXTURES, RULESETS, run_cli

WORKED = FIXTURES / "worked_example"
EVENT_RULES = {"blog_download": 0, "case_study_download": 0, "pricing_page": 0, "demo_request": 0}
NOTE = ("no activity log given (--activities): the event rules (blog_download, case_study_download, pricing_page, "
        "demo_request) counted no event and gave no points; pass the log with --activities (-a)")


def _score(tmp_path, *args, ruleset=RULESETS / "worked_example.yaml"):
    summary = tmp_path / "s.json"
    result = run_cli(["score", WORKED / "contacts.csv", "-r", ruleset, "--as-of", "2026-11-01",
                      "-o", tmp_path / "o.csv", "--summary-json", summary, *args])
    return " ".join(result.stdout.split()), json.loads(summary.read_text())


def test_a_run_without_the_log_says_so_in_the_summary_and_its_json(tmp_path):
    text, summary = _score(tmp_path)
    assert summary["events"] == {"read": 0, "unreadable": 0, "unknown_lead": 0, "up_to_as_of": 0,
                                 "by_rule": EVENT_RULES, "log_given": False}
    assert f"input rows 3 = scored 3 + rejected 0 {NOTE} Tiers " in text
    assert "counted no event:" not in text  # the note says it once


def test_a_run_with_the_log_or_an_empty_one_has_no_note(tmp_path):
    text, summary = _score(tmp_path, "-a", WORKED / "events.csv")
    assert summary["events"]["log_given"] is True and "no activity log" not in text
    empty = tmp_path / "empty.csv"
    empty.write_text("")  # a day without events: a log given
    text, summary = _score(tmp_path, "-a", empty)
    assert summary["events"]["log_given"] is True and "no activity log" not in text


def test_a_ruleset_without_event_rules_needs_no_log(tmp_path):
    text = (RULESETS / "worked_example.yaml").read_text()
    start, end = text.index("\nintent:\n"), text.index("\ngrades:")
    ruleset = tmp_path / "fit_only.yaml"
    ruleset.write_text(text[:start] + text[end:])
    text, summary = _score(tmp_path, ruleset=ruleset)
    assert "log_given" not in summary["events"] and "no activity log" not in text


def _explain(tmp_path, *args, ruleset=RULESETS / "worked_example.yaml", lead="C"):
    text = run_cli(["explain", lead, WORKED / "contacts.csv", "-r", ruleset, "--as-of", "2026-11-01", *args]).stdout
    data = json.loads(run_cli(["explain", lead, WORKED / "contacts.csv", "-r", ruleset, "--as-of", "2026-11-01",
                               "--json", "-", *args]).stdout)
    return " ".join(text.split()), data


def test_explain_without_the_log_says_no_log_was_given_not_no_signals(tmp_path):
    text, data = _explain(tmp_path)
    assert data["notes"] == ["no activity log given (--activities): the event rules counted no event"]
    lead = data["leads"][0]
    assert {r["id"]: r["note"] for r in lead["rules"] if r["events"] is not None} == {
        "blog_download": "no activity log given", "case_study_download": "no activity log given",
        "pricing_page": "no activity log given", "demo_request": "no activity log given"}
    assert lead["handoff"] == ("Marketing Director at SaaSCo; 500 employees; SaaS; United Kingdom. No activity log "
                               "given: buying signals unknown. Grade A (fit 35), intent 0, total 35 -> nurture.")
    assert text.startswith("leadq explain ruleset: Worked example (Marketing Director ICP) as of: "
                           "2026-11-01T00:00:00Z no activity log given (--activities): the event rules counted no "
                           "event lead C ")
    assert "demo_request intent no 0 0 0 no activity log given" in text
    assert "No buying signals" not in text and "no events in the last" not in text


def test_explain_with_the_log_keeps_its_words(tmp_path):
    text, data = _explain(tmp_path, "-a", WORKED / "events.csv", lead="A")
    assert data["notes"] == [] and "no activity log" not in text
    lead = data["leads"][0]
    assert {r["id"]: r["note"] for r in lead["rules"] if r["events"] is not None}["demo_request"] == \
        "no events in the last 365 days"
    # A log with no event of the lead: no signals, as before.
    empty = tmp_path / "empty.csv"
    empty.write_text("Lead ID,Activity,Date,URL\n")
    _, data = _explain(tmp_path, "-a", empty, lead="B")
    assert "No buying signals yet." in data["leads"][0]["handoff"] and data["notes"] == []


def _research(tmp_path, cap: int):
    """The worked example with case_study_download and pricing_page in a group capped at ``cap``."""
    text = (RULESETS / "worked_example.yaml").read_text()
    text = text.replace('    where: url contains "/case-studies/"\n    points: 5\n',
                        '    where: url contains "/case-studies/"\n    points: 5\n    group: research\n', 1)
    text = text.replace("    cap: 10                   # looking at pricing ten times is still one signal\n",
                        "    cap: 10\n    group: research\n", 1)
    text = text.replace("fit:\n", f"groups:\n  research: {{label: Research, cap: {cap}}}\nfit:\n", 1)
    path = tmp_path / f"groups_{cap}.yaml"
    path.write_text(text)
    return path


def test_explain_says_a_group_at_its_cap_exactly_reached_it(tmp_path):
    # B: case study 5 + pricing 10 = 15. At a cap of 15 nothing is cut, but the cap is reached; at 16 it is not,
    # at 14 the group is capped. The score's own explanation speaks only of a cap that cut (above it).
    lines = {}
    for cap in (14, 15, 16):
        text, data = _explain(tmp_path, "-a", WORKED / "events.csv", ruleset=_research(tmp_path, cap), lead="B")
        group = data["leads"][0]["groups"][0]
        assert (group["rules_points"], group["points"], group["capped"]) == (15.0, min(cap, 15.0), cap < 15)
        lines[cap] = text
    assert "group research (intent): rules case_study_download, pricing_page gave +15, capped at +14" in lines[14]
    assert "group research (intent): rules case_study_download, pricing_page gave +15 (cap 15: reached)" in lines[15]
    assert "group research (intent): rules case_study_download, pricing_page gave +15 (cap 16: not reached)" \
        in lines[16]
    out = tmp_path / "o.csv"
    run_cli(["score", WORKED / "contacts.csv", "-a", WORKED / "events.csv", "-r", _research(tmp_path, 15),
             "--as-of", "2026-11-01", "-o", out, "-q"])
    import polars as pl

    row = pl.read_csv(out).filter(pl.col("lead_id") == "B").row(0, named=True)
    assert (row["intent_score"], row["explanation"]) == (15.0, (
        "Director title +15; 200-1,000 employees +10; SaaS industry +10; case study download +5 (11 days ago); "
        "pricing page view +10 (10 days ago)"))
