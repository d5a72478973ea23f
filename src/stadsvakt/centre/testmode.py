"""Sites and transmitters in test (a service visit): their events go to the log only.

An operator puts a whole site, or one transmitter of it, in test for a window with a
reason (:func:`start_test`); while it lasts the intake (:mod:`stadsvakt.centre.intake`)
keeps their events out of the queue, and every event is still stored in the alarm log.
The window ends by itself at its end (the intake compares times) or early
(:func:`end_test`); who set it is kept and shown.

A transmitter's window names the transmitter only (not its site), so the site's other
transmitters keep reaching the queue.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Transmitter
from stadsvakt.audit.service import record, snapshot
from stadsvakt.auth.scope import require, subtree_ids
from stadsvakt.bounds import BoundedDatetime
from stadsvakt.centre.models import TestWindow
from stadsvakt.centre.tenancy import visible_tenants
from stadsvakt.context import Actor
from stadsvakt.errors import Conflict, InvalidInput, NotFound
from stadsvakt.org.models import Site
from stadsvakt.schemas import StrictInput

#: How far in the past a window may start (a form filled in a minute ago is not refused).
START_SLACK = timedelta(minutes=5)

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class TestWindowIn(StrictInput):
    """A test window as asked for: a site (or one transmitter of it), when, and why."""

    __test__ = False  # not a pytest class, whatever its name

    site_id: uuid.UUID
    transmitter_id: uuid.UUID | None = Field(
        default=None, description="Only this transmitter of the site; empty: the whole site"
    )
    starts_at: BoundedDatetime | None = Field(default=None, description="Empty: now")
    ends_at: BoundedDatetime
    reason: Reason


class WindowState(StrEnum):
    """Where a window is in time."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"
    ENDED = "ended"


def state_of(window: TestWindow, now: datetime) -> WindowState:
    """Whether a window is yet to start, going on, or over."""
    if window.ends_at <= now:
        return WindowState.ENDED
    if window.starts_at > now:
        return WindowState.SCHEDULED
    return WindowState.ACTIVE


@dataclass(frozen=True, slots=True)
class Listed:
    """A window with what it covers, for lists."""

    window: TestWindow
    site: Site | None
    transmitter: Transmitter | None
    state: WindowState


def _site(session: Session, actor: Actor, site_id: uuid.UUID, permission: str) -> Site:
    site = session.get(Site, site_id)
    tenants = visible_tenants(session, actor)
    if site is None or (tenants is not None and site.tenant_id not in tenants):
        raise NotFound(f"site_id: no site {site_id} you serve", field="site_id")
    units = actor.scope(permission)
    if units is not None:
        allowed = set(session.execute(subtree_ids(units)).scalars())
        if site.org_unit_id not in allowed:
            raise NotFound(f"site_id: no site {site_id} in your scope", field="site_id")
    return site


def _times(data: TestWindowIn, now: datetime, max_hours: int) -> tuple[datetime, datetime]:
    starts = data.starts_at or now
    ends = data.ends_at
    if starts < now - START_SLACK:
        raise InvalidInput("starts_at: must not be in the past", field="starts_at", rule="not_past")
    if ends <= starts:
        raise InvalidInput(
            "ends_at: must be after starts_at", field="ends_at", rule="after_starts_at"
        )
    if ends - starts > timedelta(hours=max_hours):
        raise InvalidInput(
            f"ends_at: a test lasts at most {max_hours} hours",
            field="ends_at",
            rule="max_duration",
        )
    return starts, ends


def _audit(
    session: Session,
    action: str,
    window: TestWindow,
    before: dict[str, object] | None,
    text: str,
) -> None:
    record(
        session,
        action=f"centre.test_window.{action}",
        object_type="test_window",
        object_id=window.id,
        object_text=text,
        tenant_id=window.tenant_id,
        before=before,
        after=snapshot(window),
    )


def start_test(
    session: Session, actor: Actor, data: TestWindowIn, *, now: datetime, max_hours: int
) -> TestWindow:
    """Put a site, or one of its transmitters, in test (centre.operate)."""
    require(actor, "centre.operate")
    site = _site(session, actor, data.site_id, "centre.operate")
    transmitter = None
    if data.transmitter_id is not None:
        transmitter = session.get(Transmitter, data.transmitter_id)
        if transmitter is None or transmitter.site_id != site.id:
            raise NotFound(
                f"transmitter_id: no transmitter {data.transmitter_id} on the site",
                field="transmitter_id",
            )
    starts, ends = _times(data, now, max_hours)
    window = TestWindow(
        id=uuid.uuid4(),
        tenant_id=site.tenant_id,
        site_id=None if transmitter is not None else site.id,
        transmitter_id=transmitter.id if transmitter is not None else None,
        starts_at=starts,
        ends_at=ends,
        reason=data.reason,
        set_by_id=actor.id,
        set_by_name=actor.name[:200],
        created_at=now,
    )
    session.add(window)
    session.flush()
    text = site.name + (f" / {transmitter.account}" if transmitter is not None else "")
    _audit(session, "start", window, None, text)
    return window


