"""The browser fixtures (a pytest plugin of the root conftest): Debian's chromium driven
by Playwright, and a fresh page (its own context: no cookies or storage from another
test) for each test.

The browser is started per test, not once per session: Playwright's synchronous API
runs its event loop in the main thread while it is open, so a browser kept open across
tests would make every later ``asyncio.run()`` in that process fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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
