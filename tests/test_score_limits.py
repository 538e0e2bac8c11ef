"""`leadq score` for cron jobs: --max-rejects, the --summary-json of a failed run, --keep-columns with commas."""

from __future__ import annotations

import json
from types import SimpleNamespace

import polars as pl
import pytest

from leadq import __version__
from leadq.cli.score import _reject_limit, _rejects_error
from leadq.summary import SUMMARY_SCHEMA_VERSION
from tests.conftest import RULESETS, run_cli

RULESET = RULESETS / "worked_example.yaml"
RULESET_NAME = "Worked example (Marketing Director ICP)"
HEADER = 'Lead ID,Email,Title,Company,Employees,Industry,Country,"Revenue, USD"'


def _contacts(tmp_path, leads: int = 9, without_id: int = 1, first: int = 0):
    """``leads`` scorable contacts (L<first>...) and ``without_id`` rows without a lead id (rejected)."""
    rows = [HEADER]
    rows += [f"L{i},p{i}@saasco.co.uk,Marketing Director,SaaSCo,500,SaaS,United Kingdom,{i + 1}000"
             for i in range(first, first + leads)]
    rows += [f",x{i}@saasco.co.uk,Marketing Director,SaaSCo,500,SaaS,United Kingdom,7" for i in range(without_id)]
    path = tmp_path / f"contacts{first}.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _score(tmp_path, contacts, *extra, exit_code: int = 0):
    return run_cli(["score", contacts, "-r", RULESET, "--as-of", "2026-10-27", "-o", tmp_path / "o.csv", "-q",
                    *extra], exit_code=exit_code)


