"""`aco forecast --as-of DATE`: the in-year shared-savings forecast (docs/forecast.md), computed
for any date and printed; it writes nothing (`aco build` stores the forecast as of the data's
as-of date as `metric_forecast`, `metric_forecast_scenarios`, `metric_forecast_interval`).

Inputs come from `aco.toml [benchmark]`, `[expenditure]` and the optional `[forecast]`; the
options override `[forecast]`. Exit status 1 for a missing or invalid input or no warehouse.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import typer

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import WorkspaceOption, fail, open_workspace
from aco_pipeline.cli.output import Format, FormatOption, emit
from aco_pipeline.cli.report import _date

CENT = Decimal("0.01")
# decimals that are not dollars: printed exactly as computed
NOT_MONEY = frozenset({"savings_rate", "msr", "mlr", "share_rate", "loss_rate",
                       "person_year_weight", "ytd_person_years", "projected_person_years"})


class ForecastView(StrEnum):
    forecast = "forecast"
    scenarios = "scenarios"
    interval = "interval"


# the terminal table shows what fits; JSON and CSV carry every column
TERMINAL_COLUMNS = {
    "forecast": ("enrollment_type", "ytd_person_years", "person_year_weight", "completed",
                 "expenditure_per_capita", "benchmark_per_capita", "savings_per_capita"),
    "scenarios": ("scenario", "expenditure_per_capita", "savings", "savings_rate", "msr",
                  "passes_msr", "earned", "earned_change"),
}
TITLES = {
    ForecastView.forecast: "Projected PY expenditure by enrollment type (per person-year)",
    ForecastView.scenarios: "Scenarios",
    ForecastView.interval: "Interval (beneficiaries resampled)",
}


def printed_rows(table: Any) -> list[dict[str, Any]]:
    """Dollars to the cent; rates, weights, person-years and fractions exactly."""
    out = []
    for rec in table.to_pylist():
        money_unit = rec.get("unit", "dollars") == "dollars"
        out.append({c: (v.quantize(CENT) if money_unit and c not in NOT_MONEY
                        else v.normalize()) if isinstance(v, Decimal) else v
                    for c, v in rec.items()})
    return out


@app.command("forecast")
def forecast_cmd(
    as_of: Annotated[str, typer.Option(
        "--as-of", help="Forecast date: year to date = Jan 1 of the performance year through "
                        "the last complete month before it (less --lag-months).",
        show_default=False)],
    runout: Annotated[str | None, typer.Option(
        "--runout", help="Claims loaded into the IDR on or before this date (IP v40 3.4); "
                         "default: the as-of date.", show_default=False)] = None,
    lag_months: Annotated[int | None, typer.Option(
        "--lag-months", help="Leave out the most recent service months (immature claims); "
                             "default: aco.toml [forecast] lag_months, else 0.",
        show_default=False)] = None,
    samples: Annotated[int | None, typer.Option(
        "--samples", help="Bootstrap samples; default: aco.toml [forecast] samples, else 1000.",
        show_default=False)] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Bootstrap seed; default: aco.toml [forecast] seed, else 0.",
        show_default=False)] = None,
    view: Annotated[ForecastView | None, typer.Option(
        "--view", help="The table printed (default: all three in the terminal, the forecast "
                       "in JSON and CSV).", show_default=False)] = None,
    fmt: FormatOption = Format.table,
    workspace: WorkspaceOption = None,
) -> None:
    """In-year shared-savings forecast: projected PY expenditure, MSR test, earned amount."""
    from aco_pipeline.errors import AcoError
    from aco_pipeline.metrics.expenditure_report import load_parameters
    from aco_pipeline.metrics.forecast import (
        FORECAST_TABLE,
        INTERVAL_TABLE,
        SCENARIOS_TABLE,
        compute,
        load_benchmark,
        load_options,
        tables,
    )
    from aco_pipeline.warehouse.read import connect

    ws = open_workspace(workspace)
    as_of_date = _date(as_of, "--as-of")
    assert as_of_date is not None
    cutoff = _date(runout, "--runout")
    try:
        options = load_options(ws, lag_months=lag_months, samples=samples, seed=seed)
        benchmark = load_benchmark(ws)
        expenditure = load_parameters(ws)
        with connect(ws) as con:
            result = compute(con, aco_id=ws.aco_id, performance_year=ws.performance_year,
                             as_of=as_of_date, runout=cutoff, options=options,
                             expenditure=expenditure, benchmark=benchmark)
    except AcoError as exc:
        fail(str(exc))
    computed = tables(result)
    by_view = {ForecastView.forecast: computed[FORECAST_TABLE],
               ForecastView.scenarios: computed[SCENARIOS_TABLE],
               ForecastView.interval: computed[INTERVAL_TABLE]}
    views = ([view] if view is not None
             else list(ForecastView) if fmt is Format.table else [ForecastView.forecast])
    for i, v in enumerate(views):
        table = by_view[v]
        rows = printed_rows(table)
        columns = table.column_names
        notes: list[str] = []
        if fmt is Format.table:
            columns = list(TERMINAL_COLUMNS.get(v.value, columns))
        if fmt is Format.table and v is ForecastView.forecast:
            total = rows[-1]
            notes.append(
                f"N = {total['assigned_beneficiaries']}: benchmark {total['benchmark_total']}, "
                f"expenditure {total['expenditure_total']}, savings {total['savings']} "
                f"(rate {total['savings_rate']}), MSR {total['msr']}: "
                f"{'passes' if total['passes_msr'] else 'does not pass'}; earned "
                f"{total['earned']} (--format json or csv for every column)")
        if i == len(views) - 1:
            notes += result.notes()
        emit(columns, rows, fmt, title=TITLES[v], notes=notes)
