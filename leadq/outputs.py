"""Writing results atomically: output files and stdout.

:func:`write_frame` writes Parquet, CSV, NDJSON or an Excel workbook (.xlsx) to a temporary file next to
the target, fsyncs it and renames it into place, so an interrupted or failed
run never leaves a truncated output or clobbers the previous one.
:class:`AtomicWrites` does the same for several files at once (the scored
output and its rejects): all are prepared first, then all renamed, or none.
:mod:`leadq.output_lock` keeps two runs from writing the same output, and
:mod:`leadq.interrupts` turns SIGTERM into the same clean stop as Ctrl-C.
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import re
import secrets
import signal
import stat
import sys
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Callable, Collection, Iterator, Mapping, Sequence

import polars as pl
import polars.selectors as cs

from leadq.csv_input import free_name
from leadq.errors import OutputError, UnknownKeptColumnError, UsageError, did_you_mean, one_of, os_reason
from leadq.inputs import FORMAT_BY_EXTENSION, STDIN
from leadq.interrupts import interruptible

__all__ = [
    "FORMATS",
    "ROW_GROUP_SIZE",
    "AtomicWrites",
    "OutputColumns",
    "atomic_write",
    "check_format_matches_name",
    "check_output_format",
    "check_output_path",
    "check_outputs_distinct",
    "format_from_path",
    "fsync_dir",
    "gzip_if_named",
    "is_gzip_path",
    "is_stream_target",
    "output_fields",
    "selected_columns",
    "signals_held",
    "stdout_os_error",
    "write_frame",
    "write_text",
]

FORMATS = ("parquet", "csv", "ndjson", "xlsx")

# Prefixes that make spreadsheet software evaluate a cell (OWASP CSV injection).
FORMULA_PREFIX = r"^[=+\-@\t\r]"  # CSV values that start so are written with a "'" first

# CSV datetimes as RFC 3339, the form NDJSON output has ("2026-12-31T00:00:00+00:00"); Polars'
# default ("...T00:00:00.000000+0000") is neither RFC 3339 nor read as a date by spreadsheets.
# ``%.f`` writes the fraction only when there is one.
CSV_DATETIME = "%Y-%m-%dT%H:%M:%S%.f"
CSV_DATETIME_ZONED = CSV_DATETIME + "%:z"

# Bounded row groups keep Parquet readers' memory flat on big outputs. Polars' own default
# (512^2): the writer encodes row groups in parallel, so 1M leads write in 0.44 s against
# 0.75 s with 1M-row groups, and read back faster, for 0.7% more bytes.
ROW_GROUP_SIZE = 262_144
# Polars' default codec (zstd) at level 1 rather than its default 3: M's 1M scored leads, most of
# them text of the explanations, write in 0.46 s against 0.65 s, in 0.14% more bytes.
ZSTD_LEVEL = 1


# An Excel sheet's limits (Excel's "specifications and limits"): rows with the header's, columns, and
# the characters of a cell as Excel counts them (UTF-16 code units: an emoji is two).
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_COLUMNS = 16_384
XLSX_MAX_CELL_CHARS = 32_767
# The end of a text cut to XLSX_MAX_CELL_CHARS (a long explanation): the cell says it is not whole.
XLSX_TRUNCATED = " [...cut at Excel's 32,767 characters]"
# Excel has no time zones: a zoned datetime is written as its UTC time, and shown so.
XLSX_UTC_FORMAT = 'yyyy-mm-dd hh:mm:ss "UTC"'
XLSX_NAIVE_FORMAT = "yyyy-mm-dd hh:mm:ss"
# Numbers as they are ("General": Excel's locale picks the decimal comma), not Polars' default of three
# decimals; integers without a thousands separator (ids). Integers beyond 2^53 are written as text: Excel
# holds numbers as doubles and would round them.
_XLSX_FLOAT_FORMAT = "General"
_XLSX_INTEGER_FORMAT = "0"
_XLSX_EXACT_INTEGER = 2**53 - 1
_ASTRAL = r"[\x{10000}-\x{10FFFF}]"  # two UTF-16 code units each
# Text stays text: a value "=HYPERLINK(...)", "007" or "http://..." is written as a string, so the CSV
# escape of formulas is not needed (nor applied); URLs are not made links (Excel allows 65,530 a sheet).
_XLSX_WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,  # NaN and inf as #NUM! and #DIV/0! cells, as Polars writes them
}

# gzip's level for .csv.gz and .ndjson.gz: 6 (gzip's own default) packs the explanations' text
# about as well as 9, in a fraction of the time.
GZIP_LEVEL = 6

# Extensions of files leadq does not write, with what to do instead: writing Parquet bytes under
# such a name (the default for an unknown extension) would hand a spreadsheet or a decompressor a
# file it cannot open.
_FOREIGN_OUTPUTS = {
    **dict.fromkeys((".xlsm", ".xls", ".ods", ".numbers"),
                    "that kind of spreadsheet workbook; write .xlsx, which spreadsheets open, or .csv"),
    **dict.fromkeys((".zip", ".bz2", ".xz", ".zst"),
                    "that compression; write .csv.gz or .ndjson.gz (gzip), or .parquet, which is compressed "
                    "already"),
    **dict.fromkeys((".db", ".sqlite", ".sqlite3"),
                    "a database file by name; pass --out sqlite:///PATH with --out-table"),
    **dict.fromkeys((".arrow", ".feather", ".ipc", ".avro", ".orc", ".xml", ".html"),
                    "that format; write .parquet, .csv, .tsv or .ndjson"),
}


# The columns --previous adds (leadq.changes.CHANGE_COLUMNS, which imports this module).
_CHANGE_COLUMNS = ("previous_tier", "score_change", "change")


def output_fields(ruleset, previous: bool) -> list[str]:
    """The columns ``leadq score`` writes whatever the input holds: leadq's, the action sections' and, with
    ``previous``, the change columns (``--columns`` takes any other field for an input column)."""
    from leadq.actions import action_columns
    from leadq.fields import OUTPUT_COLUMNS

    return [*OUTPUT_COLUMNS, *action_columns(ruleset), *(_CHANGE_COLUMNS if previous else ())]


@dataclass(frozen=True)
class _Entry:
    """One value of ``--columns``: its items, or (``pending``) one item or several, as the contacts' header says."""

    value: str
    items: tuple[tuple[str, str], ...]  # (header, field), in order
    whole: tuple[str, str] | None = None  # the value as one item, if its field turns out to be an input column


