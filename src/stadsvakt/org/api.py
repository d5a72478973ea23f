"""Routes for the municipality, organisation units and sites."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from stadsvakt.api.deps import ActorDep, PagingDep, SessionDep
from stadsvakt.org import service
from stadsvakt.org.models import OwnerKind
from stadsvakt.org.schemas import (
    MunicipalityOut,
    OrgUnitCreate,
    OrgUnitOut,
    OrgUnitUpdate,
    Page,
    SiteCreate,
    SiteOut,
    SiteUpdate,
)
from stadsvakt.schemas import NO_NUL

router = APIRouter(tags=["organisation"])
Search = Annotated[
    str | None,
    Query(max_length=100, pattern=NO_NUL, description="Text to look for in name or code"),
]


@router.get("/municipality", response_model=MunicipalityOut)
def get_municipality(session: SessionDep, actor: ActorDep) -> MunicipalityOut:
    """The caller's own municipality."""
    return MunicipalityOut.model_validate(service.get_municipality(session, actor))


@router.get("/org-units", response_model=Page[OrgUnitOut])
def list_units(
    session: SessionDep,
    actor: ActorDep,
    page: PagingDep,
    q: Search = None,
    parent_id: uuid.UUID | None = None,
) -> Page[OrgUnitOut]:
    """Organisation units in the caller's scope."""
    items, total = service.list_units(
        session, actor, limit=page.limit, offset=page.offset, parent_id=parent_id, q=q
    )
    return Page[OrgUnitOut](
        items=[OrgUnitOut.model_validate(u) for u in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/org-units", response_model=OrgUnitOut, status_code=status.HTTP_201_CREATED)
def create_unit(data: OrgUnitCreate, session: SessionDep, actor: ActorDep) -> OrgUnitOut:
    """Create an organisation unit."""
    return OrgUnitOut.model_validate(service.create_unit(session, actor, data))


@router.get("/org-units/{unit_id}", response_model=OrgUnitOut)
def get_unit(unit_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> OrgUnitOut:
    """One organisation unit."""
    return OrgUnitOut.model_validate(service.get_unit(session, actor, unit_id))


@router.patch("/org-units/{unit_id}", response_model=OrgUnitOut)
def update_unit(
    unit_id: uuid.UUID, data: OrgUnitUpdate, session: SessionDep, actor: ActorDep
) -> OrgUnitOut:
    """Change an organisation unit."""
    return OrgUnitOut.model_validate(service.update_unit(session, actor, unit_id, data))


@router.delete("/org-units/{unit_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_unit(unit_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Remove an empty organisation unit."""
    service.delete_unit(session, actor, unit_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sites", response_model=Page[SiteOut])
def list_sites(
    session: SessionDep,
    actor: ActorDep,
    page: PagingDep,
    q: Search = None,
    owner_kind: OwnerKind | None = None,
    org_unit_id: uuid.UUID | None = None,
) -> Page[SiteOut]:
    """Sites in the caller's scope."""
    items, total = service.list_sites(
        session,
        actor,
        limit=page.limit,
        offset=page.offset,
        q=q,
        owner_kind=owner_kind,
        org_unit_id=org_unit_id,
    )
    return Page[SiteOut](
        items=[SiteOut.model_validate(s) for s in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/sites", response_model=SiteOut, status_code=status.HTTP_201_CREATED)
def create_site(data: SiteCreate, session: SessionDep, actor: ActorDep) -> SiteOut:
    """Create a site."""
    return SiteOut.model_validate(service.create_site(session, actor, data))


@router.get("/sites/{site_id}", response_model=SiteOut)
def get_site(site_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> SiteOut:
    """One site."""
    return SiteOut.model_validate(service.get_site(session, actor, site_id))


@router.patch("/sites/{site_id}", response_model=SiteOut)
def update_site(
    site_id: uuid.UUID, data: SiteUpdate, session: SessionDep, actor: ActorDep
) -> SiteOut:
    """Change a site."""
    return SiteOut.model_validate(service.update_site(session, actor, site_id, data))


@router.delete("/sites/{site_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_site(site_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Remove a site."""
    service.delete_site(session, actor, site_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
