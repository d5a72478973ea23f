"""Rules the test suite keeps so that it stays fast and honest (see docs/testing.md)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
#: The one module that may sleep: it polls conditions with a deadline, and paces peers.
WAITING = TESTS / "waiting.py"


def _yields_only(call: ast.Call) -> bool:
    # ``await asyncio.sleep(0)`` hands the loop one turn: it waits for no time.
    return [ast.dump(arg) for arg in call.args] == [ast.dump(ast.Constant(0))]


def sleeps_in(source: str) -> list[int]:
    """The line numbers of ``sleep(...)`` calls (``time.sleep``, ``asyncio.sleep``...)
    that wait for some time."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "sleep" and not _yields_only(node):
                lines.append(node.lineno)
    return sorted(lines)


def test_the_rule_finds_every_spelling_of_a_sleep() -> None:
    source = "import time, asyncio\nfrom time import sleep\ntime.sleep(1)\nsleep(2)\n"
    source += "async def f():\n    await asyncio.sleep(0.5)\n    await asyncio.sleep(0)\n"
    assert sleeps_in(source) == [3, 4, 6]


def test_no_test_sleeps_for_a_fixed_time() -> None:
    found = [
        f"{path.relative_to(TESTS.parent)}:{line}"
        for path in sorted(TESTS.rglob("*.py"))
        if path != WAITING
        for line in sleeps_in(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "wait with tests.waiting.wait_until (or pace a peer with pace())"
