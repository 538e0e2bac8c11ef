"""`leadq calibrate`: figures checked against an independent plain-Python computation.

The fixture (tests/fixtures/calibrate) has twelve leads scored by fit rules
only, without decay, so every total is written down by hand below. The test
recomputes every rate, lift, AUC (by counting pairs, ties as one half),
precision/recall and suggestion in plain Python from the CSV and the hand
scores, and compares with what leadq computes in Polars.
"""

from __future__ import annotations

import csv
import json

import pytest

from tests.conftest import FIXTURES, SAMPLE, SAMPLE_AS_OF, run_cli

FIX = FIXTURES / "calibrate"
RULESET = FIX / "ruleset.yaml"
CONTACTS = FIX / "contacts.csv"
AS_OF = "2026-06-01"

# Hand-computed from the ruleset: director 30, 200+ employees 20, UK 10, intern -10.
SCORES = {"L01": 60, "L02": 50, "L03": 40, "L04": 30, "L05": 20, "L06": 10, "L07": -10, "L08": 40,
          "L09": 60, "L10": 0, "L11": 50, "L12": 30}
TIERS = {"L01": "sql", "L02": "sql", "L03": "mql", "L04": "mql", "L05": "nurture", "L06": "nurture",
         "L07": "nurture", "L08": "disqualified", "L09": "nurture", "L10": "nurture", "L11": "sql", "L12": "mql"}
GRADES = {k: "A" if v >= 50 else "B" if v >= 30 else "C" for k, v in SCORES.items()}
REASONS = {"L08": ["tiny"], "L09": ["not_now"]}
HITS = {  # rule -> leads where it fired
    "director": {"L01", "L02", "L03", "L08", "L09", "L11"},
    "big_company": {"L01", "L02", "L04", "L05", "L09", "L11", "L12"},
    "uk": {"L01", "L03", "L04", "L06", "L08", "L09", "L12"},
    "intern": {"L07"},
}


def _rows() -> list[dict]:
    with open(CONTACTS, newline="") as fh:
        return list(csv.DictReader(fh))


def _outcome_sql() -> dict[str, bool]:
    return {r["Lead ID"]: any(r[c] for c in ("SQL Date", "Opportunity Date", "Won Date")) for r in _rows()}


def _pairwise_auc(scores: dict[str, float], y: dict[str, bool]) -> float:
    pos = [scores[k] for k in scores if y[k]]
    neg = [scores[k] for k in scores if not y[k]]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def _rate(leads: list[str], y: dict[str, bool]) -> tuple[int, int, float | None]:
    conv = sum(y[k] for k in leads)
    return len(leads), conv, (conv / len(leads) if leads else None)


def _calibrate(*extra: str) -> dict:
    result = run_cli(["calibrate", CONTACTS, "--ruleset", RULESET, "--as-of", AS_OF, "--json", "-", *extra])
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def report() -> dict:
    return _calibrate("--outcome", "sql", "--target-precision", "0.65")


def test_scores_are_the_hand_computed_ones():
    from leadq.conditions import literal_date
    from leadq.rescoring import read_frames, score_detail
    from leadq.ruleset_loader import load_ruleset

    detail = score_detail(load_ruleset(str(RULESET)), read_frames([str(CONTACTS)]), literal_date(AS_OF)).detail
    assert dict(zip(detail["lead_id"], detail["total_score"])) == SCORES
    assert dict(zip(detail["lead_id"], detail["tier"])) == TIERS
    assert dict(zip(detail["lead_id"], detail["grade"])) == GRADES


def test_base_rate_and_outcome_description(report):
    y = _outcome_sql()
    assert report["leads"] == 12
    assert report["converted"] == sum(y.values()) == 6
    assert report["base_rate"] == pytest.approx(0.5)
    assert report["outcome_description"] == \
        "reached SQL or a later stage (sql_at, opportunity_at, won_at set)"


def test_tier_and_grade_rates_and_lifts(report):
    y = _outcome_sql()
    base = sum(y.values()) / len(y)
    assert [t["name"] for t in report["tiers"]] == ["disqualified", "nurture", "sql", "mql"]
    for seg in report["tiers"]:
        n, conv, rate = _rate([k for k, t in TIERS.items() if t == seg["name"]], y)
        assert (seg["leads"], seg["converted"]) == (n, conv)
        assert seg["rate"] == pytest.approx(rate)
        assert seg["lift"] == pytest.approx(rate / base)
    # Written out for the reader: sql = L01, L02, L11 -> 2 of 3; lift 0.667 / 0.5.
    sql = next(t for t in report["tiers"] if t["name"] == "sql")
    assert (sql["leads"], sql["converted"], sql["lift"]) == (3, 2, pytest.approx(4 / 3))
    for seg in report["grades"]:
        n, conv, rate = _rate([k for k, g in GRADES.items() if g == seg["name"]], y)
        assert (seg["leads"], seg["converted"], seg["rate"]) == (n, conv, pytest.approx(rate))
        assert seg["lift"] == pytest.approx(rate / base)


