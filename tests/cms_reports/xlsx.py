"""Hand-made workbooks for the reader tests, written in memory with XlsxWriter."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import xlsxwriter

Grid = Sequence[Sequence[object]]


def xlsx(sheets: Mapping[str, Grid],
         merges: Mapping[str, Sequence[tuple[int, int, int, int]]] | None = None) -> bytes:
    """Each sheet from a grid of cells (None/'' blank, numbers as numbers, text as text);
    `merges`: (first row, first col, last row, last col), 0-based, keeping the first cell."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    for name, grid in sheets.items():
        ws = wb.add_worksheet(name)
        merged = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in (merges or {}).get(name, ())}
        for r, row in enumerate(grid):
            for c, v in enumerate(row):
                if (r, c) in merged:
                    r1, c1 = merged[(r, c)]
                    ws.merge_range(r, c, r1, c1, v)  # type: ignore[arg-type]
                elif isinstance(v, bool) or v is None or v == "":
                    continue
                elif isinstance(v, int | float):
                    ws.write_number(r, c, v)
                else:
                    ws.write_string(r, c, str(v))
    wb.close()
    return buf.getvalue()


def qexpu_table1() -> list[list[object]]:
    return [
        ["Aggregate Expenditure/Utilization Report"],
        ["ACO A1234, 2024 Q1"],
        [],
        ["", "ACO-Specific", "All MSSP ACOs", "National Assignable FFS"],
        ["Total Assigned Beneficiaries", 6200, 2976000, ""],
        ["Total Expenditures Per Capita"],
        ["End Stage Renal Disease", 91234.5, 90000, 95000.25],
        ["Disabled", 12001.01, 12100, "-"],
        ["Aged/Dual", 20000, 19000, 19800],
        ["Aged/Non-Dual", 11000, 11200, 11400],
        ["Total", 12020, 12100, 12300],
        ["Person Years"],
        ["End Stage Renal Disease", 12, "", ""],
        ["Total", 1001, "", ""],
        [],
        ["Note: person years are rounded by row."],
    ]
