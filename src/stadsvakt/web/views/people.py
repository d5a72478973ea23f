"""People (personer): the searchable list, the new-person form, a person's page (details,
credentials, profiles, grants, training; the edit form, refused when stale), and
deactivation and reactivation, each confirmed on a page that says what happens."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.access.reports.attention import lacking_training
from stadsvakt.api.deps import SessionDep
from stadsvakt.auth.scope import require
from stadsvakt.db import utcnow
from stadsvakt.directory import service
from stadsvakt.directory.models import Person, PersonKind
from stadsvakt.directory.schemas import PersonCreate, PersonUpdate
from stadsvakt.errors import DomainError
from stadsvakt.schemas import FORM_TEXT
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import (
    N_,
    FormErrors,
    clean,
    from_domain,
    from_validation,
    is_form_error,
)
from stadsvakt.web.listing import ListParameterError, ListSpec, read_list
from stadsvakt.web.views import person_sections
from stadsvakt.web.views.access.credential_words import STALE
from stadsvakt.web.views.org_units import unit_choices, visible_tree

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
FIELDS = (
    "given_name",
    "family_name",
    "employee_number",
    "email",
    "kind",
    "org_unit_id",
    "extended_unlock",
)
OPTIONAL = ("employee_number", "email", "org_unit_id")
_STATES = {"active": True, "inactive": False}


def _units(page: Page, session: Session) -> tuple[list[tuple[str, str]], dict[uuid.UUID, str]]:
    if page.actor is None or not page.can("org.read"):
        return [], {}
    tree = visible_tree(session, page.actor)
    return unit_choices(tree), {row.unit.id: row.unit.name for row in tree}


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _unit_filter(text: str) -> str:
    if _uuid(text) is None:
        raise ListParameterError("unit", "uuid", N_("Choose a unit from the list."))
    return text


LIST = ListSpec(
    path="/people",
    sorts=tuple(service.PEOPLE_SORTS),
    default_sort="name",
    filters={"state": tuple(_STATES), "unit": _unit_filter, "training": ("missing",)},
)


@router.get("/people")
def list_people(page: PageDep, session: SessionDep) -> Response:
    """People in the user's scope: search by name, number or e-mail; filter, sort, page."""
    assert page.actor is not None
    state = read_list(page.request.query_params, LIST)
    unit_id = _uuid(state.filters["unit"]) if state.filters["unit"] else None
    among = None
    if state.filters["training"]:
        # People lacking training a right of theirs requires (the dashboard links here).
        require(page.actor, "training.read")
        assert page.actor.tenant_id is not None
        among = lacking_training(session, page.actor.tenant_id, at=utcnow())
    people, total = service.list_people(
        session,
        page.actor,
        limit=state.size,
        offset=state.offset,
        q=state.q or None,
        active=_STATES.get(state.filters["state"]),
        unit_id=unit_id,
        order=state.order,
        among=among,
    )
    choices, names = _units(page, session)
    context = {
        "nav": "people",
        "listing": state.result(people, total),
        "unit_choices": choices,
        "units": names,
    }
    return page.render("people/list.html", context)


