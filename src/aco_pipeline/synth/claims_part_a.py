"""Institutional (Part A file) claims for one chunk: CCLF1 headers and CCLF2/3/4/A children.

Claim types (IP v40 Table 14): 10 HHA, 20 SNF, 30 swing-bed SNF, 40 outpatient (incl. ED
visits on revenue centres 0450-0459/0981 and monthly dialysis bills), 50 hospice, 60 inpatient
(61 "full encounter", rare). Inpatient revenue lines carry $0 (paid at the header by DRG), most
outpatient claims' line payments sum to the header, a few do not (IP v40 3.5). A few percent
of claims are denied: CLM_MDCR_NPMT_RSN_CD non-blank and $0 paid (IP v40 3.2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aco_pipeline.synth import codes
from aco_pipeline.synth.claims_common import (
    PART_A_PATTERNS,
    IdAllocator,
    Versions,
    Window,
    changed_amounts,
    draw_events,
    draw_versions,
    load_days,
    lognormal_cents,
    service_days,
    weighted_pick,
)
from aco_pipeline.synth.population import NAT
from aco_pipeline.synth.providers import Providers

RATES = {"ip": 0.27, "snf": 0.085, "hha": 0.09, "op": 5.4}
"""Events per person-year at average risk (IP ~0.3 stays, SNF ~0.1, HHA ~0.1, OP ~6)."""

DENIAL_CODES = np.array([b"N", b"B", b"R", b"C"], dtype="S2")


def _s(values: list[str] | tuple[str, ...], width: int) -> np.ndarray:
    return np.array(values, dtype=f"S{width}")


@dataclass(slots=True)
class PartA:
    h: dict[str, np.ndarray]  # claim headers (bene = chunk-local beneficiary index)
    rev: dict[str, np.ndarray]  # CCLF2 lines (claim = header index)
    dx: dict[str, np.ndarray]  # CCLF4 rows
    proc: dict[str, np.ndarray]  # CCLF3 rows
    v: Versions
    v_paid: np.ndarray  # CLM_PMT_AMT of each version (cents, unsigned as written)
    v_thru: np.ndarray  # CLM_THRU_DT of each version (corrected through dates differ)

    @property
    def n(self) -> int:
        return int(self.h["bene"].shape[0])


class _Builder:
    """Accumulates claims of several kinds, then concatenates them."""

    def __init__(self) -> None:
        self.h: list[dict[str, np.ndarray]] = []
        self.rev: list[dict[str, np.ndarray]] = []
        self.count = 0

    def add(self, header: dict[str, np.ndarray], rev: dict[str, np.ndarray]) -> None:
        n = header["bene"].shape[0]
        rev = dict(rev)
        rev["claim"] = rev["claim"] + self.count
        self.h.append(header)
        self.rev.append(rev)
        self.count += n

    @staticmethod
    def _cat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        keys = parts[0].keys()
        return {k: np.concatenate([p[k] for p in parts]) for k in keys}

    def build(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        return self._cat(self.h), self._cat(self.rev)


def _header(n: int, bene: np.ndarray, clm_type: int | np.ndarray, frm: np.ndarray,
            thru: np.ndarray, fac: np.ndarray, fac_npi: np.ndarray, paid: np.ndarray,
            bill: tuple[str, str] | tuple[np.ndarray, np.ndarray], dx1: np.ndarray,
            kind: int) -> dict[str, np.ndarray]:
    fac_type, cls = bill
    return {
        "bene": bene, "clm_type": np.broadcast_to(np.asarray(clm_type, np.int64), (n,)).copy(),
        "from": frm, "thru": thru, "ccn": fac, "fac_npi": fac_npi, "paid": paid,
        "bill_fac": np.broadcast_to(np.asarray(fac_type, "S1"), (n,)).copy(),
        "bill_cls": np.broadcast_to(np.asarray(cls, "S1"), (n,)).copy(),
        "dx1": dx1, "kind": np.full(n, kind, np.int8),
        "drg": np.full(n, b"", "S4"), "admtg_dx": np.full(n, b"", "S7"),
        "ptnt_stus": np.full(n, b"01", "S2"), "admsn_type": np.full(n, b"", "S2"),
        "admsn_src": np.full(n, b"", "S2"), "op_srvc": np.full(n, b"0", "S1"),
        "lines_sum": np.ones(n, bool), "los": np.maximum(thru - frm + 1, 1),
        "snf_waiver": np.zeros(n, bool), "tele": np.zeros(n, bool),
        "drg_index": np.full(n, -1, np.int64), "coins_days": np.zeros(n, np.int64),
        "apc": np.full(n, b"", "S5"),
    }


def _rev(claim: np.ndarray, rev: np.ndarray, hcpcs: np.ndarray, units: np.ndarray,
         share: np.ndarray, apc: np.ndarray, line_day: np.ndarray) -> dict[str, np.ndarray]:
    return {"claim": claim, "rev": rev, "hcpcs": hcpcs, "units": units, "share": share,
            "apc": apc, "day": line_day}


def _ccn_prefix(ccn: np.ndarray) -> np.ndarray:
    return ccn.view("S1").reshape(-1, 6)[:, :2].copy().view("S2").ravel()


def _ccn_suffix(ccn: np.ndarray) -> np.ndarray:
    return ccn.view("S1").reshape(-1, 6)[:, 3:].copy().view("S3").ravel()


def _unpaid_line(c: np.ndarray, code: str, units: np.ndarray) -> dict[str, np.ndarray]:
    """A revenue line without HCPCS, service date or payment (paid at the header)."""
    k = c.shape[0]
    return _rev(c, np.full(k, code.encode(), "S4"), np.full(k, b"", "S5"), units, np.zeros(k),
                np.full(k, b"", "S5"), np.full(k, NAT, np.int64))


KIND_IP, KIND_SNF, KIND_HHA, KIND_HOSPICE, KIND_OP, KIND_DIALYSIS = range(6)


def generate(rng: np.random.Generator, win: Window, prov: Providers, ids: IdAllocator,
             chronic: np.ndarray) -> PartA:
    pop = win.pop
    g = win.idx
    risk = pop.risk[g][:, None]
    base_lam = win.exposure * win.boost * risk / 12.0
    b = _Builder()
    f = prov

    # --- inpatient stays --------------------------------------------------------------
    eb, em = draw_events(rng, base_lam * RATES["ip"])
    n = eb.shape[0]
    drgs = [d for d, _ in codes.DRGS]
    di = weighted_pick(rng, np.array([w for _, w in codes.DRGS]), n)
    weight = np.array([d.weight for d in drgs])[di]
    los_mean = np.array([d.los for d in drgs])[di]
    los = 1 + rng.poisson(np.maximum(los_mean - 1, 0.2))
    thru = service_days(rng, win, eb, em)
    frm = thru - los + 1
    paid = lognormal_cents(rng, weight * codes.IP_BASE_RATE_CENTS, 0.25, n)
    outlier = rng.random(n) < 0.03
    paid = np.where(outlier, (paid * rng.uniform(2, 5, n)).astype(np.int64), paid)
    use_cah = rng.random(n) < 0.08
    hi = rng.integers(0, f.hospitals.ccn.shape[0], n)
    ci = rng.integers(0, f.cahs.ccn.shape[0], n)
    fac = np.where(use_cah, f.cahs.ccn[ci], f.hospitals.ccn[hi])
    fac_npi = np.where(use_cah, f.cahs.npi[ci], f.hospitals.npi[hi])
    dx1 = np.array([d.principal_dx[int(rng.integers(0, len(d.principal_dx)))] for d in drgs],
                   dtype="S7")[di] if n else np.empty(0, "S7")
    h = _header(n, eb, np.where(rng.random(n) < 0.01, 61, 60), frm, thru, fac, fac_npi, paid,
                ("1", "1"), dx1, KIND_IP)
    h["drg"] = _s([d.code for d in drgs], 4)[di]
    h["admtg_dx"] = dx1.copy()
    died = pop.death[g][eb] == thru
    stus = np.array([b"01", b"06", b"03", b"62", b"02"], "S2")[
        rng.choice(5, size=n, p=[0.55, 0.16, 0.18, 0.05, 0.06])]
    h["ptnt_stus"] = np.where(died, b"20", stus).astype("S2")
    h["admsn_type"] = np.array([b"1", b"3", b"2"], "S2")[rng.choice(3, n, p=[0.75, 0.2, 0.05])]
    h["admsn_src"] = np.array([b"1", b"2", b"4"], "S2")[rng.choice(3, n, p=[0.8, 0.15, 0.05])]
    h["lines_sum"] = np.zeros(n, bool)
    h["drg_index"] = di
    rows = []
    for code, p in codes.IP_REV_LINES:
        has = rng.random(n) < p
        c = np.nonzero(has)[0]
        units = np.where(code in ("0120", "0200"), los[c], rng.integers(1, 12, c.shape[0]))
        rows.append(_unpaid_line(c, code, units))
    b.add(h, _cat_rows(rows))

    # --- SNF stays (10% swing beds: claim type 30, bill type 18x) ------------------------
    eb, em = draw_events(rng, base_lam * RATES["snf"])
    n = eb.shape[0]
    los = np.clip(rng.gamma(2.2, 11.0, n).astype(np.int64) + 3, 3, 30)
    thru = service_days(rng, win, eb, em)
    frm = thru - los + 1
    swing = rng.random(n) < 0.10
    coins_days = np.maximum(los - 20, 0)
    gross = lognormal_cents(rng, codes.SNF_DAY_CENTS * los, 0.15, n)
    paid = np.maximum(gross - coins_days * codes.SNF_COINSURANCE_DAY_CENTS, 0)
    si = rng.integers(0, f.snfs.ccn.shape[0], n)
    ci = rng.integers(0, f.cahs.ccn.shape[0], n)
    # swing-bed CCNs carry a letter in the third position (Z: critical access hospital)
    cah = f.cahs.ccn[ci]
    swing_ccn = (np.char.add(np.char.add(_ccn_prefix(cah), b"Z"), _ccn_suffix(cah))
                 if n else np.empty(0, "S6"))
    fac = np.where(swing, swing_ccn, f.snfs.ccn[si]).astype("S6")
    fac_npi = np.where(swing, f.cahs.npi[ci], f.snfs.npi[si])
    dx1 = _s(["M6281", "R2681", "S72001A", "I639", "I5032", "J189"], 7)[rng.integers(0, 6, n)]
    h = _header(n, eb, np.where(swing, 30, 20), frm, thru, fac, fac_npi, paid,
                (np.where(swing, b"1", b"2"), np.where(swing, b"8", b"1")), dx1, KIND_SNF)
    h["admsn_type"] = np.full(n, b"3", "S2")
    h["snf_waiver"] = (~swing) & (rng.random(n) < 0.12)
    h["coins_days"] = coins_days
    all_c = np.arange(n)
    rows = [_rev(all_c, np.full(n, b"0022", "S4"), np.full(n, b"", "S5"), los, np.ones(n),
                 _s(codes.SNF_HIPPS, 5)[rng.integers(0, len(codes.SNF_HIPPS), n)], frm.copy()),
            _rev(all_c, np.full(n, b"0120", "S4"), np.full(n, b"", "S5"), los, np.zeros(n),
                 np.full(n, b"", "S5"), np.full(n, NAT, np.int64))]
    for code in ("0420", "0430", "0250"):
        c = np.nonzero(rng.random(n) < 0.7)[0]
        rows.append(_unpaid_line(c, code, rng.integers(4, 30, c.shape[0])))
    b.add(h, _cat_rows(rows))

    # --- home health 30-day periods ----------------------------------------------------
    eb, em = draw_events(rng, base_lam * RATES["hha"])
    n = eb.shape[0]
    thru = service_days(rng, win, eb, em)
    frm = thru - 29
    paid = lognormal_cents(rng, codes.HHA_PERIOD_CENTS, 0.25, n)
    hi = rng.integers(0, f.hhas.ccn.shape[0], n)
    dx1 = _s(["I5032", "J449", "M6281", "L03115", "E1122", "R2681"], 7)[rng.integers(0, 6, n)]
    h = _header(n, eb, 10, frm, thru, f.hhas.ccn[hi], f.hhas.npi[hi], paid, ("3", "2"), dx1,
                KIND_HHA)
    all_c = np.arange(n)
    visits = rng.integers(4, 16, n)
    rows = [_rev(all_c, np.full(n, b"0023", "S4"), np.full(n, b"G0299", "S5"), np.ones(n, np.int64),
                 np.ones(n), _s(codes.HHA_HIPPS, 5)[rng.integers(0, len(codes.HHA_HIPPS), n)],
                 frm.copy()),
            _rev(all_c, np.full(n, b"0551", "S4"), np.full(n, b"G0299", "S5"), visits, np.zeros(n),
                 np.full(n, b"", "S5"), frm + 1)]
    c = np.nonzero(rng.random(n) < 0.6)[0]
    rows.append(_rev(c, np.full(c.shape[0], b"0421", "S4"), np.full(c.shape[0], b"G0151", "S5"),
                     rng.integers(2, 10, c.shape[0]), np.zeros(c.shape[0]),
                     np.full(c.shape[0], b"", "S5"), frm[c] + 2))
    b.add(h, _cat_rows(rows))

    # --- hospice: one claim per month from hospice election to death ----------------------
    hs = pop.hospice_start[g]
    has_h = hs != NAT
    if has_h.any():
        hs_mo = np.where(has_h, hs, 0).astype("datetime64[D]").astype("datetime64[M]").astype(
            np.int64)
        inm = has_h[:, None] & (win.months[None, :] >= hs_mo[:, None]) & (win.exposure > 0)
        eb, em = np.nonzero(inm)
        n = eb.shape[0]
        frm = np.maximum(win.first_day[eb, em], hs[eb])
        thru = win.last_day[eb, em]
        days = np.maximum(thru - frm + 1, 1)
        paid = lognormal_cents(rng, codes.HOSPICE_DAY_CENTS * days, 0.08, n)
        hi = rng.integers(0, f.hospices.ccn.shape[0], n)
        dx1 = _s(["C3490", "I5022", "G309", "J449", "F0390"], 7)[rng.integers(0, 5, n)]
        h = _header(n, eb, 50, frm, thru, f.hospices.ccn[hi], f.hospices.npi[hi], paid,
                    ("8", "1"), dx1, KIND_HOSPICE)
        died = pop.death[g][eb] == thru
        h["ptnt_stus"] = np.where(died, b"40", b"30").astype("S2")
        all_c = np.arange(n)
        rows = [_rev(all_c, np.full(n, b"0651", "S4"), np.full(n, b"Q5001", "S5"), days,
                     np.ones(n), np.full(n, b"", "S5"), frm.copy())]
        b.add(h, _cat_rows(rows))

    # --- outpatient visits (ED ~10%) and monthly dialysis ---------------------------------
    op_w = np.array([v.weight for v in codes.OP_VISITS])
    eb, em = draw_events(rng, base_lam * RATES["op"])
    n = eb.shape[0]
    onc = pop.oncology[g][eb]
    vi = weighted_pick(rng, op_w, n)
    infusion = next(i for i, v in enumerate(codes.OP_VISITS) if v.name == "infusion")
    vi = np.where(onc & (rng.random(n) < 0.28), infusion, vi)
    vi = np.where((~onc) & (vi == infusion), 1, vi)  # infusions only for oncology patients
    thru = service_days(rng, win, eb, em)
    mean = np.array([v.mean_paid_cents for v in codes.OP_VISITS])[vi]
    sig = np.array([v.sigma for v in codes.OP_VISITS])[vi]
    paid = np.maximum(np.rint(mean * rng.lognormal(-sig**2 / 2, sig)), 0).astype(np.int64)
    use_cah = rng.random(n) < 0.08
    hi = rng.integers(0, f.hospitals.ccn.shape[0], n)
    ci = rng.integers(0, f.cahs.ccn.shape[0], n)
    fac = np.where(use_cah, f.cahs.ccn[ci], f.hospitals.ccn[hi])
    fac_npi = np.where(use_cah, f.cahs.npi[ci], f.hospitals.npi[hi])
    dx1 = np.empty(n, "S7")
    for i, v in enumerate(codes.OP_VISITS):
        sel = vi == i
        dx1[sel] = _s(v.dx, 7)[rng.integers(0, len(v.dx), int(sel.sum()))]
    h = _header(n, eb, 40, thru.copy(), thru, fac, fac_npi, paid,
                (np.full(n, b"1"), np.where(use_cah, b"8", b"3")), dx1, KIND_OP)
    h["bill_fac"] = np.where(use_cah, b"8", b"1").astype("S1")
    h["bill_cls"] = np.where(use_cah, b"5", b"3").astype("S1")
    ed = np.array([v.name == "ed" for v in codes.OP_VISITS])[vi]
    h["op_srvc"] = np.where(ed, b"1", b"3").astype("S1")
    h["lines_sum"] = rng.random(n) < 0.95
    h["tele"] = (vi == 1) & (rng.random(n) < 0.03)
    h["apc"] = _s([v.apc for v in codes.OP_VISITS], 5)[vi]
    rows = []
    for i, v in enumerate(codes.OP_VISITS):
        c = np.nonzero(vi == i)[0]
        for line in v.lines:
            rows.append(_op_line(c, line, h["apc"][c], thru[c]))
        for line, p in v.optional:
            cc = c[rng.random(c.shape[0]) < p]
            rows.append(_op_line(cc, line, np.full(cc.shape[0], b"", "S5"), thru[cc]))
    b.add(h, _cat_rows(rows))

    esrd = np.isin(pop.status_true[g], (11, 21, 31))
    grid_off = win.months[0] - pop.g0
    dial = esrd[:, grid_off:grid_off + win.months.shape[0]] & (win.exposure > 0.5)
    eb, em = np.nonzero(dial)
    n = eb.shape[0]
    if n:
        frm = win.first_day[eb, em]
        thru = win.last_day[eb, em]
        paid = lognormal_cents(rng, codes.DIALYSIS_MONTH_CENTS, 0.12, n)
        di_ = rng.integers(0, f.dialysis.ccn.shape[0], n)
        h = _header(n, eb, 40, frm, thru, f.dialysis.ccn[di_], f.dialysis.npi[di_], paid,
                    ("7", "2"), np.full(n, b"N186", "S7"), KIND_DIALYSIS)
        rows = [_op_line(np.arange(n), line, np.full(n, b"", "S5"), frm) for line in
                codes.DIALYSIS_LINES]
        b.add(h, _cat_rows(rows))

    h, rev = b.build()
    return _finish(rng, win, prov, ids, h, rev, chronic)


def _op_line(c: np.ndarray, line: codes.RevLine, apc: np.ndarray,
             day: np.ndarray) -> dict[str, np.ndarray]:
    k = c.shape[0]
    return _rev(c, np.full(k, line.rev.encode(), "S4"), np.full(k, line.hcpcs.encode(), "S5"),
                np.full(k, line.units, np.int64), np.full(k, line.share), apc, day)


def _cat_rows(rows: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}


def _finish(rng: np.random.Generator, win: Window, prov: Providers, ids: IdAllocator,
            h: dict[str, np.ndarray], rev: dict[str, np.ndarray],
            chronic: np.ndarray) -> PartA:
    pop = win.pop
    n = h["bene"].shape[0]
    # keep claims whose natural key (provider, from, through, beneficiary) is unique
    key = np.rec.fromarrays([h["bene"], h["ccn"], h["from"], h["thru"]])
    _, first = np.unique(key, return_index=True)
    keep = np.zeros(n, bool)
    keep[first] = True
    # the original's load date decides which claims this chunk delivers at all
    ready = h["thru"]
    first_load = load_days(rng, ready, "a")
    load_mo = first_load.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    join = pop.join_mo[win.idx][h["bene"]]
    initial = join == pop.start
    keep &= np.where(initial, load_mo >= pop.start, True) & (load_mo <= pop.end)
    h, rev, first_load = _subset(h, rev, keep, first_load)
    n = h["bene"].shape[0]

    # denials (whole claim, IP v40 3.2)
    denied = rng.random(n) < 0.035
    h["npmt"] = np.where(denied, DENIAL_CODES[rng.integers(0, 4, n)], b"").astype("S2")
    h["nominal"] = h["paid"].copy()
    h["paid"] = np.where(denied, 0, h["paid"])
    h["charge"] = np.rint(h["nominal"] * rng.uniform(2.2, 4.5, n)).astype(np.int64)
    clin = prov.clinician_npi
    h["atndg"] = clin[rng.integers(0, clin.shape[0], n)]
    h["oprtg"] = np.where(np.isin(h["kind"], (KIND_IP,)) & (rng.random(n) < 0.35),
                          clin[rng.integers(0, clin.shape[0], n)], b"").astype("S10")
    h["othr"] = np.where(rng.random(n) < 0.15, clin[rng.integers(0, clin.shape[0], n)],
                         b"").astype("S10")

    # versions
    v = draw_versions(rng, PART_A_PATTERNS, None, n, first_load, h["thru"], ids)
    a0 = h["paid"]
    a1 = changed_amounts(rng, a0, h["nominal"])
    a2 = changed_amounts(rng, a1, h["nominal"], avoid=a0)
    amounts = np.stack([a0, a1, a2], axis=1)
    v_paid = amounts[v.claim, v.amount_kind]
    delta = rng.integers(1, 4, v.n) * np.where(rng.random(v.n) < 0.5, -1, 1)
    v_thru = h["thru"][v.claim].copy()
    corrected = np.maximum(v_thru + delta, h["from"][v.claim])
    same_year = (corrected.astype("datetime64[D]").astype("datetime64[Y]")
                 == v_thru.astype("datetime64[D]").astype("datetime64[Y]"))
    fix = v.new_thru & same_year & (corrected != v_thru)
    if fix.any():  # a corrected through date must not land on another claim's natural key
        taken = set(zip(h["bene"].tolist(), h["ccn"].tolist(), h["from"].tolist(),
                        h["thru"].tolist(), strict=True))
        vc = v.claim[fix]
        clash = np.array([k in taken for k in zip(h["bene"][vc].tolist(), h["ccn"][vc].tolist(),
                                                    h["from"][vc].tolist(),
                                                    corrected[fix].tolist(), strict=True)])
        fix[np.nonzero(fix)[0][clash]] = False
    v_thru = np.where(fix, corrected, v_thru)
    v.efctv = np.maximum(v.efctv, v_thru + 1)

    # diagnoses (CCLF4): principal ('P'), then secondary ('D') from the beneficiary's chronic
    # conditions; a hip fracture gets its external cause ('E')
    n_sec = np.select([h["kind"] == KIND_IP, h["kind"] == KIND_OP],
                      [rng.integers(3, 9, n), rng.integers(0, 3, n)], rng.integers(2, 6, n))
    bene_chronic = chronic[h["bene"]]
    claim_rep = np.repeat(np.arange(n), n_sec)
    pos = np.arange(claim_rep.shape[0]) - np.repeat(np.cumsum(n_sec) - n_sec, n_sec)
    sec = bene_chronic[claim_rep, pos % bene_chronic.shape[1]]
    fall = (h["dx1"][claim_rep] == b"S72001A") & (pos == 0)
    sec = np.where(fall, codes.FALL_EXTERNAL_CAUSE.encode(), sec).astype("S7")
    ip = h["kind"] == KIND_IP
    dx_claim = np.concatenate([np.arange(n), claim_rep])
    dx_code = np.concatenate([h["dx1"], sec])
    dx_prod = np.concatenate([np.full(n, b"P", "S1"), np.where(fall, b"E", b"D").astype("S1")])
    dx_seq = np.concatenate([np.ones(n, np.int64), pos + 2])
    poa = np.where(ip[dx_claim], np.where(rng.random(dx_claim.shape[0]) < 0.93, b"Y", b"N"),
                   b"").astype("S7")
    order = np.lexsort((dx_seq, dx_claim))
    dx = {"claim": dx_claim[order], "code": dx_code[order], "prod": dx_prod[order],
          "seq": dx_seq[order], "poa": poa[order]}

    # procedures (CCLF3): the DRG's ICD-10-PCS codes for inpatient stays
    drg_idx = np.where(ip, h["drg_index"], -1)
    pc_claim: list[np.ndarray] = []
    pc_code: list[np.ndarray] = []
    pc_seq: list[np.ndarray] = []
    drgs = [d for d, _ in codes.DRGS]
    for i, d in enumerate(drgs):
        c = np.nonzero(drg_idx == i)[0]
        for j, p in enumerate(d.procedures):
            cc = c[rng.random(c.shape[0]) < (0.95 if j == 0 else 0.6)]
            pc_claim.append(cc)
            pc_code.append(np.full(cc.shape[0], p.encode(), "S7"))
            pc_seq.append(np.full(cc.shape[0], j + 1, np.int64))
    pcl = np.concatenate(pc_claim) if pc_claim else np.empty(0, np.int64)
    order = np.lexsort((np.concatenate(pc_seq), pcl)) if pc_claim else np.empty(0, np.int64)
    proc = {"claim": pcl[order], "code": np.concatenate(pc_code)[order],
            "seq": np.concatenate(pc_seq)[order]}
    proc["day"] = h["from"][proc["claim"]] + np.minimum(
        rng.integers(0, 3, proc["claim"].shape[0]), h["los"][proc["claim"]] - 1)

    h["cclfa"] = h["snf_waiver"] | h["tele"] | ((h["kind"] == KIND_HHA) & (rng.random(n) < 0.05))
    h["hcbs"] = (h["kind"] == KIND_HHA) & h["cclfa"] & ~h["tele"]
    return PartA(h=h, rev=rev, dx=dx, proc=proc, v=v, v_paid=v_paid, v_thru=v_thru)


def _subset(h: dict[str, np.ndarray], rev: dict[str, np.ndarray], keep: np.ndarray,
            first_load: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray],
                                             np.ndarray]:
    new_index = np.cumsum(keep) - 1
    h2 = {k: v[keep] for k, v in h.items()}
    rk = keep[rev["claim"]]
    rev2 = {k: v[rk] for k, v in rev.items()}
    rev2["claim"] = new_index[rev2["claim"]]
    order = np.argsort(rev2["claim"], kind="stable")
    rev2 = {k: v[order] for k, v in rev2.items()}
    return h2, rev2, first_load[keep]

