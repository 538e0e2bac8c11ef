"""The benchmark implementations agree with leadq, lead by lead, at size tiny.

benchmarks/run.py compares leadq with hand-written Polars, DuckDB SQL and
pandas; those comparisons are only honest while all of them compute the same
thing. This test generates the tiny data set (2,000 contacts, 40,000 events),
scores it with leadq in-process and runs each hand-written implementation on
the same files, then checks every lead's grade and tier and its scores to 1e-9.
"""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest

from benchmarks import data as bdata
from benchmarks import handwritten
from benchmarks.run import RULESET, agreement
from leadq.compiler import _fragment, fmt_constant, fmt_number
from leadq.pipeline import read_and_score
from leadq.ruleset_loader import load_ruleset
from tests.conftest import ENGINE_SCORE_TOLERANCE

AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny benchmark files and leadq's scored output (Parquet), written once."""
    root = tmp_path_factory.mktemp("bench")
    bdata.generate("tiny", str(root), csv=False, log=lambda *_: None)
    files = bdata.paths("tiny", "parquet", str(root))
    result = read_and_score(load_ruleset(RULESET), [files["contacts"]], [files["events"]], as_of=AS_OF, detail=True)
    out = root / "leadq.parquet"
    result.scored.write_parquet(out)
    return files, out, result, root


def test_tiny_data_has_no_duplicate_leads(tiny):
    files, _, result, _ = tiny
    contacts = pl.read_parquet(files["contacts"])
    assert contacts.height == 1963
    assert contacts["Record ID"].n_unique() == contacts.height
    assert contacts["Email"].str.strip_chars().str.to_lowercase().n_unique() == contacts.height
    assert result.stats.rejected == 0 and result.scored.height == contacts.height


@pytest.mark.parametrize("name", ["polars", "duckdb", "pandas"])
def test_handwritten_implementation_agrees_with_leadq(tiny, name):
    if name != "polars":
        pytest.importorskip(name, reason=f"{name} is in the 'test' and 'bench' extras")
    files, reference, result, root = tiny
    out = str(root / f"{name}.parquet")
    handwritten.IMPLEMENTATIONS[name](files["contacts"], files["events"], out)
    report = agreement(str(reference), {name: out})[name]
    assert report["leads"] == result.scored.height
    assert report["missing_in_" + name] == 0 and report["missing_in_leadq"] == 0
    assert report["grade_mismatches"] == 0 and report["tier_mismatches"] == 0
    assert report["max_score_diff"] <= 1e-9
    assert report["agrees"]


def test_tiny_run_exercises_every_tier_and_event_rule(tiny):
    # Agreement on a data set where a rule never fires would prove nothing about that rule.
    _, _, result, _ = tiny
    tiers = set(result.scored["tier"].unique())
    assert tiers == {"disqualified", "nurture", "sql", "mql", "cold"}
    detail = result.detail
    for rule in result.ruleset.rules:
        assert detail[f"_hit__{rule.id}"].sum() > 0, rule.id


def test_agreement_detects_a_wrong_score(tiny, tmp_path):
    _, reference, _, _ = tiny
    wrong = pl.read_parquet(reference).with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(pl.col("fit_score") + 1e-6).otherwise(pl.col("fit_score"))
        .alias("fit_score"))
    path = str(tmp_path / "wrong.parquet")
    wrong.write_parquet(path)
    report = agreement(str(reference), {"wrong": path})["wrong"]
    assert not report["agrees"]
    assert report["max_score_diff"] == pytest.approx(1e-6, rel=1e-3)


def test_explanation_text_equals_the_list_join_of_fragments(tiny):
    # The explanation is one concat_str over the rules' fragments; the list form it replaced
    # (concat_list + drop_nulls + join) must give the same text, "" for a lead with no points.
    _, _, result, _ = tiny
    detail = result.detail
    fragments = [_fragment(r, AS_OF) for r in result.ruleset.rules]
    expected = detail.select(pl.concat_list(fragments).list.drop_nulls().list.join("; ").alias("e"))["e"]
    assert (detail["explanation"] == expected).all()
    assert detail["explanation"].null_count() == 0
    assert (detail["explanation"] == "").sum() > 0


@pytest.mark.parametrize("value, plain, signed", [
    (15.0, "15", "+15"), (8.44, "8.4", "+8.4"), (0.25, "0.2", "+0.2"), (0.35, "0.4", "+0.4"),
    (-0.04, "0", "0"), (-0.06, "-0.1", "-0.1"), (-12.0, "-12", "-12"), (0.0, "0", "+0"), (28.65, "28.6", "+28.6"),
])
def test_number_formatting(value, plain, signed):
    frame = pl.DataFrame({"v": [value]})
    assert frame.select(fmt_number(pl.col("v"))).item() == plain
    assert frame.select(fmt_number(pl.col("v"), signed=True)).item() == signed
    assert fmt_constant(value) == plain and fmt_constant(value, signed=True) == signed


def test_number_formatting_matches_round_and_cast():
    # The integer-tenths formatter against the obvious one (round(1), cast, strip ".0").
    values = pl.Series("v", [i / 20 for i in range(-2000, 2001)] + [i / 100 + 0.005 for i in range(-500, 500)])
    text = pl.col("v").round(1).cast(pl.String).str.replace(r"\.0$", "")
    reference = pl.when(text == "-0").then(pl.lit("0")).otherwise(text)
    got = values.to_frame().select(fmt_number(pl.col("v")).alias("a"), reference.alias("b"))
    assert (got["a"] == got["b"]).all()


def test_typed_contacts_score_the_same_on_the_duckdb_engine(tiny):
    # The engine crossover in the README is measured on these typed contacts.
    pytest.importorskip("duckdb", reason="duckdb is in the 'test' extras")
    from leadq.engines import score_with_engine

    files, _, result, root = tiny
    typed = bdata.typed_contacts("tiny", str(root))
    assert pl.read_parquet_schema(typed)["Number of Employees"] == pl.Float64
    assert bdata.typed_contacts("tiny", str(root)) == typed  # written once
    duck = score_with_engine("duckdb", load_ruleset(RULESET), [typed], [files["events"]], as_of=AS_OF)
    both = result.scored.select("lead_id", "tier", "total_score").join(
        duck.scored.select("lead_id", "tier", "total_score"), on="lead_id", how="full", suffix="_duck")
    assert both.height == result.scored.height
    assert both.filter(pl.col("tier") != pl.col("tier_duck")).height == 0
    assert both.select((pl.col("total_score") - pl.col("total_score_duck")).abs().max()).item() <= ENGINE_SCORE_TOLERANCE


def test_the_startup_run_times_both_steps_and_renders_them(tmp_path):
    from benchmarks.run import startup, startup_markdown

    res = startup(1, str(tmp_path), log=lambda *_: None)
    assert [s["name"] for s in res["steps"]] == ["leadq --help", "score a 100-row file"]
    assert all(0 < s["min_s"] <= s["median_s"] <= s["max_s"] for s in res["steps"])
    assert pl.read_parquet(tmp_path / "startup.parquet").height == 100
    lines = startup_markdown(res)
    assert lines[0] == "## Start-up" and lines[-2].startswith("| score a 100-row file | ")
