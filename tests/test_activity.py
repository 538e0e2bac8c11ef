"""Event aggregation: sums that do not depend on the order of the events."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import yaml

from leadq.activity import aggregate_events, event_type_spellings
from leadq.compiler import compile_ruleset
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF
from tests.test_rule_cases import BASE


def test_decayed_sums_are_the_same_in_any_event_order(tmp_path):
    # Points 0.1, 0.2 and 0.3 (per event, no decay): in floats (0.1 + 0.2) + 0.3 != 0.1 + (0.2 + 0.3),
    # so a parallel group-by that adds them in another order would change the last bits between runs.
    rules = {"intent": [
        {"id": f"r{i}", "label": f"r{i}", "event": f"e{i}", "points": p, "per": "event"}
        for i, p in enumerate([0.1, 0.2, 0.3])] + [
        {"id": "all", "label": "all", "event": ["e0", "e1", "e2"], "points": 0.1, "per": "event",
         "half_life_days": 3}]}
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({**BASE, **rules}, sort_keys=False))
    ruleset = load_ruleset(str(path))
    compiled = compile_ruleset(ruleset, AS_OF)
    n = 3000
    events = pl.DataFrame({
        "lead_id": ["L1"] * n,
        "event_type": [f"e{i % 3}" for i in range(n)],
        "occurred_at": [AS_OF - timedelta(hours=i % 500) for i in range(n)],
        "url": [None] * n,
    }, schema_overrides={"url": pl.String})
    sums = {
        order: aggregate_events(frame.lazy(), ruleset, AS_OF, compiled.event_where).collect()
        .select("_dec__all").item()
        for order, frame in (("forward", events), ("reverse", events.reverse()),
                             ("shuffled", events.sample(fraction=1.0, shuffle=True, seed=7)))
    }
    assert sums["forward"] == sums["reverse"] == sums["shuffled"]
    # ... and equal, to far better than a score needs, to the exact sum.
    exact = sum(0.1 * 0.5 ** ((i % 500) / 24 / 3) for i in range(n))
    assert abs(sums["forward"] - exact) < 1e-9


def test_events_years_after_the_as_of_time_are_not_counted_and_do_not_overflow(tmp_path):
    # With the event accounting every event is grouped, those after as_of too; their decay factor
    # (2 ** (years / half-life)) once overflowed the fixed-point sum and failed the whole run.
    rules = {"intent": [{"id": "demo", "label": "Demo", "event": "demo_request", "points": 10, "per": "event",
                         "half_life_days": 7}]}
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({**BASE, **rules}, sort_keys=False))
    ruleset = load_ruleset(str(path))
    compiled = compile_ruleset(ruleset, AS_OF)
    events = pl.DataFrame({
        "lead_id": ["L1", "L1", "L1"],
        "event_type": ["demo_request"] * 3,
        "occurred_at": [AS_OF - timedelta(days=7), AS_OF + timedelta(days=3 * 365), AS_OF + timedelta(seconds=1)],
        "url": [None] * 3,
    }, schema_overrides={"url": pl.String})
    row = aggregate_events(events.lazy(), ruleset, AS_OF, compiled.event_where, counts=True).collect().row(0, named=True)
    assert (row["_n__demo"], row["_dec__demo"], row["_ev_rows"], row["_ev_due"]) == (1, 5.0, 3, 1)
    assert row["_last__demo"] == AS_OF - timedelta(days=7)


def test_an_event_type_matches_its_spellings_in_any_case_and_with_any_word_joiner():
    assert event_type_spellings("demo_request") == ["demo request", "demo-request", "demo_request", "demorequest"]
    # Written as the log writes it, or in camel case: the same spellings.
    assert event_type_spellings(" Demo Request ") == event_type_spellings("DemoRequest") \
        == event_type_spellings("demo-request")
    assert event_type_spellings("e_book") == ["e book", "e-book", "e_book", "ebook"]
    assert "page.view" not in event_type_spellings("page_view")
