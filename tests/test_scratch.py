"""The run's scratch folder, and large text contacts typed once into it: the same output as in memory."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import polars as pl
import pytest

from leadq import pipeline
from leadq.errors import EXIT_INPUT, OutputError
from leadq.scratch import ScratchFolder
from tests.conftest import SAMPLE, SAMPLE_AS_OF, run_cli


def test_the_scratch_folder_is_made_on_first_use_and_removed_at_the_end(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(RuntimeError):
        with ScratchFolder() as scratch:
            assert list(tmp_path.iterdir()) == []
            folder = Path(scratch.path())
            (folder / "partials-00000.ipc").write_bytes(b"x")
            assert folder.parent == tmp_path and scratch.path() == str(folder)
            raise RuntimeError("the run fails")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_right_after_the_folder_is_made_removes_it(tmp_path, monkeypatch):
    import leadq.scratch as scratch_module

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    real_mkdir = scratch_module.os.mkdir
    taken = tmp_path / "leadq-000000000000"
    taken.mkdir()  # another run's folder: its name is not used, the folder not removed
    names = iter(["000000000000", "111111111111"])
    monkeypatch.setattr(scratch_module.secrets, "token_hex", lambda n: next(names))

    def made_then_interrupted(path, mode=0o777):
        real_mkdir(path, mode)
        raise KeyboardInterrupt  # Ctrl-C lands before mkdir returns

    monkeypatch.setattr(scratch_module.os, "mkdir", made_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        with ScratchFolder() as scratch:
            scratch.path()
    assert list(tmp_path.iterdir()) == [taken]


def test_a_scratch_folder_that_cannot_be_made_is_an_output_error(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    with ScratchFolder() as scratch:
        with pytest.raises(OutputError, match=r"cannot make a scratch folder for the run in .*missing: .*set TMPDIR"):
            scratch.path()


def test_a_file_written_while_the_folder_is_removed_does_not_hide_the_runs_error(tmp_path, monkeypatch):
    """A writer thread of a failed sink can add a file after the removal listed the folder ("Directory not
    empty"): the removal is tried again, and the run's own error is what the caller sees."""
    import shutil

    import leadq.scratch as scratch_module

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    real = shutil.rmtree
    calls = []

    def racing_rmtree(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 1:  # a late partition file: the first removal fails as on the CI machine
            raise OSError(39, "Directory not empty", path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(scratch_module.shutil, "rmtree", racing_rmtree)
    with pytest.raises(RuntimeError, match="a ragged row"):
        with ScratchFolder() as scratch:
            (Path(scratch.path()) / "partials-00000.ipc").write_bytes(b"x")
            raise RuntimeError("a ragged row")
    assert len(calls) >= 2 and list(tmp_path.iterdir()) == []  # tried again, then removed
    # A folder that cannot be removed at all is left behind, without an error of its own.
    def busy_rmtree(path, *args, **kwargs):
        raise OSError(39, "Directory not empty", path)

    monkeypatch.setattr(scratch_module.shutil, "rmtree", busy_rmtree)
    monkeypatch.setattr(scratch_module.time, "sleep", lambda seconds: None)
    stuck = tmp_path / "stuck"
    stuck.mkdir()
    assert scratch_module.remove_tree(str(stuck)) is None and stuck.exists()


def test_a_spilled_frame_reads_back_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    frame = pl.LazyFrame({"id": ["a", None, "c"], "n": [1.5, 2.0, None]})
    with ScratchFolder() as scratch:
        back = scratch.spill(frame.with_columns(pl.col("n") * 2), "contacts", "the contacts")
        assert [p.name for p in Path(scratch.path()).iterdir()] == ["contacts.ipc"]
        assert back.collect().equals(pl.DataFrame({"id": ["a", None, "c"], "n": [3.0, 4.0, None]}))
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_while_spilling_is_an_output_error(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def full(self, path, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pl.LazyFrame, "sink_ipc", full)
    with ScratchFolder() as scratch:
        with pytest.raises(OutputError, match=r"no space left for the scratch files of the contacts in .*set TMPDIR"):
            scratch.spill(pl.LazyFrame({"a": [1]}), "contacts", "the contacts")


def _score(tmp_path: Path, contacts: Path, name: str, *extra: str) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    out, summary = tmp_path / f"{name}.parquet", tmp_path / f"{name}.json"
    run_cli(["score", contacts, "--activities", SAMPLE / "events" / "*.csv", "--as-of", SAMPLE_AS_OF,
             "-o", out, "--rejects", tmp_path / f"{name}.rejects.csv", "--summary-json", summary, "-q", *extra])
    return pl.read_parquet(out), pl.read_csv(tmp_path / f"{name}.rejects.csv", infer_schema=False), \
        json.loads(summary.read_text())


def test_large_text_contacts_are_typed_once_into_the_scratch_folder(tmp_path, monkeypatch):
    # Every input counts as large: the streaming engine. (Its scores can differ from the in-memory
    # engine's in the last bit of a float: the comparison is within one engine.)
    monkeypatch.setattr(pipeline, "SMALL_INPUT_BYTES", 0)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    spill = ScratchFolder.spill
    monkeypatch.setattr(ScratchFolder, "spill", lambda self, frame, name, what: frame)
    plain, plain_rejects, plain_summary = _score(tmp_path, SAMPLE / "contacts.csv", "plain")
    assert plain_summary["rejected"] > 0 and plain_rejects.height == plain_summary["rejected"]

    spilled: list[str] = []

    def counted(self, frame, name, what):
        spilled.append(name)
        return spill(self, frame, name, what)

    monkeypatch.setattr(ScratchFolder, "spill", counted)
    typed_once, typed_once_rejects, typed_once_summary = _score(tmp_path, SAMPLE / "contacts.csv", "once")
    assert spilled == ["contacts"]
    assert typed_once.equals(plain)
    assert typed_once_rejects.equals(plain_rejects)
    for key in ("input_rows", "rejected", "rejected_by_reason", "files", "events", "tiers"):
        assert typed_once_summary[key] == plain_summary[key], key
    assert list(scratch.iterdir()) == []

    # Parquet contacts are cheap to read again: not written apart.
    spilled.clear()
    contacts = tmp_path / "contacts.parquet"
    pl.read_csv(SAMPLE / "contacts.csv", infer_schema=False).write_parquet(contacts)
    _score(tmp_path, contacts, "parquet")
    assert spilled == []


def test_a_ragged_row_in_large_text_contacts_names_the_line(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "SMALL_INPUT_BYTES", 0)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    lines = (SAMPLE / "contacts.csv").read_text().splitlines(keepends=True)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("".join(lines[:40]) + lines[40].rstrip("\r\n") + ",extra\n" + "".join(lines[41:]))
    out = tmp_path / "out.parquet"
    result = run_cli(["score", contacts, "--activities", SAMPLE / "events" / "*.csv", "-o", out, "-q"],
                     exit_code=EXIT_INPUT)
    assert f"{contacts}: line 41: expected" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert list(scratch.iterdir()) == []
