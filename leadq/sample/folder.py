"""The sample's folder, written all at once or not at all.

:func:`write_all_or_nothing` has every file written into a temporary folder beside the target (on
the same file system, so the files are renamed into place, not copied) and moves them into the
target only once all of them are complete. A failure (a full disk, a permission error) or an
interrupt (Ctrl-C, or SIGTERM through :func:`leadq.interrupts.interruptible`) before that removes
the temporary folder and leaves the target as it was: missing, empty, or holding an earlier sample.
With ``replace_earlier`` that earlier sample is moved out of the way only as the new files move in.
The moves are made with SIGINT and SIGTERM held back, as :class:`leadq.outputs.AtomicWrites` makes
its renames, and undone when one arrived, so the target holds either the whole new sample or what
it held before.

Two runs into one folder would interleave their moves: a run holds a lock
(:func:`leadq.output_lock.output_lock`) from before its temporary folder is made until it is
removed, and the second run stops with the first one's pid. A run killed outright (SIGKILL, a
power cut) leaves its temporary folder behind; its name holds the run's pid, and the next run
removes the folders whose run is gone.
"""

from __future__ import annotations

import errno
import glob
import os
import secrets
from contextlib import ExitStack
from typing import Callable

from leadq.errors import OutputError, os_reason
from leadq.interrupts import interruptible
from leadq.output_lock import may_be_leadq, output_lock, pid_alive  # as the lock reads a pid
from leadq.outputs import fsync_dir, signals_held
from leadq.scratch import remove_tree

__all__ = ["earlier_sample", "write_all_or_nothing"]

# Inside the temporary folder: an earlier sample's files, moved there while the new ones move in.
_EARLIER = ".earlier"
# Inside an existing target: the lock's name (without ".lock") and the temporary folder's prefix.
_INSIDE = ".leadq-sample"


def earlier_sample(out_dir: str) -> list[str]:
    """The files of an earlier sample in ``out_dir``, relative to it.

    ``contacts`` and ``accounts`` (CSV or Parquet) and every CSV or Parquet file in ``events/``:
    the events of another sample are named after other months, and a glob over the folder would
    read them with the new ones. Other files (the user's own) are not the sample's.
    """
    found = []
    for ext in ("csv", "parquet"):
        found += [f"contacts.{ext}", f"accounts.{ext}"]
        found += [os.path.join("events", os.path.basename(p))
                  for p in sorted(glob.glob(os.path.join(glob.escape(out_dir), "events", f"*.{ext}")))]
    return [rel for rel in found if os.path.isfile(os.path.join(out_dir, rel))]


def write_all_or_nothing(out_dir: str, write: Callable[[str], list[str]], *,
                         replace_earlier: bool = False) -> list[str]:
    """Run ``write`` on a new temporary folder beside ``out_dir``, then move what it wrote into ``out_dir``.

    ``out_dir`` and its missing parents are made when it does not exist. Files already in it
    under the new files' names are replaced; with ``replace_earlier`` an earlier sample's other
    files (:func:`earlier_sample`) go too. Every other file in it stays.

    Args:
        out_dir: The folder to write into.
        write: Writes the files into the folder it is given; returns their paths there.
        replace_earlier: Remove an earlier sample's files as the new ones move in.

    Returns:
        The paths written, in ``write``'s order, under ``out_dir``.

    Raises:
        OutputError: A file could not be written or moved into place; ``out_dir`` is as it was.
        KeyboardInterrupt: SIGINT or SIGTERM; ``out_dir`` is as it was.
    """
    folder = _Staging(out_dir)
    with interruptible():
        try:
            folder.make()
            assert folder.path is not None
            written = [os.path.relpath(p, folder.path) for p in write(folder.path)]
            folder.commit(replace_earlier)
        except BaseException:
            folder.discard()
            raise
        folder.discard(done=True)
    return [os.path.join(out_dir, rel) for rel in written]


