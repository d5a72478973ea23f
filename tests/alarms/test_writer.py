"""The alarm writer: alarms committed before their callers go on, last-seen in chunks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from stadsvakt.alarms.metrics import Metrics
from stadsvakt.alarms.receivers.writer import AlarmWriter
from stadsvakt.db import utcnow
from tests.alarms.conftest import ReceiverDb


def test_a_backlog_of_last_seen_times_is_written_in_chunks_between_alarms(
    receiver_db: ReceiverDb,
) -> None:
    rows = [receiver_db.add() for _ in range(7)]
    heard = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    writer = AlarmWriter(
        receiver_db.services.session_factory, Metrics(), seen_flush_s=0.05, seen_chunk=2
    )

    async def scenario() -> None:
        task = asyncio.create_task(writer.run())
        for row in rows:
            writer.seen(row.id, heard)
        deadline = asyncio.get_running_loop().time() + 10
        while asyncio.get_running_loop().time() < deadline:
            stored = [receiver_db.transmitter(row.id).last_seen_at for row in rows]
            if all(moment == heard for moment in stored):
                break
            await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    assert [receiver_db.transmitter(row.id).last_seen_at for row in rows] == [heard] * 7


def test_a_later_heartbeat_replaces_an_unwritten_one(receiver_db: ReceiverDb) -> None:
    row = receiver_db.add()
    first = utcnow().replace(microsecond=0) - timedelta(minutes=10)
    second = first + timedelta(minutes=3)
    writer = AlarmWriter(receiver_db.services.session_factory, Metrics(), seen_flush_s=0.05)

    async def scenario() -> None:
        writer.seen(row.id, first)
        writer.seen(row.id, second)
        task = asyncio.create_task(writer.run())
        await asyncio.sleep(0.5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    assert receiver_db.transmitter(row.id).last_seen_at == second
