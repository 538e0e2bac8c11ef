"""`leadq validate`: comparisons of days_since(event rule) that its window makes impossible
(leadq.condition_reasoning.days_since_beyond_window, the days-since-beyond-window finding)."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, run_cli

from leadq.condition_parser import parse
from leadq.condition_reasoning import Reasoner, days_since_beyond_window, score_bounds
from leadq.lint import lint_ruleset
from leadq.ruleset_loader import load_ruleset

BASE = ROOT / "tests" / "cases" / "rules" / "_base.yaml"

# A 30-day habit rule and a demo rule on the base's 365-day lookback; line 11 is the dormant
# disqualifier (its condition on line 13 from column 11), line 19 the hot tier.
RULESET = """\
extends: {base}
intent:
  - id: habit
    event: used_core_feature
    points: 5
    within_days: 30
  - id: demo
    event: demo_request
    points: 10
disqualifiers:
  - code: dormant
    category: bad_timing
    when: {dormant}
tiers:
  - name: gone
    when: bad_timing
  - name: recent_demo
    when: {recent}
  - name: hot
    when: {hot}
  - name: rest
    otherwise: true
"""


def _write(tmp_path, dormant="intent < 1", recent="days_since(demo) <= 14", hot="intent >= 5"):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET.format(base=BASE, dormant=dormant, recent=recent, hot=hot))
    return str(path)


def _findings(path, code):
    return [(f.line, f.column, f.code, f.subject, f.message) for f in lint_ruleset(path).findings
            if f.code == code]


WINDOW_30 = ("rule 'habit' looks back 30 days (its window), so days_since(habit) is at most 30, or blank "
             "when no event matched in them")


def test_days_since_beyond_the_window_inside_an_or_is_flagged_where_it_stands(tmp_path):
    # The user test's product_led: `> 60` on a 30-day rule never holds, so the `or` is just
    # `not fired(habit)`; the disqualifier as a whole can still apply, so only this finding says so.
    path = _write(tmp_path, dormant="(days_since(habit) > 60 or not fired(habit)) and intent < 1")
    assert _findings(path, "days-since-beyond-window") == [
        (13, 12, "days-since-beyond-window", "disqualifier 'dormant'",
         f"`days_since(habit) > 60` can never be true: {WINDOW_30}")]
    assert _findings(path, "disqualifier-unreachable") == []
    result = run_cli(["validate", path], exit_code=0)
    assert "[days-since-beyond-window]" in result.stdout
    run_cli(["validate", "--strict", path], exit_code=1)


def test_a_disqualifier_that_needs_days_since_beyond_the_window_is_unreachable(tmp_path):
    path = _write(tmp_path, dormant="fired(habit) and days_since(habit) >= 31")
    assert _findings(path, "disqualifier-unreachable") == [
        (11, 5, "disqualifier-unreachable", "disqualifier 'dormant'",
         f"can never apply: it needs days_since(habit) >= 31, but {WINDOW_30}")]
    assert [f[:2] for f in _findings(path, "days-since-beyond-window")] == [(13, 28)]


def test_a_tier_that_needs_days_since_beyond_the_default_lookback_is_unreachable(tmp_path):
    # demo has no within_days: the base's settings.lookback_days (365) is its window.
    path = _write(tmp_path, hot="days_since(demo) between 400 and 500")
    assert _findings(path, "tier-unreachable") == [
        (19, 5, "tier-unreachable", "tier 'hot'",
         "can never match: it needs days_since(demo) between 400 and 500, but rule 'demo' looks back 365 "
         "days (its window), so days_since(demo) is at most 365, or blank when no event matched in them")]


def test_days_since_below_zero_is_flagged(tmp_path):
    path = _write(tmp_path, recent="days_since(demo) < 0")
    assert _findings(path, "tier-unreachable") == [
        (17, 5, "tier-unreachable", "tier 'recent_demo'",
         "can never match: it needs days_since(demo) < 0, but days_since(demo) is never below 0 (events "
         "after the as-of time are not counted)")]
    assert _findings(path, "days-since-beyond-window") == [
        (18, 11, "days-since-beyond-window", "tier 'recent_demo'",
         "`days_since(demo) < 0` can never be true: days_since(demo) is never below 0 (events after the "
         "as-of time are not counted)")]


def test_contradicting_days_since_bounds_are_unreachable(tmp_path):
    path = _write(tmp_path, recent="days_since(demo) <= 7 and days_since(demo) > 14")
    assert [(f[3], f[4]) for f in _findings(path, "tier-unreachable")] == [
        ("tier 'recent_demo'", "can never match: its conditions on days_since(demo) contradict each other")]
    assert _findings(path, "days-since-beyond-window") == []


@pytest.mark.parametrize("cond", [
    "days_since(habit) > 29.9", "days_since(habit) >= 30", "days_since(habit) = 30", "days_since(habit) <= 0",
    "days_since(habit) between 30 and 90", "30 >= days_since(habit)",
    "not fired(habit)",
])
def test_comparisons_the_window_allows_are_not_flagged(tmp_path, cond):
    # Events aged exactly the window count (age <= within_days), and at age 0.
    path = _write(tmp_path, dormant=cond)
    assert _findings(path, "disqualifier-unreachable") == []
    assert _findings(path, "days-since-beyond-window") == []


@pytest.mark.parametrize(("cond", "comparison"), [
    ("days_since(habit) > 30", "days_since(habit) > 30"),
    ("60 < days_since(habit)", "days_since(habit) > 60"),
    ("days_since(habit) = 31", "days_since(habit) = 31"),
    ("days_since(habit) <= -1", "days_since(habit) <= -1"),
])
def test_days_since_beyond_window_reads_each_form(tmp_path, cond, comparison):
    ruleset = load_ruleset(_write(tmp_path))
    reasoner = Reasoner(ruleset, score_bounds(ruleset))
    found = days_since_beyond_window(parse(cond), reasoner.windows)
    assert found is not None and found[0] == comparison


def test_a_date_field_and_a_name_that_is_no_event_rule_are_left_alone(tmp_path):
    ruleset = load_ruleset(_write(tmp_path))
    reasoner = Reasoner(ruleset, score_bounds(ruleset))
    assert days_since_beyond_window(parse("days_since(created_at) > 400"), reasoner.windows) is None
    assert days_since_beyond_window(parse("days_since(created_at) < 0"), reasoner.windows) is None
    assert days_since_beyond_window(parse("days_since(habit) + 40 > 60"), reasoner.windows) is None


def test_the_shipped_rulesets_have_no_days_since_beyond_a_window():
    for name in ("b2b_saas", "product_led", "salesforce_b2b_saas", "worked_example"):
        assert [f for f in lint_ruleset(name).findings if f.code == "days-since-beyond-window"] == []
