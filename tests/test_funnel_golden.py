"""Golden files for `leadq funnel`: the plain-text report (fixed width, no colour) and the JSON schema.

Regenerate after an intended change with ``LEADQ_UPDATE_GOLDEN=1 pytest tests/test_funnel_golden.py``
and review the diff.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import FIXTURES, ROOT, json_shape, run_cli

GOLDEN = ROOT / "tests" / "golden" / "funnel"
CONTACTS = str(FIXTURES / "funnel" / "contacts.csv")
RULESET = str(FIXTURES / "funnel" / "ruleset.yaml")
UPDATE = bool(os.environ.get("LEADQ_UPDATE_GOLDEN"))


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{name} differs; see the golden file"


def _plain(text: str) -> str:
    # Table padding leaves trailing spaces that editors strip; they carry no meaning.
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


@pytest.mark.parametrize("width", [40, 60, 80, 130])
def test_report_plain_text(monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.delenv("NO_COLOR", raising=False)
    result = run_cli(["funnel", CONTACTS, "-r", RULESET, "--as-of", "2026-07-01", "--by", "lead_source,tier"])
    assert "\x1b[" not in result.stdout  # no colour off a terminal
    _check(f"report_{width}.txt", _plain(result.stdout))


def test_json_document(tmp_path):
    out = tmp_path / "funnel.json"
    run_cli(["funnel", CONTACTS, "-r", RULESET, "--as-of", "2026-07-01", "--by", "lead_source", "--json", str(out),
             "-q"])
    _check("report.json", out.read_text(encoding="utf-8"))


def test_json_schema_keys(tmp_path):
    out = tmp_path / "funnel.json"
    run_cli(["funnel", CONTACTS, "-r", RULESET, "--as-of", "2026-07-01", "--by", "tier", "--json", str(out), "-q"])
    data = json.loads(out.read_text())
    # Per-tier SLA rows only exist when tiers are known; they appear in the schema too.
    _check("schema.txt", "\n".join(json_shape(data)) + "\n")


def test_score_summary_ends_with_the_compact_funnel(monkeypatch, tmp_path):
    monkeypatch.setenv("COLUMNS", "100")
    result = run_cli(["score", CONTACTS, "-r", RULESET, "--as-of", "2026-07-01", "-o", str(tmp_path / "s.csv")])
    tail = result.stdout.split("Funnel (")[1]
    _check("score_compact.txt", _plain("Funnel (" + tail.split("scored:")[0]))
