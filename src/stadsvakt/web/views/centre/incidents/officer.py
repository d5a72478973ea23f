"""The situation picture (/centre/situation) and informing the officer on duty (TiB):
the activation page's panel with its form, and the log of who was told what."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.api.deps import ServicesDep, SessionDep
from stadsvakt.centre import situation as picture
from stadsvakt.centre.models import Activation, ActivationState
from stadsvakt.centre.tenancy import visible_activation
from stadsvakt.errors import DomainError, NotFound
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, safe_next, see_other
from stadsvakt.web.forms import FormErrors, clean, is_form_error
from stadsvakt.web.views.centre import panels
from stadsvakt.web.views.centre.incidents.common import form_errors

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
#: The form's fields, named apart from other panels' fields on the activation page.
FIELDS = ("officer_name", "officer_phone", "officer_message")
_SERVICE_FIELDS = ("officer_name", "officer_phone", "message")


def _defaults(page: Page) -> dict[str, str]:
    settings = page.request.app.state.services.settings.centre
    return {
        "officer_name": settings.officer_on_duty_name,
        "officer_phone": settings.officer_on_duty_phone,
    }


def officer_panel(session: Session, page: Page, activation: Activation) -> panels.Part | None:
    """The activation page's part: what the officer on duty was told, and the form."""
    if page.actor is None or not page.can("centre.read"):
        return None
    notices = picture.notices_of(session, page.actor, activation.id)
    context = {
        "officer_activation": activation,
        "officer_notices": notices,
        "officer_values": _defaults(page),
        "officer_errors": FormErrors(),
        "officer_can_inform": page.can("centre.operate")
        and activation.state is not ActivationState.CLOSED,
    }
    return panels.Part("centre/incident_officer.html", context, order=80)


panels.register(officer_panel)


def _error_page(
    page: Page,
    session: Session,
    activation: Activation,
    values: Mapping[str, str],
    errors: FormErrors,
) -> Response:
    assert page.actor is not None
    context = {
        "nav": "centre",
        "centre_nav": "situation",
        "officer_activation": activation,
        "officer_notices": picture.notices_of(session, page.actor, activation.id),
        "officer_values": values,
        "officer_errors": errors,
        "officer_can_inform": True,
    }
    return page.render("centre/incident_officer_form.html", context, status=422)


@router.post("/centre/officer-notices", dependencies=[needs("centre.operate")])
def inform_officer(
    page: PageDep,
    session: SessionDep,
    services: ServicesDep,
    form: FormDep,
) -> Response:
    """Log that the officer on duty was told about the activation; back to its page."""
    assert page.actor is not None
    try:
        activation_id = uuid.UUID(form.get("activation_id", ""))
    except ValueError:
        raise NotFound("activation not found") from None
    try:
        values = clean(form, FIELDS, optional=("officer_phone",))
        values["message"] = values.pop("officer_message", None)
        values["officer_phone"] = values.get("officer_phone") or ""
        data = picture.OfficerNoticeIn.model_validate(
            {k: v for k, v in values.items() if v is not None}, context=FORM_TEXT
        )
        picture.inform_officer(session, page.actor, activation_id, data, now=services.clock())
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        activation = visible_activation(session, page.actor, activation_id)
        found = form_errors(exc, _SERVICE_FIELDS, page)
        errors = FormErrors(
            {("officer_message" if k == "message" else k): v for k, v in found.fields.items()},
            found.general,
        ).in_order(FIELDS)
        return _error_page(page, session, activation, dict(form), errors)
    return see_other(f"/centre/activations/{activation_id}?officer=informed#officer")


@router.post(
    "/centre/officer-notices/{notice_id}/acknowledge", dependencies=[needs("centre.operate")]
)
def acknowledge(
    notice_id: uuid.UUID,
    page: PageDep,
    session: SessionDep,
    services: ServicesDep,
    form: FormDep,
) -> Response:
    """Note that the officer on duty confirmed; back to the page the button was on."""
    assert page.actor is not None
    notice = picture.acknowledge(session, page.actor, notice_id, now=services.clock())
    default = f"/centre/activations/{notice.activation_id}#officer"
    return see_other(safe_next(form.get("next"), default))


@router.get("/centre/situation")
def situation_page(page: PageDep, session: SessionDep, services: ServicesDep) -> Response:
    """Ongoing activations per municipality and area, and the officer on duty's log."""
    assert page.actor is not None
    now = services.clock()
    context = {
        "nav": "centre",
        "centre_nav": "situation",
        "picture": picture.situation(session, page.actor),
        "notices": picture.recent_notices(session, page.actor, now=now),
    }
    return page.render("centre/situation.html", context)
