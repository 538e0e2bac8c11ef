"""Terminal rendering of run summaries with rich, and the tables the other reports share.

Figures come from :mod:`leadq.summary` as plain data; this module only draws
them. Colour appears only on a terminal or when ``FORCE_COLOR`` is set, and never
when ``NO_COLOR`` is set; width follows the terminal.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from contextlib import contextmanager
from typing import Iterable, Iterator, TextIO

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from leadq.activity import most_events_unknown
from leadq.printable import printable
from leadq.progress import reporting
from leadq.summary import RunSummary, untimed_events

TRANSITIONS_SHOWN = 8  # tier moves listed after "since ...:", commonest first

TIER_STYLES = {
    "disqualified": "red", "nurture": "yellow", "mql": "cyan", "sql": "green",
    "hand_raiser": "bold green", "pql": "bold magenta",
}


class ReportTable(Table):
    """A report's table: a rule under the header, the title on the left, no padding at the edges, and
    cells that fold onto a second line where Rich would cut them with "…" on a narrow terminal: a rule
    id, a count or a share is never lost."""

    def __init__(self, *headers, **options) -> None:
        for name, value in (("box", box.SIMPLE_HEAD), ("title_justify", "left"), ("pad_edge", False)):
            options.setdefault(name, value)
        super().__init__(*headers, **options)

    def add_column(self, *args, **options) -> None:  # type: ignore[override]
        # A column that must not wrap keeps Rich's "…": folded, it would be cut without a mark.
        options.setdefault("overflow", "ellipsis" if options.get("no_wrap") else "fold")
        super().add_column(*args, **options)


def table_fits(table: Table, console: Console, options: ConsoleOptions) -> bool:
    """Whether ``table`` fits ``options.max_width`` with its ``no_wrap`` columns whole and no word broken.

    Rich narrows a table that is too wide by wrapping its widest wrapping columns and, when that is not
    enough, cuts every column: a number folds over lines ("27.0" as "2", "7.", "0"). At its natural width
    less what its wrapping columns can give up down to their longest word, it needs neither. (Exact for
    a table with at most one wrapping column; with more, Rich may still narrow one past its longest word.)
    """
    wide = options.update_width(1_000_000)
    natural = Measurement.get(console, wide, table).maximum
    give = 0
    for column in table.columns:
        if column.no_wrap:
            continue
        sizes = [Measurement.get(console, wide, cell) for cell in (column.header, *column.cells)]
        give += max(m.maximum for m in sizes) - max(m.minimum for m in sizes)
    return natural - give <= options.max_width


class TableOrLines:
    """A table where the console is wide enough for it (:func:`table_fits`), else its title and the
    same rows as lines of text, which wrap between words: no number is split on a narrow terminal."""

    def __init__(self, table: Table, title: str | Text, lines: list[Text]) -> None:
        self.table, self.title, self.lines = table, title, lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if table_fits(self.table, console, options):
            yield self.table
            return
        yield self.title if isinstance(self.title, Text) else Text(self.title)
        yield from self.lines


class _Console(Console):
    """A Rich console whose reader going away (``leadq funnel ... | head``) is leadq's BrokenPipeError.

    Rich's own handling exits 1, which the exit codes give to rejected rows under ``--strict``;
    the CLI ends a closed pipe quietly with 0 (``leadq.cli.handle_errors``).
    """

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "broken pipe")

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        # Reports print values of uploaded files (titles, lead ids, segments): their escape sequences are
        # written escaped (leadq.printable), where they cleared the screen or retitled the terminal. Only
        # text is: rich's own colours and cursor moves are styles and control segments, rendered after.
        text = super()._render_buffer(
            segment if segment.control or not segment.text else Segment(printable(segment.text), segment.style)
            for segment in buffer)
        if self.is_terminal:
            return text
        # In a file or a cron log, a table's padding to the report's width is noise in every diff.
        return "\n".join(line.rstrip(" ") for line in text.split("\n"))


def make_console(stream: TextIO | None = None) -> Console:
    """A console on ``stream`` (stdout by default): colour only on a TTY, NO_COLOR respected.

    ``FORCE_COLOR`` (any value but empty) colours a stream that is not a TTY, for CI logs
    that show colour and ``| less -R``; ``NO_COLOR`` wins over it.
    """
    stream = stream or sys.stdout
    is_tty = hasattr(stream, "isatty") and stream.isatty()
    no_colour = bool(os.environ.get("NO_COLOR"))
    forced = not is_tty and not no_colour and bool(os.environ.get("FORCE_COLOR"))
    return _Console(file=stream, force_terminal=True if forced else None if is_tty else False,
                   no_color=no_colour or not (is_tty or forced),
                   highlight=False, soft_wrap=False,
                   width=_width(stream, is_tty))


def _width(stream: TextIO, is_tty: bool) -> int | None:
    """The report's width: ``COLUMNS`` when it is a positive whole number, else the terminal's, else 100.

    A cron job's or CI runner's ``COLUMNS`` may be empty, ``0`` or not a number at all: it is ignored, not an error.
    """
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if not is_tty:
        return 100
    if not columns:
        return None  # Rich asks the terminal
    try:  # set but unusable: Rich would take a "0" as it is
        return os.get_terminal_size(stream.fileno()).columns or 100
    except (AttributeError, OSError, ValueError):
        return 100


class _Stage:
    """A spinner, the run's current stage and the time since it started (:func:`stage_spinner`)."""

    def __init__(self) -> None:
        from rich.spinner import Spinner

        self.text = "reading the inputs"
        self.started = time.monotonic()
        self.spinner = Spinner("dots", style="cyan")

    def report(self, text: str) -> None:
        self.text = text

    def __rich__(self) -> Table:
        line = Table.grid(padding=(0, 1))
        line.add_row(self.spinner, Text(self.text), Text(f"{time.monotonic() - self.started:.0f} s", style="dim"))
        return line


