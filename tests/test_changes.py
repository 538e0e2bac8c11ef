"""Changes since a previous run (`leadq score --previous`, `--changes`): leadq/changes.py.

The scored leads are those of tests/test_routing.py (its fixture ruleset routes with owners);
the previous output is written by hand below, and every expected value is worked out from it.
"""

from __future__ import annotations

import json
import re

import polars as pl
import pytest

from leadq.changes import PreviousRun, compare_with_previous, only_changed, read_previous
from leadq.errors import InputError, UsageError
from tests.conftest import SAMPLE, SAMPLE_AS_OF, run_cli
from tests.test_routing import RULESET, _by_id  # noqa: F401  (the routing fixtures: scored leads L01-L12)

# Now (tests/test_routing.py): L01-L03 hand_raiser 50/50/80 on emea_mm_sdr [anna, ben, chloe]; L04
# hand_raiser 50 on enterprise_ae [erin]; L05 mql 20 on partner_desk (no owners); L06-L08 mql 26/22/20
# on inbound_sdr [sam, tina]; L09-L11 nurture 0/0/20 on nurture; L12 disqualified 0, unrouted.
PREVIOUS = [
    # lead   tier           total  route          owner
    ("L01", "hand_raiser", 50.0, "emea_mm_sdr", "chloe"),   # unchanged; keeps chloe
    ("L02", "hand_raiser", 50.0, "emea_mm_sdr", "zoe"),     # zoe left the route: a new owner, route changed
    # L03 was not scored before: new
    ("L04", "mql", 30.0, "inbound_sdr", "tina"),            # tier changed (+20), and its route
    ("L05", "mql", 20.0, "inbound_sdr", "sam"),             # same tier and score, route changed
    ("L06", "mql", 24.0, "inbound_sdr", "tina"),            # +2: score changed; keeps tina
    ("L07", "mql", 21.5, "inbound_sdr", "sam"),             # +0.5 < 1: unchanged; keeps sam
    ("L08", "mql", 20.0, "inbound_sdr", "tina"),            # unchanged; keeps tina
    ("L09", "nurture", 0.0, "nurture", None),
    ("L10", "nurture", 0.0, "nurture", None),
    ("L11", "nurture", 20.0, "nurture", None),
    ("L12", "disqualified", 0.0, None, None),               # unrouted then and now: unchanged
    ("L99", "mql", 35.0, "inbound_sdr", "sam"),             # not scored now: gone
]


def _previous(rows=PREVIOUS) -> PreviousRun:
    frame = pl.DataFrame(rows, schema=["lead_id", "tier", "total_score", "route", "owner"], orient="row")
    return PreviousRun(path="prev.parquet", frame=frame, as_of="2026-10-31T00:00:00Z")


@pytest.fixture(scope="module")
def routed():
    from tests.test_routing import _contacts, _events
    from leadq.pipeline import score_frames
    from leadq.ruleset_loader import load_ruleset
    from tests.conftest import AS_OF

    rs = load_ruleset(str(RULESET))
    return rs, score_frames(rs, _contacts(), _events(), as_of=AS_OF).scored


def test_each_lead_gets_its_previous_tier_score_change_and_change(routed):
    rs, scored = routed
    out, figures = compare_with_previous(scored, _previous(), rs)
    assert out.columns == scored.columns + ["previous_tier", "score_change", "change"]
    assert out["lead_id"].to_list() == scored["lead_id"].to_list()  # same leads, same order
    got = {r["lead_id"]: (r["previous_tier"], r["score_change"], r["change"]) for r in out.to_dicts()}
    assert got == {
        "L01": ("hand_raiser", 0.0, "unchanged"),
        "L02": ("hand_raiser", 0.0, "route_changed"),
        "L03": (None, None, "new"),
        "L04": ("mql", 20.0, "tier_changed"),
        "L05": ("mql", 0.0, "route_changed"),
        "L06": ("mql", 2.0, "score_changed"),
        "L07": ("mql", 0.5, "unchanged"),
        "L08": ("mql", 0.0, "unchanged"),
        "L09": ("nurture", 0.0, "unchanged"),
        "L10": ("nurture", 0.0, "unchanged"),
        "L11": ("nurture", 0.0, "unchanged"),
        "L12": ("disqualified", 0.0, "unchanged"),
    }
    assert figures == {
        "previous": "prev.parquet", "previous_as_of": "2026-10-31T00:00:00Z", "previous_leads": 12,
        "first_run": False, "previous_not_before": False, "warning": None, "min_score_change": 1.0,
        "new": 1, "tier_changed": 1, "route_changed": 2, "score_changed": 1, "unchanged": 7, "gone": 1,
        "transitions": [{"from": "mql", "to": "hand_raiser", "leads": 1}],
        "owners_kept": 4,
    }


