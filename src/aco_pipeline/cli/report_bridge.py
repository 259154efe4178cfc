"""`aco report bridge`: the reconciliation bridge from the total paid in the lake to every
report's total, step by step in dollars and claim records (aco_pipeline.metrics.bridge,
docs/bridge.md). Prints only; publishes nothing."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from aco_pipeline.cli.common import WorkspaceOption, fail, open_workspace
from aco_pipeline.cli.output import Format, FormatOption, emit
from aco_pipeline.cli.report import FromOption, RunoutOption, ToOption, _date, _period, report_app

if TYPE_CHECKING:
    import duckdb

    from aco_pipeline.config import Workspace
    from aco_pipeline.metrics.expenditure import TableRow


def expenditure_table(con: duckdb.DuckDBPyConnection, ws: Workspace, *, start: date,
                      end: date, runout: date | None
                      ) -> tuple[list[TableRow] | None, str | None, str | None]:
    """The expenditure report's table for the period with the `[expenditure]` parameters:
    (table, method, None), or (None, None, why the expenditure steps are left out)."""
    from aco_pipeline.config import load_section
    from aco_pipeline.metrics.expenditure_report import (
        SECTION,
        ExpenditureConfigError,
        Period,
        compute,
        load_parameters,
    )

    if not load_section(ws, SECTION):
        return None, None, ("no [expenditure] section in aco.toml: the bridge ends at the "
                            "counted-month spend (docs/expenditure.md)")
    try:
        period = Period(start, end)
    except ExpenditureConfigError as exc:
        return None, None, f"expenditure steps left out: {exc}"
    params = load_parameters(ws)
    result = compute(con, period=period, runout=runout, parameters=params)
    return result.table, params.method.value, None


@report_app.command("bridge")
def bridge_cmd(
    date_from: FromOption,
    date_to: ToOption,
    runout: RunoutOption = None,
    fmt: FormatOption = Format.table,
    workspace: WorkspaceOption = None,
) -> None:
    """From total paid in the lake to every report's total: duplicates, invalid, out of
    period, after run-out, not-enrolled, opted-out and unassigned months, then the
    expenditure adjustments (sequestration, IME/DSH/UCC, NCBP, truncation, completion)."""
    from aco_pipeline.errors import AcoError
    from aco_pipeline.metrics import bridge
    from aco_pipeline.warehouse.read import connect

    ws = open_workspace(workspace)
    start, end = _period(date_from, date_to)
    cutoff = _date(runout, "--runout")
    try:
        with connect(ws) as con:
            table, method, skipped = expenditure_table(con, ws, start=start, end=end,
                                                       runout=cutoff)
            result = bridge.compute(con, start=start, end=end, runout=cutoff,
                                    expenditure=table, method=method)
    except AcoError as exc:
        fail(str(exc))
    notes = [f"services {start} to {end}, claims loaded by "
             f"{'any date' if cutoff is None else cutoff}; amounts are signed (removals "
             "negative) and each running total is the sum of the steps above it",
             *([skipped] if skipped else []), *result.notes]
    emit(bridge.COLUMNS, result.rows(), fmt, title=f"{ws.aco_id}: reconciliation bridge",
         notes=notes)
