"""Care-management lists: edge cases on a hand-made lake, configuration, the CLI, and an
end-to-end run on a generated ACO checked against an independent computation."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pytest
from typer.testing import CliRunner

import aco_pipeline.cli  # noqa: F401  (registers every command)
from aco_pipeline.cli.app import app
from aco_pipeline.config import Workspace
from aco_pipeline.metrics.care import (
    TABLES,
    CareConfig,
    CareConfigError,
    RiskScores,
    compute_list,
    discharges_without_followup,
    frequent_ed,
    list_period,
    load_care_config,
    months_before,
    rising_risk,
    risk_scores,
    top_spenders,
    window,
)
from aco_pipeline.metrics.periods import PERIOD_COLUMNS, MetricPeriod
from aco_pipeline.warehouse.read import WarehouseReadError, connect

from .care_fixtures import (
    AS_OF,
    DIED,
    ED_FOUR,
    ED_THREE,
    FOLLOW_DAY7,
    FOLLOW_DAY8,
    NO_FOLLOW,
    RISING,
    TIN_A,
    name_of,
)

WIDE = CareConfig(discharge_lookback_days=90)


@pytest.fixture()
def lake(care_lake: Workspace) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the hand-made lake's published warehouse."""
    with connect(care_lake) as con:
        yield con


# --- dates and configuration ------------------------------------------------------------------

def test_windows() -> None:
    assert window(date(2024, 12, 31), 12) == (date(2024, 1, 1), date(2024, 12, 31))
    assert window(date(2024, 12, 31), 6) == (date(2024, 7, 1), date(2024, 12, 31))
    assert window(date(2024, 12, 31), 6, ending_months_before=6) == (
        date(2024, 1, 1), date(2024, 6, 30))
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert window(date(2025, 2, 28), 12) == (date(2024, 2, 29), date(2025, 2, 28))


def test_config_defaults_file_and_overrides(tmp_path) -> None:
    from aco_pipeline.config import init_workspace

    ws = init_workspace(tmp_path / "ws", aco_id="A9999", performance_year=2024)
    assert load_care_config(ws) == CareConfig()
    with ws.config_path.open("a") as fh:
        fh.write("\n[care]\ntop_percent = 2.5\ned_visits = 6\n")
    cfg = load_care_config(ws)
    assert (cfg.top_n, cfg.top_percent, cfg.ed_visits) == (None, Decimal("2.5"), 6)
    assert cfg.with_overrides(top_n=10).top_percent is None
    with ws.config_path.open("a") as fh:
        fh.write("followup_dayz = 3\n")
    with pytest.raises(CareConfigError, match="followup_dayz"):
        load_care_config(ws)
    with pytest.raises(CareConfigError, match="followup_days_extended"):
        CareConfig().with_overrides(followup_days=20)


# --- the hand-made lake -----------------------------------------------------------------------

def test_frequent_ed_exactly_four_visit_days(lake: duckdb.DuckDBPyConnection) -> None:
    rows = {r["mr_mbi"]: r for r in frequent_ed(
        lake, as_of=AS_OF, config=CareConfig()).to_pylist()}
    # ED_FOUR: 4 ED days (5 ED claims: one day has the facility claim and the professional
    # line); the visit of 2023-12-31 is outside the 12 months. ED_THREE: 3 days.
    assert set(rows) == {ED_FOUR}
    r = rows[ED_FOUR]
    assert (r["ed_visit_days"], r["ed_claims"], r["ed_visits_threshold"]) == (4, 5, 4)
    assert (r["first_ed_date"], r["last_ed_date"]) == (date(2024, 2, 3), date(2024, 10, 10))
    assert r["ed_paid"] == Decimal("1250.00")
    # the name and attributed provider beside the MBI: ED visits are not primary care
    # services, so ED_FOUR is in no panel
    assert (r["beneficiary_name"], r["attributed_tin"]) == (name_of(ED_FOUR), None)
    lower = frequent_ed(lake, as_of=AS_OF, config=CareConfig(ed_visits=3))
    assert set(lower.column("mr_mbi").to_pylist()) == {ED_FOUR, ED_THREE}
    # as of 2024-10-15 the October facility claim is not loaded (nor in the window) but the
    # visit of 2023-12-31 is in the 12 months: again 4 days, other dates
    early = frequent_ed(lake, as_of=date(2024, 10, 15), config=CareConfig()).to_pylist()
    assert [(r["ed_visit_days"], r["first_ed_date"], r["last_ed_date"]) for r in early] == [
        (4, date(2023, 12, 31), date(2024, 8, 9))]
    assert frequent_ed(lake, as_of=date(2024, 10, 9), config=CareConfig()).num_rows == 1
    assert frequent_ed(lake, as_of=date(2025, 1, 1), config=CareConfig()).num_rows == 1
    assert frequent_ed(lake, as_of=date(2025, 2, 4), config=CareConfig()).num_rows == 0


