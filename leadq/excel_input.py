"""Excel and OpenDocument workbooks as input: one sheet (the first, or ``--sheet``), read as text.

CRM users export to Excel as often as to CSV (HubSpot and Salesforce both offer it).
The first sheet (or the one ``--sheet`` names) is read with ``fastexcel`` (the Rust ``calamine`` reader, no other
dependency), every cell as text: a number cell reads "250" (a whole number without
".0"), a date cell "2026-10-01 12:00:00". leadq then types the values as it types CSV
text, so a number column holding "51-200" or a date column holding "N/A" is read,
blanked or rejected the same way whatever the file format.

The header is the sheet's first non-blank row, checked like a CSV header (trimmed; a
repeated or reserved name is an error), unless the sheet is a report (below). Values
are trimmed, blank cells are null, empty rows are dropped but keep their number:
``_source_row`` is the data row, counted from the row under the header, as in a CSV
file; in an export whose header is the sheet's row 1, data row N is sheet row N + 1.
A zero-byte file is an empty input.

Report sheets (a Salesforce "Formatted Report", a HubSpot or hand-made report) are read
as the table they hold, by a rule that looks at the sheet's head and tail only
(:func:`_header_index`, :func:`_table_end`):

* Above the header. A first non-blank row of two or more cells is the header, as in
  any export. A first row of one cell is a report's title: the header is then the
  first row, among the :data:`HEAD_ROWS` from the title, with at least two non-blank
  cells and as many as each of the :data:`BELOW_ROWS` rows under it; the title,
  filter and "as of" lines and blank rows above it are left out. Without such a row
  (a one-column sheet) the first row stays the header.
* Below the data. Read up from the last row: a row whose first non-blank cell is a
  total's label ("Grand Totals (2,345 records)", "Total", "Subtotal", "Count") with
  only numbers or blanks beside it is left out, and so are, under a blank row or such
  a total, up to 12 one-cell lines of text with a space in them: the footer
  ("Confidential Information - Do Not Distribute"), as in a CSV report export.
  A sheet of one column has neither.
* Columns with no header and no value from the header down, at either edge, are
  dropped (Lightning reports leave column A empty).
* A total's row or a group's heading ("Lead Status: Open (12 records)") anywhere else
  is a grouped (summary) report, which has no row per lead to read: an InputError
  naming the sheet row, asking for a "Details Only" export.

With a report, data row N is sheet row N + (the header's sheet row); :class:`ReportRows`
says what was left out, and the run summary shows it once per file.

Error cells. A formula's error (``#N/A`` from a lookup that found nothing, ``#DIV/0!``,
``#REF!``, ``#VALUE!``, ``#NAME?``, ``#NUM!``, ``#NULL!``) is no value: fastexcel reads it as
a blank cell, and so it stays. But a mapped column full of ``#N/A`` would then score as
missing without a word, so the cells are counted, by column, with the first one's reference
(:class:`ErrorCells`), for the run summary. fastexcel reports them only through pyarrow,
which leadq does not need, so they are found in the sheet's XML (:func:`_xlsx_error_cells`):
in ``.xlsx`` and ``.xlsm`` workbooks, what CRMs export; not (yet) in ``.xls``, ``.xlsb``
or ``.ods`` ones.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass
from typing import Collection, Iterator

import polars as pl

from leadq.csv_input import FOOTER_MAX_LINES, clean_column_names, empty_frame, text_rows
from leadq.errors import InputError, Position
from leadq.number_text import number_cell_column
from leadq.provenance import SOURCE_ROW, ReportRows

EXCEL_EXTENSIONS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")

HEAD_ROWS = 30  # the header of a report is looked for among the sheet's first rows
BELOW_ROWS = 10  # ... and must be as wide as each of the rows under it
TAIL_ROWS = 30  # totals and footer are looked for among the sheet's last rows

# A total's label, at the start of a row's first non-blank cell: "Grand Totals (2,345 records)",
# "Total", "Subtotal: 12", "Count 3"; not "Total Wine & More" (a word follows).
_TOTAL = r"(?i)^(grand\s+totals?|sub-?totals?|totals?|record\s+count|count)(\s*$|\s*[:(=\d])"
# A group's heading in a summary report: "Lead Status: Open (12 records)".
_GROUP = r"(?i)\(\s*\d[\d,.]*\s+records?\s*\)$"
# A number as a report writes it beside a total: "2345", "1,200.50", "$3M", "-12%", "(400)".
_NUMBER = r"^[-+(]?\s*[$€£¥]?\s*\d[\d,.\s]*[%kKmMbB]?\)?$"
_TOTAL_RE, _NUMBER_RE = re.compile(_TOTAL), re.compile(_NUMBER)


@dataclass(frozen=True)
class ErrorCells:
    """The error cells (``#N/A``, ``#DIV/0!`` ...) of one column of a workbook's table, read as blank.

    Attributes:
        sheet: the sheet's name.
        column: the column's name (its header).
        count: how many of its cells under the header hold an error.
        first_cell: the first one's reference, as Excel shows it ("D7").
        first_error: what it shows ("#N/A").
    """

    sheet: str
    column: str
    count: int
    first_cell: str
    first_error: str


def read_excel_source(source: str | bytes, label: str, sheet: str | None = None,
                      row_columns: Collection[str] | None = None,
                      ) -> tuple[pl.LazyFrame, ReportRows | None, tuple[ErrorCells, ...], tuple[str, ...]]:
    """One sheet of a workbook (a path, or the bytes of one) as text, with provenance columns.

    Args:
        source: the workbook's path, or its bytes (stdin).
        label: its name in messages and in ``_source_file``.
        sheet: the sheet's name, or its 1-based number; None for the first.
        row_columns: the columns whose text makes a row (:func:`leadq.csv_input.text_rows`).

    Returns:
        The rows, what was left out of a report sheet (None when nothing was), its
        error cells by column (none found in a workbook other than ``.xlsx``/``.xlsm``), and
        the sheet read followed by the workbook's other sheets (for a message: the table may
        be on another); empty for an empty workbook.

    Raises:
        InputError: the file is not a workbook leadq can read, has no such sheet, its
            header has a repeated or reserved column name, or it is a grouped report.
    """
    if (len(source) if isinstance(source, bytes) else os.path.getsize(source)) == 0:
        return empty_frame(), None, (), ()
    import fastexcel  # only runs that read a workbook pay for the import

    try:
        reader = fastexcel.read_excel(source)
        index = _sheet_index(reader.sheet_names, sheet, label)
        # skip_rows=0 keeps the empty rows at the top: row i of the frame is sheet row i + 1.
        cells = (reader.load_sheet(index, header_row=None, skip_rows=0, dtypes="string",
                                   skip_whitespace_tail_rows=True).to_polars()
                 if reader.sheet_names else pl.DataFrame())
    except fastexcel.FastExcelError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read it as an Excel workbook ({reason}); open it in Excel and save it as "
                         ".xlsx, or export the sheet as CSV", Position(label)) from exc
    except OSError as exc:
        raise InputError(f"cannot read {label}: {exc.strerror or exc}") from exc
    sheets = tuple(dict.fromkeys([reader.sheet_names[index], *reader.sheet_names])) if reader.sheet_names else ()
    filled = cells.select(pl.any_horizontal(pl.all().is_not_null())).to_series() if cells.width else None
    if filled is None or not filled.any():
        return empty_frame(), None, (), sheets
    start = int(filled.arg_max())  # the first row that is not empty
    head = cells.slice(start, HEAD_ROWS + BELOW_ROWS).rows()
    header, above = _header_index(head)
    header += start
    table_end, below = _table_end(cells, header) if cells.width > 1 else (cells.height, 0)
    table = _drop_empty_edge_columns(cells.slice(header, table_end - header))
    if table.width > 1:
        _refuse_grouped_report(table.slice(1), header + 2, label)
    names = clean_column_names([v or "" for v in table.row(0)], label)
    rows = table.slice(1).rename(dict(zip(table.columns, names)))
    report = ReportRows(header + 1, above, below) if above or below else None
    # Frame row i is sheet row i + 1; the table's columns start at the frame's column `first`.
    first = cells.columns.index(table.columns[0])
    errors = _errors_by_column(_xlsx_error_cells(source, reader.sheet_names[index]), reader.sheet_names[index],
                               range(header + 2, table_end + 1), first, names)
    frame = text_rows(rows.lazy(), names, label, row_columns)
    numbers = _number_cells(reader, index, table.columns, rows, range(header + 1, table_end))
    if numbers is not None:
        frame = frame.join(numbers.lazy(), on=SOURCE_ROW, how="left", maintain_order="left")
    return frame, report, errors, sheets


# A cell's text that may be a number cell's (as calamine writes one: "250", "-1.125", "1e-7"); only columns
# with such text are read again.
_NUMBER_CELL_TEXT = r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$"
_BOOL_CELL_TEXT = ["true", "false"]


def _number_cells(reader: object, index: int, frame_columns: list[str], rows: pl.DataFrame,
                  data_rows: range) -> pl.DataFrame | None:
    """The table's number cells, by row (``_source_row``) and column (:func:`number_cell_column`), or None.

    The sheet is read as text, and a number cell 1.125 reads "1.125": with ``number_format``
    "1.234,5" that text is 1125. So the columns holding text that may be a number cell's are read
    twice more (calamine's own typing, not per cell in Python): as numbers, where a number cell is
    its number but a text cell such as "1.125" is read as one too, and as true/false, where a number
    cell is true or false but no text cell is anything. A cell that is not null in both, and is no
    true/false cell, is a number cell. ``frame_columns`` are the table's columns in the sheet's frame,
    ``rows`` its data rows (named by the header), at the frame's rows ``data_rows``.
    """
    candidates = [i for i, hit in enumerate(rows.select(
        pl.col(c).str.strip_chars().str.contains(_NUMBER_CELL_TEXT).any() for c in rows.columns).row(0)) if hit]
    if not candidates:
        return None
    options = dict(header_row=None, skip_rows=0, skip_whitespace_tail_rows=True,
                   use_columns=[frame_columns[i] for i in candidates])
    as_number = reader.load_sheet(index, dtypes="float", **options).to_polars()  # type: ignore[attr-defined]
    as_bool = reader.load_sheet(index, dtypes="boolean", **options).to_polars()  # type: ignore[attr-defined]
    start, length = data_rows.start, len(data_rows)
    as_number, as_bool = as_number.slice(start, length), as_bool.slice(start, length)
    texts = rows.slice(0, as_number.height)
    cells = pl.DataFrame([
        _number_cell(as_number.get_column(frame_columns[i]), as_bool.get_column(frame_columns[i]),
                     texts.get_column(rows.columns[i])).alias(number_cell_column(rows.columns[i]))
        for i in candidates])
    cells = cells.select(c for c in cells.columns if cells.get_column(c).null_count() < cells.height)
    if not cells.width:
        return None
    return cells.with_row_index(SOURCE_ROW, offset=1).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))


def _number_cell(number: pl.Series, truth: pl.Series, text: pl.Series) -> pl.Series:
    """``number`` where the cell is a number cell (see :func:`_number_cells`), else null."""
    is_cell = number.is_not_null() & truth.is_not_null() & ~text.is_in(_BOOL_CELL_TEXT).fill_null(False)
    return number.zip_with(is_cell, pl.Series([None] * len(number), dtype=pl.Float64))


def _errors_by_column(found: list[tuple[int, int, str, str]], sheet: str, data_rows: range, first: int,
                      names: list[str]) -> tuple[ErrorCells, ...]:
    """The error cells ``found`` (sheet row, frame column, reference, text) in the table's data rows, by column."""
    by_column: dict[str, list[tuple[int, int, str, str]]] = {}
    for cell in found:
        row, column = cell[0], cell[1] - first
        if row in data_rows and 0 <= column < len(names):
            by_column.setdefault(names[column], []).append(cell)
    return tuple(ErrorCells(sheet, name, len(cells), cells[0][2], cells[0][3]) for name, cells in by_column.items())


# In a worksheet's XML (with a namespace prefix or not): the prefix, a cell's start tag, its value and end, and its
# reference. The column of a row's first cell with a value: :func:`_row_start`.
_PREFIX = re.compile(rb"<([\w.-]+:)?sheetData\b")
_CELL_START = re.compile(rb"<(?:[\w.-]+:)?c\s")
_CELL_VALUE = re.compile(rb"<(?:[\w.-]+:)?v>([^<]*)<")
_CELL_END = re.compile(rb"</(?:[\w.-]+:)?c>")
_ROW_TAG = re.compile(rb"<(?:[\w.-]+:)?row[\s>/]")
_REFERENCE = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_XLSX_CHUNK = 1 << 22


def _xlsx_error_cells(source: str | bytes, sheet: str) -> list[tuple[int, int, str, str]]:
    """The error cells of an ``.xlsx``/``.xlsm`` sheet, as (sheet row, frame column, reference, text), in sheet order.

    fastexcel (calamine) reads an error as a blank and reports it only through pyarrow, which
    leadq does not depend on; so the sheet's XML is read again, where an error cell is
    ``<c r="D7" t="e">...<v>#N/A</v></c>``. The frame calamine makes starts at the sheet's
    first row but at its first column with a value: the frame column is counted from there.
    A sheet whose error cells do not name their reference (``r=`` is optional) is read again,
    cell by cell. A sheet without ``t="e"`` (nearly every one) is only searched for it; any other workbook
    (``.xls``, ``.xlsb``, ``.ods``), or XML that cannot be read, gives none.
    """
    from xml.etree import ElementTree  # 8 ms: only runs that read a workbook pay for it

    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as book:
            part = _xlsx_sheet_part(book, sheet)
            if part is None or not _holds(book, part, b't="e"'):
                return []
            letters, errors = _xlsx_cells(book, part)
            if any(row is None for row, _, _ in errors):
                letters, errors = _xlsx_cells_in_order(book, part)
    except (zipfile.BadZipFile, KeyError, OSError, ElementTree.ParseError, ValueError):
        return []
    first = min((_column_number(c) for c in letters), default=1)
    return [(row, _column_number(column) - first, f"{column}{row}", text) for row, column, text in errors]


def _xlsx_cells_in_order(book: zipfile.ZipFile, part: str) -> tuple[set[str], list[tuple[int, str, str]]]:
    """What :func:`_xlsx_cells` finds, in a sheet whose rows and cells need not name their reference.

    Some writers leave ``r=`` out: a row, or a cell, is then the one after the previous one (as
    calamine places them). That takes reading every cell, so only such sheets with error cells
    are read so.
    """
    from xml.etree import ElementTree

    letters: set[str] = set()
    errors: list[tuple[int, str, str]] = []
    row, column = 0, 0
    with book.open(part) as fh:
        for event, element in ElementTree.iterparse(fh, events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if event == "start":
                if tag == "row":
                    row, column = int(element.get("r") or row + 1), 0
                continue
            if tag != "c":
                if tag == "row":
                    element.clear()
                continue
            ref = _REFERENCE.match(b'r="' + (element.get("r") or "").encode("ascii", "replace") + b'"')
            column = _column_number(ref.group(1).decode("ascii")) if ref else column + 1
            parts = {child.tag.rpartition("}")[2]: child.text or "" for child in element}
            if parts.get("v") or "is" in parts or ("v" in parts and element.get("t") == "str"):
                letters.add(_column_letters(column))
            if element.get("t") == "e" and parts:
                errors.append((row, _column_letters(column), parts.get("v", "").strip() or "#ERROR"))
    return letters, errors


def _column_letters(number: int) -> str:
    """A column's letters from its number: 1 is A, 27 AA."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    """A column's number from its letters: A is 1, Z 26, AA 27."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _xlsx_sheet_part(book: zipfile.ZipFile, sheet: str) -> str | None:
    """The name of the XML part that holds ``sheet`` in an xlsx package, or None (not an xlsx package)."""
    from xml.etree import ElementTree

    if "xl/workbook.xml" not in book.namelist():
        return None
    ids = {el.get(k): el.get("name") for el in ElementTree.fromstring(book.read("xl/workbook.xml")).iter()
           if el.tag.endswith("}sheet") for k in el.keys() if k.endswith("}id")}
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if ids.get(rel.get("Id")) == sheet:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None


def _holds(book: zipfile.ZipFile, part: str, text: bytes) -> bool:
    """Whether a package's part holds ``text`` (read in chunks, decompressed once)."""
    tail = b""
    with book.open(part) as fh:
        while chunk := fh.read(_XLSX_CHUNK):
            if text in tail + chunk[: len(text)] or text in chunk:
                return True
            tail = chunk[-len(text):]
    return False


def _xlsx_cells(book: zipfile.ZipFile, part: str) -> tuple[set[str], list[tuple[int | None, str, str]]]:
    """A sheet's columns with a value (their letters), and its error cells: (sheet row, column letters, text).

    The XML is searched chunk by chunk, by regular expressions (every cell of a large sheet is
    too many for a Python loop); a chunk is searched up to the start of its last row, the rest
    with the next chunk.
    """
    letters: set[str] = set()
    errors: list[tuple[int, str, str]] = []
    rest, row_start = b"", None
    with book.open(part) as fh:
        while True:
            chunk = fh.read(_XLSX_CHUNK)
            data = rest + chunk
            # Whole rows only: a row cut after an empty cell would not show its first cell with a value.
            cut = _before_last_row(data) if chunk else len(data)
            if row_start is None and (prefix := _PREFIX.search(data)):
                row_start = _row_start(prefix.group(1) or b"")
            if row_start is not None:
                letters.update(c.decode("ascii") for c in set(row_start.findall(data, 0, cut)))
            errors += _errors_in(data[:cut])
            rest = data[cut:]
            if not chunk:
                return letters, errors


def _row_start(prefix: bytes) -> re.Pattern[bytes]:
    """A row's start up to the column letters of its first cell with a value, in a sheet whose tags have
    ``prefix`` ("x:", or none).

    A cell without a value, which calamine leaves out of its frame, is skipped: ``<c .../>``, and
    ``<c ...></c>`` holding at most an empty ``<v>`` and a formula never calculated (a ``t="str"``
    cell's empty ``<v>`` is an empty text, a value). The reference may follow other attributes
    (``<c t="n" r="B2">``). With the prefix in the pattern (not matched as any), the search skips
    from one ``<row`` to the next: ten times as fast.
    """
    p = re.escape(prefix)
    formula = rb"(?:<" + p + rb"f\b[^>]*/>|<" + p + rb"f\b[^>]*>[^<]*</" + p + rb"f>)?"
    empty_value = rb"(?:<" + p + rb"v\s*/>|<" + p + rb"v>\s*</" + p + rb"v>)?"
    # Possessive: a cell with a value fails each alternative at once, not after trying every split of its tag.
    empty = (rb"<" + p + rb"c\b[^>]*+(?<=/)>|<" + p + rb'c\b(?![^>]*\st="str")[^>]*+(?<!/)>\s*' + formula + rb"\s*"
             + empty_value + rb"\s*</" + p + rb"c>")
    # The empty cells possessively: one is never taken back to be read as the cell with a value.
    return re.compile(rb"<" + p + rb"row\b[^>]*>(?:\s*(?:" + empty + rb"))*+\s*<" + p
                      + rb'c\b[^>]*?\sr="([A-Z]{1,3})\d+"')


def _before_last_row(xml: bytes) -> int:
    """Where the last row that starts in ``xml`` starts (0: none does)."""
    end = len(xml)
    while (at := xml.rfind(b"row", 0, end)) >= 0:
        start = xml.rfind(b"<", 0, at)
        if start >= 0 and (tag := _ROW_TAG.match(xml, start)) is not None and tag.end() == at + 4:
            return start
        end = at
    return 0


def _errors_in(xml: bytes) -> Iterator[tuple[int | None, str, str]]:
    """The error cells of whole cells of XML: (sheet row, column letters, what the cell shows); the row is
    None for a cell that does not name its reference.

    Found by their ``t="e"`` (bytes.find: a regular expression tried at every cell takes a second
    for 200,000 rows), then read from their start tag.
    """
    at = 0
    while (hit := xml.find(b't="e"', at)) >= 0:
        start, end = xml.rfind(b"<", 0, hit), xml.find(b">", hit)
        at = end + 1 if end >= 0 else len(xml)
        tag = xml[start: at]
        ref = _REFERENCE.search(tag)
        if not _CELL_START.match(tag) or tag.endswith(b"/>"):
            continue
        if ref is None:  # placed by its order (:func:`_xlsx_cells_in_order`)
            yield None, "", ""
            continue
        close = _CELL_END.search(xml, at)
        value = _CELL_VALUE.search(xml, at, close.start() if close else len(xml))
        text = value.group(1).decode("utf-8", "replace").strip() if value else ""
        yield int(ref.group(2)), ref.group(1).decode("ascii"), text or "#ERROR"


def _texts(row: tuple[str | None, ...]) -> list[str]:
    """A row's non-blank cells, trimmed, left to right."""
    return [t for t in (v.strip() for v in row if v is not None) if t]


def _is_total(texts: list[str]) -> bool:
    """A total's row: a total's label first, only numbers after it."""
    return bool(texts) and bool(_TOTAL_RE.match(texts[0])) and all(_NUMBER_RE.match(t) for t in texts[1:])


def _header_index(head: list[tuple[str | None, ...]]) -> tuple[int, int]:
    """(index of the header among ``head``, the non-blank rows above it) by the rule in the module docstring.

    ``head`` holds the sheet's first rows from the first one that is not empty; only
    the first :data:`HEAD_ROWS` can be the header, the rest are the rows under them.
    """
    widths = [len(_texts(row)) for row in head]
    first = next((i for i, n in enumerate(widths) if n), 0)
    if widths[first] != 1:
        return first, 0  # an export's header (or a row of blank cells, as before)
    for i in range(first + 1, min(len(head), HEAD_ROWS)):
        if widths[i] >= 2 and widths[i] >= max(widths[i + 1: i + 1 + BELOW_ROWS], default=0):
            return i, sum(1 for n in widths[:i] if n)
    return first, 0  # a one-column sheet: its first row is the header


def _table_end(cells: pl.DataFrame, header: int) -> tuple[int, int]:
    """(index of the first row after the table's data, the non-blank rows after it: totals and footer).

    Reads up from the sheet's last row, over its last :data:`TAIL_ROWS` rows at most.
    Footer lines count only under a blank row or a total's row: one-cell lines right
    after the data are data.
    """
    low = max(header + 1, cells.height - TAIL_ROWS)
    tail = cells.slice(low).rows()
    end, below, footer = cells.height, 0, 0
    for i in range(len(tail) - 1, -1, -1):
        texts = _texts(tail[i])
        if not texts or _is_total(texts):
            end, below, footer = low + i, below + footer + bool(texts), 0
        elif len(texts) == 1 and " " in texts[0] and footer < FOOTER_MAX_LINES:
            footer += 1
        else:
            break
    return end, below


def _drop_empty_edge_columns(table: pl.DataFrame) -> pl.DataFrame:
    """``table`` (the header row first) without its columns at either edge that are blank from the header down."""
    blank = [v is None or not v.strip() for v in table.row(0)]
    edge = [i for i in range(len(blank)) if all(blank[: i + 1]) or all(blank[i:])]
    empty = table.select(~pl.col(table.columns[i]).str.strip_chars().ne("").any() for i in edge).row(0) if edge else ()
    dropped = {i for i, e in zip(edge, empty) if e}
    lead = next((i for i in range(table.width) if i not in dropped), table.width)
    trail = next((i for i in range(table.width - 1, -1, -1) if i not in dropped), -1)
    return table.select(table.columns[lead: trail + 1]) if lead <= trail else table


# The cheap first pass of _refuse_grouped_report, on each row's first cell that is not null.
_MAYBE_GROUPED = r"(?i)^\s*$|^\s*(grand|sub|total|count|record)|records?\s*\)\s*$"


def _refuse_grouped_report(data: pl.DataFrame, first_row: int, label: str) -> None:
    """Raise InputError on the first total's row or group heading among ``data`` (sheet row ``first_row`` on).

    Vectorised, in two passes: the rows whose first cell could start a total's label or end
    a group's heading (a few, if any) are picked out first, and only they are checked cell by cell.
    """
    maybe = data.with_row_index("_row").filter(pl.coalesce(data.columns).str.contains(_MAYBE_GROUPED))
    if not maybe.height:
        return
    cells = [pl.col(c).str.strip_chars() for c in data.columns]
    first = pl.coalesce([pl.when(c != "").then(c) for c in cells])
    filled = pl.sum_horizontal([(c != "").fill_null(False) for c in cells])
    wordy = pl.sum_horizontal([((c != "") & ~c.str.contains(_NUMBER)).fill_null(False) for c in cells])
    found = (maybe.filter((first.str.contains(_TOTAL) & (wordy == 1)) | (first.str.contains(_GROUP) & (filled == 1)))
             .select("_row", first.alias("_first")).head(1))
    if found.height:
        row, text = found.row(0)
        text = text if len(text) <= 60 else text[:57] + "..."
        raise InputError(
            f"sheet row {first_row + row} ('{text}') is a subtotal or a group's heading: this is a grouped "
            "(summary) report, which has no row per lead to read; export the report as 'Details Only', or "
            "delete its subtotal and group rows", Position(label))


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
