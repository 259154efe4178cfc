"""int_mbi_crosswalk: chains across deliveries, newest delivery wins, cycles reported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from aco_pipeline.config import init_workspace
from aco_pipeline.warehouse.build import build_warehouse

from .lake_builder import write_delivery


def _xref(prev: str, cur: str) -> dict[str, object]:
    return {"hicn_mbi_xref_ind": "M", "crnt_num": cur, "prvs_num": prev}


def _claim(clm: str, mbi: str) -> dict[str, object]:
    return {"cur_clm_uniq_id": clm.zfill(13), "bene_mbi_id": mbi, "clm_type_cd": "40",
            "clm_blg_prvdr_oscar_num": "360001", "clm_from_dt": date(2024, 1, 2),
            "clm_thru_dt": date(2024, 1, 2), "clm_pmt_amt": 10, "clm_adjsmt_type_cd": "0",
            "clm_efctv_dt": date(2024, 1, 9), "clm_idr_ld_dt": date(2024, 1, 15)}


def test_chains_newest_wins_and_cycles(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", aco_id="A9999", performance_year=2024)
    # delivery 1: A->B, P->Q, X->Y ; delivery 2: B->C, P->R, Y->X ; delivery 3: C->D
    write_delivery(ws.lake_dir, "P.A9999.ACO.ZCY24.D240210.T0000000", date(2024, 2, 10), {
        "CCLF9": [_xref("AAAAAAAAAAA", "BBBBBBBBBBB"), _xref("PPPPPPPPPPP", "QQQQQQQQQQQ"),
                  _xref("XXXXXXXXXXX", "YYYYYYYYYYY")],
        "CCLF1": [_claim("1", "AAAAAAAAAAA")],
    })
    write_delivery(ws.lake_dir, "P.A9999.ACO.ZCY24.D240310.T0000000", date(2024, 3, 10), {
        "CCLF9": [_xref("BBBBBBBBBBB", "CCCCCCCCCCC"), _xref("PPPPPPPPPPP", "RRRRRRRRRRR"),
                  _xref("YYYYYYYYYYY", "XXXXXXXXXXX")],
    })
    write_delivery(ws.lake_dir, "P.A9999.ACO.ZCY24.D240410.T0000000", date(2024, 4, 10), {
        "CCLF9": [_xref("CCCCCCCCCCC", "DDDDDDDDDDD")],
    })
    result = build_warehouse(ws)
    assert result.success, result.failures
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        xw = {p: (c, n, r) for p, c, n, r in con.execute(
            "select previous_mbi, current_mbi, chain_length, unresolved_reason "
            "from int_mbi_crosswalk").fetchall()}
        claim_mbi = con.execute("select mr_mbi from fct_claim").fetchall()
        dq = set(con.execute("select check_name, record_key from mart_data_quality "
                             "where area = 'mbi_crosswalk'").fetchall())
    finally:
        con.close()
    assert xw["AAAAAAAAAAA"] == ("DDDDDDDDDDD", 3, None)
    assert xw["BBBBBBBBBBB"] == ("DDDDDDDDDDD", 2, None)
    assert xw["CCCCCCCCCCC"] == ("DDDDDDDDDDD", 1, None)
    assert xw["PPPPPPPPPPP"] == ("RRRRRRRRRRR", 1, None)  # the newest CCLF9 wins
    assert xw["XXXXXXXXXXX"] == ("XXXXXXXXXXX", None, "cycle")
    assert xw["YYYYYYYYYYY"] == ("YYYYYYYYYYY", None, "cycle")
    assert claim_mbi == [("DDDDDDDDDDD",)]
    assert dq == {("cycle", "XXXXXXXXXXX"), ("cycle", "YYYYYYYYYYY")}
