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
from aco_pipeline.errors import AcoError
from aco_pipeline.fsutil import fsync_dir
from aco_pipeline.lake.publish import parsed_root, remote_lake
from aco_pipeline.lake.storage import Storage, duckdb_filesystems
from aco_pipeline.lake.verify import check_lake_for_build
from aco_pipeline.layouts import LINEAGE_FIELDS, lake_schema
from aco_pipeline.warehouse.build_state import (
    CLAIM_SOURCES,
    BuildState,
    added_deliveries,
    changed_sources,
    lake_deliveries,
    project_fingerprint,
    read_state,
    selectors,
    write_state,
)
from aco_pipeline.warehouse.report_sources import REPORT_SOURCES, report_schema

# lake folder name -> Arrow schema of an empty stand-in when no delivery has that file type
LAKE_SOURCES: tuple[str, ...] = (
    "cclf1", "cclf2", "cclf3", "cclf4", "cclf5", "cclf6", "cclf7", "cclf8", "cclf9",
    "cclfa", "cclfb", "alr_1_1", "alr_1_2", "alr_1_4", "bnex",
    *REPORT_SOURCES,  # CMS's own reports: cell grain and text tables (report_sources)
)

ENROLL_FLAGS = tuple(f"enrollflag{i}" for i in range(1, 13))


class BuildError(AcoError, RuntimeError):
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
    mode: str = "full"
    """full | incremental (models downstream of `changed` rebuilt) | metrics (same data, other
    metric parameters in aco.toml: only the canonical metric tables recomputed) | up-to-date
    (nothing to do: no new delivery, no model or parameter change since the published
    build)."""
    changed: tuple[str, ...] = ()
    claims_redone: int | None = None
    """Incremental build after new claim or crosswalk files: how many claims the claim
    models re-derived (int_claim_changes); None otherwise."""
    metric_tables: tuple[str, ...] = ()
    """The canonical metric tables written into the published warehouse (metrics.canonical)."""
    metric_seconds: float = 0.0
    """How long computing and writing them took (part of `seconds`)."""


def project_dir() -> Path:
    """The packaged dbt project (a real folder: the package is installed from files)."""
    return Path(str(resources.files("aco_pipeline.warehouse").joinpath("dbt")))


def _empty_schema(source: str) -> pa.Schema:
    """Schema of an empty stand-in for a source with no delivery yet."""
    if source.startswith("cclf"):
        return lake_schema(source.upper())
    if source in REPORT_SOURCES:
        return report_schema(source)
    if source == "bnex":
        from aco_pipeline.ingest.bnex import SCHEMA

        return SCHEMA
    if source in ("alr_1_2", "alr_1_4"):
        # every column of the table as ingest.alr parses it (alr_columns.csv)
        from aco_pipeline.ingest.alr import _arrow_type, known_columns

        table = source.removeprefix("alr_").replace("_", "-")
        names = [(c.pattern.pattern.removeprefix("^(?:").removesuffix(")$"), c.kind)
                 for c in known_columns() if c.table == table]
        cols = [(name.lower(), _arrow_type(kind)) for name, kind in names]
        return pa.schema([*cols, *LINEAGE_FIELDS])
    # ALR table 1-1: only the columns stg_alr_1_1 reads
    cols = [("bene_mbi_id", pa.string()), ("bene_death_dt", pa.date32())]
    cols += [(c, pa.int32()) for c in ENROLL_FLAGS]
    return pa.schema([*cols, *LINEAGE_FIELDS])


