"""The municipalities a centre serves (/centre/served): the list, adding by code, removing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.api.deps import SessionDep
from stadsvakt.centre import served
from stadsvakt.errors import DomainError
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import FormErrors, clean, is_form_error
from stadsvakt.web.views.centre.incidents.common import form_errors

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FIELDS = ("code",)


def _page(
    page: Page,
    session: Session,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    manage = page.can("centre.admin") and page.actor.scope("centre.admin") is None
    context = {
        "nav": "centre",
        "centre_nav": "served",
        "rows": served.list_served(session, page.actor),
        "values": values,
        "errors": errors or FormErrors(),
        "manage": manage,
    }
    return page.render("centre/served.html", context, status=status)


@router.get("/centre/served")
def served_page(page: PageDep, session: SessionDep) -> Response:
    """The municipalities this centre serves; a system owner adds and removes them."""
    return _page(page, session, {})


@router.post("/centre/served", dependencies=[needs("centre.admin")])
def add_served(page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Serve a municipality by its code."""
    assert page.actor is not None
    try:
        data = served.ServedIn.model_validate(clean(form, FIELDS), context=FORM_TEXT)
        served.add_served(session, page.actor, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = form_errors(exc, FIELDS, page)
        if isinstance(exc, DomainError) and exc.code == "not_found":
            errors = FormErrors()
            errors.add("code", page._("No municipality has this code."), FIELDS)
        elif isinstance(exc, DomainError) and exc.code == "conflict":
            errors = FormErrors()
            errors.add("code", page._("This municipality is already served."), FIELDS)
        return _page(page, session, dict(form), errors, status=422)
    return see_other("/centre/served?added=1")


@router.post("/centre/served/{served_id}/remove", dependencies=[needs("centre.admin")])
def remove_served(served_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Stop serving a municipality."""
    assert page.actor is not None
    served.remove_served(session, page.actor, served_id)
    return see_other("/centre/served?removed=1")
