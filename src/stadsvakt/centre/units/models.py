"""Tables of the field units: the units, their position trail, and dispatches.

Glossary: väktare = guard (``guard``), ordningsvakt = security officer
(``security_officer``), trygghetsvärd = safety host (``safety_host``), hemtjänstens
larmpatrull = home-care responder (``home_care``), inställelsetid = response time
(``arrived_at - dispatched_at`` of a :class:`Dispatch`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, Float, ForeignKey, Index, String, UniqueConstraint, null
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.db import Base, IdMixin, TimestampMixin, utcnow


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class UnitType(StrEnum):
    """What kind of field unit: what an action plan's dispatch step asks for."""

    GUARD = "guard"  # väktare
    SECURITY_OFFICER = "security_officer"  # ordningsvakt
    SAFETY_HOST = "safety_host"  # trygghetsvärd
    HOME_CARE = "home_care"  # hemtjänstens larmpatrull


class UnitStatus(StrEnum):
    """Where a unit is in its work."""

    AVAILABLE = "available"  # may be dispatched
    DISPATCHED = "dispatched"  # on its way to an activation's site
    ON_SITE = "on_site"  # arrived
    BUSY = "busy"  # working on something the centre did not send it to
    OFF_DUTY = "off_duty"  # not working


class PositionSource(StrEnum):
    """Where a position came from."""

    PHONE = "phone"  # the unit's phone page (browser geolocation)
    MANUAL = "manual"  # typed in on the phone page or by an operator
    API = "api"  # a device or integration over the API
    SCAIP = "scaip"  # a personal or dementia alarm's SCAIP location
    JSON = "json"  # a JSON alarm input's position


class FieldUnit(IdMixin, TimestampMixin, Base):
    """A guard, security officer, safety host or home-care responder (a person or a car).

    ``user_id`` links the stadsvakt user (role ``field_unit``) who reports from the phone;
    ``token_id`` a device token that may report its position. The last position is kept
    here for the map and for choosing the nearest unit; every position is also in the
    trail (:class:`GpsPosition`).
    """

    __tablename__ = "field_units"
    __table_args__ = (
        UniqueConstraint("tenant_id", "call_sign", name="uq_field_units_call_sign"),
        Index("ix_field_units_status", "tenant_id", "unit_type", "status"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    call_sign: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    unit_type: Mapped[UnitType] = mapped_column(_enum(UnitType))
    company: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[UnitStatus] = mapped_column(_enum(UnitStatus), default=UnitStatus.OFF_DUTY)
    status_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    token_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL"), default=None
    )
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    accuracy_m: Mapped[float | None] = mapped_column(Float, default=None)
    position_at: Mapped[datetime | None] = mapped_column(default=None)

    @classmethod
    def scope_unit_expr(cls) -> ColumnElement[Any]:
        """Field units belong to no organisation unit: a unit-scoped grant sees none."""
        return null()


class GpsPosition(IdMixin, Base):
    """One point of a trail: a field unit's, or a personal or dementia transmitter's."""

    __tablename__ = "gps_positions"
    __table_args__ = (
        Index("ix_gps_positions_unit_at", "unit_id", "at"),
        Index("ix_gps_positions_transmitter_at", "transmitter_id", "at"),
        Index("ix_gps_positions_tenant_at", "tenant_id", "at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("field_units.id", ondelete="CASCADE"), default=None
    )
    transmitter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("transmitters.id", ondelete="CASCADE"), default=None
    )
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), default=None
    )
    alarm_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("alarms.id", ondelete="SET NULL"), default=None
    )
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float, default=None)
    #: When the fix was taken (the device's time when it sent one, else when received).
    at: Mapped[datetime] = mapped_column(default=utcnow)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[PositionSource] = mapped_column(_enum(PositionSource))


class Dispatch(IdMixin, Base):
    """A field unit sent to an activation's site, with the time of each step.

    The statistics read ``unit_type``, ``dispatched_at``, ``arrived_at`` and
    ``tenant_id`` for response times per unit type (inställelsetid), so the type is
    copied here: a unit changed or removed later does not rewrite history.
    """

    __tablename__ = "dispatches"
    __table_args__ = (
        Index("ix_dispatches_activation", "activation_id", "dispatched_at"),
        Index("ix_dispatches_unit", "unit_id", "cleared_at"),
        Index("ix_dispatches_tenant_dispatched", "tenant_id", "dispatched_at"),
        Index("ix_dispatches_unanswered", "accepted_at", "escalated_at", "dispatched_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    activation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("activations.id", ondelete="CASCADE")
    )
    unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("field_units.id", ondelete="SET NULL"), default=None
    )
    unit_type: Mapped[UnitType] = mapped_column(_enum(UnitType))
    unit_name: Mapped[str] = mapped_column(String(250))
    #: Straight-line distance from the unit to the site when it was sent (metres).
    distance_m: Mapped[float | None] = mapped_column(Float, default=None)
    dispatched_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    dispatched_by_name: Mapped[str] = mapped_column(String(200), default="")
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    arrived_at: Mapped[datetime | None] = mapped_column(default=None)
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Not accepted in time: the shift leader was alerted then.
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Called off by the centre before the unit cleared.
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def open(self) -> bool:
        """Whether the unit is still on this job."""
        return self.cleared_at is None and self.cancelled_at is None

    @property
    def step(self) -> str:
        """``dispatched``, ``accepted``, ``arrived``, ``cleared`` or ``cancelled``."""
        if self.cancelled_at is not None:
            return "cancelled"
        if self.cleared_at is not None:
            return "cleared"
        if self.arrived_at is not None:
            return "arrived"
        if self.accepted_at is not None:
            return "accepted"
        return "dispatched"

    @property
    def response_s(self) -> float | None:
        """The response time (inställelsetid) in seconds, once the unit arrived."""
        if self.arrived_at is None:
            return None
        return (self.arrived_at - self.dispatched_at).total_seconds()
