"""Doors' live states as an edge device reports them, put straight into the tables (the
device side's reporting is tested with the edge devices)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from stadsvakt.access.models import Door
from stadsvakt.edge.devices.models import DeviceKind, EdgeDevice, EdgeDeviceDoor


def report(session: Session, door: Door, state: str | None, at: datetime | None) -> None:
    """An edge device serving ``door`` that last reported ``state`` at ``at`` (None: it
    serves the door but has reported nothing yet)."""
    device = EdgeDevice(
        tenant_id=door.tenant_id,
        site_id=door.site_id,
        name=f"Enhet {door.code}",
        kind=DeviceKind.EDGE_AGENT,
        public_key=b"\x01" * 32,
        mqtt_password_hash="$7$101$c2FsdA==$aGFzaA==",
        enrolled_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    session.add(device)
    session.flush()
    session.add(EdgeDeviceDoor(device_id=device.id, door_id=door.id, state=state, state_at=at))
    session.flush()
