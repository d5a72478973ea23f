"""Simulated readers' firmware for demos, tests and benchmarks: libosdp
``PeripheralDevice`` objects in this process, refreshed on one thread of our own.

A real reader answers the panel's poll as soon as the poll has arrived. The binding's own
``start()`` refreshes a device every 20 ms, so a simulated reader would answer up to
20 ms late, which a real one does not; this loop refreshes them every
:data:`REFRESH_S`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

#: Seconds between refreshes of the simulated readers.
REFRESH_S = 0.001


class SimulatedReaders:
    """Run ``devices`` (``osdp.PeripheralDevice``) until :meth:`stop`."""

    def __init__(self, devices: Sequence[Any], *, period: float = REFRESH_S) -> None:
        self._devices = list(devices)
        self._period = period
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        for device in self._devices:
            # The binding's methods (submit_event, get_command) take this lock; its own
            # start() would have made it.
            device.lock = threading.Lock()

    def start(self) -> None:
        """Start refreshing the devices."""
        self._thread = threading.Thread(target=self._run, name="osdp-readers", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            for device in self._devices:
                with device.lock:
                    device.ctx.refresh()

    def stop(self) -> None:
        """Stop refreshing (the devices stay as they are)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
