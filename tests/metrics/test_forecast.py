"""The in-year shared-savings forecast (metrics.forecast, `aco forecast`)."""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import app
from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.metrics.canonical import data_periods
from aco_pipeline.metrics.expenditure import EnrollmentType as T
from aco_pipeline.metrics.expenditure import TypeExpenditure
from aco_pipeline.metrics.expenditure_report import (
    ExpenditureParameters,
    Method,
    Period,
    load_parameters,
)
from aco_pipeline.metrics.expenditure_report import (
    compute as expenditure_compute,
)
from aco_pipeline.metrics.forecast import (
    BenchmarkConfig,
    CategoryAmount,
    ForecastConfigError,
    ForecastContext,
    ForecastDataError,
    ForecastOptions,
    beneficiary_units,
    bootstrap,
    canonical,
    check_categories,
    load_benchmark,
    parse_benchmark,
    per_capita_from_units,
    percentile,
    project,
    scenarios,
    tables,
    ytd_period,
)
from aco_pipeline.metrics.forecast import compute as forecast_compute
from aco_pipeline.metrics.periods import PERIOD_COLUMNS
from aco_pipeline.metrics.shared_savings import SettlementInputs, Track, settle
from aco_pipeline.warehouse.read import connect
from tests.synthetic_aco import BuiltAco

CF = D("1.1")
THRESHOLDS = {T.ESRD: D("90000"), T.DISABLED: D("30000"), T.AGED_DUAL: D("30000"),
              T.AGED_NON_DUAL: D("30000")}
FACTORS = {T.ESRD: D("0.02"), T.DISABLED: D("0.03"), T.AGED_DUAL: D("0.01"),
           T.AGED_NON_DUAL: D("0.05")}
BENCHMARK = {T.ESRD: D("95000"), T.DISABLED: D("14000"), T.AGED_DUAL: D("19000"),
             T.AGED_NON_DUAL: D("12000")}


def row(bene: str, t: T, months: int, paid: str, ime: str = "0", ncbp: str = "0"
        ) -> TypeExpenditure:
    return TypeExpenditure(bene, t, months, D(paid), ime=D(ime), ncbp=D(ncbp))


# Six beneficiaries over a six-month YTD; B1 is truncated (30000 x 12 / 6 is far over 30000),
# B2 changes type mid-period.
ROWS = [
    row("B1", T.AGED_NON_DUAL, 6, "40000.00", ime="1500.00"),
    row("B2", T.AGED_NON_DUAL, 2, "800.00"),
    row("B2", T.DISABLED, 4, "2100.50", ncbp="12.25"),
    row("B3", T.ESRD, 6, "31000.00", ime="900.00"),
    row("B4", T.AGED_DUAL, 6, "5300.10"),
    row("B5", T.AGED_NON_DUAL, 5, "2450.75"),
    row("B6", T.AGED_NON_DUAL, 6, "-120.00"),
]
# service categories of the same rows (they add up to paid + IME per beneficiary-type)
AMOUNTS = [
    CategoryAmount("B1", T.AGED_NON_DUAL, "inpatient", D("38000.00"), ime=D("1500.00")),
    CategoryAmount("B1", T.AGED_NON_DUAL, "office", D("2000.00")),
    CategoryAmount("B2", T.AGED_NON_DUAL, "office", D("800.00")),
    CategoryAmount("B2", T.DISABLED, "office", D("600.50")),
    CategoryAmount("B2", T.DISABLED, "outpatient", D("1500.00")),
    CategoryAmount("B3", T.ESRD, "inpatient", D("25000.00"), ime=D("900.00")),
    CategoryAmount("B3", T.ESRD, "outpatient", D("6000.00")),
    CategoryAmount("B4", T.AGED_DUAL, "outpatient", D("5300.10")),
    CategoryAmount("B5", T.AGED_NON_DUAL, "office", D("2450.75")),
    CategoryAmount("B6", T.AGED_NON_DUAL, "office", D("-120.00")),
]


def bmk(track: Track = Track.BASIC_E, msr: D | None = None, met: bool = True,
        score: D | None = None) -> BenchmarkConfig:
    return BenchmarkConfig(BENCHMARK, track, msr, met, score, None)


