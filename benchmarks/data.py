"""Benchmark data: the sample generator's HubSpot export at fixed sizes, as Parquet and CSV.

Reuses :mod:`leadq.sample` (vectorised, chunked, deterministic) and lays the
files out under ``benchmarks/data/<size>/``::

    parquet/contacts.parquet        contacts export (all String, as a CRM writes it)
    parquet/contacts_typed.parquet  the same with the company size as a number (``--typed``)
    parquet/events/part-NNNN.parquet activity log, Timestamp typed (UTC), row groups <= 1M rows
    csv/contacts.csv                the same contacts as CSV
    csv/events/part-NNNN.csv        the same events as CSV (ISO timestamps with Z)

Two departures from ``leadq sample``, both so that hand-written queries can be
compared with leadq lead by lead:

* duplicate contact rows (the generator makes ~2% on purpose) are dropped,
  keeping the first row of every Record ID and of every normalised e-mail, so
  leadq's de-duplication policy (most recently updated wins) has nothing to
  decide and the hand-written queries need not replicate it;
* Parquet events carry a typed ``Timestamp`` column, as an analytics export
  would; the CSV files keep the text.

Usage: ``python benchmarks/data.py --size S`` (idempotent: existing sizes are kept).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import dataclass

import polars as pl

from leadq.sample import SampleSpec, iter_event_chunks, write_sample

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
SEED = 7
ROW_GROUP = 1_000_000
EVENT_FILE_ROWS = 5_000_000


@dataclass(frozen=True)
class Size:
    """A benchmark size: contacts (before dropping duplicates) and events."""

    name: str
    leads: int
    events: int


SIZES = {
    "tiny": Size("tiny", 2_000, 40_000),
    "S": Size("S", 100_000, 2_000_000),
    "M": Size("M", 1_000_000, 20_000_000),
    "L": Size("L", 10_000_000, 200_000_000),
}


def size_dir(size: str, root: str = DATA) -> str:
    """Directory of one size's files."""
    return os.path.join(root, size)


def paths(size: str, fmt: str = "parquet", root: str = DATA) -> dict[str, str]:
    """Contacts file and events glob of a size in a format."""
    base = os.path.join(size_dir(size, root), fmt)
    return {"contacts": os.path.join(base, f"contacts.{fmt}"), "events": os.path.join(base, "events", f"*.{fmt}"),
            "events_dir": os.path.join(base, "events")}


def _unique_contacts(contacts: pl.LazyFrame) -> pl.LazyFrame:
    email_key = pl.col("Email").str.strip_chars().str.to_lowercase()
    return (contacts.filter(pl.col("Record ID").is_first_distinct())
            .filter(email_key.is_null() | email_key.is_first_distinct()))


def generate(size: str, root: str = DATA, *, csv: bool = True, log=print) -> dict[str, str]:
    """Write one size (skipped when its ``done`` marker exists). Returns the Parquet paths."""
    spec_size = SIZES[size]
    out = size_dir(size, root)
    marker = os.path.join(out, "done")
    if os.path.exists(marker):
        return paths(size, "parquet", root)
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    spec = SampleSpec(leads=spec_size.leads, events=spec_size.events, seed=SEED)
    # Contacts do not depend on the event count: generate them alone, then dedupe.
    tmp = os.path.join(out, "_contacts")
    write_sample(SampleSpec(leads=spec.leads, events=0, seed=SEED), tmp, fmt="parquet", events_per_file="all")
    contacts = _unique_contacts(pl.scan_parquet(os.path.join(tmp, "contacts.parquet"))).collect()
    formats = ["parquet"] + (["csv"] if csv else [])
    for fmt in formats:
        p = paths(size, fmt, root)
        os.makedirs(p["events_dir"], exist_ok=True)
        if fmt == "parquet":
            contacts.write_parquet(p["contacts"], row_group_size=ROW_GROUP)
        else:
            contacts.write_csv(p["contacts"])
    n_contacts = contacts.height
    del contacts
    shutil.rmtree(tmp)
    log(f"{size}: {n_contacts:,} contacts in {time.perf_counter() - t0:.0f}s")
    chunk_rows = min(EVENT_FILE_ROWS, max(1, spec.events))
    for part, chunk in enumerate(iter_event_chunks(spec, chunk_rows=chunk_rows)):
        name = f"part-{part:04d}"
        if csv:
            chunk.write_csv(os.path.join(paths(size, "csv", root)["events_dir"], f"{name}.csv"))
        typed = chunk.with_columns(pl.col("Timestamp").str.strptime(pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%SZ"))
        typed.write_parquet(os.path.join(paths(size, "parquet", root)["events_dir"], f"{name}.parquet"),
                            row_group_size=ROW_GROUP)
        log(f"{size}: events {(part + 1) * chunk_rows:,} of {spec.events:,} in {time.perf_counter() - t0:.0f}s")
    with open(marker, "w") as fh:
        fh.write(f"contacts={n_contacts}\nevents={spec.events}\n")
    return paths(size, "parquet", root)


def typed_contacts(size: str, root: str = DATA) -> str:
    """The size's contacts with the company size as a number; written once, returns its path.

    The SQL engines (``leadq score --engine duckdb|spark``) refuse numbers stored as
    text (exit 3): a SQL cast would read "2,349" as a blank. The engine crossover in
    the README is measured on this file.
    """
    out = os.path.join(size_dir(size, root), "parquet", "contacts_typed.parquet")
    if not os.path.exists(out):
        employees = pl.col("Number of Employees").str.replace_all(r"[,\s]", "").cast(pl.Float64, strict=False)
        pl.scan_parquet(paths(size, "parquet", root)["contacts"]).with_columns(employees) \
            .sink_parquet(out + ".tmp", row_group_size=ROW_GROUP)
        os.replace(out + ".tmp", out)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: generate one or more sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), action="append", required=True)
    parser.add_argument("--no-csv", action="store_true", help="Parquet only (saves time and disk at L)")
    parser.add_argument("--typed", action="store_true",
                        help="also parquet/contacts_typed.parquet, company size as a number (for --engine duckdb|spark)")
    args = parser.parse_args(argv)
    for size in args.size:
        generate(size, csv=not args.no_csv)
        if args.typed:
            print(typed_contacts(size))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(HERE))
    sys.exit(main())
