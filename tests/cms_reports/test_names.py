"""File names of CMS's report files (mssp-reports.md section 1)."""

from __future__ import annotations

from datetime import date

import pytest

from aco_pipeline.cms_reports.deliveries import latest, superseded
from aco_pipeline.cms_reports.names import member_kind, parse_report_name


@pytest.mark.parametrize(("name", "kind", "role", "period", "py", "by", "quarter"), [
    ("P.A1234.ACO.BNMRK.D240612.T0101010", "bnmrk", "bundle", None, 2024, None, None),
    ("P.A1234.ACO.BNMRK.D240612.T0101010.xlsx", "bnmrk", "workbook", None, 2024, None, None),
    ("P.A1234.ACO.AEXPU.Y2022.D240612.T0101010.xlsx", "aexpu", "workbook", "2022", None, 2022,
     None),
    ("P.A1234.ACO.QEXPU.D240815.T1200000", "qexpu", "bundle", None, None, None, None),
    ("P.A1234.ACO.QEXPU.2024Q2.D240815.T1200000.xlsx", "qexpu", "workbook", "2024Q2", 2024,
     None, 2),
    ("P.A1234.ACO.NCBPQ.2024Q1.D240501.T0000001", "ncbp", "zip", "2024Q1", 2024, None, 1),
    ("P.A1234.ACO.NCBPA.Y2023.D240501.T0000001.csv", "ncbp", "csv", "2023", 2023, None, None),
    ("P.A1234.ACO.BEUR.2024Q3.D241101.T0000001.csv", "beur", "csv", "2024Q3", 2024, None, 3),
    ("P.A1234.ACO.BAIP.D241101.T0000001.csv", "baip", "csv", None, None, None, None),
    ("P.A1234.ACO.MBI.D241101.T0000001.csv", "mbi_crosswalk", "csv", None, None, None, None),
    ("P.A1234.ACO.PATB.D240115.T0000001", "participant_list", "zip", None, None, None, None),
    ("P.A1234.QMCQM.D240420.T2222171", "mcqm", "bundle", None, None, None, None),
    ("P.A1234.ACO.MCQM.2024Q1.D240420.T2222171", "mcqm", "zip", "2024Q1", 2024, None, 1),
])
def test_every_kind_is_recognised(name: str, kind: str, role: str, period: str | None,
                                  py: int | None, by: int | None, quarter: int | None) -> None:
    n = parse_report_name(name)
    assert n is not None
    assert (n.kind, n.role, n.period, n.performance_year, n.benchmark_year, n.quarter) == (
        kind, role, period, py, by, quarter)
    assert n.aco_id == "A1234" and not n.test


def test_stamp_date_and_test_prefix() -> None:
    n = parse_report_name("T.A0001.ACO.QEXPU.2024Q4.D250214.T0930125.xlsx")
    assert n is not None and n.test and n.created == date(2025, 2, 14)
    assert n.stamp == "D250214.T0930125"
    assert n.delivery_id == "T.A0001.ACO.QEXPU.2024Q4.D250214.T0930125"


def test_placeholder_date_keeps_the_file_with_an_unknown_date() -> None:
    n = parse_report_name("P.A1234.ACO.QEXPU.2024Q1.D259999.T0000000.xlsx")
    assert n is not None and n.placeholder_date and n.created is None
    assert n.performance_year == 2024  # from the period, not the date
    bn = parse_report_name("P.A1234.ACO.BNMRK.D259999.T0000000")
    assert bn is not None and bn.performance_year is None  # BNMRK's year is the date's


def test_folder_is_always_a_bundle() -> None:
    n = parse_report_name("P.A1234.ACO.MCQM.2024Q1.D240420.T2222171", is_dir=True)
    assert n is not None and n.role == "bundle"


