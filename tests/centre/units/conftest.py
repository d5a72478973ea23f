"""Fixtures of the field unit tests: a municipality with a site, units and an activation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from stadsvakt.centre.models import Activation, ActivationKind, ActivationState
from stadsvakt.centre.positions import record_position
from stadsvakt.centre.units.models import FieldUnit, PositionSource, UnitStatus, UnitType
from stadsvakt.centre.units.schemas import PositionIn, UnitCreate
from stadsvakt.centre.units.service import create_unit
from stadsvakt.context import acting_as
from stadsvakt.db import utcnow
from stadsvakt.org.models import Municipality, Site
from tests import factories as f

#: The site's position (Malmö, Stortorget) and points at known distances from it.
SITE = (55.6050, 13.0038)


@dataclass
class Town:
    """A municipality with one site (at :data:`SITE`) and an open activation there."""

    tenant: Municipality
    site: Site
    activation: Activation


def unit(
    session: Session,
    tenant: Municipality,
    call_sign: str,
    *,
    unit_type: UnitType = UnitType.GUARD,
    status: UnitStatus = UnitStatus.AVAILABLE,
    at: tuple[float, float] | None = None,
    user_id: uuid.UUID | None = None,
    token_id: uuid.UUID | None = None,
) -> FieldUnit:
    """A field unit, at a position when given."""
    actor = f.system(tenant.id)
    with acting_as(actor):
        row = create_unit(
            session,
            actor,
            UnitCreate(
                call_sign=call_sign,
                name=f"Enhet {call_sign}",
                unit_type=unit_type,
                status=status,
                user_id=user_id,
                token_id=token_id,
            ),
        )
    if at is not None:
        record_position(
            session, row, PositionIn(latitude=at[0], longitude=at[1]), PositionSource.MANUAL
        )
    return row


def activation(
    session: Session, tenant: Municipality, site: Site, opened: datetime | None = None
) -> Activation:
    """An open intrusion activation at ``site``."""
    moment = opened or utcnow()
    row = Activation(
        id=uuid.uuid4(),
        tenant_id=tenant.id,
        site_id=site.id,
        kind=ActivationKind.ALARM,
        category="intrusion",
        code="BA",
        priority=4,
        title="Burglary alarm",
        group_key=f"site|{site.id}|intrusion",
        state=ActivationState.OPEN,
        opened_at=moment,
        last_event_at=moment,
        event_count=1,
        zones=[1],
        version=1,
    )
    session.add(row)
    session.flush()
    return row


def town(session: Session) -> Town:
    """A municipality with a site at :data:`SITE` and an open activation there."""
    tenant = f.municipality(session)
    site = f.site(session, tenant)
    site.latitude, site.longitude = SITE
    session.flush()
    return Town(tenant, site, activation(session, tenant, site))


@pytest.fixture
def here(session: Session) -> Town:
    """This test's municipality."""
    return town(session)


@pytest.fixture
def elsewhere(session: Session) -> Town:
    """Another municipality (not served by the first)."""
    return town(session)
