"""Databases in and out, against a real PostgreSQL server and real SQLite files.

The server comes from ``LEADQ_TEST_PG_URI`` (``.ci/run`` starts one from Debian's package);
without it the tests start a throw-away cluster themselves when PostgreSQL is installed,
and skip only when neither works. Under CI (``CI=true``) a missing server fails instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import polars as pl
import pytest

from leadq.cleaning import typed
from leadq.pipeline import score_frames
from leadq.ruleset_loader import load_ruleset
from leadq.sample import SampleSpec, generate

from conftest import AS_OF, ENGINE_SCORE_TOLERANCE, RULESETS, run_cli

pytest.importorskip("adbc_driver_postgresql")
pytest.importorskip("adbc_driver_sqlite")

from leadq import db  # noqa: E402

RS = load_ruleset(str(RULESETS / "b2b_saas.yaml"))


def _start_server(folder: Path) -> tuple[str, list[str]] | None:
    """Start a PostgreSQL cluster in ``folder``; return (uri, stop command) or None."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb")) if Path("/usr/lib/postgresql").exists() else []
    initdb = str(bins[-1]) if bins else shutil.which("initdb")
    if not initdb:
        return None
    bindir = Path(initdb).parent
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        if not shutil.which("runuser"):
            return None
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = folder / "data"
    try:
        subprocess.run(run_as + [initdb, "-D", str(data), "-A", "trust", "-U", "postgres"], check=True,
                       capture_output=True, timeout=120)
        subprocess.run(run_as + [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
                                 f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "start"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run(run_as + [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                 "leadq_test"], check=True, capture_output=True, timeout=60)
    except (subprocess.SubprocessError, OSError):
        return None
    return (f"postgresql://postgres@127.0.0.1:{port}/leadq_test",
            run_as + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])


@pytest.fixture(scope="module")
def pg_uri():
    """A PostgreSQL database for the tests (see the module docstring)."""
    uri = os.environ.get("LEADQ_TEST_PG_URI")
    if uri:
        yield uri
        return
    folder = Path(tempfile.mkdtemp(prefix="leadq-pg-"))
    started = _start_server(folder)
    if started is None:
        shutil.rmtree(folder, ignore_errors=True)
        message = "no PostgreSQL server: set LEADQ_TEST_PG_URI or install PostgreSQL (.ci/run does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    uri, stop = started
    yield uri
    subprocess.run(stop, capture_output=True, timeout=120)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    """A PostgreSQL --out writes its rejects to the working folder: not the repository's."""
    monkeypatch.chdir(tmp_path)


def _typed(df: pl.DataFrame, columns: dict) -> pl.DataFrame:
    by_column = {c.column: c for c in columns.values()}
    return df.select([typed(by_column[n], df.schema[n], RS.settings).alias(n) if n in by_column else pl.col(n)
                      for n in df.columns])


@pytest.fixture(scope="module")
def sample():
    data = generate(SampleSpec(leads=800, events=8000, seed=5))
    return {"contacts": _typed(data["contacts"], RS.columns), "events": _typed(data["events"], RS.activity_columns),
            "accounts": _typed(data["accounts"], RS.account_columns)}


@pytest.fixture(scope="module")
def expected(sample):
    return score_frames(RS, sample["contacts"].lazy(), sample["events"].lazy(), sample["accounts"].lazy(),
                        as_of=AS_OF).scored


@pytest.fixture(scope="module")
def pg_tables(pg_uri, sample):
    for name, frame in sample.items():
        frame.write_database(f"crm_{name}", connection=pg_uri, engine="adbc", if_table_exists="replace")
    return pg_uri


def _same(expected: pl.DataFrame, got: pl.DataFrame) -> None:
    got = got.sort("lead_id")
    expected = expected.select(got.columns).sort("lead_id")
    assert got.height == expected.height > 700
    for c in ("fit_score", "intent_score", "total_score"):
        assert (got[c] - expected[c]).abs().max() <= ENGINE_SCORE_TOLERANCE
    for c in ("grade", "tier", "disqualified", "explanation"):
        assert got[c].to_list() == expected[c].to_list(), c
    reasons = got["disqualification_reasons"]
    if reasons.dtype == pl.String:  # SQLite has no arrays: '; '-joined
        reasons = reasons.str.split("; ").list.eval(pl.element().filter(pl.element() != ""))
    assert reasons.to_list() == expected["disqualification_reasons"].to_list()


def test_postgres_round_trip_through_the_cli(pg_tables, expected):
    uri = pg_tables
    result = run_cli(["score", uri, "--table", "crm_contacts", "--activities-table", "crm_events",
                      "--accounts-table", "crm_accounts", "--as-of", "2026-11-01",
                      "--out", uri, "--out-table", "scored_leads"])
    assert "scored: postgresql://postgres@127.0.0.1" in result.stdout
    assert "table scored_leads" in result.stdout
    _same(expected, db.read_database(uri, table="scored_leads"))


def test_postgres_query_inputs_and_append(pg_tables, expected):
    uri = pg_tables
    run_cli(["score", uri, "--query", 'SELECT * FROM crm_contacts', "--activities-query",
             "SELECT * FROM crm_events WHERE \"Timestamp\" >= '2026-01-01'", "--accounts-table", "crm_accounts",
             "--as-of", "2026-11-01", "--out", uri, "--out-table", "scored_twice", "--quiet"])
    run_cli(["score", uri, "--table", "crm_contacts", "--activities-table", "crm_events",
             "--accounts-table", "crm_accounts", "--as-of", "2026-11-01", "--out", uri, "--out-table",
             "scored_twice", "--if-exists", "append", "--quiet"])
    both = db.read_database(uri, table="scored_twice")
    assert both.height == 2 * expected.height


def test_duckdb_engine_reads_postgres_tables(pg_tables, expected, tmp_path):
    uri = pg_tables
    out = tmp_path / "scored.parquet"
    run_cli(["score", uri, "--table", "crm_contacts", "--activities-table", "crm_events",
             "--accounts-table", "crm_accounts", "--as-of", "2026-11-01", "--engine", "duckdb", "--out", out,
             "--quiet"])
    _same(expected, pl.read_parquet(out))


def test_sqlite_in_postgres_out(pg_uri, sample, expected, tmp_path):
    path = tmp_path / "crm.db"
    sqlite_uri = f"sqlite:///{path}"
    for name, frame in sample.items():
        # SQLite keeps no timestamp type: ISO text, as a CRM sync would store it.
        frame = frame.with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ"))
        frame.write_database(name, connection=sqlite_uri, engine="adbc", if_table_exists="replace")
    run_cli(["score", sqlite_uri, "--table", "contacts", "--activities-table", "events", "--accounts-table",
             "accounts", "--as-of", "2026-11-01", "--out", pg_uri, "--out-table", "scored_from_sqlite", "--quiet"])
    _same(expected, db.read_database(pg_uri, table="scored_from_sqlite"))
    # ... and SQLite as the output too.
    run_cli(["score", sqlite_uri, "--table", "contacts", "--activities-table", "events", "--accounts-table",
             "accounts", "--as-of", "2026-11-01", "--out", sqlite_uri, "--out-table", "scored", "--quiet"])
    _same(expected, db.read_database(sqlite_uri, table="scored"))


def _old_table(uri: str, name: str) -> pl.DataFrame:
    old = pl.DataFrame({"lead_id": ["old-1", "old-2"], "fit_score": [1.0, 2.0]})
    old.write_database(name, connection=uri, engine="adbc", if_table_exists="replace")
    return old


def test_failed_replace_leaves_the_previous_table(pg_uri, monkeypatch):
    old = _old_table(pg_uri, "keep_me")
    real_connect = db._connect

    class FailingCursor:
        def __init__(self, cur):
            self.cur = cur
            self.connection = cur.connection

        def execute(self, sql, *args):
            # The old table has just been dropped inside the transaction: fail before the rename.
            if sql.startswith("ALTER TABLE"):
                raise RuntimeError("disk full (simulated)")
            return self.cur.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.cur, name)

    class FailingConnection:
        def __init__(self, conn):
            self.conn = conn

        def cursor(self):
            return FailingCursor(self.conn.cursor())

        def __getattr__(self, name):
            return getattr(self.conn, name)

    monkeypatch.setattr(db, "_connect", lambda uri: FailingConnection(real_connect(uri)))
    new = pl.DataFrame({"lead_id": ["new"], "fit_score": [9.0]})
    with pytest.raises(db.OutputError, match="disk full .simulated.; the previous table was left as it was"):
        db.write_database(new, pg_uri, "keep_me")
    monkeypatch.setattr(db, "_connect", real_connect)
    assert db.read_database(pg_uri, table="keep_me").sort("lead_id").equals(old)
    with pytest.raises(db.InputError, match="keep_me__leadq_new"):
        db.read_database(pg_uri, table="keep_me__leadq_new")  # the staging table was cleaned up


