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
