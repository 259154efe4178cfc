"""Read CMS "Performance Year Financial and Quality Results" public use files (one row per ACO).

Columns are found by header name (case-insensitive), never by position.  Two styles exist:

* PY2021-PY2022: percentages printed with `%` (`7.17%`), thousands separators (`89,403`), the
  PY2021 track as one 0/1 indicator column per track (`Current_Track_1` ... `Current_ENHANCED`),
  PY2022 as `Current_Track` in {A,B,C,D,E,EN}.
* PY2023+: plain numbers without `%`, `Current_Track` in {A,B,C,D,E,EN}, and the added columns
  `Met_AltQPS`, `ReducedSS`, `Rev_Exp_Cat`, `Current_Start_Date`, `FinalLossRate`, `Guardrail`.

Suppressed cells (`*`) and blanks read as None; a suppressed input is recorded on the record so
the settlement can say why an ACO cannot be recomputed.  Any other unreadable value stops with
a `PufFormatError` naming the file, line and column.

The result columns (GenSaveLoss, FinalShareRate, FinalLossRate, EarnSaveLoss, and DisAdj,
ReducedSS) are read into `PublishedResults` for comparison only; they never feed the engine.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from aco_pipeline.errors import AcoError
from aco_pipeline.metrics.shared_savings import RevenueCategory, Track

SUPPRESSED = "*"

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

# Inputs every file must have (the track is checked separately: either style).
REQUIRED_COLUMNS: tuple[str, ...] = (
    "ACO_ID", "N_AB", "ABtotBnchmk", "ABtotExp", "QualScore", "Met_QPS", "MinSavPerc",
    "EarnSaveLoss",
)
# Columns whose values are rates (printed with `%` up to PY2022).
RATE_COLUMNS: tuple[str, ...] = (
    "Sav_rate", "MinSavPerc", "FinalShareRate", "FinalLossRate", "MaxShareRate",
)
NUMBER_COLUMNS: tuple[str, ...] = (
    "N_AB", "ABtotBnchmk", "ABtotExp", "BnchmkMinExp", "QualScore", "GenSaveLoss", "DisAdj",
    "EarnSaveLoss", "Agreement_Period_Num",
)
FLAG_COLUMNS: tuple[str, ...] = (
    "Met_QPS", "Met_AltQPS", "ReducedSS", "RevLossLimit", "Prorate_Shared_Losses", "Guardrail",
)
DATE_COLUMNS: tuple[str, ...] = ("Current_Start_Date",)

_PY_IN_NAME = re.compile(r"PY[_ -]?(\d{4})", re.IGNORECASE)
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


class PufFormatError(AcoError, ValueError):
    """A PUF file that cannot be read as documented; the message names file, line, column."""


@dataclass(frozen=True)
class PublishedResults:
    """CMS's own results, for comparison only (never engine inputs)."""

    generated: Decimal | None
    earned: Decimal | None
    dis_adj: Decimal | None
    final_share_rate: Decimal | None
    final_loss_rate: Decimal | None
    reduced_ss: bool | None


@dataclass(frozen=True)
class PufRecord:
    """One ACO row, normalised: rates as fractions, quality score in points, money in dollars."""

    line: int
    aco_id: str
    track: Track | None
    risk_model: str | None
    assigned_beneficiaries: int | None
    benchmark: Decimal | None
    expenditures: Decimal | None
    savings_published: Decimal | None  # BnchmkMinExp (B - E as published)
    savings_rate_published: Decimal | None
    min_sav_perc: Decimal | None  # published MSR, rounded to 0.01 pp
    quality_score: Decimal | None
    met_qps: bool | None
    met_alt_qps: bool | None
    revenue_category: RevenueCategory | None
    agreement_start: date | None
    agreement_period_num: int | None
    revenue_loss_limit: bool | None  # PY2021 RevLossLimit
    prorate_shared_losses: bool | None
    guardrail: bool | None
    published: PublishedResults
    suppressed: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class PufFile:
    path: Path
    performance_year: int
    style: str  # "percent-signs" (PY2021-2022) or "plain-numbers" (PY2023+)
    records: list[PufRecord]


