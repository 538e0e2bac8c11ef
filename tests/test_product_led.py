"""rulesets/product_led.yaml: PQLs from product usage events, per-workspace rollup (tests/fixtures/product_led/).

As of 2026-11-01T00:00Z. Decay: half-life 21 days (hit_usage_limit 7), so an event *a* days old
scores ``points * 0.5 ** (a / 21)``; ``per: lead`` rules score once, decayed from the latest event.
"""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest

from leadq.pipeline import read_and_score
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, FIXTURES, SAMPLE, run_cli

DIR = FIXTURES / "product_led"


def d(points: float, age: float, half_life: float = 21) -> float:
    """Decayed points of one event ``age`` days old."""
    return points * 0.5 ** (age / half_life)


# p1 Maya, Head of Operations, acme.com (120 people, Software, hubspot): fit 15 + 15 + 10 + 5 + 5 = 50.
P1_INTENT = (d(10, 20)                                # signed up 20 days ago (once)
             + d(25, 1)                               # core feature 5 times in 30 days: the habit, latest 1 day ago
             + sum(d(1, a) for a in (1, 2, 3, 4, 5))  # reports/segments use, 1 each (under the cap of 5)
             + d(15, 2))                              # invited a teammate 2 days ago
# p2 Leo, Software Engineer, acme.com: fit 15 + 15 + 5 + 5 = 40. Four uses: no habit.
P2_INTENT = sum(d(1, a) for a in (3, 4, 5, 6)) + d(15, 10)
# p3 Sol, Marketing Manager, gmail.com: fit 10 (manager). Six uses: the habit; hit a limit yesterday.
P3_INTENT = (d(10, 5) + d(25, 0)
             + 5                                      # rulesets/scores use: sum over 6 events = 5.67, capped at 5
             + d(25, 1, half_life=7)                  # hit_usage_limit, half-life 7
             + d(5, 0.5))                             # pricing page 12 hours ago


@pytest.fixture(scope="module")
def result():
    ruleset = load_ruleset("product_led")
    return read_and_score(ruleset, [str(DIR / "contacts.csv")], [str(DIR / "events.csv")], as_of=AS_OF,
                          rollup="account")


def _rows(result) -> dict[str, dict]:
    return {r["lead_id"]: r for r in result.scored.to_dicts()}


def test_the_builtin_name_and_the_file_are_the_same_ruleset():
    from tests.conftest import RULESETS

    assert load_ruleset("product_led").name == load_ruleset(str(RULESETS / "product_led.yaml")).name


def test_scores_and_pql_tier(result):
    rows = _rows(result)
    got = {k: (v["fit_score"], v["grade"], v["tier"]) for k, v in rows.items()}
    assert got == {
        "p1": (50, "A", "pql"),         # habit + invited a teammate
        "p2": (40, "A", "activated"),   # uses the product, no habit yet
        "p3": (10, "C", "pql"),         # habit + hit a usage limit
        "p4": (45, "A", "nurture"),     # CTO: 15 + 15 + 10 + 5 (no CRM); no product use at all
    }
    assert rows["p1"]["intent_score"] == pytest.approx(P1_INTENT, abs=1e-9)
    assert rows["p2"]["intent_score"] == pytest.approx(P2_INTENT, abs=1e-9)
    assert rows["p3"]["intent_score"] == pytest.approx(P3_INTENT, abs=1e-9)


def test_routes_and_slas(result):
    rows = _rows(result)
    got = {k: (v["route"], v["owner"], v["sla_due_at"], v["next_step"]) for k, v in rows.items()}
    utc = timezone.utc
    assert got["p1"] == ("sales_assist", "kim.tran", datetime(2026, 10, 31, tzinfo=utc), "pql_outreach")
    # p3, a small team: the route's in-app prompt, 1 h from the usage-limit hit (Oct 31 00:00), is due
    # before the pql tier's 24 h outreach.
    assert got["p3"] == ("self_serve_upgrade", None, datetime(2026, 10, 31, 1, tzinfo=utc), "in_app_upgrade_prompt")
    assert got["p2"] == ("onboarding", None, None, None)
    assert got["p4"] == ("product_nurture", None, None, None)
    assert rows["p4"]["nurture_track"] == "not_started"
    assert rows["p4"]["recheck_at"] == datetime(2026, 12, 31, tzinfo=utc)  # + 60 days


def test_workspace_rollup(result):
    accounts = {r["account_id"]: r for r in result.accounts.to_dicts()}
    assert set(accounts) == {"ws_acme", "ws_solo", "acme.com"}
    acme = accounts["ws_acme"]
    assert (acme["contacts"], acme["engaged_contacts"]) == (2, 2)
    assert acme["account_intent"] == pytest.approx(P1_INTENT + P2_INTENT, abs=1e-9)
    # Maya (Head of Operations: director, operations) is an admin and a user; Leo (IC, engineering) too.
    assert acme["roles_covered"] == ["admin", "user"]
    assert acme["account_tier"] == ("pql_workspace" if P1_INTENT + P2_INTENT >= 80 else "active_workspace")
    solo = accounts["ws_solo"]
    assert (solo["contacts"], solo["account_intent"]) == (1, pytest.approx(min(P3_INTENT, 80), abs=1e-9))
    # The CTO has no product events: no workspace, so the company domain names the account.
    assert accounts["acme.com"]["contacts"] == 1
    assert accounts["acme.com"]["engaged_contacts"] == 0
    tiers = {r["lead_id"]: r["account_tier"] for r in result.scored.to_dicts()}
    assert tiers["p1"] == tiers["p2"] == acme["account_tier"]


def test_product_led_on_the_sample(tmp_path):
    out = tmp_path / "pl.parquet"
    run_cli(["score", SAMPLE / "contacts.csv", "-a", str(SAMPLE / "events" / "*.csv"), "--accounts",
             SAMPLE / "accounts.csv", "--as-of", "2026-11-01", "-r", "product_led", "-o", out,
             "--rollup", "account", "-q"])
    leads = pl.read_parquet(out)
    accounts = pl.read_parquet(tmp_path / "pl.accounts.parquet")
    assert leads.filter(pl.col("tier") == "pql").height > 0
    assert accounts.filter(pl.col("account_id").str.starts_with("ws_")).height > 0
    assert accounts.filter(pl.col("account_tier") == "pql_workspace").height > 0
