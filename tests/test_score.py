"""`leadq score` end to end: the worked example, CRM mappings, input/output formats, pipes."""

from __future__ import annotations

import io
import json

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from leadq.inputs import read_parquet_metadata
from leadq.pipeline import read_and_score
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, FIXTURES, RULESETS, SAMPLE, run_cli

WORKED = FIXTURES / "worked_example"
CRM = FIXTURES / "crm"


def _worked_args(out, *extra):
    return ["score", WORKED / "contacts.csv", "-a", WORKED / "events.csv", "-r", RULESETS / "worked_example.yaml",
            "--as-of", "2026-11-01", "-o", out, *extra]


def test_worked_example_exact():
    """The field's worked example: A = -8, B = 50 (not yet MQL), C = 75 (MQL)."""
    ruleset = load_ruleset(str(RULESETS / "worked_example.yaml"))
    result = read_and_score(ruleset, [str(WORKED / "contacts.csv")], [str(WORKED / "events.csv")], as_of=AS_OF)
    got = result.scored.select("lead_id", "fit_score", "intent_score", "total_score", "tier")
    expected = pl.DataFrame({
        "lead_id": ["A", "B", "C"],
        "fit_score": [-10.0, 35.0, 35.0],
        "intent_score": [2.0, 15.0, 40.0],
        "total_score": [-8.0, 50.0, 75.0],
        "tier": ["nurture", "nurture", "mql"],
    })
    assert_frame_equal(got, expected)
    explanations = result.scored["explanation"].to_list()
    assert explanations[0] == "blog post download +2 (12 days ago); Intern title -10"
    assert explanations[2] == (
        "Director title +15; 200-1,000 employees +10; SaaS industry +10; case study download +5 (11 days ago); "
        "pricing page view +10 (10 days ago); demo request +25 (3 days ago)"
    )


def test_worked_example_cli_csv(tmp_path):
    out = tmp_path / "scored.csv"
    result = run_cli(_worked_args(out))
    assert "input rows 3 = scored 3 + rejected 0" in result.stdout
    df = pl.read_csv(out)
    assert df["total_score"].to_list() == [-8.0, 50.0, 75.0]
    assert df.columns == ["lead_id", "fit_score", "intent_score", "total_score", "grade", "tier", "disqualified",
                          "disqualification_reasons", "explanation"]


@pytest.mark.parametrize("fmt", ["parquet", "csv", "ndjson"])
def test_output_formats_agree(tmp_path, fmt):
    out = tmp_path / f"scored.{fmt}"
    run_cli(_worked_args(out, "-q"))
    reader = {"parquet": pl.read_parquet, "csv": pl.read_csv, "ndjson": pl.read_ndjson}[fmt]
    df = reader(out)
    assert df["lead_id"].to_list() == ["A", "B", "C"]
    assert df["tier"].to_list() == ["nurture", "nurture", "mql"]
    if fmt != "csv":
        assert df["disqualification_reasons"].to_list() == [[], [], []]


def test_parquet_metadata_records_as_of(tmp_path):
    out = tmp_path / "scored.parquet"
    run_cli(_worked_args(out, "-q"))
    meta = read_parquet_metadata(str(out))
    assert meta["leadq.as_of"] == "2026-11-01T00:00:00Z"
    assert meta["leadq.ruleset"] == "Worked example (Marketing Director ICP)"


@pytest.mark.parametrize("fmt", ["parquet", "ndjson"])
def test_input_formats(tmp_path, fmt):
    contacts = pl.read_csv(WORKED / "contacts.csv", infer_schema=False)
    events = pl.read_csv(WORKED / "events.csv", infer_schema=False)
    if fmt == "parquet":
        contacts = contacts.with_columns(pl.col("Employees").cast(pl.Int64))
        contacts.write_parquet(tmp_path / "c.parquet")
        events.write_parquet(tmp_path / "e.parquet")
    else:
        contacts.write_ndjson(tmp_path / "c.ndjson")
        events.write_ndjson(tmp_path / "e.ndjson")
    out = tmp_path / "out.csv"
    run_cli(["score", tmp_path / f"c.{fmt}", "-a", tmp_path / f"e.{fmt}", "-r", RULESETS / "worked_example.yaml",
             "--as-of", "2026-11-01", "-o", out, "-q"])
    assert pl.read_csv(out)["total_score"].to_list() == [-8.0, 50.0, 75.0]


@pytest.mark.parametrize("fmt", ["parquet", "ndjson"])
def test_a_list_in_a_mapped_column_reads_as_its_items_and_an_object_is_an_input_error(tmp_path, fmt, monkeypatch):
    monkeypatch.chdir(tmp_path)  # --out - writes its rejects file into the working folder
    # Technologies as ["hubspot", "slack", ...]: joined with "; ", so `technologies contains` tests the items.
    contacts = pl.read_csv(SAMPLE / "contacts.csv", infer_schema=False, n_rows=40)
    args = ["--as-of", "2026-11-01", "-o", "-", "-q"]
    contacts.write_csv(tmp_path / "contacts.csv")
    want = run_cli(["score", tmp_path / "contacts.csv", *args]).stdout.splitlines()
    listed = contacts.with_columns(pl.col("Technologies").str.split(";"))
    getattr(listed, f"write_{fmt}")(tmp_path / f"listed.{fmt}")
    assert run_cli(["score", tmp_path / f"listed.{fmt}", *args]).stdout.splitlines() == want
    objects = contacts.with_columns(pl.struct(pl.col("Job Title").alias("name")).alias("Job Title"))
    getattr(objects, f"write_{fmt}")(tmp_path / f"objects.{fmt}")
    result = run_cli(["score", tmp_path / f"objects.{fmt}", *args], exit_code=3)
    assert result.stderr == (f"leadq: error: {tmp_path / f'objects.{fmt}'}: column 'Job Title' (for job_title) holds "
                             "objects, not values leadq can read as text; export the field as a value or a list of "
                             "values (flatten it, e.g. with jq), or map another column\n")


