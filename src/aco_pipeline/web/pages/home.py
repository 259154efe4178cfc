"""`/`: sends each principal to their role's dashboard; `/healthz` for a load balancer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from aco_pipeline.web.access.guard import public, require
from aco_pipeline.web.access.principal import Permission, Principal, Role
from aco_pipeline.web.render import render

router = APIRouter(include_in_schema=False)

# the first of a principal's roles in this order whose dashboard exists is where `/` goes
# (else the first header link the principal may use)
DASHBOARDS: list[tuple[Role, str]] = [
    (Role.ANALYST, "/analyst"),
    (Role.ANALYST, "/analyst/spend-trend"),
    (Role.CARE_MANAGER, "/care"),
    (Role.EXECUTIVE, "/executive"),
    (Role.FINANCE, "/finance"),
    (Role.NETWORK, "/network"),
    (Role.PROVIDER, "/provider"),
    (Role.ADMIN, "/admin"),
]


def dashboard_for(request: Request, principal: Principal) -> str | None:
    paths = request.app.state.paths
    for role, path in DASHBOARDS:
        if role in principal.roles and path in paths:
            return path
    for _, path, permission in request.app.state.nav:  # else the first page it may open
        if principal.may(permission) and path in paths:
            return path
    return None


@router.get("/")
def home(request: Request,
         principal: Annotated[Principal, Depends(require(Permission.SELF))]) -> Response:
    target = dashboard_for(request, principal)
    if target is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "home.html")


@router.get("/healthz")
def healthz(_: object = Depends(public())) -> dict[str, str]:
    return {"status": "ok"}
