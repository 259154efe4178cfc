"""The analyst's drill-through from the spend trend to the patients behind it
(docs/care-management.md, "Analyst drill-through"): "Which patients drove our ED spending spike
in Q2?" in three clicks from `/analyst/spend-trend`:

1. a service category (`?category=ed_visit`): its net paid by month;
2. a month: `/analyst/category/{category}/month/{yyyy-mm}`, the beneficiaries ranked by their
   net paid in that category and month, with their attributed TIN / NPI and canonical risk
   score (the sums equal the month's figure on the trend);
3. a beneficiary: `/patients/{token}`.

The trend is the canonical table `metric_service_category` (the `aco report service-category`
figures for each complete month, summed over Medicare parts) for the whole ACO; with a TIN /
NPI filter (or for a provider-scoped principal) it is the sum of `mart_analyst_category_month`
over the beneficiaries attributed there. The month list reads `mart_analyst_category_month`
at the principal's patient scope.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from aco_pipeline.warehouse import read
from aco_pipeline.web.access.guard import require
from aco_pipeline.web.access.principal import Permission, Principal, Scope
from aco_pipeline.web.charts import Chart, Series
from aco_pipeline.web.pages.patient import (
    RISK_PERIOD,
    SCORE,
    Answer,
    Builder,
    PatientTable,
    hierarchy,
    patient_scope,
    respond,
)
from aco_pipeline.web.schemas import (
    API_ERRORS,
    EXPORTS,
    TablesJson,
    hierarchy_params,
    table_params,
)
from aco_pipeline.web.tables import Column

if TYPE_CHECKING:
    import duckdb

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", responses={**API_ERRORS, **EXPORTS})
"""The JSON routes (in /openapi.json; the pages' router is not)."""
NAV = [("Spend trend", "/analyst/spend-trend", Permission.FINANCE)]

MART = "mart_analyst_category_month"
MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")

TREND_COLUMNS = (
    Column("month", "Month"), Column("service_category", "Service category"),
    Column("net_paid", "Net paid", "money", "dollars, all Medicare parts of the category"),
    Column("claim_visits", "Visits", "count", "ED / office visits from claims"),
    Column("drill", "Beneficiaries", "link", link="drill_url"),
)
CATEGORY_COLUMNS = (
    Column("service_category", "Service category", "link", link="trend_url"),
    Column("net_paid", "Net paid, performance year to date", "money", "dollars"),
    Column("claim_visits", "Visits", "count", "ED / office visits from claims"),
)
MONTH_COLUMNS = (
    Column("rank", "Rank", "count"),
    Column("beneficiary_name", "Patient", "link", link="patient_url"),
    Column("attributed_tin", "Attributed TIN"), Column("attributed_npi", "Attributed NPI"),
    Column("risk_score", "Risk score", SCORE, "CMS-HCC, payment year PY + 1"),
    Column("net_paid", "Net paid", "money", "dollars, this category and month"),
    Column("part_a_paid", "Part A", "money"), Column("part_b_paid", "Part B", "money"),
    Column("visits", "Visits", "count", "from claims"),
    Column("payment_rows", "Payment records", "count"),
)


def categories(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The service categories of the warehouse (seed service_category_definitions)."""
    return [r[0] for r in read.rows(
        con, "select service_category from service_category_definitions "
             "group by service_category order by min(display_order)")]


def _check_category(con: duckdb.DuckDBPyConnection, category: str | None) -> None:
    if category is not None and category not in categories(con):
        raise HTTPException(404)


def trend_sql(scope: Scope, narrowed: Scope, category: str | None = None
              ) -> tuple[str, list[Any]]:
    """Net paid and claim visits per canonical month and service category: the canonical
    table for the whole ACO, the patient mart summed over the beneficiaries in scope else."""
    months = "select period_id, period_start from metric_period where period_kind = 'month'"
    params: list[Any] = []
    if scope.whole_aco and narrowed.whole_aco:
        sql = ("select period_id as month, period_start, service_category, "
               "cast(sum(net_paid) as decimal(18, 2)) as net_paid, "
               "cast(sum(claim_visits) as bigint) as claim_visits "
               "from metric_service_category where period_kind = 'month' "
               "group by period_id, period_start, service_category")
    else:
        where, params = patient_scope(scope, "a.mr_mbi", narrowed)
        sql = ("select m.period_id as month, m.period_start, a.service_category, "
               "cast(sum(a.net_paid) as decimal(18, 2)) as net_paid, "
               "cast(sum(a.visits) as bigint) as claim_visits "
               f"from {MART} as a inner join ({months}) as m on a.month = m.period_start "
               f"where {where} group by m.period_id, m.period_start, a.service_category")
    if category is not None:
        sql = f"select * from ({sql}) as t where service_category = ?"
        params = [*params, category]
    return sql, params


def category_totals_sql(scope: Scope, narrowed: Scope) -> tuple[str, list[Any]]:
    """Each category's net paid in the performance year to date (click 1 of the path)."""
    if scope.whole_aco and narrowed.whole_aco:
        return ("select service_category, cast(sum(net_paid) as decimal(18, 2)) as net_paid, "
                "cast(sum(claim_visits) as bigint) as claim_visits "
                "from metric_service_category where period_id = (select max(period_id) from "
                "metric_period where period_kind = 'performance_year_to_date') "
                "group by service_category"), []
    where, params = patient_scope(scope, "a.mr_mbi", narrowed)
    ytd = ("select period_start, period_end from metric_period "
           "where period_kind = 'performance_year_to_date'")
    return ("select a.service_category, cast(sum(a.net_paid) as decimal(18, 2)) as net_paid, "
            "cast(sum(a.visits) as bigint) as claim_visits "
            f"from {MART} as a inner join ({ytd}) as p "
            "on a.month between p.period_start and p.period_end "
            f"where {where} group by a.service_category"), params


def month_sql(con: duckdb.DuckDBPyConnection, scope: Scope, category: str, month: str,
              narrowed: Scope | None = None) -> tuple[str, list[Any]]:
    """The beneficiaries with payments or visits in `category` and `month`, ranked by net
    paid, with attributed provider and canonical risk score, at `scope`."""
    read.require(con, [MART], "patient-level marts")
    where, params = patient_scope(scope, "a.mr_mbi", narrowed)
    risk = (f"select mr_mbi, risk_score from metric_risk_scores where period_id = {RISK_PERIOD}"
            if "metric_risk_scores" in read.tables(con)
            else "select cast(null as varchar) as mr_mbi, cast(null as decimal(10, 3)) "
                 "as risk_score where false")
    sql = ("select a.mr_mbi, a.beneficiary_name, a.attributed_tin, a.attributed_npi, "
           "r.risk_score, a.net_paid, a.part_a_paid, a.part_b_paid, a.visits, a.payment_rows, "
           "cast(row_number() over (order by a.net_paid desc, a.mr_mbi) as integer) as rank "
           f"from {MART} as a left join ({risk}) as r on a.mr_mbi = r.mr_mbi "
           f"where a.service_category = ? and a.month = cast(? as date) and {where}")
    return sql, [category, f"{month}-01", *params]


def month_total(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> Any:
    [(total, count)] = read.rows(
        con, f"select cast(sum(net_paid) as decimal(18, 2)), count(*) from ({sql}) as l",
        params)
    return total, count


def trend_figure(con: duckdb.DuckDBPyConnection, category: str, month: str) -> Any:
    """The month's figure on the whole-ACO trend (metric_service_category), or None when the
    month is not a canonical (complete) month."""
    found = read.rows(con, "select cast(sum(net_paid) as decimal(18, 2)), count(*) "
                           "from metric_service_category where period_kind = 'month' "
                           "and period_id = ? and service_category = ?", [month, category])
    return found[0][0] if found and found[0][1] else None


def _drill_links(may_drill: bool, narrowed: Scope) -> Any:
    keep = "".join(f"&{k}={v}" for k, v in (("tin", narrowed.tin), ("npi", narrowed.npi)) if v)

    def hook(table: PatientTable, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if table.table_id == "trend":
                row["drill"] = "beneficiaries" if may_drill else ""
                row["drill_url"] = (f"/analyst/category/{row['service_category']}/month/"
                                    f"{row['month']}" + (f"?{keep[1:]}" if keep else "")
                                    if may_drill else None)
            elif table.table_id == "categories":
                row["trend_url"] = (f"/analyst/spend-trend?category={row['service_category']}"
                                    + keep)

    return hook


def _trend_chart(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any],
                 category: str) -> Chart:
    rows = [dict(zip(("month", "net_paid", "claim_visits"), r, strict=True)) for r in
            read.rows(con, f"select month, net_paid, claim_visits from ({sql}) as t "
                           "order by period_start", params)]
    return Chart("trend-chart", f"{category}: net paid by month",
                 Column("month", "Month"),
                 (Series(Column("net_paid", "Net paid", "money", "dollars"), "bar"),),
                 rows, y_title="dollars", extra_columns=(Column("claim_visits", "Visits",
                                                                "count"),))


def trend_params(category: Annotated[str | None, Query(
        max_length=100, description="One service category (its monthly trend)")] = None,
                 ) -> None:
    """Declares (and validates) the spend trend's `category=` (404 when it is not one)."""


def _trend_answer(request: Request, principal: Principal) -> Builder:
    narrowed = hierarchy(request)
    category = request.query_params.get("category") or None

    def build(con: duckdb.DuckDBPyConnection) -> Answer:
        read.require(con, ["metric_service_category", "metric_period", MART],
                     "canonical spend tables")
        _check_category(con, category)
        sql, params = trend_sql(principal.scope, narrowed, category)
        cat_sql, cat_params = category_totals_sql(principal.scope, narrowed)
        tables = [
            PatientTable("categories", "Service categories, performance year to date",
                         CATEGORY_COLUMNS, cat_sql, cat_params, "net_paid", True, size=20),
            PatientTable("trend", "Net paid by month and service category", TREND_COLUMNS,
                         sql, params, "month", False, size=100),
        ]
        chart = _trend_chart(con, sql, params, category) if category else None
        return Answer(tables, {"title": "Spend trend", "category": category,
                               "chart": chart, "narrowed": narrowed,
                               "hierarchy_keep": [("category", category)] if category else []},
                      target="analyst:spend-trend")

    return build


@router.get("/analyst/spend-trend")
def spend_trend(request: Request,
                principal: Annotated[Principal, Depends(require(Permission.FINANCE))]
                ) -> Response:
    narrowed = hierarchy(request)
    # an aggregate of patient-level rows (a TIN/NPI filter or a scoped principal) is still an
    # aggregate: no PHI, not audited
    return respond(request, principal, _trend_answer(request, principal),
                   template="pages/analyst_trend.html", filename="spend-trend", phi=False,
                   rows_hook=_drill_links(principal.may(Permission.PHI), narrowed))


@api_router.get("/analyst/spend-trend", response_model=TablesJson,
                dependencies=[Depends(table_params), Depends(hierarchy_params),
                              Depends(trend_params)])
def spend_trend_api(request: Request,
                    principal: Annotated[Principal, Depends(require(Permission.FINANCE))]
                    ) -> Response:
    return respond(request, principal, _trend_answer(request, principal), template="",
                   filename="spend-trend", api=True, phi=False,
                   rows_hook=_drill_links(False, hierarchy(request)))


def _month_answer(request: Request, principal: Principal, category: str,
                  month: str) -> Builder:
    if not MONTH.match(month):
        raise HTTPException(404)
    narrowed = hierarchy(request)

    def build(con: duckdb.DuckDBPyConnection) -> Answer:
        _check_category(con, category)
        sql, params = month_sql(con, principal.scope, category, month, narrowed)
        total, count = month_total(con, sql, params)
        whole = principal.scope.whole_aco and narrowed.whole_aco
        figure = trend_figure(con, category, month) if whole else None
        table = PatientTable("beneficiaries", f"Beneficiaries: {category}, {month}",
                             MONTH_COLUMNS, sql, params, "rank", False)
        return Answer([table], {"title": f"{category} in {month}", "category": category,
                                "month": month, "total": total, "count": count,
                                "trend_figure": figure, "whole_aco": whole,
                                "narrowed": narrowed},
                      target=f"analyst:{category}:{month}")

    return build


@router.get("/analyst/category/{category}/month/{month}")
def category_month(request: Request, category: str, month: str,
                   principal: Annotated[Principal, Depends(require(Permission.PHI))]
                   ) -> Response:
    return respond(request, principal, _month_answer(request, principal, category, month),
                   template="pages/analyst_month.html",
                   filename=f"beneficiaries-{category}-{month}")


@api_router.get("/analyst/category/{category}/month/{month}",
                response_model=TablesJson,
                dependencies=[Depends(table_params), Depends(hierarchy_params)])
def category_month_api(request: Request, category: str, month: str,
                       principal: Annotated[Principal, Depends(require(Permission.PHI))]
                       ) -> Response:
    return respond(request, principal, _month_answer(request, principal, category, month),
                   template="", filename=f"beneficiaries-{category}-{month}", api=True)
