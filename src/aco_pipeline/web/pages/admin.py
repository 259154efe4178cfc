"""Admin pages: users and roles, sessions, the audit log and its reports, data status, API docs.

No PHI here: an admin sees beneficiary tokens in the audit log, never who they are. Every change
goes through access.accounts (which ends sessions where it should and audits the change); an
audit export is itself audited.
"""

from __future__ import annotations

import importlib
import importlib.util
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from aco_pipeline.web.access.accounts import Actor
from aco_pipeline.web.access.audit import to_csv
from aco_pipeline.web.access.guard import client_of, require
from aco_pipeline.web.access.principal import Permission, Principal, Role
from aco_pipeline.web.access.users import UserError, parse_roles
from aco_pipeline.web.render import render, services

router = APIRouter(include_in_schema=False)
NAV = [("Admin", "/admin", Permission.ADMIN)]
ADMIN = Annotated[Principal, Depends(require(Permission.ADMIN))]
PAGE = 100
NO_STORE = {"Cache-Control": "no-store"}

Text = Annotated[str | None, Query(max_length=64)]
Stamp = Annotated[str | None, Query(max_length=32, pattern=r"^[0-9T:.\-Z]*$")]


def _actor(request: Request, principal: Principal) -> Actor:
    return Actor(principal=principal, client=client_of(request))


@router.get("/admin")
def admin_home(request: Request, principal: ADMIN) -> Response:
    return render(request, "admin/index.html")


# --- users -------------------------------------------------------------------------------

def _users_page(request: Request, *, message: str | None = None, error: str | None = None,
                password: str | None = None, status_code: int = 200) -> Response:
    svc = services(request)
    return render(request, "admin/users.html",
                  {"users": svc.users.list(), "roles": list(Role), "message": message,
                   "error": error, "password": password},
                  status_code=status_code, headers=NO_STORE)


@router.get("/admin/users")
def users(request: Request, principal: ADMIN) -> Response:
    return _users_page(request)


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


@router.post("/admin/users")
def add_user(request: Request, principal: ADMIN,
             username: Annotated[str, Form(max_length=64)],
             roles: Annotated[list[str], Form(max_length=16)],
             tin: Annotated[str | None, Form(max_length=16)] = None,
             npi: Annotated[str | None, Form(max_length=16)] = None) -> Response:
    svc = services(request)
    try:
        user, password = svc.accounts.add(_actor(request, principal), username,
                                          parse_roles(roles), tin=_blank(tin), npi=_blank(npi))
    except UserError as exc:
        return _users_page(request, error=str(exc), status_code=400)
    return _users_page(request, message=f"Added {user.username}: hand over this password "
                       "safely; it is shown once.", password=password)


def _change(request: Request, principal: Principal, username: str, change: str) -> Response:
    svc = services(request)
    actor = _actor(request, principal)
    try:
        if change == "disable":
            if username == principal.username:
                return _users_page(request, error="You cannot disable yourself.",
                                   status_code=400)
            user, ended = svc.accounts.set_disabled(actor, username, True)
            return _users_page(request, message=f"Disabled {user.username}; sessions "
                               f"ended: {ended}.")
        if change == "enable":
            user, _ = svc.accounts.set_disabled(actor, username, False)
            return _users_page(request, message=f"Enabled {user.username}.")
        if change == "reset-password":
            user, password, ended = svc.accounts.reset_password(actor, username)
            return _users_page(request, message=f"New password for {user.username} (shown "
                               f"once); sessions ended: {ended}.", password=password)
        if change == "remove-totp":
            user = svc.accounts.remove_totp(actor, username)
            return _users_page(request, message=f"Removed the second factor of "
                               f"{user.username}.")
    except UserError as exc:
        return _users_page(request, error=str(exc), status_code=400)
    return _users_page(request, error="Unknown change.", status_code=404)


@router.post("/admin/users/{username}/disable")
def disable_user(request: Request, principal: ADMIN, username: str) -> Response:
    return _change(request, principal, username, "disable")


@router.post("/admin/users/{username}/enable")
def enable_user(request: Request, principal: ADMIN, username: str) -> Response:
    return _change(request, principal, username, "enable")


@router.post("/admin/users/{username}/reset-password")
def reset_user_password(request: Request, principal: ADMIN, username: str) -> Response:
    return _change(request, principal, username, "reset-password")


@router.post("/admin/users/{username}/remove-totp")
def remove_user_totp(request: Request, principal: ADMIN, username: str) -> Response:
    return _change(request, principal, username, "remove-totp")


@router.post("/admin/users/{username}/end-sessions")
def end_user_sessions(request: Request, principal: ADMIN, username: str) -> Response:
    try:
        ended = services(request).accounts.end_sessions_of(_actor(request, principal), username)
    except UserError as exc:
        return _users_page(request, error=str(exc), status_code=400)
    return _users_page(request, message=f"Ended {ended} session{'' if ended == 1 else 's'} "
                       f"of {username}.")


