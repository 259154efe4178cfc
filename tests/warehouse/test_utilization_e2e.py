"""Utilization metrics on the generated ACO against an independent computation written here
from the lake's Parquet and the generator's ground truth (docs/utilization.md)."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pytest

from aco_pipeline.metrics.utilization import compute
from aco_pipeline.warehouse.build import project_dir

from .conftest import BuiltAco

START, END = date(2024, 10, 1), date(2025, 3, 31)
ED_REVENUE = ("0450", "0451", "0452", "0453", "0454", "0455", "0456", "0457", "0458", "0459",
              "0981")
PCP_SPECIALTIES = ("01", "08", "11", "37", "38")


@pytest.fixture(scope="module")
def truth(built_aco: BuiltAco) -> duckdb.DuckDBPyConnection:
    """The ground truth and the lake as views; `assigned` is the one input taken from the
    warehouse (the generator's ground truth has no ALR assignment per month)."""
    con = duckdb.connect()
    gt, lake = built_aco.ground_truth, built_aco.ws.lake_dir / "parsed"
    for name in ("beneficiary_month", "beneficiary_month_paid", "final_action_claims"):
        con.execute(f"create view {name} as select * from read_parquet('{gt / name}.parquet')")
    for ft in ("cclf1", "cclf2", "cclf5"):
        con.execute(f"create view {ft} as select * from read_parquet('{lake}/*/{ft}/*.parquet')")
    con.execute(f"attach '{built_aco.ws.warehouse_path}' as wh (read_only)")
    con.execute(
        "create table counted as select g.current_mbi as mbi, g.month, g.enrollment_type "
        "from beneficiary_month g left join wh.fct_member_month m "
        "on m.mr_mbi = g.current_mbi and m.enrollment_month = g.month "
        "where g.enrollment_type between 1 and 4 and g.alive and not g.opted_out "
        "and coalesce(m.assigned, true) and g.month between ? and ?", [START, END])
    yield con
    con.close()


@pytest.fixture(scope="module")
def result(built_aco: BuiltAco):
    return compute(built_aco.ws, start=START, end=END)


def _total(rows: list[dict], key: str) -> dict[str, dict]:
    return {r[key]: r for r in rows if r["enrollment_type"] == "TOTAL" and r["month"] == "all"}


def _final_valid_part_a(con: duckdb.DuckDBPyConnection, types: str) -> list[tuple]:
    """Final-action (ground truth) Part A headers without a non-payment reason, newest copy."""
    return con.execute(f"""
        with heads as (
            select cur_clm_uniq_id, clm_adjsmt_type_cd, prvdr_oscar_num, clm_from_dt,
                   clm_thru_dt, clm_mdcr_npmt_rsn_cd,
                   row_number() over (partition by cur_clm_uniq_id, clm_adjsmt_type_cd,
                                      clm_efctv_dt order by delivery_date desc) as r
            from cclf1)
        select f.current_mbi, h.cur_clm_uniq_id, h.prvdr_oscar_num, h.clm_from_dt,
               h.clm_thru_dt
        from final_action_claims f join heads h
          on h.cur_clm_uniq_id = f.cur_clm_uniq_id and h.clm_adjsmt_type_cd =
             f.clm_adjsmt_type_cd and h.r = 1
        where f.family = 'part_a' and f.clm_type_cd in ({types})
          and coalesce(trim(h.clm_mdcr_npmt_rsn_cd), '') = ''
    """).fetchall()


def test_person_years(truth, result) -> None:
    months = truth.execute("select count(*) from counted").fetchone()[0]
    assert months > 0
    assert _total(result.utilization, "measure")["adm"]["member_months"] == months


def test_ed_visits(truth, result) -> None:
    counted = {(m, mo) for m, mo, _ in truth.execute("select * from counted").fetchall()}
    ed_claims = {c for (c,) in truth.execute(
        "select distinct cur_clm_uniq_id from cclf2 where trim(clm_line_prod_rev_ctr_cd) in "
        f"{ED_REVENUE}").fetchall()}
    visits = {c for mbi, c, _, _, thru in _final_valid_part_a(truth, "'40'")
              if c in ed_claims and START <= thru <= END
              and (mbi, thru.replace(day=1)) in counted}
    assert len(visits) > 0
    assert _total(result.utilization, "measure")["ed_visits_puf"]["count"] == len(visits)


def test_inpatient_stays(truth, result) -> None:
    counted = {(m, mo) for m, mo, _ in truth.execute("select * from counted").fetchall()}
    claims = defaultdict(list)
    for mbi, _, ccn, frm, thru in _final_valid_part_a(truth, "'60', '61'"):
        claims[(mbi, ccn.strip())].append((frm, thru))
    stays = 0
    for (mbi, _), spans in claims.items():
        spans.sort()
        current_end: date | None = None
        discharges: list[date] = []
        for frm, thru in spans:  # claims that overlap or abut are one stay
            if current_end is not None and frm <= current_end + timedelta(days=1):
                current_end = max(current_end, thru)
                discharges[-1] = current_end
            else:
                current_end = thru
                discharges.append(thru)
        stays += sum(1 for d in discharges
                     if START <= d <= END and (mbi, d.replace(day=1)) in counted)
    assert stays > 0
    assert _total(result.utilization, "measure")["adm"]["count"] == stays


def _primary_care_condition() -> str:
    """The seed's code ranges (the list is data; the logic below is this test's own)."""
    seed = project_dir() / "seeds" / "primary_care_service_codes.csv"
    parts = []
    for r in csv.DictReader(seed.open()):
        cond = f"trim(l.clm_line_hcpcs_cd) between '{r['hcpcs_from']}' and '{r['hcpcs_to']}'"
        if r["excluded_pos_cd"]:
            cond += f" and trim(l.clm_pos_cd) <> '{r['excluded_pos_cd']}'"
        parts.append(f"({cond})")
    return " or ".join(parts)


def test_primary_care_physician_services(truth, result) -> None:
    rows = truth.execute(f"""
        with lines as (
            select cur_clm_uniq_id, clm_line_num, clm_adjsmt_type_cd, clm_line_hcpcs_cd,
                   clm_prvdr_spclty_cd, clm_pos_cd, clm_line_from_dt, clm_carr_pmt_dnl_cd,
                   clm_prcsg_ind_cd,
                   row_number() over (partition by cur_clm_uniq_id, clm_line_num,
                       clm_adjsmt_type_cd, clm_efctv_dt order by delivery_date desc) as r
            from cclf5)
        select f.current_mbi, l.clm_line_from_dt
        from final_action_claims f join lines l
          on l.cur_clm_uniq_id = f.cur_clm_uniq_id
         and cast(l.clm_line_num as integer) = f.clm_line_num
         and l.clm_adjsmt_type_cd = f.clm_adjsmt_type_cd and l.r = 1
        join counted c on c.mbi = f.current_mbi
         and c.month = date_trunc('month', l.clm_line_from_dt)
        where f.family = 'part_b'
          and trim(l.clm_carr_pmt_dnl_cd) <> '0' and trim(l.clm_prcsg_ind_cd) in ('A', 'R', 'S')
          and trim(l.clm_prvdr_spclty_cd) in {PCP_SPECIALTIES}
          and length(trim(l.clm_line_hcpcs_cd)) = 5 and ({_primary_care_condition()})
          and l.clm_line_from_dt between ? and ?
    """, [START, END]).fetchall()
    assert len(rows) > 0
    assert _total(result.utilization, "measure")["em_pcp"]["count"] == len(rows)


def test_spend_by_category(truth, result) -> None:
    paid = dict(truth.execute("""
        select p.clm_type_cd, sum(p.net_paid) from beneficiary_month_paid p
        join counted c on c.mbi = p.current_mbi and c.month = p.month
        group by 1""").fetchall())
    spend = _total(result.spend, "category")

    def types(*codes: str) -> Decimal:
        return sum((paid.get(c, Decimal(0)) for c in codes), Decimal(0))

    assert spend["inpatient"]["total_paid"] == types("60", "61")
    assert spend["snf"]["total_paid"] == types("20", "30")
    assert spend["outpatient"]["total_paid"] == types("40")
    assert spend["hha"]["total_paid"] == types("10")
    assert spend["hospice"]["total_paid"] == types("50")
    assert (spend["physician_supplier"]["total_paid"] + spend["ambulance"]["total_paid"]
            == types("71", "72"))
    assert spend["dme"]["total_paid"] == types("81", "82")
    months = spend["total"]["member_months"]
    assert spend["total"]["per_capita"] == (spend["total"]["total_paid"] * 12 / months).quantize(
        Decimal("0.01"))
