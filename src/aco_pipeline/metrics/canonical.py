"""Canonical metric tables: computed once by `aco build`, stored in the warehouse it publishes.

After every dbt node passed and before the new warehouse file is published, `write_all`
computes each registered metric for every canonical period (metrics.periods) with the same
function the CLI uses for an ad-hoc period, and writes it into the new file as table
`metric_<name>` keyed by the period columns; `metric_period` lists the periods. A reader of
the published file (the CLI, the web app, any BI tool) sees them as ordinary tables; an
ad-hoc CLI run with other parameters prints its result and writes nothing.

On Spark the same tables are written as Parquet folders beside the build's tables, which
`warehouse.read.connect` exposes as views like every other table.

A metric module registers a function `canonical(con, ws, periods) -> {name: pa.Table}`
(in `METRICS` below); each table starts with the period columns (periods.stack).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from aco_pipeline.config import Workspace
from aco_pipeline.errors import AcoError
from aco_pipeline.metrics.periods import MetricPeriod, canonical_periods, period_table

if TYPE_CHECKING:
    import duckdb

# module -> its canonical(con, ws, periods) function; in the order they are computed
METRICS: tuple[str, ...] = (
    "aco_pipeline.metrics.spend",
    "aco_pipeline.metrics.completion",
    "aco_pipeline.metrics.expenditure_report",
    "aco_pipeline.metrics.forecast",
    "aco_pipeline.metrics.tieout",
    "aco_pipeline.metrics.benchmark_projection",
    "aco_pipeline.metrics.qexpu_tieout",
    "aco_pipeline.metrics.care",
    "aco_pipeline.metrics.providers",
    "aco_pipeline.metrics.utilization",
    "aco_pipeline.metrics.risk",
)
PREFIX = "metric_"
STATE_TABLE = "_aco_metric_state"

Canonical = Callable[[Any, Workspace, Sequence[MetricPeriod]], Mapping[str, pa.Table]]


class CanonicalMetricError(AcoError, RuntimeError):
    """A canonical metric could not be computed for the new warehouse."""


def data_periods(con: duckdb.DuckDBPyConnection, performance_year: int) -> list[MetricPeriod]:
    """The canonical periods of the warehouse behind `con`: from its first service month to
    the newest IDR load date of its payments."""
    [(first, as_of)] = con.execute(
        "select min(service_month), max(clm_idr_ld_dt) from fct_claim_payment "
        "where service_month is not null").fetchall()
    return canonical_periods(performance_year, first, as_of)


def compute_all(con: duckdb.DuckDBPyConnection, ws: Workspace,
                progress: Callable[[str], None] | None = None,
                seconds: dict[str, float] | None = None) -> dict[str, pa.Table]:
    """Every canonical table by name (without the `metric_` prefix), `period` included;
    `seconds` (when given) receives how long each metric module took."""
    periods = data_periods(con, ws.performance_year)
    out: dict[str, pa.Table] = {"period": period_table(periods)}
    from aco_pipeline.metrics.risk import shared_scores

    with shared_scores():  # care's rising-risk list and the risk tables score once
        for module_name in METRICS:
            short = module_name.rsplit(".", 1)[-1]
            func: Canonical = importlib.import_module(module_name).canonical
            if progress is not None:
                progress(short)
            started = time.monotonic()
            for name, table in func(con, ws, periods).items():
                if name in out:
                    raise CanonicalMetricError(f"metric table {name!r} is produced twice "
                                               f"(again by {module_name})")
                out[name] = table
            if seconds is not None:
                seconds[short] = round(time.monotonic() - started, 1)
    return out


def config_fingerprint(ws: Workspace) -> str:
    """What the canonical tables depend on besides the warehouse: the workspace's aco.toml
    (performance year, [expenditure], [benchmark], [risk], [care], [completion], ...), the
    input files it names (NCBP, participant list) and the package version."""
    from importlib import metadata

    digest = hashlib.sha256(metadata.version("aco-pipeline").encode())
    config = ws.config_path.read_bytes()
    digest.update(config)
    for match in re.finditer(rb'_file\s*=\s*"([^"]+)"', config):
        named = Path(match.group(1).decode())
        path = named if named.is_absolute() else ws.root / named
        digest.update(path.read_bytes() if path.is_file() else b"(absent)")
    return digest.hexdigest()


def stored_fingerprint(db: Path) -> str | None:
    """The config fingerprint the canonical tables in warehouse file `db` were computed with."""
    import duckdb

    if not db.is_file():
        return None
    con = duckdb.connect(str(db), read_only=True)
    try:
        found = con.execute("select count(*) from information_schema.tables "
                            "where table_name = ?", [STATE_TABLE]).fetchall()
        if not found[0][0]:
            return None
        value = con.execute(f"select fingerprint from {STATE_TABLE}").fetchall()
    finally:
        con.close()
    return str(value[0][0]) if value else None


def write_duckdb(db: Path, ws: Workspace,
                 progress: Callable[[str], None] | None = None) -> list[str]:
    """Compute every canonical table on the (unpublished) DuckDB warehouse `db` and store
    them in it; returns the table names written."""
    import duckdb

    con = duckdb.connect(str(db))
    try:
        seconds: dict[str, float] = {}
        tables = compute_all(con, ws, progress, seconds)
        for name, table in tables.items():
            con.register("_canonical", table)
            con.execute(f'create or replace table "{PREFIX}{name}" as select * from _canonical')
            con.unregister("_canonical")
        con.execute(f"create or replace table {STATE_TABLE} as "
                    "select ? as fingerprint, ? as seconds_by_metric",
                    [config_fingerprint(ws), json.dumps(seconds)])
    finally:
        con.close()
    return [PREFIX + n for n in tables]


def write_parquet(location: Path, con: duckdb.DuckDBPyConnection, ws: Workspace,
                  progress: Callable[[str], None] | None = None) -> list[str]:
    """Spark: compute on `con` (the new build's tables) and write each table as a Parquet
    folder in `location`, beside the build's own tables."""
    tables = compute_all(con, ws, progress)
    for name, table in tables.items():
        folder = location / f"{PREFIX}{name}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / "part-00000.parquet")
    return [PREFIX + n for n in tables]
