"""The in-year shared-savings forecast: year-to-date expenditure projected to the performance year,
compared with the benchmark, and settled by the MSSP engine; with a bootstrap interval and what-ifs.

Method (docs/forecast.md):

1. Year to date (YTD): Jan 1 of the performance year through the last complete service month
   before the as-of date, less `lag_months`; claims loaded on or before the run-out (default: the
   as-of date, IP v40 3.4).
2. Expenditure per enrollment type by the CMS guide v4 Appendix A phase 5 (`metrics.expenditure`,
   inputs from `metrics.expenditure_report.beneficiary_expenditures`: counted person-months
   only, docs/expenditure.md): pre-sequestration, less
   IME/DSH/UCC, plus NCBP, truncated (Table 10 thresholds or Table 11 factors), completed with the
   completion factor of `aco.toml [expenditure]`, per person-year.
3. Projection: the YTD completed expenditure per person-year of each type is the projected PY
   expenditure per capita of that type; the projected PY person-years are the YTD person-years
   extrapolated to 12 months (x 12 / YTD months), so the projected mix of types is the YTD mix.
4. Benchmark and expenditure per capita are both weighted by the ACO's person-years by type
   (methodology "The benchmark": B = sum over types of per-capita benchmark x person-years);
   totals are per capita x assigned beneficiaries (`[benchmark] assigned_beneficiaries`, else the
   latest ALR of the year, `mart_tieout_alr_listing`); savings, MSR test and earned amount by
   `shared_savings.settle`.
5. Interval: beneficiaries resampled with replacement (seeded); each sample's expenditure is an
   exact integer sum (numpy int64) in units of 1/117,600 dollar, in which the pre-sequestration
   amount (paid / 0.98) and the truncated amount (threshold x months / 12) are whole numbers.
6. What-ifs: quality met / not met, and 1% less spending in each service category
   (`mart_expenditure_payment.service_category`), recomputed through truncation and completion.

`aco build` stores the forecast as of the data's as-of date as metric tables `forecast`,
`forecast_scenarios`, `forecast_interval` and `forecast_status` (`canonical`); `aco forecast`
computes it for any date and prints it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from aco_pipeline.config import Workspace, load_section
from aco_pipeline.errors import AcoError
from aco_pipeline.metrics.expenditure import (
    MONTHS_PER_YEAR,
    TOTAL,
    EnrollmentType,
    TableRow,
    TypeExpenditure,
    contribution,
    table_10,
    table_11,
)
from aco_pipeline.metrics.expenditure_report import (
    KEY_BY_TYPE,
    PAYMENTS,
    TYPE_BY_CODE,
    TYPE_KEYS,
    BeneficiaryInputs,
    ExpenditureParameters,
    Method,
    Period,
    beneficiary_expenditures,
    read_ncbp,
)
from aco_pipeline.metrics.shared_savings import (
    MSR_ELECTIONS,
    TRACK_TERMS,
    RevenueCategory,
    SettlementInputs,
    SettlementResult,
    Track,
    settle,
)
from aco_pipeline.warehouse.read import require, rows

if TYPE_CHECKING:
    import duckdb

    from aco_pipeline.metrics.periods import MetricPeriod

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")

SECTION = "benchmark"
WHERE = "aco.toml [benchmark]"
OPTIONS_SECTION = "forecast"
OPTIONS_WHERE = "aco.toml [forecast]"

FORECAST_TABLE = "forecast"
SCENARIOS_TABLE = "forecast_scenarios"
INTERVAL_TABLE = "forecast_interval"
STATUS_TABLE = "forecast_status"
ALR_LISTING = "mart_tieout_alr_listing"

# The tracks a current agreement can be in (methodology "Tracks"); legacy tracks ended in PY2021.
FORECAST_TRACKS: tuple[Track, ...] = (Track.BASIC_A, Track.BASIC_B, Track.BASIC_C,
                                      Track.BASIC_D, Track.BASIC_E, Track.ENHANCED)

DEFAULT_SAMPLES = 1000
DEFAULT_SEED = 0
PERCENTILES: tuple[tuple[str, Decimal], ...] = (
    ("p05", Decimal("0.05")), ("p50", Decimal("0.50")), ("p95", Decimal("0.95")))
CATEGORY_CHANGE = Decimal("-0.01")  # the "1% less spending in a category" what-if

# Integer units of the bootstrap: 1/117,600 dollar = 1/1,176 cent. paid / 0.98 (guide step 1) is
# paid_cents x 1,200 units and threshold x months / 12 (Table 9 row 3) is
# threshold_cents x months x 98 units, so every beneficiary's amount is a whole number of units.
UNITS_PER_DOLLAR = 117_600
UNITS_PER_CENT = 1_176
INT64_HEADROOM = 2 ** 62

# published decimals: ten places keep rates, weights and person-years
STORED = pa.decimal128(38, 10)
STORED_QUANTUM = Decimal("1e-10")

# Table 10 / Table 11 rows (guide Appendix A phase 5) read by the forecast
TABLE_REFS: dict[Method, dict[str, str]] = {
    Method.thresholds: {"raw": "2", "sequestration": "3", "ime_dsh_ucc": "6", "ncbp": "8",
                        "before_truncation": "9", "after_truncation": "14",
                        "completion": "15", "completed": "16", "person_years": "17"},
    Method.factors: {"raw": "2", "sequestration": "3", "ime_dsh_ucc": "6", "ncbp": "8",
                     "before_truncation": "9", "after_truncation": "12",
                     "completion": "13", "completed": "14", "person_years": "15"},
}


class ForecastConfigError(AcoError, ValueError):
    """A forecast input is missing or invalid; the message names the key and where to set it."""


class ForecastDataError(AcoError, ValueError):
    """The warehouse cannot support the forecast (no months in the YTD period, no ALR, ...)."""


# --- parameters ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class BenchmarkConfig:
    """`aco.toml [benchmark]`: the figures of the ACO's benchmark report and its agreement."""

    per_capita: Mapping[EnrollmentType, Decimal]  # updated benchmark per assigned beneficiary
    track: Track
    elected_msr: Decimal | None  # None: variable MSR/MLR
    quality_met: bool
    quality_score: Decimal | None = None  # points 0-100 (ENHANCED loss rate)
    assigned_beneficiaries: int | None = None  # None: from the latest ALR of the year
    participant_revenue: Decimal | None = None
    revenue_category: RevenueCategory | None = None
    agreement_start: date | None = None

    def record(self) -> dict[str, object]:
        return {
            "per_capita": {KEY_BY_TYPE[t]: str(v) for t, v in self.per_capita.items()},
            "track": self.track.value,
            "msr": "variable" if self.elected_msr is None else str(self.elected_msr),
            "quality_met": self.quality_met,
            "quality_score": None if self.quality_score is None else str(self.quality_score),
            "assigned_beneficiaries": self.assigned_beneficiaries,
            "participant_revenue": (None if self.participant_revenue is None
                                    else str(self.participant_revenue)),
            "revenue_category": (None if self.revenue_category is None
                                 else self.revenue_category.value),
            "agreement_start": (None if self.agreement_start is None
                                else self.agreement_start.isoformat()),
        }


