"""Quarterly Assignment List Report: one zip per quarter holding Tables 1-1, 1-2 and 1-4 as
CSV (cclf-notes.md, "Assignment List Report (ALR)"; docs/synthetic-data.md).

Table 1-1 (assigned beneficiaries): EnrollFlag1..12 are the ALR's monthly enrollment
categories (0 not eligible/decedent, 1 ESRD, 2 disabled, 3 aged/dual, 4 aged/non-dual) for
the 12 months ending with the quarter. They come from the ALR's own sources, so they mostly
agree with the CCLF-derived type but not always (CMS guide Appendix B): ESRD from
dialysis/transplant tables (about a quarter of CCLF ESRD beneficiaries differ), dual status
(codes 01/02) from a source that is sometimes a month or two behind and occasionally
disagrees, the age-65 switch without the CCLF's lag, and deaths without the CCLF's
reporting lag. Column meanings beyond those are illustrative.

Tables 1-2 (by participant TIN) and 1-4 (by participant TIN and NPI): for each beneficiary of
Table 1-1, the primary care services (HCPCS in the warehouse seed primary_care_service_codes,
not billed with the range's excluded place of service) they received from the ACO's
participant TINs in the 12 months ending with the quarter, counted on the Part B lines the
generator delivers as final action and valid (so the CCLF5 files hold exactly these lines).
B_EM_LINE_CNT_T / PCS_COUNT are line counts. The intended attribution is the TIN with the
most lines (ties: the lowest TIN) and, within it, the NPI with the most lines (ties: the
lowest NPI), flagged NPI_USED = Y (all others N). Beneficiaries without such a service are
in Table 1-1 only. Rows are collected chunk by chunk
(`AlrAttribution.add`) into staged parts, so memory does not grow with the span.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aco_pipeline import naming
from aco_pipeline.synth.claims_common import zfill
from aco_pipeline.synth.claims_part_b import PartB
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
COLUMNS_1_2 = ("BENE_MBI_ID", "TIN", "MASTER_ID", "B_EM_LINE_CNT_T")
COLUMNS_1_4 = ("BENE_MBI_ID", "TIN", "NPI", "NPI_USED", "PCS_COUNT")
VALID_PROCESSING = (b"A", b"R", b"S")  # CLM_PRCSG_IND_CD of a valid line (CMS guide App. A)


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


def table_1_1(pop: Population, prov: Providers, q: AlrQuarter) -> tuple[str, int]:
    """Table 1-1 of a quarter as CSV text, and its row count."""
    year, quarter = q.year, q.quarter
    q_end = q.end_month
    window = np.arange(q_end - 11, q_end + 1)
    created_day = q.created_day
    rows = np.nonzero(q.listed(pop, np.arange(pop.n)))[0]
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
    return header + body, int(rows.shape[0])


@dataclass(frozen=True, slots=True)
class AlrQuarter:
    """One quarterly ALR: its quarter and the D/T stamp of its name."""

    year: int
    quarter: int
    created: date
    time: str  # hhmmsst

    @property
    def end_month(self) -> int:
        """The quarter's last month as a month ordinal (months since 1970-01)."""
        return (self.year - 1970) * 12 + self.quarter * 3 - 1

    @property
    def created_day(self) -> int:
        return int(np.datetime64(self.created, "D").astype(np.int64))

    def listed(self, pop: Population, idx: np.ndarray) -> np.ndarray:
        """Table 1-1's rows: assigned by the end of the quarter, alive at the start of its
        year (opt-outs included)."""
        year_start = int(np.datetime64(f"{self.year:04d}-01-01", "D").astype(np.int64))
        death = pop.death[idx]
        return (pop.join_mo[idx] <= self.end_month) & ((death == NAT) | (death >= year_start))

    def file_name(self, aco_id: str, table: str) -> str:
        return naming.alr_name(aco_id, self.year, self.quarter, table, self.created, self.time)

    def zip_name(self, aco_id: str) -> str:
        """`P.A1234.ACO.QALR.2024Q1.D240418.T0930125.zip`: the report's name, no table."""
        return self.file_name(aco_id, "1-1").rsplit("_", 1)[0] + ".zip"


