"""`aco user` and `aco serve` as an operator runs them."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aco_pipeline.cli.app import app as cli
from aco_pipeline.web.access.principal import Role
from tests.web.conftest import login


def _aco(ws, *args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, [*args, "--workspace", str(ws.root)], input=stdin)


def test_user_add_prints_a_generated_password_once(core_ws, core_app) -> None:
    result = _aco(core_ws, "user", "add", "ann", "--role", "analyst", "--role", "finance")
    assert result.exit_code == 0, result.output
    [password] = re.findall(r"password: (\S+)", result.output)
    assert len(password) >= 24
    user = core_app.state.services.users.by_name("ann")
    assert user.roles == {Role.ANALYST, Role.FINANCE} and user.must_change
    # the first login asks for a new password
    response = login(TestClient(core_app), "ann", password)
    assert response.headers["location"].startswith("/login/password")
    listed = _aco(core_ws, "user", "list", "--json")
    assert '"username": "ann"' in listed.output and password not in listed.output
    [row] = core_app.state.services.audit.query(action="admin.user.add")
    assert row.username.startswith("cli:") and row.target == "ann"


def test_user_add_reads_a_password_from_stdin(core_ws, core_app) -> None:
    result = _aco(core_ws, "user", "add", "bob", "--role", "executive", "--password-stdin",
                  stdin="a long passphrase of mine\n")
    assert result.exit_code == 0, result.output
    assert "password:" not in result.output
    assert core_app.state.services.users.authenticate("bob", "a long passphrase of mine")


@pytest.mark.parametrize(("args", "message"), [
    (["user", "add", "x1", "--role", "root"], "unknown role"),
    (["user", "add", "x1", "--role", "finance", "--tin", "123456789"], "only the provider"),
    (["user", "disable", "nobody"], "no user named"),
])
def test_user_errors_exit_1_with_a_message(core_ws, args, message) -> None:
    result = _aco(core_ws, *args)
    assert result.exit_code == 1
    assert message in result.output


def test_disable_and_reset_end_sessions(core_ws, core_app, core_client_as) -> None:
    client = core_client_as(Role.FINANCE, username="fin")
    result = _aco(core_ws, "user", "reset-password", "fin")
    assert "sessions ended: 1" in result.output
    assert client.get("/account", follow_redirects=False).status_code == 303
    again = core_client_as(Role.FINANCE, username="fin2")
    assert "sessions ended: 1" in _aco(core_ws, "user", "disable", "fin2").output
    assert again.get("/account", follow_redirects=False).status_code == 303
    assert "enabled fin2" in _aco(core_ws, "user", "enable", "fin2").output


def test_serve_binds_loopback_without_access_log(core_ws, monkeypatch) -> None:
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    assert _aco(core_ws, "serve").exit_code == 0
    assert _aco(core_ws, "serve", "--behind-proxy", "--port", "9000").exit_code == 0
    plain, proxied = calls
    assert plain["host"] == "127.0.0.1" and plain["access_log"] is False
    assert plain["proxy_headers"] is False
    assert proxied["port"] == 9000 and proxied["proxy_headers"] is True
    assert proxied["forwarded_allow_ips"] == "127.0.0.1"


def test_serve_refuses_an_oidc_section_without_its_secret(core_ws, monkeypatch) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    monkeypatch.delenv("ACO_TEST_OIDC_SECRET", raising=False)
    with core_ws.config_path.open("a", encoding="utf-8") as fh:
        fh.write('\n[web.oidc]\nissuer = "https://idp.example"\nclient_id = "aco"\n'
                 'client_secret_env = "ACO_TEST_OIDC_SECRET"\n')
    result = _aco(core_ws, "serve")
    assert result.exit_code == 1
    assert "ACO_TEST_OIDC_SECRET" in result.output
