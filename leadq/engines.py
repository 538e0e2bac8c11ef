"""Run a ruleset on DuckDB or Spark: the SQL back end (:mod:`leadq.sqlgen`) executed in process.

The Polars engine (:mod:`leadq.pipeline`) stays the default. These engines read
typed inputs (Parquet files, Spark tables, or frames already read from a
database), register them as ``leadq_contacts`` / ``leadq_activities`` /
``leadq_accounts``, run the generated query and return a Polars frame with the
columns of the Polars engine's output. The ruleset's action sections (account
tier, routing, SLAs, nurture tracks) are finished in Polars on the query's
result, by the function the Polars engine uses (:func:`leadq.actions.with_actions`):
the query returns, besides the output columns, only the columns those sections
read (:func:`leadq.actions.action_inputs`). CSV messiness (number formats, US/EU
dates, yes/no booleans) is the Polars reader's job: give these engines Parquet
or database tables with proper types, or ISO text timestamps.

* **DuckDB** runs in process and spills to disk, so it also handles inputs
  larger than memory (``SET memory_limit`` / ``temp_directory`` as usual).
* **Spark** runs in local mode unless ``spark_master`` (or the standard
  ``SPARK_MASTER`` / ``spark-submit`` environment) names a cluster. The only
  shuffle of size is the per-lead event aggregation (``GROUP BY lead_id``); the
  de-duplication windows and the join to contacts are per lead as well.
"""

from __future__ import annotations

import glob
import os
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence, Union

import polars as pl
import sqlglot
from sqlglot import exp

from leadq.accounts import accounts_from_leads
from leadq.actions import action_columns, action_inputs, check_rollup, with_actions
from leadq.errors import InputError, Position, UsageError
from leadq.fields import OUTPUT_COLUMNS
from leadq.pipeline import ACCOUNT_EXAMPLES, RunStats, ScoreResult
from leadq.conditions import Type
from leadq.routing import account_keys
from leadq.ruleset import Column, Ruleset
from leadq.sqlgen.query import QueryBuilder
from leadq.sqlgen.dialects import SqlDialect
from leadq.sqlgen.tables import ORDER_COLUMN, SqlTables
from leadq.titles import top_unmatched_titles, unmatched_title, with_ruleset_titles

ENGINES = ("polars", "duckdb", "spark")
ROW_COLUMN = "_leadq_row"  # input order added when registering a source
TITLE_FIELDS = ("seniority", "department")  # derived from job_title in Polars, after the query
Source = Union[Sequence[str], pl.DataFrame, pl.LazyFrame, None]


@dataclass
class _Registered:
    name: str
    columns: frozenset[str]
    label: str


def _paths(specs: Sequence[str], what: str) -> list[str]:
    out: list[str] = []
    for spec in specs:
        matches = sorted(glob.glob(spec)) if any(ch in spec for ch in "*?[") else [spec]
        if not matches:
            raise InputError(f"{what}: no files match '{spec}'")
        for m in matches:
            if not Path(m).exists():
                raise InputError(f"{what}: file not found: {m}")
            if Path(m).suffix.lower() not in (".parquet", ".pq"):
                raise UsageError(f"{what}: the SQL engines read Parquet files or tables, not '{m}'; convert CSV "
                                 "with the polars engine (leadq score --engine polars) or export Parquet")
            out.append(m)
    return out


