"""Seeding the demo city's access model through the access services.

Holiday calendars (Swedish public holidays plus studiedagar — study days — for
schools), shared schedules, zones and doors in every site, profiles per site
(staff, technical staff, manager) attached to the positions of the site's unit,
a city-wide profile for the property department's technicians, and each site's
service level, a few of them short of a component their level requires. The
plan is read from ``access.json``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from importlib.resources import files
from typing import Any

from rich.progress import Progress
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessProfile, Door, DoorMode, HolidayMode, Schedule, Zone
from stadsvakt.access.schemas.catalogue import SiteServiceIn
from stadsvakt.access.schemas.places import DoorCreate, ZoneCreate
from stadsvakt.access.schemas.profiles import PositionProfileCreate, ProfileCreate
from stadsvakt.access.schemas.schedules import (
    HolidayCalendarCreate,
    IntervalIn,
    LocalDay,
    ScheduleCreate,
)
from stadsvakt.access.services.catalogue import DEFAULT_LEVELS, list_levels, set_site_service
from stadsvakt.access.services.places import create_door, create_zone
from stadsvakt.access.services.profiles import create_position_profile, create_profile
from stadsvakt.access.services.schedules import create_calendar, create_schedule
from stadsvakt.context import Actor
from stadsvakt.demo.data import DemoCity
from stadsvakt.demo.staff import StaffData
from stadsvakt.demo.steps import steps
from stadsvakt.org.models import OrgUnit, Site

#: The unit whose technicians look after every city-owned building.
PROPERTY_UNIT = "SER-FAS"
#: The components a site can have, in the order the shortfall drops one.
_COMPONENTS = [c for _, _, _, required in DEFAULT_LEVELS[-1:] for c in required]


@dataclass(frozen=True, slots=True)
class AccessPlan:
    """The contents of ``access.json``."""

    raw: dict[str, Any]

    def schedule_of(self, unit_code: str, department: str) -> str:
        """The staff schedule of a unit: its own, else its department's."""
        base = "-".join(unit_code.split("-")[:2])  # a larger city's GRF-NOR-2 is like GRF-NOR
        schedule: str = (
            self.raw["unit_schedules"].get(base) or self.raw["department_schedules"][department]
        )
        return schedule

    def public(self, unit_code: str) -> bool:
        """Whether the unit's main entrance is unlocked for the public in opening hours."""
        return "-".join(unit_code.split("-")[:2]) in self.raw["public_entrances"]


def load_access_plan() -> AccessPlan:
    """The packaged ``access.json``."""
    text = (files("stadsvakt.demo") / "access.json").read_text(encoding="utf-8")
    return AccessPlan(json.loads(text))


@dataclass(slots=True)
class SiteDoors:
    """What was made for one site."""

    site: Site
    zones: dict[str, Zone]
    doors: list[Door]


@dataclass(slots=True)
class AccessSeed:
    """The access model the demo created."""

    calendars: int = 0
    schedules: dict[str, Schedule] = field(default_factory=dict)
    sites: dict[str, SiteDoors] = field(default_factory=dict)
    profiles: dict[str, AccessProfile] = field(default_factory=dict)
    position_profiles: int = 0
    short_sites: int = 0

    @property
    def zones(self) -> int:
        """How many zones."""
        return sum(len(s.zones) for s in self.sites.values())

    @property
    def doors(self) -> int:
        """How many doors."""
        return sum(len(s.doors) for s in self.sites.values())


def _local_days(raw: list[list[str]], today: date) -> list[LocalDay]:
    return [
        LocalDay(date=date.fromisoformat(f"{year}-{month_day}"), name=name)
        for year in (today.year, today.year + 1)
        for month_day, name in raw
    ]


def seed_schedules(
    session: Session, actor: Actor, plan: AccessPlan, today: date, seed: AccessSeed
) -> None:
    """The holiday calendars and the shared schedules."""
    calendars: dict[str, uuid.UUID] = {}
    for spec in plan.raw["calendars"]:
        calendar = create_calendar(
            session,
            actor,
            HolidayCalendarCreate(
                code=spec["code"],
                name=spec["name"],
                include_public=True,
                local_days=_local_days(spec["local_days"], today),
            ),
        )
        calendars[spec["code"]] = calendar.id
    seed.calendars = len(calendars)
    for spec in plan.raw["schedules"]:
        intervals = [IntervalIn(day=d, start=s, end=e) for d, s, e in spec["intervals"]]
        seed.schedules[spec["code"]] = create_schedule(
            session,
            actor,
            ScheduleCreate(
                code=spec["code"],
                name=spec["name"],
                intervals=intervals,
                holiday_mode=HolidayMode(spec["holiday_mode"]),
                holiday_calendar_id=calendars[spec["calendar"]],
            ),
        )


