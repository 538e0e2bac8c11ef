"""Tests for leadq.outputs: output formats, atomic writing, interrupts during a write, locking."""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from leadq.errors import EXIT_OUTPUT, OutputError, UsageError
from leadq.inputs import read_parquet_metadata
from leadq.output_lock import output_lock
from leadq.outputs import FORMATS, AtomicWrites, format_from_path, write_frame, write_text

REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- #
# Writing
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(("out", "kind", "ext", "expected"), [
    ("scored.parquet", "rejects", "csv", "scored.rejects.csv"),
    ("out/leads.CSV", "accounts", None, "out/leads.accounts.CSV"),
    # A dated name keeps its date: each day's rejects in a file of their own.
    ("scores.2026-12-02.parquet", "rejects", "csv", "scores.2026-12-02.rejects.csv"),
    ("scores.2026-12-02", "rejects", "csv", "scores.2026-12-02.rejects.csv"),
    ("scores.2026-12-02", "accounts", None, "scores.2026-12-02.accounts"),
    (".parquet", "rejects", "csv", "scored.rejects.csv"),
    # A gzip output: its siblings drop the .gz with the format; one without a format keeps it.
    ("scores.2026-12-02.csv.gz", "rejects", "csv", "scores.2026-12-02.rejects.csv"),
    ("out/leads.NDJSON.GZ", "accounts", None, "out/leads.accounts.NDJSON.GZ"),
    ("leads.gz", "rejects", "csv", "leads.gz.rejects.csv"),
])
def test_sibling_path_drops_only_a_format_extension(out: str, kind: str, ext: str | None, expected: str) -> None:
    from leadq.cli import sibling_path

    assert sibling_path(out, kind, ext) == str(Path(expected))


def test_sibling_path_takes_the_format_extension_only_when_out_has_none() -> None:
    from leadq.cli import sibling_path

    # `--format parquet -o scores.2026-12-02`: the accounts file gets the format's extension.
    assert sibling_path("scores.2026-12-02", "accounts", default_ext="parquet") == "scores.2026-12-02.accounts.parquet"
    assert sibling_path("leads.csv", "accounts", default_ext="parquet") == "leads.accounts.csv"


def test_format_from_path() -> None:
    assert FORMATS == ("parquet", "csv", "ndjson", "xlsx")
    assert format_from_path("Leads.XLSX") == "xlsx"
    assert format_from_path("-") == "csv"
    assert format_from_path("out.CSV") == "csv"
    assert format_from_path("out.pq") == "parquet"
    assert format_from_path("out.jsonl") == "ndjson"
    assert format_from_path("out") == "parquet"
    assert format_from_path("out.xyz", default="csv") == "csv"
    assert format_from_path("scored.2026-11-01") == "parquet"


@pytest.mark.parametrize(("name", "hint"), [
    ("leads.xls", "that kind of spreadsheet workbook; write .xlsx, which spreadsheets open, or .csv"),
    ("leads.xlsm", "that kind of spreadsheet workbook; write .xlsx, which spreadsheets open, or .csv"),
    ("leads.ods", "that kind of spreadsheet workbook; write .xlsx, which spreadsheets open, or .csv"),
    ("leads.numbers", "that kind of spreadsheet workbook; write .xlsx, which spreadsheets open, or .csv"),
    ("leads.csv.zip", "that compression; write .csv.gz or .ndjson.gz (gzip), or .parquet, which is compressed "
                      "already"),
    ("crm.db", "a database file by name; pass --out sqlite:///PATH with --out-table"),
    ("leads.feather", "that format; write .parquet, .csv, .tsv or .ndjson"),
])
def test_extensions_of_files_leadq_does_not_write_are_refused(name: str, hint: str) -> None:
    with pytest.raises(UsageError) as info:
        format_from_path(name)
    assert str(info.value) == (f"--out {name}: leadq does not write {hint} (or pass --format to write parquet, "
                               "csv or ndjson under this name)")