@dataclass(frozen=True)
class OutputColumns:
    """``--columns``: the output's columns, in order, each ``FIELD`` or ``HEADER=FIELD``.

    Parsed before anything is read (:meth:`parse`); a field that is not a column leadq writes is an input
    column, carried as ``--keep-columns`` carries it (:meth:`keep_values`); once the output's columns are
    known, :meth:`resolve` gives the (header, field) pairs that :func:`selected_columns` applies.
    """

    entries: tuple[_Entry, ...]
    known: tuple[str, ...]

    @classmethod
    def parse(cls, values: Sequence[str], known: Sequence[str]) -> OutputColumns:
        """Split the option's values into items (repeatable or comma-separated, as ``--keep-columns``).

        A value with commas is split on them unless it is whole one item: exactly a column leadq writes,
        or, when none of its parts is one and only its first part has a ``HEADER=``, an input column
        whose name has commas ('Revenue, USD', 'Revenue=Revenue, USD'), which the contacts' header
        decides (:meth:`resolve`).

        Raises:
            UsageError: a value naming nothing, an empty header or field, a header given twice.
        """
        known_set = set(known)
        entries = []
        for value in values:
            text = value.strip()
            if not text.strip(", "):
                raise UsageError(f"--columns: {value!r} names nothing; give at least one column, or leave the "
                                 "option out")
            if "," not in text or text in known_set:
                entries.append(_Entry(value, (_item(text, known_set),)))
                continue
            parts = tuple(_item(p.strip(), known_set) for p in text.split(",") if p.strip())
            header, eq, field = text.partition("=")
            named = [p.strip() for p in (field if eq else text).split(",")]
            if (not eq or "," not in header) and "=" not in field and not known_set.intersection(named):
                entries.append(_Entry(value, parts, whole=_item(text, known_set)))
            else:
                entries.append(_Entry(value, parts))
        spec = cls(tuple(entries), tuple(known))
        _check_headers([i for e in spec.entries if e.whole is None for i in e.items])
        return spec

    def check_read_back(self, previous: str) -> None:
        """Refuse a selection the next run cannot read as ``--previous`` (when this run's ``--out`` is its
        ``--previous`` too: the state a scheduled job keeps), before anything is read.

        Raises:
            UsageError: lead_id, tier or total_score is left out or renamed.
        """
        items = {item for e in self.entries for item in e.items}
        lost = [f for f in ("lead_id", "tier", "total_score") if (f, f) not in items]
        if lost:
            raise UsageError(f"--columns leaves out {lost[0]} (or renames it), and --previous {previous} is --out: "
                             "the next run reads lead_id, tier and total_score back from it; keep them under their "
                             "own names, or keep the state in another file and write the CRM's columns to --changes")

    def keep_values(self, keep_columns: Sequence[str] = ()) -> list[str]:
        """The input columns the items name, as ``--keep-columns`` values (whole or split as it does), but
        those ``keep_columns`` (its values) carries already."""
        covered = set()
        for value in keep_columns:
            covered |= {value, *(p.strip() for p in value.split(","))}
        out = []
        for entry in self.entries:
            wanted = [entry.whole[1]] if entry.whole else [f for _, f in entry.items if f not in self.known]
            for name in wanted:
                parts = {name, *(p.strip() for p in name.split(","))} if entry.whole else {name}
                if name in covered or parts <= covered:
                    continue
                covered |= parts
                out.append(name)
        return out

    def resolve(self, columns: Sequence[str]) -> list[tuple[str, str]]:
        """The (header, field) pairs for a frame of ``columns``, in order.

        Raises:
            UsageError: a field that is not one of ``columns`` (naming them, and the closest), a header
                given twice.
        """
        present = set(columns)
        pairs = [item for e in self.entries
                 for item in ((e.whole,) if e.whole and e.whole[1] in present else e.items)]
        for _, field in pairs:
            if field not in present:
                raise UsageError(f"--columns: no column '{field}' in the output{did_you_mean(field, columns)}"
                                 f"{_change_hint(field)}; available: {', '.join(columns)}")
        _check_headers(pairs)
        return pairs

    def with_changes(self, columns: Sequence[str]) -> list[tuple[str, str]]:
        """:meth:`resolve` for the ``--changes`` file: the same columns and headers (a CRM re-import of the
        changes matches records by the same id header), then the change columns not among them."""
        pairs = self.resolve(columns)
        fields = {f for _, f in pairs}
        pairs += [(c, c) for c in _CHANGE_COLUMNS if c in columns and c not in fields]
        _check_headers(pairs, " (the --changes file adds the change columns not chosen)")
        return pairs

    def unknown_input_column(self, exc: UsageError) -> UsageError:
        """The error of a field that is neither a column leadq writes nor one of the contacts' (the scoring's
        ``--keep-columns: no column 'X' in FILE; did you mean ...`` said of a value of ``--columns``), or
        ``exc`` itself when it is about another option."""
        if not isinstance(exc, UnknownKeptColumnError):
            return exc
        missing, where = exc.column, exc.where
        named = {n for name in self.keep_values() for n in (name, *(p.strip() for p in name.split(",")))}
        if missing not in named:
            return exc
        hint = did_you_mean(missing, self.known) or did_you_mean(missing, exc.columns)
        return UsageError(f"--columns: no column '{missing}' in the output nor in {where}{hint}{_change_hint(missing)}"
                          f"; available: {', '.join(self.known)}, or any column of {where}")


