"""Read CMS "Performance Year Financial and Quality Results" public use files (one row per ACO).

Public entry points (plain functions; neither touches anything but the one file or string):

* ``read_puf(path, performance_year=None) -> PufFile`` reads a file exactly as CMS publishes it;
* ``parse_puf(text, source="<text>", performance_year=None) -> PufFile`` reads the same from a
  string (``source`` names it in messages).

Both return every ACO row as a ``PufRecord`` or raise a ``PufError`` (an ``AcoError``):

* ``PufFormatError`` (also a ``ValueError``): content that cannot be read as documented. The
  message names the source, the line and, where there is one, the column:
  ``FILE: line 4, column ABtotExp: 'n/a' is not a number``. Raised for a missing required
  column, a duplicated header name, a row with more or fewer cells than the header, bytes that
  are not UTF-8, a CSV syntax error, or a malformed value in a known column.
* ``PufReadError`` (also an ``OSError``, ``read_puf`` only): the file cannot be opened or read.

Anything else escaping these functions is a bug.

How cells are read (``shared/reference/mssp-reports.md`` section 7):

* Columns are found by header name (case-insensitive), never by position. Each known column has
  a kind (number, rate, flag, date, track, ...) in ``COLUMN_KINDS`` or ``COLUMN_FAMILIES``; a
  column of neither is *unknown*: kept as text on the record and listed in
  ``PufFile.unknown_columns``, never fatal.
* The markers mean "no value" for that cell and are kept as a ``NoValue`` with its reason:
  ``-`` not applicable, ``*`` suppressed (small cell), an empty cell not published; a column
  absent from the file reads as not in file. A marker never stops the file.
* Numbers may carry thousands separators, ``$`` and ``%``; rates are stored as fractions
  (``7.17%`` -> 0.0717; a plain rate column is read as percent points when any value in it
  exceeds 1), ``QualScore`` in points. Money is ``Decimal``.

The result columns (GenSaveLoss, FinalShareRate, FinalLossRate, EarnSaveLoss, ReducedSS) are read
into ``PublishedResults`` for comparison only; they never feed the engine. ``DisAdj`` (the EUC
loss adjustment) is on the record: PY2023+ settlement uses it as an input.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from pathlib import Path
from typing import TypeVar

from aco_pipeline.errors import AcoError
from aco_pipeline.metrics.shared_savings import RevenueCategory, Track

T = TypeVar("T")


class PufError(AcoError):
    """Root of the PUF reader's errors."""


class PufFormatError(PufError, ValueError):
    """A PUF that cannot be read as documented; the message names source, line and column."""


class PufReadError(PufError, OSError):
    """A PUF file that cannot be opened or read."""


# --- "no value" markers (mssp-reports.md section 7) -----------------------------------------

class Marker(StrEnum):
    """Why a cell has no value."""

    NOT_APPLICABLE = "not applicable"  # `-`
    SUPPRESSED = "suppressed"  # `*`, small cell
    NOT_PUBLISHED = "not published"  # empty cell
    NOT_IN_FILE = "not in file"  # the column is absent from this file


MARKER_TEXT: dict[Marker, str] = {
    Marker.NOT_APPLICABLE: "-", Marker.SUPPRESSED: "*", Marker.NOT_PUBLISHED: "",
}


@dataclass(frozen=True)
class NoValue:
    """A cell without a value, with the reason CMS gives (or the column's absence)."""

    reason: Marker

    def describe(self, column: str) -> str:
        if self.reason is Marker.NOT_IN_FILE:
            return f"{column} not in file"
        return f"{column} {self.reason} ({MARKER_TEXT[self.reason]!r})"


NOT_APPLICABLE = NoValue(Marker.NOT_APPLICABLE)
SUPPRESSED = NoValue(Marker.SUPPRESSED)
NOT_PUBLISHED = NoValue(Marker.NOT_PUBLISHED)
NOT_IN_FILE = NoValue(Marker.NOT_IN_FILE)
MARKERS: dict[str, NoValue] = {"-": NOT_APPLICABLE, "*": SUPPRESSED, "": NOT_PUBLISHED}


