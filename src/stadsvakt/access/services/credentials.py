"""Credentials: cards and tags (by UID), PINs (stored as argon2 hashes) and mobile keys.

Lifecycle::

    active ⇄ suspended
    active, suspended → lost → revoked
    active, suspended → revoked        (revoked is final)

A lost card is never brought back (it may have been copied): issue a new one.

Changes that carry ``expected`` (the ``updated_at`` the caller last saw) are refused with
a 409 naming the rule ``stale`` when the row changed since, so a form opened before
someone else's change never overwrites it.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, func, literal_column, select, union
from sqlalchemy.orm import Session, aliased

from stadsvakt.access import identifiers
from stadsvakt.access.models import Credential, CredentialKind, CredentialState
from stadsvakt.access.pins import digest_for
from stadsvakt.access.reports.orphans import orphan_condition
from stadsvakt.access.schemas.credentials import CredentialCreate, CredentialUpdate
from stadsvakt.access.services._common import (
    apply,
    changed,
    flush_or_conflict,
    get_in_scope,
    tenant_of,
    window,
)
from stadsvakt.audit.service import snapshot
from stadsvakt.auth.passwords import Passwords
from stadsvakt.auth.scope import require, restrict
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.directory.models import Person
from stadsvakt.errors import N_, Conflict, InvalidInput, NotFound, Term
from stadsvakt.paging import Order, sorted_by
from stadsvakt.textsearch import CREDENTIALS_TEXT, PEOPLE_TEXT

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


#: A credential's state as a word in a sentence ("A credential that is lost ...").
_STATE_WORDS = {
    CredentialState.ACTIVE: N_("active"),
    CredentialState.SUSPENDED: N_("suspended"),
    CredentialState.LOST: N_("lost"),
    CredentialState.REVOKED: N_("revoked"),
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


#: What the credentials list can be sorted by (``holder`` needs the holder joined).
CREDENTIAL_SORTS: dict[str, Any] = {
    "identifier": Credential.identifier,
    "holder": (Person.family_name, Person.given_name),
    "kind": Credential.kind,
    "state": Credential.state,
    "created": Credential.created_at,
}
BY_IDENTIFIER = Order("identifier")


@dataclass(frozen=True, slots=True)
class CredentialRow:
    """A credential with its holder's name and number, as a list shows it."""

    credential: Credential
    holder_name: str
    employee_number: str | None
    holder_active: bool


@dataclass(frozen=True, slots=True)
class _Filter:
    """A credentials list's conditions, and whether one reads the joined holder."""

    where: list[ColumnElement[bool]]
    reads_holder: bool
    #: The people of a department's (or unit's) scope, when the actor has one.
    scope: Select[Any] | None = None
    #: Whether the page may walk the identifier order (no search, no one holder).
    walk_in_order: bool = False

    def page(self, session: Session, order: Order) -> Select[Any]:
        """Credentials with their holders, filtered, in ``order``."""
        holder: Any = Credential.person_id
        if (
            self.walk_in_order
            and order.key == "identifier"
            and session.get_bind().dialect.name == "sqlite"
        ):
            # SQLite plans a department's page as all its credentials (10,000 in a large
            # one) fetched and sorted. A unary + keeps it off the holder index, so it
            # walks the identifier index until a page is found: a fraction of that, and
            # at worst (a unit of one person) one pass over the index.
            holder = literal_column("+credentials.person_id")
        scoped = [] if self.scope is None else [holder.in_(self.scope)]
        joined = select(Credential, Person).join(Person, Person.id == Credential.person_id)
        # sorted_by is typed for one-entity selects; the order applies the same to two.
        return sorted_by(
            cast("Select[Any]", joined.where(*self.where, *scoped)),
            CREDENTIAL_SORTS,
            order,
            tiebreak=Credential.id,
        )

    def count(self, session: Session) -> int:
        """How many credentials match: without the holders' join unless a condition reads
        the holder, since every credential has exactly one holder."""
        # count(*), not of a column: the count is then answered from indexes alone.
        counted = select(func.count()).select_from(Credential)
        if self.reads_holder:
            counted = counted.join(Person, Person.id == Credential.person_id)
        scoped = [] if self.scope is None else [Credential.person_id.in_(self.scope)]
        return session.scalar(counted.where(*self.where, *scoped)) or 0


