"""`leadq diff` on a crafted pair of rulesets (tests/fixtures/diff) with hand-computed results.

Ruleset A: director 30, 200+ employees 20, UK 10, intern -10; tiers
disqualified (bad fit), nurture (bad timing), sql >= 50, mql >= 30, nurture.
Ruleset B: director 20, VP 25 (new), 200+ employees 20, intern -10 (UK
dropped); tiers disqualified, hot >= 45 (new), mql >= 25, nurture.

    lead  title     emp  country  total A  tier A        total B  tier B
    D01   Director  500  UK            60  sql                40  mql
    D02   Director  500  US            50  sql                40  mql
    D03   Director   50  UK            40  mql                20  nurture
    D04   Manager   500  UK            30  mql                20  nurture
    D05   VP Sales  500  UK            30  mql                45  hot
    D06   VP Sales   50  US             0  nurture            25  mql
    D07   Intern     50  US           -10  nurture           -10  nurture
    D08   Director    5  UK            40  disqualified       20  disqualified
    D09   Manager    50  UK            10  nurture             0  nurture
    D10   Manager   500  US            20  nurture            20  nurture
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import polars as pl
import pytest

from tests.conftest import FIXTURES, run_cli, sigterm_before

FIX = FIXTURES / "diff"
A, B, CONTACTS = FIX / "ruleset_a.yaml", FIX / "ruleset_b.yaml", FIX / "contacts.csv"
AS_OF = "2026-06-01"
TOTAL_A = {"D01": 60, "D02": 50, "D03": 40, "D04": 30, "D05": 30, "D06": 0, "D07": -10, "D08": 40, "D09": 10,
           "D10": 20}
TOTAL_B = {"D01": 40, "D02": 40, "D03": 20, "D04": 20, "D05": 45, "D06": 25, "D07": -10, "D08": 20, "D09": 0,
           "D10": 20}


# The fixtures map no creation date: diff says, as calibrate does, that leads created after --as-of are counted.
NO_CREATED = ("the ruleset maps no created_at column: leads created after --as-of could not be told apart and "
              "are counted; map the creation date under columns")


def _diff(*extra: str) -> dict:
    result = run_cli(["diff", A, B, CONTACTS, "--as-of", AS_OF, "--json", "-", *extra])
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def report() -> dict:
    return _diff()


def test_tier_migration_matrix(report):
    # Tiers in ruleset order: A's, then B's new "hot".
    assert report["tiers"] == ["disqualified", "nurture", "sql", "mql", "hot"]
    assert report["matrix"] == [
        # disq nurt sql mql hot      (tier under B)
        [1, 0, 0, 0, 0],  # disqualified: D08
        [0, 3, 0, 1, 0],  # nurture: D07, D09, D10 stay; D06 -> mql
        [0, 0, 0, 2, 0],  # sql: D01, D02 -> mql
        [0, 2, 0, 0, 1],  # mql: D03, D04 -> nurture; D05 -> hot
        [0, 0, 0, 0, 0],  # hot: only in B
    ]
    assert (report["leads"], report["changed"], report["only_a"], report["only_b"]) == (10, 6, 0, 0)


def test_moved_leads_ordered_by_distance_then_score_change(report):
    moved = [(m["lead_id"], m["tier_a"], m["tier_b"], m["distance"], m["total_delta"]) for m in report["moved"]]
    # Ranks: disqualified 0, nurture 1, sql 2, mql 3, hot 4.
    assert moved == [
        ("D06", "nurture", "mql", 2, 25.0),
        ("D03", "mql", "nurture", 2, -20.0),
        ("D04", "mql", "nurture", 2, -10.0),
        ("D01", "sql", "mql", 1, -20.0),
        ("D05", "mql", "hot", 1, 15.0),
        ("D02", "sql", "mql", 1, -10.0),
    ]
    for m in report["moved"]:
        assert (m["total_a"], m["total_b"]) == (TOTAL_A[m["lead_id"]], TOTAL_B[m["lead_id"]])


def test_rules_responsible_compare_points_by_rule_id(report):
    rules = {m["lead_id"]: [(c["rule"], c["points_a"], c["points_b"]) for c in m["rules"]] for m in report["moved"]}
    assert rules == {
        "D06": [("vp", 0.0, 25.0)],  # only in B: 0 under A
        "D03": [("director", 30.0, 20.0), ("uk", 10.0, 0.0)],  # uk only in A: 0 under B
        "D04": [("uk", 10.0, 0.0)],
        "D01": [("director", 30.0, 20.0), ("uk", 10.0, 0.0)],
        "D05": [("uk", 10.0, 0.0), ("vp", 0.0, 25.0)],
        "D02": [("director", 30.0, 20.0)],
    }
    # D05 (45) and D06 (25) would stay mql and nurture under A's tiers on B's points, and under B's tiers
    # on A's points (30: mql, not hot >= 45; 0: nurture, not mql >= 25): it took B's new VP points AND its
    # new hot tier (lower mql bar) to move them. They read "tier conditions" when only A's tiers on B's
    # points were tried. The others A's own tiers move on B's points, and B's tiers on A's points do not
    # (D03 40 and D04 30 stay mql >= 25; D01 60 and D02 50 would be hot).
    assert {m["lead_id"]: (m["cause"], m["tier_a_on_b"], m["tier_b_on_a"]) for m in report["moved"]} == {
        "D06": ("points and tier conditions", "nurture", "nurture"), "D03": ("points", "nurture", "mql"),
        "D04": ("points", "nurture", "mql"), "D01": ("points", "mql", "hot"),
        "D05": ("points and tier conditions", "mql", "mql"), "D02": ("points", "mql", "hot"),
    }
    labels = {c["rule"]: c["label"] for m in report["moved"] for c in m["rules"]}
    assert labels == {"vp": "VP title", "director": "Director title", "uk": "UK"}


def test_top_limits_the_list():
    report = _diff("--top", "2")
    assert [m["lead_id"] for m in report["moved"]] == ["D06", "D03"]
    assert report["changed"] == 6


def _quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def test_score_distribution_matches_plain_python(report):
    dist = {d["measure"]: d for d in report["distributions"]}
    assert list(dist) == ["total", "fit", "intent"]
    for side, totals in (("a", TOTAL_A), ("b", TOTAL_B)):
        values = list(totals.values())
        got = dist["total"][side]
        assert got["count"] == 10
        assert got["mean"] == pytest.approx(sum(values) / 10)
        for name, q in (("p10", 0.1), ("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9)):
            assert got[name] == pytest.approx(_quantile(values, q)), (side, name)
        assert dist["fit"][side] == got  # no intent rules: fit is the total
        assert dist["intent"][side]["mean"] == 0
    assert dist["total"]["a"]["mean"] == 27.0 and dist["total"]["b"]["mean"] == 22.0


def test_histogram_uses_shared_bins(report):
    h = report["histogram"]
    lo, hi = -10, 60  # over both rulesets
    width = (hi - lo) / 10
    assert h["edges"] == pytest.approx([lo + i * width for i in range(11)])

    def counts(totals: dict[str, int]) -> list[int]:
        out = [0] * 10
        for v in totals.values():
            out[min(int((v - lo) // width), 9)] += 1
        return out

    assert h["a"] == counts(TOTAL_A) == [1, 1, 1, 0, 1, 2, 0, 2, 1, 1]
    assert h["b"] == counts(TOTAL_B) == [1, 1, 0, 0, 4, 1, 0, 3, 0, 0]


def test_terminal_report():
    out = run_cli(["diff", A, B, CONTACTS, "--as-of", AS_OF]).stdout
    assert "A: Diff fixture A" in out and "B: Diff fixture B" in out
    assert "leads compared 10; tier changed 6 (60.0%)" in out
    assert "D05    mql -> hot" in out
    # D05 stays an MQL under A's tiers on B's points and under B's tiers on A's points: it took both.
    assert " D05    mql -> hot          30.0      45.0   points and tier conditions (A's tiers on B's points:\n" in out
    assert "                                             mql; B's tiers on A's points: mql); uk 10.0 -> 0.0; vp\n" in out
    assert "                                             0.0 -> 25.0\n" in out
    assert " D04    mql -> nurture      30.0      20.0   uk 10.0 -> 0.0\n" in out
    assert "Total score histogram" in out


def test_inputs_are_read_once_so_stdin_works():
    # stdin can be read only once: scoring twice must reuse the parsed input.
    result = run_cli(["diff", A, B, "-", "--as-of", AS_OF, "--json", "-"], input=CONTACTS.read_bytes())
    assert json.loads(result.stdout)["matrix"][2] == [0, 0, 0, 2, 0]


def test_tier_change_without_point_change_names_the_tier_conditions(tmp_path):
    lowered = tmp_path / "lowered.yaml"
    lowered.write_text(A.read_text().replace("when: total >= 30", "when: total >= 20"))
    report = json.loads(run_cli(["diff", A, lowered, CONTACTS, "--as-of", AS_OF, "--json", "-"]).stdout)
    # D10 (20) moves from nurture to mql; no rule's points changed.
    assert [(m["lead_id"], m["tier_a"], m["tier_b"], m["rules"], m["cause"]) for m in report["moved"]] == [
        ("D10", "nurture", "mql", [], "tier conditions")]
    out = run_cli(["diff", A, lowered, CONTACTS, "--as-of", AS_OF]).stdout
    assert "same points: the tier conditions changed" in out


def test_json_to_file_and_same_ruleset_is_no_change(tmp_path):
    out = tmp_path / "diff.json"
    run_cli(["diff", A, A, CONTACTS, "--as-of", AS_OF, "--json", out])
    data = json.loads(out.read_text())
    assert data["changed"] == 0 and data["moved"] == []
    assert data["matrix"] == [[1, 0, 0, 0], [0, 4, 0, 0], [0, 0, 2, 0], [0, 0, 0, 3]]
    quiet = run_cli(["diff", A, A, CONTACTS, "--as-of", AS_OF, "--json", "-", "-q"])
    assert json.loads(quiet.stdout) == data and quiet.stderr == ""


def test_leads_scored_on_one_side_only_are_counted():
    from leadq.conditions import literal_date
    from leadq.diff import diff_details
    from leadq.rescoring import read_frames, score_detail
    from leadq.ruleset_loader import load_ruleset

    a, b = load_ruleset(str(A)), load_ruleset(str(B))
    frames = read_frames([str(CONTACTS)])
    da = score_detail(a, frames, literal_date(AS_OF)).detail
    db = score_detail(b, frames, literal_date(AS_OF)).detail.filter(pl.col("lead_id") != "D06")
    report = diff_details(da, db, a, b, as_of=AS_OF)
    assert (report.leads, report.only_a, report.only_b, report.changed) == (9, 1, 0, 5)
    assert report.notes == ["1 lead(s) scored only under A and 0 only under B (rejected by the other ruleset) "
                            "are left out of the comparison"]


@pytest.mark.parametrize("args, code, message", [
    ([A, FIX / "missing.yaml", CONTACTS], 2, "missing.yaml"),
    ([A, B, FIX / "nope.csv"], 3, "nope.csv"),
    ([A, B, CONTACTS, "--top", "-1"], 2, "--top"),
])
def test_errors(args, code, message):
    result = run_cli(["diff", *args], exit_code=code)
    assert message in result.stderr


@pytest.mark.parametrize(("row", "scorings"), [(",,,,", 2), (",,,,a note", 4)])
def test_rescored_contacts_are_read_with_the_rulesets_columns_making_a_row_checked_by_count(
        tmp_path, monkeypatch, row, scorings):
    # As for leadq score (inputs.run_counted): a row of empty cells needs no second read; a row with
    # text only in a column neither ruleset maps is a reject (no lead id), each ruleset reading it again.
    import leadq.rescoring as rescoring
    from leadq.rescoring import read_frames, score_detail
    from leadq.ruleset_loader import load_ruleset
    from tests.conftest import AS_OF as AS_OF_DT

    lines = CONTACTS.read_text().splitlines()
    header = lines[0] + ",note"
    contacts = tmp_path / "c.csv"
    body = [line + "," for line in lines[1:]]
    contacts.write_text("\n".join([header, *body[:2], row, *body[2:]]) + "\n")
    calls, real = [], rescoring.score_frames
    monkeypatch.setattr(rescoring, "score_frames", lambda *a, **k: calls.append(k["contacts_files"]) or real(*a, **k))
    rulesets = [load_ruleset(str(A)), load_ruleset(str(B))]
    frames = read_frames([str(contacts)], rulesets=rulesets)
    assert frames.contacts_files[0].rows_counted == 11
    for ruleset in rulesets:
        result = score_detail(ruleset, frames, AS_OF_DT)
        assert result.detail["lead_id"].to_list() == list(TOTAL_A)
        assert result.stats.rejected_by_reason == ({"missing lead id": 1} if "note" in row else {})
    assert len(calls) == scorings


@pytest.mark.parametrize("target, option", [("a", "RULESET_A"), ("b", "RULESET_B"), ("contacts", "contacts")])
def test_json_onto_an_input_is_refused_before_anything_is_read(tmp_path, target, option):
    # `--json ruleset_a.yaml` replaced the current ruleset with the report, with exit 0.
    files = {"a": tmp_path / "a.yaml", "b": tmp_path / "b.yaml", "contacts": tmp_path / "contacts.csv"}
    for name, src in (("a", A), ("b", B), ("contacts", CONTACTS)):
        files[name].write_bytes(src.read_bytes())
    before = {name: path.read_bytes() for name, path in files.items()}
    result = run_cli(["diff", files["a"], files["b"], files["contacts"], "--as-of", AS_OF, "--json", files[target]],
                     exit_code=2)
    assert result.stderr == (f"leadq: error: {files[target]} is both this run's --json and one of its {option} "
                             "inputs; write the outputs elsewhere, or name the inputs more narrowly\n")
    assert {name: path.read_bytes() for name, path in files.items()} == before


def test_json_in_a_missing_folder_is_refused_before_reading(tmp_path):
    result = run_cli(["diff", A, B, "missing.csv", "--json", tmp_path / "no" / "d.json"], exit_code=4)
    assert result.stderr == (f"leadq: error: cannot write {tmp_path / 'no' / 'd.json'}: directory "
                             f"{tmp_path / 'no'} does not exist; create it first\n")


def test_sigterm_ends_diff_like_ctrl_c(tmp_path, monkeypatch):
    # A scheduler's stop killed the run with 143, outside the documented exit codes.
    import leadq.diff as diff

    sigterm_before(monkeypatch, diff, "diff_details")
    out = tmp_path / "d.json"
    out.write_text("previous\n")
    result = run_cli(["diff", A, B, CONTACTS, "--as-of", AS_OF, "--json", out, "-q"], exit_code=130)
    assert result.stderr == "leadq: error: interrupted; the previous output was left intact\n"
    assert out.read_text() == "previous\n" and [p.name for p in tmp_path.iterdir()] == ["d.json"]


def test_leads_only_one_ruleset_rejected_say_why(tmp_path):
    # The note said "rejected by the other ruleset" and no more: which column, of which ruleset, was left
    # to guess (here B reads the size from a column of text).
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS.read_text().replace("D04,Manager,500,UK", "D04,Manager,lots,UK"))
    text_size = tmp_path / "b.yaml"
    text_size.write_text(B.read_text().replace("company_size: Employees", "company_size: Title"))
    data = json.loads(run_cli(["diff", A, text_size, contacts, "--as-of", AS_OF, "--json", "-"]).stdout)
    assert (data["leads"], data["only_a"], data["only_b"]) == (0, 9, 0)  # D04 is rejected by both
    assert data["notes"] == [
        NO_CREATED,
        "9 lead(s) scored only under A and 0 only under B (rejected by the other ruleset) are left out of the "
        "comparison",
        "ruleset B rejected them for: unreadable number in 'Title' (9)"]
    data = json.loads(run_cli(["diff", A, B, contacts, "--as-of", AS_OF, "--json", "-"]).stdout)
    assert data["notes"] == [NO_CREATED]  # rejected by both sides: not a difference


def test_lead_ids_are_shown_not_read_as_markup(tmp_path):
    # A lead id 'X[/]1' ended the report with exit 70 (MarkupError); '[red]x[/red]' lost its brackets.
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS.read_text().replace("D02,", "X[/]1,").replace("D05,", "[red]x[/red],"))
    out = run_cli(["diff", A, B, contacts, "--as-of", AS_OF]).stdout
    lines = [line.rstrip() for line in out.splitlines()]
    assert " [red]x[/red]   mql -> hot          30.0      45.0   points and tier conditions (A's tiers on B's" in lines
    assert " X[/]1          sql -> mql          50.0      40.0   director 30.0 -> 20.0" in lines


def _figure(value: float) -> str:
    text = f"{value:,.1f}"
    return "0" if text == "-0.0" else text


def _numbers(text: str) -> list[str]:
    import re

    return re.findall(r"-?\d+(?:,\d{3})*(?:\.\d+)?", text)


@pytest.mark.parametrize("columns", ["40", "60"])
def test_a_narrow_terminal_splits_no_number(report, monkeypatch, columns):
    # At 40 columns the distribution table set "27.0" over three lines and the histogram's bins
    # ("-10.0 .. -3.0") and the matrix's tier names folded: below a table's width its rows are lines.
    from collections import Counter

    monkeypatch.setenv("COLUMNS", columns)
    out = run_cli(["diff", A, B, CONTACTS, "--as-of", AS_OF]).stdout
    assert max(len(line.rstrip()) for line in out.splitlines()) <= int(columns)
    matrix = report["matrix"]
    expected = [f"{n:,}" for row in matrix for n in row if n]  # as lines, a row lists the tiers its leads went to
    expected += [f"{sum(row):,}" for row in matrix] + [f"{sum(col):,}" for col in zip(*matrix)]
    expected += [f"{report['leads']:,}"]
    for m in report["moved"]:
        expected += [_figure(m["total_a"]), _figure(m["total_b"])]
        expected += [_figure(p) for c in m["rules"] for p in (c["points_a"], c["points_b"])]
    for d in report["distributions"]:
        for side in ("a", "b"):
            expected += [f"{d[side]['count']:,}"] + [_figure(d[side][k])
                                                      for k in ("mean", "p10", "p25", "median", "p75", "p90")]
    h = report["histogram"]
    expected += [_figure(e) for e in h["edges"][1:-1] for _ in (0, 1)] + [_figure(h["edges"][0]),
                                                                         _figure(h["edges"][-1])]
    expected += [f"{n:,}" for n in h["a"] + h["b"]]
    missing = Counter(expected) - Counter(_numbers(out))
    assert not missing, f"numbers split or lost: {dict(missing)}\n{out}"
    if columns == "40":
        text = " ".join(out.split())
        assert ("Tier migration (tier under A and its leads -> their tiers under B) disqualified 1 -> disqualified "
                "1 nurture 4 -> nurture 3, mql 1 sql 2 -> mql 2 mql 3 -> nurture 2, hot 1 hot 0 total under B: "
                "disqualified 1, nurture 5, sql 0, mql 3, hot 1; leads 10") in text
        assert "D03 mql -> nurture, total 40.0 -> 20.0: director 30.0 -> 20.0; uk 10.0 -> 0.0" in text
        assert "total A: count 10, mean 27.0, p10 -1.0, p25 12.5, median 30.0, p75 40.0, p90 51.0" in text
        assert "-10.0 .. -3.0 A 1 ██ B 1 ██" in text


@pytest.mark.parametrize("renamed, first, second, advice", [
    # Only A's uk rule reads the country; B maps it and reads it nowhere.
    ({"Country": "Land"}, A, B, "Fix the column mapping of ruleset A ({A}) or the export"),
    ({"Country": "Land"}, B, A, "Fix the column mapping of ruleset B ({A}) or the export"),
    ({"Title": "JobTitle"}, A, B, "Fix the column mapping of rulesets A ({A}) and B ({B}) or the export"),
    ({"Title": "JobTitle", "Country": "Land"}, A, B,
     "Fix the column mapping of rulesets A ({A}) and B ({B}; needs 'Title') or the export"),
], ids=["only A", "only B", "both", "both, B fewer"])
def test_a_missing_column_names_the_ruleset_that_needs_it(tmp_path, renamed, first, second, advice):
    # The message ended "Fix the ruleset's column mapping": of A, of B, or of both was left to guess.
    contacts = tmp_path / "contacts.csv"
    lines = CONTACTS.read_text().split("\n", 1)
    header = lines[0]
    for old, new in renamed.items():
        header = header.replace(old, new)
    contacts.write_text(header + "\n" + lines[1])
    result = run_cli(["diff", first, second, contacts, "--as-of", AS_OF], exit_code=3)
    missing = [f"'{old}' (for {'job_title' if old == 'Title' else 'country'}"
               + ("; did you mean 'JobTitle'?)" if old == "Title" else ")") for old in renamed]
    assert result.stderr == (f"leadq: error: {contacts}: missing column{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)}; the file has: {header.replace(',', ', ')}. "
                             f"{advice.format(A=A, B=B)}\n")
    assert result.stdout == ""


def test_score_still_says_the_rulesets_column_mapping(tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS.read_text().replace("Country", "Land", 1))
    result = run_cli(["score", contacts, "-r", A, "--as-of", AS_OF, "-o", tmp_path / "out.csv"], exit_code=3)
    assert result.stderr == (f"leadq: error: {contacts}: missing column 'Country' (for country); the file has: "
                             "Lead ID, Title, Employees, Land. Fix the ruleset's column mapping or the export\n")


def _renamed(source, target, old: str, new: str):
    """``source`` copied to ``target`` with its header's column ``old`` called ``new``."""
    header, body = source.read_text().split("\n", 1)
    target.write_text(header.replace(old, new) + "\n" + body)
    return target


