"""Charts as data: a plotly figure spec embedded as JSON, drawn by static/charts.js.

No inline script: `_chart.html` writes the spec into `<script type="application/json">` and
`static/charts.js` draws every such spec with plotly.js, which is served from the installed
`plotly` package (`plotly_js_path`), so no request leaves the machine. Every chart carries its
table view (`Chart.table`), the same numbers under the same column kinds, shown in a
`<details>` below it and exportable like any table.

Numbers reach plotly as JSON numbers (a float is fine for drawing); the table view and the
exports keep the exact decimals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from aco_pipeline.web.tables import FRACTION, Column, TablePage, TableQuery, page_of_rows

SeriesKind = Literal["line", "bar", "markers"]
_ID = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
AXIS_FORMAT = {"money": "$,.0f", "count": ",.0f", "rate": ",.1f", "percent": ".1f"}


@dataclass(frozen=True)
class Series:
    """One trace: the row key holding its y values, its legend label and how it is drawn;
    `low`/`high` name row keys of an interval drawn as error bars."""

    column: Column
    kind: SeriesKind = "line"
    low: str | None = None
    high: str | None = None


@dataclass
class Chart:
    chart_id: str
    title: str
    x: Column
    series: tuple[Series, ...]
    rows: list[dict[str, Any]]
    y_title: str = ""
    extra_columns: tuple[Column, ...] = ()
    """Columns shown in the table view besides x and the series (e.g. the denominator)."""
    shapes: list[dict[str, Any]] = field(default_factory=list)
    """plotly layout shapes (e.g. a shaded MSR band), in data coordinates."""
    y_range: tuple[Decimal, Decimal] | None = None
    """A fixed y-axis range (e.g. to show both a band and a point outside it)."""

    def __post_init__(self) -> None:
        if not _ID.match(self.chart_id):
            raise ValueError(f"chart id {self.chart_id!r} is not a plain identifier")

    @property
    def columns(self) -> list[Column]:
        cols = [self.x, *(s.column for s in self.series)]
        for s in self.series:
            for key in (s.low, s.high):
                if key is not None and key not in {c.key for c in cols}:
                    cols.append(Column(key, f"{s.column.label} ({key})", s.column.kind,
                                       s.column.unit))
        return cols + [c for c in self.extra_columns if c.key not in {x.key for x in cols}]

    @property
    def table_id(self) -> str:
        return f"{self.chart_id}-table"

    def table(self, query: TableQuery | None = None) -> TablePage:
        """The chart's numbers as a table (all rows on one page unless `query` pages them)."""
        q = query or TableQuery.default(None, size=max(len(self.rows), 1))
        page = page_of_rows(self.rows, self.columns, q)
        page.table_id = self.table_id
        return page

    def spec(self) -> dict[str, Any]:
        """The plotly figure: one trace per series over the rows' x values."""
        xs = [_plain(r.get(self.x.key)) for r in self.rows]
        data = []
        for s in self.series:
            trace: dict[str, Any] = {
                "x": xs, "y": [_plain(r.get(s.column.key)) for r in self.rows],
                "name": s.column.header,
                "type": "bar" if s.kind == "bar" else "scatter",
            }
            if s.kind != "bar":
                trace["mode"] = "lines+markers" if s.kind == "line" else "markers"
            if s.low and s.high:
                ys = trace["y"]
                trace["error_y"] = {
                    "type": "data", "symmetric": False,
                    "array": [_gap(_plain(r.get(s.high)), y) for r, y in zip(
                        self.rows, ys, strict=True)],
                    "arrayminus": [_gap(y, _plain(r.get(s.low))) for r, y in zip(
                        self.rows, ys, strict=True)],
                }
            data.append(trace)
        first = self.series[0].column if self.series else None
        kind = first.kind if first else "count"
        tickformat = (".1%" if first is not None and first.unit == FRACTION
                      else AXIS_FORMAT.get(kind, ""))
        yaxis: dict[str, Any] = {"title": {"text": self.y_title}, "tickformat": tickformat}
        if self.y_range is not None:
            yaxis["range"] = [float(self.y_range[0]), float(self.y_range[1])]
        layout: dict[str, Any] = {
            "title": {"text": self.title},
            "xaxis": {"title": {"text": self.x.header}, "type": "category"},
            "yaxis": yaxis,
            "margin": {"l": 70, "r": 20, "t": 50, "b": 60},
            "legend": {"orientation": "h"},
        }
        if self.shapes:
            layout["shapes"] = self.shapes
        return {"data": data, "layout": layout}


def _plain(value: Any) -> Any:
    """A JSON-ready value for drawing (Decimal to float; the table keeps the exact one)."""
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _gap(a: Any, b: Any) -> float | None:
    if a is None or b is None:
        return None
    return max(0.0, float(a) - float(b))


def band(low: Decimal | float, high: Decimal | float, label: str) -> dict[str, Any]:
    """A shaded horizontal band across the plot (e.g. the MSR/MLR corridor)."""
    return {"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
            "y0": float(low), "y1": float(high), "fillcolor": "rgba(128,128,128,0.15)",
            "line": {"width": 0}, "layer": "below", "name": label}


def plotly_js_path() -> Path:
    """plotly.min.js inside the installed plotly package."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        from aco_pipeline.errors import AcoError

        raise AcoError(f"plotly.min.js not found in the installed plotly package ({path})")
    return path
