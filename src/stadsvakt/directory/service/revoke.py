"""Deactivation and removal: a leaver loses every right at once, in one transaction.

Deactivating a person sets ``active`` to false, ends every open assignment today,
and announces that the person left: access control then ends every direct grant of
the person now and revokes every active or suspended credential (see
:mod:`stadsvakt.access.reactions`); each of these is audited and fed to the change
feed. Group memberships are kept (an inactive person never gets access, and
reactivation should not have to rebuild groups). Removing a person does the same
first, then deletes the row: assignments, grants, credentials, training records and
memberships go with it (their foreign keys cascade); access events keep the person's id
as history.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from stadsvakt.audit.service import snapshot
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.directory.models import Assignment, Person
from stadsvakt.directory.service._common import (
    audit,
    flush_or_conflict,
    local_today,
    scoped_person,
)
from stadsvakt.events import PersonLeft, PersonRemoving, announce


def revoke_everything(session: Session, person: Person, *, reason: str, now: datetime) -> None:
    """Deactivate ``person`` and end every right they hold; audited, change feed fed.

    For services only (SCIM, CSV, the API all reach it through
    :func:`deactivate_person`, :func:`delete_person` or an update setting
    ``active`` to false); it does no permission check of its own.
    """
    tenant = person.tenant_id
    today = local_today(now)
    if person.active:
        before = snapshot(person)
        person.active = False
        person.version += 1
        session.flush()
        audit(
            session,
            action="person.deactivate",
            obj=person,
            object_type="person",
            text=person.display_name,
            tenant_id=tenant,
            before=before,
            extra={"reason": reason},
        )
    _end_assignments(session, person, today)
    # The loaded collection may still hold rows just removed.
    session.expire(person, ["assignments"])
    # Access control ends the person's grants and revokes their credentials (its reaction,
    # in this transaction: see stadsvakt.events).
    announce(session, PersonLeft(tenant, person.id, person.display_name, now))


def _end_assignments(session: Session, person: Person, today: date) -> None:
    rows = session.scalars(
        select(Assignment).where(
            Assignment.person_id == person.id,
            or_(Assignment.end.is_(None), Assignment.end > today),
        )
    )
    for row in list(rows):
        before = snapshot(row)
        if row.start > today:
            # It never began: ending it before its start would be a contradiction.
            session.delete(row)
            session.flush()
            audit(
                session,
                action="assignment.delete",
                obj=row,
                object_type="assignment",
                text=f"{person.display_name}: {row.position}",
                tenant_id=person.tenant_id,
                before=before,
                deleted=True,
            )
            continue
        row.end = today
        session.flush()
        audit(
            session,
            action="assignment.end",
            obj=row,
            object_type="assignment",
            text=f"{person.display_name}: {row.position}",
            tenant_id=person.tenant_id,
            before=before,
        )


def deactivate_person(
    session: Session, actor: Actor, person_id: uuid.UUID, *, reason: str
) -> Person:
    """Deactivate a person in the actor's ``person.write`` scope, revoking every right.

    Idempotent: deactivating an inactive person still ends anything left open.
    """
    person = scoped_person(session, actor, person_id, "person.write")
    revoke_everything(session, person, reason=reason, now=utcnow())
    return person


def delete_person(
    session: Session, actor: Actor, person_id: uuid.UUID, *, reason: str = "deleted"
) -> None:
    """Revoke every right as :func:`deactivate_person` does, then remove the person."""
    person = scoped_person(session, actor, person_id, "person.write")
    revoke_everything(session, person, reason=reason, now=utcnow())
    # Rows naming the person cascade away with it: those who keep copies forget them now.
    announce(session, PersonRemoving(person.tenant_id, person.id))
    before = snapshot(person)
    tenant, text = person.tenant_id, person.display_name
    session.delete(person)
    flush_or_conflict(session, "person")
    audit(
        session,
        action="person.delete",
        obj=person,
        object_type="person",
        text=text,
        tenant_id=tenant,
        before=before,
        deleted=True,
    )
