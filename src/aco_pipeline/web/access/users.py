"""The user store: argon2id password hashes, roles, provider scope, TOTP secret, disabled flag.

Only the provider role may be scoped (a TIN, optionally an NPI within it); a scoped user holds
that one role, so no other role's whole-ACO pages open up for them. Passwords are never stored
or logged; `authenticate` spends the same argon2 work whether or not the user exists, so timing
does not tell which usernames are real.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from aco_pipeline.errors import AcoError
from aco_pipeline.web.access.principal import Principal, Role, Scope
from aco_pipeline.web.access.store import connect

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
TIN = re.compile(r"^[0-9]{9}$")
NPI = re.compile(r"^[0-9]{10}$")
MIN_PASSWORD = 15  # ASVS 5.0 6.2.1: at least 8, 15 strongly recommended (single factor)
MAX_PASSWORD = 128  # ASVS 5.0 6.2.9: at least 64 characters permitted
INITIAL_SECONDS = 72 * 60 * 60  # a password set by someone else must be changed within 72 h
# ASVS 5.0 6.1.2 / 6.2.11: words of this application's context a password may not be built on
CONTEXT_WORDS = ("aco", "mssp", "medicare", "cms", "cclf", "password", "passwort", "welcome",
                 "letmein", "qwerty", "admin", "analyst", "provider", "finance", "executive",
                 "network", "caremanager", "aco-pipeline", "acopipeline")

_SCHEMA = """
create table if not exists users (
    id integer primary key autoincrement,
    username text not null unique,
    password_hash text,
    roles text not null,
    tin text,
    npi text,
    totp_secret text,
    totp_last_step integer,
    totp_pending text,
    oidc_sub text unique,
    must_change integer not null default 0,
    initial_expires_at real,
    disabled integer not null default 0,
    created_at real not null,
    password_changed_at real
)
"""


class UserError(AcoError, ValueError):
    """A user command or value is not acceptable (unknown user, bad role, bad scope...)."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    roles: frozenset[Role]
    scope: Scope
    disabled: bool
    totp_enabled: bool
    must_change: bool = False
    """The password was set by someone else (an admin, the CLI): change it at the next login."""

    def principal(self, session_id: str = "") -> Principal:
        return Principal(self.id, self.username, self.roles, self.scope, session_id)


def generate_password(username: str | None = None, context: tuple[str, ...] = ()) -> str:
    """A random password for a new user or a reset (printed once; 144 bits) that passes
    `check_password` for this username."""
    while True:
        password = secrets.token_urlsafe(18)
        try:
            check_password(password, username=username, context=context)
        except UserError:
            continue
        return password


def parse_roles(names: list[str] | tuple[str, ...] | str) -> frozenset[Role]:
    if isinstance(names, str):
        names = [n for n in names.split(",") if n]
    roles: set[Role] = set()
    for name in names:
        try:
            roles.add(Role(name.strip().lower().replace("-", "_")))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise UserError(f"unknown role {name!r} (known: {known})") from None
    if not roles:
        raise UserError("a user needs at least one role")
    return frozenset(roles)


def check_scope(roles: frozenset[Role], tin: str | None, npi: str | None) -> Scope:
    if npi is not None and tin is None:
        raise UserError("an NPI scope needs its TIN (--tin)")
    if tin is not None and not TIN.match(tin):
        raise UserError("a TIN is 9 digits")
    if npi is not None and not NPI.match(npi):
        raise UserError("an NPI is 10 digits")
    if tin is not None and roles != {Role.PROVIDER}:
        raise UserError("only the provider role may be scoped to a TIN/NPI, and a scoped user "
                        "holds no other role")
    return Scope(tin, npi)


