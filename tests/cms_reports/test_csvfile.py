"""Schema-on-read for the report CSVs: every column text under its header name, unknown
columns reported, never fatal; a damaged header refused without echoing a cell."""

from __future__ import annotations

from datetime import date

import pytest

from aco_pipeline.cms_reports.csvfile import read_csv, read_rows
from aco_pipeline.cms_reports.errors import CmsReportError

FILE = "P.A1234.ACO.BEUR.2024Q1.D240520.T0000001.csv"
BEUR = ("BENE_MBI_ID,RPT_YR_NUM,PRFMNC_YR_NUM,RPT_QTR_NUM,ESRD_FRAC,DSBL_FRAC,AGDU_FRAC,"
        "AGND_FRAC")


def test_known_columns_become_text_columns_with_lineage() -> None:
    data = (BEUR + "\n1EG4TE5MK73,2024,2024,1,0.0000,0.0000,0.0833,0.1667\n").encode()
    r = read_csv(data, file=FILE, kind="beur", delivery_date=date(2024, 5, 20))
    assert r.issues == [] and r.unknown_columns == [] and r.missing_columns == []
    row = r.table.to_pylist()[0]
    assert row["BENE_MBI_ID"] == "1EG4TE5MK73" and row["AGND_FRAC"] == "0.1667"
    assert (row["source_file"], row["line_number"], row["delivery_date"]) == (
        FILE, 2, date(2024, 5, 20))
    assert all(str(f.type) == "string" for f in r.table.schema if f.name.isupper())


def test_unknown_and_missing_columns_are_reported_and_kept() -> None:
    header = BEUR.replace(",AGND_FRAC", ",TOTAL_EXP_AMT")
    data = f"{header}\n1EG4TE5MK73,2024,2024,1,0,0,0.25,1234.56\n".encode()
    r = read_csv(data, file=FILE, kind="beur", delivery_date=None)
    assert r.unknown_columns == ["TOTAL_EXP_AMT"] and r.missing_columns == ["AGND_FRAC"]
    assert r.table.column("TOTAL_EXP_AMT").to_pylist() == ["1234.56"]
    assert {(i.kind, i.column) for i in r.issues} == {("unknown_column", "TOTAL_EXP_AMT"),
                                                      ("missing_column", "AGND_FRAC")}


def test_a_kind_without_public_columns_checks_none() -> None:
    r = read_csv(b"A,B\n1,\n", file="P.A1234.ACO.NCBPQ.2024Q1.D240501.T0000001.csv",
                 kind="ncbp", delivery_date=None)
    assert r.issues == [] and r.table.column("B").to_pylist() == [None]


def test_a_missing_header_is_refused_at_line_1_without_echoing_the_data() -> None:
    data = b"1EG4TE5MK73,2024,2024,1,0,0,0.25,0.75\n"
    with pytest.raises(CmsReportError) as err:
        read_csv(data, file=FILE, kind="beur", delivery_date=None)
    assert "row 1, column 1" in str(err.value) and FILE in str(err.value)
    assert "1EG4TE5MK73" not in str(err.value)


def test_ragged_rows_duplicate_and_blank_names_are_reported() -> None:
    data = b"A,A,,D\n1,2,3,4,5\n6\n"
    r = read_csv(data, file="x.csv", kind="ncbp", delivery_date=None)
    assert r.table.column_names[:4] == ["A", "A_2", "column_3", "D"]
    assert r.table.column("D").to_pylist() == ["4", None]
    assert {i.kind for i in r.issues} == {"duplicate_column", "unnamed_column", "ragged_row"}
    assert [i.row for i in r.issues if i.kind == "ragged_row"] == [2]


def test_non_utf8_is_read_and_reported() -> None:
    r = read_csv("NAME\nCAF\u00c9\n".encode("cp1252"), file="x.csv", kind="ncbp",
                 delivery_date=None)
    assert r.table.column("NAME").to_pylist() == ["CAF\u00c9"]
    assert [i.kind for i in r.issues] == ["encoding"]


def test_empty_file_and_lineage_clash_are_clear_errors() -> None:
    with pytest.raises(CmsReportError, match="empty"):
        read_csv(b"\n\n", file="x.csv", kind="ncbp", delivery_date=None)
    with pytest.raises(CmsReportError, match="lineage"):
        read_rows([["source_file"], ["a"]], file="x.csv", kind="ncbp", delivery_date=None)
