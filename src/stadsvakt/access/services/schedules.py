"""Schedules and holiday calendars.

Intervals are validated by :func:`stadsvakt.access.timerules.parse_intervals` and
stored in their normalised JSON form. Holiday calendars belong to the whole
municipality; a department administrator reads them and changes only the
schedules of their own units.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.access.holidays import Holiday, resolve
from stadsvakt.access.models import AccessProfile, Door, HolidayCalendar, HolidayMode, Schedule
from stadsvakt.access.schemas.schedules import (
    HolidayCalendarCreate,
    HolidayCalendarUpdate,
    IntervalIn,
    LocalDay,
    ScheduleCreate,
    ScheduleUpdate,
)
from stadsvakt.access.services._common import (
    apply,
    changed,
    code_free,
    distinct,
    flush_or_conflict,
    get_in_scope,
    get_shared_or_scoped,
    get_tenant_wide,
    page,
    shared_or_scoped,
    tenant_of,
    tenant_wide,
    whole_municipality,
)
from stadsvakt.access.timerules import parse_intervals
from stadsvakt.audit.service import snapshot
from stadsvakt.auth.scope import check_unit_in_scope
from stadsvakt.context import Actor
from stadsvakt.errors import N_, Conflict, NotFound
from stadsvakt.paging import Order, sorted_by
from stadsvakt.textsearch import contains

READ, WRITE = "access.read", "access.write"


def normalised_intervals(items: list[IntervalIn]) -> list[dict[str, Any]]:
    """Validated intervals in their stored form; :class:`ScheduleError` names the bad one."""
    return [i.to_dict() for i in parse_intervals([item.model_dump() for item in items])]


# --- schedules -----------------------------------------------------------------------------


#: The keys the schedule list may be sorted by.
SCHEDULE_SORTS: dict[str, Any] = {
    "code": Schedule.code,
    "name": Schedule.name,
    "holidays": Schedule.holiday_mode,
}
BY_CODE = Order("code")


def list_schedules(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    q: str | None = None,
    holiday_mode: HolidayMode | None = None,
    order: Order = BY_CODE,
) -> tuple[list[Schedule], int]:
    """The municipality's shared schedules and those of the actor's units, sorted by
    ``order`` (a key of :data:`SCHEDULE_SORTS`; by code unless asked)."""
    stmt = sorted_by(
        shared_or_scoped(select(Schedule), Schedule, actor, READ),
        SCHEDULE_SORTS,
        order,
        tiebreak=Schedule.id,
    )
    if q:
        stmt = stmt.where(contains(q, Schedule.name, Schedule.code))
    if holiday_mode is not None:
        stmt = stmt.where(Schedule.holiday_mode == holiday_mode)
    return page(session, stmt, limit, offset)


def get_schedule(session: Session, actor: Actor, schedule_id: uuid.UUID) -> Schedule:
    """One shared or own schedule."""
    return get_shared_or_scoped(session, actor, Schedule, schedule_id, READ, "schedule")


def _check_calendar(session: Session, actor: Actor, calendar_id: uuid.UUID | None) -> None:
    if calendar_id is None:
        return
    stmt = select(HolidayCalendar.id).where(
        HolidayCalendar.id == calendar_id, HolidayCalendar.tenant_id == tenant_of(actor)
    )
    if session.execute(stmt).first() is None:
        raise NotFound(
            f"holiday_calendar_id: no holiday calendar {calendar_id}", field="holiday_calendar_id"
        )


def create_schedule(session: Session, actor: Actor, data: ScheduleCreate) -> Schedule:
    """Create a schedule, shared (no unit; system owner) or owned by one of the actor's units."""
    tenant = tenant_of(actor)
    check_unit_in_scope(session, actor, WRITE, data.org_unit_id, field="org_unit_id")
    intervals = normalised_intervals(data.intervals)
    _check_calendar(session, actor, data.holiday_calendar_id)
    code_free(session, Schedule, tenant, data.code, None)
    values = data.model_dump(exclude={"intervals"})
    schedule = Schedule(tenant_id=tenant, intervals=intervals, **values)
    session.add(schedule)
    flush_or_conflict(session, "schedule")
    changed(
        session,
        action="schedule.create",
        obj=schedule,
        text=schedule.name,
        before=None,
        entity="schedule",
    )
    return schedule


def update_schedule(
    session: Session, actor: Actor, schedule_id: uuid.UUID, data: ScheduleUpdate
) -> Schedule:
    """Change a schedule's intervals, holiday rule or calendar, name or code."""
    schedule = get_in_scope(session, actor, Schedule, schedule_id, WRITE, "schedule")
    before = snapshot(schedule)
    changes = data.model_dump(exclude_unset=True, exclude={"intervals"})
    if data.intervals is not None:
        changes["intervals"] = normalised_intervals(data.intervals)
    if "holiday_calendar_id" in changes:
        _check_calendar(session, actor, changes["holiday_calendar_id"])
    if changes.get("code"):
        code_free(session, Schedule, schedule.tenant_id, changes["code"], schedule.id)
    apply(schedule, changes, required=("code", "name", "intervals", "holiday_mode"))
    flush_or_conflict(session, "schedule")
    changed(
        session,
        action="schedule.update",
        obj=schedule,
        text=schedule.name,
        before=before,
        entity="schedule",
    )
    return schedule


