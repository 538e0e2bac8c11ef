"""The SQL engines account for the accounts join as the polars engine does (``accounts_file`` in the summary).

Contacts (id, account id) and the accounts file (its rows in order), by hand:

=======  ==========  =====================================================================
contact  account id  in the file
=======  ==========  =====================================================================
1        ACME        yes (row 1)
2        acme        no; 'ACME' (row 1) and 'Acme' (row 4) differ only in case: the first is named
3        007         no; '7' (row 2) differs only in leading zeros
4        ZZZ         no, and nothing like it
5        (blank)     (no account id)
6        acme        no (the same id as contact 2: one example)
7        ACME        yes
8        12.0        no; '012' (row 7): a zero fraction and a leading zero
=======  ==========  =====================================================================

The file's 8 rows: ACME, 7, DUP, Acme, DUP, (no id), 012, W1. So 1 duplicate id (DUP) and 1 row
without an id; 7 contacts have an account id, 2 are in the file, 5 are not (distinct: acme, 007,
ZZZ, 12.0), and three of those pair with a file id.
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from conftest import run_cli

pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

RULESET = """version: 1
columns: {lead_id: id, account_id: acct}
account_columns: {account_id: acct_id, company_size: employees}
fit:
  - {id: big, when: 'company_size >= 100', points: 20, label: big company}
tiers:
  - {name: all, otherwise: true}
"""
CONTACTS = {"id": ["1", "2", "3", "4", "5", "6", "7", "8"],
            "acct": ["ACME", "acme", "007", "ZZZ", None, "acme", "ACME", "12.0"]}
ACCOUNTS = {"acct_id": ["ACME", "7", "DUP", "Acme", "DUP", None, "012", "W1"],
            "employees": [500, 300, 10, 20, 30, 5, 40, 50]}
EXPECTED = {
    "rows": 8, "rows_without_id": 1, "duplicate_ids": 1, "duplicate_examples": ["DUP"],
    "contacts_with_account_id": 7, "matched": 2, "unmatched": 5, "unmatched_examples": ["acme", "007", "ZZZ", "12.0"],
    "likely_same": [["acme", "ACME"], ["007", "7"], ["12.0", "012"]],
}


def _files(tmp_path, contacts: dict = CONTACTS, accounts: dict = ACCOUNTS):
    (tmp_path / "r.yaml").write_text(RULESET)
    pl.DataFrame(contacts, schema_overrides={"id": pl.String, "acct": pl.String}).write_parquet(tmp_path / "c.parquet")
    pl.DataFrame(accounts, schema_overrides={"acct_id": pl.String, "employees": pl.Int64}) \
        .write_parquet(tmp_path / "a.parquet")
    return tmp_path / "r.yaml", tmp_path / "c.parquet", tmp_path / "a.parquet"


def _accounts_file(tmp_path, engine: str, accounts: bool = True, *extra) -> dict | None:
    ruleset, contacts, accounts_path = tmp_path / "r.yaml", tmp_path / "c.parquet", tmp_path / "a.parquet"
    if not ruleset.exists():
        _files(tmp_path)
    summary = tmp_path / f"{engine}.json"
    run_cli(["score", contacts, "-r", ruleset, *(["--accounts", accounts_path] if accounts else []),
             "--as-of", "2026-11-01", "--engine", engine, *extra, "-o", tmp_path / f"{engine}.csv",
             "--summary-json", summary, "-q"])
    return json.loads(summary.read_text())["accounts_file"]


def test_duckdb_accounts_for_the_join_as_polars_does(tmp_path):
    polars = _accounts_file(tmp_path, "polars")
    duckdb = _accounts_file(tmp_path, "duckdb")
    assert polars == EXPECTED
    assert duckdb == EXPECTED
    # The same join, too: contacts 1 and 7 have ACME's 500 employees, the others none.
    assert pl.read_csv(tmp_path / "duckdb.csv").select("lead_id", "fit_score").rows() == \
        pl.read_csv(tmp_path / "polars.csv").select("lead_id", "fit_score").rows() == \
        [(1, 20.0), (2, 0.0), (3, 0.0), (4, 0.0), (5, 0.0), (6, 0.0), (7, 20.0), (8, 0.0)]


def test_duckdb_without_an_accounts_file_has_no_accounting(tmp_path):
    ruleset, _, _ = _files(tmp_path)
    # A rule on an account-only field fails the SQL engines without an accounts file (a limit apart).
    ruleset.write_text(RULESET.replace("company_size >= 100", 'account_id = "ACME"'))
    assert _accounts_file(tmp_path, "duckdb", False) is None
    assert _accounts_file(tmp_path, "polars", False) is None


def test_duckdb_examples_are_capped_at_five_and_in_input_order(tmp_path):
    ruleset, _, _ = _files(tmp_path)
    # 12 distinct unmatched ids (0009 ... 0020, each twice, from the last contact backwards), 8 duplicated
    # ids in the file (d7 ... d0, each twice), and the file's '9' ... '20' behind case/zero variants.
    ids = [f"{n:04d}" for n in range(20, 8, -1)]
    contacts = {"id": [str(i) for i in range(24)], "acct": ids + ids}
    dups = [f"d{n}" for n in range(7, -1, -1)]
    accounts = {"acct_id": dups + dups + [str(n) for n in range(9, 21)], "employees": list(range(28))}
    frames = _files(tmp_path, contacts, accounts)
    got = {}
    for engine in ("polars", "duckdb"):
        summary = tmp_path / f"{engine}.json"
        run_cli(["score", frames[1], "-r", ruleset, "--accounts", frames[2], "--as-of", "2026-11-01",
                 "--engine", engine, "-o", tmp_path / f"{engine}.csv", "--summary-json", summary, "-q"])
        got[engine] = json.loads(summary.read_text())["accounts_file"]
    assert got["duckdb"] == got["polars"] == {
        "rows": 28, "rows_without_id": 0, "duplicate_ids": 8, "duplicate_examples": ["d7", "d6", "d5", "d4", "d3"],
        "contacts_with_account_id": 24, "matched": 0, "unmatched": 24,
        "unmatched_examples": ["0020", "0019", "0018", "0017", "0016"],
        "likely_same": [["0020", "20"], ["0019", "19"], ["0018", "18"], ["0017", "17"], ["0016", "16"]]}


def test_duckdb_with_an_accounts_file_of_no_rows_leaves_every_id_unmatched(tmp_path):
    ruleset, contacts, _ = _files(tmp_path)
    empty = tmp_path / "none.parquet"
    pl.DataFrame(schema={"acct_id": pl.String, "employees": pl.Int64}).write_parquet(empty)
    got = {}
    for engine in ("polars", "duckdb"):
        summary = tmp_path / f"{engine}.json"
        run_cli(["score", contacts, "-r", ruleset, "--accounts", empty, "--as-of", "2026-11-01",
                 "--engine", engine, "-o", tmp_path / f"{engine}.csv", "--summary-json", summary, "-q"])
        got[engine] = json.loads(summary.read_text())["accounts_file"]
    assert got["duckdb"] == got["polars"] == {
        "rows": 0, "rows_without_id": 0, "duplicate_ids": 0, "duplicate_examples": [],
        "contacts_with_account_id": 7, "matched": 0, "unmatched": 7,
        "unmatched_examples": ["ACME", "acme", "007", "ZZZ", "12.0"], "likely_same": []}


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    from leadq.engines import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


def test_spark_accounts_for_the_join_as_polars_does(tmp_path, spark):
    assert _accounts_file(tmp_path, "spark", True, "--spark-master", "local[2]") == EXPECTED
