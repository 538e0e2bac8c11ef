"""Vectorised pseudo-random draws and the formatting helpers built on them.

:class:`_Rand` turns a seed, a stream name and a salt into uniform or normal
draws hashed from a row index (a Polars expression, no per-row Python); the
helpers pick weighted codes (``_cum``, ``_code``), gather from small value lists
(``_take``, ``_take_str``), format epoch seconds and integers the way the exports
write them (``_fmt_ts``, ``_fmt_int``), and do the date arithmetic and the
logistic function the funnel needs (``_epoch``, ``_months_before``, ``_sigmoid``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import datetime

import polars as pl


class _Rand:
    """Hash-based uniform draws: draw ``salt`` for row ``idx`` is a pure function of both.

    Salts are derived from the seed with ``random.Random`` so two seeds give
    unrelated streams, and each named draw gets its own salt.
    """

    def __init__(self, seed: int, stream: str) -> None:
        rng = random.Random(f"{seed}:{stream}")
        self._base = rng.getrandbits(48)

    def u(self, salt: int, idx: pl.Expr) -> pl.Expr:
        """Uniform in (0, 1) with 53-bit resolution, never exactly 0 or 1."""
        h = idx.cast(pl.UInt64).hash(self._base + salt * 1_000_003)
        return ((h // 2048).cast(pl.Float64) + 0.5) / float(1 << 53)

    def normal(self, salt: int, idx: pl.Expr) -> pl.Expr:
        """Standard normal via Box-Muller (two uniforms with salts ``salt`` and ``salt + 1``)."""
        return (-2.0 * self.u(salt, idx).log()).sqrt() * (
            2.0 * math.pi * self.u(salt + 1, idx)
        ).cos()


def _cum(weights: Sequence[float]) -> pl.Series:
    """Cumulative thresholds in (0, 1] for a weighted pick; the last one is exactly 1."""
    total = float(sum(weights))
    acc, out = 0.0, []
    for w in weights:
        acc += w
        out.append(acc / total)
    out[-1] = 1.0
    return pl.Series(out, dtype=pl.Float64)


def _code(weights: Sequence[float], u: pl.Expr) -> pl.Expr:
    """Index of the weighted choice that uniform ``u`` falls into."""
    return pl.lit(_cum(weights)).search_sorted(u, side="left").cast(pl.UInt32)


def _take(values: Sequence[object], code: pl.Expr, dtype: pl.DataType | None = None) -> pl.Expr:
    """``values[code]`` for each row (a gather from a small literal Series)."""
    return pl.lit(pl.Series(values, dtype=dtype)).gather(code)


def _take_str(values: Sequence[str], code: pl.Expr) -> pl.Expr:
    """``values[code]`` as a String column; blanks ("") become null (empty in CSV).

    Gathering from an Enum and casting once is much cheaper than gathering strings.
    """
    cats = sorted(set(values))
    out = _take(values, code, pl.Enum(cats)).cast(pl.String)
    return pl.when(out != "").then(out)


def _fmt_ts(secs: pl.Expr, fmt: str) -> pl.Expr:
    """Format epoch seconds (UTC) with ``fmt``; null stays null."""
    return pl.from_epoch(secs, time_unit="s").dt.strftime(fmt)


def _fmt_int(n: pl.Expr, thousands: pl.Expr) -> pl.Expr:
    """Integer as text, with a "," thousands separator where ``thousands`` (n < 1e9)."""
    plain = n.cast(pl.String)
    hi = (n // 1_000_000).cast(pl.String)
    mid = ((n // 1000) % 1000).cast(pl.String)
    lo = (n % 1000).cast(pl.String).str.zfill(3)
    sep = (
        pl.when(n >= 1_000_000)
        .then(pl.concat_str([hi, pl.lit(","), mid.str.zfill(3), pl.lit(","), lo]))
        .otherwise(pl.concat_str([(n // 1000).cast(pl.String), pl.lit(","), lo]))
    )
    return pl.when(thousands & (n >= 1000)).then(sep).otherwise(plain)


def _epoch(dt: datetime) -> int:
    return int(dt.timestamp())


def _months_before(dt: datetime, months: int) -> int:
    """Epoch seconds of ``dt`` moved back by ``months`` calendar months (day clamped to 28)."""
    total = dt.year * 12 + (dt.month - 1) - months
    return _epoch(dt.replace(year=total // 12, month=total % 12 + 1, day=min(dt.day, 28)))


def _sigmoid(x: pl.Expr) -> pl.Expr:
    return 1.0 / (1.0 + (-x).exp())
