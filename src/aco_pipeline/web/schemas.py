"""The JSON API's documented shapes (`/openapi.json`): answers, errors and query parameters.

These models document what the routes write; the routes still write their bodies with the
CLI's exact JSON writer (`cli.output._json`), so money stays exact decimal digits in a JSON
number (never through a float). `Cell` is how one table cell or figure value is documented:
a number (money, counts, rates, scores), a string (text, ISO dates), a boolean or null.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, WithJsonSchema

from aco_pipeline.web import refusals
from aco_pipeline.web.tables import MAX_FILTER

CELL_SCHEMA: dict[str, Any] = {"type": ["number", "string", "boolean", "null"]}
Cell = Annotated[Decimal | int | str | bool | None, WithJsonSchema(CELL_SCHEMA)]
"""A table cell or figure value as JSON: exact numbers stay `Decimal` in Python."""

Row = dict[str, Cell]


class ErrorBody(BaseModel):
    """Every refusal or error under /api: a message saying what to do, never request input;
    a 422 also names the fields that were wrong (not their values)."""

    detail: str
    fields: list[str] | None = None


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("A well-formed value the published data or another parameter rules out; "
                "`detail` is one of: " + "; ".join(sorted(refusals.DATA_DEPENDENT))),
    401: _error("Not logged in (no session, or it has expired)"),
    403: _error("The logged-in user lacks the permission, or asked outside their provider "
                "scope"),
    404: _error("No such resource (or not one this user may see)"),
    422: _error("A parameter is malformed; `fields` names which"),
    503: _error("The warehouse is not built yet"),
}
"""The error answers of every /api route (the routers' `responses=`): `require(...)` refuses
with 401/403 before a route runs; the others come from the route."""

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORTS: dict[int | str, dict[str, Any]] = {200: {"content": {
    "text/csv": {"schema": {"type": "string"}},
    XLSX: {"schema": {"type": "string", "format": "binary"}},
}, "description": "JSON, or with `format=csv|xlsx` one table's export"}}


# --- query parameters -------------------------------------------------------------------------

Period = Annotated[str | None, Query(max_length=64,
                                     description="A canonical period id (metric_period); "
                                                 "default: the performance year to date")]
Tin = Annotated[str | None, Query(pattern=r"^([0-9]{9})?$",
                                  description="Narrow to one TIN (9 digits)")]
Npi = Annotated[str | None, Query(pattern=r"^([0-9]{10})?$",
                                  description="Narrow to one NPI (10 digits)")]
TableId = Annotated[str | None, Query(max_length=64, description="One table of the answer")]
Sort = Annotated[str | None, Query(max_length=64, description="A column key to sort by")]
Desc = Annotated[Literal["1", "0", "true", "false", ""] | None,
                 Query(description="Sort descending")]
Filter = Annotated[str | None, Query(max_length=MAX_FILTER, description="Filter text")]
PageNo = Annotated[int | None, Query(ge=1, le=1_000_000, description="Page number, from 1")]


# --- answers ----------------------------------------------------------------------------------

class PeriodJson(BaseModel):
    period_id: str
    period_kind: str
    period_start: str | None
    period_end: str | None
    months: int | None
    as_of_date: str | None


class ColumnJson(BaseModel):
    key: str
    label: str
    kind: str
    unit: str | None = None


class FigureJson(BaseModel):
    key: str
    label: str
    value: Cell
    kind: str
    unit: str | None


class LinkJson(BaseModel):
    label: str
    href: str


class ViewTableJson(BaseModel):
    title: str
    columns: list[ColumnJson]
    rows: list[Row]


class TabJson(BaseModel):
    tab_id: str
    label: str
    figures: list[FigureJson]
    links: list[LinkJson]
    tables: dict[str, ViewTableJson]
    notes: list[str]


class ViewJson(BaseModel):
    """An aggregate page as JSON (`/api/executive`, `/finance`, `/network`, `/provider`)."""

    title: str
    period: PeriodJson
    periods: list[PeriodJson]
    tabs: list[TabJson]
    notes: list[str]


class PageTableJson(BaseModel):
    columns: list[ColumnJson]
    rows: list[Row]
    total: int
    page: int
    pages: int


class TablesJson(BaseModel):
    """A patient-level answer: its tables (one page each), and for one beneficiary's page the
    header; beneficiaries appear by token only."""

    tables: dict[str, PageTableJson]
    patient: dict[str, Cell] | None = None


def table_params(table: TableId = None, sort: Sort = None, desc: Desc = None,
                 q: Filter = None, page: PageNo = None,
                 fmt: Annotated[Literal["csv", "xlsx"] | None,
                                Query(alias="format", description="Export one table "
                                      "(`table=`, default the first) instead of JSON")] = None,
                 ) -> None:
    """Declares (and validates) a patient-level answer's table parameters; the route reads
    them through `tables.TableQuery.from_request`, which also checks `sort` and `table`
    against the answer's own columns and tables (400)."""


def hierarchy_params(tin: Tin = None, npi: Npi = None) -> None:
    """Declares (and validates) the ACO -> TIN -> NPI filter (`tin=`, `npi=`)."""
