"""Reading CSV exports as all-text LazyFrames: encoding, delimiter, preamble and ragged rows.

Plain UTF-8 files are scanned lazily so large files stream. Files that need
transcoding (UTF-16 with or without a byte-order mark, cp1252/Latin-1, a forced
encoding), files with classic Mac line ends (CR only) and stdin are read whole,
decoded, and parsed from the UTF-8 bytes. Blank lines and Excel's "sep=;" line
before the header are skipped; a file that is not CSV text at all (Parquet, a
zip or Excel workbook, NUL bytes) is an :class:`~leadq.errors.InputError` saying
what it is. Every value is String, stripped, with empty values as null.

A record with more or fewer fields than the header fails the query itself when
it is collected (no Python runs during a collect); :func:`ragged_record_error`
turns that failure back into the file and line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re

import polars as pl

from leadq.errors import InputError, Position, UsageError, os_reason
from leadq.provenance import SOURCE_FILE, SOURCE_ROW

# Candidate delimiters in order of preference when counts tie.
_DELIMITERS = (",", ";", "\t")
_DELIMITER_ALIASES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}

_CHUNK = 1 << 20

# A ragged CSV record, as _field_count_check reports it through a failing cast:
# marker:first line:fields found:fields expected:hex of the file label:end
_RAGGED_MARKER = "leadq-ragged-record"
_RAGGED_RE = re.compile(rf"{_RAGGED_MARKER}:(\d+):(\d+):(\d+):([0-9a-f]*):end")


def resolve_encoding(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise UsageError(
            f"unknown encoding '{name}'; use a Python codec name such as utf-8, utf-16, cp1252 or latin-1"
        ) from None


def resolve_delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    value = _DELIMITER_ALIASES.get(value.lower(), value)
    if len(value) != 1 or len(value.encode("utf-8")) != 1 or value in "\"\r\n":
        raise UsageError(f"invalid delimiter {value!r}: give one ASCII character such as ',', ';' or 'tab'")
    return value


def _is_utf8(codec: str) -> bool:
    return codec in ("utf-8", "utf-8-sig")


def detect_file_encoding(path: str) -> str:
    """Return the codec of a CSV file: from its BOM, else UTF-16 by its NUL bytes, else UTF-8 if valid, else cp1252."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        fh.seek(0)
        utf16 = _bomless_utf16(fh.read(_UTF16_PROBE))
        if utf16:
            return utf16
        # Validate the whole file in C-speed chunks: a Latin-1 byte can sit
        # anywhere, and finding it only at collect time would be too late to
        # switch codecs.
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(_CHUNK):
                # Plain ASCII with no sequence pending from the last chunk is valid UTF-8:
                # checking that is several times cheaper than decoding it.
                if not (chunk.isascii() and not decoder.getstate()[0]):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


_UTF16_PROBE = 64


