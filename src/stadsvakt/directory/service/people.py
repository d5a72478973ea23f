"""People: create, read, list, change. Deactivation and removal are in :mod:`.revoke`.

A department administrator (unit-scoped ``person.write``) works only on people whose
home unit lies in their units' subtrees, and may only add guests and contractors:
employees come from the personnel directory (SCIM or CSV).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from stadsvakt.audit.service import snapshot
from stadsvakt.auth.scope import check_unit_in_scope, restrict, subtree_ids
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.directory.models import Person, PersonKind
from stadsvakt.directory.schemas import PersonCreate, PersonUpdate
from stadsvakt.directory.service._common import (
    audit,
    flush_or_conflict,
    page,
    scoped_person,
    tenant_of,
)
from stadsvakt.directory.service.revoke import revoke_everything
from stadsvakt.errors import N_, Conflict, Forbidden, InvalidInput
from stadsvakt.paging import Order, sorted_by
from stadsvakt.textsearch import PEOPLE_TEXT

#: Fields that can never be emptied by an update.
_REQUIRED = ("given_name", "family_name", "kind", "active", "extended_unlock")
#: Natural keys unique within a municipality, with how to name them in a 409.
_UNIQUE = {
    "employee_number": "employee number",
    "external_id": "external id",
    "user_name": "user name",
}
#: What a person reads when a key is taken.
_TAKEN = {
    "employee_number": N_("The employee number %(value)s is already used by another person."),
    "external_id": N_("The external id %(value)s is already used by another person."),
    "user_name": N_("The user name %(value)s is already used by another person."),
}


def get_person(session: Session, actor: Actor, person_id: uuid.UUID) -> Person:
    """One person in the actor's ``person.read`` scope (404 otherwise)."""
    return scoped_person(session, actor, person_id, "person.read")


#: What the people list can be sorted by.
PEOPLE_SORTS = {
    "name": (Person.family_name, Person.given_name),
    "employee_number": Person.employee_number,
    "kind": Person.kind,
    "status": Person.active,
}
BY_NAME = Order("name")


def list_people(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    q: str | None = None,
    active: bool | None = None,
    unit_id: uuid.UUID | None = None,
    order: Order = BY_NAME,
    among: Select[uuid.UUID] | None = None,
) -> tuple[list[Person], int]:
    """People the actor may see, sorted by ``order`` (one of :data:`PEOPLE_SORTS`; by
    family then given name unless asked), and how many match in all.

    ``q`` looks in names, employee number, e-mail and user name; ``unit_id`` keeps
    people whose home unit is that unit or below it; ``among`` keeps the people whose
    ids a select gives (a report's, e.g. those lacking required training).
    """
    stmt = sorted_by(
        restrict(select(Person), Person, actor, "person.read"),
        PEOPLE_SORTS,
        order,
        tiebreak=Person.id,
    )
    if q:
        stmt = stmt.where(PEOPLE_TEXT.contains(session, q.strip().casefold()))
    if active is not None:
        stmt = stmt.where(Person.active.is_(active))
    if among is not None:
        stmt = stmt.where(Person.id.in_(among))
    if unit_id is not None:
        stmt = stmt.where(Person.org_unit_id.in_(subtree_ids(frozenset({unit_id}))))
    return page(session, stmt, limit, offset)


