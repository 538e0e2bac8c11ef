"""Reading lead files (CSV, Parquet, NDJSON, Excel; files, globs, stdin; compressed or not) into one LazyFrame.

:func:`expand_inputs` turns command-line specs (paths, globs, ``-``) into a
checked list of files; :func:`read_inputs` builds one ``pl.LazyFrame`` over
all of them with two provenance columns, ``_source_file`` and
``_source_row``. CSV columns are always read as String (see
:mod:`leadq.csv_input`), and so are NDJSON's scalar fields and the cells of a
workbook's first sheet (:mod:`leadq.excel_input`), so that the ruleset decides
the types; Parquet keeps its native types.

Polars raises parse errors when the frame is *collected*, not when it is
built, so callers must collect through :func:`collect_input` (or catch
``pl.exceptions.PolarsError`` and map it with :func:`input_error_from_polars`)
to turn them into an :class:`~leadq.errors.InputError` naming the file, and
the line where it can be found: a ragged CSV record, invalid JSON.
"""

from __future__ import annotations

import codecs
import glob as globlib
import io
import json
import os
import re
import stat
import sys
from dataclasses import asdict, dataclass
from typing import BinaryIO, Callable, Collection, Mapping, Sequence, TypeVar

import polars as pl

from leadq.csv_input import (
    counted_rows, empty_frame, locate_long_record, locate_unbalanced_quote, ragged_record_error, read_csv_bytes,
    read_csv_file, resolve_delimiter, resolve_encoding, starts_as_json_records,
)
from leadq.errors import InputError, Position, UsageError, one_of, os_reason
from leadq.compressed_input import (
    compression_of,
    decompress_stdin,
    read_compressed_file,
    read_if_compressed,
    unreadable_compression_hint,
)
from leadq.excel_input import EXCEL_EXTENSIONS, ErrorCells, read_excel_source
from leadq.number_text import NUMBER_CELL_PREFIX, number_cell_column
from leadq.provenance import SOURCE_FILE, SOURCE_ROW, ReportRows

__all__ = [
    "FORMAT_BY_EXTENSION",
    "INPUT_FORMATS",
    "SOURCE_FILE",
    "SOURCE_ROW",
    "STDIN",
    "STDIN_LABEL",
    "InputFile",
    "ReadOptions",
    "collect_input",
    "concat_inputs",
    "error_cells_in",
    "check_outputs_not_read",
    "check_input_format",
    "check_sheet_applies",
    "expand_inputs",
    "input_error_from_polars",
    "read_input_files",
    "read_inputs",
    "read_parquet_metadata",
    "run_counted",
]

STDIN = "-"
STDIN_LABEL = "<stdin>"

INPUT_FORMATS = ("csv", "parquet", "ndjson", "excel")

# File formats by extension, for inputs and outputs alike.
FORMAT_BY_EXTENSION = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "ndjson",
}
# Formats leadq reads but does not write.
INPUT_ONLY_FORMAT_BY_EXTENSION = {ext: "excel" for ext in EXCEL_EXTENSIONS}

@dataclass(frozen=True)
class ReadOptions:
    """How to read input files.

    Attributes:
        input_format: ``"csv"``, ``"parquet"``, ``"ndjson"`` or ``"excel"``; ``None``
            picks it from each file's extension (``.csv .tsv .txt``, ``.parquet .pq``,
            ``.ndjson .jsonl .json``, ``.xlsx .xlsm .xlsb .xls .ods``: the first sheet).
            Stdin and a named pipe without an extension are told by their first bytes
            (:func:`format_from_content`: Parquet, a workbook, JSON records, else CSV).
        encoding: A Python codec name forcing the CSV encoding; ``None``
            detects it (BOM, then UTF-16 by its NUL bytes, then UTF-8, falling
            back to cp1252).
        delimiter: A one-character CSV delimiter (``"tab"`` and ``"\\t"`` are
            accepted); ``None`` detects it from the header line.
        sheet: The sheet read from every workbook input, by name or 1-based
            number; ``None`` reads the first.
        sheets: Sheets of single workbooks (``--sheet FILE=SHEET``), as (the
            file's real path, sheet) pairs; they win over ``sheet`` for their file.
    """

    input_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: tuple[tuple[str, str], ...] = ()

    def sheet_for(self, path: str) -> str | None:
        """The sheet to read from the workbook at ``path``: its own (``FILE=SHEET``), else :attr:`sheet`."""
        if self.sheets and path != STDIN:
            real = os.path.realpath(path)
            return next((name for file, name in self.sheets if file == real), self.sheet)
        return self.sheet


def sheet_options(values: Sequence[str]) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """``--sheet`` values as (the sheet of every workbook, the sheets of single workbooks).

    ``NAME`` (or a number) names the sheet of every workbook input; ``FILE=NAME`` that of
    one workbook, when ``FILE`` ends with a workbook extension, under a compression's too (a sheet name holding ``=``
    is still a name). ``FILE`` is compared by its real path, so ``./a.xlsx`` is ``a.xlsx``.

    Raises:
        UsageError: an empty value, two sheets for every workbook, a FILE that is not an
            existing file, a FILE given twice, or an empty sheet name.
    """
    default: str | None = None
    pairs: dict[str, str] = {}
    for value in values:
        if not value.strip():
            raise UsageError(f"--sheet: {value!r} names nothing (an unset shell variable?); give the sheet's name or "
                             "number, or leave the option out")
        cut = _sheet_file_end(value)
        if cut is None:
            if default is not None and default != value:
                raise UsageError(f"--sheet: '{default}' and '{value}' both name the sheet of every workbook; give "
                                 "one, and FILE=SHEET for a workbook whose sheet differs")
            default = value
            continue
        file, name = value[:cut], value[cut + 1:]
        if not name.strip():
            raise UsageError(f"--sheet {value}: give the sheet's name or number after '='")
        if not os.path.isfile(file):
            raise UsageError(f"--sheet {value}: no such workbook '{file}'")
        real = os.path.realpath(file)
        if pairs.get(real, name) != name:
            raise UsageError(f"--sheet: '{file}' is given two sheets, '{pairs[real]}' and '{name}'")
        pairs[real] = name
    return default, tuple(pairs.items())


