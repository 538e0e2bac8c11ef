"""Event aggregation: sums that do not depend on the order of the events."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
import yaml

from leadq import activity, cleaning
from leadq.activity import aggregate_events, event_type_spellings
from leadq.cleaning import map_columns
from leadq.compiler import compile_ruleset
from leadq.event_codes import codable_fields, coded_log
from leadq.event_partitions import ENV_VAR, partition_count
from leadq.inputs import ReadOptions, read_input_files
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, run_cli
from tests.test_rule_cases import BASE


@pytest.fixture(autouse=True, params=["per rule", "wide", "keyed"])
def aggregation(request, monkeypatch):
    """Every test here runs with each plan of the counted events (activity._aggregated): a group-by
    per rule (rulesets with few event rules), one wide group-by (many), and the events grouped by
    their lead ids' numbers where they have one (activity._keyed: large logs of numeric ids)."""
    if request.param == "wide":
        monkeypatch.setattr(activity, "PER_RULE_GROUP_BYS", 0)
    if request.param == "keyed":
        monkeypatch.setitem(activity.event_partials.__kwdefaults__, "keyed", True)
    return request.param


def _compiled(tmp_path, sections: dict):
    """The test rulesets: the rule cases' base with ``sections``, loaded and compiled."""
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({**BASE, **sections}, sort_keys=False))
    ruleset = load_ruleset(str(path))
    return ruleset, compile_ruleset(ruleset, AS_OF)


def test_decayed_sums_are_the_same_in_any_event_order(tmp_path):
    # Points 0.1, 0.2 and 0.3 (per event, no decay): in floats (0.1 + 0.2) + 0.3 != 0.1 + (0.2 + 0.3),
    # so a parallel group-by that adds them in another order would change the last bits between runs.
    rules = {"intent": [
        {"id": f"r{i}", "label": f"r{i}", "event": f"e{i}", "points": p, "per": "event"}
        for i, p in enumerate([0.1, 0.2, 0.3])] + [
        {"id": "all", "label": "all", "event": ["e0", "e1", "e2"], "points": 0.1, "per": "event",
         "half_life_days": 3}]}
    ruleset, compiled = _compiled(tmp_path, rules)
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
    ruleset, compiled = _compiled(tmp_path, rules)
    events = pl.DataFrame({
        "lead_id": ["L1", "L1", "L1"],
        "event_type": ["demo_request"] * 3,
        "occurred_at": [AS_OF - timedelta(days=7), AS_OF + timedelta(days=3 * 365), AS_OF + timedelta(seconds=1)],
        "url": [None] * 3,
    }, schema_overrides={"url": pl.String})
    row = aggregate_events(events.lazy(), ruleset, AS_OF, compiled.event_where, counts=True).collect().row(0, named=True)
    assert (row["_n__demo"], row["_dec__demo"], row["_ev_rows"], row["_ev_due"]) == (1, 5.0, 3, 1)
    assert row["_last__demo"] == AS_OF - timedelta(days=7)


