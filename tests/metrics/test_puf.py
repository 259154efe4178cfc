"""PUF reading (both styles, bad files) and the engine over CMS's published PY2021/PY2022 files."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import settle as _settle_cli  # noqa: F401  (registers `aco settle`)
from aco_pipeline.cli.app import app
from aco_pipeline.metrics.puf import PufFormatError, read_puf
from aco_pipeline.metrics.settlement import (
    MATCH,
    MISMATCH,
    UNDETERMINED,
    compare_file,
    write_parquet,
)
from aco_pipeline.metrics.shared_savings import RevenueCategory, Track

PUF_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "mssp_puf"

# Regression floors: ACOs within $1 of the published EarnSaveLoss (all of them at present).
FLOORS = {2021: 475, 2022: 482}

LATER_HEADER = [
    "ACO_ID", "ACO_Name", "Agree_Type", "Agreement_Period_Num", "Current_Start_Date",
    "Current_Track", "Risk_Model", "N_AB", "Sav_rate", "MinSavPerc", "BnchmkMinExp",
    "GenSaveLoss", "DisAdj", "EarnSaveLoss", "Met_QPS", "Met_AltQPS", "ReducedSS", "QualScore",
    "ABtotBnchmk", "ABtotExp", "FinalShareRate", "FinalLossRate", "Rev_Exp_Cat", "Guardrail",
]
# Hand-computed rows in the PY2023+ style: plain numbers, no `%`.
LATER_ROWS = [
    # BASIC B, variable MSR 2.5%, 5% savings: 5,000,000 * 40% * 98%
    ["A9001", "One", "Initial", "1", "01/01/2023", "B", "One-Sided", "20000", "5.00", "2.50",
     "5000000", "5000000", "", "1960000", "1", "0", "0", "80.5", "100000000", "95000000",
     "40.00", "", "Low Revenue", "0"],
    # ENHANCED, alternative QPS, Q = 62.5: 75% * 0.625 of 2,000,000, sequestered
    ["A9002", "Two", "Renewal", "2", "01/01/2023", "EN", "Two-Sided", "30000", "2.00", "0.00",
     "2000000", "2000000", "", "918750", "0", "1", "0", "62.5", "100000000", "98000000",
     "46.88", "60.94", "High Revenue", "0"],
    # BASIC B reduced rate (PY2024, start 2024, low revenue): 1,000,000 * 20% * 98%
    ["A9003", "Three", "Initial", "1", "01/01/2024", "B", "One-Sided", "20000", "1.00", "2.50",
     "1000000", "1000000", "", "196000", "1", "0", "1", "90", "100000000", "99000000",
     "20.00", "", "Low Revenue", "0"],
    # BASIC E loss, no EUC: -3,000,000 * 30%
    ["A9004", "Four", "Renewal", "2", "01/01/2024", "E", "Two-Sided", "15000", "-3.00", "1.00",
     "-3000000", "-3000000", "0", "-900000", "1", "0", "0", "85", "100000000", "103000000",
     "50.00", "30.00", "High Revenue", "1"],
    # Suppressed N: cannot be recomputed
    ["A9005", "Five", "Initial", "1", "01/01/2024", "A", "One-Sided", "*", "1.00", "*",
     "1000000", "0", "", "0", "1", "0", "0", "90", "100000000", "99000000", "40.00", "",
     "Low Revenue", "0"],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def later_year(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "PY2024_financial_quality_results.csv", LATER_HEADER,
                     LATER_ROWS)


def test_later_year_format(later_year: Path) -> None:
    puf = read_puf(later_year)
    assert puf.performance_year == 2024 and puf.style == "plain-numbers"
    first = puf.records[0]
    assert first.track is Track.BASIC_B
    assert first.min_sav_perc == Decimal("0.025")  # plain 2.50 read as percent points
    assert first.quality_score == Decimal("80.5")
    assert first.revenue_category is RevenueCategory.LOW
    assert puf.records[1].met_alt_qps is True and puf.records[2].published.reduced_ss is True
    assert puf.records[3].guardrail is True
    assert puf.records[3].published.final_loss_rate == Decimal("0.30")
    assert puf.records[4].assigned_beneficiaries is None and "N_AB" in puf.records[4].suppressed

    result = compare_file(puf)
    status = {a.aco_id: a for a in result.acos}
    for aco in ("A9001", "A9002", "A9003", "A9004"):
        assert status[aco].status == MATCH, (aco, status[aco])
    assert status["A9003"].result is not None and status["A9003"].result.reduced_rate
    assert status["A9005"].status == UNDETERMINED
    assert "N_AB" in status["A9005"].reasons[0]


def test_missing_column_is_named(tmp_path: Path) -> None:
    header = [c for c in LATER_HEADER if c not in ("ABtotExp", "Met_QPS")]
    rows = [[v for c, v in zip(LATER_HEADER, r, strict=True) if c in header]
            for r in LATER_ROWS]
    bad = write_csv(tmp_path / "PY2024_bad.csv", header, rows)
    with pytest.raises(PufFormatError) as err:
        read_puf(bad)
    message = str(err.value)
    assert "ABtotExp" in message and "Met_QPS" in message and str(bad) in message
    assert "ABtotBnchmk" not in message


def test_missing_track_columns_are_named(tmp_path: Path) -> None:
    header = [c for c in LATER_HEADER if c != "Current_Track"]
    rows = [[v for c, v in zip(LATER_HEADER, r, strict=True) if c != "Current_Track"]
            for r in LATER_ROWS]
    with pytest.raises(PufFormatError, match="Current_Track"):
        read_puf(write_csv(tmp_path / "PY2024.csv", header, rows))


def test_unexpected_value_names_file_line_column(tmp_path: Path) -> None:
    rows = [list(r) for r in LATER_ROWS]
    rows[2][LATER_HEADER.index("ABtotExp")] = "n/a"
    bad = write_csv(tmp_path / "PY2024.csv", LATER_HEADER, rows)
    with pytest.raises(PufFormatError, match=r"line 4, column ABtotExp: 'n/a'") as err:
        read_puf(bad)
    assert str(bad) in str(err.value)
    rows = [list(r) for r in LATER_ROWS]
    rows[0][LATER_HEADER.index("Current_Track")] = "Z"
    with pytest.raises(PufFormatError, match="line 2, column Current_Track"):
        read_puf(write_csv(tmp_path / "PY2024.csv", LATER_HEADER, rows))


def test_year_required_when_not_in_name(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "results.csv", LATER_HEADER, LATER_ROWS)
    with pytest.raises(PufFormatError, match="performance year"):
        read_puf(path)
    assert read_puf(path, 2024).performance_year == 2024


def test_cli_on_fixture(later_year: Path, tmp_path: Path) -> None:
    out = tmp_path / "settle.parquet"
    res = CliRunner().invoke(app, ["settle", "--puf", str(later_year), "--format", "json",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["files"][0]["within_1_dollar"] == 4
    assert data["files"][0]["undetermined"] == 1
    import pyarrow.parquet as pq

    table = pq.read_table(out)
    assert table.num_rows == 5
    assert str(table.schema.field("predicted_earned").type) == "decimal128(24, 6)"


def test_cli_bad_file(tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "PY2024.csv", ["ACO_ID", "N_AB"], [["A1", "5"]])
    res = CliRunner().invoke(app, ["settle", "--puf", str(bad)])
    assert res.exit_code == 1
    assert "ABtotBnchmk" in res.output or "ABtotBnchmk" in (res.stderr or "")


@pytest.mark.parametrize("year", sorted(FLOORS))
def test_published_results_reproduce(year: int, tmp_path: Path) -> None:
    path = PUF_DIR / f"PY{year}_financial_quality_results.csv"
    if not path.is_file():
        pytest.skip(f"CMS PUF not found at {path} (../shared/data/mssp_puf is absent)")
    comparison = compare_file(read_puf(path))
    counts = comparison.counts
    assert counts[MATCH] >= FLOORS[year], counts
    assert counts[MISMATCH] == 0, [a for a in comparison.acos if a.status == MISMATCH]
    for aco in comparison.acos:
        if aco.status != MATCH:
            assert aco.reasons, aco
    # The loss before the EUC offset matches DisAdj unless the revenue-based limit applies.
    assert comparison.dis_adj_counts[MISMATCH] == 0
    assert write_parquet([comparison], tmp_path / "r.parquet") == len(comparison.acos)


EARLY_HEADER = [
    "ACO_ID", "Current_Start_Date", *(
        "Current_Track_1", "Current_Track_2", "Current_Track_3", "Current_Track_1_Plus",
        "Current_BASIC_A", "Current_BASIC_B", "Current_BASIC_C", "Current_BASIC_D",
        "Current_BASIC_E", "Current_ENHANCED"),
    "Risk_Model", "N_AB", "Sav_Rate", "MinSavPerc", "BnchmkMinExp", "GenSaveLoss", "DisAdj",
    "EarnSaveLoss", "Met_QPS", "QualScore", "ABtotBnchmk", "ABtotExp", "RevLossLimit",
    "Rev_Exp_Cat",
]


def _indicators(track: str) -> list[str]:
    order = ["1", "2", "3", "1+", "A", "B", "C", "D", "E", "EN"]
    return ["1" if t == track else "0" for t in order]


def test_py2021_style(tmp_path: Path) -> None:
    rows = [
        # ENHANCED savings, commas and % signs: 84,231,357 * 75% * 98%
        ["A1", "7/1/2019", *_indicators("EN"), "Two-Sided", "89,403", "7.17%", "2.00%",
         "84,231,357", "84,231,357", "", "61,910,047", "1", "100", "1,175,345,650",
         "1,091,114,293", "0", "Low Revenue"],
        # BASIC C loss fully offset by the COVID EUC: DisAdj = -877,620 * 30%
        ["A2", "1/1/2020", *_indicators("C"), "Two-Sided", "12,000", "-1.20%", "0.00%",
         "-877,620", "-877,620", "-263,286", "0", "1", "90", "73,135,000", "74,012,620", "0",
         "High Revenue"],
    ]
    path = write_csv(tmp_path / "PY2021_financial_quality_results.csv", EARLY_HEADER, rows)
    puf = read_puf(path)
    assert puf.style == "percent-signs"
    assert [r.track for r in puf.records] == [Track.ENHANCED, Track.BASIC_C]
    assert puf.records[0].assigned_beneficiaries == 89403
    assert puf.records[0].min_sav_perc == Decimal("0.02")
    comparison = compare_file(puf)
    assert [a.status for a in comparison.acos] == [MATCH, MATCH]
    assert comparison.acos[1].predicted_dis_adj == Decimal("-263286.000")
    assert comparison.dis_adj_counts[MATCH] == 1


def test_py2023_euc_share_not_published(tmp_path: Path) -> None:
    row = list(LATER_ROWS[3])
    row[LATER_HEADER.index("DisAdj")] = "-375000"  # 5/12 of the loss offset
    row[LATER_HEADER.index("EarnSaveLoss")] = "-525000"
    path = write_csv(tmp_path / "PY2023_financial_quality_results.csv", LATER_HEADER, [row])
    (aco,) = compare_file(read_puf(path)).acos
    assert aco.status == UNDETERMINED
    assert any("EUC" in r for r in aco.reasons)
