"""The SQL path (``leadq sql``, ``--engine duckdb|spark``) where it fell short of ``leadq score``.

* ``assign: account`` with ``--previous``: the hand-computed cases of tests/test_routing_account_previous.py,
  scored with ``--engine duckdb`` (their ``score`` fixture, redefined here, reads the contacts as Parquet).
* A field only the accounts file maps, and no accounts file: blank, as on the Polars engine, and the summary
  says so; an accounts file without a contacts' ``account_id`` to join it on: the Polars engine's ruleset error.
* ``leadq sql`` on a table whose number column is text ("3,976"): read as leadq reads it, and text that is
  no number in ``number_format`` stops the query instead of scoring as a blank.
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.conftest import RULESETS, SAMPLE, SAMPLE_AS_OF, run_cli
from tests.test_routing_account_previous import (  # noqa: F401 - collected here with the score fixture below
    RULESET,
    _write,
    test_a_capacity_counts_new_accounts_and_not_an_accounts_new_contacts,
    test_a_contact_moving_to_the_account_route_follows_its_account,
    test_a_new_contact_follows_its_accounts_owner_and_a_new_account_takes_a_turn,
    test_an_account_kept_by_several_owners_gives_its_new_contacts_the_most_common,
)

duckdb = pytest.importorskip("duckdb")


# ------------------------------------------------------------------ assign: account with --previous


@pytest.fixture(params=["duckdb"])
def score(request):
    """The imported routing cases' ``score``: through the CLI with ``--engine`` (Parquet contacts)."""
    def run(tmp_path, contacts, previous, text=RULESET):
        contacts_csv, previous_csv, rules = _write(tmp_path, contacts, previous, text)
        parquet = tmp_path / "contacts.parquet"
        pl.read_csv(contacts_csv, schema_overrides={"employees": pl.Int64}).write_parquet(parquet)
        out = tmp_path / "scored.csv"
        run_cli(["score", parquet, "-r", rules, "--as-of", "2026-11-01", "-q", "--out", out,
                 "--previous", previous_csv, "--engine", request.param])
        scored = pl.read_csv(out, infer_schema=False)
        return {r["lead_id"]: (r["route"], r["owner"], r["change"]) for r in scored.to_dicts()}
    return run


# ------------------------------------------------------------------ accounts fields without an accounts file

ACCOUNT_ONLY = """\
version: 1
name: account only
columns:
  lead_id: id
  email: email
  account_id: account
account_columns:
  account_id: account
  company_size: employees
settings:
  half_life_days: none
fit:
  - id: big
    when: company_size >= 100
    points: 20
  - id: any
    when: email != ""
    points: 1
tiers:
  - name: hot
    when: fit >= 20
  - name: other
    otherwise: true
"""
NO_ACCOUNT_ID = ACCOUNT_ONLY.replace("  email: email\n  account_id: account\n", "  email: email\n", 1)
JOIN_MESSAGE = ("account_columns: the accounts file is joined on the contacts' account id: map 'account_id' "
                "under 'columns' too (the CRM column that holds each contact's account id)")


def _account_files(tmp_path, text):
    rules = tmp_path / "rules.yaml"
    rules.write_text(text)
    contacts, accounts = tmp_path / "contacts.parquet", tmp_path / "accounts.parquet"
    pl.DataFrame({"id": ["1", "2"], "email": ["a@x.com", "b@y.com"], "account": ["A", "B"]}).write_parquet(contacts)
    pl.DataFrame({"account": ["A", "B"], "employees": [500, 50]}).write_parquet(accounts)
    return rules, contacts, accounts


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_an_accounts_field_without_an_accounts_file_is_blank(tmp_path, engine):
    """company_size comes from the accounts file only: without it, 'big' fires for no one; 'any' gives 1 each.
    With the file, account A (500 employees) gives lead 1 its 20 points."""
    rules, contacts, accounts = _account_files(tmp_path, ACCOUNT_ONLY)
    out, summary = tmp_path / "scored.csv", tmp_path / "summary.json"
    run_cli(["score", contacts, "-r", rules, "--as-of", "2026-11-01", "-q", "--out", out, "--engine", engine,
             "--summary-json", summary])
    scored = pl.read_csv(out)
    assert scored.select("lead_id", "fit_score", "tier").rows() == [(1, 1.0, "other"), (2, 1.0, "other")]
    assert json.loads(summary.read_text())["missing_columns"] == ["employees (an accounts column: no --accounts given)"]
    run_cli(["score", contacts, "--accounts", accounts, "-r", rules, "--as-of", "2026-11-01", "-q", "--out", out,
             "--engine", engine])
    assert pl.read_csv(out).select("lead_id", "fit_score", "tier").rows() == [(1, 21.0, "hot"), (2, 1.0, "other")]


