"""Incidents logged by hand from phone calls, in the same queue as device alarms.

A caller reports a disturbance (ordningsstörning), a tenant's problem (hyresgäst), staff
threatened (hotad personal) or something else; the operator logs it with
:func:`log_incident`, which opens an INCIDENT activation (its own group key, so nothing
joins it), writes the call on its timeline and announces it on the queue feed. From then
on it is claimed, handled and closed like any alarm.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints
from sqlalchemy.orm import Session

from stadsvakt.audit.service import record
from stadsvakt.auth.scope import require, subtree_ids
from stadsvakt.centre import feed
from stadsvakt.centre.intake import rules_for
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationKind, ActivationState
from stadsvakt.centre.tenancy import visible_tenants
from stadsvakt.context import Actor
from stadsvakt.errors import InvalidInput, NotFound
from stadsvakt.org.models import Site
from stadsvakt.schemas import StrictInput

#: The timeline line of the call that logged an incident.
ENTRY_KIND = "incident_logged"


class IncidentType(StrEnum):
    """What the caller reports."""

    DISTURBANCE = "disturbance"  # ordningsstörning
    TENANT = "tenant"  # a tenant's problem (hyresgäst)
    STAFF_THREATENED = "staff_threatened"  # hotad personal
    OTHER = "other"


class IncidentCategory(StrEnum):
    """The centre categories an incident may have (they set its default priority)."""

    FIRE = "fire"
    HOLD_UP = "hold_up"  # threat or violence
    MEDICAL = "medical"
    SOCIAL = "social"
    INTRUSION = "intrusion"
    TECHNICAL = "technical"
    OTHER = "other"


#: The category an incident gets when the operator picks none.
DEFAULT_CATEGORY: dict[IncidentType, IncidentCategory] = {
    IncidentType.DISTURBANCE: IncidentCategory.OTHER,
    IncidentType.TENANT: IncidentCategory.TECHNICAL,
    IncidentType.STAFF_THREATENED: IncidentCategory.HOLD_UP,
    IncidentType.OTHER: IncidentCategory.OTHER,
}

Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^[0-9+() -]*$")
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]


class IncidentIn(StrictInput):
    """An incident as the operator logs it: where (a site, or an address), what, who called."""

    tenant_id: uuid.UUID = Field(description="The municipality (one the centre serves)")
    type: IncidentType
    category: IncidentCategory | None = Field(
        default=None, description="Empty: the type's usual category"
    )
    priority: int | None = Field(
        default=None, ge=1, le=9, description="Empty: the category's queue priority"
    )
    site_id: uuid.UUID | None = None
    address: Short = Field(default="", description="Where, when it is not a registered site")
    caller_name: Short = ""
    caller_phone: Phone = ""
    description: Description


def _site(session: Session, actor: Actor, site_id: uuid.UUID, tenant: uuid.UUID) -> Site:
    site = session.get(Site, site_id)
    if site is None or site.tenant_id != tenant:
        raise NotFound(f"site_id: no site {site_id} in the municipality", field="site_id")
    units = actor.scope("centre.operate")
    if units is not None:
        allowed = set(session.execute(subtree_ids(units)).scalars())
        if site.org_unit_id not in allowed:
            raise NotFound(f"site_id: no site {site_id} in your scope", field="site_id")
    return site


def _title(data: IncidentIn, site: Site | None) -> str:
    where = site.name if site is not None else data.address
    first_line = data.description.splitlines()[0] if data.description else ""
    return (f"{where}: {first_line}" if where else first_line)[:200]


def log_incident(session: Session, actor: Actor, data: IncidentIn, *, now: datetime) -> Activation:
    """Open an INCIDENT activation for a call (centre.operate); audited and announced."""
    require(actor, "centre.operate")
    tenants = visible_tenants(session, actor)
    if tenants is not None and data.tenant_id not in tenants:
        raise NotFound("tenant_id: not a municipality you serve", field="tenant_id")
    site = _site(session, actor, data.site_id, data.tenant_id) if data.site_id else None
    if site is None and not data.address:
        raise InvalidInput(
            "address: give a site or an address", field="address", rule="site_or_address"
        )
    category = data.category or DEFAULT_CATEGORY[data.type]
    priority = data.priority or rules_for(session).rank(category)
    activation_id = uuid.uuid4()
    activation = Activation(
        id=activation_id,
        tenant_id=data.tenant_id,
        site_id=site.id if site is not None else None,
        transmitter_id=None,
        kind=ActivationKind.INCIDENT,
        category=category.value,
        code=data.type.value,
        priority=priority,
        title=_title(data, site),
        group_key=f"incident|{activation_id}",
        state=ActivationState.OPEN,
        opened_at=now,
        last_event_at=now,
        event_count=1,
        zones=[],
        confirmed=False,
        restored=False,
        version=1,
    )
    session.add(activation)
    details: dict[str, object] = {
        "type": data.type.value,
        "address": data.address,
        "caller_name": data.caller_name,
        "caller_phone": data.caller_phone,
    }
    session.add(
        ActivationEntry(
            activation_id=activation_id,
            at=now,
            kind=ENTRY_KIND,
            actor_id=actor.id,
            actor_name=actor.name[:200],
            text=data.description,
            data=details,
        )
    )
    feed.publish(session, [(activation, feed.NEW)])
    record(
        session,
        action="centre.incident.log",
        object_type="activation",
        object_id=activation_id,
        object_text=activation.title,
        tenant_id=data.tenant_id,
        after={
            **details,
            "category": category.value,
            "priority": priority,
            "site_id": str(site.id) if site is not None else None,
            "description": data.description,
        },
    )
    return activation
