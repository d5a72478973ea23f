"""Events uploaded by edge devices, each stored once under the id the device gave it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from stadsvakt.db import Base, utcnow


class EdgeEvent(Base):
    """One uploaded event (a decision made at the door, or a door alarm), keyed by the
    device's UUIDv7: a re-sent event finds its row and is not stored again."""

    __tablename__ = "edge_events"
    __table_args__ = (
        Index("ix_edge_events_tenant_at", "tenant_id", "at"),
        Index("ix_edge_events_device_at", "device_id", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column()
    tenant_id: Mapped[uuid.UUID] = mapped_column()
    door_id: Mapped[uuid.UUID] = mapped_column()
    #: When it happened at the door (the edge's clock).
    at: Mapped[datetime] = mapped_column()
    #: ``access`` or ``door_alarm``.
    kind: Mapped[str] = mapped_column(String(20))
    #: A decision's reason, or the door alarm (``door_forced``, ``door_held``...).
    outcome: Mapped[str] = mapped_column(String(40))
    granted: Mapped[bool | None] = mapped_column(Boolean, default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
