"""The executive page: the shared-savings forecast with its interval, the MSR band and the
quality gate; spend per person-year by enrollment type against the benchmark, month by month;
counted beneficiaries over time; the few service categories driving the change. Aggregates
only, the whole ACO, every figure read from a canonical table:

- forecast, interval, scenarios, status: metric_forecast*, keyed by the PY-to-date period
  (`aco forecast --as-of <the data's as-of date>`);
- spend per person-year and counted beneficiaries: metric_spend_category (category `total`;
  `aco report utilization --table spend-category`), member-months per month being the
  beneficiaries counted in that month (docs/metrics.md, "Counted person-month");
- category drivers: metric_spend_category per category, this period against the one before
  it of the same kind (the previous month or quarter; the prior year for the PY to date).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from aco_pipeline.warehouse import read
from aco_pipeline.web.access.guard import require
from aco_pipeline.web.access.principal import Permission, Principal, Scope
from aco_pipeline.web.charts import Chart, Series, band
from aco_pipeline.web.pages.aggregate import (
    Figure,
    Period,
    Tab,
    Table,
    View,
    choose_period,
    periods,
    records,
    respond,
)
from aco_pipeline.web.tables import FRACTION, Column

if TYPE_CHECKING:
    import duckdb

router = APIRouter(include_in_schema=False)
NAV = [("Executive", "/executive", Permission.EXECUTIVE)]
Viewer = Annotated[Principal, Depends(require(Permission.EXECUTIVE))]
TOTAL = "TOTAL"
ENROLLMENT_TYPES = ("ESRD", "DISABLED", "AGED/DUAL", "AGED/NON-DUAL")
TYPE_KEYS = {"ESRD": "esrd", "DISABLED": "disabled", "AGED/DUAL": "aged_dual",
             "AGED/NON-DUAL": "aged_non_dual", TOTAL: "total"}
TYPE_LABELS = {"ESRD": "ESRD", "DISABLED": "Disabled", "AGED/DUAL": "Aged/dual",
               "AGED/NON-DUAL": "Aged/non-dual", TOTAL: "Total"}
DRIVERS = 5
PER_PY = "per person-year"
PERIOD_KINDS = ("performance_year_to_date", "quarter", "month", "rolling_12", "prior_year")


def whole_aco(scope: Scope) -> None:
    """Executive and finance figures exist for the whole ACO only (the canonical forecast,
    expenditure and spend tables have no provider grain): a scoped principal is refused."""
    if not scope.whole_aco:
        raise HTTPException(403, "this page shows the whole ACO only")


# --- forecast ---------------------------------------------------------------------------------

def forecast_status(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    if "metric_forecast_status" not in read.tables(con):
        return None
    found = records(con, "select status, note from metric_forecast_status "
                         "where period_kind = 'performance_year_to_date' "
                         "order by period_end desc limit 1")
    return found[0] if found else None


def forecast_total(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The forecast's TOTAL row (metric_forecast), or None without a forecast."""
    if "metric_forecast" not in read.tables(con):
        return None
    found = records(con, """
        select * from metric_forecast
        where period_kind = 'performance_year_to_date' and enrollment_type = ?
        order by period_end desc limit 1""", [TOTAL])
    return found[0] if found else None


