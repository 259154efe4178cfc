"""The executive page: who may see it, what it shows (equal to the CLI for the same period),
its tables' htmx partials and exports, bad parameters refused."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import app as cli
from aco_pipeline.web.access.principal import Role
from tests.web.aggregate_html import chart_spec, html_table, number


def test_roles(client_as, anonymous_client) -> None:
    for role in (Role.EXECUTIVE, Role.FINANCE, Role.ANALYST):
        assert client_as(role).get("/executive").status_code == 200, role
    for role in (Role.CARE_MANAGER, Role.NETWORK, Role.ADMIN):
        assert client_as(role).get("/executive").status_code == 403, role
    assert client_as(Role.PROVIDER, tin="123456789").get("/executive").status_code == 403
    assert anonymous_client.get("/executive", follow_redirects=False).status_code in (302, 303,
                                                                                     401)
    assert anonymous_client.get("/api/executive").status_code == 401


def test_page_numbers_equal_the_cli(client_as, built_aco) -> None:
    page = client_as(Role.EXECUTIVE).get("/executive?period=py2024_ytd")
    assert page.status_code == 200
    html = page.text
    assert 'class="data-status' in html and "Claims run-out" in html
    result = CliRunner().invoke(cli, [
        "report", "utilization", "--from", "2024-01-01", "--to", "2024-12-31",
        "--table", "spend-category", "--by", "month", "--format", "json",
        "--workspace", str(built_aco.ws.root)])
    assert result.exit_code == 0, result.output
    expected = {r["month"]: r for r in json.loads(result.stdout, parse_float=Decimal)["rows"]
                if r["category"] == "total"}
    shown = {r["Month"]: r for r in html_table(html, "per-capita-table")}
    assert expected and set(shown) == set(expected)
    for month, r in expected.items():
        assert number(shown[month]["Total (per person-year)"]) == r["per_capita"]
    beneficiaries = {r["Month"]: number(r["Beneficiaries counted in the month"])
                     for r in html_table(html, "beneficiaries-table")}
    assert beneficiaries == {m: r["member_months"] for m, r in expected.items()}
    # the chart draws the same numbers (no inline script: a JSON spec for charts.js)
    spec = chart_spec(html, "per-capita")
    total = next(t for t in spec["data"] if t["name"] == "Total (per person-year)")
    assert [Decimal(str(y)) for y in total["y"]] == [expected[m]["per_capita"] for m in total["x"]]
    assert "<script>" not in html and "/vendor/plotly.min.js" in html
    # money shown as dollars
    assert "$" in html


def test_forecast_absent_says_why(client_as) -> None:
    html = client_as(Role.EXECUTIVE).get("/executive").text
    assert "no forecast" in html and "[benchmark]" in html


def test_drivers_compare_with_the_previous_month(client_as) -> None:
    client = client_as(Role.EXECUTIVE)
    body = json.loads(client.get("/api/executive?period=2024-11").text, parse_float=Decimal)
    drivers = next(t["tables"]["drivers-table"] for t in body["tabs"]
                   if "drivers-table" in t["tables"])["rows"]
    assert 0 < len(drivers) <= 5
    changes = [abs(r["change_per_capita"]) for r in drivers]
    assert changes == sorted(changes, reverse=True)
    for r in drivers:
        assert r["change_per_capita"] == r["current_per_capita"] - r["before_per_capita"]


def test_partial_export_and_bad_input(client_as) -> None:
    client = client_as(Role.EXECUTIVE)
    partial = client.get("/executive?table=per-capita-table&sort=total&desc=1",
                         headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<div class="table-wrap" id="per-capita-table"')
    totals = [number(r["Total (per person-year)"])
              for r in html_table(partial.text, "per-capita-table")]
    assert totals == sorted(totals, reverse=True)
    csv = client.get("/executive?table=per-capita-table&format=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("Month,")
    xlsx = client.get("/executive?table=beneficiaries-table&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    for bad in ("period=1999-01", "table=per-capita-table&sort=x%3Bdrop", "format=pdf&table=x",
                "format=csv"):
        assert client.get(f"/executive?{bad}").status_code == 400, bad


@pytest.mark.parametrize("tab", ["overview", "forecast"])
def test_tabs_stay_within_the_visual_budget(client_as, tab) -> None:
    html = client_as(Role.EXECUTIVE).get(f"/executive?tab={tab}").text
    visuals = html.count('class="figure"') + html.count('<figure class="chart"') \
        + html.count('class="table-section"')
    assert 0 < visuals <= 25