def test_the_hand_off_holds_the_changed_leads_then_those_gone(routed):
    rs, scored = routed
    out, _ = compare_with_previous(scored, _previous(), rs)
    handoff = only_changed(out, _previous())
    assert handoff.columns == out.columns
    assert handoff.select("lead_id", "change").rows() == [
        ("L02", "route_changed"), ("L03", "new"), ("L04", "tier_changed"), ("L05", "route_changed"),
        ("L06", "score_changed"), ("L99", "gone")]
    gone = handoff.row(5, named=True)
    assert gone["previous_tier"] == "mql" and gone["tier"] is None and gone["total_score"] is None


def test_owners_stay_with_their_leads_and_the_others_share_the_route_round_robin(routed):
    rs, scored = routed
    out, _ = compare_with_previous(scored, _previous(), rs)
    owners = {r["lead_id"]: r["owner"] for r in out.to_dicts()}
    # Kept: L01 chloe (was anna without --previous), L06 tina, L07 sam, L08 tina (was sam).
    # emea_mm_sdr's other leads by lead id: L02 (zoe is no longer on the route) anna, L03 (new) ben.
    # L04 moved to enterprise_ae: erin. Routes without owners stay without.
    assert owners == {"L01": "chloe", "L02": "anna", "L03": "ben", "L04": "erin", "L05": None, "L06": "tina",
                      "L07": "sam", "L08": "tina", "L09": None, "L10": None, "L11": None, "L12": None}


def test_the_score_threshold_decides_what_counts_as_a_score_change(routed):
    rs, scored = routed
    out, figures = compare_with_previous(scored, _previous(), rs, min_score_change=0.25)
    assert _by_id(out)["L07"]["change"] == "score_changed"  # +0.5
    assert (figures["score_changed"], figures["unchanged"]) == (2, 6)
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(UsageError, match="--min-score-change: expected a number of points >= 0"):
            compare_with_previous(scored, _previous(), rs, min_score_change=bad)


def test_a_kept_column_named_like_a_change_column_is_refused(routed):
    rs, scored = routed
    with pytest.raises(UsageError, match="'change' has the name of a column --previous adds"):
        compare_with_previous(scored.with_columns(pl.lit("x").alias("change")), _previous(), rs)


def test_without_routing_columns_nothing_about_routes_or_owners(routed):
    rs, scored = routed
    previous = PreviousRun(path="p.csv", frame=_previous().frame.drop("route", "owner"))
    out, figures = compare_with_previous(scored.drop("route", "owner"), previous, rs)
    assert figures["owners_kept"] is None and figures["route_changed"] == 0
    assert _by_id(out)["L05"]["change"] == "unchanged"


# --------------------------------------------------------------------------- reading the previous output


def test_previous_outputs_read_in_each_format(tmp_path):
    frame = pl.DataFrame({"lead_id": ["007", "-12"], "tier": ["mql", "sql"], "total_score": [41.5, -3.0],
                          "explanation": ["a", "b"]})
    frame.write_parquet(tmp_path / "p.parquet", metadata={"leadq.as_of": "2026-10-31T00:00:00Z"})
    frame.write_ndjson(tmp_path / "p.ndjson")
    # As leadq writes CSV: a value starting with - (or = + @) is escaped with a quote.
    (tmp_path / "p.csv").write_text("lead_id,tier,total_score,explanation\n007,mql,41.5,a\n'-12,sql,-3.0,b\n")
    (tmp_path / "p.tsv").write_text("lead_id\ttier\ttotal_score\n007\tmql\t41.5\n'-12\tsql\t-3\n")
    # The same, re-saved by a spreadsheet in a European locale: a BOM and semicolons.
    (tmp_path / "resaved.csv").write_bytes("\ufefflead_id;tier;total_score\n007;mql;41.5\n'-12;sql;-3\n".encode())
    for name in ("p.parquet", "p.ndjson", "p.csv", "p.tsv", "resaved.csv"):
        prev = read_previous(str(tmp_path / name))
        assert prev.frame.to_dicts() == [{"lead_id": "007", "tier": "mql", "total_score": 41.5},
                                         {"lead_id": "-12", "tier": "sql", "total_score": -3.0}], name
    assert read_previous(str(tmp_path / "p.parquet")).as_of == "2026-10-31T00:00:00Z"
    # Through pandas and back: the ids are floats, and 1000001.0 is lead 1000001, as in the contacts.
    pl.DataFrame({"lead_id": [1000001.0, 7.5], "tier": ["mql", "sql"], "total_score": [1.0, 2.0]}).write_parquet(
        tmp_path / "floats.parquet")
    assert read_previous(str(tmp_path / "floats.parquet")).frame["lead_id"].to_list() == ["1000001", "7.5"]


