"""`leadq explain` on the worked example (leads A, B and C): exact figures, exact report text.

The data (tests/fixtures/explain/) is the textbook example of rulesets/worked_example.yaml, with
no decay, as of 2026-11-01T00:00Z:

* A: Marketing Intern, 20 employees, Retail; one blog download 2026-10-20 09:00 (11.6 days ago)
  -> fit -10 (intern), intent +2, total -8, grade D, nurture.
* B: Marketing Director, 500 employees, SaaS; case study 2026-10-25 10:00 (6.6 days), pricing
  2026-10-28 15:00 (3.4 days) -> fit 15+10+10 = 35, intent 5+10 = 15, total 50, grade A, nurture.
* C: as B, with two pricing views (20 raw, capped at 10) and a demo request 2026-10-29 22:00
  (2.1 days) -> fit 35, intent 5+10+25 = 40, total 75, grade A, mql.
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.conftest import ROOT, SAMPLE, SAMPLE_AS_OF, run_cli, sigterm_before

from leadq.cli.explain import split_arguments
from leadq.conditions import literal_date
from leadq.errors import InputError, UsageError
from leadq.explain import explain_leads
from leadq.ruleset_loader import load_ruleset

CONTACTS = "tests/fixtures/explain/contacts.csv"
EVENTS = "tests/fixtures/explain/events.csv"
WORKED = "rulesets/worked_example.yaml"
ARGS = ["-a", EVENTS, "-r", WORKED, "--as-of", "2026-11-01"]


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # the report names the input files as given: keep them relative
    monkeypatch.setenv("COLUMNS", "100")


@pytest.fixture(scope="module")
def report():
    rs = load_ruleset(str(ROOT / WORKED))
    return explain_leads(rs, [str(ROOT / CONTACTS)], ["A", "B", "C"], [str(ROOT / EVENTS)],
                         as_of=literal_date("2026-11-01"))


def _rules(lead) -> dict:
    return {r.id: (r.fired, r.points.raw, r.points.decayed, r.points.final) for r in lead.rules}


def test_scores_grades_and_tiers(report):
    got = [(l.lead_id, l.fit_score, l.intent_score, l.total_score, l.grade, l.grade_rule, l.tier)
           for l in report.leads]
    assert got == [
        ("A", -10.0, 2.0, -8.0, "D", "fit below 5", "nurture"),
        ("B", 35.0, 15.0, 50.0, "A", "fit >= 30", "nurture"),
        ("C", 35.0, 40.0, 75.0, "A", "fit >= 30", "mql"),
    ]


def test_every_rule_with_points_before_decay_after_decay_and_after_cap(report):
    a, b, c = report.leads
    not_fired = (False, 0.0, 0.0, 0.0)
    assert _rules(a) == {
        "director_title": not_fired, "manager_title": not_fired, "company_200_1000": not_fired,
        "saas_industry": not_fired, "blog_download": (True, 2.0, 2.0, 2.0), "case_study_download": not_fired,
        "pricing_page": not_fired, "demo_request": not_fired, "intern_title": (True, -10.0, -10.0, -10.0),
    }
    assert _rules(b)["pricing_page"] == (True, 10.0, 10.0, 10.0)
    assert _rules(c) == {
        "director_title": (True, 15.0, 15.0, 15.0), "manager_title": not_fired,
        "company_200_1000": (True, 10.0, 10.0, 10.0), "saas_industry": (True, 10.0, 10.0, 10.0),
        "blog_download": not_fired, "case_study_download": (True, 5.0, 5.0, 5.0),
        "pricing_page": (True, 20.0, 20.0, 10.0),  # two views, 10 each, capped at 10
        "demo_request": (True, 25.0, 25.0, 25.0), "intern_title": not_fired,
    }
    pricing = next(r for r in c.rules if r.id == "pricing_page")
    assert (pricing.events, pricing.days_since_last, pricing.capped, pricing.note) == (2, 5, True, "capped at 10")
    assert pricing.last_event_at == "2026-10-27T11:00:00Z"


def test_values_seen_and_tiers_tried(report):
    a, _, c = report.leads
    assert next(r for r in a.rules if r.id == "company_200_1000").values == {"company_size": 20.0}
    assert next(r for r in c.rules if r.id == "director_title").values == {"job_title": "Marketing Director"}
    assert [(t.name, t.condition, t.matched, t.chosen, t.values) for t in a.tiers] == [
        ("mql", "total >= 75", False, False, {"total": -8.0}),
        ("nurture", "otherwise", True, True, {}),
    ]
    assert [(t.name, t.matched, t.chosen) for t in c.tiers] == [("mql", True, True), ("nurture", True, False)]


def test_handoff_lines(report):
    assert [l.handoff for l in report.leads] == [
        "Marketing Intern at Tiny Start; 20 employees; Retail; United Kingdom. Signals: blog post download 12 "
        "days ago. Watch: Intern title (-10). Grade D (fit -10), intent 2, total -8 -> nurture.",
        "Marketing Director at Acme Analytics; 500 employees; SaaS; United Kingdom. Signals: pricing page view "
        "4 days ago; case study download 7 days ago. Grade A (fit 35), intent 15, total 50 -> nurture.",
        "Marketing Director at Bright Data; 500 employees; SaaS; United Kingdom. Signals: demo request 3 days "
        "ago; pricing page view x2, last 5 days ago; case study download 11 days ago. Grade A (fit 35), "
        "intent 40, total 75 -> mql.",
    ]


def test_plain_report_text_is_exact():
    result = run_cli(["explain", "A", "B", "C", CONTACTS] + ARGS)
    got = "\n".join(line.rstrip() for line in result.stdout.splitlines())
    expected = (ROOT / "tests/fixtures/explain/worked_example.txt").read_text().rstrip("\n")
    assert got == expected


def test_json_figures(tmp_path):
    data = json.loads(run_cli(["explain", "--lead", "C", CONTACTS, "--json", "-"] + ARGS).stdout)
    assert data["as_of"] == "2026-11-01T00:00:00Z"
    (c,) = data["leads"]
    assert (c["fit_score"], c["intent_score"], c["total_score"], c["grade"], c["tier"]) == (35.0, 40.0, 75.0, "A", "mql")
    assert (c["source_file"], c["source_row"]) == (CONTACTS, 3)
    demo = next(r for r in c["rules"] if r["id"] == "demo_request")
    assert demo == {
        "id": "demo_request", "label": "demo request", "section": "intent", "score": "intent", "fired": True,
        "points": {"raw": 25.0, "decayed": 25.0, "final": 25.0}, "values": {}, "events": 1, "days": None, "weeks": None,
        "last_event_at": "2026-10-29T22:00:00Z", "days_since_last": 3, "cap": None, "capped": False, "note": "",
        "condition": "",
    }
    assert c["explanation"].startswith("Director title +15; 200-1,000 employees +10; SaaS industry +10")
    out = tmp_path / "c.json"
    result = run_cli(["explain", "C", CONTACTS, "--json", str(out)] + ARGS)
    assert json.loads(out.read_text())["leads"][0]["total_score"] == 75.0
    assert "lead C" in result.stdout  # a JSON file does not replace the report


def test_unknown_lead_exits_3_with_close_ids(tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Lead ID,Title,Employees,Industry\nL-1001,CTO,300,SaaS\nL-1002,CEO,40,SaaS\nQ-9,Intern,5,Retail\n")
    result = run_cli(["explain", "L-1003", str(contacts)] + ARGS, exit_code=3)
    assert result.stderr == (f"leadq: error: no lead 'L-1003' in {contacts}; did you mean: 'L-1001', 'L-1002'?\n")


def test_rejected_lead_says_why(tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Lead ID,Title,Employees,Industry\nX1,CTO,lots,SaaS\nX2,CEO,40,SaaS\n")
    result = run_cli(["explain", "X1", str(contacts)] + ARGS, exit_code=3)
    assert result.stderr == (f"leadq: error: lead 'X1' was rejected ({contacts} row 1): "
                             "unreadable number in 'Employees'\n")


def test_only_the_mapped_columns_of_the_contacts_are_parsed(tmp_path, monkeypatch):
    # A row blank in them has no lead id and cannot be explained: the others are not read to tell it
    # from a blank row (its row number still counts).
    import leadq.explain as explain

    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Lead ID,Title,Notes,Employees,Industry,Owner\nL-1,CTO,x,300,SaaS,Pat\n,,a note,,,Sam\n"
                        "L-2,Intern,y,5,Retail,Kim\n")
    frames, real = [], explain.explain_frames
    monkeypatch.setattr(explain, "explain_frames", lambda rs, c, *a, **k: frames.append(c) or real(rs, c, *a, **k))
    report = explain_leads(load_ruleset(str(ROOT / WORKED)), [str(contacts)], ["L-2"], [str(ROOT / EVENTS)],
                           as_of=literal_date("2026-11-01"))
    assert [lead.lead_id for lead in report.leads] == ["L-2"]
    assert frames[0].select("_source_row").collect()["_source_row"].to_list() == [1, 3]
    assert "PROJECT 4/6 COLUMNS" in frames[0].select("_source_row").explain()  # Notes and Owner left out


def test_argument_splitting(tmp_path):
    assert split_arguments(["A", "B", CONTACTS], []) == (["A", "B"], [CONTACTS])
    assert split_arguments(["tests/fixtures/explain/*.csv"], ["A"]) == (["A"], ["tests/fixtures/explain/*.csv"])
    assert split_arguments(["A", "tests/fixtures/explain/c*.csv"], []) == (["A"], ["tests/fixtures/explain/c*.csv"])
    with pytest.raises(UsageError, match="put lead ids first"):
        split_arguments([CONTACTS, "A"], [])
    with pytest.raises(UsageError, match="give the lead ids, then the contacts"):
        split_arguments(["A", "B"], [])
    with pytest.raises(UsageError, match="at least one lead id"):
        split_arguments([CONTACTS], [])
    with pytest.raises(InputError, match="contacts file not found: missing.csv"):
        split_arguments(["A", "missing.csv"], [])
    # A missing workbook or compressed export is a missing file too, not a lead id.
    for name in ("missing.xlsx", "missing.csv.gz", "export.zip", "missing.ods"):
        with pytest.raises(InputError, match=f"contacts file not found: {name}"):
            split_arguments(["A", name], [])


def test_the_names_explain_takes_for_files_are_every_name_leadq_reads():
    from leadq.cli.explain import _DATA_SUFFIXES
    from leadq.compressed_input import COMPRESSION_BY_EXTENSION
    from leadq.excel_input import EXCEL_EXTENSIONS
    from leadq.inputs import FORMAT_BY_EXTENSION

    assert set(_DATA_SUFFIXES) == {*FORMAT_BY_EXTENSION, *EXCEL_EXTENSIONS, *COMPRESSION_BY_EXTENSION}


def test_cli_usage_errors():
    result = run_cli(["explain", CONTACTS, "A"] + ARGS, exit_code=2)
    assert "put lead ids first" in result.stderr
    result = run_cli(["explain", "A", "nowhere/contacts.csv"] + ARGS, exit_code=3)
    assert result.stderr == "leadq: error: contacts file not found: nowhere/contacts.csv\n"


def test_explain_matches_a_full_score_run_on_the_sample():
    """Scoring only the requested leads gives the same figures as scoring everyone."""
    from leadq.pipeline import read_and_score

    rs = load_ruleset(None)
    as_of = literal_date(SAMPLE_AS_OF)
    contacts, events, accounts = [str(SAMPLE / "contacts.csv")], [str(SAMPLE / "events" / "*.csv")], \
        [str(SAMPLE / "accounts.csv")]
    full = read_and_score(rs, contacts, events, accounts, as_of=as_of).scored
    import polars as pl

    # One lead of each tier, and the disqualified one with the most reasons.
    picks = full.group_by("tier").agg(pl.col("lead_id").sort().first())["lead_id"].sort().to_list()
    worst = full.sort([pl.col("disqualification_reasons").list.len(), "lead_id"], descending=[True, False])
    picks.append(worst["lead_id"][0])
    report = explain_leads(rs, contacts, picks, events, accounts, as_of=as_of)
    want = full.filter(pl.col("lead_id").is_in(picks)).select(
        "lead_id", "fit_score", "intent_score", "total_score", "grade", "tier", "disqualification_reasons",
        "explanation")
    want = {r["lead_id"]: r for r in want.to_dicts()}
    for lead in report.leads:
        row = want[lead.lead_id]
        # Exactly: the JSON's figures were rounded to 4 decimals, so a script joining them to score's disagreed.
        assert (lead.fit_score, lead.intent_score, lead.total_score, lead.grade, lead.tier) == (
            row["fit_score"], row["intent_score"], row["total_score"], row["grade"], row["tier"])
        assert lead.explanation == row["explanation"]
        assert [r.code for r in lead.reasons] == row["disqualification_reasons"]
        assert sum(r.points.final for r in lead.rules) == pytest.approx(row["total_score"], abs=1e-3)
        chosen = [t.name for t in lead.tiers if t.chosen]
        assert chosen == [row["tier"]]
        first_match = next(t for t in lead.tiers if t.matched)
        assert first_match.chosen  # first match wins
    worst_lead = next(l for l in report.leads if l.lead_id == worst["lead_id"][0])
    codes = {d.code: (d.label, d.category) for d in rs.disqualifiers}
    assert [(r.label, r.category) for r in worst_lead.reasons] == [codes[r.code] for r in worst_lead.reasons]
    assert len(worst_lead.reasons) >= 2


def test_a_number_read_from_a_range_says_from_what():
    """Enrichment tools write company sizes as bands: explain shows the band beside the number it read."""
    bands = ROOT / "tests" / "bad_inputs" / "employee_bands.csv"
    ruleset = ROOT / "tests" / "bad_inputs" / "base_ruleset.yaml"
    args = ["explain", "L1", "L2", str(bands), "-r", str(ruleset), "--as-of", "2026-11-01"]
    data = json.loads(run_cli(args + ["--json", "-"]).stdout)
    l1, l2 = data["leads"]
    assert l1["read_from"] == {"company_size": "51-200", "annual_revenue": "$10M-$50M"}
    assert (l1["fields"]["company_size"], l1["fields"]["annual_revenue"]) == (51.0, 10_000_000.0)
    # No activity log given: the signals are unknown, not absent.
    assert l1["handoff"].startswith("CEO; 51-200 employees. No activity log given: buying signals unknown.")
    assert l2["read_from"] == {"company_size": "201-500"}  # a blank revenue was read from nothing
    out = run_cli(args).stdout
    assert 'company_size = 51 (from "51-200")' in out


def test_a_number_column_named_like_an_output_column_is_explained_without_its_text(tmp_path):
    contacts = tmp_path / "c.csv"
    contacts.write_text("id,tier\nL1,51-200\n")  # a column called "tier" holding the company size
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text("version: 1\ncolumns: {lead_id: id, company_size: tier}\n"
                       "fit:\n  - {id: big, when: 'company_size >= 50', points: 10}\ntiers:\n  - {name: all, otherwise: true}\n")
    data = json.loads(run_cli(["explain", "L1", contacts, "-r", ruleset, "--as-of", "2026-11-01", "--json", "-"]).stdout)
    assert data["leads"][0]["fields"]["company_size"] == 51.0 and data["leads"][0]["read_from"] == {}


def test_explain_agrees_with_score_for_leads_kept_over_email_duplicates(tmp_path):
    # explain picks its leads' events on the raw lead column (activity_input.aggregate_activity): the
    # events of a dropped e-mail duplicate belong to the lead kept, and a padded id is the same lead.
    log = pl.concat([pl.read_csv(p, infer_schema=False) for p in sorted((SAMPLE / "events").glob("*.csv"))])
    events = tmp_path / "events.parquet"
    log.with_columns(pl.format("  {} ", pl.col("Contact ID")).alias("Contact ID")).write_parquet(events)
    out = tmp_path / "scored.csv"
    run_cli(["score", SAMPLE / "contacts.csv", "-a", events, "--as-of", SAMPLE_AS_OF, "-o", out, "-q"])
    dropped = (pl.read_csv(tmp_path / "scored.rejects.csv", infer_schema=False)
               .filter(pl.col("reason").str.starts_with("duplicate e-mail: kept lead "))
               .filter(pl.col("Record ID").is_in(log["Contact ID"].implode())))
    kept = sorted(set(dropped["reason"].str.extract(r"kept lead (\d+)").to_list()))[:4]
    assert len(kept) == 4  # leads that gain a dropped duplicate's events
    result = run_cli(["explain", *kept, SAMPLE / "contacts.csv", "-a", events, "--as-of", SAMPLE_AS_OF,
                      "--json", "-"])
    explained = {lead["lead_id"]: (lead["fit_score"], lead["intent_score"], lead["tier"])
                 for lead in json.loads(result.stdout)["leads"]}
    scored = pl.read_csv(out, infer_schema=False).filter(pl.col("lead_id").is_in(kept))
    assert explained == {row["lead_id"]: (float(row["fit_score"]), float(row["intent_score"]), row["tier"])
                         for row in scored.iter_rows(named=True)}  # exactly, not to 4 decimals
    assert any(intent for _, intent, _ in explained.values())


@pytest.mark.parametrize("target", ["contacts", "events", "ruleset"])
def test_json_onto_an_input_is_refused_before_anything_is_read(tmp_path, target):
    # `--json contacts.csv` replaced the contacts with the report (exit 0), and the next run failed on them.
    files = {"contacts": tmp_path / "contacts.csv", "events": tmp_path / "events.csv", "ruleset": tmp_path / "r.yaml"}
    for name, src in (("contacts", CONTACTS), ("events", EVENTS), ("ruleset", WORKED)):
        files[name].write_bytes((ROOT / src).read_bytes())
    before = {name: path.read_bytes() for name, path in files.items()}
    option = {"contacts": "contacts", "events": "--activities", "ruleset": "--ruleset"}[target]
    result = run_cli(["explain", "C", files["contacts"], "-a", files["events"], "-r", files["ruleset"],
                      "--as-of", "2026-11-01", "--json", files[target]], exit_code=2)
    assert result.stderr == (f"leadq: error: {files[target]} is both this run's --json and one of its {option} "
                             "inputs; write the outputs elsewhere, or name the inputs more narrowly\n")
    assert {name: path.read_bytes() for name, path in files.items()} == before


def test_json_in_a_missing_folder_is_refused_before_reading(tmp_path):
    result = run_cli(["explain", "--lead", "C", "missing.csv", "--json", tmp_path / "no" / "c.json"] + ARGS,
                     exit_code=4)
    assert result.stderr == (f"leadq: error: cannot write {tmp_path / 'no' / 'c.json'}: directory "
                             f"{tmp_path / 'no'} does not exist; create it first\n")


def test_sigterm_ends_explain_like_ctrl_c(tmp_path, monkeypatch):
    # A scheduler's stop killed the run with 143, outside the documented exit codes.
    import leadq.explain as explain

    sigterm_before(monkeypatch, explain, "explain_frames")
    out = tmp_path / "c.json"
    out.write_text("previous\n")
    result = run_cli(["explain", "C", CONTACTS, "--json", out] + ARGS, exit_code=130)
    assert result.stderr == "leadq: error: interrupted; the previous output was left intact\n"
    assert out.read_text() == "previous\n" and [p.name for p in tmp_path.iterdir()] == ["c.json"]


def test_close_ids_include_shorter_ones(tmp_path):
    # The length filter subtracted from an unsigned length: ids shorter than the one asked for wrapped
    # round and were never offered ('01000500' found no '1000500').
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Lead ID,Title,Employees,Industry\n1000500,CTO,300,SaaS\n1000501,CEO,40,SaaS\n")
    result = run_cli(["explain", "01000500", str(contacts)] + ARGS, exit_code=3)
    assert result.stderr == (f"leadq: error: no lead '01000500' in {contacts}; did you mean: '1000500', "
                             "'1000501'?\n")


@pytest.mark.parametrize("text", ["", "Lead ID,Title,Employees,Industry\n"])
def test_contacts_with_no_leads_say_so(tmp_path, text):
    # A zero-byte file said: unable to find column "Lead ID"; valid columns: ["_source_file", "_source_row"].
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(text)
    result = run_cli(["explain", "A", str(contacts)] + ARGS, exit_code=3)
    assert result.stderr == f"leadq: error: no lead 'A' in {contacts}: it holds no leads\n"


def test_values_from_the_data_are_shown_not_read_as_markup(tmp_path):
    # A job title holding '[/]' ended the report with exit 70 (MarkupError); '[red]...[/]' lost its brackets.
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Lead ID,Title,Employees,Industry\nM1,[/] [red]Director[/],500,SaaS\n")
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text((ROOT / WORKED).read_text().replace("\ntiers:", "\ndisqualifiers:\n  - {code: big, label: "
                       "'Too big [/] for [b]us', category: bad_fit, when: company_size > 400}\ntiers:", 1))
    out = run_cli(["explain", "M1", contacts, "-r", ruleset, "--as-of", "2026-11-01"]).stdout
    lines = [line.rstrip() for line in out.splitlines()]
    assert ' director_title        fit      yes      15        15      +15   job_title = "[/] [red]Director[/]"' in lines
    assert " big    Too big [/] for [b]us   bad_fit" in lines


def test_a_narrow_terminal_gets_the_rules_and_tiers_as_lines(monkeypatch):
    # At 40 columns the tiers table dropped its condition and saw columns, and each rule's "saw" was one
    # letter a line: below the tables' widths the same rows are lines.
    monkeypatch.setenv("COLUMNS", "40")
    out = run_cli(["explain", "C", CONTACTS] + ARGS).stdout
    text = " ".join(line.rstrip() for line in out.splitlines())
    assert ("Rules director_title (fit): fired; raw 15, decayed 15, points +15; saw job_title = "
            '"Marketing Director" manager_title (fit): not fired;') in text
    assert ("pricing_page (intent): fired; raw 20, decayed 20, points +10; saw 2 events, last 5 days ago "
            "(capped at 10)") in text
    assert ("Tiers (first match wins) 1 mql: chosen; total >= 75; saw total = 75 2 nurture: matched, not "
            "reached; otherwise Disqualification reasons: none") in text
    assert max(len(line) for line in out.splitlines()) <= 40


# --------------------------------------------------------------------------- looking a lead up by e-mail


def _explained(result) -> list[tuple[str, str, int, float]]:
    return [(lead["lead_id"], lead["source_file"], lead["source_row"], lead["total_score"])
            for lead in json.loads(result.stdout)["leads"]]


def test_a_lead_is_looked_up_by_email_trimmed_in_any_case():
    # RevOps has the address in hand, not the CRM's record id.
    result = run_cli(["explain", "--email", "  CAL@BrightData.co.uk ", CONTACTS, "--json", "-"] + ARGS)
    assert _explained(result) == [("C", CONTACTS, 3, 75.0)]
    result = run_cli(["explain", "--lead", "A", "-e", "bea@acme-analytics.co.uk,cal@brightdata.co.uk", CONTACTS,
                      "--json", "-"] + ARGS)
    assert _explained(result) == [("A", CONTACTS, 1, -8.0), ("B", CONTACTS, 2, 50.0), ("C", CONTACTS, 3, 75.0)]
    text = run_cli(["explain", "-e", "cal@brightdata.co.uk", CONTACTS] + ARGS).stdout
    assert text.splitlines()[2] == f"lead C  {CONTACTS} row 3"


def test_an_address_no_lead_has_exits_3_with_close_addresses():
    result = run_cli(["explain", "-e", "cal@brightdata.co", "-e", "sam@tinystart.io", CONTACTS] + ARGS, exit_code=3)
    assert result.stderr == (f"leadq: error: no lead with e-mail 'cal@brightdata.co' in {CONTACTS}; did you mean: "
                             "'cal@brightdata.co.uk'?\n")
    result = run_cli(["explain", "-e", "nobody@nowhere.example", CONTACTS] + ARGS, exit_code=3)
    assert result.stderr == f"leadq: error: no lead with e-mail 'nobody@nowhere.example' in {CONTACTS}\n"


def test_an_address_several_leads_have_lists_them_and_how_to_pick(tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text((ROOT / CONTACTS).read_text()
                        + "D, Cal@BrightData.co.uk,CEO,Bright Data,500,SaaS,United Kingdom\n")
    result = run_cli(["explain", "-e", "cal@brightdata.co.uk", contacts] + ARGS, exit_code=3)
    assert result.stderr == (f"leadq: error: 2 leads have the e-mail 'cal@brightdata.co.uk': 'C' ({contacts} row 3), "
                             f"'D' ({contacts} row 4); explain one by its id (--lead C) or all of them "
                             "(--lead C --lead D)\n")
    both = run_cli(["explain", "--lead", "C", "--lead", "D", contacts, "--json", "-"] + ARGS)
    assert [lead["lead_id"] for lead in json.loads(both.stdout)["leads"]] == ["C", "D"]


def test_an_address_of_dropped_duplicates_is_the_lead_kept():
    # The sample's ruleset de-duplicates by e-mail: 1000797 (row 797) and 1001044 (row 1044, ' akelly@...')
    # share an address and only the most recently updated one, 1001044, is scored.
    args = ["explain", "-e", "AKelly@GreenLabs.com", SAMPLE / "contacts.csv", "--as-of", SAMPLE_AS_OF, "--json", "-"]
    assert [(lead["lead_id"], lead["source_row"]) for lead in json.loads(run_cli(args).stdout)["leads"]] == [
        ("1001044", 1044)]


def test_an_address_whose_rows_were_rejected_says_why(tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Lead ID,Email,Title,Employees,Industry\nX1,x1@acme.com,CTO,lots,SaaS\n"
                        "X2,x2@acme.com,CEO,40,SaaS\n")
    result = run_cli(["explain", "-e", "x1@acme.com", contacts] + ARGS, exit_code=3)
    assert result.stderr == (f"leadq: error: lead 'X1' was rejected ({contacts} row 1): "
                             "unreadable number in 'Employees'\n")


def test_an_email_needs_an_address_a_mapped_column_and_the_column(tmp_path):
    result = run_cli(["explain", "-e", "cal", CONTACTS] + ARGS, exit_code=2)
    assert result.stderr == ("leadq: error: --email 'cal' is no e-mail address (it has no '@'); give a lead id "
                             "with --lead instead\n")
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text("version: 1\nname: No mail\ncolumns: {lead_id: Lead ID}\ntiers:\n  - {name: all, otherwise: true}\n")
    result = run_cli(["explain", "-e", "cal@brightdata.co.uk", CONTACTS, "-r", ruleset], exit_code=2)
    assert result.stderr == (f"leadq: error: --email: ruleset 'No mail' ({ruleset}) maps no e-mail column; add one "
                             "under columns: (email: <column of the export>), or explain the lead by its id\n")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Lead ID,Mail,Title\nA,a@x.com,CEO\n")
    result = run_cli(["explain", "-e", "a@x.com", contacts] + ARGS, exit_code=3)
    assert result.stderr == (f"leadq: error: {contacts}: missing column 'Email' (for email; did you mean 'Mail'?); "
                             "the file has: Lead ID, Mail, Title. Fix the ruleset's column mapping or the export\n")


def test_an_address_given_as_a_lead_id_is_pointed_to_email():
    result = run_cli(["explain", "cal@brightdata.co.uk", CONTACTS] + ARGS, exit_code=3)
    assert result.stderr == (f"leadq: error: no lead 'cal@brightdata.co.uk' in {CONTACTS}; to look a lead up by "
                             "e-mail address, use --email cal@brightdata.co.uk\n")


def test_with_email_every_argument_is_an_input():
    assert split_arguments([CONTACTS, "more.csv"], [], ["a@x.com"]) == ([], [CONTACTS, "more.csv"])
    assert split_arguments([CONTACTS], ["A"], ["a@x.com"]) == (["A"], [CONTACTS])
    with pytest.raises(UsageError, match=r"give the lead ids, then the contacts file\(s\): leadq explain ID "
                                         r"\[ID\.\.\.\] CONTACTS \(or --lead ID, or --email ADDRESS\)"):
        split_arguments(["A"], [])


# --------------------------------------------------------------------------- contacts on stdin


def test_contacts_from_stdin():
    data = (ROOT / CONTACTS).read_bytes()
    result = run_cli(["explain", "C", "-", "--json", "-"] + ARGS, input=data)
    assert _explained(result) == [("C", "<stdin>", 3, 75.0)]
    from_file = run_cli(["explain", "A", "B", "C", CONTACTS] + ARGS).stdout
    from_stdin = run_cli(["explain", "A", "B", "C", "-"] + ARGS, input=data).stdout
    assert from_stdin == from_file.replace(f"{CONTACTS} row", "<stdin> row")
    result = run_cli(["explain", "-e", "CAL@brightdata.co.uk", "-", "--json", "-"] + ARGS, input=data)
    assert _explained(result) == [("C", "<stdin>", 3, 75.0)]


def test_a_lead_not_on_stdin_names_stdin():
    # The message said "no lead 'C1' in -".
    result = run_cli(["explain", "C1", "-"] + ARGS, input=(ROOT / CONTACTS).read_bytes(), exit_code=3)
    assert result.stderr == "leadq: error: no lead 'C1' in <stdin>; did you mean: 'C'?\n"


def test_only_one_input_from_stdin():
    result = run_cli(["explain", "C", "-", "-a", "-", "-r", WORKED, "--as-of", "2026-11-01"],
                     input=(ROOT / CONTACTS).read_bytes(), exit_code=2)
    assert result.stderr == "leadq: error: only one input can come from stdin ('-')\n"


def test_json_onto_an_input_is_refused_with_contacts_on_stdin(tmp_path):
    events = tmp_path / "events.csv"
    events.write_bytes((ROOT / EVENTS).read_bytes())
    result = run_cli(["explain", "C", "-", "-a", events, "-r", WORKED, "--as-of", "2026-11-01", "--json", events],
                     input=(ROOT / CONTACTS).read_bytes(), exit_code=2)
    assert result.stderr == (f"leadq: error: {events} is both this run's --json and one of its --activities "
                             "inputs; write the outputs elsewhere, or name the inputs more narrowly\n")
    assert events.read_bytes() == (ROOT / EVENTS).read_bytes()


def test_a_size_the_contact_leaves_blank_and_the_account_gives_is_not_read_from_none(tmp_path):
    """A blank contact size filled from --accounts is the account's number, not one read 'from "None"'."""
    contacts = tmp_path / "c.csv"
    contacts.write_text("id,title,size,acct\nL1,CEO,,A1\n")
    accounts = tmp_path / "a.csv"
    accounts.write_text("acct,size\nA1,229\n")
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text("version: 1\ncolumns: {lead_id: id, job_title: title, company_size: size, account_id: acct}\n"
                       "account_columns: {account_id: acct, company_size: size}\n"
                       "fit:\n  - {id: mid, when: 'company_size between 200 and 5000', points: 15}\n"
                       "tiers:\n  - {name: all, otherwise: true}\n")
    args = ["explain", "L1", contacts, "--accounts", accounts, "-r", ruleset, "--as-of", "2026-11-01"]
    lead = json.loads(run_cli(args + ["--json", "-"]).stdout)["leads"][0]
    assert lead["fields"]["company_size"] == 229.0 and lead["read_from"] == {}
    assert lead["handoff"].startswith("CEO; 229 employees. No buying signals yet.")
    out = run_cli(args).stdout
    assert "company_size = 229" in out and "None" not in out


