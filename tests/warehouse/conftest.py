"""Warehouse fixtures: the IP example lake (the built synthetic ACO is in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aco_pipeline.config import Workspace, init_workspace
from aco_pipeline.warehouse.build import build_warehouse
from tests.synthetic_aco import ACO, BuiltAco

from .lake_builder import IP_CREATED, IP_DELIVERY, ip_example_rows, write_delivery

__all__ = ["ACO", "BuiltAco", "ip_built", "ip_workspace"]


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