def test_partials_spread_per_rule_count_a_shared_event_once_and_leave_leads_without_hits_blank(tmp_path):
    # The events some rule counts are grouped by lead (per rule, or in one wide group-by: both plans
    # run) and spread into one row per lead (activity._aggregated, activity._spread): every rule sees
    # its own events, an event two rules share counts once in the accounting, a lead gets 0 (not
    # blank) for the rules that counted none of its events, and a lead with no counted event has
    # blank rule columns but its counts.
    rules = {"intent": [
        {"id": "pricing", "label": "Pricing", "event": "page_view", "where": "url contains '/pricing'",
         "points": 5, "per": "event", "half_life_days": 10},
        {"id": "pages", "label": "Pages", "event": "page_view", "points": 1, "per": "event"},
        {"id": "demo", "label": "Demo", "event": "demo_request", "points": 20, "per": "event"}]}
    ruleset, compiled = _compiled(tmp_path, rules)
    day = timedelta(days=1)
    events = pl.DataFrame({
        "lead_id": ["L1", "L1", "L1", "L2", "L3", "L3", None],
        "event_type": ["page_view", "page_view", "demo_request", "page_view", "email_open", "page_view",
                       "demo_request"],
        "occurred_at": [AS_OF - 10 * day, AS_OF - 2 * day, AS_OF - 1 * day, AS_OF - 3 * day, AS_OF - day,
                        AS_OF + day, AS_OF - day],
        "url": ["/pricing", "/blog", None, "/docs", None, "/pricing", None],
    }, schema_overrides={"url": pl.String})
    rows = {r["lead_id"]: r for r in aggregate_events(events.lazy(), ruleset, AS_OF, compiled.event_where,
                                                      counts=True).collect().iter_rows(named=True)}
    assert sorted(rows, key=str) == ["L1", "L2", "L3", None]
    l1, l2, l3 = rows["L1"], rows["L2"], rows["L3"]
    # L1: the pricing view is in both page rules; three events, each counted once.
    assert (l1["_n__pricing"], l1["_n__pages"], l1["_n__demo"]) == (1, 2, 1)
    assert l1["_dec__pricing"] == pytest.approx(2.5, abs=1e-12)  # 5 points, one half-life old
    assert (l1["_dec__pages"], l1["_dec__demo"]) == (2.0, 20.0)
    assert (l1["_last__pricing"], l1["_last__pages"]) == (AS_OF - 10 * day, AS_OF - 2 * day)
    assert (l1["_ev_rows"], l1["_ev_timed"], l1["_ev_due"]) == (3, 3, 3)
    # L2: one page view; the rules that counted none of its events have 0 and no last time.
    assert (l2["_n__pricing"], l2["_dec__pricing"], l2["_last__pricing"], l2["_n__demo"]) == (0, 0.0, None, 0)
    assert l2["_n__pages"] == 1 and l2["_ev_rows"] == 1
    # L3: an e-mail open (no rule) and a view after as_of: counted, but no rule hit.
    assert (l3["_n__pricing"], l3["_n__pages"], l3["_dec__demo"], l3["_last__pages"]) == (None, None, None, None)
    assert (l3["_ev_rows"], l3["_ev_timed"], l3["_ev_due"]) == (2, 2, 1)
    # The event without a lead is only counted.
    assert (rows[None]["_n__demo"], rows[None]["_ev_rows"]) == (None, 1)


def test_numeric_key_is_the_number_only_of_an_id_written_plainly():
    ids = ["0", "7", "10", "18446744073709551615", "00", "007", "+7", "-7", "7.0", " 7", "18446744073709551616",
           "010000000000000000000", "\u0663", "L1", "", None]
    keys = pl.select(activity.numeric_key(pl.lit(pl.Series(ids, dtype=pl.String)))).to_series().to_list()
    assert keys == [0, 7, 10, 18446744073709551615] + [None] * 12


def test_keyed_partials_group_numbers_and_other_ids_apart_and_give_the_ids_back_as_text(tmp_path, aggregation):
    # activity._keyed: "7" is grouped by its number, "007", "+7", "L1" and "n/a" by their text; the
    # rows come back with the ids as written, each lead once, the same as the text plan's.
    rules = {"intent": [
        {"id": "pages", "label": "Pages", "event": "page_view", "points": 1, "per": "event", "half_life_days": 10},
        {"id": "demo", "label": "Demo", "event": "demo_request", "points": 20, "per": "event"}]}
    ruleset, compiled = _compiled(tmp_path, rules)
    day = timedelta(days=1)
    ids = ["7", "7", "007", "+7", "L1", "n/a", None, "10", "10", "007"]
    events = pl.DataFrame({
        "lead_id": ids,
        "event_type": ["page_view", "demo_request", "page_view", "demo_request", "page_view", "page_view",
                       "page_view", "email_open", "page_view", "page_view"],
        "occurred_at": [AS_OF - 10 * day, AS_OF - day, AS_OF - day, AS_OF - day, AS_OF, AS_OF - day,
                        AS_OF - day, AS_OF - day, AS_OF + day, None],
    })

    def partials(keyed: bool) -> dict:
        frame = activity.event_partials(events.lazy(), ruleset, AS_OF, compiled.event_where, counts=True,
                                        keyed=keyed).collect()
        assert frame.schema["lead_id"] == pl.String and frame["lead_id"].n_unique() == frame.height
        return {r["lead_id"]: r for r in frame.iter_rows(named=True)}

    rows = partials(True)
    assert rows == partials(False)
    assert sorted(rows, key=str) == ["+7", "007", "10", "7", "L1", None, "n/a"]
    assert (rows["7"]["_n__pages"], rows["7"]["_dec__pages"], rows["7"]["_n__demo"]) == (1, 500_000_000_000, 1)
    assert (rows["007"]["_n__pages"], rows["007"]["_ev_rows"], rows["007"]["_ev_timed"]) == (1, 2, 1)
    assert (rows["+7"]["_n__demo"], rows["+7"]["_n__pages"]) == (1, 0)
    # "10": an e-mail open and a view after as_of, no rule hit; the event without a lead: counted only.
    assert (rows["10"]["_n__pages"], rows["10"]["_ev_rows"], rows["10"]["_ev_due"]) == (None, 2, 1)
    assert (rows[None]["_n__pages"], rows[None]["_ev_rows"]) == (None, 1)


