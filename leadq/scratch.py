"""The run's scratch folder: temporary files that keep a large run's memory bounded.

Large activity logs are aggregated in partitions whose results are written
here (:mod:`leadq.event_partitions`), and large text contacts are typed once
into an Arrow IPC file here instead of being parsed again by every plan that
reads them (:func:`leadq.pipeline.score_frames`). The folder is made in the
system's temporary directory (``TMPDIR``) on first use and removed with its
files when the run ends, also on error or Ctrl-C.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from contextlib import contextmanager
from typing import Iterator

import polars as pl

from leadq.errors import OutputError

TMPDIR_HINT = ("set TMPDIR to a writable directory with room for about 30 bytes an event of the activity log"
               " and 200 bytes a contact")


class ScratchFolder:
    """A run's temporary folder: made on first use, removed with its files when the run ends."""

    def __init__(self) -> None:
        self._folder: str | None = None

    def path(self) -> str:
        """The folder (made now if it does not exist yet).

        Raises:
            OutputError: The system's temporary directory cannot hold it (exit 4).
        """
        while self._folder is None:
            # The name is held before the folder exists (not so with mkdtemp or TemporaryDirectory):
            # a signal landing right after it is made still finds it to remove.
            self._folder = os.path.join(tempfile.gettempdir(), f"leadq-{secrets.token_hex(6)}")
            try:
                os.mkdir(self._folder, 0o700)
            except FileExistsError:
                self._folder = None  # another's: try another name
            except OSError as exc:
                self._folder = None
                raise OutputError(
                    f"cannot make a scratch folder for the run in {tempfile.gettempdir()}: "
                    f"{exc.strerror or exc}; {TMPDIR_HINT}") from exc
        return self._folder

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
            self._folder = None


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
