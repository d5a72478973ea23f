"""Seeding the demo city through the services, so every row gets its audit entry.

The functions take the caller's session and never commit; the ``stadsvakt demo``
command (or a test) owns the transaction. Everything is done as the system actor
``demo``.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from rich.progress import Progress
from sqlalchemy.orm import Session

from stadsvakt.auth.passwords import Passwords, password_problem
from stadsvakt.auth.schemas import RoleAssignmentIn, UserCreate
from stadsvakt.auth.service import create_user
from stadsvakt.context import acting_as, current_request_id, system_actor
from stadsvakt.demo.data import DemoCity, DepartmentSpec, SiteSpec, UnitSpec
from stadsvakt.org.models import Municipality, OrgUnit, OwnerKind, UnitKind
from stadsvakt.org.schemas import MunicipalityCreate, OrgUnitCreate, SiteCreate
from stadsvakt.org.service import create_municipality, create_site, create_unit

#: The name the audit trail records for everything the demo creates.
DEMO_ACTOR = "demo"
#: Letters and digits that cannot be mistaken for each other when read off a screen.
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PASSWORD_LENGTH = 20  # about 116 bits

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Credential:
    """A demo login, with the password in clear: printed once, never stored."""

    username: str
    display_name: str
    role: str
    scope: str | None  # the department a unit-scoped role is limited to
    password: str


@dataclass(frozen=True, slots=True)
class SeedResult:
    """What the demo created."""

    municipality: Municipality
    departments: int
    units: int
    sites: int
    external_sites: int
    credentials: tuple[Credential, ...]

    @property
    def admin(self) -> Credential:
        """The system owner's login."""
        return next(c for c in self.credentials if c.role == "system_owner")


def new_password() -> str:
    """A random password that passes the strength rules."""
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(_PASSWORD_LENGTH))
        if password_problem(password) is None:
            return password


def _steps(progress: Progress | None, description: str, items: Sequence[T]) -> Iterator[T]:
    """Yield the items, advancing one progress task per item when a progress display is given."""
    if progress is None:
        yield from items
        return
    task = progress.add_task(description, total=len(items))
    for item in items:
        yield item
        progress.advance(task)


def seed_demo(
    session: Session, passwords: Passwords, city: DemoCity, *, progress: Progress | None = None
) -> SeedResult:
    """Create the municipality, its units, sites and one demo user per role."""
    with acting_as(system_actor(DEMO_ACTOR)):
        municipality = seed_municipality(session, city, progress=progress)
        with acting_as(system_actor(DEMO_ACTOR, municipality.id), current_request_id()):
            units = seed_units(session, municipality, city, progress=progress)
            sites = seed_sites(session, municipality, city, units, progress=progress)
            credentials = seed_users(session, municipality, city, units, passwords, progress)
    return SeedResult(
        municipality=municipality,
        departments=len(city.departments),
        units=sum(len(d.units) for d in city.departments),
        sites=sites,
        external_sites=sum(1 for s in city.sites if s.owner is not None),
        credentials=credentials,
    )


def seed_municipality(
    session: Session, city: DemoCity, *, progress: Progress | None = None
) -> Municipality:
    """Create the demo municipality with its built-in roles."""
    actor = system_actor(DEMO_ACTOR)
    data = MunicipalityCreate(name=city.name, code=city.code)
    municipality = create_municipality(session, actor, data)
    if progress is not None:
        progress.add_task("Municipality and roles", total=1, completed=1)
    return municipality


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
    for department, unit in _steps(progress, "Departments and units", rows):
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
) -> int:
    """Create every site, used by its unit and owned by the city or a property company."""
    actor = system_actor(DEMO_ACTOR, municipality.id)
    for spec in _steps(progress, "Sites", city.sites):
        create_site(session, actor, _site_create(city, spec, units[spec.unit].id))
    return len(city.sites)


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
    for spec in _steps(progress, "Users (hashing passwords)", city.users):
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