def delete_schedule(session: Session, actor: Actor, schedule_id: uuid.UUID) -> None:
    """Remove a schedule no profile or door uses."""
    schedule = get_in_scope(session, actor, Schedule, schedule_id, WRITE, "schedule")
    used = session.scalar(
        select(func.count()).where(AccessProfile.schedule_id == schedule.id)
    ) or session.scalar(select(func.count()).where(Door.unlock_schedule_id == schedule.id))
    if used:
        raise Conflict(f"schedule '{schedule.name}' is used by profiles or doors").said(
            N_("The schedule %(name)s is used by profiles or doors."), name=schedule.name
        )
    before = snapshot(schedule)
    session.delete(schedule)
    flush_or_conflict(session, "schedule")
    changed(
        session,
        action="schedule.delete",
        obj=schedule,
        text=schedule.name,
        before=before,
        entity="schedule",
        deleted=True,
    )


# --- holiday calendars ---------------------------------------------------------------------


def _local_days(days: list[LocalDay]) -> list[dict[str, str]]:
    return sorted(
        ({"date": d.date.isoformat(), "name": d.name} for d in days), key=lambda d: d["date"]
    )


def list_calendars(
    session: Session, actor: Actor, *, limit: int, offset: int
) -> tuple[list[HolidayCalendar], int]:
    """The municipality's holiday calendars, by code."""
    stmt = tenant_wide(select(HolidayCalendar), HolidayCalendar, actor, READ).order_by(
        HolidayCalendar.code, HolidayCalendar.id
    )
    return page(session, stmt, limit, offset)


def get_calendar(session: Session, actor: Actor, calendar_id: uuid.UUID) -> HolidayCalendar:
    """One holiday calendar of the municipality."""
    return get_tenant_wide(session, actor, HolidayCalendar, calendar_id, READ, "holiday calendar")


def calendar_days(
    session: Session, actor: Actor, calendar_id: uuid.UUID, year: int
) -> list[Holiday]:
    """A calendar's holidays in a year: public ones (if included) and the local days."""
    calendar = get_calendar(session, actor, calendar_id)
    return resolve(calendar.include_public, calendar.local_days, year, calendar.recurring_days)


def create_calendar(session: Session, actor: Actor, data: HolidayCalendarCreate) -> HolidayCalendar:
    """Create a holiday calendar (the whole municipality's: system owners only)."""
    whole_municipality(actor, WRITE, "holiday calendars")
    tenant = tenant_of(actor)
    distinct([d.date for d in data.local_days], "local_days")
    code_free(session, HolidayCalendar, tenant, data.code, None)
    calendar = HolidayCalendar(
        tenant_id=tenant,
        code=data.code,
        name=data.name,
        include_public=data.include_public,
        local_days=_local_days(data.local_days),
        recurring_days=[d.stored() for d in data.recurring_days],
    )
    session.add(calendar)
    flush_or_conflict(session, "holiday calendar")
    changed(
        session,
        action="holiday_calendar.create",
        obj=calendar,
        text=calendar.name,
        before=None,
        entity="holiday_calendar",
    )
    return calendar


def update_calendar(
    session: Session, actor: Actor, calendar_id: uuid.UUID, data: HolidayCalendarUpdate
) -> HolidayCalendar:
    """Change a holiday calendar: its local days, whether public holidays count, name, code."""
    whole_municipality(actor, WRITE, "holiday calendars")
    calendar = get_tenant_wide(
        session, actor, HolidayCalendar, calendar_id, WRITE, "holiday calendar"
    )
    before = snapshot(calendar)
    changes = data.model_dump(exclude_unset=True, exclude={"local_days", "recurring_days"})
    if data.local_days is not None:
        distinct([d.date for d in data.local_days], "local_days")
        changes["local_days"] = _local_days(data.local_days)
    if data.recurring_days is not None:
        changes["recurring_days"] = [d.stored() for d in data.recurring_days]
    if changes.get("code"):
        code_free(session, HolidayCalendar, calendar.tenant_id, changes["code"], calendar.id)
    apply(calendar, changes, required=("code", "name", "include_public", "local_days"))
    flush_or_conflict(session, "holiday calendar")
    changed(
        session,
        action="holiday_calendar.update",
        obj=calendar,
        text=calendar.name,
        before=before,
        entity="holiday_calendar",
    )
    return calendar


def delete_calendar(session: Session, actor: Actor, calendar_id: uuid.UUID) -> None:
    """Remove a holiday calendar no schedule uses."""
    whole_municipality(actor, WRITE, "holiday calendars")
    calendar = get_tenant_wide(
        session, actor, HolidayCalendar, calendar_id, WRITE, "holiday calendar"
    )
    if session.scalar(select(func.count()).where(Schedule.holiday_calendar_id == calendar.id)):
        raise Conflict(f"holiday calendar '{calendar.name}' is used by schedules").said(
            N_("The holiday calendar %(name)s is used by schedules."), name=calendar.name
        )
    before = snapshot(calendar)
    session.delete(calendar)
    flush_or_conflict(session, "holiday calendar")
    changed(
        session,
        action="holiday_calendar.delete",
        obj=calendar,
        text=calendar.name,
        before=before,
        entity="holiday_calendar",
        deleted=True,
    )
