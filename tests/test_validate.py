"""`leadq validate`: one crafted ruleset with one of each problem, every finding pinned; exit codes."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone

import pytest

from tests.conftest import FIXTURES, ROOT, RULESETS, run_cli

from leadq.condition_parser import parse
from leadq.condition_reasoning import Bound, Reasoner, score_bounds
from leadq.lint import lint_ruleset
from leadq.ruleset_loader import load_ruleset

VALIDATE = FIXTURES / "validate"
PROBLEMS = str(VALIDATE / "problems.yaml")

# (line, column, severity, check, item, message) for tests/fixtures/validate/problems.yaml, in file order.
EXPECTED = [
    (18, 3, "warning", "unused-list", "list 'never_used'", "is never used: no condition refers to @never_used"),
    (24, 29, "warning", "regex-substring", "fit rule 'cto'",
     'matches "cto" is a substring search and also matches longer words containing "cto"; '
     'write "\\bcto\\b" for the whole word'),
    (29, 5, "warning", "duplicate-condition", "fit rule 'big_company_again'",
     "has the same condition as rule 'big_company' (line 26): both always fire together, counting one fact "
     "twice in fit"),
    (32, 5, "warning", "rule-no-effect", "fit rule 'in_market'",
     "gives 0 points and no condition uses it (fired(), count(), days_since()); it never changes a score or a tier"),
    (40, 5, "warning", "cap-below-points", "intent rule 'pricing'",
     "cap 5 is below the points (10): each event is cut to 5, so the 10 points as written can never count"),
    (41, 5, "info", "uncapped-event-rule", "intent rule 'webinar'",
     "has no cap: 8 points for every event makes intent (and total) unbounded, so one very active lead can "
     "outscore everyone; add `cap:`"),
    (48, 5, "warning", "disqualifier-unreachable", "disqualifier 'impossible'",
     "can never apply: it needs fit > 100 but the highest reachable fit is 50"),
    (52, 3, "warning", "grade-unreachable", "grade 'A'",
     "needs fit >= 60 but the highest reachable fit is 50 (the sum of the positive fit points)"),
    (55, 3, "warning", "grade-unreachable", "grade 'D'",
     "is never given: the lowest reachable fit is 0, which already earns a better grade"),
    (57, 5, "warning", "disqualifier-not-routed", "tiers",
     "no tier tests bad_fit (bad_fit, disqualified or has_reason()): leads with bad_fit reasons such as "
     "'tiny' (line 45) can still reach 'sql'"),
    (57, 5, "warning", "disqualifier-not-routed", "tiers",
     "no tier tests bad_timing (bad_timing or has_reason()): leads with bad_timing reasons such as "
     "'impossible' (line 48) can still reach 'sql'"),
    (59, 5, "warning", "tier-shadowed", "tier 'hot'",
     "can never be reached: every lead meeting `fit >= 50 and intent >= 40 and grade >= \"B\"` also meets "
     "`fit >= 45 and intent >= 40` of tier 'sql' (line 57), which comes first"),
    (61, 5, "warning", "tier-unreachable", "tier 'elite'",
     "can never match: it needs fit >= 80 but the highest reachable fit is 50"),
    (65, 5, "info", "tiers-overlap", "tier 'warm'",
     "overlaps tier 'mql' (line 63) on total: leads meeting both go to 'mql', which comes first"),
]


def _tuples(report):
    return [(f.line, f.column, f.severity, f.code, f.subject, f.message) for f in report.findings]


def test_every_problem_is_found_once_with_its_line_and_severity():
    report = lint_ruleset(PROBLEMS)
    assert _tuples(report) == EXPECTED
    assert {f.path for f in report.findings} == {PROBLEMS}


def test_a_rule_whose_condition_can_never_be_true_is_reported(tmp_path):
    text = (RULESETS / "worked_example.yaml").read_text()
    text = text.replace("when: company_size between 200 and 1000",
                        "when: company_size > 5000 and company_size between 200 and 1000")
    assert "company_size > 5000" in text
    (tmp_path / "r.yaml").write_text(text)
    [finding] = [f for f in lint_ruleset(str(tmp_path / "r.yaml")).findings if f.code == "rule-unreachable"]
    assert (finding.line, finding.severity, finding.subject, finding.message) == (
        46, "warning", "fit rule 'company_200_1000'",
        "can never fire: `company_size > 5000 and company_size between 200 and 1000`: its conditions on "
        "company_size contradict each other")
    run_cli(["validate", "--strict", tmp_path / "r.yaml"], exit_code=1)


def test_between_with_its_bounds_reversed_is_a_load_error(tmp_path):
    text = (RULESETS / "worked_example.yaml").read_text()
    (tmp_path / "r.yaml").write_text(text.replace("between 200 and 1000", "between 1000 and 200"))
    result = run_cli(["validate", tmp_path / "r.yaml"], exit_code=2)
    assert result.stdout.startswith(
        f"{tmp_path / 'r.yaml'}:48:24: error: fit rule 'company_200_1000': between 1000 and 200 holds no value: "
        "the lower bound comes first (between 200 and 1000) [load-error]\n")
    result = run_cli(["score", FIXTURES / "worked_example" / "contacts.csv", "-r", tmp_path / "r.yaml",
                      "-o", tmp_path / "out.csv"], exit_code=2)
    assert "between 1000 and 200 holds no value" in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_bounds_of_the_crafted_ruleset():
    # fit: 20 + 10 + 15 + 5 + 0 (no negative fit rules, so the lowest is 0);
    # intent: pricing is capped at 5, webinar has no cap -> unbounded.
    bounds = lint_ruleset(PROBLEMS).bounds
    assert (bounds["fit"].low, bounds["fit"].high) == (0.0, 50.0)
    assert (bounds["intent"].low, bounds["intent"].high) == (0.0, math.inf)
    assert bounds["intent"].unbounded_by == ("webinar",)
    assert bounds["total"].high == math.inf


def test_cli_lines_and_exit_codes():
    result = run_cli(["validate", PROBLEMS], exit_code=0)  # warnings alone do not fail without --strict
    lines = result.stdout.splitlines()
    assert lines[0] == (f"{PROBLEMS}:18:3: warning: list 'never_used': is never used: no condition refers to "
                        "@never_used [unused-list]")
    assert lines[-1] == f"{PROBLEMS}: 12 warnings, 2 info"
    assert len(lines) == len(EXPECTED) + 1
    run_cli(["validate", PROBLEMS, "--strict"], exit_code=1)


def test_json_output():
    data = json.loads(run_cli(["validate", PROBLEMS, "--json"]).stdout)
    assert data["counts"] == {"error": 0, "warning": 12, "info": 2}
    assert data["bounds"]["fit"] == {"low": 0.0, "high": 50.0, "unbounded_by": []}
    assert data["bounds"]["intent"]["high"] is None
    first = data["findings"][0]
    assert (first["line"], first["severity"], first["code"], first["subject"]) == \
        (18, "warning", "unused-list", "list 'never_used'")


def test_columns_missing_from_data_are_errors_when_read_and_warnings_otherwise():
    contacts = str(VALIDATE / "contacts.csv")
    report = lint_ruleset(PROBLEMS, [contacts])
    columns = [(f.line, f.column, f.severity, f.message) for f in report.findings if f.code == "column-missing"]
    assert columns == [
        (7, 14, "error", f"column 'Job Title' is not in {contacts} (did you mean 'Job title'?); the ruleset reads "
                         "job_title, so `leadq score` would stop (exit 3)"),
        (9, 13, "warning", f"column 'Industry' is not in {contacts}; industry will be blank"),
    ]
    result = run_cli(["validate", PROBLEMS, "--data", contacts], exit_code=2)
    assert result.stdout.splitlines()[-1] == f"{PROBLEMS}: 1 error, 13 warnings, 2 info"


def test_missing_data_file_is_an_input_error(tmp_path):
    result = run_cli(["validate", PROBLEMS, "--data", str(tmp_path / "nope.csv")], exit_code=3)
    assert "nope.csv" in result.stderr


def test_load_error_is_reported_with_file_line_column_and_exit_2():
    broken = str(VALIDATE / "broken.yaml")
    result = run_cli(["validate", broken], exit_code=2)
    assert result.stdout.splitlines() == [
        f"{broken}:7:11: error: fit rule 'big': unknown field 'company_sise'; did you mean 'company_size'? "
        "[load-error]",
        f"{broken}: 1 error",
    ]
    data = json.loads(run_cli(["validate", broken, "--json"], exit_code=2).stdout)
    assert data["counts"]["error"] == 1 and data["findings"][0]["line"] == 7


def test_missing_ruleset_file(tmp_path):
    result = run_cli(["validate", str(tmp_path / "gone.yaml")], exit_code=2)
    assert "ruleset file not found" in result.stdout


@pytest.mark.parametrize("name", ["b2b_saas.yaml", "salesforce_b2b_saas.yaml", "worked_example.yaml",
                                  "product_led.yaml"])
def test_shipped_rulesets_have_no_warnings(name):
    report = lint_ruleset(str(RULESETS / name))
    assert [f for f in report.findings if f.severity != "info"] == []
    run_cli(["validate", str(RULESETS / name), "--strict"])


def test_a_list_inherited_and_unused_is_the_parent_files_concern(tmp_path):
    # product_led replaces the rules that read b2b_saas's @core_markets; it cannot remove the list,
    # so validate --strict of the child failed on a warning pointing into the parent.
    (tmp_path / "parent.yaml").write_text(
        "name: parent\ncolumns:\n  lead_id: Id\n  country: Country\nlists:\n  markets: [US, CA]\nfit:\n  - id: market\n    label: Market\n"
        "    when: country in @markets\n    points: 5\n"
        "tiers:\n  - name: mql\n    when: fit >= 5\n  - name: nurture\n    otherwise: true\n")
    (tmp_path / "child.yaml").write_text(
        "extends: parent.yaml\nname: child\nlists:\n  own: [x]\nfit:\n  - id: market\n    label: Market\n"
        "    when: country == 'US'\n    points: 5\n")
    findings = [(f.path, f.line, f.code, f.subject) for f in lint_ruleset(str(tmp_path / "child.yaml")).findings
                if f.code == "unused-list"]
    assert findings == [(str(tmp_path / "child.yaml"), 4, "unused-list", "list 'own'")]


def test_an_unrouted_category_names_a_tier_it_reaches_and_the_parent_file_of_its_disqualifier(tmp_path):
    # It named the first tier, 'disqualified' (when: bad_fit), which a bad-timing lead does not reach for its
    # timing, and 'line 216' of b2b_saas.yaml as if it were the child's line 216.
    parent = tmp_path / "parent.yaml"
    parent.write_text((RULESETS / "b2b_saas.yaml").read_text())
    line = next(i for i, text in enumerate(parent.read_text().splitlines(), 1) if "- code: not_now" in text)
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent.yaml\ntiers:\n  - name: disqualified\n    when: bad_fit\n"
                     "  - name: vip\n    when: grade >= \"A\"\n  - name: nurture\n    otherwise: true\n"
                     "routing: null\nsla: null\nnurture: null\n")
    findings = [str(f) for f in lint_ruleset(str(child)).findings if f.code == "disqualifier-not-routed"]
    assert findings == [f"{child}:3:5: warning: tiers: no tier tests bad_timing (bad_timing or has_reason()): leads "
                        f"with bad_timing reasons such as 'not_now' (parent.yaml line {line}) can still reach 'vip' "
                        "[disqualifier-not-routed]"]


def test_warnings_on_the_default_grades_say_so_at_no_line(tmp_path):
    # Without a grades: section they pointed at line 1, column 1, and never said the letters were leadq's own.
    (tmp_path / "r.yaml").write_text(
        "columns:\n  lead_id: Id\n  country: Country\nfit:\n  - id: us\n    label: US\n"
        "    when: country == 'US'\n    points: 5\ntiers:\n  - name: all\n    otherwise: true\n")
    result = run_cli(["validate", tmp_path / "r.yaml"])
    assert (f"{tmp_path / 'r.yaml'}: warning: grade 'C': needs fit >= 10 but the highest reachable fit is 5 "
            "(the sum of the positive fit points); the ruleset has no grades: section, so these are the default "
            "grades: add one with your own letters and fit thresholds [grade-unreachable]") in result.stdout
    (tmp_path / "r.yaml").write_text((tmp_path / "r.yaml").read_text() + "grades:\n  A: 10\n  B: otherwise\n")
    result = run_cli(["validate", tmp_path / "r.yaml"])
    assert f"{tmp_path / 'r.yaml'}:13:3: warning: grade 'A': needs fit >= 10 but the highest reachable fit is 5 " \
        "(the sum of the positive fit points) [grade-unreachable]" in result.stdout


def test_shipped_ruleset_bounds_are_the_hand_computed_sums():
    # worked example: fit 15 + 5 + 10 + 10 = 40 at most, -10 (intern) at least;
    # intent: three uncapped event rules (unbounded) and pricing capped at 10.
    bounds = score_bounds(load_ruleset(str(RULESETS / "worked_example.yaml")))
    assert (bounds["fit"].low, bounds["fit"].high) == (-10.0, 40.0)
    assert bounds["intent"].unbounded_by == ("blog_download", "case_study_download", "demo_request")


# --------------------------------------------------------------------------- the reasoning, directly


@pytest.fixture(scope="module")
def reasoner():
    rs = load_ruleset(str(RULESETS / "worked_example.yaml"))  # grades A 30, B 15, C 5, D otherwise
    bounds = {"fit": Bound(-10, 40), "intent": Bound(0, 60), "total": Bound(-10, 100)}
    return Reasoner(rs, bounds)


@pytest.mark.parametrize("a, b, expected", [
    ("total >= 75", "total >= 60", True),
    ("total >= 60", "total >= 75", False),
    ("total > 60", "total >= 60", True),
    ("total >= 60", "total > 60", False),
    ('grade >= "A" and intent >= 10', 'grade >= "B"', True),
    ('grade >= "B"', 'grade >= "A"', False),
    ("company_size between 200 and 500", "company_size >= 100", True),
    ("fit >= 20 or fit >= 30", "fit >= 10", True),
    ("fit >= 20", "fit >= 30 or intent >= 5", False),
    ("fit >= 20 and intent >= 5", "intent >= 1 and fit >= 20", True),
    ('industry = "SaaS"', 'industry = " saas "', True),  # text comparisons ignore case and spaces
])
def test_implication(reasoner, a, b, expected):
    assert reasoner.implies(parse(a), parse(b)) is expected


@pytest.mark.parametrize("text, why", [
    ("fit >= 41", "it needs fit >= 41 but the highest reachable fit is 40"),
    ("fit > 40", "it needs fit > 40 but the highest reachable fit is 40"),
    ("fit >= 40", None),
    ("intent < 0", "it needs intent < 0 but the lowest reachable intent is 0"),
    ("total >= 50 and total < 20", "its conditions on total contradict each other"),
    ("fit >= 50 or intent >= 10", None),
    ('grade <= "B" and grade >= "C"', None),  # B or worse, and C or better: B or C
    ('grade >= "A" and grade <= "C"', "no reachable grade meets it (reachable: A, B, C, D)"),
    ('grade = "A" and grade = "B"', "no reachable grade meets it (reachable: A, B, C, D)"),
    ("fired(demo_request)", None),
])
def test_impossible(reasoner, text, why):
    assert reasoner.impossible(parse(text)) == why


BAD_INPUTS = ROOT / "tests" / "bad_inputs"


def test_values_the_run_would_reject_or_blank_are_reported_with_examples_and_a_hint():
    ruleset = str(BAD_INPUTS / "base_ruleset.yaml")
    files = [str(BAD_INPUTS / "employee_bands.csv"), str(BAD_INPUTS / "decimal_comma.csv")]
    report = lint_ruleset(ruleset, files)
    found = [(f.line, f.severity, f.code, f.message) for f in report.findings if f.code.startswith("value-")]
    bands, comma = files
    assert found == [
        # A whole count read as a fraction: '1.200' (German thousands) under the default "1,234.5".
        (17, "warning", "value-fractional-count", f"1 value in column 'Employees' read as a fraction ({comma} row 1: "
                                                  "'1.200' read as 1.2); company_size counts employees, a whole "
                                                  "number, so the values were likely misread; check "
                                                  "settings.number_format: \"1,234.5\" reads the '.' of '1.200' as "
                                                  "a decimal separator, \"1.234,5\" reads '1.200' as 1200"),
        (17, "info", "value-range", f"4 values in column 'Employees' read from ranges or abbreviations ({bands} row "
                                    f"1: '51-200', {bands} row 2: '201-500', {bands} row 3: '10,001+'), as their "
                                    "lower bound (settings.number_ranges)"),
        (17, "warning", "value-unreadable", f"2 values in column 'Employees' cannot be read as a number ({bands} row "
                                            f"5: 'about 300', {comma} row 3: '199,5'); `leadq score` rejects those "
                                            'rows; a decimal comma needs settings.number_format: "1.234,5" (or '
                                            '"1 234,5")'),
        (18, "info", "value-range", f"1 value in column 'Revenue' read from ranges or abbreviations ({bands} row 1: "
                                    "'$10M-$50M'), as their lower bound (settings.number_ranges)"),
        (18, "warning", "value-unreadable", f"2 values in column 'Revenue' cannot be read as a number ({comma} row 1: "
                                            f"'2.000.000,50', {comma} row 3: '5.000.000'); `leadq score` rejects "
                                            'those rows; a decimal comma needs settings.number_format: "1.234,5" (or '
                                            '"1 234,5")'),
        (19, "warning", "value-unreadable", f"3 values in column 'Created' cannot be read as a date ({comma} row 1: "
                                            f"'03.04.2026', {comma} row 2: '15.01.2026', {comma} row 3: '30.06.2026 "
                                            "14:30'); `leadq score` rejects those rows; if these are dates in another "
                                            "order, set settings.date_order: eu"),
        (21, "info", "value-unreadable", f"1 value in column 'Budget' cannot be read as a number ({comma} row 2: "
                                         "'1,5'); no rule reads budget, so `leadq score` leaves them blank; a decimal "
                                         'comma needs settings.number_format: "1.234,5" (or "1 234,5")'),
    ]
    # Unreadable values a rule needs are warnings: --strict fails the pre-flight of a cron job.
    run_cli(["validate", ruleset, "--data", files[0], "--strict"], exit_code=1)
    clean = run_cli(["validate", ruleset, "--data", str(BAD_INPUTS / "good_contacts.csv")])
    assert "value-" not in clean.stdout


def test_a_malformed_data_file_is_an_input_error_naming_the_line():
    result = run_cli(["validate", str(BAD_INPUTS / "base_ruleset.yaml"), "--data", str(BAD_INPUTS / "ragged_row.csv")],
                     exit_code=3)
    assert "ragged_row.csv: line 3: expected 8 fields, found 9" in result.stderr


def test_event_types_the_rules_name_are_looked_for_in_the_activity_log(tmp_path):
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(
        "version: 1\ncolumns: {lead_id: Lead ID}\n"
        "activity_columns: {lead_id: Lead ID, event_type: Event, occurred_at: When}\n"
        "intent:\n"
        "  - {id: demo, event: demo_request, points: 30, cap: 30}\n"
        "  - {id: pricing, event: page_view, points: 5, cap: 20}\n"
        "  - {id: trial, event: trial_started, points: 20, cap: 20}\n"
        "tiers:\n  - {name: all, otherwise: true}\n")
    log = tmp_path / "events.csv"
    log.write_text("Lead ID,Event,When\n" + "".join(f"L{i},{t},2026-10-01\n" for i, t in enumerate(
        ["Demo Request", "Demo Request", "page_view", "Email Open", "Email Open", "Email Open", "webinar"])))
    report = lint_ruleset(str(ruleset), activity_specs=[str(log)])
    found = [(f.line, f.severity, f.code, f.subject, f.message) for f in report.findings if f.code.startswith("event")]
    # "Demo Request" is demo_request as `score` matches types (case, spaces, hyphens and underscores aside).
    assert found == [
        (3, "info", "event-type-unused", "activity_columns.event_type",
         f"event types in {log} that no rule scores: 'email open' (3), 'webinar' (1)"),
        (7, "warning", "event-type-missing", "intent rule 'trial'",
         f"no event of type 'trial_started' in {log}, so the rule scores nothing; the log's most frequent types: "
         "'email open' (3), 'demo request' (2), 'page_view' (1), 'webinar' (1)"),
    ]
    result = run_cli(["validate", ruleset, "-a", log, "--strict"], exit_code=1)
    assert "[event-type-missing]" in result.stdout
    lost = tmp_path / "lost.csv"
    lost.write_text("Lead ID,Type,When\nL1,page_view,2026-10-01\n")
    result = run_cli(["validate", ruleset, "-a", lost], exit_code=2)
    assert f"activity_columns.event_type: column 'Event' is not in {lost}" in result.stdout


def test_a_misspelt_event_type_is_found_on_its_event_line_with_the_logs_spelling(tmp_path):
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(
        "version: 1\ncolumns: {lead_id: Lead ID}\n"
        "activity_columns: {lead_id: Lead ID, event_type: Event, occurred_at: When}\n"
        "intent:\n"
        "  - id: webinar\n"
        "    points: 10\n"
        "    event: webinar_atended\n"
        "tiers:\n  - {name: all, otherwise: true}\n")
    log = tmp_path / "events.csv"
    log.write_text("Lead ID,Event,When\nL1,Webinar Attended,2026-10-01\nL2,page_view,2026-10-02\n")
    report = lint_ruleset(str(ruleset), activity_specs=[str(log)])
    [found] = [f for f in report.findings if f.code == "event-type-missing"]
    assert (found.line, found.column) == (7, 12)  # the `event:` value, not the rule's first line
    assert found.message == (f"no event of type 'webinar_atended' in {log}, so the rule scores nothing; did you mean "
                             "'webinar attended'?; the log's most frequent types: 'page_view' (1), "
                             "'webinar attended' (1)")


def test_an_activity_column_only_a_where_reads_is_looked_for(tmp_path):
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(
        "version: 1\ncolumns: {lead_id: Lead ID}\n"
        "activity_columns: {lead_id: Lead ID, event_type: Event, occurred_at: When, url: Page URL, "
        "campaign: Campaign}\n"
        "intent:\n"
        "  - {id: pricing, event: page_view, where: 'url contains \"/pricing\"', points: 5, cap: 20}\n"
        "tiers:\n  - {name: all, otherwise: true}\n")
    log = tmp_path / "events.csv"
    log.write_text("Lead ID,Event,When,URL\nL1,page_view,2026-10-01,/pricing\n")
    result = run_cli(["validate", ruleset, "-a", log], exit_code=2)
    # url is read by a where: `score` would stop; campaign is read by nothing, so it is not looked for.
    assert result.stdout.count("[column-missing]") == 1
    assert (f"activity_columns.url: column 'Page URL' is not in {log}; a `where:` reads url, so `leadq score` "
            "would stop (exit 3)") in result.stdout


def test_data_checks_parse_only_the_mapped_columns(tmp_path, monkeypatch):
    # Only the mapped columns are checked: a row blank in all of them holds nothing to check, so the
    # others are not parsed to tell it from a blank row (the log's: those its activity columns map).
    import leadq.data_check as data_check

    frames, real = [], data_check.concat_inputs
    monkeypatch.setattr(data_check, "concat_inputs", lambda files: frames.append(real(files)) or frames[-1])
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Record ID,Notes,Owner\n1,a,b\n,only a note,\n")
    events = tmp_path / "events.csv"
    events.write_text("Contact ID,Event Type,Timestamp,Browser\n1,demo_request,2026-10-01,x\n,,,y\n")
    ruleset = str(RULESETS / "b2b_saas.yaml")
    lint_ruleset(ruleset, [str(contacts)], activity_specs=[str(events)])
    contacts_frame, events_frame = frames
    assert "PROJECT 1/3 COLUMNS" in contacts_frame.select("_source_row").explain()
    assert contacts_frame.select("_source_row").collect()["_source_row"].to_list() == [1]
    assert events_frame.select("_source_row").collect()["_source_row"].to_list() == [1]


DECAY_RULESET = """\
version: 1
columns: {lead_id: Lead ID}
activity_columns: {lead_id: Lead ID, event_type: Event, occurred_at: When}
settings:
  half_life_days: 365
  lookback_days: 180
