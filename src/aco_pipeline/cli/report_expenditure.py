"""`aco report expenditure`: expenditure per person-year by the CMS guide's Appendix A phase 5
(Table 10, truncation thresholds; Table 11, truncation factors), published as the metric tables
`expenditure_summary` and `expenditure_beneficiary` and printed from what was published.

Parameters come from `aco.toml [expenditure]`; the options override them (docs/expenditure.md).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from aco_pipeline.cli.common import WorkspaceOption, err_console, fail, open_workspace
from aco_pipeline.cli.report import Format, _date, _emit, _period, report_app

CENT = Decimal("0.01")


class ExpenditureMethod(StrEnum):
    thresholds = "thresholds"
    factors = "factors"


class ExpenditureBy(StrEnum):
    summary = "summary"
    beneficiary = "beneficiary"


def _pairs(values: list[str] | None, option: str) -> dict[str, str] | None:
    """`TYPE=VALUE` options (esrd, disabled, aged_dual, aged_non_dual) as a mapping."""
    if not values:
        return None
    out: dict[str, str] = {}
    for text in values:
        key, sep, value = text.partition("=")
        if not sep or not key.strip() or not value.strip():
            fail(f"{option} {text!r}: expected TYPE=VALUE, e.g. {option} esrd=100000")
        out[key.strip().lower()] = value.strip()
    return out


def _text(value: Any, money: bool) -> Any:
    if isinstance(value, Decimal):
        return f"{value.quantize(CENT):.2f}" if money else f"{value.normalize():f}"
    return value


def _rows(table: Any, by: ExpenditureBy) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    columns = tuple(table.column_names)
    out = []
    for rec in table.to_pylist():
        if by is ExpenditureBy.summary:
            money = rec["unit"] == "dollars"
            out.append({c: _text(v, money) for c, v in rec.items()})
        else:
            out.append({c: _text(v, c != "person_years") for c, v in rec.items()})
    return columns, out


@report_app.command("expenditure")
def expenditure_cmd(
    date_from: Annotated[str, typer.Option(
        "--from", help="First day of the report period (a month's first day).")],
    date_to: Annotated[str, typer.Option(
        "--to", help="Last day of the report period (a month's last day; at most 12 months).")],
    runout: Annotated[str, typer.Option(
        "--runout", help="Claims loaded into the IDR on or before this date (IP v40 3.4).")],
    method: Annotated[ExpenditureMethod | None, typer.Option(
        help="thresholds = Tracks 1/2 (Table 10), factors = Track 3/prospective (Table 11); "
             "default: aco.toml [expenditure] method.")] = None,
    completion_factor: Annotated[str | None, typer.Option(
        "--completion-factor", help="E.g. 1.072 (adds 7.2%); default: aco.toml.")] = None,
    ncbp: Annotated[Path | None, typer.Option(
        "--ncbp", help="Non-claims based payments CSV (mbi, month, amount); default: "
                       "aco.toml [expenditure] ncbp_file, else none.")] = None,
    threshold: Annotated[list[str] | None, typer.Option(
        "--threshold", help="TYPE=DOLLARS truncation threshold (esrd, disabled, aged_dual, "
                            "aged_non_dual); repeatable; overrides aco.toml.")] = None,
    factor: Annotated[list[str] | None, typer.Option(
        "--factor", help="TYPE=FRACTION truncation factor (0.0122 for 1.22%); repeatable; "
                         "overrides aco.toml.")] = None,
    assigned_only: Annotated[bool | None, typer.Option(
        "--assigned-only/--all-months", help="Count only months the ALR lists the beneficiary "
                                             "as assigned; default: aco.toml, else all.",
        show_default=False)] = None,
    by: Annotated[ExpenditureBy, typer.Option(
        help="Print the table rows (summary) or one row per MBI and enrollment type.")
    ] = ExpenditureBy.summary,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.json,
    workspace: WorkspaceOption = None,
) -> None:
    """Expenditure per person-year (CMS guide v4 Appendix A phase 5, Tables 10/11)."""
    from aco_pipeline.errors import AcoError as ReportError
    from aco_pipeline.metrics import store
    from aco_pipeline.metrics.expenditure_report import (
        BENEFICIARY_TABLE,
        SUMMARY_TABLE,
        ExpenditureConfigError,
        NcbpFileError,
        Period,
        compute,
        load_parameters,
        publish,
    )

    ws = open_workspace(workspace)
    start, end = _period(date_from, date_to)
    cutoff = _date(runout, "--runout")
    try:
        period = Period(start, end)
        params = load_parameters(
            ws, method=None if method is None else method.value,
            completion_factor=completion_factor,
            ncbp_file=None if ncbp is None else ncbp.expanduser().resolve(),
            thresholds=_pairs(threshold, "--threshold"), factors=_pairs(factor, "--factor"),
            assigned_only=assigned_only)
        result = compute(ws, period=period, runout=cutoff, parameters=params)
        publish(ws, result)
    except (ExpenditureConfigError, NcbpFileError, ReportError) as exc:
        fail(str(exc))
    excluded = result.inputs.excluded
    if excluded.beneficiary_months:
        err_console().print(
            f"note: {excluded.beneficiary_months} beneficiary-months without a counted "
            f"enrollment type left out: paid ${excluded.paid:,.2f}, NCBP "
            f"${excluded.ncbp:,.2f} (docs/expenditure.md)", highlight=False)
    table = store.read(ws, SUMMARY_TABLE if by is ExpenditureBy.summary else BENEFICIARY_TABLE)
    columns, rows = _rows(table, by)
    _emit(columns, rows, fmt)
