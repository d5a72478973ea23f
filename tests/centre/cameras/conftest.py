"""Helpers for the camera tests: the camera simulator on a real port, a centre with a site
and an activation, and cameras around it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.app import bind_services
from stadsvakt.auth.models import User
from stadsvakt.auth.service import actor_for_user
from stadsvakt.centre.camera_sim import create_app as simulator
from stadsvakt.centre.cameras.models import Camera, CameraAuth
from stadsvakt.centre.models import Activation, ActivationKind, ActivationState
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.org.models import Municipality, Site
from tests import factories as f
from tests.live import serving


@pytest.fixture(scope="module")
def sim() -> Iterator[str]:
    """The camera simulator's base URL (``/cameras/{name}/snapshot.png``, ``/hang`` …)."""
    app = FastAPI()
    app.mount("/", simulator())
    with serving(app) as url:
        yield url


@dataclass
class Person:
    """A user with the actor they act as."""

    user: f.TestUser
    actor: Actor


@dataclass
class World:
    """A centre's municipality with a site and an activation there; another municipality."""

    tenant: Municipality
    site: Site
    activation: Activation
    operator: Person
    admin: Person
    other: Municipality
    other_site: Site
    other_activation: Activation
    stranger: Person


def person(session: Session, tenant: Municipality, services: Services, role: str) -> Person:
    """A user holding ``role`` in ``tenant``."""
    made = f.user(session, tenant, services.passwords, role=role)
    user = session.get(User, made.id)
    assert user is not None
    return Person(made, actor_for_user(user))


def activation(session: Session, tenant: Municipality, site: Site) -> Activation:
    """An open intrusion activation at ``site``."""
    at = utcnow() - timedelta(minutes=1)
    row = Activation(
        id=uuid.uuid4(),
        tenant_id=tenant.id,
        site_id=site.id,
        kind=ActivationKind.ALARM,
        category="intrusion",
        code="BA",
        priority=4,
        title="Burglary alarm",
        group_key=f"site|{site.id}|intrusion|{uuid.uuid4().hex[:6]}",
        state=ActivationState.OPEN,
        opened_at=at,
        last_event_at=at,
        event_count=1,
        zones=[1],
        confirmed=False,
        restored=False,
        version=1,
    )
    session.add(row)
    session.flush()
    return row


def camera(
    session: Session,
    tenant: Municipality,
    url: str,
    *,
    name: str,
    site: Site | None = None,
    north_m: float = 0.0,
    auth: CameraAuth = CameraAuth.NONE,
    enabled: bool = True,
) -> Camera:
    """A camera ``north_m`` metres north of the test sites (55.6, 13.0)."""
    row = Camera(
        tenant_id=tenant.id,
        site_id=site.id if site else None,
        name=name,
        latitude=55.6 + north_m / 111_195.0,
        longitude=13.0,
        snapshot_url=url,
        auth=auth,
        enabled=enabled,
    )
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def world(session: Session, services: Services) -> World:
    """Two municipalities, each with a site and an open activation."""
    tenant = f.municipality(session)
    site = f.site(session, tenant, unit=f.unit(session, tenant))
    other = f.municipality(session)
    other_site = f.site(session, other, unit=f.unit(session, other))
    return World(
        tenant=tenant,
        site=site,
        activation=activation(session, tenant, site),
        operator=person(session, tenant, services, "operator"),
        admin=person(session, tenant, services, "system_owner"),
        other=other,
        other_site=other_site,
        other_activation=activation(session, other, other_site),
        stranger=person(session, other, services, "system_owner"),
    )


@pytest.fixture
def quick(app: FastAPI, services: Services) -> Services:
    """The app's services with a short camera time limit (0.5 s), for hanging cameras."""
    centre = services.settings.centre.model_copy(update={"camera_timeout_s": 0.5})
    faster = replace(services, settings=services.settings.model_copy(update={"centre": centre}))
    bind_services(app, faster)
    return faster
