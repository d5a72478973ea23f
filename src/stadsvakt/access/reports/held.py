"""The access profiles a person holds, and through what: the decision engine's own compiled
rights for one person (position profiles through their assignments, their own grants and
their groups' grants), so the person's page never disagrees with a decision.

Rights in force at the time asked about and those starting later are listed; expired
ones are left out.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessProfile, Grant, PositionProfile
from stadsvakt.access.reports.compiled import SOURCES, Builder
from stadsvakt.access.reports.rights import report_time
from stadsvakt.access.services._common import tenant_of
from stadsvakt.auth.scope import require, restrict
from stadsvakt.context import Actor
from stadsvakt.directory.models import GroupMember, Person
from stadsvakt.errors import NotFound


@dataclass(frozen=True, slots=True)
class HeldProfile:
    """A profile a person holds through one source, in a window (None: open)."""

    profile_id: uuid.UUID
    profile_name: str
    profile_code: str
    #: ``position_profile``, ``grant`` or ``group_grant`` (the report's source words).
    source: str
    valid_from: datetime | None
    valid_to: datetime | None


def _moment(ts: float) -> datetime | None:
    return None if math.isinf(ts) else datetime.fromtimestamp(ts, UTC)


def profiles_held(
    session: Session, actor: Actor, person_id: uuid.UUID, *, at: datetime
) -> list[HeldProfile]:
    """The profiles a person in the actor's scope holds at ``at`` or later, by name."""
    require(actor, "access.read")
    at = report_time(at)
    tenant = tenant_of(actor)
    visible = restrict(
        select(Person.id).where(Person.id == person_id), Person, actor, "person.read"
    )
    if session.execute(visible).first() is None:
        raise NotFound(f"no person {person_id}")
    groups = select(GroupMember.group_id).where(GroupMember.person_id == person_id)
    grants = session.execute(
        select(Grant.id, Grant.profile_id).where(
            Grant.tenant_id == tenant,
            or_(Grant.person_id == person_id, Grant.group_id.in_(groups)),
        )
    ).all()
    positions = session.execute(
        select(PositionProfile.id, PositionProfile.profile_id).where(
            PositionProfile.tenant_id == tenant
        )
    ).all()
    builder = Builder(session, tenant)
    profile_ids = {row[1] for row in grants} | {row[1] for row in positions}
    builder.loader.load_profiles(session, profile_ids)
    builder.loader.load_positions(session, {row[0] for row in positions})
    builder.loader.load_grants(session, {row[0] for row in grants}, recompile=False)
    builder.loader.load_people(session, [person_id])
    entry = builder.index.person(person_id)
    ts = at.timestamp()
    rights = [r for r in (entry.rights if entry is not None else ()) if r.valid_to > ts]
    names = {
        p.id: (p.name, p.code)
        for p in session.scalars(
            select(AccessProfile).where(AccessProfile.id.in_({r.profile_id for r in rights}))
        )
    }
    held = [
        HeldProfile(
            right.profile_id,
            names[right.profile_id][0],
            names[right.profile_id][1],
            SOURCES.get(right.source, str(right.source)),
            _moment(right.valid_from),
            _moment(right.valid_to),
        )
        for right in rights
        if right.profile_id in names
    ]
    return sorted(held, key=lambda h: (h.profile_name, h.source, h.valid_from or at))
