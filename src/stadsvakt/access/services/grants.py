"""Direct grants: a profile for a person or a group in a time window, by kind (guests,
contractors, bookings of premises, employees' extra rights; see :mod:`.grant_rules`).

A department administrator may only grant profiles whose zones all lie in the
sites their units use, and only to people (or groups) in their scope; the grant
is recorded under the giving unit, so it stays in their scope afterwards.

A grant can be ended early (and the early end undone) or withdrawn; a change made from
an older copy (a stale form) is refused. Every change is audited.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

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
from stadsvakt.access.services.grant_rules import (
    KIND_FIELDS,
    KIND_RULES,
    Problems,
    check_holder,
    check_kind_fields,
    check_window,
    host_in_scope,
    rule_of,
)
from stadsvakt.audit.service import snapshot
from stadsvakt.auth.scope import check_unit_in_scope, restrict
from stadsvakt.context import Actor
from stadsvakt.directory.models import Group, Person, PersonKind
from stadsvakt.directory.schemas import PersonCreate
from stadsvakt.directory.service import create_person
from stadsvakt.errors import Conflict, Forbidden, InvalidInput, NotFound

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


def _holder(
    session: Session, actor: Actor, person_id: uuid.UUID | None, group_id: uuid.UUID | None
) -> tuple[Person | None, uuid.UUID | None]:
    """The person (or None for a group) and their unit, after checking the actor may grant
    to them."""
    if person_id is not None:
        stmt = restrict(select(Person).where(Person.id == person_id), Person, actor, WRITE)
        person = session.execute(stmt).scalar_one_or_none()
        if person is None:
            raise NotFound(f"person_id: no person {person_id} in your scope", field="person_id")
        return person, person.org_unit_id
    stmt_g = restrict(select(Group).where(Group.id == group_id), Group, actor, WRITE)
    group = session.execute(stmt_g).scalar_one_or_none()
    if group is None:
        raise NotFound(f"group_id: no group {group_id} in your scope", field="group_id")
    return None, group.org_unit_id


def create_grant(session: Session, actor: Actor, data: GrantCreate) -> Grant:
    """Give a profile to a person or a group from ``valid_from`` to ``valid_to``, under the
    rules of its kind (:mod:`.grant_rules`); audited with who gave it."""
    tenant = tenant_of(actor)
    rule = rule_of(data.kind)
    if (data.person_id is None) == (data.group_id is None):
        raise InvalidInput(
            "person_id: give either person_id or group_id", field="person_id", rule="one_holder"
        )
    window(data.valid_from, data.valid_to)
    problems = Problems([])
    check_window(rule, data.valid_from, data.valid_to, problems)
    check_kind_fields(rule, data.model_dump(), problems)
    person, holder_unit = _holder(session, actor, data.person_id, data.group_id)
    check_holder(rule, person, problems)
    host_in_scope(session, actor, data.host_person_id, WRITE, problems)
    problems.raise_any()
    # A department administrator's grant is recorded under a unit of theirs: the one they
    # name, or else the holder's own unit (which is in their scope, as checked above).
    unit = data.org_unit_id
    if unit is None and actor.scope(WRITE) is not None:
        unit = holder_unit
    check_unit_in_scope(session, actor, WRITE, unit, field="org_unit_id")
    profile = _profile(session, actor, data.profile_id)
    grant = Grant(
        tenant_id=tenant, **{**data.model_dump(), "org_unit_id": unit, "created_by": actor.name}
    )
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


def _fresh(grant: Grant, expected: datetime | None) -> None:
    """Refuse a change based on an older copy of the grant (a stale form)."""
    if expected is not None and grant.updated_at != expected:
        raise Conflict(
            "updated_at: the grant was changed by someone else meanwhile; "
            "reload it to see the change",
            field="updated_at",
            rule="stale",
        )


def _check_update(session: Session, actor: Actor, grant: Grant, changes: dict[str, Any]) -> None:
    """The kind's rules for the changed fields; grants of older kinds are only held to their
    window."""
    if "kind" in changes and changes.pop("kind") is not grant.kind:
        raise InvalidInput(
            "kind: a grant's kind cannot change; withdraw it and give a new one",
            field="kind",
            rule="fixed",
        )
    rule = KIND_RULES.get(grant.kind)
    if rule is None:
        return
    problems = Problems([])
    valid_from = changes.get("valid_from", grant.valid_from)
    valid_to = changes["valid_to"] if "valid_to" in changes else grant.valid_to
    if "valid_from" in changes or "valid_to" in changes:
        check_window(rule, valid_from, valid_to, problems)
    touched = {k: v for k, v in changes.items() if k in KIND_FIELDS}
    if touched:
        whole = {name: getattr(grant, name) for name in KIND_FIELDS} | touched
        check_kind_fields(rule, whole, problems)
    if changes.get("host_person_id") is not None:
        host_in_scope(session, actor, changes["host_person_id"], WRITE, problems)
    problems.raise_any()


def update_grant(
    session: Session,
    actor: Actor,
    grant_id: uuid.UUID,
    data: GrantUpdate,
    *,
    expected_updated_at: datetime | None = None,
) -> Grant:
    """Move a grant's window or change its host, reason or kind's fields.

    ``expected_updated_at`` (a form's copy) refuses the change if the grant changed since.
    """
    grant = get_in_scope(session, actor, Grant, grant_id, WRITE, "grant")
    _fresh(grant, expected_updated_at)
    before = snapshot(grant)
    changes = data.model_dump(exclude_unset=True)
    _check_update(session, actor, grant, changes)
    apply(grant, changes, required=("valid_from", "host_person_id", "reason"))
    window(grant.valid_from, grant.valid_to)
    if "valid_to" in changes or "valid_from" in changes:
        # A new window replaces an early end: there is nothing left to undo.
        grant.ended_early_at = grant.ended_early_from = None
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


def end_grant(
    session: Session,
    actor: Actor,
    grant_id: uuid.UUID,
    *,
    now: datetime,
    expected_updated_at: datetime | None = None,
) -> Grant:
    """End a grant in force now; its former end is kept so :func:`undo_end` can restore it."""
    grant = get_in_scope(session, actor, Grant, grant_id, WRITE, "grant")
    _fresh(grant, expected_updated_at)
    if grant.valid_from > now:
        raise InvalidInput(
            "valid_from: the grant has not started; change its window or withdraw it",
            field="valid_from",
            rule="not_started",
        )
    if grant.valid_to is not None and grant.valid_to <= now:
        raise InvalidInput(
            "valid_to: the grant has already ended", field="valid_to", rule="already_ended"
        )
    before = snapshot(grant)
    grant.ended_early_from, grant.ended_early_at, grant.valid_to = grant.valid_to, now, now
    flush_or_conflict(session, "grant")
    changed(
        session,
        action="grant.end",
        obj=grant,
        text=grant.kind.value,
        before=before,
        entity="grant",
    )
    return grant


def undo_end(
    session: Session,
    actor: Actor,
    grant_id: uuid.UUID,
    *,
    expected_updated_at: datetime | None = None,
) -> Grant:
    """Give an early-ended grant back the end it had before."""
    grant = get_in_scope(session, actor, Grant, grant_id, WRITE, "grant")
    _fresh(grant, expected_updated_at)
    if grant.ended_early_at is None:
        raise InvalidInput(
            "valid_to: the grant was not ended early", field="valid_to", rule="not_ended_early"
        )
    before = snapshot(grant)
    grant.valid_to, grant.ended_early_at, grant.ended_early_from = (
        grant.ended_early_from,
        None,
        None,
    )
    flush_or_conflict(session, "grant")
    changed(
        session,
        action="grant.undo",
        obj=grant,
        text=grant.kind.value,
        before=before,
        entity="grant",
    )
    return grant


def delete_grant(
    session: Session,
    actor: Actor,
    grant_id: uuid.UUID,
    *,
    expected_updated_at: datetime | None = None,
) -> None:
    """Withdraw a grant at once (the audit trail keeps what it was)."""
    grant = get_in_scope(session, actor, Grant, grant_id, WRITE, "grant")
    _fresh(grant, expected_updated_at)
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


def new_visitor(
    session: Session,
    actor: Actor,
    *,
    kind: PersonKind,
    given_name: str,
    family_name: str,
    email: str | None,
    host_person_id: uuid.UUID,
) -> Person:
    """A new guest or contractor (no employee number), at home in their host's unit."""
    if kind is PersonKind.EMPLOYEE:
        raise InvalidInput(
            "kind: employees come from the personnel directory", field="kind", rule="person_kind"
        )
    problems = Problems([])
    host = host_in_scope(session, actor, host_person_id, WRITE, problems)
    problems.raise_any()
    data = PersonCreate.model_validate(
        {
            "given_name": given_name,
            "family_name": family_name,
            "email": email,
            "kind": kind,
            "org_unit_id": host.org_unit_id,
        }
    )
    return create_person(session, actor, data)


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
