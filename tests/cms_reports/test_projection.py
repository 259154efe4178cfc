"""CMS's quarterly projection (mssp-reports.md section 4): each lettered step against an
independent computation here (exact `Fraction` arithmetic), and each defect the reference
names (wrong thirds, a plain average, an inverted [C], a wrong [O] denominator, a reversed
[V]) as a case the implementation must not fall into."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest

from aco_pipeline.cms_reports import projection as pj
from aco_pipeline.cms_reports.projection import ProjectionInputs
from aco_pipeline.metrics.expenditure import EnrollmentType as T

D = Decimal
TYPES = tuple(T)


def close(value: Decimal | None, exact: Fraction, places: int = 20) -> bool:
    assert value is not None
    return abs(Fraction(value) - exact) < Fraction(1, 10**places)


def per(values: tuple[str, str, str, str]) -> dict[T, Decimal | None]:
    return {t: D(v) for t, v in zip(TYPES, values, strict=True)}


def inputs(**changes: object) -> ProjectionInputs:
    base = ProjectionInputs(
        quarter="2024Q2", benchmark_delivery="P.A1234.ACO.BNMRK.D240605.T0000001",
        national_by3=per(("95000", "12500", "19800", "11400")),
        national_quarter=per(("98325.50", "12887.25", "20513.10", "11821.80")),
        regional_by3=per(("97100", "13000", "20100", "11900")),
        regional_latest=per(("99800.40", "13390.00", "20603.00", "12245.10")),
        national_weight=per(("0.3467812349876543", "0.25", "0.3", "0.2")),
        regional_weight=per(("0.6532187650123457", "0.75", "0.7", "0.8")),
        acpt=per(("1.0412", "1.0325", "1.0325", "1.0325")),
        historical_benchmark=per(("91000.00", "13100.00", "21050.00", "11800.00")),
        person_years=per(("12", "160", "95", "733")),
        person_years_total=D("1001"),
        aco_per_capita=D("12020.00"),
        assigned_beneficiaries=6200,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_c_is_the_quarter_over_by3_not_inverted() -> None:
    b, a = D("98325.50"), D("95000")
    c = pj.step_c(b, a)
    assert close(c, Fraction(98325_50, 100) / 95000)
    assert c is not None and c > 1  # growth: the inverted ratio would be below 1
    assert pj.step_c(b, None) is None and pj.step_c(b, D(0)) is None


def test_f_is_the_latest_quarter_over_by3() -> None:
    assert close(pj.step_f(D("13390.00"), D("13000")), Fraction(1339000, 100) / 13000)


def test_i_blends_with_the_unrounded_weights() -> None:
    c, f = D("1.035"), D("1.0278")
    g, h = D("0.3467812349876543"), D("0.6532187650123457")
    exact = Fraction(c) * Fraction(g) + Fraction(f) * Fraction(h)
    assert close(pj.step_i(c, g, f, h), exact, 25)
    # rounding the weights to 4 places moves [I]: the reader must keep them unrounded
    assert pj.step_i(c, g.quantize(D("0.0001")), f, h.quantize(D("0.0001"))) != pj.step_i(
        c, g, f, h)


def test_k_uses_exact_thirds() -> None:
    i, j = D("1.0850123"), D("1.0325")
    exact = Fraction(2, 3) * Fraction(i) + Fraction(1, 3) * Fraction(j)
    k = pj.step_k(i, j)
    assert close(k, exact, 25)
    wrong = D("0.67") * i + D("0.33") * j  # the defect: 0.67 / 0.33
    assert abs(Fraction(wrong) - exact) > Fraction(1, 10**4)
    assert not close(k, Fraction(wrong), 6)


def test_m_is_k_times_the_historical_benchmark() -> None:
    assert pj.step_m(D("1.04"), D("13100.00")) == D("13624.0000")
    assert pj.step_m(None, D("13100.00")) is None


def test_o_divides_by_the_printed_total() -> None:
    # rows rounded independently need not add to the printed total (section 3)
    rows = (D("12"), D("160"), D("95"), D("733"))  # sum 1000
    printed_total = D("1001")
    o = [pj.step_o(n, printed_total) for n in rows]
    for value, n in zip(o, rows, strict=True):
        assert close(value, Fraction(n) / 1001)
    assert not close(o[3], Fraction(733, 1000), 8)  # the defect: the sum of the rows


def test_p_is_the_person_year_weighted_sum_not_a_plain_average() -> None:
    o = per(("0.012", "0.16", "0.095", "0.733"))
    m = per(("95000", "13500", "21800", "12200"))
    exact = sum((Fraction(o[t]) * Fraction(m[t]) for t in TYPES), Fraction(0))  # type: ignore[arg-type]
    p = pj.step_p(o, m)
    assert close(p, exact)
    plain = sum((Fraction(m[t]) for t in TYPES), Fraction(0)) / 4  # type: ignore[arg-type]
    assert not close(p, plain, 2)


def test_p_is_undefined_unless_all_four_types_are_present() -> None:
    o = per(("0.012", "0.16", "0.095", "0.733"))
    m = {**per(("95000", "13500", "21800", "12200")), T.ESRD: None}
    assert pj.step_p(o, m) is None


def test_r_is_the_savings_rate_over_p() -> None:
    assert close(pj.step_r(D("12500"), D("12020")), Fraction(480, 12500))
    assert pj.step_r(D("0"), D("1")) is None


def test_u_fixed_election_only_from_5000_beneficiaries() -> None:
    assert pj.step_u(6200, D("0.010")) == D("0.010")
    # below 5,000 the variable MSR applies whatever was elected; 3000 -> 5.0%, 4999 -> 3.9%
    assert pj.step_u(3000, D("0.010")) == D("0.05")
    mid = pj.step_u(4000, None)
    assert close(mid, Fraction(5, 100) + Fraction(1000, 1999) * (Fraction(39, 1000) -
                                                                   Fraction(5, 100)))
    assert pj.step_u(None, None) is None


def test_v_is_spending_below_the_benchmark_not_reversed() -> None:
    assert pj.step_v(D("12020"), D("12500")) is True
    assert pj.step_v(D("12600"), D("12500")) is False


def test_w_and_status() -> None:
    assert pj.step_w(D("0.04"), D("0.035")) is True
    assert pj.step_w(D("0.03"), D("0.035")) is False
    assert pj.step_w(D("-0.01"), D("-0.02")) is False  # never above MSR without savings
    assert pj.status(True, True) == pj.ABOVE_MSR
    assert pj.status(True, False) == pj.BELOW_MSR
    assert pj.status(False, False) == pj.NO_SAVINGS
    assert pj.status(None, None) == pj.NOT_CALCULABLE


def independent(x: ProjectionInputs) -> tuple[Fraction, Fraction]:
    """[P] and [R] recomputed from the reference's formulas with exact fractions."""
    p = Fraction(0)
    for t in TYPES:
        c = Fraction(x.national_quarter[t]) / Fraction(x.national_by3[t])  # type: ignore[arg-type]
        f = Fraction(x.regional_latest[t]) / Fraction(x.regional_by3[t])  # type: ignore[arg-type]
        i = c * Fraction(x.national_weight[t]) + f * Fraction(x.regional_weight[t])  # type: ignore[arg-type]
        k = Fraction(2, 3) * i + Fraction(1, 3) * Fraction(x.acpt[t])  # type: ignore[arg-type]
        m = k * Fraction(x.historical_benchmark[t])  # type: ignore[arg-type]
        o = Fraction(x.person_years[t]) / Fraction(x.person_years_total)  # type: ignore[arg-type]
        p += o * m
    q = Fraction(x.aco_per_capita)  # type: ignore[arg-type]
    return p, (p - q) / p


