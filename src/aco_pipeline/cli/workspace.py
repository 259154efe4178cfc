"""`aco init`: create a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import console, fail
from aco_pipeline.config import WorkspaceError, init_workspace


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")],
    aco_id: Annotated[str, typer.Option("--aco-id", help="CMS ACO id, e.g. A1234.")] = "A9999",
    performance_year: Annotated[
        int, typer.Option("--performance-year", "--py", help="Performance year.")
    ] = 2024,
    engine: Annotated[str, typer.Option(help="Warehouse engine: duckdb or spark.")] = "duckdb",
    force: Annotated[bool, typer.Option(help="Overwrite an existing aco.toml.")] = False,
) -> None:
    """Create a workspace: a folder with aco.toml naming the ACO, year, storage and engine."""
    try:
        ws = init_workspace(directory, aco_id=aco_id, performance_year=performance_year,
                            engine=engine, force=force)
    except WorkspaceError as exc:
        fail(str(exc))
    console().print(f"workspace ready: {ws.config_path}")
