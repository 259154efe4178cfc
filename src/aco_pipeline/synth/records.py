"""Column builders: claim versions x emissions -> CCLF field columns (lowercase IP v40 names).

Each builder returns (columns, delivery index per row). Amounts are written unsigned, as CMS
does; the sign comes from CLM_ADJSMT_TYPE_CD (IP v40 5.3.1). HICN, BIC-HICN and RRB fields
are left blank (IP v40 4.4 note: blank in files generated from January 2020).
"""

from __future__ import annotations

import numpy as np

from aco_pipeline.synth.claims_common import control_numbers
from aco_pipeline.synth.claims_part_a import KIND_IP, KIND_SNF, PartA
from aco_pipeline.synth.claims_part_b import PartB
from aco_pipeline.synth.claims_part_d import PartD
from aco_pipeline.synth.codes import PART_A_DEDUCTIBLE_CENTS
from aco_pipeline.synth.emission import Emissions
from aco_pipeline.synth.population import COUNTIES, DUAL_CODES, NAT, Population
from aco_pipeline.synth.providers import (
    CONTRACTOR_A,
    CONTRACTOR_B,
    CONTRACTOR_DME,
    STATE_FIPS,
)

Columns = dict[str, object]

ADJ = np.array([b"0", b"1", b"2"], "S2")


def _d(days: np.ndarray) -> np.ndarray:
    return days.astype(np.int64).view("datetime64[D]")