def ctx(method: Method = Method.thresholds, benchmark: BenchmarkConfig | None = None,
        n: int = 6000) -> ForecastContext:
    params = ExpenditureParameters(method, CF, THRESHOLDS, FACTORS)
    return ForecastContext("A9999", 2024, 6, n, params, benchmark or bmk())


def fr(value: D) -> Fraction:
    return Fraction(value)


def independent(rows: list[TypeExpenditure], method: Method) -> tuple[Fraction, Fraction]:
    """(expenditure, benchmark) per capita by exact rational arithmetic, straight from the
    guide's steps: paid / 0.98 - IME + NCBP; truncation; completion; per person-year."""
    amount = {t: Fraction(0) for t in T}
    months = {t: 0 for t in T}
    for r in rows:
        total = fr(r.paid) / Fraction(98, 100) - fr(r.ime) - fr(r.dsh) - fr(r.ucc) + fr(r.ncbp)
        if method is Method.thresholds:
            cap = fr(THRESHOLDS[r.enrollment_type]) * r.months / 12
            total = min(total, cap)
        amount[r.enrollment_type] += total
        months[r.enrollment_type] += r.months
    completed = sum((amount[t] * (1 - fr(FACTORS[t])) if method is Method.factors
                     else amount[t]) * fr(CF) for t in T)
    total_months = sum(months.values())
    e = completed / Fraction(total_months, 12)
    b = sum(fr(BENCHMARK[t]) * months[t] for t in T) / total_months
    return e, b


def close(a: D, b: Fraction, tol: Fraction = Fraction(1, 10**15)) -> bool:
    return abs(fr(a) - b) < tol


@pytest.mark.parametrize("method", list(Method))
def test_projection_matches_an_independent_computation(method: Method) -> None:
    c = ctx(method)
    p = project(ROWS, c)
    e, b = independent(ROWS, method)
    assert close(p.expenditure_per_capita, e) and close(p.benchmark_per_capita, b)
    assert [t.enrollment_type for t in p.types] == [*(t.value for t in T), "TOTAL"]
    total = p.types[-1]
    assert close(total.ytd_person_years, Fraction(6 + 2 + 4 + 6 + 6 + 5 + 6, 12))
    # six YTD months extrapolated to twelve; the weights are the YTD mix
    assert total.projected_person_years == total.ytd_person_years * 2
    aged = p.types[3]
    assert aged.weight == aged.ytd_person_years / total.ytd_person_years
    if method is Method.thresholds:
        # B1 is truncated to 30000 x 6 / 12; nothing else is
        b1 = fr(D("40000")) / Fraction(98, 100) - 1500
        assert close(total.truncation, b1 - 15000)
    # totals = per capita x N, and the settlement is the engine's
    s = settle(SettlementInputs("A9999", 2024, Track.BASIC_E, 6000,
                                p.benchmark_per_capita * 6000, p.expenditure_per_capita * 6000))
    assert p.settlement.earned == s.earned and p.settlement.msr == s.msr
    assert close(p.settlement.savings, (b - e) * 6000, Fraction(1, 10**9))
    assert p.passes_msr == (s.savings > 0 and s.savings_rate >= s.msr)


def test_savings_pass_the_msr_and_are_shared() -> None:
    p = project(ROWS, ctx())
    # these figures save a lot: the savings rate passes a 2% election and is shared at 50%
    # up to the 10% performance payment limit, less 2% sequestration
    s = p.settlement
    assert p.passes_msr and s.generated == s.savings > 0
    assert s.earned == min(s.savings * D("0.5"), p.benchmark_total * D("0.10")) * D("0.98")


def test_integer_units_reproduce_the_decimal_projection() -> None:
    for method in Method:
        c = ctx(method)
        benes, matrix = beneficiary_units(ROWS, c.expenditure)
        assert benes == ["B1", "B2", "B3", "B4", "B5", "B6"]
        assert str(matrix.dtype) == "int64"
        pcs = per_capita_from_units([int(x) for x in matrix.sum(axis=0)], c)
        assert pcs is not None
        e, b = independent(ROWS, method)
        assert close(pcs[0], e) and close(pcs[1], b)


