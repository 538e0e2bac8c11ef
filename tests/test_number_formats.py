"""Reading numbers from CRM text in each of the ruleset's number formats (leadq.number_text)."""

from __future__ import annotations

import polars as pl
import pytest

from leadq.number_text import parse_number, with_ranges
from leadq.ruleset import NUMBER_FORMATS, RANGE_READINGS, Settings

# text -> value in "1,234.5", "1.234,5", "1 234,5" (None: unreadable)
NUMBERS = {
    "1,200": (1200.0, 1.2, 1.2),
    "1.200": (1.2, 1200.0, None),
    "1,5": (None, 1.5, 1.5),
    "1.5": (1.5, None, None),
    "1234.5": (1234.5, None, None),
    "1234,5": (None, 1234.5, 1234.5),
    "1,234.56": (1234.56, None, None),
    "1.234,56": (None, 1234.56, None),
    "2.000.000,50": (None, 2000000.5, None),
    "2,000,000": (2000000.0, None, None),
    "1 200": (1200.0, 1200.0, 1200.0),
    "1 234,5": (None, 1234.5, 1234.5),
    "1\u00a0234,5": (None, 1234.5, 1234.5),  # no-break space
    "1\u202f234,5": (None, 1234.5, 1234.5),  # narrow no-break space
    "1'234.50": (1234.5, None, None),
    "$3,500.50": (3500.5, None, None),
    "€ 1.234,50": (None, 1234.5, None),
    "1 234,50 €": (None, 1234.5, 1234.5),
    "12%": (12.0, 12.0, 12.0),
    "12,5 %": (None, 12.5, 12.5),
    "-1.234,5": (None, -1234.5, None),
    "-5": (-5.0, -5.0, -5.0),
    "  42 ": (42.0, 42.0, 42.0),
    "1,2,3": (None, None, None),
    "1,2345": (None, 1.2345, 1.2345),
    "12,34,567": (None, None, None),  # digit groups of three only
    "about 300": (None, None, None),
    "1e3": (1000.0, 1000.0, 1000.0),
    "2.5E-2": (0.025, None, None),
    "1e999": (None, None, None),  # would overflow to infinity
    "1\u2009234": (1234.0, 1234.0, 1234.0),  # thin space
    "+5": (5.0, 5.0, 5.0),
    ".5": (0.5, None, None),
    "12abc": (None, None, None),
    "NaN": (None, None, None),  # a number, but not one a rule can compare
    "inf": (None, None, None),
    "-Infinity": (None, None, None),
    "": (None, None, None),
}


@pytest.mark.parametrize("number_format", list(NUMBER_FORMATS))
def test_numbers_in_each_format(number_format: str) -> None:
    index = list(NUMBER_FORMATS).index(number_format)
    texts = pl.Series("v", list(NUMBERS) + [None], dtype=pl.String)
    got = pl.select(parse_number(pl.lit(texts), number_format)).to_series().to_list()
    assert got == [want[index] for want in NUMBERS.values()] + [None]


def test_the_default_format_keeps_its_old_readings() -> None:
    assert Settings().number_format == "1,234.5"
    got = pl.select(parse_number(pl.lit(pl.Series(["1,200", "$2,500,000", "1 200", "12%"])))).to_series().to_list()
    assert got == [1200.0, 2500000.0, 1200.0, 12.0]


