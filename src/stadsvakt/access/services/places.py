"""Zones and doors. A department administrator works only in the sites their units use."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, aliased

from stadsvakt.access.changes import Entity, note_change
from stadsvakt.access.models import Door, DoorMode, Schedule, Zone
from stadsvakt.access.schemas.places import DoorCreate, DoorUpdate, ZoneCreate, ZoneUpdate
from stadsvakt.access.services._common import (
    apply,
    changed,
    code_free,
    distinct,
    flush_or_conflict,
    get_in_scope,
    get_shared_or_scoped,
    page,
    site_in_scope,
    tenant_of,
)
from stadsvakt.audit.service import snapshot
from stadsvakt.auth.scope import restrict
from stadsvakt.context import Actor
from stadsvakt.errors import N_, Conflict, InvalidInput, NotFound
from stadsvakt.org.models import Site
from stadsvakt.paging import Order, sorted_by
from stadsvakt.textsearch import contains

READ, WRITE = "access.read", "access.write"
# Aliases: a door's and a zone's scope is a subquery over Site, which a joined Site would
# swallow (SQLAlchemy correlates it away).
_SITE = aliased(Site, name="place_site")
_ZONE = aliased(Zone, name="door_zone")
#: The keys the zone list may be sorted by.
ZONE_SORTS: dict[str, Any] = {
    "code": Zone.code,
    "name": Zone.name,
    "site": (_SITE.name, Zone.name),
}
#: The keys the door list may be sorted by.
DOOR_SORTS: dict[str, Any] = {
    "code": Door.code,
    "name": Door.name,
    "site": (_SITE.name, Door.name),
    "zone": (_ZONE.name, Door.name),
    "mode": Door.mode,
}
BY_CODE = Order("code")


# --- zones ---------------------------------------------------------------------------------


def list_zones(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    site_id: uuid.UUID | None = None,
    q: str | None = None,
    order: Order = BY_CODE,
) -> tuple[list[Zone], int]:
    """Zones in the actor's sites, sorted by ``order`` (a key of :data:`ZONE_SORTS`; by
    code unless asked); ``q`` looks in the zone's and its site's name and code."""
    stmt = sorted_by(
        restrict(select(Zone).join(_SITE, _SITE.id == Zone.site_id), Zone, actor, READ),
        ZONE_SORTS,
        order,
        tiebreak=Zone.id,
    )
    if site_id is not None:
        stmt = stmt.where(Zone.site_id == site_id)
    if q:
        stmt = stmt.where(contains(q, Zone.name, Zone.code, _SITE.name, _SITE.code))
    return page(session, stmt, limit, offset)


def get_zone(session: Session, actor: Actor, zone_id: uuid.UUID) -> Zone:
    """One zone in the actor's sites."""
    return get_in_scope(session, actor, Zone, zone_id, READ, "zone")


def create_zone(session: Session, actor: Actor, data: ZoneCreate) -> Zone:
    """Create a zone in a site the actor may work in."""
    tenant = tenant_of(actor)
    site_in_scope(session, actor, data.site_id, WRITE)
    code_free(session, Zone, tenant, data.code, None)
    zone = Zone(tenant_id=tenant, **data.model_dump())
    session.add(zone)
    flush_or_conflict(session, "zone")
    changed(session, action="zone.create", obj=zone, text=zone.name, before=None, entity="zone")
    return zone


def update_zone(session: Session, actor: Actor, zone_id: uuid.UUID, data: ZoneUpdate) -> Zone:
    """Rename or recode a zone."""
    zone = get_in_scope(session, actor, Zone, zone_id, WRITE, "zone")
    before = snapshot(zone)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("code"):
        code_free(session, Zone, zone.tenant_id, changes["code"], zone.id)
    apply(zone, changes, required=("code", "name"))
    flush_or_conflict(session, "zone")
    changed(session, action="zone.update", obj=zone, text=zone.name, before=before, entity="zone")
    return zone


