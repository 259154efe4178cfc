"""One call from a CMS report delivery (a bundle folder, a zip, an extension-less zip or a single
workbook/CSV) to Arrow tables: the entry point for `aco ingest` (docs/cms-reports.md).

Tables, keyed by the lake source they belong to:
- `bnmrk_cells`, `aexpu_cells`, `qexpu_cells`: the cell grain of every workbook of that family
  (`workbook.CELL_SCHEMA`), the three AEXPU BY1-BY3 workbooks of a BNMRK bundle together;
- `ncbp`, `beur`, `baip`, `mbi_crosswalk`, `participants`, `providers_suppliers`: text columns
  as named by CMS plus lineage (`csvfile`);
- `mcqm_<sheet>` (e.g. `mcqm_medicare_cqm_beneficiaries`, `mcqm_dm_001ssp`): each sheet of an
  MCQM beneficiary list, as text columns plus lineage.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from python_calamine import CalamineError, CalamineWorkbook

from aco_pipeline.cms_reports import bundle as bundles
from aco_pipeline.cms_reports import catalog, csvfile, workbook
from aco_pipeline.cms_reports.errors import CmsReportError, Issue
from aco_pipeline.cms_reports.names import ReportName, member_kind, parse_report_name

CELL_FAMILIES = ("bnmrk", "aexpu", "qexpu")
CSV_KINDS = ("ncbp", "beur", "baip", "mbi_crosswalk", "participants", "providers_suppliers")


@dataclass
class ReportRead:
    name: ReportName
    tables: dict[str, pa.Table] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    members: list[str] = field(default_factory=list)  # paths of the files read

    def add(self, key: str, table: pa.Table) -> None:
        if key in self.tables:
            self.tables[key] = pa.concat_tables([self.tables[key], table],
                                                promote_options="permissive")
        else:
            self.tables[key] = table


def read_report(source: Path | bytes, *, name: str | None = None) -> ReportRead:
    """Read a CMS report delivery. `source` is a path (folder or file) or the bytes of a file,
    `name` its base name (default: the path's name). Raises `CmsReportError` for a name that
    is not a CMS report's or a file that cannot be read at all; everything else is an issue."""
    label = name or (source.name if isinstance(source, Path) else None)
    if label is None:
        raise CmsReportError("no file name given for the bytes", file="<bytes>")
    is_dir = isinstance(source, Path) and source.is_dir()
    top = parse_report_name(label, is_dir=is_dir)
    if top is None:
        raise CmsReportError("not a recognised CMS report name (expected "
                             "P.{ACO}.ACO.{TYPE}[.{period}].D{yymmdd}.T{7 digits})", file=label)
    out = ReportRead(top)
    if top.placeholder_date:
        out.issues.append(Issue("placeholder_date", label, "placeholder delivery date "
                                f"({top.stamp[:7]}): kept with an unknown date"))
    for m in bundles.members(source, name=label):
        _read_member(out, top, m)
    return out


def _context_name(top: ReportName, member: bundles.Member) -> tuple[ReportName, str]:
    """The member's own name where it has one, completed from its bundle (an AEXPU of a
    BNMRK bundle takes the bundle's performance year)."""
    own = parse_report_name(member.name)
    kind = member_kind(member.name)
    if own is None:
        return top, kind or top.kind
    if own.performance_year is None and top.performance_year is not None:
        own = replace(own, performance_year=top.performance_year)
    return own, own.kind


def _read_member(out: ReportRead, top: ReportName, member: bundles.Member) -> None:
    own, kind = _context_name(top, member)
    data = member.data
    if bundles.is_workbook(data):
        if kind in CELL_FAMILIES:
            ctx = workbook.CellContext(
                source_file=member.path, family=kind, aco_id=own.aco_id,
                performance_year=own.performance_year, benchmark_year=own.benchmark_year,
                period=own.period, delivery_date=own.created, delivery_stamp=own.stamp,
                bundle=top.delivery_id)
            result = workbook.read_workbook(data, ctx)
            out.add(f"{kind}_cells", result.table)
            out.issues.extend(result.issues)
        elif kind == "mcqm":
            _read_mcqm(out, member, own)
        else:
            out.issues.append(Issue("unknown_member", member.path,
                                    f"a workbook where a {kind} file was expected; not read"))
            return
    elif kind in CSV_KINDS or (kind == top.kind and top.kind in CSV_KINDS):
        result_csv = csvfile.read_csv(data, file=member.path, kind=kind,
                                      delivery_date=own.created)
        out.add(kind, result_csv.table)
        out.issues.extend(result_csv.issues)
    else:
        out.issues.append(Issue("unknown_member", member.path, "file not recognised in the "
                                "bundle; not read"))
        return
    out.members.append(member.path)


def _read_mcqm(out: ReportRead, member: bundles.Member, own: ReportName) -> None:
    """Each sheet of an MCQM list (mssp-reports.md section 5) as a text table."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(member.data))
    except CalamineError as exc:
        raise CmsReportError(f"not a readable .xlsx workbook ({type(exc).__name__})",
                             file=member.path) from None
    present = {catalog.norm(s) for s in book.sheet_names}
    for spec in catalog.sheets("mcqm"):
        if spec.expected and catalog.norm(spec.sheet) not in present:
            out.issues.append(Issue("missing_sheet", member.path, "expected sheet is missing",
                                    sheet=spec.sheet))
    demographics = catalog.csv_columns("mcqm_demographics")
    providers = catalog.csv_columns("mcqm_providers")
    for sheet in book.sheet_names:
        spec = catalog.sheet_spec("mcqm", sheet)
        if spec is None:
            out.issues.append(Issue("unknown_sheet", member.path, "sheet not in the reference; "
                                    "read as a table", sheet=sheet))
        measure = catalog.csv_columns(f"mcqm_{spec.sheet}") if spec else ()
        known = (*demographics, *measure, *providers) if measure else demographics
        grid = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        cells = [[workbook.cell_text(v) for v in row] for row in grid]
        if not any(any(r) for r in cells):
            out.issues.append(Issue("empty_sheet", member.path, "no rows", sheet=sheet))
            continue
        result = csvfile.read_rows(cells, file=member.path, kind="mcqm", sheet=sheet,
                                   known=known, delivery_date=own.created)
        out.add(f"mcqm_{catalog.norm(sheet).replace(' ', '_')}", result.table)
        out.issues.extend(result.issues)


def write_parquet(result: ReportRead, folder: Path) -> dict[str, Path]:
    """Each table of a read delivery as `folder/<key>/part-0.parquet` (the lake's layout of
    `lake/parsed/delivery=<id>/`); returns the paths written."""
    out: dict[str, Path] = {}
    for key, table in sorted(result.tables.items()):
        path = folder / key / "part-0.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression="zstd")
        out[key] = path
    return out