@contextmanager
def stage_spinner(enabled: bool = True, stream: TextIO | None = None) -> Iterator[None]:
    """Show the run's stage (:mod:`leadq.progress`) on ``stream`` (stderr) while the block runs.

    Only on a terminal, never in a pipe or a cron log; erased when the block ends, so
    what is printed after it (the summary, an error) starts on a clean line.
    """
    stream = stream or sys.stderr
    if not enabled or not (hasattr(stream, "isatty") and stream.isatty()):
        yield
        return
    from rich.live import Live

    current = _Stage()
    # Not redirecting stdout: the scored rows may be going there (--out -).
    with Live(current, console=make_console(stream), transient=True, refresh_per_second=8,
              redirect_stdout=False, redirect_stderr=False), reporting(current.report):
        yield


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _bar(share: float, width: int = 20) -> str:
    filled = int(round(share * width))
    return "█" * filled + "·" * (width - filled)


def unknown_leads_note(events: dict) -> str:
    """The summary's line when most readable events name no scored lead (:func:`leadq.activity.most_events_unknown`):
    the lead ids to check, with a few ids of each side when the run found them (``unknown_lead_examples``)."""
    readable, unknown = events["read"] - events["unreadable"], events["unknown_lead"]
    which = f"all {readable:,}" if unknown == readable else f"{unknown:,} of {readable:,}"
    examples = events.get("unknown_lead_examples") or {}
    if not examples:
        return f"{which} readable events name no scored lead: check that the log's lead ids are the contacts' ids"
    note = (f"{which} readable events name no scored lead: check that the log's lead-id column "
            f"({examples['log_column']}) holds the contacts' ids ({examples['contacts_column']})")
    if examples["log"] and examples["contacts"]:
        def quoted(ids: list[str]) -> str:
            return " and ".join(f"'{i}'" for i in ids)
        note += f"; e.g. the log has {quoted(examples['log'])}, the contacts {quoted(examples['contacts'])}"
    return note