def check_password(password: str, *, username: str | None = None,
                   context: tuple[str, ...] = ()) -> None:
    """Length rules (any characters allowed, nothing changed before hashing) and no password
    built on the username or on a word of this application's context."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"a password has at most {MAX_PASSWORD} characters")
    folded = password.lower()
    letters = "".join(c for c in folded if c.isalpha())
    if username and len(username) >= 3 and username.lower() in folded:
        raise UserError("a password may not contain the username")
    for word in (*CONTEXT_WORDS, *(w.lower() for w in context)):
        padded = word in folded and len(folded) - len(word) < 8
        repeated = bool(letters) and letters == word * (len(letters) // len(word))
        if word and (padded or repeated):
            raise UserError("a password may not be built on a word of this application "
                            f"({word!r}) or a repetition of it")
    if len(set(password)) < 5:
        raise UserError("a password needs more than a few distinct characters")


class UserStore:
    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time,
                 hasher: PasswordHasher | None = None, context: tuple[str, ...] = ()) -> None:
        self.path = path
        self.clock = clock
        self.context = context
        """Extra words passwords may not be built on (the workspace's ACO id)."""
        # argon2id (RFC 9106 / OWASP: m=19 MiB, t=2, p=1 is the minimum; the library default
        # profile is stronger: m=64 MiB, t=3, p=4)
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None
        with connect(self.path) as con:
            con.execute(_SCHEMA)

    # --- reading ---------------------------------------------------------------------------

    @staticmethod
    def _user(row) -> User:
        return User(row["id"], row["username"], parse_roles(row["roles"]),
                    Scope(row["tin"], row["npi"]), bool(row["disabled"]),
                    row["totp_secret"] is not None, bool(row["must_change"]))

    def get(self, user_id: int) -> User | None:
        with connect(self.path) as con:
            row = con.execute("select * from users where id = ?", (user_id,)).fetchone()
        return None if row is None else self._user(row)

    def by_name(self, username: str) -> User | None:
        with connect(self.path) as con:
            row = con.execute("select * from users where username = ?",
                              (username.lower(),)).fetchone()
        return None if row is None else self._user(row)

    def by_oidc_sub(self, sub: str) -> User | None:
        with connect(self.path) as con:
            row = con.execute("select * from users where oidc_sub = ?", (sub,)).fetchone()
        return None if row is None else self._user(row)

    def oidc_sub(self, user_id: int) -> str | None:
        with connect(self.path) as con:
            row = con.execute("select oidc_sub from users where id = ?", (user_id,)).fetchone()
        return None if row is None else row["oidc_sub"]

    def link_oidc(self, user_id: int, sub: str, roles: frozenset[Role], *,
                  tin: str | None = None, npi: str | None = None) -> None:
        """Tie a user to their single-sign-on subject and take the roles the identity
        provider grants (it is the authority for a single-sign-on user)."""
        check_scope(roles, tin, npi)
        with connect(self.path) as con:
            con.execute("update users set oidc_sub = ?, roles = ?, tin = ?, npi = ? "
                        "where id = ?",
                        (sub, ",".join(sorted(r.value for r in roles)), tin, npi, user_id))

    def require(self, username: str) -> User:
        user = self.by_name(username)
        if user is None:
            raise UserError(f"no user named {username!r}")
        return user

    def list(self) -> list[User]:
        with connect(self.path) as con:
            rows = con.execute("select * from users order by username").fetchall()
        return [self._user(r) for r in rows]

    # --- writing ---------------------------------------------------------------------------

    def add(self, username: str, roles: frozenset[Role], password: str | None, *,
            tin: str | None = None, npi: str | None = None, initial: bool = False) -> User:
        """A new user; `password` None means single sign-on only (no password login).
        `initial`: the password was chosen for the user (generated, or by an admin): it
        works for `INITIAL_SECONDS` and must be changed at the first login."""
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise UserError("a username is 2-64 characters: lower-case letters, digits, . _ @ -")
        check_scope(roles, tin, npi)
        hashed = None
        if password is not None:
            check_password(password, username=username, context=self.context)
            hashed = self.hasher.hash(password)
        now = self.clock()
        initial = initial and hashed is not None
        with connect(self.path, immediate=True) as con:
            if con.execute("select 1 from users where username = ?", (username,)).fetchone():
                raise UserError(f"a user named {username!r} already exists")
            con.execute(
                "insert into users (username, password_hash, roles, tin, npi, created_at, "
                "password_changed_at, must_change, initial_expires_at) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (username, hashed, ",".join(sorted(r.value for r in roles)), tin, npi, now,
                 now if hashed else None, int(initial),
                 now + INITIAL_SECONDS if initial else None))
        return self.require(username)

    def set_roles(self, username: str, roles: frozenset[Role], *, tin: str | None = None,
                  npi: str | None = None) -> User:
        check_scope(roles, tin, npi)
        user = self.require(username)
        with connect(self.path) as con:
            con.execute("update users set roles = ?, tin = ?, npi = ? where id = ?",
                        (",".join(sorted(r.value for r in roles)), tin, npi, user.id))
        return self.require(username)

    def set_disabled(self, username: str, disabled: bool = True) -> User:
        user = self.require(username)
        with connect(self.path) as con:
            con.execute("update users set disabled = ? where id = ?", (int(disabled), user.id))
        return self.require(username)

    def reset_password(self, username: str, password: str, *, initial: bool = False) -> User:
        """A new password; `initial` as for `add` (set by someone else), else the user's own
        choice (which also clears a pending must-change)."""
        user = self.require(username)
        check_password(password, username=user.username, context=self.context)
        now = self.clock()
        with connect(self.path) as con:
            con.execute("update users set password_hash = ?, password_changed_at = ?, "
                        "must_change = ?, initial_expires_at = ? where id = ?",
                        (self.hasher.hash(password), now, int(initial),
                         now + INITIAL_SECONDS if initial else None, user.id))
        return self.require(username)

    def authenticate(self, username: str, password: str) -> User | None:
        """The enabled user with this password, or None (unknown, disabled, wrong password)."""
        name = username.strip().lower()
        with connect(self.path) as con:
            row = con.execute("select * from users where username = ?", (name,)).fetchone()
        stored = row["password_hash"] if row is not None else None
        if stored is None or len(password) > MAX_PASSWORD:
            if self._dummy is None:
                self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
            self._verify(self._dummy, password[:MAX_PASSWORD])  # same work either way
            return None
        if not self._verify(stored, password):
            return None
        if self.hasher.check_needs_rehash(stored):
            with connect(self.path) as con:
                con.execute("update users set password_hash = ? where id = ?",
                            (self.hasher.hash(password), row["id"]))
        user = self._user(row)
        expired = user.must_change and (row["initial_expires_at"] or 0) < self.clock()
        return None if user.disabled or expired else user

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    # --- second factor ---------------------------------------------------------------------

    def totp_secret(self, user_id: int) -> str | None:
        with connect(self.path) as con:
            row = con.execute("select totp_secret from users where id = ?",
                              (user_id,)).fetchone()
        return None if row is None else row["totp_secret"]

    def set_totp(self, user_id: int, secret: str | None) -> None:
        with connect(self.path) as con:
            con.execute("update users set totp_secret = ?, totp_pending = null, "
                        "totp_last_step = null where id = ?", (secret, user_id))

    def pending_totp(self, user_id: int, *, create: bool = False) -> str | None:
        """The secret being enrolled (shown to the user until they confirm a code)."""
        with connect(self.path, immediate=True) as con:
            row = con.execute("select totp_pending from users where id = ?",
                              (user_id,)).fetchone()
            if row is None:
                return None
            secret = row["totp_pending"]
            if secret is None and create:
                secret = pyotp.random_base32()
                con.execute("update users set totp_pending = ? where id = ?", (secret, user_id))
        return secret

    def confirm_totp(self, user_id: int) -> None:
        """The pending secret becomes the user's second factor."""
        with connect(self.path) as con:
            con.execute("update users set totp_secret = totp_pending, totp_pending = null, "
                        "totp_last_step = null where id = ? and totp_pending is not null",
                        (user_id,))

    def use_totp_step(self, user_id: int, step: int) -> bool:
        """Record that the code of time step `step` was used; False when it (or a later one)
        was used already (a code is accepted once: ASVS 5.0 6.5.1)."""
        with connect(self.path, immediate=True) as con:
            row = con.execute("select totp_last_step from users where id = ?",
                              (user_id,)).fetchone()
            if row is None or (row["totp_last_step"] is not None
                               and row["totp_last_step"] >= step):
                return False
            con.execute("update users set totp_last_step = ? where id = ?", (step, user_id))
        return True
