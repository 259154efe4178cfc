"""Login (password, then the second factor when enrolled), logout.

A login always makes a new session id (the one the browser had before is ended); a failed login
answers the same for an unknown user, a disabled user and a wrong password; repeated failures
lock the username (and the client) for a while (access.throttle). Every outcome is audited.
"""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from aco_pipeline.web.access.guard import client_of, public
from aco_pipeline.web.access.oidc import OidcError, provision
from aco_pipeline.web.access.sessions import CHANGE, ENROL, FULL, MFA
from aco_pipeline.web.access.totp import provisioning_uri, step_of
from aco_pipeline.web.access.users import USERNAME, User, UserError
from aco_pipeline.web.render import render, services

router = APIRouter(include_in_schema=False)

BAD_LOGIN = "The username or password is not right."
BAD_CODE = "That code is not right (or was used already)."


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else (another host, a scheme) is `/`."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or "\\" in target or len(target) > 512 or any(ord(c) < 32 for c in target)):
        return "/"
    return target


def audit_name(username: str) -> str:
    """The typed username as the audit log keeps it (something that is not a username, e.g.
    a password typed into the wrong box, is not stored)."""
    name = username.strip().lower()
    return name if USERNAME.match(name) else "(not a username)"


def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    settings = services(request).settings
    response.set_cookie(settings.session_cookie, session_id, httponly=True, samesite="lax",
                        secure=settings.behind_proxy, path="/")


def complete_login(request: Request, user: User, next_path: str, *, method: str) -> Response:
    """A full session for `user` (replacing whatever session the browser had), audited."""
    svc = services(request)
    old = request.cookies.get(svc.settings.session_cookie)
    session = svc.sessions.create(user.id, stage=FULL, client=client_of(request), replaces=old)
    svc.audit.record(principal=user.principal(session.id), action="login",
                     client=client_of(request), detail=method)
    response = RedirectResponse(safe_next(next_path), status_code=303)
    set_session_cookie(request, response, session.id)
    return response


def _locked(request: Request, username: str, template: str, context: dict) -> Response | None:
    svc = services(request)
    wait = svc.throttle.locked_for(username, client_of(request))
    if wait <= 0:
        return None
    svc.audit.record(principal=None, username=audit_name(username), action="login",
                     outcome="locked", client=client_of(request))
    minutes = max(1, math.ceil(wait / 60))
    return render(request, template,
                  {**context, "error": f"Too many failed attempts: try again in {minutes} "
                                       f"minute{'s' if minutes > 1 else ''}."},
                  status_code=429, headers={"Retry-After": str(math.ceil(wait))})


@router.get("/login")
def login_form(request: Request, next: str = "/",
               _: object = Depends(public())) -> Response:
    return render(request, "login.html",
                  {"next": safe_next(next), "error": None,
                   "oidc": services(request).settings.oidc is not None})


@router.post("/login")
def login(request: Request, username: Annotated[str, Form(max_length=256)],
          password: Annotated[str, Form(max_length=1024)],
          next: Annotated[str, Form(max_length=1024)] = "/",
          _: object = Depends(public())) -> Response:
    svc = services(request)
    context = {"next": safe_next(next), "oidc": svc.settings.oidc is not None,
               "username": audit_name(username) if USERNAME.match(username.strip().lower())
               else ""}
    locked = _locked(request, username, "login.html", context)
    if locked is not None:
        return locked
    user = svc.users.authenticate(username, password)
    if user is None:
        svc.throttle.failed(username, client_of(request))
        svc.audit.record(principal=None, username=audit_name(username), action="login",
                         outcome="failed", client=client_of(request), detail="password")
        return render(request, "login.html", {**context, "error": BAD_LOGIN}, status_code=401)
    svc.throttle.succeeded(username)
    return next_step(request, user, context["next"], done=set(), method="password")


# --- the steps after the password --------------------------------------------------------

STEP_PATHS = {MFA: "/login/totp", ENROL: "/login/enrol", CHANGE: "/login/password"}


