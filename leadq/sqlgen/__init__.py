"""SQL back end: the parsed ruleset compiled to one SQL query with sqlglot.

The parsed ruleset (:class:`leadq.ruleset.Ruleset` with condition trees from
:mod:`leadq.conditions`) is the intermediate form; :mod:`leadq.compiler`
compiles it to Polars expressions and this package compiles the same trees to
SQL for DuckDB, PostgreSQL, Spark SQL, Trino, BigQuery and Snowflake.

* :mod:`.dialects`: the spellings that differ per engine (regexes, epochs, types);
* :mod:`.conditions`: condition tree -> sqlglot expression;
* :mod:`.text`: explanation text (rounded numbers printed as Polars prints them);
* :mod:`.tables`: the tables the query reads, and their mapped columns read typed;
* :mod:`.contacts`: the contact stages (typed contacts, de-duplication, accounts);
* :mod:`.events`: the event stages (activity aggregated per lead, workspaces);
* :mod:`.counts`: the run's counts and rejects queries;
* :mod:`.query`: the whole scoring query as common table expressions (the scoring stages).
"""

from leadq.sqlgen.dialects import DIALECTS, EXECUTED_DIALECTS
from leadq.sqlgen.query import build_query, scoring_sql
from leadq.sqlgen.tables import ORDER_COLUMN, SqlTables

__all__ = ["DIALECTS", "EXECUTED_DIALECTS", "ORDER_COLUMN", "SqlTables", "build_query", "scoring_sql"]
