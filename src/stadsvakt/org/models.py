"""Tables for municipalities, organisation units (förvaltning → enhet) and sites."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Enum, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from stadsvakt.db import Base, IdMixin, TimestampMixin


class Municipality(IdMixin, TimestampMixin, Base):
    """A municipality (kommun): the tenant. One installation may serve several, fully apart."""

    __tablename__ = "municipalities"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)  # kommunkod, e.g. 1280


class UnitKind(StrEnum):
    """Level of an organisation unit."""

    DEPARTMENT = "department"  # förvaltning
    UNIT = "unit"  # enhet (or avdelning, sektion)


class OrgUnit(IdMixin, TimestampMixin, Base):
    """An organisation unit in a municipality's tree: förvaltning → enhet."""

    __tablename__ = "org_units"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_org_units_tenant_code"),)
    scope_unit_attr: ClassVar[str] = "id"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="RESTRICT"), index=True, default=None
    )
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(
        Enum(UnitKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )

    parent: Mapped[OrgUnit | None] = relationship(remote_side="OrgUnit.id", lazy="raise")


class OwnerKind(StrEnum):
    """Who owns a site: the city itself or an external property owner."""

    CITY = "city"
    EXTERNAL = "external"


class Site(IdMixin, TimestampMixin, Base):
    """A building or property the city uses, its own or rented."""

    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_sites_tenant_code"),)
    scope_unit_attr: ClassVar[str] = "org_unit_id"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="RESTRICT"), index=True, default=None
    )
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(6))
    city: Mapped[str] = mapped_column(String(100))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    owner_kind: Mapped[OwnerKind] = mapped_column(
        Enum(
            OwnerKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
        )
    )
    owner_name: Mapped[str | None] = mapped_column(String(200), default=None)
    owner_contact: Mapped[str | None] = mapped_column(String(200), default=None)
    owner_email: Mapped[str | None] = mapped_column(String(254), default=None)
    owner_phone: Mapped[str | None] = mapped_column(String(40), default=None)