@router.post("/admin/users/{username}/roles")
def set_user_roles(request: Request, principal: ADMIN, username: str,
                   roles: Annotated[list[str], Form(max_length=16)],
                   tin: Annotated[str | None, Form(max_length=16)] = None,
                   npi: Annotated[str | None, Form(max_length=16)] = None) -> Response:
    svc = services(request)
    try:
        user, ended = svc.accounts.set_roles(_actor(request, principal), username,
                                             parse_roles(roles), tin=_blank(tin),
                                             npi=_blank(npi))
    except UserError as exc:
        return _users_page(request, error=str(exc), status_code=400)
    return _users_page(request, message=f"{user.username} now has "
                       f"{'+'.join(sorted(r.value for r in user.roles))}; sessions ended: "
                       f"{ended}.")


# --- sessions ----------------------------------------------------------------------------

def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@router.get("/admin/sessions")
def sessions(request: Request, principal: ADMIN) -> Response:
    svc = services(request)
    names = {u.id: u.username for u in svc.users.list()}
    own = svc.sessions.touch(principal.session_id)
    rows = [{"handle": s.handle, "user": names.get(s.user_id, "?"), "stage": s.stage,
             "created": _stamp(s.created_at), "last_seen": _stamp(s.last_seen),
             "client": s.client or "", "mine": own is not None and s.handle == own.handle}
            for s in svc.sessions.active()]
    return render(request, "admin/sessions.html", {"sessions": rows}, headers=NO_STORE)


@router.post("/admin/sessions/end-all")
def end_all_sessions(request: Request, principal: ADMIN) -> Response:
    """Every session of every user, this one included (after a suspected compromise)."""
    services(request).accounts.end_all_sessions(_actor(request, principal))
    return RedirectResponse("/login", status_code=303)


@router.post("/admin/sessions/{handle}/end")
def end_session(request: Request, principal: ADMIN, handle: str) -> Response:
    services(request).accounts.end_session(_actor(request, principal), handle)
    return RedirectResponse("/admin/sessions", status_code=303)


# --- audit log ---------------------------------------------------------------------------

def _filters(user: str | None, action: str | None, outcome: str | None, since: str | None,
             until: str | None, target: str | None = None) -> dict[str, str | None]:
    return {"username": user or None, "action": action or None, "outcome": outcome or None,
            "since": since or None, "until": until or None, "target": target or None}


Target = Annotated[str | None, Query(max_length=128)]


@router.get("/admin/audit")
def audit(request: Request, principal: ADMIN, user: Text = None, action: Text = None,
          outcome: Text = None, since: Stamp = None, until: Stamp = None,
          target: Target = None, page: Annotated[int, Query(ge=1, le=100_000)] = 1,
          verify: bool = False) -> Response:
    """The log newest first, filtered; `target=` a beneficiary token finds everyone who
    opened that patient. `verify=1` checks the whole chain (reads every row)."""
    svc = services(request)
    filters = _filters(user, action, outcome, since, until, target)
    rows = svc.audit.query(**filters, limit=PAGE + 1, offset=(page - 1) * PAGE)
    shown = {"user": user or "", "action": action or "", "outcome": outcome or "",
             "since": since or "", "until": until or "", "target": target or ""}
    return render(request, "admin/audit.html",
                  {"rows": rows[:PAGE], "more": len(rows) > PAGE, "page": page,
                   "filters": shown, "query": urlencode(shown),
                   "verification": svc.audit.verify() if verify else None},
                  headers=NO_STORE)


@router.get("/admin/audit.csv")
def audit_csv(request: Request, principal: ADMIN, user: Text = None, action: Text = None,
              outcome: Text = None, since: Stamp = None, until: Stamp = None,
              target: Target = None) -> Response:
    svc = services(request)
    rows = svc.audit.query(**_filters(user, action, outcome, since, until, target),
                           limit=None)
    svc.audit.record(principal=principal, action="admin.audit.export", rows=len(rows),
                     client=client_of(request))
    return Response(to_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={**NO_STORE,
                             "Content-Disposition": 'attachment; filename="audit.csv"'})


@router.get("/admin/access")
def access_reports(request: Request, principal: ADMIN, since: Stamp = None,
                   until: Stamp = None,
                   events: Annotated[int, Query(ge=1, le=1_000_000)] = 200,
                   rows: Annotated[int, Query(ge=1, le=100_000_000)] = 10_000) -> Response:
    svc = services(request)
    window = {"since": since or None, "until": until or None}
    return render(request, "admin/access.html",
                  {"viewed": svc.audit.patients_viewed(**window),
                   "failures": svc.audit.failures(**window),
                   "unusual": svc.audit.unusual_volume(events=events, rows=rows, **window),
                   "since": since or "", "until": until or "", "events": events,
                   "rows_limit": rows},
                  headers=NO_STORE)


# --- data status -------------------------------------------------------------------------

@router.get("/admin/status")
def data_status(request: Request, principal: ADMIN) -> Response:
    banner = None
    if importlib.util.find_spec("aco_pipeline.web.status") is not None:
        banner = importlib.import_module("aco_pipeline.web.status").banner(services(request))
    return render(request, "admin/status.html", {"status": banner})


# --- API description ---------------------------------------------------------------------

@router.get("/openapi.json")
def openapi(request: Request, principal: ADMIN) -> Response:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def docs(request: Request, principal: ADMIN) -> Response:
    schema = request.app.openapi()
    operations = [(method.upper(), path, op.get("summary") or op.get("operationId", ""))
                  for path, item in sorted(schema.get("paths", {}).items())
                  for method, op in item.items() if isinstance(op, dict)]
    return render(request, "admin/docs.html", {"operations": operations,
                                               "info": schema.get("info", {})})
