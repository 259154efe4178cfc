"""`aco report tieout`: the CCLF vs ALR tie-out of the CMS guide's Appendix A phases 2-3 and
Appendix B (aco_pipeline.metrics.tieout), computed for a period and run-out and one section
printed; it writes nothing (`aco build` stores the performance year to date as `metric_tieout_*`).

The beneficiaries section lists MBIs (PHI): it goes to stdout for the user only; errors never
name a beneficiary.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from aco_pipeline.cli.common import WorkspaceOption, fail, open_workspace
from aco_pipeline.cli.output import Format, FormatOption, emit
from aco_pipeline.cli.report import RunoutOption, _date, _period, report_app


class Section(StrEnum):
    beneficiaries = "beneficiaries"
    summary = "summary"
    expenditure = "expenditure"
    enrollment = "enrollment"


@report_app.command("tieout")
def tieout_cmd(
    date_from: Annotated[str, typer.Option("--from", help="First through date (YYYY-MM-DD).")],
    date_to: Annotated[str, typer.Option("--to", help="Last through date (YYYY-MM-DD).")],
    runout: RunoutOption = None,
    section: Annotated[Section, typer.Option(
        help="beneficiaries: one row per MBI with group and reasons (PHI); summary: group x "
             "reason counts and dollars; expenditure: the guide's Tables 3/5 comparison "
             "groups; enrollment: ALR vs CCLF enrollment type per month.")] = Section.summary,
    alr: Annotated[str | None, typer.Option(
        "--alr", help="ALR table 1-1 delivery id to compare with; default: the newest ALR "
                      "whose report period holds the month of --to.")] = None,
    fmt: FormatOption = Format.table,
    workspace: WorkspaceOption = None,
) -> None:
    """CCLF vs ALR tie-out (CMS guide App. A phases 2-3, App. B): who is in the CCLF only, the
    ALR only or both, and why; their CCLF expenditure; the enrollment-type crosstab."""
    from aco_pipeline.errors import AcoError
    from aco_pipeline.metrics.tieout import notes, tieout
    from aco_pipeline.warehouse.read import connect

    ws = open_workspace(workspace)
    start, end = _period(date_from, date_to)
    try:
        with connect(ws) as con:
            result = tieout(con, start=start, end=end, runout=_date(runout, "--runout"),
                            alr=alr)
    except AcoError as exc:
        fail(str(exc))
    report = result.section(section.value)
    emit(report.columns, report.rows, fmt, title=f"CCLF vs ALR tie-out: {section.value}",
         notes=notes(result))
