"""The SQL back end: every dialect parses back, the pitfalls are handled, and the text runs.

DuckDB and Spark execute the generated query in tests/test_engines.py; here PostgreSQL runs
it on a real server (the worked example's hand-computed points, and the sample data against
the Polars engine).
"""

from __future__ import annotations

import re
from datetime import timedelta

import polars as pl
import pytest

from leadq.compiler import fmt_number
from leadq.ruleset_loader import load_ruleset

from conftest import AS_OF, ENGINE_SCORE_TOLERANCE, RULESETS, run_cli

sqlglot = pytest.importorskip("sqlglot")
duckdb = pytest.importorskip("duckdb")

from leadq.sqlgen import DIALECTS, SqlTables, scoring_sql  # noqa: E402
from leadq.sqlgen.dialects import SqlDialect, regex_sql_problem  # noqa: E402
from leadq.sqlgen.text import fmt_tenths, tenths  # noqa: E402

EXAMPLES = sorted(p.name for p in RULESETS.glob("*.yaml"))
TABLES = SqlTables(contacts="crm.contacts", activities="crm.events", accounts="crm.accounts",
                   order_column="row_no")


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("ruleset_name", EXAMPLES)
def test_every_dialect_parses_back(ruleset_name, dialect):
    text = scoring_sql(load_ruleset(str(RULESETS / ruleset_name)), AS_OF, dialect, TABLES)
    parsed = sqlglot.parse_one(text, read=dialect)
    assert parsed.find(sqlglot.exp.With) is not None
    assert {t.sql() for t in parsed.find_all(sqlglot.exp.Table) if t.db} >= {"crm.contacts"}
    # BigQuery rejects column lists in table aliases; none are generated for any dialect.
    assert not re.search(r"\bAS\s+\w+\s*\(", text, re.IGNORECASE)


def _matches_sql(dialect: str) -> str:
    rs = load_ruleset(str(RULESETS / "worked_example.yaml"))
    return scoring_sql(rs, AS_OF, dialect, TABLES, pretty=False)


def test_dialect_pitfalls():
    # Snowflake's REGEXP_LIKE matches the whole string: substring search with REGEXP_INSTR instead.
    snow = _matches_sql("snowflake")
    assert "REGEXP_LIKE" not in snow
    assert "REGEXP_INSTR(\"job_title\", '\\\\bdirector\\\\b', 1, 1, 0, 'i') > 0" in snow
    # PostgreSQL: \b is a backspace there; word boundaries are \y; case-insensitivity is ~*.
    pg = _matches_sql("postgres")
    assert "\"job_title\" ~* '\\ydirector\\y'" in pg
    # DuckDB takes the flag as an argument; Spark, Trino and BigQuery an inline (?i).
    assert "REGEXP_MATCHES(\"job_title\", '\\bdirector\\b', 'i')" in _matches_sql("duckdb")
    # Spark: U is Java's UNICODE_CHARACTER_CLASS (\w \d \s \b read Unicode, as in Rust).
    assert "RLIKE '(?iU)\\\\bdirector\\\\b'" in _matches_sql("spark")
    assert "REGEXP_LIKE(\"job_title\", '(?i)\\bdirector\\b')" in _matches_sql("trino")
    assert "REGEXP_CONTAINS(`job_title`, '(?i)\\\\bdirector\\\\b')" in _matches_sql("bigquery")


def test_unknown_dialect():
    with pytest.raises(ValueError, match="unknown SQL dialect 'oracle'"):
        SqlDialect("oracle")


