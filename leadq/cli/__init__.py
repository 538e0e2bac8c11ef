"""The leadq command line: parses options, calls the library, maps errors to exit codes.

This package is the only place that imports typer. ``leadq.cli`` holds the app,
the shared options and the error handling; each command has a module of its own.

Exit codes:
  0  success
  1  finished, but rows were rejected and --strict was given (validate: warnings under --strict; test: a case
     failed)
  2  usage or ruleset error (nothing read, nothing written)
  3  input data error (missing/unreadable/malformed file, missing columns)
  4  output error (cannot write, disk full, output locked by another run)
  5  more tier changes than --max-tier-changes (nothing written)
  70  internal error: a bug in leadq, reported in one line (LEADQ_DEBUG=1 shows the traceback)
  130 interrupted (SIGINT/SIGTERM); the previous output is left intact
"""

from __future__ import annotations

import contextlib
import copy
import errno
import functools
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Callable, ContextManager, NoReturn, Optional


def _stop_while_starting(signum: int, frame: object) -> None:
    """SIGTERM or SIGINT while the console script imports leadq.cli (Typer, the commands): nothing is
    written yet, so stop at once with the interrupt's line and exit 130 (it was 143 and no word)."""
    os.write(2, b"leadq: error: interrupted; the previous output was left intact\n")
    os._exit(130)


# Only for the console script (its __main__ is the `leadq` script): the handlers of a program or test
# importing leadq.cli are left alone. main() installs the run's own handlers once imported.
if (os.path.basename(getattr(sys.modules.get("__main__"), "__file__", None) or "") == "leadq"
        and threading.current_thread() is threading.main_thread()):
    signal.signal(signal.SIGTERM, _stop_while_starting)
    signal.signal(signal.SIGINT, _stop_while_starting)

import typer  # noqa: E402

from leadq.errors import EXIT_INTERRUPTED, EXIT_OUTPUT, LeadqError, UsageError  # noqa: E402
from leadq.interrupts import raise_terminated  # noqa: E402

EXIT_CODES_HELP = (
    "Exit codes: 0 success; 1 rows rejected under --strict (validate --strict: warnings; test: a case failed); "
    "2 usage or ruleset error; "
    "3 input data error; 4 output error; 5 more tier changes than --max-tier-changes (nothing written); "
    "70 internal error (a bug); 130 interrupted."
)

app = typer.Typer(
    name="leadq",
    help="Batch lead scoring from a reviewable YAML ruleset, compiled to Polars.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if not value:
        return
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from leadq import __version__

    try:
        polars = version("polars")
    except PackageNotFoundError:  # pragma: no cover - polars is a dependency
        polars = "not installed"
    # What a bug report needs, without importing Polars (which takes longer than the answer).
    sys.stdout.write(f"leadq {__version__} (Polars {polars}, Python {platform.python_version()})\n")
    raise typer.Exit(0)


@app.callback()
def _options(
    version: Annotated[bool, typer.Option(
        "--version", "-V", help="Print leadq's version (with Polars' and Python's) and exit.",
        callback=_print_version, is_eager=True)] = False,
) -> None:
    """Batch lead scoring from a reviewable YAML ruleset, compiled to Polars."""


# Unexpected exceptions (a bug, not bad input) exit 70, sysexits' EX_SOFTWARE.
EXIT_INTERNAL = 70


def _err(message: str) -> None:
    # Messages quote input data (headers, values): escape control characters so that
    # a hostile file cannot inject terminal escape sequences or extra lines.
    safe = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in message)
    sys.stderr.write(f"leadq: error: {safe}\n")
    sys.stderr.flush()


# errno values of a stream that cannot be written: a full disk or quota, a dead terminal.
_FULL_STREAM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO})


def _stream_full(exc: OSError) -> None:
    """A report or JSON printed to a stream that cannot take it (a cron job's log on a full disk): exit 4.

    Files leadq writes say so themselves (OutputError); an OSError left over comes from printing.
    """
    from leadq.errors import os_reason

    with contextlib.suppress(OSError):
        _err(f"cannot write the report to its stream: {os_reason(exc)}")
    with contextlib.suppress(OSError):
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the flush at exit would fail again
    raise typer.Exit(EXIT_OUTPUT) from None


