"""A door's edit page: its zone (in its own site), name and code, readers, mode and unlock
schedule, unlock times (the ordinary one and the longer one for people who need more time)
and its flags (card and PIN, escape route).

The form carries the door's version (its last change time): a save made from a page that
someone else's change made stale is refused and the page shows the door as it is now.
Changes go through :func:`stadsvakt.access.services.places.update_door` (audited, on the
change feed).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.access.models import Door
from stadsvakt.access.schemas.places import DoorCreate, DoorUpdate
from stadsvakt.access.services import places
from stadsvakt.api.deps import SessionDep
from stadsvakt.auth.scope import require
from stadsvakt.errors import DomainError
from stadsvakt.org.service import get_site
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import N_, FormErrors, clean, is_form_error
from stadsvakt.web.views import pick
from stadsvakt.web.views.access._forms import form_errors

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FIELDS = (
    "zone_id",
    "name",
    "code",
    "reader_ids",
    "mode",
    "unlock_schedule_id",
    "unlock_seconds",
    "extended_unlock_seconds",
    "requires_pin",
    "escape_route",
)
_TEXT = ("zone_id", "name", "code", "reader_ids", "mode", "unlock_schedule_id")
_SECONDS = ("unlock_seconds", "extended_unlock_seconds")
_FLAGS = ("requires_pin", "escape_route")
#: Zones offered for the door (its own site's; a site has a handful).
SITE_ZONES = 200


def _values(door: Door) -> dict[str, str]:
    return {
        "zone_id": str(door.zone_id),
        "name": door.name,
        "code": door.code,
        "reader_ids": " ".join(door.reader_ids),
        "mode": door.mode.value,
        "unlock_schedule_id": str(door.unlock_schedule_id) if door.unlock_schedule_id else "",
        "unlock_seconds": str(door.unlock_seconds),
        "extended_unlock_seconds": str(door.extended_unlock_seconds),
        "requires_pin": "on" if door.requires_pin else "",
        "escape_route": "on" if door.escape_route else "",
        "version": places.door_version(door),
    }


def _render(
    page: Page,
    session: Session,
    door: Door,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    zones, _ = places.list_zones(
        session, page.actor, limit=SITE_ZONES, offset=0, site_id=door.site_id
    )
    context: dict[str, Any] = {
        "nav": "access",
        "door": door,
        "site": get_site(session, page.actor, door.site_id),
        "zones": [(str(z.id), f"{z.name} ({z.code})") for z in zones],
        "door_schedule": pick.chosen(
            page, session, "schedules", values.get("unlock_schedule_id", "")
        ),
        "values": values,
        "errors": errors or FormErrors(),
    }
    return page.render("access/door_edit.html", context, status=status)


@router.get("/access/doors/{door_id}")
def edit_page(door_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """The door's edit form (the 403 page for a role that may not change doors)."""
    assert page.actor is not None
    require(page.actor, places.WRITE)
    door = places.get_door(session, page.actor, door_id)
    return _render(page, session, door, _values(door))


def _whole_seconds(page: Page, form: Mapping[str, str]) -> FormErrors:
    """The unlock times must be whole numbers (the schema then checks 1 to 300)."""
    errors = FormErrors()
    for name in _SECONDS:
        if not form.get(name, "").strip().isdigit():
            errors.fields[name] = page._(N_("Give a whole number of seconds, 1 to 300."))
    return errors


def _update(form: Mapping[str, str]) -> DoorUpdate:
    values = clean(form, (*_TEXT, *_SECONDS), optional=("unlock_schedule_id", "reader_ids"))
    values["reader_ids"] = (values.get("reader_ids") or "").replace(",", " ").split()
    for flag in _FLAGS:
        values[flag] = form.get(flag) == "on"
    for name in _SECONDS:
        if not str(values.get(name, "")).isdigit():
            values.pop(name, None)  # refused by _whole_seconds, in words of its own
    # Validated as a whole door first, so an emptied required field is an error.
    whole = DoorCreate.model_validate(values, context=FORM_TEXT)
    return DoorUpdate.model_validate(whole.model_dump())


def _merged(page: Page, first: FormErrors, exc: ValidationError | DomainError) -> FormErrors:
    errors = form_errors(page, exc, FIELDS)
    for name, text in first.fields.items():
        errors.fields.setdefault(name, text)
    return errors.in_order(FIELDS)


@router.post("/access/doors/{door_id}", dependencies=[needs(places.WRITE)])
def save(door_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Save the door, unless it changed since the form was opened (409, shown as it is now);
    every broken rule of the form is shown on its field at once."""
    assert page.actor is not None
    require(page.actor, places.WRITE)
    door = places.get_door(session, page.actor, door_id)
    wrong = _whole_seconds(page, form)
    try:
        data = _update(form)
        if wrong:
            return _render(page, session, door, form, wrong.in_order(FIELDS), status=422)
        places.update_door(session, page.actor, door_id, data, expected=form.get("version", ""))
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        fresh = places.get_door(session, page.actor, door_id)
        errors = _merged(page, wrong, exc)
        if isinstance(exc, DomainError) and exc.extra.get("rule") == "stale":
            # Show the door as it is now (with its new version), the refusal above the form.
            return _render(page, session, fresh, _values(fresh), errors, status=409)
        return _render(page, session, fresh, form, errors, status=422)
    return see_other(f"/sites/{door.site_id}?saved=door#doors-title")