def forecast_by_type(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    if "metric_forecast" not in read.tables(con):
        return []
    return records(con, """
        select enrollment_type, ytd_person_years, person_year_weight, completed,
               expenditure_per_capita, benchmark_per_capita, savings_per_capita
        from metric_forecast
        where period_kind = 'performance_year_to_date'
          and period_end = (select max(period_end) from metric_forecast
                            where period_kind = 'performance_year_to_date')
        order by enrollment_type = 'TOTAL', enrollment_type""")


def interval(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    if "metric_forecast_interval" not in read.tables(con):
        return {}
    rows = records(con, """
        select measure, unit, point, p05, p50, p95, samples, seed
        from metric_forecast_interval where period_kind = 'performance_year_to_date'
          and period_end = (select max(period_end) from metric_forecast_interval
                            where period_kind = 'performance_year_to_date')""")
    return {r["measure"]: r for r in rows}


def scenarios(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    if "metric_forecast_scenarios" not in read.tables(con):
        return []
    return records(con, """
        select scenario, description, service_category, expenditure_per_capita,
               benchmark_per_capita, expenditure_total, benchmark_total, savings, savings_rate,
               msr, earned, earned_change, passes_msr, exceeds_mlr
        from metric_forecast_scenarios where period_kind = 'performance_year_to_date'
          and period_end = (select max(period_end) from metric_forecast_scenarios
                            where period_kind = 'performance_year_to_date')
        order by scenario <> 'base', scenario""")


def forecast_figures(con: duckdb.DuckDBPyConnection) -> tuple[list[Figure], list[str]]:
    """The forecast's headline figures and, without a forecast, the reason."""
    total = forecast_total(con)
    status = forecast_status(con)
    if total is None:
        why = status["note"] if status else "no forecast tables in the published warehouse"
        return [], [why]
    ival = interval(con)
    by_scenario = {s["scenario"]: s for s in scenarios(con)}
    sav, earn = ival.get("savings", {}), ival.get("earned", {})
    prob = ival.get("probability_earning_savings", {})
    figures = [
        Figure("savings", "Projected savings (losses if negative)", total["savings"], "money",
               note="benchmark minus projected expenditure, all assigned beneficiaries"),
        Figure("savings_p05", "Savings, 5th percentile", sav.get("p05"), "money"),
        Figure("savings_p95", "Savings, 95th percentile", sav.get("p95"), "money"),
        Figure("savings_rate", "Savings rate", total["savings_rate"], "percent", FRACTION,
               note="savings / benchmark"),
        Figure("msr", "Minimum savings rate (MSR)", total["msr"], "percent", FRACTION),
        Figure("mlr", "Minimum loss rate (MLR)", total["mlr"], "percent", FRACTION),
        Figure("passes_msr", "Passes the MSR", "yes" if total["passes_msr"] else "no", "text"),
        Figure("earned", "Earned (shared savings or losses)", total["earned"], "money"),
        Figure("earned_p05", "Earned, 5th percentile", earn.get("p05"), "money"),
        Figure("earned_p95", "Earned, 95th percentile", earn.get("p95"), "money"),
        Figure("probability_earning_savings", "Probability of earning savings",
               prob.get("point"), "percent", FRACTION,
               note=f"{prob.get('samples')} bootstrap samples"),
        Figure("assigned_beneficiaries", "Assigned beneficiaries",
               total["assigned_beneficiaries"], "count"),
    ]
    for name, label in (("quality_met", "Earned if the quality standard is met"),
                        ("quality_not_met", "Earned if the quality standard is not met")):
        if name in by_scenario:
            figures.append(Figure(name, label, by_scenario[name]["earned"], "money",
                                  note="the quality gate"))
    return figures, []


def msr_chart(total: dict[str, Any]) -> Chart:
    rows = [{"measure": "savings rate", "savings_rate": total["savings_rate"],
             "msr": total["msr"], "mlr": total["mlr"]}]
    shapes = []
    y_range = None
    if total["msr"] is not None and total["mlr"] is not None:
        low, high = -Decimal(total["mlr"]), Decimal(total["msr"])
        shapes.append(band(low, high, "between -MLR and MSR: no savings or losses shared"))
        rate = Decimal(total["savings_rate"] or 0)
        margin = (max(high, rate) - min(low, rate)) / 10
        y_range = (min(low, rate) - margin, max(high, rate) + margin)
    return Chart("msr-band", "Savings rate against the MSR band",
                 Column("measure", "Measure"),
                 (Series(Column("savings_rate", "Savings rate", "percent", FRACTION),
                         "markers"),),
                 rows, y_title="share of the benchmark", y_range=y_range,
                 extra_columns=(Column("msr", "MSR", "percent", FRACTION),
                                Column("mlr", "MLR", "percent", FRACTION)),
                 shapes=shapes)


# --- spend per person-year, beneficiaries, drivers -------------------------------------------

def monthly_per_capita(con: duckdb.DuckDBPyConnection, period: Period) -> list[dict[str, Any]]:
    """metric_spend_category, category total, per enrollment type and month of the period."""
    return records(con, """
        select month, enrollment_type, total_paid, member_months, person_years, per_capita
        from metric_spend_category
        where period_id = ? and category = 'total' and month <> 'all'
        order by month, enrollment_type""", [period.period_id])


def per_capita_chart(rows: list[dict[str, Any]],
                     benchmark: dict[str, Decimal | None]) -> Chart:
    wide: dict[str, dict[str, Any]] = {}
    for r in rows:
        row = wide.setdefault(r["month"], {"month": r["month"]})
        row[TYPE_KEYS.get(r["enrollment_type"], "other")] = r["per_capita"]
        if r["enrollment_type"] == TOTAL:
            row["member_months"] = r["member_months"]
    for row in wide.values():
        for t in (*ENROLLMENT_TYPES, TOTAL):
            row[f"benchmark_{TYPE_KEYS[t]}"] = benchmark.get(t)
    series = [Series(Column(TYPE_KEYS[t], TYPE_LABELS[t], "money", PER_PY))
              for t in (*ENROLLMENT_TYPES, TOTAL)]
    series.append(Series(Column("benchmark_total", "Benchmark (all types)", "money", PER_PY)))
    benchmarks = tuple(Column(f"benchmark_{TYPE_KEYS[t]}", f"Benchmark, {TYPE_LABELS[t]}",
                              "money", PER_PY) for t in ENROLLMENT_TYPES)
    return Chart("per-capita", "Spend per person-year by enrollment type, month by month",
                 Column("month", "Month"), tuple(series), list(wide.values()),
                 y_title=f"dollars {PER_PY}",
                 extra_columns=(*benchmarks,
                                Column("member_months", "Counted person-months", "count")))


def beneficiaries_chart(rows: list[dict[str, Any]]) -> Chart:
    data = [{"month": r["month"], "beneficiaries": r["member_months"]}
            for r in rows if r["enrollment_type"] == TOTAL]
    return Chart("beneficiaries", "Counted (assigned) beneficiaries per month",
                 Column("month", "Month"),
                 (Series(Column("beneficiaries", "Beneficiaries counted in the month",
                                "count"), "bar"),),
                 data, y_title="beneficiaries")


def previous_period(current: Period, available: list[Period]) -> Period | None:
    """The period before `current` of the same kind (the prior year for the PY to date)."""
    if current.period_kind == "performance_year_to_date":
        kind = "prior_year"
        candidates = [p for p in available if p.period_kind == kind]
    else:
        candidates = [p for p in available if p.period_kind == current.period_kind
                      and p.period_end < current.period_start]
    return max(candidates, key=lambda p: p.period_end, default=None)


def drivers(con: duckdb.DuckDBPyConnection, current: Period,
            before: Period | None) -> list[dict[str, Any]]:
    """Per category, spend per person-year in both periods and its change (largest moves
    first; the top DRIVERS)."""
    if before is None:
        return []
    rows = records(con, """
        select cur.category
             , prev.per_capita as before_per_capita
             , cur.per_capita as current_per_capita
             , cur.per_capita - prev.per_capita as change_per_capita
             , cur.total_paid as current_paid
        from metric_spend_category cur
        join metric_spend_category prev
          on prev.category = cur.category and prev.enrollment_type = cur.enrollment_type
         and prev.month = cur.month and prev.period_id = ?
        where cur.period_id = ? and cur.enrollment_type = 'TOTAL' and cur.month = 'all'
          and cur.category <> 'total'
          and cur.per_capita is not null and prev.per_capita is not null
        order by abs(cur.per_capita - prev.per_capita) desc, cur.category
        limit ?""", [before.period_id, current.period_id, DRIVERS])
    return rows


def drivers_chart(rows: list[dict[str, Any]], current: Period, before: Period) -> Chart:
    return Chart("drivers", f"Categories driving the change, {before.period_id} to "
                            f"{current.period_id}",
                 Column("category", "Category"),
                 (Series(Column("change_per_capita", "Change", "money", PER_PY), "bar"),),
                 rows, y_title=f"dollars {PER_PY}",
                 extra_columns=(Column("before_per_capita", f"{before.period_id}", "money",
                                       PER_PY),
                                Column("current_per_capita", f"{current.period_id}", "money",
                                       PER_PY)))


FORECAST_COLUMNS = (
    Column("enrollment_type", "Enrollment type"),
    Column("ytd_person_years", "Person-years to date", "rate"),
    Column("expenditure_per_capita", "Projected expenditure", "money", PER_PY),
    Column("benchmark_per_capita", "Benchmark", "money", PER_PY),
    Column("savings_per_capita", "Savings", "money", PER_PY),
)


def executive_view(con: duckdb.DuckDBPyConnection, scope: Scope,
                   period_id: str | None) -> View:
    whole_aco(scope)
    available = periods(con, PERIOD_KINDS)
    period = choose_period(available, period_id)
    figures, notes = forecast_figures(con)
    by_type = forecast_by_type(con)
    benchmark = {r["enrollment_type"]: r["benchmark_per_capita"] for r in by_type}
    monthly = monthly_per_capita(con, period)
    charts = []
    total = forecast_total(con)
    if total is not None:
        charts.append(msr_chart(total))
    charts += [per_capita_chart(monthly, benchmark), beneficiaries_chart(monthly)]
    before = previous_period(period, available)
    driver_rows = drivers(con, period, before)
    if before is not None:
        charts.append(drivers_chart(driver_rows, period, before))
    else:
        notes.append(f"no earlier {period.period_kind} period to compare categories with")
    overview = Tab("overview", "Overview", figures=figures, charts=charts, notes=notes)
    forecast_tab = Tab("forecast", "Forecast by enrollment type", tables=[
        Table("forecast", "Projected expenditure against the benchmark, per person-year "
                          "(performance year to date)", FORECAST_COLUMNS, rows=by_type)])
    return View("Executive", period, available, [overview, forecast_tab], notes=[
        "forecast: as of the data's as-of date, performance year to date (metric_forecast)",
        "spend per person-year: net paid Part A + B in counted person-months x 12 / "
        "counted person-months (metric_spend_category)",
        "beneficiaries per month: beneficiaries with a counted person-month in the month"])


@router.get("/executive")
def executive_page(request: Request, principal: Viewer) -> Response:
    period_id = request.query_params.get("period")
    return respond(request,
                   lambda con: executive_view(con, principal.scope, period_id),
                   template="pages/executive.html", filename="executive")
