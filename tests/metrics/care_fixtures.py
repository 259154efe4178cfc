"""Fixtures for the care-management and provider tests.

`care_lake_workspace`: a hand-made lake (monthly deliveries for reference months
2024-01..2024-12, the claims in the last one), one beneficiary per edge case.
`synthetic_workspace`: a small generated ACO, ingested and built.

Both are built once per session and cached in this module (not a conftest, which another
test area owns), so test_care.py and test_providers.py share them through thin fixtures.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.warehouse.build import build_warehouse
from tests.warehouse.lake_builder import write_delivery

ACO = "A9999"

# beneficiaries, one per edge case (MBI format: 11 characters)
ED_FOUR = "1AA0AA0AA01"        # exactly 4 ED visit days (one day has facility + professional)
ED_THREE = "1AA0AA0AA02"       # 3 ED visit days (two ED lines on one day count once)
FOLLOW_DAY7 = "1AA0AA0AA03"    # discharged 2024-11-01, office visit 2024-11-08 (day 7)
FOLLOW_DAY8 = "1AA0AA0AA04"    # discharged 2024-11-01, office visit 2024-11-09 (day 8)
DIED = "1AA0AA0AA05"           # inpatient stay ending in death (status 20): not listed
TIE = "1AA0AA0AA06"            # 2 visits at TIN_A and 2 at TIN_B, TIN_B's last visit is later
STEP_TWO = "1AA0AA0AA07"       # primary care visits by a cardiologist only (step 2)
STEP_ONE = "1AA0AA0AA08"       # 3 cardiology visits at TIN_C, 1 family practice at TIN_A
RISING = "1AA0AA0AA09"         # $100 in Jan-Jun 2024, $1,000 in Jul-Dec 2024
NO_FOLLOW = "1AA0AA0AA10"      # discharged 2024-12-20, no visit at all
ALL = (ED_FOUR, ED_THREE, FOLLOW_DAY7, FOLLOW_DAY8, DIED, TIE, STEP_TWO, STEP_ONE, RISING,
       NO_FOLLOW)

TIN_A, TIN_B, TIN_C = "111111111", "222222222", "333333333"
NPI_A, NPI_B, NPI_C, NPI_A2 = "1000000001", "1000000002", "1000000003", "1000000004"
CCN_IN, CCN_OUT = "360001", "360002"
AS_OF = date(2024, 12, 31)


def name_of(mbi: str) -> str:
    """The beneficiary name the fixture's CCLF8 gives `mbi` (last, first)."""
    return f"Doe, Case{mbi[-2:]}"
LAST_CREATED = date(2025, 1, 15)


