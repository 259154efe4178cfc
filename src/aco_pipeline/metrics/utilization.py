"""Utilization per 1,000 person-years and per-capita spending by category, aligned with the
MSSP ACO Performance Year Financial and Quality Results PUF (docs/utilization.md).

The events are period-independent dbt marts (`mart_utilization_event`,
`mart_utilization_readmission`, `mart_utilization_spend_payment`), each already joined in dbt
to the `fct_member_month` row of its beneficiary and month (`enrollment_type`,
`is_counted_month`); this module reads one mart per query, keeps the counted months, applies
a period and a run-out cut-off and sums. Two tables come out:

- `utilization` (long): measure, PUF column, enrollment type, month, count, denominator,
  member-months, person-years, rate per 1,000 person-years, value, unit.
- `spend_category`: spending category, PUF column, enrollment type, month, part_a_paid,
  part_b_paid, total_paid (Part A + Part B, IP v40 5.3.1 step 5 / 5.4; Part D is never in
  it), member-months, person-years, per-capita annualised spend.

`aco build` stores both for every canonical period (metrics.periods) as `metric_utilization`
and `metric_spend_category` (`canonical`); an ad-hoc `aco report utilization` prints.

Which months count (person-years): `fct_member_month.is_counted`, the one definition of a
counted person-month (docs/metrics.md: enrollment type 1-4, alive, not opted out, not known
to be unassigned; guide Appendix A phase 5: 12 months of an enrollment type = one
person-year). Events and dollars count only in such a month of the same beneficiary
(numerator and denominator cover the same people) under that month's enrollment type.

Names: the PUF ED measures are `ed_visits_puf` (P_EDV_Vis: outpatient ED claims) and
`ed_visits_hosp_puf` (P_EDV_Vis_HOSP); the service-category report's `ed_visit` (claim
visits, Part B ED E&M lines included) is a different count under a different name.

Run-out (IP v40 3.4): an event counts when its claim was first loaded into the IDR on or
before the cut-off; dollars are the signed payments loaded by then (as `aco report spend`).

Precision: rates per 1,000 and averages are `Decimal` rounded half-up to 0.01; person-years to
0.0001 (the rates are computed from the exact member-months, not the rounded person-years);
money is exact to the cent, per-capita amounts rounded half-up to the cent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from aco_pipeline.config import Workspace
from aco_pipeline.errors import AcoError
from aco_pipeline.metrics.expenditure import MONTHS_PER_YEAR, TOTAL, EnrollmentType
from aco_pipeline.metrics.periods import MetricPeriod, stack
from aco_pipeline.warehouse import read

if TYPE_CHECKING:
    import duckdb

RATE = Decimal("0.01")
CENT = Decimal("0.01")
PERSON_YEAR = Decimal("0.0001")
PER = 1000
ALL_MONTHS = "all"

ENROLLMENT_TYPES: dict[int, str] = {
    1: EnrollmentType.ESRD.value,
    2: EnrollmentType.DISABLED.value,
    3: EnrollmentType.AGED_DUAL.value,
    4: EnrollmentType.AGED_NON_DUAL.value,
}

By = Literal["total", "month", "enrollment-type"]


@dataclass(frozen=True, slots=True)
class Measure:
    """A count measure: events of `event_types` (mart_utilization_event) per 1,000 PY."""

    name: str
    puf_column: str | None
    event_types: tuple[str, ...]


EM_TYPES = ("em_primary_care", "em_specialist", "em_np_pa_cns", "em_fqhc_rhc")

COUNT_MEASURES: tuple[Measure, ...] = (
    Measure("adm", "ADM", ("adm",)),
    Measure("adm_s_trm", "ADM_S_Trm", ("adm_short_term",)),
    Measure("adm_l_trm", "ADM_L_Trm", ("adm_long_term",)),
    Measure("adm_rehab", "ADM_Rehab", ("adm_rehab",)),
    Measure("adm_psych", "ADM_Psych", ("adm_psych",)),
    Measure("adm_other", None, ("adm_other",)),
    Measure("ed_visits_puf", "P_EDV_Vis", ("ed_visit_puf",)),
    Measure("ed_visits_hosp_puf", "P_EDV_Vis_HOSP", ("ed_visit_hosp_puf",)),
    Measure("ct", "P_CT_VIS", ("ct",)),
    Measure("mri", "P_MRI_VIS", ("mri",)),
    # PUF identity (PY2021/PY2022 files): P_EM_Total = PCP + SP + Nurse + FQHC/RHC
    Measure("em_total", "P_EM_Total", EM_TYPES),
    Measure("em_pcp", "P_EM_PCP_Vis", ("em_primary_care",)),
    Measure("em_specialist", "P_EM_SP_Vis", ("em_specialist",)),
    Measure("em_np_pa_cns", "P_Nurse_Vis", ("em_np_pa_cns",)),
    Measure("em_fqhc_rhc", "P_FQHC_RHC_Vis", ("em_fqhc_rhc",)),
    Measure("snf_adm", "P_SNF_ADM", ("snf_adm",)),
)
# Readmissions: per 1,000 person-years ("readmissions_30d") and per 1,000 index discharges
# ("readm_rate_1000", the name of the newer PUFs' column; not in the PY2021/2022 files).
READMISSIONS = "readmissions_30d"
READMISSION_RATE = Measure("readm_rate_1000", "readm_rate_1000", ())
SNF_LOS = Measure("snf_los", "SNF_LOS", ("snf_adm",))
SNF_PAY = Measure("snf_pay_per_stay", "SNF_PayperStay", ("snf_adm",))

SPEND_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("inpatient", "CapAnn_INP_All"),
    ("snf", "CapAnn_SNF"),
    ("hha", "CapAnn_HHA"),
    ("hospice", "CapAnn_HSP"),
    ("outpatient", "CapAnn_OPD"),
    ("physician_supplier", "CapAnn_PB"),
    ("ambulance", "CapAnn_AmbPay"),
    ("dme", "CapAnn_DME"),
)
SPEND_TOTAL = "total"

UTILIZATION_SCHEMA = pa.schema([
    ("measure", pa.string()), ("puf_column", pa.string()), ("enrollment_type", pa.string()),
    ("month", pa.string()), ("count", pa.int64()), ("denominator", pa.int64()),
    ("amount", pa.decimal128(18, 2)), ("member_months", pa.int64()),
    ("person_years", pa.decimal128(18, 4)), ("rate_per_1000", pa.decimal128(18, 2)),
    ("value", pa.decimal128(18, 2)), ("unit", pa.string()),
])
SPEND_SCHEMA = pa.schema([
    ("category", pa.string()), ("puf_column", pa.string()), ("enrollment_type", pa.string()),
    ("month", pa.string()), ("part_a_paid", pa.decimal128(18, 2)),
    ("part_b_paid", pa.decimal128(18, 2)), ("total_paid", pa.decimal128(18, 2)),
    ("member_months", pa.int64()),
    ("person_years", pa.decimal128(18, 4)), ("per_capita", pa.decimal128(18, 2)),
])


MARTS = ("fct_member_month", "mart_utilization_event", "mart_utilization_readmission",
         "mart_utilization_spend_payment")
NOTE_COUNTED = ("person-years and every numerator count only counted person-months "
                "(fct_member_month.is_counted: enrollment type 1-4, alive, not opted out, "
                "not known to be unassigned)")
NOTE_NAMES = ("ed_visits_puf / ed_visits_hosp_puf are the PUF measures (P_EDV_Vis, "
              "P_EDV_Vis_HOSP: outpatient ED claims); `report service-category` counts "
              "ed_visit claim visits (Part B ED E&M lines included), a different number")
NOTE_TOTAL = ("total_paid = Part A + Part B (IP v40 5.3.1 step 5, 5.4; outpatient is Part B); "
              "Part D is not a PUF category and is never in it")


class UtilizationError(AcoError, RuntimeError):
    """The period is invalid or the warehouse cannot answer (no utilization marts)."""


@dataclass(frozen=True)
class UtilizationResult:
    utilization: list[dict[str, Any]]
    spend: list[dict[str, Any]]
    parameters: dict[str, object]


# --- pure arithmetic --------------------------------------------------------------------------

def person_years(member_months: int) -> Decimal:
    """12 member-months = 1 person-year (guide Appendix A phase 5, Table 10 notes row 17)."""
    return (Decimal(member_months) / MONTHS_PER_YEAR).quantize(PERSON_YEAR, ROUND_HALF_UP)


def rate_per_1000(count: int, member_months: int) -> Decimal | None:
    """Events per 1,000 person-years from the exact member-months; None without months."""
    if member_months <= 0:
        return None
    return (Decimal(count) * PER * MONTHS_PER_YEAR / member_months).quantize(RATE, ROUND_HALF_UP)


def per_capita(net_paid: Decimal, member_months: int) -> Decimal | None:
    """Annualised dollars per person-year (net paid x 12 / member-months), to the cent."""
    if member_months <= 0:
        return None
    return (net_paid * MONTHS_PER_YEAR / member_months).quantize(CENT, ROUND_HALF_UP)


def ratio(numerator: Decimal | int, denominator: int, scale: int = 1) -> Decimal | None:
    if denominator <= 0:
        return None
    return (Decimal(numerator) * scale / denominator).quantize(RATE, ROUND_HALF_UP)


# --- warehouse queries (one mart each; the joins are in dbt) --------------------------------

MONTHS_SQL = """
select enrollment_type, enrollment_month, count(*)
from fct_member_month
where is_counted and enrollment_month between ? and ?
group by enrollment_type, enrollment_month
"""
EVENTS_SQL = """
select event_type, enrollment_type, event_month, count(*), sum(coalesce(los_days, 0))
     , cast(sum(coalesce(paid_amount, 0)) as decimal(18, 2))
