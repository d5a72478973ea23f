"""The situation picture (lägesbild) and the officer on duty (tjänsteman i beredskap, TiB).

:func:`situation` groups what is going on now (every activation not closed: alarms,
incidents, planned visits) per municipality and per area (the organisation unit of its
site; "no site" for incidents at a free address), counts them by category and puts the
most serious first. A significant event is escalated to the officer on duty with
:func:`inform_officer`: an :class:`OfficerNotice` row records who told whom what and
when, and the activation's timeline gets an ``officer_informed`` line; when the officer
confirms, :func:`acknowledge` notes the time.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import StringConstraints
from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from stadsvakt.audit.service import record
from stadsvakt.auth.scope import require
from stadsvakt.centre import feed
from stadsvakt.centre.models import Activation, ActivationEntry, ActivationState
from stadsvakt.centre.tenancy import restrict, visible_activation
from stadsvakt.context import Actor
from stadsvakt.db import Base, IdMixin
from stadsvakt.errors import Conflict, NotFound
from stadsvakt.org.models import Municipality, OrgUnit, Site
from stadsvakt.schemas import StrictInput

#: The timeline line an escalation to the officer on duty adds.
ENTRY_KIND = "officer_informed"
ACK_KIND = "officer_acknowledged"


class OfficerNotice(IdMixin, Base):
    """One escalation to the officer on duty: who told whom what, when; and the reply."""

    __tablename__ = "officer_notices"
    __table_args__ = (Index("ix_officer_notices_tenant_told", "tenant_id", "told_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    activation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("activations.id", ondelete="CASCADE"), index=True
    )
    officer_name: Mapped[str] = mapped_column(String(200))
    officer_phone: Mapped[str] = mapped_column(String(40), default="")
    message: Mapped[str] = mapped_column(String(2000))
    told_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    told_by_name: Mapped[str] = mapped_column(String(200))
    told_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by_name: Mapped[str | None] = mapped_column(String(200), default=None)

    @classmethod
    def scope_unit_expr(cls) -> ColumnElement[Any]:
        """A notice is in the scope of its activation's site's unit."""
        return (
            select(Site.org_unit_id)
            .join(Activation, Activation.site_id == Site.id)
            .where(Activation.id == cls.activation_id)
            .scalar_subquery()
        )


OfficerName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^[0-9+() -]*$")
]
Message = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class OfficerNoticeIn(StrictInput):
    """Whom to tell (the officer on duty) and what."""

    officer_name: OfficerName
    officer_phone: Phone = ""
    message: Message


def inform_officer(
    session: Session,
    actor: Actor,
    activation_id: uuid.UUID,
    data: OfficerNoticeIn,
    *,
    now: datetime,
) -> OfficerNotice:
    """Log that the actor told the officer on duty about an activation (centre.operate)."""
    activation = visible_activation(
        session, actor, activation_id, "centre.operate", for_update=True
    )
    notice = OfficerNotice(
        id=uuid.uuid4(),
        tenant_id=activation.tenant_id,
        activation_id=activation.id,
        officer_name=data.officer_name,
        officer_phone=data.officer_phone,
        message=data.message,
        told_by_id=actor.id,
        told_by_name=actor.name[:200],
        told_at=now,
    )
    session.add(notice)
    session.add(
        ActivationEntry(
            activation_id=activation.id,
            at=now,
            kind=ENTRY_KIND,
            actor_id=actor.id,
            actor_name=actor.name[:200],
            text=data.message,
            data={
                "notice_id": str(notice.id),
                "officer_name": data.officer_name,
                "officer_phone": data.officer_phone,
            },
        )
    )
    activation.version += 1
    feed.publish(session, [(activation, feed.UPDATED)])
    record(
        session,
        action="centre.officer.inform",
        object_type="activation",
        object_id=activation.id,
        object_text=activation.title,
        tenant_id=activation.tenant_id,
        after={
            "notice_id": str(notice.id),
            "officer_name": data.officer_name,
            "officer_phone": data.officer_phone,
            "message": data.message,
        },
    )
    return notice


def acknowledge(
    session: Session, actor: Actor, notice_id: uuid.UUID, *, now: datetime
) -> OfficerNotice:
    """Note that the officer on duty confirmed a notice (once)."""
    stmt = restrict(
        select(OfficerNotice).where(OfficerNotice.id == notice_id),
        session,
        actor,
        "centre.operate",
        OfficerNotice,
    )
    notice = session.execute(stmt).scalar_one_or_none()
    if notice is None:
        raise NotFound("notice not found")
    if notice.acknowledged_at is not None:
        raise Conflict("the officer has already confirmed this notice")
    activation = visible_activation(
        session, actor, notice.activation_id, "centre.operate", for_update=True
    )
    notice.acknowledged_at = now
    notice.acknowledged_by_name = actor.name[:200]
    session.add(
        ActivationEntry(
            activation_id=activation.id,
            at=now,
            kind=ACK_KIND,
            actor_id=actor.id,
            actor_name=actor.name[:200],
            text="",
            data={"notice_id": str(notice.id), "officer_name": notice.officer_name},
        )
    )
    activation.version += 1
    feed.publish(session, [(activation, feed.UPDATED)])
    record(
        session,
        action="centre.officer.acknowledge",
        object_type="activation",
        object_id=activation.id,
        object_text=activation.title,
        tenant_id=activation.tenant_id,
        after={"notice_id": str(notice.id), "acknowledged_at": now.isoformat()},
    )
    return notice


def notices_of(session: Session, actor: Actor, activation_id: uuid.UUID) -> list[OfficerNotice]:
    """The notices about one activation the actor sees, oldest first."""
    visible_activation(session, actor, activation_id)
    return list(
        session.execute(
            select(OfficerNotice)
            .where(OfficerNotice.activation_id == activation_id)
            .order_by(OfficerNotice.told_at)
        ).scalars()
    )


def recent_notices(
    session: Session, actor: Actor, *, now: datetime, hours: int = 24
) -> list[tuple[OfficerNotice, Activation]]:
    """Notices of the last ``hours`` the actor sees, newest first, with their activations."""
    stmt = restrict(
        select(OfficerNotice, Activation)
        .join(Activation, Activation.id == OfficerNotice.activation_id)
        .where(OfficerNotice.told_at >= now - timedelta(hours=hours))
        .order_by(OfficerNotice.told_at.desc())
        .limit(200),
        session,
        actor,
        "centre.read",
        OfficerNotice,
    )
    return [(notice, activation) for notice, activation in session.execute(stmt).all()]


@dataclass(slots=True)
class Area:
    """One area of the picture: a municipality's organisation unit (or no site)."""

    unit_id: uuid.UUID | None
    name: str
    activations: list[Activation] = field(default_factory=list)
    by_category: Counter[str] = field(default_factory=Counter)

    @property
    def worst(self) -> int:
        """The most serious priority in the area (1 first)."""
        return min((a.priority for a in self.activations), default=99)


