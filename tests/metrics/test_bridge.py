"""The reconciliation bridge (`aco report bridge`, docs/bridge.md).

On the built synthetic ACO, the running total after each named step equals the total that
report computes with its own function, to the cent: scope row 1 and row 8, spend total,
service-category Part A + Part B, utilization's spend total, and every expenditure row the
bridge passes (Table 10 and Table 11). The steps sum exactly. A deliberately wrong run-out must
not reconcile. A hand-made mart covers every bucket (opted-out and unassigned months, which the
synthetic ACO's claims never fall in).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import app
from aco_pipeline.config import Workspace
from aco_pipeline.metrics import bridge, utilization
from aco_pipeline.metrics.expenditure import TOTAL, EnrollmentType, TableRow
from aco_pipeline.metrics.expenditure_report import (
    ExpenditureParameters,
    Method,
    Period,
)
from aco_pipeline.metrics.expenditure_report import compute as expenditure
from aco_pipeline.warehouse import reports
from aco_pipeline.warehouse.read import connect
from tests.synthetic_aco import BuiltAco

D = Decimal
START, END = date(2024, 10, 1), date(2024, 12, 31)
RUNOUT = date(2025, 3, 31)
EARLY_RUNOUT = date(2025, 2, 28)
TYPES = ("ESRD", "DISABLED", "AGED/DUAL", "AGED/NON-DUAL")


@dataclass(frozen=True)
class Totals:
    """Each report's own total for one period and run-out."""

    scope_row_1: Decimal
    scope_row_8: Decimal
    scope_row_8_records: int
    spend: Decimal
    service_category_a_b: Decimal
    utilization: Decimal
    expenditure_raw: Decimal


def report_totals(ws: Workspace, *, start: date, end: date, runout: date | None) -> Totals:
    scope = {r["ref"]: r for r in reports.scope(ws, start=start, end=end, runout=runout).rows}
    spend = reports.spend(ws, start=start, end=end, runout=runout, by="month")
    categories = reports.service_category(ws, start=start, end=end, runout=runout)
    used = utilization.compute(ws, start=start, end=end, runout=runout)
    (util_total,) = [r["total_paid"] for r in used.spend if r["category"] == "total"
                     and r["enrollment_type"] == utilization.TOTAL
                     and r["month"] == utilization.ALL_MONTHS]
    # the raw total (row 2) does not depend on the truncation or completion parameters
    params = ExpenditureParameters(Method.factors, D("1.0"), {},
                                   dict.fromkeys(EnrollmentType, D("0")))
    with connect(ws) as con:
        table = expenditure(con, period=Period(start, end), runout=runout,
                            parameters=params).table
    return Totals(
        scope_row_1=scope[1]["claim_amount"],
        scope_row_8=scope[8]["claim_amount"],
        scope_row_8_records=scope[8]["claim_records"],
        spend=sum((r["total_paid"] for r in spend.rows), D(0)),
        service_category_a_b=sum((r["net_paid"] for r in categories.rows
                                  if r["medicare_part"] in ("A", "B")), D(0)),
        utilization=util_total,
        expenditure_raw=row_total(table, "2").quantize(D("0.01")),
    )


def row_total(table: list[TableRow], ref: str) -> Decimal:
    (value,) = [r.values[TOTAL] for r in table if r.ref == ref]
    assert value is not None
    return value


def mismatches(result: bridge.Bridge, totals: Totals) -> list[str]:
    """Every report total the bridge's running total fails to equal (empty: reconciled)."""
    checks = {
        "delivered": [("scope row 1", totals.scope_row_1)],
        "after_runout": [("scope row 8", totals.scope_row_8), ("spend", totals.spend),
                         ("service-category A+B", totals.service_category_a_b)],
        "unassigned": [("utilization", totals.utilization),
                       ("expenditure row 2", totals.expenditure_raw)],
    }
    out = []
    for step, expected in checks.items():
        got = result.after(step).running_total
        out += [f"{step}: {got} != {name} {value}" for name, value in expected if got != value]
    if result.after("after_runout").running_claims != totals.scope_row_8_records:
        out.append("after_runout: claim records differ from scope row 8")
    return out


def assert_sums(result: bridge.Bridge) -> None:
    """Each running total is the sum of the steps so far (dollars and claim records)."""
    dollars, claims = D(0), 0
    for s in result.steps:
        dollars += s.amount
        assert s.running_total == dollars, s
        if s.by_part is not None:
            assert sum(s.by_part.values(), D(0)) == s.amount, s
        if s.name in ("delivered", "duplicates") or s.name in {n for _, n, _ in bridge.REMOVALS}:
            assert s.claims is not None
            claims += s.claims
        assert s.running_claims == claims, s


