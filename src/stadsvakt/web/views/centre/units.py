"""The safety centre's pages for field units: the register, the map, the dispatch panel
on an activation's page, and the unit's own phone page (/centre/unit)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.api.deps import ServicesDep, SessionDep
from stadsvakt.centre import dispatch as dispatching
from stadsvakt.centre import positions
from stadsvakt.centre.dispatch import StepRefused, UnitNotAvailable
from stadsvakt.centre.models import Activation, ActivationState
from stadsvakt.centre.queue import activation_title
from stadsvakt.centre.units import service
from stadsvakt.centre.units.maps import map_data
from stadsvakt.centre.units.models import Dispatch, FieldUnit, PositionSource, UnitStatus, UnitType
from stadsvakt.centre.units.schemas import PositionIn, UnitCreate, UnitUpdate
from stadsvakt.errors import Conflict, DomainError, Forbidden, NotFound
from stadsvakt.org.models import Site
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import N_, FormErrors, clean, from_domain, from_validation
from stadsvakt.web.views.centre import panels

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)

UNIT_TYPES: dict[str, str] = {
    UnitType.GUARD: N_("Guard"),
    UnitType.SECURITY_OFFICER: N_("Security officer"),
    UnitType.SAFETY_HOST: N_("Safety host"),
    UnitType.HOME_CARE: N_("Home-care responder"),
}
STATUSES: dict[str, str] = {
    UnitStatus.AVAILABLE: N_("Available"),
    UnitStatus.DISPATCHED: N_("Dispatched"),
    UnitStatus.ON_SITE: N_("On site"),
    UnitStatus.BUSY: N_("Busy"),
    UnitStatus.OFF_DUTY: N_("Off duty"),
}
STEPS: dict[str, str] = {
    "dispatched": N_("Dispatched, not accepted"),
    "accepted": N_("Accepted, on the way"),
    "arrived": N_("On site"),
    "cleared": N_("Cleared"),
    "cancelled": N_("Called off"),
}
FIELDS = ("call_sign", "name", "unit_type", "company", "status", "user_id", "token_id")
OPTIONAL = ("company", "user_id", "token_id")
#: Permissions-Policy of the phone page: its own origin may ask for the position.
PHONE_PERMISSIONS = "camera=(), microphone=(), geolocation=(self), payment=()"


def _labels(page: Page) -> dict[str, Any]:
    return {
        "unit_types": {key: page._(value) for key, value in UNIT_TYPES.items()},
        "statuses": {key: page._(value) for key, value in STATUSES.items()},
        "steps": {key: page._(value) for key, value in STEPS.items()},
    }


def _refusal(page: Page, exc: DomainError) -> str:
    """A refusal in the page's language."""
    if isinstance(exc, UnitNotAvailable):
        status = str(exc.extra.get("unit_status", ""))
        return page._("The unit is %(status)s and cannot be dispatched.") % {
            "status": page._(STATUSES.get(status, status)).lower()
        }
    if isinstance(exc, StepRefused):
        return page._("That step is already done or the dispatch has ended.")
    if exc.extra.get("rule") == "on_dispatch":
        return page._("The unit is on a dispatch: clear it first.")
    if exc.extra.get("rule") == "closed":
        return page._("The activation is closed.")
    return page._("That is not possible now.")


# --- the register ----------------------------------------------------------------------


@router.get("/centre/units")
def units_page(page: PageDep, session: SessionDep) -> Response:
    """Every field unit the user sees, with status and last position."""
    assert page.actor is not None
    units = service.list_units(session, page.actor)
    context = {
        "nav": "centre",
        "centre_nav": "units",
        "units": units,
        "saved": page.request.query_params.get("saved", ""),
        **_labels(page),
    }
    return page.render("centre/units.html", context)


