"""Every file a `leadq score` run writes is locked, and --summary-json tells every failure from yesterday's success.

Two runs with ``-o -`` share the default ``scored.rejects.csv``; two with different ``--out`` may share
``--rejects``, ``--changes`` or ``--summary-json``: the second silently replaced the first one's files.
Another run is stood for by this process holding the lock (:func:`leadq.output_lock.output_lock`): a
flock is held per open file, so the run in-process finds it taken as another process's would be.

A monitor reading ``--summary-json`` must not take a failure for the last success: a bad option value or
ruleset (exit 2, once the file is known to be usable), an interrupt (130) and ``--max-tier-changes``
(5, with the run's figures) write ``"status": "failed"`` there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from leadq import __version__
from leadq import output_lock as lock_module
from leadq.output_lock import lock_order, lock_path, output_lock
from leadq.summary import SUMMARY_SCHEMA_VERSION
from tests.conftest import RULESETS, run_cli, sigterm_before

pytestmark = pytest.mark.skipif(lock_module.fcntl is None, reason="no flock here")

RULESET = RULESETS / "worked_example.yaml"
RULESET_NAME = "Worked example (Marketing Director ICP)"
AS_OF = "2026-10-27"
HEADER = "Lead ID,Email,Title,Company,Employees,Industry,Country"
INTERRUPTED = "interrupted; the previous output was left intact"


def _contacts(tmp_path: Path, leads: int = 3, without_id: int = 0, first: int = 0) -> Path:
    """``leads`` Marketing Directors at a UK SaaS company of 500 (L<first>...: 35 points, nurture) and
    ``without_id`` rows without a lead id (rejected)."""
    rows = [HEADER]
    rows += [f"L{i},p{i}@saasco.co.uk,Marketing Director,SaaSCo,500,SaaS,United Kingdom"
             for i in range(first, first + leads)]
    rows += [f",x{i}@saasco.co.uk,Marketing Director,SaaSCo,500,SaaS,United Kingdom" for i in range(without_id)]
    path = tmp_path / "in" / f"contacts{first}.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n".join(rows) + "\n")
    return path


def _score(contacts, *extra, exit_code: int = 0):
    return run_cli(["score", contacts, "-r", RULESET, "--as-of", AS_OF, "-q", *extra], exit_code=exit_code)


def _error(result) -> str:
    """The one error line of a run, without its prefix."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("leadq: error: "), result.stderr
    return lines[0][len("leadq: error: "):]


def _held(path, lock=None) -> str:
    """The message of a run refused because this process (standing for the other run) holds ``path``'s lock."""
    lock = lock or lock_path(str(path))
    return f"{path} is being written by another leadq run (pid {os.getpid()}), which holds {lock}; wait for it to end"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _failed(exit_code: int, error: str, ruleset: str | None = RULESET_NAME,
            as_of: str | None = "2026-10-27T00:00:00Z") -> dict:
    return {"schema_version": SUMMARY_SCHEMA_VERSION, "leadq_version": __version__, "status": "failed",
            "exit_code": exit_code, "error": error, "ruleset": ruleset, "as_of": as_of}


# --------------------------------------------------------------------------- #
# The locks of every output
# --------------------------------------------------------------------------- #


def test_two_runs_to_stdout_share_the_default_rejects_and_the_second_refuses(tmp_path, monkeypatch):
    """The operator's case: `-o -` twice; the second run wrote scored.rejects.csv under the first one's feet."""
    monkeypatch.chdir(tmp_path)
    contacts = _contacts(tmp_path, without_id=2)
    with output_lock("scored.rejects.csv"):  # the first run, still scoring
        result = _score(contacts, "-o", "-", exit_code=4)
        assert _error(result) == (_held("scored.rejects.csv") + " (where the rejects go by default; name another "
                                  "file with --rejects PATH)")
        assert result.stdout == ""
        assert sorted(p.name for p in tmp_path.iterdir()) == [".scored.rejects.csv.lock", "in"]
    # Alone, the same run writes its rejects and leaves no lock.
    result = _score(contacts, "-o", "-")
    assert len(result.stdout.splitlines()) == 4  # header and 3 leads
    assert (tmp_path / "scored.rejects.csv").read_text().count("\n") == 3  # header and 2 rows
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "scored.rejects.csv"]


