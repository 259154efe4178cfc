"""`aco report care --list ... --as-of DATE`: care-management lists, computed, published as
metric tables (metrics.care) and printed as JSON or CSV."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any

import typer

from aco_pipeline.cli.common import WorkspaceOption, fail, open_workspace
from aco_pipeline.cli.report import Format, _date, _emit, report_app


class CareListName(StrEnum):
    top_spenders = "top-spenders"
    frequent_ed = "frequent-ed"
    discharges = "discharges"
    rising_risk = "rising-risk"


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
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.json,
    workspace: WorkspaceOption = None,
) -> None:
    """A care manager's work list with the facts behind each flag (docs/care-management.md)."""
    from aco_pipeline.errors import AcoError as ReportError
    from aco_pipeline.metrics.care import CareConfigError, compute_list, load_care_config

    ws = open_workspace(workspace)
    day = _date(as_of, "--as-of")
    assert day is not None
    try:
        cfg = load_care_config(ws).with_overrides(
            top_n=top, top_percent=_decimal(top_percent, "--top-percent"),
            ed_visits=ed_visits, followup_days=followup_days,
            discharge_lookback_days=lookback_days)
        table, _ = compute_list(ws, which.value, as_of=day, config=cfg)  # type: ignore[arg-type]
    except (CareConfigError, ReportError) as exc:
        fail(str(exc))
    _emit(tuple(table.column_names), exact(table.to_pylist()), fmt)


def exact(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Decimals that are not cents (scores, shares, person-years) as exact strings, since the
    shared printer writes every Decimal with two places."""
    return [{k: str(v) if isinstance(v, Decimal) and v.as_tuple().exponent != -2 else v
             for k, v in r.items()} for r in rows]
