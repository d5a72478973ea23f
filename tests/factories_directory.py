"""Factories for directory test data (people, assignments, groups, training), via the services."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from stadsvakt.access.models import (
    AccessProfile,
    Credential,
    CredentialKind,
    CredentialState,
    Grant,
    Schedule,
)
from stadsvakt.context import acting_as
from stadsvakt.directory import service
from stadsvakt.directory.models import Group, Person, PersonKind, TrainingRecord
from stadsvakt.directory.schemas import AssignmentIn, GroupCreate, PersonCreate, TrainingCreate
from stadsvakt.org.models import Municipality, OrgUnit
from tests.factories import system

_counter = itertools.count(1)


def person(
    session: Session,
    tenant: Municipality,
    *,
    unit: OrgUnit | None = None,
    kind: PersonKind = PersonKind.EMPLOYEE,
    given_name: str = "Anna",
    family_name: str | None = None,
    employee_number: str | None = None,
    email: str | None = None,
    position: str | None = None,
) -> Person:
    """A person with a home unit and, when ``position`` is given, an assignment there."""
    n = next(_counter)
    actor = system(tenant.id)
    data = PersonCreate(
        given_name=given_name,
        family_name=family_name or f"Svensson{n}",
        employee_number=employee_number or f"E{n:05d}",
        email=email,
        kind=kind,
        org_unit_id=unit.id if unit else None,
    )
    with acting_as(actor):
        created = service.create_person(session, actor, data)
        if position and unit:
            service.set_assignments(
                session,
                actor,
                created,
                [AssignmentIn(org_unit_id=unit.id, position=position, start=date(2020, 1, 1))],
            )
    return created


def group(
    session: Session,
    tenant: Municipality,
    *,
    unit: OrgUnit | None = None,
    members: list[Person] | None = None,
) -> Group:
    """A group placed in a unit, with members."""
    actor = system(tenant.id)
    data = GroupCreate(
        display_name=f"Grupp {next(_counter)}",
        org_unit_id=unit.id if unit else None,
        members=[p.id for p in members or []],
    )
    with acting_as(actor):
        return service.create_group(session, actor, data)


def training(
    session: Session, who: Person, *, course: str = "Brandskydd", expires: date | None = None
) -> TrainingRecord:
    """A completed course for a person."""
    actor = system(who.tenant_id)
    data = TrainingCreate(
        person_id=who.id, course=course, completed_on=date(2024, 5, 1), expires_on=expires
    )
    with acting_as(actor):
        return service.add_training(session, actor, data)


def profile(session: Session, tenant: Municipality, unit: OrgUnit | None = None) -> AccessProfile:
    """A bare access profile (rows made directly: the access services are another feature's)."""
    n = next(_counter)
    schedule = Schedule(
        tenant_id=tenant.id,
        code=f"SCH{n}",
        name=f"Schema {n}",
        intervals=[{"day": d, "start": "06:00", "end": "22:00"} for d in range(7)],
    )
    session.add(schedule)
    session.flush()
    row = AccessProfile(
        tenant_id=tenant.id,
        code=f"P{n}",
        name=f"Profil {n}",
        schedule_id=schedule.id,
        org_unit_id=unit.id if unit else None,
    )
    session.add(row)
    session.flush()
    return row


def direct_grant(
    session: Session, who: Person, prof: AccessProfile, *, starts_in: timedelta = timedelta(0)
) -> Grant:
    """An open-ended direct grant of a profile to a person."""
    row = Grant(
        tenant_id=who.tenant_id,
        profile_id=prof.id,
        person_id=who.id,
        valid_from=datetime.now(UTC) - timedelta(days=1) + starts_in,
    )
    session.add(row)
    session.flush()
    return row


def credential(
    session: Session, who: Person, *, state: CredentialState = CredentialState.ACTIVE
) -> Credential:
    """A card held by a person."""
    row = Credential(
        tenant_id=who.tenant_id,
        person_id=who.id,
        kind=CredentialKind.CARD,
        identifier=f"04A1{next(_counter):010X}",
        technology="MIFARE DESFire EV2",
        state=state,
    )
    session.add(row)
    session.flush()
    return row