def test_a_tier_value_just_below_its_threshold_is_not_rounded_onto_it(tmp_path):
    # 40 * 0.5 ** ((29 / 1440) / 14) = 39.96 misses `intent >= 40`; one decimal wrote it "intent = 40".
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text("version: 1\ncolumns: {lead_id: Id}\nactivity_columns: {lead_id: Id, event_type: Type, "
                       "occurred_at: At}\nintent:\n  - {id: demo, event: demo_request, points: 40, half_life_days: 14}\n"
                       "tiers:\n  - {name: hot, when: intent >= 40}\n  - {name: warm, when: intent >= 30}\n"
                       "  - {name: rest, otherwise: true}\n")
    (tmp_path / "c.csv").write_text("Id\nL1\n")
    (tmp_path / "e.csv").write_text("Id,Type,At\nL1,demo_request,2026-10-31T23:31:00Z\n")
    out = run_cli(["explain", "L1", tmp_path / "c.csv", "-a", tmp_path / "e.csv", "-r", ruleset,
                   "--as-of", "2026-11-01"]).stdout
    assert " 1   hot    no                     intent >= 40   intent = 39.96\n" in out
    assert " 2   warm   chosen                 intent >= 30   intent = 40\n" in out  # far from 30: one decimal


def test_an_as_of_near_the_last_representable_day_is_no_internal_error(tmp_path):
    # The lead's recheck_at, 90 days after 9999-12-31, was past Python's datetime: reading it back was exit 70.
    # Such an as-of is refused; the last one allowed leaves room for a hundred years of delay.
    contacts = tmp_path / "c.csv"
    contacts.write_text("Record ID,Email,Job Title,Number of Employees,Industry,Country/Region,Lead Status,"
                        "Technologies,Requested Demo,Create Date\n1,a@b.io,Analyst,500,,,,,,2026-01-01\n")
    result = run_cli(["explain", "1", contacts, "--as-of", "9999-12-31", "--json", "-"], exit_code=2)
    assert result.stderr == ("leadq: error: --as-of: '9999-12-31' is out of range; give a time in the years 1900 to "
                             "9898 (a nurture recheck or an SLA due time may fall a hundred years after it)\n")
    data = json.loads(run_cli(["explain", "1", contacts, "--as-of", "9898-12-31", "--json", "-"]).stdout)
    assert (data["as_of"], data["leads"][0]["tier"]) == ("9898-12-31T00:00:00Z", "nurture")
    assert data["leads"][0]["next_step"]["nurture"] == {
        "track": "win_back", "label": "Gone quiet; win-back campaign", "recheck_days": 90.0,
        "recheck_at": "9899-03-31T00:00:00Z"}


