"""The condition language: parsing, semantics and error offsets, on small frames."""

from __future__ import annotations

import polars as pl
import pytest

from leadq.condition_compiler import FieldRef, Scope, compile_condition
from leadq.condition_parser import parse, tokenize
from leadq.conditions import Type
from leadq.errors import ConditionError

FRAME = pl.DataFrame({
    "title": ["Marketing Director", None, "  intern ", ""],
    "size": [500.0, 20.0, None, 1200.0],
    "grade_rank": [0.0, -1.0, -3.0, -2.0],
    "flag": [True, False, None, True],
    "at": pl.Series(["2026-10-01", "2025-01-01", None, "2026-01-01"]).str.to_datetime().dt.replace_time_zone("UTC"),
})
SCOPE = Scope(
    fields={
        "title": FieldRef(pl.col("title"), Type.TEXT),
        "size": FieldRef(pl.col("size"), Type.NUMBER),
        "grade": FieldRef(pl.col("grade_rank"), Type.GRADE),
        "flag": FieldRef(pl.col("flag"), Type.BOOL),
        "at": FieldRef(pl.col("at"), Type.DATETIME),
    },
    raw_columns={"Job Title": FieldRef(pl.col("title"), Type.TEXT)},
    lists={"juniors": ("Intern", "student")},
    grades=("A", "B", "C", "D"),
)


def evaluate(text: str) -> list[bool]:
    return FRAME.with_columns(compile_condition(text, SCOPE).alias("_c"))["_c"].to_list()


@pytest.mark.parametrize("text,expected", [
    ('title = "marketing director"', [True, False, False, False]),
    ('title != "marketing director"', [False, False, True, True]),
    ("title in @juniors", [False, False, True, False]),
    ("title not in @juniors", [True, True, False, True]),
    ('title matches "\\bdirector\\b"', [True, False, False, False]),
    ('title contains ["DIRECT", "tern"]', [True, False, True, False]),
    ('title starts with "market"', [True, False, False, False]),
    ('title ends with "intern"', [False, False, True, False]),
    ("title is null", [False, True, False, False]),
    ("title is empty", [False, True, False, True]),
    ("title is not empty", [True, False, True, False]),
    ("size between 20 and 500", [True, True, False, False]),
    ("size not between 20 and 500", [False, False, True, True]),
    ("size > 100 or title is null", [True, True, False, True]),
    ("not (size > 100)", [False, True, True, False]),
    ("size * 2 - 40 >= 960", [True, False, False, True]),
    ("size in [20, 1200]", [False, True, False, True]),
    ('grade >= "B"', [True, True, False, False]),
    ('grade < "B"', [False, False, True, True]),
    ('grade in ["A", "C"]', [True, False, False, True]),
    ("flag", [True, False, False, True]),
    ("not flag", [False, True, True, False]),
    ("flag = false", [False, True, False, False]),
    ('at >= "2026-01-01"', [True, False, False, True]),
    ('`Job Title` contains "director"', [True, False, False, False]),
    ("true", [True, True, True, True]),
])
def test_semantics(text, expected):
    assert evaluate(text) == expected


def test_strings_are_raw_except_escaped_quotes():
    assert parse(r'title = "say \"hi\""').right.value == 'say "hi"'
    assert parse(r'title matches "\d+"').pattern.value == r"\d+"


def test_keywords_are_case_insensitive():
    assert evaluate("size > 100 AND NOT title IS NULL") == [True, False, False, True]


