"""Excel and OpenDocument workbooks as input: one sheet (the first, or ``--sheet``), read as text.

CRM users export to Excel as often as to CSV (HubSpot and Salesforce both offer it).
The first sheet (or the one ``--sheet`` names) is read with ``fastexcel`` (the Rust ``calamine`` reader, no other
dependency), every cell as text: a number cell reads "250" (a whole number without
".0"), a date cell "2026-10-01 12:00:00". leadq then types the values as it types CSV
text, so a number column holding "51-200" or a date column holding "N/A" is read,
blanked or rejected the same way whatever the file format.

The first row is the header, checked like a CSV header (trimmed; a repeated or
reserved name is an error). Values are trimmed, blank cells are null, empty rows are
dropped but keep their number: ``_source_row`` is the data row, so the workbook's
row 2 is data row 1, as in a CSV file. A zero-byte file is an empty input.
"""

from __future__ import annotations

import os

import polars as pl

from leadq.csv_input import clean_column_names, empty_frame, text_rows
from leadq.errors import InputError, Position

EXCEL_EXTENSIONS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def read_excel_source(source: str | bytes, label: str, sheet: str | None = None) -> pl.LazyFrame:
    """One sheet of a workbook (a path, or the bytes of one) as text, with provenance columns.

    Args:
        source: the workbook's path, or its bytes (stdin).
        label: its name in messages and in ``_source_file``.
        sheet: the sheet's name, or its 1-based number; None for the first.

    Raises:
        InputError: the file is not a workbook leadq can read, has no such sheet, or its
            header has a repeated or reserved column name.
    """
    if (len(source) if isinstance(source, bytes) else os.path.getsize(source)) == 0:
        return empty_frame()
    import fastexcel  # only runs that read a workbook pay for the import

    try:
        reader = fastexcel.read_excel(source)
        index = _sheet_index(reader.sheet_names, sheet, label)
        cells = (reader.load_sheet(index, header_row=None, dtypes="string").to_polars()
                 if reader.sheet_names else pl.DataFrame())
    except fastexcel.FastExcelError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read it as an Excel workbook ({reason}); open it in Excel and save it as "
                         ".xlsx, or export the sheet as CSV", Position(label)) from exc
    except OSError as exc:
        raise InputError(f"cannot read {label}: {exc.strerror or exc}") from exc
    if cells.height == 0:
        return empty_frame()
    names = clean_column_names([v or "" for v in cells.row(0)], label)
    rows = cells.slice(1).rename(dict(zip(cells.columns, names)))
    return text_rows(rows.lazy(), names, label)


def _sheet_index(names: list[str], sheet: str | None, label: str) -> int:
    """The position of ``sheet`` (a name, else a 1-based number) among the workbook's sheets."""
    if sheet is None:
        return 0
    if sheet in names:
        return names.index(sheet)
    if sheet.strip().isdigit() and 1 <= int(sheet) <= len(names):
        return int(sheet) - 1
    listed = ", ".join(f"'{n}'" for n in names) or "none"
    raise InputError(f"no sheet '{sheet}' in the workbook; its sheets: {listed} (--sheet takes a name or a number)",
                     Position(label))
