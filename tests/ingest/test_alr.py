"""ALR tables parsed by header name; unknown columns reported, not fatal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from aco_pipeline.ingest.alr import AlrError, parse_alr

D = date(2024, 4, 10)


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "alr.csv"
    p.write_text(text, encoding="latin-1")
    return p


def test_types_by_header_name(tmp_path: Path) -> None:
    src = write(tmp_path, '"BENE_MBI_ID","BENE_BRTH_DT","EnrollFlag1","EnrollFlag12",'
                '"BENE_RSK_R_SCRE_01","NEW_COLUMN"\n'
                '"1EG4TE5MK73","02/29/1952","4","0","1.0234","x"\n'
                '"0EG4TE5MK74","","3","","",""\n')
    out = tmp_path / "out.parquet"
    result = parse_alr(src.open("rb"), out, table="1-1", source_file="alr.csv", delivery_date=D)
    assert result.rows == 2
    assert result.unknown_columns == ["NEW_COLUMN"]
    assert "BENE_DEATH_DT" in result.missing_columns
    t = pq.read_table(out).to_pylist()
    assert t[0]["bene_mbi_id"] == "1EG4TE5MK73"
    assert t[1]["bene_mbi_id"] == "0EG4TE5MK74"  # leading zero kept
    assert t[0]["bene_brth_dt"] == date(1952, 2, 29)
    assert t[0]["enrollflag1"] == 4 and t[1]["enrollflag12"] is None
    assert t[0]["bene_rsk_r_scre_01"] == Decimal("1.023400")
    assert t[1]["line_number"] == 3 and t[0]["source_file"] == "alr.csv"
    assert t[0]["delivery_date"] == D


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "alr.csv: empty file"),
        ('"BENE_MBI_ID","BENE_BRTH_DT"\n"1EG4TE5MK73","1952-02-29"\n',
         "alr.csv: line 2, column BENE_BRTH_DT: not a date MM/DD/YYYY"),
        ('"BENE_MBI_ID","EnrollFlag3"\n"1EG4TE5MK73","4"\n"1EG4TE5MK74","four"\n',
         "alr.csv: line 3, column EnrollFlag3: not a whole number"),
        ('"BENE_MBI_ID","X"\n"1EG4TE5MK73"\n', "alr.csv: line 2: 1 values, header has 2"),
        ('"A","a"\n', "alr.csv: line 1: duplicate columns a"),
    ],
)
def test_errors_name_line_and_column_without_values(tmp_path: Path, text: str,
                                                    message: str) -> None:
    out = tmp_path / "out.parquet"
    with pytest.raises(AlrError, match=message) as info:
        parse_alr(write(tmp_path, text).open("rb"), out, table="1-1", source_file="alr.csv",
                  delivery_date=D)
    assert "1952" not in str(info.value) and "four" not in str(info.value)
    assert not out.exists()
