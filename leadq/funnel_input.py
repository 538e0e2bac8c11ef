"""Contacts in, one typed frame of stage dates and segment columns out (the input of :mod:`leadq.funnel`).

The contacts are read and typed with the same code as scoring
(:func:`leadq.inputs.read_inputs`, :func:`leadq.cleaning.map_columns`), through
the ruleset's ``columns`` mapping, so dates, encodings and delimiters behave
the same. Two kinds of input work:

* a CRM export (columns named as the ruleset maps them), and
* the output of ``leadq score`` (``lead_id``, ``tier``, ``grade``,
  ``disqualification_reasons`` plus the raw CRM columns kept with
  ``--keep-columns``): a field whose CRM column is absent is also looked up
  under its canonical name.

Rows without a lead id are dropped and duplicate lead ids keep the most
recently updated row (then the first), as scoring does; both are counted.
When tier or grade is needed and the input has none, the contacts are scored
on the fly with :func:`leadq.pipeline.score_frames` (which also de-duplicates
by e-mail when the ruleset says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Sequence

import polars as pl

from leadq.cleaning import UTC, blank_to_null, map_columns
from leadq.conditions import Type
from leadq.errors import MissingColumnsError, Position, UsageError, did_you_mean
from leadq.fields import CONTACT_FIELDS
from leadq.funnel_settings import DEFAULT_SIZE_BANDS
from leadq.inputs import (
    SOURCE_FILE, STDIN, InputFile, ReadOptions, concat_inputs, input_error_from_polars, read_input_files,
    run_counted,
)
from leadq.ruleset import Column, Ruleset

DATE_FIELDS = ("created_at", "mql_at", "sql_at", "opportunity_at", "won_at", "lost_at", "first_touch_at")
# The typed fields the compact funnel of a scoring run reads, beside lead_id, tier, grade and the reasons
# (leadq.pipeline carries them, and the date fields' unreadable-value flags, with funnel_detail=True).
SCORED_FUNNEL_FIELDS = ("lifecycle_stage", "company_size", *DATE_FIELDS)
SCORE_FIELDS = ("tier", "grade")
REASONS = "disqualification_reasons"
BLANK = "(blank)"
# Raw --by columns are carried through on-the-fly scoring under this prefix.
BY_PREFIX = "_by::"
# --by names that are not plain text columns.
SIZE_BAND = "company_size"
# The fields the funnel reads, beside its --by fields.
_FIELDS_READ = ("lead_id", "updated_at", "lifecycle_stage", "company_size") + DATE_FIELDS


@dataclass
class FunnelInput:
    """The typed contacts and what happened on the way in.

    Attributes:
        frame: one row per lead: the date fields (UTC, null when blank), ``lifecycle_stage``,
            ``tier`` / ``grade`` / ``reasons`` when known, and ``seg::<by>`` text columns.
        rows: contact rows read.
        dropped: reason -> rows left out ("missing lead id", "duplicate lead id", and the reasons
            on-the-fly scoring rejects rows for).
        unreadable_dates: CRM column -> values present but not readable as a date (treated as blank).
        missing_columns: CRM columns for stage fields that the input does not have (treated as blank).
        columns: canonical field -> the input column it was read from.
        scored_on_the_fly: True when tier/grade came from scoring the contacts here.
        rows_by_file: contact rows read, by file.
    """

    frame: pl.DataFrame
    rows: int
    dropped: dict[str, int] = field(default_factory=dict)
    unreadable_dates: dict[str, int] = field(default_factory=dict)
    missing_columns: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    scored_on_the_fly: bool = False
    rows_by_file: dict[str, int] = field(default_factory=dict)


def size_band_expr(size: pl.Expr, bounds: Sequence[float]) -> pl.Expr:
    """Company-size band label ("51-200", "10,001+") from an employee count; null when blank."""
    labels = size_band_labels(bounds)
    out: pl.Expr = pl.lit(labels[-1])
    for bound, label in reversed(list(zip(bounds, labels))):
        out = pl.when(size <= bound).then(pl.lit(label)).otherwise(out)
    return pl.when(size.is_null()).then(pl.lit(None, dtype=pl.String)).otherwise(out)


def size_band_labels(bounds: Sequence[float]) -> list[str]:
    """Labels of the bands that ``bounds`` (upper bounds, ascending) make, smallest first."""
    labels, low = [], 1
    for b in bounds:
        labels.append(f"{low:,}-{int(b):,}")
        low = int(b) + 1
    labels.append(f"{low:,}+")
    return labels


def by_choices(ruleset: Ruleset) -> list[str]:
    """The canonical names ``--by`` accepts with this ruleset (raw input columns are accepted too)."""
    text = [f for f, c in ruleset.columns.items() if c.type in (Type.TEXT, Type.BOOL) and f != "lead_id"
            and f not in ("email", "first_name", "last_name")]
    return sorted(set(text) | {"tier", "grade", SIZE_BAND})


def _resolve(ruleset: Ruleset, schema: pl.Schema, fields: Sequence[str]) -> dict[str, Column]:
    """Columns to read for each wanted field: the mapped CRM column, else one named like the field."""
    out: dict[str, Column] = {}
    for name in fields:
        col = ruleset.columns.get(name)
        if col is not None and col.column in schema:
            out[name] = col
        elif name in schema:
            typ = col.type if col is not None else CONTACT_FIELDS.get(name, Type.TEXT)
            out[name] = Column(name, name, typ, col.pos if col else Position(ruleset.path))
        elif col is not None:
            out[name] = col  # absent: map_columns makes it null, and it is reported
    return out


def _by_columns(ruleset: Ruleset, schema: pl.Schema, by: Sequence[str], label: str,
                resolved: dict[str, Column]) -> dict[str, str]:
    """--by name -> the field or raw column to group on; raises for unknown or absent ones."""
    out: dict[str, str] = {}
    choices = by_choices(ruleset)
    file_columns = [c for c in schema if not c.startswith("_")]
    for name in by:
        if name in SCORE_FIELDS:
            out[name] = name
            continue
        if name in resolved or name in ruleset.columns or name in CONTACT_FIELDS:
            col = resolved.get(name)
            if col is None or col.column not in schema:
                mapped = ruleset.columns.get(name)
                where = f"column '{mapped.column}'" if mapped else f"a column '{name}'"
                raise MissingColumnsError(f"--by {name}: the input has no {where}; the file has: "
                                          f"{_listed(file_columns)}", Position(label))
            out[name] = name
        elif name in schema:
            out[name] = name  # a raw input column
        else:
            raise UsageError(f"--by: unknown field or column '{name}'{did_you_mean(name, choices + file_columns)}; "
                             f"expected one of: {', '.join(choices)}, or a column of {label}: "
                             f"{_listed(file_columns)}")
    return out


def _listed(columns: Sequence[str], most: int = 30) -> str:
    """Column names for a message, the first ``most`` of them."""
    more = f" (and {len(columns) - most} more)" if len(columns) > most else ""
    return (", ".join(f"'{c}'" for c in columns[:most]) or "(no columns)") + more


def _empty_events(ruleset: Ruleset) -> pl.LazyFrame:
    """An empty activity log with the ruleset's column names, so event rules score zero."""
    return pl.LazyFrame(schema={c.column: pl.String for c in ruleset.activity_columns.values()})