def _check_typed(source: Source, columns: dict[str, Column], what: str, date_order: str = "iso") -> None:
    """Refuse values the SQL engines would read as null or misread: numbers and booleans as text, dates
    as numbers, text dates in US or European order (``date_order``), and text fields held as floats.

    Polars' reader understands "2,349", "$1,200" or "Yes"; a SQL cast does not, and a
    TRY_CAST turns them into blanks without a word, which would change scores silently.
    """
    if source is None or (isinstance(source, (list, tuple)) and _is_table_name(source)):
        return
    if isinstance(source, (pl.DataFrame, pl.LazyFrame)):
        schema, label = source.collect_schema(), what
    else:
        paths = _paths(source, what)
        if not paths:
            return
        schema, label = pl.scan_parquet(paths).collect_schema(), ", ".join(paths)
    for name, col in columns.items():
        if col.type in (Type.NUMBER, Type.BOOL) and schema.get(col.column) == pl.String:
            kind = "number" if col.type is Type.NUMBER else "true/false"
            raise InputError(f"column '{col.column}' ({name}, a {kind} field) is stored as text; the SQL engines "
                             "read only typed columns. Use --engine polars (it reads \"1,200\" or \"Yes\"), or "
                             "store the column as a number/boolean", Position(label))
        if col.type is Type.TEXT and schema.get(col.column, pl.Null).is_float():
            raise InputError(f"column '{col.column}' ({name}, a text field) is stored as floats; the SQL engines "
                             "would read 1000001 as '1000001.0' (and match no event of lead 1000001). Use --engine "
                             "polars (it reads whole floats as integers), or store the column as integers or text",
                             Position(label))
        order = col.date_order or date_order  # the mapping's own, else the settings'
        if col.type is Type.DATETIME and schema.get(col.column) == pl.String and order != "iso":
            where = f"its mapping's date_order is {order}" if col.date_order else f"settings.date_order is {order}"
            raise InputError(f"column '{col.column}' ({name}, a date field) is text and {where}; the SQL engines "
                             "read text dates in ISO order only (2026-12-31). Use --engine polars, or store the "
                             "column as a timestamp", Position(label))
        if col.type is Type.DATETIME and schema.get(col.column, pl.Null).is_numeric():
            raise InputError(f"column '{col.column}' ({name}, a date field) is stored as a number (Unix time?); the "
                             "SQL engines read only timestamp columns. Use --engine polars (it reads Unix seconds "
                             "and milliseconds), or store the column as a timestamp", Position(label))


def _as_frame(source: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    frame = source.collect() if isinstance(source, pl.LazyFrame) else source
    frame = frame.drop([c for c in ("_source_file", "_source_row") if c in frame.columns])
    return frame.with_row_index(ROW_COLUMN)


def _is_table_name(specs: Sequence[str]) -> bool:
    return len(specs) == 1 and not Path(specs[0]).suffix and not Path(specs[0]).exists() \
        and not any(ch in specs[0] for ch in "*?[/")


def _sql_carry(inputs: list[str]) -> list[str]:
    """The columns the query returns for the action sections: their inputs, with ``job_title`` for the
    title fields (derived in Polars) and without ``_order`` (the result's order)."""
    wanted = ["job_title" if c in TITLE_FIELDS else c for c in inputs if c != "_order"]
    return list(dict.fromkeys(wanted))


def _utc_times(frame: pl.DataFrame) -> pl.DataFrame:
    """Timestamps as UTC-aware (the engines run in UTC; naive ones would not compare with the as-of time)."""
    return frame.with_columns(
        pl.col(c).dt.replace_time_zone("UTC") if dtype.time_zone is None else pl.col(c).dt.convert_time_zone("UTC")
        for c, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime))


def _finish_actions(leads: pl.DataFrame, ruleset: Ruleset, as_of: datetime, inputs: list[str], rollup: str | None,
                    stats: RunStats) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None]:
    """The action sections on the query's leads (in input order, with the carried columns), as in the
    polars engine; the leads with the action columns, the accounts with ``rollup="account"``, and each
    lead's account key for ``--previous`` with an ``assign: account`` route (:func:`leadq.routing.account_keys`)."""
    frame = _utc_times(leads).with_row_index("_order").lazy()
    if any(f in inputs for f in TITLE_FIELDS):
        frame = with_ruleset_titles(frame, ruleset)
        frame = frame.with_columns(unmatched_title().alias("_unmatched_title"))
    done = with_actions(frame, ruleset, as_of, carry_accounts=rollup == "account").collect()
    if "_unmatched_title" in done.columns:
        stats.unmatched_titles = int(done["_unmatched_title"].sum())
        stats.unmatched_titles_top = top_unmatched_titles(done["job_title"].filter(done["_unmatched_title"]))
    return done, accounts_from_leads(done) if rollup == "account" else None, account_keys(done, ruleset)


