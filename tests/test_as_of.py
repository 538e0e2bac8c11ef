"""--as-of without a UTC offset is a time in the ruleset's settings.timezone; far-off as-of times are refused.

The New York ruleset extends b2b_saas with ``settings.timezone: America/New_York``. On 2026-11-01
New York is on EDT (UTC-04:00) until 02:00, so the date 2026-11-01 there is 04:00Z. The one event,
a demo request (30 points, half-life 14 days) at 2026-10-18T04:00Z, is then exactly 14 days old:
15.0 intent points. Read as UTC midnight it was 13 days 20 hours old: 30 * 0.5 ** (13.8333 / 14).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest

from conftest import run_cli
from leadq.conditions import as_of_date, as_of_limits, zoned_date
from leadq.ruleset_actions import MAX_RECHECK_DAYS, MAX_SLA_HOURS

CONTACTS = (
    "Record ID,Email,Job Title,Number of Employees,Industry,Country/Region,Lead Status,Technologies,"
    "Requested Demo,Create Date,Became a Sales Qualified Lead Date\n"
    "1,ann@acme.com,VP Marketing,500,Software,Canada,,,,2026-09-01,2026-10-20\n"
    # 23:00 in New York is 03:00Z on Nov 1: after UTC midnight, before New York's midnight-as-UTC (04:00Z)
    "2,bob@beta.io,Analyst,20,Retail,Canada,,,,2026-10-31 23:00,\n"
)
EVENTS = "Contact ID,Event Type,Timestamp,Page URL\n1,demo_request,2026-10-18T04:00:00Z,\n"
NY_MIDNIGHT = "2026-11-01T04:00:00Z"
# The demo request's points at UTC midnight: 13 days 20 hours old, as the CSV writes the float.
AT_UTC_MIDNIGHT = 30 * 0.5 ** ((14 - 4 / 24) / 14)
GAP = ("leadq: error: --as-of: '2026-03-08T02:30' does not exist in America/New_York: the clocks go from "
       "UTC-05:00 to UTC-04:00 then and skip it; give a time outside the skipped hour, or one with its UTC offset\n")


def _range_error(value: str) -> str:
    return (f"leadq: error: --as-of: {value!r} is out of range; give a time in the years 1900 to 9898 (a nurture "
            "recheck or an SLA due time may fall a hundred years after it)\n")


@pytest.fixture
def files(tmp_path):
    (tmp_path / "ny.yaml").write_text("version: 1\nextends: b2b_saas\nsettings: {timezone: America/New_York}\n")
    (tmp_path / "c.csv").write_text(CONTACTS)
    (tmp_path / "e.csv").write_text(EVENTS)
    return tmp_path


def _score(files, as_of: str, ruleset: str | None = "ny.yaml", exit_code: int = 0):
    """The scored rows (by lead id) and the --summary-json as_of of one run; the result when it fails."""
    rs = ["-r", files / ruleset] if ruleset else []
    summary = files / "summary.json"
    summary.unlink(missing_ok=True)
    result = run_cli(["score", files / "c.csv", "-a", files / "e.csv", *rs, "--as-of", as_of, "-o", files / "o.csv",
                      "--summary-json", summary, "-q"], exit_code=exit_code)
    if exit_code:
        return result
    rows = {r["lead_id"]: r for r in csv.DictReader(io.StringIO((files / "o.csv").read_text()))}
    return rows, json.loads(summary.read_text())["as_of"], (files / "o.csv").read_text()


def test_a_date_is_midnight_in_the_ruleset_time_zone(files):
    rows, as_of, text = _score(files, "2026-11-01")
    assert as_of == NY_MIDNIGHT
    assert (rows["1"]["intent_score"], rows["1"]["total_score"]) == ("15.0", "70.0")
    # 30 days after the as-of time (the early_research track), at the same instant
    assert (rows["2"]["nurture_track"], rows["2"]["recheck_at"]) == ("early_research", "2026-12-31T04:00:00+00:00")
    same_rows, same_as_of, same_text = _score(files, "2026-11-01T00:00:00-04:00")
    assert (same_as_of, same_text) == (NY_MIDNIGHT, text)


def test_an_offset_or_z_is_that_instant_whatever_the_time_zone(files):
    rows, as_of, _ = _score(files, "2026-11-01T00:00:00Z")
    assert as_of == "2026-11-01T00:00:00Z"
    assert float(rows["1"]["intent_score"]) == pytest.approx(AT_UTC_MIDNIGHT, abs=1e-9)
    assert rows["1"]["intent_score"] == "15.124288375"  # snapped to 9 decimals
    assert rows["2"]["recheck_at"] == "2026-12-31T00:00:00+00:00"
    assert _score(files, "2026-11-01T05:00:00+01:00")[1] == "2026-11-01T04:00:00Z"


def test_a_utc_ruleset_reads_as_before(files):
    rows, as_of, _ = _score(files, "2026-11-01", ruleset=None)  # the embedded b2b_saas: timezone UTC
    assert as_of == "2026-11-01T00:00:00Z"
    assert rows["1"]["intent_score"] == "15.124288375"  # snapped to 9 decimals


def test_a_time_without_offset_is_a_wall_time_there(files):
    # After the fall-back at 02:00 New York is on EST (UTC-05:00).
    assert _score(files, "2026-11-01T09:00:00")[1] == "2026-11-01T14:00:00Z"
    # 01:30 happens twice that night: the earlier, still on EDT
    assert _score(files, "2026-11-01T01:30:00")[1] == "2026-11-01T05:30:00Z"


def test_a_wall_time_the_clocks_skip_is_refused(files):
    result = _score(files, "2026-03-08T02:30", exit_code=2)
    assert result.stderr == GAP
    # the same time with its offset, or a date whose midnight exists, is read
    assert _score(files, "2026-03-08T02:30:00-05:00")[1] == "2026-03-08T07:30:00Z"
    assert _score(files, "2026-03-08")[1] == "2026-03-08T05:00:00Z"


def test_a_date_whose_midnight_is_skipped_starts_at_the_change():
    # Santiago moves its clocks from 00:00 to 01:00 on 2026-09-06: the day begins at 04:00Z (01:00 -03:00).
    assert as_of_date("2026-09-06", "America/Santiago").isoformat() == "2026-09-06T04:00:00+00:00"
    with pytest.raises(ValueError, match="does not exist in America/Santiago"):
        zoned_date("2026-09-06T00:30:00", "America/Santiago")


@pytest.mark.parametrize("value", ["9999-12-31", "9899-01-01", "1899-12-31T23:59:59", "0001-01-01",
                                   "9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+01:00"])
def test_an_as_of_outside_the_years_1900_to_9898_is_refused(files, value):
    assert _score(files, value, exit_code=2).stderr == _range_error(value)


def test_the_last_allowed_as_of_leaves_room_for_the_longest_delay(files):
    assert as_of_limits() == (1900, 9898)
    # The zone furthest west (UTC-12) ends the year last; the longest delay from there stays in 9999.
    latest = as_of_date("9898-12-31T23:59:59", "Etc/GMT+12")
    assert latest.isoformat() == "9899-01-01T11:59:59+00:00"
    longest = max(timedelta(days=MAX_RECHECK_DAYS), timedelta(hours=MAX_SLA_HOURS))
    assert (latest + longest).isoformat() == "9999-01-02T11:59:59+00:00"
    rows, as_of, _ = _score(files, "9898-12-31T23:59:59")
    assert as_of == "9899-01-01T04:59:59Z"
    assert rows["2"]["recheck_at"] == "9899-04-01T04:59:59+00:00"  # win_back, 90 days
    assert _score(files, "1900-01-01")[1] == "1900-01-01T05:00:00Z"


def test_funnel_reads_as_of_in_the_time_zone(files):
    def funnel(as_of: str) -> dict:
        out = run_cli(["funnel", files / "c.csv", "-r", files / "ny.yaml", "--as-of", as_of, "-q", "--json", "-"])
        return json.loads(out.stdout)

    local, utc = funnel("2026-11-01"), funnel("2026-11-01T00:00:00Z")
    assert (local["as_of"], utc["as_of"]) == (NY_MIDNIGHT, "2026-11-01T00:00:00Z")
    # lead 2, created 2026-11-01T03:00Z, existed at New York's midnight and not at UTC's
    assert (local["input"]["leads"], local["input"]["after_as_of"]) == (2, 0)
    assert (utc["input"]["leads"], utc["input"]["after_as_of"]) == (1, 1)
    result = run_cli(["funnel", files / "c.csv", "-r", files / "ny.yaml", "--as-of", "2026-03-08T02:30", "-q"],
                     exit_code=2)
    assert result.stderr == GAP
    result = run_cli(["funnel", files / "c.csv", "-r", files / "ny.yaml", "--as-of", "2026-10-31", "--from",
                      "2026-11-01", "-q"], exit_code=2)
    assert result.stderr.startswith("leadq: error: --from 2026-11-01 is after --as-of 2026-10-31T04:00:00Z: ")


def test_calibrate_reads_as_of_in_the_time_zone(files):
    def calibrate(as_of: str) -> dict:
        out = run_cli(["calibrate", files / "c.csv", "-r", files / "ny.yaml", "--outcome", "sql", "--as-of", as_of,
                       "-q", "--json", "-"])
        return json.loads(out.stdout)

    local, utc = calibrate("2026-11-01"), calibrate("2026-11-01T00:00:00Z")
    assert (local["as_of"], local["leads"]) == (NY_MIDNIGHT, 2)
    assert (utc["as_of"], utc["leads"]) == ("2026-11-01T00:00:00Z", 1)
    result = run_cli(["calibrate", files / "c.csv", "-r", files / "ny.yaml", "--outcome", "sql", "--as-of",
                      "9999-12-31", "-q"], exit_code=2)
    assert result.stderr == _range_error("9999-12-31")


def test_sql_gets_the_instant_in_utc(files):
    def sql(as_of: str) -> str:
        return run_cli(["sql", "--as-of", as_of]).stdout  # the embedded b2b_saas: timezone UTC

    midnight = sql("2026-11-01")
    epoch_us = int(datetime.fromisoformat("2026-11-01T00:00:00+00:00").timestamp()) * 1_000_000
    assert str(epoch_us) in midnight
    assert midnight == sql("2026-11-01T04:00:00+04:00")
    assert str(epoch_us + 4 * 3_600_000_000) in sql("2026-11-01T00:00:00-04:00")
    # The query reads timestamps as UTC: a ruleset in another time zone is refused whatever --as-of says.
    result = run_cli(["sql", "-r", files / "ny.yaml", "--as-of", "2026-11-01"], exit_code=2)
    assert "the ruleset's settings.timezone 'America/New_York' is supported by leadq's own engine only" \
        in result.stderr


def test_validate_reads_as_of_in_the_time_zone_also_from_stdin(files):
    args = ["-d", files / "c.csv", "--as-of", "2026-11-01", "--json"]
    from_file = json.loads(run_cli(["validate", files / "ny.yaml", *args]).stdout)
    assert from_file["outcomes"]["as_of"] == "2026-11-01T04:00:00+00:00"
    from_stdin = json.loads(run_cli(["validate", "-", *args], input=(files / "ny.yaml").read_text()).stdout)
    assert from_stdin["outcomes"]["as_of"] == "2026-11-01T04:00:00+00:00"
    assert from_stdin["outcomes"] == from_file["outcomes"]


def test_diff_of_rulesets_in_two_time_zones_wants_an_offset(files):
    base = ["diff", "b2b_saas", files / "ny.yaml", files / "c.csv", "-a", files / "e.csv", "-q", "--json", "-"]
    result = run_cli([*base, "--as-of", "2026-11-01"], exit_code=2)
    assert result.stderr == ("leadq: error: --as-of: '2026-11-01' has no UTC offset, and the rulesets' "
                             "settings.timezone differ (A: UTC, B: America/New_York); give it with its offset\n")
    report = json.loads(run_cli([*base, "--as-of", "2026-11-01T04:00:00Z"]).stdout)
    assert report["as_of"] == NY_MIDNIGHT
    same = ["diff", files / "ny.yaml", files / "ny.yaml", files / "c.csv", "-q", "--json", "-", "--as-of", "2026-11-01"]
    assert json.loads(run_cli(same).stdout)["as_of"] == NY_MIDNIGHT


def test_cases_file_as_of_is_read_in_the_time_zone(files):
    # The event's zone-less 'at' is New York time (04:00Z), 14 days before the file's as_of (New York's midnight):
    # read as UTC, the as_of would come before the event.
    (files / "cases.yaml").write_text(
        "as_of: 2026-11-01\n"
        "cases:\n"
        "  - name: demo two weeks ago\n"
        "    lead: {job_title: VP Marketing, company_size: 500, industry: Software, country: Canada}\n"
        "    events:\n"
        "      - {type: demo_request, at: '2026-10-18T00:00:00'}\n"
        "    expect: {intent: 15, total: 70}\n")
    out = json.loads(run_cli(["test", files / "ny.yaml", files / "cases.yaml", "--json", "-", "-q"]).stdout)
    assert out["as_of"] == NY_MIDNIGHT
    assert [(c["passed"], c["intent"], c["total"]) for c in out["results"]] == [(True, 15.0, 70.0)]
    same = json.loads(run_cli(["test", files / "ny.yaml", files / "cases.yaml", "--as-of", "2026-11-01", "--json", "-",
                               "-q"]).stdout)
    assert same["as_of"] == NY_MIDNIGHT
    (files / "far.yaml").write_text((files / "cases.yaml").read_text().replace("2026-11-01", "9999-12-31"))
    result = run_cli(["test", files / "ny.yaml", files / "far.yaml", "-q"], exit_code=2)
    assert "as_of: '9999-12-31' is out of range; give a time in the years 1900 to 9898" in result.stderr


def test_help_no_longer_says_utc():
    text = run_cli(["score", "--help"]).stdout
    assert "settings.timezone" in " ".join(text.split())
