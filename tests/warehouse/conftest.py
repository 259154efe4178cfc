"""Warehouse fixtures: one generated, ingested and built ACO per session; the IP example lake."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.ingest.pipeline import ingest
from aco_pipeline.synth import generate
from aco_pipeline.warehouse.build import BuildResult, build_warehouse

from .lake_builder import IP_CREATED, IP_DELIVERY, ip_example_rows, write_delivery

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


def ip_workspace(root: Path) -> Workspace:
    """A workspace whose lake holds only the IP v40 5.3.2 worked example."""
    ws = init_workspace(root, aco_id=ACO, performance_year=2012)
    write_delivery(ws.lake_dir, IP_DELIVERY, IP_CREATED, ip_example_rows())
    return ws


@pytest.fixture(scope="session")
def ip_built(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = ip_workspace(tmp_path_factory.mktemp("ip") / "ws")
    result = build_warehouse(ws)
    assert result.success, result.failures
    return ws
