"""`aco report care --list ... --as-of DATE`: a care-management list (metrics.care), computed
on the published warehouse and printed; nothing is written (`aco build` stores the lists as
of the data's as-of date as `metric_care_*`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated

import typer

from aco_pipeline.cli.common import WorkspaceOption, fail, open_workspace
from aco_pipeline.cli.output import Format, FormatOption, emit
from aco_pipeline.cli.report import _date, report_app
from aco_pipeline.errors import AcoError


class CareListName(StrEnum):
    top_spenders = "top-spenders"
    frequent_ed = "frequent-ed"
    discharges = "discharges"
    rising_risk = "rising-risk"


TITLES = {
    "top-spenders": "Top spenders (Part A + B, 12 months)",
    "frequent-ed": "Frequent ED users (12 months)",
    "discharges": "Discharges without a follow-up visit",
    "rising-risk": "Rising risk (spend trend, 6 months against the 6 before)",
}


def _decimal(text: str | None, option: str) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        fail(f"{option} {text!r} is not a number")


@report_app.command("care")
def care_cmd(
    which: Annotated[CareListName, typer.Option("--list", help="Which care-management list.")],
    as_of: Annotated[str, typer.Option(
        "--as-of", help="Claims loaded on or before this date (YYYY-MM-DD); windows end "
                        "on it.")],
    top: Annotated[int | None, typer.Option(
        "--top", help="top-spenders: the N highest (default [care] top_n, 50).")] = None,
    top_percent: Annotated[str | None, typer.Option(
        "--top-percent", help="top-spenders: the top P percent instead of --top.")] = None,
    ed_visits: Annotated[int | None, typer.Option(
        "--ed-visits", help="frequent-ed: at least this many ED visit days in 12 months "
                            "(default 4).")] = None,
    followup_days: Annotated[int | None, typer.Option(
        "--followup-days", help="discharges: no follow-up visit within this many days "
                                "(default 7).")] = None,
    lookback_days: Annotated[int | None, typer.Option(
        "--lookback-days", help="discharges: of the last N days (default 60).")] = None,
    fmt: FormatOption = Format.table,
    workspace: WorkspaceOption = None,
) -> None:
    """A care manager's work list with the facts behind each flag (docs/care-management.md)."""
    from aco_pipeline.metrics.care import RiskScores, compute_list, load_care_config, risk_scores
    from aco_pipeline.warehouse.read import connect

    ws = open_workspace(workspace)
    day = _date(as_of, "--as-of")
    assert day is not None
    try:
        cfg = load_care_config(ws).with_overrides(
            top_n=top, top_percent=_decimal(top_percent, "--top-percent"),
            ed_visits=ed_visits, followup_days=followup_days,
            discharge_lookback_days=lookback_days)
        with connect(ws) as con:
            rising = which is CareListName.rising_risk
            scores = (risk_scores(con, ws, as_of=day) if rising
                      else RiskScores())
            table = compute_list(con, which.value, as_of=day, config=cfg,  # type: ignore[arg-type]
                                 scores=scores)
    except AcoError as exc:
        fail(str(exc))
    notes = [f"as of {day}: claims loaded into the IDR on or before it (IP v40 3.4); "
             "beneficiaries who died by then are left out",
             "spend = Medicare Part A + Part B (IP v40 5.3.1 step 5, 5.4); Part D not included",
             "attributed provider: the newest month of provider attribution in the warehouse",
             "ad-hoc run: printed only; the canonical lists (metric_care_*) are built by "
             "`aco build`"]
    if which is CareListName.rising_risk:
        notes.append(f"risk scores: {scores.source}")
    if which is CareListName.discharges:
        notes.append("a visit on the discharge day is not a follow-up; window_closed false "
                     "means the follow-up may still happen or not have arrived yet")
    emit(table.column_names, table.to_pylist(), fmt, title=TITLES[which.value], notes=notes)
