"""Tests of the sample-data generator (leadq.sample)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from leadq.sample import SampleSpec, generate, iter_event_chunks, write_sample

REPO = Path(__file__).resolve().parent.parent
DATE_FMT = "%Y-%m-%d %H:%M"
MQL = "Became a Marketing Qualified Lead Date"
SQL = "Became a Sales Qualified Lead Date"
OPP = "Became an Opportunity Date"
WON = "Became a Customer Date"
LOST = "Closed Lost Date"
STAGE_DATES = [MQL, SQL, OPP, WON, LOST, "Date of first engagement"]


@pytest.fixture(scope="module")
def default() -> dict[str, pl.DataFrame]:
    return generate(SampleSpec())


def _reached(*cols: str) -> pl.Expr:
    # A contact reached a stage if that date or any later one is set (stages can be skipped).
    return pl.any_horizontal([pl.col(c).is_not_null() for c in cols])


def test_deterministic() -> None:
    spec = SampleSpec(leads=500, events=4000, seed=11)
    a, b = generate(spec), generate(spec)
    assert a.keys() == b.keys() == {"contacts", "accounts", "events"}
    for key in a:
        assert_frame_equal(a[key], b[key])


def test_seed_changes_output() -> None:
    a = generate(SampleSpec(leads=300, events=1000, seed=1))["contacts"]
    b = generate(SampleSpec(leads=300, events=1000, seed=2))["contacts"]
    assert not a.equals(b)


def test_row_counts(default: dict[str, pl.DataFrame]) -> None:
    spec = SampleSpec()
    assert default["contacts"].height == spec.leads
    assert default["accounts"].height == spec.leads // 4
    assert default["events"].height == spec.events
    small = generate(SampleSpec(leads=40, events=0, accounts=3))
    assert (small["contacts"].height, small["accounts"].height, small["events"].height) == (40, 3, 0)


def test_columns(default: dict[str, pl.DataFrame]) -> None:
    assert default["events"].columns == [
        "Contact ID", "Event Type", "Timestamp", "Page URL", "Campaign", "Workspace ID",
    ]
    assert default["accounts"].columns[:3] == ["Record ID", "Company name", "Company Domain Name"]
    c = default["contacts"]
    for col in ["Record ID", "Email", "Job Title", "Original Source", "Lifecycle Stage",
                "Create Date", *STAGE_DATES, "Associated Company ID", "Requested Demo"]:
        assert col in c.columns
    assert all(dtype == pl.String for dtype in c.schema.values())


def test_duplicates_are_the_intended_ones(default: dict[str, pl.DataFrame]) -> None:
    c = default["contacts"]
    dup_ids = c.filter(pl.col("Record ID").is_duplicated())
    n_extra = c.height - c["Record ID"].n_unique()
    assert 0.003 * c.height <= n_extra <= 0.02 * c.height
    # A duplicated Record ID is the same record exported twice: only Last Modified Date differs.
    per_id = dup_ids.drop("Last Modified Date").unique()
    assert per_id["Record ID"].n_unique() == per_id.height
    assert dup_ids.group_by("Record ID").agg(pl.col("Last Modified Date").n_unique())[
        "Last Modified Date"
    ].min() >= 1
    # Same person, new Record ID: the e-mail differs only by case/whitespace.
    norm = c.unique("Record ID").with_columns(
        key=pl.col("Email").str.strip_chars().str.to_lowercase()
    )
    raw_variants = norm.filter(pl.col("key").is_duplicated() & (pl.col("Email") != pl.col("key")))
    assert raw_variants.height >= 0.003 * c.height


def test_no_date_after_as_of(default: dict[str, pl.DataFrame]) -> None:
    c = default["contacts"]
    limit = SampleSpec().as_of.strftime(DATE_FMT)
    for col in ["Create Date", *STAGE_DATES, "Last Modified Date"]:
        # Zero-padded ISO-like strings compare in time order.
        assert (c[col].drop_nulls() <= limit).all(), col
    ts = default["events"]["Timestamp"]
    assert (ts < SampleSpec().as_of.strftime("%Y-%m-%dT%H:%M:%SZ")).all()
    assert ts.min() >= "2026-05-01T00:00:00Z"


def test_conversion_rates(default: dict[str, pl.DataFrame]) -> None:
    r = default["contacts"].select(
        n=pl.len(),
        mql=_reached(MQL, SQL, OPP, WON, LOST).sum(),
        sql=_reached(SQL, OPP, WON, LOST).sum(),
        opp=_reached(OPP, WON, LOST).sum(),
        won=_reached(WON).sum(),
        lost=_reached(LOST).sum(),
    ).row(0, named=True)
    assert 0.25 <= r["mql"] / r["n"] <= 0.35
    assert 0.15 <= r["sql"] / r["mql"] <= 0.25
    assert 0.25 <= r["opp"] / r["sql"] <= 0.40
    assert 0.20 <= r["won"] / (r["won"] + r["lost"]) <= 0.30


def test_funnel_quirks(default: dict[str, pl.DataFrame]) -> None:
    c = default["contacts"].with_columns(
        [pl.col(x).str.to_datetime(DATE_FMT) for x in ["Create Date", *STAGE_DATES]]
    )
    # Stage skipped: SQL missing although an opportunity exists (or MQL missing with SQL).
    skipped = c.filter(
        (pl.col(SQL).is_null() & pl.col(OPP).is_not_null())
        | (pl.col(MQL).is_null() & pl.col(SQL).is_not_null())
    )
    assert skipped.height >= 1
    assert c.filter(pl.col(SQL) < pl.col(MQL)).height >= 1
    assert (c[MQL].drop_nulls() >= c.filter(pl.col(MQL).is_not_null())["Create Date"]).all()
    won_stage = c.filter(pl.col(WON).is_not_null())["Lifecycle Stage"]
    assert (won_stage == "customer").all()
    mqls = c.filter(pl.col(MQL).is_not_null())
    untouched = mqls["Date of first engagement"].null_count() / mqls.height
    assert 0.05 <= untouched <= 0.2
    hours = (mqls["Date of first engagement"] - mqls[MQL]).dt.total_minutes().drop_nulls() / 60
    assert 2 <= hours.median() <= 12


def test_won_contacts_have_more_events(default: dict[str, pl.DataFrame]) -> None:
    counts = default["events"].group_by("Contact ID").len()
    c = (
        default["contacts"]
        .unique("Record ID", keep="first", maintain_order=True)
        .join(counts, left_on="Record ID", right_on="Contact ID", how="left")
        .with_columns(pl.col("len").fill_null(0))
    )
    won = c.filter(pl.col(WON).is_not_null())["len"].mean()
    rest = c.filter(pl.col(WON).is_null())["len"].mean()
    assert won > 2 * rest


def test_event_shares_and_unknown_ids(default: dict[str, pl.DataFrame]) -> None:
    e = default["events"]
    share = dict(e["Event Type"].value_counts(normalize=True).iter_rows())
    assert 0.40 <= share["page_view"] <= 0.50
    assert 0.005 <= share["demo_request"] <= 0.02
    known = e["Contact ID"].is_in(default["contacts"]["Record ID"].implode())
    assert 0.003 <= 1 - known.mean() <= 0.02
    product = e.filter(pl.col("Event Type").is_in(["signed_up", "used_core_feature"]))
    assert product["Workspace ID"].null_count() == 0
    assert e.filter(pl.col("Event Type") == "page_view")["Page URL"].null_count() == 0


def test_chunks_match_single_pass() -> None:
    spec = SampleSpec(leads=400, events=5000)
    whole = generate(spec)["events"]
    chunks = list(iter_event_chunks(spec, chunk_rows=1200))
    assert [ch.height for ch in chunks] == [1200, 1200, 1200, 1200, 200]
    key = ["Timestamp", "Contact ID", "Event Type", "Page URL"]
    assert_frame_equal(pl.concat(chunks).sort(key), whole.sort(key))


def test_write_sample_parquet_chunks(tmp_path: Path) -> None:
    spec = SampleSpec(leads=200, events=3000, as_of=datetime(2026, 3, 15, tzinfo=UTC), event_months=2)
    paths = write_sample(spec, str(tmp_path), fmt="parquet", chunk_rows=1000)
    names = sorted(Path(p).name for p in paths if "/events/" in p)
    assert names[0] == "events-2026-01-part0000.parquet"
    assert {n[7:14] for n in names} == {"2026-01", "2026-02", "2026-03"}
    events = pl.read_parquet(tmp_path / "events" / "*.parquet")
    assert events.height == 3000
    assert pl.read_parquet(tmp_path / "contacts.parquet").height == 200


def test_committed_sample_is_current(tmp_path: Path) -> None:
    committed = REPO / "sample_data"
    paths = write_sample(SampleSpec(leads=3000, events=40000, seed=7), str(tmp_path))
    for path in paths:
        rel = Path(path).relative_to(tmp_path)
        assert (committed / rel).read_bytes() == Path(path).read_bytes(), (
            f"sample_data/{rel} is stale: regenerate with "
            "python -m leadq.sample --leads 3000 --events 40000 --seed 7 --out sample_data"
        )
    on_disk = {p.relative_to(committed) for p in committed.rglob("*.csv")}
    assert on_disk == {Path(p).relative_to(tmp_path) for p in paths}


def test_the_sample_command_refuses_a_folder_with_files_unless_forced_and_a_file(tmp_path: Path) -> None:
    from conftest import run_cli

    out = tmp_path / "s"
    run_cli(["sample", "--out", out, "--leads", "200", "--events", "1000"])
    months = sorted(p.name for p in (out / "events").iterdir())
    result = run_cli(["sample", "--out", out, "--leads", "50", "--events", "5", "--seed", "3"], exit_code=2)
    assert f"--out {out} holds files already" in result.stderr
    (out / "notes.txt").write_text("mine")
    run_cli(["sample", "--out", out, "--leads", "50", "--events", "5", "--seed", "3", "--force"])
    # The earlier sample's files are gone (a glob read both), the user's own file stays.
    assert len(list((out / "events").iterdir())) < len(months)
    assert pl.read_csv(out / "contacts.csv").height == 50 and (out / "notes.txt").read_text() == "mine"
    (tmp_path / "afile").write_text("x")
    for target in (tmp_path / "afile", "-"):
        result = run_cli(["sample", "--out", target], exit_code=2)
        assert "leadq sample writes a folder of files" in result.stderr


# --- all files or none -------------------------------------------------------------------------------
# The sample is written into a temporary folder beside --out and moved in once complete: a failure or an
# interrupt at any point leaves --out (and the folder around it) exactly as it was.

SMALL = ["--leads", "60", "--events", "400"]


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``root``, hidden ones too."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def _before(tmp_path: Path, state: str) -> tuple[Path, list[str]]:
    """A --out in ``state`` (missing, with a missing parent too; empty; holding an earlier sample and a file
    of the user's) and the sample command's arguments for it."""
    from conftest import run_cli

    if state == "missing":
        return tmp_path / "new" / "s", []
    out = tmp_path / "s"
    out.mkdir()
    if state == "earlier":
        run_cli(["sample", "--out", out, "--leads", "40", "--events", "300", "--seed", "5"])
        (out / "notes.txt").write_text("mine")
        return out, ["--force"]
    return out, []


def _failing_on_third_file(monkeypatch: pytest.MonkeyPatch, fail) -> None:
    import leadq.sample as sample

    real, calls = sample._write, []

    def write(df: pl.DataFrame, path: str, fmt: str) -> None:
        calls.append(path)
        if len(calls) == 3:
            fail(path)
        real(df, path, fmt)

    monkeypatch.setattr(sample, "_write", write)


def _disk_full(path: str) -> None:
    import errno
    import os

    with open(path, "wb") as fh:  # half a file, as a full disk leaves it
        fh.write(b"Contact ID,Ev")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)


def _ctrl_c(path: str) -> None:
    raise KeyboardInterrupt


def _sigterm(path: str) -> None:
    import os
    import signal

    os.kill(os.getpid(), signal.SIGTERM)


@pytest.mark.parametrize("state", ["missing", "empty", "earlier"])
@pytest.mark.parametrize(("fail", "exit_code", "message"), [
    (_disk_full, 4, "events-2026-05.csv: no space left on device"),
    (_ctrl_c, 130, "interrupted"),
    (_sigterm, 130, "interrupted"),
], ids=["disk_full", "ctrl_c", "sigterm"])
def test_a_failure_on_the_third_file_leaves_the_folder_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state: str, fail, exit_code: int, message: str) -> None:
    from conftest import run_cli

    out, force = _before(tmp_path, state)
    before = _tree(tmp_path)
    _failing_on_third_file(monkeypatch, fail)
    result = run_cli(["sample", "--out", out, *SMALL, "--format", "csv", *force], exit_code=exit_code)
    assert message in result.stderr and "Traceback" not in result.stderr
    if exit_code == 4:
        assert f"cannot write {out}/events/" in result.stderr and f"{out} was left as it was" in result.stderr
    assert _tree(tmp_path) == before  # no temporary folder beside it either


@pytest.mark.parametrize("how", ["refused", "signal"])
def test_a_failure_while_moving_the_files_in_puts_the_earlier_sample_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """The earlier sample is moved aside only as the new one moves in: a move refused, or a SIGTERM
    among the moves, undoes them all."""
    import errno
    import os
    import signal

    from conftest import run_cli

    out, force = _before(tmp_path, "earlier")
    before = _tree(tmp_path)
    real, moved_in = os.rename, []

    def rename(src, dst, *args, **kwargs):
        if Path(dst).parent in (out, out / "events") and ".tmp" in str(src):
            moved_in.append(dst)
            if len(moved_in) == 2:
                if how == "refused":
                    raise OSError(errno.EACCES, "Permission denied", dst)
                os.kill(os.getpid(), signal.SIGTERM)
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "rename", rename)
    result = run_cli(["sample", "--out", out, *SMALL, *force], exit_code=4 if how == "refused" else 130)
    if how == "refused":
        assert f"cannot write {out}/" in result.stderr and "permission denied" in result.stderr
    assert len(moved_in) >= 2 and _tree(tmp_path) == before


def test_a_signal_during_the_single_rename_of_a_new_folder_undoes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import signal

    from conftest import run_cli

    real = os.rename

    def rename_then_signal(src, dst, *args, **kwargs):
        real(src, dst, *args, **kwargs)
        if Path(dst) == tmp_path / "s":
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(os, "rename", rename_then_signal)
    run_cli(["sample", "--out", tmp_path / "s", *SMALL], exit_code=130)
    assert _tree(tmp_path) == {}


def test_the_sample_goes_inside_the_folder_when_beside_it_cannot_be_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An existing --out whose parent is read-only (or another file system: a container's volume)."""
    import errno
    import os

    from conftest import run_cli

    out = tmp_path / "s"
    out.mkdir()
    real = os.mkdir

    def mkdir(path, *args, **kwargs):
        if Path(path).parent == tmp_path:
            raise OSError(errno.EACCES, "Permission denied", path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    run_cli(["sample", "--out", out, *SMALL])
    assert sorted(_tree(tmp_path)) == ["s", "s/accounts.csv", "s/contacts.csv", "s/events",
                                       *(f"s/events/events-2026-{m:02d}.csv" for m in range(5, 11))]
    _failing_on_third_file(monkeypatch, _ctrl_c)
    before = _tree(tmp_path)
    run_cli(["sample", "--out", out, *SMALL, "--force"], exit_code=130)
    assert _tree(tmp_path) == before


def test_the_sample_command_writes_the_committed_sample(tmp_path: Path) -> None:
    """Through the temporary folder, into a new folder and into an existing empty one: the same bytes."""
    from conftest import run_cli

    committed = {rel: data for rel, data in _tree(REPO / "sample_data").items() if rel != "README.md"}
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "new", tmp_path / "empty"):
        run_cli(["sample", "--out", out])
        assert _tree(out) == committed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "new"]


