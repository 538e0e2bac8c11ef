"""`leadq test`: example leads and the outcome agreed for them (leadq/cases.py)."""

from __future__ import annotations

import json

import pytest

from leadq.cases import load_cases, run_cases
from leadq.errors import RulesetError
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, ROOT, RULESETS, run_cli

EXAMPLE = RULESETS / "cases" / "b2b_saas.yaml"


def _write(tmp_path, text: str) -> str:
    path = tmp_path / "cases.yaml"
    path.write_text(text)
    return str(path)


def test_the_example_cases_of_the_default_ruleset_pass():
    result = run_cli(["test", RULESETS / "b2b_saas.yaml", EXAMPLE], exit_code=0)
    assert result.stdout.rstrip().endswith("5 of 5 cases passed")
    assert "hand_raiser" in result.stdout and "disqualified" in result.stdout


def test_scores_of_a_case_are_those_of_leadq_score():
    # VP 15 + marketing 10 + 200-5,000 employees 15 + software 10 + core market 5 = 55; a demo request
    # one day old with a 14-day half-life: 30 * 0.5 ** (1 / 14) = 28.55.
    rs = load_ruleset(str(RULESETS / "b2b_saas.yaml"))
    cases, as_of = load_cases(str(EXAMPLE), rs, None)
    assert as_of == AS_OF and len(cases) == 5
    first = run_cases(rs, cases, as_of).results[0]
    assert (first.tier, first.grade, first.fit, round(first.intent, 2)) == ("hand_raiser", "A", 55.0, 28.55)
    assert first.explanation.endswith("demo request +28.6 (decayed from 30, 1 day ago)")


def test_lead_and_event_keys_may_be_field_names_or_crm_column_names(tmp_path):
    path = _write(tmp_path, """\
as_of: 2026-11-01
cases:
  - name: fields
    lead: {lead_id: A1, job_title: VP Marketing, company_size: 500}
    events: [{type: page_view, url: /pricing, campaign: spring, workspace_id: w1, days_ago: 2}]
    expect: {fit: 40, intent: 9.1}
  - name: columns
    lead: {Record ID: A2, Job Title: VP Marketing, Number of Employees: 500}
    events: [{type: page_view, Page URL: /pricing, Campaign: spring, Workspace ID: w1, days_ago: 2}]
    expect: {fit: 40, intent: 9.1}
""")
    run_cli(["test", "b2b_saas", path])


FAILING = """\
as_of: 2026-11-01
cases:
  - name: should be sql
    lead: {job_title: VP Marketing, company_size: 500, industry: Software}
    expect: {tier: [sql, hand_raiser], fit: ">= 60", explanation_contains: [demo, vp / director]}
  - name: near enough
    lead: {job_title: VP Marketing, company_size: 500, industry: Software}
    expect: {fit: 50, total: "between 49.5 and 50.5", disqualified: false, reasons: []}
  - name: unreadable size
    lead: {job_title: CEO, company_size: about 300}
    expect: {tier: mql}
"""


def test_failed_cases_say_what_they_got_and_exit_1(tmp_path):
    path = _write(tmp_path, FAILING)
    result = run_cli(["test", "b2b_saas", path], exit_code=1)
    out = result.stdout
    assert ("line 3: should be sql\n  tier: expected sql or hand_raiser, got nurture\n  fit: expected >= 60, got 50\n"
            "  explanation: no 'demo'\n") in out
    assert "line 9: unreadable size\n  rejected: unreadable number in 'Number of Employees'\n" in out
    assert out.rstrip().endswith("1 of 3 cases passed; 2 failed")
    doc = json.loads(run_cli(["test", "b2b_saas", path, "--json", "-", "-q"], exit_code=1).stdout)
    assert (doc["passed"], doc["failed"]) == (1, 2)
    assert [r["passed"] for r in doc["results"]] == [False, True, False]
    assert doc["results"][1]["failures"] == [] and doc["results"][1]["fit"] == 50.0


