"""Suspend, report lost, revoke and reactivate a credential, safely: a blocking action first
shows a page saying exactly what will happen and to whom; the POST carries the CSRF token
and the row's version (a change made meanwhile is refused); afterwards the person's page
shows a notice with an Undo button where the lifecycle allows one."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from stadsvakt.access.services import credentials
from stadsvakt.api.deps import SessionDep
from stadsvakt.auth.scope import require
from stadsvakt.directory import service as directory
from stadsvakt.errors import DomainError, NotFound
from stadsvakt.web.deps import FormDep, HtmlRoute, Page, PageDep, needs, see_other
from stadsvakt.web.views.access.credential_words import (
    ACTIONS,
    NOT_ALLOWED,
    STALE,
    Action,
    field_and_rule,
    what,
)

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


def _action(name: str) -> Action:
    if name not in ACTIONS:
        raise NotFound(f"no action {name}")
    return ACTIONS[name]


def _refused(page: Page, message: str, person_id: uuid.UUID, status: int) -> Response:
    context = {"nav": "people", "message": message, "person_id": person_id}
    return page.render("access/credential_refused.html", context, status=status)


@router.get("/access/credentials/{credential_id}/{action}")
def confirm_page(
    credential_id: uuid.UUID, action: str, page: PageDep, session: SessionDep
) -> Response:
    """What the action will do, to which credential and whose, with Yes and Cancel."""
    assert page.actor is not None
    chosen = _action(action)
    require(page.actor, "credential.write")
    credential = credentials.get_credential(session, page.actor, credential_id)
    person = directory.get_person(session, page.actor, credential.person_id)
    allowed = credentials.can_move(credential.state, chosen.target)
    named = what(credential.kind, credential.identifier, page._)
    context = {
        "nav": "people",
        "action": chosen,
        "credential": credential,
        "person": person,
        "allowed": allowed,
        "effect": page._(chosen.effect) % {"what": named, "name": person.display_name},
        "version": credentials.version_of(credential),
    }
    return page.render("access/credential_confirm.html", context, status=200 if allowed else 409)


@router.post(
    "/access/credentials/{credential_id}/{action}", dependencies=[needs("credential.write")]
)
def act(
    credential_id: uuid.UUID, action: str, page: PageDep, session: SessionDep, form: FormDep
) -> Response:
    """Do the action (refused when the credential changed since the page showed it)."""
    assert page.actor is not None
    chosen = _action(action)
    credential = credentials.get_credential(session, page.actor, credential_id)
    person_id = credential.person_id
    expected = form.get("version") or None
    try:
        credentials.change_state(
            session, page.actor, credential_id, chosen.target, expected=expected
        )
    except DomainError as exc:
        rule = field_and_rule(exc)[1]
        if rule not in {"stale", "state_transition"}:
            raise
        session.rollback()
        message = STALE if rule == "stale" else NOT_ALLOWED
        return _refused(page, page._(message), person_id, 409)
    undone = "&undone=1" if form.get("undo") else ""
    return see_other(
        f"/people/{person_id}?done={chosen.name}&credential={credential_id}{undone}#credentials"
    )
