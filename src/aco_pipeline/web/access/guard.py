"""Authorization on the server, deny by default (issue 12, "Security").

Every route declares its rule as a dependency: `Depends(require(Permission.X))` yields the
logged-in `Principal` or refuses, `Depends(public())` marks the few routes open to anyone (login,
logout, health, static). `check_routes(app)` runs when the app is made and refuses to start
when a route carries neither, so a forgotten rule is a start-up error, not an open page.

Refusals: no session -> a page gets 303 to `/login?next=<path>` (the path only, never a query
string), an `/api` request gets 401 JSON, an htmx fragment gets 401 with `HX-Redirect`; a
logged-in principal without the permission -> 403 and an audit row (`authorize`, `denied`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount

from aco_pipeline.errors import AcoError
from aco_pipeline.web.access.headers import mark_phi
from aco_pipeline.web.access.principal import Permission, Principal
from aco_pipeline.web.access.sessions import FULL

RULE = "__aco_rule__"
PUBLIC = "__aco_public__"
PUBLIC_MOUNTS = frozenset({"static"})
_UNSET = object()


class NotLoggedIn(AcoError, PermissionError):
    """The request needs a logged-in user and has none (or the session has expired)."""


class Forbidden(AcoError, PermissionError):
    """The logged-in user lacks the permission this route needs."""

    def __init__(self, permission: Permission) -> None:
        super().__init__(f"this needs the permission {permission.value}")
        self.permission = permission


class UnprotectedRoute(AcoError, RuntimeError):
    """A route declares no access rule: the app refuses to start."""


def is_api(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith("/api/")


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def current_principal(request: Request) -> Principal | None:
    """The principal behind this request's session cookie, or None (resolved once per
    request; a disabled user's sessions are ended on the way)."""
    cached = getattr(request.state, "principal", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    services = request.app.state.services
    principal = None
    session = services.sessions.touch(request.cookies.get(services.settings.session_cookie))
    if session is not None and session.stage == FULL:
        user = services.users.get(session.user_id)
        if user is None or user.disabled:
            services.sessions.revoke_user(session.user_id)
        else:
            principal = user.principal(session.id)
    request.state.principal = principal
    return principal


def require(permission: Permission) -> Callable[[Request], Principal]:
    """The dependency of a route that needs `permission`."""

    def rule(request: Request) -> Principal:
        principal = current_principal(request)
        if principal is None:
            raise NotLoggedIn("log in to continue")
        if not principal.may(permission):
            request.app.state.services.audit.record(
                principal=principal, action="authorize", target=request.url.path,
                outcome="denied", client=client_of(request), detail=permission.value)
            raise Forbidden(permission)
        if permission is Permission.PHI:
            mark_phi(request)
        return principal

    setattr(rule, RULE, permission)
    rule.__name__ = f"require_{permission.name.lower()}"
    return rule


def public() -> Callable[[Request], Principal | None]:
    """The dependency of a route open to anyone; yields the principal if there is one."""

    def open_route(request: Request) -> Principal | None:
        return current_principal(request)

    setattr(open_route, PUBLIC, True)
    return open_route


def _calls(dependant: Dependant) -> Iterator[object]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def _rule(dependant: Dependant) -> Permission | str | None:
    for call in _calls(dependant):
        if hasattr(call, RULE):
            return getattr(call, RULE)
        if getattr(call, PUBLIC, False):
            return "public"
    return None


@dataclass(frozen=True)
class RouteRule:
    """One route as the app serves it: its path, methods and rule (a Permission, "public",
    or None when it declares none)."""

    path: str
    methods: frozenset[str]
    rule: Permission | str | None
    kind: str  # "api" (an APIRoute), "mount", or the Starlette class name


def route_rules(app: FastAPI) -> list[RouteRule]:
    """Every route of the app (included routers flattened) with its rule."""
    out: list[RouteRule] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path or getattr(route, "path", "?")
        methods = frozenset(context.methods or ())
        if isinstance(route, APIRoute):
            out.append(RouteRule(path, methods, _rule(context.dependant), "api"))
        elif isinstance(route, Mount):
            out.append(RouteRule(path, methods,
                                 "public" if route.name in PUBLIC_MOUNTS else None, "mount"))
        else:
            out.append(RouteRule(path, methods, None, type(route).__name__))
    return out


def check_routes(app: FastAPI) -> None:
    """Refuse an app with a route that declares no rule (deny by default)."""
    missing = [f"{','.join(sorted(r.methods)) or r.kind} {r.path}"
               for r in route_rules(app) if r.rule is None]
    if missing:
        raise UnprotectedRoute("routes without an access rule (add Depends(require(...)) or "
                               "Depends(public())): " + "; ".join(missing))
