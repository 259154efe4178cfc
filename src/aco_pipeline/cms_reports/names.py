"""Names of CMS's MSSP report files (mssp-reports.md section 1): what a name says.

Grammar: `P.{ACO}.ACO.{TYPE}[.{period}].D{yymmdd}.T{7 digits}[.ext]`, the period `Y{YYYY}`
(annual or benchmark year) or `{YYYY}Q{n}` (quarterly). The MCQM bundle is
`P.{ACO}.QMCQM.D….T…` (no `.ACO.`). CMS sample files carry placeholder dates such as
`D259999`: the name is kept with an unknown date. Bundles are folders named like files, and
many files are zips without an extension; `role` says which a name is (a folder passed with
`is_dir=True` is always a bundle). The CCLF, ALR and BNEX names stay in `aco_pipeline.naming`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from aco_pipeline.naming import ENTITY

# name token -> (kind, frequency); mssp-reports.md section 1 table
TYPES: dict[str, tuple[str, str | None]] = {
    "BNMRK": ("bnmrk", None),
    "AEXPU": ("aexpu", "annual"),
    "QEXPU": ("qexpu", "quarterly"),
    "NCBPQ": ("ncbp", "quarterly"),
    "NCBPA": ("ncbp", "annual"),
    "BEUR": ("beur", None),
    "BAIP": ("baip", None),
    "MBI": ("mbi_crosswalk", None),
    "PATB": ("participant_list", None),
    "QMCQM": ("mcqm", "quarterly"),
    "MCQM": ("mcqm", "quarterly"),
}

_NAME = re.compile(
    rf"^(?P<env>[PT])\.{ENTITY}\.(?:(?P<aco>ACO)\.)?(?P<type>{'|'.join(TYPES)})"
    r"(?:\.(?:Y(?P<year>\d{4})|(?P<qyear>\d{4})Q(?P<q>[1-4])))?"
    r"\.D(?P<d>\d{6})\.T(?P<t>\d{7})(?P<ext>\.xlsx|\.csv|\.zip|\.txt)?$",
    re.IGNORECASE,
)

# members of a participant list zip (mssp-reports.md section 6): not in the CMS grammar
_MEMBERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("participants", re.compile(r"^participants? list.*\.csv$", re.IGNORECASE)),
    ("providers_suppliers", re.compile(r"^providers? and suppliers? list.*\.csv$", re.IGNORECASE)),
)

# extension-less names: which kinds are bundles (folders) and which are zips
_BUNDLE_TYPES = {"BNMRK", "QMCQM"}
_ZIP_TYPES = {"NCBPQ", "NCBPA", "MCQM", "PATB"}


@dataclass(frozen=True, slots=True)
class ReportName:
    """What a CMS report file name says about the file."""

    name: str
    kind: str  # bnmrk | aexpu | qexpu | ncbp | beur | baip | mbi_crosswalk | participant_list
    #            | mcqm
    report_type: str  # the name token: BNMRK, NCBPQ, QMCQM, ...
    aco_id: str
    test: bool  # T. prefix
    role: str  # bundle | zip | workbook | csv | unknown (no extension, open to see)
    frequency: str | None  # quarterly | annual | None
    period: str | None  # 2024Q1 or 2024 as in the name
    performance_year: int | None
    benchmark_year: int | None  # AEXPU inside a BNMRK bundle: the calendar year of BY1-BY3
    quarter: int | None
    created: date | None  # None for a placeholder date (D259999)
    placeholder_date: bool
    stamp: str  # Dyymmdd.Thhmmsst: orders deliveries of one ACO and kind

    @property
    def delivery_id(self) -> str:
        """The name without its extension (a bundle's folder name, a zip's name)."""
        return re.sub(r"\.(xlsx|csv|zip|txt)$", "", self.name, flags=re.IGNORECASE)


def _created(yymmdd: str) -> tuple[date | None, bool] | None:
    """(date, placeholder) or None for a damaged stamp. `yy9999` is CMS's placeholder."""
    if yymmdd[2:] == "9999":
        return None, True
    try:
        return date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])), False
    except ValueError:
        return None


def _role(token: str, ext: str | None, has_period: bool, is_dir: bool) -> str:
    if is_dir:
        return "bundle"
    if ext:
        return {".xlsx": "workbook", ".zip": "zip"}.get(ext.lower(), "csv")
    if token in _BUNDLE_TYPES or (token == "QEXPU" and not has_period):
        return "bundle"
    if token in _ZIP_TYPES:
        return "zip"
    return "unknown"


def parse_report_name(name: str, *, is_dir: bool = False) -> ReportName | None:
    """Recognise a CMS report file from its base name; None if it is not one.

    The performance year is the period's year; a BNMRK name carries none, so it is the year of
    the delivery date (unknown for a placeholder date), and an AEXPU's `Y{YYYY}` is a benchmark
    year whose performance year comes from its bundle (mssp-reports.md section 2).
    """
    m = _NAME.match(name)
    if not m:
        return None
    g = m.groupdict()
    token = g["type"].upper()
    if token == "QMCQM" and g["aco"]:
        return None
    if token != "QMCQM" and not g["aco"]:
        return None
    created = _created(g["d"])
    if created is None:
        return None
    day, placeholder = created
    kind, frequency = TYPES[token]
    year = int(g["year"]) if g["year"] else None
    qyear = int(g["qyear"]) if g["qyear"] else None
    quarter = int(g["q"]) if g["q"] else None
    period = f"{qyear}Q{quarter}" if qyear else (str(year) if year else None)
    benchmark_year = year if token == "AEXPU" else None
    if token == "AEXPU":
        performance_year = None
    elif qyear or year:
        performance_year = qyear or year
    else:
        performance_year = day.year if token == "BNMRK" and day else None
    return ReportName(
        name=name, kind=kind, report_type=token, aco_id=g["entity"], test=g["env"] == "T",
        role=_role(token, g["ext"], period is not None, is_dir), frequency=frequency,
        period=period, performance_year=performance_year, benchmark_year=benchmark_year,
        quarter=quarter, created=day, placeholder_date=placeholder,
        stamp=f"D{g['d']}.T{g['t']}",
    )


def member_kind(name: str) -> str | None:
    """The kind of a participant-list member (`Participants List*.csv`, `Providers and
    Suppliers List*.csv`), else the kind of a CMS-named member, else None."""
    for kind, pattern in _MEMBERS:
        if pattern.match(name):
            return kind
    parsed = parse_report_name(name)
    return parsed.kind if parsed else None
