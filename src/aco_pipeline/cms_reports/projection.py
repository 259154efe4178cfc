"""CMS's quarterly projection of the benchmark (mssp-reports.md section 4).

The lettered steps of the "UPD BNMRK Estimation CALC" worksheet as documented by the
open-source cms_mssp_connector, one function each, in exact `Decimal`. Per enrollment type
unless said otherwise:

  [C] = [B] / [A]      national assignable FFS per capita, quarter over BY3
  [F] = [E] / [D]      regional expenditure, latest populated quarter over BY3
  [I] = [C] x [G] + [F] x [H]          national and regional weights (unrounded)
  [K] = 2/3 x [I] + 1/3 x [J]          [J] the ACPT of the agreement year (exact thirds)
  [M] = [K] x [L]                      [L] the historical benchmark
  [O] = [N] / [N]total                 person years, printed total as denominator
  [P] = sum over the four types of [O] x [M]   (undefined unless all four are present)
  [R] = ([P] - [Q]) / [P]              [Q] the ACO's total per-capita expenditure
  [U] the MSR: variable by [S] assigned beneficiaries (interpolated within its band), or the
      fixed election [T] when [S] >= 5,000 (`metrics.shared_savings`, the one MSR rule)
  [V] = [Q] < [P];  [W] = [R] > 0 and [R] > [U];  status above MSR / below MSR / no savings.

A pairing missing an input (the March BNMRK has no Table 6) is kept and flagged not
calculable, naming the steps that could not be computed. This is an un-risk-adjusted
directional estimate, not the settlement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pyarrow as pa

from aco_pipeline.metrics.expenditure import EnrollmentType
from aco_pipeline.metrics.shared_savings import (
    MSR_ELECTIONS,
    SMALL_ACO_THRESHOLD,
    variable_msr,
)

TYPES: tuple[EnrollmentType, ...] = tuple(EnrollmentType)
PerType = Mapping[EnrollmentType, Decimal | None]

ABOVE_MSR = "above MSR"
BELOW_MSR = "below MSR"
NO_SAVINGS = "no savings"
NOT_CALCULABLE = "not calculable"


def _ratio(num: Decimal | None, den: Decimal | None) -> Decimal | None:
    if num is None or den is None or den == 0:
        return None
    return num / den


def step_c(b: Decimal | None, a: Decimal | None) -> Decimal | None:
    """[C] = [B] / [A]: the quarter's national assignable FFS per capita over BY3's."""
    return _ratio(b, a)


def step_f(e: Decimal | None, d: Decimal | None) -> Decimal | None:
    """[F] = [E] / [D]: the latest quarter's regional expenditure over BY3's."""
    return _ratio(e, d)


def step_i(c: Decimal | None, g: Decimal | None, f: Decimal | None,
           h: Decimal | None) -> Decimal | None:
    """[I] = [C] x [G] + [F] x [H]: national and regional growth blended by their weights."""
    if c is None or g is None or f is None or h is None:
        return None
    return c * g + f * h


def step_k(i: Decimal | None, j: Decimal | None) -> Decimal | None:
    """[K] = 2/3 x [I] + 1/3 x [J], as (2 x [I] + [J]) / 3: exact thirds, one rounding at the
    context's 28 digits (0.67 / 0.33 would be wrong in the 4th decimal)."""
    if i is None or j is None:
        return None
    return (2 * i + j) / 3


def step_m(k: Decimal | None, l_: Decimal | None) -> Decimal | None:
    """[M] = [K] x [L]: the historical benchmark brought to the quarter."""
    if k is None or l_ is None:
        return None
    return k * l_


def step_o(n: Decimal | None, n_total: Decimal | None) -> Decimal | None:
    """[O] = [N] / [N]total, the denominator the printed total (CMS rounds each row
    independently, so the four rows need not add up to it; section 3)."""
    return _ratio(n, n_total)


def step_p(o: PerType, m: PerType) -> Decimal | None:
    """[P] = sum over the four types of [O] x [M]: the person-year-weighted benchmark per
    capita; undefined unless every type has both."""
    terms = [(o.get(t), m.get(t)) for t in TYPES]
    if any(a is None or b is None for a, b in terms):
        return None
    return sum((a * b for a, b in terms if a is not None and b is not None), Decimal(0))


def step_r(p: Decimal | None, q: Decimal | None) -> Decimal | None:
    """[R] = ([P] - [Q]) / [P]: the estimated savings rate."""
    if p is None or q is None or p == 0:
        return None
    return (p - q) / p


