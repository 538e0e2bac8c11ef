"""Changes since a previous run: what a scheduled job hands on to the CRM.

A nightly ``leadq score`` that feeds a CRM should not rewrite every record to
move a score by a tenth of a point, nor hand a lead that was an MQL yesterday to
sales again as news. With ``--previous`` (the output of an earlier run) each
scored lead gets:

* ``previous_tier``: its tier in the previous output (null for a new lead);
* ``score_change``: ``total_score`` now minus then (null for a new lead);
* ``change``: the first that holds of ``new`` (not in the previous output),
  ``tier_changed``, ``route_changed`` (a new route or owner, when the ruleset
  routes), ``score_changed`` (the total moved by at least ``min_score_change``
  points: decay moves scores a little every day) and ``unchanged``.

Leads of the previous output that are not scored now are counted as ``gone``,
and ``--changes`` lists them too (:func:`only_changed`). When the ruleset routes
with owners, a lead that stays in its route keeps the owner the previous output
gave it (if that owner is still on the route); the other leads of a route go to
its least loaded owners, in lead-id order. On a route with ``assign: account``
an account's other contacts follow the owner its kept contacts have, and only
new accounts take turns (a capacity counts them). ``--max-tier-changes`` stops a run
that moves too many leads at once (:func:`check_tier_changes`). Everything here
is Polars on the scored frame, after scoring.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Sequence

import polars as pl

from leadq.accounts import KEY_COLUMN
from leadq.cleaning import stripped_text
from leadq.compressed_input import COMPRESSION_BY_EXTENSION
from leadq.errors import InputError, TooManyChangesError, UsageError, did_you_mean, os_reason
from leadq.inputs import (FORMAT_BY_EXTENSION, INPUT_ONLY_FORMAT_BY_EXTENSION, SOURCE_ROW, ReadOptions,
                          collect_input, format_from_content, read_input_files, stream_file_bytes)
from leadq.outputs import FORMULA_PREFIX
from leadq.ruleset import Ruleset
from leadq.summary import count_by

CHANGE_COLUMNS = ("previous_tier", "score_change", "change")
CHANGES = ("new", "tier_changed", "route_changed", "score_changed", "unchanged")
DEFAULT_MIN_SCORE_CHANGE = 1.0
REQUIRED = ("lead_id", "tier", "total_score")
_ROUTING = ("route", "owner")
_FORMULA_ESCAPE = "^'" + FORMULA_PREFIX[1:]  # a CSV value as outputs.py escapes a formula


def _written_format(path: str) -> str | None:
    """The format of an earlier output whose name does not say it, from its first bytes (else None).

    ``-o state`` writes Parquet (``--format`` another format) under a name without an extension:
    the next run's ``--previous state`` must read it back.
    """
    ext = os.path.splitext(path)[1].lower()
    if ext in FORMAT_BY_EXTENSION or ext in INPUT_ONLY_FORMAT_BY_EXTENSION or ext in COMPRESSION_BY_EXTENSION:
        return None
    piped = stream_file_bytes(path)  # a named pipe (`--previous <(aws s3 cp ... -)`) is read once, and kept
    if piped is not None:
        return format_from_content(piped[:64])
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise InputError(f"--previous {path}: cannot read: {os_reason(exc)}") from None
    return format_from_content(head)


@dataclass(frozen=True)
class PreviousRun:
    """The leads of an earlier ``leadq score`` output: lead_id, tier, total_score (and route, owner)."""

    path: str
    frame: pl.DataFrame
    as_of: str | None = None
    first_run: bool = False  # no previous output yet: every lead is new


def read_previous(path: str, *, missing_ok: bool = False, keep_columns: Sequence[str] = ()) -> PreviousRun:
    """Read an earlier output of ``leadq score``, in any format leadq reads (by its extension).

    With ``missing_ok`` a missing file is a first run (no lead seen before): the
    CLI allows it when ``--previous`` is ``--out`` itself, the file each run replaces.

    Raises:
        InputError: the file is missing (unless ``missing_ok``) or unreadable,
            lacks a column, repeats a lead id or holds an unreadable total score.
    """
    where = f"--previous {path}"
    empty = pl.DataFrame(schema={"lead_id": pl.String, "tier": pl.String, "total_score": pl.Float64})
    if not os.path.exists(path):
        if missing_ok:
            return PreviousRun(path=path, frame=empty, first_run=True)
        raise InputError(f"{where}: no such file (a first run has no previous output: leave --previous out, "
                         "or make --previous the --out file, which a first run creates)")
    if os.path.isdir(path):
        raise InputError(f"{where}: is a directory; give the scored file of the earlier run")
    # The readers of the inputs: every format leadq reads (a CSV re-saved by a spreadsheet with
    # semicolons or a BOM, a workbook), text kept as text, rows numbered as in error messages.
    try:
        files = read_input_files([path], ReadOptions(input_format=_written_format(path)))
    except InputError as exc:
        raise InputError(f"--previous: {exc}") from None
    names = files[0].columns
    if not names:  # zero bytes: the NDJSON an earlier run wrote for no leads
        return PreviousRun(path=path, frame=empty)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InputError(f"{where}: no column '{missing[0]}'{did_you_mean(missing[0], names)}; give the output "
                         "file of an earlier leadq score run")
    # The kept input columns it holds too: the --changes file fills them in for the leads gone since.
    wanted = [c for c in dict.fromkeys((*REQUIRED, *_ROUTING, *keep_columns)) if c in names]
    frame = collect_input(files[0].frame.select(*wanted, SOURCE_ROW), where)
    if files[0].parquet_path is None:  # text: undo the escape of formula-like values in CSV output
        frame = frame.with_columns(
            pl.when(pl.col(c).str.contains(_FORMULA_ESCAPE)).then(pl.col(c).str.slice(1)).otherwise(pl.col(c))
            for c in wanted if frame.schema[c] == pl.String)
    as_of = None
    if files[0].parquet_path is not None:
        as_of = pl.read_parquet_metadata(files[0].parquet_path).get("leadq.as_of")
    # Ids as the contacts' are read: a pandas round trip stores them as floats (1000001.0 is lead 1000001).
    frame = frame.with_columns(stripped_text(pl.col("lead_id"), frame.schema["lead_id"]), pl.col("tier").cast(pl.String),
                               pl.col("total_score").cast(pl.Float64, strict=False).alias("_total"))
    bad = frame.filter(pl.col("_total").is_null() | pl.col("lead_id").is_null())
    if bad.height:
        row = bad.row(0, named=True)
        what = "no lead_id" if row["lead_id"] is None else f"total_score '{row['total_score']}' is not a number"
        raise InputError(f"{where}: row {row[SOURCE_ROW]}: {what}; give the output file of an earlier leadq "
                         "score run")
    dup = frame.group_by("lead_id").len().filter(pl.col("len") > 1).sort("lead_id").head(1)
    if dup.height:
        raise InputError(f"{where}: lead_id '{dup['lead_id'][0]}' appears {dup['len'][0]} times; a scored output "
                         "holds each lead once")
    frame = frame.drop("total_score", SOURCE_ROW).rename({"_total": "total_score"})
    return PreviousRun(path=path, frame=frame, as_of=as_of)


def not_before_note(previous: PreviousRun, as_of: datetime | None) -> str | None:
    """What it means when the previous output's as-of time is not before this run's (None when it is, or
    when either is unknown: a previous output in CSV or NDJSON records no as-of time).

    A same-day retry compares with the run it retries (its --changes file holds only what moved since:
    the first run's hand-off is lost if the CRM sync had not taken it); a backfill run out of order
    compares with the future. Both are legitimate, so the run goes on and says so.
    """
    if as_of is None or not previous.as_of or previous.first_run:
        return None
    try:
        before = datetime.fromisoformat(previous.as_of)
    except ValueError:
        return None
    if before.tzinfo is None:
        before = before.replace(tzinfo=timezone.utc)
    if before < as_of:
        return None
    this = as_of.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return (f"--previous {previous.path}: changes are against a run as of {previous.as_of}, not before this "
            f"one's {this}: a retry or a backfill out of order?")


def compare_with_previous(scored: pl.DataFrame, previous: PreviousRun, ruleset: Ruleset,
                          min_score_change: float = DEFAULT_MIN_SCORE_CHANGE,
                          as_of: datetime | None = None,
                          account_keys: pl.DataFrame | None = None) -> tuple[pl.DataFrame, dict]:
    """The scored frame with the change columns (and kept owners), and the change figures for the summary.

    ``as_of``: this run's as-of time; a previous output as of it or later gives ``previous_not_before``
    true and a ``warning`` (:func:`not_before_note`).

    ``account_keys``: each lead's account key (``ScoreResult.account_keys``:
    :func:`leadq.routing.account_keys`), or the key as a column of ``scored``. On a route with
    ``assign: account`` an account's new contacts then get the owner its kept contacts have
    (:func:`_keep_owners`); without the keys every contact is its own account there.

    Raises:
        UsageError: ``min_score_change`` is negative or not a number, or the
            scored frame already has a column named like a change column.
    """
    check_min_score_change(min_score_change)
    _check_no_clash(scored.columns)
    prev = previous.frame.select(
        "lead_id", pl.col("tier").alias("previous_tier"), pl.col("total_score").alias("_prev_total"),
        *[pl.col(c).cast(pl.String).alias(f"_prev_{c}") for c in _ROUTING if c in previous.frame.columns],
        pl.lit(True).alias("_seen"))
    joined = scored.join(prev, on="lead_id", how="left", maintain_order="left")
    if account_keys is not None and KEY_COLUMN not in joined.columns:
        joined = joined.join(account_keys.select("lead_id", KEY_COLUMN), on="lead_id", how="left", maintain_order="left")
    owners_kept = None
    if _owners_of(ruleset) and "owner" in scored.columns and "_prev_owner" in joined.columns:
        joined, owners_kept = _keep_owners(joined, ruleset)
    seen = pl.col("_seen").fill_null(False)
    delta = (pl.col("total_score") - pl.col("_prev_total")).round(9)
    change = (pl.when(~seen).then(pl.lit("new"))
              .when(pl.col("tier") != pl.col("previous_tier")).then(pl.lit("tier_changed")))
    moved = [pl.col(c).ne_missing(pl.col(f"_prev_{c}")) for c in _ROUTING
             if c in scored.columns and f"_prev_{c}" in joined.columns]
    if moved:  # a new route, or a new owner on the same route (the previous one left it)
        change = change.when(pl.any_horizontal(moved)).then(pl.lit("route_changed"))
    # A total that did not move is unchanged whatever the floor: with --min-score-change 0 every lead was
    # "score_changed" and the hand-off held them all.
    change = (change.when((delta != 0) & (delta.abs() >= min_score_change)).then(pl.lit("score_changed"))
              .otherwise(pl.lit("unchanged")))
    joined = joined.with_columns(delta.alias("score_change"), change.alias("change"))
    out = joined.select(*scored.columns, *CHANGE_COLUMNS)
    counts = count_by(out, "change")  # at most five values
    moves = (out.filter(pl.col("change") == "tier_changed").group_by("previous_tier", "tier").len()
             .sort(["len", "previous_tier", "tier"], descending=[True, False, False]))
    gone = previous.frame.join(scored.select("lead_id"), on="lead_id", how="anti").height
    note = not_before_note(previous, as_of)
    figures = {
        "previous": previous.path, "previous_as_of": previous.as_of, "previous_leads": previous.frame.height,
        "first_run": previous.first_run,
        "previous_not_before": note is not None,
        "warning": note,
        "min_score_change": min_score_change,
        **{c: int(counts.get(c, 0)) for c in CHANGES}, "gone": gone,
        "transitions": moves.select(pl.col("previous_tier").alias("from"), pl.col("tier").alias("to"),
                                    pl.col("len").cast(pl.Int64).alias("leads")).to_dicts(),
        "owners_kept": owners_kept,
    }
    return out, figures


def check_not_empty(scored: int, input_rows: int, rejected_by_reason: dict[str, int], previous: PreviousRun) -> None:
    """Stop a run that scored no lead when the previous output holds some (``--allow-empty`` skips this check).

    An empty export is valid, but after a run that had leads it is far more likely a failed upstream step
    (a download that failed and left an empty file, a query that timed out) than a CRM with no leads; the
    run would write an empty state and hand every lead on as ``gone``. Every row rejected is the same
    case (a header renamed upstream).

    Raises:
        InputError: before anything is written, saying how to go on on purpose.
    """
    if scored or not previous.frame.height:
        return
    if input_rows:
        top = next(iter(rejected_by_reason.items()), None)
        what = f"every one of the {input_rows:,} rows read was rejected" + (f" (most: {top[0]} {top[1]:,})" if top else "")
    else:
        what = "the input holds no leads (0 rows read)"
    raise InputError(f"no lead scored: {what}, and --previous {previous.path} holds {previous.frame.height:,}. "
                     "No output was written: after a run with leads this is more likely a failed export "
                     "upstream than a CRM with none. Check the input; to write the empty output and hand on every lead as "
                     "'gone', run again with --allow-empty")


def check_change_options(previous: str | None, changes: str | None, min_score_change: float | None,
                         keep_columns: Sequence[str] = (), max_tier_changes: float | None = None) -> None:
    """Refuse ``--changes``, ``--min-score-change`` or ``--max-tier-changes`` without ``--previous`` (``None``:
    not given), bad thresholds, and a kept column named like a change column. (A changes file that is another
    output: :func:`leadq.outputs.check_outputs_distinct`.)

    Raises:
        UsageError: before anything is read or written.
    """
    for option, given in (("--changes", changes), ("--min-score-change", min_score_change is not None),
                          ("--max-tier-changes", max_tier_changes is not None)):
        if given and not previous:
            raise UsageError(f"{option} needs --previous (the output of an earlier run to compare with)")
    if max_tier_changes is not None and not 0 <= max_tier_changes <= 100:
        raise UsageError(f"--max-tier-changes: expected a percentage from 0 to 100, got {max_tier_changes:g}")
    if min_score_change is not None:
        check_min_score_change(min_score_change)
    if previous:
        _check_no_clash(keep_columns)


def _check_no_clash(columns: Sequence[str]) -> None:
    clash = [c for c in CHANGE_COLUMNS if c in columns]
    if clash:
        raise UsageError(f"--keep-columns: '{clash[0]}' has the name of a column --previous adds; rename it first")


def check_min_score_change(points: float) -> None:
    """Refuse a threshold that is negative or not a finite number (UsageError)."""
    if not (points >= 0 and math.isfinite(points)):
        raise UsageError(f"--min-score-change: expected a number of points >= 0, got {points}")


def check_tier_changes(figures: dict, max_percent: float) -> None:
    """Stop a run whose leads changed tier (or went) more than ``max_percent`` of the previous output's.

    A scheduled job's guard against a broken export: an activity log that did not
    arrive, or a contacts file cut short, moves thousands of leads at once, and the
    CRM should not follow. A first run (no previous output) is not checked.

    Raises:
        TooManyChangesError: with the share, the counts and the commonest moves.
    """
    base = figures["previous_leads"]
    moved = figures["tier_changed"] + figures["gone"]
    if not base or moved * 100 <= max_percent * base:
        return
    moves = "; ".join(f"{m['from']} -> {m['to']} {m['leads']:,}" for m in figures["transitions"][:3])
    raise TooManyChangesError(
        f"--max-tier-changes {max_percent:g}: {moved * 100 / base:.2f}% of the {base:,} leads of "
        f"{figures['previous']} changed tier ({figures['tier_changed']:,}) or are gone ({figures['gone']:,})"
        + (f"; most: {moves}" if moves else "") + ". No output was written: check the inputs, then run "
        "again with a higher limit to accept the changes")


def only_changed(scored: pl.DataFrame, previous: PreviousRun) -> pl.DataFrame:
    """What ``--changes`` writes: the leads whose ``change`` is not ``unchanged``, then a row for each
    lead of the previous output that is not scored now (``change`` = ``gone``: only ``lead_id``,
    ``previous_tier`` and the kept input columns the previous output holds set), so that a CRM sync can take it out of the queues it was in."""
    changed = scored.filter(pl.col("change") != "unchanged")
    kept = [c for c in previous.frame.columns
            if c in scored.columns and c not in (*REQUIRED, *_ROUTING, *CHANGE_COLUMNS)]
    gone = (previous.frame.join(scored.select("lead_id"), on="lead_id", how="anti")
            .select("lead_id", pl.col("tier").alias("previous_tier"), pl.lit("gone").alias("change"), *kept))
    if not gone.height:
        return changed
    return pl.concat([changed, gone], how="diagonal_relaxed").select(scored.columns)


def _owners_of(ruleset: Ruleset) -> dict[str, tuple[tuple[str, int], ...]]:
    """Each route with owners: its owners and their shares of new leads."""
    routing = ruleset.actions.routing if ruleset.actions is not None else None
    if routing is None:
        return {}
    return {route: tuple(zip(routing.owners(route), routing.shares(route)))
            for route in routing.routes if routing.owners(route)}


def _capacities_of(ruleset: Ruleset) -> dict[str, tuple[int | None, ...]]:
    """Each route whose owners have capacities: each owner's (None: no limit), in the order of its owners."""
    routing = ruleset.actions.routing
    return {route: routing.capacities(route) for route in routing.routes if routing.capacities(route)}


