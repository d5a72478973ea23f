"""SCIM Groups onto directory groups; their members are people (never other groups)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from scim2_models import InvalidValueException, Meta, Resource
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.context import Actor
from stadsvakt.directory import service as directory
from stadsvakt.directory.models import Group as GroupRow
from stadsvakt.directory.models import GroupMember, Person
from stadsvakt.directory.schemas import GroupCreate, GroupUpdate
from stadsvakt.errors import NotFound
from stadsvakt.scim.errors import invalid_value
from stadsvakt.scim.models import Group, Member
from stadsvakt.scim.users import etag


def members_of(session: Session, group_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Person]]:
    """The members of these groups, by group id, in a stable order."""
    out: dict[uuid.UUID, list[Person]] = {g: [] for g in group_ids}
    if not group_ids:
        return out
    rows = session.execute(
        select(GroupMember.group_id, Person)
        .join(Person, Person.id == GroupMember.person_id)
        .where(GroupMember.group_id.in_(group_ids))
        .order_by(GroupMember.group_id, Person.id)
    )
    for group_id, person in rows:
        out[group_id].append(person)
    return out


def to_resource(group: GroupRow, members: list[Person]) -> Resource[Any]:
    """A directory group as a SCIM Group."""
    resource: Resource[Any] = Group(
        id=str(group.id),
        external_id=group.external_id,
        display_name=group.display_name,
        members=[Member(value=str(p.id), ref=f"Users/{p.id}", type="User") for p in members]
        or None,
        meta=Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.updated_at,
            version=etag(group.version),
        ),
    )
    return resource


def _member_ids(group: Group) -> list[uuid.UUID]:
    ids = []
    for member in group.members or []:
        if member.type is not None and member.type != "User":
            raise InvalidValueException(
                detail=f"members: a group holds people only, not a {member.type}"
            )
        try:
            ids.append(uuid.UUID(str(member.value)))
        except ValueError:
            raise InvalidValueException(detail=f"members: no user {member.value}") from None
    return ids


def _set_members(session: Session, actor: Actor, group_id: uuid.UUID, group: Group) -> None:
    try:
        directory.set_group_members(session, actor, group_id, _member_ids(group))
    except NotFound as exc:
        # An unknown member is bad input in the request, not a missing group.
        raise InvalidValueException(detail=exc.detail) from exc


def create_group(session: Session, actor: Actor, group: Group) -> GroupRow:
    """A new directory group with its members."""
    try:
        data = GroupCreate(display_name=group.display_name or "", external_id=group.external_id)
    except ValidationError as exc:
        raise invalid_value(exc) from exc
    row = directory.create_group(session, actor, data)
    _set_members(session, actor, row.id, group)
    return row


def update_group(session: Session, actor: Actor, row: GroupRow, group: Group) -> GroupRow:
    """Make a directory group match the whole new state of its SCIM Group."""
    try:
        data = GroupUpdate(display_name=group.display_name or "", external_id=group.external_id)
    except ValidationError as exc:
        raise invalid_value(exc) from exc
    directory.update_group(session, actor, row.id, data)
    _set_members(session, actor, row.id, group)
    return row