def value(cell: T | NoValue) -> T | None:
    """The cell's value, or None when it carries a marker."""
    return None if isinstance(cell, NoValue) else cell


# --- the columns ---------------------------------------------------------------------------

class Kind(Enum):
    TEXT = "text"
    ID = "an ACO identifier"
    COUNT = "a whole number"
    NUMBER = "a number"
    RATE = "a rate"  # stored as a fraction
    QUALITY = "a quality score"  # stored in points
    FLAG = "a 0/1 flag"
    DATE = "a date"
    TRACK = "a track code (A, B, C, D, E, EN; legacy 1, 1+, 2, 3)"
    REVENUE = "Low Revenue or High Revenue"


def _kinds(kind: Kind, *names: str) -> dict[str, Kind]:
    return {n.lower(): kind for n in names}


# PY2021 indicator columns -> track.
TRACK_INDICATORS: dict[str, Track] = {
    "Current_Track_1": Track.TRACK_1,
    "Current_Track_2": Track.TRACK_2,
    "Current_Track_3": Track.TRACK_3,
    "Current_Track_1_Plus": Track.TRACK_1_PLUS,
    "Current_BASIC_A": Track.BASIC_A,
    "Current_BASIC_B": Track.BASIC_B,
    "Current_BASIC_C": Track.BASIC_C,
    "Current_BASIC_D": Track.BASIC_D,
    "Current_BASIC_E": Track.BASIC_E,
    "Current_ENHANCED": Track.ENHANCED,
}

TRACK_CODES: dict[str, Track] = {
    "A": Track.BASIC_A, "B": Track.BASIC_B, "C": Track.BASIC_C, "D": Track.BASIC_D,
    "E": Track.BASIC_E, "EN": Track.ENHANCED, "ENHANCED": Track.ENHANCED,
    "BASIC A": Track.BASIC_A, "BASIC B": Track.BASIC_B, "BASIC C": Track.BASIC_C,
    "BASIC D": Track.BASIC_D, "BASIC E": Track.BASIC_E,
    "1": Track.TRACK_1, "TRACK 1": Track.TRACK_1, "1+": Track.TRACK_1_PLUS,
    "TRACK 1+": Track.TRACK_1_PLUS, "2": Track.TRACK_2, "TRACK 2": Track.TRACK_2,
    "3": Track.TRACK_3, "TRACK 3": Track.TRACK_3,
}

# Every named column of the PY2021-PY2023 files, and the PY2024 additions section 7 names
# (AIP, prior savings adjustment, guardrail, demographic risk scores, Medicare CQM).
COLUMN_KINDS: dict[str, Kind] = {
    **_kinds(Kind.ID, "ACO_ID"),
    **_kinds(Kind.TEXT, "ACO_Name", "ACO_State", "Agree_Type", "Risk_Model", "Assign_Type",
             "FinalAdjCat", "Final_Adj_Cat"),
    **_kinds(Kind.DATE, "Initial_Start_Date", "Current_Start_Date"),
    **_kinds(Kind.TRACK, "Current_Track"),
    **_kinds(Kind.FLAG, *TRACK_INDICATORS, "Adv_Pay", "AIM", "AIP", "SNF_Waiver", "DisAffQual",
             "Met_QPS", "Met_AltQPS", "Met_30pctl", "Met_40pctl", "Met_Incentive",
             "Met_FirstYear", "Met_SSP_Quality_Reporting",
             "Met_SSP_quality_reporting_requirements", "Report_WI", "Report_eCQM",
             "Report_CQM", "Report_eCQM_CQM", "Report_eCQM_CQM_MedicareCQM", "Report_Inc",
             "Recvd30p", "Recvd40p", "RevLossLimit", "Prorate_Shared_Losses", "ReducedSS",
             "Guardrail"),
    **_kinds(Kind.COUNT, "N_AB", "Agreement_Period_Num"),
    **_kinds(Kind.NUMBER, "BnchmkMinExp", "GenSaveLoss", "DisAdj", "Impact_Mid_Year_Termination",
             "EarnSaveLoss", "PosRegAdj", "RegAdj", "PriorSavAdj", "UpdatedBnchmk", "HistBnchmk",
             "ABtotBnchmk", "ABtotExp", "Adv_Pay_Amt", "Adv_Pay_Recoup", "AIPBalance",
             "AIPRecoup", "AIPOwe", "ADM", "SNF_LOS", "SNF_PayperStay"),
    **_kinds(Kind.RATE, "Sav_rate", "MinSavPerc", "MaxShareRate", "FinalShareRate",
             "FinalLossRate"),
    **_kinds(Kind.QUALITY, "QualScore"),
    **_kinds(Kind.REVENUE, "Rev_Exp_Cat"),
}
# Families of descriptive columns (expenditure, risk, utilization, provider counts, quality
# measures); numbers, `%` allowed and kept as printed. Never engine inputs.
COLUMN_FAMILIES: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"Per_Capita_Exp_\w+", r"CMS_HCC_RiskScore_\w+", r"Demog_RiskScore_\w+", r"RR_Weight_\w+",
    r"N_AB_Year_\w+", r"N_Ben_\w+", r"CapAnn_\w+", r"ADM_\w+", r"P_\w+",
    r"N_(CAH|FQHC|RHC|ETA|Hosp|Fac_Other|PCP|Spec|NP|PA|CNS)", r"Perc_\w+", r"CAHPS_\d+",
    r"Measure_\w+", r"QualityID_[\w-]+",
))

