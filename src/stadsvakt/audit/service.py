"""Writing and checking the audit trail. Callers own the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Generator, Iterator, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Select, String, inspect, select, type_coerce
from sqlalchemy.orm import Session

from stadsvakt.audit.chain import (
    GENESIS_HASH,
    ROTATE_ACTION,
    Anchor,
    ChainBreak,
    ChainHead,
    ChainRow,
    canonical_json,
    find_break,
    head_mac,
    keyed_row_hash,
)
from stadsvakt.audit.keys import Keyring, keyring_of
from stadsvakt.audit.models import AuditEntry, AuditHead
from stadsvakt.context import Actor, current_actor, current_request_id
from stadsvakt.db import utcnow
from stadsvakt.errors import Forbidden

HEAD_ID = 1
#: The actor name of rotation rows: the installation itself changed its key.
ROTATION_ACTOR = "stadsvakt"


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
    never fork the chain. When the configured HMAC key is not the one the chain
    last used, a rotation row goes first (:func:`seal`).
    """
    actor = actor or current_actor()
    keyring = keyring_of(session)
    head = _locked_head(session)
    _seal(session, head, keyring)
    entry = _append(
        session,
        head,
        keyring,
        AuditEntry(
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
        ),
    )
    session.flush()
    return entry


def seal(session: Session) -> AuditEntry | None:
    """Write the rotation row now if the chain's last key is not the configured one.

    Called by ``stadsvakt db upgrade`` and before each checkpoint, so a new key (or,
    on a database from before keyed hashing, the key at all) takes over at once rather
    than at the next change. Returns the rotation row, or None when none was needed.
    """
    keyring = keyring_of(session)
    head = _locked_head(session)
    entry = _seal(session, head, keyring)
    session.flush()
    return entry


def _locked_head(session: Session) -> AuditHead:
    head = session.execute(
        select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS_HASH)
        session.add(head)
    return head


def _seal(session: Session, head: AuditHead, keyring: Keyring) -> AuditEntry | None:
    """The rotation row from the head's key to the current one, when they differ.

    An empty chain needs none: its first row names its key. On a chain of rows from
    before keyed hashing (no key id), this row marks where keyed hashing starts and its
    HMAC covers the last unkeyed row's hash, sealing them as they stand.
    """
    if head.seq == 0 or head.key_id == keyring.current_id:
        return None
    rotation = AuditEntry(
        at=utcnow(),
        tenant_id=None,
        actor_kind="system",
        actor_id=None,
        actor_name=ROTATION_ACTOR,
        request_id=current_request_id(),
        action=ROTATE_ACTION,
        object_type="audit_key",
        object_id=keyring.current_id,
        object_text=f"HMAC key {keyring.current_id}",
        before=canonical_json({"key_id": head.key_id}),
        after=canonical_json({"key_id": keyring.current_id}),
    )
    return _append(session, head, keyring, rotation)


def _append(session: Session, head: AuditHead, keyring: Keyring, entry: AuditEntry) -> AuditEntry:
    """Chain ``entry`` after the head with the current key and move the head to it."""
    entry.seq = head.seq + 1
    entry.prev_hash = head.hash
    entry.key_id = keyring.current_id
    entry.hash = keyed_row_hash(chain_row(entry), keyring.current)
    head.seq, head.hash, head.key_id = entry.seq, entry.hash, entry.key_id
    head.mac = head_mac(keyring.current, head.seq, head.hash, head.key_id)
    session.add(entry)
    return entry


def chain_row(entry: AuditEntry) -> ChainRow:
    """The fields of a stored row that its hash covers."""
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
        key_id=entry.key_id,
    )


