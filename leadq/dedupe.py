"""De-duplication of the typed contacts, by lead id and optionally by e-mail address.

Of the rows sharing a key the most recently updated (``updated_at``) is kept, then the
first in input order; each other row becomes a reject naming the lead and row kept
("duplicate e-mail: kept lead L1 (row 3, most recently updated)", or "first in input order" when
that decided). The e-mail key is
the first address in the field (:func:`leadq.cleaning.email_key`). The events of a
dropped e-mail duplicate are merged into the kept lead by the pipeline, from the
``_kept_id`` of these rejects.
"""

from __future__ import annotations

from typing import Callable

import polars as pl

from leadq.cleaning import email_key
from leadq.ruleset import Ruleset


def drop_duplicates(typed: pl.LazyFrame, ruleset: Ruleset, collect: Callable[[pl.LazyFrame], pl.DataFrame]
                    ) -> tuple[pl.LazyFrame, list[pl.LazyFrame]]:
    """The rows kept of those without a reject reason, and per key of ``settings.dedupe_on`` the rows dropped.

    Args:
        typed: the typed contacts, rejected rows too (``_reason`` set on them), with
            ``_order`` (input order), ``_source_file`` and ``_source_row``.
        ruleset: its ``settings.dedupe_on`` names the keys, in order.
        collect: runs a plan. The dropped rows of each key are found with it at once, on a
            narrow projection, and the rest of the run reads them from memory: left as a plan,
            every plan reading the kept rows, the rejects or the events' remapping ran it again
            over every contact (about 10 s of a run over 1M contacts de-duplicated by e-mail).

    Returns:
        The kept rows (input order kept), and for each key a frame of the dropped rows:
        ``_source_file``, ``_source_row``, ``lead_id``, ``_kept_id`` and ``_reason``.
    """
    valid = typed.filter(pl.col("_reason").is_null())
    order_keys = (["updated_at"] if "updated_at" in ruleset.columns else []) + ["_order"]
    descending = [True] * (len(order_keys) - 1) + [False]
    dup_exprs = []
    repeating = _repeating_keys(typed, ruleset.settings.dedupe_on, collect)
    # Lead ids first, as the SQL engines do: a lead id is then one row when the e-mail pass runs, and a
    # lead it drops is gone, its events the kept lead's (leadq.activity_input).
    for key in sorted(ruleset.settings.dedupe_on, key=lambda k: k != "lead_id"):
        if key not in repeating:
            continue
        part = "lead_id" if key == "lead_id" else "_email_key"
        if key == "email":
            valid = valid.with_columns(_key_value(key).alias("_email_key"))
        # The windows run over the rows whose key repeats only (usually none), on a narrow
        # projection; the wide frame just drops the losers by row number.
        repeated = valid.select(["_order", "_source_file", "_source_row", "lead_id", *order_keys[:-1]]
                                + ([part] if part != "lead_id" else [])) \
            .filter(pl.col(part).is_not_null() & pl.col(part).is_duplicated())
        kept_id = pl.col("lead_id").sort_by(order_keys, descending=descending, nulls_last=True).first()
        kept_row = pl.col("_source_row").sort_by(order_keys, descending=descending, nulls_last=True).first()
        kept_file = pl.col("_source_file").sort_by(order_keys, descending=descending, nulls_last=True).first()
        kept = pl.col("_order").sort_by(order_keys, descending=descending, nulls_last=True).first()
        kept_updated = ([pl.col("updated_at").sort_by(order_keys, descending=descending, nulls_last=True).first()
                         .over(part).alias("_kept_updated")] if "updated_at" in ruleset.columns else [])
        losers = repeated.with_columns(kept.over(part).alias("_kept"), kept_id.over(part).alias("_kept_id"),
                                       kept_row.over(part).alias("_kept_row"), kept_file.over(part).alias("_kept_file"),
                                       *kept_updated) \
            .filter(pl.col("_kept") != pl.col("_order"))
        # The kept row's file is named when it is another file than the dropped row's.
        where = pl.when(pl.col("_kept_file") != pl.col("_source_file")).then(pl.col("_kept_file") + pl.lit(" ")) \
            .otherwise(pl.lit(""))
        reason = (pl.lit(f"duplicate {'lead id' if key == 'lead_id' else 'e-mail'}: kept lead ")
                  + pl.col("_kept_id") + pl.lit(" (") + where + pl.lit("row ") + pl.col("_kept_row").cast(pl.String)
                  + _why_kept(ruleset) + pl.lit(")"))
        dropped = collect(losers.select("_order", "_source_file", "_source_row", "lead_id", "_kept_id", "_kept",
                                        "_kept_file", "_kept_row", reason.alias("_reason"))).lazy()
        dup_exprs.append(dropped)
        valid = valid.join(dropped.select("_order"), on="_order", how="anti", maintain_order="left")
    if "_email_key" in valid.collect_schema():
        valid = valid.drop("_email_key")
    if len(dup_exprs) == 2:  # lead ids, then e-mails
        dup_exprs[0] = _kept_then_dropped(*dup_exprs)
    return valid, [d.drop("_order", "_kept", "_kept_file", "_kept_row") for d in dup_exprs]


