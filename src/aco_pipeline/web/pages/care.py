"""The care manager's worklists: `/care` and `/care/worklists/{name}` (docs/care-management.md,
"Pages").

Each worklist is a canonical table built by `aco build` (the same rows as `aco report care`
as of the data's as-of date; docs/metrics.md): top spenders, frequent ED, discharges without
follow-up (within 7 days; `days=14` keeps those without one within 14 either), rising risk,
and high risk: the highest canonical risk scores (`metric_risk_scores`, performance year to
date, the `[care] top_n` highest, or `top_percent`). Rows are in the principal's patient
scope (pages/patient.py `patient_scope`).

What a care manager does about a row (assign / contacted / closed, a short note) is stored in
`web.worklist.WorklistStore` and shown beside it; a change is an htmx POST with the CSRF
token, needs `Permission.WORKLIST_EDIT` and is audited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from aco_pipeline.metrics.care import CareConfigError, load_care_config
from aco_pipeline.warehouse import read
from aco_pipeline.web.access.guard import require
from aco_pipeline.web.access.principal import Permission, Principal, Scope
from aco_pipeline.web.pages.patient import (
    SCORE,
    Answer,
    Builder,
    PatientTable,
    audit,
    beneficiary_of,
    hierarchy,
    patient_scope,
    respond,
)
from aco_pipeline.web.render import mark_phi, render, services
from aco_pipeline.web.schemas import (
    API_ERRORS,
    EXPORTS,
    TablesJson,
    hierarchy_params,
    table_params,
)
from aco_pipeline.web.tables import Column, register_filters
from aco_pipeline.web.worklist import NOTE_MAX, State, WorklistConflict, WorklistError

if TYPE_CHECKING:
    import duckdb

    from aco_pipeline.config import Workspace

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", responses={**API_ERRORS, **EXPORTS})
"""The JSON routes (in /openapi.json; the pages' router is not)."""
NAV = [("Worklists", "/care", Permission.PHI)]

PATIENT = Column("beneficiary_name", "Patient", "link", link="patient_url")
TIN = Column("attributed_tin", "Attributed TIN")
NPI = Column("attributed_npi", "Attributed NPI")
ITEM_COLUMNS = (Column("state", "State"), Column("assignee", "Assigned to"),
                Column("note", "Note"), Column("updated_at", "Changed (UTC)"))


@dataclass(frozen=True)
class Worklist:
    name: str
    title: str
    table: str
    columns: tuple[Column, ...]
    select: str
    """The canonical table's columns (aliased `t`); mr_mbi is added."""
    default_sort: str
    descending: bool
    why: str


DEFINITIONS: dict[str, Worklist] = {w.name: w for w in (
    Worklist("high_risk", "High risk", "metric_risk_scores",
             (Column("rank", "Rank", "count"), PATIENT, TIN, NPI,
              Column("risk_score", "Risk score", SCORE, "CMS-HCC, payment year PY + 1"),
              Column("model_segment", "Segment"),
              Column("enrollment_type_label", "Enrollment type"), Column("hccs", "HCCs")),
             "", "rank", False,
             "The highest canonical CMS-HCC risk scores (metric_risk_scores, performance year "
             "to date, payment year = PY + 1): the [care] top_n highest (or top_percent)."),
    Worklist("top_spenders", "Top spenders", "metric_care_top_spenders",
             (Column("rank", "Rank", "count"), PATIENT, TIN, NPI,
              Column("total_paid", "Paid, 12 months", "money", "Part A + B"),
              Column("part_a_paid", "Part A", "money"), Column("part_b_paid", "Part B", "money"),
              Column("inpatient_admissions", "Admissions", "count"),
              Column("ed_visit_days", "ED visit days", "count")),
             "t.rank, t.beneficiary_name, t.attributed_tin, t.attributed_npi, t.total_paid, "
             "t.part_a_paid, t.part_b_paid, t.inpatient_admissions, t.ed_visit_days",
             "rank", False,
             "Part A + B spend with service dates in the 12 months ending on the as-of date "
             "(metric_care_top_spenders)."),
    Worklist("frequent_ed", "Frequent ED", "metric_care_frequent_ed",
             (PATIENT, TIN, NPI, Column("ed_visit_days", "ED visit days", "count", "12 months"),
              Column("ed_claims", "ED claims", "count"),
              Column("first_ed_date", "First ED visit", "date"),
              Column("last_ed_date", "Last ED visit", "date"),
              Column("ed_paid", "ED paid", "money", "12 months")),
             "t.beneficiary_name, t.attributed_tin, t.attributed_npi, t.ed_visit_days, "
             "t.ed_claims, t.first_ed_date, t.last_ed_date, t.ed_paid",
             "ed_visit_days", True,
             "At least [care] ed_visits ED visit days in the 12 months ending on the as-of "
             "date (metric_care_frequent_ed)."),
    Worklist("discharges_without_followup", "Discharges without follow-up",
             "metric_care_discharges_without_followup",
             (PATIENT, TIN, NPI, Column("ccn", "Facility CCN"),
              Column("admission_date", "Admitted", "date"),
              Column("discharge_date", "Discharged", "date"),
              Column("discharge_status", "Discharge status"), Column("drg_cd", "DRG"),
              Column("paid_amount", "Paid", "money"),
              Column("days_since_discharge", "Days since discharge", "count"),
              Column("next_followup_date", "Next follow-up", "date"),
              Column("days_to_followup", "Days to follow-up", "count"),
              Column("window_closed", "Window closed")),
             "t.beneficiary_name, t.attributed_tin, t.attributed_npi, t.ccn, t.admission_date, "
             "t.discharge_date, t.discharge_status, t.drg_cd, t.paid_amount, "
             "t.days_since_discharge, t.next_followup_date, t.days_to_followup, "
             "t.window_closed",
             "discharge_date", True,
             "Live inpatient discharges of the lookback window without a follow-up visit "
             "within [care] followup_days (metric_care_discharges_without_followup)."),
    Worklist("rising_risk", "Rising risk", "metric_care_rising_risk",
             (Column("rank", "Rank", "count"), PATIENT, TIN, NPI,
              Column("recent_paid_annualised", "Last 6 months", "money", "annualised"),
              Column("prior_paid_annualised", "6 months before", "money", "annualised"),
              Column("spend_increase_annualised", "Increase", "money", "annualised"),
              Column("risk_score_recent", "Risk score, last 12 months", SCORE),
              Column("risk_score_prior", "Risk score, 12 before", SCORE),
              Column("risk_score_change", "Score change", SCORE)),
             "t.rank, t.beneficiary_name, t.attributed_tin, t.attributed_npi, "
             "t.recent_paid_annualised, t.prior_paid_annualised, t.spend_increase_annualised, "
             "t.risk_score_recent, t.risk_score_prior, t.risk_score_change",
             "rank", False,
             "Annualised Part A + B spend of the last 6 months against the 6 before, ranked "
             "by risk score change (metric_care_rising_risk)."),
)}
FOLLOWUP_WINDOWS = ("7", "14")


def definition(name: str) -> Worklist:
    found = DEFINITIONS.get(name)
    if found is None:
        raise HTTPException(404)
    return found


def _high_risk_limit(con: duckdb.DuckDBPyConnection, ws: Workspace) -> int:
    try:
        config = load_care_config(ws)
    except CareConfigError:
        # the message names the file and key; the page says only what to fix where
        raise HTTPException(503, "the [care] section of aco.toml is not valid: run "
                                 "`aco report care` to see why") from None
    if config.top_n is not None:
        return config.top_n
    [(scored,)] = read.rows(con, "select count(*) from metric_risk_scores where period_id = "
                                 "(select max(period_id) from metric_risk_scores where "
                                 "period_kind = 'performance_year_to_date')")
    return math.ceil(Decimal(scored) * (config.top_percent or Decimal(0)) / 100)


def list_sql(con: duckdb.DuckDBPyConnection, ws: Workspace, name: str, scope: Scope, *,
             narrowed: Scope | None = None, days: str = "7",
             only: list[str] | None = None, excluded: list[str] | None = None
             ) -> tuple[str, list[Any]]:
    """The worklist's SELECT at `scope` (and the page's TIN/NPI filter): its columns and
    mr_mbi, from the canonical table's stored period. `only` / `excluded` keep or drop
    beneficiaries (the item-state filter)."""
    w = definition(name)
    read.require(con, [w.table], "canonical care lists")
    where, params = patient_scope(scope, "mr_mbi", narrowed)
    if name == "high_risk":
        read.require(con, ["mart_patient_beneficiary"], "patient-level marts")
        inner = (
            "select t.mr_mbi, coalesce(b.beneficiary_name, t.last_name || ', ' || t.first_name) "
            "as beneficiary_name, b.attributed_tin, b.attributed_npi, t.risk_score, "
            "t.model_segment, t.enrollment_type_label, array_to_string(t.hccs, ' ') as hccs, "
            "cast(row_number() over (order by t.risk_score desc, t.mr_mbi) as integer) as rank "
            "from metric_risk_scores as t "
            "left join mart_patient_beneficiary as b on t.mr_mbi = b.mr_mbi "
            "where t.period_id = (select max(period_id) from metric_risk_scores "
            "where period_kind = 'performance_year_to_date') "
            "and (b.death_date is null or b.death_date > t.as_of_date)")
        sql = f"select * from ({inner}) as ranked where rank <= ?"
        base_params: list[Any] = [_high_risk_limit(con, ws)]
    else:
        sql = (f"select t.mr_mbi, {w.select} from {w.table} as t "
               f"where t.period_id = (select max(period_id) from {w.table})")
        base_params = []
        if name == "discharges_without_followup":
            if days not in FOLLOWUP_WINDOWS:
                raise HTTPException(400, "days must be 7 or 14")
            if days == "14":
                sql += " and not coalesce(t.followup_within_extended_days, false)"
    sql = f"select * from ({sql}) as listed where {where}"
    if only is not None:
        sql += " and list_contains(?, mr_mbi)"
        params.append(only)
    if excluded:
        sql += " and not list_contains(?, mr_mbi)"
        params.append(excluded)
    return sql, [*base_params, *params]


def state_filter(store: Any, name: str, wanted: str | None
                 ) -> tuple[list[str] | None, list[str] | None]:
    """(only, excluded) MBIs for the item-state filter `state=` (open / assigned / contacted /
    closed; nothing = every row)."""
    if not wanted:
        return None, None
    try:
        state = State(wanted)
    except ValueError:
        raise HTTPException(400, "state must be open, assigned, contacted or closed") from None
    if state is State.OPEN:
        return None, store.mbis(name, [s for s in State if s is not State.OPEN])
    return store.mbis(name, [state]), None


def attach_items(store: Any, name: str, rows: list[dict[str, Any]], mbis: list[str]) -> None:
    """The stored item state beside each row (rows and mbis in the same order)."""
    items = store.items(name, mbis)
    for row, mbi in zip(rows, mbis, strict=True):
        item = items[mbi]
        row.update(state=item.state.value, assignee=item.assignee, note=item.note,
                   version=item.version, updated_at=item.updated_at)


class _ItemRows:
    """Keeps each row's MBI on the server side long enough to look its item state up:
    PatientTable pages replace mr_mbi by the token, so the state is read before that."""

    def __init__(self, tokens: Any, store: Any, name: str) -> None:
        self.tokens, self.store, self.name = tokens, store, name

    def __call__(self, table: PatientTable, rows: list[dict[str, Any]]) -> None:
        mbis = [self.tokens.mbi(r["token"]) for r in rows]
        attach_items(self.store, self.name, rows, mbis)


def _counts(con: duckdb.DuckDBPyConnection, ws: Workspace, store: Any,
            scope: Scope) -> list[dict[str, Any]]:
    out = []
    for w in DEFINITIONS.values():
        try:
            sql, params = list_sql(con, ws, w.name, scope)
        except read.WarehouseReadError:
            out.append({"name": w.name, "title": w.title, "rows": None, "open": None,
                        "why": w.why})
            continue
        mbis = [r[0] for r in read.rows(con, f"select mr_mbi from ({sql}) as l", params)]
        items = store.items(w.name, mbis)
        out.append({"name": w.name, "title": w.title, "rows": len(mbis),
                    "open": sum(1 for i in items.values() if i.state is State.OPEN),
                    "why": w.why})
    return out


@router.get("/care")
def care_index(request: Request,
               principal: Annotated[Principal, Depends(require(Permission.PHI))]) -> Response:
    mark_phi(request)
    svc = services(request)
    try:
        with svc.warehouse.connect() as con:
            lists = _counts(con, svc.workspace, svc.worklist, principal.scope)
    except read.WarehouseReadError:
        lists = []
    audit(request, principal, "list.view", "care:worklists",
          sum(x["rows"] or 0 for x in lists))
    register_filters(request.app.state.templates.env)
    return render(request, "pages/care.html", {"title": "Worklists", "lists": lists},
                  phi=True)


def worklist_params(
        days: Annotated[Literal["7", "14"] | None, Query(
            description="discharges_without_followup: days since discharge")] = None,
        state: Annotated[Literal["open", "assigned", "contacted", "closed", ""] | None, Query(
            description="Only the items in this state")] = None,
) -> None:
    """Declares (and validates) a worklist's `days=` and `state=`."""


def _worklist_answer(request: Request, principal: Principal, name: str) -> Builder:
    w = definition(name)
    svc = services(request)
    narrowed = hierarchy(request)
    days = request.query_params.get("days", "7")
    wanted_state = request.query_params.get("state") or None
    only, excluded = state_filter(svc.worklist, name, wanted_state)

    def build(con: duckdb.DuckDBPyConnection) -> Answer:
        sql, params = list_sql(con, svc.workspace, name, principal.scope, narrowed=narrowed,
                               days=days, only=only, excluded=excluded)
        table = PatientTable(name, w.title, w.columns, sql, params, w.default_sort,
                             w.descending)
        target = f"worklist:{name}" + (f":{days}d" if name == "discharges_without_followup"
                                       else "")
        return Answer([table], {"worklist": w, "title": w.title, "days": days,
                                "state": wanted_state or "", "narrowed": narrowed,
                                "may_edit": principal.may(Permission.WORKLIST_EDIT),
                                "note_max": NOTE_MAX, "states": [s.value for s in State]},
                      target=target)

    return build


@router.get("/care/worklists/{name}")
def worklist_page(request: Request, name: str,
                  principal: Annotated[Principal, Depends(require(Permission.PHI))]
                  ) -> Response:
    svc = services(request)
    return respond(request, principal, _worklist_answer(request, principal, name),
                   template="pages/care_worklist.html", filename=f"worklist-{name}",
                   rows_hook=_ItemRows(svc.tokens, svc.worklist, name),
                   partial="pages/_care_worklist_table.html",
                   export_columns=lambda t: (*t.columns, *ITEM_COLUMNS))


@api_router.get("/care/worklists/{name}", response_model=TablesJson,
                dependencies=[Depends(table_params), Depends(hierarchy_params),
                              Depends(worklist_params)])
def worklist_api(request: Request, name: str,
                 principal: Annotated[Principal, Depends(require(Permission.PHI))]
                 ) -> Response:
    svc = services(request)
    return respond(request, principal, _worklist_answer(request, principal, name),
                   template="", filename=f"worklist-{name}", api=True,
                   rows_hook=_ItemRows(svc.tokens, svc.worklist, name))


def _may_work_lists(user: Any) -> bool:
    return (user is not None and not user.disabled
            and user.principal().may(Permission.WORKLIST_EDIT))


@router.post("/care/worklists/{name}/items/{token}")
def change_item(request: Request, name: str, token: str,
                principal: Annotated[Principal, Depends(require(Permission.WORKLIST_EDIT))],
                action: Annotated[str, Form(max_length=16)],
                version: Annotated[int, Form(ge=0)],
                assignee: Annotated[str, Form(max_length=64)] = "",
                note: Annotated[str, Form(max_length=NOTE_MAX + 100)] = "") -> Response:
    """Assign / contacted / close / reopen one item, with a note; audited."""
    mark_phi(request)
    definition(name)
    svc = services(request)
    mbi = beneficiary_of(request, principal, token)
    try:
        with svc.warehouse.connect() as con:
            sql, params = list_sql(con, svc.workspace, name, principal.scope)
            listed = read.rows(con, f"select count(*) from ({sql}) as l where mr_mbi = ?",
                               [*params, mbi])[0][0]
    except read.WarehouseReadError:
        raise HTTPException(503, "the published warehouse has no care lists yet") from None
    if not listed:
        audit(request, principal, "worklist.change", token, outcome="denied",
              detail=f"{name}: not on the list")
        raise HTTPException(404)
    who = assignee.strip().lower() if action == "assign" else ""
    if who and not _may_work_lists(svc.users.by_name(who)):
        audit(request, principal, "worklist.change", token, outcome="refused",
              detail=f"{name}: assignee cannot work worklists")
        raise HTTPException(400, "assign to an active user who works worklists")
    try:
        item = svc.worklist.change(name, mbi, action, by=principal.username, version=version,
                                   assignee=who or None, note=note)
    except WorklistConflict as exc:
        audit(request, principal, "worklist.change", token, outcome="refused",
              detail=f"{name}:{action[:16]}: conflict")
        raise HTTPException(409, str(exc)) from None
    except WorklistError as exc:
        audit(request, principal, "worklist.change", token, outcome="refused",
              detail=f"{name}: invalid change")
        raise HTTPException(400, str(exc)) from None
    audit(request, principal, "worklist.change", token, 1,
          detail=f"{name}:{item.state.value}")
    if request.headers.get("HX-Request"):
        row = {"token": token, "state": item.state.value, "assignee": item.assignee,
               "note": item.note, "version": item.version, "updated_at": item.updated_at}
        register_filters(request.app.state.templates.env)
        return render(request, "pages/_care_item.html",
                      {"row": row, "worklist": definition(name), "may_edit": True,
                       "note_max": NOTE_MAX}, phi=True)
    return RedirectResponse(f"/care/worklists/{name}", status_code=303)

