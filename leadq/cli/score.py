"""`leadq score` and `leadq sample`."""

from __future__ import annotations

import os
import re
import sys
import time
from datetime import datetime, timezone
from fractions import Fraction
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Callable, Optional

import typer

from leadq.cli import (
    AccountsOpt, ActivitiesOpt, AsOfOpt, DelimiterOpt, SheetOpt, EncodingOpt, InputFormatOpt, RulesetOpt,
    _default_rejects, _parse_as_of, check_named, sibling_path, _read_options, _split_multi, app, handle_errors, report_json_text,
    working, write_report_json,
)
from leadq.errors import LeadqError, OutputError, RejectedRowsError, UsageError
from leadq.progress import stage

if TYPE_CHECKING:
    from leadq.output_lock import OutputLocks


# leadq.engines.ENGINES, without importing the SQL back end for a polars run (test_engines checks they agree).
ENGINE_NAMES = ("polars", "duckdb", "spark")


@app.command()
@handle_errors
def score(
    ctx: typer.Context,
    contacts: Annotated[list[str], typer.Argument(
        help="Contacts/leads export files or globs (also compressed: .gz, .bz2, .xz, a one-file .zip); "
             "'-' for standard input (CSV, NDJSON, Parquet or a workbook, told by its first bytes).")],
    activities: ActivitiesOpt = None,
    accounts: AccountsOpt = None,
    ruleset: RulesetOpt = None,
    as_of: AsOfOpt = None,
    out: Annotated[str, typer.Option(
        "--out", "-o", help="Output file (.parquet, .csv, .tsv, .ndjson or .xlsx; .csv.gz, .tsv.gz or .ndjson.gz "
        "gzip-compressed), or '-' for stdout. An .xlsx workbook (Excel) holds typed cells: numbers as numbers, "
        "text as text (never a formula, so not escaped), zoned times in UTC; at most 1,048,575 leads, text cut "
        "at 32,767 characters.")] = "scored.parquet",
    fmt: Annotated[Optional[str], typer.Option(
        "--format", "-f", help="Output format: parquet, csv, ndjson or xlsx (default: from --out's extension).")] = None,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    sheet: SheetOpt = None,
    keep_columns: Annotated[Optional[list[str]], typer.Option(
        "--keep-columns", "-k", help="Input columns to carry into the output (repeatable or comma-separated); a "
        "value that is exactly one of the contacts' column names is that column, commas and all "
        "(-k 'Revenue, USD').")] = None,
    columns: Annotated[Optional[list[str]], typer.Option(
        "--columns", metavar="[HEADER=]FIELD",
        help="The output's columns, exactly these in this order (repeatable or comma-separated), each a column the "
        "output would have (leadq's, the action sections', --previous's) or an input column (kept without -k), "
        "written under HEADER when given: --columns 'Record ID=lead_id,leadq Score=total_score,tier'. The same in "
        "--changes, with the change columns not chosen after them; the rejects keep theirs.")] = None,
    rejects: Annotated[Optional[str], typer.Option(
        "--rejects", help="Where rejected rows go, in the format of its extension (CSV when it has none; '-' for "
        "CSV on stdout); default: <out>.rejects.csv beside the output (scored.rejects.csv with --out -).")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1 when any row was rejected (--max-rejects 0), or any event of a lead in the "
        "activity log had no readable time (no rule could count it); the outputs and the rejects are written "
        "first.")] = False,
    max_rejects: Annotated[Optional[str], typer.Option(
        "--max-rejects", metavar="N|P%",
        help="Exit 1 when more than N rows, or more than P percent of the input rows, were rejected (e.g. 100, "
        "2.5%), or as many of the activity log's events (of the events read) had no readable time; as with "
        "--strict the outputs and the rejects are written first, and --summary-json says "
        "\"status\": \"failed\".")] = None,
    escape_formulas: Annotated[bool, typer.Option(
        "--escape-formulas/--no-escape-formulas",
        help="Neutralise spreadsheet formulas (=, +, -, @) in CSV output with a leading '; .xlsx cells are text "
        "and need none.")] = True,
    summary_json: Annotated[Optional[str], typer.Option(
        "--summary-json", help="Also write the summary figures as JSON to this file ('-' for stdout), with "
        "\"status\": \"ok\"; a run that fails once this option is read (exit 1 to 5, or 130) writes "
        "{\"status\": \"failed\", \"exit_code\", \"error\", ...} there instead, over the previous run's (never over a file another run is writing).")] = None,
    previous: Annotated[Optional[str], typer.Option(
        "--previous", help="The output of an earlier run (it may be --out itself): add previous_tier, "
        "score_change and change (new, tier_changed, route_changed, score_changed, unchanged); owners stay "
        "with their leads.")] = None,
    changes_out: Annotated[Optional[str], typer.Option(
        "--changes", help="With --previous: also write the leads whose change is not 'unchanged' to this file "
        "(format from its extension; '-' for CSV on stdout), for the hand-off; --out keeps every lead.")] = None,
    min_score_change: Annotated[float, typer.Option(
        "--min-score-change", metavar="POINTS",
        help="With --previous: a total score that moved less than this is 'unchanged' (decay moves scores a "
        "little every day).")] = 1.0,
    max_tier_changes: Annotated[Optional[float], typer.Option(
        "--max-tier-changes", metavar="PERCENT",
        help="With --previous: write nothing and exit 5 when more than this percentage of the previous "
        "output's leads changed tier or are gone (a broken export should not reach the CRM).")] = None,
    allow_empty: Annotated[bool, typer.Option(
        "--allow-empty", help="With --previous: write the output even when no lead is scored (an empty input, or "
        "every row rejected) and the previous output holds leads; without it such a run writes nothing and exits "
        "3 (an empty export is more likely a failed download than no leads).")] = False,
    away: Annotated[Optional[list[str]], typer.Option(
        "--away", metavar="OWNER",
        help="Owners who get no new leads this run, e.g. out of office (repeatable or comma-separated); their "
        "routes' other owners take their turns, and with --previous they keep the leads they have.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    rollup: Annotated[Optional[str], typer.Option(
        "--rollup", help="'account': also score accounts (the ruleset's accounts section) and write them to "
        "<out stem>.accounts.<ext> beside the leads file.")] = None,
    engine: Annotated[str, typer.Option(
        "--engine", help="polars (default), duckdb or spark; duckdb/spark read Parquet or database tables.")] = "polars",
    spark_master: Annotated[Optional[str], typer.Option(
        "--spark-master", help="Spark master URL for --engine spark (default: SPARK_MASTER, else local[*]).")] = None,
    table: Annotated[Optional[str], typer.Option(
        "--table", help="With a database URI as CONTACTS: the contacts table.")] = None,
    query: Annotated[Optional[str], typer.Option(
        "--query", help="With a database URI as CONTACTS: a SELECT giving the contacts.")] = None,
    activities_table: Annotated[Optional[str], typer.Option(
        "--activities-table", help="Activity-log table in the CONTACTS database.")] = None,
    activities_query: Annotated[Optional[str], typer.Option(
        "--activities-query", help="A SELECT giving the activity log from the CONTACTS database.")] = None,
    accounts_table: Annotated[Optional[str], typer.Option(
        "--accounts-table", help="Accounts table in the CONTACTS database.")] = None,
    out_table: Annotated[Optional[str], typer.Option(
        "--out-table", help="With a database URI as --out: the table to write.")] = None,
    if_exists: Annotated[str, typer.Option(
        "--if-exists", help="With --out-table: replace (default) or append; either way in one transaction.")] = "replace",
) -> None:
    """Score, grade and tier every lead, with an explanation of the points.

    CONTACTS and --out may also be database URIs (postgresql://user@host/db, sqlite:///file.db):

        leadq score postgresql://crm@db/crm --table contacts --activities-table events --out postgresql://crm@db/crm --out-table scored_leads

    Example:

        leadq score sample_data/contacts.csv -a 'sample_data/events/*.csv' --as-of 2026-11-01 -o scored.parquet

    A nightly job that hands on only what changed since the last run (the first run starts the file):

        leadq score contacts.csv -a 'events/*.csv' -o scored.parquet --previous scored.parquet --changes handoff.csv -q
    """
    from leadq.interrupts import interruptible
    from leadq.output_lock import OutputLocks, lock_order
    from leadq.inputs import check_outputs_not_read
    from leadq.outputs import (FORMATS, AtomicWrites, OutputColumns, check_format_matches_name, check_output_format,
                               check_output_path, check_outputs_distinct, format_from_path, gzip_if_named,
                               output_fields, selected_columns, write_frame)
    from leadq.pipeline import read_and_score
    from leadq.ruleset_loader import load_ruleset
    from leadq.summary import summarise

    from leadq.db import describe, is_database_uri, sqlite_file

    started = time.perf_counter()
    check_named({"--out": out, "--format": fmt, "--rejects": rejects, "--summary-json": summary_json,
                  "--previous": previous, "--changes": changes_out, "--ruleset": ruleset, "--out-table": out_table})
    # From here on a failure (exit 1 to 5; 130 until the outputs are in place) replaces the previous run's
    # --summary-json with one that says so: a monitor reading that file must not take yesterday's success for
    # today's. A bad option value or ruleset (exit 2) too, once the file is known to be usable: writable, and
    # none of the files the command line reads or writes otherwise (a mistyped option must not replace those).
    locks = OutputLocks()
    failure = _FailureSummary(locks, _early_failure_target(
        summary_json, contacts, activities, accounts, previous, ruleset,
        lambda: _named_outputs(out, fmt, rejects, changes_out, rollup, out_table)))
    rejected_error = None  # --strict, --max-rejects: raised once the outputs and the summary are written
    try:
        engine = engine.lower()
        if engine not in ENGINE_NAMES:  # before the inputs are judged by what the engine reads
            raise UsageError(f"--engine: unknown engine '{engine}'; expected one of: {', '.join(ENGINE_NAMES)}")
        activity_specs = _split_multi(activities, "--activities")
        account_specs = _split_multi(accounts, "--accounts")
        kept = _split_multi(keep_columns, "--keep-columns")  # refuses a value naming nothing; split as far as it goes
        reject_limit = _reject_limit(max_rejects, strict)
        _check_database_contacts(contacts, activity_specs, account_specs)
        to_db = is_database_uri(out)
        if to_db and not out_table:
            raise UsageError("--out is a database URI; name the table with --out-table")
        if out_table and not to_db:
            raise UsageError("--out-table needs a database URI as --out (postgresql://... or sqlite:///...)")
        if out_table:
            from leadq.db import quote_table

            quote_table(out_table)  # a name it cannot write is refused before anything is read
        out_fmt = fmt or ("parquet" if to_db else format_from_path(out))
        if out_fmt not in FORMATS:
            raise UsageError(f"--format: unknown format '{out_fmt}'; expected one of: {', '.join(sorted(FORMATS))}")
        check_output_format(out, out_fmt)
        if fmt and not to_db:
            check_format_matches_name(out, fmt)
        rejects_path = _rejects_path(out, rejects, out_table)
        if to_db and previous:
            raise UsageError("--previous names the scored file of an earlier run; leadq does not read a database "
                             "table back: keep the run's state in a file (-o state.parquet --previous state.parquet) "
                             "and load that into the database")
        rejects_fmt = format_from_path(rejects_path, default="csv", option="--rejects") if rejects_path else "csv"
        accounts_path = _accounts_path(rollup, out, out_fmt, to_db)
        _check_applies(ctx, engine, out_table)
        read_options = _read_options(input_format, encoding, delimiter, sheet)  # refuses a --sheet that does nothing
        score_change_floor = min_score_change if _given(ctx, "min_score_change") else None
        if previous or changes_out or max_tier_changes is not None or score_change_floor is not None:
            from leadq.changes import check_change_options

            check_change_options(previous, changes_out, score_change_floor, kept, max_tier_changes)
        if allow_empty and not previous:
            raise UsageError("--allow-empty needs --previous (without it an input of no leads writes an empty "
                             "output anyway)")
        changes_fmt = format_from_path(changes_out, option="--changes") if changes_out else None
        rs = load_ruleset(ruleset)
        failure.ruleset = rs.name
        if away:
            from leadq.routing import with_owners_away

            rs = with_owners_away(rs, _split_multi(away, "--away"))
        as_of_dt = _parse_as_of(as_of, rs.settings.timezone)
        failure.as_of = as_of_dt
        chosen = OutputColumns.parse(columns, output_fields(rs, bool(previous))) if columns else None
        if chosen and previous and not to_db and os.path.abspath(previous) == os.path.abspath(out):
            chosen.check_read_back(previous)
        # The input columns --columns names are kept as -k keeps them (the contacts' header says which they are).
        keep_all = [*(keep_columns or ()), *(chosen.keep_values(keep_columns or ()) if chosen else ())]
        if engine != "polars" and chosen and chosen.keep_values():
            raise UsageError(f"--columns: '{chosen.keep_values()[0]}' is no column leadq writes (an input column?); "
                             "input columns can be kept with --engine polars only")
        if to_db and (db_file := sqlite_file(out)):  # its folder, before any input is read
            check_output_path(db_file)
        outputs = {"--out": None if to_db else out, "--rejects": rejects_path, "--changes": changes_out,
                   "--summary-json": summary_json, "accounts rollup": accounts_path}
        check_outputs_distinct(outputs)
        failure.target = _failure_target(summary_json, contacts, activity_specs, account_specs, previous, ruleset)
        for option, path in outputs.items():  # refuse now
            if not path:
                continue
            try:
                check_output_path(path)
            except OutputError as exc:
                raise _default_rejects_error(exc, option, rejects) from None
        # Held until the command ends (Click closes the context even on errors), released before the SIGTERM
        # handler goes: a second run writing any of the same files refuses at once (exit 4) instead of
        # scoring and then overwriting them, its own outputs and --summary-json untouched; SIGTERM unwinds
        # like Ctrl-C (exit 130), releasing the locks and removing temporary files.
        ctx.with_resource(interruptible())
        ctx.with_resource(locks)
        for path in lock_order(outputs.values()):
            try:
                locks.take(path)
            except OutputError as exc:
                raise _default_rejects_error(exc, "--rejects" if path == rejects_path else "", rejects) from None
        if not is_database_uri(contacts[0]):
            check_outputs_not_read(
                {"contacts": contacts, "--activities": activity_specs, "--accounts": account_specs},
                outputs)
        if previous:  # it may be --out (the state a scheduled job keeps), never another output
            check_outputs_not_read({"--previous": [previous]}, {k: v for k, v in outputs.items() if k != "--out"})
        with working(quiet):  # erased before the summary or an error is printed
            earlier = None
            if previous:  # read now: it may be the file this run replaces, and a bad one should fail before scoring
                from leadq.changes import read_previous

                # When it is --out itself (the state a scheduled job keeps), the first run has none yet.
                earlier = read_previous(previous, missing_ok=not to_db and out != "-"
                                        and os.path.abspath(previous) == os.path.abspath(out), keep_columns=keep_all)
            db_inputs = _database_inputs(contacts, table, query, activities_table, activities_query, accounts_table)
            try:  # a field of --columns that is neither leadq's nor an input column is found here
                if engine != "polars":
                    from leadq.engines import score_with_engine

                    if keep_columns:
                        raise UsageError("--keep-columns works with --engine polars only")
                    sources = db_inputs or (contacts, activity_specs, account_specs)
                    result = score_with_engine(engine, rs, *sources, as_of=as_of_dt, spark_master=spark_master, rollup=rollup)
                elif db_inputs:
                    from leadq.pipeline import score_frames

                    frames = [f.lazy() if f is not None else None for f in db_inputs]
                    result = score_frames(rs, frames[0], frames[1], frames[2], as_of=as_of_dt,
                                          keep_columns=keep_all, rollup=rollup,
                                          contacts_label=describe(contacts[0], table, query))
                else:
                    result = read_and_score(
                        rs, contacts, activity_specs, account_specs,
                        options=read_options, as_of=as_of_dt,
                        keep_columns=keep_all, rollup=rollup,
                        # The typed stage dates, for the compact funnel at the end of the summary, when a summary is
                        # printed or written (a quiet cron job without --summary-json has none to compute).
                        funnel_detail=bool(not quiet or summary_json)
                        and any(f in rs.columns for f in ("created_at", "mql_at", "sql_at", "opportunity_at", "won_at")),
                    )
            except UsageError as exc:
                raise (chosen.unknown_input_column(exc) if chosen else exc) from None
            changes = None
            if earlier is not None:
                from leadq.changes import check_not_empty, compare_with_previous

                if not allow_empty:
                    check_not_empty(result.scored.height, result.stats.input_rows, result.stats.rejected_by_reason,
                                    earlier)

                result.scored, changes = compare_with_previous(result.scored, earlier, rs, min_score_change,
                                                               as_of=result.stats.as_of,
                                                               account_keys=result.account_keys)
                if changes["warning"] and not quiet:
                    sys.stderr.write(f"leadq: warning: {changes['warning']}\n")
            summary = summarise(result)
            summary.changes = changes
            if changes is not None and max_tier_changes is not None:
                _check_tier_changes(summary, max_tier_changes, failure, started)
            metadata = {
                "leadq.version": _version(), "leadq.as_of": summary.as_of, "leadq.ruleset": rs.name,
                "leadq.ruleset_path": rs.path,
            }
            summary.outputs = {"scored": describe(out, out_table) if to_db else ("<stdout>" if out == "-" else out)}
            if rejects_path:
                summary.outputs["rejects"] = "<stdout>" if rejects_path == "-" else rejects_path
            if accounts_path:
                summary.outputs["accounts"] = accounts_path
            if changes_out:
                summary.outputs["changes"] = "<stdout>" if changes_out == "-" else changes_out
            # Before anything is written: a field of --columns missing from the output, a header twice.
            picked = chosen.resolve(result.scored.columns) if chosen else None
            picked_changes = chosen.with_changes(result.scored.columns) if chosen and changes_out else None
            rejected_error = _rejects_error(summary, strict, reject_limit)
            if rejected_error is not None:
                summary.failure = {"exit_code": rejected_error.exit_code, "error": str(rejected_error)}
            # The scored output, its rejects, the accounts and the summary file appear together or not at
            # all: each is written to a temporary file first, and only when all are ready are they renamed.
            stage("writing the output")
            with AtomicWrites() as files:
                if not to_db:
                    write_frame(selected_columns(result.scored, picked), out, out_fmt, escape_formulas=escape_formulas, metadata=metadata, files=files)
                if rejects_path:
                    write_frame(result.rejects, rejects_path, rejects_fmt, escape_formulas=escape_formulas, files=files)
                if changes_out:
                    from leadq.changes import only_changed

                    write_frame(selected_columns(only_changed(result.scored, earlier), picked_changes), changes_out, changes_fmt or "csv",  # type: ignore[arg-type]
                                escape_formulas=escape_formulas, metadata=metadata, files=files)
                if accounts_path and result.accounts is not None:
                    write_frame(result.accounts, accounts_path, out_fmt, escape_formulas=escape_formulas, metadata=metadata,
                                files=files)
                summary.elapsed_seconds = round(time.perf_counter() - started, 3)
                if summary_json and summary_json != "-":
                    text = report_json_text(summary.to_dict()).encode("utf-8")
                    files.prepare(summary_json, gzip_if_named(summary_json, lambda fh: fh.write(text)))
                if to_db:
                    from leadq.db import write_database

                    # The table commits in its own transaction: last, once the files are ready to be renamed.
                    write_database(selected_columns(result.scored, picked), out, out_table, if_exists=if_exists)  # type: ignore[arg-type]
                files.commit()
                failure.outputs_in_place = True
        if summary_json == "-":
            failure.target = None  # stdout holds (part of) the document now: a second one would break its reader
        _print_summary(summary, summary_json == "-", quiet,
                       sys.stderr if "-" in (out, summary_json, rejects_path, changes_out) else sys.stdout)
    except LeadqError as exc:
        failure.write(exc.exit_code, str(exc))
        raise
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (interruptible)
        failure.interrupted()
        raise
    if rejected_error is not None:
        raise rejected_error