def _reasons_expr(dtype: pl.DataType) -> pl.Expr:
    """Disqualification reason codes as a list: a list column as is, CSV text split on ';'."""
    col = pl.col(REASONS)
    if isinstance(dtype, pl.List):
        return col.cast(pl.List(pl.String))
    # Spaces around the separators go before the split, so the parts need only a filter.
    text = col.cast(pl.String).str.replace_all(r"\s*;\s*", ";").str.strip_chars()
    return text.str.split(";").list.filter(pl.element() != "")


def read_funnel_input(
    ruleset: Ruleset,
    contact_specs: Sequence[str],
    *,
    by: Sequence[str] = (),
    options: ReadOptions = ReadOptions(),
    stdin: BinaryIO | None = None,
    activity_specs: Sequence[str] = (),
    account_specs: Sequence[str] = (),
    score: bool = False,
    as_of: datetime | None = None,
    size_bands: Sequence[float] = (),
) -> FunnelInput:
    """Read and type the contacts for the funnel.

    Args:
        ruleset: gives the column mapping, date settings and (for scoring) the rules.
        contact_specs: files, globs or ``-``.
        by: breakdown names (canonical fields, ``tier``, ``grade``, ``company_size`` or raw columns).
        options: input format, encoding, delimiter.
        stdin: where ``-`` reads from.
        activity_specs, account_specs: used only when scoring on the fly.
        score: score the contacts even if tier/grade are not asked for (e.g. for SLA per tier).
        as_of: "now" for on-the-fly scoring.
        size_bands: upper bounds of the company-size bands.

    Raises:
        InputError, MissingColumnsError: unreadable input, or no stage column at all.
        UsageError: an unknown ``--by`` name.
    """
    label = ", ".join(contact_specs)
    if not size_bands:
        size_bands = ruleset.funnel.size_bands if ruleset.funnel is not None else DEFAULT_SIZE_BANDS
    if list(contact_specs).count("-") + list(activity_specs).count("-") + list(account_specs).count("-") > 1:
        raise UsageError("only one input can come from stdin ('-')")
    # Blank rows looked for in the columns the funnel may read, checked by a count (run_counted): the
    # other columns are not parsed. A superset: a wanted field is read from a column named like it
    # when its mapped column is absent (_resolve), and --by names raw columns too. Not with the
    # activities or accounts from stdin: scoring the contacts again would read them again.
    fields = _FIELDS_READ + tuple(by) + SCORE_FIELDS + (REASONS,)
    used = {ruleset.columns[f].column for f in fields if f in ruleset.columns} | set(fields)
    if score or any(b in SCORE_FIELDS for b in by):  # scoring reads every mapped column
        used |= {c.column for c in ruleset.columns.values()}
    contact_files = read_input_files(contact_specs, options, stdin=stdin,
                                     used_columns=None if STDIN in [*activity_specs, *account_specs] else used)

    def funnel_input(files: list[InputFile]) -> FunnelInput:
        return _funnel_input(ruleset, files, by, options, stdin, activity_specs, account_specs, score, as_of,
                             size_bands, label)

    return run_counted(contact_files, contact_specs, options, funnel_input, lambda inp: inp.rows_by_file)


