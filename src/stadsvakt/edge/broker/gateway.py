"""The centre's side of the edge broker: what devices publish comes in here, what the
centre sends them goes out through :class:`Publisher`.

:class:`Gateway` subscribes to every device's ``up`` topics. A message is handed to the
handler of its kind only when all of this holds: its topic is an edge ``up`` topic, its
payload is an envelope whose ``device`` and ``kind`` are the topic's, the device is known
(its key is found) and the device's key signed it. Anything else is dropped, counted by
rule in :attr:`Gateway.dropped` and logged; a handler may refuse a body by raising
:class:`Dropped` with its own rule, and its unforeseen failure is counted too
(``handler``). The loop never stops for a message.

The broker's ACL already keeps a device to its own topics; the envelope check stops a
message that was forged past it (a stolen password without the device's key) or sent
through a misconfigured broker.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiomqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from stadsvakt.edge.broker.client import QOS
from stadsvakt.edge.broker.topics import ALL_UP, BadTopic, Direction, Down, Up, parse_topic, topic
from stadsvakt.edge.envelope import BadEnvelope, parse, seal, verify

log = logging.getLogger(__name__)

#: A device's public key by its id (``None``: not enrolled, or revoked); may be async.
KeyLookup = Callable[[uuid.UUID], "Ed25519PublicKey | None | Awaitable[Ed25519PublicKey | None]"]


@dataclass(frozen=True, slots=True)
class DeviceMessage:
    """A verified message from a device: who sent it, what kind, and its signed fields."""

    device_id: uuid.UUID
    kind: Up
    fields: dict[str, Any]

    @property
    def body(self) -> Any:
        """The envelope's body."""
        return self.fields["body"]


Handler = Callable[[DeviceMessage], Awaitable[None]]


def keys_from_database(
    factory: Callable[[], Session],
    find: Callable[[Session, uuid.UUID], Ed25519PublicKey | None],
) -> Callable[[uuid.UUID], Awaitable[Ed25519PublicKey | None]]:
    """A :data:`KeyLookup` that asks ``find`` (``edge.devices.service.public_key_of``) in a
    session of its own, in a worker thread, so the database never blocks the loop."""

    def lookup(device_id: uuid.UUID) -> Ed25519PublicKey | None:
        with factory() as session:
            return find(session, device_id)

    async def key_of(device_id: uuid.UUID) -> Ed25519PublicKey | None:
        return await asyncio.to_thread(lookup, device_id)

    return key_of


