"""`aco synth`: write a synthetic ACO's CMS deliveries (CCLF, ALR, BNEX) with a ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aco_pipeline.cli.app import app


@app.command()
def synth(
    beneficiaries: Annotated[int, typer.Option(
        "--beneficiaries", "-n", min=1,
        help="Number of distinct beneficiaries (the initial population plus later joiners).")],
    start: Annotated[str, typer.Option(
        "--start", help="First reference month, YYYY-MM (its delivery is created the month "
                        "after).")],
    out: Annotated[Path, typer.Option(
        "--out", help="Output folder; must be new or empty.", file_okay=False)],
    months: Annotated[int, typer.Option(
        "--months", min=1, max=120,
        help="Number of monthly deliveries (reference months) to write.")] = 12,
    seed: Annotated[int, typer.Option(
        "--seed", min=0, help="Random seed; the same seed and arguments give byte-identical "
                              "files.")] = 0,
    aco_id: Annotated[str, typer.Option(
        "--aco-id", help="Shared Savings Program ACO id used in file names (A####).")
    ] = "A9999",
    cms_reports: Annotated[bool, typer.Option(
        "--cms-reports", help="Also write CMS's own reports (QEXPU, BNMRK with AEXPU, NCBP, "
                              "BEUR, MBI crosswalk, participant list, MCQM) for the last year's "
                              "complete calendar quarters, with ground_truth/cms_reports.json."
    )] = False,
) -> None:
    """Write synthetic CCLF deliveries, ALRs, BNEX files and ground truth to --out."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from aco_pipeline.synth.cms_reports import CmsReportsSynthError
    from aco_pipeline.synth.generator import SynthError, generate, validate

    err = Console(stderr=True)
    try:
        validate(out, beneficiaries, start, months, seed, aco_id)
    except SynthError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    labels = {"chunks": "Claims and records", "bundles": "Zipping deliveries",
              "reports": "ALR and BNEX"}
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                      console=err, transient=False) as bar:
            tasks: dict[str, int] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
                bar.update(tasks[stage], completed=done, total=total)

            summary = generate(out, beneficiaries, start, months, seed, aco_id, progress,
                               cms_reports=cms_reports)
    except (SynthError, CmsReportsSynthError) as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    console = Console()
    console.print(f"Wrote {len(summary.bundles)} CCLF deliveries, {len(summary.alr_files)} "
                  f"ALR reports (tables 1-1, 1-2, 1-4), {len(summary.bnex_files)} BNEX files and "
                  f"{len(summary.ground_truth)} ground-truth tables to {summary.out_dir}",
                  highlight=False)
    if cms_reports:
        console.print(f"  CMS reports: {len(summary.cms_report_files)} files and bundles"
                      if summary.cms_report_files else
                      "  CMS reports: none (the last year of the span has no complete calendar "
                      "quarter)", highlight=False)
    for ft in sorted(summary.record_counts):
        console.print(f"  {ft}: {summary.record_counts[ft]:,} records", highlight=False)
