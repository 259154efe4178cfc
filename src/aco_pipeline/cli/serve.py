"""`aco serve`: the web app under uvicorn, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from aco_pipeline.cli.app import app
from aco_pipeline.cli.common import (
    WorkspaceOption,
    console,
    err_console,
    fail,
    open_workspace,
)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    workspace: WorkspaceOption = None,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    behind_proxy: Annotated[bool, typer.Option(
        "--behind-proxy", help="Served over TLS by a reverse proxy on this machine: Secure "
        "cookies, HSTS, client address from X-Forwarded-For.")] = False,
    proxy_address: Annotated[str, typer.Option(
        help="With --behind-proxy: the proxy's address(es), comma-separated, whose "
        "X-Forwarded-For is trusted.")] = "127.0.0.1",
    require_totp: Annotated[bool, typer.Option(
        "--require-totp", help="Every password login needs an authenticator code (set up at "
        "the first login); ASVS Level 2 multi-factor.")] = False,
) -> None:
    """Serve the role-based dashboards and the JSON API over the published warehouse."""
    import os
    import tomllib

    import uvicorn

    from aco_pipeline.web.access.oidc import OidcError, settings_from_config
    from aco_pipeline.web.app import WebSettings, create_app

    ws = open_workspace(workspace)
    try:
        oidc = settings_from_config(tomllib.loads(ws.config_path.read_text("utf-8")),
                                    dict(os.environ))
    except OidcError as exc:
        fail(str(exc))
    application = create_app(ws, WebSettings(behind_proxy=behind_proxy, oidc=oidc,
                                             require_totp=require_totp))
    if not _loopback(host) and not behind_proxy:
        err_console().print("[yellow]warning:[/] serving on a non-loopback address without "
                            "TLS; put a TLS proxy in front and use --behind-proxy",
                            highlight=False)
    console().print(f"serving {ws.aco_id} PY{ws.performance_year} at http://{host}:{port}/ "
                    "(Ctrl-C stops)", highlight=False)
    # no access log: request lines could carry search text; the audit log records accesses
    uvicorn.run(application, host=host, port=port, access_log=False, server_header=False,
                proxy_headers=behind_proxy,
                forwarded_allow_ips=proxy_address if behind_proxy else None)