def _sheet_file_end(value: str) -> int | None:
    """Where FILE ends in a ``--sheet FILE=SHEET`` value (the '=' after a workbook's name, compressed ones
    included: ``leads.xlsx.gz``, ``export.zip``); None for a sheet name."""
    return next((i for i, ch in enumerate(value) if ch == "=" and _may_be_workbook(value[:i])), None)


def check_sheet_applies(values: Sequence[str], input_format: str | None, specs: Sequence[str]) -> None:
    """Refuse ``--sheet`` where it would do nothing, before anything is read (as other options given in vain are).

    It does nothing when none of the command's inputs is a workbook, and a ``FILE=SHEET`` does
    nothing when FILE is not one of the inputs: a cron line that says ``--sheet Leads`` over a
    CSV file did not read the sheet it names. An input is a workbook by its extension
    (:data:`EXCEL_EXTENSIONS`, under a compression's: ``leads.xlsx.gz``), a glob by its matches'
    (by its own when it has none); a ``.zip`` by the name of the one file it holds (its list of
    files is read, not its data); with
    ``--input-format excel`` every input is one, standard input too, and with another format none.

    Args:
        values: the ``--sheet`` values as given (:func:`sheet_options` has checked them).
        input_format: ``--input-format``, or None.
        specs: every input spec of the command (contacts, ``--activities``, ``--accounts``).

    Raises:
        UsageError: naming the option, the inputs and what to do.
    """
    if not values:
        return
    check_input_format(input_format)  # a misspelt format is told as such, not as one --sheet does not apply to
    if input_format not in (None, "excel"):
        raise UsageError(f"--sheet works with workbook inputs only, and --input-format {input_format} reads every "
                         f"input as {_FORMAT_NAMES.get(input_format, input_format)}; leave --sheet out, or give "
                         "--input-format excel")
    files_of = {spec: _files_named([spec]) for spec in specs}
    files = [f for spec in specs for f in files_of[spec]]
    # A spec by the files it names (a glob by its matches), else by itself (not there: the read says so).
    if input_format is None and not any(_may_be_workbook(f, opened=True)
                                        for spec in specs for f in files_of[spec] or [spec]):
        named = list(dict.fromkeys(specs))
        given = ", ".join(named[:3]) + (", ..." if len(named) > 3 else "")
        inputs = f"none of the inputs is one ({given})" if specs else "no input is given"
        raise UsageError(f"--sheet works with workbook inputs only ({', '.join(EXCEL_EXTENSIONS)}, or --input-format "
                         f"excel), and {inputs}; leave --sheet out")
    read = {os.path.realpath(f) for f in files}
    for value in values:
        cut = _sheet_file_end(value)
        if cut is not None and os.path.realpath(value[:cut]) not in read:
            raise UsageError(f"--sheet {value}: '{value[:cut]}' is not one of the inputs; name a workbook the "
                             "command reads, or leave this --sheet out")


def check_csv_options_apply(encoding: str | None, delimiter: str | None, input_format: str | None,
                            specs: Sequence[str]) -> None:
    """Refuse ``--encoding`` or ``--delimiter`` where no input is CSV text: they would do nothing.

    An input may be CSV unless its name (a glob's matches, under a compression's extension) or
    ``--input-format`` says Parquet, NDJSON or a workbook; standard input and names that say
    nothing (a named pipe) may be.

    Raises:
        UsageError: naming the option, the inputs and what to do.
    """
    given = [name for name, value in (("--encoding", encoding), ("--delimiter", delimiter)) if value]
    if not given:
        return
    check_input_format(input_format)
    options = " and ".join(given)
    apply = "apply" if len(given) > 1 else "applies"
    if input_format not in (None, "csv"):
        raise UsageError(f"{options} {apply} to CSV inputs only, and --input-format {input_format} reads every input "
                         f"as {_FORMAT_NAMES.get(input_format, 'a workbook')}; leave {options} out")
    if input_format == "csv" or not specs:
        return

    def not_csv(name: str) -> bool:
        lowered = name.lower()
        if compression_of(lowered) not in (None, "zip"):
            lowered = os.path.splitext(lowered)[0]
        ext = os.path.splitext(lowered)[1]
        return (FORMAT_BY_EXTENSION.get(ext) not in (None, "csv")) or ext in INPUT_ONLY_FORMAT_BY_EXTENSION

    if all(spec != STDIN and all(not_csv(f) for f in _files_named([spec]) or [spec]) for spec in specs):
        named = list(dict.fromkeys(specs))
        shown = ", ".join(named[:3]) + (", ..." if len(named) > 3 else "")
        raise UsageError(f"{options} {apply} to CSV inputs only, and none of the inputs is CSV ({shown}); leave "
                         f"{options} out")


def check_input_format(input_format: str | None) -> None:
    """Refuse an ``--input-format`` leadq does not read (:data:`INPUT_FORMATS`).

    Raises:
        UsageError: naming the format and those allowed.
    """
    if input_format is not None and input_format not in INPUT_FORMATS:
        raise UsageError(f"unknown input format '{input_format}'; {one_of(INPUT_FORMATS)}")


_FORMAT_NAMES = {"csv": "CSV", "parquet": "Parquet", "ndjson": "NDJSON"}


def _files_named(specs: Sequence[str]) -> list[str]:
    """The files ``specs`` name (globs expanded, stdin left out); a spec naming none is skipped: the read says so."""
    files: list[str] = []
    for spec in specs:
        if spec == STDIN:
            continue
        try:
            files += expand_inputs([spec])
        except InputError:
            continue
    return files


def _may_be_workbook(name: str, *, opened: bool = False) -> bool:
    """Whether a file (or glob) is read as a workbook by its name: a workbook's extension, under a compression's.

    A zip archive holds any file: with ``opened``, the name of the one it holds is read from its list
    of files (an archive that is not there, or not one file, may hold one: the read says what is wrong).
    """
    lowered = name.lower()
    if compression_of(lowered) == "zip":
        inside = _zip_member_name(name) if opened else None
        return inside is None or inside.lower().endswith(EXCEL_EXTENSIONS)
    if compression_of(lowered) is not None:
        lowered = os.path.splitext(lowered)[0]
    return lowered.endswith(EXCEL_EXTENSIONS)


