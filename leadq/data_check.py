"""`leadq validate --data`: the ruleset's column mapping, values and outcomes checked against real exports.

A scheduled run should not be the first to find that the export renamed a column, or that
a third of the company sizes are "about 300". This reads the data files as ``leadq score``
does and reports, against the ruleset's column mapping: mapped columns the files lack, values
a rule needs that cannot be read (rows the run would reject, with examples and a hint at the
setting that would read them), unreadable values no rule reads (blanked), and numbers read
from ranges such as "51-200", and quoted values of text conditions that no row holds while a close
value does ("salesqualifiedlead" for the label "Sales Qualified Lead"). It then scores the data (:func:`leadq.pipeline.read_and_score`,
the path of ``leadq score``) and reports rules that fire for no lead or for every lead,
disqualifiers that hit most leads, and tiers no lead reaches.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterator, Sequence

import polars as pl

from leadq.activity import date_orders_reading, event_type_spellings, most_events_unknown, time_setting_fix
from leadq.activity_input import event_fields_needed, read_activity_files
from leadq.cleaning import map_columns
from leadq.compiler import compile_ruleset
from leadq.conditions import Call, Compare, InList, ListLit, Literal, Name, Type, names_in, walk
from leadq.errors import Position, did_you_mean
from leadq.inputs import ReadOptions, concat_inputs, input_error_from_polars, read_input_files
from leadq.input_columns import used_contact_fields
from leadq.lint import Finding
from leadq.provenance import SOURCE_FILE, SOURCE_ROW
from leadq.ruleset import Column, Rule, Ruleset

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
    return (list(check_data_columns(ruleset, headers, label)) + list(check_data_values(ruleset, frame, schema, label))
            + list(check_text_literals(ruleset, frame, schema, label)))


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


DISTINCT_CAP = 5_000  # distinct values per text column kept for "closest values" (the check itself is exact)


@dataclass(frozen=True)
class _TextLiteral:
    """A quoted value a condition compares a mapped text column with (=, !=, in, not in)."""

    subject: str  # "fit rule 'x'", "disqualifier 'y'", "tier 'z'"
    field: str
    column: str
    value: str
    op: str
    pos: Position


def _text_literals(ruleset: Ruleset, schema: pl.Schema) -> list[_TextLiteral]:
    """The quoted values of ``=``/``!=``/``in``/``not in`` on mapped text columns the data has, in ruleset order."""
    by_column = {col.column: (name, col) for name, col in ruleset.columns.items()}
    conditions = [(f"{r.section} rule '{r.id}'", r.when) for r in ruleset.rules if r.when is not None]
    conditions += [(f"disqualifier '{d.code}'", d.when) for d in ruleset.disqualifiers]
    conditions += [(f"tier '{t.name}'", t.when) for t in ruleset.tiers if t.when is not None]
    out = []
    for subject, cond in conditions:
        for node in walk(cond.tree):
            if isinstance(node, Compare) and node.op in ("=", "!="):
                sides = [(node.left, node.right), (node.right, node.left)]
                pairs = [(n, [lit], node.op) for n, lit in sides if isinstance(n, Name) and isinstance(lit, Literal)]
            elif isinstance(node, InList) and isinstance(node.subject, Name) and isinstance(node.items, ListLit):
                pairs = [(node.subject, list(node.items.items), "not in" if node.negated else "in")]
            else:
                continue
            for name, lits, op in pairs:
                field_name, col = (by_column.get(name.name, (None, None)) if name.raw_column
                                   else (name.name, ruleset.columns.get(name.name)))
                if col is None or col.type is not Type.TEXT or col.column not in schema:
                    continue
                for lit in lits:
                    if isinstance(lit.value, str) and lit.value.strip():
                        out.append(_TextLiteral(subject, str(field_name), col.column, lit.value, op,
                                                cond.error_position(lit.offset)))
    return out


def _squeezed(text: str) -> str:
    """Text as a did-you-mean compares it: lower case, letters and digits only ("Sales Qualified Lead" ->
    "salesqualifiedlead")."""
    return re.sub(r"[\W_]+", "", text.lower())


def _closest(value: str, pool: list[str]) -> list[str]:
    """Up to three values of ``pool`` closest to ``value`` by squeezed text: the equal ones first."""
    squeezed = {}
    for v in pool:
        squeezed.setdefault(_squeezed(v), []).append(v)
    key = _squeezed(value)
    if key in squeezed:
        return squeezed[key][:3]
    close = difflib.get_close_matches(key, list(squeezed), n=3, cutoff=0.85)
    return [squeezed[c][0] for c in close]


def check_text_literals(ruleset: Ruleset, frame: pl.LazyFrame, schema: pl.Schema, label: str) -> Iterator[Finding]:
    """Quoted values of ``=``, ``!=``, ``in`` and ``not in`` on a text column that no row holds.

    A condition compares text trimmed and in any case, but letter for letter:
    ``lifecycle_stage in ["salesqualifiedlead", "opportunity"]`` on an export holding HubSpot's
    labels ("Sales Qualified Lead") matches the opportunities only, and says nothing. One query:
    per column concerned, its filled rows, which of the values occur (exact) and its distinct
    values (at most :data:`DISTINCT_CAP`, for the closest). A warning when a close value occurs
    (the same letters and digits in another case or spacing, or a near spelling: the data's
    spelling, not the ruleset's); nothing when none does: an export may just hold no lead of that
    value (a sample of one region), and a rule that then matches no lead is ``rule-never-fires``.
    """
    literals = _text_literals(ruleset, schema)
    if not literals:
        return
    columns = list(dict.fromkeys(t.column for t in literals))
    wanted = {c: sorted({t.value.strip().lower() for t in literals if t.column == c}) for c in columns}
    exprs = []
    for i, c in enumerate(columns):
        text = pl.col(c).cast(pl.String).str.strip_chars()
        filled = text.filter(text.str.len_chars() > 0)
        exprs += [filled.len().alias(f"n{i}"),
                  filled.str.to_lowercase().filter(filled.str.to_lowercase().is_in(wanted[c])).unique()
                  .implode().alias(f"hit{i}"),
                  filled.unique().sort().head(DISTINCT_CAP).implode().alias(f"vals{i}")]
    try:
        row = frame.select(exprs).collect().row(0, named=True)
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, label) from exc
    index = {c: i for i, c in enumerate(columns)}
    found = {c: set(row[f"hit{index[c]}"] or []) for c in columns}
    for t in literals:
        i = index[t.column]
        filled = int(row[f"n{i}"] or 0)
        if not filled or t.value.strip().lower() in found[t.column]:
            continue
        close = _closest(t.value, row[f"vals{i}"] or [])
        if not close:  # the export may just hold no such lead; a rule left dead by it is rule-never-fires
            continue
        shown = f"{t.field} {t.op} [...]" if t.op.endswith("in") else f"{t.field} {t.op}"
        message = (f"value \"{t.value}\" of `{shown}` occurs in no row of {label} (column '{t.column}', "
                   f"{filled:,} row{'s' if filled != 1 else ''} with a value)")
        message += "; did you mean " + " or ".join(f'"{v}"' for v in close) + "? Text is compared trimmed and in " \
            "any case, but letter for letter"
        yield _finding_at("warning", "value-never-seen", t.pos, t.subject, message)


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
    counts_of = [name for name, col in typed_cols.items() if col.type is Type.NUMBER and _whole_count(name)]
    try:  # reading errors (a ragged row) surface here, where the data is read
        typed = map_columns(frame, schema, typed_cols, ruleset.settings, keep=tuple(raw), flag_ranges=True)
        names = set(typed.collect_schema().names())
        typed = typed.with_columns(_fraction_flag(name, names) for name in counts_of)
        flags = [c for c in typed.collect_schema().names() if c.startswith(("_bad__", "_ranged__", "_fraction__"))]
        counts, sample = pl.collect_all([
            typed.select(pl.col(flags).sum()),
            typed.filter(pl.any_horizontal(flags))
            .select([SOURCE_FILE, SOURCE_ROW] + flags + [f"keep::{c}" for c in raw] + counts_of)
            .head(EXAMPLES * 100),
        ])
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, label) from exc
    total = counts.row(0, named=True)
    used = used_contact_fields(ruleset)
    for name, col in typed_cols.items():
        for flag in (f"_bad__{name}", f"_ranged__{name}", f"_fraction__{name}"):
            if not total.get(flag):
                continue
            rows = sample.filter(pl.col(flag)).head(EXAMPLES)
            values = [str(v).strip() for v in rows[f"keep::{col.column}"].to_list()]
            where = ", ".join(f"{file} row {row}: '{value}'" for file, row, value in
                              zip(rows[SOURCE_FILE].to_list(), rows[SOURCE_ROW].to_list(), values))
            count = f"{total[flag]:,} value{'s' if total[flag] != 1 else ''} in column '{col.column}'"
            if flag.startswith("_fraction__"):
                read = ", ".join(f"{file} row {row}: '{value}' read as {_number(v)}" for file, row, value, v in
                                 zip(rows[SOURCE_FILE].to_list(), rows[SOURCE_ROW].to_list(), values,
                                     rows[name].to_list()))
                yield _finding("warning", "value-fractional-count", col,
                               f"{count} read as {'fractions' if total[flag] != 1 else 'a fraction'} ({read}); {name} counts employees, a whole number, so "
                               f"the values were likely misread{_fraction_hint(ruleset, col, values)}")
            elif flag.startswith("_ranged__"):
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


# Number fields that hold a whole count of employees: the canonical company_size and the usual custom names.
_EMPLOYEE_COUNT = re.compile(r"(number_of_|num_|total_)?(employees?|headcount|staff)(_count)?|employee_count")
_COMMA_THOUSANDS = re.compile(r"^\s*\d{1,3}(,\d{3})+\s*$")
_POINT_THOUSANDS = re.compile(r"^\s*\d{1,3}(\.\d{3})+\s*$")


def _whole_count(name: str) -> bool:
    """Whether a number field holds a count of employees, never a fraction (``company_size``, ``employees``)."""
    return name == "company_size" or bool(_EMPLOYEE_COUNT.fullmatch(name))


def _fraction_flag(name: str, columns: set[str]) -> pl.Expr:
    """``_fraction__<field>``: the value read is not a whole number (a range's midpoint, 125.5, is not counted:
    ``value-range`` reports those)."""
    fraction = (pl.col(name) != pl.col(name).floor()).fill_null(False)
    ranged = f"_ranged__{name}"
    if ranged in columns:
        fraction = fraction & ~pl.col(ranged).fill_null(False)
    return fraction.alias(f"_fraction__{name}")


def _number(value: float) -> str:
    """A number read, as a user writes it: 1.25, 1250 (no exponent, no trailing zeros)."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _setting(ruleset: Ruleset, col: Column, key: str) -> tuple[str, str]:
    """The ``date_order`` or ``number_format`` that reads ``col``, and where it is set: the column's
    own mapping (``columns.annual_revenue.number_format``) where it gives one, else ``settings``."""
    own = getattr(col, key)
    if own is None:
        return getattr(ruleset.settings, key), f"settings.{key}"
    section = next((name for name, mapped in (("columns", ruleset.columns), ("account_columns", ruleset.account_columns),
                                              ("activity_columns", ruleset.activity_columns))
                    if mapped.get(col.field) is col), "columns")
    return own, f"{section}.{col.field}.{key}"


def _fraction_hint(ruleset: Ruleset, col: Column, values: list[str]) -> str:
    """The setting to check for whole counts read as fractions, with what the other format reads."""
    fmt, where = _setting(ruleset, col, "number_format")
    for pattern, other, sep in ((_COMMA_THOUSANDS, "1,234.5", ","), (_POINT_THOUSANDS, "1.234,5", ".")):
        example = next((v for v in values if pattern.match(v)), None)
        if example is not None and fmt != other:
            whole = int(example.strip().replace(sep, ""))
            return (f"; check {where}: \"{fmt}\" reads the '{sep}' of '{example}' as a decimal "
                    f"separator, \"{other}\" reads '{example}' as {whole}")
    return (f"; check {where} (\"{fmt}\") against how the export writes column '{col.column}'")


def _hint(ruleset: Ruleset, col: Column, values: list[str]) -> str:
    """The setting that would read values like these, when one would (the column's own, where it has one)."""
    if col.type is Type.DATETIME and any(_ORDERED_DATE.match(v) for v in values):
        order, where = _setting(ruleset, col, "date_order")
        other = {"iso": "us or eu", "us": "eu", "eu": "us"}[order]
        return (f"; if these are dates in {'US or European' if order == 'iso' else 'another'} order, "
                f"set {where}: {other}")
    if col.type is Type.NUMBER and any(_DECIMAL_COMMA.match(v) for v in values):
        fmt, where = _setting(ruleset, col, "number_format")
        if fmt == "1,234.5":
            return f'; a decimal comma needs {where}: "1.234,5" (or "1 234,5")'
    return ""


UNUSED_SHOWN = 5
_ORDER_NAMES = {"us": "US dates (month first)", "eu": "European dates (day first)"}


def check_activity_values(ruleset: Ruleset, frame: pl.LazyFrame, schema: pl.Schema, label: str,
                          needed: set[str]) -> Iterator[Finding]:
    """Values of the activity log's date, number and true/false columns that cannot be read.

    An event whose time cannot be read is counted by no rule: a HubSpot export writing
    ``10/28/2026 10:00 AM`` under ``date_order: iso`` loses every event, and the scoring run's
    only trace was "unreadable 21". A warning for ``occurred_at`` and for the fields a ``where:``
    reads (the value is blank to the condition), info for the others; with the first files and
    rows, and the mapping that reads the dates where one date order reads every unreadable value
    of the sample (:func:`leadq.activity.date_orders_reading`). One query for the counts and a
    bounded sample, as :func:`check_data_values`.
    """
    typed_cols = {name: col for name, col in ruleset.activity_columns.items()
                  if col.type is not Type.TEXT and col.column in schema}
    if not typed_cols:
        return
    raw = sorted({col.column for col in typed_cols.values()})
    try:  # reading errors (a ragged row) surface here, where the data is read
        typed = map_columns(frame, schema, typed_cols, ruleset.settings, keep=tuple(raw), blank_placeholders=False,
                            compose=False)
        flags = [c for c in typed.collect_schema().names() if c.startswith("_bad__")]
        if not flags:
            return
        counts, sample = pl.collect_all([
            typed.select(pl.col(flags).sum()),
            typed.filter(pl.any_horizontal(flags))
            .select([SOURCE_FILE, SOURCE_ROW] + flags + [f"keep::{c}" for c in raw]).head(EXAMPLES * 100),
        ])
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, label) from exc
    total = counts.row(0, named=True)
    for name, col in typed_cols.items():
        flag = f"_bad__{name}"
        if not total.get(flag):
            continue
        bad = sample.filter(pl.col(flag))
        rows = bad.head(EXAMPLES)
        values = [str(v).strip() for v in rows[f"keep::{col.column}"].to_list()]
        where = ", ".join(f"{file} row {row}: '{value}'" for file, row, value in
                          zip(rows[SOURCE_FILE].to_list(), rows[SOURCE_ROW].to_list(), values))
        count = f"{total[flag]:,} value{'s' if total[flag] != 1 else ''} in column '{col.column}'"
        hint = _hint(ruleset, col, values)
        if col.type is Type.DATETIME:
            order = col.read_settings(ruleset.settings).date_order
            pool = bad[f"keep::{col.column}"].cast(pl.String).str.strip_chars().unique(maintain_order=True).to_list()
            orders = date_orders_reading(pool, order, ruleset.settings.timezone)
            if orders:
                hint = (f"; they read as {' or '.join(_ORDER_NAMES[o] for o in orders)}: set "
                        f"{time_setting_fix(col, orders[0])}" + (f" (or date_order: {orders[1]})" if len(orders) > 1
                                                                 else ""))
        if name == "occurred_at":
            yield _finding("warning", "value-unreadable", col,
                           f"{count} cannot be read as {_KIND[col.type]} ({where}); `leadq score` counts none of "
                           f"those events{hint}", "activity_columns")
        elif name in needed:
            yield _finding("warning", "value-unreadable", col,
                           f"{count} cannot be read as {_KIND[col.type]} ({where}); a `where:` reads {name}, and "
                           f"`leadq score` reads those values as blank{hint}", "activity_columns")
        else:
            yield _finding("info", "value-unreadable", col,
                           f"{count} cannot be read as {_KIND[col.type]} ({where}); no rule reads {name}, so "
                           f"`leadq score` leaves them blank{hint}", "activity_columns")


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
    findings += check_activity_values(ruleset, frame, schema, label, needed)
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
            pos = rule.events_pos or rule.pos
            close = did_you_mean(wanted.lower(), seen)  # a misspelt type: the log's spelling to write
            findings.append(Finding("warning", "event-type-missing", pos.path, pos.line, pos.column,
                                    f"{rule.section} rule '{rule.id}'",
                                    f"no event of type '{wanted.lower()}' in {label}, so the rule scores nothing"
                                    f"{close}; {hint}"))
    unused = [(t, n) for t, n in seen.items() if t not in scored]
    if unused:
        shown = ", ".join(f"'{t}' ({n:,})" for t, n in unused[:UNUSED_SHOWN])
        more = f" and {len(unused) - UNUSED_SHOWN} more" if len(unused) > UNUSED_SHOWN else ""
        findings.append(_finding("info", "event-type-unused", type_col,
                                 f"event types in {label} that no rule scores: {shown}{more}", "activity_columns"))
    return findings