def test_gzip_outputs_take_the_format_before_gz() -> None:
    assert [format_from_path(p) for p in ("s.csv.gz", "s.TSV.GZ", "s.ndjson.gz", "s.jsonl.gz")] == [
        "csv", "csv", "ndjson", "ndjson"]
    with pytest.raises(UsageError, match=r"^--changes c\.parquet\.gz: leadq does not write Parquet compressed "
                                         r"again; write \.parquet, which is compressed already$"):
        format_from_path("c.parquet.gz", option="--changes")
    with pytest.raises(UsageError, match=r"^--out s\.gz: leadq does not write gzip without a format before \.gz; "
                                         r"write \.csv\.gz, \.tsv\.gz or \.ndjson\.gz$"):
        format_from_path("s.gz")
    # The --format hint is for --out only.
    with pytest.raises(UsageError, match=r"^--rejects r\.ods: leadq does not write that kind of spreadsheet "
                                         r"workbook; write \.xlsx, which spreadsheets open, or \.csv$"):
        format_from_path("r.ods", "csv", option="--rejects")
    # A workbook is a zip archive already.
    with pytest.raises(UsageError, match=r"^--out s\.xlsx\.gz: leadq does not write an \.xlsx workbook \(a zip "
                                         r"file\) compressed again; write \.xlsx, which is compressed already$"):
        format_from_path("s.xlsx.gz")


@pytest.mark.parametrize(("name", "fmt", "text"), [
    ("o.csv.gz", "csv", b"a,b\nx,1\n"),
    ("o.tsv.gz", "csv", b"a\tb\nx\t1\n"),
    ("o.ndjson.gz", "ndjson", b'{"a":"x","b":1}\n'),
])
def test_gzip_output_is_the_text_compressed_the_same_bytes_each_run(tmp_path: Path, name: str, fmt: str,
                                                                     text: bytes) -> None:
    import gzip

    df = pl.DataFrame({"a": ["x"], "b": [1]})
    write_frame(df, str(tmp_path / name), fmt)
    first = (tmp_path / name).read_bytes()
    assert gzip.decompress(first) == text
    time.sleep(1.1)  # gzip headers carry a time unless told not to
    write_frame(df, str(tmp_path / name), fmt)
    assert (tmp_path / name).read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left
    with pytest.raises(UsageError, match="leadq does not write Parquet compressed again"):
        write_frame(df, str(tmp_path / "o.gz"), "parquet")


def test_write_text_compresses_a_gz_name(tmp_path: Path) -> None:
    import gzip

    write_text(str(tmp_path / "report.json.gz"), '{"tiers": "sql"}\n')
    write_text(str(tmp_path / "report.json"), '{"tiers": "sql"}\n')
    assert gzip.decompress((tmp_path / "report.json.gz").read_bytes()) == (tmp_path / "report.json").read_bytes()
    assert (tmp_path / "report.json.gz").read_bytes()[:2] == b"\x1f\x8b"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("safe = value", "safe = value"),
        ("a@b.io", "a@b.io"),
    ],
)
def test_csv_formula_escaping(value: str, written: str) -> None:
    out = io.BytesIO()
    write_frame(pl.DataFrame({"v": [value], "n": [-5]}), "-", "csv", stdout=out)
    back = pl.read_csv(out.getvalue(), infer_schema=False)
    assert back["v"].to_list() == [written]
    assert back["n"].to_list() == ["-5"]  # numeric columns are left alone


def test_formula_escaping_can_be_disabled_and_skips_other_formats(tmp_path: Path) -> None:
    df = pl.DataFrame({"v": ["=HYPERLINK()"]})
    out = io.BytesIO()
    write_frame(df, "-", "csv", stdout=out, escape_formulas=False)
    assert out.getvalue() == b"v\n=HYPERLINK()\n"
    out = io.BytesIO()
    write_frame(df, "-", "ndjson", stdout=out)
    assert out.getvalue() == b'{"v":"=HYPERLINK()"}\n'
    write_frame(df, str(tmp_path / "o.parquet"), "parquet")
    assert_frame_equal(pl.read_parquet(tmp_path / "o.parquet"), df)