def _zip_member_name(path: str) -> str | None:
    """The name of the one data file a zip archive holds (as :func:`read_compressed_file` finds it), or None."""
    import zipfile

    from leadq.compressed_input import is_archive_extra

    try:
        with zipfile.ZipFile(path) as archive:
            members = [m.filename for m in archive.infolist() if not m.is_dir() and not is_archive_extra(m.filename)]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None
    return members[0] if len(members) == 1 else None


# The hidden files and folders leadq makes beside its outputs while a run lasts: the output lock
# (.scored.csv.lock), temporary files (.scored.csv.<16 hex>.tmp), backups of replaced outputs
# (.scored.csv.<8 hex>.bak) and a sample's temporary folder (.s.<pid>-<12 hex>.tmp).
_LEADQ_OWN = re.compile(r"\..+\.(lock|[0-9a-f]{16}\.tmp|[0-9a-f]{8}\.bak|[0-9]+-[0-9a-f]{12}\.tmp)")


def _leadq_own(path: str) -> bool:
    """Whether a glob's match is (inside) one of leadq's own hidden working files: a pattern such as
    ``'data/.*'`` or ``'data/.*/*.csv'`` would read another run's lock or half-written output."""
    return any(_LEADQ_OWN.fullmatch(part) for part in os.path.normpath(path).split(os.sep))


def expand_inputs(specs: Sequence[str]) -> list[str]:
    """Expand input specs into an ordered, de-duplicated list of readable files.

    Args:
        specs: Paths, glob patterns (``*``, ``?``, ``[...]``, ``**``) or ``"-"``
            for stdin. Each glob's matches are sorted; directories matched by a
            glob are skipped, and so are leadq's own hidden working files (an
            output's lock, temporary files and backups: :func:`_leadq_own`).

    Returns:
        The files in spec order, each kept at its first occurrence.

    Raises:
        InputError: A glob matches no file, or a path is missing, is a
            directory, or cannot be read.
    """
    seen: dict[str, None] = {}
    for spec in specs:
        if spec == STDIN:
            seen.setdefault(STDIN, None)
            continue
        # A literal file whose name happens to contain glob characters wins.
        if globlib.has_magic(spec) and not os.path.lexists(spec):
            matches = [m for m in sorted(globlib.glob(spec, recursive=True))
                       if not os.path.isdir(m) and not _leadq_own(m)]
            if not matches:
                raise InputError(f"no files match '{spec}'; check the pattern and the current directory")
            for match in matches:
                _check_readable(match)
                seen.setdefault(match, None)
            continue
        _check_readable(spec)
        seen.setdefault(spec, None)
    return list(seen)


def check_outputs_not_read(inputs: Mapping[str, Sequence[str]], outputs: Mapping[str, str | None]) -> None:
    """Refuse a run that would read a file it writes: a glob such as ``'data/*.csv'`` matching ``--out``.

    The second run of such a cron job would read the first one's output as contacts (or
    events) and fail on its columns, or worse, score it. Only outputs that exist can be
    matched; specs that match nothing are left to the read, which reports them.

    Args:
        inputs: The input specs by what they are ("contacts", "--activities", ...).
        outputs: The output paths by option ("--out", "--rejects", ...); None or ``"-"`` skipped.

    Raises:
        UsageError: An input is one of the outputs, naming both and the spec that matched it.
    """
    written: dict[str, tuple[str, str]] = {}
    for option, path in outputs.items():
        if path and path != STDIN and os.path.isfile(path):
            written.setdefault(os.path.realpath(path), (option, path))
    if not written:
        return
    for what, specs in inputs.items():
        for spec in specs:
            if spec == STDIN:
                continue
            try:
                files = expand_inputs([spec])
            except InputError:
                continue
            for path in files:
                hit = written.get(os.path.realpath(path))
                if hit is not None:
                    option, target = hit
                    matched = f", matched by '{spec}'" if spec != path else ""
                    raise UsageError(f"{target} is both this run's {option} and one of its {what} inputs{matched}; "
                                     "write the outputs elsewhere, or name the inputs more narrowly")


def _common_input_extension(folder: str) -> str:
    """The extension most of the folder's readable files have (``.csv`` when it holds none)."""
    try:
        names = os.listdir(folder)
    except OSError:
        names = []
    known = [ext for ext in (os.path.splitext(n)[1].lower() for n in names)
             if ext in FORMAT_BY_EXTENSION or ext in INPUT_ONLY_FORMAT_BY_EXTENSION]
    return max(sorted(set(known)), key=known.count, default=".csv")


# The bytes of inputs that can be read only once (a named pipe such as bash's `<(curl ...)`, a device),
# kept for a second read in the same run (run_counted, --previous's first bytes).
_STREAM_BYTES: dict[str, bytes] = {}


# The bytes of standard input, when they were read as JSON records: a read error found only when the frame is
# collected (:func:`input_error_from_polars`) is told by its line in them.
_STDIN_JSON: dict[str, bytes] = {}


def stream_file_bytes(path: str) -> bytes | None:
    """The bytes of an input that is not a regular file (a named pipe, a device), read whole once; else None.

    Such a file cannot be scanned lazily, sought in, or opened twice (its writer is gone): it is read
    into memory as standard input is, and held, so a second read in the run gets the same bytes.

    Raises:
        InputError: it cannot be read.
    """
    try:
        if stat.S_ISREG(os.stat(path).st_mode):
            return None
    except OSError:
        return None  # missing: the read says so
    if path not in _STREAM_BYTES:
        try:
            with open(path, "rb") as fh:
                _STREAM_BYTES[path] = fh.read()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {os_reason(exc)}") from None
    return _STREAM_BYTES[path]


# The bytes format_from_content is given: enough for the first line of most NDJSON records.
CONTENT_HEAD_BYTES = 4096


def format_from_content(head: bytes) -> str:
    """The format of data whose name does not say it (standard input, a named pipe), from its first bytes
    (:data:`CONTENT_HEAD_BYTES` of them, decompressed): Parquet, a workbook, JSON records, else CSV.

    A workbook is a zip archive (``.xlsx``) or an OLE2 file (``.xls``); a zipped CSV export has a name
    that says so. JSON records start as :func:`leadq.csv_input.starts_as_json_records` says, so a CSV
    header in brackets (``[Id],[Name]``) is still CSV.
    """
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return "excel"
    text = head.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")
    return "ndjson" if starts_as_json_records(text) else "csv"


