"""Reading the published warehouse: one connection, one error type, one missing-table check.

Everything in Python that reads warehouse tables (reports, metrics, `aco status`, the web
app) goes through this module. It joins nothing: every join of warehouse tables is a dbt
model (docs/warehouse.md); callers select from finished marts and apply runtime filters
(period, run-out, as-of date). It imports nothing from `aco_pipeline.metrics`.

- DuckDB engine: the warehouse file, opened read-only. Canonical metric tables are tables in
  the same file (written by `aco build` before it publishes), so any DuckDB reader of the
  published file sees them.
- Spark engine: the Parquet tables of the published build (the CURRENT.json pointer) as views
  in an in-memory DuckDB, so the same SQL runs on either engine without a Spark session.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aco_pipeline.config import Workspace
from aco_pipeline.errors import AcoError

if TYPE_CHECKING:
    import duckdb

CENT = Decimal("0.01")
REBUILD = "rebuild it with `aco build`"


class WarehouseReadError(AcoError, RuntimeError):
    """The published warehouse is missing, or lacks a table a reader needs."""


@contextmanager
def open_file(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to a DuckDB warehouse file."""
    import duckdb

    if not path.is_file():
        raise WarehouseReadError(f"no warehouse at {path}; build it with `aco build`")
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def spark_location(ws: Workspace) -> Path | None:
    """The folder of the published Spark build's Parquet tables, or None."""
    from aco_pipeline.warehouse.build import spark_current

    current = spark_current(ws)
    return None if current is None else Path(current["location"])


@contextmanager
def connect(ws: Workspace) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only SQL connection to the workspace's published warehouse, whatever the engine."""
    if ws.engine != "spark":
        with open_file(ws.warehouse_path) as con:
            yield con
        return
    location = spark_location(ws)
    if location is None:
        raise WarehouseReadError(
            f"no Spark warehouse published in {ws.root}; build it with `aco build`")
    with open_parquet_folder(location) as con:
        yield con


@contextmanager
def open_parquet_folder(location: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with a view per Parquet table folder in `location` (a Spark build)."""
    import duckdb

    con = duckdb.connect()
    try:
        for table in sorted(location.iterdir()):
            if table.is_dir() and any(table.glob("*.parquet")):
                parts = str(table / "*.parquet").replace("'", "''")
                con.execute(f'create view "{table.name}" as '
                            f"select * from read_parquet('{parts}')")
        yield con
    finally:
        con.close()


@contextmanager
def using(source: Workspace | duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """`source` itself when it is a connection (e.g. `aco build` computing canonical metrics
    on the unpublished file), else a read-only connection to the workspace's warehouse."""
    if isinstance(source, Workspace):
        with connect(source) as con:
            yield con
    else:
        yield source


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of every table and view the connection can read (main schema)."""
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = 'main'").fetchall()
    return {r[0] for r in rows}


def require(con: duckdb.DuckDBPyConnection, names: Iterable[str], what: str) -> None:
    """Raise WarehouseReadError naming `what` when any of `names` is not in the warehouse
    (a warehouse built by an older version): the one missing-table check."""
    missing = sorted(set(names) - tables(con))
    if missing:
        raise WarehouseReadError(
            f"the warehouse has no {what} ({', '.join(missing)}); {REBUILD}")


def rows(con: duckdb.DuckDBPyConnection, sql: str,
         params: Sequence[object] | None = None) -> list[tuple[Any, ...]]:
    """Run one query and return its rows (the one query helper)."""
    return con.execute(sql, list(params or [])).fetchall()


def money(value: Decimal | int | None) -> Decimal:
    """A dollar amount as an exact Decimal with two places (None counts as zero)."""
    return (Decimal(0) if value is None else Decimal(value)).quantize(CENT)