# Ranges and abbreviations, as enrichment tools write company size and revenue, under the default
# format: text -> (low, middle, high); None: unreadable.
RANGES = {
    "51-200": (51.0, 125.5, 200.0),
    "51 - 200": (51.0, 125.5, 200.0),
    "51–200": (51.0, 125.5, 200.0),  # en dash
    "51 to 200 employees": (51.0, 125.5, 200.0),
    "1,001-5,000": (1001.0, 3000.5, 5000.0),
    "10,001+": (10001.0, 10001.0, 10001.0),
    "1000+ employees": (1000.0, 1000.0, 1000.0),
    "over 500": (500.0, 500.0, 500.0),
    "> 1000": (1000.0, 1000.0, 1000.0),
    "under 10": (0.0, 5.0, 10.0),
    "<$1M": (0.0, 500000.0, 1000000.0),
    "$10M-$50M": (10e6, 30e6, 50e6),
    "10-50M": (10e6, 30e6, 50e6),  # both bounds in millions
    "500K-1M": (500e3, 750e3, 1e6),
    "500-1M": (500.0, 500250.0, 1e6),  # 500M would be above 1M: the bound stays 500
    "10 to 50 million": (10e6, 30e6, 50e6),
    "€5m - €10m": (5e6, 7.5e6, 10e6),
    "$2.5M": (2.5e6, 2.5e6, 2.5e6),
    "2.5 M": (2.5e6, 2.5e6, 2.5e6),
    "10k": (10e3, 10e3, 10e3),
    "10K": (10e3, 10e3, 10e3),
    "$1.2B": (1.2e9, 1.2e9, 1.2e9),
    "1.5bn": (1.5e9, 1.5e9, 1.5e9),
    "$50MM": (50e6, 50e6, 50e6),
    "USD 50M+": (50e6, 50e6, 50e6),
    "5000-1000": (None, None, None),  # bounds reversed
    "under 10+": (None, None, None),
    "over 5-10": (None, None, None),
    "10-": (None, None, None),
    "1,5M": (None, None, None),  # a comma decimal is not the default format's
    "about 300": (None, None, None),
    "lots": (None, None, None),
    "10 apples": (None, None, None),
    # plain numbers are the first pass's, and stay what it read
    "1,200": (1200.0, 1200.0, 1200.0),
    "-5": (-5.0, -5.0, -5.0),
    "": (None, None, None),
}


def _read(texts: list[str | None], number_format: str = "1,234.5", reading: str = "low") -> list[float | None]:
    frame = pl.LazyFrame({"v": pl.Series(texts, dtype=pl.String)})
    frame = frame.with_columns(n=parse_number(pl.col("v"), number_format))
    return with_ranges(frame, {"n": "v"}, number_format, reading).collect()["n"].to_list()


@pytest.mark.parametrize("reading", list(RANGE_READINGS))
def test_ranges_and_abbreviations(reading: str) -> None:
    index = list(RANGE_READINGS).index(reading)
    assert _read(list(RANGES) + [None], reading=reading) == [want[index] for want in RANGES.values()] + [None]


def test_range_bounds_are_read_in_the_rulesets_number_format() -> None:
    assert _read(["1.001-5.000", "10.001+", "1,5M", "2,5 Mio. €", "1-2 Mrd", "1.5M"], "1.234,5", "high") == [
        5000.0, 10001.0, 1.5e6, 2.5e6, 2e9, None]
    assert _read(["1 001 - 5 000", "2,5k"], "1 234,5") == [1001.0, 2500.0]


def test_ranges_leave_no_temporary_columns_and_keep_readable_values() -> None:
    frame = pl.LazyFrame({"v": ["12", "51-200"], "w": ["3k", "x"]}).with_columns(
        a=parse_number(pl.col("v")), b=parse_number(pl.col("w")))
    out = with_ranges(frame, {"a": "v", "b": "w"}).collect()
    assert out.columns == ["v", "w", "a", "b"]
    assert out.rows() == [("12", "3k", 12.0, 3000.0), ("51-200", "x", 51.0, None)]


