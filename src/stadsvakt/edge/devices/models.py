"""Tables of edge devices, the doors each serves, and one-time enrolment codes.

A device's scope for a department administrator follows its site's unit, as doors do.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.db import Base, IdMixin, TimestampMixin
from stadsvakt.org.models import Site


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class DeviceKind(StrEnum):
    """What sort of device it is."""

    EDGE_AGENT = "edge_agent"  # a site's agent: readers over OSDP, decisions offline
    LOCK_HUB = "lock_hub"  # a hub for wireless locks


class DeviceState(StrEnum):
    """Whether a device may still talk to the centre (revoked is final)."""

    ACTIVE = "active"
    REVOKED = "revoked"


class DeviceHealth(StrEnum):
    """How the device says it is."""

    OK = "ok"
    DEGRADED = "degraded"
    FAULT = "fault"


class DoorLiveState(StrEnum):
    """A door's state as its edge device reports it: closed and locked, closed with the lock
    released (a granted card, an exit button, emergency open), open after a release,
    forced open, or held open too long."""

    LOCKED = "locked"
    UNLOCKED = "unlocked"
    OPEN = "open"
    FORCED = "forced"
    HELD = "held"


class _OnSite:
    """Scope of a row that belongs to a site: the site's unit."""

    site_id: Mapped[uuid.UUID]

    @classmethod
    def scope_unit_expr(cls) -> ColumnElement[Any]:
        """The unit of the row's site, as a correlated subquery."""
        return select(Site.org_unit_id).where(Site.id == cls.site_id).scalar_subquery()


class EdgeDevice(_OnSite, IdMixin, TimestampMixin, Base):
    """An enrolled edge device: its key, its MQTT password's hash and what it last said."""

    __tablename__ = "edge_devices"
    #: Never in the audit trail: the broker's password hash.
    __audit_exclude__ = ("mqtt_password_hash",)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sites.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[DeviceKind] = mapped_column(_enum(DeviceKind))
    state: Mapped[DeviceState] = mapped_column(_enum(DeviceState), default=DeviceState.ACTIVE)
    #: The raw 32 bytes of the device's Ed25519 public key.
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    #: ``$7$<iterations>$<salt>$<hash>`` as Mosquitto's password file holds it.
    mqtt_password_hash: Mapped[str] = mapped_column(String(200))
    enrolled_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    software_version: Mapped[str] = mapped_column(String(60), default="")
    health: Mapped[DeviceHealth] = mapped_column(_enum(DeviceHealth), default=DeviceHealth.OK)
    health_detail: Mapped[str] = mapped_column(String(500), default="")
    snapshot_version: Mapped[int] = mapped_column(Integer, default=0)
    pending_events: Mapped[int] = mapped_column(Integer, default=0)
    clock_drift_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    #: Raised by every change an administrator makes, for stale-edit checks.
    version: Mapped[int] = mapped_column(Integer, default=1)


class EdgeDeviceDoor(Base):
    """A door a device serves; a door is served by at most one device."""

    __tablename__ = "edge_device_doors"

    device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("edge_devices.id", ondelete="CASCADE"), primary_key=True
    )
    door_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("doors.id", ondelete="CASCADE"), primary_key=True, unique=True
    )
    #: The door's live state as the device last reported it (``DoorLiveState``), and when.
    state: Mapped[str | None] = mapped_column(String(10), default=None)
    state_at: Mapped[datetime | None] = mapped_column(default=None)


class EnrolmentCode(_OnSite, IdMixin, TimestampMixin, Base):
    """A one-time code an administrator made for one device, with what the device will be."""

    __tablename__ = "enrolment_codes"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    #: SHA-256 (hex) of the code's normal form; the code itself is shown once, never kept.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("edge_devices.id", ondelete="SET NULL"), default=None
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[DeviceKind] = mapped_column(_enum(DeviceKind))
    site_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), index=True
    )
    #: The doors the device will serve (ids as strings).
    door_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