def test_leadq_sql_reads_an_accounts_field_as_a_typed_blank_without_an_accounts_table(tmp_path):
    from leadq.ruleset_loader import load_ruleset
    from leadq.sqlgen import SqlTables, scoring_sql
    from tests.conftest import AS_OF

    rules, _, _ = _account_files(tmp_path, ACCOUNT_ONLY)
    ruleset = load_ruleset(str(rules))
    for dialect, blank in [("duckdb", 'CAST(NULL AS DOUBLE) AS "company_size"'),
                           ("postgres", 'CAST(NULL AS DOUBLE PRECISION) AS "company_size"'),
                           ("spark", "CAST(NULL AS DOUBLE) AS `company_size`")]:
        assert blank in scoring_sql(ruleset, AS_OF, dialect, SqlTables(contacts="c", activities=None), pretty=False)


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_an_accounts_file_without_the_contacts_account_id_is_refused(tmp_path, engine):
    rules, contacts, accounts = _account_files(tmp_path, NO_ACCOUNT_ID)
    result = run_cli(["score", contacts, "--accounts", accounts, "-r", rules, "--as-of", "2026-11-01", "-q",
                      "--out", tmp_path / "scored.csv", "--engine", engine], exit_code=2)
    assert result.stderr.strip() == f"leadq: error: {rules}:7:15: {JOIN_MESSAGE}"


def test_leadq_sql_refuses_an_accounts_table_without_the_contacts_account_id(tmp_path):
    rules, _, _ = _account_files(tmp_path, NO_ACCOUNT_ID)
    result = run_cli(["sql", "-r", rules, "--accounts-table", "accounts", "--as-of", "2026-11-01"], exit_code=2)
    assert result.stderr.strip() == f"leadq: error: {rules}:7:15: {JOIN_MESSAGE}"
    run_cli(["sql", "-r", rules, "--as-of", "2026-11-01"])  # no accounts table: nothing to join


# ------------------------------------------------------------------ numbers held as text

SIZE_RULES = """\
version: 1
name: sizes
columns:
  lead_id: id
  company_size: employees
settings:
  half_life_days: none
  number_format: "{fmt}"
fit:
  - id: mid
    when: company_size >= 200 and company_size < 5000
    points: 15
  - id: exact
    when: company_size == 1200.5
    points: 1
tiers:
  - name: all
    otherwise: true
"""


def _sql_scores(tmp_path, rows, number_format="1,234.5", column_type="VARCHAR", dialect="duckdb"):
    rules = tmp_path / "sizes.yaml"
    rules.write_text(SIZE_RULES.replace("{fmt}", number_format))
    sql = run_cli(["sql", "-r", rules, "--as-of", "2026-11-01", "--activities-table", "", "-d", dialect,
                   "--order-column", "n"]).stdout
    con = duckdb.connect()
    con.execute(f"CREATE TABLE contacts (id VARCHAR, employees {column_type}, n INTEGER)")
    con.executemany("INSERT INTO contacts VALUES (?, ?, ?)", [(str(i), v, i) for i, v in enumerate(rows)])
    return con, sql


@pytest.mark.parametrize("number_format, rows, expected", [
    # 3976, 1200.5 (+15 +1), 1200.5 with a currency mark, blank, N/A, 150, a plain 5000
    ("1,234.5", ["3,976", "1,200.5", "$1,200.50", "", "N/A", "150", " 5000 "],
     [15.0, 16.0, 16.0, 0.0, 0.0, 0.0, 0.0]),
    ("1.234,5", ["3.976", "1.200,5", "1200,5", "2'500", "4.999,99"], [15.0, 16.0, 16.0, 15.0, 15.0]),
    ("1 234,5", ["3 976", "1 200,5", "1\u00a0200,5", "3976"], [15.0, 16.0, 16.0, 15.0]),
])
def test_leadq_sql_reads_text_numbers_as_leadq_does(tmp_path, number_format, rows, expected):
    con, sql = _sql_scores(tmp_path, rows, number_format)
    got = con.sql(sql).pl()
    assert got["fit_score"].to_list() == expected


def test_leadq_sql_stops_on_text_that_is_no_number(tmp_path):
    """'51-200' is a range leadq score reads (as 51); the query does not read ranges: an error, not a blank.
    '1,5' is no number in "1,234.5" (digits grouped by two): leadq score reads it as a blank, the query stops."""
    for bad in ("51-200", "1,5"):
        con, sql = _sql_scores(tmp_path, ["3,976", bad])
        with pytest.raises(duckdb.ConversionException, match=f"Could not convert string '{bad}' to DOUBLE"):
            con.sql(sql).fetchall()


