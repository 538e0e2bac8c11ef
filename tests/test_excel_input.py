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
    (["contacts.xlsx"], None, True),  # missing: the read says so (exit 3)
    (["Contacts.XLSX"], None, True),
    (["contacts.ods.gz"], None, True),
    (["contacts.csv.gz"], None, False),
    (["export.zip"], None, True),  # what the archive holds is not read here
    (["reports/*.xls"], None, True),
    (["postgresql://crm@db/crm"], None, False),
])
def test_when_sheet_applies(specs, input_format, applies):
    if applies:
        check_sheet_applies(["Leads"], input_format, specs)
    else:
        with pytest.raises(UsageError, match=r"^--sheet works with workbook inputs only"):
            check_sheet_applies(["Leads"], input_format, specs)
    check_sheet_applies([], input_format, specs)  # no --sheet: nothing to refuse