def test_every_missing_column_of_both_rulesets_is_in_one_message(tmp_path):
    # A needs 'Country', B 'Industry': the message named 'Country' and ruleset A only, and the next run,
    # with the export fixed, failed on 'Industry'.
    industry = tmp_path / "b.yaml"
    industry.write_text(B.read_text().replace("  country: Country\n", "  country: Country\n  industry: Industry\n")
                        .replace("negative:", '  - {id: saas, label: SaaS, when: industry = "SaaS", points: 5}\n'
                                              "negative:"))
    contacts = _renamed(CONTACTS, tmp_path / "contacts.csv", "Country", "Land")
    result = run_cli(["diff", A, industry, contacts, "--as-of", AS_OF], exit_code=3)
    assert result.stderr == (f"leadq: error: {contacts}: missing columns 'Country' (for country), 'Industry' (for "
                             "industry); the file has: Lead ID, Title, Employees, Land. Fix the column mapping of "
                             f"rulesets A ({A}; needs 'Country') and B ({industry}; needs 'Industry') or the export\n")
    assert result.stdout == ""


def test_missing_columns_of_the_contacts_and_the_events_are_in_one_message(tmp_path):
    # The contacts' missing column stopped the run: the activity log's, which only B reads, came next time.
    worked = FIXTURES.parent.parent / "rulesets" / "worked_example.yaml"
    typed = tmp_path / "b.yaml"
    typed.write_text(worked.read_text().replace("event_type: Activity", "event_type: Type"))
    contacts = _renamed(FIXTURES / "explain" / "contacts.csv", tmp_path / "contacts.csv", "Industry", "Sector")
    events = FIXTURES / "explain" / "events.csv"
    result = run_cli(["diff", worked, typed, contacts, "-a", events, "--as-of", AS_OF], exit_code=3)
    assert result.stderr == (
        f"leadq: error: {contacts}: missing column 'Industry' (for industry); the file has: Lead ID, Email, Title, "
        f"Company, Employees, Sector, Country. Fix the column mapping of rulesets A ({worked}) and B ({typed}) or "
        f"the export. {events}: missing column 'Type' (for event_type); the file has: Lead ID, Activity, Date, URL. "
        f"Fix the column mapping of ruleset B ({typed}) or the export\n")


