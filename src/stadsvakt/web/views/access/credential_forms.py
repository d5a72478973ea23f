"""Issuing a credential from a person's page (a card or tag by its number, a PIN entered
twice or generated and shown once, a mobile key by its id) and changing a credential's
validity or technology. Errors are shown next to their fields in the page's language; an
edit made from a stale page is refused."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import SecretStr, ValidationError
from sqlalchemy.orm import Session

from stadsvakt.access.models import Credential, CredentialKind
from stadsvakt.access.schemas.credentials import CredentialCreate, CredentialUpdate
from stadsvakt.access.services import credentials
from stadsvakt.api.deps import ServicesDep, SessionDep
from stadsvakt.auth.scope import require
from stadsvakt.directory import service as directory
from stadsvakt.directory.models import Person
from stadsvakt.errors import DomainError, InvalidInput
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import FormErrors, from_validation
from stadsvakt.web.localtime import input_value, parse_local_datetime
from stadsvakt.web.views.access.credential_words import field_and_rule, refusal

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)

ISSUE_FIELDS = (
    "identifier",
    "technology",
    "pin_mode",
    "pin",
    "pin_again",
    "valid_from",
    "valid_to",
)
EDIT_FIELDS = ("technology", "valid_from", "valid_to")
#: Card technologies offered as suggestions (any other text may be typed).
TECHNOLOGIES = (
    "MIFARE DESFire EV2",
    "MIFARE DESFire EV3",
    "MIFARE Classic",
    "MIFARE Plus",
    "HID iCLASS SE",
    "EM4102",
)
#: Digits of a generated PIN.
GENERATED_PIN_DIGITS = 6


def _kind(text: str) -> CredentialKind:
    try:
        return CredentialKind(text)
    except ValueError:
        raise InvalidInput("kind: choose card, pin or mobile", field="kind", rule="enum") from None


def _window(form: Mapping[str, str]) -> dict[str, datetime | None]:
    """The validity fields as Stockholm times (empty: open); refused naming the field."""
    window: dict[str, datetime | None] = {}
    for name in ("valid_from", "valid_to"):
        text = form.get(name, "").strip()
        window[name] = parse_local_datetime(text, name, default_time="00:00") if text else None
    return window


def _issue_page(
    page: Page,
    person: Person,
    kind: CredentialKind,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "nav": "people",
        "person": person,
        "kind": kind.value,
        "values": values,
        "errors": errors or FormErrors(),
        "technologies": TECHNOLOGIES,
    }
    return page.render("access/credential_new.html", context, status=status)


@router.get("/people/{person_id}/credentials/new")
def issue_page(
    person_id: uuid.UUID,
    page: PageDep,
    session: SessionDep,
    kind: str = "card",
    replaces: uuid.UUID | None = None,
) -> Response:
    """The form issuing a card or tag, a PIN or a mobile key to a person (``replaces``: the
    lost card it replaces, whose technology is suggested)."""
    assert page.actor is not None
    require(page.actor, "credential.write")
    person = directory.get_person(session, page.actor, person_id)
    values = {"pin_mode": "generate"}
    if replaces is not None:
        old = credentials.get_credential(session, page.actor, replaces)
        values["technology"] = old.technology or ""
    return _issue_page(page, person, _kind(kind), values)


def _pin(form: Mapping[str, str]) -> tuple[str, bool]:
    """The PIN to store and whether it was generated (then it is shown once)."""
    if form.get("pin_mode") != "enter":
        return "".join(secrets.choice("0123456789") for _ in range(GENERATED_PIN_DIGITS)), True
    pin = form.get("pin", "").strip()
    if not pin:
        raise InvalidInput("pin: required for a PIN", field="pin", rule="required_for_pin")
    if pin != form.get("pin_again", "").strip():
        raise InvalidInput("pin_again: the PINs differ", field="pin_again", rule="pin_mismatch")
    return pin, False


def _create(
    page: Page,
    session: Session,
    person: Person,
    kind: CredentialKind,
    form: Mapping[str, str],
    services: ServicesDep,
) -> tuple[Credential, str | None]:
    assert page.actor is not None
    data: dict[str, Any] = {"person_id": person.id, "kind": kind, **_window(form)}
    shown: str | None = None
    if kind is CredentialKind.PIN:
        pin, generated = _pin(form)
        data["pin"] = SecretStr(pin)
        shown = pin if generated else None
    else:
        data["identifier"] = form.get("identifier", "").strip()
        if not data["identifier"]:
            raise InvalidInput("identifier: required", field="identifier", rule="required")
        data["technology"] = form.get("technology", "").strip() or None
    created = credentials.create_credential(
        session, page.actor, CredentialCreate.model_validate(data), services.passwords
    )
    return created, shown


@router.post("/people/{person_id}/credentials/new", dependencies=[needs("credential.write")])
def issue(
    person_id: uuid.UUID,
    page: PageDep,
    session: SessionDep,
    form: FormDep,
    services: ServicesDep,
    kind: str = "card",
) -> Response:
    """Issue the credential; a generated PIN is shown once, on the page this answers with."""
    assert page.actor is not None
    require(page.actor, "credential.write")
    person = directory.get_person(session, page.actor, person_id)
    chosen = _kind(kind)
    try:
        created, pin = _create(page, session, person, chosen, form, services)
    except ValidationError as exc:
        session.rollback()
        errors = from_validation(exc, ISSUE_FIELDS, page._)
        return _issue_page(page, person, chosen, _kept(form), errors, 422)
    except DomainError as exc:
        if field_and_rule(exc)[0] in {"", "person_id", "kind"} and exc.code != "conflict":
            raise
        session.rollback()
        errors = refusal(exc, chosen, ISSUE_FIELDS, page._)
        return _issue_page(page, person, chosen, _kept(form), errors, 422)
    if pin is not None:
        context = {"nav": "people", "person": person, "credential": created, "pin": pin}
        return page.render("access/credential_pin.html", context)
    return see_other(f"/people/{person.id}?done=issued&credential={created.id}#credentials")


def _kept(form: Mapping[str, str]) -> dict[str, str]:
    """The posted values to show again; PINs are never sent back to the browser."""
    return {k: v for k, v in form.items() if k not in {"pin", "pin_again", "csrf_token"}}


def _edit_page(
    page: Page,
    session: Session,
    credential: Credential,
    values: Mapping[str, str],
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    person = directory.get_person(session, page.actor, credential.person_id)
    context: dict[str, Any] = {
        "nav": "people",
        "person": person,
        "credential": credential,
        "values": values,
        "errors": errors or FormErrors(),
        "technologies": TECHNOLOGIES,
    }
    return page.render("access/credential_edit.html", context, status=status)


@router.get("/access/credentials/{credential_id}/edit")
def edit_page(credential_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """The form changing a credential's validity and technology."""
    assert page.actor is not None
    require(page.actor, "credential.write")
    credential = credentials.get_credential(session, page.actor, credential_id)
    values = {
        "technology": credential.technology or "",
        "valid_from": input_value(credential.valid_from),
        "valid_to": input_value(credential.valid_to),
        "version": credentials.version_of(credential),
    }
    return _edit_page(page, session, credential, values)


