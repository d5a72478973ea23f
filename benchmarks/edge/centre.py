"""The centre's side of the edge benchmark: a database holding the generated city, with
one large site for the 20-door edge, and edge devices enrolled through the service.

The city is :mod:`benchmarks.decisions.city` (60,000 people at scale 1). Its sites hold
10 doors each, so the edge's site is made large by moving the zones (and their doors)
of the unit's next sites onto its first site, as a big school with one edge device for
all its doors: the doors, zones, profiles and people stay as generated.
"""

from __future__ import annotations

import base64
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.dc09.run import _throwaway_postgres
from benchmarks.decisions import city as city_mod
from stadsvakt import db_statistics
from stadsvakt.access.models import Door, Zone
from stadsvakt.app import build_services
from stadsvakt.context import acting_as, system_actor
from stadsvakt.db import unit_of_work
from stadsvakt.edge.devices import service as devices
from stadsvakt.edge.devices.models import DeviceKind
from stadsvakt.edge.devices.schemas import EnrolmentCodeCreate
from stadsvakt.edge.devices.settings import DeviceSettings
from stadsvakt.migrate import upgrade
from stadsvakt.org.models import Site
from stadsvakt.settings import Settings

Advance = Callable[[int], None]


@dataclass(frozen=True)
class EnrolledDevice:
    """A device enrolled through the service: its id, signing key, MQTT password, doors."""

    id: uuid.UUID
    key: Ed25519PrivateKey
    mqtt_password: str
    site_id: uuid.UUID
    door_ids: tuple[uuid.UUID, ...]


@dataclass
class Centre:
    """The centre's database with the city written to it."""

    url: str
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    city: city_mod.CityData
    #: The large site and the edge's doors on it.
    site_id: uuid.UUID
    edge_doors: list[uuid.UUID]


@contextmanager
def database(backend: str, postgres_url: str) -> Iterator[str]:
    """A fresh database of ``backend``: a temporary SQLite file or a throwaway PostgreSQL one."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="stadsvakt-bench-edge-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'centre.db'}"
    else:
        with _throwaway_postgres(postgres_url) as url:
            yield url


def make_large_site(data: city_mod.CityData, doors: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Move the zones and doors of the first unit's other sites onto its first site until it
    has ``doors`` doors (or all of the unit's); that site and its first ``doors`` doors."""
    sites = data.rows[Site]
    unit = sites[0]["org_unit_id"]
    target = sites[0]["id"]
    own_sites = [row["id"] for row in sites if row["org_unit_id"] == unit]
    door_rows: list[dict[str, Any]] = data.rows[Door]
    by_site: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in door_rows:
        by_site.setdefault(row["site_id"], []).append(row)
    taken: list[uuid.UUID] = []
    for site in own_sites:
        if len(taken) >= doors:
            break
        for zone in data.rows[Zone]:
            if zone["site_id"] == site:
                zone["site_id"] = target
        for row in by_site.get(site, []):
            row["site_id"] = target
            taken.append(row["id"])
    return target, taken[:doors]


def _analyze(engine: Engine) -> None:
    """Planner statistics after the bulk load, as a server would have them (bench ui)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    db_statistics.refresh(engine)


def write_city(
    url: str,
    *,
    scale: float,
    seed: int,
    doors: int,
    extra: Callable[[city_mod.CityData], None] | None = None,
    progress: Callable[[int], Callable[[int], None]] | None = None,
) -> Centre:
    """Migrate ``url``, write the city (with its large site, and ``extra``'s rows added to
    the generated ones) and return the open centre; the caller disposes its engine."""
    settings = Settings(database_url=url, _env_file=None)
    services = build_services(settings)
    upgrade(settings, services.engine)
    with unit_of_work(services.session_factory) as session:
        tenant = city_mod.new_tenant(session)
        data = city_mod.generate(tenant, scale=scale, seed=seed)
        site, edge_doors = make_large_site(data, doors)
        if extra is not None:
            extra(data)
        total = sum(len(rows) for rows in data.rows.values())
        advance = progress(total) if progress is not None else None
        city_mod.write(session, data, (lambda _, n: advance(n)) if advance else None)
    _analyze(services.engine)
    return Centre(url, settings, services.engine, services.session_factory, data, site, edge_doors)


def _public_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def enrol(
    session: Session, tenant_id: uuid.UUID, site_id: uuid.UUID, door_ids: list[uuid.UUID], name: str
) -> EnrolledDevice:
    """Enrol one edge agent for ``door_ids`` at ``site_id`` as an installer would: an
    administrator's one-time code, then the device's own key sent with it."""
    actor = system_actor("bench edge", tenant_id)
    data = EnrolmentCodeCreate(
        name=name, kind=DeviceKind.EDGE_AGENT, site_id=site_id, door_ids=door_ids
    )
    with acting_as(actor):
        _, code = devices.create_enrolment_code(session, actor, data, settings=DeviceSettings())
    key = Ed25519PrivateKey.generate()
    result = devices.enrol(session, code, _public_b64(key), "bench")
    served = tuple(devices.doors_of(session, result.device_id))
    return EnrolledDevice(result.device_id, key, result.mqtt_password, site_id, served)
