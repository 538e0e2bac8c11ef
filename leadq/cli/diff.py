"""`leadq diff`: score the same leads with two rulesets and compare."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from leadq.cli import (
    AccountsOpt, ActivitiesOpt, AsOfOpt, DelimiterOpt, SheetOpt, EncodingOpt, InputFormatOpt,
    QuietOpt, _parse_as_of, _read_options, _split_multi, app, handle_errors,
)
from leadq.cli import check_named, working, write_report_json
from leadq.cli.calibrate import JsonOpt
from leadq.errors import UsageError


@app.command()
@handle_errors
def diff(
    ruleset_a: Annotated[str, typer.Argument(help="The current ruleset (file, or a built-in name).")],
    ruleset_b: Annotated[str, typer.Argument(help="The proposed ruleset (file, or a built-in name).")],
    contacts: Annotated[list[str], typer.Argument(help="Contacts export files or globs; '-' for standard input (CSV, NDJSON, Parquet or a workbook, told by its first bytes).")],
    activities: ActivitiesOpt = None,
    accounts: AccountsOpt = None,
    as_of: AsOfOpt = None,
    top: Annotated[int, typer.Option("--top", min=0, help="How many of the most-moved leads to list.")] = 20,
    json_out: JsonOpt = None,
    quiet: QuietOpt = False,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    sheet: SheetOpt = None,
) -> None:
    """Compare two rulesets on the same leads: tier migration matrix, the leads that moved most (with the
    rules responsible) and the change in score distribution.

    Example:

        leadq diff rulesets/b2b_saas.yaml my_change.yaml sample_data/contacts.csv -a 'sample_data/events/*.csv'
        --accounts sample_data/accounts.csv --as-of 2026-11-01
    """
    from leadq.calibrate_report import diff_report
    from leadq.diff import diff_rulesets
    from leadq.inputs import check_outputs_not_read
    from leadq.interrupts import interruptible
    from leadq.outputs import check_output_path
    from leadq.report import make_console
    from leadq.rescoring import read_frames
    from leadq.ruleset_loader import load_ruleset

    check_named({"RULESET_A": ruleset_a, "RULESET_B": ruleset_b, "--json": json_out})
    rs_a = load_ruleset(ruleset_a)
    rs_b = load_ruleset(ruleset_b)
    zone_a, zone_b = rs_a.settings.timezone, rs_b.settings.timezone
    as_of_dt = _parse_as_of(as_of, zone_a)
    if as_of and zone_b != zone_a and _parse_as_of(as_of, zone_b) != as_of_dt:
        # Scores are compared at one instant: a wall time the two rulesets would read as two is ambiguous.
        raise UsageError(f"--as-of: {as_of.strip()!r} has no UTC offset, and the rulesets' settings.timezone differ "
                         f"(A: {zone_a}, B: {zone_b}); give it with its offset")
    activity_specs, account_specs = _split_multi(activities, "--activities"), _split_multi(accounts, "--accounts")
    if json_out:  # refused before the inputs are read, and never over one of them
        check_output_path(json_out)
        check_outputs_not_read({"contacts": contacts, "--activities": activity_specs, "--accounts": account_specs,
                                "RULESET_A": [rs_a.path], "RULESET_B": [rs_b.path]}, {"--json": json_out})
    # SIGTERM (a scheduler's stop) ends the run like Ctrl-C: exit 130, no partial --json file.
    with interruptible():
        with working(quiet):
            frames = read_frames(contacts, activity_specs, account_specs,
                                 options=_read_options(input_format, encoding, delimiter, sheet), rulesets=[rs_a, rs_b])
            report = diff_rulesets(rs_a, rs_b, frames, as_of=as_of_dt, top=top)
        if json_out:
            write_report_json(report.to_dict(), json_out)
        if not quiet:
            make_console(sys.stderr if json_out == "-" else sys.stdout).print(diff_report(report))
