"""Pydantic shapes of edge devices and enrolment going in and out of the API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stadsvakt.edge.devices.models import DeviceHealth, DeviceKind, DeviceState
from stadsvakt.schemas import NO_NUL

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)
]


class EnrolmentCodeCreate(BaseModel):
    """What the device that enrols with the code will be."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: DeviceKind
    site_id: uuid.UUID
    door_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)


class EnrolmentCodeOut(BaseModel):
    """A code made: the plain code is here once, never again."""

    id: uuid.UUID
    code: str = Field(description="The one-time code (shown only in this answer)")
    expires_at: datetime
    name: str
    kind: DeviceKind
    site_id: uuid.UUID
    door_ids: list[uuid.UUID]


class EnrolRequest(BaseModel):
    """A device enrolling: its one-time code and its own public key."""

    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=NO_NUL)]
    public_key: Annotated[
        str,
        StringConstraints(min_length=1, max_length=64, pattern=NO_NUL),
        Field(description="The device's Ed25519 public key, 32 bytes in base64"),
    ]
    software_version: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=60, pattern=NO_NUL)
    ] = ""


class EnrolResponse(BaseModel):
    """What an enrolled device needs: its id and its MQTT account (password shown once)."""

    device_id: uuid.UUID
    mqtt_username: str
    mqtt_password: str
    broker_host: str
    broker_port: int


class DeviceOut(BaseModel):
    """An edge device as the API shows it (never its password hash)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: DeviceKind
    site_id: uuid.UUID
    state: DeviceState
    enrolled_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None
    software_version: str
    health: DeviceHealth
    health_detail: str
    snapshot_version: int
    pending_events: int
    clock_drift_ms: int | None
    version: int
    door_ids: list[uuid.UUID] = Field(default_factory=list)


class DevicePage(BaseModel):
    """One page of devices."""

    items: list[DeviceOut]
    total: int
    limit: int
    offset: int


class RevokeRequest(BaseModel):
    """A revocation, optionally naming the version the caller last saw."""

    model_config = ConfigDict(extra="forbid")

    expected_version: int | None = Field(default=None, ge=1)
