"""Ground truth a correct pipeline must reproduce from the written files (docs/synthetic-data.md).

- beneficiary_month.parquet: one row per beneficiary and span month while in the ACO's
  population; enrollment type by the CMS guide's Appendix B algorithm applied to the CCLF8 row
  of the monthly delivery whose reference month it is.
- beneficiary_month_paid.parquet: net paid per current MBI, month and claim type over every
  claim version delivered (counted once however often re-sent; cancellations negative,
  IP v40 5.3.1); Part D: the final-action PDEs' CLM_LINE_BENE_PMT_AMT.
- final_action_claims.parquet: the final-action version of every claim (IP v40 5.2).
- mbi_history.parquet: every previous MBI mapped to the current one (chains closed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from aco_pipeline.synth.population import NAT, Population

MONEY = pa.decimal128(15, 2)

BENEFICIARY_MONTH = pa.schema([
    ("current_mbi", pa.string()), ("month", pa.date32()), ("enrollment_type", pa.int8()),
    ("alive", pa.bool_()), ("opted_out", pa.bool_()),
])
BENEFICIARY_MONTH_PAID = pa.schema([
    ("current_mbi", pa.string()), ("month", pa.date32()), ("clm_type_cd", pa.string()),
    ("net_paid", MONEY),
])
FINAL_ACTION = pa.schema([
    ("family", pa.string()), ("cur_clm_uniq_id", pa.string()), ("clm_line_num", pa.int32()),
    ("current_mbi", pa.string()), ("clm_type_cd", pa.string()),
    ("clm_adjsmt_type_cd", pa.string()), ("month", pa.date32()), ("paid_amount", MONEY),
])
MBI_HISTORY = pa.schema([
    ("current_mbi", pa.string()), ("previous_mbi", pa.string()),
    ("previous_effective_dt", pa.date32()), ("previous_obsolete_dt", pa.date32()),
])

FILES = {
    "beneficiary_month": BENEFICIARY_MONTH,
    "beneficiary_month_paid": BENEFICIARY_MONTH_PAID,
    "final_action_claims": FINAL_ACTION,
    "mbi_history": MBI_HISTORY,
}


def enrollment_type(status: np.ndarray, dual: np.ndarray, death: np.ndarray,
                    month_first_day: np.ndarray) -> np.ndarray:
    """CMS guide (Uses and Limitations v4) Appendix B, steps 1-6, on CCLF8 values.

    `status` BENE_MDCR_STUS_CD (S2), `dual` BENE_DUAL_STUS_CD (S2), `death` BENE_DEATH_DT as
    day ordinals (NAT when absent or a sentinel). 0 not eligible, 1 ESRD, 2 disabled,
    3 aged/dual (dual code 01 or 02), 4 aged/non-dual. The guide's later refinements
    (age check for disabled, non-decedent "not eligible" as ESRD) are not applied.
    """
    dead = (death != NAT) & (death < month_first_day)
    esrd = np.isin(status, [b"31", b"21", b"11"])
    disabled = status == b"20"
    aged = status == b"10"
    dual_ok = np.isin(dual, [b"01", b"02"])
    return np.select([dead, esrd, disabled, aged & dual_ok, aged], [0, 1, 2, 3, 4], 0).astype(
        np.int8)


def money(cents: np.ndarray) -> pa.Array:
    """Exact decimal128(15,2) from int64 cents (no floats): unscaled 128-bit little-endian."""
    c = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((c.shape[0], 2), dtype=np.int64)
    words[:, 0] = c
    words[:, 1] = np.where(c < 0, -1, 0)
    return pa.Array.from_buffers(MONEY, c.shape[0], [None, pa.py_buffer(words.tobytes())])


def dates(days: np.ndarray) -> pa.Array:
    d = np.asarray(days, dtype=np.int64)
    return pa.array(d.astype(np.int32), type=pa.int32(), mask=d == NAT).cast(pa.date32())


def strings(values: np.ndarray) -> pa.Array:
    """ASCII bytes (numpy S) -> Arrow strings, without a Python-level loop."""
    arr = np.asarray(values, dtype="S")
    if arr.dtype.itemsize == 0:
        arr = arr.astype("S1")
    return pa.array(arr, type=pa.binary()).cast(pa.string())


class GroundTruthWriter:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.writers = {
            name: pq.ParquetWriter(folder / f"{name}.parquet", schema, compression="zstd")
            for name, schema in FILES.items() if name != "mbi_history"
        }
        self.rows = dict.fromkeys(FILES, 0)

    def write(self, name: str, columns: dict[str, pa.Array]) -> None:
        table = pa.Table.from_arrays([columns[f.name] for f in FILES[name]], schema=FILES[name])
        if table.num_rows:
            self.writers[name].write_table(table)
            self.rows[name] += table.num_rows

    def close(self, pop: Population, last_created: int) -> list[Path]:
        for w in self.writers.values():
            w.close()
        hist = mbi_history(pop, last_created)
        pq.write_table(hist, self.folder / "mbi_history.parquet", compression="zstd")
        self.rows["mbi_history"] = hist.num_rows
        return [self.folder / f"{name}.parquet" for name in FILES]


def mbi_history(pop: Population, last_created: int) -> pa.Table:
    """Previous -> current MBI for changes known by the last delivery (chains closed)."""
    known = (pop.mbi_eff != NAT) & (pop.mbi_eff <= last_created)
    n_known = known.sum(axis=1)
    prev = np.maximum(n_known - 1, 0)
    rows = np.repeat(np.arange(pop.n), prev)
    k = np.arange(rows.shape[0]) - np.repeat(np.cumsum(prev) - prev, prev)
    cur = pop.mbi[rows, n_known[rows] - 1]
    return pa.Table.from_arrays([
        strings(cur), strings(pop.mbi[rows, k]), dates(pop.mbi_eff[rows, k]),
        dates(pop.mbi_eff[rows, k + 1] - 1)], schema=MBI_HISTORY)


def aggregate_paid(bene: np.ndarray, month: np.ndarray, clm_type: np.ndarray,
                   cents: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sum cents by (beneficiary, month, claim type); keys sorted."""
    if not bene.shape[0]:
        e = np.empty(0, np.int64)
        return e, e, e, e
    key = (bene.astype(np.int64) << 32) | ((month.astype(np.int64) & 0xFFFFFF) << 8) | clm_type
    uniq, inv = np.unique(key, return_inverse=True)
    sums = np.zeros(uniq.shape[0], np.int64)
    np.add.at(sums, inv, cents.astype(np.int64))
    return uniq >> 32, (uniq >> 8) & 0xFFFFFF, uniq & 0xFF, sums
