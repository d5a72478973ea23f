"""Seeding the demo's visitors and direct grants, and a device token for trying decisions.

Guests at the city hall with two-hour windows, a lift and ventilation contractor's
technicians with three months in the city's technical rooms, and a handball club
that books a sports hall in the evenings (a group with a booking grant). Guests,
contractors and club members hold no assignment, so the orphan-credential report
lists them for review too.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.models import CredentialKind, GrantKind
from stadsvakt.access.schemas.credentials import CredentialCreate
from stadsvakt.access.schemas.profiles import GrantCreate, ProfileCreate
from stadsvakt.access.services.credentials import create_credential
from stadsvakt.access.services.grants import create_grant
from stadsvakt.access.services.profiles import create_profile
from stadsvakt.access.timerules import STOCKHOLM
from stadsvakt.auth.passwords import Passwords
from stadsvakt.auth.tokens import create_token
from stadsvakt.context import Actor
from stadsvakt.demo.seed_access import AccessSeed
from stadsvakt.demo.staff import CARD_TECHNOLOGY, StaffData, new_uid
from stadsvakt.directory.models import Person, PersonKind
from stadsvakt.directory.schemas import GroupCreate, PersonCreate
from stadsvakt.directory.service import create_group, create_person, local_today
from stadsvakt.org.models import OrgUnit

#: The city hall (its unit and site) where guests come, the sports hall a club books.
CITY_HALL = ("STK-KAN", "SB-040")
SPORTS_HALL = ("FRI-SPH", "SB-006")
CONTRACTOR_UNIT = "SER-FAS"
CONTRACTOR = "Sundby Hiss & Ventilation AB"
CLUB = "IK Sundby handboll"
_GUESTS, _TECHNICIANS, _PLAYERS = 8, 4, 12


@dataclass(frozen=True, slots=True)
class VisitorSeed:
    """What this step created."""

    guests: int
    contractors: int
    club_members: int
    grants: int
    cards: int


def _person(
    session: Session,
    actor: Actor,
    rng: random.Random,
    names: StaffData,
    kind: PersonKind,
    unit: OrgUnit,
) -> uuid.UUID:
    person = create_person(
        session,
        actor,
        PersonCreate(
            given_name=rng.choice(names.given_names),
            family_name=rng.choice(names.family_names),
            kind=kind,
            org_unit_id=unit.id,
        ),
    )
    return person.id


def _host(session: Session, actor: Actor, unit: OrgUnit) -> uuid.UUID:
    """An employee of the unit (or else of the municipality) to answer for its visitors."""
    employees = select(Person.id).where(
        Person.tenant_id == actor.tenant_id,
        Person.kind == PersonKind.EMPLOYEE,
        Person.active.is_(True),
    )
    in_unit = employees.where(Person.org_unit_id == unit.id)
    found = session.scalar(in_unit.order_by(Person.id).limit(1))
    found = found or session.scalar(employees.order_by(Person.id).limit(1))
    if found is None:
        raise ValueError("the demo's visitors need an employee as their host")
    return found


def _card(
    session: Session, actor: Actor, passwords: Passwords, rng: random.Random, person_id: uuid.UUID
) -> None:
    create_credential(
        session,
        actor,
        CredentialCreate(
            person_id=person_id,
            kind=CredentialKind.CARD,
            # An "F" prefix keeps visitors' UIDs apart from the staff's random ones.
            identifier="F" + new_uid(rng)[1:],
            technology=CARD_TECHNOLOGY,
        ),
        passwords,
    )


def seed_visitors(
    session: Session,
    actor: Actor,
    passwords: Passwords,
    names: StaffData,
    units: dict[str, OrgUnit],
    access: AccessSeed,
    now: datetime,
    *,
    seed: int = 9280,
) -> VisitorSeed:
    """Guests, a contractor and a booking club, each with a card and a direct grant."""
    rng = random.Random(seed + 1)
    today = local_today(now)
    hall_unit, hall_site = units[CITY_HALL[0]], access.sites[CITY_HALL[1]]
    visitor_profile = create_profile(
        session,
        actor,
        ProfileCreate(
            code=f"{CITY_HALL[1]}-BESOK",
            name="Stadshuset: besökare",
            org_unit_id=hall_unit.id,
            schedule_id=access.schedules["kontorstid"].id,
            zone_ids=[hall_site.zones["ENT"].id],
        ),
    )
    grants = 0
    reception = _host(session, actor, hall_unit)
    for number in range(_GUESTS):
        guest = _person(session, actor, rng, names, PersonKind.GUEST, hall_unit)
        _card(session, actor, passwords, rng, guest)
        day = today + timedelta(days=number // 2)
        start = datetime.combine(day, time(9 + 2 * (number % 4)), STOCKHOLM)
        create_grant(
            session,
            actor,
            GrantCreate(
                profile_id=visitor_profile.id,
                person_id=guest,
                kind=GrantKind.GUEST,
                valid_from=start,
                valid_to=start + timedelta(hours=2),
                host_person_id=reception,
                reason="Besök på stadshuset",
            ),
        )
        grants += 1
    service_unit = units[CONTRACTOR_UNIT]
    caretaker = _host(session, actor, service_unit)
    begun = datetime.combine(today - timedelta(days=14), time(6), STOCKHOLM)
    for _ in range(_TECHNICIANS):
        technician = _person(session, actor, rng, names, PersonKind.CONTRACTOR, service_unit)
        _card(session, actor, passwords, rng, technician)
        create_grant(
            session,
            actor,
            GrantCreate(
                profile_id=access.profiles["FASTIGHETSDRIFT"].id,
                person_id=technician,
                kind=GrantKind.CONTRACTOR,
                valid_from=begun,
                valid_to=begun + timedelta(days=104),
                host_person_id=caretaker,
                reason="Service av hissar och ventilation",
                company=CONTRACTOR,
            ),
        )
        grants += 1
    club_unit, club_site = units[SPORTS_HALL[0]], access.sites[SPORTS_HALL[1]]
    players = []
    for _ in range(_PLAYERS):
        player = _person(session, actor, rng, names, PersonKind.GUEST, club_unit)
        _card(session, actor, passwords, rng, player)
        players.append(player)
    group = create_group(
        session, actor, GroupCreate(display_name=CLUB, org_unit_id=club_unit.id, members=players)
    )
    booking_profile = create_profile(
        session,
        actor,
        ProfileCreate(
            code=f"{SPORTS_HALL[1]}-BOKNING",
            name="Sporthallen: föreningsbokning",
            org_unit_id=club_unit.id,
            schedule_id=access.schedules["bokning-kvall"].id,
            zone_ids=[club_site.zones["ENT"].id],
        ),
    )
    season = datetime.combine(today - timedelta(days=30), time(0), STOCKHOLM)
    create_grant(
        session,
        actor,
        GrantCreate(
            profile_id=booking_profile.id,
            group_id=group.id,
            kind=GrantKind.BOOKING,
            valid_from=season,
            valid_to=season + timedelta(days=180),
            host_person_id=_host(session, actor, club_unit),
            reason=f"Träningar i {club_site.site.name}",
            booking_party=CLUB,
        ),
    )
    grants += 1
    return VisitorSeed(
        guests=_GUESTS,
        contractors=_TECHNICIANS,
        club_members=_PLAYERS,
        grants=grants,
        cards=_GUESTS + _TECHNICIANS + _PLAYERS,
    )


def device_token(session: Session, actor: Actor, tenant_id: uuid.UUID) -> str:
    """A token for a door controller: scope ``access.decide`` only, valid 30 days."""
    secret, _ = create_token(
        session,
        actor,
        name="Demo: dörrcentral",
        scopes=["access.decide"],
        expires_days=30,
        tenant_id=tenant_id,
    )
    return secret