def test_keyed_partials_trim_the_ids_that_are_no_plain_number(tmp_path, aggregation):
    # activity._with_keys: a large log's ids come untrimmed; " 7 " is the lead 7 (grouped with "7", once),
    # blanks are no id, " L1 " is "L1": the same partials as the text plan's on the ids trimmed.
    rules = {"intent": [{"id": "pages", "label": "Pages", "event": "page_view", "points": 1, "per": "event"}]}
    ruleset, compiled = _compiled(tmp_path, rules)
    ids = ["7", " 7", "7 ", "\t7\n", "  ", "", " L1 ", "L1", " 007", None]
    raw = pl.DataFrame({"lead_id": ids, "event_type": ["page_view"] * len(ids),
                        "occurred_at": [AS_OF - timedelta(days=1)] * len(ids)})
    clean = raw.with_columns(cleaning.blank_to_null(pl.col("lead_id").str.strip_chars()).alias("lead_id"))

    def partials(events: pl.DataFrame, keyed: bool) -> dict:
        frame = activity.event_partials(events.lazy(), ruleset, AS_OF, compiled.event_where, counts=True,
                                        keyed=keyed).collect()
        assert frame["lead_id"].n_unique() == frame.height
        return {r["lead_id"]: r for r in frame.iter_rows(named=True)}

    rows = partials(raw, True)
    assert rows == partials(clean, False)
    assert (rows["7"]["_n__pages"], rows["L1"]["_n__pages"], rows["007"]["_n__pages"]) == (4, 2, 1)
    assert rows[None]["_ev_rows"] == 3  # "  ", "" and no id at all


@pytest.mark.parametrize(("ids", "numeric"), [
    (["7", " 8 ", "9", None, ""] * 4, True),  # trimmed, blanks left out
    (["7"] * 9 + ["n/a"], True),  # 90% numbers
    (["7"] * 8 + ["007", "L1"], False),
    ([None, ""], False),
])
def test_a_log_is_grouped_by_number_when_nine_in_ten_of_its_first_ids_are_numbers(tmp_path, ids, numeric):
    from leadq.activity_input import numeric_ids

    ruleset, _ = _compiled(tmp_path, {})
    column = ruleset.activity_columns["lead_id"].column
    events = pl.LazyFrame({column: ids}, schema={column: pl.String})
    assert numeric_ids(events, events.collect_schema(), ruleset, "events") is numeric


def test_an_event_type_matches_its_spellings_in_any_case_and_with_any_word_joiner():
    assert event_type_spellings("demo_request") == ["demo request", "demo-request", "demo_request", "demorequest"]
    # Written as the log writes it, or in camel case: the same spellings.
    assert event_type_spellings(" Demo Request ") == event_type_spellings("DemoRequest") \
        == event_type_spellings("demo-request")
    assert event_type_spellings("e_book") == ["e book", "e-book", "e_book", "ebook"]
    assert "page.view" not in event_type_spellings("page_view")


MESSY_TYPES = [" Demo Request ", "DEMO_REQUEST", "demo-request", "DemoRequest", "demo.request", "", "   ", "n/a",
               None, "pricing_page", "Pricing Page\t", "PRICING-PAGE", "page_view"]
MESSY_URLS = ["https://x.com/Pricing", " https://x.com/pricing/plans ", "https://x.com/blog/a", None, "", "  ",
              "https://x.com/BLOG", "https://x.com/"]


def _coded_ruleset(tmp_path, rules: dict):
    return _compiled(tmp_path, {**rules, "activity_columns": {**BASE["activity_columns"], "campaign": "campaign"}})


