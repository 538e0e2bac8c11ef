"""The run's scratch folder: temporary files that keep a large run's memory bounded.

Large activity logs are aggregated in partitions whose results are written
here (:mod:`leadq.event_partitions`), and large text contacts are typed once
into an Arrow IPC file here instead of being parsed again by every plan that
reads them (:func:`leadq.pipeline.score_frames`). The folder is made in the
system's temporary directory (``TMPDIR``) on first use and removed with its
files when the run ends, also on error or Ctrl-C.

A run killed outright (SIGKILL, the OOM killer, a power cut) cannot remove it: a nightly
job killed night after night would fill ``TMPDIR``. So the folder's name holds the run's
pid (``leadq-<pid>-<12 hex digits>``), and a run making its folder removes the ones beside
it whose run is gone, as :mod:`leadq.sample.folder` does with its temporary folders. The
``TMPDIR`` is shared with other programs and users: only directories named exactly so,
owned by this user, are candidates, and a folder that cannot be removed is left silently.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import time
from contextlib import contextmanager
from typing import Iterator

import polars as pl

from leadq.errors import OutputError
from leadq.output_lock import may_be_leadq, pid_alive

try:
    import fcntl
except ImportError:  # Windows: no flock; the pid alone tells
    fcntl = None  # type: ignore[assignment]

TMPDIR_HINT = ("set TMPDIR to a writable directory with room for about 30 bytes an event of the activity log"
               " and 200 bytes a contact")


# A scratch folder's exact name: a pid (at most 9 digits, as every system's pids fit) and the random part.
SCRATCH_NAME = re.compile(r"leadq-([1-9][0-9]{0,8})-[0-9a-f]{12}")
# The names of the scratch folders this process holds now. Another folder with its pid is a dead
# run's: a container starts each cron run with the same small pid, so a killed run's pid is often
# the next run's own.
_HELD: set[str] = set()
_UID = os.getuid() if hasattr(os, "getuid") else None


class ScratchFolder:
    """A run's temporary folder: made on first use, removed with its files when the run ends."""

    def __init__(self) -> None:
        self._folder: str | None = None
        self._flock: int | None = None

    def path(self) -> str:
        """The folder (made now if it does not exist yet; the folders of killed runs beside it go then).

        Raises:
            OutputError: The system's temporary directory cannot hold it (exit 4).
        """
        while self._folder is None:
            # The name is held before the folder exists (not so with mkdtemp or TemporaryDirectory):
            # a signal landing right after it is made still finds it to remove.
            name = f"leadq-{os.getpid()}-{secrets.token_hex(6)}"
            _HELD.add(name)
            self._folder = os.path.join(tempfile.gettempdir(), name)
            try:
                os.mkdir(self._folder, 0o700)
            except FileExistsError:
                self._forget()  # another's: try another name
            except OSError as exc:
                self._forget()
                raise OutputError(
                    f"cannot make a scratch folder for the run in {tempfile.gettempdir()}: "
                    f"{exc.strerror or exc}; {TMPDIR_HINT}") from exc
            else:
                self._flock = _lock(self._folder)[0]
                remove_left_by_killed_runs(os.path.dirname(self._folder))
        return self._folder

    def _forget(self) -> None:
        """Let go of the folder's name and lock (once it is removed, or was never made)."""
        if self._flock is not None:
            os.close(self._flock)
            self._flock = None
        if self._folder is not None:
            _HELD.discard(os.path.basename(self._folder))
            self._folder = None

    def spill(self, frame: pl.LazyFrame, name: str, what: str) -> pl.LazyFrame:
        """Write ``frame`` to ``<name>.ipc`` in the folder (Arrow IPC, uncompressed: written once,
        read a few times, and Parquet's encoding is most of the cost of writing); a scan of the file.

        Raises:
            OutputError: The folder's disk filled up (exit 4); ``what`` names the data.
            polars.exceptions.PolarsError: From computing ``frame`` (the caller names the input).
        """
        path = os.path.join(self.path(), f"{name}.ipc")
        with disk_full_as_output_error(self.path(), what):
            frame.sink_ipc(path, compression="uncompressed")
        return pl.scan_ipc(path, glob=False)

    def __enter__(self) -> "ScratchFolder":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._folder is not None:
            remove_tree(self._folder)
            self._forget()


def remove_left_by_killed_runs(parent: str) -> None:
    """Remove the scratch folders in ``parent`` whose run is gone: killed outright, it could not.

    A run is gone as the output lock reads a pid (:func:`leadq.output_lock.output_lock`): its pid
    is not alive, is a live process that is no leadq run (the pid was given again), or is this
    very process's while the folder is not one it holds. Never touched: anything not named
    exactly as a scratch folder (:data:`SCRATCH_NAME`), files, symbolic links (not followed),
    another user's folders, and a folder a live run holds its lock on (a run in another
    container sharing ``TMPDIR``, whose pid means nothing here). A folder that cannot be
    removed, or not wholly, is left as it is: this never fails the run.
    """
    try:
        with os.scandir(parent) as entries:
            leftovers = [entry.path for entry in entries if _left_by_killed_run(entry)]
    except OSError:
        return
    for path in leftovers:
        fd, held = _lock(path)  # held while removing: a second run sweeping at once leaves it to this one
        if not held:
            shutil.rmtree(path, ignore_errors=True)  # refuses a symbolic link put there since
        if fd is not None:
            os.close(fd)


def _left_by_killed_run(entry: os.DirEntry) -> bool:
    """Whether ``entry`` is a scratch folder of this user whose run is gone (by its name's pid)."""
    named = SCRATCH_NAME.fullmatch(entry.name)
    if named is None or entry.name in _HELD:
        return False
    try:
        if not entry.is_dir(follow_symlinks=False):
            return False
        if _UID is not None and entry.stat(follow_symlinks=False).st_uid != _UID:
            return False
    except OSError:
        return False
    pid = int(named.group(1))
    return pid == os.getpid() or not pid_alive(pid) or not may_be_leadq(pid)


def _lock(folder: str) -> tuple[int | None, bool]:
    """Take an exclusive ``flock`` on ``folder``: (the descriptor holding it, or None; whether another holds it).

    A run holds its folder's lock while it lasts. The kernel releases it when the process dies,
    however it dies, and every process on the machine sees it, whatever pids it sees. Where it is
    not to be had (Windows, a file system without flock) the pid in the name alone tells.
    """
    if fcntl is None:
        return None, False
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None, False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        return None, isinstance(exc, BlockingIOError)
    return fd, False


CLEANUP_TRIES = 8


def remove_tree(folder: str) -> None:
    """Remove the folder and its files, trying again while it is still being written to.

    When a run fails while Polars writes partitions here (a ragged row in a large CSV
    log), its writer threads may add a file after the removal listed the folder:
    "Directory not empty". That must not turn the run's own error into an internal one,
    so the removal is tried again a few times, then given up on without raising.
    """
    for attempt in range(CLEANUP_TRIES):
        try:
            shutil.rmtree(folder)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02 * (attempt + 1))


@contextmanager
def disk_full_as_output_error(folder: str, what: str) -> Iterator[None]:
    """Turn a full disk while writing scratch files into an :class:`OutputError` with the TMPDIR hint."""
    try:
        yield
    except (pl.exceptions.PolarsError, OSError) as exc:
        if "No space left on device" in str(exc) or "os error 28" in str(exc):
            raise OutputError(f"no space left for the scratch files of {what} in {folder}; {TMPDIR_HINT}") from exc
        raise
