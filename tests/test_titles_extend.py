"""Adding to the built-in title patterns ("@builtin"), printing them (`leadq titles`), and naming the
titles no seniority pattern matched (the score summary's ``unmatched_titles_top``)."""

from __future__ import annotations

import json

import polars as pl
import pytest
import yaml

from leadq.errors import RulesetError
from leadq.ruleset_loader import load_ruleset
from leadq.title_taxonomy import DEFAULT_TITLE_MAP, TitleMap
from leadq.titles import (
    department_expr,
    merge_title_maps,
    seniority_expr,
    title_map_from_dict,
    title_map_yaml,
    top_unmatched_titles,
)
from tests.conftest import RULESETS, run_cli

DIRECTOR = dict(DEFAULT_TITLE_MAP.seniority)["director"]
SALES = dict(DEFAULT_TITLE_MAP.department)["sales"]
# Unmatched by the built-in patterns (seniority): the German "responsible for a division".
BEREICH = r"\bbereichsverantwortlich\w*\b"
EXTENDED = f"""
titles:
  seniority:
    director: ['@builtin', '{BEREICH}']
  department:
    sales: ['@builtin', '\\bakquise\\b']
"""
REPLACED = f"""
titles:
  seniority:
    director: ['{BEREICH}']
"""


def _ruleset(tmp_path, titles: str, name: str = "r.yaml"):
    path = tmp_path / name
    path.write_text((RULESETS / "worked_example.yaml").read_text(encoding="utf-8").rstrip("\n") + "\n" + titles,
                    encoding="utf-8")
    return path


def _classify(titles: list[str], tmap: TitleMap) -> list[tuple[str | None, str | None]]:
    df = pl.DataFrame({"t": titles}).select(seniority_expr(pl.col("t"), tmap).alias("s"),
                                          department_expr(pl.col("t"), tmap).alias("d"))
    return list(df.iter_rows())


def test_builtin_item_keeps_the_levels_patterns_and_adds():
    tmap = title_map_from_dict({"seniority": {"director": ["@builtin", BEREICH]},
                                "department": {"sales": ["@builtin", r"\bakquise\b"]}})
    assert tmap.seniority == (("director", (*DIRECTOR, BEREICH)),)
    assert tmap.department == (("sales", (*SALES, r"\bakquise\b")),)


def test_builtin_item_anywhere_and_a_repeated_pattern_counts_once():
    tmap = title_map_from_dict({"seniority": {"director": [BEREICH, DIRECTOR[0], "@builtin"]}})
    assert tmap.seniority == (("director", (BEREICH, *DIRECTOR)),)


def test_builtin_alone_is_the_default_map():
    data = {"seniority": {v: ["@builtin"] for v, _ in DEFAULT_TITLE_MAP.seniority},
            "department": {v: ["@builtin"] for v, _ in DEFAULT_TITLE_MAP.department}}
    assert title_map_from_dict(data) == DEFAULT_TITLE_MAP


def test_builtin_stands_for_the_given_builtin_map():
    base = TitleMap(seniority=(("vp", (r"\bvp\b",)),))
    assert title_map_from_dict({"seniority": {"vp": ["@builtin", r"\bsvp\b"]}}, builtin=base).seniority == (
        ("vp", (r"\bvp\b", r"\bsvp\b")),)


def test_a_ruleset_adds_to_the_builtin_patterns(tmp_path):
    tmap = load_ruleset(str(_ruleset(tmp_path, EXTENDED))).actions.title_map
    assert tmap == merge_title_maps(DEFAULT_TITLE_MAP, TitleMap(seniority=(("director", (*DIRECTOR, BEREICH)),),
                                                                department=(("sales", (*SALES, r"\bakquise\b")),)))
    titles = ["Bereichsverantwortlicher Vertrieb", "Head of Marketing", "Akquise", "Marketing Manager"]
    assert _classify(titles, tmap) == [("director", "sales"), ("director", "marketing"), (None, "sales"),
                                       ("manager", "marketing")]
    # Without "@builtin" the level's built-in patterns are gone: "Head of Marketing" is no director.
    replaced = load_ruleset(str(_ruleset(tmp_path, REPLACED, "replaced.yaml"))).actions.title_map
    assert _classify(titles, replaced) == [("director", "sales"), (None, "marketing"), (None, None),
                                           ("manager", "marketing")]


