"""Schemas for credentials: card/tag UIDs, PINs and mobile key ids."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
)

from stadsvakt.access.models import CredentialKind, CredentialState
from stadsvakt.bounds import BoundedDatetime
from stadsvakt.schemas import StrictInput, omittable

#: A PIN's digits: the rule is in the schema; the service checks it (rule pin_digits).
Pin = Annotated[SecretStr, Field(json_schema_extra={"pattern": r"^[0-9]{4,8}$"})]

Technology = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class CredentialCreate(StrictInput):
    """A card (identifier = UID hex), a PIN (pin; identifier = lookup id, made up when left
    out) or a mobile key (identifier = key id). Kind-specific rules are checked by the service;
    the schema states that a PIN credential needs its pin and no other kind takes one."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"kind": {"const": "pin"}}, "required": ["kind"]},
            "then": {"required": ["pin"], "properties": {"pin": {"type": "string"}}},
            "else": {"properties": {"pin": {"type": "null"}}},
        }
    )

    person_id: uuid.UUID
    kind: CredentialKind
    identifier: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = (
        None
    )
    pin: Pin | None = Field(default=None, description="4-8 digits; only for kind=pin")
    technology: Technology | None = None
    valid_from: BoundedDatetime | None = None
    valid_to: BoundedDatetime | None = None


class CredentialUpdate(StrictInput):
    """Change the window, the technology, the state, or a PIN's digits."""

    technology: Technology | None = None
    valid_from: BoundedDatetime | None = None
    valid_to: BoundedDatetime | None = None
    state: CredentialState | None = omittable()
    pin: Pin | None = omittable()


class CredentialOut(BaseModel):
    """A credential; a PIN's digits or hash are never shown."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: uuid.UUID
    kind: CredentialKind
    identifier: str
    technology: str | None
    state: CredentialState
    valid_from: datetime | None
    valid_to: datetime | None
    created_at: datetime
    updated_at: datetime