BENCHMARK_KEYS = ("per_capita", "track", "msr", "quality_met", "quality_score",
                  "assigned_beneficiaries", "participant_revenue", "revenue_category",
                  "agreement_start")


def _decimal(value: object, key: str, where: str = WHERE) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ForecastConfigError(f"{key} in {where} must be a decimal string, e.g. \"12345.67\"")
    try:
        out = Decimal(str(value).strip())
    except InvalidOperation:
        raise ForecastConfigError(f"{key} in {where} is not a number: {value!r}") from None
    if not out.is_finite():
        raise ForecastConfigError(f"{key} in {where} must be finite")
    return out


def parse_benchmark(section: Mapping[str, object]) -> BenchmarkConfig:
    """Validate a `[benchmark]` table (see `load_benchmark`)."""
    unknown = sorted(set(section) - set(BENCHMARK_KEYS))
    if unknown:
        raise ForecastConfigError(f"{unknown[0]} in {WHERE}: unknown key "
                                  f"(expected {', '.join(BENCHMARK_KEYS)})")
    table = section.get("per_capita")
    if table is None:
        raise ForecastConfigError(
            f"per_capita missing: set [benchmark.per_capita] with {', '.join(TYPE_KEYS)} "
            f"(the updated benchmark expenditure per assigned beneficiary from the benchmark "
            f"report) in {WHERE}")
    if not isinstance(table, dict):
        raise ForecastConfigError(f"per_capita in {WHERE} must be a table ([benchmark.per_capita] "
                                  f"with {', '.join(TYPE_KEYS)})")
    unknown_types = sorted(set(table) - set(TYPE_KEYS))
    if unknown_types:
        raise ForecastConfigError(f"per_capita.{unknown_types[0]} in {WHERE}: unknown enrollment "
                                  f"type (expected {', '.join(TYPE_KEYS)})")
    per_capita: dict[EnrollmentType, Decimal] = {}
    for key, t in TYPE_KEYS.items():
        if key not in table:
            raise ForecastConfigError(f"per_capita.{key} missing: set it in {WHERE} "
                                      "([benchmark.per_capita], dollars per assigned beneficiary)")
        v = _decimal(table[key], f"per_capita.{key}")
        if v <= 0:
            raise ForecastConfigError(f"per_capita.{key} in {WHERE} must be positive dollars")
        per_capita[t] = v

    raw_track = section.get("track")
    if raw_track is None:
        raise ForecastConfigError(f"track missing: set track = one of "
                                  f"{', '.join(t.value for t in FORECAST_TRACKS)} in {WHERE}")
    try:
        track = Track(str(raw_track).strip().upper())
    except ValueError:
        track = None
    if track not in FORECAST_TRACKS:
        raise ForecastConfigError(
            f"track in {WHERE}: unknown track {raw_track!r} (expected one of "
            f"{', '.join(t.value for t in FORECAST_TRACKS)}: BASIC A-E or EN for ENHANCED)")
    assert track is not None

    raw_msr = section.get("msr")
    elected: Decimal | None = None
    if TRACK_TERMS[track].two_sided:
        if raw_msr is None:
            raise ForecastConfigError(
                f"msr missing: a two-sided track needs its MSR/MLR election, msr = \"variable\" "
                f"or one of {', '.join(str(m) for m in MSR_ELECTIONS)}, in {WHERE}")
        if str(raw_msr).strip().lower() != "variable":
            elected = _decimal(raw_msr, "msr")
            if elected not in MSR_ELECTIONS:
                raise ForecastConfigError(
                    f"msr in {WHERE} must be \"variable\" or one of "
                    f"{', '.join(str(m) for m in MSR_ELECTIONS)} (a fraction, 0.02 for 2%)")
    elif raw_msr is not None and str(raw_msr).strip().lower() != "variable":
        raise ForecastConfigError(f"msr in {WHERE}: a one-sided track (BASIC A/B) always uses "
                                  "the variable MSR; remove the key or set msr = \"variable\"")

    met = section.get("quality_met")
    if met is None:
        raise ForecastConfigError(f"quality_met missing: set quality_met = true or false (the "
                                  f"quality performance standard assumed met) in {WHERE}")
    if not isinstance(met, bool):
        raise ForecastConfigError(f"quality_met in {WHERE} must be true or false")
    score = None
    if section.get("quality_score") is not None:
        score = _decimal(section["quality_score"], "quality_score")
        if not ZERO <= score <= 100:
            raise ForecastConfigError(f"quality_score in {WHERE} must be points from 0 to 100")

    assigned = section.get("assigned_beneficiaries")
    if assigned is not None and (isinstance(assigned, bool) or not isinstance(assigned, int)
                                 or assigned < 1):
        raise ForecastConfigError(f"assigned_beneficiaries in {WHERE} must be a positive integer")

    revenue = None
    if section.get("participant_revenue") is not None:
        revenue = _decimal(section["participant_revenue"], "participant_revenue")
        if revenue < 0:
            raise ForecastConfigError(f"participant_revenue in {WHERE} must not be negative")
    category = None
    if section.get("revenue_category") is not None:
        try:
            category = RevenueCategory(str(section["revenue_category"]).strip().lower())
        except ValueError:
            raise ForecastConfigError(f"revenue_category in {WHERE} must be \"low\" or "
                                      "\"high\"") from None
    start = section.get("agreement_start")
    if start is not None and not isinstance(start, date):
        try:
            start = date.fromisoformat(str(start))
        except ValueError:
            raise ForecastConfigError(f"agreement_start in {WHERE} must be a date "
                                      "(YYYY-MM-DD)") from None
    return BenchmarkConfig(per_capita, track, elected, met, score,
                           assigned, revenue, category, start)


