"""Where input rows come from: the two columns every row carries, and what of a file was left out as not data.

Every input row carries the file it came from (``_source_file``) and its row there
(``_source_row``: 1-based, the header excluded). A report export also has lines
that are not rows: a workbook's title and filter rows above the header, totals and
a footer under the data, a CSV report's footer (:class:`ReportRows`).
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE_FILE = "_source_file"
SOURCE_ROW = "_source_row"


@dataclass(frozen=True)
class ReportRows:
    """What of a report export was left out as not data (all counts are of non-blank rows or lines).

    Attributes:
        header_row: the header's row in the sheet, or line in the CSV file, as an editor
            numbers it (1-based): data row N is row (or line) N + header_row.
        rows_above: rows above the header (a workbook report's title, filters, "as of" lines).
        rows_below: rows after the data (totals, the footer).
        unit: what a row is called in the file: "sheet row", or "line" in CSV text.
    """

    header_row: int
    rows_above: int
    rows_below: int
    unit: str = "sheet row"
