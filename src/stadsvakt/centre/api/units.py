"""The safety centre's API for field units, positions, dispatch and the map."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from stadsvakt.api.deps import ActorDep, SessionDep
from stadsvakt.api.problems import problem_responses
from stadsvakt.centre import dispatch as dispatching
from stadsvakt.centre import positions
from stadsvakt.centre.tenancy import visible_activation
from stadsvakt.centre.units import service
from stadsvakt.centre.units.maps import map_data
from stadsvakt.centre.units.models import Dispatch, PositionSource, UnitStatus, UnitType
from stadsvakt.centre.units.schemas import (
    DispatchIn,
    DispatchOut,
    MapOut,
    PositionIn,
    PositionOut,
    StatusIn,
    SuggestionOut,
    UnitCreate,
    UnitOut,
    UnitUpdate,
)
from stadsvakt.db import utcnow

router = APIRouter(tags=["centre"])
_READ = problem_responses(401, 403, 404)
_WRITE = problem_responses(401, 403, 404, 409, 422)


def dispatch_out(row: Dispatch) -> DispatchOut:
    """A dispatch as the API shows it."""
    return DispatchOut.model_validate(row)


@router.get("/units", response_model=list[UnitOut], responses=_READ)
def list_units(
    session: SessionDep,
    actor: ActorDep,
    unit_type: UnitType | None = None,
    unit_status: Annotated[UnitStatus | None, Query(alias="status")] = None,
) -> list[UnitOut]:
    """Field units the caller sees (``centre.read``), by call sign."""
    rows = service.list_units(session, actor, unit_type=unit_type, status=unit_status)
    return [UnitOut.model_validate(row) for row in rows]


@router.post(
    "/units", response_model=UnitOut, status_code=status.HTTP_201_CREATED, responses=_WRITE
)
def create_unit(data: UnitCreate, session: SessionDep, actor: ActorDep) -> UnitOut:
    """Register a field unit (``centre.admin``)."""
    return UnitOut.model_validate(service.create_unit(session, actor, data))


@router.get("/units/{unit_id}", response_model=UnitOut, responses=_READ)
def get_unit(unit_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> UnitOut:
    """One field unit."""
    return UnitOut.model_validate(service.get_unit(session, actor, unit_id))


@router.patch("/units/{unit_id}", response_model=UnitOut, responses=_WRITE)
def update_unit(
    unit_id: uuid.UUID, data: UnitUpdate, session: SessionDep, actor: ActorDep
) -> UnitOut:
    """Change a field unit's register entry (``centre.admin``)."""
    return UnitOut.model_validate(service.update_unit(session, actor, unit_id, data))


@router.delete("/units/{unit_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_WRITE)
def delete_unit(unit_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    """Remove a field unit (refused while it is on a dispatch)."""
    service.delete_unit(session, actor, unit_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/units/{unit_id}/status", response_model=UnitOut, responses=_WRITE)
def set_status(unit_id: uuid.UUID, data: StatusIn, session: SessionDep, actor: ActorDep) -> UnitOut:
    """Set a unit available, busy or off duty (its own phone with ``unit.report``, or
    ``centre.operate``)."""
    return UnitOut.model_validate(service.set_status(session, actor, unit_id, data.status))


@router.post(
    "/units/{unit_id}/position",
    response_model=PositionOut,
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE,
)
def report_position(
    unit_id: uuid.UUID, data: PositionIn, session: SessionDep, actor: ActorDep
) -> PositionOut:
    """A position report: the unit's own user or device token (``unit.report``), or
    ``centre.operate``. The newest point becomes the unit's last position."""
    point = positions.report_position(session, actor, unit_id, data, PositionSource.API)
    return PositionOut.model_validate(point)


@router.get("/units/{unit_id}/trail", response_model=list[PositionOut], responses=_READ)
def unit_trail(
    unit_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    hours: Annotated[int, Query(ge=1, le=24 * 7, description="How far back")] = 2,
) -> list[PositionOut]:
    """The unit's trail, oldest point first."""
    since = utcnow() - timedelta(hours=hours)
    points = positions.unit_trail(session, actor, unit_id, since)
    return [PositionOut.model_validate(point) for point in points]


@router.get(
    "/activations/{activation_id}/suggestions",
    response_model=list[SuggestionOut],
    responses=_READ,
)
def suggestions(
    activation_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    unit_type: UnitType | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[SuggestionOut]:
    """Available units (of the type the plan's step names) nearest the site first."""
    activation = visible_activation(session, actor, activation_id, "centre.operate")
    found = dispatching.suggest(session, actor, activation, unit_type, limit=limit)
    return [
        SuggestionOut(unit=UnitOut.model_validate(s.unit), distance_m=s.distance_m, eta_s=s.eta_s)
        for s in found
    ]


@router.get(
    "/activations/{activation_id}/dispatches",
    response_model=list[DispatchOut],
    responses=_READ,
)
def list_dispatches(
    activation_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> list[DispatchOut]:
    """The activation's dispatches, oldest first."""
    return [dispatch_out(r) for r in dispatching.dispatches_of(session, actor, activation_id)]


@router.post(
    "/activations/{activation_id}/dispatches",
    response_model=DispatchOut,
    status_code=status.HTTP_201_CREATED,
    responses=_WRITE,
)
def create_dispatch(
    activation_id: uuid.UUID, data: DispatchIn, session: SessionDep, actor: ActorDep
) -> DispatchOut:
    """Send an available unit (``centre.operate``); 409 ``unit_not_available`` names the
    unit's status when it is off duty, busy or already dispatched."""
    return dispatch_out(dispatching.dispatch(session, actor, activation_id, data.unit_id))


@router.get("/dispatches/{dispatch_id}", response_model=DispatchOut, responses=_READ)
def get_dispatch(dispatch_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> DispatchOut:
    """One dispatch (its unit, or centre staff who see its activation)."""
    return dispatch_out(dispatching.get_dispatch(session, actor, dispatch_id))


@router.post("/dispatches/{dispatch_id}/accept", response_model=DispatchOut, responses=_WRITE)
def accept(dispatch_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> DispatchOut:
    """The unit accepts."""
    return dispatch_out(dispatching.accept(session, actor, dispatch_id))


@router.post("/dispatches/{dispatch_id}/arrive", response_model=DispatchOut, responses=_WRITE)
def arrive(dispatch_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> DispatchOut:
    """The unit is at the site (the response time ends now)."""
    return dispatch_out(dispatching.arrive(session, actor, dispatch_id))


@router.post("/dispatches/{dispatch_id}/clear", response_model=DispatchOut, responses=_WRITE)
def clear(dispatch_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> DispatchOut:
    """The unit is done and available again."""
    return dispatch_out(dispatching.clear(session, actor, dispatch_id))


@router.post("/dispatches/{dispatch_id}/cancel", response_model=DispatchOut, responses=_WRITE)
def cancel(dispatch_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> DispatchOut:
    """The centre calls the unit off (``centre.operate``)."""
    return dispatch_out(dispatching.cancel(session, actor, dispatch_id))


@router.get("/map", response_model=MapOut, responses=_READ)
def centre_map(
    session: SessionDep,
    actor: ActorDep,
    hours: Annotated[int, Query(ge=1, le=48, description="How far back trails go")] = 2,
) -> MapOut:
    """Units, sites with open activations and recent trails (``centre.read``)."""
    return map_data(session, actor, hours=hours, lang=actor.language or "sv")
