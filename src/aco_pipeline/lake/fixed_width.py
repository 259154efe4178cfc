"""Parse one fixed-width CCLF data file (CCLF1-9, A, B) into one Parquet file.

The record formats are those of the CMS CCLF Information Packet (IP) v40, Appendix B, as
loaded by `aco_pipeline.layouts`: text `X(n)`, digits `9(n)`, signed amounts `-9(m).99` with
an explicit decimal point, dates `YYYY-MM-DD` (blank, `1000-01-01` and `9999-12-31` mean
missing, IP v40 section 3.6). Every record is exactly the layout's length and ends with LF
(CRLF is accepted when the whole file uses it; the last record may lack its line end).

Two endings that file transfers add are accepted and reported (`ParseResult.ending`), never
silently: one empty line after the last record (in the file's own line end) and one DOS
end-of-file byte (0x1A) as the very last byte. Anything else (two empty lines, an empty line
before the end, a short last record) is an error like any malformed line.

How it works: the stream is read in chunks of whole records. A chunk is viewed as a 2-D
byte array of shape (records, record length + line end), the framing is checked in a few
vectorised operations, and every field is decoded column-wise with numpy and Arrow compute
(no Python loop over records). A second thread writes the previous chunk's row group while
the next one is decoded. Memory is bounded by a few chunks, whatever the file size.

Validation is strict: the first record in file order that is malformed (wrong length, a
non-digit in a `9(n)` field, an amount or a date that does not match its picture) stops the
parse with a `RecordFormatError` naming the file, the 1-based line and the field. The field's
value is never part of the message (it may be PHI).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from aco_pipeline.errors import AcoError
from aco_pipeline.layouts import Field, Layout, lake_schema, layout_for, stored_fields

__all__ = [
    "ParseResult",
    "RecordFormatError",
    "detect_record_length",
    "parse_to_parquet",
    "strip_harmless_ending",
]

LF, CR, SPACE, MINUS, POINT, ZERO = 10, 13, 32, 45, 46, 48

# Parquet writing, chosen by measurement (benchmarks/README.md). The writer is the slower of
# the two threads: snappy is as fast as lz4 (LZ4_RAW, which older readers lack) and about 10 %
# faster than zstd level 1, whose files are about a third smaller. Dictionary encoding only
# pays on columns whose values repeat (short codes, dates); elsewhere it costs a hash per
# value.
PARQUET_COMPRESSION = "snappy"
PARQUET_COMPRESSION_LEVEL = 1
"""Used when PARQUET_COMPRESSION is "zstd"."""
DICTIONARY_MAX_FIELD_LENGTH = 7
"""Text/digit fields up to this many characters (codes) are dictionary-encoded; longer
ones (identifiers, control numbers) are written plain."""

_MAX_CHUNK_BYTES = 1 << 30  # keeps every per-chunk string buffer addressable by int32 offsets
_OVERLONG_PROBE_BYTES = 1 << 20  # how far past a chunk to look for the end of an overlong line
_FIRST_READ_BYTES = 1 << 20
_PIECE_BYTES = 8 << 20  # reads ahead in pieces of this size, up to a chunk ahead


class RecordFormatError(AcoError, ValueError):
    """A record of a fixed-width file does not match its layout.

    `line_number` is 1-based; `field` is the field name, or None for a record-level problem
    (wrong length, wrong line end). The message never contains the field's value.
    """

    def __init__(self, file_name: str, line_number: int, field: str | None, reason: str) -> None:
        where = f"line {line_number}" + (f", field {field}" if field is not None else "")
        super().__init__(f"{file_name}: {where}: {reason}")
        self.file_name = file_name
        self.line_number = line_number
        self.field = field
        self.reason = reason

    def __reduce__(self) -> tuple[type[RecordFormatError], tuple[str, int, str | None, str]]:
        # picklable (e.g. across a process pool) with its attributes intact
        return (type(self), (self.file_name, self.line_number, self.field, self.reason))


@dataclass(frozen=True)
class ParseResult:
    rows: int
    bytes_read: int
    record_length: int
    layout_name: str
    ending: str | None = None
    """A harmless ending that was ignored (see `strip_harmless_ending`), else None."""


DOS_EOF = 0x1A
ENDING_EMPTY_LINE = "one empty line after the last record, ignored"
ENDING_DOS_EOF = "a DOS end-of-file byte (0x1A) at the end, ignored"
_ENDING_HOLD = 4  # bytes of a file's end needed to recognise its ending (b"\r\n\r\n")


def strip_harmless_ending(data: bytes) -> tuple[bytes, str | None]:
    """`data` without one harmless ending, and which one (None: nothing stripped).

    Harmless, and only these: the last byte is a DOS end-of-file byte (0x1A), or the file
    ends with one empty line in the line end it uses (`...\n\n` or `...\r\n\r\n`). Only
    one is stripped; what is left is checked as strictly as any other line, so a second
    empty line, an empty line in a CRLF file ending with a bare LF, or an EOF byte after an
    empty line are still errors. `data` may be only the end of a file: its last
    `_ENDING_HOLD` bytes decide.
    """
    if data.endswith(bytes([DOS_EOF])):
        return data[:-1], ENDING_DOS_EOF
    if data.endswith(b"\r\n\r\n"):
        return data[:-2], ENDING_EMPTY_LINE
    if data.endswith(b"\n\n") and not data.endswith(b"\r\n\n"):
        return data[:-1], ENDING_EMPTY_LINE
    return data, None


class _Readable(Protocol):
    def read(self, n: int, /) -> bytes: ...


class _Ending:
    """A stream passed through unchanged except for a harmless ending (`strip_harmless_ending`),
    which is dropped and remembered. The last few bytes are held back until the end is known;
    the rest of each piece is passed on as a view, not copied."""

    def __init__(self, stream: _Readable) -> None:
        self._stream = stream
        self._held = b""
        self._next: memoryview | None = None
        self._done = False
        self.ending: str | None = None
        self.dropped = 0

    def read(self, n: int) -> bytes:
        if self._next is not None:
            out, self._next = self._next, None
            return out  # type: ignore[return-value]  # a view of bytes reads like bytes
        if self._done:
            return b""
        data = self._held
        while True:
            more = self._stream.read(max(n, _ENDING_HOLD + 1))
            if not more:
                self._done = True
                self._held = b""
                kept, self.ending = strip_harmless_ending(data)
                self.dropped = len(data) - len(kept)
                return kept
            if len(more) > _ENDING_HOLD:
                break
            data += more  # a short read (a few bytes): copying is cheap
            if len(data) > _ENDING_HOLD:
                self._held = data[-_ENDING_HOLD:]
                return data[:-_ENDING_HOLD]
        body = memoryview(more)[:-_ENDING_HOLD]
        self._held = bytes(more[-_ENDING_HOLD:])
        if not data:
            return body  # type: ignore[return-value]
        self._next = body
        return data


def detect_record_length(head: bytes) -> int | None:
    """Length of the first record in `head` without its LF or CRLF; None when `head` is empty.

    If `head` holds no line end, all of it is taken as the (only) record, so pass at least one
    whole record plus its line end (a few KiB is plenty for CCLF).
    """
    if not head:
        return None
    end = head.find(b"\n")
    if end < 0:
        return len(head)
    return end - 1 if end > 0 and head[end - 1] == CR else end


# ---------------------------------------------------------------------------------------------
# Field decoders. A chunk is a 2-D uint8 array `block` (records x stride). Strings are
# decoded per field, amounts and dates per group of fields of one picture; each returns Arrow
# arrays and, instead, the first malformed record of a field (row index, field, reason).

_Decoded = tuple[pa.Array, int | None]


@dataclass(frozen=True, slots=True)
class _Spec:
    """One stored field of the layout being parsed, with what its errors say."""

    field: Field
    order: int
    reason: str
    dictionary: bool


def _picture(f: Field) -> str:
    if f.kind == "decimal":
        assert f.scale is not None
        if f.data_type.startswith("-9("):
            return f.data_type
        return f"-9({f.length - f.scale - 2}).{'9' * f.scale}"  # CCLF5 prints X(15), X(17)
    if f.kind == "digits":
        return f"9({f.length})"
    if f.kind == "date":
        return "YYYY-MM-DD"
    return f"X({f.length})"


def _specs(layout: Layout, file_type: str) -> list[_Spec | Field]:
    """Per output column: the spec to decode it, or the Field when this layout lacks it."""
    present = {f.name: f for f in layout.fields}
    out: list[_Spec | Field] = []
    for order, stored in enumerate(stored_fields(file_type)):
        f = present.get(stored.name)
        if f is None:
            out.append(stored)
            continue
        if f.kind != stored.kind or f.arrow_type != stored.arrow_type:  # pragma: no cover
            raise ValueError(f"{layout.name}: field {f.name} changes type between layouts")
        if f.kind == "decimal":
            assert f.precision is not None and f.scale is not None
            if f.length - 2 > f.precision or f.scale < 1:  # more digits than the type holds
                raise ValueError(f"{layout.name}: {f.name} length does not match its precision")
        span = f"positions {f.start}-{f.end}"
        reason = {
            "digits": f"not digits {_picture(f)} ({span})",
            "decimal": f"not a signed decimal {_picture(f)} ({span})",
            "date": f"not a date YYYY-MM-DD ({span})",
            "text": "",
        }[f.kind]
        dictionary = f.kind == "date" or (
            f.kind in ("text", "digits") and f.length <= DICTIONARY_MAX_FIELD_LENGTH
        )
        out.append(_Spec(f, order, reason, dictionary))
    return out


def _validity(valid: np.ndarray) -> tuple[pa.Buffer | None, int]:
    """An Arrow validity bitmap for a boolean mask (None when all valid) and the null count."""
    nulls = len(valid) - int(np.count_nonzero(valid))
    if nulls == 0:
        return None, 0
    return pa.py_buffer(np.packbits(valid, bitorder="little")), nulls


def _field_view(block: np.ndarray, f: Field) -> np.ndarray:
    """The field of every record as a strided 1-D view of `length`-byte items (no copy)."""
    return np.ndarray(
        (block.shape[0],),
        dtype=np.dtype((np.void, f.length)),
        buffer=block,
        offset=f.offset,
        strides=(block.strides[0],),
    )


_COPY_ROWS = 2048  # records per step when gathering fields: the step stays in L2 cache


def _fields_bytes(block: np.ndarray, fields: list[Field]) -> list[tuple[pa.Buffer, np.ndarray]]:
    """Each field's bytes copied into a contiguous Arrow buffer, with a (n, length) view.

    The buffers come from Arrow's memory pool, which keeps freed memory for reuse (large
    numpy allocations go back to the OS and cost page faults on every chunk). The copy goes
    a few thousand records at a time for all fields, while those records are in cache.
    """
    n = block.shape[0]
    buffers = [pa.allocate_buffer(n * f.length) for f in fields]
    outs = [
        np.frombuffer(b, dtype=np.dtype((np.void, f.length)), count=n)
        for b, f in zip(buffers, fields, strict=True)
    ]
    views = [_field_view(block, f) for f in fields]
    for start in range(0, n, _COPY_ROWS):
        stop = start + _COPY_ROWS
        for out, view in zip(outs, views, strict=True):
            out[start:stop] = view[start:stop]
    return [
        (b, out.view(np.uint8).reshape(n, f.length))
        for b, out, f in zip(buffers, outs, fields, strict=True)
    ]


def _latin1_to_utf8(offsets: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-encode Latin-1 string data as UTF-8 (each byte >= 0x80 becomes two bytes)."""
    high = data >= 0x80
    counts = 1 + high.astype(np.int64)
    out = np.repeat(data, counts)
    first = np.cumsum(counts) - counts  # where each input byte starts in `out`
    hi_at = first[high]
    hi = data[high]
    out[hi_at] = 0xC0 | (hi >> 6)
    out[hi_at + 1] = 0x80 | (hi & 0x3F)
    before = np.concatenate(([0], np.cumsum(high, dtype=np.int64)))
    new_offsets = (offsets + before[offsets]).astype(np.int32)
    return new_offsets, out