def test_a_rule_matches_the_codes_of_the_values_that_trim_and_lower_case_to_its_test(tmp_path):
    ruleset, compiled = _coded_ruleset(tmp_path, {"intent": [
        {"id": "demo", "label": "Demo", "event": "demo_request", "points": 10},
        {"id": "pricing", "label": "Pricing", "event": ["PricingPage", "page_view"], "points": 5,
         "where": 'url contains "/pricing"'},
        {"id": "no_blog", "label": "Not blog", "event": "page_view", "points": 1, "where": 'not url contains "/blog"'},
        {"id": "both", "label": "Both", "event": "page_view", "points": 1,
         "where": 'url contains "/blog" and campaign = "spring"'}]})
    # url is read with campaign by "both": it is typed per event; the type is always coded.
    assert codable_fields(ruleset, compiled.event_where) == ["event_type"]
    del compiled.event_where["both"]
    assert codable_fields(ruleset, compiled.event_where) == ["event_type", "url"]
    types = [t for t in MESSY_TYPES if t is not None]
    log = coded_log(ruleset, compiled.event_where, {"event_type": types, "url": [u for u in MESSY_URLS if u is not None]})
    demo, pricing, no_blog, _ = ([types[i] for i in codes] for codes in log.type_codes)
    assert demo == [" Demo Request ", "DEMO_REQUEST", "demo-request", "DemoRequest"]
    assert pricing == ["pricing_page", "Pricing Page\t", "PRICING-PAGE", "page_view"]
    assert no_blog == ["page_view"]
    urls = [u for u in MESSY_URLS if u is not None] + [None]  # the last code: no value
    assert log.where["demo"] is None
    assert log.where["pricing"].meta.root_names() == ["_code__url"]
    on = pl.DataFrame({"_code__url": list(range(len(urls)))}, schema={"_code__url": pl.UInt32})
    assert [u for u, hit in zip(urls, on.select(log.where["pricing"]).to_series()) if hit] == [
        "https://x.com/Pricing", " https://x.com/pricing/plans "]
    # A blank URL does not contain "/blog", so `not` of it is true there, as for any event.
    assert [u for u, hit in zip(urls, on.select(log.where["no_blog"]).to_series()) if not hit] == [
        "https://x.com/blog/a", "https://x.com/BLOG"]


