"""CMS report workbooks (BNMRK, AEXPU, QEXPU) to one long "cell grain" table.

Every data sheet has one grammar (mssp-reports.md section 2): title rows; one header row
(some sheets two levels: a group row over a label row); then section rows and data rows,
section rows often carrying a bracketed code (`[A1] Person Years`); then footnotes. Cells are
numbers, `-` meaning not applicable. `Parameters` is key/value; `Cover`, `TOC` and `Glossary`
are skipped. Everything is found by name, never by position:

- the header row is the first row holding a column label the reference knows for the sheet
  (`layouts/columns.csv`), else the first row with text, and no number, in a value column;
  the row above it (or below it) is a group row when it holds text in the value columns;
- a row with a label but no values is a section (its `[code]` split off); a data row takes
  the last section above it; text rows after the last data row are footnotes;
- each non-empty value cell becomes one row: sheet, row, section code/label, row label,
  column group/label and the value **as text** (numbers in their shortest exact decimal form,
  so a 16-decimal weight stays unrounded). Typing is the staging models' job.

Missing expected sheets, unknown sheets, sections and column labels, sheets without a header
and non-numeric cells are `Issue`s, never exceptions; a file that is not a workbook raises
`CmsReportError`. Messages never quote a cell.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

import pyarrow as pa
from python_calamine import CalamineError, CalamineWorkbook

from aco_pipeline.cms_reports import catalog
from aco_pipeline.cms_reports.errors import CmsReportError, Issue

Cell = str | float | int | bool | date | datetime | time | None

CELL_SCHEMA = pa.schema([
    ("source_file", pa.string()),
    ("bundle", pa.string()),
    ("family", pa.string()),
    ("aco_id", pa.string()),
    ("performance_year", pa.int16()),
    ("benchmark_year", pa.int16()),
    ("period", pa.string()),
    ("delivery_date", pa.date32()),
    ("delivery_stamp", pa.string()),
    ("sheet", pa.string()),
    ("row_number", pa.int32()),
    ("column_number", pa.int32()),
    ("section_code", pa.string()),
    ("section_label", pa.string()),
    ("row_label", pa.string()),
    ("column_group", pa.string()),
    ("column_label", pa.string()),
    ("value_text", pa.string()),
])
"""One row per non-empty value cell; rows and columns are 1-based as Excel numbers them."""

NOT_APPLICABLE = "-"
SECTION = re.compile(r"^\[(?P<code>[A-Za-z0-9.]{1,6})\]\s*(?P<label>.*)$")
NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?%?$")
MAX_CELL_ISSUES = 20  # per sheet: a column of odd cells is reported, not listed in full


@dataclass(frozen=True, slots=True)
class CellContext:
    """What the file name and its bundle say, repeated on every row."""

    source_file: str
    family: str  # bnmrk | aexpu | qexpu
    aco_id: str | None = None
    performance_year: int | None = None
    benchmark_year: int | None = None
    period: str | None = None
    delivery_date: date | None = None
    delivery_stamp: str | None = None
    bundle: str | None = None


@dataclass
class WorkbookRead:
    table: pa.Table
    issues: list[Issue] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)  # sheets read (data and parameters)


def cell_text(value: Cell) -> str:
    """A cell as text: numbers exact and without exponent (3.0 -> '3', 0.1 -> '0.1')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not d.is_finite():
            return str(value)
        text = format(d, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _is_number(value: Cell) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_workbook(data: bytes, context: CellContext) -> WorkbookRead:
    """Read every sheet of a workbook into cell-grain rows (`CELL_SCHEMA`)."""
    file = context.source_file
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except CalamineError as exc:
        raise CmsReportError(f"not a readable .xlsx workbook ({type(exc).__name__})",
                             file=file) from None
    issues: list[Issue] = []
    rows: list[tuple[object, ...]] = []
    read: list[str] = []
    present = {catalog.norm(s) for s in book.sheet_names}
    for spec in catalog.sheets(context.family):
        if spec.expected and catalog.norm(spec.sheet) not in present:
            issues.append(Issue("missing_sheet", file, "expected sheet is missing",
                                sheet=spec.sheet))
    for name in book.sheet_names:
        spec = catalog.sheet_spec(context.family, name)
        grammar = spec.grammar if spec else "report"
        if grammar == "skip":
            continue
        if spec is None:
            issues.append(Issue("unknown_sheet", file, "sheet not in the reference; read with "
                                "the report grammar", sheet=name))
        try:
            grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            merged = book.get_sheet_by_name(name).merged_cell_ranges or []
        except CalamineError as exc:
            issues.append(Issue("unreadable_sheet", file, f"cannot read the sheet "
                                f"({type(exc).__name__})", sheet=name))
            continue
        if grammar == "parameters":
            cells = _parameters(grid)
        else:
            cells = _report(context.family, name, grid, merged, file, issues)
        if cells is None:
            continue
        read.append(name)
        rows.extend((name, *c) for c in cells)
    return WorkbookRead(_table(context, rows), issues, read)


def _table(context: CellContext, rows: Sequence[tuple[object, ...]]) -> pa.Table:
    n = len(rows)
    constant = {
        "source_file": context.source_file, "bundle": context.bundle,
        "family": context.family, "aco_id": context.aco_id,
        "performance_year": context.performance_year,
        "benchmark_year": context.benchmark_year, "period": context.period,
        "delivery_date": context.delivery_date, "delivery_stamp": context.delivery_stamp,
    }
    varying = CELL_SCHEMA.names[len(constant):]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in varying]
    arrays = [pa.array([constant[f.name]] * n, f.type) for f in CELL_SCHEMA
              if f.name in constant]
    arrays += [pa.array(list(col), CELL_SCHEMA.field(name).type)
               for name, col in zip(varying, columns, strict=True)]
    return pa.Table.from_arrays(arrays, schema=CELL_SCHEMA)


