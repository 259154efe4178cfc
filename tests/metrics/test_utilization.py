"""The utilization metric's arithmetic: person-years, rates per 1,000, per-capita, rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aco_pipeline.metrics.utilization import (
    COUNT_MEASURES,
    UtilizationError,
    compute,
    per_capita,
    person_years,
    rate_per_1000,
    ratio,
    select,
)


def test_person_years_and_rates() -> None:
    assert person_years(6) == Decimal("0.5000")
    assert person_years(1) == Decimal("0.0833")
    # from the exact member-months, not the rounded person-years: 1 event in 1 month
    assert rate_per_1000(1, 1) == Decimal("12000.00")
    assert rate_per_1000(1, 7) == Decimal("1714.29")  # 12000 / 7 = 1714.2857...
    assert rate_per_1000(5, 0) is None
    assert per_capita(Decimal("450.00"), 6) == Decimal("900.00")
    assert per_capita(Decimal("100.00"), 7) == Decimal("171.43")
    assert per_capita(Decimal("-1.00"), 12) == Decimal("-1.00")
    assert ratio(1, 4, 1000) == Decimal("250.00")
    assert ratio(5, 8) == Decimal("0.63")  # half-up
    assert ratio(3, 0) is None


def test_em_total_is_the_four_puf_groups() -> None:
    by = {m.name: m for m in COUNT_MEASURES}
    parts = ("em_pcp", "em_specialist", "em_np_pa_cns", "em_fqhc_rhc")
    assert set(by["em_total"].event_types) == {t for p in parts for t in by[p].event_types}
    assert len({m.name for m in COUNT_MEASURES}) == len(COUNT_MEASURES)


def test_select_grains() -> None:
    rows = [{"enrollment_type": e, "month": m} for e in ("TOTAL", "ESRD")
            for m in ("all", "2024-01")]
    assert select(rows, "total") == [{"enrollment_type": "TOTAL", "month": "all"}]
    assert select(rows, "month") == [{"enrollment_type": "TOTAL", "month": "2024-01"}]
    assert select(rows, "enrollment-type") == [{"enrollment_type": "ESRD", "month": "all"}]


def test_period_must_be_ordered(tmp_path) -> None:
    from datetime import date

    from aco_pipeline.config import init_workspace

    ws = init_workspace(tmp_path / "ws", aco_id="A1234", performance_year=2024)
    with pytest.raises(UtilizationError, match="before"):
        compute(ws, start=date(2024, 2, 1), end=date(2024, 1, 1))