@pytest.mark.parametrize("held", ["--out", "--rejects", "--changes", "--summary-json", "accounts"])
def test_a_run_finding_any_of_its_outputs_locked_exits_4_and_writes_nothing(tmp_path, held):
    contacts = _contacts(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out, rejects, changes, summary = (out_dir / "b.csv", out_dir / "shared.rejects.csv", out_dir / "handoff.csv",
                                      out_dir / "summary.json")
    accounts = out_dir / "b.accounts.csv"
    args = ["-o", out, "--rejects", rejects, "--summary-json", summary]
    ruleset = RULESET
    if held == "--changes":
        args += ["--previous", out, "--changes", changes]
    if held == "accounts":
        # A ruleset with an accounts section (read before the locks are taken; the contacts are read after).
        ruleset = RULESETS / "b2b_saas.yaml"
        args += ["--rollup", "account"]
    for path in (out, rejects, changes, summary, accounts):
        path.write_text(f"the other run's {path.name}\n")
    before = _files(out_dir)
    target = {"--out": out, "--rejects": rejects, "--changes": changes, "--summary-json": summary,
              "accounts": accounts}[held]
    with output_lock(str(target)):
        result = run_cli(["score", contacts, "-r", ruleset, "--as-of", AS_OF, "-q", *args],
                         exit_code=4)
        assert _error(result) == _held(target)
        after = _files(out_dir)
    # No output replaced, nothing left beside them but the other run's lock. The summary holds this run's
    # failure, unless it is the file the other run holds.
    recorded = after.pop("summary.json")
    others = {k: v for k, v in before.items() if k != "summary.json"}
    assert after == {**others, f".{target.name}.lock": f"{os.getpid()}\n".encode()}
    if held == "--summary-json":
        assert recorded == before["summary.json"]
    else:
        assert json.loads(recorded) == _failed(4, _held(target), "B2B SaaS (sales-led)" if held == "accounts"
                                               else RULESET_NAME)
    assert {k: v for k, v in _files(out_dir).items() if k != "summary.json"} == others


def test_the_summary_of_the_run_holding_it_is_not_replaced_by_the_refused_run(tmp_path):
    contacts = _contacts(tmp_path)
    summary = tmp_path / "summary.json"
    summary.write_text('{"status": "ok"}\n')  # the first run's, as it ends
    with output_lock(str(summary)):
        result = _score(contacts, "-o", tmp_path / "b.csv", "--summary-json", summary, exit_code=4)
        assert _error(result) == _held(summary)
    assert summary.read_text() == '{"status": "ok"}\n'
    assert not (tmp_path / "b.csv").exists() and not (tmp_path / "b.rejects.csv").exists()


def test_a_refused_run_records_its_failure_in_its_own_summary(tmp_path):
    """Another run holds --out; this run's --summary-json is its own: the monitor of this run learns of exit 4."""
    contacts = _contacts(tmp_path)
    out, summary = tmp_path / "shared.csv", tmp_path / "mine.json"
    summary.write_text('{"status": "ok"}\n')  # yesterday's
    with output_lock(str(out)):
        result = _score(contacts, "-o", out, "--summary-json", summary, exit_code=4)
        assert _error(result) == _held(out)
    assert json.loads(summary.read_text()) == _failed(4, _held(out))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "mine.json"]  # its lock let go


def test_locks_taken_before_the_refused_one_are_let_go(tmp_path):
    """The run takes a.csv's lock (first by name), then finds z.csv's held: it ends holding none."""
    contacts = _contacts(tmp_path)
    first, held = tmp_path / "a.csv", tmp_path / "z.csv"
    with output_lock(str(held)):
        result = _score(contacts, "-o", first, "--rejects", held, exit_code=4)
        assert _error(result) == _held(held)
        assert sorted(p.name for p in tmp_path.iterdir()) == [".z.csv.lock", "in"]
    with output_lock(str(first)):  # and was taken at all: the same run now stops at a.csv
        assert _error(_score(contacts, "-o", first, "--rejects", held, exit_code=4)) == _held(first)