from mart_utilization_event
where is_counted_month and event_date between ? and ?
  and (cast(? as date) is null or clm_idr_ld_dt <= ?)
group by event_type, enrollment_type, event_month
"""
READMISSIONS_SQL = """
select enrollment_type, discharge_month, count(*)
     , sum(case when is_readmitted_30d and (cast(? as date) is null
                or readmission_idr_ld_dt <= ?) then 1 else 0 end)
from mart_utilization_readmission
where is_counted_month and is_index_stay and discharge_date between ? and ?
  and (cast(? as date) is null or clm_idr_ld_dt <= ?)
group by enrollment_type, discharge_month
"""
SPEND_SQL = """
select spend_category, medicare_part, enrollment_type, service_month
     , cast(sum(signed_paid_amount) as decimal(18, 2))
from mart_utilization_spend_payment
where is_counted_month and service_date between ? and ?
  and (cast(? as date) is null or clm_idr_ld_dt <= ?)
group by spend_category, medicare_part, enrollment_type, service_month
"""


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _require(con: duckdb.DuckDBPyConnection) -> None:
    read.require(con, MARTS, "utilization marts")
    found = {r[0] for r in read.rows(
        con, "select table_name from information_schema.columns "
             "where column_name = 'is_counted_month'")}
    if not set(MARTS[1:]) <= found:
        raise read.WarehouseReadError(
            f"the warehouse's utilization marts predate is_counted_month; {read.REBUILD}")


def _fetch(con: duckdb.DuckDBPyConnection, start: date, end: date,
           runout: date | None) -> dict[str, list[tuple[Any, ...]]]:
    _require(con)
    cut = [runout, runout]
    return {
        "months": read.rows(con, MONTHS_SQL, [_month_start(start), end]),
        "events": read.rows(con, EVENTS_SQL, [start, end, *cut]),
        "readmissions": read.rows(con, READMISSIONS_SQL, [*cut, start, end, *cut]),
        "spend": read.rows(con, SPEND_SQL, [start, end, *cut]),
    }


# --- aggregation ------------------------------------------------------------------------------

Key = tuple[str, str]  # (enrollment type label, month label)


def _keys(enrollment_type: int, month: date) -> list[Key]:
    label = ENROLLMENT_TYPES[int(enrollment_type)]
    iso = month.isoformat()[:7]
    return [(TOTAL, ALL_MONTHS), (label, ALL_MONTHS), (TOTAL, iso), (label, iso)]


def _sorted_keys(keys: Iterable[Key]) -> list[Key]:
    order = {TOTAL: 0, **{v: k for k, v in ENROLLMENT_TYPES.items()}}
    return sorted(keys, key=lambda k: (k[1] != ALL_MONTHS, k[1], order[k[0]]))


def _row(base: dict[str, Any], measure: Measure, count: int, value: Decimal | None,
         unit: str, *, denominator: int | None = None, amount: Decimal | None = None,
         rate: bool = False) -> dict[str, Any]:
    """One `utilization` row; `rate`: also the events per 1,000 person-years."""
    return {"measure": measure.name, "puf_column": measure.puf_column, **base,
            "count": count, "denominator": denominator,
            "amount": None if amount is None else amount.quantize(CENT),
            "rate_per_1000": rate_per_1000(count, base["member_months"]) if rate else None,
            "value": value, "unit": unit}


def compute(source: Workspace | duckdb.DuckDBPyConnection, *, start: date, end: date,
            runout: date | None = None) -> UtilizationResult:
    """The `utilization` and `spend_category` rows for services in [start, end] loaded by
    `runout` (no cut-off when None), over the months of `start`..`end`.

    `source`: a connection that sees the warehouse tables (e.g. the new, unpublished file
    during `aco build`), or a workspace (its published warehouse)."""
    if end < start:
        raise UtilizationError("--to is before --from")
    with read.using(source) as con:
        data = _fetch(con, start, end, runout)

    member_months: dict[Key, int] = defaultdict(int)
    for etype, month, n in data["months"]:
        for key in _keys(etype, month):
            member_months[key] += int(n)
    events: dict[tuple[Key, str], list[Any]] = defaultdict(lambda: [0, 0, Decimal(0)])
    for event_type, etype, month, n, days, paid in data["events"]:
        for key in _keys(etype, month):
            acc = events[(key, event_type)]
            acc[0] += int(n)
            acc[1] += int(days or 0)
            acc[2] += Decimal(paid or 0)
    readmits: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for etype, month, index_stays, readmitted in data["readmissions"]:
        for key in _keys(etype, month):
            readmits[key][0] += int(index_stays)
            readmits[key][1] += int(readmitted or 0)
    spend: dict[tuple[Key, str, str], Decimal] = defaultdict(Decimal)
    for category, part, etype, month, paid in data["spend"]:
        for key in _keys(etype, month):
            for cat in (category, SPEND_TOTAL):
                spend[(key, cat, part)] += Decimal(paid or 0)

    utilization: list[dict[str, Any]] = []
    spend_rows: list[dict[str, Any]] = []
    for key in _sorted_keys(member_months):
        mm = member_months[key]
        base = {"enrollment_type": key[0], "month": key[1], "member_months": mm,
                "person_years": person_years(mm)}

        for m in COUNT_MEASURES:
            n = sum(events[(key, t)][0] for t in m.event_types)
            utilization.append(_row(base, m, n, rate_per_1000(n, mm), "per_1000_person_years",
                                    rate=True))
        stays, days, paid = events[(key, "snf_adm")]
        utilization.append(_row(base, SNF_LOS, days, ratio(days, stays), "days_per_stay",
                                denominator=stays))
        utilization.append(_row(base, SNF_PAY, stays, ratio(paid, stays), "dollars_per_stay",
                                denominator=stays, amount=paid))
        index_stays, readmitted = readmits[key]
        utilization.append(_row(base, Measure(READMISSIONS, None, ()), readmitted,
                                rate_per_1000(readmitted, mm), "per_1000_person_years",
                                rate=True))
        utilization.append(_row(base, READMISSION_RATE, readmitted,
                                ratio(readmitted, index_stays, PER), "per_1000_index_stays",
                                denominator=index_stays))
        for category, puf in (*SPEND_CATEGORIES, (SPEND_TOTAL, None)):
            part_a = spend[(key, category, "A")].quantize(CENT)
            part_b = spend[(key, category, "B")].quantize(CENT)
            # a Part A-file claim whose type of bill is not in the seed: in the total only
            paid_total = (part_a + part_b + spend[(key, category, "unknown")]).quantize(CENT)
            spend_rows.append({"category": category, "puf_column": puf, **base,
                               "part_a_paid": part_a, "part_b_paid": part_b,
                               "total_paid": paid_total,
                               "per_capita": per_capita(paid_total, mm)})
    parameters: dict[str, object] = {
        "from": start.isoformat(), "to": end.isoformat(),
        "runout": runout.isoformat() if runout else None,
        "months": "fct_member_month: enrollment type 1-4, alive, not opted out, "
                  "assigned or no ALR",
    }
    return UtilizationResult(utilization, spend_rows, parameters)


def notes(result: UtilizationResult) -> list[str]:
    """What every output of the metric says beside its rows."""
    p = result.parameters
    cut = f"claims loaded by {p['runout']}" if p["runout"] else "every claim loaded"
    return [f"services {p['from']}..{p['to']}, {cut} (run-out, IP v40 3.4)",
            NOTE_COUNTED, NOTE_TOTAL, NOTE_NAMES]


def tables(result: UtilizationResult) -> tuple[pa.Table, pa.Table]:
    """The `utilization` and `spend_category` rows as Arrow tables."""
    return (pa.Table.from_pylist(result.utilization, schema=UTILIZATION_SCHEMA),
            pa.Table.from_pylist(result.spend, schema=SPEND_SCHEMA))


def canonical(con: duckdb.DuckDBPyConnection, ws: Workspace,
              periods: Sequence[MetricPeriod]) -> dict[str, pa.Table]:
    """`utilization` and `spend_category` for every canonical period (metrics.canonical),
    everything loaded (run-out None)."""
    util: list[tuple[MetricPeriod, pa.Table]] = []
    spend: list[tuple[MetricPeriod, pa.Table]] = []
    for period in periods:
        u, s = tables(compute(con, start=period.period_start, end=period.period_end))
        util.append((period, u))
        spend.append((period, s))
    return {"utilization": stack(util, UTILIZATION_SCHEMA),
            "spend_category": stack(spend, SPEND_SCHEMA)}


def select(rows: list[dict[str, Any]], by: By) -> list[dict[str, Any]]:
    """The rows of one grain: total (all types, all months), per month, per enrollment type."""
    if by == "total":
        return [r for r in rows if r["enrollment_type"] == TOTAL and r["month"] == ALL_MONTHS]
    if by == "month":
        return [r for r in rows if r["enrollment_type"] == TOTAL and r["month"] != ALL_MONTHS]
    return [r for r in rows if r["enrollment_type"] != TOTAL and r["month"] == ALL_MONTHS]