def test_csv_nested_columns() -> None:
    df = pl.DataFrame(
        {
            "id": [1, 2, 3],
            "disqualification_reasons": [["free email", "=bad"], [], None],
            "detail": [{"rule": "r1", "points": 5}, None, {"rule": "r2", "points": -1}],
            "nested": [[{"a": 1}], None, []],
        }
    )
    out = io.BytesIO()
    write_frame(df, "-", "csv", stdout=out)
    assert out.getvalue().decode() == (
        "id,disqualification_reasons,detail,nested\n"
        '1,free email; =bad,"{""rule"":""r1"",""points"":5}","[{""a"":1}]"\n'
        '2,"",,\n'  # an empty list is an empty string; null struct/list stay null
        '3,,"{""rule"":""r2"",""points"":-1}",[]\n'
    )


def test_csv_datetimes_are_rfc_3339_like_ndjson() -> None:
    utc = [datetime(2026, 12, 31, tzinfo=timezone.utc), datetime(2027, 1, 2, 3, 4, 5, 120000, tzinfo=timezone.utc), None]
    df = pl.DataFrame({"due": utc, "local": [datetime(2026, 12, 31), datetime(2027, 1, 1, 0, 0, 1, 5), None]})
    df = df.with_columns(paris=pl.col("due").dt.convert_time_zone("Europe/Paris"))
    out = io.BytesIO()
    write_frame(df, "-", "csv", stdout=out)
    assert out.getvalue().decode() == (
        "due,local,paris\n"
        "2026-12-31T00:00:00+00:00,2026-12-31T00:00:00,2026-12-31T01:00:00+01:00\n"
        "2027-01-02T03:04:05.120+00:00,2027-01-01T00:00:01.000005,2027-01-02T04:04:05.120+01:00\n"
        ",,\n"
    )
    ndjson = io.BytesIO()
    write_frame(df.select("due").head(1), "-", "ndjson", stdout=ndjson)
    assert ndjson.getvalue() == b'{"due":"2026-12-31T00:00:00+00:00"}\n'
    back = pl.read_csv(out.getvalue(), try_parse_dates=True)
    assert back["due"].to_list() == utc


def test_tsv_output_uses_tabs(tmp_path: Path) -> None:
    target = tmp_path / "out.tsv"
    write_frame(pl.DataFrame({"a": ["x"], "b": ["y"]}), str(target), "csv")
    assert target.read_text() == "a\tb\nx\ty\n"


def test_parquet_to_stdout_is_usage_error() -> None:
    with pytest.raises(UsageError, match="parquet cannot be written to stdout; use --format csv or ndjson"):
        write_frame(pl.DataFrame({"a": [1]}), "-", "parquet", stdout=io.BytesIO())


def test_unknown_format_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown output format 'xls'"):
        write_frame(pl.DataFrame({"a": [1]}), str(tmp_path / "o.xls"), "xls")
    assert list(tmp_path.iterdir()) == []


def test_parquet_metadata_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "scored.parquet"
    df = pl.DataFrame({"email": ["a@x.io"], "score": [42]})
    meta = {"leadq.ruleset": "b2b.yaml", "leadq.ruleset_sha256": "ab" * 32}
    write_frame(df, str(target), "parquet", metadata=meta)
    assert read_parquet_metadata(str(target)) == meta
    assert_frame_equal(pl.read_parquet(target), df)


def test_write_replaces_and_keeps_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    write_frame(pl.DataFrame({"a": ["new"]}), str(target), "csv")
    assert target.read_text() == "a\nnew\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


