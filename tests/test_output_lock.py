"""The output lock across processes: a run holding the lock's flock is live, whatever its pid says here.

A run in another container (another pid namespace, or another host on a shared volume) writes
a pid that means nothing here: it looks dead, or is some other process. A new pid namespace
cannot be made in CI, so a process holding the flock on a lock that names a dead pid stands
for it.
"""

from __future__ import annotations

import glob as globlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadq import output_lock as lock_module
from leadq.errors import EXIT_OUTPUT, OutputError
from leadq.output_lock import output_lock

pytestmark = pytest.mark.skipif(lock_module.fcntl is None, reason="no flock here")

# Holds an exclusive flock on argv[1] (created if need be), writes argv[2] into it, says so, and waits.
_HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
os.ftruncate(fd, 0)
os.write(fd, sys.argv[2].encode())
print("held", flush=True)
time.sleep(120)
"""


def _dead_pid() -> int:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return dead.pid


def _hold(lock: Path, text: str) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(lock), text], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    return holder


def test_a_lock_whose_pid_looks_dead_is_live_while_its_flock_is_held(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    lock = tmp_path / ".out.parquet.lock"
    pid = _dead_pid()
    holder = _hold(lock, f"{pid}\n")
    try:
        with pytest.raises(OutputError) as info:
            with output_lock(str(target)):
                pass
        assert str(info.value) == (f"{target} is being written by another leadq run (pid {pid}) in another "
                                   f"container or on another host, which holds {lock}; wait for it to end")
        assert info.value.exit_code == EXIT_OUTPUT
        assert lock.read_text() == f"{pid}\n"  # left to its owner
    finally:
        holder.kill()
        holder.wait()
    # Its owner gone (the kernel let go of the flock), the same lock is stale and taken over.
    with output_lock(str(target)):
        assert lock.read_text() == f"{os.getpid()}\n"
    assert not lock.exists()


def test_a_lock_held_by_a_live_run_here_names_its_pid(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    lock = tmp_path / ".out.parquet.lock"
    holder = _hold(lock, "")  # the pid is written once the flock is held: the holder's own here
    try:
        lock.write_text(f"{holder.pid}\n")
        with pytest.raises(OutputError) as info:
            with output_lock(str(target)):
                pass
        assert str(info.value) == (f"{target} is being written by another leadq run (pid {holder.pid}), which holds "
                                   f"{lock}; wait for it to end")
    finally:
        holder.kill()
        holder.wait()


def test_a_held_lock_without_a_pid_yet_still_refuses(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    lock = tmp_path / ".out.parquet.lock"
    holder = _hold(lock, "")
    try:
        with pytest.raises(OutputError, match=r"^.* is being written by another leadq run, which holds "):
            with output_lock(str(target)):
                pass
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_whose_pid_is_live_but_whose_flock_is_free_is_taken_over(tmp_path: Path) -> None:
    # The pid of a killed run, given again to a Python process (of another container's run, say): the flock tells.
    target = tmp_path / "out.parquet"
    lock = tmp_path / ".out.parquet.lock"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock.write_text(f"{other.pid}\n")
        with output_lock(str(target)):
            assert lock.read_text() == f"{os.getpid()}\n"
        assert not lock.exists()
    finally:
        other.kill()
        other.wait()


def test_the_lock_is_held_by_flock_while_the_run_lasts(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    lock = tmp_path / ".out.parquet.lock"
    probe = ("import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDWR)\n"
             "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n    sys.exit(7)\n")
    with output_lock(str(target)):
        assert subprocess.run([sys.executable, "-c", probe, str(lock)]).returncode == 7


@pytest.mark.parametrize("code", ["ENOLCK", "EOPNOTSUPP"])
def test_without_flock_the_pid_decides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    """A file system without flock (some NFS): a lock whose pid is a live leadq-like process refuses, a dead one's goes."""
    import errno

    def no_flock(fd, op):
        raise OSError(getattr(errno, code), os.strerror(getattr(errno, code)))

    monkeypatch.setattr(lock_module.fcntl, "flock", no_flock)
    target = tmp_path / "out.parquet"
    lock = tmp_path / ".out.parquet.lock"
    lock.write_text(f"{_dead_pid()}\n")
    with output_lock(str(target)):
        assert lock.read_text() == f"{os.getpid()}\n"
    assert not lock.exists()
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock.write_text(f"{owner.pid}\n")
        with pytest.raises(OutputError) as info:
            with output_lock(str(target)):
                pass
        assert str(info.value) == (f"{target} is being written by another leadq run (pid {owner.pid}); remove "
                                   f"{lock} if that run is gone")
        assert lock.read_text() == f"{owner.pid}\n"
    finally:
        owner.kill()
        owner.wait()


# --------------------------------------------------------------------------- #
# The lock's name: hidden beside the output
# --------------------------------------------------------------------------- #


def test_the_lock_is_a_hidden_file_beside_the_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadq.output_lock import lock_path

    assert lock_path(str(tmp_path / "scored.parquet")) == str(tmp_path / ".scored.parquet.lock")
    assert lock_path("scored.csv") == ".scored.csv.lock"
    assert lock_path(str(tmp_path / ".leadq-sample")) == str(tmp_path / ".leadq-sample.lock")  # hidden already
    monkeypatch.chdir(tmp_path)
    with output_lock("scored.csv"):
        assert sorted(p.name for p in tmp_path.iterdir()) == [".scored.csv.lock"]
        assert globlib.glob(str(tmp_path / "*")) == []  # what an input glob 'folder/*' sees
    assert list(tmp_path.iterdir()) == []


def test_a_lock_of_an_older_leadq_whose_run_is_alive_refuses(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    legacy = tmp_path / "out.parquet.lock"
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        legacy.write_text(f"{owner.pid}\n")
        with pytest.raises(OutputError) as info:
            with output_lock(str(target)):
                pass
        assert str(info.value) == (f"{target} is being written by another leadq run (pid {owner.pid}); remove "
                                   f"{legacy} if that run is gone")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet.lock"]  # the new lock let go
        assert legacy.read_text() == f"{owner.pid}\n"
    finally:
        owner.kill()
        owner.wait()


def test_a_stale_lock_of_an_older_leadq_is_removed(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    legacy = tmp_path / "out.parquet.lock"
    legacy.write_text(f"{_dead_pid()}\n")
    with output_lock(str(target)):
        assert sorted(p.name for p in tmp_path.iterdir()) == [".out.parquet.lock"]
    assert list(tmp_path.iterdir()) == []


def test_an_input_glob_over_the_output_folder_does_not_read_the_runs_lock(tmp_path: Path) -> None:
    """`-a 'lk/*' -o lk/scored.parquet`: the glob matched lk/scored.parquet.lock ("cannot tell the format")."""
    from tests.conftest import run_cli

    corpus = Path(__file__).resolve().parent / "bad_inputs"
    folder = tmp_path / "lk"
    folder.mkdir()
    (folder / "events.csv").write_text("Lead ID,Event,When\nL1,webinar,2026-10-01\n")
    out = folder / "scored.csv"
    run_cli(["score", str(corpus / "good_contacts.csv"), "-r", str(corpus / "base_ruleset.yaml"), "-a",
             str(folder / "*"), "--input-format", "csv", "--as-of", "2026-11-01", "-o", str(out), "-q"])
    assert sorted(p.name for p in folder.iterdir()) == ["events.csv", "scored.csv", "scored.rejects.csv"]