def untimed_events_note(events: dict) -> str:
    """The summary's warning when events with a lead id have no readable time (``events.no_readable_time``):
    how many, a few of the values, and the mapping that reads them when one date order reads them all."""
    note = f"{untimed_events(events)}: counted by no rule"
    found = events.get("unreadable_time_examples") or {}
    if found.get("examples"):
        note += ", e.g. " + ", ".join(f"'{printable(v)}'" for v in found["examples"])
    orders = found.get("date_orders_reading") or []
    if found.get("fix"):
        reads = {"us": "US dates (month first)", "eu": "European dates (day first)"}
        which = " or ".join(reads[o] for o in orders)
        note += f"; they read as {which}: set {found['fix']}"
        if len(orders) > 1:
            note += f" (or date_order: {orders[1]})"
    else:
        note += ("; leadq validate RULESET --activities LOG lists them, with the setting that reads such values "
                 "where one does (date_order)")
    return note


def no_activity_log_note(rules: list[str]) -> str:
    """The summary's note when a ruleset with event rules was run without an activity log (``events.log_given``)."""
    shown = ", ".join(rules[:5]) + (f" and {len(rules) - 5} more" if len(rules) > 5 else "")
    return (f"no activity log given (--activities): the event rules ({shown}) counted no event and gave no "
            "points; pass the log with --activities (-a)")


def created_after_note(leads: int, as_of: str) -> str:
    """The summary's line for scored leads created after the as-of time (``leads_created_after_as_of``): they
    are scored and kept, as every input lead is, but could not have existed then."""
    when = as_of[:-len("T00:00:00Z")] if as_of.endswith("T00:00:00Z") else as_of
    return f"{_leads(leads)} created after --as-of {when} (a backfill of data exported later?)"


def report_rows_note(name: str, rows: dict) -> str:
    """What was left out of a report export (``RunSummary.report_rows``), in one line."""
    unit = rows.get("unit", "sheet row")
    word = unit.split()[-1]  # "row" or "line"
    left = [f"{rows[key]:,} {word}(s) {what}" for key, what in (("rows_above", "above it (title, filters)"),
                                                              ("rows_below", "after the data (totals, footer)"))
            if rows[key]]
    return (f"{name}: read as a report: header on {unit} {rows['header_row']:,} (data row N is {unit} "
            f"N + {rows['header_row']:,}); left out {' and '.join(left)}")


def error_cells_note(name: str, cells: list[dict]) -> str:
    """A workbook's error cells in mapped columns (``RunSummary.error_cells``), in one line."""
    sheets = list(dict.fromkeys(c["sheet"] for c in cells))
    where = f"{name}, sheet '{sheets[0]}'" if len(sheets) == 1 else name
    columns = ", ".join(("" if len(sheets) == 1 else f"sheet '{c['sheet']}' ") + f"'{c['column']}' {c['count']:,} "
                        f"(first: {c['first_cell']} {c['first_error']})" for c in cells)
    return (f"{where}: Excel error cells in mapped columns, treated as blank: {columns}; fix the formulas and "
            "export again")


SHOWN_IDS = 3  # ids quoted in a line of the report (the JSON has up to five)


def _quoted(ids: list[str]) -> str:
    return ", ".join(f"'{i}'" for i in ids[:SHOWN_IDS])


def accounts_file_notes(af: dict) -> list[str]:
    """The summary's lines on the accounts join (``RunSummary.accounts_file``): duplicate ids in the file,
    and contacts whose account id it lacks (scored without its fields), with the pairs of ids that differ
    only in case or leading zeros when there are such."""
    notes = []
    if af["duplicate_ids"]:
        n = af["duplicate_ids"]
        notes.append(f"accounts file: {n:,} duplicate account id{'' if n == 1 else 's'}, the first row of each "
                     f"kept, e.g. {_quoted(af['duplicate_examples'])}")
    if af["unmatched"]:
        note = (f"account ids not in the accounts file: {af['unmatched']:,} of {af['contacts_with_account_id']:,} "
                f"contacts, scored without the file's fields; e.g. {_quoted(af['unmatched_examples'])}")
        if af["likely_same"]:
            pairs = ", ".join(f"'{ours}' (file '{theirs}')" for ours, theirs in af["likely_same"][:SHOWN_IDS])
            note += (f"; some differ from the file's ids only in case or leading zeros: {pairs}: export the ids "
                     "alike in both")
        notes.append(note)
    return notes


