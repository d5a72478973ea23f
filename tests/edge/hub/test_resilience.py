"""The pusher keeps the broker connection while the database is away: it reads the feed
again at the next poll instead of ending the connection."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiomqtt
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.edge.broker.gateway import Publisher
from stadsvakt.edge.hub import EdgeHub
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


def test_a_cancelled_hub_stops_while_its_connection_fails(broker: Broker, tmp_path: Path) -> None:
    """Stopping ``serve`` stops the hub even when the connection's tasks fail as it is
    cancelled (on 3.11 a task group then raises their failure, not the cancellation,
    which the hub's reconnect loop would take for a lost broker and retry for ever)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}")
    hub = EdgeHub(edge_settings(broker), sessionmaker(bind=engine), backoff=(0.01, 0.01))

    entered = asyncio.Event()

    async def failing_run(client: aiomqtt.Client) -> None:
        entered.set()
        try:
            await asyncio.Event().wait()
        finally:
            raise aiomqtt.MqttError("the connection went down with the stop")

    hub.run = failing_run  # type: ignore[method-assign]

    async def scenario() -> None:
        serving = asyncio.create_task(hub.serve())
        await asyncio.wait_for(entered.wait(), 10)  # connected and waiting in run()
        serving.cancel()
        done, _ = await asyncio.wait({serving}, timeout=5)
        assert done, "the hub kept reconnecting after it was cancelled"

    try:
        asyncio.run(scenario())
    finally:
        engine.dispose()
