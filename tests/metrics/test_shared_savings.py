"""Unit tests for the shared savings engine, one rule at a time (methodology sections)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from aco_pipeline.errors import AcoError
from aco_pipeline.metrics.shared_savings import (
    RevenueCategory,
    SettlementInputError,
    SettlementInputs,
    Track,
    settle,
    variable_msr,
)

D = Decimal


def inputs(**kw: object) -> SettlementInputs:
    base: dict[str, object] = {
        "aco_id": "T", "performance_year": 2022, "track": Track.BASIC_B,
        "assigned_beneficiaries": 20000, "benchmark": D(100_000_000),
        "expenditures": D(95_000_000), "quality_score": D(80), "met_qps": True,
    }
    base.update(kw)
    return SettlementInputs(**base)  # type: ignore[arg-type]


# --- MSR table -----------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "expected"), [
    (1, "0.122"), (499, "0.122"), (500, "0.122"), (999, "0.087"), (1000, "0.087"),
    (2999, "0.050"), (3000, "0.050"), (4999, "0.039"), (5000, "0.039"), (5999, "0.036"),
    (6000, "0.036"), (9999, "0.030"), (10000, "0.030"), (14999, "0.027"), (15000, "0.027"),
    (19999, "0.025"), (20000, "0.025"), (49999, "0.022"), (50000, "0.022"), (59999, "0.020"),
    (60000, "0.020"), (250000, "0.020"),
])
def test_msr_band_edges(n: int, expected: str) -> None:
    assert variable_msr(n) == D(expected)


def test_msr_linear_and_unrounded_within_band() -> None:
    # 10,000-14,999: 3.0% -> 2.7% over 4,999 steps.
    n = 10274
    assert variable_msr(n) == D("0.030") + D(274) / D(4999) * (D("0.027") - D("0.030"))
    assert variable_msr(n) != variable_msr(n).quantize(D("0.0001"))
    # midpoint of 500-999
    assert variable_msr(750) == D("0.122") + D(250) / D(499) * (D("0.087") - D("0.122"))


def test_msr_rejects_empty_aco() -> None:
    with pytest.raises(SettlementInputError, match="positive") as err:
        variable_msr(0)
    assert isinstance(err.value, AcoError) and isinstance(err.value, ValueError)


def test_unrounded_msr_decides_between_rounded_and_exact() -> None:
    # N=10,274: MSR 2.98356%, rounds to 2.98%; a 2.982% savings rate is below the exact MSR.
    res = settle(inputs(assigned_beneficiaries=10274, benchmark=D(100_000_000),
                        expenditures=D(97_018_000)))
    assert res.savings_rate == D("0.02982")
    assert res.generated == 0 and res.earned == 0


# --- elections and the < 5,000 rule ---------------------------------------------------------

def test_one_sided_ignores_election() -> None:
    res = settle(inputs(elected_msr=D(0)))
    assert res.msr == variable_msr(20000) and res.mlr is None


def test_two_sided_elected_msr() -> None:
    res = settle(inputs(track=Track.BASIC_E, elected_msr=D("0.005"),
                        expenditures=D(99_000_000)))
    assert res.msr == res.mlr == D("0.005")
    assert res.generated == D(1_000_000)
    assert res.earned == D(1_000_000) * D("0.5") * D("0.98")


def test_small_aco_uses_variable_table_despite_election() -> None:
    res = settle(inputs(track=Track.BASIC_E, assigned_beneficiaries=4999,
                        elected_msr=D("0.005"), expenditures=D(99_000_000)))
    assert res.msr == variable_msr(4999) == D("0.039")
    assert res.generated == 0
    assert any("< 5000" in n for n in res.notes)
    at_5000 = settle(inputs(track=Track.BASIC_E, assigned_beneficiaries=5000,
                            elected_msr=D("0.005"), expenditures=D(99_000_000)))
    assert at_5000.msr == D("0.005")


def test_savings_at_exactly_msr_are_first_dollar() -> None:
    res = settle(inputs(assigned_beneficiaries=20000, expenditures=D(97_500_000)))
    assert res.savings_rate == res.msr == D("0.025")
    assert res.generated == D(2_500_000)


# --- sharing rates, quality, sequestration, caps -----------------------------------------

@pytest.mark.parametrize(("track", "rate"), [
    (Track.BASIC_A, "0.40"), (Track.BASIC_B, "0.40"), (Track.BASIC_C, "0.50"),
    (Track.BASIC_D, "0.50"), (Track.BASIC_E, "0.50"), (Track.ENHANCED, "0.75"),
    (Track.TRACK_1, "0.50"), (Track.TRACK_1_PLUS, "0.50"), (Track.TRACK_2, "0.60"),
    (Track.TRACK_3, "0.75"),
])
def test_max_sharing_rate_when_qps_met(track: Track, rate: str) -> None:
    res = settle(inputs(track=track, quality_score=D("55.5")))
    assert res.share_rate == D(rate)  # not scaled by quality since PY2021
    assert res.earned == D(5_000_000) * D(rate) * D("0.98")


def test_sequestration_two_percent_on_savings_only() -> None:
    res = settle(inputs())
    assert res.shared_savings == D(2_000_000)
    assert res.sequestration == D(-40_000)
    assert res.earned == D(1_960_000)
    loss = settle(inputs(track=Track.BASIC_E, expenditures=D(105_000_000)))
    assert loss.sequestration == 0
    assert loss.earned == D(-5_000_000) * D("0.30")


def test_qps_not_met_no_savings() -> None:
    res = settle(inputs(met_qps=False))
    assert res.generated == D(5_000_000) and res.share_rate == 0 and res.earned == 0


def test_alternative_qps_scales_by_quality_from_2023() -> None:
    res = settle(inputs(performance_year=2023, met_qps=False, met_alt_qps=True,
                        quality_score=D("62.5")))
    assert res.share_rate == D("0.40") * D("0.625")
    assert res.earned == D(5_000_000) * D("0.25") * D("0.98")
    before = settle(inputs(performance_year=2022, met_qps=False, met_alt_qps=True))
    assert before.earned == 0


def test_savings_cap_basic_and_enhanced() -> None:
    # 30% savings * 40% = 12% of B > 10% cap.
    res = settle(inputs(expenditures=D(70_000_000)))
    assert res.cap_applied and res.shared_savings == D(10_000_000)
    assert res.earned == D(9_800_000)
    en = settle(inputs(track=Track.ENHANCED, expenditures=D(70_000_000)))
    assert en.cap_applied and en.shared_savings == D(20_000_000)
    below = settle(inputs(track=Track.ENHANCED, expenditures=D(80_000_000)))
    assert not below.cap_applied and below.shared_savings == D(15_000_000)


# --- losses --------------------------------------------------------------------------------

def test_losses_only_beyond_mlr() -> None:
    inside = settle(inputs(track=Track.BASIC_C, elected_msr=D("0.02"),
                           expenditures=D(101_500_000)))
    assert inside.generated == 0 and inside.earned == 0
    at = settle(inputs(track=Track.BASIC_C, elected_msr=D("0.02"),
                       expenditures=D(102_000_000)))
    assert at.generated == D(-2_000_000)
    assert at.earned == D(-600_000)


def test_one_sided_never_owes() -> None:
    res = settle(inputs(track=Track.BASIC_A, expenditures=D(120_000_000)))
    assert res.generated == 0 and res.earned == 0


@pytest.mark.parametrize(("quality", "met", "rate"), [
    (D(100), True, "0.40"),      # 1 - 0.75 = 25% -> floor 40%
    (D(50), True, "0.625"),      # 1 - 0.375
    (D(20), True, "0.75"),       # 1 - 0.15 = 85% -> ceiling 75%
    (D(90), False, "0.75"),      # QPS missed: 75%
])
def test_enhanced_loss_rate(quality: Decimal, met: bool, rate: str) -> None:
    res = settle(inputs(track=Track.ENHANCED, quality_score=quality, met_qps=met,
                        elected_msr=D(0), expenditures=D(101_000_000)))
    assert res.loss_rate == D(rate)
    assert res.earned == D(-1_000_000) * D(rate)


def test_track2_loss_rate_and_limit_by_year() -> None:
    res = settle(inputs(track=Track.TRACK_2, quality_score=D(50), elected_msr=D(0),
                        expenditures=D(130_000_000), agreement_year=1))
    assert res.loss_rate == D("0.60")  # 1 - 0.3 = 70% -> ceiling 60%
    assert res.limit_applied and res.earned == D(-5_000_000)  # 5% of B in year 1
    year3 = settle(inputs(track=Track.TRACK_2, quality_score=D(50), elected_msr=D(0),
                          expenditures=D(130_000_000), agreement_year=3))
    assert year3.earned == D(-10_000_000)


def test_enhanced_loss_limit_15_percent() -> None:
    res = settle(inputs(track=Track.ENHANCED, met_qps=False, elected_msr=D(0),
                        expenditures=D(130_000_000)))
    assert res.limit_applied and res.earned == D(-15_000_000)


@pytest.mark.parametrize(("track", "rev_frac", "bmk_frac"), [
    (Track.BASIC_C, "0.02", "0.01"), (Track.BASIC_D, "0.04", "0.02"),
    (Track.BASIC_E, "0.08", "0.04"),
])
def test_basic_loss_limit_min_of_revenue_and_benchmark(track: Track, rev_frac: str,
                                                       bmk_frac: str) -> None:
    big_loss = {"track": track, "elected_msr": D(0), "expenditures": D(150_000_000)}
    low_rev = settle(inputs(**big_loss, participant_revenue=D(10_000_000)))
    assert low_rev.limit_applied and low_rev.earned == -D(rev_frac) * D(10_000_000)
    high_rev = settle(inputs(**big_loss, participant_revenue=D(10_000_000_000)))
    assert high_rev.limit_applied and high_rev.earned == -D(bmk_frac) * D(100_000_000)
    unknown = settle(inputs(**big_loss))
    assert unknown.loss_limit_uncertain and unknown.loss_limit is None
    assert unknown.earned == -D(bmk_frac) * D(100_000_000)  # the known upper bound
    known_bmk = settle(inputs(**big_loss, revenue_limit_lower=False))
    assert not known_bmk.loss_limit_uncertain


# --- EUC -----------------------------------------------------------------------------------

def test_euc_full_year_offsets_every_loss() -> None:
    res = settle(inputs(track=Track.BASIC_E, elected_msr=D(0), expenditures=D(103_000_000),
                        euc_share=D(1)))
    assert res.shared_losses == D(-900_000)
    assert res.euc_adjustment == D(-900_000)  # PUF DisAdj convention
    assert res.earned == 0


def test_euc_partial_year() -> None:
    share = D(5) / D(12)
    res = settle(inputs(track=Track.BASIC_E, elected_msr=D(0), expenditures=D(103_000_000),
                        euc_share=share))
    assert res.earned == D(-900_000) - D(-900_000) * share


def test_euc_does_not_touch_savings() -> None:
    assert settle(inputs(euc_share=D(1))).earned == D(1_960_000)
    assert settle(inputs(euc_adjustment=D(-5))).earned == D(1_960_000)


def test_published_euc_adjustment_replaces_the_share() -> None:
    # Methodology "Earned losses": earned = capped loss - DisAdj (DisAdj <= 0), PY2023+.
    res = settle(inputs(track=Track.BASIC_E, elected_msr=D(0), expenditures=D(103_000_000),
                        euc_share=D(1), euc_adjustment=D(-375_500)))
    assert res.shared_losses == D(-900_000)
    assert res.euc_adjustment == D(-375_500)
    assert res.earned == D(-524_500)
    assert res.euc_share == D(-375_500) / D(-900_000)


def test_positive_euc_adjustment_is_rejected() -> None:
    with pytest.raises(SettlementInputError, match="EUC adjustment must be <= 0"):
        settle(inputs(track=Track.BASIC_E, euc_adjustment=D(1)))


# --- reduced-rate savings below the MSR (PY2024+) ----------------------------------------

def reduced(**kw: object) -> SettlementInputs:
    base: dict[str, object] = {
        "performance_year": 2024, "track": Track.BASIC_B, "expenditures": D(99_000_000),
        "revenue_category": RevenueCategory.LOW, "agreement_start": date(2024, 1, 1),
    }
    base.update(kw)
    return inputs(**base)


def test_reduced_rate_savings() -> None:
    res = settle(reduced())
    assert res.reduced_rate and res.share_rate == D("0.20")
    assert res.earned == D(1_000_000) * D("0.20") * D("0.98")


@pytest.mark.parametrize("change", [
    {"revenue_category": RevenueCategory.HIGH},
    {"agreement_start": date(2023, 1, 1)},
    {"assigned_beneficiaries": 4999},
    {"met_qps": False},
    {"track": Track.ENHANCED},
])
def test_reduced_rate_conditions(change: dict[str, object]) -> None:
    res = settle(reduced(**change))
    assert not res.reduced_rate and res.earned == 0


def test_published_savings_used_when_given() -> None:
    res = settle(inputs(savings=D(5_000_001)))
    assert res.savings == D(5_000_001)
    with pytest.raises(ValueError, match="benchmark - expenditures"):
        settle(inputs(savings=D(4_000_000)))


def test_arithmetic_is_decimal() -> None:
    res = settle(inputs(track=Track.ENHANCED, quality_score=D("89.41")))
    for value in (res.savings_rate, res.msr, res.share_rate, res.earned, res.loss_rate):
        assert isinstance(value, Decimal)


def test_published_py2023_enhanced_loss_with_dis_adj() -> None:
    # CMS PY2023 results, ACO A2029 (public): ENHANCED, MLR 0%, Q = 82.45 -> loss rate
    # 1 - 0.75 x 0.8245 = 38.2% -> floor 40%; loss 40% of -15,884,998 = -6,353,999.2;
    # published DisAdj -2,649,296, EarnSaveLoss -3,704,703.
    res = settle(SettlementInputs(
        aco_id="A2029", performance_year=2023, track=Track.ENHANCED,
        assigned_beneficiaries=36551, benchmark=D(411_787_704), expenditures=D(427_672_702),
        quality_score=D("82.45"), met_qps=True, elected_msr=D(0),
        euc_adjustment=D(-2_649_296), savings=D(-15_884_998)))
    assert res.loss_rate == D("0.40")
    assert res.shared_losses == D("-6353999.20")
    assert abs(res.earned - D(-3_704_703)) <= 1