def test_events_repeat_and_count_back_from_as_of(tmp_path):
    # Pricing 3 views 2 days old: 3 * 10 * 0.5 ** (2 / 14) = 27.17. `days_ago` counts back from the as-of
    # time in use; `at` is fixed, so --as-of ten days later makes those views 12 days old:
    # 3 * 10 * 0.5 ** (12 / 14) = 16.56.
    path = _write(tmp_path, """\
as_of: 2026-11-01
cases:
  - name: relative
    lead: {job_title: Analyst}
    events: [{type: page_view, url: /pricing, days_ago: 2, count: 3}]
    expect: {intent: 27.2, explanation_contains: 3 events}
  - name: fixed
    lead: {job_title: Analyst}
    events: [{type: page_view, url: /pricing, at: 2026-10-30, count: 3}, {type: page_view, url: /blog/x, days_ago: 1}]
    expect: {intent: 27.2}
""")
    run_cli(["test", "b2b_saas", path])
    result = run_cli(["test", "b2b_saas", path, "--as-of", "2026-11-11"], exit_code=1)
    assert "line 7: fixed\n  intent: expected 27.2, got 16.6\n" in result.stdout
    assert "line 3: relative" not in result.stdout


@pytest.mark.parametrize("text,message", [
    ("cases: []", ":1:8: cases: give at least one case"),
    ("cases: [{lead: {}, expect: {teir: sql}}]", ":1:29: case 1: expect: unknown expectation 'teir'; did you "
     "mean 'tier'?"),
    ("cases: [{lead: {}, expect: {tier: sqll}}]", ":1:35: case 1: expect.tier: the ruleset has no tier 'sqll'; "
     "did you mean 'sql'?"),
    ("cases: [{lead: {}, expect: {reasons: [competitr]}}]", "case 1: expect.reasons: the ruleset has no "
     "disqualifier 'competitr'; did you mean 'competitor'?"),
    ("cases: [{lead: {}, expect: {fit: lots}}]", ":1:34: case 1: expect.fit: expected a number or a comparison"),
    ("cases: [{lead: {}, events: [{days_ago: 3}], expect: {fit: 1}}]", "case 1: events[1]: missing required key "
     "'type'"),
    ("cases: [{lead: {}, expect: {}}]", "case 1: expect: give at least one expectation"),
    ("cases: [{lead: {job_title: A}, expect: {fit: 1}}, {lead: {lead_id: case-1}, expect: {fit: 1}}]",
     "case 2: lead id 'case-1' is also case 1's; give each case its own"),
    ("as_of: soon\ncases: [{lead: {}, expect: {fit: 1}}]", ":1:8: as_of: cannot read 'soon' as a date"),
    ("cases: [{lead: {job_title: [1]}, expect: {fit: 1}}]", ":1:28: case 1: lead.job_title: expected a value"),
    # A misspelt key would be scored without, and the case pass without testing what it says.
    ("cases: [{lead: {job_titel: Director}, expect: {tier: nurture}}]", ":1:17: case 1: lead: unknown field "
     "'job_titel'; did you mean 'job_title'?; a lead takes the fields this ruleset maps under columns: or their "
     "CRM column names"),
    ("cases: [{lead: {Job Titel: Director}, expect: {tier: nurture}}]", ":1:17: case 1: lead: unknown field "
     "'Job Titel'; did you mean 'Job Title'?"),
    ("cases: [{lead: {city: Paris}, expect: {tier: nurture}}]", ":1:17: case 1: lead: 'city' is a leadq field "
     "that this ruleset does not map under columns:, so a case cannot give it; map it there (or leave it out)"),
    ("cases: [{lead: {email_domain: acme.com}, expect: {tier: nurture}}]", ":1:17: case 1: lead: 'email_domain' "
     "is derived from email; give email instead"),
    ("cases: [{lead: {}, events: [{type: demo_request, days_ago: 1, ulr: /x}], expect: {fit: 1}}]",
     ":1:63: case 1: events[1]: unknown field 'ulr'; did you mean 'url'?; an event takes type, at or days_ago, "
     "count, and the activity fields this ruleset maps under activity_columns: or their CRM column names"),
    ("cases: [{lead: {}, events: [{type: demo_request, dyas_ago: 1}], expect: {fit: 1}}]",
     ":1:50: case 1: events[1]: unknown field 'dyas_ago'; did you mean 'days_ago'?"),
    ("cases: [{lead: {}, events: [{type: demo_request, account_id: A1}], expect: {fit: 1}}]",
     ":1:50: case 1: events[1]: 'account_id' is a leadq field that this ruleset does not map under "
     "activity_columns:, so a case cannot give it; map it there (or leave it out)"),
    ("cases: [{lead: {}, events: [{type: demo_request, event_type: x}], expect: {fit: 1}}]",
     ":1:50: case 1: events[1]: 'event_type' is set by 'type'; leave it out"),
    ("cases: [{lead: {}, expect: {fit: 1}, extra: 1}]", "case 1: unknown key 'extra'"),
])
def test_errors_in_the_cases_file_name_the_place_and_exit_2(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(RulesetError) as err:
        load_cases(path, load_ruleset("b2b_saas"), None)
    assert message in str(err.value)
    result = run_cli(["test", "b2b_saas", path], exit_code=2)
    assert result.stderr.startswith(f"leadq: error: {path}:")


def test_a_cases_file_saved_as_utf_16_runs_and_one_in_windows_1252_is_exit_2(tmp_path):
    text = (RULESETS / "cases" / "b2b_saas.yaml").read_text(encoding="utf-8")
    (tmp_path / "u16.yaml").write_bytes(text.encode("utf-16"))
    run_cli(["test", "b2b_saas", tmp_path / "u16.yaml", "-q"])
    (tmp_path / "cp.yaml").write_bytes(("# Réunion\n" + text).encode("cp1252"))
    result = run_cli(["test", "b2b_saas", tmp_path / "cp.yaml"], exit_code=2)
    assert result.stderr.startswith(f"leadq: error: {tmp_path / 'cp.yaml'}:1: cases file is not UTF-8 text (byte 3: "
                                    "b'\\xe9', perhaps Windows-1252 or Latin-1); save it as UTF-8")


def test_a_missing_cases_file_is_exit_3(tmp_path):
    result = run_cli(["test", "b2b_saas", str(tmp_path / "nope.yaml")], exit_code=3)
    assert "cases file not found" in result.stderr


# One case whose one event is on line 6; its errors name that line and the column of the value at fault.
ONE_EVENT = """\
as_of: 2026-11-01
cases:
  - name: c1
    lead: {{job_title: VP Marketing}}
    events:
      - {event}
    expect: {{tier: nurture}}
"""
B2B_TYPES = ("expected one of: content_download, demo_request, email_click, form_submit, page_view, unsubscribe, "
             "webinar_attended")


@pytest.mark.parametrize("event,column,message", [
    # An unreadable time was an event without one, left out: the case passed without it.
    ("{type: demo_request, at: yesterday}", 34, ".at: cannot read 'yesterday' as a date or time; write YYYY-MM-DD "
     "or YYYY-MM-DDTHH:MM:SSZ, or give days_ago instead"),
    ("{type: demo_request, at: 2026-02-30}", 34, ".at: cannot read '2026-02-30' as a date or time; write YYYY-MM-DD "
     "or YYYY-MM-DDTHH:MM:SSZ, or give days_ago instead"),
    ("{type: demo_request, at: 1}", 34, ".at: cannot read '1' as a date or time; write YYYY-MM-DD or "
     "YYYY-MM-DDTHH:MM:SSZ, or give days_ago instead"),
    ("{type: demo_request, at: }", 34, ".at: no time given; write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, or give "
     "days_ago instead"),
    # An event after as_of scores nothing, whichever way it is written.
    ("{type: demo_request, at: 2026-11-01T00:00:01Z}", 34, ".at: 2026-11-01T00:00:01Z is after as_of "
     "(2026-11-01T00:00:00Z), and no event after as_of scores; give a time up to as_of, or days_ago"),
    ("{type: demo_request, days_ago: -3}", 40, ": 'days_ago' is -3, a time after as_of, and no event after as_of "
     "scores; give the days before as_of (0 or more)"),
    ("{type: demo_request, days_ago: 900000}", 40, ": 'days_ago' must be at most 36,500 (a hundred years), got "
     "900000"),
    ("{type: demo_request, days_ago: soon}", 40, ": 'days_ago' must be a number, got 'soon'"),
    ("{type: demo_request, days_ago: }", 40, ": 'days_ago' must be a number"),
    # A type no rule reads scored nothing, and the case passed or failed for a reason its file does not show.
    ("{type: demo_requst, days_ago: 1}", 16, f".type: unknown event type 'demo_requst' (no rule of this ruleset "
     f"reads it); did you mean 'demo_request'?; {B2B_TYPES}"),
    ("{type: login, days_ago: 1}", 16, f".type: unknown event type 'login' (no rule of this ruleset reads it); "
     f"{B2B_TYPES}"),
    ("{type: ' ', days_ago: 1}", 16, f".type: blank event type; {B2B_TYPES}"),
    ("{type: , days_ago: 1}", 16, ".type: no value (null); expected text, a number or true/false"),
])
def test_an_event_the_scoring_would_drop_is_an_error_naming_the_case_and_the_event(tmp_path, event, column, message):
    path = _write(tmp_path, ONE_EVENT.format(event=event))
    result = run_cli(["test", "b2b_saas", path], exit_code=2)
    assert result.stderr == f"leadq: error: {path}:6:{column}: case 'c1': events[1]{message}\n"
    assert result.stdout == ""


def test_an_event_time_after_the_as_of_given_is_an_error(tmp_path):
    # `at` is fixed; an --as-of before it would leave the event out of the score.
    path = _write(tmp_path, ONE_EVENT.format(event="{type: demo_request, at: 2026-10-30}"))
    run_cli(["test", "b2b_saas", path, "-q"])
    result = run_cli(["test", "b2b_saas", path, "--as-of", "2026-10-29"], exit_code=2)
    assert result.stderr == (f"leadq: error: {path}:6:34: case 'c1': events[1].at: 2026-10-30 is after as_of "
                             "(2026-10-29T00:00:00Z), and no event after as_of scores; give a time up to as_of, or "
                             "days_ago\n")


def test_event_types_and_times_are_read_as_the_scoring_reads_them(tmp_path):
    # Any spelling a rule's type matches is its type; a time is read in the ruleset's date order.
    path = _write(tmp_path, """\
as_of: 2026-12-31
cases:
  - name: spelt
    lead: {job_title: Analyst}
    events: [{type: Demo Request, days_ago: 0}, {type: demo-request, at: 2026-12-31}]
    expect: {intent: 30, explanation_contains: 2 events}
  - name: month first
    lead: {job_title: Analyst}
    events: [{type: DemoRequest, at: 12/31/2026}]
    expect: {intent: 30}
""")
    us = tmp_path / "us.yaml"
    us.write_text((RULESETS / "b2b_saas.yaml").read_text(encoding="utf-8").replace("date_order: iso", "date_order: us"))
    run_cli(["test", us, path, "-q"])
    result = run_cli(["test", "b2b_saas", path], exit_code=2)
    assert result.stderr == (f"leadq: error: {path}:9:38: case 'month first': events[1].at: cannot read '12/31/2026' "
                             "as a date or time; write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, or give days_ago instead\n")
    (tmp_path / "dmy.yaml").write_text(open(path).read().replace("12/31/2026", "31/12/2026"))
    result = run_cli(["test", us, tmp_path / "dmy.yaml"], exit_code=2)
    assert result.stderr.endswith(": case 'month first': events[1].at: cannot read '31/12/2026' as a date or time; "
                                  "write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (or MM/DD/YYYY, as settings: date_order "
                                  "is us), or give days_ago instead\n")


def test_events_for_a_ruleset_without_event_rules_are_an_error(tmp_path):
    ruleset = tmp_path / "no_events.yaml"
    ruleset.write_text((ROOT / "tests" / "cases" / "rules" / "_base.yaml").read_text(encoding="utf-8"))
    path = _write(tmp_path, "cases: [{lead: {}, events: [{type: demo_request}], expect: {tier: rest}}]")
    result = run_cli(["test", ruleset, path], exit_code=2)
    assert result.stderr == (f"leadq: error: {path}:1:36: case 1: events[1].type: no rule of this ruleset reads "
                             "events, so an event of type 'demo_request' would score nothing; leave the events out\n")


def test_with_accounts_keyed_by_workspace_an_event_of_any_type_may_give_the_workspace(tmp_path):
    # In product_led an event places its lead in a workspace whatever its type; only a near miss of a
    # type a rule reads is refused, and an unknown type without a workspace_id.
    types = ("expected one of: connected_integration, demo_request, hit_usage_limit, invited_teammate, page_view, "
             "signed_up, unsubscribe, used_core_feature")
    path = _write(tmp_path, ONE_EVENT.format(event="{type: login, days_ago: 1, workspace_id: w1}"))
    run_cli(["test", "product_led", path, "-q"])
    path = _write(tmp_path, ONE_EVENT.format(event="{type: signed_upp, days_ago: 1, workspace_id: w1}"))
    result = run_cli(["test", "product_led", path], exit_code=2)
    assert result.stderr == (f"leadq: error: {path}:6:16: case 'c1': events[1].type: unknown event type 'signed_upp' "
                             f"(no rule of this ruleset reads it); did you mean 'signed_up'?; {types}; an event of "
                             "another type is taken only for the workspace_id it gives\n")
    path = _write(tmp_path, ONE_EVENT.format(event="{type: login, days_ago: 1}"))
    result = run_cli(["test", "product_led", path], exit_code=2)
    assert "events[1].type: unknown event type 'login' (no rule of this ruleset reads it); expected" in result.stderr


@pytest.mark.parametrize("expect,column,message", [
    # Blank text is in every explanation, and no expectation in an empty list: the case passed untested.
    ("{explanation_contains: ''}", 36, "expect.explanation_contains: blank text is in every explanation; give the "
     "words to look for"),
    ("{explanation_contains: [demo, ' ']}", 36, "expect.explanation_contains: blank text is in every explanation; "
     "give the words to look for"),
    ("{explanation_contains: []}", 36, "expect.explanation_contains: an empty list; give at least one value"),
    ("{tier: []}", 20, "expect.tier: an empty list; give at least one value"),
    ("{fit: between 30 and 10}", 19, "expect.fit: \"between 30 and 10\" holds no number; give the lower bound first "
     "(\"between 10 and 30\")"),
    ("{tier: }", 20, "expect.tier: no value (null); expected text, a number or true/false"),
])
def test_an_expectation_that_tests_nothing_is_an_error(tmp_path, expect, column, message):
    path = _write(tmp_path, f"cases:\n  - name: c1\n    lead: {{job_title: VP}}\n    expect: {expect}\n")
    result = run_cli(["test", "b2b_saas", path], exit_code=2)
    assert result.stderr == f"leadq: error: {path}:4:{column}: case 'c1': {message}\n"


def test_a_case_name_is_text_and_the_files_as_of_is_read_even_when_as_of_is_given(tmp_path):
    path = _write(tmp_path, "cases:\n  - name: [c1]\n    lead: {job_title: VP}\n    expect: {tier: nurture}\n")
    result = run_cli(["test", "b2b_saas", path], exit_code=2)
    assert result.stderr == f"leadq: error: {path}:2:11: case 1: 'name' must be text\n"
    path = _write(tmp_path, "as_of: soon\ncases:\n  - name: c1\n    lead: {job_title: VP}\n    expect: {tier: nurture}\n")
    result = run_cli(["test", "b2b_saas", path, "--as-of", "2026-11-01"], exit_code=2)
    assert result.stderr == (f"leadq: error: {path}:1:8: as_of: cannot read 'soon' as a date; use YYYY-MM-DD or "
                             "YYYY-MM-DDTHH:MM:SSZ\n")


def test_names_from_the_cases_file_are_shown_as_written_not_as_markup(tmp_path):
    # A case named with '[/]' made the report exit 70 (Rich MarkupError); '[red]' vanished.
    path = _write(tmp_path, """\
as_of: 2026-11-01
cases:
  - name: "VP [/] [red]Marketing[/red]"
    lead: {job_title: VP Marketing, company_size: 500}
    expect: {fit: 40}
""")
    result = run_cli(["test", "b2b_saas", path], exit_code=0)
    assert "VP [/] [red]Marketing[/red]" in result.stdout
    assert result.stdout.rstrip().endswith("1 of 1 cases passed")


SHARED = """\
as_of: 2026-11-01
cases:
  - name: quiet VP, no activity
    lead: {job_title: VP Marketing, company_size: 500, industry: Software, country: United States,
           email: pat@acme-analytics.com}
    expect: {tier: nurture, intent: 0}
  - name: the same test address, a demo request yesterday
    lead: {job_title: VP Marketing, company_size: 500, industry: Software, country: United States,
           email: " Pat@Acme-Analytics.com"}
    events:
      - {type: demo_request, days_ago: 1}
    expect: {tier: hand_raiser, intent: 28.6}
  - name: a CEO who asked for a demo, alone at her company
    lead: {job_title: CEO, company_size: 500, industry: Software, country: United States,
           company_domain: https://www.northwind.com, email: ceo@northwind.com}
    events:
      - {type: demo_request, days_ago: 1}
    expect: {tier: hand_raiser, route: amer_sdr}
  - name: a marketing manager at the same company, reading pricing
    lead: {job_title: Marketing Manager, company_size: 500, industry: Software, country: United States,
           company_domain: northwind.com, email: mm@northwind.com}
    events:
      - {type: page_view, url: /pricing, days_ago: 1, count: 2}
    expect: {intent: 19.0}
"""


def test_cases_sharing_an_address_or_an_account_are_scored_apart(tmp_path):
    # In one batch the second case was rejected as the first one's duplicate e-mail and its demo request
    # scored for the first (intent 28.6, hand_raiser); the CEO and the manager made one engaged account
    # with an economic buyer, a buying committee, so the CEO was routed to abm_team.
    rs = load_ruleset(str(RULESETS / "b2b_saas.yaml"))
    cases, as_of = load_cases(_write(tmp_path, SHARED), rs, None)
    results = run_cases(rs, cases, as_of).results
    assert [(r.passed, r.tier, r.route, r.rejected) for r in results] == [
        (True, "nurture", "marketing_nurture", None), (True, "hand_raiser", "amer_sdr", None),
        (True, "hand_raiser", "amer_sdr", None), (True, "mql", "amer_sdr", None)]
    assert [round(r.intent, 1) for r in results] == [0.0, 28.6, 28.6, 19.0]


def test_a_failed_comparison_shows_the_figure_that_failed_it(tmp_path):
    # 40 * 0.5 ** ((29 / 1440) / 14) = 39.96: below 40, as the tier's `intent >= 40` finds it, but its
    # one-decimal figure is 40, and the report said "expected >= 40, got 40".
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text("version: 1\ncolumns: {lead_id: Id}\nactivity_columns: {lead_id: Id, event_type: Type, "
                       "occurred_at: At}\nintent:\n  - {id: demo, event: demo_request, points: 40, half_life_days: 14}\n"
                       "tiers:\n  - {name: hot, when: intent >= 40}\n  - {name: rest, otherwise: true}\n")
    cases = _write(tmp_path, 'as_of: 2026-11-01\ncases:\n  - name: demo\n    lead: {}\n    events:\n'
                             '      - {type: demo_request, at: "2026-10-31T23:31:00Z"}\n'
                             '    expect: {intent: ">= 40", total: "between 40 and 50", fit: "> 0", tier: rest}\n')
    result = run_cli(["test", ruleset, cases], exit_code=1)
    assert ("  intent: expected >= 40, got 39.96\n  total: expected between 40 and 50, got 39.96\n"
            "  fit: expected > 0, got 0\n") in result.stdout


def test_an_as_of_near_the_last_representable_day_is_no_internal_error():
    # A nurture recheck 90 days after 9999-12-31 is past Python's datetime: reading it back was exit 70.
    # Such an as-of is refused now; the last one allowed leaves room for a hundred years of delay.
    result = run_cli(["test", RULESETS / "b2b_saas.yaml", EXAMPLE, "--as-of", "9999-12-31"], exit_code=2)
    assert result.stderr == ("leadq: error: --as-of: '9999-12-31' is out of range; give a time in the years 1900 to "
                             "9898 (a nurture recheck or an SLA due time may fall a hundred years after it)\n")
    result = run_cli(["test", RULESETS / "b2b_saas.yaml", EXAMPLE, "--as-of", "9898-12-31T23:59:59"], exit_code=0)
    assert result.stdout.rstrip().endswith("5 of 5 cases passed")


def test_the_head_line_is_whole_above_a_narrow_table(tmp_path, monkeypatch):
    # As the table's title it was folded to the table's width: "... as of:" on one line, the date on the next.
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "as_of: 2026-11-01\ncases:\n  - name: x\n    lead: {}\n    expect: {tier: nurture}\n")
    out = run_cli(["test", RULESETS / "b2b_saas.yaml", "cases.yaml"]).stdout
    assert out.splitlines()[0] == "leadq test  ruleset: B2B SaaS (sales-led)  cases: cases.yaml  as of: 2026-11-01T00:00:00Z"


