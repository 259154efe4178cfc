"""Browser tests: the real app under uvicorn, driven by Debian's Chromium through Playwright.

Every test gets a fresh browser context whose requests are all recorded (guard.py): a request
to any host but the live server is blocked and fails the test, as does an MBI in any URL, an
uncaught script error or a Content-Security-Policy violation. The tests skip, saying why, when
Chromium is not at /usr/bin/chromium (`scripts/system-deps.sh` installs it as root; another
binary can be named with ACO_TEST_CHROMIUM).

Screenshots go to ACO_SCREENSHOT_DIR when it is set (`ACO_SCREENSHOT_DIR=docs/screenshots`
refreshes the README's images), otherwise into the test run's temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from aco_pipeline.config import Workspace, load_workspace
from aco_pipeline.web.access.principal import Role
from tests.web.browser.guard import BrowserGuard
from tests.web.browser.live import LiveServer

CHROMIUM = Path(os.environ.get("ACO_TEST_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 860}
HERE = Path(__file__).resolve().parent
GUARD_KEY = pytest.StashKey[BrowserGuard]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}: run "
                                   "scripts/system-deps.sh as root (installs Debian's chromium)")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After the test body: the browser's rules (guard.py) fail the test itself."""
    result = yield
    guard = item.stash.get(GUARD_KEY, None)
    if guard is not None:
        guard.check()
    return result


# --- the app --------------------------------------------------------------------------------


class Clock:
    """Wall time plus an offset the test moves: the sessions' clock, so an idle timeout is
    reached by advancing time, not by waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass(frozen=True)
class Login:
    username: str
    password: str


@dataclass(frozen=True)
class Site:
    url: str
    workspace: Workspace
    users: dict[Role, Login]
    clock: Clock
    app: object


@pytest.fixture(scope="session")
def web_workspace(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A copy of the built synthetic ACO (`built_aco`), so the users, sessions and worklist
    state these tests create stay out of the workspace other tests share. ACO_BROWSER_WORKSPACE
    names an already built workspace to copy instead (quicker while writing tests)."""
    given = os.environ.get("ACO_BROWSER_WORKSPACE")
    source = Path(given) if given else request.getfixturevalue("built_aco").ws.root
    root = tmp_path_factory.mktemp("browser") / "ws"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("*.lock", "web*.sqlite*",
                                                                "audit.sqlite*",
                                                                "worklist.sqlite*"))
    return load_workspace(root)


@pytest.fixture(scope="session")
def site(web_workspace: Workspace) -> Iterator[Site]:
    from aco_pipeline.web.access.users import generate_password
    from aco_pipeline.web.app import WebSettings, create_app

    clock = Clock()
    app = create_app(web_workspace, WebSettings(clock=clock))
    services = app.state.services
    users: dict[Role, Login] = {}
    for role in Role:
        login = Login(f"{role.value.replace('_', '-')}-user", generate_password())
        services.users.add(login.username, frozenset({role}), login.password)
        users[role] = login
    with LiveServer(app) as live:
        yield Site(live.url, web_workspace, users, clock, app)


@pytest.fixture(scope="session")
def workspace_mbis(web_workspace: Workspace) -> frozenset[str]:
    """Every MBI of the workspace, current and previous: none may appear in a URL."""
    from aco_pipeline.warehouse.read import connect

    with connect(web_workspace) as con:
        rows = con.execute("select mr_mbi from dim_beneficiary").fetchall()
    mbis = frozenset(r[0] for r in rows if r[0])
    assert len(mbis) > 100  # the synthetic ACO has 300 beneficiaries
    return mbis


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def guard(site: Site, workspace_mbis: frozenset[str], request: pytest.FixtureRequest
          ) -> BrowserGuard:
    found = BrowserGuard(site.url, workspace_mbis)
    request.node.stash[GUARD_KEY] = found
    return found


@pytest.fixture
def context(browser, site: Site, guard: BrowserGuard) -> Iterator[object]:
    ctx = browser.new_context(base_url=site.url, viewport=VIEWPORT, accept_downloads=True,
                              locale="en-US", timezone_id="UTC")
    ctx.set_default_timeout(15_000)
    guard.attach(ctx)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context) -> object:
    return context.new_page()


@pytest.fixture
def login(site: Site) -> Callable[[object, Role], None]:
    """`login(page, Role.ANALYST)`: the login form, filled and sent as that role's user."""

    def log_in(page, role: Role) -> None:
        user = site.users[role]
        page.goto("/login")
        page.get_by_label(re.compile("user ?name", re.I)).fill(user.username)
        page.get_by_label(re.compile("password", re.I)).fill(user.password)
        page.get_by_role("button", name=re.compile(r"log ?in|sign ?in", re.I)).click()
        page.wait_for_load_state()
        assert "/login" not in page.url, f"{role} was not logged in: {page.url}"

    return log_in


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("ACO_SCREENSHOT_DIR")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def shoot(screenshot_dir: Path) -> Callable[[object, str], Path]:
    def save(page, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return save