def step_u(s: int | None, t: Decimal | None) -> Decimal | None:
    """[U] the MSR: the fixed election [T] when [S] >= 5,000, else the variable MSR for [S]
    assigned beneficiaries (methodology "MSR/MLR", `shared_savings.variable_msr`)."""
    if s is None or s < 1:
        return None
    if t is not None and s >= SMALL_ACO_THRESHOLD:
        return t
    return variable_msr(s)


def step_v(q: Decimal | None, p: Decimal | None) -> bool | None:
    """[V] = [Q] < [P]: spending below the projected benchmark."""
    if q is None or p is None:
        return None
    return q < p


def step_w(r: Decimal | None, u: Decimal | None) -> bool | None:
    """[W] = [R] > 0 and [R] > [U]: savings beyond the MSR."""
    if r is None or u is None:
        return None
    return r > 0 and r > u


def status(v: bool | None, w: bool | None) -> str:
    if v is None or w is None:
        return NOT_CALCULABLE
    if w:
        return ABOVE_MSR
    return BELOW_MSR if v else NO_SAVINGS


@dataclass(frozen=True)
class ProjectionInputs:
    """One quarter (QEXPU) x one benchmark delivery (BNMRK and its BY3 AEXPU); None = absent."""

    quarter: str
    benchmark_delivery: str
    national_by3: PerType  # [A]
    national_quarter: PerType  # [B]
    regional_by3: PerType  # [D]
    regional_latest: PerType  # [E]
    national_weight: PerType  # [G]
    regional_weight: PerType  # [H]
    acpt: PerType  # [J]
    historical_benchmark: PerType  # [L]
    person_years: PerType  # [N]
    person_years_total: Decimal | None  # [N] total as printed
    aco_per_capita: Decimal | None  # [Q]
    assigned_beneficiaries: int | None  # [S]
    msr_election: Decimal | None = None  # [T]: None = variable
    latest_quarter: str | None = None  # the Table 2 column [E], [G], [H] came from

    def __post_init__(self) -> None:
        if self.msr_election is not None and self.msr_election not in MSR_ELECTIONS:
            raise ValueError(f"MSR election must be one of "
                             f"{', '.join(str(x) for x in MSR_ELECTIONS)} or variable")


@dataclass(frozen=True)
class Projection:
    inputs: ProjectionInputs
    c: dict[EnrollmentType, Decimal | None]
    f: dict[EnrollmentType, Decimal | None]
    i: dict[EnrollmentType, Decimal | None]
    k: dict[EnrollmentType, Decimal | None]
    m: dict[EnrollmentType, Decimal | None]
    o: dict[EnrollmentType, Decimal | None]
    p: Decimal | None
    r: Decimal | None
    u: Decimal | None
    v: bool | None
    w: bool | None
    status: str
    not_calculable: tuple[str, ...] = field(default=())

    @property
    def calculable(self) -> bool:
        return not self.not_calculable


_INPUT_STEPS = (("A", "national_by3"), ("B", "national_quarter"), ("D", "regional_by3"),
                ("E", "regional_latest"), ("G", "national_weight"), ("H", "regional_weight"),
                ("J", "acpt"), ("L", "historical_benchmark"), ("N", "person_years"))


def missing_inputs(x: ProjectionInputs) -> tuple[str, ...]:
    """The lettered inputs that are absent, e.g. `[J] ESRD` (a type) or `[Q]`."""
    out = [f"[{step}] {t.value}" for step, attr in _INPUT_STEPS for t in TYPES
           if getattr(x, attr).get(t) is None]
    if x.person_years_total is None:
        out.append("[N] total")
    if x.aco_per_capita is None:
        out.append("[Q]")
    if x.assigned_beneficiaries is None:
        out.append("[S]")
    return tuple(out)


def project(x: ProjectionInputs) -> Projection:
    """Every step for one quarter x benchmark delivery; absent inputs propagate as None."""
    c = {t: step_c(x.national_quarter.get(t), x.national_by3.get(t)) for t in TYPES}
    f = {t: step_f(x.regional_latest.get(t), x.regional_by3.get(t)) for t in TYPES}
    i = {t: step_i(c[t], x.national_weight.get(t), f[t], x.regional_weight.get(t))
         for t in TYPES}
    k = {t: step_k(i[t], x.acpt.get(t)) for t in TYPES}
    m = {t: step_m(k[t], x.historical_benchmark.get(t)) for t in TYPES}
    o = {t: step_o(x.person_years.get(t), x.person_years_total) for t in TYPES}
    p = step_p(o, m)
    r = step_r(p, x.aco_per_capita)
    u = step_u(x.assigned_beneficiaries, x.msr_election)
    v = step_v(x.aco_per_capita, p)
    w = step_w(r, u)
    missing = missing_inputs(x)
    if not missing and r is None:
        missing = ("[P] or a denominator is zero",)
    return Projection(x, c, f, i, k, m, o, p, r, u, v, w, status(v, w), missing)


