"""Factories for decision tests: rows of the access model written straight to the
database, each with its change-feed entry, as the services write them."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from stadsvakt.access.changes import Entity, note_change
from stadsvakt.access.models import (
    AccessProfile,
    Credential,
    CredentialKind,
    CredentialState,
    Door,
    DoorMode,
    Grant,
    HolidayCalendar,
    HolidayMode,
    PositionProfile,
    ProfileZone,
    Schedule,
    Zone,
)
from stadsvakt.directory.models import Assignment, Group, GroupMember, Person, TrainingRecord
from stadsvakt.org.models import Municipality, OrgUnit, Site

_n = itertools.count(1)

#: Open every minute of every day.
ALWAYS = [{"day": d, "start": "00:00", "end": "24:00"} for d in range(7)]


def _note(session: Session, tenant: uuid.UUID, entity: Entity, entity_id: uuid.UUID) -> None:
    session.flush()
    note_change(session, tenant_id=tenant, entity=entity, entity_id=entity_id)
    session.flush()


def zone(session: Session, site: Site) -> Zone:
    """A zone in a site."""
    n = next(_n)
    row = Zone(tenant_id=site.tenant_id, site_id=site.id, code=f"Z{n}", name=f"Zon {n}")
    session.add(row)
    session.flush()
    _note(session, site.tenant_id, Entity.ZONE, row.id)
    return row


def door(
    session: Session,
    zone_row: Zone,
    *,
    mode: DoorMode = DoorMode.SECURE,
    unlock_schedule: Schedule | None = None,
) -> Door:
    """A door in a zone."""
    n = next(_n)
    row = Door(
        tenant_id=zone_row.tenant_id,
        site_id=zone_row.site_id,
        zone_id=zone_row.id,
        code=f"D{n}",
        name=f"Dörr {n}",
        reader_ids=[f"R{n}"],
        mode=mode,
        unlock_schedule_id=unlock_schedule.id if unlock_schedule else None,
        unlock_seconds=5,
        extended_unlock_seconds=20,
    )
    session.add(row)
    session.flush()
    _note(session, row.tenant_id, Entity.DOOR, row.id)
    return row


def calendar(
    session: Session, tenant: Municipality, *, local_days: list[str] | None = None
) -> HolidayCalendar:
    """A holiday calendar with Swedish public holidays and optional local days."""
    n = next(_n)
    row = HolidayCalendar(
        tenant_id=tenant.id,
        code=f"H{n}",
        name=f"Helger {n}",
        include_public=True,
        local_days=[{"date": d, "name": "Lokal"} for d in local_days or []],
    )
    session.add(row)
    session.flush()
    _note(session, tenant.id, Entity.HOLIDAY_CALENDAR, row.id)
    return row


def schedule(
    session: Session,
    tenant: Municipality,
    intervals: list[dict[str, Any]] | None = None,
    *,
    holiday_mode: HolidayMode = HolidayMode.NORMAL,
    holiday_calendar: HolidayCalendar | None = None,
) -> Schedule:
    """A schedule (always open unless intervals are given)."""
    n = next(_n)
    row = Schedule(
        tenant_id=tenant.id,
        code=f"SCH{n}",
        name=f"Schema {n}",
        intervals=ALWAYS if intervals is None else intervals,
        holiday_mode=holiday_mode,
        holiday_calendar_id=holiday_calendar.id if holiday_calendar else None,
    )
    session.add(row)
    session.flush()
    _note(session, tenant.id, Entity.SCHEDULE, row.id)
    return row


def profile(
    session: Session,
    tenant: Municipality,
    zones: list[Zone],
    schedule_row: Schedule,
    *,
    course: str | None = None,
) -> AccessProfile:
    """An access profile opening zones at a schedule."""
    n = next(_n)
    row = AccessProfile(
        tenant_id=tenant.id,
        code=f"P{n}",
        name=f"Profil {n}",
        schedule_id=schedule_row.id,
        required_course=course,
    )
    session.add(row)
    session.flush()
    for z in zones:
        session.add(ProfileZone(profile_id=row.id, zone_id=z.id))
    _note(session, tenant.id, Entity.PROFILE, row.id)
    return row


def person(
    session: Session, tenant: Municipality, *, unit: OrgUnit | None = None, active: bool = True
) -> Person:
    """A person."""
    n = next(_n)
    row = Person(
        tenant_id=tenant.id,
        org_unit_id=unit.id if unit else None,
        employee_number=f"E{n}",
        given_name="Test",
        family_name=f"Person {n}",
        active=active,
    )
    session.add(row)
    session.flush()
    _note(session, tenant.id, Entity.PERSON, row.id)
    return row


def assignment(
    session: Session,
    person_row: Person,
    unit: OrgUnit,
    position: str,
    *,
    start: date = date(2020, 1, 1),
    end: date | None = None,
) -> Assignment:
    """An assignment of a person to a position in a unit."""
    row = Assignment(
        tenant_id=person_row.tenant_id,
        person_id=person_row.id,
        org_unit_id=unit.id,
        position=position,
        start=start,
        end=end,
    )
    session.add(row)
    session.flush()
    _note(session, person_row.tenant_id, Entity.ASSIGNMENT, row.id)
    return row


def position_profile(
    session: Session,
    unit: OrgUnit,
    position: str,
    profile_row: AccessProfile,
    *,
    subunits: bool = False,
) -> PositionProfile:
    """Everyone with a position in a unit gets a profile."""
    row = PositionProfile(
        tenant_id=unit.tenant_id,
        org_unit_id=unit.id,
        position=position,
        include_subunits=subunits,
        profile_id=profile_row.id,
    )
    session.add(row)
    session.flush()
    _note(session, unit.tenant_id, Entity.POSITION_PROFILE, row.id)
    return row


def grant(
    session: Session,
    profile_row: AccessProfile,
    *,
    person_row: Person | None = None,
    group: Group | None = None,
    valid_from: datetime,
    valid_to: datetime | None = None,
) -> Grant:
    """A direct grant to a person or a group."""
    row = Grant(
        tenant_id=profile_row.tenant_id,
        profile_id=profile_row.id,
        person_id=person_row.id if person_row else None,
        group_id=group.id if group else None,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(row)
    session.flush()
    _note(session, profile_row.tenant_id, Entity.GRANT, row.id)
    return row


def group(session: Session, tenant: Municipality, members: list[Person]) -> Group:
    """A group of people."""
    n = next(_n)
    row = Group(tenant_id=tenant.id, display_name=f"Grupp {n}")
    session.add(row)
    session.flush()
    for member in members:
        session.add(GroupMember(group_id=row.id, person_id=member.id))
    _note(session, tenant.id, Entity.GROUP, row.id)
    return row


def training(
    session: Session, person_row: Person, course: str, *, expires: date | None
) -> TrainingRecord:
    """A completed course."""
    row = TrainingRecord(
        tenant_id=person_row.tenant_id,
        person_id=person_row.id,
        course=course,
        completed_on=date(2020, 1, 1),
        expires_on=expires,
    )
    session.add(row)
    session.flush()
    _note(session, person_row.tenant_id, Entity.TRAINING, row.id)
    return row


def credential(
    session: Session,
    person_row: Person,
    *,
    identifier: str | None = None,
    state: CredentialState = CredentialState.ACTIVE,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
) -> Credential:
    """A card held by a person."""
    n = next(_n)
    row = Credential(
        tenant_id=person_row.tenant_id,
        person_id=person_row.id,
        kind=CredentialKind.CARD,
        identifier=identifier or f"04A1{n:010X}",
        technology="MIFARE DESFire EV2",
        state=state,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(row)
    session.flush()
    _note(session, person_row.tenant_id, Entity.CREDENTIAL, row.id)
    return row


def changed(session: Session, obj: Any, entity: Entity) -> None:
    """Note a hand-made change to ``obj`` in the change feed."""
    session.flush()
    note_change(session, tenant_id=obj.tenant_id, entity=entity, entity_id=obj.id)
    session.flush()
