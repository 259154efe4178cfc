"""axe-core accessibility checks, injected into the page by the test.

axe-core comes from npm (`scripts/setup.sh --dev` installs it into `.cache/npm`; another copy
can be named with ACO_AXE_JS). It is evaluated through the DevTools protocol, which the page's
Content-Security-Policy does not govern, so the app's CSP stays as strict as in production
(`add_script_tag` would need an inline script and is refused by that CSP).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_path() -> Path:
    return Path(os.environ.get("ACO_AXE_JS", DEFAULT))


@cache
def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def violations(page: Page) -> list[dict[str, Any]]:
    """Every axe violation on the page as it is now (all rules axe runs by default)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source(axe_path()) + "\n;0")
    return page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }""")


def blocking(page: Page) -> list[str]:
    """Serious and critical violations, one readable line each."""
    return [f"{page.url}: {v['impact']} {v['id']} ({v['help']}) at {', '.join(v['targets'])}"
            for v in violations(page) if v["impact"] in BLOCKING]
