"""One chunk of beneficiaries: draw their claims, write their records to every delivery, and
record their ground truth. Memory is bounded by the chunk size, not by N."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from aco_pipeline.layouts import current_layout
from aco_pipeline.synth import claims_part_a, claims_part_b, claims_part_d, codes, records
from aco_pipeline.synth.alr import AlrAttribution, valid_as_written
from aco_pipeline.synth.bundle import Stage
from aco_pipeline.synth.claims_common import IdAllocator, Versions, build_window, zfill
from aco_pipeline.synth.emission import NO_NEXT, emit
from aco_pipeline.synth.fixed_width_writer import encode_block
from aco_pipeline.synth.ground_truth import (
    GroundTruthWriter,
    aggregate_paid,
    dates,
    enrollment_type,
    money,
    strings,
)
from aco_pipeline.synth.population import NAT, NEVER, Population
from aco_pipeline.synth.providers import Providers
from aco_pipeline.synth.timeline import Schedule

CHUNK_SIZE = 2000
"""Beneficiaries per chunk. Fixed (part of the seed's meaning), not tuned per machine."""

CHUNK_STREAM = 100


@dataclass(slots=True)
class Context:
    pop: Population
    prov: Providers
    sched: Schedule
    stage: Stage
    gt: GroundTruthWriter
    seed: int
    created_days: np.ndarray  # creation day ordinal per delivery index
    counts: dict[str, int]
    alr: AlrAttribution | None = None  # collects ALR Tables 1-2 / 1-4 from Part B lines


def _month(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _stage(ctx: Context, files: dict[str, tuple[dict[str, object], np.ndarray]]) -> None:
    for ft, (cols, delivery) in files.items():
        n = int(delivery.shape[0])
        block = encode_block(current_layout(ft), cols, n)
        ctx.stage.append(ft, block, delivery)
        ctx.counts[ft] = ctx.counts.get(ft, 0) + n


def _version_mbi(rng: np.random.Generator, pop: Population, gb: np.ndarray,
                 load: np.ndarray) -> np.ndarray:
    """The MBI a version carries: the one in effect when the provider submitted it."""
    submitted = load - rng.integers(0, 21, load.shape[0])
    return pop.mbi_at(gb, submitted)


def _final_debit_credit(v: Versions, delivered: np.ndarray) -> np.ndarray:
    """IP v40 5.2.1: drop each delivered cancellation and the version it cancels."""
    cancel = delivered & (v.adj == 1)
    targets = v.cancels[cancel]
    if targets.shape[0] and not delivered[targets].all():  # pragma: no cover - invariant
        raise AssertionError("a delivered cancellation's target was not delivered")
    cancelled = np.zeros(v.n, bool)
    cancelled[targets] = True
    return delivered & (v.adj != 1) & ~cancelled


def process_chunk(ctx: Context, chunk: int) -> None:
    pop, sched = ctx.pop, ctx.sched
    idx = np.arange(chunk * CHUNK_SIZE, min((chunk + 1) * CHUNK_SIZE, pop.n), dtype=np.int64)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([ctx.seed, CHUNK_STREAM,
                                                                      chunk])))
    ids = IdAllocator(chunk, rng)
    win = build_window(pop, idx)
    cw = np.linspace(3.0, 0.5, len(codes.CHRONIC_DX))
    chronic = np.array(codes.CHRONIC_DX, "S7")[
        rng.choice(len(codes.CHRONIC_DX), size=(idx.shape[0], 6), p=cw / cw.sum())]
    cur_mbi = pop.current_mbi()[idx]
    paid_parts: list[tuple[np.ndarray, ...]] = []
    fa_parts: list[dict[str, pa.Array]] = []

    # --- Part A ---------------------------------------------------------------------------
    pa_ = claims_part_a.generate(rng, win, ctx.prov, ids, chronic)
    v = pa_.v
    vb = pa_.h["bene"][v.claim]
    mbi = _version_mbi(rng, pop, idx[vb], v.load)
    em = emit(rng, sched, pop, idx, vb, v.load, pa_.v_thru)
    _stage(ctx, records.part_a(pa_, em, mbi))
    delivered = em.delivered(v.n)
    signed = np.where(v.adj == 1, -pa_.v_paid, pa_.v_paid)
    ctype = pa_.h["clm_type"][v.claim]
    month = _month(pa_.v_thru)
    paid_parts.append((vb[delivered], month[delivered], ctype[delivered], signed[delivered]))
    fin = np.nonzero(_final_debit_credit(v, delivered))[0]
    fa_parts.append(_fa("part_a", v.ids[fin], None, cur_mbi[vb[fin]], ctype[fin], v.adj[fin],
                        month[fin], pa_.v_paid[fin]))
    ctx.counts["claims_part_a"] = ctx.counts.get("claims_part_a", 0) + pa_.n

    # --- Part B physician and DME ---------------------------------------------------------
    for family in ("part_b", "dme"):
        pb = claims_part_b.generate(rng, win, ctx.prov, ids, chronic, family)
        v = pb.v
        vb = pb.c["bene"][v.claim]
        mbi = _version_mbi(rng, pop, idx[vb], v.load)
        em = emit(rng, sched, pop, idx, vb, v.load, pb.c["thru"][v.claim])
        files, _, _ = records.part_b(pb, em, mbi)
        _stage(ctx, files)
        delivered = em.delivered(v.n)
        # every line of every delivered version, once
        dv = np.nonzero(delivered)[0]
        ls = np.searchsorted(pb.line["claim"], np.arange(pb.n))
        lc = np.bincount(pb.line["claim"], minlength=pb.n)
        c = v.claim[dv]
        rep = np.repeat(np.arange(dv.shape[0]), lc[c])
        li = ls[c][rep] + (np.arange(rep.shape[0]) - np.repeat(np.cumsum(lc[c]) - lc[c], lc[c]))
        vr = dv[rep]
        amt = pb.amounts[li, v.amount_kind[vr]]
        sgn = np.where(v.adj[vr] == 1, -amt, amt)
        cl = v.claim[vr]
        ctype = pb.c["clm_type"][cl]
        month = _month(pb.c["thru"][cl])
        bene = pb.c["bene"][cl]
        paid_parts.append((bene, month, ctype, sgn))
        final_v = _final_debit_credit(v, delivered)
        keep = final_v[vr]
        fa_parts.append(_fa(family, v.ids[vr][keep], pb.line["num"][li][keep],
                            cur_mbi[bene[keep]], ctype[keep], v.adj[vr][keep], month[keep],
                            amt[keep]))
        if family == "part_b" and ctx.alr is not None:
            # ALR Tables 1-2 / 1-4 count the valid final-action lines the CCLF5 files carry
            fl, fc = li[keep], cl[keep]
            ctx.alr.add(idx, bene[keep], pb.line["day"][fl], pb.c["tin"][fc], pb.c["rend"][fc],
                        pb.line["hcpcs"][fl], pb.c["pos"][fc], valid_as_written(pb, fl, vr[keep]))
        ctx.counts[f"claims_{family}"] = ctx.counts.get(f"claims_{family}", 0) + pb.n

    # --- Part D (final action) --------------------------------------------------------------
    pd_ = claims_part_d.generate(rng, win, ctx.prov, ids, chunk)
    v = pd_.v
    vb = pd_.c["bene"][v.claim]
    last_of_claim = np.r_[v.claim[1:] != v.claim[:-1], True] if v.n else np.zeros(0, bool)
    next_load = np.where(last_of_claim, NO_NEXT, np.r_[v.load[1:], 0])
    mbi = _version_mbi(rng, pop, idx[vb], v.load)
    em = emit(rng, sched, pop, idx, vb, v.load, pd_.c["day"][v.claim], next_load=next_load)
    _stage(ctx, records.part_d(pd_, em, mbi))
    delivered = em.delivered(v.n)
    # final action: the latest delivered version of each fill, unless it is a delete
    latest = np.full(pd_.n, -1, np.int64)
    dvr = np.nonzero(delivered)[0]
    np.maximum.at(latest, v.claim[dvr], dvr)
    fv = latest[latest >= 0]
    fv = fv[v.adj[fv] != 1]
    fc = v.claim[fv]
    famt = pd_.amounts[fc, np.minimum(v.amount_kind[fv], 1)]
    ctype = np.where(v.adj[fv] == 2, 2, 1)
    month = _month(pd_.c["day"][fc])
    paid_parts.append((vb[fv], month, ctype, famt))
    fa_parts.append(_fa("part_d", v.ids[fv], None, cur_mbi[vb[fv]], ctype, v.adj[fv], month,
                        famt))
    ctx.counts["claims_part_d"] = ctx.counts.get("claims_part_d", 0) + pd_.n

    # --- beneficiary files ------------------------------------------------------------------
    _beneficiary_files(ctx, idx, cur_mbi)

    # --- ground truth ---------------------------------------------------------------------
    cat = [np.concatenate([p[i] for p in paid_parts]) for i in range(4)]
    b, mo, ct, cents = aggregate_paid(*cat)
    ctx.gt.write("beneficiary_month_paid", {
        "current_mbi": strings(cur_mbi[b]),
        "month": dates(_month_first(mo)),
        "clm_type_cd": strings(zfill(ct, 2)),
        "net_paid": money(cents),
    })
    table = {k: pa.concat_arrays([p[k] for p in fa_parts]) for k in fa_parts[0]}
    ctx.gt.write("final_action_claims", table)