_offsets_cache: dict[tuple[int, int], pa.Buffer] = {}


def _fixed_offsets(n: int, width: int) -> pa.Buffer:
    """int32 offsets 0, width, 2*width, ... for n strings (cached: chunks repeat sizes)."""
    key = (n, width)
    buf = _offsets_cache.get(key)
    if buf is None:
        if len(_offsets_cache) > 256:
            _offsets_cache.clear()
        buf = pa.py_buffer(np.arange(0, n * width + 1, width, dtype=np.int32))
        _offsets_cache[key] = buf
    return buf


def _strings(
    raw_buf: pa.Buffer, raw: np.ndarray, spec: _Spec, exact_trim: bool, ascii_only: bool
) -> _Decoded:
    """Text and digit fields: trimmed strings, empty -> NULL; digits checked to be 0-9.

    Fields whose values either fill the whole width or are blank (most codes and
    identifiers) need no trimming: the copied bytes are the string data as they are, blank
    rows become NULL slots (Arrow lets a NULL slot span bytes). Others are trimmed by Arrow.
    """
    f = spec.field
    n, width = raw.shape
    filled = (raw[:, 0] != SPACE) & (raw[:, -1] != SPACE)  # nothing to trim
    trimmed: pa.Array | None = None
    if filled.all():
        blank = None
        validity, nulls = None, 0
    else:
        blank = raw.reshape(-1).view(np.dtype((np.void, width))) == np.void(b" " * width)
        if blank.all():
            return pa.nulls(n, pa.string()), None
        if not (filled | blank).all():
            blank = None
            arr = pa.Array.from_buffers(pa.string(), n, [None, _fixed_offsets(n, width), raw_buf])
            # ascii_trim_whitespace (much faster) also strips TAB/VT/FF/CR; `exact_trim` is set
            # when the chunk contains such bytes, and then only spaces are trimmed.
            trimmed = pc.ascii_trim(arr, " ") if exact_trim else pc.ascii_trim_whitespace(arr)
        validity, nulls = (None, 0) if blank is None else _validity(~blank)
    if trimmed is None:
        obuf, dbuf = _fixed_offsets(n, width), raw_buf
        offs = np.frombuffer(obuf, dtype=np.int32, count=n + 1)
        data = raw.reshape(-1)
    else:
        _, obuf, dbuf = trimmed.buffers()
        assert obuf is not None and dbuf is not None and trimmed.offset == 0
        offs = np.frombuffer(obuf, dtype=np.int32, count=n + 1)
        data = np.frombuffer(dbuf, dtype=np.uint8, count=int(offs[-1]))
        validity, nulls = _validity(offs[1:] != offs[:-1])
    if f.kind == "digits" and data.size:
        nondigit = (data - np.uint8(ZERO)) > 9
        if blank is not None:  # the bytes of NULL slots are spaces, not digits
            nondigit &= np.repeat(~blank, width)
        if nondigit.any():
            row = int(np.searchsorted(offs, int(np.argmax(nondigit)), side="right")) - 1
            return pa.nulls(n, pa.string()), row
    if not ascii_only and data.size and int(data.max()) >= 0x80:
        offs, data = _latin1_to_utf8(offs, data)
        obuf, dbuf = pa.py_buffer(offs), pa.py_buffer(data)
    elif trimmed is not None and nulls == 0:
        return trimmed, None
    return pa.Array.from_buffers(pa.string(), n, [validity, obuf, dbuf], null_count=nulls), None


