"""Tables of the safety centre: activations in the queue, their timelines and the queue's
change feed, the municipalities a centre serves, and sites or transmitters in test.

The *log* is the alarm table itself (every received event, :mod:`stadsvakt.alarms`). An
:class:`Activation` is what a person must act on: it is opened by an event that needs
one, joined by later events of the same site and category, claimed, handled and closed.
Every change to an activation appends a :class:`QueueChange` numbered by
:class:`QueueHead`, so every browser, in any process, follows the queue by sequence.
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
from sqlalchemy.orm import Mapped, aliased, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.db import Base, IdMixin, utcnow
from stadsvakt.org.models import Site


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class ActivationKind(StrEnum):
    """Where an activation came from."""

    ALARM = "alarm"  # events of one site and category
    STORM = "storm"  # many sites reporting the same thing at once (a power cut)
    INCIDENT = "incident"  # logged by hand from a phone call
    TASK = "task"  # a planned task due now (nattillsyn)


class ActivationState(StrEnum):
    """Where an activation is in its handling."""

    OPEN = "open"  # waiting for an operator
    CLAIMED = "claimed"  # an operator is handling it
    ON_HOLD = "on_hold"  # parked with a reason until a time
    CLOSED = "closed"  # done, with a cause


class Cause(StrEnum):
    """Why an activation was closed (statistics count false alarms per site by it)."""

    REAL = "real"
    FALSE = "false"
    TECHNICAL = "technical"
    TEST = "test"
    CANCELLED = "cancelled"  # cancelled by the owner


def _site_unit(site_id: Any) -> ColumnElement[Any]:
    # An alias of its own: the queue joins ``sites`` too, and a plain subquery over
    # ``sites`` would be correlated to it and lose its FROM.
    owner = aliased(Site)
    return select(owner.org_unit_id).where(owner.id == site_id).scalar_subquery()


class Activation(IdMixin, Base):
    """One thing in the queue that a person must act on.

    ``priority`` orders the queue (1 first; the centre's category order, raised by one
    for a confirmed intrusion); ``version`` grows with every change, so a browser's
    stale request is refused rather than applied over a newer state. ``group_key``
    says which later events join it (site and category, or a storm's category and code).
    """

    __tablename__ = "activations"
    __table_args__ = (
        Index("ix_activations_queue", "state", "priority", "opened_at"),
        Index("ix_activations_group", "group_key", "state"),
        Index("ix_activations_tenant_opened", "tenant_id", "opened_at"),
        Index("ix_activations_site_opened", "site_id", "opened_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sites.id", ondelete="RESTRICT"), default=None
    )
    transmitter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("transmitters.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[ActivationKind] = mapped_column(_enum(ActivationKind))
    category: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(16), default="")
    priority: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    group_key: Mapped[str] = mapped_column(String(160))
    state: Mapped[ActivationState] = mapped_column(
        _enum(ActivationState), default=ActivationState.OPEN
    )
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_event_at: Mapped[datetime] = mapped_column(default=utcnow)
    event_count: Mapped[int] = mapped_column(Integer, default=1)
    zones: Mapped[list[int]] = mapped_column(JSON, default=list)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Every condition it was opened for has been restored (the panel says it is over).
    restored: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    claimed_by_name: Mapped[str | None] = mapped_column(String(200), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    #: When an operator first took it: the service level counts from opened_at to this.
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    offered_to: Mapped[uuid.UUID | None] = mapped_column(default=None)
    offered_at: Mapped[datetime | None] = mapped_column(default=None)
    held_until: Mapped[datetime | None] = mapped_column(default=None)
    hold_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_by_name: Mapped[str | None] = mapped_column(String(200), default=None)
    cause: Mapped[Cause | None] = mapped_column(_enum(Cause), default=None)
    close_note: Mapped[str | None] = mapped_column(String(2000), default=None)
    #: The action plan version followed (stored so a later edit never rewrites history).
    plan_version_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @classmethod
    def scope_unit_expr(cls) -> ColumnElement[Any]:
        """An activation is in the scope of its site's unit."""
        return _site_unit(cls.site_id)


class ActivationEntry(IdMixin, Base):
    """One line of an activation's timeline: an event joining it, or a person's action.

    ``kind`` names what happened (``event``, ``restore``, ``confirmed``, ``claimed``,
    ``held``, ``step_done``, ``closed``, ...); ``data`` holds its details, shown
    through the code tables of :mod:`stadsvakt.centre.texts` in the reader's language.
    """

    __tablename__ = "activation_entries"
    __table_args__ = (Index("ix_activation_entries_activation", "activation_id", "at"),)

    activation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("activations.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    alarm_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("alarms.id", ondelete="SET NULL"), default=None
    )
    text: Mapped[str] = mapped_column(String(2000), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class QueueHead(Base):
    """The queue feed's one counter row.

    Each transaction that changes the queue takes the next number by updating this row,
    which holds the row's lock until it commits: feed numbers are then committed in
    order, so a reader that has seen number *n* has seen every number below it.
    """

    __tablename__ = "queue_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)


class QueueChange(Base):
    """One change to the queue, in commit order: browsers follow these by ``seq``."""

    __tablename__ = "queue_changes"
    __table_args__ = (Index("ix_queue_changes_at", "at"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    activation_id: Mapped[uuid.UUID]
    tenant_id: Mapped[uuid.UUID]
    #: ``new``, ``claimed``, ``updated`` or ``closed``.
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ServedMunicipality(IdMixin, Base):
    """A municipality whose alarms a centre (the municipality running it) handles."""

    __tablename__ = "served_municipalities"
    __table_args__ = (
        UniqueConstraint("centre_tenant_id", "served_tenant_id", name="uq_served_pair"),
    )

    centre_tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    served_tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )


class TestWindow(IdMixin, Base):
    """A site or one transmitter in test (a service visit): its events go to the log only.

    The window ends by itself at ``ends_at``; who set it is kept and shown.
    """

    __tablename__ = "test_windows"
    __table_args__ = (Index("ix_test_windows_ends", "ends_at"),)
    __test__: ClassVar[bool] = False  # not a pytest class, whatever its name

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), index=True, default=None
    )
    transmitter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("transmitters.id", ondelete="CASCADE"), index=True, default=None
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(500), default="")
    set_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    set_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @classmethod
    def scope_unit_expr(cls) -> ColumnElement[Any]:
        """A test window is in the scope of its site's unit."""
        return _site_unit(cls.site_id)
