"""Part D prescription drug events (CCLF7) for a chunk.

Only beneficiaries in a stand-alone PDP have Part D data (IP v40 3.3). Each has a few
maintenance drugs refilled every 30 or 90 days plus occasional acute fills. Part D records are
final action: an adjusted PDE (claim type 02) replaces the earlier one, a deleted PDE (03)
carries $0 and a blank NDC (IP v40 3.3); all versions share the natural key of IP v40 5.1.2.
CCLF7 v40 has one amount, CLM_LINE_BENE_PMT_AMT (what the beneficiary paid).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aco_pipeline.synth import codes
from aco_pipeline.synth.claims_common import (
    PART_D_PATTERNS,
    IdAllocator,
    Versions,
    Window,
    changed_amounts,
    draw_versions,
    load_days,
)
from aco_pipeline.synth.population import DUAL_LIS
from aco_pipeline.synth.providers import Providers

LIS_GENERIC_CENTS = 450
LIS_BRAND_CENTS = 1_120


@dataclass(slots=True)
class PartD:
    c: dict[str, np.ndarray]  # one row per fill (bene = chunk-local index)
    v: Versions
    amounts: np.ndarray  # (n, 2) beneficiary payment cents: original, adjusted

    @property
    def n(self) -> int:
        return int(self.c["bene"].shape[0])


def generate(rng: np.random.Generator, win: Window, prov: Providers, ids: IdAllocator,
             chunk: int) -> PartD:
    pop = win.pop
    g = win.idx
    active = win.exposure > 0
    has = pop.partd[g] & active.any(axis=1)
    first_m = np.argmax(active, axis=1)
    last_m = active.shape[1] - 1 - np.argmax(active[:, ::-1], axis=1)
    rows = np.arange(win.nb)
    lo = win.first_day[rows, first_m]
    hi = win.last_day[rows, last_m]

    drugs = codes.DRUGS
    chronic_i = np.array([i for i, d in enumerate(drugs) if not d.acute])
    acute_i = np.array([i for i, d in enumerate(drugs) if d.acute])
    w_chronic = np.array([drugs[i].weight for i in chronic_i])
    w_acute = np.array([drugs[i].weight for i in acute_i])
    risk = pop.risk[g]

    # maintenance drug streams
    k = np.where(has, np.minimum(rng.poisson(3.6 * risk**0.35), 12), 0)
    sb = np.repeat(rows, k)
    sd = chronic_i[rng.choice(chronic_i.shape[0], size=sb.shape[0], p=w_chronic / w_chronic.sum())]
    supply = np.where(rng.random(sb.shape[0]) < 0.3, 90, np.array([d.days for d in drugs])[sd])
    start = lo[sb] + (rng.random(sb.shape[0]) * supply).astype(np.int64)
    nfill = np.where(start <= hi[sb], (hi[sb] - start) // supply + 1, 0)
    fb = np.repeat(sb, nfill)
    fs = np.repeat(np.arange(sb.shape[0]), nfill)
    j = np.arange(fb.shape[0]) - np.repeat(np.cumsum(nfill) - nfill, nfill)
    fday = start[fs] + j * supply[fs] + rng.integers(-2, 4, fb.shape[0])
    fday = np.clip(fday, lo[fb], hi[fb])
    fdrug = sd[fs]
    fsupply = supply[fs]
    rx_seq = fs * 16 + j // 12  # a new prescription number every 12 fills
    fill_num = j % 12

    # acute fills
    acute_n = np.where(has, rng.poisson(2.0 * risk**0.3 * (hi - lo + 1) / 365.25), 0)
    ab = np.repeat(rows, acute_n)
    aday = lo[ab] + (rng.random(ab.shape[0]) * (hi[ab] - lo[ab] + 1)).astype(np.int64)
    adrug = acute_i[rng.choice(acute_i.shape[0], size=ab.shape[0], p=w_acute / w_acute.sum())]
    a_rx = (sb.shape[0] + np.arange(ab.shape[0])) * 16

    bene = np.concatenate([fb, ab])
    day = np.concatenate([fday, aday])
    drug = np.concatenate([fdrug, adrug])
    days_supply = np.concatenate([fsupply, np.array([d.days for d in drugs])[adrug]])
    rx = np.concatenate([rx_seq, a_rx])
    fill = np.concatenate([fill_num, np.zeros(ab.shape[0], np.int64)])

    first_load = load_days(rng, day, "d")
    load_mo = first_load.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    initial = pop.join_mo[g][bene] == pop.start
    keep = np.where(initial, load_mo >= pop.start, True) & (load_mo <= pop.end)
    bene, day, drug, days_supply, rx, fill, first_load = (
        x[keep] for x in (bene, day, drug, days_supply, rx, fill, first_load))
    n = bene.shape[0]
    order = np.lexsort((day, bene))
    bene, day, drug, days_supply, rx, fill, first_load = (
        x[order] for x in (bene, day, drug, days_supply, rx, fill, first_load))

    copay = np.array([d.copay_cents for d in drugs], np.int64)[drug]
    brand = copay > 1_000
    lis = np.isin(pop.dual[g, pop.end - pop.g0][bene], DUAL_LIS)
    base = np.rint(copay * days_supply / 30 * rng.lognormal(-0.02, 0.2, n)).astype(np.int64)
    lis_pay = np.where(brand, LIS_BRAND_CENTS, np.minimum(base, LIS_GENERIC_CENTS))
    paid0 = np.where(lis, lis_pay, base)
    paid0 = np.where(rng.random(n) < 0.04, 0, paid0)  # $0 cost sharing happens
    qty = np.array([d.qty_per_30 for d in drugs], np.int64)[drug] * days_supply // 30
    qty = np.maximum(qty, 1)

    clin = prov.clinician_npi
    pcp = clin[pop.pcp[g][bene]]
    prescriber = np.where(rng.random(n) < 0.6, pcp, clin[rng.integers(0, clin.shape[0], n)])
    pharm = prov.pharmacies[(bene * 7 + rng.integers(0, 3, n)) % prov.pharmacies.shape[0]]
    rx_num = chunk * 10**8 + rx
    dspn = np.where(rng.random(n) < 0.97, b"", np.where(rng.random(n) < 0.5, b"P", b"C"))

    v = draw_versions(rng, PART_D_PATTERNS, None, n, first_load, day, ids)
    a1 = changed_amounts(rng, paid0, np.maximum(base, 1))
    c = {"bene": bene, "day": day, "ndc": np.array([d.ndc for d in drugs], "S11")[drug],
         "days_supply": days_supply, "qty": qty, "rx": rx_num, "fill": fill,
         "prescriber": prescriber, "pharmacy": pharm, "dspn": dspn.astype("S1"),
         "daw": np.where(rng.random(n) < 0.03, b"1", b"0").astype("S1")}
    return PartD(c=c, v=v, amounts=np.stack([paid0, a1], axis=1))