@pytest.mark.parametrize("text, message", [
    ("id,tier,total_score\n1,mql,3\n", "no column 'lead_id'; give the output file of an earlier leadq score run"),
    ("lead_id,tier,total\n1,mql,3\n", "no column 'total_score'; did you mean 'total'?"),
    ("lead_id,tier,total_score\n1,mql,3\n2,sql,high\n", "row 2: total_score 'high' is not a number"),
    ("lead_id,tier,total_score\n1,mql,3\n,sql,4\n", "row 2: no lead_id"),
    ("lead_id,tier,total_score\n7,mql,3\n7,sql,4\n", "lead_id '7' appears 2 times; a scored output holds each lead once"),
])
def test_a_previous_output_that_is_not_one_is_an_input_error(tmp_path, text, message):
    path = tmp_path / "prev.csv"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_previous(str(path))
    assert err.value.message.startswith(f"--previous {path}: ") and message in err.value.message


def test_a_missing_or_unreadable_previous_output(tmp_path):
    with pytest.raises(InputError, match="no such file .*leave --previous out, or make --previous the --out file"):
        read_previous(str(tmp_path / "nope.parquet"))
    first = read_previous(str(tmp_path / "nope.parquet"), missing_ok=True)
    assert first.first_run and first.frame.height == 0
    (tmp_path / "x.parquet").write_text("not parquet")
    with pytest.raises(InputError, match=r"^--previous: .*x.parquet: parquet: .*check that it is a valid"):
        read_previous(str(tmp_path / "x.parquet"))
    with pytest.raises(InputError, match="is a directory"):
        read_previous(str(tmp_path))


def test_a_previous_ndjson_output_of_no_leads_is_read_back(tmp_path):
    # A run that scored no lead writes a zero-byte NDJSON file: the next run's --previous, with no lead.
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    out = tmp_path / "scored.ndjson"
    run_cli(["score", empty, "--as-of", SAMPLE_AS_OF, "-o", out, "-q"])
    assert out.read_bytes() == b""
    previous = read_previous(str(out))
    assert previous.frame.height == 0 and not previous.first_run
    contacts = tmp_path / "c5.csv"
    contacts.write_text("".join((SAMPLE / "contacts.csv").read_text().splitlines(keepends=True)[:6]))
    result = run_cli(["score", contacts, "--as-of", SAMPLE_AS_OF, "-o", out, "--previous", out])
    assert f"since {out} (0 leads): new 5;" in result.stdout


# --------------------------------------------------------------------------- the command line


def _score(tmp_path, as_of: str, *extra, exit_code: int = 0):
    return run_cli(["score", SAMPLE / "contacts.csv", "-a", str(SAMPLE / "events" / "*.csv"),
                    "--as-of", as_of, *extra], exit_code=exit_code)


def test_an_owner_away_keeps_their_leads_and_gets_no_new_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _score(tmp_path, "2026-10-01", "-o", "before.parquet", "-q")
    _score(tmp_path, SAMPLE_AS_OF, "-o", "after.parquet", "--previous", "before.parquet", "--away", "sam.okafor", "-q")
    before = pl.read_parquet("before.parquet").select("lead_id", pl.col("route").alias("r0"), pl.col("owner").alias("o0"))
    after = pl.read_parquet("after.parquet").join(before, on="lead_id", how="left")
    sams = after.filter(pl.col("owner") == "sam.okafor")
    # Sam keeps leads that stayed in amer_sdr with him, and gets none that were not his.
    assert sams.height > 0
    assert sams.filter((pl.col("o0") != "sam.okafor") | pl.col("o0").is_null()).height == 0
    amer_new = after.filter((pl.col("route") == "amer_sdr") & ((pl.col("r0") != "amer_sdr") | pl.col("r0").is_null()))
    assert amer_new.height > 0 and "sam.okafor" not in amer_new["owner"].to_list()