_COUNT = re.compile(r"\d+")
_PERCENT = re.compile(r"\d+(\.\d+)?%")


@dataclass(frozen=True)
class _RejectLimit:
    """--max-rejects: at most ``count`` rejected rows, or at most ``percent`` percent of the input rows."""

    text: str  # as given, for the message
    count: int | None = None
    percent: Fraction | None = None

    def exceeded(self, rejected: int, rows: int) -> bool:
        """Whether ``rejected`` of ``rows`` input rows is over the limit (exactly at it passes)."""
        if self.count is not None:
            return rejected > self.count
        return rejected * 100 > self.percent * rows  # exact: 10% of 30 rows allows 3, not 3.0000000000000004


def _reject_limit(value: str | None, strict: bool) -> _RejectLimit | None:
    """``--max-rejects`` read and checked before anything is read (exit 2 for a bad value).

    ``--strict`` is ``--max-rejects 0``: both together are refused only when the limit allows rows.
    """
    if value is None:
        return None
    text = value.strip()
    if _COUNT.fullmatch(text):
        limit = _RejectLimit(text, count=int(text))
    elif _PERCENT.fullmatch(text):
        limit = _RejectLimit(text, percent=Fraction(text[:-1]))
        if limit.percent > 100:
            raise UsageError(f"--max-rejects: {value!r} is more than 100%; give a percentage from 0% to 100% of the "
                             "input rows, or a number of rows")
    elif text.startswith("-") and (_COUNT.fullmatch(text[1:]) or _PERCENT.fullmatch(text[1:])):
        raise UsageError(f"--max-rejects: {value!r} is negative; give a number of rows (0 or more) or a "
                         "percentage of the input rows (0% to 100%)")
    else:
        raise UsageError(f"--max-rejects: {value!r} is neither a number of rows nor a percentage; give a whole "
                         "number (e.g. 100) or a percentage of the input rows (e.g. 2.5%)")
    if strict and (limit.count or limit.percent):
        raise UsageError(f"--strict fails the run on any rejected row, and --max-rejects {text} allows some; give "
                         "one of them")
    return limit