def _check_readable(path: str) -> None:
    """Raise InputError unless ``path`` is an existing, readable regular file."""
    if not os.path.exists(path):
        raise InputError(f"no such file: {path}")
    if os.path.isdir(path):
        raise InputError(f"{path} is a directory: pass the files inside it, e.g. "
                         f"'{path.rstrip('/')}/*{_common_input_extension(path)}'")
    if not os.access(path, os.R_OK):
        raise InputError(f"cannot read {path}: permission denied; check the file's permissions")


@dataclass(frozen=True)
class InputFile:
    """One input file as read: its name in messages, its data columns and its lazy frame.

    Attributes:
        label: The path after glob expansion, or ``"<stdin>"``.
        columns: The file's own columns, without the provenance columns; empty
            for a zero-byte file.
        frame: The file's rows, with ``_source_file`` and ``_source_row``.
        parquet_path: The path of a Parquet file on disk (scanned, not loaded),
            else None; such a file can be re-scanned cheaply, with filters
            pushed into the reader.
        disk_bytes: The size of a file on disk of any format, decompressed for a compressed
            one (:mod:`leadq.compressed_input`); None for stdin.
        report_rows: What was left out of a report export (a workbook's title rows, totals
            and footer; a CSV report's footer: :class:`~leadq.provenance.ReportRows`), else None.
        text_ready: Every cell is text, stripped, blank as null (CSV and Excel input, read by
            :func:`leadq.csv_input.text_rows`): typing need not strip its text again.
        rows_counted: Read with ``used_columns`` tested for blank rows (:func:`read_input_files`):
            the rows the file must yield; None when every column was tested.
        stdin_bytes: What was read from standard input, so that it can be read again
            (:func:`run_counted`); None for a file.
        error_cells: A workbook's error cells (``#N/A``, ``#DIV/0!`` ...), read as blank, by
            column (:class:`~leadq.excel_input.ErrorCells`); the caller tells those of the
            columns it uses.
        sheets: A workbook's sheet that was read, then its other sheets; empty for other files.
        fieldless: The file has rows but no columns (NDJSON or a JSON array of records ``{}``): unlike
            an empty input (zero bytes, no rows), every column read from it is missing.
    """

    label: str
    columns: tuple[str, ...]
    frame: pl.LazyFrame
    parquet_path: str | None = None
    disk_bytes: int | None = None
    report_rows: ReportRows | None = None
    text_ready: bool = False
    rows_counted: int | None = None
    stdin_bytes: bytes | None = None
    error_cells: tuple[ErrorCells, ...] = ()
    sheets: tuple[str, ...] = ()
    fieldless: bool = False


def read_inputs(
    specs: Sequence[str],
    options: ReadOptions = ReadOptions(),
    *,
    stdin: BinaryIO | None = None,
) -> pl.LazyFrame:
    """Build one LazyFrame over every input file.

    The frames are concatenated with ``how="diagonal_relaxed"`` (columns are
    matched by name, missing ones are null) and carry two extra columns:
    ``_source_file`` (the path after glob expansion, ``"<stdin>"`` for ``-``)
    and ``_source_row`` (Int64, 1-based data row within that file, header
    excluded; blank lines are dropped but keep their number).

    CSV values are String with surrounding whitespace stripped and empty
    values as null; column names are stripped of whitespace and of a BOM.

    Parse errors in lazily scanned files surface only when the frame is
    collected: collect it with :func:`collect_input`. A column missing from
    some of the files is null in their rows; callers that must know which file
    lacks which column use :func:`read_input_files` and :func:`concat_inputs`.

    Args:
        specs: As for :func:`expand_inputs`.
        options: Format, encoding and delimiter overrides.
        stdin: Where ``"-"`` reads from; defaults to ``sys.stdin.buffer``.

    Returns:
        The lazy concatenation of all inputs.

    Raises:
        InputError: A file is missing, unreadable, or malformed in its header.
        UsageError: An option is invalid (unknown encoding or format, a
            delimiter that is not one character).
    """
    return concat_inputs(read_input_files(specs, options, stdin=stdin))