def _change_hint(field: str) -> str:
    """Why a change column is not there: it comes with --previous."""
    return f" ({field} comes with --previous)" if field in _CHANGE_COLUMNS else ""


def _item(text: str, known: Collection[str]) -> tuple[str, str]:
    """(header, field) of one item: ``FIELD`` (its own header) or ``HEADER=FIELD``, split at the first ``=``
    (a field that is a column leadq writes is never split)."""
    if text in known or "=" not in text:
        return text, text
    header, _, field = text.partition("=")
    header, field = header.strip(), field.strip()
    if not header:
        raise UsageError(f"--columns: {text!r} has an empty header; write HEADER=FIELD, or FIELD alone to keep "
                         "its name")
    if not field:
        raise UsageError(f"--columns: {text!r} names no column after '='; write HEADER=FIELD")
    return header, field


def _check_headers(pairs: Sequence[tuple[str, str]], why: str = "") -> None:
    """Refuse a header given twice: a reader matching columns by header would take one for the other."""
    seen: set[str] = set()
    for header, _ in pairs:
        if header in seen:
            raise UsageError(f"--columns: header '{header}' is given twice{why}; give each column its own header")
        seen.add(header)


def selected_columns(df: pl.DataFrame, pairs: Sequence[tuple[str, str]] | None) -> pl.DataFrame:
    """``df`` with the columns of ``pairs`` (header, field) only, in their order, under their headers (``None``:
    ``df`` as it is)."""
    if pairs is None:
        return df
    return df.select(pl.col(field).alias(header) for header, field in pairs)


def format_from_path(path: str, default: str = "parquet", option: str = "--out") -> str:
    """Pick the output format from a path's extension.

    Args:
        path: The output path; ``"-"`` (stdout) is CSV. Under ``.gz`` the extension before
            it counts: ``scored.csv.gz`` is CSV, written gzip-compressed (:func:`is_gzip_path`).
        default: The format for a missing or unknown extension (``scored``,
            ``scored.2026-11-01``).
        option: The option that named ``path``, for messages.

    Returns:
        One of :data:`FORMATS`: ``.xlsx`` is an Excel workbook.

    Raises:
        UsageError: The extension names a kind of file leadq does not write
            (``.xls``, ``.csv.zip``, ``.parquet.gz``, ``.xlsx.gz``, ``.db`` ...): the message says what to do.
    """
    if path == STDIN:
        return "csv"
    ext = os.path.splitext(path)[1].lower()
    if is_gzip_path(path):
        inner = os.path.splitext(path[: -len(ext)])[1].lower()
        fmt = "xlsx" if inner == ".xlsx" else FORMAT_BY_EXTENSION.get(inner)
        if fmt in ("csv", "ndjson"):
            return fmt
        if fmt in ("parquet", "xlsx"):
            check_output_format(path, fmt, option)
        raise UsageError(f"{option} {path}: leadq does not write gzip without a format before .gz; write .csv.gz, "
                         ".tsv.gz or .ndjson.gz")
    if ext in _FOREIGN_OUTPUTS:
        hint = " (or pass --format to write parquet, csv or ndjson under this name)" if option == "--out" else ""
        raise UsageError(f"{option} {path}: leadq does not write {_FOREIGN_OUTPUTS[ext]}{hint}")
    if ext == ".xlsx":
        return "xlsx"
    return FORMAT_BY_EXTENSION.get(ext, default)


def check_output_format(path: str, fmt: str, option: str = "--out") -> None:
    """Raise UsageError when ``fmt`` cannot be written to ``path``: Parquet or xlsx under ``.gz``, or to stdout."""
    if fmt in ("parquet", "xlsx") and is_gzip_path(path):
        name = "Parquet" if fmt == "parquet" else "an .xlsx workbook (a zip file)"
        raise UsageError(f"{option} {path}: leadq does not write {name} compressed again; write .{fmt}, which is "
                         "compressed already")
    if fmt in ("parquet", "xlsx") and path == STDIN:
        raise UsageError(f"{fmt} cannot be written to stdout; use --format csv or ndjson, or give {option} a file "
                         "name")


