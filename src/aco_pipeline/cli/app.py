"""The `aco` Typer application; command modules register themselves on it."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="aco",
    help="Turn the data CMS sends to an MSSP ACO into a lake, a warehouse and metrics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
