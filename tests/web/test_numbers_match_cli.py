"""Every aggregate page's numbers equal the CLI report for the same parameters (issue 12).

One copy of the built synthetic ACO gets the demo `[expenditure]` and `[benchmark]` sections
(so the forecast and the expenditure table exist) and its canonical tables recomputed by
`aco build`; then, per page, the JSON API (the page's own View) is compared with
`aco ... --format json` run in-process for the canonical period (performance year to date,
everything delivered). Pages show the canonical tables' exact decimals; the CLI prints
dollars to the cent, so money is compared at the cent.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aco_pipeline.cli import app as cli
from aco_pipeline.cli.demo import write_demo_parameters
from aco_pipeline.config import Workspace, load_workspace
from aco_pipeline.warehouse.build import build_warehouse
from aco_pipeline.web.app import create_app
from aco_pipeline.web.pages.executive import TYPE_KEYS
from tests.synthetic_aco import BuiltAco
from tests.web.conftest import client_factory

CENT = Decimal("0.01")
PERIOD = "py2024_ytd"
FROM, TO = "2024-01-01", "2024-12-31"


@pytest.fixture(scope="module")
def demo_ws(built_aco: BuiltAco, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("demo-aco") / "ws"
    shutil.copytree(built_aco.ws.root, root)
    ws = load_workspace(root)
    assert write_demo_parameters(ws) == ["expenditure", "benchmark"]
    result = build_warehouse(ws, docs=False)
    assert result.success and result.mode == "metrics", result
    return ws


@pytest.fixture(scope="module")
def client_as(demo_ws: Workspace) -> Callable[..., TestClient]:
    return client_factory(create_app(demo_ws))


def cli_rows(ws: Workspace, *args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(cli, [*args, "--format", "json", "--workspace", str(ws.root)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout, parse_float=Decimal)["rows"]


def api(client: TestClient, path: str) -> dict[str, Any]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return json.loads(response.text, parse_float=Decimal)


def table(body: dict[str, Any], table_id: str) -> list[dict[str, Any]]:
    for tab in body["tabs"]:
        if table_id in tab["tables"]:
            return tab["tables"][table_id]["rows"]
    raise AssertionError(f"no table {table_id}")


def figures(body: dict[str, Any]) -> dict[str, Any]:
    return {f["key"]: f["value"] for tab in body["tabs"] for f in tab["figures"]}


def cents(value: Any) -> Any:
    return Decimal(value).quantize(CENT) if isinstance(value, Decimal | int) else value


def as_of(body: dict[str, Any]) -> str:
    return str(body["period"]["as_of_date"])


def test_executive_equals_aco_forecast_and_utilization(demo_ws, client_as) -> None:
    body = api(client_as("executive"), f"/api/executive?period={PERIOD}")
    forecast = cli_rows(demo_ws, "forecast", "--as-of", as_of(body))
    total = next(r for r in forecast if r["enrollment_type"] == "TOTAL")
    shown = figures(body)
    assert total["savings"] != 0
    for key in ("savings", "earned"):
        assert cents(shown[key]) == total[key]
    for key in ("savings_rate", "msr", "mlr"):
        assert shown[key] == total[key]
    assert shown["assigned_beneficiaries"] == total["assigned_beneficiaries"]
    assert shown["passes_msr"] == ("yes" if total["passes_msr"] else "no")
    interval = {r["measure"]: r for r in cli_rows(demo_ws, "forecast", "--as-of", as_of(body),
                                                  "--view", "interval")}
    assert cents(shown["savings_p05"]) == interval["savings"]["p05"]
    assert cents(shown["savings_p95"]) == interval["savings"]["p95"]
    by_type = {r["enrollment_type"]: r for r in table(body, "forecast")}
    assert set(by_type) == {r["enrollment_type"] for r in forecast}
    for r in forecast:
        for key in ("expenditure_per_capita", "benchmark_per_capita", "savings_per_capita"):
            assert cents(by_type[r["enrollment_type"]][key]) == r[key]
    # spend per person-year, month by month: aco report utilization --table spend-category
    monthly = cli_rows(demo_ws, "report", "utilization", "--from", FROM, "--to", TO,
                       "--table", "spend-category", "--by", "month")
    expected = {r["month"]: r for r in monthly if r["category"] == "total"}
    chart = {r["month"]: r for r in table(body, "per-capita-table")}
    assert expected and set(chart) == set(expected)
    for month, r in expected.items():
        assert chart[month]["total"] == r["per_capita"]
        for f in forecast:  # against the benchmark of each enrollment type
            key = f"benchmark_{TYPE_KEYS[f['enrollment_type']]}"
            assert cents(chart[month][key]) == f["benchmark_per_capita"], key
    beneficiaries = {r["month"]: r["beneficiaries"] for r in table(body, "beneficiaries-table")}
    assert beneficiaries == {m: r["member_months"] for m, r in expected.items()}


def test_finance_equals_spend_expenditure_scope_and_categories(demo_ws, client_as) -> None:
    body = api(client_as("finance"), f"/api/finance?period={PERIOD}")
    shown = figures(body)
    by_month = cli_rows(demo_ws, "report", "spend", "--from", FROM, "--to", TO, "--by", "month")
    for key in ("part_a_paid", "part_b_paid", "total_paid", "part_d_beneficiary_paid"):
        assert shown[key] == sum(r[key] for r in by_month)
    months = {r["month"]: r for r in table(body, "as-paid-completed-table")}
    assert len(months) == len(by_month)
    for r in by_month:
        row = months[r["month"][:7]]
        assert (row["total_paid"], row["complete_percent"], row["completed"]) == (
            r["total_paid"], r["complete_percent"], r["completed_total_paid"])
    expenditure = cli_rows(demo_ws, "report", "expenditure", "--from", FROM, "--to", TO)
    page_rows = {r["ref"]: r for r in table(body, "expenditure")
                 + table(body, "expenditure-other")}
    assert expenditure and set(page_rows) == {r["ref"] for r in expenditure}
    for r in expenditure:
        money = r["unit"] == "dollars"
        for key in ("total", "esrd", "disabled", "aged_dual", "aged_non_dual"):
            value = page_rows[r["ref"]][key]
            assert (cents(value) if money else value.normalize()) == r[key], (r["ref"], key)
    scope = cli_rows(demo_ws, "report", "scope", "--from", FROM, "--to", TO)
    assert [(r["ref"], r["claim_records"], r["claim_amount"]) for r in table(body, "scope")] \
        == [(r["ref"], r["claim_records"], r["claim_amount"]) for r in scope]
    categories = cli_rows(demo_ws, "report", "service-category", "--from", FROM, "--to", TO)
    assert sorted((r["service_category"], r["medicare_part"], r["net_paid"], r["claim_visits"])
                  for r in table(body, "service-categories")) == sorted(
        (r["service_category"], r["medicare_part"], r["net_paid"], r["claim_visits"])
        for r in categories)
    per_type = cli_rows(demo_ws, "report", "utilization", "--from", FROM, "--to", TO,
                        "--table", "spend-category", "--by", "enrollment-type")
    page = {(r["category"], r["enrollment_type"]): r for r in table(body, "categories")}
    for r in per_type:
        assert page[(r["category"], r["enrollment_type"])]["per_capita"] == r["per_capita"]


def test_network_equals_facilities_and_providers(demo_ws, client_as) -> None:
    body = api(client_as("network"), f"/api/network?period={PERIOD}")
    facilities = cli_rows(demo_ws, "report", "facilities", "--from", FROM, "--to", TO)
    page = {r["ccn"]: r for r in table(body, "facilities")}
    assert facilities and set(page) == {r["ccn"] for r in facilities}
    for r in facilities:
        for key in ("total_paid", "claims", "inpatient_admissions", "ed_visits",
                    "beneficiaries", "share_of_facility_paid"):
            assert page[r["ccn"]][key] == r[key], (r["ccn"], key)
    for by, table_id in (("tin", "tins"), ("npi", "npis")):
        cards = cli_rows(demo_ws, "report", "providers", "--from", FROM, "--to", TO, "--by", by)
        rows = {(r["tin_label"], r.get("npi")): r for r in table(body, table_id)}
        assert len(rows) == len(cards)
        for r in cards:
            row = rows[(r["tin"], r.get("npi"))]
            for key in ("panel_size", "total_paid", "paid_per_person_year",
                        "ed_visits_per_1000_person_years", "admissions_per_1000_person_years"):
                assert row[key] == r[key], (by, r["tin"], key)


def test_provider_scorecard_equals_aco_report_providers(demo_ws, client_as) -> None:
    cards = cli_rows(demo_ws, "report", "providers", "--from", FROM, "--to", TO)
    biggest = max(cards, key=lambda r: (r["panel_size"], r["tin"]))
    body = api(client_as("provider", tin=biggest["tin"]), f"/api/provider?period={PERIOD}")
    own, aco = table(body, "compare")
    for key in ("panel_size", "paid_per_person_year", "ed_visits_per_1000_person_years",
                "admissions_per_1000_person_years", "person_years"):
        assert own[key] == biggest[key], key
    assert aco["panel_size"] == sum(r["panel_size"] for r in cards)
    npi_cards = [r for r in cli_rows(demo_ws, "report", "providers", "--from", FROM, "--to", TO,
                                     "--by", "npi") if r["tin"] == biggest["tin"]]
    assert sorted((r["npi"], r["total_paid"]) for r in table(body, "npis")) == sorted(
        (r["npi"], r["total_paid"]) for r in npi_cards)
