"""ALR tables 1-2 / 1-4 in the warehouse and provider attribution that prefers them
(docs/providers.md), on a hand-made lake whose ALR tables go through the real parser.

Beneficiaries (claims: primary care office visits in 2024, in the December delivery):
- ALR_WINS: the claims' plurality is TIN_A (3 visits to 1), but the Q4 2024 ALR lists
  TIN_B with the most primary care lines: October-December take TIN_B; September (no ALR
  covers Q3) falls back to the plurality. Table 1-4 has, at TIN_B, NPI_B2 flagged NPI_USED
  with fewer services than NPI_B1 (the flag wins), and a busier NPI at TIN_A (ignored).
- NOT_LISTED: a visit at TIN_A (and an ECG in December, so claims reach December); no
  2024 ALR lists them: the plurality in every month of 2024.
- RENAMED: the Q4 ALR lists their previous MBI (CCLF9 maps it to the current one) at TIN_C.
- TIED: the Q4 ALR lists two TINs with equal lines: the lower TIN, flagged as a tie.
- Q2 2024 ALR (one delivery holding both tables, as an ALR zip lands): lists ALR_WINS at
  TIN_C; an annual 2023 ALR lists NOT_LISTED at TIN_C for every month of 2023.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.ingest.alr import parse_alr
from aco_pipeline.metrics.providers import scorecard
from aco_pipeline.warehouse.build import build_warehouse

from .lake_builder import write_delivery

ACO = "A9999"
ALR_WINS, NOT_LISTED, RENAMED, TIED = "2BB0BB0BB01", "2BB0BB0BB02", "2BB0BB0BB03", "2BB0BB0BB04"
RENAMED_OLD = "2BB0BB0BB93"
TIN_A, TIN_B, TIN_C, TIN_D = "111111111", "222222222", "333333333", "444444444"
NPI_A, NPI_B1, NPI_B2, NPI_C = "1000000001", "1000000002", "1000000003", "1000000004"

Q4 = "P.A9999.ACO.QALR.2024Q4.D250118.T1000000"
Q2 = "P.A9999.ACO.QALR.2024Q2.D240719.T1000000"
Y2023 = "P.A9999.ACO.AALR.Y2023.D240301.T1000000"

TABLE_1_2 = {
    Q4: [(ALR_WINS, TIN_B, 5), (ALR_WINS, TIN_A, 2), (RENAMED_OLD, TIN_C, 4),
         (TIED, TIN_D, 3), (TIED, TIN_B, 3)],
    Q2: [(ALR_WINS, TIN_C, 1)],
    Y2023: [(NOT_LISTED, TIN_C, 2)],
}
TABLE_1_4 = {
    Q4: [(ALR_WINS, TIN_B, NPI_B1, "N", 4), (ALR_WINS, TIN_B, NPI_B2, "Y", 1),
         (ALR_WINS, TIN_A, NPI_A, "N", 9), (RENAMED_OLD, TIN_C, NPI_C, "Y", 4)],
    Q2: [(ALR_WINS, TIN_C, NPI_C, "Y", 1)],
    Y2023: [],
}
CREATED = {Q4: date(2025, 1, 18), Q2: date(2024, 7, 19), Y2023: date(2024, 3, 1)}


def _visit(n: int, mbi: str, day: date, tin: str, npi: str, hcpcs: str = "99213"
           ) -> dict[str, Any]:
    clm = str(n).zfill(13)
    loaded = day + timedelta(days=10)
    return {
        "cur_clm_uniq_id": clm, "clm_line_num": "1".zfill(10), "bene_mbi_id": mbi,
        "clm_type_cd": "71", "clm_from_dt": day, "clm_thru_dt": day, "clm_line_from_dt": day,
        "clm_line_thru_dt": day, "clm_line_hcpcs_cd": hcpcs,
        "clm_line_cvrd_pd_amt": Decimal("80.00"), "clm_line_alowd_chrg_amt": Decimal("100.00"),
        "clm_adjsmt_type_cd": "0", "clm_efctv_dt": loaded, "clm_idr_ld_dt": loaded,
        "clm_cntl_num": f"C{clm}", "clm_carr_pmt_dnl_cd": "1", "clm_prcsg_ind_cd": "A",
        "clm_rndrg_prvdr_tax_num": tin, "rndrg_prvdr_npi_num": npi,
        "clm_prvdr_spclty_cd": "08", "clm_pos_cd": "11",
    }


def _claims() -> list[dict[str, Any]]:
    visits = [(ALR_WINS, date(2024, 2, 5), TIN_A, NPI_A),
              (ALR_WINS, date(2024, 4, 5), TIN_A, NPI_A),
              (ALR_WINS, date(2024, 6, 5), TIN_A, NPI_A),
              (ALR_WINS, date(2024, 3, 5), TIN_B, NPI_B1),
              (NOT_LISTED, date(2024, 5, 7), TIN_A, NPI_A),
              (RENAMED, date(2024, 5, 8), TIN_A, NPI_A),
              (TIED, date(2024, 5, 9), TIN_A, NPI_A),
              # an ECG in December (not primary care): claims reach December
              (NOT_LISTED, date(2024, 12, 2), TIN_D, NPI_A, "93000")]
    return [_visit(i, *v) for i, v in enumerate(visits, start=1)]


def _csv(header: str, rows: list[tuple[object, ...]]) -> bytes:
    lines = [header] + [",".join(str(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def _write_alr(lake: Path, delivery: str, table: str, name: str, created: date,
               rows: list[tuple[object, ...]]) -> None:
    header = {"1-2": '"BENE_MBI_ID","TIN","MASTER_ID","B_EM_LINE_CNT_T"',
              "1-4": '"BENE_MBI_ID","TIN","NPI","NPI_USED","PCS_COUNT"'}[table]
    if table == "1-2":
        rows = [(m, t, t, n) for m, t, n in rows]
    out = lake / "parsed" / f"delivery={delivery}" / f"alr_{table.replace('-', '_')}"
    parse_alr(io.BytesIO(_csv(header, rows)), out / "part-0.parquet", table=table,
              source_file=name, delivery_date=created)


def build_alr_lake(root: Path) -> Workspace:
    ws = init_workspace(root, aco_id=ACO, performance_year=2024)
    everyone = (ALR_WINS, NOT_LISTED, RENAMED, TIED)
    for month in range(1, 13):
        created = date(2024 + month // 12, month % 12 + 1, 15)
        rows: dict[str, list[dict[str, Any]]] = {"CCLF8": [
            {"bene_mbi_id": mbi, "bene_dob": date(1950, 1, 1), "bene_sex_cd": "2",
             "bene_mdcr_stus_cd": "10", "bene_dual_stus_cd": "NA"} for mbi in everyone]}
        if month == 12:
            rows["CCLF5"] = _claims()
            rows["CCLF9"] = [{"crnt_num": RENAMED, "prvs_num": RENAMED_OLD,
                              "prvs_id_efctv_dt": date(2020, 1, 1),
                              "prvs_id_obslt_dt": date(2024, 8, 31)}]
        write_delivery(ws.lake_dir, f"P.{ACO}.ACO.ZCY24.D{created:%y%m%d}.T0000000", created,
                       rows)
    for report, created in CREATED.items():
        for table, rows_of in (("1-2", TABLE_1_2), ("1-4", TABLE_1_4)):
            # Q4 as loose CSVs (a delivery per table, named with the table suffix); the other
            # reports as one delivery holding both tables (an ALR zip)
            delivery = f"{report}_{table}" if report == Q4 else report
            _write_alr(ws.lake_dir, delivery, table, f"{report}_{table}.csv", created,
                       rows_of[report])
    result = build_warehouse(ws)
    assert result.success, result.failures
    return ws


@pytest.fixture(scope="module")
def alr_lake(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build_alr_lake(tmp_path_factory.mktemp("alr") / "ws")


def _query(ws: Workspace, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _month(ws: Workspace, month: date) -> dict[str, tuple]:
    rows = _query(ws, "select mr_mbi, attribution_source, attributed_tin, attributed_npi, "
                      "is_tin_tie, plurality_tin from mart_provider_attribution_month "
                      "where attribution_month = ?", [month])
    return {r[0]: r[1:] for r in rows}


def test_staging_reads_report_period_and_report_id(alr_lake: Workspace) -> None:
    rows = _query(alr_lake, "select distinct delivery_id, alr_report_id, report_type, "
                            "period_start_month, period_end_month from stg_alr_1_2")
    got = {r[0]: r[1:] for r in rows}
    assert got == {
        f"{Q4}_1-2": (Q4, "quarterly", date(2024, 10, 1), date(2024, 12, 1)),
        Q2: (Q2, "quarterly", date(2024, 4, 1), date(2024, 6, 1)),
        Y2023: (Y2023, "annual", date(2023, 1, 1), date(2023, 12, 1)),
    }
    npi_rows = _query(alr_lake, "select alr_report_id, bene_mbi_id, npi, npi_used, pcs_count "
                                "from stg_alr_1_4 where alr_report_id = ? order by npi", [Q4])
    assert len(npi_rows) == 4
    assert (Q4, ALR_WINS, NPI_B2, "Y", 1) in npi_rows


def test_alr_month_uses_the_alr_tin_even_against_the_claims(alr_lake: Workspace) -> None:
    for month in (date(2024, 10, 1), date(2024, 11, 1), date(2024, 12, 1)):
        att = _month(alr_lake, month)
        # the claims say TIN_A; the ALR's table 1-2 says TIN_B (5 lines against 2), and
        # within TIN_B table 1-4 flags NPI_B2 although NPI_B1 has more services
        assert att[ALR_WINS] == ("alr", TIN_B, NPI_B2, False, TIN_A)


def test_month_without_alr_falls_back_to_the_plurality(alr_lake: Workspace) -> None:
    sep = _month(alr_lake, date(2024, 9, 1))
    assert sep[ALR_WINS][:3] == ("plurality", TIN_A, NPI_A)
    # an ALR covers December but does not list NOT_LISTED
    assert _month(alr_lake, date(2024, 12, 1))[NOT_LISTED][:3] == ("plurality", TIN_A, NPI_A)
    # Q2 2024, one delivery holding both tables: TIN_C
    assert _month(alr_lake, date(2024, 5, 1))[ALR_WINS][:3] == ("alr", TIN_C, NPI_C)
    # the annual 2023 ALR covers every month of 2023, with no NPI in table 1-4
    months_2023 = _query(alr_lake, "select count(*), min(attributed_tin), "
                                   "count(attributed_npi) from mart_provider_attribution_month "
                                   "where mr_mbi = ? and attribution_source = 'alr' "
                                   "and attribution_month between date '2023-01-01' "
                                   "and date '2023-12-01'", [NOT_LISTED])
    assert months_2023 == [(12, TIN_C, 0)]


def test_previous_mbi_on_the_alr_maps_to_the_current_one(alr_lake: Workspace) -> None:
    dec = _month(alr_lake, date(2024, 12, 1))
    assert dec[RENAMED] == ("alr", TIN_C, NPI_C, False, TIN_A)
    assert RENAMED_OLD not in dec
    assert _query(alr_lake, "select count(*) from int_alr_attribution where mr_mbi = ?",
                  [RENAMED_OLD]) == [(0,)]


def test_tin_tie_takes_the_lowest_tin(alr_lake: Workspace) -> None:
    assert _month(alr_lake, date(2024, 12, 1))[TIED][:4] == ("alr", TIN_B, None, True)


def test_scorecard_counts_attribution_sources(alr_lake: Workspace) -> None:
    rows = {r["tin"]: r for r in scorecard(alr_lake, start=date(2024, 1, 1),
                                          end=date(2024, 12, 31), by="tin").to_pylist()}
    # December: ALR_WINS and TIED at TIN_B (ALR), RENAMED at TIN_C (ALR), NOT_LISTED at
    # TIN_A (plurality)
    assert {t: (r["panel_size"], r["attributed_alr"], r["attributed_plurality"])
            for t, r in rows.items()} == {TIN_A: (1, 0, 1), TIN_B: (2, 2, 0), TIN_C: (1, 1, 0)}
    assert rows[TIN_B]["attributed_step_1"] == 0
