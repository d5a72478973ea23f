"""Rules and queries for municipalities, organisation units and sites. Callers commit.

Every read goes through :func:`stadsvakt.auth.scope.restrict`, so a department
administrator's query itself can only return their own units' rows; an id
outside the scope is indistinguishable from an unknown one (404).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stadsvakt.access.services.catalogue import seed_service_levels
from stadsvakt.audit.service import record, snapshot
from stadsvakt.auth.scope import check_unit_in_scope, restrict, subtree_ids
from stadsvakt.auth.service import ensure_builtin_roles
from stadsvakt.context import Actor
from stadsvakt.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from stadsvakt.org.models import Municipality, OrgUnit, OwnerKind, Site, UnitKind
from stadsvakt.org.schemas import (
    MunicipalityCreate,
    OrgUnitCreate,
    OrgUnitUpdate,
    SiteCreate,
    SiteUpdate,
)
from stadsvakt.paging import Order, sorted_by
from stadsvakt.textsearch import contains

M = TypeVar("M", OrgUnit, Site)


def create_municipality(session: Session, actor: Actor, data: MunicipalityCreate) -> Municipality:
    """Create a tenant with its built-in roles (system actors only: the CLI)."""
    if actor.kind != "system":
        raise Forbidden("municipalities are created by the installation's operator (CLI)")
    taken = session.execute(
        select(Municipality.id).where(
            or_(Municipality.name == data.name, Municipality.code == data.code)
        )
    ).first()
    if taken:
        raise Conflict(f"a municipality named '{data.name}' or with code {data.code} exists")
    municipality = Municipality(name=data.name, code=data.code)
    session.add(municipality)
    session.flush()
    ensure_builtin_roles(session, municipality.id)
    seed_service_levels(session, municipality.id)
    record(
        session,
        action="municipality.create",
        object_type="municipality",
        object_id=municipality.id,
        object_text=municipality.name,
        tenant_id=municipality.id,
        after=snapshot(municipality),
    )
    return municipality


def get_municipality(session: Session, actor: Actor) -> Municipality:
    """The actor's own municipality."""
    if actor.tenant_id is None:
        raise NotFound("this actor belongs to no municipality")
    municipality = session.get(Municipality, actor.tenant_id)
    if municipality is None:
        raise NotFound(f"no municipality {actor.tenant_id}")
    return municipality


