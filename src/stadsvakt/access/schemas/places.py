"""Schemas for zones and doors."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stadsvakt.access.models import DoorMode
from stadsvakt.org.schemas import Code, Name
from stadsvakt.schemas import StrictInput, omittable

ReaderId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$"
    ),
]
ReaderIds = Annotated[list[ReaderId], Field(max_length=16, json_schema_extra={"uniqueItems": True})]
UnlockSeconds = Annotated[int, Field(ge=1, le=300)]


class ZoneCreate(StrictInput):
    site_id: uuid.UUID
    code: Code
    name: Name


class ZoneUpdate(StrictInput):
    code: Code | None = omittable()
    name: Name | None = omittable()


class ZoneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    site_id: uuid.UUID
    code: str
    name: str
    created_at: datetime
    updated_at: datetime


class DoorCreate(StrictInput):
    zone_id: uuid.UUID
    code: Code
    name: Name
    reader_ids: ReaderIds = Field(default_factory=list)
    mode: DoorMode = DoorMode.SECURE
    unlock_schedule_id: uuid.UUID | None = None
    unlock_seconds: UnlockSeconds = 5
    extended_unlock_seconds: UnlockSeconds = 20
    requires_pin: bool = Field(
        default=False, description="Card and PIN: the holder also types their PIN"
    )
    escape_route: bool = Field(
        default=False, description="An escape route: opens for anyone in the site's emergency open"
    )


class DoorUpdate(StrictInput):
    zone_id: uuid.UUID | None = omittable()
    code: Code | None = omittable()
    name: Name | None = omittable()
    reader_ids: ReaderIds | None = omittable()
    mode: DoorMode | None = omittable()
    unlock_schedule_id: uuid.UUID | None = None
    unlock_seconds: UnlockSeconds | None = omittable()
    extended_unlock_seconds: UnlockSeconds | None = omittable()
    requires_pin: bool | None = omittable()
    escape_route: bool | None = omittable()


class DoorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    site_id: uuid.UUID
    zone_id: uuid.UUID
    code: str
    name: str
    reader_ids: list[str]
    mode: DoorMode
    unlock_schedule_id: uuid.UUID | None
    unlock_seconds: int
    extended_unlock_seconds: int
    requires_pin: bool
    escape_route: bool
    created_at: datetime
    updated_at: datetime
