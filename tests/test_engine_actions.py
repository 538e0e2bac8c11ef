"""The action sections on every engine: DuckDB and Spark give the Polars engine's routes, owners, flags,
SLA due times, next steps, nurture tracks, recheck dates and account tiers, lead for lead.

The SQL engines finish a ruleset's ``routing``, ``sla``, ``nurture`` and ``accounts`` sections in
Polars, with the function the Polars engine uses (:func:`leadq.actions.with_actions`), from the
extra columns their query returns. The data is test_engines' typed Parquet sample.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from leadq.actions import action_columns, action_inputs
from leadq.pipeline import score_frames
from leadq.routing import with_owners_away
from leadq.ruleset_loader import load_ruleset

from conftest import AS_OF, RULESETS, run_cli
from test_engines import data_for, sample_typed, spark  # noqa: F401 - fixtures

pytest.importorskip("duckdb")
from leadq.engines import score_with_engine  # noqa: E402

ACTION_COLUMNS = ["route", "owner", "route_flags", "sla_due_at", "next_step", "nurture_track", "recheck_at",
                  "account_tier"]
WITH_ACTIONS = ["b2b_saas.yaml", "product_led.yaml", "salesforce_b2b_saas.yaml"]


@pytest.fixture(scope="module")
def files(sample_typed, tmp_path_factory):  # noqa: F811 - the fixture imported above
    folder = tmp_path_factory.mktemp("engine_actions")
    cache: dict[str, tuple] = {}

    def get(name: str) -> tuple[list[str], ...]:
        if name not in cache:
            cache[name] = data_for(name, sample_typed, folder)
        return cache[name]

    return get


def polars_result(rs, found, rollup=None):
    contacts, events, accounts = found
    return score_frames(rs, pl.scan_parquet(contacts), pl.scan_parquet(events) if events else None,
                        pl.scan_parquet(accounts) if accounts else None, as_of=AS_OF, rollup=rollup)


def assert_same_actions(expected: pl.DataFrame, got: pl.DataFrame) -> None:
    """The same action columns, values and types, lead for lead (and the output columns in the same order)."""
    assert got.columns == expected.columns
    cols = ["lead_id", *action_columns_of(expected)]
    assert_frame_equal(expected.select(cols).sort("lead_id"), got.select(cols).sort("lead_id"))


def action_columns_of(frame: pl.DataFrame) -> list[str]:
    return [c for c in ACTION_COLUMNS if c in frame.columns]


@pytest.mark.parametrize("ruleset_name", WITH_ACTIONS)
def test_duckdb_routes_like_polars(ruleset_name, files):
    rs = load_ruleset(str(RULESETS / ruleset_name))
    found = files(ruleset_name)
    expected = polars_result(rs, found, rollup="account")
    got = score_with_engine("duckdb", rs, *found, as_of=AS_OF, rollup="account")
    assert set(action_columns(rs)) <= set(got.scored.columns)
    assert_same_actions(expected.scored, got.scored)
    assert_frame_equal(expected.accounts, got.accounts)
    assert got.stats.unmatched_titles == expected.stats.unmatched_titles
    # Not a vacuous comparison: routes with owners, flags, SLAs from events, tracks and account tiers occur.
    scored = got.scored
    assert scored["owner"].drop_nulls().n_unique() >= 4
    assert scored["sla_due_at"].drop_nulls().len() > 20 and scored["nurture_track"].drop_nulls().n_unique() >= 2
    assert scored["account_tier"].drop_nulls().n_unique() >= 2


def test_the_default_ruleset_gives_every_action_column_on_duckdb(files):
    """The default ruleset has all four sections: DuckDB used to write none of their columns."""
    rs = load_ruleset(str(RULESETS / "b2b_saas.yaml"))
    got = score_with_engine("duckdb", rs, *files("b2b_saas.yaml"), as_of=AS_OF).scored
    assert got.columns[-len(ACTION_COLUMNS):] == ACTION_COLUMNS
    # The hand-raisers' SLA clock starts at their demo request or contact form, before the as-of time.
    hand = got.filter(pl.col("tier") == "hand_raiser")
    assert hand.height and (hand["sla_due_at"] < AS_OF + timedelta(hours=1)).any()
    # The internal columns the query carried for the sections are not left in the output.
    assert not [c for c in got.columns if c.startswith("_")]


def test_the_query_returns_only_what_the_action_sections_read():
    rs = load_ruleset(str(RULESETS / "b2b_saas.yaml"))
    inputs = action_inputs(rs, AS_OF)
    # count(product_pages) in a flag, `from: [demo_request, contact_form]` in an SLA, has_reason() in
    # nurture tracks, grade in routing, accounts' fit rules, roles from the job title, firmographics.
    for name in ("_n__product_pages", "_last__demo_request", "_last__contact_form", "_dq__not_now",
                 "_grade_rank", "_pts__core_market", "seniority", "department", "country", "company_size", "_order"):
        assert name in inputs, name
    assert not [c for c in inputs if c.startswith(("_hit__", "_raw__", "_dec__", "_t__"))]
    assert "_last__pricing_page" not in inputs  # an event rule no action condition names
    assert action_inputs(load_ruleset(str(RULESETS / "worked_example.yaml")), AS_OF) == []


def test_a_column_the_query_cannot_give_is_refused():
    from leadq.errors import UsageError
    from leadq.sqlgen.query import QueryBuilder
    from leadq.sqlgen.tables import SqlTables

    builder = QueryBuilder(load_ruleset(str(RULESETS / "b2b_saas.yaml")), AS_OF, "duckdb", SqlTables(),
                           carry=["country", "_n__product_pages", "_no_such_column"])
    with pytest.raises(UsageError, match="cannot give the column '_no_such_column'"):
        builder.build()


def test_owners_away_on_duckdb(files):
    rs = with_owners_away(load_ruleset(str(RULESETS / "b2b_saas.yaml")), ["mei.lin", "sam.okafor"])
    found = files("b2b_saas.yaml")
    expected = polars_result(rs, found).scored
    got = score_with_engine("duckdb", rs, *found, as_of=AS_OF).scored
    assert_same_actions(expected, got)
    assert not got.filter(pl.col("owner").is_in(["mei.lin", "sam.okafor"])).height
    assert got.filter(pl.col("route") == "apac_sdr")["owner"].drop_nulls().unique().to_list() == ["dev.patel"]


def test_owner_capacity_takes_the_most_urgent_leads_first_on_duckdb(files, tmp_path):
    """A route with capacities hands its leads out most urgent first (SLA due time, then total, then
    lead id): the order comes from the action columns, so DuckDB must give the same owners."""
    text = (RULESETS / "b2b_saas.yaml").read_text()
    amer = "      owners: [sam.okafor, jordan.wells, alex.rivera, casey.morgan]\n"
    emea = "      owners: [anna.kowalski, ben.murphy, chloe.roux]\n"
    assert amer in text and emea in text
    text = text.replace(amer, amer + "      capacity: 4\n").replace(emea, emea + "      capacity: {anna.kowalski: 2}\n")
    (tmp_path / "capacity.yaml").write_text(text)
    rs = load_ruleset(str(tmp_path / "capacity.yaml"))
    found = files("b2b_saas.yaml")
    expected = polars_result(rs, found).scored
    got = score_with_engine("duckdb", rs, *found, as_of=AS_OF).scored
    assert_same_actions(expected, got)
    amer_leads = got.filter(pl.col("route") == "amer_sdr")
    assert amer_leads.height > 16 and amer_leads["owner"].drop_nulls().len() == 16  # 4 owners x 4 leads
    # The 16 with an owner are the most urgent: none without an owner is due earlier than one with.
    due = amer_leads.group_by(pl.col("owner").is_null().alias("waiting")).agg(pl.col("sla_due_at").min().alias("first"),
                                                                              pl.col("sla_due_at").max().alias("last"))
    assert due.filter(~pl.col("waiting"))["last"][0] <= due.filter(pl.col("waiting"))["first"][0]
    assert got.filter(pl.col("owner") == "anna.kowalski").height == 2


def test_spark_routes_like_polars(files, spark):  # noqa: F811 - the fixture imported above
    rs = load_ruleset(str(RULESETS / "b2b_saas.yaml"))
    found = files("b2b_saas.yaml")
    expected = polars_result(rs, found, rollup="account")
    got = score_with_engine("spark", rs, *found, as_of=AS_OF, spark_master="local[2]", rollup="account")
    assert_same_actions(expected.scored, got.scored)
    assert_frame_equal(expected.accounts, got.accounts)


def _summary_lines(output: str) -> list[str]:
    starts = ("routes:", "flags:", "SLA:", "nurture tracks:", "accounts ", "owners away", "without an owner")
    return [line.rstrip() for line in output.splitlines() if line.startswith(starts)]


def test_cli_routes_rolls_up_and_takes_away_on_duckdb(files, tmp_path):
    contacts, events, accounts = files("b2b_saas.yaml")
    common = [*contacts, "-a", *events, "--accounts", *accounts, "--as-of", "2026-11-01", "--rollup", "account",
              "--away", "dev.patel,mei.lin"]
    polars_run = run_cli(["score", *common, "--out", tmp_path / "polars.parquet"])
    duck_run = run_cli(["score", *common, "--engine", "duckdb", "--out", tmp_path / "duck.parquet"])
    assert_same_actions(pl.read_parquet(tmp_path / "polars.parquet"), pl.read_parquet(tmp_path / "duck.parquet"))
    assert_frame_equal(pl.read_parquet(tmp_path / "polars.accounts.parquet"),
                       pl.read_parquet(tmp_path / "duck.accounts.parquet"))
    lines = _summary_lines(duck_run.stdout)
    assert lines == _summary_lines(polars_run.stdout)
    assert "owners away (no new leads): dev.patel, mei.lin" in lines
    assert any(line.startswith("without an owner (every owner of the route away): apac_sdr") for line in lines)
    assert "accounts: " in duck_run.stdout and "duck.accounts.parquet" in duck_run.stdout


def test_cli_previous_keeps_owners_on_duckdb(files, tmp_path):
    contacts, events, accounts = files("b2b_saas.yaml")
    common = [*contacts, "-a", *events, "--accounts", *accounts, "-q"]
    for engine in ("polars", "duckdb"):
        out = tmp_path / f"{engine}.parquet"
        run_cli(["score", *common, "--engine", engine, "--as-of", "2026-10-01", "--out", out])
        run_cli(["score", *common, "--engine", engine, "--as-of", "2026-11-01", "--out", out, "--previous", out])
    expected, got = pl.read_parquet(tmp_path / "polars.parquet"), pl.read_parquet(tmp_path / "duckdb.parquet")
    assert_same_actions(expected, got)
    assert_frame_equal(expected.select("lead_id", "change").sort("lead_id"),
                       got.select("lead_id", "change").sort("lead_id"))
    assert got.filter(pl.col("change") == "route_changed").height > 0


def test_cli_rollup_without_an_accounts_section_is_refused_on_duckdb(files, tmp_path):
    contacts, events, _ = files("worked_example.yaml")
    result = run_cli(["score", *contacts, "-a", *events, "-r", RULESETS / "worked_example.yaml", "--engine",
                      "duckdb", "--rollup", "account", "--out", tmp_path / "x.parquet"], exit_code=2)
    assert "has no 'accounts' section" in result.stderr


def test_account_routing_and_figures_need_no_more_than_the_contact_columns(tmp_path):
    """assign: account and the account figures in routing are computed in Polars from the rollup: the query is
    asked for the account key's field and the scores, never for the rollup's own columns."""
    text = (RULESETS / "b2b_saas.yaml").read_text()
    emea = "      owners: [anna.kowalski, ben.murphy, chloe.roux]\n"
    assert emea in text
    (tmp_path / "abm.yaml").write_text(text.replace(emea, emea + "      assign: account\n"))
    rs = load_ruleset(str(tmp_path / "abm.yaml"))
    assert rs.actions.routing.account_routes == ("emea_sdr",)
    inputs = action_inputs(rs, AS_OF)
    assert not [c for c in inputs if c.startswith(("_acct", "_route__"))]
    assert "account_tier" not in inputs and "account_intent" not in inputs


def test_account_routing_on_duckdb_gives_one_owner_per_account(files, tmp_path):
    text = (RULESETS / "b2b_saas.yaml").read_text()
    emea = "      owners: [anna.kowalski, ben.murphy, chloe.roux]\n"
    (tmp_path / "abm.yaml").write_text(text.replace(emea, emea + "      assign: account\n"))
    rs = load_ruleset(str(tmp_path / "abm.yaml"))
    found = files("b2b_saas.yaml")
    expected = polars_result(rs, found).scored
    got = score_with_engine("duckdb", rs, *found, as_of=AS_OF).scored
    assert_same_actions(expected, got)
