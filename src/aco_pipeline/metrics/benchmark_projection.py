"""(being written: issue 14) benchmark_projection canonical metric tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from aco_pipeline.config import Workspace
from aco_pipeline.metrics.periods import MetricPeriod


def canonical(con: Any, ws: Workspace, periods: Sequence[MetricPeriod]) -> Mapping[str, pa.Table]:
    """No tables yet."""
    return {}