@dataclass(slots=True)
class Region:
    """One municipality of the picture with its areas, the most serious first."""

    tenant_id: uuid.UUID
    name: str
    areas: list[Area] = field(default_factory=list)
    by_category: Counter[str] = field(default_factory=Counter)

    @property
    def worst(self) -> int:
        """The most serious priority in the municipality."""
        return min((area.worst for area in self.areas), default=99)

    @property
    def total(self) -> int:
        """How many activations are ongoing in the municipality."""
        return sum(len(area.activations) for area in self.areas)


@dataclass(slots=True)
class Situation:
    """What is going on now, per municipality and area, with the sites' names."""

    regions: list[Region]
    sites: dict[uuid.UUID, Site]
    by_category: Counter[str]

    @property
    def total(self) -> int:
        """How many activations are ongoing in all."""
        return sum(region.total for region in self.regions)


def _ordered(activations: list[Activation]) -> list[Activation]:
    return sorted(activations, key=lambda a: (a.priority, a.opened_at))


def situation(session: Session, actor: Actor, *, limit: int = 2000) -> Situation:
    """Every activation not closed that the actor sees, grouped (see the module docstring)."""
    require(actor, "centre.read")
    stmt = restrict(
        select(Activation)
        .where(Activation.state != ActivationState.CLOSED)
        .order_by(Activation.priority, Activation.opened_at)
        .limit(limit),
        session,
        actor,
    )
    activations = list(session.execute(stmt).scalars())
    site_ids = sorted({a.site_id for a in activations if a.site_id is not None})
    sites = {
        site.id: site
        for site in session.execute(select(Site).where(Site.id.in_(site_ids))).scalars()
    }
    unit_ids = sorted({s.org_unit_id for s in sites.values() if s.org_unit_id is not None})
    units = {
        unit.id: unit.name
        for unit in session.execute(select(OrgUnit).where(OrgUnit.id.in_(unit_ids))).scalars()
    }
    tenant_ids = sorted({a.tenant_id for a in activations})
    names = {
        m.id: m.name
        for m in session.execute(
            select(Municipality).where(Municipality.id.in_(tenant_ids))
        ).scalars()
    }
    regions: dict[uuid.UUID, Region] = {}
    areas: dict[tuple[uuid.UUID, uuid.UUID | None], Area] = {}
    for activation in activations:
        region = regions.setdefault(
            activation.tenant_id,
            Region(activation.tenant_id, names.get(activation.tenant_id, "")),
        )
        site = sites.get(activation.site_id) if activation.site_id else None
        unit = site.org_unit_id if site is not None else None
        area = areas.get((activation.tenant_id, unit))
        if area is None:
            area = Area(unit, units.get(unit, "") if unit else "")
            areas[(activation.tenant_id, unit)] = area
            region.areas.append(area)
        area.activations.append(activation)
        area.by_category[activation.category] += 1
        region.by_category[activation.category] += 1
    for region in regions.values():
        for area in region.areas:
            area.activations = _ordered(area.activations)
        region.areas.sort(key=lambda area: (area.worst, -len(area.activations), area.name))
    ordered = sorted(regions.values(), key=lambda r: (r.worst, -r.total, r.name))
    total: Counter[str] = Counter(a.category for a in activations)
    return Situation(ordered, sites, total)
