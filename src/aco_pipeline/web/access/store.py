"""The web app's small database: one SQLite file in the workspace state folder.

Users, sessions, login failures and worklist-independent access state live in
`<workspace>/.aco/web.sqlite`; the audit log has its own file (`audit.sqlite`) so that its
append-only triggers and its chain are not mixed with tables that change. A connection is opened
per operation (the app serves requests from a thread pool), in WAL mode with a busy timeout, so
concurrent requests wait for each other instead of failing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WEB_DB = "web.sqlite"
AUDIT_DB = "audit.sqlite"


@contextmanager
def connect(path: Path, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """A connection in one transaction: committed on success, rolled back on error, closed.

    The transaction takes the write lock at once (`begin immediate`) unless `immediate=False`
    says it only reads. A deferred transaction that reads and then writes cannot wait for
    another writer: SQLite refuses its upgrade at once with "database is locked" (its snapshot
    may be stale), which concurrent requests hit (a session's read-then-touch); an immediate
    one queues behind the busy timeout instead."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        con.row_factory = sqlite3.Row
        con.execute("pragma journal_mode=wal")
        con.execute("pragma foreign_keys=on")
        con.execute("begin immediate" if immediate else "begin")
        try:
            yield con
        except BaseException:
            con.execute("rollback")
            raise
        con.execute("commit")
    finally:
        con.close()
