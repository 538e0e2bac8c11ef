"""Colour in terminal reports: only on a TTY or with FORCE_COLOR, never with NO_COLOR."""

from __future__ import annotations

import io

import pytest

from leadq.report import make_console


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _printed(stream: io.StringIO) -> str:
    console = make_console(stream)
    console.print("[red]disqualified[/red] [bold]300[/bold]")
    return stream.getvalue()


@pytest.mark.parametrize("tty, env, coloured", [
    (False, {}, False),                                     # a pipe or a cron log: plain text
    (False, {"FORCE_COLOR": "1"}, True),                    # a CI log that shows colour
    (False, {"FORCE_COLOR": ""}, False),                    # set but empty: not forced
    (False, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),  # NO_COLOR wins
    (True, {}, True),
    (True, {"NO_COLOR": "1"}, False),                       # bold stays: NO_COLOR is about colour
])
def test_colour_follows_the_terminal_and_the_environment(monkeypatch: pytest.MonkeyPatch, tty: bool,
                                                         env: dict[str, str], coloured: bool) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    text = _printed(_Terminal() if tty else io.StringIO())
    assert ("\x1b[31m" in text) == coloured
    if not tty and not coloured:
        assert "\x1b[" not in text  # no bold either: plain text for logs and scripts
    assert "disqualified" in text and "300" in text


def test_a_stream_that_is_not_a_terminal_is_100_columns_unless_columns_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert make_console(io.StringIO()).width == 100
    monkeypatch.setenv("COLUMNS", "160")
    assert make_console(io.StringIO()).width == 160


@pytest.mark.parametrize("value", ["", " ", "0", "-5", "abc", "80x"])
def test_a_columns_that_is_not_a_width_is_ignored(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("COLUMNS", value)  # cron and CI runners set it empty, or to nonsense
    assert make_console(io.StringIO()).width == 100
    assert make_console(_Terminal()).width > 0  # a StringIO has no terminal size: the fallback, 100


def test_a_command_runs_with_an_empty_columns(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from conftest import SAMPLE, SAMPLE_AS_OF, run_cli

    monkeypatch.setenv("COLUMNS", "")
    result = run_cli(["score", SAMPLE / "contacts.csv", "--as-of", SAMPLE_AS_OF, "-o", tmp_path / "s.csv"])
    assert "input rows 3,000 = scored" in result.output


@pytest.mark.parametrize("command", [
    ["calibrate", "{sample}/contacts.csv", "-a", "{sample}/events/*.csv", "--outcome", "sql"],
    ["explain", "1000007", "{sample}/contacts.csv", "-a", "{sample}/events/*.csv"],
    ["funnel", "{sample}/contacts.csv", "-a", "{sample}/events/*.csv", "--by", "company_size"],
    ["score", "{sample}/contacts.csv", "-a", "{sample}/events/*.csv", "-o", "-", "-f", "csv"],  # summary on stderr
])
def test_a_narrow_terminal_folds_cells_and_cuts_none(monkeypatch: pytest.MonkeyPatch, tmp_path,
                                                     command: list[str]) -> None:
    from conftest import SAMPLE, SAMPLE_AS_OF, run_cli

    monkeypatch.chdir(tmp_path)  # score's --out - writes scored.rejects.csv in the working folder
    monkeypatch.setenv("COLUMNS", "60")
    result = run_cli([a.format(sample=SAMPLE) for a in command] + ["--as-of", SAMPLE_AS_OF])
    report = result.stderr if command[0] == "score" else result.stdout
    assert any(title in report for title in ("Tiers", "Rules", "Funnel", "Conversion by tier"))
    assert "…" not in report
    assert max(len(line) for line in report.splitlines()) <= 60


def test_an_uploaded_files_escape_sequences_are_printed_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    # A job title 'Director ESC[2J ESC]0;pwned BEL' cleared the screen and retitled the terminal of the
    # analyst running explain (and a cron log's reader): reports print the values of uploaded files.
    stream = _Terminal()
    monkeypatch.setenv("FORCE_COLOR", "1")
    console = make_console(stream)
    console.print("[bold]title[/bold] ", "Director\x1b[2J\x1b]0;pwned\u202e")
    out = stream.getvalue()
    assert "Director\\x1b[2J\\x1b]0;pwned\\u202e" in out
    assert out.count("\x1b") == 2 and "\x1b[1mtitle\x1b[0m" in out  # the report's own bold, nothing else


def test_explain_prints_a_hostile_title_escaped(tmp_path) -> None:
    from tests.conftest import run_cli

    (tmp_path / "r.yaml").write_text("version: 1\ncolumns: {lead_id: Lead ID, job_title: Title}\n"
                                     "fit:\n  - {id: d, when: 'job_title matches \"director\"', points: 5}\n"
                                     "tiers:\n  - {name: all, otherwise: true}\n")
    (tmp_path / "c.csv").write_text("Lead ID,Title\nA,Director\x1b[2J\n")
    out = run_cli(["explain", "A", tmp_path / "c.csv", "-r", tmp_path / "r.yaml", "--as-of", "2026-11-01"]).stdout
    assert "\x1b" not in out and 'job_title = "Director\\x1b[2J"' in out
