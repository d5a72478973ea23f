"""A generated city for the decision benchmark (seeded, so every run sees the same city).

At scale 1: 60,000 people, 100,000 credentials, 20,000 doors and 2,000 profiles, in
200 units of 10 departments, 2,000 sites with 2 zones each. Written straight into the
database with bulk inserts, each access-model row as the services would store it.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from stadsvakt.access.models import (
    AccessProfile,
    Credential,
    Door,
    Grant,
    HolidayCalendar,
    PositionProfile,
    ProfileZone,
    Schedule,
    Zone,
)
from stadsvakt.context import acting_as, system_actor
from stadsvakt.directory.models import Assignment, Person, TrainingRecord
from stadsvakt.org.models import OrgUnit, Site
from stadsvakt.org.schemas import MunicipalityCreate
from stadsvakt.org.service import create_municipality

FULL = {"people": 60_000, "credentials": 100_000, "doors": 20_000, "profiles": 2_000}
POSITIONS = ("lärare", "rektor", "vaktmästare", "kock", "städare")
COURSE = "brandskydd"
#: Weekly schedules (intervals as stored), by name.
SCHEDULES: dict[str, list[dict[str, Any]]] = {
    "dygnet_runt": [{"day": d, "start": "00:00", "end": "24:00"} for d in range(7)],
    "kontorstid": [{"day": d, "start": "07:00", "end": "18:00"} for d in range(5)],
    "kvall": [{"day": d, "start": "16:00", "end": "22:00"} for d in range(7)],
    "natt": [{"day": d, "start": "21:00", "end": "07:00"} for d in range(7)],
}
Progress = Callable[[str, int], None]


@dataclass
class CityData:
    """The generated rows (dicts for bulk insert) and what the requests are drawn from."""

    tenant_id: uuid.UUID
    sizes: dict[str, int]
    rows: dict[type[Any], list[dict[str, Any]]] = field(default_factory=dict)
    schedule_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    calendar_id: uuid.UUID | None = None
    #: For each person, the doors their profiles reach (to draw likely grants from).
    person_doors: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    doors: list[uuid.UUID] = field(default_factory=list)
    cards: list[tuple[str, uuid.UUID]] = field(default_factory=list)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def generate(tenant_id: uuid.UUID, *, scale: float, seed: int) -> CityData:
    """Generate the city's rows (no database work)."""
    rng = random.Random(seed)
    n = {k: max(int(v * scale), 1) for k, v in FULL.items()}
    n_units = max(int(200 * scale), 2)
    n_sites = max(n["doors"] // 10, 1)
    city = CityData(tenant_id, {**n, "units": n_units, "sites": n_sites, "zones": 2 * n_sites})
    rows: dict[type[Any], list[dict[str, Any]]] = {m: [] for m in _ORDER}
    now = datetime(2026, 1, 1, tzinfo=UTC)
    base = {"tenant_id": tenant_id}
    departments = [_uuid(rng) for _ in range(max(n_units // 20, 1))]
    for i, dep in enumerate(departments):
        rows[OrgUnit].append(
            {**base, "id": dep, "code": f"F{i}", "name": f"Förv {i}", "kind": "department"}
        )
    units = [_uuid(rng) for _ in range(n_units)]
    for i, unit in enumerate(units):
        parent = departments[i % len(departments)]
        rows[OrgUnit].append(
            {
                **base,
                "id": unit,
                "code": f"E{i}",
                "name": f"Enhet {i}",
                "kind": "unit",
                "parent_id": parent,
            }
        )
    calendar = _uuid(rng)
    city.calendar_id = calendar
    rows[HolidayCalendar].append({**base, "id": calendar, "code": "SE", "name": "Helger"})
    for name, intervals in SCHEDULES.items():
        sid = _uuid(rng)
        city.schedule_ids[name] = sid
        rows[Schedule].append(
            {
                **base,
                "id": sid,
                "code": name,
                "name": name,
                "intervals": intervals,
                "holiday_mode": "normal" if name == "dygnet_runt" else "closed",
                "holiday_calendar_id": calendar,
            }
        )
    # Sites, zones and doors, each site used by one unit.
    unit_zones: dict[uuid.UUID, list[uuid.UUID]] = {u: [] for u in units}
    zone_doors: dict[uuid.UUID, list[uuid.UUID]] = {}
    for s in range(n_sites):
        site, unit = _uuid(rng), units[s % n_units]
        rows[Site].append(
            {
                **base,
                "id": site,
                "org_unit_id": unit,
                "code": f"S{s}",
                "name": f"Fastighet {s}",
                "street": f"Gatan {s}",
                "postal_code": "211 34",
                "city": "Bänkby",
                "latitude": 55.6,
                "longitude": 13.0,
                "owner_kind": "city",
            }
        )
        for z in range(2):
            zone = _uuid(rng)
            unit_zones[unit].append(zone)
            zone_doors[zone] = []
            rows[Zone].append(
                {**base, "id": zone, "site_id": site, "code": f"Z{s}-{z}", "name": f"Zon {z}"}
            )
    zones = list(zone_doors)
    site_of_zone = {r["id"]: r["site_id"] for r in rows[Zone]}
    for d in range(n["doors"]):
        door, zone = _uuid(rng), zones[d % len(zones)]
        zone_doors[zone].append(door)
        city.doors.append(door)
        mode = "lockdown" if rng.random() < 0.002 else "secure"
        rows[Door].append(
            {
                **base,
                "id": door,
                "site_id": site_of_zone[zone],
                "zone_id": zone,
                "code": f"D{d}",
                "name": f"Dörr {d}",
                "reader_ids": [f"R{d}"],
                "mode": mode,
            }
        )
    # Profiles: each unit's profiles open 1-3 of its zones at one schedule.
    profile_zones: dict[uuid.UUID, list[uuid.UUID]] = {}
    unit_profiles: dict[uuid.UUID, list[uuid.UUID]] = {u: [] for u in units}
    names = list(SCHEDULES)
    for p in range(n["profiles"]):
        profile, unit = _uuid(rng), units[p % n_units]
        own = unit_zones[unit] or zones
        chosen = rng.sample(own, k=min(len(own), rng.randint(1, 3)))
        profile_zones[profile] = chosen
        unit_profiles[unit].append(profile)
        rows[AccessProfile].append(
            {
                **base,
                "id": profile,
                "code": f"P{p}",
                "name": f"Profil {p}",
                "org_unit_id": unit,
                "schedule_id": city.schedule_ids[rng.choice(names)],
                "required_course": COURSE if rng.random() < 0.1 else None,
            }
        )
        for zone in chosen:
            rows[ProfileZone].append({"profile_id": profile, "zone_id": zone})
    position_profiles: dict[tuple[uuid.UUID, str], list[uuid.UUID]] = {}
    for unit in units:
        for position in POSITIONS:
            options = unit_profiles[unit]
            if not options:
                continue
            picked = rng.sample(options, k=min(len(options), rng.randint(1, 2)))
            position_profiles[(unit, position)] = picked
            for profile in picked:
                rows[PositionProfile].append(
                    {
                        **base,
                        "id": _uuid(rng),
                        "org_unit_id": unit,
                        "position": position,
                        "profile_id": profile,
                    }
                )
    profiles = list(profile_zones)
    people: list[uuid.UUID] = []
    for i in range(n["people"]):
        person, unit, position = _uuid(rng), rng.choice(units), rng.choice(POSITIONS)
        people.append(person)
        rows[Person].append(
            {
                **base,
                "id": person,
                "org_unit_id": unit,
                "kind": "employee",
                "employee_number": f"{100000 + i}",
                "given_name": "Anna",
                "family_name": f"Andersson {i}",
                "active": rng.random() > 0.03,
                "extended_unlock": rng.random() < 0.01,
            }
        )
        rows[Assignment].append(
            {
                **base,
                "id": _uuid(rng),
                "person_id": person,
                "org_unit_id": unit,
                "position": position,
                "start": date(2020, 1, 1),
                "end": date(2027, 1, 1) if rng.random() < 0.9 else date(2025, 6, 30),
            }
        )
        reach = list(position_profiles.get((unit, position), []))
        if rng.random() < 0.05:
            profile = rng.choice(profiles)
            reach.append(profile)
            start = now + timedelta(days=rng.randint(-30, 30))
            rows[Grant].append(
                {
                    **base,
                    "id": _uuid(rng),
                    "profile_id": profile,
                    "person_id": person,
                    "kind": "guest",
                    "valid_from": start,
                    "valid_to": start + timedelta(days=rng.randint(1, 90)),
                }
            )
        if rng.random() < 0.6:
            rows[TrainingRecord].append(
                {
                    **base,
                    "id": _uuid(rng),
                    "person_id": person,
                    "course": COURSE,
                    "completed_on": date(2024, 1, 1),
                    "expires_on": date(2027, 1, 1),
                }
            )
        city.person_doors[person] = [
            d for p in reach for z in profile_zones[p] for d in zone_doors[z]
        ]
    states = ["active"] * 95 + ["suspended"] * 2 + ["lost"] * 2 + ["revoked"]
    for c in range(n["credentials"]):
        person = people[c % len(people)] if c < len(people) else rng.choice(people)
        identifier = f"{rng.getrandbits(56):014X}"
        city.cards.append((identifier, person))
        rows[Credential].append(
            {
                **base,
                "id": _uuid(rng),
                "person_id": person,
                "kind": "card",
                "identifier": identifier,
                "technology": "MIFARE DESFire EV2",
                "state": rng.choice(states),
                "valid_to": now + timedelta(days=rng.randint(-60, 900)),
            }
        )
    city.rows = rows
    return city


# Insert order respects the foreign keys.
_ORDER: tuple[type[Any], ...] = (
    OrgUnit,
    HolidayCalendar,
    Schedule,
    Site,
    Zone,
    Door,
    AccessProfile,
    ProfileZone,
    PositionProfile,
    Person,
    Assignment,
    Grant,
    TrainingRecord,
    Credential,
)


def new_tenant(session: Session) -> uuid.UUID:
    """A municipality (with its built-in roles) for the city."""
    actor = system_actor("bench")
    with acting_as(actor):
        tenant = create_municipality(
            session, actor, MunicipalityCreate(name="Bänkby kommun", code="9999")
        )
    return tenant.id


def write(session: Session, city: CityData, progress: Progress | None = None) -> None:
    """Bulk-insert the city (the caller commits)."""
    for model in _ORDER:
        rows = city.rows.get(model, [])
        for start in range(0, len(rows), 5000):
            session.execute(insert(model), rows[start : start + 5000])
            if progress is not None:
                progress(model.__tablename__, min(5000, len(rows) - start))
