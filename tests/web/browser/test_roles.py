"""Each role logs in through the form, lands on its own dashboard with every chart drawn (plotly
SVG from the installed package, no other host), passes axe, is refused another role's page,
and is logged out after the idle timeout."""

from __future__ import annotations

import pytest

from aco_pipeline.web.access.principal import Role
from tests.web.browser import axe
from tests.web.browser.conftest import Site

# where `/` sends each role (web/pages/home.py), and whether that dashboard must carry at
# least one chart (every chart a page carries must be drawn, whichever the role)
DASHBOARD = {
    Role.EXECUTIVE: (("/executive",), True),
    Role.FINANCE: (("/finance",), True),
    Role.NETWORK: (("/network",), True),
    Role.PROVIDER: (("/provider",), False),
    Role.ANALYST: (("/analyst", "/analyst/spend-trend"), False),
    Role.CARE_MANAGER: (("/care",), False),
    Role.ADMIN: (("/admin",), False),
}
# a page of another role each role must be refused (403), never shown
REFUSED = {
    Role.EXECUTIVE: "/care",
    Role.FINANCE: "/network",
    Role.NETWORK: "/care",
    Role.PROVIDER: "/finance",
    Role.ANALYST: "/admin",
    Role.CARE_MANAGER: "/executive",
    Role.ADMIN: "/analyst/spend-trend",
}
CHARTS_DRAWN = """() => {
    const charts = [...document.querySelectorAll('[data-chart-spec]')];
    return charts.length > 0 && charts.every(
        c => c.dataset.chartDrawn === 'true' && c.querySelector('svg.main-svg'));
}"""


def wait_for_charts(page) -> int:
    """Waits until every chart on the page is drawn; the number drawn (0: none on the page)."""
    if page.locator("[data-chart-spec]").count() == 0:
        return 0
    page.wait_for_function(CHARTS_DRAWN, timeout=15_000)
    return page.locator("[data-chart-spec] svg.main-svg").count()


@pytest.mark.parametrize("role", list(DASHBOARD), ids=str)
def test_each_role_lands_on_its_dashboard_with_its_charts_drawn(page, login, shoot, role):
    paths, needs_charts = DASHBOARD[role]
    login(page, role)
    assert page.url.split("?")[0].endswith(paths), f"{role} landed on {page.url}"
    assert page.locator("h1").first.is_visible()
    drawn = wait_for_charts(page)
    if needs_charts:
        assert drawn >= 1
        # plotly.js came from this server (the guard fails the test on any other host)
        assert page.evaluate("() => typeof Plotly.react") == "function"
    shoot(page, f"dashboard-{role.value}")
    assert axe.blocking(page) == []


@pytest.mark.parametrize("role", list(REFUSED), ids=str)
def test_each_role_is_refused_another_roles_page(page, login, role):
    login(page, role)
    response = page.goto(REFUSED[role])
    assert response is not None and response.status == 403
    assert page.locator("[data-chart-spec], table").count() == 0
    assert axe.blocking(page) == []


def test_a_session_idle_past_the_timeout_is_sent_back_to_login(page, login, site: Site):
    login(page, Role.EXECUTIVE)
    assert page.goto("/executive").status == 200
    idle = site.app.state.services.settings.idle_seconds
    site.clock.advance(idle - 5)
    assert page.goto("/executive").status == 200, "a session in use must not time out"
    site.clock.advance(idle + 1)
    page.goto("/executive")
    assert page.url.split("?")[0] == f"{site.url}/login"
    assert page.get_by_label("Username").is_visible()


SORTABLE_PAGES = {role: paths[0] for role, (paths, _) in DASHBOARD.items()}
SORTABLE_PAGES[Role.ANALYST] = "/analyst/spend-trend?category=ed_visit"


@pytest.mark.parametrize("role", list(SORTABLE_PAGES), ids=str)
def test_every_column_of_every_table_on_the_dashboard_sorts(page, login, role):
    """Each column header's sort link (as htmx follows it) answers 200, never a 5xx."""
    login(page, role)
    page.goto(SORTABLE_PAGES[role])
    links = page.eval_on_selector_all("table thead th a[href]", "as => as.map(a => a.href)")
    failing = []
    for href in dict.fromkeys(links):
        response = page.request.get(href, headers={"HX-Request": "true"})
        if response.status != 200:
            failing.append(f"{response.status} {href}")
    assert failing == []
