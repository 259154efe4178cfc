"""Assignment List Report (ALR) tables: CSV with a header row, read by column name.

Column names and types come from `alr_columns.csv` (collected from open-source connectors,
not from a CMS dictionary, see cclf-notes.md): unknown columns are kept as text and
reported; expected columns that are missing are reported; neither is fatal. Dates are
MM/DD/YYYY; identifiers keep their leading zeros.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from aco_pipeline.errors import AcoError
from aco_pipeline.layouts import LINEAGE_FIELDS

DECIMAL_TYPE = pa.decimal128(18, 6)
DECIMAL_LIMIT = Decimal(10) ** 12  # what decimal(18, 6) holds
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # int32


class AlrError(AcoError, ValueError):
    """An ALR file cannot be read; names the file, line and column."""


@dataclass(frozen=True, slots=True)
class AlrColumn:
    table: str
    pattern: re.Pattern[str]
    kind: str
    required: bool


@cache
def known_columns() -> tuple[AlrColumn, ...]:
    text = resources.files(__package__).joinpath("alr_columns.csv").read_text(encoding="utf-8")
    return tuple(
        AlrColumn(r["table"], re.compile(rf"^(?:{r['column_pattern']})$"), r["kind"],
                  r["required"] == "1")
        for r in csv.DictReader(io.StringIO(text))
    )


def _kind(table: str, column: str) -> str | None:
    for c in known_columns():
        if c.table == table and c.pattern.match(column):
            return c.kind
    return None


def _arrow_type(kind: str) -> pa.DataType:
    return {"date": pa.date32(), "int": pa.int32(), "decimal": DECIMAL_TYPE}.get(kind, pa.string())


def _convert(kind: str, value: str) -> object:
    if kind == "date":
        return datetime.strptime(value, "%m/%d/%Y").date()
    if kind == "int":
        if not re.fullmatch(r"-?[0-9]+", value) or not INT_MIN <= int(value) <= INT_MAX:
            raise ValueError
        return int(value)
    if kind == "decimal":
        # plain decimal notation that fits decimal(18, 6) (Decimal alone also reads
        # '1_000', 'Infinity', and values the Parquet type cannot hold)
        if not re.fullmatch(r"[-+]?[0-9]*\.?[0-9]*([eE][-+]?[0-9]+)?", value):
            raise ValueError
        d = Decimal(value).quantize(Decimal("0.000001"))
        if not d.is_finite() or abs(d) >= DECIMAL_LIMIT:
            raise ValueError
        return d
    return value


COLUMN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

EXPECTED = {"date": "a date MM/DD/YYYY", "int": "a whole number (32-bit)",
            "decimal": "a decimal number (up to 12 digits before the point, 6 after)"}


def _rows(reader: Iterator[list[str]], source_file: str) -> Iterator[list[str]]:
    """The CSV rows; a row the csv module cannot read (a cell beyond its field size limit)
    is an AlrError naming the line, without the cell's content."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = getattr(reader, "line_num", 0)
            reason = "a cell is too large" if "field limit" in str(exc) else "not valid CSV"
            raise AlrError(f"{source_file}: line {line}: {reason}") from None
        yield row


@dataclass(frozen=True, slots=True)
class AlrResult:
    rows: int
    unknown_columns: list[str]
    missing_columns: list[str]


def parse_alr(stream: BinaryIO, out_path: Path, *, table: str, source_file: str,
              delivery_date: date) -> AlrResult:
    """Parse one ALR table CSV into Parquet (lower-case column names + lineage columns)."""
    with io.TextIOWrapper(stream, encoding="latin-1", newline="") as fh:
        reader = csv.reader(fh)
        header = next(_rows(reader, source_file), None)
        if header is None:
            raise AlrError(f"{source_file}: empty file (expected a header row)")
        header = [h.strip() for h in header]
        if not any(header):
            raise AlrError(f"{source_file}: line 1: empty header row")
        lowered = [h.lower() for h in header]
        for i, h in enumerate(header):
            # a header row holds column names; a damaged or missing one holds data (an MBI,
            # a birth date), which must not reach a message, a check or a column name
            if h and not COLUMN_NAME.fullmatch(h):
                raise AlrError(f"{source_file}: line 1, column {i + 1}: not a column name "
                               "(is the header row damaged or missing?)")
        dupes = sorted({h for h in lowered if lowered.count(h) > 1})
        if dupes:
            raise AlrError(f"{source_file}: line 1: duplicate columns {', '.join(dupes)}")
        kinds = [_kind(table, h) for h in header]
        if not any(kinds):
            raise AlrError(f"{source_file}: line 1: no known ALR {table} column in the header "
                           "row (is the header row missing?)")
        unknown = [h for h, k in zip(header, kinds, strict=True) if k is None]
        missing = [
            c.pattern.pattern.strip("^$").removeprefix("(?:").removesuffix(")")
            for c in known_columns()
            if c.table == table and c.required and not any(c.pattern.match(h) for h in header)
        ]
        columns: list[list[object]] = [[] for _ in header]
        lines: list[int] = []
        for row in _rows(reader, source_file):
            if not any(v.strip() for v in row):
                continue
            if len(row) != len(header):
                raise AlrError(
                    f"{source_file}: line {reader.line_num}: {len(row)} values, "
                    f"header has {len(header)}"
                )
            for i, (value, kind) in enumerate(zip(row, kinds, strict=True)):
                v = value.strip()
                if v == "":
                    columns[i].append(None)
                    continue
                try:
                    columns[i].append(_convert(kind or "text", v))
                except (ValueError, InvalidOperation):
                    raise AlrError(
                        f"{source_file}: line {reader.line_num}, column {header[i]}: "
                        f"not {EXPECTED[kind or 'text']}"
                    ) from None
            lines.append(reader.line_num)
    n = len(lines)
    arrays = [pa.array(col, type=_arrow_type(k or "text")) for col, k in zip(columns, kinds,
                                                                            strict=True)]
    names = list(lowered)
    lineage = dict(LINEAGE_FIELDS)
    arrays += [
        pa.array([source_file] * n, lineage["source_file"]),
        pa.array(lines, lineage["line_number"]),
        pa.array([delivery_date] * n, lineage["delivery_date"]),
    ]
    names += [name for name, _ in LINEAGE_FIELDS]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_arrays(arrays, names=names), out_path)
    return AlrResult(n, unknown, missing)
