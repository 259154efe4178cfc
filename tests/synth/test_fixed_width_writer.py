"""The vectorised fixed-width encoder: padding, signs, dates, sentinels, overflow."""

from __future__ import annotations

import numpy as np
import pytest

from aco_pipeline.layouts import current_layout
from aco_pipeline.synth.fixed_width_writer import (
    NULL_AMOUNT,
    FieldOverflow,
    encode,
    encode_block,
    null_date_text,
)


def _field(record: bytes, ft: str, name: str) -> bytes:
    f = current_layout(ft).field(name)
    return record[f.offset:f.end]


def test_text_digits_decimal_date_formats() -> None:
    cols = {
        "cur_clm_uniq_id": np.array([1234567890123, 5]),
        "bene_mbi_id": np.array(["1EG4TE5MK73", "X"]),
        "clm_type_cd": np.array(["60", "1"]),
        "clm_pmt_amt": np.array([-123456, 10000]),
        "clm_from_dt": np.array(["2024-01-31", "NaT"], dtype="datetime64[D]"),
        "clm_thru_dt": np.array(["NaT", "2024-02-29"], dtype="datetime64[D]"),
        "clm_adjsmt_type_cd": "1",
    }
    data = encode(current_layout("CCLF1"), cols, 2)
    r0, r1 = data.split(b"\n")[:2]
    assert len(r0) == len(r1) == 437
    assert _field(r0, "CCLF1", "cur_clm_uniq_id") == b"1234567890123"
    assert _field(r1, "CCLF1", "cur_clm_uniq_id") == b"0000000000005"
    assert _field(r1, "CCLF1", "bene_mbi_id") == b"X          "
    assert _field(r1, "CCLF1", "clm_type_cd") == b"01"
    assert _field(r0, "CCLF1", "clm_pmt_amt") == b"-0000000001234.56"
    assert _field(r1, "CCLF1", "clm_pmt_amt") == b" 0000000000100.00"
    assert _field(r0, "CCLF1", "clm_from_dt") == b"2024-01-31"
    assert _field(r1, "CCLF1", "clm_from_dt") == b"1000-01-01"  # from-type sentinel
    assert _field(r0, "CCLF1", "clm_thru_dt") == b"9999-12-31"  # end-type sentinel
    assert _field(r1, "CCLF1", "clm_adjsmt_type_cd") == b"1 "
    assert _field(r0, "CCLF1", "bene_hic_num") == b" " * 11  # absent column: blank
    assert data.count(b"\n") == 2 and b"\r" not in data


def test_cclf5_x15_amount_and_scale_four() -> None:
    rec = encode(current_layout("CCLF5"), {"clm_line_cvrd_pd_amt": np.array([12345]),
                                           "clm_line_srvc_unit_qty": np.array([25000])}, 1)
    assert _field(rec, "CCLF5", "clm_line_cvrd_pd_amt") == b" 00000000123.45"
    assert _field(rec, "CCLF5", "clm_line_srvc_unit_qty") == b" 000000000000000002.5000"


def test_null_amount_blank_and_bytes_input() -> None:
    rec = encode(current_layout("CCLF7"), {"clm_line_bene_pmt_amt": np.array([NULL_AMOUNT]),
                                           "bene_mbi_id": np.array([b"1EG4TE5MK73"])}, 1)
    assert _field(rec, "CCLF7", "clm_line_bene_pmt_amt") == b" " * 13
    assert _field(rec, "CCLF7", "bene_mbi_id") == b"1EG4TE5MK73"


@pytest.mark.parametrize("cols", [
    {"bene_mbi_id": np.array(["123456789012"])},  # 12 chars in X(11)
    {"bene_mbi_id": np.array(["\u00e9"])},  # non-ASCII
    {"bene_mbi_id": np.array([b"\xe9"])},  # non-ASCII bytes
    {"clm_type_cd": np.array([100])},  # 3 digits in 9(02)
    {"clm_type_cd": np.array(["6A"])},  # non-digit in 9(02)
    {"clm_pmt_amt": np.array([10**15])},  # 14 integer digits in -9(13).99
])
def test_overflow_raises_never_truncates(cols: dict[str, np.ndarray]) -> None:
    with pytest.raises(FieldOverflow):
        encode(current_layout("CCLF1"), cols, 1)


def test_unknown_column_raises() -> None:
    with pytest.raises(KeyError):
        encode(current_layout("CCLF9"), {"no_such_field": "x"}, 1)


def test_block_shape_and_newline() -> None:
    block = encode_block(current_layout("CCLF9"), {"crnt_num": np.array(["A"] * 5)}, 5)
    assert block.shape == (5, 56)
    assert (block[:, 55] == 10).all()


def test_null_date_policy() -> None:
    assert null_date_text("bene_rng_end_dt") == "9999-12-31"
    assert null_date_text("bene_death_dt") == "9999-12-31"
    assert null_date_text("bene_rng_bgn_dt") == "1000-01-01"
    assert null_date_text("clm_line_instnl_rev_ctr_dt") == ""
