"""De-duplication of the typed contacts (leadq.dedupe): which rows go, and when the search runs at all."""

from __future__ import annotations

from types import SimpleNamespace

import polars as pl

from leadq.dedupe import drop_duplicates


def _typed(ids: list[str | None], emails: list[str | None], reasons: list[str | None]) -> pl.LazyFrame:
    n = len(ids)
    return pl.LazyFrame({
        "_source_file": ["c.csv"] * n, "_source_row": list(range(1, n + 1)), "lead_id": ids, "email": emails,
        "_order": list(range(n)), "_reason": reasons,
    }, schema_overrides={"lead_id": pl.String, "email": pl.String, "_reason": pl.String})


def _run(typed: pl.LazyFrame, keys: tuple[str, ...]) -> tuple[list[str], list[tuple[int, str]], int]:
    """Kept lead ids, (row, reason) of the dropped rows, and how many plans were collected."""
    calls = []

    def collect(plan: pl.LazyFrame) -> pl.DataFrame:
        calls.append(plan)
        return plan.collect()

    ruleset = SimpleNamespace(settings=SimpleNamespace(dedupe_on=keys), columns={"lead_id": None, "email": None})
    kept, dropped = drop_duplicates(typed, ruleset, collect)
    rows = pl.concat([d.select("_source_row", "_reason") for d in dropped]).collect().rows() if dropped else []
    return kept.collect()["lead_id"].to_list(), sorted(rows), len(calls)


def test_without_a_repeated_key_only_the_key_columns_are_counted():
    typed = _typed(["1", "2", "3", None, None], ["a@x.com", "b@x.com", None, None, "c@x.com"], [None] * 5)
    # One plan: the counts of both keys. The search for the rows to drop (a plan per key) is left out.
    assert _run(typed, ("lead_id", "email")) == (["1", "2", "3", None, None], [], 1)


def test_a_repeated_email_is_searched_and_a_unique_lead_id_is_not():
    typed = _typed(["1", "2", "3"], ["A@x.com", "b@x.com", "a@X.com "], [None] * 3)
    kept, dropped, plans = _run(typed, ("lead_id", "email"))
    assert kept == ["1", "2"]
    assert dropped == [(3, "duplicate e-mail: kept lead 1 (row 1, first in input order)")]
    assert plans == 2  # the counts, and the e-mail search


def test_a_lead_id_repeated_only_by_a_rejected_row_drops_nothing():
    # The counts see the rejected row too (a superset of the repeats), the search does not.
    typed = _typed(["1", "1", "2"], [None] * 3, [None, "unreadable number in Employees", None])
    assert _run(typed, ("lead_id",)) == (["1", "2"], [], 2)


def test_a_repeated_lead_id_keeps_the_first_row():
    typed = _typed(["1", "2", "1"], [None] * 3, [None] * 3)
    assert _run(typed, ("lead_id",)) == (["1", "2"], [(3, "duplicate lead id: kept lead 1 (row 1, first in input order)")], 2)


def test_the_kept_row_of_another_file_is_named_by_its_file():
    typed = pl.LazyFrame({"_source_file": ["a.csv", "a.csv", "b.csv", "b.csv"], "_source_row": [1, 2, 1, 2],
                          "lead_id": ["1", "2", "2", "3"], "email": ["a@x.com", None, None, "a@x.com"],
                          "_order": [0, 1, 2, 3], "_reason": [None] * 4},
                         schema_overrides={"_reason": pl.String})
    ruleset = SimpleNamespace(settings=SimpleNamespace(dedupe_on=("lead_id", "email")),
                              columns={"lead_id": None, "email": None})
    _, dropped = drop_duplicates(typed, ruleset, lambda plan: plan.collect())
    assert sorted(pl.concat([d.select("_source_file", "_source_row", "_reason") for d in dropped]).collect().rows()) == [
        ("b.csv", 1, "duplicate lead id: kept lead 2 (a.csv row 2, first in input order)"),
        ("b.csv", 2, "duplicate e-mail: kept lead 1 (a.csv row 1, first in input order)")]


def test_the_reason_says_what_decided_which_row_was_kept():
    from datetime import datetime, timezone

    when = [datetime(2026, 10, d, tzinfo=timezone.utc) for d in (1, 2, 2, 2)] + [None, None]
    typed = pl.LazyFrame({"_source_file": ["c.csv"] * 6, "_source_row": list(range(1, 7)),
                          "lead_id": ["1", "1", "2", "2", "3", "3"], "email": [None] * 6, "updated_at": when,
                          "_order": list(range(6)), "_reason": [None] * 6}, schema_overrides={"_reason": pl.String})
    ruleset = SimpleNamespace(settings=SimpleNamespace(dedupe_on=("lead_id",)),
                              columns={"lead_id": None, "email": None, "updated_at": None})
    _, dropped = drop_duplicates(typed, ruleset, lambda plan: plan.collect())
    assert dropped[0].select("_source_row", "_reason").collect().rows() == [
        (1, "duplicate lead id: kept lead 1 (row 2, most recently updated)"),
        (4, "duplicate lead id: kept lead 2 (row 3, first in input order)"),  # the same time on both
        (6, "duplicate lead id: kept lead 3 (row 5, first in input order)")]  # no time on either
