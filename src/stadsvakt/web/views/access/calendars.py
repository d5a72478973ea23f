"""Holiday calendars (helgkalendrar): the municipality's calendars, and a calendar's page
with its recurring local days (studiedagar, lovdagar), the form adding one and a
confirmation page removing one.

Anyone with ``access.read`` reads them; calendars belong to the whole municipality, so only
a user with ``access.write`` for all of it (a system owner) changes them, through
:mod:`stadsvakt.access.services.calendar_days` (audited, on the change feed).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from stadsvakt.access.models import HolidayCalendar
from stadsvakt.access.services import calendar_days, schedules
from stadsvakt.api.deps import SessionDep
from stadsvakt.auth.scope import require
from stadsvakt.errors import N_, DomainError, NotFound
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import FormErrors, from_domain, is_form_error
from stadsvakt.web.views.access.calendar_words import FIELDS, MONTHS, describe, read_form

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
#: Calendars shown on the list (a municipality has a handful; a cap, not a page).
SHOWN = 200
BASE = "/access/holiday-calendars"


def may_change(page: Page) -> bool:
    """Whether the user changes calendars: ``access.write`` for the whole municipality."""
    return (
        page.actor is not None
        and page.can(calendar_days.WRITE)
        and page.actor.scope(calendar_days.WRITE) is None
    )


@router.get(BASE)
def list_page(page: PageDep, session: SessionDep) -> Response:
    """The municipality's holiday calendars, by code."""
    assert page.actor is not None
    found, total = schedules.list_calendars(session, page.actor, limit=SHOWN, offset=0)
    context = {"nav": "access", "calendars": found, "total": total}
    return page.render("access/calendars.html", context)


def _days(calendar: HolidayCalendar, page: Page) -> list[dict[str, str]]:
    return [
        {
            "name": item.get("name", ""),
            "span": describe(item, page._),
            "key": calendar_days.recurring_key(item),
        }
        for item in calendar.recurring_days or []
    ]


def _render(
    page: Page,
    calendar: HolidayCalendar,
    *,
    values: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "nav": "access",
        "calendar": calendar,
        "days": _days(calendar, page),
        "may_change": may_change(page),
        "values": values or {"kind": "range"},
        "errors": errors or FormErrors(),
        "months": [(str(n), page._(name)) for n, name in enumerate(MONTHS, start=1)],
    }
    return page.render("access/calendar.html", context, status=status)


@router.get(BASE + "/{calendar_id}")
def calendar_page(calendar_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """A calendar's settings and recurring days; the add form for those who may change it."""
    assert page.actor is not None
    return _render(page, schedules.get_calendar(session, page.actor, calendar_id))


@router.post(BASE + "/{calendar_id}/recurring", dependencies=[needs(calendar_days.WRITE)])
def add_day(calendar_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Add a recurring day; errors are shown on their fields with the values kept."""
    assert page.actor is not None
    require(page.actor, calendar_days.WRITE)
    read = read_form(form, page._)
    if isinstance(read, FormErrors):
        calendar = schedules.get_calendar(session, page.actor, calendar_id)
        return _render(page, calendar, values=form, errors=read, status=422)
    try:
        calendar_days.add_recurring_day(session, page.actor, calendar_id, read)
    except DomainError as exc:
        if not is_form_error(exc):
            raise
        session.rollback()
        calendar = schedules.get_calendar(session, page.actor, calendar_id)
        errors = from_domain(exc, FIELDS, page._)
        return _render(page, calendar, values=form, errors=errors, status=422)
    return see_other(f"{BASE}/{calendar_id}?saved=1#recurring-title")


def _chosen(session: Session, page: Page, calendar_id: uuid.UUID, key: str) -> tuple[Any, Any]:
    assert page.actor is not None
    calendar = schedules.get_calendar(session, page.actor, calendar_id)
    item = calendar_days.find_recurring_day(calendar, key)
    if item is None:
        raise NotFound(f"key: no recurring day {key!r}").said(
            N_("The calendar has no such recurring day; it may have been removed already.")
        )
    return calendar, item


@router.get(BASE + "/{calendar_id}/recurring/{key}/remove")
def remove_page(calendar_id: uuid.UUID, key: str, page: PageDep, session: SessionDep) -> Response:
    """Confirm removing a recurring day (the 403 page for a user who may not)."""
    assert page.actor is not None
    require(page.actor, calendar_days.WRITE)
    calendar, item = _chosen(session, page, calendar_id, key)
    context = {
        "nav": "access",
        "calendar": calendar,
        "day": {"name": item.get("name", ""), "span": describe(item, page._), "key": key},
        "may_change": may_change(page),
    }
    return page.render("access/calendar_day_remove.html", context)


@router.post(
    BASE + "/{calendar_id}/recurring/{key}/remove", dependencies=[needs(calendar_days.WRITE)]
)
def remove_day(calendar_id: uuid.UUID, key: str, page: PageDep, session: SessionDep) -> Response:
    """Remove the recurring day; audited."""
    assert page.actor is not None
    require(page.actor, calendar_days.WRITE)
    calendar_days.remove_recurring_day(session, page.actor, calendar_id, key)
    return see_other(f"{BASE}/{calendar_id}?removed=1#recurring-title")
