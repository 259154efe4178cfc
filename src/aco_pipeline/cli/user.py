"""`aco user add|disable|enable|reset-password|roles|remove-totp|list`: the web app's users.

A password is generated and printed once, or read from stdin (`--password-stdin`); there is no
default password. Every change is written to the audit log as `cli:<operator>`.
"""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import WorkspaceOption, console, fail, open_workspace

if TYPE_CHECKING:
    from aco_pipeline.web.access.accounts import Accounts, Actor

user_app = typer.Typer(help="Users of the web app (aco serve): add, disable, reset, list.",
                       no_args_is_help=True)
app.add_typer(user_app, name="user")

RoleOption = Annotated[list[str], typer.Option(
    "--role", "-r", help="executive, finance, care_manager, provider, network, analyst, admin "
    "(repeat for several).")]
TinOption = Annotated[str | None, typer.Option(help="Provider scope: the TIN (provider only).")]
NpiOption = Annotated[str | None, typer.Option(
    help="Provider scope: one NPI within the TIN (provider only).")]
StdinOption = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from stdin instead of generating one.")]


def _stores(workspace) -> tuple[Accounts, Actor]:
    from aco_pipeline.web.access.accounts import Actor
    from aco_pipeline.web.access.workspace_stores import accounts

    ws = open_workspace(workspace)
    try:
        operator = getpass.getuser()
    except (KeyError, OSError):
        operator = "unknown"
    return accounts(ws), Actor(name=f"cli:{operator}")


def _stdin_password(use_stdin: bool) -> str | None:
    if not use_stdin:
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        fail("no password on stdin")
    return line


def _run(action):
    from aco_pipeline.web.access.users import UserError

    try:
        return action()
    except UserError as exc:
        fail(str(exc))


@user_app.command("add")
def add(name: Annotated[str, typer.Argument(help="Username (lower case).")],
        role: RoleOption, tin: TinOption = None, npi: NpiOption = None,
        password_stdin: StdinOption = False,
        sso_only: Annotated[bool, typer.Option(
            help="No password: the user logs in with single sign-on only.")] = False,
        workspace: WorkspaceOption = None) -> None:
    """Add a user; prints the generated password once."""
    from aco_pipeline.web.access.users import parse_roles

    accounts, actor = _stores(workspace)
    password = _stdin_password(password_stdin)
    user, secret = _run(lambda: accounts.add(actor, name, _run(lambda: parse_roles(role)),
                                             password=password, tin=tin, npi=npi,
                                             sso_only=sso_only))
    console().print(f"added {user.username} ({'+'.join(sorted(r.value for r in user.roles))}"
                    f"{_scope(user)})", highlight=False)
    if secret and not password:
        console().print(f"password: {secret}", highlight=False)
        console().print("(shown once: hand it over safely)", highlight=False)


def _scope(user) -> str:
    if user.scope.tin is None:
        return ""
    return f", TIN {user.scope.tin}" + (f", NPI {user.scope.npi}" if user.scope.npi else "")


@user_app.command("disable")
def disable(name: str, workspace: WorkspaceOption = None) -> None:
    """Disable a user and end all their sessions."""
    accounts, actor = _stores(workspace)
    user, ended = _run(lambda: accounts.set_disabled(actor, name, True))
    console().print(f"disabled {user.username}; sessions ended: {ended}", highlight=False)


@user_app.command("enable")
def enable(name: str, workspace: WorkspaceOption = None) -> None:
    """Enable a disabled user again."""
    accounts, actor = _stores(workspace)
    user, _ = _run(lambda: accounts.set_disabled(actor, name, False))
    console().print(f"enabled {user.username}", highlight=False)


@user_app.command("reset-password")
def reset_password(name: str, password_stdin: StdinOption = False,
                   workspace: WorkspaceOption = None) -> None:
    """Give a user a new password (generated and printed once, or from stdin) and end all
    their sessions."""
    accounts, actor = _stores(workspace)
    password = _stdin_password(password_stdin)
    user, secret, ended = _run(lambda: accounts.reset_password(actor, name, password))
    console().print(f"reset the password of {user.username}; sessions ended: {ended}",
                    highlight=False)
    if not password:
        console().print(f"password: {secret}", highlight=False)


@user_app.command("roles")
def roles(name: str, role: RoleOption, tin: TinOption = None, npi: NpiOption = None,
          workspace: WorkspaceOption = None) -> None:
    """Replace a user's roles (and scope); ends their sessions."""
    from aco_pipeline.web.access.users import parse_roles

    accounts, actor = _stores(workspace)
    user, ended = _run(lambda: accounts.set_roles(actor, name, _run(lambda: parse_roles(role)),
                                                  tin=tin, npi=npi))
    console().print(f"{user.username} now {'+'.join(sorted(r.value for r in user.roles))}"
                    f"{_scope(user)}; sessions ended: {ended}", highlight=False)


@user_app.command("remove-totp")
def remove_totp(name: str, workspace: WorkspaceOption = None) -> None:
    """Remove a user's authenticator (lost phone); they enrol again after logging in."""
    accounts, actor = _stores(workspace)
    user = _run(lambda: accounts.remove_totp(actor, name))
    console().print(f"removed the second factor of {user.username}", highlight=False)


@user_app.command("list")
def list_users(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
               workspace: WorkspaceOption = None) -> None:
    """Users, their roles, scope, second factor and whether they are disabled."""
    import json

    accounts, _ = _stores(workspace)
    users = accounts.users.list()
    if as_json:
        typer.echo(json.dumps([{"username": u.username,
                                "roles": sorted(r.value for r in u.roles),
                                "tin": u.scope.tin, "npi": u.scope.npi,
                                "totp": u.totp_enabled, "disabled": u.disabled}
                               for u in users], indent=2))
        return
    table = Table("user", "roles", "TIN", "NPI", "2FA", "status")
    for u in users:
        table.add_row(u.username, "+".join(sorted(r.value for r in u.roles)),
                      u.scope.tin or "", u.scope.npi or "", "yes" if u.totp_enabled else "",
                      "disabled" if u.disabled else "active")
    console().print(table)
