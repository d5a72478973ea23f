"""What an operator sees of an activation's site: address, owner, unit, service level,
notes, and the last 30 days at the site (activations and alarms per category, the
latest of each).

Contacts and keyholders with their time windows, and the action plan, are other parts'
panels on the activation page (:mod:`stadsvakt.web.views.centre.panels`); this module
reads none of their tables. Seeing an activation is what lets an operator see its site
here, whether or not they may browse the site register (``site.read``): the site is
shown as part of handling it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, Row, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from stadsvakt.access.models import ServiceLevel, SiteService
from stadsvakt.alarms.models import Alarm
from stadsvakt.audit.service import record, snapshot
from stadsvakt.centre.models import Activation
from stadsvakt.centre.tenancy import visible_activation
from stadsvakt.context import Actor
from stadsvakt.db import Base, IdMixin, utcnow
from stadsvakt.errors import InvalidInput, NotFound
from stadsvakt.org.models import Municipality, OrgUnit, Site

#: How far back the site's history reaches.
HISTORY = timedelta(days=30)
#: Rows of each kind shown in the history.
LATEST = 10
NOTE_MAX = 1000


class SiteNote(IdMixin, Base):
    """A standing note about a site for the centre's operators ("the gate code is with
    the caretaker", "dog on the premises"), shown with every activation there."""

    __tablename__ = "site_notes"
    __table_args__ = (Index("ix_site_notes_site", "site_id", "created_at"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipalities.id"))
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(NOTE_MAX))
    author_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    author_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """Everything the site panel shows (``site`` is ``None`` for a storm or an incident
    without a site)."""

    site: Site | None
    municipality: str
    unit: str | None = None
    service_level: str | None = None
    notes: list[SiteNote] = field(default_factory=list)
    activations_by_category: dict[str, int] = field(default_factory=dict)
    alarms_by_category: dict[str, int] = field(default_factory=dict)
    latest_activations: list[Activation] = field(default_factory=list)
    latest_alarms: list[Alarm] = field(default_factory=list)
    since: datetime | None = None


def site_info(session: Session, activation: Activation, now: datetime | None = None) -> SiteInfo:
    """The site panel of an activation (the caller has checked the actor sees it)."""
    now = now or utcnow()
    municipality = session.get(Municipality, activation.tenant_id)
    town = municipality.name if municipality is not None else ""
    if activation.site_id is None:
        return SiteInfo(site=None, municipality=town)
    site = session.get(Site, activation.site_id)
    if site is None:
        return SiteInfo(site=None, municipality=town)
    since = now - HISTORY
    unit = session.get(OrgUnit, site.org_unit_id) if site.org_unit_id is not None else None
    level = session.execute(
        select(ServiceLevel.name)
        .join(SiteService, SiteService.level_id == ServiceLevel.id)
        .where(SiteService.site_id == site.id)
    ).scalar_one_or_none()
    return SiteInfo(
        site=site,
        municipality=town,
        unit=unit.name if unit is not None else None,
        service_level=level,
        notes=notes_of(session, site.id),
        activations_by_category=_activation_counts(session, site.id, since),
        alarms_by_category=_alarm_counts(session, site.id, since),
        latest_activations=list(
            session.execute(
                select(Activation)
                .where(Activation.site_id == site.id)
                .where(Activation.opened_at >= since)
                .where(Activation.id != activation.id)
                .order_by(Activation.opened_at.desc())
                .limit(LATEST)
            ).scalars()
        ),
        latest_alarms=list(
            session.execute(
                select(Alarm)
                .where(Alarm.site_id == site.id)
                .where(Alarm.received_at >= since)
                .order_by(Alarm.received_at.desc())
                .limit(LATEST)
            ).scalars()
        ),
        since=since,
    )


def _activation_counts(session: Session, site_id: uuid.UUID, since: datetime) -> dict[str, int]:
    rows = session.execute(
        select(Activation.category, func.count())
        .where(Activation.site_id == site_id)
        .where(Activation.opened_at >= since)
        .group_by(Activation.category)
    ).all()
    return _ranked(rows)


def _alarm_counts(session: Session, site_id: uuid.UUID, since: datetime) -> dict[str, int]:
    rows = session.execute(
        select(Alarm.category, func.count())
        .where(Alarm.site_id == site_id)
        .where(Alarm.received_at >= since)
        .group_by(Alarm.category)
    ).all()
    return _ranked(rows)


def _ranked(rows: Sequence[Row[str, int]]) -> dict[str, int]:
    """Categories by count, most first (then by name)."""
    pairs = sorted(((str(c), int(n)) for c, n in rows), key=lambda pair: (-pair[1], pair[0]))
    return dict(pairs)


def notes_of(session: Session, site_id: uuid.UUID) -> list[SiteNote]:
    """A site's standing notes, newest first."""
    return list(
        session.execute(
            select(SiteNote)
            .where(SiteNote.site_id == site_id)
            .order_by(SiteNote.created_at.desc())
            .limit(50)
        ).scalars()
    )


def add_site_note(session: Session, actor: Actor, activation_id: uuid.UUID, text: str) -> SiteNote:
    """Keep a standing note about the site of an activation the actor operates on."""
    activation = visible_activation(session, actor, activation_id, "centre.operate")
    if activation.site_id is None:
        raise NotFound("this activation has no site")
    written = text.strip()
    if not written:
        raise InvalidInput("text must not be empty", field="text", rule="required")
    if len(written) > NOTE_MAX:
        raise InvalidInput(
            f"text has at most {NOTE_MAX} characters", field="text", rule="max_length"
        )
    note = SiteNote(
        tenant_id=activation.tenant_id,
        site_id=activation.site_id,
        text=written,
        author_id=actor.id,
        author_name=actor.name[:200],
        created_at=utcnow(),
    )
    session.add(note)
    session.flush()
    record(
        session,
        action="site_note.create",
        object_type="site_note",
        object_id=note.id,
        object_text=written[:100],
        tenant_id=note.tenant_id,
        after=snapshot(note),
    )
    return note