def load_benchmark(ws: Workspace) -> BenchmarkConfig:
    """`aco.toml [benchmark]`: `track` ("A".."E", "EN"), `msr` ("variable" or an election such as
    "0.02"; two-sided tracks), `quality_met` (bool), optional `quality_score` (points),
    `assigned_beneficiaries` (else the latest ALR), `participant_revenue`, `revenue_category`,
    `agreement_start`, and `[benchmark.per_capita]` with `esrd`, `disabled`, `aged_dual`,
    `aged_non_dual` (dollars per assigned beneficiary, decimal strings)."""
    section = load_section(ws, SECTION)
    if not section:
        raise ForecastConfigError(
            f"no benchmark figures: add a {WHERE} section with track, msr, quality_met and "
            f"[benchmark.per_capita] {', '.join(TYPE_KEYS)} (see docs/forecast.md)")
    return parse_benchmark(section)


@dataclass(frozen=True)
class ForecastOptions:
    lag_months: int = 0
    samples: int = DEFAULT_SAMPLES
    seed: int = DEFAULT_SEED


def load_options(ws: Workspace, *, lag_months: int | None = None, samples: int | None = None,
                 seed: int | None = None) -> ForecastOptions:
    """Optional `aco.toml [forecast]`: `lag_months`, `samples`, `seed`; arguments override."""
    section = load_section(ws, OPTIONS_SECTION)
    known = ("lag_months", "samples", "seed")
    unknown = sorted(set(section) - set(known))
    if unknown:
        raise ForecastConfigError(f"{unknown[0]} in {OPTIONS_WHERE}: unknown key "
                                  f"(expected {', '.join(known)})")
    values: dict[str, int] = {}
    for key, given, default, low in (("lag_months", lag_months, 0, 0),
                                     ("samples", samples, DEFAULT_SAMPLES, 1),
                                     ("seed", seed, DEFAULT_SEED, 0)):
        v = given if given is not None else section.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ForecastConfigError(f"{key} in {OPTIONS_WHERE} (or --{key.replace('_', '-')}) "
                                      f"must be an integer >= {low}")
        values[key] = v
    if values["lag_months"] > 11:
        raise ForecastConfigError(f"lag_months in {OPTIONS_WHERE} must be at most 11")
    return ForecastOptions(**values)


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def ytd_period(performance_year: int, as_of: date, lag_months: int = 0) -> Period:
    """Jan 1 of the PY through the last complete service month before `as_of` (the month before
    the as-of month), less `lag_months`, capped at December of the PY."""
    last = _add_months(date(as_of.year, as_of.month, 1), -1 - lag_months)
    last = min(last, date(performance_year, 12, 1))
    first = date(performance_year, 1, 1)
    if last < first:
        raise ForecastDataError(
            f"no complete service month of PY{performance_year} before {as_of.isoformat()} "
            f"with a lag of {lag_months} month(s): choose a later --as-of")
    return Period(first, _add_months(last, 1) - timedelta(days=1))


# --- service categories -------------------------------------------------------------------------

@dataclass(frozen=True)
class CategoryAmount:
    """One beneficiary-type's YTD signed amounts in one service category."""

    mbi: str
    enrollment_type: EnrollmentType
    category: str
    paid: Decimal
    ime: Decimal = ZERO
    dsh: Decimal = ZERO
    ucc: Decimal = ZERO


def less_in_category(rows: Sequence[TypeExpenditure], amounts: Iterable[CategoryAmount],
                     category: str, change: Decimal = CATEGORY_CHANGE) -> list[TypeExpenditure]:
    """The rows with one category's paid and IME/DSH/UCC amounts changed by `change` (-0.01 = 1%
    less), so its pre-sequestration net (guide steps 1-2) changes by the same fraction."""
    delta: dict[tuple[str, EnrollmentType], list[Decimal]] = {}
    for a in amounts:
        if a.category != category:
            continue
        d = delta.setdefault((a.mbi, a.enrollment_type), [ZERO, ZERO, ZERO, ZERO])
        for i, v in enumerate((a.paid, a.ime, a.dsh, a.ucc)):
            d[i] += v
    out = []
    for r in rows:
        d = delta.get((r.beneficiary_id, r.enrollment_type))
        if d is None:
            out.append(r)
            continue
        out.append(dataclasses.replace(r, paid=r.paid + d[0] * change, ime=r.ime + d[1] * change,
                                       dsh=r.dsh + d[2] * change, ucc=r.ucc + d[3] * change))
    return out