def test_a_scheduled_job_keeps_its_state_in_out_and_hands_on_the_changes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # short paths: the summary lines are checked whole
    state, delta = "scored.parquet", "delta.csv"
    args = ["-o", state, "--previous", state, "--changes", delta, "--summary-json", "s.json"]
    first = _score(tmp_path, "2026-10-25", *args)
    assert f"since {state}: no previous output yet (a first run): every lead is new" in first.stdout
    assert pl.read_csv(delta, infer_schema=False).height == pl.read_parquet(state).height == 2941
    before = pl.read_parquet(state)

    second = _score(tmp_path, SAMPLE_AS_OF, *args)
    now = pl.read_parquet(state)
    changed = pl.read_csv(delta, infer_schema=False)
    figures = json.loads((tmp_path / "s.json").read_text())["changes"]
    assert figures["previous_as_of"] == "2026-10-25T00:00:00Z" and figures["first_run"] is False
    assert figures["new"] == figures["gone"] == 0
    assert sum(figures[k] for k in ("tier_changed", "route_changed", "score_changed", "unchanged")) == 2941
    # The state holds every lead; the hand-off file only those that changed, with the same columns.
    assert now.height == 2941 and changed.height == 2941 - figures["unchanged"] + figures["gone"]
    assert set(changed["change"]) <= {"tier_changed", "route_changed", "score_changed"}
    assert changed.columns == now.columns
    # Worked out from the two states: the tier moves, and score changes of a point or more.
    joined = now.join(before.select("lead_id", pl.col("tier").alias("t0"), pl.col("total_score").alias("s0")),
                      on="lead_id")
    assert figures["tier_changed"] == joined.filter(pl.col("tier") != pl.col("t0")).height > 0
    assert (joined["total_score"] - joined["s0"]).round(9).to_list() == now["score_change"].to_list()
    moves = joined.filter(pl.col("tier") != pl.col("t0")).group_by("t0", "tier").len()
    assert {(m["from"], m["to"]): m["leads"] for m in figures["transitions"]} == \
        {(a, b): n for a, b, n in moves.iter_rows()}
    assert f"since {state} (as of 2026-10-25T00:00:00Z, 2,941 leads): new 0; tier changed " \
           f"{figures['tier_changed']:,}; " in second.stdout
    assert f"changes: {delta}" in second.stdout


def test_changes_to_stdout_in_a_pipeline(tmp_path):
    state = tmp_path / "scored.parquet"
    _score(tmp_path, "2026-10-25", "-o", state, "-q")
    result = _score(tmp_path, SAMPLE_AS_OF, "-o", tmp_path / "now.parquet", "--previous", state,
                    "--changes", "-", "-q")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("lead_id,fit_score,") and lines[0].endswith(",previous_tier,score_change,change")
    assert 1 < len(lines) < 2942


@pytest.mark.parametrize("args, code, message", [
    (["--changes", "d.csv"], 2, "--changes needs --previous (the output of an earlier run to compare with)"),
    (["--previous", "missing.parquet"], 3, "--previous missing.parquet: no such file"),
    (["--previous", "scored.parquet", "--changes", "scored.parquet"], 2,
     "--changes and --out are the same file (scored.parquet); give each output its own name"),
    (["--previous", "p.parquet", "--changes", "s.csv", "--summary-json", "s.csv"], 2,
     "--summary-json and --changes are the same file (s.csv)"),
    (["--previous", "p.parquet", "--rejects", "p.parquet"], 2,
     "p.parquet is both this run's --rejects and one of its --previous inputs"),
    (["--previous", "p.parquet", "--min-score-change", "-2"], 2, "--min-score-change: expected a number of points"),
    (["--previous", "p.parquet", "-k", "Email,change"], 2, "--keep-columns: 'change' has the name of a column"),
    (["--max-tier-changes", "10"], 2, "--max-tier-changes needs --previous"),
    (["--min-score-change", "2"], 2, "--min-score-change needs --previous"),  # it was ignored without a word
    (["--previous", "p.parquet", "--max-tier-changes", "150"], 2,
     "--max-tier-changes: expected a percentage from 0 to 100, got 150"),
])
def test_bad_change_options_exit_with_a_message_and_write_nothing(tmp_path, monkeypatch, args, code, message):
    monkeypatch.chdir(tmp_path)
    if "p.parquet" in args:
        pl.DataFrame({"lead_id": ["1"], "tier": ["mql"], "total_score": [1.0]}).write_parquet("p.parquet")
    result = _score(tmp_path, SAMPLE_AS_OF, "-o", "scored.parquet", *args, exit_code=code)
    assert message in result.stderr
    assert not (tmp_path / "scored.parquet").exists() and not (tmp_path / "d.csv").exists()


