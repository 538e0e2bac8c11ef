"""The lock beside an output file (``.<out>.lock``), so that two runs never write the same file at once.

A cron job that overruns its slot and the next one would otherwise race on the same
output; the second run stops with a message naming the first one's pid. The run holds an
exclusive ``flock`` on the lock file while it lasts: the kernel releases it however the run
ends, and every process sharing the file system sees it, in whatever container or pid
namespace (or, over NFS, on whatever host) it runs, where a pid means nothing. A lock file
whose flock is free was left by a run killed outright and is taken over. Where the file
system has no flock (ENOLCK, EOPNOTSUPP), the pid written in the lock alone tells.

The lock is a hidden file, as the temporary files beside the output are: an input glob such as
``'data/*'`` or a reader of the output's folder (Spark) skips it. Older leadq versions named it
``<out>.lock``; such a lock is respected while its pid is a live leadq run, and removed otherwise.

A run locks every file it writes, not only ``--out``: its rejects (``scored.rejects.csv`` in the
working folder for every ``-o -`` run), ``--changes``, ``--summary-json`` and the accounts beside
the output. :class:`OutputLocks` takes them one by one in :func:`lock_order` (by real path), so two
runs sharing some of their outputs never each hold a lock the other needs: the one that comes
second stops at the first file they share. An output that is a symbolic link is locked beside the
file it names, which is the file replaced.
"""

from __future__ import annotations

import errno
import os
from contextlib import ExitStack, contextmanager
from typing import Iterable, Iterator

from leadq.errors import OutputError, os_reason
from leadq.inputs import STDIN
from leadq.outputs import is_stream_target

try:
    import fcntl
except ImportError:  # Windows: no flock; the pid alone tells
    fcntl = None  # type: ignore[assignment]

# flock refused by the file system itself (some NFS setups, FUSE mounts): the pid logic decides there.
_NO_FLOCK = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP), errno.EINVAL,
                       errno.ENOSYS})


