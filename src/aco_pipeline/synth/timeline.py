"""The delivery calendar: which CCLF deliveries a span produces, and when each is created.

Months are integers (numpy `datetime64[M]` ordinals: months since 1970-01), days are
`datetime64[D]` ordinals. A monthly delivery for reference month M is created early in month
M+1 and carries claims loaded (CLM_IDR_LD_DT) up to the end of M. Run-out deliveries for the
prior performance year (IP v40 3.4) are created in February, March and April alongside the
monthly ones, when the span covers them and the prior year had monthly data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np

from aco_pipeline import naming
from aco_pipeline.errors import AcoError


class BadSpan(AcoError, ValueError):
    """The requested start month / number of months cannot be generated."""


def parse_month(text: str) -> int:
    """`2024-01` -> month ordinal. Raises BadSpan with a clear message."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise BadSpan(f"start month must look like YYYY-MM (e.g. 2024-01), got {text!r}")
    year = int(m.group(1))
    if not 2020 <= year <= 2099:
        raise BadSpan(f"start year {year} outside 2020-2099 (MBI-era CCLF formats)")
    return (year - 1970) * 12 + int(m.group(2)) - 1


def month_year(mo: int | np.ndarray) -> int | np.ndarray:
    return mo // 12 + 1970


def month_num(mo: int | np.ndarray) -> int | np.ndarray:
    """1..12."""
    return mo % 12 + 1


def month_label(mo: int) -> str:
    return f"{month_year(mo):04d}-{month_num(mo):02d}"


def month_start(mo: int | np.ndarray) -> np.ndarray:
    return np.asarray(mo, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]")


def day_month(days: np.ndarray) -> np.ndarray:
    """Month ordinal of datetime64[D] values."""
    return days.astype("datetime64[M]").astype(np.int64)


def next_monday(days: np.ndarray) -> np.ndarray:
    """The Monday on or after each date (CLM_IDR_LD_DT is generally a Monday, IP v40 3.4)."""
    d = days.astype("datetime64[D]").astype(np.int64)
    return (d + (7 - (d + 3) % 7) % 7).astype("datetime64[D]")


def to_date(day: np.datetime64) -> date:
    return day.astype("datetime64[D]").astype(date)


@dataclass(frozen=True, slots=True)
class Delivery:
    index: int
    kind: str  # "monthly" | "runout"
    ref_month: int  # month ordinal of the last IDR load month it carries
    performance_year: int
    created: date
    time: str  # hhmmsst
    bundle_name: str

    @property
    def runout(self) -> bool:
        return self.kind == "runout"


@dataclass(frozen=True, slots=True)
class Schedule:
    start: int
    months: int
    deliveries: tuple[Delivery, ...]

    @property
    def end(self) -> int:
        """Last reference month (inclusive)."""
        return self.start + self.months - 1

    def monthly_index(self) -> np.ndarray:
        """Delivery index of the monthly delivery of each reference month (offset from start)."""
        out = np.full(self.months, -1, dtype=np.int64)
        for d in self.deliveries:
            if d.kind == "monthly":
                out[d.ref_month - self.start] = d.index
        return out

    def runout_index(self) -> np.ndarray:
        """Delivery index of the run-out delivery for each reference month, or -1."""
        out = np.full(self.months, -1, dtype=np.int64)
        for d in self.deliveries:
            if d.kind == "runout":
                out[d.ref_month - self.start] = d.index
        return out


def _stamp(rng: np.random.Generator) -> str:
    h, m, s, t = (int(rng.integers(0, 24)), int(rng.integers(0, 60)), int(rng.integers(0, 60)),
                  int(rng.integers(0, 10)))
    return f"{h:02d}{m:02d}{s:02d}{t}"


def build_schedule(start: int, months: int, aco_id: str, rng: np.random.Generator) -> Schedule:
    if months < 1:
        raise BadSpan(f"--months must be at least 1, got {months}")
    if months > 120:
        raise BadSpan(f"--months must be at most 120, got {months}")
    raw: list[tuple[date, int, str, int, int, str]] = []
    for mo in range(start, start + months):
        created_mo = mo + 1
        year, month = int(month_year(created_mo)), int(month_num(created_mo))
        day = int(rng.integers(5, 13))
        t = _stamp(rng)
        py = int(month_year(mo))
        raw.append((date(year, month, day), 0, "monthly", mo, py, t))
        prior = py - 1
        prior_has_monthly = any(int(month_year(m)) == prior for m in range(start, mo))
        if month_num(mo) <= 3 and prior_has_monthly:
            ro_day = min(day + int(rng.integers(1, 4)), 28)
            raw.append((date(year, month, ro_day), 1, "runout", mo, prior, _stamp(rng)))
    raw.sort(key=lambda r: (r[0], r[1]))
    deliveries = tuple(
        Delivery(index=i, kind=kind, ref_month=mo, performance_year=py, created=created,
                 time=t, bundle_name=naming.cclf_bundle_name(aco_id, py, created, t,
                                                             runout=kind == "runout"))
        for i, (created, _, kind, mo, py, t) in enumerate(raw)
    )
    return Schedule(start=start, months=months, deliveries=deliveries)
