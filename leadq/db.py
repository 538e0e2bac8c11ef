"""Databases as inputs and outputs: PostgreSQL and SQLite through Polars' own ADBC readers and writers.

* Reading: ``pl.read_database_uri`` with the ADBC drivers (``adbc-driver-postgresql``,
  ``adbc-driver-sqlite``); a table name or a query.
* Writing: ``DataFrame.write_database`` into a staging table, then ONE transaction
  that swaps it in (``replace``: drop the old table, rename the staging table) or
  copies it over (``append``). PostgreSQL and SQLite both have transactional DDL, so a
  run that fails anywhere leaves the previous table exactly as it was.
* Credentials come from the URI or from libpq's own environment (``PGPASSWORD``,
  ``PGPASSFILE``, ``PGUSER`` ...); they are never printed: every message that could
  contain a URI goes through :func:`redact`.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from leadq.errors import InputError, OutputError, UsageError

SCHEMES = ("postgresql://", "postgres://", "sqlite://")
IF_EXISTS = ("replace", "append")
_SECRET_RE = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/:@\s]*:)[^@/\s]*@", re.IGNORECASE)
_KEYWORD_RE = re.compile(r"(?P<head>password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)


def is_database_uri(value: str | None) -> bool:
    """True for ``postgresql://``, ``postgres://`` and ``sqlite://`` URIs."""
    return bool(value) and value.lower().startswith(SCHEMES)  # type: ignore[union-attr]


def redact(text: str) -> str:
    """``text`` with any password in a URI or a ``password=`` keyword replaced by ``***``."""
    text = _SECRET_RE.sub(lambda m: m.group("head") + "***@", text)
    return _KEYWORD_RE.sub(lambda m: m.group("head") + "***", text)


def _kind(uri: str) -> str:
    return "sqlite" if uri.lower().startswith("sqlite://") else "postgresql"


def sqlite_file(uri: str) -> str | None:
    """The file a ``sqlite://`` URI names; None for another database."""
    return _sqlite_path(uri) if _kind(uri) == "sqlite" else None


def _sqlite_path(uri: str) -> str:
    # sqlite:///relative.db, sqlite:////absolute/path.db
    return uri[len("sqlite:///"):] if uri.lower().startswith("sqlite:///") else uri[len("sqlite://"):]


def quote_table(name: str) -> str:
    """A table name, optionally ``schema.table``, as quoted SQL identifiers."""
    parts = name.split(".")
    if not all(parts) or len(parts) > 3:
        raise UsageError(f"'{name}' is not a table name (expected table or schema.table)")
    if '"' in name or "`" in name:
        # Polars' writer reads quotes its own way: '"q"' wrote a table q__leadq_new that was then not found.
        raise UsageError(f"'{name}': write the table name without quotes (leadq quotes it: upper case and spaces "
                         "are kept)")
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def _connect(uri: str):
    """An ADBC DB-API connection (autocommit off: everything below is one transaction)."""
    try:
        if _kind(uri) == "sqlite":
            import adbc_driver_sqlite.dbapi as driver

            return driver.connect(_sqlite_path(uri))
        import adbc_driver_postgresql.dbapi as driver

        return driver.connect(uri if not uri.lower().startswith("postgres://") else "postgresql://" + uri[11:])
    except ImportError:  # pragma: no cover - depends on the installation
        raise UsageError("database URIs need the ADBC drivers: pip install 'leadq[db]'") from None


def describe(uri: str, table: str | None = None, query: str | None = None) -> str:
    """A label for summaries and messages, without the password."""
    what = f" table {table}" if table else (" query" if query else "")
    return redact(uri) + what


