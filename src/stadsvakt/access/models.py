"""Tables of the access model.

Zones and doors belong to a site; a department administrator's scope over them
follows the site's unit (``scope_unit_expr``). Schedules keep their weekly
intervals as JSON (``[{"day": 0-6 | "holiday", "start": "HH:MM", "end": "HH:MM"}]``,
Monday = 0, an end at or before the start crosses midnight) because they are
always read and written whole.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.db import Base, IdMixin, TimestampMixin, utcnow
from stadsvakt.directory.models import Person
from stadsvakt.org.models import Site


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class _OnSite:
    """Scope of a row that belongs to a site: the site's unit."""

    site_id: Mapped[uuid.UUID]

    @classmethod
    def scope_unit_expr(cls) -> ColumnElement[Any]:
        """The unit of the row's site, as a correlated subquery."""
        return select(Site.org_unit_id).where(Site.id == cls.site_id).scalar_subquery()


class Zone(_OnSite, IdMixin, TimestampMixin, Base):
    """A set of doors in a site (e.g. entrance, staff rooms, server room)."""

    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_zones_tenant_code"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sites.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))


class DoorMode(StrEnum):
    """How a door behaves."""

    SECURE = "secure"  # opens only for a granted credential
    SCHEDULED_UNLOCK = "scheduled_unlock"  # unlocked during its unlock schedule, else secure
    LOCKDOWN = "lockdown"  # opens for nobody


class Door(_OnSite, IdMixin, TimestampMixin, Base):
    """A door with one or more readers, in a zone of a site."""

    __tablename__ = "doors"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_doors_tenant_code"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sites.id", ondelete="RESTRICT"), index=True
    )
    zone_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("zones.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    reader_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    mode: Mapped[DoorMode] = mapped_column(_enum(DoorMode), default=DoorMode.SECURE)
    unlock_schedule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("schedules.id", ondelete="RESTRICT"), default=None
    )
    unlock_seconds: Mapped[int] = mapped_column(Integer, default=5)
    extended_unlock_seconds: Mapped[int] = mapped_column(Integer, default=20)
    #: Card and PIN: the holder also types their PIN on the reader's keypad.
    requires_pin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: An escape route (utrymningsväg): opens for anyone while its site is in emergency open.
    escape_route: Mapped[bool] = mapped_column(Boolean, default=False)


class HolidayCalendar(IdMixin, TimestampMixin, Base):
    """Swedish public holidays (from the ``holidays`` package) plus the municipality's own days."""

    __tablename__ = "holiday_calendars"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_holiday_calendars_code"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    include_public: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Local days: ``[{"date": "2026-06-05", "name": "Studiedag"}]``.
    local_days: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    #: Local days every year (studiedagar, lovdagar): ``{"start": "12-23", "end": "01-06",
    #: "name": "Jullov"}`` (month-day, may run over the new year) or ``{"week": "44",
    #: "name": "Höstlov"}`` (an ISO week).
    recurring_days: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)


class EmergencySource(StrEnum):
    """Who set a site's emergency open: a fire alarm from its panel or an operator."""

    FIRE_ALARM = "fire_alarm"
    OPERATOR = "operator"


class SiteDoorRules(Base):
    """A site's door rules: its own holiday calendar (for every door on the site) and its
    emergency state (nödöppning: escape-route doors open for anyone while it is set)."""

    __tablename__ = "site_door_rules"

    site_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    holiday_calendar_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("holiday_calendars.id", ondelete="SET NULL"), index=True, default=None
    )
    emergency_open: Mapped[bool] = mapped_column(Boolean, default=False)
    emergency_source: Mapped[EmergencySource | None] = mapped_column(
        _enum(EmergencySource), default=None
    )
    emergency_since: Mapped[datetime | None] = mapped_column(default=None)


class HolidayMode(StrEnum):
    """How a schedule treats holidays."""

    CLOSED = "closed"  # no access on holidays
    NORMAL = "normal"  # holidays are ordinary weekdays
    HOLIDAY_INTERVALS = "holiday_intervals"  # use the intervals whose day is "holiday"


