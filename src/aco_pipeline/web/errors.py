"""Error answers: a clear 4xx page (or JSON under /api) that says what to do and nothing more.

No error response echoes request input or carries an exception's text from deep inside the
app: a validation error lists the fields that were wrong, not their values, so nothing a
user typed (which might be PHI) comes back in an error page.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from aco_pipeline.web.access.csrf import CsrfError
from aco_pipeline.web.access.guard import (
    Forbidden,
    NotLoggedIn,
    client_of,
    current_principal,
    is_api,
)
from aco_pipeline.web.access.headers import HEADERS, HSTS
from aco_pipeline.web.render import render

MESSAGES = {
    400: "The request was not understood.",
    401: "Log in to continue.",
    403: "You do not have access to this page.",
    404: "There is no such page.",
    405: "That is not something this page does.",
    422: "Some fields of the request were not valid.",
    429: "Too many attempts. Wait a while and try again.",
}


def _answer(request: Request, status: int, message: str, *, fields: list[str] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    if is_api(request):
        body: dict[str, object] = {"detail": message}
        if fields:
            body["fields"] = fields
        return JSONResponse(body, status_code=status, headers=headers)
    return render(request, "errors/error.html",
                  {"status": status, "message": message, "fields": fields or []},
                  status_code=status, headers=headers)


def not_logged_in(request: Request, exc: NotLoggedIn) -> Response:
    if is_api(request):
        return JSONResponse({"detail": "not logged in"}, status_code=401,
                            headers={"WWW-Authenticate": "Cookie"})
    target = "/login?next=" + quote(request.url.path, safe="/")
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def forbidden(request: Request, exc: Forbidden) -> Response:
    return _answer(request, 403, MESSAGES[403])


def csrf_failed(request: Request, exc: CsrfError) -> Response:
    """403, and an audit row: a forged or stale state-changing request (ASVS 5.0 16.3.3)."""
    request.app.state.services.audit.record(
        principal=current_principal(request), action="csrf", target=request.url.path,
        outcome="denied", client=client_of(request), detail=request.method)
    return _answer(request, 403, str(exc))


def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    message = MESSAGES.get(exc.status_code, "The request could not be answered.")
    if isinstance(exc.detail, str) and exc.status_code < 500 and exc.detail not in (
            "Not Found", "Method Not Allowed"):
        message = exc.detail  # our own messages (raised on purpose, never with PHI)
    return _answer(request, exc.status_code, message, headers=getattr(exc, "headers", None))


def invalid_request(request: Request, exc: RequestValidationError) -> Response:
    fields = sorted({".".join(str(p) for p in err.get("loc", ()) if p != "body")
                     for err in exc.errors()})
    return _answer(request, 422, MESSAGES[422], fields=fields)


SERVER_ERROR_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>500 · aco-pipeline</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main><h1>500</h1><p>Something went wrong on the server. It was logged; try again
later.</p><p><a href="/">Home</a></p></main></body></html>"""


def server_error(request: Request, exc: Exception) -> Response:
    """The last-resort answer: a generic page (or JSON) with the security headers, nothing
    about the error; Starlette still logs the traceback and re-raises (the bug is not hidden).
    Built without the template engine or the stores, which may be what failed."""
    headers = dict(HEADERS)
    headers["Cache-Control"] = "no-store"
    if request.app.state.services.settings.behind_proxy:
        headers[HSTS[0]] = HSTS[1]
    if is_api(request):
        return JSONResponse({"detail": "server error"}, status_code=500, headers=headers)
    return HTMLResponse(SERVER_ERROR_PAGE, status_code=500, headers=headers)
