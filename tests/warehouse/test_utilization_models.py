"""Utilization events (docs/utilization.md) on a hand-made lake with one example of every
definition, and the `utilization` / `spend_category` metrics on it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest

from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.warehouse.build import build_warehouse

from . import utilization_lake as lake
from .conftest import ACO
from .lake_builder import write_delivery


@pytest.fixture(scope="module")
def util_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = init_workspace(tmp_path_factory.mktemp("util") / "ws", aco_id=ACO,
                        performance_year=2024)
    last = len(lake.DELIVERIES) - 1
    for i, (delivery, created) in enumerate(lake.DELIVERIES):
        rows = lake.claim_rows() if i == last else {}
        write_delivery(ws.lake_dir, delivery, created,
                       {**rows, "CCLF8": lake.beneficiary_rows()})
    result = build_warehouse(ws)
    assert result.success, result.failures
    return ws


def _query(ws: Workspace, sql: str) -> list[tuple]:
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_event_definition(util_ws: Workspace) -> None:
    rows = _query(util_ws, "select event_type, mr_mbi, event_date from mart_utilization_event")
    got: dict[str, list[tuple[str, date]]] = {}
    for event_type, mbi, day in rows:
        got.setdefault(event_type, []).append((mbi, day))
    assert {k: sorted(v) for k, v in got.items()} == {
        k: sorted(v) for k, v in lake.EXPECTED_EVENTS.items()}


def test_stays_merge_interim_claims(util_ws: Workspace) -> None:
    snf = _query(util_ws, "select admission_date, discharge_date, los_days, paid_amount, "
                          "claim_count from int_utilization_facility_stays "
                          "where stay_kind = 'snf'")
    assert snf == [(date(2024, 1, 25), date(2024, 2, 14), 20, Decimal("10000.00"), 2)]
    ltch = _query(util_ws, "select claim_count, paid_amount, discharge_status "
                           "from int_utilization_facility_stays where stay_type = 'long_term'")
    assert ltch == [(2, Decimal("35000.00"), "01")]


def test_readmission_case(util_ws: Workspace) -> None:
    rows = _query(util_ws, "select mr_mbi, discharge_date, is_index_stay, is_readmitted_30d, "
                           "readmission_date, days_to_readmission "
                           "from mart_utilization_readmission order by mr_mbi, discharge_date")
    assert rows == [
        (lake.B1, date(2024, 1, 8), True, True, date(2024, 1, 20), 12),
        (lake.B1, date(2024, 1, 25), True, False, None, None),
        # transfer out (02): not an index stay; the same-day admission is the next stay
        (lake.B2, date(2024, 2, 5), False, True, date(2024, 2, 5), 0),
        # 35 days to the next admission: not a readmission
        (lake.B2, date(2024, 2, 9), True, False, None, None),
        (lake.B2, date(2024, 3, 18), True, False, None, None),
    ]


def test_spend_categories_add_up_to_spend(util_ws: Workspace) -> None:
    cats = dict(_query(util_ws, "select spend_category, sum(signed_paid_amount) "
                                "from mart_utilization_spend_payment group by 1"))
    assert cats["ambulance"] == Decimal("450.00")
    assert cats["snf"] == Decimal("10000.00")
    assert cats["outpatient"] == Decimal("1050.00")  # 900 + 150 + 700 - 700
    total = _query(util_ws, "select sum(signed_paid_amount) from fct_claim_payment "
                            "where claim_family in ('part_a', 'part_b', 'dme')")[0][0]
    assert sum(cats.values()) == total


# --- the metric tables on the hand-made lake ---------------------------------------------------

def _by(rows: list[dict], **match: str) -> dict[str, dict]:
    return {r["measure"] if "measure" in r else r["category"]: r for r in rows
            if all(r[k] == v for k, v in match.items())}


def test_rates_per_1000_person_years(util_ws: Workspace) -> None:
    from aco_pipeline.metrics.utilization import compute

    res = compute(util_ws, start=date(2024, 1, 1), end=date(2024, 3, 31))
    total = _by(res.utilization, enrollment_type="TOTAL", month="all")
    # 2 beneficiaries x 3 months = 6 member-months = 0.5 person-years
    assert total["adm"]["member_months"] == 6
    assert total["adm"]["person_years"] == Decimal("0.5000")
    counts = {m: r["count"] for m, r in total.items()}
    assert counts["adm"] == 6 and counts["adm_s_trm"] == 5 and counts["adm_l_trm"] == 1
    assert counts["em_total"] == 5 == sum(counts[m] for m in (
        "em_pcp", "em_specialist", "em_np_pa_cns", "em_fqhc_rhc"))
    assert total["adm"]["rate_per_1000"] == Decimal("12000.00")
    assert total["mri"]["rate_per_1000"] == Decimal("2000.00")
    assert total["snf_los"]["value"] == Decimal("20.00")
    assert total["snf_pay_per_stay"]["value"] == Decimal("10000.00")
    # index stays: B1 Jan 8 (readmitted), B1 Jan 25, B2 Feb 9, B2 Mar 18 -> 1 / 4
    assert (total["readm_rate_1000"]["count"], total["readm_rate_1000"]["denominator"]) == (1, 4)
    assert total["readm_rate_1000"]["value"] == Decimal("250.00")
    assert total["readmissions_30d"]["rate_per_1000"] == Decimal("2000.00")
    aged = _by(res.utilization, enrollment_type="AGED/NON-DUAL", month="all")
    assert aged["adm"]["member_months"] == 3 and aged["adm"]["count"] == 3
    assert aged["adm"]["rate_per_1000"] == Decimal("12000.00")
    march = _by(res.utilization, enrollment_type="TOTAL", month="2024-03")
    assert march["em_fqhc_rhc"]["count"] == 1 and march["em_fqhc_rhc"]["member_months"] == 2
    spend = _by(res.spend, enrollment_type="TOTAL", month="all")
    assert spend["ambulance"]["total_paid"] == Decimal("450.00")
    assert spend["ambulance"]["per_capita"] == Decimal("900.00")  # 450 x 12 / 6
    assert spend["total"]["total_paid"] == sum(
        (r["total_paid"] for c, r in spend.items() if c != "total"), Decimal(0))
    # Part A + Part B: outpatient (type 40) is Part B, SNF Part A (IP v40 5.4)
    assert spend["outpatient"]["part_a_paid"] == 0
    assert spend["outpatient"]["part_b_paid"] == spend["outpatient"]["total_paid"]
    assert spend["snf"]["part_a_paid"] == Decimal("10000.00") == spend["snf"]["total_paid"]
    assert spend["total"]["total_paid"] == (spend["total"]["part_a_paid"]
                                            + spend["total"]["part_b_paid"])


def test_runout_drops_claims_loaded_later(util_ws: Workspace) -> None:
    from aco_pipeline.metrics.utilization import compute

    res = compute(util_ws, start=date(2024, 1, 1), end=date(2024, 3, 31),
                  runout=date(2024, 4, 30))
    total = _by(res.utilization, enrollment_type="TOTAL", month="all")
    assert total["mri"]["count"] == 0 and total["ct"]["count"] == 1
    spend = _by(res.spend, enrollment_type="TOTAL", month="all")
    assert spend["physician_supplier"]["total_paid"] == Decimal("620.00")  # 686 without the MRI


def test_canonical_tables_equal_an_ad_hoc_compute(util_ws: Workspace) -> None:
    """`aco build` stored metric_utilization / metric_spend_category per canonical period;
    each period's rows are exactly what compute() gives for that period."""
    from aco_pipeline.metrics.periods import PERIOD_COLUMNS
    from aco_pipeline.metrics.utilization import SPEND_SCHEMA, UTILIZATION_SCHEMA, compute
    from aco_pipeline.warehouse.read import connect

    with connect(util_ws) as con:
        util = con.sql("select * from metric_utilization").to_arrow_table().to_pylist()
        spend = con.sql("select * from metric_spend_category").to_arrow_table().to_pylist()
        kinds = {r[0] for r in con.execute("select period_kind from metric_period").fetchall()}
    assert util and spend and "month" in kinds
    periods = {(r["period_id"], r["period_start"], r["period_end"]) for r in util}
    assert periods == {(r["period_id"], r["period_start"], r["period_end"]) for r in spend}
    for pid, start, end in sorted(periods):
        res = compute(util_ws, start=start, end=end)
        got_u = [{k: v for k, v in r.items() if k not in PERIOD_COLUMNS}
                 for r in util if r["period_id"] == pid]
        got_s = [{k: v for k, v in r.items() if k not in PERIOD_COLUMNS}
                 for r in spend if r["period_id"] == pid]
        assert got_u == [{f.name: r[f.name] for f in UTILIZATION_SCHEMA} for r in res.utilization]
        assert got_s == [{f.name: r[f.name] for f in SPEND_SCHEMA} for r in res.spend]