def test_number_text_matches_polars():
    values = [0.25, 0.35, 1.45, 2.5, -2.5, 28.55, 28.599999, -0.04, 0.04, -0.05, 15.0, 0.0, -12.96, 1234.45, 9.95]
    expected_plain = pl.select(fmt_number(pl.Series(values))).to_series().to_list()
    expected_signed = pl.select(fmt_number(pl.Series(values), signed=True)).to_series().to_list()
    assert expected_plain[:5] == ["0.2", "0.4", "1.4", "2.5", "-2.5"]  # half to even on x * 10
    d = SqlDialect("duckdb")
    v = sqlglot.exp.column("v")
    t = sqlglot.exp.column("t")
    inner = sqlglot.exp.select(v, sqlglot.exp.alias_(tenths(v.copy()), "t")).from_("vals")
    query = sqlglot.exp.select(sqlglot.exp.alias_(fmt_tenths(t, d), "plain"),
                               sqlglot.exp.alias_(fmt_tenths(t.copy(), d, sign_of=v.copy()), "signed")) \
        .from_(inner.subquery("x"))
    con = duckdb.connect()
    con.register("vals", pl.DataFrame({"v": values}).to_arrow())
    rows = con.sql(query.select(v.copy()).sql("duckdb")).fetchall()
    got = {value: (plain, signed) for plain, signed, value in rows}
    assert [got[value] for value in values] == list(zip(expected_plain, expected_signed))


