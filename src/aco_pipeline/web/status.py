"""The data-status banner every page shows: how fresh and how complete the numbers are.

- newest delivery: the newest published delivery in the ingest ledger (`aco status`);
- claims run-out: the newest IDR load date of the published warehouse (the canonical
  periods' `as_of_date`, metric_period);
- last build: when the published warehouse was written (file time, or the Spark pointer's
  `built_at`);
- checks: the ingest checks of every delivery (passed / failed, quarantined deliveries count
  as failed) and the error rows of the published build's data-quality mart;
- months not yet complete: the PY's months after the last complete one, and complete months
  whose claims are estimated less than 100% complete (metric_completion, the Part A + B
  total row; docs/completion.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aco_pipeline.metrics.periods import add_months, last_complete_month
from aco_pipeline.warehouse import read
from aco_pipeline.web import tables

if TYPE_CHECKING:
    import duckdb

    from aco_pipeline.config import Workspace
    from aco_pipeline.web.warehouse import WarehouseHandle

FULL = Decimal(100)


@dataclass(frozen=True)
class DeliverySummary:
    newest_id: str | None
    newest_created: str | None
    published: int
    quarantined: int
    checks_passed: int
    checks_failed: int


def deliveries(ws: Workspace) -> DeliverySummary:
    """What the ingest ledger says (nothing ingested: zeros)."""
    from aco_pipeline.ingest.ledger import Ledger
    from aco_pipeline.ingest.pipeline import ledger_path

    path = ledger_path(ws)
    if not path.exists():
        return DeliverySummary(None, None, 0, 0, 0, 0)
    ledger = Ledger(path)
    try:
        rows = ledger.deliveries()
    finally:
        ledger.close()
    published = [r for r in rows if r.status == "published"]
    newest = max(published, key=lambda r: (r.created or "", r.delivery_id), default=None)
    passed = sum(1 for r in rows for c in r.checks if c.get("passed") and not c.get("warning"))
    failed = sum(1 for r in rows for c in r.checks if not c.get("passed")
                 and not c.get("warning"))
    quarantined = sum(1 for r in rows if r.status == "quarantined")
    return DeliverySummary(None if newest is None else newest.delivery_id,
                           None if newest is None else newest.created,
                           len(published), quarantined, passed, failed + quarantined)


def incomplete_months(con: duckdb.DuckDBPyConnection, performance_year: int,
                      as_of: date | None) -> list[dict[str, Any]]:
    """Months of the performance year whose figures are not final: not yet over as of the
    run-out date, or with claims estimated less than 100% complete."""
    out: list[dict[str, Any]] = []
    if "metric_completion" in read.tables(con):
        for month, percent in read.rows(con, """
                select service_month, complete_percent from metric_completion
                where claim_family = 'total' and complete_percent < 100
                  and year(service_month) = ? order by service_month""", [performance_year]):
            out.append({"month": f"{month:%Y-%m}", "complete_percent": percent,
                        "complete_shown": tables.percent(percent),
                        "reason": "claims still arriving"})
    if as_of is not None:
        month = add_months(last_complete_month(as_of), 1)
        while month.year <= performance_year:
            if month.year == performance_year:
                out.append({"month": f"{month:%Y-%m}", "complete_percent": None,
                            "complete_shown": None, "reason": "month not over"})
            month = add_months(month, 1)
    return out


def _built_at(handle: WarehouseHandle) -> str | None:
    ws = handle.workspace
    if ws.engine == "spark":
        from aco_pipeline.warehouse.build import spark_current

        current = spark_current(ws)
        return None if current is None else str(current.get("built_at") or "")
    try:
        mtime = ws.warehouse_path.stat().st_mtime
    except FileNotFoundError:
        return None
    return datetime.fromtimestamp(mtime, UTC).isoformat(timespec="seconds")


def banner(services: Any) -> dict[str, Any] | None:
    """The banner's facts for `services` (web.app.Services: workspace, warehouse), or None
    when the workspace has neither a ledger nor a warehouse."""
    ws: Workspace = services.workspace
    handle: WarehouseHandle = services.warehouse
    summary = deliveries(ws)
    built = _built_at(handle)
    if summary.newest_id is None and built is None:
        return None
    runout: date | None = None
    months: list[dict[str, Any]] = []
    quality_errors: int | None = None
    if built is not None:
        try:
            with handle.connect() as con:
                names = read.tables(con)
                if "metric_period" in names:
                    [(runout,)] = read.rows(con, "select max(as_of_date) from metric_period")
                months = incomplete_months(con, ws.performance_year, runout)
                if "mart_data_quality" in names:
                    [(quality_errors,)] = read.rows(
                        con, "select count(*) from mart_data_quality where severity = 'error'")
        except read.WarehouseReadError:
            built = None
    return {
        "aco_id": ws.aco_id,
        "performance_year": ws.performance_year,
        "newest_delivery": summary.newest_id,
        "newest_delivery_created": summary.newest_created,
        "deliveries_published": summary.published,
        "deliveries_quarantined": summary.quarantined,
        "claims_runout": runout.isoformat() if runout else None,
        "last_build": built,
        "checks_passed": summary.checks_passed,
        "checks_failed": summary.checks_failed,
        "data_quality_errors": quality_errors,
        "incomplete_months": months,
        "ok": summary.checks_failed == 0 and not quality_errors and built is not None,
    }
