"""`/account`: one's own password and second factor (any logged-in user).

Changing the password ends every other session of the user and rotates this one; enrolling an
authenticator takes a code from it before it counts. Both are audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from aco_pipeline.web.access.guard import client_of, require
from aco_pipeline.web.access.principal import Permission, Principal
from aco_pipeline.web.access.sessions import FULL
from aco_pipeline.web.access.totp import provisioning_uri, step_of
from aco_pipeline.web.access.users import UserError
from aco_pipeline.web.pages.auth import set_session_cookie
from aco_pipeline.web.render import render, services

router = APIRouter(include_in_schema=False)
SELF = Annotated[Principal, Depends(require(Permission.SELF))]


def _page(request: Request, principal: Principal, *, message: str | None = None,
          error: str | None = None, status_code: int = 200) -> Response:
    svc = services(request)
    user = svc.users.get(principal.user_id)
    pending = None if user is None or user.totp_enabled else \
        svc.users.pending_totp(principal.user_id, create=True)
    uri = provisioning_uri(pending, principal.username, svc.workspace.aco_id) if pending \
        else None
    return render(request, "account.html",
                  {"user": user, "pending_secret": pending, "provisioning_uri": uri,
                   "message": message, "error": error},
                  status_code=status_code, headers={"Cache-Control": "no-store"})


@router.get("/account")
def account(request: Request, principal: SELF) -> Response:
    return _page(request, principal)


@router.post("/account/password")
def change_password(request: Request, principal: SELF,
                    current: Annotated[str, Form(max_length=1024)],
                    new: Annotated[str, Form(max_length=1024)],
                    confirm: Annotated[str, Form(max_length=1024)]) -> Response:
    svc = services(request)
    if svc.users.authenticate(principal.username, current) is None:
        svc.audit.record(principal=principal, action="account.password", outcome="failed",
                         client=client_of(request), detail="current password wrong")
        return _page(request, principal, error="The current password is not right.",
                     status_code=400)
    if new != confirm:
        return _page(request, principal, error="The two new passwords differ.",
                     status_code=400)
    try:
        svc.users.reset_password(principal.username, new)
    except UserError as exc:
        return _page(request, principal, error=str(exc), status_code=400)
    ended = svc.sessions.revoke_user(principal.user_id)
    session = svc.sessions.create(principal.user_id, stage=FULL, client=client_of(request))
    svc.audit.record(principal=principal, action="account.password",
                     client=client_of(request), detail=f"sessions ended={ended}")
    response = RedirectResponse("/account", status_code=303)
    set_session_cookie(request, response, session.id)
    return response


@router.post("/account/totp")
def enrol_totp(request: Request, principal: SELF,
               code: Annotated[str, Form(max_length=16)]) -> Response:
    svc = services(request)
    pending = svc.users.pending_totp(principal.user_id)
    step = step_of(pending, code, svc.settings.clock()) if pending else None
    if step is None:
        return _page(request, principal, error="That code is not right: check the "
                     "authenticator's clock and try the current code.", status_code=400)
    svc.users.confirm_totp(principal.user_id)
    svc.users.use_totp_step(principal.user_id, step)
    svc.audit.record(principal=principal, action="account.totp_enrolled",
                     client=client_of(request))
    return _page(request, principal, message="The authenticator is set up: every login "
                 "now asks for its code.")
