"""Server-side sessions: the cookie holds only a random id; everything else stays here.

A session ends after `idle` seconds without a request (15 min) or `absolute` seconds after login
(8 h), whichever comes first; the values and their reasons are in docs/security.md. The store
keeps a SHA-256 of the id, not the id, so a copy of the database does not hand out live
sessions. A login always makes a new id (rotation); a password reset or a disable ends every
session of that user. A session waiting for a further login step (`stage` in PENDING: the
second factor, its enrolment, or the change of a password someone else set) grants nothing and
lives at most `mfa_lifetime` seconds. A user has at most `max_per_user` full sessions: a new
login ends the oldest beyond that.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aco_pipeline.web.access.store import connect

IDLE_SECONDS = 15 * 60
ABSOLUTE_SECONDS = 8 * 60 * 60
MFA_SECONDS = 5 * 60

MAX_PER_USER = 5
TOUCH_SECONDS = 10  # idle clock granularity: the timeout is exact to within this

FULL = "full"
MFA = "mfa"          # password accepted, waiting for the authenticator code
ENROL = "enrol"      # password accepted, the authenticator must be set up first
CHANGE = "change"    # password accepted, it was set by someone else and must be changed
PENDING = frozenset({MFA, ENROL, CHANGE})

_SCHEMA = """
create table if not exists sessions (
    id_hash text primary key,
    handle text not null unique,
    user_id integer not null,
    stage text not null,
    created_at real not null,
    last_seen real not null,
    client text
)
"""


@dataclass(frozen=True)
class Session:
    id: str
    """The secret id (as the cookie carries it); empty for sessions listed by `active`."""
    handle: str
    """A public name for the session (admin pages end a session by it)."""
    user_id: int
    stage: str
    created_at: float
    last_seen: float
    client: str | None


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii", "replace")).hexdigest()


class SessionStore:
    def __init__(self, path: Path, *, idle: int = IDLE_SECONDS, absolute: int = ABSOLUTE_SECONDS,
                 mfa_lifetime: int = MFA_SECONDS, max_per_user: int = MAX_PER_USER,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.max_per_user = max_per_user
        self.idle = idle
        self.absolute = absolute
        self.mfa_lifetime = mfa_lifetime
        self.clock = clock
        with connect(self.path) as con:
            con.execute(_SCHEMA)

    def create(self, user_id: int, *, stage: str = FULL, client: str | None = None,
               replaces: str | None = None) -> Session:
        """A new session with a fresh random id; `replaces` (the id the browser had before, if
        any) is ended in the same step, so an id seen before login is never valid after it."""
        sid = secrets.token_urlsafe(32)
        handle = secrets.token_hex(8)
        now = self.clock()
        with connect(self.path, immediate=True) as con:
            if replaces:
                con.execute("delete from sessions where id_hash = ?", (_hash(replaces),))
            if stage == FULL:
                con.execute("delete from sessions where id_hash in (select id_hash from "
                            "sessions where user_id = ? and stage = ? "
                            "order by created_at desc, rowid desc limit -1 offset ?)",
                            (user_id, FULL, self.max_per_user - 1))
            con.execute("insert into sessions values (?, ?, ?, ?, ?, ?, ?)",
                        (_hash(sid), handle, user_id, stage, now, now, client))
        return Session(sid, handle, user_id, stage, now, now, client)

    def _expired(self, row, now: float) -> bool:
        lifetime = self.mfa_lifetime if row["stage"] in PENDING else self.absolute
        return now - row["last_seen"] > self.idle or now - row["created_at"] > lifetime

    def touch(self, session_id: str | None) -> Session | None:
        """The live session with this id, its idle clock restarted; None when there is none or
        it has expired (an expired session is deleted). The last-seen time is written at most
        every `TOUCH_SECONDS`, so a page with many fragments does not queue writes."""
        if not session_id or len(session_id) > 128:
            return None
        key = _hash(session_id)
        now = self.clock()
        with connect(self.path) as con:
            row = con.execute("select * from sessions where id_hash = ?", (key,)).fetchone()
            if row is None:
                return None
            if self._expired(row, now):
                con.execute("delete from sessions where id_hash = ?", (key,))
                return None
            last_seen = row["last_seen"]
            if now - last_seen >= TOUCH_SECONDS:
                con.execute("update sessions set last_seen = ? where id_hash = ?", (now, key))
                last_seen = now
        return Session(session_id, row["handle"], row["user_id"], row["stage"],
                       row["created_at"], last_seen, row["client"])

    def revoke(self, session_id: str) -> None:
        with connect(self.path) as con:
            con.execute("delete from sessions where id_hash = ?", (_hash(session_id),))

    def revoke_handle(self, handle: str) -> bool:
        with connect(self.path) as con:
            cur = con.execute("delete from sessions where handle = ?", (handle,))
        return cur.rowcount > 0

    def revoke_user(self, user_id: int) -> int:
        """End every session of a user (password reset, disable): the number ended."""
        with connect(self.path) as con:
            cur = con.execute("delete from sessions where user_id = ?", (user_id,))
        return cur.rowcount

    def of_user(self, user_id: int) -> list[Session]:
        return [s for s in self.active() if s.user_id == user_id]

    def revoke_all(self) -> int:
        with connect(self.path) as con:
            cur = con.execute("delete from sessions")
        return cur.rowcount

    def active(self) -> list[Session]:
        """Sessions not yet expired, newest first (expired ones are removed on the way)."""
        now = self.clock()
        with connect(self.path, immediate=True) as con:
            rows = con.execute("select * from sessions order by created_at desc, rowid desc"
                               ).fetchall()
            gone = [r["id_hash"] for r in rows if self._expired(r, now)]
            con.executemany("delete from sessions where id_hash = ?", [(g,) for g in gone])
        return [Session("", r["handle"], r["user_id"], r["stage"], r["created_at"],
                        r["last_seen"], r["client"])
                for r in rows if r["id_hash"] not in set(gone)]