class Dropped(Exception):
    """A message the gateway will not hand on; ``rule`` is its counter's name."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule
        self.detail = detail


class Gateway:
    """Receives the devices' ``up`` messages, checks them, and dispatches them by kind."""

    def __init__(self, keys: KeyLookup, handlers: Mapping[Up, Handler]) -> None:
        self._keys = keys
        self._handlers = dict(handlers)
        #: Messages dropped, by rule (``topic``, ``json``, ``sig``, ``device``, ``kind``,
        #: ``unknown_device``, ``key_lookup``, ``signature``, ``no_handler``, ``handler``...).
        self.dropped: Counter[str] = Counter()
        #: Messages handed to a handler, by kind.
        self.handled: Counter[str] = Counter()
        #: Set while subscribed (readiness, tests).
        self.subscribed = asyncio.Event()

    async def serve(
        self,
        connect: Callable[[], aiomqtt.Client],
        *,
        backoff: tuple[float, float] = (1.0, 60.0),
    ) -> None:
        """Connect with ``connect()`` and :meth:`run` until cancelled, connecting again with
        exponential backoff whenever the broker is away."""
        first, longest = backoff
        delay = first
        while True:
            try:
                async with connect() as client:
                    delay = first
                    await self.run(client)
            except aiomqtt.MqttError as exc:
                log.warning("edge broker unreachable or lost (%s); again in %.1f s", exc, delay)
            except Exception:  # a bug here must not stop the centre's serving: retry instead
                log.exception("edge gateway failed; connecting again in %.1f s", delay)
            # Jitter, so many centres' processes do not reconnect to a restarted broker in step.
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, longest)

    async def run(self, client: aiomqtt.Client) -> None:
        """Subscribe on a connected ``client`` and handle messages until cancelled or the
        connection is lost (``aiomqtt.MqttError``: :meth:`serve` reconnects)."""
        await client.subscribe(ALL_UP, qos=QOS)
        self.subscribed.set()
        log.info("edge gateway subscribed to %s", ALL_UP)
        try:
            async for message in client.messages:
                await self.receive(str(message.topic), message_payload(message.payload))
        finally:
            self.subscribed.clear()

    async def receive(self, name: str, payload: bytes) -> bool:
        """Check and dispatch one message; ``False`` if it was dropped (counted, logged)."""
        try:
            checked = await self.check(name, payload)
        except Dropped as exc:
            self._drop(exc.rule, name, exc.detail)
            return False
        handler = self._handlers.get(checked.kind)
        if handler is None:
            self._drop("no_handler", name, f"nothing handles {checked.kind}")
            return False
        try:
            await handler(checked)
        except Dropped as exc:  # the handler refused the body: counted by its rule
            self._drop(exc.rule, name, exc.detail)
            return False
        except Exception:  # one handler's failure must not stop the other devices' messages
            self.dropped["handler"] += 1
            log.exception("edge %s handler failed for device %s", checked.kind, checked.device_id)
            return False
        self.handled[checked.kind] += 1
        return True

    async def check(self, name: str, payload: bytes) -> DeviceMessage:
        """The verified message on topic ``name``, or :class:`Dropped` saying why not."""
        try:
            device_id, direction, kind = parse_topic(name)
        except BadTopic as exc:
            raise Dropped("topic", str(exc)) from None
        if direction is not Direction.UP:
            raise Dropped("topic", f"{name} is a centre-to-device topic")
        try:
            envelope = parse(payload)
        except BadEnvelope as exc:
            raise Dropped(exc.rule, str(exc)) from None
        if envelope["device"] != str(device_id):
            raise Dropped("device", f"the envelope's device is not the topic's ({device_id})")
        if envelope["kind"] != kind:
            raise Dropped("kind", f"the envelope's kind is not the topic's ({kind})")
        try:
            key = self._keys(device_id)
            if inspect.isawaitable(key):
                key = await key
        except Exception as exc:  # the database is away: this message is lost, not the loop
            log.exception("looking up the key of device %s failed", device_id)
            raise Dropped("key_lookup", f"the key of {device_id} could not be read") from exc
        if key is None:
            raise Dropped("unknown_device", f"no key for device {device_id}")
        try:
            fields = verify(envelope, key)
        except BadEnvelope as exc:
            raise Dropped(exc.rule, f"device {device_id}: {exc}") from None
        return DeviceMessage(device_id, Up(kind), fields)

    def _drop(self, rule: str, name: str, detail: str) -> None:
        self.dropped[rule] += 1
        log.warning("edge message on %s dropped (%s): %s", name, rule, detail)


class Publisher:
    """Sends the centre's messages to devices, sealed with the centre's edge key."""

    def __init__(self, client: aiomqtt.Client, key: Ed25519PrivateKey) -> None:
        self._client = client
        self._key = key

    @staticmethod
    def seal(
        device_id: uuid.UUID, kind: Down, body: Any, key: Ed25519PrivateKey, **extra: Any
    ) -> bytes:
        """The payload of a ``kind`` message to a device (``extra`` keys are signed too)."""
        return seal({"kind": str(kind), "device": str(device_id), "body": body, **extra}, key)

    async def publish(self, device_id: uuid.UUID, kind: Down, body: Any, **extra: Any) -> None:
        """Publish a sealed ``kind`` message on the device's down topic (QoS 1, not retained)."""
        payload = self.seal(device_id, kind, body, self._key, **extra)
        await self._client.publish(topic(device_id, Direction.DOWN, kind), payload, qos=QOS)

    async def publish_sealed(self, device_id: uuid.UUID, payload: bytes) -> None:
        """Publish an envelope sealed elsewhere (``snapshot.build.seal_snapshot``,
        ``snapshot.delta.seal_delta``) on the topic its ``kind`` and ``device`` name."""
        envelope = parse(payload)
        if envelope["device"] != str(device_id):
            raise ValueError(f"the envelope is for device {envelope['device']}, not {device_id}")
        kind = Down(envelope["kind"])
        await self._client.publish(topic(device_id, Direction.DOWN, kind), payload, qos=QOS)


def message_payload(payload: object) -> bytes:
    """An aiomqtt message payload as bytes."""
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if payload is None:
        return b""
    return str(payload).encode()
