"""Small synthetic datasets shared by the synth tests (generated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aco_pipeline.synth import generate


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,500 beneficiaries, Oct 2024 - May 2025: a year boundary, joiners and run-outs."""
    out = tmp_path_factory.mktemp("synth") / "run"
    generate(out, 1500, "2024-10", 8, seed=20240)
    return out


@pytest.fixture(scope="session")
def realism_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4,000 beneficiaries x 12 months, for loose realism bounds."""
    out = tmp_path_factory.mktemp("synth") / "realism"
    generate(out, 4000, "2024-01", 12, seed=777)
    return out