@pytest.mark.parametrize(
    ("exc", "expect"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "no space left on device"),
        (OSError(errno.EACCES, "Permission denied"), "permission denied"),
        (KeyboardInterrupt(), None),
    ],
)
def test_failed_write_keeps_old_file_and_removes_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException, expect: str | None
) -> None:
    target = tmp_path / "out.csv"
    target.write_text("previous,output\n")

    def half_write(self: pl.DataFrame, file: io.BufferedWriter, **kwargs: object) -> None:
        file.write(b"a\npartial")
        raise exc

    monkeypatch.setattr(pl.DataFrame, "write_csv", half_write)
    if expect is None:
        with pytest.raises(KeyboardInterrupt):
            write_frame(pl.DataFrame({"a": ["x"]}), str(target), "csv")
    else:
        with pytest.raises(OutputError) as info:
            write_frame(pl.DataFrame({"a": ["x"]}), str(target), "csv")
        assert str(info.value).startswith(f"cannot write {target}: {expect}")
        assert info.value.exit_code == EXIT_OUTPUT
    assert target.read_text() == "previous,output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_write_to_missing_directory(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.parquet"
    with pytest.raises(OutputError) as info:
        write_frame(pl.DataFrame({"a": [1]}), str(target), "parquet")
    assert str(info.value) == (
        f"cannot write {target}: directory {target.parent} does not exist; create it first"
    )
    assert info.value.exit_code == EXIT_OUTPUT


def test_a_directory_this_user_may_not_write_in_is_refused_before_the_run(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from leadq.outputs import check_output_path

    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    # Simulated: the suite may run as root, whom permissions do not stop.
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(locked) else real_access(p, mode))
    with pytest.raises(OutputError) as info:
        check_output_path(str(locked / "scored.csv"))
    assert str(info.value) == (f"cannot write {locked / 'scored.csv'}: permission denied on directory {locked}; write "
                               "elsewhere or change the directory's permissions")
    check_output_path(str(tmp_path / "scored.csv"))