# --------------------------------------------------------------------------- outcomes

MIN_LEADS = 50  # fewer scored leads prove nothing about how often a rule fires: no outcome findings below it
DISQUALIFIES_MOST = 0.5  # a disqualifier hitting more than this share of the leads is reported
TOP_VALUES = 3
_EVENT_SCORES = frozenset({"intent", "total"})
# Static findings that already say an item never matches: no outcome finding repeats them.
_NEVER_MATCHES = frozenset({"rule-unreachable", "event-type-missing", "disqualifier-unreachable", "tier-unreachable",
                            "tier-shadowed"})
_VERDICTS = {"disqualified": "bad_fit", "bad_fit": "bad_fit", "bad_timing": "bad_timing"}


@dataclass
class Outcomes:
    """How many of the scored leads each rule, disqualifier and tier got (``validate --data``)."""

    as_of: datetime
    leads: int
    rules: dict[str, int] = field(default_factory=dict)  # rule id -> leads it fired for
    disqualifiers: dict[str, int] = field(default_factory=dict)  # code -> leads it applies to
    tiers: dict[str, int] = field(default_factory=dict)  # tier name -> leads in it
    top_values: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # field -> its most frequent values
    # Rules, disqualifiers and tiers whose counts mean nothing: they read an input not given (no -a, no --accounts).
    unknown: frozenset[str] = frozenset()
    # With the activities: the scoring run's event accounting, {read, unreadable, unknown_lead} and, when most
    # readable events name no scored lead, unknown_lead_examples ({log_column, contacts_column, log, contacts},
    # as `leadq score` finds them: leadq.activity.unknown_lead_examples); empty without.
    events: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-ready dict (``outcomes`` of ``validate --json``)."""
        return {"as_of": self.as_of.isoformat(), "leads": self.leads, "min_leads": MIN_LEADS,
                "rules": self.rules, "disqualifiers": self.disqualifiers, "tiers": self.tiers,
                "not_judged": sorted(self.unknown)}


def score_outcomes(ruleset: Ruleset, data_specs: Sequence[str], activity_specs: Sequence[str] = (),
                   account_specs: Sequence[str] = (), options: ReadOptions | None = None,
                   as_of: datetime | None = None) -> Outcomes:
    """Score the data as ``leadq score`` does and count each rule's, disqualifier's and tier's leads.

    Event rules (and what reads intent or total) are counted only with ``activity_specs``, fields
    only the accounts export maps only with ``account_specs``; the others are listed in
    :attr:`Outcomes.unknown`. The counts of event rules depend on ``as_of`` (windows, decay).

    Raises:
        InputError: a file is missing, unreadable, malformed or lacks a column the scoring needs.
    """
    from leadq.pipeline import read_and_score

    as_of = as_of or datetime.now(timezone.utc)
    result = read_and_score(ruleset, data_specs, activity_specs, account_specs, options=options or ReadOptions(),
                            as_of=as_of, detail=True)
    detail = result.detail if result.detail is not None else result.scored
    hits = [f"_hit__{r.id}" for r in ruleset.rules] + [f"_dq__{d.code}" for d in ruleset.disqualifiers]
    texts = sorted({f for r in ruleset.rules if r.when is not None for f in names_in(r.when.tree)[0]
                    if detail.schema.get(f) == pl.String})
    counts = detail.select([pl.col(c).fill_null(False).sum() for c in hits] or [pl.len()]).row(0, named=True)
    tiers = dict(zip(*detail["tier"].value_counts().select("tier", "count").to_dict(as_series=False).values()))
    top = {}
    for name in texts:  # the few text fields the rules read: one small group-by each
        vc = (detail.lazy().select(pl.col(name).drop_nulls()).group_by(name).len()
              .sort(["len", name], descending=[True, False]).head(TOP_VALUES).collect())
        top[name] = list(zip(vc[name].to_list(), vc["len"].to_list()))
    stats = result.stats
    events = {"read": stats.events_read, "unreadable": stats.events_unreadable,
              "unknown_lead": stats.events_unknown_lead,
              "unknown_lead_examples": stats.events_unknown_examples} if activity_specs else {}
    return Outcomes(
        as_of=as_of, leads=detail.height,
        rules={r.id: int(counts[f"_hit__{r.id}"]) for r in ruleset.rules},
        disqualifiers={d.code: int(counts[f"_dq__{d.code}"]) for d in ruleset.disqualifiers},
        tiers={t.name: int(tiers.get(t.name, 0)) for t in ruleset.tiers},
        top_values=top, unknown=frozenset(_not_judged(ruleset, bool(activity_specs), bool(account_specs))),
        events=events)


def _not_judged(ruleset: Ruleset, events: bool, accounts: bool) -> set[str]:
    """Subjects whose counts depend on an input not given: the events (intent, total) or the accounts."""
    blank = set() if accounts else {f for f in ruleset.account_columns if f not in ruleset.columns}
    event_rules = {r.id for r in ruleset.event_rules}
    unknown: set[str] = set() if events or not event_rules else {f"rule:{rid}" for rid in event_rules}

    def reads_unknown(cond) -> bool:
        fields, _, calls = names_in(cond.tree)
        if fields & blank or any(f"rule:{c}" in unknown for c in calls):
            return True
        if not events and event_rules and fields & _EVENT_SCORES:
            return True
        dqs = {_VERDICTS[f] for f in fields if f in _VERDICTS}
        codes = {a.value for n in walk(cond.tree) if isinstance(n, Call) and n.name == "has_reason"
                 for a in n.args if isinstance(a, Literal)}
        return any(f"disqualifier:{d.code}" in unknown for d in ruleset.disqualifiers
                   if d.category in dqs or d.code in codes)

    for r in ruleset.rules:  # in file order: a rule may read an earlier one through fired()
        if r.when is not None and reads_unknown(r.when):
            unknown.add(f"rule:{r.id}")
    for d in ruleset.disqualifiers:
        if reads_unknown(d.when):
            unknown.add(f"disqualifier:{d.code}")
    earlier_unknown = False  # a lead goes to the first tier it meets: an unknown tier's count unsettles the rest
    for t in ruleset.tiers:
        earlier_unknown = earlier_unknown or (t.when is not None and reads_unknown(t.when))
        if earlier_unknown:
            unknown.add(f"tier:{t.name}")
    return unknown


def check_outcomes(ruleset: Ruleset, outcomes: Outcomes, label: str,
                   known: Sequence[Finding] = ()) -> Iterator[Finding]:
    """Rules that fire for no lead or for every lead, disqualifiers hitting most leads, empty tiers.

    Nothing below :data:`MIN_LEADS` scored leads. Items the static checks already report as
    never matching (``known``), and those whose counts depend on an input not given, are left out.
    """
    n = outcomes.leads
    if n < MIN_LEADS:
        return
    static = {f.subject for f in known if f.code in _NEVER_MATCHES}
    of = f"{n:,} leads scored from {label}"
    for r in ruleset.rules:
        subject = f"{r.section} rule '{r.id}'"
        hits = outcomes.rules[r.id]
        if subject in static or f"rule:{r.id}" in outcomes.unknown:
            continue
        if hits == 0:
            when = f" as of {outcomes.as_of:%Y-%m-%d}" if r.is_event_rule else ""
            # An event rule can be quiet for a week (no webinar this month): info, so that a --strict
            # pre-flight of a scheduled run does not fail for it. A contact rule that matches no lead
            # reads values the export does not hold: a warning.
            yield _finding_at("info" if r.is_event_rule else "warning", "rule-never-fires", r.pos, subject,
                              f"fires for none of the {of}{when} (judged from {MIN_LEADS} leads on)"
                              f"{_held(r, outcomes)}")
        elif hits == n:
            yield _finding_at("info", "rule-always-fires", r.pos, subject,
                              f"fires for every one of the {of}: it does not tell them apart")
    for d in ruleset.disqualifiers:
        subject = f"disqualifier '{d.code}'"
        hits = outcomes.disqualifiers[d.code]
        if subject in static or f"disqualifier:{d.code}" in outcomes.unknown or hits <= DISQUALIFIES_MOST * n:
            continue
        yield _finding_at("warning", "disqualifies-most", d.pos, subject,
                          f"applies to {hits:,} of the {of} ({hits / n:.0%}), more than "
                          f"{DISQUALIFIES_MOST:.0%}: is `{d.when.text}` the condition meant?")
    for t in ruleset.tiers:
        subject = f"tier '{t.name}'"
        if subject in static or f"tier:{t.name}" in outcomes.unknown or outcomes.tiers[t.name]:
            continue
        yield _finding_at("info", "tier-empty", t.pos, subject, f"no lead of the {of} reaches it")


def check_event_leads(ruleset: Ruleset, outcomes: Outcomes, data_label: str, activity_label: str
                      ) -> Iterator[Finding]:
    """A warning when most of the log's readable events name no lead of the contacts, as ``leadq score``'s
    summary says it (:func:`leadq.activity.most_events_unknown`): the join of the two exports is what to
    check (a log written by a spreadsheet holds ``1000001.0`` for ``1000001``), before a scheduled run
    scores every lead without its events.

    The examples are the scoring run's (:func:`leadq.activity.unknown_lead_examples`, read off the log's
    first events only when the warning fires). Whatever the number of leads: one wrong join is enough.
    """
    ev = outcomes.events
    if not ev or not outcomes.leads:
        return
    readable, unknown = ev["read"] - ev["unreadable"], ev["unknown_lead"]
    if not most_events_unknown(readable, unknown):
        return
    col = ruleset.activity_columns["lead_id"]
    which = f"all {readable:,}" if unknown == readable else f"{unknown:,} of {readable:,}"
    message = (f"{which} readable events in {activity_label} name no lead scored from {data_label}: check that the log's "
               f"lead-id column ({col.column}) holds the contacts' ids ({ruleset.columns['lead_id'].column})")
    examples = ev.get("unknown_lead_examples") or {}
    if examples.get("log") and examples.get("contacts"):
        def quoted(ids: list[str]) -> str:
            return " and ".join(f"'{i}'" for i in ids)
        message += f"; e.g. the log has {quoted(examples['log'])}, the contacts {quoted(examples['contacts'])}"
    message += "; `leadq score` would count none of those events"
    yield _finding("warning", "event-lead-unknown", col, message, "activity_columns")


def _finding_at(severity: str, code: str, pos: Position, subject: str, message: str) -> Finding:
    return Finding(severity, code, pos.path, pos.line, pos.column, subject, message)


def _held(rule: Rule, outcomes: Outcomes) -> str:
    """``; industry holds most often: 'COMPUTER_SOFTWARE' (1,204), ...`` for the text fields a contact rule reads."""
    if rule.when is None:
        return ""
    parts = []
    for name in sorted(names_in(rule.when.tree)[0]):
        if name not in outcomes.top_values:
            continue
        values = outcomes.top_values[name]
        parts.append(f"{name} holds most often: " + ", ".join(f"'{v}' ({c:,})" for v, c in values)
                     if values else f"{name} is blank for every lead")
    return "; " + "; ".join(parts) if parts else ""