def test_leadq_sql_reads_a_number_column_as_it_is(tmp_path):
    """A DOUBLE column is not read through its text: with "1.234,5", 3.976 stays 3.976 (no 15), 1200.5 is 16."""
    con, sql = _sql_scores(tmp_path, [3.976, 1200.5, None, 250.0], "1.234,5", column_type="DOUBLE")
    assert con.sql(sql).pl()["fit_score"].to_list() == [0.0, 16.0, 0.0, 15.0]


def test_leadq_sql_scores_the_sample_read_by_read_csv_like_leadq_score(tmp_path, monkeypatch):
    """DuckDB's read_csv reads 'Number of Employees' as VARCHAR ("3,976"); the query scores as leadq score."""
    monkeypatch.chdir(tmp_path)
    rules = RULESETS / "b2b_saas.yaml"
    sql = run_cli(["sql", "-r", rules, "--as-of", SAMPLE_AS_OF, "--activities-table", "",
                   "--order-column", "row_no"]).stdout
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TABLE contacts AS SELECT *, ROW_NUMBER() OVER () AS row_no "
                f"FROM read_csv('{SAMPLE / 'contacts.csv'}')")
    assert con.execute("SELECT column_type FROM (DESCRIBE contacts) WHERE column_name = 'Number of Employees'"
                       ).fetchall() == [("VARCHAR",)]
    got = con.sql(sql).pl().with_columns(pl.col("lead_id").cast(pl.String))
    run_cli(["score", SAMPLE / "contacts.csv", "-r", rules, "--as-of", SAMPLE_AS_OF, "-q", "--out", "scored.csv"])
    want = pl.read_csv("scored.csv", schema_overrides={"lead_id": pl.String})
    joined = want.join(got, on="lead_id", suffix="_sql")
    assert joined.height == want.height == got.height == 2941
    assert joined.filter((pl.col("total_score") - pl.col("total_score_sql")).abs() > 1e-6).height == 0
    assert (joined["explanation"] == joined["explanation_sql"]).all()


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark", "trino", "bigquery", "snowflake"])
def test_every_dialect_reads_text_numbers_and_parses_back(tmp_path, dialect):
    import sqlglot

    rules = tmp_path / "sizes.yaml"
    rules.write_text(SIZE_RULES.replace("{fmt}", "1.234,5"))
    text = run_cli(["sql", "-r", rules, "--as-of", "2026-11-01", "-d", dialect]).stdout
    sqlglot.parse_one(text, read=dialect)
    typed = {"duckdb": "TYPEOF(", "postgres": "PG_TYPEOF(", "spark": "TYPEOF(", "trino": "TYPEOF("}
    if dialect in typed:
        assert typed[dialect] in text
    assert "REPLACE(" in text


@pytest.fixture(scope="module")
def pg():
    """tests/test_db.py's PostgreSQL server (LEADQ_TEST_PG_URI, or one started here; skipped without one)."""
    pytest.importorskip("adbc_driver_postgresql")
    from tests import test_db

    yield from test_db.pg_uri.__wrapped__()


def test_postgres_reads_text_numbers_as_leadq_does(tmp_path, pg):
    """The same reading on PostgreSQL: a TEXT column parsed ("3.976" is 3976 in "1.234,5"), a DOUBLE PRECISION
    column as it is (3.976), and text that is no number an error."""
    import adbc_driver_postgresql.dbapi as pgdb

    rules = tmp_path / "sizes.yaml"
    rules.write_text(SIZE_RULES.replace("{fmt}", "1.234,5"))
    sql = run_cli(["sql", "-r", rules, "--as-of", "2026-11-01", "--activities-table", "", "-d", "postgres",
                   "--contacts-table", "gap_contacts", "--order-column", "n"]).stdout.strip().rstrip(";")
    with pgdb.connect(pg) as conn, conn.cursor() as cur:
        for column_type, values, expected in [
                ("TEXT", ["3.976", "1.200,5", "", "N/A"], [15.0, 16.0, 0.0, 0.0]),
                ("DOUBLE PRECISION", [3.976, 1200.5, None, 250.0], [0.0, 16.0, 0.0, 15.0])]:
            cur.execute("DROP TABLE IF EXISTS gap_contacts")
            cur.execute(f"CREATE TABLE gap_contacts (id TEXT, employees {column_type}, n INTEGER)")
            for i, v in enumerate(values):
                cur.execute("INSERT INTO gap_contacts VALUES ($1, $2, $3)", (str(i), v, i))
            cur.execute(sql)
            assert pl.from_arrow(cur.fetch_arrow_table())["fit_score"].to_list() == expected
        cur.execute("DROP TABLE gap_contacts")
        cur.execute("CREATE TABLE gap_contacts (id TEXT, employees TEXT, n INTEGER)")
        cur.execute("INSERT INTO gap_contacts VALUES ('1', '51-200', 1)")
        conn.commit()
        with pytest.raises(Exception, match='invalid input syntax for type double precision: "51-200"'):
            cur.execute(sql)
            cur.fetch_arrow_table()
