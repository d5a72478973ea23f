"""Routes for access profiles and position profiles."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from stadsvakt.access.api._shared import Search, to_page
from stadsvakt.access.models import AccessProfile
from stadsvakt.access.schemas.profiles import (
    PositionProfileCreate,
    PositionProfileOut,
    PositionProfileUpdate,
    ProfileCreate,
    ProfileOut,
    ProfileUpdate,
)
from stadsvakt.access.services import profiles as service
from stadsvakt.api.deps import ActorDep, PagingDep, SessionDep
from stadsvakt.org.schemas import Page

router = APIRouter(tags=["access model"])


def _out(session: Session, profiles: list[AccessProfile]) -> list[ProfileOut]:
    zones = service.zone_ids_of(session, [p.id for p in profiles])
    return [
        ProfileOut(
            id=p.id,
            code=p.code,
            name=p.name,
            org_unit_id=p.org_unit_id,
            schedule_id=p.schedule_id,
            zone_ids=zones[p.id],
            required_course=p.required_course,
            created_at=p.created_at,
            updated_at=p.updated_at,
        )
        for p in profiles
    ]


@router.get("/access-profiles", response_model=Page[ProfileOut])
def list_profiles(
    session: SessionDep,
    actor: ActorDep,
    paging: PagingDep,
    q: Search = None,
    zone_id: uuid.UUID | None = None,
) -> Page[ProfileOut]:
    """Shared profiles and those of the caller's units."""
    items, total = service.list_profiles(
        session, actor, limit=paging.limit, offset=paging.offset, q=q, zone_id=zone_id
    )
    return Page[ProfileOut](
        items=_out(session, items), total=total, limit=paging.limit, offset=paging.offset
    )


@router.post("/access-profiles", response_model=ProfileOut, status_code=status.HTTP_201_CREATED)
def create_profile(data: ProfileCreate, session: SessionDep, actor: ActorDep) -> ProfileOut:
    """Create a profile: zones × schedule, optionally requiring a valid course."""
    return _out(session, [service.create_profile(session, actor, data)])[0]


@router.get("/access-profiles/{profile_id}", response_model=ProfileOut)
def get_profile(profile_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> ProfileOut:
    """One profile."""
    return _out(session, [service.get_profile(session, actor, profile_id)])[0]


@router.patch("/access-profiles/{profile_id}", response_model=ProfileOut)
def update_profile(
    profile_id: uuid.UUID, data: ProfileUpdate, session: SessionDep, actor: ActorDep
) -> ProfileOut:
    """Change a profile (zone_ids replaces the zones whole)."""
    return _out(session, [service.update_profile(session, actor, profile_id, data)])[0]


@router.delete("/access-profiles/{profile_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_profile(profile_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Remove a profile no position or grant uses."""
    service.delete_profile(session, actor, profile_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/position-profiles", response_model=Page[PositionProfileOut])
def list_position_profiles(
    session: SessionDep,
    actor: ActorDep,
    paging: PagingDep,
    org_unit_id: uuid.UUID | None = None,
    profile_id: uuid.UUID | None = None,
) -> Page[PositionProfileOut]:
    """Which positions in the caller's units get which profiles."""
    rows = service.list_position_profiles(
        session,
        actor,
        limit=paging.limit,
        offset=paging.offset,
        org_unit_id=org_unit_id,
        profile_id=profile_id,
    )
    return to_page(rows, paging, PositionProfileOut.model_validate)


@router.post(
    "/position-profiles", response_model=PositionProfileOut, status_code=status.HTTP_201_CREATED
)
def create_position_profile(
    data: PositionProfileCreate, session: SessionDep, actor: ActorDep
) -> PositionProfileOut:
    """Give a position (or "*", every position) in a unit a profile."""
    return PositionProfileOut.model_validate(service.create_position_profile(session, actor, data))


@router.get("/position-profiles/{pp_id}", response_model=PositionProfileOut)
def get_position_profile(
    pp_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> PositionProfileOut:
    """One position profile."""
    return PositionProfileOut.model_validate(service.get_position_profile(session, actor, pp_id))


@router.patch("/position-profiles/{pp_id}", response_model=PositionProfileOut)
def update_position_profile(
    pp_id: uuid.UUID, data: PositionProfileUpdate, session: SessionDep, actor: ActorDep
) -> PositionProfileOut:
    """Change the position or whether sub-units count."""
    return PositionProfileOut.model_validate(
        service.update_position_profile(session, actor, pp_id, data)
    )


@router.delete("/position-profiles/{pp_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_position_profile(pp_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Stop giving a position a profile."""
    service.delete_position_profile(session, actor, pp_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
