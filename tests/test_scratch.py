"""The run's scratch folder, and large text contacts typed once into it: the same output as in memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
import pytest

from leadq import pipeline
from leadq.errors import EXIT_INPUT, OutputError
from leadq.scratch import ScratchFolder
from tests.conftest import SAMPLE, SAMPLE_AS_OF, run_cli


def test_the_scratch_folder_is_made_on_first_use_and_removed_at_the_end(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(RuntimeError):
        with ScratchFolder() as scratch:
            assert list(tmp_path.iterdir()) == []
            folder = Path(scratch.path())
            (folder / "partials-00000.ipc").write_bytes(b"x")
            assert folder.parent == tmp_path and scratch.path() == str(folder)
            raise RuntimeError("the run fails")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_right_after_the_folder_is_made_removes_it(tmp_path, monkeypatch):
    import leadq.scratch as scratch_module

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    real_mkdir = scratch_module.os.mkdir
    taken = tmp_path / f"leadq-{os.getpid()}-000000000000"
    taken.mkdir()  # another run's folder: its name is not used, the folder not removed
    names = iter(["000000000000", "111111111111"])
    monkeypatch.setattr(scratch_module.secrets, "token_hex", lambda n: next(names))

    def made_then_interrupted(path, mode=0o777):
        real_mkdir(path, mode)
        raise KeyboardInterrupt  # Ctrl-C lands before mkdir returns

    monkeypatch.setattr(scratch_module.os, "mkdir", made_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        with ScratchFolder() as scratch:
            scratch.path()
    assert list(tmp_path.iterdir()) == [taken]


def test_a_scratch_folder_that_cannot_be_made_is_an_output_error(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    with ScratchFolder() as scratch:
        with pytest.raises(OutputError, match=r"cannot make a scratch folder for the run in .*missing: .*set TMPDIR"):
            scratch.path()


def test_a_file_written_while_the_folder_is_removed_does_not_hide_the_runs_error(tmp_path, monkeypatch):
    """A writer thread of a failed sink can add a file after the removal listed the folder ("Directory not
    empty"): the removal is tried again, and the run's own error is what the caller sees."""
    import shutil

    import leadq.scratch as scratch_module

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    real = shutil.rmtree
    calls = []

    def racing_rmtree(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 1:  # a late partition file: the first removal fails as on the CI machine
            raise OSError(39, "Directory not empty", path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(scratch_module.shutil, "rmtree", racing_rmtree)
    with pytest.raises(RuntimeError, match="a ragged row"):
        with ScratchFolder() as scratch:
            (Path(scratch.path()) / "partials-00000.ipc").write_bytes(b"x")
            raise RuntimeError("a ragged row")
    assert len(calls) >= 2 and list(tmp_path.iterdir()) == []  # tried again, then removed
    # A folder that cannot be removed at all is left behind, without an error of its own.
    def busy_rmtree(path, *args, **kwargs):
        raise OSError(39, "Directory not empty", path)

    monkeypatch.setattr(scratch_module.shutil, "rmtree", busy_rmtree)
    monkeypatch.setattr(scratch_module.time, "sleep", lambda seconds: None)
    stuck = tmp_path / "stuck"
    stuck.mkdir()
    assert scratch_module.remove_tree(str(stuck)) is None and stuck.exists()


def test_a_spilled_frame_reads_back_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    frame = pl.LazyFrame({"id": ["a", None, "c"], "n": [1.5, 2.0, None]})
    with ScratchFolder() as scratch:
        back = scratch.spill(frame.with_columns(pl.col("n") * 2), "contacts", "the contacts")
        assert [p.name for p in Path(scratch.path()).iterdir()] == ["contacts.ipc"]
        assert back.collect().equals(pl.DataFrame({"id": ["a", None, "c"], "n": [3.0, 4.0, None]}))
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_while_spilling_is_an_output_error(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def full(self, path, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pl.LazyFrame, "sink_ipc", full)
    with ScratchFolder() as scratch:
        with pytest.raises(OutputError, match=r"no space left for the scratch files of the contacts in .*set TMPDIR"):
            scratch.spill(pl.LazyFrame({"a": [1]}), "contacts", "the contacts")


def _score(tmp_path: Path, contacts: Path, name: str, *extra: str) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    out, summary = tmp_path / f"{name}.parquet", tmp_path / f"{name}.json"
    run_cli(["score", contacts, "--activities", SAMPLE / "events" / "*.csv", "--as-of", SAMPLE_AS_OF,
             "-o", out, "--rejects", tmp_path / f"{name}.rejects.csv", "--summary-json", summary, "-q", *extra])
    return pl.read_parquet(out), pl.read_csv(tmp_path / f"{name}.rejects.csv", infer_schema=False), \
        json.loads(summary.read_text())


def test_large_text_contacts_are_typed_once_into_the_scratch_folder(tmp_path, monkeypatch):
    # Every input counts as large: the streaming engine. (Its scores can differ from the in-memory
    # engine's in the last bit of a float: the comparison is within one engine.)
    monkeypatch.setattr(pipeline, "SMALL_INPUT_BYTES", 0)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    spill = ScratchFolder.spill
    monkeypatch.setattr(ScratchFolder, "spill", lambda self, frame, name, what: frame)
    plain, plain_rejects, plain_summary = _score(tmp_path, SAMPLE / "contacts.csv", "plain")
    assert plain_summary["rejected"] > 0 and plain_rejects.height == plain_summary["rejected"]

    spilled: list[str] = []

    def counted(self, frame, name, what):
        spilled.append(name)
        return spill(self, frame, name, what)

    monkeypatch.setattr(ScratchFolder, "spill", counted)
    typed_once, typed_once_rejects, typed_once_summary = _score(tmp_path, SAMPLE / "contacts.csv", "once")
    assert spilled == ["contacts"]
    assert typed_once.equals(plain)
    assert typed_once_rejects.equals(plain_rejects)
    for key in ("input_rows", "rejected", "rejected_by_reason", "files", "events", "tiers"):
        assert typed_once_summary[key] == plain_summary[key], key
    assert list(scratch.iterdir()) == []

    # Parquet contacts are cheap to read again: not written apart.
    spilled.clear()
    contacts = tmp_path / "contacts.parquet"
    pl.read_csv(SAMPLE / "contacts.csv", infer_schema=False).write_parquet(contacts)
    _score(tmp_path, contacts, "parquet")
    assert spilled == []


def test_a_ragged_row_in_large_text_contacts_names_the_line(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "SMALL_INPUT_BYTES", 0)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    lines = (SAMPLE / "contacts.csv").read_text().splitlines(keepends=True)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("".join(lines[:40]) + lines[40].rstrip("\r\n") + ",extra\n" + "".join(lines[41:]))
    out = tmp_path / "out.parquet"
    result = run_cli(["score", contacts, "--activities", SAMPLE / "events" / "*.csv", "-o", out, "-q"],
                     exit_code=EXIT_INPUT)
    assert f"{contacts}: line 41: expected" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert list(scratch.iterdir()) == []


# --- the scratch folders of runs killed outright ------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_run_removes_the_scratch_folders_of_runs_killed_outright_and_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "SMALL_INPUT_BYTES", 0)  # large text contacts: the run makes its scratch folder
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    dead = _dead_pid()
    killed = scratch / f"leadq-{dead}-0123456789ab"
    killed.mkdir()
    (killed / "contacts.ipc").write_bytes(b"x" * 1000)
    # Killed too, its pid now this very run's: a container starts each cron run with the same small pid.
    again = scratch / f"leadq-{os.getpid()}-aaaaaaaaaaaa"
    again.mkdir()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])  # another run, still going
    running = scratch / f"leadq-{other.pid}-ba9876543210"
    running.mkdir()
    (running / "partials-00000.ipc").write_bytes(b"x")
    # Not scratch folders of leadq's, though named alike: another program's, or an older leadq's without a pid.
    lookalikes = ["leadq-0123456789ab", f"leadq-{dead}-0123456789a", f"leadq-{dead}-0123456789abc",
                  f"leadq-{dead}-0123456789AB", f"leadq-{dead}-0123456789ab.tmp", f"leadq-0{dead}-0123456789ab",
                  f"leadq-pg-{dead}-0123456789ab", f"xleadq-{dead}-0123456789ab", f".leadq-{dead}-0123456789ab",
                  f"Leadq-{dead}-0123456789ab", f"leadq-{dead}-0123456789ab-"]
    for name in lookalikes:
        (scratch / name).mkdir()
    a_file = scratch / f"leadq-{dead}-cccccccccccc"
    a_file.write_text("not a folder")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("kept")
    a_link = scratch / f"leadq-{dead}-dddddddddddd"
    a_link.symlink_to(elsewhere, target_is_directory=True)
    try:
        _score(tmp_path, SAMPLE / "contacts.csv", "run")
    finally:
        other.kill()
        other.wait()
    assert _names(scratch) == sorted([running.name, a_file.name, a_link.name, *lookalikes])
    assert _names(running) == ["partials-00000.ipc"]
    assert a_file.read_text() == "not a folder"
    assert a_link.is_symlink() and _names(elsewhere) == ["keep.txt"]


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="the command line of a pid is read in /proc")
def test_a_killed_runs_folder_whose_pid_is_now_another_programs_is_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # The pid was given again, to a program that is no leadq run: a shell, waiting on its `read` (a builtin:
    # no exec, during which its command line reads empty, as any process's may be a leadq run's).
    shell = subprocess.Popen(["sh", "-c", "echo ready; read line"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    taken = tmp_path / f"leadq-{shell.pid}-bbbbbbbbbbbb"
    taken.mkdir()
    try:
        assert shell.stdout.readline() == "ready\n"
        with ScratchFolder() as scratch:
            made = Path(scratch.path()).name
            assert _names(tmp_path) == [made]
    finally:
        shell.kill()
        shell.communicate()
    assert _names(tmp_path) == []


@pytest.mark.parametrize("flock", [True, False], ids=["flock", "no-flock"])
def test_two_scratch_folders_of_one_process_leave_each_other_alone(tmp_path, monkeypatch, flock):
    """Both names hold this process's pid: the second run is not to take the first one's for a dead run's,
    also where no flock is to be had (Windows): the process knows the names it holds."""
    import leadq.scratch as scratch_module

    if not flock:
        monkeypatch.setattr(scratch_module, "fcntl", None)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with ScratchFolder() as first, ScratchFolder() as second:
        first_folder, second_folder = Path(first.path()), Path(second.path())
        assert _names(tmp_path) == sorted([first_folder.name, second_folder.name])
        assert first_folder.name.startswith(f"leadq-{os.getpid()}-")
    assert _names(tmp_path) == []


def test_a_folder_a_live_run_holds_stays_whatever_its_pid(tmp_path, monkeypatch):
    """A run in another container sharing TMPDIR: its pid means nothing here, the lock it holds does."""
    pytest.importorskip("fcntl")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    elsewhere = tmp_path / f"leadq-{_dead_pid()}-0123456789ab"
    elsewhere.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(120)", str(elsewhere)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with ScratchFolder() as scratch:
            made = Path(scratch.path()).name
            assert _names(tmp_path) == sorted([elsewhere.name, made])
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with ScratchFolder() as scratch:  # its run is gone now
        made = Path(scratch.path()).name
        assert _names(tmp_path) == [made]


def test_folders_that_cannot_be_removed_are_left_and_the_run_goes_on(tmp_path, monkeypatch):
    import leadq.scratch as scratch_module

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = _dead_pid()
    stuck = tmp_path / f"leadq-{dead}-0123456789ab"
    stuck.mkdir()
    for name in ("contacts.ipc", "partials-00000.ipc"):
        (stuck / name).write_bytes(b"x")
    real_unlink = os.unlink

    def refusing(path, *args, **kwargs):
        if os.path.basename(path) == "partials-00000.ipc":
            raise PermissionError(13, "Permission denied", path)
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", refusing)
    with ScratchFolder() as scratch:
        made = Path(scratch.path()).name
        assert _names(tmp_path) == sorted([stuck.name, made])
    monkeypatch.setattr(os, "unlink", real_unlink)
    assert _names(stuck) == ["partials-00000.ipc"]  # removed as far as it could be

    # Another user's: left to that user's runs (in a shared /tmp this one could not remove it anyway).
    monkeypatch.setattr(scratch_module, "_UID", os.stat(stuck).st_uid + 1)
    with ScratchFolder() as scratch:
        made = Path(scratch.path()).name
        assert _names(tmp_path) == sorted([stuck.name, made])
    monkeypatch.setattr(scratch_module, "_UID", os.stat(stuck).st_uid)
    with ScratchFolder() as scratch:
        made = Path(scratch.path()).name
        assert _names(tmp_path) == [made]