@router.post("/access/credentials/{credential_id}/edit", dependencies=[needs("credential.write")])
def edit(
    credential_id: uuid.UUID,
    page: PageDep,
    session: SessionDep,
    form: FormDep,
    services: ServicesDep,
) -> Response:
    """Save the validity and technology, unless the credential changed since the form opened."""
    assert page.actor is not None
    credential = credentials.get_credential(session, page.actor, credential_id)
    person_id, kind = credential.person_id, credential.kind
    try:
        data = CredentialUpdate.model_validate(
            {**_window(form), "technology": form.get("technology", "").strip() or None}
        )
        credentials.update_credential(
            session,
            page.actor,
            credential_id,
            data,
            services.passwords,
            expected=form.get("version", ""),
        )
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.code in {"not_found", "forbidden"}:
            raise
        session.rollback()
        if isinstance(exc, ValidationError):
            errors = from_validation(exc, EDIT_FIELDS, page._)
        else:
            errors = refusal(exc, kind, EDIT_FIELDS, page._)
        fresh = credentials.get_credential(session, page.actor, credential_id)
        status = 409 if errors.general and not errors.fields else 422
        return _edit_page(page, session, fresh, _kept(form), errors, status)
    return see_other(f"/people/{person_id}?done=saved&credential={credential_id}#credentials")
