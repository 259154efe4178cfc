"""The audit log (HIPAA 164.312(b) "record and examine"; OWASP ASVS 5.0 V16).

One row per login, failed login, refused authorization, patient-level page, list, export and
worklist change: who (user id, name, role), what (`action`), which beneficiary (its opaque
token, never an MBI) or list, how many rows, the outcome, UTC time and the client address.

Append-only three ways: the table has triggers refusing UPDATE and DELETE; every row carries an
HMAC (key in the state folder) over its own fields and the previous row's MAC, so an edited row
breaks the chain at that row and a deleted row breaks it at the next; and the newest row's id and
MAC are also written to `audit.head` beside the database, so dropping the last rows is caught
too. `verify()` checks all three (`aco audit verify`).

Action names: `login`, `logout`, `authorize` (refusals), `patient.<page>` for one beneficiary
(target = token), `list.<name>` for patient lists (target = list name, rows = count),
`export.<what>`, `worklist.<change>`, `admin.<change>`.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

from aco_pipeline.web.access.keys import secret_key
from aco_pipeline.web.access.principal import Principal
from aco_pipeline.web.access.store import connect

KEY_FILE = "audit.key"
HEAD_FILE = "audit.head"
PHI_ACTIONS = ("patient.%", "list.%", "export.%", "worklist.%")

_SCHEMA = [
    """create table if not exists audit (
        id integer primary key autoincrement,
        at text not null,
        user_id integer,
        username text,
        role text,
        action text not null,
        target text,
        rows integer,
        outcome text not null,
        client text,
        detail text,
        prev text not null,
        mac text not null
    )""",
    """create trigger if not exists audit_no_update before update on audit
       begin select raise(abort, 'the audit log is append-only'); end""",
    """create trigger if not exists audit_no_delete before delete on audit
       begin select raise(abort, 'the audit log is append-only'); end""",
    "create index if not exists audit_at on audit (at)",
]


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: str
    user_id: int | None
    username: str | None
    role: str | None
    action: str
    target: str | None
    rows: int | None
    outcome: str
    client: str | None
    detail: str | None


COLUMNS = [f.name for f in fields(AuditRow)]


@dataclass(frozen=True)
class Verification:
    ok: bool
    rows: int
    problem: str | None = None
    row_id: int | None = None


def _utc(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: object) -> str:
    return "" if value is None else str(value)


class AuditLog:
    def __init__(self, path: Path, state_dir: Path, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.head_path = path.with_name(HEAD_FILE)
        self.clock = clock
        self._key = secret_key(state_dir, KEY_FILE)
        with connect(self.path) as con:
            for statement in _SCHEMA:
                con.execute(statement)

    def _mac(self, prev: str, values: tuple) -> str:
        message = "\x1f".join([prev, *(_text(v) for v in values)]).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def record(self, *, principal: Principal | None, action: str, target: str | None = None,
               rows: int | None = None, outcome: str = "allowed", client: str | None = None,
               detail: str | None = None, username: str | None = None) -> int:
        """Append one row; its id. `username` names the account for rows without a principal
        (a failed login). `target` is a beneficiary token or a list name, never an MBI."""
        at = _utc(self.clock())
        who = (principal.user_id, principal.username, principal.role_label) if principal \
            else (None, username, None)
        with connect(self.path, immediate=True) as con:
            last = con.execute("select id, mac from audit order by id desc limit 1").fetchone()
            prev = last["mac"] if last else ""
            row_id = (last["id"] if last else 0) + 1
            values = (row_id, at, *who, action, target, rows, outcome, client, detail)
            mac = self._mac(prev, values)
            con.execute(f"insert into audit ({', '.join(COLUMNS)}, prev, mac) "
                        f"values ({', '.join('?' * (len(COLUMNS) + 2))})", (*values, prev, mac))
            self._write_head(row_id, mac)
        return row_id

    def _write_head(self, row_id: int, mac: str) -> None:
        tmp = self.head_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(f"{row_id} {mac}\n", encoding="ascii")
        os.replace(tmp, self.head_path)

    def verify(self) -> Verification:
        """Whether every row is as written and none is missing."""
        prev = ""
        expected_id = 1
        count = 0
        with connect(self.path) as con:
            for row in con.execute(f"select {', '.join(COLUMNS)}, prev, mac from audit "
                                   "order by id"):
                values = tuple(row[c] for c in COLUMNS)
                if row["id"] != expected_id:
                    return Verification(False, count, f"row {expected_id} is missing",
                                        expected_id)
                if row["prev"] != prev:
                    return Verification(False, count, f"row {row['id']} does not follow the "
                                        "row before it (a row was removed or changed)",
                                        row["id"])
                if not hmac.compare_digest(self._mac(prev, values), row["mac"]):
                    return Verification(False, count, f"row {row['id']} was changed",
                                        row["id"])
                prev = row["mac"]
                expected_id += 1
                count += 1
        head = self.head_path.read_text("ascii").split() if self.head_path.exists() else []
        if count == 0 and not head:
            return Verification(True, 0)
        if head != [str(count), prev]:
            return Verification(False, count, "the newest rows are missing (the log ends "
                                "before its recorded head)", count + 1)
        return Verification(True, count)

    # --- examining -------------------------------------------------------------------------

    def query(self, *, username: str | None = None, action: str | None = None,
              outcome: str | None = None, target: str | None = None, since: str | None = None,
              until: str | None = None, limit: int | None = 500, offset: int = 0
              ) -> list[AuditRow]:
        """Rows newest first. `action` matches a prefix (`patient.` finds every patient page);
        `since`/`until` are UTC ISO dates or times (until is exclusive)."""
        clauses, params = self._filters(username, action, outcome, target, since, until)
        sql = f"select {', '.join(COLUMNS)} from audit where {clauses} order by id desc"
        if limit is not None:
            sql += " limit ? offset ?"
            params += [limit, offset]
        with connect(self.path) as con:
            return [AuditRow(*tuple(r)) for r in con.execute(sql, params)]

    @staticmethod
    def _filters(username, action, outcome, target, since, until) -> tuple[str, list]:
        clauses, params = ["1 = 1"], []
        if username:
            clauses.append("username = ?")
            params.append(username.lower())
        if action:
            clauses.append("substr(action, 1, ?) = ?")
            params += [len(action), action]
        if outcome:
            clauses.append("outcome = ?")
            params.append(outcome)
        if target:
            clauses.append("target = ?")
            params.append(target)
        if since:
            clauses.append("at >= ?")
            params.append(since)
        if until:
            clauses.append("at < ?")
            params.append(until)
        return " and ".join(clauses), params

    def count(self) -> int:
        with connect(self.path) as con:
            return con.execute("select count(*) from audit").fetchone()[0]

    def patients_viewed(self, *, since: str | None = None, until: str | None = None
                        ) -> list[dict]:
        """Who looked at which beneficiary (by token), how often, first and last time."""
        clauses, params = self._filters(None, None, "allowed", None, since, until)
        sql = ("select username, role, target, count(*) as views, min(at) as first, "
               "max(at) as last from audit where action like 'patient.%' and target is not null "
               f"and {clauses} group by username, role, target order by username, last desc")
        with connect(self.path) as con:
            return [dict(r) for r in con.execute(sql, params)]

    def failures(self, *, since: str | None = None, until: str | None = None
                 ) -> list[AuditRow]:
        """Failed logins, lockouts and refused authorizations, newest first."""
        clauses, params = self._filters(None, None, None, None, since, until)
        sql = (f"select {', '.join(COLUMNS)} from audit where outcome <> 'allowed' "
               f"and {clauses} order by id desc")
        with connect(self.path) as con:
            return [AuditRow(*tuple(r)) for r in con.execute(sql, params)]

    def unusual_volume(self, *, events: int = 200, rows: int = 10_000,
                       since: str | None = None, until: str | None = None) -> list[dict]:
        """(user, UTC day) pairs whose patient-level activity exceeds `events` audited
        accesses or `rows` patient rows in the day: the review starts there."""
        clauses, params = self._filters(None, None, "allowed", None, since, until)
        phi = " or ".join("action like ?" for _ in PHI_ACTIONS)
        sql = ("select username, role, substr(at, 1, 10) as day, count(*) as events, "
               "coalesce(sum(rows), 0) as rows from audit "
               f"where ({phi}) and {clauses} group by username, role, day "
               "having count(*) > ? or coalesce(sum(rows), 0) > ? order by day desc, events desc")
        with connect(self.path) as con:
            return [dict(r) for r in con.execute(sql, [*PHI_ACTIONS, *params, events, rows])]


def _cell(value: object) -> object:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(rows: Iterable[AuditRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(v) for v in astuple(row)])
    return out.getvalue()
