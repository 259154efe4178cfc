"""The periods every canonical metric table is computed for (docs/metrics.md).

`aco build` computes each canonical metric once per period and stores it in the warehouse
file as `metric_<name>`, keyed by the period columns below (never by file metadata); the
periods themselves are the table `metric_period`. The periods are a pure function of the
performance year, the first service month with data and the data's as-of date (the newest
IDR load date in the warehouse), so a rebuild of the same lake gives the same periods:

- `performance_year_to_date`: January 1 of the performance year to the end of the last
  complete month (at most December 31);
- `month`: every complete calendar month of the performance year and the prior year that
  has data;
- `quarter`: every complete calendar quarter of those years that has data;
- `rolling_12`: the 12 months ending with the last complete month (at most December of the
  performance year), when the data reaches back that far;
- `prior_year`: the calendar year before the performance year, when it is complete and has
  data.

A month is complete when its last day is on or before the as-of date. Completeness of the
claims *in* a month (run-out) is a separate question (metrics.completion).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from aco_pipeline.errors import AcoError

PERIOD_KINDS = ("performance_year_to_date", "month", "quarter", "rolling_12", "prior_year")
PERIOD_SCHEMA = pa.schema([
    ("period_id", pa.string()),
    ("period_kind", pa.string()),
    ("period_start", pa.date32()),
    ("period_end", pa.date32()),
    ("months", pa.int32()),
    ("as_of_date", pa.date32()),
])
PERIOD_COLUMNS = tuple(PERIOD_SCHEMA.names)


class PeriodError(AcoError, ValueError):
    """A report period is not usable (end before start, not whole months...)."""


@dataclass(frozen=True, slots=True, order=True)
class MetricPeriod:
    """One period of the canonical metric tables."""

    period_start: date
    period_end: date
    period_kind: str
    period_id: str
    as_of_date: date

    @property
    def months(self) -> int:
        return ((self.period_end.year - self.period_start.year) * 12
                + self.period_end.month - self.period_start.month + 1)

    def record(self) -> dict[str, object]:
        return {"period_id": self.period_id, "period_kind": self.period_kind,
                "period_start": self.period_start, "period_end": self.period_end,
                "months": self.months, "as_of_date": self.as_of_date}


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def add_months(d: date, n: int) -> date:
    """The first day of the month `n` months after `d`'s month."""
    index = d.year * 12 + d.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def last_complete_month(as_of: date) -> date:
    """The first day of the newest month whose last day is on or before `as_of`."""
    this = date(as_of.year, as_of.month, 1)
    return this if month_end(this) <= as_of else add_months(this, -1)


def canonical_periods(performance_year: int, first_month: date | None,
                      as_of: date | None) -> list[MetricPeriod]:
    """Every canonical period for a warehouse whose data starts in `first_month` (first day of
    the first service month) and was loaded through `as_of`; none without data."""
    if first_month is None or as_of is None:
        return []
    first = date(first_month.year, first_month.month, 1)
    last = last_complete_month(as_of)
    py_start = date(performance_year, 1, 1)
    prior_start = date(performance_year - 1, 1, 1)
    py_end = date(performance_year, 12, 31)
    out: list[MetricPeriod] = []

    def add(start: date, end: date, kind: str, pid: str) -> None:
        out.append(MetricPeriod(start, end, kind, pid, as_of))

    if last >= py_start:
        add(py_start, min(month_end(last), py_end), "performance_year_to_date",
            f"py{performance_year}_ytd")
    month = max(first, prior_start)
    while month <= min(last, date(performance_year, 12, 1)):
        add(month, month_end(month), "month", f"{month:%Y-%m}")
        month = add_months(month, 1)
    for year in (performance_year - 1, performance_year):
        for q in range(4):
            start, end = date(year, 3 * q + 1, 1), month_end(date(year, 3 * q + 3, 1))
            if start >= date(first.year, first.month, 1) and end <= month_end(last):
                add(start, end, "quarter", f"{year}-Q{q + 1}")
    r12_last = min(last, date(performance_year, 12, 1))
    r12_start = add_months(r12_last, -11)
    if r12_start >= first:
        add(r12_start, month_end(r12_last), "rolling_12", f"r12_{r12_last:%Y-%m}")
    if prior_start >= first and date(performance_year - 1, 12, 31) <= as_of:
        add(prior_start, date(performance_year - 1, 12, 31), "prior_year",
            f"py{performance_year - 1}")
    return out


def period_table(periods: Iterable[MetricPeriod]) -> pa.Table:
    """The `metric_period` table."""
    return pa.Table.from_pylist([p.record() for p in periods], schema=PERIOD_SCHEMA)


def stack(parts: Sequence[tuple[MetricPeriod, pa.Table]], schema: pa.Schema) -> pa.Table:
    """One canonical table from per-period results: the period columns, then `schema`'s.

    Every part must have `schema`'s columns (extra columns are an error: a metric table has
    one shape whatever the period)."""
    full = pa.schema(list(PERIOD_SCHEMA) + list(schema))
    tables = []
    for period, table in parts:
        if set(table.schema.names) != set(schema.names):
            raise PeriodError(f"period {period.period_id}: columns {table.schema.names} "
                              f"are not {schema.names}")
        n = table.num_rows
        rec = period.record()
        cols = [pa.array([rec[f.name]] * n, type=f.type) for f in PERIOD_SCHEMA]
        cols += [table.column(f.name).cast(f.type) for f in schema]
        tables.append(pa.Table.from_arrays(cols, schema=full))
    return pa.concat_tables(tables) if tables else full.empty_table()