def test_leads_without_a_kept_owner_go_to_the_least_loaded_owners_first(routed):
    rs, scored = routed
    # inbound_sdr [sam, tina]: sam keeps L06 and L07, so the new L08 goes to tina (round-robin by
    # lead id would have given sam its third lead). emea_mm_sdr has no kept lead: anna, ben, chloe.
    previous = _previous([("L06", "mql", 26.0, "inbound_sdr", "sam"), ("L07", "mql", 22.0, "inbound_sdr", "sam")])
    out, figures = compare_with_previous(scored, previous, rs)
    owners = {r["lead_id"]: r["owner"] for r in out.to_dicts() if r["owner"]}
    assert owners == {"L01": "anna", "L02": "ben", "L03": "chloe", "L04": "erin", "L06": "sam", "L07": "sam",
                      "L08": "tina"}
    assert figures["owners_kept"] == 2


def test_balancing_fills_the_lowest_loads_then_takes_turns():
    from leadq.changes import _balanced_owners

    # Route r [a, b, c] keeps 3 leads for a and 1 for b; five leads need an owner, in lead-id order.
    # Lowest load first, ties in roster order: c (load 0 -> 1), b (1 -> 2), c (1 -> 2), b (2 -> 3),
    # c (2 -> 3). Everyone ends at 3; a sixth lead would go to a.
    frame = pl.DataFrame({
        "lead_id": ["k1", "k2", "k3", "k4", "n1", "n2", "n3", "n4", "n5"],
        "route": ["r"] * 9,
        "_keep": [True] * 4 + [False] * 5,
        "_prev_owner": ["a", "a", "a", "b", None, None, None, None, None],
    })
    got = _balanced_owners(frame, {"r": (("a", 1), ("b", 1), ("c", 1))}).sort("lead_id")
    assert got.rows() == [("n1", "c"), ("n2", "b"), ("n3", "c"), ("n4", "b"), ("n5", "c")]


def test_balancing_weighs_loads_by_share():
    from leadq.changes import _balanced_owners

    # a (share 2) keeps 2 leads, b (share 1) keeps 2, c (share 1) is away (share 0) and keeps 1.
    # Turn keys (2 * (kept + turn) + 1) / (2 * share): a 1.25, 1.75, 2.25...; b 2.5, 3.5...; c none.
    # So a, a, a, b, a for five new leads.
    frame = pl.DataFrame({
        "lead_id": ["k1", "k2", "k3", "k4", "k5", "n1", "n2", "n3", "n4", "n5"],
        "route": ["r"] * 10,
        "_keep": [True] * 5 + [False] * 5,
        "_prev_owner": ["a", "a", "b", "b", "c", None, None, None, None, None],
    })
    got = _balanced_owners(frame, {"r": (("a", 2), ("b", 1), ("c", 0))}).sort("lead_id")
    assert got.rows() == [("n1", "a"), ("n2", "a"), ("n3", "a"), ("n4", "b"), ("n5", "a")]
    # Every owner away: the new leads get none.
    got = _balanced_owners(frame, {"r": (("a", 0), ("b", 0), ("c", 0))})
    assert got["_fresh_owner"].null_count() == 5


