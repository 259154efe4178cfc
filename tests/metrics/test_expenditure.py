"""Expenditure per person-year (CCLF Uses and Limitations v4, Appendix A phase 5, Tables 9-11).

Published figures are whole dollars (row 25/22 of Tables 10/11 in cents); a derived row is
asserted equal to the published one within the rounding of the published figures it is computed
from (half a dollar per rounded input, plus half a dollar for its own rounding).
"""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest

from aco_pipeline.metrics.expenditure import (
    COLUMNS,
    TOTAL,
    EnrollmentType,
    Table10Inputs,
    Table11Inputs,
    TypeExpenditure,
    annualise,
    apply_truncation_factor,
    completion_amount,
    contribution,
    derive_table_10,
    derive_table_11,
    eligibility_fraction,
    per_person_year,
    pre_sequestration_payment,
    sequestration_adjustment,
    table_10,
    table_11,
    truncate,
    weight,
)

D = Decimal
T = EnrollmentType
TYPES = list(EnrollmentType)
HALF = D("0.5")
ONE_ = D(1)


def by_ref(rows: list) -> dict[str, dict[str, Decimal | None]]:
    return {r.ref: r.values for r in rows}


# --- Table 9 ------------------------------------------------------------------------------------

def test_table_9_step_functions() -> None:
    # Row 1: $30,000 / (3/12) = $120,000; $12,000 / (9/12) = $16,000
    assert eligibility_fraction(3) == D("0.25") and eligibility_fraction(9) == D("0.75")
    assert annualise(D(30000), 3) == D(120000)
    assert annualise(D(12000), 9) == D(16000)
    # Row 2: truncated at $100,000 / not truncated
    assert truncate(D(120000), D(100000)) == D(100000)
    assert truncate(D(16000), D(100000)) == D(16000)
    # Row 3: (3/12) * $100,000 = $25,000; (9/12) * $16,000 = $12,000
    assert weight(D(100000), 3) == D(25000)
    assert weight(D(16000), 9) == D(12000)


def table_9_rows() -> list[TypeExpenditure]:
    # The guide's spending is the pre-sequestration net amount, so paid = spending * 0.98.
    return [
        TypeExpenditure("B1", T.AGED_DUAL, 3, D(30000) * D("0.98")),
        TypeExpenditure("B1", T.AGED_NON_DUAL, 9, D(12000) * D("0.98")),
    ]


def test_table_9_beneficiary_contributions() -> None:
    dual, non_dual = (contribution(r, D(100000)) for r in table_9_rows())
    assert (dual.total, dual.annualised, dual.truncated_annualised) == (
        D(30000), D(120000), D(100000))
    assert (dual.weighted, dual.person_years, dual.truncated) == (D(25000), D("0.25"), True)
    assert (non_dual.total, non_dual.annualised, non_dual.truncated_annualised) == (
        D(12000), D(16000), D(16000))
    assert (non_dual.weighted, non_dual.person_years, non_dual.truncated) == (
        D(12000), D("0.75"), False)


def test_table_9_through_table_10() -> None:
    # Table 9 prints no per-person-year figure; these follow from its rows 4-5:
    # $25,000 / 0.25 = $100,000, $12,000 / 0.75 = $16,000, $37,000 / 1.00 in total.
    thresholds = {t: D(100000) for t in TYPES}
    rows = by_ref(table_10(table_9_rows(), thresholds, D(1)))
    assert rows["9"][T.AGED_DUAL] == D(30000) and rows["9"][T.AGED_NON_DUAL] == D(12000)
    assert rows["11"][T.AGED_DUAL] == D(120000) and rows["11"][T.AGED_NON_DUAL] == D(16000)
    assert rows["12"][T.AGED_DUAL] == D(20000) and rows["12"][T.AGED_NON_DUAL] == 0
    assert rows["14"][T.AGED_DUAL] == D(25000) and rows["14"][T.AGED_NON_DUAL] == D(12000)
    assert rows["17"][T.AGED_DUAL] == D("0.25") and rows["17"][T.AGED_NON_DUAL] == D("0.75")
    assert rows["14"][TOTAL] == D(37000) and rows["17"][TOTAL] == 1
    assert rows["18"][T.AGED_DUAL] == D(100000)
    assert rows["18"][T.AGED_NON_DUAL] == D(16000)
    assert rows["18"][TOTAL] == D(37000)
    assert rows["18"][T.ESRD] is None  # no person-years: the guide's dash


