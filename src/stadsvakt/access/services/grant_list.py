"""The grants list of the admin UI: search, kind and state filters, grants ending soon,
sorting and paging, with the names a row shows (holder, host, profile) in one query."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from stadsvakt.access.models import AccessProfile, Grant, GrantKind
from stadsvakt.access.timerules import STOCKHOLM
from stadsvakt.auth.scope import restrict
from stadsvakt.context import Actor
from stadsvakt.directory.models import Group, Person, PersonKind
from stadsvakt.errors import NotFound
from stadsvakt.org.models import OrgUnit
from stadsvakt.paging import Order, contains, sorted_by

READ = "grant.read"


class GrantState(StrEnum):
    """Where a grant's window stands at a moment."""

    CURRENT = "current"  # in force
    UPCOMING = "upcoming"  # starts later
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class GrantRow:
    """A grant with the words its list row shows."""

    grant: Grant
    holder: str  # the person's name, or the group's
    holder_kind: PersonKind | None  # None for a group
    host: str | None
    profile: str
    unit: str | None  # the giving unit


_holder = aliased(Person)
_host = aliased(Person)
# An alias, so the scope's subquery over units is never correlated with the joined unit.
_unit = aliased(OrgUnit)
#: Open-ended grants sort after every dated end.
_END = (case((Grant.valid_to.is_(None), 1), else_=0), Grant.valid_to)
#: What the list can be sorted by.
GRANT_SORTS: dict[str, Any] = {
    "from": Grant.valid_from,
    "to": _END,
    "person": (_holder.family_name, _holder.given_name, Group.display_name),
    "kind": Grant.kind,
}
NEWEST = Order("from", descending=True)


def state_clause(state: GrantState, now: datetime) -> Any:
    """The grants in ``state`` at ``now``."""
    if state is GrantState.UPCOMING:
        return Grant.valid_from > now
    if state is GrantState.ENDED:
        return Grant.valid_to <= now
    return (Grant.valid_from <= now) & (Grant.valid_to.is_(None) | (Grant.valid_to > now))


def ending_within(days: int, now: datetime) -> Any:
    """Grants in force at ``now`` that end within ``days`` days by Stockholm's calendar.

    The limit is the same wall-clock time ``days`` days later in Stockholm, so a week
    across a change to or from summer time is still a week on the clock.
    """
    limit = now.astimezone(STOCKHOLM) + timedelta(days=days)
    return state_clause(GrantState.CURRENT, now) & (Grant.valid_to <= limit)


def _searched(stmt: Select[Any], q: str) -> Select[Any]:
    pattern = contains(q.strip())
    name = _holder.given_name + " " + _holder.family_name
    host_name = _host.given_name + " " + _host.family_name
    columns = (
        name,
        _holder.family_name,
        host_name,
        _host.family_name,
        Group.display_name,
        AccessProfile.name,
        AccessProfile.code,
        Grant.company,
        Grant.booking_party,
        Grant.booking_reference,
    )
    return stmt.where(or_(*(c.ilike(pattern, escape="\\") for c in columns)))


def search_grants(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    limit: int,
    offset: int,
    q: str | None = None,
    kind: GrantKind | None = None,
    state: GrantState | None = None,
    ending_days: int | None = None,
    person_id: uuid.UUID | None = None,
    order: Order = NEWEST,
) -> tuple[list[GrantRow], int]:
    """Grants given by the actor's units, as list rows, and how many match in all.

    ``q`` looks in the holder's and host's names, the group, the profile, the company,
    the booking party and reference; ``ending_days`` keeps grants in force that end
    within that many days (:func:`ending_within`).
    """
    scoped = _rows(actor)
    stmt = sorted_by(scoped, GRANT_SORTS, order, tiebreak=Grant.id)
    if q:
        stmt = _searched(stmt, q)
    if kind is not None:
        stmt = stmt.where(Grant.kind == kind)
    if state is not None:
        stmt = stmt.where(state_clause(state, now))
    if ending_days is not None:
        stmt = stmt.where(ending_within(ending_days, now))
    if person_id is not None:
        stmt = stmt.where(Grant.person_id == person_id)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.limit(limit).offset(offset)).all()
    return [_row(tuple(row)) for row in rows], total


def grant_row(session: Session, actor: Actor, grant_id: uuid.UUID) -> GrantRow:
    """One grant given by the actor's units, with its names (404 otherwise)."""
    found = session.execute(_rows(actor).where(Grant.id == grant_id)).first()
    if found is None:
        raise NotFound(f"no grant {grant_id}")
    return _row(tuple(found))


def _rows(actor: Actor) -> Select[Any]:
    """Grants in the actor's ``grant.read`` scope with the names their rows show."""
    base = (
        select(
            Grant,
            _holder.given_name,
            _holder.family_name,
            _holder.kind,
            Group.display_name,
            _host.given_name,
            _host.family_name,
            AccessProfile.name,
            _unit.name,
        )
        .join(AccessProfile, AccessProfile.id == Grant.profile_id)
        .outerjoin(_holder, _holder.id == Grant.person_id)
        .outerjoin(Group, Group.id == Grant.group_id)
        .outerjoin(_host, _host.id == Grant.host_person_id)
        .outerjoin(_unit, _unit.id == Grant.org_unit_id)
    )
    scoped: Select[Any] = restrict(base, Grant, actor, READ)  # type: ignore[arg-type]
    return scoped


def _row(values: tuple[Any, ...]) -> GrantRow:
    grant, given, family, holder_kind, group, host_given, host_family, profile, unit = values
    holder = f"{given} {family}" if family is not None else (group or "")
    host = f"{host_given} {host_family}" if host_family is not None else None
    return GrantRow(grant, holder, holder_kind, host, profile, unit)
