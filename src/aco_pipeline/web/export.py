"""CSV and XLSX downloads of a table: the same rows the page shows, every page of them.

CSV carries exact values (money as plain decimal digits, dates ISO) for tools; XLSX carries
them as numbers with number formats (money `$#,##0.00`, counts `#,##0`, percentages `0.0%`),
a frozen, filterable header row, built in memory. Both say `Cache-Control: no-store`: an
export may hold patient-level data and is never kept by a browser or proxy.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi.responses import Response

from aco_pipeline.web.tables import FRACTION, Column

CENT = Decimal("0.01")
NO_STORE = {"Cache-Control": "no-store"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
NUMBER_FORMATS = {"money": "$#,##0.00", "count": "#,##0", "rate": "#,##0.00",
                  "percent": "0.0%", "date": "yyyy-mm-dd"}
# a cell starting with one of these is read as a formula by spreadsheet programs
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _filename(name: str, ext: str) -> str:
    stem = _SAFE_NAME.sub("_", name).strip("._") or "export"
    return f"{stem}.{ext}"


def _disposition(name: str) -> dict[str, str]:
    return {**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'}


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_response(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]],
                 filename: str) -> Response:
    """The rows as CSV: a header of column labels (with units), exact values."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    cols = list(columns)
    writer.writerow([c.header for c in cols])
    for row in rows:
        writer.writerow([_csv_text(row.get(c.key)) for c in cols])
    return Response(out.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers=_disposition(_filename(filename, "csv")))


def _xlsx_value(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if column.kind == "money" and isinstance(value, Decimal | int):
        return Decimal(value).quantize(CENT)
    if column.kind == "percent" and isinstance(value, Decimal | int) and column.unit != FRACTION:
        return Decimal(value) / 100  # 0-100 in the data, a fraction under Excel's 0.0%
    return value


def xlsx_bytes(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]],
               sheet: str = "data") -> bytes:
    """An XLSX workbook of one sheet: numbers as numbers with formats, frozen header row,
    autofilter over the data."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True,
                                        "strings_to_formulas": False,
                                        "strings_to_urls": False,
                                        "strings_to_numbers": False})
    try:
        ws = book.add_worksheet(_SAFE_NAME.sub("_", sheet)[:31] or "data")
        header = book.add_format({"bold": True, "bottom": 1})
        formats = {kind: book.add_format({"num_format": fmt})
                   for kind, fmt in NUMBER_FORMATS.items()}
        cols = list(columns)
        for j, col in enumerate(cols):
            ws.write_string(0, j, col.header, header)
            ws.set_column(j, j, max(12, min(40, len(col.header) + 2)))
        n = 0
        for i, row in enumerate(rows, start=1):
            n = i
            for j, col in enumerate(cols):
                value = _xlsx_value(row.get(col.key), col)
                fmt = formats.get(col.kind)
                if value is None:
                    ws.write_blank(i, j, None, fmt)
                elif isinstance(value, Decimal):
                    # XLSX stores IEEE doubles: a cent amount below 2**53 cents is exact
                    ws.write_number(i, j, float(value), fmt)
                elif isinstance(value, int):
                    ws.write_number(i, j, value, fmt)
                elif isinstance(value, datetime | date):
                    ws.write_datetime(i, j, datetime(value.year, value.month, value.day)
                                      if not isinstance(value, datetime) else value,
                                      formats["date"])
                else:
                    ws.write_string(i, j, str(value))
        ws.freeze_panes(1, 0)
        if cols:
            ws.autofilter(0, 0, max(n, 1), len(cols) - 1)
    finally:
        book.close()
    return buffer.getvalue()


def xlsx_response(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]],
                  filename: str, sheet: str = "data") -> Response:
    return Response(xlsx_bytes(columns, rows, sheet), media_type=XLSX_TYPE,
                    headers=_disposition(_filename(filename, "xlsx")))


def export_response(fmt: str, columns: Sequence[Column], rows: Iterable[Mapping[str, Any]],
                    filename: str, sheet: str = "data") -> Response:
    """`format=csv|xlsx` of a request as its download."""
    if fmt == "csv":
        return csv_response(columns, rows, filename)
    if fmt == "xlsx":
        return xlsx_response(columns, rows, filename, sheet)
    from fastapi import HTTPException

    raise HTTPException(400, "format must be csv or xlsx")
