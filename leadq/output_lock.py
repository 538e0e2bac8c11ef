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
"""

from __future__ import annotations

import errno
import os
from contextlib import contextmanager
from typing import Iterator

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
    if path == STDIN or is_stream_target(path):
        yield
        return
    lock = lock_path(path)
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
