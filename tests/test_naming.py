"""CMS file names (IP v40 4.2): recognised, and built the same way."""

from __future__ import annotations

from datetime import date

import pytest

from aco_pipeline.naming import (
    UnrecognisedFileName,
    alr_name,
    bnex_name,
    cclf_bundle_name,
    cclf_inner_name,
    parse_name,
    reference_period,
)


def test_monthly_bundle() -> None:
    n = parse_name("P.A1234.ACO.ZCY24.D240215.T1234567")
    assert (n.kind, n.entity_id, n.run, n.performance_year, n.created, n.test) == (
        "cclf_bundle", "A1234", "monthly", 2024, date(2024, 2, 15), False)
    assert n.delivery_id == "P.A1234.ACO.ZCY24.D240215.T1234567"
    assert parse_name("P.A1234.ACO.ZCY24.D240215.T1234567.zip").delivery_id == n.delivery_id


@pytest.mark.parametrize("n", list("0123456789AB"))
def test_inner_files_map_to_their_bundle(n: str) -> None:
    p = parse_name(f"P.A1234.ACO.ZC{n}R23.D240301.T0000001")
    assert p.kind == "cclf" and p.file_type == f"CCLF{n}"
    assert p.run == "runout" and p.performance_year == 2023
    assert p.delivery_id == "P.A1234.ACO.ZCR23.D240301.T0000001"


def test_weekly_and_test_files() -> None:
    p = parse_name("T.A1234.ACO.ZC5WY24.S240101.E240107.D240110.T1234567")
    assert p.test and p.run == "weekly" and p.file_type == "CCLF5"
    assert p.period == "2024-01-01..2024-01-07"
    assert p.delivery_id == "T.A1234.ACO.ZCWY24.S240101.E240107.D240110.T1234567"


def test_other_programs() -> None:
    assert parse_name("P.D0123.ACO.ZC1Y24.D240115.T1200000").entity_id == "D0123"
    assert parse_name("P.F123.ACO.ZC1Y24.D240115.T1200000").entity_id == "F123"


def test_alr_and_bnex() -> None:
    a = parse_name("P.A1234.ACO.QALR.2024Q1.D249999.T0100000_1-1.csv")
    assert (a.kind, a.period, a.alr_table, a.performance_year, a.created) == (
        "alr", "2024Q1", "1-1", 2024, None)
    y = parse_name("P.A1234.ACO.AALR.Y2023.D240120.T0100000_1-2.csv")
    assert (y.period, y.alr_table) == ("2023", "1-2")
    assert y.delivery_id == "P.A1234.ACO.AALR.Y2023.D240120.T0100000_1-2"
    z = parse_name("P.A1234.ACO.QALR.2024Q1.D249999.T0100000.zip")
    assert (z.kind, z.alr_table, z.delivery_id) == (
        "alr", None, "P.A1234.ACO.QALR.2024Q1.D249999.T0100000")
    b = parse_name("P.A1234.BNEX.Y24.D240115.T1200000.xml")
    assert (b.kind, b.performance_year, b.created) == ("bnex", 2024, date(2024, 1, 15))


@pytest.mark.parametrize("bad", ["notes.txt", "P.A1234.ACO.ZCY24.D240215", "A1234.ZC1Y24",
                                 "P.A1234.ACO.ZCCY24.D240215.T1234567", ""])
def test_unrecognised(bad: str) -> None:
    with pytest.raises(UnrecognisedFileName, match="not a recognised CMS file name"):
        parse_name(bad)


def test_builders_round_trip() -> None:
    b = cclf_bundle_name("A1234", 2024, date(2024, 2, 15), "1234567")
    assert b == "P.A1234.ACO.ZCY24.D240215.T1234567"
    assert cclf_inner_name(b, "CCLFA") == "P.A1234.ACO.ZCAY24.D240215.T1234567"
    r = cclf_bundle_name("A1234", 2023, date(2024, 3, 1), "0000001", runout=True)
    assert parse_name(cclf_inner_name(r, "CCLF0")).run == "runout"
    assert parse_name(alr_name("A1234", 2024, 2, "1-1", date(2024, 5, 1), "0100000")).period \
        == "2024Q2"
    assert parse_name(bnex_name("A1234", 2024, date(2024, 5, 1), "0100000")).kind == "bnex"


@pytest.mark.parametrize(
    ("name", "period"),
    [
        ("P.A1234.ACO.ZCY24.D240305.T1234567", "2024-02"),
        ("P.A1234.ACO.ZCY24.D250110.T1234567", "2024-12"),
        ("P.A1234.ACO.ZCR23.D240305.T1234567", "PY2023 run-out"),
        ("P.A1234.ACO.QALR.2024Q1.D249999.T0100000_1-1.csv", "2024Q1"),
        ("P.A1234.BNEX.Y24.D240115.T1200000.xml", "as of 2024-01-15"),
    ],
)
def test_reference_period(name: str, period: str) -> None:
    assert reference_period(parse_name(name)) == period
