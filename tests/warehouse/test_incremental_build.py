"""Incremental builds: a new delivery rebuilds only the models downstream of its sources (the
claim models only the claims it can change), and the result is identical, table for table,
to a full build of the same lake."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.ingest.pipeline import ingest
from aco_pipeline.metrics.canonical import STATE_TABLE as METRIC_STATE_TABLE
from aco_pipeline.synth import generate
from aco_pipeline.warehouse import build as build_module
from aco_pipeline.warehouse.build import build_warehouse
from aco_pipeline.warehouse.build_state import STATE_TABLE, read_state

ACO = "A9999"
# what the last build re-derived (macros/incremental_claims.sql): run-specific by design
# what a build records about itself (its inputs, timings), not data; the metric_* tables are
# compared like every other table
RUN_TABLES = {STATE_TABLE, METRIC_STATE_TABLE, "int_claim_changes",
              "int_claim_changes_delivered"}


@pytest.fixture()
def frozen_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the dbt project, so the test controls every change to it."""
    copy = tmp_path / "dbt_project"
    shutil.copytree(build_module.project_dir(), copy,
                    ignore=shutil.ignore_patterns("target", "logs", "__pycache__"))
    monkeypatch.setattr(build_module, "project_dir", lambda: copy)
    return copy


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = ? and table_schema = 'main' and table_type = 'BASE TABLE' "
        "order by table_name", [catalog]).fetchall()
    return [r[0] for r in rows if r[0] not in RUN_TABLES]