@pytest.mark.parametrize("runout", [RUNOUT, None], ids=["runout", "no-cutoff"])
def test_bridge_reconciles_to_every_report(built_aco: BuiltAco, runout: date | None) -> None:
    ws = built_aco.ws
    result = bridge.compute(ws, start=START, end=END, runout=runout)
    assert_sums(result)
    assert mismatches(result, report_totals(ws, start=START, end=END, runout=runout)) == []
    # the synthetic ACO exercises the steps that matter here
    assert result.after("duplicates").amount < 0
    assert result.after("after_period").amount != 0
    assert result.after("not_enrolled").amount != 0
    assert [s.name for s in result.steps][-1] == "unassigned"


def test_wrong_runout_does_not_reconcile(built_aco: BuiltAco) -> None:
    """The bridge at an earlier run-out than the reports: the totals after the run-out step
    must differ (the check can fail), while the lake total still agrees."""
    ws = built_aco.ws
    wrong = bridge.compute(ws, start=START, end=END, runout=EARLY_RUNOUT)
    assert_sums(wrong)
    found = mismatches(wrong, report_totals(ws, start=START, end=END, runout=RUNOUT))
    assert any(m.startswith("after_runout") for m in found), found
    assert any(m.startswith("unassigned") for m in found), found
    assert not any(m.startswith("delivered") for m in found)


@pytest.mark.parametrize("method", [Method.thresholds, Method.factors])
def test_expenditure_steps_reach_every_table_row(built_aco: BuiltAco, tmp_path: Path,
                                                 method: Method) -> None:
    ws = built_aco.ws
    with connect(ws) as con:
        (mbi, month), = con.execute(
            "select mr_mbi, enrollment_month from mart_expenditure_member_month "
            "where is_counted and enrollment_month = ? order by mr_mbi limit 1",
            [START]).fetchall()
    ncbp = tmp_path / "ncbp.csv"
    ncbp.write_text(f"mbi,month,amount\n{mbi},{month:%Y-%m},-12.34\n", encoding="utf-8")
    types = list(EnrollmentType)
    params = ExpenditureParameters(
        method, D("1.072"),
        truncation_thresholds=dict(zip(types, (D(90000), D(6000), D(8000), D(5000)),
                                       strict=True)),
        truncation_factors=dict(zip(types, (D("0.02"), D("0.015"), D("0.01"), D("0.012")),
                                    strict=True)),
        ncbp_file=ncbp)
    with connect(ws) as con:
        table = expenditure(con, period=Period(START, END), runout=RUNOUT,
                            parameters=params).table
        result = bridge.compute(con, start=START, end=END, runout=RUNOUT,
                                expenditure=table, method=method.value)
    assert_sums(result)
    assert result.notes == []
    names = [s.name for s in result.steps]
    assert "difference" not in names
    assert names[-5:] == ["sequestration", "ime_dsh_ucc", "ncbp", "truncation", "completion"]
    assert result.after("unassigned").running_total == row_total(table, "2").quantize(D("0.01"))
    for s in result.steps[-5:]:
        ref = s.equals.rsplit(" ", 1)[-1] if s.equals else ""
        assert s.running_total == row_total(table, ref).quantize(D("0.01")), s
    assert result.after("ncbp").amount == D("-12.34")
    assert result.after("truncation").amount < 0  # the low thresholds / factors truncate
    assert result.after("sequestration").amount > 0


# --- the step logic on a hand-made mart ----------------------------------------------------------

MART_COLUMNS = (
    "bridge_record_key varchar, claim_family varchar, medicare_part varchar, "
    "clm_type_cd varchar, records_delivered integer, duplicate_records integer, "
    "is_invalid boolean, service_date date, service_month date, clm_idr_ld_dt date, "
    "signed_paid_amount decimal(15, 2), signed_ime_amount decimal(18, 2), "
    "signed_dsh_amount decimal(18, 2), signed_ucc_amount decimal(18, 2), assigned boolean, "
    "month_status varchar"
)
# key, part, copies, invalid, service date, load date, paid, ime, status
RECORDS = (
    ("a1", "A", 2, False, "2024-10-05", "2024-11-01", "1000.00", "50.00", "counted"),
    ("a2", "A", 1, True, "2024-10-06", "2024-11-01", "0.00", "0.00", "counted"),
    ("b1", "B", 3, False, "2024-09-30", "2024-10-15", "40.00", "0", "counted"),
    ("b2", "B", 1, False, "2025-01-01", "2025-02-01", "60.00", "0", "counted"),
    ("b3", "B", 1, False, "2024-12-31", "2025-04-02", "70.00", "0", "counted"),
    ("b4", "B", 1, False, "2024-11-11", "2024-12-01", "80.00", "0", "not_enrolled"),
    ("b5", "B", 2, False, "2024-11-12", "2024-12-01", "90.00", "0", "opted_out"),
    ("b6", "B", 1, False, "2024-11-13", "2024-12-01", "-15.00", "0", "unassigned"),
    ("b7", "B", 1, False, "2024-11-14", "2024-12-01", "25.50", "0", "counted"),
    ("u1", "unknown", 1, False, "2024-12-01", "2024-12-10", "5.25", "0", "counted"),
)