@cache
def primary_care_ranges() -> tuple[tuple[bytes, bytes, bytes], ...]:
    """HCPCS ranges of primary care services and the place of service each does not count
    with (b"" = none): the warehouse's own code list (one place)."""
    seed = resources.files("aco_pipeline.warehouse").joinpath(
        "dbt/seeds/primary_care_service_codes.csv").read_text(encoding="utf-8")
    return tuple((r["hcpcs_from"].encode(), r["hcpcs_to"].encode(),
                  r["excluded_pos_cd"].strip().encode())
                 for r in csv.DictReader(io.StringIO(seed)))


def is_primary_care(hcpcs: np.ndarray, pos: np.ndarray) -> np.ndarray:
    h = np.asarray(hcpcs, "S5")
    p = np.asarray(pos, "S2")
    out = np.zeros(h.shape[0], bool)
    for lo, hi, excluded in primary_care_ranges():
        hit = (h >= lo) & (h <= hi)
        if excluded:
            hit &= p != excluded
        out |= hit
    return out


def valid_as_written(pb: PartB, li: np.ndarray, vr: np.ndarray) -> np.ndarray:
    """Whether each line `li` of version `vr` is valid as records.part_b writes it (CMS
    guide App. A phase 1): a re-filed version (amount kind > 0) of a denied claim is paid
    (CLM_CARR_PMT_DNL_CD 1), and a paid line gets processing indicator A unless it is R/S."""
    kind = pb.v.amount_kind[vr]
    paid = pb.amounts[li, kind]
    prcsg = pb.line["prcsg"][li]
    prcsg = np.where((paid > 0) & (prcsg != b"S") & (prcsg != b"R"), b"A", prcsg)
    claim_ok = ~pb.c["denied"][pb.v.claim[vr]] | (kind > 0)
    return claim_ok & np.isin(prcsg, VALID_PROCESSING)


class AlrAttribution:
    """Tables 1-2 and 1-4 of every quarter, collected from each chunk's Part B lines.

    `add` takes a chunk's final-action, delivered CCLF5 lines; the rows of each quarter are
    appended to staged parts under `staging` (one per quarter and table) in chunk order, so
    the files are the same for a seed however the chunks' memory is reused.
    """

    def __init__(self, staging: Path, quarters: list[AlrQuarter], pop: Population,
                 prov: Providers) -> None:
        self.staging = staging
        self.quarters = quarters
        self.pop = pop
        self.participant_tins = np.unique(prov.clinician_tin[:prov.aco_clinicians])
        staging.mkdir(parents=True, exist_ok=True)

    def part(self, q: AlrQuarter, table: str) -> Path:
        return self.staging / f"{q.year}Q{q.quarter}_{table}.part"

    def add(self, idx: np.ndarray, bene: np.ndarray, day: np.ndarray, tin: np.ndarray,
            npi: np.ndarray, hcpcs: np.ndarray, pos: np.ndarray, valid: np.ndarray) -> None:
        """One chunk's lines: `bene` chunk-local beneficiary, service `day` (day ordinal),
        rendering `tin` / `npi`, `hcpcs`, place of service `pos`, `valid` (not denied, valid
        processing)."""
        keep = valid & is_primary_care(hcpcs, pos) & np.isin(tin, self.participant_tins)
        bene, tin, npi = bene[keep], np.asarray(tin[keep], "S9"), np.asarray(npi[keep], "S10")
        month = day[keep].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        for q in self.quarters:
            in_window = (month > q.end_month - 12) & (month <= q.end_month)
            listed = q.listed(self.pop, idx)
            sel = in_window & listed[bene]
            rows_12, rows_14 = _tables(self.pop, idx, q, bene[sel], tin[sel], npi[sel])
            for table, text in (("1-2", rows_12), ("1-4", rows_14)):
                if text:
                    with self.part(q, table).open("ab") as fh:
                        fh.write(text)

    def table(self, q: AlrQuarter, table: str) -> bytes:
        columns = COLUMNS_1_2 if table == "1-2" else COLUMNS_1_4
        header = (",".join(f'"{c}"' for c in columns) + "\n").encode("ascii")
        part = self.part(q, table)
        return header + (part.read_bytes() if part.is_file() else b"")


