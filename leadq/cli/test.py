"""`leadq test`: the ruleset against the example leads the team agreed on."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from leadq.cli import AsOfOpt, QuietOpt, _parse_as_of, app, check_named, handle_errors, write_report_json


@app.command("test")
@handle_errors
def test_cases(
    ruleset: Annotated[str, typer.Argument(help="The ruleset YAML file (or the name of a built-in ruleset).")],
    cases: Annotated[str, typer.Argument(help="The cases YAML file: example leads and what they should get.")],
    as_of: AsOfOpt = None,
    json_out: Annotated[Optional[str], typer.Option(
        "--json", help="Also write the results as JSON to this file ('-' for stdout; the report then goes to "
        "stderr).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Check a ruleset against example leads: each case's lead and events, and the tier, grade, scores,
    reasons or explanation it should get.

    Exit 0 when every case passes, 1 when one fails, 2 for an error in the ruleset or the cases file, 3 when
    the cases file cannot be read.

    Example:

        leadq test rulesets/b2b_saas.yaml rulesets/cases/b2b_saas.yaml
    """
    from leadq.cases import load_cases, run_cases
    from leadq.ruleset_loader import load_ruleset

    check_named({"RULESET": ruleset, "CASES": cases, "--json": json_out})
    rs = load_ruleset(ruleset)
    loaded, when = load_cases(cases, rs, _parse_as_of(as_of, rs.settings.timezone) if as_of else None)
    report = run_cases(rs, loaded, when, cases)
    if json_out:
        write_report_json(report.to_dict(), json_out)
    if not quiet:
        from leadq.cases_report import cases_report
        from leadq.report import make_console

        make_console(sys.stderr if json_out == "-" else sys.stdout).print(cases_report(report))
    if report.failed:
        raise typer.Exit(1)
