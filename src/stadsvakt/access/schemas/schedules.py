"""Schemas for schedules and holiday calendars.

Intervals are checked by :mod:`stadsvakt.access.timerules` in the service, so an
impossible schedule is refused with the interval and rule it breaks
(``intervals[1]`` / ``overlap``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from stadsvakt.access.models import HolidayMode
from stadsvakt.bounds import BoundedDate
from stadsvakt.org.schemas import Code, Name
from stadsvakt.schemas import StrictInput, omittable

Time = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
#: An end may also be 24:00, the end of the day.
EndTime = Annotated[str, StringConstraints(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")]


class IntervalIn(StrictInput):
    """One weekly interval: Monday = 0 … Sunday = 6, "holiday", or "eve" (reduced hours on
    the eves before holidays: trettondagsafton, skärtorsdagen, valborgsmässoafton,
    allhelgonaafton); an end at or before the start crosses midnight."""

    day: Annotated[int, Field(ge=0, le=6)] | Literal["holiday", "eve"]
    start: Time
    end: EndTime


Intervals = Annotated[list[IntervalIn], Field(max_length=100)]


class ScheduleCreate(StrictInput):
    code: Code
    name: Name
    org_unit_id: uuid.UUID | None = None
    intervals: Intervals = Field(default_factory=list)
    holiday_mode: HolidayMode = HolidayMode.CLOSED
    holiday_calendar_id: uuid.UUID | None = None


class ScheduleUpdate(StrictInput):
    code: Code | None = omittable()
    name: Name | None = omittable()
    intervals: Intervals | None = omittable()
    holiday_mode: HolidayMode | None = omittable()
    holiday_calendar_id: uuid.UUID | None = None


class ScheduleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    org_unit_id: uuid.UUID | None
    intervals: list[dict[str, Any]]
    holiday_mode: HolidayMode
    holiday_calendar_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class LocalDay(StrictInput):
    """A municipality's own holiday (e.g. a school's study day)."""

    date: BoundedDate
    name: Name


LocalDays = Annotated[list[LocalDay], Field(max_length=400)]

#: A day of any year, month and day: ``12-23``.
MonthDay = Annotated[str, StringConstraints(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")]


class RecurringDay(StrictInput):
    """A local day (or days) every year: a range ``start``–``end`` by month and day (it
    may run over the new year: 12-23 to 01-06), or an ISO ``week`` (44: höstlov)."""

    name: Name
    start: MonthDay | None = None
    end: MonthDay | None = None
    week: Annotated[int, Field(ge=1, le=53)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> RecurringDay:
        if self.week is None and (self.start is None or self.end is None):
            raise ValueError("give start and end (month-day), or week")
        if self.week is not None and (self.start is not None or self.end is not None):
            raise ValueError("give start and end, or week, not both")
        for value in (self.start, self.end):
            if value is not None and value != "02-29":
                date.fromisoformat(f"2023-{value}")  # 04-31 is no day
        return self

    def stored(self) -> dict[str, str]:
        """The form kept in ``holiday_calendars.recurring_days``."""
        if self.week is not None:
            return {"week": str(self.week), "name": self.name}
        return {"start": str(self.start), "end": str(self.end), "name": self.name}


RecurringDays = Annotated[list[RecurringDay], Field(max_length=100)]


class HolidayCalendarCreate(StrictInput):
    code: Code
    name: Name
    include_public: bool = True
    local_days: LocalDays = Field(default_factory=list)
    recurring_days: RecurringDays = Field(default_factory=list)


class HolidayCalendarUpdate(StrictInput):
    code: Code | None = omittable()
    name: Name | None = omittable()
    include_public: bool | None = omittable()
    local_days: LocalDays | None = omittable()
    recurring_days: RecurringDays | None = omittable()


class HolidayCalendarOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    include_public: bool
    local_days: list[dict[str, str]]
    recurring_days: list[dict[str, str]]
    created_at: datetime
    updated_at: datetime


class HolidayOut(BaseModel):
    """One resolved holiday of a year."""

    date: date
    name: str
    source: Literal["public", "local"]


class HolidayYearOut(BaseModel):
    calendar_id: uuid.UUID
    year: int
    days: list[HolidayOut]
