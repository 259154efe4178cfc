"""The demo's web logins: one per role, passwords generated per workspace, replaced on a rerun."""

from __future__ import annotations

from fastapi.testclient import TestClient

from aco_pipeline.web.access.principal import Role
from aco_pipeline.web.demo_logins import busiest_tin, demo_logins
from tests.web.conftest import login


def test_one_working_login_per_role_and_new_passwords_on_a_rerun(built_aco, web_app) -> None:
    first = demo_logins(built_aco.ws)
    assert [entry.role for entry in first] == list(Role)
    assert len({entry.password for entry in first}) == len(first)
    provider = next(entry for entry in first if entry.role is Role.PROVIDER)
    assert provider.tin is not None and provider.tin == busiest_tin(built_aco.ws)
    assert all(entry.tin is None for entry in first if entry.role is not Role.PROVIDER)
    for entry in first:
        assert login(TestClient(web_app), entry.username, entry.password).status_code == 303
    second = demo_logins(built_aco.ws)
    for old, new in zip(first, second, strict=True):
        assert old.username == new.username and old.password != new.password
        assert login(TestClient(web_app), old.username, old.password).status_code == 401
        assert login(TestClient(web_app), new.username, new.password).status_code == 303
