"""Seeding the demo city through the services, so every row gets its audit entry.

The functions take the caller's session and never commit; the ``stadsvakt demo``
command (or a test) owns the transaction. Everything is done as the system actor
``demo``. The access model (:mod:`.seed_access`), the staff (:mod:`.seed_people`)
and the visitors (:mod:`.seed_visitors`) have modules of their own.
"""

from __future__ import annotations

import secrets
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from rich.progress import Progress
from sqlalchemy.orm import Session

from stadsvakt.auth.passwords import Passwords, password_problem
from stadsvakt.auth.schemas import RoleAssignmentIn, UserCreate
from stadsvakt.auth.service import create_user
from stadsvakt.context import Actor, acting_as, current_request_id, system_actor
from stadsvakt.db import utcnow
from stadsvakt.demo.data import DemoCity, DepartmentSpec, SiteSpec, UnitSpec
from stadsvakt.demo.seed_access import (
    AccessSeed,
    load_access_plan,
    seed_places,
    seed_profiles,
    seed_schedules,
    seed_service_levels,
)
from stadsvakt.demo.seed_people import PeopleSeed, seed_employees
from stadsvakt.demo.seed_visitors import VisitorSeed, device_token, seed_visitors
from stadsvakt.demo.staff import PEOPLE_PER_SCALE, load_staff_data, plan_staff
from stadsvakt.demo.steps import step, steps
from stadsvakt.directory.service import local_today
from stadsvakt.org.models import Municipality, OrgUnit, OwnerKind, Site, UnitKind
from stadsvakt.org.schemas import MunicipalityCreate, OrgUnitCreate, SiteCreate
from stadsvakt.org.service import create_municipality, create_site, create_unit

#: The name the audit trail records for everything the demo creates.
DEMO_ACTOR = "demo"
#: Letters and digits that cannot be mistaken for each other when read off a screen.
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PASSWORD_LENGTH = 20  # about 116 bits


@dataclass(frozen=True, slots=True)
class Credential:
    """A demo login, with the password in clear: printed once, never stored."""

    username: str
    display_name: str
    role: str
    scope: str | None  # the department a unit-scoped role is limited to
    password: str


@dataclass(frozen=True, slots=True)
class ExampleDecision:
    """A real door and card from the demo, for a user to try a decision with."""

    door_id: uuid.UUID
    door_name: str
    card_uid: str
    person_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class SeedResult:
    """What the demo created."""

    municipality: Municipality
    departments: int
    units: int
    sites: int
    external_sites: int
    credentials: tuple[Credential, ...]
    access: AccessSeed
    people: PeopleSeed
    visitors: VisitorSeed
    device_token: str
    example: ExampleDecision | None
    #: The safety centre's sizes (:mod:`.seed_centre`), once it is seeded.
    centre: dict[str, int] = field(default_factory=dict)
    #: The edge devices enrolled (:mod:`.seed_edge`), once they are.
    edge_devices: int = 0

    @property
    def admin(self) -> Credential:
        """The system owner's login."""
        return next(c for c in self.credentials if c.role == "system_owner")

    def counts(self) -> dict[str, int]:
        """The sizes of the demo city, by what they count."""
        issued: Counter[str] = Counter(self.people.credentials)
        issued["card"] += self.visitors.cards
        return {
            "departments": self.departments,
            "units": self.units,
            "sites": self.sites,
            "employees": self.people.people,
            "inactive or deactivated": self.people.inactive,
            "assignments": self.people.assignments,
            "ended assignments": self.people.ended_assignments,
            "guests": self.visitors.guests + self.visitors.club_members,
            "contractors": self.visitors.contractors,
            "zones": self.access.zones,
            "doors": self.access.doors,
            "holiday calendars": self.access.calendars,
            "schedules": len(self.access.schedules),
            "access profiles": len(self.access.profiles) + 2,
            "position profiles": self.access.position_profiles,
            "direct grants": self.visitors.grants,
            "cards": issued["card"],
            "mobile keys": issued["mobile"],
            "PINs": issued["pin"],
            "cards lost": issued["lost"],
            "cards suspended": issued["suspended"],
            "cards revoked": issued["revoked"],
            "sites short of their level": self.access.short_sites,
            "edge devices": self.edge_devices,
            **self.centre,
        }


def new_password() -> str:
    """A random password that passes the strength rules."""
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(_PASSWORD_LENGTH))
        if password_problem(password) is None:
            return password


