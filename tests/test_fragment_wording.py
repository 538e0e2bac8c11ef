"""The score's explanation text: a ``per: day`` / ``per: week`` rule's events and days (weeks), calendar
days for "today" / "N days ago", on leadq's engine and the SQL engine; and dates written "... GMT".

As of 2026-11-01 00:00 UTC (tests.conftest.AS_OF), a Sunday, unless a test says otherwise.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import polars as pl
import pytest

from leadq.cleaning import likely_date_formats, parse_datetime, parse_datetime_likely
from leadq.compiler import calendar_days_between
from leadq.conditions import as_of_date
from leadq.engines import score_with_engine
from leadq.pipeline import score_frames
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, run_cli

RULESET = """\
version: 1
columns: {lead_id: id}
activity_columns: {lead_id: id, event_type: type, occurred_at: at}
settings: {half_life_days: %s%s}
intent:
  - {id: email_click, label: email click, event: Email Click, points: 10, per: %s}
  - {id: visit, label: visit, event: visit, points: 5, per: event}
tiers:
  - {name: all, otherwise: true}
"""


def _at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc)


# a: two clicks on Thursday 1 October (10:00, 11:00), two on Saturday 31 October (10:00, 15:00).
# b: three clicks on 31 October. c: one click on 31 October at 15:00. d: two visits, the last at
# 23:59 on 30 October (24 h 1 min before the as-of: 2 calendar days). e: one visit at the as-of itself.
EVENTS = [("a", "Email Click", _at(10, 1, 10)), ("a", "Email Click", _at(10, 1, 11)),
          ("a", "Email Click", _at(10, 31, 10)), ("a", "Email Click", _at(10, 31, 15)),
          ("b", "Email Click", _at(10, 31, 8)), ("b", "Email Click", _at(10, 31, 9)), ("b", "Email Click", _at(10, 31, 20)),
          ("c", "Email Click", _at(10, 31, 15)),
          ("d", "visit", _at(10, 20, 12)), ("d", "visit", _at(10, 30, 23, 59)),
          ("e", "visit", _at(11, 1, 0))]


def _ruleset(tmp_path, per: str, half_life: str = "none", settings: str = ""):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET % (half_life, settings, per))
    return load_ruleset(str(path))


def _frames(events=EVENTS):
    contacts = pl.DataFrame({"id": ["a", "b", "c", "d", "e"]})
    log = pl.DataFrame({"id": [e[0] for e in events], "type": [e[1] for e in events], "at": [e[2] for e in events]},
                       schema_overrides={"at": pl.Datetime("us", "UTC")})
    return contacts, log


def _explanations(ruleset, engine: str = "polars", as_of: datetime = AS_OF, events=EVENTS) -> dict[str, str]:
    contacts, log = _frames(events)
    if engine == "polars":
        result = score_frames(ruleset, contacts.lazy(), log.lazy(), as_of=as_of)
    else:
        result = score_with_engine(engine, ruleset, contacts, log, as_of=as_of)
    return {r["lead_id"]: r["explanation"] for r in result.scored.to_dicts()}


# Decay (half-life 30 days) of a's per: day (per: week) scoring events, each period's latest: 1 October
# 11:00 is 30 days 13 hours old, 10 * 0.5 ** (30.541667 / 30) = 4.9378; 31 October 15:00 is 9 hours old,
# 10 * 0.5 ** (0.375 / 30) = 9.9137; together 14.8515, "+14.9", before decay 2 days x 10 = 20.
# b's three clicks fall on one day (week): one scoring event, 20:00, 4 hours old: 10 * 0.5 ** (1/180) = 9.96,
# "+10", less than 0.05 below its 10 (no "decayed from"). c's one click, 9 hours old: 9.9137.
DECAYED = {
    "day": {"a": "email click +14.9 (4 events on 2 days, decayed from 20, last 1 day ago)",
            "b": "email click +10 (3 events on 1 day, last 1 day ago)",
            "c": "email click +9.9 (decayed from 10, 1 day ago)"},
    "week": {"a": "email click +14.9 (4 events in 2 weeks, decayed from 20, last 1 day ago)",
             "b": "email click +10 (3 events in 1 week, last 1 day ago)",
             "c": "email click +9.9 (decayed from 10, 1 day ago)"},
}
# d's visits (5 points each): 11.5 days and 1 day 1 minute old, 5 * 0.5 ** (11.5 / 30) + 5 * 0.5 **
# (1.000694 / 30) = 3.833 + 4.886 = 8.719, before decay 10; the last is 24 hours and a minute old, on
# 30 October: 2 calendar days ago. e's visit is at the as-of: today, not decayed.
VISITS = {"d": "visit +8.7 (2 events, decayed from 10, last 2 days ago)", "e": "visit +5 (today)"}


@pytest.mark.parametrize("per", ["day", "week"])
def test_a_periodic_rule_counts_its_events_and_its_days_or_weeks(tmp_path, per):
    rs = _ruleset(tmp_path, per, half_life="30")
    got = _explanations(rs)
    assert got == {**DECAYED[per], **VISITS}


@pytest.mark.parametrize("per", ["day", "week"])
def test_without_decay(tmp_path, per):
    rs = _ruleset(tmp_path, per)
    unit = "on 2 days" if per == "day" else "in 2 weeks"
    one = "on 1 day" if per == "day" else "in 1 week"
    assert _explanations(rs) == {
        "a": f"email click +20 (4 events {unit}, last 1 day ago)",
        "b": f"email click +10 (3 events {one}, last 1 day ago)",
        "c": "email click +10 (1 day ago)",
        "d": "visit +10 (2 events, last 2 days ago)",
        "e": "visit +5 (today)",
    }


def test_a_per_event_rule_keeps_its_wording(tmp_path):
    # The same clicks per event, without decay: each of a's 4 clicks scores 10.
    rs = _ruleset(tmp_path, "event")
    got = _explanations(rs)
    assert got["a"] == "email click +40 (4 events, last 1 day ago)"
    assert got["b"] == "email click +30 (3 events, last 1 day ago)"
    assert got["c"] == "email click +10 (1 day ago)"


@pytest.mark.parametrize("per", ["day", "week", "event"])
def test_the_sql_engine_words_it_the_same(tmp_path, per):
    pytest.importorskip("duckdb")
    rs = _ruleset(tmp_path, per, half_life="30")
    polars = _explanations(rs)
    assert _explanations(rs, "duckdb") == polars
    if per != "event":
        assert polars == {**DECAYED[per], **VISITS}


@pytest.mark.parametrize("as_of, expected", [
    (_at(11, 1, 0), "1 day ago"),  # 15:00 the day before: 9 hours, the day before
    (_at(10, 31, 23, 59), "today"),
    (_at(10, 31, 15), "today"),
    (_at(11, 2, 14, 59), "2 days ago"),  # 47 h 59 min: "1 day ago" in whole 24-hour periods
])
def test_days_are_calendar_days(tmp_path, as_of, expected):
    rs = _ruleset(tmp_path, "event")
    events = [("c", "Email Click", _at(10, 31, 15))]
    assert _explanations(rs, as_of=as_of, events=events)["c"] == f"email click +10 ({expected})"
    pytest.importorskip("duckdb")
    assert _explanations(rs, "duckdb", as_of=as_of, events=events)["c"] == f"email click +10 ({expected})"


def test_days_are_calendar_days_of_the_rulesets_timezone(tmp_path):
    # As of midnight 1 November in New York (EDT, 04:00 UTC). A click at 03:00 UTC is 23:00 on 31 October
    # there: "1 day ago", though it is the as-of's UTC date. One at 05:00 UTC on 31 October is 01:00 that
    # day in New York, and one at 03:59 UTC on 31 October 23:59 on the 30th: 2 days ago.
    rs = _ruleset(tmp_path, "event", settings=", timezone: America/New_York")
    as_of = as_of_date("2026-11-01", "America/New_York")
    assert as_of == _at(11, 1, 4)
    for at, expected in [(_at(11, 1, 3), "1 day ago"), (_at(10, 31, 5), "1 day ago"),
                         (_at(10, 31, 3, 59), "2 days ago"), (_at(11, 1, 4), "today")]:
        events = [("c", "Email Click", at)]
        assert _explanations(rs, as_of=as_of, events=events)["c"] == f"email click +10 ({expected})", at
        assert calendar_days_between(at, as_of, "America/New_York") == {"today": 0, "1 day ago": 1}.get(expected, 2)
    assert calendar_days_between(_at(11, 1, 3), as_of, "UTC") == 0


def test_score_cli_says_events_and_days(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.yaml").write_text(RULESET % ("30", "", "day"))
    (tmp_path / "c.csv").write_text("id\na\n")
    (tmp_path / "e.csv").write_text("id,type,at\na,Email Click,2026-10-01T10:00:00Z\na,Email Click,2026-10-01T11:00:00Z\n"
                                    "a,Email Click,2026-10-31T10:00:00Z\na,Email Click,2026-10-31T15:00:00Z\n")
    out = run_cli(["score", "c.csv", "-a", "e.csv", "-r", "r.yaml", "--as-of", "2026-11-01", "-o", "-", "-q"]).stdout
    assert '"email click +14.9 (4 events on 2 days, decayed from 20, last 1 day ago)"' in out


def test_explain_counts_the_same_calendar_days(tmp_path, monkeypatch):
    # A click at 23:30 New York time on 31 October (03:30 UTC on 1 November), as of 09:00 on 1 November
    # there: 5.5 hours, the day before in the ruleset's days: "1 day ago" in the score and in explain.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.yaml").write_text(RULESET % ("none", ", timezone: America/New_York", "event"))
    (tmp_path / "c.csv").write_text("id\na\n")
    (tmp_path / "e.csv").write_text("id,type,at\na,Email Click,2026-11-01T03:30:00Z\n")
    args = ["c.csv", "-a", "e.csv", "-r", "r.yaml", "--as-of", "2026-11-01T09:00"]
    out = run_cli(["score", *args, "-o", "-", "-q"]).stdout
    assert out.endswith(",email click +10 (1 day ago)\n")
    shown = json.loads(run_cli(["explain", "a", *args, "--json", "-"]).stdout)
    (click,) = [r for r in shown["leads"][0]["rules"] if r["id"] == "email_click"]
    assert click["days_since_last"] == 1


# --------------------------------------------------------------------------- dates written "... GMT"

GMT_DATES = [
    ("2026-10-15 14:03 GMT", _at(10, 15, 14, 3)),
    ("2026-10-15 14:03:11 GMT", datetime(2026, 10, 15, 14, 3, 11, tzinfo=timezone.utc)),
    ("2026-10-15 14:03:11.25 GMT", datetime(2026, 10, 15, 14, 3, 11, 250000, tzinfo=timezone.utc)),
    (" 2026-10-15 14:03 GMT ", _at(10, 15, 14, 3)),
    ("2026-10-15 14:03 UTC", _at(10, 15, 14, 3)),
    ("2026-10-15 14:03:11 UTC", datetime(2026, 10, 15, 14, 3, 11, tzinfo=timezone.utc)),
    ("2026-10-15 14:03Z", _at(10, 15, 14, 3)),
    ("2026-10-15T14:03Z", _at(10, 15, 14, 3)),
    ("2026-10-15 14:03 Z", _at(10, 15, 14, 3)),
    ("2026-10-15 14:03:11Z", datetime(2026, 10, 15, 14, 3, 11, tzinfo=timezone.utc)),
    ("Thu, 15 Oct 2026 14:03:11 GMT", datetime(2026, 10, 15, 14, 3, 11, tzinfo=timezone.utc)),
]


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin"])
def test_gmt_and_utc_times_are_utc_whatever_the_timezone(tz):
    frame = pl.DataFrame({"v": [t for t, _ in GMT_DATES] + ["2026-10-15 14:03 GMT+2", "2026-10-15 25:03 GMT"]})
    got = frame.select(parse_datetime(pl.col("v"), "iso", tz))["v"].to_list()
    assert got == [d for _, d in GMT_DATES] + [None, None]


def test_a_large_column_of_gmt_times_is_read_by_its_likely_formats():
    sample = pl.Series(["2026-10-15 14:03 GMT", "2026-10-15 14:03:11 GMT"])
    likely = likely_date_formats(sample)
    assert likely == ("%Y-%m-%d %H:%M GMT", "%Y-%m-%d %H:%M:%S%.f GMT")
    got = sample.to_frame("v").select(parse_datetime_likely(pl.col("v"), likely, "Europe/Berlin"))["v"].to_list()
    assert got == [_at(10, 15, 14, 3), datetime(2026, 10, 15, 14, 3, 11, tzinfo=timezone.utc)]


def test_a_hubspot_contact_date_is_scored_not_rejected(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.yaml").write_text("""\
version: 1
columns: {lead_id: id, created: {column: created, type: datetime}}
fit:
  - {id: new, label: new, when: "days_since(created) < 30", points: 5}
tiers:
  - {name: all, otherwise: true}
""")
    (tmp_path / "c.csv").write_text("id,created\na,2026-10-15 14:03 GMT\n")
    out = run_cli(["score", "c.csv", "-r", "r.yaml", "--as-of", "2026-11-01", "-o", "-", "-q", "--strict"]).stdout
    assert out.splitlines()[1] == 'a,5.0,0.0,5.0,D,all,false,"",new +5'
