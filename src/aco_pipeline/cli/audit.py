"""`aco audit verify|export`: check the web app's audit log and read it out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import WorkspaceOption, console, err_console, open_workspace

audit_app = typer.Typer(help="The web app's audit log: verify its chain, export it.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify(workspace: WorkspaceOption = None) -> None:
    """Check that no row of the audit log was edited or deleted (exit 2 if one was)."""
    from aco_pipeline.web.access.workspace_stores import audit_log

    result = audit_log(open_workspace(workspace)).verify()
    if result.ok:
        console().print(f"audit log intact: {result.rows:,} rows", highlight=False)
        return
    err_console().print(f"[bold red]audit log tampered:[/] {result.problem} "
                        f"({result.rows:,} rows verified before it)", highlight=False)
    raise typer.Exit(2)


@audit_app.command("export")
def export(
    workspace: WorkspaceOption = None,
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="CSV file (default: stdout).")] = None,
    user: Annotated[str | None, typer.Option(help="Only this username.")] = None,
    action: Annotated[str | None, typer.Option(
        help="Only actions starting with this (e.g. patient.).")] = None,
    outcome: Annotated[str | None, typer.Option(
        help="allowed, denied, failed or locked.")] = None,
    target: Annotated[str | None, typer.Option(
        help="Only this beneficiary token or list name (who opened this patient).")] = None,
    since: Annotated[str | None, typer.Option(help="From this UTC date/time (ISO).")] = None,
    until: Annotated[str | None, typer.Option(
        help="Before this UTC date/time (ISO).")] = None,
) -> None:
    """Write the audit log (newest first) as CSV."""
    from aco_pipeline.web.access.audit import to_csv
    from aco_pipeline.web.access.workspace_stores import audit_log

    rows = audit_log(open_workspace(workspace)).query(
        username=user, action=action, outcome=outcome, target=target, since=since, until=until,
        limit=None)
    text = to_csv(rows)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        err_console().print(f"wrote {len(rows):,} rows to {output}", highlight=False)
