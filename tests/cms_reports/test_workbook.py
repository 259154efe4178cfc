"""The cell-grain reader on hand-made workbooks: the normal grammar and the odd cases of the
issue's Proof bullet (missing sheet, extra section, a `-` cell, a two-level header), each a
clear error or a reported issue, never a traceback."""

from __future__ import annotations

from datetime import date

import pytest

from aco_pipeline.cms_reports.errors import CmsReportError
from aco_pipeline.cms_reports.workbook import CELL_SCHEMA, CellContext, cell_text, read_workbook
from tests.cms_reports.xlsx import qexpu_table1, xlsx

CTX = CellContext(source_file="P.A1234.ACO.QEXPU.2024Q1.D240515.T0000001.xlsx", family="qexpu",
                  aco_id="A1234", performance_year=2024, period="2024Q1",
                  delivery_date=date(2024, 5, 15), delivery_stamp="D240515.T0000001")
PARAMS = [["ACO Track", "BASIC Level A"], ["Benchmark Year 1 (BY1)", "01/01/2022 - 12/31/2022"]]


def _complete(**extra: list[list[object]]) -> bytes:
    sheets = {"Cover": [["cover"]], "Table_1-Aggregate_EU_Report": qexpu_table1(),
              "Table_2-Regional_Expenditures": [["", "Benchmark Year 3", "Q1", "Q2"],
                                                ["National Weight"],
                                                ["Disabled", "", 0.3467812349876543, ""]],
              "Table_3-SNF_Report": [["", "ACO-Specific", "", "Affiliated SNFs", ""],
                                     ["", "Total", "With Prior Stay", "Total",
                                      "With Prior Stay"],
                                     ["SNF Payments", 100, 80, 60, "-"]],
              "Parameters": PARAMS, **extra}
    return xlsx(sheets, merges={"Table_3-SNF_Report": [(0, 1, 0, 2), (0, 3, 0, 4)]})


def _rows(data: bytes) -> list[dict[str, object]]:
    result = read_workbook(data, CTX)
    assert result.table.schema == CELL_SCHEMA
    return result.table.to_pylist()


def _cell(rows: list[dict[str, object]], sheet: str, row_label: str, column: str,
          section: str | None = None) -> dict[str, object]:
    found = [r for r in rows if r["sheet"] == sheet and r["row_label"] == row_label
             and r["column_label"] == column and (section is None or r["section_label"]
                                                   == section)]
    assert len(found) == 1, found
    return found[0]


def test_sections_rows_and_columns_are_found_by_name() -> None:
    result = read_workbook(_complete(), CTX)
    assert result.issues == []
    rows = result.table.to_pylist()
    esrd = _cell(rows, "Table_1-Aggregate_EU_Report", "End Stage Renal Disease",
                 "National Assignable FFS", "Total Expenditures Per Capita")
    assert esrd["value_text"] == "95000.25"
    assert (esrd["row_number"], esrd["column_number"]) == (7, 4)
    assert esrd["period"] == "2024Q1" and esrd["delivery_date"] == date(2024, 5, 15)
    py = _cell(rows, "Table_1-Aggregate_EU_Report", "End Stage Renal Disease", "ACO-Specific",
               "Person Years")
    assert py["value_text"] == "12"  # 12.0 as Excel stores it, printed as CMS printed it
    header = _cell(rows, "Table_1-Aggregate_EU_Report", "Total Assigned Beneficiaries",
                   "ACO-Specific")
    assert header["section_label"] is None and header["value_text"] == "6200"
    # title rows, the blank row and the footnote are not cells
    assert not any("Note" in str(r["row_label"]) for r in rows)
    assert "Cover" not in {r["sheet"] for r in rows}
    assert set(result.sheets) == {"Table_1-Aggregate_EU_Report", "Table_2-Regional_Expenditures",
                                  "Table_3-SNF_Report", "Parameters"}


def test_a_dash_cell_is_kept_as_not_applicable_text() -> None:
    rows = _rows(_complete())
    cell = _cell(rows, "Table_1-Aggregate_EU_Report", "Disabled", "National Assignable FFS")
    assert cell["value_text"] == "-"


def test_weights_keep_all_sixteen_decimals() -> None:
    rows = _rows(_complete())
    w = _cell(rows, "Table_2-Regional_Expenditures", "Disabled", "Q1", "National Weight")
    assert w["value_text"] == "0.3467812349876543"


def test_a_two_level_header_gives_group_and_label() -> None:
    rows = [r for r in _rows(_complete()) if r["sheet"] == "Table_3-SNF_Report"]
    got = [(r["column_group"], r["column_label"], r["value_text"]) for r in rows]
    assert got == [("ACO-Specific", "Total", "100"), ("ACO-Specific", "With Prior Stay", "80"),
                   ("Affiliated SNFs", "Total", "60"), ("Affiliated SNFs", "With Prior Stay",
                                                        "-")]