class _Claims:
    """Builds CCLF1/2/5 rows with fresh claim ids; every claim is loaded 10 days after it
    ends unless a load date is given."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {"CCLF1": [], "CCLF2": [], "CCLF5": []}
        self.next_id = 1

    def _id(self) -> str:
        self.next_id += 1
        return str(self.next_id).zfill(13)

    def inpatient(self, mbi: str, admit: date, discharge: date, paid: str, *,
                  status: str = "01", ccn: str = CCN_IN) -> None:
        self._part_a(mbi, "60", admit, discharge, paid, status=status, ccn=ccn, tob=("1", "1"))

    def ed_facility(self, mbi: str, day: date, paid: str, ccn: str = CCN_OUT) -> None:
        clm = self._part_a(mbi, "40", day, day, paid, status="01", ccn=ccn, tob=("1", "3"))
        self.rows["CCLF2"].append({
            "cur_clm_uniq_id": clm, "clm_line_num": "1".zfill(10), "bene_mbi_id": mbi,
            "clm_type_cd": "40", "clm_line_from_dt": day, "clm_line_thru_dt": day,
            "clm_line_prod_rev_ctr_cd": "0450", "clm_line_cvrd_pd_amt": Decimal(paid),
            "clm_fac_prvdr_oscar_num": ccn, "clm_from_dt": day, "clm_thru_dt": day,
        })

    def _part_a(self, mbi: str, ctype: str, frm: date, thru: date, paid: str, *, status: str,
                ccn: str, tob: tuple[str, str]) -> str:
        clm = self._id()
        loaded = thru + timedelta(days=10)
        self.rows["CCLF1"].append({
            "cur_clm_uniq_id": clm, "prvdr_oscar_num": ccn, "bene_mbi_id": mbi,
            "clm_type_cd": ctype, "clm_from_dt": frm, "clm_thru_dt": thru,
            "clm_bill_fac_type_cd": tob[0], "clm_bill_clsfctn_cd": tob[1],
            "clm_pmt_amt": Decimal(paid), "bene_ptnt_stus_cd": status,
            "clm_adjsmt_type_cd": "0", "clm_efctv_dt": loaded, "clm_idr_ld_dt": loaded,
            "clm_blg_prvdr_oscar_num": ccn, "clm_blg_prvdr_npi_num": "1999999999",
        })
        return clm

    def part_b(self, mbi: str, day: date, hcpcs: str, paid: str, *, tin: str = TIN_A,
               npi: str = NPI_A, specialty: str = "08", allowed: str | None = None,
               loaded: date | None = None) -> None:
        clm = self._id()
        loaded = loaded or day + timedelta(days=10)
        self.rows["CCLF5"].append({
            "cur_clm_uniq_id": clm, "clm_line_num": "1".zfill(10), "bene_mbi_id": mbi,
            "clm_type_cd": "71", "clm_from_dt": day, "clm_thru_dt": day,
            "clm_line_from_dt": day, "clm_line_thru_dt": day, "clm_line_hcpcs_cd": hcpcs,
            "clm_line_cvrd_pd_amt": Decimal(paid),
            "clm_line_alowd_chrg_amt": Decimal(allowed if allowed is not None else paid),
            "clm_adjsmt_type_cd": "0", "clm_efctv_dt": loaded, "clm_idr_ld_dt": loaded,
            "clm_cntl_num": f"C{clm}", "clm_carr_pmt_dnl_cd": "1", "clm_prcsg_ind_cd": "A",
            "clm_rndrg_prvdr_tax_num": tin, "rndrg_prvdr_npi_num": npi,
            "clm_prvdr_spclty_cd": specialty, "clm_pos_cd": "11",
        })


def care_claims() -> dict[str, list[dict[str, Any]]]:
    c = _Claims()
    # frequent ED: ED_FOUR has 3 professional ED days + 1 facility-only ED day + 1 day with
    # both a facility claim and a professional line (one visit day)
    for day in (date(2024, 2, 3), date(2024, 5, 6), date(2024, 8, 9)):
        c.part_b(ED_FOUR, day, "99284", "150.00", tin=TIN_C, npi=NPI_C, specialty="93")
    c.ed_facility(ED_FOUR, date(2024, 10, 10), "400.00")
    # ... one of those days again as a facility claim: still the same visit day
    c.ed_facility(ED_FOUR, date(2024, 8, 9), "400.00")
    # an ED visit more than 12 months before the as-of date does not count
    c.part_b(ED_FOUR, date(2023, 12, 31), "99284", "150.00", tin=TIN_C, npi=NPI_C,
             specialty="93")
    for day in (date(2024, 3, 1), date(2024, 3, 1), date(2024, 4, 1), date(2024, 9, 1)):
        c.part_b(ED_THREE, day, "99283", "120.00", tin=TIN_C, npi=NPI_C, specialty="93")
    # discharges and follow-ups
    c.inpatient(FOLLOW_DAY7, date(2024, 10, 28), date(2024, 11, 1), "12000.00")
    c.part_b(FOLLOW_DAY7, date(2024, 11, 8), "99214", "110.00")
    c.inpatient(FOLLOW_DAY8, date(2024, 10, 28), date(2024, 11, 1), "9000.00", ccn=CCN_OUT)
    c.part_b(FOLLOW_DAY8, date(2024, 11, 9), "99214", "110.00")
    c.inpatient(DIED, date(2024, 11, 20), date(2024, 11, 25), "30000.00", status="20")
    c.inpatient(NO_FOLLOW, date(2024, 12, 15), date(2024, 12, 20), "8000.00")
    # a visit on the discharge day itself is not a follow-up
    c.part_b(NO_FOLLOW, date(2024, 12, 20), "99213", "90.00")
    # attribution tie: equal visits and allowed charges; TIN_B's last visit is later
    for day in (date(2024, 3, 1), date(2024, 5, 1)):
        c.part_b(TIE, day, "99213", "80.00", tin=TIN_A, npi=NPI_A)
    for day in (date(2024, 2, 1), date(2024, 6, 1)):
        c.part_b(TIE, day, "99213", "80.00", tin=TIN_B, npi=NPI_B)
    # step 2: only a cardiologist bills primary care services
    for day in (date(2024, 4, 2), date(2024, 7, 2)):
        c.part_b(STEP_TWO, day, "99214", "100.00", tin=TIN_C, npi=NPI_C, specialty="06")
    # step 1 beats more visits by a specialist
    for day in (date(2024, 4, 3), date(2024, 5, 3), date(2024, 6, 3)):
        c.part_b(STEP_ONE, day, "99214", "100.00", tin=TIN_C, npi=NPI_C, specialty="06")
    c.part_b(STEP_ONE, date(2024, 6, 20), "99213", "70.00", tin=TIN_A, npi=NPI_A2,
             specialty="11")
    # rising spend: $100 in the first half, $1,000 in the second half of 2024
    c.part_b(RISING, date(2024, 2, 14), "93000", "100.00", tin=TIN_C, npi=NPI_C, specialty="06")
    for day in (date(2024, 8, 1), date(2024, 10, 1)):
        c.part_b(RISING, day, "93306", "500.00", tin=TIN_C, npi=NPI_C, specialty="06")
    return c.rows


def _month_created(month: int) -> date:
    """Creation date of the monthly delivery whose reference month is 2024-`month`."""
    return date(2024 + month // 12, month % 12 + 1, 15)


def build_care_lake(root: Path) -> Workspace:
    ws = init_workspace(root, aco_id=ACO, performance_year=2024)
    claims = care_claims()
    for month in range(1, 13):
        created = _month_created(month)
        rows: dict[str, list[dict[str, Any]]] = {"CCLF8": [
            {"bene_mbi_id": mbi, "bene_dob": date(1950, 1, 1), "bene_sex_cd": "2",
             "bene_1st_name": f"Case{mbi[-2:]}", "bene_last_name": "Doe",
             "bene_mdcr_stus_cd": "10", "bene_dual_stus_cd": "NA",
             "bene_death_dt": date(2024, 11, 25) if mbi == DIED else None}
            for mbi in ALL
        ]}
        if month == 12:
            rows.update(claims)
        delivery = f"P.{ACO}.ACO.ZCY24.D{created:%y%m%d}.T0000000"
        write_delivery(ws.lake_dir, delivery, created, rows)
    result = build_warehouse(ws)
    assert result.success, result.failures
    return ws


_CACHE: dict[str, Any] = {}


def care_lake_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The hand-made lake, built once per session (shared by the test modules)."""
    if "care_lake" not in _CACHE:
        _CACHE["care_lake"] = build_care_lake(tmp_path_factory.mktemp("care") / "ws")
    return _CACHE["care_lake"]


def synthetic_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """300 beneficiaries, reference months 2024-01..2024-12, ingested and built once."""
    if "synthetic" not in _CACHE:
        from aco_pipeline.ingest.pipeline import ingest
        from aco_pipeline.synth import generate

        root = tmp_path_factory.mktemp("care_synth")
        inbox = root / "inbox"
        generate(inbox, beneficiaries=300, start="2024-01", months=12, seed=11, aco_id=ACO)
        ws = init_workspace(root / "ws", aco_id=ACO, performance_year=2024)
        outcomes = ingest(ws, sorted(p for p in inbox.iterdir() if p.name != "ground_truth"))
        assert outcomes and all(o.status == "published" for o in outcomes), outcomes
        result = build_warehouse(ws)
        assert result.success, result.failures
        _CACHE["synthetic"] = ws
    return _CACHE["synthetic"]
