"""The analyst's drill-through: spend trend -> category -> month -> beneficiaries -> patient
page, in three clicks, with the same figures as the canonical table and the CLI report."""

from __future__ import annotations

import calendar
import json
import re
from datetime import date
from decimal import Decimal

from typer.testing import CliRunner

from aco_pipeline.cli import app as cli
from tests.web.pages_helpers import (
    TOKEN_LINK,
    audit_rows,
    csv_rows,
    dollars,
    warehouse_rows,
)

TREND = "/analyst/spend-trend"


def _cli_service_category(ws, month: str) -> Decimal:
    """`aco report service-category` for one month: the ED net paid summed over parts."""
    year, mon = (int(x) for x in month.split("-"))
    start = date(year, mon, 1)
    end = date(year, mon, calendar.monthrange(year, mon)[1])
    out = CliRunner().invoke(cli, ["report", "service-category", "--from", start.isoformat(),
                                   "--to", end.isoformat(), "--format", "json",
                                   "--workspace", str(ws.root)])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout, parse_float=Decimal)
    return sum((Decimal(str(r["net_paid"])) for r in doc["rows"]
                if r["service_category"] == "ed_visit"), Decimal(0))


def test_which_patients_drove_the_ed_spend_in_three_clicks(client_as, built_aco) -> None:
    analyst = client_as("analyst")
    trend = analyst.get(TREND)
    assert trend.status_code == 200
    # click 1: the ED category's trend
    [click1] = set(re.findall(r'href="(/analyst/spend-trend\?category=ed_visit)"', trend.text))
    by_month = analyst.get(click1)
    assert by_month.status_code == 200
    rows = csv_rows(analyst, click1 + "&table=trend&format=csv")
    assert rows and {r["Service category"] for r in rows} == {"ed_visit"}
    paid = {r["Month"]: dollars(r["Net paid (dollars, all Medicare parts of the category)"])
            for r in rows}
    month = max(paid, key=lambda m: (paid[m], m))  # the spike
    assert paid[month] > 0
    # click 2: the month's beneficiaries
    link = f"/analyst/category/ed_visit/month/{month}"
    assert f'href="{link}"' in by_month.text
    listing = analyst.get(link)
    assert listing.status_code == 200
    assert listing.headers["cache-control"] == "no-store"
    people = csv_rows(analyst, link + "?table=beneficiaries&format=csv")
    listed = sum(dollars(r["Net paid (dollars, this category and month)"]) for r in people)
    # the month list adds up to the trend's figure, which is the canonical table's and the CLI's
    [(canonical,)] = warehouse_rows(
        built_aco.ws, "select sum(net_paid) from metric_service_category "
                      "where period_kind = 'month' and period_id = ? "
                      "and service_category = 'ed_visit'", [month])
    assert listed == paid[month] == canonical == _cli_service_category(built_aco.ws, month)
    # ranked by ED spend, each with the attributed provider and risk score columns
    spend = [dollars(r["Net paid (dollars, this category and month)"]) for r in people]
    assert spend == sorted(spend, reverse=True)
    assert {"Attributed TIN", "Attributed NPI", "Risk score (CMS-HCC, payment year PY + 1)"} \
        <= set(people[0])
    # the JSON API: the same rows, money as exact JSON numbers
    api = analyst.get(f"/api{link}?table=beneficiaries")
    assert api.status_code == 200 and api.headers["cache-control"] == "no-store"
    doc = json.loads(api.text, parse_float=Decimal)["tables"]["beneficiaries"]
    assert doc["total"] == len(people)
    assert [r["net_paid"] for r in doc["rows"]] == spend[:len(doc["rows"])]
    assert all(isinstance(r["net_paid"], Decimal | int) for r in doc["rows"])
    # click 3: the top patient's page
    tokens = TOKEN_LINK.findall(listing.text)
    assert tokens
    patient = analyst.get(f"/patients/{tokens[0]}")
    assert patient.status_code == 200
    assert people[0]["Patient"] in patient.text
    viewed = audit_rows(analyst, action="list.")
    assert any(a.target == f"analyst:ed_visit:{month}" and a.rows == len(people)
               and a.action == "list.export.csv" for a in viewed)


def test_a_tin_filter_narrows_trend_and_list_alike(client_as, built_aco) -> None:
    [(tin, month)] = warehouse_rows(built_aco.ws, """
        select attributed_tin, strftime(month, '%Y-%m') from mart_analyst_category_month
        where service_category = 'ed_visit' and attributed_tin is not null
          and month in (select period_start from metric_period where period_kind = 'month')
        group by attributed_tin, month order by count(*) desc, 1, 2 limit 1""")
    analyst = client_as("analyst")
    rows = csv_rows(analyst, f"{TREND}?category=ed_visit&tin={tin}&table=trend&format=csv")
    cell = {r["Month"]: dollars(r["Net paid (dollars, all Medicare parts of the category)"])
            for r in rows}[month]
    people = csv_rows(analyst, f"/analyst/category/ed_visit/month/{month}?tin={tin}"
                               "&table=beneficiaries&format=csv")
    assert people and {r["Attributed TIN"] for r in people} == {tin}
    assert sum(dollars(r["Net paid (dollars, this category and month)"]) for r in people) == cell
    whole = csv_rows(analyst, f"/analyst/category/ed_visit/month/{month}"
                              "?table=beneficiaries&format=csv")
    assert len(whole) > len(people)


def test_finance_sees_the_trend_but_not_the_patients(client_as) -> None:
    finance = client_as("finance")
    trend = finance.get(f"{TREND}?category=ed_visit")
    assert trend.status_code == 200
    assert "/analyst/category/" not in trend.text
    refused = finance.get("/analyst/category/ed_visit/month/2024-11")
    assert refused.status_code == 403
    assert audit_rows(finance, outcome="denied")
    assert client_as("care_manager").get(TREND).status_code == 403


def test_bad_categories_months_and_filters_are_clear_4xx(client_as) -> None:
    analyst = client_as("analyst")
    assert analyst.get("/analyst/category/nope/month/2024-11").status_code == 404
    assert analyst.get("/analyst/category/ed_visit/month/2024-13").status_code == 404
    assert analyst.get(f"{TREND}?category=nope").status_code == 404
    assert analyst.get(f"{TREND}?tin=12").status_code == 400
    assert analyst.get(f"{TREND}?table=nope").status_code == 400
    assert analyst.get(f"{TREND}?table=trend&sort=nope").status_code == 400


def test_the_drill_mart_adds_up_to_the_canonical_table_everywhere(built_aco) -> None:
    """Every category and complete month: the beneficiaries' sum is the trend's figure (a
    difference in any cell would break the drill-through's promise)."""
    differences = warehouse_rows(built_aco.ws, """
        with canonical as (
            select period_start as month, service_category, sum(net_paid) as paid,
                   sum(claim_visits) as visits
            from metric_service_category where period_kind = 'month'
            group by period_start, service_category)
        , drilled as (
            select month, service_category, sum(net_paid) as paid, sum(visits) as visits
            from mart_analyst_category_month
            where month in (select period_start from metric_period where period_kind = 'month')
            group by month, service_category)
        select coalesce(c.month, d.month), coalesce(c.service_category, d.service_category)
        from canonical as c full outer join drilled as d
          on c.month = d.month and c.service_category = d.service_category
        where c.paid is distinct from d.paid or c.visits is distinct from d.visits""")
    [(cells,)] = warehouse_rows(built_aco.ws, "select count(*) from metric_service_category "
                                              "where period_kind = 'month'")
    assert cells > 10 and differences == []
