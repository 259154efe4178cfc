"""Schema-on-read for CMS's report CSVs (NCBP, BEUR, BAIP, the excluded-beneficiary MBI
crosswalk, the participant list) and for tabular sheets (the MCQM beneficiary lists).

No CMS data dictionary for these files is public (mssp-reports.md section 6), so every column
is landed as text under its header name, empty cells as NULL; the columns the reference knows
(`layouts/csv_columns.csv`) are checked by name: unknown columns and missing known ones are
`Issue`s, never fatal. Each row keeps its source file, line and delivery date (the lake's
lineage columns). A header row that holds something other than column names (a damaged or
missing header, i.e. a data row) is refused at line 1 without echoing its cells: an MBI or a
birth date must not become a column name or reach a message.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from aco_pipeline.cms_reports import catalog
from aco_pipeline.cms_reports.errors import CmsReportError, Issue
from aco_pipeline.layouts import LINEAGE_FIELDS

# what a column name may look like: a letter first (an MBI or a date starts with a digit),
# then letters, digits, spaces and the punctuation CMS uses in headers
COLUMN_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 _/#().&-]{0,127}$")


@dataclass
class TableRead:
    table: pa.Table
    issues: list[Issue] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)


def _decode(data: bytes, file: str, issues: list[Issue]) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        issues.append(Issue("encoding", file, f"not UTF-8 at byte {exc.start}; read as "
                            "Windows-1252"))
        return data.decode("cp1252", errors="replace")


def read_csv(data: bytes, *, file: str, kind: str, delivery_date: date | None) -> TableRead:
    """One CSV file: header names as given, every value text (`kind` selects the known
    columns, e.g. `beur`, `mbi_crosswalk`; a kind without any known column checks none)."""
    issues: list[Issue] = []
    text = _decode(data, file, issues)
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise CmsReportError(f"not valid CSV ({exc})", file=file) from None
    return read_rows(records, file=file, kind=kind, delivery_date=delivery_date, issues=issues)


def read_rows(records: Sequence[Sequence[object]], *, file: str, kind: str,
              delivery_date: date | None, sheet: str | None = None,
              known: Iterable[str] | None = None,
              issues: list[Issue] | None = None) -> TableRead:
    """Rows whose first non-empty row is the header (a CSV, or a sheet's cells as text)."""
    issues = [] if issues is None else issues
    lines = [(i, [("" if v is None else str(v)).strip() for v in rec])
             for i, rec in enumerate(records, start=1)]
    lines = [(i, rec) for i, rec in lines if any(rec)]
    if not lines:
        raise CmsReportError("empty (expected a header row)", file=file, sheet=sheet)
    header_line, raw_header = lines[0]
    while raw_header and not raw_header[-1]:
        raw_header.pop()
    for c, name in enumerate(raw_header, start=1):
        if name and not COLUMN_NAME.match(name):
            raise CmsReportError("not a column name (is the header row damaged or missing?)",
                                 file=file, sheet=sheet, row=header_line, column=c)
    header: list[str] = []
    for c, name in enumerate(raw_header, start=1):
        out = name or f"column_{c}"
        if not name:
            issues.append(Issue("unnamed_column", file, f"named {out}", sheet=sheet,
                                row=header_line, column=c))
        if out.upper() in (h.upper() for h in header):
            out = f"{out}_{c}"
            issues.append(Issue("duplicate_column", file, f"renamed {out}", sheet=sheet,
                                row=header_line, column=c))
        header.append(out)
    expected = tuple(known) if known is not None else catalog.csv_columns(kind)
    upper = {h.upper() for h in header}
    unknown = [h for h in header if expected and h.upper() not in {e.upper() for e in expected}]
    missing = [e for e in expected if e.upper() not in upper]
    for h in unknown:
        issues.append(Issue("unknown_column", file, "column not in the reference; kept as "
                            "text", sheet=sheet, column=h))
    for e in missing:
        issues.append(Issue("missing_column", file, "known column absent", sheet=sheet,
                            column=e))
    columns: list[list[str | None]] = [[] for _ in header]
    numbers: list[int] = []
    for line, rec in lines[1:]:
        if len(rec) > len(header) and any(rec[len(header):]):
            issues.append(Issue("ragged_row", file, f"{len(rec)} values, header has "
                                f"{len(header)}; extra values dropped", sheet=sheet, row=line))
        for c in range(len(header)):
            v = rec[c] if c < len(rec) else ""
            columns[c].append(v or None)
        numbers.append(line)
    n = len(numbers)
    lineage = dict(LINEAGE_FIELDS)
    arrays = [pa.array(col, pa.string()) for col in columns]
    arrays += [pa.array([file] * n, lineage["source_file"]),
               pa.array(numbers, lineage["line_number"]),
               pa.array([delivery_date] * n, lineage["delivery_date"])]
    names = [*header, *(name for name, _ in LINEAGE_FIELDS)]
    clash = set(header) & {name for name, _ in LINEAGE_FIELDS}
    if clash:
        raise CmsReportError(f"column {sorted(clash)[0]} clashes with a lineage column",
                             file=file, sheet=sheet, row=header_line)
    return TableRead(pa.Table.from_arrays(arrays, names=names), issues, unknown, missing)