_INTERRUPTED = "interrupted; the previous output was left intact"
# Whether the run's interruption was reported: main reports one that ended the run outside a command's body.
_interrupt_reported = False


def _report_interrupted() -> None:
    global _interrupt_reported
    try:
        _err(_INTERRUPTED)
    except KeyboardInterrupt:
        # Outside interrupts.interruptible, Polars raises its own KeyboardInterrupt for a SIGINT and
        # Python's handler raises the same signal again at the next call (pola-rs/polars#23988).
        _err(_INTERRUPTED)
    _interrupt_reported = True


def handle_errors(func: Callable) -> Callable:
    """Turn library exceptions into one-line messages and documented exit codes."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except LeadqError as exc:
            _err(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _report_interrupted()
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            # The reader of our stdout went away (e.g. `| head`): not an error.
            try:
                sys.stdout = open("/dev/null", "w")  # noqa: SIM115 - silence the flush at exit
            except OSError:
                pass
            raise typer.Exit(0) from None
        except MemoryError:
            _err("out of memory; process the input in parts or use a machine with more memory")
            raise typer.Exit(EXIT_OUTPUT) from None
        except (typer.Exit, typer.Abort, typer.BadParameter):
            raise
        except Exception as exc:
            # Never a traceback for the user: one line, a distinct exit code, and a way to see more.
            if os.environ.get("LEADQ_DEBUG"):
                raise
            if isinstance(exc, OSError) and exc.errno in _FULL_STREAM:
                _stream_full(exc)
            _internal_error(exc)
        except BaseException as exc:
            # A Rust panic in Polars (pyo3's PanicException, a BaseException). A SIGINT or SIGTERM that lands
            # while Polars runs Python code of its own (a data type built while it collects a schema) raises
            # the KeyboardInterrupt there, and Polars panics on it instead of passing it on.
            if type(exc).__name__ != "PanicException" or os.environ.get("LEADQ_DEBUG"):
                raise
            if "KeyboardInterrupt" in str(exc) or "interrupts.Terminated" in str(exc):
                _report_interrupted()
                raise typer.Exit(EXIT_INTERRUPTED) from None
            _internal_error(exc)

    return wrapper


def _internal_error(exc: BaseException) -> NoReturn:
    """Never a traceback for the user: one line, a distinct exit code (70), and a way to see more."""
    first = (str(exc).strip().splitlines() or [""])[0]
    _err(f"internal error: {type(exc).__name__}: {first}; this is a bug in leadq, please report it "
         "(set LEADQ_DEBUG=1 to see the traceback)")
    raise typer.Exit(EXIT_INTERNAL) from None


def _parse_as_of(value: str | None, timezone: str = "UTC"):
    """``--as-of`` as a UTC instant; a value without offset is a wall time in ``timezone`` (the ruleset's
    settings.timezone), a date its midnight (:func:`leadq.conditions.as_of_date`). Default: now."""
    from datetime import datetime
    from datetime import timezone as tz

    from leadq.conditions import as_of_date

    if value is None:
        return datetime.now(tz.utc).replace(microsecond=0)
    try:
        return as_of_date(value, timezone)
    except ValueError as exc:
        raise UsageError(f"--as-of: {exc}") from None


def check_named(values: dict[str, str | None]) -> None:
    """Refuse an option (or argument) given an empty value, before anything is read.

    ``--summary-json "$SUMMARY"`` with the variable unset wrote no summary and said nothing,
    ``--rejects ''`` wrote the default file, ``-o ''`` ended in "internal error", and ``--json ''``
    printed the report instead of writing it.
    """
    for option, value in values.items():
        if value is not None and not value.strip():
            raise UsageError(f"{option}: {value!r} names nothing (an unset shell variable?); give a name, or leave "
                             "the option out")


_FILE_OPTIONS = {"--activities", "--accounts", "--data"}


def _split_multi(values: list[str] | None, option: str | None = None) -> list[str]:
    """The names given to a repeatable option, each value split on commas.

    A file option's value that names an existing file with a comma in its name stays whole;
    names of columns, owners or leads are split whatever files the current folder holds.

    Raises:
        UsageError: for a value with no name in it ('', ' ', ','): an empty list is a mistake, not
            "none" (``option`` names the option in the message).
    """
    out: list[str] = []
    for v in values or []:
        whole = "," not in v or (option in _FILE_OPTIONS and Path(v).exists())
        names = [v] if whole else [p.strip() for p in v.split(",") if p.strip()]
        if not any(n.strip() for n in names):
            where = f"{option}: " if option else "a comma-separated option: "
            raise UsageError(f"{where}{v!r} names nothing; give at least one name, or leave the option out")
        out += names
    return out


def sibling_path(out: str, kind: str, ext: str | None = None, default_ext: str | None = None) -> str:
    """A file beside ``out`` named after it: ``<out without its format extension>.<kind>.<ext>``.

    Only a format's extension is dropped (``.parquet``, ``.csv`` ...), so dated names keep
    their date: ``scores.2026-12-02.parquet`` gives ``scores.2026-12-02.rejects.csv``, not a
    ``scores.rejects.csv`` that each day's run would overwrite. ``ext``: the sibling's
    extension; by default ``out``'s own format extension (``csv.gz`` for ``scored.csv.gz``),
    else ``default_ext`` (else none). A folder's name (``.``, ``..``, ``/``) has no file name to
    follow: the sibling is ``scored.<kind>`` inside it, and ``out`` itself is refused as a folder
    (exit 4, :func:`leadq.outputs.check_output_path`), not an internal error of ``Path.with_name``.
    """
    from leadq.inputs import FORMAT_BY_EXTENSION

    p = Path(out)
    if p.name in ("", ".", ".."):
        return str(p / (f"scored.{kind}" + (f".{ext or default_ext}" if ext or default_ext else "")))
    name = p.name[:-3] if p.name.lower().endswith(".gz") else p.name
    _, dot, tail = name.rpartition(".")
    suffix = f".{tail}" if dot and f".{tail}".lower() in FORMAT_BY_EXTENSION else ""
    suffix += p.name[len(name):] if suffix else ""
    base = p.name[: len(p.name) - len(suffix)] or "scored"
    ext = ext or suffix.lstrip(".") or default_ext
    return str(p.with_name(f"{base}.{kind}" + (f".{ext}" if ext else "")))


def working(quiet: bool) -> ContextManager[None]:
    """While a command computes: its stage on a terminal's stderr (:func:`leadq.report.stage_spinner`),
    erased before it prints; nothing with ``--quiet`` or off a terminal (Rich is not even imported)."""
    if quiet or not sys.stderr.isatty():
        return contextlib.nullcontext()
    from leadq.report import stage_spinner

    return stage_spinner()


def _default_rejects(out: str) -> str | None:
    return None if out == "-" else sibling_path(out, "rejects", "csv")


RulesetOpt = Annotated[Optional[str], typer.Option(
    "--ruleset", "-r", help="Ruleset YAML file, or the name of a built-in one; default: the embedded b2b_saas.")]
ActivitiesOpt = Annotated[Optional[list[str]], typer.Option(
    "--activities", "-a", help="Activity log files or globs (repeatable); '-' for standard input (CSV, NDJSON, Parquet or a workbook, told by its first bytes).")]
AccountsOpt = Annotated[Optional[list[str]], typer.Option(
    "--accounts", help="Accounts (companies) export files or globs; fills blank company fields.")]
AsOfOpt = Annotated[Optional[str], typer.Option(
    "--as-of", help="'Now' for decay and windows (YYYY-MM-DD or ISO time; without a UTC offset, in the ruleset's "
    "settings.timezone); default: the current time.")]
InputFormatOpt = Annotated[Optional[str], typer.Option(
    "--input-format", help="Force the input format: csv, parquet, ndjson or excel (default: from the extension).")]
EncodingOpt = Annotated[Optional[str], typer.Option(
    "--encoding", help="CSV encoding (default: detected; e.g. utf-8, utf-16, cp1252, latin-1).")]
DelimiterOpt = Annotated[Optional[str], typer.Option(
    "--delimiter", help="CSV delimiter (default: detected among , ; and tab).")]
SheetOpt = Annotated[Optional[list[str]], typer.Option(
    "--sheet", help="The sheet read from Excel/OpenDocument workbooks, by name or number (default: the first); "
    "FILE=SHEET for one workbook (repeatable). Refused when no input is a workbook.")]
QuietOpt = Annotated[bool, typer.Option(
    "--quiet", "-q", help="Print no report, for cron jobs and pipelines (use with --json); errors still go to "
    "stderr.")]


def report_json_text(data: dict) -> str:
    """A report dict as the JSON text that ``--json`` / ``--summary-json`` write."""
    return json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n"


def write_report_json(data: dict, path: str) -> None:
    """Write a report dict as JSON to ``path`` (atomically) or to stdout for ``-``.

    To a stdout whose encoding is not UTF-8 (``PYTHONIOENCODING=ascii``, a Latin-1 locale) the JSON
    is written in ASCII, every other character as JSON's ``\\uXXXX`` escape (``ensure_ascii``): the
    stream wrote 'Zürich' as 'Z?rich' (its errors handler), and the JSON no longer held the data.
    ASCII is written as is by such encodings, and is UTF-8 to whatever reads the JSON.
    """
    text = report_json_text(data)
    if path == "-":
        import codecs
        import re

        try:
            utf8 = codecs.lookup(getattr(sys.stdout, "encoding", None) or "utf-8").name == "utf-8"
        except LookupError:  # an encoding Python does not know: escaped, the JSON is at least ASCII
            utf8 = False
        if not utf8:
            # Outside strings JSON is ASCII: each run of other characters is inside one, escaped as ensure_ascii
            # escapes it (json.dumps of the run, without its quotes). A report is small: no data path.
            text = re.sub(r"[^\x00-\x7f]+", lambda m: json.dumps(m.group())[1:-1], text)
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from leadq.outputs import write_text

    write_text(path, text)


# The parameters that hold a command's input specs, and whether their values are split on commas (the options
# are, as each command splits them).
_INPUT_PARAMS = {"contacts": False, "args": False, "data": True, "activities": True, "accounts": True}


def _input_specs(params: dict) -> list[str]:
    """The input specs among a command's parameters; explain's ARGS lead ids are left out (they name no file)."""
    specs = []
    for name, split in _INPUT_PARAMS.items():
        values = _split_multi(params.get(name), f"--{name}") if split else params.get(name) or []
        specs += _explain_inputs(params) if name == "args" else values
    return specs


def _explain_inputs(params: dict) -> list[str]:
    """explain's ARGS that name inputs: every one with --lead or --email (as explain reads them: a file not there
    is then said to be missing), else those that are '-', a file or a glob (the others are lead ids)."""
    import glob

    args = params.get("args") or []
    if params.get("lead") or params.get("email"):
        return list(args)
    return [v for v in args if v == "-" or os.path.lexists(v) or glob.has_magic(v)]


def _read_options(input_format, encoding, delimiter, sheet=None):
    """The input options as :class:`leadq.inputs.ReadOptions`; ``--sheet``, ``--encoding`` and
    ``--delimiter`` refused where they do nothing.

    Every command that takes ``--sheet`` calls this before it reads its inputs, whose specs are
    taken from the running command's parameters (:data:`_INPUT_PARAMS`).
    """
    from typer._click.globals import get_current_context

    from leadq.inputs import ReadOptions, check_csv_options_apply, check_sheet_applies, sheet_options

    default, sheets = sheet_options(sheet or [])
    ctx = get_current_context(silent=True) if (sheet or encoding or delimiter) else None
    if ctx is not None:
        check_sheet_applies(sheet, input_format, _input_specs(ctx.params))
        check_csv_options_apply(encoding, delimiter, input_format, _input_specs(ctx.params))
    return ReadOptions(input_format=input_format, encoding=encoding, delimiter=delimiter, sheet=default,
                       sheets=sheets)


def _on_sigint(signum: int, frame: object) -> None:
    if isinstance(sys.exc_info()[1], KeyboardInterrupt):
        return  # the same Ctrl-C again, or a second one: already stopping, let the cleanup finish
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    # SIGTERM (a scheduler, a container stop) and SIGINT stop the run as Ctrl-C does from the start: exit
    # 130 with one line. Until a command's interruptible() takes SIGTERM over, the default action killed
    # the process with 143 and said nothing, as during Polars' import (about a second).
    # On SIGINT, Polars cancels the running query and raises KeyboardInterrupt; Python's handler then
    # raises a second one wherever the cleanup has got to (pola-rs/polars#23988), e.g. between removing
    # a temporary file and releasing the lock. Polars chains to the handler installed before it is
    # imported, so this one is installed first (test_architecture checks that importing leadq.cli
    # does not import polars): the query still stops at once, and one Ctrl-C is one exception.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_sigint)
        signal.signal(signal.SIGTERM, raise_terminated)
    _replace_what_stdout_cannot_encode()
    try:
        try:
            typer.main.get_group(app_for(sys.argv[1:]))()
        except KeyboardInterrupt:  # before Click runs the command
            _stopped_outside_a_command()
        except SystemExit as done:
            # Typer turns an interrupt outside a command's body (parsing its options) into a silent exit 130.
            if done.code == EXIT_INTERRUPTED:
                _stopped_outside_a_command()
            raise
    except OSError as exc:  # help or a usage message printed by Click, outside any command's handle_errors
        if exc.errno not in _FULL_STREAM or os.environ.get("LEADQ_DEBUG"):
            raise
        try:
            _stream_full(exc)
        except typer.Exit as done:
            sys.exit(done.exit_code)


# What the reports draw with (bars, sparklines, arrows, ellipses, rules), as ASCII: for a stdout whose
# encoding lacks them. Rich draws its own tables with ASCII borders there.
_ASCII_FOR = {"█": "#", "·": ".", "▁": "_", "▂": "_", "▃": "-", "▄": "-", "▅": "=", "▆": "=", "▇": "#", "→": "->",
              "…": "...", "—": "-", "–": "-", "─": "-", "━": "-", "│": "|"}


def _ascii_or_question_mark(exc: UnicodeError) -> tuple[str, int]:
    """The ``errors`` handler of such a stdout: a report's drawing characters as ASCII, any other as ``?``."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    text = exc.object[exc.start:exc.end]
    return "".join(_ASCII_FOR.get(ch, "?") for ch in text), exc.end


