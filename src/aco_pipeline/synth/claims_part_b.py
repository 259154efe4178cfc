"""Part B physician (CCLF5, claim types 71/72) and DME (CCLF6, 81/82) claim lines for a chunk.

Part B files are line-level debit/credit records: a cancellation repeats every line of the
claim it cancels; a re-filed claim keeps CLM_CNTL_NUM (the natural key with MR_MBI, IP v40
5.1.2) and gets a new CUR_CLM_UNIQ_ID. Denials: whole claims by CLM_CARR_PMT_DNL_CD = '0',
single lines by a CLM_PRCSG_IND_CD other than A/R/S, both with $0 paid (IP v40 3.2; the
valid values are those of the CMS guide, Appendix A phase 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aco_pipeline.synth import codes
from aco_pipeline.synth.claims_common import (
    PART_B_PATTERNS,
    IdAllocator,
    Versions,
    Window,
    changed_amounts,
    control_numbers,
    draw_events,
    draw_versions,
    load_days,
    service_days,
    weighted_pick,
)
from aco_pipeline.synth.providers import Providers

RATE_PART_B = 25.0  # claims per person-year (~2 lines each -> ~50 lines)
RATE_DME = 1.25  # DME claims per person-year (~1.6 lines each)

VALID_DNL = np.array([b"1", b"A", b"2", b"3", b"4"], "S2")
VALID_DNL_P = np.array([0.80, 0.12, 0.05, 0.02, 0.01])
DENIED_LINE = np.array([b"D", b"N", b"M", b"C", b"O"], "S2")


@dataclass(slots=True)
class PartB:
    family: str  # "part_b" (CCLF5) | "dme" (CCLF6)
    c: dict[str, np.ndarray]  # claims (bene = chunk-local index)
    line: dict[str, np.ndarray]  # lines (claim = claim index), ordered by claim, line number
    v: Versions
    amounts: np.ndarray  # (n_lines, 3) paid cents by amount kind 0/1/2

    @property
    def n(self) -> int:
        return int(self.c["bene"].shape[0])


def _lines_part_b(rng: np.random.Generator, vi: np.ndarray, day: np.ndarray
                  ) -> dict[str, np.ndarray]:
    empty = {"claim": np.int64, "hcpcs": "S5", "paid": np.int64, "betos": "S3", "tos": "S1",
             "units": np.int64, "mod": "S2", "day": np.int64}
    parts: dict[str, list[np.ndarray]] = {k: [np.empty(0, t)] for k, t in empty.items()}

    def put(c: np.ndarray, lines: list[codes.BLine], pick: np.ndarray, offset: np.ndarray) -> None:
        k = c.shape[0]
        parts["claim"].append(c)
        parts["hcpcs"].append(np.array([x.hcpcs for x in lines], "S5")[pick])
        parts["paid"].append(np.array([x.paid_cents for x in lines], np.int64)[pick])
        parts["betos"].append(np.array([x.betos for x in lines], "S3")[pick])
        parts["tos"].append(np.array([x.tos for x in lines], "S1")[pick])
        parts["units"].append(np.array([x.units for x in lines], np.int64)[pick])
        parts["mod"].append(np.array([x.modifier for x in lines], "S2")[pick])
        parts["day"].append(day[c] + offset[:k])

    for i, visit in enumerate(codes.PART_B_VISITS):
        c = np.nonzero(vi == i)[0]
        if not c.shape[0]:
            continue
        lines = [x for x, _ in visit.choices]
        w = np.array([p for _, p in visit.choices])
        pick = weighted_pick(rng, w, c.shape[0])
        lo, hi = visit.repeat
        reps = rng.integers(lo, hi + 1, c.shape[0])
        rc = np.repeat(c, reps)
        off = np.arange(rc.shape[0]) - np.repeat(np.cumsum(reps) - reps, reps)
        put(rc, lines, np.repeat(pick, reps), off)
        for extra, p in visit.extras:
            cc = c[rng.random(c.shape[0]) < p]
            put(cc, [extra], np.zeros(cc.shape[0], np.int64), np.zeros(cc.shape[0], np.int64))
    return {k: np.concatenate(v) for k, v in parts.items()}


def _lines_dme(rng: np.random.Generator, n: int, day: np.ndarray) -> dict[str, np.ndarray]:
    items = [x for x, _ in codes.DME_ITEMS]
    w = np.array([p for _, p in codes.DME_ITEMS])
    k = 1 + rng.binomial(2, 0.3, n)
    c = np.repeat(np.arange(n), k)
    pick = weighted_pick(rng, w, c.shape[0])
    return {
        "claim": c,
        "hcpcs": np.array([x.hcpcs for x in items], "S5")[pick],
        "paid": np.array([x.paid_cents for x in items], np.int64)[pick],
        "betos": np.array([x.betos for x in items], "S3")[pick],
        "tos": np.array([x.tos for x in items], "S1")[pick],
        "units": np.array([x.units for x in items], np.int64)[pick],
        "mod": np.where(np.array([x.tos for x in items], "S1")[pick] == b"R", b"RR", b"NU").astype(
            "S2"),
        "day": day[c].copy(),
    }


def generate(rng: np.random.Generator, win: Window, prov: Providers, ids: IdAllocator,
             chronic: np.ndarray, family: str) -> PartB:
    pop = win.pop
    g = win.idx
    lam = win.exposure * win.boost * pop.risk[g][:, None] / 12.0
    dme = family == "dme"
    eb, em = draw_events(rng, lam * (RATE_DME if dme else RATE_PART_B))
    n = eb.shape[0]
    day = service_days(rng, win, eb, em)
    visits = codes.PART_B_VISITS
    if dme:
        vi = np.zeros(n, np.int64)
        line = _lines_dme(rng, n, day)
    else:
        w = np.array([v.weight for v in visits])
        vi = weighted_pick(rng, w, n)
        onc_i = next(i for i, v in enumerate(visits) if v.name == "oncology")
        onc = pop.oncology[g][eb]
        vi = np.where(onc & (rng.random(n) < 0.18), onc_i, vi)
        vi = np.where((~onc) & (vi == onc_i), 0, vi)
        line = _lines_part_b(rng, vi, day)
    order = np.argsort(line["claim"], kind="stable")
    line = {k: v[order] for k, v in line.items()}
    nl = line["claim"].shape[0]
    line["paid"] = np.rint(line["paid"] * rng.lognormal(-0.0072, 0.12, nl)).astype(np.int64)

    # claim span = its lines' span (hospital visit days extend past the first day)
    last = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last, line["claim"], line["day"])
    frm = day.copy()
    thru = np.maximum(last, frm)
    thru = np.minimum(thru, win.last_day[eb, em] + 0)  # never past death
    line["day"] = np.minimum(line["day"], thru[line["claim"]])

    # keep claims whose original is loaded inside the span (see claims_common)
    first_load = load_days(rng, thru, "b")
    load_mo = first_load.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    initial = pop.join_mo[g][eb] == pop.start
    keep = np.where(initial, load_mo >= pop.start, True) & (load_mo <= pop.end)
    new_index = np.cumsum(keep) - 1
    lk = keep[line["claim"]]
    line = {k: v[lk] for k, v in line.items()}
    line["claim"] = new_index[line["claim"]]
    eb, em, vi, frm, thru, first_load = (x[keep] for x in (eb, em, vi, frm, thru, first_load))
    n = eb.shape[0]
    nl = line["claim"].shape[0]
    starts = np.searchsorted(line["claim"], np.arange(n))
    line["num"] = np.arange(nl) - starts[line["claim"]] + 1

    # providers, places, specialties
    clin = prov.clinician_npi
    pcp = prov.clinician_npi[pop.pcp[g][eb]]
    if dme:
        rend = prov.suppliers[rng.integers(0, prov.suppliers.shape[0], n)]
        tin = np.full(n, b"", "S9")
        pos = np.full(n, b"12", "S2")
        spec = np.full(n, codes.DME_SPECIALTY.encode(), "S2")
        order_npi = np.where(rng.random(n) < 0.6, pcp, clin[rng.integers(0, clin.shape[0], n)])
        ctype = np.where(rng.random(n) < 0.94, 82, 81)
    else:
        ci = rng.integers(0, clin.shape[0], n)
        is_office = np.isin(vi, [i for i, v in enumerate(visits) if v.name in
                                 ("office", "wellness", "care_mgmt", "telehealth")])
        use_pcp = is_office & (rng.random(n) < 0.6)
        rend_i = np.where(use_pcp, pop.pcp[g][eb], ci)
        rend = clin[rend_i]
        tin = prov.clinician_tin[rend_i]
        pos = np.empty(n, "S2")
        spec = np.empty(n, "S2")
        for i, v in enumerate(visits):
            sel = vi == i
            k = int(sel.sum())
            pos[sel] = np.array(v.pos, "S2")[rng.integers(0, len(v.pos), k)]
            spec[sel] = np.array(v.specialty, "S2")[rng.integers(0, len(v.specialty), k)]
        refers = np.isin(vi, [i for i, v in enumerate(visits) if v.name in
                              ("lab", "imaging", "therapy", "ambulance")])
        order_npi = np.where(refers, np.where(rng.random(n) < 0.6, pcp,
                                              clin[rng.integers(0, clin.shape[0], n)]), b"")
        ctype = np.where(rng.random(n) < 0.985, 71, 72)

    # diagnoses: the visit's own plus the beneficiary's chronic conditions
    dx = np.empty((n, 4), "S7")
    own = np.empty(n, "S7")
    if dme:
        own[:] = np.array(["G4733", "J449", "E119", "M1990", "R2681"], "S7")[
            rng.integers(0, 5, n)]
    else:
        for i, v in enumerate(visits):
            sel = vi == i
            own[sel] = np.array(v.dx, "S7")[rng.integers(0, len(v.dx), int(sel.sum()))]
    dx[:, 0] = own
    ch = chronic[eb]
    for j in range(1, 4):
        dx[:, j] = ch[:, j - 1]
    n_dx = rng.integers(1, 5, n)
    dx[np.arange(4)[None, :] >= n_dx[:, None]] = b""

    # denials: whole claims ('0'), single lines (processing indicator), $0 paid
    denied = rng.random(n) < 0.025
    dnl = np.where(denied, b"0", VALID_DNL[rng.choice(5, size=n, p=VALID_DNL_P)]).astype("S2")
    line_denied = (rng.random(nl) < 0.07) | denied[line["claim"]]
    u = rng.random(nl)
    prcsg_ok = np.where(u < 0.96, b"A", np.where(u < 0.99, b"R", b"S")).astype("S2")
    prcsg = np.where(line_denied, DENIED_LINE[rng.integers(0, 5, nl)], prcsg_ok).astype("S2")
    secondary = (~line_denied) & (prcsg == b"S")
    nominal = np.maximum(line["paid"], 1)
    paid0 = np.where(line_denied, 0, np.where(secondary, line["paid"] // 2, line["paid"]))
    line["prcsg"] = prcsg
    line["prmry_pyr"] = np.where(secondary, b"A", b"").astype("S1")
    line["allowed"] = np.rint(nominal * 1.25).astype(np.int64)
    line["tele"] = np.isin(line["mod"], [b"95"]) | np.isin(pos[line["claim"]], [b"02", b"10"])
    line["hpsa"] = np.where(rng.random(nl) < 0.01, b"Y", b"").astype("S1")

    v = draw_versions(rng, PART_B_PATTERNS, None, n, first_load, thru, ids)
    a1 = changed_amounts(rng, paid0, nominal)
    a2 = changed_amounts(rng, a1, nominal, avoid=paid0)
    amounts = np.stack([paid0, a1, a2], axis=1)
    first_ids = v.ids[v.first[np.searchsorted(v.claim, np.arange(n))]]
    c = {"bene": eb, "from": frm, "thru": thru, "clm_type": ctype.astype(np.int64),
         "cntl": control_numbers(first_ids, b"1" if not dme else b"4"),
         "rend": rend, "tin": tin, "pos": pos, "spec": spec, "order_npi": order_npi.astype("S10"),
         "dx": dx, "dnl": dnl, "denied": denied}
    return PartB(family=family, c=c, line=line, v=v, amounts=amounts)
