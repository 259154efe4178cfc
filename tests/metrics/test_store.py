"""Metric tables: atomic publish, parameters kept, visible through reports.connect."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from aco_pipeline.config import init_workspace, load_section
from aco_pipeline.metrics import store
from aco_pipeline.warehouse.read import connect


def test_publish_read_and_view(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", aco_id="A1234", performance_year=2025)
    duckdb.connect(str(ws.warehouse_path)).close()
    table = pa.table({"mbi": ["1AA0AA0AA00"],
                      "paid": pa.array([Decimal("12.34")], pa.decimal128(18, 2))})
    store.publish(ws, "example", table, {"from": "2025-01-01"})
    assert store.read(ws, "example").column("paid").to_pylist() == [Decimal("12.34")]
    assert store.parameters(ws, "example") == {"from": "2025-01-01"}
    store.publish(ws, "example", table.slice(0, 0), {})
    assert store.read(ws, "example").num_rows == 0
    assert not list(store.metrics_dir(ws).glob(".*"))
    with connect(ws) as con:
        assert con.execute("select count(*) from metric_example").fetchone() == (0,)


def test_bad_name_and_missing(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", aco_id="A1234", performance_year=2025)
    with pytest.raises(store.MetricStoreError, match="snake_case"):
        store.table_path(ws, "Bad-Name")
    with pytest.raises(store.MetricStoreError, match="compute it first"):
        store.read(ws, "absent")


def test_load_section(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", aco_id="A1234", performance_year=2025)
    assert load_section(ws, "expenditure") == {}
    with ws.config_path.open("a", encoding="utf-8") as fh:
        fh.write('\n[expenditure]\ncompletion_factor = "1.01"\n')
    assert load_section(ws, "expenditure") == {"completion_factor": "1.01"}