@pytest.mark.parametrize("text,message,offset", [
    ("size >", "condition ends too early", 6),
    ("size > 1 size", "unexpected 'size' at column 10", 9),
    ("size ? 1", "unexpected character '?' at column 6", 5),
    # The closing quote left out: it said "quote text values with double quotes" of a text that was.
    ('title = "CEO', 'the text starting with " at column 9 has no closing ": add one at its end', 8),
    ("title = 'CEO", "the text starting with ' at column 9 has no closing ': add one at its end", 8),
    ("title = \u201cCEO\u201d", "unexpected character '\u201c' at column 9; a curly quote: write text in straight "
     'double quotes ("...")', 8),
    ("size > 1 && size < 9", "unexpected character '&' at column 10; combine conditions with 'and'", 9),
    ("size > 1 || size < 9", "unexpected character '|' at column 10; combine conditions with 'or'", 9),
    ("titel = 'x'", "unknown field 'titel'; did you mean 'title'?", 0),
    ("size = 'x'", "cannot compare number with text", 5),
    ("size >= '500'", "cannot compare number with text; write the number without quotes (500, not \"500\")", 5),
    ("size => 500", "unexpected '>' at column 7; write '>=' (not '=>')", 6),
    ("size =< 500", "unexpected '<' at column 7; write '<=' (not '=<')", 6),
    ("title > 'x'", "'>' needs numbers, dates or grades", 6),
    ("size", "expected a true/false condition", 0),
    ("title in @nope", "unknown list '@nope'", 9),
    ("upper(title) = 'x'", "functions cannot be used in condition", 0),
    ("title matches 'a(?=b)'", "lookaround", 14),
    ("size is nothing", "expected 'null' or 'empty' after 'is'", 8),
    ("`Title` = 'x'", "unknown column `Title`", 0),
    ("[1, 2]", "a list can only follow", 0),
    ("(" * 100 + "true" + ")" * 100, "nests deeper than 64", 65),
    # An arithmetic chain is parsed in a loop, but its tree is as deep as it is long:
    # each operator is a level, and the error points at where the chain begins.
    ("size" + " + 1" * 64 + " > 1", "condition nests deeper than 64 levels (each + - * / of an arithmetic chain "
     "is a level); group the terms in parentheses, as (a + b + c) + (d + e + f)", 0),
    ("size > 0 and 1" + " - size" * 499 + " > 1", "condition nests deeper than 64 levels", 13),
    ("not (2" + " * size" * 70 + " > 1)", "condition nests deeper than 64 levels", 5),
    ("x" * 5000, "the limit is 4000", 0),
    ("size between 1000 and 200",
     "between 1000 and 200 holds no value: the lower bound comes first (between 200 and 1000)", 5),
    ("size not between -5 and -10", "between -5 and -10 holds no value", 9),
    ("size > 0 and size between 2.5 and 1", "between 2.5 and 1 holds no value", 18),
    ('at between "2026-06-01" and "2026-01-01"',
     'between "2026-06-01" and "2026-01-01" holds no value: the lower bound comes first', 3),
    # What the Rust regex engine that runs the pattern refuses, though Python's re accepts it.
    ('title matches "x{2"', "regex 'x{2': invalid regular expression: unclosed counted repetition", 14),
    ('title matches "\\Z"', "invalid regular expression: unrecognized escape sequence", 14),
    ('title matches "\\0"', "invalid regular expression: backreferences are not supported", 14),
])
def test_errors(text, message, offset):
    with pytest.raises(ConditionError) as info:
        compile_condition(text, SCOPE)
    assert message in info.value.message
    assert info.value.offset == offset


@pytest.mark.parametrize("text,expected", [
    ("size" + " + 1" * 63 + " > 1", [True, True, False, True]),
    ("size" + " - 1" * 63 + " > 1", [True, False, False, True]),
    # 500 terms grouped in parentheses stay shallow.
    (" + ".join("(" + " + ".join(["size"] * 20) + ")" for _ in range(25)) + " > 1", [True, True, False, True]),
])
def test_arithmetic_chains_within_the_depth_limit_are_accepted(text, expected):
    assert evaluate(text) == expected


@pytest.mark.parametrize("text", ["size between 200 and 200", "size between -10 and -5",
                                  'at between "2026-01-01" and "2026-06-01"', "size between 1 and size"])
def test_between_bounds_in_order_or_not_constant_are_accepted(text):
    compile_condition(text, SCOPE)


