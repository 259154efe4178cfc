"""BNEX opt-out XML, parsed with a hardened parser."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from aco_pipeline.ingest.bnex import BnexError, parse_bnex

D = date(2024, 4, 10)
GOOD = """<?xml version="1.0" encoding="UTF-8"?>
<PFDCACOBeneData>
  <Beneficiarys>
    <Beneficiary>
      <MBI>1EG4TE5MK73</MBI><HICN></HICN><FirstName>TEST</FirstName><MiddleName/>
      <LastName>PERSON</LastName><DOB>19500101</DOB><Gender>F</Gender>
      <BeneExcReasons><BeneExcReason>PC</BeneExcReason></BeneExcReasons>
    </Beneficiary>
    <Beneficiary>
      <MBI>2EG4TE5MK73</MBI><DOB>19480229</DOB><Gender>M</Gender>
      <BeneExcReasons><BeneExcReason>PC</BeneExcReason><BeneExcReason>BD</BeneExcReason>
      </BeneExcReasons>
    </Beneficiary>
  </Beneficiarys>
</PFDCACOBeneData>
"""


def run(tmp_path: Path, text: str) -> Path:
    src = tmp_path / "b.xml"
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "out.parquet"
    parse_bnex(src, out, source_file="b.xml", delivery_date=D)
    return out


def test_one_row_per_beneficiary_and_reason(tmp_path: Path) -> None:
    rows = pq.read_table(run(tmp_path, GOOD)).to_pylist()
    assert [(r["bene_mbi_id"], r["exclusion_reason"]) for r in rows] == [
        ("1EG4TE5MK73", "PC"), ("2EG4TE5MK73", "PC"), ("2EG4TE5MK73", "BD")]
    assert rows[0]["birth_date"] == date(1950, 1, 1)
    assert rows[0]["bene_hic_num"] is None and rows[0]["middle_name"] is None
    assert rows[0]["line_number"] == 4 and rows[1]["line_number"] == 9


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<PFDCACOBeneData>&lol2;</PFDCACOBeneData>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<PFDCACOBeneData>&e;</PFDCACOBeneData>
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BOMB, "b.xml: refused unsafe XML"),
        (EXTERNAL, "b.xml: refused unsafe XML"),
        ("<PFDCACOBeneData><Beneficiarys>", "b.xml: line 1: not well-formed XML"),
        ("<Other/>", "b.xml: line 1: root element is 'Other'"),
        (GOOD.replace("19480229", "19490229"), "b.xml: line 9, element DOB: not a date"),
        (GOOD.replace("<MBI>1EG4TE5MK73</MBI>", ""), "b.xml: line 4, element MBI: missing"),
    ],
)
def test_bad_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BnexError, match=message) as info:
        run(tmp_path, text)
    assert "1949" not in str(info.value)
