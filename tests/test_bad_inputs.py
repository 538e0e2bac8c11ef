"""The bad-input corpus (tests/bad_inputs/), driven by its manifest cases.yaml.

Every case runs ``leadq score`` in-process through :func:`conftest.run_cli`,
checks the exit code and the one-line message, and, when the manifest says so,
the summary figures, the scored rows and the rejects file. A second test runs
the installed console script in a subprocess over the whole corpus and checks
that no Python traceback ever reaches the user.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.conftest import SAMPLE_AS_OF, run_cli

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))["cases"]

_RULESET_HEAD = "version: 1\ncolumns:\n  lead_id: Lead ID\n  company_size: Employees\n"
_TIERS = "tiers:\n  - name: nurture\n    otherwise: true\n"


def _generate(spec: dict, out: Path) -> None:
    """Write the files too big to commit (the ruleset size limits)."""
    path = out / spec["path"]
    if spec["kind"] == "oversize":
        pad = "# " + "padding " * 12 + "\n"
        body = _RULESET_HEAD + pad * (1_100_000 // len(pad)) + _TIERS
    elif spec["kind"] == "too_many_rules":
        rules = "".join(f"  - {{id: r{i}, when: company_size > {i}, points: 1}}\n" for i in range(5001))
        body = _RULESET_HEAD + "fit:\n" + rules + _TIERS
    else:  # pragma: no cover - a manifest typo
        raise ValueError(spec["kind"])
    path.write_text(body, encoding="utf-8")


def _fill(value, out: Path):
    """Substitute {dir} and {out} in a manifest value (recursively)."""
    if isinstance(value, str):
        return value.replace("{dir}", str(CORPUS)).replace("{out}", str(out))
    if isinstance(value, list):
        return [_fill(v, out) for v in value]
    if isinstance(value, dict):
        return {_fill(k, out): _fill(v, out) for k, v in value.items()}
    return value


def command_for(case: dict, out: Path) -> list[str]:
    """The `leadq` arguments of a case (generated files are written into ``out``)."""
    if "generate" in case:
        _generate(case["generate"], out)
    if "command" in case:
        return [_fill(str(a), out) for a in case["command"]]
    inputs = [str(CORPUS / p) for p in case.get("input", ["good_contacts.csv"])]
    ruleset = _fill(case.get("ruleset", "base_ruleset.yaml"), out)
    ruleset = ruleset if os.path.isabs(ruleset) else str(CORPUS / ruleset)
    base = ["score", *inputs, "-r", ruleset, "--as-of", SAMPLE_AS_OF,
            "-o", str(out / "scored.csv"), "--summary-json", str(out / "summary.json")]
    return base + _fill(case.get("args", []), out)


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input_case(case: dict, tmp_path: Path) -> None:
    result = run_cli(command_for(case, tmp_path), exit_code=case["exit"])
    message = _fill(case.get("message"), tmp_path)
    if message:
        assert message in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1, f"expected one line:\n{result.stderr}"
    if case["exit"] >= 2:
        assert result.stderr.startswith("leadq: error: ")
        assert not (tmp_path / "scored.csv").exists(), "a failed run must not write its output"
        assert not (tmp_path / "scored.rejects.csv").exists()
    if "summary" in case:
        summary = json.loads((tmp_path / "summary.json").read_text())
        for key, want in _fill(case["summary"], tmp_path).items():
            assert summary[key] == want, (key, summary[key])
        # Accounting: every input row is scored or rejected, per file and in total.
        assert summary["input_rows"] == summary["scored"] + summary["rejected"]
        for f in summary["files"]:
            assert f["rows"] == f["scored"] + f["rejected"], f
    if "rows" in case:
        got = _read_csv(tmp_path / "scored.csv")
        assert [r["lead_id"] for r in got] == [r["lead_id"] for r in case["rows"]]
        for want, row in zip(case["rows"], got):
            assert {k: row[k] for k in want} == want
    if "rejects" in case:
        got = _read_csv(tmp_path / "scored.rejects.csv")
        assert [int(r["source_row"]) for r in got] == [row for row, _ in case["rejects"]]
        for (_, reason), row in zip(case["rejects"], got):
            assert row["reason"].startswith(reason), row["reason"]
            assert row["source_file"].endswith(case["input"][0])


def test_every_corpus_file_is_used() -> None:
    """A file in the corpus that no case mentions is a case nobody checks."""
    text = (CORPUS / "cases.yaml").read_text(encoding="utf-8")
    unused = [p.name for p in CORPUS.iterdir() if p.name != "cases.yaml" and p.name not in text
              and p.name != "base_ruleset.yaml"]  # the default ruleset of the data cases
    assert unused == []


def _console_script() -> str:
    found = shutil.which("leadq", path=os.path.dirname(sys.executable)) or shutil.which("leadq")
    if found is None:  # pragma: no cover - not installed
        pytest.skip("the leadq console script is not installed")
    return found


def test_console_script_never_prints_a_traceback(tmp_path: Path) -> None:
    """Run the installed `leadq` over the whole corpus: documented exit codes, never a traceback."""
    script = _console_script()

    def run(case: dict) -> tuple[str, int, int, str]:
        out = tmp_path / case["name"]
        out.mkdir()
        proc = subprocess.run([script, *command_for(case, out)], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "LEADQ_DEBUG": "", "NO_COLOR": "1"})
        return case["name"], proc.returncode, case["exit"], proc.stderr

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, CASES))
    for name, code, want, stderr in results:
        assert "Traceback" not in stderr, f"{name}:\n{stderr}"
        assert code == want, f"{name}: exit {code} != {want}\n{stderr}"
        if want >= 2:
            assert stderr.startswith("leadq: error: ") and stderr.count("\n") == 1, f"{name}:\n{stderr}"
