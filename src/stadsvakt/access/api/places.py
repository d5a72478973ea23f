"""Routes for zones and doors."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from stadsvakt.access.api._shared import Search, to_page
from stadsvakt.access.models import DoorMode
from stadsvakt.access.schemas.places import (
    DoorCreate,
    DoorOut,
    DoorUpdate,
    ZoneCreate,
    ZoneOut,
    ZoneUpdate,
)
from stadsvakt.access.services import places as service
from stadsvakt.api.deps import ActorDep, PagingDep, SessionDep
from stadsvakt.org.schemas import Page

router = APIRouter(tags=["access model"])


@router.get("/zones", response_model=Page[ZoneOut])
def list_zones(
    session: SessionDep,
    actor: ActorDep,
    paging: PagingDep,
    site_id: uuid.UUID | None = None,
    q: Search = None,
) -> Page[ZoneOut]:
    """Zones in the caller's sites."""
    rows = service.list_zones(
        session, actor, limit=paging.limit, offset=paging.offset, site_id=site_id, q=q
    )
    return to_page(rows, paging, ZoneOut.model_validate)


@router.post("/zones", response_model=ZoneOut, status_code=status.HTTP_201_CREATED)
def create_zone(data: ZoneCreate, session: SessionDep, actor: ActorDep) -> ZoneOut:
    """Create a zone in a site."""
    return ZoneOut.model_validate(service.create_zone(session, actor, data))


@router.get("/zones/{zone_id}", response_model=ZoneOut)
def get_zone(zone_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> ZoneOut:
    """One zone."""
    return ZoneOut.model_validate(service.get_zone(session, actor, zone_id))


@router.patch("/zones/{zone_id}", response_model=ZoneOut)
def update_zone(
    zone_id: uuid.UUID, data: ZoneUpdate, session: SessionDep, actor: ActorDep
) -> ZoneOut:
    """Rename or recode a zone."""
    return ZoneOut.model_validate(service.update_zone(session, actor, zone_id, data))


@router.delete("/zones/{zone_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_zone(zone_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Remove a zone without doors."""
    service.delete_zone(session, actor, zone_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/doors", response_model=Page[DoorOut])
def list_doors(
    session: SessionDep,
    actor: ActorDep,
    paging: PagingDep,
    site_id: uuid.UUID | None = None,
    zone_id: uuid.UUID | None = None,
    mode: DoorMode | None = None,
    q: Search = None,
) -> Page[DoorOut]:
    """Doors in the caller's sites."""
    rows = service.list_doors(
        session,
        actor,
        limit=paging.limit,
        offset=paging.offset,
        site_id=site_id,
        zone_id=zone_id,
        mode=mode,
        q=q,
    )
    return to_page(rows, paging, DoorOut.model_validate)


@router.post("/doors", response_model=DoorOut, status_code=status.HTTP_201_CREATED)
def create_door(data: DoorCreate, session: SessionDep, actor: ActorDep) -> DoorOut:
    """Create a door in a zone (the door's site is the zone's)."""
    return DoorOut.model_validate(service.create_door(session, actor, data))


@router.get("/doors/{door_id}", response_model=DoorOut)
def get_door(door_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> DoorOut:
    """One door."""
    return DoorOut.model_validate(service.get_door(session, actor, door_id))


@router.patch("/doors/{door_id}", response_model=DoorOut)
def update_door(
    door_id: uuid.UUID, data: DoorUpdate, session: SessionDep, actor: ActorDep
) -> DoorOut:
    """Change a door: mode, unlock schedule, readers, times, zone (in the same site)."""
    return DoorOut.model_validate(service.update_door(session, actor, door_id, data))


@router.delete("/doors/{door_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_door(door_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Remove a door."""
    service.delete_door(session, actor, door_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
