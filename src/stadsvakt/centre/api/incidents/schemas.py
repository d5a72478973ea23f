"""What the incidents part of the centre's API returns (inputs are the services' own)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from stadsvakt.centre.models import ActivationKind, ActivationState


class ActivationRef(BaseModel):
    """An activation as just opened: enough to follow it in the queue."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    site_id: uuid.UUID | None
    kind: ActivationKind
    category: str
    code: str
    priority: int
    title: str
    state: ActivationState
    opened_at: datetime
    version: int


class NoticeOut(BaseModel):
    """One escalation to the officer on duty."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    activation_id: uuid.UUID
    officer_name: str
    officer_phone: str
    message: str
    told_by_name: str
    told_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by_name: str | None


class AreaOut(BaseModel):
    """One area of a municipality (its organisation unit; null: no site)."""

    unit_id: uuid.UUID | None
    name: str
    worst_priority: int
    by_category: dict[str, int]
    activations: list[ActivationRef]


class RegionOut(BaseModel):
    """One municipality of the situation picture, its most serious area first."""

    tenant_id: uuid.UUID
    name: str
    total: int
    worst_priority: int
    by_category: dict[str, int]
    areas: list[AreaOut]


class SituationOut(BaseModel):
    """Everything going on now, the most serious municipality first."""

    total: int
    by_category: dict[str, int]
    regions: list[RegionOut]
    notices: list[NoticeOut] = Field(description="Officer notices of the last 24 hours")


class TestWindowOut(BaseModel):
    """A site or transmitter in test, with who set it and whether it is going on."""

    __test__ = False  # not a pytest class, whatever its name
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    site_id: uuid.UUID | None
    transmitter_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime
    reason: str
    set_by_name: str
    created_at: datetime
    state: str = Field(description="scheduled, active or ended")


class ServedOut(BaseModel):
    """A municipality the caller's centre serves."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    code: str
    name: str


class ScheduleOut(BaseModel):
    """A schedule of planned visits."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    reference: str
    site_id: uuid.UUID | None
    address: str
    cameras: str
    times: list[str]
    weekdays: list[int]
    valid_from: date
    valid_to: date | None
    note: str
    active: bool