fit:
  - {id: known, when: lead_id is not null, points: 10}
grades: {A: 10, B: otherwise}
intent:
  - {id: demo, event: demo_request, points: 30, cap: 30, half_life_days: 14}
  - id: webinar
    event: webinar_attended
    points: 8
    cap: 16
    within_days: 7
    half_life_days: 90
  - {id: pricing, event: page_view, points: 5, cap: 20}
  - {id: ebook, event: content_download, points: 5, cap: 10}
tiers:
  - {name: all, otherwise: true}
"""


def test_a_half_life_longer_than_the_window_is_reported_where_it_is_set(tmp_path):
    # A half-life of a year on a 180-day window (days typed as hours, or the two swapped) passed silently:
    # no event ever lost even half its points, then all of them at the window's end.
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(DECAY_RULESET)
    result = run_cli(["validate", ruleset, "--strict"], exit_code=1)
    assert result.stdout.splitlines() == [
        f"{ruleset}:5:3: warning: settings: half_life_days 365 is longer than the window (lookback_days 180): no "
        "event loses even half its points before it drops out of the window at day 180; set half_life_days below "
        "lookback_days (or `none` for no decay) (rules 'pricing', 'ebook') [half-life-beyond-window]",
        f"{ruleset}:17:5: warning: intent rule 'webinar': half_life_days 90 is longer than the window (within_days "
        "7): no event loses even half its points before it drops out of the window at day 7; set half_life_days "
        "below within_days (or `none` for no decay) [half-life-beyond-window]",
        f"{ruleset}: 2 warnings",
    ]
    ruleset.write_text(DECAY_RULESET.replace("half_life_days: 365", "half_life_days: none")
                       .replace("half_life_days: 90", "half_life_days: 7"))
    assert run_cli(["validate", ruleset, "--strict"]).stdout == f"{ruleset}: ok, no findings\n"


def test_two_rules_or_disqualifiers_with_one_label_are_reported(tmp_path):
    # Copy-pasted rules kept their label: every explanation then read "VP title +15; VP title +8".
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(
        "version: 1\ncolumns: {lead_id: Id, job_title: Title, country: Country}\n"
        "fit:\n"
        "  - {id: vp, label: VP title, when: 'job_title matches \"\\\\bvp\\\\b\"', points: 15}\n"
        "  - {id: manager, label: ' vp  Title', when: 'job_title matches \"\\\\bmanager\\\\b\"', points: 8}\n"
        "disqualifiers:\n"
        "  - {code: ru, label: Unserved country, category: bad_fit, when: country = \"Russia\"}\n"
        "  - {code: ir, label: Unserved country, category: bad_fit, when: country = \"Iran\"}\n"
        "grades: {A: 15, B: otherwise}\n"
        "tiers:\n  - {name: out, when: bad_fit}\n  - {name: all, otherwise: true}\n")
    result = run_cli(["validate", ruleset, "--strict"], exit_code=1)
    assert result.stdout.splitlines() == [
        f"{ruleset}:5:19: warning: fit rule 'manager': has the same label ' vp  Title' as fit rule 'vp' (line 4): "
        "explanations and reports cannot tell them apart; give each its own label [duplicate-label]",
        f"{ruleset}:8:16: warning: disqualifier 'ir': has the same label 'Unserved country' as disqualifier 'ru' "
        "(line 7): explanations and reports cannot tell them apart; give each its own label [duplicate-label]",
        f"{ruleset}: 2 warnings",
    ]


def test_a_missing_activity_column_names_the_close_one_in_parentheses(tmp_path):
    # Was "is not in X; did you mean 'Event Type'?; `leadq score` would stop", unlike the contacts' columns.
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text("version: 1\ncolumns: {lead_id: Lead ID}\n"
                       "activity_columns: {lead_id: Lead ID, event_type: Event, occurred_at: When}\n"
                       "intent:\n  - {id: demo, event: demo_request, points: 30, cap: 30}\n"
                       "tiers:\n  - {name: all, otherwise: true}\n")
    log = tmp_path / "events.csv"
    log.write_text("Lead ID,Event Type,When\nL1,demo_request,2026-10-01\n")
    result = run_cli(["validate", ruleset, "-a", log], exit_code=2)
    assert [line for line in result.stdout.splitlines() if "[column-missing]" in line] == [(
        f"{ruleset}:3:50: error: activity_columns.event_type: column 'Event' is not in {log} (did you mean "
        "'Event Type'?); `leadq score` would stop (exit 3) [column-missing]")]


# --------------------------------------------------------------------------- outcomes (--data is scored)

OUTCOMES_RULESET = """\
version: 1
columns: {lead_id: Lead ID, industry: Industry, country: Country, company_size: Employees}
activity_columns: {lead_id: Lead ID, event_type: Event, occurred_at: When}
lists:
  unserved_countries: [North Korea]
