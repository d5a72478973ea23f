"""Routes for credentials: issue, list, change state, and mark lost in one call."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from stadsvakt.access.api._shared import Search, to_page
from stadsvakt.access.models import CredentialKind, CredentialState
from stadsvakt.access.schemas.credentials import CredentialCreate, CredentialOut, CredentialUpdate
from stadsvakt.access.services import credentials as service
from stadsvakt.api.deps import ActorDep, PagingDep, ServicesDep, SessionDep
from stadsvakt.org.schemas import Page

router = APIRouter(tags=["credentials"])


@router.get("/credentials", response_model=Page[CredentialOut])
def list_credentials(
    session: SessionDep,
    actor: ActorDep,
    paging: PagingDep,
    person_id: uuid.UUID | None = None,
    kind: CredentialKind | None = None,
    state: CredentialState | None = None,
    q: Search = None,
) -> Page[CredentialOut]:
    """Credentials of people in the caller's scope; ``q`` searches identifiers."""
    rows = service.list_credentials(
        session,
        actor,
        limit=paging.limit,
        offset=paging.offset,
        person_id=person_id,
        kind=kind,
        state=state,
        q=q,
    )
    return to_page(rows, paging, CredentialOut.model_validate)


@router.post("/credentials", response_model=CredentialOut, status_code=status.HTTP_201_CREATED)
def create_credential(
    data: CredentialCreate, session: SessionDep, actor: ActorDep, services: ServicesDep
) -> CredentialOut:
    """Issue a card (UID hex), PIN (hashed; never shown again) or mobile key."""
    return CredentialOut.model_validate(
        service.create_credential(session, actor, data, services.passwords)
    )


@router.get("/credentials/{credential_id}", response_model=CredentialOut)
def get_credential(credential_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> CredentialOut:
    """One credential."""
    return CredentialOut.model_validate(service.get_credential(session, actor, credential_id))


@router.patch("/credentials/{credential_id}", response_model=CredentialOut)
def update_credential(
    credential_id: uuid.UUID,
    data: CredentialUpdate,
    session: SessionDep,
    actor: ActorDep,
    services: ServicesDep,
) -> CredentialOut:
    """Change state (suspend, resume, revoke), window, technology or a PIN's digits."""
    return CredentialOut.model_validate(
        service.update_credential(session, actor, credential_id, data, services.passwords)
    )


@router.post("/credentials/{credential_id}/lost", response_model=CredentialOut)
def mark_lost(credential_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> CredentialOut:
    """Block a lost card, tag or phone at once."""
    return CredentialOut.model_validate(service.mark_lost(session, actor, credential_id))
