"""Large activity logs aggregated in partitions by lead: the same output, byte for byte, as one pass."""

from __future__ import annotations

import json
import tempfile

import polars as pl
import pytest

from leadq import event_partitions
from leadq.errors import EXIT_INPUT, EXIT_OUTPUT, EXIT_USAGE, OutputError, UsageError
from leadq.event_partitions import (
    ENV_VAR, SPILL_FROM_PARTITIONS, TEXT_BYTES_PER_EVENT, aggregate_in_partitions, events_per_partition, partition_count, scan_together,
)
from leadq.inputs import ReadOptions, read_input_files
from tests.conftest import SAMPLE, SAMPLE_AS_OF, run_cli


@pytest.fixture(scope="module")
def parquet_events(tmp_path_factory) -> str:
    """The sample activity log as Parquet files, one per month, every column text as exported."""
    folder = tmp_path_factory.mktemp("events")
    for path in sorted((SAMPLE / "events").glob("*.csv")):
        pl.read_csv(path, infer_schema=False).write_parquet(folder / f"{path.stem}.parquet")
    return str(folder / "*.parquet")


def _score(tmp_path, events: str, name: str, contacts=SAMPLE / "contacts.csv") -> tuple[pl.DataFrame, dict]:
    out, summary = tmp_path / f"{name}.parquet", tmp_path / f"{name}.json"
    run_cli(["score", contacts, "--activities", events, "--as-of", SAMPLE_AS_OF,
             "-o", out, "--summary-json", summary, "-q"])
    return pl.read_parquet(out), json.loads(summary.read_text())