def _keep_owners(joined: pl.DataFrame, ruleset: Ruleset) -> tuple[pl.DataFrame, int]:
    """A lead in the same route as before keeps its previous owner while that owner is still on the route
    (away or not); on a route with ``assign: account`` a lead that keeps none follows its account's kept owner
    (:func:`_account_owners`); the route's other leads go to its least loaded owners (:func:`_balanced_owners`)."""
    owners = _owners_of(ruleset)
    by_account = [route for route in ruleset.actions.routing.account_routes if route in owners]
    pairs = [f"{route}\x1f{owner}" for route, roster in owners.items() for owner, _ in roster]
    keep = ((pl.col("route") == pl.col("_prev_route")).fill_null(False)
            & pl.concat_str([pl.col("route"), pl.col("_prev_owner")], separator="\x1f").is_in(pairs).fill_null(False))
    joined = joined.with_columns(keep.alias("_keep"))
    if by_account and KEY_COLUMN not in joined.columns:  # no keys given: each contact is its own account
        joined = joined.with_columns(pl.lit(None, dtype=pl.String).alias(KEY_COLUMN))
    if by_account:
        joined = joined.join(_account_owners(joined, owners, by_account), on=["route", KEY_COLUMN], how="left",
                             maintain_order="left")
    else:
        joined = joined.with_columns(pl.lit(None, dtype=pl.String).alias("_acct_owner"))
    joined = joined.with_columns((~pl.col("_keep") & pl.col("_acct_owner").is_not_null()).alias("_follow"))
    fresh = _balanced_owners(joined, owners, _capacities_of(ruleset), by_account)
    joined = (joined.join(fresh, on="lead_id", how="left", maintain_order="left")
              .with_columns(pl.when(pl.col("_keep")).then(pl.col("_prev_owner"))
                            .when(pl.col("_follow")).then(pl.col("_acct_owner"))
                            .when(pl.col("route").is_in(list(owners))).then(pl.col("_fresh_owner"))
                            .otherwise(pl.col("owner")).alias("owner")))
    return joined, int(joined["_keep"].sum())


