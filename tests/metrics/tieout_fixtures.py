"""A hand-made lake for the tie-out: one beneficiary per reason of the CMS guide's Appendix A
phase 2 (Table 3), with monthly CCLF deliveries (tests/warehouse/lake_builder.py), ALR table
1-1 files and BNEX files written in the lake layout.

Report period: 2024-10-01..2024-12-31 (reference months Oct-Dec 2024), run-out 2025-03-31,
ALR 2024Q4 (plus 2024Q3 and 2025Q1 for assignment changes).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.ingest.bnex import SCHEMA as BNEX_SCHEMA
from aco_pipeline.layouts import LINEAGE_FIELDS
from tests.warehouse.lake_builder import write_delivery

ACO = "A9999"
START, END, RUNOUT = date(2024, 10, 1), date(2024, 12, 31), date(2025, 3, 31)
MONTHS = (date(2024, 10, 1), date(2024, 11, 1), date(2024, 12, 1))
ALR_Q4 = "P.A9999.ACO.QALR.2024Q4.D250120.T0000000_1-1"
ALR_Q3 = "P.A9999.ACO.QALR.2024Q3.D241020.T0000000_1-1"
ALR_Q1 = "P.A9999.ACO.QALR.2025Q1.D250420.T0000000_1-1"
ALR_SCHEMA = pa.schema(
    [("bene_mbi_id", pa.string()), ("bene_death_dt", pa.date32())]
    + [(f"enrollflag{i}", pa.int32()) for i in range(1, 13)]
    + list(LINEAGE_FIELDS)
)

# One beneficiary per case (11-character MBIs, synthetic).
BOTH = "1AA0AA0AA01"          # claims and ALR: in both, no reason
XREF_NEW = "1AA0AA0AA02"      # claims under the current MBI ...
XREF_OLD = "1AA0AA0AA03"      # ... ALR lists the previous MBI (XREF/Q)
OPT_ALL = "1AA0AA0AA04"       # ALR; BNEX every month, never in CCLF8
OPT_PART = "1AA0AA0AA05"      # ALR; CCLF8 Oct, BNEX Nov-Dec, no claims
DIED = "1AA0AA0AA06"          # ALR; died 2024-09-15
NO_CCLF8 = "1AA0AA0AA07"      # ALR; in no CCLF8, no BNEX
DENIED = "1AA0AA0AA08"        # ALR; only a denied claim in the period
LATE = "1AA0AA0AA09"          # ALR; only a claim loaded after the run-out
NO_CLAIMS = "1AA0AA0AA10"     # ALR; CCLF8 every month, no claims
EARLIER = "1AA0AA0AA11"       # claims; only in the 2024Q3 ALR
LATER = "1AA0AA0AA12"         # claims; only in the 2025Q1 ALR
NEVER = "1AA0AA0AA13"         # claims; in no ALR
SOME_MONTHS = "1AA0AA0AA14"   # ALR and claims; CCLF8 Nov-Dec only
PART_BOTH = "1AA0AA0AA15"     # ALR and claims in Oct; BNEX Dec
DIED_ALR = "1AA0AA0AA16"      # claims Aug 2024, died 2024-09-10; 2024Q4 ALR does not list

ALR_ONLY = {
    OPT_ALL: "opt_out_entire_period", OPT_PART: "opt_out_part_of_period",
    DIED: "died_before_period", NO_CCLF8: "not_in_cclf8_in_period",
    DENIED: "only_invalid_claims_in_period", LATE: "claims_paid_after_runout",
    NO_CLAIMS: "no_claims_in_period",
}
CCLF_ONLY = {EARLIER: "listed_in_earlier_alr", LATER: "listed_in_later_alr",
             NEVER: "not_in_any_alr"}
BOTH_FLAGS = {BOTH: "", XREF_NEW: "mbi_changed", SOME_MONTHS: "not_in_cclf8_some_months",
              PART_BOTH: "opt_out_part_of_period"}

# CCLF8 months listing each beneficiary (reference months), death dates
CCLF8_MONTHS: dict[str, tuple[date, ...]] = {
    BOTH: MONTHS, XREF_NEW: MONTHS, OPT_PART: MONTHS[:1], DIED: MONTHS, DENIED: MONTHS,
    LATE: MONTHS, NO_CLAIMS: MONTHS, EARLIER: MONTHS, LATER: MONTHS, NEVER: MONTHS,
    SOME_MONTHS: MONTHS[1:], PART_BOTH: MONTHS[:2], DIED_ALR: MONTHS,
}
DEATHS = {DIED: date(2024, 9, 15), DIED_ALR: date(2024, 9, 10)}
BNEX_MONTHS: dict[str, tuple[date, ...]] = {
    OPT_ALL: MONTHS, OPT_PART: MONTHS[1:], PART_BOTH: MONTHS[2:],
}
ALR_LISTS = {
    ALR_Q4: [BOTH, XREF_OLD, OPT_ALL, OPT_PART, DIED, NO_CCLF8, DENIED, LATE, NO_CLAIMS,
             SOME_MONTHS, PART_BOTH],
    ALR_Q3: [EARLIER, DIED_ALR],
    ALR_Q1: [LATER],
}

# Expected in-period net paid per beneficiary (Part A, Part B, DME), run-out 2025-03-31.
PAID: dict[str, tuple[str, str, str]] = {
    BOTH: ("1000.00", "60.00", "50.00"),   # Part B: 100 original, cancelled, re-filed at 60
    XREF_NEW: ("0.00", "80.00", "0.00"),
    EARLIER: ("0.00", "70.00", "0.00"),
    LATER: ("0.00", "90.00", "0.00"),
    NEVER: ("0.00", "40.00", "0.00"),
    SOME_MONTHS: ("0.00", "30.00", "0.00"),
    PART_BOTH: ("0.00", "20.00", "0.00"),
    DENIED: ("0.00", "0.00", "0.00"),
}


def _created(month: date) -> date:
    """A reference month's delivery is created on the 10th of the next month."""
    return date(month.year + (month.month == 12), month.month % 12 + 1, 10)


