"""The load: N persistent TCP connections, one panel each, sending like panels do.

Each connection sends a frame and waits for its reply before the next (a panel has
one message in flight). Two shapes:

* **closed loop** (:func:`closed_loop`): every connection sends again as soon as it is
  answered, for ``duration_s``: the receiver's maximum rate for this many connections;
* **open loop** (:func:`open_loop`): frames are planned at a fixed total rate, spread
  round-robin over the connections; latency counts from the planned send time, so a
  receiver that falls behind shows it in the percentiles.

Frames come from :mod:`stadsvakt.alarms.simulate.panels` (SIA-DCS and Contact ID,
sequence numbers counting up, fresh timestamps and pads), built as they are sent.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from stadsvakt.alarms.simulate.links import TcpLink
from stadsvakt.alarms.simulate.panels import Panel, PanelSpec, acknowledges, read_reply
from stadsvakt.db import utcnow

ACK_TIMEOUT_S = 10.0


@dataclass(slots=True)
class LoadResult:
    """Frames answered, how, and the ACK latencies (ms)."""

    seconds: float = 0.0
    frames: int = 0
    alarms: int = 0
    heartbeats: int = 0
    acked: int = 0
    refused: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def frames_per_s(self) -> float:
        """Acknowledged frames per second."""
        return self.acked / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """A latency percentile in ms (0 when nothing was acknowledged)."""
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Sender:
    """One connection with its panel; the panel's sequence numbers run on across phases."""

    def __init__(self, host: str, port: int, panel: Panel) -> None:
        self.link = TcpLink(host, port)
        self.panel = panel

    async def send(
        self, result: LoadResult, heartbeat_share: float, planned: float | None = None
    ) -> None:
        """Send one frame (a heartbeat with probability ``heartbeat_share``) until its reply."""
        panel = self.panel
        beat = panel.rng.random() < heartbeat_share
        message = panel.heartbeat() if beat else panel.event()
        started = time.perf_counter() if planned is None else planned
        result.frames += 1
        try:
            reply = await self.link.exchange(message.frame(panel.spec, utcnow()), ACK_TIMEOUT_S)
        except (OSError, TimeoutError):
            result.errors += 1
            self.link.close()
            return
        if acknowledges(read_reply(reply), message):
            result.acked += 1
            result.heartbeats += beat
            result.alarms += not beat
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
        else:
            result.refused += 1


def make_senders(host: str, port: int, specs: Sequence[PanelSpec], seed: int) -> list[Sender]:
    """One sender per panel."""
    rng = random.Random(seed)
    return [Sender(host, port, Panel(spec, random.Random(rng.random()))) for spec in specs]


async def connect_all(senders: Sequence[Sender]) -> None:
    """Open every connection (one heartbeat each), so connecting is not timed."""
    warmup = LoadResult()
    await asyncio.gather(*(sender.send(warmup, 1.0) for sender in senders))


async def closed_loop(
    senders: Sequence[Sender], *, duration_s: float, heartbeat_share: float
) -> LoadResult:
    """Every connection sends as fast as it is answered, for ``duration_s``."""
    result = LoadResult()
    deadline = time.perf_counter() + duration_s

    async def run(sender: Sender) -> None:
        while time.perf_counter() < deadline:
            await sender.send(result, heartbeat_share)

    started = time.perf_counter()
    await asyncio.gather(*(run(sender) for sender in senders))
    result.seconds = time.perf_counter() - started
    return result


async def open_loop(
    senders: Sequence[Sender], *, rate: float, duration_s: float, heartbeat_share: float
) -> LoadResult:
    """Frames planned at ``rate`` per second in total, round-robin over the connections."""
    result = LoadResult()
    total = max(1, int(rate * duration_s))
    count = len(senders)
    start = time.perf_counter() + 0.2

    async def run(index: int, sender: Sender) -> None:
        for number in range(index, total, count):
            planned = start + number / rate
            delay = planned - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await sender.send(result, heartbeat_share, planned)

    await asyncio.gather(*(run(i, sender) for i, sender in enumerate(senders)))
    result.seconds = time.perf_counter() - start
    return result
