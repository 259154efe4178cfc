"""The bad-input corpus: each case turns a valid generated delivery into a bad one.

Cases are data (a name, an edit, the expected status and message); the generated delivery
they start from is made by the test session, so nothing generated is committed.
Every case must end with its clear error and the lake unchanged.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aco_pipeline.ingest.cclf0 import parse_cclf0
from aco_pipeline.layouts import current_layout

from .helpers import edit_line, record_length, rezip, set_field

Files = dict[str, Path]


@dataclass(frozen=True)
class Case:
    name: str
    # edits the extracted files of a delivery; returns the paths to ingest
    make: Callable[[Files, str, Path], list[Path]]
    status: str
    message: list[str]  # regexes that must all match the outcome message
    forbidden: tuple[str, ...] = ()  # values that must not leak into the message


def _zipped(edit: Callable[[Files], None]) -> Callable[[Files, str, Path], list[Path]]:
    def make(files: Files, bundle: str, work: Path) -> list[Path]:
        edit(files)
        return [rezip(files, bundle, work)]
    return make


def _count(files: Files, ft: str) -> int:
    return parse_cclf0(files["CCLF0"].read_bytes(), "x")[ft].record_count


def _set_cclf0(files: Files, ft: str, *, count: int | None = None,
               length: int | None = None) -> None:
    p = files["CCLF0"]
    lines = p.read_bytes().decode().split("\n")
    for i, line in enumerate(lines):
        if line.startswith(ft.ljust(7) + "|"):
            c = count if count is not None else int(line[52:63])
            n = length if length is not None else int(line[64:69])
            lines[i] = f"{line[:52]}{c:>11}|{n:>5}{line[69:]}"
    p.write_bytes("\n".join(lines).encode())


def _truncate(files: Files) -> None:
    p = files["CCLF5"]
    line = p.read_bytes().split(b"\n")[2]
    edit_line(p, 3, line[:-1])


def _overlong(files: Files) -> None:
    p = files["CCLF1"]
    edit_line(p, 2, p.read_bytes().split(b"\n")[1] + b" ")


def _pad_all(files: Files) -> None:
    p = files["CCLF3"]
    lines = p.read_bytes().split(b"\n")
    p.write_bytes(b"\n".join(ln + b" " if ln else ln for ln in lines))
    _set_cclf0(files, "CCLF3", length=record_length(p))


def _corrupt_zip(files: Files, bundle: str, work: Path) -> list[Path]:
    z = rezip(files, bundle, work)
    data = bytearray(z.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 64] = bytes(64)
    z.write_bytes(bytes(data))
    return [z]


def _empty_bundle(files: Files, bundle: str, work: Path) -> list[Path]:
    z = work / bundle
    z.write_bytes(b"")
    return [z]


def _missing_member(files: Files, bundle: str, work: Path) -> list[Path]:
    z = work / bundle
    with zipfile.ZipFile(z, "w") as zf:
        for ft, p in files.items():
            if ft != "CCLF7":
                zf.write(p, p.name)
    return [z]


def _non_cclf(files: Files, bundle: str, work: Path) -> list[Path]:
    p = work / "claims_export_2024.csv"
    p.write_text("a,b\n1,2\n")
    return [p]


def _bad_amount_field() -> str:
    width = current_layout("CCLF1").field("clm_pmt_amt").length
    return " " + "0" * (width - 7) + "12A.00"


CASES: list[Case] = [
    Case("truncated line", _zipped(_truncate), "quarantined",
         [r"ZC5Y\d\d\.", r"line 3\b", "387"]),
    Case("over-long line", _zipped(_overlong), "quarantined",
         [r"ZC1Y\d\d\.", r"line 2\b", "438"]),
    Case("wrong CCLF0 count",
         _zipped(lambda f: _set_cclf0(f, "CCLF2", count=_count(f, "CCLF2") + 1)),
         "quarantined", [r"ZC2Y\d\d\.", r"CCLF0 .*says \d+ records, the file has \d+"]),
    Case("CCLF0 length disagrees",
         _zipped(lambda f: _set_cclf0(f, "CCLF1", length=436)),
         "quarantined", [r"ZC1Y\d\d\.", "record length 437, but CCLF0", "says 436"]),
    Case("unknown record length", _zipped(_pad_all), "quarantined",
         [r"ZC3Y\d\d\.", "record length 115 is not a known CCLF3 layout"]),
    Case("bad date", _zipped(lambda f: set_field(f["CCLF1"], 2, "clm_from_dt", "2024-02-30")),
         "quarantined", [r"ZC1Y\d\d\.", r"line 2\b", "clm_from_dt"], ("2024-02-30",)),
    Case("bad amount", _zipped(lambda f: set_field(f["CCLF1"], 1, "clm_pmt_amt",
                                                      _bad_amount_field())),
         "quarantined", [r"ZC1Y\d\d\.", r"line 1\b", "clm_pmt_amt"], ("12A.00",)),
    Case("bad digits", _zipped(lambda f: set_field(f["CCLF5"], 2, "clm_line_num",
                                                      "00000000A1")),
         "quarantined", [r"ZC5Y\d\d\.", r"line 2\b", "clm_line_num"], ("00000000A1",)),
    Case("corrupt zip", _corrupt_zip, "quarantined",
         [r"(not a readable zip|corrupt zip member|CRC|Bad)"]),
    Case("empty file", _empty_bundle, "quarantined", ["not a readable zip file"]),
    Case("empty member", _zipped(lambda f: f["CCLF8"].write_bytes(b"")), "quarantined",
         [r"ZC8Y\d\d\.", r"says \d+ records, the file has 0"]),
    Case("member missing", _missing_member, "incomplete", ["missing CCLF7"]),
    Case("non-CCLF file", _non_cclf, "rejected", ["not a recognised CMS file name"]),
]
