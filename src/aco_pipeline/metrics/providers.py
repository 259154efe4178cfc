"""Provider scorecards (per TIN or per TIN and NPI) and the facility view (per CCN) for a
report period and run-out. See docs/providers.md.

Attribution: each beneficiary belongs to the TIN (and the NPI within it) of
`mart_provider_attribution_month` for the period's last month: the ALR's (tables 1-2 / 1-4)
when an ALR covering that month lists the beneficiary, else the plurality of primary care
visits in the 12 months ending then; each row counts its panel by `attribution_source`
(`attributed_alr`, `attributed_plurality`). Per TIN / NPI: panel size, person-years
(eligible months of the panel in the period: enrollment type 1-4 and alive,
fct_member_month, / 12), Part A + B spend of the panel (signed payments with service dates
in the period loaded by the run-out, IP v40 3.4, 5.3.1) per person-year, ED visit days and
inpatient admissions per 1,000 person-years, and, with a participant list, the share of the
panel's spend paid inside the ACO (to a participant TIN, NPI or CCN) against outside it
(leakage).

Facility view: per CCN (Part A claims), spend by service category, claims, admissions, ED
visits and beneficiaries in the period, in or out of network (a participant CCN).

Published through metrics.store as `provider_scorecard_tin`, `provider_scorecard_npi` and
`facility_view`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from aco_pipeline.config import Workspace
from aco_pipeline.metrics import store
from aco_pipeline.metrics.participants import Participants
from aco_pipeline.warehouse.read import WarehouseReadError as ReportError
from aco_pipeline.warehouse.read import connect, money

ScorecardBy = Literal["tin", "npi"]
MONEY = pa.decimal128(18, 2)
RATE = pa.decimal128(18, 2)
SHARE = pa.decimal128(9, 4)
PERSON_YEARS = pa.decimal128(18, 4)
RATE_Q = Decimal("0.01")
SHARE_Q = Decimal("0.0001")
PY_Q = Decimal("0.0001")
FACILITY_CATEGORIES = ("inpatient_acute", "inpatient_other", "snf", "hha", "hospice",
                       "outpatient", "ed_visit")


def _check_period(start: date, end: date, runout: date | None) -> None:
    if end < start:
        raise ReportError("--to is before --from")
    if runout is not None and runout < start:
        raise ReportError("--runout is before --from")


def _execute(con: Any, sql: str, params: list[object]) -> list[tuple[Any, ...]]:
    try:
        return con.execute(sql, params).fetchall()
    except Exception as exc:
        if "does not exist" in str(exc) or "not found" in str(exc).lower():
            raise ReportError("the warehouse has no provider tables; rebuild it with "
                              "`aco build`") from exc
        raise


def _register_participants(con: Any, participants: Participants | None) -> None:
    """Temporary tables participant_tins / _npis / _ccns (empty without a list)."""
    for kind in ("tin", "npi", "ccn"):
        con.execute(f"create or replace temp table participant_{kind}s (id varchar)")
        values = sorted(getattr(participants, f"{kind}s")) if participants else []
        if values:
            con.executemany(f"insert into participant_{kind}s values (?)",
                            [[v] for v in values])


INSIDE = """(
    payments.tin in (select id from participant_tins)
    or payments.ccn in (select id from participant_ccns)
    or payments.npi in (select id from participant_npis)
)"""


def _rate(count: int, person_years: Decimal) -> Decimal | None:
    return (Decimal(count) * 1000 / person_years).quantize(RATE_Q) if person_years else None


def scorecard(ws: Workspace, *, start: date, end: date, runout: date | None = None,
              by: ScorecardBy = "tin", participants: Participants | None = None) -> pa.Table:
    """One row per attributed TIN (`by="tin"`) or TIN and NPI (`by="npi"`)."""
    _check_period(start, end, runout)
    if by not in ("tin", "npi"):
        raise ReportError(f"--by must be tin or npi, not {by!r}")
    keys = "attributed_tin" if by == "tin" else "attributed_tin, attributed_npi"
    attribution_month = end.replace(day=1)
    sql = f"""
        with panel as (
            select mr_mbi, attributed_tin, attributed_npi, attribution_step, attribution_source
            from mart_provider_attribution_month
            where attribution_month = ?
        ),
        eligible_months as (
            select mr_mbi, count(*) as months
            from fct_member_month
            where enrollment_month between ? and ? and alive and enrollment_type between 1 and 4
            group by mr_mbi
        ),
        payments as (
            select * from mart_provider_payment
            where service_date between ? and ?
              and (cast(? as date) is null or clm_idr_ld_dt <= ?)
              and mr_mbi in (select mr_mbi from panel)
        ),
        per_bene as (
            select payments.mr_mbi
                 , cast(sum(signed_paid_amount) as decimal(18, 2)) as paid
                 , cast(sum(case when {INSIDE} then signed_paid_amount else 0 end)
                        as decimal(18, 2)) as paid_inside
                 , count(distinct case when service_category = 'ed_visit'
                                       and visit_key is not null then visit_date end) as ed_days
                 , count(distinct admission_key) as admissions
            from payments
            group by payments.mr_mbi
        )
        select {keys}
             , count(*) as panel_size
             , sum(case when attribution_step = 1 then 1 else 0 end) as step_1
             , sum(case when attribution_source = 'alr' then 1 else 0 end) as from_alr
             , sum(case when attribution_source = 'plurality' then 1 else 0 end) as from_plurality
             , coalesce(sum(eligible_months.months), 0) as eligible_months
             , cast(coalesce(sum(per_bene.paid), 0) as decimal(18, 2)) as paid
             , cast(coalesce(sum(per_bene.paid_inside), 0) as decimal(18, 2)) as paid_inside
             , coalesce(sum(per_bene.ed_days), 0) as ed_days
             , coalesce(sum(per_bene.admissions), 0) as admissions
        from panel
        left join eligible_months using (mr_mbi)
        left join per_bene using (mr_mbi)
        group by {keys}
        order by {keys}
    """
    params: list[object] = [attribution_month, start.replace(day=1), attribution_month,
                            start, end, runout, runout]
    with connect(ws) as con:
        _register_participants(con, participants)
        rows = _execute(con, sql, params)
    out: list[dict[str, Any]] = []
    for row in rows:
        tin = row[0]
        npi = row[1] if by == "npi" else None
        rest = row[2:] if by == "npi" else row[1:]
        panel, step_1, from_alr, from_plurality, months, paid, inside, ed_days, admissions = rest
        person_years = (Decimal(int(months)) / 12).quantize(PY_Q)
        paid, inside = money(paid), money(inside)
        record: dict[str, Any] = {"tin": tin}
        if by == "npi":
            record["npi"] = npi
        known = participants is not None
        record.update({
            "is_participant": (tin in participants.tins or (npi is not None
                                                            and npi in participants.npis))
            if participants else None,
            "panel_size": int(panel), "attributed_step_1": int(step_1),
            "attributed_alr": int(from_alr), "attributed_plurality": int(from_plurality),
            "eligible_months": int(months), "person_years": person_years,
            "total_paid": paid,
            "paid_per_person_year": (paid / person_years).quantize(RATE_Q)
            if person_years else None,
            "ed_visit_days": int(ed_days),
            "ed_visits_per_1000_person_years": _rate(int(ed_days), person_years),
            "inpatient_admissions": int(admissions),
            "admissions_per_1000_person_years": _rate(int(admissions), person_years),
            "paid_inside_aco": inside if known else None,
            "paid_outside_aco": paid - inside if known else None,
            "leakage_share": ((paid - inside) / paid).quantize(SHARE_Q)
            if known and paid > 0 else None,
            "attribution_month": attribution_month, "period_start": start,
            "period_end": end, "runout": runout,
        })
        out.append(record)
    fields: list[tuple[str, pa.DataType]] = [("tin", pa.string())]
    if by == "npi":
        fields.append(("npi", pa.string()))
    fields += [
        ("is_participant", pa.bool_()), ("panel_size", pa.int32()),
        ("attributed_step_1", pa.int32()), ("attributed_alr", pa.int32()),
        ("attributed_plurality", pa.int32()), ("eligible_months", pa.int32()),
        ("person_years", PERSON_YEARS), ("total_paid", MONEY),
        ("paid_per_person_year", MONEY), ("ed_visit_days", pa.int32()),
        ("ed_visits_per_1000_person_years", RATE), ("inpatient_admissions", pa.int32()),
        ("admissions_per_1000_person_years", RATE), ("paid_inside_aco", MONEY),
        ("paid_outside_aco", MONEY), ("leakage_share", SHARE),
        ("attribution_month", pa.date32()), ("period_start", pa.date32()),
        ("period_end", pa.date32()), ("runout", pa.date32()),
    ]
    return pa.Table.from_pylist(out, schema=pa.schema(fields))


def facility_view(ws: Workspace, *, start: date, end: date, runout: date | None = None,
                  participants: Participants | None = None) -> pa.Table:
    """One row per facility CCN seen on Part A claims with service dates in the period."""
    _check_period(start, end, runout)
    category_sums = "".join(
        f"\n             , cast(sum(case when service_category = '{c}' then signed_paid_amount"
        f" else 0 end) as decimal(18, 2))"
        for c in FACILITY_CATEGORIES)
    sql = f"""
        with payments as (
            select * from mart_provider_payment
            where claim_family = 'part_a' and ccn is not null
              and service_date between ? and ?
              and (cast(? as date) is null or clm_idr_ld_dt <= ?)
        )
        select ccn, max(ccn_facility_type)
             , cast(sum(signed_paid_amount) as decimal(18, 2)){category_sums}
             , count(distinct case when is_final_action and not is_invalid
                                   then cur_clm_uniq_id end)
             , count(distinct admission_key)
             , count(distinct case when service_category = 'ed_visit' then visit_key end)
             , count(distinct case when is_final_action and not is_invalid then mr_mbi end)
             , max(case when ccn in (select id from participant_ccns) then 1 else 0 end)
        from payments
        group by ccn
        order by ccn
    """
    with connect(ws) as con:
        _register_participants(con, participants)
        rows = _execute(con, sql, [start, end, runout, runout])
    total = sum((money(r[2]) for r in rows), money(0))
    out: list[dict[str, Any]] = []
    n_cat = len(FACILITY_CATEGORIES)
    for r in rows:
        paid = money(r[2])
        cats = dict(zip(FACILITY_CATEGORIES, (money(v) for v in r[3:3 + n_cat]), strict=True))
        claims, admissions, ed_visits, benes, inside = r[3 + n_cat:]
        out.append({
            "ccn": r[0], "ccn_facility_type": r[1],
            "in_network": bool(inside) if participants else None,
            "total_paid": paid,
            "share_of_facility_paid": (paid / total).quantize(SHARE_Q) if total else None,
            **{f"{c}_paid": v for c, v in cats.items()},
            "claims": int(claims), "inpatient_admissions": int(admissions),
            "ed_visits": int(ed_visits), "beneficiaries": int(benes),
            "period_start": start, "period_end": end, "runout": runout,
        })
    schema = pa.schema(
        [("ccn", pa.string()), ("ccn_facility_type", pa.string()),
         ("in_network", pa.bool_()), ("total_paid", MONEY), ("share_of_facility_paid", SHARE)]
        + [(f"{c}_paid", MONEY) for c in FACILITY_CATEGORIES]
        + [("claims", pa.int32()), ("inpatient_admissions", pa.int32()),
           ("ed_visits", pa.int32()), ("beneficiaries", pa.int32()),
           ("period_start", pa.date32()), ("period_end", pa.date32()), ("runout", pa.date32())])
    return pa.Table.from_pylist(out, schema=schema)


def _parameters(start: date, end: date, runout: date | None,
                participants: Participants | None) -> dict[str, object]:
    params: dict[str, object] = {"from": start, "to": end, "runout": runout}
    params.update(participants.describe() if participants else {"participants_file": None})
    return params


def compute_scorecard(ws: Workspace, *, start: date, end: date, runout: date | None = None,
                      by: ScorecardBy = "tin", participants: Participants | None = None,
                      ) -> tuple[pa.Table, Path]:
    """Compute and publish `provider_scorecard_tin` or `provider_scorecard_npi`."""
    table = scorecard(ws, start=start, end=end, runout=runout, by=by, participants=participants)
    params = {**_parameters(start, end, runout, participants), "by": by,
              "attributed_alr": sum(table.column("attributed_alr").to_pylist()),
              "attributed_plurality": sum(table.column("attributed_plurality").to_pylist())}
    return table, store.publish(ws, f"provider_scorecard_{by}", table, params)


def compute_facility_view(ws: Workspace, *, start: date, end: date, runout: date | None = None,
                          participants: Participants | None = None) -> tuple[pa.Table, Path]:
    """Compute and publish `facility_view`."""
    table = facility_view(ws, start=start, end=end, runout=runout, participants=participants)
    return table, store.publish(ws, "facility_view", table,
                                _parameters(start, end, runout, participants))
