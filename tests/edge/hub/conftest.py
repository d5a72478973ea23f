"""Fixtures of the edge hub's tests: a committed database (the hub works in sessions of
its own, from other threads), a real Mosquitto per module whose password file the hub
rewrites and reloads, a small municipality with enrolled devices, and simulated edges
that speak the protocol over the broker (``tests/edge/hub/edges.py``).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from stadsvakt.access.models import Door, Zone
from stadsvakt.db import create_db_engine, create_session_factory, unit_of_work, utcnow
from stadsvakt.edge.broker.mosquitto import MosquittoBroker
from stadsvakt.edge.broker.settings import BrokerSettings
from stadsvakt.edge.devices import service
from stadsvakt.edge.settings import EdgeSettings
from stadsvakt.edge.snapshot.settings import SnapshotSettings
from stadsvakt.migrate import upgrade
from stadsvakt.org.models import Site
from stadsvakt.settings import Settings
from tests import factories as f
from tests import factories_decisions as fd
from tests.centre.live.world import committed_database
from tests.conftest import fast_security
from tests.edge.conftest import require_mosquitto
from tests.edge.devices.conftest import device_key, make_code

CENTRE = "stadsvakt-centre"


@dataclass(frozen=True, slots=True)
class Device:
    """An enrolled device: its id (= MQTT username), password, key and doors."""

    id: uuid.UUID
    password: str
    key: Ed25519PrivateKey
    doors: list[uuid.UUID]


@dataclass
class Town:
    """A municipality with one site whose doors open for one person's card."""

    tenant: uuid.UUID
    site: uuid.UUID
    zone: uuid.UUID
    doors: list[uuid.UUID]
    person: uuid.UUID
    card: uuid.UUID
    card_number: str
    devices: list[Device] = field(default_factory=list)


@pytest.fixture(scope="module")
def factory(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    """Sessions of a migrated database of this module's own that tests commit to."""
    with committed_database(backend, tmp_path_factory.mktemp("hub")) as url:
        settings = Settings(database_url=url, security=fast_security(), _env_file=None)
        engine = create_db_engine(settings)
        upgrade(settings, engine)
        yield create_session_factory(engine)
        engine.dispose()


@dataclass(frozen=True, slots=True)
class Broker:
    """This module's Mosquitto, the centre's password and Mosquitto's pid file."""

    mosquitto: MosquittoBroker
    centre_password: str
    pid_file: Path


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A Mosquitto of this module's own, knowing only the centre until the hub writes."""
    require_mosquitto()
    password = secrets.token_urlsafe(16)
    with MosquittoBroker([], centre_username=CENTRE, centre_password=password) as mosquitto:
        pid_file = tmp_path_factory.mktemp("mosquitto") / "mosquitto.pid"
        pid_file.write_text(f"{mosquitto.pid}\n")
        yield Broker(mosquitto, password, pid_file)


def edge_settings(broker: Broker) -> EdgeSettings:
    """The hub's settings for this module's broker: a brisk feed poll, the broker's own
    password file and pid file, and deltas without the overlap (the town is made within
    a second, and with it every delta would name all of it again)."""
    mosquitto = broker.mosquitto
    return EdgeSettings(
        broker=BrokerSettings(
            enabled=True,
            host=mosquitto.host,
            port=mosquitto.port,
            tls_ca=mosquitto.tls.ca,
            centre_username=CENTRE,
            centre_password=SecretStr(broker.centre_password),
            feed_poll_ms=50,
            password_file=mosquitto.listener.password_file,
            pid_file=broker.pid_file,
        ),
        snapshot=SnapshotSettings(delta_overlap_seconds=0),
    )


def enrol(factory: sessionmaker[Session], town: Town, doors: list[uuid.UUID]) -> Device:
    """Enrol a device serving ``doors`` of the town's site, as an administrator and the
    device would (a one-time code, then the device's key), committed."""
    with unit_of_work(factory) as session:
        site = session.get_one(Site, town.site)
        rows = [session.get_one(Door, d) for d in doors]
        _, plain = make_code(session, f.system(town.tenant), site, rows)
        key, public = device_key()
        result = service.enrol(session, plain, public, "1.0.0")
    device = Device(result.device_id, result.mqtt_password, key, doors)
    town.devices.append(device)
    return device


@pytest.fixture
def town(factory: sessionmaker[Session]) -> Town:
    """A municipality, a site with four doors, a person whose card opens them all at any
    time, and one device serving the first door (more with :func:`enrol`)."""
    with unit_of_work(factory) as session:
        tenant = f.municipality(session)
        site = f.site(session, tenant)
        zone: Zone = fd.zone(session, site)
        doors = [fd.door(session, zone) for _ in range(4)]
        profile = fd.profile(session, tenant, [zone], fd.schedule(session, tenant))
        person = fd.person(session, tenant)
        fd.grant(session, profile, person_row=person, valid_from=utcnow() - timedelta(days=1))
        card = fd.credential(session, person)
        made = Town(
            tenant.id,
            site.id,
            zone.id,
            [d.id for d in doors],
            person.id,
            card.id,
            card.identifier,
        )
    enrol(factory, made, made.doors[:1])
    return made
