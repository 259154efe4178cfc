"""`generate()`: a synthetic ACO's CCLF deliveries, ALRs, BNEX files and ground truth, and on
request CMS's own reports (QEXPU, BNMRK, NCBP, BEUR, ...; synth.cms_reports).

Order of work: population and provider landscape (small, per beneficiary), the delivery
calendar, then chunks of beneficiaries one at a time (claims -> records appended to every
delivery's staged files -> ground truth), then CCLF0 + zip per delivery, ALRs and BNEX.
Every random draw comes from numpy PCG64 streams derived from the seed, so the same
arguments give byte-identical files.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from aco_pipeline.errors import AcoError
from aco_pipeline.synth import alr, bnex
from aco_pipeline.synth.bundle import Stage
from aco_pipeline.synth.chunk import CHUNK_SIZE, Context, process_chunk
from aco_pipeline.synth.ground_truth import GroundTruthWriter
from aco_pipeline.synth.population import build_population
from aco_pipeline.synth.providers import build_providers
from aco_pipeline.synth.timeline import BadSpan, build_schedule, month_year, parse_month

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stage is "chunks", "bundles" or "reports"."""

POPULATION, PROVIDERS, SCHEDULE, REPORTS = 1, 2, 3, 4
MAX_BENEFICIARIES = 5_000_000


class SynthError(AcoError, ValueError):
    """Bad arguments for the generator (message is safe to show to a user)."""


@dataclass
class SynthSummary:
    out_dir: Path
    beneficiaries: int
    start: str
    months: int
    seed: int
    aco_id: str
    bundles: list[Path] = field(default_factory=list)
    alr_files: list[Path] = field(default_factory=list)
    bnex_files: list[Path] = field(default_factory=list)
    cms_report_files: list[Path] = field(default_factory=list)
    ground_truth: list[Path] = field(default_factory=list)
    record_counts: dict[str, int] = field(default_factory=dict)
    claim_counts: dict[str, int] = field(default_factory=dict)
    ground_truth_rows: dict[str, int] = field(default_factory=dict)

    @property
    def files(self) -> list[Path]:
        return [*self.bundles, *self.alr_files, *self.bnex_files, *self.cms_report_files,
                *self.ground_truth]


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, stream])))


DELIVERIES = "deliveries"
"""Sub-folder of the output holding what CMS would send (ground truth sits beside it)."""


def validate(out_dir: Path, beneficiaries: int, start: str, months: int, seed: int,
             aco_id: str) -> int:
    """Check the arguments; returns the start month ordinal. Raises SynthError."""
    try:
        start_mo = parse_month(start)
    except BadSpan as exc:
        raise SynthError(str(exc)) from exc
    if not 1 <= beneficiaries <= MAX_BENEFICIARIES:
        raise SynthError(f"--beneficiaries must be between 1 and {MAX_BENEFICIARIES:,}, "
                         f"got {beneficiaries}")
    if not 1 <= months <= 120:
        raise SynthError(f"--months must be between 1 and 120, got {months}")
    if seed < 0:
        raise SynthError(f"--seed must be a non-negative integer, got {seed}")
    if not re.fullmatch(r"A\d{4}", aco_id):
        raise SynthError(f"--aco-id must be an SSP ACO id like A9999, got {aco_id!r}")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise SynthError(f"output folder {out_dir} exists and is not empty; "
                         "choose a new or empty folder")
    return start_mo


def has_complete_quarter(start_mo: int, months: int) -> bool:
    """Whether the span's last calendar year has a calendar quarter all inside the span (what
    the synthetic CMS reports are written for)."""
    end = start_mo + months - 1
    first_of_year = (int(month_year(end)) - 1970) * 12
    return any(start_mo <= first_of_year + q * 3 and first_of_year + q * 3 + 2 <= end
               for q in range(4))


