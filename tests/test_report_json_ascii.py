"""`--json -` to a stdout that cannot encode UTF-8 (PYTHONIOENCODING=ascii, a Latin-1 locale).

Such a stdout wrote every character it lacks as '?' (the errors handler the terminal reports need):
'Zoë' came out as "Zo?" and the JSON no longer held the data. It is now written in ASCII, each
other character as JSON's \\uXXXX escape (ensure_ascii), and reads back exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

RULESET = """\
version: 1
name: "Région 🚀"
columns: {lead_id: id, job_title: title}
fit:
  - {id: ceo, label: "Geschäftsführer €", when: 'job_title = "Geschäftsführer"', points: 10}
tiers:
  - {name: all, otherwise: true}
"""


def _explain_json(tmp_path, encoding: str) -> bytes:
    """`leadq explain Zoë ... --json -` in a subprocess whose stdout has ``encoding``; its stdout bytes."""
    (tmp_path / "r.yaml").write_text(RULESET, encoding="utf-8")
    (tmp_path / "c.csv").write_text("id,title\nZoë,Geschäftsführer\n", encoding="utf-8")
    cmd = [sys.executable, "-c", "from leadq.cli import main; main()", "explain", "Zoë", "c.csv", "-r", "r.yaml",
           "--as-of", "2026-11-01", "--json", "-"]
    env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, timeout=120, env=env)
    assert (proc.returncode, proc.stderr) == (0, b"")
    return proc.stdout


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_json_to_a_stdout_without_utf8_is_escaped_and_exact(tmp_path, encoding):
    out = _explain_json(tmp_path, encoding)
    text = out.decode("ascii")  # nothing but ASCII: no '?' stand-ins, no Latin-1 bytes
    assert "?" not in text
    data = json.loads(text)
    lead = data["leads"][0]
    assert data["ruleset"] == "Région 🚀"
    assert (lead["lead_id"], lead["rules"][0]["label"], lead["rules"][0]["values"]) == \
        ("Zoë", "Geschäftsführer €", {"job_title": "Geschäftsführer"})
    # JSON's own escapes, a surrogate pair for the rocket, in the layout of the UTF-8 output.
    assert '  "ruleset": "R\\u00e9gion \\ud83d\\ude80",\n' in text
    assert '      "lead_id": "Zo\\u00eb",\n' in text
    assert '          "label": "Gesch\\u00e4ftsf\\u00fchrer \\u20ac",\n' in text
    assert text == json.dumps(data, indent=2, ensure_ascii=True) + "\n"


def test_json_to_a_utf8_stdout_keeps_its_characters(tmp_path):
    out = _explain_json(tmp_path, "utf-8")
    text = out.decode("utf-8")
    assert '  "ruleset": "Région 🚀",\n' in text and '      "lead_id": "Zoë",\n' in text
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
