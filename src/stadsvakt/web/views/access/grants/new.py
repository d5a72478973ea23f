"""New grants, one form per kind: a guest, a contractor, a booking, an employee's extra right.

A guest's or contractor's form either picks an existing guest (contractor) or registers
a new one by name, without an employee number; a booking's contact person likewise (a
new one is registered as a guest). An extra right is only for an existing employee.
Every form asks for the profile, the window (Swedish time), the host and the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.access.models import Grant, GrantKind
from stadsvakt.access.schemas.profiles import GrantCreate
from stadsvakt.access.services import grants
from stadsvakt.access.services.grant_rules import KIND_RULES, KindRule
from stadsvakt.api.deps import SessionDep
from stadsvakt.auth.scope import require
from stadsvakt.directory.models import PersonKind
from stadsvakt.errors import DomainError, NotFound
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import FormErrors, is_form_error
from stadsvakt.web.views import pick
from stadsvakt.web.views.access.grants._common import RULES, errors_of, when

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
WRITE = "grant.write"
FIELDS = (
    "person_id",
    "given_name",
    "family_name",
    "email",
    "company",
    "booking_party",
    "booking_reference",
    "contact_phone",
    "profile_id",
    "valid_from",
    "valid_to",
    "host_person_id",
    "reason",
)
_NEW_PERSON = ("given_name", "family_name", "email")


@dataclass(frozen=True, slots=True)
class KindForm:
    """One kind's form: the grant kind, who may hold it and who can be registered in it."""

    slug: str
    kind: GrantKind
    holder_picker: str  # the picker (pick.FINDERS) of an existing holder
    new_person: PersonKind | None  # the kind of a person registered in the form, if any

    @property
    def rule(self) -> KindRule:
        """The service's rule for this kind."""
        return KIND_RULES[self.kind]


FORMS: Mapping[str, KindForm] = {
    form.slug: form
    for form in (
        KindForm("guest", GrantKind.GUEST, "guests", PersonKind.GUEST),
        KindForm("contractor", GrantKind.CONTRACTOR, "contractors", PersonKind.CONTRACTOR),
        KindForm("booking", GrantKind.BOOKING, "people", PersonKind.GUEST),
        KindForm("extra", GrantKind.EXTRA, "employees", None),
    )
}


class _Refused(Exception):
    """The form is incomplete; its errors are shown before any service is asked."""

    def __init__(self, errors: FormErrors) -> None:
        super().__init__("form refused")
        self.errors = errors


def _form_of(slug: str) -> KindForm:
    if slug not in FORMS:
        raise NotFound(f"no grant form {slug!r}")
    return FORMS[slug]


def _days(rule: KindRule) -> int | None:
    return rule.longest.days if rule.longest is not None else None


def _may_register(page: Page, spec: KindForm) -> bool:
    return spec.new_person is not None and page.can("person.write")


def _render(
    page: Page,
    session: Session,
    spec: KindForm,
    *,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "nav": "access",
        "spec": spec,
        "rule": spec.rule,
        "longest": _days(spec.rule),
        "values": values,
        "errors": errors or FormErrors(),
        "may_register": _may_register(page, spec),
        "chosen_person": pick.chosen(
            page, session, spec.holder_picker, values.get("person_id", "")
        ),
        "chosen_host": pick.chosen(page, session, "employees", values.get("host_person_id", "")),
        "chosen_profile": pick.chosen(page, session, "profiles", values.get("profile_id", "")),
    }
    return page.render("access/grant_form.html", context, status=status)


@router.get("/access/grants/new")
def new_menu(page: PageDep) -> Response:
    """Which kind of grant to give."""
    assert page.actor is not None
    require(page.actor, WRITE)
    limits = {slug: _days(spec.rule) for slug, spec in FORMS.items()}
    return page.render("access/grant_new.html", {"nav": "access", "limits": limits})


@router.get("/access/grants/new/{slug}")
def new_form(slug: str, page: PageDep, session: SessionDep) -> Response:
    """The form of one kind of grant."""
    assert page.actor is not None
    spec = _form_of(slug)
    require(page.actor, WRITE)
    return _render(page, session, spec, values={})


def _required(page: Page, spec: KindForm, form: Mapping[str, str], new: bool) -> FormErrors:
    errors = FormErrors()
    names = ["profile_id", "valid_from", "host_person_id", "reason", *spec.rule.required]
    if spec.rule.needs_end:
        names.append("valid_to")
    if new:
        names += ["given_name", "family_name"]
    for name in names:
        if not form.get(name, "").strip():
            errors.add(name, page._(RULES["required"]), FIELDS)
    chosen = bool(form.get("person_id", "").strip())
    if chosen and new:
        text = page._("Choose an existing person or register a new one, not both.")
        errors.add("person_id", text, FIELDS)
    elif not chosen and not new:
        errors.add("person_id", page._(RULES["required"]), FIELDS)
    return errors


def _uuid(page: Page, form: Mapping[str, str], name: str, errors: FormErrors) -> uuid.UUID | None:
    try:
        return uuid.UUID(form.get(name, "").strip())
    except ValueError:
        errors.add(name, page._("Choose one of the options."), FIELDS)
        return None


def _create(page: Page, session: Session, spec: KindForm, form: Mapping[str, str]) -> Grant:
    assert page.actor is not None
    new = _may_register(page, spec) and any(form.get(n, "").strip() for n in _NEW_PERSON)
    errors = _required(page, spec, form, new)
    valid_from = when(page, form, "valid_from", errors)
    valid_to = when(page, form, "valid_to", errors)
    host = _uuid(page, form, "host_person_id", errors) if form.get("host_person_id") else None
    if errors or host is None or valid_from is None:
        raise _Refused(errors.in_order(FIELDS))
    person_id: object = form.get("person_id", "").strip()
    if new:
        assert spec.new_person is not None
        person = grants.new_visitor(
            session,
            page.actor,
            kind=spec.new_person,
            given_name=form.get("given_name", ""),
            family_name=form.get("family_name", ""),
            email=form.get("email", "").strip() or None,
            host_person_id=host,
        )
        person_id = person.id
    own = {name: form.get(name, "").strip() or None for name in spec.rule.allowed}
    data = GrantCreate.model_validate(
        {
            "kind": spec.kind,
            "person_id": person_id,
            "profile_id": form.get("profile_id", "").strip(),
            "valid_from": valid_from,
            "valid_to": valid_to,
            "host_person_id": host,
            "reason": form.get("reason", ""),
            **own,
        }
    )
    return grants.create_grant(session, page.actor, data)


@router.post("/access/grants/new/{slug}", dependencies=[needs("grant.write")])
def create(slug: str, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Give the grant (registering its guest or contractor if new); errors on their fields."""
    assert page.actor is not None
    spec = _form_of(slug)
    require(page.actor, WRITE)
    try:
        grant = _create(page, session, spec, form)
    except _Refused as exc:
        errors = exc.errors
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and not is_form_error(exc):
            raise
        errors = errors_of(page, exc, FIELDS)
    else:
        return see_other(f"/access/grants/{grant.id}?created=1")
    session.rollback()
    return _render(page, session, spec, values=form, errors=errors, status=422)
