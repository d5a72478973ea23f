"""Many edges in one asyncio process, and the centre's edge hub on a thread of its own.

A :class:`SimulatedEdge` is what an agent's MQTT link does with its rights, without its
doors' hardware: its own aiomqtt connection (TLS, its enrolment password) through a
:class:`~stadsvakt.edge.broker.device.DeviceLink`, a ``hello`` with the version held,
and the centre's snapshots, deltas and ``revoke`` commands taken by the agent's own
:class:`~stadsvakt.edge.agent.rights.Rights` (checked with the centre's key, pending
revocations kept over deltas). After each message it asks ``decide()`` whether the
watched card still opens its door, and notes the ``time.perf_counter()`` when it first
does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiomqtt
from sqlalchemy.orm import Session

from benchmarks.edge.centre import EnrolledDevice
from stadsvakt.access.decide import DecisionRequest, decide
from stadsvakt.access.identifiers import CARD
from stadsvakt.alarms.receivers.run import loop_factory
from stadsvakt.edge.agent.rights import Rights
from stadsvakt.edge.agent.status import hello_body
from stadsvakt.edge.broker.client import KEEPALIVE_S, device_client, tls_context
from stadsvakt.edge.broker.device import CentreMessage, DeviceLink
from stadsvakt.edge.broker.topics import Down, Up
from stadsvakt.edge.hub import EdgeHub
from stadsvakt.edge.settings import EdgeSettings
from stadsvakt.edge.snapshot.verify import SnapshotRefused

T = TypeVar("T")


class SimulatedEdge:
    """One edge device's link and rights, watching one card at its one door."""

    def __init__(
        self, device: EnrolledDevice, tenant_id: uuid.UUID, settings: EdgeSettings, card: str
    ) -> None:
        centre_key = settings.snapshot.public_key()
        self.device = device
        self.door_id = device.door_ids[0]
        self.tenant_id = tenant_id
        self.card = card
        self.link = DeviceLink(device.id, device.key, centre_key)
        self.rights = Rights(centre_key, device.id, tenant_id)
        self.taken: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        #: Set once a snapshot is held and the card opens the door on it.
        self.ready = asyncio.Event()
        #: Set once the card no longer opens the door after :attr:`watch_from`.
        self.denied = asyncio.Event()
        self.watch_from: float | None = None
        self.denied_at: float | None = None
        self.denied_by = ""
        #: When the first ``revoke`` command after :attr:`watch_from` reached the handler.
        self.command_at: float | None = None

    def opens(self) -> bool:
        """Whether ``decide()`` opens the door for the card on the rights held now."""
        request = DecisionRequest(self.tenant_id, self.door_id, self.card, CARD)
        return decide(request, self.rights.decision_state(), datetime.now(UTC)).granted

    async def handle(self, message: CentreMessage) -> None:
        """Take a verified message from the centre as the agent's link does."""
        kind = "revoke" if message.kind is Down.COMMAND else str(message.kind)
        if kind == "revoke" and self.watch_from is not None and self.command_at is None:
            self.command_at = time.perf_counter()
        try:
            if message.kind is Down.SNAPSHOT:
                self.rights.snapshot(message.payload)
            elif message.kind is Down.DELTA:
                self.rights.delta(message.payload)
            elif message.kind is Down.COMMAND:
                if self.rights.revoke(message.payload) is None:
                    raise SnapshotRefused("replay", "covered by the version held")
            else:
                self.taken[kind] += 1
                return
        except SnapshotRefused as exc:
            self.refused[f"{kind}:{exc.rule}"] += 1
            return
        self.taken[kind] += 1
        self._look(kind)

    def _look(self, kind: str) -> None:
        opens = self.opens()
        if self.watch_from is None:
            if opens and self.rights.state is not None:
                self.ready.set()
        elif not opens and self.denied_at is None:
            self.denied_at = time.perf_counter()
            self.denied_by = kind
            self.denied.set()

    async def run(self, host: str, port: int, ca: Path, slots: asyncio.Semaphore) -> None:
        """Connect (``slots`` bounds the TLS handshakes under way), subscribe, say hello
        and take the centre's messages until cancelled."""
        client = device_client(
            host,
            port,
            device_id=self.device.id,
            password=self.device.mqtt_password,
            ca=ca,
            clean_session=True,
        )
        async with slots:
            await client.__aenter__()
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self.link.run(client, self.handle))
                await self.link.subscribed.wait()
                await self.link.publish(client, Up.HELLO, hello_body(None, "bench"))
        finally:
            await client.__aexit__(None, None, None)


def _hub_client(settings: EdgeSettings, inflight: int) -> Callable[[], aiomqtt.Client]:
    """The hub's connection as ``centre_client`` makes it, but with ``inflight`` QoS 1
    messages awaiting their PUBACK at once (paho's default is 20): a what-if."""
    broker = settings.broker
    password = broker.centre_password.get_secret_value() if broker.centre_password else ""

    def make() -> aiomqtt.Client:
        return aiomqtt.Client(
            broker.host,
            broker.port,
            username=broker.centre_username,
            password=password,
            identifier=f"{broker.centre_username}-hub",
            clean_session=False,
            tls_context=tls_context(broker.tls_ca),
            keepalive=KEEPALIVE_S,
            timeout=10.0,
            max_inflight_messages=inflight,
        )

    return make


#: How long the hub may take to connect and subscribe.
START_TIMEOUT_S = 30.0


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop where it is installed, as ``stadsvakt serve`` runs the hub
    (uvicorn's loop); asyncio's own loop otherwise."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)


class HubThread:
    """The centre's :class:`EdgeHub` serving on its own event loop and thread, as the
    centre's process runs it beside its API."""

    def __init__(
        self,
        settings: EdgeSettings,
        factory: Callable[[], Session],
        *,
        inflight: int | None = None,
    ) -> None:
        connect = None if inflight is None else _hub_client(settings, inflight)
        self.hub = EdgeHub(settings, factory, connect=connect)
        self._thread = threading.Thread(target=run_loop, args=(self._main(),), name="hub")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self.hub.serve())
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def __enter__(self) -> HubThread:
        self._thread.start()
        # Devices' hellos published before the hub subscribes to them would be lost (no
        # session holds them yet): wait for its subscription.
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.hub.gateway.subscribed.is_set():
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.__exit__()
                raise RuntimeError("the edge hub did not subscribe to the devices' topics")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(30)
