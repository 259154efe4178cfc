"""Concurrent requests share the web app's SQLite file: a read-then-write (a session's touch,
which rewrites its last-seen time) must wait for another writer, not fail with "database is
locked" (seen as 500s under 20 concurrent users in benchmarks/bench_web.py)."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

from aco_pipeline.web.access.sessions import TOUCH_SECONDS, SessionStore


def test_concurrent_touches_and_logins_never_fail(tmp_path: Path) -> None:
    ticks = itertools.count()
    lock = threading.Lock()

    def clock() -> float:  # every call is a new touch interval, so every touch writes
        with lock:
            return 1_000_000.0 + next(ticks) * (TOUCH_SECONDS + 1) / 1000

    store = SessionStore(tmp_path / "web.sqlite", idle=10**9, absolute=10**9, clock=clock)
    sessions = [store.create(user_id=u) for u in range(1, 9)]
    errors: list[BaseException] = []
    seen: list[int] = []

    def worker(n: int) -> None:
        try:
            for i in range(400):
                s = sessions[(n + i) % len(sessions)]
                live = store.touch(s.id)
                assert live is not None
                seen.append(live.user_id)
                if i % 15 == 0:  # logins write while others touch
                    store.create(user_id=100 + n)
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert len(seen) == 16 * 400
