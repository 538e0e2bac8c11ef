"""Account rollup on a hand-computed fixture (tests/fixtures/accounts/).

Contacts (fit rules size +20, software +10, senior title +15; intent demo +30,
page +5 each, unsubscribe -10; no decay):

========  ==================  =========  ===========  ===============  ======================  ========
contact   title               key        fit (firm.)  intent (capped)  roles held              engaged
========  ==================  =========  ===========  ===============  ======================  ========
c1        VP Marketing        A1         45 (30)      45 (40)          economic_buyer           yes
c2        Software Engineer   A1         30 (30)      5                technical_evaluator,user yes
c3        CTO                 A1         45 (30)      0                economic_buyer,tech_eval no
c4        Marketing Manager   A1         0  (0)       -10              user                     no
c5        Director of IT      beta.io    15 (0)       30               technical_evaluator      yes
c6        Data Analyst        beta.io    0  (0)       10               technical_evaluator,user yes
c7        Marketing Manager   gamma.com  20 (20)      0                user                     no
c8        Consultant          (none: personal e-mail, no account id or website)
========  ==================  =========  ===========  ===============  ======================  ========

A1: 4 contacts, 2 engaged, fit max(30, 30, 30, 0) = 30, intent 40 + 5 + 0 - 10 = 35, roles covered by
engaged contacts: economic_buyer (c1), technical_evaluator and user (c2) -> committee.
beta.io ("https://www.Beta.io/about" and "BETA.IO"): 2 contacts, 2 engaged, fit 0, intent 40,
roles technical_evaluator, user -> engaged (intent >= 30).
gamma.com (from the e-mail): 1 contact, 0 engaged, fit 20, intent 0, no roles -> target.
"""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from leadq.errors import RulesetError
from leadq.pipeline import read_and_score
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, FIXTURES, ROOT, SAMPLE, run_cli

DIR = FIXTURES / "accounts"
RULESET = DIR / "ruleset.yaml"


def _run(ruleset_path=RULESET, rollup="account"):
    return read_and_score(load_ruleset(str(ruleset_path)), [str(DIR / "contacts.csv")], [str(DIR / "events.csv")],
                          as_of=AS_OF, rollup=rollup)


EXPECTED = pl.DataFrame(
    {
        "account_id": ["beta.io", "A1", "gamma.com"],
        "company": ["Beta", "Alpha", "Gamma"],  # the first non-blank company name among the contacts
        "contacts": [2, 4, 1],
        "engaged_contacts": [2, 2, 0],
        "account_fit": [0.0, 30.0, 20.0],
        "account_intent": [40.0, 35.0, 0.0],
        "roles_covered": [["technical_evaluator", "user"], ["economic_buyer", "technical_evaluator", "user"], []],
        "account_tier": ["engaged", "committee", "target"],
    },
    schema_overrides={"roles_covered": pl.List(pl.String)},
)


def test_account_rollup_figures():
    result = _run()
    # Sorted by account intent, highest first.
    assert_frame_equal(result.accounts, EXPECTED)


def test_each_lead_carries_its_account_tier():
    scored = _run().scored
    assert dict(zip(scored["lead_id"], scored["account_tier"])) == {
        "c1": "committee", "c2": "committee", "c3": "committee", "c4": "committee",
        "c5": "engaged", "c6": "engaged", "c7": "target", "c8": None,
    }
    assert scored.columns[-1] == "account_tier"


def test_contact_scores_behind_the_rollup():
    scored = _run().scored
    got = {r["lead_id"]: (r["fit_score"], r["intent_score"]) for r in scored.to_dicts()}
    assert got == {"c1": (45, 45), "c2": (30, 5), "c3": (45, 0), "c4": (0, -10), "c5": (15, 30), "c6": (0, 10),
                   "c7": (20, 0), "c8": (0, 0)}


def test_accounts_are_computed_without_rollup_but_not_returned():
    result = _run(rollup=None)
    assert result.accounts is None
    assert result.scored.filter(pl.col("lead_id") == "c1")["account_tier"].item() == "committee"


def test_account_fit_defaults_to_the_best_contact_fit(tmp_path):
    """Without fit_rules: A1 max(45, 30, 45, 0) = 45, beta.io max(15, 0) = 15, gamma.com 20."""
    path = tmp_path / "r.yaml"
    path.write_text(RULESET.read_text().replace("  fit_rules: [size, software]\n", ""))
    accounts = _run(path).accounts
    assert dict(zip(accounts["account_id"], accounts["account_fit"])) == {"A1": 45.0, "beta.io": 15.0,
                                                                          "gamma.com": 20.0}