def _month_first(mo: np.ndarray) -> np.ndarray:
    return np.asarray(mo, np.int64).astype("datetime64[M]").astype("datetime64[D]").astype(
        np.int64)


def _fa(family: str, ids: np.ndarray, line: np.ndarray | None, mbi: np.ndarray,
        ctype: np.ndarray, adj: np.ndarray, month: np.ndarray,
        cents: np.ndarray) -> dict[str, pa.Array]:
    n = ids.shape[0]
    return {
        "family": pa.array(np.full(n, family.encode(), "S6"), pa.binary()).cast(pa.string()),
        "cur_clm_uniq_id": pa.array(ids.astype(np.int64)).cast(pa.string()),
        "clm_line_num": (pa.array(line.astype(np.int32), pa.int32()) if line is not None
                         else pa.nulls(n, pa.int32())),
        "current_mbi": strings(mbi),
        "clm_type_cd": strings(zfill(ctype, 2)),
        "clm_adjsmt_type_cd": strings(adj.astype("S1")),
        "month": dates(_month_first(month)),
        "paid_amount": money(cents),
    }


def listing(pop: Population, sched: Schedule, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(beneficiary, delivery) pairs of the CCLF8 listings, ordered by delivery."""
    join, exit_, optout = pop.join_mo[idx], pop.exit_mo[idx], pop.optout_mo[idx]
    death = pop.death[idx]
    death_year = np.where(death == NAT, NEVER, np.where(death == NAT, 0, death).astype(
        "datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970)
    bs: list[np.ndarray] = []
    ds: list[np.ndarray] = []
    for d in sched.deliveries:
        if d.runout:
            py = d.performance_year
            m = (join <= (py - 1970) * 12 + 11) & (death_year >= py) & (optout > d.ref_month)
        else:
            m = (join <= d.ref_month) & (d.ref_month <= exit_)
        sel = np.nonzero(m)[0]
        bs.append(sel)
        ds.append(np.full(sel.shape[0], d.index, np.int64))
    return np.concatenate(bs), np.concatenate(ds)


def _beneficiary_files(ctx: Context, idx: np.ndarray, cur_mbi: np.ndarray) -> None:
    pop, sched = ctx.pop, ctx.sched
    bl, dl = listing(pop, sched, idx)
    gb = idx[bl]
    ref = np.array([d.ref_month for d in sched.deliveries], np.int64)[dl]
    created = ctx.created_days[dl]
    cols8, d8 = records.cclf8(pop, gb, ref, created, dl)
    cols9, d9 = records.cclf9(pop, gb, created, dl)
    _stage(ctx, {"CCLF8": (cols8, d8), "CCLF9": (cols9, d9)})

    # beneficiary_month: every span month while in the population
    months = np.arange(sched.start, sched.end + 1)
    join = pop.join_mo[idx]
    death = pop.death[idx]
    death_year = np.where(death == NAT, NEVER, np.where(death == NAT, 0, death).astype(
        "datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970)
    year = months // 12 + 1970
    member = (join[:, None] <= months[None, :]) & (death_year[:, None] >= year[None, :])
    rb, rm = np.nonzero(member)
    mo = months[rm]
    first_day = _month_first(mo)
    # enrollment type from the row of that month's monthly delivery, when listed
    monthly = sched.monthly_index()
    d_of = monthly[mo - sched.start]
    etype = np.full(rb.shape[0], -1, np.int8)
    key_rows = bl * len(sched.deliveries) + dl
    want = rb * len(sched.deliveries) + d_of
    order = np.argsort(key_rows)
    pos = np.searchsorted(key_rows[order], want)
    pos = np.minimum(pos, max(key_rows.shape[0] - 1, 0))
    found = key_rows.shape[0] > 0
    hit = (key_rows[order][pos] == want) if found else np.zeros(rb.shape[0], bool)
    r = order[pos[hit]]
    death_written = cols8["bene_death_dt"]
    assert isinstance(death_written, np.ndarray)
    etype[hit] = enrollment_type(
        np.asarray(cols8["bene_mdcr_stus_cd"])[r], np.asarray(cols8["bene_dual_stus_cd"])[r],
        death_written.view(np.int64)[r], first_day[hit])
    # alive: no death date known in the newest CCLF8 that lists the beneficiary
    newest = np.full(idx.shape[0], np.iinfo(np.int64).min)
    np.maximum.at(newest, bl, created)
    known_death = np.where((death != NAT) & (pop.death_report[idx] <= newest), death, NAT)
    alive = ~((known_death[rb] != NAT) & (known_death[rb] < first_day))
    opted = mo >= pop.optout_mo[idx][rb]
    et = pa.array(etype, pa.int8(), mask=etype < 0)
    ctx.gt.write("beneficiary_month", {
        "current_mbi": strings(cur_mbi[rb]),
        "month": dates(first_day),
        "enrollment_type": et,
        "alive": pa.array(alive, pa.bool_()),
        "opted_out": pa.array(opted, pa.bool_()),
    })

