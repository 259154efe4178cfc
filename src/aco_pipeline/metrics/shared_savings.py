"""MSSP shared savings and losses: one ACO, one performance year, in exact decimals.

The specification is `shared/reference/mssp-methodology.md` (compiled from 42 CFR part 425 and the
Federal Register rules); every rule below names the methodology section and the CFR paragraph it
implements.  Rates are fractions (0.02 is 2%), money is `Decimal` dollars, and nothing is rounded:
CMS rounds only the published totals, so callers compare results within $1.

`settle(SettlementInputs) -> SettlementResult` is the whole engine; it does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from aco_pipeline.errors import AcoError

ZERO = Decimal(0)
ONE = Decimal(1)

# Methodology "Sharing rate and earned amounts": the 2% sequestration of shared-savings payments
# (not applied to shared losses).
SEQUESTRATION_RATE = Decimal("0.02")

# Methodology "MSR/MLR": the symmetric MSR/MLR a two-sided ACO may elect (§425.605(b)(2)(i),
# §425.610(b)(2)(i)); "variable" is represented as `elected_msr=None`.
MSR_ELECTIONS: tuple[Decimal, ...] = tuple(
    Decimal(x) for x in ("0", "0.005", "0.010", "0.015", "0.020")
)

# Methodology "MSR/MLR", §425.605(b)(1)(ii) and §425.610(b)(2)(ii)(B): ACOs with fewer than
# 5,000 assigned beneficiaries use the variable table whatever they elected.
SMALL_ACO_THRESHOLD = 5000

# Methodology "MSR/MLR" variable table, §425.604(b) / §425.605(b)(1): (lo, hi, rate at lo,
# rate at hi); linear within each band, unrounded.  The last band is open-ended.
MSR_TABLE: tuple[tuple[int, int, Decimal, Decimal], ...] = tuple(
    (lo, hi, Decimal(a) / 100, Decimal(b) / 100)
    for lo, hi, a, b in (
        (1, 499, "12.2", "12.2"),
        (500, 999, "12.2", "8.7"),
        (1000, 2999, "8.7", "5.0"),
        (3000, 4999, "5.0", "3.9"),
        (5000, 5999, "3.9", "3.6"),
        (6000, 6999, "3.6", "3.4"),
        (7000, 7999, "3.4", "3.2"),
        (8000, 8999, "3.2", "3.1"),
        (9000, 9999, "3.1", "3.0"),
        (10000, 14999, "3.0", "2.7"),
        (15000, 19999, "2.7", "2.5"),
        (20000, 49999, "2.5", "2.2"),
        (50000, 59999, "2.2", "2.0"),
        (60000, 60000, "2.0", "2.0"),
    )
)

# First agreement start date eligible for reduced-rate savings below the MSR (§425.605(h)).
REDUCED_RATE_FIRST_START = date(2024, 1, 1)


class SettlementInputError(AcoError, ValueError):
    """Inputs the engine cannot settle (a non-positive benchmark, inconsistent savings, ...)."""


class Track(StrEnum):
    """Participation track; values are the PY2022+ PUF `Current_Track` codes (legacy: numbers)."""

    BASIC_A = "A"
    BASIC_B = "B"
    BASIC_C = "C"
    BASIC_D = "D"
    BASIC_E = "E"
    ENHANCED = "EN"
    TRACK_1 = "1"
    TRACK_1_PLUS = "1+"
    TRACK_2 = "2"
    TRACK_3 = "3"


BASIC_TRACKS = frozenset({Track.BASIC_A, Track.BASIC_B, Track.BASIC_C, Track.BASIC_D,
                          Track.BASIC_E})


class RevenueCategory(StrEnum):
    LOW = "low"
    HIGH = "high"


@dataclass(frozen=True)
class TrackTerms:
    """The financial terms of a track (methodology "Tracks")."""

    two_sided: bool
    max_share_rate: Decimal
    savings_cap: Decimal  # performance payment limit, fraction of B
    citation: str
    flat_loss_rate: Decimal | None = None
    # Quality-based loss rate 1 - coef * Q, kept within [floor, ceiling] (ceiling if QPS missed).
    loss_quality_coef: Decimal | None = None
    loss_rate_floor: Decimal | None = None
    loss_rate_ceiling: Decimal | None = None
    loss_limit_revenue: Decimal | None = None  # fraction of ACO participant A+B FFS revenue
    loss_limit_benchmark: Decimal | None = None  # fraction of B


def _d(text: str) -> Decimal:
    return Decimal(text)


TRACK_TERMS: dict[Track, TrackTerms] = {
    Track.BASIC_A: TrackTerms(False, _d("0.40"), _d("0.10"), "§425.605(d)(1)(i)-(ii)"),
    Track.BASIC_B: TrackTerms(False, _d("0.40"), _d("0.10"), "§425.605(d)(1)(i)-(ii)"),
    Track.BASIC_C: TrackTerms(True, _d("0.50"), _d("0.10"), "§425.605(d)(1)(iii)",
                              flat_loss_rate=_d("0.30"), loss_limit_revenue=_d("0.02"),
                              loss_limit_benchmark=_d("0.01")),
    Track.BASIC_D: TrackTerms(True, _d("0.50"), _d("0.10"), "§425.605(d)(1)(iv)",
                              flat_loss_rate=_d("0.30"), loss_limit_revenue=_d("0.04"),
                              loss_limit_benchmark=_d("0.02")),
    Track.BASIC_E: TrackTerms(True, _d("0.50"), _d("0.10"), "§425.605(d)(1)(v)",
                              flat_loss_rate=_d("0.30"), loss_limit_revenue=_d("0.08"),
                              loss_limit_benchmark=_d("0.04")),
    Track.ENHANCED: TrackTerms(True, _d("0.75"), _d("0.20"), "§425.610(d)-(f)",
                               loss_quality_coef=_d("0.75"), loss_rate_floor=_d("0.40"),
                               loss_rate_ceiling=_d("0.75"), loss_limit_benchmark=_d("0.15")),
    # Legacy tracks (agreements before 7/1/2019, performance years up to 2021).
    Track.TRACK_1: TrackTerms(False, _d("0.50"), _d("0.10"), "§425.604(d)-(e)"),
    # Track 1+ model: BASIC E-like terms (30% flat, min(8% revenue, 4% of B)).
    Track.TRACK_1_PLUS: TrackTerms(True, _d("0.50"), _d("0.10"), "Track 1+ Model terms",
                                   flat_loss_rate=_d("0.30"), loss_limit_revenue=_d("0.08"),
                                   loss_limit_benchmark=_d("0.04")),
    # Track 2 loss limit is 5% / 7.5% / 10% of B by agreement year (§425.606(f)); see
    # `_track2_limit`.
    Track.TRACK_2: TrackTerms(True, _d("0.60"), _d("0.15"), "§425.606(d)-(f)",
                              loss_quality_coef=_d("0.60"), loss_rate_floor=_d("0.40"),
                              loss_rate_ceiling=_d("0.60"), loss_limit_benchmark=_d("0.10")),
    Track.TRACK_3: TrackTerms(True, _d("0.75"), _d("0.20"), "§425.610(d)-(f)",
                              loss_quality_coef=_d("0.75"), loss_rate_floor=_d("0.40"),
                              loss_rate_ceiling=_d("0.75"), loss_limit_benchmark=_d("0.15")),
}


@dataclass(frozen=True)
class SettlementInputs:
    """What CMS's reconciliation needs for one ACO and performance year.

    Rates are fractions; `quality_score` is in points (0-100, PUF `QualScore`).
    """

    aco_id: str
    performance_year: int
    track: Track
    assigned_beneficiaries: int  # N (PUF N_AB)
    benchmark: Decimal  # B (ABtotBnchmk)
    expenditures: Decimal  # E (ABtotExp)
    quality_score: Decimal | None = None
    met_qps: bool = True
    met_alt_qps: bool = False
    # None: the variable MSR/MLR table (always the case for one-sided ACOs).
    elected_msr: Decimal | None = None
    # Share of the loss offset for extreme and uncontrollable circumstances: share of the year in
    # an emergency x share of assigned beneficiaries in affected areas (0..1).
    euc_share: Decimal = ZERO
    # The EUC adjustment in dollars (PUF `DisAdj` convention, <= 0) when CMS published it; used
    # instead of `euc_share` (PY2023+: the share of beneficiaries in affected areas is not public).
    euc_adjustment: Decimal | None = None
    revenue_category: RevenueCategory | None = None
    agreement_start: date | None = None
    agreement_year: int | None = None  # 1 = first PY of the agreement period (Track 2 limit)
    participant_revenue: Decimal | None = None  # ACO participants' A+B FFS revenue (unpublished)
    # Whether the revenue-based loss limit is below the benchmark-based one (PY2021 PUF
    # `RevLossLimit`); False lets the benchmark-based limit stand when revenue is unknown.
    revenue_limit_lower: bool | None = None
    # S = B - E.  When CMS publishes S itself (PUF `BnchmkMinExp`, rounded once from the exact
    # amount) it is closer to the exact S than B - E, which compounds the rounding of B and E.
    savings: Decimal | None = None


@dataclass
class SettlementResult:
    aco_id: str
    performance_year: int
    track: Track
    savings: Decimal  # S = B - E
    savings_rate: Decimal  # r = S / B
    msr: Decimal  # unrounded
    mlr: Decimal | None  # None for one-sided ACOs
    generated: Decimal  # generated savings (> 0) or losses (< 0), first dollar
    share_rate: Decimal
    loss_rate: Decimal | None
    savings_cap: Decimal | None  # dollars, when savings were generated
    cap_applied: bool
    loss_limit: Decimal | None  # dollars; None when unknown (unpublished revenue) or n/a
    limit_applied: bool
    reduced_rate: bool
    shared_savings: Decimal  # before sequestration
    sequestration: Decimal  # <= 0
    shared_losses: Decimal  # after the loss limit, before EUC (<= 0)
    euc_adjustment: Decimal  # PUF DisAdj convention: <= 0, earned = shared_losses - euc_adj
    earned: Decimal  # earned savings (> 0) or owed losses (< 0)
    # True when the loss limit depends on unpublished participant revenue and might bind.
    loss_limit_uncertain: bool = False
    notes: list[str] = field(default_factory=list)
    # Share of the loss offset for EUCs: the input share, or DisAdj / shared losses.
    euc_share: Decimal = ZERO


def variable_msr(n: int) -> Decimal:
    """Variable MSR (= MLR) for `n` assigned beneficiaries, linear within bands, unrounded.

    Methodology "MSR/MLR" table; §425.604(b), §425.605(b)(1)(i).
    """
    if n < 1:
        raise SettlementInputError(f"assigned beneficiaries must be positive, got {n}")
    for lo, hi, rate_lo, rate_hi in MSR_TABLE:
        if n <= hi:
            if hi == lo or rate_lo == rate_hi:
                return rate_lo
            return rate_lo + Decimal(n - lo) / Decimal(hi - lo) * (rate_hi - rate_lo)
    return MSR_TABLE[-1][3]


def _quality_fraction(inputs: SettlementInputs) -> Decimal | None:
    if inputs.quality_score is None:
        return None
    return inputs.quality_score / 100


def choose_msr(inputs: SettlementInputs, terms: TrackTerms, notes: list[str]) -> Decimal:
    """Methodology "MSR/MLR": variable for one-sided ACOs; elected or variable for two-sided,
    variable regardless of election below 5,000 beneficiaries (§425.605(b), §425.610(b))."""
    table = variable_msr(inputs.assigned_beneficiaries)
    if not terms.two_sided:
        notes.append(f"one-sided: variable MSR {table:.6%} for N={inputs.assigned_beneficiaries}")
        return table
    if inputs.elected_msr is None:
        notes.append(f"two-sided, variable MSR/MLR {table:.6%}")
        return table
    if inputs.assigned_beneficiaries < SMALL_ACO_THRESHOLD:
        notes.append(
            f"N={inputs.assigned_beneficiaries} < {SMALL_ACO_THRESHOLD}: variable MSR/MLR "
            f"{table:.6%} replaces the elected {inputs.elected_msr:.2%}"
        )
        return table
    notes.append(f"two-sided, elected MSR/MLR {inputs.elected_msr:.2%}")
    return inputs.elected_msr


def quality_multiplier(inputs: SettlementInputs, notes: list[str]) -> Decimal:
    """Methodology "Sharing rate" and "QPS": 1 if the QPS is met (PY2021+, §425.605(d)(1)(i)(A),
    §425.610(d)); Q under the alternative QPS (PY2023+, §425.512(a)(4)(ii)); else 0.
    Before PY2021 the quality score scaled the sharing rate of ACOs meeting the standard."""
    q = _quality_fraction(inputs)
    if inputs.performance_year < 2021:
        if not inputs.met_qps or q is None:
            notes.append("quality standard not met: no savings")
            return ZERO
        notes.append(f"pre-2021: sharing rate scaled by quality score {q}")
        return q
    if inputs.met_qps:
        return ONE
    if inputs.met_alt_qps and inputs.performance_year >= 2023 and q is not None:
        notes.append(f"alternative QPS met: sharing rate scaled by quality score {q}")
        return q
    notes.append("QPS not met: no shared savings")
    return ZERO


def loss_rate(inputs: SettlementInputs, terms: TrackTerms, notes: list[str]) -> Decimal | None:
    """Methodology "Tracks": 30% flat in BASIC C-E (§425.605(d)(1)(iii)-(v)); ENHANCED
    1 - 0.75*Q within [40%, 75%], 75% if neither QPS nor alternative QPS is met (§425.610(d)(2));
    Track 2 1 - 0.6*Q within [40%, 60%] (§425.606(d)(2))."""
    if not terms.two_sided:
        return None
    if terms.flat_loss_rate is not None:
        return terms.flat_loss_rate
    assert terms.loss_quality_coef is not None
    assert terms.loss_rate_floor is not None and terms.loss_rate_ceiling is not None
    q = _quality_fraction(inputs)
    quality_ok = inputs.met_qps or (inputs.met_alt_qps and inputs.performance_year >= 2023)
    if not quality_ok:
        notes.append(f"quality standard not met: loss rate {terms.loss_rate_ceiling:.0%}")
        return terms.loss_rate_ceiling
    if q is None:
        notes.append(f"quality score unavailable: maximum loss rate {terms.loss_rate_ceiling:.0%}")
        return terms.loss_rate_ceiling
    rate = ONE - terms.loss_quality_coef * q
    return min(max(rate, terms.loss_rate_floor), terms.loss_rate_ceiling)


def reduced_rate_eligible(inputs: SettlementInputs, r: Decimal, msr: Decimal) -> bool:
    """Methodology "Reduced-rate savings" (§425.605(h)): BASIC, low revenue, agreement starting
    on or after 1/1/2024, QPS met, N >= 5,000 and 0 < r < MSR."""
    return (
        inputs.track in BASIC_TRACKS
        and inputs.revenue_category is RevenueCategory.LOW
        and inputs.agreement_start is not None
        and inputs.agreement_start >= REDUCED_RATE_FIRST_START
        and inputs.met_qps
        and inputs.assigned_beneficiaries >= SMALL_ACO_THRESHOLD
        and ZERO < r < msr
    )


def _loss_limit(inputs: SettlementInputs, terms: TrackTerms,
                notes: list[str]) -> tuple[Decimal | None, Decimal | None]:
    """(limit, benchmark-based upper bound), both as positive dollars.

    BASIC C-E: min(x% of participant revenue, y% of B) (§425.605(d)(1)(iii)(C)-(v)(C));
    ENHANCED/Track 3: 15% of B (§425.610(f)); Track 2: 5/7.5/10% of B by agreement year
    (§425.606(f)).  Limit None = revenue-based and revenue unknown."""
    b = inputs.benchmark
    frac = terms.loss_limit_benchmark
    if inputs.track is Track.TRACK_2 and inputs.agreement_year is not None:
        frac = {1: _d("0.05"), 2: _d("0.075")}.get(inputs.agreement_year, _d("0.10"))
    bmk_limit = frac * b if frac is not None else None
    if terms.loss_limit_revenue is None:
        return bmk_limit, bmk_limit
    if inputs.participant_revenue is None:
        if inputs.revenue_limit_lower is False:
            notes.append("benchmark-based loss limit (revenue-based limit not lower)")
            return bmk_limit, bmk_limit
        return None, bmk_limit
    rev_limit = terms.loss_limit_revenue * inputs.participant_revenue
    if bmk_limit is None or rev_limit < bmk_limit:
        notes.append(f"revenue-based loss limit {terms.loss_limit_revenue:.0%} of revenue")
        return rev_limit, bmk_limit
    return bmk_limit, bmk_limit


def settle(inputs: SettlementInputs) -> SettlementResult:
    """Earned shared savings or owed shared losses for one ACO (methodology, all sections)."""
    terms = TRACK_TERMS[inputs.track]
    notes: list[str] = []
    b, e = inputs.benchmark, inputs.expenditures
    if inputs.euc_adjustment is not None and inputs.euc_adjustment > 0:
        raise SettlementInputError(
            f"{inputs.aco_id}: EUC adjustment must be <= 0 (DisAdj convention), got "
            f"{inputs.euc_adjustment}")
    if b <= 0:
        raise SettlementInputError(f"{inputs.aco_id}: benchmark must be positive, got {b}")
    s = b - e
    if inputs.savings is not None:
        if abs(inputs.savings - s) > 2:
            raise SettlementInputError(
                f"{inputs.aco_id}: savings {inputs.savings} is not benchmark - expenditures ({s})"
            )
        s = inputs.savings
    r = s / b
    msr = choose_msr(inputs, terms, notes)
    mlr = msr if terms.two_sided else None
    multiplier = quality_multiplier(inputs, notes)
    lrate = loss_rate(inputs, terms, notes)

    generated = ZERO
    share_rate = terms.max_share_rate * multiplier
    reduced = False
    # Methodology "Generated savings or losses": first dollar once r >= MSR (§425.605(c),
    # §425.610(c)); losses once r <= -MLR (two-sided only, §425.605(d)(1)(iii)(B)).
    if s > 0 and r >= msr:
        generated = s
        notes.append(f"savings rate {r:.4%} >= MSR {msr:.4%}: savings generated from first dollar")
    elif s > 0 and reduced_rate_eligible(inputs, r, msr):
        generated = s
        reduced = True
        share_rate = share_rate / 2
        notes.append("reduced-rate savings below the MSR (§425.605(h)): half the sharing rate")
    elif s > 0:
        notes.append(f"savings rate {r:.4%} below MSR {msr:.4%}: no savings")
    elif s < 0 and mlr is not None and r <= -mlr:
        generated = s
        notes.append(f"savings rate {r:.4%} <= -MLR {mlr:.4%}: losses from first dollar")
    elif s < 0 and mlr is not None:
        notes.append(f"loss rate {r:.4%} within MLR {mlr:.4%}: no losses")
    elif s < 0:
        notes.append("one-sided: no shared losses")

    shared_savings = ZERO
    sequestration = ZERO
    shared_losses = ZERO
    euc_adj = ZERO
    euc_share = ZERO
    cap = None
    cap_applied = False
    limit = None
    limit_applied = False
    limit_uncertain = False

    if generated > 0:
        # Methodology "Sharing rate and earned amounts": min(Gen x rate, cap x B) (performance
        # payment limit, §425.605(d)(1)(i)(C), §425.610(e)), then 2% sequestration.
        cap = terms.savings_cap * b
        shared_savings = generated * share_rate
        if shared_savings > cap:
            shared_savings = cap
            cap_applied = True
            notes.append(f"performance payment limit {terms.savings_cap:.0%} of benchmark applied")
        sequestration = -shared_savings * SEQUESTRATION_RATE
        if shared_savings:
            notes.append("2% sequestration applied to shared savings")
        earned = shared_savings + sequestration
    elif generated < 0:
        assert lrate is not None
        # Methodology "Earned losses": max(Gen x loss rate, -loss limit), then EUC.
        shared_losses = generated * lrate
        limit, bmk_limit = _loss_limit(inputs, terms, notes)
        if limit is None:
            # Participant revenue unpublished: only the benchmark-based limit is known, and the
            # revenue-based one may be lower.
            limit_uncertain = True
            notes.append("loss limit depends on unpublished participant revenue")
            if bmk_limit is not None and -shared_losses > bmk_limit:
                shared_losses = -bmk_limit
                limit_applied = True
        elif -shared_losses > limit:
            shared_losses = -limit
            limit_applied = True
            notes.append(f"loss limit ${limit:,.0f} applied")
        # Methodology "Earned losses": the loss is reduced by the EUC adjustment (§425.605(f),
        # §425.610(i)): the published amount when there is one, else loss x EUC share.
        if inputs.euc_adjustment is not None:
            euc_adj = inputs.euc_adjustment
            euc_share = euc_adj / shared_losses if shared_losses else ZERO
            notes.append(f"EUC adjustment {euc_adj:,.0f} as published (DisAdj): "
                         f"{euc_share:.4%} of the loss offset")
        elif inputs.euc_share:
            euc_share = min(inputs.euc_share, ONE)
            euc_adj = shared_losses * euc_share
            notes.append(f"EUC adjustment: {inputs.euc_share:.2%} of the loss offset")
        earned = shared_losses - euc_adj
    else:
        earned = ZERO

    return SettlementResult(
        aco_id=inputs.aco_id,
        performance_year=inputs.performance_year,
        track=inputs.track,
        savings=s,
        savings_rate=r,
        msr=msr,
        mlr=mlr,
        generated=generated,
        share_rate=share_rate,
        loss_rate=lrate,
        savings_cap=cap,
        cap_applied=cap_applied,
        loss_limit=limit,
        limit_applied=limit_applied,
        reduced_rate=reduced,
        shared_savings=shared_savings,
        sequestration=sequestration,
        shared_losses=shared_losses,
        euc_adjustment=euc_adj,
        earned=earned,
        loss_limit_uncertain=limit_uncertain,
        notes=notes,
        euc_share=euc_share,
    )
