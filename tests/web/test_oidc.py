"""Single sign-on against a real OpenID Connect provider (oidc-provider-mock) on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from oidc_provider_mock import User, run_server_in_thread

from aco_pipeline.web.access.oidc import OidcSettings
from aco_pipeline.web.access.principal import Role
from aco_pipeline.web.access.users import generate_password
from aco_pipeline.web.app import WebSettings, create_app
from tests.web.conftest import FAST_HASHER, login

ROLE_MAP = {"aco-analysts": "analyst", "aco-doctors": "provider", "aco-admins": "admin"}
PEOPLE = [
    User(sub="sub-ann", claims={"email": "ann@example.org", "groups": ["aco-analysts", "hr"]}),
    User(sub="sub-doc", claims={"email": "doc@example.org", "groups": "aco-doctors",
                                "tin": "123456789"}),
    User(sub="sub-nobody", claims={"email": "nobody@example.org", "groups": ["hr"]}),
    User(sub="sub-taken", claims={"email": "local@example.org", "groups": ["aco-admins"]}),
]


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with run_server_in_thread(user_claims=PEOPLE) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def app(core_ws, clock, issuer) -> FastAPI:
    settings = OidcSettings(issuer=issuer, client_id="aco-web", client_secret="s3cret",
                            role_claim="groups", role_map=ROLE_MAP, tin_claim="tin")
    # the ID token's exp/iat are real time: this app keeps the real clock
    return create_app(core_ws, WebSettings(oidc=settings, password_hasher=FAST_HASHER))


def _sso(client: TestClient, sub: str, next_path: str = "/account") -> httpx.Response:
    """The browser's part: start at the app, choose `sub` at the provider, come back."""
    start = client.get(f"/login/oidc?next={next_path}", follow_redirects=False)
    assert start.status_code == 303
    authorize = start.headers["location"]
    assert "code_challenge=" in authorize and "nonce=" in authorize
    chosen = httpx.post(authorize, data={"sub": sub}, follow_redirects=False)
    assert chosen.status_code == 302, chosen.text
    back = urlsplit(chosen.headers["location"])
    assert back.path == "/login/oidc/callback"
    return client.get(f"{back.path}?{back.query}", follow_redirects=False)


def test_sso_login_creates_a_user_with_the_mapped_roles(app) -> None:
    client = TestClient(app)
    response = _sso(client, "sub-ann")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/account"
    assert client.get("/account", follow_redirects=False).status_code == 200
    user = app.state.services.users.by_name("ann@example.org")
    assert user.roles == {Role.ANALYST}
    [row] = app.state.services.audit.query(action="login", outcome="allowed")
    assert (row.username, row.detail) == ("ann@example.org", "oidc")
    # no password login for a single-sign-on user
    assert login(TestClient(app), "ann@example.org", "").status_code in (401, 422)


def test_a_provider_gets_the_tin_from_its_claim(app) -> None:
    client = TestClient(app)
    assert _sso(client, "sub-doc").status_code == 303
    user = app.state.services.users.by_name("doc@example.org")
    assert user.roles == {Role.PROVIDER} and user.scope.tin == "123456789"


def test_an_identity_without_a_mapped_role_is_refused(app) -> None:
    client = TestClient(app)
    response = _sso(client, "sub-nobody")
    assert response.status_code == 403
    assert "no role in this app" in response.text
    assert app.state.services.users.by_name("nobody@example.org") is None
    [row] = app.state.services.audit.query(action="login", outcome="failed")
    assert "no role" in row.detail


def test_a_local_account_is_not_taken_over(app) -> None:
    app.state.services.users.add("local@example.org", frozenset({Role.EXECUTIVE}),
                                 generate_password())
    response = _sso(TestClient(app), "sub-taken")
    assert response.status_code == 403
    assert app.state.services.users.by_name("local@example.org").roles == {Role.EXECUTIVE}


def test_a_callback_from_another_browser_is_refused(app) -> None:
    starter, other = TestClient(app), TestClient(app)
    start = starter.get("/login/oidc", follow_redirects=False)
    chosen = httpx.post(start.headers["location"], data={"sub": "sub-ann"},
                        follow_redirects=False)
    back = urlsplit(chosen.headers["location"])
    other.get("/login")  # a browser of its own (pre-session cookie)
    response = other.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert response.status_code == 403
    assert "another browser" in response.text


def test_a_replayed_or_made_up_state_is_refused(app) -> None:
    client = TestClient(app)
    assert _sso(client, "sub-ann").status_code == 303
    client.get("/login")
    response = client.get("/login/oidc/callback?code=abc&state=made-up",
                          follow_redirects=False)
    assert response.status_code == 403
    assert "expired or was not started here" in response.text


def test_disabled_sso_user_is_refused(app) -> None:
    assert _sso(TestClient(app), "sub-ann").status_code == 303
    app.state.services.users.set_disabled("ann@example.org")
    assert _sso(TestClient(app), "sub-ann").status_code == 403


def test_without_oidc_settings_the_routes_are_404(core_app) -> None:
    assert TestClient(core_app).get("/login/oidc", follow_redirects=False).status_code == 404


def test_settings_from_aco_toml_take_the_secret_from_the_environment() -> None:
    from aco_pipeline.web.access.oidc import OidcError, settings_from_config

    config = {"web": {"oidc": {"issuer": "https://idp.example", "client_id": "aco",
                               "client_secret_env": "ACO_OIDC_SECRET", "role_claim": "groups",
                               "role_map": {"g1": "analyst"}}}}
    settings = settings_from_config(config, {"ACO_OIDC_SECRET": "x"})
    assert settings.client_secret == "x" and settings.role_map == {"g1": "analyst"}
    assert settings_from_config({}, {}) is None
    with pytest.raises(OidcError, match="not set"):
        settings_from_config(config, {})
    config["web"]["oidc"]["role_map"] = {"g1": "root"}
    with pytest.raises(OidcError, match="role_map"):
        settings_from_config(config, {"ACO_OIDC_SECRET": "x"})