def _part_b(mbi: str, clm: str, thru: date, paid: str, *, adj: str = "0",
            loaded: date | None = None, denial: str = "1", cntl: str | None = None,
            ) -> dict[str, Any]:
    return {
        "cur_clm_uniq_id": clm.zfill(13), "clm_line_num": "1".zfill(10), "bene_mbi_id": mbi,
        "clm_type_cd": "71", "clm_cntl_num": cntl or f"C{clm}", "clm_from_dt": thru,
        "clm_thru_dt": thru, "clm_line_from_dt": thru, "clm_line_thru_dt": thru,
        "clm_line_cvrd_pd_amt": Decimal(paid), "clm_adjsmt_type_cd": adj,
        "clm_efctv_dt": loaded or thru, "clm_idr_ld_dt": loaded or thru,
        "clm_carr_pmt_dnl_cd": denial, "clm_prcsg_ind_cd": "A",
    }


def _claims() -> dict[date, dict[str, list[dict[str, Any]]]]:
    """Claim rows per reference month's delivery."""
    oct_, nov, dec = MONTHS
    part_a = {
        "cur_clm_uniq_id": "9000".zfill(13), "bene_mbi_id": BOTH, "clm_type_cd": "60",
        "clm_blg_prvdr_oscar_num": "360001", "prvdr_oscar_num": "360001",
        "clm_from_dt": date(2024, 11, 1), "clm_thru_dt": date(2024, 11, 5),
        "clm_pmt_amt": Decimal("1000.00"), "clm_adjsmt_type_cd": "0",
        "clm_efctv_dt": date(2024, 11, 12), "clm_idr_ld_dt": date(2024, 11, 12),
    }
    # out of the period: a Part A claim of September 2024 (not counted)
    before = dict(part_a, cur_clm_uniq_id="9001".zfill(13), clm_from_dt=date(2024, 9, 1),
                  clm_thru_dt=date(2024, 9, 3), clm_pmt_amt=Decimal("500.00"))
    dme = dict(_part_b(BOTH, "9100", date(2024, 12, 2), "50.00"), clm_type_cd="81")
    return {
        oct_: {"CCLF1": [before], "CCLF5": [
            _part_b(PART_BOTH, "8001", date(2024, 10, 7), "20.00"),
            _part_b(DIED_ALR, "8002", date(2024, 8, 20), "25.00", loaded=date(2024, 10, 2)),
        ]},
        nov: {"CCLF1": [part_a], "CCLF5": [
            _part_b(BOTH, "8101", date(2024, 11, 4), "100.00", cntl="K1"),
            _part_b(BOTH, "8102", date(2024, 11, 4), "100.00", adj="1",
                    loaded=date(2024, 11, 20), cntl="K1"),
            _part_b(BOTH, "8103", date(2024, 11, 4), "60.00", loaded=date(2024, 11, 20),
                    cntl="K1"),
            _part_b(XREF_NEW, "8104", date(2024, 11, 6), "80.00"),
            _part_b(EARLIER, "8105", date(2024, 11, 7), "70.00"),
            _part_b(LATER, "8106", date(2024, 11, 8), "90.00"),
            _part_b(NEVER, "8107", date(2024, 11, 11), "40.00"),
            _part_b(SOME_MONTHS, "8108", date(2024, 11, 12), "30.00"),
            _part_b(DENIED, "8109", date(2024, 11, 13), "0.00", denial="0"),
        ]},
        dec: {"CCLF5": [
            _part_b(LATE, "8201", date(2024, 12, 20), "75.00", loaded=date(2025, 4, 7)),
        ], "CCLF6": [dme]},
    }


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def write_tieout_lake(ws: Workspace) -> None:
    claims = _claims()
    for month in MONTHS:
        created = _created(month)
        did = f"P.A9999.ACO.ZCY{month.year % 100}.D{created:%y%m%d}.T0000000"
        rows: dict[str, list[dict[str, Any]]] = {k: list(v)
                                                 for k, v in claims.get(month, {}).items()}
        rows["CCLF8"] = [
            {"bene_mbi_id": mbi, "bene_dob": date(1945, 1, 1), "bene_mdcr_stus_cd": "10",
             "bene_dual_stus_cd": "NA", "bene_death_dt": DEATHS.get(mbi)}
            for mbi, months in CCLF8_MONTHS.items() if month in months
        ]
        rows["CCLF9"] = [{"hicn_mbi_xref_ind": "M", "crnt_num": XREF_NEW, "prvs_num": XREF_OLD,
                          "prvs_id_efctv_dt": date(2020, 1, 1),
                          "prvs_id_obslt_dt": date(2024, 6, 30)}]
        write_delivery(ws.lake_dir, did, created, rows)
        bnex_id = f"P.A9999.BNEX.Y{month.year % 100}.D{created:%y%m%d}.T0000000"
        bnex = [{"bene_mbi_id": mbi, "exclusion_reason": "PC",
                 "source_file": f"{bnex_id}.xml", "line_number": i, "delivery_date": created}
                for i, (mbi, months) in enumerate(sorted(BNEX_MONTHS.items()), start=1)
                if month in months]
        _write(pa.Table.from_pylist(bnex, schema=BNEX_SCHEMA),
               ws.lake_dir / "parsed" / f"delivery={bnex_id}" / "bnex" / "part-0.parquet")
    for alr_id, mbis in ALR_LISTS.items():
        created = date(2000 + int(alr_id.split(".D")[1][:2]), int(alr_id.split(".D")[1][2:4]),
                       int(alr_id.split(".D")[1][4:6]))
        alr = [{"bene_mbi_id": mbi, "bene_death_dt": DEATHS.get(mbi),
                **{f"enrollflag{i}": 4 for i in range(1, 13)},
                "source_file": f"{alr_id}.csv", "line_number": n, "delivery_date": created}
               for n, mbi in enumerate(mbis, start=1)]
        _write(pa.Table.from_pylist(alr, schema=ALR_SCHEMA),
               ws.lake_dir / "parsed" / f"delivery={alr_id}" / "alr_1_1" / "part-0.parquet")


def tieout_workspace(root: Path) -> Workspace:
    ws = init_workspace(root, aco_id=ACO, performance_year=2024)
    write_tieout_lake(ws)
    return ws