_Bad = tuple[int, int, str, str]  # (row in chunk, field order, field name, reason)

_E18 = 10**18
_E18_HI, _E18_LO = np.uint64(_E18 >> 32), np.uint64(_E18 & 0xFFFFFFFF)


def _first_true(mask: np.ndarray) -> int | None:
    return int(np.argmax(mask)) if mask.any() else None


def _group_rows(block: np.ndarray, fields: list[Field]) -> np.ndarray:
    """Fields of one length, side by side and transposed: (length, k * n).

    Column j * n + i is record i's field j; each character position is a contiguous row, so
    the checks below are long vector operations (one pass for all fields of the group).
    """
    n, k, width = block.shape[0], len(fields), fields[0].length
    packed = np.empty((k, n), dtype=np.dtype((np.void, width)))
    for j, f in enumerate(fields):
        packed[j] = _field_view(block, f)
    return np.ascontiguousarray(packed.reshape(-1).view(np.uint8).reshape(k * n, width).T)


def _errors(specs: list[_Spec], bad: np.ndarray, n: int, calendar: bool = False
            ) -> list[_Bad]:
    """The first bad record of each field of a group (`bad` has k * n entries)."""
    out: list[_Bad] = []
    if bad.any():
        for j, row in enumerate(bad.reshape(len(specs), n)):
            first = _first_true(row)
            if first is not None:
                f = specs[j].field
                reason = (
                    f"not a real calendar date YYYY-MM-DD (positions {f.start}-{f.end})"
                    if calendar
                    else specs[j].reason
                )
                out.append((first, specs[j].order, f.name, reason))
    return out


