"""Zones and doors: the paged door list of every site in scope (search, filters by site,
zone and mode, sorting), a chosen site's zones, and forms to add both (the door's zone and
unlock schedule chosen with searchable pickers)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.access.models import DoorMode
from stadsvakt.access.schemas.places import DoorCreate, ZoneCreate
from stadsvakt.access.services import places
from stadsvakt.access.services._common import site_in_scope
from stadsvakt.api.deps import SessionDep
from stadsvakt.errors import DomainError
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import FormErrors, clean, is_form_error
from stadsvakt.web.list_filters import as_uuid, chosen_id
from stadsvakt.web.listing import ListSpec, read_list, with_filters
from stadsvakt.web.views import pick
from stadsvakt.web.views.access._forms import form_errors

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
ZONE_FIELDS = ("code", "name")
DOOR_FIELDS = ("zone_id", "code", "name", "reader_ids", "mode", "unlock_schedule_id")
#: A site's zones drawn under the door list (a site has a handful; a cap, not a page).
SITE_ZONES = 200
LIST = ListSpec(
    path="/access/places",
    sorts=tuple(places.DOOR_SORTS),
    default_sort="site",
    filters={
        "site": chosen_id("site"),
        "zone": chosen_id("zone"),
        "mode": tuple(m.value for m in DoorMode),
    },
)


def _render(
    page: Page,
    session: Session,
    *,
    site_id: uuid.UUID | None = None,
    form: str = "",
    values: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    state = read_list(page.request.query_params, LIST)
    if site_id is not None:  # a refused form: the list shows the form's site
        state = with_filters(state, site=str(site_id))
    site_id, zone_id = as_uuid(state.filters["site"]), as_uuid(state.filters["zone"])
    mode = state.filters["mode"]
    rows, total = places.list_door_rows(
        session,
        page.actor,
        limit=state.size,
        offset=state.offset,
        site_id=site_id,
        zone_id=zone_id,
        mode=DoorMode(mode) if mode else None,
        q=state.q or None,
        order=state.order,
    )
    site = site_in_scope(session, page.actor, site_id, places.READ) if site_id else None
    zones, zone_total = (
        places.list_zones(session, page.actor, limit=SITE_ZONES, offset=0, site_id=site.id)
        if site is not None
        else ([], 0)
    )
    values = values or {}
    context = {
        "nav": "access",
        "listing": state.result(rows, total),
        "site": site,
        "zones": zones,
        "zone_total": zone_total,
        "chosen_site": pick.chosen(page, session, "sites", state.filters["site"]),
        "chosen_zone": pick.chosen(page, session, "zones", state.filters["zone"]),
        "door_zone": pick.chosen(page, session, "zones", values.get("zone_id", "")),
        "door_schedule": pick.chosen(
            page, session, "schedules", values.get("unlock_schedule_id", "")
        ),
        "empty": FormErrors(),
        "form": form,
        "values": values,
        "errors": errors or FormErrors(),
    }
    return page.render("access/places.html", context, status=status)


@router.get("/access/places")
def places_page(page: PageDep, session: SessionDep) -> Response:
    """Doors in the user's sites, searched, filtered, sorted and paged; with a site chosen,
    its zones and the forms to add a zone or a door."""
    return _render(page, session)


@router.post("/access/places/{site_id}/zones", dependencies=[needs("access.write")])
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
        return _render(
            page, session, site_id=site_id, form="zone", values=form, errors=errors, status=422
        )
    return see_other(f"/access/places?site={site_id}&saved=1")


@router.post("/access/places/{site_id}/doors", dependencies=[needs("access.write")])
def create_door(site_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Add a door to a zone (the door belongs to the zone's site)."""
    assert page.actor is not None
    try:
        values = clean(form, DOOR_FIELDS, optional=("unlock_schedule_id", "reader_ids"))
        values["reader_ids"] = (values.get("reader_ids") or "").replace(",", " ").split()
        for flag in ("requires_pin", "escape_route"):
            values[flag] = form.get(flag) == "on"
        door = places.create_door(
            session, page.actor, DoorCreate.model_validate(values, context=FORM_TEXT)
        )
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = form_errors(page, exc, DOOR_FIELDS)
        return _render(
            page, session, site_id=site_id, form="door", values=form, errors=errors, status=422
        )
    return see_other(f"/access/places?site={door.site_id}&saved=1")