def test_a_zone_less_as_of_is_a_time_of_the_rulesets_timezone(tmp_path):
    # As in leadq score: 2026-11-01 in New York is 04:00 UTC.
    (tmp_path / "ny.yaml").write_text("extends: b2b_saas\nsettings:\n  timezone: America/New_York\n")
    contacts = tmp_path / "c.csv"
    contacts.write_text("Record ID,Email,Job Title,Number of Employees,Industry,Country/Region,Lead Status,"
                        "Technologies,Requested Demo,Create Date\n1,a@b.io,Analyst,500,,,,,,2026-01-01\n")
    data = json.loads(run_cli(["explain", "1", contacts, "-r", tmp_path / "ny.yaml", "--as-of", "2026-11-01",
                               "--json", "-"]).stdout)
    assert data["as_of"] == "2026-11-01T04:00:00Z"


# --------------------------------------------------------------------------- the next step

SAMPLE_ARGS = [str(SAMPLE / "contacts.csv"), "-a", str(SAMPLE / "events" / "*.csv"), "--accounts",
               str(SAMPLE / "accounts.csv"), "--as-of", SAMPLE_AS_OF]


def _sample_run(ruleset=None):
    from leadq.pipeline import read_and_score

    rs = load_ruleset(ruleset)
    inputs = ([str(SAMPLE / "contacts.csv")], [str(SAMPLE / "events" / "*.csv")], [str(SAMPLE / "accounts.csv")])
    return rs, inputs, read_and_score(rs, *inputs, as_of=literal_date(SAMPLE_AS_OF)).scored