def _digit_value(digits: np.ndarray) -> np.ndarray:
    """Rows of single digits (k, N), k <= 18 -> the int64 number they spell, per column."""
    acc = np.zeros(digits.shape[1], dtype=np.int64)
    for row in digits:
        np.multiply(acc, 10, out=acc)
        np.add(acc, row, out=acc)
    return acc


def _decimals(block: np.ndarray, specs: list[_Spec]) -> tuple[list[pa.Array], list[_Bad]]:
    """Signed explicit-point amounts `-9(m).9..9` (one length and scale), exact decimal128.

    The sign position comes first (`-` or blank); the integer part may be zero- or
    space-padded, in which case the `-` may float right before the first digit. All-blank is
    NULL. Where the layout gives the integer part one digit more than the positions after the
    sign (CCLF6 `-9(14).99` in 17 characters), the sign position may hold that digit. The
    value is assembled as an exact integer (two 64-bit words beyond 18 digits), never
    through floating point.
    """
    f0 = specs[0].field
    assert f0.scale is not None and f0.precision is not None
    n = block.shape[0]
    s, m = f0.scale, f0.length - f0.scale - 2  # digits after the point, positions after sign
    digit_in_sign = f0.precision >= m + 1 + s
    rows = _group_rows(block, [spec.field for spec in specs])  # (length, k * n)
    blank = (rows == SPACE).all(axis=0)
    digits = rows - np.uint8(ZERO)  # 0-9 for digits, anything else is > 9
    head, head_digits = rows[: m + 1], digits[: m + 1]  # sign position and integer part
    frac_digits = digits[m + 2 :]
    is_digit = head_digits <= 9
    is_minus = head == MINUS
    bad = (~is_digit & (head != SPACE) & ~is_minus).any(axis=0)
    if not digit_in_sign:
        bad |= is_digit[0]
    bad |= (is_digit[:-1] & ~is_digit[1:]).any(axis=0)  # digits run up to the point
    if m > 1:  # past the sign position, a '-' leads the digits (floats)
        bad |= (is_minus[1:-1] & ~is_digit[2:]).any(axis=0)
    minus = is_minus.sum(axis=0, dtype=np.int16)
    bad |= minus > 1
    bad |= rows[m + 1] != POINT
    bad |= (frac_digits > 9).any(axis=0)
    bad &= ~blank
    errors = _errors(specs, bad, n)
    if errors:
        return [], errors
    negative = minus == 1
    np.multiply(head_digits, is_digit, out=head_digits)  # spaces and sign count as 0
    number = np.concatenate((head_digits[0 if digit_in_sign else 1 :], frac_digits))
    p = number.shape[0]
    total = number.shape[1]
    value_buf = pa.allocate_buffer(16 * total)
    value = np.frombuffer(value_buf, dtype=np.int64).reshape(total, 2)
    if p <= 18:
        v = _digit_value(number)
        np.negative(v, out=v, where=negative)
        value[:, 0] = v
        value[:, 1] = v >> 63
    else:  # more than 18 digits: magnitude = hi * 10**18 + lo, as two 64-bit words
        if p > 27:  # pragma: no cover - CCLF amounts have at most 23 digit positions
            raise ValueError(f"{f0.name}: {p} digits not supported")
        hi = _digit_value(number[: p - 18]).astype(np.uint64)  # < 10**9 < 2**32
        lo = _digit_value(number[p - 18 :]).astype(np.uint64)
        # hi * 10**18 from 32-bit partial products: 10**18 = E18_HI * 2**32 + E18_LO
        hi_lo = hi * _E18_LO  # < 2**64
        hi_hi = hi * _E18_HI  # < 2**60
        low = (hi_hi << np.uint64(32)) + hi_lo
        high = (hi_hi >> np.uint64(32)) + (low < hi_lo)
        low2 = low + lo
        high += low2 < low
        # two's complement of the 128-bit value where negative
        neg_low = ~low2 + np.uint64(1)
        neg_high = ~high + (low2 == 0)
        value[:, 0] = np.where(negative, neg_low, low2).view(np.int64)
        value[:, 1] = np.where(negative, neg_high, high).view(np.int64)
    arrays = []
    for j, spec in enumerate(specs):
        validity, nulls = _validity(~blank[j * n : (j + 1) * n])
        data = value_buf.slice(16 * n * j, 16 * n)
        arrays.append(
            pa.Array.from_buffers(spec.field.arrow_type, n, [validity, data], null_count=nulls)
        )
    return arrays, []