fit:
  - {id: software, label: Software, points: 20, when: 'industry in ["Software"]'}
  - {id: has_country, label: Has a country, points: 5, when: country is not null}
  - {id: big, label: Big, points: 15, when: company_size >= 500}
intent:
  - {id: demo, label: Demo, event: demo_request, points: 30, cap: 30}
disqualifiers:
  - {code: unserved, label: Unserved country, category: bad_fit, when: country not in @unserved_countries}
tiers:
  - {name: disqualified, when: disqualified}
  - {name: elite, when: fit >= 35}
  - {name: rest, otherwise: true}
"""


def _outcome_data(tmp_path, leads: int):
    """``leads`` contacts: two thirds COMPUTER_SOFTWARE, a third RETAIL; one in ten big; a demo for every fifth."""
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(OUTCOMES_RULESET)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Lead ID,Industry,Country,Employees\n" + "".join(
        f"L{i},{'RETAIL' if i % 3 == 0 else 'COMPUTER_SOFTWARE'},{'France' if i % 2 else 'Germany'},"
        f"{1000 if i % 10 == 0 else 20}\n" for i in range(leads)))
    events = tmp_path / "events.csv"
    events.write_text("Lead ID,Event,When\n" + "".join(f"L{i},demo_request,2026-10-01\n" for i in range(0, leads, 5)))
    return ruleset, contacts, events


def test_outcomes_of_scoring_the_data_are_reported_at_each_item(tmp_path):
    ruleset, contacts, events = _outcome_data(tmp_path, 60)
    report = lint_ruleset(str(ruleset), [str(contacts)], activity_specs=[str(events)],
                          as_of=datetime(2026, 11, 1, tzinfo=timezone.utc))
    found = [(f.line, f.column, f.severity, f.code, f.subject, f.message) for f in report.findings
             if f.code in OUTCOME_CODES]
    of = f"60 leads scored from {contacts}"
    assert found == [
        (7, 5, "warning", "rule-never-fires", "fit rule 'software'",
         f"fires for none of the {of} (judged from 50 leads on); industry holds most often: "
         "'COMPUTER_SOFTWARE' (40), 'RETAIL' (20)"),
        (8, 5, "info", "rule-always-fires", "fit rule 'has_country'",
         f"fires for every one of the {of}: it does not tell them apart"),
        (13, 5, "warning", "disqualifies-most", "disqualifier 'unserved'",
         f"applies to 60 of the {of} (100%), more than 50%: is `country not in @unserved_countries` the "
         "condition meant?"),
        (16, 5, "info", "tier-empty", "tier 'elite'", f"no lead of the {of} reaches it"),
        (17, 5, "info", "tier-empty", "tier 'rest'", f"no lead of the {of} reaches it"),
    ]
    outcomes = report.to_dict()["outcomes"]
    assert outcomes == {"as_of": "2026-11-01T00:00:00+00:00", "leads": 60, "min_leads": 50,
                        "rules": {"software": 0, "has_country": 60, "big": 6, "demo": 12},
                        "disqualifiers": {"unserved": 60}, "tiers": {"disqualified": 60, "elite": 0, "rest": 0},
                        "not_judged": []}
    result = run_cli(["validate", ruleset, "-d", contacts, "-a", events, "--as-of", "2026-11-01", "--strict"],
                     exit_code=1)
    assert (f"{ruleset}:7:5: warning: fit rule 'software': fires for none of the {of} (judged from 50 leads on); "
            "industry holds most often: 'COMPUTER_SOFTWARE' (40), 'RETAIL' (20) [rule-never-fires]") in result.stdout
    assert result.stdout.splitlines()[-1] == f"{ruleset}: 2 warnings, 3 info"
    data = json.loads(run_cli(["validate", ruleset, "-d", contacts, "-a", events, "--as-of", "2026-11-01",
                               "--json"]).stdout)
    assert data["outcomes"]["rules"]["demo"] == 12 and data["counts"] == {"error": 0, "warning": 2, "info": 3}


def test_an_event_rule_that_never_fires_names_the_as_of_date(tmp_path):
    ruleset, contacts, events = _outcome_data(tmp_path, 60)
    # A week before the demos: the window holds none of them, so the rule fires for nobody.
    report = lint_ruleset(str(ruleset), [str(contacts)], activity_specs=[str(events)],
                          as_of=datetime(2026, 9, 24, tzinfo=timezone.utc))
    [finding] = [f for f in report.findings if f.subject == "intent rule 'demo'"]
    assert (finding.line, finding.column, finding.severity, finding.code, finding.message) == (
        11, 5, "info", "rule-never-fires",  # a quiet week must not fail a --strict pre-flight
        f"fires for none of the 60 leads scored from {contacts} as of 2026-09-24 (judged from 50 leads on)")


def test_event_rules_and_what_reads_intent_are_not_judged_without_the_activities(tmp_path):
    ruleset, contacts, _ = _outcome_data(tmp_path, 60)
    report = lint_ruleset(str(ruleset), [str(contacts)])
    assert "intent rule 'demo'" not in {f.subject for f in report.findings}
    assert report.outcomes.unknown == frozenset({"rule:demo"})
    assert report.to_dict()["outcomes"]["not_judged"] == ["rule:demo"]


def test_fewer_leads_than_the_minimum_give_no_outcome_findings(tmp_path):
    from leadq.data_check import MIN_LEADS

    ruleset, contacts, events = _outcome_data(tmp_path, MIN_LEADS - 1)
    report = lint_ruleset(str(ruleset), [str(contacts)], activity_specs=[str(events)],
                          as_of=datetime(2026, 11, 1, tzinfo=timezone.utc))
    assert [f for f in report.findings if f.code in OUTCOME_CODES] == []
    assert report.outcomes.leads == 49 and report.outcomes.rules["software"] == 0
    run_cli(["validate", ruleset, "-d", contacts, "-a", events, "--as-of", "2026-11-01", "--strict"])


def test_no_outcomes_when_scoring_would_stop(tmp_path):
    ruleset, _, _ = _outcome_data(tmp_path, 60)
    contacts = tmp_path / "lost.csv"
    contacts.write_text("Lead ID,Sector,Country,Employees\n" + "".join(f"L{i},x,France,20\n" for i in range(60)))
    report = lint_ruleset(str(ruleset), [str(contacts)])
    assert report.outcomes is None and report.to_dict()["outcomes"] is None
    assert [f.code for f in report.findings if f.severity == "error"] == ["column-missing"]


def test_validate_as_of_is_parsed_as_score_parses_it(tmp_path):
    ruleset, contacts, _ = _outcome_data(tmp_path, 60)
    result = run_cli(["validate", ruleset, "-d", contacts, "--as-of", "yesterday"], exit_code=2)
    assert result.stderr == ("leadq: error: --as-of: cannot read 'yesterday' as a date; use YYYY-MM-DD or "
                             "YYYY-MM-DDTHH:MM:SSZ\n")
    result = run_cli(["validate", ruleset, "--accounts", contacts], exit_code=2)
    assert result.stderr == "leadq: error: --accounts: the accounts are read to score --data; give --data too\n"


@pytest.mark.parametrize("name", ["b2b_saas.yaml", "product_led.yaml"])
def test_shipped_rulesets_stay_clean_on_the_sample_data(name):
    """The rulesets that map the sample export: scored as of 2026-11-01, no warning (infos may come)."""
    from tests.conftest import SAMPLE

    result = run_cli(["validate", RULESETS / name, "--strict", "--data", SAMPLE / "contacts.csv",
                      "-a", str(SAMPLE / "events" / "*.csv"), "--accounts", SAMPLE / "accounts.csv",
                      "--as-of", "2026-11-01"])
    assert " warning: " not in result.stdout
    run_cli(["validate", RULESETS / name, "--strict", "--data", SAMPLE / "contacts.csv"])


OUTCOME_CODES = {"rule-never-fires", "rule-always-fires", "disqualifies-most", "tier-empty"}


# --------------------------------------------------------------------------- the ruleset from stdin ('-')


def test_validate_reads_the_ruleset_from_stdin(tmp_path, monkeypatch):
    """`validate -` reads the ruleset from stdin, as `-` reads an input elsewhere: the same findings, named
    `<stdin>` with the lines of the file (it said '-: ruleset file not found')."""
    monkeypatch.chdir(tmp_path)
    from_file = run_cli(["validate", PROBLEMS]).stdout
    from_stdin = run_cli(["validate", "-"], input=(VALIDATE / "problems.yaml").read_bytes()).stdout
    assert from_stdin == from_file.replace(PROBLEMS, "<stdin>")
    assert from_stdin.startswith("<stdin>:18:3: warning: list 'never_used': is never used")
    result = run_cli(["validate", "-", "--json"], input="version: .nan\n", exit_code=2)
    assert json.loads(result.stdout)["findings"] == [
        {"severity": "error", "code": "load-error", "path": "<stdin>", "line": 1, "column": 10, "subject": "",
         "message": "'version' must be a finite number, got .nan"}]


def test_validate_stdin_extends_a_file_in_the_working_directory_or_a_built_in(tmp_path, monkeypatch):
    (tmp_path / "base.yaml").write_text((RULESETS / "worked_example.yaml").read_text())
    child = ("extends: base.yaml\nname: child\nfit:\n"
             "  - {id: blank_big, when: 'company_size is null and company_size > 50', points: 5}\n")
    monkeypatch.chdir(tmp_path)
    lines = run_cli(["validate", "-"], input=child).stdout.splitlines()
    assert lines[0] == ("<stdin>:4:5: warning: fit rule 'blank_big': can never fire: `company_size is null and "
                        "company_size > 50`: its conditions on company_size contradict each other [rule-unreachable]")
    assert lines[1].startswith("base.yaml:62:5: info: intent rule 'blog_download': has no cap")
    assert lines[-1] == "<stdin>: 3 warnings, 3 info"
    # From another folder the relative path finds nothing: said so, with what to do.
    monkeypatch.chdir(tmp_path.parent)
    result = run_cli(["validate", "-"], input=child, exit_code=2)
    assert result.stdout == (
        "<stdin>:1:10: error: extends: cannot find 'base.yaml' in the working directory or among the built-in "
        "rulesets (b2b_saas, product_led, salesforce_b2b_saas, worked_example); a ruleset read from stdin has no "
        "folder of its own: give the path from the working directory [load-error]\n<stdin>: 1 error\n")
    # A built-in ruleset's name is found wherever leadq runs.
    built_in = run_cli(["validate", "b2b_saas"]).stdout.splitlines()
    from_stdin = run_cli(["validate", "-"], input="extends: b2b_saas\nname: mine\n").stdout.splitlines()
    assert from_stdin[:-1] == built_in[:-1]
    assert from_stdin[-1] == "<stdin>" + built_in[-1][built_in[-1].index(": "):]


@pytest.mark.parametrize("option", ["--data", "--activities"])
def test_validate_refuses_a_ruleset_and_data_both_from_stdin(tmp_path, monkeypatch, option):
    monkeypatch.chdir(tmp_path)
    args = ["validate", "-", option, "-"] + (["--data", "contacts.csv"] if option != "--data" else [])
    result = run_cli(args, input=(VALIDATE / "problems.yaml").read_bytes(), exit_code=2)
    assert result.stderr == (f"leadq: error: the ruleset is read from stdin ('-'), so {option} cannot be too; give "
                             f"{option} a file name (or the ruleset's)\n")
    assert result.stdout == ""


def _sla_child(tmp_path, rules: str, sla: str):
    """A b2b_saas child with its own routing rules and SLAs."""
    child = tmp_path / "child.yaml"
    child.write_text("extends: b2b_saas\nname: child\nrouting:\n  rules:\n" + rules + "sla:\n" + sla)
    return child


def test_a_route_sla_that_a_tier_sla_always_beats_is_reported(tmp_path):
    # Every lead sent to fast_lane is an mql or a sql, whose tier SLAs are due no later from the same start:
    # the earlier due time wins (a tie the tier's), so fast_lane's own SLA could never apply.
    child = _sla_child(tmp_path, "    - {when: 'tier in [\"mql\", \"sql\"]', route: fast_lane}\n"
                                 "    - {when: 'tier = \"sql\" and grade >= \"A\"', route: fast_lane}\n"
                                 "    - {when: 'tier = \"hand_raiser\"', route: other}\n",
                       "  mql: {hours: 24, procedure: a}\n  sql: {hours: 4, procedure: b}\n"
                       "  fast_lane: {hours: 24, procedure: c}\n  other: {hours: 1, procedure: d}\n")
    findings = [str(f) for f in lint_ruleset(str(child)).findings if f.code == "sla-shadowed"]
    assert findings == [f"{child}:11:3: warning: sla 'fast_lane': never applies: every lead routed to 'fast_lane' "
                        "has a tier SLA due no later, 'mql' (24 h from the as-of time), 'sql' (4 h from the as-of "
                        "time), than this one (24 h from the as-of time); the earlier due time wins, a tie the "
                        "tier's: give the route fewer hours, or drop its SLA [sla-shadowed]"]
    result = run_cli(["validate", str(child), "--strict"], exit_code=1)
    assert "[sla-shadowed]" in result.stdout


def test_a_tier_sla_from_events_beats_a_route_sla_from_the_as_of_time(tmp_path):
    # product_led's self_serve_upgrade before its fix: 48 h from the run against the pql tier's 24 h from the
    # trigger (events after the as-of time are not read, so the trigger is never later than the run).
    child = _sla_child(tmp_path, "    - {when: 'tier = \"hand_raiser\"', route: callback}\n",
                       "  hand_raiser: {hours: 1, procedure: a, from: [demo_request]}\n"
                       "  callback: {hours: 1, procedure: b}\n")
    findings = [str(f) for f in lint_ruleset(str(child)).findings if f.code == "sla-shadowed"]
    assert findings == [f"{child}:8:3: warning: sla 'callback': never applies: every lead routed to 'callback' "
                        "has a tier SLA due no later, 'hand_raiser' (1 h from demo_request), than this one (1 h from "
                        "the as-of time); the earlier due time wins, a tie the tier's: give the route fewer hours, or "
                        "drop its SLA [sla-shadowed]"]


@pytest.mark.parametrize("rules, sla", [
    # The route's SLA is sooner.
    ("    - {when: 'tier = \"mql\"', route: q}\n", "  mql: {hours: 24, procedure: a}\n  q: {hours: 8, procedure: b}\n"),
    # A tier sent there without a tier SLA.
    ("    - {when: 'tier in [\"mql\", \"sql\"]', route: q}\n",
     "  mql: {hours: 4, procedure: a}\n  q: {hours: 8, procedure: b}\n"),
    # A rule to the route that names no tier (or only in an `or` with something else).
    ("    - {when: 'tier = \"mql\"', route: q}\n    - {when: 'grade >= \"A\"', route: q}\n",
     "  mql: {hours: 4, procedure: a}\n  q: {hours: 8, procedure: b}\n"),
    ("    - {when: 'tier = \"mql\" or grade >= \"A\"', route: q}\n",
     "  mql: {hours: 4, procedure: a}\n  q: {hours: 8, procedure: b}\n"),
    ("    - {when: 'tier = \"mql\"', route: x}\n    - {otherwise: true, route: q}\n",
     "  mql: {hours: 4, procedure: a}\n  q: {hours: 8, procedure: b}\n"),
    # The route's clock starts at an event, the tier's at the run: the route can be due first.
    ("    - {when: 'tier = \"hand_raiser\"', route: q}\n",
     "  hand_raiser: {hours: 1, procedure: a}\n  q: {hours: 8, procedure: b, from: [demo_request]}\n"),
    # Different events start the two clocks.
    ("    - {when: 'tier = \"hand_raiser\"', route: q}\n",
     "  hand_raiser: {hours: 1, procedure: a, from: [contact_form]}\n  q: {hours: 8, procedure: b, from: [demo_request]}\n"),
    # A route named like a tier keys the route's SLA: no tier SLA for that tier.
    ("    - {when: 'tier = \"mql\"', route: mql}\n", "  mql: {hours: 4, procedure: a}\n"),
])
def test_a_route_sla_that_can_apply_is_not_reported(tmp_path, rules, sla):
    child = _sla_child(tmp_path, rules, sla)
    assert [f for f in lint_ruleset(str(child)).findings if f.code == "sla-shadowed"] == []


# --------------------------------------------------------------------------- activity log ids against the contacts


def _join_data(tmp_path, log_ids: list[str]):
    """Three contacts 1000001-1000003 and a demo for each of ``log_ids``, plus one event with no readable time."""
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(OUTCOMES_RULESET)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Lead ID,Industry,Country,Employees\n1000001,RETAIL,France,20\n1000002,RETAIL,France,20\n"
                        "1000003,RETAIL,France,20\n")
    events = tmp_path / "events.csv"
    events.write_text("Lead ID,Event,When\n" + "".join(f"{i},demo_request,2026-10-01\n" for i in log_ids)
                      + "1000003,demo_request,someday\n")
    return ruleset, contacts, events


SOMEDAY = ("1 value in column 'When' cannot be read as a date ({events} row 4: 'someday'); `leadq score` counts "
           "none of those events [value-unreadable]")


def test_a_log_whose_lead_ids_name_no_contact_is_a_warning(tmp_path):
    # A log written by a spreadsheet: 1000001.0 for 1000001. `leadq score` says so in its summary; validate
    # said nothing, and the cron run scored every lead without its events. 3 readable events (the fourth has
    # no time), 2 of them for no lead: most, so a warning, whatever the number of leads.
    ruleset, contacts, events = _join_data(tmp_path, ["1000001.0", "1000002.0", "1000003"])
    message = (f"2 of 3 readable events in {events} name no lead scored from {contacts}: check that the log's "
               "lead-id column (Lead ID) holds the contacts' ids (Lead ID); e.g. the log has '1000001.0' and "
               "'1000002.0', the contacts '1000001' and '1000002'; `leadq score` would count none of those events")
    report = lint_ruleset(str(ruleset), [str(contacts)], activity_specs=[str(events)],
                          as_of=datetime(2026, 11, 1, tzinfo=timezone.utc))
    [finding] = [f for f in report.findings if f.code == "event-lead-unknown"]
    assert (finding.line, finding.column, finding.severity, finding.subject, finding.message) == (
        3, 29, "warning", "activity_columns.lead_id", message)
    assert report.outcomes.events == {
        "read": 4, "unreadable": 1, "unknown_lead": 2,
        "unknown_lead_examples": {"log_column": "Lead ID", "contacts_column": "Lead ID",
                                  "log": ["1000001.0", "1000002.0"], "contacts": ["1000001", "1000002"]}}
    args = ["validate", ruleset, "-d", contacts, "-a", events, "--as-of", "2026-11-01"]
    result = run_cli(args)
    assert f"{ruleset}:3:29: warning: activity_columns.lead_id: {message} [event-lead-unknown]\n" in result.stdout
    # The fourth event's time is a warning of its own (value-unreadable).
    assert f"{ruleset}:3:70: warning: activity_columns.occurred_at: {SOMEDAY.format(events=events)}" in result.stdout
    assert result.stdout.splitlines()[-1] == f"{ruleset}: 2 warnings"
    run_cli([*args, "--strict"], exit_code=1)
    data = json.loads(run_cli([*args, "--json"]).stdout)
    assert [f["message"] for f in data["findings"] if f["code"] == "event-lead-unknown"] == [message]


def test_a_log_whose_ids_are_mostly_the_contacts_gives_no_join_warning(tmp_path):
    # 1 of 3 readable events for no lead: not most; and without --data there is nothing to join with.
    ruleset, contacts, events = _join_data(tmp_path, ["1000001.0", "1000002", "1000003"])
    args = ["validate", ruleset, "-d", contacts, "-a", events, "--as-of", "2026-11-01", "--strict"]
    # The only finding is the fourth event's time, which no date order reads (exit 1 under --strict).
    assert run_cli(args, exit_code=1).stdout.splitlines() == [
        f"{ruleset}:3:70: warning: activity_columns.occurred_at: {SOMEDAY.format(events=events)}",
        f"{ruleset}: 1 warning"]
    ruleset, contacts, events = _join_data(tmp_path, ["x1", "x2", "x3"])
    assert "event-lead-unknown" not in run_cli(["validate", ruleset, "-a", events, "--strict"], exit_code=1).stdout
    result = run_cli(["validate", ruleset, "-d", contacts, "-a", events, "--as-of", "2026-11-01"])
    # No id of the log is a contact's written another way: the first of each side.
    assert ("all 3 readable events in " f"{events} name no lead scored from {contacts}: check that the log's lead-id "
            "column (Lead ID) holds the contacts' ids (Lead ID); e.g. the log has 'x1' and 'x2', the contacts "
            "'1000001' and '1000002'; `leadq score` would count none of those events [event-lead-unknown]"
            ) in result.stdout


# --------------------------------------------------------------------------- value-never-seen

LABELS_RULESET = """\
version: 1
name: lifecycle
columns:
  lead_id: Record ID
  job_title: Job Title
  lifecycle_stage: Lifecycle Stage