def _rejects_error(summary, strict: bool, limit: _RejectLimit | None) -> RejectedRowsError | None:
    """The error a run with too many rejected rows, or events dropped without a readable time, ends in (exit 1,
    once its outputs are written), or None.

    An event of a lead whose time cannot be read is counted by no rule, as a rejected row is scored by none:
    --strict fails on any, and --max-rejects applies its limit to them apart from the rows (more than N events,
    or more than P% of the events read: leadq.summary.untimed_events_error).
    """
    from leadq.summary import untimed_events_error

    problems = [_rows_error(summary, strict, limit),
                untimed_events_error(summary, strict, limit.exceeded if limit else None, limit.text if limit else "")]
    problems = [p for p in problems if p]
    return RejectedRowsError("; ".join(problems)) if problems else None


def _rows_error(summary, strict: bool, limit: _RejectLimit | None) -> str | None:
    """Why a run with too many rejected rows fails, or None."""
    where = summary.outputs.get("rejects", "the summary")
    if strict and summary.rejected:
        return f"{summary.rejected:,} row(s) rejected (--strict); see {where}"
    if limit is None or not limit.exceeded(summary.rejected, summary.input_rows):
        return None
    share = Fraction(summary.rejected * 100, summary.input_rows)  # rejected > 0, so there were rows
    for places in range(2, 7):  # as many places as show it over the limit: 1.0001%, not "1%" over 1%
        shown = round(share, places)
        if limit.percent is None or shown > limit.percent:
            break
    percent = f"{float(shown):.{places}f}".rstrip("0").rstrip(".")
    return (f"{summary.rejected:,} of {summary.input_rows:,} input row(s) rejected ({percent}%), "
            f"over --max-rejects {limit.text}; see {where} (the outputs were written)")


