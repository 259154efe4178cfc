"""What the aggregate pages (executive, finance, network, provider) share: the canonical period
selector, a page's content as data (`View`: headline figures, tables, charts, tabs), and one
way to answer a request for it: the whole page, one table's htmx partial, or its CSV/XLSX.

A page module writes a pure function `(con, scope, params) -> View` that reads canonical
`metric_*` tables (or marts) with the principal's `Scope.sql` predicate inside each query,
and a route that calls `respond(...)`. The JSON API (pages/api.py) serves the same View.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import Response

from aco_pipeline.warehouse import read
from aco_pipeline.web import refusals
from aco_pipeline.web import tables as tbl
from aco_pipeline.web.access.principal import Scope
from aco_pipeline.web.charts import Chart
from aco_pipeline.web.export import export_response
from aco_pipeline.web.tables import Column, TablePage, TableQuery

if TYPE_CHECKING:
    import duckdb


PAGE_PARAMS = ("period", "tin", "npi")
"""Request parameters that select a page's data (kept when switching tabs)."""
MAX_VISUALS = 25
"""Visuals (figures, tables, charts) on one tab of a page (issue 12: at most about 25)."""
PERIOD_LABELS = {"performance_year_to_date": "performance year to date", "month": "month",
                 "quarter": "quarter", "rolling_12": "rolling 12 months",
                 "prior_year": "prior year"}


@dataclass(frozen=True)
class Period:
    period_id: str
    period_kind: str
    period_start: date
    period_end: date
    months: int
    as_of_date: date

    @property
    def label(self) -> str:
        return (f"{self.period_id}: {PERIOD_LABELS.get(self.period_kind, self.period_kind)}, "
                f"{self.period_start} to {self.period_end}")

    def record(self) -> dict[str, Any]:
        return {"period_id": self.period_id, "period_kind": self.period_kind,
                "period_start": self.period_start, "period_end": self.period_end,
                "months": self.months, "as_of_date": self.as_of_date}


def periods(con: duckdb.DuckDBPyConnection,
            kinds: Sequence[str] | None = None) -> list[Period]:
    """The canonical periods (metric_period), optionally of some kinds only."""
    read.require(con, ["metric_period"], "canonical metric tables")
    out = [Period(*r) for r in read.rows(con, """
        select period_id, period_kind, period_start, period_end, months, as_of_date
        from metric_period
        order by case period_kind when 'performance_year_to_date' then 0 when 'quarter' then 1
                                  when 'month' then 2 when 'rolling_12' then 3 else 4 end,
                 period_start desc, period_id""")]
    return [p for p in out if kinds is None or p.period_kind in kinds]


def choose_period(available: Sequence[Period], requested: str | None) -> Period:
    """The requested canonical period (400 when it is not one), else the performance year to
    date, else the newest."""
    if requested:
        for p in available:
            if p.period_id == requested:
                return p
        raise HTTPException(400, refusals.UNKNOWN_PERIOD)
    if not available:
        raise HTTPException(404, "no canonical periods in the published warehouse")
    for p in available:
        if p.period_kind == "performance_year_to_date":
            return p
    return max(available, key=lambda p: (p.period_end, p.months))


@dataclass(frozen=True)
class Figure:
    """A headline number: label, value, kind (as a table column) and its unit/denominator."""

    key: str
    label: str
    value: Any
    kind: tbl.Kind = "money"
    unit: str = ""
    note: str = ""

    @property
    def shown(self) -> str:
        return tbl.cell(self.value, Column(self.key, self.label, self.kind, self.unit))

    def record(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "value": self.value,
                "kind": self.kind, "unit": self.unit}


@dataclass
class Table:
    """A table of the page: from SQL (sorted/filtered/paged in the database) or from rows
    already read (a handful of canonical rows)."""

    table_id: str
    title: str
    columns: tuple[Column, ...]
    sql: str | None = None
    params: list[Any] = field(default_factory=list)
    rows: list[dict[str, Any]] | None = None
    default_sort: str | None = None
    descending: bool = False
    size: int = 50

    def query(self, request: Request | None) -> TableQuery:
        if request is None:
            return TableQuery.default(self.default_sort, self.size, self.descending)
        return TableQuery.from_request(request, self.columns, self.default_sort, self.size,
                                       table_id=self.table_id, descending=self.descending)

    def page(self, con: duckdb.DuckDBPyConnection, query: TableQuery) -> TablePage:
        if self.sql is not None:
            return tbl.fetch_page(con, self.sql, self.params, self.columns, query)
        return tbl.page_of_rows(self.rows or [], self.columns, query)

    def everything(self, con: duckdb.DuckDBPyConnection,
                   query: TableQuery) -> list[dict[str, Any]]:
        if self.sql is not None:
            return tbl.fetch_all(con, self.sql, self.params, self.columns, query)
        return tbl.all_rows(self.rows or [], self.columns, query)


