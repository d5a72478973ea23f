"""Access events: one row per decision, listed for the actor's scope and purged after the
retention period (access logs are personal data: kept only as long as configured)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from stadsvakt.access.decide import Decision
from stadsvakt.access.models import AccessEvent, Door
from stadsvakt.audit.service import record
from stadsvakt.auth.scope import require, restrict
from stadsvakt.context import Actor

# Built once: the statement's compiled form is cached, so an insert costs little beyond the I/O.
_INSERT = insert(AccessEvent)


def event_row(
    *,
    tenant_id: uuid.UUID,
    decision: Decision,
    presented: str,
    credential_id: uuid.UUID | None,
    at: datetime,
    source: str = "centre",
) -> dict[str, Any]:
    """The column values of one decision's event (never a PIN: ``presented`` is the card
    UID or mobile key id the reader sent)."""
    return {
        "tenant_id": tenant_id,
        "at": at,
        "door_id": decision.door_id,
        "credential": presented[:64],
        "credential_id": credential_id,
        "person_id": decision.person_id,
        "granted": decision.granted,
        "reason": decision.reason.value,
        "source": source,
    }


def store_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert events (from :func:`event_row`) in the caller's transaction, in one statement.
    A Core insert on the session's connection, not the ORM's bulk path: a controller's
    decisions come many a second, and the ORM's bookkeeping would cost more than the row."""
    if rows:
        session.connection().execute(_INSERT, list(rows))


def store_event(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    decision: Decision,
    presented: str,
    credential_id: uuid.UUID | None,
    at: datetime,
    source: str = "centre",
) -> None:
    """Insert the event of one decision in the caller's transaction."""
    row = event_row(
        tenant_id=tenant_id,
        decision=decision,
        presented=presented,
        credential_id=credential_id,
        at=at,
        source=source,
    )
    store_events(session, [row])


def list_events(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    door_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    granted: bool | None = None,
) -> tuple[list[AccessEvent], int]:
    """Access events, newest first; a department administrator sees those at their doors."""
    require(actor, "access.read")
    stmt = select(AccessEvent)
    if actor.tenant_id is not None:
        stmt = stmt.where(AccessEvent.tenant_id == actor.tenant_id)
    if actor.scope("access.read") is not None:
        doors = restrict(select(Door.id), Door, actor, "access.read")
        stmt = stmt.where(AccessEvent.door_id.in_(doors.scalar_subquery()))
    if door_id is not None:
        stmt = stmt.where(AccessEvent.door_id == door_id)
    if person_id is not None:
        stmt = stmt.where(AccessEvent.person_id == person_id)
    if since is not None:
        stmt = stmt.where(AccessEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AccessEvent.at < until)
    if granted is not None:
        stmt = stmt.where(AccessEvent.granted == granted)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.scalars(
        stmt.order_by(AccessEvent.at.desc(), AccessEvent.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def purge_events(session: Session, *, now: datetime, retention_days: int) -> int:
    """Delete events older than the retention period; returns how many went (audited)."""
    cutoff = now - timedelta(days=retention_days)
    result = session.execute(
        delete(AccessEvent)
        .where(AccessEvent.at < cutoff)
        .execution_options(synchronize_session=False)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        record(
            session,
            action="access_event.purge",
            object_type="access_event",
            object_id=None,
            object_text=f"{count} access events before {cutoff.isoformat()}",
            tenant_id=None,
            after={"deleted": count, "before": cutoff.isoformat(), "days": retention_days},
        )
    return count
