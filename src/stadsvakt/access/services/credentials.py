"""Credentials: cards and tags (by UID), PINs (stored as argon2 hashes) and mobile keys.

Lifecycle::

    active ⇄ suspended
    active, suspended → lost → revoked
    active, suspended → revoked        (revoked is final)

A lost card is never brought back (it may have been copied): issue a new one.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from stadsvakt.access import identifiers
from stadsvakt.access.models import Credential, CredentialKind, CredentialState
from stadsvakt.access.schemas.credentials import CredentialCreate, CredentialUpdate
from stadsvakt.access.services._common import (
    apply,
    changed,
    flush_or_conflict,
    get_in_scope,
    page,
    tenant_of,
    window,
)
from stadsvakt.audit.service import snapshot
from stadsvakt.auth.passwords import Passwords
from stadsvakt.auth.scope import restrict
from stadsvakt.context import Actor
from stadsvakt.directory.models import Person
from stadsvakt.errors import Conflict, InvalidInput, NotFound

READ, WRITE = "credential.read", "credential.write"

_PIN = re.compile(r"^[0-9]{4,8}$")

#: The states each state may move to.
TRANSITIONS: dict[CredentialState, frozenset[CredentialState]] = {
    CredentialState.ACTIVE: frozenset(
        {CredentialState.SUSPENDED, CredentialState.LOST, CredentialState.REVOKED}
    ),
    CredentialState.SUSPENDED: frozenset(
        {CredentialState.ACTIVE, CredentialState.LOST, CredentialState.REVOKED}
    ),
    CredentialState.LOST: frozenset({CredentialState.REVOKED}),
    CredentialState.REVOKED: frozenset(),
}


def _check_pin(pin: str) -> None:
    if not _PIN.match(pin):
        raise InvalidInput("pin: a PIN is 4 to 8 digits", field="pin", rule="pin_digits")


def _identifier(data: CredentialCreate) -> str:
    """The stored identifier for the kind, checked and in its normal form
    (:func:`stadsvakt.access.identifiers.normalise`, the form decisions look up)."""
    raw = (data.identifier or "").strip()
    if data.kind is CredentialKind.PIN:
        if data.pin is None:
            raise InvalidInput("pin: required for a PIN", field="pin", rule="required_for_pin")
        _check_pin(data.pin.get_secret_value())
        if not raw:
            return "PIN-" + secrets.token_hex(4).upper()
        return identifiers.normalise(data.kind, raw)
    if data.pin is not None:
        raise InvalidInput("pin: only a PIN credential has a PIN", field="pin", rule="only_for_pin")
    if not raw:
        raise InvalidInput("identifier: required", field="identifier", rule="required")
    return identifiers.normalise(data.kind, raw)


def list_credentials(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    person_id: uuid.UUID | None = None,
    kind: CredentialKind | None = None,
    state: CredentialState | None = None,
    q: str | None = None,
) -> tuple[list[Credential], int]:
    """Credentials of people in the actor's scope, by identifier."""
    stmt = restrict(select(Credential), Credential, actor, READ).order_by(
        Credential.identifier, Credential.id
    )
    if person_id is not None:
        stmt = stmt.where(Credential.person_id == person_id)
    if kind is not None:
        stmt = stmt.where(Credential.kind == kind)
    if state is not None:
        stmt = stmt.where(Credential.state == state)
    if q:
        compact = identifiers.UID_SEPARATORS.sub("", q)
        stmt = stmt.where(
            or_(Credential.identifier.ilike(f"%{q}%"), Credential.identifier.ilike(f"%{compact}%"))
        )
    return page(session, stmt, limit, offset)


def get_credential(session: Session, actor: Actor, credential_id: uuid.UUID) -> Credential:
    """One credential of a person in the actor's scope."""
    return get_in_scope(session, actor, Credential, credential_id, READ, "credential")


def create_credential(
    session: Session, actor: Actor, data: CredentialCreate, passwords: Passwords
) -> Credential:
    """Issue a credential to a person in the actor's scope; a PIN is stored only as a hash."""
    tenant = tenant_of(actor)
    stmt = restrict(select(Person.id).where(Person.id == data.person_id), Person, actor, WRITE)
    if session.execute(stmt).first() is None:
        raise NotFound(f"person_id: no person {data.person_id} in your scope", field="person_id")
    identifier = _identifier(data)
    window(data.valid_from, data.valid_to)
    taken = select(Credential.id).where(
        Credential.tenant_id == tenant,
        Credential.kind == data.kind,
        Credential.identifier == identifier,
    )
    if session.execute(taken).first() is not None:
        raise Conflict(f"identifier: {identifier} is already issued", field="identifier")
    credential = Credential(
        tenant_id=tenant,
        person_id=data.person_id,
        kind=data.kind,
        identifier=identifier,
        technology=data.technology,
        pin_hash=passwords.hash(data.pin.get_secret_value()) if data.pin else None,
        state=CredentialState.ACTIVE,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
    )
    session.add(credential)
    flush_or_conflict(session, "credential")
    changed(
        session,
        action="credential.create",
        obj=credential,
        text=f"{credential.kind.value} {credential.identifier}",
        before=None,
        entity="credential",
    )
    return credential


def _move(credential: Credential, target: CredentialState) -> None:
    if target == credential.state:
        return
    if target not in TRANSITIONS[credential.state]:
        raise InvalidInput(
            f"state: a {credential.state.value} credential cannot become {target.value}",
            field="state",
            rule="state_transition",
        )
    credential.state = target


def update_credential(
    session: Session,
    actor: Actor,
    credential_id: uuid.UUID,
    data: CredentialUpdate,
    passwords: Passwords,
) -> Credential:
    """Change a credential's state, window, technology, or a PIN's digits."""
    credential = get_in_scope(session, actor, Credential, credential_id, WRITE, "credential")
    before = snapshot(credential)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, exclude={"state", "pin"})
    if data.state is not None:
        _move(credential, data.state)
    if data.pin is not None:
        if credential.kind is not CredentialKind.PIN:
            raise InvalidInput(
                "pin: only a PIN credential has a PIN", field="pin", rule="only_for_pin"
            )
        _check_pin(data.pin.get_secret_value())
        credential.pin_hash = passwords.hash(data.pin.get_secret_value())
    apply(credential, changes, required=())
    window(credential.valid_from, credential.valid_to)
    flush_or_conflict(session, "credential")
    changed(
        session,
        action="credential.update",
        obj=credential,
        text=f"{credential.kind.value} {credential.identifier}",
        before=before,
        entity="credential",
        extra={"pin_changed": True} if data.pin is not None else None,
    )
    return credential


def mark_lost(session: Session, actor: Actor, credential_id: uuid.UUID) -> Credential:
    """Block a lost card, tag or phone at once (already lost: nothing changes)."""
    credential = get_in_scope(session, actor, Credential, credential_id, WRITE, "credential")
    if credential.state is CredentialState.LOST:
        return credential
    before = snapshot(credential)
    _move(credential, CredentialState.LOST)
    flush_or_conflict(session, "credential")
    changed(
        session,
        action="credential.lost",
        obj=credential,
        text=f"{credential.kind.value} {credential.identifier}",
        before=before,
        entity="credential",
    )
    return credential