def test_bootstrap_is_deterministic_for_a_seed_and_contains_the_point() -> None:
    c = ctx()
    point = project(ROWS, c)
    one = bootstrap(ROWS, c, samples=400, seed=11)
    again = bootstrap(ROWS, c, samples=400, seed=11)
    other = bootstrap(ROWS, c, samples=400, seed=12)
    assert one == again
    assert one.expenditure_per_capita != other.expenditure_per_capita
    assert len(one.expenditure_per_capita) == 400
    lo, hi = (percentile(one.expenditure_per_capita, D(p)) for p in ("0.05", "0.95"))
    assert lo <= point.expenditure_per_capita <= hi and lo < hi
    elo, ehi = (percentile(one.earned, D(p)) for p in ("0.05", "0.95"))
    assert elo <= point.settlement.earned <= ehi
    wins = sum(1 for x in one.earned if x > 0)
    assert one.probability_earning_savings == D(wins) / 400
    # each sample is settled by the engine
    assert all(isinstance(x, D) for x in one.savings)


def test_percentile_interpolates_exactly() -> None:
    values = [D(x) for x in ("1", "2", "4", "8", "16")]
    assert percentile(values, D("0.5")) == D("4")
    assert percentile(values, D("0.05")) == D("1.2")
    assert percentile(values, D("0.95")) == D("14.4")
    assert percentile(values, D("1")) == D("16")


@pytest.mark.parametrize("method", list(Method))
def test_one_percent_less_in_a_category(method: Method) -> None:
    c = ctx(method)
    out = {s.name: s for s in scenarios(ROWS, AMOUNTS, c)}
    base = out["base"].projection
    assert set(out) == {"base", "quality_met", "quality_not_met",
                        *(f"category_less_1pct:{k}" for k in ("inpatient", "office",
                                                              "outpatient"))}
    py = fr(base.types[-1].ytd_person_years)
    # outpatient: no beneficiary with outpatient spending is truncated, so the completed
    # amount falls by exactly 1% of the category's completed amount
    completed = Fraction(0)
    for a in AMOUNTS:
        if a.category == "outpatient":
            pre = fr(a.paid) / Fraction(98, 100) - fr(a.ime)
            keep = 1 - fr(FACTORS[a.enrollment_type]) if method is Method.factors else 1
            completed += pre * keep * fr(CF)
    drop = fr(base.expenditure_per_capita) - fr(
        out["category_less_1pct:outpatient"].projection.expenditure_per_capita)
    assert abs(drop * py - completed / 100) < Fraction(1, 10**15)
    assert out["category_less_1pct:outpatient"].projection.settlement.savings > \
        base.settlement.savings
    inpatient = out["category_less_1pct:inpatient"].projection
    if method is Method.thresholds:
        # B1 stays above the threshold after 1% less inpatient spending: only B3 saves
        b3 = (fr(D("25000")) / Fraction(98, 100) - 900) * fr(CF) / 100
        got = (fr(base.expenditure_per_capita) - fr(inpatient.expenditure_per_capita)) * py
        assert abs(got - b3) < Fraction(1, 10**15)


def test_quality_what_if_is_the_engines() -> None:
    for track, met in ((Track.BASIC_E, True), (Track.ENHANCED, False)):
        c = ctx(benchmark=bmk(track, D("0.02"), met, D("80")))
        out = {s.name: s.projection for s in scenarios(ROWS, AMOUNTS, c)}
        base = out["base"]
        for name, flag in (("quality_met", True), ("quality_not_met", False)):
            expected = settle(SettlementInputs(
                "A9999", 2024, track, 6000, base.benchmark_per_capita * 6000,
                base.expenditure_per_capita * 6000, quality_score=D("80"), met_qps=flag,
                elected_msr=D("0.02")))
            assert out[name].settlement.earned == expected.earned
            assert out[name].settlement.share_rate == expected.share_rate
        assert out["quality_met"].settlement.earned > 0
        assert out["quality_not_met"].settlement.earned == 0
        assert base.settlement.earned == out["quality_met" if met else "quality_not_met"
                                             ].settlement.earned
    # a loss under ENHANCED: missing the standard raises the loss rate to the 75% ceiling
    high = {t: v * D("0.75") for t, v in BENCHMARK.items()}
    c = ForecastContext("A9999", 2024, 6, 6000, ctx().expenditure,
                        BenchmarkConfig(high, Track.ENHANCED, D("0.02"), True, D("80")))
    out = {s.name: s.projection for s in scenarios(ROWS, AMOUNTS, c)}
    assert out["quality_met"].settlement.loss_rate == D("0.40")
    assert out["quality_not_met"].settlement.loss_rate == D("0.75")
    assert out["quality_not_met"].settlement.earned < out["quality_met"].settlement.earned < 0