def test_the_next_step_matches_a_full_score_run_on_the_sample():
    """Route, flags, SLA and nurture track of explain are score's, for a lead of each route, SLA and track."""
    rs, inputs, full = _sample_run()
    picks = set()
    for col in ("route", "next_step", "nurture_track", "route_flags"):
        picks |= set(full.group_by(pl.col(col).list.join(",") if col == "route_flags" else col)
                     .agg(pl.col("lead_id").sort().first())["lead_id"].to_list())
    picks |= {"1000007", "1000022"}  # a hand-raiser whose SLA clock started at its event; an account-team lead
    picks = sorted(picks)
    assert len(picks) == 11
    report = explain_leads(rs, *inputs[:1], picks, *inputs[1:], as_of=literal_date(SAMPLE_AS_OF))
    want = {r["lead_id"]: r for r in full.filter(pl.col("lead_id").is_in(picks)).with_columns(
        pl.col("sla_due_at", "recheck_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ")).to_dicts()}
    routes_seen = set()
    for lead in report.leads:
        row, step = want[lead.lead_id], lead.next_step
        assert step.sections == ["routing", "sla", "nurture"]
        assert (step.routing.route, step.routing.flags) == (row["route"], row["route_flags"])
        assert step.routing.saw["account_tier"] == row["account_tier"]
        if row["route"] is not None:
            assert rs.actions.routing.rules[step.routing.rule - 1].route == row["route"]
            routes_seen.add(row["route"])
        sla = (step.sla.due_at, step.sla.procedure) if step.sla else (None, None)
        assert sla == (row["sla_due_at"], row["next_step"])
        nurture = (step.nurture.track, step.nurture.recheck_at) if step.nurture else (None, None)
        assert nurture == (row["nurture_track"], row["recheck_at"])
    assert routes_seen == {"abm_team", "marketing_nurture", "emea_sdr", "apac_sdr", "amer_sdr"}