@pytest.mark.parametrize(("pattern", "expected"), [
    ("^\\p{L}", [True, False, False, False]),  # Unicode classes: Python's re refuses them, Rust's regex and RE2 do not
    ("^[[:alpha:]]+$", [False, False, False, False]),  # a POSIX class; no Python warning about a nested set
    ("^m[[:alpha:]]+ d", [True, False, False, False]),
])
def test_patterns_are_checked_by_the_engine_that_runs_them(pattern, expected, recwarn):
    assert evaluate(f'title matches "{pattern}"') == expected
    assert not recwarn.list


def test_tokenizer_offsets():
    assert [(t.kind, t.value, t.offset) for t in tokenize("a >= 'b'")] == [
        ("name", "a", 0), ("op", ">=", 2), ("string", "'b'", 5), ("end", "", 8)]


def test_stripped_fields_are_only_lower_cased():
    # Typed text fields hold stripped values already (leadq.cleaning.map_columns): a comparison
    # lower-cases them without stripping them again; other text is still stripped.
    stripped = Scope(fields=SCOPE.fields, stripped=frozenset({"title"}))
    for text in ('title = "intern"', 'title in ["intern"]', 'title contains "intern"', 'title starts with "int"'):
        assert "strip_chars" not in str(compile_condition(text, stripped)), text
        assert "strip_chars" in str(compile_condition(text, SCOPE)), text
    # On text that is stripped, both give the same answers.
    frame = FRAME.with_columns(pl.col("title").str.strip_chars())
    for text in ('title = "intern"', 'title in ["Intern", "marketing director"]', 'title ends with "tor"'):
        assert (frame.select(compile_condition(text, stripped)).to_series().to_list()
                == frame.select(compile_condition(text, SCOPE)).to_series().to_list()), text


def test_padded_text_in_a_parquet_export_still_matches(tmp_path):
    # Parquet text is not trimmed by a reader: the typing trims it, so that conditions, which no
    # longer strip typed fields, still see "VP of Sales" in "  VP of Sales ".
    from leadq.pipeline import read_and_score
    from leadq.ruleset_loader import load_ruleset
    from tests.conftest import AS_OF

    ruleset = tmp_path / "r.yaml"
    ruleset.write_text("""version: 1
columns: {lead_id: id, job_title: title, country: country, email: email}
fit:
  - {id: vp, label: VP title, when: 'job_title starts with "vp"', points: 10}
  - {id: us, label: US, when: 'country = "united states"', points: 5}
  - {id: uk, label: UK, when: 'country in ["United Kingdom"]', points: 3}
  - {id: acme, label: Acme, when: 'email_domain = "acme.com"', points: 2}
tiers:
  - {name: all, otherwise: true}
""")
    contacts = tmp_path / "contacts.parquet"
    pl.DataFrame({"id": ["1", "2", "3"], "title": ["  VP of Sales ", "\tvp marketing", "Director"],
                  "country": [" United States ", "United Kingdom\u00a0", "france"],
                  "email": [" pat@ACME.com ", "Jo <jo@acme.com>", "x@other.io"]}).write_parquet(contacts)
    scored = read_and_score(load_ruleset(str(ruleset)), [str(contacts)], [], as_of=AS_OF).scored
    assert scored.select("lead_id", "fit_score").rows() == [("1", 17.0), ("2", 15.0), ("3", 0.0)]


# --------------------------------------------------------------------------- reasoning about text values

