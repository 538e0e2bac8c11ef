"""``assign: account`` with ``--previous``: an account's new contacts follow the owner its kept contacts have.

Every expected owner is worked out by hand in the tests' docstrings. The ruleset: fit 20 for 200+ employees,
10 more for 1000+; tier hot at fit >= 20. Contacts with 200+ employees go to ``abm`` (owners ana, bea, cal,
one turn per account by ``account_id``), the others to ``inbound`` (sam, tina, one turn per lead). The
previous outputs are written by hand (a CSV records no as-of time: no warning). Each case runs through the
CLI and through the library calls the CLI makes (``ScoreResult.account_keys`` handed to
``compare_with_previous``).
"""

from __future__ import annotations

import polars as pl
import pytest

from leadq.changes import compare_with_previous, read_previous
from leadq.pipeline import read_and_score
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, run_cli

RULESET = """\
version: 1
name: account owners
columns:
  lead_id: id
  email: email
  account_id: account
  company_size: employees
settings:
  half_life_days: none
fit:
  - id: size
    when: company_size >= 200
    points: 20
  - id: large
    when: company_size >= 1000
    points: 10
tiers:
  - name: hot
    when: fit >= 20
  - name: other
    otherwise: true
routing:
  rules:
    - when: company_size >= 200
      route: abm
      owners: [ana, bea, cal]
      assign: account
    - otherwise: true
      route: inbound
      owners: [sam, tina]
accounts:
  key: [account_id]
  tiers:
    - name: any
      otherwise: true
"""
ABM_OWNERS = "      owners: [ana, bea, cal]\n"
PREVIOUS_COLUMNS = ["lead_id", "tier", "total_score", "route", "owner"]


def _write(tmp_path, contacts, previous, text):
    """contacts: (id, account, employees); previous: rows of PREVIOUS_COLUMNS."""
    paths = tmp_path / "contacts.csv", tmp_path / "previous.csv", tmp_path / "rules.yaml"
    pl.DataFrame([(i, f"{i.lower()}@example.com", a, e) for i, a, e in contacts],
                 schema=["id", "email", "account", "employees"], orient="row").write_csv(paths[0])
    pl.DataFrame(previous, schema=PREVIOUS_COLUMNS, orient="row").write_csv(paths[1])
    paths[2].write_text(text)
    return paths


def _by_cli(tmp_path, contacts, previous, text=RULESET) -> pl.DataFrame:
    contacts_csv, previous_csv, rules = _write(tmp_path, contacts, previous, text)
    out = tmp_path / "scored.csv"
    run_cli(["score", contacts_csv, "-r", rules, "--as-of", "2026-11-01", "-q", "--out", out,
             "--previous", previous_csv])
    scored = pl.read_csv(out, infer_schema=False)
    assert "_account_key" not in scored.columns
    return scored


def _by_library(tmp_path, contacts, previous, text=RULESET) -> pl.DataFrame:
    contacts_csv, previous_csv, rules = _write(tmp_path, contacts, previous, text)
    result = read_and_score(load_ruleset(str(rules)), [str(contacts_csv)], as_of=AS_OF)
    assert "_account_key" not in result.scored.columns
    scored, _ = compare_with_previous(result.scored, read_previous(str(previous_csv)), result.ruleset,
                                      as_of=AS_OF, account_keys=result.account_keys)
    return scored


@pytest.fixture(params=[
    "library",
    "cli",
])
def score(request):
    """Score ``contacts`` against a ``previous`` output: lead_id -> (route, owner, change)."""
    way = _by_library if request.param == "library" else _by_cli

    def run(tmp_path, contacts, previous, text=RULESET):
        scored = way(tmp_path, contacts, previous, text)
        return {r["lead_id"]: (r["route"], r["owner"], r["change"]) for r in scored.to_dicts()}
    return run


