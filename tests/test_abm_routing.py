"""Account-based routing: owners rotate over accounts (``assign: account``), routing reads the account's
figures, and ``accounts.intent_from: engaged``.

Every expected value is worked out by hand below. No decay; as of 2026-11-01T00:00Z.

========  ========  =====  ======  ===========================  =====  ======  =====  ============
contact   account   size   status  events                       fit    intent  total  tier
========  ========  =====  ======  ===========================  =====  ======  =====  ============
A1        globex    500            demo 10-20                   20     30      50     hot
A2        globex    500            page 10-21                   20     5       25     other
A3        globex    500                                         20     0       20     other
B1        acme      300            page 10-21, page 10-22       20     10      30     other
B2        acme      300    STUDENT demo 10-23                   20     30      50     disqualified
C1        initech   50             demo 10-24                   0      30      30     hot
D1        (none)    100            demo 10-25                   0      30      30     hot
D2        (none)    100                                         0      0       0      other
E1        umbrella  100                                         0      0       0      other
E2        umbrella  100                                         0      0       0      other
========  ========  =====  ======  ===========================  =====  ======  =====  ============

Accounts (engaged: intent > 0): acme 2 contacts, 2 engaged, fit 20, intent 10 + 30 = 40;
globex 3, 2 engaged (A1, A2), fit 20, intent 35; initech 1, 1, fit 0, intent 30;
umbrella 2, 0, fit 0, intent 0. D1 and D2 have no account.
"""

from __future__ import annotations

import polars as pl
import pytest

from leadq.errors import RulesetError
from leadq.pipeline import score_frames
from leadq.routing import with_owners_away
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, run_cli

RULESET = """\
version: 1
name: ABM routing
columns:
  lead_id: id
  email: email
  account_id: account
  company_size: employees
  lead_status: status
activity_columns:
  lead_id: id
  event_type: type
  occurred_at: at
settings:
  half_life_days: none
fit:
  - id: size
    when: company_size >= 200
    points: 20
intent:
  - id: demo
    event: demo_request
    points: 30
  - id: page
    event: page_view
    points: 5
disqualifiers:
  - code: student
    category: bad_fit
    when: lead_status = "STUDENT"
tiers:
  - name: disqualified
    when: bad_fit
  - name: hot
    when: intent >= 30
  - name: other
    otherwise: true
routing:
  rules:
    - when: account_intent >= 30
      route: abm
      owners: [priya, lucas]
      assign: account
    - otherwise: true
      route: inbound
      owners: [sam, tina]
accounts:
  key: [account_id]
  tiers:
    - name: target
      when: account_fit >= 20
    - name: other
      otherwise: true
"""
ABM_RULE = """\
    - when: account_intent >= 30
      route: abm
      owners: [priya, lucas]
      assign: account
"""
COLUMNS = ["id", "email", "account", "employees", "status"]
CONTACTS = [
    ("A1", "a1@globex.com", "globex", "500", None),
    ("A2", "a2@globex.com", "globex", "500", None),
    ("A3", "a3@globex.com", "globex", "500", None),
    ("B1", "b1@acme.com", "acme", "300", None),
    ("B2", "b2@acme.com", "acme", "300", "STUDENT"),
    ("C1", "c1@initech.com", "initech", "50", None),
    ("D1", "d1@gmail.com", None, "100", None),
    ("D2", "d2@gmail.com", None, "100", None),
    ("E1", "e1@umbrella.com", "umbrella", "100", None),
    ("E2", "e2@umbrella.com", "umbrella", "100", None),
]
EVENTS = [
    ("A1", "demo_request", "2026-10-20T10:00:00Z"),
    ("A2", "page_view", "2026-10-21T10:00:00Z"),
    ("B1", "page_view", "2026-10-21T10:00:00Z"),
    ("B1", "page_view", "2026-10-22T10:00:00Z"),
    ("B2", "demo_request", "2026-10-23T10:00:00Z"),
    ("C1", "demo_request", "2026-10-24T10:00:00Z"),
    ("D1", "demo_request", "2026-10-25T10:00:00Z"),
]


def _contacts(rows=CONTACTS) -> pl.LazyFrame:
    return pl.LazyFrame([dict(zip(COLUMNS, r)) for r in rows], schema={c: pl.String for c in COLUMNS}, orient="row")