def test_deciles_keep_ties_together(report):
    y = _outcome_sql()
    n = len(SCORES)
    top = max(SCORES.values())
    decile = {k: 10 if s == top else sum(o < s for o in SCORES.values()) * 10 // n + 1 for k, s in SCORES.items()}
    expected = []
    for d in sorted(set(decile.values()), reverse=True):
        members = [k for k in SCORES if decile[k] == d]
        count, conv, rate = _rate(members, y)
        expected.append({"decile": d, "leads": count, "converted": conv,
                         "min_score": min(SCORES[k] for k in members), "max_score": max(SCORES[k] for k in members)})
    got = [{k: d[k] for k in ("decile", "leads", "converted", "min_score", "max_score")} for d in report["deciles"]]
    assert got == expected
    # Both 60s share the top decile: 10, though 10 of the 12 scores are below them (by rank, decile 9).
    assert got[0] == {"decile": 10, "leads": 2, "converted": 2, "min_score": 60, "max_score": 60}


def test_auc_with_ties_matches_pairwise_count(report):
    y = _outcome_sql()
    expected = _pairwise_auc(SCORES, y)
    # 6 converters x 6 others = 36 pairs; ties at 50, 40 and 30 count one half each.
    assert expected == pytest.approx(27.5 / 36)
    assert report["auc"] == pytest.approx(expected)


def test_precision_recall_of_sales_tiers_and_thresholds(report):
    y = _outcome_sql()
    conv = sum(y.values())

    def figures(predicted: set[str]) -> tuple:
        tp = sum(y[k] for k in predicted)
        p, r = tp / len(predicted), tp / conv
        return len(predicted), tp, pytest.approx(p), pytest.approx(r), pytest.approx(2 * p * r / (p + r))

    assert report["sales_tiers"] == ["sql", "mql"]
    by_name = {c["name"]: c for c in report["classifiers"]}
    assert list(by_name) == ["tier in sales tiers (sql, mql)", "total >= 50 (tier sql)", "total >= 30 (tier mql)"]
    cases = {
        "tier in sales tiers (sql, mql)": {k for k, t in TIERS.items() if t in ("sql", "mql")},
        "total >= 50 (tier sql)": {k for k, s in SCORES.items() if s >= 50},
        "total >= 30 (tier mql)": {k for k, s in SCORES.items() if s >= 30},
    }
    for name, predicted in cases.items():
        c = by_name[name]
        assert (c["predicted"], c["true_positives"], c["precision"], c["recall"], c["f1"]) == figures(predicted)


def test_rule_evidence_and_verdicts(report):
    y = _outcome_sql()
    base = sum(y.values()) / len(y)
    rules = {r["rule"]: r for r in report["rules"]}
    assert list(rules) == ["director", "big_company", "uk", "intern"]
    for rule, fired in HITS.items():
        rest = [k for k in SCORES if k not in fired]
        n, conv, rate = _rate(sorted(fired), y)
        m, rest_conv, rest_rate = _rate(rest, y)
        r = rules[rule]
        assert (r["fired"], r["fired_converted"], r["not_fired"], r["not_fired_converted"]) == (n, conv, m, rest_conv)
        assert r["fired_rate"] == pytest.approx(rate)
        assert r["not_fired_rate"] == pytest.approx(rest_rate)
        assert r["lift"] == pytest.approx(rate / base)
        assert r["few_leads"] is True  # every rule fired for fewer than 30 leads
    # director: 4 of 6 vs 2 of 6; big_company: 4 of 7 vs 2 of 5; uk: 5 of 7 vs 1 of 5; intern (negative):
    # 0 of 1 vs 6 of 11: each would be predictive, on fewer than 30 leads a side (settings.small_segment).
    # With small_segment 5 they are (tests/test_small_fixes_plg.py).
    assert {k: r["verdict"] for k, r in rules.items()} == {
        "director": "too few leads to tell", "big_company": "too few leads to tell", "uk": "too few leads to tell",
        "intern": "too few leads to tell"}


def test_opportunity_stage_counts_later_stages():
    report = _calibrate("--outcome", "opportunity")
    # L01 (opportunity and won), L02 (opportunity), L09 (won only: a skipped stage still counts).
    assert report["converted"] == 3
    assert report["outcome_description"] == \
        "reached opportunity or a later stage (opportunity_at, won_at set)"


def test_no_lift_and_penalising_verdicts():
    import polars as pl

    from leadq.calibrate import calibrate_detail
    from leadq.conditions import literal_date
    from leadq.outcome import Outcome
    from leadq.rescoring import read_frames, score_detail
    from leadq.ruleset_loader import load_ruleset

    rs = load_ruleset(str(RULESET))
    detail = score_detail(rs, read_frames([str(CONTACTS)]), literal_date(AS_OF)).detail
    # Converted = the leads where uk did NOT fire, plus L07 (the intern).
    converted = ~pl.Series([k in HITS["uk"] for k in detail["lead_id"]])
    report = calibrate_detail(detail, converted, rs, outcome=Outcome("x", "column", ("x",), "x"), as_of="t")
    verdicts = {r.rule: r.verdict for r in report.rules}
    assert verdicts["uk"] == "no lift: use it for nurture"  # 0 of 7 vs 5 of 5
    assert verdicts["intern"] == "penalises converters"  # 1 of 1 vs 4 of 11, with negative points


def test_suggested_threshold_for_target_precision(report):
    y = _outcome_sql()
    conv = sum(y.values())
    candidates = []
    for t in sorted(set(SCORES.values())):
        chosen = [k for k, s in SCORES.items() if s >= t]
        tp = sum(y[k] for k in chosen)
        if tp / len(chosen) >= 0.65:
            candidates.append((t, len(chosen), tp))
    t, volume, tp = candidates[0]
    # >= 30: 8 leads, 5 converted (62.5%); >= 40: 6 leads, 4 converted (66.7%).
    assert (t, volume, tp) == (40, 6, 4)
    (s,) = report["suggestions"]
    assert s["target"] == "precision >= 0.65"
    assert (s["threshold"], s["volume"], s["true_positives"]) == (t, volume, tp)
    assert s["recall"] == pytest.approx(tp / conv)


def test_suggested_threshold_for_target_volume():
    report = _calibrate("--outcome", "sql", "--target-volume", "5")
    (s,) = report["suggestions"]
    # Totals >= 50: L01, L09, L02, L11 = 4 leads (<= 5); >= 40 would be 6.
    assert (s["threshold"], s["volume"], s["true_positives"]) == (50, 4, 3)
    assert s["target"] == "volume <= 5"
    report = _calibrate("--outcome", "sql", "--target-volume", "1")
    (s,) = report["suggestions"]
    assert (s["threshold"], s["volume"]) == (60, 2)
    assert s["note"] == "the highest score alone exceeds this volume"


def test_average_scores_and_disqualification_audit(report):
    y = _outcome_sql()
    conv = [SCORES[k] for k in SCORES if y[k]]
    other = [SCORES[k] for k in SCORES if not y[k]]
    assert report["mean_score_converted"] == pytest.approx(sum(conv) / len(conv))
    assert report["mean_score_not_converted"] == pytest.approx(sum(other) / len(other))
    # L08 (too small, reached SQL) and L09 (bad timing, won) converted anyway.
    assert report["disqualified_converted"] == 1
    assert report["nurtured_converted"] == 1
    assert [(a["code"], a["category"], a["leads"], a["converted"]) for a in report["audit"]] == [
        ("tiny", "bad_fit", 1, 1), ("not_now", "bad_timing", 1, 1)]
    assert all(a["lift"] == pytest.approx(2.0) for a in report["audit"])


def test_raw_outcome_column_reads_yes_no_and_dates():
    report = _calibrate("--outcome", "Converted")
    # yes, TRUE, 1, a date and "won" are converted: L01, L02, L04, L06, L08.
    assert report["converted"] == 5
    y = {k: k in {"L01", "L02", "L04", "L06", "L08"} for k in SCORES}
    assert report["auc"] == pytest.approx(_pairwise_auc(SCORES, y))
    assert report["outcome_description"] == "column 'Converted' is true or set"


def test_canonical_date_field_as_outcome():
    report = _calibrate("--outcome", "won_at")
    assert report["converted"] == 2  # L01, L09
    assert report["outcome_description"] == "won_at ('Won Date') is true or set"


def test_sales_tiers_option():
    report = _calibrate("--outcome", "sql", "--sales-tiers", "sql")
    assert report["sales_tiers"] == ["sql"]
    assert [c["name"] for c in report["classifiers"]] == ["tier in sales tiers (sql)", "total >= 50 (tier sql)"]
    first = report["classifiers"][0]
    assert (first["predicted"], first["true_positives"]) == (3, 2)


def test_terminal_report_shows_the_figures():
    result = run_cli(["calibrate", CONTACTS, "--ruleset", RULESET, "--as-of", AS_OF, "--outcome", "sql",
                      "--target-precision", "0.65"])
    out = result.stdout
    assert "leads scored 12; converted 6; base rate 50.0%" in out
    assert "ROC AUC of the total score: 0.764" in out
    assert "suggested threshold for precision >= 0.65: total >= 40  -> 6 leads" in out
    assert "Sales marked as bad timing (not_now)" in out
    assert "\x1b[" not in out  # no colour when not on a terminal


@pytest.mark.parametrize("args, code, message", [
    (["--outcome", "sqll"], 2, "--outcome: 'sqll' is neither a stage (sql, opportunity, won), a ruleset field nor "
                                "a column of the contacts; did you mean 'sql'?"),
    # Values in the data, found once it is read: an input error.
    (["--outcome", "Bad Outcome"], 3, "contacts.csv: --outcome Bad Outcome: values that are neither yes/no nor a "
                                      "date: 'maybe', 'unknown'"),
    (["--outcome", "sql", "--sales-tiers", "sql,hot"], 2, "--sales-tiers: unknown tier 'hot'"),
    (["--outcome", "sql", "--sales-tiers", ""], 2, "--sales-tiers: no tier given; expected some of: disqualified, "),
    (["--outcome", "sql", "--sales-tiers", " , "], 2, "(leave the option out for the default: sql, mql)"),
    (["--outcome", "sql", "--activities", ","], 2, "--activities: ',' names nothing"),
    (["--outcome", "sql", "--target-precision", "0.5", "--target-volume", "3"], 2,
     "--target-precision and --target-volume are alternatives"),
    (["--outcome", "sql", "--target-precision", "1.5"], 2, "--target-precision must be in (0, 1], got 1.5"),
    # A share written as a percentage: say what to write.
    (["--outcome", "sql", "--target-precision", "30"], 2,
     "--target-precision must be in (0, 1], got 30; for 30% write 0.3"),
])
def test_usage_errors(args, code, message):
    result = run_cli(["calibrate", CONTACTS, "--ruleset", RULESET, "--as-of", AS_OF, *args], exit_code=code)
    assert message in result.stderr
    assert result.stdout == ""


def test_stage_whose_column_the_contacts_lack_is_an_input_error(tmp_path):
    contacts = tmp_path / "c.csv"
    contacts.write_text("Lead ID,Title,Employees,Country,Status\nL1,Director,500,UK,OPEN\n")
    result = run_cli(["calibrate", contacts, "--ruleset", RULESET, "--outcome", "won"], exit_code=3)
    assert "--outcome won: the contacts have no column 'Won Date'" in result.stderr
    assert "the file has: 'Lead ID', 'Title', 'Employees', 'Country', 'Status'" in result.stderr


def test_field_whose_column_the_contacts_lack_is_an_input_error(tmp_path):
    contacts = tmp_path / "c.csv"
    contacts.write_text("Lead ID,Title,Employees,Country,Status\nL1,Director,500,UK,OPEN\n")
    result = run_cli(["calibrate", contacts, "--ruleset", RULESET, "--outcome", "won_at"], exit_code=3)
    assert "--outcome won_at: the contacts have no column 'Won Date' (the ruleset's won_at)" in result.stderr


@pytest.mark.parametrize("outcome", ["sql", "Status"])
def test_empty_contacts_file_is_an_input_error(tmp_path, outcome):
    contacts = tmp_path / "empty.csv"
    contacts.write_text("")
    result = run_cli(["calibrate", contacts, "--ruleset", RULESET, "--outcome", outcome], exit_code=3)
    assert f"empty.csv: --outcome {outcome}: the contacts have no column" in result.stderr


def test_options_are_checked_before_the_contacts_are_read(tmp_path):
    for option in (["--sales-tiers", ""], ["--sales-tiers", "hot"], ["--target-volume", "0"]):
        result = run_cli(["calibrate", tmp_path / "nope.csv", "--ruleset", RULESET, "--outcome", "sql", *option],
                         exit_code=2)
        assert "nope.csv" not in result.stderr


def test_missing_contacts_file_is_an_input_error(tmp_path):
    result = run_cli(["calibrate", tmp_path / "nope.csv", "--ruleset", RULESET, "--outcome", "sql"], exit_code=3)
    assert "nope.csv" in result.stderr


def test_json_to_file(tmp_path):
    out = tmp_path / "cal.json"
    result = run_cli(["calibrate", CONTACTS, "--ruleset", RULESET, "--as-of", AS_OF, "--outcome", "sql",
                      "--json", out])
    data = json.loads(out.read_text())
    assert data["converted"] == 6 and data["ruleset"] == "Calibrate fixture"
    assert "leadq calibrate" in result.stdout
    quiet = run_cli(["calibrate", CONTACTS, "--ruleset", RULESET, "--as-of", AS_OF, "--outcome", "sql",
                     "--json", out, "--quiet"])
    assert (quiet.stdout, quiet.stderr) == ("", "")
    assert json.loads(out.read_text()) == data


def test_sample_data_calibration_is_meaningful():
    """The sample generator's outcomes depend on fit and intent: calibration must find it."""
    result = run_cli(["calibrate", SAMPLE / "contacts.csv", "-a", str(SAMPLE / "events" / "*.csv"),
                      "--accounts", SAMPLE / "accounts.csv", "--as-of", SAMPLE_AS_OF, "--outcome", "sql",
                      "--json", "-"])
    data = json.loads(result.stdout)
    assert data["converted"] > 100
    assert data["auc"] > 0.8  # 0.858 when written; the README quotes it
    tiers = {t["name"]: t for t in data["tiers"]}
    assert tiers["mql"]["lift"] > 3 and tiers["hand_raiser"]["lift"] > 3
    assert tiers["disqualified"]["lift"] < 0.5
    grades = [g["rate"] for g in data["grades"]]
    assert grades == sorted(grades, reverse=True)  # A converts best, F worst
    assert data["deciles"][0]["decile"] == 10 and data["deciles"][0]["lift"] > 3


def test_creation_window_selects_leads():
    report = _calibrate("--outcome", "sql", "--since", "2026-04-01")
    # L07-L12 were created in April; L08 and L09 converted.
    assert (report["leads"], report["converted"]) == (6, 2)
    assert report["outcome_description"].endswith("; leads created from 2026-04-01 up to now")
    report = _calibrate("--outcome", "sql", "--until", "2026-04-01")
    assert (report["leads"], report["converted"]) == (6, 4)  # L01, L02, L04, L06
    report = _calibrate("--outcome", "sql", "--since", "2026-01-03", "--until", "2026-04-08")
    assert (report["leads"], report["converted"]) == (5, 2)  # L03-L07 (L08 is on the 8th); L04 and L06


def test_creation_window_errors():
    result = run_cli(["calibrate", CONTACTS, "--ruleset", RULESET, "--outcome", "sql", "--since", "2026-05-01",
                      "--until", "2026-04-01"], exit_code=2)
    assert "--since must be before --until" in result.stderr
    result = run_cli(["calibrate", CONTACTS, "--ruleset", RULESET, "--outcome", "sql", "--since", "April"],
                     exit_code=2)
    assert result.stderr.startswith("leadq: error: --since: ")


def test_reason_labels_are_shown_not_read_as_markup(tmp_path):
    # A disqualifier's label holding '[/]' ended the report with exit 70 (MarkupError); '[red]' vanished.
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(RULESET.read_text().replace("label: Fewer than 10 employees",
                                                   "label: 'Fewer [/] than [red]10[/red]'"))
    out = run_cli(["calibrate", CONTACTS, "--ruleset", ruleset, "--as-of", AS_OF, "--outcome", "sql"]).stdout
    lines = [line.rstrip() for line in out.splitlines()]
    assert " Fewer [/] than [red]10[/red] (tiny)    bad_fit          1           1   100.0%   2.00x" in lines


@pytest.mark.parametrize("columns", ["40", "60"])
def test_a_narrow_terminal_splits_no_number(report, monkeypatch, columns):
    # Rich narrowed the tables by folding cells: at 40 columns "100.0%" and "2.00x" over two lines, at 60 the
    # rule evidence's rates; below a table's width its rows are lines.
    import re
    from collections import Counter

    monkeypatch.setenv("COLUMNS", columns)
    out = run_cli(["calibrate", CONTACTS, "--ruleset", RULESET, "--as-of", AS_OF, "--outcome", "sql",
                   "--target-precision", "0.65"]).stdout
    assert max(len(line.rstrip()) for line in out.splitlines()) <= int(columns)

    def pct(v):
        return f"{v * 100:.1f}%"

    expected = []
    for s in report["tiers"] + report["grades"]:
        expected += [f"{s['leads']:,}", f"{s['converted']:,}", pct(s["rate"]), f"{s['lift']:.2f}x"]
    for d in report["deciles"]:
        expected += [f"{d['min_score']:.1f}", f"{d['max_score']:.1f}", f"{d['leads']:,}", pct(d["rate"])]
    for c in report["classifiers"]:
        expected += [f"{c['predicted']:,}", pct(c["precision"]), pct(c["recall"]), f"{c['f1']:.3f}"]
    for r in report["rules"]:
        expected += [f"{r['fired']:,}", pct(r["fired_rate"]), f"{r['not_fired']:,}", pct(r["not_fired_rate"]),
                     f"{r['lift']:.2f}x"]
    for a in report["audit"]:
        expected += [f"{a['leads']:,}", pct(a["rate"]), f"{a['lift']:.2f}x"]
    found = re.findall(r"-?\d+(?:,\d{3})*(?:\.\d+)?[%x]?", out)
    missing = Counter(expected) - Counter(found)
    assert not missing, f"numbers split or lost: {dict(missing)}\n{out}"
    text = " ".join(out.split())
    assert "too few leads to tell" in text and "(few leads)" not in text
    if columns == "40":
        assert ("director (30 points): fired 6, 66.7%; not fired 6, 33.3%; lift 1.33x; too few leads to tell"
                in text)


def test_suggested_threshold_is_shown_with_the_digits_that_pass_its_volume():
    # Decayed totals carry many decimals. Totals 60.0019 (converted), 60 (not), 50 (converted), 40 (not):
    # the one lead above 60 is passed by any threshold in (60, 60.0019]; the simplest is 60.001. Shown as
    # "60.00" (as before), the threshold would also pass the lead at exactly 60: 2 leads, not the 1 stated.
    import polars as pl

    from leadq.calibrate_figures import suggestion, threshold_curve

    frame = pl.DataFrame({"total_score": [60.0019, 60.0, 50.0, 40.0], "_converted": [True, False, True, False]})
    curve = threshold_curve(frame)
    s = suggestion(curve, 2, None, 1)
    assert (s.threshold, s.volume, s.true_positives, s.precision, s.recall) == (60.001, 1, 1, 1.0, 0.5)
    # precision >= 0.6: >= 50 passes 3 leads, 2 converted (2/3); >= 40 gives 2/4. Below 50 is 40, so 50 stays.
    s = suggestion(curve, 2, 0.6, None)
    assert (s.threshold, s.volume, s.true_positives) == (50.0, 3, 2)
    # The lowest score has nothing below it: 40 itself.
    s = suggestion(curve, 2, 0.5, None)
    assert (s.threshold, s.volume, s.true_positives) == (40.0, 4, 2)


def test_terminal_report_shows_the_exact_suggested_threshold():
    import io

    from leadq.calibrate import calibrate
    from leadq.calibrate_figures import Suggestion
    from leadq.calibrate_report import calibration_report
    from leadq.conditions import literal_date
    from leadq.rescoring import read_frames
    from leadq.report import make_console
    from leadq.ruleset_loader import load_ruleset

    rep = calibrate(load_ruleset(str(RULESET)), read_frames([str(CONTACTS)]), outcome="sql",
                    as_of=literal_date(AS_OF))
    rep.suggestions = [Suggestion("volume <= 1", 60.001, 1, 1, 1.0, 0.5)]
    out = io.StringIO()
    make_console(out).print(calibration_report(rep))
    assert "total >= 60.001  -> 1 lead, 1 converted" in out.getvalue()


@pytest.mark.parametrize("column, verdict", [("SQL Date", "no lead converted"), ("Created", "every lead converted")])
def test_rule_verdicts_need_converters_and_other_leads(tmp_path, column, verdict):
    # With no converter (or only converters) every rate is 0% (100%) on both sides: a rule neither helps
    # nor "penalises converters"; it was read as "no lift: use it for nurture" / "penalises converters".
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Lead ID,Title,Employees,Country,Status,SQL Date,Created\n"
                        "A,Director,500,UK,OPEN,,2026-01-01\n"
                        "B,Marketing Intern,500,US,OPEN,,2026-01-02\n"
                        "C,Manager,50,US,OPEN,,2026-01-03\n")
    result = run_cli(["calibrate", contacts, "--ruleset", RULESET, "--as-of", AS_OF, "--json", "-", "--quiet",
                      "--outcome", "sql" if column == "SQL Date" else column])
    rules = {r["rule"]: (r["fired"], r["fired_converted"], r["verdict"]) for r in json.loads(result.stdout)["rules"]}
    conv = 0 if column == "SQL Date" else 1
    assert rules == {"director": (1, conv, verdict), "big_company": (2, 2 * conv, verdict),
                     "uk": (1, conv, verdict), "intern": (1, conv, verdict)}


