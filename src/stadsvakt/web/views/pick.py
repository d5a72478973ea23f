"""Searchable pickers: ``GET /ui/pick/{kind}?q=…`` answers the options a picker shows.

Forms choose doors, zones, profiles, schedules, people, units, sites and alarm
transmitters with a
``<select data-picker="…">`` that ``picker.js`` turns into a Tom Select asking this
endpoint as the user types, so a page never renders thousands of options. Each answer
holds at most ``limit`` options the signed-in user may see (the same scoping as the
lists), each with the words that tell like-named ones apart: a door's site and zone,
a person's employee number and unit. A multi-choice (a profile's zones) is a
``<select multiple>`` posted as repeated fields (see :mod:`stadsvakt.web.multiform`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Annotated, Any, TypeVarTuple

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session, aliased

from stadsvakt.access.models import AccessProfile, Door, Schedule, Zone
from stadsvakt.access.services._common import shared_or_scoped
from stadsvakt.alarms.models import Transmitter
from stadsvakt.api.deps import SessionDep
from stadsvakt.auth.scope import require, restrict
from stadsvakt.context import Actor
from stadsvakt.directory.models import Person, PersonKind
from stadsvakt.errors import NotFound
from stadsvakt.org.models import OrgUnit, Site
from stadsvakt.textsearch import PEOPLE_TEXT
from stadsvakt.web.deps import HtmlRoute, Page, PageDep

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)
Ts = TypeVarTuple("Ts")


@dataclass(frozen=True, slots=True)
class Option:
    """One choice: the form value, what the user reads, and what tells it apart."""

    value: str
    text: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Ask:
    """What a picker is asked: text to search for, or the ids already chosen, and how many."""

    q: str = ""
    only: frozenset[uuid.UUID] | None = None
    limit: int = 20


Finder = Callable[[Session, Actor, Page, Ask], list[Option]]


def _like(q: str, *columns: Any) -> ColumnElement[bool]:
    # Escape LIKE's wildcards so a typed "%" or "_" matches itself.
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def _searched(stmt: Select[*Ts], ask: Ask, model: Any, *columns: Any) -> Select[*Ts]:
    if ask.only is not None:
        return stmt.where(model.id.in_(ask.only))
    return stmt.where(_like(ask.q, *columns)) if ask.q else stmt


def doors(session: Session, actor: Actor, page: Page, ask: Ask) -> list[Option]:
    """Doors by name or code, or by their site's name or code."""
    # An alias: the door's scope is a subquery over Site, which a joined Site would swallow.
    site = aliased(Site)
    stmt = (
        select(Door.id, Door.name, Door.code, site.name, Zone.name)
        .join(site, site.id == Door.site_id)
        .join(Zone, Zone.id == Door.zone_id)
        .where(Door.tenant_id == actor.tenant_id)
    )
    stmt = _searched(
        restrict(stmt, Door, actor, "access.read"),
        ask,
        Door,
        Door.name,
        Door.code,
        site.name,
        site.code,
    )
    rows = session.execute(stmt.order_by(site.name, Door.name, Door.id).limit(ask.limit))
    return [
        Option(str(i), f"{name} ({code})", f"{site_name} · {zone}")
        for i, name, code, site_name, zone in rows
    ]


def zones(session: Session, actor: Actor, page: Page, ask: Ask) -> list[Option]:
    """Zones by name or code, or by their site's."""
    site = aliased(Site)
    stmt = (
        select(Zone.id, Zone.name, Zone.code, site.name)
        .join(site, site.id == Zone.site_id)
        .where(Zone.tenant_id == actor.tenant_id)
    )
    stmt = _searched(
        restrict(stmt, Zone, actor, "access.read"),
        ask,
        Zone,
        Zone.name,
        Zone.code,
        site.name,
        site.code,
    )
    rows = session.execute(stmt.order_by(site.name, Zone.name, Zone.id).limit(ask.limit))
    return [Option(str(i), f"{name} ({code})", site_name) for i, name, code, site_name in rows]


