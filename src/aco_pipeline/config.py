"""Workspaces: a folder with an `aco.toml` naming the ACO, its year, its storage and engine.

Every command that reads or writes data works on a workspace, found in this order: the
`--workspace` option, the `ACO_WORKSPACE` environment variable, the current directory.
Relative storage paths in the config are relative to the workspace folder. `[storage] raw`
and `lake` may also be fsspec URLs (`s3://bucket/prefix/lake`, see lake.storage).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from aco_pipeline.errors import AcoError
from aco_pipeline.lake.storage import Storage, StorageError, parse_storage

CONFIG_NAME = "aco.toml"
ENV_WORKSPACE = "ACO_WORKSPACE"
ENGINES = ("duckdb", "spark")
ACO_ID = re.compile(r"^[ADFKCP][0-9A-Z]{3,7}$")


class WorkspaceError(AcoError, RuntimeError):
    """The workspace is missing or its configuration is invalid."""


@dataclass(frozen=True, slots=True)
class Workspace:
    root: Path
    aco_id: str
    performance_year: int
    raw_dir: Path
    """The raw store when it is a local folder; for a remote raw store (`raw_storage`), the
    local working folder holding the copies of a delivery being ingested."""
    lake_dir: Path
    """The lake when it is a local folder; for a remote lake (`lake_storage`), the local
    working folder where a delivery is staged before its upload."""
    warehouse_path: Path
    engine: str
    memory_limit: str = "2GB"
    """DuckDB's memory limit for builds ([engine] memory_limit); DuckDB spills beyond it."""
    raw_storage: Storage | None = None
    """`[storage] raw` as a location (None: the local folder `raw_dir`)."""
    lake_storage: Storage | None = None
    """`[storage] lake` as a location (None: the local folder `lake_dir`)."""

    @property
    def raw(self) -> Storage:
        """Where raw copies are kept: a local folder or a URL."""
        return self.raw_storage or Storage(str(self.raw_dir))

    @property
    def lake(self) -> Storage:
        """Where the lake is: a local folder or a URL."""
        return self.lake_storage or Storage(str(self.lake_dir))

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def state_dir(self) -> Path:
        """Locks and the ingest log: workspace bookkeeping, not data."""
        return self.root / ".aco"


def _config_text(aco_id: str, performance_year: int, engine: str) -> dict[str, object]:
    return {
        "aco": {"id": aco_id, "performance_year": performance_year},
        "storage": {"raw": "raw", "lake": "lake", "warehouse": "warehouse/aco.duckdb"},
        "engine": {"name": engine, "memory_limit": "2GB"},
    }


def init_workspace(root: Path, *, aco_id: str, performance_year: int,
                   engine: str = "duckdb", force: bool = False) -> Workspace:
    """Create a workspace folder with its config; refuses to overwrite unless `force`."""
    if not ACO_ID.match(aco_id):
        raise WorkspaceError(
            f"ACO id {aco_id!r} is not a CMS entity id (an SSP ACO id looks like A1234)"
        )
    if engine not in ENGINES:
        raise WorkspaceError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
    if not 2012 <= performance_year <= 2100:
        raise WorkspaceError(f"performance year {performance_year} is out of range")
    root.mkdir(parents=True, exist_ok=True)
    path = root / CONFIG_NAME
    if path.exists() and not force:
        raise WorkspaceError(f"{path} already exists (use --force to overwrite it)")
    path.write_text(tomli_w.dumps(_config_text(aco_id, performance_year, engine)),
                    encoding="utf-8")
    ws = load_workspace(root)
    for d in (ws.raw_dir, ws.lake_dir, ws.warehouse_path.parent):
        d.mkdir(parents=True, exist_ok=True)
    return ws


def resolve_root(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    env = os.environ.get(ENV_WORKSPACE)
    return Path(env) if env else Path.cwd()


def load_workspace(explicit: Path | None = None) -> Workspace:
    """Load the workspace config; a clear error says where it looked and what is wrong."""
    root = resolve_root(explicit).resolve()
    path = root / CONFIG_NAME
    if not path.is_file():
        raise WorkspaceError(
            f"no workspace at {root} (no {CONFIG_NAME}); create one with `aco init {root}` "
            f"or point --workspace / {ENV_WORKSPACE} at one"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{path}: not valid TOML ({exc})") from exc

    def need(section: str, key: str) -> object:
        try:
            return data[section][key]
        except (KeyError, TypeError):
            raise WorkspaceError(f"{path}: missing [{section}] {key}") from None

    aco_id = str(need("aco", "id"))
    if not ACO_ID.match(aco_id):
        raise WorkspaceError(f"{path}: [aco] id {aco_id!r} is not a CMS entity id like A1234")
    year = need("aco", "performance_year")
    if not isinstance(year, int):
        raise WorkspaceError(f"{path}: [aco] performance_year must be an integer")
    engine = str(data.get("engine", {}).get("name", "duckdb"))
    if engine not in ENGINES:
        raise WorkspaceError(f"{path}: [engine] name {engine!r} is not one of {ENGINES}")

    def place(key: str) -> Path:
        p = Path(str(need("storage", key)))
        return p if p.is_absolute() else root / p

    storage = data.get("storage")
    options = storage.get("options", {}) if isinstance(storage, dict) else {}
    if not isinstance(options, dict):
        raise WorkspaceError(f"{path}: [storage.options] must be a table")

    def location(key: str) -> tuple[Path, Storage]:
        """The store and the local folder commands work in (the store itself when local)."""
        try:
            store = parse_storage(str(need("storage", key)), root, options,
                                  f"{path} [storage] {key}")
        except StorageError as exc:
            raise WorkspaceError(str(exc)) from None
        if store.is_local:
            return store.local_path, store
        return root / ".aco" / "work" / key, store

    raw_dir, raw_store = location("raw")
    lake_dir, lake_store = location("lake")
    if engine == "spark" and not lake_store.is_local:
        raise WorkspaceError(
            f"{path}: [engine] name 'spark' needs a local [storage] lake (Spark reads object "
            f"stores through hadoop-aws, which is not installed); {lake_store.url} is remote: "
            "use the duckdb engine or a local lake folder"
        )

    memory_limit = str(data.get("engine", {}).get("memory_limit", "2GB"))
    if not re.fullmatch(r"\d+(\.\d+)?\s*(MB|GB|MiB|GiB)", memory_limit):
        raise WorkspaceError(f"{path}: [engine] memory_limit {memory_limit!r} is not like '2GB'")
    return Workspace(
        root=root,
        aco_id=aco_id,
        performance_year=year,
        raw_dir=raw_dir,
        lake_dir=lake_dir,
        warehouse_path=place("warehouse"),
        engine=engine,
        memory_limit=memory_limit,
        raw_storage=raw_store,
        lake_storage=lake_store,
    )


def load_section(ws: Workspace, name: str) -> dict[str, object]:
    """One optional `[name]` table of the workspace's aco.toml (empty when absent).

    Feature modules (arrival, metrics parameters, ...) read their own section through this and
    validate it themselves, so the core loader stays small.
    """
    try:
        data = tomllib.loads(ws.config_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise WorkspaceError(f"{ws.config_path}: cannot read ({exc})") from exc
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise WorkspaceError(f"{ws.config_path}: [{name}] must be a table")
    return section