def _events() -> pl.LazyFrame:
    return pl.LazyFrame(EVENTS, schema={"id": pl.String, "type": pl.String, "at": pl.String}, orient="row")


def _ruleset(tmp_path, text: str = RULESET, name: str = "abm.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return load_ruleset(str(path))


def _with_rule(new_rule: str, text: str = RULESET) -> str:
    assert ABM_RULE in text
    return text.replace(ABM_RULE, new_rule)


def _owners(rs, rows=CONTACTS) -> dict[str, tuple[str | None, str | None]]:
    scored = score_frames(rs, _contacts(rows), _events(), as_of=AS_OF).scored
    return {r["lead_id"]: (r["route"], r["owner"]) for r in scored.to_dicts()}


def test_every_contact_of_an_account_gets_the_accounts_owner(tmp_path):
    """abm takes the accounts with intent >= 30: acme (40), globex (35), initech (30), in key order
    acme, globex, initech -> priya, lucas, priya. inbound rotates per lead: D1 sam, D2 tina, E1 sam, E2 tina."""
    assert _owners(_ruleset(tmp_path)) == {
        "A1": ("abm", "lucas"), "A2": ("abm", "lucas"), "A3": ("abm", "lucas"),
        "B1": ("abm", "priya"), "B2": ("abm", "priya"), "C1": ("abm", "priya"),
        "D1": ("inbound", "sam"), "D2": ("inbound", "tina"), "E1": ("inbound", "sam"), "E2": ("inbound", "tina"),
    }


def test_per_lead_rotation_is_still_the_default(tmp_path):
    """Without assign the abm leads rotate in lead id order: A1 priya, A2 lucas, A3 priya, B1 lucas, B2 priya,
    C1 lucas (globex split between two reps, as before)."""
    rs = _ruleset(tmp_path, RULESET.replace("      assign: account\n", ""))
    owners = _owners(rs)
    assert {k: v[1] for k, v in owners.items() if v[0] == "abm"} == {
        "A1": "priya", "A2": "lucas", "A3": "priya", "B1": "lucas", "B2": "priya", "C1": "lucas"}
    assert rs.actions.routing.assign("abm") == "lead"


def test_the_owners_do_not_depend_on_the_input_order(tmp_path):
    rs = _ruleset(tmp_path)
    assert _owners(rs, list(reversed(CONTACTS))) == _owners(rs)


def test_contacts_without_an_account_take_turns_after_the_accounts(tmp_path):
    """Everyone on abm: acme priya, globex lucas, initech priya, umbrella lucas, then the contacts without an
    account in lead id order: D1 priya, D2 lucas."""
    rs = _ruleset(tmp_path, _with_rule("    - otherwise: true\n      route: abm\n      owners: [priya, lucas]\n"
                                       "      assign: account\n").replace(
        "    - otherwise: true\n      route: inbound\n      owners: [sam, tina]\n", ""))
    assert {k: v[1] for k, v in _owners(rs).items()} == {
        "B1": "priya", "B2": "priya", "A1": "lucas", "A2": "lucas", "A3": "lucas", "C1": "priya",
        "E1": "lucas", "E2": "lucas", "D1": "priya", "D2": "lucas"}


EVERYONE_CAPPED = ("    - otherwise: true\n      route: abm\n      owners: [priya, lucas]\n      capacity: 2\n"
                   "      assign: account\n")


def _everyone_capped(text: str = RULESET) -> str:
    return _with_rule(EVERYONE_CAPPED, text).replace(
        "    - otherwise: true\n      route: inbound\n      owners: [sam, tina]\n", "")


def test_a_capacity_counts_accounts_most_urgent_first(tmp_path):
    """Capacity 2 each: four units get an owner. No SLA: by the account's best total, then name:
    acme 50 (B2), globex 50 (A1), initech 30, D1 30, umbrella 0, D2 0 -> priya, lucas, priya, lucas, none, none.
    priya keeps 3 leads (B1, B2, C1) for 2 accounts: the capacity counts accounts."""
    owners = {k: v[1] for k, v in _owners(_ruleset(tmp_path, _everyone_capped())).items()}
    assert owners == {"B1": "priya", "B2": "priya", "A1": "lucas", "A2": "lucas", "A3": "lucas", "C1": "priya",
                      "D1": "lucas", "E1": None, "E2": None, "D2": None}


def test_a_capacity_with_slas_takes_the_account_due_first(tmp_path):
    """hot is due 1 hour after its latest demo: A1 10-20T11, C1 10-24T11, D1 10-25T11; the others have no due
    time (after those, by best total): globex, initech, D1, acme (50), umbrella (0, 'aumbrella' < 'lD2'), D2.
    Capacity 2 each: globex priya, initech lucas, D1 priya, acme lucas; umbrella and D2 none."""
    text = _everyone_capped() + "sla:\n  hot: {hours: 1, procedure: call, from: [demo]}\n"
    scored = score_frames(_ruleset(tmp_path, text), _contacts(), _events(), as_of=AS_OF).scored
    owners = dict(zip(scored["lead_id"], scored["owner"]))
    assert owners == {"A1": "priya", "A2": "priya", "A3": "priya", "C1": "lucas", "D1": "priya",
                      "B1": "lucas", "B2": "lucas", "E1": None, "E2": None, "D2": None}


def test_owners_away_leave_the_accounts_to_the_others(tmp_path):
    rs = with_owners_away(_ruleset(tmp_path), ["priya"])
    assert {k: v[1] for k, v in _owners(rs).items() if v[0] == "abm"} == {
        "A1": "lucas", "A2": "lucas", "A3": "lucas", "B1": "lucas", "B2": "lucas", "C1": "lucas"}


def test_shares_rotate_over_accounts(tmp_path):
    """owners {priya: 2, lucas: 1}: the cycle is priya, lucas, priya -> acme priya, globex lucas, initech priya."""
    rs = _ruleset(tmp_path, RULESET.replace("owners: [priya, lucas]", "owners: {priya: 2, lucas: 1}"))
    assert {k: v[1] for k, v in _owners(rs).items() if v[0] == "abm"} == {
        "A1": "lucas", "A2": "lucas", "A3": "lucas", "B1": "priya", "B2": "priya", "C1": "priya"}


def test_routing_reads_the_accounts_figures(tmp_path):
    """engaged_contacts >= 2 and contacts >= 3: globex only (acme has 2 contacts). account_fit >= 20: acme
    (globex went first). account_intent < 1 (and not blank): umbrella. D1, D2 have no account: blank figures,
    no rule matches -> inbound."""
    rules = ("    - when: engaged_contacts >= 2 and contacts >= 3\n      route: committee\n      owners: [priya]\n"
             "    - when: account_fit >= 20\n      route: fit\n      owners: [lucas]\n"
             "    - when: account_intent < 1\n      route: cold\n      owners: [omar]\n")
    rs = _ruleset(tmp_path, _with_rule(rules))
    assert {k: v[0] for k, v in _owners(rs).items()} == {
        "A1": "committee", "A2": "committee", "A3": "committee", "B1": "fit", "B2": "fit", "C1": "inbound",
        "D1": "inbound", "D2": "inbound", "E1": "cold", "E2": "cold"}


def test_nurture_tracks_read_the_accounts_figures(tmp_path):
    """Nurtured tier 'other': A2, A3, B1, D2, E1, E2. Track 'account_warm' for account_intent >= 30 (globex 35,
    acme 40), else 'solo'; D2 has no account (blank: not >= 30)."""
    text = RULESET + ("nurture:\n  tiers: [other]\n  tracks:\n"
                      "    - {id: account_warm, when: account_intent >= 30, recheck_days: 7}\n"
                      "    - {id: solo, otherwise: true, recheck_days: 30}\n")
    scored = score_frames(_ruleset(tmp_path, text), _contacts(), _events(), as_of=AS_OF).scored
    assert dict(zip(scored["lead_id"], scored["nurture_track"])) == {
        "A1": None, "A2": "account_warm", "A3": "account_warm", "B1": "account_warm", "B2": None, "C1": None,
        "D1": None, "D2": "solo", "E1": "solo", "E2": "solo"}


def test_intent_from_engaged_leaves_a_disqualified_contacts_intent_out(tmp_path):
    """engaged: intent > 0 and not disqualified; intent_from: engaged. acme: B1 10 only (B2 is disqualified)
    -> 10, off the abm route. globex 30 + 5 (A3 0 is not engaged either way) = 35, initech 30.
    abm: globex priya, initech lucas; inbound by lead id: B1 sam, B2 tina, D1 sam, D2 tina, E1 sam, E2 tina."""
    text = RULESET.replace("  key: [account_id]\n", "  key: [account_id]\n  engaged: intent > 0 and not disqualified\n"
                                                     "  intent_from: engaged\n")
    rs = _ruleset(tmp_path, text)
    result = score_frames(rs, _contacts(), _events(), as_of=AS_OF, rollup="account")
    assert dict(zip(result.accounts["account_id"], result.accounts["account_intent"])) == {
        "globex": 35.0, "initech": 30.0, "acme": 10.0, "umbrella": 0.0}
    assert _owners(rs) == {
        "A1": ("abm", "priya"), "A2": ("abm", "priya"), "A3": ("abm", "priya"), "C1": ("abm", "lucas"),
        "B1": ("inbound", "sam"), "B2": ("inbound", "tina"), "D1": ("inbound", "sam"), "D2": ("inbound", "tina"),
        "E1": ("inbound", "sam"), "E2": ("inbound", "tina")}


def test_intent_from_all_is_the_default(tmp_path):
    """Default: every contact's intent counts, the disqualified B2's 30 too: acme 40."""
    rs = _ruleset(tmp_path)
    assert rs.actions.accounts.intent_from == "all"
    accounts = score_frames(rs, _contacts(), _events(), as_of=AS_OF, rollup="account").accounts
    assert dict(zip(accounts["account_id"], accounts["account_intent"])) == {
        "acme": 40.0, "globex": 35.0, "initech": 30.0, "umbrella": 0.0}


@pytest.mark.parametrize("old,new,message", [
    ("      assign: account\n", "      assign: accounts\n",
     ":42:15: routing rule 1 (route 'abm'): assign: unknown value 'accounts'; did you mean 'account'?; "
     "expected one of: account, lead"),
    ("  key: [account_id]\n", "  key: [account_id]\n  intent_from: engagd\n",
     ":48:16: accounts: intent_from: unknown value 'engagd'; did you mean 'engaged'?; expected one of: all, "
     "engaged"),
    ("      owners: [sam, tina]\n", "      assign: account\n",
     ":45:15: routing rule 2 (route 'inbound'): assign needs owners; give the route's owners beside it"),
])
def test_option_errors_have_positions(tmp_path, old, new, message):
    assert old in RULESET
    with pytest.raises(RulesetError) as err:
        _ruleset(tmp_path, RULESET.replace(old, new))
    assert message in str(err.value)


def test_assign_account_needs_an_accounts_section(tmp_path):
    text = RULESET[:RULESET.index("accounts:\n")].replace("account_intent >= 30", "intent >= 30")
    with pytest.raises(RulesetError) as err:
        _ruleset(tmp_path, text)
    assert str(err.value).endswith(
        ":39:7: routing: route 'abm': assign: account rotates owners over the accounts of the 'accounts' section, "
        "which this ruleset does not have; add one (key, tiers) or use assign: lead")


def test_account_figures_need_an_accounts_section(tmp_path):
    text = RULESET[:RULESET.index("accounts:\n")].replace("      assign: account\n", "")
    with pytest.raises(RulesetError) as err:
        _ruleset(tmp_path, text)
    assert ":39:13: routing rule (route 'abm'): 'account_intent' is given by the ruleset's accounts: section, " \
           "which this ruleset does not have; add one to tier accounts" in str(err.value)


def test_a_route_listed_twice_must_assign_the_same_way(tmp_path):
    text = _with_rule(ABM_RULE + "    - when: fit >= 20\n      route: abm\n      owners: [priya, lucas]\n")
    with pytest.raises(RulesetError) as err:
        _ruleset(tmp_path, text)
    assert ":43:7: routing: route 'abm' already has owners ['priya', 'lucas'] (line 39); list a route's owners (and " \
           "capacity, assign) once, or the same way" in str(err.value)


def _write_inputs(tmp_path, rows=CONTACTS):
    contacts, events = tmp_path / "contacts.csv", tmp_path / "events.csv"
    _contacts(rows).collect().write_csv(contacts)
    _events().collect().write_csv(events)
    return contacts, events


def test_cli_previous_keeps_the_accounts_owners(tmp_path):
    """A first run into the state file gives the account owners; a second run over the same contacts keeps
    every owner (all unchanged)."""
    contacts, events = _write_inputs(tmp_path)
    ruleset = tmp_path / "abm.yaml"
    ruleset.write_text(RULESET)
    state = tmp_path / "state.csv"
    args = ["score", contacts, "-a", events, "-r", ruleset, "--as-of", "2026-11-01", "-q", "--out", state,
            "--previous", state]
    run_cli(args)
    first = pl.read_csv(state)
    run_cli(args)
    second = pl.read_csv(state)
    assert dict(zip(first["lead_id"], first["owner"])) == dict(zip(second["lead_id"], second["owner"])) == {
        "A1": "lucas", "A2": "lucas", "A3": "lucas", "B1": "priya", "B2": "priya", "C1": "priya",
        "D1": "sam", "D2": "tina", "E1": "sam", "E2": "tina"}
    assert set(second["change"]) == {"unchanged"}


def test_duckdb_gives_the_same_account_owners_and_figures(tmp_path):
    pytest.importorskip("duckdb")
    from leadq.engines import score_with_engine

    text = _everyone_capped(RULESET.replace("  key: [account_id]\n", "  key: [account_id]\n  intent_from: engaged\n"))
    text += ("sla:\n  hot: {hours: 1, procedure: call, from: [demo]}\n"
             "nurture:\n  tiers: [other]\n  tracks:\n"
             "    - {id: account_warm, when: account_intent >= 30 and engaged_contacts >= 1, recheck_days: 7}\n"
             "    - {id: solo, otherwise: true, recheck_days: 30}\n")
    rs = _ruleset(tmp_path, text)
    contacts = _contacts().with_columns(pl.col("employees").cast(pl.Int64)).collect()
    events = _events().with_columns(pl.col("at").str.to_datetime(time_zone="UTC")).collect()
    contacts.write_parquet(tmp_path / "c.parquet")
    events.write_parquet(tmp_path / "e.parquet")
    expected = score_frames(rs, contacts.lazy(), events.lazy(), as_of=AS_OF, rollup="account")
    got = score_with_engine("duckdb", rs, [str(tmp_path / "c.parquet")], [str(tmp_path / "e.parquet")],
                            as_of=AS_OF, rollup="account")
    cols = ["lead_id", "route", "owner", "sla_due_at", "nurture_track", "account_tier"]
    assert got.scored.select(cols).sort("lead_id").to_dicts() == expected.scored.select(cols).sort("lead_id").to_dicts()
    assert got.accounts.to_dicts() == expected.accounts.to_dicts()
    assert dict(zip(got.scored["lead_id"], got.scored["owner"])) == {
        "A1": "priya", "A2": "priya", "A3": "priya", "C1": "lucas", "D1": "priya",
        "B1": "lucas", "B2": "lucas", "E1": None, "E2": None, "D2": None}


def test_explain_routes_by_the_figures_of_the_whole_account(tmp_path):
    """Routing reads account_intent: explained alone, A2 (page_view, 5) would make globex's intent 5 and route
    it inbound; the whole account (A1 30 + A2 5) is 35, so score and explain both route it abm."""
    path = tmp_path / "abm.yaml"
    path.write_text(RULESET)
    contacts, events = tmp_path / "c.csv", tmp_path / "e.csv"
    _contacts().collect().write_csv(contacts)
    _events().collect().write_csv(events)
    out = tmp_path / "o.csv"
    run_cli(["score", contacts, "-a", events, "-r", path, "--as-of", "2026-11-01", "-o", out, "-q"])
    assert dict(pl.read_csv(out).select("lead_id", "route").rows())["A2"] == "abm"
    import json

    report = json.loads(run_cli(["explain", "A2", contacts, "-a", events, "-r", path, "--as-of", "2026-11-01",
                                 "--json", "-"]).stdout)
    assert report["leads"][0]["next_step"]["routing"]["route"] == "abm"