def _rejects_path(out: str, rejects: str | None, out_table: str | None) -> str:
    """Where the rejects go: ``--rejects``, else ``<out>.rejects.csv`` beside the output, and for ``--out -``
    or a device (``-o /dev/null``) ``scored.rejects.csv`` in the working folder, as nothing can be written
    beside those."""
    from leadq.db import is_database_uri
    from leadq.outputs import is_stream_target

    if rejects:
        return rejects
    if is_stream_target(out):
        return "scored.rejects.csv"
    named = _database_out_sibling(out, out_table) if is_database_uri(out) else _named_after(out)
    return _default_rejects(named) or "scored.rejects.csv"


def _default_rejects_error(exc: OutputError, option: str, rejects: str | None) -> OutputError:
    """``exc`` about the file of ``option``, with a hint where that is the rejects file the user never named:
    with ``--out -`` (or a device) it is in the working folder, which for a cron job is often / or a read-only
    home, and every such run shares it."""
    if option != "--rejects" or rejects:
        return exc
    return OutputError(f"{exc} (where the rejects go by default; name another file with --rejects PATH)")


def _named_outputs(out: str, fmt: str | None, rejects: str | None, changes_out: str | None, rollup: str | None,
                   out_table: str | None) -> dict[str, str | None]:
    """The files the command line writes besides --summary-json, as they are named before any option is checked
    (the accounts file only when its name can be told).

    Raises:
        LeadqError: a name that cannot be told (an unknown --out extension with --rollup).
    """
    from leadq.db import is_database_uri
    from leadq.outputs import format_from_path

    to_db = is_database_uri(out)
    named = {"--out": None if to_db else out, "--rejects": _rejects_path(out, rejects, out_table),
             "--changes": changes_out}
    if rollup and not to_db and out != "-":
        named["accounts rollup"] = sibling_path(_named_after(out), "accounts", default_ext=fmt or format_from_path(out))
    return named


