"""Factories for access-model test data (zones, doors, schedules, profiles, grants,
credentials), going through the access services so their rules and audit apply."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from sqlalchemy.orm import Session

from stadsvakt.access.models import (
    AccessProfile,
    Credential,
    CredentialKind,
    Door,
    DoorMode,
    Grant,
    GrantKind,
    HolidayCalendar,
    Schedule,
    Zone,
)
from stadsvakt.access.schemas.credentials import CredentialCreate
from stadsvakt.access.schemas.places import DoorCreate, ZoneCreate
from stadsvakt.access.schemas.profiles import GrantCreate, ProfileCreate
from stadsvakt.access.schemas.schedules import HolidayCalendarCreate, IntervalIn, ScheduleCreate
from stadsvakt.access.services import credentials, grants, places, profiles, schedules
from stadsvakt.auth.passwords import Passwords
from stadsvakt.context import acting_as
from stadsvakt.directory.models import Person, PersonKind
from stadsvakt.org.models import Municipality, OrgUnit, Site
from tests.conftest import fast_security
from tests.factories import system

_counter = itertools.count(1)
_passwords = Passwords(fast_security())

#: Monday to Friday, 07:00 to 18:00.
OFFICE_HOURS = [IntervalIn(day=d, start="07:00", end="18:00") for d in range(5)]


def zone(session: Session, site: Site) -> Zone:
    """A zone in a site."""
    n = next(_counter)
    actor = system(site.tenant_id)
    with acting_as(actor):
        return places.create_zone(
            session, actor, ZoneCreate(site_id=site.id, code=f"Z{n}", name=f"Zon {n}")
        )


def door(
    session: Session,
    in_zone: Zone,
    *,
    mode: DoorMode = DoorMode.SECURE,
    unlock: Schedule | None = None,
) -> Door:
    """A door with one reader in a zone."""
    n = next(_counter)
    actor = system(in_zone.tenant_id)
    data = DoorCreate(
        zone_id=in_zone.id,
        code=f"D{n}",
        name=f"Dörr {n}",
        reader_ids=[f"R{n}"],
        mode=mode,
        unlock_schedule_id=unlock.id if unlock else None,
    )
    with acting_as(actor):
        return places.create_door(session, actor, data)


def calendar(session: Session, tenant: Municipality) -> HolidayCalendar:
    """A calendar of Swedish public holidays and one local day."""
    n = next(_counter)
    actor = system(tenant.id)
    data = HolidayCalendarCreate.model_validate(
        {
            "code": f"HC{n}",
            "name": f"Helgdagar {n}",
            "local_days": [{"date": "2026-06-05", "name": "Studiedag"}],
        }
    )
    with acting_as(actor):
        return schedules.create_calendar(session, actor, data)


def schedule(
    session: Session,
    tenant: Municipality,
    *,
    unit: OrgUnit | None = None,
    intervals: list[IntervalIn] | None = None,
) -> Schedule:
    """Office hours (or the given intervals), shared or owned by a unit."""
    n = next(_counter)
    actor = system(tenant.id)
    data = ScheduleCreate(
        code=f"SC{n}",
        name=f"Schema {n}",
        org_unit_id=unit.id if unit else None,
        intervals=intervals if intervals is not None else OFFICE_HOURS,
    )
    with acting_as(actor):
        return schedules.create_schedule(session, actor, data)


def profile(
    session: Session,
    tenant: Municipality,
    zones: list[Zone],
    *,
    unit: OrgUnit | None = None,
    on: Schedule | None = None,
) -> AccessProfile:
    """A profile opening zones at a schedule (office hours unless given)."""
    n = next(_counter)
    actor = system(tenant.id)
    used = on or schedule(session, tenant)
    data = ProfileCreate(
        code=f"AP{n}",
        name=f"Profil {n}",
        org_unit_id=unit.id if unit else None,
        schedule_id=used.id,
        zone_ids=[z.id for z in zones],
    )
    with acting_as(actor):
        return profiles.create_profile(session, actor, data)


#: The grant kind a holder of each kind of person gets from :func:`grant`.
_KIND_FOR = {
    PersonKind.EMPLOYEE: GrantKind.EXTRA,
    PersonKind.GUEST: GrantKind.GUEST,
    PersonKind.CONTRACTOR: GrantKind.CONTRACTOR,
}


def grant(
    session: Session,
    who: Person,
    prof: AccessProfile,
    *,
    hours: int = 2,
    host: Person | None = None,
    reason: str = "Test",
) -> Grant:
    """A grant from now for some hours, of the kind that fits the holder (an employee's
    extra right, a guest's or a contractor's grant); the host is the employee ``host``,
    or the holder when they are an employee."""
    actor = system(who.tenant_id)
    now = datetime.now(UTC)
    kind = _KIND_FOR[who.kind]
    responsible = host or who
    data = GrantCreate(
        profile_id=prof.id,
        person_id=who.id,
        kind=kind,
        valid_from=now,
        valid_to=now + timedelta(hours=hours),
        host_person_id=responsible.id,
        reason=reason,
        company="Testbolaget AB" if kind is GrantKind.CONTRACTOR else None,
    )
    with acting_as(actor):
        return grants.create_grant(session, actor, data)


def card(session: Session, who: Person, uid: str | None = None) -> Credential:
    """An active MIFARE DESFire card."""
    actor = system(who.tenant_id)
    data = CredentialCreate(
        person_id=who.id,
        kind=CredentialKind.CARD,
        identifier=uid or f"04{next(_counter):012X}",
        technology="MIFARE DESFire EV2",
    )
    with acting_as(actor):
        return credentials.create_credential(session, actor, data, _passwords)


def pin(session: Session, who: Person, digits: str = "4711") -> Credential:
    """A PIN credential."""
    actor = system(who.tenant_id)
    data = CredentialCreate(person_id=who.id, kind=CredentialKind.PIN, pin=SecretStr(digits))
    with acting_as(actor):
        return credentials.create_credential(session, actor, data, _passwords)
