"""`leadq funnel`: stage conversions, time between stages, lead velocity and speed to lead."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from leadq.cli import (
    AccountsOpt, ActivitiesOpt, AsOfOpt, DelimiterOpt, SheetOpt, EncodingOpt, InputFormatOpt, QuietOpt, RulesetOpt,
    _parse_as_of, _read_options, _split_multi, app, check_named, handle_errors, working, write_report_json,
)
from leadq.errors import UsageError


def _period_bound(value: str | None, option: str, tz: str, *, end: bool):
    """--from/--to as a UTC instant; a date is a day of ``tz`` (the ruleset's settings.timezone), a date-only
    --to includes that whole day."""
    from leadq.funnel import period_bound

    if value is None:
        return None
    try:
        return period_bound(value, tz, end=end)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


@app.command()
@handle_errors
def funnel(
    contacts: Annotated[list[str], typer.Argument(
        help="Contacts export (or `leadq score` output) files or globs; '-' for standard input (CSV, NDJSON, Parquet or a workbook, told by its first bytes).")],
    ruleset: RulesetOpt = None,
    by: Annotated[Optional[list[str]], typer.Option(
        "--by", "-b", help="Break down by a field (lead_source, industry, country, region, company_size, tier, "
        "grade, ... or an input column); repeatable or comma-separated.")] = None,
    date_from: Annotated[Optional[str], typer.Option(
        "--from", help="Only leads that entered on or after this date (YYYY-MM-DD, or an ISO time; a date or a time "
        "without an offset is read in the ruleset's settings.timezone, default UTC).")] = None,
    date_to: Annotated[Optional[str], typer.Option(
        "--to", help="Only leads that entered up to this date (a date includes that whole day of the "
        "ruleset's settings.timezone).")] = None,
    json_out: Annotated[Optional[str], typer.Option(
        "--json", help="Write every figure as JSON to this file, or '-' for stdout (the report then goes to "
        "stderr).")] = None,
    as_of: AsOfOpt = None,
    score: Annotated[bool, typer.Option(
        "--score", help="Score the contacts first (tier, grade, reasons; SLA per tier). Implied by --by "
        "tier/grade when the input has no such column, and by --activities or --accounts.")] = False,
    activities: ActivitiesOpt = None,
    accounts: AccountsOpt = None,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    sheet: SheetOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Funnel report: stage counts and conversions, time between stages, lead velocity, speed to lead, cohorts.

    Stage dates come from the ruleset's columns (created_at, mql_at, sql_at, opportunity_at, won_at,
    lost_at, first_touch_at, lifecycle_stage). A lead has reached a stage when it has that stage's
    date or a later one.

    Example:

        leadq funnel sample_data/contacts.csv --by lead_source --as-of 2026-11-01 --json funnel.json
    """
    from leadq.funnel import compute_funnel
    from leadq.funnel_input import read_funnel_input
    from leadq.funnel_report import funnel_report
    from leadq.report import make_console
    from leadq.ruleset_loader import load_ruleset

    check_named({"--json": json_out, "--ruleset": ruleset})
    breakdowns = list(dict.fromkeys(_split_multi(by, "--by")))
    rs = load_ruleset(ruleset)
    # Dates of the period are days of the ruleset's time zone, so the ruleset is read first.
    start = _period_bound(date_from, "--from", rs.settings.timezone, end=False)
    end = _period_bound(date_to, "--to", rs.settings.timezone, end=True)
    if start is not None and end is not None and start >= end:
        raise UsageError(f"--from {date_from} is not before --to {date_to}")
    as_of_dt = _parse_as_of(as_of, rs.settings.timezone)
    if start is not None and start > as_of_dt:
        # The funnel is the one that stood at --as-of: no lead had entered the period yet.
        raise UsageError(f"--from {date_from} is after --as-of {as_of_dt.isoformat().replace('+00:00', 'Z')}: no lead "
                         "had entered the period at the as-of time; give an earlier --from or a later --as-of")
    activity_specs, account_specs = _split_multi(activities, "--activities"), _split_multi(accounts, "--accounts")
    with working(quiet):
        inp = read_funnel_input(
            rs, contacts, by=breakdowns, options=_read_options(input_format, encoding, delimiter, sheet),
            activity_specs=activity_specs, account_specs=account_specs,
            # Events and accounts are read only by the scoring; given, either means "score with them".
            score=score or bool(activity_specs) or bool(account_specs), as_of=as_of_dt,
        )
        report = compute_funnel(inp, rs, as_of=as_of_dt, period_from=start, period_to=end, by=breakdowns)
    data = report.to_dict()
    if json_out:
        write_report_json(data, json_out)
    if not quiet:
        console = make_console(sys.stderr if json_out == "-" else sys.stdout)
        console.print(funnel_report(data, console.width, disqualifiers=bool(rs.disqualifiers)))
