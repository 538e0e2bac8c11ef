"""Step decay (`decay: step`, HubSpot's "50% every 3 months"): full points until one half-life, then half..."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from leadq.errors import RulesetError
from leadq.pipeline import score_frames
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF

RULESET = """\
version: 1
columns: {lead_id: id}
activity_columns: {lead_id: id, event_type: type, occurred_at: at}
settings: {half_life_days: 90, lookback_days: 400%s}
intent:
  - {id: ev, event: visit, points: 10, per: event%s}
  - {id: once, event: visit, points: 8, per: lead%s}
tiers:
  - {name: all, otherwise: true}
"""
AGES = {"a": 89.9, "b": 90.0, "c": 185.0}


def _ruleset(tmp_path, settings="", rule=""):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET % (settings, rule, rule))
    return load_ruleset(str(path))


def _frames():
    contacts = pl.DataFrame({"id": list(AGES)})
    events = pl.DataFrame({"id": list(AGES), "type": ["visit"] * 3,
                           "at": [AS_OF - timedelta(days=d) for d in AGES.values()]},
                          schema_overrides={"at": pl.Datetime("us", "UTC")})
    return contacts, events


def _points(ruleset, engine="polars"):
    contacts, events = _frames()
    if engine == "polars":
        result = score_frames(ruleset, contacts.lazy(), events.lazy(), as_of=AS_OF, detail=True)
    else:
        from leadq.engines import score_with_engine
        result = score_with_engine(engine, ruleset, contacts, events, as_of=AS_OF)
    return {r["lead_id"]: r["intent_score"] for r in result.scored.to_dicts()}


def test_step_decay_halves_at_each_whole_half_life(tmp_path):
    rs = _ruleset(tmp_path, settings=", decay: step")
    assert [(r.decay, r.half_life_days) for r in rs.rules] == [("step", 90.0), ("step", 90.0)]
    # 89.9 days: full (10 + 8); 90 days: half (5 + 4); 185 days: a quarter (2.5 + 2).
    assert _points(rs) == {"a": 18.0, "b": 9.0, "c": 4.5}


def test_continuous_decay_is_the_default_and_a_rule_overrides_the_settings(tmp_path):
    rs = _ruleset(tmp_path)
    assert {r.decay for r in rs.rules} == {"continuous"}
    got = _points(rs)
    assert got == pytest.approx({k: 18 * 0.5 ** (d / 90) for k, d in AGES.items()}, abs=1e-9)
    assert got["a"] == pytest.approx(9.0070, abs=1e-4)
    rs = _ruleset(tmp_path, settings=", decay: step", rule=", decay: continuous")
    assert {r.decay for r in rs.rules} == {"continuous"}
    rs = _ruleset(tmp_path, rule=", decay: step")
    assert _points(rs) == {"a": 18.0, "b": 9.0, "c": 4.5}


def test_duckdb_step_decay_scores_as_polars(tmp_path):
    pytest.importorskip("duckdb")
    pytest.importorskip("sqlglot")
    for settings in (", decay: step", ""):
        rs = _ruleset(tmp_path, settings=settings)
        expected = _points(rs)
        assert _points(rs, "duckdb") == pytest.approx(expected, abs=1e-9)
    assert expected != _points(_ruleset(tmp_path, settings=", decay: step"))


@pytest.mark.parametrize("settings,rule,message", [
    (", decay: steps", "", ":4:59: settings: unknown decay 'steps'; did you mean 'step'?; expected one of: "
                          "continuous (0.5 ** (age / half-life): a little every day; the default), step (0.5 ** "
                          "floor(age / half-life): full points until one half-life, then half, then a quarter)"),
    ("", ", decay: linear", ":6:59: intent rule 'ev': unknown decay 'linear'; expected one of: continuous"),
])
def test_an_unknown_decay_names_the_modes(tmp_path, settings, rule, message):
    with pytest.raises(RulesetError) as info:
        _ruleset(tmp_path, settings, rule)
    assert str(info.value).startswith(f"{tmp_path / 'r.yaml'}{message}")
