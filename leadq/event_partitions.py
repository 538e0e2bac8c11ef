"""Large activity logs, aggregated in partitions by a hash of the lead id.

Polars' streaming group-by keeps the partial aggregates of every batch of
events until it finishes; with millions of distinct leads a batch hardly
shrinks, so its memory grows with the number of events (about 200 bytes an
event: 18 GB for 200M events over 7.8M leads). The aggregation is per lead,
so the leads are split into disjoint partitions by a hash of their id, each
partition is aggregated on its own and its result written to an Arrow IPC file
in the run's scratch folder (:class:`leadq.scratch.ScratchFolder`): the peak is that of one
partition, and the scoring plan's join reads the results back from disk
instead of holding them a second time. The partition filter reads the raw id
column, so the Parquet reader applies it and decodes the other columns only
for the partition's rows: a pass costs its share of the work plus a read of
the ids.

A CSV or NDJSON file would be parsed again for every partition, so a text log
is partitioned only when it is large enough to be written apart first (below).

With many partitions, re-reading the ids for each would cost more than the
work itself (200M ids, about 8 s a pass at L), so from
:data:`SPILL_FROM_PARTITIONS` partitions on the events are first written once,
narrowed to the columns the rules read and split by the hash, to temporary
Arrow IPC files (uncompressed, about 27 bytes an event), and each partition reads its
own file; they are removed when the aggregation ends. The scratch folder is in
the system's temporary directory (``TMPDIR``) and is removed when the run ends,
also on error.

``LEADQ_EVENTS_PER_PARTITION`` sets the partition size (default 20 million
events: a whole run over 20M events in one pass peaks at about 2.5 GB, the
events phase holding about 1 GB per 10M events); fewer, larger partitions are
faster and need more memory.
"""

from __future__ import annotations

import os
import tempfile
from typing import Callable, Mapping, Sequence

import polars as pl

from leadq.activity import combine_partials
from leadq.errors import UsageError
from leadq.inputs import SOURCE_FILE, SOURCE_ROW, InputFile, concat_inputs
from leadq.progress import stage
from leadq.scratch import disk_full_as_output_error

EVENTS_PER_PARTITION = 20_000_000
SPILL_FROM_PARTITIONS = 4
TEXT_BYTES_PER_EVENT = 100  # a CSV or NDJSON event with a page URL: the benchmark's CSV has 85
PARTITION_COLUMN = "_leadq_partition"
ENV_VAR = "LEADQ_EVENTS_PER_PARTITION"


def events_per_partition() -> int:
    """The partition size: ``LEADQ_EVENTS_PER_PARTITION`` when set, else the default."""
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return EVENTS_PER_PARTITION
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(f"{ENV_VAR}={raw!r}: expected a whole number of events, at least 1 (e.g. 10000000)")
    return value


