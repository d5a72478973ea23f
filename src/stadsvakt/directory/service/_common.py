"""Helpers shared by the directory services: tenant, local date, scoped lookups, audit."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadsvakt.audit.service import record, snapshot
from stadsvakt.auth.scope import restrict
from stadsvakt.context import Actor
from stadsvakt.directory.models import Person
from stadsvakt.errors import Conflict, InvalidInput, NotFound
from stadsvakt.events import RecordChanged, announce

#: Assignment dates are calendar days in the municipality's time zone.
LOCAL_ZONE = ZoneInfo("Europe/Stockholm")

T = TypeVar("T")


def local_today(now: datetime) -> date:
    """The calendar day in Stockholm at the instant ``now``."""
    return now.astimezone(LOCAL_ZONE).date()


def tenant_of(actor: Actor) -> uuid.UUID:
    """The actor's municipality; directory data always belongs to one."""
    if actor.tenant_id is None:
        raise InvalidInput("act within a municipality", field="tenant", rule="required")
    return actor.tenant_id


def page(session: Session, stmt: Select[T], limit: int, offset: int) -> tuple[list[T], int]:
    """One page of a select and the total number of rows it matches."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return list(session.scalars(stmt.limit(limit).offset(offset))), total


def scoped_person(session: Session, actor: Actor, person_id: uuid.UUID, permission: str) -> Person:
    """A person in the actor's scope for ``permission``; anyone else is a 404."""
    stmt = restrict(select(Person).where(Person.id == person_id), Person, actor, permission)
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no person {person_id}")
    return found


def flush_or_conflict(session: Session, what: str) -> None:
    """Flush, turning a unique-key clash that slipped past the checks into a 409."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{what} clashes with an existing record") from exc


def audit(
    session: Session,
    *,
    action: str,
    obj: Any,
    object_type: str,
    text: str,
    tenant_id: uuid.UUID,
    before: dict[str, Any] | None = None,
    deleted: bool = False,
    extra: dict[str, Any] | None = None,
) -> None:
    """One audit row for ``obj`` and one change-feed entry, in the caller's transaction."""
    after = None if deleted else {**snapshot(obj), **(extra or {})}
    record(
        session,
        action=action,
        object_type=object_type,
        object_id=obj.id,
        object_text=text,
        tenant_id=tenant_id,
        before=before,
        after=after,
    )
    announce(
        session,
        RecordChanged(tenant_id, object_type, obj.id, "delete" if deleted else "upsert"),
    )
