"""Admin pages: users and roles, sessions, the audit log and its reports, data status, API docs.

No PHI here: an admin sees beneficiary tokens in the audit log, never who they are.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from aco_pipeline.web.access.guard import require
from aco_pipeline.web.access.principal import Permission, Principal
from aco_pipeline.web.render import render

router = APIRouter(include_in_schema=False)
NAV = [("Admin", "/admin", Permission.ADMIN)]
ADMIN = Depends(require(Permission.ADMIN))


@router.get("/admin")
def admin_home(request: Request, principal: Principal = ADMIN) -> Response:
    return render(request, "admin/index.html")


@router.get("/openapi.json")
def openapi(request: Request, principal: Principal = ADMIN) -> Response:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def docs(request: Request, principal: Principal = ADMIN) -> Response:
    schema = request.app.openapi()
    operations = [(method.upper(), path, op.get("summary") or op.get("operationId", ""))
                  for path, item in sorted(schema.get("paths", {}).items())
                  for method, op in item.items() if isinstance(op, dict)]
    return render(request, "admin/docs.html", {"operations": operations,
                                               "info": schema.get("info", {})})
