"""The access event writer: events of concurrent decisions share commits, each decision
returns only once its event is committed, and a failed commit fails every decision in it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.access.event_writer import EventNotStored, EventWriter
from stadsvakt.access.models import AccessEvent

AT = datetime(2026, 3, 11, 13, 0, tzinfo=UTC)


def _row(door: uuid.UUID, n: int) -> dict[str, Any]:
    return {
        "tenant_id": uuid.uuid4(),
        "at": AT,
        "door_id": door,
        "credential": f"CARD{n:04d}",
        "credential_id": None,
        "person_id": None,
        "granted": n % 2 == 0,
        "reason": "no_right",
        "source": "centre",
    }


async def _with_writer(writer: EventWriter, rows: list[dict[str, Any]]) -> list[object]:
    task = asyncio.create_task(writer.run())
    await asyncio.sleep(0)  # let the writer make its queue
    try:
        return await asyncio.gather(*(writer.store(r) for r in rows), return_exceptions=True)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _stored(session: Session, door: uuid.UUID) -> list[str]:
    return list(
        session.scalars(select(AccessEvent.credential).where(AccessEvent.door_id == door)).all()
    )


def test_concurrent_events_are_all_committed_in_shared_commits(
    session_factory: sessionmaker[Session], session: Session
) -> None:
    door = uuid.uuid4()
    writer = EventWriter(session_factory, gather_ms=1)
    results = asyncio.run(_with_writer(writer, [_row(door, n) for n in range(40)]))
    assert results == [None] * 40
    assert sorted(_stored(session, door)) == [f"CARD{n:04d}" for n in range(40)]
    assert writer.events == 40
    assert writer.commits < 40


def test_a_failed_commit_fails_every_decision_waiting_on_it(session: Session) -> None:
    # A database without the events table: the commit fails.
    broken = create_engine("sqlite://")
    try:
        writer = EventWriter(sessionmaker(bind=broken))
        door = uuid.uuid4()
        results = asyncio.run(_with_writer(writer, [_row(door, n) for n in range(5)]))
    finally:
        broken.dispose()
    assert all(isinstance(r, EventNotStored) for r in results)
    assert writer.events == 0


def test_without_its_task_the_writer_stores_each_event_alone(
    session_factory: sessionmaker[Session], session: Session
) -> None:
    door = uuid.uuid4()
    writer = EventWriter(session_factory)
    asyncio.run(writer.store(_row(door, 1)))
    assert _stored(session, door) == ["CARD0001"]
    broken = create_engine("sqlite://")
    try:
        with pytest.raises(EventNotStored):
            asyncio.run(EventWriter(sessionmaker(bind=broken)).store(_row(door, 2)))
    finally:
        broken.dispose()
