"""API schema for audit rows."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor_kind: str
    actor_id: uuid.UUID | None
    actor_name: str
    request_id: str | None
    action: str
    object_type: str
    object_id: str | None
    object_text: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str

    @field_validator("before", "after", mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    total: int
    limit: int
    offset: int