def test_failed_append_leaves_the_previous_table(pg_uri):
    adbc = pytest.importorskip("adbc_driver_postgresql.dbapi")
    with adbc.connect(pg_uri) as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS unique_leads")
        cur.execute("CREATE TABLE unique_leads (lead_id TEXT PRIMARY KEY, fit_score DOUBLE PRECISION)")
        cur.execute("INSERT INTO unique_leads VALUES ('a', 1.0), ('b', 2.0)")
        conn.commit()
    # 'c' is new but 'a' violates the primary key: the whole append is rolled back.
    new = pl.DataFrame({"lead_id": ["c", "a"], "fit_score": [3.0, 4.0]})
    with pytest.raises(db.OutputError, match="previous table was left as it was"):
        db.write_database(new, pg_uri, "unique_leads", if_exists="append")
    assert db.read_database(pg_uri, table="unique_leads").sort("lead_id").to_dicts() == [
        {"lead_id": "a", "fit_score": 1.0}, {"lead_id": "b", "fit_score": 2.0}]


def test_passwords_are_never_printed(tmp_path):
    uri = "postgresql://scorer:hunter2@127.0.0.1:1/crm"  # nothing listens on port 1
    result = run_cli(["score", uri, "--table", "contacts", "--out", tmp_path / "x.parquet"], exit_code=3)
    assert "hunter2" not in result.stderr + result.stdout
    assert "postgresql://scorer:***@127.0.0.1:1/crm" in result.stderr
    assert db.redact("host=db password=s3cret user=x") == "host=db password=*** user=x"


