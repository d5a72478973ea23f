"""How a test waits: for a condition, polled with a deadline, never for a fixed time.

A fixed sleep is either too short on a loaded machine (a flaky test) or too long
everywhere else (a slow suite). The deadlines here are generous because they only
catch something that never happens; a test that passes never waits for them. This is
the one module of the suite that may call ``sleep`` (``tests/test_suite_rules.py``
checks that).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

#: How long a condition may take before the test fails: long enough for a loaded CI machine.
DEADLINE_S = 30.0
#: How often a condition is checked.
EVERY_S = 0.02


def wait_until(
    check: Callable[[], bool],
    what: str = "the condition",
    *,
    timeout: float = DEADLINE_S,
    every: float = EVERY_S,
) -> float:
    """Poll ``check`` until it holds; fail the test after ``timeout`` s. Returns the seconds
    it took."""
    started = time.monotonic()
    while not check():
        elapsed = time.monotonic() - started
        assert elapsed < timeout, f"timed out after {timeout:g} s waiting for {what}"
        time.sleep(every)
    return time.monotonic() - started


async def wait_until_async(
    check: Callable[[], bool | Awaitable[bool]],
    what: str = "the condition",
    *,
    timeout: float = DEADLINE_S,
    every: float = EVERY_S,
) -> float:
    """:func:`wait_until` inside an event loop (the loop keeps running between checks);
    ``check`` may be a coroutine function."""
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def holds() -> bool:
        result = check()
        return await result if isinstance(result, Awaitable) else result

    while not await holds():
        elapsed = loop.time() - started
        assert elapsed < timeout, f"timed out after {timeout:g} s waiting for {what}"
        await asyncio.sleep(every)
    return loop.time() - started


def pace(seconds: float) -> None:
    """A simulated peer's pause between two sends (a slow or trickling device is the
    behaviour under test here): never a wait for stadsvakt to do something."""
    time.sleep(seconds)
