"""Tests of the fixed-width CCLF parser (aco_pipeline.lake.fixed_width)."""

from __future__ import annotations

import io
import random
import re
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aco_pipeline.lake.fixed_width import (
    ENDING_DOS_EOF,
    ENDING_EMPTY_LINE,
    ParseResult,
    RecordFormatError,
    detect_record_length,
    parse_to_parquet,
    strip_harmless_ending,
)
from aco_pipeline.layouts import (
    CLAIM_FILE_TYPES,
    Field,
    Layout,
    known_lengths,
    lake_schema,
    layout_for,
    stored_fields,
)

DELIVERY = date(2024, 3, 15)
NAME = "P.A9999.ACO.ZC5Y24.D240315.T1234567"

# ---------------------------------------------------------------------------------------------
# helpers: format records the simple way, from the layout


def fmt(f: Field, value: object) -> bytes:
    """One field's bytes: None -> blank; str/bytes -> as given (text left-justified);
    Decimal -> CMS amount (sign position, zero-padded); date -> ISO."""
    if value is None:
        out = b" " * f.length
    elif isinstance(value, bytes):
        out = value.ljust(f.length) if f.kind == "text" else value
    elif isinstance(value, str):
        out = value.encode("latin-1")
        out = out.ljust(f.length) if f.kind == "text" else out
    elif isinstance(value, Decimal):
        assert f.scale is not None
        m = f.length - f.scale - 2
        sign = b"-" if value < 0 else b" "
        body = f"{abs(value):0{m + 1 + f.scale}.{f.scale}f}".encode()
        out = sign + body
    elif isinstance(value, date):
        out = value.isoformat().encode()
    else:  # pragma: no cover - test helper misuse
        raise TypeError(value)
    assert len(out) == f.length, (f.name, out)
    return out


def record(layout: Layout, values: dict[str, object]) -> bytes:
    unknown = set(values) - {f.name for f in layout.fields}
    assert not unknown, unknown
    return b"".join(fmt(f, values.get(f.name)) for f in layout.fields)


def sample_values(layout: Layout, i: int) -> tuple[dict[str, object], dict[str, object]]:
    """Varied valid values for record i, and what the parser should make of them."""
    raw: dict[str, object] = {}
    expected: dict[str, object] = {}
    for k, f in enumerate(layout.fields):
        if f.name == "blank":
            continue
        if f.kind == "text":
            text = (f"{f.name[:3].upper()}{i}{k}")[: f.length]
            text = text if (i + k) % 4 else ""  # some blank
            raw[f.name] = text
            expected[f.name] = text or None
        elif f.kind == "digits":
            digits = str(10**f.length - 1 - i * 7 - k).zfill(f.length)[-f.length:]
            raw[f.name] = digits
            expected[f.name] = digits
        elif f.kind == "decimal":
            assert f.scale is not None
            if (i + k) % 5 == 0:
                raw[f.name] = None
                expected[f.name] = None
            else:
                v = Decimal(i * 1000 + k).scaleb(-f.scale) * (-1 if (i + k) % 2 else 1)
                v = v + Decimal(12345)
                raw[f.name] = v
                expected[f.name] = v
        else:
            if (i + k) % 6 == 0:
                raw[f.name] = None
                expected[f.name] = None
            else:
                d = date(2020, 1, 1) + timedelta(days=37 * i + k)
                raw[f.name] = d
                expected[f.name] = d
    return raw, expected


def write(tmp_path: Path, lines: list[bytes], *, eol: bytes = b"\n", last_eol: bool = True,
          name: str = "in.txt") -> Path:
    data = eol.join(lines) + (eol if last_eol and lines else b"")
    p = tmp_path / name
    p.write_bytes(data)
    return p


def parse(path: Path, out: Path, file_type: str, length: int, **kw: object) -> ParseResult:
    with path.open("rb") as stream:
        return parse_to_parquet(
            stream, out, file_type=file_type, record_length=length,
            source_file=NAME, delivery_date=DELIVERY, **kw,  # type: ignore[arg-type]
        )


def read(out: Path) -> pa.Table:
    return pq.read_table(out)


def parse_error(tmp_path: Path, lines: list[bytes], file_type: str = "CCLF5",
                length: int = 388, **kw: object) -> RecordFormatError:
    src = write(tmp_path, lines, **kw)  # type: ignore[arg-type]
    out = tmp_path / "out.parquet"
    with pytest.raises(RecordFormatError) as info:
        parse(src, out, file_type, length)
    assert not out.exists(), "partial output must be removed"
    err = info.value
    assert err.file_name == NAME
    assert NAME in str(err)
    return err


CCLF5 = layout_for("CCLF5", 388)


