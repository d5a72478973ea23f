"""The alarm store: the one place any input (DC-09, SCAIP, JSON) writes alarms.

:func:`receive_alarms` stores a batch of :class:`~stadsvakt.alarms.normalise.AlarmRecord`
in the caller's transaction and says, per record, whether it was new or a re-send
already stored; it announces the new ones (:class:`~stadsvakt.events.AlarmsStored`), so
the safety centre queues those that need a person in the same transaction. The caller
commits, and only then acknowledges the sender.

Every record is held to the table first (:func:`~stadsvakt.alarms.normalise.fitted`).
Should the database refuse a batch all the same, :func:`unavailable` tells a database
that is away (every row would fail: refuse the batch) from a row it refuses (store the
others without it), and :func:`describe` gives the error as one short log line.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Alarm, Transmitter
from stadsvakt.alarms.normalise import AlarmRecord, fitted
from stadsvakt.events import AlarmsStored, StoredAlarm, announce

# Keep IN lists well below driver parameter limits.
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Stored:
    """What happened to one record: its alarm's id and whether it was already there."""

    alarm_id: uuid.UUID
    duplicate: bool


def _existing(session: Session, keys: Sequence[str]) -> dict[str, uuid.UUID]:
    found: dict[str, uuid.UUID] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        rows = session.execute(select(Alarm.dedup_key, Alarm.id).where(Alarm.dedup_key.in_(chunk)))
        found.update({key: alarm_id for key, alarm_id in rows})
    return found


def _row(record: AlarmRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "tenant_id": record.source.tenant_id,
        "site_id": record.source.site_id,
        "transmitter_id": record.source.transmitter_id,
        "received_at": record.received_at,
        "event_time": record.event_time,
        "protocol": record.protocol,
        "account": record.account,
        "sequence": record.sequence,
        "category": record.category.value,
        "priority": record.priority,
        "code": record.code,
        "description": record.description,
        "qualifier": record.qualifier.value,
        "zone": record.zone,
        "user_number": record.user_number,
        "partition": record.partition,
        "text": record.text,
        "encrypted": record.encrypted,
        "payload": record.payload,
        "raw": record.raw,
        "dedup_key": record.dedup_keys[0],
    }


def receive_alarms(
    session: Session, records: Sequence[AlarmRecord], *, touch: bool = True
) -> list[Stored]:
    """Store new records, recognise re-sent ones; one result per record, in order.

    Duplicates are found by either dedup key (this time bucket or the previous
    one), also among the records of the batch itself. A concurrent writer that
    stored the same message first makes the flush fail with an IntegrityError; the
    caller rolls back and calls again, and the second call sees that row.
    ``touch=False`` leaves the transmitters' "last seen" alone, for alarms the
    centre raises itself about a transmitter (supervision), which are no sign of life.
    """
    records = [fitted(record) for record in records]
    keys = sorted({key for record in records for key in record.dedup_keys})
    known = _existing(session, keys)
    results: list[Stored] = []
    rows: list[dict[str, object]] = []
    for record in records:
        hit = next((known[key] for key in record.dedup_keys if key in known), None)
        if hit is not None:
            results.append(Stored(hit, duplicate=True))
            continue
        known[record.dedup_keys[0]] = record.id
        rows.append(_row(record))
        results.append(Stored(record.id, duplicate=False))
    if rows:
        session.execute(insert(Alarm), rows)
        new = [
            record for record, result in zip(records, results, strict=True) if not result.duplicate
        ]
        announce(session, AlarmsStored(tuple(_stored(record) for record in new)))
    if not touch:
        return results
    seen: dict[uuid.UUID, datetime] = {}
    for record in records:
        transmitter = record.source.transmitter_id
        if transmitter is not None:
            seen[transmitter] = max(record.received_at, seen.get(transmitter, record.received_at))
    touch_transmitters(session, seen)
    return results


def _stored(record: AlarmRecord) -> StoredAlarm:
    return StoredAlarm(
        alarm_id=record.id,
        tenant_id=record.source.tenant_id,
        site_id=record.source.site_id,
        transmitter_id=record.source.transmitter_id,
        category=record.category.value,
        qualifier=record.qualifier.value,
        code=record.code,
        description=record.description,
        zone=record.zone,
        received_at=record.received_at,
    )


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached or used now (any row would
    fail), rather than that it refused a row (the others would go in without it)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout)


def describe(exc: BaseException) -> str:
    """An error as one short line: the driver's kind and first line, never the statement
    and its parameters (a batch's would be megabytes of log)."""
    cause = getattr(exc, "orig", None) or exc
    first = next(iter(str(cause).splitlines()), "")
    return f"{type(cause).__name__}: {first[:200]}"


def receive_alarm(session: Session, record: AlarmRecord) -> Stored:
    """Store one record (see :func:`receive_alarms`)."""
    return receive_alarms(session, [record])[0]


def touch_transmitters(session: Session, seen: Mapping[uuid.UUID, datetime]) -> None:
    """Record when each transmitter was last heard from (one statement for all).

    ``updated_at`` is kept as it was: a heartbeat is no change to the registry, and
    the registry's version marker (``max(updated_at)``) must not move with every one.
    """
    if not seen:
        return
    stmt = (
        update(Transmitter)
        .where(Transmitter.id == bindparam("tid"))
        .values(last_seen_at=bindparam("seen"), updated_at=Transmitter.updated_at)
        .execution_options(synchronize_session=False)
    )
    params = [{"tid": tid, "seen": moment} for tid, moment in sorted(seen.items())]
    session.connection().execute(stmt, params)