def _error(result) -> str:
    """The one error line of a run, without its prefix (and the check that there is exactly one)."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("leadq: error: "), result.stderr
    return lines[0][len("leadq: error: "):]


# --max-rejects


def test_exactly_10_percent_rejected_passes_a_10_percent_limit(tmp_path):
    summary = tmp_path / "s.json"
    _score(tmp_path, _contacts(tmp_path), "--max-rejects", "10%", "--summary-json", summary)
    data = json.loads(summary.read_text())
    assert (data["status"], data["input_rows"], data["rejected"]) == ("ok", 10, 1)
    assert "exit_code" not in data and "error" not in data


def test_above_the_percentage_fails_with_exit_1_and_writes_the_outputs_as_strict_does(tmp_path):
    summary = tmp_path / "s.json"
    result = _score(tmp_path, _contacts(tmp_path), "--max-rejects", "9.99%", "--summary-json", summary, exit_code=1)
    rejects = tmp_path / "o.rejects.csv"
    message = f"1 of 10 input row(s) rejected (10%), over --max-rejects 9.99%; see {rejects} (the outputs were written)"
    assert _error(result) == message
    assert pl.read_csv(tmp_path / "o.csv")["lead_id"].to_list() == [f"L{i}" for i in range(9)]
    assert pl.read_csv(rejects)["reason"].to_list() == ["missing lead id"]
    data = json.loads(summary.read_text())
    assert list(data)[:7] == ["schema_version", "leadq_version", "status", "exit_code", "error", "ruleset", "as_of"]
    assert (data["status"], data["exit_code"], data["error"]) == ("failed", 1, message)
    assert (data["input_rows"], data["scored"], data["rejected"]) == (10, 9, 1)


def test_a_count_limit_allows_that_many_rows(tmp_path):
    contacts = _contacts(tmp_path, leads=2, without_id=2)
    _score(tmp_path, contacts, "--max-rejects", "2")
    result = _score(tmp_path, contacts, "--max-rejects", "1", exit_code=1)
    assert _error(result) == (f"2 of 4 input row(s) rejected (50%), over --max-rejects 1; see {tmp_path / 'o.rejects.csv'}"
                              " (the outputs were written)")


def test_no_rejected_row_passes_a_limit_of_0(tmp_path):
    _score(tmp_path, _contacts(tmp_path, without_id=0), "--max-rejects", "0")
    _score(tmp_path, _contacts(tmp_path, without_id=0), "--max-rejects", "0%")


@pytest.mark.parametrize(("rejected", "rows", "limit", "shown"), [
    (1, 3, "0", "33.33"),
    (101, 10_001, "1%", "1.01"),
    (10_001, 1_000_000, "1%", "1.0001"),  # rounded to 2 places it would read "1%", over a limit of 1%
    (1_000_001, 100_000_000, "1%", "1.000001"),
])
def test_the_share_has_the_places_that_show_it_over_the_limit(rejected, rows, limit, shown):
    summary = SimpleNamespace(rejected=rejected, input_rows=rows, outputs={"rejects": "r.csv"}, events={})
    error = _rejects_error(summary, False, _reject_limit(limit, False))
    assert str(error) == (f"{rejected:,} of {rows:,} input row(s) rejected ({shown}%), over --max-rejects {limit}; "
                          "see r.csv (the outputs were written)")


def test_a_percentage_limit_is_exact():
    # 10% of 30 rows is 3 (0.1 * 30 in floats is 3.0000000000000004): 3 pass, 4 do not.
    limit = _reject_limit("10%", False)
    assert (limit.exceeded(3, 30), limit.exceeded(4, 30)) == (False, True)
    assert not _reject_limit("0%", False).exceeded(0, 0)


@pytest.mark.parametrize(("value", "message"), [
    ("-1", "--max-rejects: '-1' is negative; give a number of rows (0 or more) or a percentage of the input rows "
           "(0% to 100%)"),
    ("-5%", "--max-rejects: '-5%' is negative; give a number of rows (0 or more) or a percentage of the input rows "
            "(0% to 100%)"),
    ("abc", "--max-rejects: 'abc' is neither a number of rows nor a percentage; give a whole number (e.g. 100) or a "
            "percentage of the input rows (e.g. 2.5%)"),
    ("1.5", "--max-rejects: '1.5' is neither a number of rows nor a percentage; give a whole number (e.g. 100) or a "
            "percentage of the input rows (e.g. 2.5%)"),
    ("150%", "--max-rejects: '150%' is more than 100%; give a percentage from 0% to 100% of the input rows, or a "
             "number of rows"),
])
def test_a_bad_limit_is_refused_before_anything_is_read_or_written(tmp_path, value, message):
    summary = tmp_path / "s.json"
    result = _score(tmp_path, tmp_path / "absent.csv", f"--max-rejects={value}", "--summary-json", summary,
                    exit_code=2)
    assert _error(result) == message
    # Nothing is read or written but the failure a monitor reads (the ruleset and the as-of not known yet).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json"]
    assert json.loads(summary.read_text()) == {**_failed(2, message), "ruleset": None, "as_of": None}


def test_strict_with_a_limit_that_allows_rows_is_refused(tmp_path):
    result = _score(tmp_path, _contacts(tmp_path), "--strict", "--max-rejects", "5%", exit_code=2)
    assert _error(result) == "--strict fails the run on any rejected row, and --max-rejects 5% allows some; give one of them"
    assert not (tmp_path / "o.csv").exists()


def test_strict_with_a_limit_of_0_agrees_and_says_strict(tmp_path):
    result = _score(tmp_path, _contacts(tmp_path), "--strict", "--max-rejects", "0", exit_code=1)
    assert _error(result) == f"1 row(s) rejected (--strict); see {tmp_path / 'o.rejects.csv'}"


# --summary-json of a failed run


def _failed(exit_code: int, error: str) -> dict:
    return {"schema_version": SUMMARY_SCHEMA_VERSION, "leadq_version": __version__, "status": "failed",
            "exit_code": exit_code, "error": error, "ruleset": RULESET_NAME, "as_of": "2026-10-27T00:00:00Z"}


def test_strict_writes_the_figures_with_the_failure(tmp_path):
    summary = tmp_path / "s.json"
    _score(tmp_path, _contacts(tmp_path), "--strict", "--summary-json", summary, exit_code=1)
    data = json.loads(summary.read_text())
    assert (data["status"], data["exit_code"]) == ("failed", 1)
    assert data["error"] == f"1 row(s) rejected (--strict); see {tmp_path / 'o.rejects.csv'}"
    assert data["outputs"] == {"scored": str(tmp_path / "o.csv"), "rejects": str(tmp_path / "o.rejects.csv")}
    assert (tmp_path / "o.csv").exists()  # as before: --strict writes the outputs, then exits 1


def test_bad_input_replaces_the_previous_summary_with_the_failure(tmp_path):
    summary = tmp_path / "s.json"
    _score(tmp_path, _contacts(tmp_path, without_id=0), "--summary-json", summary)
    assert json.loads(summary.read_text())["status"] == "ok"
    (tmp_path / "o.csv").unlink()
    (tmp_path / "o.rejects.csv").unlink()
    missing = tmp_path / "missing.csv"
    result = _score(tmp_path, missing, "--summary-json", summary, exit_code=3)
    assert _error(result) == f"no such file: {missing}"
    assert json.loads(summary.read_text()) == _failed(3, f"no such file: {missing}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts0.csv", "s.json"]  # no output, no temporary file


def test_the_failure_goes_to_stdout_with_summary_json_dash(tmp_path):
    missing = tmp_path / "missing.csv"
    result = _score(tmp_path, missing, "--summary-json", "-", exit_code=3)
    assert json.loads(result.stdout) == _failed(3, f"no such file: {missing}")


def test_too_many_tier_changes_writes_the_failure_and_no_output(tmp_path):
    state, summary = tmp_path / "o.csv", tmp_path / "s.json"
    _score(tmp_path, _contacts(tmp_path, without_id=0), "--previous", state)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    others = _contacts(tmp_path, without_id=1, first=100)  # every previous lead is gone; one row rejected
    result = _score(tmp_path, others, "--previous", state, "--max-tier-changes", "50", "--summary-json", summary,
                    exit_code=5)
    data = json.loads(summary.read_text())  # the failure, with the figures of the run that stopped
    assert {key: data[key] for key in _failed(5, "")} == _failed(5, _error(result))
    assert (data["input_rows"], data["scored"], data["rejected"], data["outputs"]) == (10, 9, 1, {})
    assert {key: data["changes"][key] for key in ("previous_leads", "gone", "new")} == {
        "previous_leads": 9, "gone": 9, "new": 9}
    # The output and its rejects are as the previous run left them; nothing else was written.
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name in before} == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name not in before) == ["contacts100.csv", "s.json"]


def test_an_output_that_cannot_be_written_writes_the_failure(tmp_path):
    (tmp_path / "o.csv").mkdir()
    summary = tmp_path / "s.json"
    result = _score(tmp_path, _contacts(tmp_path), "--summary-json", summary, exit_code=4)
    assert _error(result) == f"cannot write {tmp_path / 'o.csv'}: it is a directory; give a file name"
    assert json.loads(summary.read_text()) == _failed(4, _error(result))


def test_a_summary_file_that_cannot_be_written_fails_once_without_a_traceback(tmp_path, monkeypatch):
    from leadq.errors import OutputError
    from leadq.outputs import AtomicWrites

    summary = tmp_path / "s.json"
    summary.write_text("yesterday\n")
    prepare = AtomicWrites.prepare

    def refuse_the_summary(self, path, writer):
        if str(path) == str(summary):
            raise OutputError(f"cannot write {path}: no space left on device; free some space and retry")
        return prepare(self, path, writer)

    monkeypatch.setattr(AtomicWrites, "prepare", refuse_the_summary)
    result = _score(tmp_path, _contacts(tmp_path), "--summary-json", summary, exit_code=4)
    assert _error(result) == f"cannot write {summary}: no space left on device; free some space and retry"
    assert summary.read_text() == "yesterday\n"  # neither document could replace it; the exit code says so
    assert not (tmp_path / "o.csv").exists()


def test_a_summary_in_a_missing_folder_is_refused_before_the_run(tmp_path):
    summary = tmp_path / "nodir" / "s.json"
    result = _score(tmp_path, _contacts(tmp_path), "--summary-json", summary, exit_code=4)
    assert _error(result) == f"cannot write {summary}: directory {summary.parent} does not exist; create it first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts0.csv"]


def test_a_summary_that_is_an_input_is_never_written_over(tmp_path):
    contacts = _contacts(tmp_path)
    before = contacts.read_bytes()
    result = _score(tmp_path, contacts, "--summary-json", contacts, exit_code=2)
    assert "is both this run's --summary-json and one of its contacts inputs" in _error(result)
    assert contacts.read_bytes() == before


# --keep-columns


def test_a_column_name_with_a_comma_is_kept_whole_and_other_values_are_split(tmp_path):
    _score(tmp_path, _contacts(tmp_path), "-k", "Revenue, USD", "-k", "Email,Country")
    out = pl.read_csv(tmp_path / "o.csv", infer_schema=False)
    assert out.columns[-3:] == ["Revenue, USD", "Email", "Country"]
    assert out["Revenue, USD"].to_list()[:2] == ["1000", "2000"]


def test_a_value_that_is_no_column_is_split_on_its_commas(tmp_path):
    result = _score(tmp_path, _contacts(tmp_path), "-k", "Revenue,Email", exit_code=2)
    assert _error(result) == f"--keep-columns: no column 'Revenue' in {tmp_path / 'contacts0.csv'}; did you mean " \
                             "'Revenue, USD'?"
