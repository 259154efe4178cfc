"""Which deliveries carry which claim versions.

Rules (one beneficiary, one version loaded in month L, claim through date in year Y):
- monthly: first in the monthly delivery of month max(L, join month), if the beneficiary is
  still listed then (not opted out, not dead before that performance year, inside the span).
  A beneficiary's first delivery therefore brings its back history (claims_common).
- re-sends: about a fifth of delivered versions come again 1-3 months later, byte-identical
  (the CMS guide's Track 3 example: 21.5% duplicate rows); a few PY-Y versions are re-sent in
  a run-out delivery of PY Y.
- run-out (IP v40 3.4): the run-out delivery of reference month L (January-March of Y+1)
  carries versions loaded in L with a through date in PY Y, for beneficiaries in PY Y.
- Part D is final action (IP v40 3.3): a delivery never carries a version already replaced
  by a newer version loaded by the end of its reference month.
Because a cancellation is loaded after the version it cancels and a beneficiary's listing
is an interval of months, every delivered cancellation's target is delivered too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aco_pipeline.synth.population import NAT, NEVER, Population
from aco_pipeline.synth.timeline import Schedule

RESEND_P = 0.28
NO_NEXT = 10**7
"""`next_load` value meaning "no newer version" (a day ordinal far in the future)."""
RUNOUT_RESEND_P = 0.06


@dataclass(frozen=True, slots=True)
class Emissions:
    version: np.ndarray  # version row index
    delivery: np.ndarray  # delivery index
    # ordered by (delivery, version)

    @property
    def n(self) -> int:
        return int(self.version.shape[0])

    def delivered(self, n_versions: int) -> np.ndarray:
        out = np.zeros(n_versions, dtype=bool)
        out[self.version] = True
        return out


def _month(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def emit(rng: np.random.Generator, sched: Schedule, pop: Population, g: np.ndarray,
         bene: np.ndarray, load: np.ndarray, thru: np.ndarray,
         next_load: np.ndarray | None = None) -> Emissions:
    """Emissions of versions (`bene` chunk-local, `load`/`thru` day ordinals).

    `next_load`: for final-action files (Part D), the load day of the version that replaces
    each version (`NO_NEXT` when none).
    """
    n = bene.shape[0]
    gb = g[bene]
    lm = _month(load)
    join = pop.join_mo[gb]
    exit_ = pop.exit_mo[gb]
    optout = pop.optout_mo[gb]
    death = pop.death[gb]
    death_year = np.where(death == NAT, NEVER,
                          np.where(death == NAT, 0, death).astype("datetime64[D]")
                          .astype("datetime64[Y]").astype(np.int64) + 1970)
    next_lm = _month(next_load) if next_load is not None else np.full(n, NEVER)
    monthly = sched.monthly_index()
    runout = sched.runout_index()
    start, end = sched.start, sched.end
    thru_year = thru.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970

    out_v: list[np.ndarray] = []
    out_d: list[np.ndarray] = []
    rows = np.arange(n)

    # first monthly delivery
    dm = np.maximum(lm, join)
    ok = (lm <= end) & (dm <= exit_) & (dm >= start) & (next_lm > dm)
    out_v.append(rows[ok])
    out_d.append(monthly[np.clip(dm[ok] - start, 0, sched.months - 1)])
    first_ok = ok

    # re-sends in a later monthly delivery
    k = rng.choice(np.array([1, 2, 3]), size=n, p=[0.5, 0.3, 0.2])
    rm = dm + k
    rs = first_ok & (rng.random(n) < RESEND_P) & (rm <= exit_) & (next_lm > rm)
    out_v.append(rows[rs])
    out_d.append(monthly[np.clip(rm[rs] - start, 0, sched.months - 1)])

    # run-out: first delivery of late versions of the prior performance year
    in_span = (lm >= start) & (lm <= end)
    ro_idx = np.where(in_span, runout[np.clip(lm - start, 0, sched.months - 1)], -1)
    prior = (lm // 12) + 1970 - 1
    py_member = (join <= (prior - 1970) * 12 + 11) & (death_year >= prior) & (optout > lm)
    ro = (ro_idx >= 0) & (thru_year == prior) & py_member & (next_lm > lm)
    out_v.append(rows[ro])
    out_d.append(ro_idx[ro])

    # run-out re-sends of versions first delivered in the performance year's monthly files
    by_py: dict[int, list[tuple[int, int]]] = {}
    for d in sched.deliveries:
        if d.runout:
            by_py.setdefault(d.performance_year, []).append((d.index, d.ref_month))
    if by_py:
        cand = first_ok & (lm <= (thru_year - 1970) * 12 + 11) & (rng.random(n) < RUNOUT_RESEND_P)
        pick = rng.random(n)
        for py, lst in by_py.items():
            sel = cand & (thru_year == py)
            if not sel.any():
                continue
            j = (pick[sel] * len(lst)).astype(np.int64)
            d_idx = np.array([x[0] for x in lst])[j]
            d_ref = np.array([x[1] for x in lst])[j]
            rows_sel = rows[sel]
            member = ((join[sel] <= (py - 1970) * 12 + 11) & (death_year[sel] >= py)
                      & (optout[sel] > d_ref) & (next_lm[sel] > d_ref) & (d_ref >= dm[sel]))
            out_v.append(rows_sel[member])
            out_d.append(d_idx[member])

    v = np.concatenate(out_v)
    d = np.concatenate(out_d).astype(np.int64)
    order = np.lexsort((v, d))
    return Emissions(version=v[order], delivery=d[order])
