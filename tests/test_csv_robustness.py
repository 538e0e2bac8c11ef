"""Hostile or damaged CSV input and output names: wide headers, renamed repeats, NUL bytes, stray
carriage returns, invalid UTF-8, formula-like header cells, a folder given as --out."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest

from leadq.csv_input import clean_column_names, free_name
from leadq.errors import EXIT_INPUT
from leadq.outputs import write_frame
from tests.conftest import run_cli

RULESET = """\
version: 1
columns: {lead_id: Lead ID, job_title: Title, company_size: Employees}
fit:
  - id: dir
    when: job_title matches "director"
    points: 10
  - id: big
    when: company_size > 100
    points: 10
tiers:
  - name: x
    otherwise: true
"""


@pytest.fixture
def ruleset(tmp_path: Path) -> Path:
    path = tmp_path / "rs.yaml"
    path.write_text(RULESET)
    return path


def csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


# --- header names: linear, and renamed copies never take a name the header has ---------------------


def test_wide_header_is_cleaned_in_linear_time():
    # 200,000 names took minutes with a list lookup per name; a set makes it milliseconds.
    raw = [f"c{i}" for i in range(200_000)] + ["c7", "c7"]
    names = clean_column_names(raw, "wide.csv")
    assert len(names) == 200_002
    assert len(set(names)) == 200_002
    assert names[-2:] == ["c7 (column 200001)", "c7 (column 200002)"]


def test_wide_frame_is_written_as_csv(tmp_path: Path):
    # One expression escapes every text column; an expression per column took 3.5 s for 10,000
    # columns and 12 s for 40,000.
    names = [f"c{i}" for i in range(10_000)]
    frame = pl.DataFrame({name: ["=1" if i < 3 else "x"] for i, name in enumerate(names)})
    out = tmp_path / "wide.csv"
    write_frame(frame, str(out), "csv")
    header, row = csv_rows(out)
    assert header == names
    assert row[:4] == ["'=1", "'=1", "'=1", "x"]
    assert len(row) == 10_000


def test_wide_file_scores(tmp_path: Path, ruleset: Path):
    # 5,000 columns (an expression per column in the reader and the writer: 4.9 s, 20,000: 20 s). A
    # column named like a pattern ("^c.*$") is read as the one column it names.
    contacts = tmp_path / "wide.csv"
    extra = ["^c.*$", "=k"] + [f"c{i}" for i in range(5_000)]
    contacts.write_text(",".join(["Lead ID", "Title", "Employees", *extra]) + "\n"
                        + ",".join(["A", " Director ", "500", "p", " =x ", *["v"] * 5_000]) + "\n")
    out = tmp_path / "o.csv"
    run_cli(["score", contacts, "-r", ruleset, "-o", out, "-q", "--keep-columns", "=k,c4999"])
    assert csv_rows(out)[0][-2:] == ["'=k", "c4999"]
    assert csv_rows(out)[1] == ["A", "20.0", "0.0", "20.0", "C", "x", "false", "", "dir +10; big +10", "'=x", "v"]


def test_repeated_name_never_takes_a_name_the_header_has():
    names = clean_column_names(["Lead ID", "Title", "Employees", "X", "X (column 6)", "X"], "f.csv")
    assert names == ["Lead ID", "Title", "Employees", "X", "X (column 6)", "X (column 6) (2)"]
    # A later column's own name is kept too: the copy gives way, not the column named so.
    assert clean_column_names(["X", "X", "X (column 2)"], "f.csv") == ["X", "X (column 2) (2)", "X (column 2)"]
    assert clean_column_names(["a", " ", "a", " a "], "f.csv") == ["a", "column_2", "a (column 3)", "a (column 4)"]


def test_free_name():
    assert free_name("reason (input)", {"reason"}) == "reason (input)"
    assert free_name("reason (input)", {"reason (input)", "reason (input) (2)"}) == "reason (input) (3)"


def test_repeat_named_like_a_renamed_copy_scores(tmp_path: Path, ruleset: Path):
    # The third X was renamed 'X (column 6)', the fifth column's name: Polars stopped the run (exit 70).
    contacts = tmp_path / "c.csv"
    contacts.write_text("Lead ID,Title,Employees,X,X (column 6),X\nA,Director,500,1,2,3\n")
    out = tmp_path / "o.csv"
    run_cli(["score", contacts, "-r", ruleset, "-o", out, "-q", "--keep-columns", "X (column 6),X (column 6) (2)"])
    header, row = csv_rows(out)
    assert header[-2:] == ["X (column 6)", "X (column 6) (2)"]
    assert row[0] == "A" and row[-2:] == ["2", "3"]


# --- formula-like header cells are escaped as values are, in every CSV leadq writes -----------------

FORMULA_HEADER = 'Lead ID,Title,Employees,=HYPERLINK("http://e"),@x\n=A1,Director,abc,1,2\nB,Director,500,=3,+4\n'


def test_header_cells_escaped_in_scored_and_rejects(tmp_path: Path, ruleset: Path):
    contacts = tmp_path / "hdr.csv"
    contacts.write_text(FORMULA_HEADER)
    out = tmp_path / "h.csv"
    run_cli(["score", contacts, "-r", ruleset, "-o", out, "-q", "--keep-columns", '=HYPERLINK("http://e"),@x'])
    header, row = csv_rows(out)
    assert header[-2:] == ["'=HYPERLINK(\"http://e\")", "'@x"]
    assert row[0] == "B" and row[-2:] == ["'=3", "'+4"]
    assert csv_rows(tmp_path / "h.rejects.csv") == [
        ["source_file", "source_row", "reason", "Lead ID", "Title", "Employees", "'=HYPERLINK(\"http://e\")", "'@x"],
        [str(contacts), "1", "unreadable number in 'Employees'", "'=A1", "Director", "abc", "1", "2"],
    ]
    # --previous reads the file back: the same leads, unchanged.
    again = tmp_path / "h2.csv"
    run_cli(["score", contacts, "-r", ruleset, "-o", again, "-q", "--previous", out,
             "--keep-columns", '=HYPERLINK("http://e"),@x'])
    header, row = csv_rows(again)
    assert header[-5:] == ["'=HYPERLINK(\"http://e\")", "'@x", "previous_tier", "score_change", "change"]
    assert row[-3:] == ["x", "0.0", "unchanged"]


def test_header_escape_keeps_names_apart_and_can_be_turned_off(tmp_path: Path):
    frame = pl.DataFrame({"=a": ["1"], "'=a": ["2"], "-b": [3]})
    out = tmp_path / "o.csv"
    write_frame(frame, str(out), "csv")
    assert csv_rows(out) == [["'=a (2)", "'=a", "'-b"], ["1", "2", "3"]]
    write_frame(frame, str(out), "csv", escape_formulas=False)
    assert csv_rows(out) == [["=a", "'=a", "-b"], ["1", "2", "3"]]


# --- NUL bytes, stray carriage returns, UTF-8 with a few bad bytes ----------------------------------

CONTACTS = "Lead ID,Email,Title,Company,Employees,Industry,Country\nA,a@x.com,Director,Acme,500,SaaS,UK\n"
NUL_ERROR = ("line {} holds NUL bytes (a binary file, or a file cut short and padded?); export the file again, "
             "or remove the NUL bytes")


@pytest.mark.parametrize(("tail", "line"), [
    (b"\0" * 4096, 3),  # a file cut short and padded with zeros: it became a lead whose id is NUL bytes
    (b"\0\0\0\n", 3),
    (b"B\0,b@x.com,Director,Acme,500,SaaS,UK\n", 3),
    (b"B,b@x.com,Director,Acme,500,SaaS,UK\n" * 3 + b"C,\0\n", 6),
])
def test_nul_bytes_are_an_input_error_naming_the_line(tmp_path: Path, ruleset: Path, tail: bytes, line: int):
    contacts = tmp_path / "c.csv"
    contacts.write_bytes(CONTACTS.encode() + tail)
    result = run_cli(["score", contacts, "-r", ruleset, "-o", tmp_path / "o.csv"], exit_code=EXIT_INPUT)
    assert result.stderr == f"leadq: error: {contacts}: {NUL_ERROR.format(line)}\n"
    # From stdin (read whole) too.
    result = run_cli(["score", "-", "-r", ruleset, "-o", tmp_path / "o.csv"], input=contacts.read_bytes(),
                     exit_code=EXIT_INPUT)
    assert result.stderr == f"leadq: error: <stdin>: {NUL_ERROR.format(line)}\n"


def test_nul_on_the_first_line_keeps_its_own_message(tmp_path: Path, ruleset: Path):
    contacts = tmp_path / "c.csv"
    contacts.write_bytes(b"Lead ID\0,Title\nA,B\n")
    result = run_cli(["score", contacts, "-r", ruleset, "-o", tmp_path / "o.csv"], exit_code=EXIT_INPUT)
    assert result.stderr == (f"leadq: error: {contacts}: this is not CSV text: its first line holds NUL bytes (a "
                             "binary file, or UTF-16 without a byte-order mark: pass --encoding utf-16-le)\n")


def test_stray_carriage_return_is_named(tmp_path: Path, ruleset: Path):
    contacts = tmp_path / "c.csv"
    contacts.write_bytes(CONTACTS.encode() + b"B,b@x.com,Director,Acme,500,SaaS,UK\rC,c@x.com,Director,Acme,5,SaaS,UK\n"
                         b"D,d@x.com,Director,Acme,500,SaaS,UK\r\n")
    result = run_cli(["score", contacts, "-r", ruleset, "-o", tmp_path / "o.csv"], exit_code=EXIT_INPUT)
    assert result.stderr == (f"leadq: error: {contacts}: line 3 holds a carriage return (\\r) inside it: mixed "
                             "line endings? convert the file with dos2unix (expected 7 fields, found 13)\n")
    # A short line without one keeps the usual message.
    contacts.write_bytes(CONTACTS.encode() + b"garbage\n")
    result = run_cli(["score", contacts, "-r", ruleset, "-o", tmp_path / "o.csv"], exit_code=EXIT_INPUT)
    assert result.stderr == (f"leadq: error: {contacts}: line 3: expected 7 fields, found 1; check the delimiter "
                             "or quoting\n")


UTF8_ERROR = ("line {}, column 6 (byte {} of the file): the byte 0xe9 is not UTF-8, though the rest of the file's "
              "accented text is; fix that byte, or pass --encoding cp1252 (or latin-1) if the file is in that encoding")


def test_utf8_with_a_bad_byte_is_refused(tmp_path: Path, ruleset: Path, monkeypatch: pytest.MonkeyPatch):
    contacts = tmp_path / "c.csv"
    raw = "Lead ID,Title,Employees\nA,Café Director,500\n".encode() + b"B,Dir\xe9ctor,5\n"
    contacts.write_bytes(raw)
    result = run_cli(["score", contacts, "-r", ruleset, "-o", tmp_path / "o.csv"], exit_code=EXIT_INPUT)
    assert result.stderr == f"leadq: error: {contacts}: {UTF8_ERROR.format(3, 50)}\n"
    result = run_cli(["score", "-", "-r", ruleset, "-o", tmp_path / "o.csv"], input=raw, exit_code=EXIT_INPUT)
    assert result.stderr == f"leadq: error: <stdin>: {UTF8_ERROR.format(3, 50)}\n"
    # The offset past a chunk, with a UTF-8 sequence cut by the chunk's end.
    monkeypatch.setattr("leadq.csv_input._CHUNK", 30)  # "...A,Caf\xc3" then "\xa9 Director..."
    result = run_cli(["score", contacts, "-r", ruleset, "-o", tmp_path / "o.csv"], exit_code=EXIT_INPUT)
    assert result.stderr == f"leadq: error: {contacts}: {UTF8_ERROR.format(3, 50)}\n"
    # As told, it is read as cp1252.
    run_cli(["score", contacts, "-r", ruleset, "-o", tmp_path / "o.csv", "-q", "--encoding", "cp1252"])
    assert [row[0] for row in csv_rows(tmp_path / "o.csv")] == ["lead_id", "A", "B"]


def test_windows_export_without_utf8_is_still_read_as_cp1252(tmp_path: Path, ruleset: Path):
    contacts = tmp_path / "c.csv"
    contacts.write_bytes(b"Lead ID,Title,Employees\nA,Caf\xe9 Director,500\n")
    out = tmp_path / "o.csv"
    run_cli(["score", contacts, "-r", ruleset, "-o", out, "-q", "--keep-columns", "Title"])
    assert csv_rows(out)[1][-1] == "Café Director"


# --- a folder as --out ------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", [".", "/", "..", "./"])
def test_folder_as_out_is_an_output_error(tmp_path: Path, ruleset: Path, monkeypatch: pytest.MonkeyPatch,
                                          folder: str):
    # "." and "/" ended in "internal error: ValueError: PosixPath('.') has an empty name" (exit 70).
    contacts = tmp_path / "c.csv"
    contacts.write_text("Lead ID,Title,Employees\nA,Director,500\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli(["score", contacts, "-r", ruleset, "-o", folder], exit_code=4)
    assert result.stderr == f"leadq: error: cannot write {folder}: it is a directory; give a file name\n"


def test_sibling_of_a_folder():
    from leadq.cli import sibling_path

    assert sibling_path(".", "rejects", "csv") == "scored.rejects.csv"
    assert sibling_path("/", "accounts", default_ext="parquet") == "/scored.accounts.parquet"
    assert sibling_path("..", "rejects", "csv") == "../scored.rejects.csv"
    assert sibling_path("out/scored.csv.gz", "rejects", "csv") == "out/scored.rejects.csv"


def test_a_contacts_column_named_like_a_renamed_reason_keeps_both_in_the_rejects(tmp_path):
    # Columns 'reason' and 'reason (input)': the rejects file stopped the run with Polars' "duplicate output
    # name 'reason (input)'" (exit 3).
    (tmp_path / "r.yaml").write_text("version: 1\ncolumns: {lead_id: Lead ID, company_size: Employees}\n"
                                     "fit:\n  - {id: big, when: company_size > 5000, points: 20}\n"
                                     "tiers:\n  - {name: all, otherwise: true}\n")
    (tmp_path / "c.csv").write_text("Lead ID,Employees,reason,reason (input)\n,5,a,b\nB,6,c,d\n")
    run_cli(["score", tmp_path / "c.csv", "-r", tmp_path / "r.yaml", "-o", tmp_path / "o.csv", "-q"])
    assert (tmp_path / "o.rejects.csv").read_text() == (
        "source_file,source_row,reason,Lead ID,Employees,reason (input) (2),reason (input)\n"
        f"{tmp_path / 'c.csv'},1,missing lead id,,5,a,b\n")


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 16, 1 << 20])
def test_the_line_of_a_nul_byte_is_the_same_whatever_the_chunks(tmp_path, monkeypatch, chunk):
    from leadq import csv_input

    monkeypatch.setattr(csv_input, "_CHUNK", chunk)
    path = tmp_path / "c.csv"
    path.write_bytes(b"id,title\n1,a\n2,b\n\n3,c\r\n4,\0d\n5,e\n")
    assert csv_input._nul_line(str(path)) == 6
    path.write_bytes(b"id,title\n1,a\n")
    assert csv_input._nul_line(str(path)) is None