def _funnel_input(ruleset: Ruleset, contact_files: list[InputFile], by: Sequence[str], options: ReadOptions,
                  stdin: BinaryIO | None, activity_specs: Sequence[str], account_specs: Sequence[str], score: bool,
                  as_of: datetime | None, size_bands: Sequence[float], label: str) -> FunnelInput:
    """The body of :func:`read_funnel_input`, on the contacts files read."""
    contacts = concat_inputs(contact_files)
    try:
        schema = contacts.collect_schema()
        wanted = _FIELDS_READ + tuple(b for b in by if b not in SCORE_FIELDS)
        resolved = _resolve(ruleset, schema, list(dict.fromkeys(wanted)))
        stage_present = [f for f in DATE_FIELDS + ("lifecycle_stage",)
                         if f in resolved and resolved[f].column in schema]
        if not stage_present:
            names = [f"'{ruleset.columns[f].column}' ({f})" for f in DATE_FIELDS if f in ruleset.columns]
            raise MissingColumnsError(
                "the input has none of the stage columns the ruleset maps: " + (", ".join(names) or "(none mapped)")
                + "; map created_at, mql_at, sql_at ... in the ruleset's columns", Position(label))
        by_cols = _by_columns(ruleset, schema, by, label, resolved)
        need_scores = score or any(b in SCORE_FIELDS and b not in schema for b in by)
        if need_scores and not all(f in schema for f in SCORE_FIELDS):
            return _scored_input(ruleset, contacts, schema, activity_specs, account_specs, options, stdin, as_of,
                                 by_cols, resolved, size_bands, label, contact_files)
        return _plain_input(ruleset, contacts, schema, resolved, by_cols, size_bands,
                            [f.label for f in contact_files])
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, label) from exc


def _segment_exprs(by_cols: dict[str, str], size_bands: Sequence[float], schema: pl.Schema) -> list[pl.Expr]:
    out = []
    for name, col in by_cols.items():
        if name == SIZE_BAND:
            expr = size_band_expr(pl.col("company_size"), size_bands)
        else:
            dtype = schema.get(col)
            expr = pl.col(col).cast(pl.String)
            if dtype is None or dtype == pl.String:
                expr = blank_to_null(expr.str.strip_chars())
        out.append(expr.fill_null(pl.lit(BLANK)).alias(f"seg::{name}"))
    return out


