"""The ground truth equals what a pipeline recomputes from the raw bytes alone.

Recomputed here independently of the generator: MBIs mapped to the most recent one through
the union of all CCLF9 files (chains closed, IP v40 5.1.1); re-sent versions de-duplicated on
(CUR_CLM_UNIQ_ID, CLM_LINE_NUM, CLM_ADJSMT_TYPE_CD, CLM_EFCTV_DT); cancellations negated
(IP v40 5.3.1); Part D final action per natural key (IP v40 3.3, 5.1.2).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from aco_pipeline.layouts import current_layout

from .reader import Delivery, amount, column, deliveries, records

Key = tuple[str, str, str]


def _cols(d: Delivery, ft: str, names: list[str]) -> dict[str, np.ndarray]:
    block = records(d.files[ft], current_layout(ft).record_length)
    out: dict[str, np.ndarray] = {}
    for n in names:
        f = current_layout(ft).field(n)
        out[n] = amount(block, ft, n) if f.kind == "decimal" else column(block, ft, n)
    return out


def crosswalk(ds: list[Delivery]) -> dict[str, str]:
    """previous MBI -> most recent MBI, from every CCLF9 received (chains closed)."""
    edge: dict[str, str] = {}
    for d in ds:
        c = _cols(d, "CCLF9", ["crnt_num", "prvs_num"])
        for cur, prev in zip(c["crnt_num"], c["prvs_num"], strict=True):
            if cur != prev:
                edge[prev.decode()] = cur.decode()
    out = {}
    for prev in edge:
        cur, seen = edge[prev], {prev}
        while cur in edge and cur not in seen:
            seen.add(cur)
            cur = edge[cur]
        out[prev] = cur
    return out


def _versions(ds: list[Delivery], ft: str, extra: list[str]) -> dict[tuple, dict]:
    """Distinct claim versions of a debit/credit file, keyed on version identity."""
    line = ft in ("CCLF5", "CCLF6")
    names = ["cur_clm_uniq_id", "clm_adjsmt_type_cd", "clm_efctv_dt", "bene_mbi_id",
             "clm_type_cd", "clm_thru_dt", *extra] + (["clm_line_num"] if line else [])
    seen: dict[tuple, dict] = {}
    for d in ds:
        c = _cols(d, ft, names)
        for i in range(c["cur_clm_uniq_id"].shape[0]):
            key = (c["cur_clm_uniq_id"][i], c["clm_line_num"][i] if line else b"",
                   c["clm_adjsmt_type_cd"][i], c["clm_efctv_dt"][i])
            seen.setdefault(key, {n: c[n][i] for n in names})
    return seen


@pytest.fixture(scope="module")
def raw(small_run: Path) -> dict[str, object]:
    ds = deliveries(small_run)
    xw = crosswalk(ds)
    return {
        "ds": ds, "xw": xw,
        "a": _versions(ds, "CCLF1", ["clm_pmt_amt", "clm_blg_prvdr_oscar_num", "clm_from_dt"]),
        "b": _versions(ds, "CCLF5", ["clm_line_cvrd_pd_amt", "clm_cntl_num"]),
        "dme": _versions(ds, "CCLF6", ["clm_line_cvrd_pd_amt", "clm_cntl_num"]),
    }


def _mr(xw: dict[str, str], mbi: bytes) -> str:
    m = mbi.decode()
    return xw.get(m, m)


def _part_d_final(ds: list[Delivery], xw: dict[str, str]) -> dict[tuple, dict]:
    names = ["cur_clm_uniq_id", "bene_mbi_id", "clm_line_from_dt", "prvdr_srvc_id_qlfyr_cd",
             "clm_srvc_prvdr_gnrc_id_num", "clm_dspnsng_stus_cd", "clm_line_rx_srvc_rfrnc_num",
             "clm_line_rx_fill_num", "clm_adjsmt_type_cd", "clm_type_cd", "clm_idr_ld_dt",
             "clm_efctv_dt", "clm_line_bene_pmt_amt"]
    latest: dict[tuple, dict] = {}
    for d in ds:
        c = _cols(d, "CCLF7", names)
        for i in range(c["cur_clm_uniq_id"].shape[0]):
            row = {n: c[n][i] for n in names}
            nk = (row["clm_line_from_dt"], row["prvdr_srvc_id_qlfyr_cd"],
                  row["clm_srvc_prvdr_gnrc_id_num"], row["clm_dspnsng_stus_cd"],
                  row["clm_line_rx_srvc_rfrnc_num"], row["clm_line_rx_fill_num"],
                  _mr(xw, row["bene_mbi_id"]))
            order = (row["clm_idr_ld_dt"], row["clm_efctv_dt"], row["cur_clm_uniq_id"])
            if nk not in latest or order > latest[nk]["_order"]:
                row["_order"] = order
                latest[nk] = row
    return {k: r for k, r in latest.items() if r["clm_adjsmt_type_cd"] != b"1"}


def test_net_paid_matches_raw_recomputation(small_run: Path, raw: dict) -> None:
    xw = raw["xw"]
    expected: dict[Key, int] = defaultdict(int)
    for fam, amt in (("a", "clm_pmt_amt"), ("b", "clm_line_cvrd_pd_amt"),
                     ("dme", "clm_line_cvrd_pd_amt")):
        for r in raw[fam].values():
            sign = -1 if r["clm_adjsmt_type_cd"] == b"1" else 1
            key = (_mr(xw, r["bene_mbi_id"]), r["clm_thru_dt"][:7].decode() + "-01",
                   r["clm_type_cd"].decode())
            expected[key] += sign * int(r[amt])
    for r in _part_d_final(raw["ds"], xw).values():
        key = (_mr(xw, r["bene_mbi_id"]), r["clm_line_from_dt"][:7].decode() + "-01",
               r["clm_type_cd"].decode())
        expected[key] += int(r["clm_line_bene_pmt_amt"])
    t = pq.read_table(small_run / "ground_truth" / "beneficiary_month_paid.parquet")
    got = {}
    for row in t.to_pylist():
        key = (row["current_mbi"], row["month"].isoformat(), row["clm_type_cd"])
        assert key not in got
        got[key] = int(row["net_paid"] * 100)
    exp = {k: v for k, v in expected.items()}
    assert set(got) == set(exp)
    diff = {k: (got[k], exp[k]) for k in got if got[k] != exp[k]}
    assert not diff
    assert sum(got.values()) > 0


def _match_cancellations(groups: dict[tuple, list[dict]], amt: str) -> set[tuple]:
    """IP v40 5.2.1: pair each cancellation with a same-amount version; the rest is final."""
    final: set[tuple] = set()
    for rows in groups.values():
        open_ = [r for r in rows if r["clm_adjsmt_type_cd"] != b"1"]
        for c in sorted((r for r in rows if r["clm_adjsmt_type_cd"] == b"1"),
                        key=lambda r: r["clm_efctv_dt"]):
            hits = [r for r in open_ if r[amt] == c[amt]]
            assert len(hits) == 1, "a cancellation must match exactly one version"
            open_.remove(hits[0])
        for r in open_:
            final.add((r["cur_clm_uniq_id"].decode(), int(r.get("clm_line_num") or 0)))
    return final


def test_final_action_claims_reproducible_from_natural_keys(small_run: Path, raw: dict) -> None:
    xw = raw["xw"]
    t = pq.read_table(small_run / "ground_truth" / "final_action_claims.parquet").to_pylist()
    truth: dict[str, set[tuple]] = defaultdict(set)
    paid: dict[str, int] = defaultdict(int)
    for r in t:
        truth[r["family"]].add((r["cur_clm_uniq_id"], r["clm_line_num"] or 0))
        paid[r["family"]] += int(r["paid_amount"] * 100)

    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in raw["a"].values():
        groups[(r["clm_blg_prvdr_oscar_num"], r["clm_from_dt"], r["clm_thru_dt"],
                _mr(xw, r["bene_mbi_id"]))].append(r)
    assert _match_cancellations(groups, "clm_pmt_amt") == truth["part_a"]
    for fam, key in (("b", "part_b"), ("dme", "dme")):
        groups = defaultdict(list)
        for r in raw[fam].values():
            groups[(r["clm_cntl_num"], r["clm_line_num"], _mr(xw, r["bene_mbi_id"]))].append(r)
        assert _match_cancellations(groups, "clm_line_cvrd_pd_amt") == truth[key]
    d_final = _part_d_final(raw["ds"], xw)
    assert {(r["cur_clm_uniq_id"].decode(), 0) for r in d_final.values()} == truth["part_d"]
    assert paid["part_d"] == sum(int(r["clm_line_bene_pmt_amt"]) for r in d_final.values())
    # the final-action sum equals the debit/credit net (every cancellation has its target)
    net = pq.read_table(small_run / "ground_truth" / "beneficiary_month_paid.parquet")
    assert sum(paid.values()) == sum(int(v * 100) for v in net.column("net_paid").to_pylist())


def test_mbi_history_is_the_cclf9_closure(small_run: Path, raw: dict) -> None:
    t = pq.read_table(small_run / "ground_truth" / "mbi_history.parquet").to_pylist()
    got = {r["previous_mbi"]: r["current_mbi"] for r in t}
    assert got == raw["xw"]
    chains = defaultdict(int)
    for cur in got.values():
        chains[cur] += 1
    assert max(chains.values()) >= 2, "expected at least one A->B->C chain"
    for r in t:
        assert r["previous_effective_dt"] <= r["previous_obsolete_dt"]


def _enrollment(status: bytes, dual: bytes, death: bytes, first: str) -> int:
    """CMS guide Appendix B steps 1-6, written independently of the generator."""
    if death.strip() and death not in (b"9999-12-31", b"1000-01-01") and death.decode() < first:
        return 0
    if status in (b"31", b"21", b"11"):
        return 1
    if status == b"20":
        return 2
    if status == b"10":
        return 3 if dual in (b"01", b"02") else 4
    return 0


def test_enrollment_type_from_each_months_cclf8(small_run: Path, raw: dict) -> None:
    xw = raw["xw"]
    t = pq.read_table(small_run / "ground_truth" / "beneficiary_month.parquet").to_pylist()
    truth = {(r["current_mbi"], r["month"].isoformat()): r for r in t}
    assert len(truth) == len(t)
    checked = 0
    for d in raw["ds"]:
        if d.runout:
            continue
        yy, mm = int(d.created[1:3]), int(d.created[3:5])
        ref = f"20{yy - (mm == 1):02d}-{(mm - 2) % 12 + 1:02d}-01"
        c = _cols(d, "CCLF8", ["bene_mbi_id", "bene_mdcr_stus_cd", "bene_dual_stus_cd",
                               "bene_death_dt"])
        for i in range(c["bene_mbi_id"].shape[0]):
            row = truth[(_mr(xw, c["bene_mbi_id"][i]), ref)]
            exp = _enrollment(c["bene_mdcr_stus_cd"][i], c["bene_dual_stus_cd"][i],
                              c["bene_death_dt"][i], ref)
            assert row["enrollment_type"] == exp
            assert not row["opted_out"]
            checked += 1
    listed = sum(1 for r in t if r["enrollment_type"] is not None)
    assert checked == listed > 0
    assert any(r["opted_out"] for r in t)
    assert any(not r["alive"] for r in t)


def test_opted_out_beneficiaries_vanish_from_cclf(small_run: Path, raw: dict) -> None:
    import defusedxml.ElementTree as ET

    bnex = sorted(p for p in (small_run / "deliveries").iterdir() if ".BNEX." in p.name)
    assert bnex
    ds = [d for d in raw["ds"] if not d.runout]
    first_seen: dict[str, int] = {}
    for i, p in enumerate(bnex):
        root = ET.parse(p).getroot()
        assert root.tag == "PFDCACOBeneData"
        for b in root.find("Beneficiarys"):
            assert b.findtext("BeneExcReasons/BeneExcReason") == "PC"
            assert len(b.findtext("DOB")) == 8
            first_seen.setdefault(b.findtext("MBI"), i)
    assert first_seen
    for i, d in enumerate(ds):
        present: set[str] = set()
        for ft, name in (("CCLF8", "bene_mbi_id"), ("CCLF1", "bene_mbi_id"),
                         ("CCLF5", "bene_mbi_id"), ("CCLF7", "bene_mbi_id")):
            present.update(x.decode() for x in _cols(d, ft, [name])[name])
        gone = {m for m, j in first_seen.items() if j <= i}
        assert not (gone & present)


def test_paid_amounts_are_exact_decimals(small_run: Path) -> None:
    t = pq.read_table(small_run / "ground_truth" / "beneficiary_month_paid.parquet")
    assert str(t.schema.field("net_paid").type) == "decimal128(15, 2)"
    assert all(isinstance(v, Decimal) for v in t.column("net_paid").to_pylist()[:50])
