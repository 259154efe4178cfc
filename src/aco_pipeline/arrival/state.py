"""What arrival has already seen, so no file is fetched or ingested twice (SQLite).

`seen` holds one row per file per source: its size and version when it was handled and what
became of it. A row makes a later listing skip that file while it keeps the same size and
version; a changed file is looked at again. Together with the ingest ledger (same name, size
and sha256 as a raw file already landed) this makes pulls and watches safe to repeat and to
restart. `flags` holds small run bookkeeping (a warehouse build owed after a failed build).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aco_pipeline.config import Workspace
from aco_pipeline.ingest.ledger import now
from aco_pipeline.ingest.pipeline import ledger_path

SCHEMA = """
create table if not exists seen (
    source text not null,          -- redacted source URL, or the watched folder
    path text not null,
    name text not null,
    size integer not null,
    version text not null,
    sha256 text,
    outcome text not null,         -- published | unchanged | incomplete | quarantined | ...
    delivery_id text,
    at text not null,
    primary key (source, path)
);
create table if not exists flags (
    name text primary key,
    value text not null
);
"""


@dataclass(frozen=True, slots=True)
class RawSeen:
    size: int
    sha256: str
    quarantined: bool = False
    """Its delivery is quarantined: a new copy of the same size may be the intact one that
    supersedes it (ingest.supersede), so the size alone does not make it known."""


class ArrivalState:
    def __init__(self, ws: Workspace) -> None:
        ws.state_dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(ws.state_dir / "arrival.sqlite", isolation_level=None,
                                   timeout=60)
        self._db.execute("pragma journal_mode=wal")
        self._db.executescript(SCHEMA)
        self._ledger_path = ledger_path(ws)

    def close(self) -> None:
        self._db.close()

    def seen(self, source: str, path: str, size: int, version: str) -> str | None:
        """The outcome recorded for this exact file (same size and version), if any."""
        r = self._db.execute(
            "select outcome from seen where source = ? and path = ? and size = ? "
            "and version = ?", (source, path, size, version)).fetchone()
        return str(r[0]) if r else None

    def record(self, source: str, path: str, name: str, size: int, version: str,
               sha256: str | None, outcome: str, delivery_id: str | None) -> None:
        self._db.execute(
            "insert or replace into seen values (?,?,?,?,?,?,?,?,?)",
            (source, path, name, size, version, sha256, outcome, delivery_id, now()))

    def ingested(self, name: str) -> RawSeen | None:
        """The raw file of this name already landed by ingest (read from its ledger)."""
        if not self._ledger_path.exists():
            return None
        db = sqlite3.connect(f"file:{self._ledger_path}?mode=ro", uri=True, timeout=60)
        try:
            r = db.execute(
                "select r.size, r.sha256, d.status = 'quarantined' from raw_files r "
                "left join deliveries d on d.delivery_id = r.delivery_id where r.name = ?",
                (name,)).fetchone()
        except sqlite3.OperationalError:  # ledger created but its schema not yet written
            return None
        finally:
            db.close()
        return RawSeen(int(r[0]), str(r[1]), bool(r[2])) if r else None

    def flag(self, name: str) -> str | None:
        r = self._db.execute("select value from flags where name = ?", (name,)).fetchone()
        return str(r[0]) if r else None

    def set_flag(self, name: str, value: str | None) -> None:
        if value is None:
            self._db.execute("delete from flags where name = ?", (name,))
        else:
            self._db.execute("insert or replace into flags values (?, ?)", (name, value))


@contextmanager
def try_lock(ws: Workspace, name: str, wait_seconds: float,
             poll: float = 0.05) -> Iterator[bool]:
    """Hold `<state>/<name>.lock`, waiting up to `wait_seconds`; yields False if it stayed busy."""
    ws.state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(ws.state_dir / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(wait_seconds, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(min(poll, max(deadline - time.monotonic(), 0.001)))
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
