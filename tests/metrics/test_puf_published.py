"""The engine over CMS's real published results (../shared/data/mssp_puf): PY2021-PY2023.

Skips with a message when the shared data folder is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from aco_pipeline.metrics.puf import NOT_APPLICABLE, Marker, read_puf
from aco_pipeline.metrics.settlement import (
    DIS_ADJ_INPUT,
    MATCH,
    MISMATCH,
    PHE_EUC_SHARE_FLOOR,
    UNDETERMINED,
    compare_file,
    write_parquet,
)

PUF_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "mssp_puf"

# Regression floors: ACOs within $1 of the published EarnSaveLoss.
FLOORS = {2021: 475, 2022: 482, 2023: 450}


def puf_path(year: int) -> Path:
    path = PUF_DIR / f"PY{year}_financial_quality_results.csv"
    if not path.is_file():
        pytest.skip(f"CMS PUF not found at {path} (../shared/data/mssp_puf is absent)")
    return path


@pytest.mark.parametrize("year", sorted(FLOORS))
def test_published_results_reproduce(year: int, tmp_path: Path) -> None:
    comparison = compare_file(read_puf(puf_path(year)))
    counts = comparison.counts
    assert counts[MATCH] >= FLOORS[year], counts
    assert counts[MISMATCH] == 0, [a for a in comparison.acos if a.status == MISMATCH]
    for aco in comparison.acos:
        if aco.status != MATCH:
            assert aco.reasons, aco
    # Full-year EUC years: the loss before the offset matches DisAdj unless the revenue-based
    # limit applies.
    assert comparison.dis_adj_counts[MISMATCH] == 0
    assert write_parquet([comparison], tmp_path / "r.parquet") == len(comparison.acos)


def test_py2023_is_read_exactly_as_published() -> None:
    puf = read_puf(puf_path(2023))
    assert len(puf.records) == 453 and puf.unknown_columns == ()
    # All three markers occur and none stops the file; Met_AltQPS is '-' for every ACO.
    assert all(puf.markers[m] > 0 for m in
               (Marker.NOT_APPLICABLE, Marker.SUPPRESSED, Marker.NOT_PUBLISHED))
    assert {r.met_alt_qps for r in puf.records} == {NOT_APPLICABLE}


def test_py2023_losses_use_the_published_dis_adj() -> None:
    comparison = compare_file(read_puf(puf_path(2023)))
    used = comparison.dis_adj_inputs
    assert used and all(a.dis_adj_role == DIS_ADJ_INPUT for a in used)
    floor = PHE_EUC_SHARE_FLOOR[2023]
    for aco in used:
        share = aco.implied_euc_share
        assert share is not None and share <= 1
        if aco.status == MATCH:
            # Every reproduced loss had at least the PHE's five months offset.
            assert share >= floor, aco
    # Every ACO not reproduced is a loss whose revenue-based limit must have bound.
    for aco in comparison.acos:
        if aco.status == UNDETERMINED:
            assert aco.reasons[0].startswith(
                "loss limit based on unpublished ACO participant revenue: DisAdj"), aco
            assert aco.implied_euc_share is not None and aco.implied_euc_share < floor
            # ... and CMS's result lies in the range the published data leaves.
            assert aco.earned_range is not None and aco.published is not None
            low, high = aco.earned_range
            assert low <= aco.published <= high, aco


# The columns PY2024 renames or adds (mssp-reports.md section 7; names as in the PY2024 file).
PY2024_RENAMES = {"Met_30pctl": "Met_40pctl", "Recvd30p": "Recvd40p", "PosRegAdj": "RegAdj",
                  "Report_eCQM_CQM": "Report_eCQM_CQM_MedicareCQM"}
PY2024_ADDED = {
    "Met_SSP_quality_reporting_requirements": "1", "AIP": "0", "AIPBalance": "",
    "AIPRecoup": "", "AIPOwe": "", "PriorSavAdj": "-", "FinalAdjCat": "Regional",
    "Guardrail": "0", "ReducedSS": "0",
    **{f"Demog_RiskScore_{s}_{p}": "*" if s == "ESRD" else "1.012"
       for s in ("ESRD", "DIS", "AGDU", "AGND") for p in ("BY3", "PY")},
    **{f"RR_weight_{s}_PY": "25.00%" for s in ("ESRD", "DIS", "AGDU", "AGND")},
    **{f"QualityID_{m}_MedicareCQM": "-" for m in ("001", "134", "236")},
}


def test_py2024_columns_do_not_disturb_the_py2023_reproduction(tmp_path: Path) -> None:
    import csv

    with puf_path(2023).open(newline="", encoding="utf-8-sig") as fh:
        header, *rows = list(csv.reader(fh))
    header = [PY2024_RENAMES.get(h, h) for h in header] + list(PY2024_ADDED)
    rows = [[*r, *PY2024_ADDED.values()] for r in rows]
    shaped = tmp_path / "PY2023_financial_quality_results.csv"  # PY2023 rules, PY2024 shape
    with shaped.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    puf = read_puf(shaped)
    assert puf.unknown_columns == ()
    original = compare_file(read_puf(puf_path(2023)))
    reshaped = compare_file(puf)
    assert reshaped.counts == original.counts
    assert [a.predicted for a in reshaped.acos] == [a.predicted for a in original.acos]
