"""Hand-made lakes for warehouse tests: Parquet in the lake layout, rows given as dicts.

A delivery folder gets every CCLF file type (empty tables with the lake schema unless rows
are given), like a published CCLF delivery.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from aco_pipeline.layouts import CLAIM_FILE_TYPES, lake_schema


def write_delivery(lake_dir: Path, delivery_id: str, created: date,
                   rows: dict[str, list[dict[str, Any]]]) -> Path:
    """Write lake/parsed/delivery=<id>/<type>/part-0.parquet for every CCLF file type."""
    folder = lake_dir / "parsed" / f"delivery={delivery_id}"
    for ft in CLAIM_FILE_TYPES:
        schema = lake_schema(ft)
        given = rows.get(ft, [])
        full = []
        for i, r in enumerate(given, start=1):
            row: dict[str, Any] = dict.fromkeys(schema.names)
            row.update(r)
            row["source_file"] = f"{delivery_id}.{ft}"
            row["line_number"] = i
            row["delivery_date"] = created
            full.append(row)
        target = folder / ft.lower() / "part-0.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(full, schema=schema), target)
    return folder


def d(text: str) -> date:
    """IP tables print dates as MM/DD/YY (20YY)."""
    m, day, y = text.split("/")
    return date(2000 + int(y), int(m), int(day))


# CCLF IP v40 5.3.2, Table 4 (Part A headers): CLM#, FROM, THRU, PAID, ADJ_TYPE, EFCTV_DT.
IP_PART_A = [
    ("1", "07/01/12", "07/08/12", "200.00", "0", "07/20/12"),
    ("2", "07/01/12", "07/08/12", "0.00", "2", "09/20/12"),
    ("3", "07/01/12", "07/08/12", "200.00", "1", "08/07/12"),
    ("4", "07/01/12", "07/08/12", "210.00", "2", "09/20/12"),
    ("5", "07/01/12", "07/08/12", "0.00", "2", "08/07/12"),
    ("6", "07/01/12", "07/08/12", "0.00", "1", "10/07/12"),
    ("7", "08/20/12", "08/29/12", "50.00", "0", "09/20/12"),
]

# CCLF IP v40 5.3.2, Table 6 (Part B lines): CLM#, LINE_NUM, CNTL_NUM, PAID, ADJ_TYPE, EFCTV_DT.
IP_PART_B = [
    ("1", "3", "7", "0.00", "1", "09/02/12"),
    ("1", "1", "7", "380.00", "1", "09/02/12"),
    ("1", "2", "7", "227.00", "1", "09/02/12"),
    ("2", "1", "7", "380.00", "0", "09/02/12"),
    ("2", "2", "7", "227.00", "0", "09/02/12"),
    ("2", "3", "7", "100.00", "0", "09/02/12"),
    ("3", "3", "7", "0.00", "0", "08/15/12"),
    ("3", "1", "7", "380.00", "0", "08/15/12"),
    ("3", "2", "7", "227.00", "0", "08/15/12"),
]

CURRENT_MBI = "6U50TE7GG18"
OLD_MBI = "5F27TE6KM28"  # IP v40 5.1.3 Table 3: earlier claims carry the old MBI


def ip_example_rows() -> dict[str, list[dict[str, Any]]]:
    """The IP's worked example as CCLF1/CCLF5 rows, claims #1-#3 with the beneficiary's old
    MBI and a CCLF9 row mapping it to the current one (IP v40 5.1.1), so the natural key
    only works on MR_MBI."""
    part_a = [
        {
            "cur_clm_uniq_id": clm.zfill(13),
            "bene_mbi_id": OLD_MBI if int(clm) <= 3 else CURRENT_MBI,
            "clm_type_cd": "60", "clm_blg_prvdr_oscar_num": "654321", "prvdr_oscar_num": "654321",
            "clm_from_dt": d(frm), "clm_thru_dt": d(thru), "clm_pmt_amt": Decimal(paid),
            "clm_adjsmt_type_cd": adj, "clm_efctv_dt": d(eff), "clm_idr_ld_dt": d(eff),
        }
        for clm, frm, thru, paid, adj, eff in IP_PART_A
    ]
    part_b = [
        {
            "cur_clm_uniq_id": clm.zfill(13), "clm_line_num": line.zfill(10),
            "bene_mbi_id": CURRENT_MBI, "clm_type_cd": "71", "clm_cntl_num": cntl,
            "clm_from_dt": date(2012, 7, 2), "clm_thru_dt": date(2012, 7, 2),
            "clm_line_cvrd_pd_amt": Decimal(paid), "clm_adjsmt_type_cd": adj,
            "clm_efctv_dt": d(eff), "clm_idr_ld_dt": d(eff),
        }
        for clm, line, cntl, paid, adj, eff in IP_PART_B
    ]
    return {
        "CCLF1": part_a,
        "CCLF5": part_b,
        "CCLF8": [{"bene_mbi_id": CURRENT_MBI, "bene_dob": date(1940, 5, 1),
                   "bene_mdcr_stus_cd": "10", "bene_dual_stus_cd": "NA"}],
        "CCLF9": [{"hicn_mbi_xref_ind": "M", "crnt_num": CURRENT_MBI, "prvs_num": OLD_MBI,
                   "prvs_id_efctv_dt": date(2010, 1, 1), "prvs_id_obslt_dt": date(2012, 8, 15)}],
    }


IP_DELIVERY = "P.A9999.ACO.ZCY12.D121110.T0000000"
IP_CREATED = date(2012, 11, 10)
