"""`leadq score --columns`: the output's columns chosen, ordered and renamed (a CRM import maps by header).

The worked example: leads A, B, C score -8, 50 and 75, tiers nurture, nurture and mql.
"""

from __future__ import annotations

import json
import sqlite3

import polars as pl
import pytest

from tests.conftest import FIXTURES, ROOT, run_cli

WORKED = FIXTURES / "worked_example"
RULESET = ROOT / "rulesets" / "worked_example.yaml"
CONTACTS = WORKED / "contacts.csv"
LEADQ_COLUMNS = ("lead_id, fit_score, intent_score, total_score, grade, tier, disqualified, "
                 "disqualification_reasons, explanation")


def _args(out, *extra, contacts=CONTACTS):
    return ["score", contacts, "-a", WORKED / "events.csv", "-r", RULESET, "--as-of", "2026-11-01", "-o", out,
            "-q", *extra]


def test_csv_has_exactly_the_chosen_columns_in_order_under_their_headers(tmp_path):
    out = tmp_path / "crm.csv"
    run_cli(_args(out, "--columns", "Record ID=lead_id,leadq Score=total_score", "--columns", "tier,Email"))
    assert out.read_text().splitlines() == [
        "Record ID,leadq Score,tier,Email",
        "A,-8.0,nurture,amy@tinystartup.io",
        "B,50.0,nurture,ben@saasco.co.uk",
        "C,75.0,mql,cat@saasco.co.uk",
    ]


def test_an_input_column_kept_with_k_too_is_written_once(tmp_path):
    out = tmp_path / "crm.csv"
    run_cli(_args(out, "-k", "Email,Company", "--columns", "Email,lead_id,Firm=Company"))
    assert pl.read_csv(out).to_dict(as_series=False) == {
        "Email": ["amy@tinystartup.io", "ben@saasco.co.uk", "cat@saasco.co.uk"],
        "lead_id": ["A", "B", "C"],
        "Firm": ["Tiny Startup", "SaaSCo", "SaaSCo"],
    }


def test_one_field_under_two_headers(tmp_path):
    out = tmp_path / "crm.csv"
    run_cli(_args(out, "--columns", "Record ID=lead_id, lead_id ,grade"))
    assert out.read_text().splitlines()[:2] == ["Record ID,lead_id,grade", "A,A,D"]


@pytest.mark.parametrize("name", ["crm.parquet", "crm.ndjson", "crm.xlsx"])
def test_parquet_ndjson_and_xlsx(tmp_path, name):
    out = tmp_path / name
    run_cli(_args(out, "--columns", "Record ID=lead_id,leadq Score=total_score,Mail=Email"))
    if name.endswith(".ndjson"):
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert rows == [{"Record ID": "A", "leadq Score": -8.0, "Mail": "amy@tinystartup.io"},
                        {"Record ID": "B", "leadq Score": 50.0, "Mail": "ben@saasco.co.uk"},
                        {"Record ID": "C", "leadq Score": 75.0, "Mail": "cat@saasco.co.uk"}]
        return
    back = pl.read_parquet(out) if name.endswith(".parquet") else pl.read_excel(out)
    assert back.columns == ["Record ID", "leadq Score", "Mail"]
    assert back["leadq Score"].to_list() == [-8.0, 50.0, 75.0]
    assert back["Mail"].to_list() == ["amy@tinystartup.io", "ben@saasco.co.uk", "cat@saasco.co.uk"]
    if name.endswith(".parquet"):  # the run's metadata as without --columns
        assert pl.read_parquet_metadata(out)["leadq.as_of"] == "2026-11-01T00:00:00Z"


def test_stdout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli(_args("-", "--columns", "id=lead_id,tier"))
    assert result.stdout.splitlines() == ["id,tier", "A,nurture", "B,nurture", "C,mql"]


def test_an_input_column_with_commas_in_its_name(tmp_path):
    contacts = tmp_path / "contacts.csv"
    lines = CONTACTS.read_text().splitlines()
    contacts.write_text("\n".join([lines[0] + ',"Revenue, USD"'] + [f"{line},{n}" for n, line in
                                                                       enumerate(lines[1:], 1)]) + "\n")
    out = tmp_path / "crm.csv"
    run_cli(_args(out, "--columns", "lead_id", "--columns", "Revenue=Revenue, USD", contacts=contacts))
    assert out.read_text().splitlines() == ["lead_id,Revenue", "A,1", "B,2", "C,3"]
    run_cli(_args(out, "--columns", "Revenue, USD", "--columns", "Country,Industry", contacts=contacts))
    assert out.read_text().splitlines()[:2] == ['"Revenue, USD",Country,Industry', "1,United Kingdom,Retail"]


def test_sqlite_out_table(tmp_path):
    pytest.importorskip("adbc_driver_sqlite")
    db = tmp_path / "crm.db"
    run_cli(_args(f"sqlite:///{db}", "--out-table", "scored", "--columns", "Record ID=lead_id,leadq Score=total_score"))
    with sqlite3.connect(db) as con:
        rows = con.execute('SELECT "Record ID", "leadq Score" FROM scored ORDER BY 1').fetchall()
        names = [r[1] for r in con.execute("PRAGMA table_info(scored)")]
    assert names == ["Record ID", "leadq Score"]
    assert rows == [("A", -8.0), ("B", 50.0), ("C", 75.0)]


