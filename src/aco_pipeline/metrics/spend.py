"""Canonical spend tables: net paid by Medicare part and by service category, per period.

The figures are those of `aco report spend` and `aco report service-category` (the same
functions in warehouse.reports, over `fct_claim_payment` and `mart_service_category_payment`),
for every canonical period (metrics.periods) with no run-out cut-off (everything loaded by the
warehouse's as-of date):

- `metric_spend`: period x Part A / Part B / total (A + B) / Part D beneficiary-paid;
- `metric_spend_claim_type`: the same per claim family and claim type, with its label;
- `metric_service_category`: net paid and claim-based visits per service category and
  Medicare part.

Spend here is every payment of the period's services (IP v40 5.3.1, the CMS guide's Table 1
row 8): no enrollment or assignment filter. Per-capita figures use the counted person-months
(metrics.utilization's `spend_category`, metrics.expenditure_report); `aco report bridge`
shows the steps from one to the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from aco_pipeline.config import Workspace
from aco_pipeline.metrics.completion import CompletionConfig, completion
from aco_pipeline.metrics.periods import MetricPeriod, stack
from aco_pipeline.warehouse.read import money
from aco_pipeline.warehouse.reports import Report, service_category, spend

if TYPE_CHECKING:
    import duckdb

MONEY = pa.decimal128(18, 2)
SPEND_SCHEMA = pa.schema([
    ("part_a_paid", MONEY), ("part_b_paid", MONEY), ("total_paid", MONEY),
    ("part_d_beneficiary_paid", MONEY),
])
CLAIM_TYPE_SCHEMA = pa.schema([
    ("claim_family", pa.string()), ("clm_type_cd", pa.string()),
    ("clm_type_label", pa.string()), *SPEND_SCHEMA,
])
SERVICE_CATEGORY_SCHEMA = pa.schema([
    ("service_category", pa.string()), ("medicare_part", pa.string()),
    ("net_paid", MONEY), ("claim_visits", pa.int64()),
])


def _table(report: Report, schema: pa.Schema) -> pa.Table:
    rows: list[Mapping[str, Any]] = [{f.name: r.get(f.name) for f in schema}
                                     for r in report.rows]
    return pa.Table.from_pylist(rows, schema=schema)


def period_spend(con: duckdb.DuckDBPyConnection, period: MetricPeriod) -> pa.Table:
    """One row: the period's spend by Medicare part (no run-out cut-off)."""
    months = spend(con, start=period.period_start, end=period.period_end, by="month")
    total: dict[str, Any] = {f.name: sum((r[f.name] for r in months.rows), start=0)
                             for f in SPEND_SCHEMA}
    return pa.Table.from_pylist([total], schema=SPEND_SCHEMA)


def monthly_spend(con: duckdb.DuckDBPyConnection, *, start: date, end: date,
                  runout: date | None, config: CompletionConfig) -> Report:
    """`aco report spend --by month` with how complete each month is: the as-paid total beside
    the completed one (metrics.completion: configured factors, or the chain ladder over the
    ACO's own history as of the run-out, or the newest load date without one)."""
    report = spend(con, start=start, end=end, runout=runout, by="month")
    as_of = runout or newest_load_date(con)
    if as_of is None or not report.rows:
        return report
    result = completion(con, as_of=as_of, config=config)
    cells = result.cells()
    rows = []
    for row in report.rows:
        cell = cells.get(("total", row["month"]))
        factor = cell.completion_factor if cell is not None else None
        rows.append({**row,
                     "complete_percent": cell.complete_percent if cell else None,
                     "completed_total_paid": (money(row["total_paid"] * factor)
                                              if factor is not None else None)})
    return Report((*report.columns, "complete_percent", "completed_total_paid"), rows,
                  notes=(*report.notes, *result.notes()))


def newest_load_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The newest IDR load date of any payment: what the warehouse knows as of."""
    [(value,)] = con.execute("select max(clm_idr_ld_dt) from fct_claim_payment").fetchall()
    return value if isinstance(value, date) else None


def canonical(con: duckdb.DuckDBPyConnection, ws: Workspace,
              periods: Sequence[MetricPeriod]) -> dict[str, pa.Table]:
    """`spend`, `spend_claim_type` and `service_category` for every period."""
    return {
        "spend": stack([(p, period_spend(con, p)) for p in periods], SPEND_SCHEMA),
        "spend_claim_type": stack(
            [(p, _table(spend(con, start=p.period_start, end=p.period_end, by="category"),
                        CLAIM_TYPE_SCHEMA)) for p in periods], CLAIM_TYPE_SCHEMA),
        "service_category": stack(
            [(p, _table(service_category(con, start=p.period_start, end=p.period_end),
                        SERVICE_CATEGORY_SCHEMA)) for p in periods], SERVICE_CATEGORY_SCHEMA),
    }
