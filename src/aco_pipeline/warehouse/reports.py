"""Reports read from the published warehouse (read-only): spend and enrollment.

Money comes back as `Decimal` with two places, never floats. The spend report sums the
signed payments of `fct_claim_payment` (IP v40 5.3.1) whose service date is in the period
and whose IDR load date is on or before the run-out cut-off (IP v40 3.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from aco_pipeline.config import Workspace
from aco_pipeline.errors import AcoError
from aco_pipeline.warehouse.read import money, require, using

SpendBy = Literal["beneficiary", "month", "category"]

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection


class ReportError(AcoError, ValueError):
    """A report's parameters are invalid (e.g. --to before --from)."""


@dataclass(frozen=True, slots=True)
class Report:
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    notes: tuple[str, ...] = ()


# Spend by Medicare part (IP v40 5.3.1 step 5, 5.4): Part A and Part B by the program that
# paid (fct_claim_payment.medicare_part; a hospital outpatient claim from CCLF1 is Part B),
# total = A + B;
# Part D is CCLF7's beneficiary-paid amount, shown beside and never in a total.
SPEND_COLUMNS = ("part_a_paid", "part_b_paid", "total_paid", "part_d_beneficiary_paid")
_PART_COLUMN = {"A": "part_a_paid", "B": "part_b_paid", "D": "part_d_beneficiary_paid"}


def spend_totals(cells: dict[str, Decimal]) -> dict[str, Decimal]:
    """The spend columns from net paid per medicare_part (A, B, D)."""
    row = {c: money(0) for c in SPEND_COLUMNS}
    for part, value in cells.items():
        row[_PART_COLUMN[part]] = money(value)
    row["total_paid"] = money(row["part_a_paid"] + row["part_b_paid"])
    return row


def spend(source: Workspace | DuckDBPyConnection, *, start: date, end: date,
          runout: date | None = None, by: SpendBy = "beneficiary") -> Report:
    """Net paid by Medicare part for services in [start, end] loaded by `runout` (IP v40 3.4;
    no cut-off when None): per current MBI, service month or claim type."""
    if end < start:
        raise ReportError("--to is before --from")
    where = "service_date between ? and ? and (cast(? as date) is null or clm_idr_ld_dt <= ?)"
    params: list[object] = [start, end, runout, runout]
    group, label = {"beneficiary": ("mr_mbi", "mr_mbi"),
                    "month": ("service_month", "month"),
                    "category": ("claim_family, clm_type_cd, clm_type_label", None)}[by]
    with using(source) as con:
        require(con, ["fct_claim_payment"], "payments")
        found = con.execute(
            f"select {group}, medicare_part, cast(sum(signed_paid_amount) as decimal(18, 2)) "
            f"from fct_claim_payment where {where} group by {group}, medicare_part "
            f"order by {group}, medicare_part",
            params,
        ).fetchall()
    cells: dict[tuple[Any, ...], dict[str, Decimal]] = {}
    for *key, part, value in found:
        cells.setdefault(tuple(key), {})[part] = value
    if label is None:
        keys: tuple[str, ...] = ("claim_family", "clm_type_cd", "clm_type_label")
    else:
        keys = (label,)
    rows = [{**dict(zip(keys, key, strict=True)), **spend_totals(parts)}
            for key, parts in cells.items()]
    return Report((*keys, *SPEND_COLUMNS), rows)


def enrollment(source: Workspace | DuckDBPyConnection, *, start: date | None = None,
               end: date | None = None) -> Report:
    """Enrollment type per beneficiary and month: CCLF-derived (CMS guide Appendix B) and
    the ALR's EnrollFlag where an ALR covers the month."""
    with using(source) as con:
        rows = con.execute(
            "select mr_mbi, enrollment_month, enrollment_type, alr_enrollment_type "
            "from fct_member_month "
            "where (cast(? as date) is null or enrollment_month >= ?) "
            "and (cast(? as date) is null or enrollment_month <= ?) "
            "order by mr_mbi, enrollment_month",
            [start, start, end, end],
        ).fetchall()
    return Report(
        ("mr_mbi", "month", "enrollment_type", "alr_enrollment_type"),
        [{"mr_mbi": m, "month": mo, "enrollment_type": t, "alr_enrollment_type": a}
         for m, mo, t, a in rows],
    )


# --- Validity and scope (CMS guide v4 Appendix A phase 1, Table 1) -------------------------

