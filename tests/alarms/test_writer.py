"""The alarm writer: alarms committed before their callers go on, last-seen in chunks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from stadsvakt.alarms.metrics import Metrics
from stadsvakt.alarms.receivers.writer import AlarmWriter
from stadsvakt.db import utcnow
from tests.alarms.conftest import ReceiverDb
from tests.waiting import wait_until_async


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
        await wait_until_async(
            lambda: all(receiver_db.transmitter(r.id).last_seen_at == heard for r in rows),
            "every last-seen time to be written",
        )
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
        await wait_until_async(
            lambda: receiver_db.transmitter(row.id).last_seen_at is not None,
            "the last-seen time to be written",
        )
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    assert receiver_db.transmitter(row.id).last_seen_at == second
