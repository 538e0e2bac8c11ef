"""The accounts join accounted for: contacts whose account id the accounts file lacks, and duplicate ids in it.

Contacts (id, account id) and the accounts file (id, employees, industry), by hand:

=======  ===========  ==========================================  ======================================
contact  account id   in the file                                 fit (big >= 100: +20, Software: +10)
=======  ===========  ==========================================  ======================================
1        A1           A1: 500, Software                           30
2        ACC-00101    no: the file has 'acc-00101' (1000, Soft.)  0 (too_small: no size known either)
3        00102        no: the file has '102' (300, Retail)        0
4        X9           no                                          0
5        (blank)      (no account id)                             0
6        X9           no                                          0
7        00103        twice: 50 Software first, 5000 Software     10 (the first row: 50 employees)
=======  ===========  ==========================================  ======================================

The file's 9 rows: A1, acc-00101, 102, 00103 twice, one without an id, Z7 twice, W1 (no contact).
So 6 contacts have an account id, 2 are in the file (1, 7), 4 are not (2, 3, 4, 6; distinct ids
ACC-00101, 00102, X9); two of those are the file's ids written another way (case, leading zeros).
Duplicate ids: 00103 and Z7.
"""

from __future__ import annotations

import json

import polars as pl

from leadq.pipeline import account_accounting, read_and_score
from leadq.report import accounts_file_notes
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, SAMPLE, run_cli

RULESET = """version: 1
columns: {lead_id: id, account_id: acct}
account_columns: {account_id: acct_id, company_size: employees, industry: industry}
fit:
  - {id: big, when: 'company_size >= 100', points: 20, label: big company}
  - {id: software, when: 'industry = "Software"', points: 10, label: software}
disqualifiers:
  - {code: too_small, label: Small or unknown size, category: bad_fit, when: 'company_size < 100 or company_size is null'}
tiers:
  - {name: all, otherwise: true}
"""
CONTACTS = "id,acct\n1,A1\n2,ACC-00101\n3,00102\n4,X9\n5,\n6,X9\n7,00103\n"
ACCOUNTS = ("acct_id,employees,industry\nA1,500,Software\nacc-00101,1000,Software\n102,300,Retail\n"
            "00103,50,Software\n00103,5000,Software\n,20,Retail\nZ7,10,Retail\nZ7,10,Retail\nW1,10,Retail\n")
EXPECTED = {
    "rows": 9, "rows_without_id": 1, "duplicate_ids": 2, "duplicate_examples": ["00103", "Z7"],
    "contacts_with_account_id": 6, "matched": 2, "unmatched": 4, "unmatched_examples": ["ACC-00101", "00102", "X9"],
    "likely_same": [["ACC-00101", "acc-00101"], ["00102", "102"]],
}
DUPLICATES_LINE = "accounts file: 2 duplicate account ids, the first row of each kept, e.g. '00103', 'Z7'"
UNMATCHED_LINE = ("account ids not in the accounts file: 4 of 6 contacts, scored without the file's fields; "
                  "e.g. 'ACC-00101', '00102', 'X9'; some differ from the file's ids only in case or leading zeros: "
                  "'ACC-00101' (file 'acc-00101'), '00102' (file '102'): export the ids alike in both")


def _files(tmp_path, accounts: str = ACCOUNTS):
    (tmp_path / "r.yaml").write_text(RULESET)
    (tmp_path / "c.csv").write_text(CONTACTS)
    (tmp_path / "a.csv").write_text(accounts)
    return tmp_path / "r.yaml", tmp_path / "c.csv", tmp_path / "a.csv"


def test_the_join_is_accounted_for_and_the_scores_show_what_it_joined(tmp_path):
    ruleset, contacts, accounts = _files(tmp_path)
    result = read_and_score(load_ruleset(str(ruleset)), [str(contacts)], account_specs=[str(accounts)], as_of=AS_OF)
    assert result.stats.accounts_file == EXPECTED
    # 7: the first of 00103's rows (50 employees) was joined, not the second (5000).
    assert result.scored.select("lead_id", "explanation", "disqualification_reasons").rows() == [
        ("1", "big company +20; software +10", []), ("2", "", ["too_small"]), ("3", "", ["too_small"]),
        ("4", "", ["too_small"]), ("5", "", ["too_small"]), ("6", "", ["too_small"]),
        ("7", "software +10", ["too_small"])]
    assert not any(c.startswith("_acct") for c in result.scored.columns)


