"""The centre's gateway: only a device's own, correctly signed messages reach a handler;
everything else is dropped and counted by rule, and the loop goes on."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from typing import Any

import aiomqtt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.edge.broker.client import QOS
from stadsvakt.edge.broker.embedded import EmbeddedBroker, embedded_broker
from stadsvakt.edge.broker.gateway import DeviceMessage, Gateway, Publisher, keys_from_database
from stadsvakt.edge.broker.passwords import mosquitto_hash
from stadsvakt.edge.broker.topics import Direction, Down, Up, device_filter, topic
from stadsvakt.edge.envelope import open_envelope, seal
from tests.edge.conftest import EdgeBroker, EdgeDevice, make_device
from tests.waiting import wait_until_async

WAIT_S = 20.0
DEVICE = make_device()
STRANGER = make_device()


def _gateway(*devices: EdgeDevice) -> tuple[Gateway, list[DeviceMessage]]:
    received: list[DeviceMessage] = []
    keys = {d.id: d.key.public_key() for d in devices}

    async def handle(message: DeviceMessage) -> None:
        received.append(message)

    handlers = {Up.STATUS: handle, Up.EVENTS: handle, Up.HELLO: handle}
    return Gateway(keys.get, handlers), received


def _sealed(device: EdgeDevice, kind: str, body: Any = None, *, key: Any = None) -> bytes:
    fields = {"kind": kind, "device": str(device.id), "body": body or {"n": 1}}
    return seal(fields, key or device.key)


def _up(device: EdgeDevice, kind: str) -> str:
    return topic(device.id, Direction.UP, kind)


@pytest.mark.parametrize("kind", list(Up))
def test_a_good_message_reaches_its_kind_s_handler(kind: Up) -> None:
    gateway, received = _gateway(DEVICE)
    assert asyncio.run(gateway.receive(_up(DEVICE, kind), _sealed(DEVICE, kind, {"k": kind})))
    assert [(m.device_id, m.kind, m.body) for m in received] == [(DEVICE.id, kind, {"k": kind})]
    assert gateway.handled == {kind: 1} and not gateway.dropped


def _tampered(device: EdgeDevice = DEVICE) -> bytes:
    envelope = json.loads(_sealed(device, "status", {"door": "closed"}))
    envelope["body"] = {"door": "open"}
    return json.dumps(envelope).encode()


def _unsigned(device: EdgeDevice = DEVICE) -> bytes:
    return json.dumps({"kind": "status", "device": str(device.id), "body": {}}).encode()


@pytest.mark.parametrize(
    ("name", "payload", "rule"),
    [
        (_up(DEVICE, "status"), _tampered(), "signature"),
        (_up(DEVICE, "status"), _unsigned(), "sig"),
        (_up(DEVICE, "status"), _sealed(DEVICE, "status", key=STRANGER.key), "signature"),
        (_up(STRANGER, "status"), _sealed(STRANGER, "status"), "unknown_device"),
        (_up(DEVICE, "status"), _sealed(STRANGER, "status"), "device"),
        (_up(DEVICE, "events"), _sealed(DEVICE, "status"), "kind"),
        (topic(DEVICE.id, Direction.DOWN, "time"), _sealed(DEVICE, "time"), "topic"),
        ("stadsvakt/edge/not-a-device/up/status", _sealed(DEVICE, "status"), "topic"),
        (_up(DEVICE, "status"), b"\x00 not json", "json"),
        (_up(DEVICE, "status"), b"[1, 2]", "object"),
    ],
    # The keys and ids are made at import, so each xdist worker has its own: name the
    # cases, so every worker collects the same tests.
    ids=[
        "tampered",
        "unsigned",
        "foreign-signed",
        "unknown-device",
        "another-device-s-envelope",
        "another-kind-s-envelope",
        "down-topic",
        "not-a-device-topic",
        "not-json",
        "not-an-object",
    ],
)
def test_a_bad_message_is_dropped_and_counted_by_rule(name: str, payload: bytes, rule: str) -> None:
    gateway, received = _gateway(DEVICE)
    assert not asyncio.run(gateway.receive(name, payload))
    assert received == []
    assert gateway.dropped == {rule: 1}
    # The loop goes on: the next good message is handled.
    assert asyncio.run(gateway.receive(_up(DEVICE, "status"), _sealed(DEVICE, "status")))
    assert gateway.handled == {Up.STATUS: 1}


def test_a_failing_handler_is_counted_and_the_next_message_is_handled() -> None:
    calls: list[Any] = []

    async def fails_once(message: DeviceMessage) -> None:
        calls.append(message.body)
        if len(calls) == 1:
            raise RuntimeError("the database is away")

    gateway = Gateway({DEVICE.id: DEVICE.key.public_key()}.get, {Up.EVENTS: fails_once})
    assert not asyncio.run(gateway.receive(_up(DEVICE, "events"), _sealed(DEVICE, "events")))
    assert asyncio.run(gateway.receive(_up(DEVICE, "events"), _sealed(DEVICE, "events")))
    assert not asyncio.run(gateway.receive(_up(DEVICE, "hello"), _sealed(DEVICE, "hello")))
    assert gateway.dropped == {"handler": 1, "no_handler": 1}
    assert gateway.handled == {Up.EVENTS: 1} and len(calls) == 2


def test_a_failing_key_lookup_drops_the_message_not_the_loop() -> None:
    calls: list[uuid.UUID] = []

    def flaky(device_id: uuid.UUID) -> Ed25519PublicKey | None:
        calls.append(device_id)
        if len(calls) == 1:
            raise ConnectionError("the database is away")
        return DEVICE.key.public_key()

    received: list[DeviceMessage] = []

    async def handle(message: DeviceMessage) -> None:
        received.append(message)

    gateway = Gateway(flaky, {Up.STATUS: handle})
    assert not asyncio.run(gateway.receive(_up(DEVICE, "status"), _sealed(DEVICE, "status")))
    assert asyncio.run(gateway.receive(_up(DEVICE, "status"), _sealed(DEVICE, "status")))
    assert gateway.dropped == {"key_lookup": 1} and len(received) == 1


def test_the_key_lookup_may_be_async() -> None:
    async def key_of(device_id: uuid.UUID) -> Ed25519PublicKey | None:
        await asyncio.sleep(0)
        return DEVICE.key.public_key() if device_id == DEVICE.id else None

    received: list[DeviceMessage] = []

    async def handle(message: DeviceMessage) -> None:
        received.append(message)

    gateway = Gateway(key_of, {Up.HELLO: handle})
    assert asyncio.run(gateway.receive(_up(DEVICE, "hello"), _sealed(DEVICE, "hello")))
    assert not asyncio.run(gateway.receive(_up(STRANGER, "hello"), _sealed(STRANGER, "hello")))
    assert len(received) == 1 and gateway.dropped == {"unknown_device": 1}


def test_over_the_broker_only_the_good_message_is_dispatched(edge_broker: EdgeBroker) -> None:
    device, other = edge_broker.devices[0], edge_broker.devices[3]
    gateway, received = _gateway(device, other)

    async def scenario() -> None:
        async with edge_broker.centre() as centre, edge_broker.device(device) as edge:
            running = asyncio.create_task(gateway.run(centre))

            async def subscribed() -> bool:
                # The centre may publish on any edge topic, so it sends a good hello of a
                # known device until its own subscription hands one to the handler.
                if not gateway.handled[Up.HELLO]:
                    await centre.publish(_up(other, "hello"), _sealed(other, "hello"), qos=QOS)
                return gateway.handled[Up.HELLO] > 0

            await wait_until_async(subscribed, "the gateway to subscribe")
            up = _up(device, "status")
            foreign = _sealed(device, "status", key=Ed25519PrivateKey.generate())
            for payload in (_tampered(device), _unsigned(device), foreign):
                await edge.publish(up, payload, qos=QOS)
            await edge.publish(up, _sealed(device, "status", {"good": True}), qos=QOS)
            await wait_until_async(lambda: gateway.handled[Up.STATUS] == 1, "the good message")
            running.cancel()
            with pytest.raises(asyncio.CancelledError):
                await running

    asyncio.run(scenario())
    assert [(m.device_id, m.body) for m in received if m.kind is Up.STATUS] == [
        (device.id, {"good": True})
    ]
    # Published before the good one by the same client, so they have all arrived.
    assert gateway.dropped == {"signature": 2, "sig": 1}


def test_the_publisher_seals_with_the_centre_key_for_the_device_only(
    edge_broker: EdgeBroker,
) -> None:
    device = edge_broker.devices[1]
    centre_key = Ed25519PrivateKey.generate()

    async def scenario() -> tuple[str, bytes, str]:
        async with edge_broker.centre() as centre, edge_broker.device(device) as edge:
            await edge.subscribe(device_filter(device.id, Direction.DOWN), qos=QOS)
            publisher = Publisher(centre, centre_key)
            await publisher.publish(device.id, Down.DELTA, {"v": 2}, version=2)
            sealed = Publisher.seal(device.id, Down.SNAPSHOT, {"v": 3}, centre_key, version=3)
            with pytest.raises(ValueError, match="not"):
                await publisher.publish_sealed(uuid.uuid4(), sealed)
            await publisher.publish_sealed(device.id, sealed)
            async with asyncio.timeout(WAIT_S):
                message = await anext(edge.messages)
                then = await anext(edge.messages)
        assert isinstance(message.payload, bytes) and then.payload == sealed
        return str(message.topic), message.payload, str(then.topic)

    name, payload, then = asyncio.run(scenario())
    assert then == topic(device.id, Direction.DOWN, Down.SNAPSHOT)
    assert name == topic(device.id, Direction.DOWN, Down.DELTA)
    assert open_envelope(payload, centre_key.public_key()) == {
        "kind": "delta",
        "device": str(device.id),
        "body": {"v": 2},
        "version": 2,
    }


def test_the_gateway_connects_again_after_the_broker_restarts() -> None:
    device = make_device()
    gateway, received = _gateway(device)
    accounts = [(str(device.id), mosquitto_hash(device.password))]

    def client_for(broker: EmbeddedBroker, username: str, password: str) -> aiomqtt.Client:
        return aiomqtt.Client(
            broker.host, broker.port, username=username, password=password, timeout=WAIT_S
        )

    async def scenario() -> None:
        async with embedded_broker(
            accounts, centre_username="centre", centre_password="pw"
        ) as first:
            port = first.port
            serving = asyncio.create_task(
                gateway.serve(lambda: client_for(first, "centre", "pw"), backoff=(0.01, 0.05))
            )
            await wait_until_async(gateway.subscribed.is_set, "the first subscription")
        await wait_until_async(lambda: not gateway.subscribed.is_set(), "the lost connection")
        async with embedded_broker(
            accounts, centre_username="centre", centre_password="pw", port=port
        ) as second:
            await wait_until_async(gateway.subscribed.is_set, "the second subscription")
            async with client_for(second, str(device.id), device.password) as edge:
                await edge.publish(_up(device, "hello"), _sealed(device, "hello"), qos=QOS)
            await wait_until_async(lambda: gateway.handled[Up.HELLO] == 1, "the hello")
            serving.cancel()
            with pytest.raises(asyncio.CancelledError):
                await serving

    asyncio.run(scenario())
    assert [m.device_id for m in received] == [device.id]


def test_keys_are_looked_up_in_a_session_of_their_own_off_the_loop() -> None:
    engine = create_engine("sqlite://")
    factory = sessionmaker(engine)
    asked: list[tuple[uuid.UUID, bool, int]] = []
    loop_thread = threading.get_ident()

    def public_key_of(session: Session, device_id: uuid.UUID) -> Ed25519PublicKey | None:
        assert session.scalar(text("SELECT 1")) == 1
        asked.append((device_id, threading.get_ident() != loop_thread, id(session)))
        return DEVICE.key.public_key() if device_id == DEVICE.id else None

    received: list[DeviceMessage] = []

    async def handle(message: DeviceMessage) -> None:
        received.append(message)

    gateway = Gateway(keys_from_database(factory, public_key_of), {Up.STATUS: handle})
    assert asyncio.run(gateway.receive(_up(DEVICE, "status"), _sealed(DEVICE, "status")))
    assert not asyncio.run(gateway.receive(_up(STRANGER, "status"), _sealed(STRANGER, "status")))
    engine.dispose()
    assert [(device, off_loop) for device, off_loop, _ in asked] == [
        (DEVICE.id, True),
        (STRANGER.id, True),
    ]
    assert len(received) == 1 and gateway.dropped == {"unknown_device": 1}


def test_an_unforeseen_failure_while_connecting_is_retried() -> None:
    device = make_device()
    gateway, _ = _gateway(device)
    attempts: list[int] = []

    async def scenario() -> None:
        async with embedded_broker([], centre_username="centre", centre_password="pw") as broker:

            def connect() -> aiomqtt.Client:
                attempts.append(1)
                if len(attempts) == 1:
                    raise RuntimeError("a bug in making the client")
                return aiomqtt.Client(
                    broker.host, broker.port, username="centre", password="pw", timeout=WAIT_S
                )

            serving = asyncio.create_task(gateway.serve(connect, backoff=(0.01, 0.05)))
            await wait_until_async(gateway.subscribed.is_set, "the subscription after the bug")
            serving.cancel()
            with pytest.raises(asyncio.CancelledError):
                await serving

    asyncio.run(scenario())
    assert len(attempts) == 2
