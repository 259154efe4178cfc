"""CCLF0, the summary statistics file: true record counts and lengths (IP v40 Tables 25-26).

A header record of labels, then one detail record per data file: file type (7) | description
(43) | record count (11, right-justified) | record length (5, right-justified), plus a blank
filler. The header is 69 characters, detail records 70.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from aco_pipeline.layouts import CLAIM_FILE_TYPES, Layout, layout_fields
from aco_pipeline.synth.fixed_width_writer import encode

DESCRIPTIONS: dict[str, str] = {
    "CCLF1": "Part A Claims Header File",
    "CCLF2": "Part A Claims Revenue Center Detail File",
    "CCLF3": "Part A Procedure Code File",
    "CCLF4": "Part A Diagnosis Code File",
    "CCLF5": "Part B Physicians File",
    "CCLF6": "Part B DME File",
    "CCLF7": "Part D File",
    "CCLF8": "Beneficiary Demographics File",
    "CCLF9": "BENE XREF File",
    "CCLFA": "Part A BE and Demo Codes File",
    "CCLFB": "Part B BE and Demo Codes File",
}


def _layout(name: str) -> Layout:
    fields = layout_fields(name)
    return Layout(file_type="CCLF0", name=name, record_length=fields[-1].end, era="IP v40",
                  confirmed=True, fields=fields)


def render(counts: Mapping[str, int], lengths: Mapping[str, int]) -> bytes:
    header = encode(_layout("CCLF0_HDR"), {
        "file_number_label": "File Number",
        "delimiter": "|",
        "file_description_label": "File Description",
        "total_records_count_label": "Total Records Count",
        "record_length_label": "Record Length",
    }, 1)
    types = list(CLAIM_FILE_TYPES)
    detail = encode(_layout("CCLF0_DTL"), {
        "file_type": np.array(types),
        "delimiter": "|",
        "file_name": np.array([DESCRIPTIONS[t] for t in types]),
        "number_of_records": np.array([str(counts.get(t, 0)).rjust(11) for t in types]),
        "length_of_record": np.array([str(lengths[t]).rjust(5) for t in types]),
    }, len(types))
    return header + detail
