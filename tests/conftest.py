"""Shared fixtures: the built synthetic ACO, the reference material (tests skip cleanly
without it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.synthetic_aco import built_aco

__all__ = ["built_aco", "shared_reference"]

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def shared_reference() -> Path:
    ref = SHARED / "reference"
    if not ref.is_dir():
        pytest.skip(f"reference material not found at {ref} (../shared is absent)")
    return ref
