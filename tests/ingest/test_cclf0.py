"""CCLF0 summary statistics (IP v40 2.7, Appendix B Tables 25-26)."""

from __future__ import annotations

import pytest

from aco_pipeline.ingest.cclf0 import Cclf0Error, parse_cclf0
from aco_pipeline.layouts import CLAIM_FILE_TYPES

HEADER = "File Number  |File Description    |Total Records Count |Record Length"
DESCRIPTIONS = {"CCLF1": "Part A Claims Header File", "CCLF9": "BENE XREF File"}


def detail(ft: str, count: int, length: int, filler: bool = True) -> str:
    line = f"{ft:<7}|{DESCRIPTIONS.get(ft, 'x'):<43}|{count:>11}|{length:>5}"
    return line + (" " if filler else "")


def cclf0(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("ascii")


def full(**overrides: tuple[int, int]) -> list[str]:
    return [HEADER] + [detail(ft, *overrides.get(ft, (10, 100))) for ft in CLAIM_FILE_TYPES]


def test_header_matches_the_ip_layout() -> None:
    assert len(HEADER) == 69


def test_reads_counts_and_lengths() -> None:
    entries = parse_cclf0(cclf0(full(CCLF1=(1234, 437), CCLF9=(7, 55))), "f0")
    assert entries["CCLF1"].record_count == 1234
    assert entries["CCLF1"].record_length == 437
    assert entries["CCLF9"].description == "BENE XREF File"
    assert entries["CCLF9"].line_number == 10


def test_lines_of_69_and_crlf_accepted() -> None:
    lines = [HEADER] + [detail(ft, 1, 2, filler=False) for ft in CLAIM_FILE_TYPES]
    data = "\r\n".join(lines).encode()
    assert parse_cclf0(data, "f0")["CCLFB"].record_count == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "f0: CCLF0 is empty"),
        (cclf0(["not a header"]), "f0: line 1 is not the CCLF0 header"),
        (cclf0(full()[:-1]), "f0: CCLF0 does not list CCLFB"),
        (cclf0([*full()[:3], full()[2]]), "f0: line 4: CCLF2 listed twice"),
        (cclf0([HEADER, detail("CCLF1", 5, 437)[:-3]]), "f0: line 2: record length 67"),
        (cclf0([HEADER, detail("CCLF1", 5, 437).replace("    5|", "   x5|")]),
         "f0: line 2, field number_of_records: not a whole number"),
        (cclf0([HEADER, detail("CCLFZ", 5, 437)]), "f0: line 2, field file_type"),
    ],
)
def test_errors_name_file_line_and_field(data: bytes, message: str) -> None:
    with pytest.raises(Cclf0Error, match=message.replace("(", r"\(")):
        parse_cclf0(data, "f0")
