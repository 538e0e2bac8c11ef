"""Event aggregation: sums that do not depend on the order of the events."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import yaml

from leadq.activity import aggregate_events, event_type_spellings, rule_types_as_read
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


MESSY_TYPES = [" Demo Request ", "DEMO_REQUEST", "demo-request", "DemoRequest", "demo.request", "", "   ", "n/a",
               None, "pricing_page", "Pricing Page\t", "PRICING-PAGE", "page_view"]


def test_the_types_a_rule_counts_as_read_are_those_that_trim_and_lower_case_to_its_spellings(tmp_path):
    rules = {"intent": [
        {"id": "demo", "label": "Demo", "event": "demo_request", "points": 10, "per": "event"},
        {"id": "pricing", "label": "Pricing", "event": ["PricingPage", "trial"], "points": 5, "per": "event"}]}
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({**BASE, **rules}, sort_keys=False))
    ruleset = load_ruleset(str(path))
    demo, pricing = rule_types_as_read(list(ruleset.event_rules), MESSY_TYPES)
    assert demo == [" Demo Request ", "DEMO_REQUEST", "DemoRequest", "demo-request"]
    assert pricing == ["PRICING-PAGE", "Pricing Page\t", "pricing_page"]


def test_events_matched_by_their_types_as_read_aggregate_as_the_typed_types_do(tmp_path):
    rules = {"intent": [
        {"id": "demo", "label": "Demo", "event": "demo_request", "points": 10, "per": "event", "half_life_days": 7},
        {"id": "pricing", "label": "Pricing", "event": "pricing_page", "points": 5, "per": "event"},
        {"id": "trial", "label": "Trial", "event": "trial_started", "points": 5}]}  # no such event in the log
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({**BASE, **rules}, sort_keys=False))
    ruleset = load_ruleset(str(path))
    compiled = compile_ruleset(ruleset, AS_OF)
    n = len(MESSY_TYPES) * 3
    raw = pl.LazyFrame({
        "lead_id": [f"L{i % 4}" for i in range(n)],
        "event_type": [MESSY_TYPES[i % len(MESSY_TYPES)] for i in range(n)],
        "occurred_at": [AS_OF - timedelta(days=i) for i in range(n)],
        "url": [None] * n,
    }, schema_overrides={"url": pl.String, "event_type": pl.String})
    from leadq.cleaning import map_columns

    def typed(as_read: frozenset[str]) -> pl.LazyFrame:
        return map_columns(raw, raw.collect_schema(), ruleset.activity_columns, ruleset.settings,
                           blank_placeholders=False, as_read=as_read)

    as_typed = aggregate_events(typed(frozenset()), ruleset, AS_OF, compiled.event_where, counts=True)
    as_read = aggregate_events(typed(frozenset({"event_type"})), ruleset, AS_OF, compiled.event_where, counts=True,
                               types_as_read=MESSY_TYPES)
    expected = as_typed.sort("lead_id").collect()
    assert expected["_n__demo"].sum() == 12 and expected["_n__pricing"].sum() == 9
    assert expected["_n__trial"].sum() == 0
    assert as_read.sort("lead_id").collect().equals(expected)


def test_a_parquet_log_is_matched_by_its_types_as_read_and_scores_as_the_same_log_in_csv(tmp_path, monkeypatch):
    from leadq import activity_input
    from tests.conftest import SAMPLE, SAMPLE_AS_OF, run_cli

    log = pl.concat([pl.read_csv(p, infer_schema=False) for p in sorted((SAMPLE / "events").glob("*.csv"))])
    spell = [lambda t: t, str.upper, lambda t: f"  {t} ", lambda t: t.replace("_", " ").title(), lambda t: " "]
    types = [spell[i % len(spell)](t) for i, t in enumerate(log["Event Type"].to_list())]
    log = log.with_columns(pl.Series("Event Type", types))
    log.write_csv(tmp_path / "events.csv")
    log.write_parquet(tmp_path / "events.parquet")
    seen: list[list[str] | None] = []
    find = activity_input.event_types_as_read
    monkeypatch.setattr(activity_input, "event_types_as_read", lambda *a: seen.append(find(*a)) or seen[-1])

    def score(events: str, name: str) -> pl.DataFrame:
        out = tmp_path / f"{name}.parquet"
        run_cli(["score", SAMPLE / "contacts.csv", "--activities", tmp_path / events, "--as-of", SAMPLE_AS_OF,
                 "-o", out, "-q"])
        return pl.read_parquet(out)

    from_csv = score("events.csv", "csv")
    from_parquet = score("events.parquet", "parquet")
    assert seen[0] is None and sorted(seen[1]) == sorted(set(types))  # CSV: typed per event; Parquet: as read
    assert from_csv["intent_score"].sum() > 0
    assert from_parquet.equals(from_csv)
    monkeypatch.setattr(activity_input, "MAX_TYPES_AS_READ", 3)  # too many distinct types: typed per event
    assert score("events.parquet", "typed").equals(from_csv)
    assert seen[2] is None