def test_a_two_level_header_without_merged_cells_spreads_each_group_right() -> None:
    data = xlsx({"Table_3-SNF_Report": [["", "ACO-Specific", "", "Affiliated SNFs", ""],
                                        ["", "Total", "With Prior Stay", "Total",
                                         "With Prior Stay"],
                                        ["SNF Payments", 1, 2, 3, 4]]})
    rows = _rows(data)
    assert [r["column_group"] for r in rows] == ["ACO-Specific", "ACO-Specific",
                                                 "Affiliated SNFs", "Affiliated SNFs"]


def test_parameters_are_key_value() -> None:
    rows = [r for r in _rows(_complete()) if r["sheet"] == "Parameters"]
    assert [(r["row_label"], r["value_text"]) for r in rows] == [tuple(p) for p in PARAMS]


def test_a_missing_sheet_is_reported_not_fatal() -> None:
    data = xlsx({"Table_1-Aggregate_EU_Report": qexpu_table1(), "Parameters": PARAMS})
    result = read_workbook(data, CTX)
    missing = {i.sheet for i in result.issues if i.kind == "missing_sheet"}
    assert missing == {"Table_2-Regional_Expenditures", "Table_3-SNF_Report"}
    assert result.table.num_rows > 0
    assert "Table_2-Regional_Expenditures" in str(result.issues[0]) or "Table_3" in str(
        result.issues[0])


def test_an_extra_section_is_kept_and_reported_with_its_row() -> None:
    grid = qexpu_table1()
    grid[11:11] = [["[Z9] Something New"], ["Disabled", 1.5, "", ""]]
    result = read_workbook(_complete(**{"Table_1-Aggregate_EU_Report": grid}), CTX)
    unknown = [i for i in result.issues if i.kind == "unknown_section"]
    assert len(unknown) == 1 and unknown[0].row == 12  # the section row itself
    assert unknown[0].sheet == "Table_1-Aggregate_EU_Report"
    rows = result.table.to_pylist()
    new = [r for r in rows if r["section_code"] == "Z9"]
    assert [(r["section_label"], r["row_label"], r["value_text"]) for r in new] == [
        ("Something New", "Disabled", "1.5")]
    # the known sections around it are unaffected
    _cell(rows, "Table_1-Aggregate_EU_Report", "Total", "ACO-Specific", "Person Years")


def test_an_unknown_sheet_and_an_unknown_column_are_reported() -> None:
    extra = {"Table_9-New": [["", "Foo"], ["[A] x"], ["Total", 3]]}
    grid = qexpu_table1()
    grid[3] = [*grid[3], "Benchmark Adjusted"]
    grid[6] = [*grid[6], 7]
    result = read_workbook(_complete(**{"Table_1-Aggregate_EU_Report": grid}, **extra), CTX)
    kinds = {(i.kind, i.sheet, i.column) for i in result.issues}
    assert ("unknown_sheet", "Table_9-New", None) in kinds
    assert ("unknown_column", "Table_1-Aggregate_EU_Report", "Benchmark Adjusted") in kinds
    rows = result.table.to_pylist()
    assert any(r["sheet"] == "Table_9-New" and r["value_text"] == "3" for r in rows)
    assert any(r["column_label"] == "Benchmark Adjusted" and r["value_text"] == "7"
               for r in rows)


def test_a_text_cell_is_kept_and_reported_without_its_value() -> None:
    grid = qexpu_table1()
    grid[8] = ["Aged/Dual", "1EG4TE5MK73", 19000, 19800]  # an MBI where a number belongs
    result = read_workbook(_complete(**{"Table_1-Aggregate_EU_Report": grid}), CTX)
    odd = [i for i in result.issues if i.kind == "not_a_number"]
    assert len(odd) == 1 and (odd[0].row, odd[0].column) == (9, "ACO-Specific")
    assert all("1EG4TE5MK73" not in str(i) for i in result.issues)


def test_a_sheet_without_a_header_is_skipped_and_reported() -> None:
    data = xlsx({"Table_1-Aggregate_EU_Report": [["title only"], ["Disabled", 1, 2]],
                 "Parameters": PARAMS})
    result = read_workbook(data, CTX)
    assert ("no_header", "Table_1-Aggregate_EU_Report") in {(i.kind, i.sheet)
                                                            for i in result.issues}
    assert "Table_1-Aggregate_EU_Report" not in result.sheets


@pytest.mark.parametrize("data", [b"", b"not a workbook", b"PK\x03\x04broken zip"])
def test_a_file_that_is_not_a_workbook_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(CmsReportError, match=r"P\.A1234\.ACO\.QEXPU.*not a readable \.xlsx"):
        read_workbook(data, CTX)


def test_an_empty_workbook_reports_every_expected_sheet() -> None:
    result = read_workbook(xlsx({"Sheet1": []}), CTX)
    assert result.table.num_rows == 0
    assert {i.kind for i in result.issues} >= {"missing_sheet"}


@pytest.mark.parametrize(("value", "text"), [
    (3.0, "3"), (0.1, "0.1"), (12345.5, "12345.5"), (1e-7, "0.0000001"), (-2.25, "-2.25"),
    (1e16, "10000000000000000"), (7, "7"), (True, "TRUE"), (None, ""), ("  - ", "-"),
])
def test_cell_text_is_exact_and_without_exponent(value: object, text: str) -> None:
    assert cell_text(value) == text  # type: ignore[arg-type]