def generate(out_dir: Path, beneficiaries: int, start: str, months: int, seed: int,
             aco_id: str = "A9999", progress: Progress | None = None, *,
             cms_reports: bool = False) -> SynthSummary:
    """Write the synthetic ACO into `out_dir` (deliveries/ and ground_truth/). With
    `cms_reports`, and when the span has a complete calendar quarter, CMS's own report files
    too (synth.cms_reports; what they must show in ground_truth/cms_reports.json)."""
    out_dir = Path(out_dir)
    start_mo = validate(out_dir, beneficiaries, start, months, seed, aco_id)
    out_dir.mkdir(parents=True, exist_ok=True)
    deliveries = out_dir / DELIVERIES
    deliveries.mkdir()

    sched = build_schedule(start_mo, months, aco_id, _rng(seed, SCHEDULE))
    pop = build_population(_rng(seed, POPULATION), beneficiaries, start_mo, months)
    prov_rng = _rng(seed, PROVIDERS)
    prov = build_providers(prov_rng, beneficiaries)
    pop.pcp = prov_rng.integers(0, prov.aco_clinicians, pop.n)

    # the ALR calendar first (its own stream; the BNEX stamps are drawn from it after)
    rep_rng = _rng(seed, REPORTS)
    quarters = sorted({(int(month_year(m)), (int(m) % 12) // 3 + 1)
                       for m in range(sched.start, sched.end + 1)})
    alr_quarters: list[alr.AlrQuarter] = []
    for year, q in quarters:
        q_end = (year - 1970) * 12 + q * 3 - 1
        cy, cm = int(month_year(q_end + 1)), int((q_end + 1) % 12 + 1)
        made = date(cy, cm, int(rep_rng.integers(15, 25)))
        t = f"{int(rep_rng.integers(0, 24)):02d}{int(rep_rng.integers(0, 60)):02d}" \
            f"{int(rep_rng.integers(0, 60)):02d}{int(rep_rng.integers(0, 10))}"
        alr_quarters.append(alr.AlrQuarter(year, q, made, t))

    stage = Stage(out_dir / ".staging", sched)
    gt = GroundTruthWriter(out_dir / "ground_truth")
    created = np.array([np.datetime64(d.created, "D").astype(np.int64)
                        for d in sched.deliveries], np.int64)
    alr_staging = out_dir / ".staging-alr"
    attribution = alr.AlrAttribution(alr_staging, alr_quarters, pop, prov)
    ctx = Context(pop=pop, prov=prov, sched=sched, stage=stage, gt=gt, seed=seed,
                  created_days=created, counts={}, alr=attribution)
    n_chunks = -(-beneficiaries // CHUNK_SIZE)
    try:
        for c in range(n_chunks):
            process_chunk(ctx, c)
            if progress:
                progress("chunks", c + 1, n_chunks)
        summary = SynthSummary(out_dir=out_dir, beneficiaries=beneficiaries, start=start,
                               months=months, seed=seed, aco_id=aco_id)
        summary.ground_truth = gt.close(pop, int(created.max()))
        summary.ground_truth_rows = dict(gt.rows)
        done = [0]

        def bundle_progress(k: int) -> None:
            done[0] += k
            if progress:
                progress("bundles", done[0], len(sched.deliveries))

        summary.bundles = stage.finish(deliveries, bundle_progress)
    except BaseException:
        stage.abort()
        shutil.rmtree(alr_staging, ignore_errors=True)
        raise
    summary.record_counts = {k: v for k, v in ctx.counts.items() if k.startswith("CCLF")}
    summary.claim_counts = {k: v for k, v in ctx.counts.items() if k.startswith("claims_")}

    total = len(alr_quarters) + sum(1 for d in sched.deliveries if not d.runout)
    step = 0
    try:
        for aq in alr_quarters:
            path, _ = alr.write_quarter(deliveries, pop, prov, aco_id, aq, attribution)
            summary.alr_files.append(path)
            step += 1
            if progress:
                progress("reports", step, total)
    finally:
        shutil.rmtree(alr_staging, ignore_errors=True)
    for d in sched.deliveries:
        if d.runout:
            continue
        t = f"{int(rep_rng.integers(0, 24)):02d}{int(rep_rng.integers(0, 60)):02d}" \
            f"{int(rep_rng.integers(0, 60)):02d}{int(rep_rng.integers(0, 10))}"
        path, _ = bnex.write_month(deliveries, pop, aco_id, d.ref_month, d.performance_year,
                                   d.created, t)
        summary.bnex_files.append(path)
        step += 1
        if progress:
            progress("reports", step, total)
    if cms_reports and has_complete_quarter(start_mo, months):
        from aco_pipeline.synth.cms_reports import write_cms_reports

        written = write_cms_reports(deliveries, out_dir / "ground_truth", aco_id=aco_id,
                                    seed=seed)
        summary.cms_report_files = written.files
        if written.ground_truth is not None:
            summary.ground_truth.append(written.ground_truth)
    return summary
