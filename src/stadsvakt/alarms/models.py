"""Tables of alarm reception: the transmitter registry and the normalised alarms.

A transmitter (larmsändare) is the panel or dialler that sends alarms for a site.
Its AES key is stored sealed with the installation key (``SecretBox``), never in
clear. Every received event becomes one :class:`Alarm` row, raw frame kept; a
re-sent frame is recognised by :attr:`Alarm.dedup_key` (unique), so the receiver can
ACK it again without a second alarm.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, aliased, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.db import Base, IdMixin, TimestampMixin, utcnow
from stadsvakt.org.models import Site


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class TransmitterProtocol(StrEnum):
    """What a transmitter speaks (the payload it is registered for)."""

    DC09_SIA = "dc09-sia"  # SIA DC-09 carrying SIA DC-03 events
    DC09_CID = "dc09-cid"  # SIA DC-09 carrying Contact ID
    SCAIP = "scaip"  # social alarms over SIP
    JSON = "json"  # technical alarms over HTTP or MQTT


class Bearer(StrEnum):
    """The transmitter's network, so the centre can list those an old network shutdown kills."""

    G2 = "2G"
    G3 = "3G"
    G4 = "4G"
    IP = "IP"


def _site_unit(site_id: Any) -> ColumnElement[Any]:
    """The unit of a row's site, as a correlated subquery (a row's scope follows its site).

    The site is an alias of its own: a query that also joins ``sites`` (the queue shows
    each activation's site) would otherwise correlate the subquery's FROM away.
    """
    owner = aliased(Site)
    return select(owner.org_unit_id).where(owner.id == site_id).scalar_subquery()


class Transmitter(IdMixin, TimestampMixin, Base):
    """An alarm transmitter, addressed by account, receiver number and line prefix.

    ``receiver`` and ``line`` are stored normalised (upper-case hex without leading
    zeros, ``"0"`` for absent or empty) because panels write ``L``, ``L0`` and
    ``L000`` for the same line; the triple is unique in the installation, since one
    receiver port serves every municipality.
    """

    __tablename__ = "transmitters"
    __table_args__ = (
        UniqueConstraint("account", "receiver", "line", name="uq_transmitters_address"),
        # Supervision reads "changed since" and "heard from since" ranges every second;
        # with the id in the index the heartbeat range never touches the table.
        Index("ix_transmitters_updated_at", "updated_at"),
        Index("ix_transmitters_last_seen_at", "last_seen_at", "id"),
    )
    __audit_exclude__: ClassVar[tuple[str, ...]] = ("key_sealed",)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sites.id", ondelete="RESTRICT"), index=True
    )
    account: Mapped[str] = mapped_column(String(16))
    receiver: Mapped[str] = mapped_column(String(6), default="0")
    line: Mapped[str] = mapped_column(String(6), default="0")
    protocol: Mapped[TransmitterProtocol] = mapped_column(_enum(TransmitterProtocol))
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    bearer: Mapped[Bearer | None] = mapped_column(_enum(Bearer), default=None)
    interval_s: Mapped[int | None] = mapped_column(Integer, default=None)
    key_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    key_bits: Mapped[int | None] = mapped_column(Integer, default=None)
    encrypted_only: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Set while the transmitter is in path failure (supervision raised it); ``None`` else.
    path_failed_at: Mapped[datetime | None] = mapped_column(default=None)

    @classmethod
    def scope_unit_expr(cls) -> ColumnElement[Any]:
        """A transmitter is in the scope of its site's unit."""
        return _site_unit(cls.site_id)


class TransmitterChange(Base):
    """The registry's change feed: every change to a transmitter appends a row in its transaction.

    Receivers follow it (``seq`` after the last they read) and reload the transmitters
    it names. A sequence, not ``updated_at``: each host stamps ``updated_at`` with its
    own clock, and transactions commit in any order, so a change stamped below the
    latest stamp would never be seen by a reader asking "what changed since".
    ``transmitter_id`` has no foreign key, as a deleted transmitter is a change too.
    """

    __tablename__ = "transmitter_changes"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    transmitter_id: Mapped[uuid.UUID]
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Alarm(IdMixin, Base):
    """One received event, normalised, with the frame it came in kept verbatim.

    ``priority`` is 1 (most urgent) to 9, derived from the category (see
    :mod:`stadsvakt.alarms.normalise`). ``raw`` holds the bytes exactly as received
    (binary, since some panels send a binary CRC).
    """

    __tablename__ = "alarms"
    __table_args__ = (
        Index("ix_alarms_tenant_received", "tenant_id", "received_at"),
        Index("ix_alarms_site_received", "site_id", "received_at"),
        # The alarm log's filters, newest first, over millions of rows.
        Index("ix_alarms_tenant_category_received", "tenant_id", "category", "received_at"),
        Index("ix_alarms_transmitter_received", "transmitter_id", "received_at"),
        Index("ix_alarms_tenant_account_received", "tenant_id", "account", "received_at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sites.id", ondelete="RESTRICT"), default=None
    )
    transmitter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("transmitters.id", ondelete="SET NULL"), index=True, default=None
    )
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    event_time: Mapped[datetime | None] = mapped_column(default=None)
    protocol: Mapped[str] = mapped_column(String(20))
    account: Mapped[str] = mapped_column(String(16))
    sequence: Mapped[str | None] = mapped_column(String(8), default=None)
    category: Mapped[str] = mapped_column(String(20), index=True)
    priority: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(200))
    qualifier: Mapped[str] = mapped_column(String(10))
    zone: Mapped[int | None] = mapped_column(Integer, default=None)
    user_number: Mapped[int | None] = mapped_column(Integer, default=None)
    partition: Mapped[int | None] = mapped_column(Integer, default=None)
    text: Mapped[str | None] = mapped_column(String(500), default=None)
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    dedup_key: Mapped[str] = mapped_column(String(64), unique=True)

    @classmethod
    def scope_unit_expr(cls) -> ColumnElement[Any]:
        """An alarm is in the scope of its site's unit."""
        return _site_unit(cls.site_id)
