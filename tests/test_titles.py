"""Tests for leadq.titles: golden title cases plus map loading and merging."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml
from polars.testing import assert_frame_equal

from leadq.title_taxonomy import DEFAULT_TITLE_MAP, DEPARTMENTS, SENIORITY_LEVELS, TitleMap
from leadq.titles import (
    department_expr,
    merge_title_maps,
    normalise_title_expr,
    seniority_expr,
    title_map_from_dict,
    title_map_to_dict,
)

CASES = Path(__file__).parent / "cases" / "titles.yaml"


def _classify(titles: list[str | None], tmap: TitleMap = DEFAULT_TITLE_MAP) -> pl.DataFrame:
    return pl.DataFrame({"title": titles}, schema={"title": pl.String}).with_columns(
        seniority=seniority_expr(pl.col("title"), tmap),
        department=department_expr(pl.col("title"), tmap),
    )


def test_golden_title_cases():
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"]
    assert len(cases) >= 120
    expected = pl.DataFrame(cases, schema={"title": pl.String, "seniority": pl.String, "department": pl.String})
    assert set(expected["seniority"].drop_nulls()) <= set(SENIORITY_LEVELS)
    assert set(expected["department"].drop_nulls()) <= set(DEPARTMENTS)

    # One frame, both expressions applied once, every row compared.
    wrong = expected.with_row_index("case").with_columns(
        seniority_got=seniority_expr(pl.col("title")),
        department_got=department_expr(pl.col("title")),
    ).filter(
        pl.col("seniority").ne_missing(pl.col("seniority_got"))
        | pl.col("department").ne_missing(pl.col("department_got"))
    )
    with pl.Config(tbl_rows=-1, fmt_str_lengths=60, tbl_width_chars=200):
        assert wrong.is_empty(), f"{wrong.height} title case(s) mismatch:\n{wrong}"


def test_every_default_value_is_in_the_vocabulary():
    assert {level for level, _ in DEFAULT_TITLE_MAP.seniority} == set(SENIORITY_LEVELS)
    assert {dept for dept, _ in DEFAULT_TITLE_MAP.department} == set(DEPARTMENTS)


def test_defaults_survive_a_dict_round_trip():
    assert title_map_from_dict(title_map_to_dict(DEFAULT_TITLE_MAP)) == DEFAULT_TITLE_MAP


def test_normalise_title():
    raw = ["  Sr. V.P.,  Sales & Ops ", "Dev-Ops   Engineer", "EA to the CEO", "-", "", None]
    got = pl.DataFrame({"t": raw}).select(normalise_title_expr(pl.col("t")))["t"].to_list()
    assert got == ["sr vp sales ops", "devops engineer", "ea", None, None, None]


def test_null_and_blank_titles_give_null():
    out = _classify([None, "", "   ", "-", "n/a"])
    assert out["seniority"].null_count() == out.height
    assert out["department"].null_count() == out.height
    assert out.schema["seniority"] == pl.String
    assert out.schema["department"] == pl.String


def test_all_null_column_without_string_dtype_gives_null():
    out = pl.DataFrame({"title": [None, None]}).with_columns(
        seniority=seniority_expr(pl.col("title")), department=department_expr(pl.col("title"))
    )
    assert out["seniority"].to_list() == [None, None]
    assert out.schema["department"] == pl.String


def test_custom_map_key_order_is_precedence():
    titles = ["Lead Engineer", "Engineering Manager"]
    manager_first = title_map_from_dict({"seniority": {"manager": [r"\bmanager\b", r"\blead\b"], "ic": [r"\bengineer"]}})
    ic_first = title_map_from_dict({"seniority": {"ic": [r"\bengineer"], "manager": [r"\bmanager\b", r"\blead\b"]}})
    assert _classify(titles, manager_first)["seniority"].to_list() == ["manager", "manager"]
    assert _classify(titles, ic_first)["seniority"].to_list() == ["ic", "ic"]
    # A map without a department section classifies no department.
    assert _classify(titles, ic_first)["department"].null_count() == 2


def test_custom_patterns_are_case_insensitive():
    tmap = title_map_from_dict({"department": {"sales": [r"\bAE\b"]}})
    assert _classify(["ae", "AE"], tmap)["department"].to_list() == ["sales", "sales"]


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        (r"(?=vp)", "look-around"),
        (r"(?!vp)", "look-around"),
        (r"(?<=senior )vp", "look-around"),
        (r"(?<!vice )president", "look-around"),
        (r"(vp)\1", "backreference"),
        (r"(vp", "invalid regex"),
        (r"(?>vp)", "not supported by the Polars regex engine"),
        (r"v*", "matches the empty string"),
        # "\bvp\b" in YAML double quotes: backspaces, which matched no title without a word.
        ("\bvp\b", "holds a control character, which YAML makes of an escape such as \"\\b\" inside double "
                   "quotes: write the pattern in single quotes ('\\bops\\b')"),
    ],
)
def test_unsupported_pattern_is_rejected_naming_level_and_pattern(pattern, fragment):
    with pytest.raises(ValueError) as info:
        title_map_from_dict({"seniority": {"c_level": [r"\bceo\b"], "vp": [r"\bvp\b", pattern]}})
    message = str(info.value)
    assert "titles.seniority.vp" in message
    assert repr(pattern) in message
    assert fragment in message


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"senority": {}}, "did you mean 'seniority'"),
        ({"seniority": {"vice_president": [r"\bvp\b"]}}, "unknown seniority 'vice_president'"),
        ({"department": {"enginering": ["eng"]}}, "did you mean 'engineering'"),
        ({"department": {"sales": r"\bsales\b"}}, "expected a list"),
        ({"department": {"sales": [""]}}, "non-empty"),
        ({"seniority": ["vp"]}, "expected a mapping"),
    ],
)
def test_malformed_title_section_is_rejected(data, fragment):
    with pytest.raises(ValueError, match="titles") as info:
        title_map_from_dict(data)
    assert fragment in str(info.value)


def test_merge_replaces_same_levels_in_place_and_appends_new_ones():
    base = title_map_from_dict(
        {
            "seniority": {"vp": [r"\bvp\b"], "manager": [r"\bmanager\b"], "ic": [r"\bengineer\b"]},
            "department": {"sales": [r"\bsales\b"]},
        }
    )
    override = title_map_from_dict(
        {
            "seniority": {"ic": [r"\bengineer\b", r"\bmanager\b"], "intern_student": [r"\bintern\b"]},
            "department": {"product": [r"\bproduct\b"], "sales": []},
        }
    )
    merged = merge_title_maps(base, override)
    assert merged.seniority == (
        ("vp", (r"\bvp\b",)),
        ("manager", (r"\bmanager\b",)),
        ("ic", (r"\bengineer\b", r"\bmanager\b")),
        ("intern_student", (r"\bintern\b",)),
    )
    # An emptied level is switched off; the new one is appended.
    assert merged.department == (("sales", ()), ("product", (r"\bproduct\b",)))
    out = _classify(["Sales Manager", "Product Intern"], merged)
    expected = pl.DataFrame(
        {
            "title": ["Sales Manager", "Product Intern"],
            "seniority": ["manager", "intern_student"],
            "department": [None, "product"],
        }
    )
    assert_frame_equal(out, expected)


def test_merge_with_defaults_overrides_one_level():
    override = title_map_from_dict({"seniority": {"director": [r"\bdirector\b"]}})
    merged = merge_title_maps(DEFAULT_TITLE_MAP, override)
    assert [level for level, _ in merged.seniority] == [level for level, _ in DEFAULT_TITLE_MAP.seniority]
    # "Head of" is no longer a director, so it falls through to unmatched.
    assert _classify(["Head of Sales", "Sales Director"], merged)["seniority"].to_list() == [None, "director"]


def test_empty_map_gives_null():
    out = _classify(["CEO"], TitleMap())
    assert out["seniority"].to_list() == [None]
    assert out["department"].to_list() == [None]


def _title_ruleset(tmp_path, **sections):
    from tests.test_rule_cases import BASE

    case = yaml.safe_load((Path(__file__).parent / "cases" / "rules" / "title_conditions.yaml").read_text())
    path = tmp_path / "ruleset.yaml"
    path.write_text(yaml.safe_dump({**BASE, **case["sections"], **sections}, sort_keys=False))
    from leadq.ruleset_loader import load_ruleset

    return load_ruleset(str(path))


TITLES = ["VP Sales", "vp of sales", "VP Sales", None, "   ", "Sales Manager", "Sales Manager", "CEO",
          "Marketing Intern"]


def test_conditions_on_the_title_alone_are_tested_once_per_distinct_title(tmp_path, monkeypatch):
    from leadq.compiler import CompiledRuleset, compile_ruleset
    from leadq.pipeline import score_frames
    from leadq.titles import TITLE_FIELDS
    from tests.conftest import AS_OF

    ruleset = _title_ruleset(tmp_path)
    by_title = compile_ruleset(ruleset, AS_OF).reading_only(TITLE_FIELDS)
    # Not the rule that also reads the company size.
    assert sorted(e.meta.output_name() for e in by_title) == ["_dq__intern", "_hit__exec", "_hit__no_title",
                                                              "_hit__vp"]
    contacts = pl.LazyFrame({"lead_id": list("abcdefghi"), "job_title": TITLES,
                             "company_size": ["100", None, "5000", None, None, "1000", "10", None, "1000"]})
    looked_up = score_frames(ruleset, contacts, as_of=AS_OF, detail=True).scored
    monkeypatch.setattr(CompiledRuleset, "reading_only", lambda self, fields: [])
    per_lead = score_frames(ruleset, contacts, as_of=AS_OF, detail=True).scored
    assert_frame_equal(looked_up, per_lead)
    assert looked_up["fit_score"].to_list() == [15.0, 15.0, 15.0, -5.0, -5.0, 10.0, 0.0, 20.0, 0.0]


def test_a_title_an_account_fills_is_the_one_its_conditions_and_seniority_see(tmp_path):
    # With job_title mapped in the accounts too, a blank title takes the account's: the title lookup
    # runs after the accounts' join, so its conditions and the seniority read the filled title.
    from leadq.pipeline import score_frames
    from tests.conftest import AS_OF

    columns = {"lead_id": "lead_id", "job_title": "job_title", "account_id": "account_id", "company_size": "size"}
    ruleset = _title_ruleset(tmp_path, columns=columns,
                             account_columns={"account_id": "account_id", "job_title": "title"})
    contacts = pl.LazyFrame({"lead_id": ["a", "b"], "job_title": [None, "CEO"], "account_id": ["x", "x"],
                             "size": [None, None]}, schema_overrides={"size": pl.String})
    accounts = pl.LazyFrame({"account_id": ["x"], "title": ["VP Ops"]})
    result = score_frames(ruleset, contacts, accounts=accounts, as_of=AS_OF, detail=True)
    assert result.scored["fit_score"].to_list() == [15.0, 20.0]
    assert result.detail["seniority"].to_list() == ["vp", "c_level"]


def test_a_title_mapped_only_in_the_accounts_is_tested_per_lead(tmp_path):
    # Without job_title among the contact columns there is no title lookup: the conditions on the
    # title the accounts bring are tested per lead, as any account field's.
    from leadq.pipeline import score_frames
    from tests.conftest import AS_OF

    ruleset = _title_ruleset(tmp_path, columns={"lead_id": "lead_id", "account_id": "account_id"},
                             account_columns={"account_id": "account_id", "job_title": "title"},
                             fit=[{"id": "vp", "label": "VP title", "when": 'job_title matches "\\bvp\\b"',
                                   "points": 15}],
                             disqualifiers=[], tiers=[{"name": "rest", "otherwise": True}])
    contacts = pl.LazyFrame({"lead_id": ["a", "b"], "account_id": ["x", "y"]})
    accounts = pl.LazyFrame({"account_id": ["x", "y"], "title": ["VP Ops", "Analyst"]})
    scored = score_frames(ruleset, contacts, accounts=accounts, as_of=AS_OF).scored
    assert scored["fit_score"].to_list() == [15.0, 0.0]