@pytest.mark.parametrize("group,fit_rules,expected", [
    # size + software capped at 25 together: A1's contacts 20 + 10 -> 25; gamma.com 20; beta.io 0.
    ("[size, software]", "[size, software]", {"A1": 25.0, "beta.io": 0.0, "gamma.com": 20.0}),
    # Only size of the group is listed: its 20 capped at 15; senior adds 15 on its own.
    # A1: c1 and c3 15 + 15 = 30; beta.io: c5 senior 15; gamma.com 15.
    ("[size, software]", "[size, senior]", {"A1": 30.0, "beta.io": 15.0, "gamma.com": 15.0}),
])
def test_account_fit_counts_a_score_groups_cap(tmp_path, group, fit_rules, expected):
    cap = 25 if fit_rules == "[size, software]" else 15
    text = RULESET.read_text().replace("  fit_rules: [size, software]\n", f"  fit_rules: {fit_rules}\n")
    text = text.replace("\nfit:\n", f"\ngroups:\n  firmographic: {{label: Firmographics, cap: {cap}}}\n\nfit:\n")
    for rule in group.strip("[]").split(", "):
        text = text.replace(f"  - id: {rule}\n", f"  - id: {rule}\n    group: firmographic\n")
    path = tmp_path / "r.yaml"
    path.write_text(text)
    result = _run(path)
    assert dict(zip(result.accounts["account_id"], result.accounts["account_fit"])) == expected
    # The contacts' fit scores count the cap too: c1 = min(20 + 10, cap) + senior 15.
    assert result.scored.filter(pl.col("lead_id") == "c1")["fit_score"].item() == min(30, cap) + 15


def test_no_intent_cap_and_a_custom_engaged_condition(tmp_path):
    """No cap: A1 intent 45 + 5 + 0 - 10 = 40. engaged = intent >= 10: c1 and c5, c6 only."""
    path = tmp_path / "r.yaml"
    path.write_text(RULESET.read_text().replace("  contact_intent_cap: 40\n", "  engaged: intent >= 10\n"))
    accounts = _run(path).accounts
    rows = {r["account_id"]: r for r in accounts.to_dicts()}
    assert rows["A1"]["account_intent"] == 40.0
    assert rows["A1"]["engaged_contacts"] == 1
    assert rows["A1"]["roles_covered"] == ["economic_buyer"]  # c2 (5) no longer engaged
    assert rows["A1"]["account_tier"] == "engaged"  # one engaged contact: not a committee
    assert rows["beta.io"]["engaged_contacts"] == 2


def test_cli_writes_the_accounts_file_beside_the_leads(tmp_path):
    out = tmp_path / "leads.csv"
    result = run_cli(["score", DIR / "contacts.csv", "-a", DIR / "events.csv", "-r", RULESET,
                      "--as-of", "2026-11-01", "-o", out, "--rollup", "account"])
    path = tmp_path / "leads.accounts.csv"
    assert path.read_text().splitlines() == [
        "account_id,company,contacts,engaged_contacts,account_fit,account_intent,roles_covered,account_tier",
        "beta.io,Beta,2,2,0.0,40.0,technical_evaluator; user,engaged",
        "A1,Alpha,4,2,30.0,35.0,economic_buyer; technical_evaluator; user,committee",
        "gamma.com,Gamma,1,0,20.0,0.0,\"\",target",  # an empty list is "" (a blank would be null)
    ]
    assert "accounts 3: committee 1; engaged 1; target 1" in result.stdout
    assert f"accounts: {path}" in result.stdout


def test_cli_dated_output_names_keep_their_date(tmp_path):
    # A cron job writing one file a day: the rejects and accounts beside it are that day's too.
    for day in ("2026-11-01", "2026-11-02"):
        out = tmp_path / f"leads.{day}.csv"
        result = run_cli(["score", DIR / "contacts.csv", "-a", DIR / "events.csv", "-r", RULESET,
                          "--as-of", day, "-o", out, "--rollup", "account"])
        assert f"accounts: {tmp_path / f'leads.{day}.accounts.csv'}" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"leads.{day}.{kind}" for day in ("2026-11-01", "2026-11-02")
        for kind in ("accounts.csv", "csv", "rejects.csv")]


