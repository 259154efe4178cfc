"""What a page handler needs to answer: its services, a template rendered with the base context.

Every template gets `principal` (or None), `nav` (the `(label, path)` links this principal may
use), `csrf_token` (for forms; base.html also puts it in `<meta name="csrf-token">` for htmx)
and `status_banner` (the data-status banner's fields, when `web.status` provides it).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from aco_pipeline.web.access.guard import current_principal
from aco_pipeline.web.access.headers import mark_phi

if TYPE_CHECKING:
    from aco_pipeline.web.app import Services

__all__ = ["base_context", "mark_phi", "render", "services"]


def services(request: Request) -> Services:
    return request.app.state.services


def _banner(request: Request) -> dict | None:
    if importlib.util.find_spec("aco_pipeline.web.status") is None:
        return None
    status = importlib.import_module("aco_pipeline.web.status")
    return status.banner(services(request))


def base_context(request: Request) -> dict[str, Any]:
    principal = current_principal(request)
    nav = [(label, path) for label, path, permission in request.app.state.nav
           if principal is not None and principal.may(permission)]
    return {
        "principal": principal,
        "nav": nav,
        "csrf_token": services(request).csrf.token(request),
        "status_banner": _banner(request) if principal is not None else None,
    }


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200, phi: bool = False,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """`template` rendered with `context` over the base context; `phi` marks the response as
    patient-level (no-store)."""
    if phi:
        mark_phi(request)
    return request.app.state.templates.TemplateResponse(
        request, template, context or {}, status_code=status_code, headers=headers)
