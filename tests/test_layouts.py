"""Layouts as data: every layout tiles its record exactly and matches the reference."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest

from aco_pipeline.layouts import (
    CLAIM_FILE_TYPES,
    UnknownRecordLength,
    current_layout,
    known_lengths,
    lake_schema,
    layout_fields,
    layout_for,
    stored_fields,
)

V40_LENGTHS = {"CCLF1": 437, "CCLF2": 199, "CCLF3": 114, "CCLF4": 112, "CCLF5": 388,
               "CCLF6": 247, "CCLF7": 230, "CCLF8": 549, "CCLF9": 55, "CCLFA": 324,
               "CCLFB": 128}
PRE_2022 = {"CCLF1": 292, "CCLF2": 179, "CCLF3": 94, "CCLF4": 92, "CCLF5": 363, "CCLF6": 227,
            "CCLFA": 101, "CCLFB": 93}


@pytest.mark.parametrize("name", [*CLAIM_FILE_TYPES, "CCLF7_V38", "CCLF0_HDR", "CCLF0_DTL"])
def test_fields_tile_the_record(name: str) -> None:
    fields = layout_fields(name)
    position = 1
    for f in fields:
        assert f.start == position, f"{name}.{f.name} starts at {f.start}, expected {position}"
        position += f.length
    assert len({f.name for f in fields if f.name != "delimiter"}) == len(
        [f for f in fields if f.name != "delimiter"]), f"{name} repeats a field name"


@pytest.mark.parametrize("file_type", CLAIM_FILE_TYPES)
def test_current_lengths_are_ip_v40(file_type: str) -> None:
    assert current_layout(file_type).record_length == V40_LENGTHS[file_type]


@pytest.mark.parametrize(("file_type", "length"), sorted(PRE_2022.items()))
def test_pre_2022_lengths_are_prefixes(file_type: str, length: int) -> None:
    old = layout_for(file_type, length)
    new = current_layout(file_type)
    assert old.fields == new.fields[: len(old.fields)]
    assert old.fields[-1].end == length


def test_cclf7_before_v39_has_its_own_layout() -> None:
    old = layout_for("CCLF7", 195)
    assert old.name == "CCLF7_V38"
    assert old.field("clm_prsbng_prvdr_gnrc_id_num").start == 118
    new = layout_for("CCLF7", 230)
    assert new.field("clm_prsbng_prvdr_gnrc_id_num").start == 196
    assert "blank" not in {f.name for f in stored_fields("CCLF7")}


def test_unknown_length_names_file_and_length() -> None:
    with pytest.raises(UnknownRecordLength, match=r"P\.A1\.x: record length 436 .*CCLF1"):
        layout_for("CCLF1", 436, "P.A1.x")


def test_money_is_decimal_and_identifiers_are_strings() -> None:
    schema = lake_schema("CCLF5")
    assert schema.field("clm_line_cvrd_pd_amt").type == pa.decimal128(13, 2)
    assert schema.field("clm_line_alowd_chrg_amt").type == pa.decimal128(15, 2)
    assert schema.field("clm_line_srvc_unit_qty").type == pa.decimal128(22, 4)
    for name in ("cur_clm_uniq_id", "bene_mbi_id", "rndrg_prvdr_npi_num",
                 "clm_rndrg_prvdr_tax_num", "clm_line_num"):
        assert schema.field(name).type == pa.string()
    assert schema.field("clm_thru_dt").type == pa.date32()
    assert schema.names[-3:] == ["source_file", "line_number", "delivery_date"]
    for ft in CLAIM_FILE_TYPES:
        for f in lake_schema(ft):
            assert not pa.types.is_floating(f.type), f"{ft}.{f.name} is a float"


def test_every_file_type_has_lengths() -> None:
    for ft in CLAIM_FILE_TYPES:
        assert known_lengths(ft), ft


def test_package_data_agrees_with_reference(shared_reference: Path) -> None:
    rows = list(csv.DictReader((shared_reference / "cclf_layouts.csv").open(encoding="utf-8")))
    for r in rows:
        f = layout_fields(r["file_type"])[int(r["field_order"]) - 1]
        assert f.name == r["field_name"].lower()
        assert (f.start, f.length) == (int(r["start"]), int(r["length"])), r["field_name"]
    assert sum(len(layout_fields(n)) for n in {r["file_type"] for r in rows}) == len(rows)
