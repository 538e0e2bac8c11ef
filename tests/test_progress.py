"""The run's stages (leadq.progress) and the spinner that shows them on a terminal only."""

from __future__ import annotations

import io

import pytest

from leadq.progress import reporting, stage
from leadq.report import stage_spinner
from leadq.pipeline import read_and_score
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, SAMPLE


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_stages_reach_only_the_reporter_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    stage("nobody listens")  # no reporter: nothing happens
    seen: list[str] = []
    # Small partitions: the sample's 40,000 events (3.6 MB of CSV) are split into 8.
    monkeypatch.setenv("LEADQ_EVENTS_PER_PARTITION", "5000")
    with reporting(seen.append):
        read_and_score(load_ruleset(None), [str(SAMPLE / "contacts.csv")], [str(SAMPLE / "events" / "*.csv")],
                       as_of=AS_OF)
    stage("after the block")
    assert seen == ["reading the event types", "splitting the events into 8 partitions",
                    *(f"aggregating the events: partition {k} of 8" for k in range(1, 9)),
                    "scoring the leads"]


def test_the_spinner_shows_the_stage_on_a_terminal_and_erases_itself() -> None:
    terminal = _Terminal()
    with stage_spinner(stream=terminal):
        stage("scoring the leads")
    shown = terminal.getvalue()
    assert "scoring the leads" in shown
    assert shown.rindex("\x1b[2K") > shown.rindex("scoring the leads")  # drawn, then its line cleared


@pytest.mark.parametrize("stream, enabled", [(io.StringIO(), True), (_Terminal(), False)])
def test_no_spinner_off_a_terminal_or_when_quiet(stream: io.StringIO, enabled: bool) -> None:
    seen: list[str] = []
    with reporting(seen.append), stage_spinner(enabled, stream=stream):
        stage("scoring the leads")
    assert stream.getvalue() == ""
    assert seen == ["scoring the leads"]  # the reporter outside is still the one that hears it


@pytest.mark.parametrize("tty, quiet, shown", [(True, False, True), (True, True, False), (False, False, False)])
def test_commands_show_the_spinner_on_a_terminal_unless_quiet(monkeypatch: pytest.MonkeyPatch, tty: bool,
                                                              quiet: bool, shown: bool) -> None:
    from leadq.cli import working

    stderr = _Terminal() if tty else io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    with working(quiet):
        stage("scoring the leads")
    assert ("scoring the leads" in stderr.getvalue()) == shown