TEXT_RULESET = """version: 1
columns: {lead_id: id, job_title: title, country: country, industry: industry, company_size: size}
lists:
  dach: [" DE ", "at", "CH"]
fit:
  - {id: saas_retail, label: SaaS retail, when: 'industry = "SaaS" and industry = "Retail"', points: 10}
  - {id: us_not_us, label: US not US, when: 'country in ["US"] and country not in ["US"]', points: 5}
  - {id: us_in_europe, label: US in Europe, when: 'country = "US" and country in ["DE", "FR"]', points: 5}
  - {id: blank_ceo, label: Blank CEO, when: 'job_title is null and job_title = "CEO"', points: 5}
  - {id: saas_any_case, label: SaaS, when: 'industry = "SaaS" and industry in [" saas ", "retail"]', points: 3}
  - {id: dach_not_us, label: DACH, when: 'country in @dach and country != "us"', points: 3}
  - {id: ceo_contains, label: CEO, when: 'job_title contains "ceo" and job_title is null', points: 3}
disqualifiers:
  - {code: nowhere, category: bad_fit, when: 'country in @dach and country = "US"'}
  - {code: outside, category: bad_fit, when: 'country not in ["US"] and company_size < 10'}
tiers:
  - {name: held, when: 'bad_fit or (country = "de" and country = "at")'}
  - {name: blank_and_not, when: 'country is empty and not (country is empty)'}
  - {name: rest, otherwise: true}
"""


def test_text_conditions_that_can_never_be_true_are_reported(tmp_path):
    from leadq.lint import lint_ruleset

    (tmp_path / "r.yaml").write_text(TEXT_RULESET)
    found = [(f.code, f.subject, f.message) for f in lint_ruleset(str(tmp_path / "r.yaml")).findings
             if f.code in ("rule-unreachable", "disqualifier-unreachable", "tier-unreachable")]
    assert found == [
        ("rule-unreachable", "fit rule 'saas_retail'", "can never fire: `industry = \"SaaS\" and industry = "
         "\"Retail\"`: its conditions on industry contradict each other"),
        ("rule-unreachable", "fit rule 'us_not_us'", "can never fire: `country in [\"US\"] and country not in "
         "[\"US\"]`: its conditions on country contradict each other"),
        ("rule-unreachable", "fit rule 'us_in_europe'", "can never fire: `country = \"US\" and country in "
         "[\"DE\", \"FR\"]`: its conditions on country contradict each other"),
        ("rule-unreachable", "fit rule 'blank_ceo'", "can never fire: `job_title is null and job_title = "
         "\"CEO\"`: its conditions on job_title contradict each other"),
        ("disqualifier-unreachable", "disqualifier 'nowhere'",
         "can never apply: its conditions on country contradict each other"),
        ("tier-unreachable", "tier 'blank_and_not'", "can never match: its conditions on country contradict "
         "each other"),
    ]


@pytest.fixture(scope="module")
def reasoner():
    import dataclasses

    from leadq.condition_reasoning import Bound, Reasoner
    from leadq.ruleset_loader import load_ruleset
    from tests.conftest import RULESETS

    rs = dataclasses.replace(load_ruleset(str(RULESETS / "worked_example.yaml")),
                             lists={"dach": (" DE ", "at", "CH"), "sizes": (1, 2)})
    return Reasoner(rs, {"fit": Bound(-10, 40), "intent": Bound(0, 60), "total": Bound(-10, 100)})


