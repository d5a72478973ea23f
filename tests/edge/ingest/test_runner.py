"""The whole agent running as ``stadsvakt edge`` runs it: a libosdp reader on a loopback
channel, the poll loop and the uploader thread, uploading to the test centre."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import osdp  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from stadsvakt.access.models import AccessEvent
from stadsvakt.cli import app as cli
from stadsvakt.edge.agent.agent import Agent
from stadsvakt.edge.agent.buffer import EventBuffer
from stadsvakt.edge.agent.config import EdgeConfig, load_config
from stadsvakt.edge.agent.osdp_reader import CardRead, loopback_pair
from stadsvakt.edge.agent.outputs import SimulatedOutputs
from stadsvakt.edge.agent.runner import build, load_state, run
from stadsvakt.edge.envelope import public_bytes
from stadsvakt.edge.snapshot.build import build_snapshot, seal_snapshot
from stadsvakt.edge.snapshot.settings import SnapshotSettings
from stadsvakt.edge.snapshot.state import SnapshotState
from tests import factories, factories_access
from tests import factories_decisions as decisions
from tests.edge.agent.fakes import GRANTED_CARD, SCBK, edge_toml, one_door_state
from tests.edge.agent.test_agent import Feedback
from tests.edge.ingest.test_upload import _closed_port, _enrol
from tests.waiting import wait_until


def _write(tmp_path: Path, text: str, key: Ed25519PrivateKey) -> Path:
    (tmp_path / "device.key").write_bytes(
        key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    path = tmp_path / "edge.toml"
    path.write_text(text.replace("clock_drift_limit_seconds = 5", "upload_interval_seconds = 0.05"))
    return path


def test_the_running_agent_decides_and_uploads(
    session: Session, client: TestClient, tmp_path: Path
) -> None:
    tenant = factories.municipality(session)
    site = factories.site(session, tenant)
    door = factories_access.door(session, factories_access.zone(session, site))
    key = Ed25519PrivateKey.generate()
    device_id = _enrol(session, door, key)
    text = edge_toml(tmp_path, device_id=device_id, tenant_id=tenant.id, door_id=door.id)
    config: EdgeConfig = load_config(_write(tmp_path, text, key))
    panel_end, reader_end = loopback_pair()
    reader = osdp.PeripheralDevice(
        osdp.PDInfo(101, reader_end, scbk=bytes.fromhex(SCBK)),
        osdp.PDCapabilities([(osdp.Capability.LEDControl, 1, 1)]),
        log_level=osdp.LogLevel.Error,
    )
    outputs = SimulatedOutputs()
    edge = build(
        config,
        state=one_door_state(tenant.id, door.id),
        outputs=outputs,
        client=client,
        channels={"entrance": panel_end},
    )
    stop = threading.Event()
    running = threading.Thread(target=run, args=(edge, stop))
    reader.start()
    running.start()
    try:
        wait_until(lambda: edge.readers.secure("entrance"), "the secure channel")
        wait_until(lambda: "reader entrance" not in edge.agent.health.faults, "a reader fault")
        reader.submit_event(
            {
                "event": osdp.Event.CardRead,
                "reader_no": 0,
                "direction": 0,
                "format": osdp.CardFormat.Unspecified,
                "length": 32,
                "data": bytes.fromhex(GRANTED_CARD),
            }
        )
        wait_until(lambda: (17, True) in outputs.history, "the lock to open")
        wait_until(lambda: edge.agent.buffer.count(uploaded=True) == 1, "the upload")
    finally:
        stop.set()
        running.join()
        reader.stop()
    [event] = session.scalars(select(AccessEvent).where(AccessEvent.door_id == door.id))
    assert (event.granted, event.source) == (True, f"edge:{device_id}")


def test_without_a_snapshot_every_card_is_denied_and_health_says_why(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    door_id = uuid.uuid4()
    text = edge_toml(tmp_path, device_id=uuid.uuid4(), tenant_id=uuid.uuid4(), door_id=door_id)
    state, why = load_state(load_config(_write(tmp_path, text, key)))
    assert state.door(door_id) is None
    assert why is not None and "snapshot" in why


def test_the_edge_command_names_a_bad_config(tmp_path: Path) -> None:
    path = tmp_path / "edge.toml"
    path.write_text('device_id = "x"\n')
    result = CliRunner().invoke(cli, ["edge", "--config", str(path)])
    assert result.exit_code != 0
    assert "device_id" in result.output and "tenant_id" in result.output


def test_the_agent_decides_on_the_centres_signed_snapshot(session: Session, tmp_path: Path) -> None:
    tenant = factories.municipality(session)
    site = factories.site(session, tenant)
    zone = decisions.zone(session, site)
    door = decisions.door(session, zone)
    schedule = decisions.schedule(session, tenant, decisions.ALWAYS)
    profile = decisions.profile(session, tenant, [zone], schedule)
    holder = decisions.person(session, tenant)
    decisions.grant(
        session, profile, person_row=holder, valid_from=datetime(2020, 1, 1, tzinfo=UTC)
    )
    card = decisions.credential(session, holder)
    key = Ed25519PrivateKey.generate()
    device_id = _enrol(session, door, key)
    snapshot_settings = SnapshotSettings()
    body = build_snapshot(
        session, tenant.id, [door.id], datetime.now(UTC), settings=snapshot_settings
    )
    (tmp_path / "snapshot.json").write_bytes(seal_snapshot(body, device_id, snapshot_settings))
    (tmp_path / "centre.pub").write_bytes(
        public_bytes(snapshot_settings.private_key().public_key())
    )
    text = edge_toml(tmp_path, device_id=device_id, tenant_id=tenant.id, door_id=door.id)
    files = (
        f'snapshot_file = "{tmp_path / "snapshot.json"}"\n'
        f'centre_key_file = "{tmp_path / "centre.pub"}"\n\n[[readers]]'
    )
    config = load_config(_write(tmp_path, text.replace("[[readers]]", files, 1), key))

    state, why = load_state(config)
    assert why is None and isinstance(state, SnapshotState)
    agent = Agent(
        config,
        state=state,
        buffer=EventBuffer(config.buffer_path),
        outputs=SimulatedOutputs(),
        feedback=Feedback(),
    )
    try:
        granted = agent.on_reader_event(CardRead("entrance", card.identifier))
        denied = agent.on_reader_event(CardRead("entrance", "04000000"))
    finally:
        agent.buffer.close()
    assert granted is not None and granted.granted and granted.person_id == holder.id
    assert denied is not None and denied.reason.value == "unknown_credential"


def test_a_reader_that_does_not_answer_is_a_fault(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    text = edge_toml(tmp_path, device_id=uuid.uuid4(), tenant_id=uuid.uuid4(), door_id=uuid.uuid4())
    config = load_config(_write(tmp_path, text, key))
    panel_end, _nobody = loopback_pair()
    # No reader on the line, and no centre at the address.
    down = httpx.Client(base_url=f"http://127.0.0.1:{_closed_port()}")
    edge = build(config, outputs=SimulatedOutputs(), client=down, channels={"entrance": panel_end})
    stop = threading.Event()
    running = threading.Thread(target=run, args=(edge, stop))
    running.start()
    try:
        wait_until(lambda: "reader entrance" in edge.agent.health.faults, "the reader's fault")
    finally:
        stop.set()
        running.join()
    assert edge.agent.health.faults["reader entrance"] == "offline"
    assert edge.agent.health.status == "fault"
