"""Shared machinery for drawing claims of one chunk of beneficiaries.

A chunk's claims are drawn for every service month of its beneficiaries' window at once:
- the initial population: from three months before the span (late claims still loaded in the
  span), keeping only claims whose original version was loaded inside the span;
- beneficiaries joining later: the 12 months before their first delivery (their back history
  arrives in that delivery, like the historical claims of newly assigned beneficiaries,
  IP v40 2.4.1, kept to 12 months here).

Every claim gets one or more versions (original, cancellation, adjustment; IP v40 4.4, 5.2)
with processing dates: CLM_IDR_LD_DT is the Monday after the claim cleared processing
(IP v40 3.4), CLM_EFCTV_DT a few days earlier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aco_pipeline.synth.population import NAT, Population

HISTORY_MONTHS = 12
PRESPAN_MONTHS = 3
ID_BASE = 1_000_000_000_000
ID_BLOCK = 100_000_000


class IdAllocator:
    """Unique 13-digit CUR_CLM_UNIQ_ID values: a block per chunk, random gaps inside it."""

    def __init__(self, chunk: int, rng: np.random.Generator) -> None:
        self.next = ID_BASE + chunk * ID_BLOCK
        self.limit = self.next + ID_BLOCK
        if self.limit > 9_999_999_999_999:
            raise ValueError("too many chunks for 13-digit claim ids")
        self.rng = rng

    def take(self, n: int) -> np.ndarray:
        steps = self.rng.integers(1, 9, n)
        ids = self.next + np.cumsum(steps)
        if n:
            self.next = int(ids[-1])
        if self.next >= self.limit:
            raise ValueError("claim id block exhausted for one chunk")
        return ids.astype(np.int64)


def zfill(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-left-padded bytes of non-negative integers (safe on empty arrays)."""
    v = np.asarray(values)
    if not v.size:
        return np.empty(v.shape, f"S{width}")
    return np.char.zfill(v.astype(f"S{width}"), width)


def control_numbers(ids: np.ndarray, prefix: bytes) -> np.ndarray:
    """A 14-character claim control number derived bijectively from a claim id."""
    mixed = (ids.astype(np.int64) * 7_919 + 104_729) % 10**13
    if not mixed.size:
        return np.empty(mixed.shape, f"S{13 + len(prefix)}")
    return np.char.add(prefix, zfill(mixed, 13))


@dataclass(slots=True)
class Window:
    """Service months of a chunk: grid of months and each beneficiary's exposure."""

    pop: Population
    idx: np.ndarray  # global beneficiary indices of the chunk
    months: np.ndarray  # (M,) month ordinals, grid start .. span end
    exposure: np.ndarray  # (nb, M) fraction of the month alive and eligible
    last_day: np.ndarray  # (nb, M) int64 last eligible day in the month
    first_day: np.ndarray  # (nb, M) int64 first eligible day
    boost: np.ndarray  # (nb, M) spending multiplier (end of life)

    @property
    def nb(self) -> int:
        return int(self.idx.shape[0])


def month_days(mo: np.ndarray) -> np.ndarray:
    return np.asarray(mo, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]").astype(
        np.int64)


def build_window(pop: Population, idx: np.ndarray) -> Window:
    months = np.arange(pop.g0, pop.end + 1, dtype=np.int64)
    m_first = month_days(months)
    m_last = month_days(months + 1) - 1
    join = pop.join_mo[idx]
    lo_mo = np.where(join > pop.start, join - HISTORY_MONTHS, pop.start - PRESPAN_MONTHS)
    lo_mo = np.maximum(lo_mo, pop.g0)
    first = np.maximum(m_first[None, :], pop.part_b_start[idx][:, None])
    death = pop.death[idx]
    last = np.where(death[:, None] == NAT, m_last[None, :],
                    np.minimum(m_last[None, :], death[:, None]))
    in_window = months[None, :] >= lo_mo[:, None]
    days = np.maximum(last - first + 1, 0) * in_window
    exposure = days / (m_last - m_first + 1)[None, :]
    boost = np.ones_like(exposure)
    has_death = death != NAT
    death_mo = np.where(has_death, death, 0).astype("datetime64[D]").astype(
        "datetime64[M]").astype(np.int64)
    near = has_death[:, None] & (months[None, :] > death_mo[:, None] - 3)
    boost[near] = 3.0
    return Window(pop=pop, idx=idx, months=months, exposure=exposure, last_day=last,
                  first_day=first, boost=boost)