def test_creation_window_says_how_many_leads_had_no_creation_date(tmp_path):
    # A (2026-01-01) is before the window, C (2026-03-01) in it; B has no Create Date and was dropped without
    # a word: with a blank Created column the report said only "no lead was scored".
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Lead ID,Title,Employees,Country,Status,SQL Date,Created\n"
                        "A,Director,500,UK,OPEN,2026-03-01,2026-01-01\n"
                        "B,Director,500,UK,OPEN,2026-03-01,\n"
                        "C,Manager,50,US,OPEN,2026-03-01,2026-03-01\n")
    result = run_cli(["calibrate", contacts, "--ruleset", RULESET, "--as-of", AS_OF, "--json", "-", "--quiet",
                      "--outcome", "sql", "--since", "2026-01-02"])
    report = json.loads(result.stdout)
    assert (report["leads"], report["converted"]) == (1, 1)
    assert "1 lead(s) without a creation date (created_at) left out by --since/--until" in report["notes"]


# --------------------------------------------------------------------------- leads created after --as-of


def test_leads_created_after_as_of_are_left_out():
    # As of 2026-04-08 (midnight UTC), L09-L12 (created 04-09 to 04-12) did not exist: scoring them would let
    # the future into the back-test. L08, created on 04-08 itself, did. Left: L01-L08, five reached SQL
    # (L01, L02 by its opportunity, L04, L06, L08).
    report = _calibrate("--outcome", "sql", "--as-of", "2026-04-08")
    assert (report["leads"], report["converted"], report["created_after_as_of"]) == (8, 5, 4)
    assert report["notes"][0] == "4 leads created after --as-of 2026-04-08 left out"
    result = run_cli(["calibrate", CONTACTS, "--ruleset", RULESET, "--outcome", "sql", "--as-of",
                      "2026-04-11T12:00:00Z"])
    assert "note: 1 lead created after --as-of 2026-04-11T12:00:00Z left out" in result.stdout
    assert "leads scored 11; converted 6; base rate 54.5%" in result.stdout
    # Before every creation date: nothing left; said, not a crash.
    report = _calibrate("--outcome", "sql", "--as-of", "2025-12-01")
    assert (report["leads"], report["deciles"], report["auc"]) == (0, [], None)
    assert report["notes"] == ["12 leads created after --as-of 2025-12-01 left out", "no lead was scored"]