def read_input_files(
    specs: Sequence[str],
    options: ReadOptions = ReadOptions(),
    *,
    stdin: BinaryIO | None = None,
    row_columns: Collection[str] | None = None,
    used_columns: Collection[str] | None = None,
    number_columns: Collection[str] | None = None,
) -> list[InputFile]:
    """Open every input file lazily, one :class:`InputFile` each, in input order.

    Takes the same arguments and raises the same errors as :func:`read_inputs`.
    ``row_columns``: the columns the caller uses; a CSV or Excel row blank in all of
    those the file has is a blank row, dropped (None: blank in all its columns).
    ``used_columns``: the same, but only for CSV input whose rows with text the reader can
    count cheaply (:attr:`InputFile.rows_counted`); its other columns are then parsed only
    when selected. A caller that finds fewer rows than counted (a row with text only in other
    columns) must read the input again without ``used_columns`` (:func:`run_counted`).
    ``number_columns``: the columns the caller reads as numbers, whose JSON numbers NDJSON input
    keeps beside their text (:func:`_scan_ndjson`: a second parse of the file); None: every
    column the caller reads.
    """
    encoding = resolve_encoding(options.encoding)
    delimiter = resolve_delimiter(options.delimiter)
    check_input_format(options.input_format)
    files: list[InputFile] = []
    for path in expand_inputs(specs):
        if path == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            try:
                source: str | bytes = stream.read()
            except OSError as exc:
                raise InputError(f"cannot read {STDIN_LABEL}: {exc.strerror or exc}") from exc
            source = decompress_stdin(source, STDIN_LABEL)
            fmt = options.input_format or format_from_content(source[:CONTENT_HEAD_BYTES])
            label = STDIN_LABEL
            _STDIN_JSON.clear()
            if fmt == "ndjson":  # a line Polars refuses only when the frame is collected is found in them
                _STDIN_JSON[STDIN_LABEL] = source
        elif (piped := stream_file_bytes(path)) is not None:
            source = decompress_stdin(piped, path)
            ext = os.path.splitext(path)[1].lower()
            fmt = (options.input_format or FORMAT_BY_EXTENSION.get(ext) or INPUT_ONLY_FORMAT_BY_EXTENSION.get(ext)
                   or format_from_content(source[:CONTENT_HEAD_BYTES]))
            label = path
        elif (compression := compression_of(path)) is not None:
            source, inner = read_compressed_file(path, compression)
            fmt = options.input_format or _input_format_from_path(inner, path)
            label = path
        else:
            fmt = options.input_format or _input_format_from_path(path)
            label = source = path
            if fmt in ("csv", "ndjson") and (unpacked := read_if_compressed(path)) is not None:
                source = unpacked
        report_rows, error_cells, sheets = None, (), ()
        if fmt == "excel":
            frame, report_rows, error_cells, sheets = read_excel_source(source, label, options.sheet_for(path),
                                                                        row_columns)
        elif fmt == "csv":
            frame, report_rows = (read_csv_bytes(source, label, encoding, delimiter, row_columns, used_columns)
                                  if isinstance(source, bytes)
                                  else read_csv_file(path, encoding, delimiter, row_columns, used_columns))
        else:
            frame = _scan_native(source, fmt, label, number_columns if number_columns is not None
                                 else used_columns if used_columns is not None else row_columns)
        columns = tuple(c for c in frame.collect_schema()
                        if c not in (SOURCE_FILE, SOURCE_ROW) and not c.startswith(NUMBER_CELL_PREFIX))
        # Records without fields have rows to count (a file of no rows and no columns is an empty input).
        fieldless = not columns and fmt in ("ndjson", "parquet") and _has_rows(frame, label)
        on_disk = path if isinstance(source, str) and fmt == "parquet" else None
        counted = counted_rows(label) if fmt == "csv" and used_columns is not None else None
        size = None if path == STDIN else os.path.getsize(path) if isinstance(source, str) else len(source)
        files.append(InputFile(label, columns, frame, on_disk, size,
                               report_rows, text_ready=fmt in ("csv", "excel"), rows_counted=counted,
                               stdin_bytes=source if path == STDIN else None, error_cells=error_cells,
                               sheets=sheets, fieldless=fieldless))
    if not files:
        raise UsageError("no input files given; pass a path, a glob or '-' for stdin")
    return files


def _has_rows(frame: pl.LazyFrame, label: str) -> bool:
    """Whether an input frame has a row (read for a file of no columns only: its rows are all it holds)."""
    try:
        return frame.select(pl.len()).collect().item() > 0
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, label) from exc


Result = TypeVar("Result")


def run_counted(files: list[InputFile], specs: Sequence[str], options: ReadOptions,
                run: Callable[[list[InputFile]], Result], rows: Callable[[Result], Mapping[str, int]]) -> Result:
    """``run`` on ``files``, read from ``specs`` with some ``used_columns`` tested for blank rows, checked by count.

    The files' other columns are then parsed only where selected (:func:`read_input_files`).
    ``rows`` gives the rows of each file (by label) that ``run`` read.
    A file that yielded fewer than its count has a row blank in the used columns: a row of empty
    cells before its end (a spreadsheet's empty row inside the table: a blank row either way), or
    a row with text only in other columns (a contact without an id, which must be rejected and
    listed). Such files are counted again with every column tested (a parse of each); only when
    that finds more rows than ``run`` read is ``run`` done again, on the files read with every
    column tested (standard input from the bytes it gave).
    """
    result = run(files)
    read = rows(result)
    short = {f.label for f in files if f.rows_counted is not None and read.get(f.label, 0) != f.rows_counted}
    if not short:
        return result
    stdin = next((io.BytesIO(f.stdin_bytes) for f in files if f.stdin_bytes is not None), None)
    again = read_input_files(specs, options, stdin=stdin)
    for f in again:
        if f.label not in short:
            continue
        try:
            found = f.frame.select(pl.len()).collect().item()
        except pl.exceptions.PolarsError as exc:
            raise input_error_from_polars(exc, f.label) from exc
        if found != read.get(f.label, 0):
            return run(again)
    return result


def error_cells_in(*groups: tuple[Sequence[InputFile], Collection[str]]) -> dict[str, list[dict]]:
    """The workbook error cells (#N/A, #DIV/0! ...) in mapped columns, by file, as plain data for the run summary.

    Args:
        groups: (files, the columns the ruleset maps in them): contacts, events, accounts.

    Returns:
        For each file with such cells: one dict per column (:class:`~leadq.excel_input.ErrorCells`).
    """
    found: dict[str, list[dict]] = {}
    for files, columns in groups:
        for f in files:
            for cells in (asdict(c) for c in f.error_cells if c.column in columns):
                listed = found.setdefault(f.label, [])
                if cells not in listed:  # a workbook read as contacts and as accounts, one column mapped in both
                    listed.append(cells)
    return found


MANY_FILES = 8  # inputs of this many text files ...
SMALL_TOTAL_BYTES = 64 << 20  # ... and at most this size in all are read once, into memory (concat_inputs)


def concat_inputs(files: Sequence[InputFile]) -> pl.LazyFrame:
    """Concatenate input files by column name (``diagonal_relaxed``): a column a file lacks is null there.

    Many small text files (a log exported one file a day) are read at once, into memory: each
    file's read is a branch of every plan that reads the input (the date formats' sample, the
    event types', the scoring), and 184 daily files of 60k events in all took 2.7 times as long as
    the same events in 6 files, nearly all of it in those branches, not in the data. A file that
    cannot be read is then named by its own read (:func:`_first_unreadable`).
    """
    if len(files) == 1:
        return files[0].frame
    together = pl.concat([f.frame for f in files], how="diagonal_relaxed")
    if len(files) < MANY_FILES or not all(f.parquet_path is None and f.disk_bytes is not None for f in files) \
            or sum(f.disk_bytes or 0 for f in files) > SMALL_TOTAL_BYTES:
        return together
    try:
        return together.collect().lazy()
    except pl.exceptions.PolarsError as exc:
        raise _first_unreadable(files, exc) from exc
    except OSError as exc:
        raise InputError(f"cannot read {', '.join(f.label for f in files)}: {os_reason(exc)}") from exc