def _reasons_list(frame: pl.DataFrame) -> pl.DataFrame:
    text = pl.col("disqualification_reasons")
    return frame.with_columns(
        pl.when(text.is_null() | (text == "")).then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(text.str.split("; ")).alias("disqualification_reasons"))


# How the contacts' account ids met the accounts file (RunStats.accounts_file, as
# leadq.pipeline.account_accounting figures it), over the query's typed accounts and kept
# leads: the counts are summed in the engine, and only a few example ids come back, as rows
# (kind, ord, id, file_id, n). LQ_SHAPE(x) stands for :func:`_id_shape_sql`.
_ACCOUNTS_FILE_STAGES = {"lq_contacts", "lq_valid", "lq_unique_id", "lq_unique", "lq_accounts_typed"}
_ACCOUNTS_FILE_CTES = [
    ("lq_af_file", "SELECT account_id, COUNT(*) AS n, MIN(_acct_row) AS first_row FROM lq_accounts_typed "
                   "GROUP BY account_id"),
    ("lq_af_leads", f"SELECT account_id, COUNT(*) AS n, MIN({ORDER_COLUMN}) AS first_row FROM lq_unique "
                    "WHERE account_id IS NOT NULL GROUP BY account_id"),
    ("lq_af_missing", "SELECT l.account_id, l.n, l.first_row FROM lq_af_leads AS l LEFT JOIN lq_af_file AS f "
                      "ON l.account_id = f.account_id WHERE f.account_id IS NULL"),
    # The file's ids by shape, the first in file order of each (as account_accounting's unique(keep="first")).
    ("lq_af_shapes", "SELECT account_id, shape FROM (SELECT account_id, LQ_SHAPE(account_id) AS shape, "
                     "ROW_NUMBER() OVER (PARTITION BY LQ_SHAPE(account_id) ORDER BY first_row) AS rk "
                     "FROM lq_af_file WHERE account_id IS NOT NULL) AS s WHERE rk = 1"),
]
_NO_IDS = "CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR)"
_ACCOUNTS_FILE_ROWS = " UNION ALL ".join([
    "SELECT 'rows' AS kind, CAST(NULL AS BIGINT) AS ord, CAST(NULL AS VARCHAR) AS id, CAST(NULL AS VARCHAR) "
    "AS file_id, COALESCE(SUM(n), 0) AS n FROM lq_af_file",
    f"SELECT 'rows_without_id', {_NO_IDS}, COALESCE(SUM(n), 0) FROM lq_af_file WHERE account_id IS NULL",
    f"SELECT 'duplicate_ids', {_NO_IDS}, COUNT(*) FROM lq_af_file WHERE account_id IS NOT NULL AND n > 1",
    f"SELECT 'contacts_with_account_id', {_NO_IDS}, COALESCE(SUM(n), 0) FROM lq_af_leads",
    f"SELECT 'unmatched', {_NO_IDS}, COALESCE(SUM(n), 0) FROM lq_af_missing",
    "SELECT * FROM (SELECT 'duplicate_example', first_row, account_id, CAST(NULL AS VARCHAR), n FROM lq_af_file "
    f"WHERE account_id IS NOT NULL AND n > 1 ORDER BY first_row LIMIT {ACCOUNT_EXAMPLES}) AS d",
    "SELECT * FROM (SELECT 'unmatched_example', first_row, account_id, CAST(NULL AS VARCHAR), n FROM lq_af_missing "
    f"ORDER BY first_row LIMIT {ACCOUNT_EXAMPLES}) AS u",
    "SELECT * FROM (SELECT 'likely_same', m.first_row, m.account_id, s.account_id, m.n FROM lq_af_missing AS m "
    f"JOIN lq_af_shapes AS s ON LQ_SHAPE(m.account_id) = s.shape ORDER BY m.first_row LIMIT {ACCOUNT_EXAMPLES}) AS p",
])


def _id_shape_sql(d: SqlDialect, value: exp.Expression) -> exp.Expression:
    """:func:`leadq.activity._id_shape` in SQL: lower case, no zero fraction, no leading zeros (the ids are
    trimmed already, as the typed columns are)."""
    low = exp.Lower(this=value)
    whole = exp.Coalesce(this=d.regex_group(low.copy(), r"^(\d+)\.0+$"), expressions=[low.copy()])
    zeros = d.regex_group(whole.copy(), r"^(0+)\d")  # all but the last of the leading zeros before a digit
    rest = exp.Substring(this=whole.copy(), start=exp.Add(this=exp.Length(this=zeros), expression=exp.Literal.number(1)))
    return exp.Coalesce(this=rest, expressions=[whole.copy()])


