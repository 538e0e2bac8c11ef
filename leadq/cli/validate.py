"""`leadq validate`: static checks of a ruleset, fast enough for a pre-commit hook."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer

from leadq.cli import (
    AsOfOpt, DelimiterOpt, SheetOpt, EncodingOpt, InputFormatOpt, _parse_as_of, _read_options, _split_multi, app,
    check_named, handle_errors,
)
from leadq.errors import UsageError


@app.command()
@handle_errors
def validate(
    ruleset: Annotated[str, typer.Argument(
        help="The ruleset YAML file (or the name of a built-in ruleset); '-' reads it from stdin.")],
    data: Annotated[Optional[list[str]], typer.Option(
        "--data", "-d", help="Contacts export files or globs: check the mapped columns and their values (repeatable).")] = None,
    activities: Annotated[Optional[list[str]], typer.Option(
        "--activities", "-a", help="Activity log files or globs: check that the event rules' types occur in it "
        "(repeatable).")] = None,
    accounts: Annotated[Optional[list[str]], typer.Option(
        "--accounts", help="With --data: the accounts export files or globs the data is scored with (repeatable).")
    ] = None,
    as_of: AsOfOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when there are warnings.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    sheet: SheetOpt = None,
) -> None:
    """Check a ruleset: schema, types, regexes, unreachable or overlapping tiers, caps, thresholds, columns.

    Prints one line per finding (file:line:column: severity: item: message [check]).
    With --data it also scores the data as `leadq score` does and reports rules that fire for no lead
    or every lead, disqualifiers hitting most leads and empty tiers (from 50 leads on; --json gives each
    one's count). Event rules' counts depend on --as-of. With --data and --activities it also warns when most
    of the log's events name no scored lead, with example ids of each side ('1000001.0' against '1000001'), as
    `leadq score`'s summary does.
    Exit 0 clean (warnings allowed), 1 warnings under --strict, 2 errors, 3 a --data or --activities file that
    cannot be read.

    Example:

        leadq validate rulesets/b2b_saas.yaml --data sample_data/contacts.csv --strict

        leadq validate rulesets/b2b_saas.yaml -d sample_data/contacts.csv -a 'sample_data/events/*.csv' --as-of 2026-11-01

        git show HEAD:rulesets/mine.yaml | leadq validate -
    """
    from leadq.lint import lint_ruleset

    check_named({"RULESET": ruleset})
    specs, activity_specs = _split_multi(data, "--data"), _split_multi(activities, "--activities")
    account_specs = _split_multi(accounts, "--accounts")
    if specs.count("-") + activity_specs.count("-") + account_specs.count("-") > 1:
        raise UsageError("only one input can come from stdin ('-')")
    _refuse_two_stdins(ruleset, specs, activity_specs, account_specs)
    if account_specs and not specs:
        raise UsageError("--accounts: the accounts are read to score --data; give --data too")
    as_of_dt = _parse_as_of(as_of, _ruleset_timezone(ruleset) if as_of else "UTC")
    report = lint_ruleset(ruleset, specs, _read_options(input_format, encoding, delimiter, sheet), activity_specs,
                          account_specs, as_of_dt)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        # Plain lines, one per finding, the format editors and CI annotate (no rich: startup stays fast).
        lines = [str(f) for f in report.findings]
        counts = [f"{report.count(s)} {s}{'s' if report.count(s) != 1 and s != 'info' else ''}"
                  for s in ("error", "warning", "info") if report.count(s)]
        lines.append(f"{report.path}: {', '.join(counts) if counts else 'ok, no findings'}")
        sys.stdout.write("\n".join(lines) + "\n")
    code = report.exit_code(strict)
    if code:
        raise typer.Exit(code)


def _ruleset_timezone(ruleset: str) -> str:
    """The settings.timezone of the ruleset checked, which --as-of without offset is read in; UTC for a ruleset
    that does not load (the report says why, and scores nothing)."""
    import io

    from leadq.errors import LeadqError
    from leadq.ruleset_loader import STDIN_RULESET, load_ruleset, read_stdin_ruleset

    try:
        if ruleset != "-":
            return load_ruleset(ruleset).settings.timezone
        raw = sys.stdin.buffer.read()
        sys.stdin = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")  # lint_ruleset reads the same bytes again
        return load_ruleset(STDIN_RULESET, read_stdin_ruleset(io.BytesIO(raw))).settings.timezone
    except LeadqError:
        return "UTC"


def _refuse_two_stdins(ruleset: str, specs: list[str], activity_specs: list[str], account_specs: list[str]) -> None:
    """A ruleset read from stdin ('-') leaves nothing there for a --data, --activities or --accounts '-'."""
    if ruleset != "-":
        return
    option = next((name for name, given in (("--data", specs), ("--activities", activity_specs),
                                            ("--accounts", account_specs)) if "-" in given), None)
    if option:
        raise UsageError(f"the ruleset is read from stdin ('-'), so {option} cannot be too; give {option} a file "
                         "name (or the ruleset's)")