def _first_unreadable(files: Sequence[InputFile], exc: pl.exceptions.PolarsError) -> InputError:
    """The error of the first of ``files`` that fails its own read (``exc``'s, for all of them, if none does)."""
    for f in files:
        try:
            f.frame.collect()
        except pl.exceptions.PolarsError as own:
            return input_error_from_polars(own, f.label)
    return input_error_from_polars(exc, ", ".join(f.label for f in files))


def collect_input(lf: pl.LazyFrame, what: str, **collect_kwargs: object) -> pl.DataFrame:
    """Collect a frame built from inputs, mapping read errors to InputError.

    Args:
        lf: A LazyFrame returned by :func:`read_inputs` (or derived from one).
        what: Names the inputs in error messages (e.g. the file or the specs).
        **collect_kwargs: Passed to ``LazyFrame.collect`` (e.g.
            ``engine="streaming"`` for large files).

    Returns:
        The collected DataFrame.

    Raises:
        InputError: The data could not be read or parsed.
    """
    try:
        return lf.collect(**collect_kwargs)  # type: ignore[arg-type]
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, what) from exc
    except OSError as exc:
        raise InputError(f"cannot read {what}: {os_reason(exc)}") from exc


def input_error_from_polars(exc: BaseException, what: str) -> InputError:
    """Translate a Polars read error into a one-line InputError naming ``what``.

    A ragged CSV record found by the field-count check of :func:`read_inputs`
    is named by its own file and line instead.

    Args:
        exc: The exception Polars raised (usually a ``PolarsError``).
        what: The file (or description of the inputs) being read.

    Returns:
        An InputError to raise (the caller chains it with ``from exc``).
    """
    text = str(exc).strip()
    ragged = ragged_record_error(text)
    if ragged is not None:
        return ragged
    first = text.splitlines()[0].strip() if text else type(exc).__name__
    lowered = text.lower()
    if "syntax at character" in lowered or "error parsing line" in lowered or "json" in lowered:
        for path in what.split(", "):
            source = _json_source(path)
            located = _json_error_line(source) if source is not None else None
            if located is not None:
                return InputError(located, Position(STDIN_LABEL if path == STDIN else path))
    if "more fields than defined" in lowered:
        located = locate_long_record(_named_labels(what)) or locate_unbalanced_quote(_named_labels(what))
        if located is not None:
            return located
        hint = "a row has more fields than the header; check the delimiter or quoting"
    elif ("could not parse" in lowered or "csv malformed" in lowered or "quote" in lowered) and \
            (located := locate_unbalanced_quote(_named_labels(what))) is not None:
        return located
    elif "utf-8" in lowered or "utf8" in lowered:
        hint = "the file is not valid UTF-8; pass the encoding explicitly (e.g. --encoding cp1252)"
    elif "csv malformed" in lowered:
        # Polars counts a chunk's records by its quotes and then parses fewer or more of them:
        # a '"' inside a field that is not in quotes, as Polars' parser reads it as text.
        hint = ("the quoting is inconsistent: a '\"' inside a field that is not in quotes, or a quoted field "
                "left open; put such a field in quotes and double each '\"' in it")
    elif "not properly escaped" in lowered or "quote" in lowered:
        hint = f"{first}; check the quoting (a '\"' inside a field must be doubled)"
    else:
        hint = f"{first}; check that it is a valid CSV, Parquet or NDJSON file"
    return InputError(hint, Position(what))


def _named_labels(what: str) -> list[str]:
    """The input labels ``what`` (input specs or labels joined by ", ") names; none for "the contacts"."""
    labels: list[str] = []
    for spec in what.split(", "):
        if spec in (STDIN, STDIN_LABEL):
            labels.append(STDIN_LABEL)
            continue
        try:
            labels += expand_inputs([spec])
        except InputError:
            continue
    return labels


def _input_format_from_path(name: str, path: str | None = None) -> str:
    """The format ``name``'s extension says; ``path``: the file named in a message (default ``name``)."""
    ext = os.path.splitext(name)[1].lower()
    fmt = FORMAT_BY_EXTENSION.get(ext) or INPUT_ONLY_FORMAT_BY_EXTENSION.get(ext)
    if fmt is None:
        path = path or name
        hint = unreadable_compression_hint(path)
        if hint is not None:
            raise UsageError(hint)
        inside = f" (the file inside is {name})" if path != name else ""
        raise UsageError(
            f"cannot tell the format of {path}{inside} from its extension; "
            f"pass --input-format ({one_of(INPUT_FORMATS)})"
        )
    return fmt


def _scan_native(source: str | bytes, fmt: str, label: str, wanted: Collection[str] | None = None) -> pl.LazyFrame:
    """Scan a Parquet or NDJSON source lazily (a JSON array is read whole); see :func:`_scan_ndjson` for types.

    ``wanted``: the columns the caller reads (None: all), for :func:`_scan_ndjson`.

    An NDJSON source of zero bytes or blank lines (a day's event file with no events, leadq's
    own output of no leads) is an empty input, as a CSV one is: no columns, no rows.
    """
    if fmt != "parquet":
        if _holds_only_blanks(source, label):
            return empty_frame()
        source = _without_bom(source, label)
    try:
        if fmt == "parquet":
            if isinstance(source, bytes):
                lf = pl.read_parquet(io.BytesIO(source)).lazy()
            else:
                lf = pl.scan_parquet(source, glob=False)
        elif _is_json_array(source):
            # A JSON array of records (what many APIs and "export as JSON" buttons write) is read
            # whole, its types inferred from every record; NDJSON, one record a line, streams.
            lf = pl.read_json(source if isinstance(source, str) else io.BytesIO(source),
                              infer_schema_length=None).lazy()
        else:
            lf = _scan_ndjson(source, wanted)
        # Reading the schema now (footer / first lines) reports a corrupt file
        # before any work is done.
        schema = lf.collect_schema()
    except pl.exceptions.PolarsError as exc:
        if fmt != "parquet":
            located = _json_error_line(source)
            if located is not None:
                raise InputError(located, Position(label)) from exc
        raise input_error_from_polars(exc, label) from exc
    except OSError as exc:
        raise InputError(f"cannot read {label}: {os_reason(exc)}") from exc
    for reserved in (SOURCE_FILE, SOURCE_ROW):
        if reserved in schema:
            raise InputError(f"column '{reserved}' is reserved by leadq; rename it", Position(label))
    return lf.with_row_index(SOURCE_ROW, offset=1).select(
        pl.exclude(SOURCE_ROW),
        pl.lit(label, pl.String).alias(SOURCE_FILE),
        pl.col(SOURCE_ROW).cast(pl.Int64),
    )