def stored_head(session: Session) -> ChainHead:
    """The chain head as the database holds it (an empty chain when there is none)."""
    head = session.get(AuditHead, HEAD_ID)
    if head is None:
        return ChainHead(seq=0, hash=GENESIS_HASH)
    if type(head.seq) is not int:  # SQLite keeps text written into an integer column
        raise ValueError(f"seq {head.seq!r} is not a number")
    return ChainHead(
        seq=head.seq,
        hash=str(head.hash),
        key_id=None if head.key_id is None else str(head.key_id),
        mac=None if head.mac is None else str(head.mac),
    )


def chain_rows(session: Session, *, batch: int = 5000) -> Generator[tuple[ChainRow, str]]:
    """Every row in ``seq`` order with its stored hash, streamed ``batch`` rows at a time.

    Plain column tuples, not ORM objects: a trail of millions of rows is read at the
    speed of the cursor, in constant memory. The time and the two ids are read raw and
    converted here, row by row, so a value no column type allows (SQLite keeps whatever
    an editor of the file wrote) is named at its row (:class:`UnreadableRow`) rather
    than failing a whole batch.
    """
    e = AuditEntry
    stmt = (
        select(
            e.seq,
            type_coerce(e.at, String),
            type_coerce(e.tenant_id, String),
            e.actor_kind,
            type_coerce(e.actor_id, String),
            e.actor_name,
            e.request_id,
            e.action,
            e.object_type,
            e.object_id,
            e.object_text,
            e.before,
            e.after,
            e.prev_hash,
            e.key_id,
            e.hash,
        )
        .order_by(e.seq)
        .execution_options(yield_per=batch)
    )
    # Closed with the generator: a walk that stops at a break must not leave the
    # PostgreSQL server-side cursor of yield_per open.
    with session.execute(stmt) as result:
        for values in result:
            yield _read_row(tuple(values)), str(values[-1])


class UnreadableRow(Exception):
    """A stored value cannot be read as its column's type (a time that is no time, an id
    that is no UUID): SQLite keeps whatever an editor of the file wrote."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"row {seq}: {reason}")
        self.seq, self.reason = seq, reason

    def as_break(self) -> ChainBreak:
        """The break this is."""
        return ChainBreak(
            self.seq,
            "altered",
            f"row {self.seq} cannot be read ({self.reason}): it was changed outside stadsvakt",
        )


def _read_row(values: tuple[Any, ...]) -> ChainRow:
    seq, at, tenant_id, actor_kind, actor_id, *rest = values
    try:
        return ChainRow(
            seq, _utc(at), _uuid_text(tenant_id), actor_kind, _uuid_text(actor_id), *rest[:-1]
        )
    except (ValueError, TypeError) as exc:
        raise UnreadableRow(seq, str(exc)) from exc


def _utc(value: object) -> datetime:
    """A stored time as the UTC column type reads it (SQLite keeps it as text)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value)
    else:
        raise TypeError(f"time {value!r} is not a timestamp")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _uuid_text(value: object) -> str | None:
    """A stored UUID as the hash covers it (SQLite keeps 32 hex digits)."""
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"id {value!r} is not a UUID")
    return str(uuid.UUID(value))


def verify(
    session: Session, *, anchors: Mapping[int, Anchor] | None = None, batch: int = 5000
) -> tuple[int, ChainBreak | None]:
    """Walk the whole chain; return the number of rows read and the first break, if any.

    ``anchors`` are the rows signed checkpoints vouch for (see
    :func:`stadsvakt.audit.checkpoints.load_anchors`): the chain must still hold each.
    """
    keyring = keyring_of(session)
    try:
        head = stored_head(session)
    except (ValueError, TypeError) as exc:
        return 0, ChainBreak(
            0, "head", f"the chain head cannot be read ({exc}): it was set by hand"
        )
    counted = 0
    rows = chain_rows(session, batch=batch)

    def counting() -> Iterator[tuple[ChainRow, str]]:
        nonlocal counted
        for item in rows:
            counted += 1
            yield item

    try:
        found = find_break(counting(), head, keyring, anchors)
    except UnreadableRow as exc:
        found = exc.as_break()
    finally:
        rows.close()
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
