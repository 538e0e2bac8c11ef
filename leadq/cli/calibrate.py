"""`leadq calibrate`: back-test a ruleset against known outcomes."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from leadq.cli import (
    AccountsOpt, ActivitiesOpt, AsOfOpt, DelimiterOpt, SheetOpt, EncodingOpt, InputFormatOpt, RulesetOpt,
    QuietOpt, _parse_as_of, _read_options, _split_multi, app, check_named, handle_errors, working, write_report_json,
)
from leadq.errors import UsageError

JsonOpt = Annotated[Optional[str], typer.Option(
    "--json", help="Write the report as JSON to this file ('-' for stdout; the terminal report then goes to "
    "stderr).")]


def _date_option(name: str, value: str | None, tz: str):
    """--since/--until as a UTC instant: a date is the start of that day in ``tz`` (settings.timezone), the
    zone zone-less Create Dates are read in, as `leadq funnel --from` reads it."""
    from leadq.funnel import period_bound

    if value is None:
        return None
    try:
        return period_bound(value, tz)
    except ValueError as exc:
        raise UsageError(f"{name}: {exc}") from None


@app.command()
@handle_errors
def calibrate(
    contacts: Annotated[list[str], typer.Argument(
        help="Contacts export with known outcomes (files or globs; '-' for standard input (CSV, NDJSON, Parquet or a workbook, told by its first bytes)).")],
    outcome: Annotated[str, typer.Option(
        "--outcome", help="What counts as converted: a stage (sql, opportunity, won: reached as leadq funnel counts "
        "it: that stage's or a later stage's date is set, or the lifecycle stage is at or past it), a ruleset field "
        "(won_at), or a contacts column (true/yes/1/won, or any date).")],
    activities: ActivitiesOpt = None,
    accounts: AccountsOpt = None,
    ruleset: RulesetOpt = None,
    as_of: AsOfOpt = None,
    target_precision: Annotated[Optional[float], typer.Option(
        "--target-precision", help="Suggest the lowest total score whose leads convert at least this often "
        "(0-1).")] = None,
    target_volume: Annotated[Optional[int], typer.Option(
        "--target-volume", help="Suggest the lowest total score that passes at most this many leads.")] = None,
    sales_tiers: Annotated[Optional[str], typer.Option(
        "--sales-tiers", help="Comma-separated tiers that count as 'sent to sales' (default: every tier except "
        "the catch-all, disqualified, nurture and tiers that only test bad_fit/bad_timing).")] = None,
    since: Annotated[Optional[str], typer.Option(
        "--since", help="Only leads created on or after this date (YYYY-MM-DD, a day of the ruleset's "
        "settings.timezone), e.g. the start of last quarter.")] = None,
    until: Annotated[Optional[str], typer.Option(
        "--until", help="Only leads created before this date (YYYY-MM-DD).")] = None,
    json_out: JsonOpt = None,
    quiet: QuietOpt = False,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    sheet: SheetOpt = None,
) -> None:
    """Back-test the ruleset on history: conversion by tier, grade and score decile, ROC AUC, precision and
    recall of the current thresholds, per-rule evidence, suggested thresholds and a disqualification audit.

    Leads created after --as-of are left out (they did not exist then); stage dates that are not dates
    ('TBD') are read as blank and counted in the report.

    Example:

        leadq calibrate sample_data/contacts.csv -a 'sample_data/events/*.csv' --accounts sample_data/accounts.csv
        --as-of 2026-11-01 --outcome sql --target-precision 0.3
    """
    from leadq.calibrate import calibrate as run_calibration
    from leadq.calibrate import check_options
    from leadq.rescoring import read_frames
    from leadq.calibrate_report import calibration_report
    from leadq.report import make_console
    from leadq.ruleset_loader import load_ruleset

    if target_precision is not None and target_volume is not None:
        raise UsageError("--target-precision and --target-volume are alternatives; give one of them")
    check_named({"--json": json_out, "--ruleset": ruleset})
    rs = load_ruleset(ruleset)
    as_of_dt = _parse_as_of(as_of, rs.settings.timezone)
    tiers = [t.strip() for t in sales_tiers.split(",") if t.strip()] if sales_tiers is not None else None
    check_options(rs, target_precision=target_precision, target_volume=target_volume, sales_tiers=tiers)
    since_dt = _date_option("--since", since, rs.settings.timezone)
    until_dt = _date_option("--until", until, rs.settings.timezone)
    activity_specs, account_specs = _split_multi(activities, "--activities"), _split_multi(accounts, "--accounts")
    with working(quiet):
        frames = read_frames(contacts, activity_specs, account_specs,
                             options=_read_options(input_format, encoding, delimiter, sheet), rulesets=[rs])
        report = run_calibration(rs, frames, outcome=outcome, as_of=as_of_dt, target_precision=target_precision,
                                 target_volume=target_volume, sales_tiers=tiers,
                                 created_since=since_dt, created_until=until_dt)
    if json_out:
        write_report_json(report.to_dict(), json_out)
    if not quiet:
        make_console(sys.stderr if json_out == "-" else sys.stdout).print(calibration_report(report))
