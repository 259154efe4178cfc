"""`aco pull`: fetch new, complete deliveries from SFTP or object storage and ingest them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import (
    WorkspaceOption,
    byte_progress,
    console,
    err_console,
    fail,
    open_workspace,
)

STYLES = {"ingested": "green", "downloaded": "green", "unchanged": "cyan", "skipped": "dim",
          "ignored": "dim", "growing": "yellow", "failed": "bold red"}
OUTCOME_STYLES = {"published": "green", "unchanged": "cyan", "incomplete": "yellow",
                  "quarantined": "bold red", "rejected": "bold red"}

KnownHostsOption = Annotated[
    Path | None,
    typer.Option("--known-hosts", help="known_hosts file that verifies SFTP servers "
                 "(default: arrival.known_hosts in aco.toml, else ~/.ssh/known_hosts).",
                 show_default=False),
]
TrustOption = Annotated[
    bool,
    typer.Option("--trust-unknown-host", help="Accept an SFTP server whose key is not in "
                 "known_hosts yet and record it there. A changed key is always refused."),
]
StabilityOption = Annotated[
    float | None,
    typer.Option("--stability", min=0, help="Seconds a file's size must stay the same before "
                 "it counts as arrived (default: arrival.stability_seconds in aco.toml).",
                 show_default=False),
]


@app.command()
def pull(
    urls: Annotated[list[str] | None, typer.Argument(
        help="sftp://user@host[:port]/path, s3://bucket/prefix, gs://, az://, file:// "
             "(default: arrival.sources in aco.toml).", show_default=False)] = None,
    workspace: WorkspaceOption = None,
    known_hosts: KnownHostsOption = None,
    trust_unknown_host: TrustOption = False,
    stability: StabilityOption = None,
    ingest: Annotated[bool, typer.Option(
        help="Ingest what was downloaded (--no-ingest only downloads).")] = True,
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="Also list skipped and ignored files.")] = False,
) -> None:
    """Download new deliveries once they are complete, resuming broken transfers, and ingest
    them. Files already ingested (same name, size and sha256) are not fetched again.

    Exit code 1 if a source failed, 2 if a delivery was quarantined or rejected.
    """
    from aco_pipeline.arrival.config import ArrivalConfigError, load_arrival_config
    from aco_pipeline.arrival.pull import pull as run_pull

    ws = open_workspace(workspace)
    try:
        cfg = load_arrival_config(ws)
    except ArrivalConfigError as exc:
        fail(str(exc))
    if not urls and not cfg.sources:
        fail("no URL given and no arrival.sources configured in aco.toml")
    with byte_progress() as sink:
        results = run_pull(ws, urls, cfg=cfg, trust_unknown_host=trust_unknown_host,
                           known_hosts=known_hosts, stability_seconds=stability,
                           ingest_files=ingest, progress=sink)
    out = console()
    for r in results:
        out.print(f"[bold]{r.source}[/]", highlight=False)
        for f in r.files:
            if f.status in ("skipped", "ignored") and not verbose:
                continue
            resumed = f" (resumed at byte {f.resumed_from})" if f.resumed_from else ""
            out.print(f"  [{STYLES.get(f.status, '')}]{f.status:<10}[/] {f.name}: "
                      f"{f.detail}{resumed}", highlight=False)
        quiet = sum(f.status in ("skipped", "ignored") for f in r.files)
        if quiet and not verbose:
            out.print(f"  {quiet} files skipped or ignored (-v lists them)", highlight=False)
        for o in r.outcomes:
            out.print(f"  [{OUTCOME_STYLES.get(o.status, '')}]{o.status:<11}[/] {o.message}",
                      highlight=False)
        if r.error:
            err_console().print(f"[bold red]error:[/] {r.error}", highlight=False)
    if any(r.error for r in results):
        raise typer.Exit(1)
    if any(o.status in ("quarantined", "rejected") for r in results for o in r.outcomes):
        raise typer.Exit(2)