def seed_demo(
    session: Session,
    passwords: Passwords,
    city: DemoCity,
    *,
    people: int = PEOPLE_PER_SCALE,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> SeedResult:
    """Create the municipality, its units, sites, access model, people and demo users."""
    now = now or utcnow()
    with acting_as(system_actor(DEMO_ACTOR)):
        municipality = seed_municipality(session, city, progress=progress)
        actor = system_actor(DEMO_ACTOR, municipality.id)
        with acting_as(actor, current_request_id()):
            units = seed_units(session, municipality, city, progress=progress)
            sites = seed_sites(session, municipality, city, units, progress=progress)
            credentials = seed_users(session, municipality, city, units, passwords, progress)
            access = _seed_access(session, actor, city, units, sites, now, progress)
            staff = load_staff_data()
            plans = plan_staff(city, people, local_today(now))
            seeded = seed_employees(session, actor, passwords, plans, units, progress)
            visitors = seed_visitors(session, actor, passwords, staff, units, access, now)
            token = device_token(session, actor, municipality.id)
    return SeedResult(
        municipality=municipality,
        departments=len(city.departments),
        units=sum(len(d.units) for d in city.departments),
        sites=len(sites),
        external_sites=sum(1 for s in city.sites if s.owner is not None),
        credentials=credentials,
        access=access,
        people=seeded,
        visitors=visitors,
        device_token=token,
        example=_example(city, access, seeded),
    )


def _seed_access(
    session: Session,
    actor: Actor,
    city: DemoCity,
    units: dict[str, OrgUnit],
    sites: dict[str, Site],
    now: datetime,
    progress: Progress | None,
) -> AccessSeed:
    plan = load_access_plan()
    access = AccessSeed()
    with step(progress, "Calendars and schedules"):
        seed_schedules(session, actor, plan, local_today(now), access)
    unit_codes = {u.id: code for code, u in units.items()}
    seed_places(session, actor, plan, sites, unit_codes, access, progress)
    seed_profiles(session, actor, city, plan, load_staff_data(), units, access, progress)
    seed_service_levels(session, actor, city, plan, access, progress)
    return access


#: The schedule of the example's door: open every hour of every day, holidays too, so the
#: decision the demo prints (and the README shows) is granted whenever it is tried.
ROUND_THE_CLOCK = "dygnet-runt"


def _example(city: DemoCity, access: AccessSeed, people: PeopleSeed) -> ExampleDecision | None:
    """A main entrance open round the clock to its site's staff (a care home), and the
    card of a current member of that staff."""
    always = access.schedules.get(ROUND_THE_CLOCK)
    staff = load_staff_data()
    for site in city.sites:
        profile = access.profiles.get(f"{site.code}-PERS")
        if always is None or profile is None or profile.schedule_id != always.id:
            continue
        positions = staff.departments[city.department_of(site.unit).code].positions
        for position, _ in positions:
            holder = people.cardholders.get((site.unit, position))
            if holder is not None:
                person_id, uid = holder
                door = access.sites[site.code].doors[0]
                return ExampleDecision(door.id, f"{site.name}: {door.name}", uid, person_id)
    return None


def seed_municipality(
    session: Session, city: DemoCity, *, progress: Progress | None = None
) -> Municipality:
    """Create the demo municipality with its built-in roles."""
    actor = system_actor(DEMO_ACTOR)
    data = MunicipalityCreate(name=city.name, code=city.code)
    with step(progress, "Municipality and roles"):
        return create_municipality(session, actor, data)


def seed_units(
    session: Session,
    municipality: Municipality,
    city: DemoCity,
    *,
    progress: Progress | None = None,
) -> dict[str, OrgUnit]:
    """Create every department and its units; return them by code."""
    actor = system_actor(DEMO_ACTOR, municipality.id)
    rows: list[tuple[DepartmentSpec, UnitSpec | None]] = [(d, None) for d in city.departments]
    rows += [(d, u) for d in city.departments for u in d.units]
    created: dict[str, OrgUnit] = {}
    for department, unit in steps(progress, "Departments and units", rows):
        if unit is None:
            data = OrgUnitCreate(
                code=department.code, name=department.name, kind=UnitKind.DEPARTMENT
            )
        else:
            data = OrgUnitCreate(
                code=unit.code,
                name=unit.name,
                kind=UnitKind.UNIT,
                parent_id=created[department.code].id,
            )
        created[data.code] = create_unit(session, actor, data)
    return created


def seed_sites(
    session: Session,
    municipality: Municipality,
    city: DemoCity,
    units: dict[str, OrgUnit],
    *,
    progress: Progress | None = None,
) -> dict[str, Site]:
    """Create every site, used by its unit and owned by the city or a property company."""
    actor = system_actor(DEMO_ACTOR, municipality.id)
    return {
        spec.code: create_site(session, actor, _site_create(city, spec, units[spec.unit].id))
        for spec in steps(progress, "Sites", city.sites)
    }


def _site_create(city: DemoCity, spec: SiteSpec, unit_id: uuid.UUID) -> SiteCreate:
    owner = city.city_owner if spec.owner is None else city.owners[spec.owner]
    return SiteCreate(
        code=spec.code,
        name=spec.name,
        org_unit_id=unit_id,
        street=spec.street,
        postal_code=spec.postal_code,
        city=city.city,
        latitude=spec.latitude,
        longitude=spec.longitude,
        owner_kind=OwnerKind.CITY if spec.owner is None else OwnerKind.EXTERNAL,
        owner_name=owner.name,
        owner_contact=owner.contact,
        owner_email=owner.email,
        owner_phone=owner.phone,
    )


def seed_users(
    session: Session,
    municipality: Municipality,
    city: DemoCity,
    units: dict[str, OrgUnit],
    passwords: Passwords,
    progress: Progress | None = None,
) -> tuple[Credential, ...]:
    """Create one demo user per role, each with a fresh random password."""
    actor = system_actor(DEMO_ACTOR, municipality.id)
    credentials: list[Credential] = []
    for spec in steps(progress, "Users (hashing passwords)", city.users):
        password = new_password()
        scope = units[spec.unit] if spec.unit else None
        data = UserCreate(
            username=spec.username,
            display_name=spec.display_name,
            password=password,
            roles=[RoleAssignmentIn(role=spec.role, org_unit_id=scope.id if scope else None)],
        )
        create_user(session, actor, data, passwords)
        credentials.append(
            Credential(
                username=spec.username,
                display_name=spec.display_name,
                role=spec.role,
                scope=scope.name if scope else None,
                password=password,
            )
        )
    return tuple(credentials)
