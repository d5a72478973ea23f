"""The demo's edge: its devices enrolled through the real services with their files, and,
while the demo serves, the devices deciding at their doors over the embedded broker, up
to a card revoked in the web UI and then denied at the door."""

from __future__ import annotations

import re
import socket
import stat
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessEvent, Credential, CredentialKind
from stadsvakt.api.deps import Services
from stadsvakt.app import create_app
from stadsvakt.audit.models import AuditEntry
from stadsvakt.demo.data import load_city
from stadsvakt.demo.edge import DemoEdge, demo_edge
from stadsvakt.demo.footfall import DemoDoor
from stadsvakt.demo.run import build_demo, demo_settings, remove_old_database
from stadsvakt.demo.seed import SeedResult, seed_demo
from stadsvakt.demo.seed_edge import (
    CONFIG_NAME,
    EDGE_PLANS,
    demo_edge_settings,
    edge_folder,
    seed_demo_edge,
)
from stadsvakt.edge.agent.config import load_config
from stadsvakt.edge.agent.uploader import load_device_key
from stadsvakt.edge.broker.passwords import verify_mosquitto_hash
from stadsvakt.edge.devices.models import DeviceState, EdgeDevice, EdgeDeviceDoor
from stadsvakt.org.models import Site
from stadsvakt.settings import Settings
from tests.conftest import fast_security
from tests.live import serving
from tests.waiting import wait_until
from tests.web.conftest import csrf_of

_VERSION = re.compile(r'name="version" value="([^"]+)"')
#: How often a test that reads the database looks (it shares the GIL with the readers).
POLL_S = 0.2
#: How long before a card shown with no decision is shown again.
AGAIN_S = 3.0


def _doors(session: Session, device_id: uuid.UUID) -> set[uuid.UUID]:
    rows = select(EdgeDeviceDoor.door_id).where(EdgeDeviceDoor.device_id == device_id)
    return set(session.scalars(rows))


def test_seeding_enrols_active_devices_at_their_sites_with_their_files(
    session: Session, services: Services, tmp_path: Path
) -> None:
    city = load_city()
    seeded = seed_demo(session, services.passwords, city, people=40)
    edge = demo_edge_settings(services.settings.edge, tmp_path / "demo.db")
    settings = services.settings.model_copy(update={"edge": edge})
    folder = tmp_path / "demo.db.edge"

    devices = seed_demo_edge(session, settings, city, seeded, folder)

    assert len(devices) == len(EDGE_PLANS) == 3
    for plan, device in zip(EDGE_PLANS, devices, strict=True):
        row = session.get_one(EdgeDevice, device.device_id)
        assert row.state is DeviceState.ACTIVE and row.name == plan.name
        site = session.get_one(Site, row.site_id)
        placed = seeded.access.sites[site.code]
        assert site.name == device.site_name
        assert _doors(session, row.id) == {placed.doors[i].id for i in plan.doors}
        # What the device keeps is what it was enrolled with, readable by its owner only.
        config = load_config(device.config)
        assert config.device_id == row.id and config.tenant_id == seeded.municipality.id
        assert {door.door_id for door in config.doors} == _doors(session, row.id)
        key = load_device_key(config.key_file.read_bytes())
        assert key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) == row.public_key
        assert config.broker is not None
        assert verify_mosquitto_hash(config.broker.password(), row.mqtt_password_hash)
        assert (config.broker.host, config.broker.port) == (edge.broker.host, edge.broker.port)
        for secret in (config.key_file, config.broker.password_file):
            assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert config.centre_key_file is not None
        centre_key = edge.snapshot.public_key().public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
        assert config.centre_key_file.read_bytes() == centre_key
    enrolled = session.scalars(
        select(AuditEntry.object_id).where(AuditEntry.action == "edge_device.enrol")
    )
    assert set(enrolled) == {str(d.device_id) for d in devices}


