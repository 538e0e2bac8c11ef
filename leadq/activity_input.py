"""The activity log's part of a scoring run: checked, typed and aggregated per lead.

:func:`aggregate_activity` checks that the log has the columns the event rules
need, types it, hands the events of a dropped e-mail duplicate to the lead that
was kept, and returns the per-lead partial aggregates of the event rules
(:func:`leadq.activity.event_partials`) that :mod:`leadq.pipeline` joins to the
leads and finishes. Small logs stay lazy, part of the run's one plan; large ones
are aggregated at once, in partitions by a hash of the lead id
(:mod:`leadq.event_partitions`), into the run's scratch folder.
"""

from __future__ import annotations

from typing import BinaryIO, Sequence

import polars as pl

from leadq.activity import event_partials, numeric_key, where_fields
from leadq.cleaning import map_columns, stripped_text
from leadq.cleaning import typed as typed_column
from leadq.compiler import CompiledRuleset
from leadq.conditions import Type
from leadq.event_codes import codable_fields, coded_log, distinct_values, sampled_values
from leadq.event_partitions import aggregate_in_partitions, partition_count, scan_together
from leadq.input_columns import check_columns, number_columns
from leadq.inputs import InputFile, ReadOptions, input_error_from_polars, read_input_files
from leadq.progress import stage
from leadq.ruleset import Ruleset
from leadq.scratch import ScratchFolder

EVENT_COUNTS = ("_ev_rows", "_ev_timed", "_ev_due")  # per lead, from activity.event_partials(counts=True)
ID_SAMPLE_ROWS = 10_000
NUMERIC_SHARE = 0.9  # of the sampled ids, for a keyed aggregation (numeric_ids)


def event_fields_needed(compiled: CompiledRuleset) -> set[str]:
    """Activity fields every events file must have: lead, type, time and those the `where` conditions use."""
    return {"lead_id", "event_type", "occurred_at"} | where_fields(compiled.event_where)


def read_activity_files(specs: Sequence[str], *rulesets: Ruleset, options: ReadOptions = ReadOptions(),
                        stdin: BinaryIO | None = None) -> list[InputFile]:
    """The activity log's files (:func:`leadq.inputs.read_input_files`), none when ``specs`` is empty.

    A CSV or Excel row whose columns that the rulesets map are all blank is a blank
    row: it holds no event, and is not counted among the events read. Its other
    columns are then not parsed (at M, 2 of the 6 columns of the events, a sixth of
    the CSV run).
    """
    if not specs:
        return []
    columns = [c for r in rulesets for c in r.activity_columns.values()]
    # Number fields only: the log's ids, types and times need no second parse of an NDJSON log.
    return read_input_files(specs, options, stdin=stdin, row_columns={c.column for c in columns},
                            number_columns=number_columns(columns))


