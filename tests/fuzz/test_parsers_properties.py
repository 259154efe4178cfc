"""Property-based tests (hypothesis) of every parser of CMS input: the fixed-width field
parsers, CCLF0, the ALR CSV, BNEX XML and the PUF reader.

For any input each parser returns a result or raises its documented error naming the file
(and line and field where there is one) without PHI (contracts.py); values written in a
field's picture read back exactly; a field spoiled in one record is reported at that record
and that field. Runs are derandomized (the same examples every run) and keep no database.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aco_pipeline.ingest.alr import AlrError, parse_alr
from aco_pipeline.ingest.cclf0 import Cclf0Error, parse_cclf0
from aco_pipeline.lake.fixed_width import RecordFormatError, parse_to_parquet
from aco_pipeline.layouts import current_layout

from . import contracts as c

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
FEW = settings(SETTINGS, max_examples=60)

# bytes a fuzzer should try in a field: what CMS writes, what breaks pictures, control and
# high (Latin-1) bytes, Unicode digits that Python's str.isdigit accepts but int() may not
FIELD_BYTES = st.lists(
    st.sampled_from([*b"0123456789 -.+AZaz*", 0x00, 0x09, 0x1A, 0x7F, 0xA0, 0xB2, 0xB9,
                     0xE9, 0xFF]),
)
TEXT_CELL = st.text(alphabet=st.characters(codec="latin-1", exclude_characters="\r\n"),
                    max_size=20)


@contextmanager
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="aco-fuzz-") as d:
        yield Path(d)


def _file(records: list[str]) -> bytes:
    return ("\n".join(records) + "\n").encode("latin-1")


# --- fixed-width field parsers ----------------------------------------------------------------

@pytest.mark.parametrize("file_type", c.FIXED_WIDTH_TYPES)
@SETTINGS
@given(data=st.data())
def test_a_spoiled_field_is_reported_at_its_line_and_field(file_type: str,
                                                           data: st.DataObject) -> None:
    layout = current_layout(file_type)
    f = data.draw(st.sampled_from([f for f in layout.fields if f.name != "blank"]))
    raw = bytes(data.draw(FIELD_BYTES.map(bytes)
                          .map(lambda b: (b + b" " * f.length)[: f.length])))
    line = data.draw(st.integers(1, 3))
    records = [c.template_record(file_type).encode("latin-1") for _ in range(3)]
    rec = bytearray(records[line - 1])
    rec[f.offset:f.end] = raw
    records[line - 1] = bytes(rec)
    body = b"\n".join(records) + b"\n"
    with scratch() as d:
        try:
            c.check_fixed_width(body, file_type, d)
        except c.ContractViolation:
            raise
        try:
            parse_to_parquet(io.BytesIO(body), d / "p.parquet",
                             file_type=file_type, record_length=layout.record_length,
                             source_file="F", delivery_date=c.DELIVERED)
        except RecordFormatError as exc:
            assert exc.line_number == line, exc
            if b"\n" not in raw and b"\r" not in raw:
                assert exc.field in (f.name, None), exc
                # a record-level error only for a control byte that breaks the framing
                assert exc.field is not None or any(b < 0x20 for b in raw), exc


@SETTINGS
@given(cents=st.lists(st.integers(-(10**13) + 1, 10**13 - 1), min_size=1, max_size=5),
       days=st.lists(st.integers(0, 60000), min_size=1, max_size=5))
def test_amounts_and_dates_read_back_exactly(cents: list[int], days: list[int]) -> None:
    layout = current_layout("CCLF1")
    amount, when = layout.field("clm_pmt_amt"), layout.field("clm_from_dt")
    n = max(len(cents), len(days))
    records, expected = [], []
    for i in range(n):
        v = cents[i % len(cents)]
        d = date(1900, 1, 1) + timedelta(days=days[i % len(days)])
        rec = list(c.template_record("CCLF1"))
        rec[amount.offset:amount.end] = c.field_text(amount, v)
        rec[when.offset:when.end] = d.isoformat()
        records.append("".join(rec))
        expected.append((Decimal(v).scaleb(-2), d))
    with scratch() as d:
        out = d / "p.parquet"
        parse_to_parquet(io.BytesIO(_file(records)), out, file_type="CCLF1",
                         record_length=layout.record_length, source_file="F",
                         delivery_date=c.DELIVERED, chunk_bytes=1024)
        table = pq.read_table(out, columns=["clm_pmt_amt", "clm_from_dt", "line_number"])
    assert list(zip(table["clm_pmt_amt"].to_pylist(), table["clm_from_dt"].to_pylist(),
                    strict=True)) == expected
    assert table["line_number"].to_pylist() == list(range(1, n + 1))


@pytest.mark.parametrize("file_type", c.FIXED_WIDTH_TYPES)
@FEW
@given(blob=st.binary(max_size=2000), lines=st.integers(0, 4))
def test_any_bytes_after_valid_records_keep_the_contract(file_type: str, blob: bytes,
                                                         lines: int) -> None:
    head = _file([c.template_record(file_type)] * lines) if lines else b""
    with scratch() as d:
        c.check_fixed_width(head + blob, file_type, d, chunk_bytes=700)


# --- CCLF0 -------------------------------------------------------------------------------------

@SETTINGS
@given(data=st.data())
def test_cclf0_any_field_value_keeps_the_contract(data: st.DataObject) -> None:
    lines = c.cclf0_text().encode("latin-1").split(b"\n")
    line = data.draw(st.integers(2, 12))
    start = data.draw(st.sampled_from([0, 7, 50, 61, 66]))
    raw = bytes(data.draw(FIELD_BYTES.map(bytes)))
    rec = bytearray(lines[line - 1])
    rec[start:start + len(raw)] = raw
    lines[line - 1] = bytes(rec)
    c.check_cclf0(b"\n".join(lines))


def test_cclf0_unicode_digits_are_not_a_count() -> None:
    """Found by the property test above: Latin-1 superscript digits (0xB2 '²') pass
    str.isdigit() but not int(); the count field must be refused as a Cclf0Error."""
    lines = c.cclf0_text().split("\n")
    lines[1] = lines[1][:50] + "²" * 9 + "00" + lines[1][61:]
    with pytest.raises(Cclf0Error, match=r"line 2, field number_of_records"):
        parse_cclf0("\n".join(lines).encode("latin-1"), c.CCLF0_NAME)


@FEW
@given(blob=st.binary(max_size=1500))
def test_cclf0_any_bytes_keep_the_contract(blob: bytes) -> None:
    c.check_cclf0(blob)
    c.check_cclf0(c.cclf0_text().encode() + blob)


# --- ALR ---------------------------------------------------------------------------------------

@SETTINGS
@given(cells=st.lists(TEXT_CELL, min_size=12, max_size=12), quote=st.booleans())
def test_alr_any_cell_keeps_the_contract(cells: list[str], quote: bool) -> None:
    row = ",".join(f'"{v}"' if quote else v for v in cells)
    text = c.alr_text(2) + row + "\r\n"
    with scratch() as d:
        c.check_alr(text.encode("latin-1"), d)


@SETTINGS
@given(months=st.integers(-(2**40), 2**40), score=st.decimals(allow_nan=True,
                                                                   allow_infinity=True))
def test_alr_numbers_out_of_range_are_alr_errors(months: int, score: Decimal) -> None:
    text = c.alr_text(1) + f"{c.MBI},,A,B,2,{c.DOB_US},,{months},4,4,{score},1\r\n"
    with scratch() as d:
        rows = c.check_alr(text.encode("latin-1"), d)
        if rows is not None:
            got = pq.read_table(d / "alr.parquet", columns=["partd_months", "esrd_score"])
            assert got["partd_months"][1].as_py() == months
            assert got["esrd_score"][1].as_py() == score.quantize(Decimal("0.000001"))


@pytest.mark.parametrize(("cell", "column"), [
    ("99999999999", "PARTD_MONTHS"),   # beyond int32: was an ArrowInvalid traceback
    ("99999999999999999999", "ESRD_SCORE"),  # beyond decimal(18, 6): same
    ("1_000", "ESRD_SCORE"),  # Python's Decimal reads '1_000'; a CMS file never means it
])
def test_alr_out_of_range_values_name_line_and_column(cell: str, column: str,
                                                      tmp_path: Path) -> None:
    row = f"{c.MBI},,A,B,2,{c.DOB_US},,12,4,4,1.5,1".split(",")
    row[c.ALR_HEADER.split(",").index(column)] = cell
    text = c.alr_text(1) + ",".join(row) + "\r\n"
    with pytest.raises(AlrError, match=rf"line 3, column {column}: not ") as exc:
        parse_alr(io.BytesIO(text.encode()), tmp_path / "a.parquet", table="1-1",
                  source_file=c.ALR_NAME, delivery_date=c.DELIVERED)
    assert cell not in str(exc.value)


def test_alr_huge_field_is_an_alr_error(tmp_path: Path) -> None:
    """A quoted cell beyond the csv module's field limit was a csv.Error traceback."""
    text = c.alr_text(1) + '"' + "x" * 200_000 + '",1\r\n'
    with pytest.raises(AlrError, match=r"line 3: "):
        parse_alr(io.BytesIO(text.encode()), tmp_path / "a.parquet", table="1-1",
                  source_file=c.ALR_NAME, delivery_date=c.DELIVERED)


