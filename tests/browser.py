"""The browser fixtures (a pytest plugin of the root conftest): Debian's chromium driven
by Playwright, and a fresh page (its own context: no cookies or storage from another
test) for each test; and :func:`assert_accessible`, axe-core's WCAG 2.1 A/AA check of
the page as it is.

The browser is started per test, not once per session: Playwright's synchronous API
runs its event loop in the main thread while it is open, so a browser kept open across
tests would make every later ``asyncio.run()`` in that process fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = os.environ.get("STADSVAKT_SCREENSHOTS")
#: axe-core from the front-end packages (a devDependency; ``./dev setup`` installs it).
AXE = (
    Path(__file__).resolve().parent.parent / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
)
#: The rules checked: WCAG 2.0 and 2.1, levels A and AA (what Swedish public-sector
#: websites must meet, through EN 301 549).
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
#: Target selectors shown per violation; the rest are counted.
_SHOWN_TARGETS = 3


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """Debian's chromium; fails (never skips) when it is missing."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A new page preferring Swedish, in a context of its own."""
    context = chromium.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # A browser's first page renders slowly on a fresh machine (font caches are built
    # then): that one gets a minute.
    page.goto("data:text/html,<p>stadsvakt</p>", timeout=60_000)
    # Generous limits: they catch a page that never comes, they time nothing.
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(30_000)
    # expect() has a limit of its own (5 s): a page rendered by a heavy script (ReDoc) on a
    # loaded CI machine needs longer, and the limit only catches what never appears.
    expect.set_options(timeout=30_000)
    try:
        yield page
    finally:
        context.close()


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot when ``STADSVAKT_SCREENSHOTS`` names a folder."""
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


#: The ids used more than once in the document (or under the context selector).
_REPEATED_IDS = """(context) => {
    const root = context ? document.querySelector(context) : document;
    const seen = new Map();
    for (const element of root.querySelectorAll("[id]")) {
        seen.set(element.id, (seen.get(element.id) || 0) + 1);
    }
    return [...seen].filter(([, count]) => count > 1).map(([id]) => id);
}"""


@cache
def _axe_source() -> str:
    assert AXE.exists(), f"{AXE} is missing: run ./dev setup (or npm ci --prefix frontend)"
    return AXE.read_text(encoding="utf-8")


def accessibility_violations(page: Page, *, context: str | None = None) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now, one readable line
    each (rule id, impact, help, the first few target selectors); ``context`` is a CSS
    selector that limits the check to part of the page."""
    # Evaluated through the DevTools protocol, which the page's CSP does not govern (a
    # <script> tag with axe's text would be inline script, and the CSP refuses that).
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    options = {"runOnly": {"type": "tag", "values": list(AXE_TAGS)}, "resultTypes": ["violations"]}
    results: dict[str, Any] = page.evaluate(
        "([context, options]) => window.axe.run(context ?? document, options)", [context, options]
    )
    lines = []
    # WCAG 2.1's 4.1.1 (Parsing): axe-core only asks for a review of a repeated id, yet a
    # label or an error-summary link then points at another form's field.
    repeated: list[str] = page.evaluate(_REPEATED_IDS, context)
    if repeated:
        lines.append(f"duplicate-id (serious): ids must be unique: {', '.join(repeated)}")
    for violation in results["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        shown = ", ".join(targets[:_SHOWN_TARGETS])
        more = f" (+{len(targets) - _SHOWN_TARGETS} more)" if len(targets) > _SHOWN_TARGETS else ""
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']}: {shown}{more}"
        )
    return lines


def assert_accessible(page: Page, *, context: str | None = None) -> None:
    """Fail, listing each violation, when axe-core finds the page (or the part of it the
    CSS selector ``context`` names) short of WCAG 2.1 A/AA."""
    violations = accessibility_violations(page, context=context)
    if violations:
        where = f"{page.url}" + (f" ({context})" if context else "")
        listing = "\n".join(f"  - {line}" for line in violations)
        pytest.fail(f"axe-core: {len(violations)} violation(s) on {where}:\n{listing}")