def test_as_of_cut_and_creation_window_together():
    # The window keeps L07-L12 (April); as of 04-10, L11 and L12 did not exist yet. L08 and L09 converted.
    report = _calibrate("--outcome", "sql", "--since", "2026-04-01", "--as-of", "2026-04-10")
    assert (report["leads"], report["converted"], report["created_after_as_of"]) == (4, 2, 2)
    assert report["notes"][0] == "2 leads created after --as-of 2026-04-10 left out"
    result = run_cli(["calibrate", CONTACTS, "--ruleset", RULESET, "--outcome", "sql", "--since", "2026-04-11",
                      "--as-of", "2026-04-10"], exit_code=2)
    assert result.stderr == ("leadq: error: --since 2026-04-11 is after --as-of 2026-04-10: no lead created in the "
                             "window existed at the as-of time; give an earlier --since or a later --as-of\n")


def test_leads_without_a_creation_date_are_kept_and_counted(tmp_path):
    # Nothing says B and C did not exist at --as-of (B's Created is blank, C's unreadable): kept, and said.
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Lead ID,Title,Employees,Country,Status,SQL Date,Created\n"
                        "A,Director,500,UK,OPEN,2026-03-01,2026-01-01\n"
                        "B,Director,500,UK,OPEN,2026-03-01,\n"
                        "C,Manager,50,US,OPEN,,someday\n"
                        "D,Manager,50,US,OPEN,2026-08-01,2026-07-01\n")
    result = run_cli(["calibrate", contacts, "--ruleset", RULESET, "--as-of", AS_OF, "--json", "-", "--quiet",
                      "--outcome", "sql"])
    report = json.loads(result.stdout)
    assert (report["leads"], report["converted"], report["created_after_as_of"]) == (3, 2, 1)
    assert report["unreadable_dates"] == {"Created": 1}
    assert report["notes"][:3] == [
        "1 lead created after --as-of 2026-06-01 left out",
        "2 leads without a creation date (created_at) counted: whether they existed at --as-of is unknown",
        "unreadable dates (treated as blank): 'Created' (created_at) 1, e.g. 'someday'; those leads have no creation "
        "date; correct them in the export, or check settings.date_order",
    ]


