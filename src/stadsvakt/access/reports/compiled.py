"""The report-sized compiled index and the probe that asks ``decide()`` for one person.

A report fills a :class:`CompiledIndex` with the decision index's own :class:`Loader`,
holding only the rows its question touches, and asks ``decide()`` whether a person
would be let in with a valid card: the same rules as a real decision.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Collection
from datetime import datetime

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
from stadsvakt.access.models import Grant, HolidayCalendar, PositionProfile, Schedule
from stadsvakt.auth.scope import subtree_ids
from stadsvakt.directory.models import Assignment, GroupMember
from stadsvakt.org.models import OrgUnit

#: The presented value of a probe credential (never a real card: it holds a space).
_PROBE = "REPORT PROBE"

#: Right sources as reported (the granting reasons of ``decide()``).
SOURCES = {
    Reason.GRANTED_BY_POSITION: "position_profile",
    Reason.GRANTED_BY_GRANT: "grant",
    Reason.GRANTED_BY_GROUP_GRANT: "group_grant",
}


class Probe:
    """The compiled index seen through a valid card of one person at a secure door."""

    def __init__(self, index: CompiledIndex, tenant_id: uuid.UUID) -> None:
        self.index = index
        self.tenant_id = tenant_id
        self.person_id: uuid.UUID = uuid.UUID(int=0)

    def door(self, door_id: uuid.UUID) -> DoorEntry | None:
        """The door, in secure mode."""
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

    def credential(self, tenant_id: uuid.UUID, kind: str, presented: str) -> CredentialEntry | None:
        """A valid, active card of the probed person."""
        return CredentialEntry(
            uuid.UUID(int=0),
            tenant_id,
            presented,
            self.person_id,
            "active",
            -math.inf,
            math.inf,
            kind,
        )

    def person(self, person_id: uuid.UUID) -> PersonEntry | None:
        """The person's compiled rights, or None."""
        return self.index.person(person_id)

    def profile(self, profile_id: uuid.UUID) -> ProfileEntry | None:
        """The profile, or None."""
        return self.index.profile(profile_id)

    def schedule(self, schedule_id: uuid.UUID) -> ScheduleEntry | None:
        """The schedule, or None."""
        return self.index.schedule(schedule_id)

    def decide_for(self, person_id: uuid.UUID, door_id: uuid.UUID, at: datetime) -> Decision:
        """What ``decide()`` answers for this person's valid card at the door at ``at``."""
        self.person_id = person_id
        return decide(DecisionRequest(self.tenant_id, door_id, _PROBE), self, at)


class Builder:
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
