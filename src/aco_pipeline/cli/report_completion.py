"""`aco report completion`: per service month, as-paid beside completed, with how complete each
month is and which completion factors were used (metrics.completion, docs/completion.md)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from aco_pipeline.cli.common import WorkspaceOption, fail, open_workspace
from aco_pipeline.cli.output import Format, FormatOption, emit
from aco_pipeline.cli.report import _date, report_app

COLUMNS = ("service_month", "claim_family", "age_months", "as_paid", "complete_percent",
           "completion_factor", "completed")


class FamilyChoice(StrEnum):
    total = "total"
    part_a = "part_a"
    part_b = "part_b"
    dme = "dme"
    part_d = "part_d"
    all = "all"


@report_app.command("completion")
def completion_cmd(
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Payments loaded into the IDR on or before this date (YYYY-MM-DD); "
                        "default: the newest load date.")] = None,
    date_from: Annotated[str | None, typer.Option(
        "--from", help="First service month shown (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option(
        "--to", help="Last service month shown (YYYY-MM-DD).")] = None,
    family: Annotated[FamilyChoice, typer.Option(
        "--family", help="total (Part A + B, default), one claim family, or all.")
    ] = FamilyChoice.total,
    fmt: FormatOption = Format.table,
    workspace: WorkspaceOption = None,
) -> None:
    """As-paid and completed spend per service month, and how complete each month is."""
    from aco_pipeline.errors import AcoError
    from aco_pipeline.metrics.completion import (
        FAMILIES,
        TOTAL,
        completion,
        load_completion_config,
        newest_load_date,
    )
    from aco_pipeline.warehouse.read import connect

    ws = open_workspace(workspace)
    day = _date(as_of, "--as-of")
    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    families = (*FAMILIES, TOTAL) if family is FamilyChoice.all else (family.value,)
    try:
        config = load_completion_config(ws)
        with connect(ws) as con:
            day = day or newest_load_date(con)
            if day is None:
                fail("the warehouse has no payments; ingest a delivery and `aco build`")
            result = completion(con, as_of=day, config=config)
    except AcoError as exc:
        fail(str(exc))
    months = [m for m in result.service_months()
              if (start is None or m >= start.replace(day=1))
              and (end is None or m <= end)]
    cells = result.cells(months)
    rows = [cells[(f, m)].record() for m in months for f in families]
    notes = [f"as of {day}: payments loaded into the IDR on or before it (IP v40 3.4)",
             *result.notes()]
    emit(COLUMNS, rows, fmt, notes=notes)
