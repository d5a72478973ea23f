"""Routes for the transmitter registry and the list of received alarms."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from stadsvakt.alarms import service
from stadsvakt.alarms.models import Alarm, Bearer, TransmitterProtocol
from stadsvakt.alarms.protocols.events import Category
from stadsvakt.alarms.schemas import (
    AlarmDetail,
    AlarmOut,
    TransmitterCreate,
    TransmitterOut,
    TransmitterUpdate,
)
from stadsvakt.api.deps import ActorDep, PagingDep, ServicesDep, SessionDep
from stadsvakt.org.schemas import Page
from stadsvakt.schemas import NO_NUL

router = APIRouter()
Search = Annotated[
    str | None,
    Query(max_length=100, pattern=NO_NUL, description="Text to look for in account or name"),
]
Moment = Annotated[
    datetime | None,
    Query(description="ISO 8601 time with zone, e.g. 2026-11-22T08:00:00Z"),
]


@router.get("/transmitters", response_model=Page[TransmitterOut], tags=["alarms"])
def list_transmitters(
    session: SessionDep,
    actor: ActorDep,
    page: PagingDep,
    q: Search = None,
    site_id: uuid.UUID | None = None,
    protocol: TransmitterProtocol | None = None,
    bearer: Annotated[
        Bearer | None, Query(description="e.g. 2G: the transmitters a network shutdown affects")
    ] = None,
) -> Page[TransmitterOut]:
    """Alarm transmitters in the caller's scope (keys are never returned)."""
    items, total = service.list_transmitters(
        session,
        actor,
        limit=page.limit,
        offset=page.offset,
        site_id=site_id,
        protocol=protocol,
        bearer=bearer,
        q=q,
    )
    return Page[TransmitterOut](
        items=[TransmitterOut.model_validate(t) for t in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/transmitters",
    response_model=TransmitterOut,
    status_code=status.HTTP_201_CREATED,
    tags=["alarms"],
)
def create_transmitter(
    data: TransmitterCreate, session: SessionDep, actor: ActorDep, services: ServicesDep
) -> TransmitterOut:
    """Register a transmitter; its key is stored encrypted."""
    row = service.create_transmitter(session, actor, services.box, data)
    return TransmitterOut.model_validate(row)


@router.get("/transmitters/{transmitter_id}", response_model=TransmitterOut, tags=["alarms"])
def get_transmitter(
    transmitter_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> TransmitterOut:
    """One transmitter."""
    return TransmitterOut.model_validate(service.get_transmitter(session, actor, transmitter_id))


@router.patch("/transmitters/{transmitter_id}", response_model=TransmitterOut, tags=["alarms"])
def update_transmitter(
    transmitter_id: uuid.UUID,
    data: TransmitterUpdate,
    session: SessionDep,
    actor: ActorDep,
    services: ServicesDep,
) -> TransmitterOut:
    """Change a transmitter; send ``key`` to replace its key, ``null`` to remove it."""
    row = service.update_transmitter(session, actor, services.box, transmitter_id, data)
    return TransmitterOut.model_validate(row)


@router.delete(
    "/transmitters/{transmitter_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["alarms"]
)
def delete_transmitter(transmitter_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Remove a transmitter; the alarms it sent stay."""
    service.delete_transmitter(session, actor, transmitter_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/alarms", response_model=Page[AlarmOut], tags=["alarms"])
def list_alarms(
    session: SessionDep,
    actor: ActorDep,
    page: PagingDep,
    site_id: uuid.UUID | None = None,
    category: Category | None = None,
    since: Moment = None,
    until: Moment = None,
) -> Page[AlarmOut]:
    """Received alarms in the caller's scope, newest first."""
    items, total = service.list_alarms(
        session,
        actor,
        limit=page.limit,
        offset=page.offset,
        site_id=site_id,
        category=category,
        since=_aware(since),
        until=_aware(until),
    )
    return Page[AlarmOut](
        items=[AlarmOut.model_validate(a) for a in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/alarms/{alarm_id}", response_model=AlarmDetail, tags=["alarms"])
def get_alarm(alarm_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> AlarmDetail:
    """One alarm with its event data and the frame exactly as received."""
    return detail(service.get_alarm(session, actor, alarm_id))


def detail(alarm: Alarm) -> AlarmDetail:
    """An alarm's full view, with the raw frame as text and as hex."""
    base = AlarmOut.model_validate(alarm).model_dump()
    return AlarmDetail(
        **base,
        payload=alarm.payload,
        raw_text=service.raw_text(alarm.raw),
        raw_hex=alarm.raw.hex().upper(),
    )


def _aware(moment: datetime | None) -> datetime | None:
    """A time without zone is read as UTC (the API speaks UTC)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
