"""CCLF IP v40 5.3.2: Part A $260, Part B $707, total $967, through the whole pipeline
(hand-made lake -> dbt build -> `aco report spend`)."""

from __future__ import annotations

import json
from decimal import Decimal

import duckdb
from typer.testing import CliRunner

import aco_pipeline.cli.report  # noqa: F401  (registers `aco report`)
from aco_pipeline.cli.app import app
from aco_pipeline.config import Workspace

from .lake_builder import CURRENT_MBI


def _spend(ws: Workspace, *extra: str) -> str:
    res = CliRunner().invoke(app, ["report", "spend", "--from", "2012-01-01", "--to",
                                   "2012-12-31", "--workspace", str(ws.root), *extra])
    assert res.exit_code == 0, res.output
    return res.stdout


def _json(out: str) -> list[dict[str, object]]:
    """The rows of a JSON report, money as exact Decimals (JSON numbers)."""
    rows: list[dict[str, object]] = json.loads(out, parse_float=Decimal)["rows"]
    return rows


def test_report_spend_prints_the_ip_totals(ip_built: Workspace) -> None:
    rows = _json(_spend(ip_built, "--runout", "2013-03-31", "--format", "json"))
    assert rows == [{"mr_mbi": CURRENT_MBI, "part_a_paid": Decimal("260.00"),
                     "part_b_paid": Decimal("707.00"), "total_paid": Decimal("967.00"),
                     "part_d_beneficiary_paid": Decimal("0.00")}]


def test_report_spend_csv_and_by_category(ip_built: Workspace) -> None:
    out = _spend(ip_built, "--format", "csv")
    assert out.splitlines() == [
        "mr_mbi,part_a_paid,part_b_paid,total_paid,part_d_beneficiary_paid",
        f"{CURRENT_MBI},260.00,707.00,967.00,0.00"]
    cats = _json(_spend(ip_built, "--by", "category", "--format", "json"))
    assert [(c["claim_family"], c["clm_type_cd"], c["clm_type_label"], c["total_paid"])
            for c in cats] == [("part_a", "60", "Inpatient claim", Decimal("260.00")),
                               ("part_b", "71", "RIC O local carrier non-DMEPOS claim",
                                Decimal("707.00"))]
    months = _json(_spend(ip_built, "--by", "month", "--format", "json"))
    assert [(m["month"], m["total_paid"]) for m in months] == [
        ("2012-07-01", Decimal("917.00")), ("2012-08-01", Decimal("50.00"))]


def test_runout_cutoff_uses_the_load_date(ip_built: Workspace) -> None:
    # loaded by 2012-08-31: #1 (+200), #3 (-200), #5 (0), #7 not yet (thru in period but
    # loaded 09/20); Part B claim 3 (08/15): 607
    rows = _json(_spend(ip_built, "--runout", "2012-08-31", "--format", "json"))
    assert rows[0]["part_a_paid"] == 0 and rows[0]["part_b_paid"] == Decimal("607.00")


def test_final_action_claims_are_the_ips(ip_built: Workspace) -> None:
    con = duckdb.connect(str(ip_built.warehouse_path), read_only=True)
    try:
        got = con.execute("select claim_family, cast(cur_clm_uniq_id as bigint), clm_line_num, "
                          "mr_mbi from fct_claim order by 1, 2, 3").fetchall()
    finally:
        con.close()
    # Part A: #4, #7 and one of #2/#5 (#5 is cancelled by #6: earliest effective date)
    assert [(f, c) for f, c, _, _ in got if f == "part_a"] == [("part_a", 2), ("part_a", 4),
                                                                ("part_a", 7)]
    # Part B: claim 1 cancels claim 3 line by line; claim 2's lines are final
    assert [(c, ln) for f, c, ln, _ in got if f == "part_b"] == [(2, 1), (2, 2), (2, 3)]
    assert {m for *_, m in got} == {CURRENT_MBI}  # old MBI on #1-#3 mapped (IP v40 5.1.1)
