"""What ``--outcome`` means: a stage, a ruleset field or a raw column, read as converted or not.

Used by ``leadq calibrate``. A stage name (``sql``, ``opportunity``,
``won``) means "reached this stage or a later one": any of the stage date
fields is set (a closed-lost date counts as an opportunity), so a lead that
skipped a stage still counts; calibrate also reads ``lifecycle_stage`` for a stage
(:func:`leadq.calibrate.resolve_calibration_outcome`), as funnel does. A canonical field
or a raw column is read as yes/no (or as a date: set = converted); values that
are neither are an error, so a wrong column is not silently read as "no".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import polars as pl

from leadq.cleaning import parse_datetime
from leadq.errors import InputError, MissingColumnsError, Position, UsageError, did_you_mean
from leadq.ruleset import Ruleset

# Stage name -> the canonical date fields that mean "reached it" (the stage or any later one). A
# closed-lost deal was an opportunity, as ``leadq funnel`` counts it: a deal created straight as lost
# has a lost date and no opportunity date.
STAGES: dict[str, tuple[str, ...]] = {
    "sql": ("sql_at", "opportunity_at", "won_at", "lost_at"),
    "opportunity": ("opportunity_at", "won_at", "lost_at"),
    "won": ("won_at",),
}
TRUTHY = ("true", "yes", "y", "1", "t", "x", "checked", "on", "won", "converted", "closed won", "closedwon",
          "customer")
FALSY = ("false", "no", "n", "0", "f", "unchecked", "off", "lost", "closed lost", "closedlost", "-")
CONVERTED = "_converted"  # name of the outcome column in calibration frames


@dataclass(frozen=True)
class Outcome:
    """What ``--outcome`` names, resolved against the ruleset and the contacts' columns."""

    spec: str
    kind: str  # "stage" | "field" | "column"
    fields: tuple[str, ...]  # canonical fields (stage, field) or the raw column (column)
    description: str

    @property
    def keep_columns(self) -> tuple[str, ...]:
        """Raw columns the scoring run must carry through for this outcome."""
        return self.fields if self.kind == "column" else ()


def resolve_outcome(spec: str, ruleset: Ruleset, contact_columns: Sequence[str], label: str = "the contacts"
                    ) -> Outcome:
    """Resolve ``--outcome``: a stage name, a canonical field, or a raw contacts column.

    Stage names (``sql``, ``opportunity``, ``won``) mean "reached this stage or
    a later one", i.e. any of the stage date fields is set. A canonical field
    (``won_at``, ``demo_requested``) or a raw column is read as a yes/no value
    or as a date (set = converted).

    Raises:
        UsageError: when the name is none of these (and the contacts have columns), or the ruleset
            maps none of the stage's date fields: decided from the command line and the ruleset.
        MissingColumnsError: when the contacts (``label``) lack the column the outcome needs: the
            stage's date columns or the field's column (or have no columns at all).
    """
    name = spec.strip()
    columns = [c for c in contact_columns if not c.startswith("_")]
    have = ", ".join(f"'{c}'" for c in columns[:30]) + (f" (and {len(columns) - 30} more)" if len(columns) > 30
                                                         else "")
    stage = name.lower()
    if stage in STAGES:
        mapped = [f for f in STAGES[stage] if f in ruleset.columns]
        if not mapped:
            raise UsageError(f"--outcome {name}: the ruleset maps none of {', '.join(STAGES[stage])}; "
                             "map the stage dates under columns, or pass the outcome column's name")
        present = [f for f in mapped if ruleset.columns[f].column in contact_columns]
        if not present:
            cols = ", ".join(f"'{ruleset.columns[f].column}'" for f in mapped)
            raise MissingColumnsError(f"--outcome {name}: the contacts have no column {cols}; "
                                      f"pass the outcome column's name instead; "
                                      f"the file has: {have or '(no columns)'}", Position(label))
        later = " or a later stage" if len(present) > 1 else ""
        desc = f"reached {stage.upper() if stage == 'sql' else stage}{later} ({', '.join(present)} set)"
        return Outcome(name, "stage", tuple(present), desc)
    if name in ruleset.columns and ruleset.columns[name].column in contact_columns:
        return Outcome(name, "field", (name,), f"{name} ('{ruleset.columns[name].column}') is true or set")
    if name in contact_columns:
        return Outcome(name, "column", (name,), f"column '{name}' is true or set")
    if name in ruleset.columns:
        raise MissingColumnsError(f"--outcome {name}: the contacts have no column '{ruleset.columns[name].column}' "
                                  f"(the ruleset's {name}); the file has: {have or '(no columns)'}", Position(label))
    if not columns:
        raise MissingColumnsError(f"--outcome {name}: the contacts have no columns (an empty file?)",
                                  Position(label))
    pool = list(STAGES) + list(ruleset.columns) + columns
    raise UsageError(f"--outcome: '{name}' is neither a stage ({', '.join(STAGES)}), a ruleset field nor a "
                     f"column of the contacts{did_you_mean(name, pool)}; the contacts' columns: {have}")


def _flag(expr: pl.Expr, dtype: pl.DataType, ruleset: Ruleset) -> tuple[pl.Expr, pl.Expr | None]:
    """(converted, unrecognised) expressions for one outcome column of any type."""
    if dtype == pl.Boolean:
        return expr.fill_null(False), None
    if dtype.is_numeric():
        return (expr != 0).fill_null(False), None
    if dtype.is_temporal():
        return expr.is_not_null(), None
    if dtype == pl.Null:
        return pl.lit(False), None
    text = expr.cast(pl.String).str.strip_chars()
    low = text.str.to_lowercase()
    is_date = parse_datetime(text, ruleset.settings.date_order, ruleset.settings.timezone).is_not_null()
    truthy = low.is_in(TRUTHY) | is_date
    known = truthy | low.is_in(FALSY) | text.is_null() | (text == "")
    return truthy.fill_null(False), ~known


def outcome_column(detail: pl.DataFrame, outcome: Outcome, ruleset: Ruleset, label: str | None = None) -> pl.Series:
    """The boolean outcome of every scored lead.

    Raises:
        InputError: when a yes/no column holds values that are neither yes,
            no, blank nor a date (so a wrong column is not silently read as "no").
    """
    if outcome.kind == "stage":
        return detail.select(pl.any_horizontal([pl.col(f).is_not_null() for f in outcome.fields])
                             .alias(CONVERTED)).to_series()
    column = outcome.fields[0] if outcome.kind == "field" else f"keep::{outcome.fields[0]}"
    flag, unknown = _flag(pl.col(column), detail.schema[column], ruleset)
    if unknown is not None:
        bad = detail.filter(unknown).select(pl.col(column).cast(pl.String).unique(maintain_order=True).head(5))
        if bad.height:
            values = ", ".join(f"'{v}'" for v in bad.to_series().to_list())
            raise InputError(f"--outcome {outcome.spec}: values that are neither yes/no nor a date: {values}; "
                             f"converted = {', '.join(TRUTHY)} or any date; not converted = "
                             f"{', '.join(FALSY)} or blank", Position(label) if label else None)
    return detail.select(flag.alias(CONVERTED)).to_series()