@pytest.mark.parametrize("name", [
    "P.A1234.ACO.ZCY24.D240115.T1200000",           # a CCLF bundle: naming.py's
    "P.A1234.ACO.QALR.2024Q1.D240418.T0930125.zip",  # an ALR: naming.py's
    "P.A1234.ACO.QEXPU.2024Q2.D241399.T1200000.xlsx",  # month 13: damaged, not a placeholder
    "P.A1234.ACO.QEXPU.2024Q5.D240815.T1200000.xlsx",
    "P.A1234.ACO.QEXPU.2024Q2.D240815.T120000.xlsx",  # 6-digit time
    "P.A1234.QEXPU.2024Q2.D240815.T1200000.xlsx",     # no .ACO.
    "P.A1234.ACO.QMCQM.D240420.T2222171",             # QMCQM has no .ACO.
    "README.md", "report.xlsx", "",
])
def test_other_names_are_not_recognised(name: str) -> None:
    assert parse_report_name(name) is None


def test_participant_list_members() -> None:
    assert member_kind("Participants List 2024.csv") == "participants"
    assert member_kind("Providers and Suppliers List.csv") == "providers_suppliers"
    assert member_kind("P.A1234.ACO.NCBPQ.2024Q1.D240501.T0000001.csv") == "ncbp"
    assert member_kind("notes.txt") is None


def _names(*names: str):  # type: ignore[no-untyped-def]
    parsed = [parse_report_name(n) for n in names]
    assert all(parsed)
    return parsed


def test_a_qexpu_redelivery_supersedes_the_earlier_one_of_its_quarter() -> None:
    early, late, other = _names("P.A1234.ACO.QEXPU.2024Q1.D240420.T0000001.xlsx",
                                "P.A1234.ACO.QEXPU.2024Q1.D240510.T0000001.xlsx",
                                "P.A1234.ACO.QEXPU.2024Q2.D240420.T0000001.xlsx")
    assert superseded([early, late, other]) == {early.name}  # type: ignore[union-attr]


def test_bnmrk_deliveries_stand_beside_each_other_and_the_latest_is_marked() -> None:
    names = _names("P.A1234.ACO.BNMRK.D240310.T0000001", "P.A1234.ACO.BNMRK.D241005.T0000001",
                   "P.A1234.ACO.BNMRK.D240605.T0000001")
    marks = latest(names)  # type: ignore[arg-type]
    assert marks == {"P.A1234.ACO.BNMRK.D240310.T0000001": False,
                     "P.A1234.ACO.BNMRK.D241005.T0000001": True,
                     "P.A1234.ACO.BNMRK.D240605.T0000001": False}
    assert superseded(names) == set()  # type: ignore[arg-type]


def test_a_placeholder_date_never_outranks_a_real_delivery() -> None:
    sample, real = _names("P.A1234.ACO.QEXPU.2024Q1.D249999.T9999999.xlsx",
                          "P.A1234.ACO.QEXPU.2024Q1.D240420.T0000001.xlsx")
    assert superseded([sample, real]) == {sample.name}  # type: ignore[union-attr]


@pytest.mark.parametrize("name", [
    "P.A1234.ACO.BNMRK.D240612.T0101010", "P.A1234.ACO.QEXPU.2024Q2.D240815.T1200000.xlsx",
    "P.A1234.ACO.NCBPQ.2024Q1.D240501.T0000001", "P.A1234.QMCQM.D240420.T2222171",
    "P.A1234.ACO.BEUR.2024Q3.D241101.T0000001.csv",
])
def test_report_names_do_not_overlap_the_cclf_alr_bnex_names(name: str) -> None:
    """naming.parse_name refuses them and looks_like_cms accepts them: the ingest wiring
    tries `parse_report_name` after `parse_name` without a name being claimed twice."""
    from aco_pipeline import naming

    with pytest.raises(naming.UnrecognisedFileName):
        naming.parse_name(name)
    assert naming.looks_like_cms(name) and parse_report_name(name) is not None
