"""A small synthetic ACO, generated once per test session (per xdist worker)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aco_pipeline.synth import generate
from tests.arrival.servers import aws_env, moto_endpoint  # noqa: F401  (S3 fixtures)

from .helpers import ACO


@pytest.fixture(scope="session")
def small_inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 beneficiaries, three monthly deliveries (2024-01..03) plus ALR and BNEX."""
    out = tmp_path_factory.mktemp("inbox")
    generate(out, beneficiaries=150, start="2024-01", months=3, seed=11, aco_id=ACO)
    return out / "deliveries"
