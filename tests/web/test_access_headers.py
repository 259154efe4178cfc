"""Security headers on every response, no-store on PHI, no inline script anywhere, and clear
4xx answers that echo nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import APIRouter, Depends, Request
from fastapi.testclient import TestClient

from aco_pipeline.web.access.guard import require
from aco_pipeline.web.access.principal import Permission, Role
from aco_pipeline.web.app import TEMPLATES

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def _check(response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, name
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "strict-transport-security" not in response.headers
    assert "server" not in response.headers
    assert "access-control-allow-origin" not in response.headers  # same origin only


@pytest.mark.parametrize("path", ["/login", "/healthz", "/static/app.js", "/no/such/page",
                                  "/vendor/plotly.min.js", "/admin", "/api/nothing"])
def test_headers_on_every_kind_of_response(core_app, path) -> None:
    _check(TestClient(core_app).get(path, follow_redirects=False))


def test_headers_on_logged_in_pages_and_refusals(core_client_as) -> None:
    client = core_client_as(Role.EXECUTIVE)
    _check(client.get("/account"))
    _check(client.get("/admin"))  # 403
    _check(client.post("/logout"))  # 403, CSRF


def test_phi_routes_are_no_store(core_ws, monkeypatch) -> None:
    from aco_pipeline.web import app as app_module
    from aco_pipeline.web.render import mark_phi

    router = APIRouter()

    @router.get("/phi-by-rule")
    def by_rule(principal=Depends(require(Permission.PHI))) -> dict:  # noqa: B008
        return {"ok": True}

    @router.get("/phi-by-hand")
    def by_hand(request: Request, principal=Depends(require(Permission.SELF))) -> dict:  # noqa: B008
        mark_phi(request)
        return {"ok": True}

    @router.get("/aggregate")
    def aggregate(principal=Depends(require(Permission.SELF))) -> dict:  # noqa: B008
        return {"ok": True}

    class Module:
        pass

    Module.router = router  # type: ignore[attr-defined]
    real = app_module.page_modules
    monkeypatch.setattr(app_module, "page_modules", lambda: [*real(), Module])
    from tests.web.conftest import FAST_HASHER, client_factory

    app = app_module.create_app(core_ws, app_module.WebSettings(password_hasher=FAST_HASHER))
    client = client_factory(app)(Role.ANALYST)
    assert client.get("/phi-by-rule").headers["cache-control"] == "no-store"
    assert client.get("/phi-by-hand").headers["cache-control"] == "no-store"
    assert client.get("/aggregate").headers["cache-control"] == "no-cache, private"


def test_no_template_has_an_inline_script_or_handler() -> None:
    offenders = []
    for path in Path(TEMPLATES).rglob("*.html"):
        text = path.read_text("utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.I):
            if "src=" not in tag and 'type="application/json"' not in tag:
                offenders.append(f"{path.name}: {tag}")
        for handler in re.findall(r"\son[a-z]+\s*=", text, flags=re.I):
            offenders.append(f"{path.name}: {handler.strip()}")
        if "javascript:" in text.lower():
            offenders.append(f"{path.name}: javascript: URL")
    assert offenders == []


def test_validation_errors_name_fields_but_never_echo_values(core_client_as) -> None:
    admin = core_client_as(Role.ADMIN)
    value = "1EG4TE5MK73"  # looks like an MBI
    response = admin.get("/admin/audit", params={"page": value})
    assert response.status_code == 422
    assert value not in response.text
    assert "page" in response.text


def test_an_unknown_api_route_is_json_404(core_app) -> None:
    response = TestClient(core_app).get("/api/1EG4TE5MK73")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no such page."}
    assert "1EG4TE5MK73" not in response.text


def test_a_malformed_form_is_a_clear_4xx_and_changes_nothing(core_app) -> None:
    client = TestClient(core_app)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"csrf_token": token, "username": "x" * 300,
                                           "password": "p"})
    assert response.status_code == 422
    response = client.post("/login", content=b"\xff\xfe garbage",
                           headers={"content-type": "application/x-www-form-urlencoded",
                                    "x-csrf-token": token})
    assert 400 <= response.status_code < 500
    assert core_app.state.services.audit.count() == 0


def test_an_unexpected_error_is_a_generic_500_with_the_headers(core_ws, monkeypatch) -> None:
    from aco_pipeline.web import app as app_module

    router = APIRouter()

    @router.get("/boom")
    def boom(principal=Depends(require(Permission.SELF))) -> dict:  # noqa: B008
        raise RuntimeError("secret detail 1EG4TE5MK73")

    @router.get("/api/boom")
    def api_boom(principal=Depends(require(Permission.SELF))) -> dict:  # noqa: B008
        raise RuntimeError("secret detail 1EG4TE5MK73")

    class Module:
        pass

    Module.router = router  # type: ignore[attr-defined]
    real = app_module.page_modules
    monkeypatch.setattr(app_module, "page_modules", lambda: [*real(), Module])
    from tests.web.conftest import FAST_HASHER, client_factory

    app = app_module.create_app(core_ws, app_module.WebSettings(password_hasher=FAST_HASHER))
    client = client_factory(app)(Role.ANALYST)
    quiet = TestClient(app, raise_server_exceptions=False, cookies=client.cookies)
    for path in ("/boom", "/api/boom"):
        response = quiet.get(path)
        assert response.status_code == 500
        assert "1EG4TE5MK73" not in response.text and "RuntimeError" not in response.text
        _check(response)
        assert response.headers["cache-control"] == "no-store"
    assert quiet.get("/api/boom").json() == {"detail": "server error"}
    with pytest.raises(RuntimeError):  # the bug still surfaces (logged, re-raised)
        client.get("/boom")
