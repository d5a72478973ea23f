"""Schemas for the service catalogue: levels, a site's service and the shortfall report."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stadsvakt.org.schemas import Code, Name
from stadsvakt.schemas import StrictInput, omittable

#: A component key, e.g. ``perimeter_readers`` or ``intrusion_alarm``.
Component = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{1,39}$")
]
Components = Annotated[
    list[Component], Field(max_length=50, json_schema_extra={"uniqueItems": True})
]


class ServiceLevelCreate(StrictInput):
    code: Code
    name: Name
    rank: Annotated[int, Field(ge=1, le=100)] = 1
    requirements: Components = Field(default_factory=list)


class ServiceLevelUpdate(StrictInput):
    code: Code | None = omittable()
    name: Name | None = omittable()
    rank: Annotated[int, Field(ge=1, le=100)] | None = omittable()
    requirements: Components | None = omittable()


class ServiceLevelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    rank: int
    requirements: list[str]
    created_at: datetime
    updated_at: datetime


class SiteServiceIn(StrictInput):
    level_id: uuid.UUID
    components: Components = Field(default_factory=list)


class SiteServiceOut(BaseModel):
    """A site's level, its components, and what its level requires that it lacks."""

    site_id: uuid.UUID
    level_id: uuid.UUID
    level_code: str
    components: list[str]
    missing: list[str]


class ShortfallOut(BaseModel):
    """A site that lacks components its level requires."""

    site_id: uuid.UUID
    site_code: str
    site_name: str
    level_id: uuid.UUID
    level_code: str
    level_name: str
    missing: list[str]
