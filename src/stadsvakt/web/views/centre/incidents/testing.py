"""Sites in test (/centre/tests): what is in test now, soon and lately, and the form."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.alarms.models import Transmitter
from stadsvakt.api.deps import ServicesDep, SessionDep
from stadsvakt.centre import testmode
from stadsvakt.errors import DomainError
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import FormErrors, clean, is_form_error
from stadsvakt.web.views.centre.incidents.common import (
    form_errors,
    grouped_sites,
    local_input,
    sites,
    utc_from_local,
)

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FIELDS = ("site_id", "transmitter_id", "starts_at", "ends_at", "reason")
OPTIONAL = ("transmitter_id", "starts_at")


def _transmitters(page: Page, session: Session) -> list[tuple[str, str]]:
    assert page.actor is not None
    by_site = {site.id: site.name for site in sites(session, page.actor, "centre.operate")}
    rows = session.execute(
        select(Transmitter)
        .where(Transmitter.site_id.in_(sorted(by_site)))
        .order_by(Transmitter.account)
    ).scalars()
    return [
        (str(row.id), f"{row.account} {row.name or ''} ({by_site[row.site_id]})".replace("  ", " "))
        for row in rows
    ]


def _page(
    page: Page,
    session: Session,
    services: ServicesDep,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    now = services.clock()
    can_set = page.can("centre.operate")
    context = {
        "nav": "centre",
        "centre_nav": "tests",
        "windows": testmode.list_tests(session, page.actor, now=now),
        "values": values,
        "errors": errors or FormErrors(),
        "can_set": can_set,
        "site_groups": grouped_sites(session, page.actor, "centre.operate") if can_set else [],
        "transmitters": _transmitters(page, session) if can_set else [],
        "max_hours": services.settings.centre.test_window_max_hours,
    }
    return page.render("centre/tests.html", context, status=status)


@router.get("/centre/tests")
def tests_page(page: PageDep, session: SessionDep, services: ServicesDep) -> Response:
    """Windows in test now or soon, those ended lately, and (for operators) the form."""
    now = services.clock()
    defaults = {"starts_at": local_input(now)}
    return _page(page, session, services, defaults)


@router.post("/centre/tests", dependencies=[needs("centre.operate")])
def start_test(
    page: PageDep, session: SessionDep, services: ServicesDep, form: FormDep
) -> Response:
    """Put a site or a transmitter in test; errors are shown next to their fields."""
    assert page.actor is not None
    values = clean(form, FIELDS, optional=OPTIONAL)
    for name in ("starts_at", "ends_at"):
        if values.get(name):
            values[name] = utc_from_local(values[name])
    try:
        data = testmode.TestWindowIn.model_validate(values, context=FORM_TEXT)
        testmode.start_test(
            session,
            page.actor,
            data,
            now=services.clock(),
            max_hours=services.settings.centre.test_window_max_hours,
        )
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = form_errors(exc, FIELDS, page).in_order(FIELDS)
        return _page(page, session, services, dict(form), errors, status=422)
    return see_other("/centre/tests?started=1")


@router.post("/centre/tests/{window_id}/end", dependencies=[needs("centre.operate")])
def end_test(
    window_id: uuid.UUID, page: PageDep, session: SessionDep, services: ServicesDep
) -> Response:
    """End a test now."""
    assert page.actor is not None
    testmode.end_test(session, page.actor, window_id, now=services.clock())
    return see_other("/centre/tests?ended=1")