def _why_kept(ruleset: Ruleset) -> pl.Expr:
    """", most recently updated" when the kept row's ``updated_at`` is later than the dropped one's;
    else ", first in input order" (no ``updated_at`` mapped, or the same or no time on both)."""
    first = pl.lit(", first in input order")
    if "updated_at" not in ruleset.columns:
        return first
    later = pl.col("_kept_updated").is_not_null() & (
        pl.col("updated_at").is_null() | (pl.col("_kept_updated") > pl.col("updated_at")))
    return pl.when(later).then(pl.lit(", most recently updated")).otherwise(first)


def _kept_then_dropped(by_id: pl.LazyFrame, by_email: pl.LazyFrame) -> pl.LazyFrame:
    """Lead-id duplicates whose kept row the e-mail pass dropped next, their reason saying so.

    "duplicate lead id: kept lead 1000001 (row 1, most recently updated), itself a duplicate
    e-mail of lead 1000229 (row 228)": the lead named first is in no output.
    """
    then = by_email.select(pl.col("_order").alias("_kept"), pl.col("_kept_id").alias("_then_id"),
                           pl.col("_kept_file").alias("_then_file"), pl.col("_kept_row").alias("_then_row"))
    joined = by_id.join(then, on="_kept", how="left", maintain_order="left")
    where = pl.when(pl.col("_then_file") != pl.col("_source_file")).then(pl.col("_then_file") + pl.lit(" ")) \
        .otherwise(pl.lit(""))
    chained = (pl.col("_reason") + pl.lit(", itself a duplicate e-mail of lead ") + pl.col("_then_id") + pl.lit(" (")
               + where + pl.lit("row ") + pl.col("_then_row").cast(pl.String) + pl.lit(")"))
    return joined.with_columns(pl.when(pl.col("_then_id").is_not_null()).then(chained).otherwise(pl.col("_reason"))
                               .alias("_reason")).drop("_then_id", "_then_file", "_then_row")


def _key_value(key: str) -> pl.Expr:
    """The value of a de-duplication key: the lead id, or the e-mail key."""
    return pl.col("lead_id") if key == "lead_id" else email_key(pl.col("email"))


def _repeating_keys(typed: pl.LazyFrame, keys: tuple[str, ...],
                    collect: Callable[[pl.LazyFrame], pl.DataFrame]) -> set[str]:
    """The keys of which some value repeats among all the typed rows, rejected rows too.

    A key that repeats nowhere repeats among the valid rows neither, and these counts read
    the key columns alone: the search for the rows to drop must type every column (a row
    with a reject reason is no duplicate), 19-34 s of a run over L's 9.3M contacts, and
    is left out for the usual export without duplicates.
    """
    if not keys:
        return set()
    counts = collect(typed.select(
        [e for key in keys for e in (_key_value(key).drop_nulls().n_unique().alias(f"unique::{key}"),
                                      _key_value(key).drop_nulls().len().alias(f"rows::{key}"))])).row(0, named=True)
    return {key for key in keys if counts[f"unique::{key}"] < counts[f"rows::{key}"]}
