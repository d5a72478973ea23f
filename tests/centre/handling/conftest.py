"""Helpers for the handling tests: a centre with operators, activations to handle."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from stadsvakt.api.deps import Services
from stadsvakt.auth.models import User
from stadsvakt.auth.service import actor_for_user
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationKind, ActivationState
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.org.models import Municipality, Site
from tests import factories as f


@dataclass
class Operator:
    """A user of the centre with the actor they act as and their login."""

    user: f.TestUser
    actor: Actor


@dataclass
class Centre:
    """A municipality running a centre, one site, two operators and a shift leader."""

    tenant: Municipality
    site: Site
    anna: Operator
    bertil: Operator
    leader: Operator


def operator(session: Session, tenant: Municipality, services: Services, role: str) -> Operator:
    """A user holding ``role`` in ``tenant``."""
    made = f.user(session, tenant, services.passwords, role=role)
    user = session.get(User, made.id)
    assert user is not None
    return Operator(made, actor_for_user(user))


@pytest.fixture
def centre(session: Session, services: Services) -> Centre:
    """A centre with two operators and a shift leader."""
    tenant = f.municipality(session)
    department = f.unit(session, tenant)
    site = f.site(session, tenant, unit=department)
    return Centre(
        tenant,
        site,
        operator(session, tenant, services, "operator"),
        operator(session, tenant, services, "operator"),
        operator(session, tenant, services, "shift_leader"),
    )


def activation(
    session: Session,
    tenant: Municipality,
    site: Site | None,
    *,
    category: str = "intrusion",
    priority: int = 4,
    title: str = "Burglary",
    opened_at: datetime | None = None,
    state: ActivationState = ActivationState.OPEN,
) -> Activation:
    """An activation as the intake opens one, with its first timeline line."""
    at = opened_at or utcnow() - timedelta(minutes=2)
    row = Activation(
        id=uuid.uuid4(),
        tenant_id=tenant.id,
        site_id=site.id if site else None,
        kind=ActivationKind.ALARM,
        category=category,
        code="BA",
        priority=priority,
        title=title,
        group_key=f"site|{site.id if site else tenant.id}|{category}|{uuid.uuid4().hex[:6]}",
        state=state,
        opened_at=at,
        last_event_at=at,
        event_count=1,
        zones=[1],
        confirmed=False,
        restored=False,
        version=1,
    )
    session.add(row)
    session.add(
        ActivationEntry(activation_id=row.id, at=at, kind="event", text=title, data={"zone": 1})
    )
    session.flush()
    return row