def read_database(uri: str, *, table: str | None = None, query: str | None = None, what: str = "input") -> pl.DataFrame:
    """Read a table or the result of a query.

    Raises:
        UsageError: neither or both of ``table`` and ``query`` given.
        InputError: the database cannot be reached, the table is missing, the query fails.
    """
    if (table is None) == (query is None):
        raise UsageError(f"{what}: give the database table (--table) or a query (--query), not "
                         f"{'both' if table else 'neither'}")
    if _kind(uri) == "sqlite" and not Path(_sqlite_path(uri)).is_file():
        raise InputError(f"{what}: SQLite database not found: {_sqlite_path(uri)}")
    sql = query if query is not None else f"SELECT * FROM {quote_table(table)}"  # type: ignore[arg-type]
    try:
        return pl.read_database_uri(sql, uri if _kind(uri) == "postgresql" else uri, engine="adbc")
    except ImportError:  # pragma: no cover - depends on the installation
        raise UsageError("database URIs need the ADBC drivers: pip install 'leadq[db]'") from None
    except Exception as exc:  # driver errors have no common base class
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{what}: cannot read {describe(uri, table, query)}: {redact(first)}") from None


def _for_database(frame: pl.DataFrame, uri: str) -> pl.DataFrame:
    if _kind(uri) == "sqlite":
        # SQLite has no array type: list columns are written '; '-joined, as in CSV output.
        lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
        return frame.with_columns([pl.col(c).list.join("; ") for c in lists])
    return frame


def write_database(frame: pl.DataFrame, uri: str, table: str, *, if_exists: str = "replace") -> None:
    """Write ``frame`` to ``table`` so that a failure leaves the previous table untouched.

    The rows go to a staging table first (Polars' ``write_database`` over ADBC); one
    transaction then replaces the target by it (``replace``) or appends its rows (``append``).

    Raises:
        UsageError: unknown ``if_exists``.
        OutputError: anything failed; the target table is as it was before the call.
    """
    if if_exists not in IF_EXISTS:
        raise UsageError(f"--if-exists: unknown value '{if_exists}'; expected one of: {', '.join(IF_EXISTS)}")
    schema, _, name = table.rpartition(".")
    staging_name = f"{name}__leadq_new"
    staging = f"{schema}.{staging_name}" if schema else staging_name
    target_q, staging_q = quote_table(table), quote_table(staging)
    try:
        _drop(uri, staging_q)
        _for_database(frame, uri).write_database(staging, connection=uri, engine="adbc",
                                                 if_table_exists="replace")
        _swap(uri, target_q, staging_q, staging_name, name, if_exists)
    except (UsageError, OutputError):
        _drop(uri, staging_q)
        raise
    except Exception as exc:  # driver errors have no common base class
        _drop(uri, staging_q)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OutputError(f"cannot write {describe(uri, table)}: {redact(first)}; the previous table was "
                          "left as it was") from None


def _swap(uri: str, target_q: str, staging_q: str, staging_name: str, name: str, if_exists: str) -> None:
    """One transaction: the staging table becomes (or is appended to) the target."""
    conn = _connect(uri)
    try:
        cur = conn.cursor()
        exists = _table_exists(cur, uri, target_q)
        if if_exists == "append" and exists:
            cur.execute(f"INSERT INTO {target_q} SELECT * FROM {staging_q}")
            cur.execute(f"DROP TABLE {staging_q}")
        else:
            if exists:
                cur.execute(f"DROP TABLE {target_q}")
            new_name = '"' + name.replace('"', '""') + '"'
            cur.execute(f"ALTER TABLE {staging_q} RENAME TO {new_name}")
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    finally:
        conn.close()


def _table_exists(cur, uri: str, table_q: str) -> bool:
    try:
        cur.execute(f"SELECT 1 FROM {table_q} WHERE 1 = 0")
        cur.fetchall()
        return True
    except Exception:
        # PostgreSQL aborts the transaction on an error: start it again.
        cur.connection.rollback()
        return False


def _drop(uri: str, table_q: str) -> None:
    """Drop a leftover staging table; never raises (it is cleanup)."""
    try:
        conn = _connect(uri)
    except Exception:
        return
    try:
        cur = conn.cursor()
        cur.execute(f"DROP TABLE IF EXISTS {table_q}")
        conn.commit()
    except Exception:
        pass
    finally:
        conn.close()
