"""The provider page: one TIN's (or NPI's) scorecard against the ACO and against its peers,
and its attributed patient list.

- the scorecard: its row of metric_provider_scorecard_tin / _npi (`aco report providers`);
- the ACO: the same scorecard columns summed over every TIN of the period (the panels are
  disjoint: each beneficiary-month is attributed to one TIN) and the scorecard's own rate
  arithmetic (metrics.providers) applied to the sums;
- peers: the percentile of each measure among the TINs (NPIs) of the period with at least
  MIN_PEER_PANEL attributed patients (the share of peers with a lower value);
- attributed patients: the patient list page (`/provider/patients`, pages/patient.py) at the
  same TIN/NPI, linked for roles allowed PHI; this page holds aggregates only.

Scope: a provider sees only their own TIN (and NPI when scoped so), applied inside every
query through Scope.sql; whole-ACO roles pick a TIN (`tin=`, `npi=`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from aco_pipeline.web.access.guard import require
from aco_pipeline.web.access.principal import Permission, Principal, Scope
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
from aco_pipeline.web.pages.network import SCORECARD_KINDS, scorecard_columns, scorecard_sql
from aco_pipeline.web.tables import FRACTION, Column

if TYPE_CHECKING:
    import duckdb

router = APIRouter(include_in_schema=False)
NAV = [("Provider", "/provider", Permission.PROVIDER)]
Viewer = Annotated[Principal, Depends(require(Permission.PROVIDER))]
MIN_PEER_PANEL = 50
PER_1000 = "per 1,000 person-years"
PERCENTILE = Decimal("0.1")

MEASURES = (
    ("panel_size", "Attributed patients", "count", ""),
    ("paid_per_person_year", "Spend", "money", "per person-year"),
    ("ed_visits_per_1000_person_years", "ED visits", "rate", PER_1000),
    ("admissions_per_1000_person_years", "Admissions", "rate", PER_1000),
    ("leakage_share", "Leakage", "percent", FRACTION),
)
COMPARE_COLUMNS = (
    Column("who", "Who"),
    Column("person_years", "Person-years (denominator)", "rate"),
    *(Column(key, label, kind, unit) for key, label, kind, unit in MEASURES),  # type: ignore[arg-type]
)
PEER_COLUMNS = (
    Column("peers", f"Peers (at least {MIN_PEER_PANEL} attributed patients)", "count"),
    *(Column(key, f"{label}: percentile", "percent") for key, label, _, _ in MEASURES),
)
def scorecard_rows(con: duckdb.DuckDBPyConnection, period: Period, scope: Scope,
                   by_npi: bool) -> list[dict[str, Any]]:
    sql, params = scorecard_sql(period, scope, by_npi)
    return records(con, sql, params)


def aco_row(con: duckdb.DuckDBPyConnection, period: Period) -> dict[str, Any]:
    """Every TIN's scorecard of the period summed, with the scorecard's rate arithmetic."""
    from aco_pipeline.metrics.providers import RATE_Q, SHARE_Q, _rate

    [row] = records(con, """
        select cast(count(*) as integer) as tins
             , cast(coalesce(sum(panel_size), 0) as integer) as panel_size
             , coalesce(sum(person_years), 0) as person_years
             , coalesce(sum(total_paid), 0) as total_paid
             , cast(coalesce(sum(ed_visit_days), 0) as integer) as ed_visit_days
             , cast(coalesce(sum(inpatient_admissions), 0) as integer) as inpatient_admissions
             , sum(paid_outside_aco) as paid_outside_aco
        from metric_provider_scorecard_tin where period_id = ?""", [period.period_id])
    person_years = Decimal(row["person_years"])
    paid = Decimal(row["total_paid"])
    outside = row["paid_outside_aco"]
    return {
        "who": f"ACO (all {row['tins']} attributed TINs)",
        "panel_size": row["panel_size"], "person_years": person_years,
        "paid_per_person_year": (paid / person_years).quantize(RATE_Q)
        if person_years else None,
        "ed_visits_per_1000_person_years": _rate(row["ed_visit_days"], person_years),
        "admissions_per_1000_person_years": _rate(row["inpatient_admissions"], person_years),
        "leakage_share": (Decimal(outside) / paid).quantize(SHARE_Q)
        if outside is not None and paid > 0 else None,
    }


def percentile(value: Any, peers: list[Any]) -> Decimal | None:
    """The share of peers (0-100) with a lower value; None without a value or peers."""
    known = [p for p in peers if p is not None]
    if value is None or not known:
        return None
    below = sum(1 for p in known if p < value)
    return (Decimal(100) * below / len(known)).quantize(PERCENTILE, ROUND_HALF_UP)


def peer_row(con: duckdb.DuckDBPyConnection, period: Period, own: dict[str, Any],
             by_npi: bool, min_panel: int) -> dict[str, Any]:
    table = "metric_provider_scorecard_npi" if by_npi else "metric_provider_scorecard_tin"
    peers = records(con, f"select {', '.join(k for k, *_ in MEASURES)} from {table} "
                         "where period_id = ? and panel_size >= ?",
                    [period.period_id, min_panel])
    out: dict[str, Any] = {"peers": len(peers)}
    for key, *_ in MEASURES:
        out[key] = percentile(own.get(key), [p[key] for p in peers])
    return out


def patients_link(scope: Scope) -> tuple[str, str]:
    """The attributed patient list (pages/patient.py) at this TIN/NPI."""
    params = [("tin", scope.tin or "")] + ([("npi", scope.npi)] if scope.npi else [])
    return "Attributed patient list", f"/provider/patients?{urlencode(params)}"


def provider_view(con: duckdb.DuckDBPyConnection, scope: Scope, period_id: str | None,
                  tin: str | None = None, npi: str | None = None, *,
                  patients: bool = False, min_peer_panel: int = MIN_PEER_PANEL) -> View:
    """`patients`: link the attributed patient list (for principals allowed PHI)."""
    available = periods(con, SCORECARD_KINDS)
    period = choose_period(available, period_id)
    chosen = narrow(scope, tin, npi)
    if chosen.whole_aco:
        sql, params = scorecard_sql(period, chosen, by_npi=False)
        return View("Provider scorecards: choose a TIN", period, available, [
            Tab("choose", "TINs", tables=[Table("tins", "Attributed TINs",
                                                scorecard_columns(False), sql=sql,
                                                params=params, default_sort="panel_size",
                                                descending=True)])])
    by_npi = chosen.npi is not None
    own_rows = scorecard_rows(con, period, chosen, by_npi)
    who = f"TIN {chosen.tin}" + (f", NPI {chosen.npi}" if by_npi else "")
    notes: list[str] = []
    compare: list[dict[str, Any]] = []
    peers: list[dict[str, Any]] = []
    if own_rows:
        own = own_rows[0]
        compare = [{"who": who, **{k: own[k] for k, *_ in MEASURES},
                    "person_years": own["person_years"]}, aco_row(con, period)]
        peers = [peer_row(con, period, own, by_npi, min_peer_panel)]
        if peers[0]["peers"] == 0:
            notes.append(f"no {'NPI' if by_npi else 'TIN'} has at least {min_peer_panel} "
                         "attributed patients in this period: no peer percentiles")
    else:
        notes.append(f"{who} has no attributed patients in {period.period_id}")
    tabs = [Tab("scorecard", "Scorecard", notes=notes, tables=[
        Table("compare", f"{who} against the ACO", COMPARE_COLUMNS, rows=compare),
        Table("peers", "Percentile among peers (share of peers with a lower value)",
              PEER_COLUMNS, rows=peers)])]
    npi_sql, npi_params = scorecard_sql(period, chosen, by_npi=True)
    tabs[0].tables.append(Table("npis", "By NPI", scorecard_columns(True), sql=npi_sql,
                                params=npi_params, default_sort="panel_size",
                                descending=True))
    if patients:
        tabs[0].links.append(patients_link(chosen))
    return View(f"Provider: {who}", period, available, tabs, notes=[
        "scorecard: attribution of the period's last month; person-years and numerators "
        "from counted person-months only (docs/providers.md)",
        "ED visits: distinct ED visit days; admissions: inpatient admissions",
        f"peers: TINs (NPIs) with at least {min_peer_panel} attributed patients"])


@router.get("/provider")
def provider_page(request: Request, principal: Viewer) -> Response:
    q = request.query_params
    return respond(request,
                   lambda con: provider_view(con, principal.scope, q.get("period"),
                                             q.get("tin"), q.get("npi"),
                                             patients=principal.may(Permission.PHI)),
                   template="pages/provider.html", filename="provider",
                   extra={"hierarchy": True})
