"""SCIM Users onto people of the directory, and back.

The mapping (see docs/scim.md): ``userName``, ``externalId``, ``name``,
``emails`` (one address kept), ``active`` onto the person; the enterprise
extension's ``employeeNumber`` onto the employee number; ``department`` (a unit
code, else a unit name, of the municipality) with ``title`` (the position)
become the person's SCIM assignment, through the directory service, so every
change is audited and fed to the access change feed. ``active: false`` and
DELETE revoke every right in the same transaction (the directory service's
deactivation).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError
from scim2_models import InvalidValueException, Meta, Resource, UniquenessException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.directory import service as directory
from stadsvakt.directory.models import Assignment, Person
from stadsvakt.directory.schemas import AssignmentIn, PersonCreate, PersonUpdate
from stadsvakt.org.models import OrgUnit
from stadsvakt.scim.errors import invalid_value
from stadsvakt.scim.filters import SCIM_SOURCE
from stadsvakt.scim.models import (
    ENTERPRISE_SCHEMA,
    Email,
    EnterpriseUser,
    Name,
    User,
    UserResource,
)

#: The position of a SCIM assignment whose user has no ``title`` (a position is required).
NO_TITLE = "(ingen titel)"


def etag(version: int) -> str:
    """The weak ETag (``meta.version``) of a row version."""
    return f'W/"{version}"'


def scim_assignment(person: Person, today: date) -> Assignment | None:
    """The person's SCIM assignment: the open one, else the one that ended last.

    A deactivated person keeps showing the department and title they had.
    """
    rows = [a for a in person.assignments if a.source == SCIM_SOURCE and a.start <= today]
    if not rows:
        return None
    # An open assignment wins over one ending today (the one a change of department or
    # title just replaced), and the latest begun wins among the rest.
    return max(rows, key=lambda a: (a.end is None, a.end or a.start, a.start, a.created_at))


def unit_codes(session: Session, people: Iterable[Person]) -> dict[uuid.UUID, str]:
    """The codes of the units of these people's assignments, by unit id."""
    ids = {a.org_unit_id for p in people for a in p.assignments}
    if not ids:
        return {}
    rows = session.execute(select(OrgUnit.id, OrgUnit.code).where(OrgUnit.id.in_(ids)))
    return {unit_id: code for unit_id, code in rows}


def to_resource(person: Person, codes: dict[uuid.UUID, str], today: date) -> Resource[Any]:
    """A person as a SCIM User with the enterprise extension."""
    assignment = scim_assignment(person, today)
    user = UserResource(
        id=str(person.id),
        external_id=person.external_id,
        user_name=person.user_name,
        name=Name(given_name=person.given_name, family_name=person.family_name),
        display_name=person.display_name,
        title=(assignment.position if assignment and assignment.position != NO_TITLE else None),
        active=person.active,
        emails=[Email(value=person.email, type="work")] if person.email else None,
        meta=Meta(
            resource_type="User",
            created=person.created_at,
            last_modified=person.updated_at,
            version=etag(person.version),
        ),
    )
    user[EnterpriseUser] = EnterpriseUser(
        employee_number=person.employee_number,
        department=codes.get(assignment.org_unit_id) if assignment else None,
    )
    resource: Resource[Any] = user
    return resource


def _text(value: str | None) -> str | None:
    value = value.strip() if value else value
    return value or None


def _email(user: User) -> str | None:
    emails = [e for e in user.emails or [] if e.value]
    if not emails:
        return None
    primary = (e for e in emails if e.unknown_attributes.get("primary") is True)
    chosen = next(primary, emails[0])
    return str(chosen.value)


def _enterprise(user: User) -> EnterpriseUser:
    extension = user[EnterpriseUser]
    return extension if isinstance(extension, EnterpriseUser) else EnterpriseUser()


def _searchable(attribute: str, value: str) -> str:
    """``value``, refused if it holds a NUL: it is looked up before the directory's own
    validation, and PostgreSQL refuses a NUL in text (a 500 rather than a 400)."""
    if "\x00" in value:
        raise InvalidValueException(detail=f"{attribute}: must not contain NUL characters")
    return value


