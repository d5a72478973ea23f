"""Access profiles (zones × schedule, optionally a required course) and position profiles.

A profile without a unit is the municipality's shared profile (system owners
change it); a department administrator creates profiles for their own units,
opening only zones in the sites those units use.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from stadsvakt.access.models import (
    AccessProfile,
    Grant,
    PositionProfile,
    ProfileZone,
    Schedule,
    Zone,
)
from stadsvakt.access.schemas.profiles import (
    PositionProfileCreate,
    PositionProfileUpdate,
    ProfileCreate,
    ProfileUpdate,
)
from stadsvakt.access.services._common import (
    apply,
    changed,
    code_free,
    distinct,
    flush_or_conflict,
    get_in_scope,
    get_shared_or_scoped,
    page,
    shared_or_scoped,
    tenant_of,
)
from stadsvakt.audit.service import snapshot
from stadsvakt.auth.scope import check_unit_in_scope, restrict
from stadsvakt.context import Actor
from stadsvakt.errors import N_, Conflict, NotFound
from stadsvakt.paging import Order, sorted_by
from stadsvakt.textsearch import contains

READ, WRITE = "access.read", "access.write"


def zone_ids(session: Session, profile_id: uuid.UUID) -> list[uuid.UUID]:
    """The zones a profile opens."""
    return zone_ids_of(session, [profile_id])[profile_id]


def zone_ids_of(session: Session, profile_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The zones each of several profiles opens (one query)."""
    out: dict[uuid.UUID, list[uuid.UUID]] = {pid: [] for pid in profile_ids}
    rows = session.execute(
        select(ProfileZone.profile_id, ProfileZone.zone_id).where(
            ProfileZone.profile_id.in_(profile_ids)
        )
    )
    for profile_id, zone_id in rows:
        out[profile_id].append(zone_id)
    return {pid: sorted(zones, key=str) for pid, zones in out.items()}


#: The keys the profile list may be sorted by.
PROFILE_SORTS: dict[str, Any] = {
    "code": AccessProfile.code,
    "name": AccessProfile.name,
    "course": AccessProfile.required_course,
}
BY_CODE = Order("code")


def list_profiles(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    q: str | None = None,
    zone_id: uuid.UUID | None = None,
    org_unit_id: uuid.UUID | None = None,
    order: Order = BY_CODE,
) -> tuple[list[AccessProfile], int]:
    """Shared profiles and those of the actor's units, sorted by ``order`` (a key of
    :data:`PROFILE_SORTS`; by code unless asked); ``q`` looks in names and codes,
    ``zone_id`` keeps the profiles opening that zone, ``org_unit_id`` those of that unit."""
    stmt = sorted_by(
        shared_or_scoped(select(AccessProfile), AccessProfile, actor, READ),
        PROFILE_SORTS,
        order,
        tiebreak=AccessProfile.id,
    )
    if q:
        stmt = stmt.where(contains(q, AccessProfile.name, AccessProfile.code))
    if zone_id is not None:
        opening = select(ProfileZone.profile_id).where(ProfileZone.zone_id == zone_id)
        stmt = stmt.where(AccessProfile.id.in_(opening))
    if org_unit_id is not None:
        stmt = stmt.where(AccessProfile.org_unit_id == org_unit_id)
    return page(session, stmt, limit, offset)


def get_profile(session: Session, actor: Actor, profile_id: uuid.UUID) -> AccessProfile:
    """One shared or own profile."""
    return get_shared_or_scoped(session, actor, AccessProfile, profile_id, READ, "access profile")


def _check_schedule(session: Session, actor: Actor, schedule_id: uuid.UUID) -> None:
    try:
        get_shared_or_scoped(session, actor, Schedule, schedule_id, READ, "schedule")
    except NotFound as exc:
        raise NotFound(
            f"schedule_id: no schedule {schedule_id} you may use", field="schedule_id"
        ) from exc


def _check_zones(session: Session, actor: Actor, ids: list[uuid.UUID]) -> None:
    """Every zone must be one the actor may work with (in a site of their units)."""
    distinct(ids, "zone_ids")
    if not ids:
        return
    stmt = restrict(select(Zone.id).where(Zone.id.in_(ids)), Zone, actor, WRITE)
    found = set(session.scalars(stmt))
    missing = [z for z in ids if z not in found]
    if missing:
        raise NotFound(f"zone_ids: no zone {missing[0]} in your scope", field="zone_ids")


def _set_zones(session: Session, profile: AccessProfile, ids: list[uuid.UUID]) -> None:
    session.execute(delete(ProfileZone).where(ProfileZone.profile_id == profile.id))
    session.add_all(ProfileZone(profile_id=profile.id, zone_id=z) for z in ids)


def create_profile(session: Session, actor: Actor, data: ProfileCreate) -> AccessProfile:
    """Create a profile: zones the actor may work with, a schedule they may use."""
    tenant = tenant_of(actor)
    check_unit_in_scope(session, actor, WRITE, data.org_unit_id, field="org_unit_id")
    _check_schedule(session, actor, data.schedule_id)
    _check_zones(session, actor, data.zone_ids)
    code_free(session, AccessProfile, tenant, data.code, None)
    profile = AccessProfile(tenant_id=tenant, **data.model_dump(exclude={"zone_ids"}))
    session.add(profile)
    flush_or_conflict(session, "access profile")
    _set_zones(session, profile, data.zone_ids)
    flush_or_conflict(session, "access profile")
    changed(
        session,
        action="access_profile.create",
        obj=profile,
        text=profile.name,
        before=None,
        entity="profile",
        extra={"zone_ids": sorted(map(str, data.zone_ids))},
    )
    return profile


