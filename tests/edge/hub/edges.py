"""Simulated edge devices for the hub's tests: each connects to the real broker with its
own account, says ``hello`` and ``status`` signed with its key, and keeps every message
the centre sends it (checked by :class:`DeviceLink` as an agent checks it), with its raw
bytes so the snapshot's and delta's own checks can run on them. And the hub, running.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiomqtt
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.edge.broker.client import QOS, connect, device_client
from stadsvakt.edge.broker.device import CentreMessage, DeviceLink
from stadsvakt.edge.broker.gateway import Dropped, message_payload
from stadsvakt.edge.broker.topics import Direction, Down, Up, device_filter
from stadsvakt.edge.hub import EdgeHub
from stadsvakt.edge.settings import EdgeSettings
from tests.edge.hub.conftest import CENTRE, Broker, Device, edge_settings
from tests.waiting import wait_until_async

#: How long a test waits for a message that should come (only a failing test waits so long).
WAIT_S = 20.0


@dataclass(frozen=True, slots=True)
class Received:
    """A verified message from the centre and the bytes it came in."""

    message: CentreMessage
    payload: bytes

    @property
    def kind(self) -> Down:
        """What sort of message it is."""
        return self.message.kind


@dataclass
class Edge:
    """One simulated device on the broker."""

    device: Device
    client: aiomqtt.Client
    link: DeviceLink
    inbox: asyncio.Queue[Received] = field(default_factory=asyncio.Queue)

    async def hello(self, version: int | None) -> None:
        """Say hello holding ``version`` (None: nothing)."""
        body = {"snapshot_version": version, "software_version": "1.0.0"}
        await self.link.publish(self.client, Up.HELLO, body)

    async def status(self, **body: Any) -> None:
        """Send a status report (a well-formed one, changed by ``body``)."""
        report: dict[str, Any] = {
            "software_version": "1.0.1",
            "health": "ok",
            "health_detail": "",
            "snapshot_version": None,
            "pending_events": 0,
            "clock_drift_ms": None,
            "doors": {},
            "at": datetime.now(UTC).isoformat(),
        }
        await self.link.publish(self.client, Up.STATUS, report | body)

    async def next(self, kind: Down, *, skip_time: bool = True) -> Received:
        """The next message from the centre, which must be of ``kind`` (``time``
        messages skipped unless asked for)."""
        while True:
            received = await asyncio.wait_for(self.inbox.get(), WAIT_S)
            if skip_time and received.kind is Down.TIME and kind is not Down.TIME:
                continue
            assert received.kind is kind, f"{received.kind} came, {kind} was expected"
            return received


async def _receive(edge: Edge, order: list[uuid.UUID] | None) -> None:
    async for message in edge.client.messages:
        payload = message_payload(message.payload)
        try:
            checked = edge.link.open(str(message.topic), payload)
        except Dropped as exc:
            edge.link.dropped[exc.rule] += 1
            continue
        if order is not None and checked.kind is not Down.TIME:
            order.append(edge.device.id)
        edge.inbox.put_nowait(Received(checked, payload))


async def _connected(broker: Broker, device: Device) -> aiomqtt.Client:
    """A connection as ``device``, once the broker knows its account."""
    mosquitto = broker.mosquitto
    connected: list[aiomqtt.Client] = []

    async def attempt() -> bool:
        client = device_client(
            mosquitto.host,
            mosquitto.port,
            device_id=device.id,
            password=device.password,
            ca=mosquitto.tls.ca,
            clean_session=True,
        )
        try:
            await client.__aenter__()
        except aiomqtt.MqttError:
            return False
        connected.append(client)
        return True

    await wait_until_async(attempt, f"device {device.id} let in", timeout=WAIT_S, every=0.05)
    return connected[0]


@contextlib.asynccontextmanager
async def online(
    broker: Broker, device: Device, settings: EdgeSettings, order: list[uuid.UUID] | None = None
) -> AsyncIterator[Edge]:
    """``device`` connected and subscribed to its down topics; ``order`` collects the ids
    of devices in the order their (non-time) messages arrive."""
    client = await _connected(broker, device)
    link = DeviceLink(device.id, device.key, settings.snapshot.public_key())
    edge = Edge(device, client, link)
    try:
        await client.subscribe(device_filter(device.id, Direction.DOWN), qos=QOS)
        task = asyncio.create_task(_receive(edge, order))
        try:
            yield edge
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        await client.__aexit__(None, None, None)


def centre_connection(broker: Broker) -> aiomqtt.Client:
    """A connection as the centre with a client id of its own and no kept session."""
    mosquitto = broker.mosquitto
    return connect(
        mosquitto.host,
        mosquitto.port,
        username=CENTRE,
        password=broker.centre_password,
        ca=mosquitto.tls.ca,
        identifier=f"hub-test-{uuid.uuid4().hex[:12]}",
        clean_session=True,
    )


@contextlib.asynccontextmanager
async def running_hub(
    factory: sessionmaker[Session], broker: Broker, *, workers: int = 2
) -> AsyncIterator[EdgeHub]:
    """The hub serving this module's broker: subscribed, following the feed, and the
    broker's accounts written."""
    hub = EdgeHub(
        edge_settings(broker),
        factory,
        connect=lambda: centre_connection(broker),
        workers=workers,
        backoff=(0.05, 0.5),
    )
    serving = asyncio.create_task(hub.serve())
    try:
        await wait_until_async(hub.gateway.subscribed.is_set, "the hub's subscription")
        await wait_until_async(lambda: hub.pusher.seen is not None, "the feed's position")
        await wait_until_async(lambda: hub.accounts.written > 0, "the broker's accounts")
        yield hub
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
