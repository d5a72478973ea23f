"""Groups of people (SCIM Groups): teams, booking clubs. Direct grants may name a group.

Groups are read with ``person.read`` and changed with ``person.write``; a
department administrator sees groups placed in their units and may only put
people of their own scope in them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from stadsvakt.audit.service import snapshot
from stadsvakt.auth.scope import check_unit_in_scope, restrict
from stadsvakt.context import Actor
from stadsvakt.directory.models import Group, GroupMember, Person
from stadsvakt.directory.schemas import GroupCreate, GroupUpdate
from stadsvakt.directory.service._common import audit, flush_or_conflict, page, tenant_of
from stadsvakt.errors import N_, Conflict, InvalidInput, NotFound
from stadsvakt.events import RecordChanged, announce


def _scoped_group(session: Session, actor: Actor, group_id: uuid.UUID, permission: str) -> Group:
    stmt = restrict(select(Group).where(Group.id == group_id), Group, actor, permission)
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no group {group_id}")
    return found


def _name_free(session: Session, tenant: uuid.UUID, name: str, own: uuid.UUID | None) -> None:
    stmt = select(Group.id).where(Group.tenant_id == tenant, Group.display_name == name)
    existing = session.execute(stmt).scalar_one_or_none()
    if existing is not None and existing != own:
        raise Conflict(f"a group named '{name}' exists", field="display_name").said(
            N_("There is already a group named %(name)s."), name=name
        )


def member_ids(session: Session, group_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of a group's members, in a stable order."""
    stmt = (
        select(GroupMember.person_id)
        .where(GroupMember.group_id == group_id)
        .order_by(GroupMember.person_id)
    )
    return list(session.scalars(stmt))


def get_group(session: Session, actor: Actor, group_id: uuid.UUID) -> Group:
    """One group in the actor's ``person.read`` scope."""
    return _scoped_group(session, actor, group_id, "person.read")


def list_groups(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    q: str | None = None,
    display_name: str | None = None,
    external_id: str | None = None,
) -> tuple[list[Group], int]:
    """Groups the actor may see, by name; ``q`` searches, the others match exactly."""
    stmt = restrict(select(Group), Group, actor, "person.read").order_by(
        Group.display_name, Group.id
    )
    if q:
        stmt = stmt.where(Group.display_name.ilike(f"%{q.strip()}%"))
    if display_name is not None:
        stmt = stmt.where(Group.display_name == display_name)
    if external_id is not None:
        stmt = stmt.where(Group.external_id == external_id)
    return page(session, stmt, limit, offset)


def create_group(session: Session, actor: Actor, data: GroupCreate) -> Group:
    """Create a group, with its first members; audited."""
    tenant = tenant_of(actor)
    check_unit_in_scope(session, actor, "person.write", data.org_unit_id, field="org_unit_id")
    _name_free(session, tenant, data.display_name, None)
    group = Group(
        tenant_id=tenant,
        org_unit_id=data.org_unit_id,
        display_name=data.display_name,
        external_id=data.external_id,
        version=1,
    )
    session.add(group)
    flush_or_conflict(session, "group")
    audit(
        session,
        action="group.create",
        obj=group,
        object_type="group",
        text=group.display_name,
        tenant_id=tenant,
    )
    if data.members:
        _replace_members(session, actor, group, data.members, bump=False)
    return group


def update_group(session: Session, actor: Actor, group_id: uuid.UUID, data: GroupUpdate) -> Group:
    """Rename a group, move it to another unit or change its external id; bumps ``version``."""
    group = _scoped_group(session, actor, group_id, "person.write")
    changes = data.model_dump(exclude_unset=True)
    if "display_name" in changes:
        if changes["display_name"] is None:
            raise InvalidInput(
                "display_name cannot be emptied", field="display_name", rule="required"
            ).said(N_("This field is required."))
        _name_free(session, group.tenant_id, changes["display_name"], group.id)
    if "org_unit_id" in changes and changes["org_unit_id"] != group.org_unit_id:
        check_unit_in_scope(
            session, actor, "person.write", changes["org_unit_id"], field="org_unit_id"
        )
    changed = {k: v for k, v in changes.items() if getattr(group, k) != v}
    if not changed:
        return group
    before = snapshot(group)
    for key, value in changed.items():
        setattr(group, key, value)
    group.version += 1
    flush_or_conflict(session, "group")
    audit(
        session,
        action="group.update",
        obj=group,
        object_type="group",
        text=group.display_name,
        tenant_id=group.tenant_id,
        before=before,
    )
    return group


def set_group_members(
    session: Session, actor: Actor, group_id: uuid.UUID, person_ids: Sequence[uuid.UUID]
) -> Group:
    """Make ``person_ids`` the group's members; each must be a person the actor may change.

    Bumps ``version`` when the members change. One audit row lists the members
    before and after; the change feed gets each person who joined or left.
    """
    group = _scoped_group(session, actor, group_id, "person.write")
    _replace_members(session, actor, group, person_ids, bump=True)
    return group


def _replace_members(
    session: Session, actor: Actor, group: Group, person_ids: Sequence[uuid.UUID], *, bump: bool
) -> None:
    wanted = set(person_ids)
    if wanted:
        stmt = restrict(
            select(Person.id).where(Person.id.in_(wanted)), Person, actor, "person.write"
        )
        found = set(session.scalars(stmt))
        missing = sorted(str(p) for p in wanted - found)
        if missing:
            raise NotFound(f"members: no person {', '.join(missing[:5])}", field="members").said(
                N_("Choose members among the people within your scope.")
            )
    current = set(member_ids(session, group.id))
    added, removed = wanted - current, current - wanted
    if not added and not removed:
        return
    if removed:
        session.execute(
            delete(GroupMember).where(
                GroupMember.group_id == group.id, GroupMember.person_id.in_(removed)
            )
        )
    session.add_all(GroupMember(group_id=group.id, person_id=p) for p in sorted(added))
    before = {**snapshot(group), "members": sorted(str(p) for p in current)}
    if bump:
        group.version += 1
    flush_or_conflict(session, "group membership")
    audit(
        session,
        action="group.members",
        obj=group,
        object_type="group",
        text=group.display_name,
        tenant_id=group.tenant_id,
        before=before,
        extra={"members": sorted(str(p) for p in wanted)},
    )
    for person_id in sorted(added | removed):
        announce(session, RecordChanged(group.tenant_id, "person", person_id))


def delete_group(session: Session, actor: Actor, group_id: uuid.UUID) -> None:
    """Remove a group; its memberships and the direct grants naming it go with it."""
    group = _scoped_group(session, actor, group_id, "person.write")
    before = {**snapshot(group), "members": [str(p) for p in member_ids(session, group.id)]}
    session.delete(group)
    flush_or_conflict(session, "group")
    audit(
        session,
        action="group.delete",
        obj=group,
        object_type="group",
        text=before["display_name"],
        tenant_id=group.tenant_id,
        before=before,
        deleted=True,
    )
