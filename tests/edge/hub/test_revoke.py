"""The fast revocation path alone: one read of the batch, then per device only a seal and
a publish, to every connected device of the municipality, even one whose first sync has
not run yet (after a hello storm, most of them); what another municipality revoked is
not sent to it."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.access.models import CredentialState
from stadsvakt.access.services import credentials
from stadsvakt.context import acting_as
from stadsvakt.db import unit_of_work
from stadsvakt.directory.models import Person
from stadsvakt.edge.broker.gateway import Publisher
from stadsvakt.edge.broker.passwords import mosquitto_hash
from stadsvakt.edge.broker.topics import Down
from stadsvakt.edge.hub.accounts import AccountSync, mosquitto_sink
from stadsvakt.edge.hub.push import Pusher
from stadsvakt.edge.hub.registry import Registry
from stadsvakt.edge.snapshot.build import current_version
from tests import factories as f
from tests import factories_decisions as fd
from tests.edge.hub.conftest import CENTRE, Broker, Town, edge_settings
from tests.edge.hub.edges import centre_connection, online
from tests.waiting import wait_until_async


def _accounts(factory: sessionmaker[Session], broker: Broker) -> None:
    settings = edge_settings(broker).broker
    assert settings.password_file is not None
    sink = mosquitto_sink(
        settings.password_file,
        broker.pid_file,
        centre_username=CENTRE,
        centre_hash=mosquitto_hash(SecretStr(broker.centre_password).get_secret_value()),
    )
    AccountSync(factory, sink, poll_s=1).check()


def test_a_revocation_reaches_a_device_not_yet_synced_with_nothing_of_another_town(
    factory: sessionmaker[Session], broker: Broker, town: Town
) -> None:
    settings = edge_settings(broker)
    (device,) = town.devices
    _accounts(factory, broker)
    registry = Registry()
    # No workers run: the device's sync never happens, only the command path does.
    pusher = Pusher(factory, registry, settings.snapshot, feed_poll_s=1, workers=1)

    async def scenario() -> None:
        async with centre_connection(broker) as client, online(broker, device, settings) as edge:
            publisher = Publisher(client, settings.snapshot.private_key())
            registry.hello(device.id, 1)  # as its hello does; its place is not read yet
            with factory() as session:
                pusher.seen = current_version(session)
            with unit_of_work(factory) as session:  # a card in another municipality
                stranger = fd.credential(session, fd.person(session, f.municipality(session)))
                elsewhere = (stranger.tenant_id, stranger.id)
            # One batch: this town's card lost, the other municipality's card revoked.
            for tenant, card, state in (
                (town.tenant, town.card, CredentialState.LOST),
                (*elsewhere, CredentialState.REVOKED),
            ):
                actor = f.system(tenant)
                with unit_of_work(factory) as session, acting_as(actor):
                    credentials.change_state(session, actor, card, state)
            await pusher.catch_up(publisher)
            command = await edge.next(Down.COMMAND)
            assert command.message.body["credentials"] == [str(town.card)]
            assert command.message.body["tenant"] == str(town.tenant)
            assert pusher.sent == {"revoke": 1}  # the other municipality has no device here
            await wait_until_async(lambda: pusher.seen == command.message.body["seq"])

    try:
        asyncio.run(scenario())
    finally:
        pusher.close()


def test_a_revocation_committed_after_a_later_numbered_change_still_goes_out(
    factory: sessionmaker[Session], broker: Broker, town: Town, backend: str
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite holds one writer at a time: numbers are never committed out of turn")
    settings = edge_settings(broker)
    (device,) = town.devices
    _accounts(factory, broker)
    registry = Registry()
    overlap = settings.snapshot.model_copy(update={"delta_overlap_seconds": 60})
    pusher = Pusher(factory, registry, overlap, feed_poll_s=1, workers=1)
    actor = f.system(town.tenant)

    async def scenario() -> None:
        async with centre_connection(broker) as client, online(broker, device, settings) as edge:
            publisher = Publisher(client, settings.snapshot.private_key())
            registry.hello(device.id, 1)
            with factory() as session:
                pusher.seen = current_version(session)
            # The revocation takes its number first but commits last.
            with factory() as slow, acting_as(actor):
                credentials.change_state(slow, actor, town.card, CredentialState.SUSPENDED)
                slow.flush()
                with unit_of_work(factory) as quick, acting_as(actor):
                    fd.credential(quick, quick.get_one(Person, town.person))
                await pusher.catch_up(publisher)  # sees the later number, and the gap
                slow.commit()
            await pusher.catch_up(publisher)
            command = await edge.next(Down.COMMAND)
            assert command.message.body["credentials"] == [str(town.card)]

    try:
        asyncio.run(scenario())
    finally:
        pusher.close()
