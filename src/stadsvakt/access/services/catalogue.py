"""The service catalogue: levels (grundläggande / utökad / avancerad) listing the components a
site must have, each site's level and components, and the sites that fall short.

The catalogue belongs to the whole municipality: system owners change it; anyone
with ``access.read`` reads it, and the shortfall report lists the sites in the
reader's scope.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stadsvakt.access.models import ServiceLevel, SiteService
from stadsvakt.access.schemas.catalogue import (
    ServiceLevelCreate,
    ServiceLevelUpdate,
    SiteServiceIn,
)
from stadsvakt.access.services._common import (
    apply,
    changed,
    code_free,
    distinct,
    flush_or_conflict,
    get_tenant_wide,
    page,
    site_in_scope,
    tenant_of,
    tenant_wide,
    whole_municipality,
)
from stadsvakt.audit.service import record, snapshot
from stadsvakt.auth.scope import restrict
from stadsvakt.context import Actor
from stadsvakt.errors import N_, Conflict, NotFound
from stadsvakt.org.models import Site

READ, WRITE = "access.read", "access.write"

#: The levels every new municipality starts with: (code, name, rank, required components).
DEFAULT_LEVELS: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    ("grundlaggande", "Grundläggande", 1, ("perimeter_readers",)),
    ("utokad", "Utökad", 2, ("perimeter_readers", "inner_zones", "intrusion_alarm")),
    (
        "avancerad",
        "Avancerad",
        3,
        ("perimeter_readers", "inner_zones", "intrusion_alarm", "camera", "visitor_management"),
    ),
)


def seed_service_levels(session: Session, tenant_id: uuid.UUID) -> None:
    """Give a new municipality the three standard levels (called when it is created).

    No audit rows of their own: they are part of the ``municipality.create`` change.
    """
    existing = set(
        session.scalars(select(ServiceLevel.code).where(ServiceLevel.tenant_id == tenant_id))
    )
    for code, name, rank, requirements in DEFAULT_LEVELS:
        if code not in existing:
            session.add(
                ServiceLevel(
                    tenant_id=tenant_id,
                    code=code,
                    name=name,
                    rank=rank,
                    requirements=list(requirements),
                )
            )
    session.flush()


# --- levels --------------------------------------------------------------------------------


def list_levels(
    session: Session, actor: Actor, *, limit: int, offset: int
) -> tuple[list[ServiceLevel], int]:
    """The municipality's levels, lowest rank first."""
    stmt = tenant_wide(select(ServiceLevel), ServiceLevel, actor, READ).order_by(
        ServiceLevel.rank, ServiceLevel.code
    )
    return page(session, stmt, limit, offset)


def get_level(session: Session, actor: Actor, level_id: uuid.UUID) -> ServiceLevel:
    """One level."""
    return get_tenant_wide(session, actor, ServiceLevel, level_id, READ, "service level")


def create_level(session: Session, actor: Actor, data: ServiceLevelCreate) -> ServiceLevel:
    """Add a level to the catalogue."""
    whole_municipality(actor, WRITE, "service levels")
    tenant = tenant_of(actor)
    distinct(data.requirements, "requirements")
    code_free(session, ServiceLevel, tenant, data.code, None)
    level = ServiceLevel(tenant_id=tenant, **data.model_dump())
    session.add(level)
    flush_or_conflict(session, "service level")
    changed(
        session, action="service_level.create", obj=level, text=level.name, before=None, entity=None
    )
    return level


def update_level(
    session: Session, actor: Actor, level_id: uuid.UUID, data: ServiceLevelUpdate
) -> ServiceLevel:
    """Change a level's requirements, rank, name or code."""
    whole_municipality(actor, WRITE, "service levels")
    level = get_tenant_wide(session, actor, ServiceLevel, level_id, WRITE, "service level")
    before = snapshot(level)
    changes = data.model_dump(exclude_unset=True)
    distinct(changes.get("requirements"), "requirements")
    if changes.get("code"):
        code_free(session, ServiceLevel, level.tenant_id, changes["code"], level.id)
    apply(level, changes, required=("code", "name", "rank", "requirements"))
    flush_or_conflict(session, "service level")
    changed(
        session,
        action="service_level.update",
        obj=level,
        text=level.name,
        before=before,
        entity=None,
    )
    return level


