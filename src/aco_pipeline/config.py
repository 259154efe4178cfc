"""Workspaces: a folder with an `aco.toml` naming the ACO, its year, its storage and engine.

Every command that reads or writes data works on a workspace, found in this order: the
`--workspace` option, the `ACO_WORKSPACE` environment variable, the current directory.
Relative storage paths in the config are relative to the workspace folder.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w

CONFIG_NAME = "aco.toml"
ENV_WORKSPACE = "ACO_WORKSPACE"
ENGINES = ("duckdb", "spark")
ACO_ID = re.compile(r"^[ADFKCP][0-9A-Z]{3,7}$")


class WorkspaceError(RuntimeError):
    """The workspace is missing or its configuration is invalid."""


@dataclass(frozen=True, slots=True)
class Workspace:
    root: Path
    aco_id: str
    performance_year: int
    raw_dir: Path
    lake_dir: Path
    warehouse_path: Path
    engine: str
    memory_limit: str = "2GB"
    """DuckDB's memory limit for builds ([engine] memory_limit); DuckDB spills beyond it."""

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

    memory_limit = str(data.get("engine", {}).get("memory_limit", "2GB"))
    if not re.fullmatch(r"\d+(\.\d+)?\s*(MB|GB|MiB|GiB)", memory_limit):
        raise WorkspaceError(f"{path}: [engine] memory_limit {memory_limit!r} is not like '2GB'")
    return Workspace(
        root=root,
        aco_id=aco_id,
        performance_year=year,
        raw_dir=place("raw"),
        lake_dir=place("lake"),
        warehouse_path=place("warehouse"),
        engine=engine,
        memory_limit=memory_limit,
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