def check_outputs_distinct(outputs: Mapping[str, str | None]) -> None:
    """Refuse two outputs of one run on the same file (or both on stdout): the second would replace the first.

    Args:
        outputs: The output paths by option (``"--out"``, ``"--rejects"`` ...); None skipped.

    Raises:
        UsageError: naming both options, before anything is read.
    """
    seen: dict[str, str] = {}
    for option, path in outputs.items():
        if not path:
            continue
        # A symlink or "./x.csv" is the same file.
        key = STDIN if path == STDIN else os.path.realpath(_absolute(path))
        if key == os.path.realpath(os.devnull):
            continue  # what each of them writes there is thrown away: they cannot overwrite each other
        earlier = seen.setdefault(key, option)
        if earlier == option:
            continue
        if path == STDIN:
            raise UsageError(f"{option} - and {earlier} - would both write to stdout; give one of them a file")
        raise UsageError(f"{option} and {earlier} are the same file ({path}); give each output its own name")


def check_format_matches_name(path: str, fmt: str, option: str = "--out") -> None:
    """Refuse ``--format csv`` for ``scored.parquet``: leadq (``--previous``) and everyone else read a file by its name.

    Names of no format of leadq's own (``scored.out``, ``scored.xls``) take any ``--format``.

    Raises:
        UsageError: The name's format is another of :data:`FORMATS`.
    """
    if path == STDIN:
        return
    try:
        named = format_from_path(path, default="", option=option)
    except UsageError:
        return
    if named and named != fmt:
        raise UsageError(f"--format {fmt} contradicts {option} {path}, a {named} name (readers go by the name, "
                         f"--previous too); leave --format out, or end the name in .{fmt}")


def is_gzip_path(path: str) -> bool:
    """Whether ``path`` is written gzip-compressed: it ends in ``.gz`` (``scored.csv.gz``)."""
    return path != STDIN and path.lower().endswith(".gz")