def cclf5(**values: object) -> bytes:
    base: dict[str, object] = {"cur_clm_uniq_id": "0000000000001", "bene_mbi_id": "1AA0AA0AA00"}
    base.update(values)
    return record(CCLF5, base)


# ---------------------------------------------------------------------------------------------
# round trips


ALL_LENGTHS = [(t, n) for t in CLAIM_FILE_TYPES for n in known_lengths(t)]


@pytest.mark.parametrize(("file_type", "length"), ALL_LENGTHS)
def test_round_trip_every_file_type_and_layout(tmp_path: Path, file_type: str, length: int
                                                ) -> None:
    layout = layout_for(file_type, length)
    lines, expected_rows = [], []
    for i in range(7):
        raw, expected = sample_values(layout, i)
        line = record(layout, raw)
        assert len(line) == length
        lines.append(line)
        expected_rows.append(expected)
    src = write(tmp_path, lines)
    out = tmp_path / "out.parquet"
    result = parse(src, out, file_type, length)
    assert result == ParseResult(
        rows=7, bytes_read=7 * (length + 1), record_length=length, layout_name=layout.name
    )
    table = read(out)
    assert table.schema.equals(lake_schema(file_type), check_metadata=False)
    present = {f.name for f in layout.fields}
    for i, row in enumerate(table.to_pylist()):
        for f in stored_fields(file_type):
            want = expected_rows[i].get(f.name) if f.name in present else None
            assert row[f.name] == want, (file_type, length, i, f.name)
        assert row["source_file"] == NAME
        assert row["line_number"] == i + 1
        assert row["delivery_date"] == DELIVERY


def test_older_layouts_leave_newer_fields_null(tmp_path: Path) -> None:
    old = layout_for("CCLF5", 363)
    raw, _ = sample_values(old, 1)
    src = write(tmp_path, [record(old, raw)])
    parse(src, tmp_path / "o.parquet", "CCLF5", 363)
    row = read(tmp_path / "o.parquet").to_pylist()[0]
    assert row["clm_rndrg_prvdr_npi_num"] is None  # starts at 364
    assert row["clm_cntrctr_num"] is None
    assert row["hcpcs_betos_cd"] is not None


def test_cclf7_v38_prescriber_id_comes_from_its_old_position(tmp_path: Path) -> None:
    v38 = layout_for("CCLF7", 195)
    assert v38.name == "CCLF7_V38"
    src = write(tmp_path, [record(v38, {"clm_prsbng_prvdr_gnrc_id_num": "1234567890"})])
    result = parse(src, tmp_path / "o.parquet", "CCLF7", 195)
    assert result.layout_name == "CCLF7_V38"
    row = read(tmp_path / "o.parquet").to_pylist()[0]
    assert row["clm_prsbng_prvdr_gnrc_id_num"] == "1234567890"
    assert "blank" not in row


# ---------------------------------------------------------------------------------------------
# field decoding


def test_amount_signs_padding_and_blanks(tmp_path: Path) -> None:
    # CCLF1 clm_pmt_amt is -9(13).99 (17 characters)
    layout = layout_for("CCLF1", 437)
    amounts = [
        (b"-0000000001234.56", Decimal("-1234.56")),
        (b" 0000000001234.56", Decimal("1234.56")),
        (b"         -1234.56", Decimal("-1234.56")),
        (b"          1234.56", Decimal("1234.56")),
        (b"-        00001.50", Decimal("-1.50")),
        (b" 0000000000000.00", Decimal("0.00")),
        (b"-0000000000000.00", Decimal("0.00")),
        (b"             0.00", Decimal("0.00")),
        (b"              .07", Decimal("0.07")),
        (b"             -.07", Decimal("-0.07")),
        (b" 9999999999999.99", Decimal("9999999999999.99")),
        (b"-9999999999999.99", Decimal("-9999999999999.99")),
        (b"                 ", None),
    ]
    lines = [record(layout, {"clm_pmt_amt": raw}) for raw, _ in amounts]
    src = write(tmp_path, lines)
    parse(src, tmp_path / "o.parquet", "CCLF1", 437)
    col = read(tmp_path / "o.parquet").column("clm_pmt_amt")
    assert col.type == pa.decimal128(15, 2)
    assert col.to_pylist() == [want for _, want in amounts]


