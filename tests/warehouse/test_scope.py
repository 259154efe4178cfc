"""`aco report scope`: the CMS guide's Table 1 waterfall (Appendix A phase 1) on the generated
ACO: rows add up, denied claims are invalid with the right reason, in-scope dollars equal the
spend report for the same period and run-out."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import duckdb
import pytest
from typer.testing import CliRunner

import aco_pipeline.cli.report  # noqa: F401  (registers `aco report`)
from aco_pipeline.cli.app import app
from aco_pipeline.warehouse.reports import SCOPE_FAMILIES, scope, spend

from .conftest import BuiltAco

PERIODS = [
    (date(2024, 10, 1), date(2024, 12, 31), date(2025, 2, 28)),
    (date(2024, 1, 1), date(2024, 12, 31), None),
    (date(2024, 11, 1), date(2025, 1, 31), date(2025, 1, 15)),
]


@pytest.fixture(scope="module")
def con(built_aco: BuiltAco) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(str(built_aco.ws.warehouse_path), read_only=True)
    yield c
    c.close()


@pytest.mark.parametrize(("start", "end", "runout"), PERIODS)
def test_waterfall_rows_add_up(built_aco: BuiltAco, start: date, end: date,
                               runout: date | None) -> None:
    rows = {r["ref"]: r for r in scope(built_aco.ws, start=start, end=end, runout=runout).rows}
    assert sorted(rows) == list(range(1, 9))
    for suffix in ("", *(f"{f}_" for f in SCOPE_FAMILIES)):
        rec, amt = f"{suffix}records" if suffix else "claim_records", (
            f"{suffix}amount" if suffix else "claim_amount")
        # row 4 is the sum of rows 5-7; each row removes from the previous total
        assert rows[4][rec] == rows[5][rec] + rows[6][rec] + rows[7][rec]
        assert rows[4][amt] == rows[5][amt] + rows[6][amt] + rows[7][amt]
        assert rows[8][rec] == rows[1][rec] + rows[2][rec] + rows[3][rec] + rows[4][rec]
        assert rows[8][amt] == rows[1][amt] + rows[2][amt] + rows[3][amt] + rows[4][amt]
        for ref in (2, 3, 5, 6, 7):
            assert rows[ref][rec] <= 0
    assert rows[1]["claim_records"] > rows[8]["claim_records"] > 0
    assert rows[2]["claim_records"] < 0  # the generator re-sends versions
    assert rows[3]["claim_records"] < 0  # and denies some
    assert all(isinstance(r["claim_amount"], Decimal) for r in rows.values())


def test_total_records_are_the_lake_rows(built_aco: BuiltAco, con) -> None:
    rows = {r["ref"]: r for r in scope(built_aco.ws, start=date(2024, 1, 1),
                                       end=date(2024, 12, 31)).rows}
    lake = sum(con.execute(f"select count(*) from {m}").fetchone()[0]
               for m in ("stg_cclf1", "stg_cclf5", "stg_cclf6"))
    assert rows[1]["claim_records"] == lake
    distinct = con.execute("select count(*) from fct_claim_payment "
                           "where claim_family <> 'part_d'").fetchone()[0]
    assert rows[1]["claim_records"] + rows[2]["claim_records"] == distinct


@pytest.mark.parametrize(("start", "end", "runout"), PERIODS)
def test_in_scope_dollars_equal_the_spend_report(built_aco: BuiltAco, start: date, end: date,
                                                 runout: date | None) -> None:
    rows = {r["ref"]: r for r in scope(built_aco.ws, start=start, end=end, runout=runout).rows}
    spent = spend(built_aco.ws, start=start, end=end, runout=runout, by="month").rows
    # the waterfall is by CCLF file (claim family): spend by claim type per family agrees
    by_type = spend(built_aco.ws, start=start, end=end, runout=runout, by="category").rows
    for family in SCOPE_FAMILIES:
        assert rows[8][f"{family}_amount"] == sum(
            (r["total_paid"] for r in by_type if r["claim_family"] == family), Decimal(0))
    assert rows[8]["claim_amount"] == sum((r["total_paid"] for r in spent), Decimal(0))


def test_denied_claims_are_invalid_with_the_reason(con) -> None:
    # Part A: CLM_MDCR_NPMT_RSN_CD non-blank (N/B/R/C in the generator) -> invalid
    part_a = con.execute(
        "select v.is_invalid, v.invalid_reason, f.clm_mdcr_npmt_rsn_cd "
        "from int_claim_validity_part_a as v "
        "join int_final_action_part_a as f using (version_key)"
    ).fetchall()
    denied = [r for r in part_a if (r[2] or "").strip()]
    assert denied and all(r[0] and r[1] == "nonpayment_reason_code" for r in denied)
    assert all(not r[0] for r in part_a if not (r[2] or "").strip())
    # Part B / DME: denial code 0 -> payment_denial_code; indicator not A/R/S -> processing
    for family in ("part_b", "dme"):
        lines = con.execute(
            "select v.is_invalid, v.invalid_reason, f.clm_carr_pmt_dnl_cd, f.clm_prcsg_ind_cd "
            f"from int_claim_validity_{family} as v "
            f"join int_final_action_{family} as f using (version_key)"
        ).fetchall()
        for is_invalid, reason, dnl, prcsg in lines:
            if dnl.strip() == "0":
                assert is_invalid and reason == "payment_denial_code"
            elif prcsg.strip() not in ("A", "R", "S"):
                assert is_invalid and reason == "processing_indicator"
            else:
                assert not is_invalid and reason is None
        assert any(r[1] == "payment_denial_code" for r in lines) or family == "dme"
        assert any(r[1] == "processing_indicator" for r in lines)


def test_cli_scope_table_1_parses(built_aco: BuiltAco) -> None:
    args = ["report", "scope", "--from", "2024-10-01", "--to", "2024-12-31",
            "--runout", "2025-02-28", "--workspace", str(built_aco.ws.root)]
    runner = CliRunner()
    as_json = runner.invoke(app, [*args, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout, parse_float=Decimal)["rows"]
    assert [r["ref"] for r in data] == list(range(1, 9))
    assert data[0]["description"] == "Total CCLF claims/claim lines"
    assert data[0]["records_percent"] is None
    in_scope = Decimal(data[7]["claim_amount"])
    assert in_scope == sum(Decimal(r["claim_amount"]) for r in data[:4])
    as_csv = runner.invoke(app, [*args, "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [int(r["ref"]) for r in rows] == list(range(1, 9))
    assert Decimal(rows[7]["claim_amount"]) == in_scope
    bad = runner.invoke(app, ["report", "scope", "--from", "2024-12-31", "--to", "2024-01-01",
                              "--workspace", str(built_aco.ws.root)])
    assert bad.exit_code != 0