def write_frame(
    df: pl.DataFrame,
    path: str,
    fmt: str,
    *,
    escape_formulas: bool = True,
    metadata: dict[str, str] | None = None,
    stdout: BinaryIO | None = None,
    files: AtomicWrites | None = None,
) -> None:
    """Write a frame atomically (or to stdout).

    A file target is written to a temporary file in its directory, fsynced and
    renamed over the target; on any failure or interrupt (including SIGTERM
    and a full disk) the temporary file is removed and the previous target is
    left untouched. With ``files``, the frame is only prepared (stdout: held
    back) and appears when ``files.commit()`` commits it with the others.

    Args:
        df: The frame to write.
        path: The target file, or ``"-"`` for stdout (CSV or NDJSON only).
        fmt: One of :data:`FORMATS`. An ``xlsx`` workbook holds one sheet with the
            frame as an Excel table (see :func:`_write_xlsx`).
        escape_formulas: In CSV only, prefix String cells starting with
            ``= + - @``, tab or carriage return with ``'`` so spreadsheets do
            not evaluate them (xlsx cells are typed: text is never a formula).
        metadata: Parquet key-value metadata; custom document properties of an
            xlsx workbook (ignored by CSV and NDJSON).
        stdout: The stream for ``"-"``; defaults to ``sys.stdout.buffer``.
        files: Commit this write together with others (:class:`AtomicWrites`).

    Raises:
        UsageError: Unknown format, or Parquet or xlsx to stdout.
        OutputError: The file cannot be written, or an xlsx sheet cannot hold the
            frame (raised before anything is written).
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown output format '{fmt}'; {one_of(FORMATS)}")
    check_output_format(path, fmt)
    if fmt == "csv":
        df = _csv_ready(df, escape_formulas)
    elif fmt == "xlsx":
        check_xlsx_fits(df, path)
        df, utc_columns = _xlsx_ready(df)
        to_workbook = _xlsx_writer(df, path, utc_columns, metadata)
        if files is not None:
            files.prepare(path, to_workbook)
        else:
            atomic_write(path, to_workbook)
        return
    separator = "\t" if path.lower().removesuffix(".gz").endswith(".tsv") else ","

    if path == STDIN:
        stream = stdout if stdout is not None else sys.stdout.buffer

        def to_stream() -> None:
            try:
                _write(df, stream, fmt, separator, metadata)
                stream.flush()
            except OSError as exc:
                raise _stdout_error(exc) from exc

        if files is not None:
            files.defer(to_stream)
        else:
            to_stream()
        return

    to_file = gzip_if_named(path, lambda fh: _write(df, fh, fmt, separator, metadata))
    if files is not None:
        files.prepare(path, to_file)
    else:
        atomic_write(path, to_file)


def _stdout_error(exc: OSError) -> Exception:
    """What a failed write to stdout means: the reader left (``| head``), or a real output error.

    A closed pipe is a :class:`BrokenPipeError` (the CLI ends without a message,
    with exit 0); Polars' writer reports it as an OSError without
    an errno, so its text is checked too.
    """
    exc = stdout_os_error(exc)
    if isinstance(exc, BrokenPipeError):
        return exc
    return OutputError(f"cannot write to stdout: {os_reason(exc)}")


def stdout_os_error(exc: OSError) -> OSError:
    """``exc`` with its errno (see :func:`_with_errno`), a closed pipe as a :class:`BrokenPipeError`."""
    if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE or "broken pipe" in str(exc).lower():
        return BrokenPipeError(errno.EPIPE, "broken pipe")
    return _with_errno(exc)


def _write_stream(path: str, writer: Callable[[BinaryIO], object]) -> None:
    """Write into a device or named pipe where it is (:func:`is_stream_target`); a reader that left is a
    closed pipe, as for stdout."""
    try:
        with open(path, "wb") as fh:
            writer(fh)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
            raise BrokenPipeError(errno.EPIPE, "broken pipe") from exc
        raise OutputError(f"cannot write {path}: {os_reason(_with_errno(exc))}") from exc
    except pl.exceptions.PolarsError as exc:
        if "broken pipe" in str(exc).lower():
            raise BrokenPipeError(errno.EPIPE, "broken pipe") from exc
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OutputError(f"cannot write {path}: {reason}") from exc


def _with_errno(exc: OSError) -> OSError:
    """``exc`` with its errno: Polars' writers raise OSError without one, the code only in the text
    ("No space left on device (os error 28)")."""
    found = re.search(r"\(os error (\d+)\)", str(exc))
    if exc.errno is not None or not found:
        return exc
    return OSError(int(found.group(1)), os.strerror(int(found.group(1))))


def write_text(path: str, text: str) -> None:
    """Write UTF-8 text atomically (or to stdout for ``"-"``).

    Raises:
        OutputError: The file cannot be written.
    """
    if path == STDIN:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except OSError as exc:
            raise _stdout_error(exc) from exc
        return
    data = text.encode("utf-8")
    atomic_write(path, gzip_if_named(path, lambda fh: fh.write(data)))


def gzip_if_named(path: str, write: Callable[[BinaryIO], object]) -> Callable[[BinaryIO], object]:
    """``write``, its bytes gzip-compressed on the way when ``path`` ends in ``.gz`` (:func:`is_gzip_path`).

    The gzip header's mtime is 0: the same content gives the same bytes, run after run.
    """
    if not is_gzip_path(path):
        return write

    def packed(fh: BinaryIO) -> None:
        with gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as gz:
            write(gz)  # type: ignore[arg-type]

    return packed


def atomic_write(path: str, writer: Callable[[BinaryIO], object]) -> None:
    """Run ``writer`` on a temporary file beside ``path``, fsync it and rename it over ``path``.

    On any failure or interrupt (SIGINT, SIGTERM, a full disk) the temporary
    file is removed and the previous ``path`` is left untouched.

    Raises:
        OutputError: The file cannot be written.
    """
    with AtomicWrites() as files:
        files.prepare(path, writer)
        files.commit()


def is_stream_target(path: str) -> bool:
    """Whether ``path`` names a device, a named pipe or a socket (``/dev/null``, ``/dev/stdout``, a FIFO).

    Such a target is written into as it is, never replaced: renaming a temporary file over
    ``/dev/null`` (leadq runs as root in many containers) turned the device into a regular file
    for every program on the machine, and ``-o /dev/stdout`` wrote the rows into a file named so.
    """
    if path == STDIN:
        return False
    try:
        mode = os.stat(path).st_mode  # follows symlinks: /dev/stdout -> /proc/self/fd/1 -> a pipe
    except (OSError, ValueError):
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _absolute(path: str) -> str:
    """``path`` made absolute; a relative one when the working folder was removed is an output error.

    A cron job whose working folder a deploy replaced: it ended in "internal error: FileNotFoundError".
    """
    try:
        return os.path.abspath(path)
    except FileNotFoundError:
        raise OutputError(f"cannot write {path}: the working folder no longer exists; run from an existing "
                          "folder or give an absolute path") from None


def check_output_path(path: str) -> None:
    """Raise OutputError now if ``path`` can obviously not be written (a directory, no directory to hold
    it, or one this user may not write in).

    Lets a command refuse before a long run rather than after it; ``"-"`` (stdout) and a device or
    named pipe (:func:`is_stream_target`, written into where it is) always pass.
    """
    if path == STDIN or is_stream_target(path):
        return
    directory = os.path.dirname(_absolute(path))
    if os.path.isdir(path):
        raise OutputError(f"cannot write {path}: it is a directory; give a file name")
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise OutputError(f"cannot write {path}: {directory} is a file, not a directory")
    if not os.path.isdir(directory):
        raise OutputError(f"cannot write {path}: directory {directory} does not exist; create it first")
    if _on_read_only_file_system(directory):
        raise _read_only_error(path, directory)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: permission denied on directory {directory}; write elsewhere or "
                          "change the directory's permissions")


def _on_read_only_file_system(directory: str) -> bool:
    """Whether ``directory`` is on a file system mounted read-only (``os.access`` says only "not writable":
    a read-only container image or a backup mount was told to change the directory's permissions)."""
    try:
        return bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs (Windows): the write says what is wrong
        return False


def _read_only_error(path: str, directory: str) -> OutputError:
    return OutputError(f"cannot write {path}: {directory} is on a read-only file system; write elsewhere (a "
                       "writable folder or volume), or mount it read-write")


@dataclass
class _Prepared:
    """A target and the fsynced temporary file (beside it) that will replace it."""

    path: str
    tmp: str
    previous: bool = False  # the target existed when the commit began
    backup: str | None = None  # a hard link to that previous target, while several files are committed

    def keep_previous(self) -> None:
        """Hard-link the current target under a hidden name, so a failed commit can put it back."""
        self.previous = os.path.isfile(self.path)
        if not self.previous:
            return
        try:
            self.backup = _hard_link_beside(self.path)
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise OutputError(f"cannot write {self.path}: {os_reason(exc)}") from exc
            # No hard links on this file system: this target cannot be put back.

    def put_back(self) -> None:
        """Undo the rename: the previous target again (or none, if there was none)."""
        try:
            if self.backup is not None:
                os.replace(self.backup, self.path)
                self.backup = None
            elif not self.previous:
                os.unlink(self.path)
        except OSError:
            pass  # best effort: the file system refuses even the way back

    def drop_backup(self) -> None:
        if self.backup is not None:
            _unlink_quietly(self.backup)
            self.backup = None


class AtomicWrites:
    """Several output files written all-or-nothing, as far as the file system allows.

    :meth:`prepare` writes each file to a temporary file in its target's
    directory and fsyncs it; nothing visible changes. :meth:`commit` then
    renames them all into place. A failure or interrupt while preparing leaves
    every previous file untouched; a failure while renaming puts back the
    files already renamed (from hard links made just before), so the targets
    are either all new or all as they were. Temporary files never outlive the
    ``with`` block. Stdout writes (:meth:`defer`) run at commit time, before
    the renames, so nothing is printed when a file cannot be prepared.

    Example::

        with AtomicWrites() as files:
            files.prepare("scored.parquet", write_scored)
            files.prepare("scored.rejects.csv", write_rejects)
            files.commit()
    """

    def __init__(self) -> None:
        self._prepared: list[_Prepared] = []
        self._deferred: list[Callable[[], None]] = []
        self._stack = ExitStack()

    def __enter__(self) -> AtomicWrites:
        self._stack.enter_context(interruptible())
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            for p in self._prepared:
                _unlink_quietly(p.tmp)
            self._prepared = []
            self._deferred = []
        finally:
            self._stack.close()

    def prepare(self, path: str, writer: Callable[[BinaryIO], object]) -> None:
        """Run ``writer`` on a new temporary file beside ``path`` and fsync it.

        A device or named pipe (``/dev/null``, ``/dev/stdout``: :func:`is_stream_target`) has no
        temporary file: ``writer`` writes into it at commit time, as stdout is written.

        Raises:
            OutputError: The file cannot be written (the temporary file is removed).
        """
        if is_stream_target(path):
            self.defer(lambda: _write_stream(path, writer))
            return
        if os.path.islink(path):
            # The file the link names is replaced, and the link kept: renaming over the link itself put a
            # regular file in its place and left its target (a shared folder's file) as it was.
            path = os.path.realpath(path)
        check_output_path(path)
        directory = os.path.dirname(os.path.abspath(path))
        tmp = None
        try:
            # The name is known before the file exists (not so with mkstemp): a signal landing right
            # after the file is created still finds it to remove.
            tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                tmp = None  # not ours to remove
                raise
            with os.fdopen(fd, "wb") as fh:
                writer(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, _target_mode(path))
            self._prepared.append(_Prepared(path, tmp))
            tmp = None
        except OSError as exc:
            if exc.errno == errno.EROFS:
                raise _read_only_error(path, directory) from exc
            raise OutputError(f"cannot write {path}: {os_reason(exc)}") from exc
        except pl.exceptions.PolarsError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise OutputError(f"cannot write {path}: {reason}") from exc
        finally:
            if tmp is not None:
                _unlink_quietly(tmp)

    def defer(self, write: Callable[[], None]) -> None:
        """Run ``write`` (a write to stdout) at commit time, before the files are renamed."""
        self._deferred.append(write)

    def commit(self) -> None:
        """Run the deferred writes, then rename every prepared file over its target.

        A SIGINT or SIGTERM arriving while the files are renamed is held back
        until they are all in place; then the renames are undone and the signal
        is delivered, so an interrupted run keeps all of its previous outputs.

        Raises:
            OutputError: A deferred write or a rename failed; the targets are as they were.
        """
        for write in self._deferred:
            write()
        self._deferred = []
        with signals_held() as held:
            decided = None
            try:
                if len(self._prepared) > 1:  # one rename is atomic by itself; several need a way back
                    for p in self._prepared:
                        p.keep_previous()
                done: list[_Prepared] = []
                for p in self._prepared:
                    try:
                        os.replace(p.tmp, p.path)
                    except OSError as exc:
                        for q in reversed(done):
                            q.put_back()
                        raise OutputError(f"cannot write {p.path}: {os_reason(exc)}") from exc
                    done.append(p)
                if held:
                    for q in reversed(done):
                        q.put_back()
                decided = len(held)
            finally:
                for p in self._prepared:
                    p.drop_backup()
                if decided is not None:
                    # A signal once every output is in place (while the backups go) is not delivered:
                    # the outputs are this run's, and "interrupted, previous output intact" (130) would
                    # tell a cron job to drop a hand-off that is already there.
                    del held[decided:]
        directories = dict.fromkeys(os.path.dirname(os.path.abspath(p.path)) for p in self._prepared)
        self._prepared = []
        for directory in directories:
            fsync_dir(directory)


@contextmanager
def signals_held() -> Iterator[list[int]]:
    """Record SIGINT/SIGTERM instead of acting on them while the block runs; re-deliver them after.

    Yields the list the received signals are appended to, so the block can undo its work first.
    Outside the main thread (no handlers can be installed) nothing is held.
    """
    held: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield held
        return
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.getsignal(sig) for sig in signals}

    def hold(signum: int, frame: object) -> None:
        if previous[signum] is not signal.SIG_IGN:
            held.append(signum)

    for sig in signals:
        signal.signal(sig, hold)
    try:
        yield held
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(held):
            signal.raise_signal(sig)


