"""Byte-level format of everything written: lengths, LF, ASCII, CCLF0, names, zips."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from aco_pipeline import naming
from aco_pipeline.layouts import CLAIM_FILE_TYPES, current_layout

from .reader import deliveries, records


def test_every_record_has_its_layout_length_lf_and_ascii(small_run: Path) -> None:
    ds = deliveries(small_run)
    assert ds
    for d in ds:
        assert sorted(d.files) == sorted(["CCLF0", *CLAIM_FILE_TYPES])
        for ft in CLAIM_FILE_TYPES:
            data = d.files[ft]
            assert b"\r" not in data
            assert max(data, default=0) < 128, f"{d.name} {ft}: non-ASCII byte"
            width = current_layout(ft).record_length
            records(data, width)  # asserts whole records ending in LF at the layout length
            lines = data.split(b"\n")
            assert lines[-1] == b""
            assert {len(x) for x in lines[:-1]} <= {width}


def test_cclf0_reports_true_counts_and_lengths(small_run: Path) -> None:
    for d in deliveries(small_run):
        lines = d.files["CCLF0"].split(b"\n")
        assert lines[-1] == b""
        lines = lines[:-1]
        assert lines[0] == b"File Number  |File Description    |Total Records Count |Record Length"
        assert len(lines) == 12
        assert all(len(x) in (69, 70) for x in lines)
        for line in lines[1:]:
            ft = line[0:7].decode().strip()
            assert line[7:8] == line[51:52] == line[63:64] == b"|"
            count = int(line[52:63])
            length = int(line[64:69])
            width = current_layout(ft).record_length
            assert length == width
            assert count == len(d.files[ft]) // (width + 1)


def test_names_parse_as_cms_names(small_run: Path) -> None:
    kinds = set()
    for p in (small_run / "deliveries").iterdir():
        if p.is_dir():
            continue
        info = naming.parse_name(p.name)
        kinds.add(info.kind)
        assert info.entity_id == "A9999"
        if info.kind == "cclf_bundle":
            assert "." not in p.name.split(".T")[-1]  # no extension, as CMS sends it
            with zipfile.ZipFile(p) as zf:
                for m in zf.infolist():
                    inner = naming.parse_name(m.filename)
                    assert inner.kind == "cclf"
                    assert inner.delivery_id == info.delivery_id
                    assert m.compress_type == zipfile.ZIP_DEFLATED
    assert kinds == {"cclf_bundle", "alr", "bnex"}


def test_runouts_in_february_to_april_for_the_prior_year(small_run: Path) -> None:
    ds = deliveries(small_run)
    runouts = [d for d in ds if d.runout]
    assert [d.created[1:5] for d in runouts] == ["2502", "2503", "2504"]
    for d in runouts:
        assert ".ZCR24." in d.name
        for ft in ("CCLF1", "CCLF5", "CCLF6"):
            block = records(d.files[ft], current_layout(ft).record_length)
            f = current_layout(ft).field("clm_thru_dt")
            thru = block[:, f.offset:f.offset + 4].copy().view("S4").ravel()
            assert (thru == b"2024").all()
    monthly = [d for d in ds if not d.runout]
    assert len(monthly) == 8
    assert [d.name.split(".")[3] for d in monthly] == ["ZCY24"] * 3 + ["ZCY25"] * 5


def test_hicn_and_rrb_fields_blank(small_run: Path) -> None:
    for d in deliveries(small_run):
        for ft in CLAIM_FILE_TYPES:
            layout = current_layout(ft)
            block = records(d.files[ft], layout.record_length)
            for f in layout.fields:
                if f.name in ("bene_hic_num", "bene_eqtbl_bic_hicn_num", "bene_rrb_num"):
                    assert (block[:, f.offset:f.end] == 32).all(), (ft, f.name)


@pytest.mark.parametrize("ft", ["CCLF1", "CCLF5", "CCLF7", "CCLF8"])
def test_dates_are_iso_or_sentinel(small_run: Path, ft: str) -> None:
    layout = current_layout(ft)
    for d in deliveries(small_run):
        block = records(d.files[ft], layout.record_length)
        for f in layout.fields:
            if f.kind != "date":
                continue
            vals = np.unique(np.ascontiguousarray(block[:, f.offset:f.end]).view("S10").ravel())
            for v in vals:
                if v.strip():
                    np.datetime64(v.decode(), "D")  # raises if not YYYY-MM-DD


def _ref_month_end(created: str) -> np.datetime64:
    """Last day of a delivery's reference month: the month before its creation date."""
    created_month = np.datetime64(f"20{created[1:3]}-{created[3:5]}", "M")
    return (created_month).astype("datetime64[D]") - 1


def test_processing_dates_fit_the_delivery(small_run: Path) -> None:
    """IDR load dates are Mondays up to the end of the reference month (IP v40 3.4);
    effective dates never follow the load date."""
    for d in deliveries(small_run):
        limit = _ref_month_end(d.created)
        for ft in ("CCLF1", "CCLF5", "CCLF6", "CCLF7"):
            layout = current_layout(ft)
            block = records(d.files[ft], layout.record_length)
            if not block.shape[0]:
                continue
            f_ld, f_ef = layout.field("clm_idr_ld_dt"), layout.field("clm_efctv_dt")
            ld = np.ascontiguousarray(block[:, f_ld.offset:f_ld.end]).view("S10").ravel()
            ef = np.ascontiguousarray(block[:, f_ef.offset:f_ef.end]).view("S10").ravel()
            ld_d = ld.astype("U10").astype("datetime64[D]")
            ef_d = ef.astype("U10").astype("datetime64[D]")
            assert (ld_d <= limit).all(), (d.name, ft)
            assert (ef_d <= ld_d).all()
            assert ((ld_d.astype(np.int64) + 3) % 7 == 0).all(), "load dates are Mondays"
