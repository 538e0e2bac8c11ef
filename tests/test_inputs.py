"""Tests for leadq.inputs: input expansion, encodings, delimiters, CSV checks, native formats."""

from __future__ import annotations

import codecs
import csv
import io
import os
import random
import re
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from leadq.csv_input import _report_footer, clean_column_names, text_rows
from leadq.errors import EXIT_INPUT, EXIT_USAGE, InputError, UsageError
from leadq.excel_input import (
    _header_index,
    _refuse_grouped_report,
    _table_end,
)
from leadq.inputs import (
    ReadOptions,
    collect_input,
    expand_inputs,
    input_error_from_polars,
    read_input_files,
    read_inputs,
    run_counted,
)
from leadq.number_text import NUMBER_CELL_PREFIX
from leadq.provenance import ReportRows

REPO = Path(__file__).resolve().parents[1]


def expected(label: str, rows: list[int], **columns: list[str | None]) -> pl.DataFrame:
    """The frame read_inputs yields for a CSV: String columns then provenance."""
    data = {name: pl.Series(name, values, dtype=pl.String) for name, values in columns.items()}
    return pl.DataFrame(
        {
            **data,
            "_source_file": pl.Series([label] * len(rows), dtype=pl.String),
            "_source_row": pl.Series(rows, dtype=pl.Int64),
        }
    )


def read(path: Path | str, **options: str) -> pl.DataFrame:
    return visible(collect_input(read_inputs([str(path)], ReadOptions(**options)), str(path)))


