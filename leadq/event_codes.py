"""Few-valued text fields of an activity log, tested once per value and matched by code.

An activity log's event type, and often its page URL and campaign, take a few dozen
distinct values over millions of events. Trimming and lower-casing each event's text,
then testing it for every rule (ten event types, five ``url contains`` conditions), is
most of the per-event work after the group-by itself. For such a field, leadq tests each
distinct value once instead: the values as read are typed as any event's would be
(:func:`leadq.cleaning.map_columns`), each rule's test (its event types, or a ``where``
condition on that field alone) is evaluated on them, and each event carries only its
value's code (its position among the values: an ``Enum`` cast, one lookup per event).
A rule then compares small integers. At M (20M events, the benchmark's ten event rules)
the types' tests went from 1.05 s to 0.4 s and the five URL conditions from 2.1-2.6 s
to 0.4 s, measured apart.

A Parquet log on disk is coded whole: reading the fields' distinct values costs about 0.6 s
of M's events there. A text log (CSV or Excel, read by leadq's readers) would be parsed a
second time for them (tried for CSV logs in the twelfth session: 4.4 s for the pass at M,
about what the coded tests save), so it is coded from the values of its first
:data:`SAMPLE_ROWS` rows only (:func:`sampled_values`): an event whose value is not among
them is tested as text, as before (:attr:`CodedLog.known`, :func:`leadq.activity.event_partials`). A field
is coded when it is text in the file, at most :data:`MAX_VALUES` values, and every ``where``
condition that reads it reads it alone; the others are typed per event, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import polars as pl

from leadq.activity import code_column, fields_read, normalised_text, rule_event_spellings
from leadq.cleaning import map_columns
from leadq.event_partitions import scan_together
from leadq.inputs import InputFile, input_error_from_polars
from leadq.ruleset import Rule, Ruleset, Type

MAX_VALUES = 10_000
# A field with more values than MAX_VALUES among a file's first rows is not read whole.
SAMPLE_ROWS = 200_000
# Fields read elsewhere as typed text (the group-by key, each lead's workspace).
NEVER_CODED = frozenset({"lead_id", "workspace_id"})


@dataclass(frozen=True)
class CodedLog:
    """The tests of an activity log's coded fields, for :func:`leadq.activity.event_partials`.

    Attributes:
        fields: the coded fields; the events carry them as read (not trimmed).
        columns: the code column of each coded field, computed per event.
        type_codes: per event rule (in the ruleset's order), the codes of the event
            types it counts, or None when the type is not coded.
        where: per rule id, its ``where`` condition: on the field's codes when the field
            is coded, else as compiled.
        known: None when every value of the coded fields has a code (the values came
            from the whole log); else true on the events (with ``columns`` computed) whose
            every coded field is blank or has a code. The others are tested as text.
    """

    fields: frozenset[str]
    columns: tuple[pl.Expr, ...]
    type_codes: tuple[tuple[int, ...], ...] | None
    where: dict[str, pl.Expr | None]
    known: pl.Expr | None = None


def codable_fields(ruleset: Ruleset, where_exprs: dict[str, pl.Expr | None]) -> list[str]:
    """The text fields whose every test reads that field alone: the event type, and fields of ``where`` conditions."""
    single: set[str] = {"event_type"}
    shared: set[str] = set()
    for expr in where_exprs.values():
        if expr is not None:
            fields = fields_read(expr)
            (single if len(fields) == 1 else shared).update(fields)
    text = {name for name, col in ruleset.activity_columns.items() if col.type is Type.TEXT}
    return sorted((single - shared - NEVER_CODED) & text)


def distinct_values(events: pl.LazyFrame, schema: pl.Schema, ruleset: Ruleset, fields: Sequence[str],
                    files: Sequence[InputFile], label: str) -> dict[str, list[str]]:
    """Each field's distinct values as read (nulls left out), for the fields that can be coded.

    Empty unless every file is Parquet on disk; a field is left out when it is not text
    in the file or has more than :data:`MAX_VALUES` values. The values of all the fields
    come from one pass over their distinct combinations.
    """
    if not files or any(f.parquet_path is None for f in files):
        return {}
    columns = {f: ruleset.activity_columns[f].column for f in fields}
    columns = {f: c for f, c in columns.items() if schema.get(c) == pl.String}
    if not columns:
        return {}
    # One multi-file scan reads a few files at a time; the concatenated scans of the files read them
    # all at once (6.4 GB for the two columns of L's 40 files, 0.3 GB this way).
    together = scan_together(files)
    events = events if together is None else together
    try:
        sample = events.head(SAMPLE_ROWS).select(pl.col(c).n_unique().alias(f) for f, c in columns.items()).collect()
        columns = {f: c for f, c in columns.items() if sample[f].item() <= MAX_VALUES}
        if not columns:
            return {}
        # One pass over the distinct combinations of the fields, not a plan per field.
        combos = events.group_by(list(columns.values())).agg().collect(engine="streaming")
        found = [combos.select(pl.col(c).unique()) for c in columns.values()]
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, label) from exc
    values = {f: frame.to_series().drop_nulls().to_list() for f, frame in zip(columns, found)}
    return {f: v for f, v in values.items() if len(v) <= MAX_VALUES}


def sampled_values(events: pl.LazyFrame, schema: pl.Schema, ruleset: Ruleset, fields: Sequence[str],
                   files: Sequence[InputFile], label: str) -> dict[str, list[str]]:
    """Each field's distinct values among the first :data:`SAMPLE_ROWS` events of a text log (nulls left out).

    Empty unless every file was read by leadq's CSV or Excel reader (its cells are trimmed,
    blank as null: the values are those the events carry). A field is left out when it
    has more than :data:`MAX_VALUES` values there. Reading the first rows costs a small
    part of a parse of the log; the values the sample misses are tested as text.
    """
    if not files or not all(f.text_ready for f in files):
        return {}
    columns = {f: c for f in fields if (c := ruleset.activity_columns[f].column) in schema}
    if not columns:
        return {}
    try:
        sample = events.head(SAMPLE_ROWS).select(
            pl.col(c).drop_nulls().unique().implode().alias(f) for f, c in columns.items()).collect()
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, label) from exc
    values = {f: sorted(sample[f].item().to_list()) for f in columns}
    return {f: v for f, v in values.items() if 0 < len(v) <= MAX_VALUES}


def matching_codes(ruleset: Ruleset, field: str, values: list[str], test: pl.Expr) -> tuple[int, ...]:
    """The codes on which ``test`` is true: positions in ``values``, and ``len(values)`` for no value.

    The values are typed as any event's would be (trimmed, blank as null) and given their
    lower-cased column, so that ``test`` reads them as it reads the events.
    """
    col = ruleset.activity_columns[field]
    raw = pl.LazyFrame({col.column: values + [None]}, schema={col.column: pl.String})
    typed = map_columns(raw, raw.collect_schema(), {field: col}, ruleset.settings, blank_placeholders=False)
    hits = typed.with_columns(pl.col(field).str.to_lowercase().alias(normalised_text(field))) \
        .select(test.fill_null(False)).collect().to_series()
    return tuple(i for i, hit in enumerate(hits) if hit)


def code_expr(field: str, values: list[str], complete: bool = True) -> pl.Expr:
    """An event's code for ``field``: its value's position in ``values``, ``len(values)`` for none.

    Not ``complete`` (a sample's values): a value not among them also gets ``len(values)``.
    """
    return (pl.col(field).cast(pl.Enum(values), strict=complete).to_physical().cast(pl.UInt32)
            .fill_null(len(values)).alias(code_column(field)))


def _known(values: dict[str, list[str]]) -> pl.Expr:
    """True on the events whose every coded field is blank or has a code (:func:`code_expr`)."""
    return pl.all_horizontal(pl.col(f).is_null() | (pl.col(code_column(f)) != len(v)) for f, v in values.items())


def _codes_test(field: str, codes: tuple[int, ...]) -> pl.Expr:
    return pl.col(code_column(field)).is_in(list(codes))


def coded_log(ruleset: Ruleset, where_exprs: dict[str, pl.Expr | None],
              values: dict[str, list[str]], complete: bool = True) -> CodedLog | None:
    """The coded tests of the fields in ``values``; None when there are none.

    ``complete``: the values are every value of the log (:func:`distinct_values`), not
    a sample's (:func:`sampled_values`).
    """
    if not values:
        return None
    rules: list[Rule] = list(ruleset.event_rules)
    type_codes = None
    if "event_type" in values:
        type_codes = tuple(
            matching_codes(ruleset, "event_type", values["event_type"],
                           pl.col("event_type").str.to_lowercase().is_in(rule_event_spellings(r)))
            for r in rules)
    where = dict(where_exprs)
    for rule_id, expr in where_exprs.items():
        fields = fields_read(expr) if expr is not None else set()
        if len(fields) == 1 and (field := fields.pop()) in values:
            where[rule_id] = _codes_test(field, matching_codes(ruleset, field, values[field], expr))
    return CodedLog(fields=frozenset(values), columns=tuple(code_expr(f, v, complete) for f, v in values.items()),
                    type_codes=type_codes, where=where, known=None if complete else _known(values))
