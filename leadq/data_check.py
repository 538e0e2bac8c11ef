"""`leadq validate --data`: the ruleset's column mapping and values checked against real exports.

A scheduled run should not be the first to find that the export renamed a column, or that
a third of the company sizes are "about 300". This reads the data files as ``leadq score``
does and reports, against the ruleset's column mapping: mapped columns the files lack, values
a rule needs that cannot be read (rows the run would reject, with examples and a hint at the
setting that would read them), unreadable values no rule reads (blanked), and numbers read
from ranges such as "51-200".
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Iterator, Sequence

import polars as pl

from leadq.activity import event_type_spellings
from leadq.activity_input import event_fields_needed, read_activity_files
from leadq.cleaning import map_columns
from leadq.compiler import compile_ruleset
from leadq.conditions import Type
from leadq.errors import did_you_mean
from leadq.inputs import ReadOptions, concat_inputs, input_error_from_polars, read_input_files
from leadq.input_columns import used_contact_fields
from leadq.lint import Finding
from leadq.provenance import SOURCE_FILE, SOURCE_ROW
from leadq.ruleset import Column, Ruleset

EXAMPLES = 3
_KIND = {Type.NUMBER: "a number", Type.BOOL: "true/false", Type.DATETIME: "a date"}
_READING = {"low": "lower bound", "middle": "midpoint", "high": "upper bound"}
_ORDERED_DATE = re.compile(r"^\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")
_DECIMAL_COMMA = re.compile(r"^\s*-?\d{1,3}(\.\d{3})*,\d+\s*$")


def _finding(severity: str, code: str, col: Column, message: str, section: str = "columns") -> Finding:
    pos = col.pos
    return Finding(severity, code, pos.path, pos.line, pos.column, f"{section}.{col.field}", message)


def check_data(ruleset: Ruleset, specs: Sequence[str], options: ReadOptions | None = None) -> list[Finding]:
    """Read the data files and check the mapping's columns and values against them.

    Raises:
        InputError: a file is missing, unreadable or malformed.
    """
    # Only the mapped columns are checked: a row blank in all of them holds nothing to check, and
    # the others are not parsed to tell it from a blank row.
    frame = concat_inputs(read_input_files(specs, options or ReadOptions(),
                                           row_columns={c.column for c in ruleset.columns.values()}))
    schema = frame.collect_schema()
    label = ", ".join(specs)
    headers = [c for c in schema if not c.startswith("_source_")]
    return list(check_data_columns(ruleset, headers, label)) + list(check_data_values(ruleset, frame, schema, label))


def check_data_columns(ruleset: Ruleset, headers: Sequence[str], label: str) -> Iterator[Finding]:
    """Mapped columns absent from the data: errors when a condition reads them, warnings otherwise."""
    present = set(headers)
    used = used_contact_fields(ruleset)
    for name, col in ruleset.columns.items():
        if col.column in present:
            continue
        hint = _close(col.column, headers)
        if name in used:
            yield _finding("error", "column-missing", col,
                           f"column '{col.column}' is not in {label}{hint}; the ruleset reads {name}, so "
                           "`leadq score` would stop (exit 3)")
        else:
            yield _finding("warning", "column-missing", col,
                           f"column '{col.column}' is not in {label}{hint}; {name} will be blank")


def _close(column: str, headers: Sequence[str]) -> str:
    """`` (did you mean 'X'?)`` for a close header, else nothing: the sentence goes on after it."""
    close = did_you_mean(column, headers)
    return f" ({close[2:]})" if close else ""


def check_data_values(ruleset: Ruleset, frame: pl.LazyFrame, schema: pl.Schema, label: str) -> Iterator[Finding]:
    """Values of the mapped number, true/false and date columns that cannot be read, or were read from ranges.

    Two queries over the data, run together: the counts, and the first rows with a
    problem (a bounded sample, from which the examples are taken).
    """
    typed_cols = {name: col for name, col in ruleset.columns.items()
                  if col.type is not Type.TEXT and col.column in schema}
    if not typed_cols:
        return
    raw = sorted({col.column for col in typed_cols.values()})
    try:  # reading errors (a ragged row) surface here, where the data is read
        typed = map_columns(frame, schema, typed_cols, ruleset.settings, keep=tuple(raw), flag_ranges=True)
        flags = [c for c in typed.collect_schema().names() if c.startswith(("_bad__", "_ranged__"))]
        counts, sample = pl.collect_all([
            typed.select(pl.col(flags).sum()),
            typed.filter(pl.any_horizontal(flags))
            .select([SOURCE_FILE, SOURCE_ROW] + flags + [f"keep::{c}" for c in raw]).head(EXAMPLES * 100),
        ])
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, label) from exc
    total = counts.row(0, named=True)
    used = used_contact_fields(ruleset)
    for name, col in typed_cols.items():
        for flag in (f"_bad__{name}", f"_ranged__{name}"):
            if not total.get(flag):
                continue
            rows = sample.filter(pl.col(flag)).head(EXAMPLES)
            values = [str(v).strip() for v in rows[f"keep::{col.column}"].to_list()]
            where = ", ".join(f"{file} row {row}: '{value}'" for file, row, value in
                              zip(rows[SOURCE_FILE].to_list(), rows[SOURCE_ROW].to_list(), values))
            count = f"{total[flag]:,} value{'s' if total[flag] != 1 else ''} in column '{col.column}'"
            if flag.startswith("_ranged__"):
                yield _finding("info", "value-range", col,
                               f"{count} read from ranges or abbreviations ({where}), as their "
                               f"{_READING[ruleset.settings.number_ranges]} (settings.number_ranges)")
            elif name in used:
                yield _finding("warning", "value-unreadable", col,
                               f"{count} cannot be read as {_KIND[col.type]} ({where}); `leadq score` rejects "
                               f"those rows{_hint(ruleset, col, values)}")
            else:
                yield _finding("info", "value-unreadable", col,
                               f"{count} cannot be read as {_KIND[col.type]} ({where}); no rule reads "
                               f"{name}, so `leadq score` leaves them blank{_hint(ruleset, col, values)}")


def _hint(ruleset: Ruleset, col: Column, values: list[str]) -> str:
    """The setting that would read values like these, when one would."""
    settings = ruleset.settings
    if col.type is Type.DATETIME and any(_ORDERED_DATE.match(v) for v in values):
        other = {"iso": "us or eu", "us": "eu", "eu": "us"}[settings.date_order]
        return (f"; if these are dates in {'US or European' if settings.date_order == 'iso' else 'another'} order, "
                f"set settings.date_order: {other}")
    if col.type is Type.NUMBER and settings.number_format == "1,234.5" and any(
            _DECIMAL_COMMA.match(v) for v in values):
        return '; a decimal comma needs settings.number_format: "1.234,5" (or "1 234,5")'
    return ""


UNUSED_SHOWN = 5


def check_activity_types(ruleset: Ruleset, specs: Sequence[str], options: ReadOptions | None = None) -> list[Finding]:
    """The activity log's event types against the event rules' ``event:`` types.

    Types match as when scoring (:func:`leadq.activity.event_type_spellings`): in any
    case, with the words joined by a space, "_", "-" or nothing ("Demo Request" counts
    for ``demo_request``). An event rule whose types never occur in the log scores
    nothing: a warning, naming the log's most frequent types. The log's most frequent
    types that no rule scores are listed once (info).

    Raises:
        InputError: a file is missing, unreadable or malformed.
    """
    if not ruleset.event_rules:
        return []
    frame = concat_inputs(read_activity_files(specs, ruleset, options=options or ReadOptions()))
    schema = frame.collect_schema()
    label = ", ".join(specs)
    type_col = ruleset.activity_columns["event_type"]
    needed = event_fields_needed(compile_ruleset(ruleset, datetime.now(timezone.utc), explain=False))  # the lead, type and time, and what `where:` reads
    findings = [_finding("error", "column-missing", col,
                         f"column '{col.column}' is not in {label}{_close(col.column, list(schema))}; "
                         + (f"a `where:` reads {name}, so " if name not in ("lead_id", "event_type", "occurred_at")
                            else "") + "`leadq score` would stop (exit 3)", "activity_columns")
                for name, col in ruleset.activity_columns.items()
                if name in needed and col.column not in schema]
    if type_col.column not in schema:
        return findings
    try:
        counts = (map_columns(frame, schema, {"event_type": type_col}, ruleset.settings)
                  .group_by(pl.col("event_type").str.to_lowercase()).len()
                  .drop_nulls("event_type").sort(["len", "event_type"], descending=[True, False]).collect())
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, label) from exc
    seen = dict(zip(counts["event_type"].to_list(), counts["len"].to_list()))
    top = ", ".join(f"'{t}' ({n:,})" for t, n in list(seen.items())[:UNUSED_SHOWN])
    hint = f"the log's most frequent types: {top}" if seen else "the log has no event types"
    scored: set[str] = set()
    for rule in ruleset.event_rules:
        for wanted in rule.events:
            spellings = event_type_spellings(wanted)
            scored.update(spellings)
            if any(s in seen for s in spellings):
                continue
            pos = rule.pos
            findings.append(Finding("warning", "event-type-missing", pos.path, pos.line, pos.column,
                                    f"{rule.section} rule '{rule.id}'",
                                    f"no event of type '{wanted.lower()}' in {label}, so the rule scores nothing; "
                                    f"{hint}"))
    unused = [(t, n) for t, n in seen.items() if t not in scored]
    if unused:
        shown = ", ".join(f"'{t}' ({n:,})" for t, n in unused[:UNUSED_SHOWN])
        more = f" and {len(unused) - UNUSED_SHOWN} more" if len(unused) > UNUSED_SHOWN else ""
        findings.append(_finding("info", "event-type-unused", type_col,
                                 f"event types in {label} that no rule scores: {shown}{more}", "activity_columns"))
    return findings