def test_files_alike_missing_the_same_columns_are_named_once(tmp_path):
    # A glob of daily exports with one header: one part for them all, not one per file.
    days = [_renamed(CONTACTS, tmp_path / f"day{i}.csv", "Country", "Land") for i in range(1, 6)]
    other = _renamed(CONTACTS, tmp_path / "other.csv", "Title", "JobTitle")
    result = run_cli(["diff", A, B, tmp_path / "day*.csv", other, "--as-of", AS_OF], exit_code=3)
    assert result.stderr == (
        f"leadq: error: {days[0]}, {days[1]}, {days[2]} and 2 more: missing column 'Country' (for country); each "
        f"file has: Lead ID, Title, Employees, Land. Fix the column mapping of ruleset A ({A}) or the export. "
        f"{other}: missing column 'Title' (for job_title; did you mean 'JobTitle'?); the file has: Lead ID, "
        f"JobTitle, Employees, Country. Fix the column mapping of rulesets A ({A}) and B ({B}) or the export\n")


def test_every_row_rejected_by_both_rulesets_says_why(tmp_path, monkeypatch):
    # An export neither ruleset can read (sizes as text here; US dates under an ISO ruleset alike) gave an
    # all-zero diff, "leads compared 0; tier changed 0 (0.0%)", with not a word about why.
    monkeypatch.chdir(tmp_path)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Lead ID,Title,Employees,Country\nD01,Director,lots,UK\nD02,Manager,many,US\n")
    result = run_cli(["diff", A, B, contacts, "--as-of", AS_OF, "--json", "-"])
    data = json.loads(result.stdout)
    assert (data["leads"], data["only_a"], data["only_b"], data["changed"]) == (0, 0, 0, 0)
    assert data["notes"] == [NO_CREATED, "no lead was scored: ruleset A rejected every row (unreadable number in 'Employees' "
                             "2); ruleset B rejected every row (unreadable number in 'Employees' 2)"]
    assert "leads compared 0; tier changed 0 (-)\n" in result.stderr


