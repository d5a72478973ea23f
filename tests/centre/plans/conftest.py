"""Helpers for the action plan tests: a centre with a site, an admin and an operator, a
second municipality, and activations to follow plans."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.auth.models import User
from stadsvakt.auth.service import actor_for_user
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationKind, ActivationState
from stadsvakt.centre.plans.schemas import PlanIn, StepIn
from stadsvakt.centre.plans.service import create_plan
from stadsvakt.context import Actor, acting_as
from stadsvakt.db import utcnow
from stadsvakt.org.models import Municipality, Site
from tests import factories as f
from tests.web.conftest import log_in


@dataclass
class Person:
    """A user with the actor they act as and their login."""

    user: f.TestUser
    actor: Actor


@dataclass
class Centre:
    """A municipality running a centre: a site, a system owner (centre.admin) and an
    operator; and another municipality with a site of its own."""

    tenant: Municipality
    site: Site
    admin: Person
    operator: Person
    other: Municipality
    other_site: Site
    other_admin: Person


def person(session: Session, tenant: Municipality, services: Services, role: str) -> Person:
    """A user holding ``role`` in ``tenant``."""
    made = f.user(session, tenant, services.passwords, role=role)
    user = session.get(User, made.id)
    assert user is not None
    return Person(made, actor_for_user(user))


@pytest.fixture
def centre(session: Session, services: Services) -> Centre:
    """A centre and a second, unrelated municipality."""
    tenant = f.municipality(session)
    site = f.site(session, tenant, unit=f.unit(session, tenant))
    other = f.municipality(session)
    other_site = f.site(session, other, unit=f.unit(session, other))
    return Centre(
        tenant,
        site,
        person(session, tenant, services, "system_owner"),
        person(session, tenant, services, "operator"),
        other,
        other_site,
        person(session, other, services, "system_owner"),
    )


def activation(
    session: Session,
    tenant: Municipality,
    site: Site | None,
    *,
    category: str = "intrusion",
    title: str = "Inbrottslarm",
) -> Activation:
    """An open activation as the intake makes one."""
    at = utcnow() - timedelta(minutes=1)
    row = Activation(
        id=uuid.uuid4(),
        tenant_id=tenant.id,
        site_id=site.id if site else None,
        kind=ActivationKind.ALARM,
        category=category,
        code="BA",
        priority=4,
        title=title,
        group_key=f"site|{site.id if site else tenant.id}|{category}|{uuid.uuid4().hex[:6]}",
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
    session.add(ActivationEntry(activation_id=row.id, at=at, kind="event", text=title, data={}))
    session.flush()
    return row


def plan(
    session: Session,
    actor: Actor,
    *steps: dict[str, object],
    site: Site | None = None,
    category: str | None = None,
) -> uuid.UUID:
    """A plan with these steps (each a StepIn's fields); returns its id."""
    data = PlanIn(
        site_id=site.id if site else None,
        category=category,
        steps=[StepIn.model_validate(step) for step in steps],
    )
    with acting_as(actor):
        return create_plan(session, actor, data).id


def logged_in(client: TestClient, who: Person) -> TestClient:
    """The client logged in through the web form, preferring Swedish."""
    client.headers["Accept-Language"] = "sv"
    response = log_in(client, who.user.username, who.user.password)
    assert response.status_code == 303, response.text
    return client
