"""A ``workspace_id`` mapped under ``columns`` is the lead's product workspace for ``accounts.key: [workspace_id]``.

The contacts' value comes first; the workspace of the lead's latest event that names one only where the
contact gives none. Every figure below is worked out by hand. No decay; as of 2026-11-01T00:00Z.

=======  =================  ====================================================  ======  ==========
contact  contacts' ws       events (type, day in October, workspace)              intent  workspace
=======  =================  ====================================================  ======  ==========
w1       ws9                invited_teammate 30 ws9                               20      ws9
w2       ws9                (none)                                                0       ws9 (contact)
w3       (blank)            used_feature 28 ws7                                   10      ws7 (event)
w4       ws7                invited_teammate 29 ws9                               20      ws7 (contact first)
w5       (blank)            (none)                                                0       (none)
w6       (blank)            used_feature 20 ws7, used_feature 25 ws9              20      ws9 (latest event)
=======  =================  ====================================================  ======  ==========

Every contact has fit 10 (work e-mail). Accounts (engaged: intent > 0):
ws9 = w1, w2, w6: contacts 3, engaged 2 (w1, w6), fit 10, intent 20 + 0 + 20 = 40 -> team
(engaged >= 2 and contacts >= 3); ws7 = w3, w4: contacts 2, engaged 2, intent 10 + 20 = 30 -> active
(intent >= 20). Sorted by intent: ws9, ws7. w5 has no account (blank tier).

Routing: account_intent >= 30 takes both workspaces to ``team``, one owner per account in key order
(ws7 ann, ws9 bob); w5 (no account, so no account intent) goes to ``self_serve`` (zed).

Before: w2 and w4 were placed by their events only: w2 in no account, w4 in ws9, so ws9 counted
w1, w4, w6 and ws7 w3 alone.
"""

from __future__ import annotations

import dataclasses
import json

import polars as pl
import pytest

from leadq.pipeline import score_frames
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, run_cli

CONTACTS = """user_id,email,workspace_id
w1,a@acme.io,ws9
w2,b@acme.io,ws9
w3,c@acme.io,
w4,d@acme.io,ws7
w5,e@acme.io,
w6,f@acme.io,
"""
EVENTS = [
    {"user_id": "w1", "event": "invited_teammate", "ts": "2026-10-30T10:00:00Z", "workspace_id": "ws9"},
    {"user_id": "w3", "event": "used_feature", "ts": "2026-10-28T10:00:00Z", "workspace_id": "ws7"},
    {"user_id": "w4", "event": "invited_teammate", "ts": "2026-10-29T10:00:00Z", "workspace_id": "ws9"},
    {"user_id": "w6", "event": "used_feature", "ts": "2026-10-20T10:00:00Z", "workspace_id": "ws7"},
    {"user_id": "w6", "event": "used_feature", "ts": "2026-10-25T10:00:00Z", "workspace_id": "ws9"},
]
COLUMNS = "columns: {lead_id: user_id, email: email, workspace_id: workspace_id}\n"
RULESET = COLUMNS + """\
version: 1
name: contact workspaces
activity_columns: {lead_id: user_id, event_type: event, occurred_at: ts, workspace_id: workspace_id}
settings:
  half_life_days: none
fit:
  - id: work_email
    when: email is not null
    points: 10
intent:
  - id: invited
    event: invited_teammate
    points: 20
  - id: feature
    event: used_feature
    points: 10
tiers:
  - name: hot
    when: intent >= 20
  - name: cold
    otherwise: true
routing:
  rules:
    - when: account_intent >= 30
      route: team
      owners: [ann, bob]
      assign: account
    - otherwise: true
      route: self_serve
      owners: [zed]
accounts:
  key: [workspace_id]
  tiers:
    - name: team
      when: engaged_contacts >= 2 and contacts >= 3
    - name: active
      when: account_intent >= 20
    - name: other
      otherwise: true
"""
ACCOUNTS = [
    {"account_id": "ws9", "contacts": 3, "engaged_contacts": 2, "account_fit": 10.0, "account_intent": 40.0,
     "roles_covered": [], "account_tier": "team"},
    {"account_id": "ws7", "contacts": 2, "engaged_contacts": 2, "account_fit": 10.0, "account_intent": 30.0,
     "roles_covered": [], "account_tier": "active"},
]
LEADS = {  # lead: (intent, account_tier, route, owner)
    "w1": (20.0, "team", "team", "bob"),
    "w2": (0.0, "team", "team", "bob"),
    "w3": (10.0, "active", "team", "ann"),
    "w4": (20.0, "active", "team", "ann"),
    "w5": (0.0, None, "self_serve", "zed"),
    "w6": (20.0, "team", "team", "bob"),
}