# --- Table 10 (ACO 1, Track 1) ------------------------------------------------------------------

# Published rows, columns ESRD, DISABLED, AGED/DUAL, AGED/NON-DUAL, TOTAL.
T10 = {
    "2": (11_114_095, 10_615_539, 15_245_643, 63_851_444, 100_826_721),
    "3": (225_300, 213_026, 305_762, 1_284_616, 2_028_703),
    "4": (11_339_395, 10_828_565, 15_551_405, 65_136_060, 102_855_425),
    "6": (426_411, 488_513, 569_957, 2_229_994, 3_714_875),
    "7": (10_912_984, 10_340_051, 14_981_448, 62_906_066, 99_140_549),
    "8": (0, 65_773, -23_858, -221_031, -179_116),
    "9": (10_912_984, 10_405_824, 14_957_590, 62_685_035, 98_961_433),
    "10": (2_619_872, 1_402_362, 5_962_689, 20_633_281, 30_618_205),
    "11": (13_532_856, 11_808_187, 20_920_279, 83_318_317, 129_579_639),
    "12": (111_057, 736_628, 1_700_068, 11_005_593, 13_553_346),
    "13": (13_421_799, 11_071_558, 19_220_211, 72_312_723, 116_026_292),
    "14": (10_894_474, 10_035_464, 14_331_304, 58_398_048, 93_659_290),
    "15": (784_402, 722_553, 1_031_854, 4_204_659, 6_743_469),
    "16": (11_678_876, 10_758_017, 15_363_157, 62_602_708, 100_402_758),
    "17": (136, 883, 719, 5_410, 7_148),
    "18": (86_138, 12_187, 21_367, 11_571, 14_047),
    "21": (136, 883, 719, 5_410, 7_148),
    "22": (11_678_876, 10_758_012, 15_351_455, 62_601_074, 100_389_418),
    "23": (86_138, 12_187, 21_351, 11_571, 14_045),
    "25": (D("-0.06"), D("4.55"), D("11702.15"), D("1634.24"), D("13340.89")),
}
T10_INPUT_ROWS = ("2", "3", "6", "8", "10", "12", "14", "17")
# How many rounded published inputs (per type) each derived Table 10 row adds up.
T10_DERIVED = {"4": 2, "7": 3, "9": 4, "11": 5, "13": 6, "15": 1, "16": 1}
T10_COMPLETION = D("1.072")


def pub(table: dict, ref: str, col: str) -> Decimal:
    return D(table[ref][COLUMNS.index(col) - 1 if col != TOTAL else 4])


def t10_inputs() -> dict[EnrollmentType, Table10Inputs]:
    fields = ("raw", "sequestration", "ime_dsh_ucc", "ncbp", "annualisation", "truncation",
              "weighted", "person_years")
    return {t: Table10Inputs(**{f: pub(T10, ref, t) for f, ref in
                                zip(fields, T10_INPUT_ROWS, strict=True)}) for t in TYPES}


@pytest.mark.parametrize("ref", sorted(T10_DERIVED))
def test_table_10_derived_rows_reproduce(ref: str) -> None:
    derived = by_ref(derive_table_10(t10_inputs(), T10_COMPLETION))
    k = T10_DERIVED[ref]
    for col in COLUMNS:
        # The total is derived from four types' rounded inputs.
        tol = HALF * (k * (4 if col == TOTAL else 1) + 1)
        value = derived[ref][col]
        assert value is not None
        assert abs(value - pub(T10, ref, col)) <= tol, (ref, col, value)


