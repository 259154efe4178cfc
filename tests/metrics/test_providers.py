"""Provider attribution, scorecards, the facility view and the participant list: edge cases
on a hand-made lake, the CLI, and an end-to-end run on a generated ACO checked against an
independent computation."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import aco_pipeline.cli  # noqa: F401  (registers every command)
from aco_pipeline.cli.app import app
from aco_pipeline.config import Workspace
from aco_pipeline.metrics.participants import (
    ParticipantsError,
    load_participants,
    participants_for,
)
from aco_pipeline.metrics.periods import PERIOD_COLUMNS
from aco_pipeline.metrics.providers import (
    CANONICAL_KINDS,
    facility_view,
    scorecard,
    scorecard_periods,
)
from aco_pipeline.warehouse.read import WarehouseReadError, connect

from .care_fixtures import (
    CCN_IN,
    CCN_OUT,
    NPI_A,
    NPI_A2,
    NPI_B,
    NPI_C,
    STEP_ONE,
    STEP_TWO,
    TIE,
    TIN_A,
    TIN_B,
    TIN_C,
)

YEAR = (date(2024, 1, 1), date(2024, 12, 31))


def attribution(ws: Workspace, month: date) -> dict[str, tuple]:
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        rows = con.execute(
            "select mr_mbi, attributed_tin, attributed_npi, attribution_step, tin_visits, "
            "is_tin_tie from mart_provider_attribution_month where attribution_month = ?",
            [month]).fetchall()
    finally:
        con.close()
    return {r[0]: r[1:] for r in rows}


def participants_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "participants.csv"
    path.write_text(text)
    return path


# --- participant list -------------------------------------------------------------------------

def test_participant_list_parses_and_errors_name_line_and_field(tmp_path: Path) -> None:
    p = load_participants(participants_file(
        tmp_path, "TIN,NPI,CCN,name\n111111111,,360001,Clinic\n\n,1000000003,,Dr\n"))
    assert p.tins == {"111111111"} and p.npis == {"1000000003"} and p.ccns == {"360001"}
    bad = participants_file(tmp_path, "tin,npi\n111111111,\n222222222,12345\n")
    with pytest.raises(ParticipantsError, match=r"participants.csv, line 3, field npi"):
        load_participants(bad)
    with pytest.raises(ParticipantsError, match="line 1: the header names none"):
        load_participants(participants_file(tmp_path, "taxid\n111111111\n"))
    with pytest.raises(ParticipantsError, match="line 2: no identifier"):
        load_participants(participants_file(tmp_path, "tin,npi,name\n,,Clinic\n"))


def test_participant_list_from_aco_toml(tmp_path: Path) -> None:
    from aco_pipeline.config import init_workspace

    ws = init_workspace(tmp_path / "ws", aco_id="A9999", performance_year=2024)
    assert participants_for(ws) is None
    (ws.root / "plist.csv").write_text("tin\n111111111\n")
    with ws.config_path.open("a") as fh:
        fh.write('\n[network]\nparticipants_file = "plist.csv"\n')
    configured = participants_for(ws)
    assert configured is not None and configured.tins == {"111111111"}
    override = participants_file(tmp_path, "tin\n222222222\n")
    assert participants_for(ws, override).tins == {"222222222"}  # type: ignore[union-attr]


# --- attribution ------------------------------------------------------------------------------

def test_attribution_tie_step_one_and_step_two(care_lake: Workspace) -> None:
    att = attribution(care_lake, date(2024, 12, 1))
    # 2 visits each at TIN_A and TIN_B, same allowed charges: TIN_B's last visit is later
    assert att[TIE] == (TIN_B, NPI_B, 1, 2, True)
    # a single family-practice visit (step 1) beats three cardiology visits
    assert att[STEP_ONE] == (TIN_A, NPI_A2, 1, 1, False)
    # only a cardiologist: step 2
    assert att[STEP_TWO] == (TIN_C, NPI_C, 2, 2, False)
    # in May the window holds only TIE's TIN_B visit of February and TIN_A's of March and
    # May: TIN_A has the plurality
    assert attribution(care_lake, date(2024, 5, 1))[TIE][:2] == (TIN_A, NPI_A)
    # months after the last claim month (2024-12) are not built
    assert attribution(care_lake, date(2025, 1, 1)) == {}


# --- scorecards -------------------------------------------------------------------------------

def test_scorecard_by_tin_with_leakage(care_lake: Workspace, tmp_path: Path) -> None:
    plist = load_participants(participants_file(tmp_path, f"tin,ccn\n{TIN_A},{CCN_IN}\n"))
    rows = {r["tin"]: r for r in scorecard(care_lake, start=YEAR[0], end=YEAR[1],
                                          by="tin", participants=plist).to_pylist()}
    a = rows[TIN_A]
    # TIN_A panel: FOLLOW_DAY7, FOLLOW_DAY8, NO_FOLLOW (office visits) and STEP_ONE, each with
    # 12 counted person-months (enrollment type 1-4, alive, no BNEX, no ALR: assigned NULL)
    assert a["panel_size"] == 4 and a["counted_months"] == 48
    assert a["person_years"] == Decimal(4)
    # by the Medicare part that paid: the three inpatient stays are Part A
    assert a["part_a_paid"] == Decimal(29000)
    assert a["part_a_paid"] + a["part_b_paid"] == a["total_paid"]
    assert a["total_paid"] == Decimal("12110") + Decimal("9110") + Decimal("8090") + Decimal(370)
    assert a["paid_per_person_year"] == (a["total_paid"] / 4).quantize(Decimal("0.01"))
    assert a["inpatient_admissions"] == 3
    assert a["admissions_per_1000_person_years"] == Decimal("750.00")
    # FOLLOW_DAY8's stay was at CCN_OUT ($9,000) and STEP_ONE saw a cardiologist at TIN_C
    assert a["paid_outside_aco"] == Decimal(9000) + Decimal(300)
    assert a["paid_inside_aco"] + a["paid_outside_aco"] == a["total_paid"]
    assert a["leakage_share"] == (a["paid_outside_aco"] / a["total_paid"]).quantize(
        Decimal("0.0001"))
    assert a["is_participant"] and not rows[TIN_B]["is_participant"]
    # without a participant list the leakage columns are empty
    plain = scorecard(care_lake, start=YEAR[0], end=YEAR[1], by="tin").to_pylist()
    assert all(r["leakage_share"] is None and r["is_participant"] is None for r in plain)


def test_scorecard_by_npi_and_runout(care_lake: Workspace) -> None:
    rows = {(r["tin"], r["npi"]): r for r in scorecard(
        care_lake, start=YEAR[0], end=YEAR[1], by="npi").to_pylist()}
    assert rows[(TIN_A, NPI_A)]["panel_size"] == 3 and rows[(TIN_A, NPI_A2)]["panel_size"] == 1
    # a run-out before NO_FOLLOW's stay was loaded (2024-12-30) leaves its $8,000 out
    early = {(r["tin"], r["npi"]): r for r in scorecard(
        care_lake, start=YEAR[0], end=YEAR[1], runout=date(2024, 12, 29),
        by="npi").to_pylist()}
    assert rows[(TIN_A, NPI_A)]["total_paid"] - early[(TIN_A, NPI_A)]["total_paid"] == Decimal(
        "8090.00")


def test_facility_view_in_and_out_of_network(care_lake: Workspace, tmp_path: Path) -> None:
    plist = load_participants(participants_file(tmp_path, f"tin,ccn\n{TIN_A},{CCN_IN}\n"))
    rows = {r["ccn"]: r for r in facility_view(care_lake, start=YEAR[0], end=YEAR[1],
                                              participants=plist).to_pylist()}
    assert rows[CCN_IN]["in_network"] and not rows[CCN_OUT]["in_network"]
    # CCN_IN: FOLLOW_DAY7 $12,000, DIED $30,000, NO_FOLLOW $8,000
    assert rows[CCN_IN]["inpatient_acute_paid"] == Decimal(50000)
    assert rows[CCN_IN]["inpatient_admissions"] == 3 and rows[CCN_IN]["beneficiaries"] == 3
    # CCN_OUT: FOLLOW_DAY8's stay and two ED facility claims
    assert (rows[CCN_OUT]["ed_visits"], rows[CCN_OUT]["ed_visit_paid"]) == (2, Decimal(800))
    assert rows[CCN_OUT]["total_paid"] == Decimal(9800)
    # the ED facility claims (outpatient, type of bill 13x) are Part B (IP v40 5.4)
    assert (rows[CCN_OUT]["part_a_paid"], rows[CCN_OUT]["part_b_paid"]) == (
        Decimal(9000), Decimal(800))


def test_scorecard_period_longer_than_12_months_is_a_clean_error(care_lake: Workspace) -> None:
    with pytest.raises(WarehouseReadError, match="at most 12 months"):
        scorecard(care_lake, start=date(2023, 12, 1), end=date(2024, 12, 31))
    import duckdb as _duckdb

    con = _duckdb.connect()
    try:
        with pytest.raises(WarehouseReadError, match="mart_provider_panel_month"):
            scorecard(con, start=YEAR[0], end=YEAR[1])
    finally:
        con.close()


def test_canonical_scorecards_equal_ad_hoc_and_cli_writes_nothing(care_lake: Workspace,
                                                                  tmp_path: Path) -> None:
    with connect(care_lake) as con:
        canonical = {name: con.sql(f"select * from metric_{name}").to_arrow_table()
                     for name in ("provider_scorecard_tin", "provider_scorecard_npi",
                                  "facility_view")}
        periods = con.execute(
            "select period_id, period_start, period_end from metric_period "
            "where period_kind in ('performance_year_to_date', 'quarter', 'rolling_12')"
        ).fetchall()
        assert {k for (k,) in con.execute(
            "select distinct period_kind from metric_provider_scorecard_tin").fetchall()
        } == set(CANONICAL_KINDS)
        for pid, start, end in periods:
            for name, table in canonical.items():
                assert tuple(table.column_names[:len(PERIOD_COLUMNS)]) == PERIOD_COLUMNS
                part = [{k: v for k, v in r.items() if k not in PERIOD_COLUMNS}
                        for r in table.to_pylist() if r["period_id"] == pid]
                if name == "facility_view":
                    ad_hoc = facility_view(con, start=start, end=end)
                else:
                    ad_hoc = scorecard(con, start=start, end=end, by=name[-3:])  # type: ignore[arg-type]
                # the per-period result's own period_start / period_end are the period columns
                assert set(ad_hoc.column("period_start").to_pylist()) <= {start}
                assert set(ad_hoc.column("period_end").to_pylist()) <= {end}
                expected = ad_hoc.drop_columns(["period_start", "period_end"]).to_pylist()
                assert part == expected, (name, pid)
        ytd = [r for r in canonical["provider_scorecard_tin"].to_pylist()
               if r["period_kind"] == "performance_year_to_date"]
        assert ytd and all(r["leakage_share"] is None for r in ytd)     # no configured list
    plist = participants_file(tmp_path, f"tin\n{TIN_A}\n")
    result = CliRunner().invoke(app, [
        "report", "providers", "--from", "2024-01-01", "--to", "2024-03-31",
        "--participants", str(plist), "--format", "json", "--workspace", str(care_lake.root)])
    assert result.exit_code == 0, result.output
    with connect(care_lake) as con:
        after = con.sql("select * from metric_provider_scorecard_tin").to_arrow_table()
    assert after.to_pylist() == canonical["provider_scorecard_tin"].to_pylist()
    assert scorecard_periods([]) == []


def test_cli_providers_and_facilities(care_lake: Workspace, tmp_path: Path) -> None:
    plist = participants_file(tmp_path, f"tin\n{TIN_A}\n")
    runner = CliRunner()
    result = runner.invoke(app, [
        "report", "providers", "--from", "2024-01-01", "--to", "2024-12-31", "--by", "tin",
        "--participants", str(plist), "--format", "json", "--workspace", str(care_lake.root)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    rows = {r["tin"]: r for r in out["rows"]}
    assert rows[TIN_A]["panel_size"] == 4 and rows[TIN_A]["person_years"] == 4
    assert '"person_years": 4.0000' in result.stdout                 # exact, as a number
    assert any(str(plist) in n for n in out["notes"])
    assert any("attribution of 2024-12" in n for n in out["notes"])
    result = runner.invoke(app, [
        "report", "facilities", "--from", "2024-01-01", "--to", "2024-12-31",
        "--runout", "2025-03-31", "--format", "csv", "--workspace", str(care_lake.root)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ccn,ccn_facility_type,in_network,part_a_paid,part_b_paid")
    assert len(lines) == 3                                            # CCN_IN and CCN_OUT
    table = runner.invoke(app, [
        "report", "providers", "--from", "2024-01-01", "--to", "2024-12-31",
        "--workspace", str(care_lake.root)])
    assert table.exit_code == 0 and "Provider scorecard" in table.stdout
    bad = participants_file(tmp_path, "tin\n12345\n")
    result = runner.invoke(app, [
        "report", "facilities", "--from", "2024-01-01", "--to", "2024-12-31",
        "--participants", str(bad), "--workspace", str(care_lake.root)])
    assert result.exit_code == 1 and "line 2, field tin" in result.output


# --- end to end on a generated ACO ------------------------------------------------------------

def _plurality(visits: list[tuple]) -> dict[str, str]:
    """Independent attribution: per beneficiary, step 1 visits (primary care specialty) if
    any, else all; most visits, then allowed charges, then latest visit, then lowest TIN."""
    per: dict[str, list[tuple]] = defaultdict(list)
    for v in visits:
        per[v[0]].append(v)
    out = {}
    for mbi, vs in per.items():
        step1 = [v for v in vs if v[3]]
        use = step1 or vs
        tins: dict[str, list] = {}
        for _m, _d, tin, _pc, allowed, day in use:
            t = tins.setdefault(tin, [0, Decimal(0), date.min])
            t[0] += 1
            t[1] += allowed
            t[2] = max(t[2], day)
        out[mbi] = min(tins, key=lambda t: (-tins[t][0], -tins[t][1],
                                            -tins[t][2].toordinal(), t))
    return out


def test_scorecard_on_generated_aco_matches_independent_computation(
        synthetic_aco: Workspace) -> None:
    ws = synthetic_aco
    start, end = date(2024, 1, 1), date(2024, 12, 31)
    con = duckdb.connect(str(ws.warehouse_path), read_only=True)
    try:
        visits = con.execute(
            "select mr_mbi, visit_month, tin, is_primary_care_specialty, allowed_amount, "
            "visit_date from mart_care_em_visits where is_primary_care_service "
            "and tin is not null and visit_month between date '2024-01-01' "
            "and date '2024-12-01'").fetchall()
        payments = con.execute(
            "select mr_mbi, claim_family, service_date, service_month, signed_paid_amount "
            "from fct_claim_payment where claim_family <> 'part_d'").fetchall()
        facility_paid = con.execute(
            "select cast(sum(signed_paid_amount) as decimal(18, 2)) from fct_claim_payment "
            "where claim_family = 'part_a' and service_date between ? and ?",
            [start, end]).fetchall()[0][0]
        # a counted person-month, derived independently of fct_member_month.is_counted:
        # enrollment type 1-4, alive, not opted out, not known to be unassigned
        counted = {(m, month) for m, month, etype, alive, opted_out, assigned in con.execute(
            "select mr_mbi, enrollment_month, enrollment_type, alive, opted_out, assigned "
            "from fct_member_month").fetchall()
            if etype is not None and 1 <= etype <= 4 and alive and not opted_out
            and assigned is not False}
        # the generator writes ALR tables 1-2 / 1-4: Q4 2024 decides December for the
        # beneficiaries it lists (checked against the generator in
        # tests/warehouse/test_alr_attribution_e2e.py); the plurality for everyone else
        alr = dict(con.execute(
            "select mr_mbi, alr_tin from int_alr_attribution_month "
            "where attribution_month = date '2024-12-01'").fetchall())
        sources = dict(con.execute(
            "select mr_mbi, attribution_source from mart_provider_attribution_month "
            "where attribution_month = date '2024-12-01'").fetchall())
    finally:
        con.close()
    assert alr and {m for m, s in sources.items() if s == "alr"} == alr.keys()
    expected_tin = {**_plurality(visits), **alr}
    assert attribution(ws, date(2024, 12, 1)).keys() == expected_tin.keys()
    assert {m: a[0] for m, a in attribution(ws, date(2024, 12, 1)).items()} == expected_tin

    paid: dict[str, Decimal] = defaultdict(Decimal)
    for mbi, _fam, service, month, amount in payments:
        if start <= service <= end and (mbi, month) in counted:
            paid[mbi] += amount
    eligible: dict[str, int] = defaultdict(int)
    for mbi, month in counted:
        if start <= month <= end:
            eligible[mbi] += 1
    assert any(m not in counted for m in {(p[0], p[3]) for p in payments}), \
        "the generated ACO should have payments outside counted months"
    panels: dict[str, list[str]] = defaultdict(list)
    for mbi, tin in expected_tin.items():
        panels[tin].append(mbi)
    participant_tins = sorted(panels)[: len(panels) // 2]
    plist_path = ws.root / "participants.csv"
    plist_path.write_text("tin\n" + "\n".join(participant_tins) + "\n")
    rows = {r["tin"]: r for r in scorecard(
        ws, start=start, end=end, by="tin",
        participants=load_participants(plist_path)).to_pylist()}
    assert rows.keys() == panels.keys()
    for tin, members in panels.items():
        r = rows[tin]
        assert r["panel_size"] == len(members)
        assert r["attributed_alr"] == sum(1 for m in members if m in alr)
        assert r["attributed_alr"] + r["attributed_plurality"] == r["panel_size"]
        assert r["total_paid"] == sum((paid[m] for m in members), Decimal(0))
        assert r["counted_months"] == sum(eligible.get(m, 0) for m in members)
        assert r["is_participant"] == (tin in participant_tins)
        assert r["paid_inside_aco"] + r["paid_outside_aco"] == r["total_paid"]

    # the facility view's dollars are all the CCLF1 dollars of the period (with a CCN)
    facilities = facility_view(ws, start=start, end=end).to_pylist()
    assert sum((r["total_paid"] for r in facilities), Decimal(0)) == facility_paid
    assert sum((r["part_a_paid"] + r["part_b_paid"] for r in facilities), Decimal(0)) \
        == facility_paid
    assert sum(r["inpatient_admissions"] for r in facilities) > 0