def _expand(em_version: np.ndarray, starts: np.ndarray, counts: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Rows of child records: (emission row, child row) for each emission's children."""
    c = counts[em_version] if em_version.shape[0] else np.empty(0, np.int64)
    rep = np.repeat(np.arange(em_version.shape[0]), c)
    offs = np.arange(rep.shape[0]) - np.repeat(np.cumsum(c) - c, c)
    child = starts[em_version][rep] + offs
    return rep, child


def _ranges(owner: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, count) of rows per owner id, for rows sorted by owner."""
    starts = np.searchsorted(owner, np.arange(n))
    counts = np.bincount(owner, minlength=n) if owner.shape[0] else np.zeros(n, np.int64)
    return starts, counts


# --- Part A ---------------------------------------------------------------------------------

def part_a(pa: PartA, em: Emissions, mbi: np.ndarray) -> dict[str, tuple[Columns, np.ndarray]]:
    """CCLF1, 2, 3, 4 and A columns. `mbi`: S11 per version."""
    h, v = pa.h, pa.v
    ev = em.version
    c = v.claim[ev]
    n = ev.shape[0]
    adj = v.adj[ev]
    paid = pa.v_paid[ev]
    thru = pa.v_thru[ev]
    ids = v.ids[ev]
    orig_ids = v.ids[v.first[ev]]
    denied_v = (h["npmt"][c] != b"") & (paid == 0)
    freq = np.select([adj == 1, adj == 2], [b"8", b"7"], b"1").astype("S1")
    ip = h["kind"][c] == KIND_IP
    ime = np.where(ip, paid // 20, 0)
    dsh = np.where(ip, paid // 33, 0)
    ccn = h["ccn"][c]
    hdr: Columns = {
        "cur_clm_uniq_id": ids,
        "prvdr_oscar_num": ccn,
        "bene_mbi_id": mbi[ev],
        "clm_type_cd": h["clm_type"][c],
        "clm_from_dt": _d(h["from"][c]),
        "clm_thru_dt": _d(thru),
        "clm_bill_fac_type_cd": h["bill_fac"][c],
        "clm_bill_clsfctn_cd": h["bill_cls"][c],
        "prncpl_dgns_cd": h["dx1"][c],
        "admtg_dgns_cd": h["admtg_dx"][c],
        "clm_mdcr_npmt_rsn_cd": np.where(denied_v, h["npmt"][c], b"").astype("S2"),
        "clm_pmt_amt": paid,
        "prvdr_fac_fips_st_cd": STATE_FIPS,
        "bene_ptnt_stus_cd": h["ptnt_stus"][c],
        "dgns_drg_cd": h["drg"][c],
        "clm_op_srvc_type_cd": h["op_srvc"][c],
        "fac_prvdr_npi_num": h["fac_npi"][c],
        "oprtg_prvdr_npi_num": h["oprtg"][c],
        "atndg_prvdr_npi_num": h["atndg"][c],
        "othr_prvdr_npi_num": h["othr"][c],
        "clm_adjsmt_type_cd": ADJ[adj],
        "clm_efctv_dt": _d(v.efctv[ev]),
        "clm_idr_ld_dt": _d(v.load[ev]),
        "clm_admsn_type_cd": h["admsn_type"][c],
        "clm_admsn_src_cd": h["admsn_src"][c],
        "clm_bill_freq_cd": freq,
        "clm_query_cd": "3",
        "dgns_prcdr_icd_ind": "0",
        "clm_mdcr_instnl_tot_chrg_amt": h["charge"][c],
        "clm_mdcr_ip_pps_cptl_ime_amt": np.where(ip, paid // 200, 0),
        "clm_oprtnl_ime_amt": ime,
        "clm_mdcr_ip_pps_dsprprtnt_amt": np.where(ip, paid // 100, 0),
        "clm_hipps_uncompd_care_amt": np.where(ip, paid // 50, 0),
        "clm_oprtnl_dsprprtnt_amt": dsh,
        "clm_blg_prvdr_oscar_num": ccn,
        "clm_blg_prvdr_npi_num": h["fac_npi"][c],
        "clm_oprtg_prvdr_npi_num": h["oprtg"][c],
        "clm_atndg_prvdr_npi_num": h["atndg"][c],
        "clm_othr_prvdr_npi_num": h["othr"][c],
        "clm_cntl_num": control_numbers(ids, b"2"),
        "clm_org_cntl_num": np.where(adj > 0, control_numbers(orig_ids, b"2"), b"").astype("S15"),
        "clm_cntrctr_num": CONTRACTOR_A,
    }
    out = {"CCLF1": (hdr, em.delivery)}

    # CCLF2 revenue centre lines, payments allocated from the version's header amount
    rs, rc = _ranges(pa.rev["claim"], pa.n)
    rep, li = _expand(c, rs, rc)
    ln = li - rs[c][rep]
    share = pa.rev["share"][li]
    owner = rep  # lines of one emission are contiguous
    share_sum = np.bincount(owner, weights=share, minlength=n)
    amount = paid[rep]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(share_sum[owner] > 0, share / share_sum[owner], 0.0)
    line_paid = np.floor(amount * frac).astype(np.int64)
    consistent = h["lines_sum"][c][rep]
    if line_paid.shape[0]:
        # the remainder goes to the emission's last paying line, so lines sum to the header
        alloc = np.bincount(owner, weights=line_paid, minlength=n).astype(np.int64)
        rem = paid - alloc
        last_pay = np.full(n, -1, np.int64)
        paying = np.nonzero(share > 0)[0]
        np.maximum.at(last_pay, owner[paying], paying)
        fix = (last_pay >= 0) & np.asarray(h["lines_sum"][c])
        line_paid[last_pay[fix]] += rem[fix]
        off = (~consistent) & (share > 0)
        line_paid = np.where(off, (line_paid * 9) // 10, line_paid)
    day = pa.rev["day"][li]
    has_day = day != NAT
    cc = c[rep]
    lines: Columns = {
        "cur_clm_uniq_id": ids[rep],
        "clm_line_num": ln + 1,
        "bene_mbi_id": mbi[ev][rep],
        "clm_type_cd": h["clm_type"][cc],
        "clm_line_from_dt": _d(np.where(has_day, day, h["from"][cc])),
        "clm_line_thru_dt": _d(np.where(has_day, day, thru[rep])),
        "clm_line_prod_rev_ctr_cd": pa.rev["rev"][li],
        "clm_line_instnl_rev_ctr_dt": _d(day),
        "clm_line_hcpcs_cd": pa.rev["hcpcs"][li],
        "prvdr_oscar_num": ccn[rep],
        "clm_from_dt": _d(h["from"][cc]),
        "clm_thru_dt": _d(thru[rep]),
        "clm_line_srvc_unit_qty": pa.rev["units"][li] * 10_000,
        "clm_line_cvrd_pd_amt": line_paid,
        "clm_rev_apc_hipps_cd": pa.rev["apc"][li],
        "clm_fac_prvdr_oscar_num": ccn[rep],
    }
    out["CCLF2"] = (lines, em.delivery[rep])

    # CCLF3 procedures
    ps, pc = _ranges(pa.proc["claim"], pa.n)
    rep, pi = _expand(c, ps, pc)
    cc = c[rep]
    procs: Columns = {
        "cur_clm_uniq_id": ids[rep],
        "bene_mbi_id": mbi[ev][rep],
        "clm_type_cd": h["clm_type"][cc],
        "clm_val_sqnc_num": pa.proc["seq"][pi],
        "clm_prcdr_cd": pa.proc["code"][pi],
        "clm_prcdr_prfrm_dt": _d(pa.proc["day"][pi]),
        "prvdr_oscar_num": ccn[rep],
        "clm_from_dt": _d(h["from"][cc]),
        "clm_thru_dt": _d(thru[rep]),
        "dgns_prcdr_icd_ind": "0",
        "clm_blg_prvdr_oscar_num": ccn[rep],
    }
    out["CCLF3"] = (procs, em.delivery[rep])

    # CCLF4 diagnoses
    ds, dc = _ranges(pa.dx["claim"], pa.n)
    rep, di = _expand(c, ds, dc)
    cc = c[rep]
    dxs: Columns = {
        "cur_clm_uniq_id": ids[rep],
        "bene_mbi_id": mbi[ev][rep],
        "clm_type_cd": h["clm_type"][cc],
        "clm_prod_type_cd": pa.dx["prod"][di],
        "clm_val_sqnc_num": pa.dx["seq"][di],
        "clm_dgns_cd": pa.dx["code"][di],
        "prvdr_oscar_num": ccn[rep],
        "clm_from_dt": _d(h["from"][cc]),
        "clm_thru_dt": _d(thru[rep]),
        "clm_poa_ind": pa.dx["poa"][di],
        "dgns_prcdr_icd_ind": "0",
        "clm_blg_prvdr_oscar_num": ccn[rep],
    }
    out["CCLF4"] = (dxs, em.delivery[rep])

    # CCLFA benefit enhancement rows for claims processed with a BE (IP v40 2.5)
    sel = np.nonzero(h["cclfa"][c])[0]
    ca = c[sel]
    kind = h["kind"][ca]
    year = (h["thru"][ca].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
            + 1970)
    ded = np.array([PART_A_DEDUCTIBLE_CENTS.get(int(y), 163_200) for y in year], np.int64) \
        if ca.shape[0] else np.empty(0, np.int64)
    inst = np.isin(kind, (KIND_IP, KIND_SNF))
    y = np.array(b"Y")
    be: Columns = {
        "cur_clm_uniq_id": ids[sel],
        "bene_mbi_id": mbi[ev][sel],
        "clm_type_cd": h["clm_type"][ca],
        "clm_actv_care_from_dt": _d(np.where(inst, h["from"][ca], NAT)),
        "clm_ngaco_pdschrg_hcbs_sw": np.where(h["hcbs"][ca], y, b"").astype("S1"),
        "clm_ngaco_snf_wvr_sw": np.where(h["snf_waiver"][ca], y, b"").astype("S1"),
        "clm_ngaco_tlhlth_sw": np.where(h["tele"][ca], y, b"").astype("S1"),
        "clm_pbp_inclsn_amt": np.zeros(sel.shape[0], np.int64),
        "clm_pbp_rdctn_amt": np.zeros(sel.shape[0], np.int64),
        "clm_instnl_per_diem_amt": np.where(kind == KIND_SNF, paid[sel] // h["los"][ca], 0),
        "clm_mdcr_ip_bene_ddctbl_amt": np.where(kind == KIND_IP, ded, 0),
        "clm_mdcr_coinsrnc_amt": h["coins_days"][ca] * 20_400,
        "clm_blood_lblty_amt": np.zeros(sel.shape[0], np.int64),
        "clm_instnl_prfnl_amt": np.zeros(sel.shape[0], np.int64),
        "clm_ncvrd_chrg_amt": np.zeros(sel.shape[0], np.int64),
        "clm_mdcr_ddctbl_amt": np.zeros(sel.shape[0], np.int64),
        "clm_oprtnl_outlr_amt": np.zeros(sel.shape[0], np.int64),
        "clm_mdcr_new_tech_amt": np.zeros(sel.shape[0], np.int64),
        "clm_islet_isoln_amt": np.zeros(sel.shape[0], np.int64),
        "clm_sqstrtn_rdctn_amt": (paid[sel] * 2) // 98,
        "clm_1_rev_cntr_ansi_rsn_cd": "45",
        "clm_1_rev_cntr_ansi_grp_cd": "CO",
        "clm_mips_pmt_amt": np.zeros(sel.shape[0], np.int64),
    }
    out["CCLFA"] = (be, em.delivery[sel])
    return out


# --- Part B physician and DME ---------------------------------------------------------------

def part_b(pb: PartB, em: Emissions, mbi: np.ndarray
           ) -> tuple[dict[str, tuple[Columns, np.ndarray]], np.ndarray, np.ndarray]:
    """CCLF5 (+ CCLFB) or CCLF6 columns; also (emission row, line index) of each line row."""
    c_, v, line = pb.c, pb.v, pb.line
    ev = em.version
    c = v.claim[ev]
    ls, lc = _ranges(line["claim"], pb.n)
    rep, li = _expand(c, ls, lc)
    vr = ev[rep]
    cr = c[rep]
    adj = v.adj[vr]
    kind = v.amount_kind[vr]
    paid = pb.amounts[li, kind]
    # a line paid in a re-filed version is no longer denied
    prcsg = np.where((paid > 0) & (line["prcsg"][li] != b"S") & (line["prcsg"][li] != b"R"),
                     b"A", line["prcsg"][li]).astype("S2")
    prcsg = np.where(paid == 0, line["prcsg"][li], prcsg).astype("S2")
    dnl = np.where((kind > 0) & c_["denied"][cr], b"1", c_["dnl"][cr]).astype("S2")
    disp = np.where(adj == 1, b"03", b"01").astype("S2")
    day = _d(line["day"][li])
    common: Columns = {
        "cur_clm_uniq_id": v.ids[vr],
        "clm_line_num": line["num"][li],
        "bene_mbi_id": mbi[vr],
        "clm_type_cd": c_["clm_type"][cr],
        "clm_from_dt": _d(c_["from"][cr]),
        "clm_thru_dt": _d(c_["thru"][cr]),
        "clm_pos_cd": c_["pos"][cr],
        "clm_line_from_dt": day,
        "clm_line_thru_dt": day,
        "clm_line_hcpcs_cd": line["hcpcs"][li],
        "clm_line_cvrd_pd_amt": paid,
        "clm_fed_type_srvc_cd": line["tos"][li],
        "clm_carr_pmt_dnl_cd": dnl,
        "clm_prcsg_ind_cd": prcsg,
        "clm_adjsmt_type_cd": ADJ[adj],
        "clm_efctv_dt": _d(v.efctv[vr]),
        "clm_idr_ld_dt": _d(v.load[vr]),
        "clm_cntl_num": c_["cntl"][cr],
        "clm_line_alowd_chrg_amt": np.where(paid > 0, line["allowed"][li], 0),
        "clm_disp_cd": disp,
    }
    out: dict[str, tuple[Columns, np.ndarray]] = {}
    if pb.family == "dme":
        common.update({
            "clm_prmry_pyr_cd": line["prmry_pyr"][li],
            "payto_prvdr_npi_num": c_["rend"][cr],
            "ordrg_prvdr_npi_num": c_["order_npi"][cr],
            "clm_blg_prvdr_npi_num": c_["rend"][cr],
            "clm_rfrg_prvdr_npi_num": c_["order_npi"][cr],
        })
        out["CCLF6"] = (common, em.delivery[rep])
        return out, rep, li
    dx = c_["dx"][cr]
    common.update({
        "rndrg_prvdr_type_cd": np.where(line["tos"][li] == b"5", b"0", b"1").astype("S3"),
        "rndrg_prvdr_fips_st_cd": STATE_FIPS,
        "clm_prvdr_spclty_cd": c_["spec"][cr],
        "clm_line_prmry_pyr_cd": line["prmry_pyr"][li],
        "clm_line_dgns_cd": dx[:, 0],
        "clm_rndrg_prvdr_tax_num": c_["tin"][cr],
        "rndrg_prvdr_npi_num": c_["rend"][cr],
        "clm_line_srvc_unit_qty": line["units"][li] * 10_000,
        "hcpcs_1_mdfr_cd": line["mod"][li],
        "clm_dgns_1_cd": dx[:, 0],
        "clm_dgns_2_cd": dx[:, 1],
        "clm_dgns_3_cd": dx[:, 2],
        "clm_dgns_4_cd": dx[:, 3],
        "dgns_prcdr_icd_ind": "0",
        "hcpcs_betos_cd": line["betos"][li],
        "clm_rndrg_prvdr_npi_num": c_["rend"][cr],
        "clm_rfrg_prvdr_npi_num": c_["order_npi"][cr],
        "clm_cntrctr_num": CONTRACTOR_B,
    })
    out["CCLF5"] = (common, em.delivery[rep])
    sel = np.nonzero(line["tele"][li] | (line["hpsa"][li] == b"Y"))[0]
    y = np.array(b"Y")
    sp = paid[sel]
    be: Columns = {
        "cur_clm_uniq_id": v.ids[vr][sel],
        "clm_line_num": line["num"][li][sel],
        "bene_mbi_id": mbi[vr][sel],
        "clm_type_cd": c_["clm_type"][cr][sel],
        "clm_line_ngaco_tlhlth_sw": np.where(line["tele"][li][sel], y, b"").astype("S1"),
        "clm_pbp_inclsn_amt": np.zeros(sel.shape[0], np.int64),
        "clm_pbp_rdctn_amt": np.zeros(sel.shape[0], np.int64),
        "clm_mdcr_ddctbl_amt": np.zeros(sel.shape[0], np.int64),
        "clm_sqstrtn_rdctn_amt": (sp * 2) // 98,
        "clm_line_carr_hpsa_scrcty_cd": line["hpsa"][li][sel],
    }
    out["CCLFB"] = (be, em.delivery[rep][sel])
    return out, rep, li


CONTRACTORS = (CONTRACTOR_A, CONTRACTOR_B, CONTRACTOR_DME)


# --- Part D ---------------------------------------------------------------------------------

def part_d(pd_: PartD, em: Emissions, mbi: np.ndarray) -> dict[str, tuple[Columns, np.ndarray]]:
    c_, v = pd_.c, pd_.v
    ev = em.version
    c = v.claim[ev]
    adj = v.adj[ev]
    deleted = adj == 1
    kind = np.minimum(v.amount_kind[ev], 1)
    paid = np.where(deleted, 0, pd_.amounts[c, kind])
    ctype = np.select([deleted, adj == 2], [3, 2], 1)
    cols: Columns = {
        "cur_clm_uniq_id": v.ids[ev],
        "bene_mbi_id": mbi[ev],
        "clm_line_ndc_cd": np.where(deleted, b"", c_["ndc"][c]).astype("S11"),
        "clm_type_cd": ctype,
        "clm_line_from_dt": _d(c_["day"][c]),
        "prvdr_srvc_id_qlfyr_cd": "01",
        "clm_srvc_prvdr_gnrc_id_num": c_["pharmacy"][c],
        "clm_dspnsng_stus_cd": c_["dspn"][c],
        "clm_daw_prod_slctn_cd": c_["daw"][c],
        "clm_line_srvc_unit_qty": c_["qty"][c] * 10_000,
        "clm_line_days_suply_qty": c_["days_supply"][c],
        "prvdr_prsbng_id_qlfyr_cd": "01",
        "clm_line_bene_pmt_amt": paid,
        "clm_adjsmt_type_cd": ADJ[adj],
        "clm_efctv_dt": _d(v.efctv[ev]),
        "clm_idr_ld_dt": _d(v.load[ev]),
        "clm_line_rx_srvc_rfrnc_num": c_["rx"][c],
        "clm_line_rx_fill_num": c_["fill"][c].astype("S9"),
        "clm_phrmcy_srvc_type_cd": "01",
        "clm_prsbng_prvdr_gnrc_id_num": c_["prescriber"][c],
    }
    return {"CCLF7": (cols, em.delivery)}


# --- beneficiary files ----------------------------------------------------------------------

BUYIN_DUALS = np.isin(DUAL_CODES, [b"01", b"02", b"03", b"04", b"05", b"06", b"08"])


def cclf8(pop: Population, gb: np.ndarray, ref_mo: np.ndarray, created: np.ndarray,
          delivery: np.ndarray) -> tuple[Columns, np.ndarray]:
    """One demographics row per (beneficiary, delivery). `created`: creation day per row.

    BENE_RNG_BGN_DT / BENE_RNG_END_DT are the hospice election dates (IP v40 Table 21):
    `1000-01-01` / `9999-12-31` when there is none or it is open; the death date is
    `9999-12-31` until the death is known (IP v40 3.6 sentinels).
    """
    gi = ref_mo - pop.g0
    status = pop.status_cclf[gb, gi]
    dual = pop.dual[gb, gi]
    death_known = (pop.death[gb] != NAT) & (pop.death_report[gb] <= created)
    death = np.where(death_known, pop.death[gb], NAT)
    hs = pop.hospice_start[gb]
    hospice_known = (hs != NAT) & (hs <= created)
    county = pop.county[gb]
    cty = COUNTIES
    age = ((created - pop.dob[gb]) / 365.25).astype(np.int64)
    cols: Columns = {
        "bene_mbi_id": pop.mbi_at(gb, created),
        "bene_fips_state_cd": np.array([c.fips_state for c in cty], "S2")[county],
        "bene_fips_cnty_cd": np.array([c.fips_county for c in cty], "S3")[county],
        "bene_zip_cd": pop.zip5[gb],
        "bene_dob": _d(pop.dob[gb]),
        "bene_sex_cd": pop.sex[gb],
        "bene_race_cd": pop.race[gb],
        "bene_age": age,
        "bene_mdcr_stus_cd": status.astype("S2"),
        "bene_dual_stus_cd": DUAL_CODES[dual],
        "bene_death_dt": _d(death),
        "bene_rng_bgn_dt": _d(np.where(hospice_known, hs, NAT)),
        "bene_rng_end_dt": _d(np.where(hospice_known & death_known, death, NAT)),
        "bene_1st_name": pop.first_name[gb],
        "bene_midl_name": pop.middle_name[gb],
        "bene_last_name": pop.last_name[gb],
        "bene_orgnl_entlmt_rsn_cd": pop.orig_reason[gb],
        "bene_entlmt_buyin_ind": np.where(BUYIN_DUALS[dual], b"C", b"3").astype("S1"),
        "bene_part_a_enrlmt_bgn_dt": _d(pop.part_a_start[gb]),
        "bene_part_b_enrlmt_bgn_dt": _d(pop.part_b_start[gb]),
        "bene_line_1_adr": pop.address1[gb],
        "geo_zip_plc_name": np.array([c.city for c in cty], "S")[county],
        "geo_usps_state_cd": np.array([c.usps for c in cty], "S2")[county],
        "geo_zip5_cd": pop.zip5[gb],
        "geo_zip4_cd": pop.zip4[gb],
    }
    return cols, delivery


def cclf9(pop: Population, gb: np.ndarray, created: np.ndarray, delivery: np.ndarray
          ) -> tuple[Columns, np.ndarray]:
    """One cross-reference row per previous MBI known at the delivery's creation date."""
    eff = pop.mbi_eff[gb]
    known = (eff != NAT) & (eff <= created[:, None])
    n_known = known.sum(axis=1)
    prev = np.maximum(n_known - 1, 0)
    rows = np.repeat(np.arange(gb.shape[0]), prev)
    k = np.arange(rows.shape[0]) - np.repeat(np.cumsum(prev) - prev, prev)
    b = gb[rows]
    cur = pop.mbi[b, n_known[rows] - 1]
    cols: Columns = {
        "hicn_mbi_xref_ind": "M",
        "crnt_num": cur,
        "prvs_num": pop.mbi[b, k],
        "prvs_id_efctv_dt": _d(pop.mbi_eff[b, k]),
        "prvs_id_obslt_dt": _d(pop.mbi_eff[b, k + 1] - 1),
    }
    return cols, delivery[rows]
