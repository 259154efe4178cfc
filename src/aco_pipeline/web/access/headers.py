"""Security headers on every response, `Cache-Control: no-store` on PHI, the pre-session cookie.

A pure ASGI middleware (it wraps streamed exports too). The CSP allows scripts from this origin
only (no inline script: chart data travels as `<script type="application/json">`), inline
styles (plotly sets style attributes), no framing, no plugins; HSTS only behind TLS
(`--behind-proxy`). A route marks its response as patient-level with `mark_phi(request)`
(`guard.require(Permission.PHI)` does it for every route that needs PHI): such a response is
never stored by a browser or proxy.
"""

from __future__ import annotations

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aco_pipeline.web.access.csrf import PRE_COOKIE

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = [
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
]
HSTS = ("strict-transport-security", "max-age=31536000; includeSubDomains")


def mark_phi(request: Request) -> None:
    """This response carries patient-level data: `Cache-Control: no-store`."""
    request.state.phi = True


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, behind_proxy: bool = False) -> None:
        self.app = app
        self.behind_proxy = behind_proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        static = scope["path"].startswith(("/static/", "/vendor/"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state", {})
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"server"]
                own_cache = any(k.lower() == b"cache-control" for k, _ in headers)
                headers += [(k.encode(), v.encode()) for k, v in HEADERS]
                if self.behind_proxy:
                    headers.append((HSTS[0].encode(), HSTS[1].encode()))
                if state.get("phi"):
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                    headers.append((b"pragma", b"no-cache"))
                elif own_cache:
                    pass
                elif static:
                    headers.append((b"cache-control", b"public, max-age=3600"))
                else:
                    headers.append((b"cache-control", b"no-cache, private"))
                pre = state.get("set_pre_cookie")
                if pre:
                    name, secure = (f"__Host-{PRE_COOKIE}", "; Secure") if self.behind_proxy \
                        else (PRE_COOKIE, "")
                    headers.append((b"set-cookie", f"{name}={pre}; Path=/; HttpOnly; "
                                    f"SameSite=Lax{secure}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