def find_person_by(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    external_id: str | None = None,
    user_name: str | None = None,
    employee_number: str | None = None,
) -> Person | None:
    """The person of a municipality with the given natural key, or None.

    For provisioning (SCIM, CSV) that matches by the source's keys: it does not
    check the caller's scope, so callers must have checked ``person.write``
    (or ``person.read``) for the whole municipality. Exactly one key is used, the
    first given of external id, user name, employee number.
    """
    stmt = select(Person).where(Person.tenant_id == tenant_id)
    if external_id is not None:
        stmt = stmt.where(Person.external_id == external_id)
    elif user_name is not None:
        stmt = stmt.where(Person.user_name == user_name)
    elif employee_number is not None:
        stmt = stmt.where(Person.employee_number == employee_number)
    else:
        raise InvalidInput("name a key to look up", field="key", rule="required").said(
            N_("Give an external id, a user name or an employee number.")
        )
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def _keys_free(
    session: Session, tenant_id: uuid.UUID, values: dict[str, Any], own: uuid.UUID | None
) -> None:
    for key, label in _UNIQUE.items():
        value = values.get(key)
        if value is None:
            continue
        column = getattr(Person, key)
        stmt = select(Person.id).where(Person.tenant_id == tenant_id, column == value)
        existing = session.execute(stmt.limit(1)).scalar_one_or_none()
        if existing is not None and existing != own:
            raise Conflict(f"{label} '{value}' is already used", field=key).said(
                _TAKEN[key], value=str(value)
            )


def _check_kind(actor: Actor, kind: PersonKind) -> None:
    if actor.scope("person.write") is not None and kind is PersonKind.EMPLOYEE:
        raise Forbidden(
            "a department administrator adds guests and contractors; "
            "employees come from the personnel directory"
        ).said(
            N_(
                "A department administrator adds guests and contractors; employees come "
                "from the personnel directory."
            )
        )


def create_person(session: Session, actor: Actor, data: PersonCreate) -> Person:
    """Create a person (needs ``person.write``); audited and fed to the change feed.

    A department administrator must place the person in one of their units and may
    only create guests and contractors (403 otherwise). Employee number, external
    id and user name must be free in the municipality (409).
    """
    tenant = tenant_of(actor)
    check_unit_in_scope(session, actor, "person.write", data.org_unit_id, field="org_unit_id")
    _check_kind(actor, data.kind)
    values = data.model_dump()
    values["email"] = str(data.email) if data.email else None
    _keys_free(session, tenant, values, None)
    person = Person(tenant_id=tenant, version=1, **values)
    session.add(person)
    flush_or_conflict(session, "person")
    audit(
        session,
        action="person.create",
        obj=person,
        object_type="person",
        text=person.display_name,
        tenant_id=tenant,
    )
    return person


def update_person(
    session: Session, actor: Actor, person_id: uuid.UUID, data: PersonUpdate
) -> Person:
    """Change the fields set in ``data``; bumps ``version`` (the SCIM ETag).

    Setting ``active`` to false deactivates the person exactly as
    :func:`deactivate_person` does: every right is revoked in this transaction.
    """
    person = scoped_person(session, actor, person_id, "person.write")
    changes = data.model_dump(exclude_unset=True)
    for key in _REQUIRED:
        if key in changes and changes[key] is None:
            raise InvalidInput(f"{key} cannot be emptied", field=key, rule="required").said(
                N_("This field is required.")
            )
    if "org_unit_id" in changes and changes["org_unit_id"] != person.org_unit_id:
        check_unit_in_scope(
            session, actor, "person.write", changes["org_unit_id"], field="org_unit_id"
        )
    if changes.get("kind") is not None and changes["kind"] != person.kind:
        _check_kind(actor, changes["kind"])
    if changes.get("email") is not None:
        changes["email"] = str(changes["email"])
    _keys_free(session, person.tenant_id, changes, person.id)
    deactivating = changes.get("active") is False and person.active
    if deactivating:
        # Deactivation has its own audit rows and revocations, done below.
        del changes["active"]
    changed = {k: v for k, v in changes.items() if getattr(person, k) != v}
    if changed:
        before = snapshot(person)
        for key, value in changed.items():
            setattr(person, key, value)
        person.version += 1
        flush_or_conflict(session, "person")
        audit(
            session,
            action="person.update",
            obj=person,
            object_type="person",
            text=person.display_name,
            tenant_id=person.tenant_id,
            before=before,
        )
    if deactivating:
        revoke_everything(session, person, reason="active set to false", now=utcnow())
    return person
