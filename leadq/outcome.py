"""What ``--outcome`` means: a stage, a ruleset field or a raw column, read as converted or not.

Used by ``leadq calibrate``. A stage name (``sql``, ``opportunity``,
``won``) means "reached this stage or a later one": any of the stage date
fields is set, so a lead that skipped a stage still counts. A canonical field
or a raw column is read as yes/no (or as a date: set = converted); values that
are neither are an error, so a wrong column is not silently read as "no".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import polars as pl

from leadq.cleaning import parse_datetime
from leadq.errors import UsageError, did_you_mean
from leadq.ruleset import Ruleset

# Stage name -> the canonical date fields that mean "reached it" (the stage or any later one).
STAGES: dict[str, tuple[str, ...]] = {
    "sql": ("sql_at", "opportunity_at", "won_at"),
    "opportunity": ("opportunity_at", "won_at"),
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


def resolve_outcome(spec: str, ruleset: Ruleset, contact_columns: Sequence[str]) -> Outcome:
    """Resolve ``--outcome``: a stage name, a canonical field, or a raw contacts column.

    Stage names (``sql``, ``opportunity``, ``won``) mean "reached this stage or
    a later one", i.e. any of the stage date fields is set. A canonical field
    (``won_at``, ``demo_requested``) or a raw column is read as a yes/no value
    or as a date (set = converted).

    Raises:
        UsageError: when the name is none of these, or the stage's date
            columns are missing from the ruleset or from the contacts.
    """
    name = spec.strip()
    stage = name.lower()
    if stage in STAGES:
        mapped = [f for f in STAGES[stage] if f in ruleset.columns]
        if not mapped:
            raise UsageError(f"--outcome {name}: the ruleset maps none of {', '.join(STAGES[stage])}; "
                             "map the stage dates under columns, or pass the outcome column's name")
        present = [f for f in mapped if ruleset.columns[f].column in contact_columns]
        if not present:
            cols = ", ".join(f"'{ruleset.columns[f].column}'" for f in mapped)
            raise UsageError(f"--outcome {name}: the contacts have no column {cols}; "
                             "pass the outcome column's name instead")
        later = " or a later stage" if len(present) > 1 else ""
        desc = f"reached {stage.upper() if stage == 'sql' else stage}{later} ({', '.join(present)} set)"
        return Outcome(name, "stage", tuple(present), desc)
    if name in ruleset.columns and ruleset.columns[name].column in contact_columns:
        return Outcome(name, "field", (name,), f"{name} ('{ruleset.columns[name].column}') is true or set")
    if name in contact_columns:
        return Outcome(name, "column", (name,), f"column '{name}' is true or set")
    pool = list(STAGES) + list(ruleset.columns) + [c for c in contact_columns if not c.startswith("_")]
    raise UsageError(f"--outcome: '{name}' is neither a stage ({', '.join(STAGES)}), a ruleset field nor a "
                     f"column of the contacts{did_you_mean(name, pool)}")


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


def outcome_column(detail: pl.DataFrame, outcome: Outcome, ruleset: Ruleset) -> pl.Series:
    """The boolean outcome of every scored lead.

    Raises:
        UsageError: when a yes/no column holds values that are neither yes,
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
            raise UsageError(f"--outcome {outcome.spec}: values that are neither yes/no nor a date: {values}; "
                             f"converted = {', '.join(TRUTHY)} or any date; not converted = "
                             f"{', '.join(FALSY)} or blank")
    return detail.select(flag.alias(CONVERTED)).to_series()
