"""Generated ACO -> ingest -> build, compared with the generator's ground truth exactly."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import duckdb
import pyarrow.parquet as pq
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


def _truth(built: BuiltAco, name: str) -> list[dict]:
    return pq.read_table(built.ground_truth / f"{name}.parquet").to_pylist()


def test_net_paid_per_mbi_month_claim_type_exact(built_aco: BuiltAco, con) -> None:
    truth = {(r["current_mbi"], r["month"], r["clm_type_cd"]): r["net_paid"]
             for r in _truth(built_aco, "beneficiary_month_paid")}
    got = {(m, mo, t): v for m, mo, t, v in con.execute(
        "select mr_mbi, service_month, clm_type_cd, net_paid from mart_spend_claim_type_month"
    ).fetchall()}
    assert all(isinstance(v, Decimal) for v in got.values())
    assert got == truth
    assert len(truth) > 1000


def test_final_action_claims_exact(built_aco: BuiltAco, con) -> None:
    truth = {(r["family"], r["cur_clm_uniq_id"], r["clm_line_num"], r["current_mbi"],
              r["clm_type_cd"], r["month"], r["paid_amount"])
             for r in _truth(built_aco, "final_action_claims")}
    rows = con.execute(
        "select claim_family, cur_clm_uniq_id, clm_line_num, mr_mbi, clm_type_cd, "
        "service_month, paid_amount from fct_claim").fetchall()
    assert len(rows) == len(set(rows))
    assert set(rows) == truth
    assert {f for f, *_ in truth} == {"part_a", "part_b", "dme", "part_d"}


def test_current_mbis_exact(built_aco: BuiltAco, con) -> None:
    truth = {(r["previous_mbi"], r["current_mbi"]) for r in _truth(built_aco, "mbi_history")}
    got = set(con.execute("select previous_mbi, current_mbi from int_mbi_crosswalk").fetchall())
    assert got == truth
    assert len({cur for _, cur in truth}) < len(truth), "expected an A->B->C chain"
    # no errors; warnings (e.g. revenue lines short of their header, IP 3.5) are expected
    errors = "select count(*) from mart_data_quality where severity = 'error'"
    assert con.execute(errors).fetchone() == (0,)


def test_enrollment_types_exact(built_aco: BuiltAco) -> None:
    truth = {(r["current_mbi"], r["month"].isoformat()): r["enrollment_type"]
             for r in _truth(built_aco, "beneficiary_month") if r["enrollment_type"] is not None}
    res = CliRunner().invoke(app, ["report", "enrollment", "--by", "beneficiary-month",
                                   "--format", "csv", "--workspace", str(built_aco.ws.root)])
    assert res.exit_code == 0, res.output
    got = {(r["mr_mbi"], r["month"]): int(r["enrollment_type"])
           for r in csv.DictReader(io.StringIO(res.stdout)) if r["enrollment_type"]}
    assert got == truth
    assert {*truth.values()} >= {1, 2, 3, 4}


def test_spend_report_totals_match_the_mart(built_aco: BuiltAco, con) -> None:
    res = CliRunner().invoke(app, ["report", "spend", "--from", "2000-01-01", "--to",
                                   "2100-12-31", "--by", "month", "--format", "csv",
                                   "--workspace", str(built_aco.ws.root)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert all(len(r["total_paid"].split(".")[1]) == 2 for r in rows)
    total = sum(Decimal(r["total_paid"]) for r in rows)
    part_a = sum(Decimal(r["part_a_paid"]) for r in rows)
    part_d = sum(Decimal(r["part_d_beneficiary_paid"]) for r in rows)
    (mart_total, mart_a, mart_d), = con.execute(
        "select sum(total_paid), sum(part_a_paid), sum(part_d_beneficiary_paid) "
        "from mart_spend_beneficiary_month").fetchall()
    assert (total, part_a, part_d) == (mart_total, mart_a, mart_d)
    assert 0 < part_a < total