def _roster(owners: dict[str, tuple[tuple[str, int], ...]],
            capacities: dict[str, tuple[int | None, ...]]) -> pl.DataFrame:
    """One row per route and owner: route, _pos (the owner's place in the route's list), owner, _share, _cap."""
    return pl.DataFrame([(route, i, name, share, capacities[route][i] if route in capacities else None)
                         for route, names in owners.items() for i, (name, share) in enumerate(names)],
                        schema={"route": pl.String, "_pos": pl.Int64, "owner": pl.String, "_share": pl.Int64,
                                "_cap": pl.Int64}, orient="row")


def _account_owners(joined: pl.DataFrame, owners: dict[str, tuple[tuple[str, int], ...]],
                    by_account: list[str]) -> pl.DataFrame:
    """The owner of each account on an ``assign: account`` route that has kept leads there: route, the key,
    _acct_owner. Contacts kept under different owners (an account split before, or by an earlier
    ``assign: lead``): the owner who keeps most of them, ties by the order of the route's owners."""
    kept = joined.filter(pl.col("_keep") & pl.col("route").is_in(by_account) & pl.col(KEY_COLUMN).is_not_null())
    return (kept.group_by("route", KEY_COLUMN, pl.col("_prev_owner").alias("owner")).len()
            .join(_roster(owners, {}).select("route", "owner", "_pos"), on=["route", "owner"], how="inner")
            .sort(["route", KEY_COLUMN, "len", "_pos"], descending=[False, False, True, False])
            .unique(["route", KEY_COLUMN], keep="first", maintain_order=True)
            .select("route", KEY_COLUMN, pl.col("owner").alias("_acct_owner")))