@pytest.fixture
def hand_made() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"create table {bridge.MART} ({MART_COLUMNS})")
    for key, part, copies, invalid, served, loaded, paid, ime, status in RECORDS:
        con.execute(
            f"insert into {bridge.MART} values (?, ?, ?, '', ?, ?, ?, ?, "
            "date_trunc('month', cast(? as date)), ?, ?, ?, 0, 0, null, ?)",
            [key, "part_a" if part != "B" else "part_b", part, copies, copies - 1, invalid,
             served, served, loaded, D(paid), D(ime), status])
    return con


def test_every_bucket_on_a_hand_made_mart(hand_made: duckdb.DuckDBPyConnection) -> None:
    result = bridge.compute(hand_made, start=START, end=END, runout=date(2025, 3, 31))
    assert_sums(result)
    got = {s.name: (s.claims, s.amount) for s in result.steps}
    assert got == {
        "delivered": (14, D("2000.00") + D("120.00") + D("60.00") + D("70.00") + D("80.00")
                      + D("180.00") + D("-15.00") + D("25.50") + D("5.25")),
        "duplicates": (-4, D("-1000.00") - D("80.00") - D("90.00")),
        "invalid": (-1, D("0.00")),
        "before_period": (-1, D("-40.00")),
        "after_period": (-1, D("-60.00")),
        "after_runout": (-1, D("-70.00")),
        "not_enrolled": (-1, D("-80.00")),
        "opted_out": (-1, D("-90.00")),
        "unassigned": (-1, D("15.00")),
    }
    last = result.after("unassigned")
    assert (last.running_claims, last.running_total) == (3, D("1030.75"))
    assert result.after("delivered").by_part == {"A": D("2000.00"), "B": D("520.50"),
                                                 "unknown": D("5.25")}


def _table(values: dict[str, str]) -> list[TableRow]:
    return [TableRow(ref, ref, {TOTAL: D(v), **dict.fromkeys(TYPES, None)})
            for ref, v in values.items()]


def test_expenditure_steps_round_to_the_printed_rows(
        hand_made: duckdb.DuckDBPyConnection) -> None:
    """Table rows with more than two places: each running total is the row to the cent and
    the printed steps still sum exactly; a raw total that differs from the counted-month
    spend becomes a named difference step and a note."""
    table = _table({"2": "1030.75", "3": "21.035714285714", "4": "1051.785714285714",
                    "6": "50.00", "7": "1001.785714285714", "8": "0", "9": "1001.785714285714",
                    "11": "12.0214285714", "12": "989.7642857143", "13": "71.2630285714",
                    "14": "1061.0273142857"})
    result = bridge.compute(hand_made, start=START, end=END, runout=date(2025, 3, 31),
                            expenditure=table, method="factors")
    assert_sums(result)
    tail = {s.name: (s.amount, s.running_total) for s in result.steps[-5:]}
    assert tail == {
        "sequestration": (D("21.04"), D("1051.79")),
        "ime_dsh_ucc": (D("-50.00"), D("1001.79")),
        "ncbp": (D("0.00"), D("1001.79")),
        "truncation": (D("-12.03"), D("989.76")),
        "completion": (D("71.27"), D("1061.03")),
    }
    assert result.after("ime_dsh_ucc").claims == 1
    assert result.notes == []

    off = _table({**{r.ref: str(r.values[TOTAL]) for r in table}, "2": "1031.75"})
    shifted = bridge.compute(hand_made, start=START, end=END, runout=date(2025, 3, 31),
                             expenditure=off, method="factors")
    assert_sums(shifted)
    assert shifted.after("difference").amount == D("1.00")
    assert any("differs from the counted-month spend" in n for n in shifted.notes)


def test_period_and_method_are_checked(hand_made: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(bridge.BridgeError, match="before --from"):
        bridge.compute(hand_made, start=END, end=START)
    with pytest.raises(bridge.BridgeError, match="method"):
        bridge.compute(hand_made, start=START, end=END, expenditure=[], method="other")


def test_cli_prints_the_bridge(built_aco: BuiltAco) -> None:
    out = CliRunner().invoke(app, [
        "report", "bridge", "--from", START.isoformat(), "--to", END.isoformat(),
        "--runout", RUNOUT.isoformat(), "--format", "json", "--workspace", str(built_aco.ws.root)])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert [r["name"] for r in doc["rows"]][:2] == ["delivered", "duplicates"]
    assert isinstance(doc["rows"][0]["amount"], (int, float))  # a JSON number
    assert any("no [expenditure] section" in n for n in doc["notes"])
    bad = CliRunner().invoke(app, ["report", "bridge", "--from", "2024-12-31", "--to",
                                   "2024-10-01", "--workspace", str(built_aco.ws.root)])
    assert bad.exit_code == 1
