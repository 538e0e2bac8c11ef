"""Routing, round-robin owners, SLA due times and nurture tracks (tests/fixtures/routing/ruleset.yaml).

Every expected value is worked out by hand in the comments. As of 2026-11-01T00:00Z.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timezone

import polars as pl
import pytest

from leadq.errors import RulesetError, UsageError
from leadq.pipeline import score_frames
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, FIXTURES, RULESETS, SAMPLE, run_cli

RULESET = FIXTURES / "routing" / "ruleset.yaml"
COLUMNS = ["id", "title", "employees", "country", "source", "status"]
CONTACTS = [
    # id      title                 employees country          source       status
    ("L01", "Marketing Manager", "500", "Germany", "WEB", None),        # hand-raiser, EMEA mid-market
    ("L02", "VP Marketing", "300", "germany ", "WEB", None),            # same (country case/space ignored)
    ("L03", "Director of Sales", "250", "France", "WEB", None),         # same
    ("L04", "CMO", "2000", "United States", "WEB", None),               # hand-raiser, enterprise
    ("L05", "Marketing Manager", "300", "United States", "PARTNER", None),  # MQL via a partner
    ("L06", "Software Engineer", "300", "Canada", "WEB", None),         # MQL; 3 docs views -> SE flag
    ("L07", "Product Manager", "250", "United States", "WEB", None),    # MQL
    ("L08", "Marketing Director", "400", "Japan", "WEB", None),         # MQL, no territory
    ("L09", "Marketing Specialist", "50", "United States", "WEB", "BAD_TIMING"),  # nurture: not now
    ("L10", "Astronaut", "50", "United States", "WEB", None),           # nurture (otherwise), unmatched title
    ("L11", "CEO", "300", "United States", "OLD_LIST", None),           # nurture, grade A
    ("L12", "Owner", "3", "United States", "WEB", None),                # disqualified: tiny
]
EVENTS = [
    ("L01", "demo_request", "2026-10-31T23:30:00Z"),
    ("L01", "demo_request", "2026-11-01T00:15:00Z"),       # after the as-of time: ignored
    ("L02", "demo_request", "2026-10-31T18:15:00-05:00"),  # = 2026-10-31T23:15Z
    ("L03", "demo_request", "2026-10-31 19:45"),           # no zone: New York, EDT (UTC-4) = 2026-10-31T23:45Z
    ("L03", "demo_request", "2026-10-20 09:00"),           # older; the latest one starts the clock
    ("L04", "demo_request", "2026-10-30T12:00:00Z"),
    ("L06", "docs_view", "2026-10-01T00:00:00Z"),
    ("L06", "docs_view", "2026-10-02T00:00:00Z"),
    ("L06", "docs_view", "2026-10-03T00:00:00Z"),
    ("L07", "docs_view", "2026-10-03T00:00:00Z"),
]


def _contacts(rows=CONTACTS) -> pl.LazyFrame:
    return pl.LazyFrame([dict(zip(COLUMNS, r)) for r in rows], schema={c: pl.String for c in COLUMNS})


def _events(rows=EVENTS) -> pl.LazyFrame:
    return pl.LazyFrame([dict(zip(["id", "type", "at"], r)) for r in rows],
                        schema={"id": pl.String, "type": pl.String, "at": pl.String})


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset(str(RULESET))


@pytest.fixture(scope="module")
def scored(ruleset):
    return score_frames(ruleset, _contacts(), _events(), as_of=AS_OF).scored


def _by_id(frame: pl.DataFrame) -> dict[str, dict]:
    return {r["lead_id"]: r for r in frame.to_dicts()}


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_output_columns_follow_the_scoring_columns(scored):
    assert scored.columns[-7:] == ["route", "owner", "route_flags", "sla_due_at", "next_step",
                                   "nurture_track", "recheck_at"]
    assert scored.schema["sla_due_at"] == pl.Datetime("us", "UTC")
    assert scored.schema["recheck_at"] == pl.Datetime("us", "UTC")


def test_tiers_routes_and_owners(scored):
    got = {k: (v["tier"], v["route"], v["owner"]) for k, v in _by_id(scored).items()}
    assert got == {
        # Rule 1 wins over rule 4 (both match): first match. Owners by lead id within the route:
        # L01 -> anna (0), L02 -> ben (1), L03 -> chloe (2).
        "L01": ("hand_raiser", "emea_mm_sdr", "anna"),
        "L02": ("hand_raiser", "emea_mm_sdr", "ben"),
        "L03": ("hand_raiser", "emea_mm_sdr", "chloe"),
        "L04": ("hand_raiser", "enterprise_ae", "erin"),
        # Rule 3 before rule 4; partner_desk has no owners.
        "L05": ("mql", "partner_desk", None),
        # inbound_sdr: L06 -> sam (0), L07 -> tina (1), L08 -> sam (2 mod 2 = 0).
        "L06": ("mql", "inbound_sdr", "sam"),
        "L07": ("mql", "inbound_sdr", "tina"),
        "L08": ("mql", "inbound_sdr", "sam"),
        "L09": ("nurture", "nurture", None),
        "L10": ("nurture", "nurture", None),
        "L11": ("nurture", "nurture", None),
        # No rule for disqualified leads: unrouted.
        "L12": ("disqualified", None, None),
    }


def test_flags_are_not_exclusive_of_the_route(scored):
    flags = {k: v["route_flags"] for k, v in _by_id(scored).items()}
    assert flags["L06"] == ["solutions_engineer"]  # 3 docs views
    assert flags["L07"] == []  # 1 docs view
    assert sum(len(f) for f in flags.values()) == 1


def test_sla_due_times_across_days_and_time_zones(scored):
    rows = _by_id(scored)
    expected = {
        # The clock starts at the latest demo request (UTC) and runs one hour.
        "L01": (_utc(2026, 11, 1, 0, 30), "call_within_hour"),   # 23:30Z on Oct 31 + 1 h: the next day
        "L02": (_utc(2026, 11, 1, 0, 15), "call_within_hour"),   # 18:15-05:00 = 23:15Z, + 1 h
        "L03": (_utc(2026, 11, 1, 0, 45), "call_within_hour"),   # 19:45 New York (EDT) = 23:45Z, + 1 h
        # Tier SLA (demo + 1 h = Oct 30 13:00Z) beats the route SLA (as-of + 4 h): the earlier wins.
        "L04": (_utc(2026, 10, 30, 13, 0), "call_within_hour"),
        # MQL: no 'from', so the clock starts at the as-of time: + 24 h.
        "L05": (_utc(2026, 11, 2, 0, 0), "sdr_sequence"),
        "L06": (_utc(2026, 11, 2, 0, 0), "sdr_sequence"),
        "L07": (_utc(2026, 11, 2, 0, 0), "sdr_sequence"),
        "L08": (_utc(2026, 11, 2, 0, 0), "sdr_sequence"),
    }
    for lead, row in rows.items():
        due, step = expected.get(lead, (None, None))
        assert (row["sla_due_at"], row["next_step"]) == (due, step), lead


def test_route_sla_applies_when_it_is_earlier(tmp_path):
    """enterprise_ae (4 h from as-of) wins when the tier SLA would be later (48 h)."""
    text = RULESET.read_text().replace("hand_raiser: {hours: 1, procedure: call_within_hour, from: [demo_request]}",
                                       "hand_raiser: {hours: 48, procedure: call_within_two_days}")
    path = tmp_path / "r.yaml"
    path.write_text(text)
    rows = _by_id(score_frames(load_ruleset(str(path)), _contacts(), _events(), as_of=AS_OF).scored)
    assert (rows["L04"]["sla_due_at"], rows["L04"]["next_step"]) == (_utc(2026, 11, 1, 4), "ae_call")
    assert (rows["L01"]["sla_due_at"], rows["L01"]["next_step"]) == (_utc(2026, 11, 3), "call_within_two_days")


def test_sla_clock_at_a_non_midnight_as_of_crosses_the_day(ruleset):
    """As of 2026-11-01T23:30Z, an MQL is due 2026-11-02T23:30Z; hand-raisers keep their event clock."""
    as_of = _utc(2026, 11, 1, 23, 30)
    rows = _by_id(score_frames(ruleset, _contacts(), _events(), as_of=as_of).scored)
    assert rows["L05"]["sla_due_at"] == _utc(2026, 11, 2, 23, 30)
    # L01's second request (2026-11-01T00:15Z) now counts: it is the latest, due 01:15Z.
    assert rows["L01"]["sla_due_at"] == _utc(2026, 11, 1, 1, 15)
    assert rows["L02"]["sla_due_at"] == _utc(2026, 11, 1, 0, 15)


def test_nurture_tracks_and_recheck_dates(scored):
    got = {k: (v["nurture_track"], v["recheck_at"]) for k, v in _by_id(scored).items() if v["tier"] == "nurture"}
    assert got == {
        "L09": ("re_nurture_6_months", _utc(2027, 4, 30)),  # Nov 1 + 180 days
        "L10": ("early_research", _utc(2026, 12, 31)),      # + 60 days (grade B)
        "L11": ("fit_not_ready", _utc(2026, 12, 1)),        # + 30 days (grade A, old list)
    }
    others = scored.filter(pl.col("tier") != "nurture")
    assert others["nurture_track"].null_count() == others.height
    assert others["recheck_at"].null_count() == others.height


def test_round_robin_is_deterministic_and_independent_of_row_order(ruleset, scored):
    again = score_frames(ruleset, _contacts(), _events(), as_of=AS_OF).scored
    assert again.equals(scored)
    expected = {k: v["owner"] for k, v in _by_id(scored).items()}
    rng = random.Random(11)
    for _ in range(5):
        rows, events = list(CONTACTS), list(EVENTS)
        rng.shuffle(rows)
        rng.shuffle(events)
        shuffled = score_frames(ruleset, _contacts(rows), _events(events), as_of=AS_OF).scored
        assert shuffled["lead_id"].to_list() == [r[0] for r in rows], "output keeps input order"
        assert {k: v["owner"] for k, v in _by_id(shuffled).items()} == expected


def test_round_robin_balances_a_route(ruleset):
    """30 MQLs in inbound_sdr split 15/15 between its two owners."""
    rows = [(f"M{i:02d}", "Manager", "300", "United States", "WEB", None) for i in range(30)]
    scored = score_frames(ruleset, _contacts(rows), None, as_of=AS_OF).scored
    counts = dict(scored.group_by("owner").len().iter_rows())
    assert counts == {"sam": 15, "tina": 15}


def test_owner_cycle_spreads_each_share_over_the_cycle():
    from leadq.owners import owner_cycle

    assert owner_cycle(("a", "b", "c"), (1, 1, 1)) == ["a", "b", "c"]
    # Turn keys (2 * turn + 1) / (2 * share): a 1/6, 1/2, 5/6; b 1/2; c none. Ties in listed order.
    assert owner_cycle(("a", "b", "c"), (3, 1, 0)) == ["a", "a", "b", "a"]
    # a 1/4, 3/4; b 1/2 -> a, b, a.
    assert owner_cycle(("a", "b"), (2, 1)) == ["a", "b", "a"]
    assert owner_cycle(("a", "b"), (0, 0)) == []


def test_owner_shares_split_a_route_in_proportion(tmp_path):
    """30 MQLs in inbound_sdr with {sam: 2, tina: 1}: sam 20, tina 10, in the order sam, tina, sam."""
    path = _write(tmp_path, "      owners: [sam, tina]", "      owners: {sam: 2, tina: 1}")
    rows = [(f"M{i:02d}", "Manager", "300", "United States", "WEB", None) for i in range(30)]
    scored = score_frames(load_ruleset(path), _contacts(rows), None, as_of=AS_OF).scored.sort("lead_id")
    assert scored["owner"].to_list()[:6] == ["sam", "tina", "sam", "sam", "tina", "sam"]
    assert dict(scored.group_by("owner").len().iter_rows()) == {"sam": 20, "tina": 10}


def test_owners_away_get_no_new_leads(ruleset):
    from leadq.routing import with_owners_away

    rows = [(f"M{i:02d}", "Manager", "300", "United States", "WEB", None) for i in range(30)]
    scored = score_frames(with_owners_away(ruleset, ["tina"]), _contacts(rows), None, as_of=AS_OF).scored
    assert dict(scored.group_by("owner").len().iter_rows()) == {"sam": 30}
    # Every owner of the route away: its leads stay in the route, without an owner.
    scored = score_frames(with_owners_away(ruleset, ["sam", "tina"]), _contacts(rows), None, as_of=AS_OF).scored
    assert scored["route"].unique().to_list() == ["inbound_sdr"] and scored["owner"].null_count() == 30
    assert with_owners_away(ruleset, []) is ruleset


def test_an_owner_away_must_be_on_a_route(ruleset):
    from leadq.routing import with_owners_away

    with pytest.raises(UsageError, match=r"--away: no route has an owner 'tine'; did you mean 'tina'\?; "
                                         r"the owners are: anna, ben, chloe, erin, sam, tina"):
        with_owners_away(ruleset, ["sam", "tine"])


def test_an_owner_away_without_routing_or_owners_says_why(tmp_path):
    """worked_example.yaml routes no lead; a ruleset whose routes have no owners names none."""
    from leadq.routing import with_owners_away

    with pytest.raises(UsageError) as err:
        with_owners_away(load_ruleset(str(RULESETS / "worked_example.yaml")), ["sam"])
    assert str(err.value) == ("--away: no route has an owner 'sam'; the ruleset 'Worked example (Marketing Director "
                              "ICP)' has no 'routing' section, so no lead gets an owner")
    text = RULESET.read_text()
    for line in ("      owners: [anna, ben, chloe]\n", "      owners: [erin]\n", "      owners: [sam, tina]\n"):
        text = text.replace(line, "")
    path = tmp_path / "no_owners.yaml"
    path.write_text(text)
    with pytest.raises(UsageError) as err:
        with_owners_away(load_ruleset(str(path)), ["sam"])
    assert str(err.value) == ("--away: no route has an owner 'sam'; the ruleset's routes have no owners "
                              "(give a route 'owners: [...]')")


def test_cli_away_option(tmp_path):
    summary = tmp_path / "s.json"
    args = ["score", SAMPLE / "contacts.csv", "-a", str(SAMPLE / "events" / "*.csv"), "--as-of", "2026-11-01",
            "-o", tmp_path / "scored.parquet", "--summary-json", summary, "-q"]
    run_cli(args + ["--away", "mei.lin,sam.okafor", "--away", "jordan.wells"])
    df = pl.read_parquet(tmp_path / "scored.parquet")
    owners = dict(df.filter(pl.col("route") == "apac_sdr").group_by("owner").len().iter_rows())
    assert set(owners) == {"dev.patel"}
    amer = set(df.filter(pl.col("route") == "amer_sdr")["owner"].unique())
    assert amer == {"alex.rivera", "casey.morgan"}
    doc = json.loads(summary.read_text())["routing"]
    assert doc["owners"]["apac_sdr"] == {"dev.patel": owners["dev.patel"], "mei.lin": 0}
    assert doc["away"] == ["jordan.wells", "mei.lin", "sam.okafor"]
    result = run_cli(args + ["--away", "mei.lim"], exit_code=2)
    assert "leadq: error: --away: no route has an owner 'mei.lim'; did you mean 'mei.lin'?" in result.stderr


def test_unmatched_titles_are_counted(ruleset):
    result = score_frames(ruleset, _contacts(), _events(), as_of=AS_OF)
    # "Astronaut" is the one non-blank title with no seniority pattern.
    assert result.stats.unmatched_titles == 1


def test_ruleset_without_routing_adds_no_columns():
    columns = ["Lead ID", "Email", "Title", "Company", "Employees", "Industry", "Country"]
    result = score_frames(load_ruleset(str(RULESETS / "worked_example.yaml")),
                          pl.LazyFrame({c: ["a"] for c in columns}), None, as_of=AS_OF)
    assert not {"route", "owner", "sla_due_at", "account_tier"} & set(result.scored.columns)


def test_default_ruleset_routes_the_sample(tmp_path):
    """The embedded default routes every non-disqualified sample lead and summarises the routes."""
    out = tmp_path / "scored.parquet"
    summary = tmp_path / "s.json"
    run_cli(["score", SAMPLE / "contacts.csv", "-a", str(SAMPLE / "events" / "*.csv"), "--accounts",
             SAMPLE / "accounts.csv", "--as-of", "2026-11-01", "-o", out, "--summary-json", summary, "-q"])
    df = pl.read_parquet(out)
    doc = json.loads(summary.read_text())
    routing = doc["routing"]
    assert sum(routing["routes"].values()) + routing["unrouted"] == df.height
    assert routing["unrouted"] == df.filter(pl.col("tier") == "disqualified").height
    # Every route of the ruleset, 0 included: a monitoring step's keys stay put from day to day.
    routed = dict(df.drop_nulls("route").group_by("route").len().iter_rows())
    assert {k: v for k, v in routing["routes"].items() if v} == routed
    assert routing["routes"]["enterprise_ae"] == 0
    assert doc["unmatched_titles"] == 0
    # Owners only in queues that have them; every SDR lead has one.
    sdr = df.filter(pl.col("route").str.ends_with("_sdr"))
    assert sdr["owner"].null_count() == 0
    assert df.filter(pl.col("route") == "marketing_nurture")["owner"].null_count() == routing["routes"]["marketing_nurture"]
    assert routing["sla_due"] == df["sla_due_at"].is_not_null().sum()


# --------------------------------------------------------------------------- ruleset errors


def _write(tmp_path, old: str, new: str) -> str:
    text = RULESET.read_text()
    assert old in text
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new))
    return str(path)


@pytest.mark.parametrize("old,new,message", [
    ("  mql: {hours: 24, procedure: sdr_sequence}", "  mqll: {hours: 24, procedure: sdr_sequence}",
     ":92:3: sla: 'mqll' is neither a tier nor a route; did you mean 'mql'?"),
    ("  mql: {hours: 24, procedure: sdr_sequence}", "  mql: {hours: 0, procedure: sdr_sequence}",
     ":92:16: sla.mql: 'hours' must be greater than 0, got 0"),
    ("from: [demo_request]", "from: [docs_x]", ":91:62: sla.hand_raiser.from: 'docs_x' is not an event rule"),
    ("      when: count(docs) >= 3", "      when: count(doc) >= 3", ":88:19: routing flag 'solutions_engineer': "
     "count(): unknown rule 'doc'; did you mean 'docs'?"),
    ('    - when: tier = "nurture"\n      route: nurture', '    - when: teir = "nurture"\n      route: nurture',
     ":83:13: routing rule (route 'nurture'): unknown field 'teir'"),
    # It said "unknown field 'account_tier'; did you mean 'account_id'?".
    ('    - when: tier = "nurture"\n      route: nurture', '    - when: account_tier = "a"\n      route: nurture',
     ":83:13: routing rule (route 'nurture'): 'account_tier' is given by the ruleset's accounts: section, which "
     "this ruleset does not have; add one to tier accounts"),
    ("      owners: [sam, tina]", "      owners: [sam, sam]", "routing rule 4 (route 'inbound_sdr'): an owner is listed twice"),
    ("      owners: [sam, tina]", "      owners: {sam: 2, tina: 1.5}", ":82:30: routing rule 4 (route 'inbound_sdr'): "
     "owners: tina's share must be a whole number from 0 to 100 (its part of the route's new leads, e.g. {tina: 2}), "
     "not 1.5"),
    ("      owners: [sam, tina]", "      owners: {sam: 0, tina: 0}", ":82:15: routing rule 4 (route 'inbound_sdr'): "
     "owners: every share is 0, so no owner would get a lead"),
    ("      owners: [sam, tina]", "      owners: {sam: 2, tina: }", ":82:30: routing rule 4 (route 'inbound_sdr'): "
     "owners: tina's share must be a whole number from 0 to 100 (its part of the route's new leads, e.g. {tina: 2}), "
     "not blank"),
    ("      owners: [sam, tina]", "      owners: [sam, {tina: 2}]", ":82:15: routing rule 4 (route 'inbound_sdr'): "
     "owners: give shares as one mapping, {sam: 2, tina: 1}, not as items of a list"),
    ("    emea: [Germany, France]", "    emea: [Germany, France, Canada]",
     "routing.territories.amer: 'Canada' is already in territory 'emea'"),
    ("    smb: otherwise", "    smb: otherwise\n    micro: company_size < 10",
     "routing.segments.smb: 'otherwise' must come last"),
    ("      recheck_days: 180", "      recheck_days: soon", ":99:21: nurture track 're_nurture_6_months': "
     "'recheck_days' must be a number"),
    # A century at most: 1e9 days overflowed Python's timedelta (exit 70), 1e9 hours printed the year 116106.
    ("      recheck_days: 180", "      recheck_days: 1000000000", ":99:21: nurture track 're_nurture_6_months': "
     "'recheck_days' must be at most 36,525 days (100 years), got 1e+09"),
    ("      recheck_days: 180", "      recheck_days: 36526", ":99:21: nurture track 're_nurture_6_months': "
     "'recheck_days' must be at most 36,525 days (100 years), got 36526"),
    ("  mql: {hours: 24, procedure: sdr_sequence}", "  mql: {hours: 1000000000, procedure: sdr_sequence}",
     ":92:16: sla.mql: 'hours' must be at most 876,600 hours (100 years), got 1e+09"),
])
def test_ruleset_errors_have_positions(tmp_path, old, new, message):
    path = _write(tmp_path, old, new)
    with pytest.raises(RulesetError) as err:
        load_ruleset(path)
    assert message in str(err.value)
    assert str(err.value).startswith(path)


def test_same_route_with_different_owners_is_an_error(tmp_path):
    path = _write(tmp_path, "      route: partner_desk", "      route: inbound_sdr\n      owners: [kim]")
    with pytest.raises(RulesetError, match=r"route 'inbound_sdr' already has owners \['kim'\] \(line 78\)"):
        load_ruleset(path)


def test_titles_section_is_validated_at_load(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(RULESET.read_text() + "\ntitles:\n  seniority:\n    vp: ['(?=vp)']\n")
    with pytest.raises(RulesetError) as err:
        load_ruleset(str(path))
    assert "titles.seniority.vp: pattern '(?=vp)' uses look-around" in str(err.value)
    assert ":109:9:" in str(err.value)  # the list of patterns under 'vp'


def test_titles_section_replaces_a_levels_default_patterns(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(RULESET.read_text() + "\ntitles:\n  seniority:\n    ic: ['\\bastronaut\\b']\n")
    result = score_frames(load_ruleset(str(path)), _contacts(), _events(), as_of=AS_OF)
    # A level given in the ruleset replaces that level's built-in patterns: "Astronaut" is now an IC,
    # but "Software Engineer" and "Marketing Specialist" (IC by the defaults) no longer match.
    assert result.stats.unmatched_titles == 2


def test_rollup_needs_an_accounts_section(ruleset):
    with pytest.raises(UsageError, match="has no 'accounts' section"):
        score_frames(ruleset, _contacts(), _events(), as_of=AS_OF, rollup="account")


def test_cli_rollup_errors(tmp_path):
    args = ["score", SAMPLE / "contacts.csv", "--as-of", "2026-11-01"]
    result = run_cli(args + ["-o", "-", "--rollup", "account"], exit_code=2)
    assert "--rollup account writes the accounts beside the leads file" in result.stderr
    result = run_cli(args + ["-o", tmp_path / "x.parquet", "--rollup", "contact"], exit_code=2)
    assert "--rollup: unknown rollup 'contact'; expected one of: account" in result.stderr
    result = run_cli(args + ["-o", tmp_path / "x.parquet", "--rollup", "account", "-r", RULESET], exit_code=2)
    assert "has no 'accounts' section" in result.stderr


def test_owner_turns_of_many_owners_at_the_largest_capacity():
    """100 owners of capacity 10,000: a million turns, o0 ... o99 over and over (equal keys (2t + 1) / 2 tie in
    the listed order); shares {a: 3, b: 1} with b capped at 1: a's keys 1/6, 3/6, then b's 1/2 (a tie, listed
    order), then a rotates alone. (As Python fractions the million turns took 4.5 seconds, three times a run;
    merged by Polars, well under one. No timing here: speed is the benchmarks' business.)"""
    from leadq.owners import capped_turns

    owners = tuple(f"o{i}" for i in range(100))
    first, then = capped_turns(owners, (1,) * 100, (10_000,) * 100)
    assert first == list(owners) * 10_000 and then == []
    assert capped_turns(("a", "b"), (3, 1), (None, 1)) == (["a", "a", "b"], ["a", "a", "a"])