def delete_zone(session: Session, actor: Actor, zone_id: uuid.UUID) -> None:
    """Remove a zone that has no doors (profiles opening it lose it)."""
    zone = get_in_scope(session, actor, Zone, zone_id, WRITE, "zone")
    if session.scalar(select(func.count()).where(Door.zone_id == zone.id)):
        raise Conflict(f"zone '{zone.name}' has doors; move or remove them first").said(
            N_("The zone %(name)s has doors; move or remove them first."), name=zone.name
        )
    before = snapshot(zone)
    session.delete(zone)
    flush_or_conflict(session, "zone")
    changed(
        session,
        action="zone.delete",
        obj=zone,
        text=zone.name,
        before=before,
        entity="zone",
        deleted=True,
    )


# --- doors ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DoorRow:
    """A door with the names that place it: its site and zone."""

    door: Door
    site_name: str
    site_code: str
    zone_name: str
    zone_code: str


def _doors(
    actor: Actor,
    *,
    site_id: uuid.UUID | None,
    zone_id: uuid.UUID | None,
    mode: DoorMode | None,
    q: str | None,
) -> Select[Door, str, str, str, str]:
    clauses: list[ColumnElement[bool]] = []
    if site_id is not None:
        clauses.append(Door.site_id == site_id)
    if zone_id is not None:
        clauses.append(Door.zone_id == zone_id)
    if mode is not None:
        clauses.append(Door.mode == mode)
    if q:
        clauses.append(
            contains(q, Door.name, Door.code, _SITE.name, _SITE.code, _ZONE.name, _ZONE.code)
        )
    stmt = (
        select(Door, _SITE.name, _SITE.code, _ZONE.name, _ZONE.code)
        .join(_SITE, _SITE.id == Door.site_id)
        .join(_ZONE, _ZONE.id == Door.zone_id)
        .where(*clauses)
    )
    return restrict(stmt, Door, actor, READ)


def list_door_rows(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    site_id: uuid.UUID | None = None,
    zone_id: uuid.UUID | None = None,
    mode: DoorMode | None = None,
    q: str | None = None,
    order: Order = BY_CODE,
) -> tuple[list[DoorRow], int]:
    """Doors in the actor's sites with their site and zone, sorted by ``order`` (a key of
    :data:`DOOR_SORTS`; by code unless asked), and how many match in all. ``q`` looks in
    the door's, its site's and its zone's names and codes."""
    found = _doors(actor, site_id=site_id, zone_id=zone_id, mode=mode, q=q)
    # sorted_by is typed for one-entity selects; the columns stay as they are.
    stmt: Select[Door, str, str, str, str] = sorted_by(found, DOOR_SORTS, order, tiebreak=Door.id)  # type: ignore[arg-type]
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.limit(limit).offset(offset))
    return [DoorRow(door, sn, sc, zn, zc) for door, sn, sc, zn, zc in rows], total


def list_doors(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    site_id: uuid.UUID | None = None,
    zone_id: uuid.UUID | None = None,
    mode: DoorMode | None = None,
    q: str | None = None,
    order: Order = BY_CODE,
) -> tuple[list[Door], int]:
    """Doors in the actor's sites (see :func:`list_door_rows`), by code unless asked."""
    rows, total = list_door_rows(
        session,
        actor,
        limit=limit,
        offset=offset,
        site_id=site_id,
        zone_id=zone_id,
        mode=mode,
        q=q,
        order=order,
    )
    return [row.door for row in rows], total


def get_door(session: Session, actor: Actor, door_id: uuid.UUID) -> Door:
    """One door in the actor's sites."""
    return get_in_scope(session, actor, Door, door_id, READ, "door")


def _zone_for_door(session: Session, actor: Actor, zone_id: uuid.UUID) -> Zone:
    try:
        return get_in_scope(session, actor, Zone, zone_id, WRITE, "zone")
    except NotFound as exc:
        raise NotFound(f"zone_id: no zone {zone_id} in your scope", field="zone_id") from exc


