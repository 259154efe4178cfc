"""The warehouse file is replaced only by a build whose models and tests all passed."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
from typer.testing import CliRunner

import aco_pipeline.cli.build  # noqa: F401  (registers `aco build`)
from aco_pipeline.cli.app import app
from aco_pipeline.warehouse.build import build_warehouse

from .conftest import ip_workspace
from .lake_builder import write_delivery


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_failed_build_keeps_the_previous_warehouse(tmp_path: Path) -> None:
    ws = ip_workspace(tmp_path / "ws")
    res = CliRunner().invoke(app, ["build", "--workspace", str(ws.root)])
    assert res.exit_code == 0, res.output
    before = _sha(ws.warehouse_path)

    # a reader holds the published file open while the next build runs and publishes
    reader = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        assert build_warehouse(ws).success
        assert reader.execute("select count(*) from fct_claim").fetchone() == (6,)
    finally:
        reader.close()
    published = _sha(ws.warehouse_path)

    # a delivery whose CCLF1 has an adjustment type CMS does not define: a test fails
    write_delivery(ws.lake_dir, "P.A9999.ACO.ZCY12.D121210.T0000000", date(2012, 12, 10), {
        "CCLF1": [{"cur_clm_uniq_id": "0000000000099", "bene_mbi_id": "6U50TE7GG18",
                   "clm_type_cd": "60", "clm_adjsmt_type_cd": "7"}],
    })
    res = CliRunner().invoke(app, ["build", "--workspace", str(ws.root)])
    assert res.exit_code != 0
    assert "stg_cclf1" in res.output and "adjustment_type" in res.output
    assert "unchanged" in res.output
    assert _sha(ws.warehouse_path) == published
    assert before  # the first build published too
    assert not list(ws.warehouse_path.parent.glob(".build-*"))
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        assert con.execute("select count(*) from fct_claim").fetchone() == (6,)
    finally:
        con.close()


def test_empty_lake_builds(tmp_path: Path) -> None:
    """No delivery of any file type yet: every source reads an empty stand-in."""
    from aco_pipeline.config import init_workspace

    ws = init_workspace(tmp_path / "ws", aco_id="A9999", performance_year=2024)
    result = build_warehouse(ws)
    assert result.success, result.failures
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        assert con.execute("select count(*) from fct_claim").fetchone() == (0,)
    finally:
        con.close()
