"""The ingest ledger: what arrived, what was checked, what was published (SQLite).

The ledger is bookkeeping, not the data: a published delivery carries its own manifest
inside its lake folder (written and renamed with the data), and `reconcile` repairs the
ledger from those manifests after a crash between publishing and recording.

`raw_files` holds the copy of each name now in raw/; `refused_files` the copies of a
quarantined delivery that a new copy of the same name superseded (their bytes are kept in
the quarantine, see ingest.supersede).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """
create table if not exists raw_files (
    name text primary key,
    delivery_id text not null,
    kind text not null,
    file_type text,
    performance_year integer,
    created text,
    size integer not null,
    sha256 text not null,
    raw_path text not null,
    received_at text not null
);
create table if not exists deliveries (
    delivery_id text primary key,
    kind text not null,
    run text,
    performance_year integer,
    created text,
    status text not null,          -- published | quarantined | incomplete
    content_key text not null,     -- sha256 over the sorted (name, sha256) of its raw files
    detail text,                   -- error or missing files, no PHI
    checks text not null,          -- JSON list of {file, check, passed, detail}
    files text not null,           -- JSON list of per-file manifest rows
    updated_at text not null
);
create table if not exists refused_files (
    delivery_id text not null,
    name text not null,
    sha256 text not null,
    size integer not null,
    reason text not null,          -- why its delivery was quarantined with these bytes, no PHI
    received_at text not null,
    refused_at text not null,      -- when a new copy of the same name superseded it
    kept_at text not null,         -- where the refused bytes are kept (quarantine/refused/...)
    superseded_by text,            -- sha256 of the copy that replaced it in raw/
    primary key (delivery_id, name, sha256)
);
create table if not exists events (
    at text not null,
    delivery_id text,
    outcome text not null,
    message text not null
);
"""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    delivery_id: str
    kind: str
    run: str | None
    performance_year: int | None
    created: str | None
    status: str
    content_key: str
    detail: str | None
    checks: list[dict[str, object]]
    files: list[dict[str, object]]
    updated_at: str


class Ledger:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, timeout=60)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=full")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("begin immediate")
        try:
            yield self._db
        except BaseException:
            self._db.execute("rollback")
            raise
        self._db.execute("commit")

    # raw files ---------------------------------------------------------------
    def record_raw(self, row: dict[str, object]) -> None:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self.transaction() as db:
            db.execute(f"insert or ignore into raw_files ({cols}) values ({marks})",
                       tuple(row.values()))

    def raw_file(self, name: str) -> dict[str, object] | None:
        cur = self._db.execute("select * from raw_files where name = ?", (name,))
        r = cur.fetchone()
        return dict(zip([c[0] for c in cur.description], r, strict=True)) if r else None

    def raw_files(self) -> list[dict[str, object]]:
        cur = self._db.execute("select * from raw_files order by delivery_id, name")
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def replace_raw(self, row: dict[str, object]) -> None:
        """Record the copy now in raw/ under `row["name"]`, replacing the row of a copy that
        was refused (only ingest.supersede calls this; the refused row is kept elsewhere)."""
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self.transaction() as db:
            db.execute(f"insert or replace into raw_files ({cols}) values ({marks})",
                       tuple(row.values()))

    def first_received(self, delivery_id: str) -> str | None:
        """When the first raw file of a delivery still in raw/ was received (ISO, UTC)."""
        r = self._db.execute("select min(received_at) from raw_files where delivery_id = ?",
                             (delivery_id,)).fetchone()
        return str(r[0]) if r and r[0] is not None else None

    # refused copies ------------------------------------------------------------
    def record_refused(self, row: dict[str, object]) -> None:
        """A refused copy (delivery_id, name, sha256, size, reason, received_at, refused_at,
        kept_at, superseded_by); recording the same copy again keeps the first row."""
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self.transaction() as db:
            db.execute(f"insert or ignore into refused_files ({cols}) values ({marks})",
                       tuple(row.values()))

    def refused_files(self, delivery_id: str | None = None) -> list[dict[str, object]]:
        """Refused copies, oldest first (of one delivery, or all)."""
        where, args = ("where delivery_id = ?", (delivery_id,)) if delivery_id else ("", ())
        cur = self._db.execute(
            f"select * from refused_files {where} order by delivery_id, refused_at, name", args)
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    # deliveries --------------------------------------------------------------
    def put_delivery(self, row: DeliveryRow, outcome: str, message: str) -> None:
        with self.transaction() as db:
            db.execute(
                "insert or replace into deliveries values (?,?,?,?,?,?,?,?,?,?,?)",
                (row.delivery_id, row.kind, row.run, row.performance_year, row.created,
                 row.status, row.content_key, row.detail, json.dumps(row.checks),
                 json.dumps(row.files), row.updated_at),
            )
            db.execute("insert into events values (?,?,?,?)",
                       (now(), row.delivery_id, outcome, message))

    def event(self, delivery_id: str | None, outcome: str, message: str) -> None:
        with self.transaction() as db:
            db.execute("insert into events values (?,?,?,?)",
                       (now(), delivery_id, outcome, message))

    def delivery(self, delivery_id: str) -> DeliveryRow | None:
        rows = self._deliveries("where delivery_id = ?", (delivery_id,))
        return rows[0] if rows else None

    def deliveries(self) -> list[DeliveryRow]:
        return self._deliveries("order by created, delivery_id", ())

    def _deliveries(self, where: str, args: tuple[object, ...]) -> list[DeliveryRow]:
        cur = self._db.execute(f"select * from deliveries {where}", args)
        out = []
        for r in cur.fetchall():
            d = dict(zip([c[0] for c in cur.description], r, strict=True))
            d["checks"] = json.loads(d["checks"])
            d["files"] = json.loads(d["files"])
            out.append(DeliveryRow(**d))
        return out

    def events(self, limit: int = 50) -> list[tuple[str, str | None, str, str]]:
        cur = self._db.execute(
            "select at, delivery_id, outcome, message from events order by rowid desc limit ?",
            (limit,),
        )
        return list(cur.fetchall())
