"""`aco report providers|facilities --from --to [--runout]`: provider scorecards and the
facility view, computed, published as metric tables (metrics.providers) and printed."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from aco_pipeline.cli.common import WorkspaceOption, fail, open_workspace
from aco_pipeline.cli.report import Format, _date, _emit, _period, report_app
from aco_pipeline.cli.report_care import exact

if TYPE_CHECKING:
    from aco_pipeline.config import Workspace
    from aco_pipeline.metrics.participants import Participants

ParticipantsOption = Annotated[Path | None, typer.Option(
    "--participants", help="CSV of the ACO's participant TINs (columns tin, npi, ccn); "
                           "default: aco.toml [network] participants_file.")]
RunoutOption = Annotated[str | None, typer.Option(
    "--runout", help="Claims loaded into the IDR on or before this date (IP v40 3.4); "
                     "default: everything delivered.")]


class ScorecardBy(StrEnum):
    tin = "tin"
    npi = "npi"


def _participants(ws: Workspace, path: Path | None) -> Participants | None:
    from aco_pipeline.metrics.participants import ParticipantsError, participants_for

    try:
        return participants_for(ws, path)
    except ParticipantsError as exc:
        fail(str(exc))


@report_app.command("providers")
def providers_cmd(
    date_from: Annotated[str, typer.Option("--from", help="First service date (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", help="Last service date (YYYY-MM-DD).")],
    runout: RunoutOption = None,
    by: Annotated[ScorecardBy, typer.Option(help="Rows per TIN or per TIN and NPI.")
                  ] = ScorecardBy.tin,
    participants: ParticipantsOption = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.json,
    workspace: WorkspaceOption = None,
) -> None:
    """Provider scorecard: panel, spend per person-year, ED and admission rates, leakage."""
    from aco_pipeline.errors import AcoError as ReportError
    from aco_pipeline.metrics.providers import compute_scorecard

    ws = open_workspace(workspace)
    start, end = _period(date_from, date_to)
    plist = _participants(ws, participants)
    try:
        table, _ = compute_scorecard(ws, start=start, end=end, runout=_date(runout, "--runout"),
                                     by=by.value, participants=plist)  # type: ignore[arg-type]
    except ReportError as exc:
        fail(str(exc))
    _emit(tuple(table.column_names), exact(table.to_pylist()), fmt)


@report_app.command("facilities")
def facilities_cmd(
    date_from: Annotated[str, typer.Option("--from", help="First service date (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", help="Last service date (YYYY-MM-DD).")],
    runout: RunoutOption = None,
    participants: ParticipantsOption = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.json,
    workspace: WorkspaceOption = None,
) -> None:
    """Facility view: spend and utilization per CCN, in or out of network."""
    from aco_pipeline.errors import AcoError as ReportError
    from aco_pipeline.metrics.providers import compute_facility_view

    ws = open_workspace(workspace)
    start, end = _period(date_from, date_to)
    plist = _participants(ws, participants)
    try:
        table, _ = compute_facility_view(ws, start=start, end=end,
                                         runout=_date(runout, "--runout"), participants=plist)
    except ReportError as exc:
        fail(str(exc))
    _emit(tuple(table.column_names), exact(table.to_pylist()), fmt)