# --- two runs, and runs killed outright ------------------------------------------------------------


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_a_second_run_into_the_same_folder_stops_with_the_first_ones_pid(tmp_path: Path, state: str) -> None:
    import subprocess
    import sys

    from conftest import run_cli

    out = tmp_path / "s"
    lock = tmp_path / ".s.lock"  # a new folder's lock is hidden beside it; an existing one's inside it
    locked = out
    if state == "empty":
        out.mkdir()
        lock = out / ".leadq-sample.lock"
        locked = out / ".leadq-sample"
    # The first run, still going, holds the lock's flock (its pid may mean nothing here: another container).
    first = subprocess.Popen([sys.executable, "-c", "import fcntl, os, sys, time\n"
                              "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
                              "fcntl.flock(fd, fcntl.LOCK_EX)\nos.write(fd, b'%d\\n' % os.getpid())\n"
                              "print(flush=True)\ntime.sleep(120)", str(lock)], stdout=subprocess.PIPE)
    try:
        first.stdout.readline()
        before = _tree(tmp_path)
        result = run_cli(["sample", "--out", out, *SMALL], exit_code=4)
    finally:
        first.kill()
        first.wait()
    assert result.stderr == (f"leadq: error: {locked} is being written by another leadq run (pid {first.pid}), which "
                             f"holds {lock}; wait for it to end\n")
    assert _tree(tmp_path) == before