fit:
  - id: late_stage
    label: late stage
    when: lifecycle_stage in ["{sql}", "opportunity"]
    points: 30
  - id: chief
    label: chief
    when: job_title in ["CFO", "ceo"] or `Job Title` = "VP Sales"
    points: 15
tiers:
  - name: mql
    when: total >= 20 and lifecycle_stage != "{mql}"
  - name: nurture
    otherwise: true
"""


def _labels(tmp_path, sql: str, mql: str = "Marketing Qualified Lead"):
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(LABELS_RULESET.replace("{sql}", sql).replace("{mql}", mql))
    contacts = tmp_path / "contacts.csv"
    # HubSpot's export: the lifecycle stage's labels, not its internal names.
    contacts.write_text("Record ID,Job Title,Lifecycle Stage\n1,CEO,Sales Qualified Lead\n2,CTO,Opportunity\n"
                        "3,VP Sales, Marketing Qualified Lead\n4,Intern,\n")
    return ruleset, contacts


def test_a_value_the_data_spells_otherwise_is_a_warning(tmp_path):
    # "salesqualifiedlead" is HubSpot's internal name; the export holds the label: the rule matched the
    # opportunities only and said nothing.
    ruleset, contacts = _labels(tmp_path, "salesqualifiedlead", mql="marketingqualifiedlead")
    args = ["validate", ruleset, "-d", contacts]
    result = run_cli(args)
    tail = "? Text is compared trimmed and in any case, but letter for letter [value-never-seen]"
    assert result.stdout.splitlines() == [
        f"{ruleset}:10:31: warning: fit rule 'late_stage': value \"salesqualifiedlead\" of `lifecycle_stage in [...]` "
        f"occurs in no row of {contacts} (column 'Lifecycle Stage', 3 rows with a value); did you mean "
        f"\"Sales Qualified Lead\"{tail}",
        f"{ruleset}:18:46: warning: tier 'mql': value \"marketingqualifiedlead\" of `lifecycle_stage !=` occurs in no "
        f"row of {contacts} (column 'Lifecycle Stage', 3 rows with a value); did you mean "
        f"\"Marketing Qualified Lead\"{tail}",
        f"{ruleset}: 2 warnings",
    ]
    run_cli([*args, "--strict"], exit_code=1)
    data = json.loads(run_cli([*args, "--json"]).stdout)
    assert [(f["code"], f["severity"], f["subject"], f["line"], f["column"]) for f in data["findings"]] == [
        ("value-never-seen", "warning", "fit rule 'late_stage'", 10, 31),
        ("value-never-seen", "warning", "tier 'mql'", 18, 46)]


def test_values_the_data_holds_in_any_case_or_none_close_give_no_finding(tmp_path):
    # "sales qualified lead" is the label in another case (the comparison ignores case and the blanks
    # around a value): it matches. "CFO" occurs nowhere and nothing is close: a sample may just hold
    # no CFO (and were the rule dead, rule-never-fires says so), so no finding.
    ruleset, contacts = _labels(tmp_path, "sales qualified lead")
    assert run_cli(["validate", ruleset, "-d", contacts, "--strict"]).stdout.splitlines() == [
        f"{ruleset}: ok, no findings"]
    # A near spelling (a letter off) is offered too, as is a raw column's value.
    ruleset, contacts = _labels(tmp_path, "Sales Qualifed Lead")
    report = lint_ruleset(str(ruleset), [str(contacts)])
    assert [(f.code, f.subject, f.message) for f in report.findings] == [
        ("value-never-seen", "fit rule 'late_stage'",
         f"value \"Sales Qualifed Lead\" of `lifecycle_stage in [...]` occurs in no row of {contacts} (column "
         "'Lifecycle Stage', 3 rows with a value); did you mean \"Sales Qualified Lead\"? Text is compared trimmed "
         "and in any case, but letter for letter")]
    ruleset.write_text(ruleset.read_text().replace('"VP Sales"', '"VP-Sales"'))
    report = lint_ruleset(str(ruleset), [str(contacts)])
    assert [(f.subject, f.message.split(";")[0]) for f in report.findings if "VP" in f.message] == [
        ("fit rule 'chief'", f"value \"VP-Sales\" of `job_title =` occurs in no row of {contacts} (column 'Job Title', "
                             "4 rows with a value)")]
    assert "did you mean \"VP Sales\"?" in report.findings[-1].message


def test_a_column_with_no_values_gives_no_value_finding(tmp_path):
    ruleset, contacts = _labels(tmp_path, "salesqualifiedlead")
    contacts.write_text("Record ID,Job Title,Lifecycle Stage\n1,CEO,\n2,CTO,  \n")
    assert "value-never-seen" not in run_cli(["validate", ruleset, "-d", contacts]).stdout


def test_a_step_half_life_as_long_as_the_window_is_reported(tmp_path):
    # With decay: step an event keeps all its points until a whole half-life: 7 days on a 7-day window
    # decays nothing (continuous decay would take a third of them off by day 7, and is not reported).
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(DECAY_RULESET.replace("half_life_days: 365", "half_life_days: none")
                       .replace("half_life_days: 90", "half_life_days: 7\n    decay: step"))
    result = run_cli(["validate", ruleset, "--strict"], exit_code=1)
    assert result.stdout.splitlines() == [
        f"{ruleset}:17:5: warning: intent rule 'webinar': half_life_days 7 with decay: step is as long as the "
        "window (within_days 7): no event loses any of its points before it drops out of the window at day 7; set "
        "half_life_days below within_days (or `none` for no decay) [half-life-beyond-window]",
        f"{ruleset}: 1 warning",
    ]
    ruleset.write_text(DECAY_RULESET.replace("half_life_days: 365", "half_life_days: none")
                       .replace("half_life_days: 90", "half_life_days: 7"))
    assert run_cli(["validate", ruleset, "--strict"]).stdout == f"{ruleset}: ok, no findings\n"


def test_an_uploaded_files_escape_sequences_are_written_escaped(tmp_path):
    # A value 'abc ESC[2J' was printed as it was: the finding cleared the terminal (or the CI log) it went to.
    (tmp_path / "r.yaml").write_text("version: 1\ncolumns: {lead_id: Lead ID, company_size: Employees}\n"
                                     "fit:\n  - {id: big, when: company_size > 5000, points: 20}\n"
                                     "grades: {A: 20, B: otherwise}\ntiers:\n  - {name: all, otherwise: true}\n")
    (tmp_path / "c.csv").write_text("Lead ID,Employees\nA,abc\x1b[2J\nB,6000\n")
    out = run_cli(["validate", tmp_path / "r.yaml", "--data", tmp_path / "c.csv"]).stdout
    assert "\x1b" not in out
    assert (f"warning: columns.company_size: 1 value in column 'Employees' cannot be read as a number "
            f"({tmp_path / 'c.csv'} row 1: 'abc\\x1b[2J'); `leadq score` rejects those rows [value-unreadable]") in out


FRACTION_RULESET = """version: 1
columns:
  lead_id: Record ID
  company_size: Number of Employees
  annual_revenue: Revenue
  employees: {column: Staff, type: number}
