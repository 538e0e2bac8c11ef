"""A column's own date_order and number_format (in its mapping) win over settings for that column only."""

from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest

from leadq import cleaning
from leadq.cleaning import map_columns
from leadq.conditions import Type
from leadq.errors import Position
from leadq.ruleset import Column, Settings
from leadq.ruleset_loader import load_ruleset
from tests.conftest import run_cli

RULESET = """version: 1
columns:
  lead_id: Id
  company_size: Employees
  annual_revenue: {column: Umsatz, number_format: "1.234,5"}
  created_at: Created
activity_columns:
  lead_id: Id
  event_type: Event
  occurred_at: {column: Timestamp, date_order: us}
settings:
  date_order: eu
  half_life_days: none
fit:
  - {id: revenue, when: annual_revenue >= 1000000, points: 20}
  - {id: size, when: company_size >= 1000, points: 10}
  - {id: new, when: created_at >= "2026-11-01", points: 5}
intent:
  - {id: demo, event: demo_request, points: 30, within_days: 7}
tiers:
  - {name: all, otherwise: true}
"""


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_the_overrides_are_read_into_the_columns(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET)
    rs = load_ruleset(str(path))
    assert (rs.columns["annual_revenue"].number_format, rs.columns["annual_revenue"].date_order) == ("1.234,5", None)
    assert rs.activity_columns["occurred_at"].date_order == "us"
    assert (rs.columns["created_at"].date_order, rs.columns["company_size"].number_format) == (None, None)
    settings = rs.columns["annual_revenue"].read_settings(rs.settings)
    assert (settings.number_format, settings.date_order) == ("1.234,5", "eu")
    assert rs.activity_columns["occurred_at"].read_settings(rs.settings).date_order == "us"
    assert rs.columns["created_at"].read_settings(rs.settings) is rs.settings


def test_scores_read_each_column_in_its_own_format(tmp_path):
    ruleset, contacts, events, out = (tmp_path / n for n in ("r.yaml", "c.csv", "e.csv", "s.csv"))
    ruleset.write_text(RULESET)
    # Umsatz in German writing (its own "1.234,5"); Employees as settings say ("1,234.5"); Created in
    # European order (settings); the US tool's Timestamp month first (its own date_order: us).
    contacts.write_text('Id,Employees,Umsatz,Created\n'
                        '1,"1,200","1.250.000,50",05/11/2026\n'
                        "2,900,2'500'000 CHF,11/05/2026\n"
                        '3,"1,000","999.999,99",01.11.2026\n')
    events.write_text("Id,Event,Timestamp\n"
                      "1,demo_request,11/05/2026 10:00 AM\n"  # 5 November: 5 days before --as-of
                      "2,demo_request,05/11/2026 10:00 AM\n"  # 11 May: outside the 7 days
                      "3,demo_request,11/09/2026 2:30 PM\n")  # 9 November
    run_cli(["score", contacts, "-a", events, "-r", ruleset, "--as-of", "2026-11-10", "-o", out, "-q"])
    got = pl.read_csv(out, schema_overrides={"lead_id": pl.String}).select("lead_id", "fit_score", "intent_score")
    # 1: revenue 20 + size 10 + new (5 Nov) 5 = 35, demo 30; 2: revenue 20, created 11 May, demo too old;
    # 3: size 10 + new (1 Nov) 5 = 15 (999,999.99 < 1M), demo 30.
    assert got.rows() == [("1", 35.0, 30.0), ("2", 20.0, 0.0), ("3", 15.0, 30.0)]


def _map(values: list[str], col: Column, settings: Settings) -> pl.DataFrame:
    frame = pl.LazyFrame({col.column: values}, schema={col.column: pl.String})
    return map_columns(frame, frame.collect_schema(), {col.field: col}, settings, flag_ranges=True).collect()


@pytest.mark.parametrize("sample_rows", [2, 100])  # sampled formats, and every format
def test_a_date_columns_own_order_wins_over_settings(monkeypatch, sample_rows):
    monkeypatch.setattr(cleaning, "DATE_SAMPLE_ROWS", sample_rows)
    values = ["11/05/2026 10:00 AM", "12/31/2026", "31/12/2026"]
    us = Column("occurred_at", "Timestamp", Type.DATETIME, Position("test"), date_order="us")
    got = _map(values, us, Settings(date_order="eu"))
    assert got["occurred_at"].to_list() == [_utc(2026, 11, 5, 10), _utc(2026, 12, 31), None]
    assert got["_bad__occurred_at"].to_list() == [False, False, True]
    as_settings = Column("occurred_at", "Timestamp", Type.DATETIME, Position("test"))
    assert _map(values, as_settings, Settings(date_order="eu"))["occurred_at"].to_list() == [
        _utc(2026, 5, 11, 10), None, _utc(2026, 12, 31)]


def test_number_columns_of_two_formats_in_one_file_each_read_their_own():
    frame = pl.LazyFrame({"Umsatz": ["1.250,5", "2,5 Mio.", "10-20"], "Revenue": ["1,250.5", "2.5M", "10-20"]})
    columns = {"annual_revenue": Column("annual_revenue", "Umsatz", Type.NUMBER, Position("t"), number_format="1.234,5"),
               "budget": Column("budget", "Revenue", Type.NUMBER, Position("t"))}
    got = map_columns(frame, frame.collect_schema(), columns, Settings(number_ranges="middle"), flag_ranges=True).collect()
    assert got["annual_revenue"].to_list() == [1250.5, 2_500_000.0, 15.0]
    assert got["budget"].to_list() == [1250.5, 2_500_000.0, 15.0]
    assert got["_ranged__annual_revenue"].to_list() == got["_ranged__budget"].to_list() == [False, True, True]


