"""Score groups: rules that share a cap (``groups:`` and ``group:`` on rules), worked out by hand.

The worked example (rulesets/worked_example.yaml, as of 2026-11-01) gives, without groups:
A fit -10 intent 2; B fit 35 intent 15 (case study 5 + pricing 10); C fit 35 intent 40 (the same
plus a demo request 25), total 75: an MQL.
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from leadq.errors import RulesetError
from leadq.lint import lint_ruleset
from leadq.pipeline import read_and_score
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF, FIXTURES, RULESETS, run_cli

WORKED = FIXTURES / "worked_example"
RESEARCH = "  research: {label: Research, cap: 12}\n"
CASE_STUDY = '    where: url contains "/case-studies/"\n    points: 5\n'


def _ruleset(tmp_path, groups: str, *edits: tuple[str, str]) -> str:
    text = (RULESETS / "worked_example.yaml").read_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    text = text.replace("fit:\n", f"groups:\n{groups}\nfit:\n", 1)
    path = tmp_path / "groups.yaml"
    path.write_text(text)
    return str(path)


def _research(tmp_path, cap: str = "12") -> str:
    return _ruleset(tmp_path, RESEARCH.replace("12", cap), (CASE_STUDY, CASE_STUDY + "    group: research\n"),
                    ("    cap: 10                   # looking at pricing ten times is still one signal\n",
                     "    cap: 10\n    group: research\n"))


def _score(path: str) -> dict[str, dict]:
    result = read_and_score(load_ruleset(path), [str(WORKED / "contacts.csv")], [str(WORKED / "events.csv")],
                            as_of=AS_OF)
    return {r["lead_id"]: r for r in result.scored.to_dicts()}


def test_a_group_caps_the_sum_of_its_rules(tmp_path):
    rows = _score(_research(tmp_path))
    # B: case study 5 + pricing 10 = 15, capped at 12. C: 12 + demo request 25 = 37; total 72 < 75: no MQL.
    got = {k: (v["fit_score"], v["intent_score"], v["total_score"], v["tier"]) for k, v in rows.items()}
    assert got == {"A": (-10.0, 2.0, -8.0, "nurture"), "B": (35.0, 12.0, 47.0, "nurture"),
                   "C": (35.0, 37.0, 72.0, "nurture")}
    assert rows["B"]["explanation"] == ("Director title +15; 200-1,000 employees +10; SaaS industry +10; case study "
                                        "download +5 (11 days ago); pricing page view +10 (10 days ago); Research: "
                                        "capped at +12 (rules gave +15)")
    # A group whose cap is not reached changes nothing and says nothing.
    rows = _score(_research(tmp_path, "40"))
    assert (rows["C"]["intent_score"], rows["C"]["tier"]) == (40.0, "mql")
    assert "Research" not in rows["C"]["explanation"]


def test_a_group_of_negative_rules_is_capped_below_too(tmp_path):
    # A (a Marketing Intern): intern -10 in a group capped at 4 counts -4; fit -4, total -2.
    path = _ruleset(tmp_path, "  red_flags: {cap: 4}\n",
                    ("    points: -10\n", "    points: -10\n    group: red_flags\n"))
    rows = _score(path)
    assert (rows["A"]["fit_score"], rows["A"]["total_score"]) == (-4.0, -2.0)
    assert rows["A"]["explanation"].endswith("Intern title -10; red flags: capped at -4 (rules gave -10)")
    assert rows["B"]["fit_score"] == 35.0


def test_explain_shows_each_group(tmp_path):
    path = _research(tmp_path)
    result = run_cli(["explain", "B", str(WORKED / "contacts.csv"), "-a", str(WORKED / "events.csv"), "-r", path,
                      "--as-of", "2026-11-01", "--json", "-"])
    (group,) = json.loads(result.stdout)["leads"][0]["groups"]
    assert group == {"id": "research", "label": "Research", "score": "intent", "cap": 12.0,
                     "rules": ["case_study_download", "pricing_page"], "rules_points": 15.0, "points": 12.0,
                     "capped": True}
    text = run_cli(["explain", "B", str(WORKED / "contacts.csv"), "-a", str(WORKED / "events.csv"), "-r", path,
                    "--as-of", "2026-11-01"]).stdout
    assert "group research (intent): rules case_study_download, pricing_page gave +15, capped at +12" in text


def test_validate_bounds_and_unreached_caps(tmp_path):
    report = lint_ruleset(_research(tmp_path))
    # case_study_download has no cap of its own, but its group has: intent is unbounded only by the others.
    assert report.bounds["intent"].unbounded_by == ("blog_download", "demo_request")
    assert not [f for f in report.findings if f.code == "uncapped-event-rule" and "case_study" in f.subject]
    # The fit rules director 15 and SaaS 10 give 0 to 25 together: a cap of 30 never applies.
    path = _ruleset(tmp_path, "  firmographics: {cap: 30}\n",
                    ("    points: 15\n", "    points: 15\n    group: firmographics\n"),
                    ('"Software as a Service"]\n    points: 10\n',
                     '"Software as a Service"]\n    points: 10\n    group: firmographics\n'))
    report = lint_ruleset(path)
    (finding,) = [f for f in report.findings if f.code == "group-cap-unreached"]
    assert finding.message == "its rules give 0 to 25 points together, within its cap of 30: the cap never applies"
    assert report.bounds["fit"].high == 40.0


@pytest.mark.parametrize("groups,edit,message", [
    (RESEARCH, (CASE_STUDY, CASE_STUDY + "    group: reserch\n"),
     "intent rule 'case_study_download': unknown group 'reserch'; did you mean 'research'?; define it under "
     "'groups' with its cap"),
    (RESEARCH, (CASE_STUDY, CASE_STUDY),
     "groups.research: no rule has 'group: research'; give it rules or remove it"),
    ("  research: {label: Research}\n", (CASE_STUDY, CASE_STUDY + "    group: research\n"),
     "groups.research: missing required key 'cap'"),
    ("  research: {cap: 0}\n", (CASE_STUDY, CASE_STUDY + "    group: research\n"),
     "groups.research: 'cap' must be greater than 0, got 0"),
    (RESEARCH, ("    points: 15\n", "    points: 15\n    group: research\n"),
     "rule 'case_study_download' counts toward intent, but group 'research' caps fit (rule 'director_title'); "
     "a group's rules share one score"),
])
def test_group_errors_name_the_place(tmp_path, groups, edit, message):
    edits = [edit]
    if "fit (rule" in message:
        edits.append((CASE_STUDY, CASE_STUDY + "    group: research\n"))
    path = _ruleset(tmp_path, groups, *edits)
    with pytest.raises(RulesetError) as err:
        load_ruleset(path)
    assert message in str(err.value)
    assert str(err.value).startswith(f"{path}:")


def test_duckdb_caps_groups_like_polars(tmp_path):
    pytest.importorskip("duckdb")
    from leadq.engines import score_with_engine

    rs = load_ruleset(_research(tmp_path))
    contacts = pl.read_csv(WORKED / "contacts.csv")
    events = pl.read_csv(WORKED / "events.csv", try_parse_dates=True).with_columns(
        pl.col("Date").cast(pl.Datetime("us", "UTC")))
    got = score_with_engine("duckdb", rs, contacts, events, as_of=AS_OF).scored.sort("lead_id")
    assert got["intent_score"].to_list() == [2.0, 12.0, 37.0]
    assert got["explanation"][1].endswith("Research: capped at +12 (rules gave +15)")


def test_diff_names_a_group_cap_among_the_rules_responsible(tmp_path):
    # C loses its MQL to the research cap: 15 points of research counted as 12.
    result = run_cli(["diff", RULESETS / "worked_example.yaml", _research(tmp_path), WORKED / "contacts.csv",
                      "-a", WORKED / "events.csv", "--as-of", "2026-11-01", "--json", "-", "-q"])
    (moved,) = json.loads(result.stdout)["moved"]
    assert (moved["lead_id"], moved["tier_a"], moved["tier_b"], moved["total_delta"]) == ("C", "mql", "nurture", -3.0)
    assert moved["rules"] == [{"rule": "research (group cap)", "label": "research (group cap)",
                               "points_a": 0.0, "points_b": -3.0}]
