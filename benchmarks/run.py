"""Run the benchmark suite: leadq against hand-written Polars, DuckDB and pandas, and the floor.

Usage::

    python benchmarks/run.py --size S            # or tiny, M, L
    python benchmarks/run.py --size M --repeat 2 # best of two runs per step
    python benchmarks/run.py --scaling           # events 2M/20M/200M; rules 10/30/100/300 at S
    python benchmarks/run.py --startup           # `leadq --help` and a 100-row file, 11 runs each

Every step runs in a fresh child process, one after another, on the same
files; wall time is measured around the child, and peak RSS and CPU time are
the child's own, reported by ``/usr/bin/time`` (so one step's memory never
hides another's, and this process's size is not inherited across ``exec``).
Steps:

1. ``leadq score`` end to end (read, score with explanations, write Parquet),
   from Parquet and, where the CSV files exist, from CSV;
2. hand-written Polars (streaming sink), 3. hand-written DuckDB SQL,
4. vectorised pandas (tiny, S and M only), 5. the floor (scan, count per lead).

Steps 1-4 must agree on every lead's grade and tier and on scores to 1e-9;
a disagreement fails the run. Results go to ``benchmarks/results/<size>.json``
and ``benchmarks/RESULTS.md`` is rebuilt from every JSON file present.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import data as bdata  # noqa: E402

RESULTS_DIR = os.path.join(HERE, "results")
RESULTS_MD = os.path.join(HERE, "RESULTS.md")
RULESET = os.path.join(HERE, "ruleset.yaml")
AS_OF = "2026-11-01"
TOLERANCE = 1e-9
PANDAS_SIZES = ("tiny", "S", "M")


@dataclass
class Step:
    """One measured child process."""

    name: str
    wall_s: float
    peak_rss_mb: float
    exit_code: int
    cpu_s: float = 0.0
    cpu_ratio_to_leadq: float = 0.0
    rows_per_s: float = 0.0
    ratio_to_leadq: float = 0.0
    note: str = ""


@dataclass
class Run:
    """A benchmark run of one size."""

    size: str
    contacts: int
    events: int
    machine: dict
    steps: list[Step] = field(default_factory=list)
    agreement: dict = field(default_factory=dict)
    started: str = ""
    repeat: int = 1  # runs per step; the fastest counts


def machine() -> dict:
    """Core count, memory and library versions of this machine."""
    import polars

    info = {"cores": os.cpu_count(), "python": platform.python_version(), "polars": polars.__version__,
            "platform": platform.platform()}
    try:
        import psutil

        info["memory_gib"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        info["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    for mod in ("duckdb", "pandas", "pyarrow"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            info[mod] = None
    return info


def measure(cmd: list[str], log_path: str, timeout: float | None = None) -> tuple[float, float, int, float]:
    """Run ``cmd`` as a child; return (wall seconds, peak RSS in MB, exit code, CPU seconds).

    CPU time (user + system, all threads) is reported beside wall time because
    the development machine is shared: under load, wall time inflates while
    CPU time stays close to the work done.

    The peak RSS comes from ``/usr/bin/time`` (its child's ``ru_maxrss``): Linux
    carries the high-water mark of a forking parent into the child across
    ``exec``, so forking the step from this (Polars-importing) process would
    report at least this process's size. ``time`` is small, so its child's
    figure is the step's own.
    """
    rss_file = log_path + ".rss"
    wrapped = ["/usr/bin/time", "-f", "%M %U %S", "-o", rss_file] + cmd if os.path.exists("/usr/bin/time") else cmd
    with open(log_path, "wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        wall = time.perf_counter() - start
    if wrapped is cmd:
        return wall, float("nan"), code, float("nan")
    try:
        with open(rss_file) as fh:
            rss_kb, user, system = (float(v) for v in fh.read().strip().splitlines()[-1].split())
    except (OSError, ValueError, IndexError):
        rss_kb, user, system = float("nan"), float("nan"), 0.0
    return wall, rss_kb / 1024.0, code, user + system


def leadq_exe() -> list[str]:
    """The ``leadq`` command as installed beside this Python (or a stand-in that runs the same code)."""
    exe = os.path.join(os.path.dirname(sys.executable), "leadq")
    return [exe] if os.path.exists(exe) else [sys.executable, "-c", "from leadq.cli import main; main()"]


def leadq_cmd(contacts: str, events: str, out: str, ruleset: str = RULESET) -> list[str]:
    """The ``leadq score`` command line of a step."""
    return leadq_exe() + ["score", contacts, "--activities", events, "--ruleset", ruleset, "--as-of", AS_OF,
                     "--out", out, "--rejects", out + ".rejects.csv", "--quiet"]


def impl_cmd(name: str, contacts: str, events: str, out: str) -> list[str]:
    """The command line of a hand-written implementation."""
    return [sys.executable, "-m", "benchmarks.handwritten", name, contacts, events, out]


def steps_for(size: str, work: str) -> list[tuple[str, list[str], str]]:
    """(name, command, output path) of every step of a size, in run order."""
    pq = bdata.paths(size, "parquet")
    csv = bdata.paths(size, "csv")
    out = lambda name: os.path.join(work, f"{name}.parquet")  # noqa: E731
    steps = [("leadq", leadq_cmd(pq["contacts"], pq["events"], out("leadq")), out("leadq"))]
    if os.path.exists(csv["contacts"]):
        steps.append(("leadq (CSV input)", leadq_cmd(csv["contacts"], csv["events"], out("leadq_csv")),
                      out("leadq_csv")))
    for name in ("polars", "duckdb", "pandas", "floor"):
        if name == "pandas" and size not in PANDAS_SIZES:
            continue
        steps.append((name, impl_cmd(name, pq["contacts"], pq["events"], out(name)), out(name)))
    return steps


def agreement(reference: str, others: dict[str, str]) -> dict[str, dict]:
    """Compare every implementation's output with leadq's, lead by lead.

    Returns, per implementation: leads compared, leads missing on either side,
    grade/tier mismatches and the largest absolute score difference.
    """
    import polars as pl

    cols = ["lead_id", "fit_score", "intent_score", "total_score", "grade", "tier"]
    ref = pl.scan_parquet(reference).select(cols)
    report = {}
    for name, path in others.items():
        other = pl.scan_parquet(path).select(cols)
        j = ref.join(other, on="lead_id", how="full", suffix="_o", coalesce=False)
        diffs = [(pl.col(c) - pl.col(f"{c}_o")).abs().max().alias(c) for c in ("fit_score", "intent_score",
                                                                                "total_score")]
        row = j.select(
            pl.len().alias("leads"),
            pl.col("lead_id_o").is_null().sum().alias("missing_in_" + name),
            pl.col("lead_id").is_null().sum().alias("missing_in_leadq"),
            (pl.col("grade") != pl.col("grade_o")).sum().alias("grade_mismatches"),
            (pl.col("tier") != pl.col("tier_o")).sum().alias("tier_mismatches"),
            *diffs,
        ).collect(engine="streaming").row(0, named=True)
        max_diff = max(row.pop(c) or 0.0 for c in ("fit_score", "intent_score", "total_score"))
        row["max_score_diff"] = max_diff
        row["agrees"] = (row["missing_in_" + name] == 0 and row["missing_in_leadq"] == 0
                         and row["grade_mismatches"] == 0 and row["tier_mismatches"] == 0 and max_diff <= TOLERANCE)
        report[name] = row
    return report


def run_size(size: str, repeat: int = 1, only: list[str] | None = None, timeout: float | None = None,
             log=print) -> Run:
    """Generate (if needed) and benchmark one size."""
    bdata.generate(size, csv=size != "L", log=log)
    counts = dict(line.split("=") for line in open(os.path.join(bdata.size_dir(size), "done")).read().split())
    run = Run(size=size, contacts=int(counts["contacts"]), events=int(counts["events"]), machine=machine(),
              started=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), repeat=repeat)
    run.machine["load_average_at_start"] = round(os.getloadavg()[0], 1)
    work = os.path.join(bdata.size_dir(size), "out")
    os.makedirs(work, exist_ok=True)
    outputs = {}
    for name, cmd, out in steps_for(size, work):
        if only and name not in only:
            continue
        best = None
        for _ in range(repeat):
            if os.path.exists(out):
                os.remove(out)
            wall, rss, code, cpu = measure(cmd, os.path.join(work, f"{name}.log"), timeout)
            if best is None or (code == 0 and wall < best[0]):
                best = (wall, rss, code, cpu)
            if code != 0:
                break
        wall, rss, code, cpu = best
        note = "" if code == 0 else f"failed (exit {code}; see {os.path.relpath(os.path.join(work, name + '.log'), ROOT)})"
        run.steps.append(Step(name, round(wall, 3), round(rss, 1), code, cpu_s=round(cpu, 2),
                              rows_per_s=round(run.events / wall), note=note))
        log(f"{size} {name:<18} {wall:8.2f} s {cpu:8.2f} cpu-s {rss:8.0f} MB  exit {code}  load {os.getloadavg()[0]:.1f}")
        if code == 0:
            outputs[name] = out
    base = next((s for s in run.steps if s.name == "leadq"), None)
    for s in run.steps:
        if base and base.exit_code == 0 and s.exit_code == 0:
            s.ratio_to_leadq = round(s.wall_s / base.wall_s, 3)
            s.cpu_ratio_to_leadq = round(s.cpu_s / base.cpu_s, 3) if base.cpu_s else 0.0
    if "leadq" in outputs:
        others = {k: v for k, v in outputs.items() if k not in ("leadq", "floor")}
        run.agreement = agreement(outputs["leadq"], others)
    return run


# --------------------------------------------------------------------------- results


def save(run: Run) -> str:
    """Write the run's JSON and rebuild RESULTS.md."""
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, f"{run.size}.json")
    with open(path, "w") as fh:
        json.dump(asdict(run), fh, indent=2)
        fh.write("\n")
    write_markdown()
    return path


