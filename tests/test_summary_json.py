"""The --summary-json document of `leadq score`: its version and every key, pinned.

Regenerate after an intended change with ``LEADQ_UPDATE_GOLDEN=1 pytest tests/test_summary_json.py``,
review the diff, and raise ``leadq.summary.SUMMARY_SCHEMA_VERSION`` when a key was renamed or removed.
"""

from __future__ import annotations

import json
import os

from leadq import __version__
from leadq.summary import SUMMARY_SCHEMA_VERSION
from tests.conftest import ROOT, SAMPLE, json_shape, run_cli

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
