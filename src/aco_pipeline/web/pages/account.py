"""`/account`: one's own password and second factor (any logged-in user).

Changing the password ends every other session of the user and rotates this one; enrolling an
authenticator takes a code from it before it counts; a user sees their sessions and can end
the others. Each of these asks for the current password again, and each is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
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
    own = svc.sessions.touch(principal.session_id)
    sessions = [{"handle": x.handle, "created": _stamp(x.created_at),
                 "last_seen": _stamp(x.last_seen), "client": x.client or "",
                 "mine": own is not None and x.handle == own.handle}
                for x in svc.sessions.of_user(principal.user_id)]
    return render(request, "account.html",
                  {"user": user, "pending_secret": pending, "provisioning_uri": uri,
                   "message": message, "error": error, "sessions": sessions},
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
    if not _reauthenticated(request, principal, current, "account.password"):
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


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _reauthenticated(request: Request, principal: Principal, password: str, action: str
                     ) -> bool:
    """The current password, asked again before a change to how this account logs in or to
    its sessions (ASVS 5.0 7.5.1, 7.5.2); a wrong one is audited."""
    svc = services(request)
    if svc.users.authenticate(principal.username, password) is not None:
        return True
    svc.audit.record(principal=principal, action=action, outcome="failed",
                     client=client_of(request), detail="current password wrong")
    return False


@router.post("/account/sessions/end-others")
def end_other_sessions(request: Request, principal: SELF,
                       current: Annotated[str, Form(max_length=1024)]) -> Response:
    svc = services(request)
    if not _reauthenticated(request, principal, current, "account.sessions"):
        return _page(request, principal, error="The current password is not right.",
                     status_code=400)
    own = svc.sessions.touch(principal.session_id)
    ended = 0
    for session in svc.sessions.of_user(principal.user_id):
        if own is None or session.handle != own.handle:
            ended += int(svc.sessions.revoke_handle(session.handle))
    svc.audit.record(principal=principal, action="account.sessions",
                     client=client_of(request), detail=f"sessions ended={ended}")
    return _page(request, principal, message=f"Ended {ended} other session"
                 f"{'' if ended == 1 else 's'}.")


@router.post("/account/totp")
def enrol_totp(request: Request, principal: SELF,
               code: Annotated[str, Form(max_length=16)],
               current: Annotated[str, Form(max_length=1024)]) -> Response:
    svc = services(request)
    if not _reauthenticated(request, principal, current, "account.totp_enrolled"):
        return _page(request, principal, error="The current password is not right.",
                     status_code=400)
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