# --- the projection -----------------------------------------------------------------------------

@dataclass(frozen=True)
class TypeForecast:
    """One enrollment type (or TOTAL): the YTD table rows and the projection."""

    enrollment_type: str
    raw: Decimal
    sequestration: Decimal
    ime_dsh_ucc: Decimal
    ncbp: Decimal
    before_truncation: Decimal
    truncation: Decimal  # removed by truncation (weighted), before completion
    after_truncation: Decimal
    completion: Decimal
    completed: Decimal
    ytd_person_years: Decimal
    projected_person_years: Decimal
    weight: Decimal  # share of the projected person-years
    expenditure_per_capita: Decimal | None  # projected PY expenditure per capita
    benchmark_per_capita: Decimal


@dataclass(frozen=True)
class Projection:
    types: list[TypeForecast]  # the four types, then TOTAL
    expenditure_per_capita: Decimal
    benchmark_per_capita: Decimal
    assigned_beneficiaries: int
    settlement: SettlementResult

    @property
    def expenditure_total(self) -> Decimal:
        return self.expenditure_per_capita * self.assigned_beneficiaries

    @property
    def benchmark_total(self) -> Decimal:
        return self.benchmark_per_capita * self.assigned_beneficiaries

    @property
    def passes_msr(self) -> bool:
        s = self.settlement
        return s.savings > 0 and s.savings_rate >= s.msr

    @property
    def exceeds_mlr(self) -> bool:
        s = self.settlement
        return s.mlr is not None and s.savings < 0 and s.savings_rate <= -s.mlr


@dataclass(frozen=True)
class ForecastContext:
    """What every projection of one forecast shares."""

    aco_id: str
    performance_year: int
    ytd_months: int
    assigned_beneficiaries: int
    expenditure: ExpenditureParameters
    benchmark: BenchmarkConfig


def expenditure_table(rows: Iterable[TypeExpenditure],
                      parameters: ExpenditureParameters) -> list[TableRow]:
    """Guide Appendix A phase 5 Table 10 (thresholds) or 11 (factors) of the rows."""
    if parameters.method is Method.thresholds:
        return table_10(rows, parameters.truncation_thresholds, parameters.completion_factor)
    return table_11(rows, parameters.truncation_factors, parameters.completion_factor)


def settlement_inputs(ctx: ForecastContext, benchmark_per_capita: Decimal,
                      expenditure_per_capita: Decimal,
                      quality_met: bool | None = None) -> SettlementInputs:
    """Totals = per capita x assigned beneficiaries; the agreement terms of `[benchmark]`."""
    b = ctx.benchmark
    n = ctx.assigned_beneficiaries
    return SettlementInputs(
        aco_id=ctx.aco_id, performance_year=ctx.performance_year, track=b.track,
        assigned_beneficiaries=n, benchmark=benchmark_per_capita * n,
        expenditures=expenditure_per_capita * n, quality_score=b.quality_score,
        met_qps=b.quality_met if quality_met is None else quality_met,
        elected_msr=b.elected_msr, revenue_category=b.revenue_category,
        agreement_start=b.agreement_start, participant_revenue=b.participant_revenue)


def weighted_benchmark(per_capita: Mapping[EnrollmentType, Decimal],
                       person_years: Mapping[EnrollmentType, Decimal]) -> Decimal:
    """Methodology "The benchmark": per-type benchmarks weighted by the ACO's person-years."""
    total = sum(person_years.values(), ZERO)
    return sum((per_capita[t] * person_years[t] for t in EnrollmentType), ZERO) / total


def project(rows: Sequence[TypeExpenditure], ctx: ForecastContext,
            quality_met: bool | None = None) -> Projection:
    """The YTD table per type, the projected PY per capita and its settlement."""
    table = {r.ref: r.values for r in expenditure_table(rows, ctx.expenditure)}
    refs = TABLE_REFS[ctx.expenditure.method]

    def cell(name: str, column: str) -> Decimal:
        v = table[refs[name]][column]
        assert v is not None
        return v

    ytd_py = {t: cell("person_years", t.value) for t in EnrollmentType}
    total_py = sum(ytd_py.values(), ZERO)
    if total_py == 0:
        raise ForecastDataError(
            f"no beneficiary-months of an enrollment type in the YTD period of "
            f"PY{ctx.performance_year}: nothing to project (is the warehouse built and does the "
            "CCLF8 cover the year?)")
    b_pc = weighted_benchmark(ctx.benchmark.per_capita, ytd_py)
    extrapolate = Decimal(MONTHS_PER_YEAR) / ctx.ytd_months
    out: list[TypeForecast] = []
    for column in (*(t.value for t in EnrollmentType), TOTAL):
        py = total_py if column == TOTAL else ytd_py[EnrollmentType(column)]
        completed = cell("completed", column)
        before, after = cell("before_truncation", column), cell("after_truncation", column)
        out.append(TypeForecast(
            enrollment_type=column, raw=cell("raw", column),
            sequestration=cell("sequestration", column), ime_dsh_ucc=cell("ime_dsh_ucc", column),
            ncbp=cell("ncbp", column), before_truncation=before, truncation=before - after,
            after_truncation=after, completion=cell("completion", column), completed=completed,
            ytd_person_years=py, projected_person_years=py * extrapolate,
            weight=py / total_py, expenditure_per_capita=None if py == 0 else completed / py,
            benchmark_per_capita=(b_pc if column == TOTAL
                                  else ctx.benchmark.per_capita[EnrollmentType(column)]),
        ))
    e_pc = out[-1].expenditure_per_capita
    assert e_pc is not None
    result = settle(settlement_inputs(ctx, b_pc, e_pc, quality_met))
    return Projection(out, e_pc, b_pc, ctx.assigned_beneficiaries, result)


