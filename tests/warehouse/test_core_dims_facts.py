"""Core dimensions and facts, the member-month flags, the CCLF-vs-ALR crosstab and the new
data-quality checks, on the generated ACO, compared with the generator's ground truth."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from .conftest import BuiltAco


@pytest.fixture(scope="module")
def warehouse(built_aco: BuiltAco) -> Path:
    return built_aco.ws.warehouse_path


@pytest.fixture(scope="module")
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(warehouse), read_only=True)
    yield c
    c.close()


def _truth(built: BuiltAco, name: str) -> list[dict]:
    return pq.read_table(built.ground_truth / f"{name}.parquet").to_pylist()


def _lake(built: BuiltAco, file_type: str) -> str:
    return f"read_parquet('{built.ws.lake_dir}/parsed/*/{file_type}/*.parquet')"


def test_member_month_alive_opted_out_exact(built_aco: BuiltAco, con) -> None:
    truth = {(r["current_mbi"], r["month"]): (r["alive"], r["opted_out"])
             for r in _truth(built_aco, "beneficiary_month")}
    got = {(m, mo): (a, o) for m, mo, a, o in con.execute(
        "select mr_mbi, enrollment_month, alive, opted_out from fct_member_month").fetchall()}
    assert {k: got.get(k) for k in truth} == truth
    assert any(not a for a, _ in truth.values()), "expected decedents"
    assert any(o for _, o in truth.values()), "expected opt-outs"


def test_member_month_assigned_only_where_an_alr_covers(con) -> None:
    rows = dict(con.execute(
        "select coalesce(cast(assigned as varchar), 'null'), count(*) from fct_member_month "
        "group by 1").fetchall())
    assert rows.get("true", 0) > 0 and rows.get("null", 0) > 0
    # a beneficiary-month with an ALR EnrollFlag of a report covering it is assigned
    assert con.execute(
        "select count(*) from fct_member_month where in_alr and assigned is null "
        "and enrollment_month >= (select min(enrollment_month) from fct_member_month "
        "where assigned is not null)").fetchone() == (0,)


def test_dim_beneficiary_one_row_per_current_mbi(built_aco: BuiltAco, con) -> None:
    truth = {r["current_mbi"] for r in _truth(built_aco, "beneficiary_month")}
    rows = [m for (m,) in con.execute("select mr_mbi from dim_beneficiary").fetchall()]
    assert len(rows) == len(set(rows))
    assert set(rows) == truth
    # demographics from the newest CCLF8: the newest death date decides alive
    dead = con.execute(
        "select count(*) from dim_beneficiary where death_date is not null").fetchone()
    assert dead is not None and dead[0] > 0


def test_fct_diagnosis_covers_cclf4_of_final_action_part_a(built_aco: BuiltAco, con) -> None:
    assert con.execute(
        "select count(*) from fct_diagnosis where icd_code is null or icd_code = ''"
    ).fetchone() == (0,)
    expected = set(con.execute(
        f"select distinct dx.cur_clm_uniq_id, dx.clm_prod_type_cd, "
        f"cast(dx.clm_val_sqnc_num as int), trim(dx.clm_dgns_cd) "
        f"from {_lake(built_aco, 'cclf4')} as dx "
        f"join fct_claim on fct_claim.claim_family = 'part_a' "
        f"and fct_claim.cur_clm_uniq_id = dx.cur_clm_uniq_id").fetchall())
    got = set(con.execute(
        "select cur_clm_uniq_id, diagnosis_type_cd, diagnosis_sequence, icd_code "
        "from fct_diagnosis where diagnosis_source = 'cclf4'").fetchall())
    assert expected and got == expected
    sources = {s for (s,) in con.execute(
        "select distinct diagnosis_source from fct_diagnosis").fetchall()}
    assert {"cclf4", "cclf5_claim", "cclf5_line"} <= sources
    # one principal per Part A claim that has a diagnosis
    assert con.execute(
        "select count(*) from (select cur_clm_uniq_id from fct_diagnosis "
        "where claim_family = 'part_a' and is_principal group by 1 having count(*) > 1)"
    ).fetchone() == (0,)


def test_claim_lines_and_procedures(built_aco: BuiltAco, con) -> None:
    # every final-action Part B/DME line is a claim line with the same paid amount
    assert con.execute(
        "select count(*) from fct_claim c left join fct_claim_line l "
        "on c.claim_key = l.claim_key and c.paid_amount = l.paid_amount "
        "where c.claim_family in ('part_b', 'dme') and l.claim_key is null").fetchone() == (0,)
    paid = con.execute("select paid_amount from fct_claim_line limit 1").fetchone()
    assert paid is not None and isinstance(paid[0], Decimal)
    # every CCLF2 line of a final-action Part A claim is there, once
    expected = con.execute(
        f"select count(distinct (l.cur_clm_uniq_id, l.clm_line_num)) "
        f"from {_lake(built_aco, 'cclf2')} as l join fct_claim c "
        f"on c.claim_family = 'part_a' and c.cur_clm_uniq_id = l.cur_clm_uniq_id").fetchone()
    got = con.execute(
        "select count(*) from fct_claim_line where claim_family = 'part_a'").fetchone()
    assert got == expected and expected is not None and expected[0] > 0
    assert con.execute("select count(*) from fct_procedure").fetchone() != (0,)


def test_dim_provider_and_dim_date(con) -> None:
    types = dict(con.execute(
        "select provider_id_type, count(*) from dim_provider group by 1").fetchall())
    assert set(types) == {"npi", "tin", "ccn"}
    assert con.execute(
        "select count(*) from fct_claim_line l left join dim_provider p "
        "on p.provider_id_type = 'npi' and p.provider_id = l.line_provider_npi "
        "where l.line_provider_npi is not null and p.provider_id is null").fetchone() == (0,)
    first, last, days = con.execute(
        "select min(date_day), max(date_day), count(*) from dim_date").fetchone()
    assert (last - first).days + 1 == days
    assert con.execute(
        "select count(*) from fct_claim c left join dim_date d on c.service_date = d.date_day "
        "where d.date_day is null").fetchone() == (0,)


def test_crosstab_totals_equal_member_months_in_both(con) -> None:
    per_month = dict(con.execute(
        "select enrollment_month, count(*) from fct_member_month "
        "where enrollment_type is not null and alr_enrollment_type is not null "
        "group by 1").fetchall())
    crosstab = dict(con.execute(
        "select enrollment_month, sum(member_months) from mart_enrollment_crosstab "
        "group by 1").fetchall())
    assert per_month and crosstab == per_month
    cells = con.execute(
        "select count(*) / count(distinct enrollment_month) from mart_enrollment_crosstab"
    ).fetchone()
    assert cells == (25,)
    agree, total = con.execute(
        "select sum(case when is_agreement then member_months else 0 end), "
        "sum(member_months) from mart_enrollment_crosstab").fetchone()
    assert 0.9 < agree / total <= 1.0


def test_data_quality_revenue_lines_not_summing_to_header(built_aco: BuiltAco, con) -> None:
    flagged = {k for (k,) in con.execute(
        "select record_key from mart_data_quality "
        "where check_name = 'revenue_lines_do_not_sum_to_header'").fetchall()}
    # independent recomputation from the lake: final-action Part A headers vs their lines
    expected = {k for (k,) in con.execute(
        f"with lines as (select distinct cur_clm_uniq_id, clm_line_num, clm_line_cvrd_pd_amt "
        f"from {_lake(built_aco, 'cclf2')}), "
        f"sums as (select cur_clm_uniq_id, sum(clm_line_cvrd_pd_amt) as s, "
        f"count(*) filter (where clm_line_cvrd_pd_amt <> 0) as n from lines group by 1) "
        f"select c.cur_clm_uniq_id from fct_claim c join sums using (cur_clm_uniq_id) "
        f"where c.claim_family = 'part_a' and sums.n > 0 and sums.s <> c.paid_amount"
    ).fetchall()}
    assert flagged and flagged == expected
    types = {t for (t,) in con.execute(
        "select distinct c.clm_type_cd from mart_data_quality q join fct_claim c "
        "on c.claim_family = 'part_a' and c.cur_clm_uniq_id = q.record_key "
        "where q.check_name = 'revenue_lines_do_not_sum_to_header'").fetchall()}
    assert types == {"40"}  # the generator shorts outpatient claims only
    n_outpatient = con.execute(
        "select count(*) from fct_claim where clm_type_cd = '40'").fetchone()
    assert n_outpatient is not None and 0.01 < len(flagged) / n_outpatient[0] < 0.12
    # no unknown claim type codes in generated data; the check exists and is empty
    assert con.execute(
        "select count(*) from mart_data_quality where check_name = 'unknown_claim_type_code'"
    ).fetchone() == (0,)
