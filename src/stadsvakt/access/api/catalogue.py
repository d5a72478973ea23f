"""Routes for the service catalogue and the shortfall report."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from stadsvakt.access.api._shared import to_page
from stadsvakt.access.schemas.catalogue import (
    ServiceLevelCreate,
    ServiceLevelOut,
    ServiceLevelUpdate,
    ShortfallOut,
    SiteServiceIn,
    SiteServiceOut,
)
from stadsvakt.access.services import catalogue as service
from stadsvakt.access.services.catalogue import SiteServiceView
from stadsvakt.api.deps import ActorDep, PagingDep, SessionDep
from stadsvakt.org.schemas import Page

router = APIRouter(tags=["service catalogue"])


def _service_out(view: SiteServiceView) -> SiteServiceOut:
    return SiteServiceOut(
        site_id=view.site.id,
        level_id=view.level.id,
        level_code=view.level.code,
        components=view.components,
        missing=view.missing,
    )


def _shortfall_out(view: SiteServiceView) -> ShortfallOut:
    return ShortfallOut(
        site_id=view.site.id,
        site_code=view.site.code,
        site_name=view.site.name,
        level_id=view.level.id,
        level_code=view.level.code,
        level_name=view.level.name,
        missing=view.missing,
    )


@router.get("/service-levels", response_model=Page[ServiceLevelOut])
def list_levels(session: SessionDep, actor: ActorDep, paging: PagingDep) -> Page[ServiceLevelOut]:
    """The catalogue's levels, lowest first."""
    rows = service.list_levels(session, actor, limit=paging.limit, offset=paging.offset)
    return to_page(rows, paging, ServiceLevelOut.model_validate)


@router.post("/service-levels", response_model=ServiceLevelOut, status_code=status.HTTP_201_CREATED)
def create_level(data: ServiceLevelCreate, session: SessionDep, actor: ActorDep) -> ServiceLevelOut:
    """Add a level."""
    return ServiceLevelOut.model_validate(service.create_level(session, actor, data))


@router.get("/service-levels/{level_id}", response_model=ServiceLevelOut)
def get_level(level_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> ServiceLevelOut:
    """One level."""
    return ServiceLevelOut.model_validate(service.get_level(session, actor, level_id))


@router.patch("/service-levels/{level_id}", response_model=ServiceLevelOut)
def update_level(
    level_id: uuid.UUID, data: ServiceLevelUpdate, session: SessionDep, actor: ActorDep
) -> ServiceLevelOut:
    """Change a level's requirements, rank, name or code."""
    return ServiceLevelOut.model_validate(service.update_level(session, actor, level_id, data))


@router.delete("/service-levels/{level_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_level(level_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Remove a level no site has."""
    service.delete_level(session, actor, level_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sites/{site_id}/service", response_model=SiteServiceOut)
def get_site_service(site_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> SiteServiceOut:
    """A site's level, components, and the required components it lacks."""
    return _service_out(service.get_site_service(session, actor, site_id))


@router.put("/sites/{site_id}/service", response_model=SiteServiceOut)
def set_site_service(
    site_id: uuid.UUID, data: SiteServiceIn, session: SessionDep, actor: ActorDep
) -> SiteServiceOut:
    """Give a site its level and record the components it has."""
    return _service_out(service.set_site_service(session, actor, site_id, data))


@router.get("/reports/service-shortfall", response_model=Page[ShortfallOut])
def service_shortfall(
    session: SessionDep, actor: ActorDep, paging: PagingDep, level_id: uuid.UUID | None = None
) -> Page[ShortfallOut]:
    """Sites that lack components their level requires, with what is missing."""
    rows = service.shortfall(
        session, actor, limit=paging.limit, offset=paging.offset, level_id=level_id
    )
    return to_page(rows, paging, _shortfall_out)