@pytest.mark.parametrize("parts", [3, 8])  # 3: each partition filters the files; 8: written apart first
def test_partitions_give_the_same_output_as_one_pass(tmp_path, monkeypatch, parquet_events, parts):
    one_pass, one_summary = _score(tmp_path, parquet_events, "one")
    files = read_input_files([parquet_events], ReadOptions())
    events = sum(pl.scan_parquet(f.parquet_path).select(pl.len()).collect().item() for f in files)
    assert partition_count(files) == 1

    monkeypatch.setenv(ENV_VAR, str(-(-events // parts)))
    assert partition_count(files) == parts
    assert (parts >= SPILL_FROM_PARTITIONS) == (parts == 8)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    split = []
    real_split = event_partitions._spilled_partitions
    monkeypatch.setattr(event_partitions, "_spilled_partitions",
                        lambda events, *a: split.append(events.collect_schema()) or real_split(events, *a))
    in_parts, parts_summary = _score(tmp_path, parquet_events, "parts")
    # Written apart, the few-valued text columns (matched by code) are Enum, the others as read.
    assert [dict(s) for s in split] == ([{"Contact ID": pl.String, "Event Type": pl.Enum(split[0]["Event Type"].categories),
                                          "Page URL": pl.Enum(split[0]["Page URL"].categories),
                                          "Timestamp": pl.String}] if parts == 8 else [])

    # The default ruleset de-duplicates on e-mail too: the events of a dropped duplicate join the
    # kept lead, possibly from another partition (the merge step).
    assert one_summary["rejected_by_reason"].get("duplicate e-mail", 0) > 0
    assert in_parts.equals(one_pass)
    for key in ("read", "unreadable", "unknown_lead", "up_to_as_of", "by_rule"):
        assert parts_summary["events"][key] == one_summary["events"][key], key
    assert one_summary["events"]["by_rule"]["demo_request"] == 319  # as the sample's events have it
    assert one_summary["events"]["read"] == events
    # Events of leads not scored are counted apart (a join with the scored ids, in partitions).
    assert one_summary["events"]["unknown_lead"] > 0
    assert list(scratch.iterdir()) == []  # the events written apart are gone


def test_events_written_apart_are_removed_when_the_run_fails(tmp_path, monkeypatch, parquet_events):
    rows = pl.scan_parquet(parquet_events).select(pl.len()).collect().item()
    monkeypatch.setenv(ENV_VAR, str(rows // 7))
    seen = []

    def failing(raw: pl.LazyFrame) -> pl.LazyFrame:
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        raise pl.exceptions.ComputeError("boom")

    files = read_input_files([parquet_events], ReadOptions())
    with pytest.raises(pl.exceptions.ComputeError):
        aggregate_in_partitions(scan_together(files), pl.col("Contact ID"), 8, failing, columns=["Contact ID"],
                                folder=str(tmp_path))
    assert len(seen) == 1 and len(seen[0]) == 1 and seen[0][0].startswith("events-")
    assert list(tmp_path.iterdir()) == []


def test_a_full_scratch_disk_is_an_output_error(tmp_path, parquet_events):
    def full(raw: pl.LazyFrame) -> pl.LazyFrame:
        raise pl.exceptions.ComputeError("failed to write: No space left on device (os error 28)")

    files = read_input_files([parquet_events], ReadOptions())
    with pytest.raises(OutputError, match=r"no space left for the scratch files of the activity log in .*TMPDIR"):
        aggregate_in_partitions(scan_together(files), pl.col("Contact ID"), 8, full, columns=["Contact ID"],
                                folder=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


SAMPLE_EVENTS = str(SAMPLE / "events" / "*.csv")


def _per_partition_for(parts: int) -> int:
    """A partition size that gives CSV logs of the sample data ``parts`` partitions."""
    size = sum(p.stat().st_size for p in (SAMPLE / "events").glob("*.csv"))
    return -(-size // (TEXT_BYTES_PER_EVENT * parts))


def test_an_unwritable_temporary_directory_is_an_output_error(tmp_path, monkeypatch, parquet_events):
    rows = pl.scan_parquet(parquet_events).select(pl.len()).collect().item()
    monkeypatch.setenv(ENV_VAR, str(rows // 7))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    out = tmp_path / "out.parquet"
    result = run_cli(["score", SAMPLE / "contacts.csv", "--activities", parquet_events, "-o", out, "-q"],
                     exit_code=EXIT_OUTPUT)
    assert f"cannot make a scratch folder for the run in {tmp_path / 'missing'}" in result.stderr
    assert "set TMPDIR" in result.stderr
    assert not out.exists()


def test_csv_activity_logs_are_partitioned_only_when_written_apart(monkeypatch):
    files = read_input_files([SAMPLE_EVENTS], ReadOptions())
    monkeypatch.setenv(ENV_VAR, str(_per_partition_for(3)))
    assert partition_count(files) == 1  # 3 partitions would parse the files 3 times
    monkeypatch.setenv(ENV_VAR, str(_per_partition_for(5)))
    assert partition_count(files) == 5


@pytest.mark.parametrize("sample_rows", [None, 50], ids=["every-value-sampled", "values-missed"])
def test_partitioned_csv_logs_give_the_same_output_as_one_pass(tmp_path, monkeypatch, sample_rows):
    from leadq import event_codes

    one_pass, one_summary = _score(tmp_path, SAMPLE_EVENTS, "one")
    if sample_rows:  # the types and URLs coded from the first 50 events: the others tested as text
        monkeypatch.setattr(event_codes, "SAMPLE_ROWS", sample_rows)
    split = []
    real_split = event_partitions._spilled_partitions
    monkeypatch.setattr(event_partitions, "_spilled_partitions",
                        lambda events, *a: split.append(events.collect_schema()) or real_split(events, *a))
    monkeypatch.setenv(ENV_VAR, str(_per_partition_for(5)))
    in_parts, parts_summary = _score(tmp_path, SAMPLE_EVENTS, "parts")
    assert in_parts.equals(one_pass)
    assert parts_summary["events"] == one_summary["events"]
    # Codes from a sample of a text log: the split events stay text (an Enum of the sample's values
    # would not hold the others).
    assert [set(s.values()) for s in split] == [{pl.String}]


@pytest.mark.parametrize("short_line", [None, 900], ids=["long", "long-and-short"])
def test_a_ragged_row_in_a_partitioned_csv_log_names_the_file_and_line(tmp_path, monkeypatch, short_line):
    events = tmp_path / "events.csv"
    lines = (SAMPLE / "events" / "events-2026-10.csv").read_text().splitlines()
    lines[500] = lines[500] + ",extra"
    if short_line:  # the delimiters add up: the log is read without the line check, and Polars rejects line 501
        lines[short_line] = lines[short_line].rsplit(",", 1)[0]
    events.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv(ENV_VAR, str(-(-events.stat().st_size // (TEXT_BYTES_PER_EVENT * 6))))
    assert partition_count(read_input_files([str(events)], ReadOptions())) == 6
    out = tmp_path / "out.parquet"
    result = run_cli(["score", SAMPLE / "contacts.csv", "--activities", events, "--as-of", SAMPLE_AS_OF,
                      "-o", out, "-q"], exit_code=EXIT_INPUT)
    assert f"{events}: line 501: expected 6 fields, found 7" in result.stderr
    assert not out.exists()


def test_a_split_folder_that_will_not_go_away_does_not_hide_the_input_error(tmp_path, monkeypatch):
    # After a failed split Polars' writers can still be finishing files while the folder is removed
    # ("Directory not empty", seen in CI): the ragged row must still be what is reported, exit 3.
    def rmtree(cls, name, ignore_errors=False, **kwargs):
        if not ignore_errors:
            raise OSError(39, "Directory not empty", name)

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(tempfile.TemporaryDirectory, "_rmtree", classmethod(rmtree))
    test_a_ragged_row_in_a_partitioned_csv_log_names_the_file_and_line(tmp_path, monkeypatch, None)


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1.5"])
def test_a_bad_partition_size_is_a_usage_error(monkeypatch, value):
    monkeypatch.setenv(ENV_VAR, value)
    with pytest.raises(UsageError, match=ENV_VAR):
        events_per_partition()


def test_a_bad_partition_size_exits_with_the_usage_code(tmp_path, monkeypatch, parquet_events):
    monkeypatch.setenv(ENV_VAR, "none")
    out = tmp_path / "out.parquet"
    result = run_cli(["score", SAMPLE / "contacts.csv", "--activities", parquet_events, "-o", out, "-q"],
                     exit_code=EXIT_USAGE)
    assert ENV_VAR in result.stderr
    assert not out.exists()


def test_the_partition_size_takes_underscores(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "2_000_000")
    assert events_per_partition() == 2_000_000


@pytest.mark.parametrize("parts", [1, 8])
def test_a_large_log_of_numeric_ids_grouped_by_number_gives_the_same_output(tmp_path, monkeypatch, parts):
    # A large log (streamed) whose first ids are numbers is grouped by those numbers (activity._keyed),
    # in one pass or in partitions; the ids that are not plain numbers ("0001000488" is not the
    # lead 1000488, "+1000488" neither) are grouped by their text. The ids are read untrimmed, and
    # only those that are no plain number are trimmed (" 1000488 " is the lead 1000488; "  " is no
    # id). The same output and counts as grouping every event by its text, and as one pass.
    from leadq import activity, activity_input, pipeline

    # Contacts without duplicates: no dropped duplicate's events to move to the lead kept, so the
    # ids are read untrimmed, and the partitions' rows are not merged (each lead in one partition).
    contacts = tmp_path / "contacts.csv"
    pl.read_csv(SAMPLE / "contacts.csv", infer_schema=False).filter(
        pl.col("Email").str.strip_chars().str.to_lowercase().is_first_distinct() | pl.col("Email").is_null(),
        pl.col("Record ID").is_first_distinct()).write_csv(contacts)
    folder = tmp_path / "events"
    folder.mkdir()
    odd_ids = ["0001000488", "+1000488", "n/a", "L-1", "1000488", " 1000488 ", "  ", "", " L-1", "\t0001000488"]
    for path in sorted((SAMPLE / "events").glob("*.csv")):
        frame = pl.read_csv(path, infer_schema=False)
        extra = pl.DataFrame({"Contact ID": odd_ids, "Event Type": ["demo_request"] * len(odd_ids),
                              "Timestamp": [frame["Timestamp"][0]] * len(odd_ids)}).with_columns(
            pl.lit(None, dtype=pl.String).alias(c) for c in frame.columns if c not in ("Contact ID", "Event Type",
                                                                                        "Timestamp"))
        pl.concat([frame, extra.select(frame.columns)]).write_parquet(folder / f"{path.stem}.parquet")
    events = str(folder / "*.parquet")
    monkeypatch.setattr(pipeline, "SMALL_INPUT_BYTES", 0)
    if parts > 1:
        monkeypatch.setenv(ENV_VAR, str(-(-sum(pl.scan_parquet(p).select(pl.len()).collect().item()
                                               for p in folder.iterdir()) // parts)))
    keyed_calls = []
    real_keyed = activity._keyed
    monkeypatch.setattr(activity, "_keyed", lambda *a: keyed_calls.append(1) or real_keyed(*a))
    by_number, number_summary = _score(tmp_path, events, "number", contacts)
    assert len(keyed_calls) == parts

    monkeypatch.setattr(activity_input, "numeric_ids", lambda *a: False)
    by_text, text_summary = _score(tmp_path, events, "text", contacts)
    assert len(keyed_calls) == parts
    assert by_number.equals(by_text)
    assert number_summary["events"] == text_summary["events"]
    assert "duplicate e-mail" not in text_summary["rejected_by_reason"]
    # 317 as the contacts without duplicates have them (the sample's 319 less two of its dropped
    # duplicates), and the lead 1000488's of September and October (the rule looks 90 days back),
    # twice each ("1000488" and " 1000488 ").
    assert text_summary["events"]["by_rule"]["demo_request"] == 317 + 4
    if parts > 1:  # the padded ids went to their lead's partition, the blank ones to one partition
        monkeypatch.delenv(ENV_VAR)
        one_pass, one_summary = _score(tmp_path, events, "one", contacts)
        assert by_text.equals(one_pass)
        assert text_summary["events"] == one_summary["events"]
