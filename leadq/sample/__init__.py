"""Deterministic, realistic sample data: a HubSpot-like CRM export plus an activity log.

The generator produces three tables shaped like what leadq is fed in practice:

* ``contacts``: a HubSpot contacts export (exact HubSpot column names, string
  values formatted the way HubSpot writes them, including the mess: decorated
  job titles, personal e-mail domains, duplicates, blanks, out-of-order dates);
* ``accounts``: a HubSpot companies export;
* ``events``: an activity log (web, e-mail, webinar and product events).

The data has a *true* signal: every contact carries a hidden fit (title
seniority, company size, industry, e-mail domain, country) and a hidden intent.
Both drive how far the contact progresses through the funnel
(lead -> MQL -> SQL -> opportunity -> won/lost), and intent also drives how many
events the contact produces and how recent they are, so scoring and calibration
have something real to find.

Everything is vectorised Polars: each pseudo-random draw is a hash of a row
index (``pl.int_range(n).hash(salt)``), so there is no per-row Python loop, the
output is the same bytes on every run for a given spec and Polars version (hash
values are only stable within one Polars version), and events can be produced
in independent chunks (the draw for event ``k`` does not depend on the chunk it
falls in) so 200M events fit in bounded memory.

The package splits along those jobs:

* :mod:`.spec`: :class:`SampleSpec` and the constants the other modules share;
* :mod:`.vocabulary`: the value lists and weights (titles, industries, countries, names, URLs, ...);
* :mod:`.draws`: hash-based pseudo-random draws and the formatting helpers;
* :mod:`.crm`: the accounts and contacts exports (latent fit and intent, funnel history);
* :mod:`.events`: the activity log, chunk by chunk;
* :mod:`.folder`: the output folder, written all at once or not at all;
* this module: the public API (generate in memory, iterate event chunks, write files);
  ``python -m leadq.sample`` runs :mod:`.__main__`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import polars as pl

from leadq.errors import OutputError, os_reason
from leadq.sample.crm import (
    _accounts_core,
    _accounts_export,
    _contacts_core,
    _contacts_export,
)
from leadq.sample.events import _event_contacts, _events_chunk
from leadq.sample.folder import write_all_or_nothing
from leadq.sample.spec import SampleSpec

__all__ = ["SampleSpec", "generate", "iter_event_chunks", "write_sample"]


def _check(spec: SampleSpec) -> None:
    if spec.leads < 1 or spec.events < 0:
        raise ValueError(f"need leads >= 1 and events >= 0, got leads={spec.leads}, events={spec.events}")
    if spec.as_of.tzinfo is None:
        raise ValueError("SampleSpec.as_of must be timezone-aware (UTC)")
    if spec.history_months < 1 or spec.event_months < 1:
        raise ValueError("history_months and event_months must be >= 1")


def _cores(spec: SampleSpec) -> tuple[pl.DataFrame, pl.DataFrame]:
    _check(spec)
    acc = _accounts_core(spec)
    return acc, _contacts_core(spec, acc)


def iter_event_chunks(spec: SampleSpec, chunk_rows: int = 5_000_000) -> Iterator[pl.DataFrame]:
    """Yield the events table in chunks of at most ``chunk_rows`` rows.

    Each chunk is sorted by timestamp; chunks are not ordered relative to each
    other. Concatenating the chunks gives the same rows whatever ``chunk_rows``
    is (only the order differs), because every draw hashes the global event index.

    Args:
        spec: What to generate.
        chunk_rows: Maximum rows per chunk.

    Yields:
        DataFrames with the events columns.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
    _, core = _cores(spec)
    ec = _event_contacts(spec, core)
    del core  # only the few per-contact columns in ec are needed from here on
    yield from _iter_events(spec, ec, chunk_rows)


def _iter_events(spec: SampleSpec, ec: pl.DataFrame, chunk_rows: int) -> Iterator[pl.DataFrame]:
    for first in range(0, spec.events, chunk_rows):
        yield _events_chunk(spec, ec, first, min(chunk_rows, spec.events - first), ec.height)


def generate(spec: SampleSpec) -> dict[str, pl.DataFrame]:
    """Generate the whole sample in memory.

    Args:
        spec: What to generate.

    Returns:
        ``{"contacts": ..., "accounts": ..., "events": ...}``; all columns are strings,
        formatted as the exports they imitate. Events are in time order.
    """
    acc, core = _cores(spec)
    ec = _event_contacts(spec, core)
    chunks = list(_iter_events(spec, ec, max(1, spec.events)))
    events = pl.concat(chunks) if chunks else _events_chunk(spec, ec, 0, 0, ec.height)
    return {
        "contacts": _contacts_export(spec, core, acc),
        "accounts": _accounts_export(acc),
        "events": events,
    }


