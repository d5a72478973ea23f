"""The embedded (amqtt) broker of the demo: passwords from ``$7$`` hashes, no anonymous,
each device kept to its own topics; and its pure topic rules."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import aiomqtt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stadsvakt.edge.broker.client import QOS, tls_context
from stadsvakt.edge.broker.embedded import (
    EmbeddedBroker,
    allowed,
    embedded_broker,
    filter_covered,
    topic_matches,
)
from stadsvakt.edge.broker.passwords import mosquitto_hash
from stadsvakt.edge.broker.tls import write_dev_certificates
from stadsvakt.edge.broker.topics import ALL_UP, Direction, device_filter, topic
from tests.edge.conftest import EdgeDevice, make_device

WAIT_S = 20.0
CENTRE, CENTRE_PW = "centre", "centre-password"

_level = st.sampled_from(["a", "b", "stadsvakt", "edge", "x1"])
_topics = st.lists(_level, min_size=1, max_size=5).map("/".join)
_filters = st.lists(st.sampled_from(["a", "b", "edge", "+"]), min_size=1, max_size=5).flatmap(
    lambda levels: st.sampled_from(["/".join(levels), "/".join([*levels, "#"])])
)


@given(name=_topics)
def test_a_topic_matches_itself_and_hash(name: str) -> None:
    assert topic_matches(name, name)
    assert topic_matches(name, "#")
    assert topic_matches(name, "/".join("+" for _ in name.split("/")))


@given(subscription=_filters, pattern=_filters, name=_topics)
def test_a_covered_filter_matches_nothing_its_pattern_does_not(
    subscription: str, pattern: str, name: str
) -> None:
    if filter_covered(subscription, pattern) and topic_matches(name, subscription):
        assert topic_matches(name, pattern)


@pytest.mark.parametrize(
    ("subscription", "pattern", "covered"),
    [
        ("a/b/#", "a/#", True),
        ("a/b/c", "a/+/c", True),
        ("a/+/c", "a/+/c", True),
        ("a/#", "a/b/#", False),
        ("a/+", "a/b", False),
        ("a/+/#", "a/+", False),
        ("a", "a/#", True),
        ("#", "a/#", False),
    ],
)
def test_a_filter_is_covered_only_by_a_pattern_as_wide(
    subscription: str, pattern: str, covered: bool
) -> None:
    assert filter_covered(subscription, pattern) is covered


def test_the_rules_are_mosquitto_s_acl() -> None:
    me, other = uuid.uuid4(), uuid.uuid4()
    mine = str(me)
    assert allowed(mine, topic(me, "up", "events"), "publish", centre=CENTRE)
    assert not allowed(mine, topic(other, "up", "events"), "publish", centre=CENTRE)
    assert not allowed(mine, topic(me, "down", "command"), "publish", centre=CENTRE)
    assert allowed(mine, device_filter(me, Direction.DOWN), "subscribe", centre=CENTRE)
    assert allowed(mine, topic(me, "down", "snapshot"), "receive", centre=CENTRE)
    assert not allowed(mine, "stadsvakt/edge/#", "subscribe", centre=CENTRE)
    assert not allowed(mine, f"stadsvakt/edge/+/{Direction.DOWN}/#", "subscribe", centre=CENTRE)
    assert not allowed(mine, topic(other, "down", "snapshot"), "receive", centre=CENTRE)
    assert not allowed(mine, topic(me, "up", "status"), "receive", centre=CENTRE)
    assert not allowed("+", topic(me, "down", "time"), "receive", centre=CENTRE)
    assert not allowed(None, topic(me, "down", "time"), "receive", centre=CENTRE)
    assert allowed(CENTRE, ALL_UP, "subscribe", centre=CENTRE)
    assert allowed(CENTRE, topic(me, "down", "time"), "publish", centre=CENTRE)
    assert not allowed(CENTRE, "elsewhere/x", "publish", centre=CENTRE)


def _client(
    broker: EmbeddedBroker, username: str | None, password: str | None, name: str
) -> aiomqtt.Client:
    return aiomqtt.Client(
        broker.host,
        broker.port,
        username=username,
        password=password,
        identifier=name,
        tls_context=tls_context(broker.tls.ca) if broker.tls else None,
        timeout=WAIT_S,
    )


async def _exchange(broker: EmbeddedBroker, device: EdgeDevice, other: EdgeDevice) -> list[str]:
    seen: list[str] = []
    async with (
        _client(broker, CENTRE, CENTRE_PW, "centre") as centre,
        _client(broker, str(device.id), device.password, str(device.id)) as edge,
    ):
        await centre.subscribe(ALL_UP, qos=QOS)
        granted = await edge.subscribe(device_filter(device.id, Direction.DOWN), qos=QOS)
        refused = await edge.subscribe("stadsvakt/edge/#", qos=QOS)
        assert [getattr(code, "value", code) for code in [*granted, *refused]] == [QOS, 0x80]
        await edge.publish(topic(other.id, "up", "events"), b"forged", qos=QOS)
        await edge.publish(topic(device.id, "up", "events"), b"own up", qos=QOS)
        await centre.publish(topic(other.id, "down", "command"), b"for other", qos=QOS)
        await centre.publish(topic(device.id, "down", "command"), b"own down", qos=QOS)
        async with asyncio.timeout(WAIT_S):
            async for message in centre.messages:
                seen.append(f"centre got {message.topic}")
                break
            async for message in edge.messages:
                seen.append(f"device got {message.topic}")
                break
    return seen


@pytest.mark.parametrize("secure", [False, True], ids=["plain", "tls"])
def test_a_device_connects_publishes_up_and_receives_down_only_its_own(
    tmp_path: Path, secure: bool
) -> None:
    device, other = make_device(), make_device()
    accounts = [(str(d.id), mosquitto_hash(d.password)) for d in (device, other)]
    tls = write_dev_certificates(tmp_path) if secure else None

    async def scenario() -> list[str]:
        async with embedded_broker(
            accounts, centre_username=CENTRE, centre_password=CENTRE_PW, tls=tls
        ) as broker:
            return await _exchange(broker, device, other)

    assert asyncio.run(scenario()) == [
        f"centre got {topic(device.id, 'up', 'events')}",
        f"device got {topic(device.id, 'down', 'command')}",
    ]


@pytest.mark.parametrize("who", ["wrong password", "unknown", "anonymous"])
def test_a_wrong_password_and_anonymous_are_refused(who: str) -> None:
    device = make_device()

    async def scenario() -> None:
        async with embedded_broker(
            [(str(device.id), mosquitto_hash(device.password))],
            centre_username=CENTRE,
            centre_password=CENTRE_PW,
        ) as broker:
            # The right password gets in, so a refusal below is the password's.
            async with _client(broker, str(device.id), device.password, "ok"):
                pass
            username, password = {
                "wrong password": (str(device.id), "not-it"),
                "unknown": (str(uuid.uuid4()), device.password),
                "anonymous": (None, None),
            }[who]
            async with _client(broker, username, password, "refused"):
                pass

    with pytest.raises(aiomqtt.MqttCodeError):
        asyncio.run(scenario())


def test_new_accounts_count_for_the_next_connection() -> None:
    old, new = make_device(), make_device()

    async def connects(broker: EmbeddedBroker, device: EdgeDevice) -> bool:
        try:
            async with _client(broker, str(device.id), device.password, str(device.id)):
                return True
        except aiomqtt.MqttCodeError:
            return False

    async def scenario() -> list[bool]:
        async with embedded_broker(
            [(str(old.id), mosquitto_hash(old.password))],
            centre_username=CENTRE,
            centre_password=CENTRE_PW,
        ) as broker:
            before = [await connects(broker, old), await connects(broker, new)]
            broker.set_accounts(
                [(str(new.id), mosquitto_hash(new.password))], mosquitto_hash(CENTRE_PW)
            )
            return before + [await connects(broker, old), await connects(broker, new)]

    assert asyncio.run(scenario()) == [True, False, False, True]