def next_step(request: Request, user: User, next_path: str, *, done: set[str],
              method: str) -> Response:
    """The next login step this user still owes (the authenticator code, setting one up
    when the app requires it, changing a password someone else set), or the finished login.
    Each step is its own short-lived pending session: it grants nothing else."""
    svc = services(request)
    if user.totp_enabled and MFA not in done:
        stage = MFA
    elif svc.settings.require_totp and not user.totp_enabled and ENROL not in done:
        stage = ENROL
    elif user.must_change and CHANGE not in done:
        stage = CHANGE
    else:
        return complete_login(request, user, next_path, method=method)
    old = request.cookies.get(svc.settings.session_cookie)
    pending = svc.sessions.create(user.id, stage=stage, client=client_of(request),
                                  replaces=old)
    response = RedirectResponse(f"{STEP_PATHS[stage]}?next=" + quote(next_path, safe="/"),
                                status_code=303)
    set_session_cookie(request, response, pending.id)
    return response


def _pending_user(request: Request, stage: str) -> User | None:
    svc = services(request)
    session = svc.sessions.touch(request.cookies.get(svc.settings.session_cookie))
    if session is None or session.stage != stage:
        return None
    user = svc.users.get(session.user_id)
    return None if user is None or user.disabled else user


def _done_before(stage: str) -> set[str]:
    """The steps that come before `stage` (all passed, since the user is at `stage`)."""
    order = [MFA, ENROL, CHANGE]
    return set(order[:order.index(stage) + 1])


@router.get("/login/totp")
def totp_form(request: Request, next: str = "/", _: object = Depends(public())) -> Response:
    if _pending_user(request, MFA) is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "login_totp.html", {"next": safe_next(next), "error": None})


def _code_ok(request: Request, user: User, secret: str | None, code: str) -> bool:
    svc = services(request)
    step = step_of(secret, code, svc.settings.clock()) if secret else None
    if step is None or not svc.users.use_totp_step(user.id, step):
        svc.throttle.failed(user.username, client_of(request))
        svc.audit.record(principal=None, username=user.username, action="login",
                         outcome="failed", client=client_of(request), detail="second factor")
        return False
    svc.throttle.succeeded(user.username)
    return True


@router.post("/login/totp")
def totp_check(request: Request, code: Annotated[str, Form(max_length=16)],
               next: Annotated[str, Form(max_length=1024)] = "/",
               _: object = Depends(public())) -> Response:
    svc = services(request)
    user = _pending_user(request, MFA)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    context = {"next": safe_next(next)}
    locked = _locked(request, user.username, "login_totp.html", context)
    if locked is not None:
        return locked
    if not _code_ok(request, user, svc.users.totp_secret(user.id), code):
        return render(request, "login_totp.html", {**context, "error": BAD_CODE},
                      status_code=401)
    return next_step(request, user, context["next"], done=_done_before(MFA),
                     method="password+totp")


def _enrol_page(request: Request, user: User, next_path: str, error: str | None = None,
                status_code: int = 200) -> Response:
    svc = services(request)
    secret = svc.users.pending_totp(user.id, create=True)
    assert secret is not None
    return render(request, "login_enrol.html",
                  {"next": next_path, "error": error, "pending_secret": secret,
                   "provisioning_uri": provisioning_uri(secret, user.username,
                                                        svc.workspace.aco_id)},
                  status_code=status_code, headers={"Cache-Control": "no-store"})


@router.get("/login/enrol")
def enrol_form(request: Request, next: str = "/", _: object = Depends(public())) -> Response:
    user = _pending_user(request, ENROL)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return _enrol_page(request, user, safe_next(next))


@router.post("/login/enrol")
def enrol_check(request: Request, code: Annotated[str, Form(max_length=16)],
                next: Annotated[str, Form(max_length=1024)] = "/",
                _: object = Depends(public())) -> Response:
    svc = services(request)
    user = _pending_user(request, ENROL)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    locked = _locked(request, user.username, "login_totp.html", {"next": safe_next(next)})
    if locked is not None:
        return locked
    if not _code_ok(request, user, svc.users.pending_totp(user.id), code):
        return _enrol_page(request, user, safe_next(next), BAD_CODE, 401)
    svc.users.confirm_totp(user.id)
    svc.audit.record(principal=user.principal(), action="account.totp_enrolled",
                     client=client_of(request), detail="at login")
    fresh = svc.users.get(user.id)
    assert fresh is not None
    return next_step(request, fresh, safe_next(next), done=_done_before(ENROL),
                     method="password+totp")


