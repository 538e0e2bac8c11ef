"""An operator's findings on inputs and outputs: cut-short files, JSON that is not records, messages
that name what happened, and standard input read by its format."""

from __future__ import annotations

import bz2
import errno
import gzip
import io
import lzma
import os
from pathlib import Path

import polars as pl
import pytest

from leadq.errors import EXIT_INPUT, EXIT_OUTPUT, EXIT_USAGE, OutputError
from leadq.inputs import ReadOptions, read_input_files
from leadq.outputs import write_frame
from tests.conftest import SAMPLE, SAMPLE_AS_OF, run_cli

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
CONTACTS = b"Lead ID,Title,Employees\nA,Director,500\nB,Intern,5\n"
RECORDS = b'{"Lead ID": "A", "Title": "Director", "Employees": 500}\n{"Lead ID": "B", "Title": "Intern", "Employees": 5}\n'
CUT_SHORT = ("it looks cut short (an interrupted download, copy or export?); fetch it again, or remove the incomplete "
             "record")


@pytest.fixture
def ruleset(tmp_path: Path) -> Path:
    path = tmp_path / "rs.yaml"
    path.write_text(RULESET)
    return path


def score(tmp_path: Path, ruleset: Path, *inputs: object, exit_code: int = 0, input: bytes | None = None,
          out: str = "o.csv", extra: tuple[str, ...] = ()):
    return run_cli(["score", *inputs, "-r", ruleset, "-o", tmp_path / out, "-q", "--as-of", SAMPLE_AS_OF, *extra],
                   input=input, exit_code=exit_code)


def scored_rows(path: Path) -> list[tuple[str, float]]:
    return [(row["lead_id"], row["total_score"]) for row in pl.read_csv(path, infer_schema=False).with_columns(
        pl.col("total_score").cast(pl.Float64)).iter_rows(named=True)]


# --- 1. a compressed file of 0 bytes is a failed download, not an empty input ------------------------------


@pytest.mark.parametrize(("name", "compression", "empty_size"), [
    ("c.csv.gz", "gzip", 20), ("c.ndjson.bz2", "bzip2", 14), ("c.csv.xz", "xz", 32)])
def test_a_compressed_file_of_zero_bytes_is_cut_short(tmp_path: Path, ruleset: Path, name: str, compression: str,
                                                      empty_size: int):
    path = tmp_path / name
    path.write_bytes(b"")
    result = score(tmp_path, ruleset, path, exit_code=EXIT_INPUT)
    assert result.stderr == (f"leadq: error: {path}: this {compression} file is cut short (0 bytes; even the "
                             f"{compression} data of an empty file is {empty_size} bytes): the download or copy "
                             "failed? Fetch or copy it again\n")
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(("name", "compress"), [
    ("c.csv.gz", gzip.compress), ("c.csv.bz2", bz2.compress), ("c.csv.xz", lzma.compress)])
def test_the_compressed_data_of_an_empty_file_is_still_an_empty_input(tmp_path: Path, ruleset: Path, name: str,
                                                                      compress):
    path = tmp_path / name
    path.write_bytes(compress(b""))
    result = run_cli(["score", path, "-r", ruleset, "-o", tmp_path / "o.csv", "--as-of", SAMPLE_AS_OF])
    assert "(the input holds no rows; an empty output was written)" in result.stdout
    assert (tmp_path / "o.csv").read_text().startswith("lead_id,")


def test_one_day_of_zero_bytes_in_an_activity_glob_stops_the_run(tmp_path: Path):
    # 306 events of that day were silently not counted.
    events = tmp_path / "events"
    events.mkdir()
    for day in sorted((SAMPLE / "events").glob("*.csv")):
        (events / f"{day.name}.gz").write_bytes(gzip.compress(day.read_bytes()))
    cut = events / "events-2026-06.csv.gz"
    cut.write_bytes(b"")
    result = run_cli(["score", SAMPLE / "contacts.csv", "-a", f"{events}/*.csv.gz", "-o", tmp_path / "o.csv", "-q",
                      "--as-of", SAMPLE_AS_OF], exit_code=EXIT_INPUT)
    assert result.stderr == (f"leadq: error: {cut}: this gzip file is cut short (0 bytes; even the gzip data of an "
                             "empty file is 20 bytes): the download or copy failed? Fetch or copy it again\n")


