"""The label tables of `layouts/*.csv`, read once: which sheets a workbook family has, the
column and section labels CMS prints, the enrollment-type spellings and the known CSV columns
(all from mssp-reports.md; see the `note` columns). Nothing here is read at import time."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("layouts", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def norm(label: str) -> str:
    """A label as compared: lower case, single spaces, no space around `-` and `/`."""
    s = re.sub(r"\s+", " ", label.strip().lower())
    return re.sub(r"\s*([-/])\s*", r"\1", s)


@dataclass(frozen=True, slots=True)
class SheetSpec:
    family: str
    sheet: str
    grammar: str  # report | parameters | table | skip
    expected: bool


@cache
def sheets(family: str) -> tuple[SheetSpec, ...]:
    return tuple(SheetSpec(r["family"], r["sheet"], r["grammar"], r["expected"] == "1")
                 for r in _rows("sheets.csv") if r["family"] == family)


def sheet_spec(family: str, sheet: str) -> SheetSpec | None:
    key = norm(sheet)
    return next((s for s in sheets(family) if norm(s.sheet) == key), None)


def _applies(row_family: str, family: str) -> bool:
    return row_family in ("*", family)


@cache
def column_labels(family: str, sheet: str, level: str) -> frozenset[str]:
    """Normalised labels of one header level (`column` or `group`) of a sheet."""
    key = norm(sheet)
    return frozenset(norm(r["label"]) for r in _rows("columns.csv")
                     if _applies(r["family"], family) and norm(r["sheet"]) == key
                     and r["level"] == level)


@cache
def section_labels(family: str, sheet: str) -> tuple[frozenset[str], frozenset[str]]:
    """(codes, normalised labels) of the sections known for a sheet; both empty when the
    reference lists none (then no section is reported as unknown)."""
    key = norm(sheet)
    found = [r for r in _rows("sections.csv")
             if _applies(r["family"], family) and norm(r["sheet"]) == key]
    return (frozenset(r["code"].upper() for r in found if r["code"]),
            frozenset(norm(r["label"]) for r in found))


@cache
def enrollment_types() -> dict[str, str]:
    """Normalised printed label -> enrollment type (ESRD, DISABLED, AGED/DUAL, AGED/NON-DUAL,
    TOTAL, AGED_AND_DISABLED): AEXPU and BNMRK spell them differently (section 2)."""
    return {norm(r["label"]): r["enrollment_type"] for r in _rows("enrollment_types.csv")}


def enrollment_type(label: str | None) -> str | None:
    return enrollment_types().get(norm(label)) if label else None


@cache
def csv_columns(kind: str) -> tuple[str, ...]:
    """The known columns of a CSV kind (upper case, in the reference's order)."""
    return tuple(r["column"] for r in _rows("csv_columns.csv") if r["kind"] == kind)