def seed_places(
    session: Session,
    actor: Actor,
    plan: AccessPlan,
    sites: dict[str, Site],
    unit_codes: dict[uuid.UUID, str],
    seed: AccessSeed,
    progress: Progress | None,
) -> None:
    """Zones and doors in every site; public entrances unlock in opening hours."""
    public = seed.schedules["publik"]
    for code, site in steps(progress, "Zones and doors", list(sites.items())):
        unit_code = unit_codes[site.org_unit_id] if site.org_unit_id else ""
        zones = {
            key: create_zone(
                session, actor, ZoneCreate(site_id=site.id, code=f"{code}-{key}", name=name)
            )
            for key, name in plan.raw["zones"]
        }
        doors = []
        for number, (key, name, zone) in enumerate(plan.raw["doors"], start=1):
            unlocks = number == 1 and plan.public(unit_code)
            doors.append(
                create_door(
                    session,
                    actor,
                    DoorCreate(
                        zone_id=zones[zone].id,
                        code=f"{code}-{key}",
                        name=name,
                        reader_ids=[f"{code}-{key}-IN"]
                        + ([f"{code}-{key}-OUT"] if zone == "ENT" else []),
                        mode=DoorMode.SCHEDULED_UNLOCK if unlocks else DoorMode.SECURE,
                        unlock_schedule_id=public.id if unlocks else None,
                    ),
                )
            )
        seed.sites[code] = SiteDoors(site, zones, doors)


def seed_profiles(
    session: Session,
    actor: Actor,
    city: DemoCity,
    plan: AccessPlan,
    staff: StaffData,
    units: dict[str, OrgUnit],
    seed: AccessSeed,
    progress: Progress | None,
) -> None:
    """Per site: a staff, a technical and a manager profile, attached to the unit's positions."""
    for spec in steps(progress, "Profiles and positions", list(city.sites)):
        placed = seed.sites[spec.code]
        department = city.department_of(spec.unit).code
        staffing = staff.departments[department]
        unit = units[spec.unit]
        zones = placed.zones
        made = {
            "PERS": (
                f"{spec.name}: personal",
                plan.schedule_of(spec.unit, department),
                [zones["ENT"].id, zones["PERS"].id],
            ),
            "TEK": (f"{spec.name}: teknik", "drift", [z.id for z in zones.values()]),
            "CHEF": (f"{spec.name}: chef", "chef", [z.id for z in zones.values()]),
        }
        profiles: dict[str, AccessProfile] = {}
        for key, (name, schedule, zone_ids) in made.items():
            profiles[key] = create_profile(
                session,
                actor,
                ProfileCreate(
                    code=f"{spec.code}-{key}",
                    name=name[:200],
                    org_unit_id=unit.id,
                    schedule_id=seed.schedules[schedule].id,
                    zone_ids=zone_ids,
                ),
            )
            seed.profiles[f"{spec.code}-{key}"] = profiles[key]
        attach = [(staffing.manager, "CHEF")]
        for position, _ in staffing.positions:
            attach.append((position, "PERS"))
            if position in staffing.technical:
                attach.append((position, "TEK"))
        for position, key in attach:
            create_position_profile(
                session,
                actor,
                PositionProfileCreate(
                    org_unit_id=unit.id, position=position, profile_id=profiles[key].id
                ),
            )
            seed.position_profiles += 1
    _property_technicians(session, actor, city, staff, units, seed)


def _property_technicians(
    session: Session,
    actor: Actor,
    city: DemoCity,
    staff: StaffData,
    units: dict[str, OrgUnit],
    seed: AccessSeed,
) -> None:
    """The property department's technicians open entrances and technical rooms city-wide."""
    city_owned = [seed.sites[s.code] for s in city.sites if s.owner is None]
    zone_ids = [p.zones[k].id for p in city_owned for k in ("ENT", "TEK")]
    profile = create_profile(
        session,
        actor,
        ProfileCreate(
            code="FASTIGHETSDRIFT",
            name="Fastighetsdrift: kommunens egna byggnader",
            org_unit_id=units[PROPERTY_UNIT].id,
            schedule_id=seed.schedules["drift"].id,
            zone_ids=zone_ids,
        ),
    )
    seed.profiles["FASTIGHETSDRIFT"] = profile
    property_units = [u for code, u in units.items() if code.startswith(PROPERTY_UNIT)]
    for unit in property_units:
        for position in sorted(staff.departments["SER"].technical):
            create_position_profile(
                session,
                actor,
                PositionProfileCreate(
                    org_unit_id=unit.id, position=position, profile_id=profile.id
                ),
            )
            seed.position_profiles += 1


def seed_service_levels(
    session: Session,
    actor: Actor,
    city: DemoCity,
    plan: AccessPlan,
    seed: AccessSeed,
    progress: Progress | None,
) -> None:
    """Each site's level; every ``short_every``-th site lacks one component its level needs."""
    levels, _ = list_levels(session, actor, limit=100, offset=0)
    by_code = {level.code: level for level in levels}
    every = int(plan.raw["short_every"])
    for number, spec in enumerate(steps(progress, "Service levels", list(city.sites)), start=1):
        level = by_code[plan.raw["department_levels"][city.department_of(spec.unit).code]]
        components = list(level.requirements)
        if number % every == 0 and components:
            components.pop(number // every % len(components))
            seed.short_sites += 1
        elif number % 3 == 0:
            # Some sites have more than their level asks for (a camera at the entrance).
            components += [c for c in _COMPONENTS if c not in components][:1]
        site = seed.sites[spec.code].site
        set_site_service(
            session, actor, site.id, SiteServiceIn(level_id=level.id, components=components)
        )