def assert_same_warehouse(a: Workspace, b: Workspace) -> None:
    """Every table of `a`'s warehouse has exactly the rows of `b`'s (as multisets)."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{a.warehouse_path}' as wa (read_only)")
        con.execute(f"attach '{b.warehouse_path}' as wb (read_only)")
        tables = _tables(con, "wa")
        assert tables == _tables(con, "wb")
        assert len(tables) > 40
        for t in tables:
            for x, y in (("wa", "wb"), ("wb", "wa")):
                extra = con.execute(
                    f"select count(*) from (select * from {x}.main.{t} "
                    f"except all select * from {y}.main.{t})").fetchone()
                assert extra == (0,), f"{t}: rows in {x} not in {y}"
    finally:
        con.close()


def test_incremental_builds_match_full_builds(tmp_path: Path, frozen_project: Path) -> None:
    inbox = tmp_path / "inbox"
    generate(inbox, beneficiaries=120, start="2024-10", months=4, seed=11, aco_id=ACO)
    files = sorted((inbox / "deliveries").iterdir())
    # the CCLF deliveries created after 2025-01-10 (the January monthly and the run-out):
    # their CCLF9s are the first to carry two MBI changes of early January (seed 11), so
    # claims delivered months earlier under the old MBIs are re-keyed
    late_cclf = [p for p in files if ".ZC" in p.name and p.name.split(".")[4] > "D250110"]
    last_bnex = [p for p in files if ".BNEX." in p.name][-1]
    last_alr = [p for p in files if "ALR" in p.name][-1]
    first = [p for p in files if p not in (*late_cclf, last_bnex, last_alr)]
    assert len(late_cclf) == 2

    inc = init_workspace(tmp_path / "inc", aco_id=ACO, performance_year=2024)
    assert all(o.status == "published" for o in ingest(inc, first))
    r = build_warehouse(inc, docs=False)
    assert r.success and r.mode == "full", r.failures
    full_nodes = r.nodes
    built = inc.warehouse_path.stat().st_mtime_ns

    # nothing new: nothing rebuilt, the published file untouched
    r = build_warehouse(inc, docs=False)
    assert r.success and r.mode == "up-to-date" and r.nodes == 0
    assert inc.warehouse_path.stat().st_mtime_ns == built

    # an opt-out file, then an assignment report: only what depends on them
    assert all(o.status == "published" for o in ingest(inc, [last_bnex]))
    r = build_warehouse(inc, docs=False)
    assert r.success and r.mode == "incremental" and r.changed == ("bnex",), r.failures
    assert 0 < r.nodes < full_nodes / 2
    assert all(o.status == "published" for o in ingest(inc, [last_alr]))
    r = build_warehouse(inc, docs=False)
    assert r.success and r.mode == "incremental", r.failures
    assert set(r.changed) == {"alr_1_1", "alr_1_2", "alr_1_4"}
    assert 0 < r.nodes < full_nodes

    full = _twin(tmp_path / "full", [*first, last_bnex, last_alr])
    full_build = build_warehouse(full, docs=False)
    assert full_build.success and full_build.mode == "full"
    assert_same_warehouse(inc, full)
    assert read_state(inc.warehouse_path) == read_state(full.warehouse_path)

    # new CCLF deliveries: the claim models redo only the claims they can change, among
    # them claims delivered earlier that a new CCLF9 re-keys to another current MBI
    assert all(o.status == "published" for o in ingest(inc, late_cclf))
    r = build_warehouse(inc, docs=False)
    assert r.success and r.mode == "incremental" and "cclf5" in r.changed, r.failures
    redone, total = _claims_redone(inc)
    assert 0 < redone < total and r.claims_redone == redone
    assert _rekeyed_only(inc, [p.name.removesuffix(".zip") for p in late_cclf]) > 0
    full = _twin(tmp_path / "full-month", [*first, last_bnex, last_alr, *late_cclf])
    assert build_warehouse(full, docs=False).success
    assert_same_warehouse(inc, full)
    r = build_warehouse(inc, docs=False)
    assert r.success and r.mode == "up-to-date"

    # a change to the models, or --full-refresh: everything is rebuilt
    r = build_warehouse(inc, docs=False, full_refresh=True)
    assert r.success and r.mode == "full"
    model = frozen_project / "models" / "marts" / "mart_spend_claim_type_month.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n-- changed\n", encoding="utf-8")
    r = build_warehouse(inc, docs=False)
    assert r.success and r.mode == "full"


def _claims_redone(ws: Workspace) -> tuple[int, int]:
    """Claims the last build re-derived from final action on, and claims in the warehouse."""
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        redone = con.execute("select count(*) from int_claim_changes").fetchone()
        total = con.execute(
            "select count(*) from (select distinct cur_clm_uniq_id from int_final_action_part_a"
            " union all select distinct cur_clm_uniq_id from int_final_action_part_b"
            " union all select distinct cur_clm_uniq_id from int_final_action_dme"
            " union all select distinct cur_clm_uniq_id from int_final_action_part_d)").fetchone()
    finally:
        con.close()
    assert redone is not None and total is not None
    return int(redone[0]), int(total[0])


def _rekeyed_only(ws: Workspace, deliveries: list[str]) -> int:
    """Claims the last build re-versioned although no new delivery carried a row of them: the
    ones a new CCLF9 re-keyed."""
    files = {"part_a": ["stg_cclf1", "stg_cclf2", "stg_cclf3", "stg_cclf4"],
             "part_b": ["stg_cclf5"], "dme": ["stg_cclf6"], "part_d": ["stg_cclf7"]}
    new_rows = " union all ".join(
        f"select '{family}' as claim_family, cur_clm_uniq_id from {model} "
        f"where delivery_id in (select unnest(?))"
        for family, models in files.items() for model in models)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        row = con.execute(
            "select count(*) from int_claim_changes_delivered as c where not exists ("
            f"select 1 from ({new_rows}) as n where n.claim_family = c.claim_family "
            "and n.cur_clm_uniq_id = c.cur_clm_uniq_id)", [deliveries] * 7).fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0])


def _twin(root: Path, files: list[Path]) -> Workspace:
    """A second workspace holding the same deliveries, for a full build to compare with."""
    ws = init_workspace(root, aco_id=ACO, performance_year=2024)
    assert all(o.status == "published" for o in ingest(ws, files))
    return ws