def _tables(pop: Population, idx: np.ndarray, q: AlrQuarter, bene: np.ndarray,
            tin: np.ndarray, npi: np.ndarray) -> tuple[bytes, bytes]:
    """CSV rows of Tables 1-2 and 1-4 for one chunk and quarter, ordered by beneficiary,
    TIN, NPI. NPI_USED = Y on the attributed TIN's NPI with the most lines."""
    if not bene.shape[0]:
        return b"", b""
    b = zfill(bene, 7)
    key = np.strings.add(np.strings.add(b, tin), npi)
    _, first, lines = np.unique(key, return_index=True, return_counts=True)
    nb, nt, nn = bene[first], tin[first], npi[first]
    # Table 1-2: lines per beneficiary and TIN
    tkey = np.strings.add(zfill(nb, 7), nt)
    _, tfirst, tinv = np.unique(tkey, return_index=True, return_inverse=True)
    tlines = np.bincount(tinv, weights=lines).astype(np.int64)
    tb, tt = nb[tfirst], nt[tfirst]
    # the attributed TIN: most lines, then the lowest TIN (rows are sorted by TIN already)
    order = np.lexsort((tt, -tlines, tb))
    head = np.r_[True, tb[order][1:] != tb[order][:-1]]
    top_tin = np.zeros(tb.shape[0], bool)
    top_tin[order[head]] = True
    # Table 1-4: within the attributed TIN, the NPI with the most lines, then the lowest NPI
    at_top = top_tin[tinv]
    order = np.lexsort((nn, -lines, ~at_top, nb))
    head = np.r_[True, nb[order][1:] != nb[order][:-1]]
    used = np.zeros(nb.shape[0], bool)
    used[order[head]] = True
    used &= at_top
    created = np.full(1, q.created_day)
    mbi_t = pop.mbi_at(idx[tb], np.repeat(created, tb.shape[0]))
    mbi_n = pop.mbi_at(idx[nb], np.repeat(created, nb.shape[0]))
    rows_12 = pc.binary_join_element_wise(
        _text(mbi_t), _text(tt), _text(tt), _text(tlines), ",").to_pylist()
    rows_14 = pc.binary_join_element_wise(
        _text(mbi_n), _text(nt), _text(nn), _text(np.where(used, b"Y", b"N")), _text(lines),
        ",").to_pylist()
    return (("\n".join(rows_12) + "\n").encode("ascii"),
            ("\n".join(rows_14) + "\n").encode("ascii"))


def write_quarter(out_dir: Path, pop: Population, prov: Providers, aco_id: str,
                  q: AlrQuarter, attribution: AlrAttribution) -> tuple[Path, int]:
    """The quarter's ALR zip (Tables 1-1, 1-2, 1-4) in `out_dir`; returns it and the number
    of Table 1-1 rows. Members carry the report's D/T stamp, so the bytes depend only on
    the seed."""
    text_11, n = table_1_1(pop, prov, q)
    members = [(q.file_name(aco_id, "1-1"), text_11.encode("ascii")),
               (q.file_name(aco_id, "1-2"), attribution.table(q, "1-2")),
               (q.file_name(aco_id, "1-4"), attribution.table(q, "1-4"))]
    t = q.time
    stamp = (q.created.year, q.created.month, q.created.day, int(t[0:2]), int(t[2:4]),
             int(t[4:6]) // 2 * 2)
    path = out_dir / q.zip_name(aco_id)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return path, n
