"""A sample in a real browser: Debian's chromium (Playwright) logged in as an operator on
the live queue page; from a frame leaving its panel to its row drawn in the page."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from benchmarks.console.run import City

CHROMIUM = "/usr/bin/chromium"


def chromium_sample(
    city: City, base: str, dc09_port: int, count: int, console: Console
) -> dict[str, Any]:
    """Send ``count`` fire alarms one by one; time each until its row shows in the page."""
    from playwright.sync_api import sync_playwright

    from benchmarks.console.run import OPERATOR, OPERATOR_PASSWORD, Panel, _percentile

    console.log(f"chromium: {count} alarms into a logged-in operator's queue page")
    # Panels of the steady phase's sites, sending a category they have not sent.
    panels = [Panel(spec, dc09_port) for spec in city.specs[:count]]
    samples: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(locale="sv-SE")
            page.goto(f"{base}/login")
            page.fill("input[name=username]", OPERATOR)
            page.fill("input[name=password]", OPERATOR_PASSWORD)
            page.click("button[type=submit]")
            page.goto(f"{base}/centre")
            page.wait_for_function(
                "() => document.body.dataset.live === 'connected'", timeout=15_000
            )
            for panel in panels:
                site = city.site_of[panel.spec.account]
                selector = f"[data-site-id='{site}'][data-category='hold_up']"
                left, _ = asyncio.run(panel.send("Nri1/HA01"))
                page.wait_for_selector(selector, timeout=10_000)
                samples.append((time.perf_counter() - left) * 1000)
        finally:
            browser.close()
    return {
        "alarms": len(samples),
        "frame_to_browser_p50_ms": round(_percentile(samples, 0.5), 1),
        "frame_to_browser_max_ms": round(max(samples, default=0.0), 1),
    }
