"""The bodies of the devices' ``hello`` and ``status`` messages (the contract with the
edge agent, docs/edge.md), read with the rule a bad one breaks.

Unknown keys are ignored, so a newer agent may say more than this centre reads.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from stadsvakt.edge.broker.gateway import Dropped
from stadsvakt.edge.devices.models import DoorLiveState


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class HelloBody(_Body):
    """Sent on every (re)connect: the snapshot version the device holds (None: none)."""

    snapshot_version: Annotated[int, Field(ge=0)] | None
    software_version: Annotated[str, Field(max_length=200)]


class StatusBody(_Body):
    """The device's periodic report, and at once when a door's state changes."""

    software_version: Annotated[str, Field(max_length=200)]
    health: Literal["ok", "degraded", "fault"]
    health_detail: Annotated[str, Field(max_length=500)] = ""
    snapshot_version: Annotated[int, Field(ge=0)] | None
    pending_events: Annotated[int, Field(ge=0)]
    clock_drift_ms: int | None = None
    doors: dict[uuid.UUID, DoorLiveState] = Field(default_factory=dict)
    at: AwareDatetime


M = TypeVar("M", bound=_Body)


def read_body(model: type[M], kind: str, body: Any) -> M:
    """``body`` as ``model``, or :class:`Dropped` naming the first broken field: rule
    ``door_state`` for a door's state or id, ``<kind>_body`` for anything else."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        rule = "door_state" if first["loc"][:1] == ("doors",) else f"{kind}_body"
        raise Dropped(rule, f"{kind} body.{where}: {first['msg']}") from None
