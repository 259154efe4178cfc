"""Admin pages: users, sessions, the audit log and its export, access reports, data status."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient

from aco_pipeline.web.access.principal import Role
from tests.web.conftest import csrf_from, login


def _post(client: TestClient, path: str, data: dict | None = None, page: str = "/admin/users"):
    token = csrf_from(client.get(page).text)
    return client.post(path, data={**(data or {}), "csrf_token": token},
                       follow_redirects=False)


def test_admin_adds_a_user_whose_generated_password_works(core_app, core_client_as) -> None:
    admin = core_client_as(Role.ADMIN)
    response = _post(admin, "/admin/users", {"username": "doc", "roles": ["provider"],
                                             "tin": "123456789", "npi": ""})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    password = re.search(r'data-testid="new-password">([^<]+)<', response.text).group(1)
    assert login(TestClient(core_app), "doc", password).status_code == 303
    user = core_app.state.services.users.by_name("doc")
    assert user.roles == {Role.PROVIDER} and user.scope.tin == "123456789"
    [row] = core_app.state.services.audit.query(action="admin.user.add")
    assert (row.username, row.target) == (admin.aco_username, "doc")


def test_a_bad_user_form_is_a_clear_400(core_client_as) -> None:
    admin = core_client_as(Role.ADMIN)
    response = _post(admin, "/admin/users", {"username": "x1", "roles": ["executive"],
                                             "tin": "123456789"})
    assert response.status_code == 400
    assert "only the provider role" in response.text


def test_disabling_a_user_ends_their_sessions(core_app, core_client_as) -> None:
    admin = core_client_as(Role.ADMIN)
    victim = core_client_as(Role.FINANCE)
    assert victim.get("/account", follow_redirects=False).status_code == 200
    response = _post(admin, f"/admin/users/{victim.aco_username}/disable")
    assert response.status_code == 200 and "sessions ended: 1" in response.text
    assert victim.get("/account", follow_redirects=False).status_code == 303


def test_an_admin_cannot_disable_themselves(core_client_as) -> None:
    admin = core_client_as(Role.ADMIN)
    assert _post(admin, f"/admin/users/{admin.aco_username}/disable").status_code == 400


def test_reset_password_from_the_admin_page(core_app, core_client_as) -> None:
    admin = core_client_as(Role.ADMIN)
    victim = core_client_as(Role.EXECUTIVE)
    response = _post(admin, f"/admin/users/{victim.aco_username}/reset-password")
    password = re.search(r'data-testid="new-password">([^<]+)<', response.text).group(1)
    assert victim.get("/account", follow_redirects=False).status_code == 303
    assert login(TestClient(core_app), victim.aco_username, password).status_code == 303
    assert login(TestClient(core_app), victim.aco_username, victim.aco_password
                 ).status_code == 401


def test_changing_roles_takes_effect_at_the_next_login(core_app, core_client_as) -> None:
    admin = core_client_as(Role.ADMIN)
    user = core_client_as(Role.EXECUTIVE)
    _post(admin, f"/admin/users/{user.aco_username}/roles", {"roles": ["finance"]})
    assert user.get("/account", follow_redirects=False).status_code == 303
    assert core_app.state.services.users.by_name(user.aco_username).roles == {Role.FINANCE}


def test_admin_ends_one_session(core_client_as) -> None:
    admin = core_client_as(Role.ADMIN)
    one, two = core_client_as(Role.EXECUTIVE), core_client_as(Role.EXECUTIVE)
    page = admin.get("/admin/sessions")
    assert page.status_code == 200 and "this session" in page.text
    handles = re.findall(r'/admin/sessions/([0-9a-f]+)/end', page.text)
    assert len(handles) == 2
    services = admin.app.state.services  # type: ignore[attr-defined]
    one_handle = services.sessions.touch(one.cookies.get("aco_session")).handle
    response = _post(admin, f"/admin/sessions/{one_handle}/end", page="/admin/sessions")
    assert response.status_code == 303
    assert one.get("/account", follow_redirects=False).status_code == 303
    assert two.get("/account", follow_redirects=False).status_code == 200


def test_audit_page_filters_and_the_export_is_audited(core_app, core_client_as) -> None:
    admin = core_client_as(Role.ADMIN)
    core_client_as(Role.EXECUTIVE).get("/admin")  # a refusal to find
    page = admin.get("/admin/audit", params={"outcome": "denied"})
    assert page.status_code == 200 and "Verify the chain" in page.text
    assert page.text.count("<td>authorize</td>") == 1
    verified = admin.get("/admin/audit", params={"verify": "1"})
    assert "Chain intact" in verified.text
    by_target = admin.get("/admin/audit", params={"target": "/admin"})
    assert by_target.text.count("<td>authorize</td>") == 1
    export = admin.get("/admin/audit.csv", params={"action": "login"})
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert rows and {r["action"] for r in rows} == {"login"}
    [exported] = core_app.state.services.audit.query(action="admin.audit.export")
    assert exported.rows == len(rows)


def test_bad_filter_values_are_a_clear_422(core_client_as) -> None:
    admin = core_client_as(Role.ADMIN)
    response = admin.get("/admin/audit", params={"since": "<script>"})
    assert response.status_code == 422
    assert "<script>" not in response.text
    assert "since" in response.text


def test_access_reports_show_failures(core_app, core_client_as) -> None:
    admin = core_client_as(Role.ADMIN)
    login(TestClient(core_app), "nobody", "wrong wrong wrong!")
    page = admin.get("/admin/access")
    assert page.status_code == 200
    failures = page.text.split('id="failures"')[1].split("</table>")[0]
    assert "nobody" in failures and "failed" in failures


def test_data_status_page(core_client_as) -> None:
    page = core_client_as(Role.ADMIN).get("/admin/status")
    assert page.status_code == 200
    assert "Data status" in page.text


def test_admin_pages_refuse_other_roles(core_client_as) -> None:
    analyst = core_client_as(Role.ANALYST)
    for path in ("/admin", "/admin/users", "/admin/sessions", "/admin/audit",
                 "/admin/audit.csv", "/admin/access", "/admin/status"):
        assert analyst.get(path).status_code == 403, path


def test_admin_ends_all_sessions_of_one_user(core_client_as) -> None:
    admin = core_client_as(Role.ADMIN)
    one = core_client_as(Role.EXECUTIVE, username="twice")
    other = core_client_as(Role.FINANCE)
    response = _post(admin, "/admin/users/twice/end-sessions")
    assert "Ended 1 session of twice." in response.text
    assert one.get("/account", follow_redirects=False).status_code == 303
    assert other.get("/account", follow_redirects=False).status_code == 200


def test_admin_ends_every_session(core_client_as) -> None:
    admin = core_client_as(Role.ADMIN)
    other = core_client_as(Role.FINANCE)
    response = _post(admin, "/admin/sessions/end-all", page="/admin/sessions")
    assert response.status_code == 303
    assert other.get("/account", follow_redirects=False).status_code == 303
    assert admin.get("/admin", follow_redirects=False).status_code == 303