def _early_failure_target(summary_json: str | None, contacts: list[str], activities: list[str] | None,
                          accounts: list[str] | None, previous: str | None, ruleset: str | None,
                          outputs: Callable[[], dict[str, str | None]]) -> str | None:
    """Where a run that stops on a bad option value or a bad ruleset (exit 2) writes its failure: --summary-json
    when :func:`_failure_target` accepts it and it is none of the run's other outputs (``outputs()``, the
    default rejects file included), which a failure record must never replace; else None, and nothing is
    written. Never raises: a name that cannot be told, or an option that cannot be read, is no target.
    """
    from leadq.outputs import check_outputs_distinct

    if not summary_json:
        return None
    try:
        check_outputs_distinct({"--summary-json": summary_json, **outputs()})
        return _failure_target(summary_json, contacts, _split_multi(activities, "--activities"),
                               _split_multi(accounts, "--accounts"), previous, ruleset)
    except Exception:  # noqa: BLE001 - a probe: whatever it cannot tell, the checks of the run report
        return None


def _failure_target(summary_json: str | None, contacts: list[str], activity_specs: list[str],
                    account_specs: list[str], previous: str | None, ruleset: str | None = None) -> str | None:
    """Where a failed run writes its summary: ``--summary-json`` once it is known to be writable and none of
    the run's inputs (it replaces the file whatever it holds); None without the option.

    Raises:
        OutputError: its folder cannot be written (the run stops; nothing can be written there).
        UsageError: it is one of the inputs, --previous or the --ruleset file.
    """
    from leadq.db import is_database_uri
    from leadq.inputs import check_outputs_not_read
    from leadq.outputs import check_output_path

    if not summary_json:
        return None
    check_output_path(summary_json)
    inputs = {"--previous": [previous] if previous else []}
    if not is_database_uri(contacts[0]):
        inputs.update({"contacts": contacts, "--activities": activity_specs, "--accounts": account_specs})
    check_outputs_not_read(inputs, {"--summary-json": summary_json})
    if ruleset and summary_json != "-" and os.path.isfile(ruleset) and os.path.isfile(summary_json) \
            and os.path.samefile(ruleset, summary_json):
        raise UsageError(f"{summary_json} is both this run's --summary-json and its --ruleset; write the summary "
                         "elsewhere")
    return summary_json