def update_profile(
    session: Session, actor: Actor, profile_id: uuid.UUID, data: ProfileUpdate
) -> AccessProfile:
    """Change a profile's zones, schedule, required course, name or code."""
    profile = get_in_scope(session, actor, AccessProfile, profile_id, WRITE, "access profile")
    old_zones = zone_ids(session, profile.id)
    before = {**snapshot(profile), "zone_ids": sorted(map(str, old_zones))}
    changes = data.model_dump(exclude_unset=True, exclude={"zone_ids"})
    if changes.get("schedule_id") is not None:
        _check_schedule(session, actor, changes["schedule_id"])
    if changes.get("code"):
        code_free(session, AccessProfile, profile.tenant_id, changes["code"], profile.id)
    apply(profile, changes, required=("code", "name", "schedule_id"))
    new_zones = old_zones
    if data.zone_ids is not None:
        _check_zones(session, actor, data.zone_ids)
        new_zones = data.zone_ids
        _set_zones(session, profile, new_zones)
    flush_or_conflict(session, "access profile")
    changed(
        session,
        action="access_profile.update",
        obj=profile,
        text=profile.name,
        before=before,
        entity="profile",
        extra={"zone_ids": sorted(map(str, new_zones))},
    )
    return profile


def delete_profile(session: Session, actor: Actor, profile_id: uuid.UUID) -> None:
    """Remove a profile that no position and no grant uses."""
    profile = get_in_scope(session, actor, AccessProfile, profile_id, WRITE, "access profile")
    used = session.scalar(
        select(func.count()).where(PositionProfile.profile_id == profile.id)
    ) or session.scalar(select(func.count()).where(Grant.profile_id == profile.id))
    if used:
        raise Conflict(f"profile '{profile.name}' is given to positions or by grants").said(
            N_("The profile %(name)s is given to positions or by grants; take it away first."),
            name=profile.name,
        )
    before = {**snapshot(profile), "zone_ids": sorted(map(str, zone_ids(session, profile.id)))}
    session.delete(profile)
    flush_or_conflict(session, "access profile")
    changed(
        session,
        action="access_profile.delete",
        obj=profile,
        text=profile.name,
        before=before,
        entity="profile",
        deleted=True,
    )


# --- position profiles ---------------------------------------------------------------------


def list_position_profiles(
    session: Session,
    actor: Actor,
    *,
    limit: int,
    offset: int,
    org_unit_id: uuid.UUID | None = None,
    profile_id: uuid.UUID | None = None,
) -> tuple[list[PositionProfile], int]:
    """Which positions in the actor's units get which profiles."""
    stmt = restrict(select(PositionProfile), PositionProfile, actor, READ).order_by(
        PositionProfile.position, PositionProfile.id
    )
    if org_unit_id is not None:
        stmt = stmt.where(PositionProfile.org_unit_id == org_unit_id)
    if profile_id is not None:
        stmt = stmt.where(PositionProfile.profile_id == profile_id)
    return page(session, stmt, limit, offset)


def get_position_profile(session: Session, actor: Actor, pp_id: uuid.UUID) -> PositionProfile:
    """One position profile in the actor's units."""
    return get_in_scope(session, actor, PositionProfile, pp_id, READ, "position profile")


def _clash(session: Session, pp: PositionProfile) -> None:
    stmt = select(PositionProfile.id).where(
        PositionProfile.org_unit_id == pp.org_unit_id,
        PositionProfile.position == pp.position,
        PositionProfile.profile_id == pp.profile_id,
    )
    existing = session.execute(stmt).scalar_one_or_none()
    if existing is not None and existing != pp.id:
        raise Conflict(
            f"position '{pp.position}' in this unit already has this profile", field="position"
        ).said(
            N_("The position %(position)s in this unit already has this profile."),
            position=pp.position,
        )


def create_position_profile(
    session: Session, actor: Actor, data: PositionProfileCreate
) -> PositionProfile:
    """Give everyone holding a position (or ``*``: any) in a unit a profile."""
    tenant = tenant_of(actor)
    check_unit_in_scope(session, actor, WRITE, data.org_unit_id, field="org_unit_id")
    try:
        get_profile(session, actor, data.profile_id)
    except NotFound as exc:
        raise NotFound(f"profile_id: no profile {data.profile_id}", field="profile_id") from exc
    pp = PositionProfile(tenant_id=tenant, **data.model_dump())
    _clash(session, pp)
    session.add(pp)
    flush_or_conflict(session, "position profile")
    changed(
        session,
        action="position_profile.create",
        obj=pp,
        text=pp.position,
        before=None,
        entity="position_profile",
    )
    return pp


def update_position_profile(
    session: Session, actor: Actor, pp_id: uuid.UUID, data: PositionProfileUpdate
) -> PositionProfile:
    """Change the position or whether sub-units are included."""
    pp = get_in_scope(session, actor, PositionProfile, pp_id, WRITE, "position profile")
    before = snapshot(pp)
    apply(pp, data.model_dump(exclude_unset=True), required=("position", "include_subunits"))
    _clash(session, pp)
    flush_or_conflict(session, "position profile")
    changed(
        session,
        action="position_profile.update",
        obj=pp,
        text=pp.position,
        before=before,
        entity="position_profile",
    )
    return pp


def delete_position_profile(session: Session, actor: Actor, pp_id: uuid.UUID) -> None:
    """Stop giving a position a profile."""
    pp = get_in_scope(session, actor, PositionProfile, pp_id, WRITE, "position profile")
    before = snapshot(pp)
    session.delete(pp)
    flush_or_conflict(session, "position profile")
    changed(
        session,
        action="position_profile.delete",
        obj=pp,
        text=pp.position,
        before=before,
        entity="position_profile",
        deleted=True,
    )
