"""The tables the scoring query reads and how it reads their mapped columns, typed.

:class:`SqlTables` names the contacts, activity and accounts tables; :func:`typed_column`
reads a mapped CRM column as its field's type, as :func:`leadq.cleaning.typed` does for
the polars engine (text trimmed, blanks and null markers null, placeholder dates blank).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from leadq.cleaning import EARLIEST, ID_FIELDS, LATEST, NULL_MARKERS
from leadq.conditions import Type
from leadq.errors import MissingColumnsError, Position, did_you_mean
from leadq.ruleset import Column
from leadq.sqlgen.conditions import col
from leadq.sqlgen.dialects import SqlDialect, cast
from leadq.sqlgen.text import case_when, lit

ORDER_COLUMN = "_row"  # input order, used to break ties in de-duplication and to sort the output
WORKSPACE_COLUMN = "_workspace_id"  # a lead's product workspace (leadq.accounts.lead_workspaces)


@dataclass(frozen=True)
class SqlTables:
    """Where the query reads from.

    Attributes:
        contacts: contacts table (or view) name, optionally qualified (``crm.contacts``).
        activities: activity-log table, or None (event rules then score nothing).
        accounts: accounts table, or None.
        order_column: a column of the contacts/accounts tables giving input order; it breaks
            ties in de-duplication. Without it, ties are broken by lead id.
        contacts_columns / activities_columns / accounts_columns: the tables' columns when
            known; mapped columns that are absent then read as null (or raise when a rule
            needs them). None: assume every mapped column exists.
    """

    contacts: str = "contacts"
    activities: str | None = "activities"
    accounts: str | None = None
    order_column: str | None = None
    contacts_columns: frozenset[str] | None = None
    activities_columns: frozenset[str] | None = None
    accounts_columns: frozenset[str] | None = None


def alias(expr: exp.Expression, name: str, quoted: bool = False) -> exp.Expression:
    """``expr AS name`` (the expression itself is not copied)."""
    return exp.alias_(expr, name, quoted=quoted, copy=False)


def table(name: str) -> exp.Table:
    """A table reference from its (optionally qualified) name."""
    return exp.to_table(name)


_LARGEST = 1.7976931348623157e308  # the largest finite double


def typed_column(column: Column, dialect: SqlDialect, present: bool, placeholders: bool = True,
                 number_format: str = "1,234.5") -> exp.Expression:
    """A mapped CRM column read as its field's type (see :func:`leadq.cleaning.typed`).

    ``placeholders``: dates outside the years 1800-2200 are blanks, as ``map_columns``
    makes them for contacts and accounts (not for the activity log). ``number_format``: the
    ruleset's (``settings.number_format``), for a number field held as text; the column's own wins."""
    src: exp.Expression = col(column.column) if present else exp.Null()
    if column.type is Type.TEXT:
        text = exp.Nullif(this=dialect.trim(dialect.text(src)), expression=exp.Literal.string(""))
        if placeholders and column.field in ID_FIELDS:  # "#N/A" names no lead
            return case_when(exp.Not(this=exp.Paren(this=null_marker(text))), text.copy())
        return text
    if not present:
        target = {Type.NUMBER: "DOUBLE", Type.BOOL: "BOOLEAN"}.get(column.type)
        return cast(src, target) if target else cast(src, dialect.timestamp_type)
    if column.type is Type.NUMBER:
        # NaN and the infinities are no numbers, as leadq.cleaning.typed reads them (NaN sorts above every
        # number in DuckDB, PostgreSQL and Spark: `size > 5000` held): a finite double is between the largest two.
        number = dialect.cast_number(src, column.number_format or number_format)
        return case_when(exp.Between(this=number.copy(), low=exp.Literal.number(-_LARGEST),
                                     high=exp.Literal.number(_LARGEST)), number)
    if column.type is Type.BOOL:
        return dialect.cast_bool(src)
    # Placeholder dates (0001-01-01, 9999-12-31) are blanks, as in leadq.cleaning.map_columns.
    ts = dialect.cast_timestamp(src)
    if not placeholders:
        return ts
    in_range = exp.and_(exp.GTE(this=ts.copy(), expression=dialect.timestamp_literal(f"{EARLIEST:%Y-%m-%d %H:%M:%S}")),
                        exp.LT(this=ts.copy(), expression=dialect.timestamp_literal(f"{LATEST:%Y-%m-%d %H:%M:%S}")))
    return case_when(in_range, ts)


def null_marker(text: exp.Expression) -> exp.Expression:
    """True where trimmed text is one of the :data:`leadq.cleaning.NULL_MARKERS` ("N/A", "#N/A", "-")."""
    return exp.In(this=exp.Lower(this=text.copy()), expressions=[lit(m) for m in NULL_MARKERS])


def unreadable(column: Column, dialect: SqlDialect) -> exp.Expression:
    """True where the CRM value is present but its typed reading is null (see :func:`leadq.cleaning.bad_value`)."""
    text = typed_column(Column(column.field, column.column, Type.TEXT, column.pos), dialect, True)
    present = exp.and_(exp.Not(this=exp.Is(this=text, expression=exp.Null())),
                       exp.Not(this=exp.Paren(this=null_marker(text))))
    # The cast itself, not typed_column: a placeholder date is read (then blanked), not unreadable.
    return exp.and_(present, exp.Is(this=dialect.cast_timestamp(col(column.column)), expression=exp.Null()))


def select_typed(dialect: SqlDialect, columns: dict[str, Column], fields: list[str], known: frozenset[str] | None,
                 required: set[str], label: str, placeholders: bool = True,
                 number_format: str = "1,234.5") -> list[exp.Expression]:
    """The mapped ``fields`` of a table read typed, each under its field name.

    Args:
        dialect: the target dialect.
        columns: the ruleset's mapping of fields to the table's columns.
        fields: the fields to read, in output order.
        known: the table's columns when known (absent ones then read as typed nulls), or None.
        required: fields whose column must exist.
        label: the table's name, for the error.
        placeholders, number_format: see :func:`typed_column`.

    Raises:
        MissingColumnsError: ``known`` lacks the column of a required field.
    """
    if known is not None:
        missing = [columns[f] for f in fields if f in required and columns[f].column not in known]
        if missing:
            names = sorted(known)
            parts = [f"'{c.column}' (for {c.field}){did_you_mean(c.column, names)}" for c in missing]
            raise MissingColumnsError(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(parts)}; "
                                      f"the table has: {', '.join(names[:30])}", Position(label))
    return [alias(typed_column(columns[f], dialect, known is None or columns[f].column in known, placeholders,
                               number_format), f, quoted=True)
            for f in fields]
