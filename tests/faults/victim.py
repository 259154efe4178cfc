"""Runs the `aco` CLI with fault points counted, and a fault injected at one of them.

Test code only: the package has no fault hooks. This driver wraps, in its own process, the
primitives through which the pipeline changes stored state (renames and replaces, fsyncs, file
copies and deletions, Parquet writes, ledger statements, S3 requests) and the steps of a
build (each dbt node finishing, each canonical metric module, the build state, the
checkpoint, the docs), then runs `aco` with the remaining arguments.

Environment (read once, at start):
- `ACO_FAULT_RECORD=path`: append one line per fault point reached (its label) to `path`.
- `ACO_FAULT_AT=k`: at the k-th point (1-based), inject the fault instead of going on.
- `ACO_FAULT_KIND=kill|enospc`: `kill` (default) sends this process SIGKILL: no handler, no
  `finally`, no buffered write survives, exactly as `kill -9` or the OOM killer. `enospc`
  raises `OSError(ENOSPC)` from the primitive, as a full disk does.

    python -m tests.faults.victim ingest --workspace WS INBOX...
"""

from __future__ import annotations

import errno
import functools
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable
from typing import Any

RECORD_ENV, AT_ENV, KIND_ENV = "ACO_FAULT_RECORD", "ACO_FAULT_AT", "ACO_FAULT_KIND"


class _Points:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()
        record = os.environ.get(RECORD_ENV)
        self.record = os.open(record, os.O_WRONLY | os.O_APPEND | os.O_CREAT) if record else None
        self.at = int(os.environ.get(AT_ENV, "0"))
        self.kind = os.environ.get(KIND_ENV, "kill")

    def hit(self, label: str) -> None:
        with self.lock:
            self.count += 1
            n = self.count
            if self.record is not None:
                os.write(self.record, f"{label}\n".encode())
        if n == self.at:
            if self.kind == "enospc":
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), f"(injected at {label})")
            os.kill(os.getpid(), signal.SIGKILL)


POINTS = _Points()


def _wrap(owner: Any, name: str, label: str) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        POINTS.hit(label)
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)


def _wrap_async(owner: Any, name: str, label: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        POINTS.hit(label)
        return await original(*args, **kwargs)

    setattr(owner, name, wrapper)


class _LedgerConnection(sqlite3.Connection):
    """The ingest ledger's connection: every statement that changes it is a fault point."""

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> sqlite3.Cursor:  # type: ignore[override]
        head = sql.lstrip()[:6].lower()
        if head in ("commit", "insert", "update", "delete", "replac"):
            POINTS.hit(f"ledger:{head}")
        return super().execute(sql, *args, **kwargs)


def _install(build_points: bool) -> None:
    import shutil

    import pyarrow.parquet as pq

    for name in ("replace", "rename", "fsync", "unlink"):
        _wrap(os, name, f"os:{name}")
    for name in ("copyfile", "copyfileobj", "rmtree"):
        _wrap(shutil, name, f"shutil:{name}")
    _wrap(pq, "write_table", "parquet:write_table")
    _wrap(pq.ParquetWriter, "write_table", "parquet:write_chunk")
    _wrap(pq.ParquetWriter, "close", "parquet:close")

    connect = sqlite3.connect

    @functools.wraps(connect)
    def ledger_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        kwargs.setdefault("factory", _LedgerConnection)
        return connect(*args, **kwargs)

    sqlite3.connect = ledger_connect  # type: ignore[assignment]

    try:
        import s3fs
    except ImportError:  # pragma: no cover - the remote tests need it
        pass
    else:
        for name in ("_put_file", "_pipe_file", "_rm_file", "_rm"):
            _wrap_async(s3fs.S3FileSystem, name, f"s3:{name.strip('_')}")

    if build_points:
        _install_build()


def _install_build() -> None:
    import importlib

    from aco_pipeline.metrics import canonical
    from aco_pipeline.warehouse import build

    for name in ("write_state", "_checkpoint", "_generate_docs", "write_canonical"):
        _wrap(build, name, f"build:{name.strip('_')}")
    for module_name in canonical.METRICS:
        module = importlib.import_module(module_name)
        _wrap(module, "canonical", f"metric:{module_name.rsplit('.', 1)[-1]}")

    from dbt.cli import main as dbt_main

    runner_init = dbt_main.dbtRunner.__init__

    @functools.wraps(runner_init)
    def init(self: Any, *args: Any, callbacks: list[Any] | None = None, **kwargs: Any) -> None:
        def on_event(event: Any) -> None:
            if event.info.name == "NodeFinished":
                POINTS.hit("dbt:node")

        runner_init(self, *args, callbacks=[*(callbacks or []), on_event], **kwargs)

    dbt_main.dbtRunner.__init__ = init  # type: ignore[method-assign]


def main() -> None:
    _install(build_points=sys.argv[1:2] in (["build"], ["run"]))
    from aco_pipeline.cli import main as aco_main

    sys.argv = ["aco", *sys.argv[1:]]
    aco_main()


if __name__ == "__main__":
    main()
