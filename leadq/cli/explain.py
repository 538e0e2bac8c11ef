"""`leadq explain`: why a lead got its score, grade and tier."""

from __future__ import annotations

import glob
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from leadq.cli import (
    AccountsOpt, ActivitiesOpt, AsOfOpt, DelimiterOpt, SheetOpt, EncodingOpt, InputFormatOpt, RulesetOpt,
    _parse_as_of, _read_options, _split_multi, app, check_named, handle_errors, working, write_report_json,
)
from leadq.errors import InputError, UsageError

# Names of data files (as leadq.inputs reads them: formats, workbooks, compressed files), spelt out
# here so that the command's module imports no Polars before it runs (`leadq --help` stays fast).
_DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".ndjson", ".jsonl", ".json",
                  ".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".gz", ".gzip", ".bz2", ".xz", ".zip")


def _is_input(arg: str) -> bool:
    """An argument that names input data: '-', an existing file (a named pipe too), or a glob matching files."""
    if arg == "-" or (Path(arg).exists() and not Path(arg).is_dir()):
        return True
    return any(ch in arg for ch in "*?[") and bool(glob.glob(arg))


def _looks_like_path(arg: str) -> bool:
    return "/" in arg or any(ch in arg for ch in "*?[") or arg.lower().endswith(_DATA_SUFFIXES)


def split_arguments(args: list[str], leads: list[str], emails: list[str] = ()) -> tuple[list[str], list[str]]:
    """Split positional arguments into (lead ids, contact inputs).

    With ``--lead`` or ``--email`` every positional argument is an input. Otherwise
    lead ids come first and the inputs start at the first argument that is an
    existing file, a glob matching files, or '-'.
    """
    if leads or emails:
        return list(leads), args
    first = next((i for i, a in enumerate(args) if _is_input(a)), None)
    if first is None:
        paths = [a for a in args if _looks_like_path(a)]
        if paths:
            raise InputError(f"contacts file not found: {paths[-1]}")
        raise UsageError("give the lead ids, then the contacts file(s): leadq explain ID [ID...] CONTACTS "
                         "(or --lead ID, or --email ADDRESS)")
    ids, inputs = args[:first], args[first:]
    stray = [a for a in inputs if not _is_input(a)]
    if stray:
        if _looks_like_path(stray[0]):
            raise InputError(f"contacts file not found: {stray[0]}")
        raise UsageError(f"'{stray[0]}' comes after the contacts file; put lead ids first "
                         f"(leadq explain {stray[0]} ... {inputs[0]}) or pass them with --lead")
    if not ids:
        raise UsageError("give at least one lead id before the contacts file(s), or use --lead ID or --email ADDRESS")
    return ids, inputs


@app.command()
@handle_errors
def explain(
    args: Annotated[list[str], typer.Argument(
        metavar="LEAD_ID... CONTACTS...",
        help="Lead ids, then contacts export files or globs ('-' for stdin). Inputs start at the first "
             "argument that is an existing file or a matching glob; use --lead when an id looks like a file.")],
    lead: Annotated[Optional[list[str]], typer.Option(
        "--lead", "-l", help="A lead id to explain (repeatable); then every argument is an input file.")] = None,
    email: Annotated[Optional[list[str]], typer.Option(
        "--email", "-e", help="Explain the lead with this e-mail address (trimmed, any case; repeatable; the "
                              "ruleset must map email); then every argument is an input file.")] = None,
    activities: ActivitiesOpt = None,
    accounts: AccountsOpt = None,
    ruleset: RulesetOpt = None,
    as_of: AsOfOpt = None,
    away: Annotated[Optional[list[str]], typer.Option(
        "--away", metavar="OWNER",
        help="Owners who get no new leads this run, e.g. out of office (repeatable or comma-separated); their "
        "routes' other owners take their turns, as with leadq score --away.")] = None,
    json_out: Annotated[Optional[str], typer.Option(
        "--json", help="Write the explanation as JSON to this file, or '-' for stdout (instead of the report).")] = None,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    sheet: SheetOpt = None,
) -> None:
    """Explain leads: every rule, the values it saw, its points, the grade, each tier tried, the reasons.

    Opens each lead with the hand-off line a sales rep reads before the first call, and ends
    with its next step when the ruleset routes: the route and the routing rule that chose it,
    the flags, the SLA and the nurture track (the owner is assigned across a whole `leadq score` run;
    with --away, as for `leadq score --away`, the owners away are named apart and take no new lead).
    Exit 3 when a lead id is not in the data (with close ids), or when no lead or several
    have an --email address (the close addresses, or the leads to pick from).

    Example:

        leadq explain 1042 1043 sample_data/contacts.csv -a 'sample_data/events/*.csv' --as-of 2026-11-01

        leadq explain --email jane.doe@acme.com sample_data/contacts.csv -a 'sample_data/events/*.csv'

        leadq explain 1000007 sample_data/contacts.csv -a 'sample_data/events/*.csv' --away anna.kowalski
    """
    from leadq.explain import explain_leads
    from leadq.explain_report import explain_report
    from leadq.inputs import check_outputs_not_read
    from leadq.interrupts import interruptible
    from leadq.outputs import check_output_path
    from leadq.report import make_console
    from leadq.ruleset_loader import load_ruleset

    check_named({"--json": json_out, "--ruleset": ruleset})
    emails = _split_multi(email, "--email")
    ids, inputs = split_arguments(list(args), _split_multi(lead, "--lead"), emails)
    rs = load_ruleset(ruleset)
    if away:  # as `leadq score --away` does: the next step names the owners who may get the lead
        from leadq.routing import with_owners_away

        rs = with_owners_away(rs, _split_multi(away, "--away"))
    as_of_dt = _parse_as_of(as_of, rs.settings.timezone)
    activity_specs, account_specs = _split_multi(activities, "--activities"), _split_multi(accounts, "--accounts")
    if json_out:  # refused before the inputs are read, and never over one of them
        check_output_path(json_out)
        check_outputs_not_read({"contacts": inputs, "--activities": activity_specs, "--accounts": account_specs,
                                "--ruleset": [rs.path]}, {"--json": json_out})
    # SIGTERM (a scheduler's stop) ends the run like Ctrl-C: exit 130, no partial --json file.
    with interruptible():
        with working(False):
            report = explain_leads(rs, inputs, ids, activity_specs, account_specs,
                                   as_of=as_of_dt, options=_read_options(input_format, encoding, delimiter, sheet),
                                   emails=emails)
        if json_out:
            write_report_json(report.to_dict(), json_out)
            if json_out == "-":
                return
        make_console(sys.stdout).print(explain_report(report))
