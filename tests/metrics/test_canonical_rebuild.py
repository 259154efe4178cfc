"""The canonical metric tables follow the metric parameters: a changed aco.toml section makes
the next `aco build` recompute them (and nothing else); an unchanged one leaves the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from aco_pipeline.config import load_workspace
from aco_pipeline.warehouse.build import build_warehouse
from tests.synthetic_aco import BuiltAco


def _counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_name like 'metric_%' order by 1").fetchall()]
        return {n: con.execute(f"select count(*) from {n}").fetchall()[0][0] for n in names}
    finally:
        con.close()


def test_changed_parameters_recompute_only_the_metrics(built_aco: BuiltAco,
                                                       tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(built_aco.ws.root, root, symlinks=True)
    ws = load_workspace(root)
    before = _counts(ws.warehouse_path)
    assert before["metric_spend"] > 0 and before["metric_period"] > 0

    same = build_warehouse(ws, docs=False)
    assert same.mode == "up-to-date"

    assert before["metric_care_top_spenders"] > 3
    with ws.config_path.open("a", encoding="utf-8") as fh:
        fh.write("\n[care]\ntop_n = 3\n")
    changed = build_warehouse(ws, docs=False)
    assert changed.success and changed.mode == "metrics" and changed.nodes == 0
    assert "metric_spend" in changed.metric_tables
    after = _counts(ws.warehouse_path)
    assert after["metric_spend"] == before["metric_spend"]
    assert after["metric_care_top_spenders"] == 3  # the care list follows the new threshold

    assert build_warehouse(ws, docs=False).mode == "up-to-date"