@cache
def _month_table() -> tuple[np.ndarray, np.ndarray]:
    """Per month of years 0000-9999, indexed by year * 12 + month - 1: the days from
    1970-01-01 to its first day (int32) and its length in days (uint8; 0 in the year 0,
    which the proleptic Gregorian calendar of dates has not)."""
    months = np.arange(-1970 * 12, (10000 - 1970) * 12 + 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]").astype(np.int64)
    length = np.diff(first).astype(np.uint8)
    length[:12] = 0
    return first[:-1].astype(np.int32), length


_SENTINEL_LOW = 1000 * 12  # 1000-01-01: month index and day
_SENTINEL_HIGH = 9999 * 12 + 11  # 9999-12-31


def _dates(block: np.ndarray, specs: list[_Spec]) -> tuple[list[pa.Array], list[_Bad]]:
    """`YYYY-MM-DD` -> date32; blank and the sentinels 1000-01-01/9999-12-31 -> NULL.

    A date must exist in the calendar (2023-02-29 does not). Days are looked up per month
    (`_month_table`), which also validates the day of the month and leap years.
    """
    n = block.shape[0]
    first_day, month_length = _month_table()
    rows = _group_rows(block, [spec.field for spec in specs])  # (10, k * n)
    blank = (rows == SPACE).all(axis=0)
    d = rows - np.uint8(ZERO)  # digits 0-9, anything else > 9
    shape_bad = (d[0:4] > 9).any(axis=0) | (d[5:7] > 9).any(axis=0) | (d[8:10] > 9).any(axis=0)
    shape_bad |= (rows[4] != MINUS) | (rows[7] != MINUS)
    shape_bad &= ~blank
    month = d[5] * np.uint8(10) + d[6]
    day = d[8] * np.uint8(10) + d[9]
    index = (d[0] * np.uint8(10) + d[1]).astype(np.int32)  # century
    index *= 100
    index += d[2] * np.uint8(10) + d[3]
    index *= 12
    index += month
    index -= 1
    np.clip(index, 0, len(month_length) - 1, out=index)  # rows failing the shape check
    length = month_length[index]
    calendar_bad = (month < 1) | (month > 12) | (day < 1) | (day > length)
    calendar_bad &= ~(shape_bad | blank)
    errors = _errors(specs, shape_bad, n) + _errors(specs, calendar_bad, n, calendar=True)
    if errors:
        return [], errors
    null = blank | ((index == _SENTINEL_LOW) & (day == 1))
    null |= (index == _SENTINEL_HIGH) & (day == 31)
    days_buf = pa.allocate_buffer(4 * null.size)
    days = np.frombuffer(days_buf, dtype=np.int32)
    np.take(first_day, index, out=days)
    days += day
    days -= 1
    np.copyto(days, 0, where=null)
    arrays = []
    for j in range(len(specs)):
        validity, nulls = _validity(~null[j * n : (j + 1) * n])
        data = days_buf.slice(4 * n * j, 4 * n)
        arrays.append(pa.Array.from_buffers(pa.date32(), n, [validity, data], null_count=nulls))
    return arrays, []


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to decode one layout into the lake schema: fields grouped for batched decoding."""

    schema: pa.Schema
    strings: tuple[_Spec, ...]
    decimal_groups: tuple[tuple[_Spec, ...], ...]
    dates: tuple[_Spec, ...]
    missing: tuple[Field, ...]
    source_file: str
    delivery_days: int


def _plan(layout: Layout, file_type: str, source_file: str, delivery_date: date) -> _Plan:
    specs = _specs(layout, file_type)
    present = [s for s in specs if isinstance(s, _Spec)]
    groups: dict[tuple[int, int | None, int | None], list[_Spec]] = {}
    for spec in present:
        f = spec.field
        if f.kind == "decimal":
            groups.setdefault((f.length, f.scale, f.precision), []).append(spec)
    return _Plan(
        schema=lake_schema(file_type),
        strings=tuple(s for s in present if s.field.kind in ("text", "digits")),
        decimal_groups=tuple(tuple(g) for g in groups.values()),
        dates=tuple(s for s in present if s.field.kind == "date"),
        missing=tuple(s for s in specs if isinstance(s, Field)),
        source_file=source_file,
        delivery_days=(delivery_date - date(1970, 1, 1)).days,
    )


def _decode(block: np.ndarray, first_line: int, clean: bool, plan: _Plan, file_name: str
            ) -> pa.Table:
    """Decode a framed chunk into a table of the lake schema; raise on the first bad record.

    `clean` says the records contain no control bytes besides their line ends.
    """
    n = block.shape[0]
    ascii_only = bool(block.max(initial=0) < 0x80)
    columns: dict[str, pa.Array] = {}
    bad: list[_Bad] = []
    copies = _fields_bytes(block, [spec.field for spec in plan.strings])
    for spec, (raw_buf, raw) in zip(plan.strings, copies, strict=True):
        arr, row = _strings(raw_buf, raw, spec, not clean, ascii_only)
        if row is not None:
            bad.append((row, spec.order, spec.field.name, spec.reason))
        columns[spec.field.name] = arr
    batches = [(_decimals, list(g)) for g in plan.decimal_groups]
    if plan.dates:
        batches.append((_dates, list(plan.dates)))
    for decode, specs in batches:
        arrays, errors = decode(block, specs)
        bad += errors
        columns.update(zip((s.field.name for s in specs), arrays, strict=False))
    if bad:
        row, _, name, reason = min(bad)
        raise RecordFormatError(file_name, first_line + row, name, reason)
    for f in plan.missing:
        columns[f.name] = pa.nulls(n, f.arrow_type)
    columns["source_file"] = pa.repeat(pa.scalar(plan.source_file, pa.string()), n)
    columns["line_number"] = pa.array(np.arange(first_line, first_line + n, dtype=np.int64))
    columns["delivery_date"] = pa.repeat(pa.scalar(plan.delivery_days, pa.date32()), n)
    return pa.Table.from_arrays([columns[name] for name in plan.schema.names], schema=plan.schema)


# ---------------------------------------------------------------------------------------------
# Framing: chunks of whole records, validated line ends, exact first bad line.


@dataclass(frozen=True, slots=True)
class _BadLine:
    index: int  # 0-based line within the examined buffer
    length: int | None  # content length (without line end), None if longer than examined
    note: str = ""


def _first_bad_line(buf: bytes, record_length: int, crlf: bool, eof: bool) -> _BadLine | None:
    """The first line of `buf` (which starts at a line start) whose length is wrong."""
    a = np.frombuffer(buf, dtype=np.uint8)
    lf = np.flatnonzero(a == LF)
    starts = np.concatenate(([0], lf + 1))
    lengths = lf - starts[:-1]
    ends_cr = (lengths > 0) & (a[np.maximum(lf - 1, 0)] == CR)
    if crlf:
        content = lengths - ends_cr
        wrong = (content != record_length) | ~ends_cr
    else:
        content = lengths
        wrong = content != record_length
    if wrong.any():
        i = int(np.argmax(wrong))
        note = ""
        if crlf and not ends_cr[i]:
            note = " (the line ends with LF, line 1 with CRLF)"
        elif not crlf and ends_cr[i]:
            note = " (counting a CR: the line ends with CRLF, line 1 with LF)"
        return _BadLine(i, int(content[i]), note)
    rest = len(buf) - int(starts[-1])
    if rest == 0:
        return None
    if eof:
        length = rest - 1 if crlf and buf[-1] == CR else rest
        if length == record_length:
            return None
        return _BadLine(len(lf), length, " (the last line)")
    if rest < record_length + (2 if crlf else 1):  # a whole stride without LF is overlong
        return None  # an incomplete line: not decidable yet
    return _BadLine(len(lf), None)


_SCAN_STEP = 1 << 20


def _count_controls(flat: np.ndarray) -> int:
    """Number of bytes below 0x20 (in slices, to keep the temporary small)."""
    scratch = np.empty(min(_SCAN_STEP, flat.size), dtype=bool)
    total = 0
    for i in range(0, flat.size, _SCAN_STEP):
        part = flat[i : i + _SCAN_STEP]
        mask = scratch[: part.size]
        np.less(part, SPACE, out=mask)
        total += int(np.count_nonzero(mask))
    return total


class _Reader:
    """Reads a stream ahead in a thread, in pieces: a zip member is inflated (zlib releases
    the GIL) while the previous chunk is decoded. At most `depth` pieces wait."""

    def __init__(self, stream: _Readable, piece: int, depth: int) -> None:
        self._stream = stream
        self._piece = piece
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, name="fixed-width-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                data = self._stream.read(self._piece)
                if not self._put(data or b"") or not data:
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)

    def _put(self, item: bytes | BaseException) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read(self) -> bytes:
        """The next piece; b"" at the end of the stream. Raises what reading raised."""
        if self._done:
            return b""
        item = self._queue.get()
        if isinstance(item, BaseException):
            self._done = True
            raise item
        if not item:
            self._done = True
        return item

    def close(self) -> None:
        """Stop reading ahead; returns once the thread no longer touches the stream."""
        self._stop.set()
        self._thread.join()


class _Records:
    """Iterates over a stream in chunks of whole, framed records as 2-D uint8 arrays.

    Each block is a view of a buffer that is reused for the next chunk: use it before asking
    for the next one. Close the iterator when stopping early (it stops the reader thread).
    """

    def __init__(
        self, stream: _Readable, record_length: int, chunk_bytes: int, file_name: str
    ) -> None:
        self.stream = stream
        self.length = record_length
        chunk = max(1, min(chunk_bytes, _MAX_CHUNK_BYTES))
        self.capacity = (chunk // (record_length + 1) + 1) * (record_length + 2)
        self.file_name = file_name
        self.bytes_read = 0
        self.eof = False
        self.crlf: bool | None = None
        self._pending = memoryview(b"")

    def _piece(self, reader: _Reader) -> memoryview:
        """Unconsumed bytes of the last piece read, or the next piece (empty at the end)."""
        if not self._pending:
            piece = reader.read()
            self.bytes_read += len(piece)
            self._pending = memoryview(piece)
        return self._pending

    def _fill(self, reader: _Reader, buf: bytearray, have: int) -> int:
        """Read into `buf[have:]` until it is full or the stream ends; the new fill level."""
        with memoryview(buf) as view:
            while have < len(buf):
                piece = self._piece(reader)
                if not piece:
                    self.eof = True
                    break
                take = min(len(piece), len(buf) - have)
                view[have : have + take] = piece[:take]
                self._pending = piece[take:]
                have += take
        return have

    def _error(self, line: int, bad: _BadLine) -> RecordFormatError:
        actual = f"{bad.length}" if bad.length is not None else f"more than {self.length}"
        return RecordFormatError(
            self.file_name,
            line,
            None,
            f"record length {actual}, expected {self.length}{bad.note}",
        )

    def _locate(self, reader: _Reader, buf: bytes, first_line: int
                ) -> tuple[int, RecordFormatError]:
        """Index (within buf) and error of the first malformed line.

        A line longer than the rest of the chunk is followed into the stream (at most
        `_OVERLONG_PROBE_BYTES` further) to report its length.
        """
        assert self.crlf is not None
        bad = _first_bad_line(buf, self.length, self.crlf, self.eof)
        probed = 0
        while bad is not None and bad.length is None and probed < _OVERLONG_PROBE_BYTES:
            more = bytes(self._piece(reader))
            self._pending = memoryview(b"")
            probed += len(more)
            self.eof = not more
            buf += more
            bad = _first_bad_line(buf, self.length, self.crlf, self.eof)
            if self.eof:
                break
        if bad is None:  # pragma: no cover - the framing check failed, so some line is bad
            raise AssertionError("framing check failed but no malformed line was found")
        return bad.index, self._error(first_line + bad.index, bad)

    def __iter__(self) -> Generator[tuple[np.ndarray, int, bool], None, None]:
        """Yields (block, first line number, clean); raises RecordFormatError at a bad line.

        `clean`: the block holds no control bytes besides its line ends.
        """
        piece = min(self.capacity, _PIECE_BYTES)
        reader = _Reader(self.stream, piece, depth=max(1, self.capacity // piece))
        try:
            yield from self._blocks(reader)
        finally:
            reader.close()

    def _blocks(self, reader: _Reader) -> Iterator[tuple[np.ndarray, int, bool]]:
        length = self.length
        line = 1
        # start small (most CCLF files are small) and grow to the chunk size
        buf = bytearray(min(self.capacity, _FIRST_READ_BYTES + 2 * (length + 2)))
        have = self._fill(reader, buf, 0)
        self.crlf = bytes(buf[length : length + 2]) == b"\r\n" and have >= length + 2
        term = 2 if self.crlf else 1
        stride = length + term
        while True:
            n = have // stride
            if n:
                end = n * stride
                block = np.frombuffer(buf, dtype=np.uint8, count=end).reshape(n, stride)
                framed, clean = self._framed(buf, block, term)
                if not framed:
                    index, error = self._locate(reader, bytes(buf[:have]), line)
                    if index:
                        yield block[:index], line, False
                    raise error
                yield block, line, clean
                del block
                line += n
                buf[: have - end] = buf[end:have]
                have -= end
            if self.eof:
                break
            if len(buf) < self.capacity:
                grown = bytearray(self.capacity)
                grown[:have] = buf[:have]
                buf = grown
            have = self._fill(reader, buf, have)
        if have:
            tail = bytes(buf[:have])
            bad = _first_bad_line(tail, length, self.crlf, eof=True)
            if bad is not None:
                raise self._error(line + bad.index, bad)
            record = tail[:length] + (b"\r\n" if self.crlf else b"\n")
            block = np.frombuffer(record, dtype=np.uint8).reshape(1, stride)
            yield block, line, _count_controls(block.reshape(-1)) == term

    @staticmethod
    def _framed(buf: bytearray, block: np.ndarray, term: int) -> tuple[bool, bool]:
        """(every record ends with the line end and holds no other LF, no other control byte)."""
        n, stride = block.shape
        if not (block[:, -1] == LF).all():
            return False, False
        if term == 2 and not (block[:, -2] == CR).all():
            return False, False
        if _count_controls(block.reshape(-1)) == n * term:
            return True, True
        return buf.count(b"\n", 0, n * stride) == n, False


# ---------------------------------------------------------------------------------------------


def _open_writer(out_path: Path, plan: _Plan) -> pq.ParquetWriter:
    schema = plan.schema
    specs = [*plan.strings, *plan.dates, *(s for g in plan.decimal_groups for s in g)]
    dictionary = [s.field.name for s in specs if s.dictionary]
    dictionary += ["source_file", "delivery_date"]
    # min/max statistics on free text cost a string comparison per value and prune nothing
    statistics = [f.name for f in schema if f.type != pa.string()]
    return pq.ParquetWriter(
        out_path,
        schema,
        compression=PARQUET_COMPRESSION,
        compression_level=PARQUET_COMPRESSION_LEVEL if PARQUET_COMPRESSION == "zstd" else None,
        use_dictionary=dictionary,
        write_statistics=statistics,
    )


def parse_to_parquet(
    stream: BinaryIO,
    out_path: Path,
    *,
    file_type: str,
    record_length: int,
    source_file: str,
    delivery_date: date,
    chunk_bytes: int = 32 * 2**20,
    progress: Callable[[int], None] | None = None,
) -> ParseResult:
    """Parse a fixed-width CCLF data file from `stream` into one Parquet file at `out_path`.

    The output has the schema `lake_schema(file_type)`: the stored fields of the newest
    layout (fields an older, shorter layout lacks are NULL), then `source_file`,
    `line_number` (1-based) and `delivery_date`. `stream` is read in chunks of about
    `chunk_bytes` (any object with `.read(n)`, e.g. a zip member). `progress`, if given, is
    called after each chunk with the number of bytes read since its previous call (so the
    calls add up to `bytes_read`, and one progress bar can span several files). On any
    error the partial output is removed before the exception propagates; the caller
    publishes `out_path`.
    """
    layout = layout_for(file_type, record_length, source_file)
    plan = _plan(layout, file_type, source_file, delivery_date)
    ending = _Ending(stream)
    records = _Records(ending, record_length, chunk_bytes, source_file)
    rows = reported = 0
    out_path = Path(out_path)
    writer = _open_writer(out_path, plan)
    # one thread writes chunk k (Arrow releases the GIL) while this one decodes chunk k + 1
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet-writer")
    pending: Future[None] | None = None
    blocks = iter(records)
    try:
        for block, first_line, clean in blocks:
            table = _decode(block, first_line, clean, plan, source_file)
            del block
            if pending is not None:
                pending.result()
            pending = pool.submit(writer.write_table, table)
            rows += table.num_rows
            del table
            if progress is not None and records.bytes_read > reported:
                progress(records.bytes_read - reported)
                reported = records.bytes_read
        if pending is not None:
            pending.result()
        writer.close()
        bytes_read = records.bytes_read + ending.dropped
        if progress is not None and bytes_read > reported:
            progress(bytes_read - reported)
    except BaseException:
        if pending is not None:
            with contextlib.suppress(BaseException):
                pending.result()  # let the writer finish before closing it under its feet
        with contextlib.suppress(Exception):
            writer.close()
        out_path.unlink(missing_ok=True)
        raise
    finally:
        blocks.close()  # stops the reader thread
        pool.shutdown(wait=True)
    return ParseResult(
        rows=rows,
        bytes_read=bytes_read,
        record_length=record_length,
        layout_name=layout.name,
        ending=ending.ending,
    )
