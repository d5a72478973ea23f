"""Fixtures of the edge device tests: a municipality with two units' sites and doors,
and helpers that make an enrolment code and a device key."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.orm import Session

from stadsvakt.access.models import Door
from stadsvakt.context import Actor, acting_as
from stadsvakt.edge.devices import service
from stadsvakt.edge.devices.models import DeviceKind, EnrolmentCode
from stadsvakt.edge.devices.schemas import EnrolmentCodeCreate
from stadsvakt.edge.devices.settings import DeviceSettings
from stadsvakt.org.models import Municipality, OrgUnit, Site
from tests import factories as f
from tests import factories_access as fa
from tests.web.conftest import browser, city, owner

#: The web fixtures, for the page tests.
__all__ = ["browser", "city", "owner"]


@dataclass
class Town:
    """A municipality with two departments, a site and two doors in each."""

    tenant: Municipality
    north: OrgUnit
    south: OrgUnit
    north_site: Site
    south_site: Site
    north_doors: list[Door]
    south_doors: list[Door]

    def owner(self) -> Actor:
        """A system actor in the municipality."""
        actor: Actor = f.system(self.tenant.id)
        return actor

    def admin_of(self, unit: OrgUnit) -> Actor:
        """A department administrator of ``unit`` (device and site rights there)."""
        scope = frozenset({unit.id})
        grants: dict[str, frozenset[uuid.UUID] | None] = {
            p: scope for p in ("device.read", "device.write", "site.read", "access.read")
        }
        return Actor(
            kind="user",
            id=uuid.uuid4(),
            name="Avdelningsadmin",
            tenant_id=self.tenant.id,
            grants=grants,
        )


@pytest.fixture
def town(session: Session) -> Town:
    """Two departments with a site and two doors each."""
    tenant = f.municipality(session)
    north, south = f.unit(session, tenant, name="Norr"), f.unit(session, tenant, name="Söder")
    north_site, south_site = (
        f.site(session, tenant, unit=north),
        f.site(session, tenant, unit=south),
    )
    north_zone, south_zone = fa.zone(session, north_site), fa.zone(session, south_site)
    return Town(
        tenant,
        north,
        south,
        north_site,
        south_site,
        [fa.door(session, north_zone), fa.door(session, north_zone)],
        [fa.door(session, south_zone), fa.door(session, south_zone)],
    )


def device_key() -> tuple[Ed25519PrivateKey, str]:
    """A fresh Ed25519 key and its public half in base64, as a device sends it."""
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return private, base64.b64encode(raw).decode()


def make_code(
    session: Session,
    actor: Actor,
    site: Site,
    doors: list[Door] | None = None,
    *,
    name: str = "Agent entré",
    now: datetime | None = None,
    hours: int = 24,
) -> tuple[EnrolmentCode, str]:
    """An enrolment code for a device at ``site`` serving ``doors``."""
    data = EnrolmentCodeCreate(
        name=name,
        kind=DeviceKind.EDGE_AGENT,
        site_id=site.id,
        door_ids=[d.id for d in doors or []],
    )
    with acting_as(actor):
        return service.create_enrolment_code(
            session, actor, data, settings=DeviceSettings(enrolment_code_hours=hours), now=now
        )
