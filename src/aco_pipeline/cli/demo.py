"""`aco demo`: a synthetic ACO, ingested end to end, on the embedded default engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from aco_pipeline.cli.app import app
from aco_pipeline.cli.build import build
from aco_pipeline.cli.common import WorkspaceOption, console, fail

if TYPE_CHECKING:
    from aco_pipeline.config import Workspace


@app.command()
def demo(
    workspace: WorkspaceOption = None,
    beneficiaries: Annotated[int, typer.Option(help="Synthetic beneficiaries.")] = 2000,
    start: Annotated[str, typer.Option(help="First reference month, YYYY-MM.")] = "2024-01",
    months: Annotated[int, typer.Option(help="Monthly deliveries to generate.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Create a workspace, generate a synthetic ACO, ingest it, build the warehouse (DuckDB)
    and print the year's spending by month."""
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
    build(workspace=ws.root, threads=2)
    _spend_by_month(ws, year)


def _spend_by_month(ws: Workspace, year: int) -> None:
    from datetime import date

    from rich.table import Table

    from aco_pipeline.warehouse.reports import spend

    rep = spend(ws, start=date(year, 1, 1), end=date(year, 12, 31), by="month")
    t = Table(title=f"{ws.aco_id}: net paid by month of service, {year} (as delivered)")
    money = [c for c in rep.columns if c != "month"]
    t.add_column("month")
    for c in money:
        t.add_column(c, justify="right")
    for r in rep.rows:
        t.add_row(str(r["month"]), *(f"{r[c]:,.2f}" for c in money))
    console().print(t)
    console().print(f"warehouse: {ws.warehouse_path}  (try `aco report spend --help`)")
