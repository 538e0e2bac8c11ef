"""Owner capacity: at most N new leads per owner per run, the most urgent leads first.

The routing fixture (tests/fixtures/routing/ruleset.yaml) with ``capacity`` on its
``inbound_sdr`` route; every expected owner is worked out by hand in the comments.
As of 2026-11-01T00:00Z.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from leadq.errors import RulesetError
from leadq.owners import capped_turns
from leadq.pipeline import score_frames
from leadq.routing import with_owners_away
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, FIXTURES, RULESETS, SAMPLE, SAMPLE_AS_OF, run_cli
from tests.test_routing import _contacts, _events

RULESET = FIXTURES / "routing" / "ruleset.yaml"
OWNERS = "      owners: [sam, tina]\n"

# All in inbound_sdr (US, 300 employees: grade A; not a partner, not enterprise, not EMEA).
ROWS = [(lead, "Manager", "300", "United States", "WEB", None) for lead in ("C1", "C2", "C3", "C4", "C5", "C6")]
EVENTS = [
    # C5 and C6 are hand-raisers: their SLA (1 hour from the demo request) is the most urgent.
    ("C5", "demo_request", "2026-10-31T12:00:00Z"),   # due 2026-10-31 13:00
    ("C6", "demo_request", "2026-10-30T12:00:00Z"),   # due 2026-10-30 13:00: the most urgent
    # MQLs are due 24 hours after the as-of time; between them the highest total goes first.
    ("C2", "docs_view", "2026-10-31T00:00:00Z"),
    ("C3", "docs_view", "2026-10-31T00:00:00Z"),
    ("C3", "docs_view", "2026-10-30T00:00:00Z"),
]


def _ruleset(tmp_path, owners: str) -> str:
    text = RULESET.read_text()
    assert OWNERS in text
    path = tmp_path / "capacity.yaml"
    path.write_text(text.replace(OWNERS, owners))
    return str(path)


def _owners(ruleset, rows=ROWS, events=EVENTS) -> dict[str, str | None]:
    scored = score_frames(ruleset, _contacts(rows), _events(events), as_of=AS_OF).scored
    assert set(scored["route"]) == {"inbound_sdr"}
    return dict(zip(scored["lead_id"], scored["owner"]))


def test_capped_turns_by_hand():
    # a capped at 2 (keys 1/2, 3/2), b free: b's turns up to 3/2 (1/2, 3/2) come first, ties in listed
    # order; then b alone.
    assert capped_turns(("a", "b"), (1, 1), (2, None)) == (["a", "b", "a", "b"], ["b"])
    # a (share 2) and b capped at 1: a 1/4, b 1/2; c free: its turn at 1/2 too, after b; then c alone.
    assert capped_turns(("a", "b", "c"), (2, 1, 1), (1, 1, None)) == (["a", "b", "c"], ["c"])
    # Every owner capped: the route's later leads get no owner.
    assert capped_turns(("a", "b"), (1, 1), (3, 2)) == (["a", "b", "a", "b", "a"], [])
    # Share 0 (away) takes no turn, capacity or not; two free owners with shares 2 and 1 rotate a, b, a.
    assert capped_turns(("a", "b", "c", "d"), (0, 1, 2, 1), (5, 1, None, None)) == (["c", "b", "d"], ["c", "c", "d"])


def test_the_most_urgent_leads_get_the_owners_with_capacity(tmp_path):
    ruleset = load_ruleset(_ruleset(tmp_path, OWNERS + "      capacity: 2\n"))
    # Most urgent first: C6 (due Oct 30 13:00), C5 (Oct 31 13:00), then the MQLs (due Nov 2 00:00) by total:
    # C3 (two docs views), C2 (one), then C1 and C4 (no events, equal totals) by lead id.
    # Turns: sam, tina, sam, tina; then both are full.
    assert _owners(ruleset) == {"C6": "sam", "C5": "tina", "C3": "sam", "C2": "tina", "C1": None, "C4": None}


def test_without_slas_the_highest_total_goes_first(tmp_path):
    text = Path(_ruleset(tmp_path, OWNERS + "      capacity: 2\n")).read_text()
    path = tmp_path / "no_sla.yaml"
    path.write_text(re.sub(r"\nsla:\n(  .*\n)+", "\n", text))
    # By total: C5 (demo request a day ago), C6 (two days ago: decayed more), C3 (two docs views), C2 (one);
    # C1 and C4 (no events) are left over. Turns: sam, tina, sam, tina.
    assert _owners(load_ruleset(str(path))) == {"C5": "sam", "C6": "tina", "C3": "sam", "C2": "tina", "C1": None,
                                                 "C4": None}


def test_an_owner_without_a_capacity_takes_the_rest(tmp_path):
    ruleset = load_ruleset(_ruleset(tmp_path, OWNERS + "      capacity: {sam: 1}\n"))
    # Turns: sam (1/2), tina (1/2); then tina alone.
    assert _owners(ruleset) == {"C6": "sam", "C5": "tina", "C3": "tina", "C2": "tina", "C1": "tina", "C4": "tina"}


def test_a_route_without_capacity_still_rotates_by_lead_id(tmp_path):
    ruleset = load_ruleset(str(RULESET))
    assert _owners(ruleset) == {"C1": "sam", "C2": "tina", "C3": "sam", "C4": "tina", "C5": "sam", "C6": "tina"}


def test_an_owner_away_leaves_the_capacity_to_the_others(tmp_path):
    ruleset = with_owners_away(load_ruleset(_ruleset(tmp_path, OWNERS + "      capacity: 2\n")), ["sam"])
    assert _owners(ruleset) == {"C6": "tina", "C5": "tina", "C3": None, "C2": None, "C1": None, "C4": None}


def test_with_previous_kept_leads_do_not_count_against_capacity():
    from leadq.changes import _balanced_owners

    # a (capacity 2) keeps 3 leads, b (no limit) keeps none. Turn keys (2 * (kept + turn) + 1) / (2 * share):
    # a 3.5, 4.5 (then full); b 0.5, 1.5, 2.5, 3.5, ... So b, b, b, a (before b at 3.5: listed first), b.
    # The new leads take them most urgent first (no SLA here: highest total): n2, n5, n3, n4, n1.
    frame = pl.DataFrame({
        "lead_id": ["k1", "k2", "k3", "n1", "n2", "n3", "n4", "n5"],
        "route": ["r"] * 8,
        "total_score": [0.0, 0.0, 0.0, 10.0, 50.0, 30.0, 20.0, 40.0],
        "_keep": [True] * 3 + [False] * 5,
        "_prev_owner": ["a", "a", "a", None, None, None, None, None],
    })
    got = _balanced_owners(frame, {"r": (("a", 1), ("b", 1))}, {"r": (2, None)}).sort("lead_id")
    assert got.rows() == [("n1", "b"), ("n2", "b"), ("n3", "b"), ("n4", "a"), ("n5", "b")]
    # Both capped at 1: one new lead each, the two most urgent; a's keys start at 3.5, so b goes first.
    got = _balanced_owners(frame, {"r": (("a", 1), ("b", 1))}, {"r": (1, 1)}).sort("lead_id")
    assert got.rows() == [("n1", None), ("n2", "b"), ("n3", None), ("n4", None), ("n5", "a")]


@pytest.mark.parametrize("shares,capacities", [
    ((1, 1, 1), (2, None, None)), ((2, 1, 1), (3, 1, None)), ((3, 1, 2), (4, 4, 4)), ((1, 0, 4), (None, 2, 5)),
    ((5, 3, 1), (1, None, 7)),
])
def test_balancing_without_kept_leads_is_the_capped_rotation(shares, capacities):
    from leadq.changes import _balanced_owners

    names = ("a", "b", "c")
    leads = [f"n{i:02d}" for i in range(23)]
    frame = pl.DataFrame({"lead_id": leads, "route": ["r"] * 23, "total_score": [float(i % 5) for i in range(23)],
                          "_keep": [False] * 23, "_prev_owner": [None] * 23},
                         schema_overrides={"_prev_owner": pl.String})
    got = _balanced_owners(frame, {"r": tuple(zip(names, shares))}, {"r": capacities})
    order = frame.sort(["total_score", "lead_id"], descending=[True, False])["lead_id"].to_list()
    first, then = capped_turns(names, shares, capacities)
    expected = [first[k] if k < len(first) else (then[(k - len(first)) % len(then)] if then else None)
                for k in range(23)]
    assert dict(zip(got["lead_id"], got["_fresh_owner"])) == dict(zip(order, expected))


@pytest.mark.parametrize("capacity,message", [
    ("      capacity: -1\n", ":83:17: routing rule 4 (route 'inbound_sdr'): capacity must be a whole number from 0 "
                             "to 10000 (the most new leads an owner takes in a run), not -1"),
    ("      capacity: lots\n", "capacity must be a whole number from 0 to 10000 (the most new leads an owner takes "
                               "in a run), not lots"),
    ("      capacity: 0\n", ":83:17: routing rule 4 (route 'inbound_sdr'): capacity 0 gives no owner a lead; give a "
                            "number above 0 (owners away for a run: leadq score --away)"),
    ("      capacity: {sam: 0, tina: 0}\n", "capacity: every owner's capacity is 0, so no owner would get a lead"),
    ("      capacity: {samm: 3}\n", ":83:18: routing rule 4 (route 'inbound_sdr'): capacity: 'samm' is not one of "
                                    "the route's owners; did you mean 'sam'?; its owners: sam, tina"),
    ("      capacity: {tina: 10001}\n", ":83:24: routing rule 4 (route 'inbound_sdr'): tina's capacity must be a "
                                        "whole number from 0 to 10000"),
])
def test_bad_capacities_name_their_line_and_column(tmp_path, capacity, message):
    with pytest.raises(RulesetError) as err:
        load_ruleset(_ruleset(tmp_path, OWNERS + capacity))
    assert message in str(err.value)


def test_a_capacity_needs_owners(tmp_path):
    text = RULESET.read_text().replace("      route: partner_desk\n", "      route: partner_desk\n      capacity: 5\n")
    path = tmp_path / "no_owners.yaml"
    path.write_text(text)
    with pytest.raises(RulesetError, match=r"routing rule 3 \(route 'partner_desk'\): capacity needs owners; give "
                                           r"the route's owners beside it"):
        load_ruleset(str(path))


def test_cli_summary_counts_the_leads_over_capacity(tmp_path):
    text = (RULESETS / "b2b_saas.yaml").read_text()
    roster = "      owners: [sam.okafor, jordan.wells, alex.rivera, casey.morgan]\n"
    assert roster in text
    ruleset = tmp_path / "capped.yaml"
    ruleset.write_text(text.replace(roster, roster + "      capacity: 20\n"))
    summary = tmp_path / "s.json"
    args = ["score", SAMPLE / "contacts.csv", "-a", str(SAMPLE / "events" / "*.csv"), "--as-of", SAMPLE_AS_OF,
            "-r", ruleset, "-o", tmp_path / "scored.parquet", "--summary-json", summary]
    result = run_cli(args)
    # Without --accounts the sample routes 93 leads to amer_sdr; its 4 owners take 20 each.
    line = "without an owner (every owner at capacity; the most urgent leads went first): amer_sdr 13"
    assert line in result.stdout.splitlines()
    # The README shows this line.
    readme = (RULESETS.parent / "README.md").read_text().split("**capacity**", 1)[1]
    assert readme.split("```\n", 2)[1].strip() == line
    doc = json.loads(summary.read_text())["routing"]
    assert doc["owners"]["amer_sdr"] == {"sam.okafor": 20, "jordan.wells": 20, "alex.rivera": 20, "casey.morgan": 20}
    assert doc["capacity"] == {"amer_sdr": dict.fromkeys(doc["owners"]["amer_sdr"], 20)}
    assert doc["unassigned"] == {"enterprise_ae": 0, "abm_team": 0, "emea_sdr": 0, "apac_sdr": 0, "amer_sdr": 13}
    amer = pl.read_parquet(tmp_path / "scored.parquet").filter(pl.col("route") == "amer_sdr")
    # The 80 with an owner are the most urgent: no lead without one is due before, or scores above at the
    # same due time, any lead with one.
    owned, left = amer.filter(pl.col("owner").is_not_null()), amer.filter(pl.col("owner").is_null())
    assert owned.height == 80 and left.height == 13
    last = owned.sort(["sla_due_at", "total_score"], descending=[False, True]).row(-1, named=True)
    first_left = left.sort(["sla_due_at", "total_score"], descending=[False, True]).row(0, named=True)
    assert (last["sla_due_at"], -last["total_score"]) <= (first_left["sla_due_at"], -first_left["total_score"])


def test_cli_summary_says_away_or_at_capacity_when_both_left_leads_without_an_owner(tmp_path):
    # With sam and jordan away and the other two at capacity, it said "every owner at capacity".
    text = (RULESETS / "b2b_saas.yaml").read_text()
    roster = "      owners: [sam.okafor, jordan.wells, alex.rivera, casey.morgan]\n"
    ruleset = tmp_path / "capped.yaml"
    ruleset.write_text(text.replace(roster, roster + "      capacity: 20\n"))
    result = run_cli(["score", SAMPLE / "contacts.csv", "-a", str(SAMPLE / "events" / "*.csv"), "--as-of",
                      SAMPLE_AS_OF, "-r", ruleset, "-o", tmp_path / "scored.parquet", "--away",
                      "sam.okafor,jordan.wells"])
    # 93 leads, 2 owners taking 20 each.
    assert ("without an owner (every owner away or at capacity; the most urgent leads went first): amer_sdr 53"
            in result.stdout.splitlines())