PaidDate = Literal["load", "effective"]
SCOPE_FAMILIES = ("part_a", "part_b", "dme")
SCOPE_ROWS: tuple[tuple[int, str], ...] = (
    (1, "Total CCLF claims/claim lines"),
    (2, "Duplicate claims"),
    (3, "Invalid claims"),
    (4, "Claims not incurred/paid in report period"),
    (5, "Claims incurred prior to report period"),
    (6, "Claims incurred after report period"),
    (7, "In-period claims paid after run-out period"),
    (8, "Claims used in analysis"),
)
PERCENT = Decimal("0.01")

def period_bucket(service_date: str, paid_date: str, otherwise: str) -> str:
    """The CMS guide's Table 1 removals (Appendix A phase 1) as one SQL CASE, in their order:
    invalid (row 3), incurred before the period (row 5), after it (row 6), in the period but
    paid after the run-out (row 7), else `otherwise`. Takes four parameters: start, end,
    run-out, run-out (None: no cut-off). Shared by `scope` and the reconciliation bridge."""
    return (f"case when is_invalid then 'invalid' "
            f"when {service_date} is null or {service_date} < ? then 'before' "
            f"when {service_date} > ? then 'after' "
            f"when cast(? as date) is not null and {paid_date} > ? then 'runout' "
            f"else {otherwise} end")


def _percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT)


def scope(source: Workspace | DuckDBPyConnection, *, start: date, end: date,
          runout: date | None = None, paid_date: PaidDate = "load") -> Report:
    """The CMS guide's Table 1 waterfall (Appendix A phase 1) for one report period.

    Rows: 1 all delivered Part A header / Part B / DME line records; 2 duplicates (re-sent
    copies of a version); 3 invalid (denied, by claim type); 4 = 5 + 6 + 7 not incurred/paid
    in the period; 5 through date before `start`; 6 after `end`; 7 in-period but paid after
    `runout` (IDR load date, IP v40 3.4, or the effective date as in the guide with
    `paid_date="effective"`; no cut-off when None); 8 in scope = 1 + 2 + 3 + 4. Removals are
    negative. Amounts are signed paid amounts (cancellations negated, IP v40 5.3.1), so row 8's
    dollars equal `spend(...)`'s total for the same period and run-out when invalid claims
    carry $0.
    """
    if end < start:
        raise ReportError("--to is before --from")
    paid_col = "clm_idr_ld_dt" if paid_date == "load" else "clm_efctv_dt"
    sql = f"""
        with bucketed as (
            select
                  claim_family
                , records_delivered
                , duplicate_records
                , signed_paid_amount
                , {period_bucket("clm_thru_dt", paid_col, "'in_scope'")} as bucket
            from mart_scope_claim_records
        )
        select
              claim_family
            , bucket
            , count(*)
            , sum(records_delivered)
            , sum(duplicate_records)
            , cast(sum(signed_paid_amount) as decimal(18, 2))
            , cast(sum(signed_paid_amount * records_delivered) as decimal(18, 2))
            , cast(sum(signed_paid_amount * duplicate_records) as decimal(18, 2))
        from bucketed
        group by claim_family, bucket
    """
    with using(source) as con:
        require(con, ["mart_scope_claim_records"], "scope table")
        rows = con.execute(sql, [start, end, runout, runout]).fetchall()
    zero = {"records": 0, "amount": money(0)}
    cells: dict[tuple[int, str], dict[str, Any]] = {
        (ref, fam): dict(zero) for ref, _ in SCOPE_ROWS for fam in SCOPE_FAMILIES
    }
    removal_ref = {"invalid": 3, "before": 5, "after": 6, "runout": 7}
    for fam, bucket, versions, records, dups, amount, all_amount, dup_amount in rows:
        def add(ref: int, n: int, value: Decimal | None, fam: str = fam) -> None:
            cells[(ref, fam)]["records"] += int(n or 0)
            cells[(ref, fam)]["amount"] += money(value)

        add(1, records, all_amount)
        add(2, -int(dups or 0), -money(dup_amount))
        if bucket in removal_ref:
            add(removal_ref[bucket], -int(versions), -money(amount))
            if bucket != "invalid":
                add(4, -int(versions), -money(amount))
        else:
            add(8, versions, amount)
    out: list[dict[str, Any]] = []
    total_records = sum(cells[(1, f)]["records"] for f in SCOPE_FAMILIES)
    total_amount = sum((cells[(1, f)]["amount"] for f in SCOPE_FAMILIES), money(0))
    for ref, description in SCOPE_ROWS:
        records = sum(cells[(ref, f)]["records"] for f in SCOPE_FAMILIES)
        amount = sum((cells[(ref, f)]["amount"] for f in SCOPE_FAMILIES), money(0))
        row: dict[str, Any] = {
            "ref": ref, "description": description,
            "claim_records": records,
            "records_percent": None if ref == 1 else _percent(records, total_records),
            "claim_amount": money(amount),
            "amount_percent": None if ref == 1 else _percent(amount, total_amount),
        }
        for f in SCOPE_FAMILIES:
            row[f"{f}_records"] = cells[(ref, f)]["records"]
            row[f"{f}_amount"] = money(cells[(ref, f)]["amount"])
        out.append(row)
    columns = ("ref", "description", "claim_records", "records_percent", "claim_amount",
               "amount_percent",
               *(f"{f}_{k}" for f in SCOPE_FAMILIES for k in ("records", "amount")))
    return Report(columns, out)


