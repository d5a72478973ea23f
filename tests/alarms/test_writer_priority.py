"""The receivers' writer takes a fire or assault alarm before a backlog of other frames."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

from sqlalchemy.orm import sessionmaker

from stadsvakt.alarms.metrics import Metrics
from stadsvakt.alarms.normalise import AlarmRecord, Envelope, Source, from_event
from stadsvakt.alarms.protocols.dc09.message import Dc09Message
from stadsvakt.alarms.protocols.events import Category
from stadsvakt.alarms.receivers.writer import AlarmWriter
from stadsvakt.db import utcnow
from tests import factories_alarms as fa


def _of(category: Category) -> AlarmRecord:
    now = utcnow()
    frame = fa.sia_frame("1234", 1, "Nri1/BA01", timestamp=now)
    message = Dc09Message.parse(frame, lambda *_: None, now)
    envelope = Envelope(
        source=Source(uuid.uuid4(), None, None),
        protocol="dc09-sia",
        account="1234",
        sequence=message.sequence,
        received_at=now,
        event_time=message.timestamp,
        encrypted=False,
        payload=f"[{message.data}]",
        raw=frame,
    )
    return replace(from_event(message.events()[0], envelope, 0), category=category)


def test_a_fire_alarm_is_taken_before_the_storm_waiting_ahead_of_it() -> None:
    async def scenario() -> list[Category]:
        writer = AlarmWriter(sessionmaker(), Metrics())  # not run: only its queue is read
        waiting = [
            asyncio.ensure_future(writer.store([_of(category)]))
            for category in (Category.FAULT, Category.FAULT, Category.FIRE, Category.FAULT)
        ]
        await asyncio.sleep(0)
        first = writer._queue.get_nowait()[2]
        taken = writer._take(first)
        for job in waiting:
            job.cancel()
        return [job.records[0].category for job in taken]

    assert asyncio.run(scenario()) == [
        Category.FIRE,
        Category.FAULT,
        Category.FAULT,
        Category.FAULT,
    ]