@pytest.mark.parametrize("text, why", [
    ('industry = "SaaS" and industry = "Retail"', "its conditions on industry contradict each other"),
    ('country in ["US"] and country not in ["US"]', "its conditions on country contradict each other"),
    ('country = "US" and country in ["DE", "FR"]', "its conditions on country contradict each other"),
    ('job_title is null and job_title = "CEO"', "its conditions on job_title contradict each other"),
    ('industry = "SaaS" and industry = " saas "', None),  # case and spaces are ignored
    ('country in @dach and country = "de"', None),
    ('country in @dach and country = "US"', "its conditions on country contradict each other"),
    ('country not in ["US"] and country is null', None),  # `not in` is true of a blank
    ('country != "US" and country is null', "its conditions on country contradict each other"),
    ('country is empty and country = " "', None),  # a raw column may hold a blank that is not null
    ('country is empty and country = "x"', "its conditions on country contradict each other"),
    ('country is not empty and country = "  "', "its conditions on country contradict each other"),
    ("country is null and country is not null", "its conditions on country contradict each other"),
    ("not (country is null or country is not null)", "no value of country meets it"),
    ("country in []", "no value of country meets it"),
    ('not (country = "a") and country = "A "', "its conditions on country contradict each other"),
    ('(country = "a" or country = "b") and country = "c"', "its conditions on country contradict each other"),
    ('(country = "a" or country = "b") and country != "a"', None),
    ('(country = "a" or company_size > 5) and country = "c"', None),
    ('not (country = "a" and job_title = "b") and country = "a"', None),
    ('`Country` = "a" and country = "b"', None),  # a raw column and a field are reasoned about apart
    ('`Country` = "a" and `Country` = "b"', "its conditions on `Country` contradict each other"),
    ('created_at = "2026-01-01" and created_at = "2026-01-01 00:00"', None),  # dates, not text
    ('job_title matches "ceo" and job_title = "cto"', None),  # patterns are never reasoned about
    ('job_title contains "ceo" and job_title is null', None),
    ('job_title starts with "x" and not (job_title starts with "x")', None),
    ("company_size in @sizes and company_size not in @sizes", None),  # numbers: only intervals
    ('grade = "A" and grade != "A"', "no reachable grade meets it (reachable: A, B, C, D)"),
])
def test_text_reasoning(reasoner, text, why):
    assert reasoner.impossible(parse(text)) == why


@pytest.mark.parametrize("a, b, expected", [
    ('country = "US"', 'country in [" us ", "CA"]', True),
    ('country in ["US", "CA"]', 'country = "us"', False),
    ('country in @dach', 'country not in ["US"]', True),
    ('country not in ["US"]', 'country != "US"', False),  # a blank country is not in the list, nor != "US"
    ('country != "US"', 'country is not null', True),
    ('country = "de" and company_size > 10', 'country in @dach', True),
    ('country contains "de"', 'country contains "de"', True),
    ('country contains "de"', 'country is not null', False),
])
def test_text_implication(reasoner, a, b, expected):
    assert reasoner.implies(parse(a), parse(b)) is expected


# --------------------------------------------------------------------------- a blank number and a bound on it


@pytest.mark.parametrize("text, why", [
    ("company_size is null and company_size > 50", "its conditions on company_size contradict each other"),
    ("company_size > 50 and company_size is null", "its conditions on company_size contradict each other"),
    ("50 < company_size and company_size is null", "its conditions on company_size contradict each other"),
    ("company_size is null and company_size = 0", "its conditions on company_size contradict each other"),
    ("company_size is null and company_size between 1 and 5", "its conditions on company_size contradict each other"),
    ("not (company_size is not null) and company_size <= 10", "its conditions on company_size contradict each other"),
    ("company_size is null and (company_size > 5 or company_size < 3)",
     "its conditions on company_size contradict each other"),
    ('company_size is null and (company_size > 5 or country = "x")', None),  # a blank size with country x
    ("company_size is null and not (company_size > 50)", None),  # `not` of a false bound is true on a blank
    ("company_size is null and company_size not between 1 and 5", None),
    ("company_size is null or company_size > 50", None),
    ("company_size is not null and company_size > 50", None),
    ("`Size` is null and company_size > 50", None),  # a raw column and a field are reasoned about apart
])
def test_a_bound_on_a_blank_number_is_a_contradiction(reasoner, text, why):
    assert reasoner.impossible(parse(text)) == why


def test_validate_reports_a_rule_needing_a_blank_number_above_50(tmp_path):
    from leadq.lint import lint_ruleset

    (tmp_path / "r.yaml").write_text(
        "columns: {lead_id: id, company_size: size}\n"
        "fit:\n"
        "  - {id: blank_big, when: 'company_size is null and company_size > 50', points: 5}\n"
        "  - {id: big, when: 'company_size > 50', points: 5}\n"
        "tiers:\n"
        "  - {name: rest, otherwise: true}\n")
    found = [(f.severity, f.code, f.line, f.subject, f.message) for f in lint_ruleset(str(tmp_path / "r.yaml")).findings
             if f.code == "rule-unreachable"]
    assert found == [("warning", "rule-unreachable", 3, "fit rule 'blank_big'",
                      "can never fire: `company_size is null and company_size > 50`: its conditions on company_size "
                      "contradict each other")]