def _until_running_a_program_named(pid: int, name: bytes) -> None:
    """Wait (at most 10 s) until ``pid`` runs the program: right after the fork /proc shows no command line."""
    import time

    for _ in range(1000):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if name in fh.read():
                    return
        except OSError:
            return  # no /proc here: nothing to wait for
        time.sleep(0.01)


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_the_temporary_folder_of_a_run_killed_outright_is_removed_by_the_next_run(
        tmp_path: Path, state: str) -> None:
    import os
    import subprocess
    import sys

    from conftest import run_cli

    out = tmp_path / "s"
    where, prefix = tmp_path, ".s"
    if state == "empty":
        out.mkdir()
        where, prefix = out, ".leadq-sample"
    killed = where / f"{prefix}.{_dead_pid()}-0123456789ab.tmp"
    (killed / "events").mkdir(parents=True)
    (killed / "events" / "events-2026-05.csv").write_text("Contact ID,Ev")  # half written
    # Killed too, their pid now this very run's (a container starts each cron run with the same small pid) or
    # a live process that is no leadq run (a shell): as the output lock reads them.
    again = where / f"{prefix}.{os.getpid()}-aaaaaaaaaaaa.tmp"
    shell = subprocess.Popen(["sh", "-c", "sleep 120"])
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])  # another run, still going
    _until_running_a_program_named(shell.pid, b"sleep")  # before its exec its command line reads as empty
    taken = where / f"{prefix}.{shell.pid}-bbbbbbbbbbbb.tmp"
    running = where / f"{prefix}.{other.pid}-ba9876543210.tmp"
    for folder in (again, taken, running):
        folder.mkdir()
    try:
        run_cli(["sample", "--out", out, *SMALL])  # no --force: the leftovers are not files of the user's
    finally:
        for process in (shell, other):
            process.kill()
            process.wait()
    assert not killed.exists() and not again.exists() and not taken.exists() and running.is_dir()
    assert pl.read_csv(out / "contacts.csv").height == 60