def _bomless_utf16(head: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" for UTF-16 text without a byte-order mark, judged by its first bytes.

    A header of Latin letters in UTF-16 has a NUL in every other byte, which no
    CSV in a one-byte encoding or UTF-8 has; anything else is left to the
    other checks.
    """
    head = head[: len(head) // 2 * 2]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if not odd.strip(b"\x00") and b"\x00" not in even:
        return "utf-16-le"
    if not even.strip(b"\x00") and b"\x00" not in odd:
        return "utf-16-be"
    return None


def _detect_bytes_encoding(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf16 = _bomless_utf16(raw[:_UTF16_PROBE])
    if utf16:
        return utf16
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _decode(raw: bytes, codec: str, label: str, *, detected: bool) -> str:
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        if detected and codec == "cp1252":
            # cp1252 leaves five bytes undefined; Latin-1 maps every byte.
            text = raw.decode("latin-1")
        else:
            raise InputError(
                f"cannot decode as {codec} (byte {exc.start}); pass the right --encoding",
                Position(label),
            ) from exc
    return text.lstrip("\ufeff")


def read_csv_file(path: str, encoding: str | None, delimiter: str | None) -> pl.LazyFrame:
    try:
        codec = encoding or detect_file_encoding(path)
        if _is_utf8(codec):
            header = _read_header_text(path)
            if not _cr_line_ends(header):
                return _csv_frame(path, header, path, delimiter)
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {os_reason(exc)}") from exc
    return _csv_text_frame(_decode(raw, codec, path, detected=encoding is None), path, delimiter)


def _csv_text_frame(text: str, label: str, delimiter: str | None) -> pl.LazyFrame:
    """:func:`_csv_frame` over CSV text read whole (transcoded, from stdin, or with old Mac line ends)."""
    if _cr_line_ends(text):
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _csv_frame(text.encode("utf-8"), text[: _header_end(text) + 1], label, delimiter)


def _cr_line_ends(text: str) -> bool:
    """Whether the first record ends with a lone CR: a file saved with classic Mac OS line ends.

    Excel for Mac wrote CSV that way for years. Polars splits records on LF
    only, so such a file is read whole and its line ends turned into LF.
    """
    in_quotes = False
    for i, ch in enumerate(text):  # up to the first line end outside quotes, never further
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch in "\r\n":
            return ch == "\r" and text[i + 1: i + 2] != "\n"
    return False


def _read_header_text(path: str) -> str:
    """Read a UTF-8 file until its header record ends (newline outside quotes)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = ""
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(64 * 1024)
            text += decoder.decode(chunk, final=not chunk)
            end = _header_end(text)
            if end < len(text) or not chunk:
                return text[: end + 1].lstrip("\ufeff")


def _header_end(text: str) -> int:
    """Index of the newline ending the header record (after any :func:`_preamble` lines), or len(text)."""
    in_quotes = False
    start = 0
    for i, ch in enumerate(text):  # the preamble and the header only, never the data
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == "\n" and not in_quotes:
            if _preamble_line(text[start:i]) is None:
                return i
            start = i + 1
    return len(text)


# Excel's "sep=;" line: the delimiter, written before the header by Excel and read by it.
_SEP_LINE = re.compile(r"sep=(.)")


def _preamble_line(line: str) -> str | None:
    """"" for a blank line, the delimiter for an Excel "sep=" line, None for anything else."""
    if not line.strip(" \t\r"):
        return ""
    found = _SEP_LINE.fullmatch(line.rstrip("\r"))  # "sep=\t" ends in a blank
    return found.group(1) if found else None


def _preamble(header: str) -> tuple[int, str | None, str]:
    """(lines before the header record, the delimiter a "sep=" line among them names, the header record).

    Blank lines before the header are skipped, as pandas and spreadsheets do,
    and so is the "sep=;" line Excel writes in locales whose delimiter is not
    a comma.
    """
    start = skipped = 0
    sep = None
    while (end := header.find("\n", start)) >= 0 and (kind := _preamble_line(header[start:end])) is not None:
        sep = kind or sep
        start = end + 1
        skipped += 1
    return skipped, sep, header[start:]


def _sniff_delimiter(header: str) -> str:
    counts = dict.fromkeys(_DELIMITERS, 0)
    in_quotes = False
    for ch in header:
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch in counts:
            counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])  # max keeps the first on ties
    return best if counts[best] else ","


def clean_column_names(raw_names: list[str], label: str) -> list[str]:
    """Header names trimmed (and of a BOM); a blank one is ``column_<n>``; reserved or repeated names are errors."""
    names: list[str] = []
    for i, raw in enumerate(raw_names, start=1):
        name = raw.replace("\ufeff", "").strip() or f"column_{i}"
        if name in (SOURCE_FILE, SOURCE_ROW):
            raise InputError(f"column '{name}' is reserved by leadq; rename it in the header", Position(label))
        if name in names:
            raise InputError(
                f"duplicate column name '{name}' (columns {names.index(name) + 1} and {i}); rename one of them",
                Position(label),
            )
        names.append(name)
    return names


# What a file read as CSV really is, by its first bytes (as read: cp1252 keeps them as they are).
_NOT_CSV_SIGNATURES = (
    ("PAR1", "a Parquet file; give it a .parquet extension or pass --input-format parquet"),
    ("PK\x03\x04", "a zip archive (an Excel workbook?); name it .xlsx or pass --input-format excel, or export "
                    "the sheet as CSV"),
    ("\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook; name it .xls or pass --input-format excel, or export "
                         "the sheet as CSV"),
)


