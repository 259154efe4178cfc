"""The patient page (`/patients/{token}`) and the provider's attributed patient list
(`/provider/patients`), with the pieces every patient-level page shares (docs/care-management.md,
"Pages").

- **One patient scope.** A beneficiary is in a principal's scope when their attributed TIN (and
  NPI) in `mart_patient_beneficiary` match the principal's `Scope` (access.principal, the one
  scope definition). Every patient-level query here and in pages/care.py and pages/analyst.py
  filters its rows with `patient_scope(...)`, inside the SQL; there is no other path.
- **Opaque tokens only.** Rows carry the MBI from the warehouse to this module and no further:
  `link_rows` replaces it by the beneficiary's URL token (`BeneficiaryTokens`) before anything
  is rendered or exported. An unknown or edited token is a 404 with no detail; a token of a
  beneficiary outside the principal's scope is the same 404, audited as denied.
- **Every answer audited, never cached.** Each patient-level page, table fragment and export
  writes an audit row (who, action, the token or list name, row count, client) and carries
  `Cache-Control: no-store`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from aco_pipeline.warehouse import read
from aco_pipeline.web import refusals
from aco_pipeline.web import tables as tbl
from aco_pipeline.web.access.guard import client_of, require
from aco_pipeline.web.access.principal import Permission, Principal, Scope
from aco_pipeline.web.export import export_response
from aco_pipeline.web.render import mark_phi, render, services
from aco_pipeline.web.schemas import (
    API_ERRORS,
    EXPORTS,
    TablesJson,
    hierarchy_params,
    table_params,
)
from aco_pipeline.web.tables import Column, TablePage, TableQuery

if TYPE_CHECKING:
    import duckdb

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", responses={**API_ERRORS, **EXPORTS})
"""The JSON routes (in /openapi.json; the pages' router is not)."""
NAV = [("Patients", "/provider/patients", Permission.PHI)]

BENEFICIARY = "mart_patient_beneficiary"
TIN = re.compile(r"^[0-9]{9}$")
NPI = re.compile(r"^[0-9]{10}$")
NOT_BUILT = ("The published warehouse has no patient-level tables yet: rebuild it with "
             "`aco build`.")
# the canonical risk scores a patient-level page shows: those of the performance year to date
# (payment year = performance year + 1, docs/risk.md)
# risk scores and coefficients have three decimals (docs/risk.md): shown as they are stored,
# not rounded to a rate's two places
SCORE: tbl.Kind = "text"
RISK_PERIOD = ("(select max(period_id) from metric_risk_scores "
               "where period_kind = 'performance_year_to_date')")


# --- scope ------------------------------------------------------------------------------------

def hierarchy(request: Request) -> Scope:
    """The ACO -> TIN -> NPI filter a page was asked for (`tin=`, `npi=`); 400 for anything
    that is not a TIN (9 digits) or NPI (10 digits)."""
    tin = request.query_params.get("tin") or None
    npi = request.query_params.get("npi") or None
    if tin is not None and not TIN.match(tin):
        raise HTTPException(400, "tin must be 9 digits")
    if npi is not None and not NPI.match(npi):
        raise HTTPException(400, "npi must be 10 digits")
    return Scope(tin=tin, npi=npi)


def patient_scope(scope: Scope, mbi_column: str = "mr_mbi",
                  narrowed: Scope | None = None) -> tuple[str, list[Any]]:
    """The SQL predicate keeping the beneficiaries (by `mbi_column`) whose attribution is in
    `scope` (the principal's) and in `narrowed` (the page's TIN/NPI filter), and its
    parameters. The one patient-scope definition: Scope.sql on mart_patient_beneficiary's
    attributed_tin / attributed_npi. Column names come from code, never from a request."""
    clauses: list[str] = []
    params: list[Any] = []
    for s in (scope, narrowed or Scope()):
        if s.whole_aco:
            continue
        where, values = s.sql("attributed_tin", "attributed_npi")
        clauses.append(f"{mbi_column} in (select mr_mbi from {BENEFICIARY} where {where})")
        params += values
    return (" and ".join(clauses) or "true"), params


def link_rows(rows: list[dict[str, Any]], tokens: Any) -> list[dict[str, Any]]:
    """Each row's `mr_mbi` replaced by its URL token and patient-page URL (in place)."""
    for row in rows:
        mbi = row.pop("mr_mbi", None)
        token = tokens.token(mbi) if mbi else None
        row["token"] = token
        row["patient_url"] = f"/patients/{token}" if token else None
    return rows


# --- patient-level tables ---------------------------------------------------------------------

@dataclass
class PatientTable:
    """One patient-level table of a page: a SELECT (scope already inside) whose rows may carry
    `mr_mbi`, which `link_rows` turns into a token before anything leaves the server."""

    table_id: str
    title: str
    columns: tuple[Column, ...]
    sql: str
    params: list[Any] = field(default_factory=list)
    default_sort: str | None = None
    descending: bool = False
    size: int = 50

    def query(self, request: Request | None) -> TableQuery:
        if request is None:
            return TableQuery.default(self.default_sort, self.size, self.descending)
        return TableQuery.from_request(request, self.columns, self.default_sort, self.size,
                                       table_id=self.table_id, descending=self.descending)

    def page(self, con: duckdb.DuckDBPyConnection, query: TableQuery,
             tokens: Any) -> TablePage:
        page = tbl.fetch_page(con, self.sql, self.params, self.columns, query)
        link_rows(page.rows, tokens)
        return page

    def everything(self, con: duckdb.DuckDBPyConnection, query: TableQuery,
                   tokens: Any) -> list[dict[str, Any]]:
        return link_rows(tbl.fetch_all(con, self.sql, self.params, self.columns, query), tokens)


@dataclass
class Answer:
    """What a patient-level page builder returns: its tables and the page's other context."""

    tables: list[PatientTable]
    context: dict[str, Any] = field(default_factory=dict)
    target: str = ""
    """The audit target: the beneficiary token or the list's name."""


Builder = Callable[["duckdb.DuckDBPyConnection"], Answer]
RowHook = Callable[[PatientTable, list[dict[str, Any]]], None]


def audit(request: Request, principal: Principal, action: str, target: str | None,
          rows: int | None = None, outcome: str = "allowed", detail: str | None = None) -> None:
    services(request).audit.record(principal=principal, action=action, target=target,
                                   rows=rows, outcome=outcome, client=client_of(request),
                                   detail=detail)


def respond(request: Request, principal: Principal, build: Builder, *, template: str,
            filename: str, api: bool = False, rows_hook: RowHook | None = None,
            phi: bool = True, kind: str = "list",
            partial: str = "_table.html", export_columns: Callable[
                [PatientTable], Sequence[Column]] | None = None) -> Response:
    """Answer a patient-level request: the full page, one table's htmx partial (`table=`),
    that table's export (`format=csv|xlsx`), or with `api` the page's tables as JSON. Every
    patient-level (`phi`) answer is audited with its row count and marked no-store, as
    `<kind>.view`, `<kind>.api` or `<kind>.export.<format>` (`patient` for one beneficiary's
    page, with the token as target; `list` for a list, with its name)."""
    if phi:
        mark_phi(request)
    svc = services(request)
    params = request.query_params
    fmt = params.get("format")
    wanted = params.get("table")
    tbl.register_filters(request.app.state.templates.env)
    try:
        with svc.warehouse.connect() as con:
            answer = build(con)
            by_id = {t.table_id: t for t in answer.tables}
            if wanted is not None and wanted not in by_id:
                raise HTTPException(400, refusals.UNKNOWN_TABLE)
            if fmt is not None:
                table = by_id[wanted] if wanted else answer.tables[0]
                rows = table.everything(con, table.query(request), svc.tokens)
                if rows_hook:
                    rows_hook(table, rows)
                cols = export_columns(table) if export_columns else table.columns
                response = export_response(fmt, cols, rows, f"{filename}-{table.table_id}")
                if phi:
                    audit(request, principal, f"{kind}.export.{fmt}", answer.target, len(rows),
                          detail=table.table_id)
                return response
            chosen = [by_id[wanted]] if wanted and (request.headers.get("HX-Request")
                                                    or api) else answer.tables
            pages: dict[str, TablePage] = {}
            for table in chosen:
                page = table.page(con, table.query(request), svc.tokens)
                if rows_hook:
                    rows_hook(table, page.rows)
                pages[table.table_id] = page.for_request(request, table.table_id, table.title)
    except read.WarehouseReadError:
        if api:
            return JSONResponse({"detail": NOT_BUILT}, status_code=503)
        return render(request, "errors/error.html", {"status": 503, "message": NOT_BUILT,
                                                     "fields": []}, status_code=503, phi=phi)
    if phi:
        shown = sum(len(p.rows) for p in pages.values())
        audit(request, principal, f"{kind}.{'api' if api else 'view'}", answer.target, shown,
              detail=",".join(pages))
    if api:
        # money and scores as exact JSON numbers, the CLI's and the aggregate API's writer
        from aco_pipeline.cli.output import _json as exact_json

        return Response(exact_json(_json(answer, pages)), media_type="application/json")
    if request.headers.get("HX-Request") and wanted:
        return render(request, partial, {"table": pages[wanted], "interactive": True,
                                         **answer.context}, phi=phi)
    return render(request, template, {"pages": pages, **answer.context}, phi=phi)


def _json(answer: Answer, pages: dict[str, TablePage]) -> dict[str, Any]:
    out: dict[str, Any] = {"tables": {}}
    for table_id, page in pages.items():
        keys = [c.key for c in page.columns] + ["token"]
        out["tables"][table_id] = {
            "columns": [{"key": c.key, "label": c.header, "kind": c.kind}
                        for c in page.columns],
            "rows": [{k: r.get(k) for k in keys if k in r} for r in page.rows],
            "total": page.total, "page": page.query.page, "pages": page.pages,
        }
    header = answer.context.get("patient")
    if isinstance(header, dict):
        out["patient"] = dict(header)
    return out


# --- the patient page -------------------------------------------------------------------------

HEADER_COLUMNS = ("beneficiary_name", "birth_date", "sex_cd", "death_date", "attributed_tin",
                  "attributed_npi", "attribution_source", "attribution_month")


def patient_header(con: duckdb.DuckDBPyConnection, scope: Scope,
                   mbi: str) -> dict[str, Any] | None:
    """The beneficiary's header (name, birth date, attribution, the canonical risk score), or
    None when the beneficiary is unknown or outside `scope`."""
    read.require(con, [BENEFICIARY], "patient-level marts")
    where, params = patient_scope(scope)
    found = con.execute(
        f"select {', '.join(HEADER_COLUMNS)} from {BENEFICIARY} "
        f"where mr_mbi = ? and {where}", [mbi, *params])
    names = [d[0] for d in found.description or []]
    row = found.fetchone()
    if row is None:
        return None
    header = dict(zip(names, row, strict=True))
    header.update(risk_score=None, payment_year=None, model_segment=None)
    if "metric_risk_scores" in read.tables(con):
        risk = con.execute(
            "select risk_score, payment_year, model_segment from metric_risk_scores "
            f"where mr_mbi = ? and period_id = {RISK_PERIOD}", [mbi]).fetchone()
        if risk is not None:
            header.update(risk_score=risk[0], payment_year=risk[1], model_segment=risk[2])
    return header


TIMELINE_COLUMNS = (
    Column("thru_date", "Through", "date"), Column("from_date", "From", "date"),
    Column("setting_label", "Setting"), Column("clm_type_label", "Claim type"),
    Column("principal_diagnosis_cd", "Principal diagnosis (ICD-10)"),
    Column("ccn", "Facility CCN"), Column("tin", "TIN"), Column("npi", "NPI"),
    Column("paid_amount", "Paid", "money", "dollars; Part D: beneficiary-paid"),
    Column("medicare_part", "Part"), Column("claim_lines", "Lines", "count"),
    Column("cur_clm_uniq_id", "Claim id"),
)
DIAGNOSIS_COLUMNS = (
    Column("icd_code", "ICD code"), Column("first_service_date", "First coded", "date"),
    Column("last_service_date", "Last coded", "date"), Column("claims", "Claims", "count"),
    Column("principal_claims", "As principal", "count", "claims"),
)
HCC_COLUMNS = (
    Column("payment_year", "Payment year"), Column("model", "Model"), Column("hcc", "HCC"),
    Column("description", "Description"), Column("coefficient", "Coefficient", SCORE),
)
PROVIDER_COLUMNS = (
    Column("ccn", "Facility CCN"), Column("tin", "TIN"), Column("npi", "NPI"),
    Column("settings", "Settings"), Column("claims", "Claims", "count"),
    Column("first_date", "First seen", "date"), Column("last_date", "Last seen", "date"),
    Column("paid_amount", "Paid", "money", "dollars"),
)
ENROLLMENT_COLUMNS = (
    Column("month", "Month", "date"), Column("enrollment_type_label", "Enrollment type"),
    Column("is_counted", "Counted month"), Column("assigned", "Assigned (ALR)"),
    Column("opted_out", "Opted out"), Column("alive", "Alive"),
    Column("attributed_tin", "Attributed TIN"), Column("attributed_npi", "Attributed NPI"),
    Column("attribution_source", "Attribution source"),
)
TIMELINE_SELECT = ("select thru_date, from_date, setting_label, clm_type_label, "
                   "principal_diagnosis_cd, ccn, tin, npi, paid_amount, medicare_part, "
                   "claim_lines, cur_clm_uniq_id, claim_family, setting, is_admission, "
                   "is_ed_visit from mart_patient_timeline where mr_mbi = ?")


def patient_tables(con: duckdb.DuckDBPyConnection, mbi: str) -> list[PatientTable]:
    """The patient page's tables for one beneficiary already checked to be in scope."""
    read.require(con, ["mart_patient_timeline", "mart_patient_diagnosis",
                       "mart_patient_enrollment"], "patient-level marts")
    out = [
        PatientTable("timeline", "Claims timeline", TIMELINE_COLUMNS, TIMELINE_SELECT, [mbi],
                     "thru_date", True),
        PatientTable("admissions", "Inpatient admissions", TIMELINE_COLUMNS,
                     TIMELINE_SELECT + " and is_admission", [mbi], "thru_date", True),
        PatientTable("ed_visits", "ED visits", TIMELINE_COLUMNS,
                     TIMELINE_SELECT + " and is_ed_visit", [mbi], "thru_date", True),
        PatientTable("diagnoses", "Diagnoses", DIAGNOSIS_COLUMNS,
                     "select icd_code, first_service_date, last_service_date, claims, "
                     "principal_claims from mart_patient_diagnosis where mr_mbi = ?", [mbi],
                     "last_service_date", True),
        PatientTable("providers", "Providers seen", PROVIDER_COLUMNS,
                     "select ccn, tin, npi, string_agg(distinct setting_label, ', ' "
                     "order by setting_label) as settings, count(*) as claims, "
                     "min(thru_date) as first_date, max(thru_date) as last_date, "
                     "cast(sum(paid_amount) as decimal(18, 2)) as paid_amount "
                     "from mart_patient_timeline where mr_mbi = ? and claim_family <> 'part_d' "
                     "group by ccn, tin, npi", [mbi], "claims", True),
        PatientTable("enrollment", "Enrollment and attribution", ENROLLMENT_COLUMNS,
                     "select month, enrollment_type_label, is_counted, assigned, opted_out, "
                     "alive, attributed_tin, attributed_npi, attribution_source "
                     "from mart_patient_enrollment where mr_mbi = ?", [mbi], "month", True),
    ]
    if "metric_risk_hccs" in read.tables(con):
        out.insert(4, PatientTable(
            "hccs", "HCCs (canonical risk scores)", HCC_COLUMNS,
            "select payment_year, model, hcc, description, coefficient from metric_risk_hccs "
            "where mr_mbi = ?", [mbi], "payment_year", True))
    return out


def beneficiary_of(request: Request, principal: Principal, token: str) -> str:
    """The MBI behind `token`: 404 without detail for a token that is not ours (audited as
    denied, no target)."""
    mbi = services(request).tokens.mbi(token)
    if mbi is None:
        mark_phi(request)
        audit(request, principal, "patient.view", None, outcome="denied",
              detail="not a beneficiary token")
        raise HTTPException(404)
    return mbi


def worklist_items(request: Request, mbi: str) -> list[Any]:
    """The beneficiary's stored worklist items (any list), for the patient page."""
    from aco_pipeline.web.worklist import WORKLISTS

    store = services(request).worklist
    if store is None:
        return []
    found = [store.item(name, mbi) for name in WORKLISTS]
    return [item for item in found if item.version > 0]


def _patient_answer(request: Request, principal: Principal, token: str) -> Builder:
    mbi = beneficiary_of(request, principal, token)

    def build(con: duckdb.DuckDBPyConnection) -> Answer:
        header = patient_header(con, principal.scope, mbi)
        if header is None:
            # unknown, or another provider's patient: the same 404, audited as denied
            audit(request, principal, "patient.view", token, outcome="denied",
                  detail="not in scope")
            raise HTTPException(404)
        return Answer(patient_tables(con, mbi), {"patient": header, "token": token,
                                                 "title": header["beneficiary_name"],
                                                 "items": worklist_items(request, mbi)},
                      target=token)

    return build


@router.get("/patients/{token}")
def patient_page(request: Request, token: str,
                 principal: Annotated[Principal, Depends(require(Permission.PHI))]) -> Response:
    return respond(request, principal, _patient_answer(request, principal, token),
                   template="pages/patient.html", filename="patient", kind="patient")


@api_router.get("/patients/{token}", response_model=TablesJson,
                dependencies=[Depends(table_params)])
def patient_api(request: Request, token: str,
                principal: Annotated[Principal, Depends(require(Permission.PHI))]) -> Response:
    return respond(request, principal, _patient_answer(request, principal, token),
                   template="", filename="patient", api=True, kind="patient")


# --- the provider's attributed patients -------------------------------------------------------

PANEL_COLUMNS = (
    Column("beneficiary_name", "Patient", "link", link="patient_url"),
    Column("attributed_tin", "Attributed TIN"), Column("attributed_npi", "Attributed NPI"),
    Column("attribution_source", "Attribution source"),
    Column("attribution_month", "Attributed as of", "date"),
    Column("risk_score", "Risk score", SCORE, "CMS-HCC, payment year PY + 1"),
)


def panel_table(con: duckdb.DuckDBPyConnection, scope: Scope,
                narrowed: Scope | None = None) -> PatientTable:
    """The attributed patients at `scope` (and the page's TIN/NPI filter): every beneficiary
    of mart_patient_beneficiary with an attributed TIN, with the canonical risk score."""
    read.require(con, [BENEFICIARY], "patient-level marts")
    where, params = patient_scope(scope, "b.mr_mbi", narrowed)
    risk = (f"select mr_mbi, risk_score from metric_risk_scores where period_id = {RISK_PERIOD}"
            if "metric_risk_scores" in read.tables(con)
            else "select cast(null as varchar) as mr_mbi, cast(null as decimal(10, 3)) "
                 "as risk_score where false")
    sql = ("select b.mr_mbi, b.beneficiary_name, b.attributed_tin, b.attributed_npi, "
           "b.attribution_source, b.attribution_month, r.risk_score "
           f"from {BENEFICIARY} as b left join ({risk}) as r on b.mr_mbi = r.mr_mbi "
           f"where b.attributed_tin is not null and {where}")
    return PatientTable("patients", "Attributed patients", PANEL_COLUMNS, sql, params,
                        "risk_score", True)


@router.get("/provider/patients")
def provider_patients(request: Request,
                      principal: Annotated[Principal, Depends(require(Permission.PHI))]
                      ) -> Response:
    narrowed = hierarchy(request)

    def build(con: duckdb.DuckDBPyConnection) -> Answer:
        return Answer([panel_table(con, principal.scope, narrowed)],
                      {"title": "Attributed patients", "narrowed": narrowed},
                      target="provider:patients")

    return respond(request, principal, build, template="pages/patient_list.html",
                   filename="patients")


@api_router.get("/provider/patients", response_model=TablesJson,
                dependencies=[Depends(table_params), Depends(hierarchy_params)])
def provider_patients_api(request: Request,
                          principal: Annotated[Principal, Depends(require(Permission.PHI))]
                          ) -> Response:
    narrowed = hierarchy(request)

    def build(con: duckdb.DuckDBPyConnection) -> Answer:
        return Answer([panel_table(con, principal.scope, narrowed)],
                      target="provider:patients")

    return respond(request, principal, build, template="", filename="patients", api=True)
