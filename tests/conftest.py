"""Shared test helpers: paths to fixtures and one way to run the CLI in-process."""

from __future__ import annotations

import os
import shutil
import signal
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
RULESETS = ROOT / "rulesets"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE_AS_OF = "2026-11-01"
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
# Scores of two engines agree to this: both snap to 9 decimals (leadq.compiler.snapped), and sums that
# differ in their last bits across a rounding boundary land one step (1e-9) apart.
ENGINE_SCORE_TOLERANCE = 1.5e-9


def sigterm_before(monkeypatch: pytest.MonkeyPatch, module, name: str) -> None:
    """Make ``module.name`` send this process SIGTERM before it runs: a scheduler stopping the job mid-run."""
    real = getattr(module, name)

    def terminated(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, terminated)


def run_cli(args: list[str], *, input: bytes | str | None = None, exit_code: int = 0):
    """Run `leadq ARGS` in-process and assert its exit code; return the Click result.

    stdout and stderr are kept apart (``result.stdout`` / ``result.stderr``).
    """
    from leadq.cli import app

    runner = CliRunner()
    result = runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)
    assert result.exit_code == exit_code, (
        f"exit {result.exit_code} != {exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


@pytest.fixture(autouse=True)
def _no_forced_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outputs are compared as plain text: a FORCE_COLOR set by the CI runner must not colour them."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.fixture(autouse=True)
def _repository_root_left_alone():
    """A test writes into tmp_path, never into the repository: a file it leaves in the root fails it.

    The file is removed once reported, so one offender cannot hide the next in the same run.
    """
    before = set(os.listdir(ROOT))
    yield
    new = sorted(n for n in set(os.listdir(ROOT)) - before if not n.startswith("."))
    for name in new:
        path = ROOT / name
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    assert not new, f"the test wrote {new} into the repository root {ROOT}; run it in tmp_path"


@pytest.fixture
def cli():
    """The run_cli helper as a fixture."""
    return run_cli


def json_shape(value, path: str = "$", maps: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Every key path of a JSON document with the type found there (lists: their first item), for
    golden files of a schema. ``maps``: paths of objects keyed by data, whose entries are one ``*``."""
    if isinstance(value, dict):
        out = [f"{path}: object"]
        for k, v in value.items():
            for line in json_shape(v, f"{path}.{'*' if path in maps else k}", maps):
                if line not in out:
                    out.append(line)
        return out
    if isinstance(value, list):
        return [f"{path}: array"] + (json_shape(value[0], f"{path}[]", maps) if value else [])
    kind = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}[type(value)]
    return [f"{path}: {kind}"]
