"""Metrics fixtures. The built synthetic ACO (`built_aco`) is shared by every test directory
(tests/conftest.py); the care and provider tests add a hand-made lake and a 12-month ACO."""

from __future__ import annotations

import pytest

from aco_pipeline.config import Workspace

from .care_fixtures import care_lake_workspace, synthetic_workspace


@pytest.fixture(scope="session")
def care_lake(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The hand-made lake of care_fixtures, one beneficiary per edge case, built."""
    return care_lake_workspace(tmp_path_factory)


@pytest.fixture(scope="session")
def synthetic_aco(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A generated 300-beneficiary, 12-month ACO, built."""
    return synthetic_workspace(tmp_path_factory)