def test_the_route_reads_the_tier_of_the_whole_account():
    # Scoring only lead 1000022 rolled its account up from that one contact: account tier 'target' and route
    # amer_sdr, where score (every contact of the account) gives buying_committee and abm_team.
    data = json.loads(run_cli(["explain", "1000022", "--json", "-"] + SAMPLE_ARGS).stdout)
    assert data["leads"][0]["next_step"] == {
        "sections": ["routing", "sla", "nurture"],
        "routing": {"route": "abm_team", "rule": 2,
                    "rule_label": "Accounts with a buying committee get the account team",
                    "saw": {"territory": "amer", "segment": "mid_market", "account_tier": "buying_committee"},
                    "flags": ["solutions_engineer"], "owners": ["priya.shah", "lucas.meyer"],
                    "owner": "assigned across the whole run (leadq score)", "capacity": False,
                    "away": [], "idle": []},
        "sla": {"key": "abm_team", "keyed_by": "route", "hours": 8.0, "procedure": "account_team_play",
                "due_at": "2026-11-01T08:00:00Z", "clock_from": [], "clock_event": None,
                "clock_started_at": "2026-11-01T00:00:00Z"},
        "nurture": None,
    }


def test_next_step_json_of_a_hand_raiser_whose_sla_clock_started_at_its_event():
    data = json.loads(run_cli(["explain", "1000007", "--json", "-"] + SAMPLE_ARGS).stdout)
    step = data["leads"][0]["next_step"]
    assert step["routing"]["route"] == "emea_sdr"
    assert "anna.kowalski" in step["routing"]["owners"]  # the roster, not the owner: the run decides it
    assert step["sla"] == {"key": "hand_raiser", "keyed_by": "tier", "hours": 1.0, "procedure": "call_within_hour",
                           "due_at": "2026-10-21T10:30:59Z", "clock_from": ["demo_request", "contact_form"],
                           "clock_event": "contact_form", "clock_started_at": "2026-10-21T09:30:59Z"}