def run_summary(summary: RunSummary) -> Group:
    """The end-of-run summary of `leadq score`."""
    parts: list = []
    head = Text()
    head.append("leadq score", style="bold")
    head.append(f"  ruleset: {summary.ruleset}  as of: {summary.as_of}")
    parts.append(head)
    acct = Text(f"input rows {summary.input_rows:,} = scored {summary.scored:,} + rejected {summary.rejected:,}")
    if summary.input_rows == 0:
        acct.append("  (the input holds no rows; an empty output was written)", style="yellow")
    parts.append(acct)
    if len(summary.files) > 1:
        files = ReportTable(box=box.SIMPLE, show_edge=False)
        for col in ("file", "rows", "scored", "rejected"):
            files.add_column(col, justify="left" if col == "file" else "right")
        for f in summary.files:
            # Text, not Rich markup, for values from the data or the ruleset: a file name or a reason's label
            # holding '[/]' ended the run with exit 70, and '[red]' vanished.
            files.add_row(Text(f["file"]), f"{f['rows']:,}", f"{f['scored']:,}", f"{f['rejected']:,}")
        parts.append(files)
    if summary.leads_created_after_as_of:
        parts.append(Text(created_after_note(summary.leads_created_after_as_of, summary.as_of), style="yellow"))
    if summary.rejected_by_reason:
        unreadable = any(reason.startswith("unreadable ") for reason in summary.rejected_by_reason)
        parts.append(Text("rejected: " + "; ".join(f"{k} {v:,}" for k, v in summary.rejected_by_reason.items())
                          + (" (leadq validate --data shows examples, and the setting that reads such values where "
                             "one does: date_order, number_format)" if unreadable else ""), style="yellow"))
    ev = summary.events
    if ev.get("log_given") is False:
        parts.append(Text(no_activity_log_note(list(ev.get("by_rule") or {})), style="yellow"))
    if ev.get("read"):
        parts.append(Text(f"events read {ev['read']:,}; unreadable {ev['unreadable']:,}; "
                          f"for unknown leads {ev['unknown_lead']:,}"))
        later = _events_after_as_of(ev)
        if later and not ev.get("up_to_as_of"):
            parts.append(Text(f"every readable event ({later:,}) is after the as-of time {summary.as_of}, so none "
                              "was counted; check --as-of (the date a back-test or a re-run scores as of)",
                              style="yellow"))
        elif later:
            parts.append(Text(f"events after the as-of time, not counted: {later:,}"))
        if ev.get("no_readable_time"):
            parts.append(Text(untimed_events_note(ev), style="yellow"))
        unmatched = summary.scored and most_events_unknown(ev["read"] - ev["unreadable"], ev["unknown_lead"])
        if unmatched:
            parts.append(Text(unknown_leads_note(ev), style="yellow"))
        idle = [rule for rule, n in ev.get("by_rule", {}).items() if not n]
        if idle and summary.scored:
            parts.append(Text(f"event rules that counted no event: {', '.join(idle)} ({_idle_check(ev, unmatched)})",
                              style="yellow"))
    if summary.blanked_values:
        parts.append(Text("blanked unreadable values in unused columns: "
                          + "; ".join(f"{k} {v:,}" for k, v in summary.blanked_values.items()), style="yellow"))
    if summary.ranged_values:
        parts.append(Text("numbers read from ranges or abbreviations such as 51-200 and 2.5M (one bound of a range, "
                          "as settings.number_ranges says): "
                          + "; ".join(f"{k} {v:,}" for k, v in summary.ranged_values.items())))
    if summary.missing_columns:
        parts.append(Text("mapped columns absent from the input (treated as blank): "
                          + ", ".join(summary.missing_columns), style="yellow"))
    if summary.partly_missing_columns:
        lacking = "; ".join(f"{name}: {', '.join(cols)}" for name, cols in summary.partly_missing_columns.items())
        parts.append(Text(f"mapped columns absent from some input files (blank in their rows): {lacking}",
                          style="yellow"))
    if summary.accounts_file:
        parts += [Text(note, style="yellow") for note in accounts_file_notes(summary.accounts_file)]
    for name, rows in summary.report_rows.items():
        parts.append(Text(report_rows_note(name, rows)))
    for name, cells in summary.error_cells.items():
        parts.append(Text(error_cells_note(name, cells), style="yellow"))
    if summary.scored:
        tiers = ReportTable(title="Tiers")
        tiers.add_column("tier")
        tiers.add_column("leads", justify="right")
        tiers.add_column("share", justify="right")
        tiers.add_column("", no_wrap=True)
        for t in summary.tiers:
            tiers.add_row(Text(t.name, style=TIER_STYLES.get(t.name, "")), f"{t.count:,}", _pct(t.share),
                          _bar(t.share))
        matrix = ReportTable(title="Fit grade by intent")
        matrix.add_column("grade")
        for band in summary.matrix_bands:
            matrix.add_column(f"intent {band}", justify="right")
        matrix.add_column("all", justify="right")
        for letter, row in zip(summary.matrix_grades, summary.matrix):
            matrix.add_row(Text(letter), *[f"{n:,}" for n in row], f"{sum(row):,}")
        parts += [tiers, matrix]
        # The JSON lists every reason code, 0 included; the table only those that disqualified a lead,
        # commonest first (a ruleset may have dozens).
        found = sorted((r for r in summary.reasons if r.count), key=lambda r: -r.count)
        if found:
            reasons = ReportTable(title="Disqualification reasons")
            for col in ("reason", "category", "leads", "share"):
                reasons.add_column(col, justify="right" if col in ("leads", "share") else "left")
            for r in found[:10]:
                reasons.add_row(Text(r.label), Text(r.category), f"{r.count:,}", _pct(r.share))
            parts.append(reasons)
    if summary.funnel:
        from leadq.funnel_report import compact_funnel

        parts.append(compact_funnel(summary.funnel))
    parts += _action_lines(summary)
    if summary.changes is not None:
        parts += _change_lines(summary.changes)
    return Group(*parts)


