"""Login throttling and temporary lockout (ASVS 5.0 6.3.1).

After `per_user` failed logins for one username within `window` seconds, that username is
locked for `lockout` seconds (whether or not it exists, so a lockout does not reveal which names
are real); after `per_client` failures from one address in the window, that address is locked
the same way. A successful login clears the username's failures. Values: docs/security.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from aco_pipeline.web.access.store import connect

_SCHEMA = """
create table if not exists login_failures (
    key text not null,
    at real not null
)
"""


class LoginThrottle:
    def __init__(self, path: Path, *, per_user: int = 5, per_client: int = 20,
                 window: int = 15 * 60, lockout: int = 15 * 60,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.per_user = per_user
        self.per_client = per_client
        self.window = window
        self.lockout = lockout
        self.clock = clock
        with connect(self.path) as con:
            con.execute(_SCHEMA)
            con.execute("create index if not exists login_failures_key "
                        "on login_failures (key, at)")

    @staticmethod
    def _keys(username: str, client: str | None) -> list[tuple[str, str]]:
        keys = [("user", f"user:{username.strip().lower()}")]
        if client:
            keys.append(("client", f"client:{client}"))
        return keys

    def locked_for(self, username: str, client: str | None) -> float:
        """Seconds until a login for this username from this client may be tried again
        (0: now)."""
        now = self.clock()
        wait = 0.0
        with connect(self.path) as con:
            for kind, key in self._keys(username, client):
                limit = self.per_user if kind == "user" else self.per_client
                rows = con.execute("select at from login_failures where key = ? and at > ? "
                                   "order by at desc", (key, now - self.window - self.lockout)
                                   ).fetchall()
                recent = [r["at"] for r in rows if r["at"] > rows[0]["at"] - self.window] \
                    if rows else []
                if len(recent) >= limit:
                    wait = max(wait, recent[0] + self.lockout - now)
        return max(wait, 0.0)

    def failed(self, username: str, client: str | None) -> None:
        now = self.clock()
        with connect(self.path) as con:
            con.executemany("insert into login_failures values (?, ?)",
                            [(key, now) for _, key in self._keys(username, client)])
            con.execute("delete from login_failures where at < ?",
                        (now - self.window - self.lockout,))

    def succeeded(self, username: str) -> None:
        with connect(self.path) as con:
            con.execute("delete from login_failures where key = ?",
                        (f"user:{username.strip().lower()}",))
