"""CCLF0, the summary statistics file: record count and length of each CCLF file.

IP v40 section 2.7 and Appendix B Tables 25-26: a header record of labels, then one detail
record per file (type X(7) | description X(43) | count X(11) | length X(5), optional filler).
"""

from __future__ import annotations

from dataclasses import dataclass

from aco_pipeline.errors import AcoError
from aco_pipeline.layouts import CLAIM_FILE_TYPES, layout_fields


class Cclf0Error(AcoError, ValueError):
    """CCLF0 cannot be read; names the file, line and field."""


@dataclass(frozen=True, slots=True)
class Cclf0Entry:
    file_type: str
    description: str
    record_count: int
    record_length: int
    line_number: int


def _slice(line: str, field_name: str) -> str:
    f = next(f for f in layout_fields("CCLF0_DTL") if f.name == field_name)
    return line[f.offset:f.end].strip()


def parse_cclf0(data: bytes, file_name: str) -> dict[str, Cclf0Entry]:
    """Read CCLF0 bytes into {file type: entry}; every one of the 11 files must be listed."""
    text = data.decode("latin-1")
    lines = [ln.rstrip("\r") for ln in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise Cclf0Error(f"{file_name}: CCLF0 is empty (expected a header and 11 detail records)")
    header = lines[0]
    if "File Number" not in header or "Record Length" not in header:
        raise Cclf0Error(
            f"{file_name}: line 1 is not the CCLF0 header record "
            "(expected labels 'File Number', 'File Description', 'Total Records Count', "
            "'Record Length'; IP v40 Table 25)"
        )
    entries: dict[str, Cclf0Entry] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        if len(line) not in (69, 70):
            raise Cclf0Error(
                f"{file_name}: line {number}: record length {len(line)}, "
                "expected 69 or 70 (IP v40 Table 26)"
            )
        file_type = _slice(line, "file_type")
        if file_type not in CLAIM_FILE_TYPES:
            raise Cclf0Error(
                f"{file_name}: line {number}, field file_type: not one of CCLF1-9, CCLFA, CCLFB"
            )
        values = {}
        for name in ("number_of_records", "length_of_record"):
            raw = _slice(line, name)
            if not (raw.isascii() and raw.isdigit()):  # not Latin-1 "²"
                raise Cclf0Error(
                    f"{file_name}: line {number}, field {name}: not a whole number"
                )
            values[name] = int(raw)
        if file_type in entries:
            raise Cclf0Error(f"{file_name}: line {number}: {file_type} listed twice")
        entries[file_type] = Cclf0Entry(
            file_type=file_type,
            description=_slice(line, "file_name"),
            record_count=values["number_of_records"],
            record_length=values["length_of_record"],
            line_number=number,
        )
    missing = [t for t in CLAIM_FILE_TYPES if t not in entries]
    if missing:
        raise Cclf0Error(f"{file_name}: CCLF0 does not list {', '.join(missing)}")
    return entries