def lake_globs(lake_dir: Path | Storage, stand_in_dir: Path) -> dict[str, list[str]]:
    """Per source, the Parquet globs dbt reads: the lake's, or an empty stand-in.

    DuckDB refuses a glob that matches nothing, so a file type with no delivery yet reads an
    empty file with the lake schema, kept under `stand_in_dir` in the hive layout. It must
    outlive the build: staging models are views, and the published warehouse reads through
    them.

    A remote lake (a `Storage` with a URL) is read by the URLs of the parts of its committed
    deliveries (manifest present, every listed part there with its size; lake.publish), never
    by a glob, so the parts of an interrupted publish are never read.
    """
    remote = None
    if isinstance(lake_dir, Storage):
        if lake_dir.is_local:
            lake_dir = lake_dir.local_path
        else:
            remote = lake_dir
    listing = remote_lake(remote) if remote is not None else None
    out: dict[str, list[str]] = {}
    for src in LAKE_SOURCES:
        if remote is not None and listing is not None:
            urls = listing.part_urls(remote, src)
            if urls:
                out[src] = urls
                continue
        elif isinstance(lake_dir, Path):
            root = parsed_root(lake_dir)
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


def _profiles_yml(db_path: Path, threads: int, memory_limit: str,
                  lake: Storage | None = None) -> str:
    # bounded memory: beyond memory_limit DuckDB spills to <db>.tmp beside the new file (so
    # inside the build folder, removed afterwards); insertion order is not needed by any
    # model and keeping it costs memory on large sorts and window functions
    settings = {"memory_limit": memory_limit, "preserve_insertion_order": False}
    output: dict[str, Any] = {"type": "duckdb", "path": str(db_path), "threads": threads,
                              "settings": settings}
    # a remote lake: DuckDB reads its URLs through the fsspec file system (s3fs...)
    # registered on the connection; its options carry no credentials (lake.storage), the
    # library reads those from the environment
    filesystems = duckdb_filesystems(lake) if lake is not None else []
    if filesystems:
        output["filesystems"] = filesystems
    profile = {"aco_warehouse": {"target": "build", "outputs": {"build": output}}}
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
                    threads: int = 2, extra_vars: dict[str, object] | None = None,
                    docs: bool = True, full_refresh: bool = False) -> BuildResult:
    """Run `dbt build` into a new DuckDB file and publish it only if every node passed.

    Incremental (build_state): when the published warehouse was built by the same project
    from a subset of today's deliveries, only the models downstream of the sources with new
    deliveries are rebuilt, in a copy of it, and the claim models among them redo only the
    claims the new deliveries can change; with no new delivery nothing is rebuilt.
    `full_refresh` always builds everything. A workspace whose engine is `spark` builds with
    dbt-spark instead (`_build_spark`, always a full build)."""
    check_lake_for_build(ws)  # a lake that fails verification is not read (docs/verify.md)
    if ws.engine == "spark":
        return _build_spark(ws, progress, threads=threads, extra_vars=extra_vars)
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
            _profiles_yml(new_db, threads, ws.memory_limit, ws.lake),
            encoding="utf-8")
        dbt_vars: dict[str, object] = {
            "lake_globs": lake_globs(ws.lake, ws.state_dir / "warehouse" / "empty_sources"),
        }
        dbt_vars.update(extra_vars or {})
        state = BuildState(project=project_fingerprint(project_dir(), dbt_vars),
                           sources=lake_deliveries(ws.lake, LAKE_SOURCES))
        previous = None if full_refresh else read_state(target)
        changed: tuple[str, ...] = ()
        if previous is not None and previous.project == state.project:
            changed = tuple(changed_sources(previous, state))
            if not changed:
                if not canonical_stale(target, ws):
                    shutil.rmtree(build_dir, ignore_errors=True)
                    return BuildResult(success=True, warehouse_path=target,
                                       seconds=time.monotonic() - started, mode="up-to-date")
                # same data, other metric parameters (aco.toml): recompute the canonical
                # metric tables in a copy and publish it the same way
                try:
                    shutil.copyfile(target, new_db)
                    metric_started = time.monotonic()
                    tables = write_canonical(new_db, ws)
                    metric_seconds = time.monotonic() - metric_started
                    _checkpoint(new_db)
                    os.replace(new_db, target)
                    fsync_dir(target.parent)
                finally:
                    shutil.rmtree(build_dir, ignore_errors=True)
                return BuildResult(success=True, warehouse_path=target,
                                   seconds=time.monotonic() - started, published=True,
                                   mode="metrics", metric_tables=tuple(tables),
                                   metric_seconds=metric_seconds)
            added = added_deliveries(previous, state)
            if added is None:
                changed = ()  # a delivery the published build read is gone: start afresh
            else:
                shutil.copyfile(target, new_db)
                if CLAIM_SOURCES.intersection(added):
                    # the claim models redo only the claims these can change; data tests of
                    # the staging models check only these deliveries (macros/
                    # incremental_tests.sql)
                    dbt_vars["claim_changes_deliveries"] = {k: list(v) for k, v in added.items()}
        ok, nodes, failures = _run_dbt(scratch, dbt_vars, progress,
                                       select=selectors(changed) if changed else None)
        claims_redone = None
        metric_tables: list[str] = []
        metric_seconds = 0.0
        try:
            if ok:
                if "claim_changes_deliveries" in dbt_vars:
                    claims_redone = _count_rows(new_db, "int_claim_changes")
                metric_started = time.monotonic()
                metric_tables = write_canonical(new_db, ws)
                metric_seconds = time.monotonic() - metric_started
                if docs:
                    _generate_docs(scratch, dbt_vars, docs_dir(ws))
                write_state(new_db, state)
                _checkpoint(new_db)
                os.replace(new_db, target)
                fsync_dir(target.parent)
        finally:
            shutil.rmtree(build_dir, ignore_errors=True)
    return BuildResult(success=ok, warehouse_path=target, seconds=time.monotonic() - started,
                       nodes=nodes, failures=failures, published=ok,
                       mode="incremental" if changed else "full", changed=changed,
                       claims_redone=claims_redone, metric_tables=tuple(metric_tables),
                       metric_seconds=metric_seconds)


