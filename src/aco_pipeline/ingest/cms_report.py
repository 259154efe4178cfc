"""CMS's own report files (BNMRK, AEXPU, QEXPU, NCBP, BEUR, MBI, PATB, MCQM) in `aco ingest`.

Recognised by name after the CCLF/ALR/BNEX names (`cms_reports.names.parse_report_name`), then
landed, ledgered, quarantined and published exactly like every other delivery
(ingest.pipeline). A report delivery is one file (a workbook, a CSV, a zip or an
extension-less zip: its id is the name without extension) or one bundle folder (its id is the
folder's name, its files land flat under raw/<aco>/<id>/). Staging reads the landed raw copy
with `cms_reports.read.read_report` and writes each table as `<table>/part-0.parquet`; what the
reader worked around becomes a warning check, a file it cannot read at all a `CmsReportError`
(the delivery is quarantined with its message).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from aco_pipeline.cms_reports.errors import CmsReportError
from aco_pipeline.cms_reports.names import TYPES, ReportName, parse_report_name
from aco_pipeline.naming import CmsFileName

REPORT_KINDS = frozenset(kind for kind, _ in TYPES.values())
"""Ledger/manifest kinds of report deliveries (qexpu, bnmrk, ncbp, ...)."""


def file_name(name: str, report: ReportName) -> CmsFileName:
    """The pipeline's name record for a report file: `name` its base name, `report` the
    delivery's name (the bundle's for a file of a bundle folder)."""
    return CmsFileName(
        name=name, kind=report.kind, entity_id=report.aco_id, test=report.test,
        file_type=report.report_type, run=None, performance_year=report.performance_year,
        created=report.created, stamp=report.stamp, period=report.period, alr_table=None,
        delivery=report.delivery_id,
    )


def is_report(name: CmsFileName) -> bool:
    return name.kind in REPORT_KINDS


def recognise(path: Path) -> list[CmsFileName] | None:
    """A report file -> its one name; a bundle folder -> a name per file directly in it
    (hidden files left out); None when `path`'s name is not a CMS report's."""
    report = parse_report_name(path.name, is_dir=path.is_dir())
    if report is None:
        return None
    if not path.is_dir():
        return [file_name(path.name, report)]
    return [_member_name(p.name, report) for p in sorted(path.iterdir())
            if p.is_file() and not p.name.startswith(".")]


def _member_name(name: str, bundle: ReportName) -> CmsFileName:
    """A file of a bundle folder: the bundle's delivery, the file's own period where it names
    one of the bundle's kind (a QEXPU bundle's `…QEXPU.2024Q1…xlsx`)."""
    out = file_name(name, bundle)
    own = parse_report_name(name)
    if bundle.period is None and own is not None and own.kind == bundle.kind and own.period:
        return replace(out, period=own.period, performance_year=own.performance_year)
    return out


def delivery_name(delivery_id: str, raw_dir: Path) -> ReportName | None:
    """The report name of a landed delivery: a bundle folder when its raw folder holds a file
    other than one named like the delivery itself."""
    names = [p.name for p in raw_dir.iterdir() if not p.name.startswith(".")] \
        if raw_dir.is_dir() else []
    single = [n for n in names if n == delivery_id or n.startswith(f"{delivery_id}.")]
    if len(names) == 1 and single:
        return parse_report_name(single[0])
    return parse_report_name(delivery_id, is_dir=True)


def report_period(delivery_id: str, files: Iterable[str] = ()) -> str:
    """The period a report delivery speaks for, as `aco status` shows it: the quarter or year
    of its name or of its files' names (a QEXPU bundle's workbook), else its delivery date."""
    report = parse_report_name(delivery_id, is_dir=True)
    if report is None:
        return ""
    if report.period:
        return report.period
    for name in files:
        own = parse_report_name(name)
        if own is not None and own.kind == report.kind and own.period:
            return own.period
    return f"as of {report.created}" if report.created else "date not given"


def stage_report(raw_dir: Path, delivery_id: str, staging: Path
                 ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Read the landed delivery in `raw_dir` into `staging/<table>/part-0.parquet`; returns
    the manifest's per-file rows and checks. Raises CmsReportError."""
    from aco_pipeline.cms_reports.read import read_report, write_parquet

    report = delivery_name(delivery_id, raw_dir)
    if report is None:
        raise CmsReportError("not a recognised CMS report name", file=delivery_id)
    source = raw_dir if report.role == "bundle" and report.name == delivery_id \
        else raw_dir / report.name
    result = read_report(source, name=report.name)
    if not result.tables:
        raise CmsReportError("no report table could be read from it", file=report.name)
    write_parquet(result, staging)
    records: Counter[str] = Counter()
    for key, table in result.tables.items():
        for f in table.column("source_file").to_pylist():
            records[f"{key}\t{f}"] += 1
    files: list[dict[str, object]] = []
    for entry, n in sorted(records.items()):
        key, member = entry.split("\t", 1)
        files.append(_file_row(member, f"{report.report_type} {key}", n))
    counted = {str(f["member"]) for f in files}
    files += [_file_row(m, report.report_type, 0) for m in result.members if m not in counted]
    checks: list[dict[str, object]] = [
        {"file": report.name, "check": "report read", "passed": True, "warning": False,
         "detail": f"{len(result.members)} files, tables {', '.join(sorted(result.tables))}"}]
    checks += [{"file": issue.file, "check": issue.kind.replace("_", " "), "passed": False,
                "warning": True, "detail": str(issue)} for issue in result.issues]
    return files, checks


def _file_row(member: str, file_type: str, records: int) -> dict[str, object]:
    return {"name": member.rsplit("/", 1)[-1], "member": member, "file_type": file_type,
            "records": records}
