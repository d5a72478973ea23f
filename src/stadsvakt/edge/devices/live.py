"""Doors' live state as their edge devices report it (``status`` messages): kept per door,
read by the site's page. Not audited: it is the device's own report, many a day."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.edge.devices.models import DeviceState, DoorLiveState, EdgeDevice, EdgeDeviceDoor
from stadsvakt.errors import InvalidInput


def record_door_states(
    session: Session, device_id: uuid.UUID, states: Mapping[str, str], at: datetime
) -> int:
    """Keep the states an active device reports for its own doors (a door it does not serve
    is ignored; a report older than the one kept is ignored); how many doors changed.
    An unknown state is refused naming the door (``doors.<id>``, rule ``door_state``)."""
    checked: dict[uuid.UUID, DoorLiveState] = {}
    for raw_id, raw_state in states.items():
        try:
            checked[uuid.UUID(str(raw_id))] = DoorLiveState(raw_state)
        except ValueError:
            raise InvalidInput(
                f"doors.{raw_id}: a door id and one of {', '.join(DoorLiveState)}",
                field=f"doors.{raw_id}",
                rule="door_state",
            ) from None
    if not checked:
        return 0
    rows = session.scalars(
        select(EdgeDeviceDoor)
        .join(EdgeDevice, EdgeDevice.id == EdgeDeviceDoor.device_id)
        .where(
            EdgeDeviceDoor.device_id == device_id,
            EdgeDevice.state == DeviceState.ACTIVE,
            EdgeDeviceDoor.door_id.in_(list(checked)),
        )
    )
    changed = 0
    for row in rows:
        if row.state_at is not None and _aware(row.state_at) > at:
            continue
        if row.state != checked[row.door_id] or row.state_at is None:
            changed += 1
        row.state = checked[row.door_id].value
        row.state_at = at
    session.flush()
    return changed


def door_states(
    session: Session, door_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, tuple[DoorLiveState, datetime]]:
    """The last reported state of each of ``door_ids`` that has one, and when (the caller
    has checked the actor's scope over the doors)."""
    if not door_ids:
        return {}
    stmt = select(EdgeDeviceDoor.door_id, EdgeDeviceDoor.state, EdgeDeviceDoor.state_at).where(
        EdgeDeviceDoor.door_id.in_(list(door_ids)), EdgeDeviceDoor.state.is_not(None)
    )
    return {
        door_id: (DoorLiveState(state), _aware(at))
        for door_id, state, at in session.execute(stmt)
        if state is not None and at is not None
    }


def _aware(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
