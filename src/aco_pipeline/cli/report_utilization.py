"""`aco report utilization`: events per 1,000 person-years and per-capita spending by
category (MSSP ACO PUF measures, docs/utilization.md), computed by
aco_pipeline.metrics.utilization, published as metric tables `utilization` and
`spend_category`, and printed."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import typer

from aco_pipeline.cli.common import WorkspaceOption, fail, open_workspace
from aco_pipeline.cli.report import Format, _date, _emit, _period, report_app


class UtilizationBy(StrEnum):
    total = "total"
    month = "month"
    enrollment_type = "enrollment-type"


class UtilizationTable(StrEnum):
    utilization = "utilization"
    spend_category = "spend-category"


UTILIZATION_COLUMNS = ("measure", "puf_column", "enrollment_type", "month", "count",
                       "denominator", "member_months", "person_years", "rate_per_1000",
                       "value", "unit")
SPEND_COLUMNS = ("category", "puf_column", "enrollment_type", "month", "net_paid",
                 "member_months", "person_years", "per_capita")


def _printable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Decimals as plain strings with their own places (person-years have four)."""
    return [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in r.items()} for r in rows]


@report_app.command("utilization")
def utilization_cmd(
    date_from: Annotated[str, typer.Option("--from", help="First service date (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", help="Last service date (YYYY-MM-DD).")],
    runout: Annotated[str | None, typer.Option(
        "--runout", help="Claims first loaded into the IDR on or before this date (IP v40 "
                         "3.4); default: everything delivered.")] = None,
    by: Annotated[UtilizationBy, typer.Option(
        help="Rows for the whole period, per month, or per enrollment type.")
    ] = UtilizationBy.total,
    table: Annotated[UtilizationTable, typer.Option(
        help="Which published table to print: rates per 1,000 or spend per category.")
    ] = UtilizationTable.utilization,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.json,
    workspace: WorkspaceOption = None,
) -> None:
    """Admissions, ED visits, CT/MRI, primary care services, SNF stays and readmissions per
    1,000 person-years, and per-capita spend by category; publishes metric tables
    `utilization` and `spend_category`."""
    from aco_pipeline.errors import AcoError as ReportError
    from aco_pipeline.metrics.utilization import UtilizationError, compute_and_publish, select

    ws = open_workspace(workspace)
    start, end = _period(date_from, date_to)
    try:
        result = compute_and_publish(ws, start=start, end=end, runout=_date(runout, "--runout"))
    except (UtilizationError, ReportError) as exc:
        fail(str(exc))
    if table is UtilizationTable.utilization:
        rows, columns = result.utilization, UTILIZATION_COLUMNS
    else:
        rows, columns = result.spend, SPEND_COLUMNS
    _emit(columns, _printable(select(rows, by.value)), fmt)  # type: ignore[arg-type]
