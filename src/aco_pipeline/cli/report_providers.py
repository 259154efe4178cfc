"""`aco report providers|facilities --from --to [--runout]`: provider scorecards and the
facility view (metrics.providers), computed on the published warehouse and printed; nothing
is written (`aco build` stores the canonical periods as `metric_provider_scorecard_*` and
`metric_facility_view`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from aco_pipeline.cli.common import WorkspaceOption, fail, open_workspace
from aco_pipeline.cli.output import Format, FormatOption, emit
from aco_pipeline.cli.report import (
    FromOption,
    RunoutOption,
    ToOption,
    _date,
    _period,
    report_app,
)
from aco_pipeline.errors import AcoError

if TYPE_CHECKING:
    from aco_pipeline.config import Workspace
    from aco_pipeline.metrics.participants import Participants

ParticipantsOption = Annotated[Path | None, typer.Option(
    "--participants", help="CSV of the ACO's participant TINs (columns tin, npi, ccn); "
                           "default: aco.toml [network] participants_file.")]


class ScorecardBy(StrEnum):
    tin = "tin"
    npi = "npi"


def _participants(ws: Workspace, path: Path | None) -> Participants | None:
    from aco_pipeline.metrics.participants import participants_for

    try:
        return participants_for(ws, path)
    except AcoError as exc:
        fail(str(exc))


def _notes(runout: object, participants: Participants | None) -> list[str]:
    return [
        f"run-out: {runout or 'everything delivered'} (IDR load date, IP v40 3.4)",
        "spend = Medicare Part A + Part B by the part that paid (IP v40 5.3.1 step 5, 5.4)",
        f"participant list: {participants.source}" if participants
        else "no participant list: leakage and network columns are empty",
        "ad-hoc run: printed only; the canonical periods are built by `aco build`",
    ]


@report_app.command("providers")
def providers_cmd(
    date_from: FromOption,
    date_to: ToOption,
    runout: RunoutOption = None,
    by: Annotated[ScorecardBy, typer.Option(help="Rows per TIN or per TIN and NPI.")
                  ] = ScorecardBy.tin,
    participants: ParticipantsOption = None,
    fmt: FormatOption = Format.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Provider scorecard: panel, spend per person-year, ED and admission rates, leakage."""
    from aco_pipeline.metrics.providers import scorecard
    from aco_pipeline.warehouse.read import connect

    ws = open_workspace(workspace)
    start, end = _period(date_from, date_to)
    cutoff = _date(runout, "--runout")
    plist = _participants(ws, participants)
    try:
        with connect(ws) as con:
            table = scorecard(con, start=start, end=end, runout=cutoff,
                              by=by.value, participants=plist)  # type: ignore[arg-type]
    except AcoError as exc:
        fail(str(exc))
    notes = [f"panel: attribution of {end:%Y-%m} (docs/providers.md); person-years and "
             "numerators from counted person-months only (fct_member_month.is_counted)",
             *_notes(cutoff, plist)]
    emit(table.column_names, table.to_pylist(), fmt,
         title=f"Provider scorecard by {by.value}, {start} to {end}", notes=notes)


@report_app.command("facilities")
def facilities_cmd(
    date_from: FromOption,
    date_to: ToOption,
    runout: RunoutOption = None,
    participants: ParticipantsOption = None,
    fmt: FormatOption = Format.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Facility view: spend and utilization per CCN, in or out of network."""
    from aco_pipeline.metrics.providers import facility_view
    from aco_pipeline.warehouse.read import connect

    ws = open_workspace(workspace)
    start, end = _period(date_from, date_to)
    cutoff = _date(runout, "--runout")
    plist = _participants(ws, participants)
    try:
        with connect(ws) as con:
            table = facility_view(con, start=start, end=end, runout=cutoff,
                                  participants=plist)
    except AcoError as exc:
        fail(str(exc))
    emit(table.column_names, table.to_pylist(), fmt,
         title=f"Facilities (CCLF1 claims), {start} to {end}", notes=_notes(cutoff, plist))