def _next_step_lines(stdout: str) -> list[str]:
    lines = [line.rstrip() for line in stdout.splitlines()]
    return lines[lines.index("Next step"):]


def test_next_step_text_is_exact_at_60_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    out = run_cli(["explain", "1000007"] + SAMPLE_ARGS).stdout
    assert _next_step_lines(out) == [
        "Next step",
        'route emea_sdr: routing rule 4; saw territory = "emea",',
        'segment = "smb", account_tier = "other"',
        "owner: assigned across the whole run (leadq score), one of",
        "anna.kowalski, ben.murphy, chloe.roux",
        "flags: solutions_engineer",
        "SLA call_within_hour due 2026-10-21T10:30:59Z: tier",
        "hand_raiser's 1 hour from its last contact_form event",
        "(2026-10-21T09:30:59Z)",
        "nurture: none (tier hand_raiser is not nurtured)",
    ]
    assert max(len(line) for line in out.splitlines()) <= 60


def test_next_step_text_of_a_nurtured_lead_is_exact():
    out = run_cli(["explain", "1000003"] + SAMPLE_ARGS).stdout
    assert _next_step_lines(out) == [
        "Next step",
        'route marketing_nurture: routing rule 7; saw territory = "amer", segment = "smb", account_tier =',
        '"target"',
        "owner: none: route marketing_nurture has no owners",
        "flags: none",
        "SLA: none for tier nurture or route marketing_nurture",
        "nurture track re_nurture_6_months (Sales said not now; re-nurture in 6 months); recheck",
        "2027-04-30T00:00:00Z, 180 days after the as-of time",
    ]


def test_a_route_whose_owners_have_a_capacity_says_the_owner_may_be_none(tmp_path):
    ruleset = tmp_path / "capped.yaml"
    text = (ROOT / "rulesets" / "b2b_saas.yaml").read_text()
    ruleset.write_text(text.replace("      #   capacity: 20\n", "      capacity: 20\n"))
    out = run_cli(["explain", "1000039", "-r", str(ruleset)] + SAMPLE_ARGS).stdout
    assert _next_step_lines(out)[1:4] == [
        'route amer_sdr: routing rule 6; saw territory = "amer", segment = "smb", account_tier = "other"',
        "owner: assigned across the whole run (leadq score), one of sam.okafor, jordan.wells, alex.rivera,",
        "casey.morgan; its owners have a capacity: the most urgent leads get one first, the rest none",
    ]


def test_a_ruleset_without_routing_sla_or_nurture_has_no_next_step():
    data = json.loads(run_cli(["explain", "--lead", "C", CONTACTS, "--json", "-"] + ARGS).stdout)
    assert data["leads"][0]["next_step"] is None
    assert "Next step" not in run_cli(["explain", "C", CONTACTS] + ARGS).stdout


# --------------------------------------------------------------------------- --away, as leadq score --away

EMEA = ["anna.kowalski", "ben.murphy", "chloe.roux"]  # the owners of route emea_sdr (b2b_saas), lead 1000007's


def _owner_line(args: list[str]) -> list[str]:
    """The route and owner lines of the next step (100 columns)."""
    return _next_step_lines(run_cli(args).stdout)[1:3]


def test_without_away_every_owner_of_the_route_may_get_the_lead():
    assert _owner_line(["explain", "1000007"] + SAMPLE_ARGS) == [
        'route emea_sdr: routing rule 4; saw territory = "emea", segment = "smb", account_tier = "other"',
        "owner: assigned across the whole run (leadq score), one of anna.kowalski, ben.murphy, chloe.roux",
    ]


