"""CCLF fixed-width layouts, loaded from the package's CSV data.

The CSVs beside this module are facts derived from the CMS CCLF Information Packet v40,
Appendix B (see README.md here); this module only reads them. A layout is chosen per file
from its record length (IP v40 Appendix B; CCLF0 reports the length of every file).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pyarrow as pa

from aco_pipeline.errors import AcoError

CLAIM_FILE_TYPES: tuple[str, ...] = (
    "CCLF1", "CCLF2", "CCLF3", "CCLF4", "CCLF5", "CCLF6",
    "CCLF7", "CCLF8", "CCLF9", "CCLFA", "CCLFB",
)
"""The eleven data files of a CCLF delivery, in CCLF0 order (CCLF0 itself excluded)."""

LINEAGE_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("source_file", pa.string()),
    ("line_number", pa.int64()),
    ("delivery_date", pa.date32()),
)
"""Columns the lake adds to every parsed row so any value can be traced to its raw byte."""

SKIPPED_FIELDS = frozenset({"blank"})
"""Placeholder fields (CCLF7 `BLANK`, IP v39) that carry no data and are not stored."""


class UnknownRecordLength(AcoError, ValueError):
    """A file's record length matches no known layout of its file type."""

    def __init__(self, file_name: str, file_type: str, length: int) -> None:
        known = ", ".join(str(n) for n in known_lengths(file_type)) or "none"
        super().__init__(
            f"{file_name}: record length {length} is not a known {file_type} layout "
            f"(known lengths: {known})"
        )
        self.file_name, self.file_type, self.length = file_name, file_type, length


@dataclass(frozen=True, slots=True)
class Field:
    """One fixed-width field. `start` is 1-based as printed in the IP."""

    name: str
    start: int
    length: int
    data_type: str
    kind: str  # text | digits | decimal | date
    precision: int | None
    scale: int | None
    phi: bool
    description: str

    @property
    def offset(self) -> int:
        """0-based byte offset of the field within a record."""
        return self.start - 1

    @property
    def end(self) -> int:
        """0-based exclusive end offset."""
        return self.start - 1 + self.length

    @property
    def arrow_type(self) -> pa.DataType:
        if self.kind == "decimal":
            assert self.precision is not None and self.scale is not None
            return pa.decimal128(self.precision, self.scale)
        if self.kind == "date":
            return pa.date32()
        return pa.string()


@dataclass(frozen=True, slots=True)
class Layout:
    """The fields present in one record length of one file type."""

    file_type: str
    name: str
    record_length: int
    era: str
    confirmed: bool
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def layout_fields(layout_name: str) -> tuple[Field, ...]:
    """All fields of a layout as printed in the IP (e.g. `CCLF1`, `CCLF7_V38`, `CCLF0_DTL`)."""
    fields = tuple(
        Field(
            name=r["field_name"],
            start=int(r["start"]),
            length=int(r["length"]),
            data_type=r["data_type"],
            kind=r["kind"],
            precision=int(r["precision"]) if r["precision"] else None,
            scale=int(r["scale"]) if r["scale"] else None,
            phi=r["phi"] == "1",
            description=r["description"],
        )
        for r in _read_csv("cclf_fields.csv")
        if r["layout"] == layout_name
    )
    if not fields:
        raise KeyError(f"no layout named {layout_name!r}")
    return fields


@cache
def _length_rows() -> tuple[dict[str, str], ...]:
    return tuple(_read_csv("record_lengths.csv"))


def known_lengths(file_type: str) -> tuple[int, ...]:
    return tuple(
        sorted(int(r["record_length"]) for r in _length_rows() if r["file_type"] == file_type)
    )


@cache
def layout_for(file_type: str, record_length: int, file_name: str = "") -> Layout:
    """The layout of `file_type` records that are `record_length` characters long.

    Older layouts are prefixes of the current record (IP v40 Appendix B; pre-2022 files),
    except CCLF7 before IP v39, which has a layout of its own.
    """
    for r in _length_rows():
        if r["file_type"] == file_type and int(r["record_length"]) == record_length:
            fields = tuple(f for f in layout_fields(r["layout"]) if f.end <= record_length)
            if fields[-1].end != record_length:  # pragma: no cover - guarded by tests
                raise ValueError(f"{r['layout']} does not end on a field at {record_length}")
            return Layout(
                file_type=file_type,
                name=r["layout"],
                record_length=record_length,
                era=r["era"],
                confirmed=r["confirmed"] == "1",
                fields=fields,
            )
    raise UnknownRecordLength(file_name or file_type, file_type, record_length)


def current_layout(file_type: str) -> Layout:
    """The newest layout of a file type (the longest record)."""
    return layout_for(file_type, max(known_lengths(file_type)))


def stored_fields(file_type: str) -> tuple[Field, ...]:
    """Fields kept in the lake for a file type: the newest layout's, placeholders dropped.

    Every layout version of a file type is stored with this one schema; fields an older
    record does not have are NULL.
    """
    return tuple(f for f in current_layout(file_type).fields if f.name not in SKIPPED_FIELDS)


@cache
def lake_schema(file_type: str) -> pa.Schema:
    """The Arrow schema of a file type's parsed Parquet: stored fields, then lineage."""
    return pa.schema(
        [pa.field(f.name, f.arrow_type) for f in stored_fields(file_type)]
        + [pa.field(n, t, nullable=False) for n, t in LINEAGE_FIELDS]
    )