@pytest.mark.parametrize("shares", [(1, 1, 1), (2, 1, 1), (3, 1, 2), (1, 0, 4), (5, 3, 0)])
def test_balancing_without_kept_leads_is_the_rotation(shares):
    from leadq.changes import _balanced_owners
    from leadq.owners import owner_cycle

    names = ("a", "b", "c")
    leads = [f"n{i:02d}" for i in range(23)]
    frame = pl.DataFrame({"lead_id": leads, "route": ["r"] * 23, "_keep": [False] * 23,
                          "_prev_owner": [None] * 23}, schema_overrides={"_prev_owner": pl.String})
    got = _balanced_owners(frame, {"r": tuple(zip(names, shares))}).sort("lead_id")["_fresh_owner"].to_list()
    cycle = owner_cycle(names, shares)
    assert got == [cycle[i % len(cycle)] for i in range(23)]


def test_a_broken_export_trips_the_guard_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _score(tmp_path, SAMPLE_AS_OF, "-o", "scored.parquet", "-q")
    before = (tmp_path / "scored.parquet").read_bytes()
    # The activity log did not arrive: every lead loses its intent points, many their tier.
    args = ["score", SAMPLE / "contacts.csv", "--as-of", SAMPLE_AS_OF, "-o", "scored.parquet",
            "--previous", "scored.parquet", "--changes", "handoff.csv", "--summary-json", "s.json"]
    result = run_cli(args + ["--max-tier-changes", "5"], exit_code=5)
    moved = re.search(r"--max-tier-changes 5: (\d+\.\d\d)% of the 2,941 leads of scored.parquet changed tier "
                      r"\(([\d,]+)\) or are gone \(0\); most: hand_raiser -> nurture", result.stderr)
    assert moved and float(moved.group(1)) > 5
    assert "No output was written" in result.stderr
    assert (tmp_path / "scored.parquet").read_bytes() == before
    assert not (tmp_path / "handoff.csv").exists()
    failed = json.loads((tmp_path / "s.json").read_text())  # the monitor's record of the failure
    assert (failed["status"], failed["exit_code"]) == ("failed", 5)
    # The same share under a higher limit is accepted.
    run_cli(args + ["--max-tier-changes", str(float(moved.group(1)) + 0.01), "-q"])
    changed = int(moved.group(2).replace(",", ""))
    assert json.loads((tmp_path / "s.json").read_text())["changes"]["tier_changed"] == changed


@pytest.mark.parametrize("fmt", [[], ["--format", "csv"], ["--format", "ndjson"]], ids=["parquet", "csv", "ndjson"])
def test_a_state_file_named_without_an_extension_reads_back_as_previous(tmp_path, fmt):
    # `-o state --previous state` in a cron job: the second run reads what the first wrote.
    state = tmp_path / "state"
    args = ["score", SAMPLE / "contacts.csv", "--as-of", SAMPLE_AS_OF, "-o", state, *fmt, "--previous", state,
            "--summary-json", tmp_path / "s.json", "-q"]
    run_cli(args)
    assert json.loads((tmp_path / "s.json").read_text())["changes"]["first_run"] is True
    run_cli(args)
    changes = json.loads((tmp_path / "s.json").read_text())["changes"]
    assert (changes["first_run"], changes["new"], changes["gone"]) == (False, 0, 0)
    assert changes["unchanged"] == changes["previous_leads"] > 2000


def test_a_floor_of_zero_counts_every_move_and_no_standstill(routed):
    # --min-score-change 0: "any move counts". A total that did not move at all was 'score_changed' too,
    # so every lead went into the hand-off.
    rs, scored = routed
    out, figures = compare_with_previous(scored, _previous(), rs, min_score_change=0)
    moved = {r["lead_id"]: r["score_change"] for r in out.to_dicts() if r["change"] == "score_changed"}
    assert moved and all(change != 0 for change in moved.values())
    assert all(r["score_change"] == 0 for r in out.to_dicts() if r["change"] == "unchanged")
    assert figures["unchanged"] == sum(1 for r in out.to_dicts() if r["change"] == "unchanged") > 0