# Inputs every file must have (the track is checked separately: either style).
REQUIRED_COLUMNS: tuple[str, ...] = (
    "ACO_ID", "N_AB", "ABtotBnchmk", "ABtotExp", "QualScore", "Met_QPS", "MinSavPerc",
    "EarnSaveLoss",
)

_PY_IN_NAME = re.compile(r"PY[_ -]?(\d{4})", re.IGNORECASE)
# Decimals, with at most a two-digit exponent; no NaN or infinities.
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d{1,2})?$")
_FLAGS = {"1": True, "Y": True, "YES": True, "TRUE": True, "1.0": True,
          "0": False, "N": False, "NO": False, "FALSE": False, "0.0": False}
_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%m/%d/%y", "%d%b%Y", "%Y%m%d", "%d-%b-%Y",
                 "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%Y-%m-%dT%H:%M:%S")

Cell = str | Decimal | bool | date | Track | RevenueCategory | NoValue


def column_kind(name: str) -> Kind | None:
    """The kind of a known column (case-insensitive), None for an unknown one."""
    key = name.strip().lower()
    if key in COLUMN_KINDS:
        return COLUMN_KINDS[key]
    if any(p.fullmatch(key) for p in COLUMN_FAMILIES):
        return Kind.NUMBER
    return None


# --- records -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublishedResults:
    """CMS's own results, for comparison only (never engine inputs)."""

    generated: Decimal | NoValue
    earned: Decimal | NoValue
    final_share_rate: Decimal | NoValue
    final_loss_rate: Decimal | NoValue
    reduced_ss: bool | NoValue


