"""A centre municipality serving another, with sites, and actors of both."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from stadsvakt.centre.models import ServedMunicipality
from stadsvakt.context import Actor
from stadsvakt.org.models import Municipality, OrgUnit, Site
from tests import factories as f

OPERATOR = ("centre.read", "centre.operate")


def actor(tenant: Municipality, *permissions: str, units: frozenset[uuid.UUID] | None = None,
          name: str = "Olle Operatör") -> Actor:  # fmt: skip
    """A user actor of ``tenant`` holding ``permissions`` (limited to ``units`` when given)."""
    return Actor(
        kind="user",
        id=uuid.uuid4(),
        name=name,
        tenant_id=tenant.id,
        grants=dict.fromkeys(permissions, units),
    )


@dataclass
class Centre:
    """A municipality running a centre, one it serves and one it does not."""

    home: Municipality
    served: Municipality
    other: Municipality
    home_unit: OrgUnit
    served_unit: OrgUnit
    home_site: Site
    served_site: Site
    other_site: Site
    operator: Actor
    admin: Actor


@pytest.fixture
def centre(session: Session) -> Centre:
    """Hässleby runs the centre and serves Östby; Västby is someone else's."""
    home, served, other = (f.municipality(session) for _ in range(3))
    home_unit = f.unit(session, home, name="Distrikt Centrum")
    served_unit = f.unit(session, served, name="Distrikt Norr")
    session.add(
        ServedMunicipality(id=uuid.uuid4(), centre_tenant_id=home.id, served_tenant_id=served.id)
    )
    session.flush()
    return Centre(
        home=home,
        served=served,
        other=other,
        home_unit=home_unit,
        served_unit=served_unit,
        home_site=f.site(session, home, unit=home_unit),
        served_site=f.site(session, served, unit=served_unit),
        other_site=f.site(session, other),
        operator=actor(home, *OPERATOR),
        admin=actor(home, "centre.read", "centre.operate", "centre.admin", name="Sara Systemägare"),
    )
