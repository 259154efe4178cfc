"""Command-line interface: one module per command group, all registered on one app."""

from __future__ import annotations

from aco_pipeline.cli import (  # noqa: F401  (registers commands)
    build,
    demo,
    docs,
    forecast,
    ingest,
    pull,
    report,
    report_care,
    report_expenditure,
    report_providers,
    report_risk,
    report_tieout,
    report_utilization,
    run,
    settle,
    status,
    synth,
    watch,
    workspace,
)
from aco_pipeline.cli.app import app


def main() -> None:
    app()
