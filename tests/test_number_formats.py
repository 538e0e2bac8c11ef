"""Reading numbers from CRM text in each of the ruleset's number formats (leadq.cleaning)."""

from __future__ import annotations

import polars as pl
import pytest

from leadq.cleaning import parse_number
from leadq.ruleset import NUMBER_FORMATS, Settings

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