def test_a_previous_output_as_of_this_runs_time_or_later_is_said_on_stderr_and_in_the_summary(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    state = "scored.parquet"
    args = ["-o", state, "--previous", state, "--changes", "delta.csv", "--summary-json", "s.json"]
    _score(tmp_path, "2026-10-25", *args, "-q")
    # A same-day retry: nothing moved since the run it retries, and the hand-off holds only the header.
    retry = _score(tmp_path, "2026-10-25", *args)
    note = ("--previous scored.parquet: changes are against a run as of 2026-10-25T00:00:00Z, not before this one's "
            "2026-10-25T00:00:00Z: a retry or a backfill out of order?")
    assert retry.stderr == f"leadq: warning: {note}\n"
    figures = json.loads((tmp_path / "s.json").read_text())["changes"]
    assert (figures["previous_not_before"], figures["warning"], figures["unchanged"]) == (True, note, 2941)
    assert pl.read_csv("delta.csv").height == 0
    # A backfill run out of order compares with the future.
    backfill = _score(tmp_path, "2026-10-20", *args)
    assert "not before this one's 2026-10-20T00:00:00Z: a retry or a backfill out of order?" in backfill.stderr
    assert json.loads((tmp_path / "s.json").read_text())["changes"]["previous_not_before"] is True
    # The next day's run is as it always was.
    later = _score(tmp_path, "2026-10-26", *args)
    assert later.stderr == ""
    figures = json.loads((tmp_path / "s.json").read_text())["changes"]
    assert (figures["previous_as_of"], figures["previous_not_before"], figures["warning"]) == \
        ("2026-10-20T00:00:00Z", False, None)


def _empty_run_message(what: str) -> str:
    return (f"leadq: error: no lead scored: {what}, and --previous scored.parquet holds 2,941. No output was written: "
            "after a run with leads this is more likely a failed export upstream than a CRM with none. Check the "
            "input; to write the empty output and hand on every lead as 'gone', run again with --allow-empty\n")


def test_an_empty_input_does_not_wipe_the_state_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _score(tmp_path, SAMPLE_AS_OF, "-o", "scored.parquet", "-q")
    before = (tmp_path / "scored.parquet").read_bytes()
    args = ["score", "-", "--as-of", "2026-11-02", "-o", "scored.parquet", "--previous", "scored.parquet",
            "--changes", "delta.csv", "--summary-json", "s.json"]
    result = run_cli(args, input=b"", exit_code=3)  # a failed curl: zero bytes
    assert result.stderr == _empty_run_message("the input holds no leads (0 rows read)")
    assert (tmp_path / "scored.parquet").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.json", "scored.parquet", "scored.rejects.csv"]
    failed = json.loads((tmp_path / "s.json").read_text())
    assert (failed["status"], failed["exit_code"]) == ("failed", 3)
    # On purpose: every lead is handed on as gone, and the state is emptied.
    run_cli(args + ["--allow-empty", "-q"], input=b"")
    assert pl.read_parquet("scored.parquet").height == 0
    delta = pl.read_csv("delta.csv")
    assert (delta.height, set(delta["change"])) == (2941, {"gone"})


def test_every_row_rejected_with_a_previous_output_is_refused_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _score(tmp_path, SAMPLE_AS_OF, "-o", "scored.parquet", "-q")
    before = [(tmp_path / n).read_bytes() for n in ("scored.parquet", "scored.rejects.csv")]
    header = (SAMPLE / "contacts.csv").read_text().splitlines()[0]
    (tmp_path / "c.csv").write_text(header + "\n" + "".join("," * header.count(",") + "x\n" for _ in range(3)))
    result = run_cli(["score", "c.csv", "--as-of", "2026-11-02", "-o", "scored.parquet", "--previous",
                      "scored.parquet"], exit_code=3)
    assert result.stderr == _empty_run_message("every one of the 3 rows read was rejected (most: missing lead id 3)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "scored.parquet", "scored.rejects.csv"]
    assert [(tmp_path / n).read_bytes() for n in ("scored.parquet", "scored.rejects.csv")] == before


def test_an_empty_input_on_a_first_run_is_written_as_before(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_cli(["score", "-", "--as-of", SAMPLE_AS_OF, "-o", "s.parquet", "--previous", "s.parquet", "-q"], input=b"")
    assert pl.read_parquet("s.parquet").height == 0


def test_allow_empty_without_previous_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli(["score", "-", "--as-of", SAMPLE_AS_OF, "-o", "s.parquet", "--allow-empty"], input=b"",
                     exit_code=2)
    assert result.stderr == ("leadq: error: --allow-empty needs --previous (without it an input of no leads writes "
                             "an empty output anyway)\n")
    assert list(tmp_path.iterdir()) == []