def test_without_a_creation_date_column_no_lead_is_left_out(tmp_path):
    # No creation date to compare: every lead is counted (leaving all out would leave nothing to test),
    # and the report says the back-test could not check.
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(RULESET.read_text().replace("  created_at: Created\n", ""))
    report = json.loads(run_cli(["calibrate", CONTACTS, "--ruleset", ruleset, "--as-of", "2026-04-08", "--json",
                                 "-", "--outcome", "sql"]).stdout)
    assert (report["leads"], report["created_after_as_of"]) == (12, 0)
    assert report["notes"][0] == ("the ruleset maps no created_at column: leads created after --as-of could not be "
                                  "told apart and are counted; map the creation date under columns")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("Lead ID,Title,Employees,Country,Status,SQL Date\nA,Director,500,UK,OPEN,2026-03-01\n"
                        "B,Manager,50,US,OPEN,\n")
    report = json.loads(run_cli(["calibrate", contacts, "--ruleset", RULESET, "--as-of", AS_OF, "--json", "-",
                                 "--outcome", "sql"]).stdout)
    assert (report["leads"], report["created_after_as_of"]) == (2, 0)
    assert report["notes"][0] == ("the contacts have no column 'Created' (created_at): leads created after --as-of "
                                  "could not be told apart and are counted")
    # With --since every lead is undated and left out by the window: one note says so, not "counted".
    report = json.loads(run_cli(["calibrate", contacts, "--ruleset", RULESET, "--as-of", AS_OF, "--json", "-",
                                 "--outcome", "sql", "--since", "2026-01-01"]).stdout)
    assert report["leads"] == 0
    assert report["notes"] == ["2 lead(s) without a creation date (created_at) left out by --since/--until",
                               "no lead was scored"]


# --------------------------------------------------------------------------- unreadable stage dates


UNREADABLE = ("Lead ID,Title,Employees,Country,Status,SQL Date,Opportunity Date,Won Date,Created\n"
              "A,Director,500,UK,OPEN,2026-03-01,,,2026-01-01\n"
              "B,Director,500,UK,OPEN,TBD,,,2026-01-02\n"
              "C,Manager,50,US,OPEN,pending,2026-04-01,,2026-01-03\n"
              "D,Manager,50,US,OPEN,TBD,,,2026-01-04\n"
              "E,Manager,50,US,OPEN,?,,,2026-01-05\n"
              "F,Manager,50,US,OPEN,ask Bob,,,2026-01-06\n"
              "G,Manager,50,US,OPEN,n/a,,soon,2026-01-07\n"
              "H,Manager,50,US,OPEN,,,,2026-01-08\n")


def test_unreadable_stage_dates_are_counted_and_shown(tmp_path, monkeypatch):
    # Five SQL Date cells hold no date (B, C, D, E, F; 'n/a' is a blank, as everywhere in leadq) and one Won
    # Date (G). Read as blank, as leadq funnel reads them: C still converted by its opportunity date.
    monkeypatch.setenv("COLUMNS", "250")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(UNREADABLE)
    result = run_cli(["calibrate", contacts, "--ruleset", RULESET, "--as-of", AS_OF, "--json", "-",
                      "--outcome", "sql"])
    report = json.loads(result.stdout)
    assert (report["leads"], report["converted"]) == (8, 2)  # A, C
    assert report["unreadable_dates"] == {"SQL Date": 5, "Won Date": 1}
    notes = [
        "unreadable dates (treated as blank): 'SQL Date' (sql_at) 5, e.g. 'TBD', 'pending', '?'; those leads count "
        "as not converted unless opportunity_at or won_at is set; correct them in the export, or check "
        "settings.date_order",
        "unreadable dates (treated as blank): 'Won Date' (won_at) 1, e.g. 'soon'; those leads count as not "
        "converted unless sql_at or opportunity_at is set; correct them in the export, or check settings.date_order",
    ]
    assert report["notes"][:2] == notes
    assert [f"note: {n}" for n in notes] == [line for line in result.stderr.splitlines() if "unreadable" in line]
    # One outcome field: no other date can make the lead converted.
    won = json.loads(run_cli(["calibrate", contacts, "--ruleset", RULESET, "--as-of", AS_OF, "--json", "-",
                              "--quiet", "--outcome", "won_at"]).stdout)
    assert won["unreadable_dates"] == {"Won Date": 1}
    assert won["notes"][0] == ("unreadable dates (treated as blank): 'Won Date' (won_at) 1, e.g. 'soon'; those leads "
                               "count as not converted; correct them in the export, or check settings.date_order")


def test_unreadable_stage_dates_are_counted_as_leadq_funnel_counts_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(UNREADABLE)
    funnel = json.loads(run_cli(["funnel", contacts, "--ruleset", RULESET, "--as-of", AS_OF, "--json", "-",
                                 "--quiet"]).stdout)
    calibrated = json.loads(run_cli(["calibrate", contacts, "--ruleset", RULESET, "--as-of", AS_OF, "--json", "-",
                                     "--quiet", "--outcome", "sql"]).stdout)
    assert funnel["input"]["unreadable_dates"] == calibrated["unreadable_dates"] == {"SQL Date": 5, "Won Date": 1}


def test_unreadable_outcome_dates_of_leads_left_out_are_not_counted(tmp_path):
    # D and E were created after --as-of: their 'TBD' and '?' decide nothing, and are not counted.
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(UNREADABLE.replace("2026-01-04", "2026-07-04").replace("2026-01-05", "2026-07-05"))
    report = json.loads(run_cli(["calibrate", contacts, "--ruleset", RULESET, "--as-of", AS_OF, "--json", "-",
                                 "--quiet", "--outcome", "sql"]).stdout)
    assert (report["leads"], report["unreadable_dates"]) == (6, {"SQL Date": 3, "Won Date": 1})
    assert "'SQL Date' (sql_at) 3, e.g. 'TBD', 'pending', 'ask Bob'; " in report["notes"][1]


# --------------------------------------------------------------------------- histories of under ten leads


def _history(tmp_path, scores: list[int], converted: list[bool]) -> str:
    # Title and size give the fixture's points: Director 30, 500 employees 20, UK 10.
    points = {0: ("Manager", 50, "US"), 10: ("Manager", 50, "UK"), 20: ("Manager", 500, "US"),
              30: ("Director", 50, "US"), 50: ("Director", 500, "US"), 60: ("Director", 500, "UK")}
    rows = ["Lead ID,Title,Employees,Country,Status,SQL Date,Created"]
    for i, (score, conv) in enumerate(zip(scores, converted)):
        title, size, country = points[score]
        rows.append(f"L{i},{title},{size},{country},OPEN,{'2026-03-01' if conv else ''},2026-01-01")
    path = tmp_path / "contacts.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


