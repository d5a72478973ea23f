"""What devices send reaches the centre through the hub: a status report updates the
device and its doors' live state, events are stored as the HTTP upload stores them, and
a body that breaks the contract, or anything from a revoked device, is dropped with its
rule while the hub goes on."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.context import acting_as
from stadsvakt.db import unit_of_work
from stadsvakt.edge.broker.client import QOS
from stadsvakt.edge.broker.device import DeviceLink
from stadsvakt.edge.broker.topics import Up
from stadsvakt.edge.devices import service
from stadsvakt.edge.devices.live import door_states
from stadsvakt.edge.devices.models import DeviceHealth, DoorLiveState, EdgeDevice
from stadsvakt.edge.hub import EdgeHub
from stadsvakt.edge.hub.messages import StatusBody
from stadsvakt.edge.hub.statuses import Report, store_reports
from stadsvakt.edge.ingest.models import EdgeEvent
from tests import factories as f
from tests.edge.hub.conftest import Broker, Device, Town, edge_settings, enrol
from tests.edge.hub.edges import centre_connection, online, running_hub
from tests.waiting import wait_until_async

AT = datetime(2026, 12, 6, 7, 30, 15, 250000, tzinfo=UTC)


def _device(factory: sessionmaker[Session], device_id: uuid.UUID) -> EdgeDevice:
    with factory() as session:
        return session.get_one(EdgeDevice, device_id)


async def _handled(hub: EdgeHub, kind: Up, count: int) -> None:
    await wait_until_async(lambda: hub.gateway.handled[kind] == count, f"{count} {kind}")


async def _stored(hub: EdgeHub, count: int) -> None:
    await wait_until_async(lambda: hub.statuses.written == count, f"{count} reports stored")


async def _dropped(hub: EdgeHub, rule: str) -> None:
    await wait_until_async(lambda: hub.gateway.dropped[rule] == 1, f"a drop by rule {rule}")


def test_a_status_report_updates_the_device_and_its_doors(
    factory: sessionmaker[Session], broker: Broker, town: Town
) -> None:
    (device,) = town.devices
    door = town.doors[0]

    async def scenario() -> None:
        async with (
            running_hub(factory, broker) as hub,
            online(broker, device, edge_settings(broker)) as edge,
        ):
            await edge.status(
                health="degraded",
                health_detail="läsare 2 svarar inte",
                snapshot_version=7,
                pending_events=3,
                clock_drift_ms=-40,
                doors={str(door): "open"},
                at=AT.isoformat(),
            )
            await _stored(hub, 1)

    asyncio.run(scenario())
    row = _device(factory, device.id)
    assert (row.health, row.health_detail) == (DeviceHealth.DEGRADED, "läsare 2 svarar inte")
    assert (row.snapshot_version, row.pending_events, row.clock_drift_ms) == (7, 3, -40)
    assert row.software_version == "1.0.1" and row.last_seen_at is not None
    with factory() as session:
        assert door_states(session, [door]) == {door: (DoorLiveState.OPEN, AT)}


def test_a_bad_door_state_is_dropped_with_its_rule_and_the_next_report_is_kept(
    factory: sessionmaker[Session], broker: Broker, town: Town
) -> None:
    (device,) = town.devices
    door = town.doors[0]

    async def scenario() -> None:
        async with (
            running_hub(factory, broker) as hub,
            online(broker, device, edge_settings(broker)) as edge,
        ):
            await edge.status(doors={str(door): "ajar"}, pending_events=9)
            await _dropped(hub, "door_state")
            assert _device(factory, device.id).last_seen_at is None  # nothing of it kept
            await edge.status(doors={str(door): "forced"}, pending_events=1)
            await _stored(hub, 1)

    asyncio.run(scenario())
    assert _device(factory, device.id).pending_events == 1
    with factory() as session:
        assert door_states(session, [door])[door][0] is DoorLiveState.FORCED


def _event(town: Town, door: uuid.UUID) -> dict[str, object]:
    return {
        "type": "access",
        "id": str(uuid.uuid4()),
        "at": AT.isoformat(),
        "tenant_id": str(town.tenant),
        "door_id": str(door),
        "credential": town.card_number,
        "credential_id": str(town.card),
        "person_id": str(town.person),
        "granted": True,
        "reason": "granted_by_grant",
    }


def test_events_sent_over_mqtt_are_stored_as_an_upload_and_a_foreign_door_is_refused(
    factory: sessionmaker[Session], broker: Broker, town: Town
) -> None:
    (device,) = town.devices
    good = _event(town, town.doors[0])
    foreign = _event(town, town.doors[1])  # a door this device does not serve

    async def scenario() -> None:
        async with (
            running_hub(factory, broker) as hub,
            online(broker, device, edge_settings(broker)) as edge,
        ):
            sent_at = datetime.now(UTC).isoformat()
            await edge.link.publish(edge.client, Up.EVENTS, {"sent_at": sent_at, "events": [good]})
            await _handled(hub, Up.EVENTS, 1)
            body = {"sent_at": sent_at, "events": [foreign]}
            await edge.link.publish(edge.client, Up.EVENTS, body)
            await _dropped(hub, "door")

    asyncio.run(scenario())
    with factory() as session:
        stored = session.scalars(select(EdgeEvent).where(EdgeEvent.device_id == device.id)).all()
    assert [(str(e.id), e.door_id, e.granted) for e in stored] == [
        (good["id"], town.doors[0], True)
    ]


def test_a_revoked_device_s_messages_are_dropped(
    factory: sessionmaker[Session], broker: Broker, town: Town
) -> None:
    (device,) = town.devices
    actor = f.system(town.tenant)
    with unit_of_work(factory) as session, acting_as(actor):
        service.revoke(session, actor, device.id)
    link = DeviceLink(device.id, device.key, edge_settings(broker).snapshot.public_key())

    async def scenario() -> None:
        async with running_hub(factory, broker) as hub, centre_connection(broker) as forger:
            # Its signature is still good, and the broker's ACL is passed (the centre's
            # account publishes it): the hub alone must refuse it.
            name, payload = link.seal(Up.HELLO, {"snapshot_version": None, "software_version": "x"})
            await forger.publish(name, payload, qos=QOS)
            await _dropped(hub, "unknown_device")
            assert device.id not in hub.registry

    asyncio.run(scenario())
    assert _device(factory, device.id).last_seen_at is None


def test_a_device_revoked_while_the_hub_runs_is_dropped_once_the_hub_sees_it(
    factory: sessionmaker[Session], broker: Broker, town: Town
) -> None:
    (device,) = town.devices
    settings = edge_settings(broker)
    link = DeviceLink(device.id, device.key, settings.snapshot.public_key())
    hello = {"snapshot_version": None, "software_version": "x"}

    async def scenario() -> None:
        async with running_hub(factory, broker) as hub, centre_connection(broker) as forger:
            async with online(broker, device, settings) as edge:
                await edge.hello(None)
                await _handled(hub, Up.HELLO, 1)  # its key is known to the hub now
            actor = f.system(town.tenant)
            with unit_of_work(factory) as session, acting_as(actor):
                service.revoke(session, actor, device.id)
            await wait_until_async(lambda: device.id not in hub.registry, "the hub forgetting")
            await forger.publish(*link.seal(Up.HELLO, hello), qos=QOS)
            await _dropped(hub, "unknown_device")

    asyncio.run(scenario())


def test_reports_are_stored_together_and_a_revoked_device_s_does_not_undo_the_others(
    factory: sessionmaker[Session], town: Town
) -> None:
    (kept,) = town.devices
    revoked = enrol(factory, town, town.doors[1:2])
    actor = f.system(town.tenant)
    with unit_of_work(factory) as session, acting_as(actor):
        service.revoke(session, actor, revoked.id)
    seen = datetime.now(UTC)

    def report(device: Device, door: uuid.UUID, pending: int) -> Report:
        body = {
            "software_version": "2.0.0",
            "health": "ok",
            "snapshot_version": 3,
            "pending_events": pending,
            "doors": {str(door): "held"},
            "at": AT.isoformat(),
        }
        return Report(device.id, StatusBody.model_validate(body), seen)

    batch = [report(revoked, town.doors[1], 5), report(kept, town.doors[0], 2)]
    assert store_reports(factory, batch) == [revoked.id]
    assert _device(factory, kept.id).pending_events == 2
    assert _device(factory, revoked.id).last_seen_at is None
    with factory() as session:
        assert door_states(session, town.doors[:2]) == {town.doors[0]: (DoorLiveState.HELD, AT)}
