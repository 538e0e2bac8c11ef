"""The explanation column, worked out by hand, on many leads, in memory and under the streaming engine.

An event rule's fragment (and a score group's) is formatted only for the leads it shows for, then
put back on their rows (``leadq.compiler._formatted_where``). These tests pin each lead's text
when leads that show a fragment and leads that do not alternate over 120,000 leads: many of the
streaming engine's batches.

As of 2026-11-01 (tests.conftest.AS_OF):

* D (a Director): two demo requests 2 and 12 days ago, half-life 10 days, 25 points each:
  25 * (0.5 ** 0.2 + 0.5 ** 1.2) = 32.6456..., shown as +32.6, decayed from 50; two pricing
  views 1 and 3 days ago, 10 each (no decay): +20, in the group "Research" capped at 12.
* N: no title and no events: an empty explanation.
* T: one trial 7 days ago, ``per: lead``, 8 points, half-life 7 days: 8 * 0.5 = 4.
* C: five demo requests 1 day ago: 125 * 0.5 ** 0.1 = 116.63..., capped at 40.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
import yaml

import leadq.pipeline
from leadq.pipeline import score_frames
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF
from tests.test_rule_cases import BASE, CONTACT_COLUMNS

RULES = {
    "groups": {"research": {"label": "Research", "cap": 12}},
    "fit": [{"id": "director", "label": "Director title", "when": 'job_title contains "director"', "points": 15}],
    "intent": [
        {"id": "demo", "label": "demo request", "event": "demo_request", "points": 25, "half_life_days": 10,
         "cap": 40},
        {"id": "pricing", "label": "pricing page view", "event": "page_view", "points": 10, "group": "research"},
        {"id": "trial", "label": "started a trial", "event": "trial", "points": 8, "per": "lead",
         "half_life_days": 7},
    ],
}

EXPECTED = {
    "D": ("Director title +15; demo request +32.6 (2 events, decayed from 50, last 2 days ago); "
          "pricing page view +20 (2 events, last 1 day ago); Research: capped at +12 (rules gave +20)"),
    "N": "",
    "T": "started a trial +4 (decayed from 8, 7 days ago)",
    "C": "demo request +40 (5 events, decayed from 125, last 1 day ago, capped at 40)",
}
EVENTS = {  # pattern -> (event type, days before as_of)
    "D": [("demo_request", 2), ("demo_request", 12), ("page_view", 1), ("page_view", 3)],
    "N": [],
    "T": [("trial", 7)],
    "C": [("demo_request", 1)] * 5,
}
TITLES = {"D": "Director of Sales", "N": None, "T": "Analyst", "C": "Analyst"}
REPEATS = 30_000


def _frames(repeats: int) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    leads = [(f"{p}{i}", p) for i in range(repeats) for p in EXPECTED]
    contacts = pl.LazyFrame({c: [lead if c == "lead_id" else TITLES[p] if c == "job_title" else None
                                 for lead, p in leads] for c in CONTACT_COLUMNS},
                            schema={c: pl.String for c in CONTACT_COLUMNS})
    rows = [(lead, kind, (AS_OF - timedelta(days=days)).isoformat()) for lead, p in leads for kind, days in EVENTS[p]]
    events = pl.LazyFrame({"lead_id": [r[0] for r in rows], "event_type": [r[1] for r in rows],
                           "occurred_at": [r[2] for r in rows], "url": [None] * len(rows)},
                          schema={c: pl.String for c in ("lead_id", "event_type", "occurred_at", "url")})
    return contacts, events


@pytest.fixture(scope="module")
def ruleset(tmp_path_factory):
    path = tmp_path_factory.mktemp("explanation") / "ruleset.yaml"
    path.write_text(yaml.safe_dump({**BASE, **RULES}, sort_keys=False))
    return load_ruleset(str(path))


@pytest.mark.parametrize("engine", ["in-memory", "streaming"])
def test_each_lead_gets_its_own_fragments_in_place(ruleset, engine, monkeypatch):
    monkeypatch.setattr(leadq.pipeline, "_engine_for", lambda files: engine)
    scored = score_frames(ruleset, *_frames(REPEATS), as_of=AS_OF).scored
    assert scored.height == REPEATS * len(EXPECTED)
    got = scored.select(pl.col("lead_id").str.slice(0, 1).alias("pattern"), "explanation")
    wrong = got.filter(pl.col("explanation") != pl.col("pattern").replace_strict(EXPECTED))
    assert wrong.height == 0, wrong.head(5)
    assert scored.filter(pl.col("lead_id") == "D0")["intent_score"].item() == pytest.approx(
        25 * (0.5 ** 0.2 + 0.5 ** 1.2) + 12, abs=1e-9)


def test_no_lead_shows_an_event_fragment(ruleset):
    contacts, events = _frames(2)
    scored = score_frames(ruleset, contacts, events.filter(pl.lit(False)), as_of=AS_OF).scored
    assert dict(zip(scored["lead_id"], scored["explanation"])) == {
        "D0": "Director title +15", "N0": "", "T0": "", "C0": "", "D1": "Director title +15", "N1": "", "T1": "",
        "C1": ""}


def test_no_lead_at_all(ruleset):
    contacts, events = _frames(0)
    assert score_frames(ruleset, contacts, events, as_of=AS_OF).scored.height == 0