def _accounts_file_query(builder: QueryBuilder, dialect: str, with_stages: bool) -> exp.Select:
    """The query of :data:`_ACCOUNTS_FILE_ROWS`; ``with_stages``: with the scoring query's CTEs it reads
    (DuckDB; Spark has them as views already)."""
    d = SqlDialect(dialect)

    def shape(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and node.name.upper() == "LQ_SHAPE":
            return _id_shape_sql(d, node.expressions[0].copy())
        return node

    query = exp.select("*").from_(exp.Subquery(this=sqlglot.parse_one(_ACCOUNTS_FILE_ROWS, read="duckdb"),
                                               alias=exp.TableAlias(this=exp.to_identifier("lq_af"))))
    if with_stages:
        query = builder._with_ctes(query, _ACCOUNTS_FILE_STAGES)
    for name, sql in _ACCOUNTS_FILE_CTES:
        query = query.with_(name, as_=sqlglot.parse_one(sql, read="duckdb"), copy=False)
    return query.transform(shape)  # type: ignore[return-value]


def _accounts_file(rows: pl.DataFrame) -> dict:
    """``RunStats.accounts_file`` from the rows of :func:`_accounts_file_query` (a dozen at most)."""
    def ids(kind: str, column: str = "id") -> list[str]:
        return rows.filter(pl.col("kind") == kind).sort("ord")[column].to_list()

    n = dict(rows.filter(pl.col("ord").is_null()).select("kind", pl.col("n").cast(pl.Int64)).iter_rows())
    with_id, unmatched = int(n["contacts_with_account_id"]), int(n["unmatched"])
    return {"rows": int(n["rows"]), "rows_without_id": int(n["rows_without_id"]),
            "duplicate_ids": int(n["duplicate_ids"]), "duplicate_examples": ids("duplicate_example"),
            "contacts_with_account_id": with_id, "matched": with_id - unmatched, "unmatched": unmatched,
            "unmatched_examples": ids("unmatched_example"),
            "likely_same": [list(p) for p in zip(ids("likely_same"), ids("likely_same", "file_id"))]}


class _Engine:
    """Registers sources and runs queries; DuckDB and Spark implement it."""

    label = ""

    def register(self, name: str, source: Source, what: str) -> _Registered | None:
        raise NotImplementedError

    def query(self, sql: str) -> pl.DataFrame:
        raise NotImplementedError

    def close(self) -> None:
        """Release the engine's resources."""


class DuckDBEngine(_Engine):
    """DuckDB in process; UTC session time zone so timestamps read as UTC wall time."""

    dialect = "duckdb"

    def __init__(self) -> None:
        try:
            import duckdb
        except ImportError:  # pragma: no cover - depends on the installation
            raise UsageError("--engine duckdb needs the duckdb package: pip install 'leadq[duckdb]'") from None
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        # The result comes back through Arrow into Polars, beside DuckDB's own buffers (80% of
        # RAM by default): a third of RAM for DuckDB, which spills the rest to disk. Rows need
        # not keep their order inside DuckDB: the result is sorted by input row afterwards.
        self.con.execute(f"SET memory_limit = '{max(1, _physical_memory_gb() // 3)}GB'")
        self.con.execute("SET preserve_insertion_order = false")
        self._frames: list[pl.DataFrame] = []

    def register(self, name: str, source: Source, what: str) -> _Registered | None:
        if source is None or (not isinstance(source, (pl.DataFrame, pl.LazyFrame)) and not source):
            return None
        if isinstance(source, (pl.DataFrame, pl.LazyFrame)):
            frame = _as_frame(source)
            self._frames.append(frame)
            self.con.register(f"{name}_frame", frame.to_arrow())
            self.con.execute(f'CREATE OR REPLACE VIEW {name} AS SELECT * FROM "{name}_frame"')
            return _Registered(name, frozenset(frame.columns), what)
        files = _paths(source, what)
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        self.con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * EXCLUDE (_leadq_file, _leadq_file_row), "
            f"ROW_NUMBER() OVER (ORDER BY _leadq_file, _leadq_file_row) - 1 AS {ROW_COLUMN} FROM "
            f"(SELECT *, filename AS _leadq_file, file_row_number AS _leadq_file_row "
            f"FROM read_parquet([{listing}], filename = true, file_row_number = true, union_by_name = true))")
        columns = [r[0] for r in self.con.execute(f"DESCRIBE {name}").fetchall()]
        return _Registered(name, frozenset(columns), ", ".join(source))

    def query(self, sql: str) -> pl.DataFrame:
        return pl.from_arrow(self.con.sql(sql).to_arrow_table())  # type: ignore[return-value]

    def close(self) -> None:
        self.con.close()


