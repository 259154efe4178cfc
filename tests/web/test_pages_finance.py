"""The finance page: finance roles only; its tables equal the CLI reports for the same period
(service categories, spend by month, the scope waterfall); tabs, exports, no forecast or
expenditure without their aco.toml sections (said on the page)."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from typer.testing import CliRunner

from aco_pipeline.cli import app as cli
from aco_pipeline.web.access.principal import Role
from tests.web.aggregate_html import html_table, number

Q4 = ("--from", "2024-10-01", "--to", "2024-12-31")


def cli_rows(ws, *args: str) -> list[dict]:
    result = CliRunner().invoke(cli, [*args, "--format", "json", "--workspace", str(ws.root)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout, parse_float=Decimal)["rows"]


def test_roles(client_as) -> None:
    for role in (Role.FINANCE, Role.ANALYST):
        assert client_as(role).get("/finance").status_code == 200, role
        assert client_as(role).get("/api/finance").status_code == 200, role
    for role in (Role.EXECUTIVE, Role.CARE_MANAGER, Role.NETWORK, Role.ADMIN):
        assert client_as(role).get("/finance").status_code == 403, role
        assert client_as(role).get("/api/finance").status_code == 403, role


def test_spend_tab_equals_the_cli(client_as, built_aco) -> None:
    html = client_as(Role.FINANCE).get("/finance?period=2024-Q4").text
    categories = cli_rows(built_aco.ws, "report", "service-category", *Q4)
    shown = html_table(html, "service-categories")
    assert sorted((r["Service category"], r["Medicare part"], number(r["Net paid"]),
                   number(r["Visits counted from claims"])) for r in shown) == sorted(
        (r["service_category"], r["medicare_part"], r["net_paid"], r["claim_visits"])
        for r in categories)
    # each category drills through to its trend and, from there, the beneficiaries
    drill = re.search(r'href="(/analyst/spend-trend\?category=ed_visit)"', html)
    assert drill and client_as(Role.FINANCE).get(drill.group(1)).status_code == 200
    by_month = cli_rows(built_aco.ws, "report", "spend", *Q4, "--by", "month")
    months = {r["Month of service"]: r for r in html_table(html, "as-paid-completed-table")}
    assert set(months) == {r["month"][:7] for r in by_month}
    for r in by_month:
        row = months[r["month"][:7]]
        assert number(row["As paid"]) == r["total_paid"]
        assert number(row["Complete"]) == r["complete_percent"]
    total = sum(r["total_paid"] for r in by_month)
    assert f"${total:,.2f}" in html  # the headline net paid, shown as dollars
    per_type = cli_rows(built_aco.ws, "report", "utilization", *Q4, "--table",
                        "spend-category", "--by", "enrollment-type")
    body = json.loads(client_as(Role.FINANCE).get("/api/finance?period=2024-Q4").text,
                      parse_float=Decimal)
    rows = {(r["category"], r["enrollment_type"]): r
            for r in body["tabs"][0]["tables"]["categories"]["rows"]}
    for r in per_type:
        row = rows[(r["category"], r["enrollment_type"])]
        assert row["per_capita"] == r["per_capita"]
        if r["member_months"]:
            assert row["pmpm"] == (r["total_paid"] / r["member_months"]).quantize(
                Decimal("0.01"))


def test_scope_tab_equals_aco_report_scope(client_as, built_aco) -> None:
    html = client_as(Role.FINANCE).get("/finance?period=2024-Q4&tab=scope").text
    expected = cli_rows(built_aco.ws, "report", "scope", *Q4)
    shown = html_table(html, "scope")
    assert [(number(r["Row"]), number(r["Claim records"]), number(r["Amount"]))
            for r in shown] == [(r["ref"], r["claim_records"], r["claim_amount"])
                                for r in expected]


def test_sections_without_parameters_say_so(client_as) -> None:
    client = client_as(Role.FINANCE)
    assert "no expenditure table" in client.get("/finance?tab=expenditure").text
    assert "no forecast" in client.get("/finance?tab=benchmark").text


def test_category_table_sorts_pages_and_exports(client_as) -> None:
    client = client_as(Role.FINANCE)
    part = client.get("/finance?period=2024-Q4&table=categories&sort=per_capita&desc=1&q=aged",
                      headers={"HX-Request": "true"})
    assert part.status_code == 200 and "<html" not in part.text
    rows = html_table(part.text, "categories")
    assert rows and all("AGED" in r["Enrollment type"] for r in rows)
    values = [number(r["Spend (per person-year)"]) for r in rows
              if r["Spend (per person-year)"] not in ("", None)]
    assert values == sorted(values, reverse=True)
    csv = client.get("/finance?period=2024-Q4&table=categories&q=aged&format=csv")
    lines = csv.text.splitlines()
    total = re.search(r"Rows [0-9,]+–[0-9,]+ of ([0-9,]+)", part.text)
    assert total and len(lines) - 1 == int(total.group(1).replace(",", ""))