# --- 2. records without fields are missing every column, not an empty input --------------------------------


@pytest.mark.parametrize(("data", "fieldless", "rows"), [
    (b"{}\n{}\n{}\n", True, 3),
    (b"[{}, {}]", True, 2),
    (b"[]", False, 0),
    (b"\n \n", False, 0),
    (b'{}\n{"Lead ID": "A"}\n', False, 2),
])
def test_records_without_fields_are_told_from_an_empty_input(tmp_path: Path, data: bytes, fieldless: bool,
                                                            rows: int):
    path = tmp_path / "c.ndjson"
    path.write_bytes(data)
    (file,) = read_input_files([str(path)])
    assert (file.fieldless, file.frame.collect().height) == (fieldless, rows)
    (piped,) = read_input_files(["-"], stdin=io.BytesIO(data), options=ReadOptions(input_format="ndjson"))
    assert piped.fieldless == fieldless


def test_records_without_fields_are_missing_the_mapped_columns(tmp_path: Path, ruleset: Path):
    path = tmp_path / "c.ndjson"
    path.write_bytes(b"{}\n{}\n{}\n")
    result = score(tmp_path, ruleset, path, exit_code=EXIT_INPUT)
    assert result.stderr.startswith(f"leadq: error: {path}: missing columns 'Lead ID' (for lead_id), 'Title' (for "
                                    "job_title), 'Employees' (for company_size); the file has: ")


# --- 3a-c. JSON messages: whole sentences, JSON's names, arrays that are not of records ---------------------


@pytest.mark.parametrize(("name", "data", "message"), [
    # The last line stops inside a string: "Unterminated string starting at; ..." before.
    ("cut.ndjson", RECORDS + b'{"Lead ID": "C", "Title": "Direc',
     "line 3, column 27: invalid JSON: a string that starts here has no closing '\"'; the file ends inside this "
     f"record: {CUT_SHORT}"),
    ("cut_newline.ndjson", RECORDS + b'{"Lead ID": "C", "Title": "Direc\n\n',
     "line 3, column 27: invalid JSON: a string that starts here has no closing '\"'; the file ends inside this "
     f"record: {CUT_SHORT}"),
    ("cut_value.ndjson", RECORDS + b'{"Lead ID": "C", "Title":',
     f"line 3, column 26: invalid JSON: Expecting value; the file ends inside this record: {CUT_SHORT}"),
    # Not the last line: a record split over lines.
    ("split.ndjson", b'{"Lead ID": "C", "Title": "Direc\ntor"}\n' + RECORDS,
     "line 1, column 27: invalid JSON: a string that starts here has no closing '\"'; each line must hold one "
     "complete JSON object (a record split over several lines is JSON, not NDJSON)"),
    ("tab.ndjson", b'{"Lead ID": "C", "Title": "Dir\tector"}\n',
     "line 1, column 31: invalid JSON: a control character (a tab or line break) inside a string, where JSON "
     "writes \\t or \\n; each line must hold one complete JSON object (a record split over several lines is JSON, "
     "not NDJSON)"),
    ("cut.json", b'[{"Lead ID": "A"},\n {"Lead ID": "B", "Title": "Dir',
     f"line 2, column 28: invalid JSON: a string that starts here has no closing '\"'; the file ends inside the "
     f"array: {CUT_SHORT}"),
    ("comma.json", b'[{"Lead ID": "A"},\n {"Lead ID": "B",}]',
     "line 2, column 18: invalid JSON: Expecting property name enclosed in double quotes; fix or remove that "
     "record"),
    ("null.ndjson", RECORDS + b"null\n", "line 3: expected a JSON object ({...}), found null"),
    ("string.ndjson", RECORDS + b'"x"\n', "line 3: expected a JSON object ({...}), found a string"),
    ("number.ndjson", RECORDS + b"12\n", "line 3: expected a JSON object ({...}), found a number"),
    ("false.ndjson", RECORDS + b"false\n", "line 3: expected a JSON object ({...}), found false"),
    ("array.ndjson", RECORDS + b"[1, 2]\n", "line 3: expected a JSON object ({...}), found an array"),
    # An array of values, not records: Polars said "can only deserialize json objects; check that it is a
    # valid CSV, Parquet or NDJSON file".
    ("numbers.json", b"[1,2]", "this is a JSON array of numbers, not of records (objects, {...}); leadq reads one "
                               "record per lead or event: an array of objects, or NDJSON (one object a line)"),
    ("values.json", b'["a", 1, null, ["b"]]',
     "this is a JSON array of strings, numbers, nulls and arrays, not of records (objects, {...}); leadq reads "
     "one record per lead or event: an array of objects, or NDJSON (one object a line)"),
    ("mixed.json", b'[{"Lead ID": "A"}, true]',
     "record 2 of the JSON array is true, not a record (an object, {...}); fix or remove it"),
])
def test_json_problems_are_told_in_whole_sentences(tmp_path: Path, ruleset: Path, name: str, data: bytes,
                                                   message: str):
    path = tmp_path / name
    path.write_bytes(data)
    result = score(tmp_path, ruleset, path, exit_code=EXIT_INPUT)
    assert result.stderr == f"leadq: error: {path}: {message}\n"
    result = score(tmp_path, ruleset, "-", input=data, exit_code=EXIT_INPUT)
    assert result.stderr == f"leadq: error: <stdin>: {message}\n"