@pytest.mark.parametrize("scores, converted, bands, expected", [
    # Three leads made "deciles" 7, 4 and 1 (and one lead "decile 1", though the highest): a band a score.
    ([60, 30, 0], [True, False, True], 3, [(3, 60, 1, 1), (2, 30, 1, 0), (1, 0, 1, 1)]),
    ([60], [True], 1, [(1, 60, 1, 1)]),
    # Tied scores share a band; no band is empty or repeated.
    ([60, 60, 30, 0, 0], [True, False, False, True, True], 3, [(3, 60, 2, 1), (2, 30, 1, 0), (1, 0, 2, 2)]),
    ([60, 50, 30, 20, 10, 0, 0, 0, 0], [True] * 4 + [False] * 5, 6,
     [(6, 60, 1, 1), (5, 50, 1, 1), (4, 30, 1, 1), (3, 20, 1, 1), (2, 10, 1, 0), (1, 0, 4, 0)]),
])
def test_under_ten_leads_one_band_per_distinct_score(tmp_path, scores, converted, bands, expected):
    contacts = _history(tmp_path, scores, converted)
    result = run_cli(["calibrate", contacts, "--ruleset", RULESET, "--as-of", AS_OF, "--json", "-",
                      "--outcome", "sql"])
    report = json.loads(result.stdout)
    assert report["score_bands"] == bands
    assert [(d["decile"], d["min_score"], d["leads"], d["converted"]) for d in report["deciles"]] == expected
    n = len(scores)
    shown = "one band" if bands == 1 else f"{bands} bands, {bands} = the highest score"
    note = (f"only {n} lead{'' if n == 1 else 's'}: too few for score deciles; the score table shows one band per "
            f"distinct total score instead ({shown})")
    assert note in report["notes"]
    lines = [line.rstrip() for line in result.stderr.splitlines()]
    assert f"Conversion by total-score band ({bands} = highest score)" in lines
    assert "decile" not in " ".join(lines[lines.index(f"Conversion by total-score band ({bands} = highest score)"):])


def test_ten_leads_make_deciles(tmp_path):
    contacts = _history(tmp_path, [60, 50, 30, 20, 10, 0, 0, 0, 0, 0], [True] * 5 + [False] * 5)
    result = run_cli(["calibrate", contacts, "--ruleset", RULESET, "--as-of", AS_OF, "--outcome", "sql"])
    assert "Conversion by total-score decile (10 = highest scores)" in result.stdout
    assert "too few for score deciles" not in result.stdout
    report = json.loads(run_cli(["calibrate", contacts, "--ruleset", RULESET, "--as-of", AS_OF, "--json", "-",
                                 "--quiet", "--outcome", "sql"]).stdout)
    assert report["score_bands"] == 10
    assert [(d["decile"], d["leads"]) for d in report["deciles"]] == [(10, 1), (9, 1), (8, 1), (7, 1), (6, 1),
                                                                      (1, 5)]


def test_decile_edges_that_one_decimal_would_merge_keep_the_decimals_that_part_them():
    # 24.989 and 25.0 both read "25.0" with one decimal: "20.0 .. 25.0" above "25.0 .. 29.9" looked like
    # overlapping deciles, though tied scores always share one.
    import io

    from leadq.calibrate_figures import Decile
    from leadq.calibrate_report import _deciles
    from leadq.report import make_console

    rows = [Decile(7, 25.0, 29.888, 67, 4, 0.06, 0.87), Decile(6, 20.0034, 24.9893, 26, 1, 0.04, 0.56),
            Decile(5, 13.9815, 20.0, 108, 0, 0.0, 0.0), Decile(4, 10.0103, 13.9707, 23, 2, 0.09, 1.27)]
    out = io.StringIO()
    make_console(out).print(_deciles(rows, 10))
    import re

    assert re.findall(r"-?[\d,.]+ \.\. -?[\d,.]+", out.getvalue()) == [
        "25.00 .. 29.9", "20.003 .. 24.99", "13.98 .. 20.000", "10.0 .. 13.97"]


def test_closed_lost_deal_counts_as_reaching_opportunity_and_sql(tmp_path):
    # A deal created straight as closed-lost has a lost date and no opportunity date: it was an
    # opportunity (as `leadq funnel` counts it), so it converted for --outcome sql and opportunity.
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(RULESET.read_text().replace("  won_at: Won Date\n",
                                                   "  won_at: Won Date\n  lost_at: Lost Date\n"))
    contacts = tmp_path / "c.csv"
    contacts.write_text("Lead ID,Title,Employees,Country,Status,SQL Date,Opportunity Date,Won Date,Lost Date,Created\n"
                        "L1,Director,500,UK,OPEN,,,,2026-03-01,2026-01-01\n"
                        "L2,Intern,50,UK,OPEN,,2026-02-01,,,2026-01-01\n"
                        "L3,Analyst,50,UK,OPEN,,,,,2026-01-01\n")
    for outcome, description in [
            ("opportunity", "reached opportunity or a later stage (opportunity_at, won_at, lost_at set)"),
            ("sql", "reached SQL or a later stage (sql_at, opportunity_at, won_at, lost_at set)")]:
        result = run_cli(["calibrate", str(contacts), "--ruleset", str(ruleset), "--as-of", AS_OF,
                          "--outcome", outcome, "--json", "-", "--quiet"])
        report = json.loads(result.stdout)
        assert (report["leads"], report["converted"]) == (3, 2)
        assert report["outcome_description"] == description


def test_every_row_rejected_says_why(tmp_path, monkeypatch):
    # A Salesforce export whose sizes (or dates) the ruleset cannot read: every row was rejected and the
    # report said only "no lead was scored", leaving the analyst to run `leadq score` to find out why.
    monkeypatch.chdir(tmp_path)
    contacts = tmp_path / "c.csv"
    contacts.write_text("Lead ID,Title,Employees,Country,Status,SQL Date,Created\n"
                        "A,Director,lots,UK,OPEN,2026-03-01,2026-01-01\n"
                        "B,Intern,many,UK,OPEN,,2026-01-01\n")
    result = run_cli(["calibrate", str(contacts), "--ruleset", str(RULESET), "--as-of", AS_OF,
                      "--outcome", "sql", "--json", "-"])
    report = json.loads(result.stdout)
    assert (report["leads"], report["rejected"]) == (0, 2)
    assert report["notes"] == ["no lead was scored: every row was rejected (unreadable number in 'Employees' 2)"]
    assert "note: no lead was scored: every row was rejected (unreadable number in 'Employees' 2)\n" in result.stderr