@pytest.mark.parametrize(("patterns", "message"), [
    (["@biltin"], "titles.seniority.director: unknown item '@biltin'; did you mean '@builtin'?; the only item "
                  "starting with '@' is '@builtin' (the built-in patterns of this level)"),
    (["@personal_email_domains"], "titles.seniority.director: unknown item '@personal_email_domains'; the only "
                                  "item starting with '@' is '@builtin' (the built-in patterns of this level)"),
    (["@builtin", "(?<=x)y"], "titles.seniority.director: pattern '(?<=x)y' uses look-around ('(?<='), which the "
                              "Polars regex engine does not support"),
    (["@builtin", ""], "titles.seniority.director: expected a non-empty regex string, got ''"),
])
def test_builtin_lists_are_checked(patterns, message):
    with pytest.raises(ValueError) as err:
        title_map_from_dict({"seniority": {"director": patterns}})
    assert str(err.value) == message


def test_a_misspelt_builtin_is_a_ruleset_error_at_its_entry(tmp_path):
    path = _ruleset(tmp_path, "titles:\n  seniority:\n    director: ['@built_in', 'x']\n")
    line = path.read_text(encoding="utf-8").splitlines().index("    director: ['@built_in', 'x']") + 1
    with pytest.raises(RulesetError) as err:
        load_ruleset(str(path))
    assert str(err.value) == (f"{path}:{line}:15: titles.seniority.director: unknown item '@built_in'; did you mean "
                              "'@builtin'?; the only item starting with '@' is '@builtin' (the built-in patterns of "
                              "this level)")


def test_leadq_titles_prints_the_builtin_map_ready_to_paste(tmp_path):
    out = run_cli(["titles"]).stdout
    lines = out.splitlines()
    assert lines[:6] == [
        "# leadq job-title map: the built-in patterns. Levels in precedence order, first match wins.",
        "# Keep a level's built-in patterns and add yours: director: ['@builtin', '\\bleiter\\b']",
        "titles:",
        "  seniority:",
        "    intern_student:",
        "      - '\\binterns?\\b'",
    ]
    assert out == "\n".join(lines[:2]) + "\n" + title_map_yaml(DEFAULT_TITLE_MAP)
    assert title_map_from_dict(yaml.safe_load(out)["titles"]) == DEFAULT_TITLE_MAP
    # Pasted into a ruleset as it is, it loads, and changes nothing.
    assert load_ruleset(str(_ruleset(tmp_path, out))).actions.title_map == DEFAULT_TITLE_MAP


def test_title_map_yaml_quotes_a_single_quote_and_writes_an_empty_level():
    text = title_map_yaml(TitleMap(seniority=(("vp", (r"\bvp'x\b",)), ("ic", ())), department=()))
    assert text == "titles:\n  seniority:\n    vp:\n      - '\\bvp''x\\b'\n    ic: []\n  department:\n"
    assert yaml.safe_load(text)["titles"]["seniority"] == {"vp": ["\\bvp'x\\b"], "ic": []}


def test_leadq_titles_with_a_ruleset_prints_its_map(tmp_path):
    out = run_cli(["titles", "-r", _ruleset(tmp_path, EXTENDED)]).stdout
    doc = yaml.safe_load(out)["titles"]
    assert doc["seniority"]["director"] == [*DIRECTOR, BEREICH]
    assert doc["department"]["sales"] == [*SALES, r"\bakquise\b"]
    assert doc["seniority"]["vp"] == list(dict(DEFAULT_TITLE_MAP.seniority)["vp"])
    assert out.splitlines()[0] == (f"# leadq job-title map: the patterns of {tmp_path / 'r.yaml'}. Levels in "
                                   "precedence order, first match wins.")


def test_leadq_titles_with_a_bad_ruleset_exits_2(tmp_path):
    result = run_cli(["titles", "-r", tmp_path / "absent.yaml"], exit_code=2)
    assert result.stderr == f"leadq: error: {tmp_path / 'absent.yaml'}: ruleset file not found\n"