# --------------------------------------------------------------------------- points or tier conditions

CEO_RULESET = """\
version: 1
name: {name}
columns:
  lead_id: Record ID
  job_title: Job Title
fit:
  - id: ceo
    label: CEO
    when: job_title = "CEO"
    points: {points}
tiers:
{tiers}  - name: nurture
    otherwise: true
"""


def _ceo(tmp_path, name: str, points: int, tiers: list[tuple[str, int]]):
    path = tmp_path / f"{name}.yaml"
    path.write_text(CEO_RULESET.format(name=name, points=points, tiers="".join(
        f"  - name: {t}\n    when: total >= {n}\n" for t, n in tiers)))
    return path


def _moved_of(tmp_path, a, b) -> list[tuple]:
    contacts = tmp_path / "c.csv"
    contacts.write_text("Record ID,Job Title\n1,CEO\n")
    data = json.loads(run_cli(["diff", a, b, contacts, "--as-of", AS_OF, "--json", "-"]).stdout)
    return [(m["lead_id"], m["tier_a"], m["tier_b"], m["total_a"], m["total_b"], m["cause"], m["tier_a_on_b"],
             m["tier_b_on_a"]) for m in data["moved"]]


def test_a_raised_bar_is_blamed_not_the_points_that_rose(tmp_path):
    from leadq.diff import MovedLead, RuleChange, responsible

    # Points 10 -> 11, mql bar 10 -> 20: under A's tiers 11 is still mql; B's bar alone moves 10 to nurture.
    a = _ceo(tmp_path, "a", 10, [("mql", 10)])
    b = _ceo(tmp_path, "b", 11, [("mql", 20)])
    assert _moved_of(tmp_path, a, b) == [("1", "mql", "nurture", 10.0, 11.0, "tier conditions", "mql", "nurture")]
    lead = MovedLead("1", "mql", "nurture", 1, 10.0, 11.0, 1.0, [RuleChange("ceo", "CEO", 10.0, 11.0)],
                     "tier conditions", "mql", "nurture")
    # The "rules responsible" text; it read "ceo 10.0 -> 11.0", as though the points had moved it.
    assert responsible(lead, "ceo 10.0 -> 11.0") == "tier conditions (A's tiers on B's points: mql); ceo 10.0 -> 11.0"