settings:
  number_format: "1.234,5"
fit:
  - {id: big, when: company_size >= 1000 and employees >= 0, points: 10}
tiers:
  - {name: all, otherwise: true}
"""


def test_whole_counts_read_as_fractions_are_a_warning_naming_the_setting(tmp_path):
    # A US export read with number_format "1.234,5": "1,250" employees became 1.25, and the rule for
    # companies of 1,000 or more missed them. Revenue (not a count) may hold cents; "51-200" read as its
    # midpoint (125.5) is a range (value-range), not a misread.
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(FRACTION_RULESET)
    contacts = tmp_path / "c.csv"
    contacts.write_text('Record ID,Number of Employees,Revenue,Staff\n1,"1,250","2,5","7,5"\n2,80,"1,5",3\n'
                        '3,"2,500",9,4\n4,12,3,"12,25"\n')
    found = [(f.line, f.severity, f.code, f.subject, f.message) for f in lint_ruleset(str(ruleset), [str(contacts)]).findings
             if f.code.startswith("value-")]
    assert found == [
        (4, "warning", "value-fractional-count", "columns.company_size",
         f"2 values in column 'Number of Employees' read as fractions ({contacts} row 1: '1,250' read as 1.25, "
         f"{contacts} row 3: '2,500' read as 2.5); company_size counts employees, a whole number, so the values "
         "were likely misread; check settings.number_format: \"1.234,5\" reads the ',' of '1,250' as a decimal "
         "separator, \"1,234.5\" reads '1,250' as 1250"),
        (6, "warning", "value-fractional-count", "columns.employees",
         f"2 values in column 'Staff' read as fractions ({contacts} row 1: '7,5' read as 7.5, {contacts} row 4: "
         "'12,25' read as 12.25); employees counts employees, a whole number, so the values were likely misread; "
         "check settings.number_format (\"1.234,5\") against how the export writes column 'Staff'"),
    ]
    run_cli(["validate", ruleset, "--data", contacts, "--strict"], exit_code=1)


def test_a_range_midpoint_is_no_fractional_count(tmp_path):
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(FRACTION_RULESET.replace('number_format: "1.234,5"', "number_ranges: middle"))
    contacts = tmp_path / "c.csv"
    contacts.write_text("Record ID,Number of Employees,Revenue,Staff\n1,51-200,2.5,7\n2,1250,1.5,3\n")
    found = [(f.code, f.message) for f in lint_ruleset(str(ruleset), [str(contacts)]).findings
             if f.code.startswith("value-")]
    assert found == [("value-range", f"1 value in column 'Number of Employees' read from ranges or abbreviations "
                                     f"({contacts} row 1: '51-200'), as their midpoint (settings.number_ranges)")]
