"""A committed database for the live queue's tests that need other connections or
processes to see what the test writes: a centre's municipality with an operator (a web
login and a token), a site with a DC-09 transmitter, and a JSON alarm input's device token.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from stadsvakt.alarms.models import TransmitterProtocol
from stadsvakt.api.deps import Services
from stadsvakt.app import build_services
from stadsvakt.db import unit_of_work
from stadsvakt.migrate import upgrade
from stadsvakt.settings import CentreSettings, SecuritySettings, Settings
from tests import factories as f
from tests import factories_alarms as fa
from tests.conftest import POSTGRES_ENV


@dataclass
class World:
    """What a live test needs from its committed database."""

    url: str
    settings: Settings
    services: Services
    tenant_id: uuid.UUID
    site_id: uuid.UUID
    #: A DC-09 transmitter of the site (``fa.alarm`` stores alarms as its panel sends them).
    transmitter_id: uuid.UUID
    #: The account of a JSON transmitter of the site, and a device token allowed to post.
    json_account: str
    device: dict[str, str]
    username: str
    password: str
    operator: dict[str, str]


@contextmanager
def committed_database(backend: str, directory: Path) -> Iterator[str]:
    """A new, empty database tests may commit to (dropped afterwards on PostgreSQL)."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'live.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    name = f"stadsvakt_tmp_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def live_settings(url: str) -> Settings:
    """Settings of a live test: cheap hashing, plain-http cookies, a brisk feed poll."""
    security = SecuritySettings(argon2_time_cost=1, argon2_memory_kib=1024, cookie_secure=False)
    return Settings(
        database_url=url,
        security=security,
        centre=CentreSettings(feed_poll_s=0.05),
        _env_file=None,
    )


@contextmanager
def world(url: str) -> Iterator[World]:
    """Migrate ``url`` and commit a centre's municipality, its operator and a site."""
    settings = live_settings(url)
    services = build_services(settings)
    upgrade(settings, services.engine)
    try:
        with unit_of_work(services.session_factory) as session:
            tenant = f.municipality(session, "Hemby kommun")
            site = f.site(session, tenant)
            transmitter = fa.transmitter(session, services.box, tenant, site)
            json_sender = fa.transmitter(
                session, services.box, tenant, site, protocol=TransmitterProtocol.JSON
            )
            device = f.bearer(f.token(session, tenant, "alarm.input"))
            operator = f.user(session, tenant, services.passwords, role="operator")
            token = f.bearer(f.token(session, tenant, "centre.read", "centre.operate"))
            made = World(
                url=url,
                settings=settings,
                services=services,
                tenant_id=tenant.id,
                site_id=site.id,
                transmitter_id=transmitter.id,
                json_account=json_sender.account,
                device=device,
                username=operator.username,
                password=operator.password,
                operator=token,
            )
        yield made
    finally:
        services.engine.dispose()