def _hard_link_beside(path: str) -> str | None:
    """A hard link to ``path`` under a fresh hidden name in its directory; None when there is no file to keep."""
    if not os.path.isfile(path):
        return None
    directory, base = os.path.split(os.path.abspath(path))
    for _ in range(100):
        backup = os.path.join(directory, f".{base}.{os.urandom(4).hex()}.bak")
        try:
            os.link(path, backup)
            return backup
        except FileExistsError:
            continue
    raise OSError(errno.EEXIST, f"cannot find a free name for a backup of {path}")


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _write(df: pl.DataFrame, fh: BinaryIO, fmt: str, separator: str, metadata: dict[str, str] | None) -> None:
    if fmt == "parquet":
        target = _ErrorKeepingWriter(fh)
        try:
            df.write_parquet(target, metadata=dict(metadata) if metadata else None,  # type: ignore[arg-type]
                             row_group_size=ROW_GROUP_SIZE, compression="zstd", compression_level=ZSTD_LEVEL)
        except pl.exceptions.PolarsError as exc:
            if target.error is not None:
                raise target.error from exc
            raise
    elif fmt == "csv":
        df.write_csv(fh, separator=separator)
    else:
        df.write_ndjson(fh)


class _ErrorKeepingWriter(io.RawIOBase):
    """A file's writer that keeps the operating-system error of a failed write.

    Polars' Parquet writer wraps it into its own text, which can lose it: a full disk (or
    ``-o /dev/full``) said "parquet: File out of specification: Invalid thrift: transport error"
    where CSV said "no space left on device". Writing through this object, whose writes Polars
    buffers into a few large ones, the error is raised as itself (:func:`_write`).
    """

    def __init__(self, fh: BinaryIO) -> None:
        super().__init__()
        self._fh = fh
        self.error: OSError | None = None

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        try:
            written = self._fh.write(data)
        except OSError as exc:
            self.error = self.error or exc
            raise
        return len(data) if written is None else written

    def flush(self) -> None:
        if self.closed or self._fh.closed:  # closing this object (or its collection) closes no file
            return
        try:
            self._fh.flush()
        except OSError as exc:
            self.error = self.error or exc
            raise


