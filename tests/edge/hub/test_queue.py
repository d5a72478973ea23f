"""The hub's queue of devices to sync: most urgent first, each device once however often
it is asked for, and never twice at the same time."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from stadsvakt.edge.hub.queue import DeviceQueue, Priority

A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))


async def _drain(queue: DeviceQueue) -> list[uuid.UUID]:
    taken: list[uuid.UUID] = []
    while len(queue):
        device = await asyncio.wait_for(queue.take(), 1)
        taken.append(device)
        queue.done(device)
    return taken


def test_the_most_urgent_goes_first_and_equals_keep_their_order() -> None:
    async def scenario() -> list[uuid.UUID]:
        queue = DeviceQueue()
        queue.want(A, Priority.HELLO)
        queue.want(B, Priority.CHANGE)
        queue.want(C, Priority.CHANGE)
        queue.want(A, Priority.URGENT)  # asked again, more urgently: moves up, once
        return await _drain(queue)

    assert asyncio.run(scenario()) == [A, B, C]


def test_a_device_asked_for_many_times_waits_once_at_its_best_priority() -> None:
    async def scenario() -> list[uuid.UUID]:
        queue = DeviceQueue()
        queue.want(A, Priority.CHANGE)
        queue.want(B, Priority.CHANGE)
        queue.want(A, Priority.HELLO)  # less urgent: keeps its place
        queue.want(A, Priority.CHANGE)
        return await _drain(queue)

    assert asyncio.run(scenario()) == [A, B]


def test_a_device_asked_for_during_its_sync_is_synced_again_after_it_not_alongside() -> None:
    async def scenario() -> None:
        queue = DeviceQueue()
        queue.want(A, Priority.CHANGE)
        assert await queue.take() == A
        queue.want(A, Priority.URGENT)  # the feed moved on while A was being synced
        queue.want(B, Priority.CHANGE)
        assert await queue.take() == B  # not A: it is busy
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(queue.take(), 0.05)
        queue.done(A)
        assert await asyncio.wait_for(queue.take(), 1) == A

    asyncio.run(scenario())


def test_a_dropped_device_is_not_synced() -> None:
    async def scenario() -> list[uuid.UUID]:
        queue = DeviceQueue()
        queue.want(A, Priority.CHANGE)
        queue.want(B, Priority.CHANGE)
        queue.drop(A)
        return await _drain(queue)

    assert asyncio.run(scenario()) == [B]
