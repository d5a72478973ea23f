"""Schedules: the searchable, sortable, paged list, a weekly grid of a schedule's intervals,
and the form.

Intervals are typed one per line (``mon 07:00-18:00``, ``fri 22:00-06:00``,
``holiday 10:00-14:00``; Swedish day names work too), because a weekly pattern
reads best as text and needs no script.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.access.models import HolidayMode, Schedule
from stadsvakt.access.schemas.schedules import ScheduleCreate, ScheduleUpdate
from stadsvakt.access.services import schedules
from stadsvakt.access.timerules import EVE, HOLIDAY, parse_intervals
from stadsvakt.api.deps import SessionDep
from stadsvakt.errors import DomainError, InvalidInput
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import FormErrors, clean, is_form_error
from stadsvakt.web.listing import ListSpec, read_list
from stadsvakt.web.views.access._forms import form_errors

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
LIST = ListSpec(
    path="/access/schedules",
    sorts=tuple(schedules.SCHEDULE_SORTS),
    default_sort="code",
    filters={"holidays": tuple(m.value for m in HolidayMode)},
)
FIELDS = ("code", "name", "intervals", "holiday_mode")
_DAYS = {
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: i for i, name in enumerate(("mån", "tis", "ons", "tor", "fre", "lör", "sön"))},
    "holiday": "holiday",
    "helgdag": "holiday",
    # Reduced hours on the eves before holidays (trettondagsafton, skärtorsdagen...).
    "eve": "eve",
    "afton": "eve",
}
_LINE = re.compile(r"^\s*(\S+)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")
_SHORT = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_lines(text: str) -> list[dict[str, Any]]:
    """Intervals from the form's lines; a line that cannot be read names its number."""
    out: list[dict[str, Any]] = []
    lines = [line for line in text.splitlines() if line.strip()]
    for number, line in enumerate(lines):
        match = _LINE.match(line)
        word = match.group(1).lower() if match else ""
        day = _DAYS.get(word, _DAYS.get(word[:3]))
        if match is None or day is None:
            raise InvalidInput(
                f"intervals[{number}]: cannot read '{line.strip()}'",
                field=f"intervals[{number}]",
                rule="format",
            )
        start, end = (t.zfill(5) for t in match.group(2, 3))
        out.append({"day": day, "start": start, "end": end})
    return out


def as_lines(intervals: list[dict[str, Any]]) -> str:
    """The stored intervals as the form's lines."""
    return "\n".join(f"{_day_word(d['day'])} {d['start']}-{d['end']}" for d in intervals)


def _day_word(day: int | str) -> str:
    return day if isinstance(day, str) else _SHORT[day]


def week_grid(intervals: list[dict[str, Any]]) -> list[list[bool]]:
    """Per day (Monday … Sunday, then holiday, then eve) and hour: whether any part of the
    hour is open."""
    grid = [[False] * 24 for _ in range(EVE + 1)]
    for interval in parse_intervals(intervals):
        parts = [(interval.day, interval.own_part())]
        spill = interval.spill_part()
        if spill is not None:
            # A holiday's or an eve's night runs into a holiday.
            parts.append((HOLIDAY if interval.day >= HOLIDAY else (interval.day + 1) % 7, spill))
        for day, (start, end) in parts:
            for hour in range(start // 60, (end + 59) // 60):
                grid[day][hour] = True
    return grid


def may_change(page: Page, schedule: Schedule) -> bool:
    """Whether the user may change the schedule: a shared one (no unit) only with the
    permission for the whole municipality (a department admin only uses it)."""
    if page.actor is None or not page.can("access.write"):
        return False
    return schedule.org_unit_id is not None or page.actor.scope("access.write") is None


def _render(
    page: Page,
    session: Session,
    template: str,
    *,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    schedule: Schedule | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    context: dict[str, Any] = {
        "nav": "access",
        "schedule": schedule,
        "grid": week_grid(schedule.intervals) if schedule else None,
        "may_change": may_change(page, schedule) if schedule else page.can("access.write"),
        "values": values,
        "errors": errors or FormErrors(),
    }
    if schedule is None:
        state = read_list(page.request.query_params, LIST)
        mode = state.filters["holidays"]
        items, total = schedules.list_schedules(
            session,
            page.actor,
            limit=state.size,
            offset=state.offset,
            q=state.q or None,
            holiday_mode=HolidayMode(mode) if mode else None,
            order=state.order,
        )
        context["listing"] = state.result(items, total)
    return page.render(template, context, status=status)


def _checked(form: Mapping[str, str]) -> dict[str, Any]:
    values = clean(form, ("code", "name", "holiday_mode"))
    values["intervals"] = parse_lines(form.get("intervals", ""))
    return values


@router.get("/access/schedules")
def list_page(page: PageDep, session: SessionDep) -> Response:
    """Schedules the user may see, and the form for a new one."""
    return _render(page, session, "access/schedules.html", values={"holiday_mode": "closed"})


@router.post("/access/schedules", dependencies=[needs("access.write")])
def create(page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Create a schedule; an impossible interval is shown on the intervals field."""
    assert page.actor is not None
    try:
        created = schedules.create_schedule(
            session, page.actor, ScheduleCreate.model_validate(_checked(form), context=FORM_TEXT)
        )
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = form_errors(page, exc, FIELDS)
        return _render(
            page, session, "access/schedules.html", values=form, errors=errors, status=422
        )
    return see_other(f"/access/schedules/{created.id}?saved=1")


@router.get("/access/schedules/{schedule_id}")
def detail(schedule_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """A schedule's week as a grid, and its edit form."""
    assert page.actor is not None
    schedule = schedules.get_schedule(session, page.actor, schedule_id)
    values = {
        "code": schedule.code,
        "name": schedule.name,
        "holiday_mode": schedule.holiday_mode.value,
        "intervals": as_lines(schedule.intervals),
    }
    return _render(page, session, "access/schedule.html", values=values, schedule=schedule)


@router.post("/access/schedules/{schedule_id}", dependencies=[needs("access.write")])
def update(schedule_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Save a schedule's changes."""
    assert page.actor is not None
    try:
        data = ScheduleUpdate.model_validate(_checked(form), context=FORM_TEXT)
        schedules.update_schedule(session, page.actor, schedule_id, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        schedule = schedules.get_schedule(session, page.actor, schedule_id)
        errors = form_errors(page, exc, FIELDS)
        return _render(
            page,
            session,
            "access/schedule.html",
            values=form,
            errors=errors,
            schedule=schedule,
            status=422,
        )
    return see_other(f"/access/schedules/{schedule_id}?saved=1")
