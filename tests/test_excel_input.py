"""Workbook input: `--sheet` refused where it does nothing; Excel error cells (#N/A, #DIV/0! ...) told, not hidden."""

from __future__ import annotations

import shutil

import pytest

from leadq.errors import UsageError
from leadq.inputs import check_sheet_applies
from tests.conftest import FIXTURES, run_cli

CRM = FIXTURES / "crm"

NOT_A_WORKBOOK = ("leadq: error: --sheet works with workbook inputs only (.xlsx, .xlsm, .xlsb, .xls, .ods, or "
                  "--input-format excel), and none of the inputs is one ({inputs}); leave --sheet out\n")


@pytest.fixture
def csv_inputs(tmp_path, monkeypatch):
    """A folder with the HubSpot contacts and events as CSV, the current one."""
    for name in ("hubspot_contacts.csv", "hubspot_events.csv"):
        shutil.copy(CRM / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# Every command that takes --sheet, on CSV inputs only; --previous names a file that is not a scored file, to show
# that score refuses --sheet before it reads anything.
COMMANDS = {
    "score": ["score", "hubspot_contacts.csv", "-a", "hubspot_events.csv", "-o", "o.csv", "--previous",
              "hubspot_events.csv"],
    "explain": ["explain", "101", "hubspot_contacts.csv", "-a", "hubspot_events.csv"],
    "validate": ["validate", "b2b_saas", "--data", "hubspot_contacts.csv", "-a", "hubspot_events.csv"],
    "funnel": ["funnel", "hubspot_contacts.csv", "-a", "hubspot_events.csv"],
    "calibrate": ["calibrate", "hubspot_contacts.csv", "-a", "hubspot_events.csv", "--outcome", "sql"],
    "diff": ["diff", "b2b_saas", "b2b_saas", "hubspot_contacts.csv", "-a", "hubspot_events.csv"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_sheet_is_refused_when_no_input_is_a_workbook(csv_inputs, command):
    result = run_cli([*COMMANDS[command], "--sheet", "Leads"], exit_code=2)
    assert result.stderr == NOT_A_WORKBOOK.format(inputs="hubspot_contacts.csv, hubspot_events.csv")
    assert result.stdout == ""
    assert sorted(p.name for p in csv_inputs.iterdir()) == ["hubspot_contacts.csv", "hubspot_events.csv"]


def test_sheet_is_refused_for_stdin_read_as_csv(csv_inputs):
    result = run_cli(["score", "-", "-o", "o.csv", "--sheet", "2"],
                     input=(csv_inputs / "hubspot_contacts.csv").read_bytes(), exit_code=2)
    assert result.stderr == NOT_A_WORKBOOK.format(inputs="-")


def test_sheet_is_refused_for_a_glob_that_matches_no_workbook(csv_inputs):
    result = run_cli(["funnel", "hubspot_*", "--sheet", "Leads"], exit_code=2)
    assert result.stderr == NOT_A_WORKBOOK.format(inputs="hubspot_*")


def test_sheet_is_refused_when_the_input_format_is_not_excel(csv_inputs):
    shutil.copy(CRM / "hubspot_contacts.xlsx", csv_inputs / "hubspot_contacts.xlsx")
    result = run_cli(["score", "hubspot_contacts.xlsx", "--input-format", "csv", "--sheet", "Export", "-o", "o.csv"],
                     exit_code=2)
    assert result.stderr == ("leadq: error: --sheet works with workbook inputs only, and --input-format csv reads "
                             "every input as CSV; leave --sheet out, or give --input-format excel\n")


def test_sheet_is_refused_when_the_input_format_is_ndjson():
    with pytest.raises(UsageError, match=r"^--sheet works with workbook inputs only, and --input-format ndjson reads "
                                         r"every input as NDJSON; leave --sheet out, or give --input-format excel$"):
        check_sheet_applies(["Leads"], "ndjson", ["leads.xlsx"])


@pytest.mark.parametrize("input_format", ["xlsx", "Excel"])
def test_an_unknown_input_format_with_sheet_is_told_as_unknown(csv_inputs, input_format):
    # Not 'reads every input as xlsx; ... give --input-format excel', as if xlsx were a format leadq reads.
    shutil.copy(CRM / "hubspot_contacts.xlsx", csv_inputs / "hubspot_contacts.xlsx")
    result = run_cli(["score", "hubspot_contacts.xlsx", "--input-format", input_format, "--sheet", "Export",
                      "-o", "o.csv"], exit_code=2)
    assert result.stderr == (f"leadq: error: unknown input format '{input_format}'; expected one of: csv, excel, "
                             "ndjson, parquet\n")


def test_validate_without_data_refuses_sheet(csv_inputs):
    result = run_cli(["validate", "b2b_saas", "--sheet", "Leads"], exit_code=2)
    assert result.stderr == ("leadq: error: --sheet works with workbook inputs only (.xlsx, .xlsm, .xlsb, .xls, .ods, "
                             "or --input-format excel), and no input is given; leave --sheet out\n")


def test_sheet_applies_to_a_workbook_among_the_inputs(csv_inputs):
    shutil.copy(CRM / "hubspot_events.xlsx", csv_inputs / "hubspot_events.xlsx")
    # The events are the workbook: --sheet reads their sheet, the contacts stay CSV.
    run_cli(["score", "hubspot_contacts.csv", "-a", "hubspot_events.xlsx", "--sheet", "1", "-o", "o.csv", "-q",
             "--as-of", "2026-11-01"])
    # A glob of no extension that matches a workbook, and one that names workbooks by extension only.
    run_cli(["funnel", "hubspot_contacts.csv", "-a", "hubspot_ev*", "--sheet", "1", "-q", "--as-of", "2026-11-01"])
    run_cli(["score", "hubspot_contacts.csv", "-a", "*.xlsx", "--sheet", "Export", "-o", "o.csv", "-q",
             "--as-of", "2026-11-01"])


def test_sheet_applies_to_stdin_read_as_a_workbook(csv_inputs):
    result = run_cli(["score", "-", "--input-format", "excel", "--sheet", "Export", "-o", "o.csv", "-q",
                      "--as-of", "2026-11-01"], input=(CRM / "hubspot_contacts.xlsx").read_bytes())
    assert result.stderr == ""
    assert (csv_inputs / "o.csv").read_text().count("\n") == 3  # the header and leads 101 and 102


def test_file_equals_sheet_is_refused_for_a_workbook_that_is_not_an_input(csv_inputs):
    for name in ("hubspot_contacts.xlsx", "hubspot_events.xlsx"):
        shutil.copy(CRM / name, csv_inputs / name)
    result = run_cli(["score", "hubspot_contacts.xlsx", "-a", "hubspot_events.csv", "-o", "o.csv",
                      "--sheet", "hubspot_events.xlsx=Notes"], exit_code=2)
    assert result.stderr == ("leadq: error: --sheet hubspot_events.xlsx=Notes: 'hubspot_events.xlsx' is not one of "
                             "the inputs; name a workbook the command reads, or leave this --sheet out\n")
    # Named otherwise than on the command line, it is still the input: ./ and an absolute path.
    for named in ("./hubspot_contacts.xlsx", csv_inputs / "hubspot_contacts.xlsx"):
        run_cli(["score", "hubspot_contacts.xlsx", "-a", "hubspot_events.csv", "-o", "o.csv", "-q", "--as-of",
                 "2026-11-01", "--sheet", f"{named}=Export"])


@pytest.mark.parametrize(("specs", "input_format", "applies"), [
    (["contacts.csv"], None, False),
    (["contacts.csv", "-"], None, False),
    (["-"], "excel", True),
    (["contacts.csv"], "excel", True),
    (["contacts.xlsx"], "parquet", False),
    (["contacts.xlsx"], None, True),  # missing: the read says so (exit 3)
    (["Contacts.XLSX"], None, True),
    (["contacts.ods.gz"], None, True),
    (["contacts.csv.gz"], None, False),
    (["export.zip"], None, True),  # not there: it may hold one, and the read says it is missing
    (["reports/*.xls"], None, True),
    (["postgresql://crm@db/crm"], None, False),
])
def test_when_sheet_applies(specs, input_format, applies):
    if applies:
        check_sheet_applies(["Leads"], input_format, specs)
    else:
        with pytest.raises(UsageError, match=r"^--sheet works with workbook inputs only[ ,]"):
            check_sheet_applies(["Leads"], input_format, specs)
    check_sheet_applies([], input_format, specs)  # no --sheet: nothing to refuse


# --- Excel error cells -------------------------------------------------------------------------------------------

ERRORS = ["#N/A", "#DIV/0!", "#REF!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"]

RULESET = """\
version: 1
name: Error cells
columns:
  lead_id: Record ID
  job_title: Job Title
  company_size: Number of Employees
  country: Country/Region
fit:
  - id: big
    label: Big company
    when: company_size >= 200
    points: 10
  - id: vp
    label: VP
    when: job_title contains "VP"
    points: 5
tiers:
  - name: hot
    when: total >= 10
  - name: cold
    otherwise: true
"""


def write_workbook(path, rows, *, at=(0, 0), sheet="Leads", before=()):
    """A workbook whose sheet ``sheet`` holds ``rows`` from cell ``at`` (row, column, 0-based).

    A value starting with '#' is a formula's cached error, as Excel saves it; ``before`` names sheets put first.
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    for name in before:
        book.add_worksheet(name).write(0, 0, "other")
    ws = book.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str) and value.startswith("#"):
                ws.write_formula(at[0] + r, at[1] + c, "=1/0", None, value)
            elif value is not None:
                ws.write(at[0] + r, at[1] + c, value)
    book.close()
    return path


def read_one(path, **options):
    from leadq.inputs import ReadOptions, read_input_files

    (found,) = read_input_files([str(path)], ReadOptions(**options))
    return found


def test_fastexcel_reads_an_error_cell_as_blank_and_each_kind_is_found(tmp_path):
    rows = [["Record ID", "Number of Employees"]] + [[str(i), e] for i, e in enumerate(ERRORS, 1)] + [["8", "250"]]
    path = write_workbook(tmp_path / "leads.xlsx", rows)
    found = read_one(path)
    frame = found.frame.collect()
    assert frame["Number of Employees"].to_list() == [None] * 7 + ["250"]  # what the reader gives: a blank
    assert [(c.sheet, c.column, c.count, c.first_cell, c.first_error) for c in found.error_cells] == [
        ("Leads", "Number of Employees", 7, "B2", "#N/A")]
    from leadq.excel_input import _xlsx_error_cells

    assert [text for *_, text in _xlsx_error_cells(str(path), "Leads")] == ERRORS


def test_the_error_cells_found_are_those_fastexcel_reports_through_pyarrow(tmp_path):
    pytest.importorskip("pyarrow")
    import fastexcel

    from leadq.excel_input import _xlsx_error_cells

    rows = [["Title"], ["Report of leads"], [None], ["Record ID", "Job Title", "Number of Employees"],
            ["1", "#N/A", "10"], ["2", "CTO", "#DIV/0!"], ["3", "#REF!", "#VALUE!"]]
    path = write_workbook(tmp_path / "leads.xlsx", rows, at=(2, 3), before=["First"])
    sheet = fastexcel.read_excel(str(path)).load_sheet(1, header_row=None, skip_rows=0, dtypes="string")
    _, errors = sheet.to_arrow_with_errors()
    # fastexcel: (frame row, frame column), the frame starting at sheet row 1 and at the first column with a value.
    assert sorted(e.position for e in errors.errors) == [(6, 1), (7, 2), (8, 1), (8, 2)]
    assert sorted((row - 1, column) for row, column, _, _ in _xlsx_error_cells(str(path), "Leads")) == [
        (6, 1), (7, 2), (8, 1), (8, 2)]


def test_error_cells_are_counted_by_column_in_the_table_only(tmp_path):
    # A report sheet from D3: title rows above the header, a total under the data, a column nothing maps.
    rows = [["Leads report"], ["as of today"], [None],
            ["Record ID", "Job Title", "Number of Employees", "Notes"],
            ["1", "#N/A", "10", "#DIV/0!"], ["2", "CTO", "#DIV/0!", None], ["3", "#REF!", "#VALUE!", None],
            [None], ["Grand Totals (3 records)"]]
    path = write_workbook(tmp_path / "report.xlsx", rows, at=(2, 3), sheet="Report", before=["First"])
    found = read_one(path, sheet="Report")
    assert found.report_rows is not None and found.report_rows.header_row == 6
    assert [(c.sheet, c.column, c.count, c.first_cell, c.first_error) for c in found.error_cells] == [
        ("Report", "Job Title", 2, "E7", "#N/A"), ("Report", "Notes", 1, "G7", "#DIV/0!"),
        ("Report", "Number of Employees", 2, "F8", "#DIV/0!")]
    assert read_one(path).error_cells == ()  # the first sheet has none


def test_error_cells_are_found_across_read_chunks_and_from_stdin(tmp_path, monkeypatch):
    import io

    from leadq import excel_input
    from leadq.inputs import read_input_files

    rows = [["Record ID", "Job Title"]] + [[str(i), "#N/A" if i % 3 else "VP"] for i in range(1, 40)]
    path = write_workbook(tmp_path / "leads.xlsx", rows)
    whole = read_one(path).error_cells
    assert [(c.column, c.count, c.first_cell) for c in whole] == [("Job Title", 26, "B2")]
    monkeypatch.setattr(excel_input, "_XLSX_CHUNK", 7)  # a cell split anywhere between two reads
    assert read_one(path).error_cells == whole
    (stdin,) = read_input_files(["-"], excel_input_options(), stdin=io.BytesIO(path.read_bytes()))
    assert stdin.label == "<stdin>" and stdin.error_cells == whole


def excel_input_options():
    from leadq.inputs import ReadOptions

    return ReadOptions(input_format="excel")


def test_the_text_of_an_error_is_a_value_not_an_error_cell(tmp_path):
    # '#N/A' typed as text (or exported so) is text: a null marker where a number or date is read, as in CSV.
    import xlsxwriter

    path = tmp_path / "leads.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Leads")
    ws.write_row(0, 0, ["Record ID", "Job Title"])
    ws.write_row(1, 0, ["1"])
    ws.write_string(1, 1, "#N/A")
    book.close()
    found = read_one(path)
    assert found.error_cells == ()
    assert found.frame.collect()["Job Title"].to_list() == ["#N/A"]


def test_score_tells_the_error_cells_in_mapped_columns_and_reads_them_as_blank(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.yaml").write_text(RULESET)
    write_workbook(tmp_path / "leads.xlsx", [
        ["Record ID", "Job Title", "Number of Employees", "Country/Region", "Notes"],
        ["1", "VP Sales", "250", "US", "#DIV/0!"],
        ["2", "#N/A", "#DIV/0!", "US", None],
        ["3", "CEO", "#N/A", "#NAME?", None],
    ])
    result = run_cli(["score", "leads.xlsx", "-r", "r.yaml", "--as-of", "2026-11-01", "-o", "o.csv",
                      "--summary-json", "s.json"])
    note = ("leads.xlsx, sheet 'Leads': Excel error cells in mapped columns, treated as blank: 'Job Title' 1 "
            "(first: B3 #N/A), 'Number of Employees' 2 (first: C3 #DIV/0!), 'Country/Region' 1 (first: D4 #NAME?); "
            "fix the formulas and export again")
    assert " ".join(result.stdout.split()).count(note) == 1, result.stdout  # the console wraps long lines
    import json

    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["error_cells"] == {"leads.xlsx": [
        {"sheet": "Leads", "column": "Job Title", "count": 1, "first_cell": "B3", "first_error": "#N/A"},
        {"sheet": "Leads", "column": "Number of Employees", "count": 2, "first_cell": "C3", "first_error": "#DIV/0!"},
        {"sheet": "Leads", "column": "Country/Region", "count": 1, "first_cell": "D4", "first_error": "#NAME?"},
    ]}
    assert (summary["scored"], summary["rejected"]) == (3, 0)  # blank, as before: not rejected
    import polars as pl

    scored = pl.read_csv(tmp_path / "o.csv")
    assert scored.select("lead_id", "fit_score", "tier").rows() == [(1, 15.0, "hot"), (2, 0.0, "cold"),
                                                                    (3, 0.0, "cold")]


def test_a_run_without_error_cells_has_no_note(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.yaml").write_text(RULESET)
    header = ["Record ID", "Job Title", "Number of Employees", "Country/Region", "Notes"]
    write_workbook(tmp_path / "leads.xlsx", [header, ["1", "VP Sales", "250", "US", "#N/A"]])
    result = run_cli(["score", "leads.xlsx", "-r", "r.yaml", "--as-of", "2026-11-01", "-o", "o.csv",
                      "--summary-json", "s.json"])
    assert "error cells" not in result.stdout  # Notes holds one, but the ruleset maps no Notes
    import json

    assert json.loads((tmp_path / "s.json").read_text())["error_cells"] == {}


def test_the_note_names_each_sheet_when_a_workbook_is_read_twice():
    from leadq.report import error_cells_note

    cells = [{"sheet": "Leads", "column": "Title", "count": 1200, "first_cell": "C9", "first_error": "#N/A"},
             {"sheet": "Events", "column": "Date", "count": 2, "first_cell": "B2", "first_error": "#VALUE!"}]
    assert error_cells_note("crm.xlsx", cells) == (
        "crm.xlsx: Excel error cells in mapped columns, treated as blank: sheet 'Leads' 'Title' 1,200 (first: C9 "
        "#N/A), sheet 'Events' 'Date' 2 (first: B2 #VALUE!); fix the formulas and export again")


def test_error_cells_in_a_sheet_written_with_a_namespace_prefix_and_empty_styled_cells(tmp_path):
    # As some .NET writers save a sheet: "x:" tags, a styled empty cell (no value) in column A before each row's
    # data, which calamine leaves out of the frame (it starts at column B), and an empty error cell.
    import zipfile

    from leadq.excel_input import _xlsx_error_cells

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sheet = (f'<x:worksheet xmlns:x="{main}"><x:sheetData>'
             '<x:row r="1"><x:c r="A1" s="1"/><x:c r="B1" t="inlineStr"><x:is><x:t>Record ID</x:t></x:is></x:c>'
             '<x:c r="C1" t="inlineStr"><x:is><x:t>Job Title</x:t></x:is></x:c></x:row>'
             '<x:row r="2"><x:c r="A2" s="1"/><x:c r="B2"><x:v>1</x:v></x:c>'
             '<x:c r="C2" s="2" t="e"><x:f>VLOOKUP(B2,X:Y,2,0)</x:f><x:v>#N/A</x:v></x:c></x:row>'
             '<x:row r="3"><x:c r="B3"><x:v>2</x:v></x:c><x:c r="C3" t="e"/></x:row>'
             "</x:sheetData></x:worksheet>")
    path = tmp_path / "dotnet.xlsx"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("xl/workbook.xml", f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                                         '<sheet name="Leads &amp; more" sheetId="1" r:id="rId7"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels",
                      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                      '<Relationship Id="rId7" Type="worksheet" Target="/xl/worksheets/data.xml"/></Relationships>')
        book.writestr("xl/worksheets/data.xml", sheet)
    # (sheet row, frame column, reference, text): C is the frame's second column; the empty error cell is none.
    assert _xlsx_error_cells(str(path), "Leads & more") == [(2, 1, "C2", "#N/A")]
    assert _xlsx_error_cells(str(path), "Other") == []
    assert _xlsx_error_cells(path.read_bytes(), "Leads & more") == [(2, 1, "C2", "#N/A")]


def test_a_workbook_that_is_not_xlsx_gives_no_error_cells(tmp_path):
    import zipfile

    from leadq.excel_input import _xlsx_error_cells

    path = tmp_path / "leads.ods"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("content.xml", '<office:document-content t="e"/>')
    assert _xlsx_error_cells(str(path), "Leads") == []
    assert _xlsx_error_cells(b"not a zip", "Leads") == []


def _workbook_of_sheet(path, rows_xml: str):
    """A minimal .xlsx whose one sheet, 'Leads', holds ``rows_xml`` (the rows of its sheetData)."""
    import zipfile

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("[Content_Types].xml",
                      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                      '<Default Extension="xml" ContentType="application/xml"/>'
                      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                      'officedocument.spreadsheetml.sheet.main+xml"/></Types>')
        book.writestr("_rels/.rels",
                      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                      f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                      "</Relationships>")
        book.writestr("xl/workbook.xml", f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                                         '<sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels",
                      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                      f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
                      "</Relationships>")
        book.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{main}"><sheetData>{rows_xml}</sheetData>'
                                                  "</worksheet>")
    return path


def _text_cell(ref: str, text: str, first: str = "r") -> str:
    attrs = f'r="{ref}" t="inlineStr"' if first == "r" else f't="inlineStr" r="{ref}"'
    return f"<c {attrs}><is><t>{text}</t></is></c>"


@pytest.mark.parametrize("empty", [
    '<c r="A{n}" s="1"></c>',  # an empty styled cell written with an end tag
    '<c r="A{n}" s="1"><v></v></c>',  # ... with an empty value
    '<c r="A{n}"><f>B{n}*2</f></c>',  # a formula never calculated: no value
])
def test_error_cells_are_told_in_their_column_after_an_empty_cell_that_is_not_self_closing(tmp_path, empty):
    # calamine leaves such a column A out of the frame (it starts at B): the error in C is in 'Job Title'.
    rows = "".join(f'<row r="{n}">{empty.format(n=n)}{b}{c}</row>' for n, b, c in [
        (1, _text_cell("B1", "Record ID"), _text_cell("C1", "Job Title") + _text_cell("D1", "Notes")),
        (2, '<c r="B2"><v>1</v></c>', '<c r="C2" t="e"><v>#N/A</v></c>' + _text_cell("D2", "x"))])
    path = _workbook_of_sheet(tmp_path / "leads.xlsx", rows)
    found = read_one(path)
    assert found.frame.collect().columns[:3] == ["Record ID", "Job Title", "Notes"]
    assert [(c.column, c.count, c.first_cell) for c in found.error_cells] == [("Job Title", 1, "C2")]


def test_error_cells_are_told_in_their_column_when_a_cell_names_its_type_before_its_reference(tmp_path):
    # <c t="inlineStr" r="B1">: the reference need not come first; the table starts at column B.
    rows = ('<row r="1">' + _text_cell("B1", "Record ID", "t") + _text_cell("C1", "Job Title", "t") + "</row>"
            '<row r="2"><c t="n" r="B2"><v>1</v></c><c t="e" r="C2"><v>#DIV/0!</v></c></row>')
    path = _workbook_of_sheet(tmp_path / "leads.xlsx", rows)
    assert [(c.column, c.count, c.first_cell, c.first_error) for c in read_one(path).error_cells] == [
        ("Job Title", 1, "C2", "#DIV/0!")]


def test_error_cells_of_a_sheet_whose_cells_name_no_reference_are_placed_by_their_order(tmp_path):
    # r= is optional in a sheet's XML: some writers leave it out of rows and cells, which are then placed one
    # after another (calamine reads them so). The third row names its number, 4 (row 3 is empty); its first
    # cell is empty.
    rows = ("<row>" + "".join(f"<c t=\"inlineStr\"><is><t>{t}</t></is></c>" for t in ("Record ID", "Job Title",
                                                                                       "Number of Employees"))
            + "</row>"
            '<row><c><v>1</v></c><c t="e"><v>#N/A</v></c><c><v>10</v></c></row>'
            '<row r="4"><c/><c t="inlineStr"><is><t>CTO</t></is></c><c t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
            '<row><c><v>3</v></c><c t="e"><v>#REF!</v></c><c><v>7</v></c></row>')
    path = _workbook_of_sheet(tmp_path / "leads.xlsx", rows)
    found = read_one(path)
    assert found.frame.collect()["Job Title"].to_list() == [None, "CTO", None]
    assert [(c.column, c.count, c.first_cell, c.first_error) for c in found.error_cells] == [
        ("Job Title", 2, "B2", "#N/A"), ("Number of Employees", 1, "C4", "#DIV/0!")]


@pytest.mark.parametrize("suffix", [".gz", ".zip"])
def test_sheet_file_names_a_compressed_workbook(tmp_path, monkeypatch, suffix):
    # 'leads.xlsx.gz=Leads' names that workbook's sheet; it was read as a sheet named 'leads.xlsx.gz=Leads'.
    import gzip
    import os
    import zipfile

    from leadq.inputs import ReadOptions, read_input_files, sheet_options

    monkeypatch.chdir(tmp_path)
    book = write_workbook(tmp_path / "leads.xlsx", [["Record ID"], ["7"]], before=["First"])
    packed = tmp_path / f"leads.xlsx{suffix}"
    if suffix == ".gz":
        packed.write_bytes(gzip.compress(book.read_bytes()))
    else:
        with zipfile.ZipFile(packed, "w") as archive:
            archive.write(book, "leads.xlsx")
    value = f"leads.xlsx{suffix}=Leads"
    check_sheet_applies([value], None, [packed.name])
    default, sheets = sheet_options([value])
    assert (default, sheets) == (None, ((os.path.realpath(packed), "Leads"),))
    (found,) = read_input_files([packed.name], ReadOptions(sheet=default, sheets=sheets))
    assert found.frame.collect()["Record ID"].to_list() == ["7"]


@pytest.mark.parametrize("option", ["--lead", "--email"])
def test_explain_with_lead_or_email_and_a_missing_workbook_says_it_is_missing(tmp_path, monkeypatch, option):
    # With --lead or --email every argument is an input: a workbook not there is not found (exit 3), not 'no input
    # is given; leave --sheet out' (exit 2).
    monkeypatch.chdir(tmp_path)
    result = run_cli(["explain", option, "1", "leads.xlsx", "--sheet", "Leads"], exit_code=3)
    assert result.stderr == "leadq: error: no such file: leads.xlsx\n"


def test_sheet_is_refused_for_a_zip_archive_that_holds_no_workbook(csv_inputs):
    # A CRM's export.zip holding a CSV: --sheet would do nothing. The archive's list of files is read (not its data).
    import zipfile

    with zipfile.ZipFile(csv_inputs / "export.zip", "w") as archive:
        archive.write(csv_inputs / "hubspot_contacts.csv", "hubspot_contacts.csv")
        archive.writestr("__MACOSX/._hubspot_contacts.csv", "")  # beside the data, left out as the read does
    with zipfile.ZipFile(csv_inputs / "book.zip", "w") as archive:
        archive.write(CRM / "hubspot_contacts.xlsx", "hubspot_contacts.xlsx")
    result = run_cli(["funnel", "export.zip", "--sheet", "Leads"], exit_code=2)
    assert result.stderr == NOT_A_WORKBOOK.format(inputs="export.zip")
    run_cli(["funnel", "*.zip", "--sheet", "Export", "-q"])  # a glob: by what its matches hold
    (csv_inputs / "book.zip").unlink()
    result = run_cli(["funnel", "*.zip", "--sheet", "Leads"], exit_code=2)
    assert result.stderr == NOT_A_WORKBOOK.format(inputs="*.zip")
    check_sheet_applies(["Leads"], None, ["missing.zip"])  # not there: the read says so (exit 3)
    (csv_inputs / "bad.zip").write_bytes(b"not a zip")
    check_sheet_applies(["Leads"], None, ["bad.zip"])  # unreadable: the read says so


def test_error_cells_are_in_their_column_wherever_a_read_chunk_ends(tmp_path, monkeypatch):
    # Only the title's row has a value in column B (the frame's first column): after an empty cell with an end tag,
    # which a chunk may end after. The table is C:D, its error in D ('Job Title').
    from leadq import excel_input

    rows = ('<row r="1"><c r="A1" s="1"></c>' + _text_cell("B1", "Leads report") + "</row>"
            '<row r="3">' + _text_cell("C3", "Record ID") + _text_cell("D3", "Job Title") + "</row>"
            '<row r="4"><c r="C4"><v>1</v></c><c r="D4" t="e"><v>#N/A</v></c></row>'
            '<row r="5"><c r="C5"><v>2</v></c>' + _text_cell("D5", "CTO") + "</row>")
    path = _workbook_of_sheet(tmp_path / "report.xlsx", rows)
    expected = [("Job Title", 1, "D4")]
    assert [(c.column, c.count, c.first_cell) for c in read_one(path).error_cells] == expected
    whole = excel_input._xlsx_error_cells(str(path), "Leads")
    assert whole == [(4, 2, "D4", "#N/A")]  # D is the frame's third column: it starts at B
    for size in range(7, len(rows) + 200):
        monkeypatch.setattr(excel_input, "_XLSX_CHUNK", size)
        assert excel_input._xlsx_error_cells(str(path), "Leads") == whole, size


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_sheet_is_refused_before_anything_is_read(csv_inputs, value):
    # --sheet "$SHEET" with the variable unset: a usage error (exit 2), not 'no sheet '' in the workbook' (exit 3).
    shutil.copy(CRM / "hubspot_contacts.xlsx", csv_inputs / "hubspot_contacts.xlsx")
    result = run_cli(["score", "hubspot_contacts.xlsx", "--sheet", value, "-o", "o.csv"], exit_code=2)
    assert result.stderr == (f"leadq: error: --sheet: {value!r} names nothing (an unset shell variable?); give the "
                             "sheet's name or number, or leave the option out\n")
    assert not (csv_inputs / "o.csv").exists()
