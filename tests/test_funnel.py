"""Funnel figures on a hand-computed fixture (tests/fixtures/funnel).

The fixture (as of 2026-07-01) has 11 rows: lead 5 twice (the older update is
dropped), one row without an id, and nine leads:

  1  created 01-05, MQL 01-06, SQL 01-08, opp 01-18, won 03-19; touched 1 h after MQL; 200 employees (hot)
  2  created 01-10, MQL 01-12, SQL skipped, opp 01-22, lost 02-21; touched 24 h after MQL; 50 (cold)
  3  created 02-01, MQL 02-03, SQL 02-02 (out of order); never touched; 5 employees (too_small)
  4  created 02-15, MQL 02-16; touched 12 h *before* the MQL date; 120 (hot)
  5  created 03-01, nothing else; an unreadable touch date; 30
  6  no data at all
  7  created 03-10, lifecycle stage MQL but no MQL date; 300 (hot)
  8  created 06-30 12:00, MQL 06-30 20:00, untouched 4 h later at as-of; 500 (hot, SLA 2 h)
  11 created 04-01, MQL 04-02, SQL 04-03; touched after 30 h; source "bad" (not_now)
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import polars as pl
import pytest

from leadq.errors import MissingColumnsError, RulesetError, UsageError
from leadq.funnel import compute_funnel, period_bound
from leadq.funnel_input import read_funnel_input, size_band_labels
from leadq.funnel_settings import Benchmark, sla_hours
from leadq.ruleset_loader import load_ruleset
from tests.conftest import FIXTURES, ROOT, run_cli

HERE = FIXTURES / "funnel"
CONTACTS = str(HERE / "contacts.csv")
RULESET = str(HERE / "ruleset.yaml")
AS_OF = datetime(2026, 7, 1, tzinfo=timezone.utc)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def rs():
    return load_ruleset(RULESET)


def report(rs, *, by=(), score=False, period_from=None, period_to=None, contacts=CONTACTS):
    inp = read_funnel_input(rs, [contacts], by=by, score=score, as_of=AS_OF)
    return compute_funnel(inp, rs, as_of=AS_OF, period_from=period_from, period_to=period_to, by=by).to_dict()


def by_key(items, key="key"):
    return {i[key]: i for i in items}


# --------------------------------------------------------------------------- stages and conversions


def test_input_accounting(rs):
    d = report(rs)
    assert d["input"]["rows"] == 11
    assert d["input"]["dropped"] == {"missing lead id": 1, "duplicate lead id": 1}
    assert d["input"]["leads"] == 9
    assert d["input"]["no_stage_data"] == 1  # lead 6
    assert d["input"]["undated"] == 1
    assert d["input"]["unreadable_dates"] == {"touch": 1}
    assert d["input"]["missing_columns"] == []


def test_stage_counts_with_skipped_stages_and_lifecycle(rs):
    stages = by_key(report(rs)["stages"], "stage")
    # MQL: 1, 2, 3, 4, 8, 11 by date, 7 by lifecycle stage only.
    assert (stages["mql"]["reached"], stages["mql"]["dated"], stages["mql"]["undated"]) == (7, 6, 1)
    # SQL: 1, 3, 11 by date; 2 skipped SQL but has an opportunity date.
    assert (stages["sql"]["reached"], stages["sql"]["dated"], stages["sql"]["undated"]) == (4, 3, 1)
    assert stages["opportunity"]["reached"] == 2
    assert stages["won"]["reached"] == 1
    assert (stages["lead"]["reached"], stages["lead"]["undated"]) == (9, 1)


def test_conversion_rates_and_benchmark_marks(rs):
    c = by_key(report(rs)["conversions"])
    assert c["lead_to_mql"]["rate"] == pytest.approx(7 / 9, abs=1e-6)
    assert c["mql_to_sql"]["rate"] == pytest.approx(4 / 7, abs=1e-6)
    assert c["sql_to_opportunity"]["rate"] == 0.5
    assert c["opportunity_to_won"]["rate"] == 0.5
    assert c["lead_to_won"]["rate"] == pytest.approx(1 / 9, abs=1e-6)
    # The ruleset sets lead_to_mql to 40-60%; mql_to_sql and sql_to_opportunity keep the defaults.
    assert c["lead_to_mql"]["benchmark"] == {"low": 0.4, "high": 0.6, "text": "40-60%"}
    assert c["lead_to_mql"]["mark"] == "above"
    assert c["mql_to_sql"]["benchmark"]["text"] == "10-20%"
    assert c["sql_to_opportunity"]["mark"] == "above"
    assert c["opportunity_to_won"]["benchmark"] is None and c["opportunity_to_won"]["mark"] is None


def test_closed_deals(rs):
    assert report(rs)["closed"] == {"won": 1, "lost": 1, "open_opportunities": 0, "win_rate_of_closed": 0.5}


def test_a_deal_won_then_lost_is_one_closed_deal_won(rs, tmp_path):
    # Lead 1 won 02-10, then a closed-lost date 02-20 (a churn written into the deal, or a CRM slip);
    # lead 2 has a lost date and the lifecycle "customer"; lead 3 lost. Three closed deals, two won:
    # counting leads 1 and 2 as lost too made it won 2, lost 3, win rate 40% (2 / 5) for three deals.
    path = tmp_path / "contacts.csv"
    path.write_text(
        "id,created,mql,sql,opp,won,lost,touch,stage,source,employees,updated\n"
        "1,2026-01-01,2026-01-02,2026-01-03,2026-01-05,2026-02-10,2026-02-20,,customer,web,10,2026-03-01\n"
        "2,2026-01-01,2026-01-02,2026-01-03,2026-01-05,,2026-02-20,,customer,web,10,2026-03-01\n"
        "3,2026-01-01,2026-01-02,2026-01-03,2026-01-05,,2026-02-20,,opportunity,web,10,2026-03-01\n")
    d = report(rs, contacts=str(path))
    assert d["closed"] == {"won": 2, "lost": 1, "open_opportunities": 0, "win_rate_of_closed": 0.666667}


# --------------------------------------------------------------------------- time between stages


def test_durations_exclude_missing_and_out_of_order_pairs(rs):
    d = by_key(report(rs)["durations"])
    # created -> MQL: 1.0, 2.0, 2.0, 1.0, 1/3 (lead 8), 1.0 days.
    assert d["lead_to_mql"]["leads"] == 6
    assert d["lead_to_mql"]["median_days"] == 1.0
    assert d["lead_to_mql"]["p90_days"] == 2.0
    # MQL -> SQL: lead 1 (2 d), lead 11 (1 d); lead 3 is out of order and left out.
    assert (d["mql_to_sql"]["leads"], d["mql_to_sql"]["out_of_order"]) == (2, 1)
    assert d["mql_to_sql"]["median_days"] == 1.5
    assert d["mql_to_sql"]["p90_days"] == 1.9
    assert (d["sql_to_opportunity"]["leads"], d["sql_to_opportunity"]["median_days"]) == (1, 10.0)
    assert d["opportunity_to_won"]["median_days"] == 60.0
    assert d["mql_to_won"]["median_days"] == 72.0
    assert d["mql_to_won"]["mark"] == "below"  # faster than ~84 days (75.6-92.4)
    assert d["lead_to_won"]["median_days"] == 73.0


def test_out_of_order_dates_are_reported(rs):
    assert report(rs)["out_of_order"] == {
        "leads": 1, "by_stage": {"mql": 0, "sql": 1, "opportunity": 0, "won": 0, "lost": 0}}


# --------------------------------------------------------------------------- speed to lead


def test_speed_to_lead_without_tiers_uses_the_mql_sla(rs):
    s = report(rs)["speed_to_lead"]
    assert s["sla_hours"] == {"hand_raiser": 1.0, "hot": 2.0, "mql": 24.0}
    assert (s["mqls"], s["touched"], s["touched_before_mql"]) == (6, 3, 1)
    assert (s["median_hours"], s["p90_hours"]) == (24.0, 28.8)  # 1, 24, 30 hours
    assert (s["within_sla"], s["missed_sla"]) == (2, 1)  # 24 h exactly is within
    assert (s["untouched_past_sla"], s["untouched_within_sla"]) == (1, 1)  # lead 3; lead 8 waited 4 h of 24
    assert s["share_within_sla"] == 0.5
    assert s["by_tier"] == []


def test_speed_to_lead_per_tier_when_scored(rs):
    s = report(rs, score=True)["speed_to_lead"]
    # Lead 8 is hot (2 h SLA): 4 h untouched is now past its SLA.
    assert (s["within_sla"], s["missed_sla"], s["untouched_past_sla"], s["untouched_within_sla"]) == (2, 1, 2, 0)
    assert s["share_within_sla"] == 0.4
    tiers = by_key(s["by_tier"], "tier")
    assert (tiers["hot"]["sla_hours"], tiers["hot"]["mqls"], tiers["hot"]["within_sla"]) == (2.0, 3, 1)
    assert tiers["hot"]["touched_before_mql"] == 1
    assert (tiers["cold"]["sla_hours"], tiers["cold"]["mqls"], tiers["cold"]["share_within_sla"]) == (
        24.0, 3, pytest.approx(1 / 3, abs=1e-6))


@pytest.mark.parametrize("score", [False, True])
def test_speed_to_lead_without_a_first_touch_column_is_not_available(rs, tmp_path, score):
    path = tmp_path / "contacts.csv"
    pl.read_csv(CONTACTS, infer_schema=False).drop("touch").write_csv(path)
    d = report(rs, contacts=str(path), by=["lead_source"], score=score)
    s = d["speed_to_lead"]
    assert s["unavailable"] == "the input has no column 'touch' (first_touch_at)"
    assert s["mqls"] == 6 and s["by_tier"] == []
    assert all(s[k] is None for k in ("touched", "within_sla", "missed_sla", "untouched_past_sla",
                                      "untouched_within_sla", "share_within_sla", "median_hours"))
    segment = d["breakdowns"][0]["segments"][0]["speed_to_lead"]
    assert segment["unavailable"] == s["unavailable"] and segment["untouched_past_sla"] is None
    result = run_cli(["funnel", str(path), "-r", RULESET, "--as-of", "2026-07-01"])
    assert "Speed to lead: not available: the input has no column 'touch'" in result.stdout
    assert "untouched past SLA" not in result.stdout


def test_score_summary_speed_to_lead_without_a_first_touch_column(tmp_path):
    path = tmp_path / "contacts.csv"
    pl.read_csv(CONTACTS, infer_schema=False).drop("touch").write_csv(path)
    summary = tmp_path / "summary.json"
    run_cli(["score", str(path), "-r", RULESET, "--as-of", "2026-07-01", "-o", str(tmp_path / "s.csv"),
             "--summary-json", str(summary), "-q"])
    s = json.loads(summary.read_text())["funnel"]["speed_to_lead"]
    assert s["unavailable"] and s["share_within_sla"] is None and s["untouched_past_sla"] is None
    assert report(load_ruleset(RULESET))["speed_to_lead"]["unavailable"] is None


# --------------------------------------------------------------------------- velocity and cohorts


def test_lead_velocity_last_12_months(rs):
    v = report(rs)["velocity"]
    assert v["base_month"] == {"month": "2025-06", "mql": 0, "sql": 0}
    series = {m["month"]: m for m in v["series"]}
    assert list(series) == [f"2025-{m:02d}" for m in range(7, 13)] + [f"2026-{m:02d}" for m in range(1, 7)]
    # MQL month = earliest of the MQL-or-later dates (lead 3: its SQL date 02-02).
    assert [series[m]["mql"] for m in ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06")] == \
        [2, 2, 0, 1, 0, 1]
    assert [series[m]["sql"] for m in ("2026-01", "2026-02", "2026-03", "2026-04")] == [2, 1, 0, 1]
    assert series["2026-01"]["mql_growth"] is None  # from zero
    assert series["2026-02"]["mql_growth"] == 0.0
    assert series["2026-02"]["sql_growth"] == -0.5
    assert series["2026-03"]["mql_growth"] == -1.0
    assert v["mql_monthly_growth"] is None and v["mql_mark"] is None  # base month is zero
    assert v["partial_last_month"] is False


def test_velocity_growth_and_mark_on_a_steady_series(rs, tmp_path):
    # 10 MQLs in 2025-06 growing to 20 in 2026-06: compound growth 2^(1/12) - 1 = 5.946%.
    rows = ["id,created,mql"]
    n = 0
    for month, count in (("2025-06", 10), ("2026-06", 20)):
        for _ in range(count):
            n += 1
            rows.append(f"{n},{month}-01 00:00,{month}-02 00:00")
    path = tmp_path / "steady.csv"
    path.write_text("\n".join(rows) + "\n")
    v = report(rs, contacts=str(path))["velocity"]
    assert v["mql_monthly_growth"] == pytest.approx(2 ** (1 / 12) - 1, abs=1e-6)
    assert v["mql_mark"] == "below"
    assert v["series"][-1] == {"month": "2026-06", "mql": 20, "sql": 0, "mql_growth": None, "sql_growth": None}


def test_cohorts_by_entry_month(rs):
    cohorts = by_key(report(rs)["cohorts"], "month")
    assert list(cohorts) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-06"]
    assert cohorts["2026-01"] == {"month": "2026-01", "age_days": 181, "leads": 2, "mql": 2, "sql": 2,
                                  "opportunity": 2, "won": 1, "lead_to_mql": 1.0, "mql_to_sql": 1.0,
                                  "lead_to_won": 0.5}
    assert (cohorts["2026-02"]["sql"], cohorts["2026-03"]["mql"], cohorts["2026-06"]["age_days"]) == (1, 1, 30)


# --------------------------------------------------------------------------- period filter


def test_the_funnel_as_of_an_earlier_date(rs):
    as_of = utc(2026, 3, 1)
    d = compute_funnel(read_funnel_input(rs, [CONTACTS], as_of=as_of), rs, as_of=as_of).to_dict()
    # Leads 7, 8 and 11 entered after March 1st; lead 5, created at that instant, is in.
    assert (d["input"]["after_as_of"], d["input"]["leads"]) == (3, 6)
    reached = {s["stage"]: s["reached"] for s in d["stages"]}
    # Lead 1 was won on March 19th: an open opportunity then, its lifecycle "customer" being today's value.
    assert reached == {"lead": 6, "mql": 4, "sql": 3, "opportunity": 2, "won": 0}
    assert d["closed"] == {"won": 0, "lost": 1, "open_opportunities": 1, "win_rate_of_closed": 0.0}
    assert [c["month"] for c in d["cohorts"]] == ["2026-01", "2026-02", "2026-03"]
    assert d["cohorts"][-1]["age_days"] == 0
    result = run_cli(["funnel", CONTACTS, "-r", RULESET, "--as-of", "2026-03-01"])
    assert "leads 6 (rows read 11; missing lead id 1; duplicate lead id 1; entered after the as-of date 3)" \
        in result.stdout
    assert report(rs)["input"]["after_as_of"] == 0


def test_period_filter_on_entry_date(rs):
    d = report(rs, period_from=utc(2026, 2, 1), period_to=utc(2026, 4, 1))
    assert d["input"]["leads"] == 4  # leads 3, 4, 5, 7
    assert d["input"]["outside_period"] == 4  # 1, 2, 8, 11; lead 6 has no date
    stages = by_key(d["stages"], "stage")
    assert [stages[s]["reached"] for s in ("lead", "mql", "sql", "opportunity", "won")] == [4, 3, 1, 0, 0]
    c = by_key(d["conversions"])
    assert c["lead_to_mql"]["rate"] == 0.75
    assert c["sql_to_opportunity"]["rate"] == 0.0
    assert c["opportunity_to_won"]["rate"] is None  # no opportunity: no rate, no mark
    assert c["opportunity_to_won"]["mark"] is None
    assert d["period"]["from"] == "2026-02-01T00:00:00Z"


def test_cli_to_date_includes_the_whole_day(tmp_path):
    out = tmp_path / "f.json"
    run_cli(["funnel", CONTACTS, "-r", RULESET, "--as-of", "2026-07-01", "--from", "2026-02-01",
             "--to", "2026-03-31", "--json", str(out), "--quiet"])
    d = json.loads(out.read_text())
    assert d["period"]["to"] == "2026-04-01T00:00:00Z"
    assert d["input"]["leads"] == 4


# --------------------------------------------------------------------------- calendar in settings.timezone

NEW_YORK = "America/New_York"
# Times in UTC, with New York's wall time (EDT -4 until Nov 1 02:00 and from Mar 8 02:00; EST -5 between).
AROUND_MONTH_ENDS = """id,created,mql
1,2026-10-01T03:30:00Z,
2,2026-10-01T04:00:00Z,
3,2026-11-01T01:00:00Z,2026-11-01T03:59:00Z
4,2026-11-01T04:00:00Z,
5,2026-12-01T04:30:00Z,2026-12-01T04:30:00Z
6,2026-12-01T05:00:00Z,
7,2026-03-01T04:30:00Z,2026-03-01T04:30:00Z
8,2026-04-01T04:30:00Z,
9,2026-03-08T07:30:00Z,
"""
# New York:  1 Sep 30 23:30 EDT   2 Oct 1 00:00 EDT   3 Oct 31 21:00 EDT (MQL Oct 31 23:59)   4 Nov 1 00:00 EDT
#            5 Nov 30 23:30 EST (MQL the same; a fixed -4 h offset would put it in December)   6 Dec 1 00:00 EST
#            7 Feb 28 23:30 EST (MQL the same)   8 Apr 1 00:30 EDT (a fixed -5 h offset: March 31)
#            9 Mar 8 03:30 EDT, just after the clocks went forward
NY_MIDNIGHT_DEC_1 = utc(2026, 12, 1, 5)


def month_ends(tmp_path) -> str:
    path = tmp_path / "month_ends.csv"
    path.write_text(AROUND_MONTH_ENDS)
    return str(path)


def zoned_ruleset(tmp_path, tz: str = NEW_YORK) -> str:
    path = tmp_path / "zoned.yaml"
    path.write_text((HERE / "ruleset.yaml").read_text() + f"settings:\n  timezone: {tz}\n")
    return str(path)


def funnel_of(ruleset: str, contacts: str, as_of: datetime, **period) -> dict:
    rs = load_ruleset(ruleset)
    inp = read_funnel_input(rs, [contacts], as_of=as_of)
    return compute_funnel(inp, rs, as_of=as_of, **period).to_dict()


def cohort_rows(d: dict) -> dict:
    return {c["month"]: (c["leads"], c["mql"], c["age_days"]) for c in d["cohorts"]}


def test_cohorts_are_months_of_the_rulesets_time_zone(tmp_path):
    d = funnel_of(zoned_ruleset(tmp_path), month_ends(tmp_path), NY_MIDNIGHT_DEC_1)
    assert d["timezone"] == NEW_YORK
    # (leads, MQLs, age in days to Dec 1): lead 3, created Oct 31 at 21:00 in New York, is October's;
    # lead 5 (Nov 30, 23:30 EST) November's, lead 7 (Feb 28, 23:30 EST) February's.
    assert cohort_rows(d) == {"2026-02": (1, 1, 303), "2026-03": (1, 0, 275), "2026-04": (1, 0, 244),
                              "2026-09": (1, 0, 91), "2026-10": (2, 1, 61), "2026-11": (2, 1, 30),
                              "2026-12": (1, 0, 0)}


def test_cohorts_stay_utc_months_without_a_time_zone(tmp_path):
    d = funnel_of(RULESET, month_ends(tmp_path), NY_MIDNIGHT_DEC_1)
    assert d["timezone"] == "UTC"
    assert cohort_rows(d) == {"2026-03": (2, 1, 275), "2026-04": (1, 0, 244), "2026-10": (2, 0, 61),
                              "2026-11": (2, 1, 30), "2026-12": (2, 1, 0)}


def test_cohort_age_is_in_calendar_days_across_a_clock_change(tmp_path):
    # As of April 1st, midnight in New York: March began 30 days and 23 hours before (clocks went forward
    # on March 8th), yet the March cohort is 31 calendar days old; February's 59 (58 days 23 hours).
    d = funnel_of(zoned_ruleset(tmp_path), month_ends(tmp_path), utc(2026, 4, 1, 4))
    assert d["input"]["after_as_of"] == 7  # leads 1-6 and 8 (April 1st, 00:30) entered later
    assert cohort_rows(d) == {"2026-02": (1, 1, 59), "2026-03": (1, 0, 31)}


def test_velocity_months_of_the_rulesets_time_zone(tmp_path):
    v = funnel_of(zoned_ruleset(tmp_path), month_ends(tmp_path), NY_MIDNIGHT_DEC_1)["velocity"]
    # Up to midnight Dec 1 in New York: the last month is a whole November.
    assert (v["end"], v["partial_last_month"]) == ("2026-12-01T00:00:00-05:00", False)
    assert v["base_month"] == {"month": "2025-11", "mql": 0, "sql": 0}
    mqls = {m["month"]: m["mql"] for m in v["series"] if m["mql"]}
    assert (v["series"][0]["month"], v["series"][-1]["month"]) == ("2025-12", "2026-11")
    assert mqls == {"2026-02": 1, "2026-10": 1, "2026-11": 1}


def test_velocity_months_stay_utc_without_a_time_zone(tmp_path):
    v = funnel_of(RULESET, month_ends(tmp_path), NY_MIDNIGHT_DEC_1)["velocity"]
    # The same instant is 05:00 on Dec 1 in UTC: December is the last month, partial.
    assert (v["end"], v["partial_last_month"]) == ("2026-12-01T05:00:00Z", True)
    assert (v["series"][0]["month"], v["series"][-1]["month"]) == ("2026-01", "2026-12")
    assert {m["month"]: m["mql"] for m in v["series"] if m["mql"]} == {"2026-03": 1, "2026-11": 1, "2026-12": 1}


def test_a_period_of_dates_is_days_of_the_rulesets_time_zone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # --as-of without an offset is UTC, as in `leadq score`: midnight in New York is given with its offset.
    args = ["funnel", month_ends(tmp_path), "--as-of", "2026-12-15T00:00-05:00", "--from", "2026-10-01",
            "--to", "2026-11-30", "--json", "-", "-q"]
    d = json.loads(run_cli(args + ["-r", zoned_ruleset(tmp_path)]).stdout)
    # Midnight Oct 1 (EDT) to midnight Dec 1 (EST): leads 2, 3, 4 and 5; lead 1 is September's, 6 December's.
    assert d["period"] == {"from": "2026-10-01T00:00:00-04:00", "to": "2026-12-01T00:00:00-05:00",
                           "basis": "entry date: created_at, else the earliest stage date"}
    assert (d["input"]["leads"], d["input"]["outside_period"]) == (4, 5)
    assert cohort_rows(d) == {"2026-10": (2, 1, 75), "2026-11": (2, 1, 44)}
    # Without a time zone the days are UTC's: leads 1, 2, 3 and 4.
    d = json.loads(run_cli(args + ["-r", RULESET]).stdout)
    assert (d["period"]["from"], d["period"]["to"]) == ("2026-10-01T00:00:00Z", "2026-12-01T00:00:00Z")
    assert (d["input"]["leads"], d["input"]["outside_period"]) == (4, 5)
    assert cohort_rows(d) == {"2026-10": (2, 0, 75), "2026-11": (2, 1, 44)}


def test_the_report_names_the_time_zone_of_its_calendar(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    result = run_cli(["funnel", month_ends(tmp_path), "-r", zoned_ruleset(tmp_path), "--as-of", "2026-12-15",
                      "--from", "2026-10-01"])
    assert "period: 2026-10-01T00:00:00-04:00 to …  time zone: America/New_York\n" in result.stdout
    result = run_cli(["funnel", month_ends(tmp_path), "-r", RULESET, "--as-of", "2026-12-15"])
    assert "time zone" not in result.stdout


@pytest.mark.parametrize("text, tz, end, expected", [
    ("2026-10-01", NEW_YORK, False, utc(2026, 10, 1, 4)),
    ("2026-10-31", NEW_YORK, True, utc(2026, 11, 1, 4)),  # midnight Nov 1 is still EDT
    ("2026-11-01", NEW_YORK, True, utc(2026, 11, 2, 5)),  # a 25-hour day: clocks go back at 02:00
    ("2026-03-08", NEW_YORK, True, utc(2026, 3, 9, 4)),  # a 23-hour day
    ("2026-10-01T09:00", NEW_YORK, False, utc(2026, 10, 1, 13)),  # a time without an offset is local
    ("2026-11-01T01:30", NEW_YORK, False, utc(2026, 11, 1, 5, 30)),  # repeated: the earlier, EDT (as --as-of)
    ("2026-10-01T09:00:00Z", NEW_YORK, False, utc(2026, 10, 1, 9)),  # an offset keeps its meaning
    ("2026-10-01T09:00:00+02:00", NEW_YORK, True, utc(2026, 10, 1, 7)),
    ("2026-10-01", "UTC", True, utc(2026, 10, 2)),
    ("2026-10-01T09:00", "UTC", False, utc(2026, 10, 1, 9)),
    # Dates in ISO's other forms are dates too: an end includes the whole day (it stopped at its midnight).
    ("20261031", NEW_YORK, True, utc(2026, 11, 1, 4)),
    (" 2026-W44-6 ", NEW_YORK, True, utc(2026, 11, 1, 4)),  # Saturday of week 44: Oct 31
    ("20261031", "UTC", True, utc(2026, 11, 1)),
])
def test_period_bounds_in_a_time_zone(text, tz, end, expected):
    assert period_bound(text, tz, end=end) == expected


SKIPPED = ("'2026-03-08T02:30' does not exist in America/New_York: the clocks go from UTC-05:00 to UTC-04:00 then "
           "and skip it; give a time outside the skipped hour, or one with its UTC offset")


@pytest.mark.parametrize("end", [False, True])
def test_a_bound_the_clocks_skip_is_refused_as_as_of_refuses_it(end):
    # It was read with the offset before the change (02:30 EST = 03:30 EDT), where --as-of refused it.
    with pytest.raises(ValueError) as err:
        period_bound("2026-03-08T02:30", NEW_YORK, end=end)
    assert str(err.value) == SKIPPED
    assert period_bound("2026-03-08T02:30-05:00", NEW_YORK, end=end) == utc(2026, 3, 8, 7, 30)  # with its offset
    assert period_bound("2026-03-08T03:30", NEW_YORK, end=end) == utc(2026, 3, 8, 7, 30)
    assert period_bound("2026-03-08T02:30", "UTC", end=end) == utc(2026, 3, 8, 2, 30)  # UTC skips nothing


@pytest.mark.parametrize("option", ["--from", "--to", "--as-of"])
def test_funnel_refuses_a_skipped_time_alike_in_from_to_and_as_of(tmp_path, option):
    dates = {"--from": "2026-01-01", "--to": "2026-12-01", "--as-of": "2026-12-15"} | {option: "2026-03-08T02:30"}
    result = run_cli(["funnel", month_ends(tmp_path), "-r", zoned_ruleset(tmp_path)]
                     + [a for item in dates.items() for a in item], exit_code=2)
    assert result.stdout == ""
    assert result.stderr == f"leadq: error: {option}: {SKIPPED}\n"


def test_a_bound_given_with_an_offset_keeps_its_meaning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    d = json.loads(run_cli(["funnel", month_ends(tmp_path), "-r", zoned_ruleset(tmp_path), "--as-of",
                            "2026-12-15T00:00-05:00", "--from", "2026-10-01T00:00:00Z", "--to", "2026-12-01T00:00:00Z", "--json", "-",
                            "-q"]).stdout)
    # UTC's October and November, written in New York time: leads 1, 2, 3 and 4.
    assert (d["period"]["from"], d["period"]["to"]) == ("2026-09-30T20:00:00-04:00", "2026-11-30T19:00:00-05:00")
    assert cohort_rows(d) == {"2026-09": (1, 0, 105), "2026-10": (2, 1, 75), "2026-11": (1, 0, 44)}


# --------------------------------------------------------------------------- breakdowns


def test_breakdown_by_source_sorted_by_volume_with_small_flags(rs):
    b = report(rs, by=["lead_source"])["breakdowns"][0]
    assert (b["by"], b["column"], b["small_segment"]) == ("lead_source", "source", 3)
    segs = [(s["value"], s["leads"], s["small"]) for s in b["segments"]]
    assert segs == [("web", 4, False), ("ads", 3, False), ("bad", 1, True), ("(blank)", 1, True)]
    web = b["segments"][0]
    assert [s["reached"] for s in web["stages"]] == [4, 3, 2, 2, 1]
    assert by_key(web["conversions"])["mql_to_sql"]["rate"] == pytest.approx(2 / 3, abs=1e-6)


def test_breakdown_by_size_band_lists_empty_bands(rs):
    b = report(rs, by=["company_size"])["breakdowns"][0]
    segs = [(s["value"], s["leads"], s["empty"]) for s in b["segments"]]
    assert segs == [("51-200", 3, False), ("11-50", 2, False), ("201-500", 2, False), ("1-10", 1, False),
                    ("(blank)", 1, False), ("501-1,000", 0, True), ("1,001-5,000", 0, True),
                    ("5,001-10,000", 0, True), ("10,001+", 0, True)]
    empty = b["segments"][-1]
    assert empty["conversions"][0]["rate"] is None and empty["durations"][0]["median_days"] is None


def test_breakdown_by_tier_scores_on_the_fly(rs):
    d = report(rs, by=["tier", "grade"])
    assert d["input"]["scored_on_the_fly"] is True
    tiers = [(s["value"], s["leads"]) for s in d["breakdowns"][0]["segments"]]
    assert tiers == [("cold", 5), ("hot", 4)]  # hot: 1, 4, 7, 8
    grades = [(s["value"], s["leads"]) for s in d["breakdowns"][1]["segments"]]
    assert grades[0] == ("D", 9) and {g for g, n in grades[1:]} == {"A", "B", "C"}


def test_size_band_labels():
    assert size_band_labels([10, 50, 1000]) == ["1-10", "11-50", "51-1,000", "1,001+"]


# --------------------------------------------------------------------------- disqualification


def test_disqualification_reasons_when_scored(rs):
    dq = report(rs, score=True)["disqualification"]
    assert dq["leads_with_reasons"] == 2
    assert [(r["reason"], r["category"], r["leads"]) for r in dq["reasons"]] == [
        ("not_now", "bad_timing", 1), ("too_small", "bad_fit", 1)]
    assert by_key(dq["categories"], "category")["bad_fit"] == {
        "category": "bad_fit", "leads": 1, "share": pytest.approx(1 / 9, abs=1e-6)}


def test_no_disqualification_section_without_reasons(rs):
    assert report(rs)["disqualification"] is None


def test_score_output_as_input_gives_the_same_figures(rs, tmp_path):
    scored = tmp_path / "scored.csv"
    run_cli(["score", CONTACTS, "-r", RULESET, "--as-of", "2026-07-01", "-o", str(scored), "-q",
             "-k", "created,mql,sql,opp,won,lost,touch,stage,source,employees,updated"])
    from_score = report(rs, contacts=str(scored), by=["tier"])
    on_the_fly = report(rs, by=["tier"])
    assert from_score["input"]["scored_on_the_fly"] is False
    for section in ("stages", "conversions", "durations", "speed_to_lead", "cohorts"):
        assert from_score[section] == on_the_fly[section], section
    assert from_score["disqualification"]["reasons"] == on_the_fly["disqualification"]["reasons"]
    assert from_score["breakdowns"][0]["segments"] == on_the_fly["breakdowns"][0]["segments"]


# --------------------------------------------------------------------------- edge inputs


def test_empty_input_gives_empty_figures(rs, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("id,created,mql\n")
    d = report(rs, contacts=str(path), by=["lead_source"] if False else ())
    assert d["input"]["leads"] == 0
    assert all(c["rate"] is None for c in d["conversions"])
    assert d["speed_to_lead"]["share_within_sla"] is None
    assert d["cohorts"] == []


def test_no_stage_columns_is_an_input_error(rs, tmp_path):
    path = tmp_path / "nostage.csv"
    path.write_text("id,source\n1,web\n")
    with pytest.raises(MissingColumnsError, match="none of the stage columns"):
        report(rs, contacts=str(path))
    result = run_cli(["funnel", str(path), "-r", RULESET], exit_code=3)
    assert "none of the stage columns" in result.stderr


def test_unknown_by_is_a_usage_error(rs):
    with pytest.raises(UsageError, match="did you mean 'lead_source'"):
        read_funnel_input(rs, [CONTACTS], by=["lead_sourc"])
    for extra in ([], ["--score"]):
        result = run_cli(["funnel", CONTACTS, "-r", RULESET, "--by", "nope", *extra], exit_code=2)
        assert "unknown field or column 'nope'" in result.stderr
        # The file's own columns, not the scoring run's internal ones.
        assert "'source', 'employees', 'updated'" in result.stderr and "_hit__" not in result.stderr


@pytest.mark.parametrize("option", [["--by", ","], ["--by", ""], ["--by", "lead_source", "--by", " "],
                                    ["--activities", ","], ["--accounts", ""]])
def test_an_option_list_naming_nothing_is_a_usage_error(option):
    result = run_cli(["funnel", CONTACTS, "-r", RULESET, *option], exit_code=2)
    assert f"{option[-2]}: {option[-1]!r} names nothing" in result.stderr


def test_by_a_raw_input_column(rs):
    b = report(rs, by=["stage"])["breakdowns"][0]
    assert b["segments"][0]["value"] == "marketingqualifiedlead"


def segment_counts(breakdown):
    return [(s["value"], s["leads"]) for s in breakdown["segments"]]


@pytest.mark.parametrize("column", ["stage", "source"])
def test_by_a_raw_input_column_when_scored_on_the_fly(rs, column):
    plain = report(rs, by=[column])["breakdowns"][0]
    scored = report(rs, by=[column, "tier"])
    assert scored["input"]["scored_on_the_fly"] is True
    assert segment_counts(scored["breakdowns"][0]) == segment_counts(plain)
    assert segment_counts(report(rs, by=[column], score=True)["breakdowns"][0]) == segment_counts(plain)


def test_by_a_raw_column_named_like_an_output_column_when_scored(rs, tmp_path):
    path = tmp_path / "contacts.csv"
    frame = pl.read_csv(CONTACTS, infer_schema=False)
    frame.with_columns(pl.col("source").alias("explanation")).write_csv(path)
    d = report(rs, by=["explanation", "tier"], contacts=str(path))
    assert segment_counts(d["breakdowns"][0]) == segment_counts(report(rs, by=["source"])["breakdowns"][0])


def test_bad_period_options():
    result = run_cli(["funnel", CONTACTS, "-r", RULESET, "--from", "2026-05-01", "--to", "2026-04-01"], exit_code=2)
    assert "--from 2026-05-01 is not before --to 2026-04-01" in result.stderr
    # A period that starts after the as-of time: it reported 0 leads without a word (calibrate refuses the same).
    result = run_cli(["funnel", CONTACTS, "-r", RULESET, "--as-of", "2026-11-01", "--from", "2026-12-01"], exit_code=2)
    assert result.stderr == ("leadq: error: --from 2026-12-01 is after --as-of 2026-11-01T00:00:00Z: no lead had "
                             "entered the period at the as-of time; give an earlier --from or a later --as-of\n")
    result = run_cli(["funnel", CONTACTS, "-r", RULESET, "--from", "May 1st"], exit_code=2)
    assert "--from: cannot read 'May 1st' as a date" in result.stderr
    result = run_cli(["funnel", CONTACTS, "-r", RULESET, "--to", "9999-12-31"], exit_code=2)
    assert result.stderr == ("leadq: error: --to: '9999-12-31' is out of range; use a date between 0002-01-01 and "
                             "9999-12-30\n")


def test_json_to_stdout_moves_the_report_to_stderr():
    result = run_cli(["funnel", CONTACTS, "-r", RULESET, "--as-of", "2026-07-01", "--json", "-"])
    data = json.loads(result.stdout)
    assert data["input"]["leads"] == 9
    assert "leadq funnel" in result.stderr


# --------------------------------------------------------------------------- ruleset sections


def write_ruleset(tmp_path, funnel_yaml: str, sla_yaml: str = "") -> str:
    base = (HERE / "ruleset.yaml").read_text().split("funnel:")[0]
    path = tmp_path / "rs.yaml"
    path.write_text(base + funnel_yaml + sla_yaml)
    return str(path)


@pytest.mark.parametrize("funnel_yaml, message, line, column", [
    ("funnel:\n  benchmark: {}\n", "funnel: unknown key 'benchmark'; did you mean 'benchmarks'?", 32, 3),
    ("funnel:\n  benchmarks:\n    mql_to_sq: [10%, 20%]\n", "unknown benchmark 'mql_to_sq'; did you mean "
     "'mql_to_sql'?", 33, 5),
    ("funnel:\n  benchmarks:\n    mql_to_sql: [20%, 10%]\n", "the low end 20% is above the high end 10%", 33, 17),
    ("funnel:\n  benchmarks:\n    mql_to_sql: 15\n", "15 is not a fraction; write 0.15 or '15%'", 33, 17),
    ("funnel:\n  benchmarks:\n    mql_to_sql: [0.1, lots]\n", "expected a rate such as 0.15 or '15%'", 33, 23),
    ("funnel:\n  benchmarks:\n    mql_to_won_days: -3\n", "expected a number of days greater than 0", 33, 22),
    ("funnel:\n  small_segment: 0\n", "funnel.small_segment: expected a whole number", 32, 18),
    ("funnel:\n  size_bands: [10, 5]\n", "each bound must be a number above the one before it", 32, 20),
    ("funnel:\n  lifecycle_stages:\n    customer: [won]\n", "unknown stage 'customer'", 33, 5),
])
def test_funnel_section_errors_have_positions(tmp_path, funnel_yaml, message, line, column):
    path = write_ruleset(tmp_path, funnel_yaml)
    with pytest.raises(RulesetError) as info:
        load_ruleset(path)
    assert message in info.value.message
    assert (info.value.position.line, info.value.position.column) == (line, column)


def test_funnel_section_overrides(tmp_path):
    path = write_ruleset(tmp_path, "funnel:\n  benchmarks:\n    mql_to_sql: null\n    lead_velocity: 0.2\n"
                                   "    lead_to_won_days: [30, 60]\n  size_bands: [100]\n"
                                   "  lifecycle_stages:\n    won: [Closed Won]\n")
    rs = load_ruleset(path)
    b = rs.funnel.benchmarks
    assert "mql_to_sql" not in b
    assert b["lead_velocity"] == Benchmark(pytest.approx(0.18), pytest.approx(0.22), "~20%")
    assert (b["lead_to_won_days"].low, b["lead_to_won_days"].high, b["lead_to_won_days"].text) == (30, 60, "30-60 d")
    assert rs.funnel.size_bands == (100.0,)
    assert rs.funnel.lifecycle_stages["won"] == ("closedwon",)
    assert rs.funnel.small_segment is None  # falls back to settings.small_segment


def test_benchmark_marks():
    b = Benchmark(0.1, 0.2, "10-20%")
    assert [b.mark(v) for v in (0.05, 0.1, 0.2, 0.2000000001, 0.25, None)] == [
        "below", "within", "within", "within", "above", None]


@pytest.mark.parametrize("section, expected", [
    (None, {"hand_raiser": 1.0, "mql": 24.0}),
    ({"hand_raiser": {"hours": 1, "procedure": "call"}, "mql": {"hours": 12}}, {"hand_raiser": 1.0, "mql": 12.0}),
    ({"sql": 4, "vip": {"minutes": 30}, "slow": {"within": "2d"}}, {"hand_raiser": 1.0, "mql": 24.0, "sql": 4.0,
                                                                   "vip": 0.5, "slow": 48.0}),
    ({"tiers": {"sql": {"hours": 8}}}, {"hand_raiser": 1.0, "mql": 24.0, "sql": 8.0}),
    ([{"tier": "sql", "hours": 3}, {"name": "x"}], {"hand_raiser": 1.0, "mql": 24.0, "sql": 3.0}),
    ({"sql": {"procedure": "no hours"}, "odd": "soon"}, {"hand_raiser": 1.0, "mql": 24.0}),
])
def test_sla_hours_reader_is_tolerant(section, expected):
    assert sla_hours(section) == expected


def test_dates_in_other_orders_parse_as_in_scoring(rs, tmp_path):
    path = tmp_path / "eu.csv"
    ruleset = tmp_path / "eu.yaml"
    ruleset.write_text(open(RULESET).read().replace("  updated_at: updated\n",
                                                    "  updated_at: updated\nsettings:\n  date_order: eu\n"))
    path.write_text("id,created,mql\n1,05/01/2026,06/01/2026 10:00\n")
    eu = load_ruleset(str(ruleset))
    inp = read_funnel_input(eu, [str(path)])
    assert inp.frame["mql_at"][0] == utc(2026, 1, 6, 10)
    assert isinstance(inp.frame, pl.DataFrame)


@pytest.mark.parametrize("score", [False, True])
@pytest.mark.parametrize(("rows", "counted", "rows_read", "dropped"), [
    ("1,2026-01-05,web,200,a\n2,2026-02-01,,,b\n", [2], 2, {}),  # every row has text in a column read
    ("1,2026-01-05,web,200,a\n,,,,\n2,2026-02-01,,,b\n", [3], 2, {}),  # a row of empty cells: not read again
    ("1,2026-01-05,web,200,a\n,,,,note\n2,2026-02-01,,,b\n", [3, None], 3, {"missing lead id": 1}),  # `note` only
])
def test_contacts_rows_are_tested_on_the_columns_the_funnel_reads_and_checked_by_count(
        rs, tmp_path, monkeypatch, score, rows, counted, rows_read, dropped):
    # As for scoring (inputs.run_counted): the funnel's contacts are read with the columns it may read
    # tested for blank rows; a file that yields fewer rows than counted is counted again with every
    # column tested, and read again when that finds more, so that a row with text only in another
    # column is still a lead without an id.
    import leadq.funnel_input as funnel_input

    calls, real = [], funnel_input._funnel_input
    monkeypatch.setattr(funnel_input, "_funnel_input",
                        lambda ruleset, files, *args: calls.append(files) or real(ruleset, files, *args))
    contacts = tmp_path / "c.csv"
    contacts.write_text("id,created,source,employees,note\n" + rows)
    inp = read_funnel_input(rs, [str(contacts)], score=score, as_of=AS_OF)
    assert [c[0].rows_counted for c in calls] == counted
    assert (inp.rows, inp.rows_by_file, inp.dropped) == (rows_read, {str(contacts): rows_read}, dropped)
    assert inp.frame.select("lead_id", "created_at").rows() == [("1", utc(2026, 1, 5)), ("2", utc(2026, 2, 1))]


def test_funnel_contacts_from_stdin_are_read_again_from_its_bytes(rs, monkeypatch):
    import io

    import leadq.funnel_input as funnel_input

    calls, real = [], funnel_input._funnel_input
    monkeypatch.setattr(funnel_input, "_funnel_input",
                        lambda ruleset, files, *args: calls.append(files) or real(ruleset, files, *args))
    text = b"id,created,source,employees,note\n1,2026-01-05,web,200,a\n,,,,note\n2,2026-02-01,,,b\n"
    inp = read_funnel_input(rs, ["-"], stdin=io.BytesIO(text), as_of=AS_OF)
    assert [c[0].rows_counted for c in calls] == [3, None]
    assert (inp.rows, inp.rows_by_file, inp.dropped) == (3, {"<stdin>": 3}, {"missing lead id": 1})


def test_a_funnel_with_stdin_among_its_inputs_tests_every_column(rs, tmp_path, monkeypatch):
    # Activities from stdin: scoring the contacts again would read them again, so every column of the
    # contacts is tested from the start.
    import io

    import leadq.funnel_input as funnel_input

    calls, real = [], funnel_input._funnel_input
    monkeypatch.setattr(funnel_input, "_funnel_input",
                        lambda ruleset, files, *args: calls.append(files) or real(ruleset, files, *args))
    contacts = tmp_path / "c.csv"
    contacts.write_text("id,created,source,employees,note\n1,2026-01-05,web,200,a\n,,,,note\n")
    inp = read_funnel_input(rs, [str(contacts)], score=True, as_of=AS_OF, activity_specs=["-"],
                            stdin=io.BytesIO(b"lead,type,at\n"))
    assert [c[0].rows_counted for c in calls] == [None]
    assert (inp.rows, inp.dropped) == (2, {"missing lead id": 1})


def test_the_funnel_counts_each_contacts_file_apart(rs, tmp_path):
    # Several files: the rows each yielded, for the count check (and a row with text only in `note`).
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("id,created,note\n1,2026-01-05,a\n,,\n")
    second.write_text("id,created,note\n2,2026-02-01,b\n,,note\n3,2026-03-01,c\n")
    inp = read_funnel_input(rs, [str(first), str(second)], as_of=AS_OF)
    assert inp.rows_by_file == {str(first): 1, str(second): 3}
    assert (inp.rows, inp.dropped, inp.frame["lead_id"].to_list()) == (4, {"missing lead id": 1}, ["1", "2", "3"])


def test_values_from_the_data_and_ruleset_are_shown_not_read_as_markup(tmp_path):
    # A segment, a column's name or a reason's label holding '[/]' ended the report with exit 70
    # (MarkupError); '[red]...[/red]' lost its brackets.
    contacts, ruleset = tmp_path / "contacts.csv", tmp_path / "ruleset.yaml"
    text = open(CONTACTS).read().replace(",ads,", ",[red]x[/red],").replace(",bad,", ",x[/]1,")
    contacts.write_text(text.replace(",source,", ",so[/]urce,", 1))
    ruleset.write_text(open(RULESET).read().replace("lead_source: source", 'lead_source: "so[/]urce"')
                       .replace("label: Too small", 'label: "Too [/] [red]small[/red]"'))
    out = run_cli(["funnel", contacts, "-r", ruleset, "--as-of", "2026-07-01", "--by", "lead_source",
                   "--score"]).stdout
    lines = [line.rstrip() for line in out.splitlines()]
    assert "By lead_source (so[/]urce)" in lines
    assert [line.split()[:2] for line in lines if "x[/" in line] == [["[red]x[/red]", "3"], ["x[/]1", "1"]]
    assert "Too [/] [red]small[/red]   bad_fit        1   11.1%" in lines


def test_a_narrow_terminal_splits_no_number(rs):
    # At 40 columns the stage table folded "77.8%" into "77." over "8%" and the velocity table lost its
    # "last" and "growth/mo" columns; a table that does not fit is now written as lines.
    import io

    from rich.console import Console

    from leadq.funnel_report import compact_funnel, funnel_report

    d, width = report(rs, by=("source",)), 40
    out = io.StringIO()
    console = Console(file=out, width=width, no_color=True, highlight=False)
    console.print(funnel_report(d, width))
    console.print(compact_funnel({**d, "out_of_order": 1}))
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= width
    words = set(text.split())
    # Lead -> MQL 7 / 9, MQL -> SQL 4 / 7, SQL -> opportunity 2 / 4, opportunity -> won 1 / 2.
    for share in ("77.8%", "57.1%", "50.0%"):
        assert share in words or share + ";" in words, share
    # Velocity over Jul 2025 - Jun 2026: the last month (June) has 1 MQL (lead 8) and 0 SQLs.
    flowing = " ".join(text.split())  # a line may break between a column's name and its value
    assert "MQL: 2025-07..2026-06 ▁▁▁▁▁▁██▁▅▁▅; last 1; growth/mo –; benchmark ~10%" in flowing
    assert "SQL: 2025-07..2026-06 ▁▁▁▁▁▁█▅▁▅▁▁; last 0; growth/mo –; benchmark ~10%" in flowing
    # The compact funnel of `leadq score` too.
    assert "Won: leads 1; of leads 11.1%; step 50.0%" in flowing


# --------------------------------------------------------------------------- breakdown legend and many segments


def _drawn(data: dict, width: int) -> list[str]:
    import io

    from rich.console import Console

    from leadq.funnel_report import funnel_report

    out = io.StringIO()
    Console(file=out, width=width, no_color=True, highlight=False).print(funnel_report(data, width))
    return [line.rstrip() for line in out.getvalue().splitlines()]


def _legend(lines: list[str]) -> list[str]:
    return [line for line in lines if "above/below the benchmark" in line or line.startswith("small:")]


def test_the_legend_explains_only_the_marks_drawn(rs):
    # By source: 'bad' and '(blank)' have fewer than 3 leads, and rates are above/below their benchmarks.
    assert _legend(_drawn(report(rs, by=["lead_source"]), 130)) == [
        "small: fewer than 3 leads (rates unreliable); ▲/▼ above/below the benchmark"]
    # By tier: cold 5 and hot 4 leads, none small; the 'small' legend was printed all the same.
    assert _legend(_drawn(report(rs, by=["tier"]), 130)) == ["▲/▼ above/below the benchmark"]
    unmarked = report(rs, by=["tier"])
    for segment in unmarked["breakdowns"][0]["segments"]:
        for conversion in segment["conversions"]:
            conversion["mark"] = None
    lines = _drawn(unmarked, 130)
    assert _legend(lines) == []
    assert lines[lines.index("By tier") + 4:lines.index("By tier") + 6] == [
        "hot           4     4     1     1     1     100.0%     25.0%    100.0%    100.0%        72.0     50.0%",
        "Disqualification reasons"]


def test_an_empty_segment_is_not_a_small_one_in_the_legend(rs):
    # Size bands with no leads are marked 'no leads', not 'small'; the other bands have 3 leads or none small.
    data = report(rs, by=["company_size"])
    for segment in data["breakdowns"][0]["segments"]:
        segment["small"] = segment["empty"]
    lines = _drawn(data, 130)
    assert [line.split()[0] for line in lines if line.endswith("   no leads")] == [
        "501-1,000", "1,001-5,000", "5,001-10,000", "10,001+"]
    assert _legend(lines) == ["▲/▼ above/below the benchmark"]


def _many_segments(tmp_path, big: int, single: int, blank: int = 0) -> str:
    # `big` campaigns of 4 leads (c000, c001, ...), `single` campaigns of 1 lead (s000, ...) and `blank`
    # leads with no campaign, created only.
    rows = ["id,created,campaign"]
    for i in range(big):
        rows += [f"b{i}-{k},2026-01-05,c{i:03d}" for k in range(4)]
    rows += [f"s{i},2026-01-05,s{i:03d}" for i in range(single)]
    rows += [f"n{i},2026-01-05," for i in range(blank)]
    path = tmp_path / "campaigns.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def test_a_breakdown_of_many_segments_shows_the_largest_and_json_has_all(tmp_path, monkeypatch):
    from leadq.funnel_report import MAX_SEGMENTS_SHOWN

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    contacts = _many_segments(tmp_path, MAX_SEGMENTS_SHOWN, 70)
    result = run_cli(["funnel", contacts, "-r", RULESET, "--as-of", "2026-07-01", "--by", "campaign",
                      "--json", "funnel.json"])
    segments = json.loads((tmp_path / "funnel.json").read_text())["breakdowns"][0]["segments"]
    assert len(segments) == 120
    assert [(s["value"], s["leads"], s["small"]) for s in segments[49:51]] == [("c049", 4, False),
                                                                               ("s000", 1, True)]
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    table = lines[lines.index("By campaign"):]
    assert table[3] == "c000          4      0.0%▼         –         –         –"
    assert table[52] == "c049          4      0.0%▼         –         –         –"
    # The 70 one-lead campaigns are left out; so is the 'small' legend, no small segment being drawn.
    assert table[53:] == ["… and 70 more segments with 70 leads (see --json for every segment)",
                          "▲/▼ above/below the benchmark"]


def test_the_leads_without_a_value_are_drawn_however_many_segments_are_left_out(tmp_path):
    from leadq.funnel_report import MAX_SEGMENTS_SHOWN

    lines = _drawn(report(load_ruleset(RULESET), by=["campaign"],
                          contacts=_many_segments(tmp_path, MAX_SEGMENTS_SHOWN, 70, blank=2)), 100)
    table = lines[lines.index("By campaign"):]
    assert table[52:] == ["c049          4      0.0%▼         –         –         –",
                          "(blank)       2      0.0%▼         –         –         –   small",
                          "… and 70 more segments with 70 leads (see --json for every segment)",
                          "small: fewer than 3 leads (rates unreliable); ▲/▼ above/below the benchmark"]


def test_a_breakdown_of_few_segments_shows_every_one(tmp_path):
    from leadq.funnel_report import MAX_SEGMENTS_SHOWN

    lines = _drawn(report(load_ruleset(RULESET), by=["campaign"],
                          contacts=_many_segments(tmp_path, MAX_SEGMENTS_SHOWN - 1, 1)), 100)
    table = lines[lines.index("By campaign"):]
    assert len(table) == 3 + MAX_SEGMENTS_SHOWN + 1
    assert table[-2:] == ["s000          1      0.0%▼         –         –         –   small",
                          "small: fewer than 3 leads (rates unreliable); ▲/▼ above/below the benchmark"]


@pytest.mark.parametrize("width", [40, 60])
def test_a_narrow_terminal_breaks_no_header_and_keeps_each_figure_by_its_name(monkeypatch, width):
    # At 60 columns Rich broke headers inside words ("benchm" over "ark", "from →" over "to") and cells
    # ("Lead →" over "MQL"); at 40 a row written as a line put a name at the end of one line and its
    # value at the start of the next ("last" / "96").
    from rich.cells import cell_len

    monkeypatch.setenv("COLUMNS", str(width))
    out = run_cli(["funnel", str(ROOT / "sample_data" / "contacts.csv"), "--as-of", "2026-11-01",
                   "--by", "lead_source,company_size"]).stdout
    lines = [line.rstrip() for line in out.splitlines()]
    assert max(cell_len(line) for line in lines) <= width
    words = " ".join(lines).split()
    assert not {"benchm", "ark", "growth/", "mo"} & set(words)
    names = ("leads", "of leads", "step", "benchmark", "median", "p90", "last", "growth/mo", "Lead→MQL", "MQL→SQL",
             "SQL→Opp", "Opp→Won", "age d", "MQL", "SQL", "Opp", "Won")
    # Rows drawn as lines: "label: name value; ..." and their indented continuations (not the prose notes).
    rows = [line for line in lines if line.startswith("  ") or line.split(" ")[0].endswith(":")
            and not line.startswith(("SLA:", "SLA: ", "MQLs ")) and not line.endswith(": no leads")]
    assert len(rows) > 30
    assert not [line for line in rows if line.endswith(names)]
    # A row continued on the next line is indented, broken between its "name value" parts only.
    velocity = lines.index("Lead velocity (last 12 months)") + 1
    assert lines[velocity:velocity + 3] == {
        60: ["MQL: 2025-11..2026-10 ▂▁▁▁▂▅▆▄▆▇▅█; last 96; growth/mo 6.3%;", "  benchmark ~10% (below)",
             "SQL: 2025-11..2026-10 ▃▃▁▃▅▆▆▇███▇; last 17; growth/mo 9.1%;"],
        40: ["MQL: 2025-11..2026-10 ▂▁▁▁▂▅▆▄▆▇▅█;", "  last 96; growth/mo 6.3%;", "  benchmark ~10% (below)"],
    }[width]
    stage_header = "stage         leads   of leads    step   benchmark"
    assert (stage_header in lines) == (width == 60)  # the stage table fits 60 columns without its bars


def test_the_json_dict_is_the_reports_plain_data_without_copying_it(rs):
    # to_dict no longer deep-copies (dataclasses.asdict took 4 s for 15,000 segments): the same content,
    # schema_version first, and each figure with its own benchmark dict all the same.
    from dataclasses import asdict

    inp = read_funnel_input(rs, [CONTACTS], by=["lead_source"], as_of=AS_OF)
    result = compute_funnel(inp, rs, as_of=AS_OF, by=["lead_source"])
    d = result.to_dict()
    assert list(d)[:3] == ["schema_version", "ruleset", "as_of"]
    assert d == asdict(result)
    web, ads = d["breakdowns"][0]["segments"][:2]
    web["conversions"][0]["benchmark"]["text"] = "changed"
    assert ads["conversions"][0]["benchmark"] == {"low": 0.4, "high": 0.6, "text": "40-60%"}
    assert d["conversions"][0]["benchmark"]["text"] == "40-60%"


def test_the_report_says_the_period_end_is_exclusive(tmp_path, monkeypatch):
    # `--to 2026-06-30` includes that day; the header showed "to 2026-07-01T00:00:00Z", which reads as
    # including 1 July too. The JSON's `to` is documented as the exclusive end; the report now says so.
    monkeypatch.setenv("COLUMNS", "160")
    result = run_cli(["funnel", CONTACTS, "-r", RULESET, "--as-of", "2026-07-01", "--to", "2026-06-30"])
    assert "  period: … to 2026-07-01T00:00:00Z (exclusive)\n" in result.stdout


def _salesforce_leads(tmp_path, rows: list[dict]) -> str:
    """A Salesforce Leads report with every column the Salesforce ruleset maps; ``rows`` fill some."""
    import csv

    from tests.conftest import RULESETS
    header = [c.column for c in load_ruleset(str(RULESETS / "salesforce_b2b_saas.yaml")).columns.values()]
    path = tmp_path / "leads.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def test_salesforce_lead_status_values_count_as_stages(tmp_path, monkeypatch):
    # The Salesforce ruleset maps Lead Status as the lifecycle stage, but only HubSpot values were known:
    # "Closed - Converted" (and "Qualified") counted as plain leads.
    from tests.conftest import RULESETS
    monkeypatch.chdir(tmp_path)
    contacts = _salesforce_leads(tmp_path, [
        {"Lead ID": "1", "Lead Status": "Closed - Converted", "Create Date": "3/2/2026 9:15 AM"},
        {"Lead ID": "2", "Lead Status": "Qualified", "Create Date": "3/2/2026 9:15 AM"},
        {"Lead ID": "3", "Lead Status": "Open - Not Contacted", "Create Date": "3/12/2026 9:15 AM"},
    ])
    data = json.loads(run_cli(["funnel", contacts, "-r", str(RULESETS / "salesforce_b2b_saas.yaml"),
                               "--as-of", "2026-07-01", "--json", "-", "-q"]).stdout)
    assert {s["stage"]: s["reached"] for s in data["stages"]} == \
        {"lead": 3, "mql": 2, "sql": 2, "opportunity": 1, "won": 0}
    assert [c["month"] for c in data["cohorts"]] == ["2026-03"]


def test_accounts_alone_scores_on_the_fly_as_activities_do(tmp_path, monkeypatch):
    # `--accounts` without `--activities` or `--score` was silently ignored: the contacts were not scored,
    # so the accounts were never read, a missing file included.
    monkeypatch.chdir(tmp_path)
    result = run_cli(["funnel", CONTACTS, "-r", RULESET, "--as-of", "2026-07-01", "--accounts",
                      str(tmp_path / "missing.csv")], exit_code=3)
    assert result.stderr == f"leadq: error: no such file: {tmp_path / 'missing.csv'}\n"


@pytest.mark.parametrize("tz", ["UTC", NEW_YORK])
def test_a_date_without_a_time_on_the_day_of_the_stage_before_is_in_order(tmp_path, tz):
    # Salesforce's Converted Date (and many custom stage fields) is a date with no time; read as that day's
    # midnight, a lead created at 9:15 and converted the same day had its conversion "dated before" the
    # creation: counted out of order and left out of the times between stages.
    contacts = tmp_path / "c.csv"
    contacts.write_text("id,created,mql,sql,opp,won,lost,touch,stage,source,employees,updated\n"
                        "1,2026-03-02 09:15,2026-03-02,2026-03-04 10:00,2026-03-04,,,,,web,50,\n"
                        "2,2026-03-02 09:15,2026-03-01,,,,,,,web,50,\n")
    data = funnel_of(zoned_ruleset(tmp_path, tz), str(contacts), AS_OF)
    assert data["out_of_order"] == {"leads": 1, "by_stage": {"mql": 1, "sql": 0, "opportunity": 0, "won": 0,
                                                             "lost": 0}}
    durations = by_key(data["durations"])
    assert (durations["lead_to_mql"]["leads"], durations["lead_to_mql"]["median_days"],
            durations["lead_to_mql"]["out_of_order"]) == (1, 0.0, 1)
    assert (durations["sql_to_opportunity"]["leads"], durations["sql_to_opportunity"]["median_days"]) == (1, 0.0)


def test_speed_to_lead_is_not_available_when_mql_dates_have_no_time(tmp_path):
    # A date-only MQL field (a Salesforce Date field) reads as midnight: a lead touched at 10:00 the day it
    # became an MQL counted 10 hours and missed an 8-hour SLA, on every lead.
    contacts = tmp_path / "c.csv"
    contacts.write_text("id,created,mql,sql,opp,won,lost,touch,stage,source,employees,updated\n"
                        "1,2026-03-02 09:15,2026-03-02,,,,,2026-03-02 10:00,,web,50,\n"
                        "2,2026-03-05 11:00,2026-03-06,,,,,2026-03-06 09:30,,web,50,\n")
    speed = funnel_of(zoned_ruleset(tmp_path), str(contacts), AS_OF)["speed_to_lead"]
    assert speed["unavailable"] == ("the MQL dates ('mql') have no time of day, so the hours to the first touch "
                                    "cannot be measured; export the MQL date with its time")
    assert (speed["mqls"], speed["touched"], speed["within_sla"], speed["by_tier"]) == (2, None, None, [])
    contacts.write_text(contacts.read_text().replace("2026-03-06,", "2026-03-06 08:00,"))
    speed = funnel_of(zoned_ruleset(tmp_path), str(contacts), AS_OF)["speed_to_lead"]
    assert (speed["unavailable"], speed["touched"]) == (None, 2)



def _no_disqualifiers(tmp_path):
    text = (HERE / "ruleset.yaml").read_text()
    start, end = text.index("disqualifiers:"), text.index("tiers:")
    path = tmp_path / "no_dq.yaml"
    path.write_text(text[:start] + text[end:])
    return path


def _drawn_knowing(data: dict, disqualifiers: bool) -> list[str]:
    import io

    from rich.console import Console

    from leadq.funnel_report import funnel_report

    out = io.StringIO()
    Console(file=out, width=100, no_color=True, highlight=False).print(
        funnel_report(data, 100, disqualifiers=disqualifiers))
    return [line.rstrip() for line in out.getvalue().splitlines()]


def test_a_ruleset_without_disqualifiers_draws_no_disqualification_table(tmp_path):
    # It drew the table's header alone, then "leads with a reason 0 (0.0%): bad_fit 0 (0.0%); ...".
    ruleset = _no_disqualifiers(tmp_path)
    out = tmp_path / "funnel.json"
    result = run_cli(["funnel", CONTACTS, "-r", ruleset, "--as-of", "2026-07-01", "--score", "--json", str(out)])
    assert "Disqualification reasons" not in result.stdout and "leads with a reason" not in result.stdout
    assert "leads with a reason" not in result.stderr
    dq = json.loads(out.read_text())["disqualification"]  # the JSON keeps its keys
    assert (dq["leads_with_reasons"], dq["share"], dq["reasons"]) == (0, 0.0, [])
    assert [(c["category"], c["leads"]) for c in dq["categories"]] == [("bad_fit", 0), ("bad_timing", 0)]
    data = report(load_ruleset(str(ruleset)), score=True)
    assert not any("Disqualification" in line or "leads with a reason" in line
                   for line in _drawn_knowing(data, False))


def _met_by_none(data: dict) -> dict:
    """The report of disqualifiers that no lead met."""
    dq = data["disqualification"]
    dq.update(leads_with_reasons=0, share=0.0, reasons=[],
              categories=[dict(c, leads=0, share=0.0) for c in dq["categories"]])
    return data


def test_disqualifiers_no_lead_met_keep_their_table_when_the_report_knows_of_them(rs):
    data = _met_by_none(report(rs, score=True))
    lines = _drawn_knowing(data, True)
    at = lines.index("Disqualification reasons")
    assert lines[at + 1].split() == ["reason", "category", "leads", "share"]
    assert lines[at + 3:] == ["leads with a reason 0 (0.0%): bad_fit 0 (0.0%); bad_timing 0 (0.0%)"]
    # Not told whether the ruleset has any: a table with no row is left out.
    assert not any("Disqualification" in line or "leads with a reason" in line for line in _drawn(data, 100))


def test_reasons_are_drawn_even_from_a_ruleset_without_disqualifiers(rs):
    # A scored export's reasons column (scored by another ruleset) still has reasons to show.
    lines = _drawn_knowing(report(rs, score=True), False)
    at = lines.index("Disqualification reasons")
    assert lines[at + 3:] == ["Not now     bad_timing       1   11.1%", "Too small   bad_fit          1   11.1%",
                              "leads with a reason 2 (22.2%): bad_fit 1 (11.1%); bad_timing 1 (11.1%)"]
