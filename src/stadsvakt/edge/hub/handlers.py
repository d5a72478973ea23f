"""What the hub does with each kind of message a device sends (after the gateway has
checked its topic, envelope and signature).

- ``hello``: remember the version the device holds, send it the time, and ask for its
  delta (or snapshot).
- ``status``: queue the report and its doors' states for the
  :class:`~.statuses.StatusWriter` (``record_status``, ``record_door_states``, stored
  in batches and committed there).
- ``events``: the same body as ``POST /api/v1/edge/events``, stored by the same service.

A body that breaks the contract raises :class:`~stadsvakt.edge.broker.gateway.Dropped`
with its rule, and the gateway counts it. Database work runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.db import utcnow
from stadsvakt.edge.broker.gateway import DeviceMessage, Dropped, Handler, Publisher
from stadsvakt.edge.broker.topics import Down, Up
from stadsvakt.edge.hub.messages import HelloBody, StatusBody, read_body
from stadsvakt.edge.hub.push import Pusher
from stadsvakt.edge.hub.queue import Priority
from stadsvakt.edge.hub.registry import Registry
from stadsvakt.edge.hub.statuses import Report, StatusWriter
from stadsvakt.edge.ingest.schemas import UploadBody, UploadRefused
from stadsvakt.edge.ingest.service import receive_events


def time_body(now: datetime) -> dict[str, str]:
    """The body of a ``time`` message: the centre's clock in UTC."""
    return {"now": now.isoformat()}


def _store_events(factory: Callable[[], Session], device_id: uuid.UUID, body: UploadBody) -> None:
    with factory() as session:
        receive_events(session, device_id=device_id, events=body.events, received_at=utcnow())
        session.commit()


class Handlers:
    """The gateway's handlers, sharing the hub's registry, pusher and connection."""

    def __init__(
        self,
        factory: Callable[[], Session],
        registry: Registry,
        pusher: Pusher,
        publisher: Callable[[], Publisher | None],
        background: Callable[[Coroutine[Any, Any, None], str], None],
        statuses: StatusWriter,
    ) -> None:
        self._factory = factory
        self._registry = registry
        self._pusher = pusher
        self._publisher = publisher
        self._background = background
        self._statuses = statuses

    def table(self) -> dict[Up, Handler]:
        """Handler by kind, for :class:`~stadsvakt.edge.broker.gateway.Gateway`."""
        return {Up.HELLO: self.hello, Up.STATUS: self.status, Up.EVENTS: self.events}

    async def hello(self, message: DeviceMessage) -> None:
        """The device (re)connected: believe its version, send the time, then sync it."""
        body = read_body(HelloBody, "hello", message.body)
        self._registry.hello(message.device_id, body.snapshot_version)
        publisher = self._publisher()
        if publisher is not None:
            # Not awaited here: the next device's message need not wait for this PUBACK.
            sending = publisher.publish(message.device_id, Down.TIME, time_body(utcnow()))
            self._background(sending, f"sending the time to {message.device_id}")
        self._pusher.want(message.device_id, Priority.HELLO)

    async def status(self, message: DeviceMessage) -> None:
        """Queue the device's report and its doors' states to be stored."""
        body = read_body(StatusBody, "status", message.body)
        self._statuses.add(Report(message.device_id, body, utcnow()))
        if self._registry.status(message.device_id, body.snapshot_version):
            # Known to the broker but not to this hub (it restarted): bring it up to date.
            self._pusher.want(message.device_id, Priority.HELLO)

    async def events(self, message: DeviceMessage) -> None:
        """Store uploaded events, each once (as the HTTP upload does)."""
        try:
            body = UploadBody.model_validate(message.body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise Dropped("events_body", f"events body.{where}: {first['msg']}") from None
        try:
            await asyncio.to_thread(_store_events, self._factory, message.device_id, body)
        except UploadRefused as exc:
            raise Dropped(exc.rule, str(exc)) from None
