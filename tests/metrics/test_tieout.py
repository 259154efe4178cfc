"""CCLF vs ALR tie-out (CMS guide v4 Appendix A phases 2-3, Appendix B): the rules on their
own, a hand-made lake with one beneficiary per reason, and the generated ACO checked against
an independent computation from the lake and the generator's ground truth."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import app
from aco_pipeline.config import Workspace
from aco_pipeline.metrics.canonical import data_periods
from aco_pipeline.metrics.periods import PERIOD_COLUMNS
from aco_pipeline.metrics.tieout import (
    AlrReport,
    Facts,
    Period,
    Tieout,
    TieoutError,
    canonical,
    choose_alr,
    months_between,
    opt_out_coverage,
    tieout,
    to_arrow,
)
from aco_pipeline.warehouse.build import build_warehouse
from aco_pipeline.warehouse.read import connect
from tests.synthetic_aco import BuiltAco

from . import tieout_fixtures as fx

Q4 = Period(date(2024, 10, 1), date(2024, 12, 31), None)
SEED = (Path(__file__).parents[2] / "src" / "aco_pipeline" / "warehouse" / "dbt" / "seeds"
        / "institutional_medicare_part.csv")


# --- rules ---------------------------------------------------------------------------------

def test_months_between_crosses_years() -> None:
    assert months_between(date(2024, 11, 15), date(2025, 2, 1)) == [
        date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)]


@pytest.mark.parametrize(("facts", "expected"), [
    (Facts(), None),
    # full opt-out (no CCLF8 before it), still in the newest BNEX: covers everything
    (Facts(first_opt_out_month=date(2024, 12, 1), last_opt_out_month=date(2024, 12, 1),
           opted_out_before_any_cclf8=True, opted_out_in_newest_bnex=True), "entire"),
    # began before the period and still on: entire
    (Facts(first_opt_out_month=date(2024, 9, 1), last_opt_out_month=date(2024, 12, 1),
           opted_out_in_newest_bnex=True), "entire"),
    # began in November after data was shared: part
    (Facts(first_opt_out_month=date(2024, 11, 1), last_opt_out_month=date(2025, 3, 1),
           opted_out_in_newest_bnex=True), "part"),
    # ended (reversed) in October: part
    (Facts(first_opt_out_month=date(2024, 6, 1), last_opt_out_month=date(2024, 10, 1)), "part"),
    # over before the period
    (Facts(first_opt_out_month=date(2024, 6, 1), last_opt_out_month=date(2024, 8, 1)), None),
    # begins after the period
    (Facts(first_opt_out_month=date(2025, 1, 1), last_opt_out_month=date(2025, 3, 1),
           opted_out_in_newest_bnex=True), None),
])
def test_opt_out_coverage(facts: Facts, expected: str | None) -> None:
    assert opt_out_coverage(facts, Q4) == expected


def test_choose_alr_by_period_and_by_name() -> None:
    q3 = AlrReport("Q3", date(2024, 10, 20), "quarterly", date(2024, 7, 1), date(2024, 9, 1))
    q4a = AlrReport("Q4a", date(2025, 1, 20), "quarterly", date(2024, 10, 1), date(2024, 12, 1))
    q4b = AlrReport("Q4b", date(2025, 2, 1), "quarterly", date(2024, 10, 1), date(2024, 12, 1))
    assert choose_alr([q3, q4a, q4b], Q4, None) is q4b  # the newest re-issue
    assert choose_alr([q3, q4a], Q4, "Q3") is q3
    with pytest.raises(TieoutError, match="no ALR table 1-1 covers 2025-03"):
        choose_alr([q3, q4a], Period(date(2025, 1, 1), date(2025, 3, 31), None), None)
    with pytest.raises(TieoutError, match="no ALR table 1-1 delivery 'Q9'"):
        choose_alr([q3], Q4, "Q9")


# --- hand-made lake: one beneficiary per reason ---------------------------------------------

@pytest.fixture(scope="module")
def reasons_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = fx.tieout_workspace(tmp_path_factory.mktemp("tieout") / "ws")
    result = build_warehouse(ws)
    assert result.success, result.failures
    return ws


@pytest.fixture(scope="module")
def reasons(reasons_ws: Workspace) -> Tieout:
    with connect(reasons_ws) as con:
        return tieout(con, start=fx.START, end=fx.END, runout=fx.RUNOUT)


def _by_mbi(t: Tieout) -> dict[str, dict]:
    return {r["mr_mbi"]: r for r in t.beneficiaries.rows}


def test_each_reason_of_the_guide(reasons: Tieout) -> None:
    rows = _by_mbi(reasons)
    assert reasons.alr.delivery_id == fx.ALR_Q4
    got_alr_only = {m: r["primary_reason"] for m, r in rows.items() if r["group"] == "alr_only"}
    assert got_alr_only == fx.ALR_ONLY
    got_cclf_only = {m: r["primary_reason"] for m, r in rows.items()
                     if r["group"] == "cclf_only"}
    assert got_cclf_only == fx.CCLF_ONLY
    got_both = {m: r["reasons"] for m, r in rows.items() if r["group"] == "both"}
    assert got_both == fx.BOTH_FLAGS
    # XREF/Q: the ALR's previous MBI is mapped to the current one before matching
    assert fx.XREF_OLD not in rows
    assert rows[fx.XREF_NEW]["listed_under_previous_mbi"]
    assert not rows[fx.XREF_NEW]["listed_under_current_mbi"]
    # an opt-out partway through a period in which the beneficiary had no claims is the
    # guide's Table 3 row 13 example, not "no claims"
    assert rows[fx.OPT_PART]["reasons"] == "opt_out_part_of_period"


def test_dollars_per_beneficiary_are_in_period_net_paid(reasons: Tieout) -> None:
    rows = _by_mbi(reasons)
    for mbi, (a, b, dme) in fx.PAID.items():
        # by the Medicare part that paid (IP v40 5.4): the inpatient claim is Part A, CCLF5
        # and CCLF6 lines are Part B
        assert (rows[mbi]["part_a_paid"], rows[mbi]["part_b_paid"]) == (
            Decimal(a), Decimal(b) + Decimal(dme)), mbi
        assert rows[mbi]["total_paid"] == Decimal(a) + Decimal(b) + Decimal(dme)
    for mbi in set(fx.ALR_ONLY) - set(fx.PAID):
        assert rows[mbi]["total_paid"] == Decimal("0.00")


def test_summary_counts_partition_each_group(reasons: Tieout) -> None:
    summary = {(r["group"], r["reason"]): r for r in reasons.summary.rows}
    assert summary[("alr_only", "all")]["beneficiaries"] == len(fx.ALR_ONLY)
    assert summary[("cclf_only", "all")]["beneficiaries"] == len(fx.CCLF_ONLY)
    assert summary[("both", "all")]["beneficiaries"] == len(fx.BOTH_FLAGS)
    for group in ("alr_only", "cclf_only"):
        primaries = sum(r["primary_beneficiaries"] for (g, reason), r in summary.items()
                        if g == group and reason != "all")
        assert primaries == summary[(group, "all")]["beneficiaries"]
    assert summary[("both", "mbi_changed")]["beneficiaries"] == 1
    assert summary[("both", "opt_out_part_of_period")]["total_paid"] == Decimal("20.00")
    cclf_only_total = sum((Decimal(a) + Decimal(b) + Decimal(d))
                          for m, (a, b, d) in fx.PAID.items() if m in fx.CCLF_ONLY)
    assert summary[("cclf_only", "all")]["total_paid"] == cclf_only_total


def test_expenditure_rows_follow_tables_3_and_5(reasons: Tieout,
                                                reasons_ws: Workspace) -> None:
    rows = {r["ref"]: r for r in reasons.expenditure.rows}
    n_cclf = len(fx.CCLF_ONLY) + len(fx.BOTH_FLAGS)
    n_alr = len(fx.ALR_ONLY) + len(fx.BOTH_FLAGS)
    assert rows[1]["beneficiaries"] == n_cclf
    assert rows[2]["beneficiaries"] == n_alr
    # without XREF/Q the previous-MBI listing does not match: rows 3-5 vs 7-9, row 6 = 1
    assert rows[6]["beneficiaries"] == 1
    assert rows[4]["beneficiaries"] == rows[8]["beneficiaries"] - 1
    assert rows[3]["beneficiaries"] == rows[7]["beneficiaries"] + 1
    assert rows[5]["beneficiaries"] == rows[9]["beneficiaries"] + 1
    # row 1's dollars are the spend report's total for the same period and run-out
    from aco_pipeline.warehouse.reports import spend
    spent = spend(reasons_ws, start=fx.START, end=fx.END, runout=fx.RUNOUT)
    in_cclf = set(fx.CCLF_ONLY) | set(fx.BOTH_FLAGS)
    assert rows[1]["total_paid"] == sum((r["total_paid"] for r in spent.rows
                                        if r["mr_mbi"] in in_cclf), Decimal(0))
    both = rows[8]
    assert both["per_beneficiary"] == (both["total_paid"] / both["beneficiaries"]).quantize(
        Decimal("0.01"))
    assert both["per_beneficiary_vs_both_percent"] == Decimal("0.00")


def test_runout_moves_a_late_claim_into_the_cclf(reasons_ws: Workspace) -> None:
    with connect(reasons_ws) as con:
        rows = _by_mbi(tieout(con, start=fx.START, end=fx.END, runout=None))
    assert rows[fx.LATE]["group"] == "both"
    assert rows[fx.LATE]["part_b_paid"] == Decimal("75.00")


def test_died_before_the_alr_period(reasons_ws: Workspace) -> None:
    with connect(reasons_ws) as con:
        rows = _by_mbi(tieout(con, start=date(2024, 7, 1), end=fx.END, runout=fx.RUNOUT))
    assert rows[fx.DIED_ALR]["group"] == "cclf_only"
    assert rows[fx.DIED_ALR]["primary_reason"] == "died_before_alr_period"
    assert rows[fx.DIED_ALR]["reasons"] == "died_before_alr_period;listed_in_earlier_alr"


def test_cli_prints_the_sections(reasons: Tieout, reasons_ws: Workspace) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["report", "tieout", "--from", "2024-10-01", "--to", "2024-12-31",
                              "--runout", "2025-03-31", "--section", "beneficiaries",
                              "--format", "json", "--workspace", str(reasons_ws.root)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout, parse_float=Decimal)
    out = {r["mr_mbi"]: r for r in data["rows"]}
    assert out[fx.NO_CCLF8]["primary_reason"] == "not_in_cclf8_in_period"
    assert out[fx.BOTH]["total_paid"] == Decimal("1110.00")
    assert any(fx.ALR_Q4 in n for n in data["notes"])
    assert any("claims loaded by 2025-03-31" in n for n in data["notes"])
    res = runner.invoke(app, ["report", "tieout", "--from", "2023-01-01", "--to", "2023-03-31",
                              "--workspace", str(reasons_ws.root)])
    assert res.exit_code == 1
    assert "no ALR table 1-1 covers 2023-03" in res.output
    assert not any(m in res.output for m in fx.ALR_LISTS[fx.ALR_Q4])  # no PHI in errors
    res = runner.invoke(app, ["report", "tieout", "--from", "2024-10-01", "--to", "2024-12-31",
                              "--section", "enrollment", "--format", "csv",
                              "--workspace", str(reasons_ws.root)])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0].startswith("month,alr_enrollment_type")
    res = runner.invoke(app, ["report", "tieout", "--from", "2024-10-01", "--to", "2024-12-31",
                              "--workspace", str(reasons_ws.root)])
    assert res.exit_code == 0 and "alr_only" in res.stdout  # the terminal table


# --- the generated ACO, against an independent computation ----------------------------------

PERIOD = (date(2024, 10, 1), date(2024, 12, 31))
GENERATED_RUNOUT = date(2025, 3, 31)


def _independent(built: BuiltAco) -> dict[str, dict]:
    """Groups and in-period net paid per current MBI straight from the lake's Parquet and the
    generator's MBI history, with the guide's validity rules written out here."""
    lake = built.ws.lake_dir / "parsed"
    con = duckdb.connect()
    con.execute(f"create view xref as select previous_mbi, current_mbi from "
                f"read_parquet('{built.ground_truth / 'mbi_history.parquet'}')")

    def mapped(col: str) -> str:
        return (f"coalesce((select current_mbi from xref where previous_mbi = {col}), {col})")

    start, end = PERIOD
    versions = f"""
        select distinct 'a' as fam, cur_clm_uniq_id, 0 as line, clm_adjsmt_type_cd,
               clm_efctv_dt, bene_mbi_id, clm_thru_dt, clm_idr_ld_dt, clm_pmt_amt as amt,
               trim(clm_bill_fac_type_cd) as fac, trim(clm_bill_clsfctn_cd) as cls,
               clm_type_cd in ('10','20','30','40','50','60','61')
               and coalesce(trim(clm_mdcr_npmt_rsn_cd), '') = ''
               and not (clm_type_cd in ('10','40')
                        and coalesce(clm_bill_fac_type_cd, '') in ('4','5')) as valid
        from read_parquet('{lake}/*/cclf1/*.parquet')
        union all
        select distinct fam, cur_clm_uniq_id, cast(clm_line_num as int), clm_adjsmt_type_cd,
               clm_efctv_dt, bene_mbi_id, clm_thru_dt, clm_idr_ld_dt, clm_line_cvrd_pd_amt,
               null, null, clm_type_cd in ('71','72','81','82')
               and trim(clm_carr_pmt_dnl_cd) in ('A','B','1','2','3','4','5','6','7','8','9')
               and trim(clm_prcsg_ind_cd) in ('A','R','S')
        from (select 'b' as fam, * from read_parquet('{lake}/*/cclf5/*.parquet')
              union all by name
              select 'd' as fam, * from read_parquet('{lake}/*/cclf6/*.parquet'))
    """
    claims = con.execute(f"""
        with v as ({versions})
        , seed as (select cast(clm_bill_fac_type_cd as varchar) as fac,
                          cast(clm_bill_clsfctn_cd as varchar) as cls, medicare_part
                   from read_csv('{SEED}', all_varchar = true))
        select {mapped('bene_mbi_id')} as mbi,
               case when fam <> 'a' then 'B' else coalesce(seed.medicare_part, '?') end,
               sum(case when clm_adjsmt_type_cd = '1' then -amt else amt end),
               max(case when valid then 1 else 0 end)
        from v left join seed on v.fac = seed.fac and v.cls = seed.cls
        where clm_thru_dt between ? and ? and clm_idr_ld_dt <= ?
        group by all""", [start, end, GENERATED_RUNOUT]).fetchall()
    alr = {m for (m,) in con.execute(
        f"select distinct {mapped('bene_mbi_id')} from read_parquet("
        f"'{lake}/*/alr_1_1/*.parquet', hive_partitioning = true) "
        f"where delivery like '%.QALR.2024Q4.%'").fetchall()}
    out: dict[str, dict] = {}
    for mbi, fam, amt, valid in claims:
        row = out.setdefault(mbi, {"A": Decimal(0), "B": Decimal(0), "?": Decimal(0),
                                   "valid": False})
        row[fam] += amt
        row["valid"] = row["valid"] or bool(valid)
    result = {}
    for mbi in set(out) | alr:
        c = out.get(mbi, {"A": Decimal(0), "B": Decimal(0), "?": Decimal(0), "valid": False})
        in_cclf = bool(c["valid"])
        if not (in_cclf or mbi in alr):
            continue
        group = "both" if in_cclf and mbi in alr else "cclf_only" if in_cclf else "alr_only"
        result[mbi] = {"group": group, "part_a_paid": c["A"], "part_b_paid": c["B"],
                       "total_paid": c["A"] + c["B"] + c["?"]}
    return result


def test_generated_aco_matches_an_independent_computation(built_aco: BuiltAco) -> None:
    start, end = PERIOD
    with connect(built_aco.ws) as con:
        got = tieout(con, start=start, end=end, runout=GENERATED_RUNOUT)
    expected = _independent(built_aco)
    rows = _by_mbi(got)
    assert {m: r["group"] for m, r in rows.items()} == {m: e["group"]
                                                        for m, e in expected.items()}
    for mbi, e in expected.items():
        assert (rows[mbi]["part_a_paid"], rows[mbi]["part_b_paid"],
                rows[mbi]["total_paid"]) == (e["part_a_paid"], e["part_b_paid"],
                                             e["total_paid"]), mbi
    groups = {g: sum(1 for r in rows.values() if r["group"] == g)
              for g in ("both", "cclf_only", "alr_only")}
    assert all(groups.values()), groups  # the generated ACO has all three groups
    # opt-outs: the ground truth's opted-out months decide the opt-out reasons
    truth = pq.read_table(built_aco.ground_truth / "beneficiary_month.parquet").to_pylist()
    months = set(months_between(start, end))
    opted = {}
    for r in truth:
        if r["month"] in months:
            opted.setdefault(r["current_mbi"], set())
            if r["opted_out"]:
                opted[r["current_mbi"]].add(r["month"])
    for mbi, r in rows.items():
        n = len(opted.get(mbi, ()))
        reasons = r["reasons"].split(";")
        if r["group"] == "alr_only" and n == len(months):
            assert r["primary_reason"] == "opt_out_entire_period", mbi
        elif r["group"] == "alr_only" and n:
            assert r["primary_reason"] == "opt_out_part_of_period", mbi
        elif n:
            assert "opt_out_part_of_period" in reasons, mbi
        else:
            assert "opt_out_entire_period" not in reasons
            assert "opt_out_part_of_period" not in reasons, mbi
    assert any(opted.values()), "expected opt-outs in the period"
    # enrollment: the crosstab's months of the period, rates recomputed here
    by_month: dict[date, list[dict]] = {}
    for r in got.enrollment.rows:
        by_month.setdefault(r["month"], []).append(r)
    assert set(by_month) == months
    for cells in by_month.values():
        total = sum(c["member_months"] for c in cells)
        agree = sum(c["member_months"] for c in cells
                    if c["alr_enrollment_type"] == c["cclf_enrollment_type"])
        assert len(cells) == 25
        assert cells[0]["month_agreement_rate"] == (Decimal(agree) * 100 / total).quantize(
            Decimal("0.01"))


def test_canonical_tieout_equals_an_ad_hoc_compute(built_aco: BuiltAco) -> None:
    """The build stores the tie-out of the PY to date (everything loaded, ALR by period)."""
    with connect(built_aco.ws) as con:
        ytd = next(p for p in data_periods(con, 2024)
                   if p.period_kind == "performance_year_to_date")
        ad_hoc = tieout(con, start=ytd.period_start, end=ytd.period_end, runout=None)
        stored = {name: con.sql(f"select * from metric_{name}").to_arrow_table().to_pylist()
                  for name in ("tieout_beneficiary", "tieout_summary", "tieout_status")}
        again = canonical(con, built_aco.ws, [ytd])
    rows = stored["tieout_beneficiary"]
    assert rows and {r["period_id"] for r in rows} == {ytd.period_id}
    assert [{k: v for k, v in r.items() if k not in PERIOD_COLUMNS} for r in rows] == \
        to_arrow(ad_hoc.beneficiaries).to_pylist()
    assert [{k: v for k, v in r.items() if k not in PERIOD_COLUMNS}
            for r in stored["tieout_summary"]] == to_arrow(ad_hoc.summary).to_pylist()
    assert stored["tieout_status"][0]["alr_delivery_id"] == ad_hoc.alr.delivery_id
    assert again["tieout_beneficiary"].num_rows == len(rows)
