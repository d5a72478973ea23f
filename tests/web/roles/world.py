"""A municipality with something of everything for the role tests to look at: two
departments (the department administrator holds the first), sites, zones and doors,
schedules, profiles, people with assignments, training, cards and grants, a transmitter
with an alarm, a safety-centre activation and a site's service level; and a user of every
built-in role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import ServiceLevel
from stadsvakt.access.schemas.catalogue import SiteServiceIn
from stadsvakt.access.services import catalogue
from stadsvakt.api.deps import Services
from stadsvakt.auth.permissions import BUILTIN_ROLES
from stadsvakt.centre.models import Activation
from stadsvakt.context import acting_as
from stadsvakt.org.models import Municipality, OrgUnit, Site
from tests import factories as f
from tests import factories_access as fa
from tests import factories_alarms as fal
from tests import factories_directory as fd
from tests.centre.handling.conftest import activation

#: Every built-in role, by name.
ROLES = tuple(spec.name for spec in BUILTIN_ROLES)
#: The unit-scoped role, given the first department.
SCOPED = "department_admin"


@dataclass
class RoleWorld:
    """The municipality, its objects in and out of the department administrator's scope,
    and a login per role."""

    tenant: Municipality
    department: OrgUnit
    unit: OrgUnit
    other_department: OrgUnit
    site: Site
    other_site: Site
    ids: dict[str, uuid.UUID]
    activation: Activation
    users: dict[str, f.TestUser]


def _service_level(session: Session, tenant: Municipality, site: Site) -> None:
    """The site at the basic level without the readers it requires (a shortfall)."""
    actor = f.system(tenant.id)
    stmt = select(ServiceLevel).where(ServiceLevel.tenant_id == tenant.id)
    level = session.scalars(stmt.order_by(ServiceLevel.rank)).first()
    assert level is not None
    with acting_as(actor):
        catalogue.set_site_service(
            session, actor, site.id, SiteServiceIn(level_id=level.id, components=[])
        )


def build(session: Session, services: Services) -> RoleWorld:
    """Make the world; each test's transaction is rolled back afterwards."""
    tenant = f.municipality(session, "Rollby kommun")
    department = f.unit(session, tenant, name="Kulturförvaltningen")
    unit = f.unit(session, tenant, parent=department, name="Biblioteken")
    other = f.unit(session, tenant, name="Tekniska förvaltningen")
    site = f.site(session, tenant, unit=unit)
    other_site = f.site(session, tenant, unit=other)
    zone, other_zone = fa.zone(session, site), fa.zone(session, other_site)
    door, other_door = fa.door(session, zone), fa.door(session, other_zone)
    schedule = fa.schedule(session, tenant, unit=unit)
    shared = fa.schedule(session, tenant)
    profile = fa.profile(session, tenant, [zone], unit=unit, on=shared)
    other_profile = fa.profile(session, tenant, [other_zone], unit=other, on=shared)
    person = fd.person(session, tenant, unit=unit, position="Bibliotekarie")
    other_person = fd.person(session, tenant, unit=other, position="Tekniker")
    fd.training(session, person, expires=date(2099, 1, 1))
    card = fa.card(session, person)
    other_card = fa.card(session, other_person)
    grant = fa.grant(session, person, profile, hours=24)
    other_grant = fa.grant(session, other_person, other_profile, hours=24)
    transmitter = fal.transmitter(session, services.box, tenant, site)
    alarm = fal.alarm(session, transmitter)[0]
    _service_level(session, tenant, site)
    opened = activation(session, tenant, site)
    users = {
        role: f.user(
            session,
            tenant,
            services.passwords,
            role=role,
            unit=department if role == SCOPED else None,
        )
        for role in ROLES
    }
    ids = {
        "door": door.id,
        "other_door": other_door.id,
        "zone": zone.id,
        "schedule": schedule.id,
        "profile": profile.id,
        "other_profile": other_profile.id,
        "person": person.id,
        "other_person": other_person.id,
        "credential": card.id,
        "other_credential": other_card.id,
        "grant": grant.id,
        "other_grant": other_grant.id,
        "transmitter": transmitter.id,
        "alarm": alarm.id,
    }
    return RoleWorld(tenant, department, unit, other, site, other_site, ids, opened, users)