def test_seniority_is_refused(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("version: 1\ncolumns: {lead_id: id, job_title: title}\n"
                    "fit:\n  - {id: senior, when: 'department = \"sales\"', points: 5}\n"
                    "tiers:\n  - {name: all, otherwise: true}\n")
    result = run_cli(["sql", "--ruleset", path, "--dialect", "spark"], exit_code=2)
    assert (f"leadq: error: {path}:4:24: fit rule 'senior': 'department' (from the job-title map) is computed by "
            "leadq's own engine only, not in SQL; score this ruleset with `leadq score` (--engine polars, the "
            "default)\n") == result.stderr


def test_cli_prints_the_query():
    result = run_cli(["sql", "--dialect", "bigquery", "--contacts-table", "crm.contacts", "--activities-table",
                      "crm.events", "--as-of", "2026-11-01", "--ruleset", RULESETS / "b2b_saas.yaml"])
    assert result.stdout.startswith("WITH lq_contacts AS (")
    assert result.stdout.rstrip().endswith(";")
    assert "FROM crm.contacts" in result.stdout and "FROM crm.events" in result.stdout
    assert "UNIX_MICROS" in result.stdout
    sqlglot.parse_one(result.stdout.rstrip().rstrip(";"), read="bigquery")
    result = run_cli(["sql", "--dialect", "oracle"], exit_code=2)
    assert "--dialect: unknown dialect 'oracle'; expected one of: bigquery, duckdb, postgres, snowflake, spark, " \
           "trino" in result.stderr


# ------------------------------------------------------------------------------------------ DuckDB against Polars


def _ruleset(tmp_path, text: str):
    path = tmp_path / "ruleset.yaml"
    path.write_text(text)
    return load_ruleset(str(path))


def _same_as_polars(rs, contacts: pl.DataFrame, events: pl.DataFrame | None = None, as_of=AS_OF,
                    time_zone: str = "UTC") -> pl.DataFrame:
    """Run ``leadq sql``'s query in a fresh DuckDB (session ``time_zone``) on the frames and check it scores
    as the Polars engine does."""
    from test_engines import assert_same_scores
    from leadq.pipeline import score_frames

    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{time_zone}'")
    con.register("contacts", contacts.to_arrow())
    if events is not None:
        con.register("events", events.to_arrow())
    sql = scoring_sql(rs, as_of, "duckdb", SqlTables("contacts", "events" if events is not None else None))
    got = pl.from_arrow(con.sql(sql).to_arrow_table())
    expected = score_frames(rs, contacts.lazy(), None if events is None else events.lazy(), as_of=as_of).scored
    expected = expected.with_columns(pl.col("disqualification_reasons").list.join("; "))
    assert_same_scores(expected.select(got.columns), got)
    return got


_EVENTS = "version: 1\ncolumns: {lead_id: id}\nactivity_columns: {lead_id: lead, event_type: type, occurred_at: at}\n"


def test_event_points_are_summed_as_the_polars_engine_sums_them(tmp_path):
    # Ten page views of 0.1 points summed one by one are 0.9999999999999999: lead 1 missed `intent >= 1`
    # in SQL, and a decayed 0.3 * 0.5 ** 57 (2e-18, 0 in Polars' integer trillionths) read "e +0".
    rs = _ruleset(tmp_path, _EVENTS + "intent:\n"
                  "  - {id: pv, event: page_view, points: 0.1, half_life_days: none}\n"
                  "  - {id: e, event: email_click, points: 0.3, half_life_days: 1, within_days: 90}\n"
                  "tiers:\n  - {name: hot, when: 'intent >= 1'}\n  - {name: rest, otherwise: true}\n")
    day = timedelta(days=1)
    events = pl.DataFrame({"lead": ["1"] * 10 + ["2"], "type": ["page_view"] * 10 + ["email_click"],
                           "at": [AS_OF - day] * 10 + [AS_OF - 57 * day]},
                          schema_overrides={"at": pl.Datetime("us", "UTC")})
    got = _same_as_polars(rs, pl.DataFrame({"id": ["1", "2"]}), events).sort("lead_id")
    assert got["tier"].to_list() == ["hot", "rest"]
    assert got["explanation"].to_list() == ["pv +1 (10 events, last 1 day ago)", ""]


def test_text_is_trimmed_of_the_whitespace_polars_strips(tmp_path):
    # SQL's TRIM strips only spaces: "saas\n" (a multi-line CRM field) and "\tsaas" were no "saas" in SQL,
    # nor a "\u00a0" value blank, nor an event's "/pricing\r" a pricing page.
    rs = _ruleset(tmp_path, _EVENTS.replace("occurred_at: at}", "occurred_at: at, url: url}")
                  .replace("columns: {lead_id: id}", "columns: {lead_id: id, industry: industry}") +
                  "fit:\n  - {id: saas, when: 'industry = \"saas\"', points: 5}\n"
                  "  - {id: blank, when: 'industry is empty', points: 1}\n"
                  "intent:\n  - {id: pricing, event: page_view, where: 'url ends with \"/pricing\"', points: 10, "
                  "half_life_days: none}\ntiers:\n  - {name: all, otherwise: true}\n")
    contacts = pl.DataFrame({"id": ["1", "2", "3", "4"], "industry": ["saas\n", "\tSaaS\r\n", "\u00a0", "saas"]})
    events = pl.DataFrame({"lead": ["1", "4"], "type": ["page_view", "page_view"], "url": ["/pricing\r", "/x"],
                           "at": [AS_OF - timedelta(days=1)] * 2}, schema_overrides={"at": pl.Datetime("us", "UTC")})
    got = _same_as_polars(rs, contacts, events).sort("lead_id")
    assert got["total_score"].to_list() == [15.0, 5.0, 1.0, 5.0]


_TIMES = ("version: 1\ncolumns: {lead_id: id, created_at: created, mql_at: mql}\n"
          "fit:\n  - {id: late, when: 'created_at >= \"2026-10-31T13:00:00\"', points: 5}\n"
          "  - {id: fresh, when: 'days_since(mql_at) <= 1', points: 1}\ntiers:\n  - {name: all, otherwise: true}\n")


@pytest.mark.parametrize("time_zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_timestamps_are_read_as_instants_in_any_session_time_zone(tmp_path, time_zone):
    # DuckDB cast "2026-10-31T14:00:00+02:00" to 14:00 (its offset ignored; 12:00 UTC for leadq score), and
    # a TIMESTAMPTZ column (as Polars writes Parquet) to the session's wall time: in a New York shell lead 3
    # was a day apart. Naive timestamps are UTC, as before.
    rs = _ruleset(tmp_path, _TIMES)
    contacts = pl.DataFrame({"id": ["1", "2", "3", "4"],
                             "created": ["2026-10-31T14:00:00+02:00", "2026-10-31T12:30:00Z", "2026-10-31 13:30",
                                         "2026-10-31T08:30:00-04:30"],
                             "mql": [AS_OF - timedelta(days=1, hours=h) for h in (1, -1, -3, 0)]},
                            schema_overrides={"mql": pl.Datetime("us", "UTC")})
    got = _same_as_polars(rs, contacts, time_zone=time_zone).sort("lead_id")
    assert got["fit_score"].to_list() == [0.0, 1.0, 6.0, 6.0]
    naive = contacts.with_columns(pl.col("mql").dt.replace_time_zone(None))
    assert _same_as_polars(rs, naive, time_zone=time_zone).sort("lead_id")["fit_score"].to_list() == [0.0, 1.0, 6.0, 6.0]


def test_digit_space_and_word_classes_are_unicode_as_in_polars(tmp_path):
    # RE2's \d, \s and \w are ASCII, Rust's Unicode: "VP\u00a0Sales" did not match vp\s+sales in DuckDB,
    # nor "José" ^\w+$, nor "٣" \d; and "a@x.com\u00a0(work)" had the e-mail domain "x.com\u00a0".
    rs = _ruleset(tmp_path, "version: 1\ncolumns: {lead_id: id, job_title: title, email: email}\nfit:\n"
                  "  - {id: vp, when: 'job_title matches \"vp\\s+sales\"', points: 1}\n"
                  "  - {id: word, when: 'job_title matches \"^[\\w ]+$\"', points: 2}\n"
                  "  - {id: digit, when: 'job_title matches \"\\d\"', points: 4}\n"
                  "  - {id: other, when: 'job_title matches \"\\S\\W\\D$\"', points: 8}\n"
                  "  - {id: x, when: 'email_domain = \"x.com\"', points: 16}\n"
                  "tiers:\n  - {name: all, otherwise: true}\n")
    contacts = pl.DataFrame({"id": ["1", "2", "3", "4"], "title": ["VP\u00a0Sales", "José", "Level ٣", "Ω\u00a0é"],
                             "email": ["a@x.com\u00a0(work)", None, None, None]})
    got = _same_as_polars(rs, contacts).sort("lead_id")
    assert got["fit_score"].to_list() == [17.0, 2.0, 6.0, 8.0]


def test_spark_reads_perl_classes_as_unicode(tmp_path):
    # Java's \d \s \w are ASCII without its U flag: Spark missed "VP\u00a0Sales" (vp\s+sales) and "Level ٣" (\d).
    pytest.importorskip("pyspark")
    from leadq.engines import score_with_engine

    rs = _ruleset(tmp_path, "version: 1\ncolumns: {lead_id: id, job_title: title}\nfit:\n"
                  "  - {id: vp, when: 'job_title matches \"vp\\s+sales\"', points: 1}\n"
                  "  - {id: word, when: 'job_title matches \"^[\\w ]+$\"', points: 2}\n"
                  "  - {id: digit, when: 'job_title matches \"\\d\"', points: 4}\n"
                  "  - {id: edge, when: 'job_title matches \"caf\\b\"', points: 8}\n"
                  "  - {id: posix, when: 'job_title matches \"^[[:alpha:]]+$\"', points: 16}\n"
                  "tiers:\n  - {name: all, otherwise: true}\n")
    contacts = pl.DataFrame({"id": ["1", "2", "3", "4", "5"], "title": ["VP\u00a0Sales", "José", "Level ٣", "Café", "cto"]})
    got = score_with_engine("spark", rs, contacts, as_of=AS_OF).scored.sort("lead_id")
    # Java also read [[:alpha:]] as the characters ':', 'a', 'l', 'p', 'h' (POSIX classes are Rust's, ASCII).
    assert got["fit_score"].to_list() == [1.0, 2.0, 6.0, 2.0, 18.0]


def test_dedupe_on_email_alone_is_refused(tmp_path):
    # leadq score keeps every row of a repeated lead id when dedupe_on lacks lead_id; the query kept one.
    path = tmp_path / "r.yaml"
    path.write_text("version: 1\ncolumns: {lead_id: id, email: email}\nsettings: {dedupe_on: [email]}\n"
                    "fit:\n  - {id: any, when: 'true', points: 1}\ntiers:\n  - {name: all, otherwise: true}\n")
    result = run_cli(["sql", "--ruleset", path], exit_code=2)
    assert result.stderr == (f"leadq: error: {path}: settings.dedupe_on ['email']: a lead id on several rows is "
                             "de-duplicated by the SQL engines always; add lead_id to dedupe_on ([lead_id, email]), or "
                             "score this ruleset with `leadq score` (--engine polars, the default)\n")


@pytest.mark.parametrize("pattern, problem", [
    ("[a-z&&[^s]]", "class set operations ('&&' in a [...] class) are Rust regex only"),
    ("[[a-z]--[aeiou]]", "nested character classes ([a[bc]]) are Rust regex only"),
    ("\\<saas", "'\\<' (a word start or end) is Rust regex only"),
    ("\\b{start}saas", "'\\b{...}' word-boundary assertions are Rust regex only"),
    ("(?x) s a a s", "the flag 'x' is Rust regex only"),
    ("(?P<n>saas)", "named groups are read differently by the SQL engines"),
    ("caf\\u00e9", "'\\u' escapes are Rust regex only"),
    ("[\\S,]", "'\\S' inside a [...] class has no Unicode spelling in SQL engines"),
])
def test_regexes_the_sql_engines_read_otherwise_are_refused(tmp_path, pattern, problem):
    # RE2 (DuckDB) read [a-z&&[^s]] as a class of a-z, '&', '[' and '^', and \< as '<': other leads matched,
    # without an error; (?x) and named groups failed only when the query ran.
    path = tmp_path / "r.yaml"
    path.write_text("version: 1\ncolumns: {lead_id: id, industry: industry}\n"
                    f"fit:\n  - {{id: r, when: 'industry matches \"{pattern}\"', points: 5}}\n"
                    "tiers:\n  - {name: all, otherwise: true}\n")
    result = run_cli(["sql", "--ruleset", path], exit_code=2)
    assert result.stderr.startswith(f"leadq: error: {path}:4:37: fit rule 'r': regex ")
    assert problem in result.stderr and "--engine polars" in result.stderr


def test_portable_regexes_are_kept():
    for pattern in ("\\b(vp|director)\\b", "[[:alpha:]]+", "(?-i)CTO", "(?:a|b)", "[]a-]", "[-a]", "\\x{e9}", "\\p{L}"):
        assert regex_sql_problem(pattern) is None, pattern


# ------------------------------------------------------------------------------------------ PostgreSQL

pytest.importorskip("adbc_driver_postgresql")
from test_db import pg_uri  # noqa: E402,F401 - the same real server (LEADQ_TEST_PG_URI, or one started here)


@pytest.fixture(scope="module")
def pg(pg_uri):  # noqa: F811
    """The PostgreSQL URI."""
    return pg_uri


def _run_pg(uri: str, sql: str) -> pl.DataFrame:
    import adbc_driver_postgresql.dbapi as pgdb

    with pgdb.connect(uri) as conn, conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
        cur.execute(sql)
        return pl.from_arrow(cur.fetch_arrow_table())


def test_postgres_runs_the_worked_example(pg):
    contacts = pl.DataFrame({
        "Lead ID": ["A", "B", "C"],
        "Email": ["a@startup.io", "b@saas.co.uk", "c@saas.co.uk"],
        "Title": ["Marketing Intern", "Marketing Director", "Director of Marketing"],
        "Employees": [20.0, 500.0, 500.0],
        "Industry": ["Retail", "SaaS", "SaaS"],
        "Country": ["US", "UK", "UK"],
    })
    at = pl.datetime(2026, 10, 20, time_zone="UTC")
    events = pl.DataFrame({
        "Lead ID": ["A", "B", "B", "C", "C", "C"],
        "Activity": ["content_download", "content_download", "page_view", "content_download", "page_view",
                     "demo_request"],
        "URL": ["/blog/seo", "/case-studies/acme", "/pricing", "/case-studies/acme", "/pricing", "/demo"],
    }).with_columns(at.alias("Date"))
    contacts.write_database("we_contacts", connection=pg, engine="adbc", if_table_exists="replace")
    events.write_database("we_events", connection=pg, engine="adbc", if_table_exists="replace")
    rs = load_ruleset(str(RULESETS / "worked_example.yaml"))
    sql = scoring_sql(rs, AS_OF, "postgres", SqlTables(contacts="we_contacts", activities="we_events"))
    got = _run_pg(pg, sql).sort("lead_id")
    assert got["total_score"].to_list() == [-8.0, 50.0, 75.0]
    assert got["tier"].to_list() == ["nurture", "nurture", "mql"]
    assert got["grade"].to_list() == ["D", "A", "A"]
    assert got["explanation"][2] == ("Director title +15; 200-1,000 employees +10; SaaS industry +10; "
                                     "case study download +5 (12 days ago); pricing page view +10 (12 days ago); "
                                     "demo request +25 (12 days ago)")


def test_postgres_scores_the_sample_like_polars(pg):
    from test_engines import BASE, _typed_frame
    from leadq.pipeline import score_frames
    from leadq.sample import SampleSpec, generate

    data = generate(SampleSpec(leads=600, events=6000, seed=2))
    frames = {"contacts": _typed_frame(data["contacts"], BASE.columns),
              "events": _typed_frame(data["events"], BASE.activity_columns),
              "accounts": _typed_frame(data["accounts"], BASE.account_columns)}
    frames["contacts"] = frames["contacts"].with_row_index("row_no")
    frames["accounts"] = frames["accounts"].with_row_index("row_no")
    for name, frame in frames.items():
        frame.write_database(f"sg_{name}", connection=pg, engine="adbc", if_table_exists="replace")
    sql = scoring_sql(BASE, AS_OF, "postgres", SqlTables("sg_contacts", "sg_events", "sg_accounts", "row_no"))
    got = _run_pg(pg, sql)
    expected = score_frames(BASE, frames["contacts"].drop("row_no").lazy(), frames["events"].lazy(),
                            frames["accounts"].drop("row_no").lazy(), as_of=AS_OF).scored
    assert got["lead_id"].to_list() == expected["lead_id"].to_list()  # input order kept (ORDER BY row_no)
    for c in ("fit_score", "intent_score", "total_score"):
        assert (got[c] - expected[c]).abs().max() <= ENGINE_SCORE_TOLERANCE
    for c in ("grade", "tier", "disqualified", "explanation"):
        assert got[c].to_list() == expected[c].to_list(), c
    assert got["disqualification_reasons"].to_list() == expected["disqualification_reasons"].list.join("; ").to_list()


def test_postgres_reads_timestamps_as_instants_in_any_session_time_zone(pg, tmp_path):
    # PostgreSQL ignored the offset of "2026-10-31T14:00:00+02:00" cast to timestamp, and cast a timestamptz
    # column to the session's wall time.
    import adbc_driver_postgresql.dbapi as pgdb

    contacts = pl.DataFrame({"id": ["1", "2", "3", "4"],
                             "created": ["2026-10-31T14:00:00+02:00", "2026-10-31T12:30:00Z", "2026-10-31 13:30",
                                         "2026-10-31T08:30:00-04:30"],
                             "mql": [AS_OF - timedelta(days=1, hours=h) for h in (1, -1, -3, 0)]},
                            schema_overrides={"mql": pl.Datetime("us", "UTC")})
    contacts.write_database("tz_contacts", connection=pg, engine="adbc", if_table_exists="replace")
    sql = scoring_sql(_ruleset(tmp_path, _TIMES), AS_OF, "postgres", SqlTables(contacts="tz_contacts", activities=None))
    with pgdb.connect(pg) as conn, conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'America/New_York'")
        cur.execute(sql)
        got = pl.from_arrow(cur.fetch_arrow_table()).sort("lead_id")
    assert got["fit_score"].to_list() == [0.0, 1.0, 6.0, 6.0]


def test_postgres_reads_regex_classes_as_rust_does(pg, tmp_path):
    # PostgreSQL's \d and \s are ASCII and its [[:alpha:]] Unicode; Rust's the other way round.
    path = tmp_path / "r.yaml"
    path.write_text("version: 1\ncolumns: {lead_id: id, job_title: title}\nfit:\n"
                    "  - {id: vp, when: 'job_title matches \"vp\\s+sales\"', points: 1}\n"
                    "  - {id: digit, when: 'job_title matches \"\\d\"', points: 2}\n"
                    "  - {id: posix, when: 'job_title matches \"^[[:alpha:]]+$\"', points: 4}\n"
                    "tiers:\n  - {name: all, otherwise: true}\n")
    contacts = pl.DataFrame({"id": ["1", "2", "3", "4"], "title": ["VP\u00a0Sales", "Level ٣", "José", "cto"]})
    contacts.write_database("rx_contacts", connection=pg, engine="adbc", if_table_exists="replace")
    sql = scoring_sql(load_ruleset(str(path)), AS_OF, "postgres", SqlTables(contacts="rx_contacts", activities=None))
    assert _run_pg(pg, sql).sort("lead_id")["fit_score"].to_list() == [1.0, 2.0, 0.0, 4.0]
