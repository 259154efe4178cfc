"""`aco build`: the warehouse from the lake (dbt), published atomically when every test passed."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import WorkspaceOption, console, err_console, fail, open_workspace


class _RichBuildProgress:
    """Shows dbt's nodes as they start and finish (warehouse.build.BuildProgress)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def node(self, name: str, kind: str, index: int, total: int) -> None:
        if self.task is None:
            self.task = self.progress.add_task("dbt build", total=total)
        self.progress.update(self.task, total=max(total, 1), description=f"{kind} {name}")

    def done(self, name: str, kind: str, status: str) -> None:
        if self.task is not None:
            self.progress.advance(self.task, 1)


@app.command()
def build(
    workspace: WorkspaceOption = None,
    threads: Annotated[int, typer.Option(min=1, max=64, help="dbt threads.")] = 2,
    full_refresh: Annotated[bool, typer.Option(
        "--full-refresh", help="Rebuild every model, not only those downstream of sources "
                               "with new deliveries.")] = False,
) -> None:
    """Build the warehouse from the lake (dbt seeds, models and tests); publish it only if
    every model and test passed (the previous warehouse stays in place otherwise).

    Incremental by default: only the models downstream of sources with new deliveries since
    the published build are rebuilt (the claim models only for the claims new CCLF files can
    change), and nothing at all when there is nothing new."""
    from aco_pipeline.errors import AcoError
    from aco_pipeline.warehouse.build import build_warehouse

    ws = open_workspace(workspace)
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console(),
        transient=True,
    ) as progress:
        try:
            result = build_warehouse(ws, _RichBuildProgress(progress), threads=threads,
                                     full_refresh=full_refresh)
        except AcoError as exc:  # e.g. a lake that fails verification (lake.verify)
            progress.stop()
            fail(str(exc))
    if not result.success:
        err = err_console()
        for f in result.failures:
            err.print(f"[red]{f.status}[/] {f.kind} [bold]{f.unique_id}[/]: {f.message}",
                      highlight=False)
        fail(f"warehouse build failed ({len(result.failures)} failing node(s)); "
             f"the previous warehouse at {result.warehouse_path} is unchanged")
    if result.mode == "up-to-date":
        console().print(f"warehouse is up to date: {result.warehouse_path} (no new delivery "
                        "and no model change since it was built)", highlight=False)
        return
    scope = {"incremental": f"incremental: models downstream of {', '.join(result.changed)}",
             "metrics": "metric parameters changed: canonical metric tables recomputed"
             }.get(result.mode, "full build")
    if result.claims_redone is not None:
        scope += f"; {result.claims_redone:,} claims re-derived"
    if result.metric_tables:
        scope += (f"; {len(result.metric_tables)} canonical metric tables in "
                  f"{result.metric_seconds:.1f} s")
    console().print(f"warehouse published: {result.warehouse_path} "
                    f"({scope}; {result.nodes} nodes passed in {result.seconds:.1f} s)",
                    highlight=False)
