"""Compressed inputs (gzip, bzip2, xz, zip): read as the file inside, errors naming the file given."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import zipfile
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from leadq.errors import EXIT_INPUT, EXIT_USAGE, InputError
from leadq.inputs import ReadOptions, collect_input, read_input_files, read_inputs

from conftest import SAMPLE, SAMPLE_AS_OF, run_cli

CSV = b"Lead ID,Job Title\r\nL1,CEO\r\nL2,\"Director, Sales\"\r\n"
NDJSON = b'{"Lead ID": "L1", "Employees": 250}\n{"Lead ID": "L2", "Employees": "51-200"}\n'


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _read(path: Path, **options: str) -> pl.DataFrame:
    return collect_input(read_inputs([str(path)], ReadOptions(**options)), str(path))


@pytest.mark.parametrize("name, compress", [
    ("leads.csv.gz", gzip.compress),
    ("leads.CSV.GZ", gzip.compress),
    ("leads.csv.bz2", bz2.compress),
    ("leads.csv.xz", lzma.compress),
])
def test_a_compressed_csv_reads_as_the_csv_inside(tmp_path: Path, name: str, compress) -> None:
    plain = tmp_path / "leads.csv"
    plain.write_bytes(CSV)
    packed = tmp_path / name
    packed.write_bytes(compress(CSV))
    got = _read(packed)
    assert got["Job Title"].to_list() == ["CEO", "Director, Sales"]
    assert got["_source_file"].to_list() == [str(packed)] * 2  # messages name the file given
    assert_frame_equal(got.drop("_source_file"), _read(plain).drop("_source_file"))


def test_a_compressed_file_counts_by_its_decompressed_size(tmp_path: Path) -> None:
    packed = tmp_path / "leads.csv.gz"
    packed.write_bytes(gzip.compress(CSV * 1000, mtime=0))
    [read] = read_input_files([str(packed)])
    assert read.disk_bytes == len(CSV * 1000) > packed.stat().st_size
    assert read.parquet_path is None  # not a file Polars can scan again


def test_compressed_ndjson_and_parquet(tmp_path: Path) -> None:
    (tmp_path / "leads.ndjson.gz").write_bytes(gzip.compress(NDJSON))
    got = _read(tmp_path / "leads.ndjson.gz")
    assert got["Employees"].to_list() == ["250", "51-200"]  # scalars as text, as for plain NDJSON
    pl.DataFrame({"Lead ID": ["L1"], "Employees": [250]}).write_parquet(tmp_path / "p.parquet")
    (tmp_path / "p.parquet.gz").write_bytes(gzip.compress((tmp_path / "p.parquet").read_bytes()))
    assert _read(tmp_path / "p.parquet.gz")["Employees"].to_list() == [250]


def test_the_input_format_option_names_the_format_inside(tmp_path: Path) -> None:
    packed = tmp_path / "export.dat.gz"
    packed.write_bytes(gzip.compress(CSV))
    assert _read(packed, input_format="csv")["Lead ID"].to_list() == ["L1", "L2"]
    with pytest.raises(Exception, match=r"cannot tell the format of .*export\.dat\.gz \(the file inside is "
                                        r".*export\.dat\) from its extension; pass --input-format"):
        _read(packed)


def test_a_zip_of_one_file_reads_that_file(tmp_path: Path) -> None:
    # Archivers add macOS resource forks and folders beside the data; they are not files to read.
    archive = _zip(tmp_path / "export.zip", {"hubspot/": b"", "hubspot/contacts.csv": CSV,
                                             "__MACOSX/hubspot/._contacts.csv": b"\x00\x05", ".DS_Store": b"x"})
    assert _read(archive)["Job Title"].to_list() == ["CEO", "Director, Sales"]
    _zip(tmp_path / "ndjson.zip", {"leads.jsonl": NDJSON})
    assert _read(tmp_path / "ndjson.zip")["Lead ID"].to_list() == ["L1", "L2"]


def test_a_zip_of_several_files_is_refused_with_their_names(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "export.zip", {"Account.csv": CSV, "Contact.csv": CSV, "Lead.csv": CSV})
    with pytest.raises(InputError) as info:
        _read(archive)
    assert str(info.value) == (
        f"{archive}: this zip archive holds 3 files (Account.csv, Contact.csv, Lead.csv); leadq reads an archive "
        f"of one file. Extract the one to read and pass that file (unzip '{archive}' 'Account.csv')")
    _zip(tmp_path / "empty.zip", {"folder/": b""})
    with pytest.raises(InputError, match="this zip archive holds no file; leadq reads an archive of one file"):
        _read(tmp_path / "empty.zip")


@pytest.mark.parametrize("name, data, message", [
    ("cut.csv.gz", gzip.compress(CSV * 50)[:60], "this is not valid gzip data, or the file was cut short"),
    ("plain.csv.gz", CSV, "this is not valid gzip data, or the file was cut short"),
    ("bad.csv.bz2", b"BZh9 not really", "this is not valid bzip2 data, or the file was cut short"),
    ("bad.csv.xz", b"\xfd7zXZ\x00 broken", "this is not valid xz data, or the file was cut short"),
    ("bad.zip", b"PK\x03\x04 broken", "this is not a zip archive leadq can read"),
])
def test_damaged_compressed_input_is_an_input_error_naming_the_file(tmp_path: Path, name: str, data: bytes,
                                                                    message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = run_cli(["score", path, "-o", tmp_path / "out.csv"], exit_code=EXIT_INPUT)
    assert result.stderr.startswith(f"leadq: error: {path}: {message}")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_a_compression_leadq_cannot_read_says_how_to_decompress_it(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd")
    result = run_cli(["score", path, "-o", tmp_path / "out.csv"], exit_code=EXIT_USAGE)
    assert result.stderr == (f"leadq: error: {path} is compressed in a format leadq cannot read; decompress it "
                             f"first (zstd -d {path})\n")


ZSTD = b"\x28\xb5\x2f\xfd" + b"\x04\x58\x91\x00\x00garbage\xff\x00"  # a zstd frame's magic, then anything


@pytest.mark.parametrize("name", ["plain.csv", "events.ndjson"])
def test_zstd_data_under_a_plain_name_says_how_to_decompress_it(tmp_path: Path, name: str) -> None:
    """It was read as text: NUL bytes / UTF-16 advice, or its bytes listed as column names."""
    path = tmp_path / name
    path.write_bytes(ZSTD)
    with pytest.raises(InputError) as info:
        _read(path)
    stem, ext = name.split(".")
    assert str(info.value) == (f"{path}: this is zstd-compressed data, which leadq cannot read; decompress it first "
                               f"(zstd -dc {path} > {tmp_path / stem}.decompressed.{ext})")
    assert info.value.exit_code == EXIT_INPUT


def test_zstd_data_on_standard_input_says_how_to_decompress_it(tmp_path: Path) -> None:
    result = run_cli(["score", "-", "--as-of", SAMPLE_AS_OF, "-o", tmp_path / "out.csv"], input=ZSTD,
                     exit_code=EXIT_INPUT)
    assert result.stderr == ("leadq: error: <stdin>: this is zstd-compressed data, which leadq cannot read; "
                             "decompress it first (put zstd -dc in the pipe before leadq)\n")
    assert list(tmp_path.iterdir()) == []


def test_text_that_starts_with_the_zstd_bytes_further_on_is_text(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_bytes(b"Lead ID,x\nL1,\x28\xb5\x2f\xfd\n")
    assert _read(tmp_path / "leads.csv", encoding="latin-1")["Lead ID"].to_list() == ["L1"]


def test_sample_scored_from_compressed_files_and_stdin_as_from_plain_ones(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    events = tmp_path / "events"
    events.mkdir()
    for f in sorted((SAMPLE / "events").glob("*.csv")):
        (events / f"{f.name}.gz").write_bytes(gzip.compress(f.read_bytes()))
    _zip(tmp_path / "contacts.zip", {"contacts.csv": (SAMPLE / "contacts.csv").read_bytes()})
    common = ["--accounts", SAMPLE / "accounts.csv", "--as-of", SAMPLE_AS_OF, "-q"]
    run_cli(["score", SAMPLE / "contacts.csv", "-a", str(SAMPLE / "events" / "*.csv"), "-o",
             tmp_path / "plain.csv", *common])
    # Partitions (the events split apart first) read the decompressed log as they read a file.
    monkeypatch.setenv("LEADQ_EVENTS_PER_PARTITION", "5000")
    run_cli(["score", tmp_path / "contacts.zip", "-a", str(events / "*.gz"), "-o", tmp_path / "packed.csv",
             *common])
    plain = (tmp_path / "plain.csv").read_bytes()
    assert (tmp_path / "packed.csv").read_bytes() == plain
    monkeypatch.chdir(tmp_path)  # with --out -, the rejects go to scored.rejects.csv in the working folder
    piped = run_cli(["score", "-", "-a", str(events / "*.gz"), "-o", "-", "-f", "csv", *common],
                    input=gzip.compress((SAMPLE / "contacts.csv").read_bytes()))
    assert piped.stdout.encode() == plain


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_compressed_data_under_a_plain_name_is_recognised_by_its_first_bytes(tmp_path: Path, compress) -> None:
    # A download saved as .csv with its transfer encoding left on.
    (tmp_path / "export.csv").write_bytes(compress(CSV))
    assert _read(tmp_path / "export.csv")["Job Title"].to_list() == ["CEO", "Director, Sales"]
    (tmp_path / "export.ndjson").write_bytes(compress(NDJSON))
    assert _read(tmp_path / "export.ndjson")["Employees"].to_list() == ["250", "51-200"]
    # An empty file compressed is an empty input, not the compressed bytes read as text.
    (tmp_path / "empty.csv").write_bytes(compress(b""))
    assert _read(tmp_path / "empty.csv").height == 0


def test_text_that_starts_like_a_compression_name_is_text(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_bytes(b"BZh9,Lead ID\nx,L1\n")
    assert _read(tmp_path / "leads.csv")["Lead ID"].to_list() == ["L1"]


def test_score_writes_gzip_outputs_and_reads_them_back_as_previous(tmp_path: Path) -> None:
    common = ["--accounts", SAMPLE / "accounts.csv", "--as-of", SAMPLE_AS_OF, "-q"]
    run_cli(["score", SAMPLE / "contacts.csv", "-o", tmp_path / "plain.csv", "--rollup", "account", *common])
    out = tmp_path / "scored.csv.gz"
    run_cli(["score", SAMPLE / "contacts.csv", "-o", out, "--rollup", "account", *common])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "plain.accounts.csv", "plain.csv", "plain.rejects.csv",
        "scored.accounts.csv.gz", "scored.csv.gz", "scored.rejects.csv"]
    assert gzip.decompress(out.read_bytes()) == (tmp_path / "plain.csv").read_bytes()
    assert gzip.decompress((tmp_path / "scored.accounts.csv.gz").read_bytes()) == \
        (tmp_path / "plain.accounts.csv").read_bytes()
    # The next night's run compares with it, and hands on the changes gzip-compressed too.
    run_cli(["score", SAMPLE / "contacts.csv", "-o", out, "--previous", out, "--changes", tmp_path / "ch.ndjson.gz",
             "--rejects", tmp_path / "rejects.parquet", "--as-of", "2026-12-01", "-q",
             "--summary-json", tmp_path / "summary.json.gz"])
    summary = json.loads(gzip.decompress((tmp_path / "summary.json.gz").read_bytes()))
    assert summary["outputs"]["changes"] == str(tmp_path / "ch.ndjson.gz")
    changes = pl.read_ndjson(gzip.decompress((tmp_path / "ch.ndjson.gz").read_bytes()))
    assert changes.height > 0 and set(changes["change"]) <= {"tier_changed", "route_changed", "score_changed"}
    assert pl.read_parquet(tmp_path / "rejects.parquet")["reason"].str.starts_with("duplicate").all()


def test_an_output_name_leadq_cannot_write_is_refused_before_reading(tmp_path: Path) -> None:
    contacts = tmp_path / "missing.csv"  # never read: the names are checked first
    for args, message in [
        (["-o", tmp_path / "s.parquet.gz"], "--out {}: leadq does not write Parquet compressed again"),
        (["-f", "parquet", "-o", tmp_path / "s.gz"], "--out {}: leadq does not write Parquet compressed again"),
        (["-o", tmp_path / "o.csv", "--rejects", tmp_path / "r.xls"],
         "--rejects {}: leadq does not write that kind of spreadsheet workbook; write .xlsx, which spreadsheets "
         "open, or .csv\n"),
    ]:
        result = run_cli(["score", contacts, *args], exit_code=EXIT_USAGE)
        assert result.stderr.startswith("leadq: error: " + message.format(args[-1]))
    assert sorted(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["leads.tar.gz", "leads.tgz", "leads.tar", "LEADS.TAR.BZ2"])
def test_a_tar_archive_says_to_extract_its_file(tmp_path: Path, name: str) -> None:
    # It said "cannot tell the format of leads.tar.gz (the file inside is leads.tar); pass --input-format",
    # and --input-format csv then read the archive's bytes as text.
    path = tmp_path / name
    path.write_bytes(b"\x1f\x8b\x08\x00")
    result = run_cli(["score", path, "-o", tmp_path / "out.csv"], exit_code=EXIT_USAGE)
    assert result.stderr == (f"leadq: error: {path} is a tar archive, which leadq does not read; extract the file "
                             f"to read first (tar -xf {path}) and pass that file\n")


@pytest.mark.parametrize("kind", ["gzip", "zip", "stdin"])
def test_a_decompression_bomb_is_refused_before_it_fills_the_memory(tmp_path, monkeypatch, kind):
    # 510 kB of gzip made 512 MiB of blank lines: the run grew past 2 GB and went on for minutes.
    import leadq.compressed_input as compressed
    from tests.conftest import RULESETS, run_cli

    monkeypatch.setattr(compressed, "BOMB_FLOOR", 100_000)
    monkeypatch.setattr(compressed, "_CHUNK", 65_536)
    data = b"Record ID,Email\n" + b"\n" * 2_000_000
    if kind == "zip":
        path = tmp_path / "contacts.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("contacts.csv", data)
    else:
        path = tmp_path / "contacts.csv.gz"
        path.write_bytes(gzip.compress(data, 9))
    size = path.stat().st_size if kind != "zip" else zipfile.ZipFile(path).infolist()[0].compress_size
    args = ["score", "-" if kind == "stdin" else path, "-r", RULESETS / "b2b_saas.yaml", "-o", tmp_path / "o.csv"]
    result = run_cli(args, input=path.read_bytes() if kind == "stdin" else None, exit_code=EXIT_INPUT)
    label = "<stdin>" if kind == "stdin" else str(path)
    what = "zip" if kind == "zip" else "gzip"
    assert result.stderr == (f"leadq: error: {label}: this {what} data decompresses to more than 0 MiB, over 100 "
                             f"times its {size:,} bytes: a decompression bomb, or an export of mostly repeated lines; "
                             "if it is genuine, decompress it first and pass the decompressed file\n")
    assert not (tmp_path / "o.csv").exists()


def test_data_that_compresses_well_but_not_like_a_bomb_is_read(tmp_path, monkeypatch):
    import leadq.compressed_input as compressed

    monkeypatch.setattr(compressed, "BOMB_FLOOR", 1_000)
    text = "Record ID,Email\n" + "".join(f"{i},user{i}@example.com\n" for i in range(20_000))
    path = tmp_path / "contacts.csv.gz"
    path.write_bytes(gzip.compress(text.encode(), 9))
    assert compressed.read_if_compressed(str(path)) == text.encode()
