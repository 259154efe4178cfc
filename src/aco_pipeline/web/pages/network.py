"""The network page: utilization and spend by facility (CCN) and by TIN / NPI, in and out of
network, leakage, and where a TIN's attributed patients go for specialist and facility care.

- facilities: metric_facility_view (`aco report facilities`), the whole ACO's CCLF1 claims;
- TINs and NPIs: metric_provider_scorecard_tin / _npi (`aco report providers --by tin|npi`),
  filtered by the ACO -> TIN -> NPI hierarchy at the principal's scope (Scope.sql);
- where patients go: no canonical table holds it, so it is summed from
  mart_provider_panel_payment with the scorecard's own filters (the panel of the period's
  last month, payments in counted months, services in the period): per destination TIN
  (Part B claims) and per facility CCN (Part A claims), paid and beneficiaries.

Periods: those of the scorecards (PY to date, each quarter, rolling 12 months).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from aco_pipeline.web.access.guard import require
from aco_pipeline.web.access.principal import Permission, Principal, Scope
from aco_pipeline.web.charts import Chart, Series
from aco_pipeline.web.pages.aggregate import (
    Period,
    Tab,
    Table,
    View,
    choose_period,
    narrow,
    periods,
    records,
    respond,
)
from aco_pipeline.web.tables import FRACTION, Column

if TYPE_CHECKING:
    import duckdb

router = APIRouter(include_in_schema=False)
NAV = [("Network", "/network", Permission.NETWORK)]
Viewer = Annotated[Principal, Depends(require(Permission.NETWORK))]
SCORECARD_KINDS = ("performance_year_to_date", "quarter", "rolling_12")
PER_1000 = "per 1,000 person-years"
PER_PY = "per person-year"
TOP_FACILITIES = 15

FACILITY_COLUMNS = (
    Column("ccn", "CCN"),
    Column("ccn_facility_type", "Facility type"),
    Column("in_network", "In network"),
    Column("total_paid", "Net paid", "money"),
    Column("share_of_facility_paid", "Share of facility spend", "percent", FRACTION),
    Column("inpatient_acute_paid", "Inpatient acute", "money"),
    Column("snf_paid", "SNF", "money"),
    Column("outpatient_paid", "Outpatient", "money"),
    Column("ed_visit_paid", "ED visits", "money"),
    Column("claims", "Claims", "count"),
    Column("inpatient_admissions", "Admissions", "count"),
    Column("ed_visits", "ED visits", "count"),
    Column("beneficiaries", "Beneficiaries", "count"),
)


def scorecard_columns(by_npi: bool) -> tuple[Column, ...]:
    key = (Column("tin_label", "TIN", "link", link="tin_url"),)
    if by_npi:
        key += (Column("npi", "NPI"),)
    return (
        *key,
        Column("is_participant", "Participant (in network)"),
        Column("panel_size", "Attributed patients", "count"),
        Column("person_years", "Person-years (denominator)", "rate"),
        Column("total_paid", "Net paid", "money"),
        Column("paid_per_person_year", "Spend", "money", PER_PY),
        Column("ed_visit_days", "ED visit days", "count"),
        Column("ed_visits_per_1000_person_years", "ED visits", "rate", PER_1000),
        Column("inpatient_admissions", "Admissions", "count"),
        Column("admissions_per_1000_person_years", "Admissions", "rate", PER_1000),
        Column("paid_outside_aco", "Paid outside the ACO", "money"),
        Column("leakage_share", "Leakage", "percent", FRACTION),
    )


def scorecard_sql(period: Period, scope: Scope, by_npi: bool) -> tuple[str, list[Any]]:
    """The canonical scorecard rows of the period inside `scope` (Scope.sql)."""
    table = "metric_provider_scorecard_npi" if by_npi else "metric_provider_scorecard_tin"
    predicate, params = scope.sql("tin", "npi" if by_npi else None)
    npi = ", npi" if by_npi else ""
    link = "'/provider?' || 'period=' || period_id || '&tin=' || tin"
    if by_npi:
        link += " || '&npi=' || npi"
    return (f"""
        select tin as tin_label, {link} as tin_url{npi}, is_participant, panel_size,
               person_years, total_paid, paid_per_person_year, ed_visit_days,
               ed_visits_per_1000_person_years, inpatient_admissions,
               admissions_per_1000_person_years, paid_outside_aco, leakage_share
        from {table}
        where period_id = ? and {predicate}""", [period.period_id, *params])


FLOW_COLUMNS = (
    Column("destination", "Where"),
    Column("destination_kind", "Kind"),
    Column("paid", "Net paid", "money"),
    Column("beneficiaries", "Beneficiaries", "count"),
    Column("own_tin", "The patients' own TIN"),
)


def flows_sql(period: Period, scope: Scope) -> tuple[str, list[Any]]:
    """Where the attributed patients of `scope` were served: per destination TIN (Part B)
    and facility CCN (Part A), the scorecard's panel and filters (docs/providers.md)."""
    predicate, params = scope.sql("attributed_tin", "attributed_npi")
    attribution_month = period.period_end.replace(day=1)
    return (f"""
        select destination, destination_kind, own_tin
             , cast(sum(signed_paid_amount) as decimal(18, 2)) as paid
             , count(distinct mr_mbi) as beneficiaries
        from (
            select case when medicare_part = 'A' then ccn else tin end as destination
                 , case when medicare_part = 'A' then 'facility (CCN)'
                        else 'practice (TIN)' end as destination_kind
                 , case when medicare_part <> 'A' and tin = attributed_tin then 'yes'
                        else 'no' end as own_tin
                 , signed_paid_amount, mr_mbi
            from mart_provider_panel_payment
            where attribution_month = ? and in_counted_month
              and service_date between ? and ? and medicare_part in ('A', 'B')
              and {predicate}
        ) as p
        where destination is not null
        group by destination, destination_kind, own_tin""",
            [attribution_month, period.period_start, period.period_end, *params])