def test_points_alone_move_a_lead_under_the_same_tiers(tmp_path):
    from leadq.diff import MovedLead, RuleChange, responsible

    a = _ceo(tmp_path, "a", 10, [("mql", 10)])
    b = _ceo(tmp_path, "b", 5, [("mql", 10)])
    assert _moved_of(tmp_path, a, b) == [("1", "mql", "nurture", 10.0, 5.0, "points", "nurture", "mql")]
    lead = MovedLead("1", "mql", "nurture", 1, 10.0, 5.0, -5.0, [RuleChange("ceo", "CEO", 10.0, 5.0)], "points",
                     "nurture", "mql")
    assert responsible(lead, "ceo 10.0 -> 5.0") == "ceo 10.0 -> 5.0"


def test_points_and_tier_conditions_both_move_a_lead(tmp_path):
    from leadq.diff import MovedLead, RuleChange, responsible

    # A: 25 -> hot (>= 20). B: 15 with warm's bar raised 10 -> 18. A's tiers on 15: warm (the points
    # moved it off hot); B's tiers on 25: hot (the bar alone moves nothing); only both give nurture.
    a = _ceo(tmp_path, "a", 25, [("hot", 20), ("warm", 10)])
    b = _ceo(tmp_path, "b", 15, [("hot", 20), ("warm", 18)])
    assert _moved_of(tmp_path, a, b) == [
        ("1", "hot", "nurture", 25.0, 15.0, "points and tier conditions", "warm", "hot")]
    lead = MovedLead("1", "hot", "nurture", 2, 25.0, 15.0, -10.0, [RuleChange("ceo", "CEO", 25.0, 15.0)],
                     "points and tier conditions", "warm", "hot")
    assert responsible(lead, "ceo 25.0 -> 15.0") == \
        "points and tier conditions (A's tiers on B's points: warm; B's tiers on A's points: hot); ceo 25.0 -> 15.0"
    same = MovedLead("1", "hot", "nurture", 2, 25.0, 25.0, 0.0, [], "tier conditions", "hot", "nurture")
    assert responsible(same, "") == "same points: the tier conditions changed"


