"""Bundles: folders named like files, zips without an extension (also inside a bundle),
placeholder dates, damaged zips."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from aco_pipeline.cms_reports.bundle import members
from aco_pipeline.cms_reports.errors import CmsReportError
from aco_pipeline.cms_reports.read import read_report
from tests.cms_reports.xlsx import qexpu_table1, xlsx


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, d in entries.items():
            z.writestr(n, d)
    return buf.getvalue()


def _mcqm_xlsx() -> bytes:
    demo = ["BENE_MBI_ID", "BENE_1ST_NAME", "BENE_LAST_NAME", "BENE_SEX_CD", "BENE_BRTH_DT",
            "BENE_DEATH_DT", "VA_SELECTION_ONLY"]
    return xlsx({"Medicare_CQM_Beneficiaries": [demo, ["1EG4TE5MK73", "MARY", "TESTPERSON",
                                                       "2", 19500101, "", "N"]],
                 "DM_001SSP": [[*demo, "DM_AGE", "DM_DX", "DM_ENCOUNTER", "DM_EXCLUSION",
                                "DM_FILTER", "PROVIDER_1_NPI", "PROVIDER_2_NPI",
                                "PROVIDER_3_NPI", "TOP_CLINIC_ID", "DM_NEW_FLAG"],
                               ["1EG4TE5MK73", "MARY", "TESTPERSON", "2", 19500101, "", "N",
                                "Y", "Y", "Y", "N", "Y", "1234567893", "", "", "1", "Y"]]})


def test_an_extension_less_zip_inside_a_bundle_folder_is_opened(tmp_path: Path) -> None:
    bundle = tmp_path / "P.A1234.QMCQM.D240420.T2222171"
    bundle.mkdir()
    inner = "P.A1234.ACO.MCQM.2024Q1.D240420.T2222171"
    (bundle / inner).write_bytes(_zip({f"{inner}.xlsx": _mcqm_xlsx()}))
    found = members(bundle)
    assert [m.path for m in found] == [f"{inner}/{inner}.xlsx"]
    read = read_report(bundle)
    assert read.name.kind == "mcqm" and read.name.role == "bundle"
    beneficiaries = read.tables["mcqm_medicare_cqm_beneficiaries"].to_pylist()
    assert beneficiaries[0]["BENE_BRTH_DT"] == "19500101"
    dm = read.tables["mcqm_dm_001ssp"]
    assert dm.column("DM_FILTER").to_pylist() == ["Y"]
    unknown = [i for i in read.issues if i.kind == "unknown_column"]
    assert [(i.sheet, i.column) for i in unknown] == [("DM_001SSP", "DM_NEW_FLAG")]
    missing = {i.sheet for i in read.issues if i.kind == "missing_sheet"}
    assert missing == {"BCS_112SSP", "DEP_134SSP", "HTN_236SSP"}
    # a beneficiary list's values never reach an issue
    assert all("1EG4TE5MK73" not in str(i) and "MARY" not in str(i) for i in read.issues)


def test_a_bnmrk_bundle_with_a_placeholder_date(tmp_path: Path) -> None:
    bundle = tmp_path / "P.A1234.ACO.BNMRK.D259999.T0000000"
    bundle.mkdir()
    t1 = [["", "BY1", "BY2", "BY3", "Benchmark"], ["[L] Historical Benchmark Expenditures"],
          ["ESRD", "-", "-", "-", 91000.5]]
    (bundle / "P.A1234.ACO.BNMRK.D259999.T0000000.xlsx").write_bytes(
        xlsx({"Table 1 - Historical Benchmark": t1}))
    (bundle / "P.A1234.ACO.AEXPU.Y2023.D259999.T0000000.xlsx").write_bytes(
        xlsx({"Table_1-Aggregate_EU_Report": qexpu_table1()}))
    (bundle / "readme.txt").write_bytes(b"hello")
    read = read_report(bundle)
    assert read.name.placeholder_date and read.name.created is None
    bn = read.tables["bnmrk_cells"].to_pylist()
    assert [r["value_text"] for r in bn if r["column_label"] == "Benchmark"] == ["91000.5"]
    assert {r["delivery_date"] for r in bn} == {None}
    aexpu = read.tables["aexpu_cells"]
    assert set(aexpu.column("benchmark_year").to_pylist()) == {2023}
    assert set(aexpu.column("bundle").to_pylist()) == {bundle.name}
    kinds = [i.kind for i in read.issues]
    assert "placeholder_date" in kinds and "unknown_member" in kinds
    assert "missing_sheet" in kinds  # the hand-made BNMRK lacks most sheets


def test_ncbp_as_an_extension_less_zip_of_bytes() -> None:
    name = "P.A1234.ACO.NCBPQ.2024Q1.D240501.T0000001"
    data = _zip({f"{name}.csv": b"BENE_MBI_ID,PAYMENT_AMT\n1EG4TE5MK73,12.50\n"})
    read = read_report(data, name=name)
    assert read.tables["ncbp"].column("PAYMENT_AMT").to_pylist() == ["12.50"]
    assert read.members == [f"{name}/{name}.csv"]


def test_a_damaged_zip_is_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    name = "P.A1234.ACO.NCBPQ.2024Q1.D240501.T0000001"
    good = _zip({f"{name}.csv": b"A\n1\n" * 1000})
    with pytest.raises(CmsReportError, match=name):
        read_report(good[: len(good) // 2], name=name)


def test_a_name_that_is_not_a_cms_report_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "notes.xlsx"
    p.write_bytes(b"x")
    with pytest.raises(CmsReportError, match="not a recognised CMS report name"):
        read_report(p)
