"""`aco demo`'s aco.toml: the demo `[expenditure]` and `[benchmark]` sections parse with the real
loaders (both expenditure methods), are marked as demo values, and never replace a user's own."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

from aco_pipeline.cli.demo import write_demo_parameters
from aco_pipeline.config import Workspace, init_workspace, load_section
from aco_pipeline.metrics.expenditure import EnrollmentType
from aco_pipeline.metrics.expenditure_report import Method, load_parameters
from aco_pipeline.metrics.forecast import load_benchmark
from aco_pipeline.metrics.shared_savings import Track


def _workspace(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws", aco_id="A9999", performance_year=2024)


def test_demo_sections_parse_with_the_real_loaders(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    assert write_demo_parameters(ws) == ["expenditure", "benchmark"]

    thresholds = load_parameters(ws)
    assert thresholds.method is Method.thresholds
    assert thresholds.completion_factor == Decimal("1.072")
    assert set(thresholds.truncation_thresholds) == set(EnrollmentType)
    factors = load_parameters(ws, method="factors")
    assert factors.truncation_factors[EnrollmentType.ESRD] == Decimal("0.0122")

    benchmark = load_benchmark(ws)
    assert benchmark.track is Track.BASIC_E
    assert benchmark.elected_msr is None  # variable
    assert benchmark.quality_met is True
    assert set(benchmark.per_capita) == set(EnrollmentType)
    assert all(v > 0 for v in benchmark.per_capita.values())

    text = ws.config_path.read_text(encoding="utf-8")
    assert "DEMO VALUES" in text and "NOT CMS figures" in text
    assert load_section(ws, "demo") == {
        "synthetic": True, "illustrative_sections": ["expenditure", "benchmark"]}


def test_demo_parameters_are_written_once(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    write_demo_parameters(ws)
    before = ws.config_path.read_text(encoding="utf-8")
    assert write_demo_parameters(ws) == []
    assert ws.config_path.read_text(encoding="utf-8") == before
    tomllib.loads(before)  # still one valid document


def test_a_users_own_section_is_kept(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    with ws.config_path.open("a", encoding="utf-8") as fh:
        fh.write('\n[benchmark]\ntrack = "B"\nquality_met = false\n\n[benchmark.per_capita]\n'
                 'esrd = "1"\ndisabled = "2"\naged_dual = "3"\naged_non_dual = "4"\n')
    assert write_demo_parameters(ws) == ["expenditure"]
    assert load_benchmark(ws).track is Track.BASIC_B
    assert load_benchmark(ws).per_capita[EnrollmentType.ESRD] == Decimal("1")
    assert load_parameters(ws).method is Method.thresholds
    assert load_section(ws, "demo")["illustrative_sections"] == ["expenditure"]