def _not_csv_text(header: str) -> str | None:
    """Why a file that should be CSV is not CSV text at all, judged by its first record; None if it may be."""
    for signature, what in _NOT_CSV_SIGNATURES:
        if header.startswith(signature):
            return f"this is not CSV text but {what}"
    if "\x00" in header:
        return ("this is not CSV text: its first line holds NUL bytes (a binary file, or UTF-16 without a "
                "byte-order mark: pass --encoding utf-16-le)")
    return None


def empty_frame() -> pl.LazyFrame:
    """An input with no columns and no rows (a zero-byte file): not an error."""
    return pl.LazyFrame(schema={SOURCE_FILE: pl.String, SOURCE_ROW: pl.Int64})


def _csv_frame(source: str | bytes, header: str, label: str, delimiter: str | None) -> pl.LazyFrame:
    """Build the lazy, all-String frame for one CSV source (a path or UTF-8 bytes)."""
    if not header.strip():
        # Zero bytes (or only blank lines): no columns, no rows; not an error.
        return empty_frame()
    problem = _not_csv_text(header)
    if problem:
        raise InputError(problem, Position(label))
    skipped, sep_line, header = _preamble(header)
    sep = delimiter or sep_line or _sniff_delimiter(header)
    try:
        raw_names = next(csv.reader(io.StringIO(header.rstrip("\r\n")), delimiter=sep), [])
    except csv.Error as exc:
        raise InputError(f"line {skipped + 1}: cannot read the header as CSV ({exc}); check that the file "
                         "is CSV text", Position(label)) from None
    names = clean_column_names(raw_names, label)
    lf = pl.scan_csv(
        source,
        has_header=True,
        skip_lines=skipped,
        separator=sep,
        quote_char='"',
        infer_schema=False,
        new_columns=names,
        empty_string_is_null=False,
        # Ragged rows are reported by the field-count check below with a line
        # number; Polars' own error (long rows only) would name neither file nor
        # line, and raced with the check's.
        truncate_ragged_lines=True,
        raise_if_empty=False,
        glob=False,
    )
    data = text_rows(lf, names, label)
    check = _field_count_check(source, sep, len(names), label, header_line=skipped + 1)
    return pl.concat([data, check], how="diagonal_relaxed")


def text_rows(lf: pl.LazyFrame, names: list[str], label: str) -> pl.LazyFrame:
    """Rows of text cells (header excluded) with values stripped, blanks null, empty rows dropped, provenance added.

    ``_source_row`` numbers the data rows before empty ones are dropped, so that it still
    names the row in the file.
    """
    return (
        lf.with_row_index(SOURCE_ROW, offset=1)
        # Stripped, then blanked in a second step: in one when/then Polars strips every value twice.
        .with_columns(pl.col(n).str.strip_chars() for n in names)
        .with_columns(pl.when(pl.col(n) != "").then(pl.col(n)).alias(n) for n in names)
        # Blank lines (trailing ones in particular) parse as all-empty rows.
        .filter(pl.any_horizontal(pl.col(names).is_not_null()))
        .select(*names, pl.lit(label, pl.String).alias(SOURCE_FILE), pl.col(SOURCE_ROW).cast(pl.Int64))
    )


