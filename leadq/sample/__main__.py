"""``python -m leadq.sample``: write a deterministic sample CRM export from the command line."""

from __future__ import annotations

import argparse
import sys

from leadq.errors import EXIT_INTERRUPTED, LeadqError
from leadq.sample import SampleSpec, write_sample

if __name__ == "__main__":
    import time

    parser = argparse.ArgumentParser(
        prog="python -m leadq.sample", description="Write a deterministic sample CRM export."
    )
    parser.add_argument("--leads", type=int, default=SampleSpec.leads)
    parser.add_argument("--events", type=int, default=SampleSpec.events)
    parser.add_argument("--accounts", type=int, default=None)
    parser.add_argument("--seed", type=int, default=SampleSpec.seed)
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--events-per-file", choices=["month", "all"], default="month")
    parser.add_argument("--chunk-rows", type=int, default=5_000_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    try:
        paths = write_sample(
            SampleSpec(leads=args.leads, events=args.events, accounts=args.accounts, seed=args.seed),
            args.out,
            fmt=args.format,
            events_per_file=args.events_per_file,
            chunk_rows=args.chunk_rows,
        )
    except (LeadqError, ValueError) as exc:
        sys.exit(f"python -m leadq.sample: {exc}")
    except KeyboardInterrupt:
        sys.stderr.write(f"interrupted; {args.out} was left as it was\n")
        sys.exit(EXIT_INTERRUPTED)
    for path in paths:
        print(path)
    print(f"{len(paths)} files in {time.perf_counter() - t0:.1f}s")
