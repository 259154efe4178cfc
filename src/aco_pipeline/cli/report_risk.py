"""`aco report risk`: CMS-HCC prospective risk scores per beneficiary (metrics.risk), printed
(never written: `aco build` stores the canonical scores as metric_risk_scores /
metric_risk_hccs). Every output says whether the scores are normalised (notes)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from aco_pipeline.cli.common import WorkspaceOption, fail, open_workspace
from aco_pipeline.cli.output import Format, FormatOption, emit
from aco_pipeline.cli.report import report_app


class RiskBy(StrEnum):
    beneficiary = "beneficiary"
    summary = "summary"


SUMMARY_COLUMNS = ("group_by", "group", "beneficiaries", "mean_risk_score")


@report_app.command("risk")
def risk_cmd(
    payment_year: Annotated[int | None, typer.Option(
        "--payment-year", help="Payment year; the diagnoses are those of the year before "
                               "(CMS-HCC prospective). Default: the workspace's performance "
                               "year + 1, scored from the performance year's diagnoses.")
    ] = None,
    by: Annotated[RiskBy, typer.Option(
        help="One row per beneficiary, or counts and mean scores per segment.")
    ] = RiskBy.beneficiary,
    fmt: FormatOption = Format.table,
    workspace: WorkspaceOption = None,
) -> None:
    """CMS-HCC risk scores (V24/V28 blend, ESRD model, new enrollees) from the base year's
    diagnoses, with the normalisation and coding-adjustment factors used."""
    from aco_pipeline.errors import AcoError
    from aco_pipeline.metrics.risk import compute, notes, summary

    ws = open_workspace(workspace)
    year = payment_year if payment_year is not None else ws.performance_year + 1
    try:
        result = compute(ws, payment_year=year)
    except AcoError as exc:
        fail(str(exc))
    if by is RiskBy.summary:
        rows = summary(result.scores)
        columns: tuple[str, ...] = SUMMARY_COLUMNS
    else:
        columns = tuple(result.scores.column_names)
        rows = result.scores.to_pylist()
    emit(columns, rows, fmt, title=f"CMS-HCC risk scores, payment year {year}",
         notes=notes(result))
