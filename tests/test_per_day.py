"""`per: day` / `per: week`: at most one scoring event per lead and calendar day (ISO week) of settings.timezone.

The as-of time is 2026-11-01 00:00 UTC, a Sunday: the week of Monday 2026-10-26 holds every event here.
"""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest

from leadq import activity
from leadq.activity import aggregate_events
from leadq.compiler import compile_ruleset
from leadq.engines import score_with_engine
from leadq.errors import RulesetError
from leadq.event_partitions import ENV_VAR, partition_count
from leadq.inputs import ReadOptions, read_input_files
from leadq.pipeline import score_frames
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, run_cli

RULESET = """\
version: 1
columns: {lead_id: id}
activity_columns: {lead_id: id, event_type: type, occurred_at: at}
settings: {half_life_days: none%s}
intent:
  - {id: visits, event: visit, points: 10, per: day%s}
tiers:
  - {name: all, otherwise: true}
"""


def _utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, hour, minute, tzinfo=timezone.utc)


# Lead a: three visits on Friday 30 October (UTC), one on Saturday 31 October. Lead b: one visit.
EVENTS = [("a", _utc(30, 6)), ("a", _utc(30, 12)), ("a", _utc(30, 18)), ("a", _utc(31, 12)), ("b", _utc(31, 23))]


@pytest.fixture(autouse=True, params=["per rule", "wide", "keyed"])
def aggregation(request, monkeypatch):
    """Every test runs with each plan of the counted events (as tests/test_activity.py does)."""
    if request.param == "wide":
        monkeypatch.setattr(activity, "PER_RULE_GROUP_BYS", 0)
    if request.param == "keyed":
        monkeypatch.setitem(activity.event_partials.__kwdefaults__, "keyed", True)
    return request.param


def _ruleset(tmp_path, settings: str = "", rule: str = ""):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET % (settings, rule))
    return load_ruleset(str(path))


def _frames(events=EVENTS):
    contacts = pl.DataFrame({"id": ["a", "b", "c"]})
    log = pl.DataFrame({"id": [e[0] for e in events], "type": ["visit"] * len(events), "at": [e[1] for e in events]},
                       schema_overrides={"at": pl.Datetime("us", "UTC")})
    return contacts, log


def _scores(ruleset, events=EVENTS, engine: str = "polars") -> dict[str, float]:
    contacts, log = _frames(events)
    if engine == "polars":
        result = score_frames(ruleset, contacts.lazy(), log.lazy(), as_of=AS_OF, detail=True)
    else:
        result = score_with_engine(engine, ruleset, contacts, log, as_of=AS_OF)
    return {r["lead_id"]: r["intent_score"] for r in result.scored.to_dicts()}


def test_one_scoring_event_per_day_without_decay(tmp_path):
    rs = _ruleset(tmp_path)
    assert (rs.rules[0].per, rs.rules[0].once_per) == ("event", "day")
    # a: 3 visits on the 30th + 1 on the 31st = 2 days x 10; per: event would give 40.
    assert _scores(rs) == {"a": 20.0, "b": 10.0, "c": 0.0}


def test_the_aggregates_count_days_and_keep_the_latest_event(tmp_path):
    rs = _ruleset(tmp_path)
    compiled = compile_ruleset(rs, AS_OF)
    events = pl.DataFrame({"lead_id": [e[0] for e in EVENTS], "event_type": ["visit"] * len(EVENTS),
                           "occurred_at": [e[1] for e in EVENTS]})
    got = aggregate_events(events.lazy(), rs, AS_OF, compiled.event_where, counts=True).collect().sort("lead_id")
    assert got.select("lead_id", "_n__visits", "_raw__visits", "_dec__visits", "_last__visits", "_ev_rows").rows() == [
        ("a", 2, 20.0, 20.0, _utc(31, 12), 4), ("b", 1, 10.0, 10.0, _utc(31, 23), 1)]


def test_each_day_scores_its_latest_event_decayed_by_its_age(tmp_path):
    # Step decay, half-life 1.5 days: the 30th's latest visit (18:00) is 1.25 days old: full, 10 (its
    # 06:00 visit, 1.75 days old, would give 5); the 31st's visit (12:00) is 0.5 days old: 10.
    # b's visit at 23:00 on the 31st: 1 hour old, 10.
    rs = _ruleset(tmp_path, rule=", half_life_days: 1.5, decay: step")
    assert _scores(rs) == {"a": 20.0, "b": 10.0, "c": 0.0}
    # Continuous, half-life 1.25 days: the 30th scores 10 x 0.5 (its latest visit, 1.25 days old),
    # the 31st 10 x 0.5 ** 0.4 (0.5 days old).
    rs = _ruleset(tmp_path, rule=", half_life_days: 1.25")
    assert _scores(rs)["a"] == pytest.approx(5 + 10 * 0.5 ** 0.4, abs=1e-9)


def test_the_cap_clips_the_sum_of_the_days(tmp_path):
    rs = _ruleset(tmp_path, rule=", cap: 15")
    assert _scores(rs) == {"a": 15.0, "b": 10.0, "c": 0.0}


def test_min_count_counts_days_not_events(tmp_path):
    # a has 4 visits but on 2 days: min_count 3 is not met; min_count 2 is.
    assert _scores(_ruleset(tmp_path, rule=", min_count: 3")) == {"a": 0.0, "b": 0.0, "c": 0.0}
    assert _scores(_ruleset(tmp_path, rule=", min_count: 2")) == {"a": 20.0, "b": 0.0, "c": 0.0}


