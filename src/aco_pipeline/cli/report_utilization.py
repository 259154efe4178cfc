"""`aco report utilization`: events per 1,000 person-years and per-capita spending by
category (MSSP ACO PUF measures, docs/utilization.md), computed by
aco_pipeline.metrics.utilization for any period and run-out and printed. It writes nothing:
the canonical tables metric_utilization / metric_spend_category are built by `aco build`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from aco_pipeline.cli.common import WorkspaceOption, fail, open_workspace
from aco_pipeline.cli.output import Format, FormatOption, emit
from aco_pipeline.cli.report import FromOption, ToOption, _date, _period, report_app


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
SPEND_COLUMNS = ("category", "puf_column", "enrollment_type", "month", "part_a_paid",
                 "part_b_paid", "total_paid", "member_months", "person_years", "per_capita")


@report_app.command("utilization")
def utilization_cmd(
    date_from: FromOption,
    date_to: ToOption,
    runout: Annotated[str | None, typer.Option(
        "--runout", help="Claims first loaded into the IDR on or before this date (IP v40 "
                         "3.4); default: everything delivered.")] = None,
    by: Annotated[UtilizationBy, typer.Option(
        help="Rows for the whole period, per month, or per enrollment type.")
    ] = UtilizationBy.total,
    table: Annotated[UtilizationTable, typer.Option(
        help="Rates per 1,000 person-years, or spend per category.")
    ] = UtilizationTable.utilization,
    fmt: FormatOption = Format.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Admissions, ED visits (PUF), CT/MRI, primary care services, SNF stays and readmissions
    per 1,000 person-years, and per-capita spend by category, for any period (printed only;
    `aco build` stores the canonical periods as metric_utilization / metric_spend_category)."""
    from aco_pipeline.errors import AcoError
    from aco_pipeline.metrics.utilization import compute, notes, select

    ws = open_workspace(workspace)
    start, end = _period(date_from, date_to)
    try:
        result = compute(ws, start=start, end=end, runout=_date(runout, "--runout"))
    except AcoError as exc:
        fail(str(exc))
    if table is UtilizationTable.utilization:
        rows, columns, title = result.utilization, UTILIZATION_COLUMNS, "Utilization"
    else:
        rows, columns, title = result.spend, SPEND_COLUMNS, "Spend by category"
    emit(columns, select(rows, by.value), fmt,  # type: ignore[arg-type]
         title=f"{title} {start}..{end}", notes=notes(result))
