"""The generated, ingested and built synthetic ACO most end-to-end tests share.

The fixture is registered once, in tests/conftest.py, so one pytest session (or one xdist
worker) builds it once whichever test directories it runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.ingest.pipeline import ingest
from aco_pipeline.synth import generate
from aco_pipeline.warehouse.build import BuildResult, build_warehouse

ACO = "A9999"


@dataclass(frozen=True)
class BuiltAco:
    ws: Workspace
    ground_truth: Path
    build: BuildResult
    build_seconds: float


@pytest.fixture(scope="session")
def built_aco(tmp_path_factory: pytest.TempPathFactory) -> BuiltAco:
    """300 beneficiaries, reference months 2024-10..2025-03: six monthly deliveries, three
    run-outs of PY2024 (Feb-Apr 2025), two quarterly ALRs, BNEX; ingested and built."""
    root = tmp_path_factory.mktemp("aco")
    inbox = root / "inbox"
    generate(inbox, beneficiaries=300, start="2024-10", months=6, seed=7, aco_id=ACO)
    ws = init_workspace(root / "ws", aco_id=ACO, performance_year=2024)
    # what CMS would send: everything the generator wrote except its ground truth
    outcomes = ingest(ws, sorted(p for p in inbox.iterdir() if p.name != "ground_truth"))
    assert outcomes and all(o.status == "published" for o in outcomes), outcomes
    started = time.monotonic()
    result = build_warehouse(ws)
    seconds = time.monotonic() - started
    assert result.success, result.failures
    return BuiltAco(ws, inbox / "ground_truth", result, seconds)