def test_a_local_time_skipped_by_daylight_saving_is_read_not_rejected(tmp_path):
    (tmp_path / "ny.yaml").write_text("extends: b2b_saas\n"
                                      "settings: {timezone: America/New_York}\n")
    contacts = pl.read_csv(SAMPLE / "contacts.csv", infer_schema=False, n_rows=5)
    contacts.with_columns(pl.lit("2026-03-08 02:30").alias("Create Date")).write_csv(tmp_path / "c.csv")
    (tmp_path / "e.csv").write_text(f"Contact ID,Event Type,Timestamp,Page URL\n{contacts['Record ID'][0]},"
                                    "page_view,2026-03-08 02:30,https://example.com/pricing\n")
    run_cli(["score", tmp_path / "c.csv", "-a", tmp_path / "e.csv", "-r", tmp_path / "ny.yaml", "--as-of",
             "2026-11-01", "-o", tmp_path / "out.csv", "--summary-json", tmp_path / "s.json", "-q"])
    summary = json.loads((tmp_path / "s.json").read_text())
    assert (summary["rejected"], summary["events"]["read"], summary["events"]["unreadable"]) == (0, 1, 0)


def test_input_format_forced(tmp_path):
    copy = tmp_path / "contacts.export"
    copy.write_bytes((WORKED / "contacts.csv").read_bytes())
    out = tmp_path / "out.csv"
    run_cli(["score", copy, "-a", WORKED / "events.csv", "-r", RULESETS / "worked_example.yaml", "--as-of",
             "2026-11-01", "--input-format", "csv", "-o", out, "-q"])
    assert pl.read_csv(out).height == 3