def canonical_stale(db: Path, ws: Workspace) -> bool:
    """The published canonical metric tables were computed with other metric parameters."""
    from aco_pipeline.metrics.canonical import config_fingerprint, stored_fingerprint

    return stored_fingerprint(db) != config_fingerprint(ws)


def write_canonical(db: Path, ws: Workspace) -> list[str]:
    """The canonical metric tables, computed on the new warehouse before it is published
    (metrics.canonical): the build step after dbt, so a published warehouse always carries
    the metrics of its own data."""
    from aco_pipeline.metrics.canonical import write_duckdb

    return write_duckdb(db, ws)


def write_canonical_spark(location: Path, ws: Workspace) -> list[str]:
    """Spark: the same tables as Parquet folders beside the new build's tables."""
    from aco_pipeline.metrics.canonical import write_parquet
    from aco_pipeline.warehouse.read import open_parquet_folder

    with open_parquet_folder(location) as con:
        return write_parquet(location, con, ws)


DOCS_FILES = ("index.html", "manifest.json", "catalog.json")


def docs_dir(ws: Workspace) -> Path:
    """The dbt docs site of the published warehouse (`aco docs`)."""
    return ws.warehouse_path.parent / "docs"


def _generate_docs(scratch: Path, dbt_vars: dict[str, object], site: Path) -> None:
    """`dbt docs generate` against the new warehouse (before it is published, so the catalog
    is the one readers will get), then swap the site folder in. A docs failure leaves the
    previous site and does not fail the build: the data is what matters."""
    ok, _, _ = _run_dbt(scratch, dbt_vars, None, command=("docs", "generate"))
    target = scratch / "target"
    if not ok or not all((target / f).is_file() for f in DOCS_FILES):
        return
    new = site.with_name(f".{site.name}-{uuid.uuid4().hex}")
    new.mkdir(parents=True)
    for f in DOCS_FILES:
        shutil.copyfile(target / f, new / f)
    old = site.with_name(f".{site.name}-old-{uuid.uuid4().hex}")
    if site.exists():
        os.replace(site, old)
    os.replace(new, site)
    shutil.rmtree(old, ignore_errors=True)


