"""Helpers of the live queue's tests: activations written as the intake writes them
(numbered on the feed), and a reader of server-sent events."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from stadsvakt.centre import feed
from stadsvakt.centre.models import Activation, ActivationKind, ActivationState
from stadsvakt.db import utcnow
from stadsvakt.org.models import Municipality, Site


def open_activation(
    session: Session,
    tenant: Municipality,
    site: Site | None = None,
    *,
    priority: int = 4,
    category: str = "intrusion",
    title: str = "Burglary",
    opened_at: datetime | None = None,
    minutes_ago: float = 0,
) -> Activation:
    """A new activation in the queue, announced on the feed as ``new``."""
    moment = opened_at or utcnow() - timedelta(minutes=minutes_ago)
    activation = Activation(
        id=uuid.uuid4(),
        tenant_id=tenant.id,
        site_id=None if site is None else site.id,
        kind=ActivationKind.ALARM,
        category=category,
        code="BA",
        priority=priority,
        title=title,
        group_key=f"test|{uuid.uuid4()}",
        state=ActivationState.OPEN,
        opened_at=moment,
        last_event_at=moment,
        event_count=1,
        zones=[],
        version=1,
    )
    session.add(activation)
    feed.publish(session, [(activation, feed.NEW)])
    return activation


def change(
    session: Session,
    activation: Activation,
    kind: str = feed.UPDATED,
    *,
    state: ActivationState | None = None,
    claimed_by: str | None = None,
) -> int:
    """Change an activation as handling would (a new version), announced on the feed."""
    if state is not None:
        activation.state = state
    if claimed_by is not None:
        activation.claimed_by_name = claimed_by
    activation.version += 1
    return feed.publish(session, [(activation, kind)])


@dataclass
class Event:
    """One server-sent event as a browser parses it."""

    event: str = "message"
    id: str | None = None
    data: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        """The event's data, parsed."""
        return json.loads(self.data)

    @property
    def seq(self) -> int:
        """The event's id as a feed number."""
        assert self.id is not None
        return int(self.id)


def parse(lines: Iterable[str]) -> Iterator[Event | None]:
    """Events from the lines of a ``text/event-stream`` (``None`` for a comment, such as
    a heartbeat, and for a block that carries no data)."""
    current = Event()
    seen = False
    for line in lines:
        if line == "":
            yield current if current.data or current.event != "message" else None
            current, seen = Event(), False
            continue
        if line.startswith(":"):
            yield None
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        seen = True
        current.fields[name] = value
        if name == "event":
            current.event = value
        elif name == "id":
            current.id = value
        elif name == "data":
            current.data = f"{current.data}\n{value}" if current.data else value
    if seen:
        yield current


def until(events: Iterable[Event | None], kind: str) -> list[Event]:
    """The events up to and including the first of ``kind``."""
    taken: list[Event] = []
    for event in events:
        if event is None:
            continue
        taken.append(event)
        if event.event == kind:
            return taken
    raise AssertionError(f"the stream ended before a {kind!r} event: {taken}")
