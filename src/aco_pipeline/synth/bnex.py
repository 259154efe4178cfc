"""Monthly beneficiary data-sharing exclusion file (BNEX) as XML.

Root `PFDCACOBeneData` > `Beneficiarys` > `Beneficiary` with MBI, HICN (blank), names, DOB
(YYYYMMDD), Gender and `BeneExcReasons` > `BeneExcReason` (`PC`: patient choice). Each
month's file lists every beneficiary of the ACO who has opted out by then; they are absent
from that delivery's CCLF8 and claims onward.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from aco_pipeline import naming
from aco_pipeline.synth.population import Population


def write_month(out_dir: Path, pop: Population, aco_id: str, ref_month: int, py: int,
                created: date, time: str) -> tuple[Path, int]:
    created_day = int(np.datetime64(created, "D").astype(np.int64))
    rows = np.nonzero((pop.join_mo <= ref_month) & (pop.optout_mo <= ref_month))[0]
    mbi = pop.mbi_at(rows, np.full(rows.shape[0], created_day))
    dob = pop.dob[rows].astype("datetime64[D]")
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<PFDCACOBeneData>\n  <Beneficiarys>\n']
    for i, b in enumerate(rows):
        d = str(dob[i]).replace("-", "")
        parts.append(
            "    <Beneficiary>\n"
            f"      <MBI>{escape(mbi[i].decode())}</MBI>\n"
            "      <HICN></HICN>\n"
            f"      <FirstName>{escape(pop.first_name[b].decode())}</FirstName>\n"
            f"      <MiddleName>{escape(pop.middle_name[b].decode())}</MiddleName>\n"
            f"      <LastName>{escape(pop.last_name[b].decode())}</LastName>\n"
            f"      <DOB>{d}</DOB>\n"
            f"      <Gender>{'F' if pop.sex[b] == b'2' else 'M'}</Gender>\n"
            "      <BeneExcReasons>\n        <BeneExcReason>PC</BeneExcReason>\n"
            "      </BeneExcReasons>\n"
            "    </Beneficiary>\n")
    parts.append("  </Beneficiarys>\n</PFDCACOBeneData>\n")
    path = out_dir / naming.bnex_name(aco_id, py, created, time)
    path.write_text("".join(parts), encoding="ascii", newline="")
    return path, int(rows.shape[0])
