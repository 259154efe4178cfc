"""The user store: argon2id hashes, roles, the provider-only scope, password rules."""

from __future__ import annotations

import sqlite3

import pytest

from aco_pipeline.web.access.principal import Role, Scope
from aco_pipeline.web.access.store import WEB_DB
from aco_pipeline.web.access.users import UserError, UserStore, generate_password, parse_roles
from tests.web.conftest import FAST_HASHER


@pytest.fixture
def store(core_ws) -> UserStore:
    return UserStore(core_ws.state_dir / WEB_DB, hasher=FAST_HASHER)


def test_default_hash_is_argon2id_and_the_password_is_not_stored(core_ws) -> None:
    store = UserStore(core_ws.state_dir / "default.sqlite")  # the production profile
    password = generate_password("alice")
    store.add("alice", parse_roles("admin"), password)
    con = sqlite3.connect(core_ws.state_dir / "default.sqlite")
    [(stored,)] = con.execute("select password_hash from users").fetchall()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert password not in stored
    assert store.authenticate("alice", password).username == "alice"
    assert store.authenticate("ALICE ", password).username == "alice"
    assert store.authenticate("alice", password + "x") is None


def test_generated_passwords_are_long_and_different() -> None:
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50 and min(len(p) for p in passwords) >= 24


@pytest.mark.parametrize("password", ["short", "x" * 14, "y" * 129])
def test_password_length_rules(store, password) -> None:
    with pytest.raises(UserError, match="characters"):
        store.add("bob", parse_roles("finance"), password)


def test_roles_are_a_set_and_unknown_roles_are_refused(store) -> None:
    user = store.add("ann", parse_roles(["analyst", "care-manager"]), generate_password("ann"))
    assert user.roles == {Role.ANALYST, Role.CARE_MANAGER}
    with pytest.raises(UserError, match="unknown role 'superuser'"):
        parse_roles(["superuser"])
    with pytest.raises(UserError, match="at least one role"):
        parse_roles([])


@pytest.mark.parametrize(("roles", "tin", "npi", "message"), [
    ("executive", "123456789", None, "only the provider role"),
    ("provider,analyst", "123456789", None, "only the provider role"),
    ("provider", None, "1234567890", "needs its TIN"),
    ("provider", "12345", None, "9 digits"),
    ("provider", "123456789", "12", "10 digits"),
])
def test_only_the_provider_role_is_scoped(store, roles, tin, npi, message) -> None:
    with pytest.raises(UserError, match=message):
        store.add("pat", parse_roles(roles), generate_password("pat"), tin=tin, npi=npi)


def test_a_provider_scope_reaches_the_principal(store) -> None:
    user = store.add("doc", parse_roles("provider"), generate_password("doc"), tin="123456789",
                     npi="1234567890")
    principal = user.principal("sid")
    assert principal.scope == Scope("123456789", "1234567890")
    assert principal.scope.sql("tin", "npi") == ("tin = ? and npi = ?",
                                                 ["123456789", "1234567890"])


def test_duplicate_and_bad_usernames(store) -> None:
    store.add("ann", parse_roles("analyst"), generate_password("ann"))
    with pytest.raises(UserError, match="already exists"):
        store.add("Ann", parse_roles("analyst"), generate_password("ann"))
    with pytest.raises(UserError, match="username"):
        store.add("a b", parse_roles("analyst"), generate_password())


def test_disabled_and_sso_only_users_cannot_log_in_with_a_password(store) -> None:
    password = generate_password("ann")
    store.add("ann", parse_roles("analyst"), password)
    store.set_disabled("ann")
    assert store.authenticate("ann", password) is None
    store.add("sso", parse_roles("analyst"), None)
    assert store.authenticate("sso", "") is None


def test_totp_codes_are_used_once(store) -> None:
    user = store.add("ann", parse_roles("analyst"), generate_password("ann"))
    assert store.use_totp_step(user.id, 100)
    assert not store.use_totp_step(user.id, 100)
    assert not store.use_totp_step(user.id, 99)
    assert store.use_totp_step(user.id, 101)
