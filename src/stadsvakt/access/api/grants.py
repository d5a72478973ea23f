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
from stadsvakt.db import utcnow
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
    """Give a profile to a person or a group for a time window, with its host and reason.

    Each kind has its rules: a **guest** is a person of kind guest, a **contractor** a
    person of kind contractor with the ``company``, a **booking** names the
    ``booking_party`` (to its contact person or a group); these three must end, within
    365, 730 and 365 days. An **extra** right goes to an active employee. The host is an
    active employee in the caller's scope. ``urgent`` and ``other`` are refused (older
    kinds). Each problem names its field and rule.
    """
    return GrantOut.model_validate(service.create_grant(session, actor, data))


@router.get("/grants/{grant_id}", response_model=GrantOut)
def get_grant(grant_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> GrantOut:
    """One grant."""
    return GrantOut.model_validate(service.get_grant(session, actor, grant_id))


@router.patch("/grants/{grant_id}", response_model=GrantOut)
def update_grant(
    grant_id: uuid.UUID, data: GrantUpdate, session: SessionDep, actor: ActorDep
) -> GrantOut:
    """Move a grant's window or change its host, reason, note or kind's fields (the kind
    itself is fixed)."""
    return GrantOut.model_validate(service.update_grant(session, actor, grant_id, data))


@router.post("/grants/{grant_id}/end", response_model=GrantOut)
def end_grant(grant_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> GrantOut:
    """End a grant in force now; ``undo-end`` gives it back the end it had."""
    return GrantOut.model_validate(service.end_grant(session, actor, grant_id, now=utcnow()))


@router.post("/grants/{grant_id}/undo-end", response_model=GrantOut)
def undo_end(grant_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> GrantOut:
    """Undo an early end: the grant gets back the end it had before."""
    return GrantOut.model_validate(service.undo_end(session, actor, grant_id))


@router.delete("/grants/{grant_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_grant(grant_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Withdraw a grant at once."""
    service.delete_grant(session, actor, grant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