def test_days_are_calendar_days_of_the_ruleset_timezone(tmp_path):
    # 23:30 in New York on Thursday 29 October is 03:30 UTC on the 30th: with the 12:00 New York
    # visit of the 29th, one New York day (10 points), two UTC days (20).
    events = [("a", _utc(29, 16)), ("a", _utc(30, 3, 30))]
    assert _scores(_ruleset(tmp_path), events)["a"] == 20.0
    assert _scores(_ruleset(tmp_path, settings=", timezone: America/New_York"), events)["a"] == 10.0
    # And the other way: 23:30 UTC on the 29th and 00:30 UTC on the 30th are one New York day
    # (19:30 and 20:30 on the 29th), two UTC days.
    events = [("a", _utc(29, 23, 30)), ("a", _utc(30, 0, 30))]
    assert _scores(_ruleset(tmp_path), events)["a"] == 20.0
    assert _scores(_ruleset(tmp_path, settings=", timezone: America/New_York"), events)["a"] == 10.0


def test_per_week_scores_one_event_per_iso_week_monday_first(tmp_path):
    # Sunday 25 October and Monday 26 October are two weeks; the 26th to the 31st one.
    events = [("a", _utc(25, 12)), ("a", _utc(26, 1)), ("a", _utc(28, 12)), ("a", _utc(31, 23))]
    path = tmp_path / "w.yaml"
    path.write_text((RULESET % ("", "")).replace("per: day", "per: week"))
    rs = load_ruleset(str(path))
    assert rs.rules[0].once_per == "week"
    assert _scores(rs, events)["a"] == 20.0
    # In New York, 01:00 UTC on Monday the 26th is 21:00 on Sunday the 25th: one week.
    path.write_text((RULESET % (", timezone: America/New_York", "")).replace("per: day", "per: week"))
    assert _scores(load_ruleset(str(path)), events[:2])["a"] == 10.0


@pytest.mark.parametrize("rule", ["", ", half_life_days: 1, decay: step", ", half_life_days: 0.7, cap: 12",
                                  ", min_count: 2, half_life_days: 3"])
def test_duckdb_scores_per_day_as_polars(tmp_path, rule):
    rs = _ruleset(tmp_path, rule=rule)
    events = EVENTS + [("b", _utc(1, 9)), ("b", _utc(1, 9)), ("c", _utc(20, 23, 59)), ("c", _utc(21, 0))]
    contacts, log = _frames(events)
    expected = score_frames(rs, contacts.lazy(), log.lazy(), as_of=AS_OF)
    got = score_with_engine("duckdb", rs, contacts, log, as_of=AS_OF)
    assert got.scored.to_dicts() == expected.scored.select(got.scored.columns).to_dicts()
    assert got.stats.events_by_rule == expected.stats.events_by_rule


@pytest.mark.parametrize("parts", [1, 3])
def test_a_log_aggregated_in_partitions_scores_per_day_the_same(tmp_path, monkeypatch, parts):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET % ("", ""))
    contacts = tmp_path / "c.csv"
    contacts.write_text("id\na\nb\nc\n")
    log = tmp_path / "events.parquet"
    _frames()[1].write_parquet(log)
    if parts > 1:
        monkeypatch.setenv(ENV_VAR, "2")
        assert partition_count(read_input_files([str(log)], ReadOptions())) == parts
    out = tmp_path / "out.csv"
    run_cli(["score", contacts, "-a", log, "-r", path, "--as-of", "2026-11-01", "-o", out, "-q"])
    assert pl.read_csv(out).select("lead_id", "intent_score").rows() == [("a", 20.0), ("b", 10.0), ("c", 0.0)]


def test_an_unknown_per_names_the_allowed_values_and_the_closest(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text((RULESET % ("", "")).replace("per: day", "per: dya"))
    with pytest.raises(RulesetError) as err:
        load_ruleset(str(path))
    assert str(err.value) == (
        f"{path}:6:49: intent rule 'visits': unknown per 'dya'; did you mean 'day'?; expected one of: "
        "event (points for each matching event; the default), lead (points once, decayed from the latest event), "
        "day (points for at most one event a calendar day, its latest), "
        "week (points for at most one event a week, Monday to Sunday, its latest)")


@pytest.mark.parametrize("parts", [1, 3])
def test_a_duplicates_events_in_other_partitions_count_a_day_once(tmp_path, monkeypatch, parts):
    # With e-mail de-duplication the events of a dropped duplicate (dup) go to the lead kept (a). Partitioned by
    # the ids as the log writes them, a's and dup's visits of the same day were in two partitions, each scoring
    # the day: 30 where one day and the next make 20.
    path = tmp_path / "r.yaml"
    path.write_text((RULESET % (", dedupe_on: [lead_id, email]", "")).replace(
        "columns: {lead_id: id}", "columns: {lead_id: id, email: mail}"))
    contacts = tmp_path / "c.csv"
    contacts.write_text("id,mail\na,a@x.com\nb,b@x.com\ndup,a@x.com\nc,c@x.com\n")  # dup: another partition
    log = tmp_path / "events.parquet"
    events = [("a", _utc(30, 6)), ("b", _utc(31, 23)), ("dup", _utc(30, 12)), ("c", _utc(20, 1)), ("dup", _utc(31, 9)),
              ("b", _utc(29, 1))]
    _frames(events)[1].write_parquet(log)
    if parts > 1:
        monkeypatch.setenv(ENV_VAR, "2")
        assert partition_count(read_input_files([str(log)], ReadOptions())) == parts
    out = tmp_path / "out.csv"
    run_cli(["score", contacts, "-a", log, "-r", path, "--as-of", "2026-11-01", "-o", out, "-q"])
    assert pl.read_csv(out).select("lead_id", "intent_score").rows() == [("a", 20.0), ("b", 20.0), ("c", 10.0)]