def test_changes_file_uses_the_same_headers_then_the_change_columns(tmp_path):
    state = tmp_path / "state.parquet"
    run_cli(_args(state, "-k", "Email"))
    two = tmp_path / "two.csv"  # lead C left the CRM; A and B are as before
    two.write_text("\n".join(CONTACTS.read_text().splitlines()[:3]) + "\n")
    changes = tmp_path / "changes.csv"
    run_cli(["score", two, "-a", WORKED / "events.csv", "-r", RULESET, "--as-of", "2026-11-01", "-o",
             tmp_path / "crm.csv", "-q", "--previous", state, "--changes", changes, "--min-score-change", "0",
             "--columns", "Record ID=lead_id,Email,change,Score=total_score"])
    assert (tmp_path / "crm.csv").read_text().splitlines() == [
        "Record ID,Email,change,Score", "A,amy@tinystartup.io,unchanged,-8.0", "B,ben@saasco.co.uk,unchanged,50.0"]
    # Only the gone lead changed; the change columns not chosen come after the chosen ones.
    back = pl.read_csv(changes, infer_schema=False)
    assert back.columns == ["Record ID", "Email", "change", "Score", "previous_tier", "score_change"]
    assert back.select("Record ID", "change", "Score", "previous_tier").rows() == [("C", "gone", None, "mql")]


def test_gone_rows_of_the_changes_file_keep_the_kept_columns_of_the_previous_output(tmp_path):
    state = tmp_path / "state.parquet"
    run_cli(_args(state, "-k", "Email"))
    two = tmp_path / "two.csv"
    two.write_text("\n".join(CONTACTS.read_text().splitlines()[:3]) + "\n")
    changes = tmp_path / "changes.csv"
    run_cli(["score", two, "-a", WORKED / "events.csv", "-r", RULESET, "--as-of", "2026-11-01", "-o", state,
             "-q", "--previous", state, "--changes", changes, "-k", "Email"])
    back = pl.read_csv(changes, infer_schema=False)
    assert back.filter(pl.col("change") == "gone").select("lead_id", "Email").rows() == [("C", "cat@saasco.co.uk")]


def test_previous_that_is_out_must_keep_what_the_next_run_reads(tmp_path):
    state = tmp_path / "state.parquet"
    result = run_cli(_args(state, "--previous", state, "--columns", "Record ID=lead_id,tier,total_score"),
                     exit_code=2)
    assert result.stderr == (
        f"leadq: error: --columns leaves out lead_id (or renames it), and --previous {state} is --out: the next run "
        "reads lead_id, tier and total_score back from it; keep them under their own names, or keep the state in "
        "another file and write the CRM's columns to --changes\n")
    assert not state.exists()
    run_cli(_args(state, "--previous", state, "--columns", "lead_id,tier,total_score,Mail=Email"))
    assert pl.read_parquet(state).columns == ["lead_id", "tier", "total_score", "Mail"]


@pytest.mark.parametrize(("columns", "message"), [
    (["lead_id,total_scor"],
     "--columns: no column 'total_scor' in the output nor in {contacts}; did you mean 'total_score'?; available: "
     f"{LEADQ_COLUMNS}, or any column of {{contacts}}"),
    (["Record ID=lead_id,Emial"],
     "--columns: no column 'Emial' in the output nor in {contacts}; did you mean 'Email'?; available: "
     f"{LEADQ_COLUMNS}, or any column of {{contacts}}"),
    (["change"],
     "--columns: no column 'change' in the output nor in {contacts} (change comes with --previous); available: "
     f"{LEADQ_COLUMNS}, or any column of {{contacts}}"),
    (["Score=lead_id", "Score=total_score"],
     "--columns: header 'Score' is given twice; give each column its own header"),
    (["lead_id,tier", "tier"], "--columns: header 'tier' is given twice; give each column its own header"),
    (["lead_id, =tier"], "--columns: '=tier' has an empty header; write HEADER=FIELD, or FIELD alone to keep its name"),
    (["Score="], "--columns: 'Score=' names no column after '='; write HEADER=FIELD"),
    ([" , "], "--columns: ' , ' names nothing; give at least one column, or leave the option out"),
])
def test_errors_exit_2_and_write_nothing(tmp_path, columns, message):
    out = tmp_path / "crm.csv"
    result = run_cli(_args(out, *[a for c in columns for a in ("--columns", c)]), exit_code=2)
    assert result.stderr == "leadq: error: " + message.format(contacts=CONTACTS) + "\n"
    assert not out.exists()
    assert not (tmp_path / "crm.rejects.csv").exists()


def test_a_header_twice_is_refused_before_anything_is_read(tmp_path):
    result = run_cli(["score", tmp_path / "missing.csv", "-r", RULESET, "-o", tmp_path / "o.csv",
                      "--columns", "x=lead_id,x=tier"], exit_code=2)
    assert result.stderr == "leadq: error: --columns: header 'x' is given twice; give each column its own header\n"


def test_the_rejects_keep_their_own_columns(tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS.read_text() + ",nobody@x.io,Intern,X,1,Retail,France\n")
    out = tmp_path / "crm.csv"
    run_cli(_args(out, "--columns", "Record ID=lead_id", contacts=contacts))
    assert out.read_text().splitlines() == ["Record ID", "A", "B", "C"]
    assert (tmp_path / "crm.rejects.csv").read_text().splitlines()[0] == (
        "source_file,source_row,reason,Lead ID,Email,Title,Company,Employees,Industry,Country")
