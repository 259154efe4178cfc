"""The provider page: a provider sees only their own TIN (and NPI) in page, API and export;
the scorecard equals `aco report providers`; the attributed patient list links by opaque
token (never an MBI), is no-store and audited, and reaches only roles allowed PHI."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import app as cli
from aco_pipeline.web.access.principal import Role
from aco_pipeline.web.pages.provider import percentile
from tests.web.aggregate_html import html_table, number

YTD = ("--from", "2024-01-01", "--to", "2024-12-31")
MBI = re.compile(r"\b[1-9][A-Z][A-Z0-9][0-9][A-Z][A-Z0-9][0-9][A-Z]{2}[0-9]{2}\b")


def cli_rows(ws, *args: str) -> list[dict]:
    result = CliRunner().invoke(cli, [*args, "--format", "json", "--workspace", str(ws.root)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout, parse_float=Decimal)["rows"]


@pytest.fixture(scope="module")
def cards(built_aco) -> list[dict]:
    return cli_rows(built_aco.ws, "report", "providers", *YTD, "--by", "npi")


@pytest.fixture(scope="module")
def tin(cards) -> str:
    return max(cards, key=lambda r: (r["panel_size"], r["tin"]))["tin"]


def test_roles(client_as, tin) -> None:
    for role in (Role.NETWORK, Role.ANALYST):
        assert client_as(role).get(f"/provider?tin={tin}").status_code == 200, role
    assert client_as(Role.PROVIDER, tin=tin).get("/provider").status_code == 200
    for role in (Role.EXECUTIVE, Role.FINANCE, Role.CARE_MANAGER, Role.ADMIN):
        assert client_as(role).get("/provider").status_code == 403, role


def test_scorecard_equals_the_cli(client_as, built_aco, tin) -> None:
    html = client_as(Role.PROVIDER, tin=tin).get("/provider?period=py2024_ytd").text
    own = next(r for r in cli_rows(built_aco.ws, "report", "providers", *YTD)
               if r["tin"] == tin)
    mine, aco = html_table(html, "compare")
    assert mine["Who"] == f"TIN {tin}"
    assert number(mine["Attributed patients"]) == own["panel_size"]
    assert number(mine["Spend (per person-year)"]) == own["paid_per_person_year"]
    assert number(mine["ED visits (per 1,000 person-years)"]) == \
        own["ed_visits_per_1000_person_years"]
    assert number(mine["Person-years (denominator)"]) == own["person_years"]
    assert aco["Who"].startswith("ACO")


def test_scope_applies_to_page_api_and_export(client_as, cards, tin) -> None:
    client = client_as(Role.PROVIDER, tin=tin)
    page = client.get("/provider")
    assert {r["TIN"] for r in html_table(page.text, "npis")} == {tin}
    exported = list(csv.DictReader(io.StringIO(
        client.get("/provider?table=npis&format=csv").text)))
    assert sorted(r["NPI"] for r in exported) == sorted(r["npi"] for r in cards
                                                         if r["tin"] == tin)
    body = json.loads(client.get("/api/provider").text, parse_float=Decimal)
    npis = body["tabs"][0]["tables"]["npis"]["rows"]
    assert npis and {r["tin_label"] for r in npis} == {tin}
    other = next(r["tin"] for r in cards if r["tin"] != tin)
    for url in (f"/provider?tin={other}", f"/api/provider?tin={other}",
                f"/provider?tin={other}&table=npis&format=csv", f"/network?tin={other}"):
        assert client.get(url).status_code == 403, url


def test_npi_scope(client_as, cards, tin) -> None:
    npi = next(r["npi"] for r in cards if r["tin"] == tin)
    client = client_as(Role.PROVIDER, tin=tin, npi=npi)
    html = client.get("/provider").text
    assert [(r["TIN"], r["NPI"]) for r in html_table(html, "npis")] == [(tin, npi)]
    assert html_table(html, "compare")[0]["Who"] == f"TIN {tin}, NPI {npi}"
    other = next(r["npi"] for r in cards if r["tin"] == tin and r["npi"] != npi)
    assert client.get(f"/provider?npi={other}").status_code == 403


def test_patient_list_is_linked_for_phi_roles_only(client_as, tin) -> None:
    provider = client_as(Role.PROVIDER, tin=tin).get("/provider")
    assert f'href="/provider/patients?tin={tin}"' in provider.text
    assert not MBI.search(provider.text)  # aggregates only: no beneficiary on this page
    body = json.loads(client_as(Role.PROVIDER, tin=tin).get("/api/provider").text)
    assert body["tabs"][0]["links"] == [{"label": "Attributed patient list",
                                         "href": f"/provider/patients?tin={tin}"}]
    network = client_as(Role.NETWORK).get(f"/provider?tin={tin}")  # no PHI permission
    assert network.status_code == 200 and "/provider/patients" not in network.text


def test_percentile() -> None:
    assert percentile(Decimal(5), [Decimal(1), Decimal(5), Decimal(9), None]) == Decimal("33.3")
    assert percentile(None, [Decimal(1)]) is None
    assert percentile(Decimal(1), []) is None


def test_peer_percentiles_rank_among_large_enough_panels(built_aco, tin) -> None:
    from aco_pipeline.web.access.principal import Scope
    from aco_pipeline.web.pages.provider import provider_view
    from aco_pipeline.web.warehouse import WarehouseHandle

    cards = cli_rows(built_aco.ws, "report", "providers", *YTD)
    own = next(r for r in cards if r["tin"] == tin)
    floor = sorted(r["panel_size"] for r in cards)[len(cards) // 2]  # about half qualify
    peers = [r for r in cards if r["panel_size"] >= floor]
    with WarehouseHandle(built_aco.ws).connect() as con:
        view = provider_view(con, Scope(tin=tin), "py2024_ytd", min_peer_panel=floor)
        table = next(t for t in view.tabs[0].tables if t.table_id == "peers")
        [row] = table.rows
    assert row["peers"] == len(peers) > 1
    lower = sum(1 for r in peers if r["paid_per_person_year"] < own["paid_per_person_year"])
    assert row["paid_per_person_year"] == (Decimal(100) * lower / len(peers)).quantize(
        Decimal("0.1"), ROUND_HALF_UP)
