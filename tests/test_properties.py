"""Property-based tests: the condition language never crashes; CSV output round-trips and is safe."""

from __future__ import annotations

import dataclasses
import io

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadq.condition_compiler import FieldRef, Scope, compile_condition
from leadq.condition_parser import parse
from leadq.conditions import Type
from leadq.errors import ConditionError
from leadq.outputs import write_frame

SCOPE = Scope(
    fields={
        "title": FieldRef(pl.col("title"), Type.TEXT),
        "size": FieldRef(pl.col("size"), Type.NUMBER),
        "flag": FieldRef(pl.col("flag"), Type.BOOL),
    },
    lists={"words": ("a", "b")},
    grades=("A", "B"),
)
FRAME = pl.DataFrame({"title": ["CTO", None, "intern"], "size": [10.0, None, 3000.0], "flag": [True, None, False]})

TOKENS = ["title", "size", "flag", "and", "or", "not", "in", "between", "matches", "contains", "starts", "ends",
          "with", "is", "null", "empty", "true", "false", "(", ")", "[", "]", ",", "=", "!=", "<", "<=", ">", ">=",
          "+", "-", "*", "/", "@words", "@nope", "'x'", '"cto"', "12", "3.5", "`title`", "days_since", "?", "'"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join)))
def test_any_text_compiles_or_fails_cleanly(text):
    """Arbitrary text either compiles to an expression that evaluates, or raises ConditionError."""
    try:
        expr = compile_condition(text, SCOPE)
    except ConditionError as exc:
        assert exc.message and 0 <= exc.offset <= len(text)
        return
    out = FRAME.with_columns(expr.alias("_c"))["_c"]
    assert out.dtype == pl.Boolean and out.null_count() == 0


_atom = st.one_of(
    st.builds(lambda op, n: f"size {op} {n}", st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
              st.integers(-5, 5000)),
    st.builds(lambda w: f'title contains "{w}"', st.sampled_from(["c", "intern", "zz"])),
    st.builds(lambda w: f'title matches "^{w}"', st.sampled_from(["c", "i", "x"])),
    st.just("title is null"), st.just("flag"), st.just("title in @words"),
    st.builds(lambda a, b: f"size between {min(a, b)} and {max(a, b)}", st.integers(0, 4000), st.integers(0, 4000)),
)
def _combined(atom: st.SearchStrategy[str], max_leaves: int) -> st.SearchStrategy[str]:
    """Conditions made of ``atom`` with and, or and not, up to ``max_leaves`` atoms."""
    return st.recursive(
        atom,
        lambda inner: st.one_of(
            st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
            st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
            st.builds(lambda a: f"not ({a})", inner),
        ),
        max_leaves=max_leaves,
    )


_condition = _combined(_atom, 8)


@settings(max_examples=200, deadline=None)
@given(_condition)
def test_not_is_the_complement(text):
    """Two-valued logic: `not C` is exactly the complement of C, blanks included."""
    pos = FRAME.with_columns(compile_condition(text, SCOPE).alias("c"))["c"].to_list()
    neg = FRAME.with_columns(compile_condition(f"not ({text})", SCOPE).alias("c"))["c"].to_list()
    assert [not v for v in pos] == neg


def test_deep_nesting_is_refused_cleanly():
    for text in ["(" * 5000 + "flag" + ")" * 5000, "not " * 5000 + "flag", "- " * 5000 + "1 > 0"]:
        try:
            compile_condition(text, SCOPE)
        except ConditionError:
            continue
        raise AssertionError("expected a ConditionError")


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_text, st.floats(allow_nan=False, allow_infinity=False, width=64)), min_size=1,
                max_size=20))