@router.get("/login/password")
def change_form(request: Request, next: str = "/", _: object = Depends(public())) -> Response:
    if _pending_user(request, CHANGE) is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "login_password.html", {"next": safe_next(next), "error": None})


@router.post("/login/password")
def change_check(request: Request, new: Annotated[str, Form(max_length=1024)],
                 confirm: Annotated[str, Form(max_length=1024)],
                 next: Annotated[str, Form(max_length=1024)] = "/",
                 _: object = Depends(public())) -> Response:
    svc = services(request)
    user = _pending_user(request, CHANGE)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    context = {"next": safe_next(next)}
    error = "The two passwords differ." if new != confirm else None
    if error is None:
        try:
            svc.users.reset_password(user.username, new)
        except UserError as exc:
            error = str(exc)
    if error is not None:
        return render(request, "login_password.html", {**context, "error": error},
                      status_code=400)
    svc.sessions.revoke_user(user.id)
    svc.audit.record(principal=user.principal(), action="account.password",
                     client=client_of(request), detail="initial password replaced")
    fresh = svc.users.get(user.id)
    assert fresh is not None
    return complete_login(request, fresh, context["next"], method="password")


@router.post("/logout")
def logout(request: Request, principal: object = Depends(public())) -> Response:
    svc = services(request)
    sid = request.cookies.get(svc.settings.session_cookie)
    if sid:
        svc.sessions.revoke(sid)
    if principal is not None:
        svc.audit.record(principal=principal, action="logout",  # type: ignore[arg-type]
                         client=client_of(request))
    # the browser drops what it kept of this session's pages (ASVS 5.0 14.3.1)
    response = RedirectResponse("/login", status_code=303,
                                headers={"Clear-Site-Data": '"cache", "storage"'})
    response.delete_cookie(svc.settings.session_cookie, path="/", httponly=True,
                           samesite="lax", secure=svc.settings.behind_proxy)
    return response


# --- single sign-on ----------------------------------------------------------------------

def _oidc(request: Request):
    login = services(request).oidc
    if login is None:
        raise HTTPException(404)
    return login


@router.get("/login/oidc")
def oidc_start(request: Request, next: str = "/", _: object = Depends(public())) -> Response:
    login = _oidc(request)
    svc = services(request)
    binding = svc.csrf.binding(request, create=True)
    assert binding is not None
    try:
        url = login.start(str(request.url_for("oidc_callback")), safe_next(next), binding)
    except OidcError as exc:
        return render(request, "login.html", {"next": safe_next(next), "error": str(exc),
                                              "oidc": True}, status_code=502)
    return RedirectResponse(url, status_code=303)


@router.get("/login/oidc/callback", name="oidc_callback")
def oidc_callback(request: Request, code: Annotated[str | None, Query(max_length=2048)] = None,
                  state: Annotated[str | None, Query(max_length=256)] = None,
                  error: Annotated[str | None, Query(max_length=256)] = None,
                  _: object = Depends(public())) -> Response:
    login = _oidc(request)
    svc = services(request)
    client = client_of(request)
    context = {"next": "/", "oidc": True}
    binding = svc.csrf.binding(request)
    if error or not code or not state or not binding:
        svc.audit.record(principal=None, action="login", outcome="failed", client=client,
                         detail="single sign-on: no code")
        return render(request, "login.html",
                      {**context, "error": "Single sign-on did not complete."},
                      status_code=400)
    try:
        identity, next_path = login.finish(str(request.url_for("oidc_callback")), code, state,
                                           binding)
        user = provision(svc.users, identity)
    except OidcError as exc:
        svc.audit.record(principal=None, action="login", outcome="failed", client=client,
                         detail=f"single sign-on: {exc}")
        return render(request, "login.html", {**context, "error": str(exc)},
                      status_code=403)
    return complete_login(request, user, next_path, method="oidc")
