"""What differs between SQL dialects, in one place: regexes, epoch arithmetic, types.

sqlglot transpiles most expressions between dialects by itself. The few
constructs below either have no common spelling or have one whose meaning
differs (the pitfalls this module exists for):

* Snowflake's ``REGEXP_LIKE`` matches the *whole* string, so a substring rule
  would silently become a full match; ``REGEXP_INSTR(...) > 0`` keeps substring
  semantics. PostgreSQL's ``\\b`` is a backspace, not a word boundary (``\\y``).
* Case-insensitive matching is a flag whose spelling depends on the engine:
  DuckDB takes ``'i'`` as an argument, PostgreSQL has the ``~*`` operator,
  Snowflake a parameter; Spark, Trino and BigQuery take the inline ``(?i)``.
* Microseconds since the epoch (for ages in days) have a different function in
  every engine.
* BigQuery's ``TIMESTAMP`` is the instant type (sqlglot's ``TIMESTAMPTZ``).
"""

from __future__ import annotations

import re

from sqlglot import exp

DIALECTS = ("duckdb", "postgres", "spark", "trino", "bigquery", "snowflake")
EXECUTED_DIALECTS = ("duckdb", "postgres", "spark")  # run against a real engine in the tests


_TYPES: dict[str, exp.DataType] = {}


def cast(value: exp.Expression, to: str | exp.DataType) -> exp.Cast:
    """CAST without sqlglot's copy and re-parse of the type on every call (queries have thousands)."""
    if isinstance(to, str):
        if to not in _TYPES:
            _TYPES[to] = exp.DataType.build(to)
        to = _TYPES[to]
    return exp.Cast(this=value, to=to.copy())


def _anon(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _postgres_regex(pattern: str) -> str:
    # PostgreSQL's advanced regexes spell word boundaries \y (and \Y); \b is a backspace there.
    return re.sub(r"(?<!\\)((?:\\\\)*)\\([bB])", lambda m: m.group(1) + ("\\y" if m.group(2) == "b" else "\\Y"),
                  pattern)


class SqlDialect:
    """The dialect-specific spellings the query builder needs."""

    def __init__(self, name: str):
        if name not in DIALECTS:
            raise ValueError(f"unknown SQL dialect {name!r}; expected one of: {', '.join(DIALECTS)}")
        self.name = name

    @property
    def timestamp_type(self) -> exp.DataType:
        """The type timestamps are cast to (UTC wall time, or BigQuery's instant type)."""
        return exp.DataType.build("TIMESTAMPTZ" if self.name == "bigquery" else "TIMESTAMP")

    def cast_number(self, value: exp.Expression) -> exp.Expression:
        """A column read as a double; TRY_CAST where the engine has it, so bad text becomes null."""
        if self.name in ("duckdb", "trino", "bigquery"):
            return exp.TryCast(this=value, to=exp.DataType.build("DOUBLE"))
        return cast(value, "DOUBLE")

    def cast_bool(self, value: exp.Expression) -> exp.Expression:
        """A column read as a boolean."""
        if self.name in ("duckdb", "trino", "bigquery"):
            return exp.TryCast(this=value, to=exp.DataType.build("BOOLEAN"))
        return cast(value, "BOOLEAN")

    def cast_timestamp(self, value: exp.Expression) -> exp.Expression:
        """A column read as a UTC timestamp."""
        if self.name in ("duckdb", "trino", "bigquery"):
            return exp.TryCast(this=value, to=self.timestamp_type)
        return cast(value, self.timestamp_type)

    def timestamp_literal(self, text: str) -> exp.Expression:
        """A UTC timestamp constant ``'YYYY-MM-DD HH:MM:SS[.ffffff]'``."""
        return cast(exp.Literal.string(text), self.timestamp_type)

    def regex_contains(self, subject: exp.Expression, pattern: str) -> exp.Expression:
        """True where ``pattern`` matches somewhere in ``subject``, ignoring case."""
        if self.name == "duckdb":
            return _anon("REGEXP_MATCHES", subject, exp.Literal.string(pattern), exp.Literal.string("i"))
        if self.name == "postgres":
            return exp.RegexpILike(this=subject, expression=exp.Literal.string(_postgres_regex(pattern)))
        if self.name == "spark":
            return exp.RegexpLike(this=subject, expression=exp.Literal.string("(?i)" + pattern))
        if self.name == "trino":
            return _anon("REGEXP_LIKE", subject, exp.Literal.string("(?i)" + pattern))
        if self.name == "bigquery":
            return _anon("REGEXP_CONTAINS", subject, exp.Literal.string("(?i)" + pattern))
        # snowflake: REGEXP_LIKE would anchor the pattern at both ends.
        return exp.GT(this=_anon("REGEXP_INSTR", subject, exp.Literal.string(pattern), exp.Literal.number(1),
                                 exp.Literal.number(1), exp.Literal.number(0), exp.Literal.string("i")),
                      expression=exp.Literal.number(0))

    def regex_group(self, subject: exp.Expression, pattern: str) -> exp.Expression:
        """The first capture group of ``pattern`` in ``subject``; null when it does not match."""
        lit = exp.Literal.string(pattern)
        if self.name in ("duckdb", "spark"):  # these return '' for no match
            return exp.Nullif(this=_anon("REGEXP_EXTRACT", subject, lit, exp.Literal.number(1)),
                              expression=exp.Literal.string(""))
        if self.name == "postgres":
            return exp.Substring(this=subject, start=lit)  # SUBSTRING(s FROM 'p') gives group 1
        if self.name == "trino":
            return _anon("REGEXP_EXTRACT", subject, lit, exp.Literal.number(1))
        if self.name == "bigquery":
            return _anon("REGEXP_EXTRACT", subject, lit)
        return _anon("REGEXP_SUBSTR", subject, lit, exp.Literal.number(1), exp.Literal.number(1),
                     exp.Literal.string("e"), exp.Literal.number(1))

    def epoch_us(self, ts: exp.Expression) -> exp.Expression:
        """Microseconds since 1970-01-01 UTC as an integer."""
        if self.name == "duckdb":
            return _anon("EPOCH_US", ts)
        if self.name in ("spark", "bigquery"):
            return _anon("UNIX_MICROS", ts)
        if self.name == "postgres":
            epoch = exp.Extract(this=exp.var("EPOCH"), expression=ts)
            return cast(exp.Mul(this=epoch, expression=exp.Literal.number(1_000_000)), "BIGINT")
        if self.name == "trino":
            seconds = _anon("TO_UNIXTIME", ts)
            return cast(exp.Round(this=exp.Mul(this=seconds, expression=exp.Literal.number(1_000_000))),
                            "BIGINT")
        return _anon("DATE_PART", exp.var("EPOCH_MICROSECOND"), ts)

    def text(self, value: exp.Expression) -> exp.Expression:
        """Cast to the dialect's text type."""
        return cast(value, "TEXT")