def _balanced_owners(joined: pl.DataFrame, owners: dict[str, tuple[tuple[str, int], ...]],
                     capacities: dict[str, tuple[int | None, ...]] | None = None,
                     by_account: Sequence[str] = ()) -> pl.DataFrame:
    """An owner for each lead of a route with owners that keeps none (nor follows its account's,
    ``_follow``): lead_id, _fresh_owner.

    Each owner with a share above 0 has turns ordered by :func:`leadq.owners.turn_order`
    from the leads it keeps upward: (2 * (kept + turn) + 1) / (2 * share), ties in the
    ruleset's order of owners. The route's leads, in lead-id order, take the turns in
    that order. Without kept leads this is the rotation of :mod:`leadq.routing`; with
    them, new leads go first to the owners who keep fewest for their share. A route
    whose owners all have share 0 (away) gives its new leads no owner.

    An owner with a capacity (``capacities``: per route, per owner, None for no limit)
    has at most that many turns: the leads it keeps do not count, its new leads do.
    Such a route's leads take the turns most urgent first
    (:func:`leadq.routing.urgency_order`), and those left over get no owner.

    On the ``by_account`` routes (``assign: account``) an account takes a turn, not a lead
    (:func:`leadq.routing.account_rank_stages`, in its order): all its new contacts get the
    same owner, an owner's load is the accounts it keeps, and a capacity counts accounts.
    """
    from leadq.routing import UNIT_POS, account_rank_stages, urgency_order

    capacities = capacities or {}
    roster = _roster(owners, capacities)
    rank = pl.int_range(pl.len(), dtype=pl.Int64).over("route", order_by="lead_id")
    if capacities:
        urgent = pl.int_range(pl.len(), dtype=pl.Int64).over(
            "route", order_by=urgency_order("sla_due_at" in joined.columns), nulls_last=True)
        rank = pl.when(pl.col("route").is_in(list(capacities))).then(urgent).otherwise(rank)
    follows = pl.col("_follow") if "_follow" in joined.columns else pl.lit(False)
    leads = joined.filter(~pl.col("_keep") & ~follows & pl.col("route").is_in(list(owners)))
    # What an owner keeps, in what takes turns: a contact, or on an assign: account route its account.
    unit = pl.concat_str([pl.lit("l"), pl.col("lead_id").cast(pl.String)])
    if by_account:
        for stage in account_rank_stages(list(by_account), [r for r in by_account if r in capacities],
                                         "sla_due_at" in joined.columns):
            leads = leads.with_columns(stage)
        rank = pl.when(pl.col("route").is_in(list(by_account))).then(pl.col(UNIT_POS)).otherwise(rank)
        unit = (pl.when(pl.col("route").is_in(list(by_account)) & pl.col(KEY_COLUMN).is_not_null())
                .then(pl.concat_str([pl.lit("a"), pl.col(KEY_COLUMN)])).otherwise(unit))
    leads = leads.with_columns(rank.alias("_slot")).select("lead_id", "route", "_slot")
    kept = (joined.filter(pl.col("_keep")).group_by("route", pl.col("_prev_owner").alias("owner"))
            .agg(unit.n_unique().alias("len")))
    load = (roster.filter(pl.col("_share") > 0)
            .join(kept, on=["route", "owner"], how="left").with_columns(pl.col("len").fill_null(0).cast(pl.Int64))
            .join(leads.group_by("route").agg(pl.col("_slot").n_unique().alias("_new")), on="route", how="inner"))
    # The uncapped owners' turns up to this key: together at least the route's new leads, whatever each
    # keeps. An owner with a capacity has exactly that many turns.
    free = pl.col("_cap").is_null()
    reach = ((pl.col("len") / pl.col("_share")).filter(free).max()
             + (pl.col("_new") + free.sum()) / pl.col("_share").filter(free).sum()).over("route")
    turns = pl.when(free).then((reach * pl.col("_share") - pl.col("len") + 0.5).floor()).otherwise(pl.col("_cap"))
    slots = (load.with_columns(turns.cast(pl.Int64).alias("_turns"))
             .filter(pl.col("_turns") > 0)
             .with_columns(pl.int_ranges(0, "_turns", dtype=pl.Int64).alias("_turn")).explode("_turn")
             .with_columns(((2 * (pl.col("len") + pl.col("_turn")) + 1) / (2 * pl.col("_share"))).alias("_key"))
             .sort("route", "_key", "_pos")
             .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over("route").alias("_slot")))
    return leads.join(slots.select("route", "_slot", pl.col("owner").alias("_fresh_owner")),
                      on=["route", "_slot"], how="left").select("lead_id", "_fresh_owner")