def test_wide_quantities_are_exact(tmp_path: Path) -> None:
    # -9(18).9999 has 22 digits: beyond int64 and float precision
    values = [
        b" 999999999999999999.9999",
        b"-999999999999999999.9999",
        b" 123456789012345678.1234",
        b"-000000000000000001.0001",
        b" 000000000000000000.0000",
        b"               12.5000",
        b"              -12.5000",
        b" 100000000000000000.0000",
        b"-922337203685477580.8000",
    ]
    values = [v.rjust(24) for v in values]
    src = write(tmp_path, [cclf5(clm_line_srvc_unit_qty=v) for v in values])
    parse(src, tmp_path / "o.parquet", "CCLF5", 388)
    got = read(tmp_path / "o.parquet").column("clm_line_srvc_unit_qty").to_pylist()
    assert got == [Decimal(v.decode().replace(" ", "")) for v in values]
    # -9(18).99 (CCLF1), 20 digits
    layout = layout_for("CCLF1", 437)
    src = write(tmp_path, [record(layout, {"clm_oprtnl_ime_amt": b"-999999999999999999.99"})])
    parse(src, tmp_path / "p.parquet", "CCLF1", 437)
    got = read(tmp_path / "p.parquet").column("clm_oprtnl_ime_amt").to_pylist()
    assert got == [Decimal("-999999999999999999.99")]


def test_cclf5_x15_amounts_parse_as_signed_decimals(tmp_path: Path) -> None:
    src = write(tmp_path, [
        cclf5(clm_line_cvrd_pd_amt=b"-00000001234.56", clm_line_alowd_chrg_amt=b"         1234.56"
              .rjust(17)),
    ])
    parse(src, tmp_path / "o.parquet", "CCLF5", 388)
    row = read(tmp_path / "o.parquet").to_pylist()[0]
    assert row["clm_line_cvrd_pd_amt"] == Decimal("-1234.56")
    assert row["clm_line_alowd_chrg_amt"] == Decimal("1234.56")


def test_dates_sentinels_blanks_and_leap_day(tmp_path: Path) -> None:
    dates = [
        (b"2024-02-29", date(2024, 2, 29)),
        (b"2000-02-29", date(2000, 2, 29)),
        (b"1000-01-01", None),
        (b"9999-12-31", None),
        (b"          ", None),
        (b"1000-01-02", date(1000, 1, 2)),
        (b"9999-12-30", date(9999, 12, 30)),
        (b"0001-01-01", date(1, 1, 1)),
        (b"1970-01-01", date(1970, 1, 1)),
        (b"2023-12-31", date(2023, 12, 31)),
    ]
    src = write(tmp_path, [cclf5(clm_from_dt=raw) for raw, _ in dates])
    parse(src, tmp_path / "o.parquet", "CCLF5", 388)
    col = read(tmp_path / "o.parquet").column("clm_from_dt")
    assert col.type == pa.date32()
    assert col.to_pylist() == [want for _, want in dates]


def test_digits_keep_leading_zeros_and_text_is_trimmed(tmp_path: Path) -> None:
    src = write(tmp_path, [
        cclf5(cur_clm_uniq_id="0000000012345", clm_line_num="      0012",
              clm_cntl_num="  CTRL 42  ", clm_line_hcpcs_cd="G0439", clm_pos_cd="  "),
        cclf5(cur_clm_uniq_id="0000000012346", clm_line_num="0000000001",
              clm_cntl_num="", clm_line_hcpcs_cd=" 99 ", clm_pos_cd="11"),
    ])
    parse(src, tmp_path / "o.parquet", "CCLF5", 388)
    t = read(tmp_path / "o.parquet")
    assert t.column("cur_clm_uniq_id").to_pylist() == ["0000000012345", "0000000012346"]
    assert t.column("clm_line_num").to_pylist() == ["0012", "0000000001"]
    assert t.column("clm_cntl_num").to_pylist() == ["CTRL 42", None]
    assert t.column("clm_line_hcpcs_cd").to_pylist() == ["G0439", "99"]
    assert t.column("clm_pos_cd").to_pylist() == [None, "11"]


def test_latin1_bytes_become_the_right_characters(tmp_path: Path) -> None:
    src = write(tmp_path, [
        cclf5(clm_cntl_num=b"CAF\xc9 \xb5 \xff", clm_pos_cd=b"\xe9"),
        cclf5(clm_cntl_num=b"PLAIN", clm_line_hcpcs_cd=b"\xe0BCDE"),
    ])
    parse(src, tmp_path / "o.parquet", "CCLF5", 388)
    t = read(tmp_path / "o.parquet")
    assert t.column("clm_cntl_num").to_pylist() == ["CAFÉ µ ÿ", "PLAIN"]
    assert t.column("clm_pos_cd").to_pylist() == ["é", None]
    assert t.column("clm_line_hcpcs_cd").to_pylist() == [None, "àBCDE"]


def test_only_spaces_are_trimmed(tmp_path: Path) -> None:
    src = write(tmp_path, [cclf5(clm_cntl_num=b" \tTAB\t "), cclf5(clm_cntl_num=b"X")])
    parse(src, tmp_path / "o.parquet", "CCLF5", 388)
    assert read(tmp_path / "o.parquet").column("clm_cntl_num").to_pylist() == ["\tTAB\t", "X"]