def delete_level(session: Session, actor: Actor, level_id: uuid.UUID) -> None:
    """Remove a level no site has."""
    whole_municipality(actor, WRITE, "service levels")
    level = get_tenant_wide(session, actor, ServiceLevel, level_id, WRITE, "service level")
    if session.scalar(select(func.count()).where(SiteService.level_id == level.id)):
        raise Conflict(f"service level '{level.name}' is given to sites").said(
            N_("The service level %(name)s is given to sites."), name=level.name
        )
    before = snapshot(level)
    session.delete(level)
    flush_or_conflict(session, "service level")
    changed(
        session,
        action="service_level.delete",
        obj=level,
        text=level.name,
        before=before,
        entity=None,
        deleted=True,
    )


# --- a site's service ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteServiceView:
    """A site's level, its components and what the level requires that it lacks."""

    site: Site
    level: ServiceLevel
    components: list[str]

    @property
    def missing(self) -> list[str]:
        """Required components the site lacks, in the level's order."""
        have = set(self.components)
        return [c for c in self.level.requirements if c not in have]


def get_site_service(session: Session, actor: Actor, site_id: uuid.UUID) -> SiteServiceView:
    """A site's service; 404 when the site has no level yet."""
    site = site_in_scope(session, actor, site_id, READ)
    row = session.get(SiteService, site.id)
    if row is None:
        raise NotFound(f"site {site.name} has no service level yet").said(
            N_("The site %(name)s has no service level yet."), name=site.name
        )
    level = session.get(ServiceLevel, row.level_id)
    assert level is not None  # a foreign key with RESTRICT
    return SiteServiceView(site, level, list(row.components))


def set_site_service(
    session: Session, actor: Actor, site_id: uuid.UUID, data: SiteServiceIn
) -> SiteServiceView:
    """Give a site its level and record the components it has."""
    whole_municipality(actor, WRITE, "service levels of sites")
    site = site_in_scope(session, actor, site_id, WRITE)
    distinct(data.components, "components")
    level = session.execute(
        tenant_wide(
            select(ServiceLevel).where(ServiceLevel.id == data.level_id), ServiceLevel, actor, WRITE
        )
    ).scalar_one_or_none()
    if level is None:
        raise NotFound(f"level_id: no service level {data.level_id}", field="level_id")
    row = session.get(SiteService, site.id)
    before = None if row is None else {"level_id": str(row.level_id), "components": row.components}
    if row is None:
        row = SiteService(site_id=site.id, tenant_id=site.tenant_id, level_id=level.id)
        session.add(row)
    row.level_id, row.components = level.id, list(data.components)
    flush_or_conflict(session, "site service")
    record(
        session,
        action="site_service.set",
        object_type="site_service",
        object_id=site.id,
        object_text=site.name,
        tenant_id=site.tenant_id,
        before=before,
        after={"level_id": str(level.id), "components": list(data.components)},
    )
    return SiteServiceView(site, level, list(data.components))


def shortfall(
    session: Session, actor: Actor, *, limit: int, offset: int, level_id: uuid.UUID | None = None
) -> tuple[list[SiteServiceView], int]:
    """Sites in the actor's scope that lack components their level requires, by site code."""
    stmt = restrict(
        select(Site, ServiceLevel, SiteService.components)
        .join(SiteService, SiteService.site_id == Site.id)
        .join(ServiceLevel, ServiceLevel.id == SiteService.level_id),
        Site,
        actor,
        READ,
    ).order_by(Site.code, Site.id)
    if level_id is not None:
        stmt = stmt.where(ServiceLevel.id == level_id)
    # Requirements are JSON lists, compared in Python: a municipality has at most a few
    # thousand sites, and both backends would need different JSON operators.
    short = [
        view
        for site, level, components in session.execute(stmt)
        if (view := SiteServiceView(site, level, list(components))).missing
    ]
    return short[offset : offset + limit], len(short)