def _keep(typed_cols: list[str]) -> list[str]:
    base = ["lead_id", "lifecycle_stage", "company_size", *DATE_FIELDS, "tier", "grade", "reasons"]
    return [c for c in base if c in typed_cols] + [c for c in typed_cols if c.startswith("seg::")]


def _plain_input(ruleset: Ruleset, contacts: pl.LazyFrame, schema: pl.Schema, resolved: dict[str, Column],
                 by_cols: dict[str, str], size_bands: Sequence[float], labels: list[str]) -> FunnelInput:
    raw_by = [c for n, c in by_cols.items() if n not in resolved and n not in SCORE_FIELDS]
    typed = map_columns(contacts, schema, resolved, ruleset.settings)
    extra = [pl.col(c) for c in SCORE_FIELDS if c in schema]
    if REASONS in schema:
        extra.append(_reasons_expr(schema[REASONS]).alias("reasons"))
    extra += [pl.col(c) for c in raw_by]
    if extra:
        typed = pl.concat([typed, contacts.select(extra)], how="horizontal")
    for f in DATE_FIELDS:
        if f not in resolved:
            typed = typed.with_columns(pl.lit(None, dtype=UTC).alias(f))
    seg_schema = {**dict(typed.collect_schema()), **{c: schema[c] for c in raw_by}}
    typed = typed.with_columns(_segment_exprs(by_cols, size_bands, pl.Schema(seg_schema)))
    typed = typed.with_row_index("_order")
    has_id = "lead_id" in resolved and resolved["lead_id"].column in schema
    if has_id:
        keys = (["updated_at"] if "updated_at" in resolved and resolved["updated_at"].column in schema else [])
        keys.append("_order")
        kept = (typed.filter(pl.col("lead_id").is_not_null())
                .sort(keys, descending=[True] * (len(keys) - 1) + [False], nulls_last=True)
                .unique("lead_id", keep="first").sort("_order"))
    else:
        kept = typed
    bad_cols = [c for c in typed.collect_schema() if c.startswith("_bad__") and c[6:] in DATE_FIELDS]
    counts = [pl.len().alias("rows"), (pl.col("lead_id").is_null().sum() if has_id else pl.lit(0)).alias("no_id"),
              *[pl.col(c).sum().alias(c) for c in bad_cols]]
    # Per file only when there are several: a group-by on the file's name cost 0.5 s of M's 1M contacts.
    by_file = typed.group_by(SOURCE_FILE).agg(counts) if len(labels) > 1 else \
        typed.select(pl.lit(labels[0]).alias(SOURCE_FILE), *counts)
    frame, by_file_df = pl.collect_all([kept.select(_keep(list(kept.collect_schema()))), by_file])
    c = by_file_df.select(pl.exclude(SOURCE_FILE).sum()).row(0, named=True)
    without_id = int(c["no_id"])
    dropped = {"missing lead id": without_id, "duplicate lead id": int(c["rows"]) - without_id - frame.height}
    return FunnelInput(
        frame=frame, rows=int(c["rows"]), dropped={k: v for k, v in dropped.items() if v},
        unreadable_dates={resolved[b[6:]].column: int(c[b]) for b in bad_cols if c[b]},
        missing_columns=[resolved[f].column for f in DATE_FIELDS + ("lifecycle_stage",)
                         if f in resolved and resolved[f].column not in schema],
        columns={f: col.column for f, col in resolved.items() if col.column in schema},
        rows_by_file=dict(zip(by_file_df[SOURCE_FILE].to_list(), by_file_df["rows"].to_list())),
    )