# ---------------------------------------------------------------------------------------------
# framing


def test_crlf_file(tmp_path: Path) -> None:
    lines = [cclf5(cur_clm_uniq_id=f"{i:013d}") for i in range(5)]
    src = write(tmp_path, lines, eol=b"\r\n")
    result = parse(src, tmp_path / "o.parquet", "CCLF5", 388, chunk_bytes=1000)
    assert result.rows == 5 and result.bytes_read == 5 * 390
    t = read(tmp_path / "o.parquet")
    assert t.column("cur_clm_uniq_id").to_pylist() == [f"{i:013d}" for i in range(5)]
    assert t.column("clm_cntrctr_num").to_pylist() == [None] * 5  # no CR leaked into it


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
def test_last_line_without_line_end(tmp_path: Path, eol: bytes) -> None:
    lines = [cclf5(cur_clm_uniq_id=f"{i:013d}") for i in range(3)]
    src = write(tmp_path, lines, eol=eol, last_eol=False)
    parse(src, tmp_path / "o.parquet", "CCLF5", 388)
    t = read(tmp_path / "o.parquet")
    assert t.column("cur_clm_uniq_id").to_pylist() == [f"{i:013d}" for i in range(3)]
    assert t.column("line_number").to_pylist() == [1, 2, 3]


def test_single_record_without_line_end(tmp_path: Path) -> None:
    src = write(tmp_path, [cclf5()], last_eol=False)
    assert parse(src, tmp_path / "o.parquet", "CCLF5", 388).rows == 1


def test_empty_file(tmp_path: Path) -> None:
    src = write(tmp_path, [])
    result = parse(src, tmp_path / "o.parquet", "CCLF9", 55)
    assert result.rows == 0 and result.bytes_read == 0
    t = read(tmp_path / "o.parquet")
    assert t.num_rows == 0
    assert t.schema.equals(lake_schema("CCLF9"), check_metadata=False)


@pytest.mark.parametrize("chunk_bytes", [1, 389 * 2 + 100, 389 * 3])
def test_chunk_boundaries_keep_line_numbers(tmp_path: Path, chunk_bytes: int) -> None:
    lines = [cclf5(cur_clm_uniq_id=f"{i:013d}", clm_cntl_num=f"C{i}") for i in range(11)]
    src = write(tmp_path, lines)
    seen: list[int] = []
    result = parse(src, tmp_path / "o.parquet", "CCLF5", 388, chunk_bytes=chunk_bytes,
                   progress=seen.append)
    assert result.rows == 11
    t = read(tmp_path / "o.parquet")
    assert t.column("line_number").to_pylist() == list(range(1, 12))
    assert t.column("cur_clm_uniq_id").to_pylist() == [f"{i:013d}" for i in range(11)]
    assert t.column("clm_cntl_num").to_pylist() == [f"C{i}" for i in range(11)]
    assert all(n > 0 for n in seen) and sum(seen) == 11 * 389 == result.bytes_read


