"""`create_app(workspace)`: the FastAPI app with its services, pages and access rules.

Every page module listed in `pages.ROUTERS` exposes `router` (an APIRouter) and optionally
`NAV`, a list of `(label, path, permission)` links shown to principals holding the permission.
At start-up every route must declare `require(...)` or `public()` (access.guard), else
`create_app` raises `UnprotectedRoute`.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.templating import Jinja2Templates

from aco_pipeline.config import Workspace
from aco_pipeline.web import errors, render
from aco_pipeline.web.access.accounts import Accounts
from aco_pipeline.web.access.audit import AuditLog
from aco_pipeline.web.access.csrf import PRE_COOKIE, Csrf, CsrfError
from aco_pipeline.web.access.guard import Forbidden, NotLoggedIn, check_routes, route_rules
from aco_pipeline.web.access.headers import SecurityHeaders
from aco_pipeline.web.access.keys import secret_key
from aco_pipeline.web.access.oidc import OidcLogin, OidcSettings
from aco_pipeline.web.access.principal import Permission
from aco_pipeline.web.access.sessions import ABSOLUTE_SECONDS, IDLE_SECONDS, SessionStore
from aco_pipeline.web.access.store import AUDIT_DB, WEB_DB
from aco_pipeline.web.access.throttle import LoginThrottle
from aco_pipeline.web.access.tokens import BeneficiaryTokens, load_or_create_key
from aco_pipeline.web.access.users import UserStore

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
CSRF_KEY = "web_csrf.key"


@dataclass(frozen=True)
class WebSettings:
    behind_proxy: bool = False
    """Served over TLS by a reverse proxy: Secure cookies, HSTS, `__Host-` cookie name."""
    idle_seconds: int = IDLE_SECONDS
    absolute_seconds: int = ABSOLUTE_SECONDS
    clock: Callable[[], float] = time.time
    """Injectable for tests (idle timeout, lockout); seconds since the epoch."""
    login_failures_per_user: int = 5
    login_failures_per_client: int = 20
    lockout_seconds: int = 15 * 60
    require_totp: bool = False
    """Every password login must use an authenticator (set up at the first login when
    missing). ASVS Level 2 (6.3.2) needs this on, or single sign-on with the identity
    provider's MFA; `aco serve --require-totp`."""
    oidc: OidcSettings | None = None
    password_hasher: PasswordHasher | None = None
    """None: argon2id with argon2-cffi's default (RFC 9106 low-memory: 64 MiB, t=3, p=4);
    tests pass a cheaper argon2id profile to run fast."""

    @property
    def session_cookie(self) -> str:
        return "__Host-aco_session" if self.behind_proxy else "aco_session"

    @property
    def pre_cookie(self) -> str:
        """The pre-login cookie the login form's CSRF token is bound to."""
        return f"__Host-{PRE_COOKIE}" if self.behind_proxy else PRE_COOKIE


@dataclass
class Services:
    workspace: Workspace
    users: UserStore
    sessions: SessionStore
    audit: AuditLog
    tokens: BeneficiaryTokens
    warehouse: Any
    """`web.warehouse.WarehouseHandle` (the published warehouse, read-only, per request)."""
    worklist: Any
    """`web.worklist.WorklistStore` (care-manager item state)."""
    settings: WebSettings
    csrf: Csrf
    throttle: LoginThrottle
    accounts: Accounts
    oidc: OidcLogin | None = None


def _optional(module: str, name: str) -> Any | None:
    """A class from a module built alongside this one, or None while it does not exist."""
    if importlib.util.find_spec(module) is None:
        return None
    return getattr(importlib.import_module(module), name)


def make_services(workspace: Workspace, settings: WebSettings) -> Services:
    state = workspace.state_dir
    state.mkdir(parents=True, exist_ok=True)
    clock = settings.clock
    web_db = state / WEB_DB
    warehouse_cls = _optional("aco_pipeline.web.warehouse", "WarehouseHandle")
    worklist_cls = _optional("aco_pipeline.web.worklist", "WorklistStore")
    users = UserStore(web_db, clock=clock, hasher=settings.password_hasher,
                      context=(workspace.aco_id,))
    sessions = SessionStore(web_db, idle=settings.idle_seconds,
                            absolute=settings.absolute_seconds, clock=clock)
    audit = AuditLog(state / AUDIT_DB, state, clock=clock)
    return Services(
        workspace=workspace,
        users=users,
        sessions=sessions,
        audit=audit,
        tokens=BeneficiaryTokens(load_or_create_key(state)),
        warehouse=warehouse_cls(workspace) if warehouse_cls else None,
        worklist=worklist_cls(state / "worklist.sqlite") if worklist_cls else None,
        settings=settings,
        csrf=Csrf(secret_key(state, CSRF_KEY), settings.session_cookie, settings.pre_cookie),
        throttle=LoginThrottle(web_db, per_user=settings.login_failures_per_user,
                               per_client=settings.login_failures_per_client,
                               lockout=settings.lockout_seconds, clock=clock),
        accounts=Accounts(users, sessions, audit),
        oidc=OidcLogin(settings.oidc, web_db, clock=clock) if settings.oidc else None,
    )


def page_modules() -> list[Any]:
    from aco_pipeline.web.pages import ROUTERS

    return [importlib.import_module(f"aco_pipeline.web.pages.{name}") for name in ROUTERS]


def create_app(workspace: Workspace, settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings()
    services = make_services(workspace, settings)
    app = FastAPI(
        title="aco-pipeline",
        summary="Role-based dashboards and JSON API over the published warehouse",
        docs_url=None, redoc_url=None, openapi_url=None,  # admins only: pages/admin.py
        dependencies=[Depends(services.csrf.check)],
    )
    app.state.services = services
    templates = Jinja2Templates(directory=TEMPLATES, context_processors=[render.base_context])
    app.state.templates = templates
    register_filters = _optional("aco_pipeline.web.tables", "register_filters")
    if register_filters is not None:  # money, count, percent... (web.tables)
        register_filters(templates.env)
    nav: list[tuple[str, str, Permission]] = []
    for module in page_modules():
        app.include_router(module.router)
        api_router = getattr(module, "api_router", None)  # its JSON routes, in the schema
        if api_router is not None:
            app.include_router(api_router)
        nav.extend(getattr(module, "NAV", []))
    app.state.nav = nav
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(NotLoggedIn, errors.not_logged_in)
    app.add_exception_handler(Forbidden, errors.forbidden)
    app.add_exception_handler(CsrfError, errors.csrf_failed)
    app.add_exception_handler(StarletteHTTPException, errors.http_error)
    app.add_exception_handler(RequestValidationError, errors.invalid_request)
    app.add_exception_handler(Exception, errors.server_error)  # 500: logged, re-raised
    app.add_middleware(SecurityHeaders, behind_proxy=settings.behind_proxy)
    check_routes(app)
    app.state.paths = frozenset(rule.path for rule in route_rules(app))
    return app
