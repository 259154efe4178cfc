"""No substance-use-disorder code (CCLF IP v40 Appendix A, Tables 8-13) is ever written."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aco_pipeline.layouts import current_layout
from aco_pipeline.synth.codes import emitted_code_lists, sud_codes

from .reader import column, deliveries, records

DX = ("icd10_cm", "icd9_cm")
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "CCLF1": {"prncpl_dgns_cd": DX, "admtg_dgns_cd": DX, "dgns_drg_cd": ("ms_drg",)},
    "CCLF2": {"clm_line_hcpcs_cd": ("hcpcs",)},
    "CCLF3": {"clm_prcdr_cd": ("icd10_pcs", "icd9_pcs")},
    "CCLF4": {"clm_dgns_cd": DX},
    "CCLF5": {"clm_line_hcpcs_cd": ("hcpcs",), "clm_line_dgns_cd": DX,
              **{f"clm_dgns_{i}_cd": DX for i in range(1, 13)}},
    "CCLF6": {"clm_line_hcpcs_cd": ("hcpcs",)},
}


def test_table_extracted_from_ip_appendix_a() -> None:
    t = sud_codes()
    assert {"ms_drg", "hcpcs", "icd9_pcs", "icd9_cm", "icd10_pcs", "icd10_cm"} <= set(t)
    assert {"895", "896", "897"} <= t["ms_drg"]
    assert {"G2067", "H0005", "99408", "J0570", "Q9992"} <= t["hcpcs"]
    assert {"F1010", "F19988", "Z7141", "R780"} <= t["icd10_cm"]
    assert "HZ2ZZZZ" in t["icd10_pcs"]
    assert len(t["icd10_cm"]) > 300


def test_generator_code_lists_avoid_the_tables() -> None:
    sud = sud_codes()
    lists = emitted_code_lists()
    for system, codes in lists.items():
        assert codes, system
        assert not codes & sud.get(system, frozenset()), system
    # and conservatively: no ICD-10 F10-F19 (psychoactive substance use) at all
    assert not [c for c in lists["icd10_cm"] if c[:2] == "F1"]


def test_no_sud_code_in_any_written_field(small_run: Path) -> None:
    """Each field is checked against the tables of its own code system (an MS-DRG 291,
    heart failure, is not the ICD-9-CM diagnosis 291)."""
    sud = sud_codes()
    seen: dict[str, set[str]] = {}
    for d in deliveries(small_run):
        for ft, names in FIELDS.items():
            block = records(d.files[ft], current_layout(ft).record_length)
            for name, systems in names.items():
                for v in np.unique(column(block, ft, name)):
                    if v:
                        for system in systems:
                            seen.setdefault(system, set()).add(v.decode())
    assert {"icd10_cm", "hcpcs", "ms_drg", "icd10_pcs"} <= set(seen)
    for system, codes in seen.items():
        assert not codes & sud[system], system
    assert not [c for c in seen["icd10_cm"] if c[:2] == "F1"]