def test_zip_member_stream(tmp_path: Path) -> None:
    lines = [cclf5(cur_clm_uniq_id=f"{i:013d}") for i in range(20)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(NAME, b"\n".join(lines) + b"\n")
    out = tmp_path / "o.parquet"
    with zipfile.ZipFile(buf) as z, z.open(NAME) as member:
        result = parse_to_parquet(member, out, file_type="CCLF5", record_length=388,
                                  source_file=NAME, delivery_date=DELIVERY, chunk_bytes=2000)
    assert result.rows == 20
    assert read(out).column("line_number").to_pylist() == list(range(1, 21))


def test_stream_with_only_read(tmp_path: Path) -> None:
    class OnlyRead:
        def __init__(self, data: bytes) -> None:
            self.data, self.pos = data, 0

        def read(self, n: int) -> bytes:  # returns short reads
            n = min(n, 500)
            out = self.data[self.pos : self.pos + n]
            self.pos += len(out)
            return out

    data = b"\n".join(cclf5(cur_clm_uniq_id=f"{i:013d}") for i in range(9)) + b"\n"
    out = tmp_path / "o.parquet"
    result = parse_to_parquet(OnlyRead(data), out, file_type="CCLF5",  # type: ignore[arg-type]
                              record_length=388, source_file=NAME, delivery_date=DELIVERY)
    assert result.rows == 9
    assert read(out).column("line_number").to_pylist() == list(range(1, 10))


def test_stream_errors_propagate_and_leave_no_output(tmp_path: Path) -> None:
    class Failing:
        def __init__(self) -> None:
            self.calls = 0

        def read(self, n: int) -> bytes:
            self.calls += 1
            if self.calls > 2:
                raise OSError("disk gone")
            return good(self.calls) + b"\n"

    out = tmp_path / "o.parquet"
    with pytest.raises(OSError, match="disk gone"):
        parse_to_parquet(Failing(), out, file_type="CCLF5",  # type: ignore[arg-type]
                         record_length=388, source_file=NAME, delivery_date=DELIVERY,
                         chunk_bytes=389)
    assert not out.exists()


def test_corrupt_zip_member_raises(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(NAME, b"\n".join(good(i) for i in range(5)) + b"\n")
    data = bytearray(buf.getvalue())
    data[data.index(b"0000000000003")] ^= 1  # flip a bit in the stored member: CRC mismatch
    out = tmp_path / "o.parquet"
    with (
        zipfile.ZipFile(io.BytesIO(bytes(data))) as z,
        z.open(NAME) as member,
        pytest.raises(zipfile.BadZipFile),
    ):
        parse_to_parquet(member, out, file_type="CCLF5", record_length=388,
                         source_file=NAME, delivery_date=DELIVERY)
    assert not out.exists()


def test_detect_record_length() -> None:
    assert detect_record_length(b"") is None
    assert detect_record_length(b"abc\ndef\n") == 3
    assert detect_record_length(b"abc\r\ndef\r\n") == 3
    assert detect_record_length(b"abcdef") == 6
    assert detect_record_length(b"\n") == 0


# ---------------------------------------------------------------------------------------------
# errors: file, line, field named; value never shown; no output left behind

SECRET = "7QZ9XK"  # a value that must not leak into messages


def good(i: int) -> bytes:
    return cclf5(cur_clm_uniq_id=f"{i:013d}")


def test_truncated_line(tmp_path: Path) -> None:
    lines = [good(i) for i in range(6)]
    lines[3] = lines[3][:-10]
    err = parse_error(tmp_path, lines)
    assert (err.line_number, err.field) == (4, None)
    assert "line 4" in str(err) and "378" in str(err) and "388" in str(err)


def test_over_long_line(tmp_path: Path) -> None:
    lines = [good(i) for i in range(6)]
    lines[4] = lines[4] + SECRET.encode()
    err = parse_error(tmp_path, lines)
    assert (err.line_number, err.field) == (5, None)
    assert "394" in str(err) and "388" in str(err)
    assert SECRET not in str(err)


def test_over_long_line_across_chunks(tmp_path: Path) -> None:
    lines = [good(i) for i in range(10)]
    lines[2] = lines[2] + b"X" * 5000
    src = write(tmp_path, lines)
    out = tmp_path / "o.parquet"
    with pytest.raises(RecordFormatError) as info:
        parse(src, out, "CCLF5", 388, chunk_bytes=800)
    assert info.value.line_number == 3 and "5388" in str(info.value)
    assert not out.exists()


def test_bad_last_line(tmp_path: Path) -> None:
    lines = [good(i) for i in range(3)] + [b"short"]
    err = parse_error(tmp_path, lines, last_eol=False)
    assert err.line_number == 4 and "record length 5" in str(err)


@pytest.mark.parametrize(("tail", "ending"), [
    (b"\n\n", ENDING_EMPTY_LINE),             # LF file, one empty line
    (b"\r\n\r\n", ENDING_EMPTY_LINE),         # CRLF file, one empty CRLF line
    (b"\n\x1a", ENDING_DOS_EOF),              # DOS end-of-file byte after the last line
    (b"\r\n\x1a", ENDING_DOS_EOF),
    (b"\x1a", ENDING_DOS_EOF),                 # ... right after the last record
    (b"\n", None),                             # the ordinary endings: nothing to report
    (b"\r\n", None),
    (b"", None),
])
@pytest.mark.parametrize("chunk_bytes", [389 * 2 + 1, 32 * 2**20])
def test_harmless_endings_are_accepted_and_reported(
        tmp_path: Path, tail: bytes, ending: str | None, chunk_bytes: int) -> None:
    eol = b"\r\n" if b"\r" in tail else b"\n"
    data = eol.join(good(i) for i in range(5)) + tail
    src = tmp_path / "in.txt"
    src.write_bytes(data)
    seen: list[int] = []
    result = parse(src, tmp_path / "o.parquet", "CCLF5", 388, chunk_bytes=chunk_bytes,
                   progress=seen.append)
    assert result.rows == 5 and result.ending == ending
    assert result.bytes_read == len(data) == sum(seen)
    t = read(tmp_path / "o.parquet")
    assert t.column("line_number").to_pylist() == [1, 2, 3, 4, 5]
    assert t.column("cur_clm_uniq_id").to_pylist() == [f"{i:013d}" for i in range(5)]


@pytest.mark.parametrize(("data", "line", "reason"), [
    # two empty lines: the second one is an error
    (b"\n".join(good(i) for i in range(3)) + b"\n\n\n", 4, "record length 0"),
    (b"\r\n".join(good(i) for i in range(3)) + b"\r\n\r\n\r\n", 4, "record length 0"),
    # an empty line before the last record
    (good(0) + b"\n\n" + good(1) + b"\n", 2, "record length 0"),
    # an empty line ending in LF in a CRLF file
    (good(0) + b"\r\n" + good(1) + b"\r\n\n", 3, "record length 0"),
    # an empty CRLF line in an LF file
    (good(0) + b"\n" + good(1) + b"\n\r\n", 3, "record length 1"),
    # an empty line, then an end-of-file byte: only one harmless ending is forgiven
    (good(0) + b"\n" + good(1) + b"\n\n\x1a", 3, "record length 0"),
    # two end-of-file bytes
    (good(0) + b"\n" + good(1) + b"\n\x1a\x1a", 3, "record length 1"),
    # an end-of-file byte in the middle
    (good(0) + b"\n\x1a" + good(1) + b"\n", 2, "record length 389"),
    # a short last record, then the end-of-file byte
    (good(0) + b"\n" + good(1)[:-1] + b"\x1a", 2, "record length 387"),
    # a short record followed by one empty line
    (good(0) + b"\n" + good(1)[:-1] + b"\n\n", 2, "record length 387"),
])
def test_other_endings_stay_errors(tmp_path: Path, data: bytes, line: int, reason: str) -> None:
    src = tmp_path / "in.txt"
    src.write_bytes(data)
    out = tmp_path / "o.parquet"
    with pytest.raises(RecordFormatError) as info:
        parse(src, out, "CCLF5", 388)
    err = info.value
    assert (err.file_name, err.line_number, err.field) == (NAME, line, None)
    assert f"{NAME}: line {line}: {reason}, expected 388" in str(err)
    assert not out.exists()


def test_strip_harmless_ending() -> None:
    assert strip_harmless_ending(b"ab\n\n") == (b"ab\n", ENDING_EMPTY_LINE)
    assert strip_harmless_ending(b"ab\r\n\r\n") == (b"ab\r\n", ENDING_EMPTY_LINE)
    assert strip_harmless_ending(b"ab\n\x1a") == (b"ab\n", ENDING_DOS_EOF)
    for kept in (b"ab\n", b"ab\r\n\n", b"ab\n\r\n", b"", b"\n"):
        assert strip_harmless_ending(kept) == (kept, None)


def test_mixed_line_ends(tmp_path: Path) -> None:
    data = good(0) + b"\r\n" + good(1) + b"\n" + good(2) + b"\r\n"
    src = tmp_path / "in.txt"
    src.write_bytes(data)
    out = tmp_path / "o.parquet"
    with pytest.raises(RecordFormatError) as info:
        parse(src, out, "CCLF5", 388)
    assert info.value.line_number == 2 and "CRLF" in str(info.value)
    assert not out.exists()


def test_bad_date(tmp_path: Path) -> None:
    lines = [good(i) for i in range(5)]
    lines[2] = cclf5(clm_thru_dt=b"2023-02-29")
    err = parse_error(tmp_path, lines)
    assert (err.line_number, err.field) == (3, "clm_thru_dt")
    assert "calendar" in str(err) and "2023-02-29" not in str(err)
    lines[2] = cclf5(clm_thru_dt=b"2023/02/01")
    err = parse_error(tmp_path, lines)
    assert (err.line_number, err.field) == (3, "clm_thru_dt")
    assert "YYYY-MM-DD" in str(err) and "2023/02/01" not in str(err)


@pytest.mark.parametrize("raw", [b"2024-13-01", b"2024-00-10", b"2024-04-31", b"0000-01-01",
                                 b"2024-1-01 ", b"  24-01-01", b"2024-01-0X"])
def test_impossible_dates(tmp_path: Path, raw: bytes) -> None:
    err = parse_error(tmp_path, [good(0), cclf5(clm_from_dt=raw)])
    assert (err.line_number, err.field) == (2, "clm_from_dt")
    assert raw.decode() not in str(err)


@pytest.mark.parametrize(
    "raw",
    [
        b" 00000000012.3X",  # letter
        b"--0000000012.34",  # two signs
        b" 000000000123.4",  # misplaced point
        b"+00000000012.34",  # plus is not a sign position value
        b" 0000  00012.34",  # space inside the digits
        b"  -  0000012.34",  # sign not next to the digits
        b" 00000-00012.34",  # sign inside the digits
        b"   -   -    .12",  # two floating signs
        b"         12.3  ",  # misplaced point
        b"              0",  # no point
    ],
)
def test_bad_amounts(tmp_path: Path, raw: bytes) -> None:
    raw = raw.ljust(15)[:15]
    err = parse_error(tmp_path, [good(0), good(1), cclf5(clm_line_cvrd_pd_amt=raw)])
    assert (err.line_number, err.field) == (3, "clm_line_cvrd_pd_amt")
    assert "-9(11).99" in str(err)
    if len(raw.strip()) > 3:
        assert raw.decode().strip() not in str(err)


def test_non_digit_in_digits_field(tmp_path: Path) -> None:
    lines = [good(i) for i in range(4)]
    lines[1] = cclf5(cur_clm_uniq_id=f"000000{SECRET}X")
    err = parse_error(tmp_path, lines)
    assert (err.line_number, err.field) == (2, "cur_clm_uniq_id")
    assert "9(13)" in str(err) and SECRET not in str(err)
    lines[1] = cclf5(cur_clm_uniq_id="00000 0000001")  # space inside
    err = parse_error(tmp_path, lines)
    assert (err.line_number, err.field) == (2, "cur_clm_uniq_id")


def test_first_bad_line_in_file_order_wins(tmp_path: Path) -> None:
    lines = [good(i) for i in range(8)]
    lines[3] = cclf5(clm_idr_ld_dt=b"2024-99-99")  # a late field, early line
    lines[4] = cclf5(cur_clm_uniq_id="X" * 13)  # an early field, later line
    lines[6] = lines[6][:100]  # framing error later still
    err = parse_error(tmp_path, lines)
    assert (err.line_number, err.field) == (4, "clm_idr_ld_dt")
    lines[3] = good(3)
    err = parse_error(tmp_path, lines)
    assert (err.line_number, err.field) == (5, "cur_clm_uniq_id")
    lines[4] = good(4)
    err = parse_error(tmp_path, lines)
    assert (err.line_number, err.field) == (7, None)
    # two bad fields on one line: the first in record order
    lines = [good(0), cclf5(clm_from_dt=b"bad-date!!", cur_clm_uniq_id="X" * 13)]
    err = parse_error(tmp_path, lines)
    assert (err.line_number, err.field) == (2, "cur_clm_uniq_id")


def test_errors_after_the_first_chunk(tmp_path: Path) -> None:
    lines = [good(i) for i in range(40)]
    lines[33] = cclf5(clm_from_dt=b"2021-02-29")
    src = write(tmp_path, lines)
    out = tmp_path / "o.parquet"
    with pytest.raises(RecordFormatError) as info:
        parse(src, out, "CCLF5", 388, chunk_bytes=389 * 5)
    assert (info.value.line_number, info.value.field) == (34, "clm_from_dt")
    assert not out.exists()


def test_error_is_picklable() -> None:
    import pickle

    err = RecordFormatError("f", 3, "fld", "why")
    back = pickle.loads(pickle.dumps(err))
    assert (back.file_name, back.line_number, back.field, back.reason) == ("f", 3, "fld", "why")
    assert str(back) == str(err) == "f: line 3, field fld: why"


def test_unknown_record_length_is_refused(tmp_path: Path) -> None:
    src = write(tmp_path, [b"x" * 100])
    with pytest.raises(ValueError, match="record length 100"):
        parse(src, tmp_path / "o.parquet", "CCLF5", 100)


# ---------------------------------------------------------------------------------------------
# randomised comparison with a straightforward reference implementation

_HEAD = re.compile(r"^(?:-( *)|( *)-?)([0-9]*)$")
_ISO = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def reference_amount(raw: str, f: Field) -> tuple[bool, Decimal | None]:
    """(valid, value) for an amount field, by the rules in plain Python."""
    assert f.scale is not None and f.precision is not None
    if raw.strip() == "":
        return True, None
    m = f.length - f.scale - 2
    head, point, frac = raw[: m + 1], raw[m + 1], raw[m + 2 :]
    match = _HEAD.match(head)
    if point != "." or not frac.isdigit() or not frac.isascii() or match is None:
        return False, None
    if head[0].isdigit() and f.precision < m + 1 + f.scale:
        return False, None
    value = Decimal(f"{match.group(3) or '0'}.{frac}")
    return True, -value if "-" in head else value


def reference_date(raw: str) -> tuple[bool, date | None]:
    if raw.strip() == "":
        return True, None
    if not _ISO.match(raw):
        return False, None
    try:
        d = date.fromisoformat(raw)
    except ValueError:
        return False, None
    return True, None if raw in ("1000-01-01", "9999-12-31") else d


def random_amount(rng: random.Random, f: Field) -> str:
    assert f.scale is not None
    m = f.length - f.scale - 2
    ndigits = rng.randint(0, m + 1)
    digits = "".join(rng.choice("0123456789") for _ in range(ndigits))
    frac = "".join(rng.choice("0123456789") for _ in range(f.scale))
    style = rng.randrange(3)
    if style == 0:  # sign position, zero padded
        head = rng.choice(" -") + digits[-m:].rjust(m, "0")
    elif style == 1:  # space padded, floating sign
        body = (rng.choice(["", "-"]) + digits[-m:])
        head = body.rjust(m + 1)
    else:  # sign first, space padded
        head = rng.choice(" -") + digits[-m:].rjust(m)
    raw = list(head + "." + frac)
    for _ in range(rng.choice([0, 0, 1, 2])):
        raw[rng.randrange(len(raw))] = rng.choice(" -.0123456789A+")
    return "".join(raw)


def random_date(rng: random.Random) -> str:
    raw = list(f"{rng.randint(0, 9999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}")
    if rng.random() < 0.1:
        return rng.choice(["1000-01-01", "9999-12-31", " " * 10, "2024-02-29", "2023-02-29"])
    for _ in range(rng.choice([0, 0, 0, 1])):
        raw[rng.randrange(10)] = rng.choice(" -/0123456789O")
    return "".join(raw)


def test_amounts_and_dates_agree_with_reference(tmp_path: Path) -> None:
    rng = random.Random(20240315)
    layout = layout_for("CCLF6", 247)
    amount_fields = [layout.field("clm_line_cvrd_pd_amt"), layout.field("clm_line_alowd_chrg_amt")]
    date_field = layout.field("clm_from_dt")
    valid_rows: list[dict[str, object]] = []
    expected: list[dict[str, object]] = []
    invalid: list[tuple[str, str]] = []
    for _ in range(3000):
        values: dict[str, object] = {}
        want: dict[str, object] = {}
        ok_all = True
        for f in amount_fields:
            raw = random_amount(rng, f)
            ok, value = reference_amount(raw, f)
            values[f.name], want[f.name] = raw, value
            if not ok:
                ok_all = False
                invalid.append((f.name, raw))
        raw = random_date(rng)
        ok, value = reference_date(raw)
        values[date_field.name], want[date_field.name] = raw, value
        if not ok:
            ok_all = False
            invalid.append((date_field.name, raw))
        if ok_all:
            valid_rows.append(values)
            expected.append(want)
    assert len(valid_rows) > 800 and len(invalid) > 300
    src = write(tmp_path, [record(layout, v) for v in valid_rows])
    parse(src, tmp_path / "o.parquet", "CCLF6", 247, chunk_bytes=64 * 248)
    got = read(tmp_path / "o.parquet").select(list(expected[0])).to_pylist()
    assert got == expected
    for name, raw in invalid[:150]:
        lines = [record(layout, valid_rows[0]), record(layout, {**valid_rows[1], name: raw})]
        err = parse_error(tmp_path, lines, "CCLF6", 247)
        assert (err.line_number, err.field) == (2, name), raw


def test_cclf6_allowed_amount_may_use_the_sign_position_for_a_digit(tmp_path: Path) -> None:
    # IP: CLM_LINE_ALOWD_CHRG_AMT -9(14).99 in 17 characters (precision 16)
    layout = layout_for("CCLF6", 247)
    values = [b"12345678901234.56", b"-2345678901234.56", b" 0000000000012.00"]
    src = write(tmp_path, [record(layout, {"clm_line_alowd_chrg_amt": v}) for v in values])
    parse(src, tmp_path / "o.parquet", "CCLF6", 247)
    got = read(tmp_path / "o.parquet").column("clm_line_alowd_chrg_amt").to_pylist()
    assert got == [Decimal("12345678901234.56"), Decimal("-2345678901234.56"), Decimal("12.00")]


@pytest.mark.parametrize("step", [1, 3, 4, 5, 389, 390])
@pytest.mark.parametrize(("tail", "ending"), [
    (b"\n\n", ENDING_EMPTY_LINE), (b"\n\x1a", ENDING_DOS_EOF), (b"\n", None)])
def test_harmless_endings_through_short_reads(tmp_path: Path, step: int, tail: bytes,
                                              ending: str | None) -> None:
    class Trickle:  # hands out `step` bytes per read, whatever was asked
        def __init__(self, data: bytes) -> None:
            self.data, self.pos = data, 0

        def read(self, n: int) -> bytes:
            out = self.data[self.pos : self.pos + step]
            self.pos += len(out)
            return out

    data = b"\n".join(good(i) for i in range(4)) + tail
    out = tmp_path / "o.parquet"
    result = parse_to_parquet(Trickle(data), out, file_type="CCLF5",  # type: ignore[arg-type]
                              record_length=388, source_file=NAME, delivery_date=DELIVERY,
                              chunk_bytes=1000)
    assert (result.rows, result.ending, result.bytes_read) == (4, ending, len(data))
    assert read(out).column("cur_clm_uniq_id").to_pylist() == [f"{i:013d}" for i in range(4)]