def _listed(
    session: Session,
    actor: Actor,
    *,
    person_id: uuid.UUID | None,
    kind: CredentialKind | None,
    state: CredentialState | None,
    q: str | None,
    holder_search: bool,
    orphan_at: datetime | None,
) -> _Filter:
    """The conditions of credentials in the actor's scope, filtered.

    Over 100,000 credentials neither the page nor the count may join every row: the
    municipality is a condition on the credentials themselves (their ``(tenant_id,
    identifier)`` index gives the default order), and a condition on holders (a
    department's scope, a name searched) is one subquery over people.
    """
    require(actor, READ)
    where: list[ColumnElement[bool]] = []
    if actor.tenant_id is not None:
        where.append(Credential.tenant_id == actor.tenant_id)
    scope = None
    if actor.scope(READ) is not None:
        # The same rule as Credential.scope_unit_expr: the holder's unit.
        scope = restrict(select(Person.id), Person, actor, READ)
    if person_id is not None:
        where.append(Credential.person_id == person_id)
    if kind is not None:
        where.append(Credential.kind == kind)
    if state is not None:
        where.append(Credential.state == state)
    if orphan_at is not None:
        where.append(orphan_condition(Person, orphan_at))
    if q:
        where.append(_searched(session, q.strip(), holder_search))
    walk = scope is not None and not q and person_id is None
    return _Filter(where, reads_holder=orphan_at is not None, scope=scope, walk_in_order=walk)


def _searched(session: Session, text: str, holder_search: bool) -> ColumnElement[bool]:
    """Credentials whose identifier (with or without a UID's separators) or, with
    ``holder_search``, whose holder's search text contains ``text``.

    One set of keys, made of the trigram indexes' answers (a union: an ``OR`` of the
    conditions would read every credential), that the page and the count both take.
    """
    compact = identifiers.UID_SEPARATORS.sub("", text)
    # Identifiers are stored upper-case (identifiers.normalise).
    found = [CREDENTIALS_TEXT.keys_containing(session, text.upper())]
    if compact and compact != text:
        found.append(CREDENTIALS_TEXT.keys_containing(session, compact.upper()))
    if holder_search:
        held = aliased(Credential, name="held")
        named = select(Person.id).where(PEOPLE_TEXT.contains(session, text.casefold()))
        key = CREDENTIALS_TEXT.key(session, "held")
        found.append(select(key).select_from(held).where(held.person_id.in_(named)))
    return CREDENTIALS_TEXT.key(session).in_(union(*found))