class _Staging:
    """The temporary folder a sample is written into, and the moves that put its files in the target."""

    def __init__(self, out_dir: str) -> None:
        self.shown = out_dir  # as the user wrote it, for messages
        self.target = os.path.abspath(out_dir)
        self.path: str | None = None
        self._made_parents: list[str] = []  # folders above the target made for it, outermost first
        self._lock = ExitStack()

    def make(self) -> None:
        """Take the lock, remove what killed runs left, make the temporary folder.

        The folder goes beside the target, or (see :meth:`_places`) inside it.

        Raises:
            OutputError: The target is a file, another run is writing it, or no folder can be
                made where it would be.
        """
        if os.path.lexists(self.target) and not os.path.isdir(self.target):
            raise OutputError(f"cannot write the sample to {self.shown}: it is a file, not a folder; give the name "
                              "of a folder")
        if os.path.isdir(self.target) and not os.access(self.target, os.W_OK | os.X_OK):
            raise OutputError(f"cannot write the sample to {self.shown}: permission denied on that folder; write "
                              "elsewhere or change its permissions")
        self._make_parents()
        # An existing target's own folder holds the lock: beside it may be read-only (a mount point).
        self._lock.enter_context(output_lock(os.path.join(self.target, _INSIDE) if os.path.isdir(self.target)
                                             else self.target))
        places = self._places()
        _remove_left_by_killed_runs(places)
        for n, (where, prefix) in enumerate(places):
            while self.path is None:
                # The name is held before the folder exists (as in leadq.scratch): a signal landing
                # right after it is made still finds it to remove. The pid tells a later run whether
                # this one is still going.
                self.path = os.path.join(where, f"{prefix}.{os.getpid()}-{secrets.token_hex(6)}.tmp")
                try:
                    os.mkdir(self.path)
                except FileExistsError:
                    self.path = None  # another's: try another name
                except OSError as exc:
                    self.path = None
                    if n + 1 < len(places) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                        break  # the target's own folder may still be writable
                    raise OutputError(f"cannot write the sample to {self.shown}: cannot make a folder in {where}: "
                                      f"{os_reason(exc)}; write elsewhere") from exc
            if self.path is not None:
                return

    def _places(self) -> list[tuple[str, str]]:
        """Where the temporary folder may go, in order of preference, with its name's prefix.

        Beside the target, so that an interrupted run leaves nothing in it even when killed
        outright. Inside an existing target when beside it is not on the same file system (the
        target is a mount point, as a container's volume is) or, after trying, not writable.
        """
        parent, base = os.path.split(self.target)
        beside = (parent, f".{base or 'sample'}")
        if not os.path.isdir(self.target):
            return [beside]
        inside = (self.target, _INSIDE)
        if os.stat(self.target).st_dev != os.stat(parent).st_dev:
            return [inside]
        return [beside, inside]

    def _make_parents(self) -> None:
        parent = os.path.dirname(self.target)
        missing = []
        while not os.path.lexists(parent):
            missing.append(parent)
            parent = os.path.dirname(parent)
        for folder in reversed(missing):
            try:
                os.mkdir(folder)
            except OSError as exc:
                raise OutputError(f"cannot write the sample to {self.shown}: cannot make the folder {folder}: "
                                  f"{os_reason(exc)}") from exc
            self._made_parents.append(folder)

    def commit(self, replace_earlier: bool) -> None:
        """Move the new files into the target (and an earlier sample's out of it), or leave it as it was.

        A SIGINT or SIGTERM arriving during the moves is held back until they are done; then they
        are undone and the signal is delivered.

        Raises:
            OutputError: A move failed; the ones already made were undone.
        """
        assert self.path is not None
        if not os.path.isdir(self.target):
            self._commit_whole()
            return
        moved: list[tuple[str, str]] = []
        made: list[str] = []
        with signals_held() as held:
            decided = None
            try:
                new_dirs, new_files = self._contents()
                old = set(earlier_sample(self.target)) if replace_earlier else set()
                old.update(rel for rel in new_files if os.path.lexists(os.path.join(self.target, rel)))
                for rel in sorted(old):
                    aside = os.path.join(self.path, _EARLIER, rel)
                    os.makedirs(os.path.dirname(aside), exist_ok=True)
                    self._move(os.path.join(self.target, rel), aside, rel, moved)
                for rel in new_dirs:
                    if not os.path.isdir(os.path.join(self.target, rel)):
                        self._mkdir(rel, made)
                for rel in new_files:
                    self._move(os.path.join(self.path, rel), os.path.join(self.target, rel), rel, moved)
                if held:
                    _undo(moved, made)
                decided = len(held)
            except BaseException as exc:
                _undo(moved, made)
                if isinstance(exc, OSError):
                    raise OutputError(f"cannot write the sample to {self.shown}: {os_reason(exc)}; it was left as "
                                      "it was") from exc
                raise
            finally:
                if decided is not None:
                    del held[decided:]  # arrived once every file was in place: the sample is complete
        for rel in ["", *new_dirs]:
            fsync_dir(os.path.join(self.target, rel))

    def _commit_whole(self) -> None:
        """No target yet: the temporary folder becomes it, in one rename."""
        assert self.path is not None
        for root, _, _ in os.walk(self.path):
            fsync_dir(root)
        with signals_held() as held:
            decided = None
            try:
                try:
                    os.rename(self.path, self.target)
                except OSError as exc:
                    raise OutputError(f"cannot write the sample to {self.shown}: {os_reason(exc)}; nothing was "
                                      "written") from exc
                if held:
                    try:
                        os.rename(self.target, self.path)
                    except OSError:
                        pass  # best effort: the file system refuses even the way back
                else:
                    self.path = None
                decided = len(held)
            finally:
                if decided is not None:
                    del held[decided:]
        fsync_dir(os.path.dirname(self.target))

    def _contents(self) -> tuple[list[str], list[str]]:
        """The new sample's folders (parents first) and files, relative to the temporary folder."""
        assert self.path is not None
        dirs, files = [], []
        for root, subdirs, names in os.walk(self.path):
            subdirs[:] = sorted(d for d in subdirs if not (root == self.path and d == _EARLIER))
            rel = os.path.relpath(root, self.path)
            dirs += [os.path.normpath(os.path.join(rel, d)) for d in subdirs]
            files += [os.path.normpath(os.path.join(rel, n)) for n in sorted(names)]
        return dirs, files

    def _move(self, src: str, dst: str, rel: str, moved: list[tuple[str, str]]) -> None:
        try:
            os.rename(src, dst)
        except OSError as exc:
            raise OutputError(f"cannot write {os.path.join(self.shown, rel)}: {os_reason(exc)}; {self.shown} was "
                              "left as it was") from exc
        moved.append((src, dst))

    def _mkdir(self, rel: str, made: list[str]) -> None:
        path = os.path.join(self.target, rel)
        try:
            os.mkdir(path)
        except OSError as exc:
            raise OutputError(f"cannot make the folder {os.path.join(self.shown, rel)}: {os_reason(exc)}; "
                              f"{self.shown} was left as it was") from exc
        made.append(path)

    def discard(self, done: bool = False) -> None:
        """Remove the temporary folder (and, unless ``done``, the target's parents made for it).

        Signals are held meanwhile, so an impatient second Ctrl-C does not leave half of it; once
        ``done`` (the sample in place) a signal arriving now is not delivered.
        """
        with signals_held() as held:
            if self.path is not None:
                remove_tree(self.path)
                self.path = None
            self._lock.close()  # before the parents: the lock of a new target is in one of them
            if not done:
                for folder in reversed(self._made_parents):
                    try:
                        os.rmdir(folder)
                    except OSError:
                        break
            self._made_parents = []
            if done:
                del held[:]