def test_a_lead_that_needed_both_the_points_and_the_tier_conditions_is_named_both(tmp_path, monkeypatch):
    # Points 10 -> 15 and the mql bar 20 -> 12: A's tiers on 15 give nurture (15 < 20), B's tiers on 10
    # give nurture (10 < 12); only B's points under B's bar make mql. The one-sided test (A's tiers on B's
    # points only) read "tier conditions", as though B's bar alone had moved it.
    a = _ceo(tmp_path, "a", 10, [("mql", 20)])
    b = _ceo(tmp_path, "b", 15, [("mql", 12)])
    assert _moved_of(tmp_path, a, b) == [
        ("1", "nurture", "mql", 10.0, 15.0, "points and tier conditions", "nurture", "nurture")]
    monkeypatch.setenv("COLUMNS", "200")
    out = run_cli(["diff", a, b, tmp_path / "c.csv", "--as-of", AS_OF]).stdout
    assert ("points and tier conditions (A's tiers on B's points: nurture; B's tiers on A's points: nurture); "
            "ceo 10.0 -> 15.0") in out


def test_a_lead_each_change_alone_would_move_is_named_both(tmp_path):
    # Points 10 -> 25 and the mql bar 20 -> 5: A's tiers on 25 give mql, and so do B's tiers on 10; either
    # change alone moves the lead, so neither is "the" cause.
    a = _ceo(tmp_path, "a", 10, [("mql", 20)])
    b = _ceo(tmp_path, "b", 25, [("mql", 5)])
    assert _moved_of(tmp_path, a, b) == [("1", "nurture", "mql", 10.0, 25.0, "points and tier conditions", "mql", "mql")]