def _form(
    page: Page,
    session: Session,
    template: str,
    *,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    person: Person | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    choices, names = _units(page, session)
    context: dict[str, Any] = {
        "nav": "people",
        "person": person,
        "values": values,
        "errors": errors or FormErrors(),
        "unit_choices": choices,
        "units": names,
        "kinds": [k.value for k in PersonKind],
    }
    if person is not None:
        context["assignments"] = service.list_assignments(session, page.actor, person.id)
        if page.can("training.read"):
            context["training"] = service.list_training(
                session, page.actor, limit=100, offset=0, person_id=person.id
            )[0]
        context.update(person_sections.sections(page, session, person))
    return page.render(template, context, status=status)


def _checked(form: Mapping[str, str]) -> dict[str, Any]:
    values = clean(form, FIELDS[:-1], optional=OPTIONAL)
    values["extended_unlock"] = form.get("extended_unlock") == "on"
    return values


def _errors(page: Page, exc: ValidationError | DomainError) -> FormErrors:
    if isinstance(exc, ValidationError):
        return from_validation(exc, FIELDS, page._)
    return from_domain(exc, FIELDS, page._)


@router.get("/people/new")
def new_person_page(page: PageDep, session: SessionDep) -> Response:
    """The form for a new person."""
    kind = "employee" if page.actor and page.actor.scope("person.write") is None else "guest"
    return _form(page, session, "people/new.html", values={"kind": kind})


@router.post("/people/new", dependencies=[needs("person.write")])
def create_person(page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Create a person; errors are shown next to their fields with the values kept."""
    assert page.actor is not None
    try:
        person = service.create_person(
            session, page.actor, PersonCreate.model_validate(_checked(form), context=FORM_TEXT)
        )
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        errors = _errors(page, exc)
        return _form(page, session, "people/new.html", values=form, errors=errors, status=422)
    return see_other(f"/people/{person.id}?saved=1")


def _values(person: Person) -> dict[str, str]:
    return {
        "version": str(person.version),
        "given_name": person.given_name,
        "family_name": person.family_name,
        "employee_number": person.employee_number or "",
        "email": person.email or "",
        "kind": person.kind.value,
        "org_unit_id": str(person.org_unit_id) if person.org_unit_id else "",
        "extended_unlock": "on" if person.extended_unlock else "",
    }


@router.get("/people/{person_id}")
def person_page(person_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """A person's details, assignments and training, and (with the right) the edit form."""
    assert page.actor is not None
    person = service.get_person(session, page.actor, person_id)
    return _form(page, session, "people/detail.html", values=_values(person), person=person)


def _stale(page: Page, person: Person, form: Mapping[str, str]) -> FormErrors | None:
    """A refusal when the person changed since the form showed them (their ``version``)."""
    if form.get("version", "") == str(person.version):
        return None
    errors = FormErrors()
    errors.general.append(page._(STALE))
    return errors


@router.post("/people/{person_id}", dependencies=[needs("person.write")])
def update_person(
    person_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep
) -> Response:
    """Save a person's changes; errors are shown next to their fields with the values kept,
    and a change made from a stale page (someone saved meanwhile) is refused."""
    assert page.actor is not None
    person = service.get_person(session, page.actor, person_id)
    stale = _stale(page, person, form)
    if stale is not None:
        return _form(
            page,
            session,
            "people/detail.html",
            values=form,
            errors=stale,
            person=person,
            status=409,
        )
    try:
        # Validated as a whole person first, so an emptied required field is an error.
        whole = PersonCreate.model_validate(_checked(form), context=FORM_TEXT)
        data = PersonUpdate.model_validate(whole.model_dump(include=set(FIELDS)))
        service.update_person(session, page.actor, person_id, data)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        session.rollback()
        person = service.get_person(session, page.actor, person_id)
        errors = _errors(page, exc)
        return _form(
            page,
            session,
            "people/detail.html",
            values=form,
            errors=errors,
            person=person,
            status=422,
        )
    return see_other(f"/people/{person_id}?saved=1")


@router.get("/people/{person_id}/deactivate")
def deactivate_page(person_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Say what deactivating the person ends, and ask for confirmation."""
    assert page.actor is not None
    require(page.actor, "person.write")
    person = service.get_person(session, page.actor, person_id)
    context = {"nav": "people", "person": person, "ending": person_sections.ending(session, person)}
    return page.render("people/deactivate.html", context)


@router.post("/people/{person_id}/deactivate", dependencies=[needs("person.write")])
def deactivate(person_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Deactivate a person: every assignment, grant and credential ends at once."""
    assert page.actor is not None
    service.deactivate_person(session, page.actor, person_id, reason="deactivated in the web UI")
    return see_other(f"/people/{person_id}?deactivated=1")


@router.get("/people/{person_id}/reactivate")
def reactivate_page(person_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Say what reactivating an inactive person does (and does not bring back)."""
    assert page.actor is not None
    require(page.actor, "person.write")
    person = service.get_person(session, page.actor, person_id)
    return page.render("people/reactivate.html", {"nav": "people", "person": person})


@router.post("/people/{person_id}/reactivate", dependencies=[needs("person.write")])
def reactivate(person_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Mark the person active again; ended assignments, grants and credentials stay ended."""
    assert page.actor is not None
    service.update_person(session, page.actor, person_id, PersonUpdate(active=True))
    return see_other(f"/people/{person_id}?reactivated=1")
