"""Who can open door X, and what can person Y open: computed with the decision engine's own
pieces, so a report never disagrees with a decision.

A report builds a small :class:`CompiledIndex` with the index's :class:`Loader`, holding
only the rows the question touches (the profiles that open the door's zone, the people
who may reach them…), and asks ``decide()`` whether each person would be let in at the
given time with a valid card (a *probe*). Listed rights are those in force at that time
or starting later; expired ones are left out.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.decide import (
    PersonEntry,
    Reason,
)
from stadsvakt.access.models import (
    AccessProfile,
    Door,
    ProfileZone,
    Schedule,
)
from stadsvakt.access.reports.compiled import SOURCES, Builder, Probe
from stadsvakt.access.reports.words import describe
from stadsvakt.access.services._common import bounded
from stadsvakt.auth.scope import require, restrict
from stadsvakt.context import Actor
from stadsvakt.directory.models import Person
from stadsvakt.errors import InvalidInput, NotFound
from stadsvakt.org.models import Site


@dataclass(frozen=True, slots=True)
class RightRow:
    """One right reaching one door: who, through what, when, and the answer at ``at``."""

    person_id: uuid.UUID
    person_name: str
    employee_number: str | None
    site_id: uuid.UUID
    site_name: str
    door_id: uuid.UUID
    door_name: str
    door_code: str
    source: str
    profile_id: uuid.UUID
    profile_name: str
    schedule: str
    valid_from: datetime | None
    valid_to: datetime | None
    required_course: str | None
    opens_at: bool
    reason_at: Reason


@dataclass(frozen=True, slots=True)
class RightsReport:
    """The rows of a report, the time asked about and how many rows scope hid."""

    at: datetime
    rows: list[RightRow]
    hidden_outside_scope: int


def _when(ts: float) -> datetime | None:
    return None if math.isinf(ts) else datetime.fromtimestamp(ts, UTC)


def _tenant(actor: Actor) -> uuid.UUID:
    if actor.tenant_id is None:
        raise InvalidInput("act within a municipality", field="tenant", rule="required")
    return actor.tenant_id


def report_time(at: datetime) -> datetime:
    """Refuse a report time without a zone or outside the years 1900–2200."""
    if at.tzinfo is None:
        raise InvalidInput("at: a time with a time zone is needed", field="at", rule="timezone")
    bounded(at, "at")
    return at


def _visible(
    session: Session, actor: Actor, people: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Person]:
    """The people among ``people`` the actor may read, by id."""
    found: dict[uuid.UUID, Person] = {}
    items = list(people)
    for start in range(0, len(items), 500):
        stmt = restrict(
            select(Person).where(Person.id.in_(items[start : start + 500])),
            Person,
            actor,
            "person.read",
        )
        for person in session.execute(stmt).scalars():
            found[person.id] = person
    return found


def _profiles_info(
    session: Session, profile_ids: Collection[uuid.UUID], language: str
) -> dict[uuid.UUID, tuple[str, str]]:
    """Profile id → (name, schedule in words)."""
    rows = session.execute(
        select(AccessProfile, Schedule)
        .join(Schedule, Schedule.id == AccessProfile.schedule_id)
        .where(AccessProfile.id.in_(list(profile_ids)))
    ).all()
    return {
        profile.id: (profile.name, describe(schedule.intervals, schedule.holiday_mode, language))
        for profile, schedule in rows
    }


def _rows_for(
    probe: Probe,
    person: Person,
    door: Door,
    site: Site,
    at: datetime,
    profiles: dict[uuid.UUID, tuple[str, str]],
) -> list[RightRow]:
    entry = probe.index.person(person.id)
    if entry is None or not entry.active:
        return []
    decision = probe.decide_for(person.id, door.id, at)
    ts = at.timestamp()
    rows: list[RightRow] = []
    for right in entry.rights:
        profile = probe.index.profile(right.profile_id)
        if profile is None or door.zone_id not in profile.zones or right.valid_to <= ts:
            continue
        name, words = profiles.get(right.profile_id, ("", ""))
        rows.append(
            RightRow(
                person_id=person.id,
                person_name=person.display_name,
                employee_number=person.employee_number,
                site_id=site.id,
                site_name=site.name,
                door_id=door.id,
                door_name=door.name,
                door_code=door.code,
                source=SOURCES[right.source],
                profile_id=right.profile_id,
                profile_name=name,
                schedule=words,
                valid_from=_when(right.valid_from),
                valid_to=_when(right.valid_to),
                required_course=profile.required_course,
                opens_at=decision.granted,
                reason_at=decision.reason,
            )
        )
    return rows


def _sort(rows: list[RightRow]) -> list[RightRow]:
    return sorted(
        rows,
        key=lambda r: (
            r.site_name,
            r.door_name,
            r.person_name,
            str(r.person_id),
            r.source,
            r.profile_name,
            r.valid_from or datetime.min.replace(tzinfo=UTC),
        ),
    )


def who_can_open(
    session: Session, actor: Actor, door_id: uuid.UUID, *, at: datetime, language: str = "sv"
) -> RightsReport:
    """The people who can open a door (within the actor's scope), through what and when."""
    require(actor, "person.read")
    at = report_time(at)
    tenant = _tenant(actor)
    door = session.execute(
        restrict(select(Door).where(Door.id == door_id), Door, actor, "access.read")
    ).scalar_one_or_none()
    if door is None:
        raise NotFound(f"no door {door_id}")
    site = session.get_one(Site, door.site_id)
    builder = Builder(session, tenant)
    profiles = set(
        session.execute(
            select(ProfileZone.profile_id).where(ProfileZone.zone_id == door.zone_id)
        ).scalars()
    )
    candidates = builder.people_reaching(profiles)
    visible = _visible(session, actor, candidates)
    builder.load(profiles=profiles, doors=[door.id], people=candidates)
    probe = Probe(builder.index, tenant)
    info = _profiles_info(session, profiles, language)
    rows: list[RightRow] = []
    hidden = 0
    for person_id in candidates:
        person = visible.get(person_id)
        if person is None:
            entry = builder.index.person(person_id)
            hidden += entry is not None and entry.active and _reaches(builder, entry, door, at)
            continue
        rows.extend(_rows_for(probe, person, door, site, at, info))
    return RightsReport(at, _sort(rows), hidden)


def _reaches(builder: Builder, entry: PersonEntry, door: Door, at: datetime) -> bool:
    ts = at.timestamp()
    for right in entry.rights:
        profile = builder.index.profile(right.profile_id)
        if profile is not None and door.zone_id in profile.zones and right.valid_to > ts:
            return True
    return False


def what_can_open(
    session: Session, actor: Actor, person_id: uuid.UUID, *, at: datetime, language: str = "sv"
) -> RightsReport:
    """The doors a person can open (those in the actor's scope), by site, through what and when."""
    require(actor, "access.read")
    at = report_time(at)
    tenant = _tenant(actor)
    person = _visible(session, actor, [person_id]).get(person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    builder = Builder(session, tenant)
    profiles = set(
        session.execute(select(AccessProfile.id).where(AccessProfile.tenant_id == tenant)).scalars()
    )
    builder.load(profiles=profiles, doors=[], people=[person_id])
    entry = builder.index.person(person_id)
    ts = at.timestamp()
    zones: set[uuid.UUID] = set()
    reached: set[uuid.UUID] = set()
    for right in entry.rights if entry is not None and entry.active else ():
        profile = builder.index.profile(right.profile_id)
        if profile is not None and right.valid_to > ts:
            zones |= profile.zones
            reached.add(right.profile_id)
    all_doors = list(session.execute(select(Door).where(Door.zone_id.in_(list(zones)))).scalars())
    in_scope = set(
        session.execute(
            restrict(
                select(Door.id).where(Door.zone_id.in_(list(zones))), Door, actor, "access.read"
            )
        ).scalars()
    )
    doors = [d for d in all_doors if d.id in in_scope]
    builder.loader.load_doors(session, [d.id for d in doors])
    sites = {
        s.id: s
        for s in session.execute(
            select(Site).where(Site.id.in_({d.site_id for d in doors}))
        ).scalars()
    }
    probe = Probe(builder.index, tenant)
    info = _profiles_info(session, reached, language)
    rows: list[RightRow] = []
    for door in doors:
        rows.extend(_rows_for(probe, person, door, sites[door.site_id], at, info))
    return RightsReport(at, _sort(rows), len(all_doors) - len(doors))