def test_tier_conditions_alone_with_points_that_did_not_change(tmp_path):
    # Same points (10), mql bar 20 -> 10: B's tiers on A's points give mql; A's tiers on B's keep nurture.
    a = _ceo(tmp_path, "a", 10, [("mql", 20)])
    b = _ceo(tmp_path, "b", 10, [("mql", 10)])
    assert _moved_of(tmp_path, a, b) == [("1", "nurture", "mql", 10.0, 10.0, "tier conditions", "nurture", "mql")]


# --------------------------------------------------------------------------- leads created after --as-of

CREATED = {"D06": "2026-06-15", "D09": "2026-06-01T12:00:00Z", "D10": ""}  # the others: 2026-01-10


def _dated(tmp_path, map_a: bool = True, map_b: bool = True):
    """The fixture with a Created column (D06 and D09 created after --as-of 2026-06-01, D10 undated)."""
    rows = CONTACTS.read_text().splitlines()
    contacts = tmp_path / "dated.csv"
    contacts.write_text("\n".join([rows[0] + ",Created"] + [f"{row},{CREATED.get(row[:3], '2026-01-10')}"
                                                             for row in rows[1:]]) + "\n")
    paths = []
    for name, source, mapped in (("a.yaml", A, map_a), ("b.yaml", B, map_b)):
        text = source.read_text()
        if mapped:
            text = text.replace("  lead_id: Lead ID\n", "  lead_id: Lead ID\n  created_at: Created\n")
        (tmp_path / name).write_text(text)
        paths.append(tmp_path / name)
    return paths[0], paths[1], contacts


