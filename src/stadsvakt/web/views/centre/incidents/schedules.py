"""Planned visits' schedules (/centre/tasks): the list, a form to add or change one."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.api.deps import SessionDep
from stadsvakt.auth.scope import require
from stadsvakt.centre import tasks
from stadsvakt.errors import DomainError
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import N_, FormErrors, clean, is_form_error
from stadsvakt.web.views.centre.incidents.common import form_errors, grouped_sites

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FIELDS = (
    "reference",
    "site_id",
    "address",
    "cameras",
    "times",
    "weekdays",
    "valid_from",
    "valid_to",
    "note",
    "active",
)
OPTIONAL = ("site_id", "valid_to")
WEEKDAYS = (
    ("1", N_("Monday")),
    ("2", N_("Tuesday")),
    ("3", N_("Wednesday")),
    ("4", N_("Thursday")),
    ("5", N_("Friday")),
    ("6", N_("Saturday")),
    ("7", N_("Sunday")),
)


async def _weekdays(request: Request) -> list[str]:
    """The ticked weekday boxes (a field that repeats, which FormDep keeps only once)."""
    form = await request.form()  # parsed already by FormDep, within its limits
    return [str(value) for value in form.getlist("weekdays")][:7]


DaysDep = Annotated[list[str], Depends(_weekdays)]


def _values_of(row: tasks.TaskSchedule) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "site_id": str(row.site_id) if row.site_id else "",
        "address": row.address,
        "cameras": row.cameras,
        "times": ", ".join(row.times),
        "weekdays": [str(day) for day in row.weekdays],
        "valid_from": row.valid_from.isoformat(),
        "valid_to": row.valid_to.isoformat() if row.valid_to else "",
        "note": row.note,
        "active": "true" if row.active else "false",
    }


def _input(form: Mapping[str, str], days: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = clean(form, FIELDS, optional=OPTIONAL)
    values["times"] = [
        t.strip() for t in form.get("times", "").replace(";", ",").split(",") if t.strip()
    ]
    values["weekdays"] = days
    values["active"] = form.get("active", "true") == "true"
    for name in ("address", "cameras", "note"):
        values.setdefault(name, "")
    return values


def _form(
    page: Page,
    session: Session,
    values: Mapping[str, Any],
    *,
    schedule_id: uuid.UUID | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    context = {
        "nav": "centre",
        "centre_nav": "tasks",
        "values": values,
        "errors": errors or FormErrors(),
        "schedule_id": schedule_id,
        "site_groups": grouped_sites(session, page.actor, "centre.admin"),
        "weekdays": [(value, page._(label)) for value, label in WEEKDAYS],
    }
    return page.render("centre/tasks_form.html", context, status=status)


@router.get("/centre/tasks")
def schedules_page(page: PageDep, session: SessionDep) -> Response:
    """The schedules of planned camera supervision visits."""
    assert page.actor is not None
    rows = tasks.list_schedules(session, page.actor)
    context = {
        "nav": "centre",
        "centre_nav": "tasks",
        "rows": rows,
        "weekdays": {int(value): page._(label) for value, label in WEEKDAYS},
    }
    return page.render("centre/tasks.html", context)


@router.get("/centre/tasks/new")
def new_schedule(page: PageDep, session: SessionDep) -> Response:
    """The form for a new schedule."""
    assert page.actor is not None
    require(page.actor, "centre.admin")
    defaults = {
        "times": "23:00, 02:00, 05:00",
        "weekdays": [v for v, _ in WEEKDAYS],
        "active": "true",
    }
    return _form(page, session, defaults)


def _save(
    page: Page,
    session: Session,
    form: Mapping[str, str],
    days: list[str],
    schedule_id: uuid.UUID | None,
) -> Response:
    assert page.actor is not None
    try:
        data = tasks.ScheduleIn.model_validate(_input(form, days), context=FORM_TEXT)
        if schedule_id is None:
            tasks.create_schedule(session, page.actor, data)
        else:
            tasks.update_schedule(session, page.actor, schedule_id, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = form_errors(exc, FIELDS, page).in_order(FIELDS)
        kept = {**form, "weekdays": days}
        return _form(page, session, kept, schedule_id=schedule_id, errors=errors, status=422)
    return see_other("/centre/tasks?saved=1")


@router.post("/centre/tasks/new", dependencies=[needs("centre.admin")])
def create_schedule(page: PageDep, session: SessionDep, form: FormDep, days: DaysDep) -> Response:
    """Save a new schedule."""
    return _save(page, session, form, days, None)


@router.get("/centre/tasks/{schedule_id}")
def edit_schedule(schedule_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """The form for changing a schedule."""
    assert page.actor is not None
    row = tasks.get_schedule(session, page.actor, schedule_id, "centre.admin")
    return _form(page, session, _values_of(row), schedule_id=row.id)


@router.post("/centre/tasks/{schedule_id}", dependencies=[needs("centre.admin")])
def update_schedule(
    schedule_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep, days: DaysDep
) -> Response:
    """Save a changed schedule."""
    return _save(page, session, form, days, schedule_id)


@router.post("/centre/tasks/{schedule_id}/delete", dependencies=[needs("centre.admin")])
def delete_schedule(schedule_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Remove a schedule."""
    assert page.actor is not None
    tasks.delete_schedule(session, page.actor, schedule_id)
    return see_other("/centre/tasks?deleted=1")