# --- what-ifs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    category: str | None
    projection: Projection


def scenarios(rows: Sequence[TypeExpenditure], amounts: Sequence[CategoryAmount],
              ctx: ForecastContext, base: Projection | None = None) -> list[Scenario]:
    """Base; quality met / not met (the engine's sharing and loss rates); 1% less spending in each
    service category with YTD spending (ordered by category)."""
    base = base if base is not None else project(rows, ctx)
    out = [Scenario("base", "as configured in aco.toml [benchmark]", None, base)]
    for met in (True, False):
        p = dataclasses.replace(base, settlement=settle(settlement_inputs(
            ctx, base.benchmark_per_capita, base.expenditure_per_capita, met)))
        out.append(Scenario("quality_met" if met else "quality_not_met",
                            "quality performance standard " + ("met" if met else "not met"),
                            None, p))
    for category in sorted({a.category for a in amounts if a.paid or a.ime or a.dsh or a.ucc}):
        p = project(less_in_category(rows, amounts, category), ctx)
        out.append(Scenario(f"category_less_1pct:{category}",
                            f"1% less spending in {category}", category, p))
    return out


# --- bootstrap interval -------------------------------------------------------------------------

def _cents(value: Decimal, what: str) -> int:
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ForecastDataError(f"{what} is not a whole number of cents; the bootstrap sums "
                                "integer cents")
    return int(cents)


