"""Metric result tables: computed once, stored as Parquet beside the warehouse, read by all.

A metric that depends on parameters (a report period, a run-out date, a PUF file) is computed
by a typed Python module and published here as `<warehouse dir>/metrics/<name>.parquet`, with
the parameters it was computed for in the file's key-value metadata. The CLI, the web app and
any BI tool read the same file; `warehouse.reports.connect` exposes each one as a view named
`metric_<name>`. Publishing writes a temporary file and renames it over the old one, so a
reader sees the previous table or the new one, never half of either.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from aco_pipeline.config import Workspace
from aco_pipeline.errors import AcoError
from aco_pipeline.fsutil import fsync_dir

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
PARAMETERS_KEY = b"aco_pipeline.parameters"


class MetricStoreError(AcoError, RuntimeError):
    """A metric table is missing or cannot be written."""


def metrics_dir(ws: Workspace) -> Path:
    return ws.warehouse_path.parent / "metrics"


def table_path(ws: Workspace, name: str) -> Path:
    if not NAME.match(name):
        raise MetricStoreError(f"metric table name {name!r} must be lowercase snake_case")
    return metrics_dir(ws) / f"{name}.parquet"


def publish(ws: Workspace, name: str, table: pa.Table,
            parameters: Mapping[str, object]) -> Path:
    """Write `table` as metric `name` atomically; `parameters` are kept in its metadata."""
    path = table_path(ws, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(table.schema.metadata or {})
    meta[PARAMETERS_KEY] = json.dumps(parameters, default=str, sort_keys=True).encode()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table.replace_schema_metadata(meta), tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)
    return path


def read(ws: Workspace, name: str) -> pa.Table:
    path = table_path(ws, name)
    if not path.is_file():
        raise MetricStoreError(f"no metric table {name!r} at {path}; compute it first")
    return pq.read_table(path)


def parameters(ws: Workspace, name: str) -> dict[str, object]:
    """The parameters metric `name` was last computed for."""
    meta = pq.read_schema(table_path(ws, name)).metadata or {}
    raw = meta.get(PARAMETERS_KEY)
    return json.loads(raw) if raw else {}


def published(ws: Workspace) -> dict[str, Path]:
    """Every published metric table by name."""
    d = metrics_dir(ws)
    if not d.is_dir():
        return {}
    return {p.stem: p for p in sorted(d.glob("*.parquet")) if NAME.match(p.stem)}