def _replace_what_stdout_cannot_encode() -> None:
    """Print a report to a stdout whose encoding lacks its drawing characters (``PYTHONIOENCODING=ascii``, a
    Latin-1 locale) with ASCII in their place (other characters as ``?``): the run failed with an internal
    error (exit 70) after its outputs were written."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        "".join(_ASCII_FOR).encode(encoding)
    except UnicodeEncodeError:
        pass
    except LookupError:  # an encoding Python does not know: printing fails whatever is done here
        return
    else:
        return
    import codecs

    codecs.register_error("leadq-ascii", _ascii_or_question_mark)
    with contextlib.suppress(AttributeError, ValueError, OSError):  # not a text stream that can be reconfigured
        sys.stdout.reconfigure(errors="leadq-ascii")


def _stopped_outside_a_command() -> None:
    """Report an interrupt that ended the run outside a command's :func:`handle_errors` (once), and exit 130.

    Nothing was written yet: a command takes its output's lock and writes inside its body.
    """
    with contextlib.suppress(KeyboardInterrupt):
        if not _interrupt_reported:
            _report_interrupted()
    sys.exit(EXIT_INTERRUPTED)


def _command_name(info) -> str:
    return info.name or info.callback.__name__.replace("_", "-")


def app_for(args: list[str]) -> typer.Typer:
    """The app with only the command that ``args`` name, when they name one; else the whole app.

    Run it as a group (``typer.main.get_group``): a Typer app of one command would
    otherwise be that command, and read the command's name as its first argument.

    Typer builds every command's options from its signature before it runs one
    (about 25 ms for leadq's eleven): a cron job scoring a small file should not pay
    for the other nine. Help, usage lines and errors of the command are the same.
    """
    if not args:
        return app
    named = [info for info in app.registered_commands if _command_name(info) == args[0]]
    if len(named) != 1:
        return app
    only = copy.copy(app)
    only.registered_commands = named
    return only


# Each command lives in a module of its own and registers itself on `app`.
from leadq.cli import score as _score  # noqa: E402,F401
from leadq.cli import explain as _explain  # noqa: E402,F401
from leadq.cli import calibrate as _calibrate  # noqa: E402,F401
from leadq.cli import diff as _diff  # noqa: E402,F401
from leadq.cli import validate as _validate  # noqa: E402,F401
from leadq.cli import funnel as _funnel  # noqa: E402,F401
from leadq.cli import init as _init  # noqa: E402,F401
from leadq.cli import sql as _sql  # noqa: E402,F401
from leadq.cli import test as _test  # noqa: E402,F401
from leadq.cli import titles as _titles  # noqa: E402,F401
