"""The compiled rights held in memory: the raw facts the rights follow from, and per person
the compiled rights that ``decide()`` reads with a few dictionary lookups.

Pure data structures, no I/O: the loader fills them from the database, tests and the
benchmark fill them directly. Updates are per entity (a person, a credential, a door,
a position profile…): only the people an update can affect are recompiled.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Container, Iterable
from datetime import date, datetime, time, timedelta

from stadsvakt.access import identifiers
from stadsvakt.access.decide import (
    CredentialEntry,
    DoorEntry,
    PersonEntry,
    PinEntry,
    ProfileEntry,
    Reason,
    Right,
    ScheduleEntry,
)
from stadsvakt.access.holidays import CalendarDays
from stadsvakt.access.timerules import NO_DAYS, STOCKHOLM, Interval, compile_schedule

#: The position of a position profile that matches every position in its unit.
ANY_POSITION = "*"

UUID = uuid.UUID


def day_start(day: date) -> float:
    """The timestamp of local midnight (Europe/Stockholm) at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=STOCKHOLM).timestamp()


def day_end(day: date | None) -> float:
    """The timestamp where a day given as an inclusive end stops (inf for None): a
    training record's expiry day still counts."""
    return math.inf if day is None else day_start(day + timedelta(days=1))


def until_day(day: date | None) -> float:
    """The timestamp where a day given as an exclusive end stops (inf for None): an
    assignment's ``end`` is the first day it no longer holds, so ``end = today`` takes
    its right away at once (from local midnight, before the change was made)."""
    return math.inf if day is None else day_start(day)


def stamp(moment: datetime | None, missing: float) -> float:
    """A datetime as a timestamp, or ``missing`` for None."""
    return missing if moment is None else moment.timestamp()


class PersonFacts:
    """What a person's rights follow from (besides grants and groups, kept by id)."""

    __slots__ = ("active", "assignments", "extended_unlock", "training")

    def __init__(
        self,
        active: bool,
        extended_unlock: bool,
        assignments: tuple[tuple[UUID, str, float, float], ...],
        training: dict[str, float],
    ) -> None:
        self.active = active
        self.extended_unlock = extended_unlock
        #: (unit, position, from, to) per assignment.
        self.assignments = assignments
        self.training = training


class GrantFacts:
    """A direct grant: to a person or a group, a profile, a window."""

    __slots__ = ("group_id", "person_id", "profile_id", "valid_from", "valid_to")

    def __init__(
        self,
        person_id: UUID | None,
        group_id: UUID | None,
        profile_id: UUID,
        valid_from: float,
        valid_to: float,
    ) -> None:
        self.person_id = person_id
        self.group_id = group_id
        self.profile_id = profile_id
        self.valid_from = valid_from
        self.valid_to = valid_to


class PositionFacts:
    """A position profile: everyone holding ``position`` in ``unit`` (or below) gets ``profile``."""

    __slots__ = ("position", "profile_id", "subunits", "unit_id")

    def __init__(self, unit_id: UUID, position: str, subunits: bool, profile_id: UUID) -> None:
        self.unit_id = unit_id
        self.position = position
        self.subunits = subunits
        self.profile_id = profile_id


class ScheduleFacts:
    """A schedule's intervals, holiday mode and calendar, kept to recompile on calendar changes."""

    __slots__ = ("calendar_id", "holiday_mode", "intervals")

    def __init__(
        self, intervals: tuple[Interval, ...], holiday_mode: str, calendar_id: UUID | None
    ) -> None:
        self.intervals = intervals
        self.holiday_mode = holiday_mode
        self.calendar_id = calendar_id


class SiteFacts:
    """A site's door rules: its own holiday calendar (or None) and its emergency state."""

    __slots__ = ("calendar_id", "emergency_open")

    def __init__(self, calendar_id: UUID | None, emergency_open: bool) -> None:
        self.calendar_id = calendar_id
        self.emergency_open = emergency_open


