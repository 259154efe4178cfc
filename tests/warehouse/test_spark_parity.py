"""The same dbt project on DuckDB and on local PySpark (dbt-spark `session`): every mart and
fact table equal row for row, money exact to the cent (issue 6).

One small synthetic ACO (100 beneficiaries x 3 months) is ingested once and built twice from
the same lake. The Spark build's tables are Parquet folders (see build.py); both sides are read
with DuckDB, sorted and compared after normalising types (Decimal by value, so 1.5 == 1.50;
an integer column may be int32 on one engine and int64 on the other).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.ingest.pipeline import ingest
from aco_pipeline.synth import generate
from aco_pipeline.warehouse.build import build_warehouse, spark_current

pytestmark = [pytest.mark.spark, pytest.mark.slow]

ACO = "A9999"


def _spark_missing() -> str | None:
    """Why a local Spark build cannot run here, or None."""
    for module in ("pyspark", "dbt.adapters.spark"):
        try:
            if importlib.util.find_spec(module) is None:
                return f"{module} is not installed (pip install 'aco-pipeline[spark]')"
        except ModuleNotFoundError:
            return f"{module} is not installed (pip install 'aco-pipeline[spark]')"
    java = shutil.which("java")
    if java is None:
        return "no Java runtime on PATH (PySpark 3.5 needs Java 8/11/17)"
    probe = subprocess.run([java, "-version"], capture_output=True, check=False)
    if probe.returncode != 0:
        return "`java -version` failed"
    return None


@dataclasses.dataclass(frozen=True)
class Builds:
    duckdb_ws: Workspace
    spark_location: Path
    duckdb_seconds: float
    spark_seconds: float
    spark_nodes: int
    duckdb_nodes: int


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    reason = _spark_missing()
    if reason:
        pytest.skip(f"Spark parity test skipped: {reason}")
    root = tmp_path_factory.mktemp("spark_parity")
    inbox = root / "inbox"
    generate(inbox, beneficiaries=100, start="2024-10", months=3, seed=11, aco_id=ACO)
    ws = init_workspace(root / "ws", aco_id=ACO, performance_year=2024)
    outcomes = ingest(ws, sorted(p for p in inbox.iterdir() if p.name != "ground_truth"))
    assert outcomes and all(o.status == "published" for o in outcomes), outcomes

    started = time.monotonic()
    duck = build_warehouse(ws)
    duck_seconds = time.monotonic() - started
    assert duck.success, duck.failures

    spark_ws = dataclasses.replace(ws, engine="spark")
    started = time.monotonic()
    spark = build_warehouse(spark_ws)
    spark_seconds = time.monotonic() - started
    assert spark.success, spark.failures
    current = spark_current(spark_ws)
    assert current is not None and spark.published
    location = Path(current["location"])
    assert location.is_dir()
    return Builds(ws, location, duck_seconds, spark_seconds, spark.nodes, duck.nodes)


def _norm(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal | int):
        return Decimal(value).normalize() if value != 0 else Decimal(0)
    if isinstance(value, float):  # no model should produce one; compare to the cent if any
        return Decimal(repr(value)).quantize(Decimal("0.01"))
    return value


def _sort_key(row: tuple[Any, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple((v is None, "" if v is None else str(v)) for v in row)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return cols, [tuple(_norm(v) for v in row) for row in cur.fetchall()]


def _compared_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    names = [r[0] for r in con.execute(
        "select table_name from information_schema.tables "
        "where table_type = 'BASE TABLE' order by table_name").fetchall()]
    # metric_: the canonical metric tables (metrics.canonical), computed on either engine
    return [n for n in names if n.startswith(("mart_", "fct_", "dim_", "metric_"))]


def test_spark_builds_every_node(builds: Builds) -> None:
    assert builds.spark_nodes == builds.duckdb_nodes
    print(f"\nDuckDB build {builds.duckdb_seconds:.1f}s, Spark build {builds.spark_seconds:.1f}s,"
          f" {builds.spark_nodes} nodes")


def test_every_mart_and_fact_equal_on_both_engines(builds: Builds) -> None:
    con = duckdb.connect(str(builds.duckdb_ws.warehouse_path), read_only=True)
    try:
        tables = _compared_tables(con)
        assert any(t.startswith("mart_") for t in tables)
        assert any(t.startswith("fct_") for t in tables)
        problems: list[str] = []
        for table in tables:
            folder = builds.spark_location / table
            assert folder.is_dir(), f"Spark build has no table {table}"
            d_cols, d_rows = _rows(con, f"select * from main.{table}")
            files = sorted(folder.glob("*.parquet"))
            if files:
                s_cols, s_rows = _rows(
                    con, f"select * from read_parquet('{folder}/*.parquet')")
            else:  # an empty table may be written without a data file
                s_cols, s_rows = d_cols, []
            if sorted(d_cols) != sorted(s_cols):
                problems.append(f"{table}: columns differ: {sorted(set(d_cols) ^ set(s_cols))}")
                continue
            order = [s_cols.index(c) for c in d_cols]
            s_rows = [tuple(r[i] for i in order) for r in s_rows]
            d_sorted = sorted(d_rows, key=_sort_key)
            s_sorted = sorted(s_rows, key=_sort_key)
            if d_sorted != s_sorted:
                diff = sum(1 for a, b in zip(d_sorted, s_sorted, strict=False) if a != b)
                problems.append(f"{table}: {len(d_rows)} DuckDB rows vs {len(s_rows)} Spark rows,"
                                f" {diff} differing after sorting")
        assert not problems, "\n".join(problems)
    finally:
        con.close()


def test_money_is_exact_to_the_cent(builds: Builds) -> None:
    """The spend marts' totals agree to the cent and are non-trivial."""
    con = duckdb.connect(str(builds.duckdb_ws.warehouse_path), read_only=True)
    try:
        folder = builds.spark_location / "mart_spend_beneficiary_month"
        cols = ("sum(part_a_paid), sum(part_b_paid), sum(dme_paid), "
                "sum(part_d_beneficiary_paid), sum(total_paid)")
        duck = con.execute(f"select {cols} from main.mart_spend_beneficiary_month").fetchone()
        spark = con.execute(f"select {cols} from read_parquet('{folder}/*.parquet')").fetchone()
    finally:
        con.close()
    assert duck is not None and spark is not None
    assert duck == spark
    assert duck[4] != 0


def test_reports_read_either_engine_alike(builds: Builds) -> None:
    """The report layer is engine-neutral: the same spend and data-quality answers."""
    from datetime import date

    from aco_pipeline.warehouse.reports import data_quality_summary, spend

    spark_ws = dataclasses.replace(builds.duckdb_ws, engine="spark")
    for by in ("beneficiary", "month", "category"):
        on_duckdb = spend(builds.duckdb_ws, start=date(2024, 1, 1), end=date(2025, 12, 31), by=by)
        on_spark = spend(spark_ws, start=date(2024, 1, 1), end=date(2025, 12, 31), by=by)
        assert on_spark.columns == on_duckdb.columns
        assert on_spark.rows == on_duckdb.rows, by
    assert data_quality_summary(spark_ws) == data_quality_summary(builds.duckdb_ws)
