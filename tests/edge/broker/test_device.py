"""A device's link: what it publishes the gateway accepts; of what arrives on its down
topics, only the centre's signed messages for it are handed on."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stadsvakt.edge.broker.device import CentreMessage, DeviceLink
from stadsvakt.edge.broker.gateway import DeviceMessage, Dropped, Gateway, Publisher
from stadsvakt.edge.broker.topics import Direction, Down, Up, topic
from stadsvakt.edge.envelope import seal
from tests.edge.conftest import EdgeBroker, make_device
from tests.waiting import wait_until_async

CENTRE_KEY = Ed25519PrivateKey.generate()
DEVICE = make_device()
OTHER = make_device()


def _link() -> DeviceLink:
    return DeviceLink(DEVICE.id, DEVICE.key, CENTRE_KEY.public_key())


def _down(kind: str, *, device: Any = DEVICE, key: Ed25519PrivateKey = CENTRE_KEY) -> bytes:
    return seal({"kind": kind, "device": str(device.id), "body": {"k": kind}}, key)


@pytest.mark.parametrize("kind", list(Down))
def test_the_centre_s_message_opens(kind: Down) -> None:
    payload = _down(kind)
    message = _link().open(topic(DEVICE.id, Direction.DOWN, kind), payload)
    assert message == CentreMessage(
        kind, {"kind": kind, "device": str(DEVICE.id), "body": {"k": kind}}, payload
    )


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("another device's topic", "topic"),
        ("an up topic", "topic"),
        ("for another device", "device"),
        ("another kind", "kind"),
        ("signed by a device", "signature"),
        ("unsigned", "sig"),
    ],
)
def test_anything_else_is_dropped_by_rule(case: str, rule: str) -> None:
    mine = topic(DEVICE.id, Direction.DOWN, Down.COMMAND)
    name, payload = {
        "another device's topic": (topic(OTHER.id, Direction.DOWN, "command"), _down("command")),
        "an up topic": (topic(DEVICE.id, Direction.UP, "status"), _down("status")),
        "for another device": (mine, _down("command", device=OTHER)),
        "another kind": (mine, _down("time")),
        "signed by a device": (mine, _down("command", key=DEVICE.key)),
        "unsigned": (mine, json.dumps({"kind": "command", "device": "x", "body": 1}).encode()),
    }[case]
    with pytest.raises(Dropped) as dropped:
        _link().open(name, payload)
    assert dropped.value.rule == rule


def test_what_a_device_seals_the_gateway_accepts() -> None:
    received: list[DeviceMessage] = []

    async def handle(message: DeviceMessage) -> None:
        received.append(message)

    gateway = Gateway({DEVICE.id: DEVICE.key.public_key()}.get, {Up.EVENTS: handle})
    name, payload = _link().seal(Up.EVENTS, {"events": []}, batch=3)
    assert asyncio.run(gateway.receive(name, payload))
    assert received[0].fields == {
        "kind": "events",
        "device": str(DEVICE.id),
        "body": {"events": []},
        "batch": 3,
    }


def test_over_the_broker_the_device_hands_on_the_centre_s_messages_only(
    edge_broker: EdgeBroker,
) -> None:
    device = edge_broker.devices[2]
    link = DeviceLink(device.id, device.key, CENTRE_KEY.public_key())
    got: list[CentreMessage] = []

    async def handle(message: CentreMessage) -> None:
        got.append(message)

    async def scenario() -> None:
        async with edge_broker.centre() as centre, edge_broker.device(device) as edge:
            running = asyncio.create_task(link.run(edge, handle))
            await wait_until_async(link.subscribed.is_set, "the device to subscribe")
            forged = Publisher(centre, Ed25519PrivateKey.generate())
            await forged.publish(device.id, Down.COMMAND, {"mode": "open"})
            await Publisher(centre, CENTRE_KEY).publish(device.id, Down.COMMAND, {"mode": "lock"})
            await wait_until_async(lambda: len(got) == 1, "the centre's command")
            running.cancel()
            with pytest.raises(asyncio.CancelledError):
                await running

    asyncio.run(scenario())
    assert [(m.kind, m.body) for m in got] == [(Down.COMMAND, {"mode": "lock"})]
    assert link.dropped == {"signature": 1}