def draw_events(rng: np.random.Generator, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts per (beneficiary, month) -> one row per event: (bene, month index)."""
    counts = rng.poisson(lam)
    flat = np.repeat(np.arange(lam.size, dtype=np.int64), counts.ravel())
    return flat // lam.shape[1], flat % lam.shape[1]


def service_days(rng: np.random.Generator, win: Window, b: np.ndarray,
                 m: np.ndarray) -> np.ndarray:
    lo = win.first_day[b, m]
    hi = win.last_day[b, m]
    return lo + (rng.random(b.shape[0]) * (hi - lo + 1)).astype(np.int64)


def weighted_pick(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return rng.choice(w.shape[0], size=n, p=w / w.sum())


def lognormal_cents(rng: np.random.Generator, mean_cents: np.ndarray | float, sigma: float,
                    n: int) -> np.ndarray:
    """Lognormal amounts with the given mean, rounded to whole cents (int64)."""
    draw = rng.lognormal(-sigma**2 / 2, sigma, n)
    return np.maximum(np.rint(np.asarray(mean_cents) * draw), 0).astype(np.int64)


def load_days(rng: np.random.Generator, ready: np.ndarray, kind: str) -> np.ndarray:
    """IDR load dates (Mondays) for versions that cleared processing on `ready`.

    `kind`: "b" Part B / DME (faster), "a" institutional, "d" Part D.
    """
    n = ready.shape[0]
    if kind == "d":
        lag = rng.integers(7, 35, n)
    else:
        fast = (10, 35) if kind == "b" else (14, 50)
        u = rng.random(n)
        lag = np.where(u < 0.72, rng.integers(*fast, n),
                       np.where(u < 0.95, rng.integers(35, 75, n), rng.integers(75, 200, n)))
    d = ready + lag
    return d + (7 - (d + 3) % 7) % 7  # the Monday on or after


def effective_days(rng: np.random.Generator, load: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """CLM_EFCTV_DT: a few days before the load date, never before the service ended."""
    return np.maximum(load - rng.integers(1, 8, load.shape[0]), floor + 1)


@dataclass(frozen=True, slots=True)
class VersionPattern:
    """One related-claims pattern: per version (adjustment type, time slot, amount kind,
    index of the version it cancels or -1, whether the through date is corrected)."""

    name: str
    probability: float
    adj: tuple[int, ...]
    slot: tuple[int, ...]
    amount: tuple[int, ...]
    cancels: tuple[int, ...]
    new_thru: tuple[bool, ...] = ()


# Part A (IP v40 5.2.1): originals, cancellations and adjustments, including a cancellation
# processed before its adjustment, and a corrected through date that breaks the natural key.
PART_A_PATTERNS: tuple[VersionPattern, ...] = (
    VersionPattern("original", 0.872, (0,), (0,), (0,), (-1,)),
    VersionPattern("cancel_and_adjust", 0.05, (0, 1, 2), (0, 1, 1), (0, 0, 1), (-1, 0, -1)),
    VersionPattern("adjust_then_cancel", 0.015, (0, 2, 1), (0, 1, 2), (0, 1, 0), (-1, -1, 0)),
    VersionPattern("cancel_then_adjust", 0.02, (0, 1, 2), (0, 1, 2), (0, 0, 1), (-1, 0, -1)),
    VersionPattern("void", 0.02, (0, 1), (0, 1), (0, 0), (-1, 0)),
    VersionPattern("corrected_thru", 0.005, (0, 1, 2), (0, 1, 1), (0, 0, 1), (-1, 0, -1),
                   (False, False, True)),
    VersionPattern("two_adjustments", 0.018, (0, 1, 2, 1, 2), (0, 1, 1, 2, 2), (0, 0, 1, 1, 2),
                   (-1, 0, -1, 2, -1)),
)

# Part B / DME (IP v40 5.2.2-5.2.3): only originals and cancellations; a re-filed claim keeps
# its control number (the natural key) and gets a new CUR_CLM_UNIQ_ID.
PART_B_PATTERNS: tuple[VersionPattern, ...] = (
    VersionPattern("original", 0.92, (0,), (0,), (0,), (-1,)),
    VersionPattern("cancel_and_refile", 0.045, (0, 1, 0), (0, 1, 1), (0, 0, 1), (-1, 0, -1)),
    VersionPattern("void", 0.015, (0, 1), (0, 1), (0, 0), (-1, 0)),
    VersionPattern("three_originals", 0.005, (0, 1, 0, 1, 0), (0, 1, 1, 2, 2), (0, 0, 1, 1, 2),
                   (-1, 0, -1, 2, -1)),
    VersionPattern("cancel_then_refile", 0.015, (0, 1, 0), (0, 1, 2), (0, 0, 1), (-1, 0, -1)),
)

# Part D (IP v40 3.3, 5.2.4): final-action records; adjusted PDEs replace, deletes carry $0.
PART_D_PATTERNS: tuple[VersionPattern, ...] = (
    VersionPattern("original", 0.955, (0,), (0,), (0,), (-1,)),
    VersionPattern("adjusted", 0.03, (0, 2), (0, 1), (0, 1), (-1, -1)),
    VersionPattern("deleted", 0.012, (0, 1), (0, 1), (0, 0), (-1, 0)),
    VersionPattern("adjusted_then_deleted", 0.003, (0, 2, 1), (0, 1, 2), (0, 1, 1), (-1, -1, 1)),
)


@dataclass(slots=True)
class Versions:
    """Claim versions of one family, one row per version (ordered by claim, then sequence)."""

    claim: np.ndarray  # index of the claim
    seq: np.ndarray  # 0.. within the claim
    first: np.ndarray  # row index of the claim's first version
    adj: np.ndarray  # CLM_ADJSMT_TYPE_CD 0/1/2
    amount_kind: np.ndarray  # 0 original amounts, 1 first change, 2 second change
    cancels: np.ndarray  # row index of the cancelled version, or -1
    new_thru: np.ndarray  # bool: this version carries a corrected through date
    load: np.ndarray  # CLM_IDR_LD_DT days
    efctv: np.ndarray  # CLM_EFCTV_DT days
    ids: np.ndarray  # CUR_CLM_UNIQ_ID

    @property
    def n(self) -> int:
        return int(self.claim.shape[0])


def draw_versions(rng: np.random.Generator, patterns: tuple[VersionPattern, ...],
                  pattern_of_claim: np.ndarray | None, n_claims: int, first_load: np.ndarray,
                  floor: np.ndarray, ids: IdAllocator) -> Versions:
    """Expand claims into versions by pattern and give every version processing dates."""
    probs = np.array([p.probability for p in patterns])
    pat = (pattern_of_claim if pattern_of_claim is not None
           else rng.choice(len(patterns), size=n_claims, p=probs / probs.sum()))
    sizes = np.array([len(p.adj) for p in patterns])[pat]
    claim = np.repeat(np.arange(n_claims, dtype=np.int64), sizes)
    starts = np.cumsum(sizes) - sizes
    first = starts[claim]
    seq = np.arange(claim.shape[0], dtype=np.int64) - first
    width = max(len(p.adj) for p in patterns)

    def table(attr: str, fill: object, dtype: object) -> np.ndarray:
        t = np.full((len(patterns), width), fill, dtype=dtype)
        for i, p in enumerate(patterns):
            vals = getattr(p, attr) or (fill,) * len(p.adj)
            t[i, : len(vals)] = vals
        return t[pat[claim], seq]

    adj = table("adj", 0, np.int8)
    slot = table("slot", 0, np.int8)
    amount_kind = table("amount", 0, np.int8)
    cancels_rel = table("cancels", -1, np.int64)
    new_thru = table("new_thru", False, bool)
    cancels = np.where(cancels_rel >= 0, first + cancels_rel, -1)

    # processing dates: slot 0 the original; later slots weeks to months after
    n = claim.shape[0]
    gap1 = rng.integers(30, 150, n_claims)
    gap2 = gap1 + rng.integers(21, 120, n_claims)
    base = first_load[claim]
    offset = np.select([slot == 0, slot == 1], [0, gap1[claim]], gap2[claim])
    load = base + offset
    load = load + (7 - (load + 3) % 7) % 7
    efctv = np.maximum(load - rng.integers(1, 8, n), floor[claim] + 1)
    return Versions(claim=claim, seq=seq, first=first, adj=adj, amount_kind=amount_kind,
                    cancels=cancels, new_thru=new_thru, load=load, efctv=efctv,
                    ids=ids.take(n))


def changed_amounts(rng: np.random.Generator, base: np.ndarray, nominal: np.ndarray,
                    avoid: np.ndarray | None = None) -> np.ndarray:
    """A re-priced amount that differs from `base` (and `avoid`) by at least one cent.

    A $0 (denied) amount becomes the nominal paid amount: a denial overturned on appeal.
    Distinct amounts keep cancellations matchable to exactly one version (IP v40 5.2.1).
    """
    factor = 1 + rng.normal(0, 0.08, base.shape[0])
    new = np.where(base == 0, nominal, np.rint(base * factor)).astype(np.int64)
    new = np.maximum(new, 1)
    for _ in range(3):
        clash = new == base
        if avoid is not None:
            clash |= new == avoid
        if not clash.any():
            break
        new = np.where(clash, new + rng.integers(1, 500, new.shape[0]), new)
    return new