class Schedule(IdMixin, TimestampMixin, Base):
    """Weekly time intervals in Europe/Stockholm local time, with a holiday rule."""

    __tablename__ = "schedules"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_schedules_tenant_code"),)
    scope_unit_attr: ClassVar[str] = "org_unit_id"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="RESTRICT"), default=None
    )
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    intervals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    holiday_mode: Mapped[HolidayMode] = mapped_column(
        _enum(HolidayMode), default=HolidayMode.CLOSED
    )
    holiday_calendar_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("holiday_calendars.id", ondelete="RESTRICT"), default=None
    )


class AccessProfile(IdMixin, TimestampMixin, Base):
    """Which zones, at which schedule, optionally only with a valid training course."""

    __tablename__ = "access_profiles"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_access_profiles_code"),)
    scope_unit_attr: ClassVar[str] = "org_unit_id"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="RESTRICT"), default=None
    )
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    schedule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("schedules.id", ondelete="RESTRICT"))
    required_course: Mapped[str | None] = mapped_column(String(60), default=None)


class ProfileZone(Base):
    """A zone that a profile opens."""

    __tablename__ = "access_profile_zones"

    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("access_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    zone_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PositionProfile(IdMixin, TimestampMixin, Base):
    """Everyone holding ``position`` in ``org_unit_id`` (or its sub-units) gets a profile."""

    __tablename__ = "position_profiles"
    __table_args__ = (
        UniqueConstraint("org_unit_id", "position", "profile_id", name="uq_position_profiles_key"),
    )
    scope_unit_attr: ClassVar[str] = "org_unit_id"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    org_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_units.id", ondelete="CASCADE"))
    #: A position name, or "*" for every position in the unit.
    position: Mapped[str] = mapped_column(String(100))
    include_subunits: Mapped[bool] = mapped_column(Boolean, default=False)
    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("access_profiles.id", ondelete="CASCADE"), index=True
    )


class GrantKind(StrEnum):
    """Why a direct grant exists; each kind has its own form and rules.

    ``guest`` (gäst), ``contractor`` (entreprenör), ``booking`` (bokning, e.g. a sports
    hall booked by an association, föreningsbokning) and ``extra`` (extra behörighet,
    an employee's right beyond their position) are the kinds new grants are made as.
    ``urgent`` and ``other`` are older kinds, kept so earlier grants read as they were
    made; no new grant is given as either.
    """

    GUEST = "guest"
    CONTRACTOR = "contractor"
    BOOKING = "booking"
    EXTRA = "extra"
    URGENT = "urgent"  # an urgent change by a department administrator (older grants)
    OTHER = "other"  # older grants


#: The kinds a new grant may be given as (see :class:`GrantKind`).
CURRENT_GRANT_KINDS = (GrantKind.GUEST, GrantKind.CONTRACTOR, GrantKind.BOOKING, GrantKind.EXTRA)


class Grant(IdMixin, TimestampMixin, Base):
    """A direct grant of a profile to a person or a group, from ``valid_from`` to ``valid_to``.

    Every grant made since the kinds got their own rules names its host (värd: the
    employee who answers for it) and its reason (anledning); a contractor's grant names
    the company, a booking the booking party (the association or organisation) and
    perhaps its booking reference. They are nullable for grants made before.
    """

    __tablename__ = "grants"
    # Grants ending soon (the dashboard's "ending this week", the list's ending filter).
    __table_args__ = (Index("ix_grants_tenant_valid_to", "tenant_id", "valid_to"),)
    scope_unit_attr: ClassVar[str] = "org_unit_id"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    #: The unit that gave the grant (scope of the department administrator who made it).
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="RESTRICT"), default=None
    )
    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("access_profiles.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True, default=None
    )
    group_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("person_groups.id", ondelete="CASCADE"), index=True, default=None
    )
    kind: Mapped[GrantKind] = mapped_column(_enum(GrantKind), default=GrantKind.OTHER)
    valid_from: Mapped[datetime] = mapped_column()
    valid_to: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    #: The employee who answers for the grant (värd); kept if they leave, then emptied.
    host_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True, default=None
    )
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    #: A contractor's company (entreprenörens företag).
    company: Mapped[str | None] = mapped_column(String(200), default=None)
    #: The association or organisation that booked the premises (bokande förening).
    booking_party: Mapped[str | None] = mapped_column(String(200), default=None)
    booking_reference: Mapped[str | None] = mapped_column(String(100), default=None)
    #: A phone number to reach the guest or the booking's contact during the grant.
    contact_phone: Mapped[str | None] = mapped_column(String(40), default=None)
    #: Who gave the grant (the actor's name when it was made).
    created_by: Mapped[str | None] = mapped_column(String(200), default=None)
    #: Set when the grant was ended early, with the end it had before, so the end can be
    #: undone; cleared by the undo and by any later change of the window.
    ended_early_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_early_from: Mapped[datetime | None] = mapped_column(default=None)