def test_each_run_has_its_own_broker_password_and_signing_key(tmp_path: Path) -> None:
    base = Settings(_env_file=None, security=fast_security())
    first, second = (
        demo_settings(base, database=tmp_path / "demo.db", host="127.0.0.1", port=8000).edge
        for _ in range(2)
    )
    assert not first.broker.enabled  # the demo runs its own hub, not serve's
    assert first.broker.centre_password is not None and second.broker.centre_password is not None
    assert (
        first.broker.centre_password.get_secret_value()
        != second.broker.centre_password.get_secret_value()
    )
    assert first.snapshot.public_key() != second.snapshot.public_key()
    assert first.broker.tls_ca == (tmp_path / "demo.db.edge" / "broker" / "ca.pem").absolute()


def test_a_new_demo_removes_the_old_demos_edge_folder(tmp_path: Path) -> None:
    database = tmp_path / "demo.db"
    database.write_bytes(b"")
    device = edge_folder(database) / "sb-025"
    device.mkdir(parents=True)
    (device / CONFIG_NAME).write_text("device_id = 1\n")
    keep = tmp_path / "notes.db.edge"
    keep.mkdir()

    remove_old_database(database)

    assert not edge_folder(database).exists() and not database.exists()
    assert keep.is_dir()  # another database's folder is not this demo's


# The demo serving, its edge running ---------------------------------------------------


def _granted_pair(base: str, result: SeedResult, edge: DemoEdge) -> tuple[DemoDoor, str]:
    """A door of the edge and a staff card the centre itself grants there now."""
    headers = {"Authorization": f"Bearer {result.device_token}"}
    for door in edge.doors.values():
        for card in door.cards.staff:
            body = {"door_id": str(door.door.door_id), "credential": card}
            answer = httpx.post(f"{base}/api/v1/access/decisions", json=body, headers=headers)
            assert answer.status_code == 200, answer.text
            if answer.json()["granted"]:
                return door, card
    raise AssertionError("no staff card of the edge's doors is granted by the centre")


def _last_event_id(services: Services) -> int:
    with services.session_factory() as session:
        return session.scalar(select(func.max(AccessEvent.id))) or 0


def _edge_event(services: Services, door: DemoDoor, card: str, after: int) -> AccessEvent | None:
    """The newest decision the door's device uploaded for ``card`` after event ``after``."""
    with services.session_factory() as session:
        return session.scalars(
            select(AccessEvent)
            .where(
                AccessEvent.source == f"edge:{door.device_id}",
                AccessEvent.door_id == door.door.door_id,
                AccessEvent.credential == card,
                AccessEvent.id > after,
            )
            .order_by(AccessEvent.id.desc())
        ).first()


def _all_synced(services: Services, edge: DemoEdge) -> bool:
    with services.session_factory() as session:
        rows = [session.get_one(EdgeDevice, c.device_id) for c in edge.configs]
    return all(r.snapshot_version > 0 and r.last_seen_at is not None for r in rows)


def _decided_at_the_edge(
    services: Services, edge: DemoEdge, door: DemoDoor, card: str
) -> AccessEvent:
    """Show ``card`` at ``door`` once its reader answers; the decision as it
    reached the centre's access events."""
    agent = next(a for a in edge.agents if a.config.device_id == door.device_id)
    wait_until(lambda: agent.edge.readers.online(door.door.reader), "the reader online")
    after = _last_event_id(services)
    found: list[AccessEvent] = []
    shown = [-AGAIN_S]

    def uploaded() -> bool:
        event = _edge_event(services, door, card, after)
        if event is not None:
            found.append(event)
            return True
        # As a person does when the reader shows nothing: the card again, a little later
        # (a read may be lost while the reader is being polled again after a late reply).
        if time.monotonic() - shown[-1] >= AGAIN_S:
            door.present(card)
            shown.append(time.monotonic())
        return False

    wait_until(uploaded, "the edge's decision in the centre's access events", every=POLL_S)
    return found[-1]


