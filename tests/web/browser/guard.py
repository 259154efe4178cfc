"""What the browser did, and the rules it must keep on every page of every test.

- No request leaves the machine: every request whose origin is not the live server's is
  aborted before it is sent and recorded; the test then fails (issue 12: "a browser test
  fails on any request to another host").
- No URL the browser requests or shows carries an MBI of the workspace (PHI never in URLs).
- No uncaught script error and no Content-Security-Policy violation (the CSP forbids inline
  scripts; a page that relies on one is broken in a real browser).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from playwright.sync_api import BrowserContext, ConsoleMessage, Frame, Page, Request, Route

LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class BrowserGuard:
    allowed_origin: str
    secrets: frozenset[str] = frozenset()
    """Strings no URL may contain (the workspace's MBIs)."""
    urls: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.route("**/*", self._route)
        context.on("request", self._request)
        context.on("page", self.watch_page)
        for page in context.pages:
            self.watch_page(page)

    def watch_page(self, page: Page) -> None:
        page.on("pageerror", lambda exc: self.page_errors.append(f"{page.url}: {exc}"))
        page.on("console", lambda msg: self._console(page, msg))
        page.on("framenavigated", self._navigated)

    def _route(self, route: Route, request: Request) -> None:
        url = request.url
        if urlsplit(url).scheme in LOCAL_SCHEMES or origin(url) == self.allowed_origin:
            route.continue_()
        else:
            self.foreign.append(f"{request.method} {url}")
            route.abort("blockedbyclient")

    def _request(self, request: Request) -> None:
        self.urls.append(request.url)

    def _navigated(self, frame: Frame) -> None:
        self.urls.append(frame.url)

    def _console(self, page: Page, msg: ConsoleMessage) -> None:
        if msg.type == "error" and "Content Security Policy" in msg.text:
            self.csp_violations.append(f"{page.url}: {msg.text}")

    def urls_with_secrets(self) -> list[str]:
        return [url for url in dict.fromkeys(self.urls)
                if any(s in unquote(url) for s in self.secrets)]

    def problems(self) -> list[str]:
        out: list[str] = []
        out += [f"request to another host (blocked): {r}" for r in dict.fromkeys(self.foreign)]
        out += [f"an MBI in a URL: {u}" for u in self.urls_with_secrets()]
        out += [f"uncaught script error: {e}" for e in self.page_errors]
        out += [f"CSP violation: {v}" for v in self.csp_violations]
        return out

    def check(self) -> None:
        found = self.problems()
        if found:
            raise AssertionError("the browser broke the page rules:\n  " + "\n  ".join(found))


def merged(guards: Iterable[BrowserGuard]) -> list[str]:
    return [p for g in guards for p in g.problems()]