def _check_tier_changes(summary, max_percent: float, failure: _FailureSummary, started: float) -> None:
    """--max-tier-changes: stop the run (exit 5) when too many leads moved, its figures kept for the failure
    record (``outputs`` empty: nothing is written).

    Raises:
        TooManyChangesError: from :func:`leadq.changes.check_tier_changes`.
    """
    from leadq.changes import check_tier_changes
    from leadq.errors import TooManyChangesError

    try:
        check_tier_changes(summary.changes, max_percent)
    except TooManyChangesError as exc:
        summary.elapsed_seconds = round(time.perf_counter() - started, 3)
        summary.failure = {"exit_code": exc.exit_code, "error": str(exc)}
        failure.figures = summary
        raise


class _FailureSummary:
    """What a failed run writes to --summary-json (:func:`leadq.summary.failed_run`, or the run's figures with
    ``"status": "failed"`` once they exist), once it has a target.

    The record is written under the target's lock (the run's own, or one taken for the write): a run that
    finds another one writing the same summary leaves that run's file alone.
    """

    def __init__(self, locks: OutputLocks, target: str | None) -> None:
        self.locks = locks
        self.target = target
        self.ruleset: str | None = None
        self._as_of: str | None = None
        self.figures = None  # the run's RunSummary, its failure set (exit 5: scored, then stopped)
        self.outputs_in_place = False  # an interrupt then leaves the run's own summary ("ok") alone

    @property
    def as_of(self) -> str | None:
        return self._as_of

    @as_of.setter
    def as_of(self, value: datetime | None) -> None:
        self._as_of = value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else None

    def write(self, exit_code: int, error: str) -> None:
        """Write the failure (``exit_code``, ``error``) to the target, atomically (or to stdout for '-').

        Best effort: when the target cannot be written either (it is what failed, the disk is full, another
        run holds its lock) the run's own error is the one reported, once; nothing is retried.
        """
        if self.target is None:
            return
        from leadq.summary import failed_run

        target, self.target = self.target, None  # never twice
        if self.figures is not None:
            document = self.figures.to_dict()
        else:
            document = failed_run(exit_code, error, ruleset=self.ruleset, as_of=self.as_of)
        try:
            with self.locks.held_for(target):
                write_report_json(document, target)
        except (LeadqError, OSError):
            pass

    def interrupted(self) -> None:
        """Write the failure of an interrupted run (exit 130), unless its outputs are in place already."""
        from leadq.cli import _INTERRUPTED
        from leadq.errors import EXIT_INTERRUPTED

        if not self.outputs_in_place:
            self.write(EXIT_INTERRUPTED, _INTERRUPTED)


