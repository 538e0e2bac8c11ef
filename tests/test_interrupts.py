"""Interrupted and concurrent runs: the previous output survives, nothing stray is left.

These run the installed console script in a subprocess (signals and locks are
process matters), on a generated input large enough that the run is still
busy when the signal arrives. The signal is sent once the run holds its output
lock, i.e. while it reads, scores or writes; whichever it is, the previous
output must survive byte for byte.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import SAMPLE_AS_OF, run_cli

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
RULESET = CORPUS / "base_ruleset.yaml"
ROWS = 400_000


def _script() -> str:
    import shutil

    found = shutil.which("leadq", path=os.path.dirname(sys.executable)) or shutil.which("leadq")
    if found is None:  # pragma: no cover
        pytest.skip("the leadq console script is not installed")
    return found


@pytest.fixture(scope="module")
def big_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A contacts CSV of ROWS rows in the corpus ruleset's columns (built in Polars)."""
    path = tmp_path_factory.mktemp("big") / "contacts.csv"
    i = pl.int_range(0, ROWS, eager=True)
    pl.DataFrame({
        "Lead ID": "L" + i.cast(pl.String),
        "Email": "user" + i.cast(pl.String) + "@acme" + (i % 97).cast(pl.String) + ".com",
        "Job Title": pl.Series(["VP Sales", "Intern", "Director of Marketing", "CEO"] * (ROWS // 4)),
        "Employees": (i % 5000).cast(pl.String),
        "Revenue": (i * 1000).cast(pl.String),
        "Created": "03/04/2026",
        "Updated": "",
        "Budget": "",
    }).write_csv(path)
    return path


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([_script(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "NO_COLOR": "1"})


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"run ended before {path.name} appeared: {proc.communicate()}")
        if time.monotonic() > deadline:  # pragma: no cover
            proc.kill()
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.005)


def _score_args(contacts: Path, out: Path) -> list[str]:
    return ["score", str(contacts), "-r", str(RULESET), "--as-of", SAMPLE_AS_OF, "-o", str(out), "-q"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_killed_run_leaves_previous_output_intact(big_input: Path, tmp_path: Path, sig: int, fmt: str) -> None:
    out = tmp_path / f"scored.{fmt}"
    rejects = tmp_path / "scored.rejects.csv"
    out.write_bytes(b"previous output\n")
    rejects.write_bytes(b"previous rejects\n")
    proc = _start(_score_args(big_input, out))
    _wait_for(tmp_path / f".scored.{fmt}.lock", proc)
    time.sleep(0.3)  # well inside the run: reading/scoring takes seconds at this size
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr == "leadq: error: interrupted; the previous output was left intact\n"
    assert out.read_bytes() == b"previous output\n"
    assert rejects.read_bytes() == b"previous rejects\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["scored.rejects.csv", f"scored.{fmt}"])


def test_sigterm_during_the_write_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A signal arriving inside the writer (after some bytes are out) removes the temporary file."""
    from leadq import outputs as leadq_outputs

    out = tmp_path / "scored.csv"
    out.write_bytes(b"previous output\n")
    real_write = leadq_outputs._write

    def write_then_signal(df, fh, *args):
        fh.write(b"partial")
        os.kill(os.getpid(), signal.SIGTERM)
        real_write(df, fh, *args)

    monkeypatch.setattr(leadq_outputs, "_write", write_then_signal)
    result = run_cli(_score_args(CORPUS / "good_contacts.csv", out), exit_code=130)
    assert "interrupted" in result.stderr
    assert out.read_bytes() == b"previous output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scored.csv"]


def test_second_concurrent_run_refuses(big_input: Path, tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    first = _start(_score_args(big_input, out))
    _wait_for(tmp_path / ".scored.csv.lock", first)
    second = subprocess.run([_script(), *_score_args(CORPUS / "good_contacts.csv", out)],
                            capture_output=True, text=True)
    assert second.returncode == 4, second.stderr
    assert second.stderr == (f"leadq: error: {out} is being written by another leadq run (pid {first.pid}), which "
                             f"holds {tmp_path / '.scored.csv.lock'}; wait for it to end\n")
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    # The first run's output is complete and the lock is gone.
    assert pl.read_csv(out).height == ROWS
    assert not (tmp_path / ".scored.csv.lock").exists()


def test_stale_lock_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / ".scored.csv.lock").write_text(f"{dead.pid}\n")
    run_cli(_score_args(CORPUS / "good_contacts.csv", out))
    assert pl.read_csv(out)["lead_id"].to_list() == ["L1", "L2", "L3"]
    assert not (tmp_path / ".scored.csv.lock").exists()


def _dead_pid() -> int:
    dead = subprocess.Popen(["true"])
    dead.wait()
    return dead.pid


def test_a_run_in_another_container_is_respected_by_its_flock(tmp_path: Path) -> None:
    """A run whose pid means nothing here (another pid namespace, another host) still holds the lock's flock.

    The first run reads its contacts from a named pipe nobody writes yet, so it waits holding the lock;
    its pid in the lock is replaced by a dead one, as a run in another container would look from here.
    """
    out = tmp_path / "scored.csv"
    out.write_bytes(b"previous output\n")
    pipe = tmp_path / "contacts.csv"
    os.mkfifo(pipe)
    first = _start(_score_args(pipe, out))
    try:
        _wait_for(tmp_path / ".scored.csv.lock", first)
        dead = _dead_pid()
        (tmp_path / ".scored.csv.lock").write_text(f"{dead}\n")
        second = subprocess.run([_script(), *_score_args(CORPUS / "good_contacts.csv", out)],
                                capture_output=True, text=True)
        assert second.returncode == 4, second.stderr
        assert second.stderr == (f"leadq: error: {out} is being written by another leadq run (pid {dead}) in another "
                                 f"container or on another host, which holds {tmp_path / '.scored.csv.lock'}; wait for it to "
                                 "end\n")
        assert out.read_bytes() == b"previous output\n"
        # The first run then gets its input and ends as usual, removing its lock.
        pipe.write_bytes((CORPUS / "good_contacts.csv").read_bytes())
        _, stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr
    assert pl.read_csv(out)["lead_id"].to_list() == ["L1", "L2", "L3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts.csv", "scored.csv", "scored.rejects.csv"]


def test_lock_held_by_live_process_refuses_before_reading(tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    lock = tmp_path / ".scored.csv.lock"
    # A Python process holding the lock's flock stands for the live run.
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, os, sys, time\n"
                               "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
                               "fcntl.flock(fd, fcntl.LOCK_EX)\nos.write(fd, b'%d\\n' % os.getpid())\n"
                               "print(flush=True)\ntime.sleep(60)", str(lock)], stdout=subprocess.PIPE)
    try:
        holder.stdout.readline()
        # The input does not exist: the lock is checked first, so nothing is read.
        result = run_cli(["score", str(tmp_path / "missing.csv"), "-r", str(RULESET), "-o", str(out)],
                         exit_code=4)
        assert f"is being written by another leadq run (pid {holder.pid})" in result.stderr
        assert lock.read_text() == f"{holder.pid}\n"
    finally:
        holder.kill()
        holder.wait()


def test_an_output_in_a_missing_directory_is_refused_by_its_own_name_before_reading(tmp_path: Path) -> None:
    out = tmp_path / "no" / "scored.csv"
    # The input does not exist either: the output is checked first, and named, not its rejects file.
    result = run_cli(["score", str(tmp_path / "missing.csv"), "-r", str(RULESET), "-o", str(out)], exit_code=4)
    assert result.stderr == (f"leadq: error: cannot write {out}: directory {out.parent} does not exist; "
                             "create it first\n")


def test_disk_full_keeps_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from leadq import outputs as leadq_outputs

    out = tmp_path / "scored.parquet"
    out.write_bytes(b"previous output")

    def full(df, fh, *args):
        fh.write(b"some bytes")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(leadq_outputs, "_write", full)
    result = run_cli(_score_args(CORPUS / "good_contacts.csv", out), exit_code=4)
    assert result.stderr == f"leadq: error: cannot write {out}: no space left on device; free some space and retry\n"
    assert out.read_bytes() == b"previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scored.parquet"]


def test_permission_denied_on_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root, permissions do not bite; a refused temporary file stands in for a read-only directory."""
    import errno

    out = tmp_path / "scored.csv"
    out.write_bytes(b"previous output\n")
    real_open = os.open

    def refuse(file, *args, **kwargs):
        if ".scored.csv." in str(file) and str(file).endswith(".tmp"):  # the temporary file beside the output
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    result = run_cli(_score_args(CORPUS / "good_contacts.csv", out), exit_code=4)
    assert result.stderr == f"leadq: error: cannot write {out}: permission denied; check the permissions\n"
    assert out.read_bytes() == b"previous output\n"
    assert not (tmp_path / ".scored.csv.lock").exists()


def test_unreadable_input_is_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadq import outputs as leadq_outputs

    unreadable = str(CORPUS / "good_contacts.csv")
    real_access = os.access
    monkeypatch.setattr(leadq_outputs.os, "access", lambda path, mode: path != unreadable and real_access(path, mode))
    result = run_cli(_score_args(CORPUS / "good_contacts.csv", tmp_path / "scored.csv"), exit_code=3)
    assert result.stderr == (f"leadq: error: cannot read {CORPUS / 'good_contacts.csv'}: permission denied; "
                             "check the file's permissions\n")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- #
# The scored output and its rejects are committed together
# --------------------------------------------------------------------------- #


def _previous_outputs(tmp_path: Path) -> tuple[Path, Path]:
    out, rejects = tmp_path / "scored.csv", tmp_path / "scored.rejects.csv"
    out.write_bytes(b"previous output\n")
    rejects.write_bytes(b"previous rejects\n")
    return out, rejects


def _assert_previous_outputs_intact(tmp_path: Path) -> None:
    assert (tmp_path / "scored.csv").read_bytes() == b"previous output\n"
    assert (tmp_path / "scored.rejects.csv").read_bytes() == b"previous rejects\n"
    # No temporary file, no backup link, no lock.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scored.csv", "scored.rejects.csv"]


def test_rejects_in_a_directory_that_is_a_file_refuses_before_writing(tmp_path: Path) -> None:
    """A parent that is a regular file fails even for root (a read-only directory would not)."""
    out, _ = _previous_outputs(tmp_path)
    blocker = tmp_path / "scored.rejects.csv"
    result = run_cli(_score_args(CORPUS / "good_contacts.csv", out) + ["--rejects", blocker / "rejects.csv"],
                     exit_code=4)
    assert result.stderr == (f"leadq: error: cannot write {blocker / 'rejects.csv'}: {blocker} is a file, "
                             "not a directory\n")
    _assert_previous_outputs_intact(tmp_path)


def test_rejects_write_failing_keeps_both_previous_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scored output is ready first; the rejects then hit a full disk: neither file changes."""
    import errno

    from leadq import outputs as leadq_outputs

    out, rejects = _previous_outputs(tmp_path)
    real_write = leadq_outputs._write
    calls = []

    def full_on_rejects(df, fh, *args):
        calls.append(fh.name)
        if len(calls) == 2:
            fh.write(b"some bytes")
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(df, fh, *args)

    monkeypatch.setattr(leadq_outputs, "_write", full_on_rejects)
    result = run_cli(_score_args(CORPUS / "duplicate_ids.csv", out), exit_code=4)
    assert result.stderr == f"leadq: error: cannot write {rejects}: no space left on device; free some space and retry\n"
    assert len(calls) == 2  # the scored output was fully written (to its temporary file) first
    _assert_previous_outputs_intact(tmp_path)


def _refuse_rename_to(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the commit's rename of a temporary file onto ``target`` fail with EIO."""
    import errno

    from leadq import outputs as leadq_outputs

    real_replace = os.replace

    def refuse(src, dst):
        if str(dst) == str(target) and str(src).endswith(".tmp"):
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(leadq_outputs.os, "replace", refuse)


def test_failed_rename_of_the_rejects_puts_the_scored_output_back(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    out, rejects = _previous_outputs(tmp_path)
    _refuse_rename_to(rejects, monkeypatch)
    result = run_cli(_score_args(CORPUS / "duplicate_ids.csv", out), exit_code=4)
    assert result.stderr == f"leadq: error: cannot write {rejects}: Input/output error\n"
    _assert_previous_outputs_intact(tmp_path)


def test_signal_during_the_renames_keeps_both_previous_outputs(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM right after the scored output was renamed: it is put back before the run stops (exit 130)."""
    from leadq import outputs as leadq_outputs

    out, _ = _previous_outputs(tmp_path)
    real_replace = os.replace

    def replace_then_signal(src, dst):
        real_replace(src, dst)
        if str(dst) == str(out):
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(leadq_outputs.os, "replace", replace_then_signal)
    result = run_cli(_score_args(CORPUS / "duplicate_ids.csv", out), exit_code=130)
    assert result.stderr == "leadq: error: interrupted; the previous output was left intact\n"
    _assert_previous_outputs_intact(tmp_path)


def test_a_signal_once_every_output_is_in_place_lets_the_run_end_with_its_outputs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM while the backups of the replaced outputs are dropped: the outputs are this run's, so it
    ends with 0 (it said 130, "previous output left intact", and a cron job dropped the hand-off)."""
    from leadq import outputs as leadq_outputs

    out, rejects = _previous_outputs(tmp_path)
    real_drop = leadq_outputs._Prepared.drop_backup

    def drop_then_signal(self):
        real_drop(self)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(leadq_outputs._Prepared, "drop_backup", drop_then_signal)
    run_cli(_score_args(CORPUS / "duplicate_ids.csv", out))
    assert pl.read_csv(out)["lead_id"].to_list() == ["L2", "L1"]
    assert pl.read_csv(rejects)["source_row"].to_list() == [1, 4]


def test_scored_output_and_rejects_are_replaced_together(tmp_path: Path) -> None:
    out, rejects = _previous_outputs(tmp_path)
    run_cli(_score_args(CORPUS / "duplicate_ids.csv", out))
    assert pl.read_csv(out)["lead_id"].to_list() == ["L2", "L1"]
    assert pl.read_csv(rejects)["source_row"].to_list() == [1, 4]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scored.csv", "scored.rejects.csv"]


def test_summary_json_is_committed_with_the_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed rename of the summary file leaves the previous outputs too; a good run replaces all three."""
    out, rejects = _previous_outputs(tmp_path)
    summary = tmp_path / "summary.json"
    summary.write_bytes(b"previous summary\n")
    _refuse_rename_to(summary, monkeypatch)
    args = _score_args(CORPUS / "duplicate_ids.csv", out) + ["--summary-json", summary]
    run_cli(args, exit_code=4)
    assert summary.read_bytes() == b"previous summary\n"
    summary.unlink()
    _assert_previous_outputs_intact(tmp_path)
    monkeypatch.undo()
    summary.write_bytes(b"previous summary\n")
    run_cli(args)
    data = json.loads(summary.read_text())
    assert data["outputs"] == {"scored": str(out), "rejects": str(rejects)}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scored.csv", "scored.rejects.csv", "summary.json"]


def test_ctrl_c_inside_the_scoring_query(big_input: Path, tmp_path: Path) -> None:
    """SIGINT well inside the collect: Polars stops the query, one clean line, exit 130, nothing left."""
    out = tmp_path / "scored.csv"
    out.write_bytes(b"previous output\n")
    proc = _start(_score_args(big_input, out))
    _wait_for(tmp_path / ".scored.csv.lock", proc)
    time.sleep(0.6)  # the whole run takes over a second after the lock at this size, most of it the query
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    # On a loaded machine the signal may land while Polars runs Python code of its own (building the plan's
    # schema), where it panics on the KeyboardInterrupt: Rust's panic hook reports that before leadq's line.
    before, _, last = stderr.rpartition("leadq: error: ")
    assert last == "interrupted; the previous output was left intact\n", stderr
    assert before == "" or (before.startswith("thread '") and "panicked at" in before and "KeyboardInterrupt" in before)
    assert out.read_bytes() == b"previous output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scored.csv"]


class PanicException(BaseException):
    """Stands for pyo3's PanicException (a BaseException, matched by name): what Polars raises when it panics."""


@pytest.mark.parametrize(("message", "exit_code", "line"), [
    ("called `Result::unwrap()` on an `Err` value: PyErr { type: <class 'KeyboardInterrupt'>, value: "
     "KeyboardInterrupt() }", 130, "interrupted; the previous output was left intact"),
    ("called `Result::unwrap()` on an `Err` value: PyErr { type: <class 'leadq.interrupts.Terminated'> }", 130,
     "interrupted; the previous output was left intact"),
    ("index out of bounds", 70, "internal error: PanicException: index out of bounds; this is a bug in leadq, "
                                "please report it (set LEADQ_DEBUG=1 to see the traceback)"),
])
def test_a_polars_panic_is_an_interrupt_or_an_internal_error_never_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, message: str, exit_code: int, line: str) -> None:
    from leadq import pipeline

    out = tmp_path / "scored.csv"
    out.write_bytes(b"previous output\n")

    def panics(*args, **kwargs):
        raise PanicException(message)

    monkeypatch.setattr(pipeline, "score_frames", panics)
    result = run_cli(_score_args(CORPUS / "good_contacts.csv", out), exit_code=exit_code)
    assert result.stderr == f"leadq: error: {line}\n"
    assert out.read_bytes() == b"previous output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scored.csv"]


# --------------------------------------------------------------------------- #
# A signal while the run starts (imports, option parsing): 130 too, not the default 143
# --------------------------------------------------------------------------- #

# Runs leadq as its console script does, with the step STEP held up until a signal comes: the
# import of typer (leadq.cli's own import), app_for (before Click runs the command) or the
# import of polars (inside the command, before it takes its output's lock). MARKER is made once
# the step is reached.
_STARTING = """
import builtins, os, sys, time
step, marker = sys.argv[1], sys.argv[2]

def hold():
    open(marker, "w").close()
    time.sleep(60)

sys.modules["__main__"].__file__ = os.path.join(os.path.dirname(sys.executable), "leadq")
real_import = builtins.__import__

def held_import(name, *args, **kwargs):
    if name == step:
        builtins.__import__ = real_import
        hold()
    return real_import(name, *args, **kwargs)

if step in ("typer", "polars"):
    builtins.__import__ = held_import
import leadq.cli
if step == "app_for":
    real_app_for = leadq.cli.app_for
    leadq.cli.app_for = lambda args: (hold(), real_app_for(args))[1]
sys.argv = ["leadq", *sys.argv[3:]]
leadq.cli.main()
"""


@pytest.mark.parametrize("step", ["typer", "app_for", "polars"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_while_the_run_starts_exits_130_with_its_line(tmp_path: Path, step: str, sig: int) -> None:
    out = tmp_path / "scored.csv"
    out.write_bytes(b"previous output\n")
    marker = tmp_path / "reached"
    proc = subprocess.Popen([sys.executable, "-c", _STARTING, step, str(marker),
                             *_score_args(CORPUS / "good_contacts.csv", out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(marker, proc)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (proc.returncode, stderr, stdout) == (130, "leadq: error: interrupted; the previous output was left intact\n",
                                                 "")
    assert out.read_bytes() == b"previous output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reached", "scored.csv"]