class CredentialKind(StrEnum):
    """What the person presents."""

    CARD = "card"  # kort/tagg, by UID
    PIN = "pin"
    MOBILE = "mobile"  # mobile key id


class CredentialState(StrEnum):
    """Lifecycle of a credential."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    LOST = "lost"
    REVOKED = "revoked"


class Credential(IdMixin, TimestampMixin, Base):
    """A card/tag, PIN or mobile key held by a person."""

    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "identifier", name="uq_credentials_identifier"),
        # The credentials list's orders (100,000 rows: a page without sorting them all);
        # with the holder, so a search or a department's scope reads the index alone.
        Index("ix_credentials_tenant_identifier", "tenant_id", "identifier", "id", "person_id"),
        Index("ix_credentials_tenant_created", "tenant_id", "created_at", "id", "person_id"),
        # A holder's credentials, and a count of a department's from the index alone.
        Index("ix_credentials_person_tenant", "person_id", "tenant_id"),
    )
    __audit_exclude__: ClassVar[tuple[str, ...]] = ("pin_hash", "door_pin_digest")

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[CredentialKind] = mapped_column(_enum(CredentialKind))
    #: Card UID in upper-case hex or mobile key id; for a PIN a lookup id (the PIN is hashed).
    identifier: Mapped[str] = mapped_column(String(64))
    technology: Mapped[str | None] = mapped_column(
        String(60), default=None
    )  # e.g. MIFARE DESFire EV2
    pin_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    #: For a PIN: the fast salted digest door decisions check (``access.pins``).
    door_pin_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    state: Mapped[CredentialState] = mapped_column(
        _enum(CredentialState), default=CredentialState.ACTIVE
    )
    valid_from: Mapped[datetime | None] = mapped_column(default=None)
    valid_to: Mapped[datetime | None] = mapped_column(default=None)

    # Scope follows the holder's home unit.
    @classmethod
    def scope_unit_expr(cls) -> ColumnElement[Any]:
        """The unit of the credential's holder, as a correlated subquery."""
        return select(Person.org_unit_id).where(Person.id == cls.person_id).scalar_subquery()


class ServiceLevel(IdMixin, TimestampMixin, Base):
    """A service catalogue level (grundläggande / utökad / avancerad) and what it requires."""

    __tablename__ = "service_levels"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_service_levels_code"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    rank: Mapped[int] = mapped_column(Integer, default=1)
    #: Component keys a site at this level must have, e.g. ["perimeter_readers", "intrusion_alarm"].
    requirements: Mapped[list[str]] = mapped_column(JSON, default=list)


class SiteService(Base):
    """A site's service level and the components it has."""

    __tablename__ = "site_services"

    site_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    level_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("service_levels.id", ondelete="RESTRICT")
    )
    components: Mapped[list[str]] = mapped_column(JSON, default=list)


class AccessEvent(Base):
    """One decision: who presented what at which door, when, and the answer with its reason."""

    __tablename__ = "access_events"
    __table_args__ = (
        Index("ix_access_events_tenant_at", "tenant_id", "at"),
        Index("ix_access_events_door_at", "door_id", "at"),
        Index("ix_access_events_person_at", "person_id", "at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=utcnow)
    door_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    #: What was presented (card UID, mobile key id; never a PIN).
    credential: Mapped[str] = mapped_column(String(64))
    credential_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    person_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    granted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(40))
    #: Where the decision was made: "centre" or an edge agent's id.
    source: Mapped[str] = mapped_column(String(60), default="centre")


class AccessChange(Base):
    """A change feed: every change to the access model appends a row in the same transaction.

    Each process's compiled decision index follows this feed, so a change made in
    one process reaches the others' indexes within a poll interval.
    """

    __tablename__ = "access_changes"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(10))  # upsert or delete
