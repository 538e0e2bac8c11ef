"""Events whose time cannot be read: said in the score summary (with examples and the mapping that reads
them), counted in --summary-json, failed under --strict and --max-rejects, and found by validate --activities.

A HubSpot export writes `Activity Date` as `10/28/2026 10:00 AM`; under `date_order: iso` every event was
dropped, and the summary said only "events read 21; unreadable 21; for unknown leads 0" (exit 0 under --strict).
The worked example scores A -10, B 50 and C 75 (mql) with its events, and A -10, B 35, C 35 without.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import polars as pl

from leadq.activity import date_orders_reading
from leadq.report import untimed_events_note
from leadq.summary import untimed_events_error
from tests.conftest import FIXTURES, RULESETS, run_cli

WORKED = FIXTURES / "worked_example"
US_LOG = """Lead ID,Activity,Date,URL
A,content_download,10/20/2026 09:00 AM,https://example.com/blog/ten-tips
B,content_download,10/21/2026 10:30 AM,https://example.com/case-studies/acme
B,page_view,10/22/2026 02:15 PM,https://example.com/pricing
C,content_download,10/21/2026 10:30 AM,https://example.com/case-studies/acme
C,page_view,10/22/2026 02:15 PM,https://example.com/pricing
C,demo_request,10/29/2026 04:45 PM,https://example.com/demo
"""
US_FIX = 'activity_columns.occurred_at: {column: "Date", date_order: us}'


def _files(tmp_path, log: str, ruleset_text: str | None = None):
    path = tmp_path / "log.csv"
    path.write_text(log)
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(ruleset_text or (RULESETS / "worked_example.yaml").read_text())
    return path, ruleset


def _score(tmp_path, log: str, *extra, exit_code: int = 0, ruleset_text: str | None = None):
    path, ruleset = _files(tmp_path, log, ruleset_text)
    out, summary = tmp_path / "out.csv", tmp_path / "s.json"
    result = run_cli(["score", WORKED / "contacts.csv", "-a", path, "-r", ruleset, "--as-of", "2026-11-01",
                      "-o", out, "--summary-json", summary, *extra], exit_code=exit_code)
    return " ".join(result.stdout.split()), json.loads(summary.read_text()), out, result


def test_a_us_dated_log_under_iso_is_a_warning_with_examples_and_the_mapping_that_reads_it(tmp_path):
    text, summary, out, _ = _score(tmp_path, US_LOG)
    assert summary["events"] == {
        "read": 6, "unreadable": 6, "unknown_lead": 0, "up_to_as_of": 0,
        "by_rule": {"blog_download": 0, "case_study_download": 0, "pricing_page": 0, "demo_request": 0},
        "no_readable_time": 6,
        "unreadable_time_examples": {"column": "Date", "examples": ["10/20/2026 09:00 AM", "10/21/2026 10:30 AM",
                                                                     "10/22/2026 02:15 PM"],
                                     "date_order": "iso", "date_orders_reading": ["us"], "fix": US_FIX},
        "log_given": True}
    assert ("events read 6; unreadable 6; for unknown leads 0 "
            "6 of 6 events (100%) without a readable time in 'Date': counted by no rule, e.g. '10/20/2026 09:00 AM', "
            "'10/21/2026 10:30 AM', '10/22/2026 02:15 PM'; they read as US dates (month first): set "
            f"{US_FIX} "
            # The line the case of every event lost went without: what to check is the times, not the types.
            "event rules that counted no event: blog_download, case_study_download, pricing_page, demo_request "
            "(no event has a readable time: see above) ") in text
    assert pl.read_csv(out).select("lead_id", "total_score").rows() == [("A", -10.0), ("B", 35.0), ("C", 35.0)]


def test_the_mapping_the_warning_gives_reads_the_log(tmp_path):
    fixed = (RULESETS / "worked_example.yaml").read_text().replace(
        "  occurred_at: Date\n", '  occurred_at: {column: "Date", date_order: us}\n')
    text, summary, out, _ = _score(tmp_path, US_LOG, "--strict", ruleset_text=fixed)
    assert (summary["events"]["unreadable"], summary["events"]["no_readable_time"]) == (0, 0)
    assert "unreadable_time_examples" not in summary["events"] and "readable time" not in text
    assert pl.read_csv(out).select("lead_id", "total_score", "tier").rows() == [
        ("A", -8.0, "nurture"), ("B", 50.0, "nurture"), ("C", 75.0, "mql")]


def test_day_first_dates_point_to_date_order_eu(tmp_path):
    log = US_LOG.replace("10/20/2026 09:00 AM", "20.10.2026 09:00").replace("10/21/2026 10:30 AM", "21.10.2026 10:30") \
        .replace("10/22/2026 02:15 PM", "22.10.2026 14:15").replace("10/29/2026 04:45 PM", "29.10.2026 16:45")
    text, summary, _, _ = _score(tmp_path, log)
    found = summary["events"]["unreadable_time_examples"]
    assert (found["date_orders_reading"], found["fix"]) == (
        ["eu"], 'activity_columns.occurred_at: {column: "Date", date_order: eu}')
    assert ("'20.10.2026 09:00', '21.10.2026 10:30', '22.10.2026 14:15'; they read as European dates (day first): "
            'set activity_columns.occurred_at: {column: "Date", date_order: eu} ') in text


def test_values_no_date_order_reads_point_to_validate_and_blank_times_are_no_examples(tmp_path):
    # Six readable events, one time no order reads, one blank time, one event without a lead id: the lead's
    # two count as without a time (the anonymous one is unreadable only), the blank one is no example.
    log = (WORKED / "events.csv").read_text() + ("C,demo_request,soon,https://example.com/demo\n"
                                                 "B,page_view,,https://example.com/pricing\n"
                                                 ",page_view,2026-10-22,https://example.com/pricing\n")
    text, summary, out, _ = _score(tmp_path, log)
    events = summary["events"]
    assert (events["read"], events["unreadable"], events["no_readable_time"], events["up_to_as_of"]) == (9, 3, 2, 6)
    assert events["unreadable_time_examples"] == {"column": "Date", "examples": ["soon"], "date_order": "iso",
                                                  "date_orders_reading": [], "fix": None}
    assert ("2 of 9 events (22.2%) without a readable time in 'Date': counted by no rule, e.g. 'soon'; leadq "
            "validate RULESET --activities LOG lists them, with the setting that reads such values where one does "
            "(date_order) ") in text
    assert "counted no event" not in text  # every rule counted its events
    assert pl.read_csv(out)["total_score"].to_list() == [-8.0, 50.0, 75.0]


def test_a_log_whose_every_event_reads_says_nothing_of_times(tmp_path):
    text, summary, _, _ = _score(tmp_path, (WORKED / "events.csv").read_text(), "--strict")
    assert summary["events"]["no_readable_time"] == 0 and "unreadable_time_examples" not in summary["events"]
    assert "readable time" not in text and summary["status"] == "ok"


def test_dates_either_order_reads_name_both():
    assert date_orders_reading(["10/02/2026", "03/04/2026 10:00"], "iso") == ["us", "eu"]
    assert date_orders_reading(["10/28/2026 10:00 AM"], "iso") == ["us"]
    assert date_orders_reading(["28/10/2026"], "us") == ["eu"]
    assert date_orders_reading(["10/28/2026"], "us") == []  # the order in use is not offered again
    assert date_orders_reading(["soon", "10/28/2026"], "iso") == []
    assert date_orders_reading([], "iso") == []
    note = untimed_events_note({"read": 4, "no_readable_time": 1, "unreadable_time_examples": {
        "column": "At", "examples": ["10/02/2026"], "date_orders_reading": ["us", "eu"],
        "fix": 'activity_columns.occurred_at: {column: "At", date_order: us}'}})
    assert note == ("1 of 4 events (25%) without a readable time in 'At': counted by no rule, e.g. '10/02/2026'; "
                    "they read as US dates (month first) or European dates (day first): set "
                    'activity_columns.occurred_at: {column: "At", date_order: us} (or date_order: eu)')


def _summary(events: dict) -> SimpleNamespace:
    return SimpleNamespace(events=events)


def test_strict_and_max_rejects_judge_the_events_without_a_time():
    # The decision the CLI applies (leadq.summary.untimed_events_error): --strict fails on any such event,
    # --max-rejects applies its limit to them apart from the contacts, against the events read.
    lost = {"read": 9, "no_readable_time": 2, "unreadable_time_examples": {"column": "Date", "fix": None}}
    assert untimed_events_error(_summary(lost), strict=True) == (
        "2 of 9 events (22.2%) without a readable time in 'Date', counted by no rule (--strict); leadq validate "
        "RULESET --activities LOG shows examples")
    assert untimed_events_error(_summary(lost), strict=False) is None
    assert untimed_events_error(_summary(lost), False, lambda n, of: n * 100 > 20 * of, "20%") == (
        "2 of 9 events (22.2%) without a readable time in 'Date', counted by no rule, over --max-rejects 20%; "
        "leadq validate RULESET --activities LOG shows examples (the outputs were written)")
    assert untimed_events_error(_summary(lost), False, lambda n, of: n * 100 > 25 * of, "25%") is None
    assert untimed_events_error(_summary(lost), False, lambda n, of: n > 2, "2") is None
    every = {"read": 6, "no_readable_time": 6, "unreadable_time_examples": {"column": "Date", "fix": US_FIX}}
    assert untimed_events_error(_summary(every), strict=True) == (
        f"6 of 6 events (100%) without a readable time in 'Date', counted by no rule (--strict); set {US_FIX}")
    # Events without a lead id (anonymous visits) are no such events; neither is a run without a log.
    assert untimed_events_error(_summary({"read": 5, "unreadable": 5, "no_readable_time": 0}), strict=True) is None
    assert untimed_events_error(_summary({"read": 0, "unreadable": 0}), strict=True) is None


def test_strict_fails_a_run_whose_event_times_cannot_be_read_after_writing_the_outputs(tmp_path):
    _, summary, out, result = _score(tmp_path, US_LOG, "--strict", exit_code=1)
    assert out.exists() and summary["status"] == "failed" and summary["exit_code"] == 1
    assert summary["error"] == (f"6 of 6 events (100%) without a readable time in 'Date', counted by no rule "
                                f"(--strict); set {US_FIX}")
    assert summary["error"] in " ".join(result.stderr.split())


def test_max_rejects_counts_the_events_without_a_time_apart_from_the_contacts(tmp_path):
    log = (WORKED / "events.csv").read_text() + "C,demo_request,soon,https://example.com/demo\n"  # 1 of 7: 14.3%
    _score(tmp_path, log, "--max-rejects", "20%")
    _score(tmp_path, log, "--max-rejects", "1")
    _, summary, _, _ = _score(tmp_path, log, "--max-rejects", "10%", exit_code=1)
    assert summary["error"] == ("1 of 7 events (14.3%) without a readable time in 'Date', counted by no rule, over "
                                "--max-rejects 10%; leadq validate RULESET --activities LOG shows examples (the "
                                "outputs were written)")


def _validate(tmp_path, log: str, ruleset_text: str | None = None, exit_code: int = 1):
    path, ruleset = _files(tmp_path, log, ruleset_text)
    result = run_cli(["validate", ruleset, "--data", WORKED / "contacts.csv", "--activities", path, "--strict",
                      "--as-of", "2026-11-01"], exit_code=exit_code)
    return result.stdout, path, ruleset


def test_validate_activities_warns_of_times_it_cannot_read_with_the_mapping_that_reads_them(tmp_path):
    out, log, ruleset = _validate(tmp_path, US_LOG)
    assert (f"{ruleset}:30:16: warning: activity_columns.occurred_at: 6 values in column 'Date' cannot be read as a "
            f"date ({log} row 1: '10/20/2026 09:00 AM', {log} row 2: '10/21/2026 10:30 AM', {log} row 3: "
            f"'10/22/2026 02:15 PM'); `leadq score` counts none of those events; they read as US dates (month "
            f"first): set {US_FIX} [value-unreadable]") in out.splitlines()
    fixed = (RULESETS / "worked_example.yaml").read_text().replace(
        "  occurred_at: Date\n", '  occurred_at: {column: "Date", date_order: us}\n')
    out, _, _ = _validate(tmp_path, US_LOG, fixed, exit_code=0)
    assert "value-unreadable" not in out


def test_validate_activities_checks_the_typed_fields_a_where_reads(tmp_path):
    ruleset = (RULESETS / "worked_example.yaml").read_text().replace(
        "  url: URL\n", "  url: URL\n  amount: {column: Amount, type: number}\n  paid: {column: Paid, type: boolean}\n"
    ).replace("    event: demo_request\n", "    event: demo_request\n    where: amount > 10\n")
    log = ("Lead ID,Activity,Date,URL,Amount,Paid\n"
           "C,demo_request,2026-10-29,https://example.com/demo,lots,maybe\n"
           "B,page_view,2026-10-22,https://example.com/pricing,12,yes\n")
    out, path, rs = _validate(tmp_path, log, ruleset)
    lines = out.splitlines()
    assert (f"{rs}:32:11: warning: activity_columns.amount: 1 value in column 'Amount' cannot be read as a number "
            f"({path} row 1: 'lots'); a `where:` reads amount, and `leadq score` reads those values as blank "
            "[value-unreadable]") in lines
    assert (f"{rs}:33:9: info: activity_columns.paid: 1 value in column 'Paid' cannot be read as true/false "
            f"({path} row 1: 'maybe'); no rule reads paid, so `leadq score` leaves them blank [value-unreadable]"
            ) in lines