def _write(df: pl.DataFrame, path: str, fmt: str) -> None:
    if fmt == "csv":
        df.write_csv(path)
    else:
        df.write_parquet(path, statistics=True)


def write_sample(
    spec: SampleSpec,
    out_dir: str,
    *,
    fmt: str = "csv",
    events_per_file: str = "month",
    chunk_rows: int = 5_000_000,
    replace_earlier: bool = False,
) -> list[str]:
    """Generate the sample and write it under ``out_dir``, all files or none.

    Writes ``contacts.<fmt>``, ``accounts.<fmt>`` and ``events/events-YYYY-MM.<fmt>``
    (one file per calendar month, so readers exercise globs). When the events do
    not fit in one chunk they are generated chunk by chunk, and each chunk writes
    its own ``events/events-YYYY-MM-partNNNN.<fmt>`` files, so memory stays bounded.

    The files are written into a temporary folder beside ``out_dir`` and moved into
    it only once all are complete (:mod:`.folder`): a failure or an interrupt leaves
    ``out_dir`` as it was, and no temporary folder behind.

    Args:
        spec: What to generate.
        out_dir: Output directory (created, with its parents, if missing).
        fmt: "csv" or "parquet".
        events_per_file: "month" (one file per month) or "all" (a single
            ``events/events.<fmt>`` per chunk).
        chunk_rows: Maximum events generated at a time.
        replace_earlier: Remove an earlier sample's files in ``out_dir`` (other
            months' events, the other format's), once the new sample is complete.
            Files under the new files' names are replaced either way.

    Returns:
        The paths written, in order.

    Raises:
        ValueError: On an unknown ``fmt`` or ``events_per_file``.
        OutputError: A file cannot be written; ``out_dir`` is as it was.
        KeyboardInterrupt: SIGINT or SIGTERM; ``out_dir`` is as it was.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    if events_per_file not in ("month", "all"):
        raise ValueError(f"events_per_file must be 'month' or 'all', got {events_per_file!r}")
    _check(spec)

    def write_files(folder: str) -> list[str]:
        return _write_files(spec, folder, out_dir, fmt, events_per_file, chunk_rows)

    return write_all_or_nothing(out_dir, write_files, replace_earlier=replace_earlier)


def _write_files(spec: SampleSpec, folder: str, out_dir: str, fmt: str, events_per_file: str,
                 chunk_rows: int) -> list[str]:
    """Write the sample's files into ``folder`` (the temporary one); errors name them under ``out_dir``."""
    written: list[str] = []

    def put(df: pl.DataFrame, rel: str) -> None:
        path = os.path.join(folder, rel)
        try:
            _write(df, path, fmt)
            _fsync(path)
        except (OSError, pl.exceptions.PolarsError) as exc:
            reason = os_reason(exc) if isinstance(exc, OSError) else (str(exc).strip().splitlines() or [""])[0]
            raise OutputError(f"cannot write {os.path.join(out_dir, rel)}: {reason}; {out_dir} was left as "
                              "it was") from exc
        written.append(path)

    acc, core = _cores(spec)
    os.mkdir(os.path.join(folder, "events"))
    for name, df in (("contacts", _contacts_export(spec, core, acc)), ("accounts", _accounts_export(acc))):
        put(df, f"{name}.{fmt}")
    # Free the wide per-contact frames before the event loop: memory stays bounded
    # by one chunk plus a handful of per-contact columns.
    ec = _event_contacts(spec, core)
    del acc, core
    n_chunks = max(1, -(-spec.events // chunk_rows))
    for part, chunk in enumerate(_iter_events(spec, ec, chunk_rows)):
        suffix = f"-part{part:04d}" if n_chunks > 1 else ""
        if events_per_file == "all":
            groups = [("", chunk)]
        else:
            chunk = chunk.with_columns(_m=pl.col("Timestamp").str.slice(0, 7))
            groups = [
                (f"-{key[0]}", g.drop("_m"))
                for key, g in chunk.group_by("_m", maintain_order=True)
            ]
            groups.sort(key=lambda kv: kv[0])
        for label, g in groups:
            put(g, os.path.join("events", f"events{label}{suffix}.{fmt}"))
    return written


def _fsync(path: str) -> None:
    """Make a written file durable before it is moved into place."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
