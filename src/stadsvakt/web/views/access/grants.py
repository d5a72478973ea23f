"""Direct grants: the list and the quick guest grant (person, profile, from, to).

Times in the form are Stockholm wall-clock times (what the administrator sees on
the clock), converted to UTC for storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.access.models import GrantKind
from stadsvakt.access.schemas.profiles import GrantCreate
from stadsvakt.access.services import grants, profiles
from stadsvakt.access.timerules import STOCKHOLM
from stadsvakt.api.deps import SessionDep
from stadsvakt.errors import DomainError, InvalidInput
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, see_other
from stadsvakt.web.forms import FormErrors, is_form_error
from stadsvakt.web.views.access._forms import form_errors

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FIELDS = ("employee_number", "profile_id", "valid_from", "valid_to")


def _render(
    page: Page,
    session: Session,
    *,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    items, total = grants.list_grants(session, page.actor, limit=200, offset=0)
    usable, _ = profiles.list_profiles(session, page.actor, limit=500, offset=0)
    people = [g.person_id for g in items if g.person_id is not None]
    context = {
        "nav": "access",
        "grants": items,
        "total": total,
        "names": grants.names_of(session, people),
        "profile_names": {p.id: p.name for p in usable},
        "profile_choices": [(str(p.id), f"{p.name} ({p.code})") for p in usable],
        "values": values,
        "errors": errors or FormErrors(),
        "zone": STOCKHOLM,
    }
    return page.render("access/grants.html", context, status=status)


def _local(text: str, field: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=STOCKHOLM)
    except ValueError as exc:
        raise InvalidInput(f"{field}: not a date and time", field=field, rule="datetime") from exc


@router.get("/access/grants")
def list_page(page: PageDep, session: SessionDep) -> Response:
    """Grants given by the user's units, and the guest grant form."""
    return _render(page, session, values={})


@router.post("/access/grants")
def create_guest_grant(page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Give a guest a profile for a time window."""
    assert page.actor is not None
    try:
        number = form.get("employee_number", "").strip()
        person = grants.person_in_scope(session, page.actor, number, "grant.write")
        if person is None:
            raise InvalidInput(
                "employee_number: no such person in your scope",
                field="employee_number",
                rule="unknown_person",
            )
        data = GrantCreate(
            profile_id=form.get("profile_id", ""),
            person_id=person.id,
            kind=GrantKind.GUEST,
            valid_from=_local(form.get("valid_from", ""), "valid_from"),
            valid_to=_local(form.get("valid_to", ""), "valid_to"),
        )
        grants.create_grant(session, page.actor, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        return _render(
            page, session, values=form, errors=form_errors(page, exc, FIELDS), status=422
        )
    return see_other("/access/grants?saved=1")