# Every number a condition below can tell apart: its bounds (0, 10, 50), a number between and beyond each, and blank.
_SIZES = [None, -1.0, 0.0, 0.5, 10.0, 10.5, 50.0, 50.5, 3000.0]
_SIZE_FRAME = pl.DataFrame({"size": _SIZES}, schema={"size": pl.Float64})
_SIZE_SCOPE = Scope(fields={"size": FieldRef(pl.col("size"), Type.NUMBER)})


def _size_conditions():
    from hypothesis import strategies as st

    bound = st.sampled_from(["0", "10", "50"])
    atom = st.one_of(
        st.builds(lambda op, n: f"size {op} {n}", st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), bound),
        st.builds(lambda op, n: f"{n} {op} size", st.sampled_from(["<", ">="]), bound),
        st.builds(lambda neg, a, b: f"size {neg}between {min(a, b, key=int)} and {max(a, b, key=int)}",
                  st.sampled_from(["", "not "]), bound, bound),
        st.sampled_from(["size is null", "size is not null"]),
    )
    return st.recursive(atom, lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
        st.builds(lambda a: f"not ({a})", inner)), max_leaves=6)


def test_a_number_condition_called_impossible_is_true_of_no_value(reasoner):
    """What validate calls impossible (bounds that exclude each other, a bound on a blank) holds for no
    number and not for a blank, as the compiled Polars expression evaluates it."""
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(_size_conditions())
    def check(text):
        if reasoner.impossible(parse(text)) is None:
            return
        held = _SIZE_FRAME.with_columns(compile_condition(text, _SIZE_SCOPE).alias("c"))["c"].to_list()
        assert not any(held), [v for v, h in zip(_SIZES, held) if h]

    check()


# --------------------------------------------------------------------------- has: items of multi-select values

ITEMS = pl.DataFrame({"industry": [
    "Computer Software;Internet",             # 0 HubSpot/Salesforce multi-select
    " computer software ; internet ",         # 1 spaces and case
    "Software",                               # 2 a single item
    "",                                       # 3 blank
    None,                                     # 4 null
    "Software;Computer Software Services",    # 5 an item inside another item
    "C++;R&D (EU)",                           # 6 regex-special characters
    "CXX;R&D EU;c+",                          # 7 what those would match were they a regex
    "Director, Sales",                        # 8 a comma is no separator
]})
ITEM_SCOPE = Scope(
    fields={"industry": FieldRef(pl.col("industry"), Type.TEXT), "size": FieldRef(pl.col("size"), Type.NUMBER)},
    lists={"targets": ("Internet", " c++ "), "none": (), "numbers": (1, 2)},
)


def has(text: str) -> list[int]:
    """Indexes of the rows of ITEMS where ``text`` holds."""
    hit = ITEMS.select(compile_condition(text, ITEM_SCOPE).alias("_c"))["_c"]
    return [i for i, v in enumerate(hit.to_list()) if v]