def test_top_unmatched_titles_groups_what_normalises_alike():
    titles = pl.Series(["Guru", None, "Wizard", "GURU ", "Ninja", "Wizard", "guru", "Sorcerer", "Astronaut",
                        "Oracle", "ninja!"])
    assert top_unmatched_titles(titles) == [
        {"title": "Guru", "count": 3}, {"title": "Wizard", "count": 2}, {"title": "Ninja", "count": 2},
        {"title": "Sorcerer", "count": 1}, {"title": "Astronaut", "count": 1}]
    assert top_unmatched_titles(titles, n=1) == [{"title": "Guru", "count": 3}]
    assert top_unmatched_titles(pl.Series([None, None], dtype=pl.String)) == []


CONTACTS = "Lead ID,Email,Title,Company,Employees,Industry,Country\n" + "".join(
    f"L{i},p{i}@x.com,{title},X,10,SaaS,Germany\n" for i, title in enumerate([
        "Bereichsverantwortlicher Vertrieb", "bereichsverantwortlicher  vertrieb", "Wizard", "Astronaut",
        "Astronaut", "Wizard", "Guru", "Ninja", "Sorcerer", "Head of Sales", ""], 1))


def _score(tmp_path, ruleset, quiet: bool = True):
    contacts = tmp_path / "c.csv"
    contacts.write_text(CONTACTS, encoding="utf-8")
    summary = tmp_path / "s.json"
    result = run_cli(["score", contacts, "-r", ruleset, "--as-of", "2026-11-01", "-o", tmp_path / "w.csv",
                      "--summary-json", summary, *(["-q"] if quiet else [])])
    return json.loads(summary.read_text(encoding="utf-8")), result.stdout


def test_the_summary_names_the_most_frequent_unmatched_titles(tmp_path):
    doc, stdout = _score(tmp_path, RULESETS / "worked_example.yaml", quiet=False)
    # Nine non-blank titles without a seniority: "Head of Sales" is a director, the blank one is not counted.
    assert doc["unmatched_titles"] == 9
    assert doc["unmatched_titles_top"] == [
        {"title": "Bereichsverantwortlicher Vertrieb", "count": 2}, {"title": "Wizard", "count": 2},
        {"title": "Astronaut", "count": 2}, {"title": "Guru", "count": 1}, {"title": "Ninja", "count": 1}]
    assert ("job titles without a seniority match: 9 (most frequent: 'Bereichsverantwortlicher Vertrieb' 2; "
            "'Wizard' 2; 'Astronaut' 2; 'Guru' 1; 'Ninja' 1)") in " ".join(stdout.split())


def test_an_added_pattern_takes_its_title_off_the_unmatched_list(tmp_path):
    doc, _ = _score(tmp_path, _ruleset(tmp_path, EXTENDED))
    assert doc["unmatched_titles"] == 7
    assert doc["unmatched_titles_top"] == [
        {"title": "Wizard", "count": 2}, {"title": "Astronaut", "count": 2}, {"title": "Guru", "count": 1},
        {"title": "Ninja", "count": 1}, {"title": "Sorcerer", "count": 1}]


def test_without_unmatched_titles_the_line_names_none(tmp_path):
    contacts = tmp_path / "c.csv"
    contacts.write_text("Lead ID,Email,Title,Company,Employees,Industry,Country\nL1,a@x.com,CEO,X,10,SaaS,Germany\n",
                        encoding="utf-8")
    result = run_cli(["score", contacts, "-r", RULESETS / "worked_example.yaml", "--as-of", "2026-11-01",
                      "-o", tmp_path / "w.csv", "--summary-json", tmp_path / "s.json"])
    doc = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert (doc["unmatched_titles"], doc["unmatched_titles_top"]) == (0, [])
    assert "job titles without a seniority match: 0\n" in result.stdout


def test_the_terminal_line_escapes_and_shortens_a_title():
    from leadq.report import _shown_title

    assert _shown_title("Chief\nWizard\x1b[31m") == "Chief\\nWizard\\x1b[31m"
    assert _shown_title("x" * 61) == "x" * 59 + "…"
    assert _shown_title("x" * 60) == "x" * 60
