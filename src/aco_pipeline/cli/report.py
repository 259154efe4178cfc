"""`aco report spend|enrollment|scope|service-category`: answers from the published warehouse
(printing conventions: cli/output.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import WorkspaceOption, fail, open_workspace
from aco_pipeline.cli.output import Format, FormatOption, emit

if TYPE_CHECKING:
    from aco_pipeline.warehouse.reports import Report

report_app = typer.Typer(help="Reports from the published warehouse.", no_args_is_help=True)
app.add_typer(report_app, name="report")


class SpendBy(StrEnum):
    beneficiary = "beneficiary"
    month = "month"
    category = "category"


class EnrollmentBy(StrEnum):
    beneficiary_month = "beneficiary-month"




# the period options every period report takes (one definition of their names and help)
FromOption = Annotated[str, typer.Option("--from", help="First service date (YYYY-MM-DD).")]
ToOption = Annotated[str, typer.Option("--to", help="Last service date (YYYY-MM-DD).")]
RunoutOption = Annotated[str | None, typer.Option(
    "--runout", help="Claims loaded into the IDR on or before this date (IP v40 3.4); "
                     "default: everything delivered.")]


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r} is not a date (YYYY-MM-DD)")


def _period(date_from: str, date_to: str) -> tuple[date, date]:
    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    assert start is not None and end is not None
    return start, end


def _run(make: Callable[[], Report], fmt: Format) -> None:
    """Run a report function and print it; a ReportError is a clean failure."""
    from aco_pipeline.errors import AcoError as ReportError

    try:
        rep = make()
    except ReportError as exc:
        fail(str(exc))
    _emit(rep.columns, rep.rows, fmt, rep.notes)


def _emit(columns: tuple[str, ...], rows: list[dict[str, Any]], fmt: Format,
          notes: tuple[str, ...] = ()) -> None:
    emit(columns, rows, fmt, notes=notes)


@report_app.command("spend")
def spend_cmd(
    date_from: FromOption,
    date_to: ToOption,
    runout: RunoutOption = None,
    by: Annotated[
        SpendBy, typer.Option(help="Rows per beneficiary, service month or claim type (category).")
    ] = SpendBy.beneficiary,
    fmt: FormatOption = Format.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Net paid by Medicare part (IP v40 5.4; total = Part A + Part B, Part D beside) per
    current MBI, service month (with how complete each month is: docs/completion.md) or
    claim type."""
    from aco_pipeline.metrics.completion import load_completion_config
    from aco_pipeline.metrics.spend import monthly_spend
    from aco_pipeline.warehouse.read import connect
    from aco_pipeline.warehouse.reports import spend

    ws = open_workspace(workspace)
    start, end = _period(date_from, date_to)
    cut = _date(runout, "--runout")

    def make() -> Report:
        if by is not SpendBy.month:
            return spend(ws, start=start, end=end, runout=cut, by=by.value)  # type: ignore[arg-type]
        config = load_completion_config(ws)
        with connect(ws) as con:
            return monthly_spend(con, start=start, end=end, runout=cut, config=config)

    _run(make, fmt)


@report_app.command("enrollment")
def enrollment_cmd(
    by: Annotated[EnrollmentBy, typer.Option(help="Row grain.")] = EnrollmentBy.beneficiary_month,
    fmt: FormatOption = Format.table,
    date_from: Annotated[str | None, typer.Option("--from", help="First month.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last month.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Enrollment type 0-4 per current MBI and month: CCLF-derived and the ALR's."""
    from aco_pipeline.warehouse.reports import enrollment

    ws = open_workspace(workspace)
    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    _run(lambda: enrollment(ws, start=start, end=end), fmt)


class PaidDate(StrEnum):
    load = "load"
    effective = "effective"


@report_app.command("scope")
def scope_cmd(
    date_from: Annotated[str, typer.Option("--from", help="First through date (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", help="Last through date (YYYY-MM-DD).")],
    runout: Annotated[str | None, typer.Option(
        "--runout", help="Claims paid on or before this date stay in scope; default: "
                         "everything delivered.")] = None,
    paid_date: Annotated[PaidDate, typer.Option(
        "--paid-date", help="Which date is 'paid' for the run-out: the IDR load date "
                            "(IP v40 3.4, as `aco report spend`) or the effective date "
                            "(the CMS guide's Appendix A).")] = PaidDate.load,
    fmt: FormatOption = Format.table,
    workspace: WorkspaceOption = None,
) -> None:
    """The CMS guide's Table 1 (Appendix A phase 1): records and dollars from all CCLF
    claim records to the claims in scope of the report period and run-out."""
    from aco_pipeline.warehouse.reports import scope

    ws = open_workspace(workspace)
    start, end = _period(date_from, date_to)
    _run(lambda: scope(ws, start=start, end=end, runout=_date(runout, "--runout"),
                       paid_date=paid_date.value), fmt)  # type: ignore[arg-type]


@report_app.command("service-category")
def service_category_cmd(
    date_from: FromOption,
    date_to: ToOption,
    runout: RunoutOption = None,
    fmt: FormatOption = Format.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Net paid and ED/office visits per service category and Medicare part (IP v40 5.4)."""
    from aco_pipeline.warehouse.reports import service_category

    ws = open_workspace(workspace)
    start, end = _period(date_from, date_to)
    _run(lambda: service_category(ws, start=start, end=end,
                                  runout=_date(runout, "--runout")), fmt)
