"""Running simulated panels against a receiver: heartbeats, events at a total rate, re-sends.

Each panel is one task with its own link (a persistent TCP connection, or a UDP
socket). It sends a ``NULL`` heartbeat every ``interval_s`` (the first at a random
point of the interval, so panels do not beat in step) and the events a dispatcher
hands it; events arrive at ``rate`` per second in total (exponential gaps, as
independent panels give) on randomly chosen panels. A message is sent until it is
acknowledged, like a real panel: after a missing reply or a NAK it is sent again
with the same sequence number (reconnecting first when the reply timed out), up to
``retries`` times; a DUH ends it (the receiver cannot process it, sending again
would not help).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from stadsvakt.alarms.simulate.links import Link, open_link
from stadsvakt.alarms.simulate.panels import Outgoing, Panel, PanelSpec, acknowledges, read_reply
from stadsvakt.db import utcnow

#: Latencies kept for the percentiles (the most recent ones), so a long run stays bounded.
LATENCY_SAMPLES = 100_000


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Where to send, how much, for how long (``duration_s=None``: until cancelled)."""

    host: str
    port: int
    rate: float = 1.0
    duration_s: float | None = None
    transport: str = "tcp"
    ack_timeout_s: float = 5.0
    retries: int = 3
    seed: int | None = None


@dataclass(slots=True)
class Tally:
    """What the panels sent and how the receiver answered."""

    panels: int = 0
    events: int = 0
    heartbeats: int = 0
    frames: int = 0
    acked: int = 0
    nak: int = 0
    duh: int = 0
    other: int = 0
    timeouts: int = 0
    resent: int = 0
    failed: int = 0
    connection_errors: int = 0
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_SAMPLES))

    def summary(self) -> dict[str, float | int]:
        """The counts and ACK latency percentiles, for printing or JSON."""
        out: dict[str, float | int] = {
            name: getattr(self, name)
            for name in (
                "panels",
                "events",
                "heartbeats",
                "frames",
                "acked",
                "nak",
                "duh",
                "other",
                "timeouts",
                "resent",
                "failed",
                "connection_errors",
            )
        }
        if self.latencies_ms:
            ordered = sorted(self.latencies_ms)
            out["ack_p50_ms"] = round(statistics.median(ordered), 2)
            out["ack_p99_ms"] = round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2)
        return out


class PanelFleet:
    """The panels of one run and their counts; :meth:`run` drives them."""

    def __init__(
        self,
        specs: Sequence[PanelSpec],
        options: RunOptions,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if not specs:
            raise ValueError("no panels to simulate")
        self.options = options
        self.tally = Tally(panels=len(specs))
        self._rng = random.Random(options.seed)
        self._clock = clock
        self._panels = [Panel(spec, random.Random(self._rng.random())) for spec in specs]
        # ``None`` in a queue tells its panel to stop once the messages before it are sent.
        self._queues: list[asyncio.Queue[Outgoing | None]] = [asyncio.Queue() for _ in specs]

    async def run(self, progress: Callable[[Tally], None] | None = None) -> Tally:
        """Run for ``duration_s`` (or until cancelled); messages in flight then get one timeout."""
        async with asyncio.TaskGroup() as tasks:
            workers = [
                tasks.create_task(self._panel(panel, queue))
                for panel, queue in zip(self._panels, self._queues, strict=True)
            ]
            helpers = [tasks.create_task(self._dispatch())]
            if progress is not None:
                helpers.append(tasks.create_task(_report(self.tally, progress)))
            try:
                if self.options.duration_s is None:
                    await asyncio.Event().wait()
                await asyncio.sleep(self.options.duration_s or 0)
            finally:
                for helper in helpers:
                    helper.cancel()
                for queue in self._queues:
                    queue.put_nowait(None)
                await asyncio.wait(workers, timeout=self.options.ack_timeout_s + 1)
                for worker in workers:
                    worker.cancel()
        if progress is not None:
            progress(self.tally)
        return self.tally

    async def _dispatch(self) -> None:
        """Hand events to random panels at ``rate`` per second in total."""
        if self.options.rate <= 0:
            return
        while True:
            await asyncio.sleep(self._rng.expovariate(self.options.rate))
            index = self._rng.randrange(len(self._panels))
            self._queues[index].put_nowait(self._panels[index].event())

    async def _panel(self, panel: Panel, queue: asyncio.Queue[Outgoing | None]) -> None:
        loop = asyncio.get_running_loop()
        interval = panel.spec.interval_s
        next_beat = loop.time() + panel.rng.uniform(0, interval)
        link = open_link(self.options.transport, self.options.host, self.options.port)
        try:
            while True:
                message: Outgoing | None
                try:
                    async with asyncio.timeout(max(next_beat - loop.time(), 0)):
                        message = await queue.get()
                except TimeoutError:
                    message, next_beat = panel.heartbeat(), next_beat + interval
                if message is None:
                    return
                await self._deliver(panel, link, message)
        finally:
            link.close()

    async def _deliver(self, panel: Panel, link: Link, message: Outgoing) -> None:
        """Send until acknowledged, as a panel does."""
        tally, options = self.tally, self.options
        if message.is_heartbeat:
            tally.heartbeats += 1
        else:
            tally.events += 1
        for attempt in range(options.retries + 1):
            if attempt:
                tally.resent += 1
            tally.frames += 1
            started = time.perf_counter()
            try:
                raw = await link.exchange(
                    message.frame(panel.spec, self._clock()), options.ack_timeout_s
                )
            except TimeoutError:
                tally.timeouts += 1
                link.close()  # a late reply must not be read as the next one's
                continue
            except OSError:
                tally.connection_errors += 1
                link.close()
                await asyncio.sleep(min(0.2 * 2**attempt, 5.0))
                continue
            reply = read_reply(raw)
            if acknowledges(reply, message):
                tally.acked += 1
                tally.latencies_ms.append((time.perf_counter() - started) * 1000)
                return
            if reply.kind == "DUH":
                tally.duh += 1
                break
            if reply.kind == "NAK":
                tally.nak += 1
            else:
                tally.other += 1
            # Panels wait before re-sending a refused message (e.g. while a receiver
            # picks up a newly registered key).
            await asyncio.sleep(min(0.25 * 2**attempt, 5.0))
        tally.failed += 1


async def _report(tally: Tally, progress: Callable[[Tally], None]) -> None:
    while True:
        progress(tally)
        await asyncio.sleep(0.5)


async def run_panels(
    specs: Sequence[PanelSpec],
    options: RunOptions,
    progress: Callable[[Tally], None] | None = None,
) -> Tally:
    """Simulate ``specs`` against the receiver in ``options``; the counts at the end."""
    return await PanelFleet(specs, options).run(progress)