def _without_bom(source: str | bytes, label: str) -> str | bytes:
    """A JSON source without its UTF-8 byte-order mark, which Polars' reader refuses ("TapeError at character 0").

    Notepad and some exporters write one; such a file is read into memory without it (a
    file without a mark, the usual case, is left to stream).
    """
    if isinstance(source, bytes):
        return source.removeprefix(codecs.BOM_UTF8)
    try:
        with open(source, "rb") as fh:
            if fh.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
                return source
            return fh.read()
    except OSError as exc:
        raise InputError(f"cannot read {label}: {os_reason(exc)}") from exc


def _scan_ndjson(source: str | bytes, wanted: Collection[str] | None = None) -> pl.LazyFrame:
    """Scan NDJSON with its scalar fields as text, typed later like CSV values.

    Polars infers each field's type from the first lines and fails on a later line
    that differs (a size of 300 early on, "51-200" line 5,000: "cannot parse '51-200'
    as Int64"), and CRM and analytics exports mix them freely. As text every value
    is read, and the ruleset's column types read numbers, booleans and dates from it
    as they do from CSV. Nested fields (lists, objects) keep their types.

    But a JSON number is a number: ``{"Umsatz": 1.125}`` is 1.125 whatever ``number_format``
    says, where ``"1.125"`` is text, read in it. So the scalar fields among ``wanted`` (all of
    them when None) are scanned again as numbers, a string read as null (``ignore_errors``), into
    ``_source_number::<field>`` (:func:`leadq.number_text.number_cell_column`), which number fields
    take first (:func:`leadq.cleaning.typed`). A field holding numbers only where Polars infers the
    types (the first lines) is read as text too: a later "51-200" must not fail the read.
    """
    def scan(schema: dict[str, pl.DataType] | None = None, ignore_errors: bool = False) -> pl.LazyFrame:
        return pl.scan_ndjson(source if isinstance(source, str) else io.BytesIO(source), schema=schema,
                              ignore_errors=ignore_errors)

    inferred = scan().collect_schema()
    if all(dtype == pl.String or dtype.is_nested() for dtype in inferred.values()):
        text = scan()
    else:
        text = scan({name: dtype if dtype.is_nested() else pl.String for name, dtype in inferred.items()})
    numbers = [name for name, dtype in inferred.items()
               if not dtype.is_nested() and (wanted is None or name in wanted)]
    if not numbers:
        return text
    as_numbers = scan({name: pl.Float64 for name in numbers}, ignore_errors=True)
    return pl.concat([text, as_numbers.rename({name: number_cell_column(name) for name in numbers})],
                     how="horizontal")


def _json_error_line(source: str | bytes, limit: int = 1 << 30) -> str | None:
    """Where a JSON or NDJSON source stops being valid, as "line N: what", for an error message.

    Polars says only "Syntax at character 15"; Python's json module finds the line.
    Polars also fails, naming no field ("failed to determine supertype of struct[3]
    and struct[3]"), on a field that holds a list or an object in one record and
    something else in another (:class:`_FieldKinds`). Only called once reading has
    failed. NDJSON is read line by line; a JSON array is parsed whole. None when the
    problem lies beyond ``limit`` bytes or Python finds nothing wrong.
    """
    try:
        stream = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")
    except OSError:
        return None
    with stream:
        if _is_json_array(source):
            data = stream.read(limit + 1)
            if len(data) > limit:
                return None
            text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
            try:
                records = json.loads(text, parse_constant=_no_constant)
            except json.JSONDecodeError as exc:
                what = (f"the file ends inside the array: {_CUT_SHORT}" if _ends_early(exc, text)
                        else "fix or remove that record")
                return f"line {exc.lineno}, column {exc.colno}: invalid JSON: {_json_problem(exc)}; {what}"
            except (ValueError, RecursionError) as exc:
                return f"invalid JSON: {_json_value_problem(exc)}"
            if not isinstance(records, list):
                return None
            not_records = _array_not_of_records(records)
            if not_records is not None:
                return not_records
            kinds = _FieldKinds()
            for number, record in enumerate(records, 1):
                kinds.add(record, f"record {number}")
            return kinds.conflicts()
        seen = 0
        kinds = _FieldKinds()
        for number, raw in enumerate(stream, 1):
            seen += len(raw)
            if seen > limit:
                return None
            line = raw.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
            if not line.strip():
                continue
            try:
                record = json.loads(line, parse_constant=_no_constant)
            except json.JSONDecodeError as exc:
                if _ends_early(exc, line) and not stream.read().strip():  # the last line, and it stops mid-record
                    what = f"the file ends inside this record: {_CUT_SHORT}"
                else:
                    what = ("each line must hold one complete JSON object (a record split over several lines is "
                            "JSON, not NDJSON)")
                return f"line {number}, column {exc.colno}: invalid JSON: {_json_problem(exc)}; {what}"
            except (ValueError, RecursionError) as exc:
                return f"line {number}: invalid JSON: {_json_value_problem(exc)}"
            if not isinstance(record, dict):
                return f"line {number}: expected a JSON object ({{...}}), found {_json_kind(record)}"
            kinds.add(record, f"line {number}")
    return kinds.conflicts()


_CUT_SHORT = ("it looks cut short (an interrupted download, copy or export?); fetch it again, or remove the "
              "incomplete record")

# Python's messages that end in "at" (the position follows in its own text, which leadq gives as the column).
_JSON_PROBLEMS = {
    "Unterminated string starting at": "a string that starts here has no closing '\"'",
    "Invalid control character at": "a control character (a tab or line break) inside a string, where JSON writes \\t or \\n",
}