def test_followup_on_day_7_counts_day_8_does_not(lake: duckdb.DuckDBPyConnection) -> None:
    rows = {r["mr_mbi"]: r for r in discharges_without_followup(
        lake, as_of=AS_OF, config=WIDE).to_pylist()}
    assert FOLLOW_DAY7 not in rows            # office visit on day 7
    assert DIED not in rows                   # discharge status 20 (expired)
    day8 = rows[FOLLOW_DAY8]
    assert (day8["days_to_followup"], day8["next_followup_date"]) == (8, date(2024, 11, 9))
    assert day8["followup_within_extended_days"] and day8["window_closed"]
    assert day8["discharge_date"] == date(2024, 11, 1) and day8["paid_amount"] == Decimal(9000)
    # labels beside codes, the name and attributed provider beside the MBI
    assert (day8["discharge_status_cd"], day8["discharge_status"]) == (
        "01", "Discharged to home or self care (routine discharge)")
    assert (day8["beneficiary_name"], day8["attributed_tin"]) == (name_of(FOLLOW_DAY8), TIN_A)
    none = rows[NO_FOLLOW]                    # only a visit on the discharge day itself
    assert none["next_followup_date"] is None and none["days_to_followup"] is None
    assert not none["followup_within_extended_days"]
    assert set(rows) == {FOLLOW_DAY8, NO_FOLLOW}
    # with an 8-day window day 8 is a follow-up
    wider = discharges_without_followup(lake, as_of=AS_OF,
                                        config=WIDE.with_overrides(followup_days=8))
    assert set(wider.column("mr_mbi").to_pylist()) == {NO_FOLLOW}
    # as of day 5 after discharge the visit of day 7 is not known yet: listed, window open
    early = {r["mr_mbi"]: r for r in discharges_without_followup(
        lake, as_of=date(2024, 11, 12), config=WIDE).to_pylist()}
    assert FOLLOW_DAY7 in early and early[FOLLOW_DAY7]["next_followup_date"] is None