def test_categories_must_add_up() -> None:
    check_categories(ROWS, AMOUNTS)
    with pytest.raises(ForecastDataError, match=r"do not add up .* 1 beneficiary-type"):
        check_categories(ROWS, AMOUNTS[1:])
    extra = [*AMOUNTS, CategoryAmount("B9", T.ESRD, "office", D("1.00"))]
    with pytest.raises(ForecastDataError, match="1 beneficiary-type"):
        check_categories(ROWS, extra)


def test_ytd_period() -> None:
    assert ytd_period(2024, date(2024, 7, 15)) == Period(date(2024, 1, 1), date(2024, 6, 30))
    assert ytd_period(2024, date(2024, 7, 1)) == Period(date(2024, 1, 1), date(2024, 6, 30))
    assert ytd_period(2024, date(2024, 7, 31), 2) == Period(date(2024, 1, 1), date(2024, 4, 30))
    assert ytd_period(2024, date(2025, 3, 1)) == Period(date(2024, 1, 1), date(2024, 12, 31))
    assert ytd_period(2024, date(2025, 1, 2), 1) == Period(date(2024, 1, 1),
                                                           date(2024, 11, 30))
    with pytest.raises(ForecastDataError, match="no complete service month of PY2024"):
        ytd_period(2024, date(2024, 1, 31))


GOOD = {"track": "E", "msr": "variable", "quality_met": True,
        "per_capita": {"esrd": "95000", "disabled": "14000", "aged_dual": "19000",
                       "aged_non_dual": "12000"}}


@pytest.mark.parametrize(("change", "message"), [
    ({"per_capita": None}, r"per_capita missing: .*aco\.toml \[benchmark\]"),
    ({"per_capita": {"esrd": "1", "disabled": "1", "aged_dual": "1"}},
     r"per_capita\.aged_non_dual missing: set it in aco\.toml \[benchmark\]"),
    ({"per_capita": {**GOOD["per_capita"], "aged_nondual": "1"}},
     r"per_capita\.aged_nondual in aco\.toml \[benchmark\]: unknown enrollment type"),
    ({"per_capita": {**GOOD["per_capita"], "esrd": "x"}},
     r"per_capita\.esrd in aco\.toml \[benchmark\] is not a number"),
    ({"track": "F"}, r"track in aco\.toml \[benchmark\]: unknown track 'F'"),
    ({"track": "3"}, r"unknown track '3'"),
    ({"track": None}, r"track missing: .* in aco\.toml \[benchmark\]"),
    ({"msr": None}, r"msr missing: .* in aco\.toml \[benchmark\]"),
    ({"msr": "0.03"}, r"msr in aco\.toml \[benchmark\] must be"),
    ({"quality_met": None}, r"quality_met missing: .* in aco\.toml \[benchmark\]"),
    ({"assigned_beneficiaries": 0}, r"assigned_beneficiaries in aco\.toml \[benchmark\]"),
    ({"benchmark": 1}, r"benchmark in aco\.toml \[benchmark\]: unknown key"),
])
def test_benchmark_config_errors(change: dict[str, object], message: str) -> None:
    section = {**GOOD, **change}
    section = {k: v for k, v in section.items() if v is not None}
    with pytest.raises(ForecastConfigError, match=message):
        parse_benchmark(section)


def test_benchmark_config_is_read_exactly() -> None:
    got = parse_benchmark({**GOOD, "track": "en", "msr": "0.02", "quality_score": 91.5,
                           "assigned_beneficiaries": 12000})
    assert got.track is Track.ENHANCED and got.elected_msr == D("0.02")
    assert got.quality_score == D("91.5") and got.assigned_beneficiaries == 12000
    assert got.per_capita[T.AGED_NON_DUAL] == D("12000")
    one_sided = parse_benchmark({k: v for k, v in GOOD.items() if k != "msr"} | {"track": "A"})
    assert one_sided.track is Track.BASIC_A and one_sided.elected_msr is None


# --- the synthetic ACO, end to end --------------------------------------------------------------

