"""A hand-made lake with one example of every utilization event definition
(docs/utilization.md), and what a correct pipeline must find in it.

Three monthly deliveries (reference months January-March 2024) list two beneficiaries:
B1 aged/non-dual (enrollment type 4), B2 disabled (type 2): 6 member-months, 0.5 person-years.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

B1 = "1AA0AA0AA01"
B2 = "1AA0AA0AA02"

DELIVERIES = (
    ("P.A9999.ACO.ZCY24.D240205.T0000000", date(2024, 2, 5)),
    ("P.A9999.ACO.ZCY24.D240305.T0000000", date(2024, 3, 5)),
    ("P.A9999.ACO.ZCY24.D240405.T0000000", date(2024, 4, 5)),
)
LOADED = date(2024, 4, 1)
LATE_LOAD = date(2024, 5, 15)  # the MRI line: outside a 2024-04-30 run-out


def _a(clm: str, mbi: str, typ: str, ccn: str, frm: date, thru: date, paid: str, *,
       status: str = "01", fac: str = "1", cls: str = "1", adj: str = "0",
       loaded: date = LOADED) -> dict[str, Any]:
    return {
        "cur_clm_uniq_id": clm.zfill(13), "bene_mbi_id": mbi, "clm_type_cd": typ,
        "prvdr_oscar_num": ccn, "clm_blg_prvdr_oscar_num": ccn, "clm_from_dt": frm,
        "clm_thru_dt": thru, "clm_pmt_amt": Decimal(paid), "clm_adjsmt_type_cd": adj,
        "clm_efctv_dt": loaded, "clm_idr_ld_dt": loaded, "clm_bill_fac_type_cd": fac,
        "clm_bill_clsfctn_cd": cls, "bene_ptnt_stus_cd": status, "clm_bill_freq_cd": "1",
    }


def _rev(clm: str, line: int, mbi: str, typ: str, day: date, rev: str,
         hcpcs: str = "") -> dict[str, Any]:
    return {
        "cur_clm_uniq_id": clm.zfill(13), "clm_line_num": str(line), "bene_mbi_id": mbi,
        "clm_type_cd": typ, "clm_line_from_dt": day, "clm_line_thru_dt": day,
        "clm_from_dt": day, "clm_thru_dt": day, "clm_line_prod_rev_ctr_cd": rev,
        "clm_line_hcpcs_cd": hcpcs, "clm_line_cvrd_pd_amt": Decimal("0.00"),
    }


def _b(clm: str, line: int, mbi: str, day: date, hcpcs: str, spec: str, paid: str, *,
       pos: str = "11", denied: bool = False, loaded: date = LOADED) -> dict[str, Any]:
    return {
        "cur_clm_uniq_id": clm.zfill(13), "clm_line_num": str(line), "bene_mbi_id": mbi,
        "clm_type_cd": "71", "clm_cntl_num": f"CNTL{clm}", "clm_from_dt": day,
        "clm_thru_dt": day, "clm_line_from_dt": day, "clm_line_thru_dt": day,
        "clm_line_hcpcs_cd": hcpcs, "clm_prvdr_spclty_cd": spec, "clm_pos_cd": pos,
        "clm_line_cvrd_pd_amt": Decimal(paid), "clm_carr_pmt_dnl_cd": "0" if denied else "1",
        "clm_prcsg_ind_cd": "A", "clm_adjsmt_type_cd": "0", "clm_efctv_dt": loaded,
        "clm_idr_ld_dt": loaded,
    }


D = date


def claim_rows() -> dict[str, list[dict[str, Any]]]:
    part_a = [
        # B1: acute stay through the ED (adm, adm_short_term, ed_visit_hosp), readmitted
        # 12 days later at another acute hospital
        _a("101", B1, "60", "360010", D(2024, 1, 3), D(2024, 1, 8), "10000.00"),
        _a("102", B1, "60", "360020", D(2024, 1, 20), D(2024, 1, 25), "9000.00"),
        # B1: LTCH stay billed in two interim claims (one stay, adm_long_term)
        _a("103", B1, "60", "362001", D(2024, 2, 1), D(2024, 2, 10), "20000.00", status="30"),
        _a("104", B1, "60", "362001", D(2024, 2, 11), D(2024, 2, 20), "15000.00"),
        # B1: SNF stay in two claims: 25 Jan - 14 Feb = 20 days, $10,000 (snf_adm)
        _a("105", B1, "20", "365001", D(2024, 1, 25), D(2024, 2, 9), "8000.00", status="30",
           fac="2", cls="1"),
        _a("106", B1, "20", "365001", D(2024, 2, 10), D(2024, 2, 14), "2000.00", fac="2",
           cls="1"),
        # B1: outpatient ED visit with a CT (ed_visit, ct)
        _a("107", B1, "40", "360010", D(2024, 3, 2), D(2024, 3, 2), "900.00", fac="1",
           cls="3"),
        # B2: transfer (02) to another acute hospital the same day: not an index stay
        _a("201", B2, "60", "360010", D(2024, 2, 1), D(2024, 2, 5), "7000.00", status="02"),
        _a("202", B2, "60", "360030", D(2024, 2, 5), D(2024, 2, 9), "6000.00"),
        # B2: acute admission 35 days after 202's discharge: not a readmission
        _a("203", B2, "60", "360010", D(2024, 3, 15), D(2024, 3, 18), "5000.00"),
        # B2: FQHC visit (77x) (em_fqhc_rhc)
        _a("204", B2, "40", "361800", D(2024, 3, 20), D(2024, 3, 20), "150.00", fac="7",
           cls="7"),
        # B2: an ED claim and its cancellation: no event
        _a("205", B2, "40", "360010", D(2024, 3, 22), D(2024, 3, 22), "700.00", cls="3"),
        _a("206", B2, "40", "360010", D(2024, 3, 22), D(2024, 3, 22), "700.00", cls="3",
           adj="1"),
    ]
    part_a_lines = [
        _rev("101", 1, B1, "60", D(2024, 1, 3), "0450"),
        _rev("101", 2, B1, "60", D(2024, 1, 3), "0120"),
        _rev("102", 1, B1, "60", D(2024, 1, 20), "0120"),
        _rev("107", 1, B1, "40", D(2024, 3, 2), "0450", "99284"),
        _rev("107", 2, B1, "40", D(2024, 3, 2), "0350", "70450"),
        _rev("204", 1, B2, "40", D(2024, 3, 20), "0521", "G0466"),
        _rev("205", 1, B2, "40", D(2024, 3, 22), "0450", "99283"),
        _rev("206", 1, B2, "40", D(2024, 3, 22), "0450", "99283"),
    ]
    part_b = [
        _b("501", 1, B1, D(2024, 1, 15), "99214", "08", "110.00"),   # em_primary_care
        _b("502", 1, B1, D(2024, 2, 20), "99213", "06", "80.00"),    # em_specialist
        _b("503", 1, B2, D(2024, 3, 5), "99213", "50", "60.00"),     # em_np_pa_cns
        _b("504", 1, B2, D(2024, 3, 6), "99309", "11", "90.00", pos="31"),  # SNF POS: no
        _b("505", 1, B2, D(2024, 3, 7), "99309", "11", "95.00", pos="32"),  # em_primary_care
        _b("506", 1, B1, D(2024, 3, 8), "99213", "65", "40.00"),     # therapist: not counted
        _b("507", 1, B1, D(2024, 3, 9), "99214", "08", "0.00", denied=True),  # invalid
        _b("508", 1, B1, D(2024, 3, 2), "70450", "30", "36.00", pos="23"),  # same CT event
        _b("509", 1, B1, D(2024, 3, 2), "99284", "93", "109.00", pos="23"),  # ED E&M
        _b("510", 1, B2, D(2024, 3, 10), "70551", "30", "66.00", pos="22",
           loaded=LATE_LOAD),                                        # mri, loaded late
        _b("511", 1, B1, D(2024, 2, 1), "A0427", "59", "450.00", pos="41"),  # ambulance
    ]
    return {"CCLF1": part_a, "CCLF2": part_a_lines, "CCLF5": part_b}


def beneficiary_rows() -> list[dict[str, Any]]:
    return [
        {"bene_mbi_id": B1, "bene_dob": D(1945, 5, 1), "bene_mdcr_stus_cd": "10",
         "bene_dual_stus_cd": "NA"},
        {"bene_mbi_id": B2, "bene_dob": D(1970, 5, 1), "bene_mdcr_stus_cd": "20",
         "bene_dual_stus_cd": "NA"},
    ]


# What the event definitions must find (no run-out cut-off): event type -> (mbi, date)
EXPECTED_EVENTS: dict[str, list[tuple[str, date]]] = {
    "adm": [(B1, D(2024, 1, 8)), (B1, D(2024, 1, 25)), (B1, D(2024, 2, 20)),
            (B2, D(2024, 2, 5)), (B2, D(2024, 2, 9)), (B2, D(2024, 3, 18))],
    "adm_short_term": [(B1, D(2024, 1, 8)), (B1, D(2024, 1, 25)), (B2, D(2024, 2, 5)),
                       (B2, D(2024, 2, 9)), (B2, D(2024, 3, 18))],
    "adm_long_term": [(B1, D(2024, 2, 20))],
    "ed_visit_hosp_puf": [(B1, D(2024, 1, 3))],
    "ed_visit_puf": [(B1, D(2024, 3, 2))],
    "ct": [(B1, D(2024, 3, 2))],
    "mri": [(B2, D(2024, 3, 10))],
    "em_primary_care": [(B1, D(2024, 1, 15)), (B2, D(2024, 3, 7))],
    "em_specialist": [(B1, D(2024, 2, 20))],
    "em_np_pa_cns": [(B2, D(2024, 3, 5))],
    "em_fqhc_rhc": [(B2, D(2024, 3, 20))],
    "snf_adm": [(B1, D(2024, 2, 14))],
}
