"""`aco forecast --as-of DATE`: the in-year shared-savings forecast (docs/forecast.md), published as
the metric tables `forecast`, `forecast_scenarios` and `forecast_interval` and printed from what
was published.

Inputs come from `aco.toml [benchmark]`, `[expenditure]` and the optional `[forecast]`; the
options override `[forecast]`. Exit status 1 for a missing or invalid input or no warehouse.
"""

from __future__ import annotations

import csv
import json
import sys
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import WorkspaceOption, console, err_console, fail, open_workspace
from aco_pipeline.cli.report import _date

CENT = Decimal("0.01")
RATE_COLUMNS = frozenset({"savings_rate", "msr", "mlr", "share_rate", "loss_rate",
                          "person_year_weight"})
PLAIN_COLUMNS = frozenset({"ytd_person_years", "projected_person_years", "point", "p05", "p50",
                           "p95"})


class ForecastFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ForecastView(StrEnum):
    forecast = "forecast"
    scenarios = "scenarios"
    interval = "interval"


def _plain(value: Any) -> Any:
    """Exact decimal strings for JSON/CSV (as stored, trailing zeros dropped)."""
    if isinstance(value, Decimal):
        text = f"{value.normalize():f}"
        return "0" if text in ("-0", "") else text
    return value


def _shown(column: str, value: Any, unit: str | None = None) -> str:
    """Table cells: money to the cent, rates as percentages."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        if column in RATE_COLUMNS or unit == "fraction":
            return f"{value:.2%}"
        if column in PLAIN_COLUMNS and unit != "dollars":
            return f"{value.normalize():f}"
        return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"
    return str(value)


def _print_tables(tables: dict[str, Any]) -> None:
    out = console()
    forecast = tables["forecast"].to_pylist()
    t = Table(title="Projected PY expenditure by enrollment type (per person-year)")
    for name in ("type", "YTD person-yrs", "weight", "completed YTD", "expenditure/cap",
                 "benchmark/cap", "savings/cap"):
        t.add_column(name, justify="left" if name == "type" else "right")
    for r in forecast:
        t.add_row(r["enrollment_type"], _shown("ytd_person_years", r["ytd_person_years"]),
                  _shown("person_year_weight", r["person_year_weight"]),
                  _shown("completed", r["completed"]),
                  _shown("expenditure_per_capita", r["expenditure_per_capita"]),
                  _shown("benchmark_per_capita", r["benchmark_per_capita"]),
                  _shown("savings_per_capita", r["savings_per_capita"]))
    out.print(t)
    total = forecast[-1]
    out.print(
        f"N = {total['assigned_beneficiaries']:,}: benchmark "
        f"${_shown('x', total['benchmark_total'])}, expenditure "
        f"${_shown('x', total['expenditure_total'])}, savings ${_shown('x', total['savings'])} "
        f"({_shown('savings_rate', total['savings_rate'])}), MSR "
        f"{_shown('msr', total['msr'])}: "
        f"{'passes' if total['passes_msr'] else 'does not pass'}; earned "
        f"${_shown('x', total['earned'])}", highlight=False)

    s = Table(title="Scenarios")
    for name in ("scenario", "expenditure/cap", "savings", "sav. rate", "MSR", "passes MSR",
                 "earned", "change"):
        s.add_column(name, justify="left" if name == "scenario" else "right")
    for r in tables["forecast_scenarios"].to_pylist():
        s.add_row(r["scenario"], _shown("e", r["expenditure_per_capita"]),
                  _shown("savings", r["savings"]), _shown("savings_rate", r["savings_rate"]),
                  _shown("msr", r["msr"]), _shown("passes_msr", r["passes_msr"]),
                  _shown("earned", r["earned"]), _shown("earned_change", r["earned_change"]))
    out.print(s)

    i = Table(title="Interval (beneficiaries resampled)")
    for name in ("measure", "point", "5th", "50th", "95th"):
        i.add_column(name, justify="left" if name == "measure" else "right")
    rows = tables["forecast_interval"].to_pylist()
    for r in rows:
        unit = r["unit"]
        i.add_row(r["measure"], *(_shown(k, r[k], unit) for k in ("point", "p05", "p50", "p95")))
    out.print(i)
    if rows:
        out.print(f"{rows[0]['samples']} samples, seed {rows[0]['seed']}", highlight=False)


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
    fmt: Annotated[ForecastFormat, typer.Option("--format", help="Output format.")] = (
        ForecastFormat.table),
    view: Annotated[ForecastView, typer.Option(
        "--view", help="The table printed as CSV (JSON prints all three).")] = (
        ForecastView.scenarios),
    workspace: WorkspaceOption = None,
) -> None:
    """In-year shared-savings forecast: projected PY expenditure, MSR test, earned amount."""
    from aco_pipeline.errors import AcoError as ReportError
    from aco_pipeline.metrics import store
    from aco_pipeline.metrics.expenditure_report import ExpenditureConfigError, NcbpFileError
    from aco_pipeline.metrics.forecast import (
        FORECAST_TABLE,
        INTERVAL_TABLE,
        SCENARIOS_TABLE,
        ForecastConfigError,
        ForecastDataError,
        compute,
        load_options,
        publish,
    )

    ws = open_workspace(workspace)
    as_of_date = _date(as_of, "--as-of")
    assert as_of_date is not None
    cutoff = _date(runout, "--runout")
    try:
        options = load_options(ws, lag_months=lag_months, samples=samples, seed=seed)
        result = compute(ws, as_of=as_of_date, runout=cutoff, options=options)
        publish(ws, result)
    except (ForecastConfigError, ForecastDataError, ExpenditureConfigError, NcbpFileError,
            ReportError) as exc:
        fail(str(exc))
    excluded = result.inputs.excluded
    if excluded.beneficiary_months:
        err_console().print(
            f"note: {excluded.beneficiary_months} beneficiary-months without a counted "
            f"enrollment type left out: paid ${excluded.paid:,.2f} (docs/expenditure.md)",
            highlight=False)
    tables = {name: store.read(ws, name)
              for name in (FORECAST_TABLE, SCENARIOS_TABLE, INTERVAL_TABLE)}
    if fmt is ForecastFormat.table:
        _print_tables(tables)
        return
    if fmt is ForecastFormat.json:
        data = {"parameters": store.parameters(ws, FORECAST_TABLE),
                **{name: [{k: _plain(v) for k, v in r.items()} for r in t.to_pylist()]
                   for name, t in tables.items()}}
        sys.stdout.write(json.dumps(data, indent=1) + "\n")
        return
    name = {ForecastView.forecast: FORECAST_TABLE, ForecastView.scenarios: SCENARIOS_TABLE,
            ForecastView.interval: INTERVAL_TABLE}[view]
    table = tables[name]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(table.column_names)
    for r in table.to_pylist():
        writer.writerow(["" if r[c] is None else _plain(r[c]) for c in table.column_names])