def test_the_whole_projection_matches_an_exact_recomputation() -> None:
    x = inputs()
    pr = pj.project(x)
    p, r = independent(x)
    assert pr.calculable and pr.not_calculable == ()
    assert close(pr.p, p, 15) and close(pr.r, r, 20)
    assert pr.v is (Fraction(x.aco_per_capita) < p)  # type: ignore[arg-type]
    expected_w = r > 0 and r > Fraction(pr.u)  # type: ignore[arg-type]
    assert pr.w is expected_w
    assert pr.status == (pj.ABOVE_MSR if expected_w else pj.BELOW_MSR if pr.v else
                         pj.NO_SAVINGS)


def test_spending_above_the_benchmark_is_no_savings() -> None:
    pr = pj.project(inputs(aco_per_capita=D("19000.00")))
    assert pr.v is False and pr.status == pj.NO_SAVINGS and pr.r is not None and pr.r < 0


def test_a_march_delivery_without_table_6_is_kept_and_flagged() -> None:
    pr = pj.project(inputs(acpt=dict.fromkeys(TYPES)))
    assert not pr.calculable and pr.status == pj.NOT_CALCULABLE
    assert pr.not_calculable == tuple(f"[J] {t.value}" for t in TYPES)
    assert pr.c[T.ESRD] is not None  # the steps before [J] are still there
    table = pj.to_table([pr, pj.project(inputs())])
    assert table.num_rows == 10  # 4 types + TOTAL per pairing
    flags = table.column("calculable").to_pylist()
    assert flags == [False] * 5 + [True] * 5
    assert table.column("not_calculable_reason").to_pylist()[0].startswith("[J] ESRD")


def test_a_missing_type_makes_p_undefined_and_names_it() -> None:
    pr = pj.project(inputs(historical_benchmark={**per(("1", "2", "3", "4")),
                                                 T.AGED_DUAL: None}))
    assert pr.p is None and pr.not_calculable == ("[L] AGED/DUAL",)


def test_an_invalid_msr_election_is_refused() -> None:
    with pytest.raises(ValueError, match="MSR election"):
        inputs(msr_election=D("0.03"))
