"""Operator sessions for the benchmark: Server-Sent Events clients of the live queue.

Each :class:`Session` holds one ``GET /api/v1/centre/stream`` open, as an operator's
browser does, and notes when each activation's event arrived (``perf_counter``, the
same clock the senders stamp their frames with).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(slots=True)
class Arrival:
    """One queue event as a session received it."""

    at: float
    kind: str
    data: dict[str, Any]


@dataclass(slots=True)
class Session:
    """One connected operator session and what it received."""

    base_url: str
    token: str
    arrivals: list[Arrival] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    errors: int = 0

    async def run(self) -> None:
        """Read the stream until cancelled."""
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"}
        timeout = httpx.Timeout(10.0, read=None)
        async with (
            httpx.AsyncClient(base_url=self.base_url, timeout=timeout) as client,
            client.stream("GET", "/api/v1/centre/stream", headers=headers) as response,
        ):
            response.raise_for_status()
            self.connected.set()
            kind, data = "message", ""
            async for line in response.aiter_lines():
                if line == "":
                    if data:
                        self._note(kind, data)
                    kind, data = "message", ""
                elif line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()

    def _note(self, kind: str, data: str) -> None:
        try:
            parsed = json.loads(data)
        except ValueError:
            self.errors += 1
            return
        if isinstance(parsed, dict):
            self.arrivals.append(Arrival(time.perf_counter(), kind, parsed))


def first_arrivals(sessions: list[Session], key: Any) -> dict[tuple[int, Any], float]:
    """For each session and each key the arrival satisfies, when it first arrived.

    ``key(arrival)`` gives the key an arrival counts for (``None``: not counted).
    """
    found: dict[tuple[int, Any], float] = {}
    for index, session in enumerate(sessions):
        for arrival in session.arrivals:
            wanted = key(arrival)
            if wanted is not None and (index, wanted) not in found:
                found[(index, wanted)] = arrival.at
    return found
