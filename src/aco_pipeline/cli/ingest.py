"""`aco ingest`: land, verify, parse and publish deliveries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import WorkspaceOption, byte_progress, console, open_workspace

STYLES = {"published": "green", "unchanged": "cyan", "incomplete": "yellow",
          "quarantined": "bold red", "rejected": "bold red", "skipped": "dim"}


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
    quarantined (exit code 2) and nothing of it is published. Files in a folder that are
    clearly not CMS files (README.md, *.parquet, .DS_Store) are skipped with a notice and do
    not change the exit code; a file with a CMS-looking name that is damaged is an error.
    """
    from aco_pipeline.ingest.pipeline import ingest as run_ingest

    ws = open_workspace(workspace)
    with byte_progress() as sink:
        outcomes = run_ingest(ws, paths, retry=retry, progress=sink)
    for o in outcomes:
        style = STYLES.get(o.status, "")
        line = Text(f"{o.status:<11}", style=style)
        line.append(f" {o.message}")  # plain text: file names are not markup
        console().print(line, highlight=False, soft_wrap=True)
    bad = [o for o in outcomes if o.status in ("quarantined", "rejected")]
    if not outcomes:
        console().print("nothing to ingest")
    if bad:
        raise typer.Exit(2)
