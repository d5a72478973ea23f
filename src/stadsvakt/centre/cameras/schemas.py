"""API schemas of the centre's cameras and their snapshots."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stadsvakt.centre.cameras.models import CameraAuth, SnapshotStatus
from stadsvakt.schemas import StrictInput, omittable

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Url = Annotated[
    str,
    # No white space, control or NUL characters anywhere, and the pattern says so to any
    # client (a plain \S would let a NEL or a NUL through, which the server refuses).
    StringConstraints(
        strip_whitespace=True,
        min_length=8,
        max_length=1000,
        pattern=(
            r"^https?://[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a"
            r"\u2028\u2029\u202f\u205f\u3000\ufeff]+$"
        ),
    ),
    Field(description="HTTP(S) URL answering GET with a JPEG or PNG (an ONVIF GetSnapshotUri)"),
]
Latitude = Annotated[float, Field(ge=-90, le=90, description="WGS 84 latitude")]
Longitude = Annotated[float, Field(ge=-180, le=180, description="WGS 84 longitude")]
Username = Annotated[str, StringConstraints(max_length=200)]
Password = Annotated[str, StringConstraints(max_length=200), Field(description="Write only")]


class CameraCreate(StrictInput):
    """A camera; ``tenant_id`` defaults to the caller's municipality (or one it serves)."""

    name: Name
    latitude: Latitude
    longitude: Longitude
    snapshot_url: Url
    site_id: uuid.UUID | None = None
    tenant_id: uuid.UUID | None = None
    auth: CameraAuth = CameraAuth.NONE
    username: Username | None = None
    password: Password | None = None
    enabled: bool = True


class CameraUpdate(StrictInput):
    """Changes; ``password`` absent keeps the password, ``null`` or ``""`` removes it."""

    name: Name | None = omittable()
    latitude: Latitude | None = omittable()
    longitude: Longitude | None = omittable()
    snapshot_url: Url | None = omittable()
    site_id: uuid.UUID | None = None
    auth: CameraAuth | None = omittable()
    username: Username | None = None
    password: Password | None = None
    enabled: bool | None = omittable()


class CameraOut(BaseModel):
    """A camera (its password is never returned)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    site_id: uuid.UUID | None
    name: str
    latitude: float
    longitude: float
    snapshot_url: str
    auth: CameraAuth
    username: str | None
    has_password: bool
    enabled: bool
    created_at: datetime
    updated_at: datetime


class ViewOut(BaseModel):
    """Who looked at a snapshot, and when."""

    model_config = ConfigDict(from_attributes=True)

    viewed_at: datetime
    viewer_id: uuid.UUID | None
    viewer_name: str


class SnapshotOut(BaseModel):
    """One snapshot kept with an activation (the picture itself at ``image_url``)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    activation_id: uuid.UUID
    camera_id: uuid.UUID | None
    camera_name: str
    distance_m: int
    on_site: bool
    requested_at: datetime
    fetched_at: datetime | None
    requested_by_name: str
    status: SnapshotStatus
    reason: str | None
    detail: str
    content_type: str | None
    width: int | None
    height: int | None
    size: int
    image_url: str | None
    views: list[ViewOut]
