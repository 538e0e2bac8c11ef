"""A workbook's number cells and NDJSON's numbers are numbers whatever ``number_format`` says.

``number_format`` reads numbers written as text (CSV, a workbook's text cells, JSON strings): under
"1.234,5" the text "1.125" is 1125. A number cell 1.125, or the JSON number 1.125, is 1.125.
"""

from __future__ import annotations

import datetime

import polars as pl

from tests.conftest import run_cli

RULESET = """\
version: 1
name: German revenue
columns:
  lead_id: ID
  annual_revenue: Umsatz
  created_at: Erstellt
settings:
  half_life_days: none
  date_order: eu
  number_format: "1.234,5"
fit:
  - id: revenue_1k
    when: annual_revenue >= 1000
    points: 10
  - id: revenue_1m
    when: annual_revenue >= 1000000
    points: 20
  - id: recent
    when: created_at >= "2026-10-01"
    points: 5
grades:
  A: 30
  C: otherwise
tiers:
  - name: mql
    when: total >= 30
  - name: nurture
    otherwise: true
"""

# (ID, Umsatz, Erstellt): a float is a number cell, a datetime a date cell, a str a text cell.
ROWS = [
    ("a", 1.125, datetime.datetime(2026, 10, 2)),  # 1.125: no revenue points; 2 Oct: recent (+5)
    ("b", "1.125", "02.10.2026"),  # text: 1125 (+10); day first: 2 Oct (+5)
    ("c", 1250000.5, 46000),  # 1250000.5 (+10 +20); serial 46000 is 2025-12-09: not recent
    ("d", "1.250.000,5", "01.09.2026"),  # text: 1250000.5 (+10 +20); 1 Sep: not recent
    ("e", "n/a", None),  # blank
]
# Hand-computed from the comments above.
FIT = {"a": 5.0, "b": 15.0, "c": 30.0, "d": 30.0, "e": 0.0}


def write_leads(path, *, title_page=False):
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    if title_page:
        book.add_worksheet("Titel").write(0, 0, "Export aus CRM, Stand 15.11.2026")
    sheet = book.add_worksheet("Leads")
    day = book.add_format({"num_format": "dd.mm.yyyy"})
    for c, name in enumerate(("ID", "Umsatz", "Erstellt")):
        sheet.write_string(0, c, name)
    for r, row in enumerate(ROWS, 1):
        for c, value in enumerate(row):
            if isinstance(value, datetime.datetime):
                sheet.write_datetime(r, c, value, day)
            elif isinstance(value, str):
                sheet.write_string(r, c, value)
            elif value is not None:
                sheet.write_number(r, c, value)
    book.close()
    return path


def score(tmp_path, leads, *extra):
    (tmp_path / "r.yaml").write_text(RULESET)
    out = tmp_path / "scored.csv"
    run_cli(["score", str(leads), "-r", str(tmp_path / "r.yaml"), "-o", str(out), "--as-of", "2026-11-15", *extra])
    scored = pl.read_csv(out, schema_overrides={"lead_id": pl.String})
    return {lead: round(fit, 9) for lead, fit in scored.select("lead_id", "fit_score").iter_rows()}


def test_number_cells_are_numbers_and_text_cells_read_in_number_format(tmp_path):
    assert score(tmp_path, write_leads(tmp_path / "leads.xlsx")) == FIT


def test_the_number_cells_are_read_beside_the_text(tmp_path):
    from leadq.inputs import ReadOptions, read_input_files

    (found,) = read_input_files([str(write_leads(tmp_path / "leads.xlsx"))], ReadOptions())
    assert found.columns == ("ID", "Umsatz", "Erstellt")  # the numbers are no column of the file
    frame = found.frame.collect()
    assert frame["Umsatz"].to_list() == ["1.125", "1.125", "1250000.5", "1.250.000,5", "n/a"]
    assert frame["_source_number::Umsatz"].to_list() == [1.125, None, 1250000.5, None, None]


