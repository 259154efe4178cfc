"""One name, one number: every two outputs that show a figure under the same name agree, and
the canonical tables in the published warehouse equal an ad-hoc run for the same period.

Run on the shared synthetic ACO (tests/synthetic_aco.py): 300 beneficiaries, PY2024.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from aco_pipeline.warehouse.read import connect
from aco_pipeline.warehouse.reports import scope, service_category, spend
from tests.synthetic_aco import BuiltAco

ZERO = Decimal("0.00")


def _canonical(built: BuiltAco, table: str, period_id: str) -> list[dict[str, Any]]:
    # any DuckDB reader of the published file sees the canonical tables (no project code)
    con = duckdb.connect(str(built.ws.warehouse_path), read_only=True)
    try:
        cur = con.execute(f"select * from {table} where period_id = ?", [period_id])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def _periods(built: BuiltAco) -> list[dict[str, Any]]:
    con = duckdb.connect(str(built.ws.warehouse_path), read_only=True)
    try:
        cur = con.execute("select * from metric_period order by period_start, period_kind")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def test_canonical_periods_are_in_the_warehouse(built_aco: BuiltAco) -> None:
    periods = {p["period_id"]: p for p in _periods(built_aco)}
    ytd = periods["py2024_ytd"]
    assert (ytd["period_start"], ytd["period_end"]) == (date(2024, 1, 1), date(2024, 12, 31))
    assert {"2024-10", "2024-11", "2024-12", "2024-Q4"} <= set(periods)
    first = min(p["period_start"] for p in periods.values() if p["period_kind"] == "month")
    assert all(p["period_start"] >= first for p in periods.values())
    assert len({p["as_of_date"] for p in periods.values()}) == 1


@pytest.mark.parametrize("period_id", ["py2024_ytd", "2024-Q4", "2024-12"])
def test_spend_total_is_one_number(built_aco: BuiltAco, period_id: str) -> None:
    [period] = [p for p in _periods(built_aco) if p["period_id"] == period_id]
    start, end = period["period_start"], period["period_end"]
    ws = built_aco.ws
    by_month = spend(ws, start=start, end=end, by="month").rows
    total = sum((r["total_paid"] for r in by_month), ZERO)
    assert total > 0
    # the same payments, summed per beneficiary and per claim type
    assert sum((r["total_paid"] for r in spend(ws, start=start, end=end).rows), ZERO) == total
    assert sum((r["total_paid"] for r in spend(ws, start=start, end=end, by="category").rows),
               ZERO) == total
    # Part A + Part B of the service-category report, Part D beside it
    cats = service_category(ws, start=start, end=end).rows
    assert sum((r["net_paid"] for r in cats if r["medicare_part"] in ("A", "B")),
               ZERO) == total
    assert sum((r["net_paid"] for r in cats if r["medicare_part"] == "D"), ZERO) == sum(
        (r["part_d_beneficiary_paid"] for r in by_month), ZERO)
    # the CMS guide's Table 1 row 8 (claims used in analysis) on through dates
    row8 = next(r for r in scope(ws, start=start, end=end).rows if r["ref"] == 8)
    assert row8["claim_amount"] == total
    # and the canonical tables of the published warehouse
    [canon] = _canonical(built_aco, "metric_spend", period_id)
    assert canon["total_paid"] == total
    assert canon["part_a_paid"] + canon["part_b_paid"] == total
    assert sum((r["net_paid"] for r in _canonical(built_aco, "metric_service_category",
                                                   period_id)
                if r["medicare_part"] != "D"), ZERO) == total


def test_outpatient_claims_are_part_b(built_aco: BuiltAco) -> None:
    """IP v40 5.4: a hospital outpatient claim (CCLF1, type 40, bill type 13x) is paid under
    Part B; spend by part and the service-category report say so alike."""
    with connect(built_aco.ws) as con:
        parts = dict(con.execute(
            "select medicare_part, count(*) from fct_claim_payment where claim_family = "
            "'part_a' and clm_type_cd = '40' group by medicare_part").fetchall())
        categories = dict(con.execute(
            "select medicare_part, count(*) from mart_service_category_payment where "
            "claim_family = 'part_a' and clm_type_cd = '40' group by medicare_part").fetchall())
    assert parts.get("B", 0) > 0 and parts == categories


def test_an_ad_hoc_run_leaves_the_canonical_tables_alone(built_aco: BuiltAco) -> None:
    from typer.testing import CliRunner

    import aco_pipeline.cli.report  # noqa: F401  (registers `aco report`)
    from aco_pipeline.cli.app import app

    before = _canonical(built_aco, "metric_spend", "py2024_ytd")
    res = CliRunner().invoke(app, ["report", "spend", "--from", "2024-10-01", "--to",
                                   "2024-10-31", "--by", "month", "-w",
                                   str(built_aco.ws.root)])
    assert res.exit_code == 0, res.output
    assert _canonical(built_aco, "metric_spend", "py2024_ytd") == before


def test_every_month_says_how_complete_it_is(built_aco: BuiltAco) -> None:
    from aco_pipeline.metrics.completion import load_completion_config
    from aco_pipeline.metrics.spend import monthly_spend

    with connect(built_aco.ws) as con:
        report = monthly_spend(con, start=date(2024, 10, 1), end=date(2025, 3, 31),
                               runout=None, config=load_completion_config(built_aco.ws))
    assert "complete_percent" in report.columns and report.notes
    by_month = {r["month"]: r for r in report.rows}
    newest = by_month[max(by_month)]
    assert newest["complete_percent"] < 100
    assert newest["completed_total_paid"] > newest["total_paid"]
    oldest = by_month[min(by_month)]
    assert oldest["complete_percent"] == 100
    assert oldest["completed_total_paid"] == oldest["total_paid"]
