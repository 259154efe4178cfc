"""`aco run`: pull + ingest + build in one locked command for cron and systemd timers."""

from __future__ import annotations

from typing import Annotated

import typer

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import WorkspaceOption, err_console, fail, open_workspace


@app.command()
def run(
    workspace: WorkspaceOption = None,
    wait: Annotated[float, typer.Option(
        "--wait", min=0, help="Seconds to wait for another run to finish before giving up "
        "(exit code 75).")] = 0.0,
    build: Annotated[bool, typer.Option(help="Rebuild the warehouse when new data was "
                                        "published (--no-build skips the build).")] = True,
    trust_unknown_host: Annotated[bool, typer.Option(
        "--trust-unknown-host", help="Accept SFTP servers not in known_hosts yet (first run "
        "only; a changed key is always refused).")] = False,
    stability: Annotated[float | None, typer.Option(
        "--stability", min=0, help="Override arrival.stability_seconds in aco.toml.",
        show_default=False)] = None,
) -> None:
    """Pull every source in arrival.sources (aco.toml), ingest what arrived, rebuild the warehouse.

    Prints one summary line on stdout (details on stderr, including how long each incomplete
    delivery has waited). Exit codes: 0 ok, 1 a source or the build failed, 2 a delivery was
    quarantined or rejected, 3 an incomplete delivery has waited longer than
    [arrival] incomplete_alert_hours, 75 another run holds the lock. A failed run leaves the
    previously published warehouse in place.
    """
    from aco_pipeline.arrival.config import ArrivalConfigError, load_arrival_config
    from aco_pipeline.arrival.run import run as run_all

    ws = open_workspace(workspace)
    try:
        cfg = load_arrival_config(ws)
    except ArrivalConfigError as exc:
        fail(str(exc))
    summary = run_all(ws, cfg=cfg, wait_seconds=wait, build=build,
                      trust_unknown_host=trust_unknown_host, stability_seconds=stability)
    err = err_console()
    for m in summary.messages:
        err.print(m, highlight=False, markup=False, soft_wrap=True)
    print(summary.line(), flush=True)
    raise typer.Exit(summary.exit_code)
