"""How access control follows the directory (see :mod:`stadsvakt.events`): every directory
record a decision reads goes to the change feed, and a leaver's rights end at once."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from stadsvakt.access.changes import note_change
from stadsvakt.access.models import Credential, CredentialState, Grant
from stadsvakt.access.services._common import changed
from stadsvakt.audit.service import snapshot
from stadsvakt.events import PersonLeft, PersonRemoving, RecordChanged, react

#: Credential states that can still open a door (or be re-enabled) and so must be revoked.
_LIVE_STATES = (CredentialState.ACTIVE, CredentialState.SUSPENDED)


def _note_record(session: Session, event: RecordChanged) -> None:
    note_change(
        session,
        tenant_id=event.tenant_id,
        entity=event.entity,
        entity_id=event.entity_id,
        op=event.op,
    )


def _end_grants(session: Session, event: PersonLeft) -> None:
    rows = session.scalars(
        select(Grant).where(
            Grant.person_id == event.person_id,
            or_(Grant.valid_to.is_(None), Grant.valid_to > event.now),
        )
    )
    for grant in list(rows):
        before = snapshot(grant)
        # A grant that has not begun is closed at its own start: an empty window.
        grant.valid_to = max(event.now, grant.valid_from)
        session.flush()
        changed(
            session,
            action="grant.end",
            obj=grant,
            text=f"{event.display_name}: grant ended",
            before=before,
            entity="grant",
        )


def _revoke_credentials(session: Session, event: PersonLeft) -> None:
    rows = session.scalars(
        select(Credential).where(
            Credential.person_id == event.person_id, Credential.state.in_(_LIVE_STATES)
        )
    )
    for credential in list(rows):
        before = snapshot(credential)
        credential.state = CredentialState.REVOKED
        session.flush()
        changed(
            session,
            action="credential.revoke",
            obj=credential,
            text=f"{event.display_name}: {credential.kind.value} revoked",
            before=before,
            entity="credential",
        )


def _forget_cascaded(session: Session, event: PersonRemoving) -> None:
    # The database cascades these rows away with the person; the index must drop them too.
    for model, entity in ((Credential, "credential"), (Grant, "grant")):
        ids = list(session.scalars(select(model.id).where(model.person_id == event.person_id)))
        for row_id in ids:
            note_change(
                session, tenant_id=event.tenant_id, entity=entity, entity_id=row_id, op="delete"
            )


def install() -> None:
    """Register access control's reactions to the directory's events."""
    react(RecordChanged, _note_record)
    react(PersonLeft, _end_grants)
    react(PersonLeft, _revoke_credentials)
    react(PersonRemoving, _forget_cascaded)