def test_an_output_through_a_symlink_is_locked_beside_the_file_it_names(tmp_path):
    contacts = _contacts(tmp_path)
    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    real.write_text("previous\n")
    link.symlink_to(real)
    with output_lock(str(real)):  # another run writing the same file by its own name
        result = _score(contacts, "-o", link, "--rejects", tmp_path / "r.csv", exit_code=4)
        assert _error(result) == _held(link, tmp_path / ".real.csv.lock")
    assert real.read_text() == "previous\n"
    _score(contacts, "-o", link, "--rejects", tmp_path / "r.csv")
    assert link.is_symlink() and real.read_text().startswith("lead_id,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "link.csv", "r.csv", "real.csv"]


def test_devices_and_stdout_are_not_locked_and_the_order_is_by_real_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "z.csv").write_text("")
    (tmp_path / "a.csv").symlink_to(tmp_path / "z.csv")
    assert lock_order(["sub/b.csv", None, "-", os.devnull, "c.csv", "./c.csv", "a.csv", "z.csv"]) == [
        "c.csv", "sub/b.csv", "a.csv"]  # a.csv is z.csv, once, at z.csv's place
    with output_lock(os.devnull):
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "sub", "z.csv"]


# --------------------------------------------------------------------------- #
# --summary-json on failures: exit 2, 5, 130
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(("extra", "error", "ruleset", "as_of"), [
    (["--max-rejects", "abc"], "--max-rejects: 'abc' is neither a number of rows nor a percentage; give a whole "
     "number (e.g. 100) or a percentage of the input rows (e.g. 2.5%)", None, None),
    (["--engine", "pandas"], "--engine: unknown engine 'pandas'; expected one of: polars, duckdb, spark", None, None),
    (["--as-of", "yesterday"], "--as-of: cannot read 'yesterday' as a date; use YYYY-MM-DD or "
     "YYYY-MM-DDTHH:MM:SSZ", RULESET_NAME, None),
])
def test_a_bad_option_value_replaces_yesterdays_summary(tmp_path, extra, error, ruleset, as_of):
    contacts = _contacts(tmp_path)
    summary = tmp_path / "s.json"
    _score(contacts, "-o", tmp_path / "o.csv", "--summary-json", summary)
    assert json.loads(summary.read_text())["status"] == "ok"
    before = {name: data for name, data in _files(tmp_path).items() if name != "s.json"}
    result = _score(contacts, "-o", tmp_path / "o.csv", "--summary-json", summary, *extra, exit_code=2)
    assert _error(result) == error
    assert json.loads(summary.read_text()) == _failed(2, error, ruleset, as_of)
    assert {name: data for name, data in _files(tmp_path).items() if name != "s.json"} == before


def test_a_bad_ruleset_replaces_yesterdays_summary(tmp_path):
    contacts = _contacts(tmp_path)
    summary = tmp_path / "s.json"
    summary.write_text('{"status": "ok"}\n')
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULESET.read_text().replace('matches "\\bdirector\\b"', 'matches "(director"'))
    result = run_cli(["score", contacts, "-r", bad, "--as-of", AS_OF, "-q", "-o", tmp_path / "o.csv",
                      "--summary-json", summary], exit_code=2)
    assert _error(result) == (f"{bad}:40:29: fit rule 'director_title': regex '(director': invalid regular "
                              "expression: unclosed group")
    assert json.loads(summary.read_text()) == _failed(2, _error(result), None, None)


def test_the_exit_2_record_goes_to_stdout_with_summary_json_dash(tmp_path):
    result = _score(_contacts(tmp_path), "-o", tmp_path / "o.csv", "--summary-json", "-", "--max-rejects", "-1",
                    exit_code=2)
    assert json.loads(result.stdout) == _failed(2, _error(result), None, None)


@pytest.mark.parametrize("case", ["is --rejects", "is the ruleset", "is the default rejects", "is locked",
                                  "is both stdout"])
def test_an_exit_2_never_writes_over_a_file_the_run_reads_or_writes_otherwise(tmp_path, monkeypatch, case):
    """A summary path that is another of the run's files is no place for a failure record (nor one another
    run is writing)."""
    monkeypatch.chdir(tmp_path)
    contacts = _contacts(tmp_path)
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(RULESET.read_text())
    summary = {"is --rejects": "x.csv", "is the ruleset": "r.yaml", "is the default rejects": "o.rejects.csv",
               "is locked": "s.json", "is both stdout": "-"}[case]
    extra = {"is --rejects": ["--rejects", "x.csv"], "is both stdout": ["-o", "-"]}.get(case, [])
    if summary != "-":
        (tmp_path / summary).write_text(ruleset.read_text() if case == "is the ruleset" else "keep me\n")
    before = _files(tmp_path)
    args = ["score", contacts, "-r", ruleset, "--as-of", AS_OF, "-q", "-o", "o.csv", *extra, "--summary-json",
            summary, "--max-rejects", "lots"]
    error = ("--max-rejects: 'lots' is neither a number of rows nor a percentage; give a whole number (e.g. 100) "
             "or a percentage of the input rows (e.g. 2.5%)")
    if case == "is locked":
        with output_lock(summary):
            assert _error(run_cli(args, exit_code=2)) == error
    else:
        result = run_cli(args, exit_code=2)
        assert (_error(result), result.stdout) == (error, "")
    assert _files(tmp_path) == before