def test_salesforce_ruleset_reads_salesforce_industry_values(tmp_path, monkeypatch):
    # Salesforce's standard Industry picklist has "Technology", not HubSpot's COMPUTER_SOFTWARE: on a stock
    # Salesforce org the inherited software_industry rule (10 points) never fired.
    from leadq.ruleset_loader import load_ruleset
    from tests.conftest import RULESETS
    monkeypatch.chdir(tmp_path)
    ruleset = RULESETS / "salesforce_b2b_saas.yaml"
    header = [c.column for c in load_ruleset(str(ruleset)).columns.values()] + ["Converted"]
    rows = [{"Lead ID": "1", "Email": "a@acme.com", "Industry": "Technology", "Converted": "1"},
            {"Lead ID": "2", "Email": "b@beta.com", "Industry": "Retail", "Converted": "0"},
            {"Lead ID": "3", "Email": "c@gamma.com", "Industry": "COMPUTER_SOFTWARE", "Converted": "0"}]
    contacts = tmp_path / "leads.csv"
    with open(contacts, "w", newline="") as fh:
        writer = csv.DictWriter(fh, header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    report = json.loads(run_cli(["calibrate", str(contacts), "--ruleset", str(ruleset), "--as-of", "2026-11-01",
                                 "--outcome", "Converted", "--json", "-", "-q"]).stdout)
    software = next(r for r in report["rules"] if r["rule"] == "software_industry")
    assert (software["fired"], software["fired_converted"]) == (2, 1)


def test_creation_window_dates_are_days_of_the_ruleset_time_zone(tmp_path):
    # Create dates without a zone are read in settings.timezone, but --since/--until were midnight UTC: in
    # New York a lead created on 31 March at 9 pm (1 April 01:00 UTC) fell in "--since 2026-04-01".
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(RULESET.read_text().replace("  half_life_days: none\n",
                                                   "  half_life_days: none\n  timezone: America/New_York\n"))
    contacts = tmp_path / "c.csv"
    contacts.write_text("Lead ID,Title,Employees,Country,Status,SQL Date,Created\n"
                        "A,Director,500,UK,OPEN,2026-04-02,2026-03-31 21:00\n"
                        "B,Director,500,UK,OPEN,,2026-04-01 08:00\n"
                        "C,Director,500,UK,OPEN,,2026-04-30 22:00\n")
    result = run_cli(["calibrate", str(contacts), "--ruleset", str(ruleset), "--as-of", AS_OF, "--outcome", "sql",
                      "--since", "2026-04-01", "--until", "2026-05-01", "--json", "-", "-q"])
    report = json.loads(result.stdout)
    assert (report["leads"], report["converted"]) == (2, 0)  # B and C; A was created in March
    assert report["outcome_description"] == "reached SQL (sql_at set); leads created from 2026-04-01 before 2026-05-01"


# --------------------------------------------------------------------------- rejected rows and the creation window


WINDOW_REJECTS = ("Lead ID,Title,Employees,Country,Status,SQL Date,Created\n"
                  "A,Director,500,UK,OPEN,2026-03-01,2026-01-01\n"   # scored, before the window
                  "B,Director,lots,UK,OPEN,,2026-01-15\n"            # rejected, before the window
                  "C,Manager,many,US,OPEN,,2026-03-01\n"             # rejected, in the window
                  "D,Manager,few,US,OPEN,,\n"                        # rejected, no creation date
                  "E,Manager,some,US,OPEN,,someday\n"                # rejected, unreadable creation date
                  "F,Manager,50,US,OPEN,2026-03-05,2026-03-02\n"     # scored, in the window
                  "G,Manager,50,US,OPEN,,2026-04-02\n")              # scored, after the window


def test_creation_window_counts_the_rejected_rows_created_in_it(tmp_path, monkeypatch):
    # The window chose the leads but the rejected count was the whole export's (4): now C only, and D and E,
    # whose creation date is blank or unreadable, are counted apart and said.
    monkeypatch.setenv("COLUMNS", "250")
    contacts = tmp_path / "c.csv"
    contacts.write_text(WINDOW_REJECTS)
    args = ["calibrate", str(contacts), "--ruleset", str(RULESET), "--as-of", AS_OF, "--outcome", "sql",
            "--since", "2026-02-01", "--until", "2026-04-01"]
    report = json.loads(run_cli([*args, "--json", "-", "-q"]).stdout)
    assert (report["leads"], report["converted"], report["rejected"]) == (1, 1, 1)
    assert report["rejected_without_creation_date"] == 2
    assert report["creation_window"] == {"since": "2026-02-01", "until": "2026-04-01"}
    assert report["notes"][0] == ("2 rejected row(s) without a readable creation date (created_at) not counted as "
                                  "rejected: --since/--until cannot place them")
    out = run_cli(args).stdout
    assert "leads scored 1; converted 1; base rate 100.0%; rejected rows created in the window (not scored) 1\n" in out
    # An open end: from 2026-01-10 on, B and C.
    report = json.loads(run_cli(["calibrate", str(contacts), "--ruleset", str(RULESET), "--as-of", AS_OF,
                                 "--outcome", "sql", "--since", "2026-01-10", "--json", "-", "-q"]).stdout)
    assert (report["leads"], report["rejected"], report["rejected_without_creation_date"]) == (2, 2, 2)
    assert report["creation_window"] == {"since": "2026-01-10", "until": None}
    # Without a window the whole export's rows, as before.
    report = json.loads(run_cli(["calibrate", str(contacts), "--ruleset", str(RULESET), "--as-of", AS_OF,
                                 "--outcome", "sql", "--json", "-", "-q"]).stdout)
    assert (report["leads"], report["rejected"], report["rejected_without_creation_date"]) == (3, 4, 0)
    assert report["creation_window"] is None
    out = run_cli(["calibrate", str(contacts), "--ruleset", str(RULESET), "--as-of", AS_OF, "--outcome", "sql"]).stdout
    assert "leads scored 3; converted 2; base rate 66.7%; rejected rows (not scored) 4\n" in out


def test_creation_window_every_row_rejected_names_the_windows_reasons(tmp_path):
    # In January only B was created, and rejected: the note gives the window's reasons, not the export's 4 rows.
    contacts = tmp_path / "c.csv"
    contacts.write_text(WINDOW_REJECTS)
    report = json.loads(run_cli(["calibrate", str(contacts), "--ruleset", str(RULESET), "--as-of", AS_OF,
                                 "--outcome", "sql", "--since", "2026-01-10", "--until", "2026-02-01", "--json",
                                 "-", "-q"]).stdout)
    assert (report["leads"], report["rejected"], report["rejected_without_creation_date"]) == (0, 1, 2)
    assert report["notes"] == [
        "2 rejected row(s) without a readable creation date (created_at) not counted as rejected: --since/--until "
        "cannot place them",
        "no lead was scored: every row created in the window was rejected (unreadable number in 'Employees' 1)"]
    # The window holds no row at all: nothing was rejected in it, and "no lead was scored" stays as it is.
    report = json.loads(run_cli(["calibrate", str(contacts), "--ruleset", str(RULESET), "--as-of", AS_OF,
                                 "--outcome", "sql", "--since", "2026-05-01", "--json", "-", "-q"]).stdout)
    assert (report["leads"], report["rejected"]) == (0, 0)
    assert report["notes"][-1] == "no lead was scored"


def test_creation_window_without_a_creation_date_column_places_no_rejected_row(tmp_path):
    # No Created column: every lead and every rejected row is outside the window, and both are said.
    contacts = tmp_path / "c.csv"
    contacts.write_text("Lead ID,Title,Employees,Country,Status,SQL Date\nA,Director,500,UK,OPEN,2026-03-01\n"
                        "B,Manager,lots,US,OPEN,\nC,Manager,many,US,OPEN,\n")
    report = json.loads(run_cli(["calibrate", str(contacts), "--ruleset", str(RULESET), "--as-of", AS_OF,
                                 "--outcome", "sql", "--since", "2026-01-01", "--json", "-", "-q"]).stdout)
    assert (report["leads"], report["rejected"], report["rejected_without_creation_date"]) == (0, 0, 2)
    assert report["notes"] == [
        "1 lead(s) without a creation date (created_at) left out by --since/--until",
        "2 rejected row(s) without a readable creation date (created_at) not counted as rejected: --since/--until "
        "cannot place them",
        "no lead was scored"]


# --------------------------------------------------------------------------- stage reach as leadq funnel decides it

LIFECYCLE_RULESET = """\
version: 1
name: lc
columns:
  lead_id: Record ID
  email: Email
  job_title: Job Title
  lifecycle_stage: Lifecycle Stage
  created_at: Create Date
  sql_at: SQL Date
  opportunity_at: Opportunity Date
  lost_at: Closed Lost Date
fit:
  - id: ceo
    when: job_title matches "CEO"
    points: 20
tiers:
  - name: mql
    when: fit >= 20
  - name: nurture
    otherwise: true
"""
# HubSpot lifecycle stages beside stage dates (no won date column at all). Reached, by date (D) or by lifecycle
# stage alone (L), hand-worked from funnel's rule (a date of the stage or a later one, lost counting as an
# opportunity, or a lifecycle stage at or past it):
#   1 Customer: SQL L, opportunity L, won L      2 Sales Qualified Lead: SQL L      3 Lead: none
#   4 Opportunity + SQL date: SQL D, opportunity L                                   5 Lead + lost date: SQL D, opp D
#   6 MQL + opportunity date: SQL D, opportunity D                                   7 Subscriber: none
#   8 blank + SQL date: SQL D                                                        9 Closed Won: SQL L, opp L, won L
LIFECYCLE_CONTACTS = """\
Record ID,Email,Job Title,Lifecycle Stage,Create Date,SQL Date,Opportunity Date,Closed Lost Date
1,a@acme.com,CEO,Customer,2026-01-05 10:00,,,
2,b@acme.com,CEO,Sales Qualified Lead,2026-01-05 10:00,,,
3,c@acme.com,Student,Lead,2026-01-05 10:00,,,
4,d@acme.com,VP Sales,Opportunity,2026-01-05 10:00,2026-02-01 10:00,,
5,e@acme.com,CEO,Lead,2026-01-05 10:00,,,2026-03-01 10:00
6,f@acme.com,Student,marketingqualifiedlead,2026-01-05 10:00,,2026-03-01 10:00,
7,g@acme.com,CEO,Subscriber,2026-01-05 10:00,,,
8,h@acme.com,Student,,2026-01-05 10:00,2026-02-01 10:00,,
9,i@acme.com,CEO,Closed Won,2026-01-05 10:00,,,
"""
# stage -> (converted, of which by lifecycle stage alone)
LIFECYCLE_REACHED = {"sql": (7, 3), "opportunity": (5, 3), "won": (2, 2)}


def _lifecycle_files(tmp_path, contacts: str = LIFECYCLE_CONTACTS, ruleset: str = LIFECYCLE_RULESET):
    (tmp_path / "r.yaml").write_text(ruleset)
    (tmp_path / "c.csv").write_text(contacts)
    return tmp_path / "c.csv", tmp_path / "r.yaml"


@pytest.mark.parametrize("stage", ["sql", "opportunity", "won"])
def test_a_stage_outcome_counts_the_leads_funnel_counts_as_reaching_it(tmp_path, stage):
    contacts, ruleset = _lifecycle_files(tmp_path)
    report = json.loads(run_cli(["calibrate", contacts, "-r", ruleset, "--as-of", "2026-12-01", "--outcome", stage,
                                 "--json", "-", "--quiet"]).stdout)
    funnel = json.loads(run_cli(["funnel", contacts, "-r", ruleset, "--as-of", "2026-12-01", "--json", "-",
                                 "--quiet"]).stdout)
    # funnel's "undated" is of the stage's own date (lead 5, lost only, is an undated SQL there): not compared.
    reached = {s["stage"]: s["reached"] for s in funnel["stages"]}
    assert (report["converted"], report["converted_without_date"]) == LIFECYCLE_REACHED[stage]
    assert report["converted"] == reached[stage]
    assert report["leads"] == 9 == funnel["stages"][0]["reached"]


def test_stage_outcomes_say_how_the_lifecycle_stage_counts(tmp_path):
    contacts, ruleset = _lifecycle_files(tmp_path)

    def report(stage: str) -> dict:
        return json.loads(run_cli(["calibrate", contacts, "-r", ruleset, "--as-of", "2026-12-01", "--outcome", stage,
                                   "--json", "-", "--quiet"]).stdout)

    sql, won = report("sql"), report("won")
    assert sql["outcome_description"] == ("reached SQL or a later stage (sql_at, opportunity_at, lost_at set, or "
                                          "lifecycle stage 'Lifecycle Stage' at or past it)")
    assert sql["notes"][0] == ("3 converted leads reached SQL by lifecycle stage alone ('Lifecycle Stage' at or past "
                               "it, none of sql_at, opportunity_at, lost_at set): counted as converted, as leadq "
                               "funnel counts them")
    # No won_at mapped: the lifecycle stage alone tells who was won (it was "the ruleset maps none of won_at", exit 2).
    assert won["outcome_description"] == "reached won (lifecycle stage 'Lifecycle Stage' at or past it)"
    assert won["notes"][0] == ("2 converted leads reached won by lifecycle stage alone ('Lifecycle Stage' at or past "
                               "it, no date column of it in the contacts): counted as converted, as leadq funnel "
                               "counts them")
    # Leads 1 and 9 (Customer, Closed Won) are the converted ones, both CEOs (20 points, tier mql, with 2, 5, 7).
    assert [(t["name"], t["leads"], t["converted"]) for t in won["tiers"]] == [("mql", 5, 2), ("nurture", 4, 0)]


def test_the_lifecycle_stages_of_the_funnel_section_decide_for_calibrate_too(tmp_path):
    # Salesforce-style statuses: "Working" means SQL here, so leads 1 and 9 (no longer known values) do not count.
    ruleset = LIFECYCLE_RULESET + "funnel:\n  lifecycle_stages:\n    sql: [Working]\n    opportunity: []\n    won: []\n"
    contacts = LIFECYCLE_CONTACTS.replace("2,b@acme.com,CEO,Sales Qualified Lead", "2,b@acme.com,CEO,Working")
    contacts, ruleset = _lifecycle_files(tmp_path, contacts, ruleset)
    report = json.loads(run_cli(["calibrate", contacts, "-r", ruleset, "--as-of", "2026-12-01", "--outcome", "sql",
                                 "--json", "-", "--quiet"]).stdout)
    funnel = json.loads(run_cli(["funnel", contacts, "-r", ruleset, "--as-of", "2026-12-01", "--json", "-",
                                 "--quiet"]).stdout)
    # By date: 4, 5, 6, 8; by lifecycle alone: 2 (Working). 4 is Opportunity, no longer a known value: dated anyway.
    assert (report["converted"], report["converted_without_date"]) == (5, 1)
    assert [s["reached"] for s in funnel["stages"] if s["stage"] == "sql"] == [5]


def test_without_a_lifecycle_stage_column_stage_outcomes_read_the_dates_as_before(tmp_path):
    contacts = "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 3)
                         for line in LIFECYCLE_CONTACTS.splitlines()) + "\n"
    contacts, ruleset = _lifecycle_files(tmp_path, contacts)
    report = json.loads(run_cli(["calibrate", contacts, "-r", ruleset, "--as-of", "2026-12-01", "--outcome", "sql",
                                 "--json", "-", "--quiet"]).stdout)
    assert (report["converted"], report["converted_without_date"]) == (4, 0)  # 4, 5, 6, 8
    assert report["outcome_description"] == "reached SQL or a later stage (sql_at, opportunity_at, lost_at set)"
    result = run_cli(["calibrate", contacts, "-r", ruleset, "--as-of", "2026-12-01", "--outcome", "won"],
                     exit_code=2)
    assert "--outcome won: the ruleset maps none of won_at" in result.stderr


