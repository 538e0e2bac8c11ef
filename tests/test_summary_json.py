"""The --summary-json document of `leadq score`: its version and every key, pinned.

Regenerate after an intended change with ``LEADQ_UPDATE_GOLDEN=1 pytest tests/test_summary_json.py``,
review the diff, and raise ``leadq.summary.SUMMARY_SCHEMA_VERSION`` when a key was renamed or removed.
"""

from __future__ import annotations

import json
import os

import polars as pl

from leadq import __version__
from leadq.ruleset_loader import load_ruleset
from leadq.summary import SUMMARY_SCHEMA_VERSION
from tests.conftest import FIXTURES, ROOT, RULESETS, SAMPLE, json_shape, run_cli

GOLDEN = ROOT / "tests" / "golden" / "score" / "summary_schema.txt"
UPDATE = bool(os.environ.get("LEADQ_UPDATE_GOLDEN"))

# Objects whose keys are data (reasons, rules, routes, owners, files, columns ...), not names of
# the schema: their entries are written as one "*" entry.
MAPS = {
    "$.rejected_by_reason", "$.events.by_rule", "$.blanked_values", "$.ranged_values", "$.partly_missing_columns",
    "$.report_rows", "$.error_cells", "$.routing.routes", "$.routing.owners", "$.routing.owners.*",
    "$.routing.capacity", "$.routing.unassigned", "$.routing.flags", "$.routing.nurture_tracks", "$.accounts.tiers",
}


def test_every_key_of_the_summary_json_is_pinned(tmp_path):
    # A run that fills every section: events, accounts and their rollup, routing, the funnel, changes.
    out = tmp_path / "scored.parquet"
    common = ["-a", str(SAMPLE / "events" / "*.csv"), "--accounts", SAMPLE / "accounts.csv", "--rollup", "account",
              "-o", out, "-q"]
    run_cli(["score", SAMPLE / "contacts.csv", "--as-of", "2026-10-01", *common])
    result = run_cli(["score", SAMPLE / "contacts.csv", "--as-of", "2026-11-01", "--previous", out,
                      "--summary-json", "-", *common])
    data = json.loads(result.stdout)
    assert (data["schema_version"], data["leadq_version"]) == (SUMMARY_SCHEMA_VERSION, __version__)
    assert list(data)[:2] == ["schema_version", "leadq_version"]
    text = "\n".join(json_shape(data, maps=MAPS)) + "\n"
    if UPDATE:
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.read_text(encoding="utf-8") == text, "the summary's keys changed; see tests/golden/score"


def _three_leads(tmp_path, created: list[str]):
    """Three sample contacts (lines 2-4 of the sample export) with these creation dates."""
    frame = pl.read_csv(SAMPLE / "contacts.csv", infer_schema=False).head(3) \
        .with_columns(pl.Series("Create Date", created))
    path = tmp_path / "contacts.csv"
    frame.write_csv(path)
    return path


def test_leads_created_after_the_as_of_are_scored_kept_and_counted(tmp_path):
    contacts = _three_leads(tmp_path, ["2026-10-01 10:00", "2026-10-27 01:14", "2026-11-02 00:00"])
    out = tmp_path / "out.csv"
    result = run_cli(["score", contacts, "--as-of", "2026-10-27", "-o", out, "--summary-json", tmp_path / "s.json"])
    assert pl.read_csv(out).height == 3  # every input lead, once
    assert json.loads((tmp_path / "s.json").read_text())["leads_created_after_as_of"] == 2
    assert "\n2 leads created after --as-of 2026-10-27 (a backfill of data exported later?)\n" in result.stdout


def test_no_lead_created_after_the_as_of_is_0_and_no_line(tmp_path):
    contacts = _three_leads(tmp_path, ["2026-10-01 10:00", "2026-10-27 00:00", ""])  # at the as-of: not after
    result = run_cli(["score", contacts, "--as-of", "2026-10-27", "-o", tmp_path / "out.csv",
                      "--summary-json", tmp_path / "s.json"])
    assert json.loads((tmp_path / "s.json").read_text())["leads_created_after_as_of"] == 0
    assert "created after" not in result.stdout


def test_a_ruleset_without_created_at_gives_null(tmp_path):
    worked = FIXTURES / "worked_example"
    run_cli(["score", worked / "contacts.csv", "-r", RULESETS / "worked_example.yaml", "--as-of", "2026-10-27",
             "-o", tmp_path / "o.csv", "--summary-json", tmp_path / "s.json", "-q"])
    assert json.loads((tmp_path / "s.json").read_text())["leads_created_after_as_of"] is None


def test_every_name_of_the_ruleset_is_listed_with_its_count_0_included(tmp_path):
    ruleset = load_ruleset(None)
    result = run_cli(["score", SAMPLE / "contacts.csv", "-a", SAMPLE / "events" / "*.csv", "--as-of", "2026-11-01",
                      "-o", tmp_path / "o.parquet", "--summary-json", tmp_path / "s.json"])
    data = json.loads((tmp_path / "s.json").read_text())
    codes = list(dict.fromkeys(d.code for d in ruleset.disqualifiers))
    assert [r["name"] for r in data["reasons"]] == codes
    zero = [r for r in data["reasons"] if r["count"] == 0]
    assert zero and all(r["share"] == 0.0 and r["label"] for r in zero)
    routing = ruleset.actions.routing
    assert list(data["routing"]["routes"]) == list(routing.routes)
    assert data["routing"]["routes"]["enterprise_ae"] == 0
    assert list(data["routing"]["flags"]) == [f.id for f in routing.flags]
    assert list(data["routing"]["nurture_tracks"]) == [t.id for t in ruleset.actions.nurture.tracks]
    assert list(data["routing"]["unassigned"]) == [r for r in routing.routes if routing.owners(r)]
    # The terminal's lines leave the zeros out; the tiers table keeps its rows.
    assert "enterprise_ae" not in result.stdout.split("routes: ")[1].splitlines()[0]
    assert "without an owner" not in result.stdout
    # A tier's label is its description (the first of a name's tiers that has one); a ruleset gives tiers no category.
    assert [(t["name"], t["label"], t["category"]) for t in data["tiers"]][:2] == [
        ("disqualified", "Bad fit; never routed to sales.", ""), ("nurture", "Bad timing; stays in marketing programs.", "")]