def _load_all() -> dict[str, dict]:
    runs = {}
    if not os.path.isdir(RESULTS_DIR):
        return runs
    for name in sorted(os.listdir(RESULTS_DIR)):
        if name.endswith(".json"):
            with open(os.path.join(RESULTS_DIR, name)) as fh:
                runs[name[:-5]] = json.load(fh)
    return runs


def table(run: dict) -> list[str]:
    """A run's steps as Markdown table lines."""
    lines = ["| step | wall (s) | CPU (s) | peak RSS (MB) | events/s | wall / leadq | CPU / leadq | agrees with leadq |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for s in run["steps"]:
        agree = run["agreement"].get(s["name"])
        verdict = "reference" if s["name"] == "leadq" else (
            "—" if agree is None else ("yes" if agree["agrees"] else f"**NO** ({agree})"))
        wall = f"{s['wall_s']:.2f}" if s["exit_code"] == 0 else f"{s['note']}"
        lines.append(f"| {s['name']} | {wall} | {s.get('cpu_s', 0):.2f} | {s['peak_rss_mb']:,.0f} | "
                     f"{s['rows_per_s']:,} | {s['ratio_to_leadq']:.2f} | {s.get('cpu_ratio_to_leadq', 0):.2f} | {verdict} |")
    return lines


def write_markdown() -> None:
    """Rebuild benchmarks/RESULTS.md from the JSON results and the notes file."""
    runs = _load_all()
    order = [s for s in ("tiny", "S", "M", "L") if s in runs]
    out = ["# Benchmark results", "",
           "Generated by `python benchmarks/run.py`; do not edit the tables by hand (notes live in "
           "`benchmarks/NOTES.md` and are copied below).", ""]
    if order:
        m = runs[order[-1]]["machine"]
        out += [f"Machine: {m['cores']} cores, {m['memory_gib']} GiB RAM, {m['platform']}; Python {m['python']}, "
                f"Polars {m['polars']}, DuckDB {m['duckdb']}, pandas {m['pandas']}, pyarrow {m['pyarrow']}.", ""]
    for size in order:
        run = runs[size]
        out += [f"## Size {size}: {run['contacts']:,} contacts, {run['events']:,} events", "",
                f"Run {run['started']}"
                + (f", fastest of {run['repeat']} runs per step" if run.get("repeat", 1) > 1 else "")
                + ". Time ratio > 1 means slower than leadq.", ""]
        out += table(run) + [""]
    if "scaling" in runs:
        out += scaling_markdown(runs["scaling"])
    if "startup" in runs:
        out += startup_markdown(runs["startup"])
    notes = os.path.join(HERE, "NOTES.md")
    if os.path.exists(notes):
        out += [open(notes).read().rstrip(), ""]
    with open(RESULTS_MD, "w") as fh:
        fh.write("\n".join(out))


# --------------------------------------------------------------------------- start-up

STARTUP_ROWS = 100
SAMPLE_CONTACTS = os.path.join(ROOT, "sample_data", "contacts.csv")


def startup_cmds(work: str) -> dict[str, list[str]]:
    """The start-up steps: ``leadq --help``, and scoring the first 100 sample contacts (default ruleset)."""
    with open(SAMPLE_CONTACTS, encoding="utf-8") as fh:
        lines = [next(fh) for _ in range(STARTUP_ROWS + 1)]
    contacts = os.path.join(work, f"contacts-{STARTUP_ROWS}.csv")
    with open(contacts, "w", encoding="utf-8") as fh:
        fh.writelines(lines)
    prefix = leadq_exe()
    return {"leadq --help": prefix + ["--help"],
            f"score a {STARTUP_ROWS}-row file": prefix + ["score", contacts, "--as-of", AS_OF,
                                                          "--out", os.path.join(work, "startup.parquet"), "--quiet"]}


def startup(runs: int, work: str, log=print) -> dict:
    """Wall time of each start-up step over ``runs`` fresh processes, as users run them.

    With the bytecode cache an installed package has: ``PYTHONDONTWRITEBYTECODE`` is
    dropped from the children's environment and each step runs once, unmeasured, first.
    """
    os.makedirs(work, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result: dict = {"runs": runs, "machine": machine(), "steps": []}
    for name, cmd in startup_cmds(work).items():
        walls = []
        for i in range(runs + 1):
            start = time.perf_counter()
            code = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
            if code != 0:
                raise RuntimeError(f"{name}: exit {code} ({' '.join(cmd)})")
            if i:  # the first run writes the bytecode cache
                walls.append(time.perf_counter() - start)
        walls.sort()
        step = {"name": name, "median_s": round(walls[len(walls) // 2], 3), "min_s": round(walls[0], 3),
                "max_s": round(walls[-1], 3)}
        result["steps"].append(step)
        log(f"startup {name}: median {step['median_s']:.2f} s ({step['min_s']:.2f}-{step['max_s']:.2f})")
    return result


def startup_markdown(res: dict) -> list[str]:
    """The start-up run as Markdown."""
    out = ["## Start-up", "", f"Wall time over {res['runs']} fresh processes each, with the bytecode cache "
           "(`python benchmarks/run.py --startup`; target: under 0.5 s):", "",
           "| step | median (s) | fastest (s) | slowest (s) |", "|---|---:|---:|---:|"]
    out += [f"| {s['name']} | {s['median_s']:.2f} | {s['min_s']:.2f} | {s['max_s']:.2f} |" for s in res["steps"]]
    return out + [""]


# --------------------------------------------------------------------------- scaling


def scaling(sizes: list[str], rule_counts: list[int], rules_size: str, timeout: float | None, log=print) -> dict:
    """leadq's time and memory as events grow and as rules grow; compile time per rule count."""
    from benchmarks import rulesets

    result: dict = {"events": [], "rules": [], "rules_size": rules_size}
    for size in sizes:
        bdata.generate(size, csv=False, log=log)
        pq = bdata.paths(size, "parquet")
        work = os.path.join(bdata.size_dir(size), "out")
        os.makedirs(work, exist_ok=True)
        out = os.path.join(work, "scaling.parquet")
        wall, rss, code, cpu = measure(leadq_cmd(pq["contacts"], pq["events"], out), out + ".log", timeout)
        events = bdata.SIZES[size].events
        result["events"].append({"size": size, "events": events, "wall_s": round(wall, 3), "cpu_s": round(cpu, 2),
                                 "peak_rss_mb": round(rss),
                                 "exit_code": code, "us_per_event": round(wall / events * 1e6, 3)})
        log(f"scaling events {size}: {wall:.2f} s {rss:.0f} MB exit {code}")
    pq = bdata.paths(rules_size, "parquet")
    work = os.path.join(bdata.size_dir(rules_size), "out")
    for n in rule_counts:
        path = rulesets.write(n)
        compile_s = rulesets.compile_seconds(path)
        out = os.path.join(work, f"rules{n}.parquet")
        wall, rss, code, cpu = measure(leadq_cmd(pq["contacts"], pq["events"], out, ruleset=path), out + ".log",
                                       timeout)
        result["rules"].append({"rules": n, "wall_s": round(wall, 3), "cpu_s": round(cpu, 2), "peak_rss_mb": round(rss),
                                "exit_code": code,
                                "compile_s": round(compile_s, 4)})
        log(f"scaling rules {n}: {wall:.2f} s {rss:.0f} MB compile {compile_s * 1000:.0f} ms exit {code}")
    return result


def scaling_markdown(res: dict) -> list[str]:
    """The scaling run as Markdown."""
    out = ["## Scaling", "", "leadq end to end from Parquet (30-rule benchmark ruleset) as events grow:", "",
           "| size | events | wall (s) | peak RSS (MB) | µs per event |", "|---|---:|---:|---:|---:|"]
    for r in res["events"]:
        wall = f"{r['wall_s']:.2f}" if r["exit_code"] == 0 else f"failed (exit {r['exit_code']})"
        out.append(f"| {r['size']} | {r['events']:,} | {wall} | {r['peak_rss_mb']:,} | {r['us_per_event']} |")
    out += ["", f"As rules grow (size {res['rules_size']}; generated rulesets, one third each fit, event and "
            "other rules; compile = load + validate + compile, in process):", "",
            "| rules | wall (s) | peak RSS (MB) | compile (ms) | compile share |", "|---:|---:|---:|---:|---:|"]
    for r in res["rules"]:
        out.append(f"| {r['rules']} | {r['wall_s']:.2f} | {r['peak_rss_mb']:,} | {r['compile_s'] * 1000:.0f} | "
                   f"{r['compile_s'] / r['wall_s']:.1%} |")
    return out + [""]


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description="leadq benchmark suite")
    parser.add_argument("--size", choices=list(bdata.SIZES))
    parser.add_argument("--repeat", type=int, default=1, help="runs per step; the fastest counts")
    parser.add_argument("--only", action="append", help="run only these steps (repeatable)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per step before it is killed")
    parser.add_argument("--scaling", action="store_true", help="the scaling run instead of one size")
    parser.add_argument("--scaling-sizes", default="S,M,L")
    parser.add_argument("--rules", default="10,30,100,300")
    parser.add_argument("--rules-size", default="S")
    parser.add_argument("--startup", action="store_true", help="the start-up run instead of one size")
    parser.add_argument("--startup-runs", type=int, default=11)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    if args.scaling or args.startup:
        if args.scaling:
            name, res = "scaling", scaling(args.scaling_sizes.split(","), [int(n) for n in args.rules.split(",")],
                                           args.rules_size, args.timeout)
        else:
            name, res = "startup", startup(args.startup_runs, os.path.join(bdata.DATA, "startup"))
        if not args.no_save:
            os.makedirs(RESULTS_DIR, exist_ok=True)
            with open(os.path.join(RESULTS_DIR, f"{name}.json"), "w") as fh:
                json.dump(res, fh, indent=2)
                fh.write("\n")
            write_markdown()
        return 0
    if not args.size:
        parser.error("give --size or --scaling")
    run = run_size(args.size, args.repeat, args.only, args.timeout)
    print("\n".join(table(asdict(run))))
    if not args.no_save:
        print(f"saved {save(run)}")
    bad = [k for k, v in run.agreement.items() if not v["agrees"]]
    failed = [s.name for s in run.steps if s.exit_code != 0]
    if bad or failed:
        print(f"disagreement: {bad}; failed steps: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
