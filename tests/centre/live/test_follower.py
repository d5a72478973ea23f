"""The queue follower: a change committed by another connection reaches a subscriber (by
NOTIFY on PostgreSQL, also after its LISTEN connection was cut; by the poll on SQLite),
and a subscriber that falls too far behind is told to reload."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from stadsvakt.centre import feed
from stadsvakt.centre.follower import (
    Delivery,
    QueueFollower,
    Replay,
    Subscription,
    read_deliveries,
    replay,
)
from stadsvakt.db import unit_of_work
from stadsvakt.org.models import Municipality, Site
from tests.centre.live.conftest import Centre
from tests.centre.live.helpers import open_activation
from tests.centre.live.world import World, committed_database, world
from tests.waiting import wait_until_async

#: A poll so slow that on PostgreSQL only a notification can deliver within the deadline.
NEVER_S = 3600.0


@pytest.fixture
def live(backend: str, tmp_path: Path) -> Iterator[World]:
    with committed_database(backend, tmp_path) as url, world(url) as made:
        yield made


def _commit_activation(live: World, priority: int = 1) -> uuid.UUID:
    with unit_of_work(live.services.session_factory) as session:
        tenant = session.get_one(Municipality, live.tenant_id)
        site = session.get_one(Site, live.site_id)
        return open_activation(session, tenant, site, priority=priority, category="fire").id


def _follower(live: World, backend: str) -> QueueFollower:
    # On PostgreSQL the poll never comes in time: only NOTIFY can wake the follower.
    poll = NEVER_S if backend == "postgresql" else 0.05
    return QueueFollower.of(live.services.engine, poll, live.url)


async def _next(subscription: Subscription, got: list[Delivery]) -> bool:
    got.extend(await subscription.take(0.05))
    return bool(got)


def test_a_change_committed_elsewhere_reaches_the_subscriber(live: World, backend: str) -> None:
    async def scenario() -> None:
        follower = _follower(live, backend)
        task = asyncio.create_task(follower.run())
        await wait_until_async(lambda: follower.running, "the follower to run")
        try:
            subscription = await follower.subscribe()
            if backend == "postgresql":
                await wait_until_async(lambda: follower.listening, "LISTEN")
            made = await asyncio.to_thread(_commit_activation, live)
            got: list[Delivery] = []
            await wait_until_async(lambda: _next(subscription, got), "the change")
            [delivery] = got
            assert delivery.change.kind == feed.NEW
            assert delivery.row is not None and delivery.row.id == made
            assert delivery.row.priority == 1
            assert follower.seq == delivery.change.seq
            follower.unsubscribe(subscription)
            # Nobody listens: the follower lets go of its number and its connection.
            await wait_until_async(
                lambda: follower.seq is None and not follower.listening, "the follower to idle"
            )
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")


def test_notifications_resume_after_the_connection_is_lost(
    postgres_only: None, live: World, backend: str
) -> None:
    def cut() -> int:
        with live.services.engine.connect() as conn:
            killed: int = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                )
            ).scalar_one()
            conn.commit()
            return int(killed)

    async def scenario() -> None:
        follower = _follower(live, backend)
        task = asyncio.create_task(follower.run())
        await wait_until_async(lambda: follower.running, "the follower to run")
        try:
            subscription = await follower.subscribe()
            await wait_until_async(lambda: follower.listening, "LISTEN")
            assert await asyncio.to_thread(cut) >= 1
            await wait_until_async(lambda: not follower.listening, "the loss to be seen")
            await wait_until_async(lambda: follower.listening, "LISTEN again")
            made = await asyncio.to_thread(_commit_activation, live)
            got: list[Delivery] = []
            await wait_until_async(lambda: _next(subscription, got), "the change")
            assert [d.change.activation_id for d in got] == [str(made)]
        finally:
            task.cancel()
            done, _ = await asyncio.wait([task], timeout=30)
            assert done, "the follower did not stop when cancelled"

    asyncio.run(scenario())


def test_a_subscriber_too_far_behind_is_lagged() -> None:
    change = feed.Change(1, str(uuid.uuid4()), str(uuid.uuid4()), feed.NEW, 1)

    async def scenario() -> None:
        subscription = Subscription(limit=2)
        subscription.offer([Delivery(change, None)] * 2)
        assert not subscription.lagged
        subscription.offer([Delivery(change, None)])
        assert subscription.lagged
        assert await subscription.take(0) == []
        subscription.reset()
        subscription.offer([Delivery(change, None)])
        assert len(await subscription.take(0)) == 1

    asyncio.run(scenario())


def test_a_replay_reads_each_change_with_its_activation(session: Session, centre: Centre) -> None:
    start = feed.head(session)
    made = open_activation(session, centre.home, centre.site, priority=2)
    session.flush()
    [delivery] = read_deliveries(session, start, 10)
    assert delivery.row is not None
    assert (delivery.row.id, delivery.row.priority) == (made.id, 2)
    assert delivery.row.site_name == centre.site.name
    assert delivery.row.municipality_name == "Hemby kommun"
    assert replay(session, start).deliveries == [delivery]
    assert replay(session, None) == Replay([], start + 1, resync=False)
    assert replay(session, start + 5).resync
    assert replay(session, start, limit=0).resync