def visible(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame without the numbers kept beside a workbook's or NDJSON's text (``_source_number::``)."""
    return frame.select(pl.exclude(f"^{re.escape(NUMBER_CELL_PREFIX)}.*$"))


def write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path

# --------------------------------------------------------------------------- #
# Encodings and delimiters
# --------------------------------------------------------------------------- #

ACCENTED = expected("", [1, 2], name=["José", "Zoë"], city=["Málaga", "Köln"])


def with_label(df: pl.DataFrame, label: str) -> pl.DataFrame:
    return df.with_columns(pl.lit(label).alias("_source_file"))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("name,city\nJosé,Málaga\nZoë,Köln\n".encode("utf-8"), id="utf8"),
        pytest.param(codecs.BOM_UTF8 + "name,city\nJosé,Málaga\nZoë,Köln\n".encode("utf-8"), id="utf8-bom"),
        pytest.param("name,city\r\nJosé,Málaga\r\nZoë,Köln\r\n".encode("utf-8"), id="utf8-crlf"),
        pytest.param(
            codecs.BOM_UTF16_LE + "name\tcity\r\nJosé\tMálaga\r\nZoë\tKöln\r\n".encode("utf-16-le"),
            id="utf16le-tab",
        ),
        pytest.param(
            codecs.BOM_UTF16_BE + "name\tcity\r\nJosé\tMálaga\r\nZoë\tKöln\r\n".encode("utf-16-be"),
            id="utf16be-tab",
        ),
        pytest.param("name;city\nJosé;Málaga\nZoë;Köln\n".encode("cp1252"), id="cp1252-semicolon"),
        pytest.param("name,city\nJosé,Málaga\nZoë,Köln\n".encode("latin-1"), id="latin1"),
        # UTF-16 without a byte-order mark: told by the NUL in every other byte.
        pytest.param("name,city\r\nJosé,Málaga\r\nZoë,Köln\r\n".encode("utf-16-le"), id="utf16le-no-bom"),
        pytest.param("name\tcity\nJosé\tMálaga\nZoë\tKöln\n".encode("utf-16-be"), id="utf16be-no-bom"),
        # Classic Mac OS line ends (CR only), as Excel for Mac wrote CSV.
        pytest.param("name,city\rJosé,Málaga\rZoë,Köln\r".encode("utf-8"), id="utf8-cr"),
        pytest.param("name;city\rJosé;Málaga\rZoë;Köln".encode("cp1252"), id="cp1252-cr"),
        # Blank lines before the header are skipped.
        pytest.param("\n  \r\nname,city\nJosé,Málaga\nZoë,Köln\n".encode("utf-8"), id="utf8-blank-lines-first"),
        pytest.param("\r\n\r\nname,city\r\nJosé,Málaga\r\nZoë,Köln\r\n".encode("cp1252"),
                     id="cp1252-blank-lines-first"),
        # Excel's "sep=" line names the delimiter (a semicolon here, though a comma is in the header).
        pytest.param("sep=;\nname;city\nJosé;Málaga\nZoë;Köln\n".encode("utf-8"), id="excel-sep-line"),
        pytest.param("\r\nsep=\t\r\nname\tcity\r\nJosé\tMálaga\r\nZoë\tKöln\r\n".encode("utf-16-le"),
                     id="excel-sep-tab-utf16"),
    ],
)
def test_encodings_are_detected(tmp_path: Path, data: bytes) -> None:
    path = write_bytes(tmp_path, "leads.csv", data)
    assert_frame_equal(read(path), with_label(ACCENTED, str(path)))


def test_classic_mac_line_ends_keep_quoted_line_breaks_and_row_numbers(tmp_path: Path) -> None:
    # A CR inside quotes is a line break in the value; it reads as LF, like every line end of the file.
    path = write_bytes(tmp_path, "mac.csv", b'name,note\rAda,"two\rlines"\r\rBob,x\r')
    assert_frame_equal(read(path), expected(str(path), [1, 3], name=["Ada", "Bob"], note=["two\nlines", "x"]))
    stdin = io.BytesIO(b"name,note\rAda,one\r")
    assert_frame_equal(collect_input(read_inputs(["-"], stdin=stdin), "<stdin>"),
                       expected("<stdin>", [1], name=["Ada"], note=["one"]))


@pytest.mark.parametrize(("data", "line"), [
    (b"name,note\rAda,x\rBob,x,y\r", 3),  # CR line ends
    (b"\n\nname,note\nAda,x\nBob,x,y\n", 5),  # blank lines before the header still count
    (b"sep=,\nname,note\nAda,x\nBob,x,y\n", 4),  # so does Excel's "sep=" line
])
def test_ragged_rows_name_the_physical_line(tmp_path: Path, data: bytes, line: int) -> None:
    path = write_bytes(tmp_path, "r.csv", data)
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value) == f"{path}: line {line}: expected 2 fields, found 3; check the delimiter or quoting"


def _parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"Email": ["a@b.c"]}).write_parquet(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "message"), [
    (_parquet_bytes(), "this is not CSV text but a Parquet file; give it a .parquet extension or pass "
                       "--input-format parquet"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00[Content_Types].xml", "this is not CSV text but a zip archive (an Excel "
                                                              "workbook?); name it .xlsx or pass --input-format "
                                                              "excel, or export the sheet as CSV"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "this is not CSV text but an old Excel (.xls) workbook; "
                                                   "name it .xls or pass --input-format excel, or export the "
                                                   "sheet as CSV"),
    (b"Email,Na\x00me\n1,2\n", "this is not CSV text: its first line holds NUL bytes (a binary file, or UTF-16 "
                              "without a byte-order mark: pass --encoding utf-16-le)"),
    *((data, "this is not CSV text but JSON records (NDJSON, or a JSON array); give it a .ndjson or .json "
             "extension or pass --input-format ndjson")
      for data in (b'{"Email": "a@b.co", "Name": "A, B"}\n{"Email": null}\n', b'\n [{"Email": "a@b.co"}]',
                   b'[\n  {\n    "Email": "a@b.co"\n  }\n]\n', b"\xef\xbb\xbf{ }\n")),
])
def test_files_that_are_not_csv_text_say_what_they_are(tmp_path: Path, data: bytes, message: str) -> None:
    path = write_bytes(tmp_path, "leads.csv", data)
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value) == f"{path}: {message}"
    assert info.value.exit_code == EXIT_INPUT


def test_json_on_stdin_is_read_as_json_and_a_header_in_brackets_is_csv(tmp_path: Path) -> None:
    # Standard input is told by its first bytes, as a named pipe is; --input-format csv still reads it as CSV.
    records = b'{"Record ID": "1", "Job Title": "Owner"}\n'
    assert visible(collect_input(read_inputs(["-"], stdin=io.BytesIO(records)), "<stdin>")).to_dicts() == [
        {"Record ID": "1", "Job Title": "Owner", "_source_file": "<stdin>", "_source_row": 1}]
    with pytest.raises(InputError, match=r"^<stdin>: this is not CSV text but JSON records .* --input-format ndjson"):
        read_inputs(["-"], ReadOptions(input_format="csv"), stdin=io.BytesIO(records))
    assert read(write_bytes(tmp_path, "b.csv", b"[id],{name}\n1,a\n"))["[id]"].to_list() == ["1"]


def test_header_the_csv_module_cannot_read_is_an_input_error() -> None:
    from leadq.csv_input import _csv_frame

    with pytest.raises(InputError, match=r"^x\.csv: line 1: cannot read the header as CSV \(new-line character"):
        _csv_frame(b"", "a\rb,c\n", "x.csv", None)


def test_cp1252_specific_characters(tmp_path: Path) -> None:
    # 0x80 is the euro sign in cp1252 and a control character in Latin-1.
    path = write_bytes(tmp_path, "leads.csv", "deal,note\n€500,“quoted”\n".encode("cp1252"))
    assert_frame_equal(read(path), expected(str(path), [1], deal=["€500"], note=["“quoted”"]))


def test_forced_encoding_overrides_detection(tmp_path: Path) -> None:
    # Valid UTF-8 bytes, but the user says they are Latin-1: honour it.
    path = write_bytes(tmp_path, "leads.csv", "name\nJosé\n".encode("utf-8"))
    assert_frame_equal(read(path, encoding="latin-1"), expected(str(path), [1], name=["JosÃ©"]))


def test_forced_utf16_le_with_bom_strips_bom(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "leads.txt", codecs.BOM_UTF16_LE + "id\tname\n1\tAda\n".encode("utf-16-le"))
    assert_frame_equal(read(path, encoding="utf-16-le"), expected(str(path), [1], id=["1"], name=["Ada"]))


def test_unknown_encoding_is_a_usage_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "leads.csv", b"a\n1\n")
    with pytest.raises(UsageError, match="unknown encoding 'klingon'") as info:
        read_inputs([str(path)], ReadOptions(encoding="klingon"))
    assert info.value.exit_code == EXIT_USAGE


def test_undecodable_forced_encoding_names_file(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "leads.csv", b"a\n\xff\xfe\xfa\n")
    with pytest.raises(InputError) as info:
        read_inputs([str(path)], ReadOptions(encoding="ascii"))
    assert str(path) in str(info.value) and "--encoding" in str(info.value)


@pytest.mark.parametrize(
    ("header", "sep"),
    [("a,b;c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ('"x;y",b,c', ",")],
)
def test_delimiter_detected_from_header(tmp_path: Path, header: str, sep: str) -> None:
    names = next(__import__("csv").reader([header], delimiter=sep))
    row = sep.join(["1", "2", "3"][: len(names)])
    path = write_bytes(tmp_path, "d.csv", f"{header}\n{row}\n".encode())
    df = read(path)
    assert df.columns[:-2] == names
    assert df.row(0)[: len(names)] == tuple(["1", "2", "3"][: len(names)])


def test_quoted_semicolons_do_not_fool_detection(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "d.csv", b'"a;b;c;d",e\n"1;2",3\n')
    assert_frame_equal(read(path), expected(str(path), [1], **{"a;b;c;d": ["1;2"], "e": ["3"]}))


def test_delimiter_option_forces(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "d.csv", b"a,b|c\n1,2|3\n")
    assert_frame_equal(read(path, delimiter="|"), expected(str(path), [1], **{"a,b": ["1,2"], "c": ["3"]}))
    assert_frame_equal(
        read(path, delimiter="tab"), expected(str(path), [1], **{"a,b|c": ["1,2|3"]})
    )


def test_bad_delimiter_option_is_usage_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "d.csv", b"a\n1\n")
    with pytest.raises(UsageError, match="invalid delimiter"):
        read_inputs([str(path)], ReadOptions(delimiter=";;"))


# --------------------------------------------------------------------------- #
# CSV shape and values
# --------------------------------------------------------------------------- #


def test_whitespace_and_empty_values_become_null_and_names_are_stripped(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "w.csv", codecs.BOM_UTF8 + b" email , score \n  a@x.io  ,   \n,7\n")
    assert_frame_equal(read(path), expected(str(path), [1, 2], email=["a@x.io", None], score=[None, "7"]))


def test_everything_is_string_even_mixed_columns(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "m.csv", b"v\n1\n2.5\nabc\n2024-01-01\n")
    df = read(path)
    assert df.schema["v"] == pl.String
    assert df["v"].to_list() == ["1", "2.5", "abc", "2024-01-01"]


def test_embedded_newlines_and_delimiters_keep_row_numbers(tmp_path: Path) -> None:
    data = b'id,note\n1,"line one\nline two, with comma"\n2,plain\n3,"a\n\nb"\n4,last\n'
    path = write_bytes(tmp_path, "n.csv", data)
    assert_frame_equal(
        read(path),
        expected(
            str(path),
            [1, 2, 3, 4],
            id=["1", "2", "3", "4"],
            note=["line one\nline two, with comma", "plain", "a\n\nb", "last"],
        ),
    )


def test_trailing_empty_lines_are_ignored(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "t.csv", b"a,b\n1,2\n3,4\n\n\n\r\n")
    assert_frame_equal(read(path), expected(str(path), [1, 2], a=["1", "3"], b=["2", "4"]))


def test_header_only_file_has_columns_and_no_rows(tmp_path: Path) -> None:
    for data in (b"email,company\n", b"email,company"):
        path = write_bytes(tmp_path, "h.csv", data)
        assert_frame_equal(read(path), expected(str(path), [], email=[], company=[]))


def test_zero_byte_file_has_no_rows_and_no_columns(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "e.csv", b"")
    df = read(path)
    assert df.shape == (0, 2)
    assert df.columns == ["_source_file", "_source_row"]


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf \r\n\t\n"])
def test_an_ndjson_file_of_zero_bytes_or_blank_lines_is_an_empty_input_as_for_csv(tmp_path: Path,
                                                                                    data: bytes) -> None:
    path = write_bytes(tmp_path, "e.ndjson", data)
    for df in (read(path), collect_input(read_inputs(["-"], ReadOptions(input_format="ndjson"),
                                                     stdin=io.BytesIO(data)), "<stdin>")):
        assert df.shape == (0, 2)
        assert df.columns == ["_source_file", "_source_row"]


@pytest.mark.parametrize(
    ("data", "line", "found"),
    [
        (b"a,b,c,d,e\n1,2,3,4,5\n1,2,3,4,5,6\n", 3, 6),
        (b"a,b,c,d,e\n1,2,3,4,5\n1,2,3,4\n", 3, 4),
        # The 6th record, on physical line 8: a quoted newline and blank lines precede it.
        (b'a,b,c,d,e\n1,2,3,4,5\n1,"x\ny",3,4,5\n\n1,2,3,4,5\n\n1,2,3,4,5,6\n', 8, 6),
    ],
)
def test_ragged_rows_name_file_and_line(tmp_path: Path, data: bytes, line: int, found: int) -> None:
    path = write_bytes(tmp_path, "r.csv", data)
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value) == (
        f"{path}: line {line}: expected 5 fields, found {found}; check the delimiter or quoting"
    )
    assert info.value.exit_code == EXIT_INPUT


SALESFORCE_FOOTER = (b'\n\n"Leads with converted lead information"\n'
                     b'"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
                     b'"Confidential Information - Do Not Distribute"\n'
                     b'"Generated By:  Pat Smith  11/23/2026 9:05 AM"\n"Acme, Inc."\n')


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n"])
def test_a_report_footer_is_not_read_as_records(tmp_path: Path, line_end: bytes) -> None:
    # Salesforce ends a report exported as CSV with a blank line and a few one-field lines.
    data = (b'"Lead ID","Email"\n"00Q1","a@x.com"\n"00Q2","b@y.com"\n' + SALESFORCE_FOOTER).replace(b"\n", line_end)
    path = write_bytes(tmp_path, "report.csv", data)
    assert_frame_equal(read(path), expected(str(path), [1, 2], **{"Lead ID": ["00Q1", "00Q2"],
                                                                   "Email": ["a@x.com", "b@y.com"]}))
    # Read whole (cp1252), the same.
    assert_frame_equal(read(path, encoding="cp1252"), read(path))
    # The run summary is told what was left out: five footer lines after the data, under the header on line 1.
    from leadq.csv_input import read_csv_file
    from leadq.report import report_rows_note

    left_out = read_csv_file(str(path), None, None)[1]
    assert left_out == ReportRows(header_row=1, rows_above=0, rows_below=5, unit="line")
    assert read_csv_file(str(path), "cp1252", None)[1] == left_out
    assert report_rows_note("report.csv", asdict(left_out)) == (
        "report.csv: read as a report: header on line 1 (data row N is line N + 1); left out 5 line(s) after the "
        "data (totals, footer)")


@pytest.mark.parametrize("footer", [
    # Salesforce writes its blank lines as an empty quoted field, and blank lines between the footer's lines.
    b'""\n""\n""\n"Leads Report"\n"Confidential Information - Do Not Distribute"\n',
    b'\n\n"Leads Report"\n\n"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n""\n"Acme, Inc."\n',
], ids=["quoted-blank-lines", "blank-lines-between"])
def test_a_report_footer_after_quoted_or_between_blank_lines_is_not_read_as_records(tmp_path: Path,
                                                                                     footer: bytes) -> None:
    # It stopped the run: "line 4: expected 2 fields, found 1".
    path = write_bytes(tmp_path, "report.csv", b'"Lead ID","Email"\n"00Q1","a@x.com"\n"00Q2","b@y.com"\n' + footer)
    assert_frame_equal(read(path), expected(str(path), [1, 2], **{"Lead ID": ["00Q1", "00Q2"],
                                                                   "Email": ["a@x.com", "b@y.com"]}))
    assert_frame_equal(read(path, encoding="cp1252"), read(path))


@pytest.mark.parametrize(("data", "line"), [
    # One-field lines without a blank line before them are short records, as before.
    (b"a,b\n1,2\nFooter\n", 3),
    # A one-field line before the end, between records: a short record.
    (b"a,b\n1,2\n\nnote\n3,4\n", 4),
    # A lone value after a blank line is a short record, not text of a footer.
    (b"a,b\n1,2\n\n2\n", 4),
    # More lines than a footer has.
    (b"a,b\n1,2\n\n" + b"".join(b"a line %d\n" % i for i in range(13)), 4),
])
def test_lines_that_are_no_report_footer_are_still_short_records(tmp_path: Path, data: bytes, line: int) -> None:
    path = write_bytes(tmp_path, "r.csv", data)
    with pytest.raises(InputError, match=f"line {line}: expected 2 fields, found 1"):
        read(path)


def test_the_end_of_a_quoted_multi_line_field_is_no_footer() -> None:
    # Its closing line has one quote; taken for a footer line, the ragged-row check would lose the
    # quote and misjudge the records after it.
    assert _report_footer(b'id,note\n1,"Called\n\nThanks a lot"\n', ",", 2) == []
    assert _report_footer(b'id,note\n1,2\n\n"Footer text"\n', ",", 2) == ['"Footer text"']


def test_a_one_column_file_has_no_footer(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "ids.csv", b"id\n1\n2\n\nLast\n")
    assert read(path)["id"].to_list() == ["1", "2", "Last"]


def _first_ragged_record(text: str, expected_fields: int) -> tuple[int, int] | None:
    """(first physical line, field count) of the first ragged record, as Python's csv module reads it."""
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    for record in reader:
        start, end = end + 1, reader.line_num
        single_blank = start == end and len(record) <= 1 and "".join(record).strip() == ""
        if start > 1 and not single_blank and len(record) != expected_fields:
            return start, len(record)
    return None


def test_ragged_check_agrees_with_the_csv_module_on_random_files(tmp_path: Path) -> None:
    """Quoted delimiters and newlines, doubled quotes, blank lines and short and long rows, mixed at random."""
    rng = random.Random(7)
    pieces = ["x", "yy", "", " ", '"a,b"', '"l1\nl2"', '"q""q"', '"\n,\n"', '"x,y\nz"']
    found_ragged = 0
    for case in range(150):
        lines = ["a,b,c"]
        for _ in range(rng.randint(1, 8)):
            if rng.random() < 0.1:
                lines.append(rng.choice(["", "  "]))
                continue
            width = 3 if rng.random() < 0.8 else rng.choice([1, 2, 4])
            lines.append(",".join(rng.choice(pieces) for _ in range(width)))
        text = "\n".join(lines) + "\n"
        path = write_bytes(tmp_path, f"c{case}.csv", text.encode())
        want = _first_ragged_record(text, 3)
        if want is None:
            read(path)
            continue
        found_ragged += 1
        with pytest.raises(InputError) as info:
            read(path)
        assert f"line {want[0]}: expected 3 fields, found {want[1]};" in str(info.value), text
    assert 30 < found_ragged < 120  # both outcomes are exercised


def test_ragged_row_in_one_of_several_files_names_that_file(tmp_path: Path) -> None:
    good = write_bytes(tmp_path, "a.csv", b"a,b\n1,2\n")
    bad = write_bytes(tmp_path, 'day 2, "é".csv', b"a,b\n1,2\n3\n")  # the name survives the round trip
    with pytest.raises(InputError) as info:
        collect_input(read_inputs([str(good), str(bad)]), "both")
    assert str(info.value) == f"{bad}: line 3: expected 2 fields, found 1; check the delimiter or quoting"


# A long record that makes up for a short one (or for a blank line): the file's delimiters add up,
# so it is read without the line-by-line check, and Polars' parser rejects the long record.
BALANCED_RAGGED = [
    (b"a,b,c\n1,2\n1,2,3,4\n", "line 2: expected 3 fields, found 2"),
    (b'a,b,c\n1,"x\ny",3,4\n1,2\n', "line 2: expected 3 fields, found 4"),
    (b"a,b,c\n1,2,3\n\n1,2,3,\n", "line 4: expected 3 fields, found 4"),
]


@pytest.mark.parametrize("engine", ["in-memory", "streaming"])
@pytest.mark.parametrize(("data", "message"), [(b"a,b,c\n1,2,3\n1,2,3,4\n", "line 3: expected 3 fields, found 4"),
                                               *BALANCED_RAGGED])
def test_ragged_rows_are_found_whatever_the_query_reads(tmp_path: Path, engine: str, data: bytes,
                                                        message: str) -> None:
    """The check is a filter, so no projection or engine can optimise it away."""
    path = write_bytes(tmp_path, "r.csv", data)
    for query in (read_inputs([str(path)]).select("a"), read_inputs([str(path)]).select(pl.len()),
                  read_inputs([str(path)]).group_by("_source_file").len()):
        with pytest.raises(InputError) as info:
            collect_input(query, str(path), engine=engine)
        assert str(info.value) == f"{path}: {message}; check the delimiter or quoting"


def test_a_long_record_making_up_for_a_short_one_is_found_among_several_files(tmp_path: Path) -> None:
    # Polars' error names no file: each file read without the line-by-line check is checked then.
    write_bytes(tmp_path, "a.csv", b"a,b,c\n1,2,3\n")
    bad = write_bytes(tmp_path, "b.csv", BALANCED_RAGGED[0][0])
    write_bytes(tmp_path, "c.csv", b"a,b,c\n1,2,3\n")
    with pytest.raises(InputError) as info:
        collect_input(read_inputs([str(tmp_path / "*.csv")]), str(tmp_path / "*.csv"))
    assert str(info.value) == f"{bad}: line 2: expected 3 fields, found 2; check the delimiter or quoting"


def _daily_files(tmp_path: Path, days: int, bad_day: int | None = None, bad: bytes = b"") -> list[Path]:
    """A log exported one small file a day; ``bad_day``'s file holds ``bad`` instead."""
    return [write_bytes(tmp_path, f"day{d:02}.csv",
                        bad if d == bad_day else f"a,b\n\n{d},x\n{d},y\n".encode()) for d in range(days)]


def test_many_small_files_are_read_once_with_each_files_rows_numbered(tmp_path: Path) -> None:
    files = _daily_files(tmp_path, 9)
    df = collect_input(read_inputs([str(tmp_path / "day*.csv")]), "log")
    assert df["a"].to_list() == [str(d) for d in range(9) for _ in range(2)]
    assert df["_source_file"].to_list() == [str(f) for f in files for _ in range(2)]
    assert df["_source_row"].to_list() == [2, 3] * 9  # the blank line keeps its number


@pytest.mark.parametrize(("bad", "message"), [
    (BALANCED_RAGGED[0][0], "line 2: expected 3 fields, found 2; check the delimiter or quoting"),
    (b"a,b\n1,2\n3,4,5\n", "line 3: expected 2 fields, found 3; check the delimiter or quoting"),
])
def test_an_unreadable_file_among_many_small_ones_is_named(tmp_path: Path, bad: bytes, message: str) -> None:
    _daily_files(tmp_path, 10, bad_day=7, bad=bad)
    with pytest.raises(InputError) as info:
        read_inputs([str(tmp_path / "day*.csv")])  # read at once: the error comes now
    assert str(info.value) == f"{tmp_path / 'day07.csv'}: {message}"


def test_many_files_too_large_together_stay_lazy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import leadq.inputs

    monkeypatch.setattr(leadq.inputs, "SMALL_TOTAL_BYTES", 10)
    _daily_files(tmp_path, 10, bad_day=7, bad=BALANCED_RAGGED[0][0])
    frame = read_inputs([str(tmp_path / "day*.csv")])  # not read yet
    with pytest.raises(InputError) as info:
        collect_input(frame, str(tmp_path / "day*.csv"))
    assert str(info.value).startswith(f"{tmp_path / 'day07.csv'}: line 2: expected 3 fields, found 2")


def test_a_long_record_making_up_for_a_short_one_is_found_in_text_read_whole(tmp_path: Path) -> None:
    """Stdin and a transcoded file are read without the line-by-line check too, and their bytes kept to find it."""
    import gc

    import leadq.csv_input as csv_input

    stdin = read_inputs(["-"], stdin=io.BytesIO(BALANCED_RAGGED[0][0]))
    with pytest.raises(InputError) as info:
        collect_input(stdin, "-")
    assert str(info.value) == "<stdin>: line 2: expected 3 fields, found 2; check the delimiter or quoting"
    path = write_bytes(tmp_path, "latin.csv", "a;b;c\nJosé;1\nZoë;1;2;3\n".encode("cp1252"))
    latin = read_inputs([str(path)])
    assert csv_input.parsed_without_check(str(path))
    with pytest.raises(InputError) as info:
        collect_input(latin, str(path))
    assert str(info.value) == f"{path}: line 2: expected 3 fields, found 2; check the delimiter or quoting"
    # The bytes are let go with their frame.
    assert csv_input.parsed_without_check("<stdin>")
    del stdin, latin, info
    gc.collect()
    assert "<stdin>" not in csv_input._SOURCES and str(path) not in csv_input._SOURCES


def _with_quote_at(line: int, rows: int, title: str) -> bytes:
    """A CSV of ``rows`` records, some quoted with a comma inside, whose record on physical ``line`` has ``title``."""
    quoted = '"VP, Sales"'
    records = ["id,title,size"] + [f"{i},{quoted if i % 7 == 0 else 'CTO'},500" for i in range(1, rows + 1)]
    records[line - 1] = f"{line - 1},{title},500"
    return ("\n".join(records) + "\n").encode()


@pytest.mark.parametrize(("rows", "line", "title"), [(100_000, 40_001, '"CEO'), (20, 3, 'CTO 12" screen')])
def test_a_quote_left_open_is_found_by_line(tmp_path: Path, rows: int, line: int, title: str) -> None:
    """A quoted field never closed, or a '"' inside an unquoted field that leaves the file in quotes:
    Polars' error quotes the text it could not parse, or counts a chunk's rows; leadq names the line."""
    import gc

    import leadq.csv_input as csv_input

    data = _with_quote_at(line, rows, title)
    message = (f"line {line}: a '\"' here opens a quoted field that is never closed, or is part of a field that "
               "is not in quotes (12\" monitor); close the quote, or put such a field in quotes and double each '\"' in it")
    path = write_bytes(tmp_path, "open.csv", data)
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value) == f"{path}: {message}"
    stdin = read_inputs(["-"], stdin=io.BytesIO(data))
    with pytest.raises(InputError) as info:
        collect_input(stdin, "-")
    assert str(info.value) == f"<stdin>: {message}"
    assert "<stdin>" in csv_input._SOURCES
    del stdin, info
    gc.collect()
    assert "<stdin>" not in csv_input._SOURCES  # the bytes are let go with their frame