def test_a_new_contact_follows_its_accounts_owner_and_a_new_account_takes_a_turn(tmp_path, score):
    """Previous: acme ana, globex bea, initech cal (what a first run gives: accounts in key order).
    K2 is globex's new contact: bea, globex's owner (per lead it would have been ana, the first of three
    owners keeping one each). The new units: umbrella (U1, U2), then D1 (no account). Each owner keeps one
    account (K2 follows bea and adds none), so the turns go ana, bea, cal: umbrella ana, D1 bea."""
    contacts = [("K1", "globex", "500"), ("K2", "globex", "500"), ("M1", "acme", "500"), ("N1", "initech", "500"),
                ("U1", "umbrella", "500"), ("U2", "umbrella", "500"), ("D1", None, "500")]
    previous = [("K1", "hot", 20.0, "abm", "bea"), ("M1", "hot", 20.0, "abm", "ana"),
                ("N1", "hot", 20.0, "abm", "cal")]
    assert score(tmp_path, contacts, previous) == {
        "K1": ("abm", "bea", "unchanged"), "K2": ("abm", "bea", "new"), "M1": ("abm", "ana", "unchanged"),
        "N1": ("abm", "cal", "unchanged"), "U1": ("abm", "ana", "new"), "U2": ("abm", "ana", "new"),
        "D1": ("abm", "bea", "new")}


def test_an_account_kept_by_several_owners_gives_its_new_contacts_the_most_common(tmp_path, score):
    """globex was split: G1 bea, G2 and G3 cal -> G4 goes to cal. hooli: H1 cal, H2 bea, one each: the tie goes
    to the owner listed first on the route (ana, bea, cal) -> H3 bea. Kept contacts keep their own owners."""
    contacts = [("G1", "globex", "500"), ("G2", "globex", "500"), ("G3", "globex", "500"), ("G4", "globex", "500"),
                ("H1", "hooli", "500"), ("H2", "hooli", "500"), ("H3", "hooli", "500")]
    previous = [("G1", "hot", 20.0, "abm", "bea"), ("G2", "hot", 20.0, "abm", "cal"),
                ("G3", "hot", 20.0, "abm", "cal"), ("H1", "hot", 20.0, "abm", "cal"),
                ("H2", "hot", 20.0, "abm", "bea")]
    assert score(tmp_path, contacts, previous) == {
        "G1": ("abm", "bea", "unchanged"), "G2": ("abm", "cal", "unchanged"), "G3": ("abm", "cal", "unchanged"),
        "G4": ("abm", "cal", "new"), "H1": ("abm", "cal", "unchanged"), "H2": ("abm", "bea", "unchanged"),
        "H3": ("abm", "bea", "new")}


def test_a_capacity_counts_new_accounts_and_not_an_accounts_new_contacts(tmp_path, score):
    """abm owners ana and bea, capacity 1 each. K1 (globex) stays with bea, and K2 follows it: neither counts
    against bea's capacity. The new accounts go most urgent first (no SLA: best total, then key): acme 30
    (M2 has 1000+ employees), initech 30, umbrella 20. Turns: ana (keeps nothing) then bea (keeps one
    account): acme ana (both its contacts, one account), initech bea, umbrella none (every owner full)."""
    text = RULESET.replace(ABM_OWNERS, "      owners: [ana, bea]\n      capacity: 1\n")
    contacts = [("K1", "globex", "500"), ("K2", "globex", "500"), ("M1", "acme", "500"), ("M2", "acme", "1000"),
                ("N1", "initech", "1000"), ("U1", "umbrella", "500")]
    previous = [("K1", "hot", 20.0, "abm", "bea")]
    assert score(tmp_path, contacts, previous, text) == {
        "K1": ("abm", "bea", "unchanged"), "K2": ("abm", "bea", "new"), "M1": ("abm", "ana", "new"),
        "M2": ("abm", "ana", "new"), "N1": ("abm", "bea", "new"), "U1": ("abm", None, "new")}