_SPARK = None


def spark_session(master: str | None = None):
    """A Spark session: ``master``, else ``SPARK_MASTER``, else local mode on every core.

    The session time zone is UTC so that timestamps mean the same as in Polars.
    """
    global _SPARK
    # PySpark warns about the pandas version on every run; leadq does not use pandas with it.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - depends on the installation
        raise UsageError("--engine spark needs pyspark and a Java runtime: pip install 'leadq[spark]'") from None
    if _SPARK is not None and master is None and _SPARK.sparkContext._jsc is not None:  # None: stopped
        return _SPARK
    # No progress bars on stderr: leadq's own summary (or --quiet) says what happened.
    builder = SparkSession.builder.appName("leadq").config("spark.sql.session.timeZone", "UTC") \
        .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false") \
        .config("spark.sql.shuffle.partitions", "8")
    chosen = master or os.environ.get("SPARK_MASTER")
    if chosen or "SPARK_REMOTE" not in os.environ:
        builder = builder.master(chosen or "local[*]")
    if not chosen and "SPARK_REMOTE" not in os.environ and "PYSPARK_SUBMIT_ARGS" not in os.environ:
        # Local mode runs everything in the driver, whose default 1 GB heap fails at a million leads,
        # and the scored leads come back to it (1.2 GB of results at 9M leads, over the 1 GB default).
        half = f"{max(1, _physical_memory_gb() // 2)}g"
        builder = builder.config("spark.driver.memory", half).config("spark.driver.maxResultSize", half)
    try:
        with _jvm_output_to_log():
            _SPARK = builder.getOrCreate()
    except Exception as exc:  # the JVM's own words are on stderr by now
        raise UsageError(f"--engine spark: Spark did not start ({str(exc).strip()}); it needs a Java runtime "
                         "(Java 17 or later, on the PATH or in JAVA_HOME); the Java output is above") from None
    _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK


@contextmanager
def _jvm_output_to_log():
    """Send the output of the JVM that Spark starts now to a log file, not to leadq's stdout and stderr.

    The JVM inherits the file descriptors open while it starts, and prints warnings before any log
    level applies ("Using incubator modules", the native-hadoop library, the loopback address):
    noise in a cron job's mail under --quiet, and on stdout it would corrupt ``--out -``. Should
    the start fail, the log is copied to stderr, so the reason (no Java, say) is not lost.
    ``LEADQ_DEBUG=1`` leaves the JVM's output where it was.
    """
    if os.environ.get("LEADQ_DEBUG"):
        yield
        return
    import atexit
    import sys

    log = tempfile.NamedTemporaryFile(prefix="leadq-spark-", suffix=".log", delete=False)
    atexit.register(lambda: os.path.exists(log.name) and os.remove(log.name))
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        yield
    except BaseException:
        os.dup2(saved[1], 2)
        with open(log.name, "rb") as written:
            sys.stderr.write(written.read().decode("utf-8", "replace"))
        raise
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
        log.close()


