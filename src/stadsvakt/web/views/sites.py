"""Sites (fastigheter): the searchable, sortable, paged list, the create form, and a site's
details and edit form (its unit chosen with a searchable picker), with its doors and their
live state (:mod:`stadsvakt.web.views.site_doors`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.access.services import places, schedules, site_rules
from stadsvakt.api.deps import SessionDep
from stadsvakt.auth.scope import require
from stadsvakt.db import utcnow
from stadsvakt.errors import N_, DomainError, InvalidInput
from stadsvakt.org import service
from stadsvakt.org.models import OwnerKind, Site
from stadsvakt.org.schemas import SiteCreate, SiteUpdate
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import FormErrors, clean, from_domain, from_validation, is_form_error
from stadsvakt.web.list_filters import as_uuid, chosen_id
from stadsvakt.web.listing import ListSpec, read_list
from stadsvakt.web.views import pick
from stadsvakt.web.views.site_doors import site_doors

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FIELDS = (
    "code",
    "name",
    "org_unit_id",
    "street",
    "postal_code",
    "city",
    "latitude",
    "longitude",
    "owner_kind",
    "owner_name",
    "owner_contact",
    "owner_email",
    "owner_phone",
)
OPTIONAL = ("org_unit_id", "owner_name", "owner_contact", "owner_email", "owner_phone")
LIST = ListSpec(
    path="/sites",
    sorts=tuple(service.SITE_SORTS),
    default_sort="name",
    filters={"owner": tuple(k.value for k in OwnerKind), "unit": chosen_id("unit")},
)


@router.get("/sites")
def list_sites(page: PageDep, session: SessionDep) -> Response:
    """Sites in the user's scope: search by name, code or street; filter by owner and unit
    (with the units below it); sort; page."""
    assert page.actor is not None
    state = read_list(page.request.query_params, LIST)
    owner, unit = state.filters["owner"], state.filters["unit"]
    sites, total = service.list_sites(
        session,
        page.actor,
        limit=state.size,
        offset=state.offset,
        q=state.q or None,
        owner_kind=OwnerKind(owner) if owner else None,
        within_unit=as_uuid(unit),
        order=state.order,
    )
    context = {
        "nav": "sites",
        "listing": state.result(sites, total),
        "units": service.unit_names(
            session, page.actor, (s.org_unit_id for s in sites if s.org_unit_id)
        ),
        "chosen_unit": pick.chosen(page, session, "units", unit),
    }
    return page.render("sites.html", context)


def _form(
    page: Page,
    session: Session,
    template: str,
    *,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    site: Site | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    unit_id = values.get("org_unit_id", "")
    context: dict[str, Any] = {
        "nav": "sites",
        "site": site,
        "values": values,
        "errors": errors or FormErrors(),
        "chosen_unit": pick.chosen(page, session, "units", unit_id),
        "units": service.unit_names(session, page.actor, [site.org_unit_id])
        if site is not None and site.org_unit_id
        else {},
        "door_rules": site_rules.site_rules(session, site.id) if site is not None else None,
        "calendars": _calendars(page, session) if site is not None else [],
    }
    if site is not None and page.can(places.READ):
        context["door_lines"], context["door_total"] = site_doors(page, session, site.id)
    return page.render(template, context, status=status)


def _calendars(page: Page, session: Session) -> list[tuple[str, str]]:
    """The municipality's holiday calendars to choose the site's doors' one from."""
    assert page.actor is not None
    if not page.can(site_rules.WRITE):
        return []
    found, _ = schedules.list_calendars(session, page.actor, limit=200, offset=0)
    return [(str(c.id), c.name) for c in found]


def _checked(form: Mapping[str, str]) -> SiteCreate:
    values = clean(form, FIELDS, optional=OPTIONAL, decimal=("latitude", "longitude"))
    return SiteCreate.model_validate(values, context=FORM_TEXT)