BASE = """version: 1
columns:
  lead_id: Id
  {mapping}
tiers:
  - {{name: all, otherwise: true}}
"""


@pytest.mark.parametrize(("mapping", "column", "message"), [
    ("annual_revenue: {column: Umsatz, date_order: us}", 48,
     "columns.annual_revenue: date_order applies to date fields only, and 'annual_revenue' is a number field; "
     "remove 'date_order'"),
    ('created_at: {column: Created, number_format: "1.234,5"}', 48,
     "columns.created_at: number_format applies to number fields only, and 'created_at' is a datetime field; "
     "remove 'number_format'"),
    ("email: {column: Mail, date_order: eu}", 37,
     "columns.email: date_order applies to date fields only, and 'email' is a text field; remove 'date_order'"),
    # A custom field is text unless typed: the message says how to make it a date.
    ("renewal: {column: Renewal, date_order: eu}", 42,
     "columns.renewal: date_order applies to date fields only, and 'renewal' is a text field; remove "
     "'date_order' or give type: datetime"),
    ("created_at: {column: Created, date_order: de}", 45,
     "columns.created_at: unknown date_order 'de'; expected one of: eu, iso, us (us = month/day/year, "
     "eu = day/month/year)"),
    ('annual_revenue: {column: Umsatz, number_format: "1.234"}', 51,
     "columns.annual_revenue: unknown number_format '1.234'; expected one of: \"1,234.5\" (comma thousands, point "
     "decimals; the default), \"1.234,5\" (point thousands, comma decimals, as in German or Dutch exports), "
     "\"1 234,5\" (space thousands, comma decimals, as in French or Nordic exports)"),
    ("created_at: {column: Created, order: us}", 33,
     "columns.created_at: unknown key 'order'; did you mean 'date_order'?; expected one of: column, date_order, number_format, type"),
])
def test_a_format_on_a_field_of_another_type_is_refused_with_its_position(tmp_path, mapping, column, message):
    path = tmp_path / "r.yaml"
    path.write_text(BASE.format(mapping=mapping))
    contacts = tmp_path / "c.csv"
    contacts.write_text("Id\n1\n")
    result = run_cli(["score", contacts, "-r", path, "-o", tmp_path / "o.csv"], exit_code=2)
    assert result.stderr.startswith(f"leadq: error: {path}:4:{column}: {message}\n"), result.stderr
    assert run_cli(["validate", path], exit_code=2).stdout.startswith(f"{path}:4:{column}: error: {message}")


def test_a_typed_custom_field_takes_its_own_format(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(BASE.format(mapping="renewal: {column: Renewal, type: datetime, date_order: us}\n"
                                "  budget: {column: Budget, type: number, number_format: \"1 234,5\"}"))
    rs = load_ruleset(str(path))
    assert (rs.columns["renewal"].type, rs.columns["renewal"].date_order) == (Type.DATETIME, "us")
    assert (rs.columns["budget"].type, rs.columns["budget"].number_format) == (Type.NUMBER, "1 234,5")


def test_validate_data_names_the_columns_own_setting(tmp_path):
    ruleset, contacts = tmp_path / "r.yaml", tmp_path / "c.csv"
    ruleset.write_text("version: 1\ncolumns:\n  lead_id: Id\n"
                       "  annual_revenue: {column: Umsatz, number_format: \"1,234.5\"}\n"
                       "  created_at: {column: Created, date_order: us}\n"
                       "settings: {number_format: \"1.234,5\", date_order: eu}\n"
                       "fit:\n  - {id: rich, when: annual_revenue > 5, points: 5}\n"
                       "  - {id: new, when: created_at > \"2026-01-01\", points: 5}\n"
                       "tiers:\n  - {name: all, otherwise: true}\n")
    contacts.write_text("Id,Umsatz,Created\n1,\"2,5\",31.12.2026\n")
    out = run_cli(["validate", ruleset, "--data", contacts], exit_code=0).stdout
    assert (f"1 value in column 'Umsatz' cannot be read as a number ({contacts} row 1: '2,5'); `leadq score` rejects "
            'those rows; a decimal comma needs columns.annual_revenue.number_format: "1.234,5" (or "1 234,5")') in out
    assert (f"1 value in column 'Created' cannot be read as a date ({contacts} row 1: '31.12.2026'); `leadq score` "
            "rejects those rows; if these are dates in another order, set columns.created_at.date_order: eu") in out


def test_sql_engines_refuse_a_text_date_column_read_in_us_order(tmp_path):
    pytest.importorskip("duckdb")
    ruleset, events, contacts = tmp_path / "r.yaml", tmp_path / "e.parquet", tmp_path / "c.parquet"
    ruleset.write_text(RULESET.replace("  created_at: Created\n", "").replace(
        "  - {id: new, when: created_at >= \"2026-11-01\", points: 5}\n", "").replace("date_order: eu", "date_order: iso"))
    pl.DataFrame({"Id": ["1"], "Employees": [1200.0], "Umsatz": [1e6]}).write_parquet(contacts)
    pl.DataFrame({"Id": ["1"], "Event": ["demo_request"], "Timestamp": ["11/05/2026 10:00 AM"]}).write_parquet(events)
    result = run_cli(["score", contacts, "-a", events, "-r", ruleset, "--engine", "duckdb", "--as-of", "2026-11-10",
                      "-o", tmp_path / "o.csv"], exit_code=3)
    assert "column 'Timestamp' (occurred_at, a date field) is text" in result.stderr