@dataclass
class Tab:
    tab_id: str
    label: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    """Drill-through links (label, URL) to other pages, e.g. the beneficiaries behind it."""

    @property
    def visuals(self) -> int:
        return len(self.figures) + len(self.tables) + len(self.charts)


@dataclass
class View:
    title: str
    period: Period
    periods: list[Period]
    tabs: list[Tab]
    notes: list[str] = field(default_factory=list)

    def tab(self, tab_id: str) -> Tab:
        for t in self.tabs:
            if t.tab_id == tab_id:
                return t
        raise HTTPException(404, "no such tab")

    def tables(self) -> dict[str, Table]:
        """Every table of the view by id, the charts' table views included."""
        out: dict[str, Table] = {}
        for t in self.tabs:
            for table in t.tables:
                out[table.table_id] = table
            for chart in t.charts:
                out[chart.table_id] = Table(chart.table_id, chart.title,
                                            tuple(chart.columns), rows=chart.rows,
                                            size=max(len(chart.rows), 1))
        return out

    def check(self) -> None:
        for t in self.tabs:
            if t.visuals > MAX_VISUALS:
                raise ValueError(f"tab {t.tab_id} has {t.visuals} visuals (> {MAX_VISUALS})")


ViewBuilder = Callable[["duckdb.DuckDBPyConnection"], View]


def respond(request: Request, build: ViewBuilder, *,
            template: str, filename: str, tab: str | None = None,
            extra: dict[str, Any] | None = None) -> Response:
    """The page for `build`'s View: the full page (the tab asked for), one table's partial
    for an htmx request naming it (`table=`), or that table as `format=csv|xlsx`."""
    from aco_pipeline.web.render import render

    services = request.app.state.services
    params = request.query_params
    fmt = params.get("format")
    wanted = params.get("table")
    try:
        with services.warehouse.connect() as con:
            view = build(con)
            view.check()
            chosen = view.tab(tab or params.get("tab") or view.tabs[0].tab_id)
            by_id = view.tables()
            if fmt is not None:
                if wanted not in by_id:
                    raise HTTPException(400, refusals.EXPORT_NEEDS_TABLE)
                table = by_id[str(wanted)]
                rows = table.everything(con, table.query(request))
                return export_response(fmt, table.columns, rows,
                                       f"{filename}-{view.period.period_id}-{wanted}")
            pages: dict[str, TablePage] = {}
            for table_id, table in by_id.items():
                in_tab = (table_id in {t.table_id for t in chosen.tables}
                          or table_id in {c.table_id for c in chosen.charts})
                if in_tab or table_id == wanted:
                    pages[table_id] = table.page(con, table.query(request)).for_request(
                        request, table_id, table.title)
    except read.WarehouseReadError:
        return render(request, "pages/not_built.html",
                      {"title": filename.title()}, status_code=503)
    if request.headers.get("HX-Request") and wanted in pages:
        return request.app.state.templates.TemplateResponse(
            request, "_table.html", {"table": pages[str(wanted)], "interactive": True})
    kept = [(k, v) for k, v in params.multi_items() if k in PAGE_PARAMS]

    def tab_query(tab_id: str) -> str:
        return urlencode([*kept, ("tab", tab_id)])

    context = {"view": view, "tab": chosen, "pages": pages, "tab_query": tab_query,
               "chart_tables": {c.chart_id: pages[c.table_id] for c in chosen.charts
                                if c.table_id in pages},
               "title": view.title, **(extra or {})}
    return render(request, template, context)


_TIN = re.compile(r"^[0-9]{9}$")
_NPI = re.compile(r"^[0-9]{10}$")


def narrow(scope: Scope, tin: str | None, npi: str | None) -> Scope:
    """The ACO -> TIN -> NPI filter of a request (`tin=`, `npi=`) within the principal's
    scope: a whole-ACO principal may pick any TIN/NPI; a scoped one only narrows inside its
    own (asking for another TIN is refused, 403)."""
    tin = tin or None
    npi = npi or None
    if tin is not None and not _TIN.match(tin):
        raise HTTPException(400, "tin must be 9 digits")
    if npi is not None and not _NPI.match(npi):
        raise HTTPException(400, "npi must be 10 digits")
    if npi is not None and tin is None and scope.tin is None:
        raise HTTPException(400, refusals.NPI_NEEDS_TIN)
    if scope.tin is not None and tin not in (None, scope.tin):
        raise HTTPException(403, "outside your provider scope")
    if scope.npi is not None and npi not in (None, scope.npi):
        raise HTTPException(403, "outside your provider scope")
    return Scope(tin=scope.tin or tin, npi=scope.npi or npi)


def records(con: duckdb.DuckDBPyConnection, sql: str,
            params: Sequence[object] = ()) -> list[dict[str, Any]]:
    """Rows of a query as dicts (column name -> value)."""
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