def test_ruleset_and_cases_given_the_wrong_way_round_say_so(tmp_path):
    # A ruleset read as cases said "unknown key 'version'", cases read as a ruleset "unknown key 'as_of'".
    result = run_cli(["test", EXAMPLE, RULESETS / "b2b_saas.yaml"], exit_code=2)
    assert result.stderr == (f"leadq: error: {EXAMPLE}:13:1: this is a cases file of `leadq test`, not a ruleset: "
                             "leadq test takes the ruleset first, then the cases (leadq test RULESET CASES.yaml)\n")
    result = run_cli(["test", RULESETS / "b2b_saas.yaml", RULESETS / "worked_example.yaml"], exit_code=2)
    assert result.stderr == (f"leadq: error: {RULESETS / 'worked_example.yaml'}:1:1: this is a ruleset, not a cases "
                             "file: give the ruleset first, then the cases (leadq test RULESET CASES.yaml)\n")


def test_a_local_time_after_as_of_says_the_instant_it_was_read_as(tmp_path):
    # 23:00 in New York is 03:00 UTC the next day: "2026-10-31 23:00 is after as_of (2026-11-01T00:00:00Z)" read as wrong.
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text("version: 1\ncolumns: {lead_id: Id}\nactivity_columns: {lead_id: Id, event_type: Type, "
                       "occurred_at: At}\nsettings: {timezone: America/New_York}\nintent:\n"
                       "  - {id: demo, event: demo, points: 10}\ntiers:\n  - {name: rest, otherwise: true}\n")
    # as_of with its offset: without one it is New York's midnight too (04:00Z), and the event is before it.
    cases = _write(tmp_path, 'as_of: 2026-11-01T00:00:00Z\ncases:\n  - name: late\n    lead: {}\n    events:\n'
                             '      - {type: demo, at: "2026-10-31 23:00"}\n    expect: {tier: rest}\n')
    result = run_cli(["test", ruleset, cases], exit_code=2)
    assert result.stderr == (f"leadq: error: {cases}:6:26: case 'late': events[1].at: 2026-10-31 23:00 (read as "
                             "2026-11-01T03:00:00Z: a time without an offset is in settings.timezone America/New_York) "
                             "is after as_of (2026-11-01T00:00:00Z), and no event after as_of scores; give a time up "
                             "to as_of, or days_ago\n")