@dataclass(frozen=True)
class PufRecord:
    """One ACO row: rates as fractions, quality score in points, money in dollars.

    Every field is its value or a `NoValue` with the reason; `cells` has every known column by
    its header name, `unknown` the text of every unknown column.
    """

    line: int
    aco_id: str
    track: Track | NoValue
    risk_model: str | NoValue
    assigned_beneficiaries: int | NoValue
    benchmark: Decimal | NoValue
    expenditures: Decimal | NoValue
    savings_published: Decimal | NoValue  # BnchmkMinExp (B - E as published)
    savings_rate_published: Decimal | NoValue
    min_sav_perc: Decimal | NoValue  # published MSR, rounded to 0.01 pp
    quality_score: Decimal | NoValue
    met_qps: bool | NoValue
    met_alt_qps: bool | NoValue
    revenue_category: RevenueCategory | NoValue
    agreement_start: date | NoValue
    agreement_period_num: int | NoValue
    revenue_loss_limit: bool | NoValue  # PY2021 RevLossLimit
    prorate_shared_losses: bool | NoValue  # PY2022 Prorate_Shared_Losses
    mid_year_termination: Decimal | NoValue  # PY2023+ Impact_Mid_Year_Termination
    dis_adj: Decimal | NoValue  # EUC loss adjustment (<= 0)
    guardrail: bool | NoValue  # PY2024+
    aip_recouped: Decimal | NoValue  # PY2024+ AIPRecoup
    prior_savings_adjustment: Decimal | NoValue  # PY2024+ PriorSavAdj (in the benchmark)
    published: PublishedResults
    cells: Mapping[str, Cell] = field(default_factory=dict)
    unknown: Mapping[str, str] = field(default_factory=dict)

    def reason(self, column: str) -> NoValue | None:
        """The marker of `column` on this row (None when it has a value)."""
        for name, cell in self.cells.items():
            if name.lower() == column.lower():
                return cell if isinstance(cell, NoValue) else None
        return NOT_IN_FILE


@dataclass(frozen=True)
class PufFile:
    path: Path
    performance_year: int
    style: str  # "percent-signs" (rates printed with %) or "plain-numbers"
    records: list[PufRecord]
    columns: tuple[str, ...] = ()
    unknown_columns: tuple[str, ...] = ()
    markers: Counter[Marker] = field(default_factory=Counter)


def performance_year_from_name(path: Path | str) -> int | None:
    m = _PY_IN_NAME.search(Path(path).name)
    return int(m.group(1)) if m else None


def missing_columns(header: Iterable[str]) -> list[str]:
    """Required columns absent from a header (the track in either style)."""
    names = {h.strip().lstrip("\ufeff").lower() for h in header}
    missing = [c for c in REQUIRED_COLUMNS if c.lower() not in names]
    if "current_track" not in names:
        indicators = [c for c in TRACK_INDICATORS if c.lower() in names]
        if not indicators:
            missing.append("Current_Track (or the PY2021 indicator columns "
                           + ", ".join(TRACK_INDICATORS) + ")")
        else:
            missing.extend(c for c in TRACK_INDICATORS if c.lower() not in names)
    return missing


# --- reading -------------------------------------------------------------------------------

