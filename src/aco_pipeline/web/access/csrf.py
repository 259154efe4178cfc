"""CSRF tokens (ASVS 5.0 3.5.1): every POST, PUT, PATCH and DELETE carries a token.

The token is an HMAC, under a per-workspace key, of the browser's session cookie (or, before
login, of a random pre-session cookie), so it is bound to that browser and needs no storage. A
form sends it as the field `csrf_token`; htmx sends it as the header `X-CSRF-Token` (app.js
reads it from `<meta name="csrf-token">` in base.html). A missing or wrong token is a 403 that
changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from fastapi import Request

from aco_pipeline.errors import AcoError

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FIELD = "csrf_token"
HEADER = "x-csrf-token"
PRE_COOKIE = "aco_pre"


class CsrfError(AcoError, PermissionError):
    """A state-changing request without a valid CSRF token."""


class Csrf:
    def __init__(self, key: bytes, session_cookie: str, pre_cookie: str = PRE_COOKIE) -> None:
        self._key = key
        self.session_cookie = session_cookie
        self.pre_cookie = pre_cookie

    def _token(self, binding: str) -> str:
        mac = hmac.new(self._key, b"csrf\x1f" + binding.encode("utf-8", "replace"),
                       hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def binding(self, request: Request, *, create: bool = False) -> str | None:
        """What the token is bound to: the session cookie, else the pre-session cookie (made
        on the way when `create`: the middleware then sets it on the response)."""
        state = request.state
        fresh = getattr(state, "session_cookie_value", None)
        if fresh:
            return fresh
        value = (request.cookies.get(self.session_cookie)
                 or request.cookies.get(self.pre_cookie))
        if value:
            return value
        pre = getattr(state, "set_pre_cookie", None)
        if pre is None and create:
            pre = secrets.token_urlsafe(24)
            state.set_pre_cookie = pre
        return pre

    def token(self, request: Request) -> str:
        binding = self.binding(request, create=True)
        assert binding is not None
        return self._token(binding)

    def valid(self, request: Request, supplied: str | None) -> bool:
        binding = self.binding(request)
        if not binding or not supplied:
            return False
        return hmac.compare_digest(self._token(binding), supplied)

    async def check(self, request: Request) -> None:
        """The app-wide dependency: refuses an unsafe request without a valid token."""
        if request.method not in UNSAFE:
            return
        supplied = request.headers.get(HEADER)
        if supplied is None:
            kind = request.headers.get("content-type", "")
            if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                form = await request.form()
                value = form.get(FIELD)
                supplied = value if isinstance(value, str) else None
        if not self.valid(request, supplied):
            raise CsrfError("the form has expired or was not sent by this site: reload the page "
                            "and try again")
