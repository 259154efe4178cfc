"""Reading the aggregate pages' HTML in tests: a table's rows by its container id, each cell's
exact value (`data-value`) under its column header."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any


class _Tables(HTMLParser):
    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0  # inside the wanted container
        self.headers: list[str] = []
        self.rows: list[list[str | None]] = []
        self._in_th = False
        self._text = ""
        self._in_td = False
        self._cell: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if self.depth:
            if tag == "div":
                self.depth += 1
            elif tag == "th":
                self._in_th, self._text = True, ""
            elif tag == "tr" and self.headers:
                self.rows.append([])
            elif tag == "td":
                self._in_td, self._text = True, ""
                self._cell = a.get("data-value")
        elif tag == "div" and a.get("id") == self.table_id:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag == "div":
            self.depth -= 1
        elif tag == "th":
            self._in_th = False
            self.headers.append(" ".join(self._text.split()))
        elif tag == "td" and self.rows:
            self._in_td = False
            self.rows[-1].append(self._cell if self._cell is not None
                                 else " ".join(self._text.split()))

    def handle_data(self, data: str) -> None:
        if self._in_th or self._in_td:
            self._text += data


def html_table(html: str, table_id: str) -> list[dict[str, str | None]]:
    """The rows of the `_table.html` container `table_id`: header label -> the cell's exact
    value (its data-value; the shown text for text and link cells)."""
    parser = _Tables(table_id)
    parser.feed(html)
    assert parser.headers, f"no table {table_id} in the page"
    return [dict(zip(parser.headers, r, strict=True)) for r in parser.rows
            if len(r) == len(parser.headers)]


def number(text: str | None) -> Decimal | None:
    return None if text in (None, "", "None") else Decimal(str(text))


def chart_spec(html: str, chart_id: str) -> dict[str, Any]:
    match = re.search(rf'<script type="application/json" id="{chart_id}-spec">(.*?)</script>',
                      html, re.S)
    assert match, f"no chart {chart_id}"
    return json.loads(match.group(1))
