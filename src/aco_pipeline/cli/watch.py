"""`aco watch`: ingest deliveries dropped into a folder as soon as they are complete."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import WorkspaceOption, console, fail, open_workspace

STYLES = {"published": "green", "unchanged": "cyan", "incomplete": "yellow",
          "quarantined": "bold red", "rejected": "bold red", "growing": "yellow",
          "ignored": "dim"}


@app.command()
def watch(
    folder: Annotated[Path, typer.Argument(help="The drop folder to watch.", exists=True,
                                           file_okay=False, dir_okay=True)],
    workspace: WorkspaceOption = None,
    once: Annotated[bool, typer.Option(
        "--once", help="Ingest what is complete now and exit (for cron and tests).")] = False,
    stability: Annotated[float | None, typer.Option(
        "--stability", min=0, help="Seconds a file must stay unchanged before it is taken "
        "(default: arrival.stability_seconds in aco.toml).", show_default=False)] = None,
    poll: Annotated[float | None, typer.Option(
        "--poll", min=0.05, help="Seconds between rescans besides file events "
        "(default: arrival.poll_seconds in aco.toml).", show_default=False)] = None,
) -> None:
    """Watch FOLDER and ingest each CMS file once it is complete (size stable, no writer).

    Files stay in the folder; restarting the watcher does not ingest them again. Stop with
    Ctrl-C or SIGTERM.
    """
    from aco_pipeline.arrival.config import ArrivalConfigError, load_arrival_config
    from aco_pipeline.arrival.watch import WatchResult, process_once
    from aco_pipeline.arrival.watch import watch as run_watch

    ws = open_workspace(workspace)
    try:
        cfg = load_arrival_config(ws)
    except ArrivalConfigError as exc:
        fail(str(exc))
    stable = cfg.stability_seconds if stability is None else stability

    def report(result: WatchResult) -> None:
        out = console()
        for f in result.files:
            if f.status != "ingested":
                out.print(f"[{STYLES.get(f.status, '')}]{f.status:<11}[/] {f.name}: {f.detail}",
                          highlight=False)
        for o in result.outcomes:
            out.print(f"[{STYLES.get(o.status, '')}]{o.status:<11}[/] {o.message}",
                      highlight=False)

    if once:
        result = process_once(ws, folder, stability_seconds=stable)
        report(result)
        if not result.outcomes:
            console().print("nothing new to ingest")
        if any(o.status in ("quarantined", "rejected") for o in result.outcomes):
            raise typer.Exit(2)
        return

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    console().print(f"watching {folder.resolve()} (stability {stable:g}s); Ctrl-C stops",
                    highlight=False)
    run_watch(ws, folder, stability_seconds=stable,
              poll_seconds=cfg.poll_seconds if poll is None else poll,
              stop=stop, on_result=report)