def _csv_ready(df: pl.DataFrame, escape_formulas: bool) -> pl.DataFrame:
    """Flatten nested columns to text, datetimes to RFC 3339 and neutralise formulas, in Polars.

    With ``escape_formulas`` the header's cells are escaped as the values are: the rejects
    copy the names of an uploaded file's columns, and ``--keep-columns`` carries them into the
    scored output. The text columns are escaped by one expression over all of them, and the loop
    over the schema does no more than sort the columns: a frame of 200,000 columns is written
    in seconds (an expression per column made it minutes).
    """
    df, text_columns, _ = _flattened(df, datetimes_as_text=True)
    if not escape_formulas:
        return df
    if text_columns:
        df = df.with_columns(cs.by_name(text_columns).str.replace(FORMULA_PREFIX, "'$0"))
    return df.rename(escaped_header(df.columns))


def _flattened(df: pl.DataFrame, *, datetimes_as_text: bool) -> tuple[pl.DataFrame, list[str], list[str]]:
    """Nested columns as text (a list joined with "; ", a struct as JSON), categoricals as text, and datetimes
    as RFC 3339 text (``datetimes_as_text``, for CSV) or, zoned, as their UTC time without a zone (for xlsx).

    Returns:
        The frame, the names of its text columns, and those of the zoned datetimes made UTC.
    """
    converted = []
    text_columns = []
    utc_columns = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Array):
            col, dtype = col.arr.to_list(), pl.List(dtype.inner)
        if isinstance(dtype, pl.List) and not dtype.inner.is_nested():
            converted.append(col.cast(pl.List(pl.String)).list.join("; ").alias(name))
        elif isinstance(dtype, pl.Struct):
            converted.append(pl.when(col.is_not_null()).then(col.struct.json_encode()).alias(name))
        elif dtype.is_nested():
            # Lists of lists/structs: JSON-encode via a one-field struct wrapper.
            encoded = pl.struct(col.alias("v")).struct.json_encode()
            converted.append(pl.when(col.is_not_null()).then(encoded.str.strip_prefix('{"v":').str.strip_suffix("}"))
                             .alias(name))
        elif isinstance(dtype, (pl.Categorical, pl.Enum)):
            converted.append(col.cast(pl.String).alias(name))
        elif isinstance(dtype, pl.Datetime):
            if datetimes_as_text:
                converted.append(col.dt.to_string(CSV_DATETIME_ZONED if dtype.time_zone else CSV_DATETIME).alias(name))
            elif dtype.time_zone:
                converted.append(col.dt.convert_time_zone("UTC").dt.replace_time_zone(None).alias(name))
                utc_columns.append(name)
            continue
        elif dtype != pl.String:
            continue
        text_columns.append(name)
    if converted:
        df = df.with_columns(converted)
    return df, text_columns, utc_columns


