"""What a published warehouse was built from, so the next build redoes only what it must.

A build records its *state* inside the warehouse it publishes (table `_aco_build_state`, so
the record and the data are published by the same rename): a fingerprint of everything that
defines the models (the dbt project's files, the package and dbt versions, the dbt vars other
than the lake locations) and, per lake source, the deliveries it read.

The next build compares. Same project, same deliveries: nothing to do. Same project, only
new deliveries (none removed): only the models downstream of the sources they carry are
rebuilt (dbt selection `source:lake.<name>+`), in a copy of the published warehouse; every
other table is already what a full build would produce, because each model is a function of
its inputs only (no model reads the clock or the build's id). When claim or crosswalk files
arrived, the claim models (versions, final action, validity, service categories, claim facts)
redo only the claims the new deliveries can change (var `claim_changes_deliveries`,
macros/incremental_claims.sql); the rest of the selection is rebuilt whole. Anything else (a
delivery gone, the project changed, `--full-refresh`): a fresh full build.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from aco_pipeline.lake.storage import Storage

STATE_TABLE = "_aco_build_state"
RUN_VARS = frozenset({"lake_globs", "claim_changes_deliveries"})
"""dbt vars that say where this run's inputs are, not what the models compute."""
IGNORED_PARTS = {"__pycache__", "target", "logs", "dbt_packages"}


@dataclass(frozen=True, slots=True)
class BuildState:
    project: str
    """sha256 over the dbt project's files, the versions and the dbt vars (lake paths aside)."""
    sources: Mapping[str, tuple[str, ...]]
    """Per lake source, the sorted delivery ids the build read."""

    def to_json(self) -> str:
        return json.dumps({"project": self.project,
                           "sources": {k: list(v) for k, v in sorted(self.sources.items())}},
                          sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BuildState:
        data = json.loads(text)
        return cls(project=str(data["project"]),
                   sources={str(k): tuple(v) for k, v in data["sources"].items()})


def project_fingerprint(project_dir: Path, dbt_vars: Mapping[str, object]) -> str:
    """A digest of what defines the models: project files, versions and vars."""
    digest = hashlib.sha256()
    for name in ("aco-pipeline", "dbt-core", "dbt-duckdb"):
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "none"
        digest.update(f"{name}={version}\n".encode())
    variables = {k: v for k, v in dbt_vars.items() if k not in RUN_VARS}
    digest.update(json.dumps(variables, sort_keys=True, default=str).encode())
    for path in sorted(project_dir.rglob("*")):
        rel = path.relative_to(project_dir)
        if not path.is_file() or IGNORED_PARTS.intersection(rel.parts):
            continue
        digest.update(b"\0" + rel.as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def lake_deliveries(lake_dir: Path | Storage,
                    sources: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Per source, the ids of the published deliveries that carry it (lake/parsed layout:
    delivery=<id>/<source>/part-*.parquet). Deliveries are immutable, so ids are enough."""
    from aco_pipeline.lake.publish import deliveries_by_source, parsed_root

    if isinstance(lake_dir, Storage):  # a remote lake: its committed deliveries only
        if not lake_dir.is_local:
            return deliveries_by_source(lake_dir, sources)
        lake_dir = lake_dir.local_path
    root = parsed_root(lake_dir)
    out: dict[str, tuple[str, ...]] = {}
    for name in sources:
        ids = {p.parent.name.removeprefix("delivery=")
               for p in root.glob(f"delivery=*/{name}")} if root.is_dir() else set()
        out[name] = tuple(sorted(ids))
    return out


def changed_sources(previous: BuildState, current: BuildState) -> list[str]:
    """Sources whose delivery set differs (a source new to either side counts as changed)."""
    names = set(previous.sources) | set(current.sources)
    return sorted(n for n in names if previous.sources.get(n) != current.sources.get(n))


def added_deliveries(previous: BuildState,
                     current: BuildState) -> dict[str, tuple[str, ...]] | None:
    """Per source, the deliveries the lake has now and the previous build did not read; None
    when a delivery the previous build read is gone (the lake was rebuilt: start afresh)."""
    added: dict[str, tuple[str, ...]] = {}
    for name in set(previous.sources) | set(current.sources):
        before = set(previous.sources.get(name, ()))
        now = set(current.sources.get(name, ()))
        if not before <= now:
            return None
        if now - before:
            added[name] = tuple(sorted(now - before))
    return added


# The claim files and the MBI crosswalk file: their new deliveries are handed to the claim
# models (var claim_changes_deliveries) so those redo only the claims they can change.
CLAIM_SOURCES = frozenset({"cclf1", "cclf2", "cclf3", "cclf4", "cclf5", "cclf6", "cclf7",
                           "cclf9"})


def selectors(sources: Iterable[str]) -> list[str]:
    """dbt node selection: every model, test and mart downstream of the given lake sources."""
    return [f"source:lake.{name}+" for name in sources]


def read_state(db_path: Path) -> BuildState | None:
    """The state a published DuckDB warehouse recorded, or None (none recorded, unreadable)."""
    import duckdb

    if not db_path.is_file():
        return None
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute(f"select state from {STATE_TABLE}").fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    if row is None:
        return None
    try:
        return BuildState.from_json(row[0])
    except (ValueError, KeyError, TypeError):
        return None


def write_state(db_path: Path, state: BuildState) -> None:
    """Record `state` in the (not yet published) warehouse file."""
    import duckdb

    con = duckdb.connect(str(db_path))
    try:
        con.execute(f"create or replace table {STATE_TABLE} (state varchar not null)")
        con.execute(f"insert into {STATE_TABLE} values (?)", [state.to_json()])
    finally:
        con.close()