def _errors(page: Page, exc: ValidationError | DomainError) -> FormErrors:
    if isinstance(exc, ValidationError):
        return from_validation(exc, FIELDS, page._)
    return from_domain(exc, FIELDS, page._)


@router.get("/sites/new")
def new_site_page(page: PageDep, session: SessionDep) -> Response:
    """The form for a new site (the 403 page for a role that may not make one)."""
    assert page.actor is not None
    require(page.actor, "site.write")
    return _form(page, session, "site_new.html", values={"owner_kind": "city", "city": ""})


@router.post("/sites/new", dependencies=[needs("site.write")])
def create_site(page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Create a site; errors are shown next to their fields with the values kept."""
    assert page.actor is not None
    # Refused before the form is read: a role without the right learns that first.
    require(page.actor, "site.write")
    try:
        site = service.create_site(session, page.actor, _checked(form))
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = _errors(page, exc)
        return _form(page, session, "site_new.html", values=form, errors=errors, status=422)
    return see_other(f"/sites/{site.id}?saved=1")


def _values(site: Site) -> dict[str, str]:
    values = {name: getattr(site, name) for name in FIELDS}
    out = {k: "" if v is None else str(v) for k, v in values.items()}
    out["owner_kind"] = site.owner_kind.value
    return out


@router.get("/sites/{site_id}")
def site_page(site_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """A site's details, its owner's contact, and (with the right) its edit form."""
    assert page.actor is not None
    site = service.get_site(session, page.actor, site_id)
    return _form(page, session, "site_detail.html", values=_values(site), site=site)


@router.post("/sites/{site_id}", dependencies=[needs("site.write")])
def update_site(site_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Save a site's changes; errors are shown next to their fields with the values kept."""
    assert page.actor is not None
    # Refused before the form is read: a role without the right learns that first.
    require(page.actor, "site.write")
    try:
        data = SiteUpdate.model_validate(_checked(form).model_dump())
        service.update_site(session, page.actor, site_id, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        site = service.get_site(session, page.actor, site_id)
        errors = _errors(page, exc)
        return _form(
            page, session, "site_detail.html", values=form, errors=errors, site=site, status=422
        )
    return see_other(f"/sites/{site_id}?saved=1")


@router.get("/sites/{site_id}/emergency")
def emergency_page(site_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Confirm setting or ending a site's emergency open (its escape-route doors open)."""
    assert page.actor is not None
    require(page.actor, site_rules.EMERGENCY)
    site = service.get_site(session, page.actor, site_id)
    rules = site_rules.site_rules(session, site_id)
    context = {"nav": "sites", "site": site, "door_rules": rules}
    return page.render("site_emergency.html", context)


@router.post("/sites/{site_id}/emergency", dependencies=[needs(site_rules.EMERGENCY)])
def set_emergency(
    site_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep
) -> Response:
    """Set (``action=open``) or end (``action=end``) a site's emergency open; audited."""
    assert page.actor is not None
    require(page.actor, site_rules.EMERGENCY)
    on = form.get("action") == "open"
    site_rules.set_emergency(session, page.actor, site_id, on=on, at=utcnow())
    return see_other(f"/sites/{site_id}?saved=1")


@router.post("/sites/{site_id}/door-calendar", dependencies=[needs(site_rules.WRITE)])
def set_door_calendar(
    site_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep
) -> Response:
    """Give the site's doors a holiday calendar of their own (empty: each schedule's own)."""
    assert page.actor is not None
    require(page.actor, site_rules.WRITE)
    try:
        chosen = as_uuid(form.get("holiday_calendar_id", "").strip())
    except ValueError as exc:
        raise InvalidInput(
            "holiday_calendar_id: not a calendar id", field="holiday_calendar_id", rule="uuid"
        ).said(N_("Choose one of the municipality's holiday calendars.")) from exc
    site_rules.set_site_calendar(session, page.actor, site_id, chosen)
    return see_other(f"/sites/{site_id}?saved=1")