@FEW
@given(blob=st.binary(max_size=1500))
def test_alr_any_bytes_keep_the_contract(blob: bytes) -> None:
    with scratch() as d:
        c.check_alr(blob, d)
        c.check_alr(c.alr_text(2).encode() + blob, d)


# --- BNEX --------------------------------------------------------------------------------------

@SETTINGS
@given(element=st.sampled_from(["MBI", "DOB", "FirstName", "Gender", "BeneExcReason"]),
       value=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
                     max_size=30))
def test_bnex_any_element_text_keeps_the_contract(element: str, value: str) -> None:
    from xml.sax.saxutils import escape

    text = c.bnex_text(2)
    first = text.index(f"<{element}>") + len(element) + 2
    end = text.index(f"</{element}>", first)
    text = text[:first] + escape(value) + text[end:]
    with scratch() as d:
        c.check_bnex(text.encode("utf-8"), d)


@FEW
@given(cut=st.integers(0, 600), blob=st.binary(max_size=300))
def test_bnex_any_bytes_keep_the_contract(cut: int, blob: bytes) -> None:
    base = c.bnex_text(2).encode()
    with scratch() as d:
        c.check_bnex(base[:cut] + blob + base[cut:], d)
        c.check_bnex(blob, d)


# --- PUF ---------------------------------------------------------------------------------------

