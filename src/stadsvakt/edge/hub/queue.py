"""Devices waiting to be brought up to date, most urgent first, each at most once.

Coalescing: a device asked for again while it waits keeps one place (the better of the
two priorities); asked for while it is being synced, it waits again once that sync is
done, so a change that arrived during the sync is covered by the next one. A device is
never synced by two workers at once.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from enum import IntEnum


class Priority(IntEnum):
    """Lower goes first."""

    #: A change that opens or shuts one of the device's doors at once (lockdown, emergency).
    URGENT = 0
    #: An ordinary change of the device's municipality.
    CHANGE = 1
    #: A device that (re)connected: often a whole snapshot, and many at once after an outage.
    HELLO = 2


class DeviceQueue:
    """A priority queue of device ids with coalescing (module docstring)."""

    def __init__(self) -> None:
        self._heap: asyncio.PriorityQueue[tuple[int, int, uuid.UUID]] = asyncio.PriorityQueue()
        self._order = itertools.count()
        self._waiting: dict[uuid.UUID, Priority] = {}
        self._busy: set[uuid.UUID] = set()
        self._again: dict[uuid.UUID, Priority] = {}

    def __len__(self) -> int:
        return len(self._waiting) + len(self._again)

    def want(self, device_id: uuid.UUID, priority: Priority) -> None:
        """Ask for the device to be synced (again)."""
        if device_id in self._busy:
            self._again[device_id] = min(priority, self._again.get(device_id, priority))
            return
        waiting = self._waiting.get(device_id)
        if waiting is not None and waiting <= priority:
            return
        self._waiting[device_id] = priority
        self._heap.put_nowait((priority, next(self._order), device_id))

    async def take(self) -> uuid.UUID:
        """The next device to sync (marked busy until :meth:`done`)."""
        while True:
            priority, _, device_id = await self._heap.get()
            # A superseded entry (the device was asked for again with a better priority).
            if self._waiting.get(device_id) != priority:
                continue
            del self._waiting[device_id]
            self._busy.add(device_id)
            return device_id

    def done(self, device_id: uuid.UUID) -> None:
        """The device's sync ended; it waits again if it was asked for meanwhile."""
        self._busy.discard(device_id)
        again = self._again.pop(device_id, None)
        if again is not None:
            self.want(device_id, again)

    def drop(self, device_id: uuid.UUID) -> None:
        """Forget the device (revoked): a place it held is skipped."""
        self._waiting.pop(device_id, None)
        self._again.pop(device_id, None)
