"""`aco ingest`: land, verify, parse and publish deliveries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import WorkspaceOption, byte_progress, console, open_workspace

STYLES = {"published": "green", "unchanged": "cyan", "incomplete": "yellow",
          "quarantined": "bold red", "rejected": "bold red"}


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Delivery zips, folders or single files.")],
    workspace: WorkspaceOption = None,
    retry: Annotated[
        bool, typer.Option(help="Check quarantined deliveries again even if unchanged.")
    ] = False,
) -> None:
    """Land raw copies, verify against CCLF0, parse to Parquet and publish atomically.

    Ingesting the same bytes twice changes nothing. A delivery failing a check is
    quarantined (exit code 2) and nothing of it is published.
    """
    from aco_pipeline.ingest.pipeline import ingest as run_ingest

    ws = open_workspace(workspace)
    with byte_progress() as sink:
        outcomes = run_ingest(ws, paths, retry=retry, progress=sink)
    for o in outcomes:
        style = STYLES.get(o.status, "")
        console().print(f"[{style}]{o.status:<11}[/] {o.message}", highlight=False)
    bad = [o for o in outcomes if o.status in ("quarantined", "rejected")]
    if not outcomes:
        console().print("nothing to ingest")
    if bad:
        raise typer.Exit(2)
