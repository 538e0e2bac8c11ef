"""Whose turn it is: the order in which a route's owners take its leads, with shares and capacities.

Arithmetic on owner names, shares and capacities, shared by the rotation
compiled into the scoring plan (:mod:`leadq.routing`) and the balancing of new
leads under ``--previous`` (:mod:`leadq.changes`), so that the two give the same
owners when no lead is kept.

* An owner with share *s* takes turns at the keys ``(2 * (load + turn) + 1) / (2 * s)``
  (Webster's order: each turn in the middle of its 1/s interval); lower keys go
  first, ties in the route's listed order of owners. Share 0 takes no turn.
* An owner with a capacity *c* takes at most *c* turns in a run: its new leads.
  Once every capped owner is full, the uncapped owners go on rotating; when every
  owner is capped, the route's remaining leads get no owner.
"""

from __future__ import annotations

import math
from fractions import Fraction

MAX_OWNER_SHARE = 100
MAX_OWNER_CAPACITY = 10_000  # new leads per owner per run


def turn_order(load: int, turn: int, share: int) -> Fraction:
    """When an owner with ``load`` leads and ``share`` takes its ``turn``-th next lead (lower is sooner).

    Turns are spread over the cycle, each in the middle of its 1/share interval
    (Webster's order): shares {a: 2, b: 1} give a, b, a; equal shares give the
    owners in their listed order, which ties break. With loads (the leads each
    owner keeps, :mod:`leadq.changes`) the least loaded owners come first.
    """
    return Fraction(2 * (load + turn) + 1, 2 * share)


def owner_cycle(owners: tuple[str, ...], shares: tuple[int, ...]) -> list[str]:
    """One cycle of a route's rotation: each owner ``share`` times, spread out (:func:`turn_order`).

    The repeating part of :func:`capped_turns` when no owner has a capacity.
    """
    return capped_turns(owners, shares, (None,) * len(owners))[1]


def capped_turns(owners: tuple[str, ...], shares: tuple[int, ...],
                 capacities: tuple[int | None, ...]) -> tuple[list[str], list[str]]:
    """The turns of a route whose owners have capacities: ``(first, then)``.

    ``first`` holds every turn up to the last turn of the last capped owner to
    fill up (the uncapped owners' turns among them); after it the uncapped owners
    rotate through ``then`` over and over (empty when every owner is capped: the
    route's later leads get no owner). The k-th lead takes ``first[k]`` while
    there is one, else ``then[(k - len(first)) % len(then)]``.

    ``then`` repeats exactly: one more turn of an owner with share s moves its key
    by 1/s, so the turns with keys in (K + 1, K + 2] are those in (K, K + 1],
    one later each.
    """
    capped = [(share, cap) for share, cap in zip(shares, capacities) if cap is not None and share > 0 and cap > 0]
    last = max((turn_order(0, cap - 1, share) for share, cap in capped), default=Fraction(0))
    first: list[tuple[int, int, int, int]] = []  # (owner's position, share, first turn, turn after the last)
    then: list[tuple[int, int, int, int]] = []
    for i, (share, cap) in enumerate(zip(shares, capacities)):
        if share == 0:
            continue
        if cap is not None:
            first.append((i, share, 0, cap))
            continue
        # The uncapped owner's turns with keys up to `last`: (2t + 1) / (2 share) <= last.
        taken = math.floor(last * share + Fraction(1, 2))
        first.append((i, share, 0, taken))
        then.append((i, share, taken, taken + share))
    return _in_turn_order(owners, first), _in_turn_order(owners, then)


def _in_turn_order(owners: tuple[str, ...], runs: list[tuple[int, int, int, int]]) -> list[str]:
    """The owners' turns ``start <= turn < stop`` merged by :func:`turn_order` (ties in listed order), as names.

    Sorted by Polars on a float key, because capacities make millions of turns (100 owners at the
    largest capacity: 1,000,000; as Python fractions they took 4.5 seconds, three times a run). The
    float order is exact: the keys (2t + 1) / (2s) stay below MAX_OWNER_CAPACITY + 1 and two different
    ones differ by at least 1 / (2s * 2s') >= 1 / 40,000 (s <= MAX_OWNER_SHARE), far above a double's
    rounding, while equal ones (3/6 and 1/2) are the same double.
    """
    import polars as pl

    runs = [run for run in runs if run[3] > run[2]]
    if not runs:
        return []
    turns = (pl.DataFrame({"i": [r[0] for r in runs], "s": [r[1] for r in runs], "t0": [r[2] for r in runs],
                           "t1": [r[3] for r in runs]}, schema={"i": pl.Int64, "s": pl.Int64, "t0": pl.Int64,
                                                                 "t1": pl.Int64})
             .with_columns(pl.int_ranges("t0", "t1").alias("t")).explode("t")
             .with_columns(((2 * pl.col("t") + 1) / (2 * pl.col("s"))).alias("key"))
             .sort(["key", "i"]))
    return [owners[i] for i in turns["i"].to_list()]