def partition_count(files: Sequence[InputFile], per_partition: int | None = None) -> int:
    """How many partitions the events of ``files`` need (1: aggregate them in one pass).

    Parquet files on disk: the row counts come from their footers. CSV and
    NDJSON files on disk: the rows are estimated from the file sizes
    (:data:`TEXT_BYTES_PER_EVENT`), and a text log is partitioned only from
    :data:`SPILL_FROM_PARTITIONS` partitions on, when its events are written
    apart first: filtering it per partition would parse it again for each.
    Standard input gives 1.
    """
    size = per_partition or events_per_partition()
    paths = [f.parquet_path for f in files]
    if paths and all(p is not None for p in paths):
        rows = sum(pl.scan_parquet(p, glob=False).select(pl.len()).collect().item() for p in paths)
        return max(1, -(-rows // size))
    if not files or any(f.disk_bytes is None for f in files):
        return 1
    parts = -(-sum(f.disk_bytes or 0 for f in files) // (TEXT_BYTES_PER_EVENT * size))
    return parts if parts >= SPILL_FROM_PARTITIONS else 1


def scan_together(files: Sequence[InputFile]) -> pl.LazyFrame | None:
    """One scan of all the event files, for :func:`aggregate_in_partitions`; None when they cannot share one.

    Parquet files on disk get one multi-file scan: a scan per file,
    concatenated, lets the streaming engine read every file at once (with 40
    files of 1M-row groups, 14 GB just to read the lead ids of 200M events);
    one scan reads a few files at a time. The files must agree on the type of
    every column they share; a column some lack reads as null there, as in
    :func:`leadq.inputs.concat_inputs`. Text files (CSV, NDJSON) are concatenated
    as read. No ``_source_file`` or ``_source_row``: the aggregation does not
    use them.
    """
    if any(f.parquet_path is None for f in files):
        if any(f.disk_bytes is None for f in files):
            return None
        return concat_inputs(files).drop(SOURCE_FILE, SOURCE_ROW, strict=False)
    schema: dict[str, pl.DataType] = {}
    for f in files:
        for name, dtype in pl.scan_parquet(f.parquet_path, glob=False).collect_schema().items():
            if schema.setdefault(name, dtype) != dtype:
                return None
    return pl.scan_parquet([f.parquet_path for f in files], glob=False, schema=schema,
                           missing_columns="insert", extra_columns="ignore")


def partition_of(lead_key: pl.Expr, parts: int) -> pl.Expr:
    """The partition (0 to ``parts`` - 1) of each row's lead."""
    return lead_key.hash(seed=0) % parts


def in_partition(lead_key: pl.Expr, index: int, parts: int) -> pl.Expr:
    """True on the rows whose lead falls in partition ``index`` of ``parts``."""
    return partition_of(lead_key, parts) == index


def aggregate_in_partitions(events: pl.LazyFrame, lead_key: pl.Expr, parts: int,
                            partials: Callable[[pl.LazyFrame], pl.LazyFrame], *, columns: Sequence[str],
                            folder: str, merge: bool = False,
                            enums: Mapping[str, Sequence[str]] | None = None) -> pl.LazyFrame:
    """Aggregate the raw events partition by partition, into files under ``folder``.

    Each partition's partial aggregates are written as they are computed, so the
    events phase does not hold them, and the join of the scoring plan reads them
    back from disk (at L, 7.8M leads: 2.2 GB that are not held twice). They are
    uncompressed Arrow IPC files, written once and read once: at L, 7.5 CPU-s less
    than LZ4 Parquet, for the same peak memory.

    Args:
        events: The raw activity log (CRM column names).
        lead_key: Computed from the raw columns (so that the filter reaches the
            reader), equal on the events of one lead as the aggregation sees it (the
            trimmed id), and on all the events without one.
        parts: The number of partitions.
        partials: Types and aggregates one partition's raw events
            (:func:`leadq.activity.event_partials`); it is given only ``columns``.
        columns: The raw columns ``partials`` reads.
        folder: Where the partial aggregates (and, from
            :data:`SPILL_FROM_PARTITIONS` partitions, the split events) are
            written; the caller removes it after the run (:class:`leadq.scratch.ScratchFolder`).
        merge: Merge rows of the same lead across partitions: needed when
            ``partials`` gives events a lead id other than ``lead_key``
            (events of a dropped e-mail duplicate go to the lead kept).
        enums: Raw text columns of few values, with every value they take
            (:func:`leadq.event_codes.distinct_values`): the split events carry them
            as ``Enum`` (:data:`SPILL_FROM_PARTITIONS` partitions on), which is
            cheaper to write, to read back and to code than text.

    Returns:
        A scan of the partial aggregates, one row per lead.

    Raises:
        OutputError: The scratch folder's disk filled up (exit 4).
    """
    with disk_full_as_output_error(folder, "the activity log"):
        return _aggregate_into(folder, events.select(columns), lead_key, parts, partials, merge, enums or {})


def _aggregate_into(folder: str, narrow: pl.LazyFrame, lead_key: pl.Expr, parts: int,
                    partials: Callable[[pl.LazyFrame], pl.LazyFrame], merge: bool,
                    enums: Mapping[str, Sequence[str]]) -> pl.LazyFrame:
    written: list[str] = []

    def write(frame: pl.LazyFrame) -> None:
        path = os.path.join(folder, f"partials-{len(written):05d}.ipc")
        frame.sink_ipc(path, compression="uncompressed")
        written.append(path)

    if parts < SPILL_FROM_PARTITIONS:
        for k in range(parts):
            stage(f"aggregating the events: partition {k + 1} of {parts}")
            write(partials(narrow.filter(in_partition(lead_key, k, parts))))
    else:
        # A failed split (a ragged CSV row) can leave Polars' writers finishing files while the folder
        # is removed: what is left goes with the scratch folder, so the input error is what is reported.
        with tempfile.TemporaryDirectory(prefix="events-", dir=folder, ignore_cleanup_errors=True) as spill:
            names = narrow.collect_schema().names()
            few = narrow.with_columns(pl.col(c).cast(pl.Enum(list(v))) for c, v in enums.items() if c in names)
            stage(f"splitting the events into {parts} partitions")
            split = _spilled_partitions(few, lead_key, parts, spill)
            for k, part in enumerate(split, 1):
                stage(f"aggregating the events: partition {k} of {len(split)}")
                write(partials(part))
    if not written:  # no events at all: the aggregates' columns, no rows
        write(partials(narrow.clear()))
    combined = pl.scan_ipc(written, glob=False)
    return combine_partials(combined) if merge else combined


def _spilled_partitions(events: pl.LazyFrame, lead_key: pl.Expr, parts: int, folder: str) -> list[pl.LazyFrame]:
    """Write the events once, split by partition, under ``folder``; a scan of each non-empty partition.

    The split events are Arrow IPC files, uncompressed: each is written once and read once, and
    Parquet's encoding and compression were most of the cost of writing them (20M events of M:
    9.7-10.8 CPU-s for the split as LZ4 Parquet, 6.4-6.5 as IPC, read back in the same time), for
    twice the bytes (26 an event at M against 14).
    """
    events.with_columns(partition_of(lead_key, parts).alias(PARTITION_COLUMN)).sink_ipc(
        pl.PartitionBy(folder, key=PARTITION_COLUMN, include_key=False), compression="uncompressed", mkdir=True)
    # One folder per partition key (hive style, "<column>=<k>"); a partition without events has none.
    written = {name.partition("=")[2]: os.path.join(folder, name) for name in os.listdir(folder)}
    return [pl.scan_ipc(os.path.join(written[str(k)], "*.ipc"), hive_partitioning=False)
            for k in range(parts) if str(k) in written]
