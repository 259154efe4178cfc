"""The JSON API of the aggregate pages: `/api/executive`, `/api/finance`, `/api/network`,
`/api/provider`, each the same View as its page (the same function, the same parameters:
`period`, `tin`, `npi`), with every table's rows (charts' table views included).

Money is a JSON number written from the exact decimal digits (as `aco report --format
json`: parse with a decimal type). Aggregates only: the beneficiaries behind a figure are
on the patient-level pages and their own API routes (pages/patient.py, pages/analyst.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from aco_pipeline.warehouse import read
from aco_pipeline.web.access.guard import require
from aco_pipeline.web.access.principal import Permission, Principal
from aco_pipeline.web.pages.aggregate import View
from aco_pipeline.web.pages.executive import executive_view
from aco_pipeline.web.pages.finance import finance_view
from aco_pipeline.web.pages.network import network_view
from aco_pipeline.web.pages.provider import provider_view
from aco_pipeline.web.schemas import API_ERRORS, Npi, Period, Tin, ViewJson

if TYPE_CHECKING:
    import duckdb

router = APIRouter(prefix="/api", responses=API_ERRORS)


def view_json(view: View, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The view as JSON-ready data: period, figures and every table's rows in full."""
    tabs = []
    for tab in view.tabs:
        tables: dict[str, Any] = {}
        items = [(t.table_id, t) for t in tab.tables]
        items += [(c.table_id, view.tables()[c.table_id]) for c in tab.charts]
        for table_id, table in items:
            rows = table.everything(con, table.query(None))
            tables[table_id] = {
                "title": table.title,
                "columns": [{"key": c.key, "label": c.header, "kind": c.kind,
                             "unit": c.unit} for c in table.columns],
                "rows": [_row(r, table.columns) for r in rows],
            }
        tabs.append({"tab_id": tab.tab_id, "label": tab.label,
                     "figures": [f.record() for f in tab.figures],
                     "links": [{"label": label, "href": href} for label, href in tab.links],
                     "tables": tables, "notes": tab.notes})
    return {"title": view.title, "period": view.period.record(),
            "periods": [p.record() for p in view.periods], "tabs": tabs, "notes": view.notes}


def _row(row: dict[str, Any], columns: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in columns:
        out[c.key] = row.get(c.key)
        if c.kind == "link" and c.link:
            out[c.link] = row.get(c.link)
    return out


def answer(request: Request, build: Callable[[Any], View]) -> Response:
    """The View `build` makes on the published warehouse, as exact JSON."""
    from aco_pipeline.cli.output import _json as exact_json  # the one exact JSON writer

    services = request.app.state.services
    try:
        with services.warehouse.connect() as con:
            view = build(con)
            body = view_json(view, con)
    except read.WarehouseReadError:
        raise HTTPException(503, "the warehouse is not built yet") from None
    return Response(exact_json(body), media_type="application/json")


Executive = Annotated[Principal, Depends(require(Permission.EXECUTIVE))]
Finance = Annotated[Principal, Depends(require(Permission.FINANCE))]
Network = Annotated[Principal, Depends(require(Permission.NETWORK))]
Provider = Annotated[Principal, Depends(require(Permission.PROVIDER))]


@router.get("/executive", response_model=ViewJson)
def executive_api(request: Request, principal: Executive, period: Period = None) -> Response:
    return answer(request, lambda con: executive_view(con, principal.scope, period))


@router.get("/finance", response_model=ViewJson)
def finance_api(request: Request, principal: Finance, period: Period = None) -> Response:
    return answer(request, lambda con: finance_view(con, principal.scope, period))


@router.get("/network", response_model=ViewJson)
def network_api(request: Request, principal: Network, period: Period = None,
                tin: Tin = None, npi: Npi = None) -> Response:
    return answer(request,
                  lambda con: network_view(con, principal.scope, period, tin, npi))


@router.get("/provider", response_model=ViewJson)
def provider_api(request: Request, principal: Provider, period: Period = None,
                 tin: Tin = None, npi: Npi = None) -> Response:
    return answer(request,
                  lambda con: provider_view(con, principal.scope, period, tin, npi,
                                            patients=principal.may(Permission.PHI)))
