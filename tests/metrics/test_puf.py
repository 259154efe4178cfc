"""Reading CMS's PUF files (metrics.puf): both styles, the three markers, unknown columns, bad
files; the settlement of small hand-computed files. The real CMS files: test_puf_published.py."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aco_pipeline.cli import settle as _settle_cli  # noqa: F401  (registers `aco settle`)
from aco_pipeline.cli.app import app
from aco_pipeline.errors import AcoError
from aco_pipeline.metrics.puf import (
    NOT_APPLICABLE,
    NOT_IN_FILE,
    NOT_PUBLISHED,
    SUPPRESSED,
    Marker,
    NoValue,
    PufFormatError,
    PufReadError,
    parse_puf,
    read_puf,
    value,
)
from aco_pipeline.metrics.settlement import (
    DIS_ADJ_INPUT,
    MATCH,
    UNDETERMINED,
    AcoComparison,
    compare_file,
)
from aco_pipeline.metrics.shared_savings import RevenueCategory, Track

LATER_HEADER = [
    "ACO_ID", "ACO_Name", "Agree_Type", "Agreement_Period_Num", "Current_Start_Date",
    "Current_Track", "Risk_Model", "N_AB", "Sav_rate", "MinSavPerc", "BnchmkMinExp",
    "GenSaveLoss", "DisAdj", "EarnSaveLoss", "Met_QPS", "Met_AltQPS", "ReducedSS", "QualScore",
    "ABtotBnchmk", "ABtotExp", "FinalShareRate", "FinalLossRate", "Rev_Exp_Cat", "Guardrail",
]
# Hand-computed rows, plain numbers without `%`.
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
     "50.00", "30.00", "High Revenue", "0"],
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


def with_cell(row: list[str], header: list[str], column: str, text: str) -> list[str]:
    out = list(row)
    out[header.index(column)] = text
    return out


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
    assert first.agreement_start == date(2023, 1, 1)
    assert read_puf(write_csv(later_year.with_name("PY2024_t.csv"), LATER_HEADER, [
        with_cell(LATER_ROWS[0], LATER_HEADER, "Current_Track", "BASIC Level E")])
    ).records[0].track is Track.BASIC_E
    assert puf.records[1].met_alt_qps is True and puf.records[2].published.reduced_ss is True
    assert puf.records[3].published.final_loss_rate == Decimal("0.30")
    assert puf.records[4].assigned_beneficiaries == SUPPRESSED

    result = compare_file(puf)
    status = {a.aco_id: a for a in result.acos}
    for aco in ("A9001", "A9002", "A9003", "A9004"):
        assert status[aco].status == MATCH, (aco, status[aco])
    assert status["A9003"].result is not None and status["A9003"].result.reduced_rate
    assert status["A9005"].status == UNDETERMINED
    assert status["A9005"].reasons == ["inputs without a value: N_AB suppressed ('*')"]


# --- the three markers (mssp-reports.md section 7) ------------------------------------------

def test_each_marker_is_a_typed_no_value_with_its_reason(tmp_path: Path) -> None:
    header = [*LATER_HEADER, "N_Ben_Race_Native", "QualityID_001_eCQM"]
    rows = [
        [*with_cell(LATER_ROWS[0], LATER_HEADER, "Met_AltQPS", "-"), "*", "-"],
        [*LATER_ROWS[1], "12", "55.3"],
    ]
    puf = read_puf(write_csv(tmp_path / "PY2023_x.csv", header, rows))
    first, second = puf.records
    assert first.met_alt_qps == NOT_APPLICABLE
    assert first.met_alt_qps.reason is Marker.NOT_APPLICABLE  # type: ignore[union-attr]
    assert first.cells["N_Ben_Race_Native"] == SUPPRESSED
    assert first.cells["QualityID_001_eCQM"] == NOT_APPLICABLE
    assert first.dis_adj == NOT_PUBLISHED  # empty cell
    assert first.published.final_loss_rate == NOT_PUBLISHED
    assert first.prior_savings_adjustment == NOT_IN_FILE  # column absent from the file
    assert first.reason("n_ben_race_native") == SUPPRESSED
    assert first.reason("N_AB") is None
    assert second.cells["N_Ben_Race_Native"] == Decimal(12)
    assert value(first.met_alt_qps) is None and value(second.met_alt_qps) is True
    # Counted per reason: '-' x2, '*' x1, '' x4 (DisAdj x2, FinalLossRate x1 ... as written).
    empties = sum(1 for r in rows for c in r if c == "")
    assert puf.markers == {Marker.NOT_APPLICABLE: 2, Marker.SUPPRESSED: 1,
                           Marker.NOT_PUBLISHED: empties}
    assert NOT_APPLICABLE.describe("Met_AltQPS") == "Met_AltQPS not applicable ('-')"


def test_a_marker_in_an_engine_input_names_column_and_reason(tmp_path: Path) -> None:
    rows = [with_cell(LATER_ROWS[0], LATER_HEADER, "ABtotExp", "-"),
            with_cell(LATER_ROWS[0], LATER_HEADER, "Met_QPS", "")]
    (exp, qps) = compare_file(read_puf(write_csv(tmp_path / "PY2023.csv", LATER_HEADER,
                                                 rows))).acos
    assert exp.status == UNDETERMINED and qps.status == UNDETERMINED
    assert exp.reasons == ["inputs without a value: ABtotExp not applicable ('-')"]
    assert qps.reasons == ["inputs without a value: Met_QPS not published ('')"]


def test_a_marker_in_the_track_indicators_is_kept(tmp_path: Path) -> None:
    indicators = [f"Current_{t}" for t in ("Track_1", "Track_2", "Track_3", "Track_1_Plus",
                                           "BASIC_A", "BASIC_B", "BASIC_C", "BASIC_D",
                                           "BASIC_E", "ENHANCED")]
    header = [c for c in LATER_HEADER if c != "Current_Track"] + indicators
    base = [v for c, v in zip(LATER_HEADER, LATER_ROWS[0], strict=True) if c != "Current_Track"]
    rows = [base + ["*"] * 10, base + ["0"] * 5 + ["1"] + ["0"] * 4]
    first, second = read_puf(write_csv(tmp_path / "PY2021.csv", header, rows)).records
    assert first.track == SUPPRESSED and second.track is Track.BASIC_B


# --- columns by name; unknown columns -------------------------------------------------------

def test_columns_are_read_by_name_not_position(tmp_path: Path) -> None:
    order = list(reversed(LATER_HEADER))
    rows = [[dict(zip(LATER_HEADER, r, strict=True))[c] for c in order] for r in LATER_ROWS]
    a = read_puf(write_csv(tmp_path / "PY2024_a.csv", LATER_HEADER, LATER_ROWS))
    b = read_puf(write_csv(tmp_path / "PY2024_b.csv", order, rows))
    assert [(r.aco_id, r.benchmark, r.track, r.met_alt_qps) for r in a.records] == [
        (r.aco_id, r.benchmark, r.track, r.met_alt_qps) for r in b.records]


def test_unknown_column_is_reported_and_kept_not_fatal(tmp_path: Path) -> None:
    header = [*LATER_HEADER, "Brand_New_Measure", "", ""]
    rows = [[*r, "n/a", "x", "-"] for r in LATER_ROWS]
    path = write_csv(tmp_path / "PY2024_financial_quality_results.csv", header, rows)
    puf = read_puf(path)
    assert puf.unknown_columns == ("Brand_New_Measure", "(unnamed column 26)",
                                   "(unnamed column 27)")
    assert puf.records[0].unknown == {"Brand_New_Measure": "n/a", "(unnamed column 26)": "x",
                                      "(unnamed column 27)": "-"}
    assert "Brand_New_Measure" not in puf.records[0].cells
    res = CliRunner().invoke(app, ["settle", "--puf", str(path)])
    assert res.exit_code == 0, res.output
    assert "unknown columns (kept as text): Brand_New_Measure" in res.output


# --- malformed values and files: errors name file, line and column ---------------------------

@pytest.mark.parametrize(("column", "text", "what"), [
    ("ABtotExp", "n/a", "a number"),
    ("Met_AltQPS", "maybe", "a 0/1 flag"),
    ("Current_Track", "Z", "a track code"),
    ("Current_Start_Date", "2023-13-45", "a date"),
    ("N_AB", "12.5", "a whole number"),
    ("Rev_Exp_Cat", "Medium", "Low Revenue or High Revenue"),
    ("MinSavPerc", "1e300", "a rate"),
    ("MinSavPerc", "NaN", "a rate"),
    ("ABtotBnchmk", "Infinity", "a number"),
])
def test_malformed_value_names_file_line_column(tmp_path: Path, column: str, text: str,
                                                what: str) -> None:
    rows = [list(r) for r in LATER_ROWS]
    rows[2] = with_cell(rows[2], LATER_HEADER, column, text)
    bad = write_csv(tmp_path / "PY2024.csv", LATER_HEADER, rows)
    with pytest.raises(PufFormatError) as err:
        read_puf(bad)
    message = str(err.value)
    assert message.startswith(f"{bad}: line 4, column {column}: {text!r} is not {what}")
    assert isinstance(err.value, AcoError) and isinstance(err.value, ValueError)


def test_malformed_descriptive_column_is_an_error_too(tmp_path: Path) -> None:
    header = [*LATER_HEADER, "QualityID_001_WI"]
    rows = [[*r, "55.2"] for r in LATER_ROWS]
    rows[1][-1] = "5x"
    with pytest.raises(PufFormatError, match=r"line 3, column QualityID_001_WI: '5x'"):
        read_puf(write_csv(tmp_path / "PY2024.csv", header, rows))


def test_malformed_files(tmp_path: Path) -> None:
    short = [list(r) for r in LATER_ROWS]
    short[3] = short[3][:-2]
    with pytest.raises(PufFormatError, match=r"line 5: 22 cells, the header has 24"):
        read_puf(write_csv(tmp_path / "PY2024.csv", LATER_HEADER, short))
    twice = [*LATER_HEADER[:-1], "abtotexp"]
    with pytest.raises(PufFormatError, match=r"line 1, column abtotexp: the header names it"):
        read_puf(write_csv(tmp_path / "PY2024.csv", twice, LATER_ROWS))
    latin = tmp_path / "PY2024_latin.csv"
    text = parse_text(LATER_HEADER, LATER_ROWS).replace("One", "Caf\u00e9")
    latin.write_bytes(text.encode("latin-1"))
    with pytest.raises(PufFormatError, match=r"PY2024_latin.csv: line 2: byte 0xe9 is not UTF-8"):
        read_puf(latin)
    with pytest.raises(PufFormatError, match="line 1: empty file"):
        parse_puf("", "PY2024.csv")
    with pytest.raises(PufReadError, match="cannot read") as err:
        read_puf(tmp_path / "PY2024_missing.csv")
    assert isinstance(err.value, AcoError) and isinstance(err.value, OSError)


def test_line_numbers_count_quoted_newlines(tmp_path: Path) -> None:
    rows = [list(r) for r in LATER_ROWS]
    rows[0] = with_cell(rows[0], LATER_HEADER, "ACO_Name", "Two\nlines")
    rows[1] = with_cell(rows[1], LATER_HEADER, "ABtotExp", "bad")
    with pytest.raises(PufFormatError, match=r"line 4, column ABtotExp"):
        read_puf(write_csv(tmp_path / "PY2024.csv", LATER_HEADER, rows))


def parse_text(header: list[str], rows: list[list[str]]) -> str:
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def test_parse_puf_reads_text_like_a_file(later_year: Path) -> None:
    from_text = parse_puf("\ufeff" + later_year.read_text(), "PY2024 results")
    from_file = read_puf(later_year)
    assert [r.aco_id for r in from_text.records] == [r.aco_id for r in from_file.records]
    assert from_text.records[1].benchmark == from_file.records[1].benchmark
    assert from_text.performance_year == 2024


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


def test_year_required_when_not_in_name(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "results.csv", LATER_HEADER, LATER_ROWS)
    with pytest.raises(PufFormatError, match="performance year"):
        read_puf(path)
    assert read_puf(path, 2024).performance_year == 2024


# --- a PY2024-shaped file (the columns section 7 says PY2024 adds) ---------------------------

PY2024_EXTRA = {
    "Met_40pctl": "1", "Recvd40p": "0", "Report_eCQM_CQM_MedicareCQM": "1",
    "Met_SSP_quality_reporting_requirements": "1", "AIP": "1", "AIPBalance": "1,250,000",
    "AIPRecoup": "0", "AIPOwe": "0", "RegAdj": "142", "PriorSavAdj": "87",
    "FinalAdjCat": "Prior Savings Adjustment", "Guardrail": "0",
    "Demog_RiskScore_ESRD_BY3": "*", "Demog_RiskScore_DIS_BY3": "0.912",
    "Demog_RiskScore_AGDU_BY3": "1.034", "Demog_RiskScore_AGND_BY3": "0.998",
    "Demog_RiskScore_AGND_PY": "1.002", "RR_Weight_AGND_PY": "0.4123",
    "QualityID_001_MedicareCQM": "-", "QualityID_134_MedicareCQM": "71.3",
    "QualityID_236_MedicareCQM": "-",
}


def test_py2024_shaped_file_is_read_without_failure(tmp_path: Path) -> None:
    header = [c for c in LATER_HEADER if c != "Guardrail"] + list(PY2024_EXTRA)
    rows = []
    for r in LATER_ROWS:
        cells = dict(zip(LATER_HEADER, r, strict=True))
        cells.update(PY2024_EXTRA)
        # PY2023+ style: rates and the quality score printed with `%`.
        for c in ("Sav_rate", "MinSavPerc", "FinalShareRate", "FinalLossRate", "QualScore"):
            if cells[c] not in ("", "*", "-"):
                cells[c] = cells[c] + "%"
        cells["Met_AltQPS"] = "-" if cells["Met_AltQPS"] == "0" else cells["Met_AltQPS"]
        rows.append([cells[c] for c in header])
    path = write_csv(tmp_path / "PY2024_financial_quality_results.csv", header, rows)
    puf = read_puf(path)
    assert puf.unknown_columns == ()
    assert puf.style == "percent-signs"
    first = puf.records[0]
    assert first.prior_savings_adjustment == Decimal(87)
    assert first.guardrail is False and first.aip_recouped == Decimal(0)
    assert first.cells["AIPBalance"] == Decimal(1_250_000)
    assert first.cells["Demog_RiskScore_ESRD_BY3"] == SUPPRESSED
    assert first.cells["QualityID_001_MedicareCQM"] == NOT_APPLICABLE
    assert first.cells["FinalAdjCat"] == "Prior Savings Adjustment"
    assert first.met_alt_qps == NOT_APPLICABLE and puf.records[1].met_alt_qps is True
    assert first.min_sav_perc == Decimal("0.025") and first.quality_score == Decimal("80.5")
    statuses = {a.aco_id: a.status for a in compare_file(puf).acos}
    assert statuses == {"A9001": MATCH, "A9002": MATCH, "A9003": MATCH, "A9004": MATCH,
                        "A9005": UNDETERMINED}


def test_guardrail_and_aip_recoupment_are_reasons_when_not_matched(tmp_path: Path) -> None:
    header = [*LATER_HEADER, "AIPRecoup"]
    rows = [[*with_cell(LATER_ROWS[0], LATER_HEADER, "EarnSaveLoss", "1860000"), "100000"],
            [*with_cell(with_cell(LATER_ROWS[3], LATER_HEADER, "Guardrail", "1"),
                        LATER_HEADER, "EarnSaveLoss", "-800000"), "0"]]
    aip, guard = compare_file(read_puf(write_csv(tmp_path / "PY2024.csv", header, rows))).acos
    assert aip.status == UNDETERMINED and "AIPRecoup 100,000" in aip.reasons[0]
    assert guard.status == UNDETERMINED
    assert any(r.startswith("guardrail applied") for r in guard.reasons), guard.reasons


# --- the EUC adjustment: derived PY2021/22, the published DisAdj from PY2023 -----------------

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
    assert comparison.dis_adj_counts[MATCH] == 1  # a check in full-year EUC years


# BASIC E, variable MLR (N = 4,000: 4.45%), loss 6% of B: 30% of -6,000,000 = -1,800,000, under
# the 4%-of-B limit (4,000,000); PY2023 DisAdj = 5/12 of it.
PY2023_LOSS = ["A9101", "Loss", "Renewal", "2", "01/01/2022", "E", "Two-Sided", "4000",
               "-6.00%", "4.45%", "-6000000", "-6000000", "-750000", "-1050000", "1", "-",
               "", "85.00%", "100000000", "106000000", "50.00%", "30.00%", "Low Revenue", "0"]


def _py2023(tmp_path: Path, *rows: list[str]) -> list[AcoComparison]:
    path = write_csv(tmp_path / "PY2023_financial_quality_results.csv", LATER_HEADER,
                     list(rows))
    return list(compare_file(read_puf(path)).acos)


def test_py2023_dis_adj_is_the_euc_input(tmp_path: Path) -> None:
    (aco,) = _py2023(tmp_path, PY2023_LOSS)
    assert aco.status == MATCH, aco
    assert aco.dis_adj_role == DIS_ADJ_INPUT
    assert aco.implied_euc_share == Decimal(5) / Decimal(12)
    assert aco.predicted == Decimal(-1_050_000)


def test_py2023_dis_adj_below_the_phe_floor_means_a_revenue_limit(tmp_path: Path) -> None:
    # CMS limited the loss to 8% of a revenue of 12,500,000 = 1,000,000, then offset 5/12 of it:
    # DisAdj -416,667 is only 23% of the engine's 1,800,000, below the 5/12 every ACO had.
    row = with_cell(with_cell(PY2023_LOSS, LATER_HEADER, "DisAdj", "-416667"),
                    LATER_HEADER, "EarnSaveLoss", "-583333")
    (aco,) = _py2023(tmp_path, row)
    assert aco.status == UNDETERMINED
    (reason,) = aco.reasons
    assert reason.startswith("loss limit based on unpublished ACO participant revenue: DisAdj")
    assert "below the 41.67% (5/12)" in reason
    # The true loss is DisAdj / share, share in [5/12, 1]: earned in [1.4 x DisAdj, 0].
    assert aco.earned_range is not None
    low, high = aco.earned_range
    assert abs(low - Decimal(-416667) * Decimal("1.4")) < Decimal("1e-6") and high == 0
    # An ENHANCED ACO (no revenue-based limit) with the same cells is not excused.
    enhanced = with_cell(row, LATER_HEADER, "Current_Track", "EN")
    (en,) = _py2023(tmp_path, enhanced)
    assert en.status == "mismatch"


def test_py2023_loss_without_dis_adj_names_the_marker(tmp_path: Path) -> None:
    row = with_cell(with_cell(PY2023_LOSS, LATER_HEADER, "DisAdj", "*"),
                    LATER_HEADER, "EarnSaveLoss", "-1000000")
    (aco,) = _py2023(tmp_path, row)
    assert aco.status == UNDETERMINED
    assert any("DisAdj suppressed ('*')" in r for r in aco.reasons)


# --- the CLI ------------------------------------------------------------------------------

def test_cli_on_fixture(later_year: Path, tmp_path: Path) -> None:
    out = tmp_path / "settle.parquet"
    res = CliRunner().invoke(app, ["settle", "--puf", str(later_year), "--format", "json",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    summary = data["files"][0]
    assert summary["within_1_dollar"] == 4 and summary["undetermined"] == 1
    assert summary["mismatched"] == 0
    assert summary["undetermined_by_reason"] == {"inputs without a value": 1}
    assert summary["cells_without_value"]["suppressed"] == 2
    import pyarrow.parquet as pq

    table = pq.read_table(out)
    assert table.num_rows == 5
    assert str(table.schema.field("predicted_earned").type) == "decimal128(24, 6)"


def test_cli_prints_counts_and_reasons(tmp_path: Path) -> None:
    row = with_cell(with_cell(PY2023_LOSS, LATER_HEADER, "DisAdj", "-416667"),
                    LATER_HEADER, "EarnSaveLoss", "-583333")
    path = write_csv(tmp_path / "PY2023_financial_quality_results.csv", LATER_HEADER,
                     [PY2023_LOSS, row, LATER_ROWS[0]])
    res = CliRunner().invoke(app, ["settle", "--puf", str(path)])
    assert res.exit_code == 0, res.output
    assert "3 ACOs: 2 matched within $1, 0 mismatched, 1 undetermined" in res.output
    assert ("undetermined, loss limit based on unpublished ACO participant revenue: 1"
            in res.output)
    assert "not applicable ('-')" in res.output


def test_cli_bad_file(tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "PY2024.csv", ["ACO_ID", "N_AB"], [["A1", "5"]])
    res = CliRunner().invoke(app, ["settle", "--puf", str(bad)])
    assert res.exit_code == 1
    assert "ABtotBnchmk" in res.output or "ABtotBnchmk" in (res.stderr or "")


def test_no_value_is_not_a_value() -> None:
    assert isinstance(SUPPRESSED, NoValue) and value(Decimal(3)) == Decimal(3)
    assert value(NOT_PUBLISHED) is None


def test_a_marker_in_the_published_result_is_the_reason(tmp_path: Path) -> None:
    row = with_cell(LATER_ROWS[0], LATER_HEADER, "EarnSaveLoss", "*")
    (aco,) = compare_file(read_puf(write_csv(tmp_path / "PY2023.csv", LATER_HEADER,
                                             [row]))).acos
    assert aco.status == UNDETERMINED and aco.predicted == Decimal(1_960_000)
    assert aco.reasons == ["published result without a value: EarnSaveLoss suppressed ('*')"]
