"""Deactivation and removal: a leaver loses every right at once, in one transaction.

Deactivating a person sets ``active`` to false, ends every open assignment today,
ends every direct grant of the person now, and revokes every active or suspended
credential; each of these is audited and fed to the change feed. Group memberships
are kept (an inactive person never gets access, and reactivation should not have
to rebuild groups). Removing a person does the same first, then deletes the row:
assignments, grants, credentials, training records and memberships go with it
(their foreign keys cascade); access events keep the person's id as history.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from stadsvakt.access.changes import note_change
from stadsvakt.access.models import Credential, CredentialState, Grant
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

#: Credential states that can still open a door (or be re-enabled) and so must be revoked.
_LIVE_STATES = (CredentialState.ACTIVE, CredentialState.SUSPENDED)


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
    _end_grants(session, person, now)
    _revoke_credentials(session, person)


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


def _end_grants(session: Session, person: Person, now: datetime) -> None:
    rows = session.scalars(
        select(Grant).where(
            Grant.person_id == person.id, or_(Grant.valid_to.is_(None), Grant.valid_to > now)
        )
    )
    for grant in list(rows):
        before = snapshot(grant)
        # A grant that has not begun is closed at its own start: an empty window.
        grant.valid_to = max(now, grant.valid_from)
        session.flush()
        audit(
            session,
            action="grant.end",
            obj=grant,
            object_type="grant",
            text=f"{person.display_name}: grant ended",
            tenant_id=person.tenant_id,
            before=before,
        )


def _revoke_credentials(session: Session, person: Person) -> None:
    rows = session.scalars(
        select(Credential).where(
            Credential.person_id == person.id, Credential.state.in_(_LIVE_STATES)
        )
    )
    for credential in list(rows):
        before = snapshot(credential)
        credential.state = CredentialState.REVOKED
        session.flush()
        audit(
            session,
            action="credential.revoke",
            obj=credential,
            object_type="credential",
            text=f"{person.display_name}: {credential.kind.value} revoked",
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
    credential_ids = list(
        session.scalars(select(Credential.id).where(Credential.person_id == person.id))
    )
    grant_ids = list(session.scalars(select(Grant.id).where(Grant.person_id == person.id)))
    before = snapshot(person)
    tenant, text = person.tenant_id, person.display_name
    session.delete(person)
    flush_or_conflict(session, "person")
    # The database cascades these rows away; the decision index must drop them too.
    for entity, ids in (("credential", credential_ids), ("grant", grant_ids)):
        for row_id in ids:
            note_change(session, tenant_id=tenant, entity=entity, entity_id=row_id, op="delete")
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