def _idle_check(ev: dict, unmatched: bool) -> str:
    """What to check first for event rules that counted nothing: whatever lost the events before the types."""
    readable = ev["read"] - ev["unreadable"]
    if not readable:
        return ("no event has a readable time: see above" if ev.get("no_readable_time")
                else "no event has a lead id and a readable time")
    if not ev.get("up_to_as_of"):
        return "no event is at or before the as-of time: see above"
    if unmatched:  # with most events for no scored lead, the ids are what to check first, not the types
        return "most events name no scored lead: check the lead ids first"
    return "check their `event:` types with leadq validate --activities"


def _events_after_as_of(ev: dict) -> int:
    """Readable events later than the as-of time, which no rule counts: a stale --as-of in a crontab
    left a whole log out with no word but the JSON's ``up_to_as_of``."""
    if ev.get("up_to_as_of") is None:
        return 0
    return max(ev["read"] - ev["unreadable"] - ev["up_to_as_of"], 0)


def output_lines(summary: RunSummary) -> Text:
    """The files a run wrote, one ``<kind>: <path>`` line each, for ``console.print(..., soft_wrap=True)``.

    Printed apart from :func:`run_summary` so that no path is wrapped: a cron log or a script
    reads the path off its line, and a long path cut at the console's width was two lines and
    no file.
    """
    return Text("\n").join(Text(f"{kind}: {path}", style="dim") for kind, path in summary.outputs.items())