class CompiledIndex:
    """The decision state (implements ``DecisionState``) plus the facts to update it."""

    def __init__(self) -> None:
        self.doors: dict[UUID, DoorEntry] = {}
        #: (municipality, kind, identifier in normal form) → the card or mobile key.
        self.credentials: dict[tuple[UUID, str, str], CredentialEntry] = {}
        self.credentials_by_id: dict[UUID, CredentialEntry] = {}
        self.people: dict[UUID, PersonEntry] = {}
        self.profiles: dict[UUID, ProfileEntry] = {}
        self.schedules: dict[UUID, ScheduleEntry] = {}
        # Facts
        self.person_facts: dict[UUID, PersonFacts] = {}
        self.grants: dict[UUID, GrantFacts] = {}
        self.grants_by_person: dict[UUID, set[UUID]] = {}
        self.grants_by_group: dict[UUID, set[UUID]] = {}
        self.group_members: dict[UUID, set[UUID]] = {}
        self.person_groups: dict[UUID, set[UUID]] = {}
        self.positions: dict[UUID, PositionFacts] = {}
        self.positions_by_unit: dict[UUID, set[UUID]] = {}
        self.unit_parent: dict[UUID, UUID | None] = {}
        self.people_by_unit: dict[UUID, set[UUID]] = {}
        self.schedule_facts: dict[UUID, ScheduleFacts] = {}
        self.calendars: dict[UUID, CalendarDays] = {}
        #: Site → its door rules (sites without a row have no calendar and no emergency).
        self.sites: dict[UUID, SiteFacts] = {}
        self.doors_by_site: dict[UUID, set[UUID]] = {}
        #: Person → their PIN credentials (id → entry); PIN credential → its holder.
        self.pins: dict[UUID, dict[UUID, PinEntry]] = {}
        self.pin_owners: dict[UUID, UUID] = {}
        #: Assignment and training record ids → their person (to place a deleted row).
        self.owners: dict[UUID, UUID] = {}

    # -- DecisionState ---------------------------------------------------------------

    def door(self, door_id: UUID) -> DoorEntry | None:
        """The door, or None."""
        return self.doors.get(door_id)

    def credential(self, tenant_id: UUID, kind: str, presented: str) -> CredentialEntry | None:
        """The municipality's credential of ``kind`` whose identifier is the presented text
        in normal form (:func:`stadsvakt.access.identifiers.presented`), or None."""
        # Readers mostly send the normal form already: one lookup, no normalising.
        entry = self.credentials.get((tenant_id, kind, presented))
        if entry is None:
            normal = identifiers.presented(kind, presented)
            if normal is not None and normal != presented:
                entry = self.credentials.get((tenant_id, kind, normal))
        return entry

    def person(self, person_id: UUID) -> PersonEntry | None:
        """The person's compiled rights, or None."""
        return self.people.get(person_id)

    def profile(self, profile_id: UUID) -> ProfileEntry | None:
        """The profile, or None."""
        return self.profiles.get(profile_id)

    def schedule(self, schedule_id: UUID) -> ScheduleEntry | None:
        """The schedule, or None."""
        return self.schedules.get(schedule_id)

    # -- Updates ---------------------------------------------------------------------

    def set_door(self, door_id: UUID, entry: DoorEntry | None) -> None:
        """Add, replace or (None) remove a door; its site's rules are applied to the entry."""
        old = self.doors.pop(door_id, None) if entry is None else self.doors.get(door_id)
        if old is not None and old.site_id is not None:
            self.doors_by_site.get(old.site_id, set()).discard(door_id)
        if entry is None:
            return
        if entry.site_id is not None:
            self.doors_by_site.setdefault(entry.site_id, set()).add(door_id)
            entry = self._with_site(entry)
        self.doors[door_id] = entry

    def _with_site(self, entry: DoorEntry) -> DoorEntry:
        """The door entry with its site's emergency state and calendar (a new entry, so a
        decision running meanwhile sees either the old rules or the new, never half)."""
        site = self.sites.get(entry.site_id) if entry.site_id is not None else None
        emergency = site is not None and site.emergency_open
        calendar = None
        if site is not None and site.calendar_id is not None:
            calendar = self.calendars.get(site.calendar_id)
        if emergency == entry.emergency_open and calendar is entry.holidays:
            return entry
        return DoorEntry(
            entry.id,
            entry.tenant_id,
            entry.zone_id,
            entry.mode,
            entry.unlock_schedule_id,
            entry.unlock_seconds,
            entry.extended_unlock_seconds,
            site_id=entry.site_id,
            requires_pin=entry.requires_pin,
            escape_route=entry.escape_route,
            emergency_open=emergency,
            # A site calendar that is gone (or not loaded) leaves the schedules' own.
            holidays=calendar,
            eves=calendar.eves if calendar is not None else NO_DAYS,
        )

    def set_site(self, site_id: UUID, facts: SiteFacts | None) -> None:
        """Add, replace or remove a site's door rules and apply them to its doors."""
        if facts is None:
            self.sites.pop(site_id, None)
        else:
            self.sites[site_id] = facts
        for door_id in self.doors_by_site.get(site_id, set()):
            entry = self.doors.get(door_id)
            if entry is not None:
                self.doors[door_id] = self._with_site(entry)

    def set_pin(self, credential_id: UUID, person_id: UUID | None, entry: PinEntry | None) -> None:
        """Add, replace or remove a PIN credential and recompile its holder(s)."""
        old_owner = self.pin_owners.pop(credential_id, None)
        if old_owner is not None:
            self.pins.get(old_owner, {}).pop(credential_id, None)
        if entry is not None and person_id is not None:
            self.pin_owners[credential_id] = person_id
            self.pins.setdefault(person_id, {})[credential_id] = entry
        for owner in {old_owner, person_id} - {None}:
            if owner is not None and owner in self.person_facts:
                self.recompile(owner)

    def set_credential(self, credential_id: UUID, entry: CredentialEntry | None) -> None:
        """Add, replace or (None) remove a credential."""
        old = self.credentials_by_id.pop(credential_id, None)
        if old is not None:
            key = (old.tenant_id, old.kind, old.identifier)
            # Only its own key: another credential may hold the key by now (re-issued).
            if self.credentials.get(key) is old:
                del self.credentials[key]
        if entry is not None:
            self.credentials_by_id[credential_id] = entry
            self.credentials[(entry.tenant_id, entry.kind, entry.identifier)] = entry

    def set_profile(self, profile_id: UUID, entry: ProfileEntry | None) -> None:
        """Add, replace or remove a profile (people refer to it by id: nothing to recompile)."""
        if entry is None:
            self.profiles.pop(profile_id, None)
        else:
            self.profiles[profile_id] = entry

    def set_calendar(self, calendar_id: UUID, days: CalendarDays | None) -> None:
        """Add, replace or remove a holiday calendar and recompile the schedules using it."""
        if days is None:
            self.calendars.pop(calendar_id, None)
        else:
            self.calendars[calendar_id] = days
        for schedule_id, facts in self.schedule_facts.items():
            if facts.calendar_id == calendar_id:
                self.set_schedule(schedule_id, facts)
        for site_id, site in self.sites.items():
            if site.calendar_id == calendar_id:
                self.set_site(site_id, site)

    def set_schedule(self, schedule_id: UUID, facts: ScheduleFacts | None) -> None:
        """Add, replace or remove a schedule."""
        if facts is None:
            self.schedule_facts.pop(schedule_id, None)
            self.schedules.pop(schedule_id, None)
            return
        self.schedule_facts[schedule_id] = facts
        holidays = self.calendars.get(facts.calendar_id) if facts.calendar_id else None
        week = compile_schedule(facts.intervals, facts.holiday_mode)
        # An empty calendar is no calendar: decide() then skips the holiday check.
        days: Container[date] = holidays if holidays else frozenset()
        eves = holidays.eves if holidays is not None else NO_DAYS
        self.schedules[schedule_id] = ScheduleEntry(schedule_id, week, days, eves)

    def set_unit(self, unit_id: UUID, parent_id: UUID | None, *, exists: bool = True) -> set[UUID]:
        """Record a unit's parent; returns the people whose rights may have changed."""
        old = self.unit_parent.get(unit_id, parent_id)
        if exists:
            self.unit_parent[unit_id] = parent_id
        else:
            self.unit_parent.pop(unit_id, None)
        if old == parent_id and exists:
            return set()
        return self._people_in_subtree(unit_id)

    def set_person(self, person_id: UUID, facts: PersonFacts | None) -> None:
        """Add, replace or remove a person's facts (not their groups or grants) and recompile."""
        old = self.person_facts.pop(person_id, None)
        if old is not None:
            for unit, _, _, _ in old.assignments:
                members = self.people_by_unit.get(unit)
                if members is not None:
                    members.discard(person_id)
        if facts is None:
            self.people.pop(person_id, None)
            for group_id in self.person_groups.pop(person_id, set()):
                self.group_members.get(group_id, set()).discard(person_id)
            return
        self.person_facts[person_id] = facts
        for unit, _, _, _ in facts.assignments:
            self.people_by_unit.setdefault(unit, set()).add(person_id)
        self.recompile(person_id)

    def set_person_groups(self, person_id: UUID, groups: Iterable[UUID]) -> None:
        """Replace the groups a person belongs to (call :meth:`recompile` afterwards)."""
        for group_id in self.person_groups.pop(person_id, set()):
            self.group_members.get(group_id, set()).discard(person_id)
        new = set(groups)
        if new:
            self.person_groups[person_id] = new
            for group_id in new:
                self.group_members.setdefault(group_id, set()).add(person_id)

    def set_group_members(self, group_id: UUID, members: Iterable[UUID]) -> set[UUID]:
        """Replace a group's members; returns the people to recompile (old and new members)."""
        old = self.group_members.pop(group_id, set())
        for person_id in old:
            self.person_groups.get(person_id, set()).discard(group_id)
        new = set(members)
        if new:
            self.group_members[group_id] = new
            for person_id in new:
                self.person_groups.setdefault(person_id, set()).add(group_id)
        return old | new

    def set_grant(self, grant_id: UUID, facts: GrantFacts | None) -> set[UUID]:
        """Add, replace or remove a grant; returns the people to recompile."""
        affected: set[UUID] = set()
        old = self.grants.pop(grant_id, None)
        for grant in (old, facts):
            if grant is None:
                continue
            if grant.person_id is not None:
                affected.add(grant.person_id)
            if grant.group_id is not None:
                affected |= self.group_members.get(grant.group_id, set())
        if old is not None:
            self._unlink_grant(grant_id, old)
        if facts is not None:
            self.grants[grant_id] = facts
            if facts.person_id is not None:
                self.grants_by_person.setdefault(facts.person_id, set()).add(grant_id)
            if facts.group_id is not None:
                self.grants_by_group.setdefault(facts.group_id, set()).add(grant_id)
        return affected

    def _unlink_grant(self, grant_id: UUID, old: GrantFacts) -> None:
        if old.person_id is not None:
            self.grants_by_person.get(old.person_id, set()).discard(grant_id)
        if old.group_id is not None:
            self.grants_by_group.get(old.group_id, set()).discard(grant_id)

    def set_position(self, position_id: UUID, facts: PositionFacts | None) -> set[UUID]:
        """Add, replace or remove a position profile; returns the people to recompile."""
        affected: set[UUID] = set()
        old = self.positions.pop(position_id, None)
        if old is not None:
            self.positions_by_unit.get(old.unit_id, set()).discard(position_id)
            affected |= self._people_for_position(old)
        if facts is not None:
            self.positions[position_id] = facts
            self.positions_by_unit.setdefault(facts.unit_id, set()).add(position_id)
            affected |= self._people_for_position(facts)
        return affected

    def _people_for_position(self, facts: PositionFacts) -> set[UUID]:
        if facts.subunits:
            return self._people_in_subtree(facts.unit_id)
        return set(self.people_by_unit.get(facts.unit_id, ()))

    def _people_in_subtree(self, root: UUID) -> set[UUID]:
        children: dict[UUID, list[UUID]] = {}
        for unit, parent in self.unit_parent.items():
            if parent is not None:
                children.setdefault(parent, []).append(unit)
        people: set[UUID] = set()
        stack = [root]
        seen: set[UUID] = set()
        while stack:
            unit = stack.pop()
            if unit in seen:
                continue
            seen.add(unit)
            people |= self.people_by_unit.get(unit, set())
            stack.extend(children.get(unit, ()))
        return people

    def _profiles_for(self, unit_id: UUID, position: str) -> list[UUID]:
        """Profiles a position in a unit gets: from the unit, and from ancestors with subunits."""
        found: list[UUID] = []
        unit: UUID | None = unit_id
        first = True
        seen: set[UUID] = set()
        while unit is not None and unit not in seen:
            seen.add(unit)
            for position_id in self.positions_by_unit.get(unit, ()):
                facts = self.positions[position_id]
                if (first or facts.subunits) and facts.position in (position, ANY_POSITION):
                    found.append(facts.profile_id)
            unit = self.unit_parent.get(unit)
            first = False
        return found

    def recompile(self, person_id: UUID) -> None:
        """Compile one person's rights from their facts, grants and groups."""
        facts = self.person_facts.get(person_id)
        if facts is None:
            self.people.pop(person_id, None)
            return
        rights: list[Right] = []
        for unit, position, start, end in facts.assignments:
            for profile_id in self._profiles_for(unit, position):
                rights.append(Right(profile_id, start, end, Reason.GRANTED_BY_POSITION))
        for grant_id in self.grants_by_person.get(person_id, ()):
            grant = self.grants[grant_id]
            rights.append(
                Right(grant.profile_id, grant.valid_from, grant.valid_to, Reason.GRANTED_BY_GRANT)
            )
        for group_id in self.person_groups.get(person_id, ()):
            for grant_id in self.grants_by_group.get(group_id, ()):
                grant = self.grants[grant_id]
                rights.append(
                    Right(
                        grant.profile_id,
                        grant.valid_from,
                        grant.valid_to,
                        Reason.GRANTED_BY_GROUP_GRANT,
                    )
                )
        pins = self.pins.get(person_id)
        self.people[person_id] = PersonEntry(
            person_id,
            facts.active,
            facts.extended_unlock,
            tuple(rights),
            facts.training,
            tuple(pins.values()) if pins else (),
        )

    def recompile_all(self, people: Iterable[UUID]) -> None:
        """Recompile several people."""
        for person_id in people:
            self.recompile(person_id)
