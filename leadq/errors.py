"""Exceptions raised by the leadq library, and the exit codes the CLI maps them to.

The library never prints and never exits: it raises one of these, carrying what
the user needs to fix the problem (file, line, column, rule id, allowed values).
Only ``leadq.cli`` turns them into a one-line message on stderr and an exit code.
"""

from __future__ import annotations

import difflib
import errno
from dataclasses import dataclass
from typing import Iterable

# Exit codes, documented in the README and in `leadq --help`.
EXIT_OK = 0
EXIT_REJECTS = 1  # finished, but rows were rejected under --strict (or warnings under validate --strict)
EXIT_USAGE = 2  # bad command line or bad ruleset: nothing was read or written
EXIT_INPUT = 3  # an input file is missing, unreadable or malformed
EXIT_OUTPUT = 4  # the output could not be written (permissions, full disk, locked)
EXIT_TOO_MANY_CHANGES = 5  # score --max-tier-changes: more leads changed tier than allowed; nothing was written
EXIT_INTERRUPTED = 130  # SIGINT/SIGTERM: previous output left intact


@dataclass(frozen=True)
class Position:
    """A place in a source file (1-based line and column; 0 when unknown)."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line and self.column:
            return f"{self.path}:{self.line}:{self.column}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path


class LeadqError(Exception):
    """Base class of every error leadq reports to the user."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, position: Position | None = None):
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        if self.position is not None:
            return f"{self.position}: {self.message}"
        return self.message


class UsageError(LeadqError):
    """The command line asks for something that cannot be done."""

    exit_code = EXIT_USAGE


class UnknownKeptColumnError(UsageError):
    """A column asked to be kept (``--keep-columns``, an input column of ``--columns``) that the contacts lack.

    Carries what its message says, so that ``--columns`` can say it in its own words.
    """

    def __init__(self, column: str, where: str, columns: list[str]) -> None:
        self.column, self.where, self.columns = column, where, columns
        super().__init__(f"--keep-columns: no column '{column}' in {where}{did_you_mean(column, columns)}")


class RulesetError(LeadqError):
    """The ruleset file is invalid (schema, types, regexes, conditions)."""

    exit_code = EXIT_USAGE


class ConditionError(RulesetError):
    """A condition expression does not parse or names something unknown."""

    def __init__(self, message: str, text: str = "", offset: int = 0, position: Position | None = None):
        super().__init__(message, position)
        self.text = text
        self.offset = offset


class InputError(LeadqError):
    """An input file is missing, unreadable, or cannot be parsed."""

    exit_code = EXIT_INPUT


class MissingColumnsError(InputError):
    """Columns the ruleset maps are absent from an input file."""

    def __init__(self, message: str, position: Position | None = None, *, columns: Iterable[str] = (),
                 advice: str = "") -> None:
        # ``columns``: the absent columns; ``advice``: the closing "Fix ..." sentence, which a command
        # reading two rulesets (diff) rewrites to name the ruleset(s) that map them.
        super().__init__(f"{message}. {advice}" if advice else message, position)
        self.problem, self.columns, self.advice = message, tuple(columns), advice

    def advised(self, advice: str) -> MissingColumnsError:
        """The same error closing with ``advice`` instead."""
        return MissingColumnsError(self.problem, self.position, columns=self.columns, advice=advice)


class OutputError(LeadqError):
    """The output cannot be written."""

    exit_code = EXIT_OUTPUT


class TooManyChangesError(LeadqError):
    """More leads changed tier (or are gone) since --previous than --max-tier-changes allows."""

    exit_code = EXIT_TOO_MANY_CHANGES


class RejectedRowsError(LeadqError):
    """The run finished but rejected rows while --strict was given."""

    exit_code = EXIT_REJECTS


def did_you_mean(name: str, candidates: Iterable[str], n: int = 1) -> str:
    """Return a ``"; did you mean 'x'?"`` suffix for the closest candidate, or ``""``."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.6)
    if not matches:
        return ""
    return "; did you mean " + " or ".join(f"'{lowered[m]}'" for m in matches) + "?"


def one_of(allowed: Iterable[str]) -> str:
    """Format allowed values as ``expected one of: a, b, c``."""
    return "expected one of: " + ", ".join(sorted(allowed))


_OS_REASONS = {
    errno.ENOSPC: "no space left on device; free some space and retry",
    errno.EACCES: "permission denied; check the permissions",
    errno.EPERM: "permission denied; check the permissions",
    errno.EROFS: "read-only file system",
    errno.ENOENT: "no such file or directory",
    errno.EPIPE: "broken pipe",
    errno.EDQUOT: "disk quota exceeded",
}


def os_reason(exc: OSError) -> str:
    """What an operating-system error means for the user, with what to do where there is something."""
    return _OS_REASONS.get(exc.errno or 0, exc.strerror or str(exc))