@SETTINGS
@given(cells=st.lists(st.one_of(st.sampled_from(["", "-", "*", "0", "1", "12.5%", "(3)",
                                                  "1,234", "1e3", "EN", "N/A"]),
                                TEXT_CELL), min_size=15, max_size=15))
def test_puf_any_cell_keeps_the_contract(cells: list[str]) -> None:
    row = ",".join('"' + v.replace('"', '""') + '"' for v in cells)
    with scratch() as d:
        c.check_puf((c.puf_text(2) + row + "\n").encode("utf-8"), d)


@FEW
@given(blob=st.binary(max_size=1500).map(lambda b: b.decode("utf-8", "replace").encode()))
def test_puf_any_text_keeps_the_contract(blob: bytes) -> None:
    with scratch() as d:
        c.check_puf(blob, d)
        c.check_puf(c.puf_text(2).encode() + blob, d)


# --- cases the fuzzers found (each was a traceback before its fix) -----------------------------

def test_overlong_last_line_at_a_chunk_boundary_is_a_record_error(tmp_path: Path) -> None:
    """atheris: a CRLF file whose second, last line is longer than a record and ends without
    a line end, read in chunks that end exactly one record stride into that line, raised an
    AssertionError ("framing check failed but no malformed line was found")."""
    rec = c.template_record("CCLF1")
    data = (rec + "\r\n" + rec[:300] + "0" * 30 + rec[300:]).encode("latin-1")
    with pytest.raises(RecordFormatError, match=r"line 2: record length 467, expected 437"):
        parse_to_parquet(io.BytesIO(data), tmp_path / "p.parquet", file_type="CCLF1",
                         record_length=437, source_file="F", delivery_date=c.DELIVERED,
                         chunk_bytes=512)
    assert not (tmp_path / "p.parquet").exists()


@pytest.mark.parametrize("encoding", ["UTF-9", "shift_jis", "utf-32"])
def test_bnex_unreadable_declared_encoding_is_a_bnex_error(encoding: str,
                                                           tmp_path: Path) -> None:
    """atheris: an XML declaration naming an unknown (LookupError) or multi-byte (ValueError)
    encoding escaped parse_bnex as a traceback."""
    from aco_pipeline.ingest.bnex import BnexError, parse_bnex

    text = c.bnex_text(1).replace('encoding="UTF-8"', f'encoding="{encoding}"')
    path = tmp_path / c.BNEX_NAME
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BnexError, match=rf"{c.BNEX_NAME}: line 1: .*encoding"):
        parse_bnex(path, tmp_path / "b.parquet", source_file=c.BNEX_NAME,
                   delivery_date=c.DELIVERED)


@pytest.mark.parametrize("first_row", [
    f"{c.MBI},,{c.FIRST},{c.LAST},2,{c.DOB_US},{c.DOB_US},12,4,4,1.5,1",  # duplicate cells
    f"{c.MBI},,{c.FIRST},{c.LAST},2,{c.DOB_US},,12,4,3,1.5,1",
])
def test_alr_without_its_header_row_echoes_no_phi(first_row: str, tmp_path: Path) -> None:
    """atheris: with its header row lost, an ALR's first data row was read as the header
    and the error ("duplicate columns ...") listed its values: a birth date. A header with
    cell that is not a column name, or no known column, is refused without its value."""
    text = first_row + "\r\n" + first_row.replace("12", "11") + "\r\n"
    with pytest.raises(AlrError, match=r"line 1[:,] ") as exc:
        parse_alr(io.BytesIO(text.encode()), tmp_path / "a.parquet", table="1-1",
                  source_file=c.ALR_NAME, delivery_date=c.DELIVERED)
    for value in c.CANARIES:
        assert value not in str(exc.value)
