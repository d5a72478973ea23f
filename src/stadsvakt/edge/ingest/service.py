"""Storing the events an edge device uploads, each exactly once. Callers commit.

An event's id (a UUIDv7 the device gave it) is the key of ``edge_events``: a re-sent
event is found there and answered as a duplicate, never stored again. A new decision
is also written to the access event log (``source`` the device), so it shows in the
centre's logs beside the centre's own; a new door alarm (forced, held open, or their
restore) goes to alarm reception's store and from there to the safety centre's queue,
as a building system's door alarm over the JSON input does. Each event's door must be
one the device serves, in the municipality the event names: a device of one
municipality cannot write into another's logs.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadsvakt.access.decide import Decision, Reason
from stadsvakt.access.events import event_row, store_events
from stadsvakt.access.models import Door
from stadsvakt.alarms.inputs.codes import lookup
from stadsvakt.alarms.normalise import AlarmRecord, Source, dedup_keys, fitted, priority
from stadsvakt.alarms.protocols.events import Qualifier
from stadsvakt.alarms.store import receive_alarms
from stadsvakt.edge.devices.service import doors_of
from stadsvakt.edge.envelope import canonical
from stadsvakt.edge.ingest.models import EdgeEvent
from stadsvakt.edge.ingest.schemas import (
    AccessEventIn,
    DoorAlarmIn,
    EventIn,
    UploadAnswer,
    UploadRefused,
)

#: What alarm reception stores for an uploaded door alarm.
PROTOCOL = "edge"
# The edge's alarm names → the JSON input's code table (``alarms.inputs.codes``) and qualifier.
_ALARM_CODES = {
    "door_forced": ("door_forced", Qualifier.NEW),
    "door_held": ("door_held_open", Qualifier.NEW),
    "door_forced_restored": ("door_forced", Qualifier.RESTORE),
    "door_held_restored": ("door_held_open", Qualifier.RESTORE),
}


_REASONS = frozenset(reason.value for reason in Reason)


def _doors(session: Session, events: list[EventIn]) -> dict[uuid.UUID, Door]:
    ids = sorted({event.door_id for event in events})
    if not ids:
        return {}
    return {door.id: door for door in session.scalars(select(Door).where(Door.id.in_(ids)))}


def _checked(events: list[EventIn], doors: dict[uuid.UUID, Door], served: set[uuid.UUID]) -> None:
    for i, event in enumerate(events):
        door = doors.get(event.door_id)
        if door is None or door.tenant_id != event.tenant_id or door.id not in served:
            raise UploadRefused(
                f"events.{i}.door_id: {event.door_id} is not a door this device serves"
                f" in municipality {event.tenant_id}",
                rule="door",
                field=f"events.{i}.door_id",
            )
        if isinstance(event, AccessEventIn) and event.reason not in _REASONS:
            raise UploadRefused(
                f"events.{i}.reason: {event.reason!r} is not a decision reason",
                rule="reason",
                field=f"events.{i}.reason",
            )


def _alarm_record(
    event: DoorAlarmIn, door: Door, device_id: uuid.UUID, received_at: datetime
) -> AlarmRecord:
    code, qualifier = _ALARM_CODES[event.alarm]
    known = lookup(code)
    if known is None:  # the code table is data: a missing row is a programming error
        raise LookupError(f"{code} is not in the JSON input's code table")
    description = f"{known.en} - restored" if qualifier is Qualifier.RESTORE else known.en
    payload = canonical(event.model_dump(mode="json")).decode()
    return fitted(
        AlarmRecord(
            id=uuid.uuid4(),
            source=Source(door.tenant_id, door.site_id, None),
            protocol=PROTOCOL,
            account=door.code[:16],
            sequence=None,
            received_at=received_at,
            event_time=event.at,
            category=known.category,
            priority=priority(known.category, qualifier),
            code=code,
            description=description,
            qualifier=qualifier,
            zone=None,
            user_number=None,
            partition=None,
            text=f"{door.name} (edge device {device_id})",
            encrypted=False,
            payload=payload,
            raw=payload.encode(),
            dedup_keys=dedup_keys(f"edge:{device_id}", str(event.id), payload, 0, received_at),
        )
    )


def _known(session: Session, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not ids:
        return set()
    return set(session.scalars(select(EdgeEvent.id).where(EdgeEvent.id.in_(ids))))


def _store(
    session: Session,
    device_id: uuid.UUID,
    events: list[EventIn],
    doors: dict[uuid.UUID, Door],
    received_at: datetime,
) -> None:
    session.execute(
        insert(EdgeEvent),
        [
            {
                "id": event.id,
                "device_id": device_id,
                "tenant_id": event.tenant_id,
                "door_id": event.door_id,
                "at": event.at,
                "kind": event.type,
                "outcome": event.reason if isinstance(event, AccessEventIn) else event.alarm,
                "granted": event.granted if isinstance(event, AccessEventIn) else None,
                "received_at": received_at,
            }
            for event in events
        ],
    )
    source = f"edge:{device_id}"
    store_events(
        session,
        [
            event_row(
                tenant_id=event.tenant_id,
                decision=Decision(
                    event.granted, Reason(event.reason), event.person_id, event.door_id, 0
                ),
                presented=event.credential,
                credential_id=event.credential_id,
                at=event.at,
                source=source,
            )
            for event in events
            if isinstance(event, AccessEventIn)
        ],
    )
    alarms = [
        _alarm_record(event, doors[event.door_id], device_id, received_at)
        for event in events
        if isinstance(event, DoorAlarmIn)
    ]
    if alarms:
        receive_alarms(session, alarms, touch=False)


def receive_events(
    session: Session, *, device_id: uuid.UUID, events: list[EventIn], received_at: datetime
) -> UploadAnswer:
    """Store the events not stored before (in the caller's transaction); which were new and
    which duplicates. The device is the one whose signature the caller verified."""
    doors = _doors(session, events)
    _checked(events, doors, set(doors_of(session, device_id)))
    unique: dict[uuid.UUID, EventIn] = {}
    for event in events:
        unique.setdefault(event.id, event)
    for attempt in range(2):
        known = _known(session, list(unique))
        new = [event for event in unique.values() if event.id not in known]
        try:
            with session.begin_nested():
                if new:
                    _store(session, device_id, new, doors, received_at)
            break
        except IntegrityError:
            # Another upload of the same batch stored some of these first; look again.
            if attempt:
                raise
    return UploadAnswer(
        stored=[event.id for event in new],
        duplicates=[event_id for event_id in unique if event_id in known],
        time=received_at,
    )