# --- 3d. a full device or disk under Parquet -------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("fmt", ["parquet", "csv", "ndjson"])
def test_dev_full_says_no_space_left_in_every_format(tmp_path: Path, ruleset: Path, fmt: str):
    contacts = tmp_path / "c.csv"
    contacts.write_bytes(CONTACTS)
    result = run_cli(["score", contacts, "-r", ruleset, "-o", "/dev/full", "-f", fmt, "-q", "--as-of", SAMPLE_AS_OF],
                     exit_code=EXIT_OUTPUT)
    assert result.stderr == "leadq: error: cannot write /dev/full: no space left on device; free some space and retry\n"


class _FullDisk(io.RawIOBase):
    """A file on a disk that is full from its ``room``-th byte."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return len(data)


@pytest.mark.parametrize("rows", [0, 5, 50])
@pytest.mark.parametrize("room", [0, 4, 1000])
def test_parquet_on_a_full_disk_raises_the_disk_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, rows: int,
                                                      room: int):
    # Polars' own text for a footer cut by a full disk was "Invalid thrift: transport error", naming no disk.
    from leadq import outputs

    monkeypatch.setattr(outputs, "is_stream_target", lambda path: True)
    monkeypatch.setattr(outputs, "open", lambda path, mode: _FullDisk(room), raising=False)
    df = pl.DataFrame({"lead_id": [f"L{i}" for i in range(rows)], "score": [1.5] * rows})
    with pytest.raises(OutputError) as info:
        write_frame(df, str(tmp_path / "o.parquet"), "parquet", metadata={"leadq": "x" * 2000})
    assert str(info.value) == (f"cannot write {tmp_path / 'o.parquet'}: no space left on device; free some space "
                               "and retry")


def test_parquet_written_through_the_error_keeping_writer_reads_back(tmp_path: Path):
    df = pl.DataFrame({"lead_id": [f"L{i}" for i in range(300_000)], "score": [float(i) for i in range(300_000)]})
    write_frame(df, str(tmp_path / "o.parquet"), "parquet", metadata={"ruleset": "rs"})
    assert pl.read_parquet(tmp_path / "o.parquet").equals(df)
    assert pl.read_parquet_metadata(tmp_path / "o.parquet")["ruleset"] == "rs"


# --- 3e. a read-only file system is named as such -------------------------------------------------------------


def test_a_read_only_file_system_is_named(tmp_path: Path, ruleset: Path, monkeypatch: pytest.MonkeyPatch):
    contacts = tmp_path / "c.csv"
    contacts.write_bytes(CONTACTS)
    out = tmp_path / "out"
    out.mkdir()
    real = os.statvfs

    class ReadOnly:
        def __init__(self, status: os.statvfs_result) -> None:
            self.f_flag = status.f_flag | os.ST_RDONLY

    monkeypatch.setattr(os, "statvfs", lambda p: ReadOnly(real(p)) if str(p) == str(out) else real(p))
    result = run_cli(["score", contacts, "-r", ruleset, "-o", out / "o.csv", "-q", "--as-of", SAMPLE_AS_OF],
                     exit_code=EXIT_OUTPUT)
    assert result.stderr == (f"leadq: error: cannot write {out / 'o.csv'}: {out} is on a read-only file system; "
                             "write elsewhere (a writable folder or volume), or mount it read-write\n")
    assert os.listdir(out) == []


def test_a_read_only_file_system_found_by_the_write_is_named(tmp_path: Path, ruleset: Path,
                                                             monkeypatch: pytest.MonkeyPatch):
    # No statvfs flag (a file system that says it only when written): the errno of the temporary file.
    contacts = tmp_path / "c.csv"
    contacts.write_bytes(CONTACTS)
    real = os.open

    def refused(path, flags, *args):
        if str(path).endswith(".tmp"):
            raise OSError(errno.EROFS, "Read-only file system", path)
        return real(path, flags, *args)

    monkeypatch.setattr(os, "open", refused)
    result = run_cli(["score", contacts, "-r", ruleset, "-o", tmp_path / "o.csv", "-q", "--as-of", SAMPLE_AS_OF],
                     exit_code=EXIT_OUTPUT)
    assert result.stderr == (f"leadq: error: cannot write {tmp_path / 'o.csv'}: {tmp_path} is on a read-only file "
                             "system; write elsewhere (a writable folder or volume), or mount it read-write\n")


# --- 3f. a byte that is not UTF-8: its line and column, and its offset in the file ------------------------


def test_a_byte_that_is_not_utf8_is_named_by_line_and_column(tmp_path: Path, ruleset: Path):
    raw = "Lead ID,Title,Employees\nA,Café Director,500\n".encode() + b"B,Dir\xe9ctor,5\n"
    contacts = tmp_path / "c.csv"
    contacts.write_bytes(raw)
    assert raw.index(b"\xe9") == 50
    message = ("line 3, column 6 (byte 50 of the file): the byte 0xe9 is not UTF-8, though the rest of the file's "
               "accented text is; fix that byte, or pass --encoding cp1252 (or latin-1) if the file is in that "
               "encoding")
    result = score(tmp_path, ruleset, contacts, exit_code=EXIT_INPUT)
    assert result.stderr == f"leadq: error: {contacts}: {message}\n"
    # Accented letters before it on its line count as one column each.
    raw = "Lead ID,Title,Employees\nA,Café Director,500\n".encode() + "B,Dé".encode() + b"\xe9ctor,5\n"
    contacts.write_bytes(raw)
    result = score(tmp_path, ruleset, contacts, exit_code=EXIT_INPUT)
    assert result.stderr.startswith(f"leadq: error: {contacts}: line 3, column 5 (byte 50 of the file): the byte "
                                    "0xe9 is not UTF-8")


# --- 4. standard input read by its format, as a named pipe is ---------------------------------------------


def _parquet(data: bytes) -> bytes:
    buffer = io.BytesIO()
    pl.read_csv(io.BytesIO(data), infer_schema=False).write_parquet(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["ndjson", "ndjson.gz", "json", "parquet"])
def test_standard_input_is_read_by_its_format(tmp_path: Path, ruleset: Path, kind: str):
    data = {"ndjson": RECORDS, "ndjson.gz": gzip.compress(RECORDS, mtime=0),
            "json": b'[{"Lead ID": "A", "Title": "Director", "Employees": 500},\n'
                    b' {"Lead ID": "B", "Title": "Intern", "Employees": 5}]',
            "parquet": _parquet(CONTACTS)}[kind]
    score(tmp_path, ruleset, "-", input=data)
    assert scored_rows(tmp_path / "o.csv") == [("A", 20.0), ("B", 0.0)]


def test_a_workbook_on_standard_input_is_read(tmp_path: Path):
    workbook = Path(__file__).parent / "fixtures" / "crm" / "hubspot_contacts.xlsx"
    run_cli(["score", workbook, "-o", tmp_path / "file.csv", "-q", "--as-of", SAMPLE_AS_OF])
    run_cli(["score", "-", "-o", tmp_path / "stdin.csv", "-q", "--as-of", SAMPLE_AS_OF], input=workbook.read_bytes())
    from_file = pl.read_csv(tmp_path / "file.csv", infer_schema=False).drop("source_file", strict=False)
    from_stdin = pl.read_csv(tmp_path / "stdin.csv", infer_schema=False).drop("source_file", strict=False)
    assert from_stdin.height == 2 and from_stdin.equals(from_file)


def test_csv_on_standard_input_stays_csv(tmp_path: Path, ruleset: Path):
    # A header in brackets (SQL Server's) is not JSON.
    rs = tmp_path / "brackets.yaml"
    rs.write_text(RULESET.replace("{lead_id: Lead ID, job_title: Title, company_size: Employees}",
                                  '{lead_id: "[Lead ID]", job_title: Title, company_size: Employees}'))
    score(tmp_path, rs, "-", input=b"[Lead ID],Title,Employees\nA,Director,500\n")
    assert scored_rows(tmp_path / "o.csv") == [("A", 20.0)]
    score(tmp_path, ruleset, "-", input=CONTACTS)
    assert scored_rows(tmp_path / "o.csv") == [("A", 20.0), ("B", 0.0)]


def test_input_format_still_overrides_what_standard_input_looks_like(tmp_path: Path, ruleset: Path):
    result = score(tmp_path, ruleset, "-", input=RECORDS, extra=("--input-format", "csv"), exit_code=EXIT_INPUT)
    assert result.stderr == ("leadq: error: <stdin>: this is not CSV text but JSON records (NDJSON, or a JSON array); "
                             "give it a .ndjson or .json extension or pass --input-format ndjson\n")
    score(tmp_path, ruleset, "-", input=RECORDS, extra=("--input-format", "ndjson"))
    assert scored_rows(tmp_path / "o.csv") == [("A", 20.0), ("B", 0.0)]


def test_format_from_content():
    from leadq.inputs import format_from_content

    assert [format_from_content(head) for head in (
        b"PAR1\x15", b"PK\x03\x04\x14", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b'{"a": 1}\n', b"\xef\xbb\xbf {}\n",
        b"[\n  {\n", b"[1, 2]", b"[Id],[Name]\n1,2\n", b"{x},y\n", b"Lead ID,Title\n")] == [
        "parquet", "excel", "excel", "ndjson", "ndjson", "ndjson", "ndjson", "csv", "csv", "csv"]


def test_usage_errors_are_unchanged_for_standard_input(tmp_path: Path, ruleset: Path):
    # --sheet still needs a workbook the command can see before reading: --input-format excel for stdin.
    result = score(tmp_path, ruleset, "-", input=CONTACTS, extra=("--sheet", "1"), exit_code=EXIT_USAGE)
    assert "--sheet works with workbook inputs only" in result.stderr