def test_write_onto_directory(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is a directory"):
        write_frame(pl.DataFrame({"a": [1]}), str(tmp_path), "csv")


def test_an_interrupt_right_after_the_temporary_file_is_created_removes_it(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A signal can land between creating the temporary file and holding its name (mkstemp's window)."""
    target = tmp_path / "out.csv"
    target.write_text("previous\n")
    real_open = os.open

    def open_then_interrupt(file, flags, *args, **kwargs):
        fd = real_open(file, flags, *args, **kwargs)
        if ".out.csv." in str(file):
            os.close(fd)
            raise KeyboardInterrupt
        return fd

    monkeypatch.setattr(os, "open", open_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_frame(pl.DataFrame({"a": [1]}), str(target), "csv")
    monkeypatch.undo()
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_sigterm_during_write_keeps_previous_output(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("previous\n")
    script = textwrap.dedent(
        f"""
        import polars as pl
        from leadq.outputs import write_frame
        n = 12_000_000
        df = pl.DataFrame({{"a": pl.int_range(n, eager=True).cast(pl.String) + "-lead@example.com", "b": pl.int_range(n, eager=True)}})
        write_frame(df, {str(target)!r}, "csv")
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"writer never created its temp file: {proc.stderr.read().decode()}")
            time.sleep(0.002)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert b"Terminated" in err
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


# --------------------------------------------------------------------------- #
# Locking
# --------------------------------------------------------------------------- #


def test_lock_created_and_removed(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    with output_lock(str(target)):
        assert (tmp_path / ".out.parquet.lock").read_text().strip() == str(os.getpid())
    assert not (tmp_path / ".out.parquet.lock").exists()


def test_lock_refused_while_owner_alive(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    lock = tmp_path / ".out.parquet.lock"
    # The owner holds the lock's flock, as a run does while it lasts.
    owner = subprocess.Popen([sys.executable, "-c", "import fcntl, os, sys, time\n"
                              "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
                              "fcntl.flock(fd, fcntl.LOCK_EX)\nos.write(fd, b'%d\\n' % os.getpid())\n"
                              "print(flush=True)\ntime.sleep(30)", str(lock)], stdout=subprocess.PIPE)
    try:
        owner.stdout.readline()
        with pytest.raises(OutputError) as info:
            with output_lock(str(target)):
                pass
        assert str(info.value) == (
            f"{target} is being written by another leadq run (pid {owner.pid}), which holds {lock}; wait for it to end"
        )
        assert info.value.exit_code == EXIT_OUTPUT
        assert lock.read_text() == f"{owner.pid}\n"
    finally:
        owner.kill()
        owner.wait()


def test_stale_lock_taken_over(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / ".out.parquet.lock").write_text(f"{dead.pid}\n")
    with output_lock(str(target)):
        assert (tmp_path / ".out.parquet.lock").read_text().strip() == str(os.getpid())
    assert not (tmp_path / ".out.parquet.lock").exists()


def test_lock_noop_for_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with output_lock("-"):
        assert list(tmp_path.iterdir()) == []


def test_lock_in_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        with output_lock(str(tmp_path / "nope" / "out.csv")):
            pass


def test_ndjson_file_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "out.ndjson"
    write_frame(pl.DataFrame({"a": ["=x"], "l": [["p", "q"]]}), str(target), "ndjson")
    assert [json.loads(line) for line in target.read_text().splitlines()] == [{"a": "=x", "l": ["p", "q"]}]


def test_atomic_writes_commit_all_or_nothing(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("old a\n")
    with pytest.raises(OutputError, match=r"b\.csv: permission denied"):
        with AtomicWrites() as files:
            files.prepare(str(first), lambda fh: fh.write(b"new a\n"))
            files.prepare(str(second), lambda fh: (_ for _ in ()).throw(PermissionError(errno.EACCES, "denied")))
            files.commit()
    assert first.read_text() == "old a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]

    with AtomicWrites() as files:
        files.prepare(str(first), lambda fh: fh.write(b"new a\n"))
        files.prepare(str(second), lambda fh: fh.write(b"new b\n"))
        assert first.read_text() == "old a\n" and not second.exists()  # nothing visible before the commit
        files.commit()
    assert (first.read_text(), second.read_text()) == ("new a\n", "new b\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]


def test_atomic_writes_hold_stdout_until_the_files_are_ready(tmp_path: Path) -> None:
    out = io.BytesIO()
    with pytest.raises(OutputError):
        with AtomicWrites() as files:
            write_frame(pl.DataFrame({"a": ["x"]}), "-", "csv", stdout=out, files=files)
            write_frame(pl.DataFrame({"a": ["x"]}), str(tmp_path / "missing" / "r.csv"), "csv", files=files)
            files.commit()
    assert out.getvalue() == b""


def test_a_reader_that_stops_early_ends_the_run_quietly() -> None:
    # `leadq score ... -o - | head -1`: the reader closes the pipe; leadq stops without
    # a word and exits 0, as it does for its reports. (The scored rows are far more than a pipe buffer.)
    script = "from leadq.cli import main; main()"
    cmd = [sys.executable, "-c", script, "score", "sample_data/contacts.csv", "-o", "-", "-q", "--as-of", "2026-11-01"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.read(1)
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert (proc.returncode, err.decode()) == (0, "")


@pytest.mark.parametrize("args", [
    ["funnel", "sample_data/contacts.csv", "--as-of", "2026-11-01"],
    ["score", "sample_data/contacts.csv", "--as-of", "2026-11-01", "-o", "{tmp}/s.csv"],  # its summary
])
def test_a_report_reader_that_leaves_ends_the_run_quietly(tmp_path: Path, args: list[str]) -> None:
    # `leadq funnel ... | true`: Rich's own handling exits 1, the code of rejected rows under --strict.
    cmd = [sys.executable, "-c", "from leadq.cli import main; main()", *(a.format(tmp=tmp_path) for a in args)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # before the report is printed: scoring the sample takes far longer than this
    _, err = proc.communicate(timeout=120)
    assert (proc.returncode, err.decode()) == (0, "")


# --------------------------------------------------------------------------- #
# Devices and named pipes: written into, never replaced
# --------------------------------------------------------------------------- #


def test_a_device_is_written_into_not_replaced(tmp_path: Path) -> None:
    # `-o /dev/null` as root renamed a temporary file over the device: /dev/null became a regular file
    # for every program on the machine. A symlink to it stands in for it here (the rename replaced the link).
    sink = tmp_path / "sink"
    sink.symlink_to(os.devnull)
    write_frame(pl.DataFrame({"a": ["x"]}), str(sink), "csv")
    assert sink.is_symlink() and os.readlink(sink) == os.devnull
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sink"]  # no temporary file, no lock


def test_a_named_pipe_gets_the_rows_and_stays_a_pipe(tmp_path: Path) -> None:
    import stat
    import threading

    fifo = tmp_path / "rows"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_frame(pl.DataFrame({"a": ["x", "y"]}), str(fifo), "csv")
    reader.join(timeout=30)
    assert got == [b"a\nx\ny\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows"]


def test_a_full_device_is_an_output_error(tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with pytest.raises(OutputError, match=r"^cannot write /dev/full: no space left on device; free some space"):
        write_frame(pl.DataFrame({"a": ["x"]}), "/dev/full", "csv")


def test_score_into_a_device_keeps_it_and_puts_the_rejects_in_the_working_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli) -> None:
    # A cron job that wants only the summary: -o /dev/null, --rejects and --summary-json there too.
    monkeypatch.chdir(tmp_path)
    sink = tmp_path / "sink"
    sink.symlink_to(os.devnull)
    cli(["score", REPO / "sample_data/contacts.csv", "--as-of", "2026-11-01", "-o", sink, "-q",
         "--summary-json", os.devnull])
    assert sink.is_symlink() and os.readlink(sink) == os.devnull
    # Nothing beside the device (it was /dev/null.rejects.csv and /dev/null.lock): the rejects go
    # where --out - puts them.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scored.rejects.csv", "sink"]
    assert (tmp_path / "scored.rejects.csv").read_text().count("\n") == 60  # header + 59 rejects
    cli(["score", REPO / "sample_data/contacts.csv", "--as-of", "2026-11-01", "-o", sink, "-q",
         "--rejects", os.devnull, "--summary-json", os.devnull])


@pytest.mark.parametrize("extra", [[], ["--summary-json", "-"]])
def test_a_summary_that_cannot_be_written_is_an_output_error(tmp_path: Path, extra: list[str]) -> None:
    # A cron job's log on a full disk: it was "internal error: OSError: [Errno 28] ...; this is a bug" (exit 70).
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    cmd = [sys.executable, "-c", "from leadq.cli import main; main()", "score", "sample_data/contacts.csv",
           "--as-of", "2026-11-01", "-o", str(tmp_path / "s.csv"), *extra]
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(cmd, cwd=REPO, stdout=full, stderr=subprocess.PIPE, timeout=120)
    assert (proc.returncode, proc.stderr.decode()) == (EXIT_OUTPUT, (
        "leadq: error: cannot write the summary to stdout: no space left on device; free some space and retry "
        "(the output files were written)\n"))
    assert (tmp_path / "s.csv").exists()


def test_rows_to_a_full_stdout_say_so_plainly(tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    cmd = [sys.executable, "-c", "from leadq.cli import main; main()", "score", "sample_data/contacts.csv",
           "--as-of", "2026-11-01", "-o", "-", "--rejects", str(tmp_path / "r.csv"), "-q"]
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(cmd, cwd=REPO, stdout=full, stderr=subprocess.PIPE, timeout=120)
    # It ended "No space left on device (os error 28)", Polars' words.
    assert (proc.returncode, proc.stderr.decode()) == (EXIT_OUTPUT, (
        "leadq: error: cannot write to stdout: no space left on device; free some space and retry\n"))


@pytest.mark.parametrize("args", [
    ["funnel", "sample_data/contacts.csv", "--as-of", "2026-11-01"],
    ["validate", "rulesets/b2b_saas.yaml"],
    ["--help"],
    ["score", "--help"],
], ids=["funnel", "validate", "help", "score-help"])
def test_a_report_to_a_full_stdout_is_an_output_error_on_every_command(args: list[str]) -> None:
    # A cron job's log on a full disk: 'internal error: OSError: [Errno 28]' (exit 70), or a traceback for --help.
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    cmd = [sys.executable, "-c", "from leadq.cli import main; main()", *args]
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(cmd, cwd=REPO, stdout=full, stderr=subprocess.PIPE, timeout=120)
    assert (proc.returncode, proc.stderr.decode()) == (EXIT_OUTPUT, (
        "leadq: error: cannot write the report to its stream: no space left on device; free some space and retry\n"))


def test_a_lock_left_under_this_runs_own_pid_is_taken_over(tmp_path: Path) -> None:
    # A run killed outright in a container; the next run's container gives it the same pid. The lock's
    # pid is alive (it is this run), and every run refused: "being written by another leadq run".
    target = tmp_path / "out.parquet"
    (tmp_path / ".out.parquet.lock").write_text(f"{os.getpid()}\n")
    with output_lock(str(target)):
        assert (tmp_path / ".out.parquet.lock").read_text() == f"{os.getpid()}\n"
    assert not (tmp_path / ".out.parquet.lock").exists()


def test_a_lock_whose_pid_is_now_another_program_is_taken_over(tmp_path: Path) -> None:
    if not os.path.exists(f"/proc/{os.getpid()}/cmdline"):
        pytest.skip("no /proc here")
    target = tmp_path / "out.parquet"
    other = subprocess.Popen(["sleep", "30"])  # the pid a killed run had, now another program's
    try:
        while not Path(f"/proc/{other.pid}/cmdline").read_bytes().startswith(b"sleep"):
            time.sleep(0.01)  # the child runs as a copy of this Python until it has exec'd sleep
        (tmp_path / ".out.parquet.lock").write_text(f"{other.pid}\n")
        with output_lock(str(target)):
            assert (tmp_path / ".out.parquet.lock").read_text() == f"{os.getpid()}\n"
    finally:
        other.kill()
        other.wait()


def test_an_output_that_is_a_symlink_replaces_the_file_it_names_and_stays_a_link(tmp_path: Path) -> None:
    # `-o latest.csv`, a link into a shared folder: the link was replaced by a regular file, its target left old.
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "leads.csv").write_text("old\n")
    link = tmp_path / "latest.csv"
    link.symlink_to(shared / "leads.csv")
    write_frame(pl.DataFrame({"a": ["x"]}), str(link), "csv")
    assert link.is_symlink() and (shared / "leads.csv").read_text() == "a\nx\n"
    assert sorted(p.name for p in shared.iterdir()) == ["leads.csv"]
    (shared / "leads.csv").unlink()  # a link whose file is not there yet: the file is made
    write_frame(pl.DataFrame({"a": ["y"]}), str(link), "csv")
    assert link.is_symlink() and (shared / "leads.csv").read_text() == "a\ny\n"


def test_a_report_to_a_stdout_that_cannot_encode_its_drawing_prints_in_ascii(tmp_path: Path) -> None:
    """PYTHONIOENCODING=ascii: the outputs were written, then the report's bars raised UnicodeEncodeError (exit 70)."""
    corpus = REPO / "tests" / "bad_inputs"
    out = tmp_path / "scored.csv"
    cmd = [sys.executable, "-c", "from leadq.cli import main; main()", "score", str(corpus / "good_contacts.csv"),
           "-r", str(corpus / "base_ruleset.yaml"), "--as-of", "2026-11-01", "-o", str(out)]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": "ascii", "COLUMNS": "100", "NO_COLOR": "1"})
    assert (proc.returncode, proc.stderr) == (0, b"")
    lines = proc.stdout.decode("ascii").splitlines()
    assert "|nurture |     3 | 100.0% | ####################|" in lines
    assert "|mql     |     0 |   0.0% | ....................|" in lines
    # No funnel table: the contacts have created_at but no later stage (it would be all zeros).
    assert not [line for line in lines if line.startswith("Lead ")]
    assert pl.read_csv(out)["lead_id"].to_list() == ["L1", "L2", "L3"]


def test_the_ascii_stand_ins_of_the_reports_drawing() -> None:
    from leadq.cli import _ascii_or_question_mark

    text = "a█·→…é"
    with pytest.raises(UnicodeEncodeError) as info:
        text.encode("ascii")
    assert _ascii_or_question_mark(info.value) == ("#.->...?", 6)