def profiles(session: Session, actor: Actor, page: Page, ask: Ask) -> list[Option]:
    """Access profiles the user may use: the municipality's shared ones and their units'."""
    stmt = select(AccessProfile.id, AccessProfile.name, AccessProfile.code, OrgUnit.name).outerjoin(
        OrgUnit, OrgUnit.id == AccessProfile.org_unit_id
    )
    stmt = shared_or_scoped(stmt, AccessProfile, actor, "access.read")  # type: ignore[arg-type,assignment]
    stmt = _searched(stmt, ask, AccessProfile, AccessProfile.name, AccessProfile.code)
    rows = session.execute(stmt.order_by(AccessProfile.name, AccessProfile.id).limit(ask.limit))
    shared = page._("Shared by the municipality")
    return [Option(str(i), f"{name} ({code})", unit or shared) for i, name, code, unit in rows]


def schedules(session: Session, actor: Actor, page: Page, ask: Ask) -> list[Option]:
    """Schedules the user may use: the municipality's shared ones and their units'."""
    stmt = select(Schedule.id, Schedule.name, Schedule.code, OrgUnit.name).outerjoin(
        OrgUnit, OrgUnit.id == Schedule.org_unit_id
    )
    stmt = shared_or_scoped(stmt, Schedule, actor, "access.read")  # type: ignore[arg-type,assignment]
    stmt = _searched(stmt, ask, Schedule, Schedule.name, Schedule.code)
    rows = session.execute(stmt.order_by(Schedule.name, Schedule.id).limit(ask.limit))
    shared = page._("Shared by the municipality")
    return [Option(str(i), f"{name} ({code})", unit or shared) for i, name, code, unit in rows]


def _people(session: Session, actor: Actor, ask: Ask, kind: PersonKind | None) -> list[Option]:
    stmt = (
        select(
            Person.id, Person.given_name, Person.family_name, Person.employee_number, OrgUnit.name
        )
        .outerjoin(OrgUnit, OrgUnit.id == Person.org_unit_id)
        .where(Person.tenant_id == actor.tenant_id, Person.active.is_(True))
    )
    if kind is not None:
        stmt = stmt.where(Person.kind == kind)
    stmt = restrict(stmt, Person, actor, "person.read")
    if ask.only is not None:
        stmt = stmt.where(Person.id.in_(ask.only))
    elif ask.q:
        # One case-folded column (names both ways, number, e-mail, user name), as the list.
        stmt = stmt.where(PEOPLE_TEXT.contains(session, ask.q.casefold()))
    rows = session.execute(
        stmt.order_by(Person.family_name, Person.given_name, Person.id).limit(ask.limit)
    )
    return [
        Option(str(i), f"{given} {family}", " · ".join(x for x in (number, unit) if x))
        for i, given, family, number, unit in rows
    ]


def people(session: Session, actor: Actor, page: Page, ask: Ask) -> list[Option]:
    """Active people by name, employee number or e-mail."""
    return _people(session, actor, ask, None)


def employees(session: Session, actor: Actor, page: Page, ask: Ask) -> list[Option]:
    """Active employees (a grant's host, an extra right's holder)."""
    return _people(session, actor, ask, PersonKind.EMPLOYEE)


def guests(session: Session, actor: Actor, page: Page, ask: Ask) -> list[Option]:
    """Active guests (a guest grant's holder)."""
    return _people(session, actor, ask, PersonKind.GUEST)


def contractors(session: Session, actor: Actor, page: Page, ask: Ask) -> list[Option]:
    """Active contractors (a contractor grant's holder)."""
    return _people(session, actor, ask, PersonKind.CONTRACTOR)


def units(session: Session, actor: Actor, page: Page, ask: Ask) -> list[Option]:
    """Organisation units by name or code, with their parent."""
    parent = aliased(OrgUnit)
    stmt = (
        select(OrgUnit.id, OrgUnit.name, OrgUnit.code, parent.name)
        .outerjoin(parent, parent.id == OrgUnit.parent_id)
        .where(OrgUnit.tenant_id == actor.tenant_id)
    )
    stmt = _searched(
        restrict(stmt, OrgUnit, actor, "org.read"), ask, OrgUnit, OrgUnit.name, OrgUnit.code
    )
    rows = session.execute(stmt.order_by(OrgUnit.name, OrgUnit.id).limit(ask.limit))
    return [
        Option(str(i), name, " · ".join(x for x in (code, up) if x)) for i, name, code, up in rows
    ]