def list_credential_rows(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    person_id: uuid.UUID | None = None,
    kind: CredentialKind | None = None,
    state: CredentialState | None = None,
    q: str | None = None,
    orphan: bool = False,
    order: Order = BY_IDENTIFIER,
    now: datetime | None = None,
) -> tuple[list[CredentialRow], int]:
    """One page of credentials with their holders (one query for the page), and the total.

    ``q`` looks in the identifier (a UID with or without separators), the holder's name and
    employee number; ``orphan`` keeps active credentials of inactive people or people
    without a current assignment (:func:`~stadsvakt.access.reports.orphans.orphan_condition`
    at ``now``); ``order`` is one of :data:`CREDENTIAL_SORTS`.
    """
    listed = _listed(
        session,
        actor,
        person_id=person_id,
        kind=kind,
        state=state,
        q=q,
        holder_search=True,
        orphan_at=(now or utcnow()) if orphan else None,
    )
    ordered = listed.page(session, order)
    total = listed.count(session)
    found = session.execute(ordered.limit(limit).offset(offset)).all()
    rows = [
        CredentialRow(r[0], r[1].display_name, r[1].employee_number, r[1].active) for r in found
    ]
    return rows, total


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
    """Credentials of people in the actor's scope, by identifier (``q`` searches identifiers)."""
    listed = _listed(
        session,
        actor,
        person_id=person_id,
        kind=kind,
        state=state,
        q=q,
        holder_search=False,
        orphan_at=None,
    )
    ordered = listed.page(session, BY_IDENTIFIER)
    total = listed.count(session)
    found = session.execute(ordered.limit(limit).offset(offset)).all()
    return [row[0] for row in found], total


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
        raise NotFound(
            f"person_id: no person {data.person_id} in your scope", field="person_id"
        ).said(N_("Choose a person within your scope."))
    identifier = _identifier(data)
    window(data.valid_from, data.valid_to)
    taken = select(Credential.id).where(
        Credential.tenant_id == tenant,
        Credential.kind == data.kind,
        Credential.identifier == identifier,
    )
    if session.execute(taken).first() is not None:
        raise Conflict(f"identifier: {identifier} is already issued", field="identifier").said(
            N_("The identifier %(identifier)s is already issued."), identifier=identifier
        )
    credential_id = uuid.uuid4()  # the door PIN digest is salted with it
    credential = Credential(
        id=credential_id,
        tenant_id=tenant,
        person_id=data.person_id,
        kind=data.kind,
        identifier=identifier,
        technology=data.technology,
        pin_hash=passwords.hash(data.pin.get_secret_value()) if data.pin else None,
        door_pin_digest=digest_for(credential_id, data.pin.get_secret_value())
        if data.pin
        else None,
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


#: The audit action of a move to each state.
_ACTIONS = {
    CredentialState.ACTIVE: "credential.reactivate",
    CredentialState.SUSPENDED: "credential.suspend",
    CredentialState.LOST: "credential.lost",
    CredentialState.REVOKED: "credential.revoke",
}


def can_move(current: CredentialState, target: CredentialState) -> bool:
    """Whether the lifecycle lets a credential in ``current`` become ``target``."""
    return target in TRANSITIONS[current]


def version_of(credential: Credential) -> str:
    """The row's version as a form carries it: its last change time, ISO 8601 in UTC."""
    stamp = credential.updated_at
    aware = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def _fresh(credential: Credential, expected: str | None) -> None:
    """Refuse a change made from a stale view of the row (``expected`` from version_of)."""
    if expected is not None and expected != version_of(credential):
        raise Conflict(
            "version: the credential was changed by someone else since it was read",
            field="version",
            rule="stale",
        )


def _move(credential: Credential, target: CredentialState) -> None:
    if target == credential.state:
        return
    if not can_move(credential.state, target):
        raise InvalidInput(
            f"state: a {credential.state.value} credential cannot become {target.value}",
            field="state",
            rule="state_transition",
        ).said(
            N_("A credential that is %(state)s cannot become %(target)s."),
            state=Term(_STATE_WORDS[credential.state]),
            target=Term(_STATE_WORDS[target]),
        )
    credential.state = target


def update_credential(
    session: Session,
    actor: Actor,
    credential_id: uuid.UUID,
    data: CredentialUpdate,
    passwords: Passwords,
    *,
    expected: str | None = None,
) -> Credential:
    """Change a credential's state, window, technology, or a PIN's digits; with ``expected``,
    refused (409, rule ``stale``) when the row changed since that version was read."""
    credential = get_in_scope(session, actor, Credential, credential_id, WRITE, "credential")
    _fresh(credential, expected)
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
        credential.door_pin_digest = digest_for(credential.id, data.pin.get_secret_value())
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


def change_state(
    session: Session,
    actor: Actor,
    credential_id: uuid.UUID,
    target: CredentialState,
    *,
    expected: str | None = None,
) -> Credential:
    """Suspend, reactivate, report lost or revoke, as the lifecycle allows; audited as
    ``credential.suspend``/``reactivate``/``lost``/``revoke``. Already there: nothing changes.
    With ``expected``, refused (409, rule ``stale``) when the row changed since."""
    credential = get_in_scope(session, actor, Credential, credential_id, WRITE, "credential")
    if credential.state is target:
        return credential
    _fresh(credential, expected)
    before = snapshot(credential)
    _move(credential, target)
    flush_or_conflict(session, "credential")
    changed(
        session,
        action=_ACTIONS[target],
        obj=credential,
        text=f"{credential.kind.value} {credential.identifier}",
        before=before,
        entity="credential",
    )
    return credential


def mark_lost(session: Session, actor: Actor, credential_id: uuid.UUID) -> Credential:
    """Block a lost card, tag or phone at once (already lost: nothing changes)."""
    return change_state(session, actor, credential_id, CredentialState.LOST)
