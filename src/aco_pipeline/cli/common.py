"""Shared CLI pieces: the --workspace option, error exits, Rich progress."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from aco_pipeline.config import ENV_WORKSPACE, Workspace, WorkspaceError, load_workspace


def console() -> Console:
    """A console for results on stdout (made per use, so it sees the current terminal).

    Piped or captured output gets a wide console so tables are not folded to 80 columns.
    """
    return Console() if sys.stdout.isatty() else Console(width=200)


def err_console() -> Console:
    """A console for progress and errors on stderr."""
    return Console(stderr=True)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace", "-w",
        help=f"Workspace folder (default: ${ENV_WORKSPACE}, else the current folder).",
        show_default=False,
    ),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `message` as an error (literally: `[section]` names are not Rich markup), exit."""
    err_console().print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def open_workspace(path: Path | None) -> Workspace:
    try:
        return load_workspace(path)
    except WorkspaceError as exc:
        fail(str(exc))


class RichProgressSink:
    """Adapts a Rich Progress to the pipeline's `start(description, total)` protocol."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def start(self, description: str, total: int) -> Callable[[int], None]:
        task = self.progress.add_task(description, total=total)
        return lambda n: self.progress.advance(task, n)


@contextmanager
def byte_progress() -> Iterator[RichProgressSink]:
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console(),
        transient=False,
    ) as progress:
        yield RichProgressSink(progress)