def beneficiary_units(rows: Sequence[TypeExpenditure], parameters: ExpenditureParameters
                      ) -> tuple[list[str], Any]:
    """(beneficiaries, int64 matrix): per beneficiary, its amount per type in units of
    1/117,600 dollar after truncation when by thresholds (before, when by factors: Table 11
    truncates the aggregate), then its months per type. Exact: the same amounts as
    `expenditure.contribution`."""
    import numpy as np

    types = list(EnrollmentType)
    index: dict[str, int] = {}
    values: list[list[int]] = []
    for r in rows:
        i = index.setdefault(r.beneficiary_id, len(index))
        if i == len(values):
            values.append([0] * (2 * len(types)))
        k = types.index(r.enrollment_type)
        what = f"a {r.enrollment_type} amount"
        units = (_cents(r.paid, what) * (UNITS_PER_DOLLAR // 98)
                 + UNITS_PER_CENT * (_cents(r.ncbp, what) - _cents(r.ime, what)
                                     - _cents(r.dsh, what) - _cents(r.ucc, what)))
        if parameters.method is Method.thresholds:
            threshold = parameters.truncation_thresholds[r.enrollment_type]
            c = contribution(r, threshold)  # zero months: no amount (else it raises)
            if r.months == 0:
                units = 0
            elif c.truncated:
                units = _cents(threshold, "a truncation threshold") * r.months * 98
        values[i][k] += units
        values[i][len(types) + k] += r.months
    matrix = np.array(values, dtype=np.int64).reshape(len(values), 2 * len(types))
    if matrix.size and int(np.abs(matrix).max()) * max(len(values), 1) >= INT64_HEADROOM:
        raise ForecastDataError("amounts too large for exact 64-bit resampling")
    return list(index), matrix


def per_capita_from_units(sums: Sequence[int], ctx: ForecastContext
                          ) -> tuple[Decimal, Decimal] | None:
    """(expenditure, benchmark) per capita from one sample's per-type unit and month sums;
    None without months."""
    types = list(EnrollmentType)
    n = len(types)
    months = [int(m) for m in sums[n:]]
    total_months = sum(months)
    if total_months == 0:
        return None
    p = ctx.expenditure
    completed = ZERO
    for k, t in enumerate(types):
        amount = Decimal(int(sums[k])) / UNITS_PER_DOLLAR
        if p.method is Method.factors:
            amount = amount * (ONE - p.truncation_factors[t])
        completed += amount * p.completion_factor
    e_pc = completed * MONTHS_PER_YEAR / total_months
    b_pc = weighted_benchmark(ctx.benchmark.per_capita,
                              {t: Decimal(months[k]) for k, t in enumerate(types)})
    return e_pc, b_pc


@dataclass(frozen=True)
class Interval:
    samples: int
    seed: int
    expenditure_per_capita: list[Decimal]  # sorted sample values
    savings: list[Decimal]
    earned: list[Decimal]
    probability_earning_savings: Decimal  # share of samples with earned savings > 0


def percentile(sorted_values: Sequence[Decimal], p: Decimal) -> Decimal:
    """Linear interpolation between order statistics (numpy's default method), exact."""
    if not sorted_values:
        raise ValueError("no values")
    pos = p * (len(sorted_values) - 1)
    lo = int(pos)
    frac = pos - lo
    if lo + 1 >= len(sorted_values):
        return sorted_values[-1]
    return sorted_values[lo] + (sorted_values[lo + 1] - sorted_values[lo]) * frac


def bootstrap(rows: Sequence[TypeExpenditure], ctx: ForecastContext, *, samples: int,
              seed: int) -> Interval:
    """Resample beneficiaries with replacement (numpy PCG64 seeded with `seed`), recompute the
    projected per capita expenditure and benchmark, and settle each sample (N held fixed)."""
    import numpy as np

    if samples < 1:
        raise ValueError("samples must be positive")
    _, matrix = beneficiary_units(rows, ctx.expenditure)
    n = matrix.shape[0]
    if n == 0:
        raise ForecastDataError("no beneficiaries to resample")
    rng = np.random.default_rng(seed)
    e_pcs: list[Decimal] = []
    savings: list[Decimal] = []
    earned: list[Decimal] = []
    wins = 0
    for _ in range(samples):
        counts = np.bincount(rng.integers(0, n, size=n), minlength=n).astype(np.int64)
        sums = counts @ matrix  # exact int64
        pcs = per_capita_from_units([int(x) for x in sums], ctx)
        if pcs is None:
            continue
        e_pc, b_pc = pcs
        result = settle(settlement_inputs(ctx, b_pc, e_pc))
        e_pcs.append(e_pc)
        savings.append(result.savings)
        earned.append(result.earned)
        wins += result.earned > 0
    if not e_pcs:
        raise ForecastDataError("no resample had beneficiary-months")
    return Interval(samples, seed, sorted(e_pcs), sorted(savings), sorted(earned),
                    Decimal(wins) / Decimal(len(e_pcs)))


# --- the warehouse ------------------------------------------------------------------------------

CATEGORY_SQL = f"""
select mr_mbi, enrollment_type, service_category
     , cast(sum(signed_paid_amount) as decimal(18, 2))
     , cast(sum(signed_ime_amount) as decimal(18, 2))
     , cast(sum(signed_dsh_amount) as decimal(18, 2))
     , cast(sum(signed_ucc_amount) as decimal(18, 2))
from {PAYMENTS}
where is_counted
  and service_date between ? and ?
  and (cast(? as date) is null or clm_idr_ld_dt <= ?)
group by mr_mbi, enrollment_type, service_category
order by mr_mbi, enrollment_type, service_category
"""


def category_amounts(con: duckdb.DuckDBPyConnection, *, period: Period,
                     runout: date | None) -> list[CategoryAmount]:
    """YTD Part A/B amounts (with their IME/DSH/UCC) per current MBI x enrollment type x service
    category (`mart_expenditure_payment`), in counted person-months only, as
    `beneficiary_expenditures` counts them."""
    require(con, [PAYMENTS], "expenditure payments")
    found = rows(con, CATEGORY_SQL, [period.start, period.end, runout, runout])
    return [CategoryAmount(m, TYPE_BY_CODE[int(t)], str(c), *(Decimal(v) for v in amounts))
            for m, t, c, *amounts in found]


def check_categories(rows: Sequence[TypeExpenditure], amounts: Sequence[CategoryAmount]) -> None:
    """The categories must add up to the expenditure inputs, or the what-ifs are wrong."""
    sums: dict[tuple[str, EnrollmentType], Decimal] = {}
    for a in amounts:
        key = (a.mbi, a.enrollment_type)
        sums[key] = sums.get(key, ZERO) + a.paid + a.ime + a.dsh + a.ucc
    bad = sum(1 for r in rows
              if sums.pop((r.beneficiary_id, r.enrollment_type), ZERO)
              != r.paid + r.ime + r.dsh + r.ucc)
    bad += sum(1 for v in sums.values() if v)
    if bad:
        raise ForecastDataError(
            f"service categories do not add up to the expenditure payments "
            f"(mart_expenditure_payment) for {bad} beneficiary-type(s); rebuild the warehouse "
            "with `aco build` and run the forecast again")


def alr_assigned(con: duckdb.DuckDBPyConnection, performance_year: int,
                 as_of: date) -> tuple[int, str]:
    """Assigned beneficiaries of the latest ALR table 1-1 of the year whose period ended before
    `as_of` (current MBIs, `mart_tieout_alr_listing`): (count, the report period end)."""
    require(con, [ALR_LISTING], "ALR listing")
    found = rows(con, f"""
        with latest as (
            select alr_delivery_id, period_end_month
            from {ALR_LISTING}
            where extract(year from period_end_month) = ? and period_end_month < ?
            group by alr_delivery_id, period_end_month
            order by period_end_month desc, alr_delivery_id desc
            limit 1)
        select count(distinct mr_mbi), max(period_end_month)
        from {ALR_LISTING}
        where alr_delivery_id = (select alr_delivery_id from latest)""",
                 [performance_year, as_of])
    if not found or not found[0][0]:
        raise ForecastDataError(
            f"no ALR of PY{performance_year} before {as_of.isoformat()} to count assigned "
            f"beneficiaries: set assigned_beneficiaries in {WHERE}")
    return int(found[0][0]), str(found[0][1])[:7]


@dataclass(frozen=True)
class ForecastResult:
    as_of: date
    runout: date
    period: Period
    options: ForecastOptions
    context: ForecastContext
    assigned_source: str
    inputs: BeneficiaryInputs
    base: Projection
    scenarios: list[Scenario]
    interval: Interval

    def notes(self) -> list[str]:
        """What the forecast was computed with, and where each input came from."""
        p = self.context.expenditure
        ex = self.inputs.excluded
        out = [
            f"PY{self.context.performance_year} as of {self.as_of.isoformat()}: year to date "
            f"{self.period.start.isoformat()} to {self.period.end.isoformat()} "
            f"({self.context.ytd_months} months, lag {self.options.lag_months}), claims loaded "
            f"by {self.runout.isoformat()}",
            f"assigned beneficiaries {self.context.assigned_beneficiaries} (from "
            f"{self.assigned_source}); benchmark, track and MSR from {WHERE}",
            f"expenditure method {p.method.value}, completion factor {p.completion_factor} "
            "(from aco.toml [expenditure]); NCBP: "
            + ("none" if p.ncbp_file is None else p.ncbp_file.name),
            f"interval: {self.options.samples} samples, seed {self.options.seed}",
            "counted person-months only (docs/expenditure.md)",
        ]
        if ex.beneficiary_months:
            out.append(f"{ex.beneficiary_months} beneficiary-months that are not counted "
                       f"person-months left out: paid {ex.paid}")
        return out


def compute(con: duckdb.DuckDBPyConnection, *, aco_id: str, performance_year: int,
            as_of: date, options: ForecastOptions, expenditure: ExpenditureParameters,
            benchmark: BenchmarkConfig, runout: date | None = None) -> ForecastResult:
    """The forecast for `performance_year` from the warehouse behind `con` (the parameters
    are loaded by the caller: `load_options`, `load_benchmark`, `load_parameters`)."""
    cutoff = runout if runout is not None else as_of
    period = ytd_period(performance_year, as_of, options.lag_months)
    if benchmark.assigned_beneficiaries is not None:
        n, source = benchmark.assigned_beneficiaries, f"{WHERE} assigned_beneficiaries"
    else:
        n, end = alr_assigned(con, performance_year, as_of)
        source = f"ALR table 1-1 for the period ending {end}"
    ncbp = read_ncbp(expenditure.ncbp_file) if expenditure.ncbp_file is not None else []
    inputs = beneficiary_expenditures(con, period=period, runout=cutoff, ncbp=ncbp)
    typed = [r.as_type_expenditure() for r in inputs.rows]
    amounts = category_amounts(con, period=period, runout=cutoff)
    check_categories(typed, amounts)
    ctx = ForecastContext(aco_id, performance_year, len(period.months), n, expenditure,
                          benchmark)
    base = project(typed, ctx)
    return ForecastResult(as_of, cutoff, period, options, ctx, source, inputs, base,
                          scenarios(typed, amounts, ctx, base),
                          bootstrap(typed, ctx, samples=options.samples, seed=options.seed))


# --- metric tables ---------------------------------------------------------------------------

TYPE_COLUMNS = ("raw_paid", "sequestration", "ime_dsh_ucc", "ncbp", "before_truncation",
                "truncation", "after_truncation", "completion", "completed", "ytd_person_years",
                "projected_person_years", "person_year_weight", "expenditure_per_capita",
                "benchmark_per_capita", "savings_per_capita")
SETTLEMENT_COLUMNS = ("benchmark_total", "expenditure_total", "savings", "savings_rate", "msr",
                      "mlr", "generated", "share_rate", "loss_rate", "shared_savings",
                      "savings_sequestration", "shared_losses", "earned")
SCENARIO_COLUMNS = ("expenditure_per_capita", "benchmark_per_capita", "expenditure_total",
                    "benchmark_total", "savings", "savings_rate", "msr", "earned",
                    "earned_change")


def _stored(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(STORED_QUANTUM)


def _settlement_values(p: Projection) -> dict[str, Decimal | None]:
    s = p.settlement
    return {"benchmark_total": p.benchmark_total, "expenditure_total": p.expenditure_total,
            "savings": s.savings, "savings_rate": s.savings_rate, "msr": s.msr, "mlr": s.mlr,
            "generated": s.generated, "share_rate": s.share_rate, "loss_rate": s.loss_rate,
            "shared_savings": s.shared_savings, "savings_sequestration": s.sequestration,
            "shared_losses": s.shared_losses, "earned": s.earned}


def _schema(names: Iterable[str], types: Mapping[str, pa.DataType]) -> pa.Schema:
    return pa.schema([(c, types.get(c, STORED)) for c in names])


FORECAST_SCHEMA = _schema(
    ("ytd_start", "ytd_end", "enrollment_type", *TYPE_COLUMNS, "assigned_beneficiaries",
     *SETTLEMENT_COLUMNS, "passes_msr", "exceeds_mlr"),
    {"ytd_start": pa.date32(), "ytd_end": pa.date32(), "enrollment_type": pa.string(),
     "assigned_beneficiaries": pa.int64(), "passes_msr": pa.bool_(),
     "exceeds_mlr": pa.bool_()})
SCENARIOS_SCHEMA = _schema(
    ("scenario", "description", "service_category", *SCENARIO_COLUMNS, "passes_msr",
     "exceeds_mlr"),
    {"scenario": pa.string(), "description": pa.string(), "service_category": pa.string(),
     "passes_msr": pa.bool_(), "exceeds_mlr": pa.bool_()})
INTERVAL_SCHEMA = _schema(
    ("measure", "unit", "point", "p05", "p50", "p95", "samples", "seed"),
    {"measure": pa.string(), "unit": pa.string(), "samples": pa.int64(), "seed": pa.int64()})
STATUS_SCHEMA = pa.schema([("status", pa.string()), ("note", pa.string())])


def _table(cols: Mapping[str, list[Any]], schema: pa.Schema) -> pa.Table:
    return pa.table({f.name: pa.array(cols[f.name], f.type) for f in schema}, schema=schema)


def forecast_table(result: ForecastResult) -> pa.Table:
    """One row per enrollment type and TOTAL with every intermediate amount; the settlement
    columns on the TOTAL row."""
    base = result.base
    cols: dict[str, list[Any]] = {c: [] for c in FORECAST_SCHEMA.names}
    for t in base.types:
        total = t.enrollment_type == TOTAL
        e = t.expenditure_per_capita
        values: dict[str, Any] = {
            "ytd_start": result.period.start, "ytd_end": result.period.end,
            "enrollment_type": t.enrollment_type, "raw_paid": t.raw,
            "sequestration": t.sequestration, "ime_dsh_ucc": t.ime_dsh_ucc, "ncbp": t.ncbp,
            "before_truncation": t.before_truncation, "truncation": t.truncation,
            "after_truncation": t.after_truncation, "completion": t.completion,
            "completed": t.completed, "ytd_person_years": t.ytd_person_years,
            "projected_person_years": t.projected_person_years,
            "person_year_weight": t.weight, "expenditure_per_capita": e,
            "benchmark_per_capita": t.benchmark_per_capita,
            "savings_per_capita": None if e is None else t.benchmark_per_capita - e,
            "assigned_beneficiaries": base.assigned_beneficiaries if total else None,
            "passes_msr": base.passes_msr if total else None,
            "exceeds_mlr": base.exceeds_mlr if total else None,
            **{k: (v if total else None) for k, v in _settlement_values(base).items()},
        }
        for k, v in values.items():
            cols[k].append(_stored(v) if isinstance(v, Decimal) else v)
    return _table(cols, FORECAST_SCHEMA)


def scenarios_table(result: ForecastResult) -> pa.Table:
    base_earned = result.base.settlement.earned
    cols: dict[str, list[Any]] = {c: [] for c in SCENARIOS_SCHEMA.names}
    for s in result.scenarios:
        p = s.projection
        values: dict[str, Any] = {
            "scenario": s.name, "description": s.description, "service_category": s.category,
            "expenditure_per_capita": p.expenditure_per_capita,
            "benchmark_per_capita": p.benchmark_per_capita,
            "expenditure_total": p.expenditure_total, "benchmark_total": p.benchmark_total,
            "savings": p.settlement.savings, "savings_rate": p.settlement.savings_rate,
            "msr": p.settlement.msr, "earned": p.settlement.earned,
            "earned_change": p.settlement.earned - base_earned,
            "passes_msr": p.passes_msr, "exceeds_mlr": p.exceeds_mlr,
        }
        for k, v in values.items():
            cols[k].append(_stored(v) if isinstance(v, Decimal) else v)
    return _table(cols, SCENARIOS_SCHEMA)


def interval_table(result: ForecastResult) -> pa.Table:
    """Point estimate and 5th/50th/95th percentiles of the projected expenditure per capita,
    savings and earned amount; and the probability of earning shared savings."""
    iv, s = result.interval, result.base.settlement
    cols: dict[str, list[Any]] = {c: [] for c in INTERVAL_SCHEMA.names}
    measures = (("expenditure_per_capita", result.base.expenditure_per_capita,
                 iv.expenditure_per_capita),
                ("savings", s.savings, iv.savings), ("earned", s.earned, iv.earned))
    for name, point, values in measures:
        cols["measure"].append(name)
        cols["unit"].append("dollars")
        cols["point"].append(_stored(point))
        for key, p in PERCENTILES:
            cols[key].append(_stored(percentile(values, p)))
        cols["samples"].append(iv.samples)
        cols["seed"].append(iv.seed)
    cols["measure"].append("probability_earning_savings")
    cols["unit"].append("fraction")
    cols["point"].append(_stored(iv.probability_earning_savings))
    for key, _ in PERCENTILES:
        cols[key].append(None)
    cols["samples"].append(iv.samples)
    cols["seed"].append(iv.seed)
    return _table(cols, INTERVAL_SCHEMA)


def tables(result: ForecastResult) -> dict[str, pa.Table]:
    """The forecast's three tables by metric name."""
    return {FORECAST_TABLE: forecast_table(result), SCENARIOS_TABLE: scenarios_table(result),
            INTERVAL_TABLE: interval_table(result)}


def canonical(con: duckdb.DuckDBPyConnection, ws: Workspace,
              periods: Sequence[MetricPeriod]) -> dict[str, pa.Table]:
    """The forecast as of the data's as-of date (the newest IDR load date; everything loaded),
    keyed by the performance-year-to-date period, when `aco.toml [benchmark]` and
    `[expenditure]` are set; otherwise, or when the data cannot support a forecast, the three
    tables are empty and `forecast_status` says why (docs/forecast.md)."""
    from aco_pipeline.metrics.expenditure_report import (
        ExpenditureConfigError,
        NcbpFileError,
        configured,
        load_parameters,
    )
    from aco_pipeline.metrics.periods import stack

    ytd = [p for p in periods if p.period_kind == "performance_year_to_date"]
    parts: dict[str, list[tuple[MetricPeriod, pa.Table]]] = {
        FORECAST_TABLE: [], SCENARIOS_TABLE: [], INTERVAL_TABLE: []}
    status: list[tuple[MetricPeriod, pa.Table]] = []
    for mp in ytd:
        if not load_section(ws, SECTION):
            state, note = "not_configured", f"no forecast: {WHERE} is not set (docs/forecast.md)"
        elif not configured(ws):
            state, note = ("not_configured",
                           "no forecast: aco.toml [expenditure] is not set (docs/expenditure.md)")
        else:
            try:
                result = compute(con, aco_id=ws.aco_id, performance_year=ws.performance_year,
                                 as_of=mp.as_of_date, options=load_options(ws),
                                 expenditure=load_parameters(ws), benchmark=load_benchmark(ws))
            except (ForecastConfigError, ExpenditureConfigError, NcbpFileError) as exc:
                state, note = "invalid_config", f"no forecast: {exc}"
            except ForecastDataError as exc:
                state, note = "no_data", f"no forecast: {exc}"
            else:
                state, note = "computed", "; ".join(result.notes())
                for name, table in tables(result).items():
                    parts[name].append((mp, table))
        status.append((mp, pa.table({"status": [state], "note": [note]},
                                    schema=STATUS_SCHEMA)))
    schemas = {FORECAST_TABLE: FORECAST_SCHEMA, SCENARIOS_TABLE: SCENARIOS_SCHEMA,
               INTERVAL_TABLE: INTERVAL_SCHEMA}
    out = {name: stack(parts[name], schemas[name]) for name in parts}
    out[STATUS_TABLE] = stack(status, STATUS_SCHEMA)
    return out