def _scored_input(ruleset: Ruleset, contacts: pl.LazyFrame, schema: pl.Schema, activity_specs: Sequence[str],
                  account_specs: Sequence[str], options: ReadOptions, stdin: BinaryIO | None,
                  as_of: datetime | None, by_cols: dict[str, str], resolved: dict[str, Column],
                  size_bands: Sequence[float], label: str, contact_files: Sequence[InputFile]) -> FunnelInput:
    from leadq.activity_input import read_activity_files
    from leadq.pipeline import read_account_files, score_frames

    # Scoring types only the ruleset's fields: any other --by column (a raw column, or a field read from a
    # column named like it) is carried through under a name of its own, which no output column can clash with.
    raw = {n: resolved[n].column if n in resolved else col for n, col in by_cols.items()
           if n not in SCORE_FIELDS and n != SIZE_BAND
           and not (n in ruleset.columns and n in resolved and resolved[n].column == ruleset.columns[n].column)}
    carried = {n: f"{BY_PREFIX}{col}" for n, col in raw.items()}
    if carried:
        contacts = contacts.with_columns(pl.col(raw[n]).alias(c) for n, c in carried.items())
    raw_by = list(dict.fromkeys(carried.values()))
    by_cols = {n: f"keep::{carried[n]}" if n in carried else col for n, col in by_cols.items()}
    event_files = read_activity_files(activity_specs, ruleset, options=options, stdin=stdin)
    events = concat_inputs(event_files) if event_files else None
    if events is None and ruleset.event_rules:
        events = _empty_events(ruleset)
    account_files = read_account_files(account_specs, ruleset, options=options, stdin=stdin)
    accounts = concat_inputs(account_files) if account_files else None
    result = score_frames(ruleset, contacts, events, accounts, as_of=as_of, keep_columns=raw_by, detail=True,
                          contacts_label=label, events_label=", ".join(activity_specs), contacts_files=contact_files,
                          events_files=event_files, accounts_files=account_files)
    inp = input_from_score(result, ruleset, by_cols=by_cols, size_bands=size_bands)
    inp.columns = {f: col.column for f, col in resolved.items() if col.column in schema}
    return inp


def input_from_score(result, ruleset: Ruleset, *, by_cols: dict[str, str] | None = None,
                     size_bands: Sequence[float] = DEFAULT_SIZE_BANDS) -> FunnelInput:
    """Funnel input from a scoring run made with ``detail=True`` or ``funnel_detail=True`` (its typed fields,
    tier, grade and reasons).

    Args:
        result: a :class:`leadq.pipeline.ScoreResult` whose ``detail`` frame is set.
        ruleset: the ruleset the run used.
        by_cols: breakdown name -> column of ``result.detail`` to group on (a field, or a raw column
            kept through scoring as ``keep::<name>``).
        size_bands: upper bounds of the company-size bands.
    """
    detail = result.detail
    if detail is None:
        raise ValueError("input_from_score needs a ScoreResult made with detail=True")
    frame = detail.with_columns(pl.col("disqualification_reasons").alias("reasons"))
    for f in DATE_FIELDS + ("lifecycle_stage",):
        if f not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=UTC if f != "lifecycle_stage" else pl.String).alias(f))
    if by_cols:
        frame = frame.with_columns(_segment_exprs(by_cols, size_bands, frame.schema))
    bad = {ruleset.columns[c[6:]].column: int(frame[c].sum()) for c in frame.columns
           if c.startswith("_bad__") and c[6:] in DATE_FIELDS}
    stats = result.stats
    stage_columns = [ruleset.columns[f].column for f in DATE_FIELDS if f in ruleset.columns]
    return FunnelInput(
        frame=frame.select(_keep(frame.columns)), rows=stats.input_rows, dropped=dict(stats.rejected_by_reason),
        unreadable_dates={k: v for k, v in bad.items() if v},
        missing_columns=[c for c in stats.missing_columns if c in stage_columns],
        columns={f: c.column for f, c in ruleset.columns.items() if c.column not in stats.missing_columns},
        scored_on_the_fly=True, rows_by_file=stats.rows_by_file(),
    )


# What tells that a lead went past creation: a later stage's date, or a lifecycle stage. created_at
# alone makes every lead a "lead" and every later stage 0; lost_at and first_touch_at are no stage.
LATER_STAGE_FIELDS = ("mql_at", "sql_at", "opportunity_at", "won_at", "lifecycle_stage")


def has_stage_columns(inp: FunnelInput, ruleset: Ruleset) -> bool:
    """True when the input has a column of a stage after creation (a later stage's date, or the lifecycle
    stage) that the ruleset maps: without one, a funnel has nothing but its created leads to count."""
    return any(f in ruleset.columns and f in inp.columns for f in LATER_STAGE_FIELDS)