def find_unit(session: Session, tenant_id: uuid.UUID, department: str | None) -> OrgUnit:
    """The unit a ``department`` names: by code, else by name (case-insensitive).

    An unknown or ambiguous department is refused; stadsvakt never creates units
    from provisioning, since a unit decides who administers the person.
    """
    value = _text(department)
    if value is None:
        raise InvalidValueException(
            detail="urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department "
            "is required: the code or name of one of the municipality's units"
        )
    _searchable(f"{ENTERPRISE_SCHEMA}:department", value)
    in_tenant = select(OrgUnit).where(OrgUnit.tenant_id == tenant_id)
    by_code = session.scalars(in_tenant.where(func.lower(OrgUnit.code) == value.lower())).all()
    found = (
        by_code or session.scalars(in_tenant.where(func.lower(OrgUnit.name) == value.lower())).all()
    )
    if len(found) == 1:
        return found[0]
    if found:
        raise InvalidValueException(
            detail=f"department '{value}' names several units; send the unit code"
        )
    raise InvalidValueException(
        detail=f"department '{value}' is neither the code nor the name of a unit "
        "of this municipality"
    )


def _user_name_free(
    session: Session, tenant_id: uuid.UUID, user: User, own: uuid.UUID | None
) -> None:
    # userName is not case-exact in SCIM, so "ANNA" and "anna" are the same user.
    name = _text(user.user_name)
    if name is None:
        return
    _searchable("userName", name)
    stmt = select(Person.id).where(
        Person.tenant_id == tenant_id, func.lower(Person.user_name) == name.lower()
    )
    existing = session.execute(stmt.limit(1)).scalar_one_or_none()
    if existing is not None and existing != own:
        raise UniquenessException(detail=f"userName '{name}' is already used")


def _person_fields(user: User) -> dict[str, object]:
    name = user.name or Name()
    extension = _enterprise(user)
    return {
        "given_name": _text(name.given_name),
        "family_name": _text(name.family_name),
        "user_name": _text(user.user_name),
        "external_id": _text(user.external_id),
        "email": _email(user),
        "employee_number": _text(extension.employee_number),
    }


def _sync_assignment(
    session: Session, actor: Actor, person: Person, unit: OrgUnit, title: str | None
) -> None:
    """Make ``unit`` and ``title`` the person's SCIM assignment, keeping other sources'.

    Nothing changes when they already are; a reactivated person whose SCIM
    assignment has ended gets it back from today. The version (ETag) is bumped
    when the assignment changes, as it changes the SCIM representation.
    """
    today = directory.local_today(utcnow())
    position = _text(title) or NO_TITLE
    shown = scim_assignment(person, today)
    # A SCIM assignment is open-ended; one with an end was ended by a deactivation.
    running = shown is not None and shown.end is None
    if shown is not None and (shown.org_unit_id, shown.position) == (unit.id, position):
        if running or not person.active:
            return
    # An inactive person's new department or title is kept as a one-day assignment:
    # it reads back, gives no rights (an inactive person never gets access), and a
    # reactivation opens it again.
    end = None if person.active else today + timedelta(days=1)
    others = [
        AssignmentIn(org_unit_id=a.org_unit_id, position=a.position, start=a.start, end=a.end)
        for a in directory.current_assignments(session, person, today)
        if a.source != SCIM_SOURCE
    ]
    try:
        mine = AssignmentIn(org_unit_id=unit.id, position=position, start=today, end=end)
    except ValidationError as exc:
        raise invalid_value(exc, prefix="title") from exc
    directory.set_assignments(session, actor, person, [*others, mine], source=SCIM_SOURCE)
    person.version += 1
    session.flush()


def create_user(session: Session, actor: Actor, tenant_id: uuid.UUID, user: User) -> Person:
    """A new person from a SCIM User, with their assignment; deactivated at once if asked."""
    _user_name_free(session, tenant_id, user, None)
    unit = find_unit(session, tenant_id, _enterprise(user).department)
    try:
        data = PersonCreate.model_validate({**_person_fields(user), "org_unit_id": unit.id})
    except ValidationError as exc:
        raise invalid_value(exc) from exc
    person = directory.create_person(session, actor, data)
    session.refresh(person, ["assignments"])
    _sync_assignment(session, actor, person, unit, user.title)
    if user.active is False:
        directory.deactivate_person(session, actor, person.id, reason="SCIM: active false")
    return person


def update_user(session: Session, actor: Actor, person: Person, user: User) -> Person:
    """Make a person match the whole new state of their SCIM User (PUT and PATCH)."""
    _user_name_free(session, person.tenant_id, user, person.id)
    unit = find_unit(session, person.tenant_id, _enterprise(user).department)
    fields = _person_fields(user)
    reactivate = user.active is True and not person.active
    if reactivate:
        fields["active"] = True
    try:
        data = PersonUpdate.model_validate(fields)
    except ValidationError as exc:
        raise invalid_value(exc) from exc
    directory.update_person(session, actor, person.id, data)
    _sync_assignment(session, actor, person, unit, user.title)
    if user.active is False and person.active:
        directory.deactivate_person(session, actor, person.id, reason="SCIM: active false")
    return person