NAN_RULESET = """version: 1
columns: {lead_id: Lead ID, company_size: Employees}
fit:
  - {id: big, label: Enterprise (5000+), when: company_size > 5000, points: 20}
  - {id: unknown, label: size unknown, when: company_size is null, points: 1}
tiers:
  - {name: all, otherwise: true}
"""


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_nan_and_infinity_in_a_parquet_number_column_are_no_numbers(tmp_path, engine):
    # NaN in a float column passed `company_size > 5000` (+20) and an infinity was read as one, where the texts
    # "NaN" and "inf" in a CSV are a blank and an unreadable value; explain stopped with exit 70 on both.
    from tests.conftest import run_cli

    if engine == "duckdb":
        pytest.importorskip("duckdb")
    (tmp_path / "rs.yaml").write_text(NAN_RULESET)
    pl.DataFrame({"Lead ID": ["A", "B", "C", "D"], "Employees": [float("nan"), float("inf"), None, 6000.0]}) \
        .write_parquet(tmp_path / "c.parquet")
    out = tmp_path / "out.csv"
    run_cli(["score", tmp_path / "c.parquet", "-r", tmp_path / "rs.yaml", "--engine", engine, "--as-of",
             "2026-11-01", "-o", out, "-q"])
    scored = pl.read_csv(out).select("lead_id", "fit_score").rows()
    if engine == "polars":  # an infinity is unreadable: the row is rejected, as "inf" in a CSV is
        assert scored == [("A", 1.0), ("C", 1.0), ("D", 20.0)]
        rejects = pl.read_csv(tmp_path / "out.rejects.csv", infer_schema=False)
        assert rejects.select("source_row", "reason").rows() == [("2", "unreadable number in 'Employees'")]
    else:  # the SQL engines read unreadable numbers as blank
        assert scored == [("A", 1.0), ("B", 1.0), ("C", 1.0), ("D", 20.0)]
    if engine == "polars":
        text = run_cli(["explain", "A", tmp_path / "c.parquet", "-r", tmp_path / "rs.yaml", "--as-of",
                        "2026-11-01"]).stdout
        assert "total 1 = fit 1 + intent 0" in text


# Swiss apostrophes, the Swiss franc and thousands of a currency: text -> value in "1,234.5", "1.234,5", "1 234,5".
SWISS_AND_THOUSANDS = {
    "1'250'000": (1_250_000.0, 1_250_000.0, 1_250_000.0),
    "2'500'000": (2_500_000.0, 2_500_000.0, 2_500_000.0),
    "2\u2019500\u2019000": (2_500_000.0, 2_500_000.0, 2_500_000.0),  # typographic apostrophe
    "CHF 2'500'000": (2_500_000.0, 2_500_000.0, 2_500_000.0),
    "2'500'000 CHF": (2_500_000.0, 2_500_000.0, 2_500_000.0),
    "1'234.50": (1234.5, None, None),  # a Swiss decimal point: only "1,234.5" reads it
    "1'234,50": (None, 1234.5, 1234.5),
    "12'34": (None, None, None),  # digit groups of three only
    "2,5 Mio. CHF": (None, 2_500_000.0, 2_500_000.0),
    "2.500 TEUR": (2500.0, 2_500_000.0, None),  # "1,234.5" reads 2.500 as 2.5 (thousand euros)
    "2.500 T€": (2500.0, 2_500_000.0, None),
    "2'500 TCHF": (2_500_000.0, 2_500_000.0, 2_500_000.0),
    "CHF 1'000-5'000": (1000.0, 1000.0, 1000.0),
}


@pytest.mark.parametrize("number_format", list(NUMBER_FORMATS))
def test_swiss_amounts_and_thousands_of_a_currency(number_format: str) -> None:
    index = list(NUMBER_FORMATS).index(number_format)
    frame = pl.LazyFrame({"raw": list(SWISS_AND_THOUSANDS)}).with_columns(
        parse_number(pl.col("raw"), number_format).alias("n"))
    got = with_ranges(frame, {"n": "raw"}, number_format, flag_prefix="_ranged__").collect()
    assert got["n"].to_list() == [want[index] for want in SWISS_AND_THOUSANDS.values()]
    # Plain amounts (with CHF as with $) are read in the first pass; scales and ranges are flagged as read from them.
    plain = [t for t in SWISS_AND_THOUSANDS if "T" not in t and "Mio" not in t and "-" not in t]
    assert got.filter(pl.col("raw").is_in(plain))["_ranged__n"].to_list() == [False] * len(plain)