def _window_site(session: Session, window: TestWindow) -> Site | None:
    if window.site_id is not None:
        return session.get(Site, window.site_id)
    transmitter = session.get(Transmitter, window.transmitter_id) if window.transmitter_id else None
    return session.get(Site, transmitter.site_id) if transmitter is not None else None


def get_window(
    session: Session, actor: Actor, window_id: uuid.UUID, permission: str = "centre.read"
) -> TestWindow:
    """One window the actor sees (by its site's municipality and unit), else NotFound."""
    require(actor, permission)
    window = session.get(TestWindow, window_id)
    tenants = visible_tenants(session, actor)
    if window is None or (tenants is not None and window.tenant_id not in tenants):
        raise NotFound("test window not found")
    units = actor.scope(permission)
    if units is not None:
        site = _window_site(session, window)
        allowed = set(session.execute(subtree_ids(units)).scalars())
        if site is None or site.org_unit_id not in allowed:
            raise NotFound("test window not found")
    return window


def end_test(session: Session, actor: Actor, window_id: uuid.UUID, *, now: datetime) -> TestWindow:
    """End a window now (a window not yet started is called off); refused once it ended."""
    window = get_window(session, actor, window_id, "centre.operate")
    if window.ends_at <= now:
        raise Conflict("the test has already ended")
    before = snapshot(window)
    window.ends_at = now
    window.starts_at = min(window.starts_at, now)
    session.flush()
    site = _window_site(session, window)
    _audit(session, "end", window, before, site.name if site is not None else "")
    return window


def list_tests(
    session: Session, actor: Actor, *, now: datetime, recent: timedelta = timedelta(days=7)
) -> list[Listed]:
    """Windows going on or to come, then those that ended within ``recent``, with their
    site and transmitter (centre.read)."""
    require(actor, "centre.read")
    stmt = select(TestWindow).where(TestWindow.ends_at > now - recent)
    tenants = visible_tenants(session, actor)
    if tenants is not None:
        stmt = stmt.where(TestWindow.tenant_id.in_(sorted(tenants)))
    windows = list(session.execute(stmt.order_by(TestWindow.starts_at.desc())).scalars())
    transmitter_ids = sorted({w.transmitter_id for w in windows if w.transmitter_id is not None})
    transmitters = {
        t.id: t
        for t in session.execute(
            select(Transmitter).where(Transmitter.id.in_(transmitter_ids))
        ).scalars()
    }
    site_ids = {w.site_id for w in windows if w.site_id is not None}
    site_ids |= {t.site_id for t in transmitters.values()}
    sites = {
        s.id: s
        for s in session.execute(select(Site).where(Site.id.in_(sorted(site_ids)))).scalars()
    }
    units = actor.scope("centre.read")
    allowed = None if units is None else set(session.execute(subtree_ids(units)).scalars())
    listed: list[Listed] = []
    for window in windows:
        transmitter = transmitters.get(window.transmitter_id) if window.transmitter_id else None
        site_id = window.site_id or (transmitter.site_id if transmitter is not None else None)
        site = sites.get(site_id) if site_id is not None else None
        if allowed is not None and (site is None or site.org_unit_id not in allowed):
            continue
        listed.append(Listed(window, site, transmitter, state_of(window, now)))
    order = {WindowState.ACTIVE: 0, WindowState.SCHEDULED: 1, WindowState.ENDED: 2}
    listed.sort(key=lambda item: order[item.state])
    return listed


def in_test_now(
    session: Session, now: datetime, *, site_id: uuid.UUID | None, transmitter_id: uuid.UUID | None
) -> bool:
    """Whether a site or transmitter is in test at ``now`` (for pages that show a badge)."""
    clauses = []
    if site_id is not None:
        clauses.append(TestWindow.site_id == site_id)
    if transmitter_id is not None:
        clauses.append(TestWindow.transmitter_id == transmitter_id)
    if not clauses:
        return False
    found = session.execute(
        select(TestWindow.id)
        .where(or_(*clauses))
        .where(TestWindow.starts_at <= now)
        .where(TestWindow.ends_at > now)
        .limit(1)
    ).first()
    return found is not None
