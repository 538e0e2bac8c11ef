"""Time `leadq funnel` on a generated 1M-contact export.

Usage:
    python benchmarks/funnel_bench.py [--leads 1000000] [--dir /tmp/leadq-funnel-bench] [--by lead_source,company_size]

Generates the contacts only (events=0) with leadq.sample, writes them once as CSV (cached in --dir),
then runs the `leadq funnel` command in-process and prints the wall time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--dir", default="/tmp/leadq-funnel-bench")
    parser.add_argument("--by", default="lead_source,company_size")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from leadq.sample import SampleSpec, generate

    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    contacts = out / f"contacts-{args.leads}.csv"
    if not contacts.exists():
        t0 = time.perf_counter()
        frames = generate(SampleSpec(leads=args.leads, events=0, seed=7))
        frames["contacts"].write_csv(contacts)
        print(f"generated {args.leads:,} contacts in {time.perf_counter() - t0:.1f}s -> {contacts}")

    from typer.testing import CliRunner

    from leadq.cli import app

    cmd = ["funnel", str(contacts), "--as-of", "2026-11-01", "--by", args.by, "--json", os.devnull, "--quiet"]
    import resource

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    times, cpus = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), cpu()
        result = CliRunner().invoke(app, cmd, catch_exceptions=False)
        times.append(time.perf_counter() - t0)
        cpus.append(cpu() - c0)
        if result.exit_code != 0:
            sys.exit(f"leadq funnel failed ({result.exit_code}): {result.stderr}")
    print(f"leadq funnel {' '.join(cmd[2:])}")
    print(f"{args.leads:,} contacts: best {min(times):.2f}s wall, runs {', '.join(f'{t:.2f}' for t in times)}; "
          f"CPU (all threads) {', '.join(f'{c:.1f}' for c in cpus)}s; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
