"""The browser rig itself: the live server answers, the guard catches what it must, axe runs
under the app's CSP. If these fail, every other browser test proves nothing."""

from __future__ import annotations

from tests.web.browser import axe
from tests.web.browser.conftest import Site
from tests.web.browser.guard import BrowserGuard


def test_login_page_loads_from_the_live_server_without_inline_scripts(page, site: Site,
                                                                       guard: BrowserGuard):
    response = page.goto("/login")
    assert response is not None and response.status == 200
    assert page.get_by_role("heading", name="Log in").is_visible()
    # every resource came from the live server itself (the guard fails the test otherwise)
    assert guard.urls and all(u.startswith(site.url) or u.startswith(("data:", "about:"))
                              for u in guard.urls)
    csp = response.headers.get("content-security-policy", "")
    assert "script-src" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_a_request_to_another_host_is_blocked_and_recorded(page, guard: BrowserGuard):
    page.goto("/login")
    try:
        page.goto("http://192.0.2.10/outside", timeout=5_000)
    except Exception as exc:  # the navigation is aborted by the guard
        assert "ERR_BLOCKED_BY_CLIENT" in str(exc)
    assert guard.foreign == ["GET http://192.0.2.10/outside"]
    assert any("another host" in p for p in guard.problems())
    guard.foreign.clear()  # proven; the rest of the test must not fail on it


def test_an_mbi_in_a_url_is_caught(page, guard: BrowserGuard, workspace_mbis):
    mbi = sorted(workspace_mbis)[0]
    page.goto(f"/login?next=/patients/{mbi}")
    assert guard.urls_with_secrets(), "an MBI in the address went unnoticed"
    guard.urls.clear()


def test_axe_runs_under_the_csp_and_finds_nothing_serious_on_the_login_page(page):
    page.goto("/login")
    assert page.evaluate("() => typeof window.axe") == "undefined"
    found = axe.violations(page)  # injects axe-core
    assert page.evaluate("() => typeof window.axe.run") == "function"
    assert not [v for v in found if v["impact"] in axe.BLOCKING], found


def test_a_page_without_a_session_sends_the_browser_to_login(page, site: Site):
    page.goto("/")
    assert page.url.split("?")[0] == f"{site.url}/login"
    assert page.get_by_label("Username").is_visible()
