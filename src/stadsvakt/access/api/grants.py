"""Routes for direct grants."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from stadsvakt.access.api._shared import to_page
from stadsvakt.access.models import GrantKind
from stadsvakt.access.schemas.profiles import GrantCreate, GrantOut, GrantUpdate
from stadsvakt.access.services import grants as service
from stadsvakt.api.deps import ActorDep, PagingDep, SessionDep
from stadsvakt.bounds import BoundedDatetime
from stadsvakt.org.schemas import Page

router = APIRouter(tags=["grants"])


@router.get("/grants", response_model=Page[GrantOut])
def list_grants(
    session: SessionDep,
    actor: ActorDep,
    paging: PagingDep,
    person_id: uuid.UUID | None = None,
    group_id: uuid.UUID | None = None,
    profile_id: uuid.UUID | None = None,
    kind: GrantKind | None = None,
    valid_at: BoundedDatetime | None = None,
) -> Page[GrantOut]:
    """Grants given by the caller's units; ``valid_at`` keeps those in force at that time."""
    rows = service.list_grants(
        session,
        actor,
        limit=paging.limit,
        offset=paging.offset,
        person_id=person_id,
        group_id=group_id,
        profile_id=profile_id,
        kind=kind,
        valid_at=valid_at,
    )
    return to_page(rows, paging, GrantOut.model_validate)


@router.post("/grants", response_model=GrantOut, status_code=status.HTTP_201_CREATED)
def create_grant(data: GrantCreate, session: SessionDep, actor: ActorDep) -> GrantOut:
    """Grant a profile to a person or a group for a time window."""
    return GrantOut.model_validate(service.create_grant(session, actor, data))


@router.get("/grants/{grant_id}", response_model=GrantOut)
def get_grant(grant_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> GrantOut:
    """One grant."""
    return GrantOut.model_validate(service.get_grant(session, actor, grant_id))


@router.patch("/grants/{grant_id}", response_model=GrantOut)
def update_grant(
    grant_id: uuid.UUID, data: GrantUpdate, session: SessionDep, actor: ActorDep
) -> GrantOut:
    """Move a grant's window or change its kind or note."""
    return GrantOut.model_validate(service.update_grant(session, actor, grant_id, data))


@router.delete("/grants/{grant_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_grant(grant_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Withdraw a grant at once."""
    service.delete_grant(session, actor, grant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