@pytest.mark.parametrize("text,rows", [
    ('industry has "Computer Software"', [0, 1]),
    ('industry has " COMPUTER SOFTWARE "', [0, 1]),
    ('industry has "Software"', [2, 5]),
    ('industry has "Internet"', [0, 1]),
    ('industry has "Computer"', []),
    ('industry has "C++"', [6]),
    ('industry has "R&D (EU)"', [6]),
    ('industry has "c+"', [7]),
    ('industry has "Director, Sales"', [8]),
    ('industry has "Sales"', []),
    ('industry has ["Internet", "C++"]', [0, 1, 6]),
    ('industry has any ["Internet", "C++"]', [0, 1, 6]),
    ('industry has all ["Internet", "computer software"]', [0, 1]),
    ('industry has all ["Internet", "C++"]', []),
    ('industry has all ["Internet"]', [0, 1]),
    ('industry has @targets', [0, 1, 6]),
    ('industry has any @targets', [0, 1, 6]),
    ('industry has all @targets', []),
    ('industry has []', []),
    ('industry has ["", " "]', []),
    ('industry has @none', []),
    ('industry has all @none', []),
    # A test on a blank value is false, so not of it is true (rows 3 and 4).
    ('industry not has "Software"', [0, 1, 3, 4, 6, 7, 8]),
    ('industry does not have "Software"', [0, 1, 3, 4, 6, 7, 8]),
    ('industry does not have any ["Internet", "C++"]', [2, 3, 4, 5, 7, 8]),
    ('industry not has all ["Internet", "computer software"]', [2, 3, 4, 5, 6, 7, 8]),
    ('industry not has @targets', [2, 3, 4, 5, 7, 8]),
    ('industry does not have all @targets', [0, 1, 2, 3, 4, 5, 6, 7, 8]),
    ('industry not has []', [0, 1, 2, 3, 4, 5, 6, 7, 8]),
    ('not industry has "Software"', [0, 1, 3, 4, 6, 7, 8]),
    ('industry has "Software" or industry has "C++"', [2, 5, 6]),
])
def test_has_tests_whole_items(text, rows):
    assert has(text) == rows


def test_contains_and_in_are_not_item_tests():
    # Why 'has' exists: 'in' compares the whole value, 'contains' any substring.
    assert has('industry in ["Computer Software"]') == []
    assert has('industry contains "Software"') == [0, 1, 2, 5]


def test_has_text_and_lists_are_lowered_to_a_regex_every_engine_runs():
    from leadq.conditions import HasItems, ItemPattern, ListRef, Logical, Not, TextMatch

    node = parse('industry has ["C++", "R&D (EU)"]')
    assert isinstance(node, TextMatch) and node.op == "matches" and not node.negated
    assert node.pattern == ItemPattern(13, r"(?:^|;)\s*(?:C\+\+|R&D \(EU\))\s*(?:;|$)", ("C++", "R&D (EU)"))
    node = parse('industry does not have all ["a", "b"]')
    assert isinstance(node, Not) and isinstance(node.operand, Logical) and node.operand.op == "and"
    assert [op.pattern.items for op in node.operand.operands] == [("a",), ("b",)]
    assert parse("industry not has @targets") == HasItems(13, parse("industry"), ListRef(17, "targets"), False, True)


@pytest.mark.parametrize("text,message,offset", [
    ("industry has other", "'has' takes quoted text, a list such as [\"a\", \"b\"] or a named list such as "
                           "@industries; found 'other'", 13),
    ('industry has ""', "'has' needs the text of an item; \"\" is blank", 13),
    ('industry has [1, "a"]', "'has' compares text: quote the item (1 -> \"1\")", 14),
    ("industry does not have", "'does not have' takes quoted text, a list such as [\"a\", \"b\"] or a named list "
                               "such as @industries; found the end of the condition", 22),
    ("industry not", None, None),
])
def test_has_syntax_errors(text, message, offset):
    if message is None:
        with pytest.raises(ConditionError, match="unexpected 'not'"):
            parse(text)
        return
    with pytest.raises(ConditionError) as exc:
        parse(text)
    assert (exc.value.message, exc.value.offset) == (message, offset)


@pytest.mark.parametrize("text,message,offset", [
    ('size has "5"', "'has' applies to text (items separated by ';'); this is a number value", 5),
    ("size has @targets", "'has' applies to text (items separated by ';'); this is a number value", 5),
    ("industry has @numbers", "'has' compares text; @numbers holds numbers", 13),
    ("industry has @target", "unknown list '@target'; did you mean 'targets'?; define it under 'lists'", 13),
])
def test_has_type_errors(text, message, offset):
    with pytest.raises(ConditionError) as exc:
        compile_condition(text, ITEM_SCOPE)
    assert (exc.value.message, exc.value.offset) == (message, offset)