STORED = pa.decimal128(38, 12)
STORED_QUANTUM = Decimal("1e-12")

PROJECTION_SCHEMA = pa.schema([
    ("quarter", pa.string()), ("benchmark_delivery", pa.string()),
    ("latest_quarter", pa.string()), ("enrollment_type", pa.string()),
    ("a_national_by3", STORED), ("b_national_quarter", STORED), ("c_national_growth", STORED),
    ("d_regional_by3", STORED), ("e_regional_latest", STORED), ("f_regional_growth", STORED),
    ("g_national_weight", STORED), ("h_regional_weight", STORED), ("i_blended_growth", STORED),
    ("j_acpt", STORED), ("k_update_factor", STORED), ("l_historical_benchmark", STORED),
    ("m_updated_benchmark", STORED), ("n_person_years", STORED), ("o_person_year_share", STORED),
    ("p_benchmark_per_capita", STORED), ("q_aco_per_capita", STORED),
    ("r_savings_rate", STORED), ("s_assigned_beneficiaries", pa.int64()),
    ("t_msr_election", pa.string()), ("u_msr", STORED), ("v_below_benchmark", pa.bool_()),
    ("w_above_msr", pa.bool_()), ("status", pa.string()), ("calculable", pa.bool_()),
    ("not_calculable_reason", pa.string()),
])
"""The metric table: one row per quarter x benchmark delivery x enrollment type, plus a
`TOTAL` row carrying [N] total and [P]-[W] (per-type columns NULL there)."""


def _q(v: Decimal | None) -> Decimal | None:
    return None if v is None else v.quantize(STORED_QUANTUM)


def to_table(projections: Sequence[Projection]) -> pa.Table:
    cols: dict[str, list[object]] = {n: [] for n in PROJECTION_SCHEMA.names}
    for pr in projections:
        x = pr.inputs
        reason = "; ".join(pr.not_calculable) or None
        common = {"quarter": x.quarter, "benchmark_delivery": x.benchmark_delivery,
                  "latest_quarter": x.latest_quarter, "status": pr.status,
                  "calculable": pr.calculable, "not_calculable_reason": reason}
        for t in (*TYPES, None):
            per = t is not None
            row: dict[str, object] = {
                **common, "enrollment_type": t.value if t is not None else "TOTAL",
                "a_national_by3": x.national_by3.get(t) if per else None,
                "b_national_quarter": x.national_quarter.get(t) if per else None,
                "c_national_growth": pr.c[t] if t is not None else None,
                "d_regional_by3": x.regional_by3.get(t) if per else None,
                "e_regional_latest": x.regional_latest.get(t) if per else None,
                "f_regional_growth": pr.f[t] if t is not None else None,
                "g_national_weight": x.national_weight.get(t) if per else None,
                "h_regional_weight": x.regional_weight.get(t) if per else None,
                "i_blended_growth": pr.i[t] if t is not None else None,
                "j_acpt": x.acpt.get(t) if per else None,
                "k_update_factor": pr.k[t] if t is not None else None,
                "l_historical_benchmark": x.historical_benchmark.get(t) if per else None,
                "m_updated_benchmark": pr.m[t] if t is not None else None,
                "n_person_years": x.person_years.get(t) if t is not None
                else x.person_years_total,
                "o_person_year_share": pr.o[t] if t is not None else None,
                "p_benchmark_per_capita": None if per else pr.p,
                "q_aco_per_capita": None if per else x.aco_per_capita,
                "r_savings_rate": None if per else pr.r,
                "s_assigned_beneficiaries": None if per else x.assigned_beneficiaries,
                "t_msr_election": None if per else (
                    "variable" if x.msr_election is None else str(x.msr_election)),
                "u_msr": None if per else pr.u,
                "v_below_benchmark": None if per else pr.v,
                "w_above_msr": None if per else pr.w,
            }
            for name, value in row.items():
                cols[name].append(_q(value) if isinstance(value, Decimal) else value)
    return pa.table({f.name: pa.array(cols[f.name], f.type) for f in PROJECTION_SCHEMA},
                    schema=PROJECTION_SCHEMA)
