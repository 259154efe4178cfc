"""Login, sessions and their timeouts, throttling, the second factor, CSRF, logout."""

from __future__ import annotations

import pyotp
import pytest
from fastapi.testclient import TestClient

from aco_pipeline.web.access.principal import Role
from aco_pipeline.web.access.sessions import ABSOLUTE_SECONDS, IDLE_SECONDS
from aco_pipeline.web.access.users import generate_password, parse_roles
from tests.web.conftest import FAST_HASHER, csrf_from, login


@pytest.fixture
def alice(core_app):
    password = generate_password("alice")
    core_app.state.services.users.add("alice", parse_roles("executive"), password)
    return password


def _logged_in(client: TestClient) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


def test_login_sets_a_new_httponly_lax_session_cookie(core_app, alice) -> None:
    client = TestClient(core_app)
    client.get("/login")
    response = login(client, "alice", alice, "/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("aco_session=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # not behind TLS
    assert _logged_in(client)


def test_session_id_is_rotated_at_login(core_app, alice) -> None:
    client = TestClient(core_app)
    login(client, "alice", alice)
    first = client.cookies.get("aco_session")
    login(client, "alice", alice)
    second = client.cookies.get("aco_session")
    assert first and second and first != second
    stale = TestClient(core_app, cookies={"aco_session": first})
    assert stale.get("/account", follow_redirects=False).status_code == 303


def test_wrong_password_unknown_user_and_disabled_user_answer_alike(core_app, alice) -> None:
    core_app.state.services.users.add("bob", parse_roles("finance"), generate_password("bob"))
    core_app.state.services.users.set_disabled("bob")
    answers = []
    for name, password in [("alice", "not the password at all"),
                           ("nobody", "not the password at all"), ("bob", "whatever x 15 chars")]:
        response = login(TestClient(core_app), name, password)
        answers.append((response.status_code, "username or password is not right"
                        in response.text))
    assert answers == [(401, True)] * 3
    failed = core_app.state.services.audit.query(outcome="failed")
    assert sorted(r.username for r in failed) == ["alice", "bob", "nobody"]


def test_next_is_a_local_path_only(core_app, alice) -> None:
    for target, expected in [("https://evil.example/", "/"), ("//evil.example", "/"),
                             ("/\\evil", "/"), ("/admin", "/admin")]:
        response = login(TestClient(core_app), "alice", alice, target)
        assert response.headers["location"] == expected


def test_idle_timeout_ends_the_session(core_app, alice, clock) -> None:
    client = TestClient(core_app)
    login(client, "alice", alice)
    clock.now += IDLE_SECONDS - 1
    assert _logged_in(client)  # a request restarts the idle clock
    clock.now += IDLE_SECONDS - 1
    assert _logged_in(client)
    clock.now += IDLE_SECONDS + 1
    response = client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account"


def test_absolute_lifetime_ends_an_active_session(core_app, alice, clock) -> None:
    client = TestClient(core_app)
    login(client, "alice", alice)
    for _ in range(ABSOLUTE_SECONDS // (IDLE_SECONDS - 60)):
        clock.now += IDLE_SECONDS - 60
        if clock.now - 1_750_000_000.0 > ABSOLUTE_SECONDS:
            break
        assert _logged_in(client)
    clock.now += IDLE_SECONDS - 60
    assert not _logged_in(client)


def test_logout_needs_csrf_and_ends_the_session(core_app, alice) -> None:
    client = TestClient(core_app)
    login(client, "alice", alice)
    sid = client.cookies.get("aco_session")
    refused = client.post("/logout", follow_redirects=False)
    assert refused.status_code == 403
    assert _logged_in(client)
    token = csrf_from(client.get("/account").text)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["clear-site-data"] == '"cache", "storage"'
    [csrf] = core_app.state.services.audit.query(action="csrf")
    assert (csrf.outcome, csrf.target, csrf.username) == ("denied", "/logout", "alice")
    assert TestClient(core_app, cookies={"aco_session": sid}).get(
        "/account", follow_redirects=False).status_code == 303


def test_csrf_token_of_another_browser_is_refused(core_app, alice) -> None:
    mine, theirs = TestClient(core_app), TestClient(core_app)
    their_token = csrf_from(theirs.get("/login").text)
    mine.get("/login")
    response = mine.post("/login", data={"username": "alice", "password": alice,
                                         "csrf_token": their_token}, follow_redirects=False)
    assert response.status_code == 403
    assert "reload the page" in response.text
    assert core_app.state.services.audit.query(action="login") == []  # nothing happened
    assert [r.outcome for r in core_app.state.services.audit.query(action="csrf")] == ["denied"]


def test_csrf_header_is_accepted_for_htmx(core_app, alice) -> None:
    client = TestClient(core_app)
    login(client, "alice", alice)
    token = csrf_from(client.get("/account").text)
    response = client.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert response.status_code == 303


def test_repeated_failures_lock_the_username_for_a_while(core_app, alice, clock) -> None:
    client = TestClient(core_app)
    for _ in range(5):
        assert login(client, "alice", "wrong wrong wrong!").status_code == 401
    locked = login(client, "alice", alice)  # even the right password waits
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert "try again in 15 minutes" in locked.text
    assert core_app.state.services.audit.query(action="login", limit=1)[0].outcome == "locked"
    clock.now += 15 * 60 + 1
    assert login(client, "alice", alice).status_code == 303


def test_an_unknown_username_locks_too(core_app) -> None:
    client = TestClient(core_app)
    for _ in range(5):
        login(client, "ghost", "wrong wrong wrong!")
    assert login(client, "ghost", "wrong wrong wrong!").status_code == 429


def test_many_failures_from_one_client_lock_that_client(core_app, alice) -> None:
    client = TestClient(core_app)
    for i in range(20):
        login(client, f"user{i}", "wrong wrong wrong!")
    assert login(client, "alice", alice).status_code == 429


def test_second_factor_is_asked_after_the_password_and_used_once(core_app, alice, clock
                                                                 ) -> None:
    users = core_app.state.services.users
    user = users.by_name("alice")
    secret = pyotp.random_base32()
    users.set_totp(user.id, secret)
    client = TestClient(core_app)
    response = login(client, "alice", alice, "/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/login/totp?next=/account"
    assert not _logged_in(client)  # the password alone grants nothing
    page = client.get("/login/totp?next=/account")
    token = csrf_from(page.text)
    bad = client.post("/login/totp", data={"code": "000000", "csrf_token": token,
                                           "next": "/account"}, follow_redirects=False)
    assert bad.status_code == 401
    code = pyotp.TOTP(secret).at(int(clock.now))
    good = client.post("/login/totp", data={"code": code, "csrf_token": token,
                                            "next": "/account"}, follow_redirects=False)
    assert good.status_code == 303 and good.headers["location"] == "/account"
    assert _logged_in(client)
    [row] = core_app.state.services.audit.query(action="login", outcome="allowed")
    assert row.detail == "password+totp"  # the factors used are recorded
    # the same code again (a replay) is refused
    other = TestClient(core_app)
    login(other, "alice", alice)
    replay = other.post("/login/totp", data={"code": code, "csrf_token": csrf_from(
        other.get("/login/totp").text)}, follow_redirects=False)
    assert replay.status_code == 401


def test_a_pending_second_factor_session_expires(core_app, alice, clock) -> None:
    users = core_app.state.services.users
    users.set_totp(users.by_name("alice").id, pyotp.random_base32())
    client = TestClient(core_app)
    login(client, "alice", alice)
    clock.now += 5 * 60 + 1
    assert client.get("/login/totp", follow_redirects=False).headers["location"] == "/login"


def test_enrolling_an_authenticator_from_the_account_page(core_app, alice, clock) -> None:
    client = TestClient(core_app)
    login(client, "alice", alice)
    page = client.get("/account")
    assert page.headers["cache-control"] == "no-store"
    secret = core_app.state.services.users.pending_totp(
        core_app.state.services.users.by_name("alice").id)
    assert secret and secret in page.text
    token = csrf_from(page.text)
    code = pyotp.TOTP(secret).at(int(clock.now))
    wrong_code = "000000" if code != "000000" else "111111"
    assert client.post("/account/totp", data={"code": wrong_code, "current": alice,
                                              "csrf_token": token}).status_code == 400
    # the current password is asked again before the login method changes (ASVS 7.5.1)
    assert client.post("/account/totp", data={"code": code, "current": "not it at all!!",
                                              "csrf_token": token}).status_code == 400
    assert not core_app.state.services.users.by_name("alice").totp_enabled
    assert client.post("/account/totp", data={"code": code, "current": alice,
                                              "csrf_token": token}).status_code == 200
    assert core_app.state.services.users.by_name("alice").totp_enabled
    clock.now += 60
    fresh = TestClient(core_app)
    assert login(fresh, "alice", alice).headers["location"].startswith("/login/totp")


def test_changing_the_password_logs_out_everywhere_else(core_app, alice) -> None:
    here, elsewhere = TestClient(core_app), TestClient(core_app)
    login(here, "alice", alice)
    login(elsewhere, "alice", alice)
    new = generate_password("alice")
    token = csrf_from(here.get("/account").text)
    response = here.post("/account/password", data={"current": alice, "new": new,
                                                    "confirm": new, "csrf_token": token},
                         follow_redirects=False)
    assert response.status_code == 303
    assert _logged_in(here)
    assert not _logged_in(elsewhere)
    assert login(TestClient(core_app), "alice", new).status_code == 303


def test_reset_and_disable_end_every_session(core_app, core_client_as) -> None:
    from aco_pipeline.web.access.accounts import Actor

    accounts = core_app.state.services.accounts
    client = core_client_as(Role.FINANCE)
    assert _logged_in(client)
    accounts.reset_password(Actor(name="test"), client.aco_username)
    assert not _logged_in(client)
    other = core_client_as(Role.FINANCE)
    accounts.set_disabled(Actor(name="test"), other.aco_username)
    assert not _logged_in(other)
    assert login(TestClient(core_app), other.aco_username, other.aco_password
                 ).status_code == 401


def test_behind_proxy_cookies_are_secure_and_hsts_is_sent(core_ws) -> None:
    from aco_pipeline.web.app import WebSettings, create_app

    app = create_app(core_ws, WebSettings(behind_proxy=True, password_hasher=FAST_HASHER))
    password = generate_password("alice")
    app.state.services.users.add("alice", parse_roles("executive"), password)
    client = TestClient(app, base_url="https://testserver")
    page = client.get("/login")
    assert page.headers["set-cookie"].startswith("__Host-aco_pre=")
    assert "Secure" in page.headers["set-cookie"]
    assert page.headers["strict-transport-security"].startswith("max-age=")
    response = client.post("/login", data={"username": "alice", "password": password,
                                           "csrf_token": csrf_from(page.text)},
                           follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-aco_session=") and "Secure" in cookie
    assert client.get("/account", follow_redirects=False).status_code == 200


def test_a_code_is_accepted_in_its_step_and_the_next_only(core_app, alice, clock) -> None:
    from aco_pipeline.web.access.totp import step_of

    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret).at(int(clock.now))
    assert step_of(secret, code, clock.now) == int(clock.now) // 30
    assert step_of(secret, code, clock.now + 30) == int(clock.now) // 30
    assert step_of(secret, code, clock.now + 60) is None
    assert step_of(secret, code, clock.now - 30) is None
    assert step_of(secret, "abcdef", clock.now) is None


def test_an_initial_password_must_be_changed_at_the_first_login(core_app, clock) -> None:
    from aco_pipeline.web.access.accounts import Actor

    accounts = core_app.state.services.accounts
    _, initial = accounts.add(Actor(name="test"), "newbie", frozenset({Role.EXECUTIVE}))
    client = TestClient(core_app)
    response = login(client, "newbie", initial, "/account")
    assert response.headers["location"] == "/login/password?next=/account"
    assert not _logged_in(client)  # nothing else opens before the change
    page = client.get("/login/password?next=/account")
    token = csrf_from(page.text)
    mine = generate_password("newbie")
    refused = client.post("/login/password", data={"new": "aco-password-1", "confirm":
                                                   "aco-password-1", "csrf_token": token,
                                                   "next": "/account"})
    assert refused.status_code == 400
    done = client.post("/login/password", data={"new": mine, "confirm": mine,
                                                "csrf_token": token, "next": "/account"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert _logged_in(client)
    assert login(TestClient(core_app), "newbie", initial).status_code == 401
    assert login(TestClient(core_app), "newbie", mine).headers["location"] == "/"


def test_an_initial_password_expires_after_72_hours(core_app, clock) -> None:
    from aco_pipeline.web.access.accounts import Actor

    _, initial = core_app.state.services.accounts.add(Actor(name="test"), "late",
                                                      frozenset({Role.EXECUTIVE}))
    clock.now += 72 * 3600 + 1
    assert login(TestClient(core_app), "late", initial).status_code == 401


def test_required_totp_is_set_up_at_the_first_login(core_ws, clock) -> None:
    from aco_pipeline.web.app import WebSettings, create_app

    app = create_app(core_ws, WebSettings(clock=clock, password_hasher=FAST_HASHER,
                                          require_totp=True))
    password = generate_password("alice")
    users = app.state.services.users
    users.add("alice", parse_roles("executive"), password)
    client = TestClient(app)
    response = login(client, "alice", password, "/account")
    assert response.headers["location"] == "/login/enrol?next=/account"
    assert not _logged_in(client)
    page = client.get("/login/enrol?next=/account")
    secret = users.pending_totp(users.by_name("alice").id)
    assert secret in page.text and page.headers["cache-control"] == "no-store"
    code = pyotp.TOTP(secret).at(int(clock.now))
    done = client.post("/login/enrol", data={"code": code, "next": "/account",
                                             "csrf_token": csrf_from(page.text)},
                       follow_redirects=False)
    assert done.headers["location"] == "/account"
    assert _logged_in(client) and users.by_name("alice").totp_enabled
    clock.now += 60
    again = login(TestClient(app), "alice", password)
    assert again.headers["location"].startswith("/login/totp")


def test_a_user_has_at_most_five_sessions(core_app, alice) -> None:
    clients = [TestClient(core_app) for _ in range(6)]
    for client in clients:
        login(client, "alice", alice)
    assert [_logged_in(c) for c in clients] == [False] + [True] * 5


def test_a_user_ends_their_other_sessions_with_their_password(core_app, alice) -> None:
    here, there = TestClient(core_app), TestClient(core_app)
    login(here, "alice", alice)
    login(there, "alice", alice)
    page = here.get("/account")
    assert page.text.count("<tr><td>") == 2 and "this session" in page.text
    token = csrf_from(page.text)
    assert here.post("/account/sessions/end-others", data={"current": "wrong wrong wrong",
                                                           "csrf_token": token}
                     ).status_code == 400
    assert _logged_in(there)
    response = here.post("/account/sessions/end-others", data={"current": alice,
                                                               "csrf_token": token})
    assert "Ended 1 other session." in response.text
    assert _logged_in(here) and not _logged_in(there)


def test_an_admin_reset_keeps_the_authenticator(core_app, alice, clock) -> None:
    from aco_pipeline.web.access.accounts import Actor

    users = core_app.state.services.users
    users.set_totp(users.by_name("alice").id, pyotp.random_base32())
    _, new, _ = core_app.state.services.accounts.reset_password(Actor(name="test"), "alice")
    assert users.by_name("alice").totp_enabled
    response = login(TestClient(core_app), "alice", new)
    assert response.headers["location"].startswith("/login/totp")  # not bypassed
