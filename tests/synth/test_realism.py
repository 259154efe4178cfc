"""Loose realism bounds on a few thousand beneficiaries (docs/synthetic-data.md rates)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from aco_pipeline.layouts import current_layout
from aco_pipeline.synth.identifiers import CCN_RANGES, is_valid_mbi, is_valid_npi

from .reader import amount, column, deliveries, records


@pytest.fixture(scope="module")
def gt(realism_run: Path) -> dict[str, object]:
    f = realism_run / "ground_truth"
    return {n: pq.read_table(f / f"{n}.parquet") for n in
            ("beneficiary_month", "beneficiary_month_paid", "final_action_claims")}


def _person_years(bm: object, lo: str, hi: str) -> float:
    m = bm.column("month").to_numpy()
    ok = (bm.column("alive").to_numpy() & ~bm.column("opted_out").to_numpy()
          & (m >= np.datetime64(lo)) & (m <= np.datetime64(hi)))
    return ok.sum() / 12


def test_spending_level_and_concentration(gt: dict) -> None:
    # complete months only (late claims of the last months arrive after the span)
    py = _person_years(gt["beneficiary_month"], "2024-02-01", "2024-09-01")
    paid = gt["beneficiary_month_paid"]
    m = paid.column("month").to_numpy()
    t = paid.column("clm_type_cd").to_numpy(zero_copy_only=False)
    v = np.array([int(x * 100) for x in paid.column("net_paid").to_pylist()]) / 100
    ab = (m >= np.datetime64("2024-02-01")) & (m <= np.datetime64("2024-09-01")) & ~np.isin(
        t, ["01", "02", "03", "04"])
    per_py = v[ab].sum() / py
    assert 9_000 < per_py < 18_000, per_py
    by_bene: Counter[str] = Counter()
    for mbi, x in zip(paid.column("current_mbi").to_pylist(), v, strict=True):
        by_bene[mbi] += x
    totals = np.sort(np.array(list(by_bene.values())))[::-1]
    n = len(set(gt["beneficiary_month"].column("current_mbi").to_pylist()))
    top = totals[: n // 20].sum() / totals.sum()
    assert 0.35 < top < 0.65, top


def test_claim_mix_per_person_year(gt: dict) -> None:
    py = _person_years(gt["beneficiary_month"], "2024-02-01", "2024-09-01")
    fa = gt["final_action_claims"]
    m = fa.column("month").to_numpy()
    ok = (m >= np.datetime64("2024-02-01")) & (m <= np.datetime64("2024-09-01"))
    fam = fa.column("family").to_numpy(zero_copy_only=False)[ok]
    typ = fa.column("clm_type_cd").to_numpy(zero_copy_only=False)[ok]
    rate = {k: c / py for k, c in Counter(zip(fam, typ, strict=True)).items()}
    b_lines = rate.get(("part_b", "71"), 0) + rate.get(("part_b", "72"), 0)
    assert 30 < b_lines < 75
    assert 3.5 < rate[("part_a", "40")] < 9
    assert 0.15 < rate[("part_a", "60")] < 0.5
    assert 0.03 < rate[("part_a", "20")] + rate.get(("part_a", "30"), 0) < 0.2
    assert 0.03 < rate[("part_a", "10")] < 0.2
    assert 0.005 < rate[("part_a", "50")] < 0.1
    assert 1 < sum(v for (f, _), v in rate.items() if f == "dme") < 4
    assert 15 < sum(v for (f, _), v in rate.items() if f == "part_d") < 45


def test_population_shares(realism_run: Path) -> None:
    d = [x for x in deliveries(realism_run) if not x.runout][6]
    b = records(d.files["CCLF8"], 549)
    status = column(b, "CCLF8", "bene_mdcr_stus_cd")
    dual = column(b, "CCLF8", "bene_dual_stus_cd")
    age = column(b, "CCLF8", "bene_age").astype(int)
    assert 0.12 < np.isin(status, [b"20", b"21"]).mean() < 0.22
    assert 0.003 < np.isin(status, [b"11", b"21", b"31"]).mean() < 0.025
    assert 0.12 < (dual != b"NA").mean() < 0.25
    assert 0.12 < (age < 65).mean() < 0.22
    assert (age[status == b"10"] >= 64).all()
    for m in column(b, "CCLF8", "bene_mbi_id")[:500]:
        assert is_valid_mbi(m.decode())


def test_deaths_per_year(gt: dict) -> None:
    bm = gt["beneficiary_month"]
    dec = bm.filter(bm.column("month").to_numpy() == np.datetime64("2024-12-01"))
    jan = bm.filter(bm.column("month").to_numpy() == np.datetime64("2024-01-01"))
    dead = (~dec.column("alive").to_numpy()).sum()
    assert 0.02 < dead / jan.num_rows < 0.07


def test_hard_cases_present(realism_run: Path) -> None:
    ds = deliveries(realism_run)
    seen: Counter[tuple] = Counter()
    adj: Counter[bytes] = Counter()
    denied_a = denied_b_lines = denied_b_claims = ed = 0
    for d in ds:
        b1 = records(d.files["CCLF1"], 437)
        a = column(b1, "CCLF1", "clm_adjsmt_type_cd")
        adj.update(a.tolist())
        npmt = column(b1, "CCLF1", "clm_mdcr_npmt_rsn_cd")
        paid = amount(b1, "CCLF1", "clm_pmt_amt")
        denied_a += int(((npmt != b"") & (paid == 0)).sum())
        assert not ((npmt != b"") & (paid != 0)).any()
        ids = column(b1, "CCLF1", "cur_clm_uniq_id")
        eff = column(b1, "CCLF1", "clm_efctv_dt")
        for i, e, t in zip(ids, eff, a, strict=True):
            seen[(i, e, t)] += 1
        b5 = records(d.files["CCLF5"], 388)
        prc = column(b5, "CCLF5", "clm_prcsg_ind_cd")
        dnl = column(b5, "CCLF5", "clm_carr_pmt_dnl_cd")
        p5 = amount(b5, "CCLF5", "clm_line_cvrd_pd_amt")
        bad_line = ~np.isin(prc, [b"A", b"R", b"S"])
        denied_b_lines += int(bad_line.sum())
        denied_b_claims += int((dnl == b"0").sum())
        assert (p5[bad_line | (dnl == b"0")] == 0).all()
        b2 = records(d.files["CCLF2"], 199)
        rev = column(b2, "CCLF2", "clm_line_prod_rev_ctr_cd")
        ed += int((np.char.startswith(rev, b"045") | (rev == b"0981")).sum())
    dup = sum(c - 1 for c in seen.values()) / sum(seen.values())
    assert 0.08 < dup < 0.4, dup
    assert adj[b"1"] > 0 and adj[b"2"] > 0
    assert denied_a > 0 and denied_b_lines > 0 and denied_b_claims > 0 and ed > 0


def test_cancellation_before_its_adjustment_exists(realism_run: Path) -> None:
    """IP v40 5.2.1: a cancellation can be processed in a delivery before its adjustment."""
    first: dict[bytes, int] = {}
    key_rows: dict[tuple, list[tuple[int, bytes]]] = {}
    for n, d in enumerate(x for x in deliveries(realism_run) if not x.runout):
        b1 = records(d.files["CCLF1"], 437)
        cols = [column(b1, "CCLF1", f) for f in ("cur_clm_uniq_id", "clm_adjsmt_type_cd",
                                                   "clm_blg_prvdr_oscar_num", "clm_from_dt",
                                                   "clm_thru_dt")]
        for i, a, o, f, t in zip(*cols, strict=True):
            if i not in first:
                first[i] = n
                key_rows.setdefault((o, f, t), []).append((n, a))
    found = 0
    for rows in key_rows.values():
        c = [n for n, a in rows if a == b"1"]
        j = [n for n, a in rows if a == b"2"]
        if c and j and min(c) < min(j):
            found += 1
    assert found > 0


def test_joiners_bring_back_history_and_mbi_changes_span_deliveries(realism_run: Path) -> None:
    ds = [d for d in deliveries(realism_run) if not d.runout]
    seen: set[bytes] = set()
    history = 0
    for n, d in enumerate(ds):
        mbis = set(column(records(d.files["CCLF8"], 549), "CCLF8", "bene_mbi_id").tolist())
        new = mbis - seen if n else set()
        seen |= mbis
        b5 = records(d.files["CCLF5"], 388)
        m = column(b5, "CCLF5", "bene_mbi_id")
        thru = column(b5, "CCLF5", "clm_thru_dt")
        ref = f"2024-{n + 1:02d}".encode()
        old = np.isin(m, list(new)) & (thru < ref) & (np.char.ljust(thru, 7) < ref)
        history += int(old.sum())
    assert history > 0
    xw_first: dict[bytes, int] = {}
    for n, d in enumerate(ds):
        b9 = records(d.files["CCLF9"], 55)
        for cur in column(b9, "CCLF9", "crnt_num"):
            xw_first.setdefault(cur, n)
    assert len(set(xw_first.values())) > 2  # changes appear over several deliveries


def test_identifier_formats(realism_run: Path) -> None:
    d = deliveries(realism_run)[3]
    b1 = records(d.files["CCLF1"], 437)
    for npi in np.unique(column(b1, "CCLF1", "fac_prvdr_npi_num"))[:300]:
        assert is_valid_npi(npi.decode())
    b5 = records(d.files["CCLF5"], 388)
    for npi in np.unique(column(b5, "CCLF5", "rndrg_prvdr_npi_num"))[:300]:
        assert is_valid_npi(npi.decode())
    for tin in np.unique(column(b5, "CCLF5", "clm_rndrg_prvdr_tax_num"))[:300]:
        assert len(tin) == 9 and tin.isdigit()
    ranges = list(CCN_RANGES.values())
    ccns = column(b1, "CCLF1", "prvdr_oscar_num")
    swing = column(b1, "CCLF1", "clm_type_cd") == b"30"
    for ccn in np.unique(ccns[~swing]):
        assert len(ccn) == 6 and ccn[:2] == b"36"
        assert any(lo <= int(ccn[2:]) <= hi for lo, hi in ranges)
    for ccn in np.unique(ccns[swing]):  # swing beds: letter in position 3 (Z = CAH)
        assert ccn[2:3] == b"Z" and 300 <= int(ccn[3:]) <= 399
    assert current_layout("CCLF1").record_length == 437


def test_alr_enroll_flags_mostly_agree_with_cclf(realism_run: Path, gt: dict) -> None:
    import csv
    import zipfile

    path = next(p for p in (realism_run / "deliveries").iterdir() if "2024Q4" in p.name)
    with zipfile.ZipFile(path) as zf:  # the ALR zip: Tables 1-1, 1-2, 1-4
        text = zf.read(next(n for n in zf.namelist() if n.endswith("_1-1.csv"))).decode()
    assert text.startswith('"BENE_MBI_ID","BENE_HIC_NUM"')
    rows = list(csv.DictReader(text.splitlines()))
    bm = gt["beneficiary_month"].to_pylist()
    cclf = {(r["current_mbi"], r["month"].month): r["enrollment_type"] for r in bm
            if r["enrollment_type"] is not None}
    agree = total = 0
    for r in rows:
        for k in range(1, 13):
            t = cclf.get((r["BENE_MBI_ID"], k))
            if t is not None:
                total += 1
                agree += int(r[f"EnrollFlag{k}"]) == t
    assert total > 1000
    assert 0.85 < agree / total < 0.995, agree / total


def test_revenue_lines_usually_sum_to_the_header(realism_run: Path) -> None:
    """IP v40 3.5: outpatient line payments mostly sum to CLM_PMT_AMT; inpatient lines are $0."""
    from collections import defaultdict

    d = [x for x in deliveries(realism_run) if not x.runout][5]
    b1, b2 = records(d.files["CCLF1"], 437), records(d.files["CCLF2"], 199)
    sums: defaultdict[bytes, int] = defaultdict(int)
    for i, p in zip(column(b2, "CCLF2", "cur_clm_uniq_id"),
                    amount(b2, "CCLF2", "clm_line_cvrd_pd_amt"), strict=True):
        sums[i] += int(p)
    ids = column(b1, "CCLF1", "cur_clm_uniq_id")
    paid = amount(b1, "CCLF1", "clm_pmt_amt")
    typ = column(b1, "CCLF1", "clm_type_cd")
    op = [sums[i] == p for i, p, t in zip(ids, paid, typ, strict=True) if t == b"40"]
    assert 0.85 < sum(op) / len(op) < 0.995
    assert all(sums[i] == 0 for i, t in zip(ids, typ, strict=True) if t == b"60")


def test_old_mbis_still_arrive_after_the_change(realism_run: Path) -> None:
    """Claims carrying a previous MBI appear in deliveries whose CCLF9 already maps it."""
    old_rows = 0
    for d in deliveries(realism_run):
        prev = column(records(d.files["CCLF9"], 55), "CCLF9", "prvs_num")
        for ft, w in (("CCLF1", 437), ("CCLF5", 388), ("CCLF7", 230)):
            old_rows += int(np.isin(column(records(d.files[ft], w), ft, "bene_mbi_id"),
                                    prev).sum())
    assert old_rows > 0
