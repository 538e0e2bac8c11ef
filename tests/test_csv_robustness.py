"""Hostile or damaged CSV input and output names: wide headers, renamed repeats, NUL bytes, stray
carriage returns, invalid UTF-8, formula-like header cells, a folder given as --out."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from leadq.csv_input import clean_column_names, free_name
from tests.conftest import run_cli

RULESET = """\
version: 1
columns: {lead_id: Lead ID, job_title: Title, company_size: Employees}
fit:
  - id: dir
    when: job_title matches "director"
    points: 10
  - id: big
    when: company_size > 100
    points: 10
tiers:
  - name: x
    otherwise: true
"""


@pytest.fixture
def ruleset(tmp_path: Path) -> Path:
    path = tmp_path / "rs.yaml"
    path.write_text(RULESET)
    return path


def csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


# --- header names: linear, and renamed copies never take a name the header has ---------------------


def test_wide_header_is_cleaned_in_linear_time():
    # 200,000 names took minutes with a list lookup per name; a set makes it milliseconds.
    raw = [f"c{i}" for i in range(200_000)] + ["c7", "c7"]
    names = clean_column_names(raw, "wide.csv")
    assert len(names) == 200_002
    assert len(set(names)) == 200_002
    assert names[-2:] == ["c7 (column 200001)", "c7 (column 200002)"]


def test_repeated_name_never_takes_a_name_the_header_has():
    names = clean_column_names(["Lead ID", "Title", "Employees", "X", "X (column 6)", "X"], "f.csv")
    assert names == ["Lead ID", "Title", "Employees", "X", "X (column 6)", "X (column 6) (2)"]
    # A later column's own name is kept too: the copy gives way, not the column named so.
    assert clean_column_names(["X", "X", "X (column 2)"], "f.csv") == ["X", "X (column 2) (2)", "X (column 2)"]
    assert clean_column_names(["a", " ", "a", " a "], "f.csv") == ["a", "column_2", "a (column 3)", "a (column 4)"]


def test_free_name():
    assert free_name("reason (input)", {"reason"}) == "reason (input)"
    assert free_name("reason (input)", {"reason (input)", "reason (input) (2)"}) == "reason (input) (3)"


def test_repeat_named_like_a_renamed_copy_scores(tmp_path: Path, ruleset: Path):
    # The third X was renamed 'X (column 6)', the fifth column's name: Polars stopped the run (exit 70).
    contacts = tmp_path / "c.csv"
    contacts.write_text("Lead ID,Title,Employees,X,X (column 6),X\nA,Director,500,1,2,3\n")
    out = tmp_path / "o.csv"
    run_cli(["score", contacts, "-r", ruleset, "-o", out, "-q", "--keep-columns", "X (column 6),X (column 6) (2)"])
    header, row = csv_rows(out)
    assert header[-2:] == ["X (column 6)", "X (column 6) (2)"]
    assert row[0] == "A" and row[-2:] == ["2", "3"]
