"""What the centre's map shows: units by status, sites with open activations, trails."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from stadsvakt.centre.models import Activation, ActivationState
from stadsvakt.centre.positions import recent_trails
from stadsvakt.centre.queue import activation_title
from stadsvakt.centre.tenancy import restrict, visible_tenants
from stadsvakt.centre.units.schemas import (
    MapActivation,
    MapOut,
    MapSite,
    MapTrail,
    MapUnit,
    PositionOut,
)
from stadsvakt.centre.units.service import list_units
from stadsvakt.context import Actor
from stadsvakt.db import utcnow
from stadsvakt.org.models import Site

#: At most this many open activations are placed on the map (the most urgent first).
MAX_ACTIVATIONS = 500


def map_data(session: Session, actor: Actor, *, hours: int = 2, lang: str = "sv") -> MapOut:
    """Everything the actor's map shows (``centre.read``), event texts in ``lang``."""
    now = utcnow()
    units = list_units(session, actor)
    stmt = restrict(
        select(Activation, Site)
        .join(Site, Site.id == Activation.site_id)
        .where(Activation.state != ActivationState.CLOSED),
        session,
        actor,
    )
    rows = session.execute(
        stmt.order_by(Activation.priority, Activation.opened_at).limit(MAX_ACTIVATIONS)
    ).all()
    sites: dict[object, MapSite] = {}
    for activation, site in rows:
        entry = sites.get(site.id)
        if entry is None:
            entry = MapSite(
                id=site.id,
                name=site.name,
                address=f"{site.street}, {site.postal_code} {site.city}",
                latitude=site.latitude,
                longitude=site.longitude,
                activations=[],
            )
            sites[site.id] = entry
        entry.activations.append(
            MapActivation(
                id=activation.id,
                title=activation_title(session, activation, lang),
                priority=activation.priority,
                category=activation.category,
            )
        )
    trails: list[MapTrail] = []
    # Trails cross organisation units: a unit-scoped reader sees none.
    if actor.scope("centre.read") is None:
        found = recent_trails(
            session, visible_tenants(session, actor), now - timedelta(hours=hours)
        )
        trails = [
            MapTrail(
                kind=trail.kind,
                id=trail.id,
                label=trail.label,
                points=[PositionOut.model_validate(point) for point in trail.points],
            )
            for trail in found
        ]
    return MapOut(
        units=[
            MapUnit(
                id=unit.id,
                call_sign=unit.call_sign,
                name=unit.name,
                unit_type=unit.unit_type,
                status=unit.status,
                latitude=unit.latitude,
                longitude=unit.longitude,
                position_at=unit.position_at,
            )
            for unit in units
        ],
        sites=list(sites.values()),
        trails=trails,
        generated_at=now,
    )
