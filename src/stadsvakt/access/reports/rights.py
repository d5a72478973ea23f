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

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from stadsvakt.access.decide import (
    MODE_SECURE,
    CredentialEntry,
    Decision,
    DecisionRequest,
    DoorEntry,
    PersonEntry,
    ProfileEntry,
    Reason,
    ScheduleEntry,
    decide,
)
from stadsvakt.access.index.loader import Loader
from stadsvakt.access.index.state import CompiledIndex
from stadsvakt.access.models import (
    AccessProfile,
    Door,
    Grant,
    HolidayCalendar,
    PositionProfile,
    ProfileZone,
    Schedule,
)
from stadsvakt.access.reports.words import describe
from stadsvakt.auth.scope import require, restrict, subtree_ids
from stadsvakt.context import Actor
from stadsvakt.directory.models import Assignment, GroupMember, Person
from stadsvakt.errors import InvalidInput, NotFound
from stadsvakt.org.models import OrgUnit, Site

#: The presented value of a probe credential (never a real card: it holds a space).
_PROBE = "REPORT PROBE"

#: Right sources as reported (the granting reasons of ``decide()``).
SOURCES = {
    Reason.GRANTED_BY_POSITION: "position_profile",
    Reason.GRANTED_BY_GRANT: "grant",
    Reason.GRANTED_BY_GROUP_GRANT: "group_grant",
}


class _Probe:
    """The compiled index seen through a valid card of one person at a secure door."""

    def __init__(self, index: CompiledIndex, tenant_id: uuid.UUID) -> None:
        self.index = index
        self.tenant_id = tenant_id
        self.person_id: uuid.UUID = uuid.UUID(int=0)

    def door(self, door_id: uuid.UUID) -> DoorEntry | None:
        # Rights are reported, not the door's mode (lockdown, unlock schedule): a secure copy.
        door = self.index.door(door_id)
        if door is None:
            return None
        return DoorEntry(
            door.id,
            door.tenant_id,
            door.zone_id,
            MODE_SECURE,
            None,
            door.unlock_seconds,
            door.extended_unlock_seconds,
        )

    def credential(self, tenant_id: uuid.UUID, presented: str) -> CredentialEntry | None:
        return CredentialEntry(
            uuid.UUID(int=0), tenant_id, presented, self.person_id, "active", -math.inf, math.inf
        )

    def person(self, person_id: uuid.UUID) -> PersonEntry | None:
        return self.index.person(person_id)

    def profile(self, profile_id: uuid.UUID) -> ProfileEntry | None:
        return self.index.profile(profile_id)

    def schedule(self, schedule_id: uuid.UUID) -> ScheduleEntry | None:
        return self.index.schedule(schedule_id)

    def decide_for(self, person_id: uuid.UUID, door_id: uuid.UUID, at: datetime) -> Decision:
        """What ``decide()`` answers for this person's valid card at the door at ``at``."""
        self.person_id = person_id
        return decide(DecisionRequest(self.tenant_id, door_id, _PROBE), self, at)


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


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise InvalidInput("at: a time with a time zone is needed", field="at", rule="timezone")
    return at


class _Builder:
    """A compiled index holding what one report needs, filled with the decision index's loader."""

    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.index = CompiledIndex()
        self.loader = Loader(self.index)
        ids = self._ids
        self.loader.load_units(
            session, ids(select(OrgUnit.id).where(OrgUnit.tenant_id == tenant_id))
        )
        self.loader.load_calendars(
            session, ids(select(HolidayCalendar.id).where(HolidayCalendar.tenant_id == tenant_id))
        )
        self.loader.load_schedules(
            session, ids(select(Schedule.id).where(Schedule.tenant_id == tenant_id))
        )

    def _ids(self, stmt: object) -> set[uuid.UUID]:
        return set(self.session.execute(stmt).scalars())  # type: ignore[call-overload]

    def load(
        self,
        *,
        profiles: Collection[uuid.UUID],
        doors: Collection[uuid.UUID],
        people: Collection[uuid.UUID],
    ) -> None:
        """Load the profiles, the rules reaching them, the doors and the people."""
        session, loader, profile_list = self.session, self.loader, list(profiles)
        loader.load_profiles(session, profile_list)
        loader.load_doors(session, doors)
        loader.load_positions(
            session,
            self._ids(
                select(PositionProfile.id).where(PositionProfile.profile_id.in_(profile_list))
            ),
        )
        loader.load_grants(
            session,
            self._ids(select(Grant.id).where(Grant.profile_id.in_(profile_list))),
            recompile=False,
        )
        loader.load_people(session, people)

    def people_reaching(self, profiles: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Everyone a position profile, grant or group grant of these profiles may reach."""
        profile_list = list(profiles)
        people = self._ids(
            select(Grant.person_id).where(
                Grant.profile_id.in_(profile_list), Grant.person_id.is_not(None)
            )
        )
        groups = select(Grant.group_id).where(Grant.profile_id.in_(profile_list))
        people |= self._ids(select(GroupMember.person_id).where(GroupMember.group_id.in_(groups)))
        rules = self.session.execute(
            select(PositionProfile.org_unit_id, PositionProfile.include_subunits).where(
                PositionProfile.profile_id.in_(profile_list)
            )
        ).all()
        direct = {unit for unit, subunits in rules if not subunits}
        trees = frozenset(unit for unit, subunits in rules if subunits)
        conditions = [Assignment.org_unit_id.in_(direct)]
        if trees:
            conditions.append(Assignment.org_unit_id.in_(subtree_ids(trees)))
        people |= self._ids(select(Assignment.person_id).where(or_(*conditions)))
        return people


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
    probe: _Probe,
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
    at = _aware(at)
    tenant = _tenant(actor)
    door = session.execute(
        restrict(select(Door).where(Door.id == door_id), Door, actor, "access.read")
    ).scalar_one_or_none()
    if door is None:
        raise NotFound(f"no door {door_id}")
    site = session.get_one(Site, door.site_id)
    builder = _Builder(session, tenant)
    profiles = set(
        session.execute(
            select(ProfileZone.profile_id).where(ProfileZone.zone_id == door.zone_id)
        ).scalars()
    )
    candidates = builder.people_reaching(profiles)
    visible = _visible(session, actor, candidates)
    builder.load(profiles=profiles, doors=[door.id], people=candidates)
    probe = _Probe(builder.index, tenant)
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


def _reaches(builder: _Builder, entry: PersonEntry, door: Door, at: datetime) -> bool:
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
    at = _aware(at)
    tenant = _tenant(actor)
    person = _visible(session, actor, [person_id]).get(person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    builder = _Builder(session, tenant)
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
    probe = _Probe(builder.index, tenant)
    info = _profiles_info(session, reached, language)
    rows: list[RightRow] = []
    for door in doors:
        rows.extend(_rows_for(probe, person, door, sites[door.site_id], at, info))
    return RightsReport(at, _sort(rows), len(all_doors) - len(doors))
