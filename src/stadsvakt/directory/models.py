"""Tables for people, assignments, groups and training records.

Personal data is kept minimal: no personal identity number (personnummer), only
what deciding on access needs.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Connection
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from stadsvakt.db import Base, IdMixin, TimestampMixin


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class PersonKind(StrEnum):
    """Why a person is in the directory."""

    EMPLOYEE = "employee"  # medarbetare
    CONTRACTOR = "contractor"  # entreprenör
    GUEST = "guest"  # gäst


def search_text_of(
    given_name: str | None,
    family_name: str | None,
    employee_number: str | None,
    email: str | None,
    user_name: str | None,
) -> str:
    """What a search for a person looks in, case-folded: the name both ways round, the
    employee number, e-mail and user name (one column, so one LIKE per row)."""
    name = f"{given_name or ''} {family_name or ''}".strip()
    backwards = f"{family_name or ''} {given_name or ''}".strip()
    parts = (name, backwards, employee_number, email, user_name)
    return " | ".join(p for p in parts if p).casefold()[:SEARCH_TEXT_MAX]


SEARCH_TEXT_MAX = 1000


def _search_text_default(context: DefaultExecutionContext) -> str:
    # For inserts that bypass the ORM (bulk loads): computed from the row's own values.
    row: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return search_text_of(
        row.get("given_name"),
        row.get("family_name"),
        row.get("employee_number"),
        row.get("email"),
        row.get("user_name"),
    )


class Person(IdMixin, TimestampMixin, Base):
    """Someone who may carry a credential.

    ``org_unit_id`` is the person's home unit: the unit of their main assignment,
    or for a guest or contractor the unit that invited them. A department
    administrator's scope over people follows it.
    """

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("tenant_id", "employee_number", name="uq_people_tenant_employee_number"),
        UniqueConstraint("tenant_id", "external_id", name="uq_people_tenant_external_id"),
        # The people list's default order (and its first page) without sorting them all.
        Index("ix_people_tenant_name", "tenant_id", "family_name", "given_name", "id"),
        # The people of a unit (a department's scope) from the index alone.
        Index("ix_people_unit_tenant", "org_unit_id", "tenant_id", "id"),
    )
    scope_unit_attr: ClassVar[str] = "org_unit_id"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[PersonKind] = mapped_column(_enum(PersonKind), default=PersonKind.EMPLOYEE)
    employee_number: Mapped[str | None] = mapped_column(String(40), default=None)
    #: Identifier in the provisioning source (SCIM externalId).
    external_id: Mapped[str | None] = mapped_column(String(200), default=None)
    #: Login name in the provisioning source (SCIM userName).
    user_name: Mapped[str | None] = mapped_column(String(200), default=None, index=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Accessibility: the door stays unlocked longer for this person.
    extended_unlock: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Bumped on every change; the SCIM ETag.
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: :func:`search_text_of` the row, kept up to date on every insert and update.
    search_text: Mapped[str] = mapped_column(
        String(SEARCH_TEXT_MAX), default=_search_text_default, server_default=""
    )

    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def display_name(self) -> str:
        """Given and family name."""
        return f"{self.given_name} {self.family_name}"


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _refresh_search_text(_mapper: Mapper[Person], _connection: Connection, person: Person) -> None:
    person.search_text = search_text_of(
        person.given_name,
        person.family_name,
        person.employee_number,
        person.email,
        person.user_name,
    )


class Assignment(IdMixin, TimestampMixin, Base):
    """A person holds a position (e.g. lärare, rektor) in a unit from ``start`` to ``end``."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_unit_position", "org_unit_id", "position"),)
    scope_unit_attr: ClassVar[str] = "org_unit_id"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    org_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_units.id", ondelete="RESTRICT"))
    position: Mapped[str] = mapped_column(String(100))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date, default=None)
    #: Where the assignment came from: manual, csv or scim.
    source: Mapped[str] = mapped_column(String(20), default="manual")

    person: Mapped[Person] = relationship(back_populates="assignments", lazy="raise")


class Group(IdMixin, TimestampMixin, Base):
    """A named set of people (SCIM Group), e.g. a team or a booking club."""

    __tablename__ = "person_groups"
    __table_args__ = (UniqueConstraint("tenant_id", "display_name", name="uq_person_groups_name"),)
    scope_unit_attr: ClassVar[str] = "org_unit_id"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("org_units.id", ondelete="SET NULL"), default=None
    )
    display_name: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)


class GroupMember(Base):
    """Membership of a person in a group."""

    __tablename__ = "person_group_members"

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("person_groups.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TrainingRecord(IdMixin, TimestampMixin, Base):
    """A completed course (from an LMS), e.g. fire safety; some rights require a valid one."""

    __tablename__ = "training_records"
    __table_args__ = (
        UniqueConstraint("person_id", "course", "completed_on", name="uq_training_records_key"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    course: Mapped[str] = mapped_column(String(60))
    completed_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, default=None)