def test_an_export_of_no_rows_writes_an_empty_output_and_says_so(tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text((SAMPLE / "contacts.csv").read_text().splitlines()[0] + "\n")
    out = tmp_path / "out.csv"
    result = run_cli(["score", contacts, "--as-of", "2026-11-01", "-o", out])
    assert "input rows 0 = scored 0 + rejected 0  (the input holds no rows; an empty output was written)" \
        in result.stdout
    assert "routes: unrouted 0\n" in result.stdout  # no empty list of routes before it
    assert out.read_text().startswith("lead_id,fit_score,intent_score,total_score,grade,tier,")
    assert pl.read_csv(out).height == 0


@pytest.mark.parametrize("name", ["day.csv", "day.ndjson"])
def test_an_empty_daily_activity_file_is_an_empty_log(tmp_path, name):
    # One day without events (zero bytes) beside other days, or alone: no events, not a failed run.
    (tmp_path / name).write_bytes(b"")
    args = ["score", WORKED / "contacts.csv", "-r", RULESETS / "worked_example.yaml", "--as-of", "2026-11-01",
            "-o", tmp_path / "out.csv", "-q"]
    run_cli([*args, "-a", tmp_path / name, "-a", WORKED / "events.csv"])
    assert pl.read_csv(tmp_path / "out.csv")["total_score"].to_list() == [-8.0, 50.0, 75.0]
    run_cli([*args, "-a", tmp_path / name])
    assert pl.read_csv(tmp_path / "out.csv")["intent_score"].to_list() == [0.0, 0.0, 0.0]


def test_a_glob_that_matches_the_runs_own_output_is_refused_before_scoring(tmp_path):
    # The cron job's second run would read the first one's output as contacts.
    (tmp_path / "contacts.csv").write_bytes((SAMPLE / "contacts.csv").read_bytes())
    out = tmp_path / "scored.csv"
    args = ["score", str(tmp_path / "*.csv"), "--as-of", "2026-11-01", "-o", out, "-q"]
    run_cli(args)
    first = out.read_bytes()
    result = run_cli(args, exit_code=2)
    assert result.stderr == (f"leadq: error: {out} is both this run's --out and one of its contacts inputs, matched "
                             f"by '{tmp_path / '*.csv'}'; write the outputs elsewhere, or name the inputs more "
                             "narrowly\n")
    assert out.read_bytes() == first
    rejects = tmp_path / "scored.rejects.csv"
    result = run_cli(["score", tmp_path / "contacts.csv", "-a", rejects, "-o", out, "-q"], exit_code=2)
    assert result.stderr.startswith(f"leadq: error: {rejects} is both this run's --rejects and one of its "
                                    "--activities inputs; ")
    # --previous reads the output on purpose: not refused.
    run_cli(["score", tmp_path / "contacts.csv", "--as-of", "2026-11-01", "-o", out, "--previous", out, "-q"])


def test_stdin_and_stdout_pipeline(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # --out - writes its rejects file into the working folder
    data = (WORKED / "contacts.csv").read_bytes()
    result = run_cli(["score", "-", "-a", WORKED / "events.csv", "-r", RULESETS / "worked_example.yaml",
                      "--as-of", "2026-11-01", "-o", "-"], input=data)
    df = pl.read_csv(io.StringIO(result.stdout))
    assert df["total_score"].to_list() == [-8.0, 50.0, 75.0]
    # The summary moved to stderr so stdout carries only data.
    assert "input rows 3 = scored 3" in result.stderr


def test_stdin_with_a_row_of_text_only_in_an_unmapped_column_lists_it_as_a_reject(tmp_path):
    # Read with the mapped columns tested for blank rows, then again from the bytes stdin gave.
    (tmp_path / "r.yaml").write_text(CONTACTS_RULESET)
    rejects = tmp_path / "rejects.csv"
    result = run_cli(["score", "-", "-r", tmp_path / "r.yaml", "--as-of", "2026-11-01", "-o", "-",
                      "--rejects", rejects], input=b"id,title,note\n1,CEO,a\n,,note\n2,,b\n,,\n")
    assert pl.read_csv(io.StringIO(result.stdout))["lead_id"].to_list() == [1, 2]
    assert "input rows 3 = scored 2 + rejected 1" in result.stderr
    assert pl.read_csv(rejects).select("source_row", "reason", "note").rows() == [(2, "missing lead id", "note")]


def test_ndjson_to_stdout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # --out - writes its rejects file into the working folder
    result = run_cli(_worked_args("-", "--format", "ndjson"))
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["total_score"] for r in rows] == [-8.0, 50.0, 75.0]
    assert rows[2]["disqualification_reasons"] == []


def test_parquet_to_stdout_is_refused():
    result = run_cli(_worked_args("-", "--format", "parquet"), exit_code=2)
    assert "parquet cannot be written to stdout" in result.stderr


def test_globs_over_daily_files(tmp_path):
    events = pl.read_csv(WORKED / "events.csv", infer_schema=False)
    for i, part in enumerate(events.partition_by("Date", maintain_order=True)):
        part.write_csv(tmp_path / f"events-{i:02d}.csv")
    out = tmp_path / "out.csv"
    result = run_cli(["score", WORKED / "contacts.csv", "-a", str(tmp_path / "events-*.csv"), "-r",
                      RULESETS / "worked_example.yaml", "--as-of", "2026-11-01", "-o", out])
    assert pl.read_csv(out)["total_score"].to_list() == [-8.0, 50.0, 75.0]
    assert "events read 6" in result.stdout


def test_event_rules_that_counted_nothing_are_named(tmp_path):
    # A cron job does not run `validate`: a rule whose `event:` type the log never writes gives every
    # lead 0 points for it, silently; the summary names such rules and counts each rule's events.
    summary = tmp_path / "s.json"
    result = run_cli(["score", CRM / "hubspot_contacts.csv", "-a", CRM / "hubspot_events.csv", "--as-of",
                      "2026-11-01", "-o", tmp_path / "o.csv", "--summary-json", summary])
    by_rule = json.loads(summary.read_text())["events"]["by_rule"]
    assert by_rule["demo_request"] == 1 and by_rule["pricing_page"] == 1
    idle = [rule for rule, n in by_rule.items() if n == 0]
    assert idle[:2] == ["case_study", "content_download"] and len(idle) == 8
    assert " ".join(result.stdout.split()).count(f"event rules that counted no event: {', '.join(idle)} ") == 1


def test_keep_columns_and_summary_json(tmp_path):
    out = tmp_path / "out.parquet"
    summary = tmp_path / "summary.json"
    run_cli(_worked_args(out, "--keep-columns", "Email,Company", "--summary-json", summary, "-q"))
    df = pl.read_parquet(out)
    assert df["Email"].to_list() == ["amy@tinystartup.io", "ben@saasco.co.uk", "cat@saasco.co.uk"]
    doc = json.loads(summary.read_text())
    assert doc["input_rows"] == 3 and doc["scored"] == 3 and doc["rejected"] == 0
    assert {t["name"]: t["count"] for t in doc["tiers"]} == {"mql": 1, "nurture": 2}
    assert doc["as_of"] == "2026-11-01T00:00:00Z"


def test_quiet_prints_nothing(tmp_path):
    result = run_cli(_worked_args(tmp_path / "o.csv", "--quiet"))
    assert result.stdout == "" and result.stderr == ""


def test_unknown_keep_column_is_a_usage_error(tmp_path):
    result = run_cli(_worked_args(tmp_path / "o.csv", "--keep-columns", "Emial"), exit_code=2)
    assert "no column 'Emial'" in result.stderr and "did you mean 'Email'" in result.stderr


def _crm_run(ruleset, contacts, events):
    rs = load_ruleset(str(RULESETS / ruleset))
    return read_and_score(rs, [str(CRM / contacts)], [str(CRM / events)], as_of=AS_OF).scored


def test_hubspot_and_salesforce_exports_score_identically():
    """The same two leads exported by HubSpot and by Salesforce (US dates) score the same."""
    hubspot = _crm_run("b2b_saas.yaml", "hubspot_contacts.csv", "hubspot_events.csv")
    salesforce = _crm_run("salesforce_b2b_saas.yaml", "salesforce_leads.csv", "salesforce_activities.csv")
    assert_frame_equal(hubspot, salesforce)
    dana, jo = hubspot.to_dicts()
    # Dana: VP +15, marketing +10, 1,200 employees +15, software +10, US +5, Salesforce user +10 = 65.
    assert dana["fit_score"] == 65 and dana["grade"] == "A"
    # Demo request 2 days ago, half-life 14: 30 * 0.5 ** (2/14); CRM checkbox +15; pricing today +10.
    assert dana["intent_score"] == pytest.approx(30 * 0.5 ** (2 / 14) + 15 + 10, abs=1e-9)
    assert dana["tier"] == "hand_raiser"
    # Jo: marketing +10, intern -20, gmail -15 = -25; Iran is not served; quiet for 22 months.
    assert jo["fit_score"] == -25 and jo["grade"] == "F"
    assert jo["disqualification_reasons"] == ["unserved_country", "gone_quiet"]
    assert jo["tier"] == "disqualified" and jo["disqualified"] is True


def test_an_excel_export_scores_like_the_csv_export_of_the_same_leads():
    """Contacts and events as Excel holds them (numbers, date cells, a checkbox) score as their CSV does."""
    assert_frame_equal(_crm_run("b2b_saas.yaml", "hubspot_contacts.xlsx", "hubspot_events.xlsx"),
                       _crm_run("b2b_saas.yaml", "hubspot_contacts.csv", "hubspot_events.csv"))


def test_a_salesforce_report_workbook_scores_like_the_csv_export_of_the_same_leads(tmp_path):
    """A "Formatted Report" export (title and filter rows, an empty column A, totals and footer) scores as the
    CSV export of its leads, and the summary says once what of it was left out."""
    report = _crm_run("salesforce_b2b_saas.yaml", "salesforce_leads_report.xlsx", "salesforce_activities.csv")
    assert_frame_equal(report, _crm_run("salesforce_b2b_saas.yaml", "salesforce_leads.csv",
                                        "salesforce_activities.csv"))
    dana, jo = report.to_dicts()
    assert (dana["lead_id"], dana["fit_score"], dana["grade"], dana["tier"]) == ("101", 65, "A", "hand_raiser")
    assert dana["intent_score"] == pytest.approx(30 * 0.5 ** (2 / 14) + 15 + 10, abs=1e-9)
    assert (jo["lead_id"], jo["fit_score"], jo["grade"], jo["tier"]) == ("102", -25, "F", "disqualified")
    assert jo["disqualification_reasons"] == ["unserved_country", "gone_quiet"]
    workbook = CRM / "salesforce_leads_report.xlsx"
    result = run_cli(["score", workbook, "-a", CRM / "salesforce_activities.csv", "-r",
                      RULESETS / "salesforce_b2b_saas.yaml", "--as-of", "2026-11-01", "-o", tmp_path / "o.csv",
                      "--summary-json", tmp_path / "s.json"])
    note = (f"{workbook}: read as a report: header on sheet row 7 (data row N is sheet row N + 7); left out 4 "
            "row(s) above it (title, filters) and 3 row(s) after the data (totals, footer)")
    assert " ".join(result.stdout.split()).count(note) == 1, result.stdout  # the console wraps long lines
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["report_rows"] == {str(workbook): {"header_row": 7, "rows_above": 4, "rows_below": 3,
                                                         "unit": "sheet row"}}
    assert summary["input_rows"] == 2


def test_sheet_option_names_the_sheet_of_every_workbook_input(tmp_path):
    args = ["score", CRM / "hubspot_contacts.xlsx", "-a", CRM / "hubspot_events.xlsx", "--as-of", "2026-11-01",
            "-o", tmp_path / "o.csv", "-q"]
    run_cli(args + ["--sheet", "Export"])
    assert pl.read_csv(tmp_path / "o.csv")["lead_id"].to_list() == [101, 102]
    result = run_cli(args + ["--sheet", "Notes"], exit_code=3)
    assert "hubspot_contacts.xlsx: missing columns 'Record ID' (for lead_id)" in result.stderr


def test_sheet_option_names_one_workbooks_sheet_with_file_equals_sheet(tmp_path, monkeypatch):
    args = ["score", CRM / "hubspot_contacts.xlsx", "-a", CRM / "hubspot_events.xlsx", "--as-of", "2026-11-01",
            "-o", tmp_path / "o.csv", "-q"]
    # Every workbook's sheet is Notes, except the two named: contacts by name, events by number.
    run_cli(args + ["--sheet", "Notes", "--sheet", f"{CRM / 'hubspot_contacts.xlsx'}=Export",
                    "--sheet", f"{CRM / 'hubspot_events.xlsx'}=1"])
    assert pl.read_csv(tmp_path / "o.csv")["lead_id"].to_list() == [101, 102]
    # Only the events' sheet is Notes: the contacts are read from their first sheet, the events are not.
    monkeypatch.chdir(CRM)
    result = run_cli(args + ["--sheet", "./hubspot_events.xlsx=Notes"], exit_code=3)
    assert "hubspot_events.xlsx: missing columns" in result.stderr and "hubspot_contacts.xlsx" not in result.stderr
    for sheet, message in [
        ("nowhere.xlsx=Export", "--sheet nowhere.xlsx=Export: no such workbook 'nowhere.xlsx'"),
        ("hubspot_events.xlsx=", "--sheet hubspot_events.xlsx=: give the sheet's name or number after '='"),
    ]:
        assert f"leadq: error: {message}" in run_cli(args + ["--sheet", sheet], exit_code=2).stderr
    result = run_cli(args + ["--sheet", "Export", "--sheet", "Notes"], exit_code=2)
    assert ("leadq: error: --sheet: 'Export' and 'Notes' both name the sheet of every workbook; give one, and "
            "FILE=SHEET for a workbook whose sheet differs") in result.stderr
    result = run_cli(args + ["--sheet", "hubspot_events.xlsx=1", "--sheet", "./hubspot_events.xlsx=Notes"],
                     exit_code=2)
    assert "leadq: error: --sheet: './hubspot_events.xlsx' is given two sheets, '1' and 'Notes'" in result.stderr



    """The quick start: the embedded default ruleset on sample_data accounts for every row."""
    out = tmp_path / "scored.parquet"
    summary = tmp_path / "s.json"
    run_cli(["score", SAMPLE / "contacts.csv", "-a", str(SAMPLE / "events" / "*.csv"), "--accounts",
             SAMPLE / "accounts.csv", "--as-of", "2026-11-01", "-o", out, "--summary-json", summary, "-q"])
    doc = json.loads(summary.read_text())
    assert doc["input_rows"] == 3000
    assert doc["scored"] + doc["rejected"] == 3000
    df = pl.read_parquet(out)
    assert df.height == doc["scored"] and df["lead_id"].n_unique() == df.height
    assert set(df["tier"].unique()) <= {"disqualified", "nurture", "hand_raiser", "sql", "mql"}
    rejects = pl.read_csv(tmp_path / "scored.rejects.csv", infer_schema=False)
    assert rejects.height == doc["rejected"]
    assert rejects.columns[:3] == ["source_file", "source_row", "reason"]


def test_sample_command_writes_a_scorable_data_set(tmp_path):
    run_cli(["sample", "--leads", "60", "--events", "400", "--seed", "3", "--out", tmp_path])
    assert (tmp_path / "contacts.csv").exists() and (tmp_path / "accounts.csv").exists()
    out = tmp_path / "scored.csv"
    run_cli(["score", tmp_path / "contacts.csv", "-a", str(tmp_path / "events" / "*.csv"), "--as-of", "2026-11-01",
             "-o", out, "-q"])
    assert pl.read_csv(out).height > 0


def test_event_rules_without_an_activity_log(tmp_path):
    """No --activities: event rules (with `where` on event fields) simply score nothing."""
    out = tmp_path / "o.csv"
    run_cli(["score", WORKED / "contacts.csv", "-r", RULESETS / "worked_example.yaml", "--as-of", "2026-11-01",
             "-o", out, "-q"])
    assert pl.read_csv(out)["total_score"].to_list() == [-10.0, 35.0, 35.0]


# --------------------------------------------------------------------------- #
# Several input files: each is checked for the ruleset's columns on its own
# --------------------------------------------------------------------------- #

_PER_FILE_RULESET = """\
version: 1
columns:
  lead_id: Lead ID
  company_size: Employees
  budget: {column: Budget, type: number}
activity_columns:
  lead_id: Lead ID
  event_type: Event
  occurred_at: When
  url: URL
  campaign: Campaign
settings:
  half_life_days: none
fit:
  - id: big
    when: company_size >= 200
    points: 20
intent:
  - id: pricing
    event: page_view
    where: url contains "/pricing"
    points: 10
tiers:
  - name: all
    otherwise: true
"""


def _per_file_inputs(tmp_path):
    (tmp_path / "rules.yaml").write_text(_PER_FILE_RULESET)
    (tmp_path / "day1.csv").write_text("Lead ID,Employees,Budget\nL1,500,10\n")
    (tmp_path / "day2.csv").write_text("Lead ID,Employees\nL2,300\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "ev1.csv").write_text("Lead ID,Event,When,URL,Campaign\nL1,page_view,2026-10-30,/pricing,spring\n")
    (tmp_path / "ev2.csv").write_text("Lead ID,Event,When,URL\nL2,page_view,2026-10-30,/pricing\n")
    return load_ruleset(str(tmp_path / "rules.yaml"))


def test_optional_columns_missing_from_some_files_are_reported_per_file(tmp_path):
    ruleset = _per_file_inputs(tmp_path)
    files = [str(tmp_path / n) for n in ("day1.csv", "empty.csv", "day2.csv")]
    result = read_and_score(ruleset, files, [str(tmp_path / "ev1.csv"), str(tmp_path / "ev2.csv")], as_of=AS_OF)
    assert result.scored["intent_score"].to_list() == [10.0, 10.0]
    assert result.stats.missing_columns == []
    # The zero-byte file has no columns and no rows: nothing to report for it.
    assert result.stats.partly_missing_columns == {str(tmp_path / "day2.csv"): ["Budget"],
                                                   str(tmp_path / "ev2.csv"): ["Campaign"]}


def test_a_column_missing_from_every_file_is_not_partly_missing(tmp_path):
    ruleset = _per_file_inputs(tmp_path)
    (tmp_path / "day1.csv").write_text("Lead ID,Employees\nL1,500\n")
    result = read_and_score(ruleset, [str(tmp_path / "day1.csv"), str(tmp_path / "day2.csv")], as_of=AS_OF)
    assert result.stats.missing_columns == ["Budget"]
    assert result.stats.partly_missing_columns == {}


def test_required_column_missing_from_one_events_file_names_that_file(tmp_path):
    from leadq.errors import MissingColumnsError

    ruleset = _per_file_inputs(tmp_path)
    (tmp_path / "ev2.csv").write_text("Lead ID,Event,When,Url\nL2,page_view,2026-10-30,/pricing\n")
    with pytest.raises(MissingColumnsError) as info:
        read_and_score(ruleset, [str(tmp_path / "day1.csv")], [str(tmp_path / "ev1.csv"), str(tmp_path / "ev2.csv")],
                       as_of=AS_OF)
    assert str(info.value) == (f"{tmp_path / 'ev2.csv'}: missing column 'URL' (for url; did you mean 'Url'?); the file "
                               "has: Lead ID, Event, When, Url. Fix the ruleset's column mapping or the export")


def test_summary_names_the_file_lacking_an_optional_column(tmp_path):
    _per_file_inputs(tmp_path)
    result = run_cli(["score", tmp_path / "day1.csv", tmp_path / "day2.csv", "-r", tmp_path / "rules.yaml",
                      "--as-of", "2026-11-01", "-o", tmp_path / "out.csv"])
    # Wrapped: the line ends hold no trailing spaces, and a long path may be folded within.
    assert ("".join(f"mapped columns absent from some input files (blank in their rows): {tmp_path / 'day2.csv'}: "
                    "Budget".split()) in "".join(result.stdout.split()))


@pytest.mark.parametrize("fmt", ["csv", "parquet", "ndjson"])
def test_padded_text_scores_the_same_from_every_format(tmp_path, fmt):
    # CSV values are stripped by the reader, and every format's text again when typed: blanks
    # around a value change nothing, whatever the format.
    ruleset = load_ruleset(str(RULESETS / "worked_example.yaml"))
    plain = read_and_score(ruleset, [str(WORKED / "contacts.csv")], [str(WORKED / "events.csv")], as_of=AS_OF)
    paths = []
    for name in ("contacts", "events"):
        frame = pl.read_csv(WORKED / f"{name}.csv", infer_schema=False)
        padded = frame.with_columns(pl.format("  {} \t", pl.col(c)).alias(c) for c in frame.columns)
        path = tmp_path / f"{name}.{fmt}"
        {"csv": padded.write_csv, "parquet": padded.write_parquet, "ndjson": padded.write_ndjson}[fmt](path)
        paths.append(str(path))
    result = read_and_score(ruleset, [paths[0]], [paths[1]], as_of=AS_OF)
    assert_frame_equal(result.scored, plain.scored)


def test_a_parquet_export_named_csv_is_an_input_error_and_nothing_is_written(tmp_path):
    contacts = tmp_path / "contacts.csv"
    pl.read_csv(SAMPLE / "contacts.csv", infer_schema=False).write_parquet(contacts)
    out = tmp_path / "scored.parquet"
    result = run_cli(["score", contacts, "-o", out, "--as-of", "2026-11-01"], exit_code=3)
    assert result.stderr.strip() == (f"leadq: error: {contacts}: this is not CSV text but a Parquet file; give it a "
                                     ".parquet extension or pass --input-format parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts.csv"]
    # What the message says to do works.
    run_cli(["score", contacts, "--input-format", "parquet", "-o", out, "--as-of", "2026-11-01", "-q"])
    assert pl.read_parquet(out).height > 0


def test_activity_dated_years_after_the_as_of_time_is_left_out_not_fatal(tmp_path):
    # The default ruleset decays every event rule; an event in 2030 once overflowed the decay sum.
    events = tmp_path / "events.csv"
    events.write_text("Contact ID,Event Type,Timestamp,Page URL\n"
                      "1002260,demo_request,2030-01-01T00:00:00Z,\n"
                      "1002260,demo_request,2026-10-31T00:00:00Z,\n")
    summary = tmp_path / "summary.json"
    run_cli(["score", SAMPLE / "contacts.csv", "-a", events, "--as-of", "2026-11-01", "-o", tmp_path / "out.csv",
             "--summary-json", summary, "-q"])
    events_summary = json.loads(summary.read_text())["events"]
    assert events_summary == {"read": 2, "unreadable": 0, "unknown_lead": 0, "up_to_as_of": 1,
                              "by_rule": {**dict.fromkeys(events_summary["by_rule"], 0), "demo_request": 1},
                              "no_readable_time": 0, "log_given": True}
    lead = pl.read_csv(tmp_path / "out.csv", infer_schema=False).filter(pl.col("lead_id") == "1002260")
    # 30 points halving every 14 days, one day old: 30 * 0.5 ** (1 / 14) = 28.55
    assert "demo request +28.6 (decayed from 30, 1 day ago)" in lead["explanation"].item()


def test_the_compact_funnel_needs_only_its_fields_not_the_whole_detail():
    """funnel_detail carries the stage dates etc. beside the output columns: the same funnel as full detail."""
    from leadq.summary import summarise

    ruleset = load_ruleset(None)
    args = ([str(SAMPLE / "contacts.csv")], [str(SAMPLE / "events" / "events-2026-10.csv")])
    narrow = read_and_score(ruleset, *args, as_of=AS_OF, funnel_detail=True)
    full = read_and_score(ruleset, *args, as_of=AS_OF, detail=True)
    assert narrow.detail.columns == narrow.scored.columns + [
        "lifecycle_stage", "company_size", "created_at", "mql_at", "sql_at", "opportunity_at", "won_at", "lost_at",
        "first_touch_at", "_bad__created_at", "_bad__mql_at", "_bad__sql_at", "_bad__opportunity_at",
        "_bad__won_at", "_bad__lost_at", "_bad__first_touch_at"]
    assert_frame_equal(narrow.scored, full.scored)
    assert summarise(narrow).funnel == summarise(full).funnel is not None
    # The summary computes only the overall figures; they are those of the whole funnel report.
    from leadq.funnel import compute_funnel
    from leadq.funnel_input import input_from_score

    report = compute_funnel(input_from_score(full, ruleset), ruleset, as_of=AS_OF)
    assert summarise(narrow).funnel == report.compact()
    assert read_and_score(ruleset, *args, as_of=AS_OF).detail is None


def test_the_same_input_gives_the_same_bits_every_run():
    """Scores are added left to right, not by pl.sum_horizontal, whose parallel reduction added a lead's
    rule points in an order that changed from run to run (19 of the sample's leads differed in their last
    bits in most runs)."""
    ruleset = load_ruleset(None)
    args = ([str(SAMPLE / "contacts.csv")], [str(SAMPLE / "events" / "*.csv")])
    first = read_and_score(ruleset, *args, as_of=AS_OF).scored
    for _ in range(4):
        again = read_and_score(ruleset, *args, as_of=AS_OF).scored
        assert first.equals(again)


CONTACTS_RULESET = """version: 1
columns: {lead_id: id, job_title: title}
fit:
  - {id: ceo, when: 'job_title == "CEO"', points: 10, label: CEO}
tiers:
  - {name: all, otherwise: true}
"""


@pytest.mark.parametrize(("rows", "counted"), [
    ("1,CEO,a\n2,,b\n", [2]),  # every row has text in a mapped column
    ("1,CEO,a\n2,,b\n,,\n , ,\n", [2]),  # rows of empty cells end the file
    ("1,CEO,a\n,,note\n2,,b\n", [3, None]),  # text only in an unmapped column: a contact without an id
    ("1,CEO,a\n,,\n2,,b\n", [3]),  # a row of empty cells before the end: a blank row, not scored again
    ("1,CEO,a\n, ,\n2,,b\n,,note\n", [4, None]),  # both
])
@pytest.mark.parametrize("stdin", [False, True])
def test_contacts_rows_are_tested_on_the_columns_the_run_reads_and_checked_by_count(tmp_path, monkeypatch,
                                                                                    rows, counted, stdin):
    # The reader tests the contacts' blank rows on the mapped columns (the others are then not parsed)
    # where it can count the file's rows with text; a file that yields fewer is counted again with every
    # column tested, and scored again when that finds more rows, so that a row with text only in an
    # unmapped column is still a listed reject (a row of empty cells is a blank row either way).
    # Standard input too: it is read again from the bytes it gave.
    import io

    import leadq.pipeline as pipeline

    calls, score_frames = [], pipeline.score_frames
    monkeypatch.setattr(pipeline, "score_frames",
                        lambda *args, **kwargs: calls.append(kwargs["contacts_files"]) or score_frames(*args, **kwargs))
    (tmp_path / "r.yaml").write_text(CONTACTS_RULESET)
    contacts = tmp_path / "c.csv"
    contacts.write_text("id,title,note\n" + rows)
    ruleset = load_ruleset(str(tmp_path / "r.yaml"))
    if stdin:
        result = read_and_score(ruleset, ["-"], as_of=AS_OF, stdin=io.BytesIO(contacts.read_bytes()))
        contacts = "<stdin>"
    else:
        result = read_and_score(ruleset, [str(contacts)], as_of=AS_OF)
    assert [c[0].rows_counted for c in calls] == counted
    assert result.scored.select("lead_id", "fit_score").rows() == [("1", 10.0), ("2", 0.0)]
    expected_rejects = [(rows.split("\n").index(",,note") + 1, "missing lead id")] if ",,note" in rows else []
    assert result.rejects.select("source_row", "reason").rows() == expected_rejects
    assert result.stats.files == [{"file": str(contacts), "rows": 2 + len(expected_rejects), "scored": 2,
                                   "rejected": len(expected_rejects)}]
    if expected_rejects:
        assert result.rejects["note"].to_list() == ["note"]


def test_summary_shows_values_from_the_data_and_ruleset_as_text_not_markup(tmp_path):
    # A reason's label holding '[/]' ended the summary with exit 70 (MarkupError); '[red]' in it and '[b]' in
    # a file name vanished.
    first, second = tmp_path / "a[b]1.csv", tmp_path / "[red]c.csv"
    lines = (WORKED / "contacts.csv").read_text().splitlines()
    first.write_text("\n".join(lines[:3]) + "\n")
    second.write_text("\n".join([lines[0], lines[3]]) + "\n")
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text((RULESETS / "worked_example.yaml").read_text().replace(
        "\ntiers:", "\ndisqualifiers:\n  - {code: big, label: 'Too big [/] for [red]us[/red]', category: bad_fit, "
        "when: company_size > 400}\ntiers:", 1))
    out = run_cli(["score", first, second, "-a", WORKED / "events.csv", "-r", ruleset, "--as-of", "2026-11-01",
                   "-o", tmp_path / "out.csv"]).stdout
    lines = [line.rstrip() for line in out.splitlines()]
    rows = [line.split() for line in lines]
    assert [str(first), "2", "2", "0"] in rows and [str(second), "1", "1", "0"] in rows
    assert " Too big [/] for [red]us[/red]   bad_fit        2   66.7%" in lines


def _worked_as_of(tmp_path, as_of):
    args = _worked_args(tmp_path / "o.csv")
    args[args.index("--as-of") + 1] = as_of
    return run_cli(args).stdout


def test_events_after_the_as_of_time_are_counted_in_the_summary(tmp_path):
    # A back-test, or a crontab's stale --as-of: the events later than it count for no lead, and the
    # summary said only "events read 6".
    out = _worked_as_of(tmp_path, "2026-10-22T12:00:00Z")
    assert "events read 6; unreadable 0; for unknown leads 0\nevents after the as-of time, not counted: 1\n" in out
    assert "after the as-of time" not in _worked_as_of(tmp_path, "2026-11-01")


def test_a_log_wholly_after_the_as_of_time_is_said_to_be(tmp_path):
    # Every event later than --as-of: no rule counted any; the summary says so and what to check (the
    # "counted no event" line points there, since the event types are not what is wrong).
    out = " ".join(_worked_as_of(tmp_path, "2026-10-01").split())
    assert ("events read 6; unreadable 0; for unknown leads 0 every readable event (6) is after the as-of time "
            "2026-10-01T00:00:00Z, so none was counted; check --as-of (the date a back-test or a re-run scores "
            "as of)") in out
    assert ("event rules that counted no event: blog_download, case_study_download, pricing_page, demo_request "
            "(no event is at or before the as-of time: see above)") in out


def test_one_lead_with_an_sla_is_one_lead(tmp_path):
    contacts = tmp_path / "c.csv"
    contacts.write_text(SAMPLE.joinpath("contacts.csv").read_text().splitlines()[0] + "\n"
                        + SAMPLE.joinpath("contacts.csv").read_text().splitlines()[1] + "\n")
    out = run_cli(["score", contacts, "--as-of", "2026-11-01", "-o", tmp_path / "o.csv"]).stdout
    assert "SLA: 1 lead with a due time; 0 already due before the as-of time" in out


@pytest.mark.parametrize("text", [b"", b"\n\n", b"\xef\xbb\xbf"])
def test_an_empty_export_with_keep_columns_gives_an_empty_output_with_them(tmp_path, text):
    # The day the CRM export came out empty: exit 0 and an empty output, as without --keep-columns;
    # it stopped with exit 2, "--keep-columns: no column 'Email'", there being no header to find it in.
    contacts, out = tmp_path / "contacts.csv", tmp_path / "o.csv"
    contacts.write_bytes(text)
    result = run_cli(["score", contacts, "--as-of", "2026-11-01", "-o", out, "-k", "Email,First Name"])
    assert "input rows 0 = scored 0 + rejected 0  (the input holds no rows; an empty output was written)" \
        in result.stdout
    assert out.read_text().splitlines() == [
        "lead_id,fit_score,intent_score,total_score,grade,tier,disqualified,disqualification_reasons,explanation,"
        "route,owner,route_flags,sla_due_at,next_step,nurture_track,recheck_at,account_tier,Email,First Name"]


@pytest.mark.parametrize("column", ["reason", "source_file", "source_row"])
def test_a_contacts_column_named_as_a_rejects_column_keeps_both(tmp_path, column):
    # A CRM export with its own 'reason' column (a lost reason): the rejects file's 'reason' held the CRM's
    # value and leadq's went to 'reason_right'; a 'source_file' column stopped the run (exit 3, "column
    # 'source_file' is duplicate; check that it is a valid CSV").
    contacts, out = tmp_path / "contacts.csv", tmp_path / "o.csv"
    header = "Lead ID,Email,Title,Company,Employees,Industry,Country"
    contacts.write_text(f"{header},{column}\nL1,a@x.com,CEO,X,50,SaaS,France,crm value\n"
                        f"L1,b@x.com,CEO,X,50,SaaS,France,other\n")
    run_cli(["score", contacts, "-r", RULESETS / "worked_example.yaml", "--as-of", "2026-11-01", "-o", out, "-q"])
    rejects = pl.read_csv(tmp_path / "o.rejects.csv", infer_schema=False)
    assert rejects.columns == ["source_file", "source_row", "reason", *header.split(","), f"{column} (input)"]
    assert rejects.row(0) == (str(contacts), "2", "duplicate lead id: kept lead L1 (row 1, first in input order)",
                              "L1", "b@x.com", "CEO", "X", "50", "SaaS", "France", "other")


@pytest.mark.parametrize("option", ["--out", "--format", "--rejects", "--summary-json", "--previous", "--changes",
                                    "--ruleset", "--out-table"])
def test_an_option_given_an_empty_name_is_refused(tmp_path, option):
    # `--summary-json "$SUMMARY"` with the variable unset wrote no summary and said nothing; `--rejects ''` wrote
    # the default file; `-o ''` ended in "internal error: ValueError" (exit 70).
    out = tmp_path / "o.csv"
    result = run_cli([*_worked_args(out, "--previous", out), option, ""], exit_code=2)
    assert result.stderr == (f"leadq: error: {option}: '' names nothing (an unset shell variable?); give a name, or "
                             "leave the option out\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args,option", [
    (["funnel", "{contacts}", "--json", ""], "--json"),
    (["funnel", "{contacts}", "--ruleset", ""], "--ruleset"),
    (["explain", "1000001", "{contacts}", "--json", ""], "--json"),
    (["diff", "", "b2b_saas", "{contacts}"], "RULESET_A"),
    (["diff", "b2b_saas", "b2b_saas", "{contacts}", "--json", ""], "--json"),
    (["test", "b2b_saas", ""], "CASES"),
    (["validate", ""], "RULESET"),
    (["calibrate", "{contacts}", "--outcome", "sql", "--json", ""], "--json"),
    (["sql", "--ruleset", " "], "--ruleset"),
])
def test_every_command_refuses_an_empty_name(tmp_path, monkeypatch, args, option):
    # `funnel --json "$OUT"` with the variable unset printed the report where the job expected a file, and said
    # nothing; `validate ''` said ': error: ruleset file not found'.
    monkeypatch.chdir(tmp_path)
    contacts = str(SAMPLE / "contacts.csv")
    result = run_cli([a.replace("{contacts}", contacts) for a in args], exit_code=2)
    value = args[args.index(option) + 1] if option.startswith("--") else ""
    assert result.stderr == (f"leadq: error: {option}: {value!r} names nothing (an unset shell variable?); give a "
                             "name, or leave the option out\n")
    assert result.stdout == "" and list(tmp_path.iterdir()) == []


def test_rejects_by_default_where_they_cannot_go_say_how_to_put_them_elsewhere(tmp_path, monkeypatch):
    # `-o -` from a cron job: the rejects' file is one the user never named (in the working folder, often /
    # or a read-only home); the message says how to put it elsewhere.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scored.rejects.csv").mkdir()
    result = run_cli(_worked_args("-"), exit_code=4)
    assert result.stderr == ("leadq: error: cannot write scored.rejects.csv: it is a directory; give a file name "
                             "(where the rejects go by default; name another file with --rejects PATH)\n")
    assert result.stdout == ""


def test_a_working_folder_that_was_removed_is_an_output_error(tmp_path, monkeypatch):
    # A cron job whose working folder a deploy replaced: "internal error: FileNotFoundError" (exit 70).
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    result = run_cli(_worked_args("-"), exit_code=4)
    assert result.stderr == ("leadq: error: cannot write scored.rejects.csv: the working folder no longer exists; "
                             "run from an existing folder or give an absolute path\n")
    run_cli(_worked_args(tmp_path / "o.csv", "-q"))  # absolute paths need no working folder


def _numbered_worked_example(folder, log_ids: dict[str, str]):
    """The worked example with the contacts' lead ids 1000001-1000003, and the log's ids as ``log_ids`` says."""
    numbers = {"A": "1000001", "B": "1000002", "C": "1000003"}
    contacts = pl.read_csv(WORKED / "contacts.csv", infer_schema=False)
    contacts.with_columns(pl.col("Lead ID").replace(numbers)).write_csv(folder / "contacts.csv")
    events = pl.read_csv(WORKED / "events.csv", infer_schema=False)
    events.with_columns(pl.col("Lead ID").replace(log_ids)).write_csv(folder / "events.csv")
    return ["score", folder / "contacts.csv", "-a", folder / "events.csv", "-r", RULESETS / "worked_example.yaml",
            "--as-of", "2026-11-01", "-o", folder / "o.csv", "--summary-json", folder / "s.json"]


def test_a_log_whose_lead_ids_match_no_lead_says_so_and_does_not_blame_the_event_types(tmp_path):
    # A log written by a spreadsheet or pandas holds 1000001.0 for the lead 1000001: every event was "for
    # unknown leads", and the summary said to check the rules' `event:` types, which were right.
    result = run_cli(_numbered_worked_example(tmp_path, {"A": "1000001.0", "B": "1000002.0", "C": "1000003.0"}))
    text = " ".join(result.stdout.split())
    assert ("events read 6; unreadable 0; for unknown leads 6 all 6 readable events name no scored lead: check that "
            "the log's lead-id column (Lead ID) holds the contacts' ids (Lead ID); e.g. the log has '1000001.0' and "
            "'1000002.0', the contacts '1000001' and '1000002' event rules that counted no event: blog_download, "
            "case_study_download, pricing_page, demo_request (most events name no scored lead: check the lead ids "
            "first) ") in text
    assert "`event:` types" not in text
    events = json.loads((tmp_path / "s.json").read_text())["events"]
    assert events["unknown_lead_examples"] == {"log_column": "Lead ID", "contacts_column": "Lead ID",
                                               "log": ["1000001.0", "1000002.0"], "contacts": ["1000001", "1000002"]}


def test_ids_of_another_kind_are_shown_beside_the_contacts_ids(tmp_path):
    # No unknown id is a lead's id written another way: the log's first unknown ids and the contacts' first ids.
    result = run_cli(_numbered_worked_example(tmp_path, {"A": "a@x.io", "B": "b@x.io", "C": "c@x.io"}))
    assert ("all 6 readable events name no scored lead: check that the log's lead-id column (Lead ID) holds the "
            "contacts' ids (Lead ID); e.g. the log has 'a@x.io' and 'b@x.io', the contacts '1000001' and '1000002' "
            "event rules") in " ".join(result.stdout.split())


def test_half_of_the_events_for_unknown_leads_is_no_id_mismatch(tmp_path):
    # A contacts export of some leads only (an MQL list) leaves many events of the log unknown: up to
    # half of them, the summary says nothing of the ids, and an idle rule's types are what to check.
    result = run_cli(_numbered_worked_example(tmp_path, {"A": "1000001", "B": "1000002", "C": "1000003.0"}))
    text = " ".join(result.stdout.split())
    assert ("events read 6; unreadable 0; for unknown leads 3 event rules that counted no event: demo_request "
            "(check their `event:` types with leadq validate --activities) ") in text
    assert "unknown_lead_examples" not in json.loads((tmp_path / "s.json").read_text())["events"]


def test_the_unknown_leads_note_without_examples_names_no_column():
    # The SQL engines give the counts only: the note says what to check without the ids.
    from leadq.report import unknown_leads_note

    assert unknown_leads_note({"read": 10, "unreadable": 2, "unknown_lead": 5}) == (
        "5 of 8 readable events name no scored lead: check that the log's lead ids are the contacts' ids")


def test_a_log_in_many_daily_files_scores_as_the_same_log_in_one(tmp_path) -> None:
    """Many small files are read at once (leadq.inputs.concat_inputs): nothing about the scores may change."""
    events = pl.read_csv(SAMPLE / "events" / "events-2026-10.csv", infer_schema=False)
    events.write_csv(tmp_path / "all.csv")
    daily = tmp_path / "daily"
    daily.mkdir()
    for (day,), part in events.group_by(pl.col("Timestamp").str.slice(0, 10), maintain_order=True):
        part.write_csv(daily / f"{day}.csv")
    assert len(list(daily.iterdir())) == 31
    outputs = []
    for log in (tmp_path / "all.csv", daily / "*.csv"):
        out = tmp_path / f"scored{len(outputs)}.parquet"
        run_cli(["score", SAMPLE / "contacts.csv", "-a", log, "--as-of", AS_OF, "-o", out, "-q"])
        outputs.append(pl.read_parquet(out))
    assert outputs[0]["intent_score"].sum() > 0
    assert_frame_equal(outputs[0], outputs[1])


def test_rows_rejected_for_unreadable_values_point_to_validate_data(tmp_path):
    contacts = (WORKED / "contacts.csv").read_text().replace("B,ben@saasco.co.uk,Marketing Director,SaaSCo,500,",
                                                             "B,ben@saasco.co.uk,Marketing Director,SaaSCo,5OO,")
    (tmp_path / "c.csv").write_text(contacts)
    args = ["-r", RULESETS / "worked_example.yaml", "--as-of", "2026-11-01", "-o", tmp_path / "out.csv"]
    out = run_cli(["score", tmp_path / "c.csv", *args]).stdout
    assert ("rejected: unreadable number in 'Employees' 1 (leadq validate --data shows examples, and the setting "
            "that reads such values where one does: date_order, number_format)") in " ".join(out.split())
    clean = run_cli(["score", WORKED / "contacts.csv", *args]).stdout
    assert "validate --data" not in clean


def test_text_with_separate_accent_marks_matches_the_composed_text_of_the_ruleset(tmp_path):
    import unicodedata

    (tmp_path / "r.yaml").write_text(
        "version: 1\ncolumns: {lead_id: id, country: country, job_title: title}\nfit:\n"
        "  - {id: at, when: 'country in [\"Österreich\"]', points: 5}\n"
        "  - {id: gf, when: 'job_title contains \"geschäftsführer\"', points: 20}\n"
        "tiers:\n  - {name: all, otherwise: true}\n")
    rows = [("1", "Österreich", "Geschäftsführer"), ("2", unicodedata.normalize("NFD", "Österreich"),
                                                    unicodedata.normalize("NFD", "Geschäftsführer"))]
    assert rows[1][1] != rows[0][1]  # an "O" and a combining diaeresis, as macOS writes it
    pl.DataFrame(rows, schema=["id", "country", "title"], orient="row").write_csv(tmp_path / "c.csv")
    run_cli(["score", tmp_path / "c.csv", "-r", tmp_path / "r.yaml", "--as-of", AS_OF, "-o", tmp_path / "o.csv",
             "-q", "-k", "country"])
    scored = pl.read_csv(tmp_path / "o.csv")
    assert scored.select("lead_id", "fit_score").rows() == [(1, 25.0), (2, 25.0)]
    assert scored["country"].to_list() == [rows[0][1], rows[1][1]]  # a kept column stays as written
