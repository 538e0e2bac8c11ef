"""SIGTERM as Ctrl-C: a run stopped by a scheduler cleans up and reports like one stopped by hand.

A cron job or a container stop sends SIGTERM; inside :func:`interruptible` it is raised as
:class:`Terminated`, a ``KeyboardInterrupt``, so the same ``finally`` blocks remove temporary
files, the previous output stays intact, and the run exits 130.
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator


class Terminated(KeyboardInterrupt):
    """Raised inside :func:`interruptible` when the process receives SIGTERM.

    A KeyboardInterrupt subclass, so SIGTERM is cleaned up and reported like
    Ctrl-C (exit 130, previous output intact).
    """


@contextmanager
def interruptible() -> Iterator[None]:
    """Turn SIGTERM into a raised :class:`Terminated` while the block runs.

    Python runs signal handlers between bytecodes, so a SIGTERM arriving
    during a long Polars call is raised when that call returns; either way the
    ``finally`` blocks run and temporary files are removed. A SIGTERM arriving
    while a signal is already being handled (during that cleanup) is ignored,
    so the cleanup finishes. The previous handler is restored on exit.
    Outside the main thread (where handlers cannot be installed) this does
    nothing.

    SIGINT is left alone: Polars cancels a running query on SIGINT itself
    (the console script keeps that working, see ``leadq.cli.main``).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def raise_terminated(signum: int, frame: object) -> None:
    """SIGTERM's handler: raise :class:`Terminated`, unless the process is already stopping on a signal.

    A SIGTERM arriving while a signal is being handled (during the cleanup) is ignored, so the
    cleanup finishes.
    """
    if isinstance(sys.exc_info()[1], KeyboardInterrupt):
        return  # already stopping on a signal: let the cleanup finish
    raise Terminated(f"received signal {signum}")
