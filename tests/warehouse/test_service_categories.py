"""Service categories on the generated ACO: every payment categorised, sums equal the spend
mart, ED visits counted once per visit, `aco report service-category` parses."""

from __future__ import annotations

import json
from decimal import Decimal

import duckdb
import pytest
from typer.testing import CliRunner

import aco_pipeline.cli.report  # noqa: F401  (registers `aco report`)
from aco_pipeline.cli.app import app

from .conftest import BuiltAco


@pytest.fixture(scope="module")
def con(built_aco: BuiltAco) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(str(built_aco.ws.warehouse_path), read_only=True)
    yield c
    c.close()


def test_every_payment_has_a_category_and_sums_match(con) -> None:
    by_family = dict(con.execute(
        "select claim_family, sum(signed_paid_amount) from mart_service_category_payment "
        "group by claim_family").fetchall())
    expected = dict(con.execute(
        "select claim_family, sum(signed_paid_amount) from fct_claim_payment "
        "group by claim_family").fetchall())
    assert by_family == expected
    mart = con.execute("select sum(net_paid) from mart_spend_service_category_month").fetchone()
    spend = con.execute("select sum(net_paid) from mart_spend_claim_type_month").fetchone()
    assert isinstance(mart[0], Decimal) and mart == spend
    categories = {c for (c,) in con.execute(
        "select distinct service_category from mart_service_category_payment").fetchall()}
    assert {"inpatient_acute", "snf", "hha", "hospice", "outpatient", "ed_visit",
            "office_visit", "part_b_other", "dme", "part_d"} <= categories


def test_ed_visits_once_per_claim_or_beneficiary_day(con) -> None:
    outpatient = con.execute(
        "select count(distinct cur_clm_uniq_id) from int_service_category_part_a "
        "where service_category = 'ed_visit' and is_final_action and not is_invalid"
    ).fetchone()[0]
    part_b = con.execute(
        "select count(distinct mr_mbi || '|' || cast(visit_date as varchar)) "
        "from int_service_category_part_b "
        "where service_category = 'ed_visit' and is_final_action and not is_invalid"
    ).fetchone()[0]
    visits = con.execute(
        "select sum(visits) from mart_spend_service_category_month "
        "where service_category = 'ed_visit'").fetchone()[0]
    assert outpatient > 0 and part_b > 0
    assert visits == outpatient + part_b


def test_institutional_claims_split_part_a_and_b(con) -> None:
    parts = dict(con.execute(
        "select service_category, max(medicare_part) from int_service_category_part_a "
        "where service_category <> 'outpatient' group by service_category").fetchall())
    assert parts["inpatient_acute"] == "A" and parts["ed_visit"] == "B"
    assert con.execute("select count(*) from int_service_category_part_a "
                       "where medicare_part = 'unknown'").fetchone()[0] == 0


def test_cli_service_category(built_aco: BuiltAco) -> None:
    result = CliRunner().invoke(app, [
        "report", "service-category", "--from", "2024-10-01", "--to", "2024-12-31",
        "--runout", "2025-02-28", "--format", "json", "--workspace", str(built_aco.ws.root)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout, parse_float=Decimal)["rows"]
    assert {r["service_category"] for r in rows} >= {"ed_visit", "office_visit", "part_d"}
    assert all(Decimal(r["net_paid"]) == Decimal(r["net_paid"]).quantize(Decimal("0.01"))
               for r in rows)