def test_a_stage_date_column_the_contacts_lack_is_blank_when_the_lifecycle_stage_is_read(tmp_path):
    # The ruleset maps won_at, the export has no such column: the lifecycle stage still tells who was won
    # (without a lifecycle stage column it is an input error, as before).
    ruleset = LIFECYCLE_RULESET.replace("  lost_at: Closed Lost Date\n",
                                        "  lost_at: Closed Lost Date\n  won_at: Won Date\n")
    contacts, ruleset = _lifecycle_files(tmp_path, ruleset=ruleset)
    report = json.loads(run_cli(["calibrate", contacts, "-r", ruleset, "--as-of", "2026-12-01", "--outcome", "won",
                                 "--json", "-", "--quiet"]).stdout)
    assert (report["converted"], report["converted_without_date"]) == (2, 2)
    assert report["notes"][:2] == [
        "the contacts have no column 'Won Date' (won_at): read as blank; the lifecycle stage 'Lifecycle Stage' "
        "still counts",
        "2 converted leads reached won by lifecycle stage alone ('Lifecycle Stage' at or past it, no date column "
        "of it in the contacts): counted as converted, as leadq funnel counts them"]
    opportunity = json.loads(run_cli(["calibrate", contacts, "-r", ruleset, "--as-of", "2026-12-01", "--outcome",
                                      "opportunity", "--json", "-", "--quiet"]).stdout)
    assert (opportunity["converted"], opportunity["converted_without_date"]) == (5, 3)
    assert opportunity["notes"][0].startswith("the contacts have no column 'Won Date' (won_at): read as blank")
