"""A grant's page: everything about it, and for those who may change grants the safe actions.

* **Edit** from, to and reason; the form carries the grant's ``updated_at``, and a grant
  changed by someone else meanwhile is refused (never silently overwritten).
* **End now** asks first (saying what happens and to whom); afterwards the page offers
  **Undo**, which gives back the end the grant had. Both are audited.
* **Withdraw** (delete) asks first and says it cannot be undone: the audit trail keeps
  what the grant was, but a new grant would be a different one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stadsvakt.access.schemas.profiles import GrantUpdate
from stadsvakt.access.services import grants
from stadsvakt.access.services.grant_list import GrantRow, grant_row
from stadsvakt.access.services.grant_rules import KIND_RULES
from stadsvakt.api.deps import SessionDep
from stadsvakt.auth.scope import require
from stadsvakt.db import utcnow
from stadsvakt.errors import DomainError
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.forms import FormErrors, is_form_error
from stadsvakt.web.localtime import input_value
from stadsvakt.web.views.access.grants._common import RULES, errors_of, when

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
WRITE = "grant.write"
FIELDS = ("valid_from", "valid_to", "reason")


def _values(row: GrantRow) -> dict[str, str]:
    grant = row.grant
    return {
        "valid_from": input_value(grant.valid_from),
        "valid_to": input_value(grant.valid_to),
        "reason": grant.reason or "",
    }


def _render(
    page: Page,
    session: Session,
    grant_id: uuid.UUID,
    *,
    values: Mapping[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    assert page.actor is not None
    row = grant_row(session, page.actor, grant_id)
    rule = KIND_RULES.get(row.grant.kind)
    context: dict[str, Any] = {
        "nav": "access",
        "row": row,
        "grant": row.grant,
        "values": values if values is not None else _values(row),
        "errors": errors or FormErrors(),
        "needs_end": rule is not None and rule.needs_end,
        "now": utcnow(),
    }
    return page.render("access/grant_detail.html", context, status=status)


@router.get("/access/grants/{grant_id}")
def grant_page(grant_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """A grant: who holds it, what it opens, when, who answers for it, who gave it."""
    return _render(page, session, grant_id)


def _expected(form: Mapping[str, str]) -> datetime:
    """The form's copy of ``updated_at``; a missing or garbled one counts as stale."""
    try:
        return datetime.fromisoformat(form.get("updated_at", ""))
    except ValueError:
        return datetime.min


def _refused(
    page: Page,
    session: Session,
    grant_id: uuid.UUID,
    exc: ValidationError | DomainError,
    values: Mapping[str, str] | None = None,
) -> Response:
    if isinstance(exc, DomainError) and not is_form_error(exc):
        raise exc
    session.rollback()
    errors = errors_of(page, exc, FIELDS)
    status = 409 if isinstance(exc, DomainError) and exc.status == 409 else 422
    if values is not None and _is_stale(exc):
        values = None  # show the grant as it is now
    return _render(page, session, grant_id, values=values, errors=errors, status=status)


def _is_stale(exc: ValidationError | DomainError) -> bool:
    """Whether a refusal is the stale-form check's."""
    return isinstance(exc, DomainError) and exc.extra.get("rule") == "stale"


@router.post("/access/grants/{grant_id}", dependencies=[needs("grant.write")])
def edit(grant_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Change from, to and reason, unless the grant changed since the form was drawn."""
    assert page.actor is not None
    require(page.actor, WRITE)
    errors = FormErrors()
    valid_from = when(page, form, "valid_from", errors)
    valid_to = when(page, form, "valid_to", errors)
    if not form.get("valid_from", "").strip():
        errors.add("valid_from", page._(RULES["required"]), FIELDS)
    if errors:
        return _render(page, session, grant_id, values=form, errors=errors, status=422)
    changes: dict[str, Any] = {"valid_from": valid_from, "valid_to": valid_to}
    reason = form.get("reason", "").strip()
    if reason or grants.get_grant(session, page.actor, grant_id).reason is not None:
        # An older grant without a reason may keep having none; a reason cannot be emptied.
        changes["reason"] = reason or None
    try:
        data = GrantUpdate.model_validate(changes)
        grants.update_grant(
            session, page.actor, grant_id, data, expected_updated_at=_expected(form)
        )
    except (ValidationError, DomainError) as exc:
        return _refused(page, session, grant_id, exc, values=form)
    return see_other(f"/access/grants/{grant_id}?saved=1")


@router.get("/access/grants/{grant_id}/end")
def confirm_end(grant_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Ask before ending a grant now."""
    assert page.actor is not None
    require(page.actor, WRITE)
    row = grant_row(session, page.actor, grant_id)
    context = {"nav": "access", "row": row, "grant": row.grant, "action": "end"}
    return page.render("access/grant_confirm.html", context)


@router.post("/access/grants/{grant_id}/end", dependencies=[needs("grant.write")])
def end(grant_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """End the grant now (it can be undone on its page)."""
    assert page.actor is not None
    require(page.actor, WRITE)
    try:
        grants.end_grant(
            session, page.actor, grant_id, now=utcnow(), expected_updated_at=_expected(form)
        )
    except DomainError as exc:
        return _refused(page, session, grant_id, exc)
    return see_other(f"/access/grants/{grant_id}?ended=1")


@router.post("/access/grants/{grant_id}/undo-end", dependencies=[needs("grant.write")])
def undo_end(grant_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Give the grant back the end it had before it was ended early."""
    assert page.actor is not None
    require(page.actor, WRITE)
    try:
        grants.undo_end(session, page.actor, grant_id, expected_updated_at=_expected(form))
    except DomainError as exc:
        return _refused(page, session, grant_id, exc)
    return see_other(f"/access/grants/{grant_id}?undone=1")


@router.get("/access/grants/{grant_id}/delete")
def confirm_delete(grant_id: uuid.UUID, page: PageDep, session: SessionDep) -> Response:
    """Ask before withdrawing a grant (it cannot be undone)."""
    assert page.actor is not None
    require(page.actor, WRITE)
    row = grant_row(session, page.actor, grant_id)
    context = {"nav": "access", "row": row, "grant": row.grant, "action": "delete"}
    return page.render("access/grant_confirm.html", context)


@router.post("/access/grants/{grant_id}/delete", dependencies=[needs("grant.write")])
def delete(grant_id: uuid.UUID, page: PageDep, session: SessionDep, form: FormDep) -> Response:
    """Withdraw the grant at once."""
    assert page.actor is not None
    require(page.actor, WRITE)
    try:
        grants.delete_grant(session, page.actor, grant_id, expected_updated_at=_expected(form))
    except DomainError as exc:
        return _refused(page, session, grant_id, exc)
    return see_other("/access/grants?deleted=1")