def facility_chart(con: duckdb.DuckDBPyConnection, period: Period) -> Chart:
    rows = records(con, """
        select ccn, total_paid, in_network from metric_facility_view where period_id = ?
        order by total_paid desc, ccn limit ?""", [period.period_id, TOP_FACILITIES])
    return Chart("facilities", f"Net paid by facility, top {TOP_FACILITIES}",
                 Column("ccn", "CCN"), (Series(Column("total_paid", "Net paid", "money"),
                                               "bar"),),
                 rows, y_title="dollars",
                 extra_columns=(Column("in_network", "In network"),))


def network_view(con: duckdb.DuckDBPyConnection, scope: Scope, period_id: str | None,
                 tin: str | None = None, npi: str | None = None) -> View:
    available = periods(con, SCORECARD_KINDS)
    period = choose_period(available, period_id)
    chosen = narrow(scope, tin, npi)
    tabs = []
    if chosen.whole_aco:
        tabs.append(Tab("facilities", "Facilities", charts=[facility_chart(con, period)],
                        tables=[Table("facilities", "Facilities (CCLF1 claims)",
                                      FACILITY_COLUMNS,
                                      sql="select * from metric_facility_view "
                                          "where period_id = ?",
                                      params=[period.period_id], default_sort="total_paid",
                                      descending=True)]))
    tin_sql, tin_params = scorecard_sql(period, chosen, by_npi=False)
    npi_sql, npi_params = scorecard_sql(period, chosen, by_npi=True)
    tabs.append(Tab("providers", "TINs and NPIs", tables=[
        Table("tins", "By TIN", scorecard_columns(False), sql=tin_sql, params=tin_params,
              default_sort="panel_size", descending=True),
        Table("npis", "By TIN and NPI", scorecard_columns(True), sql=npi_sql,
              params=npi_params, default_sort="panel_size", descending=True)]))
    flow_sql, flow_params = flows_sql(period, chosen)
    tabs.append(Tab("flows", "Where patients go", tables=[
        Table("flows", "Where the attributed patients were served", FLOW_COLUMNS,
              sql=flow_sql, params=flow_params, default_sort="paid", descending=True)]))
    where = ("the whole ACO" if chosen.whole_aco
             else f"TIN {chosen.tin}" + (f", NPI {chosen.npi}" if chosen.npi else ""))
    return View(f"Network: {where}", period, available, tabs, notes=[
        "scorecards: attribution of the period's last month; person-years and numerators "
        "from counted person-months only (docs/providers.md)",
        "in network / leakage: from the participant list (aco.toml [network] "
        "participants_file); empty without one",
        "facilities: the whole ACO's CCLF1 claims; a TIN's facility care is under "
        "'Where patients go'"])


@router.get("/network")
def network_page(request: Request, principal: Viewer) -> Response:
    q = request.query_params
    return respond(request,
                   lambda con: network_view(con, principal.scope, q.get("period"),
                                            q.get("tin"), q.get("npi")),
                   template="pages/network.html", filename="network",
                   extra={"hierarchy": True})
