"""Devices are brought up to date by the hub over a real broker: a device holding nothing
gets a snapshot, a device behind gets a delta, a revoked card reaches every edge of its
municipality first as a command and then in the exact delta, and a lockdown goes out
ahead of ordinary changes."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.access.changes import Entity
from stadsvakt.access.models import CredentialState, DoorMode
from stadsvakt.access.schemas.places import DoorUpdate
from stadsvakt.access.services import credentials, places
from stadsvakt.context import acting_as
from stadsvakt.db import unit_of_work, utcnow
from stadsvakt.directory.models import Person
from stadsvakt.edge.broker.topics import Down
from stadsvakt.edge.snapshot.build import build_snapshot, current_version, seal_snapshot
from stadsvakt.edge.snapshot.state import SnapshotState
from stadsvakt.edge.snapshot.verify import accept_delta, accept_snapshot
from tests import factories as f
from tests import factories_decisions as fd
from tests.edge.hub.conftest import Broker, Town, edge_settings, enrol
from tests.edge.hub.edges import online, running_hub


def _position(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return current_version(session)


def test_a_device_holding_nothing_gets_the_time_and_a_snapshot_it_accepts(
    factory: sessionmaker[Session], broker: Broker, town: Town
) -> None:
    settings = edge_settings(broker)
    (device,) = town.devices

    async def scenario() -> None:
        async with running_hub(factory, broker), online(broker, device, settings) as edge:
            await edge.hello(None)
            clock = await edge.next(Down.TIME, skip_time=False)
            now = datetime.fromisoformat(clock.message.body["now"])
            assert abs(now - datetime.now(UTC)) < timedelta(seconds=30)
            snapshot = await edge.next(Down.SNAPSHOT)
            state = accept_snapshot(
                snapshot.payload, settings.snapshot.public_key(), device.id, town.tenant, None
            )
            assert state.version == _position(factory)
            assert state.door(town.doors[0]) is not None and state.door(town.doors[1]) is None
            card = state.credential(town.tenant, "card", town.card_number)
            assert card is not None and card.person_id == town.person

    asyncio.run(scenario())


def _held(
    factory: sessionmaker[Session], broker: Broker, town: Town, device_id: uuid.UUID
) -> SnapshotState:
    """What the device holds after a snapshot made now, outside the hub."""
    settings = edge_settings(broker).snapshot
    with factory() as session:
        body = build_snapshot(session, town.tenant, town.doors[:1], utcnow(), settings=settings)
    payload = seal_snapshot(body, device_id, settings)
    return accept_snapshot(payload, settings.public_key(), device_id, town.tenant, None)


def test_a_device_behind_gets_a_delta_from_its_version_that_it_accepts(
    factory: sessionmaker[Session], broker: Broker, town: Town
) -> None:
    settings = edge_settings(broker)
    (device,) = town.devices
    held = _held(factory, broker, town, device.id)
    with unit_of_work(factory) as session:  # a new card while the device was away
        new_card = fd.credential(session, session.get_one(Person, town.person))
        number = new_card.identifier

    async def scenario() -> None:
        async with running_hub(factory, broker), online(broker, device, settings) as edge:
            await edge.hello(held.version)
            delta = await edge.next(Down.DELTA)
            state = accept_delta(
                delta.payload, settings.snapshot.public_key(), device.id, town.tenant, held
            )
            assert state.version == _position(factory) > held.version
            assert held.credential(town.tenant, "card", number) is None
            assert state.credential(town.tenant, "card", number) is not None

    asyncio.run(scenario())


def test_a_card_revoked_in_the_centre_reaches_every_edge_as_a_command_then_a_delta(
    factory: sessionmaker[Session], broker: Broker, town: Town
) -> None:
    settings = edge_settings(broker)
    second = enrol(factory, town, town.doors[1:2])
    first = town.devices[0]
    key = settings.snapshot.public_key()

    async def scenario() -> None:
        async with (
            running_hub(factory, broker),
            online(broker, first, settings) as one,
            online(broker, second, settings) as two,
        ):
            states: dict[uuid.UUID, SnapshotState] = {}
            for edge in (one, two):
                await edge.hello(None)
                got = await edge.next(Down.SNAPSHOT)
                states[edge.device.id] = accept_snapshot(
                    got.payload, key, edge.device.id, town.tenant, None
                )
            # As the API does: the access service in a unit of work, in this process.
            actor = f.system(town.tenant)
            with unit_of_work(factory) as session, acting_as(actor):
                credentials.change_state(session, actor, town.card, CredentialState.REVOKED)
            position = _position(factory)
            for edge in (one, two):
                command = await edge.next(Down.COMMAND)
                assert command.message.body == {
                    "op": "revoke",
                    "seq": position,
                    "tenant": str(town.tenant),
                    "credentials": [str(town.card)],
                    "people": [],
                }
                delta = await edge.next(Down.DELTA)
                held = states[edge.device.id]
                state = accept_delta(delta.payload, key, edge.device.id, town.tenant, held)
                card = state.credential(town.tenant, "card", town.card_number)
                assert card is not None and card.state == "revoked"

    asyncio.run(scenario())


def test_a_lockdown_goes_out_before_the_ordinary_changes_queued_with_it(
    factory: sessionmaker[Session], broker: Broker, town: Town
) -> None:
    settings = edge_settings(broker)
    # Three more devices; the last one's door will be locked down.
    others = [enrol(factory, town, [door]) for door in town.doors[1:]]
    devices = [town.devices[0], *others]
    locked = devices[-1]
    order: list[uuid.UUID] = []

    async def scenario() -> None:
        # One worker: the order of sending is the order of the queue.
        async with running_hub(factory, broker, workers=1) as hub:
            async with contextlib.AsyncExitStack() as stack:
                edges = [
                    await stack.enter_async_context(online(broker, device, settings, order))
                    for device in devices
                ]
                for edge in edges:
                    await edge.hello(None)
                for edge in edges:
                    await edge.next(Down.SNAPSHOT)
                order.clear()
                actor = f.system(town.tenant)
                # One transaction: someone's name (every device's delta) and the lockdown.
                with unit_of_work(factory) as session, acting_as(actor):
                    person = session.get_one(Person, town.person)
                    person.given_name = "Ny"
                    fd.changed(session, person, Entity.PERSON)
                    places.update_door(
                        session, actor, locked.doors[0], DoorUpdate(mode=DoorMode.LOCKDOWN)
                    )
                for edge in edges:
                    await edge.next(Down.DELTA)
            assert hub.pusher.sent["delta"] == len(devices)

    asyncio.run(scenario())
    assert order[0] == locked.id and sorted(map(str, order)) == sorted(str(d.id) for d in devices)


def test_a_device_the_hub_does_not_know_joins_with_its_status_and_is_brought_up_to_date(
    factory: sessionmaker[Session], broker: Broker, town: Town
) -> None:
    settings = edge_settings(broker)
    (device,) = town.devices
    held = _held(factory, broker, town, device.id)  # as before the hub restarted
    with unit_of_work(factory) as session:
        person = session.get_one(Person, town.person)
        person.active = False
        fd.changed(session, person, Entity.PERSON)

    async def scenario() -> None:
        async with running_hub(factory, broker), online(broker, device, settings) as edge:
            # No hello: the device stayed connected while the hub restarted.
            await edge.status(snapshot_version=held.version)
            delta = await edge.next(Down.DELTA)
            key = settings.snapshot.public_key()
            state = accept_delta(delta.payload, key, device.id, town.tenant, held)
            assert held.person(town.person) is not None
            entry = state.person(town.person)
            assert entry is None or not entry.active  # removed, or sent inactive

    asyncio.run(scenario())