class SparkEngine(_Engine):
    """PySpark; local mode by default."""

    dialect = "spark"

    def register(self, name: str, source: Source, what: str) -> _Registered | None:
        from pyspark.sql import functions as F

        if source is None or (not isinstance(source, (pl.DataFrame, pl.LazyFrame)) and not source):
            return None
        if isinstance(source, (pl.DataFrame, pl.LazyFrame)):
            path = os.path.join(self._tmp.name, f"{name}.parquet")
            _as_frame(source).write_parquet(path)
            df = self.spark.read.parquet(path)
        elif _is_table_name(source):
            df = self.spark.table(source[0]).withColumn(ROW_COLUMN, F.monotonically_increasing_id())
        else:
            files = _paths(source, what)
            df = self.spark.read.parquet(*files)
            df = df.withColumn("_leadq_file", F.input_file_name()) \
                .withColumn(ROW_COLUMN, F.monotonically_increasing_id())
            df = df.drop("_leadq_file")
        df.createOrReplaceTempView(name)
        return _Registered(name, frozenset(df.columns), what)

    # Stages after which the plan is cut (localCheckpoint): Spark's optimizer otherwise inlines
    # every stage's expressions into the next and spends minutes on the plan of one long query.
    CHECKPOINTS = {"lq_unique", "lq_leads", "lq_activity", "lq_points", "lq_totals", "lq_verdicts"}

    def __init__(self, master: str | None = None) -> None:  # noqa: D107
        self.spark = spark_session(master)
        self._tmp = tempfile.TemporaryDirectory(prefix="leadq-spark-")
        self._views: list[str] = []

    def run_stages(self, ctes: list[tuple[str, object]]) -> None:
        """Register the query's CTEs one by one as temporary views, checkpointing the big stages."""
        for name, select in ctes:
            df = self.spark.sql(select.sql(dialect="spark"))  # type: ignore[attr-defined]
            if name in self.CHECKPOINTS:
                df = df.localCheckpoint(eager=True)
            df.createOrReplaceTempView(name)
            self._views.append(name)

    def query(self, sql: str) -> pl.DataFrame:
        return pl.from_arrow(self.spark.sql(sql).toArrow())  # type: ignore[return-value]

    def close(self) -> None:
        for name in ["leadq_contacts", "leadq_activities", "leadq_accounts", *self._views]:
            self.spark.catalog.dropTempView(name)
        self._tmp.cleanup()