def test_sample_rollup_accounts_for_every_contact_with_a_key(tmp_path):
    out = tmp_path / "scored.parquet"
    run_cli(["score", SAMPLE / "contacts.csv", "-a", str(SAMPLE / "events" / "*.csv"), "--accounts",
             SAMPLE / "accounts.csv", "--as-of", "2026-11-01", "-o", out, "--rollup", "account", "-q"])
    leads = pl.read_parquet(out)
    accounts = pl.read_parquet(tmp_path / "scored.accounts.parquet")
    assert accounts["account_id"].n_unique() == accounts.height
    assert accounts["contacts"].sum() == leads["account_tier"].is_not_null().sum()
    assert (accounts["engaged_contacts"] <= accounts["contacts"]).all()
    assert set(accounts["account_tier"]) <= {"buying_committee", "engaged", "target", "other"}
    # Each lead's account tier is its account's.
    per_tier = leads.drop_nulls("account_tier").group_by("account_tier").len()
    expected = accounts.group_by("account_tier").agg(pl.col("contacts").sum().cast(pl.UInt32).alias("len"))
    assert_frame_equal(per_tier.sort("account_tier"), expected.sort("account_tier"))


@pytest.mark.parametrize("old,new,message", [
    ("  key: [account_id, company_domain, email_domain]", "  key: [account_id, domain]",
     ":55:8: accounts.key: unknown key 'domain'"),
    ("  key: [account_id, company_domain, email_domain]", "  key: [workspace_id]",
     "accounts.key: 'workspace_id' needs 'workspace_id' mapped under 'columns' (the contact's workspace) or "
     "'activity_columns' (that of its latest event)"),
    ("  fit_rules: [size, software]", "  fit_rules: [size, demo]", "accounts.fit_rules: 'demo' is not a fit rule"),
    ('    user: seniority in ["manager", "ic"]', '    contacts: seniority in ["manager", "ic"]',
     "accounts.roles: 'contacts' is the name of an account field; rename the role"),
    ("      when: account_intent >= 30", "      when: intent >= 30",
     ":66:13: account tier 'engaged': unknown field 'intent'"),
    ('    economic_buyer: seniority in ["c_level", "vp"]', '    economic_buyer: seniorty in ["c_level", "vp"]',
     ":59:21: accounts.roles.economic_buyer: unknown field 'seniorty'; did you mean 'seniority'?"),
])
def test_accounts_section_errors(tmp_path, old, new, message):
    text = RULESET.read_text()
    assert old in text
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new))
    with pytest.raises(RulesetError) as err:
        load_ruleset(str(path))
    assert message in str(err.value)


def test_a_field_mapped_only_for_accounts_is_blank_without_an_accounts_file(tmp_path):
    """`technologies` mapped under account_columns only: without --accounts the technographic rule never fires
    and the summary says the column is absent; with --accounts it fills from the companies export."""
    text = (ROOT / "rulesets" / "b2b_saas.yaml").read_text()
    mapped = "  technologies: Technologies\n"
    assert text.count(mapped) == 2  # under columns, then under account_columns
    ruleset = tmp_path / "accounts_only.yaml"
    ruleset.write_text(text.replace(mapped, "", 1))
    args = ["score", SAMPLE / "contacts.csv", "--as-of", "2026-11-01", "-r", ruleset]
    result = run_cli(args + ["-o", tmp_path / "without.parquet"])
    assert ("mapped columns absent from the input (treated as blank): Technologies (an accounts column: no "
            "--accounts given)") in " ".join(result.stdout.split())
    fired = pl.col("explanation").str.contains("Uses a CRM we integrate with")
    assert pl.read_parquet(tmp_path / "without.parquet").filter(fired).height == 0
    run_cli(args + ["--accounts", SAMPLE / "accounts.csv", "-o", tmp_path / "with.parquet", "-q"])
    assert pl.read_parquet(tmp_path / "with.parquet").filter(fired).height > 0


def test_an_empty_accounts_export_fills_nothing_and_a_wrong_one_is_named(tmp_path):
    args = ["score", SAMPLE / "contacts.csv", "--as-of", "2026-11-01", "-q"]
    run_cli(args + ["-o", tmp_path / "without.csv"])
    (tmp_path / "accounts.csv").write_bytes(b"")  # a night with no companies exported
    run_cli(args + ["--accounts", tmp_path / "accounts.csv", "-o", tmp_path / "empty.csv"])
    assert (tmp_path / "empty.csv").read_bytes() == (tmp_path / "without.csv").read_bytes()
    (tmp_path / "accounts.csv").write_text("Company\nAcme\n")
    result = run_cli(args + ["--accounts", tmp_path / "accounts.csv", "-o", tmp_path / "x.csv"], exit_code=3)
    assert result.stderr.startswith(f"leadq: error: {tmp_path / 'accounts.csv'}: missing column 'Record ID' "
                                    "(for account_id); the file has: Company.")


