"""While the demo serves, its transmitters send alarms to its own DC-09 receiver.

(The social alarms do the same over SCAIP: :mod:`stadsvakt.demo.social`.)

The panel simulator runs in a thread of the demo process with an event loop of its
own (as panels are separate from the receiver), at a gentle rate: an event every
few seconds across the city, and each panel's heartbeat at its interval. The
alarms then appear in the alarm list as if the city's buildings were sending them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, Self

from stadsvakt.alarms.simulate.panels import PanelSpec
from stadsvakt.alarms.simulate.runner import PanelFleet, RunOptions
from stadsvakt.api.deps import Services
from stadsvakt.demo.seed_alarms import demo_panels
from stadsvakt.settings import Settings

log = logging.getLogger(__name__)

#: Events per second across all of the demo's panels (one every four seconds).
DEMO_RATE = 0.25


class LoopThread:
    """A coroutine run by an event loop of its own in a daemon thread, until :meth:`stop`."""

    def __init__(self, work: Coroutine[Any, Any, object], name: str) -> None:
        self._work: Coroutine[Any, Any, object] | None = work
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[object] | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        assert self._work is not None
        self._task = self._loop.create_task(self._work)
        self._work = None
        self._started.set()
        try:
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except Exception:  # the demo keeps serving without its simulated devices
            log.exception("%s stopped", self._thread.name)
        finally:
            self._loop.close()

    def start(self) -> Self:
        """Start sending."""
        self._thread.start()
        self._started.wait(timeout=10)
        return self

    def stop(self) -> None:
        """Stop the devices and wait for the thread."""
        task = self._task
        if task is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(task.cancel)
        self._thread.join(timeout=15)

    def __enter__(self) -> Self:
        """Start sending, for a ``with`` block."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop when the block ends, however it ends."""
        self.stop()


class PanelThread(LoopThread):
    """A :class:`PanelFleet` run in a thread until :meth:`stop`."""

    def __init__(self, specs: list[PanelSpec], options: RunOptions) -> None:
        self.fleet = PanelFleet(specs, options)
        super().__init__(self.fleet.run(), "demo-panels")

    def describe(self) -> str:
        """One line for the console."""
        options = self.fleet.options
        return (
            f"Simulated panels: {self.fleet.tally.panels} transmitters sending to "
            f"{options.host}:{options.port}, {options.rate:g} events/s in all"
        )


@contextmanager
def demo_traffic(
    settings: Settings, services: Services, *, port: int | None = None, rate: float = DEMO_RATE
) -> Iterator[PanelThread | None]:
    """Run the demo's panels against its DC-09 receiver (TCP) while the block runs.

    Nothing runs when the receiver is switched off or listens on an ephemeral port
    that is not given as ``port``.
    """
    alarms = settings.alarms
    target = alarms.dc09_port if port is None else port
    if not (alarms.dc09_enabled and alarms.dc09_tcp and target):
        yield None
        return
    with services.session_factory() as session:
        specs = demo_panels(session, services.box)
    if not specs:
        yield None
        return
    options = RunOptions(sending_host(alarms.dc09_host), target, rate=rate)
    with PanelThread(specs, options) as thread:
        yield thread


def sending_host(listening: str) -> str:
    """Where a device in this process sends to reach a receiver listening on ``listening``."""
    return "127.0.0.1" if listening in {"0.0.0.0", "::"} else listening
