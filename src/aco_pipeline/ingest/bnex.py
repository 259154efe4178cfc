"""BNEX: beneficiaries excluded from data sharing (opt-outs), monthly XML.

Root `PFDCACOBeneData` > `Beneficiarys` > `Beneficiary` (MBI, HICN, FirstName, MiddleName,
LastName, DOB YYYYMMDD, Gender, BeneExcReasons > BeneExcReason), see cclf-notes.md.
Parsed with defusedxml: entity expansion, external entities and DTDs are refused.
One lake row per beneficiary and exclusion reason.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from aco_pipeline.errors import AcoError
from aco_pipeline.layouts import LINEAGE_FIELDS

FIELDS = ("MBI", "HICN", "FirstName", "MiddleName", "LastName", "DOB", "Gender")

SCHEMA = pa.schema(
    [
        ("bene_mbi_id", pa.string()),
        ("bene_hic_num", pa.string()),
        ("first_name", pa.string()),
        ("middle_name", pa.string()),
        ("last_name", pa.string()),
        ("birth_date", pa.date32()),
        ("sex", pa.string()),
        ("exclusion_reason", pa.string()),
        *LINEAGE_FIELDS,
    ]
)


class BnexError(AcoError, ValueError):
    """A BNEX file cannot be read; names the file, line and element."""


class _LineTracker:
    """TreeBuilder target that remembers the source line of every element it opens."""

    def __init__(self) -> None:
        from xml.etree.ElementTree import TreeBuilder

        self.builder = TreeBuilder()
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[int, int] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> Any:
        el = self.builder.start(tag, attrs)
        assert self.parser is not None
        self.lines[id(el)] = self.parser.parser.CurrentLineNumber
        return el

    def end(self, tag: str) -> Any:
        return self.builder.end(tag)

    def data(self, text: str) -> None:
        self.builder.data(text)

    def close(self) -> Any:
        return self.builder.close()


def parse_bnex(path: Path, out_path: Path, *, source_file: str, delivery_date: date) -> int:
    """Parse a BNEX XML file into Parquet; returns the number of beneficiaries."""
    target = _LineTracker()
    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    target.parser = parser
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                parser.feed(chunk)
        root = parser.close()
    except ParseError as exc:
        raise BnexError(f"{source_file}: line {exc.position[0]}: not well-formed XML") from exc
    except DefusedXmlException as exc:
        raise BnexError(f"{source_file}: refused unsafe XML ({type(exc).__name__})") from exc
    except (LookupError, ValueError) as exc:  # expat: an unknown or multi-byte encoding
        raise BnexError(f"{source_file}: line 1: the XML declaration names an encoding "
                        "that cannot be read (BNEX is UTF-8)") from exc
    if root.tag != "PFDCACOBeneData":
        raise BnexError(f"{source_file}: line 1: root element is {root.tag!r}, "
                        "expected PFDCACOBeneData")
    rows: dict[str, list[object]] = {name: [] for name in SCHEMA.names}
    count = 0
    for bene in root.iter("Beneficiary"):
        line = target.lines.get(id(bene), 0)
        values = {f: (bene.findtext(f) or "").strip() or None for f in FIELDS}
        if not values["MBI"]:
            raise BnexError(f"{source_file}: line {line}, element MBI: missing")
        dob = None
        if values["DOB"]:
            try:
                dob = datetime.strptime(values["DOB"], "%Y%m%d").date()
            except ValueError:
                raise BnexError(
                    f"{source_file}: line {line}, element DOB: not a date YYYYMMDD"
                ) from None
        reasons = [
            (r.text or "").strip() for r in bene.iter("BeneExcReason") if (r.text or "").strip()
        ] or [None]
        for reason in reasons:
            for col, v in zip(
                SCHEMA.names,
                [values["MBI"], values["HICN"], values["FirstName"], values["MiddleName"],
                 values["LastName"], dob, values["Gender"], reason, source_file, line,
                 delivery_date],
                strict=True,
            ):
                rows[col].append(v)
        count += 1
    out_path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pydict(rows, schema=SCHEMA), out_path)
    return count