def _physical_memory_gb() -> int:
    """The machine's memory in whole GiB."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**30


def open_engine(engine: str, spark_master: str | None = None) -> _Engine:
    """A DuckDB or Spark engine (``polars`` is :mod:`leadq.pipeline`)."""
    if engine == "duckdb":
        return DuckDBEngine()
    if engine == "spark":
        return SparkEngine(spark_master)
    raise UsageError(f"--engine: unknown engine '{engine}'; expected one of: {', '.join(ENGINES)}")


def score_with_engine(
    engine: str,
    ruleset: Ruleset,
    contacts: Source,
    activities: Source = None,
    accounts: Source = None,
    *,
    as_of: datetime | None = None,
    spark_master: str | None = None,
    rollup: str | None = None,
) -> ScoreResult:
    """Score with DuckDB or Spark; the result has the Polars engine's output columns, action columns included.

    Args:
        engine: ``duckdb`` or ``spark``.
        ruleset: a loaded ruleset.
        contacts / activities / accounts: Parquet paths or globs, a Spark table name (spark), or a
            Polars frame (e.g. read from a database).
        as_of: "now" for decay and windows (default: the current UTC time).
        spark_master: Spark master URL for ``spark`` (default: local mode).
        rollup: ``"account"`` also returns one row per account (``ScoreResult.accounts``), as
            :func:`leadq.pipeline.score_frames` does.

    Raises:
        UsageError: an unknown engine or rollup, or a ruleset feature the SQL engines do not have.
        InputError, MissingColumnsError: inputs that do not fit the ruleset.
    """
    as_of = (as_of or datetime.now(timezone.utc)).astimezone(timezone.utc)
    check_rollup(ruleset, rollup)
    inputs = action_inputs(ruleset, as_of)
    order = ruleset.settings.date_order
    _check_typed(contacts, ruleset.columns, "contacts", order)
    if ruleset.event_rules:
        _check_typed(activities, ruleset.activity_columns, "activities", order)
    if ruleset.account_columns:
        _check_typed(accounts, ruleset.account_columns, "accounts", order)
    eng = open_engine(engine, spark_master)
    try:
        c = eng.register("leadq_contacts", contacts, "contacts")
        if c is None:
            raise UsageError("no contacts given")
        a = eng.register("leadq_activities", activities, "activities") if ruleset.event_rules else None
        acc = eng.register("leadq_accounts", accounts, "accounts") if ruleset.account_columns else None
        tables = SqlTables(contacts=c.name, activities=a.name if a else None, accounts=acc.name if acc else None,
                           order_column=ROW_COLUMN, contacts_columns=c.columns,
                           activities_columns=a.columns if a else None, accounts_columns=acc.columns if acc else None)
        builder = QueryBuilder(ruleset, as_of, eng.dialect, tables, carry=_sql_carry(inputs))  # type: ignore[attr-defined]
        queries = [builder.build(), builder.counts_query(), builder.rejects_query()]
        spark = isinstance(eng, SparkEngine)
        # With the accounts joined (the contacts map an account id), the join accounted for, as the polars engine does.
        joined = any(name == "lq_accounts_typed" for name, _ in builder.ctes)
        try:
            if spark:
                eng.run_stages(builder.ctes)
                for q in queries:
                    q.set("with_", None)
            if joined:
                queries.append(_accounts_file_query(builder, eng.dialect, with_stages=not spark))  # type: ignore[attr-defined]
            scored, counts_df, rejects, *accounts_rows = (eng.query(q.sql(dialect=eng.dialect)) for q in queries)  # type: ignore[attr-defined]
            counts = counts_df.row(0, named=True)
        except Exception as exc:  # engine errors carry no leadq type; report them as input errors
            if type(exc).__name__ in ("KeyboardInterrupt",):
                raise
            raise InputError(f"{engine} could not run the scoring query: {str(exc).splitlines()[0]}") from exc
    finally:
        eng.close()
    scored = _reasons_list(scored.sort(ORDER_COLUMN).drop(ORDER_COLUMN))
    scored = scored.with_columns(pl.col("lead_id").cast(pl.String), pl.col("disqualified").cast(pl.Boolean))
    stats = RunStats(as_of=as_of)
    if acc is None:  # the query read these fields as blanks, as the polars engine does (its words)
        stats.missing_columns += [f"{col.column} (an accounts column: no --accounts given)"
                                  for f, col in ruleset.account_columns.items() if f not in ruleset.columns]
    if accounts_rows:
        stats.accounts_file = _accounts_file(accounts_rows[0])
    accounts_df = keys = None
    if ruleset.actions is not None:
        scored, accounts_df, keys = _finish_actions(scored, ruleset, as_of, inputs, rollup, stats)
    scored = scored.select(*OUTPUT_COLUMNS, *action_columns(ruleset))
    stats.files = [{"file": c.label, "rows": int(counts["rows"]), "scored": scored.height,
                    "rejected": int(counts["rows"]) - scored.height}]
    reasons = {"missing lead id": int(counts["missing_id"]), "duplicate lead id": int(counts["duplicate_id"]),
               "duplicate e-mail": int(counts["duplicate_email"])}
    reasons.update({f"unreadable date in '{ruleset.columns[f].column}'": int(counts[f"unreadable__{f}"])
                    for f in builder.checked_dates})
    stats.rejected_by_reason = {k: v for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]) if v}
    stats.duplicates = reasons["duplicate lead id"] + reasons["duplicate e-mail"]
    if a is not None:
        stats.events_read = int(counts["events_read"])
        stats.events_unreadable = int(counts["events_unreadable"])
        stats.events_scored = int(counts["events_in_window"])
        stats.events_unknown_lead = int(counts["events_unknown"])
        stats.events_by_rule = {r.id: int(counts[f"by_rule__{r.id}"]) for r in ruleset.event_rules}
    rejects = rejects.with_columns(pl.lit(c.label).alias("source_file")).select(
        "source_file", pl.col("source_row").cast(pl.Int64), "reason").sort("source_row")
    return ScoreResult(scored=scored, rejects=rejects, stats=stats, ruleset=ruleset, accounts=accounts_df,
                       account_keys=keys)