AS_OF = "2025-02-15"
EXPENDITURE_TOML = """
[expenditure]
method = "thresholds"
completion_factor = "1.05"

[expenditure.truncation_thresholds]
esrd = "100000"
disabled = "50000"
aged_dual = "50000"
aged_non_dual = "50000"
"""
BENCHMARK_TOML = """
[benchmark]
track = "E"
msr = "variable"
quality_met = true

[benchmark.per_capita]
esrd = "90000"
disabled = "14000"
aged_dual = "16000"
aged_non_dual = "11000"
"""


def copy_workspace(aco: BuiltAco, tmp_path: Path, config: str) -> Workspace:
    """A workspace of its own over a copy of the built warehouse (the fixture stays as is)."""
    ws = init_workspace(tmp_path / "ws", aco_id=aco.ws.aco_id, performance_year=2024)
    ws.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(aco.ws.warehouse_path, ws.warehouse_path)
    with ws.config_path.open("a", encoding="utf-8") as fh:
        fh.write(config)
    return ws


def _json(res: object) -> dict:
    return json.loads(res.stdout, parse_float=D)  # type: ignore[attr-defined]


def test_forecast_end_to_end(built_aco: BuiltAco, tmp_path: Path) -> None:
    if built_aco.ws.engine == "spark":
        pytest.skip("the CLI test copies the DuckDB warehouse file")
    runner = CliRunner()
    ws = copy_workspace(built_aco, tmp_path, EXPENDITURE_TOML)
    args = ["forecast", "-w", str(ws.root), "--as-of", AS_OF, "--samples", "200",
            "--seed", "3"]

    res = runner.invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 1
    assert "no benchmark figures" in res.output
    assert "aco.toml [benchmark]" in " ".join(res.output.split())

    with ws.config_path.open("a", encoding="utf-8") as fh:
        fh.write(BENCHMARK_TOML)
    res = runner.invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    data = _json(res)
    notes = " ".join(data["notes"])
    assert "year to date 2024-01-01 to 2024-12-31" in notes
    assert f"claims loaded by {AS_OF}" in notes and "200 samples, seed 3" in notes

    # expenditure per capita = the expenditure report's Table 10 total per person-year for
    # the same period and run-out
    with connect(ws) as con:
        report = expenditure_compute(con, period=Period(date(2024, 1, 1), date(2024, 12, 31)),
                                     runout=date.fromisoformat(AS_OF),
                                     parameters=load_parameters(ws))
    per_py = {r.ref: r.values for r in report.table}["18"]["TOTAL"]
    assert per_py is not None
    forecast = {r["enrollment_type"]: r for r in data["rows"]}
    assert list(forecast) == [*(t.value for t in T), "TOTAL"]
    total = forecast["TOTAL"]
    assert total["expenditure_per_capita"] == per_py.quantize(D("0.01"))

    # N = the beneficiaries of the PY's latest ALR (Q4 2024), as current MBIs
    with connect(ws) as con:
        listed = con.execute(
            "select a.bene_mbi_id, x.current_mbi from stg_alr_1_1 as a "
            "left join int_mbi_crosswalk as x on a.bene_mbi_id = x.previous_mbi "
            "where a.period_end_month = date '2024-12-01'").fetchall()
    n = len({cur or mbi for mbi, cur in listed})
    assert n > 0 and total["assigned_beneficiaries"] == n
    assert f"assigned beneficiaries {n} (from ALR table 1-1 for the period ending 2024-12" in notes
    b, e = total["benchmark_per_capita"], total["expenditure_per_capita"]
    weights = sum(D(forecast[t.value]["ytd_person_years"]) * D(x) for t, x in zip(
        T, ("90000", "14000", "16000", "11000"), strict=True))
    assert abs(b - weights / D(total["ytd_person_years"])) <= D("0.005")
    expected = settle(SettlementInputs(ws.aco_id, 2024, Track.BASIC_E, n, b * n, e * n))
    assert abs(total["earned"] - expected.earned) < D(n)  # per capita printed to the cent
    assert total["passes_msr"] == (expected.savings > 0
                                   and expected.savings_rate >= expected.msr)

    res = runner.invoke(app, [*args, "--format", "json", "--view", "scenarios"])
    assert res.exit_code == 0, res.output
    scen = {r["scenario"]: r for r in _json(res)["rows"]}
    with connect(ws) as con:
        categories = {c for (c,) in con.execute(
            "select distinct service_category from mart_expenditure_payment "
            "where service_date between '2024-01-01' and '2024-12-31' and clm_idr_ld_dt <= ?",
            [date.fromisoformat(AS_OF)]).fetchall()}
    assert {k.split(":", 1)[1] for k in scen if k.startswith("category_")} <= categories
    assert len(scen) > 3
    for name, r in scen.items():
        if name.startswith("category_"):
            assert r["expenditure_per_capita"] <= e
    assert scen["quality_not_met"]["earned"] <= 0

    res = runner.invoke(app, [*args, "--format", "json", "--view", "interval"])
    assert res.exit_code == 0, res.output
    interval = {r["measure"]: r for r in _json(res)["rows"]}
    ex = interval["expenditure_per_capita"]
    assert ex["p05"] <= e <= ex["p95"] and ex["samples"] == 200 and ex["seed"] == 3
    assert 0 <= interval["probability_earning_savings"]["point"] <= 1

    # the same seed gives the same interval; CSV and the terminal tables print
    res = runner.invoke(app, [*args, "--format", "csv", "--view", "interval"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0] == "measure,unit,point,p05,p50,p95,samples,seed"
    assert D(lines[1].split(",")[3]) == ex["p05"]
    with connect(ws) as con:
        before = con.execute("select count(*) from metric_forecast").fetchone()
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "TOTAL" in res.stdout and "quality_not_met" in res.stdout
    with connect(ws) as con:  # an ad-hoc run writes nothing
        assert con.execute("select count(*) from metric_forecast").fetchone() == before


def test_canonical_forecast_equals_an_ad_hoc_compute(built_aco: BuiltAco,
                                                     tmp_path: Path) -> None:
    ws = copy_workspace(built_aco, tmp_path, EXPENDITURE_TOML)
    with connect(ws) as con:
        periods = data_periods(con, 2024)
        empty = canonical(con, ws, periods)
    assert empty["forecast"].num_rows == 0
    assert empty["forecast_status"].column("status").to_pylist() == ["not_configured"]
    with ws.config_path.open("a", encoding="utf-8") as fh:
        fh.write(BENCHMARK_TOML + "\n[forecast]\nsamples = 50\n")
    ytd = next(p for p in periods if p.period_kind == "performance_year_to_date")
    with connect(ws) as con:
        got = canonical(con, ws, periods)
        ad_hoc = tables(forecast_compute(
            con, aco_id=ws.aco_id, performance_year=2024, as_of=ytd.as_of_date,
            options=ForecastOptions(samples=50), expenditure=load_parameters(ws),
            benchmark=load_benchmark(ws)))
    assert got["forecast_status"].column("status").to_pylist() == ["computed"]
    for name, table in ad_hoc.items():
        rows = got[name].to_pylist()
        assert rows and all(r["period_id"] == ytd.period_id for r in rows)
        assert [{k: v for k, v in r.items() if k not in PERIOD_COLUMNS} for r in rows] == \
            table.to_pylist(), name


def test_forecast_cli_config_errors(built_aco: BuiltAco, tmp_path: Path) -> None:
    if built_aco.ws.engine == "spark":
        pytest.skip("the CLI test copies the DuckDB warehouse file")
    no_cf = EXPENDITURE_TOML.replace('completion_factor = "1.05"\n', "")
    ws = copy_workspace(built_aco, tmp_path, no_cf + BENCHMARK_TOML)
    runner = CliRunner()
    res = runner.invoke(app, ["forecast", "-w", str(ws.root), "--as-of", AS_OF])
    assert res.exit_code == 1
    text = " ".join(res.output.split())
    assert "completion_factor missing" in text and "aco.toml [expenditure]" in text

    ws2 = copy_workspace(built_aco, tmp_path / "two",
                         EXPENDITURE_TOML + BENCHMARK_TOML.replace('"E"', '"Z"'))
    res = runner.invoke(app, ["forecast", "-w", str(ws2.root), "--as-of", AS_OF])
    assert res.exit_code == 1
    assert "unknown track 'Z'" in " ".join(res.output.split())
    with pytest.raises(ForecastConfigError, match=r"aco\.toml \[benchmark\]"):
        load_benchmark(ws2)

    res = runner.invoke(app, ["forecast", "-w", str(ws.root), "--as-of", "2024-01-10"])
    assert res.exit_code == 1
