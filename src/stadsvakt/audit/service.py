"""Writing and checking the audit trail. Callers own the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Select, inspect, select
from sqlalchemy.orm import Session

from stadsvakt.audit.chain import (
    GENESIS_HASH,
    ChainBreak,
    ChainRow,
    canonical_json,
    find_break,
    row_hash,
)
from stadsvakt.audit.models import AuditEntry, AuditHead
from stadsvakt.context import Actor, current_actor, current_request_id
from stadsvakt.db import utcnow
from stadsvakt.errors import Forbidden

HEAD_ID = 1


def snapshot(obj: object) -> dict[str, Any]:
    """The column values of an ORM object as JSON-ready data, secrets left out.

    A model lists columns that must never reach the log in ``__audit_exclude__``.
    """
    exclude: frozenset[str] = frozenset(getattr(obj, "__audit_exclude__", ()))
    data: dict[str, Any] = {}
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key in exclude:
            continue
        data[attr.key] = _jsonable(getattr(obj, attr.key))
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def record(
    session: Session,
    *,
    action: str,
    object_type: str,
    object_id: object | None,
    object_text: str,
    tenant_id: uuid.UUID | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    actor: Actor | None = None,
) -> AuditEntry:
    """Append one row to the chain in the caller's transaction.

    The actor comes from the context unless given (a login names the user who
    just proved who they are). The chain head is locked (``FOR UPDATE``; on
    SQLite the write transaction already serialises writers) so two writers can
    never fork the chain.
    """
    actor = actor or current_actor()
    head = session.execute(
        select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS_HASH)
        session.add(head)
    entry = AuditEntry(
        seq=head.seq + 1,
        at=utcnow(),
        tenant_id=tenant_id,
        actor_kind=actor.kind if actor else "anonymous",
        actor_id=actor.id if actor else None,
        actor_name=(actor.name if actor else "anonymous")[:200],
        request_id=current_request_id(),
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        object_text=object_text[:300],
        before=canonical_json(before) if before is not None else None,
        after=canonical_json(after) if after is not None else None,
        prev_hash=head.hash,
        hash="",
    )
    entry.hash = row_hash(_chain_row(entry))
    head.seq = entry.seq
    head.hash = entry.hash
    session.add(entry)
    session.flush()
    return entry


def _chain_row(entry: AuditEntry) -> ChainRow:
    return ChainRow(
        seq=entry.seq,
        at=entry.at,
        tenant_id=str(entry.tenant_id) if entry.tenant_id else None,
        actor_kind=entry.actor_kind,
        actor_id=str(entry.actor_id) if entry.actor_id else None,
        actor_name=entry.actor_name,
        request_id=entry.request_id,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        object_text=entry.object_text,
        before=entry.before,
        after=entry.after,
        prev_hash=entry.prev_hash,
    )


def verify(session: Session, *, batch: int = 5000) -> tuple[int, ChainBreak | None]:
    """Walk the whole chain; return the number of rows read and the first break, if any."""
    head = session.get(AuditHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    counted = 0

    def rows() -> Iterator[tuple[ChainRow, str]]:
        nonlocal counted
        stmt = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
        for entry in session.scalars(stmt):
            counted += 1
            yield _chain_row(entry), entry.hash

    found = find_break(rows(), head_seq, head_hash)
    return counted, found


def entries_query(
    actor: Actor,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    action: str | None = None,
) -> Select[AuditEntry]:
    """The audit rows the actor may read, newest first, filtered."""
    if not actor.can("audit.read"):
        raise Forbidden("reading the audit trail needs the audit.read permission")
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if actor.kind != "system":
        stmt = stmt.where(AuditEntry.tenant_id == actor.tenant_id)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return stmt
