"""Filling the compiled index from the database: bulk at start, per entity afterwards.

Queries select plain columns (no ORM objects), so loading 100,000 credentials costs
one pass over tuples. Every loader takes an optional set of ids and then reloads only
those rows; a row that has gone is removed from the index.
"""

from __future__ import annotations

import logging
import math
import sys
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any, cast

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from stadsvakt.access import identifiers
from stadsvakt.access.decide import CredentialEntry, DoorEntry, PinEntry, ProfileEntry
from stadsvakt.access.holidays import calendar_days as calendar_days
from stadsvakt.access.index.state import (
    CompiledIndex,
    GrantFacts,
    PersonFacts,
    PositionFacts,
    ScheduleFacts,
    SiteFacts,
    day_end,
    day_start,
    stamp,
    until_day,
)
from stadsvakt.access.models import (
    AccessProfile,
    Credential,
    CredentialKind,
    Door,
    Grant,
    HolidayCalendar,
    PositionProfile,
    ProfileZone,
    Schedule,
    SiteDoorRules,
)
from stadsvakt.access.timerules import Interval, ScheduleError, parse_intervals
from stadsvakt.directory.models import Assignment, GroupMember, Person, TrainingRecord
from stadsvakt.org.models import OrgUnit

log = logging.getLogger(__name__)

UUID = uuid.UUID

# Ids are interned so the many rows that refer to one door, zone or profile share one object.
Interner = dict[UUID, UUID]


def _in(column: Any, ids: Collection[UUID] | None) -> ColumnElement[bool]:
    return true() if ids is None else column.in_(list(ids))


