"""`leadq sql`: print the scoring query for a warehouse."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from leadq.cli import AsOfOpt, RulesetOpt, _parse_as_of, app, check_named, handle_errors
from leadq.errors import UsageError


@app.command()
@handle_errors
def sql(
    dialect: Annotated[str, typer.Option(
        "--dialect", "-d", help="spark, snowflake, bigquery, trino, duckdb or postgres.")] = "duckdb",
    ruleset: RulesetOpt = None,
    contacts_table: Annotated[str, typer.Option("--contacts-table", help="Contacts table.")] = "contacts",
    activities_table: Annotated[Optional[str], typer.Option(
        "--activities-table", help="Activity-log table (default: activities).")] = "activities",
    accounts_table: Annotated[Optional[str], typer.Option(
        "--accounts-table", help="Accounts table (default: none; account fields are not joined).")] = None,
    order_column: Annotated[Optional[str], typer.Option(
        "--order-column", help="A contacts column giving input order, to break de-duplication ties.")] = None,
    as_of: AsOfOpt = None,
) -> None:
    """Print the scoring query as SQL, to schedule in the warehouse you already run.

    The query reads typed tables (numbers, booleans, timestamps with a time zone or else in UTC; ISO
    text dates are cast, with their UTC offsets) and returns the scoring columns of `leadq score`,
    with disqualification_reasons '; '-joined.
    It has no routing, SLA, nurture or account-tier columns: `leadq score` (on any engine)
    adds those in Polars after scoring. Without --as-of the query is fixed at the current time: re-generate it per run, or pass the
    run date from your scheduler.

    Example:

        leadq sql --dialect snowflake --contacts-table crm.contacts --activities-table crm.events --as-of 2026-11-01
    """
    from leadq.ruleset_loader import load_ruleset
    from leadq.sqlgen import DIALECTS, SqlTables, scoring_sql

    if dialect not in DIALECTS:
        raise UsageError(f"--dialect: unknown dialect '{dialect}'; expected one of: {', '.join(sorted(DIALECTS))}")
    check_named({"--ruleset": ruleset})
    rs = load_ruleset(ruleset)
    tables = SqlTables(contacts=contacts_table, activities=activities_table or None, accounts=accounts_table,
                       order_column=order_column)
    text = scoring_sql(rs, _parse_as_of(as_of, rs.settings.timezone), dialect, tables)
    sys.stdout.write(text.rstrip() + ";\n")