def _form(
    page: Page,
    *,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    unit: FieldUnit | None = None,
    status: int = 200,
) -> Response:
    labels = _labels(page)
    context = {
        "nav": "centre",
        "centre_nav": "units",
        "values": values,
        "errors": errors or FormErrors(),
        "unit": unit,
        "type_choices": [("", page._("Choose a type"))] + list(labels["unit_types"].items()),
        "status_choices": [
            (key, label)
            for key, label in labels["statuses"].items()
            if key in service.MANUAL_STATUSES
        ],
    }
    return page.render("centre/units_form.html", context, status=status)


def _values(unit: FieldUnit) -> dict[str, str]:
    return {
        "call_sign": unit.call_sign,
        "name": unit.name,
        "unit_type": unit.unit_type.value,
        "company": unit.company or "",
        "status": unit.status.value,
        "user_id": str(unit.user_id or ""),
        "token_id": str(unit.token_id or ""),
    }


@router.get("/centre/units/new")
def new_unit_page(page: PageDep) -> Response:
    """The form for a new field unit (``centre.admin``)."""
    if not page.can("centre.admin"):
        raise NotFound("page not found")
    return _form(page, values={"status": UnitStatus.OFF_DUTY.value})


def _save_errors(page: Page, exc: ValidationError | DomainError) -> FormErrors:
    if isinstance(exc, ValidationError):
        return from_validation(exc, FIELDS, page._)
    errors = FormErrors()
    if exc.extra.get("rule") == "unique":
        errors.add("call_sign", page._("Another unit has this call sign."), FIELDS)
        return errors
    if exc.extra.get("rule") == "exists":
        field = str(exc.extra.get("errors", [{}])[0].get("field", ""))
        errors.add(field, page._("No such user or token in the municipality."), FIELDS)
        return errors
    return from_domain(exc, FIELDS, page._)


