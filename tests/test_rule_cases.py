"""Golden rule cases: tests/cases/rules/*.yaml, each a ruleset fragment, rows and expected results.

A case file holds ``sections`` (merged over ``_base.yaml``) and ``cases``: contacts,
events and the expected fit / intent / total / grade / tier / reasons /
explanation per lead, all computed by hand (see the comments in each file).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml

from leadq.pipeline import score_frames
from leadq.ruleset_loader import load_ruleset
from tests.conftest import AS_OF

CASES_DIR = Path(__file__).parent / "cases" / "rules"
BASE = yaml.safe_load((CASES_DIR / "_base.yaml").read_text())
CONTACT_COLUMNS = [v if isinstance(v, str) else v["column"] for v in BASE["columns"].values()]
EVENT_COLUMNS = list(BASE["activity_columns"].values())


def _frame(rows: list[dict], columns: list[str]) -> pl.LazyFrame:
    return pl.LazyFrame({c: [r.get(c) for r in rows] for c in columns}, schema={c: pl.String for c in columns})


def _cases():
    for path in sorted(CASES_DIR.glob("[!_]*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for case in doc["cases"]:
            yield pytest.param(doc["sections"], case, id=f"{path.stem}: {case['name']}")


@pytest.mark.parametrize("sections,case", list(_cases()))
def test_rule_case(tmp_path, sections, case):
    ruleset_doc = {**BASE, **sections}
    path = tmp_path / "ruleset.yaml"
    path.write_text(yaml.safe_dump(ruleset_doc, sort_keys=False))
    ruleset = load_ruleset(str(path))
    events = _frame(case["events"], EVENT_COLUMNS) if case.get("events") else None
    result = score_frames(ruleset, _frame(case["contacts"], CONTACT_COLUMNS), events, as_of=AS_OF)
    rows = {r["lead_id"]: r for r in result.scored.to_dicts()}
    assert list(rows) == [c["lead_id"] for c in case["contacts"]], "every lead exactly once, in input order"
    for exp in case["expect"]:
        got = rows[exp["lead_id"]]
        for key, column in (("fit", "fit_score"), ("intent", "intent_score"), ("total", "total_score")):
            if key in exp:
                assert got[column] == pytest.approx(exp[key], abs=1e-9), (exp["lead_id"], key, got)
        for key, column in (("grade", "grade"), ("tier", "tier"), ("disqualified", "disqualified"),
                            ("reasons", "disqualification_reasons"), ("explanation", "explanation")):
            if key in exp:
                assert got[column] == exp[key], (exp["lead_id"], key, got[column])