def _field_count_check(source: str | bytes, sep: str, expected: int, label: str,
                       header_line: int) -> pl.LazyFrame:
    """A zero-row frame whose collection fails, naming the line, on the first ragged record.

    Polars 2.1 reads a missing trailing field exactly like an empty one (with
    ``empty_string_is_null=False`` too), so a short row cannot be told from
    the parsed values, and its error for a long row names neither file nor
    line. The check therefore scans the physical lines (no CSV parsing: a
    cheap scan), keeps the lines that could make a record ragged, joins lines
    inside quotes into records, counts delimiters outside quotes (the
    quoted-segment regex only on lines that have quotes) and keeps the first
    record after the header (on line ``header_line``) whose field count differs.

    It raises inside the plan, without calling back into Python (a signal
    landing in a Python callback during collect makes Polars panic): the
    record becomes a marker string whose strict cast fails, and
    :func:`input_error_from_polars` turns the cast error back into
    ``<label>: line N: expected E fields, found F``.
    """
    lines = pl.scan_csv(
        source,
        has_header=False,
        separator="\x00",  # never in text CSV: each physical line is one field
        quote_char=None,
        schema={"line": pl.String},
        empty_string_is_null=False,
        truncate_ragged_lines=True,
        raise_if_empty=False,
        glob=False,
    )
    line = pl.col("line")
    quotes = pl.col("quotes")
    opened = pl.col("opened")
    # A line with no quotes and the expected number of delimiters is a whole record, or lies inside
    # a quoted field that starts and ends on lines with quotes; either way it cannot make a record
    # ragged, so it is dropped while streaming and the sequential part of the check (cumulative sums
    # over the lines) runs on the few lines left: those with quotes, and short, long or blank ones.
    # (Whether a line has a quote is cheaper to ask than how many: the count waits for the few left.)
    candidates = (
        lines.with_row_index("line_no", offset=1)
        .with_columns(delims=line.str.count_matches(sep, literal=True).cast(pl.Int64))
        .filter(line.str.contains('"', literal=True) | (pl.col("delims") != expected - 1))
        .with_columns(quotes=line.str.count_matches('"', literal=True).cast(pl.Int64))
    )
    cum_quotes = quotes.cum_sum()
    outside = (
        pl.when(quotes > 0)
        # Drop quoted segments (an unclosed one runs to the end of the line), count what is left.
        .then(pl.when(opened).then(pl.lit('"') + line).otherwise(line)
              .str.replace_all(r'"[^"]*"?', "").str.count_matches(sep, literal=True).cast(pl.Int64))
        .when(opened).then(pl.lit(0, pl.Int64))  # the whole line is inside a quoted field
        .otherwise(pl.col("delims"))
    )
    cum_delims = pl.col("outside").cum_sum()
    first_bad = (
        candidates
        .with_columns(opened=((cum_quotes - quotes) % 2) == 1,  # the line starts inside quotes
                      ends=(cum_quotes % 2) == 0)  # the line ends a record
        .with_columns(outside=outside,
                      first_line=pl.when(~opened).then(pl.col("line_no")).forward_fill())
        .with_columns(prev_delims=pl.when(pl.col("ends")).then(cum_delims).shift(1).forward_fill().fill_null(0),
                      cum_delims=cum_delims)
        .filter(pl.col("ends") & (pl.col("first_line") > header_line))
        .with_columns(found=pl.col("cum_delims") - pl.col("prev_delims") + 1)
        .filter(
            (pl.col("found") != expected)
            & ~((pl.col("first_line") == pl.col("line_no")) & (line.str.strip_chars() == ""))
        )
        .head(1)
    )
    marker = pl.format(f"{_RAGGED_MARKER}:{{}}:{{}}:{expected}:{label.encode('utf-8').hex()}:end",
                       pl.col("first_line"), pl.col("found"))
    # A filter, not a column: the frame's row count is always needed, so no optimisation prunes it.
    return (
        first_bad.with_columns(marker.alias("_ragged"))
        .filter(pl.col("_ragged").cast(pl.Int8, strict=True).is_null())
        .with_columns(pl.lit(None, pl.String).alias(SOURCE_FILE))
        .select(SOURCE_FILE)
    )


def ragged_record_error(text: str) -> InputError | None:
    """The InputError a failed :func:`_field_count_check` stands for, if ``text`` carries its marker."""
    found = _RAGGED_RE.search(text)
    if found is None:
        return None
    line, count, expected, label = found.groups()
    return InputError(f"line {line}: expected {expected} fields, found {count}; check the delimiter or quoting",
                      Position(bytes.fromhex(label).decode("utf-8")))


def read_csv_bytes(raw: bytes, label: str, encoding: str | None, delimiter: str | None) -> pl.LazyFrame:
    """CSV read whole from bytes (stdin): decoded with ``encoding`` or the detected one."""
    codec = encoding or _detect_bytes_encoding(raw)
    return _csv_text_frame(_decode(raw, codec, label, detected=encoding is None), label, delimiter)