# one cell-grain row without the constant columns and the sheet name:
# (row, column, section code, section label, row label, column group, column label, value)
CellRow = tuple[int, int, str | None, str | None, str | None, str | None, str | None, str]


def _parameters(grid: list[list[Cell]]) -> list[CellRow]:
    """Key/value rows (column A the key, column B the value)."""
    out: list[CellRow] = []
    for r, row in enumerate(grid, start=1):
        key = cell_text(row[0]) if row else ""
        value = cell_text(row[1]) if len(row) > 1 else ""
        if key and value:
            out.append((r, 2, None, None, key, None, "Value", value))
    return out


def _text_only(row: list[Cell]) -> bool:
    """Some text in the value columns (B onwards) and no number anywhere."""
    values = row[1:]
    return (any(cell_text(v) for v in values)
            and not any(_is_number(v) for v in row))


def _find_header(family: str, sheet: str, grid: list[list[Cell]]) -> int | None:
    known = (catalog.column_labels(family, sheet, "column")
             | catalog.column_labels(family, sheet, "group"))
    if known:
        for r, row in enumerate(grid):
            if any(catalog.norm(cell_text(v)) in known for v in row[1:] if cell_text(v)):
                return r
    for r, row in enumerate(grid):
        if _text_only(row):
            return r
        if any(_is_number(v) for v in row):
            break  # data before any header row
    return None


def _filled(row: list[Cell], r: int, merged: list[tuple[tuple[int, int], tuple[int, int]]],
            width: int) -> list[str]:
    """A group row's labels, each spread over its merged range (or, without merges, over the
    blank cells to its right)."""
    labels = [cell_text(row[c]) if c < len(row) else "" for c in range(width)]
    spans = [(c0, c1) for (r0, c0), (r1, c1) in merged if r0 <= r <= r1]
    if spans:
        for c0, c1 in spans:
            for c in range(c0, min(c1, width - 1) + 1):
                labels[c] = labels[c0]
        return labels
    last = ""
    for c in range(1, width):
        last = labels[c] or last
        labels[c] = last
    return labels


def _report(family: str, sheet: str, grid: list[list[Cell]],
            merged: list[tuple[tuple[int, int], tuple[int, int]]], file: str,
            issues: list[Issue]) -> list[CellRow] | None:
    h = _find_header(family, sheet, grid)
    if h is None:
        issues.append(Issue("no_header", file, "no header row found; sheet skipped",
                            sheet=sheet))
        return None
    width = max((len(row) for row in grid), default=0)
    group_row: int | None = None
    label_row = h
    if h > 0 and _text_only(grid[h - 1]):
        group_row = h - 1
    elif h + 1 < len(grid) and _text_only(grid[h + 1]) and not SECTION.match(
            cell_text(grid[h + 1][0]) if grid[h + 1] else ""):
        group_row, label_row = h, h + 1
    labels = [cell_text(grid[label_row][c]) if c < len(grid[label_row]) else ""
              for c in range(width)]
    groups = _filled(grid[group_row], group_row, merged, width) if group_row is not None \
        else [""] * width
    known = catalog.column_labels(family, sheet, "column")
    known_groups = catalog.column_labels(family, sheet, "group")
    for c in range(1, width):
        if known and labels[c] and catalog.norm(labels[c]) not in known:
            issues.append(Issue("unknown_column", file, "column label not in the reference; "
                                "kept", sheet=sheet, row=label_row + 1, column=labels[c]))
        if known_groups and groups[c] and catalog.norm(groups[c]) not in known_groups:
            issues.append(Issue("unknown_column", file, "column group not in the reference; "
                                "kept", sheet=sheet, row=(group_row or 0) + 1,
                                column=groups[c]))
    codes, section_names = catalog.section_labels(family, sheet)
    out: list[CellRow] = []
    pending: tuple[str | None, str] | None = None
    pending_row = 0
    section: tuple[str | None, str | None] = (None, None)
    reported: set[tuple[str | None, str]] = set()
    odd = 0
    for r in range(label_row + 1, len(grid)):
        row = grid[r]
        head = cell_text(row[0]) if row else ""
        has_value = any(cell_text(v) for v in row[1:])
        if not has_value:
            if head:
                m = SECTION.match(head)
                pending = (m["code"].upper(), m["label"].strip()) if m else (None, head)
                pending_row = r + 1
            continue
        if pending is not None:
            section, pending = pending, None
            code, label = section
            known_section = (code in codes) if code else (catalog.norm(label or "")
                                                          in section_names)
            if (codes or section_names) and not known_section and (code, label or "") \
                    not in reported:
                reported.add((code, label or ""))
                issues.append(Issue("unknown_section", file, "section not in the reference; "
                                    "kept", sheet=sheet, row=pending_row))
        for c in range(1, len(row)):
            text = cell_text(row[c])
            if not text:
                continue
            if not _is_number(row[c]) and text != NOT_APPLICABLE and not NUMBER.match(
                    text.replace(",", "").replace("$", "")):
                odd += 1
                if odd <= MAX_CELL_ISSUES:
                    issues.append(Issue("not_a_number", file, "value cell is neither a number "
                                        "nor '-'; kept as text", sheet=sheet, row=r + 1,
                                        column=labels[c] or c + 1))
            out.append((r + 1, c + 1, section[0], section[1], head or None,
                        groups[c] or None, labels[c] or None, text))
    if odd > MAX_CELL_ISSUES:
        issues.append(Issue("not_a_number", file, f"{odd - MAX_CELL_ISSUES} more value cells "
                            "that are neither numbers nor '-'", sheet=sheet))
    return out