def _check_schedule(session: Session, actor: Actor, schedule_id: uuid.UUID | None) -> None:
    if schedule_id is None:
        return
    try:
        get_shared_or_scoped(session, actor, Schedule, schedule_id, READ, "schedule")
    except NotFound as exc:
        raise NotFound(
            f"unlock_schedule_id: no schedule {schedule_id} you may use", field="unlock_schedule_id"
        ) from exc


def _check_door(door: Door) -> None:
    distinct(door.reader_ids, "reader_ids")
    if door.mode is DoorMode.SCHEDULED_UNLOCK and door.unlock_schedule_id is None:
        raise InvalidInput(
            "unlock_schedule_id: required when mode is 'scheduled_unlock'",
            field="unlock_schedule_id",
            rule="required_for_scheduled_unlock",
        )


def create_door(session: Session, actor: Actor, data: DoorCreate) -> Door:
    """Create a door in a zone of a site the actor may work in."""
    tenant = tenant_of(actor)
    zone = _zone_for_door(session, actor, data.zone_id)
    _check_schedule(session, actor, data.unlock_schedule_id)
    code_free(session, Door, tenant, data.code, None)
    door = Door(tenant_id=tenant, site_id=zone.site_id, **data.model_dump())
    _check_door(door)
    session.add(door)
    flush_or_conflict(session, "door")
    changed(session, action="door.create", obj=door, text=door.name, before=None, entity="door")
    return door


def door_version(door: Door) -> str:
    """The door's version as a form carries it: its last change time, ISO 8601 in UTC."""
    stamp = door.updated_at
    aware = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def update_door(
    session: Session,
    actor: Actor,
    door_id: uuid.UUID,
    data: DoorUpdate,
    *,
    expected: str | None = None,
) -> Door:
    """Change a door: name, readers, mode and unlock schedule, times, flags, or zone (same
    site); with ``expected`` (:func:`door_version`), refused (409, rule ``stale``) when the
    door changed since that version was read."""
    door = get_in_scope(session, actor, Door, door_id, WRITE, "door")
    if expected is not None and expected != door_version(door):
        raise Conflict(
            "version: the door was changed by someone else since it was read",
            field="version",
            rule="stale",
        )
    before = snapshot(door)
    was_lockdown = door.mode == DoorMode.LOCKDOWN
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    if changes.get("zone_id") is not None:
        zone = _zone_for_door(session, actor, changes["zone_id"])
        if zone.site_id != door.site_id:
            raise InvalidInput(
                "zone_id: the zone must be in the door's site", field="zone_id", rule="same_site"
            ).said(N_("The zone must be in the door's site."))
    if "unlock_schedule_id" in changes:
        _check_schedule(session, actor, changes["unlock_schedule_id"])
    if changes.get("code"):
        code_free(session, Door, door.tenant_id, changes["code"], door.id)
    apply(
        door,
        changes,
        required=(
            "zone_id",
            "code",
            "name",
            "reader_ids",
            "mode",
            "unlock_seconds",
            "extended_unlock_seconds",
            "requires_pin",
            "escape_route",
        ),
    )
    _check_door(door)
    flush_or_conflict(session, "door")
    changed(session, action="door.update", obj=door, text=door.name, before=before, entity="door")
    if was_lockdown != (door.mode == DoorMode.LOCKDOWN):
        # Also under its urgent kind, which edge deltas send ahead of other changes.
        note_change(
            session, tenant_id=door.tenant_id, entity=Entity.DOOR_LOCKDOWN, entity_id=door.id
        )
    return door


def delete_door(session: Session, actor: Actor, door_id: uuid.UUID) -> None:
    """Remove a door."""
    door = get_in_scope(session, actor, Door, door_id, WRITE, "door")
    before = snapshot(door)
    session.delete(door)
    flush_or_conflict(session, "door")
    changed(
        session,
        action="door.delete",
        obj=door,
        text=door.name,
        before=before,
        entity="door",
        deleted=True,
    )