def _print_summary(summary, as_json: bool, quiet: bool, stream) -> None:
    """The end-of-run summary: JSON on stdout (``--summary-json -``) and the report, unless ``quiet``.

    A stream that cannot be written (a cron log on a full disk) is an output error (exit 4), not
    "internal error" (70); the outputs are in place by now, and the message says so.
    """
    from leadq.errors import OutputError, os_reason
    from leadq.outputs import stdout_os_error

    try:
        if as_json:
            write_report_json(summary.to_dict(), "-")
        if not quiet:
            # Rich: only when there is something to print
            from leadq.report import make_console, output_lines, run_summary

            console = make_console(stream)
            console.print(run_summary(summary))
            console.print(output_lines(summary), soft_wrap=True)
    except OSError as exc:
        exc = stdout_os_error(exc)
        if isinstance(exc, BrokenPipeError):
            raise exc from None
        where = "stderr" if stream is sys.stderr and not as_json else "stdout"
        raise OutputError(f"cannot write the summary to {where}: {os_reason(exc)} (the output files were "
                          "written)") from None


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether the option was given on the command line (or its environment variable), not left at its default."""
    source = ctx.get_parameter_source(name)  # Click's ParameterSource (vendored by newer Typer: compared by name)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


def _check_applies(ctx: typer.Context, engine: str, out_table: str | None) -> None:
    """Refuse an option given where it does nothing, before anything is read: a cron line that says
    ``--if-exists append`` without a table, or a Spark master for the Polars engine, did not do what it says."""
    from leadq.db import IF_EXISTS

    if _given(ctx, "spark_master") and engine != "spark":
        raise UsageError(f"--spark-master works with --engine spark only (the engine is {engine})")
    if _given(ctx, "if_exists"):
        if not out_table:
            raise UsageError("--if-exists works with a database --out and --out-table only")
        if ctx.params["if_exists"] not in IF_EXISTS:
            raise UsageError(f"--if-exists: unknown value '{ctx.params['if_exists']}'; expected one of: "
                             f"{', '.join(IF_EXISTS)}")


def _database_inputs(contacts: list[str], table, query, activities_table, activities_query, accounts_table):
    """(contacts, activities, accounts) frames read from a database URI, or None for file inputs."""
    from leadq.db import is_database_uri, read_database

    if not (len(contacts) == 1 and is_database_uri(contacts[0])):
        if table or query or activities_table or activities_query or accounts_table:
            raise UsageError("--table/--query/--activities-table/--activities-query/--accounts-table need a "
                             "database URI as CONTACTS (postgresql://... or sqlite:///...)")
        return None
    uri = contacts[0]
    found = read_database(uri, table=table, query=query, what="contacts")
    events = (read_database(uri, table=activities_table, query=activities_query, what="activities")
              if activities_table or activities_query else None)
    accounts = read_database(uri, table=accounts_table, what="accounts") if accounts_table else None
    return found, events, accounts


def _check_database_contacts(contacts: list[str], activity_specs: list[str], account_specs: list[str]) -> None:
    """Refuse files beside a database's contacts, before anything is read: they were left out without a word."""
    from leadq.db import is_database_uri

    if not (len(contacts) == 1 and is_database_uri(contacts[0])):
        return
    for option, specs, instead in (("--activities", activity_specs, "--activities-table or --activities-query"),
                                   ("--accounts", account_specs, "--accounts-table")):
        if specs:
            raise UsageError(f"{option} names files, and the contacts come from a database; give the database's "
                             f"table with {instead}, or export the contacts to a file too")


