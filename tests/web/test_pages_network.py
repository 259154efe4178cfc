"""The network page: network roles; facilities and TIN/NPI tables equal `aco report
facilities|providers`; the ACO -> TIN -> NPI filter narrows every table and export."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from typer.testing import CliRunner

from aco_pipeline.cli import app as cli
from aco_pipeline.web.access.principal import Role
from tests.web.aggregate_html import html_table, number

YTD = ("--from", "2024-01-01", "--to", "2024-12-31")


def cli_rows(ws, *args: str) -> list[dict]:
    result = CliRunner().invoke(cli, [*args, "--format", "json", "--workspace", str(ws.root)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout, parse_float=Decimal)["rows"]


def test_roles(client_as) -> None:
    for role in (Role.NETWORK, Role.ANALYST):
        assert client_as(role).get("/network").status_code == 200, role
    for role in (Role.EXECUTIVE, Role.FINANCE, Role.CARE_MANAGER, Role.ADMIN):
        assert client_as(role).get("/network").status_code == 403, role
    assert client_as(Role.PROVIDER, tin="123456789").get("/network").status_code == 403


def test_tables_equal_the_cli(client_as, built_aco) -> None:
    client = client_as(Role.NETWORK)
    html = client.get("/network?period=py2024_ytd&tab=facilities").text
    facilities = cli_rows(built_aco.ws, "report", "facilities", *YTD)
    # the table shows 50 rows a page: compare the export, which holds them all
    exported = list(csv.DictReader(io.StringIO(
        client.get("/network?period=py2024_ytd&table=facilities&format=csv").text)))
    assert len(exported) == len(facilities) and html_table(html, "facilities")
    by_ccn = {r["CCN"]: r for r in exported}
    for r in facilities:
        assert Decimal(by_ccn[r["ccn"]]["Net paid"]) == r["total_paid"]
        assert int(by_ccn[r["ccn"]]["Admissions"]) == r["inpatient_admissions"]
    cards = cli_rows(built_aco.ws, "report", "providers", *YTD)
    shown = {r["TIN"]: r for r in html_table(
        client.get("/network?period=py2024_ytd&tab=providers").text, "tins")}
    assert len(shown) == min(50, len(cards))
    for r in cards:
        if r["tin"] in shown:
            row = shown[r["tin"]]
            assert number(row["Attributed patients"]) == r["panel_size"]
            assert number(row["Spend (per person-year)"]) == r["paid_per_person_year"]
            assert number(row["ED visits (per 1,000 person-years)"]) == \
                r["ed_visits_per_1000_person_years"]


def test_tin_filter_narrows_tables_and_exports(client_as, built_aco) -> None:
    cards = cli_rows(built_aco.ws, "report", "providers", *YTD, "--by", "npi")
    tin = max(cards, key=lambda r: (r["panel_size"], r["tin"]))["tin"]
    client = client_as(Role.NETWORK)
    html = client.get(f"/network?tin={tin}&tab=providers").text
    assert {r["TIN"] for r in html_table(html, "npis")} == {tin}
    exported = list(csv.DictReader(io.StringIO(
        client.get(f"/network?tin={tin}&table=npis&format=csv").text)))
    assert sorted(r["NPI"] for r in exported) == sorted(r["npi"] for r in cards
                                                         if r["tin"] == tin)
    body = json.loads(client.get(f"/api/network?tin={tin}").text, parse_float=Decimal)
    flows = next(t["tables"]["flows"]["rows"] for t in body["tabs"] if "flows" in t["tables"])
    whole = json.loads(client.get("/api/network").text, parse_float=Decimal)
    all_flows = next(t["tables"]["flows"]["rows"] for t in whole["tabs"]
                     if "flows" in t["tables"])
    assert flows and sum(r["paid"] for r in flows) < sum(r["paid"] for r in all_flows)
    assert "facilities" not in {t["tab_id"] for t in body["tabs"]}  # ACO-wide only
    assert client.get("/network?tin=12345").status_code == 400
    # the page's TIN / NPI fields: left empty, they mean the whole ACO
    empty = client.get("/network?tin=&npi=&tab=providers")
    assert empty.status_code == 200 and 'name="tin"' in empty.text
    assert len(html_table(empty.text, "tins")) > 1