def _page(session: Session, stmt: Select[M], limit: int, offset: int) -> tuple[list[M], int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return list(session.scalars(stmt.limit(limit).offset(offset))), total


def _get(
    session: Session, actor: Actor, model: type[M], object_id: uuid.UUID, permission: str
) -> M:
    stmt = restrict(select(model).where(model.id == object_id), model, actor, permission)
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no {model.__tablename__[:-1].replace('_', ' ')} {object_id}")
    return found


def _code_free(
    session: Session, model: type[M], tenant_id: uuid.UUID, code: str, own: uuid.UUID | None
) -> None:
    stmt = select(model.id).where(model.tenant_id == tenant_id, model.code == code)
    existing = session.execute(stmt).scalar_one_or_none()
    if existing is not None and existing != own:
        raise Conflict(f"code '{code}' is already used", field="code").said(
            N_("This code is already used.")
        )


def _flush_or_conflict(session: Session, what: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{what} clashes with an existing record") from exc


def _tenant(actor: Actor) -> uuid.UUID:
    if actor.tenant_id is None:
        raise InvalidInput("act within a municipality", field="tenant", rule="required")
    return actor.tenant_id


# --- organisation units -------------------------------------------------------------------


#: The keys the unit list may be sorted by.
UNIT_SORTS: dict[str, Any] = {"name": OrgUnit.name, "code": OrgUnit.code, "kind": OrgUnit.kind}
#: The keys the site list may be sorted by.
SITE_SORTS: dict[str, Any] = {
    "name": Site.name,
    "code": Site.code,
    "address": (Site.city, Site.street),
    "owner": (Site.owner_kind, Site.owner_name),
}
BY_NAME = Order("name")


def list_units(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    parent_id: uuid.UUID | None = None,
    q: str | None = None,
    kind: UnitKind | None = None,
    order: Order = BY_NAME,
) -> tuple[list[OrgUnit], int]:
    """Units the actor may see, sorted by ``order`` (a key of :data:`UNIT_SORTS`; by name
    unless asked); ``q`` looks in names and codes."""
    stmt = sorted_by(
        restrict(select(OrgUnit), OrgUnit, actor, "org.read"),
        UNIT_SORTS,
        order,
        tiebreak=OrgUnit.id,
    )
    if parent_id is not None:
        stmt = stmt.where(OrgUnit.parent_id == parent_id)
    if q:
        stmt = stmt.where(contains(q, OrgUnit.name, OrgUnit.code))
    if kind is not None:
        stmt = stmt.where(OrgUnit.kind == kind)
    return _page(session, stmt, limit, offset)


def unit_paths(session: Session, unit_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Each unit's names from the top of the tree down to the unit itself (one query per
    level), for lists that show where a unit sits. Callers have checked the units' scope."""
    ids = list(unit_ids)
    parents: dict[uuid.UUID, tuple[uuid.UUID | None, str]] = {}
    wanted = set(ids)
    for _ in range(50):  # deeper than any municipality's tree; guards against a cycle
        wanted -= parents.keys()
        if not wanted:
            break
        stmt = select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.name).where(OrgUnit.id.in_(wanted))
        for unit_id, parent_id, name in session.execute(stmt):
            parents[unit_id] = (parent_id, name)
        wanted = {p for p, _ in parents.values() if p is not None and p not in parents}
    paths: dict[uuid.UUID, list[str]] = {}
    for unit_id in ids:
        path: list[str] = []
        current: uuid.UUID | None = unit_id
        while current is not None and current in parents and len(path) < 50:
            parent_id, name = parents[current]
            path.append(name)
            current = parent_id
        paths[unit_id] = list(reversed(path))
    return paths


def unit_names(
    session: Session, actor: Actor, unit_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The names of the given units the actor may see (for a list's unit column)."""
    ids = set(unit_ids)
    if not ids or not actor.can("org.read"):
        return {}
    stmt = restrict(
        select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(ids)), OrgUnit, actor, "org.read"
    )
    return {unit_id: name for unit_id, name in session.execute(stmt)}


def get_unit(session: Session, actor: Actor, unit_id: uuid.UUID) -> OrgUnit:
    """One unit in the actor's scope."""
    return _get(session, actor, OrgUnit, unit_id, "org.read")


def create_unit(session: Session, actor: Actor, data: OrgUnitCreate) -> OrgUnit:
    """Create a unit; a department administrator may only create below their own units."""
    tenant = _tenant(actor)
    check_unit_in_scope(session, actor, "org.write", data.parent_id, field="parent_id")
    _code_free(session, OrgUnit, tenant, data.code, None)
    unit = OrgUnit(tenant_id=tenant, **data.model_dump())
    session.add(unit)
    _flush_or_conflict(session, "organisation unit")
    record(
        session,
        action="org_unit.create",
        object_type="org_unit",
        object_id=unit.id,
        object_text=unit.name,
        tenant_id=tenant,
        after=snapshot(unit),
    )
    return unit


def _would_cycle(session: Session, unit_id: uuid.UUID, new_parent: uuid.UUID) -> bool:
    current: uuid.UUID | None = new_parent
    for _ in range(1000):
        if current is None:
            return False
        if current == unit_id:
            return True
        current = session.scalar(select(OrgUnit.parent_id).where(OrgUnit.id == current))
    return True


def update_unit(session: Session, actor: Actor, unit_id: uuid.UUID, data: OrgUnitUpdate) -> OrgUnit:
    """Rename, recode or move a unit."""
    unit = _get(session, actor, OrgUnit, unit_id, "org.write")
    before = snapshot(unit)
    changes = data.model_dump(exclude_unset=True)
    if "parent_id" in changes:
        parent = changes["parent_id"]
        check_unit_in_scope(session, actor, "org.write", parent, field="parent_id")
        if parent is not None and _would_cycle(session, unit.id, parent):
            raise InvalidInput(
                "a unit cannot be moved below itself", field="parent_id", rule="no_cycle"
            ).said(N_("A unit cannot be moved below itself."))
    if changes.get("code"):
        _code_free(session, OrgUnit, unit.tenant_id, changes["code"], unit.id)
    _apply(unit, changes, required=("code", "name", "kind"))
    _flush_or_conflict(session, "organisation unit")
    record(
        session,
        action="org_unit.update",
        object_type="org_unit",
        object_id=unit.id,
        object_text=unit.name,
        tenant_id=unit.tenant_id,
        before=before,
        after=snapshot(unit),
    )
    return unit


def may_remove_unit(actor: Actor, unit: OrgUnit) -> bool:
    """Whether the actor may remove this unit at all (empty or not): with ``org.write``,
    and never the unit a department administrator administers."""
    if not actor.can("org.write"):
        return False
    scope = actor.scope("org.write")
    return scope is None or unit.id not in scope


def delete_unit(session: Session, actor: Actor, unit_id: uuid.UUID) -> None:
    """Remove an empty unit (no sub-units, no sites)."""
    unit = _get(session, actor, OrgUnit, unit_id, "org.write")
    if not may_remove_unit(actor, unit):
        raise Forbidden("a department administrator cannot remove the unit they administer").said(
            N_("A department administrator cannot remove the unit they administer.")
        )
    if session.scalar(select(func.count()).where(OrgUnit.parent_id == unit.id)):
        raise Conflict(f"unit '{unit.name}' has sub-units; move or remove them first").said(
            N_("The unit %(name)s has sub-units; move or remove them first."), name=unit.name
        )
    if session.scalar(select(func.count()).where(Site.org_unit_id == unit.id)):
        raise Conflict(f"unit '{unit.name}' has sites; move them first").said(
            N_("The unit %(name)s has sites; move them first."), name=unit.name
        )
    before = snapshot(unit)
    session.delete(unit)
    _flush_or_conflict(session, "organisation unit")
    record(
        session,
        action="org_unit.delete",
        object_type="org_unit",
        object_id=unit_id,
        object_text=before["name"],
        tenant_id=unit.tenant_id,
        before=before,
    )


def _apply(obj: object, changes: dict[str, Any], *, required: tuple[str, ...]) -> None:
    for key, value in changes.items():
        if value is None and key in required:
            raise InvalidInput(f"{key} cannot be emptied", field=key, rule="required").said(
                N_("This field is required.")
            )
        setattr(obj, key, value)


# --- sites --------------------------------------------------------------------------------


def list_sites(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    q: str | None = None,
    owner_kind: OwnerKind | None = None,
    org_unit_id: uuid.UUID | None = None,
    within_unit: uuid.UUID | None = None,
    order: Order = BY_NAME,
) -> tuple[list[Site], int]:
    """Sites the actor may see, sorted by ``order`` (a key of :data:`SITE_SORTS`; by name
    unless asked). ``q`` looks in name, code and street; ``org_unit_id`` keeps the sites of
    that unit, ``within_unit`` those of that unit or a unit below it."""
    stmt = sorted_by(
        restrict(select(Site), Site, actor, "site.read"), SITE_SORTS, order, tiebreak=Site.id
    )
    if q:
        stmt = stmt.where(contains(q, Site.name, Site.code, Site.street))
    if owner_kind is not None:
        stmt = stmt.where(Site.owner_kind == owner_kind)
    if org_unit_id is not None:
        stmt = stmt.where(Site.org_unit_id == org_unit_id)
    if within_unit is not None:
        stmt = stmt.where(Site.org_unit_id.in_(subtree_ids(frozenset({within_unit}))))
    return _page(session, stmt, limit, offset)


def site_names(
    session: Session, actor: Actor, site_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    """The names of the given sites the actor may see (for a list's site column)."""
    ids = {i for i in site_ids if i is not None}
    if not ids or not actor.can("site.read"):
        return {}
    stmt = restrict(select(Site.id, Site.name).where(Site.id.in_(ids)), Site, actor, "site.read")
    return {site_id: name for site_id, name in session.execute(stmt)}


def get_site(session: Session, actor: Actor, site_id: uuid.UUID) -> Site:
    """One site in the actor's scope."""
    return _get(session, actor, Site, site_id, "site.read")


def create_site(session: Session, actor: Actor, data: SiteCreate) -> Site:
    """Create a site; a department administrator must place it under one of their units."""
    tenant = _tenant(actor)
    check_unit_in_scope(session, actor, "site.write", data.org_unit_id, field="org_unit_id")
    _code_free(session, Site, tenant, data.code, None)
    values = data.model_dump()
    values["owner_email"] = str(data.owner_email) if data.owner_email else None
    site = Site(tenant_id=tenant, **values)
    session.add(site)
    _flush_or_conflict(session, "site")
    record(
        session,
        action="site.create",
        object_type="site",
        object_id=site.id,
        object_text=site.name,
        tenant_id=tenant,
        after=snapshot(site),
    )
    return site


def update_site(session: Session, actor: Actor, site_id: uuid.UUID, data: SiteUpdate) -> Site:
    """Change a site's details, owner or unit."""
    site = _get(session, actor, Site, site_id, "site.write")
    before = snapshot(site)
    changes = data.model_dump(exclude_unset=True)
    if "org_unit_id" in changes:
        check_unit_in_scope(
            session, actor, "site.write", changes["org_unit_id"], field="org_unit_id"
        )
    if changes.get("code"):
        _code_free(session, Site, site.tenant_id, changes["code"], site.id)
    if changes.get("owner_email") is not None:
        changes["owner_email"] = str(changes["owner_email"])
    _apply(
        site,
        changes,
        required=(
            "code",
            "name",
            "street",
            "postal_code",
            "city",
            "latitude",
            "longitude",
            "owner_kind",
        ),
    )
    if site.owner_kind is OwnerKind.EXTERNAL and not site.owner_name:
        raise InvalidInput(
            "required when owner_kind is 'external'",
            field="owner_name",
            rule="required_for_external_owner",
        ).said(N_("Required when the owner is external."))
    _flush_or_conflict(session, "site")
    record(
        session,
        action="site.update",
        object_type="site",
        object_id=site.id,
        object_text=site.name,
        tenant_id=site.tenant_id,
        before=before,
        after=snapshot(site),
    )
    return site


def delete_site(session: Session, actor: Actor, site_id: uuid.UUID) -> None:
    """Remove a site."""
    site = _get(session, actor, Site, site_id, "site.write")
    before = snapshot(site)
    session.delete(site)
    _flush_or_conflict(session, "site")
    record(
        session,
        action="site.delete",
        object_type="site",
        object_id=site_id,
        object_text=site.name,
        tenant_id=site.tenant_id,
        before=before,
    )
