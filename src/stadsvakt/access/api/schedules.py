"""Routes for schedules and holiday calendars."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from stadsvakt.access.api._shared import Search, to_page
from stadsvakt.access.schemas.schedules import (
    HolidayCalendarCreate,
    HolidayCalendarOut,
    HolidayCalendarUpdate,
    HolidayOut,
    HolidayYearOut,
    ScheduleCreate,
    ScheduleOut,
    ScheduleUpdate,
)
from stadsvakt.access.services import schedules as service
from stadsvakt.api.deps import ActorDep, PagingDep, SessionDep
from stadsvakt.bounds import EARLIEST, LATEST
from stadsvakt.org.schemas import Page

router = APIRouter(tags=["access model"])


@router.get("/schedules", response_model=Page[ScheduleOut])
def list_schedules(
    session: SessionDep, actor: ActorDep, paging: PagingDep, q: Search = None
) -> Page[ScheduleOut]:
    """Shared schedules and those of the caller's units."""
    rows = service.list_schedules(session, actor, limit=paging.limit, offset=paging.offset, q=q)
    return to_page(rows, paging, ScheduleOut.model_validate)


@router.post("/schedules", response_model=ScheduleOut, status_code=status.HTTP_201_CREATED)
def create_schedule(data: ScheduleCreate, session: SessionDep, actor: ActorDep) -> ScheduleOut:
    """Create a schedule; impossible intervals are refused naming the interval and rule."""
    return ScheduleOut.model_validate(service.create_schedule(session, actor, data))


@router.get("/schedules/{schedule_id}", response_model=ScheduleOut)
def get_schedule(schedule_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> ScheduleOut:
    """One schedule."""
    return ScheduleOut.model_validate(service.get_schedule(session, actor, schedule_id))


@router.patch("/schedules/{schedule_id}", response_model=ScheduleOut)
def update_schedule(
    schedule_id: uuid.UUID, data: ScheduleUpdate, session: SessionDep, actor: ActorDep
) -> ScheduleOut:
    """Change a schedule (intervals are replaced whole)."""
    return ScheduleOut.model_validate(service.update_schedule(session, actor, schedule_id, data))


@router.delete("/schedules/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_schedule(schedule_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Remove an unused schedule."""
    service.delete_schedule(session, actor, schedule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/holiday-calendars", response_model=Page[HolidayCalendarOut])
def list_calendars(
    session: SessionDep, actor: ActorDep, paging: PagingDep
) -> Page[HolidayCalendarOut]:
    """The municipality's holiday calendars."""
    rows = service.list_calendars(session, actor, limit=paging.limit, offset=paging.offset)
    return to_page(rows, paging, HolidayCalendarOut.model_validate)


@router.post(
    "/holiday-calendars", response_model=HolidayCalendarOut, status_code=status.HTTP_201_CREATED
)
def create_calendar(
    data: HolidayCalendarCreate, session: SessionDep, actor: ActorDep
) -> HolidayCalendarOut:
    """Create a holiday calendar."""
    return HolidayCalendarOut.model_validate(service.create_calendar(session, actor, data))


@router.get("/holiday-calendars/{calendar_id}", response_model=HolidayCalendarOut)
def get_calendar(
    calendar_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> HolidayCalendarOut:
    """One holiday calendar."""
    return HolidayCalendarOut.model_validate(service.get_calendar(session, actor, calendar_id))


@router.get("/holiday-calendars/{calendar_id}/days", response_model=HolidayYearOut)
def calendar_days(
    calendar_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    year: Annotated[int, Query(ge=EARLIEST.year, le=LATEST.year, description="Calendar year")],
) -> HolidayYearOut:
    """The calendar's holidays in a year: Swedish public holidays (if included) and local days."""
    days = service.calendar_days(session, actor, calendar_id, year)
    return HolidayYearOut(
        calendar_id=calendar_id,
        year=year,
        days=[HolidayOut(date=d.date, name=d.name, source=d.source) for d in days],
    )


@router.patch("/holiday-calendars/{calendar_id}", response_model=HolidayCalendarOut)
def update_calendar(
    calendar_id: uuid.UUID, data: HolidayCalendarUpdate, session: SessionDep, actor: ActorDep
) -> HolidayCalendarOut:
    """Change a holiday calendar (local days are replaced whole)."""
    return HolidayCalendarOut.model_validate(
        service.update_calendar(session, actor, calendar_id, data)
    )


@router.delete("/holiday-calendars/{calendar_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_calendar(calendar_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Remove an unused holiday calendar."""
    service.delete_calendar(session, actor, calendar_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
