"""The body of an upload (inside the signed envelope) and the centre's answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from stadsvakt.errors import DomainError

#: The most events one upload may carry.
MAX_EVENTS = 1000


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccessEventIn(_In):
    """A decision made at the door."""

    type: Literal["access"]
    id: uuid.UUID
    at: AwareDatetime
    tenant_id: uuid.UUID
    door_id: uuid.UUID
    credential: Annotated[str, Field(max_length=64)]
    credential_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    granted: bool
    reason: Annotated[str, Field(min_length=1, max_length=40)]


class DoorAlarmIn(_In):
    """A door forced or held open, or restored."""

    type: Literal["door_alarm"]
    id: uuid.UUID
    at: AwareDatetime
    tenant_id: uuid.UUID
    door_id: uuid.UUID
    alarm: Literal["door_forced", "door_held", "door_forced_restored", "door_held_restored"]


EventIn = Annotated[AccessEventIn | DoorAlarmIn, Field(discriminator="type")]


class UploadBody(_In):
    """The envelope's body: the events and when the device sent them."""

    sent_at: AwareDatetime
    events: Annotated[list[EventIn], Field(max_length=MAX_EVENTS)]


class UploadAnswer(BaseModel):
    """Which events were stored now and which the centre had already; the centre's time."""

    stored: list[uuid.UUID]
    duplicates: list[uuid.UUID]
    time: datetime


class UploadRefused(DomainError):
    """An upload that is not a well-formed envelope of events; ``rule`` names why."""

    code = "edge_upload_refused"
    title = "Edge upload refused"
    status = 422

    def __init__(self, detail: str, *, rule: str, field: str | None = None) -> None:
        extra: dict[str, str] = {"rule": rule}
        if field is not None:
            extra["field"] = field
        super().__init__(detail, **extra)
        self.rule = rule


class UploadForbidden(UploadRefused):
    """The device is not enrolled (or revoked), or its signature does not verify: the
    upload proves no device that may write here. Anyone else (a signed-in user, a token)
    is refused the same way: no role may upload a device's events."""

    code = "edge_upload_forbidden"
    title = "Edge upload not signed by an enrolled device"
    status = 403
