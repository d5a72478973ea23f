"""A sample in a real browser: Debian's chromium (Playwright) logged in as an operator on
the live queue page; from a frame leaving its panel to its row drawn in the page."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from benchmarks.console.run import City

CHROMIUM = "/usr/bin/chromium"
#: The queue table is following the live stream.
_LIVE = "() => document.querySelector('[data-live=\"true\"]') !== null"
#: How many queue rows name a site (the new hold-up alarm adds one).
_ROWS = (
    "name => [...document.querySelectorAll('tbody tr')]"
    ".filter(row => row.textContent.includes(name)).length"
)


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
    # Playwright's sync API runs an event loop in this thread: the panels get their own.
    loop = asyncio.new_event_loop()
    sender = threading.Thread(target=loop.run_forever, daemon=True)
    sender.start()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(locale="sv-SE")
            page.goto(f"{base}/login")
            page.fill("input[name=username]", OPERATOR)
            page.fill("input[name=password]", OPERATOR_PASSWORD)
            page.press("input[name=password]", "Enter")
            page.wait_for_url(lambda url: "/login" not in url)
            page.goto(f"{base}/centre")
            page.wait_for_function(_LIVE, timeout=15_000)
            for panel in panels:
                name = city.name_of[panel.spec.account]
                before = page.evaluate(_ROWS, name)
                left, _ = asyncio.run_coroutine_threadsafe(panel.send("Nri1/HA01"), loop).result()
                page.wait_for_function(f"n => ({_ROWS})(n[0]) > n[1]", arg=[name, before])
                samples.append((time.perf_counter() - left) * 1000)
        finally:
            browser.close()
            loop.call_soon_threadsafe(loop.stop)
    return {
        "alarms": len(samples),
        "frame_to_browser_p50_ms": round(_percentile(samples, 0.5), 1),
        "frame_to_browser_max_ms": round(max(samples, default=0.0), 1),
    }
