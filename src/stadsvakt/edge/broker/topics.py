"""The edge's MQTT topic scheme, as pure functions.

``stadsvakt/edge/{device_id}/{direction}/{kind}``: the centre publishes ``down`` topics
(``snapshot``, ``delta``, ``command``, ``time``) that only the device may read, and the
device publishes ``up`` topics (``status``, ``events``, ``hello``) that only the centre
reads. A device's MQTT username is its id as a string, so the broker's ACL patterns on
``%u`` (Mosquitto) or ``${username}`` (EMQX) keep each device to its own topics.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

#: The first two levels of every edge topic.
ROOT = "stadsvakt/edge"


class Direction(StrEnum):
    """Who publishes: the centre (``down``) or the device (``up``)."""

    DOWN = "down"
    UP = "up"


class Down(StrEnum):
    """What the centre sends a device."""

    SNAPSHOT = "snapshot"
    DELTA = "delta"
    COMMAND = "command"
    TIME = "time"


class Up(StrEnum):
    """What a device sends the centre."""

    STATUS = "status"
    EVENTS = "events"
    HELLO = "hello"


KINDS: dict[Direction, frozenset[str]] = {
    Direction.DOWN: frozenset(Down),
    Direction.UP: frozenset(Up),
}


class BadTopic(ValueError):
    """A topic that is not an edge topic; ``rule`` says which part is wrong."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule


def topic(device_id: uuid.UUID, direction: Direction | str, kind: str) -> str:
    """The topic of ``kind`` messages in ``direction`` for one device."""
    way = Direction(direction)
    if kind not in KINDS[way]:
        raise BadTopic("kind", f"{kind!r} is not a {way} kind ({', '.join(sorted(KINDS[way]))})")
    return f"{ROOT}/{device_id}/{way}/{kind}"


def parse_topic(name: str) -> tuple[uuid.UUID, Direction, str]:
    """The device, direction and kind of an edge topic, or :class:`BadTopic`."""
    parts = name.split("/")
    if len(parts) != 5 or "/".join(parts[:2]) != ROOT:
        raise BadTopic("shape", f"{name!r} is not {ROOT}/<device>/<up|down>/<kind>")
    device, direction, kind = parts[2:]
    try:
        device_id = uuid.UUID(device)
    except ValueError:
        raise BadTopic("device", f"{device!r} is not a device id (a UUID)") from None
    # Only the canonical spelling: the broker's ACL compares the username as text.
    if str(device_id) != device:
        raise BadTopic("device", f"{device!r} is not written as {device_id}")
    try:
        way = Direction(direction)
    except ValueError:
        raise BadTopic("direction", f"{direction!r} is neither up nor down") from None
    if kind not in KINDS[way]:
        raise BadTopic("kind", f"{kind!r} is not a {way} kind")
    return device_id, way, kind


def device_filter(device_id: uuid.UUID, direction: Direction) -> str:
    """The subscription filter of all of one device's topics in one direction."""
    return f"{ROOT}/{device_id}/{Direction(direction)}/#"


#: What the centre subscribes to: every device's up topics.
ALL_UP = f"{ROOT}/+/{Direction.UP}/#"
#: Everything below the edge root (the centre's ACL).
ALL = f"{ROOT}/#"
