"""Tables of the centre's cameras: the cameras, the snapshots kept as evidence with an
activation, and every view of a snapshot.

A :class:`Camera` belongs to a municipality and, optionally, to a site; its coordinates
put it near other sites. A :class:`Snapshot` is one attempt to fetch a camera's picture
for an activation: the picture (``content``) when it came, else the reason it did not.
Snapshots are evidence (bevismaterial) and are deleted after the retention setting;
each time a person looks at one a :class:`SnapshotView` row says who and when.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.db import Base, IdMixin, TimestampMixin, utcnow
from stadsvakt.org.models import Site


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class CameraAuth(StrEnum):
    """How a camera wants its credentials (ONVIF cameras mostly ask for digest)."""

    NONE = "none"
    BASIC = "basic"
    DIGEST = "digest"


class SnapshotStatus(StrEnum):
    """Whether a snapshot holds a picture."""

    OK = "ok"
    FAILED = "failed"


class Camera(IdMixin, TimestampMixin, Base):
    """A camera whose snapshot URL answers an HTTP GET with a JPEG or PNG picture."""

    __tablename__ = "cameras"
    __table_args__ = (Index("ix_cameras_tenant_position", "tenant_id", "latitude", "longitude"),)
    #: The password never reaches the audit trail, sealed or not.
    __audit_exclude__: ClassVar[tuple[str, ...]] = ("password_sealed",)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), index=True, default=None
    )
    name: Mapped[str] = mapped_column(String(120))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    snapshot_url: Mapped[str] = mapped_column(String(1000))
    auth: Mapped[CameraAuth] = mapped_column(_enum(CameraAuth), default=CameraAuth.NONE)
    username: Mapped[str | None] = mapped_column(String(200), default=None)
    #: The password sealed with the installation's SecretBox (as transmitter keys are).
    password_sealed: Mapped[str | None] = mapped_column(String(1000), default=None)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    @classmethod
    def scope_unit_expr(cls) -> ColumnElement[Any]:
        """A camera is in the scope of its site's unit."""
        return select(Site.org_unit_id).where(Site.id == cls.site_id).scalar_subquery()


class Snapshot(IdMixin, Base):
    """One camera's picture (or the reason there is none) kept with an activation."""

    __tablename__ = "camera_snapshots"
    __table_args__ = (
        Index("ix_camera_snapshots_activation", "activation_id", "requested_at"),
        Index("ix_camera_snapshots_requested", "requested_at"),
    )

    activation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("activations.id", ondelete="CASCADE")
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    camera_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("cameras.id", ondelete="SET NULL"), default=None
    )
    #: Kept so the evidence still names its camera after the camera is removed.
    camera_name: Mapped[str] = mapped_column(String(120))
    #: Metres from the activation's site (0 for the site's own cameras).
    distance_m: Mapped[int] = mapped_column(Integer, default=0)
    on_site: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime | None] = mapped_column(default=None)
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    requested_by_name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[SnapshotStatus] = mapped_column(_enum(SnapshotStatus))
    #: Why there is no picture: ``timeout``, ``refused``, ``http_status``, ``not_image``, …
    reason: Mapped[str | None] = mapped_column(String(30), default=None)
    detail: Mapped[str] = mapped_column(String(300), default="")
    content_type: Mapped[str | None] = mapped_column(String(40), default=None)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    size: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)


class SnapshotView(IdMixin, Base):
    """Someone looked at a snapshot: who and when (deleted with the snapshot)."""

    __tablename__ = "camera_snapshot_views"
    __table_args__ = (Index("ix_camera_snapshot_views_snapshot", "snapshot_id", "viewed_at"),)

    snapshot_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("camera_snapshots.id", ondelete="CASCADE")
    )
    activation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("activations.id", ondelete="CASCADE"), index=True
    )
    viewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    viewer_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    viewer_name: Mapped[str] = mapped_column(String(200))