def test_explain_shows_the_number_cell_as_it_is(tmp_path):
    leads = write_leads(tmp_path / "leads.xlsx")
    (tmp_path / "r.yaml").write_text(RULESET)
    result = run_cli(["explain", "a", str(leads), "-r", str(tmp_path / "r.yaml"), "--as-of", "2026-11-15"])
    assert "annual_revenue = 1.1\n" in result.stdout  # 1.125, as explain rounds it (1125 before)
    assert "1125" not in result.stdout


def test_ndjson_numbers_are_numbers_and_strings_read_in_number_format(tmp_path):
    leads = tmp_path / "leads.ndjson"
    leads.write_text(
        '{"ID": "a", "Umsatz": 1.125, "Erstellt": "2026-10-02"}\n'  # number: 1.125, +5
        '{"ID": "b", "Umsatz": "1.125", "Erstellt": "02.10.2026"}\n'  # text: 1125, +10 +5
        '{"ID": "c", "Umsatz": 1250000.5, "Erstellt": 1764000000}\n'  # number (+10 +20); 2025-11-24: not recent
        '{"ID": "d", "Umsatz": "1.250.000,5", "Erstellt": "01.09.2026"}\n'  # text: +10 +20
        '{"ID": "e", "Umsatz": "n/a"}\n')
    assert score(tmp_path, leads) == FIT


def test_ndjson_field_of_numbers_only(tmp_path):
    leads = tmp_path / "leads.ndjson"
    leads.write_text('{"ID": "a", "Umsatz": 1.125, "Erstellt": null}\n{"ID": "b", "Umsatz": 2.5e6, "Erstellt": null}\n'
                     '{"ID": "c", "Umsatz": 1000, "Erstellt": null}\n')
    assert score(tmp_path, leads) == {"a": 0.0, "b": 30.0, "c": 10.0}


def test_csv_text_is_read_in_number_format(tmp_path):
    leads = tmp_path / "leads.csv"
    leads.write_text('ID,Umsatz,Erstellt\na,"1,125",02.10.2026\nb,1.125,02.10.2026\nc,1250000.5,\n')
    # "1,125" is 1.125; "1.125" is 1125; "1250000.5" groups no digits by three: unreadable, rejected.
    assert score(tmp_path, leads) == {"a": 5.0, "b": 15.0}


TITLE_PAGE = ("leadq: error: {path}: missing columns 'ID' (for lead_id), 'Umsatz' (for annual_revenue), 'Erstellt' "
              "(for created_at); the file has: Export aus CRM, Stand 15.11.2026; sheet 'Titel' was read, and the "
              "workbook has other sheets: 'Leads'; to read another, give --sheet FILE=SHEET (e.g. --sheet "
              "{path}=Leads). Fix the ruleset's column mapping or the export\n")


def test_a_title_page_names_the_other_sheets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_leads(tmp_path / "leads.xlsx", title_page=True)
    (tmp_path / "r.yaml").write_text(RULESET)
    result = run_cli(["score", "leads.xlsx", "-r", "r.yaml", "-o", "s.csv", "--as-of", "2026-11-15"], exit_code=3)
    assert result.stderr == TITLE_PAGE.format(path="leads.xlsx")
    assert score(tmp_path, tmp_path / "leads.xlsx", "--sheet", "leads.xlsx=Leads") == FIT


def test_a_workbook_of_one_sheet_gets_no_sheet_hint(tmp_path, monkeypatch):
    import xlsxwriter

    monkeypatch.chdir(tmp_path)
    book = xlsxwriter.Workbook(str(tmp_path / "one.xlsx"))
    book.add_worksheet("Titel").write(0, 0, "Export aus CRM")
    book.close()
    (tmp_path / "r.yaml").write_text(RULESET)
    result = run_cli(["score", "one.xlsx", "-r", "r.yaml", "-o", "s.csv", "--as-of", "2026-11-15"], exit_code=3)
    assert result.stderr == ("leadq: error: one.xlsx: missing columns 'ID' (for lead_id), 'Umsatz' (for "
                             "annual_revenue), 'Erstellt' (for created_at); the file has: Export aus CRM. Fix the "
                             "ruleset's column mapping or the export\n")