def test_an_owner_away_is_named_apart_and_the_route_stays(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    assert _owner_line(["explain", "1000007", "--away", "anna.kowalski"] + SAMPLE_ARGS) == [
        'route emea_sdr: routing rule 4; saw territory = "emea", segment = "smb", account_tier = "other"',
        "owner: assigned across the whole run (leadq score), one of ben.murphy, chloe.roux (anna.kowalski away)",
    ]
    data = json.loads(run_cli(["explain", "1000007", "--away", "anna.kowalski", "--json", "-"] + SAMPLE_ARGS).stdout)
    routing = data["leads"][0]["next_step"]["routing"]
    assert (routing["route"], routing["owners"], routing["away"], routing["idle"], routing["owner"]) == (
        "emea_sdr", EMEA, ["anna.kowalski"], [], "assigned across the whole run (leadq score)")


def test_away_owners_of_another_route_change_nothing_here():
    out = run_cli(["explain", "1000007", "--away", "maria.gonzalez", "--away", "tom.becker"] + SAMPLE_ARGS).stdout
    assert _next_step_lines(out)[2] == \
        "owner: assigned across the whole run (leadq score), one of anna.kowalski, ben.murphy, chloe.roux"


def test_every_owner_of_the_route_away_leaves_the_lead_without_one():
    # Repeated and comma-separated, as score takes them.
    args = ["explain", "1000007", "--away", "anna.kowalski,ben.murphy", "--away", "chloe.roux"] + SAMPLE_ARGS
    assert _owner_line(args) == [
        'route emea_sdr: routing rule 4; saw territory = "emea", segment = "smb", account_tier = "other"',
        "owner: none: every owner of route emea_sdr is away (anna.kowalski, ben.murphy, chloe.roux)",
    ]
    routing = json.loads(run_cli(args + ["--json", "-"]).stdout)["leads"][0]["next_step"]["routing"]
    assert (routing["route"], routing["away"], routing["owner"]) == (
        "emea_sdr", EMEA, "none: every owner of route emea_sdr is away")


def _emea_shares(tmp_path) -> str:
    """b2b_saas with anna.kowalski on route emea_sdr at share 0 (she keeps her leads, takes no new ones)."""
    ruleset = tmp_path / "shares.yaml"
    text = (ROOT / "rulesets" / "b2b_saas.yaml").read_text()
    old = "      owners: [anna.kowalski, ben.murphy, chloe.roux]\n"
    assert old in text
    ruleset.write_text(text.replace(old, "      owners: {anna.kowalski: 0, ben.murphy: 1, chloe.roux: 1}\n"))
    return str(ruleset)


def test_owners_with_share_0_and_away_are_named_apart(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    ruleset = _emea_shares(tmp_path)
    base = ["explain", "1000007", "-r", ruleset] + SAMPLE_ARGS
    assert _next_step_lines(run_cli(base).stdout)[2] == \
        "owner: assigned across the whole run (leadq score), one of ben.murphy, chloe.roux (anna.kowalski share 0)"
    assert _next_step_lines(run_cli(base + ["--away", "ben.murphy"]).stdout)[2] == \
        "owner: assigned across the whole run (leadq score), one of chloe.roux (ben.murphy away; anna.kowalski share 0)"
    assert _next_step_lines(run_cli(base + ["--away", "ben.murphy,chloe.roux"]).stdout)[2] == \
        "owner: none: route emea_sdr's owners take no new leads (ben.murphy, chloe.roux away; anna.kowalski share 0)"


@pytest.mark.parametrize("command", ["explain", "score"])
def test_an_unknown_owner_in_away_is_a_usage_error_as_in_score(command, tmp_path):
    args = ["1000007"] if command == "explain" else []
    extra = [] if command == "explain" else ["-o", str(tmp_path / "scored.csv")]
    result = run_cli([command] + args + SAMPLE_ARGS + ["--away", "ben.murphy,anna.kowalsky"] + extra, exit_code=2)
    assert result.stderr == (
        "leadq: error: --away: no route has an owner 'anna.kowalsky'; did you mean 'anna.kowalski'?; the owners "
        "are: alex.rivera, anna.kowalski, ben.murphy, casey.morgan, chloe.roux, dev.patel, jordan.wells, "
        "lucas.meyer, maria.gonzalez, mei.lin, priya.shah, sam.okafor, tom.becker\n")
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_away_on_a_ruleset_without_routing_is_a_usage_error():
    result = run_cli(["explain", "C", CONTACTS, "--away", "sam.okafor"] + ARGS, exit_code=2)
    assert result.stderr == ("leadq: error: --away: no route has an owner 'sam.okafor'; the ruleset 'Worked "
                             "example (Marketing Director ICP)' has no 'routing' section, so no lead gets an owner\n")


def test_an_empty_away_names_nothing():
    result = run_cli(["explain", "1000007", "--away", " , "] + SAMPLE_ARGS, exit_code=2)
    assert result.stderr == "leadq: error: --away: ' , ' names nothing; give at least one name, or leave the option out\n"


@pytest.mark.parametrize("away", [["anna.kowalski"], EMEA])
def test_explain_away_agrees_with_score_away(away, tmp_path):
    """Route, SLA and nurture of explain --away are score --away's; score's owner is one explain names."""
    leads = ["1000007", "1000022", "1000039"]  # routes emea_sdr, abm_team, amer_sdr
    scored_path = tmp_path / "scored.parquet"
    run_cli(["score"] + SAMPLE_ARGS + ["--away", ",".join(away), "-o", str(scored_path), "-q"])
    scored = {r["lead_id"]: r for r in pl.read_parquet(scored_path).filter(pl.col("lead_id").is_in(leads))
              .with_columns(pl.col("sla_due_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ")).to_dicts()}
    data = json.loads(run_cli(["explain", *leads, "--json", "-", "--away", ",".join(away)] + SAMPLE_ARGS).stdout)
    got = {}
    for lead in data["leads"]:
        step = lead["next_step"]
        routing = step["routing"]
        may_get = [o for o in routing["owners"] if o not in routing["away"] and o not in routing["idle"]]
        row = scored[lead["lead_id"]]
        assert (routing["route"], step["sla"]["due_at"], step["sla"]["procedure"]) == \
            (row["route"], row["sla_due_at"], row["next_step"])
        if row["owner"] is None:
            assert routing["owner"] == f"none: every owner of route {row['route']} is away"
        else:
            assert row["owner"] in may_get
        got[lead["lead_id"]] = (routing["route"], row["owner"], routing["away"])
    emea_owner = "ben.murphy" if away == ["anna.kowalski"] else None
    assert got == {"1000007": ("emea_sdr", emea_owner, away), "1000022": ("abm_team", "priya.shah", []),
                   "1000039": ("amer_sdr", "sam.okafor", [])}


def test_explain_help_has_away():
    out = run_cli(["explain", "--help"]).stdout
    assert "--away" in out and "OWNER" in out


@pytest.mark.parametrize("option", ["--json", "--ruleset"])
def test_an_empty_json_or_ruleset_names_nothing_as_in_score(option):
    # --json '' printed the report as if no --json were given; -r '' said ": ruleset file not found".
    args = ["explain", "C", CONTACTS, "-a", EVENTS, "--as-of", "2026-11-01", option, ""]
    result = run_cli(args + ([] if option == "--ruleset" else ["-r", WORKED]), exit_code=2)
    assert result.stderr == (f"leadq: error: {option}: '' names nothing (an unset shell variable?); give a name, "
                             "or leave the option out\n")
    assert result.stdout == ""


# --------------------------------------------------------------------------- days_since as compared

DS_RULESET = """\
version: 1
name: ds edge
columns:
  lead_id: Lead ID
  signed_up: {column: Signed Up, type: datetime}
activity_columns:
  lead_id: Lead ID
  event_type: Activity
  occurred_at: Date
settings:
  half_life_days: none
fit:
  - id: fresh_signup
    label: fresh signup
    when: days_since(signed_up) <= 2
    points: 5
intent:
  - id: demo_request
    label: demo request
    event: demo_request
    points: 25
tiers:
  - name: hand_raiser
    when: days_since(demo_request) <= 14
  - name: nurture
    otherwise: true
"""


@pytest.fixture()
def ds_files(tmp_path):
    """As of 2026-11-01T00:00Z. A: 2.001 and 14.001 days (86.4 s past each bound); B: exactly 2 and 14
    days; C: sign-up 14.5 days ago, demo request one microsecond under 14 days; D: 14.5 days (the
    HubSpot user's lead 7)."""
    (tmp_path / "rs.yaml").write_text(DS_RULESET)
    (tmp_path / "c.csv").write_text("Lead ID,Signed Up\nA,2026-10-29T23:58:33.6Z\nB,2026-10-30T00:00:00Z\n"
                                    "C,2026-10-17T12:00:00Z\nD,2026-10-30T00:00:00Z\n")
    (tmp_path / "e.csv").write_text("Lead ID,Activity,Date\nA,demo_request,2026-10-17T23:58:33.6Z\n"
                                    "B,demo_request,2026-10-18T00:00:00Z\nC,demo_request,2026-10-18T00:00:00.000001Z\n"
                                    "D,demo_request,2026-10-17T12:00:00Z\n")
    return tmp_path


def _ds_args(d) -> list:
    return [d / "c.csv", "-a", d / "e.csv", "-r", d / "rs.yaml", "--as-of", "2026-11-01"]


def test_days_since_is_shown_as_the_condition_compares_it(ds_files, monkeypatch):
    # It was floored to whole days: "no  days_since(demo_request) <= 14  ... = 14" for 14.5 days.
    monkeypatch.setenv("COLUMNS", "160")
    out = run_cli(["explain", "A", "B", "C", "D"] + _ds_args(ds_files)).stdout
    lines = [line.rstrip() for line in out.splitlines()]
    for expected in [
        # 14.001 days: one decimal would write "14", beside a condition it misses.
        " 1   hand_raiser   no       days_since(demo_request) <= 14   days_since(demo_request) = 14.001",
        " fresh_signup   fit      no        0         0        0   days_since(signed_up) = 2.001",
        # Exactly on the bound: met, and written as the bound.
        " 1   hand_raiser   chosen                 days_since(demo_request) <= 14   days_since(demo_request) = 14",
        " fresh_signup   fit      yes       5         5       +5   days_since(signed_up) = 2",
        # One microsecond under 14 days: met; written with the decimals that keep it under the bound.
        " 1   hand_raiser   chosen                 days_since(demo_request) <= 14   "
        "days_since(demo_request) = 13.99999999999",
        " fresh_signup   fit      no        0         0        0   days_since(signed_up) = 14.5",
        " 1   hand_raiser   no       days_since(demo_request) <= 14   days_since(demo_request) = 14.5",
    ]:
        assert expected in lines, expected
    # The prose keeps whole days ("14 days ago"): it states an age, not the comparison.
    assert "Lead A. Signals: demo request 15 days ago. Grade D (fit 0), intent 25, total 25 -> nurture." in lines


def test_days_since_json_is_the_value_compared(ds_files):
    data = json.loads(run_cli(["explain", "A", "B", "C", "D", "--json", "-"] + _ds_args(ds_files)).stdout)
    got = [(l["lead_id"], l["tier"], l["rules"][0]["values"], l["rules"][0]["condition"], l["tiers"][0]["values"])
           for l in data["leads"]]
    assert got == [
        ("A", "nurture", {"days_since(signed_up)": 2.001}, "days_since(signed_up) <= 2",
         {"days_since(demo_request)": 14.001}),
        ("B", "hand_raiser", {"days_since(signed_up)": 2.0}, "days_since(signed_up) <= 2",
         {"days_since(demo_request)": 14.0}),
        ("C", "hand_raiser", {"days_since(signed_up)": 14.5}, "days_since(signed_up) <= 2",
         {"days_since(demo_request)": 14 - 1 / 86_400_000_000}),
        ("D", "nurture", {"days_since(signed_up)": 2.0}, "days_since(signed_up) <= 2",
         {"days_since(demo_request)": 14.5}),
    ]
    # An event rule's calendar days since its last event (the prose's "15 days ago": 14.001 days before a midnight as-of).
    assert [l["rules"][1]["days_since_last"] for l in data["leads"]] == [15, 14, 14, 15]


def test_a_value_is_never_written_across_a_threshold():
    from leadq.explain_report import _near_value

    assert _near_value(39.96, {40.0}) == "39.96"
    assert _near_value(40.0, {40.0}) == "40"
    assert _near_value(14.5, {14.0}) == "14.5"
    assert _near_value(14.001, {14.0}) == "14.001"
    assert _near_value(14.44, {14.43}) == "14.44"  # one decimal, "14.4", fell under a bound with two
    assert _near_value(14.42, {14.43}) == "14.4"
    assert _near_value(69.63322963078, {60.0}) == "69.6"


def test_the_fit_is_never_written_onto_its_grade_threshold(report):
    from dataclasses import replace

    from rich.console import Console

    from leadq.explain_report import _lead

    def score_line(**changes) -> str:
        console = Console(width=200, record=True, color_system=None)
        console.print(_lead(replace(report.leads[0], **changes)))
        return next(line.rstrip() for line in console.export_text().splitlines() if line.startswith("total "))

    # Lead A, fit -10: grade D, "fit below 5". A fit of 4.96 is below 5 too: one decimal wrote "fit 5".
    assert score_line() == "total -8 = fit -10 + intent 2; grade D (fit below 5); tier nurture"
    assert score_line(fit_score=4.96) == "total -8 = fit 4.96 + intent 2; grade D (fit below 5); tier nurture"
    assert score_line(fit_score=4.94) == "total -8 = fit 4.9 + intent 2; grade D (fit below 5); tier nurture"


def test_a_per_lead_rule_with_step_decay_explains_the_points_score_gives(tmp_path):
    # explain computes a per-lead rule's decay itself: it halved continuously (8 -> 1.95) where score gave 2.
    from tests.test_step_decay import RULESET

    (tmp_path / "r.yaml").write_text(RULESET % (", decay: step", "", ""))
    (tmp_path / "c.csv").write_text("id\nc\n")
    (tmp_path / "e.csv").write_text("id,type,at\nc,visit,2026-05-01T00:00:00Z\n")  # 184 days: two half-lives
    data = json.loads(run_cli(["explain", "c", tmp_path / "c.csv", "-a", tmp_path / "e.csv", "-r", tmp_path / "r.yaml",
                               "--as-of", "2026-11-01", "--json", "-"]).stdout)
    lead = data["leads"][0]
    assert [(r["id"], r["points"]["decayed"]) for r in lead["rules"]] == [("ev", 2.5), ("once", 2.0)]
    assert lead["intent_score"] == 4.5


def test_a_per_day_rule_below_its_min_count_needs_days(tmp_path):
    # min_count of a per: day rule counts days with events: "needs 3 events" read as if 3 visits would do.
    from tests.test_per_day import RULESET

    (tmp_path / "r.yaml").write_text(RULESET % ("", ", min_count: 3"))
    (tmp_path / "c.csv").write_text("id\na\n")
    (tmp_path / "e.csv").write_text("id,type,at\na,visit,2026-10-30T06:00:00Z\na,visit,2026-10-30T09:00:00Z\n"
                                    "a,visit,2026-10-31T09:00:00Z\n")
    data = json.loads(run_cli(["explain", "a", tmp_path / "c.csv", "-a", tmp_path / "e.csv", "-r", tmp_path / "r.yaml",
                               "--as-of", "2026-11-01", "--json", "-"]).stdout)
    rule = data["leads"][0]["rules"][0]
    # events: the real matching events (3); days: the days with one, which min_count counts (2)
    assert (rule["id"], rule["events"], rule["days"], rule["weeks"], rule["note"], rule["fired"]) == \
        ("visits", 3, 2, None, "needs 3 days", False)


PER_PERIOD_EVENTS = ("id,type,at\na,visit,2026-10-20T06:00:00Z\na,visit,2026-10-30T06:00:00Z\n"
                     "a,visit,2026-10-30T09:00:00Z\na,visit,2026-10-30T18:00:00Z\na,visit,2026-10-31T09:00:00Z\n")


@pytest.mark.parametrize("per, saw, counts, handoff", [
    # Five visits: three on Friday 30 October, one on the 31st, one on Tuesday 20 October (weeks of the
    # 19th and the 26th). "5 events" alone read as if 5 had scored: 3 days (2 weeks) did.
    ("day", "5 events on 3 days, last 1 day ago", {"days": 3, "weeks": None}, "visits x5 on 3 days, last 1 day ago"),
    ("week", "5 events in 2 weeks, last 1 day ago", {"days": None, "weeks": 2}, "visits x5 in 2 weeks, last 1 day ago"),
])
def test_a_per_day_or_week_rule_shows_its_events_and_the_days_or_weeks_that_scored(tmp_path, per, saw, counts,
                                                                                    handoff):
    from tests.test_per_day import RULESET

    (tmp_path / "r.yaml").write_text((RULESET % ("", "")).replace("per: day", f"per: {per}"))
    (tmp_path / "c.csv").write_text("id\na\n")
    (tmp_path / "e.csv").write_text(PER_PERIOD_EVENTS)
    args = ["explain", "a", tmp_path / "c.csv", "-a", tmp_path / "e.csv", "-r", tmp_path / "r.yaml", "--as-of",
            "2026-11-01"]
    lead = json.loads(run_cli(args + ["--json", "-"]).stdout)["leads"][0]
    rule = lead["rules"][0]
    points = 30.0 if per == "day" else 20.0
    assert {k: rule[k] for k in ("events", "days", "weeks", "note", "fired")} == \
        {"events": 5, **counts, "note": "", "fired": True}
    assert rule["points"] == {"raw": points, "decayed": points, "final": points}
    out = run_cli(args).stdout
    row = next(line.strip() for line in out.splitlines() if line.strip().startswith("visits"))
    assert row.split()[:6] == ["visits", "intent", "yes", f"{points:g}", f"{points:g}", f"+{points:g}"]
    assert row.endswith(saw)
    assert lead["handoff"] == f"Lead a. Signals: {handoff}. Grade D (fit 0), intent {points:g}, total {points:g} -> all."


def test_an_event_rule_without_per_has_no_days_or_weeks(report):
    pricing = next(r for r in report.leads[2].rules if r.id == "pricing_page")
    assert (pricing.events, pricing.days, pricing.weeks) == (2, None, None)
    assert all(r.days is None and r.weeks is None for lead in report.leads for r in lead.rules)