def sites(session: Session, actor: Actor, page: Page, ask: Ask) -> list[Option]:
    """Sites by name, code or street."""
    stmt = select(Site.id, Site.name, Site.code, Site.street, Site.city).where(
        Site.tenant_id == actor.tenant_id
    )
    stmt = _searched(
        restrict(stmt, Site, actor, "site.read"), ask, Site, Site.name, Site.code, Site.street
    )
    rows = session.execute(stmt.order_by(Site.name, Site.id).limit(ask.limit))
    return [
        Option(str(i), f"{name} ({code})", f"{street}, {city}")
        for i, name, code, street, city in rows
    ]


def transmitters(session: Session, actor: Actor, page: Page, ask: Ask) -> list[Option]:
    """Alarm transmitters by account or name, or by their site's name."""
    site = aliased(Site)
    stmt = (
        select(Transmitter.id, Transmitter.account, Transmitter.name, site.name)
        .join(site, site.id == Transmitter.site_id)
        .where(Transmitter.tenant_id == actor.tenant_id)
    )
    stmt = _searched(
        restrict(stmt, Transmitter, actor, "transmitter.read"),
        ask,
        Transmitter,
        Transmitter.account,
        Transmitter.name,
        site.name,
    )
    rows = session.execute(stmt.order_by(Transmitter.account, Transmitter.id).limit(ask.limit))
    return [
        Option(str(i), account, " · ".join(x for x in (name, site_name) if x))
        for i, account, name, site_name in rows
    ]


#: Each picker and the permission it needs.
FINDERS: dict[str, tuple[str, Finder]] = {
    "doors": ("access.read", doors),
    "zones": ("access.read", zones),
    "profiles": ("access.read", profiles),
    "schedules": ("access.read", schedules),
    "people": ("person.read", people),
    "employees": ("person.read", employees),
    "guests": ("person.read", guests),
    "contractors": ("person.read", contractors),
    "units": ("org.read", units),
    "sites": ("site.read", sites),
    "transmitters": ("transmitter.read", transmitters),
}


def chosen(page: Page, session: Session, kind: str, value: str) -> Option | None:
    """The option of a value already chosen, to draw a form again with its choice selected
    (``None`` for an empty, malformed or invisible value)."""
    found = chosen_many(page, session, kind, [value])
    return found[0] if found else None


def chosen_many(page: Page, session: Session, kind: str, values: Sequence[str]) -> list[Option]:
    """The options of several values already chosen (a multi-choice picker), in the order
    given; empty, malformed, repeated or invisible values are left out."""
    wanted: list[uuid.UUID] = []
    for value in values:
        try:
            parsed = uuid.UUID(value)
        except ValueError:
            continue
        if parsed not in wanted:
            wanted.append(parsed)
    permission, finder = FINDERS[kind]
    if not wanted or page.actor is None or not page.actor.can(permission):
        return []
    found = finder(session, page.actor, page, Ask(only=frozenset(wanted), limit=len(wanted)))
    by_value = {option.value: option for option in found}
    return [by_value[str(w)] for w in wanted if str(w) in by_value]


@router.get("/ui/pick/{kind}")
def pick(
    kind: str,
    page: PageDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> JSONResponse:
    """Up to ``limit`` options of ``kind`` matching ``q``, as ``{"items": [...]}``."""
    assert page.actor is not None
    if kind not in FINDERS:
        raise NotFound(f"no picker {kind!r}")
    permission, finder = FINDERS[kind]
    require(page.actor, permission)
    items = finder(session, page.actor, page, Ask(q=q.strip(), limit=limit))
    return JSONResponse(
        {"items": [asdict(o) for o in items]}, headers={"Cache-Control": "no-store"}
    )