def performance_year_from_name(path: Path) -> int | None:
    m = _PY_IN_NAME.search(path.name)
    return int(m.group(1)) if m else None


class _Reader:
    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.index: dict[str, int] = {}
        for i, name in enumerate(header):
            key = name.strip().lstrip("\ufeff").lower()
            self.index.setdefault(key, i)

    def has(self, column: str) -> bool:
        return column.lower() in self.index

    def raw(self, row: list[str], column: str) -> str | None:
        i = self.index.get(column.lower())
        if i is None or i >= len(row):
            return None
        return row[i].strip()

    def error(self, line: int, column: str, value: str, what: str) -> PufFormatError:
        return PufFormatError(
            f"{self.path}: line {line}, column {column}: {value!r} is not {what}"
        )


def _parse_decimal(text: str) -> tuple[Decimal, bool] | None:
    """(value, had_percent_sign) or None when not a number."""
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
        value = Decimal(t)
    except InvalidOperation:  # pragma: no cover - the regex already guards this
        return None
    return (-value if negative else value), percent


def _parse_date(text: str) -> date | None:
    for fmt in ("%m/%d/%Y", "%Y-%m-%d", "%m/%d/%y", "%d%b%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


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


def read_puf(path: Path, performance_year: int | None = None) -> PufFile:
    """Read and normalise a PUF file; raises `PufFormatError` (or OSError) on failure."""
    py = performance_year or performance_year_from_name(path)
    with path.open(newline="", encoding="utf-8-sig", errors="strict") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise PufFormatError(f"{path}: empty file (no header line)")
    header, body = rows[0], rows[1:]
    missing = missing_columns(header)
    if missing:
        raise PufFormatError(f"{path}: missing required column(s): {', '.join(missing)}")
    reader = _Reader(path, header)
    if py is None:
        raise PufFormatError(
            f"{path}: cannot tell the performance year (no 'PY2022'-style name); pass it "
            "explicitly (aco settle --py YEAR)"
        )

    # Pass 1: parse every numeric cell, remembering whether rates carried a `%` sign.
    parsed: list[tuple[int, list[str], dict[str, Decimal | None], set[str]]] = []
    percent_seen: dict[str, bool] = {c: False for c in RATE_COLUMNS}
    plain_above_one: dict[str, bool] = {c: False for c in RATE_COLUMNS}
    pct_sign_cells: set[tuple[int, str]] = set()
    for offset, row in enumerate(body):
        line = offset + 2
        if not any(cell.strip() for cell in row):
            continue
        values: dict[str, Decimal | None] = {}
        suppressed: set[str] = set()
        for column in (*NUMBER_COLUMNS, *RATE_COLUMNS):
            text = reader.raw(row, column)
            if text is None or text == "":
                values[column] = None
                continue
            if text == SUPPRESSED:
                values[column] = None
                suppressed.add(column)
                continue
            got = _parse_decimal(text)
            if got is None:
                raise reader.error(line, column, text, "a number")
            value, percent = got
            values[column] = value
            if column in RATE_COLUMNS:
                if percent:
                    percent_seen[column] = True
                    pct_sign_cells.add((line, column))
                elif abs(value) > 1:
                    plain_above_one[column] = True
        parsed.append((line, row, values, suppressed))

    # Plain rates are percent points when any value in the column exceeds 1, else fractions.
    plain_is_points = {c: plain_above_one[c] for c in RATE_COLUMNS}
    style = "percent-signs" if any(percent_seen.values()) else "plain-numbers"
    quality_values = [v["QualScore"] for _, _, v, _ in parsed if v["QualScore"] is not None]
    quality_is_fraction = bool(quality_values) and all(q <= 1 for q in quality_values)

    records = []
    for line, row, values, suppressed in parsed:
        def rate(column: str, line: int = line,
                 values: dict[str, Decimal | None] = values) -> Decimal | None:
            v = values[column]
            if v is None:
                return None
            if (line, column) in pct_sign_cells or plain_is_points[column]:
                return v / 100
            return v

        def flag(column: str, line: int = line, row: list[str] = row,
                 suppressed: set[str] = suppressed) -> bool | None:
            text = reader.raw(row, column)
            if text is None or text == "":
                return None
            if text == SUPPRESSED:
                suppressed.add(column)
                return None
            t = text.upper()
            if t in ("1", "Y", "YES", "TRUE", "1.0"):
                return True
            if t in ("0", "N", "NO", "FALSE", "0.0"):
                return False
            raise reader.error(line, column, text, "a 0/1 flag")

        aco_id = reader.raw(row, "ACO_ID") or ""
        if not aco_id:
            raise reader.error(line, "ACO_ID", aco_id, "an ACO identifier")
        track = _track(reader, row, line, suppressed)
        n = values["N_AB"]
        if n is not None and n != n.to_integral_value():
            raise reader.error(line, "N_AB", reader.raw(row, "N_AB") or "", "a whole number")
        quality = values["QualScore"]
        if quality is not None and quality_is_fraction:
            quality = quality * 100
        rev_text = reader.raw(row, "Rev_Exp_Cat")
        revenue = None
        if rev_text and rev_text != SUPPRESSED:
            low = rev_text.lower()
            if low.startswith("low"):
                revenue = RevenueCategory.LOW
            elif low.startswith("high"):
                revenue = RevenueCategory.HIGH
            else:
                raise reader.error(line, "Rev_Exp_Cat", rev_text, "Low/High Revenue")
        start_text = reader.raw(row, "Current_Start_Date")
        start = None
        if start_text and start_text != SUPPRESSED:
            start = _parse_date(start_text)
            if start is None:
                raise reader.error(line, "Current_Start_Date", start_text, "a date")
        period = values["Agreement_Period_Num"]
        records.append(PufRecord(
            line=line,
            aco_id=aco_id,
            track=track,
            risk_model=reader.raw(row, "Risk_Model") or None,
            assigned_beneficiaries=int(n) if n is not None else None,
            benchmark=values["ABtotBnchmk"],
            expenditures=values["ABtotExp"],
            savings_published=values["BnchmkMinExp"],
            savings_rate_published=rate("Sav_rate"),
            min_sav_perc=rate("MinSavPerc"),
            quality_score=quality,
            met_qps=flag("Met_QPS"),
            met_alt_qps=flag("Met_AltQPS"),
            revenue_category=revenue,
            agreement_start=start,
            agreement_period_num=int(period) if period is not None else None,
            revenue_loss_limit=flag("RevLossLimit"),
            prorate_shared_losses=flag("Prorate_Shared_Losses"),
            guardrail=flag("Guardrail"),
            published=PublishedResults(
                generated=values["GenSaveLoss"],
                earned=values["EarnSaveLoss"],
                dis_adj=values["DisAdj"],
                final_share_rate=rate("FinalShareRate"),
                final_loss_rate=rate("FinalLossRate"),
                reduced_ss=flag("ReducedSS"),
            ),
            suppressed=frozenset(suppressed),
        ))
    return PufFile(path=path, performance_year=py, style=style, records=records)


def _track(reader: _Reader, row: list[str], line: int, suppressed: set[str]) -> Track | None:
    if reader.has("Current_Track"):
        text = reader.raw(row, "Current_Track") or ""
        if text in ("", SUPPRESSED):
            suppressed.add("Current_Track")
            return None
        track = TRACK_CODES.get(text.upper().replace("_", " "))
        if track is None:
            raise reader.error(line, "Current_Track", text,
                               "a track code (A, B, C, D, E, EN; legacy 1, 1+, 2, 3)")
        return track
    chosen: list[Track] = []
    for column, track in TRACK_INDICATORS.items():
        text = reader.raw(row, column) or ""
        if text in ("", "0"):
            continue
        if text == "1":
            chosen.append(track)
        elif text == SUPPRESSED:
            suppressed.add(column)
        else:
            raise reader.error(line, column, text, "a 0/1 track indicator")
    if not chosen and any(c in suppressed for c in TRACK_INDICATORS):
        return None
    if len(chosen) != 1:
        raise PufFormatError(
            f"{reader.path}: line {line}, columns {', '.join(TRACK_INDICATORS)}: "
            f"expected exactly one track indicator set to 1, found {len(chosen)}"
        )
    return chosen[0]
