"""Orphan credentials: active credentials whose holder is inactive or has no current
assignment (the Malmö city hall finding: tags still working for people who had left)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from stadsvakt.access.models import Credential, CredentialKind, CredentialState
from stadsvakt.access.services._common import bounded
from stadsvakt.access.timerules import STOCKHOLM
from stadsvakt.auth.scope import require, restrict
from stadsvakt.context import Actor
from stadsvakt.directory.models import Assignment, Person

#: Why a credential is an orphan.
PERSON_INACTIVE = "person_inactive"
NO_CURRENT_ASSIGNMENT = "no_current_assignment"


@dataclass(frozen=True, slots=True)
class OrphanRow:
    """An active credential held by someone who should no longer have one."""

    credential_id: uuid.UUID
    kind: CredentialKind
    identifier: str
    technology: str | None
    valid_to: datetime | None
    person_id: uuid.UUID
    person_name: str
    employee_number: str | None
    person_active: bool
    reason: str
    last_assignment_end: date | None


def _readable(session: Session, actor: Actor, people: set[uuid.UUID]) -> set[uuid.UUID]:
    """The people among ``people`` the actor may read."""
    items, readable = list(people), set()
    for start in range(0, len(items), 500):
        stmt = select(Person.id).where(Person.id.in_(items[start : start + 500]))
        readable |= set(session.execute(restrict(stmt, Person, actor, "person.read")).scalars())
    return readable


def orphan_condition(holder: Any, at: datetime) -> ColumnElement[bool]:
    """The WHERE clause of an orphan: an active, unexpired credential whose ``holder`` (the
    joined Person, or an alias of it) is inactive or has no assignment on ``at``'s day.

    An assignment is current from its start day (included) until its end day (excluded:
    the first day it no longer holds), in Stockholm time, as decisions count it.
    """
    today = at.astimezone(STOCKHOLM).date()
    current = exists().where(
        Assignment.person_id == holder.id,
        Assignment.start <= today,
        or_(Assignment.end.is_(None), Assignment.end > today),
    )
    return and_(
        Credential.state == CredentialState.ACTIVE,
        or_(Credential.valid_to.is_(None), Credential.valid_to > at),
        or_(holder.active.is_(False), ~current),
    )


def orphan_credentials(session: Session, actor: Actor, *, at: datetime) -> list[OrphanRow]:
    """Active credentials of inactive people or of people with no assignment on ``at``'s day.

    See :func:`orphan_condition`. PIN identifiers are lookup ids, never the PIN.
    """
    require(actor, "access.read")
    bounded(at, "at")
    # The holder is an alias: the credential's scope expression is a subquery over Person.
    holder = aliased(Person)
    last_end = (
        select(func.max(Assignment.end)).where(Assignment.person_id == holder.id).scalar_subquery()
    )
    stmt = (
        select(Credential, holder, last_end)
        .join(holder, holder.id == Credential.person_id)
        .where(orphan_condition(holder, at))
    )
    stmt = restrict(stmt, Credential, actor, "credential.read")
    found = session.execute(stmt).all()
    # Two scope subqueries cannot share one statement (both are named CTEs): people second.
    readable = _readable(session, actor, {person.id for _, person, _ in found})
    rows: list[OrphanRow] = []
    for credential, person, end in found:
        if person.id not in readable:
            continue
        rows.append(
            OrphanRow(
                credential_id=credential.id,
                kind=credential.kind,
                identifier=credential.identifier,
                technology=credential.technology,
                valid_to=credential.valid_to,
                person_id=person.id,
                person_name=person.display_name,
                employee_number=person.employee_number,
                person_active=person.active,
                reason=NO_CURRENT_ASSIGNMENT if person.active else PERSON_INACTIVE,
                last_assignment_end=end,
            )
        )
    return sorted(rows, key=lambda r: (r.person_name, str(r.person_id), r.kind, r.identifier))
