"""The canonical periods: a pure function of the performance year, first data month, as-of."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from aco_pipeline.metrics.periods import (
    MetricPeriod,
    PeriodError,
    canonical_periods,
    last_complete_month,
    period_table,
    stack,
)


def _ids(periods: list[MetricPeriod], kind: str) -> list[str]:
    return [p.period_id for p in periods if p.period_kind == kind]


def test_last_complete_month() -> None:
    assert last_complete_month(date(2024, 10, 15)) == date(2024, 9, 1)
    assert last_complete_month(date(2024, 10, 31)) == date(2024, 10, 1)
    assert last_complete_month(date(2025, 1, 1)) == date(2024, 12, 1)


def test_mid_year_as_of() -> None:
    periods = canonical_periods(2024, date(2023, 1, 1), date(2024, 10, 15))
    ytd = [p for p in periods if p.period_kind == "performance_year_to_date"]
    assert [(p.period_start, p.period_end, p.months) for p in ytd] == [
        (date(2024, 1, 1), date(2024, 9, 30), 9)]
    months = _ids(periods, "month")
    assert months[0] == "2023-01" and months[-1] == "2024-09" and len(months) == 21
    assert _ids(periods, "quarter") == ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4",
                                        "2024-Q1", "2024-Q2", "2024-Q3"]
    [r12] = [p for p in periods if p.period_kind == "rolling_12"]
    assert (r12.period_start, r12.period_end, r12.months) == (
        date(2023, 10, 1), date(2024, 9, 30), 12)
    assert _ids(periods, "prior_year") == ["py2023"]
    assert {p.as_of_date for p in periods} == {date(2024, 10, 15)}


def test_data_starting_in_the_performance_year() -> None:
    periods = canonical_periods(2024, date(2024, 1, 1), date(2025, 4, 2))
    assert _ids(periods, "performance_year_to_date") == ["py2024_ytd"]
    [ytd] = [p for p in periods if p.period_kind == "performance_year_to_date"]
    assert ytd.period_end == date(2024, 12, 31)  # never past the performance year
    assert len(_ids(periods, "month")) == 12  # months after the PY are not canonical
    assert _ids(periods, "quarter") == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert _ids(periods, "rolling_12") == ["r12_2024-12"]  # never past the performance year
    assert canonical_periods(2024, date(2024, 3, 1), date(2025, 4, 2))[-1].period_kind != (
        "rolling_12")  # 12 months back from December reach before the data
    assert _ids(periods, "prior_year") == []  # no data in 2023


def test_no_data_no_periods() -> None:
    assert canonical_periods(2024, None, None) == []
    # as-of before the performance year: prior-year months only
    periods = canonical_periods(2024, date(2023, 6, 1), date(2023, 9, 10))
    assert _ids(periods, "performance_year_to_date") == []
    assert _ids(periods, "month") == ["2023-06", "2023-07", "2023-08"]


def test_stack_puts_the_period_columns_first_and_checks_the_shape() -> None:
    [p1, p2] = [p for p in canonical_periods(2024, date(2024, 1, 1), date(2024, 3, 1))
                if p.period_kind == "month"]
    schema = pa.schema([("value", pa.int64())])
    table = stack([(p1, pa.table({"value": [1, 2]})), (p2, pa.table({"value": [3]}))], schema)
    assert table.column_names[:6] == period_table([]).column_names
    assert table.column("period_id").to_pylist() == ["2024-01", "2024-01", "2024-02"]
    assert table.column("value").to_pylist() == [1, 2, 3]
    with pytest.raises(PeriodError, match="2024-01"):
        stack([(p1, pa.table({"other": [1]}))], schema)
    assert stack([], schema).num_rows == 0
