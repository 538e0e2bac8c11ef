"""Which mapped columns a run needs, and whether every input file has them.

A contact field is *used* when a rule, disqualifier or tier condition reads it (a
derived field such as ``email_domain`` or ``seniority`` counts as its source, ``email``
or ``job_title``), or when de-duplication keys on it; ``lead_id`` always is. A used
column missing from an input file stops the run (exit 3, naming the file and the
closest column names); an unreadable value in a used field rejects its row, where
one in a field nothing reads is blanked and counted. ``leadq validate --data`` and
``leadq score`` share these definitions.
"""

from __future__ import annotations

import shlex
from typing import Iterable, Sequence

import polars as pl

from leadq.conditions import Type, names_in
from leadq.csv_input import repeated_name
from leadq.errors import InputError, MissingColumnsError, Position, did_you_mean
from leadq.inputs import STDIN_LABEL, InputFile
from leadq.ruleset import Column, Ruleset

# Fields leadq derives from a mapped column: a condition on one needs its source.
DERIVED_FROM = {"email_domain": "email", "seniority": "job_title", "department": "job_title"}


def used_contact_fields(ruleset: Ruleset) -> set[str]:
    """Contact fields the conditions read (derived fields as their source), plus lead_id and dedupe keys."""
    used = {"lead_id"} | ({"email"} if "email" in ruleset.settings.dedupe_on else set())
    by_column = {col.column: name for name, col in ruleset.columns.items()}
    for r in ruleset.rules:
        conds = [r.when] if r.when is not None else []
        for cond in conds:
            fields, raws, calls = names_in(cond.tree)
            used |= fields | {by_column[c] for c in raws if c in by_column} | (calls & set(ruleset.columns))
    for _, cond in [("", d.when) for d in ruleset.disqualifiers] + [("", t.when) for t in ruleset.tiers if t.when]:
        fields, raws, calls = names_in(cond.tree)
        used |= fields | {by_column[c] for c in raws if c in by_column} | (calls & set(ruleset.columns))
    return {DERIVED_FROM.get(f, f) for f in used if DERIVED_FROM.get(f, f) in ruleset.columns}


def check_columns(schema: pl.Schema, columns: dict[str, Column], required: set[str], what: str) -> list[str]:
    """Raise MissingColumnsError for absent required columns; return the absent optional ones."""
    names = [c for c in schema if not c.startswith("_source_")]
    _raise_if_missing(names, columns, required, what)
    return [col.column for f, col in columns.items() if col.column not in schema]


def check_file_columns(files: Sequence[InputFile], columns: dict[str, Column], required: set[str]
                       ) -> tuple[list[str], dict[str, list[str]]]:
    """Check each input file on its own for the mapped columns.

    Files are concatenated by column name, so a column one day's export lost
    would silently read as blank in that file's rows: a required column must
    be in every file. Zero-byte files (no columns, no rows) are skipped.

    Args:
        files: The input files, as read by :func:`leadq.inputs.read_input_files`.
        columns: The ruleset's mapping (field -> column).
        required: Fields whose column every file must have.

    Returns:
        The mapped columns absent from every file (blank everywhere), and for
        each file the mapped columns only it lacks (blank in its rows).

    Raises:
        MissingColumnsError: A file lacks a required column (names the file).
        InputError: A mapped column of a Parquet or NDJSON file holds objects (names the file).
    """
    with_columns = [f for f in files if f.columns or f.fieldless]
    absent: dict[str, list[str]] = {}
    for f in with_columns:
        check_not_repeated(list(f.columns), [c.column for c in columns.values()], f.label)
        _raise_if_missing(list(f.columns), columns, required, f.label, _other_sheets_hint(f))
        if not f.text_ready:  # Parquet, NDJSON: a field may hold objects
            _raise_if_objects(f, columns)
        have = set(f.columns)
        absent[f.label] = [col.column for col in columns.values() if col.column not in have]
    everywhere = [c for c in dict.fromkeys(c for cols in absent.values() for c in cols)
                  if all(c in cols for cols in absent.values())]
    partly = {label: [c for c in cols if c not in everywhere] for label, cols in absent.items()}
    return everywhere, {label: cols for label, cols in partly.items() if cols}


