"""The field units' API schemas: units, positions, suggestions, dispatches and the map."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from stadsvakt.centre.units.models import PositionSource, UnitStatus, UnitType
from stadsvakt.schemas import StrictInput, omittable

CallSign = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-zÅÄÖåäö0-9 ._-]+$"
    ),
    Field(description="The unit's call sign, unique in its municipality (e.g. Väktare 12)"),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Latitude = Annotated[float, Field(ge=-90, le=90, description="WGS 84 latitude")]
Longitude = Annotated[float, Field(ge=-180, le=180, description="WGS 84 longitude")]
Accuracy = Annotated[float, Field(ge=0, le=100_000, description="Accuracy radius in metres")]


class UnitCreate(StrictInput):
    """A new field unit."""

    call_sign: CallSign
    name: Name
    unit_type: UnitType
    company: Name | None = Field(default=None, description="The guard company, when hired")
    status: UnitStatus = UnitStatus.OFF_DUTY
    user_id: uuid.UUID | None = Field(
        default=None, description="The stadsvakt user (role field_unit) who reports from the phone"
    )
    token_id: uuid.UUID | None = Field(
        default=None, description="An API token (scope unit.report) the unit's device reports with"
    )


class UnitUpdate(StrictInput):
    """A change to a field unit; fields left out stay as they are."""

    call_sign: CallSign | None = omittable()
    name: Name | None = omittable()
    unit_type: UnitType | None = omittable()
    company: Name | None = None
    user_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None


class StatusIn(StrictInput):
    """A unit's new status (dispatched and on site are set by dispatches)."""

    status: UnitStatus


class PositionIn(StrictInput):
    """A position report."""

    latitude: Latitude
    longitude: Longitude
    accuracy_m: Accuracy | None = None
    at: AwareDatetime | None = Field(
        default=None, description="When the fix was taken (ISO 8601 with zone); default now"
    )


class UnitOut(BaseModel):
    """A field unit as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    call_sign: str
    name: str
    unit_type: UnitType
    company: str | None
    status: UnitStatus
    status_at: datetime
    user_id: uuid.UUID | None
    token_id: uuid.UUID | None
    latitude: float | None
    longitude: float | None
    accuracy_m: float | None
    position_at: datetime | None


class PositionOut(BaseModel):
    """One point of a trail."""

    model_config = ConfigDict(from_attributes=True)

    latitude: float
    longitude: float
    accuracy_m: float | None
    at: datetime
    source: PositionSource


class SuggestionOut(BaseModel):
    """An available unit that may be sent, nearest first."""

    unit: UnitOut
    distance_m: float | None = Field(description="Straight-line distance to the site (metres)")
    eta_s: int | None = Field(description="A rough arrival time (seconds) at the type's speed")


class DispatchIn(StrictInput):
    """Send a unit to the activation's site."""

    unit_id: uuid.UUID


class DispatchOut(BaseModel):
    """A dispatch and the time of each of its steps."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    activation_id: uuid.UUID
    unit_id: uuid.UUID | None
    unit_type: UnitType
    unit_name: str
    distance_m: float | None
    step: str
    dispatched_at: datetime
    dispatched_by_name: str
    accepted_at: datetime | None
    arrived_at: datetime | None
    cleared_at: datetime | None
    escalated_at: datetime | None
    cancelled_at: datetime | None
    response_s: float | None = Field(description="Inställelsetid: arrived_at - dispatched_at (s)")


class MapUnit(BaseModel):
    """A unit on the map."""

    id: uuid.UUID
    call_sign: str
    name: str
    unit_type: UnitType
    status: UnitStatus
    latitude: float | None
    longitude: float | None
    position_at: datetime | None


class MapSite(BaseModel):
    """A site with open activations."""

    id: uuid.UUID
    name: str
    address: str
    latitude: float
    longitude: float
    activations: list[MapActivation]


class MapActivation(BaseModel):
    """An open activation at a site."""

    id: uuid.UUID
    title: str
    priority: int
    category: str


class MapTrail(BaseModel):
    """A unit's or a personal alarm's recent trail, oldest point first."""

    kind: str = Field(description="unit or transmitter")
    id: uuid.UUID
    label: str
    points: list[PositionOut]


class MapOut(BaseModel):
    """Everything the map shows."""

    units: list[MapUnit]
    sites: list[MapSite]
    trails: list[MapTrail]
    generated_at: datetime


MapSite.model_rebuild()