def test_an_escaped_backslash_before_a_digit_is_no_backreference():
    from leadq.conditions import regex_problem

    assert regex_problem(r"a\\1") is None
    assert regex_problem(r"a\1") == "backreferences are not supported"
    assert regex_problem(r"a\\\1") == "backreferences are not supported"


HAS_RULESET = """version: 1
columns: {lead_id: id, industry: ind}
fit:
  - {id: software, when: 'industry has "Computer Software"', points: 1}
  - {id: any_of, when: 'industry has any ["Internet", "R&D (EU)"]', points: 10}
  - {id: all_of, when: 'industry has all ["computer software", "internet"]', points: 100}
  - {id: not_sw, when: 'industry does not have "Software"', points: 1000}
tiers:
  - {name: all, otherwise: true}
"""


def _has_case(tmp_path):
    (tmp_path / "rs.yaml").write_text(HAS_RULESET)
    pl.DataFrame({"id": ["1", "2", "3", "4", "5", "6"],
                  "ind": ["Computer Software;Internet", " computer software ; internet ", "Software", None,
                          "Software;Computer Software Services", "C++;R&D (EU)"]}).write_parquet(tmp_path / "c.parquet")
    return tmp_path / "rs.yaml", tmp_path / "c.parquet"


# 1 + 10 + 100 + 1000 for both spellings of the two items; a blank value has no "Software" (1000).
HAS_SCORES = [(1, 1111.0), (2, 1111.0), (3, 0.0), (4, 1000.0), (5, 0.0), (6, 1010.0)]


def test_has_scores_end_to_end(tmp_path):
    from tests.conftest import run_cli

    rs, contacts = _has_case(tmp_path)
    out = tmp_path / "out.csv"
    run_cli(["score", contacts, "-r", rs, "--as-of", "2026-11-01", "--out", out, "-q"])
    assert pl.read_csv(out).select("lead_id", "fit_score").rows() == HAS_SCORES
    result = run_cli(["validate", rs])
    assert result.stdout.strip() == f"{rs}: ok, no findings"


def test_has_in_sql_agrees_with_duckdb(tmp_path):
    pytest.importorskip("duckdb")
    from tests.conftest import run_cli

    rs, contacts = _has_case(tmp_path)
    out = tmp_path / "duck.csv"
    run_cli(["score", contacts, "-r", rs, "--engine", "duckdb", "--as-of", "2026-11-01", "--out", out, "-q"])
    assert pl.read_csv(out).select("lead_id", "fit_score").rows() == HAS_SCORES
    sql = run_cli(["sql", "-r", rs, "--as-of", "2026-11-01"]).stdout
    assert r"REGEXP_MATCHES(" in sql and r"(?:^|;)\s*(?:C\+\+|R&D \(EU\))" not in sql
    assert r"(?:^|;)[\t-\r\x{85}\p{Z}]*(?:Internet|R&D \(EU\))[\t-\r\x{85}\p{Z}]*(?:;|$)" in sql


def test_has_a_named_list_agrees_on_every_engine(tmp_path):
    pytest.importorskip("duckdb")
    from tests.conftest import run_cli

    # `has @list` is compiled once the lists are known: by the Polars compiler and by the SQL one.
    text = HAS_RULESET.replace("fit:\n", "lists:\n  web: [Internet, R&D (EU)]\n  both: [computer software, internet]\nfit:\n")
    text = text.replace('has any ["Internet", "R&D (EU)"]', "has @web").replace(
        'has all ["computer software", "internet"]', "has all @both")
    _, contacts = _has_case(tmp_path)
    (tmp_path / "rs.yaml").write_text(text)
    assert "has @web" in (tmp_path / "rs.yaml").read_text()
    for engine in ("polars", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        run_cli(["score", contacts, "-r", tmp_path / "rs.yaml", "--engine", engine, "--as-of", "2026-11-01",
                 "--out", out, "-q"])
        assert pl.read_csv(out).select("lead_id", "fit_score").rows() == HAS_SCORES, engine