def test_table_10_published_columns_sum_to_total() -> None:
    # Table 10 notes: "By row, the values found in the last four columns ... sum to ... Total."
    for ref in ("2", "3", "4", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16"):
        assert abs(sum(D(v) for v in T10[ref][:4]) - D(T10[ref][4])) <= 2, ref


def test_table_10_completion_row_is_7_2_percent_of_row_14() -> None:
    for col in COLUMNS:
        assert abs(completion_amount(pub(T10, "14", col), T10_COMPLETION)
                   - pub(T10, "15", col)) <= HALF, col


def test_table_10_per_person_year_within_person_year_rounding() -> None:
    # Row 18 = 16 / 17 and row 22 = 21 * 23, but person-years are printed as whole numbers
    # ("additional precision in calculations is not shown"), so 16 / 17-as-printed does not give
    # row 18 to the dollar (ESRD: 11,678,876 / 136 = 85,874, published 86,138).  Row 18 must lie
    # within the range the unrounded person-years [py - 0.5, py + 0.5] allow.
    for col in COLUMNS:
        py = pub(T10, "17", col)
        for num_ref, ppy_ref in (("16", "18"), ("22", "23")):
            num, ppy = pub(T10, num_ref, col), pub(T10, ppy_ref, col)
            lo = per_person_year(num, py + HALF)
            hi = per_person_year(num, py - HALF)
            assert lo is not None and hi is not None
            assert lo - HALF <= ppy <= hi + HALF, (col, num_ref)
    assert round(per_person_year(pub(T10, "16", T.ESRD), D(136)) or 0) == 85874


def test_table_10_row_25_is_16_minus_22() -> None:
    for col in COLUMNS:
        assert abs(pub(T10, "16", col) - pub(T10, "22", col) - pub(T10, "25", col)) <= 1, col


def test_table_10_sequestration_row_is_not_two_98ths_of_raw() -> None:
    # Row 3 is 2.006%-2.027% of row 2 by type, not the 2/98 = 2.041% that `paid / 0.98 - paid`
    # gives on every claim: in the guide's example not every raw dollar was sequestered (the
    # guide does not say which).  Only row 4 = 2 + 3 is reproducible from the table.
    for t in TYPES:
        ratio = pub(T10, "3", t) / pub(T10, "2", t)
        assert D("0.0200") < ratio < D("0.0203")
        assert ratio < D(2) / D(98)


# --- Table 11 (ACO 2, Track 3) ------------------------------------------------------------------

T11 = {
    "6": (202_862, 116_860, 473_783, 1_012_840, 1_806_346),
    "7": (2_966_606, 1_608_347, 5_013_881, 10_943_325, 20_532_158),
    "11": (36_338, 92_918, 108_141, 492_720, 730_117),
    "13": (828_605, 428_490, 1_388_303, 2_957_187, 5_602_586),
    "19": (57, 288, 580, 1_553, 2_479),
    "20": (3_759_108, 1_943_753, 6_298_847, 13_415_647, 25_417_355),
    "21": (65_566, 6_743, 10_854, 8_639, 10_254),
    "22": (D("0.00"), D("166.39"), D("-574.12"), D("134.82"), D("-272.91")),
    "23": (D("0.000"), D("0.009"), D("-0.009"), D("0.001"), D("-0.001")),
}
T11_FACTORS = {T.ESRD: D("0.0122"), T.DISABLED: D("0.0578"), T.AGED_DUAL: D("0.0216"),
               T.AGED_NON_DUAL: D("0.0450")}
T11_COMPLETION = D("1.2828")


def t11_inputs() -> dict[EnrollmentType, Table11Inputs]:
    """Rows 8, 9, 12 and 14 are blank in the published table.  Row 14 = row 20 + row 22 (row 22
    is [14 - 20]); row 12 = 14 - 13, row 9 = 12 + 11; NCBP (row 8) is then 9 - 7.  Rows 2-4 are
    not usable (see below), so row 7 is entered as raw with no adjustments."""
    out = {}
    for t in TYPES:
        r14 = pub(T11, "20", t) + pub(T11, "22", t)
        r9 = r14 - pub(T11, "13", t) + pub(T11, "11", t)
        out[t] = Table11Inputs(raw=pub(T11, "7", t), sequestration=D(0), ime_dsh_ucc=D(0),
                               ncbp=r9 - pub(T11, "7", t), person_years=pub(T11, "19", t))
    return out


def test_table_11_derived_rows_reproduce() -> None:
    derived = by_ref(derive_table_11(t11_inputs(), T11_FACTORS, T11_COMPLETION))
    for t in TYPES:
        r9 = derived["9"][t]
        r12 = derived["12"][t]
        assert r9 is not None and r12 is not None
        # Factors are printed to 0.01% and the completion factor to 4 decimals: each derived
        # amount is within half a unit of the printed factor times its base (+ $1 of rounding).
        assert abs(derived["11"][t] - pub(T11, "11", t)) <= abs(r9) * D("0.00005") + 1, t
        assert abs(derived["13"][t] - pub(T11, "13", t)) <= (
            abs(r12) * D("0.00005") + D("0.3") * abs(r9) * D("0.00005") + 2), t
        assert abs(derived["14"][t] - pub(T11, "20", t) - pub(T11, "22", t)) <= (
            abs(r12) * D("0.0001") + abs(r9) * D("0.0001") + 2), t
    # Published totals: row 11 and 13 totals are the sums of the types.
    assert sum(D(v) for v in T11["11"][:4]) == D(T11["11"][4])
    assert abs(sum(D(v) for v in T11["13"][:4]) - D(T11["13"][4])) <= 1
    assert abs(sum(D(v) for v in T11["7"][:4]) - D(T11["7"][4])) <= 1
    # Notes: "$19.8 million in expenditures after truncation" (row 12 total).
    assert round((derived["12"][TOTAL] or D(0)) / D(100_000)) == 198


def test_table_11_implied_factors_round_to_the_printed_ones() -> None:
    for t in TYPES:
        i = t11_inputs()[t]
        r9 = i.raw + i.ncbp
        r12 = r9 - pub(T11, "11", t)
        assert round(pub(T11, "11", t) / r9, 4) == T11_FACTORS[t]
        assert round(ONE_ + pub(T11, "13", t) / r12, 4) == T11_COMPLETION



def test_table_11_ratios_rows_16_23() -> None:
    for col in COLUMNS:
        r14 = pub(T11, "20", col) + pub(T11, "22", col)
        py = pub(T11, "19", col)
        lo, hi = per_person_year(r14, py + HALF), per_person_year(r14, py - HALF)
        assert lo is not None and hi is not None
        assert lo - 1 <= pub(T11, "21", col) <= hi + 1, col
        # Row 23 = 22 / 20, printed as a percentage to 3 decimals.
        assert round(pub(T11, "22", col) / pub(T11, "20", col) * 100, 3) == pub(T11, "23", col)


def test_table_11_rows_2_to_4_are_copied_from_table_10() -> None:
    # Table 11 prints Table 10's rows 2 and 4 (ACO 1's $100.8M / $102.9M) for ACO 2, whose row 7
    # is $20.5M; row 7 = 4 - 6 therefore does not hold in the published Table 11.
    for t in TYPES:
        assert pub(T10, "4", t) - pub(T11, "6", t) != pub(T11, "7", t)


def test_table_11_from_beneficiaries() -> None:
    rows = [TypeExpenditure("A", T.ESRD, 3, D(49000), ime=D(1000), ncbp=D(100)),
            TypeExpenditure("B", T.AGED_DUAL, 2, D(9800), dsh=D(500), ucc=D(500))]
    factors = {t: D("0.05") for t in TYPES}
    out = by_ref(table_11(rows, factors, D("1.25")))
    assert out["9"][T.ESRD] == D(49100) and out["9"][T.AGED_DUAL] == D(9000)
    assert out["11"][T.ESRD] == D(2455) and out["12"][T.ESRD] == D(46645)
    assert out["14"][T.ESRD] == D("58306.25")
    assert out["15"][T.ESRD] == D("0.25") and out["16"][T.ESRD] == D("233225")
    assert out["10"][TOTAL] is None
    assert out["14"][TOTAL] == D("58306.25") + D(9000) * D("0.95") * D("1.25")
    with pytest.raises(ValueError, match="AGED/NON-DUAL"):
        table_11(rows, {T.ESRD: D(0)}, D(1))


# --- edge cases ---------------------------------------------------------------------------------

def test_pre_sequestration_order_of_operations() -> None:
    # CLM_PMT = (BASE + IME + DSH + UCC) * 0.98: with BASE 1000, IME 100, DSH 50, UCC 10,
    # CLM_PMT = 1136.80 and the pre-sequestration net payment is exactly BASE.
    assert pre_sequestration_payment(D("1136.80"), D(100), D(50), D(10)) == D(1000)
    assert sequestration_adjustment(D(98)) == D(2)


def test_zero_months() -> None:
    c = contribution(TypeExpenditure("Z", T.ESRD, 0, D(0)), D(1000))
    assert (c.weighted, c.person_years, c.annualised) == (D(0), D(0), None)
    with pytest.raises(ValueError, match="zero months"):
        contribution(TypeExpenditure("Z", T.ESRD, 0, D(98)), D(1000))
    with pytest.raises(ValueError):
        annualise(D(1), 0)
    with pytest.raises(ValueError):
        TypeExpenditure("Z", T.ESRD, 13, D(0))
    assert per_person_year(D(5), D(0)) is None


def test_threshold_exactly_at_the_value() -> None:
    # Annualised 7 * 12 / 7 = 12: equal to the threshold, not truncated.
    c = contribution(TypeExpenditure("E", T.DISABLED, 7, D("6.86")), D(12))
    assert c.total == D(7) and not c.truncated and c.weighted == D(7)
    assert truncate(D(12), D(12)) == D(12)
    over = contribution(TypeExpenditure("E", T.DISABLED, 7, D("6.86") + D("0.01")), D(12))
    assert over.truncated and over.weighted == D(7)


def test_negative_net_paid_is_not_floored() -> None:
    c = contribution(TypeExpenditure("N", T.AGED_NON_DUAL, 6, D(-98), ime=D(10)), D(1000))
    assert c.total == D(-110) and c.annualised == D(-220) and c.weighted == D(-110)
    assert not c.truncated


def test_factor_and_completion_steps() -> None:
    assert apply_truncation_factor(D(1000), D("0.0122")) == D("12.2")
    assert completion_amount(D(1000), D("1.072")) == D(72)


def test_missing_threshold_is_named() -> None:
    with pytest.raises(ValueError, match="ESRD"):
        table_10([TypeExpenditure("A", T.ESRD, 1, D(1))], {}, D(1))


def test_generated_data_against_independent_fraction_computation() -> None:
    rng = random.Random(4)
    thresholds = {T.ESRD: D(90000), T.DISABLED: D(40000), T.AGED_DUAL: D(50000),
                  T.AGED_NON_DUAL: D(30000)}
    cf = D("1.0315")
    rows = []
    for b in range(300):
        months_left = 12
        for t in rng.sample(TYPES, rng.randint(1, 3)):
            m = rng.randint(0 if months_left == 0 else 1, months_left)
            months_left -= m
            paid = D(rng.randint(-50_000, 6_000_000)) / 100 if m else D(0)
            extra = {k: D(rng.randint(0, 20_000)) / 100 if m else D(0)
                     for k in ("ime", "dsh", "ucc", "ncbp")}
            rows.append(TypeExpenditure(f"B{b}", t, m, paid, **extra))
    got = by_ref(table_10(rows, thresholds, cf))
    # Independent: exact rationals, annualise/truncate/weight literally as Table 9 does it.
    exp_total, exp_py = Fraction(0), Fraction(0)
    for t in TYPES:
        total, py = Fraction(0), Fraction(0)
        for r in (r for r in rows if r.enrollment_type == t and r.months):
            net = (Fraction(r.paid) / Fraction("0.98") - Fraction(r.ime) - Fraction(r.dsh)
                   - Fraction(r.ucc) + Fraction(r.ncbp))
            ef = Fraction(r.months, 12)
            total += min(net / ef, Fraction(thresholds[t])) * ef
            py += ef
        total *= Fraction(cf)
        assert abs(Fraction(got["16"][t]) - total) < Fraction(1, 10**12), t
        assert got["17"][t] == D(py.numerator) / D(py.denominator)
        exp_total += total
        exp_py += py
    assert abs(Fraction(got["18"][TOTAL]) - exp_total / exp_py) < Fraction(1, 10**12)
