"""What every parser promises for any input: a result, or one of its documented errors.

Shared by the hypothesis tests (test_parsers_properties.py) and the atheris targets
(fuzz_*.py). Each `check_*` function feeds bytes to one parser's public entry point; it
returns normally when the parser accepted the input or raised its documented error type with
a message that names the file (and the line when it names a record) and carries no PHI.
Anything else (a traceback of another type, PHI in a message) raises `ContractViolation` or
propagates unchanged, which is what the fuzzers report as a crash.

PHI: every template below carries the canary values in `CANARIES` (an MBI, names, a date of
birth in the formats the files use); a message must never contain a canary that is still
intact in the input, nor (fixed-width) the value of a PHI field of the record it names.
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

from aco_pipeline.ingest.alr import AlrError, parse_alr
from aco_pipeline.ingest.bnex import BnexError, parse_bnex
from aco_pipeline.ingest.cclf0 import Cclf0Error, parse_cclf0
from aco_pipeline.lake.fixed_width import (
    RecordFormatError,
    detect_record_length,
    parse_to_parquet,
)
from aco_pipeline.layouts import (
    CLAIM_FILE_TYPES,
    Field,
    UnknownRecordLength,
    current_layout,
    layout_fields,
    layout_for,
)
from aco_pipeline.metrics import puf

DELIVERED = date(2024, 2, 7)
CCLF_NAME = "P.A9999.ACO.ZC{n}Y24.D240207.T0217196"
CCLF0_NAME = "P.A9999.ACO.ZC0Y24.D240207.T0217196"
ALR_NAME = "P.A9999.ACO.QALR.2024Q1.D240415.T2135272_1-1.csv"
BNEX_NAME = "P.A9999.BNEX.Y24.D240207.T0242063.xml"
PUF_NAME = "PY2023_financial_quality_results.csv"

MBI = "1EG4TE5MK73"
FIRST, LAST = "ZELDAQUX", "QUIMBYVOSS"
DOB_ISO, DOB_US, DOB_BNEX = "1942-03-17", "03/17/1942", "19420317"
CANARIES = (MBI, FIRST, LAST, DOB_ISO, DOB_US, DOB_BNEX)

# the fixed-width file types the fuzzers exercise: claims header with amounts (CCLF1),
# Part B amounts printed X(15)/X(17) (CCLF5), demographics full of PHI (CCLF8), the MBI
# crosswalk (CCLF9)
FIXED_WIDTH_TYPES = ("CCLF1", "CCLF5", "CCLF8", "CCLF9")


class ContractViolation(AssertionError):
    """A parser broke its error contract (wrong message, PHI in a message)."""


def _no_phi(message: str, input_text: str, extra: tuple[str, ...] = ()) -> None:
    for value in (*CANARIES, *extra):
        if value and value in input_text and value in message:
            raise ContractViolation(f"PHI value in the error message: {message!r}")


def _names_file(message: str, name: str) -> None:
    if name not in message:
        raise ContractViolation(f"the error does not name the file {name}: {message!r}")


# --- fixed-width CCLF ------------------------------------------------------------------------

def field_text(f: Field, value: object) -> str:
    """One field as CCLF writes it (IP v40 Appendix B notes): text left-justified, digits
    zero-padded, amounts `-9(m).99` with the sign position first, dates YYYY-MM-DD."""
    if f.kind == "date":
        return str(value).ljust(f.length)
    if f.kind == "digits":
        return str(value).rjust(f.length, "0")
    if f.kind == "decimal":
        assert f.scale is not None
        cents = int(str(value))
        sign = "-" if cents < 0 else " "
        whole, frac = divmod(abs(cents), 10**f.scale)
        body = f"{whole}.{frac:0{f.scale}d}".rjust(f.length - 1, "0")
        return sign + body
    return str(value).ljust(f.length)[: f.length]


def template_record(file_type: str) -> str:
    """A valid record of the newest layout, PHI fields holding the canaries."""
    out = []
    for f in current_layout(file_type).fields:
        if f.kind == "date":
            text = field_text(f, DOB_ISO if "dob" in f.name else "2024-01-15")
        elif f.kind == "digits":
            text = field_text(f, 7)
        elif f.kind == "decimal":
            text = field_text(f, -12345)
        elif "mbi" in f.name or f.name in ("crnt_num", "prvs_num"):
            text = field_text(f, MBI)
        elif "1st_name" in f.name:
            text = field_text(f, FIRST)
        elif "last_name" in f.name:
            text = field_text(f, LAST)
        else:
            text = field_text(f, "A")
        out.append(text)
    record = "".join(out)
    assert len(record) == current_layout(file_type).record_length
    return record


def _phi_values(record: bytes, file_type: str, length: int) -> tuple[str, ...]:
    """Values of the PHI fields of one record that could identify someone: at least six
    characters with a letter and a digit (MBIs, addresses), or any canary."""
    try:
        fields = layout_for(file_type, length).fields
    except UnknownRecordLength:
        return ()
    out = []
    for f in fields:
        if f.phi:
            v = record[f.offset:f.end].decode("latin-1").strip()
            if len(v) >= 6 and re.search(r"\d", v) and re.search(r"[A-Za-z]", v):
                out.append(v)
    return tuple(out)


def check_fixed_width(data: bytes, file_type: str, out_dir: Path,
                      chunk_bytes: int = 4096) -> int | None:
    """Parse `data` as a CCLF file of `file_type`; rows parsed, or None when refused."""
    name = CCLF_NAME.format(n=file_type.removeprefix("CCLF"))
    length = detect_record_length(data[:65536])
    if length is None:
        return None
    text = data.decode("latin-1")
    out = out_dir / f"{file_type.lower()}.parquet"
    try:
        result = parse_to_parquet(io.BytesIO(data), out, file_type=file_type,
                                  record_length=length, source_file=name,
                                  delivery_date=DELIVERED, chunk_bytes=chunk_bytes)
    except UnknownRecordLength as exc:
        _names_file(str(exc), name)
        _no_phi(str(exc), text)
        return None
    except RecordFormatError as exc:
        msg = str(exc)
        _names_file(msg, name)
        if exc.line_number < 1 or f"line {exc.line_number}" not in msg:
            raise ContractViolation(f"no valid line number in {msg!r}") from exc
        names = {f.name for f in layout_fields(layout_for(file_type, length).name)}
        if exc.field is not None and exc.field not in names:
            raise ContractViolation(f"{exc.field} is not a field of {file_type}") from exc
        lines = data.split(b"\n")
        bad = lines[exc.line_number - 1] if exc.line_number <= len(lines) else b""
        _no_phi(msg.replace(name, ""), text, _phi_values(bad, file_type, length))
        if out.exists():
            raise ContractViolation("a failed parse left its partial output behind") from exc
        return None
    return result.rows


# --- CCLF0 -----------------------------------------------------------------------------------

def cclf0_text(counts: dict[str, tuple[int, int]] | None = None) -> str:
    """A CCLF0 (IP v40 Tables 25-26): header of labels, one detail record per file."""
    fields = {f.name: f for f in layout_fields("CCLF0_DTL")}
    lines = ["File Number File Description                              "
             "Total Records Count Record Length"]
    for ft in CLAIM_FILE_TYPES:
        n, length = (counts or {}).get(ft, (12, current_layout(ft).record_length))
        rec = [" "] * 69
        for fname, value in (("file_type", ft), ("file_name", f"{ft} file"),
                             ("number_of_records", str(n).rjust(11)),
                             ("length_of_record", str(length).rjust(5))):
            f = fields[fname]
            rec[f.offset:f.end] = list(value.ljust(f.length)[: f.length])
        lines.append("".join(rec))
    return "\n".join(lines) + "\n"


def check_cclf0(data: bytes) -> int | None:
    """Entries read, or None when refused with a Cclf0Error."""
    try:
        return len(parse_cclf0(data, CCLF0_NAME))
    except Cclf0Error as exc:
        _names_file(str(exc), CCLF0_NAME)
        return None


# --- ALR -------------------------------------------------------------------------------------

ALR_HEADER = ("BENE_MBI_ID,BENE_HIC_NUM,BENE_1ST_NAME,BENE_LAST_NAME,BENE_SEX_CD,BENE_BRTH_DT,"
              "BENE_DEATH_DT,PARTD_MONTHS,EnrollFlag1,EnrollFlag2,ESRD_SCORE,VA_TIN")


def alr_text(rows: int = 3) -> str:
    body = [f"{MBI},,{FIRST},{LAST},2,{DOB_US},,12,4,4,1.234567,123456789"] * rows
    return "\r\n".join([ALR_HEADER, *body]) + "\r\n"


def check_alr(data: bytes, out_dir: Path, table: str = "1-1") -> int | None:
    """Rows parsed, or None when refused with an AlrError."""
    try:
        return parse_alr(io.BytesIO(data), out_dir / "alr.parquet", table=table,
                         source_file=ALR_NAME, delivery_date=DELIVERED).rows
    except AlrError as exc:
        msg = str(exc)
        _names_file(msg, ALR_NAME)
        _no_phi(msg, data.decode("latin-1"))
        return None


# --- BNEX ------------------------------------------------------------------------------------

def bnex_text(benes: int = 2) -> str:
    one = (f"<Beneficiary><MBI>{MBI}</MBI><HICN></HICN><FirstName>{FIRST}</FirstName>"
           f"<MiddleName>Q</MiddleName><LastName>{LAST}</LastName><DOB>{DOB_BNEX}</DOB>"
           "<Gender>F</Gender><BeneExcReasons><BeneExcReason>PL</BeneExcReason>"
           "</BeneExcReasons></Beneficiary>\n")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<PFDCACOBeneData>\n<Beneficiarys>\n'
            + one * benes + "</Beneficiarys>\n</PFDCACOBeneData>\n")


def check_bnex(data: bytes, out_dir: Path) -> int | None:
    """Beneficiaries parsed, or None when refused with a BnexError."""
    path = out_dir / BNEX_NAME
    path.write_bytes(data)
    try:
        return parse_bnex(path, out_dir / "bnex.parquet", source_file=BNEX_NAME,
                          delivery_date=DELIVERED)
    except BnexError as exc:
        msg = str(exc)
        _names_file(msg, BNEX_NAME)
        _no_phi(msg, data.decode("latin-1"))
        return None


# --- PUF (CMS's public, ACO-level file: no PHI) -----------------------------------------------

PUF_HEADER = ("ACO_ID,Current_Track,N_AB,Sav_rate,MinSavPerc,BnchmkMinExp,GenSaveLoss,"
              "EarnSaveLoss,Met_QPS,QualScore,ABtotBnchmk,ABtotExp,FinalShareRate,"
              "Rev_Exp_Cat,Current_Start_Date")


def puf_text(rows: int = 3) -> str:
    body = ["A1234,EN,12345,2.5,2.0,1000000,900000,700000,1,95.5,100000000,99000000,75,"
            "High Revenue,01/01/2022"] * rows
    return "\n".join([PUF_HEADER, *body]) + "\n"


def puf_errors() -> tuple[type[Exception], ...]:
    """The PUF reader's documented errors: its error root when it has one (`PufError`: bad
    format or an unreadable file), else `PufFormatError`."""
    return (getattr(puf, "PufError", puf.PufFormatError),)


def check_puf(data: bytes, out_dir: Path) -> int | None:
    """Records read, or None when refused with a PufFormatError."""
    path = out_dir / PUF_NAME
    path.write_bytes(data)
    try:
        return len(puf.read_puf(path).records)
    except puf_errors() as exc:
        _names_file(str(exc), PUF_NAME)
        return None


# --- seed inputs for the coverage-guided fuzzers ------------------------------------------------

def seed_corpus(target: str) -> list[bytes]:
    """Valid files (and a few near misses) for a fuzz target to start mutating from."""
    if target == "fixed_width":
        out = []
        for i, ft in enumerate(FIXED_WIDTH_TYPES):
            rec = template_record(ft)
            out.append(bytes([i]) + (rec + "\n" + rec + "\n").encode("latin-1"))
            out.append(bytes([i]) + (rec + "\r\n" + rec).encode("latin-1"))
        return out
    if target == "cclf0":
        return [cclf0_text().encode(), cclf0_text().replace("\n", "\r\n").encode()]
    if target == "alr":
        return [alr_text(2).encode(), alr_text(1).replace(",", '","').encode()]
    if target == "bnex":
        return [bnex_text(1).encode(), bnex_text(2).encode()]
    if target == "puf":
        return [puf_text(2).encode(), puf_text(1).replace("2.5", "*").encode()]
    raise KeyError(target)


FUZZ_TARGETS = ("fixed_width", "cclf0", "alr", "bnex", "puf")