def aggregate_activity(ruleset: Ruleset, compiled: CompiledRuleset, events: pl.LazyFrame | None,
                       dup_frames: list[pl.LazyFrame], label: str, scratch: ScratchFolder,
                       files: Sequence[InputFile] = (), lead_ids: Sequence[str] | None = None,
                       large: bool = False) -> tuple[pl.LazyFrame, pl.LazyFrame, bool, pl.LazyFrame | None]:
    """The per-lead partial aggregates of the event rules, for the run's plan to join and finish.

    Large activity logs are aggregated now, in partitions by a hash of the lead id
    (:mod:`leadq.event_partitions`), into files in ``scratch`` that the run's plan reads, so
    that memory stays bounded; the others stay lazy, part of the one plan of the run.

    Args:
        ruleset: the ruleset; its activity columns and event rules.
        compiled: the compiled ruleset (``as_of`` and the ``where`` expressions of the event rules).
        events: the raw activity log, or None (then empty aggregates of an empty log).
        dup_frames: the contact rows dropped as duplicates, with the ``_kept_id`` of the lead kept.
        label: the log's name in error messages.
        scratch: the run's scratch folder.
        files: the files the log was read from (their size decides the partitions).
        lead_ids: only these leads are scored (``leadq explain``): never partitioned.
        large: the inputs are large (streamed): when the log's first lead ids are numbers,
            its events are grouped by those numbers (:func:`numeric_ids`).

    Returns:
        The partial aggregates (:func:`leadq.activity.event_partials`; the caller finishes
        them), the typed events, whether the aggregates carry counts, and, when they were
        computed already (in partitions), every lead's event counts (else None; the
        aggregates then carry only ``_ev_timed`` of the counts).
    """
    if events is not None and files and not any(f.columns for f in files):
        events = None  # only zero-byte files (a day without events): an empty log, as for the contacts
    if events is None:
        # No activity log: every mapped event field exists, empty, so `where` conditions still compile.
        from leadq.cleaning import polars_type

        schema = {name: polars_type(col.type) for name, col in ruleset.activity_columns.items()}
        schema.update({"lead_id": pl.String, "event_type": pl.String, "occurred_at": pl.Datetime("us", "UTC"),
                       "workspace_id": pl.String})
        empty = pl.LazyFrame(schema=schema)
        return event_partials(empty, ruleset, compiled.as_of, compiled.event_where), empty, False, None
    schema = events.collect_schema()
    check_columns(schema, ruleset.activity_columns, event_fields_needed(compiled), label)
    remap = None
    if "email" in ruleset.settings.dedupe_on and dup_frames:
        # Events of a dropped e-mail duplicate belong to the lead that was kept (the duplicates are in
        # memory already: usually none, and then the events are not joined at all).
        # Lead ids are de-duplicated first (leadq.dedupe): a lead id the e-mail pass dropped is gone,
        # whether or not it had lead-id duplicates, and its events go to the lead kept (as in the SQL
        # engines). A lead-id duplicate maps to itself: nothing to move.
        found = pl.concat([d.select("lead_id", "_kept_id") for d in dup_frames], how="vertical_relaxed") \
            .filter(pl.col("lead_id") != pl.col("_kept_id")).unique("lead_id", keep="first", maintain_order=True) \
            .collect()
        remap = found.lazy() if found.height else None

    coded = None
    values: dict[str, list[str]] = {}
    if lead_ids is None:
        fields = codable_fields(ruleset, compiled.event_where)
        stage("reading the event types")
        values = distinct_values(events, schema, ruleset, fields, files, label)
        complete = bool(values)
        if not complete:  # a text log: the values of its first rows, the others tested as text
            values = sampled_values(events, schema, ruleset, fields, files, label)
        coded = coded_log(ruleset, compiled.event_where, values, complete)
    else:
        # Only these leads are scored (`leadq explain`): their events, and those of their dropped
        # e-mail duplicates, are picked on the raw lead column as the aggregation types it, so the
        # reader decodes the other columns for those events only (at M: 4.3 s -> 2.3-2.8 s for one lead).
        lead = ruleset.activity_columns["lead_id"]
        wanted = set(lead_ids)
        if remap is not None:
            wanted |= set(found.filter(pl.col("_kept_id").is_in(list(lead_ids)))["lead_id"].to_list())
        events = events.filter(typed_column(lead, schema[lead.column], ruleset.settings).is_in(sorted(wanted)))
    as_read = frozenset() if coded is None else coded.fields
    trimmed = bool(files) and all(f.text_ready for f in files)
    if trimmed:
        # Read by leadq's CSV or Excel reader: every text value is stripped and blank as null already.
        as_read |= {name for name, col in ruleset.activity_columns.items() if col.type is Type.TEXT}

    def typed_events(raw: pl.LazyFrame, raw_schema: pl.Schema = schema, keyed: bool = False) -> pl.LazyFrame:
        # Keyed, text ids are left as read: the aggregation trims only those that are no plain number
        # (leadq.activity._with_keys). Not when they are joined to the dropped duplicates' leads first.
        ids_as_read = keyed and remap is None and raw_schema.get(ruleset.activity_columns["lead_id"].column) == pl.String
        typed = map_columns(raw, raw_schema, ruleset.activity_columns, ruleset.settings, blank_placeholders=False,
                            compose=False,
                            as_read=as_read | {"lead_id"} if ids_as_read else as_read, trimmed=trimmed)
        if remap is not None:
            typed = typed.join(remap, on="lead_id", how="left") \
                .with_columns(pl.coalesce("_kept_id", "lead_id").alias("lead_id")).drop("_kept_id")
        return typed

    typed = typed_events(events)
    keyed = large and lead_ids is None and numeric_ids(events, schema, ruleset, label)
    parts = partition_count(files) if lead_ids is None else 1
    scan = scan_together(files) if parts > 1 else None
    if scan is None:
        return (event_partials(typed_events(events, keyed=keyed), ruleset, compiled.as_of, compiled.event_where,
                               counts=True, coded=coded, keyed=keyed), typed, True, None)
    scan_schema = scan.collect_schema()
    lead = ruleset.activity_columns["lead_id"]
    # The partition of an event's lead: its id trimmed, every blank one the same ("" or null). Not
    # blanked to null as the aggregation types it (leadq.cleaning.typed): that trims every id twice.
    key = stripped_text(pl.col(lead.column), scan_schema[lead.column]).fill_null("")
    if remap is not None:
        # A dropped duplicate's events go to the partition of the lead kept: a `per: day` rule counts one day
        # once, where the day's events split over two partitions each scored it.
        key = key.replace(found["lead_id"], found["_kept_id"])
    columns = [c.column for f, c in ruleset.activity_columns.items()
               if f in event_fields_needed(compiled) and c.column in scan_schema]
    try:
        partials = aggregate_in_partitions(
            scan, key, parts,
            lambda raw: event_partials(typed_events(raw, raw.collect_schema(), keyed), ruleset, compiled.as_of,
                                       compiled.event_where, counts=True, coded=coded, keyed=keyed),
            columns=columns, folder=scratch.path(), merge=remap is not None,
            enums={ruleset.activity_columns[f].column: v for f, v in values.items()} if complete else None)
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, label) from exc
    # The scored leads' readable events (`_ev_timed`) ride with their aggregates into the run's
    # plan; the log's totals come from the counts of every lead (leadq.activity.known_event_columns).
    return partials.drop("_ev_rows", "_ev_due"), typed, True, partials.select("lead_id", *EVENT_COUNTS)


def numeric_ids(events: pl.LazyFrame, schema: pl.Schema, ruleset: Ruleset, label: str) -> bool:
    """Whether the log's lead ids are numbers: :data:`NUMERIC_SHARE` of the first :data:`ID_SAMPLE_ROWS` ids.

    Then the events are grouped by those numbers (:func:`leadq.activity.numeric_key`), the
    others by their text in a plan made for few events; the result is the same either way.
    """
    lead = ruleset.activity_columns["lead_id"]
    typed = typed_column(lead, schema[lead.column], ruleset.settings)
    try:
        share = events.head(ID_SAMPLE_ROWS).select(
            numeric_key(typed).is_not_null().sum() / typed.is_not_null().sum().clip(lower_bound=1)).collect().item()
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, label) from exc
    return share >= NUMERIC_SHARE