@contextmanager
def output_lock(path: str) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``path`` (:func:`lock_path`) while writing it, so two runs cannot collide.

    The lock file holds the owner's pid (for the message) and the owner holds an exclusive
    ``flock`` on it until the run ends. A lock file whose flock is held belongs to a live run,
    whatever its pid looks like here (a run in another container); one whose flock is free is
    stale and taken over. Where flock is not to be had, a lock whose pid is no longer running
    (or is no leadq run) is stale. Stdout (``"-"``) and a device or named pipe (``/dev/null``:
    nothing to replace) need no lock. A lock of an older leadq (``<path>.lock``) whose pid is a
    live leadq run refuses too; otherwise it is removed.

    Raises:
        OutputError: Another live leadq run holds the lock, or the lock file
            cannot be created.
    """
    if not lockable(path):
        yield
        return
    # A link is replaced through (the file it names is written): that file is the one two runs share.
    lock = lock_path(os.path.realpath(path) if os.path.islink(path) else path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise OutputError(f"cannot write {path}: directory {directory} does not exist; create it first")
    fd = _take_flock(path, lock)
    if fd is None:
        _take_by_pid(path, lock)
    try:
        legacy = f"{path}.lock"
        if legacy != lock and os.path.lexists(legacy):
            _remove_if_stale(path, legacy)
        yield
    finally:
        if fd is not None:
            _release_flock(lock, fd)
        elif _lock_pid(lock) == os.getpid():  # only remove the lock if it is still ours
            try:
                os.unlink(lock)
            except OSError:
                pass


def lockable(path: str) -> bool:
    """Whether writing ``path`` takes a lock: not stdout (``"-"``), a device or a named pipe (nothing replaced)."""
    return path != STDIN and not is_stream_target(path)


def lock_order(paths: Iterable[str | None]) -> list[str]:
    """The files among ``paths`` whose lock a run takes (:func:`lockable`), once each, in the order it takes them.

    Sorted by real path: two runs that share some outputs then reach the first shared one in the
    same order, and the second stops there, holding nothing the first needs. None is skipped.
    """
    found: dict[str, str] = {}
    for path in paths:
        if path and lockable(path):
            found.setdefault(_real(path), path)
    return [found[key] for key in sorted(found)]


class OutputLocks:
    """The output locks one run holds: taken one by one (:meth:`take`), let go together on exit.

    Example::

        with OutputLocks() as locks:
            for path in lock_order([out, rejects, summary_json]):
                locks.take(path)  # OutputError (exit 4) when another run holds it
            ...  # write the outputs
    """

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._held: set[str] = set()

    def __enter__(self) -> OutputLocks:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def take(self, path: str) -> None:
        """Take the lock of ``path`` (:func:`output_lock`) and hold it until :meth:`release`; nothing for a
        path held already or not :func:`lockable`.

        Raises:
            OutputError: Another live leadq run holds it, or it cannot be created.
        """
        if not lockable(path) or self.holds(path):
            return
        self._stack.enter_context(output_lock(path))
        self._held.add(_real(path))

    def holds(self, path: str) -> bool:
        """Whether this run holds the lock of ``path`` (the same file by any name)."""
        return _real(path) in self._held

    @contextmanager
    def held_for(self, path: str) -> Iterator[None]:
        """The lock of ``path`` while the block runs: the one held already, or one taken for the block alone.

        Raises:
            OutputError: Another live leadq run holds it (the block does not run).
        """
        if not lockable(path) or self.holds(path):
            yield
            return
        with output_lock(path):
            yield

    def release(self) -> None:
        """Let go of every lock held (each removed, as :func:`output_lock` does)."""
        self._held.clear()
        self._stack.close()


def _real(path: str) -> str:
    return os.path.realpath(os.path.abspath(path))


def lock_path(path: str) -> str:
    """The lock file of the output ``path``: ``.<name>.lock`` beside it (``<name>.lock`` for a hidden ``path``)."""
    directory, name = os.path.split(path)
    return os.path.join(directory, f"{name}.lock" if name.startswith(".") else f".{name}.lock")


def _take_flock(path: str, lock: str) -> int | None:
    """Take the lock by ``flock``: the descriptor holding it, or None where the file system has no flock.

    Raises:
        OutputError: Another run holds the flock, or the lock file cannot be opened.
    """
    if fcntl is None:
        return None
    for _ in range(5):
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0),
                         0o644)
        except OSError as exc:
            raise OutputError(f"cannot create lock {lock}: {os_reason(exc)}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise OutputError(_held_message(path, lock, pid)) from None
        except OSError as exc:
            os.close(fd)
            if exc.errno in _NO_FLOCK:
                return None
            raise OutputError(f"cannot lock {lock}: {os_reason(exc)}") from exc
        # The run that held it may have removed the file between our open and flock: lock the file there now.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock, follow_symlinks=False))
        except OSError:
            same = False
        if not same:
            os.close(fd)
            continue
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError as exc:
            _release_flock(lock, fd)
            raise OutputError(f"cannot write lock {lock}: {os_reason(exc)}") from exc
        return fd
    raise OutputError(f"cannot take the lock {lock}; another run keeps recreating it")


def _release_flock(lock: str, fd: int) -> None:
    """Remove the lock file (while still holding its flock, and only if it is still ours), then let go."""
    try:
        if os.path.samestat(os.fstat(fd), os.stat(lock, follow_symlinks=False)):
            os.unlink(lock)
    except OSError:
        pass
    os.close(fd)


def _held_message(path: str, lock: str, pid: int | None) -> str:
    owner = "another leadq run" if pid is None else f"another leadq run (pid {pid})"
    if pid is not None and not (pid_alive(pid) and may_be_leadq(pid)):
        owner += " in another container or on another host"  # its pid means nothing here, but it holds the flock
    return f"{path} is being written by {owner}, which holds {lock}; wait for it to end"


def _take_by_pid(path: str, lock: str) -> None:
    """Take the lock where the file system has no flock: created exclusively, stale when its pid is gone.

    Raises:
        OutputError: Another live leadq run holds the lock, or the lock file cannot be created.
    """
    for _ in range(5):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            _remove_if_stale(path, lock)
            continue
        except OSError as exc:
            raise OutputError(f"cannot create lock {lock}: {os_reason(exc)}") from exc
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{os.getpid()}\n")
        return
    raise OutputError(f"cannot take the lock {lock}; another run keeps recreating it")


def _remove_if_stale(path: str, lock: str) -> None:
    """Remove ``lock`` unless its pid is a live leadq run (judged by the pid alone).

    Raises:
        OutputError: Its run is alive, or a stale lock cannot be removed.
    """
    pid = _lock_pid(lock)
    # A lock naming this very process was left by a run killed outright whose pid this one
    # got again: a container starts each cron run with the same small pid, so "pid alive" held
    # for ever and every later run stopped.
    # Likewise a live process that is no leadq run (cron itself, a shell) holds that pid now.
    if pid is not None and pid != os.getpid() and pid_alive(pid) and may_be_leadq(pid):
        raise OutputError(
            f"{path} is being written by another leadq run (pid {pid}); remove {lock} if that run is gone"
        )
    try:
        os.unlink(lock)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise OutputError(f"cannot remove stale lock {lock}: {os_reason(exc)}") from exc


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 64, 0).decode("ascii").strip())
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _lock_pid(lock: str) -> int | None:
    try:
        with open(lock) as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def may_be_leadq(pid: int) -> bool:
    """Whether the process ``pid`` may be a leadq run: its command line names leadq or Python.

    Only where ``/proc`` tells (Linux); elsewhere, or when it cannot be read, any live process may be.
    """
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            command = fh.read().lower()
    except OSError:
        return True
    return not command or b"leadq" in command or b"python" in command


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid is running (on this machine)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True