@router.post("/centre/units/new", dependencies=[needs("centre.admin")])
def create_unit(page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Register a field unit; errors are shown by their fields."""
    assert page.actor is not None
    try:
        data = UnitCreate.model_validate(clean(form, FIELDS, optional=OPTIONAL), context=FORM_TEXT)
        service.create_unit(session, page.actor, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, NotFound | Forbidden):
            raise
        session.rollback()
        return _form(page, values=form, errors=_save_errors(page, exc), status=422)
    return see_other("/centre/units?saved=1")


@router.get("/centre/units/{unit_id}/edit")
def edit_unit_page(unit_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """The form for changing a field unit (``centre.admin``)."""
    assert page.actor is not None
    unit = service.get_unit(session, page.actor, unit_id, "centre.admin")
    return _form(page, values=_values(unit), unit=unit)


@router.post("/centre/units/{unit_id}/edit", dependencies=[needs("centre.admin")])
def edit_unit(unit_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Change a field unit; its status is set on the list or by its phone."""
    assert page.actor is not None
    unit = service.get_unit(session, page.actor, unit_id, "centre.admin")
    names = tuple(name for name in FIELDS if name != "status")
    try:
        data = UnitUpdate.model_validate(clean(form, names, optional=OPTIONAL), context=FORM_TEXT)
        service.update_unit(session, page.actor, unit_id, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, NotFound | Forbidden):
            raise
        session.rollback()
        return _form(page, values=form, errors=_save_errors(page, exc), unit=unit, status=422)
    return see_other("/centre/units?saved=1")


@router.post("/centre/units/{unit_id}/delete", dependencies=[needs("centre.admin")])
def delete_unit(unit_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Remove a field unit (refused while it is on a dispatch)."""
    assert page.actor is not None
    try:
        service.delete_unit(session, page.actor, unit_id)
    except Conflict:
        session.rollback()
        return see_other("/centre/units?saved=busy")
    return see_other("/centre/units?saved=deleted")


@router.post("/centre/units/{unit_id}/status", dependencies=[needs("centre.operate")])
def unit_status(unit_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Set a unit available, busy or off duty from the list (``centre.operate``)."""
    assert page.actor is not None
    chosen = form.get("status", "")
    if chosen not in {s.value for s in service.MANUAL_STATUSES}:
        return see_other("/centre/units")
    try:
        service.set_status(session, page.actor, unit_id, UnitStatus(chosen))
    except Conflict:
        session.rollback()
        return see_other("/centre/units?saved=busy")
    return see_other("/centre/units?saved=status")


# --- the map ---------------------------------------------------------------------------


@router.get("/centre/map")
def map_page(page: PageDep, session: SessionDep, services: ServicesDep) -> Response:
    """Units and sites with open activations on a map, and the same as tables."""
    assert page.actor is not None
    settings = services.settings.centre
    data = positions_map(session, page)
    context = {
        "nav": "centre",
        "centre_nav": "map",
        "data": data,
        "tile_url": settings.map_tile_url,
        "tile_attribution": settings.map_tile_attribution,
        **_labels(page),
    }
    response = page.render("centre/map.html", context)
    # The composition root builds the policy that lets the tile server's images in.
    policy = getattr(page.request.app.state, "map_policy", None)
    if isinstance(policy, str):
        response.headers["Content-Security-Policy"] = policy
    return response


def positions_map(session: Session, page: Page) -> Any:
    """The map's data for the page's user (the same as ``GET /api/v1/centre/map``)."""
    assert page.actor is not None
    return map_data(session, page.actor, lang=page.lang)


# --- the dispatch panel on an activation's page ----------------------------------------


def dispatch_panel(session: Session, page: Page, activation: Activation) -> panels.Part | None:
    """Suggested units nearest first, dispatch buttons, and the activation's dispatches."""
    actor = page.actor
    if actor is None or not actor.can("centre.read"):
        return None
    query = page.request.query_params
    chosen = query.get("unit_type", "")
    unit_type = UnitType(chosen) if chosen in set(UnitType) else None
    operate = actor.can("centre.operate") and activation.state is not ActivationState.CLOSED
    found = dispatching.suggest(session, actor, activation, unit_type) if operate else []
    rows = dispatching.dispatches_of(session, actor, activation.id)
    notice = query.get("dispatch", "")
    context = {
        "suggestions": found,
        "dispatches": rows,
        "operate": operate,
        "unit_type": chosen,
        "dispatch_notice": notice,
        "dispatch_refusal": query.get("refusal", "") if notice == "refused" else "",
        **_labels(page),
    }
    return panels.Part("centre/_dispatch.html", context, order=40)


panels.register(dispatch_panel)


def _back(activation_id: uuid.UUID, **params: str) -> Response:
    query = urlencode({key: value for key, value in params.items() if value})
    return see_other(f"/centre/activations/{activation_id}?{query}#dispatch")


@router.post("/centre/dispatches", dependencies=[needs("centre.operate")])
def dispatch_unit(page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Send a unit from the panel; back to the activation with what happened."""
    assert page.actor is not None
    try:
        activation_id = uuid.UUID(form.get("activation_id", ""))
        unit_id = uuid.UUID(form.get("unit_id", ""))
    except ValueError as exc:
        raise NotFound("no such activation or unit") from exc
    try:
        dispatching.dispatch(session, page.actor, activation_id, unit_id)
    except Conflict as exc:
        session.rollback()
        return _back(activation_id, dispatch="refused", refusal=_refusal(page, exc))
    return _back(activation_id, dispatch="sent")


@router.post("/centre/dispatches/{dispatch_id}/cancel", dependencies=[needs("centre.operate")])
def cancel_dispatch(dispatch_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Call a unit off from the panel."""
    assert page.actor is not None
    row = dispatching.get_dispatch(session, page.actor, dispatch_id)
    try:
        dispatching.cancel(session, page.actor, dispatch_id)
    except Conflict as exc:
        session.rollback()
        return _back(row.activation_id, dispatch="refused", refusal=_refusal(page, exc))
    return _back(row.activation_id, dispatch="cancelled")


# --- the unit's phone page -------------------------------------------------------------


def _job(session: Session, job: Dispatch | None, lang: str) -> dict[str, Any]:
    if job is None:
        return {
            "job": None,
            "job_activation": None,
            "job_title": "",
            "job_site": None,
            "map_link": "",
        }
    activation = session.get(Activation, job.activation_id)
    site = session.get(Site, activation.site_id) if activation and activation.site_id else None
    link = map_link(site) if site is not None else ""
    title = activation_title(session, activation, lang) if activation else ""
    return {
        "job": job,
        "job_activation": activation,
        "job_title": title,
        "job_site": site,
        "map_link": link,
    }


@router.get("/centre/unit")
def phone_page(page: PageDep, session: SessionDep) -> Response:
    """The field unit's own page: its assignment and big buttons (works at 360 px)."""
    assert page.actor is not None
    unit = service.own_unit(session, page.actor)
    job = dispatching.current_job(session, unit) if unit is not None else None
    context = {
        "nav": "centre-unit",
        "unit": unit,
        "done": page.request.query_params.get("done", ""),
        "refusal": page.request.query_params.get("refusal", ""),
        "manual_statuses": [
            s.value for s in (UnitStatus.AVAILABLE, UnitStatus.BUSY, UnitStatus.OFF_DUTY)
        ],
        **_job(session, job, page.lang),
        **_labels(page),
    }
    response = page.render("centre/unit_phone.html", context, status=200 if unit else 404)
    response.headers["Permissions-Policy"] = PHONE_PERMISSIONS
    return response


@router.get("/centre/unit/state")
def phone_state(page: PageDep, session: SessionDep) -> JSONResponse:
    """What the phone page polls: the unit's current assignment and status."""
    assert page.actor is not None
    unit = service.own_unit(session, page.actor)
    if unit is None:
        raise NotFound("this login is not a field unit")
    job = dispatching.current_job(session, unit)
    return JSONResponse({"job": str(job.id) if job else None, "status": unit.status.value})


def _phone_back(**params: str) -> Response:
    query = urlencode({key: value for key, value in params.items() if value})
    return see_other("/centre/unit" + (f"?{query}" if query else ""))


@router.post("/centre/unit/{step}", dependencies=[needs("unit.report")])
def phone_step(step: str, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Accept, arrive, clear, a status or a position from the phone page."""
    assert page.actor is not None
    unit = service.own_unit(session, page.actor)
    if unit is None:
        raise NotFound("this login is not a field unit")
    try:
        if step in ("accept", "arrive", "clear"):
            job_id = uuid.UUID(form.get("dispatch_id", ""))
            getattr(dispatching, step)(session, page.actor, job_id)
        elif step == "status" and form.get("status") in {s.value for s in service.MANUAL_STATUSES}:
            service.set_status(session, page.actor, unit.id, UnitStatus(form["status"]))
        elif step == "position":
            data = PositionIn.model_validate(
                clean(
                    form,
                    ("latitude", "longitude", "accuracy_m"),
                    optional=("accuracy_m",),
                    decimal=("latitude", "longitude", "accuracy_m"),
                ),
                context=FORM_TEXT,
            )
            source = (
                PositionSource.PHONE if form.get("source") == "phone" else PositionSource.MANUAL
            )
            positions.report_position(session, page.actor, unit.id, data, source)
        else:
            raise NotFound("no such step")
    except (ValueError, ValidationError) as exc:
        if isinstance(exc, ValidationError):
            session.rollback()
            return _phone_back(
                refusal=page._("Give the position as two numbers, for example 55.605 and 13.004.")
            )
        raise NotFound("no such dispatch") from exc
    except Conflict as exc:
        session.rollback()
        return _phone_back(refusal=_refusal(page, exc))
    return _phone_back(done=step)


def map_link(site: Site) -> str:
    """An OpenStreetMap link to a site, for the phone's own map or navigation app."""
    lat, lon = f"{site.latitude:.6f}", f"{site.longitude:.6f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
