"""Build the warehouse: run the packaged dbt project on the lake, publish atomically.

`build_warehouse(ws)` writes a profiles.yml for this run into a temporary folder (DuckDB file
next to the workspace's warehouse path), runs `dbt build` (seeds, models, unit and data tests)
through dbt's programmatic runner, and only when every node passed renames the new file onto
`Workspace.warehouse_path` (`os.replace`, atomic on POSIX). Readers of the previous file keep
their open handle; a failed build deletes its new file and leaves the previous warehouse as it
was. One build per workspace at a time (a lock in the workspace's state folder).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from aco_pipeline.config import Workspace
from aco_pipeline.fsutil import fsync_dir
from aco_pipeline.lake.publish import parsed_root
from aco_pipeline.layouts import LINEAGE_FIELDS, lake_schema

# lake folder name -> Arrow schema of an empty stand-in when no delivery has that file type
LAKE_SOURCES: tuple[str, ...] = (
    "cclf1", "cclf2", "cclf3", "cclf4", "cclf5", "cclf6", "cclf7", "cclf8", "cclf9",
    "alr_1_1", "bnex",
)

ENROLL_FLAGS = tuple(f"enrollflag{i}" for i in range(1, 13))


class BuildError(RuntimeError):
    """The warehouse could not be built; the previous warehouse file is untouched."""


class BuildProgress(Protocol):
    """Receives dbt's progress: `node(name, kind, index, total)` when a node starts,
    `done(name, kind, status)` when it finishes."""

    def node(self, name: str, kind: str, index: int, total: int) -> None: ...

    def done(self, name: str, kind: str, status: str) -> None: ...


@dataclass(frozen=True, slots=True)
class NodeFailure:
    unique_id: str
    kind: str  # model | test | unit_test | seed
    status: str  # error | fail
    message: str


@dataclass(slots=True)
class BuildResult:
    success: bool
    warehouse_path: Path
    seconds: float
    nodes: int = 0
    failures: list[NodeFailure] = field(default_factory=list)
    published: bool = False


def project_dir() -> Path:
    """The packaged dbt project (a real folder: the package is installed from files)."""
    return Path(str(resources.files("aco_pipeline.warehouse").joinpath("dbt")))


def _empty_schema(source: str) -> pa.Schema:
    """Schema of an empty stand-in for a source with no delivery yet."""
    if source.startswith("cclf"):
        return lake_schema(source.upper())
    if source == "bnex":
        from aco_pipeline.ingest.bnex import SCHEMA

        return SCHEMA
    # ALR table 1-1: only the columns stg_alr_1_1 reads
    cols = [("bene_mbi_id", pa.string()), ("bene_death_dt", pa.date32())]
    cols += [(c, pa.int32()) for c in ENROLL_FLAGS]
    return pa.schema([*cols, *LINEAGE_FIELDS])


def lake_globs(lake_dir: Path, stand_in_dir: Path) -> dict[str, list[str]]:
    """Per source, the Parquet globs dbt reads: the lake's, or an empty stand-in.

    DuckDB refuses a glob that matches nothing, so a file type with no delivery yet reads an
    empty file with the lake schema, kept under `stand_in_dir` in the hive layout. It must
    outlive the build: staging models are views, and the published warehouse reads through
    them.
    """
    root = parsed_root(lake_dir)
    out: dict[str, list[str]] = {}
    for src in LAKE_SOURCES:
        if root.is_dir() and any(root.glob(f"delivery=*/{src}/*.parquet")):
            out[src] = [str(root / "*" / src / "*.parquet")]
            continue
        target = stand_in_dir / "delivery=none" / src / "part-0.parquet"
        schema = _empty_schema(src)
        if not target.is_file() or not pq.read_schema(target).equals(schema):
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{uuid.uuid4().hex}.tmp")
            pq.write_table(schema.empty_table(), tmp)
            os.replace(tmp, target)
        out[src] = [str(stand_in_dir / "*" / src / "*.parquet")]
    return out


def _profiles_yml(db_path: Path, threads: int, memory_limit: str) -> str:
    # bounded memory: beyond memory_limit DuckDB spills to <db>.tmp beside the new file (so
    # inside the build folder, removed afterwards); insertion order is not needed by any
    # model and keeping it costs memory on large sorts and window functions
    settings = {"memory_limit": memory_limit, "preserve_insertion_order": False}
    profile = {
        "aco_warehouse": {
            "target": "build",
            "outputs": {
                "build": {"type": "duckdb", "path": str(db_path), "threads": threads,
                          "settings": settings},
            },
        }
    }
    return json.dumps(profile, indent=1)  # JSON is YAML


@contextmanager
def _build_lock(ws: Workspace) -> Iterator[None]:
    ws.state_dir.mkdir(parents=True, exist_ok=True)
    with (ws.state_dir / "build.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _event_handler(progress: BuildProgress | None) -> Callable[[Any], None]:
    def on_event(event: Any) -> None:
        if progress is None:
            return
        name = event.info.name
        if name not in ("LogStartLine", "LogTestResult", "LogModelResult", "LogSeedResult",
                        "NodeStart", "NodeFinished"):
            return
        data = event.data
        info = getattr(data, "node_info", None)
        node = getattr(info, "node_name", "") if info is not None else ""
        kind = (getattr(info, "resource_type", "") if info is not None else "") or "node"
        if name == "NodeStart":
            return
        if name == "LogStartLine":
            progress.node(node, kind, int(data.index), int(data.total))
        elif name == "NodeFinished":
            status = getattr(info, "node_status", "") if info is not None else ""
            progress.done(node, kind, str(status))

    return on_event


def _failures(result: Any) -> list[NodeFailure]:
    out: list[NodeFailure] = []
    for r in getattr(result, "results", None) or []:
        status = str(getattr(r, "status", ""))
        if status in ("error", "fail", "runtime error"):
            node = r.node
            out.append(NodeFailure(
                unique_id=str(node.unique_id),
                kind=str(node.resource_type),
                status=status,
                message=_scrub(str(getattr(r, "message", "") or "")),
            ))
    return out


def _scrub(message: str) -> str:
    """Keep what names the problem (node, counts, SQL error kind), drop quoted literals that
    could carry a value from the data (PHI never goes to logs or errors)."""
    text = re.sub(r"'[^']*'", "'…'", " ".join(message.split()))
    return text[:500]


def build_warehouse(ws: Workspace, progress: BuildProgress | None = None, *,
                    threads: int = 2, extra_vars: dict[str, object] | None = None) -> BuildResult:
    """Run `dbt build` into a new DuckDB file and publish it only if every node passed."""
    from dbt.cli.main import dbtRunner

    started = time.monotonic()
    target = ws.warehouse_path
    target.parent.mkdir(parents=True, exist_ok=True)
    # a private folder beside the target, same file name: the DuckDB catalog name (which
    # dbt writes into view definitions) stays the target's, and the rename stays on one device
    build_dir = target.parent / f".build-{uuid.uuid4().hex}"
    new_db = build_dir / target.name
    with _build_lock(ws), tempfile.TemporaryDirectory(prefix="aco-build-") as tmp:
        for stale in target.parent.glob(".build-*"):  # left by a killed build
            shutil.rmtree(stale, ignore_errors=True)
        build_dir.mkdir()
        scratch = Path(tmp)
        (scratch / "profiles.yml").write_text(
            _profiles_yml(new_db, threads, ws.memory_limit),
            encoding="utf-8")
        dbt_vars: dict[str, object] = {
            "lake_globs": lake_globs(ws.lake_dir, ws.state_dir / "warehouse" / "empty_sources"),
        }
        dbt_vars.update(extra_vars or {})
        args = [
            "build",
            "--project-dir", str(project_dir()),
            "--profiles-dir", str(scratch),
            "--target-path", str(scratch / "target"),
            "--log-path", str(scratch / "logs"),
            "--vars", json.dumps(dbt_vars),
            "--no-partial-parse",
            "--no-use-colors",
            "--log-level", "none",
            "--log-level-file", "none",
        ]
        env_before = os.environ.get("DBT_SEND_ANONYMOUS_USAGE_STATS")
        os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
        try:
            res = dbtRunner(callbacks=[_event_handler(progress)]).invoke(args)
        finally:
            if env_before is None:
                os.environ.pop("DBT_SEND_ANONYMOUS_USAGE_STATS", None)
            else:
                os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = env_before
        failures = _failures(res.result)
        nodes = len(getattr(res.result, "results", None) or [])
        ok = bool(res.success) and not failures
        if not ok and not failures:
            detail = _scrub(str(res.exception)) if res.exception else "dbt build failed"
            failures = [NodeFailure("dbt", "invocation", "error", detail)]
        try:
            if ok:
                _checkpoint(new_db)
                os.replace(new_db, target)
                fsync_dir(target.parent)
        finally:
            shutil.rmtree(build_dir, ignore_errors=True)
    return BuildResult(success=ok, warehouse_path=target, seconds=time.monotonic() - started,
                       nodes=nodes, failures=failures, published=ok)


def _checkpoint(db: Path) -> None:
    """Fold any write-ahead log into the file so the renamed file is complete on its own."""
    import duckdb

    con = duckdb.connect(str(db))
    try:
        con.execute("checkpoint")
    finally:
        con.close()
    if db.with_name(db.name + ".wal").exists():  # pragma: no cover - duckdb contract
        raise BuildError("the new warehouse still has a write-ahead log after checkpoint")