def _raise_if_objects(file: InputFile, columns: dict[str, Column]) -> None:
    """Raise InputError for a mapped column of objects, or of lists of lists or objects, in ``file``.

    A list of values reads as its items joined with "; " (:func:`leadq.cleaning.nested_text`);
    an object has no one text a rule could test (its keys would be read as words of a title).
    """
    schema = file.frame.collect_schema()
    for col in columns.values():
        dtype = schema.get(col.column)
        if dtype is None or not dtype.is_nested():
            continue
        inner = dtype.inner if isinstance(dtype, (pl.List, pl.Array)) else dtype
        if inner.is_nested():
            what = "objects" if isinstance(dtype, pl.Struct) else "lists of objects or lists"
            raise InputError(f"column '{col.column}' (for {col.field}) holds {what}, not values leadq can read as "
                             "text; export the field as a value or a list of values (flatten it, e.g. with jq), "
                             "or map another column", Position(file.label))


def number_columns(columns: Iterable[Column]) -> set[str]:
    """The input columns of the mapped ``columns`` read as numbers: the ``number_columns`` of
    :func:`leadq.inputs.read_input_files` (an NDJSON file keeps their JSON numbers)."""
    return {c.column for c in columns if c.type is Type.NUMBER}


def check_not_repeated(names: Sequence[str], read: Sequence[str], label: str) -> None:
    """Raise InputError for a column the run reads whose name the file's header repeats.

    ``names``: the file's columns, later copies of a name renamed (:func:`leadq.csv_input.clean_column_names`).
    """
    for name in read:
        prefix = repeated_name(name, 0).removesuffix("0)")
        later = next((n[len(prefix):-1] for n in names if n.startswith(prefix) and n.endswith(")")), None)
        if later is not None and name in names:
            raise InputError(f"duplicate column name '{name}' (columns {list(names).index(name) + 1} and {later}); "
                             "rename one of them", Position(label))


def _other_sheets_hint(file: InputFile) -> str:
    """For a workbook with other sheets, where the table may be (a first sheet that is a title page): which
    sheet was read, the others, and how to read one; else ""."""
    if len(file.sheets) < 2:
        return ""
    read, others = file.sheets[0], file.sheets[1:]
    listed = ", ".join(f"'{name}'" for name in others)
    example = shlex.quote(others[0] if file.label == STDIN_LABEL else f"{file.label}={others[0]}")
    how = "--sheet SHEET" if file.label == STDIN_LABEL else "--sheet FILE=SHEET"
    return (f"; sheet '{read}' was read, and the workbook has other sheets: {listed}; to read another, give "
            f"{how} (e.g. --sheet {example})")


def _raise_if_missing(names: list[str], columns: dict[str, Column], required: set[str], what: str,
                      hint: str = "") -> None:
    """Raise MissingColumnsError naming the required columns absent from ``names``, with did-you-mean.

    ``hint``: appended to the message (:func:`_other_sheets_hint`).
    """
    present = set(names)
    missing = [col for f, col in columns.items() if f in required and col.column not in present]
    if missing:
        # The hint inside the column's brackets: after it, '; the file has' or ', <next column>' follows.
        parts = [f"'{c.column}' (for {c.field}{did_you_mean(c.column, names)})" for c in missing]
        raise MissingColumnsError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(parts)}; the file has: "
            f"{', '.join(names[:30]) or '(no fields: its records are empty, {})'}{' ...' if len(names) > 30 else ''}{hint}", Position(what),
            columns=[c.column for c in missing], advice="Fix the ruleset's column mapping or the export")