def test_a_summary_that_is_the_ruleset_is_refused(tmp_path):
    contacts = _contacts(tmp_path)
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(RULESET.read_text())
    result = run_cli(["score", contacts, "-r", ruleset, "--as-of", AS_OF, "-q", "-o", tmp_path / "o.csv",
                      "--summary-json", ruleset], exit_code=2)
    assert _error(result) == f"{ruleset} is both this run's --summary-json and its --ruleset; write the summary elsewhere"
    assert ruleset.read_text() == RULESET.read_text()


def test_too_many_tier_changes_records_the_runs_figures(tmp_path):
    state, summary = tmp_path / "o.csv", tmp_path / "s.json"
    _score(_contacts(tmp_path, leads=4), "-o", state, "--previous", state)
    before = _files(tmp_path)
    # L2..L5: L0 and L1 are gone (2 of the 4 previous leads: 50%), L4 and L5 are new; one row rejected.
    others = _contacts(tmp_path, leads=4, without_id=1, first=2)
    result = _score(others, "-o", state, "--previous", state, "--max-tier-changes", "40", "--summary-json",
                    summary, exit_code=5)
    error = (f"--max-tier-changes 40: 50.00% of the 4 leads of {state} changed tier (0) or are gone (2). No "
             "output was written: check the inputs, then run again with a higher limit to accept the changes")
    assert _error(result) == error
    data = json.loads(summary.read_text())
    assert list(data)[:7] == ["schema_version", "leadq_version", "status", "exit_code", "error", "ruleset", "as_of"]
    assert {k: data[k] for k in ("status", "exit_code", "error", "ruleset", "as_of", "input_rows", "scored",
                                 "rejected", "outputs")} == {
        "status": "failed", "exit_code": 5, "error": error, "ruleset": RULESET_NAME, "as_of": "2026-10-27T00:00:00Z",
        "input_rows": 5, "scored": 4, "rejected": 1, "outputs": {}}
    assert {t["name"]: t["count"] for t in data["tiers"]} == {"mql": 0, "nurture": 4}
    assert {k: data["changes"][k] for k in ("previous_leads", "new", "tier_changed", "unchanged", "gone")} == {
        "previous_leads": 4, "new": 2, "tier_changed": 0, "unchanged": 2, "gone": 2}
    assert data["elapsed_seconds"] > 0
    # Nothing else was written.
    assert {k: v for k, v in _files(tmp_path).items() if k != "s.json"} == before


def test_an_interrupted_run_replaces_yesterdays_summary(tmp_path, monkeypatch):
    from leadq import pipeline

    contacts = _contacts(tmp_path)
    out, summary = tmp_path / "o.csv", tmp_path / "s.json"
    _score(contacts, "-o", out, "--summary-json", summary)
    before = {k: v for k, v in _files(tmp_path).items() if k != "s.json"}
    sigterm_before(monkeypatch, pipeline, "read_and_score")  # a scheduler stopping the job while it reads
    result = _score(contacts, "-o", out, "--summary-json", summary, exit_code=130)
    assert _error(result) == INTERRUPTED
    assert json.loads(summary.read_text()) == _failed(130, INTERRUPTED)
    assert {k: v for k, v in _files(tmp_path).items() if k != "s.json"} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "o.csv", "o.rejects.csv", "s.json"]


def test_an_interrupt_once_the_outputs_are_in_place_leaves_the_runs_own_summary(tmp_path, monkeypatch):
    """Ctrl-C while the report is printed: the outputs and the summary are this run's, and say "ok"."""
    from leadq.cli import score as score_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(score_module, "_print_summary", interrupted)
    summary = tmp_path / "s.json"
    _score(_contacts(tmp_path), "-o", tmp_path / "o.csv", "--summary-json", summary, exit_code=130)
    data = json.loads(summary.read_text())
    assert (data["status"], data["scored"], data["outputs"]) == (
        "ok", 3, {"scored": str(tmp_path / "o.csv"), "rejects": str(tmp_path / "o.rejects.csv")})