def test_an_account_row_blank_in_every_mapped_column_is_left_out_and_its_other_columns_are_not_parsed(tmp_path):
    # Such a row has no account id: the join left it out before; now the reader does, so that the
    # columns the ruleset does not map are not parsed (pipeline.read_account_files).
    from leadq.inputs import collect_input
    from leadq.pipeline import read_account_files

    (tmp_path / "r.yaml").write_text("""version: 1
columns: {lead_id: id, account_id: acct}
account_columns: {account_id: acct_id, company_size: size}
fit:
  - {id: big, when: 'company_size >= 100', points: 10, label: big company}
tiers:
  - {name: all, otherwise: true}
""")
    ruleset = load_ruleset(str(tmp_path / "r.yaml"))
    (tmp_path / "c.csv").write_text("id,acct\n1,A\n2,B\n")
    accounts = tmp_path / "a.csv"
    accounts.write_text("acct_id,size,owner\nA,500,ann\n,,bob\nB,50,\n")
    [file] = read_account_files([str(accounts)], ruleset)
    assert collect_input(file.frame, str(accounts))["_source_row"].to_list() == [1, 3]
    assert "PROJECT 2/3 COLUMNS" in file.frame.select("acct_id", "size").explain()
    assert read_account_files([], ruleset) == []
    result = read_and_score(ruleset, [str(tmp_path / "c.csv")], account_specs=[str(accounts)], as_of=AS_OF)
    assert result.scored.select("lead_id", "fit_score").rows() == [("1", 10.0), ("2", 0.0)]


def test_cli_prints_long_output_paths_on_one_line(tmp_path, monkeypatch):
    # Not on a TTY the summary is 100 columns wide; a script or a cron log reads the paths off it.
    monkeypatch.setenv("COLUMNS", "100")
    folder = tmp_path / ("a_folder_with_a_long_name_" * 4)
    folder.mkdir()
    out = folder / "leads.2026-11-01.csv"
    result = run_cli(["score", DIR / "contacts.csv", "-a", DIR / "events.csv", "-r", RULESET,
                      "--as-of", "2026-11-01", "-o", out, "--rollup", "account"])
    lines = result.stdout.splitlines()
    assert len(f"accounts: {folder / 'leads.2026-11-01.accounts.csv'}") > 100
    assert lines[-3:] == [f"scored: {out}", f"rejects: {folder / 'leads.2026-11-01.rejects.csv'}",
                          f"accounts: {folder / 'leads.2026-11-01.accounts.csv'}"]


def test_account_intent_does_not_depend_on_the_contacts_order():
    """Three contacts' intents added in any input order give the same account intent, to the last bit.

    Smallest first, one by one: (15.394549 + 31.566115) + 34.896971 = 81.857635; Polars' grouped sum of
    the first order below gave 81.85763499999999 and of the others 81.857635.
    """
    import itertools

    from leadq.accounts import KEY_COLUMN, rollup

    ruleset = load_ruleset(str(RULESET))

    def contacts(intents):
        n = len(intents)
        return pl.LazyFrame({KEY_COLUMN: ["A1"] * n, "_acct__engaged": [True] * n, "_acct__intent": intents,
                             "_acct__fit": [0.0] * n, "_role__economic_buyer": [False] * n,
                             "_role__technical_evaluator": [False] * n, "_role__user": [False] * n,
                             "company": ["Alpha"] * n, "company_size": [500] * n, "industry": ["Software"] * n,
                             "_order": list(range(n))})

    got = {rollup(contacts(list(order)), ruleset).collect()["account_intent"][0]
           for order in itertools.permutations([15.394549, 31.566115, 34.896971])}
    assert got == {81.857635}


def test_account_scores_are_snapped_as_the_leads_scores_are():
    """Snapped to 9 decimals (leadq.compiler.snapped), before the tiers read them: 0.1 + 0.2 is 0.3, not
    0.30000000000000004; 69.4205412019 + 0.0000000000012 is 69.420541202 (the tail below 5e-10 goes)."""
    from leadq.accounts import KEY_COLUMN, rollup

    ruleset = load_ruleset(str(RULESET))
    contacts = pl.LazyFrame({KEY_COLUMN: ["A1", "A1", "B2", "B2"], "_acct__engaged": [True] * 4,
                             "_acct__intent": [0.1, 0.2, 69.4205412019, 0.0000000000012],
                             "_acct__fit": [0.1 + 0.2, 0.0, 2.675000000000001, 1.0],
                             "_role__economic_buyer": [False] * 4, "_role__technical_evaluator": [False] * 4,
                             "_role__user": [False] * 4, "company": ["Alpha"] * 2 + ["Beta"] * 2,
                             "company_size": [500] * 4, "industry": ["Software"] * 4, "_order": [0, 1, 2, 3]})
    got = rollup(contacts, ruleset).collect()
    assert got.select("account_id", "account_fit", "account_intent").rows() == [
        ("B2", 2.675, 69.420541202), ("A1", 0.3, 0.3)]
