"""A site's door rules: its own holiday calendar and its emergency open (nödöppning).

Emergency open is the opposite of lockdown: while a site's is set, its doors flagged as
escape routes (utrymningsvägar) open for anyone (``door_emergency_open``). A fire alarm
from the site's panel sets it as the centre opens the activation
(:func:`emergency_from_fire`); an operator sets or ends it from the site's page. Every
change is audited and put on the access change feed under its urgent kind
(``site_emergency``), which edge deltas send ahead of other changes.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.access.changes import Entity, note_change
from stadsvakt.access.models import EmergencySource, HolidayCalendar, SiteDoorRules
from stadsvakt.access.services._common import site_in_scope
from stadsvakt.audit.service import record
from stadsvakt.auth.scope import require
from stadsvakt.context import Actor
from stadsvakt.errors import N_, NotFound
from stadsvakt.org.models import Site

READ, WRITE = "access.read", "access.write"
#: Who may set or end a site's emergency open: the centre's operators (and system owners,
#: who hold every permission).
EMERGENCY = "centre.operate"


def site_rules(session: Session, site_id: uuid.UUID) -> SiteDoorRules | None:
    """The site's door rules row, or None (no calendar of its own, no emergency)."""
    return session.get(SiteDoorRules, site_id)


def get_site_rules(session: Session, actor: Actor, site_id: uuid.UUID) -> SiteDoorRules | None:
    """A site's door rules, for an actor who may read the site's access setup."""
    site_in_scope(session, actor, site_id, READ)
    return site_rules(session, site_id)


def _row(session: Session, site: Site) -> SiteDoorRules:
    row = session.get(SiteDoorRules, site.id)
    if row is None:
        row = SiteDoorRules(
            site_id=site.id,
            tenant_id=site.tenant_id,
            holiday_calendar_id=None,
            emergency_open=False,
            emergency_source=None,
            emergency_since=None,
        )
        session.add(row)
    return row


def _state(row: SiteDoorRules) -> dict[str, object]:
    return {
        "holiday_calendar_id": None
        if row.holiday_calendar_id is None
        else str(row.holiday_calendar_id),
        "emergency_open": row.emergency_open,
        "emergency_source": None if row.emergency_source is None else str(row.emergency_source),
    }


def set_site_calendar(
    session: Session, actor: Actor, site_id: uuid.UUID, calendar_id: uuid.UUID | None
) -> SiteDoorRules:
    """Give a site its own holiday calendar (None: its doors follow each schedule's own)."""
    site = site_in_scope(session, actor, site_id, WRITE)
    if calendar_id is not None:
        calendar = session.get(HolidayCalendar, calendar_id)
        if calendar is None or calendar.tenant_id != site.tenant_id:
            raise NotFound(
                f"holiday_calendar_id: no calendar {calendar_id}", field="holiday_calendar_id"
            ).said(N_("Choose one of the municipality's holiday calendars."))
    row = _row(session, site)
    before = _state(row)
    row.holiday_calendar_id = calendar_id
    session.flush()
    record(
        session,
        action="site.door_calendar",
        object_type="site",
        object_id=site.id,
        object_text=site.name,
        tenant_id=site.tenant_id,
        before=before,
        after=_state(row),
    )
    note_change(session, tenant_id=site.tenant_id, entity=Entity.SITE_DOOR_RULES, entity_id=site.id)
    return row


def _set_emergency(
    session: Session, site: Site, on: bool, source: EmergencySource | None, at: datetime
) -> SiteDoorRules:
    row = _row(session, site)
    if row.emergency_open == on:
        return row
    before = _state(row)
    row.emergency_open = on
    row.emergency_source = source if on else None
    row.emergency_since = at if on else None
    session.flush()
    record(
        session,
        action="site.emergency_open" if on else "site.emergency_end",
        object_type="site",
        object_id=site.id,
        object_text=site.name,
        tenant_id=site.tenant_id,
        before=before,
        after=_state(row),
    )
    note_change(session, tenant_id=site.tenant_id, entity=Entity.SITE_EMERGENCY, entity_id=site.id)
    return row


def set_emergency(
    session: Session, actor: Actor, site_id: uuid.UUID, *, on: bool, at: datetime
) -> SiteDoorRules:
    """Set (``on``) or end an operator's emergency open at a site; unchanged if already so."""
    require(actor, EMERGENCY)
    site = site_in_scope(session, actor, site_id, EMERGENCY)
    return _set_emergency(session, site, on, EmergencySource.OPERATOR, at)


def emergency_from_fire(session: Session, site_id: uuid.UUID, at: datetime) -> None:
    """A fire alarm from a site's panel: set the site's emergency open (the alarm intake
    calls this as it opens the activation; ending it is an operator's decision)."""
    site = session.execute(select(Site).where(Site.id == site_id)).scalar_one_or_none()
    if site is not None:
        _set_emergency(session, site, True, EmergencySource.FIRE_ALARM, at)
