"""Fixtures for the web app's tests.

- `web_app`: the app on the built synthetic ACO (tests/synthetic_aco.py), one per session.
- `client_as(role, tin=None, npi=None)`: a TestClient logged in through the real /login form
  (with its CSRF token) as a new user holding `role` (a Role or its name; a list for several).
- `anonymous_client`: a TestClient with no session.
- `core_app`, `core_client_as`, `clock`: the same on an empty workspace with a settable clock,
  for the access tests that need no warehouse (fast, and free to change the time).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from fastapi import FastAPI
from fastapi.testclient import TestClient

from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.web.access.principal import Role
from aco_pipeline.web.access.users import generate_password
from aco_pipeline.web.app import WebSettings, create_app
from tests.synthetic_aco import BuiltAco

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_names = itertools.count(1)


@dataclass
class Clock:
    """A clock the test moves: `clock.now += 60`."""

    now: float = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def login(client: TestClient, username: str, password: str, next_path: str = "/"):
    """Log in through the form exactly as a browser does; the POST's response (303 on
    success)."""
    page = client.get("/login")
    assert page.status_code == 200
    return client.post("/login", data={"username": username, "password": password,
                                       "next": next_path, "csrf_token": csrf_from(page.text)},
                       follow_redirects=False)


@dataclass
class LoggedIn:
    client: TestClient
    username: str
    password: str


def _roles(role: Role | str | list[Role | str]) -> frozenset[Role]:
    items = role if isinstance(role, list) else [role]
    return frozenset(Role(r) for r in items)


def client_factory(app: FastAPI) -> Callable[..., TestClient]:
    def make(role: Role | str | list[Role | str], tin: str | None = None,
             npi: str | None = None, *, username: str | None = None) -> TestClient:
        roles = _roles(role)
        name = username or f"{'-'.join(sorted(r.value for r in roles))}-{next(_names)}"
        password = generate_password(name)
        app.state.services.users.add(name, roles, password, tin=tin, npi=npi)
        client = TestClient(app)
        response = login(client, name, password)
        assert response.status_code == 303, response.text
        client.aco_username = name  # type: ignore[attr-defined]
        client.aco_password = password  # type: ignore[attr-defined]
        return client

    return make


# argon2id at its cheapest cost so tests log in fast; production uses the default profile
FAST_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)


@pytest.fixture(scope="session")
def web_app(built_aco: BuiltAco) -> FastAPI:
    return create_app(built_aco.ws, WebSettings(password_hasher=FAST_HASHER))


@pytest.fixture
def client_as(web_app: FastAPI) -> Callable[..., TestClient]:
    return client_factory(web_app)


@pytest.fixture
def anonymous_client(web_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(web_app) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def core_ws(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws", aco_id="A9999", performance_year=2024)


@pytest.fixture
def core_app(core_ws: Workspace, clock: Clock) -> FastAPI:
    return create_app(core_ws, WebSettings(clock=clock, password_hasher=FAST_HASHER))


@pytest.fixture
def core_client_as(core_app: FastAPI) -> Callable[..., TestClient]:
    return client_factory(core_app)
