"""The centre's edge hub: one receiver (``stadsvakt serve``) that joins the edge's parts.

It connects to the edge broker as the centre and, while connected, runs the
:class:`~stadsvakt.edge.broker.gateway.Gateway` (the devices' ``hello``, ``status`` and
``events``: :mod:`.handlers`), the :class:`~.push.Pusher` (revocations, deltas and
snapshots as the access change feed moves on) and a clock that sends every device the
time every ten minutes; when the connection is lost it connects again with backoff.
Beside it, :class:`~.accounts.AccountSync` keeps the broker's accounts to the enrolled
devices. What it knows of devices (:class:`~.registry.Registry`) outlives a reconnect.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import aiomqtt
from sqlalchemy.orm import Session

from stadsvakt.db import utcnow
from stadsvakt.edge.broker.client import centre_client
from stadsvakt.edge.broker.gateway import Gateway, Publisher
from stadsvakt.edge.broker.passwords import mosquitto_hash
from stadsvakt.edge.broker.topics import Down
from stadsvakt.edge.hub.accounts import AccountSink, AccountSync, embedded_sink, mosquitto_sink
from stadsvakt.edge.hub.handlers import Handlers, time_body
from stadsvakt.edge.hub.keys import KeyCache
from stadsvakt.edge.hub.push import Pusher
from stadsvakt.edge.hub.registry import Registry
from stadsvakt.edge.hub.statuses import StatusWriter
from stadsvakt.edge.settings import EdgeSettings

if TYPE_CHECKING:  # amqtt is loaded only where the demo runs its broker
    from stadsvakt.edge.broker.embedded import EmbeddedBroker

log = logging.getLogger(__name__)

#: Publishes awaiting their PUBACK before aiomqtt warns (a revocation to every device).
PENDING_PUBLISHES = 20_000
#: Seconds between the ``time`` messages to every device.
TIME_EVERY_S = 600.0


class EdgeHub:
    """The edge hub as a receiver: ``serve()`` until cancelled, ``describe()`` for the
    console (see the module docstring)."""

    def __init__(
        self,
        settings: EdgeSettings,
        factory: Callable[[], Session],
        *,
        connect: Callable[[], aiomqtt.Client] | None = None,
        accounts: AccountSink | None = None,
        embedded: EmbeddedBroker | None = None,
        workers: int = 2,
        backoff: tuple[float, float] = (1.0, 60.0),
        time_every_s: float = TIME_EVERY_S,
    ) -> None:
        broker = settings.broker
        self._settings = settings
        self._connect = connect or (
            lambda: centre_client(broker, identifier=f"{broker.centre_username}-hub")
        )
        self._backoff = backoff
        self._time_every_s = time_every_s
        self.registry = Registry()
        self.pusher = Pusher(
            factory,
            self.registry,
            settings.snapshot,
            feed_poll_s=broker.feed_poll_ms / 1000,
            workers=workers,
        )
        self._publisher: Publisher | None = None
        self._keys = KeyCache(factory)
        self._tasks: set[asyncio.Task[None]] = set()
        self.statuses = StatusWriter(factory, self._gone)
        handlers = Handlers(
            factory,
            self.registry,
            self.pusher,
            lambda: self._publisher,
            self._background,
            self.statuses,
        )
        self.gateway = Gateway(self._keys, handlers.table())
        sink = accounts or self._default_sink(embedded)
        # Without a sink it still follows the devices: a revoked one is forgotten.
        self.accounts = AccountSync(
            factory, sink, poll_s=broker.feed_poll_ms / 1000, on_change=self._retain
        )

    def _default_sink(self, embedded: EmbeddedBroker | None) -> AccountSink | None:
        broker = self._settings.broker
        if embedded is not None:
            return embedded_sink(embedded, self._centre_hash())
        if broker.password_file is not None:
            return mosquitto_sink(
                broker.password_file,
                broker.pid_file,
                centre_username=broker.centre_username,
                centre_hash=self._centre_hash(),
            )
        return None

    def _centre_hash(self) -> str:
        # Hashed once: each hash has a new salt, so hashing per write would change the file.
        password = self._settings.broker.centre_password
        if password is None:
            raise ValueError("edge.broker.centre_password is required to write its account")
        return mosquitto_hash(password.get_secret_value())

    def _retain(self, active: set[uuid.UUID]) -> None:
        # A revoked device is sent nothing more, and its messages are dropped.
        self._keys.retain(active)
        for device_id in self.registry.retain(active):
            self.pusher.forget(device_id)
        missing = self._keys.missing(active)
        if missing:
            self._background(asyncio.to_thread(self._keys.load, missing), "reading keys")

    def _gone(self, device_id: uuid.UUID) -> None:
        # Its status came in before the hub saw it revoked: dropped, and it is forgotten.
        self.gateway.dropped["unknown_device"] += 1
        log.warning("edge status of device %s dropped (unknown_device): revoked", device_id)
        self.pusher.forget(device_id)

    def _background(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run ``work`` beside the hub (a reference is kept; a failure is logged)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)

        def finished(done: asyncio.Task[None]) -> None:
            self._tasks.discard(done)
            if not done.cancelled() and done.exception() is not None:
                log.error("edge hub: %s failed", what, exc_info=done.exception())

        task.add_done_callback(finished)

    def describe(self) -> str:
        """One line for the console."""
        broker = self._settings.broker
        return f"Edge hub on MQTT broker {broker.host}:{broker.port} as {broker.centre_username}"

    async def serve(self) -> None:
        """Run until cancelled: connected to the broker (again after each loss), and the
        broker's accounts kept to the enrolled devices."""
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self.accounts.serve())
                tasks.create_task(self.statuses.serve())
                tasks.create_task(self._stay_connected())
        finally:
            for task in self._tasks:
                task.cancel()
            self.pusher.close()

    async def _stay_connected(self) -> None:
        first, longest = self._backoff
        delay = first
        while True:
            try:
                async with self._connect() as client:
                    delay = first
                    await self.run(client)
            except Exception as exc:  # a bug must not stop the centre's serving: retry
                if _being_cancelled():
                    # On 3.11 a TaskGroup whose child failed while it was being cancelled
                    # raises that failure instead: stopping must still stop.
                    raise asyncio.CancelledError from exc
                if _lost(exc):
                    log.warning("edge broker unreachable or lost (%s); again in %.1f s", exc, delay)
                else:
                    log.exception("edge hub failed; connecting again in %.1f s", delay)
            # Jitter, so many processes do not reconnect to a restarted broker in step.
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, longest)

    async def run(self, client: aiomqtt.Client) -> None:
        """On a connected ``client``: the gateway, the pusher and the clock, until
        cancelled or the connection is lost."""
        # A revocation publishes to every device of a municipality at once; aiomqtt would
        # log a warning per publish past its default of 10 awaiting their PUBACK.
        client.pending_calls_threshold = max(client.pending_calls_threshold, PENDING_PUBLISHES)
        publisher = Publisher(client, self._settings.snapshot.private_key())
        self._publisher = publisher
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self.gateway.run(client))
                tasks.create_task(self.pusher.run(publisher))
                tasks.create_task(self._clock(publisher))
        finally:
            self._publisher = None

    async def _clock(self, publisher: Publisher) -> None:
        while True:
            await asyncio.sleep(self._time_every_s)
            body = time_body(utcnow())
            await asyncio.gather(
                *(publisher.publish(device_id, Down.TIME, body) for device_id in self.registry)
            )


def _lost(error: BaseException) -> bool:
    """Whether ``error`` (or every error of a task group's) is the broker going away."""
    if isinstance(error, BaseExceptionGroup):
        return all(_lost(inner) for inner in error.exceptions)
    return isinstance(error, aiomqtt.MqttError)


def _being_cancelled() -> bool:
    """Whether the running task has been asked to stop."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
