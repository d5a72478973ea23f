"""The broker's accounts follow the enrolled devices: the hub rewrites Mosquitto's
password file and reloads it (SIGHUP to the pid in its pid file), so an enrolled
device's password works and a revoked device is refused; the centre keeps its own."""

from __future__ import annotations

import asyncio

import aiomqtt
import pytest
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.context import acting_as
from stadsvakt.db import unit_of_work
from stadsvakt.edge.broker.client import device_client
from stadsvakt.edge.broker.embedded import embedded_broker
from stadsvakt.edge.broker.passwords import mosquitto_hash
from stadsvakt.edge.broker.topics import Down
from stadsvakt.edge.devices import service
from stadsvakt.edge.hub.accounts import AccountSync, embedded_sink
from tests import factories as f
from tests.edge.hub.conftest import CENTRE, Broker, Device, Town, edge_settings, enrol
from tests.edge.hub.edges import centre_connection, online, running_hub
from tests.waiting import wait_until_async


async def _can_connect(broker: Broker, device: Device) -> bool:
    mosquitto = broker.mosquitto
    client = device_client(
        mosquitto.host,
        mosquitto.port,
        device_id=device.id,
        password=device.password,
        ca=mosquitto.tls.ca,
        clean_session=True,
    )
    try:
        async with client:
            return True
    except aiomqtt.MqttError:
        return False


def test_an_enrolled_device_is_let_in_after_the_reload_and_a_revoked_one_is_refused(
    factory: sessionmaker[Session], broker: Broker, town: Town
) -> None:
    settings = edge_settings(broker)

    async def scenario() -> None:
        async with running_hub(factory, broker) as hub:
            newcomer = enrol(factory, town, town.doors[1:2])
            await wait_until_async(lambda: _can_connect(broker, newcomer), "the new account")
            async with online(broker, newcomer, settings) as edge:
                await edge.hello(None)
                await edge.next(Down.SNAPSHOT)
            assert newcomer.id in hub.registry
            actor = f.system(town.tenant)
            with unit_of_work(factory) as session, acting_as(actor):
                service.revoke(session, actor, newcomer.id)

            async def refused() -> bool:
                return not await _can_connect(broker, newcomer)

            await wait_until_async(refused, "the revoked device's refusal")
            await wait_until_async(lambda: newcomer.id not in hub.registry, "the hub forgetting")
            assert await _can_connect(broker, town.devices[0])  # the others stay
            async with centre_connection(broker):  # and so does the centre
                pass

    asyncio.run(scenario())
    text = broker.mosquitto.listener.password_file.read_text()
    assert text.startswith(f"{CENTRE}:$7$") and str(town.devices[0].id) in text


def test_the_embedded_broker_is_given_the_accounts_by_its_callback(
    factory: sessionmaker[Session], town: Town
) -> None:
    (device,) = town.devices

    async def scenario() -> None:
        async with embedded_broker([], centre_username=CENTRE, centre_password="pw") as running:

            def as_device() -> aiomqtt.Client:
                return aiomqtt.Client(
                    running.host,
                    running.port,
                    username=str(device.id),
                    password=device.password,
                    identifier=str(device.id),
                )

            with pytest.raises(aiomqtt.MqttError):
                async with as_device():
                    pass
            sync = AccountSync(factory, embedded_sink(running, mosquitto_hash("pw")), poll_s=1)
            active = await asyncio.to_thread(sync.check)
            assert active is not None and device.id in active
            assert await asyncio.to_thread(sync.check) is None  # nothing changed: not again
            async with as_device():
                pass

    asyncio.run(scenario())
