"""CSV and XLSX downloads: exact values, number formats, a frozen filterable header, no-store."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from decimal import Decimal

from aco_pipeline.web.export import csv_response, xlsx_bytes, xlsx_response
from aco_pipeline.web.tables import Column

COLUMNS = (Column("name", "Name"), Column("paid", "Paid", "money"),
           Column("visits", "Visits", "count"),
           Column("complete_percent", "Complete", "percent"),
           Column("leakage_share", "Leakage", "percent", "fraction"),
           Column("month", "Month", "date"),
           Column("rate", "ED visits", "rate", "per 1,000 person-years"))
ROWS = [{"name": "=HYPERLINK(\"x\")", "paid": Decimal("1234567.89"), "visits": 12,
         "complete_percent": Decimal("87.50"), "leakage_share": Decimal("0.1234"),
         "month": date(2024, 3, 1), "rate": Decimal("412.35")},
        {"name": "b", "paid": Decimal("0.10"), "visits": None, "complete_percent": None,
         "leakage_share": None, "month": None, "rate": None}]


def test_csv_is_exact_and_safe() -> None:
    response = csv_response(COLUMNS, ROWS, "spend by TIN/2024")
    assert response.headers["cache-control"] == "no-store"
    assert 'filename="spend_by_TIN_2024.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.body.decode())))
    assert rows[0][6] == "ED visits (per 1,000 person-years)"
    assert rows[1][1:7] == ["1234567.89", "12", "87.50", "0.1234", "2024-03-01", "412.35"]
    assert rows[1][0].startswith("'=")  # a formula-looking cell is written as text
    assert rows[2][1] == "0.10" and rows[2][2] == ""


def _sheet(data: bytes) -> tuple[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return (z.read("xl/worksheets/sheet1.xml").decode(), z.read("xl/styles.xml").decode())


def test_xlsx_numbers_formats_frozen_header() -> None:
    sheet, styles = _sheet(xlsx_bytes(COLUMNS, ROWS))
    assert 'formatCode="$#,##0.00"' in styles and 'formatCode="#,##0"' in styles
    assert 'formatCode="0.0%"' in styles
    assert re.search(r'<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                     r'state="frozen"/>', sheet)
    assert '<autoFilter ref="A1:G3"/>' in sheet
    values = re.findall(r'<c r="([A-G]2)"[^>]*><v>([^<]+)</v>', sheet)
    cells = dict(values)
    assert cells["B2"] == "1234567.89"       # money as a number, to the cent
    assert cells["C2"] == "12"
    assert cells["D2"] == "0.875"            # 87.50 (0-100) under the 0.0% format
    assert cells["E2"] == "0.1234"           # a fraction stays a fraction
    assert 't="s"' in re.search(r'<c r="A2"[^>]*>', sheet).group(0)  # text, not a formula


def test_xlsx_response_headers() -> None:
    response = xlsx_response(COLUMNS, ROWS, "finance")
    assert response.headers["cache-control"] == "no-store"
    assert response.media_type.endswith("spreadsheetml.sheet")
    assert zipfile.is_zipfile(io.BytesIO(response.body))