def _json_problem(exc: json.JSONDecodeError) -> str:
    """What a JSON syntax error is, as a whole phrase (Python's ``exc.msg`` can end in "... starting at")."""
    message = exc.msg
    for start, phrase in _JSON_PROBLEMS.items():
        if message.startswith(start[:-3]):  # the pure-Python decoder puts the character before "at"
            return phrase
    return message.removesuffix(" at")


def _ends_early(exc: json.JSONDecodeError, text: str) -> bool:
    """Whether the JSON ``text`` is invalid only because it stops: a string left open, or the error at its end."""
    return exc.msg.startswith("Unterminated string") or exc.pos >= len(text.rstrip())


def _json_kind(value: object) -> str:
    """A JSON value's kind by its JSON name: null, true, false, a string, a number, an array, an object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    return "an array" if isinstance(value, list) else "an object"


_PLURAL_KINDS = {"null": "nulls", "true": "true/false values", "false": "true/false values", "a string": "strings",
                 "a number": "numbers", "an array": "arrays"}


def _array_not_of_records(items: list) -> str | None:
    """Why a JSON array is not one of records (``[1, 2]``, ``["a", {...}]``); None when every item is an object."""
    kinds = [_json_kind(item) for item in items if not isinstance(item, dict)]
    if not kinds:
        return None
    if len(kinds) == len(items):
        plural = list(dict.fromkeys(_PLURAL_KINDS[k] for k in kinds))
        named = " and ".join([", ".join(plural[:-1]), plural[-1]] if len(plural) > 1 else plural)
        return (f"this is a JSON array of {named}, not of records (objects, {{...}}); leadq reads one record per "
                "lead or event: an array of objects, or NDJSON (one object a line)")
    number, kind = next((n, _json_kind(item)) for n, item in enumerate(items, 1) if not isinstance(item, dict))
    return f"record {number} of the JSON array is {kind}, not a record (an object, {{...}}); fix or remove it"


def _no_constant(name: str) -> None:
    """Refuse ``NaN``/``Infinity``, which Python's json reads but JSON (and Polars) do not."""
    raise ValueError(f"{name} is not JSON (Python's json.dumps writes it for a float {name}); write null instead")


def _json_value_problem(exc: ValueError | RecursionError) -> str:
    if isinstance(exc, RecursionError):
        return "lists or objects nested too deep to read (hundreds of levels); flatten the record"
    return str(exc)


class _FieldKinds:
    """The fields of JSON records that hold a list or an object in one record and another kind in another.

    Text, numbers and true/false mix freely (leadq reads them all as text), and null goes
    with anything. Every such field is named: which of them Polars could not read, it does
    not say.
    """

    SHOWN = 3
    _KINDS = {dict: "an object", list: "a list"}

    def __init__(self) -> None:
        self.first: dict[str, tuple[str, str]] = {}  # field -> its first kind, where
        self.mixed: dict[str, str] = {}  # field -> its first kind that differs, where

    def add(self, record: dict, where: str) -> None:
        for name, value in record.items():
            if value is None:
                continue
            kind = self._KINDS.get(type(value), "a single value")
            first = self.first.setdefault(name, (kind, where))
            if first[0] != kind and name not in self.mixed:
                self.mixed[name] = f"{kind} at {where}"

    def conflicts(self) -> str | None:
        if not self.mixed:
            return None
        named = [f"'{name}' ({self.first[name][0]} at {self.first[name][1]}, {other})"
                 for name, other in list(self.mixed.items())[: self.SHOWN]]
        more = f" and {len(self.mixed) - self.SHOWN} more" if len(self.mixed) > self.SHOWN else ""
        return (f"fields that hold different kinds of value in different records: {', '.join(named)}{more}; give "
                "each field the same kind in every record (a list, an object, or text and numbers)")


def _json_source(path: str) -> str | bytes | None:
    """The JSON records an input label names, to find a read error's line in: a JSON file's path, or the bytes
    read from standard input or a named pipe when they were read as JSON; else None."""
    if path in (STDIN, STDIN_LABEL):
        return _STDIN_JSON.get(STDIN_LABEL)
    piped = _STREAM_BYTES.get(path)
    if piped is not None:
        return piped if format_from_content(piped[:CONTENT_HEAD_BYTES]) == "ndjson" else None
    return path if _is_json_path(path) else None


def _is_json_path(path: str) -> bool:
    return FORMAT_BY_EXTENSION.get(os.path.splitext(path)[1].lower()) == "ndjson" and os.path.isfile(path)


def _holds_only_blanks(source: str | bytes, label: str) -> bool:
    """Whether a text source holds nothing but whitespace (and a byte-order mark): zero bytes, blank lines.

    Reads up to its first character that is not blank: the first bytes of any other file.
    """
    if isinstance(source, bytes):
        return not source.lstrip(codecs.BOM_UTF8).strip()
    try:
        with open(source, "rb") as fh:
            chunk = fh.read(1 << 16).removeprefix(codecs.BOM_UTF8)
            while chunk:
                if chunk.strip():
                    return False
                chunk = fh.read(1 << 16)
    except OSError as exc:
        raise InputError(f"cannot read {label}: {os_reason(exc)}") from exc
    return True


def _is_json_array(source: str | bytes) -> bool:
    """Whether a JSON source is one array (``[{...}, ...]``) rather than a record per line."""
    if isinstance(source, bytes):
        head = source[:4096]
    else:
        with open(source, "rb") as fh:
            head = fh.read(4096)
    return head.lstrip(codecs.BOM_UTF8).lstrip().startswith(b"[")


def read_parquet_metadata(path: str) -> dict[str, str]:
    """Return a Parquet file's user key-value metadata (Arrow internals omitted).

    Raises:
        InputError: The file is missing or not Parquet.
    """
    try:
        meta = pl.read_parquet_metadata(path)
    except pl.exceptions.PolarsError as exc:
        raise input_error_from_polars(exc, path) from exc
    except OSError as exc:
        raise InputError(f"cannot read {path}: {os_reason(exc)}") from exc
    return {k: v for k, v in meta.items() if not k.startswith("ARROW:")}