def test_top_spenders_n_percent_and_dead_left_out(lake: duckdb.DuckDBPyConnection) -> None:
    table = top_spenders(lake, as_of=AS_OF, config=CareConfig(top_n=2))
    rows = table.to_pylist()
    assert [r["mr_mbi"] for r in rows] == [FOLLOW_DAY7, FOLLOW_DAY8]
    assert rows[0]["total_paid"] == Decimal("12110.00")
    # Part A: the inpatient stay; Part B: the office visit (IP v40 5.4)
    assert (rows[0]["part_a_paid"], rows[0]["part_b_paid"]) == (Decimal(12000), Decimal(110))
    assert rows[0]["beneficiary_name"] == name_of(FOLLOW_DAY7)
    assert rows[0]["inpatient_admissions"] == 1 and rows[1]["threshold_paid"] == Decimal(9110)
    everyone = top_spenders(lake, as_of=AS_OF, config=CareConfig(top_n=100))
    assert DIED not in everyone.column("mr_mbi").to_pylist()    # died 2024-11-25
    n = everyone.num_rows
    pct = top_spenders(lake, as_of=AS_OF,
                       config=CareConfig(top_n=None, top_percent=Decimal(25)))
    assert pct.num_rows == -(-n // 4)                           # ceil(25% of n)


def test_rising_risk_spend_trend(lake: duckdb.DuckDBPyConnection) -> None:
    rows = {r["mr_mbi"]: r for r in rising_risk(
        lake, as_of=AS_OF, config=CareConfig()).to_pylist()}
    r = rows[RISING]
    assert (r["prior_paid"], r["recent_paid"]) == (Decimal(100), Decimal(1000))
    assert r["spend_increase_annualised"] == Decimal(1800)
    assert r["spend_increase_percent"] == Decimal("900.00")
    assert r["risk_score_recent"] is None and r["risk_score_source"] == "unavailable"
    assert ED_THREE not in rows                     # all its spend is in the first half
    high = rising_risk(lake, as_of=AS_OF,
                       config=CareConfig(rising_risk_min_increase=Decimal(5000)))
    assert RISING not in high.column("mr_mbi").to_pylist()


def test_canonical_lists_equal_ad_hoc_and_cli_writes_nothing(care_lake: Workspace) -> None:
    with connect(care_lake) as con:
        periods = [MetricPeriod(*r) for r in con.execute(
            "select period_start, period_end, period_kind, period_id, as_of_date "
            "from metric_period").fetchall()]
        period = list_period(periods)
        assert period is not None and period.period_kind == "performance_year_to_date"
        canonical = {w: con.sql(f"select * from metric_{t}").to_arrow_table()
                     for w, t in TABLES.items()}
        for which, table in canonical.items():
            # keyed by the period columns, as of the data's as-of date (newest IDR load)
            assert tuple(table.column_names[:len(PERIOD_COLUMNS)]) == PERIOD_COLUMNS
            assert set(table.column("period_id").to_pylist()) <= {period.period_id}
            ad_hoc = compute_list(con, which, as_of=period.as_of_date,  # type: ignore[arg-type]
                                  config=CareConfig(),
                                  scores=risk_scores(con, care_lake, as_of=period.as_of_date))
            got = table.drop_columns(list(PERIOD_COLUMNS))
            assert got.to_pylist() == ad_hoc.to_pylist(), which
        assert canonical["discharges"].num_rows == 2
        assert set(canonical["frequent-ed"].column("as_of").to_pylist()) == {
            period.as_of_date}
    before = canonical["top-spenders"].to_pylist()
    result = CliRunner().invoke(app, [
        "report", "care", "--list", "top-spenders", "--as-of", "2024-06-30", "--top", "1",
        "--format", "json", "--workspace", str(care_lake.root)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["rows"]) == 1
    with connect(care_lake) as con:
        after = con.sql("select * from metric_care_top_spenders").to_arrow_table()
    assert after.to_pylist() == before


def test_missing_mart_is_one_clean_error() -> None:
    con = duckdb.connect()
    try:
        with pytest.raises(WarehouseReadError, match=r"mart_care_payment.*aco build"):
            top_spenders(con, as_of=AS_OF, config=CareConfig())
    finally:
        con.close()
    assert RiskScores().source == "unavailable"


def test_cli_care_lists(care_lake: Workspace) -> None:
    runner = CliRunner()
    result = runner.invoke(app, [
        "report", "care", "--list", "discharges", "--as-of", "2024-12-31",
        "--lookback-days", "90", "--format", "json", "--workspace", str(care_lake.root)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    rows = out["rows"]
    assert {r["mr_mbi"] for r in rows} == {FOLLOW_DAY8, NO_FOLLOW}
    # money is a JSON number, exact
    assert {r["paid_amount"] for r in rows} == {9000, 8000}
    assert '"paid_amount": 9000.00' in result.stdout
    assert {r["beneficiary_name"] for r in rows} == {name_of(FOLLOW_DAY8), name_of(NO_FOLLOW)}
    assert any("as of 2024-12-31" in n for n in out["notes"])
    result = runner.invoke(app, [
        "report", "care", "--list", "top-spenders", "--as-of", "2024-12-31", "--top", "1",
        "--format", "csv", "--workspace", str(care_lake.root)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("rank,mr_mbi,beneficiary_name,attributed_tin") and len(lines) == 2
    table = runner.invoke(app, [
        "report", "care", "--list", "frequent-ed", "--as-of", "2024-12-31",
        "--workspace", str(care_lake.root)])
    assert table.exit_code == 0 and "Frequent ED" in table.stdout     # the terminal table
    bad = runner.invoke(app, [
        "report", "care", "--list", "top-spenders", "--as-of", "2024-12-31", "--top", "0",
        "--workspace", str(care_lake.root)])
    assert bad.exit_code == 1 and "top_n" in bad.output


# --- end to end on a generated ACO ------------------------------------------------------------

def test_lists_on_generated_aco_match_independent_computation(synthetic_aco: Workspace) -> None:
    ws = synthetic_aco
    as_of = date(2024, 12, 31)
    start = date(2024, 1, 1)
    with connect(ws) as con:
        dead = {m for m, d in con.execute(
            "select mr_mbi, death_date from dim_beneficiary").fetchall()
            if d is not None and d <= as_of}
        names = dict(con.execute("select mr_mbi, last_name || ', ' || first_name "
                                 "from dim_beneficiary").fetchall())
        spend: dict[str, Decimal] = defaultdict(Decimal)
        for mbi, family, service, loaded, amount in con.execute(
                "select mr_mbi, claim_family, service_date, clm_idr_ld_dt, signed_paid_amount "
                "from fct_claim_payment").fetchall():
            if family != "part_d" and start <= service <= as_of and loaded <= as_of:
                spend[mbi] += amount
        ed_days: dict[str, set[date]] = defaultdict(set)
        for mbi, visit, loaded in con.execute(
                "select mr_mbi, visit_date, clm_idr_ld_dt from mart_service_category_payment "
                "where service_category = 'ed_visit' and visit_key is not null").fetchall():
            if start <= visit <= as_of and loaded <= as_of:
                ed_days[mbi].add(visit)
        stays = con.execute(
            "select mr_mbi, version_key, discharge_date, admission_date, clm_idr_ld_dt, "
            "is_live_discharge from mart_care_inpatient_discharges").fetchall()
        visits = con.execute(
            "select mr_mbi, visit_date, first_loaded_date from mart_care_em_visits "
            "where is_followup_visit").fetchall()

        ranked = sorted(((-v, m) for m, v in spend.items() if v > 0 and m not in dead))
        expected_top = [m for _, m in ranked[:25]]
        got = top_spenders(con, as_of=as_of, config=CareConfig(top_n=25)).to_pylist()
        got_ed = frequent_ed(con, as_of=as_of, config=CareConfig()).to_pylist()
        lookback = 120
        cfg = CareConfig(discharge_lookback_days=lookback)
        got_dis = discharges_without_followup(con, as_of=as_of, config=cfg)
    assert [r["mr_mbi"] for r in got] == expected_top
    assert [r["total_paid"] for r in got] == [spend[m] for m in expected_top]
    assert all(r["beneficiary_name"] == names[r["mr_mbi"]] and r["beneficiary_name"]
               for r in got)

    expected_ed = {m for m, days in ed_days.items() if len(days) >= 4 and m not in dead}
    assert expected_ed and {r["mr_mbi"] for r in got_ed} == expected_ed
    assert all(r["ed_visit_days"] == len(ed_days[r["mr_mbi"]]) for r in got_ed)

    known = [s for s in stays if s[4] <= as_of]
    expected_dis = set()
    for mbi, key, discharge, _admit, _loaded, live in known:
        if not live or mbi in dead:
            continue
        if not as_of - timedelta(days=lookback - 1) <= discharge <= as_of:
            continue
        if any(m == mbi and k != key and discharge <= a <= discharge + timedelta(days=1)
               and a != _admit for m, k, _d, a, _l, _v in known):
            continue
        if any(m == mbi and discharge < v <= min(as_of, discharge + timedelta(days=7))
               and f <= as_of for m, v, f in visits):
            continue
        expected_dis.add(key)
    keys = {s[1]: s for s in stays}
    assert expected_dis
    assert {(r["mr_mbi"], r["discharge_date"]) for r in got_dis.to_pylist()} == {
        (keys[k][0], keys[k][2]) for k in expected_dis}


def test_rising_risk_with_risk_scores_on_generated_aco(synthetic_aco: Workspace) -> None:
    risk = pytest.importorskip("aco_pipeline.metrics.risk")
    as_of = date(2024, 12, 31)
    with connect(synthetic_aco) as con:
        scores = risk_scores(con, synthetic_aco, as_of=as_of)
        table = rising_risk(con, as_of=as_of, config=CareConfig(rising_risk_top_n=10),
                            scores=scores)
    rows = table.to_pylist()
    assert rows and {r["risk_score_source"] for r in rows} == {"cms_hcc"}
    assert scores.recent and scores.prior
    for r in rows:
        assert r["risk_score_recent"] == scores.recent.get(r["mr_mbi"])
        if r["risk_score_recent"] is not None and r["risk_score_prior"] is not None:
            assert r["risk_score_change"] == r["risk_score_recent"] - r["risk_score_prior"]
    changes = [r["risk_score_change"] or Decimal(0) for r in rows]
    assert changes == sorted(changes, reverse=True)
    assert hasattr(risk, "beneficiary_scores")
