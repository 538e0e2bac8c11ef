"""What a run is doing now, stage by stage, for whoever shows it (the CLI's spinner on a terminal).

The library names its long steps with :func:`stage` ("aggregating the events: partition 3
of 10"); nothing happens unless a caller installed a reporter with :func:`reporting`.
The reporter lives in a context variable, so a library caller (a test, a notebook, a
second thread) sees nothing it did not ask for.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

_REPORTER: ContextVar[Callable[[str], None] | None] = ContextVar("leadq_progress_reporter", default=None)


def stage(text: str) -> None:
    """Report that the run has started ``text`` (a lower-case phrase: "scoring the leads")."""
    reporter = _REPORTER.get()
    if reporter is not None:
        reporter(text)


@contextmanager
def reporting(reporter: Callable[[str], None]) -> Iterator[None]:
    """Send the stages of the run inside the block to ``reporter``."""
    token = _REPORTER.set(reporter)
    try:
        yield
    finally:
        _REPORTER.reset(token)