def test_cli_prints_and_writes_nothing(util_ws: Workspace) -> None:
    import json

    from typer.testing import CliRunner

    import aco_pipeline.cli.report_utilization  # noqa: F401  (registers the command)
    from aco_pipeline.cli.app import app

    before = _query(util_ws, "select count(*), count(distinct period_id) "
                             "from metric_utilization")
    args = ["report", "utilization", "--from", "2024-01-01", "--to", "2024-03-31",
            "--workspace", str(util_ws.root)]
    res = CliRunner().invoke(app, [*args, "--by", "enrollment-type", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert set(data) == {"rows", "notes"}
    assert {r["enrollment_type"] for r in data["rows"]} == {"DISABLED", "AGED/NON-DUAL"}
    assert any("is_counted" in n for n in data["notes"])
    assert any("2024-01-01..2024-03-31" in n for n in data["notes"])
    adm = next(r for r in data["rows"] if r["measure"] == "adm"
               and r["enrollment_type"] == "AGED/NON-DUAL")
    assert adm["rate_per_1000"] == 12000  # a JSON number
    assert {r["measure"] for r in data["rows"]} >= {"ed_visits_puf", "ed_visits_hosp_puf"}
    csv_out = CliRunner().invoke(app, [*args, "--table", "spend-category", "--format", "csv",
                                       "--by", "month", "--runout", "2024-04-30"])
    assert csv_out.exit_code == 0, csv_out.output
    lines = csv_out.stdout.splitlines()
    assert lines[0] == ("category,puf_column,enrollment_type,month,part_a_paid,part_b_paid,"
                        "total_paid,member_months,person_years,per_capita")
    assert len(lines) == 1 + 3 * 9  # 3 months x (8 categories + total)
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and "ed_visits_puf" in table.stdout
    # an ad-hoc run with other parameters leaves the canonical tables as the build wrote them
    assert _query(util_ws, "select count(*), count(distinct period_id) "
                           "from metric_utilization") == before
    bad = CliRunner().invoke(app, ["report", "utilization", "--from", "2024-03-01", "--to",
                                   "2024-01-01", "--workspace", str(util_ws.root)])
    assert bad.exit_code == 1 and "before" in bad.output