def _change_lines(ch: dict) -> list[Text]:
    """Changes since the --previous output: counts, the commonest tier moves, kept owners."""
    if ch.get("first_run"):
        return [Text(f"since {ch['previous']}: no previous output yet (a first run): every lead is new")]
    when = f"as of {ch['previous_as_of']}, " if ch.get("previous_as_of") else ""
    counts = [("new", "new"), ("tier changed", "tier_changed"), ("route changed", "route_changed"),
              ("score changed", "score_changed"), ("unchanged", "unchanged"), ("gone", "gone")]
    # A previous output as of this run's time or later (changes["warning"]) is said on stderr, not here again.
    lines = [Text(f"since {ch['previous']} ({when}{ch['previous_leads']:,} leads): "
                  + "; ".join(f"{label} {ch[key]:,}" for label, key in counts
                              if ch[key] or key != "route_changed"))]
    moves = ch["transitions"]
    if moves:
        shown = "; ".join(f"{m['from']} -> {m['to']} {m['leads']:,}" for m in moves[:TRANSITIONS_SHOWN])
        more = f"; {len(moves) - TRANSITIONS_SHOWN} more" if len(moves) > TRANSITIONS_SHOWN else ""
        lines.append(Text(f"tier changes: {shown}{more}"))
    if ch.get("owners_kept") is not None:
        lines.append(Text(f"owners kept from the previous run: {ch['owners_kept']:,}"))
    return lines


def _leads(n: int) -> str:
    return f"{n:,} lead" if n == 1 else f"{n:,} leads"


def _joined(counts: dict[str, int]) -> str:
    """``name count; ...`` for the names with a count: the JSON lists every name of the ruleset, 0 included,
    and a line of zeros would hide the few that count (the tiers and grades tables keep their zero rows)."""
    return "; ".join(f"{k} {v:,}" for k, v in counts.items() if v)


def _shown_title(title: str, width: int = 60) -> str:
    """A job title of the input as one short line: control characters escaped, a long one cut with "…"."""
    safe = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in title)
    return safe if len(safe) <= width else safe[:width - 1] + "…"


def _action_lines(summary: RunSummary) -> list[Text]:
    """Routes, SLAs, nurture tracks, accounts and unmatched titles, one line each."""
    lines: list[Text] = []
    r = summary.routing or {}
    if "routes" in r:
        routes = [_joined(r["routes"])] if any(r["routes"].values()) else []
        unrouted = f"unrouted {r['unrouted']:,}"
        lines.append(Text("routes: " + "; ".join([*routes, unrouted])))
    if r.get("away"):
        lines.append(Text(f"owners away (no new leads): {', '.join(r['away'])}"))
    why: dict[str, dict] = {}  # the reason leads went without an owner -> route -> leads
    for route, n in (r.get("unassigned") or {}).items():
        if not n:
            continue
        owners, away = set(r["owners"][route]), set(r.get("away", ()))
        reason = ("every owner of the route away" if owners <= away or route not in r.get("capacity", {}) else
                  "every owner away or at capacity; the most urgent leads went first" if owners & away else
                  "every owner at capacity; the most urgent leads went first")
        why.setdefault(reason, {})[route] = n
    for reason, routes in why.items():
        lines.append(Text(f"without an owner ({reason}): {_joined(routes)}", style="yellow"))
    if any((r.get("flags") or {}).values()):
        lines.append(Text(f"flags: {_joined(r['flags'])}"))
    if "sla_due" in r:
        lines.append(Text(f"SLA: {_leads(r['sla_due'])} with a due time; {r['sla_overdue']:,} already due "
                          "before the as-of time", style="yellow" if r["sla_overdue"] else ""))
    if any((r.get("nurture_tracks") or {}).values()):
        lines.append(Text(f"nurture tracks: {_joined(r['nurture_tracks'])}"))
    if summary.accounts:
        lines.append(Text(f"accounts {summary.accounts['accounts']:,}: {_joined(summary.accounts['tiers'])}"))
    if summary.unmatched_titles is not None:
        top = "; ".join(f"'{_shown_title(t['title'])}' {t['count']:,}" for t in summary.unmatched_titles_top or [])
        lines.append(Text(f"job titles without a seniority match: {summary.unmatched_titles:,}"
                          + (f" (most frequent: {top})" if top else ""),
                          style="yellow" if summary.unmatched_titles else ""))
    return lines
