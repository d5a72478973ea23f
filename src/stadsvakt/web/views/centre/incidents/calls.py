"""The form an operator logs a phone call's incident with (/centre/incidents/new)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.api.deps import ServicesDep, SessionDep
from stadsvakt.auth.scope import require
from stadsvakt.centre.incidents import IncidentCategory, IncidentIn, IncidentType, log_incident
from stadsvakt.centre.texts import category_label
from stadsvakt.errors import DomainError
from stadsvakt.org.models import Site
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import N_, FormErrors, clean, is_form_error
from stadsvakt.web.views.centre.incidents.common import form_errors, grouped_sites, municipalities

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FIELDS = (
    "tenant_id",
    "site_id",
    "address",
    "type",
    "category",
    "priority",
    "caller_name",
    "caller_phone",
    "description",
)
OPTIONAL = ("site_id", "category", "priority")
TYPES: dict[str, str] = {
    IncidentType.DISTURBANCE: N_("Disturbance"),
    IncidentType.TENANT: N_("Tenant's problem"),
    IncidentType.STAFF_THREATENED: N_("Staff threatened"),
    IncidentType.OTHER: N_("Other"),
}


def _form(
    page: Page,
    session: Session,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    context = {
        "nav": "centre",
        "centre_nav": "incidents",
        "values": values,
        "errors": errors or FormErrors(),
        "municipalities": [(str(m.id), m.name) for m in municipalities(session, page.actor)],
        "site_groups": grouped_sites(session, page.actor, "centre.operate"),
        "types": [(value, page._(label)) for value, label in TYPES.items()],
        "categories": [(c.value, category_label(c.value, page.lang)) for c in IncidentCategory],
        "priorities": [(str(n), str(n)) for n in range(1, 10)],
    }
    return page.render("centre/incident_new.html", context, status=status)


@router.get("/centre/incidents/new")
def new_incident(page: PageDep, session: SessionDep) -> Response:
    """The form for logging an incident reported by phone."""
    assert page.actor is not None
    require(page.actor, "centre.operate")
    defaults = {"tenant_id": str(page.actor.tenant_id or ""), "type": IncidentType.DISTURBANCE}
    return _form(page, session, defaults)


@router.post("/centre/incidents/new", dependencies=[needs("centre.operate")])
def create_incident(
    page: PageDep, session: SessionDep, services: ServicesDep, form: FormDep
) -> Response:
    """Log the incident and open its activation; errors are shown next to their fields."""
    assert page.actor is not None
    values = clean(form, FIELDS, optional=OPTIONAL)
    try:
        # A chosen site decides the municipality (the list holds every served one's sites).
        site = session.get(Site, uuid.UUID(values["site_id"])) if values.get("site_id") else None
    except ValueError:
        site = None
    if site is not None:
        values["tenant_id"] = str(site.tenant_id)
    try:
        data = IncidentIn.model_validate(values, context=FORM_TEXT)
        activation = log_incident(session, page.actor, data, now=services.clock())
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = form_errors(exc, FIELDS, page)
        return _form(page, session, dict(form), errors.in_order(FIELDS), status=422)
    return see_other(f"/centre/activations/{activation.id}")
