"""The app reads the last published warehouse and keeps answering while `aco build`
publishes a new one, then shows the new data without a restart (issue 12).

On a copy of the built synthetic ACO: the published warehouse has no forecast (no
`[benchmark]`); aco.toml gains the demo `[expenditure]` and `[benchmark]`, and `aco build`
recomputes the canonical tables into a new file and publishes it by an atomic rename. Requests
are made *during* that build (from inside its canonical-metric step, so they certainly
overlap it, and from a request whose connection stays open across the rename): all succeed
and show the old data; after the rename the same app, not restarted, shows the forecast.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from aco_pipeline.cli.demo import write_demo_parameters
from aco_pipeline.config import load_workspace
from aco_pipeline.warehouse import build
from aco_pipeline.web.access.principal import Role
from aco_pipeline.web.app import create_app
from aco_pipeline.web.warehouse import WarehouseHandle
from tests.synthetic_aco import BuiltAco
from tests.web.conftest import client_factory


def figures(response) -> dict:
    assert response.status_code == 200, response.text
    body = json.loads(response.text, parse_float=Decimal)
    return {f["key"]: f["value"] for tab in body["tabs"] for f in tab["figures"]}


def test_requests_during_a_publish_succeed_and_the_new_build_appears(
        built_aco: BuiltAco, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ws"
    shutil.copytree(built_aco.ws.root, root)
    ws = load_workspace(root)
    app = create_app(ws)
    client = client_factory(app)(Role.FINANCE)
    handle = app.state.services.warehouse
    assert "savings" not in figures(client.get("/api/executive"))
    published = handle.version()
    during: list[int] = []
    seen_during: list[dict] = []
    real = build.write_canonical

    def canonical_with_requests(db, workspace):
        for url in ("/executive", "/finance", "/api/finance", "/executive?period=2024-11"):
            during.append(client.get(url).status_code)
        seen_during.append(figures(client.get("/api/executive")))
        out = real(db, workspace)
        during.append(client.get("/finance?tab=benchmark").status_code)
        seen_during.append(figures(client.get("/api/executive")))
        return out

    monkeypatch.setattr(build, "write_canonical", canonical_with_requests)
    write_demo_parameters(ws)
    with handle.connect() as in_flight:  # a request that holds the old file across the swap
        before = in_flight.execute("select count(*) from metric_forecast").fetchone()[0]
        result = build.build_warehouse(ws, docs=False)
        assert result.success and result.published and result.mode == "metrics"
        assert in_flight.execute("select count(*) from metric_forecast").fetchone()[0] == before
        # while that connection is still open, a new request already sees the new file
        after = figures(client.get("/api/executive"))
    assert during and all(code == 200 for code in during), during
    assert seen_during and all("savings" not in f for f in seen_during)
    assert before == 0 and "savings" in after and isinstance(after["savings"], Decimal)
    assert handle.version() != published
    page = client.get("/executive")
    assert page.status_code == 200 and "Projected savings" in page.text


def _publish_spark(ws_root: Path, source: Path, schema: str, skip_period: str | None) -> None:
    """Publish the canonical tables of `source` the way a Spark build does: Parquet folders
    in <warehouse>/spark/<schema>.db and the CURRENT.json pointer replaced atomically."""
    import os

    import duckdb

    location = ws_root / "warehouse" / "spark" / f"{schema}.db"
    with duckdb.connect(str(source), read_only=True) as con:
        names = [n for (n,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_name like 'metric_%' or table_name like 'mart_%'").fetchall()]
        for name in names:
            folder = location / name
            folder.mkdir(parents=True)
            where = f"where period_id <> '{skip_period}'" if skip_period and name.startswith(
                "metric_") and "period_id" in [c for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_name = ?",
                    [name]).fetchall()] else ""
            con.execute(f"copy (select * from \"{name}\" {where}) to "
                        f"'{folder / 'part-00000.parquet'}' (format parquet)")
    pointer = location.parent / "CURRENT.json"
    tmp = location.parent / ".pointer.tmp"
    tmp.write_text(json.dumps({"schema": schema, "location": str(location),
                               "method": "session", "built_at": schema}), encoding="utf-8")
    os.replace(tmp, pointer)


def test_a_spark_published_warehouse_reads_the_same_and_follows_its_pointer(
        built_aco: BuiltAco, tmp_path: Path, client_as) -> None:
    from aco_pipeline.config import init_workspace

    ws = init_workspace(tmp_path / "spark-ws", aco_id=built_aco.ws.aco_id,
                        performance_year=built_aco.ws.performance_year, engine="spark")
    _publish_spark(ws.root, built_aco.ws.warehouse_path, "s1", None)
    spark_client = client_factory(create_app(ws))(Role.FINANCE)
    duck = json.loads(client_as(Role.FINANCE).get("/api/finance?period=2024-Q4").text,
                      parse_float=Decimal)
    spark = json.loads(spark_client.get("/api/finance?period=2024-Q4").text,
                       parse_float=Decimal)
    for name in ("categories", "service-categories", "as-paid-completed-table"):
        rows = [next(t["tables"][name]["rows"] for t in body["tabs"] if name in t["tables"])
                for body in (duck, spark)]
        assert rows[0] and rows[0] == rows[1], name
    version = WarehouseHandle(ws).version()
    _publish_spark(ws.root, built_aco.ws.warehouse_path, "s2", "2024-Q4")
    assert spark_client.get("/api/finance?period=2024-Q4").status_code == 400  # gone in s2
    assert spark_client.get("/api/finance?period=2024-Q3").status_code == 200
    assert WarehouseHandle(ws).version() != version


def test_before_the_first_build_pages_say_so(core_client_as, core_ws) -> None:
    handle = WarehouseHandle(core_ws)
    assert handle.version() == "none" and not handle.published
    client = core_client_as(Role.ANALYST)
    for url in ("/executive", "/finance", "/network", "/provider"):
        page = client.get(url)
        assert page.status_code == 503 and "aco build" in page.text, url
    assert client.get("/api/finance").status_code == 503
