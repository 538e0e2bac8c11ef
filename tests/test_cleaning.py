"""Typing of CRM text: the sampled fast path for dates reads exactly what trying every format reads."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from leadq import cleaning
from leadq.cleaning import likely_date_formats, map_columns, parse_datetime
from leadq.conditions import Type
from leadq.errors import Position
from leadq.ruleset import Column, Settings

MESSY = ["2026-05-01T00:00:39Z", " 05/01/2026 10:00 ", None, "junk", "2026-05-02T00:00:00+02:00", "2026-05-01",
         "2026-05-01 10:00:00.5Z", "2026-03-29 02:30", "12/31/2025 11:59 PM", "", "2026-05-01 UTC",
         "1730419200", "1730419200123", "20261031", "12/31/26", "1/5/26 14:30", "31.12.26", "Nov 23, 2026",
         "23-Nov-26", "Mon, 23 Nov 2026 15:04:05 GMT"]


def _typed(values: list[str | None], order: str, tz: str, trimmed: bool = False) -> pl.DataFrame:
    col = Column("created_at", "Created", Type.DATETIME, Position("test"))
    frame = pl.LazyFrame({"Created": values}, schema={"Created": pl.String})
    settings = Settings(date_order=order, timezone=tz)
    return map_columns(frame, frame.collect_schema(), {"created_at": col}, settings, trimmed=trimmed).collect()


@pytest.mark.parametrize("sample_rows", [3, len(MESSY) - 1])
@pytest.mark.parametrize("order", ["iso", "us", "eu"])
@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris", "America/New_York"])
def test_sampled_formats_read_what_every_format_reads(monkeypatch, sample_rows, order, tz):
    monkeypatch.setattr(cleaning, "DATE_SAMPLE_ROWS", sample_rows)  # shorter than the input: sampled
    full = pl.DataFrame({"v": MESSY}, schema={"v": pl.String}).select(parse_datetime(pl.col("v"), order, tz))
    got = _typed(MESSY, order, tz)
    assert got["created_at"].to_list() == full["v"].to_list()
    present = [v is not None and v.strip() != "" for v in MESSY]
    assert got["_bad__created_at"].to_list() == [p and r is None for p, r in zip(present, full["v"].to_list())]


@pytest.mark.parametrize("sample_rows", [3, len(MESSY) + 1])
def test_dates_trimmed_by_the_reader_are_read_as_they_are(monkeypatch, sample_rows):
    # leadq's CSV reader trims every value and blanks empty ones (csv_input.text_rows): typed with
    # trimmed=True, its dates read as the raw text does, without a second trim in the first pass.
    monkeypatch.setattr(cleaning, "DATE_SAMPLE_ROWS", sample_rows)
    as_read = [v.strip() or None if v is not None else None for v in MESSY]
    assert_frame_equal(_typed(as_read, "us", "UTC", trimmed=True), _typed(MESSY, "us", "UTC"))


def test_formats_missing_from_the_sample_are_still_read(monkeypatch):
    # The sample (first rows) is all ISO with Z; a US date far down the file must still be read.
    monkeypatch.setattr(cleaning, "DATE_SAMPLE_ROWS", 3)
    values = ["2026-05-01T00:00:39Z"] * 5 + ["05/01/2026 10:00", "31/12/2026"]
    got = _typed(values, "us", "UTC")
    assert got["created_at"].to_list()[5] == datetime(2026, 5, 1, 10, 0, tzinfo=timezone.utc)
    assert got["created_at"].to_list()[6] is None
    assert got["_bad__created_at"].to_list() == [False] * 6 + [True]


def test_an_input_no_longer_than_the_sample_tries_every_format_instead(monkeypatch):
    col = Column("created_at", "Created", Type.DATETIME, Position("test"))
    frame = pl.LazyFrame({"Created": MESSY})
    sampled = lambda: cleaning._sample_date_formats(frame, frame.collect_schema(), {"created_at": col}, Settings())
    monkeypatch.setattr(cleaning, "DATE_SAMPLE_ROWS", len(MESSY) + 1)
    assert sampled() == {}
    monkeypatch.setattr(cleaning, "DATE_SAMPLE_ROWS", len(MESSY))
    assert sampled() == {"created_at": likely_date_formats(pl.Series(MESSY))} != {"created_at": ()}


def test_likely_formats_are_a_small_cover_of_the_sample():
    sample = pl.Series(["2026-05-01T00:00:39Z", "2026-05-01T10:00:00Z", "05/01/2026 10:00"])
    assert likely_date_formats(sample, "us") == ("%Y-%m-%dT%H:%M:%SZ", "%m/%d/%Y %H:%M")
    assert likely_date_formats(pl.Series([None, None], dtype=pl.String)) == ()
    assert likely_date_formats(pl.Series(["junk"])) == ()


@pytest.mark.parametrize("dtype", [pl.String, pl.Categorical, pl.Int64])
def test_text_fields_are_trimmed_and_blank_is_null_whatever_the_source_type(dtype):
    values = {pl.String: [" Demo_Request ", "", "  ", None, "page_view"],
              pl.Categorical: [" Demo_Request ", "", "  ", None, "page_view"],
              pl.Int64: [42, None, 7, None, 0]}[dtype]
    expected = {pl.Int64: ["42", None, "7", None, "0"]}.get(dtype, ["Demo_Request", None, None, None, "page_view"])
    col = Column("event_type", "Event Type", Type.TEXT, Position("test"))
    frame = pl.LazyFrame({"Event Type": pl.Series(values).cast(dtype)})
    out = map_columns(frame, frame.collect_schema(), {"event_type": col}, Settings()).collect()
    assert out.get_column("event_type").to_list() == expected
    assert out.schema["event_type"] == pl.String


def test_unix_time_is_read_in_seconds_to_nanoseconds_from_text_and_numbers():
    # 1730419200 s is 2024-11-01T00:00:00Z; the unit is told by the magnitude.
    base = datetime(2024, 11, 1, tzinfo=timezone.utc)
    text = ["1730419200", " 1730419200123 ", "1730419200123456", "1730419200.5", "20261031", "999999999", "-1730419200"]
    got = _typed(text, "iso", "Europe/Paris")  # Unix time has no zone to apply
    assert got["created_at"].to_list() == [base, base.replace(microsecond=123000), base.replace(microsecond=123456),
                                           base.replace(microsecond=500000), None, None, None]
    assert got["_bad__created_at"].to_list() == [False] * 4 + [True] * 3
    col = Column("created_at", "Created", Type.DATETIME, Position("test"))
    for values in ([1730419200, 1730419200000, 5, None], [1730419200.0, 1.730419200e12, 5.0, None]):
        frame = pl.LazyFrame({"Created": values})
        out = map_columns(frame, frame.collect_schema(), {"created_at": col}, Settings()).collect()
        assert out["created_at"].to_list() == [base, base, None, None]
        assert out["_bad__created_at"].to_list() == [False, False, True, False]


def test_spreadsheet_date_serials_are_read_in_the_settings_time_zone_from_text_and_numbers():
    # A date cell formatted as a number reads 46296 (days since 1899-12-30): 2026-10-01, the fraction
    # the time of day, local time like any zone-less date. Only five digits: 2026, 123456 are no dates.
    paris = [datetime(2026, 9, 30, 22, tzinfo=timezone.utc), datetime(2026, 10, 1, 10, tzinfo=timezone.utc)]
    got = _typed(["46296", "46296.5", "2026", "123456"], "iso", "Europe/Paris")
    assert got["created_at"].to_list() == paris + [None, None]
    assert got["_bad__created_at"].to_list() == [False, False, True, True]
    col = Column("created_at", "Created", Type.DATETIME, Position("test"))
    frame = pl.LazyFrame({"Created": [46296.0, 46296.5, 2026.0, None]})
    out = map_columns(frame, frame.collect_schema(), {"created_at": col}, Settings(timezone="Europe/Paris")).collect()
    assert out["created_at"].to_list() == paris + [None, None]


@pytest.mark.parametrize(("reading", "want"), [("low", [51.0, 10001.0, 1200.0, None, None]),
                                               ("high", [200.0, 10001.0, 1200.0, None, None])])
def test_number_columns_read_ranges_as_the_settings_say(reading, want):
    col = Column("company_size", "Employees", Type.NUMBER, Position("test"))
    frame = pl.LazyFrame({"Employees": ["51-200", "10,001+", "1,200", "lots", None]})
    out = map_columns(frame, frame.collect_schema(), {"company_size": col}, Settings(number_ranges=reading)).collect()
    assert out.columns == ["company_size", "_bad__company_size"]
    assert out["company_size"].to_list() == want
    assert out["_bad__company_size"].to_list() == [False, False, False, True, False]


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize(("order", "text", "want"), [
    # Excel's short dates: chrono's %Y read "26" as the year 26, and "%Y/%m/%d" read "1/5/26" as the year 1
    ("us", "12/31/26", _utc(2026, 12, 31)),
    ("us", "1/5/26", _utc(2026, 1, 5)),
    ("us", "12/31/26 3:04 PM", _utc(2026, 12, 31, 15, 4)),
    ("us", "12/31/2026", _utc(2026, 12, 31)),
    ("eu", "31/12/26", _utc(2026, 12, 31)),
    ("eu", "31.12.26", _utc(2026, 12, 31)),
    ("eu", "5/1/26 14:30", _utc(2026, 1, 5, 14, 30)),
    ("iso", "1/5/26", None),  # no order given: unreadable, not the year 1
    ("iso", "31/12/26", None),
    ("iso", "0001-01-01", _utc(1, 1, 1)),  # four digits: what it says
    # month names, whatever the order
    ("iso", "Nov 23, 2026", _utc(2026, 11, 23)),
    ("us", "November 23, 2026 3:04 PM", _utc(2026, 11, 23, 15, 4)),
    ("eu", "23-Nov-2026", _utc(2026, 11, 23)),
    ("eu", "23-Nov-26", _utc(2026, 11, 23)),
    ("iso", "23 Nov 2026", _utc(2026, 11, 23)),
    # RFC 2822, as web APIs and e-mail tools write it
    ("iso", "Mon, 23 Nov 2026 15:04:05 GMT", _utc(2026, 11, 23, 15, 4, 5)),
    ("iso", "Mon, 23 Nov 2026 15:04:05 +0100", _utc(2026, 11, 23, 14, 4, 5)),
    # Salesforce's date-time, a comma before the time: every row of a Salesforce export was rejected
    ("us", "11/1/2026, 3:45 PM", _utc(2026, 11, 1, 15, 45)),
    ("us", "11/1/2026, 15:45", _utc(2026, 11, 1, 15, 45)),
    ("eu", "01/11/2026, 15:45", _utc(2026, 11, 1, 15, 45)),
    ("eu", "01.11.2026, 15:45", _utc(2026, 11, 1, 15, 45)),
])
def test_short_years_month_names_and_rfc_2822(order, text, want):
    assert pl.select(parse_datetime(pl.lit(pl.Series([text])), order)).item() == want


def test_a_short_year_after_the_sample_is_not_read_as_the_year_26(monkeypatch):
    # The sample picks "%m/%d/%Y", which reads "1/5/26" as the year 26: the second pass reads it again.
    monkeypatch.setattr(cleaning, "DATE_SAMPLE_ROWS", 3)
    got = _typed(["12/31/2026", "11/30/2026", "10/31/2026", "1/5/26", "2/6/26 9:15 AM"], "us", "UTC")
    assert got["created_at"].to_list()[3:] == [_utc(2026, 1, 5), _utc(2026, 2, 6, 9, 15)]
    assert not got["_bad__created_at"].any()


def test_whole_numbers_in_float_columns_are_text_without_a_decimal_point():
    # pandas stores an id column with blanks as floats: "1000001.0" matched no event of lead 1000001.
    col = Column("lead_id", "Lead ID", Type.TEXT, Position("test"))
    frame = pl.LazyFrame({"Lead ID": [1000001.0, 2.5, None, -3.0, 1e20]})
    out = map_columns(frame, frame.collect_schema(), {"lead_id": col}, Settings()).collect()
    assert out["lead_id"].to_list() == ["1000001", "2.5", None, "-3", "1e+20"]


def test_float_lead_ids_match_their_events(tmp_path):
    from tests.conftest import run_cli

    contacts, events, out = tmp_path / "c.parquet", tmp_path / "e.parquet", tmp_path / "s.csv"
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text("version: 1\ncolumns: {lead_id: Lead ID}\n"
                       "activity_columns: {lead_id: Lead ID, event_type: Event, occurred_at: When}\n"
                       "settings: {half_life_days: none}\n"
                       "intent:\n  - {id: demo, event: demo_request, points: 30}\n"
                       "tiers:\n  - {name: all, otherwise: true}\n")
    pl.DataFrame({"Lead ID": [1000001.0, None], "Email": ["a@acme.com", "b@acme.com"]}).write_parquet(contacts)
    pl.DataFrame({"Lead ID": [1000001, 1000001], "Event": ["demo_request"] * 2,
                  "When": ["2026-10-30"] * 2}).write_parquet(events)
    run_cli(["score", contacts, "-a", events, "-r", ruleset, "--as-of", "2026-11-01", "-o", out, "-q"])
    assert pl.read_csv(out, schema_overrides={"lead_id": pl.String}).select("lead_id", "intent_score").rows() == [
        ("1000001", 60.0)]


def test_email_domain_is_the_first_addresss_domain():
    from leadq.cleaning import email_domain

    texts = ["John <John@X.com>", "mailto:a@b.co", "a@b.co.", " a@B.CO ", "a@b.co; c@d.co", "x@müller.de", "a@",
             "no address", None]
    # On a frame's column, as the pipeline applies it (Polars 2.1 panics on its pattern branch given a
    # literal Series: `pl.select(email_domain(pl.lit(series)))`).
    got = pl.DataFrame({"t": texts}, schema={"t": pl.String}).select(email_domain(pl.col("t"))).to_series().to_list()
    assert got == ["x.com", "b.co", "b.co", "b.co", "b.co", "müller.de", None, None, None]


def test_email_domain_of_plain_addresses_is_what_the_pattern_gives():
    # email_domain cuts plain addresses at their "@" and sends only the others to the pattern:
    # on any text, it must give what the pattern gives on every trimmed, lower-cased value.
    import random

    from leadq.cleaning import EMAIL_DOMAIN_PATTERN, email_domain

    rng = random.Random(7)
    alphabet = ["a", "B", "x", "é", "-", "_", ".", ".", "@", "@", " ", "\t", "\u00a0", "\u2003", "<", ">", ",", ";",
                ":", "(", ")", "'", '"']
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10))) for _ in range(20_000)]
    texts += [None, "", "@", "a@", "a@.", "a@b.", "a@b..", "@@x.com", "a@b@c.com", "a@.b", " a@b.co\u00a0"]
    series = pl.Series(texts, dtype=pl.String)
    low = pl.col("t").str.strip_chars().str.to_lowercase()
    frame = pl.DataFrame({"t": series}).select(
        got=email_domain(pl.col("t")),
        want=pl.when(low.str.contains("@")).then(low.str.extract(EMAIL_DOMAIN_PATTERN, 1)))
    assert frame.filter(pl.col("got").ne_missing(pl.col("want"))).height == 0
    assert frame["want"].null_count() < len(texts) - 1_000  # the texts hold many domains, not only blanks


def test_booleans_as_crms_and_pandas_write_them():
    from leadq.cleaning import parse_bool

    texts = ["Yes", " TRUE ", "1", "1.0", "checked", "x", "No", "false", "0", "0.0", "unchecked", "maybe", "", None]
    got = pl.select(parse_bool(pl.lit(pl.Series(texts, dtype=pl.String)))).to_series().to_list()
    assert got == [True] * 6 + [False] * 5 + [None] * 3


@pytest.mark.parametrize("marker", ["N/A", "#N/A", "n/a", " null ", "None", "NaN", "-", "—", "(blank)"])
def test_null_markers_in_typed_columns_are_blanks_not_unreadable_values(marker):
    cols = {"company_size": Column("company_size", "Employees", Type.NUMBER, Position("test")),
            "created_at": Column("created_at", "Created", Type.DATETIME, Position("test")),
            "demo": Column("demo", "Demo", Type.BOOL, Position("test"))}
    frame = pl.LazyFrame({"Employees": [marker, "about 300"], "Created": [marker, "soon"], "Demo": [marker, "maybe"]})
    out = map_columns(frame, frame.collect_schema(), cols, Settings()).collect()
    assert out.select(pl.all().first()).row(0) == (None, None, None, False, False, False)
    assert out.select(pl.col("^_bad__.*$").last()).row(0) == (True, True, True)


def test_placeholder_dates_are_blanks():
    # 0001-01-01 and 9999-12-31 stand for "no date"; in Europe/Paris the first is the year 0 in UTC,
    # which Python's datetime cannot hold (explain and the funnel's cohorts failed with exit 70).
    col = Column("created_at", "Created", Type.DATETIME, Position("test"))
    frame = pl.LazyFrame({"Created": ["0001-01-01", "9999-12-31", "1900-01-01", "2026-05-01", "junk"]})
    out = map_columns(frame, frame.collect_schema(), {"created_at": col}, Settings(timezone="Europe/Paris")).collect()
    assert out["created_at"].to_list()[:2] == [None, None]
    assert out["created_at"].dt.year().to_list()[2:4] == [1899, 2026]  # 1900-01-01 in Paris is 1899 in UTC
    assert out["_bad__created_at"].to_list() == [False, False, False, False, True]
    typed = pl.LazyFrame({"Created": [datetime(9999, 12, 31), datetime(2026, 5, 1)]})
    out = map_columns(typed, typed.collect_schema(), {"created_at": col}, Settings(timezone="America/New_York"))
    assert out.collect()["created_at"].to_list() == [None, _utc(2026, 5, 1, 4)]


def test_a_list_of_values_is_read_as_its_items_joined():
    # NDJSON and Parquet lists: text for a text field, a number read from its one item.
    frame = pl.LazyFrame({"tech": [["salesforce", " slack "], [], None], "size": [[300], [], None]})
    columns = {"technologies": Column("technologies", "tech", Type.TEXT, Position("r.yaml")),
               "company_size": Column("company_size", "size", Type.NUMBER, Position("r.yaml"))}
    got = map_columns(frame, frame.collect_schema(), columns, Settings()).collect()
    assert got["technologies"].to_list() == ["salesforce;  slack", None, None]
    assert got["company_size"].to_list() == [300.0, None, None]
    assert got["_bad__company_size"].to_list() == [False, False, False]


@pytest.mark.parametrize("sample_rows", [2, 5_000])
def test_a_wall_time_skipped_by_daylight_saving_is_shifted_forward_and_a_repeated_one_is_the_earlier(
        monkeypatch, sample_rows):
    # New York: 2026-03-08 02:00-03:00 does not exist (02:30 is 03:30 EDT, 07:30 UTC); 2026-11-01
    # 01:00-02:00 happens twice (01:30 EDT first, 05:30 UTC). Lord Howe skips half an hour.
    monkeypatch.setattr(cleaning, "DATE_SAMPLE_ROWS", sample_rows)
    text = ["2026-03-08 02:30", "2026-03-08 01:59", "2026-03-08 03:00", "2026-11-01 01:30", "03/08/2026 02:00"]
    want = [_utc(2026, 3, 8, 7, 30), _utc(2026, 3, 8, 6, 59), _utc(2026, 3, 8, 7), _utc(2026, 11, 1, 5, 30),
            _utc(2026, 3, 8, 7)]
    got = _typed(text, "us", "America/New_York")
    assert got["created_at"].to_list() == want
    assert not got["_bad__created_at"].any()
    col = Column("created_at", "Created", Type.DATETIME, Position("test"))
    frame = pl.LazyFrame({"Created": [datetime(2026, 3, 8, 2, 30), datetime(2026, 11, 1, 1, 30)]})  # Parquet's own
    out = map_columns(frame, frame.collect_schema(), {"created_at": col}, Settings(timezone="America/New_York"))
    assert out.collect()["created_at"].to_list() == [want[0], want[3]]
    assert _typed(["2026-10-04 02:15"], "iso", "Australia/Lord_Howe")["created_at"].to_list() == [
        _utc(2026, 10, 3, 15, 45)]  # 02:45 +11:00
    serial = _typed(["46089.1041666667"], "iso", "America/New_York")  # 2026-03-08 02:30 as a spreadsheet serial
    assert serial["created_at"].dt.round("1m").to_list() == [want[0]]


# The date-times HubSpot, Marketo (Java) and other CRMs write that were rejected as unreadable:
# 12-hour times with seconds, a comma before the time, the day before the month name, ISO dates
# with AM/PM. (text, date_order, wall time read in settings.timezone)
NEW_DATE_TIMES = [
    ("Oct 15, 2026 02:03:11 PM", "iso", (2026, 10, 15, 14, 3, 11)),
    ("Oct 15, 2026 2:03:11 PM", "iso", (2026, 10, 15, 14, 3, 11)),
    ("Oct 15, 2026, 2:03 PM", "iso", (2026, 10, 15, 14, 3)),
    ("Oct 15, 2026, 2:03:11 PM", "us", (2026, 10, 15, 14, 3, 11)),
    ("Oct 15, 2026, 14:03", "eu", (2026, 10, 15, 14, 3)),
    ("Oct 15, 2026 14:03:11", "iso", (2026, 10, 15, 14, 3, 11)),
    ("October 15, 2026 2:03:11 AM", "iso", (2026, 10, 15, 2, 3, 11)),
    ("October 15, 2026, 12:03 AM", "iso", (2026, 10, 15, 0, 3)),
    ("October 15, 2026 14:03", "iso", (2026, 10, 15, 14, 3)),
    ("15 Oct 2026 2:03 PM", "iso", (2026, 10, 15, 14, 3)),
    ("15 Oct 2026 2:03:11 pm", "us", (2026, 10, 15, 14, 3, 11)),
    ("15 Oct 2026, 14:03:11", "eu", (2026, 10, 15, 14, 3, 11)),
    ("15 October 2026 12:03 PM", "iso", (2026, 10, 15, 12, 3)),
    ("15 October 2026 14:03", "iso", (2026, 10, 15, 14, 3)),
    ("15-Oct-2026 2:03 PM", "iso", (2026, 10, 15, 14, 3)),
    ("15-Oct-2026 14:03:11", "iso", (2026, 10, 15, 14, 3, 11)),
    ("2026-10-15 2:03 PM", "iso", (2026, 10, 15, 14, 3)),
    ("2026-10-15 02:03:11 PM", "us", (2026, 10, 15, 14, 3, 11)),
    ("2026/10/15 2:03 PM", "eu", (2026, 10, 15, 14, 3)),
    ("2026/10/15 14:03:11", "iso", (2026, 10, 15, 14, 3, 11)),
    ("10/15/2026, 2:03:11 PM", "us", (2026, 10, 15, 14, 3, 11)),
    ("10/15/2026, 14:03:11", "us", (2026, 10, 15, 14, 3, 11)),
    ("15/10/2026 2:03 PM", "eu", (2026, 10, 15, 14, 3)),
    ("15/10/2026, 2:03:11 pm", "eu", (2026, 10, 15, 14, 3, 11)),
    ("15.10.2026, 14:03:11", "eu", (2026, 10, 15, 14, 3, 11)),
]
# Accepted before, with the wall time each read as: they must read the same.
OLD_DATE_TIMES = [
    ("Oct 15, 2026 2:03 PM", "iso", (2026, 10, 15, 14, 3)),
    ("Mar 27, 2026 09:28 AM", "iso", (2026, 3, 27, 9, 28)),
    ("Oct 15, 2026 14:03", "iso", (2026, 10, 15, 14, 3)),
    ("Oct 15, 2026", "iso", (2026, 10, 15)),
    ("October 15, 2026", "iso", (2026, 10, 15)),
    ("November 23, 2026 3:04 PM", "us", (2026, 11, 23, 15, 4)),
    ("23-Nov-2026", "eu", (2026, 11, 23)),
    ("23 Nov 2026 15:04", "iso", (2026, 11, 23, 15, 4)),
    ("23 November 2026", "iso", (2026, 11, 23)),
    ("2026-10-15 14:03", "iso", (2026, 10, 15, 14, 3)),
    ("2026/10/15 14:03", "iso", (2026, 10, 15, 14, 3)),
    ("12/31/2025 11:59 PM", "us", (2025, 12, 31, 23, 59)),
    ("12/31/2025 11:59:30 PM", "us", (2025, 12, 31, 23, 59, 30)),
    ("11/1/2026, 3:45 PM", "us", (2026, 11, 1, 15, 45)),
    ("01/11/2026, 15:45", "eu", (2026, 11, 1, 15, 45)),
    ("05/01/2026 10:00", "us", (2026, 5, 1, 10, 0)),
    ("05/01/2026 10:00", "eu", (2026, 1, 5, 10, 0)),
    ("1/5/26 2:30 PM", "us", (2026, 1, 5, 14, 30)),
]


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("sampled", [False, True])
def test_crm_date_times_read_to_the_exact_instant(monkeypatch, tz, sampled):
    from zoneinfo import ZoneInfo
    rows = NEW_DATE_TIMES + OLD_DATE_TIMES
    for order in ("iso", "us", "eu"):
        texts = [text for text, o, _ in rows if o == order]
        want = [datetime(*wall, tzinfo=ZoneInfo(tz)).astimezone(timezone.utc) for text, o, wall in rows if o == order]
        # Sampled: the first rows pick the formats (likely_date_formats), the rest are read in the second pass.
        monkeypatch.setattr(cleaning, "DATE_SAMPLE_ROWS", 3 if sampled else len(texts) + 1)
        got = _typed(texts, order, tz)
        assert got["created_at"].to_list() == want, order
        assert not got["_bad__created_at"].any()
        full = pl.DataFrame({"v": texts}).select(parse_datetime(pl.col("v"), order, tz))["v"].to_list()
        assert full == want


@pytest.mark.parametrize(("order", "text", "want"), [
    # The order still decides which number is the month: a 12-hour time changes nothing.
    ("us", "05/01/2026, 2:03:11 PM", _utc(2026, 5, 1, 14, 3, 11)),
    ("eu", "05/01/2026, 2:03:11 PM", _utc(2026, 1, 5, 14, 3, 11)),
    ("iso", "05/01/2026, 2:03:11 PM", None),
    ("iso", "05/01/2026 2:03 PM", None),
    ("eu", "12/31/2026 2:03 PM", None),
    ("us", "31/12/2026 2:03 PM", None),
    ("iso", "Oct 15, 2026 14:03 PM", None),  # 14 is no 12-hour hour
    ("iso", "Oct 32, 2026 2:03 PM", None),
])
def test_twelve_hour_times_keep_the_date_order(order, text, want):
    assert pl.select(parse_datetime(pl.lit(pl.Series([text])), order)).item() == want


def test_a_sample_of_iso_dates_tries_no_month_name_or_am_pm_format():
    sample = pl.Series(["2026-05-01T00:00:39Z", "2026-05-01 10:00", "1760536980000"])
    assert likely_date_formats(sample, "us") == ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M", "epoch")
    worded = pl.Series(["Oct 15, 2026, 2:03:11 PM", "15 Oct 2026 2:03 PM", "2026-10-15 2:03 PM", "2026-10-15 14:03"])
    assert likely_date_formats(worded, "us") == (
        "%Y-%m-%d %H:%M", "%Y-%m-%d %I:%M %p", "%b %d, %Y, %I:%M:%S %p", "%d %b %Y %I:%M %p")


# German and French month names, as European CRMs and spreadsheets write them: every one was unreadable.
GERMAN_FRENCH = {
    "20. Oktober 2026": _utc(2026, 10, 20),
    "15. Okt 2026": _utc(2026, 10, 15),
    "3. Mär. 2026": _utc(2026, 3, 3),
    "3. MÄRZ 2026": _utc(2026, 3, 3),
    "3. April 2026": _utc(2026, 4, 3),
    "12. Februar 2026": _utc(2026, 2, 12),
    "1. Mai 2026 09:15": _utc(2026, 5, 1, 9, 15),
    "24. Dez. 2026 14:30 Uhr": _utc(2026, 12, 24, 14, 30),
    "20 octobre 2026": _utc(2026, 10, 20),
    "03 avr. 2026": _utc(2026, 4, 3),
    "1er octobre 2026": _utc(2026, 10, 1),
    "7 févr. 2026": _utc(2026, 2, 7),
    "15 août 2026 09:15": _utc(2026, 8, 15, 9, 15),
    "5 de\u0301cembre 2026": _utc(2026, 12, 5),  # the accent as a separate mark (NFD), as macOS writes it
    "5 decembre 2026": _utc(2026, 12, 5),
    # English names holding a German one ("January" holds "Januar") are still English
    "January 5, 2026": _utc(2026, 1, 5),
    "September 5, 2026": _utc(2026, 9, 5),
    "5 Sept 2026": _utc(2026, 9, 5),
}


@pytest.mark.parametrize("order", ["iso", "us", "eu"])
@pytest.mark.parametrize(("text", "want"), list(GERMAN_FRENCH.items()))
def test_german_and_french_month_names_are_read_in_every_order(order, text, want):
    assert pl.select(parse_datetime(pl.lit(pl.Series([text])), order)).item() == want


@pytest.mark.parametrize(("order", "want"), [("eu", _utc(2026, 10, 20, 14, 30)), ("iso", None), ("us", None)])
def test_uhr_after_a_day_first_date_is_read_where_the_order_is_european(order, want):
    assert pl.select(parse_datetime(pl.lit(pl.Series(["20.10.2026 14:30 Uhr"])), order)).item() == want


@pytest.mark.parametrize("sample_rows", [3, len(GERMAN_FRENCH) - 1])
def test_sampled_month_names_read_what_every_format_reads(monkeypatch, sample_rows):
    monkeypatch.setattr(cleaning, "DATE_SAMPLE_ROWS", sample_rows)
    values = list(GERMAN_FRENCH) + ["20.10.2026 14:30 Uhr", "2026-10-01", "junk"]
    got = _typed(values, "eu", "Europe/Berlin")
    full = pl.select(parse_datetime(pl.lit(pl.Series(values)), "eu", "Europe/Berlin")).to_series().to_list()
    assert got["created_at"].to_list() == full
    assert got["created_at"].to_list()[0] == datetime(2026, 10, 19, 22, 0, tzinfo=timezone.utc)  # 00:00 CEST
    assert got["_bad__created_at"].to_list() == [False] * (len(values) - 1) + [True]


def test_a_sample_of_numeric_dates_tries_no_month_name():
    # No letters in the sample: the formats with a month name, AM/PM or "Uhr" are not tried on it.
    assert likely_date_formats(pl.Series(["2026-05-01T00:00:39Z", "2026-05-01"]), "eu") == (
        "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d")
    assert likely_date_formats(pl.Series(["3. Mär. 2026", "20 octobre 2026", "20.10.2026 14:30 Uhr"]), "eu") == (
        "%d.%m.%Y %H:%M Uhr", "%d %b %Y", "%d. %B %Y")