def read_puf(path: Path, performance_year: int | None = None) -> PufFile:
    """Read a PUF file exactly as CMS publishes it (see the module docstring for errors)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise PufReadError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise PufFormatError(
            f"{path}: line {line}: byte 0x{data[exc.start]:02x} is not UTF-8 text") from exc
    return parse_puf(text, str(path), performance_year)


def parse_puf(text: str, source: str = "<text>",
              performance_year: int | None = None) -> PufFile:
    """Read PUF text; `source` names it in messages and gives the year when it has one."""
    py = performance_year or performance_year_from_name(source)
    rows = list(_rows(text.removeprefix("\ufeff"), source))
    if not rows:
        raise PufFormatError(f"{source}: line 1: empty file (no header line)")
    header_line, header = rows[0]
    header = [h.strip() for h in header]
    missing = missing_columns(header)
    if missing:
        raise PufFormatError(
            f"{source}: line {header_line}: missing required column(s): {', '.join(missing)}")
    seen: dict[str, str] = {}
    for name in header:
        if name and name.lower() in seen:
            raise PufFormatError(
                f"{source}: line {header_line}, column {name}: the header names it twice")
        seen[name.lower()] = name
    if py is None:
        raise PufFormatError(
            f"{source}: cannot tell the performance year (no 'PY2022'-style name); pass it "
            "explicitly (aco settle --py YEAR)")
    kinds = [column_kind(h) if h else None for h in header]
    labels = [h or f"(unnamed column {i + 1})" for i, h in enumerate(header)]
    unknown = tuple(lab for lab, k in zip(labels, kinds, strict=True) if k is None)

    # Pass 1: every known cell to a value or a marker; rates remember their `%` sign.
    parsed: list[tuple[int, dict[str, Cell], dict[str, str]]] = []
    percent_cells: set[tuple[int, str]] = set()
    plain_above_one: set[str] = set()
    percent_seen = False
    quality_fraction = True
    quality_seen = False
    markers: Counter[Marker] = Counter()
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise PufFormatError(
                f"{source}: line {line}: {len(row)} cells, the header has {len(header)}")
        cells: dict[str, Cell] = {}
        extra: dict[str, str] = {}
        for name, label, kind, raw in zip(header, labels, kinds, row, strict=True):
            text_value = raw.strip()
            if kind is None:
                extra[label] = raw
                continue
            if text_value in MARKERS:
                cells[name] = MARKERS[text_value]
                markers[MARKERS[text_value].reason] += 1
                continue
            got, percent = _cell(kind, text_value, source, line, name)
            cells[name] = got
            if kind is Kind.RATE and isinstance(got, Decimal):
                if percent:
                    percent_seen = True
                    percent_cells.add((line, name))
                elif abs(got) > 1:
                    plain_above_one.add(name)
            if kind is Kind.QUALITY and isinstance(got, Decimal):
                quality_seen = True
                quality_fraction = quality_fraction and not percent and got <= 1
        parsed.append((line, cells, extra))

    # Pass 2: scale rates (a plain column is in percent points when any value exceeds 1) and
    # quality scores (points unless every value is a plain fraction).
    records = []
    for line, cells, extra in parsed:
        for name, kind in zip(header, kinds, strict=True):
            got = cells.get(name)
            if not isinstance(got, Decimal):
                continue
            if kind is Kind.RATE and ((line, name) in percent_cells or name in plain_above_one):
                cells[name] = got / 100
            elif kind is Kind.QUALITY and quality_seen and quality_fraction:
                cells[name] = got * 100
        records.append(_record(source, line, cells, extra))
    return PufFile(
        path=Path(source), performance_year=py,
        style="percent-signs" if percent_seen else "plain-numbers", records=records,
        columns=tuple(header), unknown_columns=unknown, markers=markers)


def _rows(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) per CSV record; a CSV syntax error names its line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise PufFormatError(f"{source}: line {reader.line_num}: {exc}") from exc
        yield start, row
        start = reader.line_num + 1


def _error(source: str, line: int, column: str, text: str, kind: Kind) -> PufFormatError:
    shown = text if len(text) <= 40 else text[:40] + "..."
    return PufFormatError(f"{source}: line {line}, column {column}: {shown!r} is not {kind.value}")


def _cell(kind: Kind, text: str, source: str, line: int, column: str) -> tuple[Cell, bool]:
    """(value, printed with `%`) for a non-marker cell of a known column."""
    if kind in (Kind.TEXT, Kind.ID):
        return text, False
    if kind in (Kind.NUMBER, Kind.RATE, Kind.QUALITY, Kind.COUNT):
        number = _decimal(text)
        if number is None:
            raise _error(source, line, column, text, kind)
        got, percent = number
        if kind is Kind.COUNT and (percent or got != got.to_integral_value()):
            raise _error(source, line, column, text, kind)
        return got, percent
    if kind is Kind.FLAG:
        flag = _FLAGS.get(text.upper())
        if flag is None:
            raise _error(source, line, column, text, kind)
        return flag, False
    if kind is Kind.DATE:
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).date(), False
            except ValueError:
                continue
        raise _error(source, line, column, text, kind)
    if kind is Kind.TRACK:
        track = TRACK_CODES.get(" ".join(text.upper().replace("_", " ").replace(
            "LEVEL", "").split()))
        if track is None:
            raise _error(source, line, column, text, kind)
        return track, False
    low = text.lower()  # Kind.REVENUE
    if low.startswith("low"):
        return RevenueCategory.LOW, False
    if low.startswith("high"):
        return RevenueCategory.HIGH, False
    raise _error(source, line, column, text, kind)


def _decimal(text: str) -> tuple[Decimal, bool] | None:
    """(value, had a `%` sign) or None when not a number."""
    t = text.replace(",", "").replace("$", "").replace(" ", "")
    negative = t.startswith("(") and t.endswith(")")
    if negative:
        t = t[1:-1]
    percent = t.endswith("%")
    if percent:
        t = t[:-1]
    if not _NUMBER.match(t):
        return None
    try:
        number = Decimal(t)
    except InvalidOperation:  # pragma: no cover - the regex already guards this
        return None
    return (-number if negative else number), percent


def _record(source: str, line: int, cells: dict[str, Cell], extra: dict[str, str]) -> PufRecord:
    by_key = {name.lower(): name for name in cells}

    def get(column: str) -> Cell:
        name = by_key.get(column.lower())
        return NOT_IN_FILE if name is None else cells[name]

    def typed(column: str, kind: type[T]) -> T | NoValue:
        got = get(column)
        if isinstance(got, NoValue | kind):
            return got
        raise AssertionError(f"{column}: {type(got).__name__} is not {kind.__name__}")

    aco_id = get("ACO_ID")
    if not isinstance(aco_id, str) or not aco_id:
        shown = MARKER_TEXT.get(aco_id.reason, "") if isinstance(aco_id, NoValue) else aco_id
        raise PufFormatError(
            f"{source}: line {line}, column ACO_ID: {shown!r} is not an ACO identifier")
    n = typed("N_AB", Decimal)
    period = typed("Agreement_Period_Num", Decimal)
    return PufRecord(
        line=line,
        aco_id=aco_id,
        track=_track(source, line, get),
        risk_model=typed("Risk_Model", str),
        assigned_beneficiaries=int(n) if isinstance(n, Decimal) else n,
        benchmark=typed("ABtotBnchmk", Decimal),
        expenditures=typed("ABtotExp", Decimal),
        savings_published=typed("BnchmkMinExp", Decimal),
        savings_rate_published=typed("Sav_rate", Decimal),
        min_sav_perc=typed("MinSavPerc", Decimal),
        quality_score=typed("QualScore", Decimal),
        met_qps=typed("Met_QPS", bool),
        met_alt_qps=typed("Met_AltQPS", bool),
        revenue_category=typed("Rev_Exp_Cat", RevenueCategory),
        agreement_start=typed("Current_Start_Date", date),
        agreement_period_num=int(period) if isinstance(period, Decimal) else period,
        revenue_loss_limit=typed("RevLossLimit", bool),
        prorate_shared_losses=typed("Prorate_Shared_Losses", bool),
        mid_year_termination=typed("Impact_Mid_Year_Termination", Decimal),
        dis_adj=typed("DisAdj", Decimal),
        guardrail=typed("Guardrail", bool),
        aip_recouped=typed("AIPRecoup", Decimal),
        prior_savings_adjustment=typed("PriorSavAdj", Decimal),
        published=PublishedResults(
            generated=typed("GenSaveLoss", Decimal),
            earned=typed("EarnSaveLoss", Decimal),
            final_share_rate=typed("FinalShareRate", Decimal),
            final_loss_rate=typed("FinalLossRate", Decimal),
            reduced_ss=typed("ReducedSS", bool),
        ),
        cells=cells,
        unknown=extra,
    )


def _track(source: str, line: int, get: Callable[[str], Cell]) -> Track | NoValue:
    current = get("Current_Track")
    if isinstance(current, Track):
        return current
    if isinstance(current, NoValue) and current is not NOT_IN_FILE:
        return current
    chosen: list[Track] = []
    marked: NoValue | None = None
    for column, track in TRACK_INDICATORS.items():
        got = get(column)
        if got is True:
            chosen.append(track)
        elif isinstance(got, NoValue) and got is not NOT_PUBLISHED:
            marked = got
    if not chosen and marked is not None:
        return marked
    if len(chosen) != 1:
        raise PufFormatError(
            f"{source}: line {line}, columns {', '.join(TRACK_INDICATORS)}: "
            f"expected exactly one track indicator set to 1, found {len(chosen)}")
    return chosen[0]
