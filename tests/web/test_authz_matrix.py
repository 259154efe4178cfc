"""The authorization matrix: every role x every route gives exactly the expected allow/deny,
and provider A never sees a row of provider B's patients by page, API or export.

`MATRIX` is the table of every route the app serves -> the roles allowed. A route the app
serves without a row here fails `test_every_route_has_a_row`; add its row (and, when its path
has parameters, a sample for them in `SAMPLES`).

"Allowed" means the guard let the request through (no 401/403 from it, no login redirect, no
`authorize` refusal in the audit log): the page may still answer 404 or 422 for the sample
values. "Denied" means exactly 403 and one audited refusal. POSTs are sent without their form
fields, so an allowed one stops at 422 (or at an unknown sample id) and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from aco_pipeline.web.access.guard import route_rules
from aco_pipeline.web.access.principal import Role
from tests.web.conftest import client_factory, csrf_from

E, F, C, P, N, A, ADM = (Role.EXECUTIVE, Role.FINANCE, Role.CARE_MANAGER, Role.PROVIDER,
                         Role.NETWORK, Role.ANALYST, Role.ADMIN)
PUBLIC = "public"
ALL = frozenset(Role)
EXEC = frozenset({E, F, A})            # Permission.EXECUTIVE
FIN = frozenset({F, A})                # Permission.FINANCE
NET = frozenset({N, A})                # Permission.NETWORK
PROV = frozenset({P, N, A})            # Permission.PROVIDER
PHI = frozenset({C, P, A})             # Permission.PHI
EDIT = frozenset({C})                  # Permission.WORKLIST_EDIT
ADMIN = frozenset({ADM})               # Permission.ADMIN

MATRIX: dict[str, frozenset[Role] | str] = {
    # login, assets (anyone)
    "GET /login": PUBLIC,
    "POST /login": PUBLIC,
    "GET /login/totp": PUBLIC,
    "POST /login/totp": PUBLIC,
    "GET /login/enrol": PUBLIC,
    "POST /login/enrol": PUBLIC,
    "GET /login/password": PUBLIC,
    "POST /login/password": PUBLIC,
    "GET /login/oidc": PUBLIC,
    "GET /login/oidc/callback": PUBLIC,
    "POST /logout": PUBLIC,
    "GET /healthz": PUBLIC,
    "GET /vendor/plotly.min.js": PUBLIC,
    "* /static": PUBLIC,
    # any logged-in user
    "GET /": ALL,
    "GET /account": ALL,
    "POST /account/password": ALL,
    "POST /account/totp": ALL,
    "POST /account/sessions/end-others": ALL,
    # admin
    "GET /admin": ADMIN,
    "GET /admin/users": ADMIN,
    "POST /admin/users": ADMIN,
    "POST /admin/users/{username}/disable": ADMIN,
    "POST /admin/users/{username}/enable": ADMIN,
    "POST /admin/users/{username}/reset-password": ADMIN,
    "POST /admin/users/{username}/remove-totp": ADMIN,
    "POST /admin/users/{username}/roles": ADMIN,
    "POST /admin/users/{username}/end-sessions": ADMIN,
    "POST /admin/sessions/end-all": ADMIN,
    "GET /admin/sessions": ADMIN,
    "POST /admin/sessions/{handle}/end": ADMIN,
    "GET /admin/audit": ADMIN,
    "GET /admin/audit.csv": ADMIN,
    "GET /admin/access": ADMIN,
    "GET /admin/status": ADMIN,
    "GET /openapi.json": ADMIN,
    "GET /docs": ADMIN,
    # aggregate dashboards
    "GET /executive": EXEC,
    "GET /api/executive": EXEC,
    "GET /finance": FIN,
    "GET /api/finance": FIN,
    "GET /network": NET,
    "GET /api/network": NET,
    "GET /provider": PROV,
    "GET /api/provider": PROV,
    "GET /analyst/spend-trend": FIN,
    "GET /api/analyst/spend-trend": FIN,
    # patient level
    "GET /patients/{token}": PHI,
    "GET /api/patients/{token}": PHI,
    "GET /provider/patients": PHI,
    "GET /api/provider/patients": PHI,
    "GET /care": PHI,
    "GET /care/worklists/{name}": PHI,
    "GET /api/care/worklists/{name}": PHI,
    "POST /care/worklists/{name}/items/{token}": EDIT,
    "GET /analyst/category/{category}/month/{month}": PHI,
    "GET /api/analyst/category/{category}/month/{month}": PHI,
}

# sample values for path parameters ({token} is filled in with a real beneficiary's token)
SAMPLES = {
    "username": "nobody-at-all",
    "handle": "0000000000000000",
    "name": "high_risk",
    "category": "inpatient",
    "month": "2024-12",
}


def _key(method: str, path: str) -> str:
    return f"{method} {path}"


@dataclass
class World:
    app: FastAPI
    clients: dict[str, TestClient]
    token: str          # a beneficiary attributed to TIN_A
    tin_a: str
    tin_b: str
    b_tokens: set[str]  # beneficiaries attributed to TIN_B only
    b_mbis: set[str]
    a_tokens: set[str]


def _tins(app: FastAPI) -> tuple[str, str, dict[str, list[str]]]:
    with app.state.services.warehouse.connect() as con:
        rows = con.execute("select attributed_tin, mr_mbi from mart_patient_beneficiary "
                           "where attributed_tin is not null").fetchall()
    by_tin: dict[str, list[str]] = {}
    for tin, mbi in rows:
        by_tin.setdefault(tin, []).append(mbi)
    ranked = sorted(by_tin, key=lambda t: (-len(by_tin[t]), t))
    assert len(ranked) >= 2, "the synthetic ACO needs two TINs with attributed patients"
    return ranked[0], ranked[1], by_tin


@pytest.fixture(scope="module")
def world(web_app: FastAPI) -> World:
    tin_a, tin_b, by_tin = _tins(web_app)
    make = client_factory(web_app)
    clients = {role.value: make(role) for role in Role if role is not Role.PROVIDER}
    clients["provider"] = make(Role.PROVIDER, tin=tin_a)
    clients["provider_b"] = make(Role.PROVIDER, tin=tin_b)
    clients["anonymous"] = TestClient(web_app)
    tokens = web_app.state.services.tokens
    a_mbis = set(by_tin[tin_a])
    b_mbis = set(by_tin[tin_b]) - a_mbis
    return World(web_app, clients, tokens.token(sorted(a_mbis)[0]), tin_a, tin_b,
                 {tokens.token(m) for m in b_mbis}, b_mbis, {tokens.token(m) for m in a_mbis})


def _path(template: str, world: World) -> str:
    path = template.replace("{token}", world.token)
    for name, value in SAMPLES.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"add a sample for {template} in SAMPLES"
    return path


def _csrf(client: TestClient) -> str:
    page = client.get("/account") if client.cookies.get("aco_session") else client.get("/login")
    if page.status_code != 200:
        page = client.get("/login")
    return csrf_from(page.text)


def _request(world: World, who: str, method: str, template: str):
    client = world.clients[who]
    path = _path(template, world)
    if method == "GET":
        return client.get(path, follow_redirects=False)
    return client.request(method, path, headers={"X-CSRF-Token": _csrf(client)},
                          follow_redirects=False)


def _refusals(app: FastAPI) -> int:
    return len(app.state.services.audit.query(action="authorize", outcome="denied",
                                              limit=None))


def test_every_route_has_a_row(web_app: FastAPI) -> None:
    served = set()
    for rule in route_rules(web_app):
        methods = sorted(rule.methods - {"HEAD"}) or ["*"]
        served |= {_key(m, rule.path) for m in methods}
    assert served - MATRIX.keys() == set(), "routes without a row in MATRIX"
    assert MATRIX.keys() - served == set(), "rows in MATRIX for routes the app does not serve"


def test_declared_rules_match_the_matrix(web_app: FastAPI) -> None:
    from aco_pipeline.web.access.principal import ROLE_PERMISSIONS

    for rule in route_rules(web_app):
        for method in sorted(rule.methods - {"HEAD"}) or ["*"]:
            expected = MATRIX[_key(method, rule.path)]
            if rule.rule == "public":
                assert expected == PUBLIC, rule.path
            else:
                allowed = frozenset(r for r in Role if rule.rule in ROLE_PERMISSIONS[r])
                assert allowed == expected, (method, rule.path)


CASES = [(key, who) for key in MATRIX if not key.startswith("*")
         for who in [*[r.value for r in Role], "anonymous"]]


@pytest.mark.parametrize(("key", "who"), CASES, ids=[f"{k} as {w}" for k, w in CASES])
def test_route_as_role(world: World, key: str, who: str) -> None:
    method, template = key.split(" ", 1)
    if template in ("/logout", "/admin/sessions/end-all") and who != "anonymous":
        pytest.skip("it would end the shared sessions; covered in test_auth / test_admin")
    expected = MATRIX[key]
    before = _refusals(world.app)
    response = _request(world, who, method, template)
    refused = _refusals(world.app) - before
    is_api = template.startswith("/api/")
    if expected == PUBLIC:
        assert response.status_code not in (401, 403), response.status_code
        assert refused == 0
    elif who == "anonymous":
        if is_api:
            assert response.status_code == 401
        else:
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login?next=/")
    elif Role(who) in expected:
        assert response.status_code not in (401, 403), (response.status_code, response.text[:200])
        assert not (response.status_code == 303
                    and response.headers["location"].startswith("/login"))
        assert refused == 0
    else:
        assert response.status_code == 403, response.status_code
        assert refused == 1
        if is_api:
            assert response.headers["content-type"].startswith("application/json")
        if method == "GET":
            # the same route as an export and as an htmx fragment is refused the same way
            client, path = world.clients[who], _path(template, world)
            sep = "&" if "?" in path else "?"
            assert client.get(f"{path}{sep}format=csv").status_code == 403
            assert client.get(path, headers={"HX-Request": "true"}).status_code == 403


def test_fragments_without_a_session_are_sent_to_login(world: World) -> None:
    for key, expected in MATRIX.items():
        method, template = key.split(" ", 1)
        if method != "GET" or expected == PUBLIC or template.startswith("/api/"):
            continue
        response = world.clients["anonymous"].get(_path(template, world),
                                                  headers={"HX-Request": "true"},
                                                  follow_redirects=False)
        assert response.status_code == 401, template
        assert response.headers["hx-redirect"].startswith("/login?next=/")


def test_admin_sees_phi_only_with_a_phi_role(web_app: FastAPI) -> None:
    make = client_factory(web_app)
    assert make(Role.ADMIN).get("/care").status_code == 403
    assert make([Role.ADMIN, Role.CARE_MANAGER]).get("/care").status_code == 200


def _provider_get_paths(world: World) -> list[str]:
    paths = []
    for key, allowed in MATRIX.items():
        method, template = key.split(" ", 1)
        if method != "GET" or allowed == PUBLIC or Role.PROVIDER not in allowed:
            continue
        base = _path(template, world)
        paths.append(base)
        sep = "&" if "?" in base else "?"
        # asking for the other TIN through the hierarchy filter, and the exports
        paths += [f"{base}{sep}tin={world.tin_b}", f"{base}{sep}format=csv",
                  f"{base}{sep}format=csv&tin={world.tin_b}"]
    for name in ("high_risk", "frequent_ed", "discharges_without_followup", "rising_risk",
                 "top_spenders"):
        for prefix in ("/care/worklists/", "/api/care/worklists/"):
            paths += [f"{prefix}{name}", f"{prefix}{name}?format=csv"]
    return paths


def test_provider_a_never_sees_provider_b_patients(world: World) -> None:
    client = world.clients["provider"]
    seen_own = False
    for path in _provider_get_paths(world):
        response = client.get(path, follow_redirects=False)
        body = response.text
        leaked = {t for t in world.b_tokens if t in body}
        assert not leaked, f"{path} shows {len(leaked)} of TIN B's patients"
        assert not {m for m in world.b_mbis if m in body}, f"{path} shows an MBI"
        seen_own = seen_own or any(t in body for t in world.a_tokens)
    assert seen_own, "provider A saw none of their own patients: the test proves nothing"


def test_provider_a_cannot_open_provider_b_patient(world: World) -> None:
    client = world.clients["provider"]
    token = sorted(world.b_tokens)[0]
    for path in (f"/patients/{token}", f"/api/patients/{token}",
                 f"/patients/{token}?format=csv"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert token not in response.text or response.status_code == 404


URL_ATTRS = re.compile(r'\b(?:href|src|action|hx-get|hx-post|hx-push-url|data-url)="([^"]*)"')


def test_no_url_on_any_page_carries_an_mbi(world: World) -> None:
    """Every link, form target and htmx URL the analyst (who sees everything) is given, on
    every page, names beneficiaries by token only."""
    with world.app.state.services.warehouse.connect() as con:
        mbis = {m for (m,) in con.execute("select mr_mbi from mart_patient_beneficiary"
                                          ).fetchall()}
    assert mbis
    client = world.clients["analyst"]
    urls: set[str] = set()
    for key, expected in MATRIX.items():
        method, template = key.split(" ", 1)
        if method != "GET" or expected == PUBLIC or Role.ANALYST not in expected:
            continue
        response = client.get(_path(template, world), follow_redirects=False)
        urls |= set(URL_ATTRS.findall(response.text))
        urls.add(response.headers.get("location", ""))
    assert any(world.token in u or "/patients/" in u for u in urls), "no patient links seen"
    leaked = [u for u in urls if any(m in u for m in mbis)]
    assert leaked == []