def test_csv_round_trip_and_formula_safety(rows):
    """Scored CSV read back gives the same values; every dangerous text cell is neutralised."""
    df = pl.DataFrame({"lead_id": [f"L{i}" for i in range(len(rows))], "note": [r[0] for r in rows],
                       "total_score": [r[1] for r in rows]})
    buf = io.BytesIO()
    write_frame(df, "-", "csv", stdout=buf)
    back = pl.read_csv(io.BytesIO(buf.getvalue()), infer_schema=False)
    assert back["lead_id"].to_list() == df["lead_id"].to_list()
    assert [float(v) for v in back["total_score"].to_list()] == df["total_score"].to_list()
    for original, written in zip(df["note"].to_list(), back["note"].to_list()):
        written = written or ""
        if original[:1] in ("=", "+", "-", "@", "\t", "\r"):
            assert written == "'" + original
        else:
            assert written == original


# A text field's possible values, blank and padded or in other cases included; `raw` holds them as a raw
# column may (a blank text that is not null), `title` as leadq's cleaning leaves a typed field.
_VALUES = [None, "", "  ", "CTO", "cto", " Cto ", "a", "A", " b", "intern", "x y"]
_TEXT_FRAME = pl.DataFrame({"title": [v if v is None or v.strip() else None for v in _VALUES], "raw": _VALUES})
_TEXT_SCOPE = Scope(
    fields={"title": FieldRef(pl.col("title"), Type.TEXT), "size": FieldRef(pl.col("size"), Type.NUMBER)},
    raw_columns={"Raw": FieldRef(pl.col("raw"), Type.TEXT)},
    lists={"words": ("a", " B "), "none": ()},
)
_literal = st.sampled_from(['"cto"', '" CTO "', '"a"', '"B"', '""', '" "', '"zz"'])
_subject = st.sampled_from(["title", "`Raw`"])
_text_atom = st.one_of(
    st.builds(lambda s, op, v: f"{s} {op} {v}", _subject, st.sampled_from(["=", "!="]), _literal),
    st.builds(lambda s, neg, items: f"{s} {neg}in [{', '.join(items)}]", _subject, st.sampled_from(["", "not "]),
              st.lists(_literal, max_size=3)),
    st.builds(lambda s, neg, ref: f"{s} {neg}in {ref}", _subject, st.sampled_from(["", "not "]),
              st.sampled_from(["@words", "@none"])),
    st.builds(lambda s, test: f"{s} is {test}", _subject,
              st.sampled_from(["null", "not null", "empty", "not empty"])),
    st.builds(lambda s, op, v: f"{s} {op} {v}", _subject, st.sampled_from(["contains", "starts with", "ends with"]),
              _literal),
    st.builds(lambda s, p: f'{s} matches "{p}"', _subject, st.sampled_from(["^c", "^$", "o$", "."])),
)
_text_condition = _combined(_text_atom, 6)


@pytest.fixture(scope="module")
def text_reasoner():
    from leadq.condition_reasoning import Bound, Reasoner
    from leadq.ruleset_loader import load_ruleset
    from tests.conftest import RULESETS

    ruleset = dataclasses.replace(load_ruleset(str(RULESETS / "worked_example.yaml")), lists=_TEXT_SCOPE.lists)
    return Reasoner(ruleset, {"fit": Bound(-10, 40), "intent": Bound(0, 60), "total": Bound(-10, 100)})


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_text_condition)
def test_a_text_condition_called_impossible_is_true_of_no_value(text_reasoner, text):
    """What validate calls impossible is false for every value, blank, padded or in any case."""
    if text_reasoner.impossible(parse(text)) is None:
        return
    held = _TEXT_FRAME.with_columns(compile_condition(text, _TEXT_SCOPE).alias("c"))["c"].to_list()
    assert not any(held), [v for v, h in zip(_VALUES, held) if h]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_text_condition, _text_condition)
def test_a_text_condition_said_to_imply_another_does_for_every_value(text_reasoner, a, b):
    """When validate says every lead meeting A meets B (a shadowed tier), no value meets A and not B."""
    if not text_reasoner.implies(parse(a), parse(b)):
        return
    held = _TEXT_FRAME.with_columns(compile_condition(f"({a}) and not ({b})", _TEXT_SCOPE).alias("c"))["c"]
    assert not any(held.to_list()), [v for v, h in zip(_VALUES, held.to_list()) if h]
