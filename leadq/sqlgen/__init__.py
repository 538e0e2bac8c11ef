"""SQL back end: the parsed ruleset compiled to one SQL query with sqlglot.

The parsed ruleset (:class:`leadq.ruleset.Ruleset` with condition trees from
:mod:`leadq.conditions`) is the intermediate form; :mod:`leadq.compiler`
compiles it to Polars expressions and this package compiles the same trees to
SQL for DuckDB, PostgreSQL, Spark SQL, Trino, BigQuery and Snowflake.

* :mod:`.dialects`: the spellings that differ per engine (regexes, epochs, types);
* :mod:`.conditions`: condition tree -> sqlglot expression;
* :mod:`.text`: explanation text (rounded numbers printed as Polars prints them);
* :mod:`.query`: the whole scoring query as common table expressions.
"""

from leadq.sqlgen.dialects import DIALECTS, EXECUTED_DIALECTS
from leadq.sqlgen.query import ORDER_COLUMN, SqlTables, build_query, scoring_sql

__all__ = ["DIALECTS", "EXECUTED_DIALECTS", "ORDER_COLUMN", "SqlTables", "build_query", "scoring_sql"]