@contextmanager
def _logged_in(base: str, result: SeedResult) -> Iterator[httpx.Client]:
    """A browser logged in as the demo's admin through the login form, in English."""
    admin = result.admin
    with httpx.Client(base_url=base, headers={"Accept-Language": "en"}) as browser:
        login = browser.get("/login")
        data = {"username": admin.username, "password": admin.password, "next": "/"}
        answer = browser.post("/login", data=data | {"csrf_token": csrf_of(login.text)})
        assert answer.status_code == 303, answer.text
        yield browser


def _revoke_in_the_ui(base: str, result: SeedResult, credential_id: uuid.UUID) -> None:
    """Revoke the card as the person page's Revoke button does (its confirmation page,
    then the form there)."""
    with _logged_in(base, result) as browser:
        confirm = browser.get(f"/access/credentials/{credential_id}/revoke")
        assert confirm.status_code == 200, confirm.text
        version = _VERSION.search(confirm.text)
        assert version
        fields = {"csrf_token": csrf_of(confirm.text.split("<main", 1)[1]), "version": version[1]}
        done = browser.post(f"/access/credentials/{credential_id}/revoke", data=fields)
        assert done.status_code == 303, done.text


def _live_state(base: str, result: SeedResult, site_id: uuid.UUID, door_id: uuid.UUID) -> str:
    """The door's row of the site's door table (the site page's live part), as an admin
    sees it."""
    with _logged_in(base, result) as browser:
        page = browser.get(f"/sites/{site_id}/doors")
        assert page.status_code == 200, page.text
    rows = [row for row in page.text.split("<tr") if f"/access/doors/{door_id}" in row]
    assert len(rows) == 1, page.text
    return rows[0]


@pytest.mark.slow
def test_the_demo_edge_decides_reports_and_denies_a_card_revoked_in_the_ui(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base_settings = Settings(_env_file=None, security=fast_security())
    settings = demo_settings(
        base_settings, database=tmp_path / "demo.db", host="127.0.0.1", port=port
    )
    services, result = build_demo(settings, scale=1, console=Console(quiet=True), people=120)
    try:
        with socket.socket() as taken:
            # Another program on the broker's port: the demo serves on without its edge.
            taken.bind(("127.0.0.1", settings.edge.broker.port))
            taken.listen()
            with demo_edge(settings, services) as nothing:
                assert nothing is None
        with (
            serving(create_app(settings, services), sock=sock) as base,
            demo_edge(settings, services, every_s=1.0) as edge,
        ):
            assert edge is not None and "3 simulated door controllers" in edge.describe()
            # Every device said hello and was sent its snapshot, and reports its status.
            wait_until(
                lambda: _all_synced(services, edge),
                "every device's snapshot and status",
                every=POLL_S,
            )
            for agent in edge.agents:
                assert agent.edge.link is not None and agent.edge.link.taken["snapshot"] >= 1

            door, card = _granted_pair(base, result, edge)
            granted = _decided_at_the_edge(services, edge, door, card)
            assert granted.granted, granted.reason

            with services.session_factory() as session:
                site_id = session.get_one(EdgeDevice, door.device_id).site_id
                credential_id = session.scalars(
                    select(Credential.id).where(
                        Credential.identifier == card, Credential.kind == CredentialKind.CARD
                    )
                ).one()
            row = _live_state(base, result, site_id, door.door.door_id)
            assert re.search(r"\b(Locked|Unlocked|Door open|Held open)\b", row), row
            assert "no device reports" not in row

            link = next(a for a in edge.agents if a.config.device_id == door.device_id).edge.link
            assert link is not None
            changes = link.taken["revoke"] + link.taken["delta"]
            _revoke_in_the_ui(base, result, credential_id)
            wait_until(
                lambda: link.taken["revoke"] + link.taken["delta"] > changes,
                "the revocation at the edge",
            )
            denied = _decided_at_the_edge(services, edge, door, card)
            assert not denied.granted
            assert denied.reason in {"credential_revoked", "unknown_credential"}
        left = {t.name for t in threading.enumerate()}
        assert not {"demo-edge-centre", "demo-footfall"} & left
        assert not {f"edge-{c.device_id}" for c in edge.configs} & left
    finally:
        services.engine.dispose()
