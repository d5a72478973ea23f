"""What needs an access administrator's attention, counted for the dashboard: orphan
credentials, grants ending soon, people lacking the training a right requires, and the
access denials per day. Each is one aggregate query over indexed columns, limited to the
actor's scope as the list it links to is.

"Lacking training" is the decision engine's rule put as a query: a person holds a right
to a profile that requires a course (a direct grant, a group's grant or a position
profile of a current assignment, in force at the given time) and has no record of that
course valid on that day (a record counts through its expiry day, Stockholm time). The
person is active; an inactive person's rights open nothing anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from stadsvakt.access.index.state import ANY_POSITION
from stadsvakt.access.models import (
    AccessEvent,
    AccessProfile,
    Credential,
    Door,
    Grant,
    PositionProfile,
)
from stadsvakt.access.reports.orphans import orphan_condition
from stadsvakt.access.services.grant_list import ending_within
from stadsvakt.access.timerules import STOCKHOLM
from stadsvakt.auth.scope import require, restrict, subtree_ids
from stadsvakt.context import Actor
from stadsvakt.directory.models import Assignment, GroupMember, Person, TrainingRecord
from stadsvakt.perday import DayCount, day_bucket


def orphan_count(session: Session, actor: Actor, *, at: datetime) -> int:
    """How many credentials in the actor's scope are orphans at ``at`` (the credentials
    list's ``orphan`` filter and the orphan report, counted)."""
    holder = aliased(Person)
    stmt = (
        select(func.count())
        .select_from(Credential)
        .join(holder, holder.id == Credential.person_id)
        .where(orphan_condition(holder, at))
    )
    return int(session.scalar(restrict(stmt, Credential, actor, "credential.read")) or 0)


def grants_ending(session: Session, actor: Actor, *, now: datetime, days: int) -> int:
    """How many grants in the actor's scope are in force and end within ``days`` days
    (the grants list's ``ending`` filter, counted)."""
    stmt = select(func.count()).select_from(Grant).where(ending_within(days, now))
    return int(session.scalar(restrict(stmt, Grant, actor, "grant.read")) or 0)


def _grant_in_force(at: datetime) -> ColumnElement[bool]:
    return and_(Grant.valid_from <= at, or_(Grant.valid_to.is_(None), Grant.valid_to > at))


def _assignment_current(today: date) -> ColumnElement[bool]:
    return and_(Assignment.start <= today, or_(Assignment.end.is_(None), Assignment.end > today))


def _holders(
    session: Session, tenant_id: uuid.UUID, at: datetime
) -> list[Select[uuid.UUID | None, str | None]]:
    """(person, required course) of every right in force at ``at`` to a profile that
    requires a course, one select per way of holding it."""
    course = AccessProfile.required_course
    needs = and_(AccessProfile.required_course.is_not(None), AccessProfile.tenant_id == tenant_id)
    direct = (
        select(Grant.person_id, course)
        .join(AccessProfile, AccessProfile.id == Grant.profile_id)
        .where(needs, Grant.person_id.is_not(None), _grant_in_force(at))
    )
    grouped = (
        select(GroupMember.person_id, course)
        .join(Grant, Grant.group_id == GroupMember.group_id)
        .join(AccessProfile, AccessProfile.id == Grant.profile_id)
        .where(needs, _grant_in_force(at))
    )
    found: list[Select[uuid.UUID | None, str | None]] = [direct, grouped]
    positions = session.execute(
        select(
            PositionProfile.org_unit_id,
            PositionProfile.position,
            PositionProfile.include_subunits,
            AccessProfile.required_course,
        )
        .join(AccessProfile, AccessProfile.id == PositionProfile.profile_id)
        .where(needs)
    ).all()
    today = at.astimezone(STOCKHOLM).date()
    for unit_id, position, subunits, required in positions:
        units = subtree_ids(frozenset({unit_id})) if subunits else select(literal(unit_id))
        matches = true() if position == ANY_POSITION else Assignment.position == position
        found.append(
            select(Assignment.person_id, literal(required, String)).where(
                Assignment.tenant_id == tenant_id,
                Assignment.org_unit_id.in_(units),
                matches,
                _assignment_current(today),
            )
        )
    return found


def lacking_training(session: Session, tenant_id: uuid.UUID, *, at: datetime) -> Select[uuid.UUID]:
    """A select of the ids of the municipality's people who lack training a right of
    theirs requires at ``at`` (see the module docstring); a list filters with it."""
    rights = union_all(*_holders(session, tenant_id, at)).subquery("rights")
    person_id, course = rights.c[0], rights.c[1]
    today = at.astimezone(STOCKHOLM).date()
    valid = exists().where(
        TrainingRecord.person_id == person_id,
        TrainingRecord.course == course,
        or_(TrainingRecord.expires_on.is_(None), TrainingRecord.expires_on >= today),
    )
    active = exists().where(Person.id == person_id, Person.active.is_(True))
    return select(person_id).where(active, ~valid).distinct()


def lacking_training_count(session: Session, actor: Actor, *, at: datetime) -> int:
    """How many people in the actor's scope lack training a right of theirs requires."""
    require(actor, "training.read")
    assert actor.tenant_id is not None, "counted within a municipality"
    lacking = lacking_training(session, actor.tenant_id, at=at).subquery()
    stmt = select(func.count()).select_from(Person).where(Person.id.in_(select(lacking.c[0])))
    return int(session.scalar(restrict(stmt, Person, actor, "person.read")) or 0)


def denials_per_day(
    session: Session, actor: Actor, *, bounds: Sequence[datetime]
) -> list[DayCount]:
    """Access denials per day and reason, the days being the spans between ``bounds``
    (local midnights), at the doors the actor sees."""
    require(actor, "access.read")
    day = day_bucket(AccessEvent.at, bounds)
    stmt = select(day, AccessEvent.reason, func.count()).where(
        AccessEvent.granted.is_(False), AccessEvent.at >= bounds[0], AccessEvent.at < bounds[-1]
    )
    if actor.tenant_id is not None:
        stmt = stmt.where(AccessEvent.tenant_id == actor.tenant_id)
    if actor.scope("access.read") is not None:
        doors = restrict(select(Door.id), Door, actor, "access.read")
        stmt = stmt.where(AccessEvent.door_id.in_(doors.scalar_subquery()))
    rows = session.execute(stmt.group_by(day, AccessEvent.reason)).all()
    return [DayCount(int(d), str(reason), int(n)) for d, reason, n in rows]
