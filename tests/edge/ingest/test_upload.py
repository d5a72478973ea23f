"""Events decided at the edge while the centre is away reach it, each exactly once; a
forged or malformed upload is refused with a problem naming the rule."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessEvent, Door
from stadsvakt.alarms.models import Alarm
from stadsvakt.centre.models import Activation
from stadsvakt.db import utcnow
from stadsvakt.edge.agent.agent import Agent
from stadsvakt.edge.agent.buffer import EventBuffer
from stadsvakt.edge.agent.osdp_reader import CardRead
from stadsvakt.edge.agent.outputs import SimulatedOutputs
from stadsvakt.edge.agent.uploader import EVENTS_PATH, CentreResponse, Uploader
from stadsvakt.edge.devices.models import DeviceKind, EdgeDevice, EdgeDeviceDoor
from stadsvakt.edge.envelope import public_bytes, seal
from stadsvakt.edge.ingest.models import EdgeEvent
from tests import factories, factories_access
from tests.edge.agent.fakes import GRANTED_CARD, UNKNOWN_CARD, Clock, one_door_config
from tests.edge.agent.fakes import one_door_state as state_for
from tests.edge.agent.test_agent import Feedback

CONTACT = 27


@dataclass
class Edge:
    """An enrolled device serving one door, and its agent."""

    device_id: uuid.UUID
    key: Ed25519PrivateKey
    door: Door
    agent: Agent


def _enrol(session: Session, door: Door, key: Ed25519PrivateKey) -> uuid.UUID:
    device = EdgeDevice(
        tenant_id=door.tenant_id,
        site_id=door.site_id,
        name="Entré A",
        kind=DeviceKind.EDGE_AGENT,
        public_key=public_bytes(key.public_key()),
        mqtt_password_hash="$7$101$c2FsdA==$aGFzaA==",
        enrolled_at=utcnow(),
    )
    session.add(device)
    session.flush()
    session.add(EdgeDeviceDoor(device_id=device.id, door_id=door.id))
    session.flush()
    return device.id


@pytest.fixture
def edge(session: Session, tmp_path: Path) -> Iterator[Edge]:
    tenant = factories.municipality(session)
    door = factories_access.door(
        session, factories_access.zone(session, factories.site(session, tenant))
    )
    key = Ed25519PrivateKey.generate()
    device_id = _enrol(session, door, key)
    config = one_door_config(
        tmp_path,
        device_id=device_id,
        tenant_id=tenant.id,
        door_id=door.id,
        centre_url="https://testserver",
    )
    buffer = EventBuffer(config.buffer_path)
    agent = Agent(
        config,
        state=state_for(tenant.id, door.id),
        buffer=buffer,
        outputs=SimulatedOutputs(),
        feedback=Feedback(),
        clock=Clock(datetime.now(UTC)),
    )
    yield Edge(device_id, key, door, agent)
    buffer.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _counts(session: Session, edge: Edge) -> tuple[int, int, int]:
    source = f"edge:{edge.device_id}"
    return (
        session.scalar(
            select(func.count()).select_from(EdgeEvent).where(EdgeEvent.device_id == edge.device_id)
        )
        or 0,
        session.scalar(
            select(func.count()).select_from(AccessEvent).where(AccessEvent.source == source)
        )
        or 0,
        session.scalar(
            select(func.count())
            .select_from(Alarm)
            .where(Alarm.protocol == "edge", Alarm.tenant_id == edge.door.tenant_id)
        )
        or 0,
    )


def _upload(
    edge: Edge, events: list[dict[str, Any]], key: Ed25519PrivateKey | None = None
) -> bytes:
    fields = {
        "kind": "events",
        "device": str(edge.device_id),
        "body": {"sent_at": datetime.now(UTC).isoformat(), "events": events},
    }
    return seal(fields, key or edge.key)


def test_decided_offline_then_uploaded_exactly_once(
    session: Session, client: TestClient, edge: Edge
) -> None:
    agent = edge.agent
    outputs = agent.outputs
    assert isinstance(outputs, SimulatedOutputs)
    down = httpx.Client(base_url=f"http://127.0.0.1:{_closed_port()}")

    granted = agent.on_reader_event(CardRead("entrance", GRANTED_CARD))
    denied = agent.on_reader_event(CardRead("entrance", UNKNOWN_CARD))
    outputs.inputs[CONTACT] = True
    assert isinstance(agent.clock, Clock)
    # Past the unlock window (the door is forced), and the edge's clock runs ahead.
    agent.clock.advance(120)
    agent.poll()
    assert Uploader(agent, edge.key, down).upload_once() == 0

    # The doors kept deciding without the centre.
    assert granted is not None and granted.granted
    assert denied is not None and not denied.granted
    assert agent.buffer.count(uploaded=False) == 3
    assert agent.status()["centre_reachable"] is False
    assert _counts(session, edge) == (0, 0, 0)

    # The centre is back: the same batch sent twice is stored once.
    batch = [event.body for event in agent.buffer.pending(100)]
    first = client.post(EVENTS_PATH, content=_upload(edge, batch))
    again = client.post(EVENTS_PATH, content=_upload(edge, batch))
    assert first.status_code == again.status_code == 200, first.text
    ids = sorted(event["id"] for event in batch)
    assert (sorted(first.json()["stored"]), first.json()["duplicates"]) == (ids, [])
    assert (again.json()["stored"], sorted(again.json()["duplicates"])) == ([], ids)
    assert _counts(session, edge) == (3, 2, 1)

    # The agent's own upload of those events is confirmed as duplicates and marked sent.
    assert Uploader(agent, edge.key, client).upload_once() == 3
    assert agent.buffer.count(uploaded=False) == 0
    status = agent.status()
    assert status["centre_reachable"] is True
    # Two minutes ahead of the centre's clock, beyond edge.toml's 5 s: a fault.
    assert status["status"] == "fault" and status["clock_drift_seconds"] > 60
    agent.clock.now = datetime.now(UTC)
    assert Uploader(agent, edge.key, client).upload_once() == 0
    assert agent.status()["status"] == "ok"
    assert _counts(session, edge) == (3, 2, 1)

    logged = session.scalars(select(AccessEvent).where(AccessEvent.door_id == edge.door.id)).all()
    assert sorted((e.granted, e.reason) for e in logged) == [
        (False, "unknown_credential"),
        (True, "granted_by_grant"),
    ]
    alarm = session.scalars(
        select(Alarm).where(Alarm.protocol == "edge", Alarm.tenant_id == edge.door.tenant_id)
    ).one()
    assert (alarm.code, alarm.category, alarm.site_id) == (
        "door_forced",
        "intrusion",
        edge.door.site_id,
    )
    # It reached the safety centre's queue as an activation of the door's site.
    activation = session.scalars(
        select(Activation).where(Activation.site_id == edge.door.site_id)
    ).one()
    assert (activation.category, activation.code) == ("intrusion", "door_forced")


def test_new_events_after_a_partial_upload_are_sent_next(
    session: Session, client: TestClient, edge: Edge
) -> None:
    agent = edge.agent
    uploader = Uploader(agent, edge.key, client)
    agent.on_reader_event(CardRead("entrance", GRANTED_CARD))
    assert uploader.upload_once() == 1
    agent.on_reader_event(CardRead("entrance", UNKNOWN_CARD))
    assert uploader.upload_once() == 1
    assert uploader.upload_once() == 0
    assert _counts(session, edge) == (2, 2, 0)


def _problem(response: CentreResponse, status: int, rule: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["rule"] == rule


def test_forged_and_malformed_uploads_are_refused(
    session: Session, client: TestClient, edge: Edge
) -> None:
    event = edge.agent.buffer.add(
        {
            "type": "door_alarm",
            "at": datetime.now(UTC).isoformat(),
            "tenant_id": str(edge.door.tenant_id),
            "door_id": str(edge.door.id),
            "alarm": "door_held",
        }
    ).body
    other_key = Ed25519PrivateKey.generate()
    _problem(client.post(EVENTS_PATH, content=_upload(edge, [event], other_key)), 403, "signature")

    stranger = Edge(uuid.uuid4(), other_key, edge.door, edge.agent)
    _problem(client.post(EVENTS_PATH, content=_upload(stranger, [event])), 403, "device")

    _problem(client.post(EVENTS_PATH, content=b"{not json"), 422, "json")
    _problem(client.post(EVENTS_PATH, content=b"[]"), 422, "object")
    unsigned = b'{"kind":"events","device":"%s","body":{}}' % str(edge.device_id).encode()
    _problem(client.post(EVENTS_PATH, content=unsigned), 422, "sig")

    wrong_kind = seal({"kind": "status", "device": str(edge.device_id), "body": {}}, edge.key)
    _problem(client.post(EVENTS_PATH, content=wrong_kind), 422, "kind")
    broken = dict(event, alarm="door_exploded")
    _problem(client.post(EVENTS_PATH, content=_upload(edge, [broken])), 422, "body")

    # A door of another municipality (or one the device does not serve) is refused.
    elsewhere = dict(event, door_id=str(uuid.uuid4()))
    _problem(client.post(EVENTS_PATH, content=_upload(edge, [elsewhere])), 422, "door")

    assert _counts(session, edge) == (0, 0, 0)
    ok = client.post(EVENTS_PATH, content=_upload(edge, [event]))
    assert ok.status_code == 200 and ok.json()["stored"] == [event["id"]]
    assert _counts(session, edge) == (1, 0, 1)


def test_a_refused_batch_stays_buffered_and_health_says_why(
    session: Session, client: TestClient, edge: Edge
) -> None:
    agent = edge.agent
    served = session.get(EdgeDeviceDoor, (edge.device_id, edge.door.id))
    session.delete(served)
    session.flush()
    agent.on_reader_event(CardRead("entrance", GRANTED_CARD))
    uploader = Uploader(agent, edge.key, client)

    assert uploader.upload_once() == 0
    assert agent.buffer.count(uploaded=False) == 1
    status = agent.status()
    assert status["status"] == "fault" and status["faults"]["upload"].startswith("422 door")

    session.add(EdgeDeviceDoor(device_id=edge.device_id, door_id=edge.door.id))
    session.flush()
    assert uploader.upload_once() == 1
    assert agent.status()["status"] == "ok"