def _files(tmp_path, ruleset: str = RULESET, contacts: str = CONTACTS):
    (tmp_path / "rs.yaml").write_text(ruleset)
    (tmp_path / "contacts.csv").write_text(contacts)
    (tmp_path / "events.ndjson").write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    return tmp_path / "rs.yaml", tmp_path / "contacts.csv", tmp_path / "events.ndjson"


def _score(tmp_path, *extra, ruleset: str = RULESET, contacts_file=None, events_file=None):
    rs, contacts, events = _files(tmp_path, ruleset)
    out = tmp_path / "scored.parquet"
    run_cli(["score", contacts_file or contacts, "-a", events_file or events, "-r", rs, "--as-of", "2026-11-01",
             "--rollup", "account", "-o", out, "-q", *extra])
    return pl.read_parquet(out), pl.read_parquet(tmp_path / "scored.accounts.parquet")


def _leads(leads: pl.DataFrame) -> dict:
    return {r["lead_id"]: (r["intent_score"], r["account_tier"], r["route"], r["owner"]) for r in leads.to_dicts()}


def test_users_without_events_stay_in_the_workspace_their_contact_record_names(tmp_path):
    leads, accounts = _score(tmp_path)
    assert accounts.to_dicts() == ACCOUNTS
    assert _leads(leads) == LEADS


def test_without_a_contacts_mapping_the_events_alone_place_the_leads(tmp_path):
    """The old behaviour, unchanged: ws9 = w1, w4 (its event), w6: contacts 3, engaged 3, intent 60 -> team;
    ws7 = w3: contacts 1, intent 10 -> other; w2 and w5 have no account."""
    ruleset = RULESET.replace(COLUMNS, "columns: {lead_id: user_id, email: email}\n")
    leads, accounts = _score(tmp_path, ruleset=ruleset)
    assert accounts.select("account_id", "contacts", "engaged_contacts", "account_intent",
                           "account_tier").rows() == [("ws9", 3, 3, 60.0, "team"), ("ws7", 1, 1, 10.0, "other")]
    assert dict(leads.select("lead_id", "account_tier").rows()) == {
        "w1": "team", "w2": None, "w3": "other", "w4": "team", "w5": None, "w6": "team"}


def test_explain_reads_the_whole_workspace(tmp_path):
    """w2 has no intent of its own: the routing rule reads ws9's intent (40) and sends it to team."""
    rs, contacts, events = _files(tmp_path)
    out = tmp_path / "explain.json"
    run_cli(["explain", "w2", "w5", contacts, "-a", events, "-r", rs, "--as-of", "2026-11-01", "--json", out])
    got = {lead["lead_id"]: (lead["intent_score"], lead["fields"]["workspace_id"], lead["next_step"]["routing"]["route"],
                             lead["next_step"]["routing"]["rule"], lead["next_step"]["routing"]["saw"])
           for lead in json.loads(out.read_text())["leads"]}
    assert got == {"w2": (0.0, "ws9", "team", 1, {"account_tier": "team"}),
                   "w5": (0.0, None, "self_serve", 2, {"account_tier": None})}


def test_the_workspace_is_text_whatever_it_looks_like(tmp_path):
    """Numeric-looking ids keep their leading zeros (read as text, as the events' workspace_id is): w1 and w2
    in 00123 (contacts 2, engaged 1, intent 20 -> active), w4 in 0042 (intent 20 -> active); w6 in ws9 and w3
    in ws7 from their events (intent 20 -> active; 10 -> other)."""
    rs, _, events = _files(tmp_path)
    (tmp_path / "numeric.csv").write_text(CONTACTS.replace("ws9", "00123").replace("ws7", "0042"))
    _, accounts = _score(tmp_path, contacts_file=tmp_path / "numeric.csv")
    assert accounts.select("account_id", "contacts", "engaged_contacts", "account_intent", "account_tier").rows() == [
        ("00123", 2, 1, 20.0, "active"), ("0042", 1, 1, 20.0, "active"), ("ws9", 1, 1, 20.0, "active"),
        ("ws7", 1, 1, 10.0, "other")]


