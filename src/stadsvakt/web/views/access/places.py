"""Zones and doors, by site: the site's zones with their doors, and forms to add both."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.access.models import Door, Schedule, Zone
from stadsvakt.access.schemas.places import DoorCreate, ZoneCreate
from stadsvakt.access.services import places, schedules
from stadsvakt.api.deps import SessionDep
from stadsvakt.errors import DomainError
from stadsvakt.org import service as org
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, see_other
from stadsvakt.web.forms import FormErrors, clean, is_form_error
from stadsvakt.web.views.access._forms import form_errors

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
ZONE_FIELDS = ("code", "name")
DOOR_FIELDS = ("zone_id", "code", "name", "reader_ids", "mode", "unlock_schedule_id")


def _render(
    page: Page,
    session: Session,
    site_id: uuid.UUID | None,
    *,
    form: str = "",
    values: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    sites, _ = org.list_sites(session, page.actor, limit=500, offset=0)
    site = next((s for s in sites if s.id == site_id), sites[0] if sites else None)
    zones: list[Zone] = []
    doors: list[Door] = []
    unlock: list[Schedule] = []
    if site is not None:
        zones, _ = places.list_zones(session, page.actor, limit=500, offset=0, site_id=site.id)
        doors, _ = places.list_doors(session, page.actor, limit=500, offset=0, site_id=site.id)
        unlock, _ = schedules.list_schedules(session, page.actor, limit=500, offset=0)
    context = {
        "nav": "access",
        "sites": sites,
        "site": site,
        "zones": zones,
        "doors_by_zone": {z.id: [d for d in doors if d.zone_id == z.id] for z in zones},
        "zone_choices": [(str(z.id), f"{z.name} ({z.code})") for z in zones],
        "schedule_choices": [(str(s.id), f"{s.name} ({s.code})") for s in unlock],
        "empty": FormErrors(),
        "form": form,
        "values": values or {},
        "errors": errors or FormErrors(),
    }
    return page.render("access/places.html", context, status=status)


@router.get("/access/places")
def places_page(
    page: PageDep, session: SessionDep, site: Annotated[uuid.UUID | None, Query()] = None
) -> Response:
    """A site's zones and doors (the first site in scope unless one is chosen)."""
    return _render(page, session, site)


@router.post("/access/places/{site_id}/zones")
def create_zone(site_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Add a zone to the site."""
    assert page.actor is not None
    try:
        data = ZoneCreate.model_validate(
            {**clean(form, ZONE_FIELDS), "site_id": site_id}, context=FORM_TEXT
        )
        places.create_zone(session, page.actor, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = form_errors(page, exc, ZONE_FIELDS)
        return _render(page, session, site_id, form="zone", values=form, errors=errors, status=422)
    return see_other(f"/access/places?site={site_id}&saved=1")


@router.post("/access/places/{site_id}/doors")
def create_door(site_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Add a door to one of the site's zones."""
    assert page.actor is not None
    try:
        values = clean(form, DOOR_FIELDS, optional=("unlock_schedule_id", "reader_ids"))
        values["reader_ids"] = (values.get("reader_ids") or "").replace(",", " ").split()
        places.create_door(
            session, page.actor, DoorCreate.model_validate(values, context=FORM_TEXT)
        )
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = form_errors(page, exc, DOOR_FIELDS)
        return _render(page, session, site_id, form="door", values=form, errors=errors, status=422)
    return see_other(f"/access/places?site={site_id}&saved=1")
