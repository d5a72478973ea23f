"""Factories for test data, going through the services so rules and audit apply."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.auth.passwords import Passwords
from stadsvakt.auth.permissions import PERMISSIONS
from stadsvakt.auth.schemas import RoleAssignmentIn, UserCreate
from stadsvakt.auth.service import create_user
from stadsvakt.auth.tokens import create_token
from stadsvakt.context import acting_as, system_actor
from stadsvakt.org.models import Municipality, OrgUnit, OwnerKind, Site, UnitKind
from stadsvakt.org.schemas import MunicipalityCreate, OrgUnitCreate, SiteCreate
from stadsvakt.org.service import create_municipality, create_site, create_unit

PASSWORD = "Rätt häst batteri häftklammer"
_counter = itertools.count(1)


def _n() -> int:
    return next(_counter)


def system(tenant_id: uuid.UUID | None = None):  # type: ignore[no-untyped-def]
    """A system actor, optionally bound to one municipality."""
    return system_actor("test", tenant_id)


def municipality(session: Session, name: str | None = None) -> Municipality:
    """A new municipality with its built-in roles."""
    n = _n()
    actor = system()
    with acting_as(actor):
        return create_municipality(
            session,
            actor,
            MunicipalityCreate(name=name or f"Testby {n}", code=f"{9000 + n % 999:04d}"),
        )


def unit(
    session: Session,
    tenant: Municipality,
    *,
    parent: OrgUnit | None = None,
    name: str | None = None,
) -> OrgUnit:
    """A new organisation unit (a department when it has no parent)."""
    n = _n()
    actor = system(tenant.id)
    kind = UnitKind.UNIT if parent else UnitKind.DEPARTMENT
    data = OrgUnitCreate(
        code=f"U{n}", name=name or f"Enhet {n}", kind=kind, parent_id=parent.id if parent else None
    )
    with acting_as(actor):
        return create_unit(session, actor, data)


def site(
    session: Session, tenant: Municipality, *, unit: OrgUnit | None = None, external: bool = False
) -> Site:
    """A new site, optionally used by a unit and owned by an external landlord."""
    n = _n()
    actor = system(tenant.id)
    data = SiteCreate(
        code=f"S{n}",
        name=f"Fastighet {n}",
        street=f"Storgatan {n}",
        postal_code="211 34",
        city="Testby",
        latitude=55.6,
        longitude=13.0,
        org_unit_id=unit.id if unit else None,
        owner_kind=OwnerKind.EXTERNAL if external else OwnerKind.CITY,
        owner_name="Fastighets AB Hyra" if external else None,
    )
    with acting_as(actor):
        return create_site(session, actor, data)


@dataclass
class TestUser:
    """A user created for a test, with the password to log in."""

    __test__ = False
    id: uuid.UUID
    username: str
    password: str


def user(
    session: Session,
    tenant: Municipality,
    passwords: Passwords,
    *,
    role: str = "system_owner",
    unit: OrgUnit | None = None,
) -> TestUser:
    """A user holding one role (limited to a unit when given)."""
    n = _n()
    actor = system(tenant.id)
    data = UserCreate(
        username=f"user{n}",
        display_name=f"Användare {n}",
        password=PASSWORD,
        roles=[RoleAssignmentIn(role=role, org_unit_id=unit.id if unit else None)] if role else [],
    )
    with acting_as(actor):
        created = create_user(session, actor, data, passwords)
    return TestUser(id=created.id, username=created.username, password=PASSWORD)


def token(session: Session, tenant: Municipality, *scopes: str) -> str:
    """A bearer token with the given scopes."""
    actor = system(tenant.id)
    with acting_as(actor):
        secret, _ = create_token(
            session, actor, name=f"test {_n()}", scopes=list(scopes), expires_days=1
        )
    return secret


def bearer(secret: str) -> dict[str, str]:
    """Authorization header for a token."""
    return {"Authorization": f"Bearer {secret}"}


def login(client: TestClient, who: TestUser) -> dict[str, str]:
    """Log in through the API; the client keeps the session cookie. Returns the CSRF header."""
    response = client.post(
        "/api/v1/auth/login", json={"username": who.username, "password": who.password}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok", response.json()
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def owner_bearer(session: Session, tenant: Municipality) -> dict[str, str]:
    """Authorization header of a token holding every permission in the municipality."""
    return bearer(token(session, tenant, *PERMISSIONS))
