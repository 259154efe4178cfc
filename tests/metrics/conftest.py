"""Metrics fixtures: the built synthetic ACO of tests/warehouse, reused (not redefined).

Importing the fixture function registers it for tests under tests/metrics with the same
behaviour (a session-scoped ACO: 300 beneficiaries, 2024-10..2025-03, seed 7). When both
directories run in one session each gets its own instance.
"""

from __future__ import annotations

from tests.warehouse.conftest import ACO, BuiltAco, built_aco

__all__ = ["ACO", "BuiltAco", "built_aco"]
