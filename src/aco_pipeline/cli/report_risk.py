"""`aco report risk`: CMS-HCC prospective risk scores per beneficiary (metrics.risk), published
as metric tables `risk_scores` and `risk_hccs` and printed as JSON or CSV.

Scores are printed as exact decimals with three places (strings in JSON), never floats.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import typer

from aco_pipeline.cli.common import WorkspaceOption, err_console, fail, open_workspace
from aco_pipeline.cli.report import Format, _emit, report_app


class RiskBy(StrEnum):
    beneficiary = "beneficiary"
    summary = "summary"


def _three_places(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.3f}"
    if isinstance(value, list):
        return " ".join(map(str, value))
    return value


@report_app.command("risk")
def risk_cmd(
    payment_year: Annotated[int | None, typer.Option(
        "--payment-year", help="Payment (performance) year; default: the workspace's.")] = None,
    by: Annotated[RiskBy, typer.Option(
        help="One row per beneficiary, or counts and mean scores per segment.")
    ] = RiskBy.beneficiary,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.json,
    workspace: WorkspaceOption = None,
) -> None:
    """CMS-HCC risk scores (V24/V28 blend, ESRD model, new enrollees) from the base year's
    diagnoses; publishes metric tables risk_scores and risk_hccs."""
    from aco_pipeline.metrics.risk import RiskError, publish_risk, summary

    ws = open_workspace(workspace)
    year = payment_year if payment_year is not None else ws.performance_year
    try:
        result = publish_risk(ws, payment_year=year)
    except RiskError as exc:
        fail(str(exc))
    p = result.parameters
    err_console().print(
        f"published risk_scores ({p['beneficiaries']} beneficiaries) and risk_hccs for payment "
        f"year {year}; diagnoses {p['diagnosis_start']}..{p['diagnosis_end']}", highlight=False)
    if by is RiskBy.summary:
        rows = summary(result.scores)
        columns: tuple[str, ...] = ("group_by", "group", "beneficiaries", "mean_risk_score")
    else:
        columns = tuple(result.scores.column_names)
        rows = result.scores.to_pylist()
    _emit(columns, [{c: _three_places(r[c]) for c in columns} for r in rows], fmt)
