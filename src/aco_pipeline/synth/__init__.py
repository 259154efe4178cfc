"""Synthetic MSSP ACO data: byte-exact CCLF deliveries, ALR, BNEX and a ground truth.

`generate()` is the entry point (see generator.py and docs/synthetic-data.md). Importing
this package does no work; the heavy modules load when `generate` is called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aco_pipeline.synth.generator import Progress, SynthSummary

__all__ = ["SynthSummary", "generate"]


def generate(out_dir: Path, beneficiaries: int, start: str, months: int, seed: int,
             aco_id: str = "A9999", progress: Progress | None = None, *,
             cms_reports: bool = False) -> SynthSummary:
    """Write a synthetic ACO's deliveries to `out_dir`; see `generator.generate`."""
    from aco_pipeline.synth.generator import generate as _generate

    return _generate(out_dir, beneficiaries, start, months, seed, aco_id, progress,
                     cms_reports=cms_reports)


def __getattr__(name: str) -> object:
    if name == "SynthSummary":
        from aco_pipeline.synth.generator import SynthSummary

        return SynthSummary
    raise AttributeError(name)
