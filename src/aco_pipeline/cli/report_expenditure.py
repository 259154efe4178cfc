"""`aco report expenditure`: expenditure per person-year by the CMS guide's Appendix A phase 5
(Table 10, truncation thresholds; Table 11, truncation factors), computed for any period and
run-out and printed; it writes nothing (`aco build` stores the canonical periods as
`metric_expenditure_summary` and `metric_expenditure_beneficiary`).

Parameters come from `aco.toml [expenditure]`; the options override them (docs/expenditure.md).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from aco_pipeline.cli.common import WorkspaceOption, fail, open_workspace
from aco_pipeline.cli.output import Format, FormatOption, emit
from aco_pipeline.cli.report import _date, _period, report_app

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


def shown(value: Any, money: bool) -> Any:
    """Dollars to the cent; other decimals (person-years, factors) exactly as computed."""
    if isinstance(value, Decimal):
        return value.quantize(CENT) if money else value.normalize()
    return value


def printed_rows(table: Any, by: ExpenditureBy) -> list[dict[str, Any]]:
    """The rows as printed: summary money rows (unit dollars) and beneficiary money columns
    to the cent."""
    from aco_pipeline.metrics.expenditure_report import MONEY_BENEFICIARY_COLUMNS

    out = []
    for rec in table.to_pylist():
        if by is ExpenditureBy.summary:
            money = rec["unit"] == "dollars"
            out.append({c: shown(v, money) for c, v in rec.items()})
        else:
            out.append({c: shown(v, c in MONEY_BENEFICIARY_COLUMNS) for c, v in rec.items()})
    return out


@report_app.command("expenditure")
def expenditure_cmd(
    date_from: Annotated[str, typer.Option(
        "--from", help="First day of the report period (a month's first day).")],
    date_to: Annotated[str, typer.Option(
        "--to", help="Last day of the report period (a month's last day; at most 12 months).")],
    runout: Annotated[str | None, typer.Option(
        "--runout", help="Claims loaded into the IDR on or before this date (IP v40 3.4); "
                         "default: everything loaded.")] = None,
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
    by: Annotated[ExpenditureBy, typer.Option(
        help="Print the table rows (summary) or one row per MBI and enrollment type.")
    ] = ExpenditureBy.summary,
    fmt: FormatOption = Format.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Expenditure per person-year (CMS guide v4 Appendix A phase 5, Tables 10/11), counted
    person-months only (docs/expenditure.md)."""
    from aco_pipeline.errors import AcoError
    from aco_pipeline.metrics.expenditure_report import (
        WHERE,
        Period,
        beneficiary_table,
        compute,
        load_parameters,
        summary_table,
    )
    from aco_pipeline.warehouse.read import connect

    ws = open_workspace(workspace)
    start, end = _period(date_from, date_to)
    cutoff = _date(runout, "--runout")
    overrides = [name for name, given in (("--method", method),
                                          ("--completion-factor", completion_factor),
                                          ("--ncbp", ncbp), ("--threshold", threshold),
                                          ("--factor", factor)) if given]
    source = WHERE + (f", overridden by {', '.join(overrides)}" if overrides else "")
    try:
        period = Period(start, end)
        params = load_parameters(
            ws, method=None if method is None else method.value,
            completion_factor=completion_factor,
            ncbp_file=None if ncbp is None else ncbp.expanduser().resolve(),
            thresholds=_pairs(threshold, "--threshold"), factors=_pairs(factor, "--factor"))
        with connect(ws) as con:
            result = compute(con, period=period, runout=cutoff, parameters=params)
    except AcoError as exc:
        fail(str(exc))
    table = (summary_table(result) if by is ExpenditureBy.summary
             else beneficiary_table(result.inputs, params))
    emit(table.column_names, printed_rows(table, by), fmt,
         title="Expenditure per person-year (CMS guide App. A phase 5)",
         notes=result.notes(source))
