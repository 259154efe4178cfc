"""The data-status banner: newest delivery, claims run-out, last build, checks, months not
yet complete, read from the ledger and the published warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb

from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.ingest.ledger import Ledger
from aco_pipeline.ingest.pipeline import ledger_path
from aco_pipeline.web.access.principal import Role
from aco_pipeline.web.status import banner, incomplete_months
from aco_pipeline.web.warehouse import WarehouseHandle


@dataclass
class Services:
    workspace: Workspace
    warehouse: WarehouseHandle


def test_banner_reads_the_ledger_and_the_warehouse(built_aco) -> None:
    ws = built_aco.ws
    facts = banner(Services(ws, WarehouseHandle(ws)))
    assert facts is not None
    ledger = Ledger(ledger_path(ws))
    try:
        rows = ledger.deliveries()
    finally:
        ledger.close()
    published = [r for r in rows if r.status == "published"]
    newest = max(published, key=lambda r: (r.created or "", r.delivery_id))
    assert facts["newest_delivery"] == newest.delivery_id
    assert facts["deliveries_published"] == len(published)
    assert facts["checks_passed"] == sum(1 for r in rows for c in r.checks
                                         if c.get("passed") and not c.get("warning"))
    with duckdb.connect(str(ws.warehouse_path), read_only=True) as con:
        [(as_of,)] = con.execute("select max(as_of_date) from metric_period").fetchall()
    assert facts["claims_runout"] == as_of.isoformat()
    assert facts["last_build"] and facts["ok"] is (facts["checks_failed"] == 0
                                                   and not facts["data_quality_errors"])


def test_months_not_yet_complete() -> None:
    con = duckdb.connect()
    con.execute("create table metric_completion (claim_family varchar, service_month date, "
                "complete_percent decimal(7, 2))")
    con.executemany("insert into metric_completion values (?, ?, ?)", [
        ("total", date(2024, 9, 1), Decimal(100)), ("total", date(2024, 10, 1), Decimal("97.5")),
        ("part_a", date(2024, 11, 1), Decimal(80)), ("total", date(2024, 11, 1), Decimal(90)),
        ("total", date(2023, 12, 1), Decimal(50))])
    months = incomplete_months(con, 2024, date(2024, 11, 30))
    assert [(m["month"], m["complete_percent"], m["reason"]) for m in months] == [
        ("2024-10", Decimal("97.5"), "claims still arriving"),
        ("2024-11", Decimal(90), "claims still arriving"),
        ("2024-12", None, "month not over")]
    assert months[0]["complete_shown"] == "97.5%"


def test_no_data_yet(tmp_path) -> None:
    ws = init_workspace(tmp_path / "ws", aco_id="A9999", performance_year=2024)
    assert banner(Services(ws, WarehouseHandle(ws))) is None


def test_every_page_shows_the_banner(client_as) -> None:
    for role, url in ((Role.EXECUTIVE, "/executive"), (Role.FINANCE, "/finance"),
                      (Role.NETWORK, "/network")):
        html = client_as(role).get(url).text
        assert 'aria-label="Data status"' in html and "Not yet complete" in html, url
