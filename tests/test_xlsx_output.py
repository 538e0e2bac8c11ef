"""Excel (.xlsx) output: typed cells read back exactly, text never a formula, Excel's limits."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

import leadq.outputs as outputs
from conftest import run_cli
from leadq.errors import EXIT_OUTPUT, EXIT_USAGE, OutputError
from leadq.outputs import XLSX_TRUNCATED, write_frame

BAD = Path(__file__).parent / "bad_inputs"
SCORE = ["score", BAD / "good_contacts.csv", "-r", BAD / "base_ruleset.yaml", "--as-of", "2026-11-01", "-q"]


def _frame() -> pl.DataFrame:
    return pl.DataFrame({
        "lead_id": ["L1", "L2"],
        "total_score": [12.5, None],
        "fit_score": [-10, 7],
        "disqualified": [True, False],
        "disqualification_reasons": [["free email", "student"], None],
        "sla_due_at": [datetime(2026, 11, 2, 9, 30), None],
        "created": [datetime(2026, 1, 15, 14, 30), None],
        "recheck_at": [date(2026, 12, 31), None],
        "note": ['=HYPERLINK("http://evil.example","x")', "+49 30 1234"],
        "code": ["007", "http://example.com"],
        "=sum(A1)": ["@cmd", "-1"],
    }).with_columns(pl.col("sla_due_at").dt.replace_time_zone("Europe/Berlin"))


def test_cells_read_back_with_their_values_and_types(tmp_path: Path) -> None:
    path = tmp_path / "scored.xlsx"
    write_frame(_frame(), str(path), "xlsx", escape_formulas=True, metadata={"leadq.as_of": "2026-11-01T00:00:00Z"})
    back = pl.read_excel(path)
    assert back.schema == pl.Schema({
        "lead_id": pl.String, "total_score": pl.Float64, "fit_score": pl.Int64, "disqualified": pl.Boolean,
        "disqualification_reasons": pl.String, "sla_due_at": pl.Datetime("ms"), "created": pl.Datetime("ms"),
        "recheck_at": pl.Date, "note": pl.String, "code": pl.String, "=sum(A1)": pl.String})
    assert back.rows() == [
        ("L1", 12.5, -10, True, "free email; student", datetime(2026, 11, 2, 8, 30),  # 09:30 in Berlin is 08:30 UTC
         datetime(2026, 1, 15, 14, 30), date(2026, 12, 31), '=HYPERLINK("http://evil.example","x")', "007", "@cmd"),
        ("L2", None, 7, False, None, None, None, None, "+49 30 1234", "http://example.com", "-1"),
    ]
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        styles = z.read("xl/styles.xml").decode()
        custom = z.read("docProps/custom.xml").decode()
        names = z.namelist()
    assert "<f>" not in sheet  # no cell is a formula, the "=HYPERLINK" one included
    assert not any("hyperlink" in n.lower() or "externalLink" in n for n in names)
    assert 'formatCode="yyyy-mm-dd hh:mm:ss &quot;UTC&quot;"' in styles  # the zoned column says UTC
    assert "leadq.as_of" in custom and "2026-11-01T00:00:00Z" in custom


def test_the_utc_format_is_the_zoned_columns_only(tmp_path: Path) -> None:
    path = tmp_path / "o.xlsx"
    write_frame(_frame().select("sla_due_at", "created"), str(path), "xlsx")
    with zipfile.ZipFile(path) as z:
        styles = z.read("xl/styles.xml").decode()
    # Each format is listed twice (the cells', the table column's): the naive one's has no "UTC".
    assert styles.count('formatCode="yyyy-mm-dd hh:mm:ss &quot;UTC&quot;"') == 2
    assert styles.count('formatCode="yyyy-mm-dd hh:mm:ss"') == 2


def test_integers_beyond_2_to_53_are_text_and_others_numbers(tmp_path: Path) -> None:
    path = tmp_path / "o.xlsx"
    write_frame(pl.DataFrame({"big": [2**60, 1], "small": [2**53 - 1, -5]}), str(path), "xlsx")
    back = pl.read_excel(path)
    assert back.rows() == [("1152921504606846976", 2**53 - 1), ("1", -5)]


def test_text_longer_than_a_cell_holds_is_cut_with_a_marker(tmp_path: Path) -> None:
    path = tmp_path / "o.xlsx"
    fits = "y" * 32_767
    write_frame(pl.DataFrame({"explanation": ["x" * 40_000, fits, "short"], "emoji": ["😀" * 20_000, "a", None]}),
                str(path), "xlsx")
    back = pl.read_excel(path)
    cut = back["explanation"][0]
    assert len(cut) == 32_767 and cut == "x" * (32_767 - len(XLSX_TRUNCATED)) + XLSX_TRUNCATED
    assert back["explanation"][1:].to_list() == [fits, "short"]
    emoji = back["emoji"][0]
    assert emoji.endswith(XLSX_TRUNCATED) and len(emoji.encode("utf-16-le")) // 2 <= 32_767
    assert emoji == "😀" * 12_729 + XLSX_TRUNCATED


def test_more_rows_than_a_sheet_holds_is_an_output_error_before_writing(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs, "XLSX_MAX_ROWS", 3)  # the header and two leads
    path = tmp_path / "o.xlsx"
    path.write_bytes(b"previous")
    write_frame(pl.DataFrame({"a": [1, 2]}), str(path), "xlsx")
    with pytest.raises(OutputError) as info:
        write_frame(pl.DataFrame({"a": [1, 2, 3]}), str(path), "xlsx")
    assert str(info.value) == (f"cannot write {path}: 3 rows and the header do not fit an Excel sheet (3 rows at "
                               "most); write .csv or .parquet")
    assert pl.read_excel(path)["a"].to_list() == [1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.xlsx"]


def test_more_columns_than_a_sheet_holds_is_an_output_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs, "XLSX_MAX_COLUMNS", 2)
    with pytest.raises(OutputError, match=r"^cannot write .*o\.xlsx: 3 columns do not fit an Excel sheet \(2 "
                                          r"columns at most\); write \.csv or \.parquet$"):
        write_frame(pl.DataFrame({"a": [1], "b": [2], "c": [3]}), str(tmp_path / "o.xlsx"), "xlsx")
    assert list(tmp_path.iterdir()) == []


def test_score_writes_xlsx_with_rejects_as_csv_beside_it(tmp_path: Path) -> None:
    run_cli([*SCORE, "-o", tmp_path / "scored.xlsx"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scored.rejects.csv", "scored.xlsx"]
    back = pl.read_excel(tmp_path / "scored.xlsx")
    assert back.select("lead_id", "total_score", "grade", "explanation").rows() == [
        ("L1", 30, "A", "big company +20; work email +10"),
        ("L2", -10, "C", "junior -10"),
        ("L3", 30, "A", "big company +20; work email +10"),
    ]
    run_cli([*SCORE, "-o", tmp_path / "s", "--format", "xlsx"])  # a name of no format takes --format xlsx
    assert pl.read_excel(tmp_path / "s")["lead_id"].to_list() == ["L1", "L2", "L3"]


def test_score_row_limit_is_exit_4_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs, "XLSX_MAX_ROWS", 3)
    out = tmp_path / "scored.xlsx"
    result = run_cli([*SCORE, "-o", out], exit_code=EXIT_OUTPUT)
    assert result.stderr == (f"leadq: error: cannot write {out}: 3 rows and the header do not fit an Excel sheet "
                             "(3 rows at most); write .csv or .parquet\n")
    assert list(tmp_path.iterdir()) == []


def test_xlsx_to_stdout_or_under_gz_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli([*SCORE, "-o", "-", "--format", "xlsx"], exit_code=EXIT_USAGE)
    assert result.stderr == ("leadq: error: xlsx cannot be written to stdout; use --format csv or ndjson, or give "
                             "--out a file name\n")
    result = run_cli([*SCORE, "-o", "s.xlsx.gz"], exit_code=EXIT_USAGE)
    assert result.stderr == ("leadq: error: --out s.xlsx.gz: leadq does not write an .xlsx workbook (a zip file) "
                             "compressed again; write .xlsx, which is compressed already\n")
    result = run_cli([*SCORE, "-o", "s.xlsx", "--format", "csv"], exit_code=EXIT_USAGE)
    assert result.stderr.startswith("leadq: error: --format csv contradicts --out s.xlsx, a xlsx name")
    assert list(tmp_path.iterdir()) == []


def test_previous_reads_an_xlsx_output(tmp_path: Path) -> None:
    out = tmp_path / "scored.xlsx"
    run_cli([*SCORE, "-o", out, "--previous", out])  # the first run starts the file
    assert pl.read_excel(out)["change"].to_list() == ["new", "new", "new"]
    run_cli([*SCORE, "-o", out, "--previous", out, "--changes", tmp_path / "handoff.xlsx"])
    assert pl.read_excel(out).select("lead_id", "previous_tier", "score_change", "change").rows() == [
        ("L1", "nurture", 0, "unchanged"), ("L2", "nurture", 0, "unchanged"), ("L3", "nurture", 0, "unchanged")]
    assert pl.read_excel(tmp_path / "handoff.xlsx").height == 0


def test_accounts_are_named_after_the_workbook() -> None:
    from leadq.cli.score import _accounts_path

    assert _accounts_path("account", "out/scored.xlsx", "xlsx", False) == "out/scored.accounts.xlsx"
    assert _accounts_path("account", "out/scores.2026-12-02.XLSX", "xlsx", False) == \
        "out/scores.2026-12-02.accounts.xlsx"