def test_events_matched_by_code_aggregate_as_the_typed_events_do(tmp_path):
    ruleset, compiled = _coded_ruleset(tmp_path, {"intent": [
        {"id": "demo", "label": "Demo", "event": "demo_request", "points": 10, "per": "event", "half_life_days": 7},
        {"id": "pricing", "label": "Pricing", "event": ["pricing_page", "page_view"], "points": 5, "per": "event",
         "where": 'url contains "/pricing"'},
        {"id": "no_blog", "label": "Not blog", "event": "page_view", "points": 1, "per": "event",
         "where": 'not url contains "/blog"'},
        {"id": "both", "label": "Both", "event": "page_view", "points": 1, "per": "event",
         "where": 'campaign = "spring" or campaign is null'},
        {"id": "demo_words", "label": "Demo words", "event": ["demo_request", "pricing_page"], "points": 1,
         "per": "event", "where": 'event_type starts with "demo r"'},  # a where on the (coded) type itself
        {"id": "trial", "label": "Trial", "event": "trial_started", "points": 5}]})  # no such event in the log
    n = len(MESSY_TYPES) * len(MESSY_URLS) * 2
    raw = pl.LazyFrame({
        "lead_id": [f"L{i % 5}" for i in range(n)],
        "event_type": [MESSY_TYPES[i % len(MESSY_TYPES)] for i in range(n)],
        "occurred_at": [AS_OF - timedelta(days=i) for i in range(n)],
        "url": [MESSY_URLS[i // len(MESSY_TYPES) % len(MESSY_URLS)] for i in range(n)],
        "campaign": [[" Spring", "fall", None][i % 3] for i in range(n)],
    }, schema_overrides={"url": pl.String, "event_type": pl.String, "campaign": pl.String})
    values = {c: raw.select(pl.col(c).unique()).collect().to_series().drop_nulls().to_list()
              for c in codable_fields(ruleset, compiled.event_where)}
    assert sorted(values) == ["campaign", "event_type", "url"]
    coded = coded_log(ruleset, compiled.event_where, values)

    def aggregated(as_read: frozenset[str], log) -> pl.DataFrame:
        typed = map_columns(raw, raw.collect_schema(), ruleset.activity_columns, ruleset.settings,
                            blank_placeholders=False, as_read=as_read)
        return aggregate_events(typed, ruleset, AS_OF, compiled.event_where, counts=True, coded=log) \
            .sort("lead_id").collect()

    expected = aggregated(frozenset(), None)
    # 208 events, 16 blocks of the 13 types, each block with one URL (cycling) and the campaigns cycling by 3:
    # demo 4 types x 16; pricing 4 types x 4 blocks of a pricing URL; no_blog page views in 12 blocks of
    # 16 (2 blog URLs); both: page views (event 13b + 12) with campaign " Spring" or none: b % 3 != 1;
    # demo_words: of the demo types only " Demo Request " reads "demo r..." once trimmed and lower-cased, x 16.
    assert [expected[f"_n__{r}"].sum() for r in ("demo", "pricing", "no_blog", "both", "demo_words", "trial")] == [
        64, 16, 12, 11, 16, 0]
    assert aggregated(coded.fields, coded).equals(expected)
    # A text log's codes come from a sample of its (typed) values: events with a value the sample
    # missed are tested as text, in a stream of their own, and the aggregates are the same.
    typed = map_columns(raw, raw.collect_schema(), ruleset.activity_columns, ruleset.settings, blank_placeholders=False)
    seen = {c: sorted(typed.select(pl.col(c).drop_nulls().unique()).collect().to_series().to_list())[::2]
            for c in values}
    partial = coded_log(ruleset, compiled.event_where, seen, complete=False)
    assert partial.known is not None and coded.known is None
    assert typed.with_columns(partial.columns).filter(~partial.known).select(pl.len()).collect().item() > n // 3
    assert aggregated(frozenset(), partial).equals(expected)


def test_a_parquet_log_is_matched_by_code_and_scores_as_the_same_log_in_csv(tmp_path, monkeypatch):
    from leadq import activity_input, event_codes
    from tests.conftest import SAMPLE, SAMPLE_AS_OF, run_cli

    log = pl.concat([pl.read_csv(p, infer_schema=False) for p in sorted((SAMPLE / "events").glob("*.csv"))])
    spell = [lambda t: t, str.upper, lambda t: f"  {t} ", lambda t: t.replace("_", " ").title(), lambda t: " "]
    log = log.with_columns(*(
        pl.Series(c, [spell[i % len(spell)](v) if v else v for i, v in enumerate(log[c].to_list())])
        for c in ("Event Type", "Page URL")), pl.concat_str(pl.lit(" "), "Contact ID", pl.lit("  ")))
    log.write_csv(tmp_path / "events.csv")
    log.write_parquet(tmp_path / "events.parquet")
    seen: list[dict] = []
    find = activity_input.distinct_values
    monkeypatch.setattr(activity_input, "distinct_values", lambda *a: seen.append(find(*a)) or seen[-1])
    sampled: list[dict] = []
    sample = activity_input.sampled_values
    monkeypatch.setattr(activity_input, "sampled_values", lambda *a: sampled.append(sample(*a)) or sampled[-1])
    monkeypatch.setattr(event_codes, "SAMPLE_ROWS", 40)

    def score(events: str, name: str) -> pl.DataFrame:
        out = tmp_path / f"{name}.parquet"
        run_cli(["score", SAMPLE / "contacts.csv", "--activities", tmp_path / events, "--as-of", SAMPLE_AS_OF,
                 "-o", out, "-q"])
        return pl.read_parquet(out)

    from_csv = score("events.csv", "csv")
    from_parquet = score("events.parquet", "parquet")
    # CSV: taken as read (the reader trimmed and blanked every cell), the types and URLs of its first 40 rows
    # by code, the others as text. Parquet: the types and URLs by code (the default ruleset's `where`s read
    # the URL alone), the padded lead ids trimmed per event.
    assert seen[0] == {}
    trimmed = log.select(pl.col("Page URL").str.strip_chars()).filter(pl.col("Page URL") != "").to_series()
    first = log.head(40).select(pl.col("Page URL").str.strip_chars()).filter(pl.col("Page URL") != "").to_series()
    assert sorted(sampled[0]) == ["event_type", "url"]
    assert sampled[0]["url"] == sorted(set(first)) and trimmed.n_unique() > len(sampled[0]["url"])
    assert sorted(seen[1]) == ["event_type", "url"]
    assert sorted(seen[1]["url"]) == sorted(set(log["Page URL"].drop_nulls()))
    assert from_csv["intent_score"].sum() > 0
    assert from_parquet.equals(from_csv)
    monkeypatch.setattr(event_codes, "MAX_VALUES", 3)  # too many values: typed per event
    assert score("events.parquet", "typed").equals(from_csv)
    assert seen[2] == {}


def test_a_csv_log_on_stdin_is_coded_from_its_first_rows_and_scores_as_the_file(tmp_path, monkeypatch):
    from leadq import activity_input, event_codes
    from tests.conftest import SAMPLE, SAMPLE_AS_OF, run_cli

    log = pl.concat([pl.read_csv(p, infer_schema=False) for p in sorted((SAMPLE / "events").glob("*.csv"))])
    log.write_csv(tmp_path / "events.csv")
    sampled: list[dict] = []
    sample = activity_input.sampled_values
    monkeypatch.setattr(activity_input, "sampled_values", lambda *a: sampled.append(sample(*a)) or sampled[-1])

    def score(events: str, name: str, **kw) -> pl.DataFrame:
        out = tmp_path / f"{name}.parquet"
        run_cli(["score", SAMPLE / "contacts.csv", "--activities", events, "--as-of", SAMPLE_AS_OF, "-o", out, "-q"],
                **kw)
        return pl.read_parquet(out)

    whole = score(tmp_path / "events.csv", "file")  # every value of the sample log is in its first 200k rows
    monkeypatch.setattr(event_codes, "SAMPLE_ROWS", 25)
    piped = score("-", "stdin", input=(tmp_path / "events.csv").read_bytes())
    assert len(sampled) == 2 and 0 < len(sampled[1]["url"]) < len(sampled[0]["url"])
    assert piped.equals(whole)
    assert whole["intent_score"].sum() > 0


def test_only_text_read_by_leadq_s_csv_and_excel_readers_is_taken_as_trimmed(tmp_path):
    from leadq.inputs import read_input_files

    frame = pl.DataFrame({"id": [" 1 "], "type": [" demo "]})
    frame.write_csv(tmp_path / "a.csv")
    frame.write_parquet(tmp_path / "a.parquet")
    frame.write_ndjson(tmp_path / "a.ndjson")
    files = read_input_files([str(tmp_path / f"a.{ext}") for ext in ("csv", "parquet", "ndjson")])
    assert [f.text_ready for f in files] == [True, False, False]
    assert files[0].frame.select("id", "type").collect().row(0) == ("1", "demo")


ACCOUNTING_RULESET = """version: 1
columns: {lead_id: id}
activity_columns: {lead_id: id, event_type: type, occurred_at: at, url: url}
intent:
  - {id: demo, event: demo_request, points: 10, per: event, half_life_days: none, within_days: 30}
  - {id: pricing, event: page_view, where: 'url contains "/pricing"', points: 5, per: event, half_life_days: none,
     within_days: 30}
tiers:
  - {name: all, otherwise: true}
"""

# (lead id, type, days before the as-of time (None: no time), url), each with what it counts for.
ACCOUNTING_EVENTS = [
    ("1", "demo_request", 1, None),           # demo, for lead 1
    ("1", "page_view", 2, "/pricing"),        # pricing, for lead 1
    ("1", "page_view", 2, "/blog"),           # no rule: the where
    ("1", "email_open", 1, None),             # no rule: the type
    ("1", "demo_request", 40, None),          # no rule: the window
    ("2", "email_open", 1, None),             # a scored lead with no event any rule counts
    ("2", "demo_request", None, None),        # unreadable: no time
    ("9", "demo_request", 1, None),           # an unknown lead, an event a rule would count
    ("9", "email_open", 1, None),             # an unknown lead, an event no rule counts
    ("8", "email_open", 3, None),             # an unknown lead with only events no rule counts
    (None, "demo_request", 1, None),          # unreadable: no lead id
    ("#N/A", "demo_request", 1, None),        # unreadable: a null marker for a lead id
    ("#N/A", "email_open", 1, None),          # unreadable: the same, no rule
    ("3", "demo_request", -5, None),          # after the as-of time
    ("8", "demo_request", -5, None),          # after the as-of time, an unknown lead
]


LAYOUTS = ["parquet", "csv", "parquet in 3 partitions", "parquet in 8 partitions"]


def _accounting_run(tmp_path, monkeypatch, layout: str, contact_ids: str) -> tuple[dict, Path]:
    """Score ``contact_ids`` against ACCOUNTING_EVENTS in ``layout``: the summary's events, and the output."""
    path = tmp_path / "ruleset.yaml"
    path.write_text(ACCOUNTING_RULESET)
    contacts = tmp_path / "c.csv"
    contacts.write_text(contact_ids)
    events = pl.DataFrame(
        {"id": [e[0] for e in ACCOUNTING_EVENTS], "type": [e[1] for e in ACCOUNTING_EVENTS],
         "at": [None if e[2] is None else AS_OF - timedelta(days=e[2]) for e in ACCOUNTING_EVENTS],
         "url": [e[3] for e in ACCOUNTING_EVENTS]},
        schema_overrides={"at": pl.Datetime("us", "UTC"), "url": pl.String})
    log = tmp_path / ("events.csv" if layout == "csv" else "events.parquet")
    if layout == "csv":
        events.write_csv(log)
    else:
        events.write_parquet(log)
    if "partitions" in layout:
        parts = int(layout.split()[2])
        monkeypatch.setenv(ENV_VAR, str(-(-len(ACCOUNTING_EVENTS) // parts)))
        assert partition_count(read_input_files([str(log)], ReadOptions())) == parts
    out, summary = tmp_path / "out.csv", tmp_path / "summary.json"
    run_cli(["score", contacts, "-a", log, "-r", path, "--as-of", "2026-11-01", "-o", out,
             "--summary-json", summary, "-q"])
    return json.loads(summary.read_text())["events"], out


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_event_accounting_counts_every_kind_of_event_once(tmp_path, monkeypatch, layout):
    # Events no rule counts are grouped apart from those some rule counts (activity._event_counts):
    # each kind of event, counted by hand, on every path of the aggregation.
    events, out = _accounting_run(tmp_path, monkeypatch, layout, "id\n1\n2\n3\n")
    assert events == {
        "read": 15, "unreadable": 4, "unknown_lead": 4, "up_to_as_of": 9, "by_rule": {"demo": 1, "pricing": 1},
        # The event of lead 2 without a time: one with a lead id and no readable time; blank, so no example.
        "no_readable_time": 1, "unreadable_time_examples": {
            "column": "at", "examples": [], "date_order": "iso", "date_orders_reading": [], "fix": None},
        "log_given": True}
    assert pl.read_csv(out, schema_overrides={"lead_id": pl.String}).select("lead_id", "intent_score").rows() == [
        ("1", 15.0), ("2", 0.0), ("3", 0.0)]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_with_no_lead_of_the_log_scored_every_readable_event_is_of_an_unknown_lead(tmp_path, monkeypatch, layout):
    # In partitions, the scored leads' part of the accounting comes from the run's plan and the
    # totals from every lead's counts (activity.event_accounting): here that part is empty. Most events
    # naming no scored lead, the summary gives a few of the log's ids and the contacts' (unknown_lead_examples).
    events, _ = _accounting_run(tmp_path, monkeypatch, layout, "id\n99\n")
    assert events == {
        "read": 15, "unreadable": 4, "unknown_lead": 11, "up_to_as_of": 9, "by_rule": {"demo": 0, "pricing": 0},
        "unknown_lead_examples": {"log_column": "id", "contacts_column": "id", "log": ["1", "2"], "contacts": ["99"]},
        # The event of lead 2 without a time: one with a lead id and no readable time; blank, so no example.
        "no_readable_time": 1, "unreadable_time_examples": {
            "column": "at", "examples": [], "date_order": "iso", "date_orders_reading": [], "fix": None},
        "log_given": True}


BLANK_ROWS_LOG = ("id,type,at,url,campaign\n"
                  "1,demo_request,2026-10-31T00:00:00Z,,Spring\n"
                  ",,,,Spring\n"  # text only in a column the ruleset does not map: a blank row
                  " , ,,,\n"  # blank
                  ",demo_request,2026-10-31T00:00:00Z,,Spring\n")  # an event without a lead id: unreadable


def test_a_log_row_blank_in_every_column_the_ruleset_maps_is_no_event(tmp_path):
    # Such a row holds nothing a rule could count: like an empty line, it is not among the events
    # read, and its other columns are not parsed (activity_input.read_activity_files).
    path, contacts, log = tmp_path / "ruleset.yaml", tmp_path / "c.csv", tmp_path / "events.csv"
    path.write_text(ACCOUNTING_RULESET)
    contacts.write_text("id\n1\n")
    log.write_text(BLANK_ROWS_LOG)
    summary = tmp_path / "summary.json"
    run_cli(["score", contacts, "-a", log, "-r", path, "--as-of", "2026-11-01", "-o", tmp_path / "out.csv",
             "--summary-json", summary, "-q"])
    assert json.loads(summary.read_text())["events"] == {
        "read": 2, "unreadable": 1, "unknown_lead": 0, "up_to_as_of": 1, "by_rule": {"demo": 1, "pricing": 0},
        "no_readable_time": 0, "log_given": True}


def test_the_log_rows_read_for_several_rulesets_are_those_blank_in_what_none_of_them_maps(tmp_path):
    from leadq.activity_input import read_activity_files
    from leadq.inputs import collect_input

    log = tmp_path / "events.csv"
    log.write_text(BLANK_ROWS_LOG)
    plain = yaml.safe_load(ACCOUNTING_RULESET)
    campaigns = dict(plain, activity_columns=dict(plain["activity_columns"], campaign="campaign"))
    rulesets = []
    for name, data in (("plain", plain), ("campaigns", campaigns)):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(data))
        rulesets.append(load_ruleset(str(tmp_path / f"{name}.yaml")))

    def rows(*read_for):
        [file] = read_activity_files([str(log)], *read_for)
        return collect_input(file.frame, str(log))["_source_row"].to_list()

    assert rows(rulesets[0]) == [1, 4]
    assert rows(rulesets[1]) == rows(*rulesets) == rows() == [1, 2, 4]  # no ruleset: blank in every column
    assert read_activity_files([], *rulesets) == []
    # Read for the plain ruleset, the campaign column is left out of the scan when not selected.
    [file] = read_activity_files([str(log)], rulesets[0])
    assert "PROJECT 4/5 COLUMNS" in file.frame.select("id", "type", "at", "url").explain()


@pytest.mark.parametrize(("readable", "unknown", "most"), [(0, 0, False), (6, 3, False), (6, 4, True), (6, 6, True)])
def test_most_events_unknown_is_more_than_half_of_the_readable_events(readable, unknown, most):
    assert activity.most_events_unknown(readable, unknown) is most


def test_unknown_lead_examples_pair_an_id_with_the_lead_it_was_written_for():
    # A zero fraction (a spreadsheet's number), leading zeros and another case name the same lead: the pair
    # shows the difference. Known ids, blanks and null markers are no examples.
    ids = pl.LazyFrame({"lead_id": ["7", None, "", "n/a", "x9", "1000001.0", "1000001.0", "00042", "ABC"]})
    scored = pl.Series(["7", "42", "1000001", "abc"])
    assert activity.unknown_lead_examples(ids, scored) == (["1000001.0", "00042"], ["1000001", "42"])
    assert activity.unknown_lead_examples(ids, scored, sample_rows=5) == (["x9"], ["7", "42"])


def test_step_and_continuous_decay_of_one_half_life_keep_their_own_factors(tmp_path):
    # One wide group-by shares a factor column per half-life: step decay needs its own.
    rules = {"intent": [{"id": "cont", "label": "c", "event": "e", "points": 10, "half_life_days": 90},
                        {"id": "step", "label": "s", "event": "e", "points": 10, "half_life_days": 90,
                         "decay": "step"}]}
    ruleset, compiled = _compiled(tmp_path, rules)
    events = pl.DataFrame({"lead_id": ["1", "1", "1"], "event_type": ["e"] * 3,
                           "occurred_at": [AS_OF - timedelta(days=d) for d in (89.9, 90, 185)], "url": [None] * 3},
                          schema_overrides={"url": pl.String})
    got = aggregate_events(events.lazy(), ruleset, AS_OF, compiled.event_where).collect()
    assert got["_dec__step"].item() == 10 + 5 + 2.5
    assert got["_dec__cont"].item() == pytest.approx(sum(10 * 0.5 ** (d / 90) for d in (89.9, 90, 185)), abs=1e-9)


def test_a_per_day_rule_beside_per_event_rules_counts_each_event_once_in_the_accounting(tmp_path):
    # The wide group-by leaves a per: day rule's columns to a (lead, day) group-by of its own
    # (activity._per_period) but counts its events (_ev_ruled): each event once, whichever rule took it.
    rules = {"intent": [{"id": "each", "label": "each", "event": "e", "points": 1, "half_life_days": None},
                        {"id": "daily", "label": "daily", "event": ["e", "f"], "points": 10, "per": "day",
                         "half_life_days": 1, "decay": "step"}]}
    ruleset, compiled = _compiled(tmp_path, rules)
    ages = [0.25, 0.5, 1.2, 1.9, 1.3]  # days before the as-of time (midnight): the 31st, 31st, 30th, 30th, 30th
    events = pl.DataFrame({"lead_id": ["1"] * 5, "event_type": ["e", "e", "e", "f", "e"],
                           "occurred_at": [AS_OF - timedelta(days=d) for d in ages], "url": [None] * 5},
                          schema_overrides={"url": pl.String})
    got = aggregate_events(events.lazy(), ruleset, AS_OF, compiled.event_where, counts=True).collect()
    # Days: 31 October (ages 0.25, 0.5: latest 0.25, full) and 30 October (1.2, 1.9, 1.3: latest 1.2, half).
    assert got.select("_n__each", "_n__daily", "_matched__daily", "_dec__daily", "_raw__daily", "_ev_rows",
                      "_ev_due").row(0) == (4, 2, 5, 15.0, 20.0, 5, 5)
