"""`aco verify`: is what we hold still what CMS sent (raw copies, lake parts, build state)?"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import (
    WorkspaceOption,
    byte_progress,
    console,
    fail,
    open_workspace,
)

EXIT_DRIFT = 2


@app.command()
def verify(
    workspace: WorkspaceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Re-hash every raw copy against the ledger and every lake part against its manifest,
    check that every published delivery's parts are there with their sizes and that the
    published warehouse was built only from deliveries the lake holds.

    Reports drift (missing, changed, extra, size) and repairs nothing. Exit codes: 0 clean,
    2 drift found, 1 usage or configuration error."""
    from aco_pipeline.errors import AcoError
    from aco_pipeline.lake.verify import verify_workspace

    ws = open_workspace(workspace)
    try:
        with byte_progress() as sink:
            report = verify_workspace(ws, sink)
    except AcoError as exc:  # an unusable store (lake.storage.StorageError), ...
        fail(str(exc))
    if as_json:
        print(json.dumps(report.to_dict(), indent=1))
    else:
        out = console()
        if report.findings:
            t = Table(title=f"{ws.aco_id}: drift found")
            for col in ("kind", "area", "object", "expected", "found"):
                t.add_column(col, overflow="fold")
            for f in report.findings:
                t.add_row(f"[red]{f.kind}[/]", f.area, escape(f.object),
                          escape(f.expected or ""), escape(f.found or ""))
            out.print(t)
            out.print("what to do:", highlight=False)
            for remedy in dict.fromkeys(f.remedy for f in report.findings):
                out.print(f"- {remedy}", highlight=False, markup=False)
        for note in report.notes:
            out.print(f"note: {note}", highlight=False, markup=False)
        verdict = ("[green]clean[/]" if report.clean
                   else f"[red]{len(report.findings)} finding(s)[/], nothing repaired")
        out.print(f"verified {report.raw_files} raw files and {report.lake_parts} lake parts of "
                  f"{report.deliveries} published deliveries ({report.bytes_hashed:,} bytes "
                  f"hashed): {verdict}", highlight=False)
    if not report.clean:
        raise typer.Exit(EXIT_DRIFT)
