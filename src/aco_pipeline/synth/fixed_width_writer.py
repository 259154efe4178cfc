"""Vectorised fixed-width encoder for CCLF records (the inverse of the lake parser).

Formats follow CCLF IP v40 Appendix B (notes for all tables):
- `X(n)` text: left-justified, space-padded.
- `9(n)` digits: right-justified, zero-padded.
- amounts `-9(m).99` / `-9(m).9999`: first character is the sign position (`-` when negative,
  blank otherwise), then zero-padded digits with an explicit decimal point. The CCLF5 amounts
  printed as `X(15)`/`X(17)` are written the same way (their precision/scale come from the
  layout CSV).
- dates `YYYY-MM-DD`; where a date is absent the field holds the sentinel that field uses
  (`1000-01-01` / `9999-12-31`, IP v40 3.6) or blanks.

Input conventions (kept simple so the parser's output can be fed back in):
- text and digits: `str` or `bytes` numpy arrays (digits may also be integer arrays);
  a Python scalar broadcasts to every row; an absent column is written as blanks.
- decimals: integer minor units in int64 (cents for scale 2, 1/10000 for scale 4);
  `NULL_AMOUNT` in a row writes blanks.
- dates: numpy `datetime64[D]`; `NaT` writes the field's null text (see `null_date_text`).

Every field is formatted column-wise into an `(n, width)` uint8 block; nothing formats a
field per row in Python. Values that do not fit raise `FieldOverflow`, never truncate.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np

from aco_pipeline.errors import AcoError
from aco_pipeline.layouts import Field, Layout

NULL_AMOUNT = np.iinfo(np.int64).min
"""An int64 amount that means "leave this amount blank"."""

SPACE = 32
NEWLINE = 10

_END_MARKERS = ("_end_dt", "thru_dt", "obslt_dt", "death_dt")
_FROM_MARKERS = ("_bgn_dt", "from_dt", "efctv_dt", "enrlmt_bgn_dt", "actv_care_from_dt")


class FieldOverflow(AcoError, ValueError):
    """A value does not fit its fixed-width field (never truncated silently)."""

    def __init__(self, layout: str, field: str, width: int, detail: str) -> None:
        super().__init__(f"{layout}.{field} (width {width}): {detail}")


def null_date_text(field_name: str) -> str:
    """What an absent date is written as (IP v40 3.6: sentinels mean missing).

    Open-ended end dates (`*_end_dt`, through dates, obsolete dates, death date) get
    `9999-12-31`; from-type dates (begin, from, effective) get `1000-01-01`; any other
    date is left blank (IP v40 Appendix B: fields with no data are blank).
    """
    if field_name.endswith(_END_MARKERS):
        return "9999-12-31"
    if field_name.endswith(_FROM_MARKERS):
        return "1000-01-01"
    return ""


def _as_rows(value: Any, n: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return np.broadcast_to(arr, (n,))
    if arr.shape != (n,):
        raise ValueError(f"column has shape {arr.shape}, expected ({n},)")
    return arr


def _text_block(layout: Layout, f: Field, value: Any, n: int, *, right: bool = False,
                pad: int = SPACE) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim == 0:  # constant column: format once, broadcast
        one = _text_block(layout, f, arr.reshape(1), 1, right=right, pad=pad)
        return np.broadcast_to(one, (n, f.length))
    arr = _as_rows(arr, n)
    if arr.dtype.kind == "U":
        try:
            arr = arr.astype(f"S{max(arr.dtype.itemsize // 4, 1)}")
        except UnicodeEncodeError as exc:
            raise FieldOverflow(layout.name, f.name, f.length, "non-ASCII text") from exc
    elif arr.dtype.kind == "O":
        arr = np.array([str(v).encode("ascii") for v in arr], dtype="S")
    elif arr.dtype.kind == "S":
        arr = np.ascontiguousarray(arr)
        if n and arr.dtype.itemsize and int(arr.view(np.uint8).max()) > 127:
            raise FieldOverflow(layout.name, f.name, f.length, "non-ASCII text")
    else:
        raise TypeError(f"{layout.name}.{f.name}: text expects str/bytes, got {arr.dtype}")
    if arr.dtype.itemsize > f.length:
        lens = np.strings.str_len(arr)
        if n and int(lens.max()) > f.length:
            i = int(np.argmax(lens))
            raise FieldOverflow(layout.name, f.name, f.length,
                                f"value of length {int(lens[i])} at row {i}")
    fixed = arr.astype(f"S{f.length}")  # a fresh, padded copy
    block = fixed.view(np.uint8).reshape(n, f.length)
    if not right:
        block[block == 0] = pad
        return block
    # right-justify: shift each row by its pad count
    lens = np.strings.str_len(fixed).astype(np.int64)
    out = np.full((n, f.length), pad, dtype=np.uint8)
    cols = np.arange(f.length)
    src = cols[None, :] - (f.length - lens)[:, None]
    ok = src >= 0
    rows = np.broadcast_to(np.arange(n)[:, None], (n, f.length))
    out[ok] = block[rows[ok], src[ok]]
    return out


@cache
def _digit_table() -> np.ndarray:
    """(10000, 4) ASCII digits of 0000..9999, to format four digits per gather."""
    v = np.arange(10000)
    return np.stack([(v // 1000) % 10, (v // 100) % 10, (v // 10) % 10, v % 10],
                    axis=1).astype(np.uint8) + 48


def _uint_digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded ASCII digits of non-negative integers, (n, width)."""
    n = values.shape[0]
    groups = -(-width // 4)
    out = np.empty((n, groups * 4), dtype=np.uint8)
    rest = values.astype(np.int64)
    table = _digit_table()
    for g in range(groups - 1, -1, -1):
        if g < groups - 1 and not rest.any():  # only leading zeros left
            out[:, : (g + 1) * 4] = 48
            break
        rest, low = np.divmod(rest, 10000)
        out[:, g * 4:(g + 1) * 4] = table[low]
    return out[:, groups * 4 - width:]


def _digits_block(layout: Layout, f: Field, value: Any, n: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind in "iu":
        arr = _as_rows(arr, n)
        if n and (int(arr.min()) < 0 or int(arr.max()) >= 10 ** f.length):
            raise FieldOverflow(layout.name, f.name, f.length,
                                f"integer out of range 0..{10 ** f.length - 1}")
        return _uint_digits(arr, f.length)
    block = _text_block(layout, f, value, n, right=True, pad=48)
    # empty strings mean "not available": blank, not zeros (IP v40 App. B notes)
    arr_s = np.asarray(value)
    if arr_s.ndim == 0:
        if str(arr_s.item() if arr_s.dtype.kind != "S" else arr_s.item().decode()) == "":
            return np.broadcast_to(np.full((1, f.length), SPACE, np.uint8), (n, f.length))
    else:
        empty = np.strings.str_len(arr_s) == 0
        if empty.any():
            block = np.array(block)
            block[empty] = SPACE
    bad = (block != SPACE) & ((block < 48) | (block > 57))
    if bad.any():
        i = int(np.argwhere(bad)[0][0])
        raise FieldOverflow(layout.name, f.name, f.length, f"non-digit text at row {i}")
    return block


def _decimal_block(layout: Layout, f: Field, value: Any, n: int) -> np.ndarray:
    scale = f.scale if f.scale is not None else 2
    int_digits = f.length - 2 - scale  # sign position + decimal point
    if int_digits < 1:
        raise ValueError(f"{layout.name}.{f.name}: width {f.length} cannot hold scale {scale}")
    arr = _as_rows(np.asarray(value), n)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{layout.name}.{f.name}: amounts are integer minor units, "
                        f"got {arr.dtype}")
    arr = arr.astype(np.int64)
    null = arr == NULL_AMOUNT
    safe = np.where(null, 0, arr)
    neg = safe < 0
    mag = np.abs(safe)
    limit = 10 ** (int_digits + scale)
    if n and limit <= np.iinfo(np.int64).max and int(mag.max()) >= limit:
        raise FieldOverflow(layout.name, f.name, f.length,
                            f"amount exceeds {int_digits} integer digits")
    digits = _uint_digits(mag, int_digits + scale)
    out = np.empty((n, f.length), dtype=np.uint8)
    out[:, 0] = np.where(neg, ord("-"), SPACE)
    out[:, 1:1 + int_digits] = digits[:, :int_digits]
    out[:, 1 + int_digits] = ord(".")
    out[:, 2 + int_digits:] = digits[:, int_digits:]
    if null.any():
        out[null] = SPACE
    return out


def _date_block(layout: Layout, f: Field, value: Any, n: int,
                null_text: str | None) -> np.ndarray:
    arr = _as_rows(np.asarray(value), n)
    if arr.dtype.kind != "M":
        raise TypeError(f"{layout.name}.{f.name}: dates are datetime64[D], got {arr.dtype}")
    arr = arr.astype("datetime64[D]")
    nat = np.isnat(arr)
    text = null_date_text(f.name) if null_text is None else null_text
    if len(text) not in (0, f.length):
        raise FieldOverflow(layout.name, f.name, f.length, f"null text {text!r}")
    null_row = np.frombuffer(text.ljust(f.length).encode("ascii"), dtype=np.uint8)
    out = np.empty((n, f.length), dtype=np.uint8)
    if nat.all():
        out[:] = null_row
        return out
    days = arr.view(np.int64)
    lo = int(days[~nat].min())
    hi = int(days[~nat].max())
    # a lookup table over the date range present: one gather instead of per-row formatting
    span = np.arange(lo, hi + 1).astype("datetime64[D]")
    years = span.astype("datetime64[Y]").astype(np.int64) + 1970
    if years.min() < 0 or years.max() > 9999:
        raise FieldOverflow(layout.name, f.name, f.length, "year outside 0000-9999")
    months = span.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mdays = (span - span.astype("datetime64[M]")).astype(np.int64) + 1
    table = np.empty((span.shape[0], 10), dtype=np.uint8)
    table[:, 0:4] = _uint_digits(years, 4)
    table[:, 4] = ord("-")
    table[:, 5:7] = _uint_digits(months, 2)
    table[:, 7] = ord("-")
    table[:, 8:10] = _uint_digits(mdays, 2)
    idx = np.where(nat, 0, days - lo)
    out[:] = table[idx]
    if nat.any():
        out[nat] = null_row
    return out


def encode_block(layout: Layout, columns: Mapping[str, Any], n: int,
                 null_dates: Mapping[str, str] | None = None) -> np.ndarray:
    """Encode `n` records as a `(n, record_length + 1)` uint8 array ending in LF.

    `columns` maps lowercase field names to column arrays (or scalars); fields without a
    column are blank. Unknown column names raise, so a typo cannot silently blank a field.
    `null_dates` overrides `null_date_text` per field.
    """
    names = {f.name for f in layout.fields}
    unknown = set(columns) - names
    if unknown:
        raise KeyError(f"{layout.name} has no field(s) {sorted(unknown)}")
    width = layout.record_length
    out = np.full((n, width + 1), SPACE, dtype=np.uint8)
    out[:, width] = NEWLINE
    nulls = null_dates or {}
    for f in layout.fields:
        if f.name not in columns:
            continue
        value = columns[f.name]
        if f.kind == "text":
            block = _text_block(layout, f, value, n)
        elif f.kind == "digits":
            block = _digits_block(layout, f, value, n)
        elif f.kind == "decimal":
            block = _decimal_block(layout, f, value, n)
        elif f.kind == "date":
            block = _date_block(layout, f, value, n, nulls.get(f.name))
        else:  # pragma: no cover - layout CSV is validated by its own tests
            raise ValueError(f"{layout.name}.{f.name}: unknown kind {f.kind!r}")
        out[:, f.offset:f.end] = block
    return out


def encode(layout: Layout, columns: Mapping[str, Any], n: int,
           null_dates: Mapping[str, str] | None = None) -> bytes:
    """Encode `n` records to bytes: each exactly `record_length` characters plus LF."""
    return encode_block(layout, columns, n, null_dates).tobytes()
