"""Tables of the action plans (åtgärdsplaner), the sites' contacts and the demo SMS log.

A :class:`SiteContact` is one person to call about a site (a keyholder, the owner, a
caretaker), in order, with the hours they may be called. An :class:`ActionPlan` is the
routine for one site and category, or a centre-wide default (no site, or no category);
its steps live in immutable :class:`PlanVersion` rows: editing a plan adds a version,
and an activation keeps the version it followed (``Activation.plan_version_id``).
:class:`SentSms` holds the messages the demo SMS notifier "sent".
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.db import Base, IdMixin, TimestampMixin, utcnow
from stadsvakt.org.models import Site


def _site_unit(site_id: Any) -> ColumnElement[Any]:
    return select(Site.org_unit_id).where(Site.id == site_id).scalar_subquery()


class SiteContact(IdMixin, TimestampMixin, Base):
    """One person to call about a site, in ``position`` order.

    ``windows`` lists when they may be called, in Swedish local time: each
    ``{"days": [1..7], "start": "07:00", "end": "17:00"}`` (ISO weekdays, Monday 1; a
    window whose end is before its start runs past midnight; equal times: the whole
    day). No windows: any time.
    """

    __tablename__ = "site_contacts"
    __table_args__ = (Index("ix_site_contacts_site", "site_id", "position"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(String(2000), default="")

    @classmethod
    def scope_unit_expr(cls) -> ColumnElement[Any]:
        """A contact is in the scope of its site's unit."""
        return _site_unit(cls.site_id)


class ActionPlan(IdMixin, TimestampMixin, Base):
    """The routine for a site and category; no site: the centre's default, no category:
    for every category. ``scope_key`` makes each (site, category) pair unique per
    municipality, NULLs included."""

    __tablename__ = "action_plans"
    __table_args__ = (UniqueConstraint("tenant_id", "scope_key", name="uq_action_plans_scope"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), index=True, default=None
    )
    category: Mapped[str | None] = mapped_column(String(20), default=None)
    scope_key: Mapped[str] = mapped_column(String(80))
    #: The version new activations follow (the highest number).
    current_version_id: Mapped[uuid.UUID | None] = mapped_column(default=None)

    @classmethod
    def scope_unit_expr(cls) -> ColumnElement[Any]:
        """A site's plan is in the scope of the site's unit; a centre default in none."""
        return _site_unit(cls.site_id)


class PlanVersion(IdMixin, Base):
    """One version of a plan's steps; never changed once written."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "number", name="uq_plan_versions_number"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("action_plans.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_name: Mapped[str] = mapped_column(String(200), default="")


class SentSms(IdMixin, Base):
    """A message the demo SMS notifier kept instead of sending (shown on /centre/sms)."""

    __tablename__ = "sent_sms"
    __table_args__ = (Index("ix_sent_sms_tenant_sent", "tenant_id", "sent_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    recipient: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(1000))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    activation_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    sender_name: Mapped[str] = mapped_column(String(200), default="")

    @classmethod
    def scope_unit_expr(cls) -> ColumnElement[Any]:
        """A message is in no unit's scope: municipality-wide readers see it."""
        return select(Site.org_unit_id).where(Site.id.is_(None)).scalar_subquery()
