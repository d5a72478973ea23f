"""Direct grants: a profile for a person or a group in a time window (guests, contractors,
bookings of premises, urgent changes).

A department administrator may only grant profiles whose zones all lie in the
sites their units use, and only to people (or groups) in their scope; the grant
is recorded under the giving unit, so it stays in their scope afterwards.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessProfile, Grant, GrantKind, ProfileZone, Zone
from stadsvakt.access.schemas.profiles import GrantCreate, GrantUpdate
from stadsvakt.access.services._common import (
    apply,
    bounded,
    changed,
    flush_or_conflict,
    get_in_scope,
    get_shared_or_scoped,
    page,
    tenant_of,
    window,
)
from stadsvakt.audit.service import snapshot
from stadsvakt.auth.scope import check_unit_in_scope, restrict
from stadsvakt.context import Actor
from stadsvakt.directory.models import Group, Person
from stadsvakt.errors import Forbidden, InvalidInput, NotFound

READ, WRITE = "grant.read", "grant.write"


def list_grants(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    person_id: uuid.UUID | None = None,
    group_id: uuid.UUID | None = None,
    profile_id: uuid.UUID | None = None,
    kind: GrantKind | None = None,
    valid_at: datetime | None = None,
) -> tuple[list[Grant], int]:
    """Grants given by the actor's units, newest window first."""
    stmt = restrict(select(Grant), Grant, actor, READ).order_by(Grant.valid_from.desc(), Grant.id)
    if person_id is not None:
        stmt = stmt.where(Grant.person_id == person_id)
    if group_id is not None:
        stmt = stmt.where(Grant.group_id == group_id)
    if profile_id is not None:
        stmt = stmt.where(Grant.profile_id == profile_id)
    if kind is not None:
        stmt = stmt.where(Grant.kind == kind)
    if valid_at is not None:
        bounded(valid_at, "valid_at")
        stmt = stmt.where(
            Grant.valid_from <= valid_at, or_(Grant.valid_to.is_(None), Grant.valid_to > valid_at)
        )
    return page(session, stmt, limit, offset)


def get_grant(session: Session, actor: Actor, grant_id: uuid.UUID) -> Grant:
    """One grant given by the actor's units."""
    return get_in_scope(session, actor, Grant, grant_id, READ, "grant")


def _profile(session: Session, actor: Actor, profile_id: uuid.UUID) -> AccessProfile:
    try:
        profile = get_shared_or_scoped(session, actor, AccessProfile, profile_id, WRITE, "profile")
    except NotFound as exc:
        raise NotFound(
            f"profile_id: no access profile {profile_id} you may grant", field="profile_id"
        ) from exc
    if actor.scope(WRITE) is not None:
        opened = select(ProfileZone.zone_id).where(ProfileZone.profile_id == profile.id)
        total = session.scalar(select(func.count()).select_from(opened.subquery())) or 0
        mine = restrict(select(Zone.id).where(Zone.id.in_(opened)), Zone, actor, WRITE)
        inside = session.scalar(select(func.count()).select_from(mine.subquery())) or 0
        if inside != total:
            raise Forbidden(
                "profile_id: the profile opens zones outside the sites your units use",
                field="profile_id",
            )
    return profile


def _holder_unit(session: Session, actor: Actor, data: GrantCreate) -> uuid.UUID | None:
    """The person's or group's unit, after checking the actor may grant to them."""
    if data.person_id is not None:
        stmt = restrict(select(Person).where(Person.id == data.person_id), Person, actor, WRITE)
        person = session.execute(stmt).scalar_one_or_none()
        if person is None:
            raise NotFound(
                f"person_id: no person {data.person_id} in your scope", field="person_id"
            )
        return person.org_unit_id
    stmt_g = restrict(select(Group).where(Group.id == data.group_id), Group, actor, WRITE)
    group = session.execute(stmt_g).scalar_one_or_none()
    if group is None:
        raise NotFound(f"group_id: no group {data.group_id} in your scope", field="group_id")
    return group.org_unit_id


def create_grant(session: Session, actor: Actor, data: GrantCreate) -> Grant:
    """Grant a profile to a person or a group from ``valid_from`` to ``valid_to``."""
    tenant = tenant_of(actor)
    if (data.person_id is None) == (data.group_id is None):
        raise InvalidInput(
            "person_id: give either person_id or group_id", field="person_id", rule="one_holder"
        )
    window(data.valid_from, data.valid_to)
    holder_unit = _holder_unit(session, actor, data)
    # A department administrator's grant is recorded under a unit of theirs: the one they
    # name, or else the holder's own unit (which is in their scope, as checked above).
    unit = data.org_unit_id
    if unit is None and actor.scope(WRITE) is not None:
        unit = holder_unit
    check_unit_in_scope(session, actor, WRITE, unit, field="org_unit_id")
    profile = _profile(session, actor, data.profile_id)
    grant = Grant(tenant_id=tenant, **{**data.model_dump(), "org_unit_id": unit})
    session.add(grant)
    flush_or_conflict(session, "grant")
    changed(
        session,
        action="grant.create",
        obj=grant,
        text=f"{grant.kind.value}: {profile.name}",
        before=None,
        entity="grant",
    )
    return grant


def update_grant(session: Session, actor: Actor, grant_id: uuid.UUID, data: GrantUpdate) -> Grant:
    """Move a grant's window, or change its kind or note."""
    grant = get_in_scope(session, actor, Grant, grant_id, WRITE, "grant")
    before = snapshot(grant)
    apply(grant, data.model_dump(exclude_unset=True), required=("kind", "valid_from"))
    window(grant.valid_from, grant.valid_to)
    flush_or_conflict(session, "grant")
    changed(
        session,
        action="grant.update",
        obj=grant,
        text=grant.kind.value,
        before=before,
        entity="grant",
    )
    return grant


def delete_grant(session: Session, actor: Actor, grant_id: uuid.UUID) -> None:
    """Withdraw a grant at once."""
    grant = get_in_scope(session, actor, Grant, grant_id, WRITE, "grant")
    before = snapshot(grant)
    session.delete(grant)
    flush_or_conflict(session, "grant")
    changed(
        session,
        action="grant.delete",
        obj=grant,
        text=grant.kind.value,
        before=before,
        entity="grant",
        deleted=True,
    )


def person_in_scope(
    session: Session, actor: Actor, employee_number: str, permission: str
) -> Person | None:
    """A person in the actor's scope for ``permission``, by employee number (for the forms)."""
    stmt = restrict(
        select(Person).where(Person.employee_number == employee_number), Person, actor, permission
    )
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def names_of(session: Session, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Display names of people already shown to the actor (ids from rows in their scope)."""
    rows = session.execute(
        select(Person.id, Person.given_name, Person.family_name).where(Person.id.in_(person_ids))
    )
    return {pid: f"{given} {family}" for pid, given, family in rows}
