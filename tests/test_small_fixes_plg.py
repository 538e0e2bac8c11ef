"""Small fixes from a user test: product_led's `dormant` disqualifier, a funnel without stage dates,
the message for an account figure in a lead tier, and calibrate's one-lead comparisons."""

from __future__ import annotations

import pytest

from leadq.cases import load_cases, run_cases
from leadq.ruleset_loader import load_ruleset
from tests.conftest import RULESETS, run_cli

PL_CASES = RULESETS / "cases" / "product_led.yaml"

ACTIVE_NEW_USER = """\
as_of: 2026-11-01
cases:
  - name: signed up 3 days ago, used core feature 4 times yesterday
    lead: {email: pat@acme-analytics.com, job_title: Engineer, company_size: 100}
    events:
      - {type: signed_up, days_ago: 3}
      - {type: used_core_feature, days_ago: 1, count: 4, url: /app/home}
    expect: {tier: activated}
"""


# ---------------------------------------------------------------- product_led: dormant


def test_the_example_cases_of_product_led_pass():
    result = run_cli(["test", "product_led", PL_CASES])
    assert result.stdout.rstrip().endswith("5 of 5 cases passed")


def test_an_active_new_user_is_activated_not_dormant(tmp_path):
    # The user test's case, as given: before the fix the lead was nurture with reason dormant
    # (not 5+ uses in 30 days read as "no product use in 60 days").
    path = tmp_path / "plcases.yaml"
    path.write_text(ACTIVE_NEW_USER)
    run_cli(["test", "product_led", path, "-q"])


@pytest.mark.parametrize(("signed_up", "used", "dormant"), [
    (3, None, False),     # new: not 60 days to use the product yet
    (61, None, True),     # signed up over 60 days ago, no use at all
    (80, 70, True),       # last use 70 days ago
    (80, 60, False),      # a use 60 days ago is inside the 60 days (ages <= within_days count)
    (80, 59, False),
    (59, None, False),
])
def test_dormant_means_signed_up_over_60_days_ago_and_no_product_use_since(tmp_path, signed_up, used, dormant):
    events = f"      - {{type: signed_up, days_ago: {signed_up}}}\n"
    if used is not None:
        events += f"      - {{type: connected_integration, days_ago: {used}}}\n"
    path = tmp_path / "c.yaml"
    path.write_text("as_of: 2026-11-01\ncases:\n  - name: x\n    lead: {email: a@acme-analytics.com}\n"
                    f"    events:\n{events}    expect: {{tier: activated}}\n")
    rs = load_ruleset("product_led")
    cases, as_of = load_cases(str(path), rs, None)
    result = run_cases(rs, cases, as_of).results[0]
    assert (result.tier, "dormant" in result.reasons) == (("nurture", True) if dormant else ("activated", False))
