"""Activations made by hand for the statistics and escalation tests, and the centre's
municipalities: a centre (A) serving another (B), and one it does not serve (C)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from stadsvakt.centre.models import (
    Activation,
    ActivationKind,
    ActivationState,
    Cause,
    ServedMunicipality,
)
from stadsvakt.centre.units.models import Dispatch, UnitType
from stadsvakt.context import Actor
from stadsvakt.org.models import Municipality, OrgUnit, Site
from tests import factories as f

_n = itertools.count(1)


@dataclass
class Centre:
    """Municipality A runs the centre and serves B; C is another centre's."""

    a: Municipality
    b: Municipality
    c: Municipality
    a_unit: OrgUnit
    a_other_unit: OrgUnit
    b_unit: OrgUnit
    a_site: Site
    a_other_site: Site
    b_site: Site
    c_site: Site


def centre(session: Session) -> Centre:
    """Three municipalities with a site or two each; A serves B."""
    a, b, c = (f.municipality(session) for _ in range(3))
    a_unit = f.unit(session, a, name="Förvaltning Norr")
    a_other_unit = f.unit(session, a, name="Förvaltning Söder")
    b_unit = f.unit(session, b, name="Omsorgsförvaltningen")
    session.add(ServedMunicipality(centre_tenant_id=a.id, served_tenant_id=b.id))
    session.flush()
    return Centre(
        a,
        b,
        c,
        a_unit,
        a_other_unit,
        b_unit,
        f.site(session, a, unit=a_unit),
        f.site(session, a, unit=a_other_unit),
        f.site(session, b, unit=b_unit),
        f.site(session, c),
    )


def staff(tenant: Municipality, *, lead: bool = False) -> Actor:
    """An operator (or shift leader) of the centre the municipality runs."""
    grants: dict[str, frozenset[uuid.UUID] | None] = {"centre.read": None, "centre.operate": None}
    if lead:
        grants["centre.lead"] = None
    return Actor("user", uuid.uuid4(), "Operatör", tenant.id, grants)


def admin(tenant: Municipality, unit: OrgUnit | None = None) -> Actor:
    """A municipality's own admin (unit-scoped when a unit is given)."""
    scope = None if unit is None else frozenset({unit.id})
    return Actor("user", uuid.uuid4(), "Administratör", tenant.id, {"centre.read": scope})


def activation(
    session: Session,
    site: Site,
    opened_at: datetime,
    *,
    category: str = "intrusion",
    priority: int = 4,
    ack_s: float | None = None,
    close_s: float | None = None,
    cause: Cause | None = None,
    claimed_by: str | None = None,
    claimed_at: datetime | None = None,
) -> Activation:
    """An activation of ``site`` opened at ``opened_at``: acknowledged (claimed) after
    ``ack_s`` seconds and closed after ``close_s`` when given."""
    n = next(_n)
    acknowledged = None if ack_s is None else opened_at + timedelta(seconds=ack_s)
    closed = None if close_s is None else opened_at + timedelta(seconds=close_s)
    state = ActivationState.OPEN
    if acknowledged is not None:
        state = ActivationState.CLAIMED
    if closed is not None:
        state = ActivationState.CLOSED
    row = Activation(
        tenant_id=site.tenant_id,
        site_id=site.id,
        kind=ActivationKind.ALARM,
        category=category,
        code="BA",
        priority=priority,
        title=f"Larm {n}",
        group_key=f"test|{n}",
        state=state,
        opened_at=opened_at,
        last_event_at=opened_at,
        acknowledged_at=acknowledged,
        claimed_by_name=claimed_by or ("Operatör" if acknowledged else None),
        claimed_at=claimed_at or acknowledged,
        closed_at=closed,
        cause=cause if closed is not None else None,
        version=1,
    )
    session.add(row)
    session.flush()
    return row


def dispatch(
    session: Session, to: Activation, unit_type: UnitType, minutes: float | None
) -> Dispatch:
    """A unit of ``unit_type`` sent to an activation when it opened, arriving after
    ``minutes`` (never, for ``None``)."""
    sent = to.opened_at
    row = Dispatch(
        tenant_id=to.tenant_id,
        activation_id=to.id,
        unit_type=unit_type,
        unit_name=f"Enhet {next(_n)}",
        dispatched_at=sent,
        arrived_at=None if minutes is None else sent + timedelta(minutes=minutes),
    )
    session.add(row)
    session.flush()
    return row