def test_leads_created_after_as_of_are_left_out_as_calibrate_leaves_them_out(tmp_path, monkeypatch):
    # diff counted them ("leads compared 10") where calibrate, on the same history, left them out.
    monkeypatch.chdir(tmp_path)
    a, b, contacts = _dated(tmp_path)
    result = run_cli(["diff", a, b, contacts, "--as-of", AS_OF, "--json", "-"])
    data = json.loads(result.stdout)
    # D06 (nurture -> mql) and D09 (nurture both) are left out; D10, undated, is kept as calibrate keeps it.
    assert (data["leads"], data["changed"], data["created_after_as_of"]) == (8, 5, 2)
    assert [m["lead_id"] for m in data["moved"]] == ["D03", "D04", "D01", "D05", "D02"]
    assert data["notes"] == [
        "2 leads created after --as-of 2026-06-01 left out",
        "1 lead without a creation date (created_at) counted: whether they existed at --as-of is unknown"]
    assert "leads compared 8; tier changed 5 (62.5%)\n" in result.stderr
    assert "note: 2 leads created after --as-of 2026-06-01 left out\n" in result.stderr
    # The same words as calibrate's note.
    from leadq.calibrate import _existing_at
    from leadq.ruleset_loader import load_ruleset
    detail = pl.DataFrame({"created_at": [datetime(2026, 6, 15, tzinfo=timezone.utc), None]},
                          schema={"created_at": pl.Datetime("us", "UTC")})
    _, after, notes = _existing_at(detail, load_ruleset(str(a)), datetime(2026, 6, 1, tzinfo=timezone.utc), [], False)
    assert after == 1 and notes[0] == "1 lead created after --as-of 2026-06-01 left out"


def test_a_later_as_of_leaves_no_lead_out(tmp_path):
    a, b, contacts = _dated(tmp_path)
    data = json.loads(run_cli(["diff", a, b, contacts, "--as-of", "2026-07-01", "--json", "-"]).stdout)
    assert (data["leads"], data["changed"], data["created_after_as_of"]) == (10, 6, 0)
    assert data["notes"] == [
        "1 lead without a creation date (created_at) counted: whether they existed at --as-of is unknown"]


def test_a_lead_one_ruleset_dates_after_as_of_is_left_out_of_both(tmp_path):
    a, b, contacts = _dated(tmp_path, map_a=False)
    data = json.loads(run_cli(["diff", a, b, contacts, "--as-of", AS_OF, "--json", "-"]).stdout)
    assert (data["leads"], data["only_a"], data["only_b"], data["created_after_as_of"]) == (8, 0, 0, 2)
    assert data["notes"] == [
        f"ruleset A: {NO_CREATED}",
        "ruleset B: 2 leads created after --as-of 2026-06-01 left out",
        "ruleset B: 1 lead without a creation date (created_at) counted: whether they existed at --as-of is unknown"]


def test_equal_moves_are_ordered_by_numeric_lead_id(tmp_path):
    # Ids 14, 19, 20, 7 (text order) for numbers: 7 comes first.
    a = _ceo(tmp_path, "a", 10, [("mql", 10)])
    b = _ceo(tmp_path, "b", 5, [("mql", 10)])
    contacts = tmp_path / "c.csv"
    contacts.write_text("Record ID,Job Title\n20,CEO\n7,CEO\n019,CEO\n14,CEO\n100,CEO\n")
    data = json.loads(run_cli(["diff", a, b, contacts, "--as-of", AS_OF, "--json", "-"]).stdout)
    assert [m["lead_id"] for m in data["moved"]] == ["7", "14", "019", "20", "100"]
    contacts.write_text("Record ID,Job Title\n20,CEO\n7,CEO\nL14,CEO\n14,CEO\n")  # one id is text: all are
    data = json.loads(run_cli(["diff", a, b, contacts, "--as-of", AS_OF, "--json", "-"]).stdout)
    assert [m["lead_id"] for m in data["moved"]] == ["14", "20", "7", "L14"]