def test_validate_knows_workspace_id_as_a_text_contact_field(tmp_path):
    rs, _, _ = _files(tmp_path)
    result = run_cli(["validate", rs])
    assert "workspace_id" not in result.stdout + result.stderr
    bad = tmp_path / "number.yaml"
    bad.write_text(RULESET.replace("workspace_id: workspace_id}\nversion",
                                   "workspace_id: {column: workspace_id, type: number}}\nversion"))
    result = run_cli(["validate", bad], exit_code=2)
    assert "number.yaml:1:86: error: columns.workspace_id: 'workspace_id' is always text; remove 'type'" \
        in result.stdout + result.stderr


def test_a_ruleset_whose_events_name_no_workspace_reads_the_contacts_alone(tmp_path):
    """No workspace_id under activity_columns: only the contacts' workspaces count. ws9 = w1, w2 (contacts 2,
    engaged 1, intent 20 -> active); ws7 = w4 (intent 20 -> active); w3, w5, w6 have no account.

    Built by hand: the loader asks for the events' mapping (accounts.key in leadq/ruleset_actions.py)."""
    rs = load_ruleset(str(_files(tmp_path)[0]))
    activity = {k: v for k, v in rs.activity_columns.items() if k != "workspace_id"}
    rs = dataclasses.replace(rs, activity_columns=activity)
    contacts = pl.read_csv(tmp_path / "contacts.csv", infer_schema=False).lazy()
    events = pl.LazyFrame([{k: v for k, v in e.items() if k != "workspace_id"} for e in EVENTS])
    result = score_frames(rs, contacts, events, as_of=AS_OF, rollup="account")
    assert dict(result.scored.select("lead_id", "account_tier").rows()) == {
        "w1": "active", "w2": "active", "w3": None, "w4": "active", "w5": None, "w6": None}
    assert result.accounts.select("account_id", "contacts", "engaged_contacts", "account_intent").rows() == [
        ("ws7", 1, 1, 20.0), ("ws9", 2, 1, 20.0)]


@pytest.mark.parametrize("engine", ["duckdb"])
def test_the_sql_engines_read_the_contacts_workspace_too(tmp_path, engine):
    pytest.importorskip(engine)
    pytest.importorskip("sqlglot")
    _files(tmp_path)
    pl.read_csv(tmp_path / "contacts.csv", infer_schema=False).write_parquet(tmp_path / "contacts.parquet")
    pl.DataFrame(EVENTS).write_parquet(tmp_path / "events.parquet")
    leads, accounts = _score(tmp_path, "--engine", engine, contacts_file=tmp_path / "contacts.parquet",
                             events_file=tmp_path / "events.parquet")
    assert accounts.to_dicts() == ACCOUNTS
    assert _leads(leads) == LEADS


ONLY = RULESET.replace(", workspace_id: workspace_id}\nsettings", "}\nsettings")


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_a_workspace_mapped_only_under_columns_is_the_account_key(tmp_path, engine):
    assert ONLY != RULESET
    _files(tmp_path, ONLY)
    pl.read_csv(tmp_path / "contacts.csv", infer_schema=False).write_parquet(tmp_path / "contacts.parquet")
    pl.DataFrame(EVENTS).write_parquet(tmp_path / "events.parquet")
    leads, accounts = _score(tmp_path, "--engine", engine, ruleset=ONLY, contacts_file=tmp_path / "contacts.parquet",
                             events_file=tmp_path / "events.parquet")
    assert dict(leads.select("lead_id", "account_tier").rows()) == {
        "w1": "active", "w2": "active", "w3": None, "w4": "active", "w5": None, "w6": None}
    assert accounts.select("account_id", "contacts", "engaged_contacts", "account_intent").rows() == [
        ("ws7", 1, 1, 20.0), ("ws9", 2, 1, 20.0)]
    run_cli(["validate", tmp_path / "rs.yaml"])


def test_cases_sharing_a_contact_workspace_are_scored_apart(tmp_path):
    rs, _, _ = _files(tmp_path)
    cases = tmp_path / "cases.yaml"
    cases.write_text("""as_of: 2026-11-01
cases:
  - name: a user with an invite
    lead: {user_id: u1, email: a@x.io, workspace_id: ws1}
    events:
      - {type: invited_teammate, days_ago: 1, count: 2}
    expect: {route: team}
  - name: a user of the same workspace with no event is judged alone
    lead: {user_id: u2, email: b@x.io, workspace_id: ws1}
    expect: {route: self_serve}
""")
    run_cli(["test", rs, cases])