def _remove_left_by_killed_runs(places: list[tuple[str, str]]) -> None:
    """Remove the temporary folders of runs that are gone: killed outright, they could not.

    Called with the lock held, so no live run is between taking it and naming its folder. A run
    is gone as the output lock reads it: its pid is not alive, is this very run's (not yet named
    its folder: a container starts each cron run with the same small pid), or is now a process
    that is no leadq run.
    """
    for where, prefix in places:
        for path in glob.glob(os.path.join(glob.escape(where), f"{glob.escape(prefix)}.*-*.tmp")):
            pid = os.path.basename(path)[len(prefix) + 1:].split("-", 1)[0]
            if pid.isdigit() and _run_gone(int(pid)) and os.path.isdir(path):
                remove_tree(path)


def _run_gone(pid: int) -> bool:
    """Whether the run whose temporary folder names ``pid`` is gone (see :func:`_remove_left_by_killed_runs`)."""
    return pid == os.getpid() or not pid_alive(pid) or not may_be_leadq(pid)


def _undo(moved: list[tuple[str, str]], made: list[str]) -> None:
    """Put every moved file back and remove the folders made, newest first (best effort)."""
    for src, dst in reversed(moved):
        try:
            os.rename(dst, src)
        except OSError:
            pass
    moved.clear()
    for path in reversed(made):
        try:
            os.rmdir(path)
        except OSError:
            pass
    made.clear()
