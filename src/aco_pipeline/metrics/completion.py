"""How complete each monthly figure is: completion factors per claim family (docs/completion.md).

Claims for a service month keep arriving for months after it (IP v40 3.4, run-out), so the
newest months' as-paid totals are too low. Every monthly figure therefore carries

- `as_paid`: net signed paid loaded on or before the as-of date (IP v40 5.3.1, 3.4);
- `completion_factor`: estimated ultimate / paid to date (>= 1 when payments only grow);
- `complete_percent`: paid to date / ultimate, 0-100 (100 / completion_factor);
- `completed`: as_paid x completion_factor, rounded to cents;
- `factor_source`: where the factor came from.

The factor comes from aco.toml `[completion] factors` when configured for the claim family;
otherwise it is estimated from the ACO's own history by the chain ladder on the lag triangle
of `mart_completion_lag` (service month x months from the service month to the IDR load
month), per claim family, as of a date (only payments loaded on or before it):

1. cumulative paid C(i, k) of service month i through lag k (lags beyond `max_lag_months`
   count at `max_lag_months`); a cell is observed when month i + k is not after the as-of
   month;
2. volume-weighted age-to-age factor f(k) = sum C(i, k+1) / sum C(i, k) over the service
   months observed through lag k+1, rounded to 6 places; only service months from
   `history_from` on are used (default: the reference month of the lake's first monthly CCLF
   delivery, since earlier loads arrive only as back history and older rows would lack their
   early payments);
3. development stops at the first lag L whose step has fewer than `min_history_months`
   service months (or a non-positive sum); beyond L the tail factor is 1 (taken as complete);
4. cumulative factor F(k) = f(k) x f(k+1) x ... x f(L-1), rounded to 6 places; a service month
   whose age (months from it to the as-of month) is k gets F(k), one of age >= L gets 1.

When not even lag 0 -> 1 can be estimated, every factor is 1 and the notes say there is too
little history. Configured factors are cumulative factors by age:

    [completion]
    max_lag_months = 24        # development followed this far (default 24); beyond: complete
    min_history_months = 3     # service months needed per development step (default 3)
    history_from = "2024-01"   # first service month used (default: first monthly delivery)
    factors = { "0" = 1.60, "1" = 1.25, "2" = 1.08 }     # every claim family, or per family:
    # [completion.factors.part_b]
    # "0" = 1.35
    # "1" = 1.05

Ages listed must run from 0 without a gap; older service months are complete (factor 1). A
family not in a per-family table is estimated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING

import pyarrow as pa

from aco_pipeline.config import Workspace, load_section
from aco_pipeline.errors import AcoError
from aco_pipeline.metrics.periods import MetricPeriod, stack
from aco_pipeline.warehouse.read import money, require, rows

if TYPE_CHECKING:
    import duckdb

FAMILIES: tuple[str, ...] = ("part_a", "part_b", "dme", "part_d")
TOTAL = "total"
TOTAL_FAMILIES: tuple[str, ...] = ("part_a", "part_b", "dme")
"""The total row: Part A + Part B (Part B physician and DME; IP v40 5.3.1 step 5). Part D is
reported beside it, never added."""
FACTOR_PLACES = Decimal("0.000001")
PERCENT_PLACES = Decimal("0.01")
CENT = Decimal("0.01")
ONE = Decimal(1)
HUNDRED = Decimal(100)
DEFAULT_MAX_LAG = 24
DEFAULT_MIN_HISTORY = 3
SECTION = "completion"
CONFIGURED = "configured in aco.toml [completion]"

MONEY = pa.decimal128(18, 2)
FACTOR = pa.decimal128(12, 6)
PERCENT = pa.decimal128(7, 2)
COMPLETION_SCHEMA = pa.schema([
    ("claim_family", pa.string()),
    ("service_month", pa.date32()),
    ("age_months", pa.int32()),
    ("as_paid", MONEY),
    ("complete_percent", PERCENT),
    ("completion_factor", FACTOR),
    ("completed", MONEY),
    ("factor_source", pa.string()),
])
FACTORS_SCHEMA = pa.schema([
    ("claim_family", pa.string()),
    ("lag_months", pa.int32()),
    ("age_to_age_factor", FACTOR),
    ("cumulative_factor", FACTOR),
    ("observations", pa.int32()),
    ("basis", pa.string()),
    ("factor_source", pa.string()),
])


class CompletionConfigError(AcoError, ValueError):
    """aco.toml `[completion]` is invalid."""


# ---------------------------------------------------------------------------------------------
# configuration


@dataclass(frozen=True, slots=True)
class CompletionConfig:
    """`[completion]`: configured cumulative factors by family (index = age in months)."""

    factors: Mapping[str, tuple[Decimal, ...]] = field(default_factory=dict)
    max_lag_months: int = DEFAULT_MAX_LAG
    min_history_months: int = DEFAULT_MIN_HISTORY
    history_from: date | None = None
    """First service month the estimate uses (None: the lake's first monthly delivery)."""


def _int_setting(section: Mapping[str, object], key: str, default: int, low: int, high: int,
                 where: str) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CompletionConfigError(
            f"{where}: [completion] {key} must be a whole number from {low} to {high}")
    return value


def _factor(value: object, key: str, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CompletionConfigError(f"{where}: [completion] {key} must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise CompletionConfigError(
            f"{where}: [completion] {key} = {value!r} is not a number") from None
    if not number.is_finite() or number < ONE:
        raise CompletionConfigError(
            f"{where}: [completion] {key} must be a completion factor of at least 1 "
            "(ultimate / paid to date)")
    return number.quantize(FACTOR_PLACES, ROUND_HALF_UP)


def _month(value: object, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.replace(day=1)
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value if len(value) != 7 else value + "-01")
        except ValueError:
            pass
        else:
            return day.replace(day=1)
    raise CompletionConfigError(
        f'{where}: [completion] history_from must be a month like "2024-01" or a date')


def _ages(table: Mapping[str, object], key: str, where: str) -> tuple[Decimal, ...]:
    ages: dict[int, Decimal] = {}
    for age_key, value in table.items():
        if not (isinstance(age_key, str) and age_key.isdigit()):
            raise CompletionConfigError(
                f"{where}: [completion] {key}.{age_key!r}: keys are ages in months "
                '("0", "1", ...)')
        ages[int(age_key)] = _factor(value, f'{key}."{age_key}"', where)
    if not ages:
        raise CompletionConfigError(f"{where}: [completion] {key} lists no ages")
    missing = sorted(set(range(max(ages) + 1)) - set(ages))
    if missing:
        raise CompletionConfigError(
            f"{where}: [completion] {key} must list every age from 0 to {max(ages)}; "
            f"missing {', '.join(str(m) for m in missing)}")
    return tuple(ages[k] for k in range(max(ages) + 1))


def parse_completion_config(section: Mapping[str, object],
                            where: str = "aco.toml") -> CompletionConfig:
    """Validate a `[completion]` table; errors name `where` (the config file) and the key."""
    known = {"factors", "history_from", "max_lag_months", "min_history_months"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise CompletionConfigError(
            f"{where}: [completion] has unknown key(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(known))})")
    max_lag = _int_setting(section, "max_lag_months", DEFAULT_MAX_LAG, 1, 120, where)
    min_history = _int_setting(section, "min_history_months", DEFAULT_MIN_HISTORY, 1, 120,
                               where)
    raw = section.get("factors", {})
    if not isinstance(raw, dict):
        raise CompletionConfigError(
            f'{where}: [completion] factors must be a table like {{ "0" = 1.25, "1" = 1.05 }}')
    factors: dict[str, tuple[Decimal, ...]] = {}
    if raw and all(isinstance(k, str) and k.isdigit() for k in raw):
        ages = _ages(raw, "factors", where)
        factors = {family: ages for family in FAMILIES}
    else:
        for family, table in raw.items():
            if family not in FAMILIES:
                raise CompletionConfigError(
                    f"{where}: [completion] factors.{family}: not a claim family "
                    f"({', '.join(FAMILIES)}) nor an age in months; list ages for every "
                    "family or tables per family, not both")
            if not isinstance(table, dict):
                raise CompletionConfigError(
                    f'{where}: [completion] factors.{family} must be a table like '
                    '{ "0" = 1.25 }')
            factors[family] = _ages(table, f"factors.{family}", where)
    return CompletionConfig(factors=factors, max_lag_months=max_lag,
                            min_history_months=min_history,
                            history_from=_month(section.get("history_from"), where))


def load_completion_config(ws: Workspace) -> CompletionConfig:
    """The workspace's `[completion]` (defaults when absent)."""
    return parse_completion_config(load_section(ws, SECTION), str(ws.config_path))


# ---------------------------------------------------------------------------------------------
# the triangle and the chain ladder (pure)


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def months_between(start: date, end: date) -> int:
    """Calendar months from `start`'s month to `end`'s month."""
    return month_index(end) - month_index(start)


@dataclass(frozen=True, slots=True)
class LagRow:
    """One row of mart_completion_lag."""

    claim_family: str
    service_month: date
    load_date: date
    lag_months: int
    signed_paid: Decimal


@dataclass(frozen=True, slots=True)
class Triangle:
    """One claim family's cumulative paid as of a date: only cells observable by then."""

    claim_family: str
    as_of: date
    max_lag: int
    ages: Mapping[date, int]
    """service month -> months from it to the as-of month (uncapped)."""
    cumulative: Mapping[tuple[date, int], Decimal]
    """(service month, lag) -> paid through that lag, for lag 0..min(age, max_lag)."""
    as_paid: Mapping[date, Decimal]
    """service month -> everything loaded on or before as_of."""

    @property
    def service_months(self) -> tuple[date, ...]:
        return tuple(sorted(self.ages))


def build_triangles(lag_rows: Iterable[LagRow], *, as_of: date,
                    max_lag: int = DEFAULT_MAX_LAG) -> dict[str, Triangle]:
    """Cumulative triangles per claim family from rows loaded on or before `as_of`; lags
    beyond `max_lag` count at `max_lag`."""
    incremental: dict[str, dict[tuple[date, int], Decimal]] = defaultdict(
        lambda: defaultdict(Decimal))
    for r in lag_rows:
        if r.load_date > as_of or month_index(r.service_month) > month_index(as_of):
            continue
        month = date(r.service_month.year, r.service_month.month, 1)
        lag = min(max(r.lag_months, 0), max_lag)
        incremental[r.claim_family][(month, lag)] += r.signed_paid
    out: dict[str, Triangle] = {}
    for family, cells in incremental.items():
        months = sorted({m for m, _ in cells})
        ages = {m: months_between(m, as_of) for m in months}
        cumulative: dict[tuple[date, int], Decimal] = {}
        as_paid: dict[date, Decimal] = {}
        for m in months:
            running = Decimal(0)
            for k in range(min(ages[m], max_lag) + 1):
                running += cells.get((m, k), Decimal(0))
                cumulative[(m, k)] = running
            as_paid[m] = running
        out[family] = Triangle(family, as_of, max_lag, ages, cumulative, as_paid)
    return out


@dataclass(frozen=True, slots=True)
class FactorStep:
    """Development from lag k to k+1, and from lag k to ultimate."""

    lag_months: int
    age_to_age: Decimal | None
    cumulative: Decimal
    observations: int | None
    basis: str
    """`chain ladder`, `tail` (factor 1 beyond the last estimated lag) or `configured`."""


@dataclass(frozen=True, slots=True)
class Development:
    """One claim family's completion factors and where they came from."""

    claim_family: str
    steps: tuple[FactorStep, ...]
    source: str
    notes: tuple[str, ...] = ()
    """Limits of the estimate (too little history, tail, service months left out)."""

    def factor(self, age: int) -> Decimal:
        """The cumulative factor of a service month `age` months before the as-of month."""
        if age < 0:
            raise ValueError("age before the as-of month must not be negative")
        return self.steps[age].cumulative if age < len(self.steps) else ONE


def _round(value: Decimal) -> Decimal:
    return value.quantize(FACTOR_PLACES, ROUND_HALF_UP)


def chain_ladder(triangle: Triangle, *, min_history: int = DEFAULT_MIN_HISTORY,
                 history_from: date | None = None) -> Development:
    """Volume-weighted chain-ladder factors of one family's triangle (module docstring),
    over its service months from `history_from` on (all when None)."""
    months = tuple(m for m in triangle.service_months
                   if history_from is None or m >= history_from)
    age_to_age: list[tuple[Decimal, int]] = []
    stop_reason = ""
    for k in range(triangle.max_lag):
        used = [m for m in months if triangle.ages[m] >= k + 1]
        before = sum((triangle.cumulative[(m, k)] for m in used), Decimal(0))
        after = sum((triangle.cumulative[(m, k + 1)] for m in used), Decimal(0))
        if len(used) < min_history:
            stop_reason = (f"fewer than {min_history} service months observed "
                           f"{k + 1} month(s) after the service month")
            break
        if before <= 0 or after <= 0:
            stop_reason = f"paid through lag {k} or {k + 1} is not positive"
            break
        age_to_age.append((_round(after / before), len(used)))
    last = len(age_to_age)
    cumulative: list[Decimal] = [ONE] * (last + 1)
    for k in range(last - 1, -1, -1):
        cumulative[k] = _round(age_to_age[k][0] * cumulative[k + 1])
    steps = [FactorStep(k, f, cumulative[k], n, "chain ladder")
             for k, (f, n) in enumerate(age_to_age)]
    tail_used = len([m for m in months if triangle.ages[m] >= last + 1])
    if last < triangle.max_lag:
        steps.append(FactorStep(last, ONE, ONE, tail_used, "tail"))
    as_of = triangle.as_of
    notes: list[str] = []
    left_out = [m for m in triangle.service_months if m not in months]
    if left_out and history_from is not None:
        notes.append(f"service months before {history_from:%Y-%m} are not used to estimate "
                     "(the lake's loads start with its first monthly delivery; set aco.toml "
                     "[completion] history_from when the back history is complete)")
    if last == 0:
        source = (f"not estimated ({stop_reason or 'no service months'} as of {as_of}): "
                  "factor 1")
        notes.append(f"too little history to estimate completion "
                     f"({stop_reason or 'no service months'}, as of {as_of}): shown as "
                     "paid (factor 1), so the newest months are understated")
    else:
        span = [m for m in months if triangle.ages[m] >= 1]
        source = (f"estimated: chain ladder over service months {span[0]:%Y-%m}.."
                  f"{span[-1]:%Y-%m}, as of {as_of}")
        if last < triangle.max_lag:
            notes.append(f"development estimated through lag {last} months, later "
                         f"payments taken as complete (tail factor 1; {stop_reason})")
    return Development(triangle.claim_family, tuple(steps), source, tuple(notes))


def configured_development(family: str, factors: Sequence[Decimal]) -> Development:
    """A family's development from configured cumulative factors by age."""
    steps = [FactorStep(k, None, f, None, "configured") for k, f in enumerate(factors)]
    steps.append(FactorStep(len(factors), None, ONE, None, "configured"))
    return Development(family, tuple(steps), CONFIGURED)


# ---------------------------------------------------------------------------------------------
# completed figures


@dataclass(frozen=True, slots=True)
class CompletionCell:
    """One monthly figure with its completeness."""

    claim_family: str
    service_month: date
    age_months: int
    as_paid: Decimal
    completion_factor: Decimal | None
    complete_percent: Decimal | None
    completed: Decimal
    factor_source: str

    def record(self) -> dict[str, object]:
        return {"claim_family": self.claim_family, "service_month": self.service_month,
                "age_months": self.age_months, "as_paid": self.as_paid,
                "complete_percent": self.complete_percent,
                "completion_factor": self.completion_factor, "completed": self.completed,
                "factor_source": self.factor_source}


def complete(as_paid: Decimal, factor: Decimal) -> tuple[Decimal, Decimal]:
    """(completed, complete_percent) of an as-paid amount under a cumulative factor."""
    completed = (as_paid * factor).quantize(CENT, ROUND_HALF_UP)
    return completed, (HUNDRED / factor).quantize(PERCENT_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Completion:
    """Completion of every claim family as of a date."""

    as_of: date
    developments: Mapping[str, Development]
    triangles: Mapping[str, Triangle]

    def cell(self, family: str, service_month: date) -> CompletionCell:
        """One family's month (zero paid when nothing was loaded), or the total row."""
        month = date(service_month.year, service_month.month, 1)
        age = months_between(month, self.as_of)
        if family == TOTAL:
            return self._total(month, age)
        dev = self.developments[family]
        tri = self.triangles.get(family)
        paid = money(tri.as_paid.get(month) if tri is not None else None)
        factor = dev.factor(max(age, 0))
        completed, percent = complete(paid, factor)
        return CompletionCell(family, month, age, paid, factor, percent, completed,
                              dev.source)

    def _total(self, month: date, age: int) -> CompletionCell:
        parts = [self.cell(f, month) for f in TOTAL_FAMILIES]
        paid = sum((p.as_paid for p in parts), Decimal(0))
        completed = sum((p.completed for p in parts), Decimal(0))
        factor = percent = None
        if completed != 0 and paid != 0:
            factor = _round(completed / paid)
            percent = (HUNDRED * paid / completed).quantize(PERCENT_PLACES, ROUND_HALF_UP)
        elif completed == paid:
            factor, percent = ONE, HUNDRED.quantize(PERCENT_PLACES)
        return CompletionCell(TOTAL, month, age, paid, factor, percent, completed,
                              "sum of " + ", ".join(TOTAL_FAMILIES))

    def service_months(self) -> list[date]:
        """Every service month with a payment loaded by the as-of date, oldest first."""
        return sorted({m for t in self.triangles.values() for m in t.ages})

    def cells(self, months: Iterable[date] | None = None) -> dict[tuple[str, date],
                                                                   CompletionCell]:
        """(claim family or `total`, service month) -> cell, for every family and month."""
        out: dict[tuple[str, date], CompletionCell] = {}
        for month in (self.service_months() if months is None else months):
            for family in (*FAMILIES, TOTAL):
                c = self.cell(family, month)
                out[(family, c.service_month)] = c
        return out

    def notes(self) -> list[str]:
        """Which factors were used, per family, and their limits."""
        grouped: dict[str, list[str]] = {}
        for family, dev in self.developments.items():
            for text in (f"completion factors {dev.source}", *dev.notes):
                grouped.setdefault(text, []).append(family)
        out = [f"{', '.join(families)}: {text}" for text, families in grouped.items()]
        out.append(f"complete_percent = paid loaded by {self.as_of} / completed; factors to "
                   f"{-FACTOR_PLACES.as_tuple().exponent} places (docs/completion.md)")
        return out


def estimate(lag_rows: Iterable[LagRow], *, as_of: date, config: CompletionConfig,
             first_delivery_month: date | None = None) -> Completion:
    """Completion as of `as_of` from the lag rows (pure): configured factors where given,
    the chain ladder otherwise, over service months from `config.history_from`, else from
    `first_delivery_month`."""
    history_from = config.history_from or first_delivery_month
    triangles = build_triangles(lag_rows, as_of=as_of, max_lag=config.max_lag_months)
    developments: dict[str, Development] = {}
    for family in FAMILIES:
        if family in config.factors:
            developments[family] = configured_development(family, config.factors[family])
            continue
        tri = triangles.get(family) or Triangle(family, as_of, config.max_lag_months,
                                                {}, {}, {})
        developments[family] = chain_ladder(tri, min_history=config.min_history_months,
                                            history_from=history_from)
    return Completion(as_of, developments, triangles)


# ---------------------------------------------------------------------------------------------
# reading the warehouse


LAG_TABLE = "mart_completion_lag"


def lag_rows(con: duckdb.DuckDBPyConnection, as_of: date) -> list[LagRow]:
    """mart_completion_lag's rows loaded on or before `as_of`."""
    require(con, [LAG_TABLE], "completion lag triangle")
    return [LagRow(f, m, d, int(lag), Decimal(paid)) for f, m, d, lag, paid in rows(
        con, f"select claim_family, service_month, load_date, lag_months, signed_paid "
             f"from {LAG_TABLE} where load_date <= ?", [as_of])]


def first_delivery_month(con: duckdb.DuckDBPyConnection) -> date | None:
    """The reference month of the lake's first monthly CCLF delivery (mart_completion_lag)."""
    require(con, [LAG_TABLE], "completion lag triangle")
    [(first,)] = rows(con, f"select min(first_delivery_month) from {LAG_TABLE}")
    return first


def newest_load_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The newest IDR load date in the triangle (the default as-of date)."""
    require(con, [LAG_TABLE], "completion lag triangle")
    [(newest,)] = rows(con, f"select max(load_date) from {LAG_TABLE}")
    return newest


def completion(con: duckdb.DuckDBPyConnection, *, as_of: date,
               config: CompletionConfig) -> Completion:
    """Completion of every claim family as of `as_of` from the warehouse behind `con`."""
    return estimate(lag_rows(con, as_of), as_of=as_of, config=config,
                    first_delivery_month=first_delivery_month(con))


def month_completion(con: duckdb.DuckDBPyConnection, *, as_of: date,
                     config: CompletionConfig) -> dict[tuple[str, date], CompletionCell]:
    """(claim family or `total`, first day of the service month) -> CompletionCell for every
    service month with data as of `as_of` (for the spend report)."""
    return completion(con, as_of=as_of, config=config).cells()


# ---------------------------------------------------------------------------------------------
# canonical tables


def factor_table(result: Completion) -> pa.Table:
    """completion_factors: family x lag, age-to-age and cumulative factors."""
    records = [{"claim_family": family, "lag_months": s.lag_months,
                "age_to_age_factor": s.age_to_age, "cumulative_factor": s.cumulative,
                "observations": s.observations, "basis": s.basis,
                "factor_source": dev.source}
               for family, dev in result.developments.items() for s in dev.steps]
    return pa.Table.from_pylist(records, schema=FACTORS_SCHEMA)


def completion_table(cells: Iterable[CompletionCell]) -> pa.Table:
    return pa.Table.from_pylist([c.record() for c in cells], schema=COMPLETION_SCHEMA)


def canonical(con: duckdb.DuckDBPyConnection, ws: Workspace,
              periods: Sequence[MetricPeriod]) -> dict[str, pa.Table]:
    """`completion` (every claim family and the Part A + B total, per `month` period) and
    `completion_factors` (the factors behind them, repeated per `month` period so each
    period's rows join their factors on period_id)."""
    config = load_completion_config(ws)
    months = [p for p in periods if p.period_kind == "month"]
    parts: list[tuple[MetricPeriod, pa.Table]] = []
    factor_parts: list[tuple[MetricPeriod, pa.Table]] = []
    results: dict[date, Completion] = {}
    for period in months:
        if period.as_of_date not in results:
            results[period.as_of_date] = completion(con, as_of=period.as_of_date,
                                                    config=config)
        result = results[period.as_of_date]
        cells = result.cells([period.period_start])
        parts.append((period, completion_table(cells.values())))
        factor_parts.append((period, factor_table(result)))
    return {"completion": stack(parts, COMPLETION_SCHEMA),
            "completion_factors": stack(factor_parts, FACTORS_SCHEMA)}
