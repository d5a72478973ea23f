"""The audit pages' fixtures: an auditor signed in, and a trail of the city's own rows
beside rows of another municipality that must never show."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.audit.models import AuditEntry
from stadsvakt.audit.service import record
from stadsvakt.context import Actor, acting_as
from stadsvakt.org.models import Municipality
from tests import factories as f
from tests.web.conftest import City, log_in


@dataclass
class Trail:
    """Rows written for the test: the city's, by two actors, and another municipality's."""

    alice: Actor
    bob: Actor
    city: list[AuditEntry]
    other: list[AuditEntry]
    other_tenant: Municipality


def write(
    session: Session,
    actor: Actor,
    tenant_id: uuid.UUID,
    *,
    action: str = "site.update",
    object_type: str = "site",
    text: str = "Skola",
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
    object_id: object | None = None,
) -> AuditEntry:
    """One audit row by ``actor`` in ``tenant_id``."""
    with acting_as(actor):
        return record(
            session,
            action=action,
            object_type=object_type,
            object_id=object_id if object_id is not None else uuid.uuid4(),
            object_text=text,
            tenant_id=tenant_id,
            before=before,
            after=after,
        )


def user_actor(tenant_id: uuid.UUID, name: str) -> Actor:
    """An actor as a signed-in user would be (the id need not be a stored user's)."""
    return Actor(kind="user", id=uuid.uuid4(), name=name, tenant_id=tenant_id)


@pytest.fixture
def trail(session: Session, city: City) -> Trail:
    """Three site changes by Alice, two person changes by Bob; one row of Grannby's."""
    tenant = city.tenant.id
    alice, bob = user_actor(tenant, "Alice Andersson"), user_actor(tenant, "Bob Berg")
    rows = [
        write(
            session,
            alice,
            tenant,
            text=f"Östra skolan {i}",
            before={"name": "A"},
            after={"name": f"B{i}"},
        )
        for i in range(3)
    ]
    rows += [
        write(
            session,
            bob,
            tenant,
            action="person.update",
            object_type="person",
            text=f"Åsa Öberg {i}",
            before={"family_name": "Öberg", "given_name": "Åsa", "active": True},
            after={"family_name": f"Öberg-{i}", "given_name": "Åsa", "active": True},
        )
        for i in range(2)
    ]
    other_tenant = f.municipality(session, "Grannby kommun")
    mallory = user_actor(other_tenant.id, "Mallory Grannby")
    other = [write(session, mallory, other_tenant.id, text="Grannbyskolan hemlig")]
    session.flush()
    return Trail(alice, bob, rows, other, other_tenant)


def signed_in(
    client: TestClient, session: Session, city: City, services: Services, role: str, **kw: object
) -> TestClient:
    """``client`` signed in as a new user holding ``role``, preferring Swedish."""
    who = f.user(session, city.tenant, services.passwords, role=role, **kw)  # type: ignore[arg-type]
    client.headers["Accept-Language"] = "sv"
    assert log_in(client, who.username, who.password).status_code == 303
    return client


@pytest.fixture
def auditor(client: TestClient, session: Session, city: City, services: Services) -> TestClient:
    """A client signed in as the city's auditor (revisor)."""
    return signed_in(client, session, city, services, "auditor")