def _run_dbt(scratch: Path, dbt_vars: dict[str, object],
             progress: BuildProgress | None, command: tuple[str, ...] = ("build",),
             select: list[str] | None = None) -> tuple[bool, int, list[NodeFailure]]:
    """`dbt build` (or `command`) with the profiles.yml in `scratch`, on the `select`ed nodes
    (all when None); (success, nodes run, failures)."""
    from dbt.cli.main import dbtRunner

    args = [
        *command,
        *(["--select", *select] if select else []),
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
    return ok, nodes, failures


def _count_rows(db: Path, table: str) -> int:
    import duckdb

    # read-write like write_state: dbt-duckdb may still hold the file open in this process,
    # and DuckDB refuses a second connection with another configuration
    con = duckdb.connect(str(db))
    try:
        row = con.execute(f"select count(*) from {table}").fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


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



# --- Spark (dbt-spark) ---------------------------------------------------------------------
#
# Local `session` method (tested): PySpark in this process, an in-memory catalog, every build
# into a fresh schema whose folder is <warehouse dir>/spark/<schema>.db (Parquet tables), and
# <warehouse dir>/spark/CURRENT.json naming the published schema, replaced atomically only when
# every node passed. A failed build removes its folder; the previous build stays published.
# Cluster methods (`thrift`, `http`: a Spark Thrift server or Databricks; not run here) take
# their settings from the workspace's [engine.spark] table and the token from the environment
# variable it names; see docs/scale-out.md.

SPARK_POINTER = "CURRENT.json"
SPARK_KEEP_PREVIOUS = 1  # published builds kept besides the current one (readers in flight)


def spark_dir(ws: Workspace) -> Path:
    """Where a Spark workspace's local warehouse lives: schemas and the pointer file."""
    return ws.warehouse_path.parent / "spark"


def spark_current(ws: Workspace) -> dict[str, str] | None:
    """The published Spark build (`schema`, `location`, `built_at`), or None."""
    pointer = spark_dir(ws) / SPARK_POINTER
    if not pointer.is_file():
        return None
    data: dict[str, str] = json.loads(pointer.read_text(encoding="utf-8"))
    return data


def _spark_settings(ws: Workspace) -> dict[str, Any]:
    """The workspace's [engine.spark] table (optional)."""
    import tomllib

    try:
        data = tomllib.loads(ws.config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    spark = data.get("engine", {}).get("spark", {})
    return dict(spark) if isinstance(spark, dict) else {}


def _spark_memory(memory_limit: str) -> str:
    """'2GB' / '1.5GiB' / '512MB' -> a JVM size ('2048m')."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(MB|GB|MiB|GiB)", memory_limit)
    if not m:
        return "2g"
    mb = float(m.group(1)) * (1024 if m.group(2) in ("GB", "GiB") else 1)
    return f"{max(512, int(mb))}m"


def _spark_profile(ws: Workspace, schema: str, threads: int) -> str:
    settings = _spark_settings(ws)
    method = str(settings.get("method", "session"))
    output: dict[str, Any] = {"type": "spark", "method": method, "schema": schema,
                              "threads": threads}
    if method == "session":
        output["host"] = "localhost"  # required by the profile, unused by the session method
        output["server_side_parameters"] = {
            "spark.master": str(settings.get("master", f"local[{max(1, threads)}]")),
            "spark.driver.memory": _spark_memory(ws.memory_limit),
            # tables are Parquet folders under the build's schema location; no metastore
            "spark.sql.catalogImplementation": "in-memory",
            "spark.sql.warehouse.dir": str(spark_dir(ws) / "default"),
            "spark.sql.parquet.mergeSchema": "true",
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.shuffle.partitions": str(settings.get("shuffle_partitions", 4)),
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
        }
    elif method in ("thrift", "http"):
        for key in ("host", "port", "cluster", "endpoint", "organization", "user"):
            if key in settings:
                output[key] = settings[key]
        token_env = settings.get("token_env")
        if token_env:
            token = os.environ.get(str(token_env))
            if not token:
                raise BuildError(f"[engine.spark] token_env {token_env} is not set")
            output["token"] = token
        params = settings.get("server_side_parameters")
        if isinstance(params, dict):
            output["server_side_parameters"] = {str(k): str(v) for k, v in params.items()}
    else:
        raise BuildError(f"[engine.spark] method {method!r} is not session, thrift or http")
    profile = {"aco_warehouse": {"target": "build", "outputs": {"build": output}}}
    return json.dumps(profile, indent=1)


def _active_spark() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - checked before the build
        return None
    return SparkSession.getActiveSession()


def _build_spark(ws: Workspace, progress: BuildProgress | None, *, threads: int,
                 extra_vars: dict[str, object] | None) -> BuildResult:
    """Run `dbt build` with dbt-spark into a new schema; publish it by the pointer file."""
    started = time.monotonic()
    method = str(_spark_settings(ws).get("method", "session"))
    try:
        import dbt.adapters.spark  # noqa: F401
        if method == "session":
            import pyspark  # noqa: F401
    except ImportError as exc:
        raise BuildError("engine 'spark' needs the spark extra: "
                         "pip install 'aco-pipeline[spark]'") from exc
    root = spark_dir(ws)
    root.mkdir(parents=True, exist_ok=True)
    prefix = str(_spark_settings(ws).get("schema_prefix", "aco_warehouse"))
    schema = f"{prefix}_{time.strftime('%Y%m%d%H%M%S', time.gmtime())}_{uuid.uuid4().hex[:8]}"
    location = root / f"{schema}.db"
    had_session = _active_spark() is not None
    with _build_lock(ws), tempfile.TemporaryDirectory(prefix="aco-build-") as tmp:
        scratch = Path(tmp)
        (scratch / "profiles.yml").write_text(_spark_profile(ws, schema, threads),
                                              encoding="utf-8")
        dbt_vars: dict[str, object] = {
            "lake_globs": lake_globs(ws.lake_dir, ws.state_dir / "warehouse" / "empty_sources"),
        }
        if method == "session":
            dbt_vars["spark_schema_location"] = str(location)
        dbt_vars.update(extra_vars or {})
        try:
            ok, nodes, failures = _run_dbt(scratch, dbt_vars, progress)
        finally:
            # free the JVM's memory if this build started the session (a later build starts a
            # new one); a session that was already running keeps the new schema in its catalog
            session = _active_spark() if method == "session" else None
            if session is not None and not had_session:
                session.stop()
        metric_tables: list[str] = []
        if ok and method == "session":
            metric_tables = write_canonical_spark(location, ws)
        if ok:
            pointer = {"schema": schema, "location": str(location) if method == "session" else "",
                       "method": method,
                       "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            tmp_pointer = root / f".{uuid.uuid4().hex}.tmp"
            with tmp_pointer.open("w", encoding="utf-8") as fh:
                json.dump(pointer, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_pointer, root / SPARK_POINTER)
            fsync_dir(root)
            _prune_spark_builds(root, keep=schema)
        else:
            shutil.rmtree(location, ignore_errors=True)
    published = root / SPARK_POINTER if ok else location
    return BuildResult(success=ok, warehouse_path=published,
                       seconds=time.monotonic() - started, nodes=nodes, failures=failures,
                       published=ok, metric_tables=tuple(metric_tables))


def _prune_spark_builds(root: Path, keep: str) -> None:
    """Remove local build folders older than the newest SPARK_KEEP_PREVIOUS besides `keep`."""
    builds = sorted((p for p in root.glob("*.db") if p.name != f"{keep}.db"),
                    key=lambda p: p.name, reverse=True)
    for old in builds[SPARK_KEEP_PREVIOUS:]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in root.glob(".*.tmp"):
        stale.unlink(missing_ok=True)
