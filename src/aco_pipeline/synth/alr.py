"""Quarterly Assignment List Report, Table 1-1 (assigned beneficiaries), as CSV.

EnrollFlag1..12 are the ALR's monthly enrollment categories (0 not eligible/decedent,
1 ESRD, 2 disabled, 3 aged/dual, 4 aged/non-dual) for the 12 months ending with the
quarter. They come from the ALR's own sources, so they mostly agree with the CCLF-derived
type but not always (CMS guide Appendix B): ESRD from dialysis/transplant tables (about a
quarter of CCLF ESRD beneficiaries differ), dual status (codes 01/02) from a source that is
sometimes a month or two behind and occasionally disagrees, the age-65 switch without the
CCLF's lag, and deaths without the CCLF's reporting lag. Column meanings beyond those are
illustrative.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aco_pipeline import naming
from aco_pipeline.synth.population import COUNTIES, DUAL_FOR_GUIDE, NAT, Population
from aco_pipeline.synth.providers import Providers

COLUMNS = (
    ["BENE_MBI_ID", "BENE_HIC_NUM", "BENE_1ST_NAME", "BENE_LAST_NAME", "BENE_SEX_CD",
     "BENE_BRTH_DT", "BENE_DEATH_DT", "GEO_SSA_CNTY_CD_NAME", "GEO_SSA_STATE_NAME",
     "STATE_COUNTY_CD", "IN_VA_MAX", "VA_TIN", "VA_NPI", "CBA_FLAG", "ASSIGNMENT_TYPE",
     "ASSIGNED_BEFORE", "ASG_STATUS", "PARTD_MONTHS"]
    + [f"EnrollFlag{i}" for i in range(1, 13)]
    + ["HCC_version"]
    + [f"BENE_RSK_R_SCRE_{i:02d}" for i in range(1, 13)]
    + ["ESRD_SCORE", "DIS_SCORE", "AGDU_SCORE", "AGND_SCORE", "NEW_ENROLLEE", "LTI_STATUS"]
)


def _mdy(days: np.ndarray) -> pa.Array:
    """MM/DD/YYYY text (blank when missing), as ALR CSVs print dates."""
    d = np.asarray(days, np.int64)
    nat = d == NAT
    ts = pa.array(np.where(nat, 0, d).astype("datetime64[D]").astype("datetime64[s]"),
                  pa.timestamp("s"))
    text = pc.strftime(ts, format="%m/%d/%Y")
    return pc.if_else(pa.array(nat), "", text)


def _text(values: np.ndarray) -> pa.Array:
    arr = np.asarray(values)
    if arr.dtype.kind == "S":
        return pa.array(arr).cast(pa.string())
    return pa.array(arr).cast(pa.string())


def _score(values: np.ndarray) -> pa.Array:
    """4-decimal text of non-negative scores (blank for NaN), without float formatting."""
    v = np.asarray(values, np.float64)
    blank = np.isnan(v)
    q = np.rint(np.where(blank, 0, v) * 10_000).astype(np.int64)
    text = np.strings.add(np.strings.add((q // 10_000).astype("U"), "."),
                          np.strings.zfill((q % 10_000).astype("U"), 4))
    return pa.array(np.where(blank, "", text), pa.string())


def alr_flags(pop: Population, months: np.ndarray) -> np.ndarray:
    """(n, len(months)) ALR enrollment categories by month (see module docstring)."""
    gi = months - pop.g0
    gi = np.clip(gi, 0, pop.grid_months - 1)
    status = pop.status_true[:, gi]
    lag_gi = np.clip(gi[None, :] - pop.alr_dual_lag[:, None], 0, pop.grid_months - 1)
    dual = np.take_along_axis(pop.dual, lag_gi, axis=1)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    dead = (pop.death[:, None] != NAT) & (pop.death[:, None] < first[None, :])
    not_entitled = pop.part_a_start[:, None] > first[None, :]
    esrd_status = np.isin(status, (11, 21, 31))
    ever_esrd = np.isin(pop.status_true, (11, 21, 31)).any(axis=1)
    esrd = (esrd_status & (pop.alr_esrd[:, None] | (status == 31))) | (
        ~ever_esrd & pop.alr_esrd)[:, None]
    disabled = np.isin(status, (20, 21))
    is_dual = np.isin(dual, DUAL_FOR_GUIDE) ^ pop.alr_dual_flip[:, None]
    return np.select([dead | not_entitled, esrd, disabled, is_dual], [0, 1, 2, 3], 4).astype(
        np.int8)


def write_quarter(out_dir: Path, pop: Population, prov: Providers, aco_id: str, year: int,
                  quarter: int, created: date, time: str) -> tuple[Path, int]:
    q_end = (year - 1970) * 12 + quarter * 3 - 1
    window = np.arange(q_end - 11, q_end + 1)
    created_day = int(np.datetime64(created, "D").astype(np.int64))
    year_start = int(np.datetime64(f"{year:04d}-01-01", "D").astype(np.int64))
    rows = np.nonzero((pop.join_mo <= q_end) & ((pop.death == NAT) | (pop.death >= year_start)))[0]
    flags = alr_flags(pop, window)[rows]
    score = 0.35 + 0.65 * np.sqrt(pop.risk[rows])
    esrd_score = 0.9 + 0.2 * pop.risk[rows] ** 0.3
    month_score = np.where(flags == 1, esrd_score[:, None], score[:, None])
    month_score = np.where(flags == 0, np.nan, month_score)
    mbi = pop.mbi_at(rows, np.full(rows.shape[0], created_day))
    death = np.where((pop.death[rows] != NAT) & (pop.death[rows] <= created_day),
                     pop.death[rows], NAT)
    county = pop.county[rows]
    vol = pop.voluntary[rows]
    pcp = pop.pcp[rows]
    partd_months = (pop.partd[rows][:, None] & (flags > 0)).sum(axis=1)
    hcc = "V24" if year <= 2023 else "V28"
    rng = np.random.Generator(np.random.PCG64(year * 10 + quarter))
    lti = rng.random(rows.shape[0]) < 0.03
    n = rows.shape[0]
    ssa = np.array([c.ssa for c in COUNTIES], "S5")[county]
    cty = np.array([c.name for c in COUNTIES], "S")[county]
    state = np.array([c.state_name for c in COUNTIES], "S")[county]
    blank = pa.array([""] * n, pa.string())
    # the initial population was assigned before the span; later joiners are new that year
    before = (pop.join_mo[rows] == pop.start) | (pop.join_mo[rows] < (year - 1970) * 12)
    cat_scores = []
    for cat in (1, 2, 3, 4):
        sel = flags == cat
        last_i = flags.shape[1] - 1 - np.argmax(sel[:, ::-1], axis=1)
        val = np.where(sel.any(axis=1), month_score[np.arange(n), last_i], np.nan)
        cat_scores.append(_score(val))
    cols = [
        _text(mbi), blank, _text(pop.first_name[rows]), _text(pop.last_name[rows]),
        _text(pop.sex[rows]), _mdy(pop.dob[rows]), _mdy(death), _text(cty), _text(state),
        _text(ssa), _text(vol.astype(np.int8)),
        _text(np.where(vol, prov.clinician_tin[pcp], b"")),
        _text(np.where(vol, prov.clinician_npi[pcp], b"")), _text((~vol).astype(np.int8)),
        _text(np.where(vol, 2, 1)), _text(before.astype(np.int8)),
        _text(np.where(before, "Continuing", "New")), _text(partd_months),
        *[_text(flags[:, k]) for k in range(12)],
        pa.array([hcc] * n, pa.string()),
        *[_score(month_score[:, k]) for k in range(12)],
        *cat_scores,
        _text(pop.new_enrollee[rows].astype(np.int8)), _text(lti.astype(np.int8)),
    ]
    lines = pc.binary_join_element_wise(*cols, ",")
    header = ",".join(f'"{c}"' for c in COLUMNS) + "\n"
    body = "\n".join(lines.to_pylist()) + ("\n" if n else "")
    name = naming.alr_name(aco_id, year, quarter, "1-1", created, time)
    path = out_dir / name
    path.write_text(header + body, encoding="ascii", newline="")
    return path, int(rows.shape[0])
