"""What a person's page shows besides their details, each part only to those who may read
it: credentials (with the notice after an action, and its Undo), the profiles they hold
(through position profiles and grants, as decisions count them), direct grants, and
what deactivation would end."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from stadsvakt.access.models import AccessProfile, Credential, CredentialState, Grant
from stadsvakt.access.reports.held import profiles_held
from stadsvakt.access.services import credentials, grants
from stadsvakt.db import utcnow
from stadsvakt.directory.models import Assignment, Person
from stadsvakt.errors import NotFound
from stadsvakt.web.deps import Page
from stadsvakt.web.localtime import to_local
from stadsvakt.web.views.access.credential_words import ACTIONS, ISSUED, SAVED, what

#: Notices with no undo: a credential issued, a credential's details saved.
_PLAIN = {"issued": ISSUED, "saved": SAVED}

#: The most credentials and grants a person's page lists (a person holds a handful).
SHOWN = 100


@dataclass(frozen=True, slots=True)
class Notice:
    """The message after an action on a credential, with what may follow it."""

    text: str
    credential: Credential
    undo: str | None
    #: Lost: the lifecycle has no way back, so a replacement is offered instead.
    replace: bool
    final: bool


def _notice(page: Page, session: Session, person: Person) -> Notice | None:
    """The notice a redirect after an action asks for (``?done=suspend&credential=…``)."""
    params = page.request.query_params
    done, wanted = params.get("done", ""), params.get("credential", "")
    if page.actor is None or not wanted or (done not in ACTIONS and done not in _PLAIN):
        return None
    try:
        credential = credentials.get_credential(session, page.actor, uuid.UUID(wanted))
    except (ValueError, NotFound):
        return None
    if credential.person_id != person.id:
        return None
    named = what(credential.kind, credential.identifier, page._)
    words = {"what": named, "name": person.display_name}
    if done in _PLAIN:
        return Notice(page._(_PLAIN[done]) % words, credential, None, False, False)
    action = ACTIONS[done]
    undo = action.undo if action.undo and credential.state is action.target else None
    if undo is not None and not page.can("credential.write"):
        undo = None
    final = action.target in {CredentialState.LOST, CredentialState.REVOKED}
    lost = action.target is CredentialState.LOST
    return Notice(page._(action.done) % words, credential, undo, lost, final)


def _grants(session: Session, page: Page, person: Person) -> dict[str, Any]:
    """The person's direct grants (given by the user's units), with profile and host names."""
    assert page.actor is not None
    rows, _ = grants.list_grants(session, page.actor, limit=SHOWN, offset=0, person_id=person.id)
    ids = {g.profile_id for g in rows}
    profiles = {
        p.id: f"{p.name} ({p.code})"
        for p in session.scalars(select(AccessProfile).where(AccessProfile.id.in_(ids)))
    }
    hosts = grants.names_of(session, [g.host_person_id for g in rows if g.host_person_id])
    return {"grants": rows, "profile_names": profiles, "host_names": hosts}


def sections(page: Page, session: Session, person: Person) -> dict[str, Any]:
    """The person page's sections the user may read (a missing key: not shown)."""
    assert page.actor is not None
    context: dict[str, Any] = {}
    if page.can("credential.read"):
        rows, total = credentials.list_credential_rows(
            session, page.actor, limit=SHOWN, offset=0, person_id=person.id
        )
        context["credentials"] = [row.credential for row in rows]
        context["credentials_total"] = total
        context["can_move"] = credentials.can_move
        context["version_of"] = credentials.version_of
        context["notice"] = _notice(page, session, person)
    if page.can("access.read"):
        context["held"] = profiles_held(session, page.actor, person.id, at=utcnow())
    if page.can("grant.read"):
        context.update(_grants(session, page, person))
    return context


@dataclass(frozen=True, slots=True)
class Ending:
    """What deactivating a person ends now: open assignments, direct grants, live credentials."""

    assignments: int
    grants: int
    credentials: int


def ending(session: Session, person: Person, now: datetime | None = None) -> Ending:
    """Count what deactivation would end (the rules of ``directory.service.revoke`` and
    ``access.reactions``), for the confirmation page."""
    at = now or utcnow()
    today = to_local(at).date()
    count = func.count()
    assignments = session.scalar(
        select(count).where(
            Assignment.person_id == person.id,
            or_(Assignment.end.is_(None), Assignment.end > today),
        )
    )
    open_grants = session.scalar(
        select(count).where(
            Grant.person_id == person.id, or_(Grant.valid_to.is_(None), Grant.valid_to > at)
        )
    )
    live = session.scalar(
        select(count).where(
            Credential.person_id == person.id,
            Credential.state.in_((CredentialState.ACTIVE, CredentialState.SUSPENDED)),
        )
    )
    return Ending(assignments or 0, open_grants or 0, live or 0)
