"""CMS file names: recognise a delivery file from its name, and build names as CMS does.

CCLF names follow IP v40 section 4.2 (`P.A####.ACO.ZCYyy.Dyymmdd.Thhmmsst`, run-outs
`ZCRyy`, inner files `ZC{n}Yyy`). Weekly CCLF, ALR and BNEX names are not in the IP; their
patterns come from real deliveries as described in docs/file-types.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from aco_pipeline.errors import AcoError

ENTITY = r"(?P<entity>[ADFKCP][0-9A-Z]{3,7})"
STAMP = r"\.D(?P<d>\d{6})\.T(?P<t>\d{7})"
WEEK = r"(?:\.S(?P<s>\d{6})\.E(?P<e>\d{6}))?"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # one zip per monthly/run-out/weekly delivery (IP v40 4.2)
    (
        "cclf_bundle",
        re.compile(
            rf"^(?P<env>[PT])\.{ENTITY}\.ACO\.ZC(?P<run>[YR]|WY)(?P<yy>\d{{2}}){WEEK}{STAMP}"
            r"(?P<ext>\.zip)?$"
        ),
    ),
    # the files inside it: ZC0..ZC9, ZCA, ZCB
    (
        "cclf",
        re.compile(
            rf"^(?P<env>[PT])\.{ENTITY}\.ACO\.ZC(?P<n>[0-9AB])(?P<run>[YR]|WY)(?P<yy>\d{{2}})"
            rf"{WEEK}{STAMP}(?P<ext>\.txt)?$"
        ),
    ),
    (
        "alr",
        re.compile(
            rf"^(?P<env>[PT])\.{ENTITY}\.ACO\.(?P<alr>[QA])ALR\."
            r"(?:(?P<qy>\d{4})Q(?P<q>[1-4])|Y(?P<ay>\d{4}))"
            r"\.D(?P<d>\d{6})\.T(?P<t>\d{7})(?:_(?P<table>\d-\d{1,2}))?(?P<ext>\.csv|\.zip)$"
        ),
    ),
    (
        "bnex",
        re.compile(rf"^(?P<env>[PT])\.{ENTITY}\.BNEX\.Y(?P<yy>\d{{2}}){STAMP}(?P<ext>\.xml)$"),
    ),
)


class UnrecognisedFileName(AcoError, ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name}: not a recognised CMS file name (expected a CCLF delivery "
            "P.A####.ACO.ZC[Y|R]yy.Dyymmdd.Thhmmsst, an inner CCLF file ZC{0-9,A,B}, "
            "an ALR table ...ALR...csv or a BNEX ...BNEX...xml)"
        )


@dataclass(frozen=True, slots=True)
class CmsFileName:
    """What a file name says about the file."""

    name: str
    kind: str  # cclf_bundle | cclf | alr | bnex; a CMS report's kind (qexpu, bnmrk, ...)
    entity_id: str  # A1234 for an SSP ACO
    test: bool  # T. prefix: a test file, not production
    file_type: str | None  # CCLF0..CCLFB for inner CCLF files
    run: str | None  # monthly | runout | weekly (CCLF only)
    performance_year: int | None
    created: date | None  # the D stamp; None where CMS prints 9999
    stamp: str  # Dyymmdd.Thhmmsst, orders deliveries of one entity
    period: str | None  # ALR: 2024Q1 or 2024; weekly CCLF: start..end
    alr_table: str | None  # ALR: 1-1, 1-2, ...
    delivery: str | None = None  # set by ingest.cms_report: a CMS report's delivery id

    @property
    def delivery_id(self) -> str:
        """The name of the delivery this file belongs to (its bundle name, without .zip).

        Inner CCLF files map to their bundle's name, so loose files group into deliveries;
        a CMS report file (ingest.cms_report) carries its delivery's id (its bundle folder's).
        """
        if self.delivery is not None:
            return self.delivery
        if self.kind in ("cclf", "cclf_bundle"):
            return _strip(self.name, ext=True, inner_number=True)
        # ALR tables and BNEX files are deliveries of their own (one file, or one zip)
        return re.sub(r"\.(csv|zip|xml)$", "", self.name)


def _strip(name: str, *, ext: bool, inner_number: bool) -> str:
    if ext:
        name = re.sub(r"\.(zip|txt)$", "", name)
    if inner_number:
        name = re.sub(r"\.ZC[0-9AB](?=([YR]|WY)\d{2}\.)", ".ZC", name)
    return name


def _date(yymmdd: str | None) -> date | None:
    if not yymmdd:
        return None
    try:
        return date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))
    except ValueError:
        return None


def parse_name(name: str) -> CmsFileName:
    """Recognise a CMS file from its base name; raises UnrecognisedFileName."""
    for kind, pattern in _PATTERNS:
        m = pattern.match(name)
        if not m:
            continue
        g = m.groupdict()
        run = {"Y": "monthly", "R": "runout", "WY": "weekly"}.get(g.get("run") or "")
        period = None
        if kind == "alr":
            period = f"{g['qy']}Q{g['q']}" if g.get("qy") else g["ay"]
            year = int(g.get("qy") or g["ay"])
        else:
            year = 2000 + int(g["yy"])
            if g.get("s"):
                period = f"{_date(g['s'])}..{_date(g['e'])}"
        n = g.get("n")
        return CmsFileName(
            name=name,
            kind=kind,
            entity_id=g["entity"],
            test=g["env"] == "T",
            file_type=f"CCLF{n}" if n else None,
            run=run,
            performance_year=year,
            created=_date(g.get("d")),
            stamp=f"D{g['d']}.T{g['t']}",
            period=period,
            alr_table=g.get("table"),
        )
    raise UnrecognisedFileName(name)


# What any CMS file name has (IP v40 4.2 and the ALR/BNEX patterns above): the environment
# and entity prefix `P.A1234.`, or one of the words CMS puts in its names.
_CMS_LIKE = re.compile(rf"^[PT]\.{ENTITY}\.|\.ACO\.|\.BNEX\.|ALR\.")


def looks_like_cms(name: str) -> bool:
    """Whether a file name looks like a CMS file's, recognised or not.

    A name that does not (`README.md`, `beneficiaries.parquet`, `.DS_Store`) is clearly not
    a delivery; one that does but fails `parse_name` (a truncated stamp, a renamed copy) is
    probably a damaged delivery, an error to report rather than noise to skip.
    """
    return bool(_CMS_LIKE.search(name))


def cclf_bundle_name(entity_id: str, performance_year: int, created: date, time: str,
                     *, runout: bool = False, test: bool = False) -> str:
    """`P.A1234.ACO.ZCY24.D240115.T1200000` (IP v40 4.2). `time` is the 7-digit hhmmsst."""
    run = "R" if runout else "Y"
    return (f"{'T' if test else 'P'}.{entity_id}.ACO.ZC{run}{performance_year % 100:02d}"
            f".D{created:%y%m%d}.T{time}")


def cclf_inner_name(bundle_name: str, file_type: str) -> str:
    """The inner file name for `file_type` (CCLF0..CCLFB) of a bundle name."""
    n = file_type.removeprefix("CCLF")
    return re.sub(r"\.ZC(?=([YR]|WY)\d{2}\.)", f".ZC{n}", bundle_name.removesuffix(".zip"), count=1)


def alr_name(entity_id: str, year: int, quarter: int | None, table: str, created: date,
             time: str) -> str:
    """`P.A1234.ACO.QALR.2024Q1.D240115.T1200000_1-1.csv` (annual: `AALR.Y2024`)."""
    period = f"QALR.{year}Q{quarter}" if quarter else f"AALR.Y{year}"
    return f"P.{entity_id}.ACO.{period}.D{created:%y%m%d}.T{time}_{table}.csv"


def bnex_name(entity_id: str, performance_year: int, created: date, time: str) -> str:
    """`P.A1234.BNEX.Y24.D240115.T1200000.xml`."""
    return f"P.{entity_id}.BNEX.Y{performance_year % 100:02d}.D{created:%y%m%d}.T{time}.xml"


def reference_period(name: CmsFileName) -> str:
    """The period a delivery speaks for, as people say it.

    Monthly CCLF: the month before its creation date (a delivery made in early March holds
    claims processed through February; field practice, not an IP rule). Run-outs: the
    performance year they complete. ALR: its quarter or year. BNEX: its creation date.
    """
    if name.kind in ("cclf", "cclf_bundle"):
        if name.run == "runout":
            return f"PY{name.performance_year} run-out"
        if name.run == "weekly" and name.period:
            return name.period
        if name.created:
            y, m = (name.created.year, name.created.month - 1) if name.created.month > 1 \
                else (name.created.year - 1, 12)
            return f"{y}-{m:02d}"
    if name.kind == "alr" and name.period:
        return name.period
    return f"as of {name.created}" if name.created else ""
