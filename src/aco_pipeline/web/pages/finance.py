"""The finance page: spend by service category and enrollment type (per person-year and per
member-month, as paid and completed), the CMS-method expenditure table (guide Tables 10/11
rows), benchmark against actual, the forecast's what-ifs and the scope waterfall (guide
Table 1). Aggregates only, the whole ACO; every figure comes from a canonical table:

- spend: metric_spend (the period and each of its months; `aco report spend`), completed
  beside as paid from metric_completion (`aco report spend --by month`);
- categories x enrollment type: metric_spend_category (`aco report utilization --table
  spend-category`); PMPM is its per-person-year figure's monthly equivalent, total paid /
  counted person-months;
- service categories: metric_service_category (`aco report service-category`);
- expenditure table: metric_expenditure_summary (`aco report expenditure`);
- benchmark, what-ifs: metric_forecast, metric_forecast_scenarios (`aco forecast`);
- scope waterfall: no canonical table holds Table 1, so it is the `aco report scope`
  function itself (warehouse.reports.scope) on the same connection and period.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from aco_pipeline.warehouse import read
from aco_pipeline.web.access.guard import require
from aco_pipeline.web.access.principal import Permission, Principal, Scope
from aco_pipeline.web.charts import Chart, Series
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
from aco_pipeline.web.pages.executive import (
    FORECAST_COLUMNS,
    PER_PY,
    forecast_by_type,
    forecast_status,
    scenarios,
    whole_aco,
)
from aco_pipeline.web.tables import FRACTION, Column

if TYPE_CHECKING:
    import duckdb

router = APIRouter(include_in_schema=False)
NAV = [("Finance", "/finance", Permission.FINANCE)]
PMPM = "per member-month"
PERIOD_KINDS = ("performance_year_to_date", "quarter", "month", "rolling_12", "prior_year")


def spend_figures(con: duckdb.DuckDBPyConnection, period: Period) -> list[Figure]:
    found = records(con, "select part_a_paid, part_b_paid, total_paid, "
                         "part_d_beneficiary_paid from metric_spend where period_id = ?",
                    [period.period_id])
    if not found:
        return []
    row = found[0]
    return [Figure("total_paid", "Net paid, Part A + Part B", row["total_paid"]),
            Figure("part_a_paid", "Part A", row["part_a_paid"]),
            Figure("part_b_paid", "Part B", row["part_b_paid"]),
            Figure("part_d_beneficiary_paid", "Part D, beneficiary paid (beside, not in "
                                              "the total)", row["part_d_beneficiary_paid"])]


MONTH_COLUMNS = (
    Column("month", "Month of service"),
    Column("part_a_paid", "Part A", "money"),
    Column("part_b_paid", "Part B", "money"),
    Column("total_paid", "As paid, Part A + B", "money"),
    Column("completed", "Completed, Part A + B", "money"),
    Column("complete_percent", "Complete", "percent"),
)


def months(con: duckdb.DuckDBPyConnection, period: Period) -> list[dict[str, Any]]:
    """Each month of the period: metric_spend of its month period, completed beside
    (metric_completion, the Part A + B total row)."""
    return records(con, """
        select s.period_id as month, s.part_a_paid, s.part_b_paid, s.total_paid
             , c.completed, c.complete_percent
        from metric_spend s
        left join metric_completion c
          on c.period_id = s.period_id and c.claim_family = 'total'
        where s.period_kind = 'month' and s.period_start >= ? and s.period_end <= ?
        order by s.period_start""", [period.period_start, period.period_end])


def months_chart(rows: list[dict[str, Any]]) -> Chart:
    return Chart("as-paid-completed", "Net paid by month of service: as paid and completed",
                 Column("month", "Month of service"),
                 (Series(Column("total_paid", "As paid", "money"), "bar"),
                  Series(Column("completed", "Completed", "money"), "line")),
                 rows, y_title="dollars",
                 extra_columns=(Column("complete_percent", "Complete", "percent"),))


CATEGORY_COLUMNS = (
    Column("category", "Category"),
    Column("enrollment_type", "Enrollment type"),
    Column("total_paid", "Net paid", "money"),
    Column("member_months", "Counted person-months", "count"),
    Column("person_years", "Person-years", "rate"),
    Column("per_capita", "Spend", "money", PER_PY),
    Column("pmpm", "Spend", "money", PMPM),
)


def category_sql(period: Period) -> tuple[str, list[Any]]:
    return ("""
        select category, enrollment_type, total_paid, member_months, person_years, per_capita
             , cast(total_paid / nullif(member_months, 0) as decimal(18, 2)) as pmpm
        from metric_spend_category
        where period_id = ? and month = 'all'
        """, [period.period_id])


SERVICE_COLUMNS = (
    Column("service_category", "Service category", "link", link="trend_url"),
    Column("medicare_part", "Medicare part"),
    Column("net_paid", "Net paid", "money"),
    Column("claim_visits", "Visits counted from claims", "count"),
)

EXPENDITURE_COLUMNS = (
    Column("ref", "Row"),
    Column("description", "Description"),
    Column("total", "Total", "money"),
    Column("esrd", "ESRD", "money"),
    Column("disabled", "Disabled", "money"),
    Column("aged_dual", "Aged/dual", "money"),
    Column("aged_non_dual", "Aged/non-dual", "money"),
)
EXPENDITURE_OTHER_COLUMNS = (
    Column("ref", "Row"),
    Column("description", "Description"),
    Column("unit", "Unit"),
    Column("total", "Total", "rate"),
    Column("esrd", "ESRD", "rate"),
    Column("disabled", "Disabled", "rate"),
    Column("aged_dual", "Aged/dual", "rate"),
    Column("aged_non_dual", "Aged/non-dual", "rate"),
)


def expenditure(con: duckdb.DuckDBPyConnection, period: Period) -> list[dict[str, Any]]:
    if "metric_expenditure_summary" not in read.tables(con):
        return []
    return records(con, """
        select method, ref, description, unit, total, esrd, disabled, aged_dual, aged_non_dual
        from metric_expenditure_summary where period_id = ?
        order by try_cast(ref as integer), ref""", [period.period_id])


SCENARIO_COLUMNS = (
    Column("scenario", "Scenario"),
    Column("description", "What if"),
    Column("expenditure_per_capita", "Expenditure", "money", PER_PY),
    Column("savings", "Savings", "money"),
    Column("savings_rate", "Savings rate", "percent", FRACTION),
    Column("msr", "MSR", "percent", FRACTION),
    Column("earned", "Earned", "money"),
    Column("earned_change", "Earned, change from base", "money"),
    Column("passes_msr", "Passes MSR"),
)

SCOPE_COLUMNS = (
    Column("ref", "Row", "count"),
    Column("description", "Step"),
    Column("claim_records", "Claim records", "count"),
    Column("records_percent", "Records, share of row 1", "percent"),
    Column("claim_amount", "Amount", "money"),
    Column("amount_percent", "Amount, share of row 1", "percent"),
)


def scope_waterfall(con: duckdb.DuckDBPyConnection, period: Period) -> list[dict[str, Any]]:
    """Guide Table 1 for the period, everything delivered: `aco report scope` itself."""
    from aco_pipeline.warehouse.reports import scope

    return scope(con, start=period.period_start, end=period.period_end).rows


def benchmark_chart(rows: list[dict[str, Any]]) -> Chart:
    return Chart("benchmark", "Benchmark against projected expenditure, per person-year",
                 Column("enrollment_type", "Enrollment type"),
                 (Series(Column("benchmark_per_capita", "Benchmark", "money", PER_PY), "bar"),
                  Series(Column("expenditure_per_capita", "Projected", "money", PER_PY),
                         "bar")),
                 rows, y_title=f"dollars {PER_PY}")


def finance_view(con: duckdb.DuckDBPyConnection, scope: Scope, period_id: str | None) -> View:
    whole_aco(scope)
    available = periods(con, PERIOD_KINDS)
    period = choose_period(available, period_id)
    month_rows = months(con, period)
    cat_sql, cat_params = category_sql(period)
    service_rows = records(con, """
        select service_category, medicare_part, net_paid, claim_visits
             , '/analyst/spend-trend?category=' || service_category as trend_url
        from metric_service_category where period_id = ?
        order by medicare_part, service_category""", [period.period_id])
    spend_tab = Tab("spend", "Spend", figures=spend_figures(con, period),
                    links=[("Spend trend, and the beneficiaries behind a category and month",
                            "/analyst/spend-trend")],
                    charts=[months_chart(month_rows)],
                    tables=[Table("categories", "Spend by category and enrollment type "
                                                "(counted person-months)",
                                  CATEGORY_COLUMNS, sql=cat_sql, params=cat_params,
                                  default_sort="total_paid", descending=True),
                            Table("service-categories", "Net paid and visits by service "
                                                        "category and Medicare part",
                                  SERVICE_COLUMNS, rows=service_rows)])
    exp_rows = expenditure(con, period)
    money_rows = [r for r in exp_rows if r["unit"] == "dollars"]
    other_rows = [r for r in exp_rows if r["unit"] != "dollars"]
    exp_notes = [] if exp_rows else [
        f"no expenditure table for {period.period_id}: it is built for the PY to date, "
        "each quarter and the prior year, and needs aco.toml [expenditure]"]
    exp_tab = Tab("expenditure", "CMS-method expenditure", notes=exp_notes, tables=[
        Table("expenditure", "Expenditure per person-year (CMS guide Appendix A phase 5, "
                             "Tables 10/11)", EXPENDITURE_COLUMNS, rows=money_rows, size=100),
        Table("expenditure-other", "Person-years and factors", EXPENDITURE_OTHER_COLUMNS,
              rows=other_rows)])
    by_type = forecast_by_type(con)
    status = forecast_status(con)
    forecast_notes = [] if by_type else [
        status["note"] if status else "no forecast tables in the published warehouse"]
    forecast_tab = Tab("benchmark", "Benchmark and what-ifs", notes=forecast_notes,
                       charts=[benchmark_chart(by_type)] if by_type else [],
                       tables=[Table("forecast", "Benchmark against projected expenditure "
                                                 "(performance year to date)",
                                     FORECAST_COLUMNS, rows=by_type),
                               Table("scenarios", "What-ifs", SCENARIO_COLUMNS,
                                     rows=scenarios(con))])
    scope_rows = scope_waterfall(con, period)
    scope_tab = Tab("scope", "Scope waterfall", tables=[
        Table("scope", f"Claims in scope, {period.period_start} to {period.period_end} "
                       "(CMS guide Table 1, everything delivered)", SCOPE_COLUMNS,
              rows=scope_rows)],
        charts=[Chart("scope-waterfall", "From all delivered claim records to those in scope",
                      Column("description", "Step"),
                      (Series(Column("claim_amount", "Amount", "money"), "bar"),),
                      [{"description": f"{r['ref']}. {r['description']}",
                        "claim_amount": r["claim_amount"]} for r in scope_rows],
                      y_title="dollars")])
    return View("Finance", period, available, [spend_tab, exp_tab, forecast_tab, scope_tab],
                notes=["spend = Medicare Part A + Part B by the part that paid (IP v40 5.3.1 "
                       "step 5, 5.4); Part D shown beside",
                       "per person-year and per member-month figures: counted person-months "
                       "only (docs/metrics.md)",
                       "completed = as paid x the month's completion factor "
                       "(docs/completion.md)"])


@router.get("/finance")
def finance_page(request: Request,
                 principal: Annotated[Principal, Depends(require(Permission.FINANCE))]) -> Response:
    period_id = request.query_params.get("period")
    return respond(request,
                   lambda con: finance_view(con, principal.scope, period_id),
                   template="pages/finance.html", filename="finance")