def test_a_contact_moving_to_the_account_route_follows_its_account(tmp_path, score):
    """L1 (globex) and L2 (hooli) were on inbound and now have 500 employees: abm, a new route for them.
    globex is kept by bea (K1) -> L1 bea. hooli keeps no contact on abm: a new account; ana keeps acme, bea
    globex, cal nothing -> L2 cal. O1 (globex) left abm for inbound: inbound rotates per lead, S1 stays with
    sam -> O1 tina; O1 was globex's on abm but is not kept there, so it does not count for globex."""
    contacts = [("K1", "globex", "500"), ("M1", "acme", "500"), ("L1", "globex", "500"), ("L2", "hooli", "500"),
                ("S1", "stark", "100"), ("O1", "globex", "100")]
    previous = [("K1", "hot", 20.0, "abm", "bea"), ("M1", "hot", 20.0, "abm", "ana"),
                ("L1", "hot", 20.0, "inbound", "sam"), ("L2", "hot", 20.0, "inbound", "tina"),
                ("S1", "other", 0.0, "inbound", "sam"), ("O1", "hot", 20.0, "abm", "cal")]
    assert score(tmp_path, contacts, previous) == {
        "K1": ("abm", "bea", "unchanged"), "M1": ("abm", "ana", "unchanged"), "L1": ("abm", "bea", "route_changed"),
        "L2": ("abm", "cal", "route_changed"), "S1": ("inbound", "sam", "unchanged"),
        "O1": ("inbound", "tina", "tier_changed")}


def test_an_owner_away_keeps_the_accounts_new_contacts_but_takes_no_new_account(tmp_path):
    """--away bea: bea keeps globex (K1) and its new contact K2 (an account is not split while its owner is
    away); the new account umbrella goes to the free owners: ana and cal keep one each, ana listed first."""
    contacts = [("K1", "globex", "500"), ("K2", "globex", "500"), ("M1", "acme", "500"), ("N1", "initech", "500"),
                ("U1", "umbrella", "500")]
    previous = [("K1", "hot", 20.0, "abm", "bea"), ("M1", "hot", 20.0, "abm", "ana"),
                ("N1", "hot", 20.0, "abm", "cal")]
    from leadq.routing import with_owners_away

    contacts_csv, previous_csv, rules = _write(tmp_path, contacts, previous, RULESET)
    result = read_and_score(with_owners_away(load_ruleset(str(rules)), ["bea"]), [str(contacts_csv)], as_of=AS_OF)
    scored, figures = compare_with_previous(result.scored, read_previous(str(previous_csv)), result.ruleset,
                                            as_of=AS_OF, account_keys=result.account_keys)
    assert dict(zip(scored["lead_id"], scored["owner"])) == {"K1": "bea", "K2": "bea", "M1": "ana", "N1": "cal",
                                                             "U1": "ana"}
    assert figures["owners_kept"] == 3


def test_without_the_account_keys_each_contact_takes_its_own_turn(tmp_path):
    """compare_with_previous without account_keys (as before): K2 is balanced per lead. ana, bea and cal keep one
    lead each -> K2 ana, U1 bea."""
    contacts = [("K1", "globex", "500"), ("K2", "globex", "500"), ("M1", "acme", "500"), ("N1", "initech", "500"),
                ("U1", "umbrella", "500")]
    previous = [("K1", "hot", 20.0, "abm", "bea"), ("M1", "hot", 20.0, "abm", "ana"),
                ("N1", "hot", 20.0, "abm", "cal")]
    contacts_csv, previous_csv, rules = _write(tmp_path, contacts, previous, RULESET)
    result = read_and_score(load_ruleset(str(rules)), [str(contacts_csv)], as_of=AS_OF)
    assert result.account_keys.sort("lead_id").rows() == [
        ("K1", "globex"), ("K2", "globex"), ("M1", "acme"), ("N1", "initech"), ("U1", "umbrella")]
    scored, _ = compare_with_previous(result.scored, read_previous(str(previous_csv)), result.ruleset, as_of=AS_OF)
    assert dict(zip(scored["lead_id"], scored["owner"])) == {"K1": "bea", "K2": "ana", "M1": "ana", "N1": "cal",
                                                             "U1": "bea"}


def test_a_ruleset_without_assign_account_hands_on_no_keys(tmp_path):
    contacts_csv, _, rules = _write(tmp_path, [("K1", "globex", "500")], [], RULESET.replace("      assign: account\n", ""))
    result = read_and_score(load_ruleset(str(rules)), [str(contacts_csv)], as_of=AS_OF)
    assert result.account_keys is None
    assert "_account_key" not in result.scored.columns
