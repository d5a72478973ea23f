"""The pusher keeps the broker connection while the database is away: it reads the feed
again at the next poll instead of ending the connection."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.edge.broker.gateway import Publisher
from stadsvakt.edge.hub.push import Pusher
from stadsvakt.edge.hub.registry import Registry
from tests.edge.hub.conftest import Broker, edge_settings
from tests.edge.hub.edges import centre_connection
from tests.waiting import wait_until_async


def test_the_pusher_outlives_a_database_that_is_away(broker: Broker, tmp_path: Path) -> None:
    # A database that cannot be opened (its directory does not exist).
    away = create_engine(f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}")
    opened: list[int] = []
    broken = sessionmaker(bind=away)

    def factory() -> Session:
        opened.append(1)
        return broken()

    settings = edge_settings(broker)
    pusher = Pusher(factory, Registry(), settings.snapshot, feed_poll_s=0.05, workers=1)

    async def scenario() -> None:
        async with centre_connection(broker) as client:
            running = asyncio.create_task(
                pusher.run(Publisher(client, settings.snapshot.private_key()))
            )
            await wait_until_async(lambda: len(opened) >= 3, "three reads of the feed")
            assert not running.done() and pusher.seen is None
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)

    try:
        asyncio.run(scenario())
    finally:
        pusher.close()
        away.dispose()