def test_the_summary_json_and_the_report_say_it(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    ruleset, contacts, accounts = _files(tmp_path)
    out = run_cli(["score", contacts, "-r", ruleset, "--accounts", accounts, "--as-of", "2026-11-01",
                   "-o", tmp_path / "out.csv", "--summary-json", tmp_path / "s.json"])
    assert json.loads((tmp_path / "s.json").read_text())["accounts_file"] == EXPECTED
    text = " ".join(out.stdout.split())
    assert DUPLICATES_LINE in text
    assert UNMATCHED_LINE in text


def test_the_report_lines_from_the_figures():
    assert accounts_file_notes(EXPECTED) == [DUPLICATES_LINE, UNMATCHED_LINE]
    one = {**EXPECTED, "duplicate_ids": 1, "duplicate_examples": ["00103"], "likely_same": [], "unmatched": 1,
           "unmatched_examples": ["X9"]}
    assert accounts_file_notes(one) == [
        "accounts file: 1 duplicate account id, the first row of each kept, e.g. '00103'",
        "account ids not in the accounts file: 1 of 6 contacts, scored without the file's fields; e.g. 'X9'"]
    clean = {**EXPECTED, "duplicate_ids": 0, "duplicate_examples": [], "unmatched": 0, "unmatched_examples": [],
             "likely_same": [], "matched": 6}
    assert accounts_file_notes(clean) == []


def test_every_id_matched_says_nothing(tmp_path):
    ruleset, contacts, accounts = _files(tmp_path, "acct_id,employees,industry\nA1,500,Software\nACC-00101,1,x\n"
                                                   "00102,1,x\nX9,1,x\n00103,1,x\n")
    out = run_cli(["score", contacts, "-r", ruleset, "--accounts", accounts, "--as-of", "2026-11-01",
                   "-o", tmp_path / "out.csv", "--summary-json", tmp_path / "s.json"])
    assert json.loads((tmp_path / "s.json").read_text())["accounts_file"] == {
        "rows": 5, "rows_without_id": 0, "duplicate_ids": 0, "duplicate_examples": [],
        "contacts_with_account_id": 6, "matched": 6, "unmatched": 0, "unmatched_examples": [], "likely_same": []}
    assert "accounts file" not in out.stdout


def test_no_accounts_file_no_accounting(tmp_path):
    ruleset, contacts, _ = _files(tmp_path)
    out = run_cli(["score", contacts, "-r", ruleset, "--as-of", "2026-11-01", "-o", tmp_path / "out.csv",
                   "--summary-json", tmp_path / "s.json"])
    assert json.loads((tmp_path / "s.json").read_text())["accounts_file"] is None
    assert "accounts file" not in out.stdout


def test_an_empty_accounts_export_leaves_every_account_id_unmatched(tmp_path):
    ruleset, contacts, accounts = _files(tmp_path, "")
    result = read_and_score(load_ruleset(str(ruleset)), [str(contacts)], account_specs=[str(accounts)], as_of=AS_OF)
    assert result.stats.accounts_file == {
        "rows": 0, "rows_without_id": 0, "duplicate_ids": 0, "duplicate_examples": [],
        "contacts_with_account_id": 6, "matched": 0, "unmatched": 6, "unmatched_examples": ["A1", "ACC-00101",
                                                                                            "00102", "X9", "00103"],
        "likely_same": []}


def test_the_contacts_need_an_account_id_to_join_the_file(tmp_path):
    ruleset, contacts, accounts = _files(tmp_path)
    ruleset.write_text(RULESET.replace("columns: {lead_id: id, account_id: acct}", "columns: {lead_id: id}"))
    out = run_cli(["score", contacts, "-r", ruleset, "--accounts", accounts, "--as-of", "2026-11-01",
                   "-o", tmp_path / "out.csv"], exit_code=2)
    assert out.stderr.startswith(f"leadq: error: {ruleset}:3:31: account_columns: the accounts file is joined on "
                                 "the contacts' account id: map 'account_id' under 'columns' too (the CRM column "
                                 "that holds each contact's account id)")


def test_ids_written_with_a_zero_fraction_pair_up_and_examples_are_capped():
    per_id = pl.DataFrame({"account_id": ["7", "8", None], "rows": [1, 1, 2]}, schema_overrides={"rows": pl.UInt32})
    ids = [f"u{i}" for i in range(7)] + ["7.0", None]
    match = pl.Series([False] * 8 + [None])
    got = account_accounting(per_id, match, pl.Series(ids))
    assert got == {"rows": 4, "rows_without_id": 2, "duplicate_ids": 0, "duplicate_examples": [],
                   "contacts_with_account_id": 8, "matched": 0, "unmatched": 8,
                   "unmatched_examples": ["u0", "u1", "u2", "u3", "u4"], "likely_same": [["7.0", "7"]]}


def test_the_sample_matches_every_account_id():
    result = read_and_score(load_ruleset(str(SAMPLE.parent / "rulesets" / "b2b_saas.yaml")),
                            [str(SAMPLE / "contacts.csv")], account_specs=[str(SAMPLE / "accounts.csv")], as_of=AS_OF)
    assert result.stats.accounts_file == {
        "rows": 750, "rows_without_id": 0, "duplicate_ids": 0, "duplicate_examples": [],
        "contacts_with_account_id": 2469, "matched": 2469, "unmatched": 0, "unmatched_examples": [],
        "likely_same": []}