def check_xlsx_fits(df: pl.DataFrame, path: str) -> None:
    """Raise OutputError when ``df`` and its header do not fit one Excel sheet (1,048,576 rows, 16,384 columns).

    Raised before anything is written: a workbook Excel cannot open whole is no output.
    """
    if df.height + 1 > XLSX_MAX_ROWS:
        raise OutputError(f"cannot write {path}: {df.height:,} rows and the header do not fit an Excel sheet "
                          f"({XLSX_MAX_ROWS:,} rows at most); write .csv or .parquet")
    if df.width > XLSX_MAX_COLUMNS:
        raise OutputError(f"cannot write {path}: {df.width:,} columns do not fit an Excel sheet "
                          f"({XLSX_MAX_COLUMNS:,} columns at most); write .csv or .parquet")


def _xlsx_ready(df: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The frame as Excel cells hold it: nested columns as text (as in CSV, without the escape of formulas),
    zoned datetimes in UTC, integers beyond 2^53 as text, and text longer than a cell holds cut with
    :data:`XLSX_TRUNCATED` at its end: to exactly 32,767 characters, or fewer in a text with characters
    Excel counts twice (emoji and others beyond the Basic Multilingual Plane).

    Returns:
        The frame and the names of the datetime columns written in UTC.
    """
    df, text_columns, utc_columns = _flattened(df, datetimes_as_text=False)
    wide = [name for name, dtype in df.schema.items() if dtype in (pl.Int64, pl.UInt64, pl.Int128, pl.UInt128)]
    if wide:
        inexact = df.select(((cs.by_name(wide) > _XLSX_EXACT_INTEGER) | (cs.by_name(wide) < -_XLSX_EXACT_INTEGER))
                            .any()).row(0)
        as_text = [name for name, bad in zip(wide, inexact) if bad]
        if as_text:
            df = df.with_columns(cs.by_name(as_text).cast(pl.String))
    if text_columns and df.height:
        # A text of at most half the limit in characters fits whatever they are; only longer ones are counted.
        longest = df.select(cs.by_name(text_columns).str.len_chars().max()).row(0)
        long = [name for name, n in zip(text_columns, longest) if n is not None and n > XLSX_MAX_CELL_CHARS // 2]
        if long:
            df = df.with_columns(_cut_to_cell(name) for name in long)
    return df, utc_columns


def _cut_to_cell(name: str) -> pl.Expr:
    """Column ``name`` with each text longer than :data:`XLSX_MAX_CELL_CHARS` UTF-16 code units cut to fit,
    ending in :data:`XLSX_TRUNCATED`."""
    text = pl.col(name)
    room = XLSX_MAX_CELL_CHARS - len(XLSX_TRUNCATED)
    head = text.str.slice(0, room)
    head = head.str.slice(0, room - head.str.count_matches(_ASTRAL))  # emoji take two units each
    too_long = text.str.len_chars() + text.str.count_matches(_ASTRAL) > XLSX_MAX_CELL_CHARS
    return pl.when(too_long).then(head + XLSX_TRUNCATED).otherwise(text).alias(name)


def _xlsx_writer(df: pl.DataFrame, path: str, utc_columns: list[str],
                 metadata: dict[str, str] | None) -> Callable[[BinaryIO], None]:
    """What writes ``df`` (made ready by :func:`_xlsx_ready`) as a workbook into a file handle.

    One sheet, "Sheet1", holding an Excel table (a filter on each column) with its header row frozen.
    Text is written as text, numbers as numbers, dates and datetimes as Excel date-times (those of
    ``utc_columns`` shown with "UTC" after the time).
    """
    from xlsxwriter import Workbook
    from xlsxwriter.exceptions import XlsxWriterException

    formats: dict = {dtype: _XLSX_FLOAT_FORMAT for dtype in (pl.Float32, pl.Float64)}
    formats.update({dtype: _XLSX_INTEGER_FORMAT for dtype in (
        pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)})
    formats[pl.Datetime] = XLSX_NAIVE_FORMAT
    columns = {cs.by_name(utc_columns): XLSX_UTC_FORMAT} if utc_columns else None

    def write(fh: BinaryIO) -> None:
        try:
            workbook = Workbook(fh, dict(_XLSX_WORKBOOK_OPTIONS))
            for key, value in (metadata or {}).items():
                if value is not None:
                    workbook.set_custom_property(key, str(value))
            df.write_excel(workbook, "Sheet1", dtype_formats=formats, column_formats=columns, freeze_panes="A2")
            workbook.close()
        except XlsxWriterException as exc:
            cause = exc.__cause__ or (exc.args[0] if exc.args else None)
            if isinstance(cause, OSError):
                raise cause from exc  # a full disk: AtomicWrites says so, and removes the temporary file
            raise OutputError(f"cannot write {path}: {exc}") from exc

    return write


def escaped_header(names: list[str]) -> dict[str, str]:
    """The new names of the columns whose names a spreadsheet would evaluate: ``=HYPERLINK(...)`` is
    written ``'=HYPERLINK(...)``, as a value is (another name of the frame is never taken)."""
    formula = re.compile(FORMULA_PREFIX)
    taken = set(names)
    renamed = {}
    for name in names:
        if formula.match(name):
            renamed[name] = free_name("'" + name, taken)
            taken.add(renamed[name])
    return renamed


def _target_mode(path: str) -> int:
    """Keep an existing target's permissions; new files get 0666 minus umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def fsync_dir(directory: str) -> None:
    """Make the renames in ``directory`` durable (best effort: some platforms cannot open folders)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
