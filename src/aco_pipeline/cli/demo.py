"""`aco demo`: a synthetic ACO, ingested end to end, on the embedded default engine."""

from __future__ import annotations

from typing import Annotated

import typer

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import WorkspaceOption, console, fail


@app.command()
def demo(
    workspace: WorkspaceOption = None,
    beneficiaries: Annotated[int, typer.Option(help="Synthetic beneficiaries.")] = 2000,
    start: Annotated[str, typer.Option(help="First reference month, YYYY-MM.")] = "2024-01",
    months: Annotated[int, typer.Option(help="Monthly deliveries to generate.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Create a workspace, generate a synthetic ACO into its inbox, ingest it, show status."""
    from pathlib import Path

    from aco_pipeline.cli.common import byte_progress
    from aco_pipeline.cli.status import status
    from aco_pipeline.config import WorkspaceError, init_workspace, load_workspace, resolve_root
    from aco_pipeline.ingest.pipeline import ingest
    from aco_pipeline.synth import generate

    root = resolve_root(workspace)
    aco_id = "A9999"
    try:
        year = int(start[:4])
        ws = (load_workspace(root) if (root / "aco.toml").exists()
              else init_workspace(root, aco_id=aco_id, performance_year=year))
    except (WorkspaceError, ValueError) as exc:
        fail(str(exc))
    synthetic = Path(ws.root) / "synthetic"
    inbox = synthetic / "deliveries"
    if inbox.is_dir():
        console().print(f"using the deliveries already in {inbox}")
    else:
        console().print(f"generating {beneficiaries:,} beneficiaries x {months} months "
                        f"from {start} into {synthetic}")
        generate(synthetic, beneficiaries=beneficiaries, start=start, months=months, seed=seed,
                 aco_id=ws.aco_id)
    with byte_progress() as sink:
        outcomes = ingest(ws, [inbox], progress=sink)
    for o in outcomes:
        console().print(f"{o.status:<11} {o.message}", highlight=False)
    status(workspace=ws.root, as_json=False, checks=False)
    if any(o.status in ("quarantined", "rejected") for o in outcomes):
        raise typer.Exit(2)