def test_database_usage_errors(tmp_path):
    result = run_cli(["score", "sqlite:///" + str(tmp_path / "missing.db"), "--table", "c",
                      "--out", tmp_path / "x.parquet"], exit_code=3)
    assert "SQLite database not found" in result.stderr
    path = tmp_path / "crm.db"
    sqlite3.connect(path).close()
    result = run_cli(["score", f"sqlite:///{path}", "--out", tmp_path / "x.parquet"], exit_code=2)
    assert "give the database table (--table) or a query (--query), not neither" in result.stderr
    result = run_cli(["score", f"sqlite:///{path}", "--table", "c", "--out", f"sqlite:///{path}"], exit_code=2)
    assert "name the table with --out-table" in result.stderr
    csv = tmp_path / "c.csv"
    csv.write_text("Record ID\n1\n")
    result = run_cli(["score", csv, "--table", "contacts", "--out", tmp_path / "x.parquet"], exit_code=2)
    assert "need a database URI as CONTACTS" in result.stderr
    result = run_cli(["score", f"sqlite:///{path}", "--table", "c", "--out", f"sqlite:///{path}", "--out-table", "s",
                      "--if-exists", "append"], exit_code=3)
    assert "cannot read" in result.stderr
    # A bad --if-exists is refused before the contacts are read (it was found only when writing).
    result = run_cli(["score", f"sqlite:///{path}", "--table", "c", "--out", f"sqlite:///{path}", "--out-table", "s",
                      "--if-exists", "merge"], exit_code=2)
    assert "--if-exists: unknown value 'merge'; expected one of: replace, append" in result.stderr
    result = run_cli(["score", csv, "--out", tmp_path / "x.parquet", "--if-exists", "append"], exit_code=2)
    assert "--if-exists works with a database --out and --out-table only" in result.stderr
    # Quotes in the table's name: Polars' writer read them its own way, and a staging table was left behind.
    out = tmp_path / "out.db"
    result = run_cli(["score", csv, "--out", f"sqlite:///{out}", "--out-table", '"q"'], exit_code=2)
    assert result.stderr == ("leadq: error: '\"q\"': write the table name without quotes (leadq quotes it: upper "
                             "case and spaces are kept)\n")
    assert not out.exists()


def test_sqlite_out_keeps_its_rejects_beside_the_file_and_refuses_what_it_cannot_do(sample, tmp_path):
    path = tmp_path / "crm.db"
    uri = f"sqlite:///{path}"
    contacts = sample["contacts"].with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%S%.fZ"))
    # Two rows of one lead: one is rejected as a duplicate, and its reject must go somewhere.
    pl.concat([contacts, contacts.head(1)]).write_database("contacts", connection=uri, engine="adbc")
    base = ["score", uri, "--table", "contacts", "--as-of", "2026-11-01"]
    result = run_cli(base + ["--out", uri, "--out-table", "scored"])
    assert f"rejects: {tmp_path / 'crm.scored.rejects.csv'}" in result.stdout
    rejects = pl.read_csv(tmp_path / "crm.scored.rejects.csv")
    assert f"rejected {rejects.height}" in " ".join(result.stdout.split())
    assert rejects["reason"].str.starts_with("duplicate lead id").any()
    # Files beside a database's contacts were left out without a word (no events, no accounts scored).
    events = tmp_path / "events.csv"
    events.write_text("Contact ID,Event Type,Timestamp\n1,demo_request,2026-10-01\n")
    for option in ("--activities", "--accounts"):
        result = run_cli(base + [option, events, "--out", tmp_path / "x.parquet"], exit_code=2)
        assert result.stderr.startswith(f"leadq: error: {option} names files, and the contacts come from a database")
    result = run_cli(base + ["--out", uri, "--out-table", "s", "--previous", uri], exit_code=2)
    assert "leadq does not read a database table back" in result.stderr
    result = run_cli(base + ["--out", f"sqlite:///{tmp_path / 'nodir' / 'o.db'}", "--out-table", "s"], exit_code=4)
    assert f"directory {tmp_path / 'nodir'} does not exist" in result.stderr
    assert not (tmp_path / "x.parquet").exists()