def invalid_claims(source: Workspace | DuckDBPyConnection) -> Report:
    """Invalid (denied) versions per claim family, reason and code: counts and signed $."""
    with using(source) as con:
        rows = con.execute(
            "select claim_family, invalid_reason, invalid_code, count(*), "
            "cast(sum(signed_paid_amount) as decimal(18, 2)) "
            "from mart_scope_claim_records where is_invalid "
            "group by claim_family, invalid_reason, invalid_code "
            "order by claim_family, invalid_reason, invalid_code"
        ).fetchall()
    return Report(
        ("claim_family", "invalid_reason", "invalid_code", "versions", "amount"),
        [{"claim_family": f, "invalid_reason": r, "invalid_code": c, "versions": n,
          "amount": money(a)} for f, r, c, n, a in rows],
    )


# --- Service categories --------------------------------------------------------------------

def service_category(source: Workspace | DuckDBPyConnection, *, start: date, end: date,
                     runout: date | None = None) -> Report:
    """Net paid and visits per service category and Medicare part for services in
    [start, end] loaded by `runout` (the same payments and cut-off as `spend`). Visits (ED,
    office) count final-action valid claims/lines once per visit, by visit date."""
    if end < start:
        raise ReportError("--to is before --from")
    sql = """
        with payments as (
            select * from mart_service_category_payment
            where cast(? as date) is null or clm_idr_ld_dt <= ?
        )
        , paid as (
            select service_category, medicare_part
                 , cast(sum(signed_paid_amount) as decimal(18, 2)) as net_paid
            from payments where service_date between ? and ?
            group by service_category, medicare_part
        )
        , visited as (
            select service_category, medicare_part, count(distinct visit_key) as visits
            from payments
            where visit_key is not null and visit_date between ? and ?
            group by service_category, medicare_part
        )
        select coalesce(p.service_category, v.service_category)
             , coalesce(p.medicare_part, v.medicare_part)
             , p.net_paid, coalesce(v.visits, 0)
        from paid as p
        full outer join visited as v
            on p.service_category = v.service_category and p.medicare_part = v.medicare_part
        order by 1, 2
    """
    with using(source) as con:
        require(con, ["mart_service_category_payment"], "service categories")
        rows = con.execute(sql, [runout, runout, start, end, start, end]).fetchall()
    return Report(
        ("service_category", "medicare_part", "net_paid", "claim_visits"),
        [{"service_category": c, "medicare_part": p, "net_paid": money(v),
          "claim_visits": int(n)} for c, p, v, n in rows],
        notes=("net_paid sums to `aco report spend`'s columns by medicare_part: total_paid = "
               "A + B; rows of part D are CCLF7's beneficiary-paid amounts, never "
               "in a total",
               "claim_visits: ED and office visits counted from claims (one per outpatient "
               "ED claim or Part B beneficiary and date); not the PUF utilization measures "
               "of `aco report utilization`"),
    )


def data_quality_summary(source: Workspace | DuckDBPyConnection) -> list[dict[str, Any]]:
    """mart_data_quality counted per area, check and severity, errors first.

    The example is a claim id or version key; MBIs (the crosswalk checks) are PHI and are
    withheld here (query mart_data_quality for them).
    """
    sql = """
        select area, check_name, severity, count(*) as records, min(record_key) as example
        from mart_data_quality
        group by area, check_name, severity
        order by case severity when 'error' then 0 else 1 end, count(*) desc, area, check_name
    """
    with using(source) as con:
        rows = con.execute(sql).fetchall()
    return [
        {"area": a, "check_name": c, "severity": sev, "records": int(n),
         "example": "(MBI withheld)" if a == "mbi_crosswalk" else str(ex)}
        for a, c, sev, n, ex in rows
    ]