def _chunks(ids: Collection[UUID] | None, size: int = 500) -> Iterable[Collection[UUID] | None]:
    """None (everything) once, or the ids in chunks the database's parameter limit allows."""
    if ids is None:
        yield None
        return
    items = list(ids)
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Loader:
    """Reads rows for the index with one session; ids are interned across calls."""

    def __init__(self, index: CompiledIndex) -> None:
        self.index = index
        self.ids: Interner = {}

    def _id(self, value: UUID) -> UUID:
        return self.ids.setdefault(value, value)

    def _opt(self, value: UUID | None) -> UUID | None:
        return None if value is None else self.ids.setdefault(value, value)

    # -- whole index -----------------------------------------------------------------

    def load_all(self, session: Session) -> None:
        """Load everything (at start-up, or after a change the feed cannot localise)."""
        self.load_units(session, None)
        self.load_calendars(session, None)
        self.load_sites(session, None)
        self.load_schedules(session, None)
        self.load_profiles(session, None)
        self.load_doors(session, None)
        self.load_positions(session, None)
        self.load_grants(session, None, recompile=False)
        # Before the people: their PINs are then compiled in with their rights, once.
        self.load_credentials(session, None)
        self.load_people(session, None)

    # -- per entity ------------------------------------------------------------------

    def load_units(self, session: Session, ids: Collection[UUID] | None) -> set[UUID]:
        """Reload units' parents; returns the people whose rights may change."""
        affected: set[UUID] = set()
        for chunk in _chunks(ids):
            rows = session.execute(
                select(OrgUnit.id, OrgUnit.parent_id).where(_in(OrgUnit.id, chunk))
            ).all()
            found = {row[0] for row in rows}
            for unit_id, parent_id in rows:
                affected |= self.index.set_unit(self._id(unit_id), self._opt(parent_id))
            for missing in set(chunk or ()) - found:
                affected |= self.index.set_unit(missing, None, exists=False)
        return affected

    def load_calendars(self, session: Session, ids: Collection[UUID] | None) -> None:
        """Reload holiday calendars (public holidays plus local days)."""
        for chunk in _chunks(ids):
            rows = session.execute(
                select(
                    HolidayCalendar.id,
                    HolidayCalendar.include_public,
                    HolidayCalendar.local_days,
                    HolidayCalendar.recurring_days,
                ).where(_in(HolidayCalendar.id, chunk))
            ).all()
            for calendar_id, include_public, local_days, recurring in rows:
                self.index.set_calendar(
                    self._id(calendar_id), calendar_days(include_public, local_days, recurring)
                )
            for missing in set(chunk or ()) - {row[0] for row in rows}:
                self.index.set_calendar(missing, None)

    def load_sites(self, session: Session, ids: Collection[UUID] | None) -> None:
        """Reload sites' door rules (calendar, emergency state) and apply them to their doors."""
        for chunk in _chunks(ids):
            rows = session.execute(
                select(
                    SiteDoorRules.site_id,
                    SiteDoorRules.holiday_calendar_id,
                    SiteDoorRules.emergency_open,
                ).where(_in(SiteDoorRules.site_id, chunk))
            ).all()
            for site_id, calendar_id, emergency in rows:
                facts = SiteFacts(self._opt(calendar_id), bool(emergency))
                self.index.set_site(self._id(site_id), facts)
            for missing in set(chunk or ()) - {row[0] for row in rows}:
                self.index.set_site(missing, None)

    def load_schedules(self, session: Session, ids: Collection[UUID] | None) -> None:
        """Reload schedules."""
        for chunk in _chunks(ids):
            rows = session.execute(
                select(
                    Schedule.id,
                    Schedule.intervals,
                    Schedule.holiday_mode,
                    Schedule.holiday_calendar_id,
                ).where(_in(Schedule.id, chunk))
            ).all()
            for row in rows:
                schedule_id, calendar = cast(UUID, row[0]), cast(UUID | None, row[3])
                facts = ScheduleFacts(_intervals(row[1]), str(row[2]), self._opt(calendar))
                self.index.set_schedule(self._id(schedule_id), facts)
            for missing in set(chunk or ()) - {row[0] for row in rows}:
                self.index.set_schedule(missing, None)

    def load_profiles(self, session: Session, ids: Collection[UUID] | None) -> None:
        """Reload access profiles and their zones."""
        for chunk in _chunks(ids):
            zones: dict[UUID, set[UUID]] = defaultdict(set)
            for profile_id, zone_id in session.execute(
                select(ProfileZone.profile_id, ProfileZone.zone_id).where(
                    _in(ProfileZone.profile_id, chunk)
                )
            ):
                zones[profile_id].add(self._id(zone_id))
            rows = session.execute(
                select(
                    AccessProfile.id, AccessProfile.schedule_id, AccessProfile.required_course
                ).where(_in(AccessProfile.id, chunk))
            ).all()
            for profile_id, schedule_id, course in rows:
                pid = self._id(profile_id)
                entry = ProfileEntry(
                    pid, frozenset(zones.get(profile_id, ())), self._id(schedule_id), course
                )
                self.index.set_profile(pid, entry)
            for missing in set(chunk or ()) - {row[0] for row in rows}:
                self.index.set_profile(missing, None)

    def load_doors(self, session: Session, ids: Collection[UUID] | None) -> None:
        """Reload doors."""
        for chunk in _chunks(ids):
            rows = session.execute(
                select(
                    Door.id,
                    Door.tenant_id,
                    Door.zone_id,
                    Door.mode,
                    Door.unlock_schedule_id,
                    Door.unlock_seconds,
                    Door.extended_unlock_seconds,
                    Door.site_id,
                    Door.requires_pin,
                    Door.escape_route,
                ).where(_in(Door.id, chunk))
            ).all()
            for row in rows:
                door_id, tenant, zone, mode, schedule_id, seconds, extended = row[:7]
                did = self._id(door_id)
                entry = DoorEntry(
                    did,
                    self._id(tenant),
                    self._id(zone),
                    str(mode),
                    self._opt(schedule_id),
                    seconds,
                    extended,
                    site_id=self._id(row[7]),
                    requires_pin=bool(row[8]),
                    escape_route=bool(row[9]),
                )
                self.index.set_door(did, entry)
            for missing in set(chunk or ()) - {row[0] for row in rows}:
                self.index.set_door(missing, None)

    def load_positions(self, session: Session, ids: Collection[UUID] | None) -> set[UUID]:
        """Reload position profiles; returns the people to recompile."""
        affected: set[UUID] = set()
        for chunk in _chunks(ids):
            rows = session.execute(
                select(
                    PositionProfile.id,
                    PositionProfile.org_unit_id,
                    PositionProfile.position,
                    PositionProfile.include_subunits,
                    PositionProfile.profile_id,
                ).where(_in(PositionProfile.id, chunk))
            ).all()
            for position_id, unit, position, subunits, profile in rows:
                facts = PositionFacts(self._id(unit), position, subunits, self._id(profile))
                affected |= self.index.set_position(self._id(position_id), facts)
            for missing in set(chunk or ()) - {row[0] for row in rows}:
                affected |= self.index.set_position(missing, None)
        return affected

    def load_grants(
        self, session: Session, ids: Collection[UUID] | None, *, recompile: bool = True
    ) -> set[UUID]:
        """Reload grants; returns (and by default recompiles) the people affected."""
        affected: set[UUID] = set()
        for chunk in _chunks(ids):
            rows = session.execute(
                select(
                    Grant.id,
                    Grant.person_id,
                    Grant.group_id,
                    Grant.profile_id,
                    Grant.valid_from,
                    Grant.valid_to,
                ).where(_in(Grant.id, chunk))
            ).all()
            for grant_id, person, group, profile, valid_from, valid_to in rows:
                facts = GrantFacts(
                    self._opt(person),
                    self._opt(group),
                    self._id(profile),
                    stamp(valid_from, -math.inf),
                    stamp(valid_to, math.inf),
                )
                affected |= self.index.set_grant(self._id(grant_id), facts)
            for missing in set(chunk or ()) - {row[0] for row in rows}:
                affected |= self.index.set_grant(missing, None)
        if recompile:
            self.index.recompile_all(affected)
        return affected

    def load_group_members(self, session: Session, group_ids: Collection[UUID]) -> set[UUID]:
        """Reload groups' members; returns the people affected (old and new members)."""
        affected: set[UUID] = set()
        for chunk in _chunks(group_ids):
            members: dict[UUID, list[UUID]] = defaultdict(list)
            for group_id, person_id in session.execute(
                select(GroupMember.group_id, GroupMember.person_id).where(
                    _in(GroupMember.group_id, chunk)
                )
            ):
                members[group_id].append(self._id(person_id))
            for group_id in chunk or ():
                affected |= self.index.set_group_members(
                    self._id(group_id), members.get(group_id, [])
                )
        return affected

    def load_people(self, session: Session, ids: Collection[UUID] | None) -> None:
        """Reload people: their flags, assignments, training and groups; then recompile them."""
        for chunk in _chunks(ids):
            assignments: dict[UUID, list[tuple[UUID, str, float, float]]] = defaultdict(list)
            for assignment_id, person_id, unit, position, start, end in session.execute(
                select(
                    Assignment.id,
                    Assignment.person_id,
                    Assignment.org_unit_id,
                    Assignment.position,
                    Assignment.start,
                    Assignment.end,
                ).where(_in(Assignment.person_id, chunk))
            ):
                self.index.owners[assignment_id] = self._id(person_id)
                assignments[person_id].append(
                    (self._id(unit), position, day_start(start), until_day(end))
                )
            training: dict[UUID, dict[str, float]] = defaultdict(dict)
            for record_id, person_id, course, expires in session.execute(
                select(
                    TrainingRecord.id,
                    TrainingRecord.person_id,
                    TrainingRecord.course,
                    TrainingRecord.expires_on,
                ).where(_in(TrainingRecord.person_id, chunk))
            ):
                self.index.owners[record_id] = self._id(person_id)
                courses = training[person_id]
                courses[course] = max(courses.get(course, -math.inf), day_end(expires))
            groups: dict[UUID, list[UUID]] = defaultdict(list)
            for group_id, person_id in session.execute(
                select(GroupMember.group_id, GroupMember.person_id).where(
                    _in(GroupMember.person_id, chunk)
                )
            ):
                groups[person_id].append(self._id(group_id))
            rows = session.execute(
                select(Person.id, Person.active, Person.extended_unlock).where(
                    _in(Person.id, chunk)
                )
            ).all()
            for person_id, active, extended in rows:
                pid = self._id(person_id)
                self.index.set_person_groups(pid, groups.get(person_id, ()))
                facts = PersonFacts(
                    active,
                    extended,
                    tuple(assignments.get(person_id, ())),
                    training.get(person_id) or {},
                )
                self.index.set_person(pid, facts)
            for missing in set(chunk or ()) - {row[0] for row in rows}:
                self.index.set_person(missing, None)

    def load_credentials(self, session: Session, ids: Collection[UUID] | None) -> None:
        """Reload cards, mobile keys and PINs (a PIN by its door digest, for its holder)."""
        for chunk in _chunks(ids):
            rows = session.execute(
                select(
                    Credential.id,
                    Credential.tenant_id,
                    Credential.identifier,
                    Credential.person_id,
                    Credential.state,
                    Credential.valid_from,
                    Credential.valid_to,
                    Credential.kind,
                    Credential.door_pin_digest,
                ).where(_in(Credential.id, chunk))
            ).all()
            found: set[UUID] = set()
            pins: set[UUID] = set()
            for cred_id, tenant, identifier, person, state, start, end, kind, digest in rows:
                if kind == CredentialKind.PIN:
                    pin = _pin_entry(cred_id, digest, str(state), stamp(start, -math.inf), end)
                    if pin is not None:
                        pins.add(cred_id)
                        self.index.set_pin(self._id(cred_id), self._id(person), pin)
                    continue
                # As stored: every writer stores the normal form (access.identifiers), and
                # migration 0007 brought older rows to it. A row that is not in it (text no
                # card UID can be, written around the API) is a key no reader presents.
                if identifiers.presented(kind, identifier) != identifier:
                    log.warning("credential %s: %r is no %s identifier", cred_id, identifier, kind)
                    continue
                found.add(cred_id)
                cid = self._id(cred_id)
                entry = CredentialEntry(
                    cid,
                    self._id(tenant),
                    sys.intern(identifier),
                    self._id(person),
                    str(state),
                    stamp(start, -math.inf),
                    stamp(end, math.inf),
                    CredentialKind(kind).value,
                )
                self.index.set_credential(cid, entry)
            for missing in set(chunk or ()) - found:
                self.index.set_credential(missing, None)
            for missing in set(chunk or ()) - pins:
                if missing in self.index.pin_owners:
                    self.index.set_pin(missing, None, None)


def _pin_entry(
    credential_id: UUID, digest: str | None, state: str, start: float, end: Any
) -> PinEntry | None:
    """A PIN credential's entry, or None without a door digest (set before migration 0022:
    its holder must set the PIN again before a PIN door accepts it)."""
    if not digest:
        return None
    try:
        raw = bytes.fromhex(digest)
    except ValueError:
        log.warning("credential %s: its door PIN digest is not hex", credential_id)
        return None
    return PinEntry(credential_id.bytes, raw, state, start, stamp(end, math.inf))


def _intervals(raw: Any) -> tuple[Interval, ...]:
    # A stored schedule was validated when saved; if it is broken anyway it opens nothing
    # rather than stopping the whole index from loading.
    try:
        return parse_intervals(raw or [])
    except ScheduleError:
        return ()
