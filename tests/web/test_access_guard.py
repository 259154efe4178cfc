"""The guard: deny by default at start-up, login redirects, 401 for the API, 403 audited."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from aco_pipeline.web.access.guard import UnprotectedRoute, public, require, route_rules
from aco_pipeline.web.access.principal import Permission, Role
from aco_pipeline.web.app import create_app


def test_a_route_without_a_rule_stops_the_app(core_ws, monkeypatch) -> None:
    from aco_pipeline.web import app as app_module

    bare = APIRouter()

    @bare.get("/forgotten")
    def forgotten() -> dict:
        return {}

    real = app_module.page_modules

    def with_bare():
        class Module:
            router = bare
        return [*real(), Module]

    monkeypatch.setattr(app_module, "page_modules", with_bare)
    with pytest.raises(UnprotectedRoute, match="/forgotten"):
        create_app(core_ws)


def test_a_rule_in_a_router_dependency_counts(core_ws, monkeypatch) -> None:
    from aco_pipeline.web import app as app_module

    guarded = APIRouter(dependencies=[Depends(require(Permission.ADMIN))])

    @guarded.get("/guarded")
    def guarded_route() -> dict:
        return {}

    real = app_module.page_modules

    class Module:
        router = guarded

    monkeypatch.setattr(app_module, "page_modules", lambda: [*real(), Module])
    app = create_app(core_ws)
    rules = {r.path: r.rule for r in route_rules(app)}
    assert rules["/guarded"] is Permission.ADMIN
    assert rules["/login"] == "public"
    assert rules["/static"] == "public"


def test_a_page_without_a_session_goes_to_login_with_the_path_only(core_app) -> None:
    client = TestClient(core_app)
    response = client.get("/admin?mbi=1AB2CD3EF45", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin"


def test_an_htmx_fragment_without_a_session_gets_401_and_hx_redirect(core_app) -> None:
    response = TestClient(core_app).get("/admin", headers={"HX-Request": "true"},
                                        follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=/admin"


def test_api_without_a_session_is_401_json(core_app) -> None:
    response = TestClient(core_app).get("/api/executive", follow_redirects=False)
    assert response.status_code == 401
    assert response.json() == {"detail": "not logged in"}


def test_api_without_the_permission_is_403_json(core_client_as) -> None:
    response = core_client_as(Role.CARE_MANAGER).get("/api/executive")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["detail"] == "You do not have access to this page."


def test_missing_permission_is_403_and_audited(core_app, core_client_as) -> None:
    client = core_client_as(Role.EXECUTIVE)
    response = client.get("/admin")
    assert response.status_code == 403
    assert "do not have access" in response.text
    audit = core_app.state.services.audit
    denied = audit.query(outcome="denied")
    assert [(r.action, r.target, r.detail, r.username) for r in denied] == [
        ("authorize", "/admin", "admin", client.aco_username)]


def test_openapi_and_docs_are_for_admins_only(core_client_as) -> None:
    executive = core_client_as(Role.EXECUTIVE)
    admin = core_client_as(Role.ADMIN)
    for path in ("/docs", "/openapi.json"):
        assert executive.get(path).status_code == 403
        assert admin.get(path).status_code == 200
    assert admin.get("/openapi.json").json()["openapi"].startswith("3.")


def test_home_sends_a_role_to_its_dashboard(core_client_as) -> None:
    response = core_client_as(Role.ADMIN).get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin"


def test_public_marker_and_plotly_served_locally(core_app) -> None:
    assert public().__aco_public__  # type: ignore[attr-defined]
    response = TestClient(core_app).get("/vendor/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert b"plotly" in response.content[:2000].lower()
