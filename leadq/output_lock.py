"""The lock beside an output file (``<out>.lock``), so that two runs never write the same file at once.

A cron job that overruns its slot and the next one would otherwise race on the same
output; the second run stops with a message naming the first one's pid. A lock whose
owner is gone is taken over.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

from leadq.errors import OutputError, os_reason
from leadq.inputs import STDIN
from leadq.outputs import is_stream_target


@contextmanager
def output_lock(path: str) -> Iterator[None]:
    """Hold ``<path>.lock`` while writing ``path``, so two runs cannot collide.

    The lock file is created exclusively and holds the owner's pid. A lock
    whose pid is no longer running is stale and taken over. Stdout (``"-"``)
    and a device or named pipe (``/dev/null``: nothing to replace) need no lock.

    Raises:
        OutputError: Another live leadq run holds the lock, or the lock file
            cannot be created.
    """
    if path == STDIN or is_stream_target(path):
        yield
        return
    lock = f"{path}.lock"
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise OutputError(f"cannot write {path}: directory {directory} does not exist; create it first")
    for _ in range(5):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            pid = _lock_pid(lock)
            # A lock naming this very process was left by a run killed outright whose pid this one
            # got again: a container starts each cron run with the same small pid, so "pid alive" held
            # for ever and every later run stopped.
            # Likewise a live process that is no leadq run (cron itself, a shell) holds that pid now.
            if pid is not None and pid != os.getpid() and pid_alive(pid) and may_be_leadq(pid):
                raise OutputError(
                    f"{path} is being written by another leadq run (pid {pid}); remove {lock} if that run is gone"
                ) from None
            # Stale (dead pid or unreadable): take it over.
            try:
                os.unlink(lock)
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise OutputError(f"cannot remove stale lock {lock}: {os_reason(exc)}") from exc
            continue
        except OSError as exc:
            raise OutputError(f"cannot create lock {lock}: {os_reason(exc)}") from exc
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{os.getpid()}\n")
        break
    else:
        raise OutputError(f"cannot take the lock {lock}; another run keeps recreating it")
    try:
        yield
    finally:
        # Only remove the lock if it is still ours.
        if _lock_pid(lock) == os.getpid():
            try:
                os.unlink(lock)
            except OSError:
                pass


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
