"""What the hub does with each kind of message a device sends (after the gateway has
checked its topic, envelope and signature).

- ``hello``: remember the version the device holds, send it the time, and ask for its
  delta (or snapshot).
- ``status``: keep the report and its doors' states (``record_status``,
  ``record_door_states``) in a session of its own, committed here.
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
from stadsvakt.edge.devices.live import record_door_states
from stadsvakt.edge.devices.service import record_status
from stadsvakt.edge.hub.messages import HelloBody, StatusBody, read_body
from stadsvakt.edge.hub.push import Pusher
from stadsvakt.edge.hub.queue import Priority
from stadsvakt.edge.hub.registry import Registry
from stadsvakt.edge.ingest.schemas import UploadBody, UploadRefused
from stadsvakt.edge.ingest.service import receive_events
from stadsvakt.errors import DomainError, NotFound


def time_body(now: datetime) -> dict[str, str]:
    """The body of a ``time`` message: the centre's clock in UTC."""
    return {"now": now.isoformat()}


def _record_status(
    factory: Callable[[], Session], device_id: uuid.UUID, body: StatusBody, seen_at: datetime
) -> None:
    with factory() as session:
        record_status(
            session,
            device_id,
            software_version=body.software_version,
            health=body.health,
            health_detail=body.health_detail,
            snapshot_version=body.snapshot_version or 0,
            pending_events=body.pending_events,
            clock_drift_ms=body.clock_drift_ms,
            seen_at=seen_at,
        )
        states = {str(door): state.value for door, state in body.doors.items()}
        record_door_states(session, device_id, states, body.at)
        session.commit()


def _store_events(factory: Callable[[], Session], device_id: uuid.UUID, body: UploadBody) -> None:
    with factory() as session:
        receive_events(session, device_id=device_id, events=body.events, received_at=utcnow())
        session.commit()


def _rule(error: DomainError, fallback: str) -> str:
    """The rule an :class:`~stadsvakt.errors.InvalidInput` names, else ``fallback``."""
    errors = error.extra.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("rule", fallback))
    return fallback


class Handlers:
    """The gateway's handlers, sharing the hub's registry, pusher and connection."""

    def __init__(
        self,
        factory: Callable[[], Session],
        registry: Registry,
        pusher: Pusher,
        publisher: Callable[[], Publisher | None],
        background: Callable[[Coroutine[Any, Any, None], str], None],
    ) -> None:
        self._factory = factory
        self._registry = registry
        self._pusher = pusher
        self._publisher = publisher
        self._background = background

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
        """Keep the device's report and its doors' states."""
        body = read_body(StatusBody, "status", message.body)
        try:
            await asyncio.to_thread(
                _record_status, self._factory, message.device_id, body, utcnow()
            )
        except NotFound:
            self._pusher.forget(message.device_id)
            raise Dropped("unknown_device", f"device {message.device_id} is revoked") from None
        except DomainError as exc:
            raise Dropped(_rule(exc, "status_body"), str(exc)) from None
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