def _accounts_path(rollup: str | None, out: str, out_fmt: str, to_db: bool) -> str | None:
    """Where ``--rollup account`` writes the accounts: ``<out stem>.accounts.<ext>`` beside the leads file."""
    if rollup is None:
        return None
    from leadq.actions import check_rollup_name

    check_rollup_name(rollup)  # before any input is read
    if out == "-" or to_db:
        raise UsageError("--rollup account writes the accounts beside the leads file; give --out a file name")
    return sibling_path(_named_after(out), "accounts", default_ext=out_fmt)


def _named_after(out: str) -> str:
    """``out`` as the files beside it are named after: without ``.xlsx`` (``scored.xlsx`` gives
    ``scored.rejects.csv`` and ``scored.accounts.xlsx``), which :func:`sibling_path` does not take for a
    format's extension, as leadq reads more kinds of workbook than it writes."""
    stem, ext = os.path.splitext(out)
    return stem if ext.lower() == ".xlsx" and os.path.basename(stem) else out


def _database_out_sibling(out: str, out_table: str | None) -> str:
    """The name the files of a database --out are named after: ``<db file stem>.<table>`` beside a SQLite
    file (``crm.scored.rejects.csv``), ``<table>`` in the working folder for a server."""
    from leadq.db import sqlite_file

    db_file = sqlite_file(out)
    if db_file is None:
        return str(out_table)
    return str(Path(db_file).with_name(f"{Path(db_file).stem}.{out_table}"))


def _version() -> str:
    from leadq import __version__

    return __version__


@app.command()
@handle_errors
def sample(
    out: Annotated[str, typer.Option("--out", "-o", help="Directory to write the data set into.")] = "sample_data",
    leads: Annotated[int, typer.Option("--leads", min=1, help="Number of contacts.")] = 3000,
    events: Annotated[int, typer.Option("--events", min=0, help="Number of activity events.")] = 40000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same files.")] = 7,
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or parquet.")] = "csv",
    force: Annotated[bool, typer.Option(
        "--force", help="Write into a folder that holds files already, replacing an earlier sample's once the new "
        "one is complete.")] = False,
) -> None:
    """Write a deterministic, realistic sample data set (contacts, accounts, events).

    Refuses a folder that holds files already (exit 2) unless --force is given: an earlier
    sample's events files would stay, and a glob over them would read both. All files or none:
    they are written beside the folder and moved in once complete, so a failure (exit 4) or an
    interrupt (exit 130) leaves the folder as it was.

    Example:

        leadq sample --leads 100000 --events 2000000 --seed 7 --out /tmp/leads --format parquet
    """
    from leadq.sample import SampleSpec, write_sample

    if fmt not in ("csv", "parquet"):
        raise UsageError(f"--format: unknown format '{fmt}'; expected one of: csv, parquet")
    _check_sample_folder(out, force)
    paths = write_sample(SampleSpec(leads=leads, events=events, seed=seed), out, fmt=fmt, replace_earlier=force)
    sys.stdout.write(f"wrote {len(paths)} files to {out}\n")


def _check_sample_folder(out: str, force: bool) -> None:
    """Refuse a --out that is no folder, or one holding files unless ``force``."""
    if out == "-" or (os.path.exists(out) and not os.path.isdir(out)):
        raise UsageError(f"--out {out}: leadq sample writes a folder of files (contacts, accounts, events/); give "
                         "the name of a folder")
    if not os.path.isdir(out):
        return
    try:
        # A run's lock, or the temporary folder of one killed outright (removed as this run starts).
        if all(name.startswith(".leadq-sample.") for name in os.listdir(out)):
            return
    except OSError as exc:
        from leadq.errors import OutputError, os_reason

        raise OutputError(f"cannot write the sample to {out}: {os_reason(exc)}; write elsewhere or change the "
                          "folder's permissions") from exc
    if not force:
        raise UsageError(f"--out {out} holds files already: an earlier sample's events would stay beside the new "
                         "ones, and a glob would read both; give a new folder, or --force to replace the sample there")