def test_the_delimiter_counts_tell_a_well_formed_file(tmp_path: Path) -> None:
    """Quoted delimiters, line breaks and quotes keep a file on the fast path; one lost delimiter does not."""
    import leadq.csv_input as csv_input
    from leadq.csv_input import _fields_balance

    values = ["plain", "has,comma", "two\nlines", 'a "quoted" word', "", " padded ", "mixed\n,\n\"x\"", "é ü"]
    frame = pl.DataFrame({f"c{i}": [values[(j * (i + 3)) % len(values)] for j in range(5000)] for i in range(4)})
    good = tmp_path / "good.csv"
    frame.write_csv(good)
    header = "c0,c1,c2,c3\n"
    assert _fields_balance(str(good), ",", header, 4) == 5000
    raw = good.read_bytes()
    cut = raw.index(b",", raw.index(b"\nplain,", len(raw) // 2) + 1)
    (tmp_path / "bad.csv").write_bytes(raw[:cut] + raw[cut + 1:])  # two fields of one record run together
    assert _fields_balance(str(tmp_path / "bad.csv"), ",", header, 4) is None
    # A blank line inside the file is left to the line-by-line check; blank lines that end it are not.
    inner = raw.index(b"\nplain,", len(raw) // 2) + 1  # a record starts there
    (tmp_path / "blank.csv").write_bytes(raw[:inner] + b"\n" + raw[inner:])
    assert _fields_balance(str(tmp_path / "blank.csv"), ",", header, 4) is None
    as_read = read(good).select(frame.columns)
    for end in (b"\n", b"\n\n\n", b"\r\n"):
        (tmp_path / "ends_blank.csv").write_bytes(raw + end)
        assert _fields_balance(str(tmp_path / "ends_blank.csv"), ",", header, 4) == 5000, end
        assert read(tmp_path / "ends_blank.csv").select(frame.columns).equals(as_read), end
        assert csv_input.parsed_without_check(str(tmp_path / "ends_blank.csv"))
    # A record short of a field at the end makes up for no blank line: it is found by line.
    (tmp_path / "short_end.csv").write_bytes(b"a,b\n1,2\n3\n\n")
    assert _fields_balance(str(tmp_path / "short_end.csv"), ",", "a,b\n", 2) is None
    with pytest.raises(InputError, match="line 3: expected 2 fields, found 1"):
        read(tmp_path / "short_end.csv")
    # Polars' parser drops a delimiter that ends the file, so such a file is checked line by line.
    (tmp_path / "end.csv").write_bytes(b"a,b\n1,2,")
    assert _fields_balance(str(tmp_path / "end.csv"), ",", "a,b\n", 2) is None
    with pytest.raises(InputError, match="line 2: expected 2 fields, found 3"):
        read(tmp_path / "end.csv")


def test_a_failed_count_leaves_the_file_to_the_line_by_line_check(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import leadq.csv_input as csv_input

    scan_csv = pl.scan_csv

    def failing_count(*args: object, **kwargs: object) -> pl.LazyFrame:
        if "eol_char" in kwargs:  # the delimiter count
            raise pl.exceptions.ComputeError("simulated")
        return scan_csv(*args, **kwargs)

    monkeypatch.setattr(csv_input.pl, "scan_csv", failing_count)
    path = write_bytes(tmp_path, "r.csv", b"a,b\n1,2\n3,4\n")
    assert read(path)["a"].to_list() == ["1", "3"]
    assert not csv_input.parsed_without_check(str(path))
    bad = write_bytes(tmp_path, "bad.csv", b"a,b\n1,2\n3\n")
    with pytest.raises(InputError, match="line 3: expected 2 fields, found 1"):
        read(bad)


def test_the_fast_path_rejects_every_file_the_line_by_line_check_rejects(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Random files of quotes, delimiters and line ends, some with lines before the header or a report
    footer: read with the counts, checked line by line, and read with one column making a row,
    checked by the count (inputs.run_counted); the same frame or the same error."""
    import leadq.csv_input as csv_input

    counts = csv_input._fields_balance
    rng = random.Random(11)
    fields = ["1", "", '"q,r"', '"s\nt"', '" ""u"" "']
    pieces = ["a", "", ",", ",", '"', "\n", "\r\n", " ", '""', "x,y", '"q,r"', '"s\nt"']
    fast_reads = fast_rejected = fast_with_footer = read_again = 0
    for case in range(600):
        header = rng.choice(["a,b,c\n", 'a,"b,x",c\n', "a,b\r\n"])
        rows = [",".join(rng.choice(fields) for _ in range(len(header.split(",")) - header.count('"b,x"')))
                if rng.random() < 0.7 else "".join(rng.choice(pieces) for _ in range(rng.randint(0, 7)))
                for _ in range(rng.randint(0, 6))]
        text = header + "".join(row + rng.choice(["\n", "\r\n", ""]) for row in rows)
        if rng.random() < 0.3:  # lines before the header: blank ones, Excel's "sep="
            text = rng.choice(["\n", "\r\n", "sep=,\n", "\n\n", "sep=,\r\n\n"]) + text
        if rng.random() < 0.3:  # a report's footer, after blank lines (or not quite)
            text += rng.choice(["", "\n", "\n\n", "\r\n"]) + "".join(
                rng.choice(['"Total: 3"', "Report by Pat", '"Acme, Inc."', "x", '"open']) + rng.choice(["\n", "\r\n"])
                for _ in range(rng.randint(1, 3))) + rng.choice(["", "\n", " \n"])
        path = write_bytes(tmp_path, f"c{case}.csv", text.encode())

        def outcome(balance: Callable[..., int | None]) -> str | pl.DataFrame:
            monkeypatch.setattr(csv_input, "_fields_balance", balance)
            try:
                return read(path)
            except InputError as exc:
                return str(exc)

        checked = outcome(lambda *args: None)
        counted = outcome(counts)
        fast = csv_input.parsed_without_check(str(path))
        fast_reads += fast
        fast_with_footer += fast and csv_input._report_footer(text.encode(), ",", 2) != []
        if isinstance(counted, pl.DataFrame):
            assert isinstance(checked, pl.DataFrame), (text, checked)
            assert_frame_equal(counted, checked)
            # Read with only the first column making a row, checked by its count (inputs.run_counted): the same rows.
            monkeypatch.setattr(csv_input, "_fields_balance", counts)
            files = read_input_files([str(path)], used_columns={"a"})
            runs = []
            by_count = run_counted(files, [str(path)], ReadOptions(),
                                   lambda fs: runs.append(1) or collect_input(fs[0].frame, "r"),
                                   lambda frame: {str(path): frame.height})
            assert_frame_equal(by_count, checked)
            read_again += len(runs) - 1
        else:
            fast_rejected += fast
    assert fast_reads > 100 and fast_rejected > 10  # files read fast, and some of them rejected
    assert fast_with_footer > 10  # and files with a footer among those read fast
    assert read_again > 10  # rows with text only in other columns, found by the count


def test_ragged_rows_in_transcoded_file(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "r.csv", "a;b\nJosé;1\nZoë\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"line 3: expected 2 fields, found 1"):
        read(path)


def test_a_repeated_header_name_is_renamed_and_refused_only_where_the_run_reads_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import SAMPLE_AS_OF, run_cli

    monkeypatch.chdir(tmp_path)  # --out - writes scored.rejects.csv in the working folder

    path = write_bytes(tmp_path, "d.csv", b"Lead ID,email, email,Notes,Notes\n1,a@x.co,b@x.co,n1,n2\n")
    assert read_inputs([str(path)]).collect_schema().names()[:5] == [
        "Lead ID", "email", "email (column 3)", "Notes", "Notes (column 5)"]
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text("version: 1\ncolumns: {lead_id: Lead ID}\ntiers:\n  - {name: all, otherwise: true}\n")
    args = ["score", path, "-r", ruleset, "--as-of", SAMPLE_AS_OF, "-o", "-", "-q"]
    # A Salesforce report repeats labels in columns no rule reads: scored. Kept, it is read: which copy?
    assert run_cli(args).stdout.splitlines()[1].startswith("1,")
    result = run_cli(args + ["-k", "Notes"], exit_code=3)
    assert f"{path}: duplicate column name 'Notes' (columns 4 and 5); rename one of them" in result.stderr
    ruleset.write_text(ruleset.read_text().replace("{lead_id: Lead ID}", "{lead_id: Lead ID, email: email}"))
    result = run_cli(args, exit_code=3)
    assert f"{path}: duplicate column name 'email' (columns 2 and 3); rename one of them" in result.stderr


def test_polars_errors_are_mapped() -> None:
    err = input_error_from_polars(pl.exceptions.ComputeError("found more fields than defined in 'Schema'"), "x.csv")
    assert isinstance(err, InputError)
    assert str(err) == "x.csv: a row has more fields than the header; check the delimiter or quoting"


def test_corrupt_parquet_is_input_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "bad.parquet", b"this is not parquet")
    with pytest.raises(InputError) as info:
        collect_input(read_inputs([str(path)]), str(path))
    assert str(path) in str(info.value)


def test_bad_ndjson_is_input_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "bad.ndjson", b'{"a": 1}\n{not json\n')
    with pytest.raises(InputError) as info:
        collect_input(read_inputs([str(path)]), str(path))
    assert str(path) in str(info.value)


# --------------------------------------------------------------------------- #
# Multiple inputs, formats, stdin
# --------------------------------------------------------------------------- #


def test_parquet_keeps_types_ndjson_scalars_are_text_and_files_concat_diagonally(tmp_path: Path) -> None:
    pq = tmp_path / "a.parquet"
    pl.DataFrame({"email": ["a@x.io", "b@x.io"], "score": [1, 2]}).write_parquet(pq)
    nd = tmp_path / "b.jsonl"
    nd.write_text('{"email": "c@x.io", "employees": 50}\n')
    csv_path = write_bytes(tmp_path, "c.csv", b"email\nd@x.io\n")
    df = visible(collect_input(read_inputs([str(pq), str(nd), str(csv_path)]), "inputs"))
    assert_frame_equal(
        df,
        pl.DataFrame(
            {
                "email": ["a@x.io", "b@x.io", "c@x.io", "d@x.io"],
                "score": pl.Series([1, 2, None, None], dtype=pl.Int64),
                "_source_file": [str(pq), str(pq), str(nd), str(csv_path)],
                "_source_row": pl.Series([1, 2, 1, 1], dtype=pl.Int64),
                "employees": pl.Series([None, None, "50", None], dtype=pl.String),
            }
        ),
    )


def test_ndjson_fields_whose_type_changes_after_the_first_lines_are_read(tmp_path: Path) -> None:
    # Polars infers types from the first lines; a later "51-200" in a number field failed the run.
    lines = [f'{{"id": "L{i}", "size": {i}, "paid": true, "tags": ["a"]}}' for i in range(3000)]
    lines.append('{"id": "L3000", "size": "51-200", "paid": "yes", "tags": ["b", "c"]}')
    path = write_bytes(tmp_path, "leads.ndjson", "\n".join(lines).encode())
    df = read(path)
    assert df.schema["size"] == pl.String and df.schema["tags"] == pl.List(pl.String)
    assert df.row(0, named=True) | {"_source_file": None} == {
        "id": "L0", "size": "0", "paid": "true", "tags": ["a"], "_source_file": None, "_source_row": 1}
    assert df.row(-1) == ("L3000", "51-200", "yes", ["b", "c"], str(path), 3001)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("cut.ndjson", b'{"id": "L1"}\n{"id": "L2",\n', "line 2, column 13: invalid JSON: Expecting property name"),
    ("pretty.jsonl", b'{\n  "id": "L1"\n}\n', "line 1, column 2: invalid JSON: Expecting property name"),
    ("list.ndjson", b'{"id": "L1"}\n[1, 2]\n', "line 2: expected a JSON object ({...}), found an array"),
    ("array.json", b'[{"id": "L1"},\n {"id": "L2",}]', "line 2, column 14: invalid JSON: Expecting property name"),
    # Python's json.dumps writes a float NaN as NaN: Polars said "InternalError(TapeError) at character 30".
    ("nan.ndjson", b'{"id": "L1", "n": 5}\n{"id": "L2", "n": NaN}\n',
     "line 2: invalid JSON: NaN is not JSON (Python's json.dumps writes it for a float NaN); write null instead"),
    ("inf.json", b'[{"id": "L1", "n": Infinity}]',
     "invalid JSON: Infinity is not JSON (Python's json.dumps writes it for a float Infinity); write null instead"),
    # A field nested 3,000 lists deep was "internal error: RecursionError" (exit 70).
    ("deep.ndjson", b'{"id": "L1", "n": ' + b"[" * 3000 + b"]" * 3000 + b"}\n",
     "line 1: invalid JSON: lists or objects nested too deep to read (hundreds of levels); flatten the record"),
])
def test_invalid_json_is_named_by_line(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = write_bytes(tmp_path, name, content)
    with pytest.raises(InputError) as info:
        collect_input(read_inputs([str(path)]), str(path))
    assert str(info.value).startswith(f"{path}: {message}")


@pytest.mark.parametrize(("name", "content", "message"), [
    # Polars says "failed to determine supertype of struct[3] and struct[3]": the fields are named instead.
    ("leads.ndjson", b'{"id": "L1", "title": {"a": 1}, "size": 300, "tags": null}\n'
                     b'{"id": "L2", "title": "CEO", "size": [1, 2], "tags": ["x"]}\n',
     "fields that hold different kinds of value in different records: 'title' (an object at line 1, a single "
     "value at line 2), 'size' (a single value at line 1, a list at line 2); give each field the same kind in "
     "every record (a list, an object, or text and numbers)"),
    ("leads.json", b'[{"id": "L1", "size": 300}, {"id": "L2", "size": true}, {"id": "L3", "size": {"n": 3}}]',
     "fields that hold different kinds of value in different records: 'size' (a single value at record 1, an "
     "object at record 3); "),
])
def test_a_field_that_is_a_list_or_an_object_in_some_records_only_is_named(tmp_path: Path, name: str,
                                                                           content: bytes, message: str) -> None:
    path = write_bytes(tmp_path, name, content)
    with pytest.raises(InputError) as info:
        collect_input(read_inputs([str(path)]), str(path))
    assert str(info.value).startswith(f"{path}: {message}")


def test_invalid_ndjson_after_the_first_lines_is_named_by_line(tmp_path: Path) -> None:
    lines = [f'{{"id": "L{i}"}}' for i in range(3000)] + ['{"id": "L3000"']
    path = write_bytes(tmp_path, "leads.ndjson", "\n".join(lines).encode())
    with pytest.raises(InputError, match="line 3001, column 15: invalid JSON: Expecting ',' delimiter"):
        collect_input(read_inputs([str(path)]), str(path))


def test_a_json_array_of_records_reads_like_ndjson(tmp_path: Path) -> None:
    # "Export as JSON" and most APIs write one array; NDJSON writes a record a line.
    records = b'\xef\xbb\xbf [\n {"id": 1, "email": "a@b.co"},\n {"id": 2, "email": null}\n]\n'
    want = pl.DataFrame({"id": [1, 2], "email": ["a@b.co", None], "_source_file": ["x", "x"], "_source_row": [1, 2]})
    path = write_bytes(tmp_path, "leads.json", records)
    assert_frame_equal(read(path), want.with_columns(_source_file=pl.lit(str(path))))
    stdin = io.BytesIO(records)
    got = visible(collect_input(read_inputs(["-"], ReadOptions(input_format="ndjson"), stdin=stdin), "<stdin>"))
    assert_frame_equal(got, want.with_columns(_source_file=pl.lit("<stdin>")))


def test_ndjson_with_a_byte_order_mark_reads_as_without(tmp_path: Path) -> None:
    # Notepad's "UTF-8 with BOM": Polars' reader stopped at it ("TapeError at character 0").
    records = b'{"id": "1", "email": "a@b.co"}\n{"id": "2", "email": null}\n'
    want = pl.DataFrame({"id": ["1", "2"], "email": ["a@b.co", None], "_source_row": [1, 2]})
    path = write_bytes(tmp_path, "leads.ndjson", b"\xef\xbb\xbf" + records)
    assert_frame_equal(read(path).drop("_source_file"), want)
    stdin = io.BytesIO(b"\xef\xbb\xbf" + records)
    got = visible(collect_input(read_inputs(["-"], ReadOptions(input_format="ndjson"), stdin=stdin), "<stdin>"))
    assert_frame_equal(got.drop("_source_file"), want)


WORKBOOK = REPO / "tests" / "fixtures" / "crm" / "hubspot_contacts.xlsx"


def test_an_excel_workbook_reads_its_first_sheet_as_text() -> None:
    # Cells typed as Excel types them (made by tests/fixtures/crm/make_workbooks.py): numbers read
    # without ".0", date cells as ISO text, a checkbox as "true"; the blank row between the two
    # contacts is dropped but keeps its number; the header's stray spaces are trimmed.
    got = read(WORKBOOK).select("Record ID", "Number of Employees", "Create Date", "Requested Demo", "_source_row")
    assert got.rows() == [("101", "1200", "2026-09-01 10:00:00", "true", 1), ("102", "15", "2025-01-01 08:00:00", None, 3)]
    stdin = io.BytesIO(WORKBOOK.read_bytes())
    from_stdin = visible(collect_input(read_inputs(["-"], ReadOptions(input_format="excel"), stdin=stdin), "<stdin>"))
    assert_frame_equal(from_stdin.drop("_source_file"), read(WORKBOOK).drop("_source_file"))


def test_another_sheet_is_read_by_name_or_number() -> None:
    # The fixture's second sheet, "Notes", holds one cell: a header without rows.
    for sheet in ("Notes", "2"):
        assert read(WORKBOOK, sheet=sheet).columns == ["only the first sheet is read", "_source_file", "_source_row"]
    assert read(WORKBOOK, sheet="1").equals(read(WORKBOOK))
    with pytest.raises(InputError, match=r"hubspot_contacts.xlsx: no sheet 'Leads' in the workbook; its sheets: "
                                         r"'Export', 'Notes' \(--sheet takes a name or a number\)"):
        read_inputs([str(WORKBOOK)], ReadOptions(sheet="Leads"))


def test_workbooks_that_cannot_be_read_are_input_errors(tmp_path: Path) -> None:
    assert read(write_bytes(tmp_path, "empty.xlsx", b"")).height == 0  # zero bytes: an empty input, as for CSV
    with pytest.raises(InputError, match=r"cannot read it as an Excel workbook \(calamine error: .*\); open it in "
                                         r"Excel and save it as \.xlsx, or export the sheet as CSV"):
        read_inputs([str(write_bytes(tmp_path, "broken.xlsx", b"PK\x03\x04 not really a zip"))])
    with pytest.raises(InputError, match="cannot read it as an Excel workbook"):
        read_inputs([str(write_bytes(tmp_path, "text.xls", b"Email\na@b.co\n"))])  # CSV text named .xls


CRM = REPO / "tests" / "fixtures" / "crm"


def _read_as_before(path: Path, sheet: int) -> pl.DataFrame:
    """A sheet read as leadq read every workbook before it knew reports: its first row the header."""
    import fastexcel

    cells = fastexcel.read_excel(str(path)).load_sheet(sheet, header_row=None, dtypes="string").to_polars()
    names = clean_column_names([v or "" for v in cells.row(0)], str(path))
    return text_rows(cells.slice(1).rename(dict(zip(cells.columns, names))).lazy(), names, str(path)).collect()


@pytest.mark.parametrize(("name", "sheet"), [("hubspot_contacts.xlsx", 0), ("hubspot_contacts.xlsx", 1),
                                             ("hubspot_events.xlsx", 0)])
def test_an_export_whose_first_row_is_the_header_reads_as_before(name: str, sheet: int) -> None:
    path = CRM / name
    [file] = read_input_files([str(path)], ReadOptions(sheet=str(sheet + 1)))
    assert file.report_rows is None
    assert_frame_equal(visible(collect_input(file.frame, str(path))), _read_as_before(path, sheet))


def test_a_report_sheet_is_read_from_its_header_under_the_title_rows() -> None:
    # salesforce_leads_report.xlsx (tests/fixtures/crm/make_workbooks.py): a title, an "as of" line and
    # filters (one line of two cells) in column A, then the table from column B on sheet row 7, then a
    # "Grand Totals" row, a blank row and the confidential/copyright footer.
    path = CRM / "salesforce_leads_report.xlsx"
    [file] = read_input_files([str(path)])
    assert file.report_rows == ReportRows(header_row=7, rows_above=4, rows_below=3)
    got = visible(collect_input(file.frame, str(path)))
    # Column A, blank from the header down, is dropped; the columns are those of the CSV export.
    csv_export = read(CRM / "salesforce_leads.csv")
    assert got.columns == csv_export.columns
    # The two leads and nothing else (no totals, no footer); data row N is sheet row N + 7.
    assert got.select("Lead ID", "No. of Employees", "Create Date", "_source_row").rows() == [
        ("101", "1200", "2026-09-01 10:00:00", 1), ("102", "15", "2025-01-01 08:00:00", 2)]
    text = [c for c in csv_export.columns if "Date" not in c and not c.startswith("_")]
    assert_frame_equal(got.select(text), csv_export.select(text))


@pytest.mark.parametrize(("rows", "header", "above"), [
    # An export: its first row is the header, even when rows under it are wider (a column without a name).
    ([("Lead ID", "Email", None), ("L1", "a@x.com", "called")], 0, 0),
    ([(None, None), ("Lead ID", "Email"), ("L1", "a@x.com")], 1, 0),  # blank rows above it are no report
    # A one-column export: no row has two cells, the first row stays the header.
    ([("Email",), ("a@x.com",), ("b@y.com",)], 0, 0),
    # A report: title, "as of" line, blank row, filters (a line of two cells, narrower than the table).
    ([("Leads",), ("as of 11/1/2026",), (None, None, None), ("Filtered By:", "Show: All leads", None),
      ("Lead ID", "Email", "Title"), ("L1", "a@x.com", None), ("L2", "b@y.com", "CEO")], 4, 3),
    # A title over a table of two columns.
    ([("Leads",), ("Lead ID", "Email"), ("L1", "a@x.com")], 1, 1),
    # No header among the first 30 rows: the first row stays the header.
    ([("Leads", None)] + [(None, None)] * 30 + [("Lead ID", "Email")], 0, 0),
])
def test_the_header_of_a_sheet(rows: list[tuple], header: int, above: int) -> None:
    assert _header_index(rows) == (header, above)


def _sheet(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame([list(r) for r in rows], schema=[f"c{i}" for i in range(len(rows[0]))],
                        orient="row").cast(pl.String)


DATA = [("Lead ID", "Email", "Employees"), ("L1", "a@x.com", "10"), ("L2", "b@y.com", None)]


@pytest.mark.parametrize(("tail", "end", "below"), [
    ([], 3, 0),
    # Totals, a blank row and the footer: left out.
    ([("Grand Totals (2 records)", None, "10"), (None, None, None),
      ("Confidential Information - Do Not Distribute", None, None),
      ("Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.", None, None)], 3, 3),
    ([("Total", "", "1,200.50"), ("Count:", "2", None)], 3, 2),
    ([(None, None, None), ("Generated By: Pat Smith", None, None)], 3, 1),
    # Rows that are data: a one-cell line right after the data (no blank row or total above it) ...
    ([("Pat Smith", None, None)], 4, 0),
    ([(None, "Pat Smith", None)], 4, 0),
    # ... a total's word with text beside it, or starting a name ...
    ([("Total", "c@z.com", None)], 4, 0),
    ([("Total Wine & More", None, "12")], 4, 0),
    # ... a lone value, or more one-cell lines than a footer has.
    ([(None, None, None), ("2", None, None)], 5, 0),
    ([(None, None, None)] + [(f"line {i}", None, None) for i in range(13)], 17, 0),
])
def test_the_totals_and_footer_at_the_end_of_a_sheet(tail: list[tuple], end: int, below: int) -> None:
    assert _table_end(_sheet(DATA + tail), 0) == (end, below)


@pytest.mark.parametrize(("row", "what"), [
    (("Subtotal", None, "2"), "Subtotal"),
    (("  Total:", "", "$1,200"), "Total:"),
    ((None, "Lead Status: Open (3 records)", None), "Lead Status: Open (3 records)"),
    (("Grand Totals (2 records)", None, None), "Grand Totals (2 records)"),
])
def test_a_subtotal_or_group_heading_amid_the_data_is_a_grouped_report(row: tuple, what: str) -> None:
    data = _sheet(DATA[1:2] + [row] + DATA[2:])
    with pytest.raises(InputError, match=rf"^report.xlsx: sheet row 6 \('{re.escape(what)}'\) is a subtotal or a "
                                         r"group's heading: this is a grouped \(summary\) report, which has no row "
                                         r"per lead to read; export the report as 'Details Only', or delete its "
                                         r"subtotal and group rows$"):
        _refuse_grouped_report(data, 5, "report.xlsx")


@pytest.mark.parametrize("row", [
    ("Total Wine & More", "pat@totalwine.com", "120"),  # a company named so
    ("Count", "Basie", None),  # a total's word with text beside it
    (None, "Open (3 records)", "x"),  # a heading's look, with more beside it
    ("", "   ", None),  # blank
])
def test_rows_that_only_look_like_a_subtotal_are_data(row: tuple) -> None:
    _refuse_grouped_report(_sheet(DATA[1:] + [row]), 2, "report.xlsx")


def test_input_format_option_overrides_extension(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "leads.dat", b"a\n1\n")
    with pytest.raises(UsageError, match="cannot tell the format of"):
        read_inputs([str(path)])
    assert_frame_equal(read(path, input_format="csv"), expected(str(path), [1], a=["1"]))


def test_stdin_csv() -> None:
    stdin = io.BytesIO("name;city\r\nJosé;Málaga\r\n".encode("cp1252"))
    df = collect_input(read_inputs(["-"], stdin=stdin), "<stdin>")
    assert_frame_equal(df, expected("<stdin>", [1], name=["José"], city=["Málaga"]))


def test_utf8_stdin_goes_to_the_parser_as_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain UTF-8 on stdin is not decoded and encoded again; a header over 64 KB, with a
    character cut at the first slice's end, is read whole. A BOM or cp1252 text is decoded."""
    import leadq.csv_input as csv_input

    decoded = []
    real_decode = csv_input._decode
    monkeypatch.setattr(csv_input, "_decode", lambda *a, **k: decoded.append(a[1]) or real_decode(*a, **k))
    names = [f"c{i:05d}" for i in range(11_000)]  # 77,000 bytes of header
    cut = (64 * 1024 - 1) // 7  # the name whose é starts one byte before the first 64 KB slice ends
    names[cut] = "x" * (64 * 1024 - 1 - 7 * cut) + "é"
    header = ",".join(names)
    assert header.encode()[64 * 1024 - 1:64 * 1024 + 1] == "é".encode()
    df = collect_input(read_inputs(["-"], stdin=io.BytesIO((header + "\n" + ",".join("1" * 11_000) + "\n").encode())),
                       "<stdin>")
    assert df.columns[:-2] == names and df.row(0)[:2] == ("1", "1")
    assert decoded == []
    for data, codec in ((codecs.BOM_UTF8 + "a\nZoë\n".encode(), "utf-8"), ("a\nZoë\n".encode("cp1252"), "cp1252")):
        df = collect_input(read_inputs(["-"], stdin=io.BytesIO(data)), "<stdin>")
        assert df["a"].to_list() == ["Zoë"]
        assert decoded[-1] == codec


def test_stdin_and_files_together(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "f.csv", b"a\nfile\n")
    df = collect_input(read_inputs([str(path), "-", "-"], stdin=io.BytesIO(b"a\nstdin\n")), "inputs")
    assert df["a"].to_list() == ["file", "stdin"]
    assert df["_source_file"].to_list() == [str(path), "<stdin>"]


def test_globs_sorted_deduped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("b.csv", "a.csv", "c.txt"):
        Path(name).write_text("x\n1\n")
    (tmp_path / "sub").mkdir()
    Path("sub/d.csv").write_text("x\n1\n")
    assert expand_inputs(["*.csv"]) == ["a.csv", "b.csv"]
    assert expand_inputs(["b.csv", "*.csv", "a.csv", "-", "-"]) == ["b.csv", "a.csv", "-"]
    assert expand_inputs(["**/*.csv"]) == ["a.csv", "b.csv", "sub/d.csv"]
    assert expand_inputs(["[ab].csv", "?.txt"]) == ["a.csv", "b.csv", "c.txt"]
    # Directories matched by a glob are skipped, not errors.
    assert expand_inputs(["*"]) == ["a.csv", "b.csv", "c.txt"]


def test_globs_skip_leadqs_own_hidden_working_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pattern that reaches hidden files ('.*') does not read another run's lock, temporary file or backup."""
    monkeypatch.chdir(tmp_path)
    for name in (".scored.csv.lock", ".scored.csv.0123456789abcdef.tmp", ".scored.csv.89abcdef.bak", ".hidden.csv",
                 "scored.csv"):
        Path(name).write_text("x\n1\n")
    Path(".s.123-0123456789ab.tmp").mkdir()  # a sample's temporary folder
    Path(".s.123-0123456789ab.tmp/contacts.csv").write_text("x\n1\n")
    assert expand_inputs([".*"]) == [".hidden.csv"]
    assert expand_inputs(["*"]) == ["scored.csv"]
    with pytest.raises(InputError, match=r"^no files match '\.\*/\*\.csv'"):
        expand_inputs([".*/*.csv"])
    # Named literally, such a file is what the user asked for.
    assert expand_inputs([".scored.csv.lock"]) == [".scored.csv.lock"]


def test_glob_matching_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no files match '.*\*\.parquet'") as info:
        expand_inputs([str(tmp_path / "*.parquet")])
    assert info.value.exit_code == EXIT_INPUT


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(InputError) as info:
        read_inputs([str(missing)])
    assert str(info.value) == f"no such file: {missing}"
    assert info.value.exit_code == EXIT_INPUT


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        expand_inputs([str(tmp_path)])
    assert str(info.value) == f"{tmp_path} is a directory: pass the files inside it, e.g. '{tmp_path}/*.csv'"
    # The example names the kind of file the folder holds.
    for name in ("part-0.parquet", "part-1.parquet", "notes.md", "schema.json"):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(InputError) as info:
        expand_inputs([str(tmp_path)])
    assert str(info.value).endswith(f"e.g. '{tmp_path}/*.parquet'")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 file, so permission denial cannot be tested")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "secret.csv", b"a\n1\n")
    path.chmod(0)
    try:
        with pytest.raises(InputError, match=f"cannot read {path}: permission denied") as info:
            expand_inputs([str(path)])
        assert info.value.exit_code == EXIT_INPUT
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize("chunks, codec", [
    # A two-byte character split by a chunk boundary.
    ([b"x" * 99 + b"\xc3", b"\xa9" + b"x" * 99, b"x" * 100], "utf-8"),
    # Its first byte ends a chunk, a whole ASCII chunk follows: not UTF-8, even though the byte
    # that would complete the character starts the next chunk.
    ([b"x" * 99 + b"\xc3", b"x" * 100, b"\xa9" + b"x" * 99], "cp1252"),
    # A Latin byte in the last chunk of an ASCII file.
    ([b"x" * 100, b"x" * 100, b"x" * 50 + "é".encode("cp1252") + b"x" * 49], "cp1252"),
])
def test_encoding_detection_reads_the_whole_file_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           chunks: list[bytes], codec: str) -> None:
    # ASCII chunks are only checked, not decoded; a sequence left open at a chunk's end still is.
    from leadq import csv_input

    monkeypatch.setattr(csv_input, "_CHUNK", 100)
    path = write_bytes(tmp_path, "big.csv", b"".join(chunks))
    assert csv_input.detect_file_encoding(str(path)) == codec


def test_used_columns_decide_blank_rows_only_where_the_rows_with_text_are_counted(tmp_path: Path) -> None:
    import leadq.csv_input as csv_input

    path = write_bytes(tmp_path, "c.csv", b"id,title,note\n1,CEO,a\n,,note\n2,,b\n,,\n\n")
    [file] = read_input_files([str(path)], used_columns={"id", "title"})
    # Three rows with text (the empty row and the blank line that end the file are not counted) ...
    assert file.rows_counted == 3
    # ... and two of them with text in a used column: the caller finds one short and reads again.
    assert collect_input(file.frame, str(path))["_source_row"].to_list() == [1, 3]
    assert "PROJECT 2/3 COLUMNS" in file.frame.select("id", "title").explain()
    [again] = read_input_files([str(path)])
    assert again.rows_counted is None
    assert collect_input(again.frame, str(path))["_source_row"].to_list() == [1, 2, 3]
    # Not counted, so every column tested: a file whose delimiters do not add up.
    ragged = write_bytes(tmp_path, "ragged.csv", b"id,title,note\n1,CEO,a\n\n,,note\n")
    [file] = read_input_files([str(ragged)], used_columns={"id", "title"})
    assert file.rows_counted is None
    assert collect_input(file.frame, str(ragged))["note"].to_list() == ["a", "note"]
    # Counted: lines before the header (blank, Excel's "sep="), and a report's footer after a blank line.
    for name, data, rows in (
            ("sep.csv", b"sep=;\nid;title;note\n1;CEO;a\n;;note\n", [1, 2]),
            ("blank_first.csv", b"\r\n\r\nid,title,note\r\n1,CEO,a\r\n,,note\r\n", [1, 2]),
            ("footer.csv", b"id,title,note\n1,CEO,a\n,,note\n2,,b\n\n\n\"Total: 3\"\n\"Acme, Inc.\"\n\n", [1, 2, 3]),
            ("both.csv", b"sep=,\nid,title,note\n1,CEO,a\n,,note\n,,\n\n\"Grand Totals (2 records)\"\n", [1, 2])):
        path = write_bytes(tmp_path, name, data)
        [file] = read_input_files([str(path)], used_columns={"id", "title"})
        assert file.rows_counted == len(rows), name
        [again] = read_input_files([str(path)])
        assert collect_input(again.frame, name)["_source_row"].to_list() == rows, name
        assert csv_input.parsed_without_check(str(path)), name


def test_inputs_from_named_pipes_read_as_their_files_do(tmp_path):
    # bash's `<(curl ...)` gives /dev/fd/63: a pipe that cannot be sought in or opened twice, with no extension.
    import shutil
    import subprocess
    import sys

    if shutil.which("bash") is None or not os.path.exists("/dev/fd"):
        pytest.skip("no bash process substitution here")
    sample = REPO / "sample_data"
    pl.read_csv(sample / "contacts.csv", infer_schema=False).write_parquet(tmp_path / "contacts.parquet")
    leadq = f"{sys.executable} -c 'from leadq.cli import main; main()'"
    script = (
        f"cd {tmp_path}; set -e\n"
        f"{leadq} score {sample}/contacts.csv -a '{sample}/events/*.csv' --as-of 2026-11-01 -o files.csv -q\n"
        f"{leadq} score <(cat {sample}/contacts.csv) -a <(cat {sample}/events/*.csv) --as-of 2026-11-01 "
        "-o piped.csv -q\n"
        f"{leadq} score <(cat contacts.parquet) -a '{sample}/events/*.csv' --as-of 2026-11-01 -o parquet.csv -q\n"
        f"{leadq} score contacts.parquet -a '{sample}/events/*.csv' --as-of 2026-11-01 -o again.csv "
        "--previous <(cat files.csv) --summary-json changes.json -q\n")
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    files = (tmp_path / "files.csv").read_bytes()
    assert (tmp_path / "piped.csv").read_bytes() == files == (tmp_path / "parquet.csv").read_bytes()
    import json

    changes = json.loads((tmp_path / "changes.json").read_text())["changes"]
    assert (changes["first_run"], changes["unchanged"]) == (False, changes["previous_leads"])


@pytest.mark.parametrize(("args", "message"), [
    (["{parquet}", "--delimiter", ";"], "--delimiter applies to CSV inputs only, and none of the inputs is CSV "
                                        "({parquet}); leave --delimiter out"),
    (["{parquet}", "--encoding", "cp1252", "--delimiter", ";"],
     "--encoding and --delimiter apply to CSV inputs only, and none of the inputs is CSV ({parquet}); leave "
     "--encoding and --delimiter out"),
    (["{csv}", "--input-format", "ndjson", "--encoding", "utf-8"],
     "--encoding applies to CSV inputs only, and --input-format ndjson reads every input as NDJSON; leave "
     "--encoding out"),
], ids=["delimiter-parquet", "both-parquet", "encoding-ndjson"])
def test_csv_options_over_inputs_that_are_not_csv_are_refused(tmp_path, args, message):
    # A cron line's --delimiter ';' kept after the export moved to Parquet did nothing, without a word.
    from conftest import run_cli

    csv_path = REPO / "sample_data" / "contacts.csv"
    parquet = tmp_path / "contacts.parquet"
    pl.read_csv(csv_path, infer_schema=False, n_rows=5).write_parquet(parquet)
    names = {"parquet": parquet, "csv": csv_path}
    result = run_cli(["score", *[a.format(**names) for a in args], "-o", tmp_path / "out.csv", "-q"],
                     exit_code=EXIT_USAGE)
    assert result.stderr == f"leadq: error: {message.format(**names)}\n"
    assert not (tmp_path / "out.csv").exists()


def test_csv_options_apply_when_some_input_is_csv(tmp_path):
    from conftest import run_cli

    sample = REPO / "sample_data"
    parquet = tmp_path / "contacts.parquet"
    pl.read_csv(sample / "contacts.csv", infer_schema=False).write_parquet(parquet)
    run_cli(["score", parquet, "-a", str(sample / "events" / "*.csv"), "--delimiter", ",", "--as-of", "2026-11-01",
             "-o", tmp_path / "out.csv", "-q"])
    run_cli(["score", "-", "--encoding", "utf-8", "-o", tmp_path / "stdin.csv", "-q"],
            input=(sample / "contacts.csv").read_bytes())
