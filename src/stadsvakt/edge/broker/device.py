"""A device's side of the edge broker: its own messages signed on the way up, the
centre's checked on the way down.

:class:`DeviceLink` is the mirror of :class:`~stadsvakt.edge.broker.gateway.Gateway`: a
``down`` message is handed on only when its topic is this device's, its envelope names
this device and the topic's kind, and the centre's edge key signed it; anything else is
dropped and counted by rule in :attr:`DeviceLink.dropped`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiomqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from stadsvakt.edge.broker.client import QOS
from stadsvakt.edge.broker.gateway import Dropped, message_payload
from stadsvakt.edge.broker.topics import BadTopic, Direction, Down, Up, device_filter, parse_topic
from stadsvakt.edge.broker.topics import topic as topic_of
from stadsvakt.edge.envelope import BadEnvelope, parse, seal, verify

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CentreMessage:
    """A verified message from the centre: its kind, signed fields and the signed bytes
    as they came (a snapshot or delta is checked again from them, and kept on disk)."""

    kind: Down
    fields: dict[str, Any]
    payload: bytes = b""

    @property
    def body(self) -> Any:
        """The envelope's body."""
        return self.fields["body"]


class DeviceLink:
    """One device's MQTT traffic: signed publishing, checked receiving."""

    def __init__(
        self, device_id: uuid.UUID, key: Ed25519PrivateKey, centre_key: Ed25519PublicKey
    ) -> None:
        self.device_id = device_id
        self._key = key
        self._centre_key = centre_key
        #: Messages dropped, by rule (as the gateway's).
        self.dropped: Counter[str] = Counter()
        #: Set while subscribed to its down topics.
        self.subscribed = asyncio.Event()

    def seal(self, kind: Up, body: Any, **extra: Any) -> tuple[str, bytes]:
        """The topic and signed payload of an ``up`` message (``extra`` keys signed too)."""
        fields = {"kind": str(kind), "device": str(self.device_id), "body": body, **extra}
        return topic_of(self.device_id, Direction.UP, kind), seal(fields, self._key)

    async def publish(self, client: aiomqtt.Client, kind: Up, body: Any, **extra: Any) -> None:
        """Publish a signed ``up`` message (QoS 1, not retained)."""
        name, payload = self.seal(kind, body, **extra)
        await client.publish(name, payload, qos=QOS)

    def open(self, name: str, payload: bytes) -> CentreMessage:
        """The centre's verified message on topic ``name``, or :class:`Dropped`."""
        try:
            device_id, direction, kind = parse_topic(name)
        except BadTopic as exc:
            raise Dropped("topic", str(exc)) from None
        if device_id != self.device_id or direction is not Direction.DOWN:
            raise Dropped("topic", f"{name} is not this device's down topic")
        try:
            envelope = parse(payload)
            if envelope["device"] != str(self.device_id):
                raise Dropped("device", "the envelope is for another device")
            if envelope["kind"] != kind:
                raise Dropped("kind", f"the envelope's kind is not the topic's ({kind})")
            fields = verify(envelope, self._centre_key)
        except BadEnvelope as exc:
            raise Dropped(exc.rule, str(exc)) from None
        return CentreMessage(Down(kind), fields, payload)

    async def run(
        self, client: aiomqtt.Client, handle: Callable[[CentreMessage], Awaitable[None]]
    ) -> None:
        """Subscribe to this device's down topics on a connected ``client`` and hand each
        verified message to ``handle`` until cancelled or the connection is lost."""
        await client.subscribe(device_filter(self.device_id, Direction.DOWN), qos=QOS)
        self.subscribed.set()
        try:
            async for message in client.messages:
                name = str(message.topic)
                try:
                    checked = self.open(name, message_payload(message.payload))
                except Dropped as exc:
                    self.dropped[exc.rule] += 1
                    log.warning("centre message on %s dropped (%s): %s", name, exc.rule, exc.detail)
                    continue
                try:
                    await handle(checked)
                except Exception:  # a handler's failure must not stop the link
                    self.dropped["handler"] += 1
                    log.exception("handling the centre's %s failed", checked.kind)
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # On Python 3.11 a publish in the handler (asyncio.wait_for) may have
                    # swallowed the cancellation; a task group would wait here for ever.
                    raise asyncio.CancelledError
        finally:
            self.subscribed.clear()
