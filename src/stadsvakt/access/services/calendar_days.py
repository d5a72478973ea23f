"""A holiday calendar's recurring local days, one at a time (the admin UI's add and remove).

A recurring day (återkommande lokal dag: studiedagar, lovdagar) is a yearly month-day range
(``12-23`` to ``01-06`` runs over the new year) or an ISO week, validated by
:class:`~stadsvakt.access.schemas.schedules.RecurringDay`. Each is known by its
:func:`recurring_key` (its span, unique in a calendar), so a removal names the day it
means even if the list changed meanwhile. Every change is audited as the calendar's update
and noted on the access change feed, as :func:`~stadsvakt.access.services.schedules.
update_calendar` does.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy.orm import Session

from stadsvakt.access.models import HolidayCalendar
from stadsvakt.access.schemas.schedules import RecurringDay
from stadsvakt.access.services._common import (
    changed,
    flush_or_conflict,
    get_tenant_wide,
    whole_municipality,
)
from stadsvakt.audit.service import snapshot
from stadsvakt.context import Actor
from stadsvakt.errors import N_, InvalidInput, NotFound

WRITE = "access.write"
#: As many as the API's calendar schema allows.
MAX_RECURRING = 100


def recurring_key(item: Mapping[str, str]) -> str:
    """A recurring day's span as a key: ``w44`` for week 44, ``12-23_01-06`` for a range."""
    if "week" in item:
        return f"w{item['week']}"
    return f"{item.get('start', '')}_{item.get('end', '')}"


def _calendar(session: Session, actor: Actor, calendar_id: uuid.UUID) -> HolidayCalendar:
    whole_municipality(actor, WRITE, "holiday calendars")
    calendar = get_tenant_wide(
        session, actor, HolidayCalendar, calendar_id, WRITE, "holiday calendar"
    )
    # Read again under a row lock: two additions at once must not lose one (the days are
    # one JSON list, read, changed and written whole).
    session.refresh(calendar, with_for_update=True)
    return calendar


def _save(session: Session, calendar: HolidayCalendar, days: list[dict[str, str]]) -> None:
    before = snapshot(calendar)
    calendar.recurring_days = days
    flush_or_conflict(session, "holiday calendar")
    changed(
        session,
        action="holiday_calendar.update",
        obj=calendar,
        text=calendar.name,
        before=before,
        entity="holiday_calendar",
    )


def add_recurring_day(
    session: Session, actor: Actor, calendar_id: uuid.UUID, day: RecurringDay
) -> HolidayCalendar:
    """Add a recurring day to a calendar (system owners); a span the calendar already has is
    refused on its field (``week`` or ``start``, rule ``distinct``)."""
    calendar = _calendar(session, actor, calendar_id)
    stored = day.stored()
    days = list(calendar.recurring_days or [])
    field = "week" if "week" in stored else "start"
    if any(recurring_key(d) == recurring_key(stored) for d in days):
        raise InvalidInput(
            f"{field}: the calendar already has this recurring day", field=field, rule="distinct"
        ).said(N_("The calendar already has a recurring day with these dates."))
    if len(days) >= MAX_RECURRING:
        raise InvalidInput(
            f"name: a calendar has at most {MAX_RECURRING} recurring days",
            field="name",
            rule="too_many",
        ).said(N_("A calendar has at most %(max)s recurring days."), max=MAX_RECURRING)
    _save(session, calendar, [*days, stored])
    return calendar


def remove_recurring_day(
    session: Session, actor: Actor, calendar_id: uuid.UUID, key: str
) -> dict[str, str]:
    """Remove the recurring day with :func:`recurring_key` ``key``; the removed day. A key the
    calendar does not have (removed meanwhile) is 404."""
    calendar = _calendar(session, actor, calendar_id)
    days = list(calendar.recurring_days or [])
    kept = [d for d in days if recurring_key(d) != key]
    if len(kept) == len(days):
        raise NotFound(f"key: no recurring day {key!r} in the calendar").said(
            N_("The calendar has no such recurring day; it may have been removed already.")
        )
    removed = next(d for d in days if recurring_key(d) == key)
    _save(session, calendar, kept)
    return removed


def find_recurring_day(calendar: HolidayCalendar, key: str) -> dict[str, str] | None:
    """The calendar's recurring day with ``key``, or None."""
    return next((d for d in calendar.recurring_days or [] if recurring_key(d) == key), None)
